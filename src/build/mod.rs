//! The pipeline: load and check the definitions, then render, index, export and write.
//!
//! Two modes ([`Mode`]): a one-off build streams every file into a staging folder beside
//! `--out` and swaps it in atomically ([`output`]); the dev server renders into memory and
//! keeps what a rebuild can reuse ([`SiteCache`]).

mod assets;
pub mod baseline;
pub mod clock;
pub mod git;
pub mod output;
mod site;

pub use site::{downloads, render_site, search_outputs, split_base_url, Rendered, SiteCache};

use crate::load::{Loader, Warnings};
use crate::model::diagnostics::Diagnostics;
use crate::model::layout;
use crate::render::RenderError;
use crate::search;
use output::Staging;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which kind of build this is; it decides what is kept and where pages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `metricdict build`: render everything once, stream it to disk, remember nothing.
    OneOff,
    /// `metricdict serve`: render into memory, reuse what did not change, make downloads and
    /// search on request.
    DevServer,
}

/// How long each stage of a build took (printed by `build --verbose`, used when profiling).
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, std::time::Duration)>);

impl Timings {
    fn lap(&mut self, stage: &'static str, since: &mut std::time::Instant) {
        let now = std::time::Instant::now();
        self.0.push((stage, now - *since));
        *since = now;
    }
}

/// What `build` needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    pub definitions: Vec<PathBuf>,
    pub out: PathBuf,
    /// `/`, `/sub/path/` or `https://host/sub/path/`.
    pub base_url: String,
    /// `None`: GitLab's repository when the definitions are laid out like GitLab, else no links.
    pub repo_url: Option<String>,
    pub title: String,
    pub templates: Option<PathBuf>,
    pub static_dir: Option<PathBuf>,
    /// Warehouse query templates for definition pages; `None`: GitLab's when the definitions
    /// are laid out like GitLab's, else none.
    pub queries: Option<crate::model::queries::QueryTemplates>,
    /// Fixed build time (the dev server keeps one for its whole run); `None`: now.
    pub build_time: Option<String>,
    /// Compare with this baseline on `/changes/` (and `changes.json`, `changes.csv`).
    pub baseline: Option<baseline::Baseline>,
    /// Give warnings their line and column, or only count them (errors are always placed):
    /// finding positions takes a second parse of each file.
    pub warnings: Warnings,
    /// The process ends after this build (the command line): leave the memory to the OS.
    pub exit_after: bool,
}

/// Why a build did not produce a site.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The definitions have errors (exit code 1).
    #[error("the definitions have {} errors", .0.errors())]
    Invalid(Diagnostics),
    /// `--out` names a folder whose replacement would lose data.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Render(#[from] RenderError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Baseline(#[from] baseline::BaselineError),
    #[error("search index: {0}")]
    Search(#[from] tantivy::TantivyError),
}

