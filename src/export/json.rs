//! The JSON downloads, serialised one record at a time.

use crate::model::catalog::Catalog;
use crate::model::changes::Changes;
use crate::model::record::{EventRecord, MetricRecord, FORMAT_VERSION};
use crate::model::site::{BuildStamp, SiteInfo};
use serde::Serialize;
use serde_json::{json, Value};

/// A metric's record as exported (and read back by `--baseline`), as a JSON value.
pub fn metric_json(c: &Catalog, i: usize, site: &SiteInfo) -> Value {
    serde_json::to_value(MetricRecord::of(c, i, &site.base)).expect("records serialise")
}

/// An event's record as exported, as a JSON value.
pub fn event_json(c: &Catalog, i: usize, site: &SiteInfo) -> Value {
    serde_json::to_value(EventRecord::of(c, i, &site.base)).expect("records serialise")
}

/// `metrics.json`: `{ "format_version", "generated": {build_time, commit}, "count",
/// "metrics": [...] }`.
pub fn metrics_json(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    listing_json(
        site.stamp(),
        "metrics",
        Records(c.metrics.len(), &|i| MetricRecord::of(c, i, &site.base)),
    )
}

/// `events.json`, same shape as `metrics.json`.
pub fn events_json(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    listing_json(
        site.stamp(),
        "events",
        Records(c.events.len(), &|i| EventRecord::of(c, i, &site.base)),
    )
}

/// `{ "format_version", "generated", "count", <name>: [records] }`, compact: at 100k definitions
/// the indentation alone would be a fifth of the site (`jq .` prints it readably).
fn listing_json<T: Serialize>(
    stamp: BuildStamp,
    name: &'static str,
    records: Records<T>,
) -> Vec<u8> {
    struct Listing<'a, T>(BuildStamp<'a>, &'static str, Records<'a, T>);
    impl<T: Serialize> Serialize for Listing<'_, T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(4))?;
            map.serialize_entry("format_version", &FORMAT_VERSION)?;
            map.serialize_entry("generated", &self.0)?;
            map.serialize_entry("count", &self.2 .0)?;
            map.serialize_entry(self.1, &self.2)?;
            map.end()
        }
    }
    let doc = Listing(stamp, name, records);
    serde_json::to_vec(&doc).expect("json serialises")
}

/// A list serialised one record at a time: the whole list never exists in memory at once.
struct Records<'a, T>(usize, &'a (dyn Fn(usize) -> T + Sync));

impl<T: Serialize> Serialize for Records<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0))?;
        for i in 0..self.0 {
            seq.serialize_element(&(self.1)(i))?;
        }
        seq.end()
    }
}

/// `changes.json`.
pub(super) fn changes_json(c: &Changes, site: &SiteInfo) -> Vec<u8> {
    let doc = json!({"format_version": FORMAT_VERSION, "generated": site.stamp(), "baseline": c.baseline,
        "baseline_build_time": c.baseline_time, "baseline_commit": c.baseline_commit,
        "count": c.changes.len(), "changes": c.changes});
    serde_json::to_vec_pretty(&doc).expect("json serialises")
}
