//! HTML pages from the catalog through tera templates.
//!
//! Templates come from `templates/` embedded in the binary; a user's template folder overrides
//! them file by file. Descriptions are untrusted markdown: rendered with pulldown-cmark, then
//! cleaned by ammonia. Everything else reaches templates as plain strings and is escaped by
//! tera's autoescaping.

use crate::catalog::{event_facet_values, metric_facet_values, Catalog, Facet, Kind};
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
    /// `None` when the cache already holds this page under `key` (nothing to build).
    ctx: Option<Ctx>,
    path: String,
    /// What the page depends on, when cheaper to state than to hash the whole context.
    key: Option<u64>,
}

/// Pages and table rows rendered by previous builds, keyed by output path (rows: by kind and
/// position), with a hash of what produced them (template name and context). A rebuild renders
/// only what changed. A one-off build uses [`RenderCache::off`] and skips the hashing.
#[derive(Default)]
pub struct RenderCache {
    pages: HashMap<String, (u64, Arc<[u8]>)>,
    rows: HashMap<(&'static str, usize), (u64, Arc<str>)>,
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
        Renderer { tera, site, assets }
    }

    fn context(&self, nav: &str, title: &str) -> Ctx {
        let mut ctx = Ctx::default();
        ctx.insert("base", &self.site.base);
        ctx.insert("site", &self.site);
        ctx.insert("nav", nav);
        ctx.insert("assets", &self.assets);
        ctx.insert("page_title", title);
        ctx
    }

    fn render(&self, job: &Job) -> Result<Arc<[u8]>, String> {
        let ctx = job
            .ctx
            .as_ref()
            .ok_or_else(|| format!("{}: no context", job.path))?;
        Ok(Arc::from(self.render_str(job.template, ctx)?.into_bytes()))
    }

    fn render_str(&self, template: &str, ctx: &Ctx) -> Result<String, String> {
        // tera needs an owned context; building it is a shallow copy of the JSON tree.
        let context =
            Context::from_value(Value::Object(ctx.0.clone())).map_err(|e| template_error(&e))?;
        self.tera
            .render(template, &context)
            .map_err(|e| template_error(&e))
    }

