//! The build pipeline: load and check the definitions, then render, index, export and write.

use crate::catalog::{self, Catalog};
use crate::definition::Definition;
use crate::diagnostics::{Diagnostic, Diagnostics, Position, Severity};
use crate::discover::{self, SourceFile};
use crate::export;
use crate::output::{self, Staging};
use crate::parse::{self, Document};
use crate::render::{Page, RenderCache, RenderStats, Renderer, Sink, SiteInfo};
use crate::schema;
use crate::search;
use crate::validate;
use include_dir::{include_dir, Dir};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static DEFAULT_STATIC: Dir = include_dir!("$CARGO_MANIFEST_DIR/static");

/// GitLab's repository, for "view source" links when the definitions are laid out like it.
pub const GITLAB_REPO_URL: &str = "https://gitlab.com/gitlab-org/gitlab/-/blob/master/";

/// The definitions, checked and catalogued.
pub struct Loaded {
    pub documents: Vec<Arc<Document>>,
    pub catalog: Catalog,
    pub diagnostics: Diagnostics,
}

/// Discover, parse, validate and catalog. Every problem is collected; nothing stops early.
pub fn load(roots: &[PathBuf]) -> Loaded {
    Loader::once(true).load(roots).0
}

/// [`load`] for a caller that shows errors only: warnings are counted and name their file, but
/// not a line (placing them takes a second parse of nearly every file).
pub fn load_counting_warnings(roots: &[PathBuf]) -> Loaded {
    Loader::once(false).load(roots).0
}

/// Whether two paths name the same file (the watcher may report absolute paths for a tree
/// given relatively).
fn same_file(a: &Path, b: &Path) -> bool {
    match (
        a.canonicalize(),
        b.parent().and_then(|p| p.canonicalize().ok()),
    ) {
        (Ok(ca), Some(pb)) => b.file_name().is_some_and(|n| ca == pb.join(n)),
        _ => false,
    }
}

/// How many files are parsed while the schemas compile (about as many as one core parses in
/// that time); they wait, parsed, to be checked against the schemas.
const PARSED_WHILE_SCHEMAS_COMPILE: usize = 2048;

/// A file parsed and checked on its own, not yet against the schemas.
type ParsedFile = (
    PathBuf,
    Option<parse::Stamp>,
    Result<(Document, Diagnostics, Option<Definition>), Box<Diagnostic>>,
);

/// One file's parse and per-file checks, kept between rebuilds.
struct Checked {
    stamp: Option<parse::Stamp>,
    result: Result<(Arc<Document>, Diagnostics, Option<Definition>), Box<Diagnostic>>,
}

/// Loads definitions, re-reading only files that changed since the last load (the dev server
/// keeps one across rebuilds; a plain build uses a fresh one).
#[derive(Default)]
pub struct Loader {
    /// By path, as bytes: `Path`'s own hashing and equality walk components, which made these
    /// lookups a tenth of a dev-server rebuild.
    files: rustc_hash::FxHashMap<std::ffi::OsString, Checked>,
    /// The last folder listing, updated from change notifications instead of re-walking.
    listing: Option<discover::Discovered>,
    schemas: Option<Result<Arc<schema::Schemas>, String>>,
    /// Keep only errors in [`Loaded::diagnostics`]: the dev server shows errors and nothing
    /// else, and copying and sorting thousands of warnings on every keystroke is its largest
    /// cost after the catalog.
    errors_only: bool,
    /// Warnings are counted but not placed (line 0): nothing will show them.
    unplaced_warnings: bool,
    /// Used for one load: results move out instead of being kept for the next.
    once: bool,
    slugs: catalog::SlugMemo,
}

impl Loader {
    /// A loader whose results carry errors only (see `errors_only`).
    pub fn errors_only() -> Loader {
        Loader {
            errors_only: true,
            unplaced_warnings: true,
            ..Default::default()
        }
    }

    fn once(place_warnings: bool) -> Loader {
        Loader {
            unplaced_warnings: !place_warnings,
            once: true,
            ..Default::default()
        }
    }

    /// Forget one file (it changed on disk).
    pub fn invalidate(&mut self, path: &Path) {
        self.files.remove(path.as_os_str());
    }

