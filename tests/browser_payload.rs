//! `/payload/` and "Copy the query" in headless Chromium: a payload pasted or opened on the page
//! is annotated exactly as `metricdict payload` annotates it, hostile keys and values stay text,
//! no request carries the payload, and the pages pass axe at desktop and phone width, light and
//! dark. Screenshots go to target/screenshots/ (payload-*, query-*).

use crate::common;
use common::browser::*;
use common::*;
use headless_chrome::browser::tab::RequestPausedDecision;
use headless_chrome::browser::transport::{SessionId, Transport};
use headless_chrome::protocol::cdp::Browser::{GrantPermissions, PermissionType};
use headless_chrome::protocol::cdp::Fetch::events::RequestPausedEvent;
use headless_chrome::protocol::cdp::Fetch::{RequestPattern, RequestStage};
use headless_chrome::Tab;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every request the tab makes: (method, URL, body).
type Requests = Arc<Mutex<Vec<(String, String, String)>>>;

fn record_requests(tab: &Arc<Tab>) -> Requests {
    let seen: Requests = Arc::default();
    let log = seen.clone();
    tab.enable_fetch(
        Some(&[RequestPattern {
            url_pattern: None,
            resource_Type: None,
            request_stage: Some(RequestStage::Request),
        }]),
        None,
    )
    .unwrap();
    tab.enable_request_interception(Arc::new(
        move |_: Arc<Transport>, _: SessionId, paused: RequestPausedEvent| {
            let r = &paused.params.request;
            log.lock().unwrap().push((
                r.method.clone(),
                r.url.clone(),
                r.post_data.clone().unwrap_or_default(),
            ));
            RequestPausedDecision::Continue(None)
        },
    ))
    .unwrap();
    seen
}

fn set_width(tab: &Arc<Tab>, width: u32) {
    set_size(tab, width, 900);
}

/// A screenshot of the whole page (up to 6,000 px tall), then the viewport as it was.
fn full_screenshot(tab: &Arc<Tab>, width: u32, name: &str) {
    let h = eval(tab, "document.documentElement.scrollHeight")
        .as_u64()
        .unwrap_or(900);
    set_size(tab, width, h.clamp(900, 6000) as u32);
    std::thread::sleep(Duration::from_millis(150));
    screenshot(tab, name);
    set_size(tab, width, 900);
}

fn set_size(tab: &Arc<Tab>, width: u32, height: u32) {
    set_viewport(tab, width, height, width < 600);
}

/// Paste `payload` into the page's box and wait for the check to finish.
fn paste(tab: &Arc<Tab>, payload: &str) {
    let js = format!(
        "(() => {{ const t = document.querySelector('[data-payload-text]'); \
         document.querySelector('[data-payload]').removeAttribute('data-payload-checked'); \
         document.querySelector('[data-payload-status]').classList.remove('payload-error'); \
         t.value = {}; t.dispatchEvent(new Event('input', {{bubbles: true}})); return 1; }})()",
        serde_json::to_string(payload).unwrap()
    );
    eval(tab, &js);
    wait_for(tab, "document.querySelector('[data-payload]').hasAttribute('data-payload-checked') || document.querySelector('.payload-error') !== null");
}

