//! A generator-based fuzz target over parse + validate + catalog + markdown.
//!
//! Seeds are the fixture trees (and the shared corpus when present); each case mutates a seed
//! with YAML-aware edits (structural tokens, anchors and aliases, tags, indentation, splices,
//! byte flips) and runs it through the pipeline. A panic or a diagnostic pointing outside the
//! file fails the test; the offending input is saved under `target/fuzz-failures/`.
//!
//! `cargo test --test it fuzz::` runs it for a few seconds; a long run:
//! `FUZZ_SECONDS=600 cargo test --release --test it fuzz:: -- --nocapture`.

use crate::common;
use common::*;
use metricdict::load::discover::SchemaFiles;
use metricdict::load::{parse, schema, validate};
use metricdict::model::catalog;
use metricdict::model::definition::{Definition, SourceFile};
use metricdict::model::diagnostics::Diagnostics;
use metricdict::text;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TOKENS: &[&str] = &[
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "!!str ",
    "!custom ",
    "? ",
    "|\n  ",
    ">-\n  ",
    "'",
    "\"",
    "\t",
    "\n",
    "\n  ",
    "# c\n",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "~",
    "null",
    ".nan",
    "-.inf",
    "0x1F",
    "1e400",
    "99999999999999999999999",
    "8.10",
    "<13.9",
    "é",
    "\u{202e}",
    "\u{feff}",
    "\\u0000",
    "key_path: ",
    "action: ",
    "events:\n  - name: ",
    "status: removed\n",
    "status: broken\n",
    "tiers: ",
    "time_frame: [7d, 28d]\n",
    "identifiers: {}\n",
    "<script>",
    "javascript:",
];

fn seeds() -> Vec<String> {
    let mut roots = vec![fixture("basic"), fixture("invalid"), fixture("hostile")];
    roots.extend(corpus());
    let mut out = Vec::new();
    for r in roots {
        for e in walkdir::WalkDir::new(r).into_iter().filter_map(Result::ok) {
            if e.path().extension().is_some_and(|x| x == "yml") {
                if let Ok(t) = std::fs::read_to_string(e.path()) {
                    out.push(t);
                }
            }
        }
    }
    out
}