    /// Forget everything, schemas included.
    pub fn invalidate_all(&mut self) {
        self.files.clear();
        self.schemas = None;
        self.listing = None;
    }

    /// Load the dictionary; also returns how many files were parsed (not reused).
    pub fn load(&mut self, roots: &[PathBuf]) -> (Loaded, usize) {
        self.listing = None;
        self.load_after(roots, &[])
    }

    /// Load after `changed` files changed on disk (the dev server's watcher says which). When
    /// they are all definition files, the previous folder listing is updated instead of walking
    /// the tree again, and unchanged files are trusted without a `stat`.
    pub fn load_after(&mut self, roots: &[PathBuf], changed: &[PathBuf]) -> (Loaded, usize) {
        // Reuse the listing when every change is a file we can place: an existing file, or a
        // deleted one the listing has. Anything else (a folder, a deleted folder) re-walks.
        let listed = |p: &PathBuf| {
            self.listing.as_ref().is_some_and(|l| {
                l.files.iter().any(|f| {
                    f.path.file_name() == p.file_name() && (f.path == *p || same_file(&f.path, p))
                })
            })
        };
        let reuse = self.listing.is_some()
            && changed
                .iter()
                .all(|p| p.is_file() || (!p.exists() && listed(p)));
        // Whether the set of files may have changed (a file added, removed or renamed).
        let mut relisted = !reuse;
        let found = match self.listing.take() {
            Some(mut found) if reuse => {
                for p in changed {
                    // A file edited in place keeps its entry (the common case while typing).
                    if p.is_file() && found.files.iter().any(|f| f.path == *p) {
                        continue;
                    }
                    relisted = true;
                    found.files.retain(|f| {
                        f.path.file_name() != p.file_name()
                            || (f.path != *p && !same_file(&f.path, p))
                    });
                    if let Some(f) = discover::source_file(roots, p) {
                        found.files.push(f);
                    }
                }
                if relisted {
                    found.files.sort();
                    found.files.dedup_by(|a, b| a.path == b.path);
                }
                found
            }
            _ => discover::discover(roots),
        };
        let trust_cache = reuse;
        let mut diagnostics = found.diagnostics.clone();
        let stamp = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        let stale: Vec<&SourceFile> = found
            .files
            .iter()
            .filter(|f| {
                self.files.get(f.path.as_os_str()).is_none_or(|c| {
                    !trust_cache && (c.stamp.is_none() || c.stamp != stamp(&f.path))
                })
            })
            .collect();
        // Compiling the schemas takes a core for about a tenth of a 5k build: it runs while
        // the first files are parsed, which are then checked against them. Only that first
        // batch is held parsed but unchecked (with its fields), so memory stays flat.
        let parse = |f: &&SourceFile| {
            let (st, result) = parse::parse_file(f);
            let result = result.map(|doc| {
                let mut d = Diagnostics::default();
                let def = validate::check_document(&doc, &mut d);
                (doc, d, def)
            });
            (f.path.clone(), st, result)
        };
        let (first, rest) = stale.split_at(stale.len().min(PARSED_WHILE_SCHEMAS_COMPILE));
        let schema_files = &found.schemas;
        let cached_schemas = &mut self.schemas;
        let (schemas, first) = rayon::join(
            || {
                cached_schemas
                    .get_or_insert_with(|| schema::Schemas::load(schema_files).map(Arc::new))
                    .clone()
            },
            || first.par_iter().map(parse).collect::<Vec<_>>(),
        );
        let schemas = match schemas {
            Ok(s) => Some(s),
            Err(e) => {
                let at = found
                    .schemas
                    .metrics_dir
                    .clone()
                    .or(found.schemas.events.clone())
                    .unwrap_or_default();
                diagnostics.push(Diagnostic::error("schema-file", at, Position::default(), e));
                None
            }
        };
        let unplaced_warnings = self.unplaced_warnings;
        let check = |(path, stamp, result): ParsedFile| {
            let result = result.map(|(mut doc, mut d, def)| {
                if let (Some(s), Some(def)) = (&schemas, &def) {
                    s.check(&doc, matches!(def, Definition::Metric(_)), &mut d);
                }
                for one in &mut d.0 {
                    place(unplaced_warnings, &doc, one);
                }
                // Checked: the definition has its own copy of the fields; what stays is
                // what later diagnostics need (path, source, positions).
                doc.fields = serde_json::Map::new();
                (Arc::new(doc), d, def)
            });
            (path, Checked { stamp, result })
        };
        let mut fresh: Vec<(PathBuf, Checked)> = first.into_par_iter().map(check).collect();
        fresh.par_extend(rest.par_iter().map(|f| check(parse(f))));
        let parsed = fresh.len();
        self.files
            .extend(fresh.into_iter().map(|(p, c)| (p.into_os_string(), c)));
        if relisted {
            let present: rustc_hash::FxHashSet<&std::ffi::OsStr> =
                found.files.iter().map(|f| f.path.as_os_str()).collect();
            self.files.retain(|p, _| present.contains(p.as_os_str()));
        }

        let mut documents = Vec::with_capacity(found.files.len());
        let mut pairs: Vec<(Arc<Document>, Definition)> = Vec::new();
        // A one-off load moves each file's results out; the dev server's loader keeps them.
        let mut moved = if self.once {
            std::mem::take(&mut self.files)
        } else {
            Default::default()
        };
        for f in &found.files {
            if self.once {
                let Some(c) = moved.remove(f.path.as_os_str()) else {
                    continue;
                };
                match c.result {
                    Ok((doc, mut d, def)) => {
                        if self.errors_only {
                            d.retain_errors();
                        }
                        diagnostics.extend(d);
                        if let Some(def) = def {
                            pairs.push((doc.clone(), def));
                        }
                        documents.push(doc);
                    }
                    Err(d) => diagnostics.push(*d),
                }
                continue;
            }
            match &self.files[f.path.as_os_str()].result {
                Ok((doc, d, def)) => {
                    documents.push(doc.clone());
                    if self.errors_only {
                        if d.has_errors() {
                            for e in d.iter().filter(|d| d.severity == Severity::Error) {
                                diagnostics.push(e.clone());
                            }
                        }
                    } else {
                        diagnostics.extend(d.clone());
                    }
                    if let Some(def) = def {
                        pairs.push((doc.clone(), def.clone()));
                    }
                }
                Err(d) => diagnostics.push((**d).clone()),
            }
        }
        let refs: Vec<(&Document, &Definition)> =
            pairs.iter().map(|(d, def)| (d.as_ref(), def)).collect();
        // The cross-file rules and the catalog read the same definitions; neither needs the
        // other, so they run side by side (a third of a dev-server rebuild each).
        let defs: Vec<Definition> = pairs.iter().map(|(_, d)| d.clone()).collect();
        let slugs = &mut self.slugs;
        let (mut catalog, (across, register, register_diags)) = rayon::join(
            || catalog::build_with(defs, slugs),
            || {
                let mut across = Diagnostics::default();
                validate::check_cross_file(&refs, &mut across);
                let (register, register_diags) = crate::register::load(roots);
                if !register.identifiers.is_empty() {
                    validate::check_register(&refs, &register, &mut across);
                }
                if !across.is_empty() {
                    let by_path: rustc_hash::FxHashMap<&Path, &Document> = refs
                        .iter()
                        .map(|(d, _)| (d.file.path.as_path(), *d))
                        .collect();
                    for d in &mut across.0 {
                        if let Some(doc) = by_path.get(d.file.as_path()) {
                            place(unplaced_warnings, doc, d);
                        }
                    }
                }
                (across, register, register_diags)
            },
        );
        diagnostics.extend(register_diags);
        diagnostics.extend(across);
        if self.errors_only {
            diagnostics.retain_errors();
        }
        diagnostics.sort();
        catalog.register = register;
        self.listing = Some(found);
        (
            Loaded {
                documents,
                catalog,
                diagnostics,
            },
            parsed,
        )
    }
}

