//! The whole shared GitLab corpus (338 files, `ee/` included), read in place. Skipped with a
//! note when `../shared/corpus/gitlab` is absent (a bare clone); CI has it.

use crate::common;
use common::*;
use serde_json::Value;

fn yaml_definitions(corpus: &std::path::Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "yml" || x == "yaml")
        })
        .map(|e| e.into_path())
        .collect()
}

#[test]
fn corpus_checks_without_errors() {
    let Some(corpus) = corpus() else { return };
    let o = run(
        &repo(),
        &["check", "-d", corpus.to_str().unwrap(), "--format", "json"],
    );
    let diags: Vec<Value> = serde_json::from_str(&stdout(&o)).expect("json diagnostics");
    let errors: Vec<&Value> = diags.iter().filter(|d| d["severity"] == "error").collect();
    assert!(errors.is_empty(), "corpus errors: {errors:#?}");
    assert_eq!(o.status.code(), Some(0));
    // Drift is still reported, as warnings with positions.
    assert!(diags
        .iter()
        .any(|d| d["rule"] == "schema-legacy-value" && d["found"] == "\"data_available\""));
    assert!(diags.iter().all(|d| d["line"].as_u64().unwrap() >= 1));
}

#[test]
fn corpus_builds_a_complete_site() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&corpus, &out, &[]);
    let yaml = yaml_definitions(&corpus);
    assert_eq!(
        yaml.len(),
        320,
        "corpus has 320 definitions (338 files less 18 schemas)"
    );

    let metrics: Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let events: Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let (ms, es) = (
        metrics["metrics"].as_array().unwrap(),
        events["events"].as_array().unwrap(),
    );
    assert_eq!(
        ms.len() + es.len(),
        yaml.len(),
        "every file is one definition"
    );
    let count_key_path = yaml
        .iter()
        .filter(|p| read(p).lines().any(|l| l.starts_with("key_path:")))
        .count();
    assert_eq!(ms.len(), count_key_path);

    // A page for every metric and event.
    for row in ms.iter().chain(es) {
        let url = row["url"].as_str().unwrap();
        assert!(
            out.join(url.trim_start_matches('/'))
                .join("index.html")
                .is_file(),
            "no page for {url}"
        );
    }
    // CSV rows equal definitions.
    for (name, n) in [("metrics.csv", ms.len()), ("events.csv", es.len())] {
        let text = read(out.join(name));
        assert_eq!(
            csv::Reader::from_reader(text.as_bytes()).records().count(),
            n,
            "{name}"
        );
    }
    // The index table's data lists every metric; the page carries the first of them.
    let data: serde_json::Value =
        serde_json::from_str(&read(out.join("tables/metrics.json"))).unwrap();
    assert_eq!(data["rows"].as_array().unwrap().len(), ms.len());
    let index = html(out.join("index.html"));
    assert_eq!(select(&index, "tr[data-key]").len(), 50);

    // Group pages: each metric and event appears on exactly its group's page.
    let mut total = 0;
    for f in files(&out.join("groups"))
        .iter()
        .filter(|p| p.matches('/').count() == 1 && p.ends_with("/index.html"))
    {
        let page = html(out.join("groups").join(f));
        total += select(&page, ".item-list a").len();
    }
    let grouped = ms
        .iter()
        .chain(es)
        .filter(|r| !r["product_group"].is_null())
        .count();
    assert_eq!(total, grouped, "group pages add up");

    // "8.10" stays a string milestone.
    // config/metrics/license/recorded_at.yml has an unquoted `milestone: 8.10`.
    let recorded_at = ms
        .iter()
        .find(|m| m["source_path"] == "config/metrics/license/recorded_at.yml")
        .unwrap();
    assert_eq!(recorded_at["milestone"], "8.10");
    let page = read(
        out.join(recorded_at["url"].as_str().unwrap().trim_start_matches('/'))
            .join("index.html"),
    );
    assert!(page.contains(">8.10<"), "page shows 8.10");

    // Relations both ways for every metric whose events resolve.
    let mut linked = 0;
    for m in ms {
        let page = html(
            out.join(m["url"].as_str().unwrap().trim_start_matches('/'))
                .join("index.html"),
        );
        for e in es.iter().filter(|e| {
            e["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == &m["key_path"])
        }) {
            let href = e["url"].as_str().unwrap();
            assert!(
                !select(&page, &format!("a[href='{href}']")).is_empty(),
                "{} → {href}",
                m["key_path"]
            );
            let epage = html(out.join(href.trim_start_matches('/')).join("index.html"));
            assert!(
                !select(&epage, &format!("a[href='{}']", m["url"].as_str().unwrap())).is_empty()
            );
            linked += 1;
        }
    }
    assert!(linked >= 5, "corpus has metric→event relations ({linked})");

    assert!(check_links(&out, "/") > 1000);
}

#[test]
fn corpus_links_resolve_under_a_sub_path() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(
        &corpus,
        &out,
        &["--base-url", "https://example.gitlab.io/metrics/"],
    );
    assert!(check_links(&out, "/metrics/") > 1000);
}
