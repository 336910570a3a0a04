//! What changed since a baseline: the current definitions' records compared with a
//! baseline's (`metrics.json`/`events.json` of an earlier build, however `build` obtained
//! them). This is the legal review's "since my last review".

use crate::model::catalog::{Catalog, DefinitionKind};
use crate::model::changes::{Change, ChangeKind, Changes, Facts};
use crate::model::layout;
use crate::model::order::today_tiers;
use crate::model::record::{EventRecord, MetricRecord};
use serde_json::Value;
use std::collections::BTreeMap;

/// Normalised records by id: what the comparison reads from either side.
type Records = BTreeMap<String, Value>;

fn records(json: &Value, list: &str, key: fn(&Value) -> Option<String>) -> Records {
    json[list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| Some((key(r)?, r.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn metric_key(r: &Value) -> Option<String> {
    r["key_path"].as_str().map(str::to_string)
}

/// An event's identity, read from its fields rather than from `id`: the action for an internal
/// event, category and action for a legacy one (as `Event::id`). Downloads of any release match
/// however they spell `id` for people; a record without the fields falls back to its `id`.
fn event_key(r: &Value) -> Option<String> {
    let Some(action) = r["action"].as_str() else {
        return r["id"].as_str().map(str::to_string);
    };
    let internal = r["internal_events"].as_bool().unwrap_or(false);
    Some(match r["category"].as_str() {
        Some(c) if !internal && !c.is_empty() => format!("{c}/{action}"),
        _ => action.to_string(),
    })
}

/// How a change names its definition: the record's own `id` (events) or key path.
fn shown_id(r: &Value, key: &str) -> String {
    r["id"]
        .as_str()
        .or_else(|| r["key_path"].as_str())
        .unwrap_or(key)
        .to_string()
}

/// Declared tiers as the tiers of today they stand for, as a set: a different order, a legacy
/// name for the same tier (`silver` for `premium`) or a list written as text is no change.
fn tier_set(v: &Value) -> Vec<String> {
    let declared: Vec<String> = match v {
        Value::String(s) => s
            .split([',', ';', ' '])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        other => list(other),
    };
    let mut today: Vec<String> = today_tiers(&declared)
        .into_iter()
        .map(str::to_string)
        .collect();
    today.sort();
    today
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default()
}

/// `user, project (+project; −namespace)`: the identifiers after, with what was added and removed.
fn identifiers_delta(before: &[String], after: &[String]) -> String {
    let added: Vec<&str> = after
        .iter()
        .filter(|i| !before.contains(i))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = before
        .iter()
        .filter(|i| !after.contains(i))
        .map(String::as_str)
        .collect();
    let mut what = Vec::new();
    if !added.is_empty() {
        what.push(format!("+{}", added.join(", +")));
    }
    if !removed.is_empty() {
        what.push(format!("−{}", removed.join(", −")));
    }
    format!("{} ({})", after.join(", "), what.join("; "))
}

/// The changes of one definition present on both sides.
fn changed(kind: DefinitionKind, b: &Value, a: &Value) -> Vec<(ChangeKind, String, String)> {
    let mut out = Vec::new();
    if kind == DefinitionKind::Metric && b["data_category"] != a["data_category"] {
        out.push((
            ChangeKind::Recategorised,
            text(&b["data_category"]),
            text(&a["data_category"]),
        ));
    }
    if tier_set(&b["tiers"]) != tier_set(&a["tiers"]) {
        out.push((ChangeKind::Tiers, text(&b["tiers"]), text(&a["tiers"])));
    }
    if kind == DefinitionKind::Event {
        let (bi, ai) = (list(&b["identifiers"]), list(&a["identifiers"]));
        if bi != ai {
            out.push((
                ChangeKind::Identifiers,
                bi.join(", "),
                identifiers_delta(&bi, &ai),
            ));
        }
        if b["classification"] != a["classification"] {
            out.push((
                ChangeKind::Classification,
                text(&b["classification"]),
                text(&a["classification"]),
            ));
        }
    }
    if b["status"] != a["status"] {
        out.push((ChangeKind::Status, text(&b["status"]), text(&a["status"])));
    }
    if b["description"] != a["description"] {
        out.push((
            ChangeKind::Description,
            text(&b["description"]),
            text(&a["description"]),
        ));
    }
    out
}

/// What a record collects (see [`Facts`]).
fn facts(r: &Value) -> Facts {
    let some = |v: &Value| Some(text(v)).filter(|s| !s.is_empty());
    Facts {
        data_category: some(&r["data_category"]),
        tiers: list(&r["tiers"]),
        identifiers: list(&r["identifiers"]),
        classification: some(&r["classification"]),
    }
}

fn diff(
    kind: DefinitionKind,
    before: &Records,
    after: &Records,
    urls: &BTreeMap<String, String>,
    out: &mut Vec<Change>,
) {
    let mut push = |key: &str, r: &Value, change: ChangeKind, b: String, a: String, facts| {
        out.push(Change {
            kind,
            id: shown_id(r, key),
            change,
            before: b,
            after: a,
            url: urls.get(key).cloned(),
            facts,
        });
    };
    for (id, a) in after {
        match before.get(id) {
            None => push(
                id,
                a,
                ChangeKind::Added,
                String::new(),
                text(&a["description"]),
                facts(a),
            ),
            Some(b) => {
                for (change, was, is) in changed(kind, b, a) {
                    push(id, a, change, was, is, Facts::default());
                }
            }
        }
    }
    for (id, b) in before {
        if !after.contains_key(id) {
            push(
                id,
                b,
                ChangeKind::Removed,
                text(&b["description"]),
                String::new(),
                facts(b),
            );
        }
    }
}

/// Compare the current catalog (for a site under `base`) with a baseline's downloads:
/// `old_metrics` and `old_events` are the parsed `metrics.json` and `events.json`.
pub fn compare(
    label: String,
    old_metrics: &Value,
    old_events: &Value,
    current: &Catalog,
    base: &str,
) -> Changes {
    let mut cur_m = Records::new();
    let mut urls = BTreeMap::new();
    for i in 0..current.metrics.len() {
        let r =
            serde_json::to_value(MetricRecord::of(current, i, base)).expect("records serialise");
        let id = current.metrics[i].key_path.clone();
        urls.insert(id.clone(), layout::metric_url(&current.metric_slugs[i]));
        cur_m.insert(id, r);
    }
    let mut cur_e = Records::new();
    let mut event_urls = BTreeMap::new();
    for i in 0..current.events.len() {
        let r = serde_json::to_value(EventRecord::of(current, i, base)).expect("records serialise");
        let Some(key) = event_key(&r) else { continue };
        event_urls.insert(key.clone(), layout::event_url(&current.event_slugs[i]));
        cur_e.insert(key, r);
    }
    let mut changes = Vec::new();
    diff(
        DefinitionKind::Metric,
        &records(old_metrics, "metrics", metric_key),
        &cur_m,
        &urls,
        &mut changes,
    );
    diff(
        DefinitionKind::Event,
        &records(old_events, "events", event_key),
        &cur_e,
        &event_urls,
        &mut changes,
    );
    changes.sort_by(|a, b| {
        (a.kind.as_str(), a.change.as_str(), &a.id).cmp(&(
            b.kind.as_str(),
            b.change.as_str(),
            &b.id,
        ))
    });
    Changes {
        baseline: label,
        baseline_time: old_metrics["generated"]["build_time"]
            .as_str()
            .map(str::to_string),
        baseline_commit: old_metrics["generated"]["commit"]
            .as_str()
            .map(str::to_string),
        changes,
    }
}
