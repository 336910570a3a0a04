//! Which pages a site has, each as a [`Job`]: template, context (or how to build it), output
//! path, cache key and the tables spliced into it. Pages of unchanged definitions are found
//! in the cache by a key computed from what they show, without building their context.

use super::cache::{ctx_hash, key_of, links_key, RenderCache};
use super::pages::filter_facets;
use super::rows::{RowKind, Rows, Table, ROWS_MARKER};
use super::{job, Body, Job, Renderer};
use crate::model::catalog::{param, short_hash, Catalog, DefinitionKind, FacetValue};
use crate::model::layout;
use crate::model::order::LEGACY_TIERS;
use crate::model::version;
use crate::text::thousands;
use rayon::prelude::*;

/// The cache as the job list consults it: which pages can be reused, and keys that cost
/// nothing when the cache is off.
struct Reuse<'a>(&'a RenderCache);

impl Reuse<'_> {
    /// A page's key, computed only when the cache keeps anything.
    fn key(&self, f: &dyn Fn() -> u64) -> u64 {
        if self.0.is_off() {
            0
        } else {
            f()
        }
    }

    /// `body`, or [`Body::Cached`] when the page's inputs are unchanged.
    fn body(&self, path: &str, key: u64, body: Body) -> Body {
        if self.0.has_page(path, key) {
            Body::Cached
        } else {
            body
        }
    }
}

impl Renderer {
    /// Every page of the site, as jobs.
    pub(super) fn jobs(&self, catalog: &Catalog, cache: &RenderCache, rows: &Rows) -> Vec<Job> {
        let reuse = Reuse(cache);
        let mut jobs = self.table_jobs(catalog, &reuse, rows);
        jobs.extend(self.definition_jobs(catalog, &reuse));
        jobs.extend(self.browse_jobs(catalog, &reuse, rows));
        jobs.push(self.identifiers_page(catalog));
        jobs.push(self.privacy_page(catalog));
        jobs.push(self.versions_page(catalog));
        // The payload check runs in the browser against metrics.json, found relative to it.
        let mut ctx = self.context("payload", "Check a payload");
        ctx.insert("metrics_json", layout::METRICS_JSON);
        jobs.push(job("payload.html", ctx, layout::page_file(layout::PAYLOAD)));
        let mut ctx = self.context("downloads", "Downloads");
        ctx.insert("files", &layout::DOWNLOADS);
        ctx.insert("queries_json", layout::QUERIES_JSON);
        ctx.insert("changes", layout::CHANGES);
        jobs.push(job(
            "downloads.html",
            ctx,
            layout::page_file(layout::DOWNLOADS_PAGE),
        ));
        let ctx = self.context("", "Page not found");
        jobs.push(job("404.html", ctx, layout::NOT_FOUND_FILE.to_string()));
        jobs
    }

    /// The metrics table (the home page) and the events table.
    fn table_jobs(&self, catalog: &Catalog, reuse: &Reuse, rows: &Rows) -> Vec<Job> {
        let tables = [
            (
                RowKind::Metric,
                "index.html",
                layout::HOME,
                "metrics",
                "Metrics",
            ),
            (
                RowKind::Event,
                "events.html",
                layout::EVENTS,
                "events",
                "Events",
            ),
        ];
        tables
            .into_iter()
            .map(|(kind, template, url, nav, title)| {
                let facet_kind = match kind {
                    RowKind::Metric | RowKind::MetricItem => DefinitionKind::Metric,
                    RowKind::Event | RowKind::EventItem => DefinitionKind::Event,
                };
                let all: Vec<usize> = (0..rows.len(kind)).collect();
                let removed = rows.removed(kind, &all);
                // The page carries the first rows; the table draws the rest from its data.
                let first = rows.first_rows(kind);
                let mut ctx = self.context(nav, title);
                ctx.insert("facets", &filter_facets(catalog, facet_kind));
                ctx.insert("total", &all.len());
                ctx.insert("removed_count", &removed);
                let table = self.table_context(catalog, kind, all.len() - removed, first.len());
                ctx.insert("versions", &table["versions"]);
                ctx.insert("rows", ROWS_MARKER[kind as usize]);
                ctx.insert_value("table", table);
                let tables = vec![Table { kind, rows: first }];
                let key = reuse.key(&|| key_of(&(ctx_hash(template, &ctx), rows.key(&tables))));
                let path = layout::page_file(url);
                Job {
                    template,
                    body: reuse.body(&path, key, Body::Ready(ctx)),
                    path,
                    key: Some(key),
                    tables,
                }
            })
            .collect()
    }

