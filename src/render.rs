//! HTML pages from the catalog through tera templates.
//!
//! Templates come from `templates/` embedded in the binary; a user's template folder overrides
//! them file by file. Descriptions are untrusted markdown: rendered with pulldown-cmark, then
//! cleaned by ammonia. Everything else reaches templates as plain strings and is escaped by
//! tera's autoescaping.

use crate::catalog::{event_facet_values, metric_facet_values, Catalog, Facet, FacetValue, Kind};
use crate::definition::{Event, Metric};
use include_dir::{include_dir, Dir};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use tera::{Context, Tera};

/// A template context under construction: a JSON object, so it can be hashed (for the render
/// cache) without cloning and handed to tera without conversion.
#[derive(Default)]
pub struct Ctx(Map<String, Value>);

impl Ctx {
    fn insert<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.0.insert(
            key.to_string(),
            serde_json::to_value(value).expect("context values serialise"),
        );
    }

    /// Insert a value already built as JSON, without copying it.
    fn insert_value(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_string(), value);
    }
}

static DEFAULT_TEMPLATES: Dir = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Build-wide facts every page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SiteInfo {
    pub title: String,
    /// URL path prefix ending in `/`.
    pub base: String,
    pub build_time: String,
    pub commit: Option<String>,
    pub commit_short: Option<String>,
    /// Prefix for links to definition source files, ending in `/`.
    pub repo_url: Option<String>,
    pub metric_count: usize,
    pub event_count: usize,
}

/// One output file, path relative to the site root. Content is shared so unchanged pages can
/// be reused across rebuilds without copying.
#[derive(Debug, Clone)]
pub struct Page {
    pub path: String,
    pub content: Arc<[u8]>,
}

/// A page to render: template, context, output path.
pub struct Job {
    template: &'static str,
    body: Body,
    path: String,
    /// What the page depends on, when cheaper to state than to hash the whole context.
    key: Option<u64>,
    /// Tables whose rows are spliced into the rendered page (see [`splice_rows`]).
    tables: Vec<Table>,
}

/// Where a page's context comes from.
enum Body {
    Ready(Ctx),
    /// Built when rendered, so a build never holds every definition page's context at once.
    Metric(usize),
    Event(usize),
    /// The cache already holds this page under the job's key: nothing to build.
    Cached,
}

/// Rows of one kind, spliced into a page where its template put that kind's marker.
struct Table {
    kind: RowKind,
    rows: Vec<usize>,
}

/// The pre-rendered fragments a page can list: full table rows, or compact list items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Metric = 0,
    Event = 1,
    MetricItem = 2,
    EventItem = 3,
}

/// What a template writes where the rows of each [`RowKind`] go (`{{ rows | safe }}`).
const ROWS_MARKER: [&str; 4] = [
    "<!--metricdict:metric-rows-->",
    "<!--metricdict:event-rows-->",
    "<!--metricdict:metric-items-->",
    "<!--metricdict:event-items-->",
];

/// Every fragment of every kind, with its cache key, by definition index.
/// Rendered rows of one kind: each row's HTML and cache key.
type Fragments = Vec<(Arc<str>, u64)>;

/// A page as rendered or reused, its cache key, and whether it was rendered.
type PageOutcome = (Page, u64, bool);

struct Rows {
    html: [Fragments; 4],
    removed_metrics: Vec<bool>,
    removed_events: Vec<bool>,
}

impl Rows {
    fn len(&self, kind: RowKind) -> usize {
        self.html[kind as usize].len()
    }

    fn removed(&self, kind: RowKind, which: &[usize]) -> usize {
        let flags = match kind {
            RowKind::Metric | RowKind::MetricItem => &self.removed_metrics,
            RowKind::Event | RowKind::EventItem => &self.removed_events,
        };
        which.iter().filter(|&&i| flags[i]).count()
    }

    /// A cache key for the rows of some tables.
    fn key(&self, tables: &[Table]) -> u64 {
        let mut h = rustc_hash::FxHasher::default();
        for t in tables {
            (t.kind as usize).hash(&mut h);
            for &i in &t.rows {
                self.html[t.kind as usize][i].1.hash(&mut h);
            }
        }
        h.finish()
    }
}

/// Where a one-off build sends each page as soon as it is rendered.
pub type Sink<'a> = &'a (dyn Fn(&str, &[u8]) -> Result<(), String> + Sync);

/// Pages and table rows rendered by previous builds, keyed by output path (rows: by kind and
/// position), with a hash of what produced them (template name and context). A rebuild renders
/// only what changed. A one-off build uses [`RenderCache::off`] and skips the hashing.
#[derive(Default)]
pub struct RenderCache {
    pages: rustc_hash::FxHashMap<String, (u64, Arc<[u8]>)>,
    rows: rustc_hash::FxHashMap<(&'static str, usize), (u64, Arc<str>)>,
    off: bool,
}

impl RenderCache {
    /// A cache that remembers nothing (one-off builds).
    pub fn off() -> RenderCache {
        RenderCache {
            off: true,
            ..Default::default()
        }
    }

    /// Forget everything (after a template change).
    pub fn clear(&mut self) {
        self.pages.clear();
        self.rows.clear();
    }

    pub fn is_off(&self) -> bool {
        self.off
    }
}

/// How much work a render did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RenderStats {
    pub rendered: usize,
    pub reused: usize,
}

/// The template engine with the site's templates loaded.
pub struct Renderer {
    tera: Arc<Tera>,
    site: SiteInfo,
    /// Asset paths (relative to base) by logical name, e.g. `css` → `static/site.css`.
    assets: BTreeMap<String, String>,
    /// `base`, `site` and `assets` as JSON, serialised once and copied into every context.
    shared: Map<String, Value>,
    /// Header (by section) and footer HTML: the same on thousands of pages, so rendered once.
    /// A template error in them is an error of every page using them.
    chrome: std::sync::RwLock<HashMap<String, Result<Value, String>>>,
}

/// Compile the built-in templates, then the user's overrides from `override_dir`.
pub fn load_templates(override_dir: Option<&Path>) -> Result<Arc<Tera>, String> {
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for f in DEFAULT_TEMPLATES.files() {
        if let (Some(name), Some(body)) = (f.path().to_str(), f.contents_utf8()) {
            sources.insert(name.to_string(), body.to_string());
        }
    }
    if let Some(dir) = override_dir {
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let entry = entry.map_err(|e| format!("templates: {e}"))?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                let name = rel.to_string_lossy().replace('\\', "/");
                let body = std::fs::read_to_string(entry.path())
                    .map_err(|e| format!("{}: {e}", entry.path().display()))?;
                sources.insert(name, body);
            }
        }
    }
    let mut tera = Tera::default();
    tera.set_escape_fn(escape_html);
    tera.add_raw_templates(sources.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| template_error(&e))?;
    Ok(Arc::new(tera))
}

/// Names of the built-in templates.
pub fn default_template_names() -> Vec<String> {
    DEFAULT_TEMPLATES
        .files()
        .filter_map(|f| f.path().to_str().map(str::to_string))
        .collect()
}

impl Renderer {
    /// A renderer over compiled templates (see [`load_templates`]).
    pub fn new(tera: Arc<Tera>, site: SiteInfo, assets: BTreeMap<String, String>) -> Renderer {
        let mut shared = Ctx::default();
        shared.insert("base", &site.base);
        shared.insert("site", &site);
        shared.insert("assets", &assets);
        Renderer {
            tera,
            site,
            assets,
            shared: shared.0,
            chrome: Default::default(),
        }
    }

