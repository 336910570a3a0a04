//! Validation against GitLab's JSON schemas, with the real data's drift sorted into errors and
//! warnings (README, "Validation rules").
//!
//! A definitions tree that carries its own schemas (a GitLab checkout does) is validated against
//! those; otherwise against the built-in copies in `src/schema/`.

use super::discover::SchemaFiles;
use super::parse::{kind_of, pointer_segment, Document};
use crate::model::diagnostics::{At, Diagnostic, Diagnostics, Severity};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// GitLab's list of product groups, as the built-in metrics schema has it.
pub const BUILTIN_PRODUCT_GROUPS: &str = include_str!("schema/metrics/product_groups.json");

const DEFAULT_METRICS: [(&str, &str); 8] = [
    ("base.json", include_str!("schema/metrics/base.json")),
    (
        "internal_events.json",
        include_str!("schema/metrics/internal_events.json"),
    ),
    (
        "product_categories.json",
        include_str!("schema/metrics/product_categories.json"),
    ),
    ("product_groups.json", BUILTIN_PRODUCT_GROUPS),
    ("redis.json", include_str!("schema/metrics/redis.json")),
    (
        "redis_hll.json",
        include_str!("schema/metrics/redis_hll.json"),
    ),
    ("status.json", include_str!("schema/metrics/status.json")),
    (
        "internal_events/valid_timeframe_for_unique_property.json",
        include_str!("schema/metrics/internal_events/valid_timeframe_for_unique_property.json"),
    ),
];
const DEFAULT_EVENTS: &str = include_str!("schema/events.json");

/// Statuses of the 2021 schema that later schemas dropped; old files still carry them.
const LEGACY_STATUSES: [&str; 4] = [
    "data_available",
    "implemented",
    "deprecated",
    "under_development",
];
/// Fields required by current schemas that old files spell the old way.
const LEGACY_ALIASES: [(&str, &str); 3] = [
    ("tiers", "tier"),
    ("distributions", "distribution"),
    ("product_categories", "product_category"),
];

/// Compiled validators for metrics and events.
pub struct Schemas {
    metric: Option<Validator>,
    event: Option<Validator>,
    /// Where the schemas came from, for messages.
    pub origin: String,
}

/// Resolves `$ref`s between the schema files held in memory (no network, no file access).
struct InMemory(HashMap<String, Value>);

impl Retrieve for InMemory {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str().trim_start_matches('/');
        self.0
            .get(path)
            .or_else(|| self.0.get(path.rsplit('/').next().unwrap_or(path)))
            .cloned()
            .ok_or_else(|| format!("schema {path} not found").into())
    }
}

fn compile(files: HashMap<String, Value>, root: &str) -> Result<Validator, String> {
    let schema = files
        .get(root)
        .cloned()
        .ok_or_else(|| format!("{root} missing"))?;
    jsonschema::options()
        .with_retriever(InMemory(files))
        // GitLab checks this format against its product-category list, which is not part of the
        // schemas; any snake_case name passes here.
        .with_format("known_product_category", |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| format!("invalid schema {root}: {e}"))
}

fn parse_json(name: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("schema {name}: {e}"))
}

impl Schemas {
    /// The tree's own schemas where present, the built-in ones otherwise.
    pub fn load(found: &SchemaFiles) -> Result<Schemas, String> {
        let mut origin = Vec::new();
        let metric_files: HashMap<String, Value> = match &found.metrics_dir {
            Some(dir) => {
                origin.push(dir.display().to_string());
                read_dir_json(dir)?
            }
            None => {
                origin.push("built-in metrics schema".into());
                DEFAULT_METRICS
                    .iter()
                    .map(|(n, t)| Ok((n.to_string(), parse_json(n, t)?)))
                    .collect::<Result<_, String>>()?
            }
        };
        let event_schema = match &found.events {
            Some(p) => {
                origin.push(p.display().to_string());
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                parse_json(&p.display().to_string(), &text)?
            }
            None => {
                origin.push("built-in events schema".into());
                parse_json("events.json", DEFAULT_EVENTS)?
            }
        };
        // The events schema refers to the metrics schema's product groups (`../metrics/schema/…`).
        let mut event_files = metric_files.clone();
        event_files.insert("events/schema.json".to_string(), event_schema);
        let (metric, event) = rayon::join(
            || compile(metric_files, "base.json"),
            || compile(event_files, "events/schema.json"),
        );
        let (metric, event) = (metric?, event?);
        Ok(Schemas {
            metric: Some(metric),
            event: Some(event),
            origin: origin.join(", "),
        })
    }

