//! `metricdict new event|metric`: flags (as scripts and CI use it) and prompts on a
//! pseudo-terminal. Every written definition is read back and must pass `metricdict check`
//! without a single diagnostic, in a GitLab-layout fixture and in a copy of the repository's
//! own definitions/ (which carries GitLab's schemas).

use crate::common;
use common::*;
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

const URL: &str = "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1";

/// A scratch copy of a definitions tree.
fn copy_of(src: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for e in walkdir::WalkDir::new(src) {
        let e = e.unwrap();
        let to = tmp.path().join(e.path().strip_prefix(src).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&to).unwrap();
        } else {
            fs::copy(e.path(), &to).unwrap();
        }
    }
    tmp
}

/// Run `metricdict new …` without a terminal (stdin is not one under `output()`).
fn new(defs: &Path, args: &[&str]) -> Output {
    let mut all = vec!["new"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--definitions", defs.to_str().unwrap()]);
    bin()
        .args(&all)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("metricdict runs")
}

/// The written file (printed on stdout), read back as YAML.
fn written(o: &Output) -> (PathBuf, Value) {
    assert!(o.status.success(), "new failed: {}", stderr(o));
    let path = PathBuf::from(stdout(o).trim());
    let v: Value = serde_yaml::from_str(&read(&path)).unwrap();
    (path, v)
}

/// `check --format json` on `defs`: no errors anywhere, and no diagnostic at all in `new`.
fn assert_checks(defs: &Path, new: &[&Path]) {
    let o = run(
        &repo(),
        &["check", "-d", defs.to_str().unwrap(), "--format", "json"],
    );
    let diags: Vec<Value> = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    let errors: Vec<&Value> = diags.iter().filter(|d| d["severity"] == "error").collect();
    assert!(errors.is_empty(), "check errors: {errors:#?}");
    assert_eq!(o.status.code(), Some(0));
    for p in new {
        let about: Vec<&Value> = diags
            .iter()
            .filter(|d| Path::new(d["file"].as_str().unwrap()) == *p)
            .collect();
        assert!(about.is_empty(), "{}: {about:#?}", p.display());
    }
}

fn event_flags<'a>(action: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "event",
        "--action",
        action,
        "--description",
        "A button: clicked",
        "--group",
        "code_review",
        "--identifiers",
        "user,project",
        "--tiers",
        "ultimate,free",
        "--milestone",
        "18.6",
        "--introduced-by-url",
        URL,
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn flags_write_an_event_and_metrics_that_pass_check() {
    let tmp = copy_of(&fixture("basic"));
    let defs = tmp.path();

    let o = new(
        defs,
        &event_flags(
            "click_button",
            &[
                "--product-categories",
                "code_review_workflow",
                "--property",
                "label=Which button",
                "--property",
                "property=Where it is",
                "--property",
                "button_size=Its size",
            ],
        ),
    );
    let (event_path, e) = written(&o);
    assert_eq!(event_path, defs.join("config/events/click_button.yml"));
    let text = read(&event_path);
    // `: ` would start a mapping: quoted, in a form YAML 1.1 and 1.2 readers agree on.
    assert!(
        text.starts_with("---\ndescription: \"A button: clicked\"\ninternal_events: true\n"),
        "{text}"
    );
    assert!(text.contains("\nmilestone: '18.6'\n"), "{text}");
    assert_eq!(e["action"], "click_button");
    assert_eq!(e["internal_events"], true);
    assert_eq!(e["identifiers"], json!(["user", "project"]));
    assert_eq!(e["product_group"], "code_review");
    assert_eq!(e["product_categories"], json!(["code_review_workflow"]));
    assert_eq!(e["tiers"], json!(["free", "ultimate"]));
    assert_eq!(e["milestone"], "18.6");
    assert_eq!(e["introduced_by_url"], URL);
    assert_eq!(
        e["additional_properties"],
        json!({"label": {"description": "Which button"},
               "property": {"description": "Where it is"},
               "button_size": {"description": "Its size"}})
    );
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "description",
            "internal_events",
            "action",
            "identifiers",
            "additional_properties",
            "product_group",
            "product_categories",
            "milestone",
            "introduced_by_url",
            "tiers"
        ]
    );

    // "Count unique users of click_button weekly and monthly".
    let o = new(
        defs,
        &[
            "metric",
            "--from-event",
            "click_button",
            "--unique",
            "user.id",
            "--time-frame",
            "28d,7d",
            "--milestone",
            "18.6",
            "--introduced-by-url",
            URL,
        ],
    );
    let (unique_path, m) = written(&o);
    assert_eq!(
        m["key_path"],
        "redis_hll_counters.count_distinct_user_id_from_click_button"
    );
    assert_eq!(
        m["description"],
        "Count of unique users who triggered click_button"
    );
    assert_eq!(m["product_group"], "code_review");
    assert_eq!(m["product_categories"], json!(["code_review_workflow"]));
    assert_eq!(m["performance_indicator_type"], json!([]));
    assert_eq!(m["value_type"], "number");
    assert_eq!(m["status"], "active");
    assert_eq!(m["milestone"], "18.6");
    assert_eq!(m["time_frame"], json!(["28d", "7d"]));
    assert_eq!(m["data_source"], "internal_events");
    assert_eq!(m["data_category"], "optional");
    assert_eq!(m["tiers"], json!(["free", "ultimate"]));
    assert_eq!(
        m["events"],
        json!([{"name": "click_button", "unique": "user.id"}])
    );
    assert_eq!(
        unique_path.parent().unwrap(),
        defs.join("config/metrics/counts_28d")
    );
    let name = unique_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let (stamp, rest) = name.split_at(14);
    assert!(stamp.bytes().all(|b| b.is_ascii_digit()), "{name}");
    assert_eq!(rest, "_count_distinct_user_id_from_click_button.yml");
    let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "key_path",
            "description",
            "product_group",
            "product_categories",
            "performance_indicator_type",
            "value_type",
            "status",
            "milestone",
            "introduced_by_url",
            "time_frame",
            "data_source",
            "data_category",
            "tiers",
            "events"
        ]
    );

    // A total count over two events, all time, with everything given by flags.
    let o = new(
        defs,
        &[
            "metric",
            "--events",
            "click_button,create_merge_request",
            "--key-path",
            "counts.clicks_and_merge_requests",
            "--description",
            "Clicks and merge requests",
            "--group",
            "group::code review",
            "--tiers",
            "premium",
            "--time-frame",
            "all",
            "--data-category",
            "operational",
            "--milestone",
            "18.7",
            "--introduced-by-url",
            URL,
        ],
    );
    let (total_path, t) = written(&o);
    assert_eq!(
        total_path.parent().unwrap(),
        defs.join("config/metrics/counts_all")
    );
    assert_eq!(t["key_path"], "counts.clicks_and_merge_requests");
    assert_eq!(t["product_group"], "code_review");
    assert!(t.get("product_categories").is_none());
    assert_eq!(t["time_frame"], "all");
    assert_eq!(t["data_category"], "operational");
    assert_eq!(
        t["events"],
        json!([{"name": "click_button"}, {"name": "create_merge_request"}])
    );

    assert_checks(defs, &[&event_path, &unique_path, &total_path]);
}

