//! Search parity: the static shards scored as the browser scores them give tantivy's ranking.

mod common;
use common::*;
use metricdict::search::{self, Manifest, Shard};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn definitions() -> std::path::PathBuf {
    corpus().unwrap_or_else(|| fixture("basic"))
}

struct Engines {
    index: tantivy::Index,
    reader: tantivy::IndexReader,
    manifest: Manifest,
    site: std::path::PathBuf,
}

impl Engines {
    fn new(site: &Path) -> Engines {
        let index = search::open(site).unwrap();
        let reader = index.reader().unwrap();
        let manifest: Manifest =
            serde_json::from_str(&read(site.join("search/shards/manifest.json"))).unwrap();
        Engines {
            index,
            reader,
            manifest,
            site: site.to_path_buf(),
        }
    }

    fn tantivy(&self, q: &str) -> Vec<(u64, f32)> {
        search::search_index(&self.index, &self.reader, q, 10)
            .unwrap()
            .into_iter()
            .map(|h| (h.ord, h.score))
            .collect()
    }

    fn shards(&self, q: &str) -> Vec<(u64, f32)> {
        let parsed = search::parse_query(&self.index, q);
        search::static_search(&self.manifest, &parsed, 10, |key| {
            let text = std::fs::read_to_string(self.site.join(format!("search/shards/{key}.json")))
                .ok()?;
            serde_json::from_str::<Shard>(&text).ok()
        })
    }
}

/// Same ranking: equal scores (to f32 rounding of a different summation order) position by
/// position, and the same documents except inside a run of tied scores.
fn same_ranking(q: &str, a: &[(u64, f32)], b: &[(u64, f32)]) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{q:?}: {} vs {} results", a.len(), b.len()));
    }
    let close = |x: f32, y: f32| (x - y).abs() <= 1e-4 * x.abs().max(1.0);
    for i in 0..a.len() {
        if !close(a[i].1, b[i].1) {
            return Err(format!("{q:?}: score at {i}: {a:?} vs {b:?}"));
        }
        if a[i].0 != b[i].0 {
            // Allowed only within a tie that both lists agree on.
            let tie_a: BTreeSet<u64> = a
                .iter()
                .filter(|x| close(x.1, a[i].1))
                .map(|x| x.0)
                .collect();
            let tie_b: BTreeSet<u64> = b
                .iter()
                .filter(|x| close(x.1, b[i].1))
                .map(|x| x.0)
                .collect();
            let touches_end = close(a[a.len() - 1].1, a[i].1);
            if tie_a != tie_b && !touches_end {
                return Err(format!("{q:?}: order at {i}: {a:?} vs {b:?}"));
            }
            if !touches_end && !tie_a.contains(&b[i].0) {
                return Err(format!("{q:?}: doc at {i}: {a:?} vs {b:?}"));
            }
        }
    }
    Ok(())
}

/// Queries people type: words from descriptions, several words, key-path fragments, and every
/// prefix of a few words as typed.
fn queries(metrics: &[Value], events: &[Value]) -> Vec<String> {
    let mut qs: Vec<String> = Vec::new();
    let words: Vec<String> = metrics
        .iter()
        .chain(events)
        .flat_map(|d| {
            d["description"]
                .as_str()
                .unwrap_or("")
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() >= 4)
        .collect();
    let distinct: Vec<String> = words
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (i, w) in distinct
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 7 == 0)
        .take(80)
    {
        qs.push(w.clone());
        if let Some(next) = distinct.get(i + 3) {
            qs.push(format!("{w} {next}"));
        }
    }
    for m in metrics.iter().step_by(3).take(60) {
        let kp = m["key_path"].as_str().unwrap();
        let last = kp.rsplit('.').next().unwrap();
        let parts: Vec<&str> = last.split('_').collect();
        if parts.len() >= 2 {
            qs.push(parts[..2].join("_"));
        }
        qs.push(last.to_string());
    }
    for w in [
        "merge",
        "pipeline",
        "approvals",
        "duo",
        "operational",
        "users",
        "ci",
    ] {
        for n in 1..=w.len() {
            qs.push(w[..n].to_string());
        }
        qs.push(format!("{w} "));
    }
    qs.push("merge request approvals".into());
    qs.push("users creat".into());
    qs.sort();
    qs.dedup();
    qs
}

#[test]
fn static_shards_rank_like_tantivy() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&definitions(), &out, &[]);
    let e = Engines::new(&out);
    let metrics: Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let events: Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let qs = queries(
        metrics["metrics"].as_array().unwrap(),
        events["events"].as_array().unwrap(),
    );
    if corpus().is_some() {
        assert!(qs.len() >= 200, "{} queries", qs.len());
    }
    let mut failures = Vec::new();
    let mut nonempty = 0;
    for q in &qs {
        let (a, b) = (e.tantivy(q), e.shards(q));
        nonempty += usize::from(!a.is_empty());
        if let Err(msg) = same_ranking(q, &a, &b) {
            failures.push(msg);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries differ:\n{}",
        failures.len(),
        qs.len(),
        failures.join("\n")
    );
    assert!(
        nonempty * 2 > qs.len(),
        "most queries find something ({nonempty}/{})",
        qs.len()
    );
}

#[test]
fn a_metric_is_found_by_the_last_two_segments_of_its_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&definitions(), &out, &[]);
    let e = Engines::new(&out);
    let metrics: Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let mut misses = Vec::new();
    let all = metrics["metrics"].as_array().unwrap();
    for (ord, m) in all.iter().enumerate() {
        let kp = m["key_path"].as_str().unwrap();
        let segs: Vec<&str> = kp.split('.').collect();
        let q = segs[segs.len().saturating_sub(2)..].join(".");
        let hits = e.tantivy(&q);
        if !hits.iter().take(3).any(|h| h.0 == ord as u64) {
            misses.push(format!(
                "{q} -> {:?}",
                hits.iter().take(3).map(|h| h.0).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} metrics not in the top 3:\n{}",
        misses.len(),
        all.len(),
        misses.join("\n")
    );
}

#[test]
fn cli_search_prints_ranked_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    let o = run(
        &repo(),
        &[
            "search",
            "merge requests",
            "--site",
            out.to_str().unwrap(),
            "--format",
            "json",
            "--limit",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let hits: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!hits.is_empty() && hits.len() <= 5);
    assert_eq!(hits[0]["key"], "counts.merge_requests");
    assert_eq!(hits[0]["kind"], "metric");
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}
