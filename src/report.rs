//! Diagnostics for people and for CI: `file:line:col` with snippet and caret for terminals and
//! logs, a JSON array, and GitLab's Code Quality report.

use crate::model::diagnostics::{Diagnostics, Severity};
use crate::text::terminal_safe;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Output formats of `metricdict check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, with source snippets.
    Human,
    /// A JSON array of diagnostics.
    Json,
    /// GitLab Code Quality report (CodeClimate subset).
    Gitlab,
}

/// Render diagnostics for a terminal or a log: a first line `file:line:col: error[rule]:
/// message` (what editors and CI logs link), then the source line with the place underlined
/// (annotate-snippets, the renderer rustc and cargo use: columns count display width, so the
/// caret is right after CJK text or emoji), other places involved, found and expected. Every
/// byte from the definitions goes through [`terminal_safe`].
pub fn to_human(diags: &Diagnostics, color: bool) -> String {
    let mut out = String::new();
    let (red, yellow, bold, reset) = if color {
        ("\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let renderer = if color {
        annotate_snippets::Renderer::styled()
    } else {
        annotate_snippets::Renderer::plain()
    };
    for d in diags.iter() {
        let (label, c) = match d.severity {
            Severity::Error => ("error", red),
            Severity::Warning => ("warning", yellow),
        };
        let _ = writeln!(
            out,
            "{bold}{}{reset}: {c}{label}[{}]{reset}: {}",
            terminal_safe(&d.location()),
            d.rule,
            terminal_safe(&d.message)
        );
        let level = match d.severity {
            Severity::Error => annotate_snippets::Level::ERROR,
            Severity::Warning => annotate_snippets::Level::WARNING,
        };
        let snippets = snippets(d);
        if !snippets.is_empty() {
            let group = annotate_snippets::Group::with_level(level).elements(snippets);
            let _ = writeln!(out, "{}", renderer.render(&[group]));
        }
        if let Some(found) = &d.found {
            let _ = writeln!(out, "  found: {}", terminal_safe(found));
        }
        if let Some(expected) = &d.expected {
            let _ = writeln!(out, "  expected: {}", terminal_safe(expected));
        }
    }
    out
}

/// One source line, terminal-safe, with the span from 1-based character `column` to the end of
/// the token there (at least one character), as byte offsets into the safe text.
fn marked_line(line: &str, column: usize) -> (String, std::ops::Range<usize>) {
    let start = line
        .char_indices()
        .nth(column.max(1) - 1)
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let token = rest
        .char_indices()
        .find(|&(i, ch)| i > 0 && (ch.is_whitespace() || ch == ':'))
        .map_or(rest.len(), |(i, _)| i);
    let end = start + token.max(rest.chars().next().map_or(0, char::len_utf8));
    let safe_start = terminal_safe(&line[..start]).len();
    let safe_end = safe_start + terminal_safe(&line[start..end]).len();
    (
        terminal_safe(line).into_owned(),
        safe_start..safe_end.max(safe_start),
    )
}

/// The diagnostic's own line (unlabelled: the first line says what is wrong) and each related
/// place, as annotate-snippets snippets.
fn snippets(
    d: &crate::model::diagnostics::Diagnostic,
) -> Vec<annotate_snippets::Snippet<'static, annotate_snippets::Annotation<'static>>> {
    use annotate_snippets::{AnnotationKind, Snippet};
    let mut out = Vec::new();
    if let (Some(line), true) = (&d.snippet, d.position.line > 0) {
        let (text, span) = marked_line(line, d.position.column);
        out.push(
            Snippet::source(text)
                .line_start(d.position.line)
                .annotation(AnnotationKind::Primary.span(span)),
        );
    }
    for r in &d.related {
        let Some(line) = &r.snippet else { continue };
        let (text, span) = marked_line(line, r.position.column);
        let path = if r.file == d.file {
            None
        } else {
            Some(terminal_safe(&r.file.display().to_string()).into_owned())
        };
        out.push(
            Snippet::source(text)
                .line_start(r.position.line)
                .path(path)
                .annotation(
                    AnnotationKind::Context
                        .span(span)
                        .label(terminal_safe(&r.label).into_owned()),
                ),
        );
    }
    out
}

/// Machine-readable JSON: an array of diagnostics with file, line, column, severity, rule, message.
pub fn to_json(diags: &Diagnostics) -> String {
    #[derive(Serialize)]
    struct Row<'a> {
        file: String,
        line: usize,
        column: usize,
        severity: Severity,
        rule: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        found: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expected: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        snippet: Option<&'a str>,
    }
    let rows: Vec<Row> = diags
        .iter()
        .map(|d| Row {
            file: slash_path(&d.file),
            line: d.position.line,
            column: d.position.column,
            severity: d.severity,
            rule: d.rule,
            message: &d.message,
            found: d.found.as_deref(),
            expected: d.expected.as_deref(),
            snippet: d.snippet.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("diagnostics serialise")
}

/// GitLab Code Quality report: the CodeClimate subset GitLab reads
/// (description, check_name, fingerprint, severity, location.path, location.lines.begin).
pub fn to_gitlab(diags: &Diagnostics) -> String {
    let rows: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            // GitLab matches paths relative to the repository root (the job's working folder).
            let cwd = std::env::current_dir().unwrap_or_default();
            let path = slash_path(d.file.strip_prefix(&cwd).unwrap_or(&d.file));
            let path = path.trim_start_matches("./").to_string();
            let mut description = d.message.clone();
            if let Some(e) = &d.expected {
                let _ = write!(description, " (expected {e})");
            }
            serde_json::json!({
                "type": "issue",
                "description": description,
                "check_name": d.rule,
                "fingerprint": fingerprint(&[&path, d.rule, &d.message, &d.position.line.to_string()]),
                "severity": match d.severity { Severity::Error => "major", Severity::Warning => "minor" },
                "location": { "path": path, "lines": { "begin": d.position.line.max(1) } },
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("report serialises")
}

fn slash_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// A stable 128-bit hex fingerprint (FNV-1a, twice with different seeds): GitLab uses it to match
/// the same problem across pipelines, so it must not change between runs.
fn fingerprint(parts: &[&str]) -> String {
    let mut out = String::new();
    for seed in [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64] {
        let mut h = seed;
        for part in parts {
            for b in part.bytes().chain(std::iter::once(0)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        let _ = write!(out, "{h:016x}");
    }
    out
}
