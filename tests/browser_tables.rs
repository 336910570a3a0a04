//! The tables at GitLab's size, in headless Chromium: 5,000 definitions generated like the
//! benchmarks' (bench/generate.py). Behaviour, not timings (those are in bench/browser): after
//! each filter and query the results are exactly the expected definitions, in order; only a
//! window of them is drawn, and the rest are reachable (scrolling, printing, browser find);
//! "Export shown" is exactly the matching rows of the site's CSV; without JavaScript the page
//! says what it is showing.

use crate::common;
use common::browser::*;
use common::*;
use headless_chrome::Tab;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

struct Site {
    out: PathBuf,
    base: String,
    _server: StaticServer,
    _tmp: tempfile::TempDir,
}

/// One 5k site for every test of this file (generating and building it takes a while).
fn site() -> Option<&'static Site> {
    static SITE: OnceLock<Option<Site>> = OnceLock::new();
    SITE.get_or_init(|| {
        corpus()?;
        let tmp = tempfile::tempdir().unwrap();
        let tree = tmp.path().join("defs-5000");
        let o = std::process::Command::new("python3")
            .arg(repo().join("bench/generate.py"))
            .args(["5000", tree.to_str().unwrap()])
            .output()
            .expect("python3 runs bench/generate.py");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = tmp.path().join("site");
        build(&tree, &out, &[]);
        let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
        Some(Site {
            base: format!("http://127.0.0.1:{}/", server.port),
            out,
            _server: server,
            _tmp: tmp,
        })
    })
    .as_ref()
}

fn records(site: &Site, kind: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(&read(site.out.join(format!("{kind}.json")))).unwrap();
    v[kind].as_array().unwrap().clone()
}

fn key(r: &Value) -> String {
    r.get("key_path")
        .or_else(|| r.get("id"))
        .and_then(Value::as_str)
        .unwrap()
        .to_string()
}

fn removed(r: &Value) -> bool {
    r["milestone_removed"]
        .as_str()
        .is_some_and(|s| !s.is_empty())
        || r["removed_by_url"].as_str().is_some_and(|s| !s.is_empty())
        || r["status"] == "removed"
}

fn js(tab: &Arc<Tab>, code: &str) -> Value {
    let v = tab
        .evaluate(code, true)
        .unwrap()
        .value
        .unwrap_or(Value::Null);
    match v.as_str() {
        Some(s) if s.starts_with('[') || s.starts_with('{') => serde_json::from_str(s).unwrap(),
        _ => v,
    }
}

/// Every result of the first table (drawn or not), once the page has settled on `want_url`.
fn results(tab: &Arc<Tab>) -> Vec<String> {
    let v = js(
        tab,
        "JSON.stringify(window.metricdict.boxes[0].shownKeys())",
    );
    serde_json::from_value(v).unwrap()
}

fn wait_ready(tab: &Arc<Tab>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if js(tab, "!!(window.metricdict && window.metricdict.boxes.length && document.querySelector('.dict-box.ready'))") == Value::Bool(true) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the table never became ready");
}

fn drawn(tab: &Arc<Tab>) -> Vec<String> {
    let v = js(tab, "JSON.stringify([...document.querySelectorAll('.dict-box tbody tr[data-key]')].map(r => r.dataset.key))");
    serde_json::from_value(v).unwrap()
}

