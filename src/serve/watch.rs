//! Watching the sources: definitions, templates and static files, debounced, editor temp
//! files ignored.

use super::LiveSite;
use std::path::{Path, PathBuf};

/// Editor swap, backup and temp files: changes to them are not edits.
pub fn is_editor_temp(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || [".swp", ".swo", ".swx", ".tmp", ".bak"]
            .iter()
            .any(|s| name.ends_with(s))
        || name == "4913"
}

/// Watch the site's sources and rebuild on every change (debounced), until the process ends.
pub fn watch(mut site: LiveSite, log: bool) -> notify::Result<()> {
    use notify_debouncer_mini::{new_debouncer, notify::RecursiveMode};
    let (tx, rx) = std::sync::mpsc::channel();
    let mut debouncer = new_debouncer(std::time::Duration::from_millis(30), tx)?;
    for dir in site.watched() {
        debouncer.watcher().watch(&dir, RecursiveMode::Recursive)?;
    }
    for batch in rx {
        let Ok(events) = batch else { continue };
        let changed: Vec<PathBuf> = events
            .into_iter()
            .map(|e| e.path)
            .filter(|p| !is_editor_temp(p))
            .collect();
        if changed.is_empty() {
            continue;
        }
        let r = site.rebuild(&changed);
        if log {
            let (lock, _) = &*site.shared();
            let st = lock.lock().unwrap_or_else(|e| e.into_inner());
            match &st.problems {
                None => eprintln!(
                    "rebuilt in {:.0} ms: {} parsed, {} pages rendered, {} reused",
                    r.elapsed.as_secs_f64() * 1000.0,
                    r.parsed,
                    r.rendered,
                    r.reused
                ),
                Some(p) => eprintln!(
                    "build failed ({} problems); still serving the last good site:\n  {}",
                    p.len(),
                    p.join("\n  ")
                ),
            }
        }
    }
    Ok(())
}
