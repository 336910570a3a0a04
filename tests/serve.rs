//! `metricdict serve`: incremental rebuilds, safe serving, concurrency, and live reload in a
//! real browser.

use crate::common;
use common::*;
use metricdict::build::Options;
use metricdict::serve::{self, LiveServer, LiveSite};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn copy_fixture(to: &Path) -> PathBuf {
    let defs = to.join("defs");
    for e in walkdir::WalkDir::new(fixture("basic")) {
        let e = e.unwrap();
        let target = defs.join(e.path().strip_prefix(fixture("basic")).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
    defs
}

fn options(defs: PathBuf, templates: Option<PathBuf>) -> Options {
    Options {
        definitions: vec![defs],
        out: PathBuf::new(),
        base_url: "/".into(),
        repo_url: None,
        title: "Test".into(),
        templates,
        static_dir: None,
        queries: None,
        build_time: None,
        baseline: None,
        warnings: metricdict::load::Warnings::Placed,
        exit_after: false,
    }
}

fn page(shared: &serve::Shared, path: &str) -> String {
    let (lock, _) = &**shared;
    let st = lock.lock().unwrap();
    String::from_utf8(st.files.get(path).map(|b| b.to_vec()).unwrap_or_default()).unwrap()
}

const MR: &str = "config/metrics/counts_all/20210101000000_merge_requests.yml";

#[test]
fn one_file_edit_rerenders_only_what_shows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = copy_fixture(tmp.path());
    let tpl = tmp.path().join("templates");
    std::fs::create_dir(&tpl).unwrap();
    let mut live = LiveSite::new(options(defs.clone(), Some(tpl.clone())));
    let first = live.rebuild(&[]);
    assert!(first.ok);
    let total = first.rendered;
    assert!(total > 30, "{first:?}");

    // Nothing changed: nothing parsed or rendered.
    let idle = live.rebuild(&[]);
    assert_eq!((idle.parsed, idle.rendered, idle.reused), (0, 0, total));

    // Edit one description.
    let file = defs.join(MR);
    let text = read(&file).replace(
        "Count of the number of **merge requests**",
        "Merge requests, edited",
    );
    std::fs::write(&file, text).unwrap();
    let r = live.rebuild(std::slice::from_ref(&file));
    assert!(r.ok);
    assert_eq!(r.parsed, 1);
    // Its page, the metrics table, and the browse pages listing it (category, group, 3 tiers).
    assert!(r.rendered >= 3 && r.rendered <= 8, "{r:?} of {total}");
    assert!(
        page(&live.shared(), "metrics/counts.merge_requests/index.html")
            .contains("Merge requests, edited")
    );
    assert!(page(&live.shared(), "index.html").contains("Merge requests, edited"));
    // The table's data, which the table draws its other rows from, has it too.
    let made = live.shared().0.lock().unwrap().on_demand.clone().unwrap();
    let data = made.downloads().get("tables/metrics.json").cloned();
    assert!(String::from_utf8_lossy(&data.expect("table data")).contains("Merge requests, edited"));

    // A template change re-renders every page using it (here: all, through base.html).
    std::fs::write(
        tpl.join("404.html"),
        "{% extends \"base.html\" %}{% block content %}custom 404{% endblock %}",
    )
    .unwrap();
    let r = live.rebuild(&[tpl.join("404.html")]);
    assert_eq!(r.rendered, total);
    assert!(page(&live.shared(), "404.html").contains("custom 404"));

    // Adding a file adds its page and row; deleting removes them.
    let added = defs.join("config/metrics/counts_all/added.yml");
    std::fs::write(
        &added,
        read(&file).replace("counts.merge_requests", "counts.added_metric"),
    )
    .unwrap();
    let r = live.rebuild(std::slice::from_ref(&added));
    assert!(r.ok && r.parsed == 1);
    assert!(
        page(&live.shared(), "metrics/counts.added_metric/index.html")
            .contains("counts.added_metric")
    );
    assert!(page(&live.shared(), "index.html").contains("data-key=\"counts.added_metric\""));
    std::fs::remove_file(&added).unwrap();
    live.rebuild(std::slice::from_ref(&added));
    assert!(page(&live.shared(), "metrics/counts.added_metric/index.html").is_empty());
    assert!(!page(&live.shared(), "index.html").contains("counts.added_metric"));
}

#[test]
fn a_bad_edit_keeps_the_last_good_site_and_reports_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = copy_fixture(tmp.path());
    let mut live = LiveSite::new(options(defs.clone(), None));
    assert!(live.rebuild(&[]).ok);
    let idle = live.rebuild(&[]);
    assert_eq!(idle.rendered, 0, "idle {idle:?}");
    let before = page(&live.shared(), "index.html");
    let file = defs.join(MR);
    std::fs::write(&file, "key_path: [broken\n").unwrap();
    let r = live.rebuild(std::slice::from_ref(&file));
    assert!(!r.ok);
    assert_eq!(
        page(&live.shared(), "index.html"),
        before,
        "last good site still served"
    );
    let reply = serve::http::live_reply(&live.shared(), "/", "/");
    let html = String::from_utf8(reply.body).unwrap();
    assert!(html.contains("metricdict-overlay"));
    assert!(
        html.contains("20210101000000_merge_requests.yml:1:18"),
        "overlay names file and line"
    );
    std::fs::copy(fixture("basic").join(MR), &file).unwrap();
    assert!(live.rebuild(std::slice::from_ref(&file)).ok);
    let html = String::from_utf8(serve::http::live_reply(&live.shared(), "/", "/").body).unwrap();
    assert!(!html.contains("metricdict-overlay"));
}

fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn traversal_attempts_never_leave_the_root() {
    common::static_server::check_traversal_is_refused();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    std::fs::write(tmp.path().join("secret.txt"), "TOP-SECRET").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), out.join("link.txt")).unwrap();
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let defs = copy_fixture(tmp.path());
    let mut live = LiveSite::new(options(defs, None));
    live.rebuild(&[]);
    let live_server = LiveServer::start(live.shared(), "127.0.0.1:0", "/").unwrap();
    for port in [server.port, live_server.port] {
        for attack in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/%252e%252e/secret.txt",
            "/..%5csecret.txt",
            "/..\\secret.txt",
            "/metrics/../../secret.txt",
            "/link.txt",
            "/%00",
        ] {
            let (status, body) = get(port, attack);
            assert!(
                !body.contains("TOP-SECRET"),
                "{attack} leaked on port {port}"
            );
            assert!(
                status == 403 || status == 404 || status == 400,
                "{attack}: {status}"
            );
        }
        let (status, body) = get(port, "/");
        assert_eq!(status, 200);
        assert!(
            body.contains("Content-Type: text/html") || body.contains("content-type: text/html")
        );
        let (_, css) = get(port, "/static/site.css");
        assert!(css.to_lowercase().contains("content-type: text/css"));
    }
}

#[test]
fn many_parallel_requests_and_a_stalled_client() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = copy_fixture(tmp.path());
    let mut live = LiveSite::new(options(defs, None));
    live.rebuild(&[]);
    let server = LiveServer::start(live.shared(), "127.0.0.1:0", "/").unwrap();
    let port = server.port;
    // A client that sends half a request and stalls.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\nHost: loc").unwrap();
    // A reload poll that waits.
    let poll = std::thread::spawn(move || get(port, "/__metricdict/poll?gen=1"));
    let started = Instant::now();
    let handles: Vec<_> = (0..100)
        .map(|i| {
            std::thread::spawn(move || {
                get(
                    port,
                    if i % 2 == 0 {
                        "/"
                    } else {
                        "/metrics/counts.merge_requests/"
                    },
                )
                .0
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "requests were blocked"
    );
    drop(stalled);
    drop(poll);
}

#[test]
fn api_search_answers_from_tantivy() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = copy_fixture(tmp.path());
    let mut live = LiveSite::new(options(defs, None));
    live.rebuild(&[]);
    let server = LiveServer::start(live.shared(), "127.0.0.1:0", "/").unwrap();
    let search = |q: &str| {
        let (status, text) = get(server.port, &format!("/api/search?{q}"));
        assert_eq!(status, 200, "{text}");
        let body = text.split("\r\n\r\n").nth(1).unwrap().to_string();
        serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
    };
    let hits = search("q=merge+requests&limit=3");
    assert!(
        hits.len() == 3 && hits.iter().all(|h| h["coverage"] == 2),
        "{hits:?}"
    );
    let hits = search("limit=5&q=Counts%2Emerge_requests");
    assert_eq!(
        (&hits[0]["key"], &hits[0]["exact"]),
        (&"counts.merge_requests".into(), &true.into())
    );
    // Downloads and search shards are made on request after each rebuild.
    let (status, text) = get(server.port, "/metrics.json");
    assert_eq!(status, 200);
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["count"], 5);
    let (status, _) = get(server.port, "/search/shards/manifest.json");
    assert_eq!(status, 200);
}

