//! `sitemap.xml`, for crawlers.

use crate::model::layout;
use crate::text::escape_html;

/// URLs one sitemap file may list (sitemaps.org protocol); a larger site gets an index.
pub const MAX_URLS: usize = 50_000;

/// The sitemap files for the given HTML page paths, as (output path, content): `sitemap.xml`
/// alone, or beyond [`MAX_URLS`] pages a sitemap index there and parts beside it. `origin` is
/// `https://host` (may be empty, then locations are root-relative and the sitemap is only
/// useful behind a known host).
pub fn sitemap(origin: &str, base: &str, page_paths: &[&str]) -> Vec<(String, Vec<u8>)> {
    let loc = |p: &str| escape_html(&format!("{origin}{}", layout::at_base(base, p)));
    if page_paths.len() <= MAX_URLS {
        return vec![(layout::SITEMAP.into(), urlset(page_paths, &loc))];
    }
    let mut index = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut files = Vec::new();
    for (i, part) in page_paths.chunks(MAX_URLS).enumerate() {
        let path = layout::sitemap_part(i + 1);
        index.push_str("  <sitemap><loc>");
        index.push_str(&loc(&path));
        index.push_str("</loc></sitemap>\n");
        files.push((path, urlset(part, &loc)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, (layout::SITEMAP.into(), index.into_bytes()));
    files
}

fn urlset(page_paths: &[&str], loc: &dyn Fn(&str) -> String) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for p in page_paths {
        out.push_str("  <url><loc>");
        out.push_str(&loc(layout::file_url(p)));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_past_the_protocol_limit_gets_an_index_of_parts() {
        let paths: Vec<String> = (0..MAX_URLS * 2 + 1)
            .map(|i| format!("metrics/m{i}/index.html"))
            .collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let files = sitemap("https://example.com", "/", &refs);
        let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "sitemap.xml",
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml"
            ]
        );
        let text = |i: usize| String::from_utf8(files[i].1.clone()).unwrap();
        assert!(text(0).contains("<sitemapindex"));
        assert!(text(0).contains("<loc>https://example.com/sitemap-3.xml</loc>"));
        let urls: Vec<usize> = (1..4).map(|i| text(i).matches("<url>").count()).collect();
        assert_eq!(urls, [MAX_URLS, MAX_URLS, 1]);
        assert!(text(3).contains("<loc>https://example.com/metrics/m100000/</loc>"));
        // At the limit, one file as before.
        let one = sitemap("", "/", &refs[..MAX_URLS]);
        assert_eq!(one.len(), 1);
        assert!(String::from_utf8(one[0].1.clone())
            .unwrap()
            .contains("<urlset"));
    }
}
