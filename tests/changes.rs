//! `/changes/`: a baseline with known differences gives exactly those rows, from a previous
//! site (`--baseline`) and from a git revision (`--baseline-ref`).

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const MR: &str = "config/metrics/counts_all/20210101000000_merge_requests.yml";
const SUB: &str = "config/metrics/settings/20230101000000_subscription_setting.yml";
const DUO: &str = "config/events/request_duo_chat_response.yml";
const LEGACY: &str = "config/metrics/counts_all/20100101000000_legacy_users.yml";

/// Edit the fixture: every kind of change once.
fn edit(defs: &Path) {
    let replace = |rel: &str, from: &str, to: &str| {
        let p = defs.join(rel);
        let t = read(&p);
        assert!(t.contains(from), "{rel} lacks {from:?}");
        fs::write(&p, t.replace(from, to)).unwrap();
    };
    replace(MR, "data_category: operational", "data_category: optional"); // recategorised
    replace(SUB, "tiers: [premium, ultimate]", "tiers: [ultimate]"); // tiers
    replace(
        DUO,
        "identifiers:\n- user\n",
        "identifiers:\n- user\n- namespace\n",
    ); // identifiers
    replace(
        LEGACY,
        "folded over two lines.",
        "folded over two lines, edited.",
    ); // description
    fs::remove_file(defs.join("config/events/1655179428_design_actions_create_.yml")).unwrap(); // removed
    fs::write(
        defs.join("config/events/new_event.yml"),
        read(defs.join(DUO)).replace("request_duo_chat_response", "brand_new_event"),
    )
    .unwrap(); // added
}

fn expected() -> BTreeSet<(String, String, String)> {
    [
        ("metric", "counts.merge_requests", "recategorised"),
        ("metric", "settings.subscription_setting", "tiers"),
        ("event", "request_duo_chat_response", "identifiers"),
        ("metric", "counts.legacy_users", "description"),
        ("event", "design_actions/create", "removed"),
        ("event", "brand_new_event", "added"),
    ]
    .iter()
    .map(|(k, i, c)| (k.to_string(), i.to_string(), c.to_string()))
    .collect()
}

fn rows(out: &Path) -> (Value, BTreeSet<(String, String, String)>) {
    let json: Value = serde_json::from_str(&read(out.join("changes.json"))).unwrap();
    let set = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (json, set)
}

#[test]
fn baseline_site_gives_exactly_the_known_differences() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    let old = tmp.path().join("old");
    build(&defs, &old, &[]);
    edit(&defs);
    let out = tmp.path().join("new");
    build(&defs, &out, &["--baseline", old.to_str().unwrap()]);
    let (json, got) = rows(&out);
    assert_eq!(got, expected());
    let recat = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["change"] == "recategorised")
        .unwrap();
    assert_eq!(
        (recat["before"].as_str(), recat["after"].as_str()),
        (Some("operational"), Some("optional"))
    );
    let ident = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["change"] == "identifiers")
        .unwrap();
    assert!(
        ident["after"].as_str().unwrap().contains("+namespace"),
        "{ident}"
    );
    // The page lists the same rows, each filterable by change, with counts; CSV has them too.
    let page = html(out.join("changes/index.html"));
    let trs = select(&page, "tr[data-f-change]");
    assert_eq!(trs.len(), 6);
    assert_eq!(
        trs.iter()
            .filter(|r| r.value().attr("data-f-change") == Some("added"))
            .count(),
        1
    );
    let csv = read(out.join("changes.csv"));
    assert_eq!(
        csv::Reader::from_reader(csv.as_bytes()).records().count(),
        6
    );
    assert!(check_links(&out, "/") > 0);
}

#[test]
fn baseline_published_url_gives_the_same_differences() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    let old = tmp.path().join("old");
    build(&defs, &old, &["--base-url", "/dict/"]);
    let server = StaticServer::start(old.clone(), "127.0.0.1:0", "/dict/").unwrap();
    edit(&defs);
    let out = tmp.path().join("new");
    let url = format!("http://127.0.0.1:{}/dict/", server.port);
    build(&defs, &out, &["--baseline", &url]);
    let (json, got) = rows(&out);
    assert_eq!(got, expected());
    assert_eq!(json["baseline"], url.as_str());
}

#[test]
fn baseline_git_revision_gives_the_same_differences() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
    let defs = repo_dir.join("definitions");
    copy_dir(&fixture("basic"), &defs);
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .current_dir(&repo_dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "baseline"]);
    git(&["tag", "reviewed"]);
    edit(&defs);
    let out = tmp.path().join("site");
    build(&defs, &out, &["--baseline-ref", "reviewed"]);
    let (json, got) = rows(&out);
    assert_eq!(got, expected());
    assert_eq!(json["baseline"], "git reviewed");
    assert_eq!(json["baseline_commit"].as_str().unwrap().len(), 40);
    // A revision that does not exist is a clear error (exit 2), not a panic.
    let o = run(
        &repo(),
        &[
            "build",
            "-d",
            defs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--baseline-ref",
            "no-such-tag",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-tag"), "{}", stderr(&o));
}

#[test]
fn without_a_baseline_the_page_tells_readers_there_is_nothing_to_compare_with() {
    // Build instructions are for builders (README, `--help`), not for the site's readers.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    let page = read(out.join("changes/index.html"));
    assert!(!page.contains("--baseline"));
    assert!(page.contains("no earlier version of the dictionary to compare with"));
    assert!(!out.join("changes.json").exists());
}
