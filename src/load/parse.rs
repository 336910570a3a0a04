//! Read one definition file into a JSON-like value plus the source position of every field.
//!
//! Two YAML readers, on purpose: serde_yaml produces the values (it guards against alias bombs
//! and deep recursion, and rejects duplicate keys), and yaml-rust2's event parser supplies what
//! serde_yaml hides: the line and column of every key and value and the exact source text of
//! plain scalars (so `milestone: 8.10` stays "8.10", not the float 8.1). The second parse runs
//! only when needed: to explain a syntax error, for a numeric milestone, or to place a
//! diagnostic that will be shown ([`Document::place`]). A build that only counts its warnings
//! never needs it (a third of the parse time).

use super::spans::scan_spans;
pub use super::spans::{pointer_segment, Span, Spans};
use crate::model::definition::SourceFile;
use crate::model::diagnostics::{At, Diagnostic, Position};
use serde_json::{Map, Value};

/// Larger files are rejected unread: a real definition is a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Deeper nesting is rejected: real definitions nest three or four levels.
pub const MAX_DEPTH: usize = 64;
/// Fields whose values are strings even when they look like numbers (GitLab milestones).
pub(super) const VERBATIM_FIELDS: [&str; 2] = ["milestone", "milestone_removed"];

/// A parsed definition file: its fields and where each one is.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: SourceFile,
    pub source: String,
    /// The fields as parsed. The loader empties this once the file is checked (its
    /// definition keeps a copy), so a large dictionary is not held twice.
    pub fields: Map<String, Value>,
    spans: std::sync::OnceLock<Spans>,
}

impl Document {
    /// Where every field is, found on first use. A file serde_yaml reads but yaml-rust2 does
    /// not (none is known) gets no positions: its problems point at line 1.
    pub fn spans(&self) -> &Spans {
        self.spans
            .get_or_init(|| scan_spans(&self.source).unwrap_or_default())
    }

    /// Place a diagnostic about this file that points at a field.
    pub fn place(&self, d: &mut Diagnostic) {
        let Some(u) = &d.unplaced else { return };
        let position = match &u.at {
            At::Position(p) => *p,
            At::Value(pointer) => self.spans().value(pointer),
            At::Key(pointer) => self.spans().key(pointer),
        };
        d.place(position, &self.source);
    }
}

/// When a file was last modified and its length, to notice it changed.
pub type FileVersion = (std::time::SystemTime, u64);

/// Read and parse one file. Every failure becomes one diagnostic naming file, line and column.
/// Also returns the file's version, taken from the open file before reading it (one path lookup
/// per file, not three: at 100k definitions those were a tenth of the reading time).
pub fn parse_file(file: &SourceFile) -> (Option<FileVersion>, Result<Document, Box<Diagnostic>>) {
    use std::io::Read;
    let fail = |e: std::io::Error| {
        Box::new(Diagnostic::error(
            "unreadable",
            file.path.clone(),
            Position::default(),
            format!("cannot read: {e}"),
        ))
    };
    let opened = std::fs::File::open(&file.path).and_then(|f| Ok((f.metadata()?, f)));
    let (meta, mut f) = match opened {
        Ok(o) => o,
        Err(e) => return (None, Err(fail(e))),
    };
    let version = meta.modified().ok().map(|m| (m, meta.len()));
    let too_large = |found: String| {
        Box::new(
            Diagnostic::error(
                "file-too-large",
                file.path.clone(),
                Position::default(),
                "file too large to be a definition; not read",
            )
            .found(found)
            .expected(format!("at most {MAX_FILE_BYTES} bytes")),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return (version, Err(too_large(format!("{} bytes", meta.len()))));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    // `take`: a file that grows while being read still stops past the limit.
    if let Err(e) = (&mut f).take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return (version, Err(fail(e)));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return (
            version,
            Err(too_large(format!("more than {MAX_FILE_BYTES} bytes"))),
        );
    }
    (version, parse_bytes(file, bytes))
}

fn parse_bytes(file: &SourceFile, bytes: Vec<u8>) -> Result<Document, Box<Diagnostic>> {
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Err(Box::new(
                Diagnostic::error(
                    "encoding",
                    file.path.clone(),
                    Position { line, column },
                    "file is not valid UTF-8",
                )
                .expected("UTF-8 text"),
            ));
        }
    };
    parse_source(file.clone(), source)
}

/// The YAML value of a file's text, or the one diagnostic that explains why there is none:
/// nothing in it, invalid YAML, or nesting deeper than [`MAX_DEPTH`].
fn read_value(file: &SourceFile, text: &str) -> Result<Value, Box<Diagnostic>> {
    let err = |rule, pos: Position, msg: String| {
        Box::new(
            Diagnostic::error(rule, file.path.clone(), within(text, pos), msg).with_source(text),
        )
    };
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Err(Box::new(
            Diagnostic::error(
                "empty-file",
                file.path.clone(),
                Position { line: 1, column: 1 },
                "file has no definition in it",
            )
            .expected("a mapping of fields such as `key_path:` (metric) or `action:` (event)"),
        ));
    }
    match super::yaml_value::from_str(text) {
        Ok(v) => Ok(v),
        Err(e) => {
            // yaml-rust2 names more syntax errors precisely (the second document of a stream,
            // nesting deeper than MAX_DEPTH); serde_yaml's message is the fallback.
            if let Err((pos, msg)) = scan_spans(text) {
                return Err(err("yaml-syntax", pos, msg));
            }
            Err(err(
                "yaml-syntax",
                serde_yaml_position(&e),
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            ))
        }
    }
}