fn wait_for(tab: &Arc<Tab>, js: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while eval(tab, js) != Value::Bool(true) {
        assert!(Instant::now() < deadline, "timed out waiting for {js}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_of(tab: &Arc<Tab>, js: &str) -> Value {
    serde_json::from_str(eval(tab, js).as_str().unwrap()).unwrap()
}

/// What a report says, as comparable rows: values (key path, definition, category, status),
/// missing key paths, totals. Sorted: JavaScript lists integer-like keys first.
type Summary = (Vec<[String; 4]>, Vec<String>, Value);

fn summary(values: &[Value], missing: &[Value], totals: Value) -> Summary {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut rows: Vec<[String; 4]> = values
        .iter()
        .map(|e| {
            let d = &e["definition"];
            [
                s(&e["key_path"]),
                s(&d["key_path"]),
                s(&d["data_category"]),
                s(&d["status"]),
            ]
        })
        .collect();
    rows.sort();
    let mut missing: Vec<String> = missing.iter().map(|m| s(&m["key_path"])).collect();
    missing.sort();
    (rows, missing, totals)
}

fn cli_summary(payload: &std::path::Path, defs: &std::path::Path) -> Summary {
    let o = run(
        &repo(),
        &[
            "payload",
            payload.to_str().unwrap(),
            "--definitions",
            defs.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    summary(
        r["values"].as_array().unwrap(),
        r["missing"].as_array().unwrap(),
        r["totals"].clone(),
    )
}

/// The annotations the page shows, read from its table, list and totals.
fn page_summary(tab: &Arc<Tab>) -> Summary {
    let values = json_of(tab, "JSON.stringify([...document.querySelectorAll('[data-payload-values] tr')].map(r => ({key_path: r.dataset.keyPath, definition: r.dataset.definition ? {key_path: r.dataset.definition, data_category: r.dataset.category, status: r.dataset.status} : null})))");
    let missing = json_of(tab, "JSON.stringify([...document.querySelectorAll('[data-payload-missing] li[data-key-path]')].map(l => ({key_path: l.dataset.keyPath})))");
    let totals = json_of(tab, "JSON.stringify(Object.fromEntries([...document.querySelectorAll('[data-payload-totals] tr[data-category]')].map(r => [r.dataset.category, {values: +r.cells[1].textContent, missing: +r.cells[2].textContent}])))");
    summary(
        values.as_array().unwrap(),
        missing.as_array().unwrap(),
        totals,
    )
}

#[test]
fn the_page_annotates_like_the_cli_and_sends_nothing() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let defs = fixture("basic");
    // Under a sub-path: the page finds metrics.json relative to itself.
    build(&defs, &out, &["--base-url", "/sub/"]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/sub/").unwrap();
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    let requests = record_requests(&tab);
    open(
        &tab,
        &format!("http://127.0.0.1:{}/sub/payload/", server.port),
    );
    let text = eval(&tab, "document.querySelector('main').innerText");
    assert!(
        text.as_str().unwrap().contains("Nothing is uploaded"),
        "{text}"
    );

    let hand = fixture("payload/hand_written.json");
    paste(&tab, &read(&hand));
    assert_eq!(page_summary(&tab), cli_summary(&hand, &defs), "pasted");
    // HTML in keys and values is text: nothing ran, no element was made from it.
    assert_eq!(eval(&tab, "typeof window.__pwned"), "undefined");
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('main b, main script').length"
        ),
        0
    );
    assert_eq!(
        eval(
            &tab,
            "document.querySelector('tr[data-key-path=\"<b>html</b>\"] td code').textContent"
        ),
        "<script>window.__pwned = 1</script>"
    );
    screenshot(&tab, "payload-hand-written");

    // The same through the file input.
    eval(
        &tab,
        "(() => { const t = document.querySelector('[data-payload-text]'); t.value = ''; \
         t.dispatchEvent(new Event('input')); \
         document.querySelector('[data-payload]').removeAttribute('data-payload-checked'); return 1; })()",
    );
    tab.wait_for_element("[data-payload-file]")
        .unwrap()
        .set_input_files(&[hand.to_str().unwrap()])
        .unwrap();
    wait_for(
        &tab,
        "document.querySelector('[data-payload]').hasAttribute('data-payload-checked')",
    );
    assert_eq!(
        page_summary(&tab),
        cli_summary(&hand, &defs),
        "opened as a file"
    );

    // The CSV export: every value, formula-like cells neutralised as in metrics.csv.
    paste(
        &tab,
        r#"{"=SUM(A1)": "@cmd", "counts": {"merge_requests": "-1+1"}}"#,
    );
    let csv_text = eval(
        &tab,
        "document.querySelector('[data-payload]').payloadCsv()",
    );
    let mut r = csv::Reader::from_reader(csv_text.as_str().unwrap().as_bytes());
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows[0][..3], ["'=SUM(A1)", "'@cmd", ""]);
    assert_eq!(
        rows[1][..3],
        ["counts.merge_requests", "'-1+1", "counts.merge_requests"]
    );

    // Not a payload: said so, nothing shown.
    for (bad, says) in [
        ("[1, 2]".to_string(), "the top level is an array"),
        ("{\"a\": }".to_string(), "not JSON"),
        (
            format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100)),
            "nested more than 64 levels deep",
        ),
    ] {
        paste(&tab, &bad);
        let status = eval(
            &tab,
            "document.querySelector('[data-payload-status]').textContent",
        );
        assert!(
            status.as_str().unwrap().contains(says),
            "{bad:.20}: {status}"
        );
        assert_eq!(
            eval(
                &tab,
                "document.querySelector('[data-payload-results]').hidden"
            ),
            true
        );
    }

    // The network: the page and its assets, metrics.json, nothing else; no request carries a
    // payload value, by URL or body, and none sends anything.
    let seen = requests.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|(_, u, _)| u.ends_with("/sub/metrics.json")),
        "{seen:#?}"
    );
    for (method, url, body) in &seen {
        assert_eq!(method, "GET", "{url}");
        assert!(body.is_empty(), "{url}: {body}");
        for value in ["not_defined_here", "__pwned", "SUM", "cmd"] {
            assert!(!url.contains(value), "{url} carries {value}");
        }
    }
    let resources = eval(
        &tab,
        "JSON.stringify(performance.getEntriesByType('resource').map(e => e.name))",
    );
    for value in ["not_defined_here", "__pwned", "SUM"] {
        assert!(!resources.as_str().unwrap().contains(value), "{resources}");
    }
}

