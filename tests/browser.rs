//! Real-browser tests in headless Chromium (Debian's `chromium`): filters from the URL, typing
//! in the search box, and that injected scripts never run.
//!
//! Skipped with a note when no Chromium is installed, unless `METRICDICT_REQUIRE_BROWSER=1`
//! (set by `.ci/run`, which installs it), in which case a missing browser fails the test.
//! Screenshots are written to `target/screenshots/` for people to look at.

use crate::common;
use common::browser::*;
use common::*;
use headless_chrome::Tab;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// tantivy's ranking (via `metricdict search`) restricted to one table's visible rows.
fn expected_ranking(site: &std::path::Path, q: &str, kind: &str, data: &Value) -> Vec<String> {
    let o = bin()
        .args([
            "search",
            q,
            "--site",
            site.to_str().unwrap(),
            "--format",
            "json",
            "--limit",
            "1000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let hits: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let (list, id) = if kind == "metric" {
        ("metrics", "key_path")
    } else {
        ("events", "id")
    };
    let removed: std::collections::HashSet<String> = data[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "removed")
        .map(|d| d[id].as_str().unwrap().to_string())
        .collect();
    hits.iter()
        .filter(|h| h["kind"] == kind)
        .map(|h| h["key"].as_str().unwrap().to_string())
        .filter(|k| !removed.contains(k))
        .collect()
}

fn definitions() -> PathBuf {
    corpus().unwrap_or_else(|| fixture("basic"))
}

#[test]
fn url_filters_and_typing_show_exactly_the_matching_rows() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&definitions(), &out, &["--base-url", "/dictionary/"]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/dictionary/").unwrap();
    let base = format!("http://127.0.0.1:{}/dictionary/", server.port);
    let metrics: Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let events: Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));

    // Legal's link: operational metrics, removed ones hidden.
    open(&tab, &format!("{base}?category=operational"));
    let expected: Vec<String> = metrics["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["data_category"] == "operational" && m["status"] != "removed")
        .map(|m| m["key_path"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(sorted(visible_keys(&tab)), sorted(expected));
    screenshot(&tab, "index-operational");

    // Duo events by classification.
    open(&tab, &format!("{base}events/?category=duo"));
    let expected: Vec<String> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            (e["classification"] == "duo" || e["category"] == "duo") && e["status"] != "removed"
        })
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(sorted(visible_keys(&tab)), sorted(expected));
    screenshot(&tab, "events-duo");

    // Typing in the search box ranks rows as tantivy does, instantly, and keeps the query in the URL.
    open(&tab, &base);
    let all = visible_keys(&tab).len();
    tab.wait_for_element("#q").unwrap().click().unwrap();
    tab.type_str("merge request").unwrap();
    let expected = expected_ranking(&out, "merge request", "metric", &metrics);
    assert!(!expected.is_empty() && expected.len() < all);
    wait_for_results(&tab, &expected);
    assert_eq!(
        sorted(visible_keys(&tab)),
        sorted(expected.clone()),
        "only the results are visible"
    );
    let url = eval(&tab, "location.search");
    assert!(url.as_str().unwrap().contains("q=merge"), "{url}");
    screenshot(&tab, "index-search");

    // Opening the URL shows the same results; the events table ranks events.
    open(&tab, &format!("{base}?q=merge+request"));
    wait_for_results(&tab, &expected);
    let expected_events = expected_ranking(&out, "merge request", "event", &events);
    open(&tab, &format!("{base}events/?q=merge%20request"));
    wait_for_results(&tab, &expected_events);

    // A metric page and the events page, for people to look at.
    let first = metrics["metrics"][0]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("/dictionary/")
        .to_string();
    open(&tab, &format!("{base}{first}"));
    screenshot(&tab, "metric-page");
    open(&tab, &format!("{base}events/"));
    screenshot(&tab, "events");
}

