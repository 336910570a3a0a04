//! The CSV downloads: one row per definition, list values joined with `;`, the build stamp in
//! the last two columns (CSV has no place for metadata that every reader skips).

use crate::model::catalog::Catalog;
use crate::model::changes::Changes;
use crate::model::layout;
use crate::model::record::{EventRecord, MetricRecord};
use crate::model::site::SiteInfo;

/// Columns of `metrics.csv`.
pub const METRIC_COLUMNS: [&str; 18] = [
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

/// Columns of `events.csv`.
pub const EVENT_COLUMNS: [&str; 17] = [
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

/// A cell as written to CSV. A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (or a
/// tab or carriage return before one) as a formula, so such a cell gets a leading `'`, as
/// OWASP recommends ("CSV Injection"); every other value is written exactly as it is.
/// `static/site.js` applies the same rule to "Export shown".
pub fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("write to memory");
    for r in rows {
        w.write_record(r.iter().map(|c| formula_safe(c).into_owned()))
            .expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// A metric's `metrics.csv` cells (without the stamp).
fn metric_cells(r: &MetricRecord) -> Vec<String> {
    let events: Vec<&str> = r.events.iter().map(|e| e.name).collect();
    vec![
        r.key_path.to_string(),
        r.description.to_string(),
        text(r.product_group),
        r.data_category.to_string(),
        r.status.to_string(),
        r.time_frame.join(";"),
        text(r.data_source),
        r.tiers.join(";"),
        text(r.milestone),
        text(r.milestone_removed),
        r.performance_indicator_type.join(";"),
        text(r.value_type),
        events.join(";"),
        text(r.introduced_by_url),
        r.url.clone(),
        r.source_path.to_string(),
    ]
}

/// An event's `events.csv` cells (without the stamp).
fn event_cells(r: &EventRecord) -> Vec<String> {
    let properties: Vec<&str> = r.additional_properties.iter().map(|p| p.name).collect();
    vec![
        r.id.clone(),
        r.action.to_string(),
        r.category.clone(),
        r.description.to_string(),
        r.identifiers.join(";"),
        properties.join(";"),
        text(r.classification),
        r.service_name.to_string(),
        text(r.product_group),
        r.tiers.join(";"),
        text(r.milestone),
        r.status.to_string(),
        text(r.introduced_by_url),
        r.url.clone(),
        r.source_path.to_string(),
    ]
}

fn stamped(mut cells: Vec<String>, site: &SiteInfo) -> Vec<String> {
    cells.push(site.build_time.clone());
    cells.push(site.commit.clone().unwrap_or_default());
    cells
}

/// `metrics.csv`.
pub fn metrics_csv(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    let rows = (0..c.metrics.len())
        .map(|i| stamped(metric_cells(&MetricRecord::of(c, i, &site.base)), site));
    csv_bytes(&METRIC_COLUMNS, rows)
}

/// `events.csv`.
pub fn events_csv(c: &Catalog, site: &SiteInfo) -> Vec<u8> {
    let rows =
        (0..c.events.len()).map(|i| stamped(event_cells(&EventRecord::of(c, i, &site.base)), site));
    csv_bytes(&EVENT_COLUMNS, rows)
}

/// `changes.csv`.
pub(super) fn changes_csv(c: &Changes, site: &SiteInfo) -> Vec<u8> {
    let rows = c.changes.iter().map(|ch| {
        stamped(
            vec![
                ch.kind.as_str().to_string(),
                ch.id.clone(),
                ch.change.as_str().to_string(),
                ch.before.clone(),
                ch.after.clone(),
                ch.url
                    .as_ref()
                    .map(|u| layout::at_base(&site.base, u))
                    .unwrap_or_default(),
                c.baseline.clone(),
            ],
            site,
        )
    });
    csv_bytes(
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
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        use super::formula_safe;
        for (cell, out) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("a = b", "a = b"),
            ("", ""),
            ("counts.x", "counts.x"),
        ] {
            assert_eq!(formula_safe(cell), out);
        }
    }
}