fn mutate(rng: &mut fastrand::Rng, seeds: &[String]) -> Vec<u8> {
    let mut s = seeds[rng.usize(..seeds.len())].clone().into_bytes();
    for _ in 0..rng.usize(1..6) {
        let at = if s.is_empty() {
            0
        } else {
            rng.usize(..=s.len())
        };
        match rng.u8(..7) {
            0 => {
                let t = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
                s.splice(at..at, t.iter().copied());
            }
            1 if !s.is_empty() => {
                let end = (at + rng.usize(..40)).min(s.len());
                s.drain(at.min(end)..end);
            }
            2 if !s.is_empty() => {
                let i = rng.usize(..s.len());
                s[i] ^= 1 << rng.u8(..8);
            }
            3 => {
                // Splice in part of another seed.
                let other = seeds[rng.usize(..seeds.len())].as_bytes();
                let a = rng.usize(..=other.len());
                let b = (a + rng.usize(..200)).min(other.len());
                s.splice(at..at, other[a..b].iter().copied());
            }
            4 => {
                // Re-indent a line.
                let line_start = s[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let n = rng.usize(..5);
                s.splice(line_start..line_start, std::iter::repeat_n(b' ', n));
            }
            5 => {
                // Duplicate a line.
                let start = s[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let end = s[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(s.len(), |p| at + p + 1);
                let line: Vec<u8> = s[start..end].to_vec();
                s.splice(end..end, line);
            }
            _ => {
                // Deep nesting or long repetition.
                let n = rng.usize(1..200);
                let t: Vec<u8> = std::iter::repeat_n(b'[', n)
                    .chain(std::iter::repeat_n(b']', n))
                    .collect();
                s.splice(at..at, t);
            }
        }
    }
    s
}

/// Run one input through the pipeline; returns an error string for a broken invariant.
fn exercise(bytes: &[u8], schemas: &schema::Schemas) -> Result<(), String> {
    let file = SourceFile {
        path: PathBuf::from("fuzz.yml"),
        rel: "fuzz.yml".into(),
        in_removed_dir: false,
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return Ok(());
    };
    let lines = text.lines().count().max(1);
    let mut diags = Diagnostics::default();
    match parse::parse_source(file, text) {
        Err(d) => diags.push(*d),
        Ok(mut doc) => {
            if let Some(def) = validate::check_document(&doc, &mut diags) {
                let desc = doc
                    .fields
                    .get("description")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string();
                // The schema check takes the fields (the definition keeps its own copy).
                schemas.check(&mut doc, matches!(def, Definition::Metric(_)), &mut diags);
                let html = text::markdown(&desc);
                if html.to_lowercase().contains("<script") {
                    return Err("script survived sanitising".into());
                }
                let refs = [(&doc, &def)];
                validate::check_cross_file(&refs, &mut diags);
                let cat = catalog::build(vec![def.clone()]);
                for s in cat.metric_slugs.iter().chain(&cat.event_slugs) {
                    if s.starts_with('.') || s.contains('/') || s.contains('\\') {
                        return Err(format!("unsafe slug {s:?}"));
                    }
                }
            }
        }
    }
    for d in diags.iter() {
        if d.position.line > lines {
            return Err(format!(
                "diagnostic at line {} of a {lines}-line file: {}",
                d.position.line, d.message
            ));
        }
    }
    Ok(())
}

#[test]
fn fuzz_parse_and_validate() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6d65_7472_6963);
    let mut rng = fastrand::Rng::with_seed(seed);
    let seeds = seeds();
    let schemas = schema::Schemas::load(&SchemaFiles::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut cases, mut failures) = (0u64, Vec::new());
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline {
        let input = mutate(&mut rng, &seeds);
        let result = catch_unwind(AssertUnwindSafe(|| exercise(&input, &schemas)));
        let problem = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(p) => Some(format!(
                "panic: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
        };
        if let Some(problem) = problem {
            let dir = repo().join("target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("case-{cases}.yml"));
            std::fs::write(&path, &input).unwrap();
            failures.push(format!("{problem} ({})", path.display()));
        }
        cases += 1;
    }
    std::panic::set_hook(prev_hook);
    eprintln!(
        "fuzz: {cases} cases in {seconds} s (seed {seed}), {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(cases > 100);
}

/// Markdown built from the constructs whose nesting costs the parser: block quotes, list
/// markers, brackets, emphasis, code spans, links, raw HTML; up to `bytes` long.
fn markdown_case(rng: &mut fastrand::Rng, bytes: usize) -> String {
    const PIECES: &[&str] = &[
        "> ",
        "- ",
        "* ",
        "1. ",
        "[",
        "]",
        "(",
        ")",
        "](",
        "![",
        "*",
        "**",
        "_",
        "__",
        "`",
        "``",
        "<",
        ">",
        "<b>",
        "</b>",
        "<a href=x>",
        "\\",
        "\n",
        "\n\n",
        "    ",
        "x",
        "word ",
        "http://a.b",
        "&amp;",
        "|",
        "---",
        "~~",
        "#",
    ];
    let mut s = String::new();
    while s.len() < bytes {
        let piece = PIECES[rng.usize(..PIECES.len())];
        let times = if rng.u8(..) < 8 { rng.usize(1..400) } else { 1 };
        for _ in 0..times {
            s.push_str(piece);
        }
    }
    let mut end = bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// What passes `check` renders in bounded time: descriptions within the size and nesting caps
/// render quickly whatever their markdown (a hang guard, generous: the worst case is measured
/// in `benches/markdown.rs`), and what `check` refuses is never rendered.
#[test]
fn fuzz_markdown_within_the_limits_renders_in_bounded_time() {
    use metricdict::load::validate::{
        markdown_nesting, MAX_DESCRIPTION_BYTES, MAX_DESCRIPTION_NESTING,
    };
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut rng = fastrand::Rng::with_seed(0x6d64);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut cases, mut rendered) = (0u64, 0u64);
    while Instant::now() < deadline {
        let size = if rng.bool() {
            rng.usize(1..2_000)
        } else {
            rng.usize(1..MAX_DESCRIPTION_BYTES)
        };
        let md = markdown_case(&mut rng, size);
        cases += 1;
        if md.len() > MAX_DESCRIPTION_BYTES || markdown_nesting(&md) > MAX_DESCRIPTION_NESTING {
            continue;
        }
        let started = Instant::now();
        let html = text::markdown(&md);
        let _ = text::plain_text(&md);
        let took = started.elapsed();
        rendered += 1;
        assert!(
            took < Duration::from_secs(2),
            "{} bytes, nesting {}, rendered in {took:?}: {:?}",
            md.len(),
            markdown_nesting(&md),
            &md[..md.len().min(200)]
        );
        assert!(!html.to_lowercase().contains("<script"));
    }
    eprintln!("fuzz markdown: {cases} cases, {rendered} within the limits rendered");
    assert!(rendered > 10);
}

/// The dev server's request-head reader and checks never panic, never accept a head over the
/// limits, and forward only GET/HEAD for loopback hosts with `Connection: close`.
#[test]
fn fuzz_request_heads() {
    use metricdict::serve::guard::{admit, read_head, Hosts, MAX_HEAD};
    const PIECES: &[&[u8]] = &[
        b"GET ",
        b"HEAD ",
        b"POST ",
        b"/",
        b"/a?b=c",
        b" HTTP/1.1",
        b" HTTP/1.0",
        b"\r\n",
        b"\r\n\r\n",
        b"\n",
        b"Host: localhost",
        b"Host: evil.com",
        b"Host: [::1]:80",
        b"Connection: keep-alive",
        b"X: ",
        b":",
        b" ",
        b"\0",
        b"\xff",
        b"a",
        b"%2e%2e/",
    ];
    let mut rng = fastrand::Rng::with_seed(0x6874);
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let mut bytes = Vec::new();
        for _ in 0..rng.usize(1..60) {
            let piece = PIECES[rng.usize(..PIECES.len())];
            let times = if rng.u8(..) < 6 {
                rng.usize(1..3000)
            } else {
                1
            };
            for _ in 0..times {
                bytes.extend_from_slice(piece);
            }
        }
        cases += 1;
        let Ok(Some(head)) = read_head(&mut &bytes[..]) else {
            continue;
        };
        assert!(head.len() <= MAX_HEAD && head.ends_with(b"\r\n\r\n"));
        if let Ok(out) = admit(&head, Hosts::Loopback) {
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.starts_with("GET ") || text.starts_with("HEAD "),
                "{text:?}"
            );
            assert!(text.ends_with("Connection: close\r\n\r\n"), "{text:?}");
        }
    }
    assert!(cases > 100);
}
