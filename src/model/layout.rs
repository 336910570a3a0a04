//! Where everything is: every URL and output path of a built site, and the names of the files
//! a definitions folder may carry besides definitions. Nothing else spells these.
//!
//! URLs here are relative to the site's base path (`metrics/counts.a/`); output paths are
//! relative to the output folder (`metrics/counts.a/index.html`).

/// The metrics table (also the site's home page).
pub const HOME: &str = "";
/// The events table.
pub const EVENTS: &str = "events/";
/// The privacy review.
pub const PRIVACY: &str = "privacy/";
/// The identifier register.
pub const IDENTIFIERS: &str = "identifiers/";
/// What changed since a baseline.
pub const CHANGES: &str = "changes/";
/// What each GitLab version added, removed and reports.
pub const VERSIONS: &str = "versions/";

/// The tables' filter by GitLab version: `?version=17.3` (what 17.3 reports), with
/// `&since=16.11` the difference from 16.11.
pub const VERSION_PARAM: &str = "version";
pub const SINCE_PARAM: &str = "since";
/// Check a Service Ping payload (in the browser).
pub const PAYLOAD: &str = "payload/";
/// What each download holds, with links to them (the header links here, not to each file:
/// at 100k definitions a download is tens of megabytes, and the header is on every page).
pub const DOWNLOADS_PAGE: &str = "downloads/";

/// The page served for unknown URLs.
pub const NOT_FOUND_FILE: &str = "404.html";
/// Every page but [`NOT_FOUND_FILE`], for crawlers (an index of parts past 50,000 pages).
pub const SITEMAP: &str = "sitemap.xml";
/// Part `n` (from 1) of a sitemap too large for one file.
pub fn sitemap_part(n: usize) -> String {
    format!("sitemap-{n}.xml")
}
/// The downloads.
pub const METRICS_JSON: &str = "metrics.json";
pub const EVENTS_JSON: &str = "events.json";
pub const METRICS_CSV: &str = "metrics.csv";
pub const EVENTS_CSV: &str = "events.csv";
/// The comparison with a baseline, when there is one.
pub const CHANGES_JSON: &str = "changes.json";
pub const CHANGES_CSV: &str = "changes.csv";
/// The query templates of definition pages, resolved, for scripts ("Copy the query").
pub const QUERIES_JSON: &str = "queries.json";
/// The downloads every site has, in the order they are listed.
pub const DOWNLOADS: [&str; 4] = [METRICS_JSON, EVENTS_JSON, METRICS_CSV, EVENTS_CSV];

/// The rows of the metrics and events tables, which the tables draw from (`static/site.js`).
pub const TABLE_DATA_METRICS: &str = "tables/metrics.json";
pub const TABLE_DATA_EVENTS: &str = "tables/events.json";
pub const TABLE_DATA: [&str; 2] = [TABLE_DATA_METRICS, TABLE_DATA_EVENTS];
/// How many rows a table page carries in its HTML: what a reader without JavaScript sees
/// (with links to the browse pages for the rest) and what is on screen before the data loads.
pub const TABLE_FIRST_ROWS: usize = 50;

/// The tantivy index `metricdict search` reads.
pub const SEARCH_INDEX_DIR: &str = "search/index";
/// The static search shards the browser fetches.
pub const SHARD_DIR: &str = "search/shards";
/// Stylesheets, scripts and other assets.
pub const STATIC_DIR: &str = "static";

/// Present in every site metricdict writes; its absence means "not ours, do not replace".
pub const SITE_MARKER: &str = ".metricdict-site";

/// Privacy register files, at the top of a definitions folder (see `model::register`).
pub const REGISTER_IDENTIFIERS: &str = "identifiers.yml";
pub const REGISTER_COLLECTED: &str = "collected.yml";
pub const REGISTER_CATEGORIES: &str = "categories.yml";
/// Search synonyms a dictionary adds to the built-in ones.
pub const SYNONYMS: &str = "synonyms.yml";
/// Files at the top of a definitions folder that are not definitions.
pub const REGISTER_FILES: [&str; 4] = [
    REGISTER_IDENTIFIERS,
    REGISTER_COLLECTED,
    REGISTER_CATEGORIES,
    SYNONYMS,
];

/// A metric's page.
pub fn metric_url(slug: &str) -> String {
    ["metrics/", slug, "/"].concat()
}

/// An event's page.
pub fn event_url(slug: &str) -> String {
    ["events/", slug, "/"].concat()
}

/// The browse page listing a facet's values (`categories/`).
pub fn facet_url(facet_path: &str) -> String {
    [facet_path, "/"].concat()
}

/// The browse page of one facet value (`categories/operational/`).
pub fn facet_value_url(facet_path: &str, value_slug: &str) -> String {
    [facet_path, "/", value_slug, "/"].concat()
}

/// The file that serves a page URL (`metrics/a/` → `metrics/a/index.html`; `` → `index.html`).
pub fn page_file(url: &str) -> String {
    [url, "index.html"].concat()
}

/// The page URL a file serves (`metrics/a/index.html` → `metrics/a/`), for sitemaps.
pub fn file_url(file: &str) -> &str {
    file.strip_suffix("index.html").unwrap_or(file)
}

/// A site-relative URL under the base path (`/sub/` + `metrics/a/`).
pub fn at_base(base: &str, url: &str) -> String {
    [base, url].concat()
}
