//! What changed since a baseline: a previously built site (its `metrics.json`/`events.json`)
//! or a git revision of the definitions. This is the legal review's "since my last review".

use crate::catalog::Catalog;
use crate::export::{event_json, metric_json};
use crate::render::SiteInfo;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
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

/// One difference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// `metric` or `event`.
    pub kind: &'static str,
    /// Key path, or event id.
    pub id: String,
    /// `added`, `removed`, `recategorised`, `tiers`, `identifiers`, `classification`, `status`,
    /// `description`.
    pub change: &'static str,
    pub before: String,
    pub after: String,
    /// Page of the definition in the current site (none for removed ones).
    pub url: Option<String>,
}

/// The comparison: what the baseline was and every change.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Changes {
    pub baseline: String,
    pub baseline_time: Option<String>,
    pub baseline_commit: Option<String>,
    pub changes: Vec<Change>,
}

/// Normalised records by id: what the comparison reads from either side.
type Records = BTreeMap<String, Value>;

fn records(json: &Value, list: &str, id: &str) -> Records {
    json[list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| Some((r[id].as_str()?.to_string(), r.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("baseline {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "baseline {}: not a metricdict download: {e}",
            path.display()
        )
    })
}

/// Fetch a download of a published site (`https://host/path/` + `metrics.json`).
fn fetch_json(base: &str, file: &str) -> Result<Value, String> {
    let url = format!("{}/{file}", base.trim_end_matches('/'));
    let body = ureq::get(&url)
        .timeout(std::time::Duration::from_secs(60))
        .call()
        .map_err(|e| format!("baseline: {e}"))?
        .into_string()
        .map_err(|e| format!("baseline {url}: {e}"))?;
    serde_json::from_str(&body)
        .map_err(|e| format!("baseline {url}: not a metricdict download: {e}"))
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default()
}

fn diff(
    kind: &'static str,
    before: &Records,
    after: &Records,
    urls: &BTreeMap<String, String>,
    out: &mut Vec<Change>,
) {
    let mut push = |id: &str, change: &'static str, b: String, a: String| {
        out.push(Change {
            kind,
            id: id.to_string(),
            change,
            before: b,
            after: a,
            url: urls.get(id).cloned(),
        });
    };
    for (id, a) in after {
        let Some(b) = before.get(id) else {
            push(id, "added", String::new(), text(&a["description"]));
            continue;
        };
        if kind == "metric" && b["data_category"] != a["data_category"] {
            push(
                id,
                "recategorised",
                text(&b["data_category"]),
                text(&a["data_category"]),
            );
        }
        if list(&b["tiers"]) != list(&a["tiers"]) {
            push(id, "tiers", text(&b["tiers"]), text(&a["tiers"]));
        }
        if kind == "event" {
            let (bi, ai) = (list(&b["identifiers"]), list(&a["identifiers"]));
            if bi != ai {
                let added: Vec<&String> = ai.iter().filter(|i| !bi.contains(i)).collect();
                let removed: Vec<&String> = bi.iter().filter(|i| !ai.contains(i)).collect();
                let mut what = Vec::new();
                if !added.is_empty() {
                    what.push(format!(
                        "+{}",
                        added
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", +")
                    ));
                }
                if !removed.is_empty() {
                    what.push(format!(
                        "−{}",
                        removed
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", −")
                    ));
                }
                push(
                    id,
                    "identifiers",
                    bi.join(", "),
                    format!("{} ({})", ai.join(", "), what.join("; ")),
                );
            }
            if b["classification"] != a["classification"] {
                push(
                    id,
                    "classification",
                    text(&b["classification"]),
                    text(&a["classification"]),
                );
            }
        }
        if b["status"] != a["status"] {
            push(id, "status", text(&b["status"]), text(&a["status"]));
        }
        if b["description"] != a["description"] {
            push(
                id,
                "description",
                text(&b["description"]),
                text(&a["description"]),
            );
        }
    }
    for (id, b) in before {
        if !after.contains_key(id) {
            push(id, "removed", text(&b["description"]), String::new());
        }
    }
}

