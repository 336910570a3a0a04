//! Every URL and anchor round one published keeps resolving: legal reviewers cite them. The
//! list (tests/fixtures/round1-urls.txt) was collected from round one's build (3bbb6d0) of
//! `definitions/`: every page, download and element id.

use crate::common;
use common::*;
use std::collections::{BTreeSet, HashMap};

#[test]
fn every_round_one_url_and_anchor_still_resolves() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo().join("definitions"), &out, &[]);
    let list = read(fixture("round1-urls.txt"));
    let mut ids: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut missing = Vec::new();
    for line in list.lines().filter(|l| l.starts_with('/')) {
        let (path, anchor) = line.split_once('#').unwrap_or((line, ""));
        let rel = path.trim_start_matches('/');
        let file = if rel.is_empty() || rel.ends_with('/') {
            out.join(rel).join("index.html")
        } else {
            out.join(rel)
        };
        if !file.is_file() {
            missing.push(line.to_string());
            continue;
        }
        if anchor.is_empty() {
            continue;
        }
        let have = ids.entry(path.to_string()).or_insert_with(|| {
            let doc = html(&file);
            select(&doc, "[id]")
                .iter()
                .filter_map(|e| e.value().attr("id").map(str::to_string))
                .collect()
        });
        if !have.contains(anchor) {
            missing.push(line.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of round one's URLs no longer resolve: {:#?}",
        missing.len(),
        &missing[..missing.len().min(400)]
    );
}