#[test]
fn payload_and_definition_pages_pass_axe_and_copy_from_the_keyboard() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo().join("definitions"), &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    let axe = axe_source();
    let example = read(fixture("payload/service_ping_example.json"));
    let metric = "metrics/counts.deployments/";
    let event = "events/finish_mcp_tool_call/";
    for width in [1440, 390] {
        set_width(&tab, width);
        for theme in ["light", "dark"] {
            for page in ["payload/", metric, event] {
                open(&tab, &format!("{base}{page}"));
                eval(
                    &tab,
                    &format!("document.documentElement.setAttribute('data-theme', '{theme}')"),
                );
                if page == "payload/" {
                    paste(&tab, &example);
                }
                let overflow = eval(
                    &tab,
                    "document.documentElement.scrollWidth - window.innerWidth",
                );
                assert!(
                    overflow.as_i64().unwrap() <= 0,
                    "{page} at {width}px is wider than the screen by {overflow}"
                );
                let name = format!(
                    "{}-{width}-{theme}",
                    page.trim_end_matches('/').replace('/', "-")
                );
                full_screenshot(&tab, width, &name);
                if let Some(axe) = &axe {
                    let v = axe_violations(&tab, axe);
                    assert!(v.is_empty(), "/{page} {width}px {theme}: {v:#?}");
                }
            }
        }
    }

    // Copy a query with the keyboard: focus the button, press Enter; "Copied" is announced and
    // the clipboard holds the query.
    set_width(&tab, 1440);
    let origin = base.trim_end_matches('/').to_string();
    tab.call_method(GrantPermissions {
        permissions: vec![
            PermissionType::ClipboardReadWrite,
            PermissionType::ClipboardSanitizedWrite,
        ],
        origin: Some(origin),
        browser_context_id: None,
    })
    .unwrap();
    open(&tab, &format!("{base}{metric}"));
    let button = tab
        .wait_for_element("button[data-copy-from='query-2']")
        .unwrap();
    button.focus().unwrap();
    tab.press_key("Enter").unwrap();
    wait_for(
        &tab,
        "document.querySelector('[data-copy-status]').textContent === 'Copied'",
    );
    let want = eval(&tab, "document.getElementById('query-2').textContent");
    let got = tab
        .evaluate("navigator.clipboard.readText()", true)
        .unwrap()
        .value
        .unwrap_or(Value::Null);
    assert_eq!(got, want, "the clipboard holds the Self-Managed query");
    assert!(want
        .as_str()
        .unwrap()
        .contains("metrics_path = 'counts.deployments'"));
}
