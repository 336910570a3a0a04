//! One pass of the pipeline over loaded definitions: site facts, assets, pages, downloads and
//! the comparison with a baseline. A one-off build streams pages to disk as they render; the
//! dev server keeps them in memory and makes downloads and search on request.

use super::assets::assets;
use super::baseline;
use super::{git, BuildError, Mode, Options, Timings};
use crate::export;
use crate::load::discover::is_gitlab_layout;
use crate::load::Loaded;
use crate::model::catalog::{Catalog, DefinitionKind};
use crate::model::layout;
use crate::model::queries::QueryTemplates;
use crate::model::site::{Page, SiteInfo};
use crate::render::{self, load_templates, RenderCache, RenderStats, Renderer, Sink, Templates};
use crate::search;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// GitLab's repository, for "view source" links when the definitions are laid out like it.
pub const GITLAB_REPO_URL: &str = "https://gitlab.com/gitlab-org/gitlab/-/blob/master/";

/// What one build remembers for the next: nothing for a one-off build; for the dev server,
/// rendered pages and rows, compiled templates and the commit.
pub struct SiteCache {
    mode: Mode,
    pub render: RenderCache,
    /// Compiled templates and the folder they came from; reused until a template changes.
    templates: Option<(Option<PathBuf>, Arc<Templates>)>,
    /// The definitions' git commit, looked up once.
    commit: Option<Option<String>>,
}

impl SiteCache {
    /// A cache for one build of `opts`, with the templates compiled and the commit looked up
    /// already: a one-off build does this while the definitions load.
    pub fn one_off(opts: &Options) -> Result<SiteCache, BuildError> {
        let tera = load_templates(opts.templates.as_deref())?;
        Ok(SiteCache {
            mode: Mode::OneOff,
            render: RenderCache::off(),
            templates: Some((opts.templates.clone(), tera)),
            commit: Some(opts.definitions.first().and_then(|d| git::head_commit(d))),
        })
    }

    /// The dev server's cache, kept across rebuilds.
    pub fn dev_server() -> SiteCache {
        SiteCache {
            mode: Mode::DevServer,
            render: RenderCache::default(),
            templates: None,
            commit: None,
        }
    }

    /// Forget rendered pages and compiled templates (a template changed).
    pub fn templates_changed(&mut self) {
        self.render.clear();
        self.templates = None;
    }

    fn templates(&mut self, opts: &Options) -> Result<Arc<Templates>, BuildError> {
        match &self.templates {
            Some((dir, tera)) if *dir == opts.templates => Ok(tera.clone()),
            _ => {
                let tera = load_templates(opts.templates.as_deref())?;
                self.templates = Some((opts.templates.clone(), tera.clone()));
                Ok(tera)
            }
        }
    }

    fn commit(&mut self, opts: &Options) -> Option<String> {
        self.commit
            .get_or_insert_with(|| opts.definitions.first().and_then(|d| git::head_commit(d)))
            .clone()
    }
}

/// Split `https://host/path/` into (`https://host`, `/path/`); a bare path has no origin.
pub fn split_base_url(base_url: &str) -> (String, String) {
    let (origin, path) = match base_url.find("://") {
        Some(i) => {
            let rest = &base_url[i + 3..];
            let slash = rest.find('/').map_or(base_url.len(), |j| i + 3 + j);
            (base_url[..slash].to_string(), base_url[slash..].to_string())
        }
        None => (String::new(), base_url.to_string()),
    };
    let path = path.trim().trim_matches('/');
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        format!("/{path}/")
    };
    (origin, path)
}

/// The facts every page shows.
fn site_info(opts: &Options, catalog: &Catalog, commit: Option<String>) -> SiteInfo {
    let (_, base) = split_base_url(&opts.base_url);
    let gitlab_layout = opts.definitions.iter().all(|d| is_gitlab_layout(d));
    let repo_url = match &opts.repo_url {
        Some(u) if u.is_empty() => None,
        Some(u) if u.ends_with('/') => Some(u.clone()),
        Some(u) => Some(format!("{u}/")),
        None => gitlab_layout.then(|| GITLAB_REPO_URL.to_string()),
    };
    SiteInfo {
        title: opts.title.clone(),
        base,
        build_time: opts
            .build_time
            .clone()
            .unwrap_or_else(super::clock::rfc3339),
        commit_short: commit.as_ref().map(|c| c[..c.len().min(10)].to_string()),
        commit,
        repo_url,
        metric_count: catalog.metrics.len(),
        event_count: catalog.events.len(),
    }
}

/// Everything a site consists of, in memory, before it is written (a one-off build has
/// streamed its pages already: they are listed by path only).
pub struct Rendered {
    pub files: Vec<Page>,
    /// HTML pages among `files`.
    pub pages: usize,
    pub stats: RenderStats,
    pub site: SiteInfo,
    /// `https://host` of the base URL, for the sitemap; empty for a bare path.
    pub origin: String,
    pub timings: Timings,
}

