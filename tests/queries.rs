//! "Copy the query": definition pages show warehouse queries filled from templates (GitLab's by
//! default, `metricdict.toml`'s when given) by static/page.js in the browser; every query a
//! page shows parses as Snowflake SQL and compares against exactly the definition's own value,
//! whatever it contains.

use crate::common;
use common::browser::*;
use common::*;
use sqlparser::ast::{BinaryOperator, Expr, Value as SqlValue, Visit, Visitor};
use sqlparser::dialect::SnowflakeDialect;
use sqlparser::parser::Parser;
use std::collections::BTreeMap;
use std::fs;
use std::ops::ControlFlow;

const HOSTILE_KEY_PATH: &str = r"counts.it's_a\'); DROP TABLE x; --\";

/// The basic fixture plus a metric whose key path tries to break out of a string literal.
fn defs(tmp: &std::path::Path) -> std::path::PathBuf {
    let defs = tmp.join("defs");
    copy_dir(&fixture("basic"), &defs);
    fs::write(
        defs.join("config/metrics/counts_all/20250101000000_hostile.yml"),
        format!(
            "---\nkey_path: '{}'\ndescription: Hostile key path\nproduct_group: code_review\n\
             value_type: number\nstatus: active\ntime_frame: all\ndata_source: database\n\
             data_category: optional\ntiers: [free]\nmilestone: '17.9'\n\
             introduced_by_url: https://gitlab.com/gitlab-org/gitlab/-/merge_requests/9\n",
            HOSTILE_KEY_PATH.replace('\'', "''")
        ),
    )
    .unwrap();
    defs
}

/// A built site served to headless Chromium, to read the queries its pages draw.
struct Pages {
    _browser: headless_chrome::Browser,
    tab: std::sync::Arc<headless_chrome::Tab>,
    _server: StaticServer,
    base: String,
    out: std::path::PathBuf,
}

impl Pages {
    fn open(out: &std::path::Path) -> Option<Pages> {
        let browser = launch(chromium()?);
        let tab = browser.new_tab().unwrap();
        let server = StaticServer::start(out.to_path_buf(), "127.0.0.1:0", "/").unwrap();
        let base = format!("http://127.0.0.1:{}/", server.port);
        Some(Pages {
            _browser: browser,
            tab,
            _server: server,
            base,
            out: out.to_path_buf(),
        })
    }

    /// The queries a page shows once its script has run: (label, key path shown, SQL).
    fn queries(&self, page: &std::path::Path) -> Vec<(String, String, String)> {
        let dir = page.parent().unwrap().strip_prefix(&self.out).unwrap();
        let path: String = dir
            .to_str()
            .unwrap()
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        open(&self.tab, &format!("{}{path}/", self.base));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let state = eval(&self.tab, "(s => s ? s.getAttribute('data-drawn') || 'pending' : 'none')(document.querySelector('section.queries[data-queries]'))");
            match state.as_str() {
                Some("none") => return Vec::new(),
                Some("pending") => {}
                Some("error") | None => panic!("{path}: the queries were not drawn: {state}"),
                Some(_) => break,
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path}: queries never drawn"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let v = eval(
            &self.tab,
            "JSON.stringify([...document.querySelectorAll('.queries figure')].map(f => \
             [f.querySelector('.query-label')?.textContent || '', \
              f.querySelector('figcaption code')?.textContent || '', \
              f.querySelector('pre')?.textContent || '']))",
        );
        serde_json::from_str(v.as_str().unwrap()).unwrap()
    }
}

