//! `/versions/` in headless Chromium: no wider than a 390 px phone, zero serious axe
//! violations at 1440 and 390 px in light and dark, and its count links open the tables on
//! exactly the rows they count.

use crate::common;
use crate::versions_fixture;
use common::browser::*;
use common::*;
use headless_chrome::Tab;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn viewport(tab: &Arc<Tab>, width: u32) {
    set_width(tab, width);
}

/// Rows shown once the table's script has applied the URL's filters.
fn shown_after_filtering(tab: &Arc<Tab>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while eval(tab, "!!document.querySelector('.dict-box.ready')") != true {
        assert!(Instant::now() < deadline, "table script did not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    sorted(visible_keys(tab))
}

#[test]
fn versions_page_fits_a_phone_passes_axe_and_links_to_the_rows_it_counts() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    versions_fixture::write_fixture(&defs);
    let out = tmp.path().join("site");
    build(&defs, &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));
    let axe = axe_source();

    for width in [1440, 390] {
        viewport(&tab, width);
        for theme in ["light", "dark"] {
            open(&tab, &format!("{base}versions/"));
            eval(
                &tab,
                &format!("document.documentElement.setAttribute('data-theme', '{theme}')"),
            );
            let (page, view) = (
                eval(&tab, "document.documentElement.scrollWidth")
                    .as_u64()
                    .unwrap(),
                eval(&tab, "window.innerWidth").as_u64().unwrap(),
            );
            assert!(
                page <= view,
                "{width} px {theme}: page is {page} px wide in a {view} px view"
            );
            if let Some(axe) = &axe {
                let violations = axe_violations(&tab, axe);
                assert!(violations.is_empty(), "{width} px {theme}: {violations:#?}");
            }
            screenshot(&tab, &format!("versions-{width}-{theme}"));
            eval(&tab, "document.getElementById('changes').scrollIntoView()");
            screenshot(&tab, &format!("versions-{width}-{theme}-changes"));
        }
    }

    // A count opens the table on exactly the rows it counts.
    viewport(&tab, 1440);
    for (cell, want) in [
        (
            "tr[data-milestone=\"16.0\"] td[data-change=metrics-removed] a",
            vec!["counts.v13_10"],
        ),
        (
            "tr[data-milestone=\"<13.9\"] td[data-change=metrics-added] a",
            vec!["counts.before"],
        ),
        (
            "tr[data-milestone=\"16.0\"] td[data-change=events-removed] a",
            vec!["e_15_0"],
        ),
        (
            "tr[data-milestone=\"13.10\"] td[data-change=metrics-added] a",
            vec!["counts.v13_10"],
        ),
    ] {
        open(&tab, &format!("{base}versions/"));
        let count = tab.wait_for_element(cell).unwrap();
        assert_eq!(
            count.get_inner_text().unwrap(),
            want.len().to_string(),
            "{cell}"
        );
        count.click().unwrap();
        tab.wait_until_navigated().unwrap();
        let got = shown_after_filtering(&tab);
        assert_eq!(got, want, "{cell}");
    }
}

/// `?version=` in the tables answers what `/versions/` counts, cell by cell: every "reported
/// by" count (and its "may be" part) links to a table showing exactly that many rows, and the
/// compare links show what was added or removed between two versions.
#[test]
fn version_filter_in_the_tables_agrees_with_the_versions_page() {
    let Some(chrome) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    versions_fixture::write_fixture(&defs);
    let out = tmp.path().join("site");
    build(&defs, &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));
    open(&tab, &format!("{base}versions/"));
    let cells = eval(
        &tab,
        r#"JSON.stringify([...document.querySelectorAll('td.num a[data-count]')].filter(a => a.getAttribute('href').includes('version=')).map(a => ({href: a.href, count: Number(a.dataset.count), maybe: Number(a.parentElement.querySelector('[data-maybe]')?.dataset.maybe || 0)})))"#,
    );
    let cells: Vec<serde_json::Value> = serde_json::from_str(cells.as_str().unwrap()).unwrap();
    assert!(cells.len() >= 5, "{cells:?}");
    for c in &cells {
        open(&tab, c["href"].as_str().unwrap());
        let shown = shown_after_filtering(&tab);
        let maybe = eval(&tab, "document.querySelectorAll('tbody tr.maybe').length");
        let total = c["count"].as_u64().unwrap() + c["maybe"].as_u64().unwrap();
        assert_eq!(shown.len() as u64, total, "{c}: {shown:?}");
        assert_eq!(maybe, c["maybe"], "{c}: rows marked 'may be reported'");
        assert!(
            eval(&tab, "document.querySelector('.fb-count').textContent")
                .as_str()
                .unwrap()
                .contains("reported by GitLab")
        );
    }
    // 13.10 → 16.0: counts.v13_10 was added in 13.10 and removed in 16.0, so it was reported
    // by 13.10 and not by 16.0: it is in the difference.
    open(&tab, &format!("{base}?version=16.0&since=13.10"));
    let shown = shown_after_filtering(&tab);
    assert!(shown.contains(&"counts.v13_10".to_string()), "{shown:?}");
    // A version the dictionary does not know, or not a version at all, filters nothing and
    // adds nothing to the picker.
    let all = {
        open(&tab, &base);
        shown_after_filtering(&tab)
    };
    for bad in ["99.99", "%3Cimg%20src%3Dx%3E", "1.2.3.4"] {
        open(&tab, &format!("{base}?version={bad}&since=13.10"));
        assert_eq!(shown_after_filtering(&tab), all, "{bad}");
        let picker = eval(&tab, "JSON.stringify([document.querySelector('select[data-param=version]').value, document.querySelector('select[data-param=version]').options.length, document.querySelectorAll('img').length])");
        let picker: serde_json::Value = serde_json::from_str(picker.as_str().unwrap()).unwrap();
        assert_eq!(picker[0], "", "{bad}: {picker}");
        assert_eq!(picker[2], 0, "{bad}: {picker}");
    }
}