    fn context(&self, nav: &str, title: &str) -> Ctx {
        let mut ctx = Ctx(self.shared.clone());
        ctx.insert("nav", nav);
        ctx.insert("page_title", title);
        for (key, template, section) in [
            ("header_html", "header.html", nav),
            ("footer_html", "footer.html", ""),
        ] {
            // On a template error the value stays out; `render_owned` reports the error.
            if let Ok(html) = self.chrome(template, section) {
                ctx.insert_value(key, html);
            }
        }
        ctx
    }

    /// A header or footer for a section, rendered on first use.
    fn chrome(&self, template: &str, nav: &str) -> Result<Value, String> {
        let key = format!("{template}:{nav}");
        if let Some(v) = self.chrome.read().expect("not poisoned").get(&key) {
            return v.clone();
        }
        let mut ctx = Ctx(self.shared.clone());
        ctx.insert("nav", nav);
        let html = self
            .render_template(template, ctx)
            .map(Value::String)
            .map_err(|e| format!("{template} (included in every page): {e}"));
        self.chrome
            .write()
            .expect("not poisoned")
            .insert(key, html.clone());
        html
    }

    /// The first error in a header or footer, if any.
    fn chrome_error(&self) -> Option<String> {
        let chrome = self.chrome.read().expect("not poisoned");
        chrome.values().find_map(|r| r.as_ref().err().cloned())
    }

    fn render_str(&self, template: &str, ctx: &Ctx) -> Result<String, String> {
        self.render_owned(template, Ctx(ctx.0.clone()))
    }

    /// Render a context that is not needed afterwards (tera takes it by value: no copy).
    fn render_owned(&self, template: &str, ctx: Ctx) -> Result<String, String> {
        let html = self.render_template(template, ctx);
        // A broken header or footer is the cause of whatever else failed.
        match self.chrome_error() {
            Some(e) => Err(e),
            None => html,
        }
    }

    fn render_template(&self, template: &str, ctx: Ctx) -> Result<String, String> {
        let context = Context::from_value(Value::Object(ctx.0)).map_err(|e| template_error(&e))?;
        self.tera
            .render(template, &context)
            .map_err(|e| template_error(&e))
    }

    /// Render one page: its context (built now for definition pages, so a build never holds
    /// every page's context at once), the template, then the table rows spliced in.
    fn render(&self, job: &Job, catalog: &Catalog, rows: &Rows) -> Result<Vec<u8>, String> {
        let html = match &job.body {
            Body::Ready(ctx) => self.render_str(job.template, ctx)?,
            Body::Metric(i) => self.render_owned(job.template, self.metric_page(catalog, *i))?,
            Body::Event(i) => self.render_owned(job.template, self.event_page(catalog, *i))?,
            Body::Cached => return Err(format!("{}: no context", job.path)),
        };
        Ok(splice_rows(html, &job.tables, rows))
    }