/// Every `column = 'literal'` comparison in a statement, literals decoded by the parser.
fn equalities(sql: &str) -> BTreeMap<String, String> {
    struct Eqs(BTreeMap<String, String>);
    impl Visitor for Eqs {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } = e
            {
                if let (Expr::Identifier(col), Expr::Value(v)) = (&**left, &**right) {
                    if let SqlValue::SingleQuotedString(s) = &v.value {
                        self.0.insert(col.value.clone(), s.clone());
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let statements = Parser::parse_sql(&SnowflakeDialect {}, sql)
        .unwrap_or_else(|e| panic!("does not parse as Snowflake SQL: {e}\n{sql}"));
    assert_eq!(statements.len(), 1, "one statement: {sql}");
    let mut v = Eqs(BTreeMap::new());
    let _ = statements.visit(&mut v);
    v.0
}

/// The page of the legacy event `merge_request_action` / `create`.
fn legacy_event_page(out: &std::path::Path) -> std::path::PathBuf {
    let json: serde_json::Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let e = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "merge_request_action" && e["action"] == "create")
        .unwrap();
    out.join(e["url"].as_str().unwrap().trim_start_matches('/'))
        .join("index.html")
}

#[test]
fn every_generated_query_parses_and_filters_on_the_exact_value() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&defs(tmp.path()), &out, &[]);
    let Some(pages) = Pages::open(&out) else {
        return;
    };

    // A time-frame list: one query per payload key path, GitLab.com and Self-Managed each.
    let q =
        pages.queries(&out.join(
            "metrics/redis_hll_counters.code_review.users_creating_merge_requests/index.html",
        ));
    let seen: Vec<(String, String)> = q.iter().map(|(l, k, _)| (l.clone(), k.clone())).collect();
    let base = "redis_hll_counters.code_review.users_creating_merge_requests";
    assert_eq!(
        seen,
        [
            ("GitLab.com", format!("{base}_weekly")),
            ("Self-Managed and Dedicated", format!("{base}_weekly")),
            ("GitLab.com", format!("{base}_monthly")),
            ("Self-Managed and Dedicated", format!("{base}_monthly")),
        ]
        .map(|(l, k)| (l.to_string(), k))
    );
    for (label, key_path, sql) in &q {
        let eq = equalities(sql);
        assert_eq!(eq.get("metrics_path"), Some(key_path), "{sql}");
        let deployment = if label == "GitLab.com" {
            Some("GitLab.com")
        } else {
            None
        };
        assert_eq!(
            eq.get("ping_deployment_type").map(String::as_str),
            deployment,
            "{sql}"
        );
        assert!(sql.contains("ping_deployment_type != 'GitLab.com'") == deployment.is_none());
    }

    // The hostile key path stays inside its literal.
    let hostile = fs::read_dir(out.join("metrics"))
        .unwrap()
        .map(|e| e.unwrap().path().join("index.html"))
        .find(|p| read(p).contains("Hostile key path"))
        .expect("the hostile metric has a page");
    let q = pages.queries(&hostile);
    assert_eq!(q.len(), 2);
    for (_, _, sql) in &q {
        assert_eq!(
            equalities(sql).get("metrics_path").map(String::as_str),
            Some(HOSTILE_KEY_PATH),
            "{sql}"
        );
    }

    // A legacy event: category and action; an internal event: action alone.
    let legacy = pages.queries(&legacy_event_page(&out));
    assert_eq!(legacy.len(), 1);
    let eq = equalities(&legacy[0].2);
    assert_eq!(
        eq.get("event_category").map(String::as_str),
        Some("merge_request_action")
    );
    assert_eq!(eq.get("event_action").map(String::as_str), Some("create"));
    let internal = pages.queries(&out.join("events/create_merge_request/index.html"));
    let eq = equalities(&internal[0].2);
    assert_eq!(
        eq.get("event_action").map(String::as_str),
        Some("create_merge_request")
    );
    assert_eq!(eq.get("event_category"), None);
    assert!(internal[0].2.contains("behavior_at >="), "a date filter");

    // The templates, for scripts.
    let json: serde_json::Value = serde_json::from_str(&read(out.join("queries.json"))).unwrap();
    assert_eq!(
        json["templates"]["metric"][1]["label"],
        "Self-Managed and Dedicated"
    );
    assert!(json["templates"]["metric"][0]["sql"]
        .as_str()
        .unwrap()
        .contains("metrics_path = {key_path}"));
    assert_eq!(
        json["placeholders"]["legacy_event"],
        serde_json::json!(["action", "category"])
    );
}

#[test]
fn templates_come_from_metricdict_toml_and_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = defs(tmp.path());
    let out = tmp.path().join("site");
    let config = tmp.path().join("metricdict.toml");
    fs::write(
        &config,
        r#"
[queries]
source_title = "Our warehouse notes"
[[queries.metric]]
label = "BigQuery"
sql = "SELECT value FROM pings WHERE path = {key_path}"
[[queries.event]]
label = "Events"
sql = "SELECT COUNT(*) FROM events WHERE name = {action}"
"#,
    )
    .unwrap();
    let o = run(
        &repo(),
        &[
            "--config",
            config.to_str().unwrap(),
            "build",
            "--definitions",
            defs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let Some(pages) = Pages::open(&out) else {
        return;
    };
    let q = pages.queries(&out.join("metrics/counts.merge_requests/index.html"));
    assert_eq!(
        q,
        [(
            "BigQuery".to_string(),
            String::new(),
            "SELECT value FROM pings WHERE path = 'counts.merge_requests'".to_string()
        )]
    );
    assert_eq!(
        eval(
            &pages.tab,
            "document.querySelector('.queries').textContent.includes('Our warehouse notes')"
        ),
        serde_json::Value::Bool(true),
        "the page names where the templates come from"
    );
    // No legacy-event template configured: a legacy event shows no query section.
    assert!(pages.queries(&legacy_event_page(&out)).is_empty());

    // A misspelt placeholder is refused before anything is built.
    fs::write(
        &config,
        "[[queries.metric]]\nlabel = \"x\"\nsql = \"SELECT 1 WHERE p = {keypath}\"\n",
    )
    .unwrap();
    let o = run(&repo(), &["--config", config.to_str().unwrap(), "check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("unknown placeholder {keypath}") && err.contains("key_path"),
        "{err}"
    );
}