#[test]
fn injected_scripts_never_run() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("hostile"), &out, &[]);
    // Path traversal: nothing outside the output folder.
    assert!(!tmp.path().join("escaped").exists());
    let outside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n != ".site.metricdict-lock")
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("site")]);

    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    let pages: Vec<String> = files(&out)
        .into_iter()
        .filter(|p| p.ends_with("index.html"))
        .collect();
    assert!(pages.len() >= 8);
    for page in &pages {
        let url = format!("{base}{}", page.trim_end_matches("index.html"));
        open(&tab, &url);
        // Hover and click everything a user might touch.
        eval(&tab, "document.querySelectorAll('a, b, img, svg, [onmouseover]').forEach(e => { e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); })");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            eval(&tab, "typeof window.__xss"),
            Value::String("undefined".into()),
            "script ran on {url}"
        );
        let scripts = eval(&tab, "[...document.scripts].filter(s => !s.src || !s.src.includes('/static/')).map(s => s.textContent.slice(0, 80)).join(' | ')");
        assert!(
            !scripts.as_str().unwrap_or("").contains("__xss"),
            "injected inline script on {url}: {scripts}"
        );
        let js_links = eval(&tab, "[...document.querySelectorAll('a[href], iframe[src]')].filter(a => (a.getAttribute('href') || a.getAttribute('src') || '').trim().toLowerCase().startsWith('javascript')).length");
        assert_eq!(js_links, Value::from(0), "javascript: link on {url}");
    }
    // Rows drawn by script: every row of the table data, drawn fresh (not the page's rows),
    // removed ones included, carries text only.
    for page in ["", "events/"] {
        open(&tab, &format!("{base}{page}"));
        let drawn = tab
            .evaluate(
                r#"(async () => {
                const box = document.querySelector('.dict-box');
                const data = await (await fetch(box.dataset.rows)).json();
                const R = window.metricdictRows;
                const draw = box.dataset.table === 'events' ? R.drawEvent : R.drawMetric;
                const body = box.querySelector('tbody');
                body.replaceChildren(...data.rows.map(d => draw(d, box.dataset.base)));
                body.querySelectorAll('*').forEach(e => e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})));
                const bad = body.querySelectorAll('img, script, iframe, svg, object, [onerror], [onmouseover], [onclick], [style]');
                return JSON.stringify({rows: data.rows.length, bad: bad.length});
            })()"#,
                true,
            )
            .unwrap()
            .value
            .unwrap();
        let drawn: Value = serde_json::from_str(drawn.as_str().unwrap()).unwrap();
        assert!(drawn["rows"].as_u64().unwrap() >= 1, "/{page}: {drawn}");
        assert_eq!(drawn["bad"], 0, "/{page}: markup from data in drawn rows");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            eval(&tab, "typeof window.__xss"),
            Value::String("undefined".into()),
            "script ran in rows drawn on /{page}"
        );
    }
    open(&tab, &format!("{base}metrics/counts.xss_description/"));
    screenshot(&tab, "hostile-metric");
}

