//! The two kinds of definition. How they are read from GitLab's old and new YAML shapes is
//! `load::shapes`; here is what they are.
//!
//! The typed fields are what the site groups and filters by; every original field is kept in
//! `fields` so pages and exports show it as written.

use serde_json::{Map, Value};

/// A YAML file that may hold a definition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// Absolute or as-given path used for reading.
    pub path: std::path::PathBuf,
    /// Path relative to its definitions root, with `/` separators (used for source links).
    pub rel: String,
    /// The file lives in a `removed/` folder.
    pub in_removed_dir: bool,
}

/// A Service Ping metric.
#[derive(Debug, Clone)]
pub struct Metric {
    pub key_path: String,
    pub description: String,
    /// Product group, normalised (`group::code review` → `code_review`).
    pub group: Option<String>,
    pub product_categories: Vec<String>,
    pub status: String,
    pub removed: bool,
    /// `7d`, `28d`, `all`, `none`; several when `time_frame` is a list.
    pub time_frames: Vec<String>,
    pub data_source: Option<String>,
    pub data_category: String,
    pub tiers: Vec<String>,
    pub distributions: Vec<String>,
    pub milestone: Option<String>,
    pub milestone_removed: Option<String>,
    pub performance_indicators: Vec<String>,
    pub value_type: Option<String>,
    /// Events this metric counts (`events: [{name, unique}]`).
    pub events: Vec<MetricEvent>,
    pub introduced_by_url: Option<String>,
    pub removed_by_url: Option<String>,
    pub repair_issue_url: Option<String>,
    pub source: SourceFile,
    /// Every field as written in the file, in file order.
    pub fields: Map<String, Value>,
    /// Hash of the file's path and text: equal versions mean an identical definition.
    pub version: u64,
}

/// One entry of a metric's `events:` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricEvent {
    pub name: String,
    pub unique: Option<String>,
}

/// An internal event or a legacy Snowplow event.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: String,
    /// Snowplow category; `None` for internal events.
    pub category: Option<String>,
    pub internal: bool,
    pub description: String,
    pub identifiers: Vec<String>,
    /// Additional properties, including legacy `label/property/value_description` and
    /// `extra_properties`, in file order.
    pub properties: Vec<Property>,
    pub classification: Option<String>,
    pub service_name: String,
    pub group: Option<String>,
    pub product_categories: Vec<String>,
    pub tiers: Vec<String>,
    pub distributions: Vec<String>,
    pub milestone: Option<String>,
    pub milestone_removed: Option<String>,
    pub status: String,
    pub removed: bool,
    pub introduced_by_url: Option<String>,
    pub removed_by_url: Option<String>,
    pub source: SourceFile,
    pub fields: Map<String, Value>,
    /// Hash of the file's path and text.
    pub version: u64,
}

/// An event's additional property.
#[derive(Debug, Clone)]
pub struct Property {
    pub name: String,
    pub description: Option<String>,
    /// The property's full definition when it has more than a description (type, enum, …).
    pub details: Option<Value>,
}

impl Event {
    /// The identity of an event: its action, or `category/action` for a legacy Snowplow event
    /// (GitLab has several legacy events sharing an action such as `create`).
    pub fn id(&self) -> String {
        match (&self.category, self.internal) {
            (Some(c), false) if !c.is_empty() => format!("{c}/{}", self.action),
            _ => self.action.clone(),
        }
    }

    /// The category shown in tables; internal events are shown as GitLab shows them.
    pub fn display_category(&self) -> String {
        match &self.category {
            Some(c) if !c.is_empty() => c.clone(),
            _ if self.internal => "InternalEventsTracking".to_string(),
            _ => String::new(),
        }
    }
}

impl Metric {
    /// Key paths as they appear in the Service Ping payload: one per time frame, with GitLab's
    /// `_weekly` (7d) and `_monthly` (28d) suffixes when `time_frame` is a list.
    pub fn expanded_key_paths(&self) -> Vec<String> {
        if self.time_frames.len() <= 1 {
            return vec![self.key_path.clone()];
        }
        self.time_frames
            .iter()
            .map(|tf| match tf.as_str() {
                "7d" => format!("{}_weekly", self.key_path),
                "28d" => format!("{}_monthly", self.key_path),
                _ => self.key_path.clone(),
            })
            .collect()
    }
}

/// A parsed file is a metric, an event, or neither.
#[derive(Debug, Clone)]
pub enum Definition {
    // Shared, so the catalog and the dev server's cache hold one copy of each definition.
    Metric(std::sync::Arc<Metric>),
    Event(std::sync::Arc<Event>),
}

/// Identifiers GitLab events may carry.
pub const KNOWN_IDENTIFIERS: [&str; 4] = [
    "user",
    "project",
    "namespace",
    "feature_enabled_by_namespace_ids",
];

/// Normalise a product group name: old files write `group::code review`, new ones `code_review`.
pub fn normalize_group(g: &str) -> String {
    let g = g.trim();
    let g = g.strip_prefix("group::").unwrap_or(g);
    g.trim().to_lowercase().replace([' ', '-'], "_")
}
/// The jq path of a key path in the Service Ping payload: `.counts.merge_requests`, with
/// segments that are not plain identifiers quoted (`.["a-b"]`).
pub fn payload_jq_path(key_path: &str) -> String {
    key_path
        .split('.')
        .map(|seg| {
            let plain = !seg.is_empty()
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !seg.starts_with(|c: char| c.is_ascii_digit());
            if plain {
                format!(".{seg}")
            } else {
                format!(".[{}]", serde_json::to_string(seg).unwrap_or_default())
            }
        })
        .collect()
}