/// Place a diagnostic if it will be shown; otherwise it keeps only its file.
fn place(unplaced_warnings: bool, doc: &Document, d: &mut Diagnostic) {
    if unplaced_warnings && d.severity == Severity::Warning {
        d.unplaced = None;
    } else {
        doc.place(d);
    }
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
    /// Fixed build time (the dev server keeps one for its whole run); `None`: now.
    pub build_time: Option<String>,
    /// Compare with this baseline on `/changes/` (and `changes.json`, `changes.csv`).
    pub baseline: Option<crate::changes::Baseline>,
    /// Give warnings their line and column. Off, they are counted and name only their file
    /// (errors are always placed): finding positions takes a second parse of each file.
    pub place_warnings: bool,
    /// The process ends after this build (the command line): leave the memory to the OS.
    pub exit_after: bool,
}

/// Why a build did not produce a site.
#[derive(Debug)]
pub enum BuildError {
    /// The definitions have errors (exit code 1).
    Invalid(Diagnostics),
    /// Could not run: bad `--out`, template error, I/O (exit code 2).
    Failed(String),
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
    pub written: crate::output::WriteStats,
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
    let mut path = path.trim().trim_matches('/').to_string();
    path = if path.is_empty() {
        "/".to_string()
    } else {
        format!("/{path}/")
    };
    (origin, path)
}

