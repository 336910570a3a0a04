//! The fixture of `tests/versions.rs` and `tests/browser_versions.rs`: milestones 8.10, 13.2,
//! 13.10, 15.0, 16.0, 19.5 and `<13.9`, with removals; the tests' expected counts are worked
//! out by hand from these lists.

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

pub fn write_fixture(defs: &Path) {
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
