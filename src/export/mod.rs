//! Downloads: `metrics.json`, `events.json`, `metrics.csv`, `events.csv`, the comparison with a
//! baseline (`changes.json`, `changes.csv`) and `sitemap.xml`.
//!
//! Each download carries the build stamp ([`crate::model::site::BuildStamp`]). Records come from
//! the one typed view of a definition ([`crate::model::record`]).

mod csv;
mod json;
mod sitemap;

pub use self::csv::{events_csv, metrics_csv};
pub use self::json::{event_json, events_json, metric_json, metrics_json};
pub use self::sitemap::sitemap;

use crate::model::changes::Changes;
use crate::model::layout;
use crate::model::queries::QueryTemplates;
use crate::model::site::{Page, SiteInfo};

/// `queries.json`: the query templates definition pages fill, for scripts that offer the same
/// queries elsewhere: `{ "generated", "quoting", "placeholders": {kind: [names]}, "templates":
/// {source_title, source_url, metric, event, legacy_event} }`.
pub fn queries_json(q: &QueryTemplates, site: &SiteInfo) -> Page {
    let placeholders: serde_json::Map<String, serde_json::Value> = q
        .by_kind()
        .iter()
        .map(|(kind, _, known)| (kind.to_string(), serde_json::json!(known)))
        .collect();
    let doc = serde_json::json!({
        "generated": site.stamp(),
        "quoting": "Each {placeholder} becomes a single-quoted Snowflake string literal: \\ doubled first, then ' doubled; line feed, carriage return, tab and NUL written \\n, \\r, \\t, \\0. {{ and }} are literal braces.",
        "placeholders": placeholders,
        "templates": q,
    });
    Page {
        path: layout::QUERIES_JSON.into(),
        content: serde_json::to_vec_pretty(&doc)
            .expect("json serialises")
            .into(),
    }
}

/// `changes.json` and `changes.csv`: the comparison with the baseline, stamped.
pub fn changes(c: &Changes, site: &SiteInfo) -> Vec<Page> {
    vec![
        Page {
            path: layout::CHANGES_JSON.into(),
            content: json::changes_json(c, site).into(),
        },
        Page {
            path: layout::CHANGES_CSV.into(),
            content: self::csv::changes_csv(c, site).into(),
        },
    ]
}