#[test]
fn binds_to_loopback_by_default() {
    let o = bin().args(["serve", "--help"]).output().unwrap();
    assert!(
        stdout(&o).contains("[default: 127.0.0.1]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_static_asset_change_updates_the_asset_without_rerendering_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = copy_fixture(tmp.path());
    let assets = tmp.path().join("static");
    std::fs::create_dir(&assets).unwrap();
    let mut opts = options(defs, None);
    opts.static_dir = Some(assets.clone());
    let mut live = LiveSite::new(opts);
    assert!(live.rebuild(&[]).ok);
    // Override the built-in stylesheet: the served asset changes and no page is re-rendered
    // (the dev server links plain asset names and serves them with no-cache).
    std::fs::write(assets.join("site.css"), "body { color: red }").unwrap();
    let r = live.rebuild(&[assets.join("site.css")]);
    assert!(r.ok);
    assert_eq!((r.parsed, r.rendered), (0, 0), "{r:?}");
    assert_eq!(
        page(&live.shared(), "static/site.css"),
        "body { color: red }"
    );
    // A new stylesheet is offered to templates (`assets.extra_css`): every page is re-rendered.
    std::fs::write(assets.join("extra.css"), "p { color: blue }").unwrap();
    let r = live.rebuild(&[assets.join("extra.css")]);
    assert!(r.ok && r.rendered > 30, "{r:?}");
    assert_eq!(
        page(&live.shared(), "static/extra.css"),
        "p { color: blue }"
    );
}

/// Incremental rebuilds must not serve stale links: a metric moved to a new group links the new
/// group's page (which now exists), and a renamed event's page and the metric counting it
/// change together.
#[test]
fn incremental_rebuilds_keep_links_between_pages_right() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = copy_fixture(tmp.path());
    let mut live = LiveSite::new(options(defs.clone(), None));
    assert!(live.rebuild(&[]).ok);
    let metric = "metrics/counts.merge_requests/index.html";
    assert!(page(&live.shared(), metric).contains("href=\"/groups/code_review/\""));

    let file = defs.join(MR);
    let text = read(&file).replace(
        "product_group: code_review",
        "product_group: brand_new_group",
    );
    std::fs::write(&file, text).unwrap();
    assert!(live.rebuild(std::slice::from_ref(&file)).ok);
    let m = page(&live.shared(), metric);
    assert!(m.contains("href=\"/groups/brand_new_group/\""), "{m}");
    assert!(!page(&live.shared(), "groups/brand_new_group/index.html").is_empty());
    assert!(!page(&live.shared(), "groups/code_review/index.html")
        .contains("data-key=\"counts.merge_requests\""));

    // Rename the event the 28-day metric counts: the metric no longer links it (it is now an
    // unknown event name), and the renamed event has its own page.
    let event = defs.join("config/events/create_merge_request.yml");
    let text = read(&event).replace(
        "action: create_merge_request",
        "action: create_merge_request_v2",
    );
    std::fs::write(&event, text).unwrap();
    assert!(live.rebuild(std::slice::from_ref(&event)).ok);
    let counting = page(
        &live.shared(),
        "metrics/redis_hll_counters.code_review.users_creating_merge_requests/index.html",
    );
    assert!(
        !counting.contains("href=\"/events/create_merge_request/\""),
        "{counting}"
    );
    assert!(!page(&live.shared(), "events/create_merge_request_v2/index.html").is_empty());
    assert!(page(&live.shared(), "events/create_merge_request/index.html").is_empty());
}