    /// Validate one definition. `is_metric` selects the schema. Takes the document's fields
    /// (the validator wants a `Value`; callers are done with them, and copying every file's
    /// fields was 1 % of a build).
    pub fn check(&self, doc: &mut Document, is_metric: bool, diags: &mut Diagnostics) {
        let validator = if is_metric { &self.metric } else { &self.event };
        let Some(validator) = validator else { return };
        let instance = Value::Object(std::mem::take(&mut doc.fields));
        let doc = &*doc;
        let mut seen = std::collections::HashSet::new();
        let legacy = instance.as_object().is_some_and(is_legacy_format);
        let mut found: Vec<Diagnostic> = Vec::new();
        for err in validator.iter_errors(&instance) {
            let pointer = err.instance_path().as_str().to_string();
            if let Some(mut d) = classify(doc, &pointer, err.kind(), &instance) {
                if legacy
                    && d.severity == Severity::Error
                    && allowed_in_legacy_format(&pointer, err.kind(), &instance)
                {
                    d.severity = Severity::Warning;
                    d.rule = "schema-legacy-format";
                    d.message
                        .push_str(" (accepted: the definition is in GitLab's 2021 format)");
                }
                if seen.insert((d.rule, d.site(), d.message.clone())) {
                    found.push(d.with_source(&doc.source));
                }
            }
        }
        // "Matches no allowed shape" only summarises the specific findings; keep it only when
        // it is the sole explanation.
        if found.iter().any(|d| d.rule != "schema-combination") {
            found.retain(|d| d.rule != "schema-combination");
        }
        for d in found {
            diags.push(d);
        }
    }
}

/// Fields the 2021 metrics schema required; anything else the current schema requires is new.
const REQUIRED_IN_2021: [&str; 7] = [
    "key_path",
    "description",
    "value_type",
    "status",
    "product_group",
    "time_frame",
    "data_source",
];

/// A definition written for GitLab's 2021 schema: it uses fields or values that only that
/// schema had. Such files were valid when merged and stay in GitLab's tree.
pub fn is_legacy_format(f: &serde_json::Map<String, Value>) -> bool {
    let status_legacy = f
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| LEGACY_STATUSES.contains(&s.to_lowercase().as_str()));
    status_legacy
        || (f.contains_key("tier") && !f.contains_key("tiers"))
        || f.contains_key("distribution")
        || f.contains_key("product_section")
        || f.contains_key("product_stage")
}

/// Errors against the current schema that the 2021 schema allowed: fields it did not require,
/// empty values, and its `ruby` data source.
fn allowed_in_legacy_format(pointer: &str, kind: &ValidationErrorKind, instance: &Value) -> bool {
    let value = instance.pointer(pointer);
    match kind {
        ValidationErrorKind::Required { property } => {
            pointer.is_empty() && !REQUIRED_IN_2021.contains(&property.as_str().unwrap_or_default())
        }
        ValidationErrorKind::Type { .. } => value.is_some_and(Value::is_null),
        ValidationErrorKind::Enum { .. } => value.is_some_and(|v| v.is_null() || v == "ruby"),
        _ => false,
    }
}

fn read_dir_json(dir: &Path) -> Result<HashMap<String, Value>, String> {
    let mut files = HashMap::new();
    for entry in walkdir::WalkDir::new(dir).max_depth(3) {
        let entry = entry.map_err(|e| format!("schemas: {e}"))?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "json") {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(entry.path())
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            files.insert(rel.clone(), parse_json(&rel, &text)?);
        }
    }
    Ok(files)
}

