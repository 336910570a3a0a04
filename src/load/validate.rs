//! Rules a dictionary must follow: per-file field rules and cross-file rules.
//!
//! JSON-schema validation lives in [`super::schema`]; the rules here are the ones a schema
//! cannot express (uniqueness across files, references between files) and GitLab's lifecycle
//! rules, with the lenience the real data needs (see README, "Validation rules").

use super::parse::{kind_of, Document};
use super::shapes;
use crate::model::definition::Definition;
use crate::model::diagnostics::{At, Diagnostic, Diagnostics};
use crate::model::order::is_milestone;
use crate::model::register::Register;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde_json::Value;

/// Enum fields whose capitalised values (`Optional`) GitLab's tooling tolerates; we normalise
/// them and warn.
const CASE_FOLDED: [&str; 5] = [
    "data_category",
    "status",
    "data_source",
    "value_type",
    "time_frame",
];

/// Per-file rules. Returns the definition when the file is one.
pub fn check_document(doc: &Document, diags: &mut Diagnostics) -> Option<Definition> {
    let f = &doc.fields;
    let path = &doc.file.path;
    let here = |ptr: &str| At::value(ptr);
    for id_field in ["key_path", "action"] {
        if let Some(v) = f.get(id_field) {
            if !v.is_string() {
                diags.push(
                    Diagnostic::error(
                        "wrong-type",
                        path.clone(),
                        here(&format!("/{id_field}")),
                        format!("`{id_field}` must be a string"),
                    )
                    .found(kind_of(v))
                    .expected("a string")
                    .with_source(&doc.source),
                );
                return None;
            }
        }
    }
    let Some(def) = shapes::from_document(doc) else {
        diags.push(
            Diagnostic::error(
                "unknown-kind",
                path.clone(),
                here(""),
                "neither a metric nor an event",
            )
            .found(format!(
                "fields: {}",
                f.keys().take(8).cloned().collect::<Vec<_>>().join(", ")
            ))
            .expected("`key_path` (a metric) or `action` (an event)")
            .with_source(&doc.source),
        );
        return None;
    };

    case_folded(doc, diags);
    milestones(doc, diags);
    lifecycle(doc, diags);
    description_limits(doc, diags);
    Some(def)
}

/// Capitalised enum values (`Optional`): read lower-cased, with a warning.
fn case_folded(doc: &Document, diags: &mut Diagnostics) {
    let (f, path) = (&doc.fields, &doc.file.path);
    let here = |ptr: &str| At::value(ptr);
    for name in CASE_FOLDED {
        let values: Vec<(String, &Value)> = match f.get(name) {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("/{name}/{i}"), v))
                .collect(),
            Some(v) => vec![(format!("/{name}"), v)],
            None => Vec::new(),
        };
        for (ptr, v) in values {
            if let Value::String(s) = v {
                if s.chars().any(char::is_uppercase) {
                    diags.push(
                        Diagnostic::warning(
                            "enum-case",
                            path.clone(),
                            here(&ptr),
                            format!(
                                "`{name}` value is capitalised; read as `{}`",
                                s.to_lowercase()
                            ),
                        )
                        .found(s.clone())
                        .expected(s.to_lowercase())
                        .with_source(&doc.source),
                    );
                }
            }
        }
    }
}

/// `milestone` and `milestone_removed` are GitLab milestones.
fn milestones(doc: &Document, diags: &mut Diagnostics) {
    let (f, path) = (&doc.fields, &doc.file.path);
    let here = |ptr: &str| At::value(ptr);
    for name in ["milestone", "milestone_removed"] {
        if let Some(v) = f.get(name) {
            let ok = match v {
                Value::String(s) => is_milestone(s),
                Value::Null => true,
                _ => false,
            };
            if !ok {
                diags.push(
                    Diagnostic::error(
                        "milestone",
                        path.clone(),
                        here(&format!("/{name}")),
                        format!("`{name}` is not a GitLab milestone"),
                    )
                    .found(match v {
                        Value::String(s) => format!("{s:?}"),
                        other => other.to_string(),
                    })
                    .expected(
                        "MAJOR.MINOR, optionally prefixed with `<`, e.g. \"16.4\" or \"<13.9\"",
                    )
                    .with_source(&doc.source),
                );
            }
        }
    }
}

