//! What legal reviewers read, checked in the built HTML: legacy tier names, counts named once,
//! category pages, /changes/ for readers, the favicon, download format versions and round-one
//! baselines.

mod common;
use common::*;

#[test]
fn every_page_links_a_favicon_that_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo().join("definitions"), &out, &["--base-url", "/docs/"]);
    let pages: Vec<String> = files(&out)
        .into_iter()
        .filter(|p| p.ends_with(".html"))
        .collect();
    assert!(pages.len() > 100);
    for page in &pages {
        let doc = html(out.join(page));
        let icons = select(&doc, "link[rel=icon]");
        assert_eq!(icons.len(), 1, "{page} links one icon");
        let href = icons[0].value().attr("href").unwrap();
        let file = href
            .strip_prefix("/docs/")
            .unwrap_or_else(|| panic!("{page}: {href}"));
        assert!(
            read(out.join(file)).starts_with("<svg"),
            "{page}: {href} is an SVG file of the site"
        );
    }
    // Every asset a page references exists (stylesheets, scripts, the icon, links).
    check_links(&out, "/docs/");
}