    /// What a table page's macros need besides its rows (`table` in docs/template-context.md).
    fn table_context(
        &self,
        catalog: &Catalog,
        kind: RowKind,
        active: usize,
        first: usize,
    ) -> serde_json::Value {
        let (facet_kind, csv, json, queries) = match kind {
            RowKind::Metric | RowKind::MetricItem => (
                DefinitionKind::Metric,
                layout::METRICS_CSV,
                layout::METRICS_JSON,
                !self.queries.metric.is_empty(),
            ),
            RowKind::Event | RowKind::EventItem => (
                DefinitionKind::Event,
                layout::EVENTS_CSV,
                layout::EVENTS_JSON,
                !self.queries.event.is_empty() || !self.queries.legacy_event.is_empty(),
            ),
        };
        // The version picker's choices, newest first, ordered here so no script sorts them.
        let versions: Vec<String> = version::versions(catalog)
            .iter()
            .map(|v| v.to_string())
            .collect();
        serde_json::json!({
            "active": active,
            "active_text": thousands(active),
            "first": first,
            "versions": versions,
            // Rows get "Copy query" where templates exist for their kind.
            "queries": queries.then_some(layout::QUERIES_JSON),
            "data": layout::TABLE_DATA[kind as usize],
            "csv": csv,
            "json": json,
            // A new build's table data is never taken from a cache of the last one.
            "version": short_hash(&format!("{}{:?}", self.site.build_time, self.site.commit)),
            "browse": browse_links(catalog, facet_kind),
        })
    }

    /// A page per metric and per event; their contexts are built when they render.
    fn definition_jobs(&self, catalog: &Catalog, reuse: &Reuse) -> Vec<Job> {
        // Definition pages link browse pages by their page names; one fingerprint of those
        // names stands in for looking up each page's links.
        let site_key = key_of(&(self.site_key(), links_key(catalog)));
        let page_job = |template: &'static str, path: String, key: u64, body: Body| Job {
            template,
            body: reuse.body(&path, key, body),
            path,
            key: Some(key),
            tables: Vec::new(),
        };
        let metrics = (0..catalog.metrics.len()).into_par_iter().map(|i| {
            let path = layout::page_file(&layout::metric_url(&catalog.metric_slugs[i]));
            let key = reuse.key(&|| self.metric_key(catalog, i, site_key));
            page_job("metric.html", path, key, Body::Metric(i))
        });
        let events = (0..catalog.events.len()).into_par_iter().map(|i| {
            let path = layout::page_file(&layout::event_url(&catalog.event_slugs[i]));
            let key = reuse.key(&|| self.event_key(catalog, i, site_key));
            page_job("event.html", path, key, Body::Event(i))
        });
        let mut jobs: Vec<Job> = metrics.collect();
        jobs.par_extend(events);
        jobs
    }

    /// The browse pages: each facet's index and a page per value.
    fn browse_jobs(&self, catalog: &Catalog, reuse: &Reuse, rows: &Rows) -> Vec<Job> {
        let mut jobs = Vec::new();
        for facet in catalog.facets.iter().filter(|f| f.path.is_some()) {
            jobs.push(self.facet_index(facet));
            let legacy = match facet.param {
                param::TIER => legacy_tier_values(catalog),
                _ => Vec::new(),
            };
            for (value, fv) in facet
                .values
                .iter()
                .chain(legacy.iter().map(|(v, fv)| (v, fv)))
            {
                let mut job = self.facet_page(catalog, facet, value, fv, rows);
                let Body::Ready(ctx) = &job.body else {
                    unreachable!("fresh job")
                };
                let key =
                    reuse.key(&|| key_of(&(ctx_hash(job.template, ctx), rows.key(&job.tables))));
                if reuse.0.has_page(&job.path, key) {
                    job.body = Body::Cached;
                }
                job.key = Some(key);
                jobs.push(job);
            }
        }
        jobs
    }
}

/// The browse pages that answer a table's filters without JavaScript: label and URL.
fn browse_links(catalog: &Catalog, kind: DefinitionKind) -> Vec<serde_json::Value> {
    catalog
        .facets_for(kind)
        .filter_map(|f| {
            let path = f.path?;
            Some(serde_json::json!({"label": f.label.to_lowercase(), "url": layout::facet_url(path)}))
        })
        .collect()
}

/// A page for each legacy tier name a definition declares (`/tiers/silver/`): round one
/// published them and reviewers cite them, though the tier facet counts today's tiers.
fn legacy_tier_values(catalog: &Catalog) -> Vec<(String, FacetValue)> {
    let declares =
        |tiers: &[String], name: &str| tiers.iter().any(|t| t.eq_ignore_ascii_case(name));
    LEGACY_TIERS
        .iter()
        .map(|(name, _)| {
            let fv = FacetValue {
                metrics: (0..catalog.metrics.len())
                    .filter(|&i| declares(&catalog.metrics[i].tiers, name))
                    .collect(),
                events: (0..catalog.events.len())
                    .filter(|&i| declares(&catalog.events[i].tiers, name))
                    .collect(),
                slug: name.to_string(),
            };
            (name.to_string(), fv)
        })
        .filter(|(_, fv)| !fv.metrics.is_empty() || !fv.events.is_empty())
        .collect()
}