/// GitLab's lifecycle rules: a removed definition says when, a broken one links its fix.
fn lifecycle(doc: &Document, diags: &mut Diagnostics) {
    let (f, path) = (&doc.fields, &doc.file.path);
    let here = |ptr: &str| At::value(ptr);
    let status = shapes::text(f, "status").map(|s| s.to_lowercase());
    if status.as_deref() == Some("removed") && shapes::text(f, "milestone_removed").is_none() {
        diags.push(
            Diagnostic::error(
                "removed-without-milestone",
                path.clone(),
                here("/status"),
                "`status: removed` needs `milestone_removed`",
            )
            .expected("a `milestone_removed: \"X.Y\"` field")
            .with_source(&doc.source),
        );
    }
    if status.as_deref() == Some("broken") && shapes::text(f, "repair_issue_url").is_none() {
        diags.push(
            Diagnostic::error(
                "broken-without-repair-issue",
                path.clone(),
                here("/status"),
                "`status: broken` needs `repair_issue_url`",
            )
            .expected("a `repair_issue_url:` linking the issue that tracks the fix")
            .with_source(&doc.source),
        );
    }
}

/// Longest description, in bytes. GitLab's longest is about 2 KB.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;
/// Deepest nesting of block quotes, lists or brackets in a description. Real ones nest two or
/// three levels; the markdown parser's time grows with nesting, so a description within these
/// limits renders in bounded time (`benches/markdown.rs` shows the worst case).
pub const MAX_DESCRIPTION_NESTING: usize = 32;

/// How deeply a markdown text nests: block quotes (`>` markers) and list items (by indent)
/// on a line, and unclosed `[` brackets in a paragraph. A linear scan, run before anything
/// renders.
pub fn markdown_nesting(text: &str) -> usize {
    let mut deepest = 0;
    for line in text.lines() {
        let mut quotes = 0;
        let mut rest = line;
        loop {
            let t = rest.trim_start_matches(' ');
            match t.strip_prefix('>') {
                Some(r) if rest.len() - t.len() <= 3 => {
                    quotes += 1;
                    rest = r;
                }
                _ => break,
            }
        }
        let t = rest.trim_start();
        let indent = rest.len() - t.len();
        let list = t.starts_with(['-', '*', '+'])
            || t.split_once(['.', ')']).is_some_and(|(n, _)| {
                !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit())
            });
        deepest = deepest.max(quotes + if list { 1 + indent / 2 } else { 0 });
    }
    // Brackets: the unclosed `[` of one paragraph (inline parsing is per block; unclosed
    // brackets are what link resolution pays for).
    for block in text.split("\n\n") {
        let (mut open, mut escaped) = (0usize, false);
        for b in block.bytes() {
            match b {
                b'\\' if !escaped => {
                    escaped = true;
                    continue;
                }
                b'[' if !escaped => {
                    open += 1;
                    deepest = deepest.max(open);
                }
                b']' if !escaped => open = open.saturating_sub(1),
                _ => {}
            }
            escaped = false;
        }
    }
    deepest
}

