//! `metricdict serve`: the site rebuilt in memory as its sources change ([`LiveSite`]), served
//! over HTTP ([`http`]) with a reload script and an error overlay injected into every page
//! ([`live`]), rebuilt on every change the watcher reports ([`watch`]).
//!
//! A bad edit never takes the site down: the last good build stays served and the problems
//! are shown on top of it until the file is fixed.

pub mod guard;
pub mod http;
mod live;
mod watch;

pub use http::LiveServer;
pub use watch::{is_editor_temp, watch, ConfigFile};

use crate::build::{self, Options, SiteCache};
use crate::load::Loader;
use crate::model::catalog::Catalog;
use crate::model::diagnostics::Severity;
use crate::model::site::{Page, SiteInfo};
use crate::search;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// The dev server's view of the site: the last good build in memory, the current problems
/// (shown as an overlay on every page), and a generation number the browser polls.
#[derive(Default)]
pub struct State {
    pub files: HashMap<String, Arc<[u8]>>,
    pub generation: u64,
    /// Problems of the latest rebuild; the site served is the last good one.
    pub problems: Option<Vec<String>>,
    /// What downloads, sitemap and search are made from, on first request after a rebuild
    /// (so a rebuild, and the reload after it, does not wait for them).
    pub on_demand: Option<Arc<OnDemand>>,
}

/// State shared between the rebuilding thread and the HTTP workers.
pub type Shared = Arc<(Mutex<State>, std::sync::Condvar)>;

/// The search engine and its shards, and the fingerprint of the text they were made from.
type SearchCache = Arc<Mutex<Option<(u64, Arc<search::Engine>, Vec<Page>)>>>;

/// The outputs the dev server makes when first asked for (downloads, sitemap, search), their
/// inputs, and the outputs once made.
pub struct OnDemand {
    catalog: Catalog,
    site: SiteInfo,
    origin: String,
    paths: Vec<String>,
    /// Shared across rebuilds: the index is rebuilt only when the searchable text changed.
    search_cache: SearchCache,
    downloads: OnceLock<HashMap<String, Arc<[u8]>>>,
    search: OnceLock<Search>,
}

/// The search engine for `/api/search` and the static shards exported from its index.
#[derive(Default)]
pub struct Search {
    pub engine: Option<Arc<search::Engine>>,
    pub shards: HashMap<String, Arc<[u8]>>,
}

impl OnDemand {
    /// Downloads and sitemap, made on first use (concurrent callers wait for the one making
    /// them).
    pub fn downloads(&self) -> &HashMap<String, Arc<[u8]>> {
        self.downloads.get_or_init(|| {
            let downloads = build::downloads(&self.catalog, &self.site, &self.origin, &self.paths);
            downloads.into_iter().map(|p| (p.path, p.content)).collect()
        })
    }

    /// The search index and shards, made on first use.
    pub fn search(&self) -> &Search {
        self.search.get_or_init(|| {
            let Some((engine, shards)) = self.engine_and_shards() else {
                return Search::default();
            };
            Search {
                engine: Some(engine),
                shards: shards.into_iter().map(|p| (p.path, p.content)).collect(),
            }
        })
    }

    /// The engine and shards: the previous ones while the searchable text is unchanged.
    fn engine_and_shards(&self) -> Option<(Arc<search::Engine>, Vec<Page>)> {
        let fingerprint = search::fingerprint(&self.catalog);
        let mut cached = self.search_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((f, engine, shards)) = cached.as_ref() {
            if *f == fingerprint {
                return Some((engine.clone(), shards.clone()));
            }
        }
        let (engine, shards) = build::search_outputs(&self.catalog).ok()?;
        let engine = Arc::new(engine);
        *cached = Some((fingerprint, engine.clone(), shards.clone()));
        Some((engine, shards))
    }
}

/// Spell the source folders as the watcher reports changes in them: absolute and with links
/// resolved. A tree given relatively (`definitions/`, the default) was otherwise known by one
/// spelling and reported by another, and in-place saves were never re-read.
fn absolute_sources(opts: &mut Options) {
    let resolve = |p: &mut PathBuf| {
        if let Ok(c) = p.canonicalize() {
            *p = c;
        }
    };
    opts.definitions.iter_mut().for_each(resolve);
    opts.templates.iter_mut().for_each(resolve);
    opts.static_dir.iter_mut().for_each(resolve);
}

/// What one rebuild did, for logs, tests and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rebuild {
    /// Definition files parsed (not reused).
    pub parsed: usize,
    pub rendered: usize,
    pub reused: usize,
    pub ok: bool,
    pub elapsed: std::time::Duration,
}

