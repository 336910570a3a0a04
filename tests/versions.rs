//! Milestones as versions (13.2 before 13.10, 8.10 before 19.5, `<13.9` shown as "before 13.9")
//! and `/versions/`: what each GitLab version added, removed and reports, on a fixture whose
//! expected counts are worked out by hand from `tests/versions_fixture`.

use crate::common;
use crate::versions_fixture;
use common::*;
use versions_fixture::write_fixture;

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    write_fixture(&defs);
    let out = tmp.path().join("site");
    build(&defs, &out, &[]);
    (tmp, out)
}

#[test]
fn milestone_filters_and_charts_order_milestones_as_versions() {
    let (_tmp, out) = built();
    let doc = html(out.join("index.html"));
    let options: Vec<String> = select(&doc, "select[data-param=milestone] option")
        .iter()
        .skip(1)
        .map(|o| o.value().attr("value").unwrap().to_string())
        .collect();
    // Newest first, as versions; `<13.9` just below 13.9.
    assert_eq!(options, ["19.5", "16.0", "13.10", "<13.9", "13.2", "8.10"]);
    let labels: Vec<String> = select(&doc, "select[data-param=milestone] option")
        .iter()
        .map(text)
        .collect();
    assert!(
        labels.contains(&"before 13.9 (1)".to_string()),
        "{labels:?}"
    );

    // The privacy charts: oldest to newest, `<13.9` a bar of its own that says what it is.
    let privacy = html(out.join("privacy/index.html"));
    let fig = select(&privacy, "#metrics-by-category tbody th");
    let rows: Vec<String> = fig.iter().map(text).collect();
    assert_eq!(
        rows,
        [
            "8.10",
            "13.2",
            "before 13.9",
            "13.10",
            "15.0",
            "16.0",
            "19.5"
        ]
    );
    let svg = read(out.join("privacy/index.html"));
    assert!(
        svg.contains("<title>before 13.9: 1 (optional)</title>"),
        "bar tooltip"
    );
    assert!(
        !svg.contains("&lt;13.9"),
        "no bare `<13.9` label in the charts"
    );
}

/// The numbers in a `/versions/` table row: each cell's count, with ` +N` when some may be.
fn row_counts(doc: &scraper::Html, table: usize, row: &str, attr: &str) -> Vec<String> {
    let tables = select(doc, "table.versions-table");
    let sel = scraper::Selector::parse(&format!("tr[{attr}=\"{row}\"] td.num")).unwrap();
    let cells: Vec<_> = tables[table].select(&sel).collect();
    assert!(!cells.is_empty(), "row {row} in table {table}");
    let one = |s: &str| scraper::Selector::parse(s).unwrap();
    cells
        .iter()
        .map(|c| {
            let n = c.select(&one("[data-count]")).next().unwrap();
            let mut s = n.value().attr("data-count").unwrap().to_string();
            if let Some(m) = c.select(&one("[data-maybe]")).next() {
                s.push_str(&format!(" +{}", m.value().attr("data-maybe").unwrap()));
            }
            s
        })
        .collect()
}