impl BuildError {
    /// An I/O error about `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> BuildError {
        BuildError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

impl From<crate::render::TemplateError> for BuildError {
    fn from(e: crate::render::TemplateError) -> BuildError {
        BuildError::Render(RenderError::Template(e))
    }
}

/// A finished build.
#[derive(Debug)]
pub struct Report {
    pub diagnostics: Diagnostics,
    pub pages: usize,
    pub files: usize,
    pub metrics: usize,
    pub events: usize,
    pub out: PathBuf,
    pub timings: Timings,
    pub written: output::WriteStats,
}

/// Take the lock of builds into `out`, saying so when another build holds it.
fn lock(out: &Path, progress: &dyn Fn(&str)) -> Result<output::BuildLock, BuildError> {
    let waiting = |lock: &Path| {
        progress(&format!(
            "waiting for another metricdict build into {} to finish (lock: {})",
            out.display(),
            lock.display()
        ))
    };
    output::lock(out, &waiting).map_err(|e| BuildError::io(output::lock_path(out), e))
}

/// The search index, written where `metricdict search` reads it, and the static shards
/// exported from it.
fn search_files(
    catalog: &crate::model::catalog::Catalog,
    staging: &Staging,
) -> Result<search::ShardFiles, BuildError> {
    let dir = staging.path().join(layout::SEARCH_INDEX_DIR);
    let index = search::write_index(catalog, &dir)?;
    let synonyms = search::synonyms_of(catalog);
    let (_, shards) = search::export_shards(&index, catalog.metrics.len(), &synonyms)?;
    Ok(shards)
}

/// Write what was not streamed while rendering: assets and the search shards.
fn write_rest(
    staging: &Staging,
    rendered: &Rendered,
    shards: &search::ShardFiles,
) -> Result<output::WriteStats, BuildError> {
    let assets = rendered.files[rendered.pages..]
        .iter()
        .map(|f| (f.path.as_str(), &*f.content));
    let mut written = staging
        .write_all(assets)
        .map_err(|e| BuildError::io(staging.path(), e))?;
    let shard_stats = staging
        .write_all(shards.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
        .map_err(|e| BuildError::io(staging.path(), e))?;
    written.written += shard_stats.written;
    written.unchanged += shard_stats.unchanged;
    Ok(written)
}

/// Build the site into `opts.out`, atomically. With any error in the definitions nothing is
/// written and the previous site stays as it was.
pub fn build(opts: &Options) -> Result<Report, BuildError> {
    build_with_progress(opts, &|_| {})
}

/// [`build`], reporting each stage as it starts (`progress` gets a short description).
pub fn build_with_progress(opts: &Options, progress: &dyn Fn(&str)) -> Result<Report, BuildError> {
    let out = output::check_out_dir(&opts.out, &opts.definitions)
        .map_err(|r| BuildError::Refused(r.0))?;
    let _lock = lock(&out, progress)?;
    let mut t = std::time::Instant::now();
    progress("reading and checking definitions");
    let (mut loaded, cache) = rayon::join(
        || Loader::single_use(opts.warnings).load(&opts.definitions).0,
        || SiteCache::one_off(opts),
    );
    if loaded.diagnostics.has_errors() {
        return Err(BuildError::Invalid(loaded.diagnostics));
    }
    let mut cache = cache?;
    // The parsed files (sources, positions) are only needed for diagnostics, which are made.
    loaded.documents = Vec::new();
    let mut timings = Timings::default();
    timings.lap("load and check", &mut t);
    let staging = Staging::create(&out).map_err(|e| BuildError::io(&out, e))?;
    progress(&format!(
        "rendering and writing {} metrics and {} events",
        loaded.catalog.metrics.len(),
        loaded.catalog.events.len()
    ));
    // Pages go to disk as they are rendered: the site is never held in memory whole, and
    // writing overlaps rendering.
    let linked = AtomicUsize::new(0);
    let sunk = AtomicUsize::new(0);
    let sink = |path: &str, content: &[u8]| -> std::io::Result<()> {
        if staging.write(path, content)? {
            linked.fetch_add(1, Ordering::Relaxed);
        }
        sunk.fetch_add(1, Ordering::Relaxed);
        Ok(())
    };
    // The search index is built beside the rendering: tantivy indexes on one thread, which
    // would otherwise leave a core idle at the end of the build.
    let (rendered, shards) = rayon::join(
        || render_site(&loaded, opts, &mut cache, Some(&sink)),
        || {
            let t = std::time::Instant::now();
            search_files(&loaded.catalog, &staging).map(|s| (s, t.elapsed()))
        },
    );
    let rendered = rendered?;
    let (shards, search_time) = shards?;
    timings.0.extend(rendered.timings.0.iter().cloned());
    timings.0.push(("search alongside render", search_time));
    t = std::time::Instant::now();
    progress(&format!(
        "writing {} assets",
        rendered.files.len() - rendered.pages
    ));
    let mut written = write_rest(&staging, &rendered, &shards)?;
    let (sunk, linked) = (sunk.into_inner(), linked.into_inner());
    written.written += sunk - linked;
    written.unchanged += linked;
    let files = written.written + written.unchanged;
    timings.lap("write files and search shards", &mut t);
    staging.commit().map_err(|e| BuildError::io(&out, e))?;
    timings.lap("swap in", &mut t);
    let report = Report {
        pages: rendered.pages,
        files,
        metrics: loaded.catalog.metrics.len(),
        events: loaded.catalog.events.len(),
        diagnostics: loaded.diagnostics,
        out,
        timings,
        written,
    };
    if opts.exit_after {
        // Millions of small allocations: freeing them one by one is a second of a 100k build,
        // spent on one core after the work is done. The OS takes them back at exit.
        std::mem::forget((loaded.catalog, rendered, shards, cache));
    }
    Ok(report)
}