/// Build time as RFC 3339; `SOURCE_DATE_EPOCH` makes it reproducible.
pub fn build_time() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
        .unwrap_or_else(SystemTime::now);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The commit of the git checkout holding `dir`, if any.
pub fn source_commit(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && s.len() >= 7).then_some(s)
}

/// Static assets: built-in defaults overlaid by the user's folder.
fn static_files(over: Option<&Path>) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    fn embedded(dir: &Dir, files: &mut BTreeMap<String, Vec<u8>>) {
        for f in dir.files() {
            if let Some(p) = f.path().to_str() {
                files.insert(p.to_string(), f.contents().to_vec());
            }
        }
        for d in dir.dirs() {
            embedded(d, files);
        }
    }
    embedded(&DEFAULT_STATIC, &mut files);
    if let Some(dir) = over.filter(|d| d.is_dir()) {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(|e| format!("static: {e}"))?;
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                let body = std::fs::read(entry.path())
                    .map_err(|e| format!("{}: {e}", entry.path().display()))?;
                files.insert(rel.to_string_lossy().replace('\\', "/"), body);
            }
        }
    }
    Ok(files)
}

/// What a rebuild can reuse from the previous one: rendered pages and rows, and the search
/// index with its shards while the searchable text is unchanged.
#[derive(Default)]
pub struct SiteCache {
    pub render: RenderCache,
    search: Option<(u64, tantivy::Index, Vec<Page>)>,
    /// Leave downloads, sitemap and search out of [`render_site`]; the dev server makes them
    /// on request with [`downloads`] and [`search_outputs`], so a rebuild does not wait for them.
    pub lazy: bool,
    /// In lazy mode: the site facts and origin of the last render, for those late outputs.
    pub site: Option<(SiteInfo, String)>,
    /// Compiled templates and the folder they came from; reused until a template changes.
    templates: Option<(Option<PathBuf>, Arc<tera::Tera>)>,
    /// The definitions' git commit, looked up once in lazy mode.
    commit: Option<Option<String>>,
}

impl SiteCache {
    /// Remember nothing (one-off builds).
    pub fn off() -> SiteCache {
        SiteCache {
            render: RenderCache::off(),
            ..Default::default()
        }
    }

    /// A cache for one build of `opts` that remembers nothing, with the templates compiled and
    /// the commit looked up already: a one-off build does this while the definitions load.
    pub fn for_build(opts: &Options) -> Result<SiteCache, String> {
        let tera = crate::render::load_templates(opts.templates.as_deref())?;
        Ok(SiteCache {
            templates: Some((opts.templates.clone(), tera)),
            commit: Some(opts.definitions.first().and_then(|d| source_commit(d))),
            ..SiteCache::off()
        })
    }

    /// Remember everything, and leave downloads and search to be made on request (dev server).
    pub fn lazy() -> SiteCache {
        SiteCache {
            lazy: true,
            ..Default::default()
        }
    }

    /// Forget rendered pages and compiled templates (a template changed).
    pub fn templates_changed(&mut self) {
        self.render.clear();
        self.templates = None;
    }
}

