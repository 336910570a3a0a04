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
use crate::model::site::{Page, SiteInfo};

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
