//! Definition pages show structured fields (`events`, `additional_properties`,
//! `extra_trackers`, `options`, shapes nobody planned for) as readable lists and tables, not
//! as raw JSON.

use crate::common;
use common::*;
use std::fs;

/// The basic fixture plus a metric and an event carrying every structured shape.
fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    fs::write(
        defs.join("config/metrics/counts_28d/20250101000000_structured.yml"),
        r#"---
key_path: counts.structured_things
description: A metric with structured fields
product_group: code_review
value_type: number
status: active
time_frame: 28d
data_source: internal_events
data_category: optional
events:
  - name: create_merge_request
    unique: user.id
    filter:
      label: main
  - name: no_such_event
options:
  config:
    gitlab_ci: shared_runners_enabled
  events: [first_event, second_event]
additional_properties:
  label:
    description: The branch kind
    type: string
odd_shape:
  - plain: "<b>bold?</b>"
    nested:
      deeper: [1, 2]
  - null
tiers: [free]
milestone: "17.9"
introduced_by_url: https://gitlab.com/gitlab-org/gitlab/-/merge_requests/7
"#,
    )
    .unwrap();
    fs::write(
        defs.join("config/events/finish_tool_call.yml"),
        r#"---
description: A tool call finished
internal_events: true
action: finish_tool_call
identifiers: [user]
extra_trackers:
- tracking_class: Gitlab::Tracking::AiTracking
  protected_properties:
    prompt:
      description: The prompt
additional_properties:
  session_id:
    description: Session ID that connects this event to others
  tool_name:
    description: Name of the <script>alert(1)</script> tool
    type: string
  bare:
product_group: code_review
milestone: '18.6'
introduced_by_url: https://gitlab.com/gitlab-org/gitlab/-/merge_requests/8
tiers: [premium]
"#,
    )
    .unwrap();
    let out = tmp.path().join("site");
    build(&defs, &out, &[]);
    (tmp, out)
}

/// An element's text as a reader sees it: text nodes joined, whitespace collapsed.
fn flat(e: &scraper::ElementRef) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn field<'a>(doc: &'a scraper::Html, name: &str) -> scraper::ElementRef<'a> {
    let found = select(doc, &format!(".fields > [id='{name}'] + dd"));
    assert_eq!(found.len(), 1, "one field {name}");
    found[0]
}

#[test]
fn metric_events_and_options_read_as_lists_with_links() {
    let (_t, out) = built();
    let page = html(out.join("metrics/counts.structured_things/index.html"));
    assert!(
        select(&page, ".fields pre").is_empty(),
        "no raw JSON block left in the fields"
    );
    let events = field(&page, "events");
    let links: Vec<_> = events
        .select(&scraper::Selector::parse("a").unwrap())
        .map(|a| (a.value().attr("href").unwrap().to_string(), text(&a)))
        .collect();
    assert_eq!(
        links,
        vec![(
            "/events/create_merge_request/".to_string(),
            "create_merge_request".to_string()
        )],
        "a known event links to its page; an unknown one does not"
    );
    let t = flat(&events);
    assert!(t.contains("unique by user.id"), "{t}");
    assert!(t.contains("no_such_event"), "{t}");
    assert!(
        t.contains("filter") && t.contains("label") && t.contains("main"),
        "{t}"
    );

    let options = field(&page, "options");
    let keys: Vec<String> = options
        .select(&scraper::Selector::parse("dt").unwrap())
        .map(|e| text(&e))
        .collect();
    assert_eq!(keys, ["config", "gitlab_ci", "events"]);
    let t = flat(&options);
    assert!(
        t.contains("shared_runners_enabled") && t.contains("first_event, second_event"),
        "{t}"
    );

    // A shape nobody planned for is still all there, as text.
    let odd = field(&page, "odd_shape");
    let t = flat(&odd);
    for part in ["plain", "<b>bold?</b>", "nested", "deeper", "1, 2"] {
        assert!(t.contains(part), "{part} in {t}");
    }
    assert!(
        select(&page, ".fields b").is_empty(),
        "HTML in values stays text"
    );

    // Properties where the page has no Properties section: a table, a row and anchor each.
    let props = field(&page, "additional_properties");
    let row = props
        .select(&scraper::Selector::parse("tbody tr").unwrap())
        .next()
        .unwrap();
    assert_eq!(row.value().attr("id"), Some("additional_properties-label"));
    assert_eq!(flat(&row), "label #The branch kind typestring");
    assert_eq!(
        select(&page, "a[href='#additional_properties-label']").len(),
        1
    );
}

#[test]
fn event_properties_and_trackers_read_as_tables_with_anchors() {
    let (_t, out) = built();
    let page = html(out.join("events/finish_tool_call/index.html"));
    assert_eq!(
        select(&page, "main pre").len(),
        0,
        "no raw JSON block (the warehouse queries are drawn by script)"
    );
    let links: Vec<String> = field(&page, "additional_properties")
        .select(&scraper::Selector::parse("a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        links,
        [
            "#property-session_id",
            "#property-tool_name",
            "#property-bare"
        ]
    );
    // The Properties table describes each property once, with an anchor; the field in the
    // definition list names them, linked to their rows.
    let rows: Vec<(String, String, String)> = select(&page, "#h-properties ~ table tbody tr")
        .iter()
        .map(|r| {
            let cell = |css: &str| {
                r.select(&scraper::Selector::parse(css).unwrap())
                    .next()
                    .map(|e| flat(&e))
                    .unwrap_or_default()
            };
            (
                r.value().attr("id").unwrap_or("").to_string(),
                cell("th"),
                cell("td"),
            )
        })
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0].0, "property-session_id");
    assert_eq!(rows[0].1, "session_id #");
    assert_eq!(rows[0].2, "Session ID that connects this event to others");
    // Descriptions are markdown, sanitised as everywhere: the script is dropped, the words stay.
    assert!(rows[1].2.starts_with("Name of the"), "{:?}", rows[1]);
    // Keys besides the description read as a key/value list, not JSON.
    assert!(rows[1].2.ends_with("typestring"), "{:?}", rows[1]);
    assert_eq!(rows[2].1, "bare #");
    assert!(
        select(&page, "main script").is_empty(),
        "no script from a description"
    );
    // Each property's row links to itself, and the definition list links to it.
    assert_eq!(select(&page, "a[href='#property-tool_name']").len(), 2);
    let trackers = flat(&field(&page, "extra_trackers"));
    for part in [
        "tracking_class",
        "Gitlab::Tracking::AiTracking",
        "protected_properties",
        "prompt",
        "The prompt",
    ] {
        assert!(trackers.contains(part), "{part} in {trackers}");
    }
    check_links(&out, "/");
}
