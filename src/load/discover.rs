//! Find definition files under the `--definitions` roots.
//!
//! A GitLab checkout (or a tree laid out like one) is recognised by its `config/metrics` or
//! `config/events` folders; then only the four definition folders are walked, not the rest of the
//! repository. Any other folder is walked whole. Files in a `removed/` folder are marked removed.

use crate::model::definition::SourceFile;
use crate::model::diagnostics::{Diagnostic, Diagnostics, Position};
use crate::model::layout;
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
                    walk(root, &dir, &mut found);
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
            walk(root, root, &mut found);
        }
    }
    found.files.sort();
    found.files.dedup_by(|a, b| a.path == b.path);
    found
}

/// The source file at `path` if discovery would list it (a YAML file in a definitions folder
/// of one of `roots`), with the path spelled as a walk of that root spells it.
pub fn source_file(roots: &[PathBuf], path: &Path) -> Option<SourceFile> {
    let ext = path.extension().and_then(|e| e.to_str());
    if !matches!(ext, Some("yml") | Some("yaml")) || !path.is_file() {
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

fn walk(root: &Path, dir: &Path, found: &mut Discovered) {
    // follow_links so symlinked definition folders work; walkdir reports loops as errors.
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let message = if err.loop_ancestor().is_some() {
                    "symbolic link loop; this folder is skipped".to_string()
                } else {
                    format!("cannot read: {}", io_reason(&err))
                };
                found.diagnostics.push(Diagnostic::error(
                    "unreadable",
                    path,
                    Position::default(),
                    message,
                ));
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
}

fn io_reason(err: &walkdir::Error) -> String {
    match err.io_error() {
        Some(io) => io.to_string(),
        None => err.to_string(),
    }
}
