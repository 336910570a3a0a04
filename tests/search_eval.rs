//! The search evaluation report: success@5 and MRR on tests/search_eval.yml (natural queries
//! written from the shared corpus before tuning; half kept aside) for the search as built,
//! the previous release's (its top 10 per query, recorded in tests/search_eval_round1.json)
//! and a plain substring filter. `cargo test --test it search_eval:: -- --nocapture` prints it.

use crate::common;
use common::*;
use metricdict::search::Engine;
use serde_json::Value;
use std::collections::BTreeMap;

struct Query {
    q: String,
    kind: String,
    split: String,
    expect: Vec<String>,
}

fn eval_set() -> Vec<Query> {
    let v: serde_yaml::Value =
        serde_yaml::from_str(&read(repo().join("tests/search_eval.yml"))).unwrap();
    let s = |q: &serde_yaml::Value, k: &str| q[k].as_str().unwrap().to_string();
    v["queries"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|q| Query {
            q: s(q, "q"),
            kind: s(q, "kind"),
            split: s(q, "split"),
            expect: q["expect"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect(),
        })
        .collect()
}

/// 1-based rank of the first expected id in the top 10.
fn rank(ranked: &[String], expect: &[String]) -> Option<usize> {
    ranked
        .iter()
        .take(10)
        .position(|k| expect.contains(k))
        .map(|i| i + 1)
}

/// (success@5, MRR) over some queries' ranks.
fn measure(ranks: &[Option<usize>]) -> (f64, f64) {
    let n = ranks.len().max(1) as f64;
    let s5 = ranks.iter().filter(|r| r.is_some_and(|r| r <= 5)).count() as f64 / n;
    let mrr = ranks
        .iter()
        .map(|r| r.map_or(0.0, |r| 1.0 / r as f64))
        .sum::<f64>()
        / n;
    (s5, mrr)
}

/// The substring baseline: every query word is a substring of the id and description
/// (lower-cased), in file order — what Ctrl+F over a plain list does.
fn substring(docs: &[(String, String)], q: &str) -> Vec<String> {
    let words: Vec<String> = q
        .to_lowercase()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    docs.iter()
        .filter(|(_, t)| words.iter().all(|w| t.contains(w.as_str())))
        .map(|(k, _)| k.clone())
        .take(10)
        .collect()
}

#[test]
fn search_eval_report() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&corpus, &out, &[]);
    let engine = Engine::open(&out).unwrap();
    let json = |f: &str| -> Value { serde_json::from_str(&read(out.join(f))).unwrap() };
    let mut docs: Vec<(String, String)> = Vec::new();
    for (file, list, id) in [
        ("metrics.json", "metrics", "key_path"),
        ("events.json", "events", "id"),
    ] {
        for d in json(file)[list].as_array().unwrap() {
            let key = d[id].as_str().unwrap().to_string();
            let text = format!("{key} {}", d["description"].as_str().unwrap_or("")).to_lowercase();
            docs.push((key, text));
        }
    }
    let previous: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&read(repo().join("tests/search_eval_round1.json"))).unwrap();
    let queries = eval_set();
    assert!(queries.len() >= 120);
    for q in &queries {
        for e in &q.expect {
            assert!(
                docs.iter().any(|(k, _)| k == e),
                "{:?} expects {e}, which the corpus lacks",
                q.q
            );
        }
    }
    let mut ranks: BTreeMap<&str, Vec<Option<usize>>> = BTreeMap::new();
    let mut rows: Vec<(&Query, [Option<usize>; 3])> = Vec::new();
    for q in &queries {
        let now: Vec<String> = engine
            .search(&q.q, 10)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.key)
            .collect();
        let r = [
            rank(&now, &q.expect),
            rank(&previous[&q.q], &q.expect),
            rank(&substring(&docs, &q.q), &q.expect),
        ];
        rows.push((q, r));
    }
    println!(
        "{:<10} {:<13} {:>4}   {:>13}   {:>13}   {:>13}",
        "split", "kind", "n", "search S@5/MRR", "previous", "substring"
    );
    let kinds = [
        "question",
        "plural",
        "tense",
        "abbreviation",
        "typo",
        "legal",
        "known-item",
        "mixed",
        "all",
    ];
    for split in ["dev", "holdout", "all"] {
        for kind in kinds {
            let sel: Vec<&[Option<usize>; 3]> = rows
                .iter()
                .filter(|(q, _)| {
                    (split == "all" || q.split == split) && (kind == "all" || q.kind == kind)
                })
                .map(|(_, r)| r)
                .collect();
            let cols: Vec<String> = (0..3)
                .map(|i| {
                    let (s, m) = measure(&sel.iter().map(|r| r[i]).collect::<Vec<_>>());
                    format!("{s:.3} / {m:.3}")
                })
                .collect();
            println!(
                "{split:<10} {kind:<13} {:>4}   {:>13}   {:>13}   {:>13}",
                sel.len(),
                cols[0],
                cols[1],
                cols[2]
            );
            if kind == "all" {
                ranks.insert(split, sel.iter().map(|r| r[0]).collect());
            }
        }
    }
    let misses: Vec<&str> = rows
        .iter()
        .filter(|(_, r)| r[0].is_none_or(|r| r > 5))
        .map(|(q, _)| q.q.as_str())
        .collect();
    println!("not in the top 5: {misses:?}");
    for split in ["dev", "holdout", "all"] {
        let (s5, _) = measure(&ranks[split]);
        assert!(
            s5 >= 0.85,
            "success@5 on {split} is {s5:.3}, the goal is 0.85"
        );
    }
    let worse: Vec<String> = rows
        .iter()
        .filter(|(q, r)| {
            q.kind == "known-item" && r[1].is_some() && r[0].is_none_or(|now| now > r[1].unwrap())
        })
        .map(|(q, r)| format!("{:?}: rank {:?}, previously {:?}", q.q, r[0], r[1]))
        .collect();
    assert!(
        worse.is_empty(),
        "known-item queries ranked worse than before:\n{}",
        worse.join("\n")
    );
}
