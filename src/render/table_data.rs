//! The rows a table draws from (`layout::TABLE_DATA`): each row's fields as its template sees
//! them, without what only the HTML needs, and without what the row says again from its own
//! fields. `static/rows.js` (`expand`) puts those back on load by the same rules, so a value
//! is left out only when the rule gives it back exactly; at 100,000 definitions this is a
//! third of the tables' bytes.

use super::rows::{event_fields, get, metric_fields, RowFields, RowFor};
use crate::model::catalog::{Catalog, DefinitionKind};
use serde_json::Value;

/// Filter values (`f.<param>`) that repeat a field of the row (a list joined by `|`).
fn same_as(kind: DefinitionKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        DefinitionKind::Metric => &[
            ("category", "data_category"),
            ("status", "status"),
            ("group", "group"),
            ("data_source", "data_source"),
            ("tier", "tiers"),
            ("milestone", "milestone"),
        ],
        DefinitionKind::Event => &[
            ("category", "category"),
            ("status", "status"),
            ("group", "group"),
            ("tier", "tiers"),
            ("milestone", "milestone"),
            ("identifier", "identifiers"),
            ("classification", "classification"),
        ],
    }
}

/// `{ format, first_ord, keys, f_keys, same_as, rows }`: `keys` and `f_keys` give the fields'
/// order, `first_ord` the first row's position among all definitions, `same_as` the filter
/// values left out because a field says them.
pub fn table_data(catalog: &Catalog, kind: DefinitionKind) -> Vec<u8> {
    use rayon::prelude::*;
    // Built again here rather than kept from the rendered rows: the row cache holds HTML, and
    // this runs beside the page rendering (in parallel, a few ms per thousand rows).
    type RowOf = fn(&Catalog, usize, RowFor) -> RowFields;
    let (n, first, row_of): (usize, usize, RowOf) = match kind {
        DefinitionKind::Metric => (catalog.metrics.len(), 0, metric_fields),
        DefinitionKind::Event => (catalog.events.len(), catalog.metrics.len(), event_fields),
    };
    let full: Vec<RowFields> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut row = row_of(catalog, i, RowFor::Data);
            row.fields.retain(|(_, v)| !v.is_null());
            row
        })
        .collect();
    // Every row has its filter values last, as field `f`.
    let keys = key_order(
        full.iter()
            .map(|r| r.fields.iter().map(|(k, _)| *k).chain(std::iter::once("f"))),
    );
    let f_keys = key_order(full.iter().map(|r| r.f.iter().map(|(k, _)| *k)));
    let same = same_as(kind);
    let rows: Vec<Row> = full
        .into_par_iter()
        .enumerate()
        .map(|(i, row)| compact(row, first + i, same))
        .collect();
    let data = TableData {
        format: 2,
        first_ord: first,
        keys,
        f_keys,
        same_as: Pairs(same.iter().map(|(p, f)| (*p, Value::from(*f))).collect()),
        rows,
    };
    serde_json::to_vec(&data).expect("JSON values serialise")
}

/// The table data, its fields in this order.
#[derive(serde::Serialize)]
struct TableData {
    format: u32,
    first_ord: usize,
    keys: Vec<&'static str>,
    f_keys: Vec<&'static str>,
    same_as: Pairs,
    rows: Vec<Row>,
}

/// Fields written as a JSON object, in their order.
struct Pairs(Vec<(&'static str, Value)>);

impl serde::Serialize for Pairs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A compacted row: its fields, then its filter values when any are left.
struct Row {
    fields: Pairs,
    f: Option<Pairs>,
}

impl serde::Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fields = &self.fields.0;
        let mut map = s.serialize_map(Some(fields.len() + usize::from(self.f.is_some())))?;
        for (k, v) in fields {
            map.serialize_entry(k, v)?;
        }
        if let Some(f) = &self.f {
            map.serialize_entry("f", f)?;
        }
        map.end()
    }
}

/// A row without the fields [`derived`] gives back.
fn compact(row: RowFields, ord: usize, same: &[(&str, &str)]) -> Row {
    let RowFields { mut fields, mut f } = row;
    for &(param, field) in same {
        if let Some(at) = f.iter().position(|(k, _)| *k == param) {
            if f[at].1 == joined(get(&fields, field)) {
                // As a map removes (`swap_remove`): the last value takes its place, so the
                // values keep the order the browser has always read.
                f.swap_remove(at);
            }
        }
    }
    let keep: Vec<bool> = fields
        .iter()
        .map(|(k, v)| derived(k, &fields, ord).as_ref() != Some(v))
        .collect();
    let mut keep = keep.into_iter();
    fields.retain(|_| keep.next().unwrap_or(true));
    Row {
        fields: Pairs(fields),
        f: (!f.is_empty()).then_some(Pairs(f)),
    }
}

/// What `rows.js` puts back for a missing field `key` of `row`, if anything.
fn derived(key: &str, row: &[(&str, Value)], ord: usize) -> Option<Value> {
    let text = |k: &str| get(row, k).and_then(Value::as_str);
    let lower = |k: &str| {
        text(k)
            .filter(|s| s.is_ascii())
            .map(str::to_ascii_lowercase)
    };
    Some(match key {
        "ord" => ord.into(),
        "more_title" => text("key_path")?.into(),
        "more_count" => 0.into(),
        "category_key" => lower("data_category")?.into(),
        "status_key" => lower("status")?.into(),
        "classification_key" => lower("classification")?.into(),
        "status_text" => text("status")?.replace('_', " ").into(),
        "removed" | "internal" | "legacy" => false.into(),
        "pis_text" | "properties_text" => "".into(),
        _ => return None,
    })
}

/// A field as a filter value: a list joined by `|`, a missing field empty.
fn joined(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => "".into(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("|")
            .into(),
        Some(other) => other.clone(),
    }
}

/// Every key of these rows, in the order of the row with the most, then any others.
fn key_order<I>(rows: impl Iterator<Item = I> + Clone) -> Vec<&'static str>
where
    I: Iterator<Item = &'static str> + Clone,
{
    let mut order: Vec<&'static str> = rows
        .clone()
        .max_by_key(|r| r.clone().count())
        .map_or(Vec::new(), |r| r.collect());
    let mut seen: std::collections::HashSet<&str> = order.iter().copied().collect();
    for r in rows {
        for k in r {
            if seen.insert(k) {
                order.push(k);
            }
        }
    }
    order
}