/// The downloads (JSON, CSV) and the sitemap for the given page paths.
pub fn downloads(c: &Catalog, site: &SiteInfo, origin: &str, paths: &[String]) -> Vec<Page> {
    let all = std::sync::Mutex::new(vec![sitemap(site, origin, paths)]);
    let _ = data_downloads_each(c, site, &|page| {
        all.lock().expect("not poisoned").push(page);
        Ok(())
    });
    let mut all = all.into_inner().expect("not poisoned");
    all.sort_by(|a, b| a.path.cmp(&b.path));
    all
}

/// `sitemap.xml`: every HTML page but the 404 page.
fn sitemap(site: &SiteInfo, origin: &str, paths: &[String]) -> Page {
    let html: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| p.ends_with(".html") && *p != "404.html")
        .collect();
    Page {
        path: "sitemap.xml".into(),
        content: export::sitemap(origin, &site.base, &html).into(),
    }
}

/// Make the JSON and CSV downloads in parallel, handing each to `each` when it is done.
fn data_downloads_each(
    c: &Catalog,
    site: &SiteInfo,
    each: &(dyn Fn(Page) -> Result<(), String> + Sync),
) -> Result<(), String> {
    type Make<'a> = Box<dyn Fn() -> Vec<u8> + Send + Sync + 'a>;
    let makers: Vec<(&str, Make)> = vec![
        ("metrics.json", Box::new(|| export::metrics_json(c, site))),
        ("events.json", Box::new(|| export::events_json(c, site))),
        ("metrics.csv", Box::new(|| export::metrics_csv(c, site))),
        ("events.csv", Box::new(|| export::events_csv(c, site))),
    ];
    makers.par_iter().try_for_each(|(path, make)| {
        each(Page {
            path: path.to_string(),
            content: make().into(),
        })
    })
}

/// The search index and its static shards, reused from `cache` while the searchable text is
/// unchanged.
pub fn search_outputs(
    c: &Catalog,
    cache: &mut SiteCache,
) -> Result<(tantivy::Index, Vec<Page>), String> {
    let fingerprint = crate::search::fingerprint(c);
    if let Some((f, index, shards)) = &cache.search {
        if *f == fingerprint {
            return Ok((index.clone(), shards.clone()));
        }
    }
    let index = crate::search::index_in_ram(c).map_err(|e| format!("search index: {e}"))?;
    let (_, shards) = crate::search::export_shards(&index, c.metrics.len())
        .map_err(|e| format!("search shards: {e}"))?;
    let shards: Vec<Page> = shards
        .into_iter()
        .map(|(path, body)| Page {
            path,
            content: body.into(),
        })
        .collect();
    if !cache.render.is_off() {
        cache.search = Some((fingerprint, index.clone(), shards.clone()));
    }
    Ok((index, shards))
}

/// Everything a site consists of, in memory, before it is written.
pub struct Rendered {
    pub files: Vec<Page>,
    /// HTML pages among `files`.
    pub pages: usize,
    pub stats: RenderStats,
    /// The search index (in memory) the shards were exported from; `None` in lazy mode.
    pub index: Option<tantivy::Index>,
    pub timings: Timings,
}