#[test]
fn live_reload_shows_edits_and_the_error_overlay() {
    use metricdict::serve::{watch, LiveServer, LiveSite};
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    for e in walkdir::WalkDir::new(fixture("basic")) {
        let e = e.unwrap();
        let t = defs.join(e.path().strip_prefix(fixture("basic")).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&t).unwrap()
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
    let opts = metricdict::build::Options {
        definitions: vec![defs.clone()],
        out: PathBuf::new(),
        base_url: "/".into(),
        repo_url: None,
        title: "Live".into(),
        templates: None,
        static_dir: None,
        queries: None,
        build_time: None,
        baseline: None,
        warnings: metricdict::load::Warnings::Placed,
        exit_after: false,
    };
    let mut live = LiveSite::new(opts);
    assert!(live.rebuild(&[]).ok);
    let server = LiveServer::start(live.shared(), "127.0.0.1:0", "/").unwrap();
    std::thread::spawn(move || watch(live, false, None));
    std::thread::sleep(Duration::from_millis(300)); // let the watcher start

    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    open(
        &tab,
        &format!(
            "http://127.0.0.1:{}/metrics/counts.merge_requests/",
            server.port
        ),
    );
    let body = |tab: &Arc<Tab>| {
        eval(tab, "document.body.innerText")
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let wait_for = |tab: &Arc<Tab>, what: &str, want: bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if body(tab).contains(what) == want {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "page never {} {what:?}; body: {}",
            if want { "showed" } else { "stopped showing" },
            body(tab)
        );
    };
    assert!(body(&tab).contains("Count of the number of merge requests"));

    let file = defs.join("config/metrics/counts_all/20210101000000_merge_requests.yml");
    let good = read(&file);
    std::fs::write(
        &file,
        good.replace(
            "Count of the number of **merge requests**",
            "Edited live on disk",
        ),
    )
    .unwrap();
    wait_for(&tab, "Edited live on disk", true);

    std::fs::write(&file, "key_path: [broken\n").unwrap();
    wait_for(&tab, "20210101000000_merge_requests.yml:1:", true);
    screenshot(&tab, "live-overlay");
    assert!(
        body(&tab).contains("Edited live on disk"),
        "last good page still shown under the overlay"
    );

    std::fs::write(&file, &good).unwrap();
    wait_for(&tab, "20210101000000_merge_requests.yml:1:", false);
    wait_for(&tab, "Count of the number of merge requests", true);
}

#[test]
fn dark_mode_toggle_switches_and_is_remembered() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let url = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    open(&tab, &url);
    let bg = |tab: &Arc<Tab>| {
        eval(tab, "getComputedStyle(document.body).backgroundColor")
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let before = bg(&tab);
    let was_dark = eval(
        &tab,
        "document.querySelector('.theme-toggle').getAttribute('aria-pressed')",
    ) == "true";
    tab.wait_for_element(".theme-toggle")
        .unwrap()
        .click()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let want = if was_dark { "light" } else { "dark" };
    assert_eq!(
        eval(&tab, "document.documentElement.getAttribute('data-theme')"),
        Value::from(want)
    );
    assert_ne!(bg(&tab), before, "background changes");
    assert_eq!(
        eval(
            &tab,
            "document.querySelector('.theme-toggle').getAttribute('aria-pressed')"
        ),
        Value::from((!was_dark).to_string())
    );
    screenshot(&tab, &format!("index-{want}"));
    // Remembered on the next page.
    open(&tab, &format!("{url}events/"));
    assert_eq!(
        eval(&tab, "document.documentElement.getAttribute('data-theme')"),
        Value::from(want)
    );
    assert_ne!(bg(&tab), before);
}

#[test]
fn keyboard_reaches_search_rows_and_pages() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let url = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    open(&tab, &url);
    let focused = |tab: &Arc<Tab>| {
        eval(
            tab,
            "document.activeElement.id || document.activeElement.textContent.trim()",
        )
        .as_str()
        .unwrap_or("")
        .to_string()
    };
    tab.press_key("/").unwrap();
    assert_eq!(focused(&tab), "q", "/ focuses the search box");
    tab.press_key("ArrowDown").unwrap();
    let first = focused(&tab);
    let rows = visible_keys(&tab);
    assert_eq!(
        first, rows[0],
        "ArrowDown from the search box reaches the first row"
    );
    tab.press_key("ArrowDown").unwrap();
    assert_eq!(focused(&tab), rows[1]);
    tab.press_key("ArrowUp").unwrap();
    assert_eq!(focused(&tab), rows[0]);
    // A visible focus ring.
    let outline = eval(
        &tab,
        "getComputedStyle(document.activeElement).outlineStyle",
    );
    assert_ne!(
        outline,
        Value::from("none"),
        "focused link shows an outline"
    );
    tab.press_key("Enter").unwrap();
    tab.wait_until_navigated().unwrap();
    let path = eval(&tab, "location.pathname");
    assert!(
        path.as_str().unwrap().starts_with("/metrics/"),
        "Enter opens the row: {path}"
    );
}

