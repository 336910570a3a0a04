//! Milestones as versions (13.2 before 13.10, 8.10 before 19.5, `<13.9` shown as "before 13.9")
//! and `/versions/`: what each GitLab version added, removed and reports, on a fixture whose
//! expected counts are worked out by hand below.

mod common;
use common::*;
use std::path::Path;

/// A metric: (file, key_path, milestone, milestone_removed, data_category).
type MetricFixture = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);
const METRICS: [MetricFixture; 6] = [
    ("legacy", "counts.legacy", Some("8.10"), None, "operational"),
    ("before", "counts.before", Some("<13.9"), None, "optional"),
    ("v13_2", "counts.v13_2", Some("13.2"), None, "operational"),
    (
        "v13_10",
        "counts.v13_10",
        Some("13.10"),
        Some("16.0"),
        "optional",
    ),
    ("v16_0", "counts.v16_0", Some("16.0"), None, "standard"),
    ("v19_5", "counts.v19_5", Some("19.5"), None, "subscription"),
];

/// Events: (action, milestone, milestone_removed). (Both schemas require a milestone: a
/// definition without one does not build, so the unit tests in `model::version` cover it.)
const EVENTS: [(&str, Option<&str>, Option<&str>); 3] = [
    ("e_before", Some("<13.9"), None),
    ("e_13_10", Some("13.10"), None),
    ("e_15_0", Some("15.0"), Some("16.0")),
];

fn write_fixture(defs: &Path) {
    let metrics = defs.join("config/metrics/counts_all");
    let events = defs.join("config/events");
    std::fs::create_dir_all(&metrics).unwrap();
    std::fs::create_dir_all(&events).unwrap();
    for (file, key, ms, removed, cat) in METRICS {
        let mut y = format!(
            "---\nkey_path: {key}\ndescription: Count of {file}\nproduct_group: code_review\n\
             value_type: number\ntime_frame: all\ndata_source: database\ndata_category: {cat}\n\
             tiers: [free, premium, ultimate]\n"
        );
        if let Some(ms) = ms {
            y.push_str(&format!("milestone: \"{ms}\"\n"));
        }
        y.push_str("introduced_by_url: https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1\n");
        match removed {
            Some(r) => y.push_str(&format!("status: removed\nmilestone_removed: \"{r}\"\nremoved_by_url: https://gitlab.com/gitlab-org/gitlab/-/merge_requests/2\n")),
            None => y.push_str("status: active\n"),
        }
        std::fs::write(metrics.join(format!("{file}.yml")), y).unwrap();
    }
    for (action, ms, removed) in EVENTS {
        let mut y = format!(
            "---\ndescription: Event {action}\ninternal_events: true\naction: {action}\n\
             identifiers: [user]\nproduct_group: code_review\ntiers: [free]\n\
             introduced_by_url: https://gitlab.com/gitlab-org/gitlab/-/merge_requests/3\n"
        );
        if let Some(ms) = ms {
            y.push_str(&format!("milestone: \"{ms}\"\n"));
        }
        if let Some(r) = removed {
            y.push_str(&format!("status: removed\nmilestone_removed: \"{r}\"\n"));
        }
        std::fs::write(events.join(format!("{action}.yml")), y).unwrap();
    }
}

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