/// A site rebuilt in memory as its sources change.
pub struct LiveSite {
    opts: Options,
    loader: Loader,
    cache: SiteCache,
    search_cache: SearchCache,
    shared: Shared,
}

impl LiveSite {
    pub fn new(mut opts: Options) -> LiveSite {
        opts.build_time.get_or_insert_with(build::clock::rfc3339);
        absolute_sources(&mut opts);
        LiveSite {
            opts,
            loader: Loader::for_dev_server(),
            cache: SiteCache::dev_server(),
            search_cache: Default::default(),
            shared: Arc::new(Default::default()),
        }
    }

    pub fn shared(&self) -> Shared {
        self.shared.clone()
    }

    /// Use new options (the configuration changed): everything is read and rendered again at
    /// the next rebuild. The build time stays the one the server started with.
    pub fn reconfigure(&mut self, mut opts: Options) {
        opts.build_time = self.opts.build_time.clone();
        absolute_sources(&mut opts);
        self.opts = opts;
        self.loader = Loader::for_dev_server();
        self.cache = SiteCache::dev_server();
    }

    /// Forget what `changed` paths invalidate: a template (every page), a schema (every
    /// file), or one definition.
    fn invalidate(&mut self, changed: &[PathBuf]) {
        for p in changed {
            let under = |d: &Option<PathBuf>| {
                d.as_ref().is_some_and(|d| {
                    p.starts_with(d)
                        || p.canonicalize()
                            .is_ok_and(|c| d.canonicalize().is_ok_and(|d| c.starts_with(d)))
                })
            };
            if under(&self.opts.templates) {
                self.cache.templates_changed();
            } else if p.extension().is_some_and(|e| e == "json") {
                self.loader.invalidate_all(); // a schema changed
            } else {
                self.loader.invalidate(p);
            }
        }
    }

    /// Rebuild after `changed` paths changed on disk (empty: first build). Only changed
    /// definitions are re-read and only pages whose inputs changed are re-rendered; a template
    /// change re-renders everything. On failure the last good site stays and the problems are
    /// published for the overlay.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Rebuild {
        let started = std::time::Instant::now();
        self.invalidate(changed);
        let (loaded, parsed) = self.loader.reload(&self.opts.definitions, changed);
        let load_time = started.elapsed();
        let mut report = Rebuild {
            parsed,
            ..Default::default()
        };
        let problems: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                let snippet = d.snippet.as_ref().map(|s| format!("\n    {s}"));
                format!(
                    "{}: {}{}",
                    d.location(),
                    d.message,
                    snippet.unwrap_or_default()
                )
            })
            .collect();
        let problems = if !problems.is_empty() {
            problems
        } else {
            match build::render_site(&loaded, &self.opts, &mut self.cache, None) {
                Err(e) => vec![e.to_string()],
                Ok(r) => {
                    if std::env::var_os("METRICDICT_TIMINGS").is_some() {
                        let stages: Vec<String> = r
                            .timings
                            .0
                            .iter()
                            .map(|(s, d)| format!("{s} {:.1} ms", d.as_secs_f64() * 1e3))
                            .collect();
                        let load = load_time.as_secs_f64() * 1e3;
                        eprintln!("rebuild: load {load:.1} ms, {}", stages.join(", "));
                    }
                    report.rendered = r.stats.rendered;
                    report.reused = r.stats.reused;
                    report.ok = true;
                    self.publish(loaded.catalog, r);
                    Vec::new()
                }
            }
        };
        if !problems.is_empty() {
            let (lock, cvar) = &*self.shared;
            let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
            st.problems = Some(problems);
            st.generation += 1;
            cvar.notify_all();
        }
        report.elapsed = started.elapsed();
        report
    }

    /// Serve a good build from now on, and tell waiting browsers.
    fn publish(&self, catalog: Catalog, r: build::Rendered) {
        let paths: Vec<String> = r.files.iter().map(|p| p.path.clone()).collect();
        let files = r.files.into_iter().map(|p| (p.path, p.content)).collect();
        let on_demand = Arc::new(OnDemand {
            catalog,
            site: r.site,
            origin: r.origin,
            paths,
            search_cache: self.search_cache.clone(),
            downloads: Default::default(),
            search: Default::default(),
        });
        let (lock, cvar) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
        st.files = files;
        st.on_demand = Some(on_demand);
        st.problems = None;
        st.generation += 1;
        cvar.notify_all();
    }

    /// Folders to watch: definitions, templates, static assets.
    pub fn watched(&self) -> Vec<PathBuf> {
        let mut v = self.opts.definitions.clone();
        v.extend(self.opts.templates.clone());
        v.extend(self.opts.static_dir.clone());
        v.into_iter().filter(|p| p.exists()).collect()
    }
}
