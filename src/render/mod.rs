//! HTML pages from the catalog through tera templates.
//!
//! Templates come from `templates/` embedded in the binary; a user's template folder overrides
//! them file by file ([`templates`]). Descriptions are untrusted markdown, rendered by
//! [`crate::text::markdown`]; everything else reaches templates as plain strings and is escaped
//! by tera's autoescaping with [`crate::text::escape_html`]. Each table row is rendered once
//! ([`rows`]) and spliced into every page listing it; a rebuild reuses what did not change
//! ([`cache`]).

mod badges;
mod cache;
mod charts;
mod fields;
mod jobs;
mod pages;
mod privacy;
mod queries;
mod rows;
mod sections;
mod structured;
mod table_data;
mod templates;
mod versions;

pub use cache::{RenderCache, RenderStats};
pub use table_data::table_data;
pub use templates::{load_templates, TemplateError, Templates};

use crate::model::catalog::Catalog;
use crate::model::queries::QueryTemplates;
use crate::model::site::{Page, SiteInfo};
use cache::ctx_hash;
use rows::{splice_rows, Rows, Table};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tera::Context;

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

/// A page to render: template, context, output path.
pub struct Job {
    template: &'static str,
    body: Body,
    path: String,
    /// What the page depends on, when cheaper to state than to hash the whole context.
    key: Option<u64>,
    /// Tables whose rows are spliced into the rendered page (see `rows::splice_rows`).
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

/// A page as rendered or reused, its cache key, and whether it was rendered.
type PageOutcome = (Page, u64, bool);

/// Where a one-off build sends each page as soon as it is rendered.
pub type Sink<'a> = &'a (dyn Fn(&str, &[u8]) -> std::io::Result<()> + Sync);

/// Why pages could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The sink could not take a page.
    #[error("writing {path}: {source}")]
    Output {
        path: String,
        source: std::io::Error,
    },
}

/// What a rendered page's buffer starts with (a definition page is about 5 KB).
const PAGE_BYTES: usize = 8 * 1024;

/// A header, footer, head or scripts as rendered (a template error in them is an error of
/// every page using them).
type ChromeHtml = Result<Value, TemplateError>;

/// The template engine with the site's templates loaded.
pub struct Renderer {
    templates: Arc<Templates>,
    site: SiteInfo,
    /// Asset paths (relative to base) by logical name, e.g. `css` → `static/site.css`.
    assets: BTreeMap<String, String>,
    /// `base`, `site` and `assets` as JSON, serialised once and copied into every context.
    shared: Map<String, Value>,
    /// Header (by section) and footer HTML: the same on thousands of pages, so rendered once.
    /// A template error in them is an error of every page using them.
    /// By template, then section (looked up on every page: no key is made for it).
    chrome: std::sync::RwLock<HashMap<&'static str, HashMap<String, ChromeHtml>>>,
    /// Warehouse query templates definition pages fill ("Copy the query").
    queries: QueryTemplates,
    /// Which optional parts of a definition page's context some template reads.
    parts: Parts,
}

/// Parts of a definition page's context that only templates laying the page out differently
/// need (`item.fields`, `item.badges`): made only when a template reads them.
#[derive(Debug, Clone, Copy)]
struct Parts {
    fields: bool,
    badges: bool,
}

impl Renderer {
    /// A renderer over compiled templates (see [`load_templates`]).
    pub fn new(
        templates: Arc<Templates>,
        site: SiteInfo,
        assets: BTreeMap<String, String>,
    ) -> Renderer {
        let mut shared = Ctx::default();
        shared.insert("base", &site.base);
        shared.insert("site", &site);
        shared.insert("assets", &assets);
        let parts = Parts {
            fields: templates.reads("fields"),
            badges: templates.reads("badges"),
        };
        Renderer {
            templates,
            site,
            assets,
            shared: shared.0,
            chrome: Default::default(),
            queries: QueryTemplates::default(),
            parts,
        }
    }

    /// The query templates definition pages fill (none unless given).
    pub fn with_queries(mut self, queries: QueryTemplates) -> Renderer {
        self.queries = queries;
        self
    }

    fn context(&self, nav: &str, title: &str) -> Ctx {
        let mut ctx = Ctx(self.shared.clone());
        ctx.insert("nav", nav);
        ctx.insert("page_title", title);
        ctx.insert("document_title", &document_title(title, &self.site.title));
        // What is the same on many pages is rendered once (per section for the header).
        for (key, template, section) in [
            ("header_html", "header.html", nav),
            ("footer_html", "footer.html", ""),
            ("head_html", "head.html", ""),
            ("scripts_html", "scripts.html", ""),
        ] {
            // On a template error the value stays out; `render_owned` reports the error.
            if let Ok(html) = self.chrome(template, section) {
                ctx.insert_value(key, html);
            }
        }
        ctx
    }

    /// A header, footer, head or scripts for a section, rendered on first use.
    fn chrome(&self, template: &'static str, nav: &str) -> Result<Value, TemplateError> {
        let cached = self.chrome.read().expect("not poisoned");
        if let Some(v) = cached.get(template).and_then(|by_nav| by_nav.get(nav)) {
            return v.clone();
        }
        drop(cached);
        let mut ctx = Ctx(self.shared.clone());
        ctx.insert("nav", nav);
        let html = self
            .render_template(template, ctx)
            .map(Value::String)
            .map_err(|e| e.included_in_every_page());
        self.chrome
            .write()
            .expect("not poisoned")
            .entry(template)
            .or_default()
            .insert(nav.to_string(), html.clone());
        html
    }

