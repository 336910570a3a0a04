//! Where every key and value of a YAML text starts (line, column), found with yaml-rust2's
//! event parser: serde_yaml, which reads the values, hides positions. Also the source text of
//! plain scalars read verbatim, and the syntax errors serde_yaml describes less precisely
//! (more than one document, a key given twice, nesting too deep).

use super::parse::{Bounds, MAX_DEPTH, VERBATIM_FIELDS};
use crate::model::diagnostics::Position;
use rustc_hash::FxHashMap as HashMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Where a key and its value start in the source.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub key: Position,
    pub value: Position,
}

/// Source positions by JSON pointer (`/events/0/name`). FxHash, not SipHash: hashing was a
/// tenth of the position scan; a crafted file could only slow its own (1 MB at most) lookups.
#[derive(Debug, Default, Clone)]
pub struct Spans {
    map: HashMap<String, Span>,
    raw: HashMap<String, String>,
}

impl Spans {
    /// Position of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Position {
        self.lookup(pointer, |s| s.value)
    }

    /// Position of the key at `pointer` (for "missing field" or "unknown field" problems).
    pub fn key(&self, pointer: &str) -> Position {
        self.lookup(pointer, |s| s.key)
    }

    fn lookup(&self, pointer: &str, pick: impl Fn(&Span) -> Position) -> Position {
        let mut p = pointer;
        loop {
            if let Some(span) = self.map.get(p) {
                return pick(span);
            }
            match p.rfind('/') {
                Some(i) if !p.is_empty() => p = &p[..i],
                _ => return Position { line: 1, column: 1 },
            }
        }
    }

    /// The source text of a plain scalar at `pointer`, for the fields read verbatim
    /// (`milestone`, `milestone_removed`).
    pub fn raw(&self, pointer: &str) -> Option<&str> {
        self.raw.get(pointer).map(String::as_str)
    }
}

/// A collection being read: a mapping (its pointer, the key whose value comes next, and the
/// keys seen so far) or a sequence (its pointer and the next index).
enum Frame {
    Map {
        path: String,
        key: Option<(String, Position)>,
        seen: HashMap<String, Position>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

/// Escape a key for a JSON pointer segment (RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Walks yaml-rust2's events, recording where every key and value starts.
struct Scanner {
    spans: Spans,
    stack: Vec<Frame>,
    documents: usize,
    root_placed: bool,
}

/// A syntax error: where, and what.
pub type ScanError = (Position, String);

/// Positions of every key and value of a YAML text, or the first syntax error: also more than
/// one document, a key given twice (at the second), and nesting deeper than [`MAX_DEPTH`].
pub fn scan_spans(text: &str) -> Result<Spans, ScanError> {
    let mut parser = Parser::new_from_str(text);
    let bounds = Bounds::of(text);
    let mut scan = Scanner {
        spans: Spans::default(),
        stack: Vec::new(),
        documents: 0,
        root_placed: false,
    };
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            let pos = Position {
                line: m.line(),
                column: m.col() + 1,
            };
            (pos, format!("invalid YAML: {}", e.info()))
        })?;
        let pos = bounds.clamp(Position {
            line: mark.line(),
            column: mark.col() + 1,
        });
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => scan.document(pos)?,
            Event::Scalar(value, style, _, _) => scan.scalar(value, style, pos)?,
            Event::Alias(_) => scan.alias(pos)?,
            Event::MappingStart(..) => scan.open(true, pos)?,
            Event::SequenceStart(..) => scan.open(false, pos)?,
            Event::MappingEnd | Event::SequenceEnd => {
                scan.stack.pop();
            }
            _ => {}
        }
    }
    Ok(scan.spans)
}

impl Scanner {
    fn document(&mut self, pos: Position) -> Result<(), ScanError> {
        self.documents += 1;
        if self.documents > 1 {
            return Err((
                pos,
                "more than one YAML document in a definition file".into(),
            ));
        }
        Ok(())
    }

    /// When the innermost collection is a mapping waiting for a key, `key` is it.
    fn take_key(
        &mut self,
        identity: String,
        key: String,
        pos: Position,
    ) -> Result<bool, ScanError> {
        let Some(Frame::Map {
            key: slot @ None,
            path,
            seen,
        }) = self.stack.last_mut()
        else {
            return Ok(false);
        };
        if let Some(first) = seen.get(&identity) {
            let at = if path.is_empty() {
                "the definition"
            } else {
                path.as_str()
            };
            return Err((
                pos,
                format!(
                    "duplicate key `{key}` in {at}: it is already defined on line {}",
                    first.line
                ),
            ));
        }
        seen.insert(identity, pos);
        // Problems with the whole definition point at its first field.
        if path.is_empty() && !self.root_placed {
            let span = Span {
                key: pos,
                value: pos,
            };
            self.spans.map.insert(String::new(), span);
            self.root_placed = true;
        }
        *slot = Some((key, pos));
        Ok(true)
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        pos: Position,
    ) -> Result<(), ScanError> {
        // `1` and `"1"` are different keys (a number and a string); `a` and `"a"` are not.
        let typed = style == TScalarStyle::Plain
            && (value.parse::<f64>().is_ok()
                || matches!(value.as_str(), "true" | "false" | "null" | "~" | ""));
        let identity = if typed {
            format!("\0{value}")
        } else {
            value.clone()
        };
        if self.take_key(identity, value.clone(), pos)? {
            return Ok(());
        }
        if let Some(path) = child_path(&mut self.stack, &mut self.spans, pos) {
            // Only the fields read verbatim need their source text.
            let verbatim = VERBATIM_FIELDS
                .iter()
                .any(|f| path.strip_prefix('/') == Some(f));
            if style == TScalarStyle::Plain && verbatim {
                self.spans.raw.insert(path, value);
            }
        }
        Ok(())
    }

    fn alias(&mut self, pos: Position) -> Result<(), ScanError> {
        if matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
            // An alias as a key: every use is a distinct placeholder.
            if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                *key = Some(("*alias".into(), pos));
            }
            return Ok(());
        }
        child_path(&mut self.stack, &mut self.spans, pos);
        Ok(())
    }

    fn open(&mut self, is_map: bool, pos: Position) -> Result<(), ScanError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err((pos, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        // A collection used as a mapping key (`? [a]: b`) is unusual; give it a placeholder
        // key so positions below it still resolve.
        if let Some(Frame::Map {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            *key = Some(("?complex-key".into(), pos));
        }
        let path = if self.stack.is_empty() {
            let span = Span {
                key: pos,
                value: pos,
            };
            self.spans.map.insert(String::new(), span);
            String::new()
        } else {
            child_path(&mut self.stack, &mut self.spans, pos).unwrap_or_default()
        };
        self.stack.push(if is_map {
            Frame::Map {
                path,
                key: None,
                seen: HashMap::default(),
            }
        } else {
            Frame::Seq { path, index: 0 }
        });
        Ok(())
    }
}

/// Record a value at the current position of the innermost collection and advance it.
fn child_path(stack: &mut [Frame], spans: &mut Spans, pos: Position) -> Option<String> {
    let frame = stack.last_mut()?;
    let (path, key_pos) = match frame {
        Frame::Map { path, key, .. } => {
            let (k, kp) = key.take().unwrap_or_default();
            (format!("{path}/{}", pointer_segment(&k)), kp)
        }
        Frame::Seq { path, index } => {
            let p = format!("{path}/{index}");
            *index += 1;
            (p, pos)
        }
    };
    spans.map.insert(
        path.clone(),
        Span {
            key: key_pos,
            value: pos,
        },
    );
    Some(path)
}
