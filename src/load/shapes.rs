//! GitLab's definition shapes, old and new, read tolerantly into the model's [`Metric`] and
//! [`Event`].
//!
//! Classification is by content: a `key_path` makes a metric, an `action` an event. Old and new
//! spellings are merged (`tier`/`tiers`, `distribution(s)`, legacy `*_description` properties,
//! `group::name` product groups).

use super::parse::Document;
use crate::model::counts::is_removed;
use crate::model::definition::{
    normalize_group, Definition, Event, Metric, MetricEvent, Property, KNOWN_IDENTIFIERS,
};
use serde_json::{Map, Value};

/// Classify and read a parsed document. `None` when it has neither `key_path` nor `action`
/// (the validator reports that).
pub fn from_document(doc: &Document) -> Option<Definition> {
    let f = &doc.fields;
    if let Some(key_path) = text(f, "key_path") {
        return Some(Definition::Metric(std::sync::Arc::new(metric(
            doc, key_path,
        ))));
    }
    if let Some(action) = text(f, "action") {
        return Some(Definition::Event(std::sync::Arc::new(event(doc, action))));
    }
    None
}

fn metric(doc: &Document, key_path: String) -> Metric {
    let f = &doc.fields;
    let status = status(f, doc.file.in_removed_dir);
    Metric {
        key_path,
        description: text(f, "description").unwrap_or_default(),
        group: group(f),
        product_categories: product_categories(f),
        removed: is_removed(&status),
        status,
        time_frames: lower_list(f, &["time_frame"]),
        data_source: text(f, "data_source").map(|s| s.to_lowercase()),
        // GitLab's documented default when the field is absent.
        data_category: text(f, "data_category")
            .map(|s| s.to_lowercase())
            .unwrap_or_else(|| "optional".to_string()),
        tiers: lower_list(f, &["tiers", "tier"]),
        distributions: lower_list(f, &["distributions", "distribution"]),
        milestone: text(f, "milestone"),
        milestone_removed: text(f, "milestone_removed"),
        performance_indicators: lower_list(f, &["performance_indicator_type"]),
        value_type: text(f, "value_type").map(|s| s.to_lowercase()),
        events: metric_events(f),
        introduced_by_url: text(f, "introduced_by_url"),
        removed_by_url: text(f, "removed_by_url"),
        repair_issue_url: text(f, "repair_issue_url"),
        source: doc.file.clone(),
        fields: f.clone(),
        version: version(doc),
    }
}

fn event(doc: &Document, action: String) -> Event {
    let f = &doc.fields;
    let status = status(f, doc.file.in_removed_dir);
    let properties = properties(f);
    let mut identifiers = lower_list(f, &["identifiers"]);
    // Newer definitions may list identifiers among additional_properties.
    for p in &properties {
        let name = p.name.to_lowercase();
        if KNOWN_IDENTIFIERS.contains(&name.as_str()) && !identifiers.contains(&name) {
            identifiers.push(name);
        }
    }
    Event {
        action,
        category: text(f, "category"),
        internal: matches!(f.get("internal_events"), Some(Value::Bool(true))),
        description: text(f, "description").unwrap_or_default(),
        identifiers,
        properties,
        classification: text(f, "classification").map(|s| s.to_lowercase()),
        service_name: text(f, "service_name")
            .or_else(|| text(f, "serviceName"))
            .unwrap_or_else(|| "GitLab".to_string()),
        group: group(f),
        product_categories: product_categories(f),
        tiers: lower_list(f, &["tiers", "tier"]),
        distributions: lower_list(f, &["distributions", "distribution"]),
        milestone: text(f, "milestone"),
        milestone_removed: text(f, "milestone_removed"),
        removed: is_removed(&status),
        status,
        introduced_by_url: text(f, "introduced_by_url"),
        removed_by_url: text(f, "removed_by_url"),
        source: doc.file.clone(),
        fields: f.clone(),
        version: version(doc),
    }
}

fn version(doc: &Document) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    doc.file.rel.hash(&mut h);
    doc.source.hash(&mut h);
    h.finish()
}

/// A scalar field as trimmed text; `None` when absent, null or empty.
pub fn text(f: &Map<String, Value>, name: &str) -> Option<String> {
    let s = match f.get(name)? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// A list field (or a single scalar, or a comma-free flow list), lower-cased, de-duplicated,
/// merged over several alternative names (`tiers` and legacy `tier`).
fn lower_list(f: &Map<String, Value>, names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let items: Vec<String> = match f.get(*name) {
            Some(Value::Array(a)) => a.iter().filter_map(scalar_text).collect(),
            Some(v) => scalar_text(v).into_iter().collect(),
            None => Vec::new(),
        };
        for item in items {
            let item = item.to_lowercase();
            if !item.is_empty() && !out.contains(&item) {
                out.push(item);
            }
        }
    }
    out
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn status(f: &Map<String, Value>, in_removed_dir: bool) -> String {
    match text(f, "status").map(|s| s.to_lowercase()) {
        Some(s) => s,
        None if in_removed_dir => "removed".to_string(),
        None => "active".to_string(),
    }
}

fn group(f: &Map<String, Value>) -> Option<String> {
    text(f, "product_group")
        .map(|g| normalize_group(&g))
        .filter(|g| !g.is_empty())
}

fn product_categories(f: &Map<String, Value>) -> Vec<String> {
    lower_list(f, &["product_categories", "product_category"])
}

fn metric_events(f: &Map<String, Value>) -> Vec<MetricEvent> {
    let Some(Value::Array(items)) = f.get("events") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(MetricEvent {
                name: s.trim().to_string(),
                unique: None,
            }),
            Value::Object(m) => Some(MetricEvent {
                name: text(m, "name")?,
                unique: text(m, "unique"),
            }),
            _ => None,
        })
        .collect()
}

fn properties(f: &Map<String, Value>) -> Vec<Property> {
    let mut out: Vec<Property> = Vec::new();
    let mut add = |name: &str, v: &Value| {
        if out.iter().any(|p| p.name == name) {
            return;
        }
        let (description, details) = match v {
            Value::Object(m) => {
                let d = text(m, "description");
                let extra = m.keys().any(|k| k != "description");
                (d, extra.then(|| v.clone()))
            }
            Value::Null => (None, None),
            other => (scalar_text(other).filter(|s| !s.is_empty()), None),
        };
        out.push(Property {
            name: name.to_string(),
            description,
            details,
        });
    };
    if let Some(Value::Object(m)) = f.get("additional_properties") {
        for (k, v) in m {
            add(k, v);
        }
    }
    // Legacy shape: label/property/value descriptions and extra_properties.
    for (field, name) in [
        ("label_description", "label"),
        ("property_description", "property"),
        ("value_description", "value"),
    ] {
        if let Some(d) = text(f, field) {
            add(name, &Value::String(d));
        }
    }
    if let Some(Value::Object(m)) = f.get("extra_properties") {
        for (k, v) in m {
            add(k, v);
        }
    }
    out
}