    /// Table rows as HTML, rendered once per build (and reused across rebuilds while the
    /// definition, its page name and position are unchanged), then shared by every table that
    /// lists them. Returns each row's HTML and key.
    fn row_fragments(
        &self,
        kind: &'static str,
        n: usize,
        key_of: impl Fn(usize) -> u64 + Sync,
        row_of: impl Fn(usize) -> Value + Sync,
        cache: &mut RenderCache,
    ) -> Result<Vec<(Arc<str>, u64)>, String> {
        use rayon::prelude::*;
        let template = if kind == "metric" {
            "metric_row.html"
        } else {
            "event_row.html"
        };
        let off = cache.off;
        let cached = &cache.rows;
        let rendered: Vec<Result<(Arc<str>, u64), String>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let key = if off { 0 } else { key_of(i) };
                if let Some((k, html)) = cached.get(&(kind, i)) {
                    if *k == key && !off {
                        return Ok((html.clone(), key));
                    }
                }
                let mut ctx = Ctx::default();
                ctx.insert("base", &self.site.base);
                ctx.insert("row", &row_of(i));
                Ok((Arc::from(self.render_str(template, &ctx)?), key))
            })
            .collect();
        let rows: Vec<(Arc<str>, u64)> = rendered.into_iter().collect::<Result<_, _>>()?;
        if !off {
            cache.rows.retain(|(k, i), _| *k != kind || *i < n);
            for (i, (html, key)) in rows.iter().enumerate() {
                cache.rows.insert((kind, i), (*key, html.clone()));
            }
        }
        Ok(rows)
    }

    /// Hash of what every page shares (site facts, assets, base).
    fn site_key(&self) -> u64 {
        let mut ctx = Ctx::default();
        ctx.insert("site", &self.site);
        ctx.insert("assets", &self.assets);
        ctx_hash("", &ctx)
    }

    /// Every HTML page of the site. Pages whose template and context are unchanged since the
    /// build that filled `cache` are reused instead of rendered.
    pub fn render_all(
        &self,
        catalog: &Catalog,
        cache: &mut RenderCache,
    ) -> Result<(Vec<Page>, RenderStats), String> {
        use rayon::prelude::*;
        let jobs = self.jobs(catalog, cache)?;
        let off = cache.off;
        let cached = &cache.pages;
        let results: Vec<Result<(Page, u64, bool), String>> = jobs
            .par_iter()
            .map(|job| {
                let key = match (off, job.key, &job.ctx) {
                    (true, ..) => 0,
                    (false, Some(k), _) => k,
                    (false, None, Some(ctx)) => ctx_hash(job.template, ctx),
                    (false, None, None) => 0,
                };
                if let Some((k, content)) = cached.get(&job.path) {
                    if *k == key && !off {
                        return Ok((
                            Page {
                                path: job.path.clone(),
                                content: content.clone(),
                            },
                            key,
                            false,
                        ));
                    }
                }
                let content = self.render(job)?;
                Ok((
                    Page {
                        path: job.path.clone(),
                        content,
                    },
                    key,
                    true,
                ))
            })
            .collect();
        let mut pages = Vec::with_capacity(results.len());
        let mut stats = RenderStats::default();
        let mut next = HashMap::with_capacity(results.len());
        for r in results {
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

    /// What to render: one job per page. Pages and rows of unchanged definitions are found in
    /// the cache by a key computed from what they show, without building their context.
    fn jobs(&self, catalog: &Catalog, cache: &mut RenderCache) -> Result<Vec<Job>, String> {
        use rayon::prelude::*;
        let site_key = self.site_key();
        let nm = catalog.metrics.len();
        let metric_rows = self.row_fragments(
            "metric",
            nm,
            |i| {
                key_of(&(
                    site_key,
                    catalog.metrics[i].version,
                    &catalog.metric_slugs[i],
                    i,
                ))
            },
            |i| metric_row(catalog, i),
            cache,
        )?;
        let event_rows = self.row_fragments(
            "event",
            catalog.events.len(),
            |i| {
                key_of(&(
                    site_key,
                    catalog.events[i].version,
                    &catalog.event_slugs[i],
                    nm + i,
                ))
            },
            |i| event_row(catalog, i),
            cache,
        )?;
        let removed_m: Vec<bool> = catalog.metrics.iter().map(|m| m.removed).collect();
        let removed_e: Vec<bool> = catalog.events.iter().map(|e| e.removed).collect();
        // A table's rows: their key (cheap) and, only when the page must be rendered, their HTML.
        let rows_key = |rows: &[(Arc<str>, u64)], which: &[usize]| -> u64 {
            key_of(&which.iter().map(|&i| rows[i].1).collect::<Vec<u64>>())
        };
        let row_values =
            |rows: &[(Arc<str>, u64)], removed: &[bool], which: &[usize]| -> Vec<Value> {
                which
                    .iter()
                    .map(|&i| json!({"html": &*rows[i].0, "removed": removed[i]}))
                    .collect()
            };
        let all_m: Vec<usize> = (0..nm).collect();
        let all_e: Vec<usize> = (0..catalog.events.len()).collect();
        let off = cache.off;
        let hit =
            |path: &str, key: u64| !off && cache.pages.get(path).is_some_and(|(k, _)| *k == key);

        let mut jobs = Vec::new();
        for (kind, template, path, nav, title) in [
            (
                Kind::Metric,
                "index.html",
                "index.html",
                "metrics",
                "Metrics",
            ),
            (
                Kind::Event,
                "events.html",
                "events/index.html",
                "events",
                "Events",
            ),
        ] {
            let (rows, removed, which) = if kind == Kind::Metric {
                (&metric_rows, &removed_m, &all_m)
            } else {
                (&event_rows, &removed_e, &all_e)
            };
            let mut ctx = self.context(nav, title);
            ctx.insert("facets", &filter_facets(catalog, kind));
            ctx.insert("total", &which.len());
            ctx.insert("removed_count", &removed.iter().filter(|r| **r).count());
            let key = key_of(&(ctx_hash(template, &ctx), rows_key(rows, which)));
            if !hit(path, key) {
                ctx.insert("rows", &row_values(rows, removed, which));
            }
            jobs.push(Job {
                template,
                ctx: (!hit(path, key)).then_some(ctx),
                path: path.into(),
                key: Some(key),
            });
        }

        let metric_jobs: Vec<Job> = (0..nm)
            .into_par_iter()
            .map(|i| {
                let path = format!("metrics/{}/index.html", catalog.metric_slugs[i]);
                let key = self.metric_key(catalog, i, site_key);
                if hit(&path, key) {
                    Job {
                        template: "metric.html",
                        ctx: None,
                        path,
                        key: Some(key),
                    }
                } else {
                    let mut job = self.metric_page(catalog, i);
                    job.key = Some(key);
                    job
                }
            })
            .collect();
        jobs.extend(metric_jobs);
        let event_jobs: Vec<Job> = (0..catalog.events.len())
            .into_par_iter()
            .map(|i| {
                let path = format!("events/{}/index.html", catalog.event_slugs[i]);
                let key = self.event_key(catalog, i, site_key);
                if hit(&path, key) {
                    Job {
                        template: "event.html",
                        ctx: None,
                        path,
                        key: Some(key),
                    }
                } else {
                    let mut job = self.event_page(catalog, i);
                    job.key = Some(key);
                    job
                }
            })
            .collect();
        jobs.extend(event_jobs);

        for facet in catalog.facets.iter().filter(|f| f.path.is_some()) {
            for mut job in self.facet_pages(facet) {
                if job.template == "facet_page.html" {
                    if let Some((mut mi, ei)) = facet_members(facet, &job.path) {
                        if facet.param == "group" {
                            // A group's performance-indicator metrics come first.
                            mi.sort_by_key(|&i| {
                                (catalog.metrics[i].performance_indicators.is_empty(), i)
                            });
                        }
                        let ctx = job.ctx.as_mut().expect("fresh job");
                        let key = key_of(&(
                            ctx_hash(job.template, ctx),
                            rows_key(&metric_rows, &mi),
                            rows_key(&event_rows, &ei),
                        ));
                        if hit(&job.path, key) {
                            job.ctx = None;
                        } else {
                            ctx.insert("rows", &row_values(&metric_rows, &removed_m, &mi));
                            ctx.insert("event_rows", &row_values(&event_rows, &removed_e, &ei));
                        }
                        job.key = Some(key);
                    }
                }
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
    /// of the browse pages it links.
    fn metric_key(&self, c: &Catalog, i: usize, site_key: u64) -> u64 {
        let m = &c.metrics[i];
        let mut h = std::collections::hash_map::DefaultHasher::new();
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
        for p in ["category", "tier", "group"] {
            for v in metric_facet_values(m, p) {
                facet_slug(c, p, &v).hash(&mut h);
            }
        }
        h.finish()
    }

    /// What an event's page shows besides its own file.
    fn event_key(&self, c: &Catalog, i: usize, site_key: u64) -> u64 {
        let e = &c.events[i];
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (site_key, e.version, &c.event_slugs[i]).hash(&mut h);
        for &mi in &c.event_metrics[i] {
            (&c.metrics[mi].key_path, &c.metric_slugs[mi]).hash(&mut h);
        }
        for p in ["data_class", "tier", "group"] {
            for v in event_facet_values(e, p) {
                facet_slug(c, p, &v).hash(&mut h);
            }
        }
        h.finish()
    }

    /// The page of one metric.
    fn metric_page(&self, catalog: &Catalog, i: usize) -> Job {
        let m = &catalog.metrics[i];
        let slug = &catalog.metric_slugs[i];
        let events: Vec<Value> = catalog.metric_events[i]
            .iter()
            .flat_map(|(me, hits)| {
                if hits.is_empty() {
                    vec![json!({"name": me.name, "unique": me.unique, "url": Value::Null})]
                } else {
                    hits.iter()
                        .map(|&ei| {
                            json!({"name": catalog.events[ei].id(), "unique": me.unique,
                            "url": format!("events/{}/", catalog.event_slugs[ei])})
                        })
                        .collect()
                }
            })
            .collect();
        let mut badges = vec![json!({"label": m.status, "url": Value::Null, "kind": "status"})];
        badges.push(facet_badge(catalog, "category", &m.data_category));
        for t in &m.tiers {
            badges.push(facet_badge(catalog, "tier", t));
        }
        if let Some(g) = &m.group {
            badges.push(facet_badge(catalog, "group", g));
        }
        let item = json!({
            "title": m.key_path,
            "key_paths": m.expanded_key_paths(),
            "json_paths": m.expanded_key_paths().iter().map(|k| json!({"key_path": k, "jq": jq_path(k)})).collect::<Vec<_>>(),
            "description_html": markdown(&m.description),
            "status": m.status,
            "removed": m.removed,
            "fields": fields(catalog, &m.fields, Kind::Metric),
            "events": events,
            "source": self.source(&m.source.rel),
            "badges": badges,
        });
        let mut ctx = self.context("metrics", &m.key_path);
        ctx.insert("item", &item);
        job("metric.html", ctx, format!("metrics/{slug}/index.html"))
    }

    /// The page of one event.
    fn event_page(&self, catalog: &Catalog, i: usize) -> Job {
        let e = &catalog.events[i];
        let slug = &catalog.event_slugs[i];
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
            .map(|id| json!({"text": id, "url": facet_url(catalog, "data_class", id)}))
            .collect();
        let metrics: Vec<Value> = catalog.event_metrics[i]
            .iter()
            .map(|&mi| {
                json!({"key_path": catalog.metrics[mi].key_path,
                "url": format!("metrics/{}/", catalog.metric_slugs[mi])})
            })
            .collect();
        let mut badges = vec![json!({"label": e.status, "url": Value::Null, "kind": "status"})];
        if let Some(c) = &e.classification {
            badges.push(facet_badge(catalog, "data_class", c));
        }
        for t in &e.tiers {
            badges.push(facet_badge(catalog, "tier", t));
        }
        if let Some(g) = &e.group {
            badges.push(facet_badge(catalog, "group", g));
        }
        let title = e.id().replace('/', " / ");
        let item = json!({
            "title": title,
            "action": e.action,
            "category": e.display_category(),
            "description_html": markdown(&e.description),
            "status": e.status,
            "removed": e.removed,
            "internal": e.internal,
            "fields": fields(catalog, &e.fields, Kind::Event),
            "properties": properties,
            "identifiers": identifiers,
            "metrics": metrics,
            "source": self.source(&e.source.rel),
            "badges": badges,
        });
        let mut ctx = self.context("events", &title);
        ctx.insert("item", &item);
        job("event.html", ctx, format!("events/{slug}/index.html"))
    }

    fn source(&self, rel: &str) -> Value {
        json!({"path": rel, "url": self.site.repo_url.as_ref().map(|r| format!("{r}{rel}"))})
    }

    fn facet_pages(&self, facet: &Facet) -> Vec<Job> {
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
        let header =
            json!({"label": facet.label, "path": path, "param": facet.param, "values": values});
        let page_header = json!({"label": facet.label, "path": path, "param": facet.param});
        let mut pages = Vec::new();
        let mut ctx = self.context(path, &plural(facet.label));
        ctx.insert("facet", &header);
        pages.push(job("facet_index.html", ctx, format!("{path}/index.html")));
        for (v, fv) in &facet.values {
            let mut ctx = self.context(path, &format!("{}: {v}", facet.label));
            // A value's page needs the facet's name, not every other value (and so does not
            // change when another value's counts do).
            ctx.insert("facet", &page_header);
            ctx.insert(
                "value",
                &json!({"value": v, "label": v,
                "metric_count": fv.metrics.len(), "event_count": fv.events.len()}),
            );
            pages.push(job(
                "facet_page.html",
                ctx,
                format!("{path}/{}/index.html", fv.slug),
            ));
        }
        pages
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
        let job = job("changes.html", ctx, "changes/index.html".into());
        Ok(Page {
            content: self.render(&job)?,
            path: job.path,
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
        ctx: Some(ctx),
        path,
        key: None,
    }
}

/// The metrics and events listed on a browse page, from its path.
fn facet_members(facet: &Facet, path: &str) -> Option<(Vec<usize>, Vec<usize>)> {
    let slug = path.strip_suffix("/index.html")?.rsplit('/').next()?;
    let fv = facet.values.values().find(|fv| fv.slug == slug)?;
    Some((fv.metrics.clone(), fv.events.clone()))
}

/// A cache key from anything hashable.
fn key_of(v: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Hash of everything a page depends on besides the templates themselves, computed by
/// streaming the context's JSON into the hasher (no copy).
fn ctx_hash(template: &str, ctx: &Ctx) -> u64 {
    struct HashWriter<'a>(&'a mut std::collections::hash_map::DefaultHasher);
    impl std::io::Write for HashWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
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
    let label = |m: &Option<String>| m.clone().unwrap_or_else(|| "unknown".into());
    let mut milestones: Vec<String> = c
        .metrics
        .iter()
        .map(|m| label(&m.milestone))
        .chain(c.events.iter().map(|e| label(&e.milestone)))
        .collect();
    milestones.sort_by_key(|m| milestone_key(m));
    milestones.dedup();
    let metric_series = |of: &dyn Fn(&Metric) -> String| -> Vec<(String, Vec<usize>)> {
        let mut names: Vec<String> = c.metrics.iter().map(|m| of(m)).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let counts = milestones
                    .iter()
                    .map(|ms| {
                        c.metrics
                            .iter()
                            .filter(|m| label(&m.milestone) == *ms && of(m) == n)
                            .count()
                    })
                    .collect();
                (n, counts)
            })
            .collect()
    };
    let events: Vec<(String, Vec<usize>)> = ["internal", "legacy"]
        .iter()
        .map(|k| {
            let counts = milestones
                .iter()
                .map(|ms| {
                    c.events
                        .iter()
                        .filter(|e| {
                            label(&e.milestone) == *ms && (e.internal == (*k == "internal"))
                        })
                        .count()
                })
                .collect();
            (k.to_string(), counts)
        })
        .collect();
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
pub fn markdown(src: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    if src.trim().is_empty() {
        return String::new();
    }
    let parser = Parser::new_ext(src, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(src.len() * 2);
    html::push_html(&mut out, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&out)
        .to_string()
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

fn facet_slug<'a>(catalog: &'a Catalog, param: &str, value: &str) -> Option<&'a str> {
    catalog
        .facet(param)?
        .values
        .get(value)
        .map(|v| v.slug.as_str())
}

fn facet_url(catalog: &Catalog, param: &str, value: &str) -> Value {
    catalog
        .facet(param)
        .and_then(|f| Some(format!("{}/{}/", f.path?, f.values.get(value)?.slug)))
        .map_or(Value::Null, Value::String)
}

fn facet_badge(catalog: &Catalog, param: &str, value: &str) -> Value {
    json!({"label": value, "url": facet_url(catalog, param, value), "kind": param})
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
    json!({
        "ord": i,
        "slug": catalog.metric_slugs[i],
        "url": format!("metrics/{}/", catalog.metric_slugs[i]),
        "key_path": m.key_path,
        "key_paths": m.expanded_key_paths(),
        "description": description,
        "group": m.group,
        "data_category": m.data_category,
        "status": m.status,
        "time_frames": m.time_frames,
        "data_source": m.data_source,
        "tiers": m.tiers,
        "milestone": m.milestone,
        "pis": m.performance_indicators,
        "removed": m.removed,
        "f": f,
    })
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
    json!({
        "ord": catalog.metrics.len() + i,
        "slug": catalog.event_slugs[i],
        "url": format!("events/{}/", catalog.event_slugs[i]),
        "action": e.action,
        "category": category,
        "description": description,
        "identifiers": e.identifiers,
        "properties": props,
        "classification": e.classification,
        "group": e.group,
        "tiers": e.tiers,
        "milestone": e.milestone,
        "status": e.status,
        "removed": e.removed,
        "internal": e.internal,
        "f": f,
    })
}

/// Every field of a definition for its page, in file order, with links where a value has a
/// page of its own (group, data category, tier) or is a URL.
fn fields(catalog: &Catalog, raw: &Map<String, Value>, kind: Kind) -> Vec<Value> {
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
                    facet_url(catalog, p, &key)
                } else {
                    Value::Null
                };
                json!({"text": s, "url": url})
            };
            let (items, block): (Vec<Value>, Option<String>) = match v {
                Value::Null => (Vec::new(), None),
                Value::String(s) => (vec![item(s.clone())], None),
                Value::Bool(_) | Value::Number(_) => (vec![item(v.to_string())], None),
                Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => (
                    a.iter()
                        .map(|x| item(match x { Value::String(s) => s.clone(), o => o.to_string() }))
                        .collect(),
                    None,
                ),
                other => (Vec::new(), Some(serde_json::to_string_pretty(other).unwrap_or_default())),
            };
            let code = matches!(name.as_str(), "key_path" | "action" | "instrumentation_class" | "category");
            json!({"name": name, "anchor": anchor(name), "items": items, "code": code, "block": block})
        })
        .collect()
}

/// HTML escaping for text and attribute values. Unlike tera's default it leaves `/` alone, so
/// URLs stay readable in the output (escaping `/` adds nothing in HTML contexts).
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
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