/// A description is rendered as markdown on every build: its size and nesting are capped so
/// that whatever passes `check` builds in bounded time.
fn description_limits(doc: &Document, diags: &mut Diagnostics) {
    let Some(Value::String(text)) = doc.fields.get("description") else {
        return;
    };
    let path = &doc.file.path;
    if text.len() > MAX_DESCRIPTION_BYTES {
        diags.push(
            Diagnostic::error(
                "description-too-long",
                path.clone(),
                At::value("/description"),
                "the description is too long to publish",
            )
            .found(format!("{} bytes", text.len()))
            .expected(format!(
                "at most {MAX_DESCRIPTION_BYTES} bytes (64 KiB); link to longer documentation"
            )),
        );
        return;
    }
    let nesting = markdown_nesting(text);
    if nesting > MAX_DESCRIPTION_NESTING {
        diags.push(
            Diagnostic::error(
                "description-too-deep",
                path.clone(),
                At::value("/description"),
                "the description nests block quotes, lists or brackets too deeply to render",
            )
            .found(format!("{nesting} levels"))
            .expected(format!("at most {MAX_DESCRIPTION_NESTING} levels")),
        );
    }
}

/// Rules across files: duplicate identities, `events:` naming unknown events.
pub fn check_cross_file(defs: &[(&Document, &Definition)], diags: &mut Diagnostics) {
    let mut metric_seen: HashMap<&str, &Document> = HashMap::default();
    let mut event_seen: HashMap<String, &Document> = HashMap::default();
    let mut actions: HashSet<&str> = HashSet::default();
    for (doc, def) in defs {
        let (seen_in, id, field) = match def {
            Definition::Metric(m) => match metric_seen.get(m.key_path.as_str()) {
                Some(first) => (Some(*first), m.key_path.clone(), "key_path"),
                None => {
                    metric_seen.insert(&m.key_path, doc);
                    (None, String::new(), "")
                }
            },
            Definition::Event(e) => {
                actions.insert(&e.action);
                let id = e.id();
                match event_seen.get(&id) {
                    Some(first) => (Some(*first), id, "action"),
                    None => {
                        event_seen.insert(id, doc);
                        (None, String::new(), "")
                    }
                }
            }
        };
        if let Some(first) = seen_in {
            let rule = if field == "key_path" {
                "duplicate-key-path"
            } else {
                "duplicate-action"
            };
            diags.push(
                Diagnostic::error(
                    rule,
                    doc.file.path.clone(),
                    At::value(&format!("/{field}")),
                    format!(
                        "duplicate {field} `{id}`, also defined in {}",
                        first.file.path.display()
                    ),
                )
                .found(format!(
                    "{} and {}",
                    first.file.path.display(),
                    doc.file.path.display()
                ))
                .expected(format!("each {field} defined once"))
                .with_source(&doc.source)
                .also(
                    first.file.path.clone(),
                    first.spans().value(&format!("/{field}")),
                    &first.source,
                    "first defined here",
                ),
            );
        }
    }
    for (doc, def) in defs {
        if let Definition::Metric(m) = def {
            for (i, me) in m.events.iter().enumerate() {
                if !actions.contains(me.name.as_str()) {
                    diags.push(
                        Diagnostic::warning(
                            "unknown-event",
                            doc.file.path.clone(),
                            At::value(&format!("/events/{i}/name")),
                            format!(
                                "metric counts event `{}`, which no event definition declares",
                                me.name
                            ),
                        )
                        .expected("the `action` of an event definition")
                        .with_source(&doc.source),
                    );
                }
            }
        }
    }
}

/// Every identifier an event carries should be described in the privacy register.
pub fn check_register(
    defs: &[(&Document, &Definition)],
    register: &Register,
    diags: &mut Diagnostics,
) {
    for (doc, def) in defs {
        if let Definition::Event(e) = def {
            for (i, id) in e.identifiers.iter().enumerate() {
                if register.identifier(id).is_none() {
                    diags.push(
                        Diagnostic::warning(
                            "undocumented-identifier",
                            doc.file.path.clone(),
                            At::value(&format!("/identifiers/{i}")),
                            format!("identifier `{id}` is not described in identifiers.yml"),
                        )
                        .expected(format!("an entry `- name: {id}` in the privacy register"))
                        .with_source(&doc.source),
                    );
                }
            }
        }
    }
}
