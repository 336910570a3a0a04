//! `metricdict payload`.

use super::args::{PayloadArgs, PayloadFormat};
use super::common::*;
use super::config::Config;
use metricdict::load::{self, Warnings};
use metricdict::payload::{self, Checked, Limits};
use metricdict::text::terminal_safe;
use serde_json::Value;

/// `metricdict payload FILE`.
pub fn run(args: PayloadArgs, config: &Config) -> u8 {
    let roots = definitions(args.sources.definitions, config);
    if let Some(code) = missing_root(&roots) {
        return code;
    }
    let limits = Limits::default();
    // Refuse an oversized file before reading it into memory.
    match std::fs::metadata(&args.file) {
        Ok(m) if m.len() > limits.max_bytes as u64 => {
            error(format!(
                "{}: the file is {} bytes, more than the {}-byte limit for a payload",
                args.file.display(),
                m.len(),
                limits.max_bytes
            ));
            return EXIT_FAILED;
        }
        Ok(_) => {}
        Err(e) => {
            error(format!("cannot read {}: {e}", args.file.display()));
            return EXIT_FAILED;
        }
    }
    let parsed = std::fs::read(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|bytes| payload::parse(&bytes, limits).map_err(|e| e.to_string()));
    let value = match parsed {
        Ok(v) => v,
        Err(e) => {
            error(format!("{}: {}", args.file.display(), terminal_safe(&e)));
            return EXIT_FAILED;
        }
    };
    let loaded = load::load(&roots, Warnings::Counted);
    if loaded.diagnostics.errors() > 0 {
        eprintln!(
            "warning: the definitions have {}; `metricdict check` lists them",
            count(loaded.diagnostics.errors(), "error")
        );
    }
    let checked = payload::check(&value, &loaded.catalog);
    match args.format {
        PayloadFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&checked).expect("reports serialise")
        ),
        PayloadFormat::Human => print!("{}", human(&checked)),
    }
    if args.strict && !checked.unknown.is_empty() {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}

/// A value as one line of text, cut short when long.
fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

/// The report for people: every value with what it means, then what has no definition, what
/// is missing, and totals. Everything from the payload or the definitions is made safe for a
/// terminal.
fn human(c: &Checked) -> String {
    use std::fmt::Write;
    let safe = |s: &str| terminal_safe(s).into_owned();
    let mut out = String::new();
    let defined = c.values.len() - c.unknown.len();
    let _ = writeln!(out, "{} defined:", count(defined, "value"));
    for e in c.values.iter().filter(|e| e.definition.is_some()) {
        let d = e.definition.as_ref().expect("filtered");
        let description = d.description.lines().next().unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} = {}  [{}, {}]  {}  {}",
            safe(&e.key_path),
            safe(&short(&e.value)),
            safe(&d.data_category),
            safe(&d.status),
            safe(description),
            safe(&d.url)
        );
    }
    let _ = writeln!(
        out,
        "\n{} with no definition:",
        count(c.unknown.len(), "key")
    );
    for e in c.values.iter().filter(|e| e.definition.is_none()) {
        let _ = writeln!(out, "  {} = {}", safe(&e.key_path), safe(&short(&e.value)));
    }
    let _ = writeln!(
        out,
        "\n{} with status active missing from the payload:",
        count(c.missing.len(), "definition")
    );
    for m in &c.missing {
        let _ = writeln!(
            out,
            "  {}  [{}]  {}",
            safe(&m.key_path),
            safe(&m.definition.data_category),
            safe(&m.definition.url)
        );
    }
    let _ = writeln!(out, "\nBy data category:");
    for (category, t) in &c.totals {
        let _ = writeln!(
            out,
            "  {:<14} {} in the payload, {} missing",
            safe(category),
            count(t.values, "value"),
            t.missing
        );
    }
    let _ = writeln!(
        out,
        "  {:<14} {}",
        "no definition",
        count(c.unknown.len(), "value")
    );
    out
}
