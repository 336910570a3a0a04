//! Downloads: `metrics.json`, `metrics.csv`, `events.json`, `events.csv`, and `sitemap.xml`.
//!
//! Each download carries the build stamp (build time, source commit) so a reviewer can tell
//! which state of the dictionary a file describes.

use crate::catalog::Catalog;
use crate::definition::{Event, Metric};
use crate::render::SiteInfo;
use serde::Serialize;
use serde_json::{json, Value};

/// Normalised metric record as exported (and read back by `--baseline`).
pub fn metric_json(c: &Catalog, i: usize, site: &SiteInfo) -> Value {
    serde_json::to_value(metric_record(c, i, site)).expect("records serialise")
}

/// Normalised event record as exported.
pub fn event_json(c: &Catalog, i: usize, site: &SiteInfo) -> Value {
    serde_json::to_value(event_record(c, i, site)).expect("records serialise")
}

/// A metric's exported record, borrowing from the catalog: the downloads serialise it straight
/// to JSON, without first copying the whole definition into a JSON value.
#[derive(Serialize)]
struct MetricRecord<'a> {
    key_path: &'a str,
    key_paths: Vec<String>,
    description: &'a str,
    product_group: &'a Option<String>,
    product_categories: &'a [String],
    data_category: &'a str,
    status: &'a str,
    time_frame: &'a [String],
    data_source: &'a Option<String>,
    value_type: &'a Option<String>,
    tiers: &'a [String],
    milestone: &'a Option<String>,
    milestone_removed: &'a Option<String>,
    performance_indicator_type: &'a [String],
    events: Vec<MetricEventRecord<'a>>,
    introduced_by_url: &'a Option<String>,
    removed_by_url: &'a Option<String>,
    url: String,
    source_path: &'a str,
    definition: &'a serde_json::Map<String, Value>,
}

#[derive(Serialize)]
struct MetricEventRecord<'a> {
    name: &'a str,
    unique: &'a Option<String>,
}

fn metric_record<'a>(c: &'a Catalog, i: usize, site: &SiteInfo) -> MetricRecord<'a> {
    let m: &Metric = &c.metrics[i];
    MetricRecord {
        key_path: &m.key_path,
        key_paths: m.expanded_key_paths(),
        description: &m.description,
        product_group: &m.group,
        product_categories: &m.product_categories,
        data_category: &m.data_category,
        status: &m.status,
        time_frame: &m.time_frames,
        data_source: &m.data_source,
        value_type: &m.value_type,
        tiers: &m.tiers,
        milestone: &m.milestone,
        milestone_removed: &m.milestone_removed,
        performance_indicator_type: &m.performance_indicators,
        events: m
            .events
            .iter()
            .map(|e| MetricEventRecord {
                name: &e.name,
                unique: &e.unique,
            })
            .collect(),
        introduced_by_url: &m.introduced_by_url,
        removed_by_url: &m.removed_by_url,
        url: format!("{}metrics/{}/", site.base, c.metric_slugs[i]),
        source_path: &m.source.rel,
        definition: &m.fields,
    }
}

/// An event's exported record (see [`MetricRecord`]).
#[derive(Serialize)]
struct EventRecord<'a> {
    id: String,
    action: &'a str,
    category: String,
    internal_events: bool,
    description: &'a str,
    identifiers: &'a [String],
    additional_properties: Vec<PropertyRecord<'a>>,
    classification: &'a Option<String>,
    service_name: &'a str,
    product_group: &'a Option<String>,
    product_categories: &'a [String],
    tiers: &'a [String],
    milestone: &'a Option<String>,
    milestone_removed: &'a Option<String>,
    status: &'a str,
    introduced_by_url: &'a Option<String>,
    removed_by_url: &'a Option<String>,
    metrics: Vec<&'a str>,
    url: String,
    source_path: &'a str,
    definition: &'a serde_json::Map<String, Value>,
}

#[derive(Serialize)]
struct PropertyRecord<'a> {
    name: &'a str,
    description: &'a Option<String>,
}

fn event_record<'a>(c: &'a Catalog, i: usize, site: &SiteInfo) -> EventRecord<'a> {
    let e: &Event = &c.events[i];
    EventRecord {
        id: e.id(),
        action: &e.action,
        category: e.display_category(),
        internal_events: e.internal,
        description: &e.description,
        identifiers: &e.identifiers,
        additional_properties: e
            .properties
            .iter()
            .map(|p| PropertyRecord {
                name: &p.name,
                description: &p.description,
            })
            .collect(),
        classification: &e.classification,
        service_name: &e.service_name,
        product_group: &e.group,
        product_categories: &e.product_categories,
        tiers: &e.tiers,
        milestone: &e.milestone,
        milestone_removed: &e.milestone_removed,
        status: &e.status,
        introduced_by_url: &e.introduced_by_url,
        removed_by_url: &e.removed_by_url,
        metrics: c.event_metrics[i]
            .iter()
            .map(|&mi| c.metrics[mi].key_path.as_str())
            .collect(),
        url: format!("{}events/{}/", site.base, c.event_slugs[i]),
        source_path: &e.source.rel,
        definition: &e.fields,
    }
}

fn stamp(site: &SiteInfo) -> Value {
    json!({"build_time": site.build_time, "commit": site.commit})
}

/// `metrics.json`: `{ "generated": {build_time, commit}, "count", "metrics": [...] }`.
pub fn metrics_json(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    listing_json(
        site,
        "metrics",
        Records(c.metrics.len(), &|i| metric_record(c, i, site)),
    )
}

