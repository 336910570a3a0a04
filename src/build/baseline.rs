//! Baselines for `/changes/`: the downloads of an earlier build, read from its folder, fetched
//! from where it is published, or made from the definitions at a git revision.

use super::git::{self, GitError};
use crate::changes;
use crate::export;
use crate::load::{self, Warnings};
use crate::model::catalog::Catalog;
use crate::model::changes::Changes;
use crate::model::layout;
use crate::model::record::{format_version, FORMAT_VERSION};
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
/// pretty-printed, as round one wrote it; of GitLab's 5k, 6 MB).
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
    #[error("baseline {at}: format version {version} is newer than this metricdict reads ({}); upgrade metricdict", FORMAT_VERSION)]
    Newer { at: String, version: u64 },
    #[error("baseline {0}")]
    Fetch(String),
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

/// Most redirects followed when fetching a baseline.
const MAX_REDIRECTS: usize = 5;

/// `location` (absolute, scheme-relative, absolute-path or relative) resolved against `url`.
fn resolve_location(url: &str, location: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let origin_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    if location.contains("://") {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{}{rest}", &url[..scheme_end])
    } else if location.starts_with('/') {
        format!("{}{location}", &url[..origin_end])
    } else {
        let dir = url
            .rfind('/')
            .filter(|&i| i >= origin_end)
            .map_or(url.len(), |i| i + 1);
        let sep = if dir == url.len() && !url.ends_with('/') {
            "/"
        } else {
            ""
        };
        format!("{}{sep}{location}", &url[..dir])
    }
}

/// Fetch a download of a published site (`https://host/path/` + `metrics.json`): `http` and
/// `https` only, redirects followed by hand (at most [`MAX_REDIRECTS`], never to another
/// scheme), the body read up to [`MAX_BASELINE_BYTES`].
fn fetch_json(base: &str, file: &str) -> Result<Value, BaselineError> {
    let first = format!("{}/{file}", base.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let mut url = first.clone();
    for _ in 0..=MAX_REDIRECTS {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(BaselineError::Fetch(format!(
                "{first}: refused a redirect to {url}: only http and https are fetched"
            )));
        }
        let fail = |e: ureq::Error| BaselineError::Fetch(format!("{url}: {e}"));
        let mut resp = agent.get(&url).call().map_err(fail)?;
        let status = resp.status();
        if status.is_redirection() {
            let location = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    BaselineError::Fetch(format!("{url}: redirect ({status}) without a location"))
                })?;
            url = resolve_location(&url, location);
            continue;
        }
        if !status.is_success() {
            return Err(BaselineError::Fetch(format!("{url}: {status}")));
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BASELINE_BYTES)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => BaselineError::TooLarge { at: url.clone() },
                e => BaselineError::Fetch(format!("{url}: {e}")),
            })?;
        return serde_json::from_slice(&body)
            .map_err(|source| BaselineError::NotADownload { at: url, source });
    }
    Err(BaselineError::Fetch(format!(
        "{first}: more than {MAX_REDIRECTS} redirects"
    )))
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
        // Readers see the folder's build time and commit, never the builder's path.
        Baseline::Site(dir) => (
            "an earlier build".to_string(),
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
    // Every earlier format is read (round one's downloads carry no version: 1); a newer one may
    // mean fields this build would misread.
    for (doc, file) in [(&m, layout::METRICS_JSON), (&e, layout::EVENTS_JSON)] {
        let version = format_version(doc);
        if version > FORMAT_VERSION {
            return Err(BaselineError::Newer {
                at: match baseline {
                    Baseline::Site(dir) => dir.join(file).display().to_string(),
                    _ => format!("{label}: {file}"),
                },
                version,
            });
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn redirect_locations_resolve_like_a_browser() {
        use super::resolve_location as r;
        let u = "https://a.example/dict/metrics.json";
        assert_eq!(r(u, "https://b.example/x.json"), "https://b.example/x.json");
        assert_eq!(r(u, "file:///etc/passwd"), "file:///etc/passwd");
        assert_eq!(r(u, "//c.example/y.json"), "https://c.example/y.json");
        assert_eq!(r(u, "/z.json"), "https://a.example/z.json");
        assert_eq!(
            r(u, "v2/metrics.json"),
            "https://a.example/dict/v2/metrics.json"
        );
        assert_eq!(r("http://h", "m.json"), "http://h/m.json");
    }
}