#[test]
fn flags_work_in_the_repository_definitions_with_their_own_schemas() {
    let tmp = copy_of(&repo().join("definitions"));
    let defs = tmp.path();
    assert!(defs.join("config/metrics/schema/base.json").is_file());

    let mut args = event_flags("use_dictionary_cli", &[]);
    let at = args.iter().position(|a| *a == "user,project").unwrap();
    args[at] = "none";
    let (event_path, e) = written(&new(defs, &args));
    assert!(e.get("identifiers").is_none(), "{e}");
    let (from_existing, m) = written(&new(
        defs,
        &[
            "metric",
            "--from-event",
            "view_cycle_analytics",
            "--unique",
            "project.id",
            "--time-frame",
            "7d",
            "--milestone",
            "18.6",
            "--introduced-by-url",
            URL,
        ],
    ));
    assert_eq!(
        m["key_path"],
        "redis_hll_counters.count_distinct_project_id_from_view_cycle_analytics_weekly"
    );
    assert_eq!(m["product_group"], "optimize");
    assert_eq!(m["time_frame"], "7d");
    assert_eq!(
        from_existing.parent().unwrap(),
        defs.join("config/metrics/counts_7d")
    );
    let (from_new, n) = written(&new(
        defs,
        &[
            "metric",
            "--from-event",
            "use_dictionary_cli",
            "--time-frame",
            "28d,7d,all",
            "--milestone",
            "18.6",
            "--introduced-by-url",
            URL,
        ],
    ));
    assert_eq!(n["key_path"], "counts.count_total_use_dictionary_cli");
    assert_eq!(n["events"], json!([{"name": "use_dictionary_cli"}]));
    assert_checks(defs, &[&event_path, &from_existing, &from_new]);
}

