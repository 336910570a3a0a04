//! Search as people use it, in headless Chromium over the shared corpus: a question typed in
//! the box ranks the expected definition first on `/` and on `/events/`; a misspelt word shows
//! the right result, or a "Did you mean" link that leads to it; field filters stay in the URL.

use crate::common;
use common::browser::*;
use common::*;
use std::time::Duration;

#[test]
fn questions_and_typos_find_the_expected_definition_first() {
    let Some(chrome) = chromium() else { return };
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&corpus, &out, &[]);
    let server = StaticServer::start(out.clone(), "127.0.0.1:0", "/").unwrap();
    let base = format!("http://127.0.0.1:{}/", server.port);
    let browser = launch(chrome);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));

    open(&tab, &base);
    for (q, want) in [
        (
            "how many deployments were there last month",
            "counts_monthly.deployments",
        ),
        ("which database adapter", "database.adapter"),
        ("is gitlab pages switched on", "gitlab_pages.enabled"),
        ("do we collect the smtp server address", "mail.smtp_server"),
    ] {
        assert_eq!(type_query(&tab, q), want, "first metric for {q:?}");
    }
    screenshot(&tab, "search-question");

    open(&tab, &format!("{base}events/"));
    for (q, want) in [
        (
            "is the question a user asks duo tracked",
            "submit_gitlab_duo_question",
        ),
        (
            "is exporting the member list of a group tracked",
            "click_export_group_members_as_csv",
        ),
        (
            "what is recorded when a password is rejected",
            "track_weak_password_error",
        ),
    ] {
        // Rows are keyed by the event's identity: `category/action` for legacy events.
        let got = type_query(&tab, q);
        assert_eq!(
            got.rsplit('/').next(),
            Some(want),
            "first event for {q:?}: {got}"
        );
    }

    // A typo: the right metric, and a link to the corrected query that ranks it first too.
    open(&tab, &base);
    let first = type_query(&tab, "deploymnets");
    assert!(first.ends_with(".deployments"), "{first}");
    let link = tab
        .wait_for_element(".fb-suggest a")
        .expect("a did-you-mean link");
    assert_eq!(link.get_inner_text().unwrap(), "deployments");
    screenshot(&tab, "search-typo");
    link.click().unwrap();
    assert!(first_result(&tab, "deployments").ends_with(".deployments"));

    // Field filters in the box narrow the rows and stay in the URL, so the link can be shared.
    let all = eval(&tab, "document.querySelectorAll('tr[data-key]').length")
        .as_u64()
        .unwrap();
    type_query(&tab, "category:optional merge");
    let shown: Vec<String> = serde_json::from_str(
        eval(&tab, "JSON.stringify([...document.querySelectorAll('[data-search-result]')].filter(e => !e.hidden).map(e => e.dataset.key))")
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(!shown.is_empty() && (shown.len() as u64) < all, "{shown:?}");
    let metrics: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    for key in &shown {
        let m = metrics["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key_path"] == key.as_str())
            .unwrap();
        assert_eq!(m["data_category"], "optional", "{key}");
    }
    open(&tab, &format!("{base}?q=category%3Aoptional+merge"));
    assert_eq!(first_result(&tab, "category:optional merge"), shown[0]);
}
