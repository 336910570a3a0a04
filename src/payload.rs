//! "Check a payload": a Service Ping payload (the JSON an instance sends, as previewed in
//! Admin area → Usage statistics) flattened into key paths the way GitLab nests them, and
//! matched to the dictionary's metrics.
//!
//! GitLab builds the payload by splitting each metric's key path on `.` and deep-merging the
//! results (`key_path_processor.rb`); a metric with a time-frame list is reported once per
//! time frame, its key path suffixed `_weekly`/`_monthly` (`metric_definition.rb`), which are
//! exactly the metric's expanded key paths. So a payload is read by walking its objects and
//! stopping at the first path that names a definition (some metrics' values are objects) or
//! at a value that is not an object. `static/payload.js` does the same walk in the browser;
//! a test holds the two to the same answers.

use crate::model::catalog::Catalog;
use crate::model::record::MetricRecord;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How much of a payload is read before giving up.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the file (real payloads are a few hundred kilobytes).
    pub max_bytes: usize,
    /// Levels of nesting (real payloads nest five or six deep).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// Why a file is not a payload that can be checked.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the file is {size} bytes, more than the {limit}-byte limit for a payload")]
    TooLarge { size: usize, limit: usize },
    #[error("not JSON: {message} at line {line}, column {column}")]
    NotJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("nested more than {limit} levels deep{}", at.as_deref().map(|a| format!(" (at {a})")).unwrap_or_default())]
    TooDeep { limit: usize, at: Option<String> },
    #[error(
        "not a Service Ping payload: the top level is {found}, expected an object of key paths"
    )]
    NotAnObject { found: &'static str },
}

/// One value of the payload and what the dictionary says about it.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub key_path: String,
    pub value: Value,
    /// The matching definition, or `None` when the dictionary has none.
    pub definition: Option<Definition>,
}

/// What a payload reader needs to know of a definition.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Definition {
    /// The definition's key path as written (without a time-frame suffix).
    pub key_path: String,
    pub url: String,
    pub description: String,
    pub data_category: String,
    pub status: String,
}

/// Counts for one data category.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    /// Values in the payload defined in this category.
    pub values: usize,
    /// Active definitions in this category the payload does not carry.
    pub missing: usize,
}

/// A checked payload.
#[derive(Debug, Serialize)]
pub struct Checked {
    /// Every value, in payload order.
    pub values: Vec<Entry>,
    /// Key paths with no definition, in payload order.
    pub unknown: Vec<String>,
    /// Payload key paths of definitions with `status: active` that the payload does not carry.
    pub missing: Vec<Missing>,
    /// By data category (lower-case, as the dictionary files them).
    pub totals: BTreeMap<String, Totals>,
}

/// An active definition's key path absent from the payload.
#[derive(Debug, Serialize)]
pub struct Missing {
    pub key_path: String,
    pub definition: Definition,
}

/// Parse a payload file within `limits`.
pub fn parse(bytes: &[u8], limits: Limits) -> Result<Value, PayloadError> {
    if bytes.len() > limits.max_bytes {
        return Err(PayloadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json stops at 128 levels by itself, before the stack could.
        if e.to_string().starts_with("recursion limit exceeded") {
            return PayloadError::TooDeep {
                limit: limits.max_depth,
                at: Some(format!("line {}, column {}", e.line(), e.column())),
            };
        }
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        PayloadError::NotJson {
            message,
            line: e.line(),
            column: e.column(),
        }
    })?;
    if let Some(at) = too_deep(&value, limits.max_depth) {
        return Err(PayloadError::TooDeep {
            limit: limits.max_depth,
            at: Some(at),
        });
    }
    match value {
        Value::Object(_) => Ok(value),
        other => Err(PayloadError::NotAnObject {
            found: kind(&other),
        }),
    }
}

/// The key path of the first value nested deeper than `limit`, if any.
fn too_deep(v: &Value, limit: usize) -> Option<String> {
    let mut stack: Vec<(&Value, String, usize)> = vec![(v, String::new(), 0)];
    while let Some((v, path, depth)) = stack.pop() {
        if depth > limit {
            return Some(if path.is_empty() {
                "the top".into()
            } else {
                path
            });
        }
        let children: Box<dyn Iterator<Item = (String, &Value)>> = match v {
            Value::Object(m) => Box::new(m.iter().map(|(k, x)| (k.clone(), x))),
            Value::Array(a) => Box::new(a.iter().enumerate().map(|(i, x)| (i.to_string(), x))),
            _ => continue,
        };
        for (k, x) in children {
            let p = if path.is_empty() {
                k
            } else {
                format!("{path}.{k}")
            };
            stack.push((x, p, depth + 1));
        }
    }
    None
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Payload key path → definition: every metric's expanded key paths. Where several claim one,
/// a definition not removed wins, then the first in catalog order.
fn index(catalog: &Catalog) -> HashMap<String, (usize, Definition)> {
    let mut out: HashMap<String, (usize, Definition)> = HashMap::new();
    for i in 0..catalog.metrics.len() {
        let r = MetricRecord::of(catalog, i, "/");
        let def = Definition {
            key_path: r.key_path.to_string(),
            url: r.url.clone(),
            description: r.description.to_string(),
            data_category: r.data_category.to_string(),
            status: r.status.to_string(),
        };
        for kp in r.key_paths {
            let better = match out.get(&kp) {
                None => true,
                Some((_, d)) => d.status == "removed" && def.status != "removed",
            };
            if better {
                out.insert(kp, (i, def.clone()));
            }
        }
    }
    out
}

/// Match a parsed payload (see [`parse`]) to the catalog.
pub fn check(payload: &Value, catalog: &Catalog) -> Checked {
    let index = index(catalog);
    let mut values = Vec::new();
    walk(payload, String::new(), &index, &mut values);
    let unknown: Vec<String> = values
        .iter()
        .filter(|e| e.definition.is_none())
        .map(|e| e.key_path.clone())
        .collect();
    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    for e in &values {
        if let Some(d) = &e.definition {
            totals.entry(d.data_category.clone()).or_default().values += 1;
        }
    }
    let present: HashSet<&str> = values.iter().map(|e| e.key_path.as_str()).collect();
    let mut missing = Vec::new();
    for i in 0..catalog.metrics.len() {
        let m = &catalog.metrics[i];
        if m.status != "active" {
            continue;
        }
        for kp in m.expanded_key_paths() {
            let Some((owner, def)) = index.get(&kp) else {
                continue;
            };
            if *owner == i && !present.contains(kp.as_str()) {
                totals.entry(def.data_category.clone()).or_default().missing += 1;
                missing.push(Missing {
                    key_path: kp,
                    definition: def.clone(),
                });
            }
        }
    }
    Checked {
        values,
        unknown,
        missing,
        totals,
    }
}

/// Walk a payload: stop at a path that names a definition, else descend into non-empty
/// objects; anything else is a value without a definition.
fn walk(
    v: &Value,
    path: String,
    index: &HashMap<String, (usize, Definition)>,
    out: &mut Vec<Entry>,
) {
    if !path.is_empty() {
        if let Some((_, d)) = index.get(&path) {
            out.push(Entry {
                key_path: path,
                value: v.clone(),
                definition: Some(d.clone()),
            });
            return;
        }
    }
    match v {
        Value::Object(m) if !m.is_empty() || path.is_empty() => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(x, p, index, out);
            }
        }
        _ => out.push(Entry {
            key_path: path,
            value: v.clone(),
            definition: None,
        }),
    }
}