fn count_text(tab: &Arc<Tab>) -> String {
    js(tab, "document.querySelector('.fb-count').textContent")
        .as_str()
        .unwrap()
        .to_string()
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn filters_show_exactly_the_matching_rows_and_draw_only_a_window() {
    let Some(chrome) = chromium() else { return };
    let Some(site) = site() else { return };
    let metrics = records(site, "metrics");
    let active: Vec<String> = metrics.iter().filter(|r| !removed(r)).map(key).collect();
    assert!(active.len() > 2000, "{}", active.len());
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));

    open(&tab, &site.base);
    wait_ready(&tab);
    assert_eq!(
        results(&tab),
        active,
        "every active metric, in catalog order"
    );
    let rows = drawn(&tab);
    assert!(rows.len() <= 300, "only a window is drawn: {}", rows.len());
    assert_eq!(
        rows[..],
        active[..rows.len()],
        "the window is the first results"
    );
    assert_eq!(
        count_text(&tab),
        format!("{} metrics", thousands(active.len()))
    );
    assert_eq!(
        js(
            &tab,
            "document.querySelector('table.dict').getAttribute('aria-rowcount')"
        ),
        Value::String((active.len() + 1).to_string()),
        "a screen reader hears the true row count"
    );

    // A category from the URL, as legal cites it.
    open(&tab, &format!("{}?category=operational", site.base));
    wait_ready(&tab);
    let operational: Vec<String> = metrics
        .iter()
        .filter(|r| !removed(r) && r["data_category"] == "operational")
        .map(key)
        .collect();
    assert!(!operational.is_empty());
    assert_eq!(results(&tab), operational);
    assert_eq!(drawn(&tab)[..], operational[..drawn(&tab).len()]);
    assert_eq!(
        count_text(&tab),
        format!(
            "Showing {} of {} metrics",
            thousands(operational.len()),
            thousands(active.len())
        )
    );
    let option = js(
        &tab,
        "document.querySelector('select[data-param=category]').selectedOptions[0].textContent",
    );
    assert_eq!(
        option,
        Value::String(format!("operational ({})", operational.len())),
        "the select counts what the table shows"
    );

    // Back to all, then the removed ones too.
    js(&tab, "(() => { const s = document.querySelector('select[data-param=category]'); s.value = ''; s.dispatchEvent(new Event('change')); return 1; })()");
    assert_eq!(results(&tab), active);
    js(&tab, "(() => { const t = document.querySelector('.fb-removed'); t.checked = true; t.dispatchEvent(new Event('change')); return 1; })()");
    let all: Vec<String> = metrics.iter().map(key).collect();
    assert_eq!(results(&tab), all, "show removed lists every metric");
    let label = js(
        &tab,
        "document.querySelector('.fb-removed-label').textContent",
    );
    assert_eq!(
        label,
        Value::String(format!("Show {} removed", all.len() - active.len()))
    );

    // Scrolling draws more rows, in order, until the end.
    open(&tab, &format!("{}?category=optional", site.base));
    wait_ready(&tab);
    let want = results(&tab);
    for _ in 0..200 {
        js(&tab, "window.scrollTo(0, document.body.scrollHeight); 1");
        std::thread::sleep(Duration::from_millis(30));
        if drawn(&tab).len() == want.len() {
            break;
        }
    }
    assert_eq!(drawn(&tab), want, "scrolling reaches every row");
}