/// axe-core (from npm, installed by .ci/run into target/axe) in Chromium: no serious or critical
/// violations on the main pages.
#[test]
fn accessibility_check_finds_no_serious_violations() {
    let Some(chrome) = chromium() else { return };
    let Some(axe) = axe_source() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    for e in walkdir::WalkDir::new(fixture("basic")) {
        let e = e.unwrap();
        let t = defs.join(e.path().strip_prefix(fixture("basic")).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&t).unwrap()
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
    let old = tmp.path().join("old");
    build(&defs, &old, &[]);
    let f = defs.join("config/metrics/counts_all/20210101000000_merge_requests.yml");
    std::fs::write(
        &f,
        read(&f).replace("data_category: operational", "data_category: optional"),
    )
    .unwrap();
    let out = tmp.path().join("site");
    build(
        &defs,
        &out,
        &["--baseline", old.to_str().unwrap(), "--repo-url", ""],
    );
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    for (width, theme) in [
        (1440, "light"),
        (1440, "dark"),
        (390, "light"),
        (390, "dark"),
    ] {
        set_width(&tab, width);
        for page in [
            "",
            "events/",
            "events/?category=duo",
            "metrics/counts.merge_requests/",
            "privacy/",
            "changes/",
            "groups/code_review/",
            "identifiers/",
            "versions/",
            "payload/",
            "downloads/",
        ] {
            open(&tab, &format!("{base}{page}"));
            eval(
                &tab,
                &format!("document.documentElement.setAttribute('data-theme', '{theme}')"),
            );
            std::thread::sleep(Duration::from_millis(300));
            let violations = axe_violations(&tab, &axe);
            assert!(
                violations.is_empty(),
                "/{page} ({width} px, {theme}): {violations:#?}"
            );
            let (page_w, view_w) = (
                eval(&tab, "document.documentElement.scrollWidth")
                    .as_u64()
                    .unwrap(),
                eval(&tab, "window.innerWidth").as_u64().unwrap(),
            );
            assert!(
                page_w <= view_w,
                "/{page} ({width} px): {page_w} px wide in a {view_w} px view"
            );
            if width == 390
                && theme == "light"
                && (page.starts_with("events/") || page.is_empty() || page.starts_with("metrics/"))
            {
                screenshot(
                    &tab,
                    &format!("a11y-390-{}", page.replace(['/', '?', '='], "_")),
                );
            }
        }
    }
}

/// Records every Content-Security-Policy violation of the pages a tab opens (installed before
/// any page script runs; CDP's own scripts are not subject to the policy).
fn record_csp_violations(tab: &Arc<Tab>) {
    use headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument;
    tab.call_method(AddScriptToEvaluateOnNewDocument {
        source: "window.__csp = []; document.addEventListener('securitypolicyviolation', \
                 e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') \
                 + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"
            .into(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })
    .unwrap();
}

fn csp_violations(tab: &Arc<Tab>) -> Vec<String> {
    let v = eval(tab, "JSON.stringify(window.__csp || ['recorder missing'])");
    serde_json::from_str(v.as_str().unwrap_or("[]")).unwrap()
}

/// Every published page carries a Content-Security-Policy that allows only the site's own
/// scripts and styles, and every page type still works under it: no violation, scripts run
/// (theme, tables, search), and the dev server's reload script and overlay are not blocked.
#[test]
fn every_page_type_works_under_the_content_security_policy() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_tree(&fixture("basic"), &defs);
    let old = tmp.path().join("old");
    build(&defs, &old, &[]);
    let out = tmp.path().join("site");
    build(&defs, &out, &["--baseline", old.to_str().unwrap()]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    record_csp_violations(&tab);
    for page in [
        "",
        "?category=operational",
        "events/",
        "metrics/counts.merge_requests/",
        "events/create_merge_request/",
        "privacy/",
        "changes/",
        "identifiers/",
        "categories/",
        "categories/operational/",
        "tiers/free/",
        "groups/code_review/",
        "data-classes/",
        "no-such-page/",
    ] {
        open(&tab, &format!("{base}{page}"));
        std::thread::sleep(Duration::from_millis(300));
        let js = eval(&tab, "document.documentElement.classList.contains('js')");
        assert_eq!(js, Value::Bool(true), "/{page}: theme.js did not run");
        let violations = csp_violations(&tab);
        assert!(violations.is_empty(), "/{page}: {violations:?}");
    }
    // The tables' script runs under the policy: typing filters the rows.
    open(&tab, &format!("{base}?q=merge"));
    wait_for_results(
        &tab,
        &[
            "counts.merge_requests".to_string(),
            "redis_hll_counters.code_review.users_creating_merge_requests".to_string(),
        ],
    );
    assert!(csp_violations(&tab).is_empty());
    drop(server);

    // The dev server's reload script and overlay are files, not inline: not blocked either.
    use metricdict::serve::{LiveServer, LiveSite};
    let mut live = LiveSite::new(metricdict::build::Options {
        definitions: vec![defs.clone()],
        out: PathBuf::new(),
        base_url: "/".into(),
        repo_url: None,
        title: "Metrics Dictionary".into(),
        templates: None,
        static_dir: None,
        queries: None,
        build_time: None,
        baseline: None,
        warnings: metricdict::load::Warnings::Counted,
        exit_after: false,
    });
    live.rebuild(&[]);
    let f = defs.join("config/metrics/counts_all/20210101000000_merge_requests.yml");
    std::fs::write(&f, read(&f) + "\n: broken: [\n").unwrap();
    live.rebuild(&[f.canonicalize().unwrap()]);
    let dev = LiveServer::start(live.shared(), "127.0.0.1:0", "/").unwrap();
    open(&tab, &format!("http://127.0.0.1:{}/", dev.port));
    std::thread::sleep(Duration::from_millis(300));
    let overlay = eval(
        &tab,
        "getComputedStyle(document.getElementById('metricdict-overlay')).position",
    );
    assert_eq!(overlay, Value::String("fixed".into()), "overlay styled");
    assert!(
        csp_violations(&tab).is_empty(),
        "{:?}",
        csp_violations(&tab)
    );
}

/// What a legal reviewer reads on `/events/`: legacy events named by category and action,
/// `?category=duo` shown as the Classification filter it is, every filter labelled where a
/// chosen value shows, and "—" where an event has no classification.
#[test]
fn events_table_names_events_and_filters_plainly() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&definitions(), &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    open(&tab, &format!("{base}events/?category=duo"));
    std::thread::sleep(Duration::from_millis(800));
    let state = eval(
        &tab,
        r#"JSON.stringify({
        cls: document.querySelector('select[data-param=classification]').value,
        cat: document.querySelector('select[data-param=category]').value,
        catHasDuo: [...document.querySelector('select[data-param=category]').options].some(o => o.value === 'duo'),
        labels: [...document.querySelectorAll('select[data-param]')].map(s => (s.closest('label')?.querySelector('.fb-label')?.textContent || '').trim()),
        rows: document.querySelectorAll('tbody tr[data-key]').length,
    })"#,
    );
    let state: Value = serde_json::from_str(state.as_str().unwrap()).unwrap();
    assert_eq!(state["cls"], "duo", "{state}");
    assert_eq!(state["cat"], "", "{state}");
    assert_eq!(state["catHasDuo"], false, "{state}");
    assert!(
        state["labels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| !l.as_str().unwrap().is_empty()),
        "every select has a visible label: {state}"
    );
    assert!(state["rows"].as_u64().unwrap() > 0);
    // Legacy events: category shown with the action, and rows keyed by the full identity.
    open(&tab, &format!("{base}events/?q=create&removed=1"));
    std::thread::sleep(Duration::from_millis(800));
    eval(&tab, "window.metricdict.boxes[0].drawAll(); 1");
    let legacy = eval(
        &tab,
        r#"JSON.stringify([...document.querySelectorAll('tbody tr[data-key]')].filter(r => r.querySelector('.ev-cat')).map(r => [r.dataset.key, (r.querySelector('.ev-cat').textContent + ' ' + r.querySelector('a.kp').textContent).trim()]))"#,
    );
    let legacy: Vec<(String, String)> = serde_json::from_str(legacy.as_str().unwrap()).unwrap();
    let creates: Vec<&(String, String)> = legacy
        .iter()
        .filter(|(k, _)| k.ends_with("/create"))
        .collect();
    assert!(creates.len() >= 2, "{legacy:?}");
    for (key, text) in creates {
        let (category, action) = key.rsplit_once('/').unwrap();
        assert_eq!(text, &format!("{category} {action}"), "{key}");
    }
    // No classification reads "—", not blank.
    let blank = eval(&tab, "[...document.querySelectorAll('tbody td[data-col=classification]')].filter(td => td.textContent.trim() === '').length");
    assert_eq!(blank, Value::from(0));
}