#[test]
fn versions_page_counts_what_each_version_added_removed_and_reports() {
    let (_tmp, out) = built();
    let doc = html(out.join("versions/index.html"));

    // Every version the definitions name (13.9 from `<13.9`), newest first, and "before 13.9"
    // just below 13.9 among the changes.
    let labels = |css: &str| -> Vec<String> { select(&doc, css).iter().map(text).collect() };
    let tables = select(&doc, "table.versions-table");
    assert_eq!(tables.len(), 2);
    assert_eq!(
        labels("table.versions-table tr[data-version] th"),
        ["19.5", "16.0", "15.0", "13.10", "13.9", "13.2", "8.10"]
    );
    assert_eq!(
        labels("table.versions-table tr[data-milestone] th"),
        [
            "19.5",
            "16.0",
            "15.0",
            "13.10",
            "13.9",
            "before 13.9",
            "13.2",
            "8.10"
        ]
    );

    // Reported: operational, optional, subscription, standard, all metrics, events (worked out
    // by hand from the fixture above; `+N`: may be reported).
    let reported: [(&str, [&str; 6]); 7] = [
        ("19.5", ["2", "1", "1", "1", "5", "2"]),
        ("16.0", ["2", "1", "0", "1", "4", "2"]),
        ("15.0", ["2", "2", "0", "0", "4", "3"]),
        ("13.10", ["2", "2", "0", "0", "4", "2"]),
        ("13.9", ["2", "1", "0", "0", "3", "1"]),
        ("13.2", ["2", "0 +1", "0", "0", "2 +1", "0 +1"]),
        ("8.10", ["1", "0 +1", "0", "0", "1 +1", "0 +1"]),
    ];
    for (v, want) in reported {
        assert_eq!(
            row_counts(&doc, 0, v, "data-version"),
            want,
            "reported by {v}"
        );
    }
    // Added and removed: metrics added, metrics removed, events added, events removed.
    let changes: [(&str, [&str; 4]); 8] = [
        ("19.5", ["1", "0", "0", "0"]),
        ("16.0", ["1", "1", "0", "1"]),
        ("15.0", ["0", "0", "1", "0"]),
        ("13.10", ["1", "0", "1", "0"]),
        ("13.9", ["0", "0", "0", "0"]),
        ("<13.9", ["1", "0", "1", "0"]),
        ("13.2", ["1", "0", "0", "0"]),
        ("8.10", ["1", "0", "0", "0"]),
    ];
    for (v, want) in changes {
        assert_eq!(
            row_counts(&doc, 1, v, "data-milestone"),
            want,
            "changes in {v}"
        );
    }

    // Counts link to the rows they count; each version compares with the one before it.
    let hrefs = labels_of(&doc, "a[href]");
    for want in [
        "/?milestone=16.0&removed=1",
        "/?milestone=%3C13.9&removed=1",
        "/?milestone_removed=16.0&removed=1",
        "/events/?milestone_removed=16.0&removed=1",
        "/?version=16.0&category=operational",
        "/events/?version=15.0",
    ] {
        assert!(hrefs.iter().any(|h| h == want), "{want} in {hrefs:?}");
    }
    let compare: Vec<String> = select(&doc, "tr[data-milestone] td.compare a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .filter(|h| h.starts_with("/?"))
        .collect();
    assert_eq!(
        compare,
        [
            "/?version=19.5&since=16.0",
            "/?version=16.0&since=15.0",
            "/?version=15.0&since=13.10",
            "/?version=13.10&since=13.9",
            "/?version=13.9&since=13.2",
            "/?version=13.2&since=8.10",
        ]
    );
    // The rules in readers' words.
    let note = text(&select(&doc, ".versions-note")[0]);
    for words in [
        "opted out of optional data",
        "means added before 13.9",
        "may be",
    ] {
        assert!(note.contains(words), "{words:?} in {note}");
    }

    // The rows the removal links filter on carry the removal milestone and the editions (the
    // tables draw removed rows from their data).
    let data: serde_json::Value =
        serde_json::from_str(&read(out.join("tables/metrics.json"))).unwrap();
    let row = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key_path"] == "counts.v13_10")
        .expect("the removed metric's row");
    assert_eq!(row["f"]["milestone_removed"], "16.0");
    // Files outside `ee/` without `distribution` ship in both editions.
    assert_eq!(row["f"]["edition"], "ce|ee");
    let index = html(out.join("index.html"));
    assert!(select(&index, "select[data-param=milestone_removed]").is_empty());
    // The page is in the navigation and its links resolve.
    assert!(select(&index, "nav a[href=\"/versions/\"]").len() == 1);
    check_links(&out, "/");

    // Under a sub-path too (GitLab Pages project sites).
    let sub = out.with_file_name("sub");
    build(&out.with_file_name("defs"), &sub, &["--base-url", "/sub/"]);
    let doc = html(sub.join("versions/index.html"));
    assert!(labels_of(&doc, "td a")
        .iter()
        .all(|h| h.starts_with("/sub/")));
    check_links(&sub, "/sub/");
}

fn labels_of(doc: &scraper::Html, css: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect()
}
