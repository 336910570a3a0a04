//! The loader: discover, parse, check and catalog, re-reading only what changed (the dev
//! server keeps one across rebuilds; a one-off build uses a fresh one and moves its results
//! out instead of keeping them).

use super::discover::{self, Discovered};
use super::parse::{self, Document, FileVersion};
use super::{register, schema, validate};
use crate::model::catalog::{self, Catalog};
use crate::model::definition::{Definition, SourceFile};
use crate::model::diagnostics::{Diagnostic, Diagnostics, Position, Severity};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The definitions, checked and catalogued.
pub struct Loaded {
    pub documents: Vec<Arc<Document>>,
    pub catalog: Catalog,
    pub diagnostics: Diagnostics,
}

/// Whether warnings get their line and column. Placing them takes a second parse of nearly
/// every file (most carry a warning), so callers that only count them say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warnings {
    /// Placed at their line and column, to be shown.
    Placed,
    /// Counted, naming only their file (line 0).
    Counted,
}

/// How many files are parsed while the schemas compile (about as many as one core parses in
/// that time); they wait, parsed, to be checked against the schemas.
const PARSED_WHILE_SCHEMAS_COMPILE: usize = 2048;

/// Files per parallel task. rayon splits a list only while its threads are starting or
/// stealing, so a core could be left parsing a last share of hundreds of files alone (a 5k
/// load spent 20 ms on one core that way). Tasks of a few files keep both cores busy to the end.
const FILES_PER_TASK: usize = 16;

/// What one file's parse and per-file checks produced.
type FileResult<D> = Result<(D, Diagnostics, Option<Definition>), Box<Diagnostic>>;

/// A file parsed and checked on its own, not yet against the schemas.
type ParsedFile = (PathBuf, Option<FileVersion>, FileResult<Document>);

/// A document with the definition it holds.
type Pair = (Arc<Document>, Definition);

/// One file's parse and checks, kept between rebuilds.
struct Checked {
    version: Option<FileVersion>,
    result: FileResult<Arc<Document>>,
}

/// Loads definitions, re-reading only files that changed since the last load.
#[derive(Default)]
pub struct Loader {
    /// By path, as bytes: `Path`'s own hashing and equality walk components, which made these
    /// lookups a tenth of a dev-server rebuild.
    files: FxHashMap<OsString, Checked>,
    /// The last folder listing, updated from change notifications instead of re-walking.
    listing: Option<Discovered>,
    schemas: Option<Result<Arc<schema::Schemas>, String>>,
    /// Keep only errors in [`Loaded::diagnostics`]: the dev server shows errors and nothing
    /// else, and copying and sorting thousands of warnings on every keystroke is its largest
    /// cost after the catalog.
    errors_only: bool,
    warnings: Option<Warnings>,
    /// Used for one load: results move out instead of being kept for the next.
    single_use: bool,
    slugs: catalog::SlugMemo,
}