/// `events.json`, same shape as `metrics.json`.
pub fn events_json(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    listing_json(
        site,
        "events",
        Records(c.events.len(), &|i| event_record(c, i, site)),
    )
}

/// `{ "generated", "count", <name>: [records] }`, pretty-printed.
fn listing_json<T: Serialize>(site: &SiteInfo, name: &'static str, records: Records<T>) -> Vec<u8> {
    struct Listing<'a, T>(Value, &'static str, Records<'a, T>);
    impl<T: Serialize> Serialize for Listing<'_, T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(3))?;
            map.serialize_entry("generated", &self.0)?;
            map.serialize_entry("count", &self.2 .0)?;
            map.serialize_entry(self.1, &self.2)?;
            map.end()
        }
    }
    let doc = Listing(stamp(site), name, records);
    serde_json::to_vec_pretty(&doc).expect("json serialises")
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

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("write to memory");
    for r in rows {
        w.write_record(&r).expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

/// `metrics.csv`: one row per metric; list values joined with `;`; the stamp in the last two
/// columns (CSV has no place for metadata that every reader skips).
pub fn metrics_csv(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    let header = [
        "key_path",
        "description",
        "product_group",
        "data_category",
        "status",
        "time_frame",
        "data_source",
        "tiers",
        "milestone",
        "milestone_removed",
        "performance_indicator_type",
        "value_type",
        "events",
        "introduced_by_url",
        "url",
        "source_path",
        "build_time",
        "commit",
    ];
    let rows = c.metrics.iter().enumerate().map(|(i, m)| {
        vec![
            m.key_path.clone(),
            m.description.clone(),
            m.group.clone().unwrap_or_default(),
            m.data_category.clone(),
            m.status.clone(),
            m.time_frames.join(";"),
            m.data_source.clone().unwrap_or_default(),
            m.tiers.join(";"),
            m.milestone.clone().unwrap_or_default(),
            m.milestone_removed.clone().unwrap_or_default(),
            m.performance_indicators.join(";"),
            m.value_type.clone().unwrap_or_default(),
            m.events
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            m.introduced_by_url.clone().unwrap_or_default(),
            format!("{}metrics/{}/", site.base, c.metric_slugs[i]),
            m.source.rel.clone(),
            site.build_time.clone(),
            site.commit.clone().unwrap_or_default(),
        ]
    });
    csv_bytes(&header, rows)
}

/// `events.csv`.
pub fn events_csv(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    let header = [
        "id",
        "action",
        "category",
        "description",
        "identifiers",
        "additional_properties",
        "classification",
        "service_name",
        "product_group",
        "tiers",
        "milestone",
        "status",
        "introduced_by_url",
        "url",
        "source_path",
        "build_time",
        "commit",
    ];
    let rows = c.events.iter().enumerate().map(|(i, e)| {
        vec![
            e.id(),
            e.action.clone(),
            e.display_category(),
            e.description.clone(),
            e.identifiers.join(";"),
            e.properties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            e.classification.clone().unwrap_or_default(),
            e.service_name.clone(),
            e.group.clone().unwrap_or_default(),
            e.tiers.join(";"),
            e.milestone.clone().unwrap_or_default(),
            e.status.clone(),
            e.introduced_by_url.clone().unwrap_or_default(),
            format!("{}events/{}/", site.base, c.event_slugs[i]),
            e.source.rel.clone(),
            site.build_time.clone(),
            site.commit.clone().unwrap_or_default(),
        ]
    });
    csv_bytes(&header, rows)
}

/// `sitemap.xml` for the given HTML page paths. `origin` is `https://host` (may be empty, then
/// locations are root-relative and the sitemap is only useful behind a known host).
pub fn sitemap(origin: &str, base: &str, page_paths: &[&str]) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for p in page_paths {
        let url = p.strip_suffix("index.html").unwrap_or(p);
        out.push_str("  <url><loc>");
        out.push_str(&xml_escape(&format!("{origin}{base}{url}")));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `changes.json` and `changes.csv`: the comparison with the baseline, stamped.
pub fn changes(c: &crate::changes::Changes, site: &SiteInfo) -> Vec<crate::render::Page> {
    let doc = json!({"generated": stamp(site), "baseline": c.baseline, "baseline_build_time": c.baseline_time,
        "baseline_commit": c.baseline_commit, "count": c.changes.len(), "changes": c.changes});
    let json_bytes = serde_json::to_vec_pretty(&doc).expect("json serialises");
    let rows = c.changes.iter().map(|ch| {
        vec![
            ch.kind.to_string(),
            ch.id.clone(),
            ch.change.to_string(),
            ch.before.clone(),
            ch.after.clone(),
            ch.url
                .as_ref()
                .map(|u| format!("{}{u}", site.base))
                .unwrap_or_default(),
            c.baseline.clone(),
            site.build_time.clone(),
            site.commit.clone().unwrap_or_default(),
        ]
    });
    let csv = csv_bytes(
        &[
            "kind",
            "id",
            "change",
            "before",
            "after",
            "url",
            "baseline",
            "build_time",
            "commit",
        ],
        rows,
    );
    vec![
        crate::render::Page {
            path: "changes.json".into(),
            content: json_bytes.into(),
        },
        crate::render::Page {
            path: "changes.csv".into(),
            content: csv.into(),
        },
    ]
}