fn get<'a>(instance: &'a Value, pointer: &str) -> Option<&'a Value> {
    instance.pointer(pointer)
}

/// What a schema error is about: the file, the field's pointer and value, and how to name it.
struct Subject<'a> {
    file: std::path::PathBuf,
    pointer: &'a str,
    value: Option<&'a Value>,
    instance: &'a Value,
    /// The offending value's name in messages: `tiers/0`, or "definition" for the whole file.
    at: &'a str,
    /// The top-level field it belongs to.
    field: &'a str,
}

impl Subject<'_> {
    fn shown(&self) -> String {
        self.value.map_or_else(
            || "nothing".to_string(),
            |v| match v {
                Value::String(s) => format!("{s:?}"),
                other => other.to_string(),
            },
        )
    }
}

/// Turn one schema error into a diagnostic of the right severity, or drop it when another rule
/// already reports the same problem better.
fn classify(
    doc: &Document,
    pointer: &str,
    kind: &ValidationErrorKind,
    instance: &Value,
) -> Option<Diagnostic> {
    let at = if pointer.is_empty() {
        "definition"
    } else {
        pointer.trim_start_matches('/')
    };
    let field = pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    let s = Subject {
        file: doc.file.path.clone(),
        pointer,
        value: get(instance, pointer),
        instance,
        at,
        field,
    };
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            Some(unknown_fields(&s, unexpected))
        }
        ValidationErrorKind::Required { property } => {
            required(&s, property.as_str().unwrap_or_default())
        }
        // The type error says it.
        ValidationErrorKind::Enum { .. } if s.value.is_some_and(Value::is_null) => None,
        ValidationErrorKind::Enum { options } => not_in_enum(&s, options),
        ValidationErrorKind::Constant { expected_value } => Some(
            Diagnostic::error(
                "schema-const",
                s.file.clone(),
                At::value(pointer),
                format!("`{at}` must be {expected_value}"),
            )
            .found(s.shown())
            .expected(expected_value.to_string()),
        ),
        ValidationErrorKind::Type { kind } => Some(wrong_type(&s, kind)),
        // The milestone rule reports this with the accepted forms.
        ValidationErrorKind::Pattern { .. }
            if matches!(field, "milestone" | "milestone_removed") =>
        {
            None
        }
        ValidationErrorKind::Pattern { pattern } => Some(
            Diagnostic::error(
                "schema-pattern",
                s.file.clone(),
                At::value(pointer),
                format!("`{at}` does not match the required pattern"),
            )
            .found(s.shown())
            .expected(format!("text matching {pattern}")),
        ),
        other => Some(structural(&s, other)),
    }
}

/// Fields the schema does not list (legacy fields, or fields newer than the schema): GitLab's
/// own tree carries many; shown as warnings so reviewers see them.
fn unknown_fields(s: &Subject, unexpected: &[String]) -> Diagnostic {
    let name = unexpected.first().cloned().unwrap_or_default();
    let ptr = format!("{}/{}", s.pointer, pointer_segment(&name));
    Diagnostic::warning(
        "schema-unknown-field",
        s.file.clone(),
        At::key(&ptr),
        format!(
            "field{} not in the schema: {}",
            if unexpected.len() > 1 { "s" } else { "" },
            unexpected.join(", ")
        ),
    )
    .expected("only fields the schema lists")
}

/// A required field is missing: a warning when the file has its old name.
fn required(s: &Subject, name: &str) -> Option<Diagnostic> {
    let parent = get(s.instance, s.pointer).and_then(Value::as_object);
    let legacy = LEGACY_ALIASES
        .iter()
        .find(|(new, _)| *new == name)
        .map(|(_, old)| *old);
    if let (Some(old), Some(obj)) = (legacy, parent) {
        if obj.contains_key(old) {
            return Some(
                Diagnostic::warning(
                    "schema-legacy-field",
                    s.file.clone(),
                    At::key(&format!("{}/{old}", s.pointer)),
                    format!("`{old}` is the old name of `{name}`; read as `{name}`"),
                )
                .expected(format!("`{name}`")),
            );
        }
    }
    if matches!(name, "milestone_removed" | "repair_issue_url") && s.pointer.is_empty() {
        return None; // reported by the lifecycle rules with a clearer message
    }
    Some(
        Diagnostic::error(
            "schema-required",
            s.file.clone(),
            At::value(s.pointer),
            format!("required field `{name}` is missing"),
        )
        .expected(format!("a `{name}:` field")),
    )
}

