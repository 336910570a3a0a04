//! Shared helpers for the integration tests: run the binary, find fixtures, check links.
#![allow(dead_code)]

pub mod browser;
pub mod static_server;
#[allow(unused_imports)]
pub use static_server::StaticServer;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_metricdict"));
    c.env("NO_COLOR", "1").env_remove("CI");
    c
}

/// Copy a folder tree (a fixture into a scratch folder a test may edit).
pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let target = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Run the binary in `cwd` with `args`.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("metricdict runs")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// The shared GitLab corpus, when present (CI has it; a bare clone does not).
pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("METRICDICT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus/gitlab"));
    if p.join("config").is_dir() {
        Some(p)
    } else {
        eprintln!(
            "shared corpus not found at {}; corpus test skipped",
            p.display()
        );
        None
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Build `defs` into `out` with extra args; panics with the tool's output if it fails.
pub fn build(defs: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        "--definitions",
        defs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&repo(), &args);
    assert!(
        o.status.success(),
        "build failed: {}\n{}",
        stderr(&o),
        stdout(&o)
    );
    o
}

pub fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

pub fn html(p: impl AsRef<Path>) -> scraper::Html {
    scraper::Html::parse_document(&read(p))
}

pub fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let sel = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&sel).collect()
}

pub fn text(e: &scraper::ElementRef) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// All files below `dir`, relative, with `/`.
pub fn files(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Check every internal `href`/`src` in every HTML page of `site` resolves to a file, for a site
/// served under `base` (e.g. `/` or `/sub/`). Also checks `#fragment` targets on the same site.
/// Returns the number of links checked.
pub fn check_links(site: &Path, base: &str) -> usize {
    let all = files(site);
    let mut broken = Vec::new();
    let mut checked = 0;
    let mut ids_cache: std::collections::HashMap<String, BTreeSet<String>> = Default::default();
    for page in all.iter().filter(|p| p.ends_with(".html")) {
        let doc = html(site.join(page));
        for (attr, el) in select(&doc, "[href], [src]").iter().flat_map(|e| {
            ["href", "src"]
                .into_iter()
                .filter_map(move |a| e.value().attr(a).map(|v| (v.to_string(), *e)))
        }) {
            let _ = el;
            let link = attr;
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
                || link.starts_with("data:")
            {
                continue;
            }
            checked += 1;
            let (path_part, fragment) = match link.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (link.clone(), None),
            };
            let path_part = path_part.split('?').next().unwrap().to_string();
            let target = if path_part.is_empty() {
                page.clone()
            } else if let Some(rest) = path_part.strip_prefix(base) {
                let mut t = rest.to_string();
                if t.is_empty() || t.ends_with('/') {
                    t.push_str("index.html");
                }
                t
            } else {
                broken.push(format!("{page}: {link} (not under base {base})"));
                continue;
            };
            if !all.contains(&target) {
                broken.push(format!("{page}: {link} -> {target} missing"));
                continue;
            }
            if let Some(f) = fragment.filter(|f| !f.is_empty()) {
                let ids = ids_cache.entry(target.clone()).or_insert_with(|| {
                    let d = html(site.join(&target));
                    select(&d, "[id]")
                        .iter()
                        .filter_map(|e| e.value().attr("id").map(str::to_string))
                        .collect()
                });
                if !ids.contains(&f) {
                    broken.push(format!("{page}: {link} -> no id {f:?} in {target}"));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken links, first: {:#?}",
        broken.len(),
        &broken[..broken.len().min(20)]
    );
    checked
}

/// Copy a folder tree (a fixture into a temp dir the test may edit).
pub fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let t = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&t).unwrap();
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}
