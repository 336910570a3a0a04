//! Table rows and compact list items: rendered once per definition, spliced into every page
//! that lists them.

use super::cache::{key_of, RenderCache};
use super::pages::url_param;
use super::{Ctx, Renderer, TemplateError};
use crate::model::catalog::{
    event_facet_values, metric_facet_values, param, Catalog, DefinitionKind,
};
use crate::model::definition::{Event, Metric};
use crate::model::layout;
use crate::model::record::{EventRecord, MetricRecord};
use crate::text::{escape_html_into, plain_text};
use serde_json::{Map, Value};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use tera::Context;

/// Rows of one kind, spliced into a page where its template put that kind's marker.
pub(super) struct Table {
    pub kind: RowKind,
    pub rows: Vec<usize>,
}

/// The pre-rendered fragments a page can list: full table rows, or compact list items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowKind {
    Metric = 0,
    Event = 1,
    MetricItem = 2,
    EventItem = 3,
}

/// What a template writes where the rows of each [`RowKind`] go (`{{ rows | safe }}`).
pub(super) const ROWS_MARKER: [&str; 4] = [
    "<!--metricdict:metric-rows-->",
    "<!--metricdict:event-rows-->",
    "<!--metricdict:metric-items-->",
    "<!--metricdict:event-items-->",
];

/// Rendered rows of one kind: each row's HTML and cache key.
pub(super) type Fragments = Vec<(Arc<str>, u64)>;

pub(super) struct Rows {
    html: [Fragments; 4],
    removed_metrics: Vec<bool>,
    removed_events: Vec<bool>,
}

impl Rows {
    pub fn len(&self, kind: RowKind) -> usize {
        self.html[kind as usize].len()
    }

    fn removed_flags(&self, kind: RowKind) -> &[bool] {
        match kind {
            RowKind::Metric | RowKind::MetricItem => &self.removed_metrics,
            RowKind::Event | RowKind::EventItem => &self.removed_events,
        }
    }

    pub fn removed(&self, kind: RowKind, which: &[usize]) -> usize {
        let flags = self.removed_flags(kind);
        which.iter().filter(|&&i| flags[i]).count()
    }

    /// The rows a table page of this kind carries (see [`first_rows`]).
    pub fn first_rows(&self, kind: RowKind) -> Vec<usize> {
        first_rows(self.removed_flags(kind))
    }

    /// A cache key for the rows of some tables.
    pub fn key(&self, tables: &[Table]) -> u64 {
        let mut h = rustc_hash::FxHasher::default();
        for t in tables {
            (t.kind as usize).hash(&mut h);
            for &i in &t.rows {
                self.html[t.kind as usize][i].1.hash(&mut h);
            }
        }
        h.finish()
    }
}

/// Replace each table's marker (the first occurrence; templates place it once) with its rows.
/// Rows are joined here rather than looped over in the template: one copy of each row's HTML
/// instead of three, and no per-row template work.
pub(super) fn splice_rows(html: String, tables: &[Table], rows: &Rows) -> Vec<u8> {
    let spliced: Vec<(usize, &Table)> = tables
        .iter()
        .filter(|t| !t.rows.is_empty())
        .filter_map(|t| html.find(ROWS_MARKER[t.kind as usize]).map(|at| (at, t)))
        .collect();
    if spliced.is_empty() {
        return html.into_bytes();
    }
    let extra: usize = spliced
        .iter()
        .flat_map(|(_, t)| {
            t.rows
                .iter()
                .map(|&i| rows.html[t.kind as usize][i].0.len() + 1)
        })
        .sum();
    let mut out = Vec::with_capacity(html.len() + extra);
    let mut sorted = spliced;
    sorted.sort_by_key(|(at, _)| *at);
    let mut from = 0;
    for (at, t) in sorted {
        out.extend_from_slice(&html.as_bytes()[from..at]);
        for (n, &i) in t.rows.iter().enumerate() {
            if n > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(rows.html[t.kind as usize][i].0.as_bytes());
        }
        from = at + ROWS_MARKER[t.kind as usize].len();
    }
    out.extend_from_slice(&html.as_bytes()[from..]);
    out
}