/// Parse YAML text already in memory (used by `parse_file`, tests and the fuzz target).
pub fn parse_source(file: SourceFile, source: String) -> Result<Document, Box<Diagnostic>> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(&source);
    let value = read_value(&file, text)?;
    let mut fields = match value {
        Value::Object(map) => map,
        other => {
            return Err(Box::new(
                Diagnostic::error(
                    "not-a-mapping",
                    file.path.clone(),
                    Position { line: 1, column: 1 },
                    "a definition must be a mapping of fields",
                )
                .found(kind_of(&other).to_string())
                .expected("a mapping such as `key_path: ...` or `action: ...`")
                .with_source(text),
            ))
        }
    };
    let spans = std::sync::OnceLock::new();
    for name in VERBATIM_FIELDS {
        if !fields.get(name).is_some_and(Value::is_number) {
            continue;
        }
        let found = spans.get_or_init(|| scan_spans(text).unwrap_or_default());
        if let (Some(raw), Some(v)) = (found.raw(&format!("/{name}")), fields.get_mut(name)) {
            *v = Value::String(raw.to_string());
        }
    }
    let source = if text.len() == source.len() {
        source
    } else {
        text.to_string()
    };
    Ok(Document {
        file,
        source,
        fields,
        spans,
    })
}

/// Read a YAML text into a typed value (the register files, the synonym file): the one place
/// besides [`parse_source`] that calls serde_yaml, so it can be swapped for its maintained
/// drop-in (`serde_norway`) in one module. Errors say where and what, without serde_yaml's
/// own "at line" suffix.
pub fn read_typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, (Position, String)> {
    serde_yaml::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        (serde_yaml_position(&e), msg)
    })
}

/// Where serde_yaml says its error is (line 1 when it does not say).
fn serde_yaml_position(e: &serde_yaml::Error) -> Position {
    e.location()
        .map(|l| Position {
            line: l.line(),
            column: l.column(),
        })
        .unwrap_or(Position { line: 1, column: 1 })
}

/// Parsers report "end of input" one line past the last one; point at the end of the last line
/// instead, so the position and snippet are somewhere an editor can go.
fn within(text: &str, pos: Position) -> Position {
    Bounds::of(text).clamp(pos)
}

/// The last line of a text and its length, for [`within`].
pub(super) struct Bounds {
    lines: usize,
    last_len: usize,
}

impl Bounds {
    pub fn of(text: &str) -> Bounds {
        let lines = text.lines().count().max(1);
        let last_len = text.lines().last().map_or(0, |l| l.chars().count());
        Bounds { lines, last_len }
    }

    pub fn clamp(&self, pos: Position) -> Position {
        if pos.line <= self.lines {
            pos
        } else {
            Position {
                line: self.lines,
                column: self.last_len + 1,
            }
        }
    }
}

/// A short name for a JSON value's type, for "found" messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null (empty value)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn doc(src: &str) -> Result<Document, Box<Diagnostic>> {
        let file = SourceFile {
            path: PathBuf::from("t.yml"),
            rel: "t.yml".into(),
            in_removed_dir: false,
        };
        parse_source(file, src.to_string())
    }

    #[test]
    fn a_duplicate_key_is_reported_where_it_is_repeated() {
        let e = doc("key_path: a\ndescription: x\nstatus: active\ndescription: y\n").unwrap_err();
        assert_eq!(
            (e.position.line, e.position.column),
            (4, 1),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("duplicate key `description`"),
            "{}",
            e.message
        );
        let nested = doc("key_path: a\nevents:\n  - name: x\n    name: y\n").unwrap_err();
        assert_eq!(nested.position.line, 4, "{}", nested.message);
        // A number and a string are different keys.
        assert!(doc("key_path: a\noptions:\n  1: x\n  \"1\": y\n").is_ok());
    }

    #[test]
    fn milestone_keeps_source_text() {
        let d = doc("key_path: a.b\nmilestone: 8.10\n").unwrap();
        assert_eq!(d.fields["milestone"], Value::String("8.10".into()));
    }

    #[test]
    fn positions_of_nested_values() {
        let d = doc("---\nkey_path: a\nevents:\n  - name: x\n    unique: user.id\n").unwrap();
        assert_eq!(
            d.spans().value("/key_path"),
            Position {
                line: 2,
                column: 11
            }
        );
        assert_eq!(d.spans().key("/events"), Position { line: 3, column: 1 });
        assert_eq!(
            d.spans().value("/events/0/unique"),
            Position {
                line: 5,
                column: 13
            }
        );
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(
            d.spans().value("/events/0/nope"),
            d.spans().value("/events/0")
        );
    }

    #[test]
    fn syntax_error_points_at_line() {
        let e = doc("key_path: a\ndescription: [unclosed\nstatus: active\n").unwrap_err();
        assert_eq!(e.rule, "yaml-syntax");
        assert!(e.position.line >= 2, "{e:?}");
    }

    #[test]
    fn scalar_and_list_roots_are_rejected() {
        assert_eq!(doc("just text\n").unwrap_err().rule, "not-a-mapping");
        assert_eq!(doc("- a\n- b\n").unwrap_err().rule, "not-a-mapping");
        assert_eq!(doc("# only a comment\n").unwrap_err().rule, "empty-file");
    }
}
