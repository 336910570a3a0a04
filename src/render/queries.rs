//! "Copy the query": a definition page's warehouse queries, filled from the configured
//! templates with the definition's own values (quoted by `text::sql`).

use super::rows::object;
use super::Renderer;
use crate::model::definition::{Event, Metric};
use crate::model::queries::QueryTemplate;
use crate::text::sql::fill;
use serde_json::Value;

impl Renderer {
    /// A metric's queries: every template once per key path in the payload.
    pub(super) fn metric_queries(&self, m: &Metric) -> Value {
        let mut out = Vec::new();
        for key_path in m.expanded_key_paths() {
            for t in &self.queries.metric {
                out.push(query(t, &[("key_path", &key_path)], Some(&key_path)));
            }
        }
        self.queries_context(out)
    }

    /// An event's queries: by category and action for legacy events, by action otherwise.
    pub(super) fn event_queries(&self, e: &Event) -> Value {
        let out = match (&e.category, e.internal) {
            (Some(c), false) if !c.is_empty() => self
                .queries
                .legacy_event
                .iter()
                .map(|t| query(t, &[("action", &e.action), ("category", c)], None))
                .collect(),
            _ => self
                .queries
                .event
                .iter()
                .map(|t| query(t, &[("action", &e.action)], None))
                .collect(),
        };
        self.queries_context(out)
    }

    /// `{ list: [{ id, label, key_path|null, sql }], source: { title, url } }`, or null when
    /// there is no query to show.
    fn queries_context(&self, list: Vec<Value>) -> Value {
        let list: Vec<Value> = list
            .into_iter()
            .filter(|q| !q.is_null())
            .enumerate()
            .map(|(i, mut q)| {
                q["id"] = format!("query-{}", i + 1).into();
                q
            })
            .collect();
        if list.is_empty() {
            return Value::Null;
        }
        let source = object([
            ("title", self.queries.source_title.clone().into()),
            ("url", self.queries.source_url.clone().into()),
        ]);
        object([("list", list.into()), ("source", source)])
    }
}

/// One filled query; null when the template cannot be filled (templates from
/// `metricdict.toml` are checked when it is read, so only a broken custom build gets here).
fn query(t: &QueryTemplate, values: &[(&str, &str)], key_path: Option<&str>) -> Value {
    match fill(&t.sql, values) {
        Ok(sql) => object([
            ("label", t.label.as_str().into()),
            ("key_path", key_path.into()),
            ("sql", sql.into()),
        ]),
        Err(_) => Value::Null,
    }
}