/// Render the site's pages, the comparison with a baseline and the assets. A one-off build
/// (which must pass a `sink`) streams pages to it and writes the data downloads and the
/// sitemap while the pages render; the dev server leaves downloads and search to be made on
/// request ([`downloads`], [`search_outputs`]), so a rebuild does not wait for them.
pub fn render_site(
    loaded: &Loaded,
    opts: &Options,
    cache: &mut SiteCache,
    sink: Option<Sink>,
) -> Result<Rendered, BuildError> {
    let mut timings = Timings::default();
    let mut t = std::time::Instant::now();
    let (origin, _) = split_base_url(&opts.base_url);
    let commit = cache.commit(opts);
    let site = site_info(opts, &loaded.catalog, commit);
    let assets = assets(opts.static_dir.as_deref(), cache.mode)?;
    let queries = opts.queries.clone().unwrap_or_else(|| {
        let gitlab = opts.definitions.iter().all(|d| is_gitlab_layout(d));
        if gitlab {
            QueryTemplates::gitlab()
        } else {
            QueryTemplates::default()
        }
    });
    let renderer = Renderer::new(cache.templates(opts)?, site.clone(), assets.links)
        .with_queries(queries.clone());
    timings.lap("templates", &mut t);
    let catalog = &loaded.catalog;
    let (mut files, stats) = match (cache.mode, sink) {
        // The downloads (the largest files) are written while the pages render, so neither
        // leaves a core idle at its end.
        (Mode::OneOff, Some(sink)) => {
            let (rendered, data) = rayon::join(
                || renderer.render_all(catalog, &mut cache.render, Some(sink)),
                || data_downloads_each(catalog, &site, &|p| sink(&p.path, &p.content)),
            );
            data.map_err(|e| BuildError::io(PathBuf::from("downloads"), e))?;
            rendered?
        }
        (Mode::OneOff, None) => panic!("a one-off build streams its pages to a sink"),
        (Mode::DevServer, _) => renderer.render_all(catalog, &mut cache.render, None)?,
    };
    timings.lap("render pages and downloads", &mut t);
    let pages = files.len();
    // /changes/: always present, so the navigation never leads nowhere.
    let changes = match &opts.baseline {
        Some(b) => Some(baseline::changes_since(
            b,
            catalog,
            &site,
            &opts.definitions,
        )?),
        None => None,
    };
    files.push(renderer.changes_page(changes.as_ref())?);
    files.push(export::queries_json(&queries, &site));
    if let Some(ch) = &changes {
        files.extend(export::changes(ch, &site));
    }
    if let (Mode::OneOff, Some(sink)) = (cache.mode, sink) {
        // The sitemap needs every page's path. The search index is built by the caller,
        // in the output folder.
        let paths: Vec<String> = files.iter().map(|p| p.path.clone()).collect();
        for map in sitemap(&site, &origin, &paths) {
            sink(&map.path, &map.content).map_err(|e| BuildError::io(&map.path, e))?;
        }
        timings.lap("sitemap", &mut t);
    }
    for (name, body) in assets.files {
        files.push(Page {
            path: format!("{}/{name}", layout::STATIC_DIR),
            content: body.into(),
        });
    }
    Ok(Rendered {
        files,
        pages,
        stats,
        site,
        origin,
        timings,
    })
}

/// The downloads (JSON, CSV) and the sitemap for the given page paths.
pub fn downloads(c: &Catalog, site: &SiteInfo, origin: &str, paths: &[String]) -> Vec<Page> {
    let all = std::sync::Mutex::new(sitemap(site, origin, paths));
    let _ = data_downloads_each(c, site, &|page| {
        all.lock().expect("not poisoned").push(page);
        Ok(())
    });
    let mut all = all.into_inner().expect("not poisoned");
    all.sort_by(|a, b| a.path.cmp(&b.path));
    all
}

/// `sitemap.xml` (and its parts on a large site): every HTML page but the 404 page.
fn sitemap(site: &SiteInfo, origin: &str, paths: &[String]) -> Vec<Page> {
    let html: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| p.ends_with(".html") && *p != layout::NOT_FOUND_FILE)
        .collect();
    export::sitemap(origin, &site.base, &html)
        .into_iter()
        .map(|(path, content)| Page {
            path,
            content: content.into(),
        })
        .collect()
}

/// Make the JSON and CSV downloads in parallel, handing each to `each` when it is done.
fn data_downloads_each(
    c: &Catalog,
    site: &SiteInfo,
    each: &(dyn Fn(Page) -> std::io::Result<()> + Sync),
) -> std::io::Result<()> {
    type Make<'a> = Box<dyn Fn() -> Vec<u8> + Send + Sync + 'a>;
    let makers: [(&str, Make); 6] = [
        (
            layout::METRICS_JSON,
            Box::new(|| export::metrics_json(c, site)),
        ),
        (
            layout::EVENTS_JSON,
            Box::new(|| export::events_json(c, site)),
        ),
        (
            layout::METRICS_CSV,
            Box::new(|| export::metrics_csv(c, site)),
        ),
        (layout::EVENTS_CSV, Box::new(|| export::events_csv(c, site))),
        (
            layout::TABLE_DATA_METRICS,
            Box::new(|| render::table_data(c, DefinitionKind::Metric)),
        ),
        (
            layout::TABLE_DATA_EVENTS,
            Box::new(|| render::table_data(c, DefinitionKind::Event)),
        ),
    ];
    makers.par_iter().try_for_each(|(path, make)| {
        each(Page {
            path: path.to_string(),
            content: make().into(),
        })
    })
}

/// The search engine and its static shards, made in memory (the dev server).
pub fn search_outputs(c: &Catalog) -> Result<(search::Engine, Vec<Page>), BuildError> {
    let index = search::index_in_ram(c)?;
    let synonyms = search::synonyms_of(c);
    let (_, shards) = search::export_shards(&index, c.metrics.len(), &synonyms)?;
    let engine = search::Engine::new(index, c.metrics.len(), &synonyms)?;
    let shards = shards
        .into_iter()
        .map(|(path, body)| Page {
            path,
            content: body.into(),
        })
        .collect();
    Ok((engine, shards))
}
