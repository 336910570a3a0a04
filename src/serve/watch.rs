//! Watching the sources: definitions, templates and static files, debounced, editor temp
//! files ignored.

use super::LiveSite;
use notify::{EventKind, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

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

/// A configuration file the dev server follows: when it changes, `reload` makes the new
/// options (or says why it cannot; the old ones stay).
pub struct ConfigFile {
    pub path: PathBuf,
    pub reload: Box<dyn FnMut() -> Result<crate::build::Options, String> + Send>,
}

/// How long the watcher waits for more changes after one, so an editor's save (several
/// events) or a `git checkout` makes one rebuild.
const DEBOUNCE: Duration = Duration::from_millis(30);

/// The paths of the next batch of changes: blocks for the first, then collects for
/// [`DEBOUNCE`] after the last. Reads of files (which a rebuild itself does, and which notify
/// reports as access events) are not changes. `None` when the watcher is gone.
fn next_batch(rx: &Receiver<notify::Result<notify::Event>>) -> Option<Vec<PathBuf>> {
    let changes = |ev: notify::Result<notify::Event>| -> Vec<PathBuf> {
        match ev {
            Ok(e) if !matches!(e.kind, EventKind::Access(_)) => e.paths,
            _ => Vec::new(),
        }
    };
    let mut paths = Vec::new();
    while paths.is_empty() {
        paths = changes(rx.recv().ok()?);
    }
    loop {
        match rx.recv_timeout(DEBOUNCE) {
            Ok(ev) => paths.extend(changes(ev)),
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
    paths.sort();
    paths.dedup();
    Some(paths)
}

/// Watch the site's sources (and its configuration file, if given) and rebuild on every change
/// (debounced), until the process ends.
pub fn watch(mut site: LiveSite, log: bool, mut config: Option<ConfigFile>) -> notify::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)?;
    let mut watched: Vec<PathBuf> = Vec::new();
    let watch_new =
        |site: &LiveSite, watcher: &mut notify::RecommendedWatcher, watched: &mut Vec<PathBuf>| {
            for dir in site.watched() {
                if !watched.contains(&dir) {
                    watcher.watch(&dir, RecursiveMode::Recursive)?;
                    watched.push(dir);
                }
            }
            Ok::<(), notify::Error>(())
        };
    watch_new(&site, &mut watcher, &mut watched)?;
    // The configuration file's folder, not recursively: editors replace the file on save.
    let config_path = config.as_ref().map(|c| absolute(&c.path));
    if let Some(p) = &config_path {
        let dir = p.parent().unwrap_or(Path::new("."));
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    while let Some(batch) = next_batch(&rx) {
        let mut changed: Vec<PathBuf> = batch.into_iter().filter(|p| !is_editor_temp(p)).collect();
        let config_changed = config_path
            .as_ref()
            .is_some_and(|c| changed.iter().any(|p| p == c));
        changed.retain(|p| watched.iter().any(|w| p.starts_with(w)));
        if config_changed {
            if let Some(c) = config.as_mut() {
                match (c.reload)() {
                    Ok(opts) => {
                        site.reconfigure(opts);
                        watch_new(&site, &mut watcher, &mut watched)?;
                        changed.clear();
                    }
                    Err(e) => eprintln!("{e}; keeping the previous configuration"),
                }
            }
        } else if changed.is_empty() {
            continue;
        }
        let r = site.rebuild(&changed);
        if log {
            report(&site, &r);
        }
    }
    Ok(())
}

/// `p` made absolute, as the watcher reports paths.
fn absolute(p: &Path) -> PathBuf {
    if let (Some(dir), Some(name)) = (p.parent(), p.file_name()) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = dir.canonicalize() {
            return d.join(name);
        }
    }
    p.to_path_buf()
}

/// One line per rebuild on stderr.
fn report(site: &LiveSite, r: &super::Rebuild) {
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
        Some(p) => {
            let p: Vec<String> = p
                .iter()
                .map(|l| crate::text::terminal_safe(l).into_owned())
                .collect();
            eprintln!(
                "build failed ({} problems); still serving the last good site:\n  {}",
                p.len(),
                p.join("\n  ")
            );
        }
    }
}
