//! `sitemap.xml`, for crawlers.

use crate::model::layout;
use crate::text::escape_html;

/// `sitemap.xml` for the given HTML page paths. `origin` is `https://host` (may be empty, then
/// locations are root-relative and the sitemap is only useful behind a known host).
pub fn sitemap(origin: &str, base: &str, page_paths: &[&str]) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for p in page_paths {
        out.push_str("  <url><loc>");
        out.push_str(&escape_html(&format!(
            "{origin}{}",
            layout::at_base(base, layout::file_url(p))
        )));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}
