//! Baselines for `/changes/`: the downloads of an earlier build, read from its folder, fetched
//! from where it is published, or made from the definitions at a git revision.

use super::git::{self, GitError};
use crate::changes;
use crate::export;
use crate::load::{self, Warnings};
use crate::model::catalog::Catalog;
use crate::model::changes::Changes;
use crate::model::layout;
use crate::model::site::SiteInfo;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the baseline comes from.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// A built site folder (reads `metrics.json` and `events.json`).
    Site(PathBuf),
    /// A published site's URL (fetches its `metrics.json` and `events.json`).
    Url(String),
    /// A git revision of the definitions repository (built in memory for the comparison).
    GitRef(String),
}

/// Largest baseline download read (`metrics.json` of 100k definitions is about 120 MB
/// pretty-printed; of GitLab's 5k, 6 MB).
pub const MAX_BASELINE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline {}: not a regular file (a device, pipe or folder is never read)", path.display())]
    NotAFile { path: PathBuf },
    #[error("baseline {at}: larger than {} MiB, too large to be a metricdict download", MAX_BASELINE_BYTES / 1024 / 1024)]
    TooLarge { at: String },
    #[error("baseline {at}: not a metricdict download: {source}")]
    NotADownload {
        at: String,
        source: serde_json::Error,
    },
    #[error("baseline: {0}")]
    Fetch(Box<ureq::Error>),
    #[error("baseline {url}: {source}")]
    FetchBody { url: String, source: std::io::Error },
    #[error("baseline: {0}")]
    Git(#[from] GitError),
    #[error("baseline: {0}")]
    Checkout(String),
}

/// Read a download from a folder: only a regular file, at most [`MAX_BASELINE_BYTES`]. It is
/// opened without blocking, so a pipe named `metrics.json` cannot hang the build.
fn read_json(path: &Path) -> Result<Value, BaselineError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let read_err = |source| BaselineError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(BaselineError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let too_large = || BaselineError::TooLarge {
        at: path.display().to_string(),
    };
    if meta.len() > MAX_BASELINE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_BASELINE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_BASELINE_BYTES {
        return Err(too_large());
    }
    serde_json::from_slice(&bytes).map_err(|source| BaselineError::NotADownload {
        at: path.display().to_string(),
        source,
    })
}

/// Fetch a download of a published site (`https://host/path/` + `metrics.json`).
fn fetch_json(base: &str, file: &str) -> Result<Value, BaselineError> {
    let url = format!("{}/{file}", base.trim_end_matches('/'));
    let body = ureq::get(&url)
        .timeout(std::time::Duration::from_secs(60))
        .call()
        .map_err(|e| BaselineError::Fetch(Box::new(e)))?
        .into_string()
        .map_err(|source| BaselineError::FetchBody {
            url: url.clone(),
            source,
        })?;
    serde_json::from_str(&body).map_err(|source| BaselineError::NotADownload { at: url, source })
}

/// Load a baseline and compare the current catalog with it. `definitions` locates the git
/// repository for [`Baseline::GitRef`].
pub fn changes_since(
    baseline: &Baseline,
    current: &Catalog,
    site: &SiteInfo,
    definitions: &[PathBuf],
) -> Result<Changes, BaselineError> {
    let (label, m, e) = match baseline {
        Baseline::Site(dir) => (
            dir.display().to_string(),
            read_json(&dir.join(layout::METRICS_JSON))?,
            read_json(&dir.join(layout::EVENTS_JSON))?,
        ),
        Baseline::Url(url) => (
            url.clone(),
            fetch_json(url, layout::METRICS_JSON)?,
            fetch_json(url, layout::EVENTS_JSON)?,
        ),
        Baseline::GitRef(rev) => {
            let old = checkout(rev, definitions)?;
            let loaded = load::load(&old.roots, Warnings::Counted);
            let json = |f: fn(&Catalog, &SiteInfo) -> Vec<u8>| {
                serde_json::from_slice::<Value>(&f(&loaded.catalog, site)).unwrap_or_default()
            };
            let mut m = json(export::metrics_json);
            m["generated"]["commit"] = Value::String(old.commit.clone());
            (format!("git {rev}"), m, json(export::events_json))
        }
    };
    Ok(changes::compare(label, &m, &e, current, &site.base))
}

/// The definitions folders as they were at a git revision, extracted to a temporary folder.
struct Checkout {
    roots: Vec<PathBuf>,
    commit: String,
    _dir: TempDir,
}

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn checkout(rev: &str, definitions: &[PathBuf]) -> Result<Checkout, BaselineError> {
    let fail = |m: String| BaselineError::Checkout(m);
    let first = definitions
        .first()
        .ok_or_else(|| fail("no definitions folder".into()))?;
    let top = git::toplevel(first)?;
    let commit = git::resolve_commit(&top, rev)?;
    let dir = std::env::temp_dir().join(format!(
        "metricdict-baseline-{}-{}",
        std::process::id(),
        &commit[..commit.len().min(12)]
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    let guard = TempDir(dir.clone());
    let mut roots = Vec::new();
    for d in definitions {
        let abs = d
            .canonicalize()
            .map_err(|e| fail(format!("{}: {e}", d.display())))?;
        let rel = abs
            .strip_prefix(top.canonicalize().unwrap_or(top.clone()))
            .map_err(|_| {
                fail(format!(
                    "{} is not inside the git repository {}",
                    d.display(),
                    top.display()
                ))
            })?;
        let rel = rel.to_string_lossy().replace('\\', "/");
        let spec = if rel.is_empty() {
            commit.clone()
        } else {
            format!("{commit}:{rel}")
        };
        let target = dir.join(format!("root{}", roots.len()));
        extract(&git::archive(&top, &spec)?, &target).map_err(fail)?;
        roots.push(target);
    }
    Ok(Checkout {
        roots,
        commit,
        _dir: guard,
    })
}

/// Unpack a tar archive (from `git archive`) into `target`.
fn extract(tar: &[u8], target: &Path) -> Result<(), String> {
    use std::io::Write;
    std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    let mut child = std::process::Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(target)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    {
        let mut stdin = child.stdin.take().ok_or("tar stdin")?;
        stdin.write_all(tar).map_err(|e| format!("tar: {e}"))?;
    }
    let status = child.wait().map_err(|e| format!("tar: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("tar failed extracting into {}", target.display()))
    }
}