#[test]
fn typed_queries_show_the_ranked_results_of_the_engine() {
    let Some(chrome) = chromium() else { return };
    let Some(site) = site() else { return };
    let metrics = records(site, "metrics");
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    open(&tab, &site.base);
    wait_ready(&tab);
    for q in ["merge requests", "deployments last month", "vulnerabilty"] {
        type_query(&tab, q);
        // The CLI ranks with tantivy; the page must list the same metrics in the same order.
        let o = run(
            &repo(),
            &[
                "search",
                q,
                "--site",
                site.out.to_str().unwrap(),
                "--format",
                "json",
                "--limit",
                "1000",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let hits: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        let removed_keys: std::collections::HashSet<String> =
            metrics.iter().filter(|r| removed(r)).map(key).collect();
        let want: Vec<(String, f64)> = hits
            .iter()
            .filter(|h| h["kind"] == "metric")
            .map(|h| {
                (
                    h["key"].as_str().unwrap().to_string(),
                    h["score"].as_f64().unwrap(),
                )
            })
            .filter(|(k, _)| !removed_keys.contains(k))
            .collect();
        assert!(!want.is_empty(), "{q}");
        let got = results(&tab);
        let want: Vec<String> = want.into_iter().map(|(k, _)| k).collect();
        // The table lists what the browser's engine ranks (static/search.js), in its order:
        // every metric hit that is not removed.
        let engine = js(&tab, &format!("window.metricdictSearch.search({}).then(r => JSON.stringify(r.ranked.map(h => h.ord)))", serde_json::to_string(q).unwrap()));
        let ords: Vec<usize> = serde_json::from_value(engine).unwrap();
        let mut ranked: Vec<(usize, usize)> =
            ords.iter().enumerate().map(|(i, &o)| (o, i)).collect();
        ranked.retain(|&(o, _)| o < metrics.len() && !removed(&metrics[o]));
        let by_engine: Vec<String> = ranked.iter().map(|&(o, _)| key(&metrics[o])).collect();
        assert_eq!(got, by_engine, "{q}: the engine's results, in its order");
        assert_eq!(got[0], want[0], "{q}: the same first result");
        let d = drawn(&tab);
        assert_eq!(d[..], got[..d.len()], "{q}: drawn in rank order");
        assert!(count_text(&tab).starts_with("Showing "), "{q}");
    }
}

#[test]
fn export_shown_is_exactly_the_matching_rows_of_the_download() {
    let Some(chrome) = chromium() else { return };
    let Some(site) = site() else { return };
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    open(
        &tab,
        &format!("{}?tier=premium&category=optional", site.base),
    );
    wait_ready(&tab);
    let shown = results(&tab);
    assert!(
        shown.len() > 300,
        "more than the drawn window: {}",
        shown.len()
    );
    let exported = js(&tab, "window.metricdict.boxes[0].exportRows('csv')");
    let exported = exported.as_str().unwrap();
    // The download's own records, written again by the csv crate (the writer of metrics.csv):
    // the browser's writer must give the same bytes.
    let all = read(site.out.join("metrics.csv"));
    let mut reader = csv::Reader::from_reader(all.as_bytes());
    let header = reader.headers().unwrap().clone();
    let by_key: std::collections::HashMap<String, csv::StringRecord> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r)
        })
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for k in &shown {
        w.write_record(&by_key[k]).unwrap();
    }
    let want = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert!(all.starts_with(want.lines().next().unwrap()));
    assert_eq!(
        exported, want,
        "the rows of metrics.csv, in the order shown"
    );
    let json = js(&tab, "window.metricdict.boxes[0].exportRows('json')");
    assert_eq!(json["count"], shown.len());
    let keys: Vec<String> = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert_eq!(keys, shown);
    assert!(json["generated"]["view"]
        .as_str()
        .unwrap()
        .contains("tier=premium"));
}

#[test]
fn find_and_print_reach_rows_not_drawn_yet() {
    let Some(chrome) = chromium() else { return };
    let Some(site) = site() else { return };
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    open(&tab, &site.base);
    wait_ready(&tab);
    let all = results(&tab);
    let last = all.last().unwrap().clone();
    // Ctrl+F puts the rest in the page as text the find bar searches (hidden until found).
    js(&tab, "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'f', ctrlKey: true, bubbles: true})); 1");
    let layer = js(&tab, "JSON.stringify([...document.querySelectorAll('.find-layer > [hidden=until-found]')].map(d => d.textContent.split(' · ')[0]))");
    let layer: Vec<String> = serde_json::from_value(layer).unwrap();
    let d = drawn(&tab);
    assert_eq!(
        d.len() + layer.len(),
        all.len(),
        "every result is drawn or findable"
    );
    assert_eq!(layer[..], all[d.len()..]);
    // What the browser does when the find bar matches it.
    js(&tab, "(() => { const e = [...document.querySelectorAll('.find-layer > div')].pop(); e.dispatchEvent(new Event('beforematch', {bubbles: true})); e.removeAttribute('hidden'); return 1; })()");
    assert_eq!(drawn(&tab).last(), Some(&last), "the found row is drawn");
    // Printing lists every result.
    open(&tab, &format!("{}?category=operational", site.base));
    wait_ready(&tab);
    let want = results(&tab);
    js(&tab, "window.dispatchEvent(new Event('beforeprint')); 1");
    assert_eq!(drawn(&tab), want);
}