/// Render every output file of the site (HTML, assets, downloads, sitemap) into memory.
pub fn render_site(
    loaded: &Loaded,
    opts: &Options,
    cache: &mut SiteCache,
    sink: Option<Sink>,
) -> Result<Rendered, String> {
    let mut timings = Timings::default();
    let mut t = std::time::Instant::now();
    let (origin, base) = split_base_url(&opts.base_url);
    let gitlab_layout = opts
        .definitions
        .iter()
        .all(|d| discover::is_gitlab_layout(d));
    let repo_url = match &opts.repo_url {
        Some(u) if u.is_empty() => None,
        Some(u) => Some(if u.ends_with('/') {
            u.clone()
        } else {
            format!("{u}/")
        }),
        None => gitlab_layout.then(|| GITLAB_REPO_URL.to_string()),
    };
    // The dev server asks git once, not on every rebuild; a one-off build may have asked
    // already (see `SiteCache::for_build`).
    let commit = match &cache.commit {
        Some(c) if cache.lazy || cache.render.is_off() => c.clone(),
        _ => {
            let c = opts.definitions.first().and_then(|d| source_commit(d));
            cache.commit = Some(c.clone());
            c
        }
    };
    let site = SiteInfo {
        title: opts.title.clone(),
        base: base.clone(),
        build_time: opts.build_time.clone().unwrap_or_else(build_time),
        commit_short: commit.as_ref().map(|c| c[..c.len().min(10)].to_string()),
        commit,
        repo_url,
        metric_count: loaded.catalog.metrics.len(),
        event_count: loaded.catalog.events.len(),
    };
    let mut statics = static_files(opts.static_dir.as_deref())?;
    // Stylesheets and scripts also get a content-hashed name (cacheable forever where the host
    // allows it); templates link those. The plain names stay for custom templates.
    let mut assets = BTreeMap::new();
    let mut hashed = Vec::new();
    for (name, body) in &statics {
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        if ext != "css" && ext != "js" {
            continue;
        }
        // The dev server serves with `no-cache` and keeps plain names, so editing a stylesheet
        // does not re-render every page that links it.
        let versioned = if cache.lazy {
            name.clone()
        } else {
            format!(
                "{stem}.{}.{ext}",
                crate::catalog::short_hash(&String::from_utf8_lossy(body))
            )
        };
        let key = match name.as_str() {
            "site.css" => "css".to_string(),
            "site.js" => "js".to_string(),
            other => other.replace(['.', '/'], "_"),
        };
        assets.insert(key, format!("static/{versioned}"));
        if versioned != *name {
            hashed.push((versioned, body.clone()));
        }
    }
    statics.extend(hashed);
    let tera = match &cache.templates {
        Some((dir, tera)) if *dir == opts.templates => tera.clone(),
        _ => {
            let tera = crate::render::load_templates(opts.templates.as_deref())?;
            cache.templates = Some((opts.templates.clone(), tera.clone()));
            tera
        }
    };

    let renderer = Renderer::new(tera, site.clone(), assets);
    timings.lap("templates", &mut t);
    // A one-off build writes the downloads (the largest files) while the pages render, so
    // neither leaves a core idle at its end.
    let (rendered, data) = match sink {
        Some(sink) if !cache.lazy => {
            let (rendered, data) = rayon::join(
                || renderer.render_all(&loaded.catalog, &mut cache.render, Some(sink)),
                || data_downloads_each(&loaded.catalog, &site, &|p| sink(&p.path, &p.content)),
            );
            (rendered, Some(data))
        }
        _ => (
            renderer.render_all(&loaded.catalog, &mut cache.render, sink),
            None,
        ),
    };
    let (mut files, stats) = rendered?;
    data.transpose()?;
    let mut cache_index = None;
    timings.lap("render pages and downloads", &mut t);
    let pages = files.len();
    // /changes/: always present, so the navigation never leads nowhere.
    let changes = match &opts.baseline {
        Some(b) => Some(crate::changes::against(
            b,
            &loaded.catalog,
            &site,
            &opts.definitions,
        )?),
        None => None,
    };
    files.push(renderer.changes_page(changes.as_ref())?);
    if let Some(ch) = &changes {
        files.extend(export::changes(ch, &site));
    }
    if cache.lazy {
        // The dev server produces downloads and search on request (see `serve`).
        cache.site = Some((site, origin));
    } else if let Some(sink) = sink {
        // One-off build: the data downloads are written; the sitemap needs every page's path.
        // The search index is built by the caller, in the output folder.
        let paths: Vec<String> = files.iter().map(|p| p.path.clone()).collect();
        let map = sitemap(&site, &origin, &paths);
        sink(&map.path, &map.content)?;
        timings.lap("sitemap", &mut t);
    } else {
        let paths: Vec<String> = files.iter().map(|p| p.path.clone()).collect();
        files.extend(downloads(&loaded.catalog, &site, &origin, &paths));
        timings.lap("downloads", &mut t);
        let (index, shards) = search_outputs(&loaded.catalog, cache)?;
        timings.lap("search", &mut t);
        files.extend(shards);
        cache_index = Some(index);
    }
    for (name, body) in statics {
        files.push(Page {
            path: format!("static/{name}"),
            content: body.into(),
        });
    }
    Ok(Rendered {
        files,
        pages,
        stats,
        index: cache_index,
        timings,
    })
}

