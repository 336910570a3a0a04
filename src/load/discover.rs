//! Find definition files under the `--definitions` roots.
//!
//! A GitLab checkout (or a tree laid out like one) is recognised by its `config/metrics` or
//! `config/events` folders; then only the four definition folders are walked, not the rest of the
//! repository. Any other folder is walked whole. Files in a `removed/` folder are marked removed.

use crate::model::definition::SourceFile;
use crate::model::diagnostics::{Diagnostic, Diagnostics, Position};
use crate::model::layout;
use crate::model::order::path_key;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// The folders of a GitLab checkout that hold definitions.
pub const GITLAB_DEFINITION_DIRS: [&str; 4] = [
    "config/metrics",
    "ee/config/metrics",
    "config/events",
    "ee/config/events",
];

/// JSON schemas a definitions tree carries (GitLab keeps them next to the definitions).
#[derive(Debug, Default, Clone)]
pub struct SchemaFiles {
    /// `config/metrics/schema/` folder, if present.
    pub metrics_dir: Option<PathBuf>,
    /// `config/events/schema.json`, if present.
    pub events: Option<PathBuf>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<SourceFile>,
    pub schemas: SchemaFiles,
    pub diagnostics: Diagnostics,
}

/// Does this folder look like a GitLab checkout (or our `definitions/` laid out the same way)?
pub fn is_gitlab_layout(root: &Path) -> bool {
    GITLAB_DEFINITION_DIRS.iter().any(|d| root.join(d).is_dir())
}

/// Walk every root; files are returned sorted by path so builds are deterministic.
pub fn discover(roots: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    let inside = canonical_roots(roots);
    for root in roots {
        if !root.is_dir() {
            found.diagnostics.push(
                Diagnostic::error(
                    "definitions-dir",
                    root.clone(),
                    Position::default(),
                    "definitions folder does not exist or is not a folder",
                )
                .expected("a folder of metric and event YAML files"),
            );
            continue;
        }
        if is_gitlab_layout(root) {
            for sub in GITLAB_DEFINITION_DIRS {
                let dir = root.join(sub);
                if dir.is_dir() {
                    walk(root, &dir, &inside, &mut found);
                }
            }
            let metrics_schema = root.join("config/metrics/schema");
            if metrics_schema.join("base.json").is_file() && found.schemas.metrics_dir.is_none() {
                found.schemas.metrics_dir = Some(metrics_schema);
            }
            let events_schema = root.join("config/events/schema.json");
            if events_schema.is_file() && found.schemas.events.is_none() {
                found.schemas.events = Some(events_schema);
            }
        } else {
            walk(root, root, &inside, &mut found);
        }
    }
    found.sort_files();
    found
}

impl Discovered {
    /// Files in path order, each path once (the walks list them in directory order).
    pub fn sort_files(&mut self) {
        self.files
            .sort_by_cached_key(|f| (path_key(&f.path), f.rel.clone(), f.in_removed_dir));
        self.files.dedup_by(|a, b| a.path == b.path);
    }
}

/// The source file at `path` if discovery would list it (a YAML file in a definitions folder
/// of one of `roots`), with the path spelled as a walk of that root spells it.
pub fn source_file(roots: &[PathBuf], path: &Path) -> Option<SourceFile> {
    let ext = path.extension().and_then(|e| e.to_str());
    if !matches!(ext, Some("yml") | Some("yaml")) || !path.is_file() {
        return None;
    }
    let is_link = path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    if is_link && !link_stays_inside(path, &canonical_roots(roots)) {
        return None;
    }
    let parent = path.parent()?.canonicalize().ok()?;
    let name = path.file_name()?;
    for root in roots {
        let Ok(croot) = root.canonicalize() else {
            continue;
        };
        let Ok(rel_dir) = parent.strip_prefix(&croot) else {
            continue;
        };
        let rel_path = rel_dir.join(name);
        if is_gitlab_layout(root)
            && !GITLAB_DEFINITION_DIRS
                .iter()
                .any(|d| rel_path.starts_with(d))
        {
            continue;
        }
        let in_removed_dir = rel_dir.components().any(|c| c.as_os_str() == "removed");
        return Some(SourceFile {
            path: root.join(&rel_path),
            rel: rel_path.to_string_lossy().replace('\\', "/"),
            in_removed_dir,
        });
    }
    None
}

/// Whether `path`, a symbolic link, leads to a file or folder inside one of `inside` (the
/// canonical definitions roots). A link that cannot be resolved leads nowhere: not inside.
pub fn link_stays_inside(path: &Path, inside: &[PathBuf]) -> bool {
    path.canonicalize()
        .is_ok_and(|target| inside.iter().any(|root| target.starts_with(root)))
}

/// The definitions roots as links resolve (for [`link_stays_inside`]).
pub fn canonical_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots.iter().filter_map(|r| r.canonicalize().ok()).collect()
}

/// A link that leads outside the definitions: never followed, never read.
fn outside_link(path: &Path) -> Diagnostic {
    Diagnostic::warning(
        "symlink-outside",
        path.to_path_buf(),
        Position::default(),
        "symbolic link leads outside the definitions folders; skipped (its target is not read)",
    )
    .expected("a file or folder inside the --definitions folders, or a copy of it")
}

fn walk(root: &Path, dir: &Path, inside: &[PathBuf], found: &mut Discovered) {
    // Links are followed (symlinked definition folders work) but only while they lead inside
    // the definitions: a link to /proc/self/environ or to a secret elsewhere is not read.
    // walkdir reports link loops as errors.
    let skipped = std::cell::RefCell::new(Vec::new());
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            let ok = !e.path_is_symlink() || link_stays_inside(e.path(), inside);
            if !ok {
                skipped.borrow_mut().push(outside_link(e.path()));
            }
            ok
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                found.diagnostics.push(walk_error(dir, &err));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml") | Some("yaml")
        );
        if !is_yaml {
            continue;
        }
        let rel_path = path.strip_prefix(root).unwrap_or(path);
        // The privacy register lives next to the definitions but is not one.
        if rel_path.parent() == Some(Path::new(""))
            && layout::REGISTER_FILES
                .iter()
                .any(|f| rel_path == Path::new(f))
        {
            continue;
        }
        let in_removed_dir = rel_path
            .parent()
            .map(|p| p.components().any(|c| c.as_os_str() == "removed"))
            .unwrap_or(false);
        found.files.push(SourceFile {
            path: path.to_path_buf(),
            rel: rel_path.to_string_lossy().replace('\\', "/"),
            in_removed_dir,
        });
    }
    found.diagnostics.0.extend(skipped.into_inner());
}

fn walk_error(dir: &Path, err: &walkdir::Error) -> Diagnostic {
    let path = err
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.to_path_buf());
    let message = if err.loop_ancestor().is_some() {
        "symbolic link loop; this folder is skipped".to_string()
    } else {
        format!("cannot read: {}", io_reason(err))
    };
    Diagnostic::error("unreadable", path, Position::default(), message)
}

fn io_reason(err: &walkdir::Error) -> String {
    match err.io_error() {
        Some(io) => io.to_string(),
        None => err.to_string(),
    }
}
