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

/// Render diagnostics for a terminal or a log: `file:line:col: error[rule]: message`, snippet, caret.
pub fn to_human(diags: &Diagnostics, color: bool) -> String {
    let mut out = String::new();
    let (red, yellow, bold, dim, reset) = if color {
        ("\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
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
        if let Some(snippet) = &d.snippet {
            let snippet = terminal_safe(snippet);
            let num = d.position.line.to_string();
            let _ = writeln!(out, "{dim}{num} |{reset} {snippet}");
            let pad = " ".repeat(num.len());
            let col = d.position.column.max(1);
            let caret_pad: String = snippet
                .chars()
                .take(col - 1)
                .map(|ch| if ch == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{dim}{pad} |{reset} {caret_pad}{c}^{reset}");
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
