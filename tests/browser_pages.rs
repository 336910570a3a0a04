//! The pages legal reviewers read, in headless Chromium over the repository's own
//! `definitions/`: no page is wider than a phone's screen (wide tables scroll in their own
//! focusable box), zero serious or critical axe violations at 1440 and 390 px in light and dark,
//! and the 404 page offers the missing key path or action as a search.

use crate::common;
use common::browser::*;
use common::*;
use headless_chrome::Tab;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Emulate a screen `width` CSS pixels wide (a phone below 500: touch, the viewport meta tag).
fn set_width(tab: &Arc<Tab>, width: u32) {
    set_viewport(tab, width, 900, width < 500);
}

/// Open `url` in `theme`, remembered as the header toggle would, so it applies before paint.
fn open_themed(tab: &Arc<Tab>, url: &str, theme: &str) {
    open(tab, url);
    eval(
        tab,
        &format!("localStorage.setItem('metricdict-theme', '{theme}'); document.documentElement.setAttribute('data-theme', '{theme}')"),
    );
    std::thread::sleep(Duration::from_millis(100));
}

/// The repository's definitions built twice: `old` without one event and with another
/// description, then the site with `old` as its baseline (so /changes/ lists something).
fn built_site(tmp: &Path) -> std::path::PathBuf {
    let defs = tmp.join("defs");
    copy_dir(&repo().join("definitions"), &defs);
    let old_defs = tmp.join("old-defs");
    copy_dir(&repo().join("definitions"), &old_defs);
    let f = old_defs.join("config/metrics/license/recorded_at.yml");
    std::fs::write(
        &f,
        read(&f).replace("description: When", "description: Once, when"),
    )
    .unwrap();
    std::fs::remove_file(old_defs.join("config/events/1655726589_ide_edit_g_edit_by_web_ide.yml"))
        .unwrap();
    let old = tmp.join("old");
    build(&old_defs, &old, &[]);
    let out = tmp.join("site");
    build(&defs, &out, &["--baseline", old.to_str().unwrap()]);
    out
}

const PAGES: [&str; 8] = [
    "privacy/",
    "identifiers/",
    "changes/",
    "categories/optional/",
    "groups/code_review/",
    "metrics/recorded_at/",
    "events/ide_edit-g_edit_by_web_ide-82c082b8c3/",
    "metrics/counts.no_such_metric/",
];

#[test]
fn no_page_is_wider_than_the_screen_and_axe_finds_nothing_serious() {
    let Some(chrome) = chromium() else { return };
    let axe = axe_source();
    let tmp = tempfile::tempdir().unwrap();
    let out = built_site(tmp.path());
    for p in &PAGES[..7] {
        assert!(out.join(p).join("index.html").exists(), "{p} is built");
    }
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    let mut problems = Vec::new();
    for width in [1440, 390] {
        set_width(&tab, width);
        for theme in ["light", "dark"] {
            for page in PAGES {
                open_themed(&tab, &format!("{base}{page}"), theme);
                let wide = eval(
                    &tab,
                    "document.documentElement.scrollWidth + ' px of content, a window ' + innerWidth + ' px wide'",
                );
                // A phone browser widens the window to fit wide content (zooming out), so the
                // window must also still be the screen's width.
                let fits = eval(
                    &tab,
                    &format!("document.documentElement.scrollWidth <= innerWidth && innerWidth <= {width}"),
                );
                if fits != serde_json::Value::Bool(true) {
                    problems.push(format!("/{page} at {width} px ({theme}): {wide}"));
                }
                if page == "identifiers/" {
                    // Every cell of the registers starts on screen: How and Why are read
                    // without scrolling sideways, even on a phone.
                    let off = eval(
                        &tab,
                        "[...document.querySelectorAll('table.register tbody td')].filter(c => c.getBoundingClientRect().left >= innerWidth).length",
                    );
                    if off != serde_json::json!(0) {
                        problems.push(format!(
                            "/{page} at {width} px ({theme}): {off} register cells off screen"
                        ));
                    }
                }
                if let Some(axe) = &axe {
                    let v = axe_violations(&tab, axe);
                    if !v.is_empty() {
                        problems.push(format!("/{page} at {width} px ({theme}): {v:#?}"));
                    }
                }
                if [
                    "privacy/",
                    "identifiers/",
                    "categories/optional/",
                    "changes/",
                ]
                .contains(&page)
                {
                    let name = page.trim_end_matches('/').replace('/', "-");
                    screenshot(&tab, &format!("pages-{name}-{width}-{theme}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_404_page_offers_the_missing_key_path_as_a_search_under_a_sub_path() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo().join("definitions"), &out, &["--base-url", "/docs/"]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/docs/").unwrap();
    let root = format!("http://127.0.0.1:{}/docs/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    for (missing, key) in [
        ("metrics/counts.renamed_thing/", "counts.renamed_thing"),
        ("events/g_edit_by_old_ide/", "g_edit_by_old_ide"),
        (
            "events/ide_edit-old_action-82c082b8c3/",
            "ide_edit-old_action",
        ),
        // Markup in the address stays text.
        ("metrics/%3Cimg%20src=x%3E/", "<img src=x>"),
    ] {
        open(&tab, &format!("{root}{missing}"));
        std::thread::sleep(Duration::from_millis(200));
        let got = eval(
            &tab,
            "JSON.stringify({hidden: document.querySelector('[data-suggest-404]').hidden, \
             key: document.querySelector('[data-suggest-404] [data-key]').textContent, \
             imgs: document.querySelectorAll('main img').length, \
             links: [...document.querySelectorAll('[data-suggest-404] a')].map(a => a.href)})",
        );
        let got: serde_json::Value = serde_json::from_str(got.as_str().unwrap()).unwrap();
        assert_eq!(got["hidden"], false, "{missing}: {got}");
        assert_eq!(got["key"], key, "{missing}");
        assert_eq!(got["imgs"], 0, "{missing}");
        let q: String = url_encode(key);
        assert_eq!(
            got["links"],
            serde_json::json!([format!("{root}?q={q}"), format!("{root}events/?q={q}")]),
            "{missing}"
        );
    }
    // The suggested search finds the metric when the address was right but for the page.
    open(&tab, &format!("{root}metrics/recorded_at/oops/"));
    std::thread::sleep(Duration::from_millis(200));
    let href = eval(
        &tab,
        "document.querySelector('[data-search=\"metrics\"]').href",
    );
    open(&tab, href.as_str().unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        visible_keys(&tab).first().map(String::as_str),
        Some("recorded_at")
    );
}

/// encodeURIComponent's encoding of `s`.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
