//! The one typed view of a definition that everything else projects: the downloads serialise
//! it, the CSV and search documents read its fields, table rows are made from it, and the
//! comparison with a baseline compares it. It borrows from the catalog, so making one copies
//! nothing but the page URL and the expanded key paths.

use super::catalog::Catalog;
use super::definition::{Event, Metric};
use super::layout;
use serde::Serialize;
use serde_json::Value;

/// The version of the downloads' format (`format_version` in `metrics.json`, `events.json`
/// and `changes.json`). Round one's downloads carry none: they are version 1. Raise it when a
/// field changes meaning or shape (adding a field does not); `--baseline` reads every version
/// up to this one.
pub const FORMAT_VERSION: u64 = 2;

/// The format version of a parsed download: 1 when it carries none (round one).
pub fn format_version(download: &Value) -> u64 {
    download["format_version"].as_u64().unwrap_or(1)
}

/// A metric's exported record, borrowing from the catalog: the downloads serialise it straight
/// to JSON, without first copying the whole definition into a JSON value.
#[derive(Serialize)]
pub struct MetricRecord<'a> {
    pub key_path: &'a str,
    pub key_paths: Vec<String>,
    pub description: &'a str,
    pub product_group: &'a Option<String>,
    pub product_categories: &'a [String],
    pub data_category: &'a str,
    pub status: &'a str,
    pub time_frame: &'a [String],
    pub data_source: &'a Option<String>,
    pub value_type: &'a Option<String>,
    pub tiers: &'a [String],
    pub milestone: &'a Option<String>,
    pub milestone_removed: &'a Option<String>,
    pub performance_indicator_type: &'a [String],
    pub events: Vec<MetricEventRecord<'a>>,
    pub introduced_by_url: &'a Option<String>,
    pub removed_by_url: &'a Option<String>,
    pub url: String,
    pub source_path: &'a str,
    pub definition: &'a serde_json::Map<String, Value>,
}

#[derive(Serialize)]
pub struct MetricEventRecord<'a> {
    pub name: &'a str,
    pub unique: &'a Option<String>,
}

impl<'a> MetricRecord<'a> {
    /// The record of metric `i` of the catalog, for a site under `base`.
    pub fn of(c: &'a Catalog, i: usize, base: &str) -> MetricRecord<'a> {
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
            url: layout::at_base(base, &layout::metric_url(&c.metric_slugs[i])),
            source_path: &m.source.rel,
            definition: &m.fields,
        }
    }
}

/// An event's exported record (see [`MetricRecord`]).
#[derive(Serialize)]
pub struct EventRecord<'a> {
    pub id: String,
    pub action: &'a str,
    pub category: String,
    pub internal_events: bool,
    pub description: &'a str,
    pub identifiers: &'a [String],
    pub additional_properties: Vec<PropertyRecord<'a>>,
    pub classification: &'a Option<String>,
    pub service_name: &'a str,
    pub product_group: &'a Option<String>,
    pub product_categories: &'a [String],
    pub tiers: &'a [String],
    pub milestone: &'a Option<String>,
    pub milestone_removed: &'a Option<String>,
    pub status: &'a str,
    pub introduced_by_url: &'a Option<String>,
    pub removed_by_url: &'a Option<String>,
    pub metrics: Vec<&'a str>,
    pub url: String,
    pub source_path: &'a str,
    pub definition: &'a serde_json::Map<String, Value>,
}

#[derive(Serialize)]
pub struct PropertyRecord<'a> {
    pub name: &'a str,
    pub description: &'a Option<String>,
}

impl<'a> EventRecord<'a> {
    /// The record of event `i` of the catalog, for a site under `base`.
    pub fn of(c: &'a Catalog, i: usize, base: &str) -> EventRecord<'a> {
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
            url: layout::at_base(base, &layout::event_url(&c.event_slugs[i])),
            source_path: &e.source.rel,
            definition: &e.fields,
        }
    }
}
