//! The rows a table draws from (`layout::TABLE_DATA`): each row's fields as its template sees
//! them, without what only the HTML needs, and without what the row says again from its own
//! fields. `static/rows.js` (`expand`) puts those back on load by the same rules, so a value
//! is left out only when the rule gives it back exactly; at 100,000 definitions this is a
//! third of the tables' bytes.

use super::rows::{event_row, metric_row, object, RowFor};
use crate::model::catalog::{Catalog, DefinitionKind};
use serde_json::{Map, Value};

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
    type RowOf = fn(&Catalog, usize, RowFor) -> Value;
    let (n, first, row_of): (usize, usize, RowOf) = match kind {
        DefinitionKind::Metric => (catalog.metrics.len(), 0, metric_row),
        DefinitionKind::Event => (catalog.events.len(), catalog.metrics.len(), event_row),
    };
    let full: Vec<Map<String, Value>> = (0..n)
        .into_par_iter()
        .map(|i| match row_of(catalog, i, RowFor::Data) {
            Value::Object(mut o) => {
                o.retain(|_, v| !v.is_null());
                o
            }
            _ => Map::new(),
        })
        .collect();
    let keys = key_order(full.iter());
    let f_keys = key_order(
        full.iter()
            .filter_map(|r| r.get("f").and_then(Value::as_object)),
    );
    let same = same_as(kind);
    let rows: Vec<Value> = full
        .into_par_iter()
        .enumerate()
        .map(|(i, row)| Value::Object(compact(row, first + i, same)))
        .collect();
    let data = object([
        ("format", 2.into()),
        ("first_ord", first.into()),
        ("keys", keys.into()),
        ("f_keys", f_keys.into()),
        (
            "same_as",
            Value::Object(
                same.iter()
                    .map(|(p, f)| (p.to_string(), (*f).into()))
                    .collect(),
            ),
        ),
        ("rows", rows.into()),
    ]);
    serde_json::to_vec(&data).expect("JSON values serialise")
}

/// A row without the fields [`derived`] gives back.
fn compact(mut row: Map<String, Value>, ord: usize, same: &[(&str, &str)]) -> Map<String, Value> {
    let mut f = match row.remove("f") {
        Some(Value::Object(f)) => f,
        _ => Map::new(),
    };
    for &(param, field) in same {
        if f.get(param).is_some_and(|v| *v == joined(row.get(field))) {
            f.remove(param);
        }
    }
    let keep: Vec<bool> = row
        .iter()
        .map(|(k, v)| derived(k, &row, ord).as_ref() != Some(v))
        .collect();
    // `retain` visits the fields in order.
    let mut keep = keep.into_iter();
    row.retain(|_, _| keep.next().unwrap_or(true));
    if !f.is_empty() {
        row.insert("f".into(), Value::Object(f));
    }
    row
}

/// What `rows.js` puts back for a missing field `key` of `row`, if anything.
fn derived(key: &str, row: &Map<String, Value>, ord: usize) -> Option<Value> {
    let text = |k: &str| row.get(k).and_then(Value::as_str);
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

/// Every key of these objects, in the order of the one with the most, then any others.
fn key_order<'a>(objects: impl Iterator<Item = &'a Map<String, Value>> + Clone) -> Vec<Value> {
    let mut order: Vec<&str> = objects
        .clone()
        .max_by_key(|o| o.len())
        .map_or(Vec::new(), |o| o.keys().map(String::as_str).collect());
    let mut seen: std::collections::HashSet<&str> = order.iter().copied().collect();
    for o in objects {
        for k in o.keys() {
            if seen.insert(k) {
                order.push(k);
            }
        }
    }
    order.into_iter().map(Value::from).collect()
}