/// Build the site into `opts.out`, atomically. With any error in the definitions nothing is
/// written and the previous site stays as it was.
pub fn build(opts: &Options) -> Result<Report, BuildError> {
    build_with_progress(opts, &|_| {})
}

/// [`build`], reporting each stage as it starts (`progress` gets a short description).
pub fn build_with_progress(opts: &Options, progress: &dyn Fn(&str)) -> Result<Report, BuildError> {
    let out =
        output::check_out_dir(&opts.out, &opts.definitions).map_err(|r| BuildError::Failed(r.0))?;
    let mut t = std::time::Instant::now();
    progress("reading and checking definitions");
    let (mut loaded, cache) = rayon::join(
        || Loader::once(opts.place_warnings).load(&opts.definitions).0,
        || SiteCache::for_build(opts),
    );
    if loaded.diagnostics.has_errors() {
        return Err(BuildError::Invalid(loaded.diagnostics));
    }
    let mut cache = cache.map_err(BuildError::Failed)?;
    // The parsed files (sources, positions) are only needed for diagnostics, which are made.
    loaded.documents = Vec::new();
    let mut timings = Timings::default();
    timings.lap("load and check", &mut t);
    let staging = Staging::create(&out).map_err(|e| {
        BuildError::Failed(format!(
            "cannot create staging folder next to {}: {e}",
            out.display()
        ))
    })?;
    progress(&format!(
        "rendering and writing {} metrics and {} events",
        loaded.catalog.metrics.len(),
        loaded.catalog.events.len()
    ));
    // Pages go to disk as they are rendered: the site is never held in memory whole, and
    // writing overlaps rendering.
    let linked = AtomicUsize::new(0);
    let sunk = AtomicUsize::new(0);
    let sink = |path: &str, content: &[u8]| -> Result<(), String> {
        let was_linked = staging
            .write(path, content)
            .map_err(|e| format!("writing {path}: {e}"))?;
        sunk.fetch_add(1, Ordering::Relaxed);
        if was_linked {
            linked.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    };
    // The search index is built beside the rendering: tantivy indexes on one thread, which
    // would otherwise leave a core idle at the end of the build. One index, written where
    // `metricdict search` reads it; the static shards come from it.
    let search = || -> Result<search::ShardFiles, String> {
        let index = search::write_index(&loaded.catalog, &staging.path().join(search::INDEX_DIR))
            .map_err(|e| format!("search index: {e}"))?;
        let (_, shards) = search::export_shards(&index, loaded.catalog.metrics.len())
            .map_err(|e| format!("search shards: {e}"))?;
        Ok(shards)
    };
    let (rendered, shards) = rayon::join(
        || render_site(&loaded, opts, &mut cache, Some(&sink)),
        || {
            let t = std::time::Instant::now();
            search().map(|s| (s, t.elapsed()))
        },
    );
    let rendered = rendered.map_err(BuildError::Failed)?;
    let (shards, search_time) = shards.map_err(BuildError::Failed)?;
    timings.0.extend(rendered.timings.0.iter().cloned());
    timings.0.push(("search alongside render", search_time));
    t = std::time::Instant::now();
    progress(&format!(
        "writing {} assets",
        rendered.files.len() - rendered.pages
    ));
    let mut written = staging
        .write_all(
            rendered.files[rendered.pages..]
                .iter()
                .map(|f| (f.path.as_str(), &*f.content)),
        )
        .map_err(|e| BuildError::Failed(format!("writing the site: {e}")))?;
    let (sunk, linked) = (sunk.into_inner(), linked.into_inner());
    written.written += sunk - linked;
    written.unchanged += linked;
    timings.lap("write files", &mut t);
    let shard_stats = staging
        .write_all(shards.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
        .map_err(|e| BuildError::Failed(format!("writing the search shards: {e}")))?;
    written.written += shard_stats.written;
    written.unchanged += shard_stats.unchanged;
    let files = written.written + written.unchanged;
    timings.lap("write search shards", &mut t);
    staging
        .commit()
        .map_err(|e| BuildError::Failed(format!("cannot replace {}: {e}", out.display())))?;
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
