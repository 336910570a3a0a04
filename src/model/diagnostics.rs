//! Problems found in definitions: where (file, line, column), what was found, what was expected.
//!
//! Every stage reports into a [`Diagnostics`] list instead of returning early, so one run shows
//! every problem in the dictionary.

use serde::Serialize;
use std::path::{Path, PathBuf};

/// How bad a problem is. Errors fail `check` and `build`; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where a problem is: a known position, or a field (by JSON pointer, `/events/0/name`) whose
/// position is looked up in the source only if the diagnostic is shown. Positions come from a
/// second parse of the file, which a build that only counts its warnings skips.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum At {
    Position(Position),
    /// The value of a field.
    Value(String),
    /// The key of a field (for "unknown field" or "missing field" problems).
    Key(String),
}

impl At {
    pub fn value(pointer: &str) -> At {
        At::Value(pointer.to_string())
    }

    pub fn key(pointer: &str) -> At {
        At::Key(pointer.to_string())
    }
}

impl From<Position> for At {
    fn from(p: Position) -> At {
        At::Position(p)
    }
}

/// A field a diagnostic points at but has not been located yet (see [`At`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unplaced {
    pub at: At,
    /// Attach the source line once placed (`with_source` was asked before the position was known).
    pub snippet: bool,
}

/// One problem in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule name, e.g. `schema`, `yaml-syntax`, `duplicate-key-path`.
    pub rule: &'static str,
    /// Path as the user gave it (relative to the working directory when possible).
    pub file: PathBuf,
    pub position: Position,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The offending source line, when the file could be read as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Other places the problem involves (the first definition of a duplicate, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// Set until the field this is about has been located (`position` is then line 0).
    #[serde(skip)]
    pub unplaced: Option<Box<Unplaced>>,
}

/// A second place a diagnostic points at, with what it is.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    pub file: PathBuf,
    pub position: Position,
    pub label: String,
    /// The source line there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        rule: &'static str,
        file: impl Into<PathBuf>,
        at: impl Into<At>,
        message: impl Into<String>,
    ) -> Self {
        let (position, unplaced) = match at.into() {
            At::Position(p) => (p, None),
            at => (
                Position::default(),
                Some(Box::new(Unplaced { at, snippet: false })),
            ),
        };
        Diagnostic {
            severity,
            rule,
            file: file.into(),
            position,
            message: message.into(),
            found: None,
            expected: None,
            snippet: None,
            related: Vec::new(),
            unplaced,
        }
    }

    pub fn error(
        rule: &'static str,
        file: impl Into<PathBuf>,
        at: impl Into<At>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, rule, file, at, message)
    }

    pub fn warning(
        rule: &'static str,
        file: impl Into<PathBuf>,
        at: impl Into<At>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, rule, file, at, message)
    }

    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Point at a second place too (`source` is that file's text, for its line).
    pub fn also(
        mut self,
        file: impl Into<PathBuf>,
        position: Position,
        source: &str,
        label: impl Into<String>,
    ) -> Self {
        let snippet = position
            .line
            .checked_sub(1)
            .and_then(|i| source.lines().nth(i))
            .map(|l| l.chars().take(200).collect());
        self.related.push(Related {
            file: file.into(),
            position,
            label: label.into(),
            snippet,
        });
        self
    }

    /// Attach the source line at this diagnostic's position (once it is placed, if it is not yet).
    pub fn with_source(mut self, source: &str) -> Self {
        if let Some(u) = &mut self.unplaced {
            u.snippet = true;
            return self;
        }
        self.attach_line(source);
        self
    }

    /// Give an unplaced diagnostic its position (`source` is the file's text, for the snippet).
    pub fn place(&mut self, position: Position, source: &str) {
        if let Some(u) = self.unplaced.take() {
            self.position = position;
            if u.snippet {
                self.attach_line(source);
            }
        }
    }

    /// Where this diagnostic is, for telling duplicates apart before it is placed.
    pub fn site(&self) -> At {
        match &self.unplaced {
            Some(u) => u.at.clone(),
            None => At::Position(self.position),
        }
    }

    fn attach_line(&mut self, source: &str) {
        if self.position.line > 0 {
            if let Some(line) = source.lines().nth(self.position.line - 1) {
                let line: String = line.chars().take(200).collect();
                self.snippet = Some(line);
            }
        }
    }

    /// `file:line:col` as editors and CI logs expect.
    pub fn location(&self) -> String {
        if self.position.line == 0 {
            self.file.display().to_string()
        } else {
            format!(
                "{}:{}:{}",
                self.file.display(),
                self.position.line,
                self.position.column.max(1)
            )
        }
    }
}

/// An ordered collection of diagnostics from one run.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn errors(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Keep only the diagnostics about these files, however each path was spelled (cross-file
    /// rules still saw the whole dictionary).
    pub fn retain_files(&mut self, files: &[PathBuf]) {
        let wanted: Vec<PathBuf> = files.iter().map(|f| comparable(f)).collect();
        self.0.retain(|d| wanted.contains(&comparable(&d.file)));
    }

    /// Drop the warnings.
    pub fn retain_errors(&mut self) {
        self.0.retain(|d| d.severity == Severity::Error);
    }

    /// Stable order: by file, then position, then rule, so output diffs cleanly between runs.
    pub fn sort(&mut self) {
        self.0 = sorted(std::mem::take(&mut self.0));
    }

    /// The errors sorted as by [`Diagnostics::sort`] and first, the warnings after them in the
    /// order found: for a list whose warnings are only counted.
    pub fn sort_errors(&mut self) {
        let (errors, warnings): (Vec<_>, Vec<_>) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|d| d.severity == Severity::Error);
        self.0 = sorted(errors);
        self.0.extend(warnings);
    }
}

/// By file (in path order), then position, rule and message.
fn sorted(list: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut keyed: Vec<(Vec<u8>, Diagnostic)> = list
        .into_iter()
        .map(|d| (super::order::path_key(&d.file), d))
        .collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        ka.cmp(kb)
            .then_with(|| (a.position, a.rule, &a.message).cmp(&(b.position, b.rule, &b.message)))
    });
    keyed.into_iter().map(|(_, d)| d).collect()
}

/// A path in a form two spellings of the same file agree on (`./a.yml`, `a.yml`, absolute).
fn comparable(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|_| path.components().collect())
}