    /// Table rows as HTML, rendered once per build (and reused across rebuilds while the
    /// definition, its page name and position are unchanged), then shared by every table that
    /// lists them. One row context serves both forms (`kinds`: the full row and the compact
    /// item), so it is built once per definition. Returns each form's rows with their keys.
    fn row_fragments(
        &self,
        kinds: [RowKind; 2],
        n: usize,
        key_of: impl Fn(usize) -> u64 + Sync,
        row_of: impl Fn(usize) -> Value + Sync,
        cache: &mut RenderCache,
    ) -> Result<[Fragments; 2], String> {
        use rayon::prelude::*;
        let names = kinds.map(|kind| match kind {
            RowKind::Metric => ("metric", "metric_row.html"),
            RowKind::Event => ("event", "event_row.html"),
            RowKind::MetricItem => ("metric_item", "metric_item.html"),
            RowKind::EventItem => ("event_item", "event_item.html"),
        });
        let off = cache.off;
        let cached = &cache.rows;
        type Pair = [(Arc<str>, u64); 2];
        let rendered: Vec<Result<Pair, String>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let key = if off { 0 } else { key_of(i) };
                let hit = |name| {
                    cached
                        .get(&(name, i))
                        .filter(|(k, _)| *k == key && !off)
                        .map(|(_, html)| html.clone())
                };
                if let (Some(a), Some(b)) = (hit(names[0].0), hit(names[1].0)) {
                    return Ok([(a, key), (b, key)]);
                }
                let mut ctx = Ctx::default();
                ctx.insert("base", &self.site.base);
                ctx.insert_value("row", row_of(i));
                let context =
                    Context::from_value(Value::Object(ctx.0)).map_err(|e| template_error(&e))?;
                let render = |template: &str| -> Result<(Arc<str>, u64), String> {
                    let html = self
                        .tera
                        .render(template, &context)
                        .map_err(|e| template_error(&e))?;
                    Ok((Arc::from(html.trim()), key))
                };
                Ok([render(names[0].1)?, render(names[1].1)?])
            })
            .collect();
        let mut out: [Fragments; 2] = [Vec::with_capacity(n), Vec::with_capacity(n)];
        for pair in rendered {
            let [a, b] = pair?;
            out[0].push(a);
            out[1].push(b);
        }
        if !off {
            for (form, (name, _)) in out.iter().zip(names) {
                cache.rows.retain(|(k, i), _| *k != name || *i < n);
                for (i, (html, key)) in form.iter().enumerate() {
                    cache.rows.insert((name, i), (*key, html.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Hash of what every page shares (site facts, assets, base).
    fn site_key(&self) -> u64 {
        let mut ctx = Ctx::default();
        ctx.insert("site", &self.site);
        ctx.insert("assets", &self.assets);
        ctx_hash("", &ctx)
    }

    /// Every HTML page of the site. Pages whose template and context are unchanged since the
    /// build that filled `cache` are reused instead of rendered. With a `sink` (one-off builds),
    /// each page is handed to it as soon as it is rendered and not kept: the returned pages
    /// then carry their paths only.
    pub fn render_all(
        &self,
        catalog: &Catalog,
        cache: &mut RenderCache,
        sink: Option<Sink>,
    ) -> Result<(Vec<Page>, RenderStats), String> {
        use rayon::prelude::*;
        let rows = self.rows(catalog, cache)?;
        let jobs = self.jobs(catalog, cache, &rows)?;
        let off = cache.off;
        let cached = &cache.pages;
        let empty: Arc<[u8]> = Arc::from(Vec::new());
        // Pages listing the most rows go first: started last, the largest (the home page
        // lists every metric) would leave one core working alone at the end.
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&i| {
            std::cmp::Reverse(jobs[i].tables.iter().map(|t| t.rows.len()).sum::<usize>())
        });
        let render_one = |job: &Job| -> Result<PageOutcome, String> {
            let key = match (off, job.key, &job.body) {
                (true, ..) => 0,
                (false, Some(k), _) => k,
                (false, None, Body::Ready(ctx)) => ctx_hash(job.template, ctx),
                (false, None, _) => 0,
            };
            if let Some((k, content)) = cached.get(&job.path) {
                if *k == key && !off {
                    let page = Page {
                        path: job.path.clone(),
                        content: content.clone(),
                    };
                    return Ok((page, key, false));
                }
            }
            let html = self.render(job, catalog, &rows)?;
            // Streamed pages are not kept, so they are not copied into shared storage.
            let content = match sink {
                Some(sink) => {
                    sink(&job.path, &html)?;
                    empty.clone()
                }
                None => html.into(),
            };
            let page = Page {
                path: job.path.clone(),
                content,
            };
            Ok((page, key, true))
        };
        let mut results: Vec<(usize, Result<PageOutcome, String>)> = order
            .par_iter()
            .map(|&i| (i, render_one(&jobs[i])))
            .collect();
        results.sort_unstable_by_key(|(i, _)| *i);
        let mut pages = Vec::with_capacity(results.len());
        let mut stats = RenderStats::default();
        let mut next = rustc_hash::FxHashMap::default();
        next.reserve(if off { 0 } else { results.len() });
        for (_, r) in results {
            let (page, key, rendered) = r?;
            if rendered {
                stats.rendered += 1
            } else {
                stats.reused += 1
            }
            if !off {
                next.insert(page.path.clone(), (key, page.content.clone()));
            }
            pages.push(page);
        }
        cache.pages = next;
        Ok((pages, stats))
    }

    /// Every table row and list item of the site, rendered (or taken from the cache) once.
    fn rows(&self, catalog: &Catalog, cache: &mut RenderCache) -> Result<Rows, String> {
        let site_key = self.site_key();
        let nm = catalog.metrics.len();
        let metric_key = |i: usize| {
            let m = &catalog.metrics[i];
            key_of(&(site_key, m.version, &catalog.metric_slugs[i], i))
        };
        let event_key = |i: usize| {
            let e = &catalog.events[i];
            key_of(&(site_key, e.version, &catalog.event_slugs[i], nm + i))
        };
        let ne = catalog.events.len();
        let row = |i| metric_row(catalog, i);
        let erow = |i| event_row(catalog, i);
        let [metric, metric_item] = self.row_fragments(
            [RowKind::Metric, RowKind::MetricItem],
            nm,
            metric_key,
            row,
            cache,
        )?;
        let [event, event_item] = self.row_fragments(
            [RowKind::Event, RowKind::EventItem],
            ne,
            event_key,
            erow,
            cache,
        )?;
        Ok(Rows {
            // Indexed by `RowKind`.
            html: [metric, event, metric_item, event_item],
            removed_metrics: catalog.metrics.iter().map(|m| m.removed).collect(),
            removed_events: catalog.events.iter().map(|e| e.removed).collect(),
        })
    }

    /// What to render: one job per page. Pages of unchanged definitions are found in the cache
    /// by a key computed from what they show, without building their context.
    fn jobs(
        &self,
        catalog: &Catalog,
        cache: &RenderCache,
        rows: &Rows,
    ) -> Result<Vec<Job>, String> {
        use rayon::prelude::*;
        let site_key = self.site_key();
        let nm = catalog.metrics.len();
        let off = cache.off;
        let hit =
            |path: &str, key: u64| !off && cache.pages.get(path).is_some_and(|(k, _)| *k == key);
        // Cheap when the cache is off: nothing is compared.
        let key_if_cached = |f: &dyn Fn() -> u64| if off { 0 } else { f() };

        // Definition pages link browse pages by their page names; one fingerprint of those
        // names stands in for looking up each page's links.
        let site_key = key_of(&(site_key, links_key(catalog)));
        let mut jobs = Vec::new();
        for (kind, template, path, nav, title) in [
            (
                RowKind::Metric,
                "index.html",
                "index.html",
                "metrics",
                "Metrics",
            ),
            (
                RowKind::Event,
                "events.html",
                "events/index.html",
                "events",
                "Events",
            ),
        ] {
            let facet_kind = match kind {
                RowKind::Metric | RowKind::MetricItem => Kind::Metric,
                RowKind::Event | RowKind::EventItem => Kind::Event,
            };
            let all: Vec<usize> = (0..rows.len(kind)).collect();
            let mut ctx = self.context(nav, title);
            ctx.insert("facets", &filter_facets(catalog, facet_kind));
            ctx.insert("total", &all.len());
            ctx.insert("removed_count", &rows.removed(kind, &all));
            ctx.insert("rows", ROWS_MARKER[kind as usize]);
            let tables = vec![Table { kind, rows: all }];
            let key = key_if_cached(&|| key_of(&(ctx_hash(template, &ctx), rows.key(&tables))));
            jobs.push(Job {
                template,
                body: if hit(path, key) {
                    Body::Cached
                } else {
                    Body::Ready(ctx)
                },
                path: path.into(),
                key: Some(key),
                tables,
            });
        }

        let page_job = |template: &'static str, path: String, key: u64, body: Body| Job {
            template,
            body: if hit(&path, key) { Body::Cached } else { body },
            path,
            key: Some(key),
            tables: Vec::new(),
        };
        let metric_jobs: Vec<Job> = (0..nm)
            .into_par_iter()
            .map(|i| {
                let path = format!("metrics/{}/index.html", catalog.metric_slugs[i]);
                let key = key_if_cached(&|| self.metric_key(catalog, i, site_key));
                page_job("metric.html", path, key, Body::Metric(i))
            })
            .collect();
        jobs.extend(metric_jobs);
        let event_jobs: Vec<Job> = (0..catalog.events.len())
            .into_par_iter()
            .map(|i| {
                let path = format!("events/{}/index.html", catalog.event_slugs[i]);
                let key = key_if_cached(&|| self.event_key(catalog, i, site_key));
                page_job("event.html", path, key, Body::Event(i))
            })
            .collect();
        jobs.extend(event_jobs);

        for facet in catalog.facets.iter().filter(|f| f.path.is_some()) {
            jobs.push(self.facet_index(facet));
            for (value, fv) in &facet.values {
                let mut job = self.facet_page(catalog, facet, value, fv, rows);
                let Body::Ready(ctx) = &job.body else {
                    unreachable!("fresh job")
                };
                let key = key_if_cached(&|| {
                    key_of(&(ctx_hash(job.template, ctx), rows.key(&job.tables)))
                });
                if hit(&job.path, key) {
                    job.body = Body::Cached;
                }
                job.key = Some(key);
                jobs.push(job);
            }
        }
        jobs.push(self.identifiers_page(catalog));
        jobs.push(self.privacy_page(catalog));
        let ctx = self.context("", "Page not found");
        jobs.push(job("404.html", ctx, "404.html".into()));
        Ok(jobs)
    }

    /// What a metric's page shows besides its own file: page names of the events it counts and
    /// of the browse pages it links (`links_key`, see [`links_key`]).
    fn metric_key(&self, c: &Catalog, i: usize, site_key: u64) -> u64 {
        let m = &c.metrics[i];
        let mut h = rustc_hash::FxHasher::default();
        (site_key, m.version, &c.metric_slugs[i]).hash(&mut h);
        for (me, hits) in &c.metric_events[i] {
            me.name.hash(&mut h);
            for &e in hits {
                (
                    &c.events[e].action,
                    &c.events[e].category,
                    &c.event_slugs[e],
                )
                    .hash(&mut h);
            }
        }
        h.finish()
    }

    /// What an event's page shows besides its own file.
    fn event_key(&self, c: &Catalog, i: usize, site_key: u64) -> u64 {
        let e = &c.events[i];
        let mut h = rustc_hash::FxHasher::default();
        (site_key, e.version, &c.event_slugs[i]).hash(&mut h);
        for &mi in &c.event_metrics[i] {
            (&c.metrics[mi].key_path, &c.metric_slugs[mi]).hash(&mut h);
        }
        h.finish()
    }

    /// The context of one metric's page.
    fn metric_page(&self, catalog: &Catalog, i: usize) -> Ctx {
        let m = &catalog.metrics[i];
        let events: Vec<Value> = catalog.metric_events[i]
            .iter()
            .flat_map(|(me, hits)| {
                if hits.is_empty() {
                    vec![json!({"name": me.name, "unique": me.unique, "url": Value::Null})]
                } else {
                    hits.iter()
                        .map(|&ei| {
                            json!({"name": catalog.events[ei].id(), "unique": me.unique,
                            "url": format!("{}events/{}/", self.site.base, catalog.event_slugs[ei])})
                        })
                        .collect()
                }
            })
            .collect();
        let mut badges = vec![badge(&m.status, Value::Null, "status")];
        badges.push(facet_badge(
            catalog,
            &self.site.base,
            "category",
            &m.data_category,
        ));
        for t in &m.tiers {
            badges.push(facet_badge(catalog, &self.site.base, "tier", t));
        }
        if let Some(g) = &m.group {
            badges.push(facet_badge(catalog, &self.site.base, "group", g));
        }
        let key_paths = m.expanded_key_paths();
        let json_paths: Vec<Value> = key_paths
            .iter()
            .map(|k| object([("key_path", k.as_str().into()), ("jq", jq_path(k).into())]))
            .collect();
        let item = object([
            ("title", m.key_path.as_str().into()),
            ("key_paths", key_paths.into()),
            ("json_paths", json_paths.into()),
            ("description_html", markdown(&m.description).into()),
            ("status", m.status.as_str().into()),
            ("removed", m.removed.into()),
            (
                "fields",
                fields(catalog, &self.site.base, &m.fields, Kind::Metric).into(),
            ),
            ("events", events.into()),
            ("source", self.source(&m.source.rel)),
            ("badges", badges.into()),
        ]);
        let mut ctx = self.context("metrics", &m.key_path);
        ctx.insert_value("item", item);
        ctx
    }

    /// The context of one event's page.
    fn event_page(&self, catalog: &Catalog, i: usize) -> Ctx {
        let e = &catalog.events[i];
        let properties: Vec<Value> = e
            .properties
            .iter()
            .map(|p| json!({
                "name": p.name,
                "anchor": format!("property-{}", anchor(&p.name)),
                "description_html": markdown(p.description.as_deref().unwrap_or("")),
                "block": p.details.as_ref().map(|d| serde_json::to_string_pretty(d).unwrap_or_default()),
            }))
            .collect();
        let identifiers: Vec<Value> = e
            .identifiers
            .iter()
            .map(|id| json!({"text": id, "url": at_base(&self.site.base, facet_url(catalog, "data_class", id))}))
            .collect();
        let metrics: Vec<Value> = catalog.event_metrics[i]
            .iter()
            .map(|&mi| {
                json!({"key_path": catalog.metrics[mi].key_path,
                "url": format!("{}metrics/{}/", self.site.base, catalog.metric_slugs[mi])})
            })
            .collect();
        let mut badges = vec![badge(&e.status, Value::Null, "status")];
        if let Some(c) = &e.classification {
            badges.push(facet_badge(catalog, &self.site.base, "data_class", c));
        }
        for t in &e.tiers {
            badges.push(facet_badge(catalog, &self.site.base, "tier", t));
        }
        if let Some(g) = &e.group {
            badges.push(facet_badge(catalog, &self.site.base, "group", g));
        }
        let title = e.id().replace('/', " / ");
        let item = object([
            ("title", title.as_str().into()),
            ("action", e.action.as_str().into()),
            ("category", e.display_category().into()),
            ("description_html", markdown(&e.description).into()),
            ("status", e.status.as_str().into()),
            ("removed", e.removed.into()),
            ("internal", e.internal.into()),
            (
                "fields",
                fields(catalog, &self.site.base, &e.fields, Kind::Event).into(),
            ),
            ("properties", properties.into()),
            ("identifiers", identifiers.into()),
            ("metrics", metrics.into()),
            ("source", self.source(&e.source.rel)),
            ("badges", badges.into()),
        ]);
        let mut ctx = self.context("events", &title);
        ctx.insert_value("item", item);
        ctx
    }

    fn source(&self, rel: &str) -> Value {
        json!({"path": rel, "url": self.site.repo_url.as_ref().map(|r| format!("{r}{rel}"))})
    }

    /// `/<facet>/`: every value with its counts.
    fn facet_index(&self, facet: &Facet) -> Job {
        let path = facet.path.expect("browse facets have a path");
        let values: Vec<Value> = facet
            .values
            .iter()
            .map(|(v, fv)| {
                json!({
                    "value": v, "label": v, "url": format!("{path}/{}/", fv.slug),
                    "metric_count": fv.metrics.len(), "event_count": fv.events.len(),
                })
            })
            .collect();
        let mut header = facet_header(facet);
        header["values"] = Value::Array(values);
        let mut ctx = self.context(path, &plural(facet.label));
        ctx.insert("facet", &header);
        job("facet_index.html", ctx, format!("{path}/index.html"))
    }

    /// `/<facet>/<value>/`: the definitions carrying one value. Facets that partition the
    /// dictionary (data category, group) list full, filterable table rows; tiers and data
    /// classes, where one definition appears under several values, list compact items and link
    /// to the filtered tables, so the site does not repeat the whole table once per value.
    fn facet_page(
        &self,
        catalog: &Catalog,
        facet: &Facet,
        value: &str,
        fv: &FacetValue,
        rows: &Rows,
    ) -> Job {
        let path = facet.path.expect("browse facets have a path");
        let compact = matches!(facet.param, "tier" | "data_class");
        let mut metrics = fv.metrics.clone();
        if facet.param == "group" {
            // A group's performance-indicator metrics come first.
            metrics.sort_by_key(|&i| (catalog.metrics[i].performance_indicators.is_empty(), i));
        }
        let events = fv.events.clone();
        let (mk, ek) = if compact {
            (RowKind::MetricItem, RowKind::EventItem)
        } else {
            (RowKind::Metric, RowKind::Event)
        };
        // The same selection in the main tables (`/?tier=premium`, `/events/?identifier=user`).
        let filter = |table: &str, n: usize| -> Value {
            if n == 0 {
                return Value::Null;
            }
            let param = match facet.param {
                "data_class"
                    if catalog
                        .facet("classification")
                        .is_some_and(|f| f.values.contains_key(value)) =>
                {
                    "category"
                }
                "data_class" => "identifier",
                p => p,
            };
            let v: String =
                percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                    .collect();
            Value::String(format!("{table}?{param}={v}"))
        };
        // A value's page needs the facet's name, not every other value (and so does not
        // change when another value's counts do).
        let mut ctx = self.context(path, &format!("{}: {value}", facet.label));
        ctx.insert_value("facet", facet_header(facet));
        ctx.insert(
            "value",
            &json!({"value": value, "label": value,
                "metric_count": metrics.len(), "event_count": events.len(),
                "metric_removed": rows.removed(mk, &metrics), "event_removed": rows.removed(ek, &events),
                "metrics_url": filter("", metrics.len()), "events_url": filter("events/", events.len())}),
        );
        ctx.insert("compact", &compact);
        ctx.insert(
            "rows",
            if metrics.is_empty() {
                ""
            } else {
                ROWS_MARKER[mk as usize]
            },
        );
        ctx.insert(
            "event_rows",
            if events.is_empty() {
                ""
            } else {
                ROWS_MARKER[ek as usize]
            },
        );
        let mut job = job(
            "facet_page.html",
            ctx,
            format!("{path}/{}/index.html", fv.slug),
        );
        job.tables = vec![
            Table {
                kind: mk,
                rows: metrics,
            },
            Table {
                kind: ek,
                rows: events,
            },
        ];
        job
    }

    /// `/privacy/`: what is collected, by data category × tier × status, events by identifier
    /// and classification, and each category's opt-out rules from the register.
    fn privacy_page(&self, catalog: &Catalog) -> Job {
        const ORDER: [&str; 4] = ["operational", "optional", "subscription", "standard"];
        let category = catalog.facet("category");
        let mut names: Vec<String> = ORDER.iter().map(|s| s.to_string()).collect();
        if let Some(f) = category {
            names.extend(
                f.values
                    .keys()
                    .filter(|k| !ORDER.contains(&k.as_str()))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        let mut tiers: Vec<String> = catalog
            .facet("tier")
            .map(|f| {
                f.values
                    .iter()
                    .filter(|(_, v)| !v.metrics.is_empty())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        // Today's tiers first, in price order; legacy names (bronze, silver, gold, starter) after.
        const TIERS: [&str; 3] = ["free", "premium", "ultimate"];
        tiers.sort_by_key(|t| {
            let rank = TIERS.iter().position(|c| c == t).unwrap_or(TIERS.len());
            (rank, t.clone())
        });
        let statuses: Vec<String> = catalog
            .facet("status")
            .map(|f| {
                f.values
                    .iter()
                    .filter(|(_, v)| !v.metrics.is_empty())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        let rows: Vec<Value> = names
            .iter()
            .map(|name| {
                let members: Vec<&Metric> = catalog.metrics.iter().filter(|m| &m.data_category == name).map(|m| &**m).collect();
                let active: Vec<&&Metric> = members.iter().filter(|m| !m.removed).collect();
                let by_tier: Vec<Value> = tiers
                    .iter()
                    .map(|t| json!({"tier": t, "count": active.iter().filter(|m| m.tiers.contains(t)).count(),
                        "url": format!("?category={name}&tier={t}")}))
                    .collect();
                let by_status: Vec<Value> = statuses
                    .iter()
                    .map(|s| json!({"status": s, "count": members.iter().filter(|m| &m.status == s).count(),
                        "url": format!("?category={name}&status={s}")}))
                    .collect();
                let info = catalog.register.categories.iter().find(|c| &c.name == name);
                json!({
                    "name": name,
                    "total": members.len(),
                    "active": active.len(),
                    "url": facet_url(catalog, "category", name),
                    "filter_url": format!("?category={name}"),
                    "by_tier": by_tier,
                    "by_status": by_status,
                    "description": info.map(|c| c.description.clone()),
                    "opt_out": info.map(|c| c.opt_out.clone()).unwrap_or_default(),
                })
            })
            .collect();
        let count_events = |param: &str| -> Vec<Value> {
            catalog
                .facet(param)
                .map(|f| {
                    f.values
                        .iter()
                        .map(|(v, fv)| json!({"name": v, "count": fv.events.iter().filter(|&&i| !catalog.events[i].removed).count(),
                            "url": format!("events/?{}={v}", if param == "classification" { "category" } else { param })}))
                        .collect()
                })
                .unwrap_or_default()
        };
        let charts = milestone_charts(catalog);
        let mut ctx = self.context("privacy", "Privacy review");
        ctx.insert("charts", &charts);
        ctx.insert(
            "has_category_notes",
            &!catalog.register.categories.is_empty(),
        );
        ctx.insert("categories", &rows);
        ctx.insert("tiers", &tiers);
        ctx.insert("statuses", &statuses);
        ctx.insert("by_identifier", &count_events("identifier"));
        ctx.insert("by_classification", &count_events("classification"));
        ctx.insert("collected_count", &catalog.register.collected.len());
        ctx.insert(
            "event_total",
            &catalog.events.iter().filter(|e| !e.removed).count(),
        );
        job("privacy.html", ctx, "privacy/index.html".into())
    }

    /// `/changes/`: the comparison with a baseline, or how to ask for one.
    pub fn changes_page(&self, changes: Option<&crate::changes::Changes>) -> Result<Page, String> {
        let mut ctx = self.context("changes", "Changes since the baseline");
        if let Some(c) = changes {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for ch in &c.changes {
                *counts.entry(ch.change).or_default() += 1;
            }
            let change_values: Vec<Value> = counts
                .iter()
                .map(|(k, n)| json!({"value": k, "label": k, "count": n}))
                .collect();
            let kind_values: Vec<Value> = ["metric", "event"]
                .iter()
                .map(|k| json!({"value": k, "label": k, "count": c.changes.iter().filter(|ch| ch.kind == *k).count()}))
                .collect();
            let facets = json!([
                {"param": "change", "label": "Change", "values": change_values},
                {"param": "kind", "label": "Kind", "values": kind_values},
            ]);
            ctx.insert("changes", c);
            ctx.insert("counts", &counts);
            ctx.insert("facets", &facets);
        }
        Ok(Page {
            content: self.render_str("changes.html", &ctx)?.into_bytes().into(),
            path: "changes/index.html".into(),
        })
    }

    fn identifiers_page(&self, catalog: &Catalog) -> Job {
        // The register's identifiers in its order, then any used by events but undocumented.
        let used = catalog.facet("identifier");
        let count = |name: &str| {
            used.and_then(|f| f.values.get(name))
                .map_or(0, |v| v.events.len())
        };
        let mut names: Vec<String> = catalog
            .register
            .identifiers
            .iter()
            .map(|i| i.name.clone())
            .collect();
        if let Some(f) = used {
            names.extend(
                f.values
                    .keys()
                    .filter(|k| !names.contains(k))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        let identifiers: Vec<Value> = names
            .iter()
            .map(|name| {
                let info = catalog.register.identifier(name);
                json!({
                    "name": name,
                    "event_count": count(name),
                    "url": facet_url(catalog, "data_class", name),
                    "documented": info.is_some(),
                    "field": info.and_then(|i| i.field.clone()),
                    "pseudonymized": info.map(|i| i.pseudonymized),
                    "method": info.map(|i| i.method.clone()),
                    "realms": info.map(|i| i.realms.clone()).unwrap_or_default(),
                    "why": info.map(|i| i.why.clone()),
                    "source": info.and_then(|i| i.source.clone()),
                })
            })
            .collect();
        let mut ctx = self.context("identifiers", "Identifiers");
        ctx.insert("identifiers", &identifiers);
        ctx.insert("collected", &catalog.register.collected);
        job("identifiers.html", ctx, "identifiers/index.html".into())
    }
}

fn plural(label: &str) -> String {
    match label {
        "Data category" => "Data categories".into(),
        "Data class" => "Data classes".into(),
        other => format!("{other}s"),
    }
}

fn job(template: &'static str, ctx: Ctx, path: String) -> Job {
    Job {
        template,
        body: Body::Ready(ctx),
        path,
        key: None,
        tables: Vec::new(),
    }
}

/// Replace each table's marker (the first occurrence; templates place it once) with its rows.
/// Rows are joined here rather than looped over in the template: one copy of each row's HTML
/// instead of three, and no per-row template work.
fn splice_rows(html: String, tables: &[Table], rows: &Rows) -> Vec<u8> {
    let spliced: Vec<(usize, &Table)> = tables
        .iter()
        .filter(|t| !t.rows.is_empty())
        .filter_map(|t| html.find(ROWS_MARKER[t.kind as usize]).map(|at| (at, t)))
        .collect();
    if spliced.is_empty() {
        return html.into_bytes();
    }
    let extra: usize = spliced
        .iter()
        .flat_map(|(_, t)| {
            t.rows
                .iter()
                .map(|&i| rows.html[t.kind as usize][i].0.len() + 1)
        })
        .sum();
    let mut out = Vec::with_capacity(html.len() + extra);
    let mut sorted = spliced;
    sorted.sort_by_key(|(at, _)| *at);
    let mut from = 0;
    for (at, t) in sorted {
        out.extend_from_slice(&html.as_bytes()[from..at]);
        for (n, &i) in t.rows.iter().enumerate() {
            if n > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(rows.html[t.kind as usize][i].0.as_bytes());
        }
        from = at + ROWS_MARKER[t.kind as usize].len();
    }
    out.extend_from_slice(&html.as_bytes()[from..]);
    out
}

/// The page names of every browse page a definition page can link (data category, tier,
/// group, data class), as one key: when it is unchanged, so are those links.
fn links_key(c: &Catalog) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for param in ["category", "tier", "group", "data_class"] {
        if let Some(f) = c.facet(param) {
            for (v, fv) in &f.values {
                (v, &fv.slug).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// A cache key from anything hashable (FxHash: keys are compared, never exposed, and hashing
/// thousands of them on every dev-server rebuild must be cheap).
fn key_of(v: &impl Hash) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// Hash of everything a page depends on besides the templates themselves, computed by
/// streaming the context's JSON into the hasher (no copy).
fn ctx_hash(template: &str, ctx: &Ctx) -> u64 {
    struct HashWriter<'a>(&'a mut rustc_hash::FxHasher);
    impl std::io::Write for HashWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = rustc_hash::FxHasher::default();
    template.hash(&mut h);
    serde_json::to_writer(HashWriter(&mut h), &ctx.0).expect("hashing cannot fail");
    h.finish()
}

/// The jq path of a key path in the Service Ping payload: `.counts.merge_requests`, with
/// segments that are not plain identifiers quoted (`.["a-b"]`).
pub fn jq_path(key_path: &str) -> String {
    key_path
        .split('.')
        .map(|seg| {
            let plain = !seg.is_empty()
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !seg.starts_with(|c: char| c.is_ascii_digit());
            if plain {
                format!(".{seg}")
            } else {
                format!(".[{}]", serde_json::to_string(seg).unwrap_or_default())
            }
        })
        .collect()
}

/// Milestone order: `<13.9` before `13.9`, numbers compared numerically, unknown last.
fn milestone_key(m: &str) -> (u32, u32, u32) {
    let (before, rest) = match m.strip_prefix('<') {
        Some(r) => (0, r),
        None => (1, m),
    };
    let mut parts = rest.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b, before),
        _ => (u32::MAX, u32::MAX, 0),
    }
}

/// Stacked bar charts of definitions added per milestone, drawn at build time as inline SVG
/// (no chart library or CDN), each with a title, a description and a data table.
fn milestone_charts(c: &Catalog) -> Vec<Value> {
    fn label(m: &Option<String>) -> &str {
        m.as_deref().unwrap_or("unknown")
    }
    let mut milestones: Vec<String> = c
        .metrics
        .iter()
        .map(|m| label(&m.milestone))
        .chain(c.events.iter().map(|e| label(&e.milestone)))
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    milestones.sort_by_key(|m| milestone_key(m));
    let column: HashMap<&str, usize> = milestones
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    // One pass over the definitions per chart: counts by series name and milestone.
    let count = |items: &mut dyn Iterator<Item = (String, &str)>| -> Vec<(String, Vec<usize>)> {
        let mut series: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (name, milestone) in items {
            series
                .entry(name)
                .or_insert_with(|| vec![0; milestones.len()])[column[milestone]] += 1;
        }
        series.into_iter().collect()
    };
    let metric_series = |of: &dyn Fn(&Metric) -> String| {
        count(&mut c.metrics.iter().map(|m| (of(m), label(&m.milestone))))
    };
    let mut events = count(&mut c.events.iter().map(|e| {
        let kind = if e.internal { "internal" } else { "legacy" };
        (kind.to_string(), label(&e.milestone))
    }));
    for kind in ["internal", "legacy"] {
        if !events.iter().any(|(k, _)| k == kind) {
            events.push((kind.to_string(), vec![0; milestones.len()]));
        }
    }
    events.sort();
    [
        ("metrics-by-category", "Metrics added per milestone, by data category", metric_series(&|m: &Metric| m.data_category.clone())),
        ("metrics-by-source", "Metrics added per milestone, by data source", metric_series(&|m: &Metric| m.data_source.clone().unwrap_or_else(|| "unknown".into()))),
        ("events-by-kind", "Events added per milestone, internal or legacy", events),
    ]
    .into_iter()
    .map(|(id, title, series)| {
        json!({"id": id, "title": title, "svg_html": bar_chart_svg(id, title, &milestones, &series),
            "milestones": milestones, "series": series.iter().map(|(n, v)| json!({"name": n, "counts": v})).collect::<Vec<_>>()})
    })
    .collect()
}

fn bar_chart_svg(id: &str, title: &str, xs: &[String], series: &[(String, Vec<usize>)]) -> String {
    use std::fmt::Write as _;
    const PALETTE: [&str; 8] = [
        "#6d5dfc", "#0f9d8a", "#e0a100", "#d9467a", "#3b82f6", "#8b5cf6", "#64748b", "#16a34a",
    ];
    let totals: Vec<usize> = (0..xs.len())
        .map(|i| series.iter().map(|(_, v)| v[i]).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let (bar, gap, height, left, bottom) = (14.0_f64, 4.0_f64, 180.0_f64, 34.0_f64, 56.0_f64);
    let width = left + xs.len() as f64 * (bar + gap) + 10.0;
    let total_h = height + bottom + 10.0 + 18.0 * series.len().div_ceil(4) as f64;
    let mut svg = String::new();
    let desc = format!("{} milestones; the most in one milestone: {max}.", xs.len());
    let _ = write!(svg, "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {width:.0} {total_h:.0}\" width=\"{width:.0}\" height=\"{total_h:.0}\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>", escape_html(title), escape_html(&desc));
    for tick in [0usize, max / 2, max] {
        let y = 10.0 + height - height * tick as f64 / max as f64;
        let _ = write!(svg, "<line x1=\"{left}\" x2=\"{width:.0}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/><text x=\"{:.0}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{tick}</text>", left - 4.0, y + 3.0);
    }
    for (i, x_label) in xs.iter().enumerate() {
        let x = left + i as f64 * (bar + gap);
        let mut y = 10.0 + height;
        for (si, (name, counts)) in series.iter().enumerate() {
            let n = counts[i];
            if n == 0 {
                continue;
            }
            let h = height * n as f64 / max as f64;
            y -= h;
            let _ = write!(svg, "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {n} ({})</title></rect>", PALETTE[si % PALETTE.len()], escape_html(x_label), escape_html(name));
        }
        let _ = write!(svg, "<text class=\"tick\" transform=\"translate({:.1},{:.1}) rotate(-60)\" text-anchor=\"end\">{}</text>", x + bar / 2.0 + 3.0, 10.0 + height + 8.0, escape_html(x_label));
    }
    for (si, (name, _)) in series.iter().enumerate() {
        let lx = left + (si % 4) as f64 * 130.0;
        let ly = height + bottom + 10.0 + 18.0 * (si / 4) as f64;
        let _ = write!(svg, "<rect x=\"{lx:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{ly:.0}\" class=\"legend\">{}</text>", ly - 9.0, PALETTE[si % PALETTE.len()], lx + 14.0, escape_html(name));
    }
    svg.push_str("</svg>");
    svg
}

/// Render untrusted markdown to safe HTML.
///
/// pulldown-cmark escapes all text it emits; what it passes through unchecked is raw HTML and
/// link or image URLs. Markdown with none of those (most descriptions) is therefore safe as
/// rendered, and only the rest goes through ammonia, whose HTML parse is the costly part.
pub fn markdown(src: &str) -> String {
    use pulldown_cmark::{html, Event as Md, Options, Parser, Tag};
    if src.trim().is_empty() {
        return String::new();
    }
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events: Vec<Md> = Parser::new_ext(src, options).collect();
    let needs_cleaning = events.iter().any(|e| {
        matches!(
            e,
            Md::Html(_)
                | Md::InlineHtml(_)
                | Md::Start(Tag::Link { .. })
                | Md::Start(Tag::Image { .. })
                | Md::Start(Tag::HtmlBlock)
        )
    });
    let mut out = String::with_capacity(src.len() * 2);
    html::push_html(&mut out, events.into_iter());
    if !needs_cleaning {
        return out;
    }
    // The sanitiser's rule set is built once: building it allocates every allow-list.
    static CLEANER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    let cleaner = CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.link_rel(Some("noopener noreferrer nofollow"))
            .url_schemes(["http", "https", "mailto"].into_iter().collect());
        b
    });
    cleaner.clean(&out).to_string()
}

/// Plain text of markdown, for table cells and search.
pub fn plain_text(src: &str) -> String {
    use pulldown_cmark::{Event as Md, Parser};
    let mut out = String::with_capacity(src.len());
    for ev in Parser::new(src) {
        match ev {
            Md::Text(t) | Md::Code(t) => out.push_str(&t),
            Md::SoftBreak | Md::HardBreak => out.push(' '),
            Md::End(_) if !out.ends_with(' ') => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An HTML id for a field or property name.
pub fn anchor(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// What browse pages show of their facet. `has_metrics`/`has_events` say which tables it
/// applies to (data classes describe events, data categories metrics), so pages leave out an
/// always-empty section.
fn facet_header(facet: &Facet) -> Value {
    json!({"label": facet.label, "path": facet.path, "param": facet.param,
        "has_metrics": facet.kinds.contains(&Kind::Metric),
        "has_events": facet.kinds.contains(&Kind::Event)})
}

fn facet_url(catalog: &Catalog, param: &str, value: &str) -> Value {
    catalog
        .facet(param)
        .and_then(|f| Some(format!("{}/{}/", f.path?, f.values.get(value)?.slug)))
        .map_or(Value::Null, Value::String)
}

/// A badge on a definition's page, linking to its browse page (URL includes `base`).
fn facet_badge(catalog: &Catalog, base: &str, param: &str, value: &str) -> Value {
    badge(
        value,
        at_base(base, facet_url(catalog, param, value)),
        param,
    )
}

/// A summary chip. Its class, tooltip and text are made here: in `badges.html` they took
/// five tera filters per chip, about a tenth of a cold build's CPU.
fn badge(label: &str, url: Value, kind: &str) -> Value {
    let mut class = String::from("chip");
    if !kind.is_empty() {
        class.push_str(" kind-");
        class.push_str(kind);
    }
    class.push_str(" v-");
    class.push_str(&label.to_lowercase().replace(' ', "-"));
    let title = (!kind.is_empty() && !url.is_null()).then(|| {
        let kind = kind.replace('_', " ");
        let mut chars = kind.chars();
        let kind: String = match chars.next() {
            Some(first) => {
                first.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase()
            }
            None => String::new(),
        };
        format!("{kind}: {label}")
    });
    object([
        ("label", label.into()),
        ("url", url),
        ("kind", kind.into()),
        ("class", class.into()),
        ("title", title.into()),
        ("text", label.replace('_', " ").into()),
    ])
}

/// A site-relative URL made absolute under `base`; absolute URLs and nulls pass through.
/// Definition pages get resolved URLs so their templates need no `href` macro per link.
fn at_base(base: &str, url: Value) -> Value {
    match url {
        Value::String(u) if !(u.starts_with('/') || u.contains("://") || u.starts_with('#')) => {
            Value::String(format!("{base}{u}"))
        }
        other => other,
    }
}

/// The filter controls of a table: facets that filter it, with the URL parameter name the
/// public links use.
fn filter_facets(catalog: &Catalog, kind: Kind) -> Vec<Value> {
    catalog
        .facets_for(kind)
        .filter(|f| f.param != "data_class")
        .map(|f| {
            let values: Vec<Value> = f
                .values
                .iter()
                .filter_map(|(v, fv)| {
                    let n = if kind == Kind::Metric {
                        fv.metrics.len()
                    } else {
                        fv.events.len()
                    };
                    (n > 0).then(|| json!({"value": v, "label": v, "count": n}))
                })
                .collect();
            json!({"param": url_param(f.param), "label": f.label, "values": values})
        })
        .collect()
}

/// The public query parameter of a facet (`event_category` is `category` on `/events/`).
fn url_param(param: &str) -> &str {
    if param == "event_category" {
        "category"
    } else {
        param
    }
}

/// A row of the metrics table.
pub fn metric_row(catalog: &Catalog, i: usize) -> Value {
    let m: &Metric = &catalog.metrics[i];
    let description = plain_text(&m.description);
    let mut f = Map::new();
    for facet in catalog.facets_for(Kind::Metric) {
        f.insert(
            url_param(facet.param).into(),
            Value::String(metric_facet_values(m, facet.param).join("|")),
        );
    }
    let key_paths = m.expanded_key_paths();
    let slug = &catalog.metric_slugs[i];
    object([
        ("ord", i.into()),
        ("slug", slug.as_str().into()),
        ("url", format!("metrics/{slug}/").into()),
        ("key_path", m.key_path.as_str().into()),
        ("more_count", key_paths.len().saturating_sub(1).into()),
        ("more_title", key_paths.join(", ").into()),
        ("key_paths", key_paths.into()),
        ("category_key", m.data_category.to_lowercase().into()),
        ("status_key", m.status.to_lowercase().into()),
        ("status_text", m.status.replace('_', " ").into()),
        ("time_frames_text", m.time_frames.join(", ").into()),
        ("pis_text", m.performance_indicators.join(", ").into()),
        ("filter_attrs", filter_attrs(&f).into()),
        ("description", description.into()),
        ("group", m.group.as_deref().into()),
        ("data_category", m.data_category.as_str().into()),
        ("status", m.status.as_str().into()),
        ("time_frames", m.time_frames.as_slice().into()),
        ("data_source", m.data_source.as_deref().into()),
        ("tiers", m.tiers.as_slice().into()),
        ("milestone", m.milestone.as_deref().into()),
        ("pis", m.performance_indicators.as_slice().into()),
        ("removed", m.removed.into()),
        ("f", f.into()),
    ])
}

/// A JSON object of these fields, in this order. The values are moved in: `json!` would
/// serialize each nested value again, copying every field list and row of a page.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A row's filter values as ` data-f-<param>="v1|v2"` attributes (what `site.js` filters on),
/// escaped. Rows are rendered once per build, but a tera loop over them was a third of that.
fn filter_attrs(f: &Map<String, Value>) -> String {
    let mut out = String::new();
    for (k, v) in f {
        out.push_str(" data-f-");
        out.push_str(&escape_html(k));
        out.push_str("=\"");
        out.push_str(&escape_html(v.as_str().unwrap_or_default()));
        out.push('"');
    }
    out
}

/// A row of the events table.
pub fn event_row(catalog: &Catalog, i: usize) -> Value {
    let e: &Event = &catalog.events[i];
    let description = plain_text(&e.description);
    let mut f = Map::new();
    for facet in catalog
        .facets_for(Kind::Event)
        .filter(|f| f.param != "data_class")
    {
        let param = url_param(facet.param);
        f.insert(
            param.into(),
            Value::String(event_facet_values(e, param).join("|")),
        );
    }
    let props: Vec<&str> = e.properties.iter().map(|p| p.name.as_str()).collect();
    let category = e.display_category();
    let slug = &catalog.event_slugs[i];
    object([
        ("status_key", e.status.to_lowercase().into()),
        ("status_text", e.status.replace('_', " ").into()),
        (
            "classification_key",
            e.classification.as_deref().map(str::to_lowercase).into(),
        ),
        ("properties_text", props.join(", ").into()),
        ("filter_attrs", filter_attrs(&f).into()),
        ("ord", (catalog.metrics.len() + i).into()),
        ("slug", slug.as_str().into()),
        ("url", format!("events/{slug}/").into()),
        ("action", e.action.as_str().into()),
        ("category", category.into()),
        ("description", description.into()),
        ("identifiers", e.identifiers.as_slice().into()),
        ("properties", props.into()),
        ("classification", e.classification.as_deref().into()),
        ("group", e.group.as_deref().into()),
        ("tiers", e.tiers.as_slice().into()),
        ("milestone", e.milestone.as_deref().into()),
        ("status", e.status.as_str().into()),
        ("removed", e.removed.into()),
        ("internal", e.internal.into()),
        ("f", f.into()),
    ])
}

/// Every field of a definition for its page, in file order, with links where a value has a
/// page of its own (group, data category, tier) or is a URL.
fn fields(catalog: &Catalog, base: &str, raw: &Map<String, Value>, kind: Kind) -> Vec<Value> {
    raw.iter()
        .filter(|(k, _)| k.as_str() != "description")
        .map(|(name, v)| {
            let facet = match (name.as_str(), kind) {
                ("data_category", Kind::Metric) => Some("category"),
                ("tiers" | "tier", _) => Some("tier"),
                ("product_group", _) => Some("group"),
                ("identifiers", Kind::Event) => Some("data_class"),
                ("classification", Kind::Event) => Some("data_class"),
                _ => None,
            };
            let item = |s: String| {
                let url = if s.starts_with("https://") || s.starts_with("http://") {
                    Value::String(s.clone())
                } else if let Some(p) = facet {
                    let key = match p {
                        "group" => crate::definition::normalize_group(&s),
                        _ => s.to_lowercase(),
                    };
                    at_base(base, facet_url(catalog, p, &key))
                } else {
                    Value::Null
                };
                object([("text", s.into()), ("url", url)])
            };
            let (items, block): (Vec<Value>, Option<String>) = match v {
                Value::Null => (Vec::new(), None),
                Value::String(s) => (vec![item(s.clone())], None),
                Value::Bool(_) | Value::Number(_) => (vec![item(v.to_string())], None),
                Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => (
                    a.iter()
                        .map(|x| {
                            item(match x {
                                Value::String(s) => s.clone(),
                                o => o.to_string(),
                            })
                        })
                        .collect(),
                    None,
                ),
                other => (
                    Vec::new(),
                    Some(serde_json::to_string_pretty(other).unwrap_or_default()),
                ),
            };
            let code = matches!(
                name.as_str(),
                "key_path" | "action" | "instrumentation_class" | "category"
            );
            let value_html = field_value_html(&items, block.as_deref(), code);
            object([
                ("name", name.as_str().into()),
                ("anchor", anchor(name).into()),
                ("items", items.into()),
                ("code", code.into()),
                ("block", block.into()),
                ("value_html", value_html.into()),
            ])
        })
        .collect()
}

/// A field's value as HTML: preformatted text for `block`, else the items comma-separated
/// (`<code>` when `code`, links where they have a URL), else a muted dash. Made here, not in
/// `field.html`: a page has some 25 fields, and tera's per-item lookups were a tenth of a
/// cold build's CPU. `items`, `block` and `code` stay in the context for custom templates.
fn field_value_html(items: &[Value], block: Option<&str>, code: bool) -> String {
    if let Some(b) = block.filter(|b| !b.is_empty()) {
        return format!("<pre class=\"block\"><code>{}</code></pre>", escape_html(b));
    }
    if items.is_empty() {
        return "<span class=\"muted\">—</span>".to_string();
    }
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let url = it["url"].as_str().filter(|u| !u.is_empty());
        if let Some(u) = url {
            out.push_str("<a href=\"");
            out.push_str(&escape_html(u));
            out.push_str("\">");
        }
        let text = escape_html(it["text"].as_str().unwrap_or_default());
        if code {
            out.push_str("<code>");
            out.push_str(&text);
            out.push_str("</code>");
        } else {
            out.push_str(&text);
        }
        if url.is_some() {
            out.push_str("</a>");
        }
    }
    out
}

/// HTML escaping for text and attribute values. Unlike tera's default it leaves `/` alone, so
/// URLs stay readable in the output (escaping `/` adds nothing in HTML contexts).
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // Runs between special characters are copied whole (all five are ASCII, so every split
    // falls on a character boundary).
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out
}

fn template_error(e: &tera::Error) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    /// Markdown that skips the sanitiser must come out exactly as the sanitiser would leave it.
    #[test]
    fn markdown_without_html_or_links_is_already_clean() {
        for src in [
            "Count of **merge requests** with `approvals` > 0 & < 10",
            "Line one\nline two\n\n- a\n- b\n\n1. x\n2. y",
            "| a | b |\n|---|---|\n| <1 | \"q\" |",
            "~~old~~ *new* 'quoted' \"double\"\n\n```\n<script>alert(1)</script>\n```",
            "# Heading\n\n> quote with &amp; and &lt;b&gt;",
        ] {
            let html = super::markdown(src);
            let cleaned = ammonia::Builder::default().clean(&html).to_string();
            assert_eq!(html, cleaned, "{src}");
        }
        // Raw HTML and links do go through the sanitiser.
        assert!(!super::markdown("<script>alert(1)</script> hi").contains("<script"));
        assert!(!super::markdown("[x](javascript:alert(1))").contains("javascript:"));
        assert!(super::markdown("[x](https://gitlab.com)").contains("noopener"));
    }

    #[test]
    fn jq_paths_quote_what_jq_cannot_read_bare() {
        assert_eq!(
            super::jq_path("counts.merge_requests"),
            ".counts.merge_requests"
        );
        assert_eq!(
            super::jq_path("usage_activity.ci-cd.2fa"),
            r#".usage_activity.["ci-cd"].["2fa"]"#
        );
    }
}
