//! `metricdict payload`: a Service Ping payload matched to the definitions, on GitLab's own
//! example payload and on a hand-written one with unknown keys and a removed metric.

use crate::common;
use common::*;
use serde_json::{json, Value};

fn payload(file: &std::path::Path, defs: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "payload",
        file.to_str().unwrap(),
        "--definitions",
        defs.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&repo(), &args)
}

fn report(file: &std::path::Path, defs: &std::path::Path) -> Value {
    let o = payload(file, defs, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// (payload key path, definition key path or null, data category or null, status or null).
fn annotations(r: &Value) -> Vec<(String, Value, Value, Value)> {
    r["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let d = &e["definition"];
            (
                e["key_path"].as_str().unwrap().to_string(),
                d["key_path"].clone(),
                d["data_category"].clone(),
                d["status"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_hand_written_payload_is_annotated_value_by_value() {
    let file = fixture("payload/hand_written.json");
    let r = report(&file, &fixture("basic"));
    let n = Value::Null;
    let kp = "redis_hll_counters.code_review.users_creating_merge_requests";
    assert_eq!(
        annotations(&r),
        vec![
            (
                "counts.merge_requests".into(),
                json!("counts.merge_requests"),
                json!("operational"),
                json!("active")
            ),
            (
                "counts.not_defined_here".into(),
                n.clone(),
                n.clone(),
                n.clone()
            ),
            (
                "counts_monthly.old_removed_thing".into(),
                json!("counts_monthly.old_removed_thing"),
                json!("optional"),
                json!("removed")
            ),
            (
                format!("{kp}_weekly"),
                json!(kp),
                json!("optional"),
                json!("active")
            ),
            ("<b>html</b>".into(), n.clone(), n.clone(), n.clone()),
            ("esc".into(), n.clone(), n.clone(), n.clone()),
        ]
    );
    assert_eq!(r["values"][0]["value"], 12);
    assert_eq!(
        r["values"][0]["definition"]["url"],
        "/metrics/counts.merge_requests/"
    );
    assert_eq!(
        r["values"][0]["definition"]["description"],
        "Count of the number of **merge requests**"
    );
    assert_eq!(
        r["unknown"],
        json!(["counts.not_defined_here", "<b>html</b>", "esc"])
    );
    let missing: Vec<&str> = r["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key_path"].as_str().unwrap())
        .collect();
    // Status `active` only: counts.legacy_users is `data_available`, the removed one is removed.
    assert_eq!(
        missing,
        [
            format!("{kp}_monthly").as_str(),
            "settings.subscription_setting"
        ]
    );
    assert_eq!(
        r["totals"],
        json!({
            "operational": {"values": 1, "missing": 0},
            "optional": {"values": 2, "missing": 1},
            "subscription": {"values": 0, "missing": 1},
        })
    );

    // People's output: the same facts, control characters from the payload made visible.
    let o = payload(&file, &fixture("basic"), &[]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains(r"\u{1b}[31mred\u{7}"), "{out}");
    assert!(out.contains("3 keys with no definition"), "{out}");
    assert!(
        out.contains("counts.merge_requests = 12  [operational, active]"),
        "{out}"
    );
    // --strict: a key without a definition fails a CI job.
    assert_eq!(
        payload(&file, &fixture("basic"), &["--strict"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn gitlabs_example_payload_resolves_nesting_and_object_values() {
    let file = fixture("payload/service_ping_example.json");
    let defs = repo().join("definitions");
    let r = report(&file, &defs);
    let defined: Vec<String> = annotations(&r)
        .into_iter()
        .filter(|a| !a.1.is_null())
        .map(|a| a.0)
        .collect();
    // Worked out by hand from the example and definitions/ (an object-valued metric such as
    // `git.version` or `topology` is one value, not its parts).
    assert_eq!(
        defined,
        [
            "uuid",
            "version",
            "installation_type",
            "active_user_count",
            "recorded_at",
            "edition",
            "counts.ci_builds",
            "container_registry_enabled",
            "gitlab_shared_runners_enabled",
            "elasticsearch_enabled",
            "license_trial_ends_on",
            "git.version",
            "gitaly.servers",
            "gitaly.clusters",
            "gitaly.filesystems",
            "gitlab_pages.enabled",
            "database.adapter",
            "database.pg_system_id",
            "database.flavor",
            "usage_activity_by_stage.create.merge_requests",
            "usage_activity_by_stage_monthly.create.merge_requests",
            "usage_activity_by_stage_monthly.verify.ci_builds",
            "topology",
        ]
    );
    let git = r["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key_path"] == "git.version")
        .unwrap();
    assert_eq!(git["value"], json!({"major": 2, "minor": 26, "patch": 1}));
    let unknown = r["unknown"].as_array().unwrap();
    assert!(unknown.contains(&json!("hostname")) && unknown.contains(&json!("licensee.Name")));
    assert_eq!(
        r["values"].as_array().unwrap().len(),
        defined.len() + unknown.len()
    );
}

#[test]
fn what_is_not_a_payload_exits_2_with_a_position() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = fixture("basic");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "broken.json",
            "{\n  \"a\": 1,\n  \"b\": }\n".into(),
            "line 3, column 8",
        ),
        ("list.json", "[1, 2]".into(), "the top level is an array"),
        (
            "deep.json",
            format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100)),
            "nested more than 64 levels deep",
        ),
        (
            "deeper.json",
            format!("{}{}", "[".repeat(300), "]".repeat(300)),
            "nested more than 64 levels deep",
        ),
    ];
    for (name, body, expected) in cases {
        let file = tmp.path().join(name);
        std::fs::write(&file, body).unwrap();
        let o = payload(&file, &defs, &[]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{name}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    let big = tmp.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(50 * 1024 * 1024 + 1).unwrap();
    let o = payload(&big, &defs, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("more than the 52428800-byte limit"),
        "{}",
        stderr(&o)
    );
}
