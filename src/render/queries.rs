//! "Copy the query": what a definition page needs to show its warehouse queries. The page names
//! its own values (key paths, or action and category); `static/page.js` fills the published
//! templates (`queries.json`) with them, quoting each value as a whole Snowflake literal. Filling in the browser
//! keeps a 100,000-definition site under GitLab Pages' 1 GB: the filled SQL was a quarter of
//! every definition page.

use super::rows::object;
use super::Renderer;
use crate::model::definition::{Event, Metric};
use crate::model::layout;
use crate::text::escape_html_into;
use serde_json::{json, Value};

impl Renderer {
    /// A metric's queries: every metric template once per key path in the payload.
    pub(super) fn metric_queries(&self, m: &Metric) -> Value {
        // A metric with one key path in the payload leaves `values` out: the page's title is it.
        let key_paths = m.expanded_key_paths();
        let values = if key_paths == [m.key_path.as_str()] {
            Value::Null
        } else {
            json!({ "key_paths": key_paths })
        };
        self.queries_context("metrics", !self.queries.metric.is_empty(), values)
    }

    /// An event's queries: by category and action for legacy events, by action otherwise.
    pub(super) fn event_queries(&self, e: &Event) -> Value {
        let (values, templates) = match (&e.category, e.internal) {
            (Some(c), false) if !c.is_empty() => (
                json!({ "action": e.action, "category": c, "legacy": true }),
                &self.queries.legacy_event,
            ),
            _ => (json!({ "action": e.action }), &self.queries.event),
        };
        self.queries_context("events", !templates.is_empty(), values)
    }

    /// `{ kind, src, values, source: { title, url } }` (`values` as JSON text for a data
    /// attribute, or null), or null when no template applies.
    fn queries_context(&self, kind: &str, any: bool, values: Value) -> Value {
        if !any {
            return Value::Null;
        }
        let source = object([
            ("title", self.queries.source_title.clone().into()),
            ("url", self.queries.source_url.clone().into()),
        ]);
        object([
            ("kind", kind.into()),
            ("src", layout::QUERIES_JSON.into()),
            (
                "values",
                (!values.is_null()).then(|| values.to_string()).into(),
            ),
            ("source", source),
        ])
    }

    /// `item.queries_html`: the section `static/page.js` fills, from [`Self::queries_context`]
    /// (empty when null). Made here: through tera, its three-level lookups and the include's
    /// escaping were a twentieth of a cold build's CPU.
    pub(super) fn queries_html(&self, queries: &Value) -> String {
        let text = |k: &str| queries.get(k).and_then(Value::as_str);
        let Some(kind) = text("kind") else {
            return String::new();
        };
        let mut out = String::from("\n<section class=\"panel queries\" data-queries=\"");
        escape_html_into(&mut out, &self.site.base);
        escape_html_into(&mut out, text("src").unwrap_or_default());
        out.push_str("\" data-kind=\"");
        escape_html_into(&mut out, kind);
        out.push('"');
        if let Some(values) = text("values").filter(|v| !v.is_empty()) {
            out.push_str(" data-values=\"");
            escape_html_into(&mut out, values);
            out.push('"');
        }
        out.push_str(" hidden></section>");
        out
    }
}