/// "Copy query" in a table row gives the definition page's own queries (both filled by
/// static/page.js from the same templates): every query the page shows is in the copied text, for a metric with a
/// time-frame list and for a legacy event (category and action).
#[test]
fn copy_query_in_a_row_gives_the_definition_pages_queries() {
    let Some(chrome) = chromium() else { return };
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    // A metric with a time-frame list (the basic fixture), a legacy event (definitions/).
    for (defs, table, list) in [
        (fixture("basic"), "", "metrics"),
        (definitions(), "events/", "events"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        build(&defs, &out, &[]);
        let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
        let base = format!("http://127.0.0.1:{}/", server.port);
        let data: Value = serde_json::from_str(&read(out.join(format!("{list}.json")))).unwrap();
        let record = data[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["key_paths"].as_array().is_some_and(|k| k.len() >= 2)
                    || r["id"].as_str().is_some_and(|id| id.contains('/'))
            })
            .unwrap();
        let key = record
            .get("key_path")
            .unwrap_or(&record["id"])
            .as_str()
            .unwrap();
        let url = record["url"].as_str().unwrap();
        open(&tab, &format!("{base}{table}"));
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            eval(&tab, "document.querySelectorAll('tbody .row-query').length")
                .as_u64()
                .unwrap()
                > 0,
            "/{table}: rows offer Copy query"
        );
        let copied = tab
            .evaluate(
                &format!(
                    "window.metricdict.boxes[0].queryFor({})",
                    serde_json::to_string(key).unwrap()
                ),
                true,
            )
            .unwrap()
            .value
            .unwrap();
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let copied = norm(copied.as_str().unwrap());
        // The page draws its queries with the same templates (static/page.js).
        open(&tab, &format!("{base}{}", url.trim_start_matches('/')));
        let mut shown: Vec<String> = Vec::new();
        for _ in 0..200 {
            let drawn = eval(
                &tab,
                "document.querySelector('section.queries[data-queries]')?.getAttribute('data-drawn') || ''",
            );
            if drawn.as_str().is_some_and(|d| !d.is_empty()) {
                let all = eval(&tab, "JSON.stringify([...document.querySelectorAll('.queries pre code')].map(c => c.textContent))");
                shown = serde_json::from_str(all.as_str().unwrap()).unwrap();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Metrics: GitLab.com and Self-Managed, per key path; events: GitLab.com only.
        let least = if list == "metrics" { 2 } else { 1 };
        assert!(shown.len() >= least, "{url}: {shown:?}");
        for q in &shown {
            assert!(copied.contains(&norm(q)), "{key}: {q}\nnot in\n{copied}");
        }
    }
}