#[test]
fn refusals_exit_2_and_write_nothing() {
    let tmp = copy_of(&fixture("basic"));
    let defs = tmp.path();
    let before = files(defs);
    let refused = |args: &[&str], says: &str| {
        let o = new(defs, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(says),
            "{args:?}: expected {says:?} in {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
    };

    // A missing required value names its flag; nothing is asked without a terminal.
    refused(&["event"], "missing --action");
    let mut no_milestone = event_flags("x_y", &[]);
    let at = no_milestone
        .iter()
        .position(|a| *a == "--milestone")
        .unwrap();
    no_milestone.drain(at..at + 2);
    refused(&no_milestone, "missing --milestone");
    refused(
        &["metric", "--from-event", "create_merge_request"],
        "missing --time-frame",
    );
    refused(
        &[
            "metric",
            "--events",
            "create_merge_request",
            "--time-frame",
            "7d",
        ],
        "missing --key-path",
    );
    refused(&["metric", "--time-frame", "7d"], "missing --events");

    // Existing definitions.
    refused(
        &event_flags("create_merge_request", &[]),
        "`create_merge_request` is already defined",
    );
    refused(
        &[
            "metric",
            "--events",
            "create_merge_request",
            "--key-path",
            "redis_hll_counters.code_review.users_creating_merge_requests",
            "--description",
            "d",
            "--group",
            "code_review",
            "--tiers",
            "free",
            "--time-frame",
            "28d",
            "--milestone",
            "18.6",
            "--introduced-by-url",
            URL,
        ],
        "is already defined",
    );
    // `…_weekly` is the Service Ping key of an existing metric with time_frame [7d, 28d].
    refused(
        &[
            "metric",
            "--events",
            "create_merge_request",
            "--key-path",
            "redis_hll_counters.code_review.users_creating_merge_requests_weekly",
            "--time-frame",
            "7d",
        ],
        "is already defined",
    );

    // Bad values.
    refused(&event_flags("Click-Button", &[]), "^[a-z0-9_]+$");
    refused(&event_flags("ok_action", &["--tiers", "gold"]), "--tiers");
    let mut bad_milestone = event_flags("ok_action", &[]);
    let at = bad_milestone.iter().position(|a| *a == "18.6").unwrap();
    bad_milestone[at] = "18";
    refused(&bad_milestone, "--milestone");
    refused(
        &event_flags("ok_action", &["--property", "button_size=Size"]),
        "custom properties need",
    );
    refused(
        &[
            "metric",
            "--from-event",
            "not_defined_anywhere",
            "--time-frame",
            "7d",
        ],
        "no event `not_defined_anywhere`",
    );
    refused(
        &[
            "metric",
            "--from-event",
            "create_merge_request",
            "--unique",
            "user.id",
            "--time-frame",
            "all",
        ],
        "--time-frame all",
    );
    refused(
        &[
            "metric",
            "--from-event",
            "request_duo_chat_response",
            "--unique",
            "project.id",
            "--time-frame",
            "7d",
        ],
        "no `project` identifier",
    );
    assert_eq!(files(defs), before, "a refused command wrote something");

    // An existing file is never replaced, even when its content defines something else.
    let taken = defs.join("config/events/taken.yml");
    fs::write(&taken, "# placeholder\naction: something_else\n").unwrap();
    refused(&event_flags("taken", &[]), "refusing to overwrite");
    assert_eq!(read(&taken), "# placeholder\naction: something_else\n");

    // A folder that is not laid out like GitLab would be hidden by a new config/ folder.
    let flat = tempfile::tempdir().unwrap();
    fs::copy(
        fixture("basic").join("config/events/create_merge_request.yml"),
        flat.path().join("e.yml"),
    )
    .unwrap();
    let o = new(flat.path(), &event_flags("flat_event", &[]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not laid out like GitLab"),
        "{}",
        stderr(&o)
    );
    let o = new(&defs.join("missing"), &event_flags("flat_event", &[]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("definitions folder not found"));
}

/// Premium/ultimate-only definitions go under ee/ in a tree that has one, as in GitLab.
#[test]
fn non_free_definitions_go_under_ee_when_the_tree_has_it() {
    let tmp = copy_of(&fixture("basic"));
    let defs = tmp.path();
    fs::create_dir_all(defs.join("ee/config/events")).unwrap();
    let mut args = event_flags("paid_click", &[]);
    let at = args.iter().position(|a| *a == "ultimate,free").unwrap();
    args[at] = "premium,ultimate";
    let (path, _) = written(&new(defs, &args));
    assert_eq!(path, defs.join("ee/config/events/paid_click.yml"));
    let (free, _) = written(&new(defs, &event_flags("free_click", &[])));
    assert_eq!(free, defs.join("config/events/free_click.yml"));
    assert_checks(defs, &[&path, &free]);
}

// ---- prompts on a pseudo-terminal ----

const DOWN: &str = "\x1b[B";
const BACKSPACE: &str = "\x7f";

/// Spawn `metricdict new …` on a pseudo-terminal of a known size.
fn spawn(defs: &Path, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(r#"stty cols 160 rows 50 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_metricdict"))
        .arg("new")
        .args(args)
        .arg("--definitions")
        .arg(defs)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("CI");
    rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn on a pty")
}

/// Wait for a prompt, then type the answer (keys as the terminal sends them; `\r` is Enter).
fn answer(p: &mut rexpect::session::PtySession, prompt: &str, keys: &str) {
    p.exp_string(prompt)
        .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
    p.send(keys).unwrap();
    p.flush().unwrap();
}

/// Wait for a successful end; return the path the command printed.
fn finish(mut p: rexpect::session::PtySession, defs: &Path) -> PathBuf {
    let out = p.exp_eof().expect("the command ends");
    let status = p.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 0)),
        "{status:?}\n{out}"
    );
    let defs = defs.to_str().unwrap();
    let path = out
        .lines()
        .filter(|l| !l.contains("wrote"))
        .filter_map(|l| l.find(defs).map(|i| l[i..].trim()))
        .rfind(|l| l.ends_with(".yml"))
        .unwrap_or_else(|| panic!("no path printed:\n{out}"));
    PathBuf::from(path)
}

#[test]
fn prompts_on_a_terminal_write_an_event_and_a_metric() {
    let tmp = copy_of(&fixture("basic"));
    let defs = tmp.path();

    let mut p = spawn(defs, &["event"]);
    // An existing action is refused on the spot, and asked again.
    answer(&mut p, "Action (event name):", "create_merge_request\r");
    answer(
        &mut p,
        "already defined",
        &format!("{}pty_click\r", BACKSPACE.repeat(25)),
    );
    answer(&mut p, "Description:", "Clicked in a terminal\r");
    // user is preselected; add project (the second option).
    answer(&mut p, "Identifiers:", &format!("{DOWN} \r"));
    // Type to filter the long list of groups.
    answer(&mut p, "Product group:", "duo_chat\r");
    answer(&mut p, "Product categories:", "duo_chat\r");
    answer(&mut p, "Tiers:", &format!("{DOWN} {DOWN} \r")); // premium, ultimate
    answer(&mut p, "Additional property", "label\r");
    answer(&mut p, "Description of `label`:", "The button\r");
    answer(&mut p, "Additional property", "\r");
    answer(&mut p, "Milestone:", "18.6\r");
    answer(&mut p, "Introduced by", &format!("{URL}\r"));
    let event_path = finish(p, defs);
    assert_eq!(event_path, defs.join("config/events/pty_click.yml"));
    let e: Value = serde_yaml::from_str(&read(&event_path)).unwrap();
    assert_eq!(e["action"], "pty_click");
    assert_eq!(e["description"], "Clicked in a terminal");
    assert_eq!(e["identifiers"], json!(["user", "project"]));
    assert_eq!(e["product_group"], "duo_chat");
    assert_eq!(e["product_categories"], json!(["duo_chat"]));
    assert_eq!(e["tiers"], json!(["premium", "ultimate"]));
    assert_eq!(
        e["additional_properties"],
        json!({"label": {"description": "The button"}})
    );
    assert_eq!(e["milestone"], "18.6");

    // A metric over that event: the group, categories and tiers are offered from it, the key
    // path and description are suggested; Enter accepts each.
    let mut p = spawn(defs, &["metric"]);
    answer(&mut p, "Events to count:", "pty_click \r");
    answer(&mut p, "Count:", "\r"); // user.id
    answer(&mut p, "Time frames:", "\r"); // 28d, 7d
    answer(&mut p, "Key path:", "\r");
    answer(&mut p, "Description:", "\r");
    answer(&mut p, "Product group:", "\r");
    answer(&mut p, "Product categories:", "\r");
    answer(&mut p, "Tiers:", "\r");
    answer(&mut p, "Milestone:", "18.7\r");
    answer(&mut p, "Introduced by", &format!("{URL}\r"));
    let metric_path = finish(p, defs);
    let m: Value = serde_yaml::from_str(&read(&metric_path)).unwrap();
    assert_eq!(
        m["key_path"],
        "redis_hll_counters.count_distinct_user_id_from_pty_click"
    );
    assert_eq!(
        m["description"],
        "Count of unique users who triggered pty_click"
    );
    assert_eq!(m["product_group"], "duo_chat");
    assert_eq!(m["product_categories"], json!(["duo_chat"]));
    assert_eq!(m["tiers"], json!(["premium", "ultimate"]));
    assert_eq!(m["time_frame"], json!(["28d", "7d"]));
    assert_eq!(m["milestone"], "18.7");
    assert_eq!(
        m["events"],
        json!([{"name": "pty_click", "unique": "user.id"}])
    );
    assert_eq!(
        metric_path.parent().unwrap(),
        defs.join("config/metrics/counts_28d")
    );

    // Flags given on a terminal are not asked again.
    let mut p = spawn(
        defs,
        &[
            "metric",
            "--from-event",
            "pty_click",
            "--milestone",
            "18.8",
            "--introduced-by-url",
            URL,
        ],
    );
    answer(&mut p, "Count:", &format!("{DOWN}{DOWN}\r")); // none: a total count
    answer(&mut p, "Time frames:", &format!("{DOWN}{DOWN} \r")); // + all
    answer(&mut p, "Key path:", "\r");
    answer(&mut p, "Description:", "\r");
    let total_path = finish(p, defs);
    let t: Value = serde_yaml::from_str(&read(&total_path)).unwrap();
    assert_eq!(t["key_path"], "counts.count_total_pty_click");
    assert_eq!(t["time_frame"], json!(["28d", "7d", "all"]));
    assert_eq!(t["events"], json!([{"name": "pty_click"}]));

    assert_checks(defs, &[&event_path, &metric_path, &total_path]);
}

#[test]
fn escape_on_a_terminal_cancels_without_writing() {
    let tmp = copy_of(&fixture("basic"));
    let defs = tmp.path();
    let before = files(defs);
    let mut p = spawn(defs, &["event", "--action", "never_written"]);
    answer(&mut p, "Description:", "\x1b");
    let out = p.exp_eof().unwrap();
    let status = p.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 2)),
        "{status:?}\n{out}"
    );
    assert!(out.contains("cancelled"), "{out}");
    assert_eq!(files(defs), before);
}

#[test]
fn no_input_on_a_terminal_asks_nothing() {
    let tmp = copy_of(&fixture("basic"));
    let mut p = spawn(tmp.path(), &["event", "--no-input"]);
    let out = p.exp_eof().unwrap();
    let status = p.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 2)),
        "{status:?}\n{out}"
    );
    assert!(out.contains("missing --action"), "{out}");
}