/// Compare the current catalog with a baseline's records.
fn compare(
    label: String,
    old_metrics: &Value,
    old_events: &Value,
    current: &Catalog,
    site: &SiteInfo,
) -> Changes {
    let mut cur_m = Records::new();
    let mut cur_e = Records::new();
    let mut urls = BTreeMap::new();
    for i in 0..current.metrics.len() {
        let r = metric_json(current, i, site);
        urls.insert(
            current.metrics[i].key_path.clone(),
            format!("metrics/{}/", current.metric_slugs[i]),
        );
        cur_m.insert(current.metrics[i].key_path.clone(), r);
    }
    let mut event_urls = BTreeMap::new();
    for i in 0..current.events.len() {
        let r = event_json(current, i, site);
        event_urls.insert(
            current.events[i].id(),
            format!("events/{}/", current.event_slugs[i]),
        );
        cur_e.insert(current.events[i].id(), r);
    }
    let mut changes = Vec::new();
    diff(
        "metric",
        &records(old_metrics, "metrics", "key_path"),
        &cur_m,
        &urls,
        &mut changes,
    );
    diff(
        "event",
        &records(old_events, "events", "id"),
        &cur_e,
        &event_urls,
        &mut changes,
    );
    changes.sort_by(|a, b| (a.kind, a.change, &a.id).cmp(&(b.kind, b.change, &b.id)));
    Changes {
        baseline: label,
        baseline_time: old_metrics["generated"]["build_time"]
            .as_str()
            .map(str::to_string),
        baseline_commit: old_metrics["generated"]["commit"]
            .as_str()
            .map(str::to_string),
        changes,
    }
}

/// Load a baseline and compare. `definitions` locates the git repository for [`Baseline::GitRef`].
pub fn against(
    baseline: &Baseline,
    current: &Catalog,
    site: &SiteInfo,
    definitions: &[PathBuf],
) -> Result<Changes, String> {
    match baseline {
        Baseline::Site(dir) => {
            let m = read_json(&dir.join("metrics.json"))?;
            let e = read_json(&dir.join("events.json"))?;
            Ok(compare(dir.display().to_string(), &m, &e, current, site))
        }
        Baseline::Url(url) => {
            let m = fetch_json(url, "metrics.json")?;
            let e = fetch_json(url, "events.json")?;
            Ok(compare(url.clone(), &m, &e, current, site))
        }
        Baseline::GitRef(rev) => {
            let old = checkout(rev, definitions)?;
            let loaded = crate::site::load(&old.roots);
            let json = |f: fn(&Catalog, &SiteInfo) -> Vec<u8>| {
                serde_json::from_slice::<Value>(&f(&loaded.catalog, site)).unwrap_or_default()
            };
            let mut m = json(crate::export::metrics_json);
            m["generated"]["commit"] = Value::String(old.commit.clone());
            let e = json(crate::export::events_json);
            Ok(compare(format!("git {rev}"), &m, &e, current, site))
        }
    }
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

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn checkout(rev: &str, definitions: &[PathBuf]) -> Result<Checkout, String> {
    let first = definitions.first().ok_or("no definitions folder")?;
    let top = String::from_utf8_lossy(&git(first, &["rev-parse", "--show-toplevel"])?)
        .trim()
        .to_string();
    let top = PathBuf::from(top);
    let commit = String::from_utf8_lossy(&git(
        &top,
        &["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
    )?)
    .trim()
    .to_string();
    let dir = std::env::temp_dir().join(format!(
        "metricdict-baseline-{}-{}",
        std::process::id(),
        &commit[..commit.len().min(12)]
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let guard = TempDir(dir.clone());
    let mut roots = Vec::new();
    for d in definitions {
        let abs = d
            .canonicalize()
            .map_err(|e| format!("{}: {e}", d.display()))?;
        let rel = abs
            .strip_prefix(top.canonicalize().unwrap_or(top.clone()))
            .map_err(|_| {
                format!(
                    "{} is not inside the git repository {}",
                    d.display(),
                    top.display()
                )
            })?;
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        // `git archive` writes a tar of the folder at that revision; tar extracts it.
        let spec = if rel_s.is_empty() {
            commit.clone()
        } else {
            format!("{commit}:{rel_s}")
        };
        let target = dir.join(format!("root{}", roots.len()));
        std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        let tar = git(&top, &["archive", "--format=tar", &spec])?;
        let mut child = std::process::Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&target)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().ok_or("tar stdin")?;
            stdin.write_all(&tar).map_err(|e| format!("tar: {e}"))?;
        }
        let status = child.wait().map_err(|e| format!("tar: {e}"))?;
        if !status.success() {
            return Err(format!("tar failed extracting {spec}"));
        }
        roots.push(target);
    }
    Ok(Checkout {
        roots,
        commit,
        _dir: guard,
    })
}