#[test]
fn rows_drawn_by_script_match_the_server_rows() {
    let Some(chrome) = chromium() else { return };
    let Some(site) = site() else { return };
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    for page in ["", "events/"] {
        open(&tab, &format!("{}{page}", site.base));
        wait_ready(&tab);
        // The page's own rows (before any script) against rows drawn from the table data.
        let diff = js(
            &tab,
            r#"(async () => {
            const html = await (await fetch(location.href)).text();
            const doc = new DOMParser().parseFromString(html, 'text/html');
            const box = document.querySelector('.dict-box');
            const R = window.metricdictRows;
            // As site.js reads it: the fields the data leaves out put back (rows.js expand).
            const data = R.expand(await (await fetch(box.dataset.rows)).json());
            const draw = box.dataset.table === 'events' ? R.drawEvent : R.drawMetric;
            // Tag, attributes in name order (minus the filter attributes only the page's rows
            // carry), then children; text as is, whitespace-only text between tags ignored.
            const norm = n => n.nodeType === 3 ? (n.data.trim() ? JSON.stringify(n.data) : '')
              : '<' + n.localName + [...n.attributes].filter(a => !a.name.startsWith('data-f-')).map(a => ' ' + a.name + '=' + JSON.stringify(a.value)).sort().join('') + '>'
                + [...n.childNodes].map(norm).join('') + '</' + n.localName + '>';
            const server = [...doc.querySelectorAll('tbody tr[data-ord]')];
            const out = [];
            for (const tr of server) {
              const d = data.rows.find(r => String(r.ord) === tr.dataset.ord);
              const a = norm(tr), b = norm(draw(d, box.dataset.base));
              if (a !== b) out.push([a, b]);
            }
            return JSON.stringify({n: server.length, diff: out.slice(0, 3)});
        })()"#,
        );
        assert!(v_n(&diff) >= 50, "{page}: {diff}");
        assert_eq!(diff["diff"], Value::Array(vec![]), "{page}");
    }
}

fn v_n(v: &Value) -> u64 {
    v["n"].as_u64().unwrap_or(0)
}

/// Without JavaScript a static host cannot filter: the page says so, counts the whole
/// dictionary and links the browse pages, which together list every definition.
#[test]
fn without_javascript_the_page_counts_the_whole_dictionary_and_links_the_browse_pages() {
    let Some(site) = site() else { return };
    let metrics = records(site, "metrics");
    let active = metrics.iter().filter(|r| !removed(r)).count();
    let doc = html(site.out.join("index.html"));
    let count = text(&select(&doc, ".fb-count")[0]);
    assert_eq!(count, format!("{} metrics", thousands(active)));
    let html_text = read(site.out.join("index.html"));
    assert!(
        !html_text.contains("Showing"),
        "never reads as a filtered result"
    );
    let notice = &select(&doc, "noscript")[0];
    let inner = notice.inner_html();
    assert!(inner.contains("need JavaScript"), "{inner}");
    for page in ["categories/", "tiers/", "groups/", "statuses/"] {
        assert!(
            inner.contains(&format!("href=\"/{page}\"")),
            "{page}: {inner}"
        );
    }
    // Every metric is reachable from the data category pages without JavaScript.
    let mut listed = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(site.out.join("categories")).unwrap() {
        let p = e.unwrap().path().join("index.html");
        if p.exists() {
            let d = html(&p);
            for a in select(&d, ".item-list a") {
                listed.insert(text(&a));
            }
        }
    }
    let all: std::collections::BTreeSet<String> = metrics.iter().map(key).collect();
    assert_eq!(listed, all);
}
