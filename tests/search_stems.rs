//! The browser stems with porter2 (static/porter2.js), the CLI and the index with
//! rust-stemmers: both claim Snowball English, and any word they stem differently is a word
//! the site finds and the CLI does not (or the reverse). This compares them word for word over
//! the definitions' vocabulary and a dictionary.

use crate::common;
use common::*;
use metricdict::search::text::{stem, words};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Every word in the YAML files under `dir`.
fn vocabulary(dir: &Path, into: &mut BTreeSet<String>) {
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            into.extend(words(&std::fs::read_to_string(p).unwrap_or_default()));
        }
    }
}

fn node_stems(words: &[String]) -> Option<Vec<String>> {
    if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(
            std::env::var_os("METRICDICT_REQUIRE_BROWSER").is_none(),
            "node is required to compare the browser's stemmer"
        );
        eprintln!("node not found; the stemmer comparison is skipped");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("words.txt");
    std::fs::write(&file, words.join("\n")).unwrap();
    let o = Command::new("node")
        .arg(repo().join("tests/js/search_runner.js"))
        .arg("stem")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "node: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// Only the words the engines stem: ASCII lower-case letters, three or more.
fn stemmable(all: BTreeSet<String>) -> Vec<String> {
    all.into_iter()
        .filter(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .collect()
}

fn compare(label: &str, words: Vec<String>, at_least: usize) {
    assert!(
        words.len() >= at_least,
        "{label}: only {} words",
        words.len()
    );
    let Some(js) = node_stems(&words) else { return };
    assert_eq!(js.len(), words.len(), "{label}: one stem per word");
    let differ: Vec<String> = words
        .iter()
        .zip(&js)
        .filter(|(w, j)| stem(w) != **j)
        .map(|(w, j)| format!("{w}: rust {} js {j}", stem(w)))
        .collect();
    assert!(
        differ.is_empty(),
        "{label}: {} of {} words stem differently:\n{}",
        differ.len(),
        words.len(),
        differ[..differ.len().min(20)].join("\n")
    );
    eprintln!(
        "{label}: {} words stem the same in rust-stemmers and porter2",
        words.len()
    );
}

#[test]
fn the_definitions_vocabulary_stems_the_same_in_the_browser() {
    let mut all = BTreeSet::new();
    vocabulary(&repo().join("definitions"), &mut all);
    vocabulary(&fixture("basic"), &mut all);
    if let Some(c) = corpus() {
        vocabulary(&c, &mut all);
    }
    compare("definitions", stemmable(all), 500);
}

/// The benchmarks' 5,000-definition workload (bench/generate.py over the corpus).
#[test]
fn the_5k_workload_vocabulary_stems_the_same_in_the_browser() {
    let Some(_) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("defs-5000");
    let o = Command::new("python3")
        .arg(repo().join("bench/generate.py"))
        .args(["5000", tree.to_str().unwrap()])
        .output()
        .expect("python3 runs bench/generate.py");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut all = BTreeSet::new();
    vocabulary(&tree, &mut all);
    compare("5k workload", stemmable(all), 500);
}

#[test]
fn a_dictionary_stems_the_same_in_the_browser() {
    let dict = Path::new("/usr/share/dict/words");
    let Ok(text) = std::fs::read_to_string(dict) else {
        assert!(
            std::env::var_os("METRICDICT_REQUIRE_BROWSER").is_none(),
            "/usr/share/dict/words is required (apt-get install wamerican)"
        );
        eprintln!("no /usr/share/dict/words; the dictionary comparison is skipped");
        return;
    };
    compare(
        "dictionary",
        stemmable(text.lines().map(str::to_lowercase).collect()),
        50_000,
    );
}
