//! The code's shape: data flows one way, and a module may import only the layers below it
//! (README, "Architecture"). This reads `src/` as text and fails when a module reaches upward —
//! through `use crate::…`, a `crate::x::f()` path, `super::super::…`, or a re-export alike —
//! and when a file or a function outgrows the size the README allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may import from the crate. `cli` is the binary (`src/main.rs`
/// and `src/cli/`), which sees the library as `metricdict::…`.
const LAYERS: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("text", &[]),
    ("load", &["model", "text"]),
    ("render", &["model", "text", "load"]),
    ("search", &["model", "text", "load"]),
    ("export", &["model", "text", "load"]),
    ("changes", &["model", "text", "load"]),
    ("report", &["model", "text", "load"]),
    ("payload", &["model", "text", "load"]),
    (
        "build",
        &[
            "model", "text", "load", "render", "search", "export", "changes", "report", "payload",
        ],
    ),
    (
        "serve",
        &[
            "model", "text", "load", "render", "search", "export", "changes", "report", "payload",
            "build",
        ],
    ),
    (
        "author",
        &[
            "model", "text", "load", "render", "search", "export", "changes", "report", "payload",
            "build",
        ],
    ),
    (
        "cli",
        &[
            "model", "text", "load", "render", "search", "export", "changes", "report", "payload",
            "build", "serve", "author",
        ],
    ),
];

/// Files allowed past [`MAX_FILE_LINES`], each explained in the README's Architecture section.
const LONG_FILES: &[&str] = &[];
/// Functions allowed past [`MAX_FN_LINES`] (`path::name`), each explained in the README.
const LONG_FUNCTIONS: &[&str] = &[];

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file: `src/render/pages.rs` → `render::pages`; `src/main.rs` and
/// `src/cli/…` → `cli…`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    match (parts.is_empty(), stem) {
        (true, "lib") => {}
        (true, "main") => parts.push("cli".into()),
        (_, "mod") => {}
        _ => parts.push(stem.to_string()),
    }
    parts
}

/// Code without comments (doc links name modules without importing them).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn idents_after(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(prefix) {
        let start = from + at;
        let before = text[..start].chars().next_back();
        from = start + prefix.len();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let line = text[..start].matches('\n').count() + 1;
        let rest = &text[from..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c}`: every first segment.
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((line, name));
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((line, name));
        }
    }
    out
}

/// Every top-level module a file refers to, with the line.
fn references(file: &Path, text: &str) -> Vec<(usize, String)> {
    let module = module_path(file);
    let code = code(text);
    let mut refs = idents_after(&code, "crate::");
    if module.first().is_some_and(|m| m == "cli") {
        refs.extend(idents_after(&code, "metricdict::"));
        // The binary's own `crate::cli::…` is not the library.
        refs.retain(|(_, m)| m != "cli");
    }
    // `super::super::x` from `render::pages` is `crate::x`.
    let depth = module.len();
    if depth >= 2 {
        let ups = "super::".repeat(depth);
        refs.extend(idents_after(&code, &ups));
    }
    refs.retain(|(_, m)| !m.is_empty() && *m != "self" && *m != "super");
    refs
}

/// Modules reaching above their layer: (file, line, module imported).
fn upward_imports() -> Vec<(String, usize, String)> {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = LAYERS
        .iter()
        .map(|(m, ok)| (*m, ok.iter().copied().collect()))
        .collect();
    let mut bad = Vec::new();
    for file in rust_files() {
        let module = module_path(&file);
        let Some(top) = module.first() else { continue }; // lib.rs declares the modules
        let ok = allowed
            .get(top.as_str())
            .unwrap_or_else(|| panic!("{}: module `{top}` has no layer in LAYERS", file.display()));
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, m) in references(&file, &text) {
            if m != *top && !ok.contains(m.as_str()) {
                let rel = file.strip_prefix(src()).unwrap().display().to_string();
                bad.push((rel, line, m));
            }
        }
    }
    bad
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let bad = upward_imports();
    assert!(
        bad.is_empty(),
        "imports against the data flow (README, Architecture):\n{}",
        bad.iter()
            .map(|(f, l, m)| format!("  src/{f}:{l} reaches `{m}`"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The check itself catches each way of reaching upward.
#[test]
fn the_layering_check_sees_every_kind_of_reference() {
    let file = src().join("render/pages.rs");
    let found = |text: &str| -> Vec<String> {
        references(&file, text)
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    };
    assert_eq!(found("use crate::build::Options;"), ["build"]);
    assert_eq!(found("let x = crate::serve::f();"), ["serve"]);
    assert_eq!(found("use crate::{model, author::x};"), ["model", "author"]);
    assert_eq!(found("pub use crate::build as b;"), ["build"]);
    assert_eq!(found("use super::super::serve::X;"), ["serve"]);
    assert!(found("// see crate::build\nuse super::rows;").is_empty());
    let main = src().join("main.rs");
    let refs: Vec<String> = references(&main, "use metricdict::serve::x; use crate::cli::y;")
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(refs, ["serve"]);
}

/// Lengths of the functions in a file: (name, first line, lines).
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let sig = t
            .strip_prefix("pub ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .or_else(|| t.strip_prefix("pub(crate) "))
            .unwrap_or(t);
        let Some(rest) = sig.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let indent = line.len() - t.len();
        // The body ends at the first `}` line at the signature's indentation.
        let end = lines[i + 1..]
            .iter()
            .position(|l| {
                l.len() > indent && l[..indent].trim().is_empty() && l[indent..].starts_with('}')
            })
            .map(|p| i + 1 + p);
        if let Some(end) = end {
            out.push((name, i + 1, end - i + 1));
        }
    }
    out
}

#[test]
fn files_and_functions_stay_small() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for allowed in LONG_FILES.iter().chain(LONG_FUNCTIONS) {
        assert!(
            readme.contains(allowed),
            "{allowed} may be long only if README's Architecture section says why"
        );
    }
    let mut too_long = Vec::new();
    for file in rust_files() {
        let rel = file.strip_prefix(src()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let n = text.lines().count();
        let rel_src = format!("src/{rel}");
        if n > MAX_FILE_LINES && !LONG_FILES.contains(&rel_src.as_str()) {
            too_long.push(format!("{rel_src}: {n} lines (at most {MAX_FILE_LINES})"));
        }
        for (name, at, len) in functions(&text) {
            let id = format!("{rel_src}::{name}");
            if len > MAX_FN_LINES && !LONG_FUNCTIONS.contains(&id.as_str()) {
                too_long.push(format!(
                    "{rel_src}:{at} fn {name}: {len} lines (at most {MAX_FN_LINES})"
                ));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "too long:\n  {}",
        too_long.join("\n  ")
    );
}