/// Discover, parse, validate and catalog. Every problem is collected; nothing stops early.
pub fn load(roots: &[PathBuf], warnings: Warnings) -> Loaded {
    Loader::single_use(warnings).load(roots).0
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

impl Loader {
    /// The dev server's loader: kept across rebuilds, its results carry errors only.
    pub fn for_dev_server() -> Loader {
        Loader {
            errors_only: true,
            warnings: Some(Warnings::Counted),
            ..Default::default()
        }
    }

    /// A loader for one load, whose results move out instead of being kept.
    pub fn single_use(warnings: Warnings) -> Loader {
        Loader {
            warnings: Some(warnings),
            single_use: true,
            ..Default::default()
        }
    }

    fn warnings(&self) -> Warnings {
        self.warnings.unwrap_or(Warnings::Placed)
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

    /// Load the dictionary, walking every folder; also returns how many files were parsed
    /// (not reused).
    pub fn load(&mut self, roots: &[PathBuf]) -> (Loaded, usize) {
        self.listing = None;
        self.reload(roots, &[])
    }

    /// Load again after `changed` files changed on disk (the dev server's watcher says which).
    /// When they are all definition files, the previous folder listing is updated instead of
    /// walking the tree again, and unchanged files are trusted without a `stat`.
    pub fn reload(&mut self, roots: &[PathBuf], changed: &[PathBuf]) -> (Loaded, usize) {
        let (found, reused, relisted) = self.listing_after(roots, changed);
        let mut diagnostics = found.diagnostics.clone();
        let fresh = self.parse_stale(&found, reused, &mut diagnostics);
        let parsed = fresh.len();
        let (documents, pairs) = if self.single_use {
            // Every file was parsed, in listing order, and nothing is kept for a next load:
            // the results are taken as they come, not through the map (a 5k build spent 6 ms
            // on one core filling and emptying it).
            let results = fresh.into_iter().map(|(_, c)| c.result);
            self.collect_results(results, &mut diagnostics)
        } else {
            self.files
                .extend(fresh.into_iter().map(|(p, c)| (p.into_os_string(), c)));
            if relisted {
                let present: FxHashSet<&OsStr> =
                    found.files.iter().map(|f| f.path.as_os_str()).collect();
                self.files.retain(|p, _| present.contains(p.as_os_str()));
            }
            self.collect(&found, &mut diagnostics)
        };
        let catalog = self.catalog_and_cross_file(roots, &pairs, &mut diagnostics);
        if self.errors_only {
            diagnostics.retain_errors();
        }
        if self.warnings() == Warnings::Counted {
            // Counted warnings are only counted, never listed: only the errors are put in order
            // (a 5k build has 7,290 warnings; sorting them took 7 ms on one core).
            diagnostics.sort_errors();
        } else {
            diagnostics.sort();
        }
        self.listing = Some(found);
        let loaded = Loaded {
            documents,
            catalog,
            diagnostics,
        };
        (loaded, parsed)
    }

    /// The files to load: the previous listing updated with `changed` when every change is a
    /// file it can place (an existing file, or a deleted one it has), else a new walk. Also
    /// says whether the listing was reused and whether the set of files may have changed.
    fn listing_after(
        &mut self,
        roots: &[PathBuf],
        changed: &[PathBuf],
    ) -> (Discovered, bool, bool) {
        let listed = |l: &Discovered, p: &PathBuf| {
            l.files.iter().any(|f| {
                f.path.file_name() == p.file_name() && (f.path == *p || same_file(&f.path, p))
            })
        };
        let reuse = self.listing.as_ref().is_some_and(|l| {
            changed
                .iter()
                .all(|p| p.is_file() || (!p.exists() && listed(l, p)))
        });
        let Some(mut found) = self.listing.take().filter(|_| reuse) else {
            return (discover::discover(roots), false, true);
        };
        let mut relisted = false;
        for p in changed {
            // A file edited in place keeps its entry (the common case while typing).
            if p.is_file() && found.files.iter().any(|f| f.path == *p) {
                continue;
            }
            relisted = true;
            found.files.retain(|f| {
                f.path.file_name() != p.file_name() || (f.path != *p && !same_file(&f.path, p))
            });
            if let Some(f) = discover::source_file(roots, p) {
                found.files.push(f);
            }
        }
        if relisted {
            found.sort_files();
        }
        (found, true, relisted)
    }

    /// Parse and check every file that is new or changed. Compiling the schemas takes a core
    /// for about a tenth of a 5k build: it runs while the first files are parsed, which are
    /// then checked against them. Only that first batch is held parsed but unchecked (with
    /// its fields), so memory stays flat.
    fn parse_stale(
        &mut self,
        found: &Discovered,
        trust_cache: bool,
        diagnostics: &mut Diagnostics,
    ) -> Vec<(PathBuf, Checked)> {
        let version = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        let stale: Vec<&SourceFile> = found
            .files
            .iter()
            .filter(|f| {
                self.files.get(f.path.as_os_str()).is_none_or(|c| {
                    !trust_cache && (c.version.is_none() || c.version != version(&f.path))
                })
            })
            .collect();
        let (first, rest) = stale.split_at(stale.len().min(PARSED_WHILE_SCHEMAS_COMPILE));
        let schema_files = &found.schemas;
        let cached_schemas = &mut self.schemas;
        let (schemas, first) = rayon::join(
            || {
                cached_schemas
                    .get_or_insert_with(|| schema::Schemas::load(schema_files).map(Arc::new))
                    .clone()
            },
            || {
                first
                    .par_iter()
                    .with_max_len(FILES_PER_TASK)
                    .map(|f| parse_one(f))
                    .collect::<Vec<_>>()
            },
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
        let warnings = self.warnings();
        let check = |parsed| check_one(parsed, schemas.as_deref(), warnings);
        let mut fresh: Vec<(PathBuf, Checked)> = first
            .into_par_iter()
            .with_max_len(FILES_PER_TASK)
            .map(check)
            .collect();
        fresh.par_extend(
            rest.par_iter()
                .with_max_len(FILES_PER_TASK)
                .map(|f| check(parse_one(f))),
        );
        fresh
    }

    /// A one-off load's results, moved out in the order given (listing order).
    fn collect_results(
        &self,
        results: impl ExactSizeIterator<Item = FileResult<Arc<Document>>>,
        diagnostics: &mut Diagnostics,
    ) -> (Vec<Arc<Document>>, Vec<Pair>) {
        let mut documents = Vec::with_capacity(results.len());
        let mut pairs = Vec::with_capacity(results.len());
        for result in results {
            match result {
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
        }
        (documents, pairs)
    }

    /// Every listed file's document, definition and diagnostics, in listing order, from the
    /// results the dev server's loader keeps.
    fn collect(
        &self,
        found: &Discovered,
        diagnostics: &mut Diagnostics,
    ) -> (Vec<Arc<Document>>, Vec<Pair>) {
        let mut documents = Vec::with_capacity(found.files.len());
        let mut pairs = Vec::new();
        for f in &found.files {
            let key = f.path.as_os_str();
            match &self.files[key].result {
                Ok((doc, d, def)) => {
                    documents.push(doc.clone());
                    if self.errors_only {
                        let errors = d.iter().filter(|d| d.severity == Severity::Error);
                        diagnostics.0.extend(errors.cloned());
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
        (documents, pairs)
    }

    /// The catalog, and beside it (neither needs the other; each is a third of a dev-server
    /// rebuild) the cross-file rules and the privacy register.
    fn catalog_and_cross_file(
        &mut self,
        roots: &[PathBuf],
        pairs: &[Pair],
        diagnostics: &mut Diagnostics,
    ) -> Catalog {
        let refs: Vec<(&Document, &Definition)> =
            pairs.iter().map(|(d, def)| (d.as_ref(), def)).collect();
        let defs: Vec<Definition> = pairs.iter().map(|(_, d)| d.clone()).collect();
        let warnings = self.warnings();
        let slugs = &mut self.slugs;
        let (mut catalog, (across, register, register_diags)) = rayon::join(
            || catalog::build_with(defs, slugs),
            || {
                let mut across = Diagnostics::default();
                validate::check_cross_file(&refs, &mut across);
                let (register, register_diags) = register::load(roots);
                if !register.identifiers.is_empty() {
                    validate::check_register(&refs, &register, &mut across);
                }
                place_all(&refs, &mut across, warnings);
                (across, register, register_diags)
            },
        );
        diagnostics.extend(register_diags);
        diagnostics.extend(across);
        catalog.register = register;
        catalog
    }
}

/// Read, parse and check one file on its own.
fn parse_one(f: &SourceFile) -> ParsedFile {
    let (version, result) = parse::parse_file(f);
    let result = result.map(|doc| {
        let mut d = Diagnostics::default();
        let def = validate::check_document(&doc, &mut d);
        (doc, d, def)
    });
    (f.path.clone(), version, result)
}

/// Check a parsed file against the schemas and place its diagnostics.
fn check_one(
    (path, version, result): ParsedFile,
    schemas: Option<&schema::Schemas>,
    warnings: Warnings,
) -> (PathBuf, Checked) {
    let result = result.map(|(mut doc, mut d, def)| {
        if let (Some(s), Some(def)) = (schemas, &def) {
            s.check(&mut doc, matches!(def, Definition::Metric(_)), &mut d);
        }
        for one in &mut d.0 {
            place(warnings, &doc, one);
        }
        // Checked: the definition has its own copy of the fields; what stays is what later
        // diagnostics need (path, source, positions).
        doc.fields = serde_json::Map::new();
        (Arc::new(doc), d, def)
    });
    (path, Checked { version, result })
}

/// Place the cross-file diagnostics, which name files but not lines.
fn place_all(refs: &[(&Document, &Definition)], diags: &mut Diagnostics, warnings: Warnings) {
    if diags.is_empty() {
        return;
    }
    let by_path: FxHashMap<&Path, &Document> = refs
        .iter()
        .map(|(d, _)| (d.file.path.as_path(), *d))
        .collect();
    for d in &mut diags.0 {
        if let Some(doc) = by_path.get(d.file.as_path()) {
            place(warnings, doc, d);
        }
    }
}

/// Place a diagnostic if it will be shown; otherwise it keeps only its file.
fn place(warnings: Warnings, doc: &Document, d: &mut Diagnostic) {
    if warnings == Warnings::Counted && d.severity == Severity::Warning {
        d.unplaced = None;
    } else {
        doc.place(d);
    }
}