/// A value the schema's list does not have: legacy statuses and unknown product groups are
/// warnings (GitLab's tree has them), anything else an error.
fn not_in_enum(s: &Subject, options: &Value) -> Option<Diagnostic> {
    let found = s.value.and_then(Value::as_str).unwrap_or_default();
    // Borrowed, and the value lower-cased once: GitLab's group list has hundreds of entries,
    // and copying them and lower-casing the value for each was 1 % of a cold build.
    let allowed: Vec<&str> = options
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if found.chars().any(char::is_uppercase) && allowed.contains(&found.to_lowercase().as_str()) {
        return None; // capitalised: the enum-case rule warns and normalises
    }
    let list = if allowed.len() > 12 {
        format!("one of {} known values (see the schema)", allowed.len())
    } else {
        format!("one of {}", allowed.join(", "))
    };
    let (severity, rule, msg) = if s.field == "status" && LEGACY_STATUSES.contains(&found) {
        (
            Severity::Warning,
            "schema-legacy-value",
            format!("legacy status `{found}` (dropped from the current schema)"),
        )
    } else if s.field == "product_group" {
        (
            Severity::Warning,
            "schema-unknown-group",
            format!("product group `{found}` is not in the schema's list"),
        )
    } else {
        (
            Severity::Error,
            "schema-enum",
            format!("`{}` has a value the schema does not allow", s.at),
        )
    };
    Some(
        Diagnostic::new(severity, rule, s.file.clone(), At::value(s.pointer), msg)
            .found(s.shown())
            .expected(list),
    )
}

fn wrong_type(s: &Subject, kind: &impl std::fmt::Debug) -> Diagnostic {
    let expected = format!("{kind:?}")
        .to_lowercase()
        .replace("single(", "")
        .replace("multiple(", "")
        .replace(')', "");
    Diagnostic::error(
        "schema-type",
        s.file.clone(),
        At::value(s.pointer),
        format!("`{}` has the wrong type", s.at),
    )
    .found(
        s.value
            .map_or("nothing".to_string(), |v| kind_of(v).to_string()),
    )
    .expected(expected)
}

/// The remaining kinds: forbidden fields, repeated list items, and the oneOf/anyOf summaries,
/// which repeat errors reported individually (kept only when nothing more specific explains
/// them).
fn structural(s: &Subject, kind: &ValidationErrorKind) -> Diagnostic {
    let (file, pointer, at) = (s.file.clone(), s.pointer, s.at);
    match kind {
        ValidationErrorKind::FalseSchema => Diagnostic::error(
            "schema-forbidden",
            file,
            At::key(pointer),
            format!("`{at}` is not allowed here"),
        )
        .expected("the field removed (the schema forbids it in this combination)"),
        ValidationErrorKind::UniqueItems => Diagnostic::warning(
            "schema-unique",
            file,
            At::value(pointer),
            format!("`{at}` lists a value twice"),
        ),
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::AnyOf { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => Diagnostic::warning(
            "schema-combination",
            file,
            At::value(pointer),
            format!("`{at}` does not match any allowed shape"),
        ),
        other => Diagnostic::error(
            "schema",
            file,
            At::value(pointer),
            format!("{at}: {}", describe(other)),
        ),
    }
}

fn describe(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::MinItems { limit } => format!("needs at least {limit} item(s)"),
        ValidationErrorKind::MaxItems { limit } => format!("allows at most {limit} item(s)"),
        ValidationErrorKind::MinLength { limit } => format!("must be at least {limit} characters"),
        ValidationErrorKind::Not { .. } => "matches a shape the schema forbids".into(),
        other => format!("{other:?}"),
    }
}