    /// The first error in a header or footer, if any.
    fn chrome_error(&self) -> Option<TemplateError> {
        let chrome = self.chrome.read().expect("not poisoned");
        chrome
            .values()
            .flat_map(HashMap::values)
            .find_map(|r| r.as_ref().err().cloned())
    }

    fn render_str(&self, template: &str, ctx: &Ctx) -> Result<String, TemplateError> {
        self.render_owned(template, Ctx(ctx.0.clone()))
    }

    /// Render a context that is not needed afterwards (tera takes it by value: no copy).
    fn render_owned(&self, template: &str, ctx: Ctx) -> Result<String, TemplateError> {
        let html = self.render_template(template, ctx);
        // A broken header or footer is the cause of whatever else failed.
        match self.chrome_error() {
            Some(e) => Err(e),
            None => html,
        }
    }

    fn render_template(&self, template: &str, ctx: Ctx) -> Result<String, TemplateError> {
        let context = Context::from_value(Value::Object(ctx.0))
            .map_err(|e| self.templates.error(template, &e))?;
        // Into a buffer the size of a definition page: tera's own starts at 2 KB and grows
        // twice for each of thousands of ~5 KB pages.
        let mut html = Vec::with_capacity(PAGE_BYTES);
        self.templates
            .tera
            .render_to(template, &context, &mut html)
            .map_err(|e| self.templates.error(template, &e))?;
        // tera writes only text; a lossy conversion keeps this from ever failing.
        Ok(String::from_utf8(html)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Render one page: its context (built now for definition pages, so a build never holds
    /// every page's context at once), the template, then the table rows spliced in.
    fn render(&self, job: &Job, catalog: &Catalog, rows: &Rows) -> Result<Vec<u8>, TemplateError> {
        let html = match &job.body {
            Body::Ready(ctx) => self.render_str(job.template, ctx)?,
            Body::Metric(i) => self.render_owned(job.template, self.metric_page(catalog, *i))?,
            Body::Event(i) => self.render_owned(job.template, self.event_page(catalog, *i))?,
            Body::Cached => unreachable!("a cached page is reused, not rendered"),
        };
        Ok(splice_rows(html, &job.tables, rows))
    }

    /// Hash of what every page shares (site facts, assets, base).
    fn site_key(&self) -> u64 {
        let mut ctx = Ctx::default();
        ctx.insert("site", &self.site);
        ctx.insert("assets", &self.assets);
        ctx.insert("queries", &self.queries);
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
    ) -> Result<(Vec<Page>, RenderStats), RenderError> {
        use rayon::prelude::*;
        let rows = self.rows(catalog, cache)?;
        let jobs = self.jobs(catalog, cache, &rows);
        // Pages listing the most rows go first: started last, the largest (the home page
        // lists every metric) would leave one core working alone at the end. Tasks of a few
        // pages: rayon splits a list only while threads start or steal, and left to that, one
        // core rendered a last share of hundreds of pages alone.
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&i| {
            std::cmp::Reverse(jobs[i].tables.iter().map(|t| t.rows.len()).sum::<usize>())
        });
        let empty: Arc<[u8]> = Arc::from(Vec::new());
        let cache_ref = &*cache;
        let mut results: Vec<(usize, Result<PageOutcome, RenderError>)> = order
            .par_iter()
            .with_max_len(4)
            .map(|&i| {
                let job = &jobs[i];
                (
                    i,
                    self.render_job(job, catalog, &rows, cache_ref, sink, &empty),
                )
            })
            .collect();
        results.sort_unstable_by_key(|(i, _)| *i);
        let off = cache.is_off();
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
        cache.replace_pages(next);
        Ok((pages, stats))
    }

    /// One job's page: reused from the cache when its key is unchanged, else rendered (and
    /// handed to the sink, if any).
    fn render_job(
        &self,
        job: &Job,
        catalog: &Catalog,
        rows: &Rows,
        cache: &RenderCache,
        sink: Option<Sink>,
        empty: &Arc<[u8]>,
    ) -> Result<PageOutcome, RenderError> {
        let off = cache.is_off();
        let key = match (off, job.key, &job.body) {
            (true, ..) => 0,
            (false, Some(k), _) => k,
            (false, None, Body::Ready(ctx)) => ctx_hash(job.template, ctx),
            (false, None, _) => 0,
        };
        if let Some(content) = cache.page(&job.path, key) {
            let page = Page {
                path: job.path.clone(),
                content,
            };
            return Ok((page, key, false));
        }
        let html = self.render(job, catalog, rows)?;
        // Streamed pages are not kept, so they are not copied into shared storage.
        let content = match sink {
            Some(sink) => {
                sink(&job.path, &html).map_err(|source| RenderError::Output {
                    path: job.path.clone(),
                    source,
                })?;
                empty.clone()
            }
            None => html.into(),
        };
        let page = Page {
            path: job.path.clone(),
            content,
        };
        Ok((page, key, true))
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

/// The `<title>` of a page: its own title, then the site's (the site's alone on the home page).
fn document_title(page: &str, site: &str) -> String {
    if page.is_empty() || page == site {
        site.to_string()
    } else {
        [page, " · ", site].concat()
    }
}