/// The rows a table page carries in its HTML: the first [`layout::TABLE_FIRST_ROWS`] not
/// removed (the table draws the rest from its data). Only these are rendered as full rows.
pub(super) fn first_rows(removed: &[bool]) -> Vec<usize> {
    (0..removed.len())
        .filter(|&i| !removed[i])
        .take(layout::TABLE_FIRST_ROWS)
        .collect()
}

/// What a row is made for: a rendered row (every field), or the table data, which leaves
/// out what only the HTML uses (`filter_attrs`, `slug`, `key_paths`, `time_frames`, `pis`,
/// `properties`: null here, and the table data drops nulls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFor {
    Html,
    Data,
}

/// A row's fields in the order its template sees them, and its filter values (`f`, the last
/// field). Kept as pairs until a template needs an object: the table data is written from
/// them directly (a map per row cost a hashed, allocated key per field).
pub struct RowFields {
    pub fields: Vec<(&'static str, Value)>,
    pub f: Vec<(&'static str, Value)>,
}

impl RowFields {
    /// The row as its template sees it.
    pub fn into_value(self) -> Value {
        let mut row: Map<String, Value> = self
            .fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        row.insert("f".into(), Value::Object(pairs_to_map(self.f)));
        Value::Object(row)
    }
}

/// The value of field `key` among a row's `pairs`.
pub(super) fn get<'a>(pairs: &'a [(&str, Value)], key: &str) -> Option<&'a Value> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn pairs_to_map(pairs: Vec<(&'static str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Set `key` in `pairs`: replaced where it is, or added at the end (as a map would).
fn set(pairs: &mut Vec<(&'static str, Value)>, key: &'static str, value: Value) {
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v = value,
        None => pairs.push((key, value)),
    }
}

/// A row of the metrics table, from the metric's record.
pub fn metric_fields(catalog: &Catalog, i: usize, made_for: RowFor) -> RowFields {
    let html = made_for == RowFor::Html;
    let m: &Metric = &catalog.metrics[i];
    let r = MetricRecord::of(catalog, i, "");
    let mut f = Vec::new();
    for facet in catalog.facets_for(DefinitionKind::Metric) {
        set(
            &mut f,
            url_param(facet.param),
            Value::String(metric_facet_values(m, facet.param).join("|")),
        );
    }
    let fields = vec![
        ("ord", i.into()),
        (
            "slug",
            html.then(|| catalog.metric_slugs[i].as_str()).into(),
        ),
        ("url", r.url.into()),
        ("key_path", r.key_path.into()),
        ("more_count", r.key_paths.len().saturating_sub(1).into()),
        ("more_title", r.key_paths.join(", ").into()),
        ("key_paths", html.then_some(r.key_paths).into()),
        ("category_key", r.data_category.to_lowercase().into()),
        ("status_key", r.status.to_lowercase().into()),
        ("status_text", r.status.replace('_', " ").into()),
        ("time_frames_text", r.time_frame.join(", ").into()),
        ("pis_text", r.performance_indicator_type.join(", ").into()),
        ("filter_attrs", html.then(|| filter_attrs(&f)).into()),
        ("description", plain_text(r.description).into()),
        ("group", r.product_group.as_deref().into()),
        ("data_category", r.data_category.into()),
        ("status", r.status.into()),
        ("time_frames", html.then_some(r.time_frame).into()),
        ("data_source", r.data_source.as_deref().into()),
        ("tiers", r.tiers.into()),
        ("milestone", r.milestone.as_deref().into()),
        ("pis", html.then_some(r.performance_indicator_type).into()),
        ("removed", m.removed.into()),
    ];
    RowFields { fields, f }
}

/// The row as its templates see it, with `item_html`: the compact list item made ready (what
/// `metric_item.html` / `event_item.html` print). Through tera the item's five lookups were
/// most of the cost of rendering a row, and every definition has one. `title` names the field
/// the item links (`key_path` or `action`); the small text is the category and status.
fn with_item_html(mut row: RowFields, base: &str, title: &str) -> Value {
    let text = |key: &str| {
        get(&row.fields, key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let category = if title == "action" {
        "category"
    } else {
        "data_category"
    };
    let removed = get(&row.fields, "removed").and_then(Value::as_bool) == Some(true);
    let mut html = String::with_capacity(160);
    html.push_str(if removed {
        "<li class=\"removed\">"
    } else {
        "<li>"
    });
    html.push_str("<a href=\"");
    escape_html_into(&mut html, base);
    escape_html_into(&mut html, text("url"));
    html.push_str("\">");
    escape_html_into(&mut html, text(title));
    html.push_str("</a> <small>");
    escape_html_into(&mut html, text(category));
    html.push_str(" · ");
    escape_html_into(&mut html, text("status_text"));
    html.push_str("</small></li>");
    row.fields.push(("item_html", html.into()));
    row.into_value()
}

/// A JSON object of these fields, in this order. The values are moved in: `json!` would
/// serialize each nested value again, copying every field list and row of a page.
pub(super) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A row's filter values as ` data-f-<param>="v1|v2"` attributes (what `site.js` filters on),
/// escaped. Rows are rendered once per build, but a tera loop over them was a third of that.
fn filter_attrs(f: &[(&str, Value)]) -> String {
    let mut out = String::new();
    for (k, v) in f {
        out.push_str(" data-f-");
        escape_html_into(&mut out, k);
        out.push_str("=\"");
        escape_html_into(&mut out, v.as_str().unwrap_or_default());
        out.push('"');
    }
    out
}

/// A row of the events table, from the event's record.
pub fn event_fields(catalog: &Catalog, i: usize, made_for: RowFor) -> RowFields {
    let html = made_for == RowFor::Html;
    let e: &Event = &catalog.events[i];
    let r = EventRecord::of(catalog, i, "");
    let mut f = Vec::new();
    for facet in catalog
        .facets_for(DefinitionKind::Event)
        .filter(|f| f.param != param::DATA_CLASS)
    {
        let param = url_param(facet.param);
        set(
            &mut f,
            param,
            Value::String(event_facet_values(e, param).join("|")),
        );
    }
    let props: Vec<&str> = r.additional_properties.iter().map(|p| p.name).collect();
    let fields = vec![
        ("status_key", r.status.to_lowercase().into()),
        ("status_text", r.status.replace('_', " ").into()),
        (
            "classification_key",
            r.classification.as_deref().map(str::to_lowercase).into(),
        ),
        ("properties_text", props.join(", ").into()),
        ("filter_attrs", html.then(|| filter_attrs(&f)).into()),
        ("ord", (catalog.metrics.len() + i).into()),
        ("slug", html.then(|| catalog.event_slugs[i].as_str()).into()),
        ("url", r.url.into()),
        ("legacy", (r.id != r.action).into()),
        ("id", r.id.into()),
        ("action", r.action.into()),
        ("category", r.category.into()),
        ("description", plain_text(r.description).into()),
        ("identifiers", r.identifiers.into()),
        ("properties", html.then_some(props).into()),
        ("classification", r.classification.as_deref().into()),
        ("group", r.product_group.as_deref().into()),
        ("tiers", r.tiers.into()),
        ("milestone", r.milestone.as_deref().into()),
        ("status", r.status.into()),
        ("removed", e.removed.into()),
        ("internal", r.internal_events.into()),
    ];
    RowFields { fields, f }
}

impl Renderer {
    /// Table rows as HTML, rendered once per build (and reused across rebuilds while the
    /// definition, its page name and position are unchanged), then shared by every table that
    /// lists them. One row context serves both forms (`kinds`: the full row and the compact
    /// item), so it is built once per definition. The full row is rendered only for the rows
    /// in `full` (a table page carries its first rows; every row is an item on some browse
    /// page); the others get an empty one. Returns each form's rows with their keys.
    fn row_fragments(
        &self,
        kinds: [RowKind; 2],
        n: usize,
        full: &[usize],
        key_of: impl Fn(usize) -> u64 + Sync,
        row_of: impl Fn(usize) -> Value + Sync,
        cache: &mut RenderCache,
    ) -> Result<[Fragments; 2], TemplateError> {
        use rayon::prelude::*;
        let names = kinds.map(|kind| match kind {
            RowKind::Metric => ("metric", "metric_row.html"),
            RowKind::Event => ("event", "event_row.html"),
            RowKind::MetricItem => ("metric_item", "metric_item.html"),
            RowKind::EventItem => ("event_item", "event_item.html"),
        });
        let off = cache.is_off();
        let cached = &cache.rows;
        let mut wanted = vec![false; n];
        for &i in full {
            wanted[i] = true;
        }
        type Pair = [(Arc<str>, u64); 2];
        let rendered: Vec<Result<Pair, TemplateError>> = (0..n)
            .into_par_iter()
            .with_max_len(64)
            .map(|i| {
                let key = if off { 0 } else { key_of(i) };
                let hit = |name| {
                    cached
                        .get(&(name, i))
                        .filter(|(k, _)| *k == key && !off)
                        .map(|(_, html)| html.clone())
                };
                let first = |html: Option<Arc<str>>| match wanted[i] {
                    true => html,
                    false => Some(Arc::from("")),
                };
                if let (Some(a), Some(b)) = (first(hit(names[0].0)), hit(names[1].0)) {
                    return Ok([(a, key), (b, key)]);
                }
                let mut ctx = Ctx::default();
                ctx.insert("base", &self.site.base);
                ctx.insert_value("row", row_of(i));
                let context = Context::from_value(Value::Object(ctx.0))
                    .map_err(|e| self.templates.error(names[0].1, &e))?;
                let render = |template: &str| -> Result<(Arc<str>, u64), TemplateError> {
                    let html = self
                        .templates
                        .tera
                        .render(template, &context)
                        .map_err(|e| self.templates.error(template, &e))?;
                    Ok((Arc::from(html.trim()), key))
                };
                let full_row = match wanted[i] {
                    true => render(names[0].1)?,
                    false => (Arc::from(""), key),
                };
                Ok([full_row, render(names[1].1)?])
            })
            .collect();
        let mut out: [Fragments; 2] = [Vec::with_capacity(n), Vec::with_capacity(n)];
        for pair in rendered {
            let [a, b] = pair?;
            out[0].push(a);
            out[1].push(b);
        }
        if !off {
            for (form, (name, _)) in out.iter().zip(names) {
                cache.rows.retain(|(k, i), _| *k != name || *i < n);
                for (i, (html, key)) in form.iter().enumerate() {
                    if !html.is_empty() {
                        cache.rows.insert((name, i), (*key, html.clone()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every table row and list item of the site, rendered (or taken from the cache) once.
    pub(super) fn rows(
        &self,
        catalog: &Catalog,
        cache: &mut RenderCache,
    ) -> Result<Rows, TemplateError> {
        let site_key = self.site_key();
        let nm = catalog.metrics.len();
        let metric_key = |i: usize| {
            let m = &catalog.metrics[i];
            key_of(&(site_key, m.version, &catalog.metric_slugs[i], i))
        };
        let event_key = |i: usize| {
            let e = &catalog.events[i];
            key_of(&(site_key, e.version, &catalog.event_slugs[i], nm + i))
        };
        let ne = catalog.events.len();
        let base = self.site.base.as_str();
        let row = |i| with_item_html(metric_fields(catalog, i, RowFor::Html), base, "key_path");
        let erow = |i| with_item_html(event_fields(catalog, i, RowFor::Html), base, "action");
        let removed_metrics: Vec<bool> = catalog.metrics.iter().map(|m| m.removed).collect();
        let removed_events: Vec<bool> = catalog.events.iter().map(|e| e.removed).collect();
        let [metric, metric_item] = self.row_fragments(
            [RowKind::Metric, RowKind::MetricItem],
            nm,
            &first_rows(&removed_metrics),
            metric_key,
            row,
            cache,
        )?;
        let [event, event_item] = self.row_fragments(
            [RowKind::Event, RowKind::EventItem],
            ne,
            &first_rows(&removed_events),
            event_key,
            erow,
            cache,
        )?;
        Ok(Rows {
            // Indexed by `RowKind`.
            html: [metric, event, metric_item, event_item],
            removed_metrics,
            removed_events,
        })
    }
}
