//! HTTP serving of a built site: only files below its root, correct content types, a 404 page.
//!
//! Used by `metricdict serve` (with live reload, see [`crate::serve`]'s `LiveSite`) and by the
//! browser tests. tiny_http reads each connection on its own thread, so a stalled client never
//! blocks the others; a small pool of workers answers the parsed requests.

use percent_encoding::percent_decode_str;
use std::io::Cursor;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use tiny_http::{Header, Request, Response, Server, StatusCode};

/// A response body and its metadata.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub location: Option<String>,
}

/// The content type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// Map a request path to a file below `root`, or `None` when it would leave the root: `..`
/// (plain or percent-encoded), backslashes, NUL, absolute components, or a symlink out.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut rel = PathBuf::new();
    for seg in decoded.split('/').filter(|s| !s.is_empty()) {
        match Path::new(seg).components().next() {
            Some(Component::Normal(_)) if Path::new(seg).components().count() == 1 => rel.push(seg),
            _ => return None,
        }
    }
    let full = root.join(&rel);
    let canon_root = root.canonicalize().ok()?;
    match full.canonicalize() {
        Ok(c) if c.starts_with(&canon_root) => Some(c),
        Ok(_) => None,
        // Missing files resolve to their would-be path (a 404 later), still below the root.
        Err(_) => Some(canon_root.join(rel)),
    }
}

/// Answer a GET for `url_path` from the site in `root`.
pub fn reply(root: &Path, url_path: &str, base: &str) -> Reply {
    let not_found = || {
        let body = std::fs::read(root.join("404.html")).unwrap_or_else(|_| b"not found".to_vec());
        Reply {
            status: 404,
            content_type: "text/html; charset=utf-8",
            body,
            location: None,
        }
    };
    let path = url_path.split(['?', '#']).next().unwrap_or("/");
    let Some(rest) = path.strip_prefix(base.trim_end_matches('/')) else {
        return not_found();
    };
    let Some(file) = resolve(root, rest) else {
        return Reply {
            status: 403,
            content_type: "text/plain; charset=utf-8",
            body: b"forbidden".to_vec(),
            location: None,
        };
    };
    if file.is_dir() {
        if !path.ends_with('/') {
            return Reply {
                status: 301,
                content_type: "text/plain; charset=utf-8",
                body: Vec::new(),
                location: Some(format!("{path}/")),
            };
        }
        let index = file.join("index.html");
        return match std::fs::read(&index) {
            Ok(body) => Reply {
                status: 200,
                content_type: content_type(&index),
                body,
                location: None,
            },
            Err(_) => not_found(),
        };
    }
    match std::fs::read(&file) {
        Ok(body) => Reply {
            status: 200,
            content_type: content_type(&file),
            body,
            location: None,
        },
        Err(_) => not_found(),
    }
}

/// Send a [`Reply`] for a tiny_http request.
pub fn respond(req: Request, r: Reply, extra_headers: &[(&str, &str)]) {
    let mut resp = Response::new(
        StatusCode(r.status),
        Vec::new(),
        Cursor::new(r.body.clone()),
        Some(r.body.len()),
        None,
    );
    let mut add = |k: &str, v: &str| {
        if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            resp.add_header(h);
        }
    };
    add("Content-Type", r.content_type);
    add("X-Content-Type-Options", "nosniff");
    add("Cache-Control", "no-cache");
    if let Some(loc) = &r.location {
        add("Location", loc);
    }
    for (k, v) in extra_headers {
        add(k, v);
    }
    let _ = req.respond(resp);
}

/// A tiny_http server with a pool of workers running `handler`; stops when dropped.
struct Pool {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    fn start(
        addr: &str,
        handler: impl Fn(Request) + Send + Sync + 'static,
    ) -> std::io::Result<(Pool, u16)> {
        let server =
            Arc::new(Server::http(addr).map_err(|e| std::io::Error::other(e.to_string()))?);
        let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
        let handler = Arc::new(handler);
        let workers = (0..4)
            .map(|_| {
                let (server, handler) = (server.clone(), handler.clone());
                std::thread::spawn(move || {
                    for req in server.incoming_requests() {
                        handler(req);
                    }
                })
            })
            .collect();
        Ok((Pool { server, workers }, port))
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A running static server (used by tests). Stops when dropped.
pub struct StaticServer {
    _pool: Pool,
    pub port: u16,
}

impl StaticServer {
    /// Serve `root` (a built site with base path `base`) on `addr`, e.g. `127.0.0.1:0`.
    pub fn start(root: PathBuf, addr: &str, base: &str) -> std::io::Result<StaticServer> {
        let base = base.to_string();
        let (pool, port) = Pool::start(addr, move |req| {
            let r = reply(&root, req.url(), &base);
            respond(req, r, &[]);
        })?;
        Ok(StaticServer { _pool: pool, port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        for bad in [
            "/../secret",
            "/a/../../secret",
            "/%2e%2e/secret",
            "/%2E%2E%2Fsecret",
            "/..%5csecret",
            "/a\\..\\..\\secret",
            "/%00",
        ] {
            assert!(resolve(&root, bad).is_none(), "{bad}");
        }
        // Double-encoded dots are a literal file name, not a parent: still inside the root.
        let p = resolve(&root, "/%252e%252e/secret").unwrap();
        assert!(p.starts_with(root.canonicalize().unwrap()));
        assert!(resolve(&root, "/a/").is_some());
    }
}

/// The dev server's view of the site: the last good build in memory, the current problems
/// (shown as an overlay on every page), and a generation number the browser polls.
#[derive(Default)]
pub struct State {
    pub files: std::collections::HashMap<String, Arc<[u8]>>,
    pub generation: u64,
    /// Problems of the latest rebuild; the site served is the last good one.
    pub problems: Option<Vec<String>>,
    /// What downloads, sitemap and search are made from, on first request after a rebuild
    /// (so a rebuild, and the reload after it, does not wait for them).
    pub late: Option<Arc<Late>>,
}

/// Inputs of the outputs the dev server makes on request, and those outputs once made.
pub struct Late {
    catalog: crate::catalog::Catalog,
    site: crate::render::SiteInfo,
    origin: String,
    paths: Vec<String>,
    made: std::sync::OnceLock<LateOutputs>,
}

/// Downloads, sitemap, search shards, and the tantivy index for `/api/search`.
pub struct LateOutputs {
    pub files: std::collections::HashMap<String, Arc<[u8]>>,
    pub search: Option<(tantivy::Index, tantivy::IndexReader)>,
}

impl Late {
    /// Make the outputs on first use (concurrent callers wait for the one making them).
    pub fn outputs(&self) -> &LateOutputs {
        self.made.get_or_init(|| {
            let mut files: std::collections::HashMap<String, Arc<[u8]>> =
                crate::site::downloads(&self.catalog, &self.site, &self.origin, &self.paths)
                    .into_iter()
                    .map(|p| (p.path, p.content))
                    .collect();
            let mut search = None;
            if let Ok((index, shards)) =
                crate::site::search_outputs(&self.catalog, &mut crate::site::SiteCache::off())
            {
                files.extend(shards.into_iter().map(|p| (p.path, p.content)));
                search = index.reader().ok().map(|r| (index, r));
            }
            LateOutputs { files, search }
        })
    }
}

/// Files produced by the build, or on request.
fn late_of(shared: &Shared) -> Option<Arc<Late>> {
    let (lock, _) = &**shared;
    lock.lock().unwrap_or_else(|e| e.into_inner()).late.clone()
}

/// State shared between the rebuilding thread and the HTTP workers.
pub type Shared = Arc<(std::sync::Mutex<State>, std::sync::Condvar)>;

/// What one rebuild did, for logs, tests and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rebuild {
    /// Definition files parsed (not reused).
    pub parsed: usize,
    pub rendered: usize,
    pub reused: usize,
    pub ok: bool,
    pub elapsed: std::time::Duration,
}

/// A site rebuilt in memory as its sources change.
pub struct LiveSite {
    opts: crate::site::Options,
    loader: crate::site::Loader,
    cache: crate::site::SiteCache,
    shared: Shared,
}

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

impl LiveSite {
    pub fn new(mut opts: crate::site::Options) -> LiveSite {
        opts.build_time.get_or_insert_with(crate::site::build_time);
        let cache = crate::site::SiteCache::lazy();
        LiveSite {
            opts,
            loader: crate::site::Loader::errors_only(),
            cache,
            shared: Arc::new(Default::default()),
        }
    }

    pub fn shared(&self) -> Shared {
        self.shared.clone()
    }

    /// Rebuild after `changed` paths changed on disk (empty: first build). Only changed
    /// definitions are re-read and only pages whose inputs changed are re-rendered; a template
    /// change re-renders everything. On failure the last good site stays and the problems are
    /// published for the overlay.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Rebuild {
        let started = std::time::Instant::now();
        for p in changed {
            let under = |d: &Option<PathBuf>| {
                d.as_ref().is_some_and(|d| {
                    p.starts_with(d)
                        || p.canonicalize()
                            .is_ok_and(|c| d.canonicalize().is_ok_and(|d| c.starts_with(d)))
                })
            };
            if under(&self.opts.templates) {
                self.cache.templates_changed();
            } else if p.extension().is_some_and(|e| e == "json") {
                self.loader.invalidate_all(); // a schema changed
            } else {
                self.loader.invalidate(p);
            }
        }
        let load_started = std::time::Instant::now();
        let (loaded, parsed) = self.loader.load_after(&self.opts.definitions, changed);
        let load_time = load_started.elapsed();
        let mut report = Rebuild {
            parsed,
            ..Default::default()
        };
        let problems: Option<Vec<String>> = if loaded.diagnostics.has_errors() {
            Some(
                loaded
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == crate::diagnostics::Severity::Error)
                    .map(|d| {
                        format!(
                            "{}: {}{}",
                            d.location(),
                            d.message,
                            d.snippet
                                .as_ref()
                                .map(|s| format!("\n    {s}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect(),
            )
        } else {
            match crate::site::render_site(&loaded, &self.opts, &mut self.cache, None) {
                Ok(r) => {
                    if std::env::var_os("METRICDICT_TIMINGS").is_some() {
                        let stages: Vec<String> = r
                            .timings
                            .0
                            .iter()
                            .map(|(s, d)| format!("{s} {:.1} ms", d.as_secs_f64() * 1e3))
                            .collect();
                        eprintln!(
                            "rebuild: load {:.1} ms, {}",
                            load_time.as_secs_f64() * 1e3,
                            stages.join(", ")
                        );
                    }
                    report.rendered = r.stats.rendered;
                    report.reused = r.stats.reused;
                    let paths: Vec<String> = r.files.iter().map(|p| p.path.clone()).collect();
                    let files = r.files.into_iter().map(|p| (p.path, p.content)).collect();
                    let late = self.cache.site.clone().map(|(site, origin)| {
                        Arc::new(Late {
                            catalog: loaded.catalog,
                            site,
                            origin,
                            paths,
                            made: Default::default(),
                        })
                    });
                    let (lock, cvar) = &*self.shared;
                    let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                    st.files = files;
                    st.late = late;
                    st.problems = None;
                    st.generation += 1;
                    cvar.notify_all();
                    report.ok = true;
                    None
                }
                Err(e) => Some(vec![e]),
            }
        };
        if let Some(problems) = problems {
            let (lock, cvar) = &*self.shared;
            let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
            st.problems = Some(problems);
            st.generation += 1;
            cvar.notify_all();
        }
        report.elapsed = started.elapsed();
        report
    }

    /// Folders to watch: definitions, templates, static assets.
    pub fn watched(&self) -> Vec<PathBuf> {
        let mut v = self.opts.definitions.clone();
        v.extend(self.opts.templates.clone());
        v.extend(self.opts.static_dir.clone());
        v.into_iter().filter(|p| p.exists()).collect()
    }
}

const POLL_PATH: &str = "__metricdict/poll";
/// Longest a reload poll is held open before it answers "no change".
const POLL_WAIT: std::time::Duration = std::time::Duration::from_secs(25);

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The reload script and, when the latest rebuild failed, the problem overlay; injected before
/// `</body>` of every HTML response so custom templates cannot lose them.
fn live_snippet(base: &str, generation: u64, problems: Option<&[String]>) -> String {
    let mut s = String::new();
    if let Some(problems) = problems {
        s.push_str("<div id=\"metricdict-overlay\" role=\"alertdialog\" aria-label=\"Build problems\" style=\"position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;background:#2b0b0b;color:#ffe9e9;font:13px/1.5 ui-monospace,monospace;padding:16px 20px;border-top:4px solid #e5484d;box-shadow:0 -8px 24px rgba(0,0,0,.4)\"><strong style=\"font-size:15px\">The last edit broke the build; showing the last good version.</strong><ul style=\"margin:8px 0 0;padding-left:18px\">");
        for p in problems {
            s.push_str("<li style=\"white-space:pre-wrap\">");
            s.push_str(&html_escape(p));
            s.push_str("</li>");
        }
        s.push_str("</ul></div>");
    }
    s.push_str(&format!(
        "<script>(function(){{var g={generation};function poll(){{fetch('{base}{POLL_PATH}?gen='+g,{{cache:'no-store'}}).then(function(r){{return r.json()}}).then(function(j){{if(j.generation!==g){{location.reload()}}else{{poll()}}}}).catch(function(){{setTimeout(poll,1000)}})}}poll()}})();</script>"
    ));
    s
}

/// Answer one request from the in-memory site.
pub fn live_reply(shared: &Shared, base: &str, url: &str) -> Reply {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode_str(path).decode_utf8_lossy().into_owned();
    let not_found = |st: &State| Reply {
        status: 404,
        content_type: "text/html; charset=utf-8",
        body: st
            .files
            .get("404.html")
            .map(|b| b.to_vec())
            .unwrap_or_else(|| b"not found".to_vec()),
        location: None,
    };
    // Downloads, sitemap and search shards are made on first request after a rebuild.
    if let Some(rest) = decoded.strip_prefix(base) {
        let late_file = [
            "metrics.json",
            "metrics.csv",
            "events.json",
            "events.csv",
            "sitemap.xml",
        ]
        .contains(&rest)
            || rest.starts_with("search/shards/");
        if late_file {
            if let Some(body) = late_of(shared).and_then(|l| l.outputs().files.get(rest).cloned()) {
                return Reply {
                    status: 200,
                    content_type: content_type(Path::new(rest)),
                    body: body.to_vec(),
                    location: None,
                };
            }
        }
    }
    let (lock, _) = &**shared;
    let st = lock.lock().unwrap_or_else(|e| e.into_inner());
    let Some(rest) = decoded.strip_prefix(base) else {
        if decoded == "/" || decoded == base.trim_end_matches('/') {
            return Reply {
                status: 302,
                content_type: "text/plain; charset=utf-8",
                body: Vec::new(),
                location: Some(base.to_string()),
            };
        }
        return not_found(&st);
    };
    // Only names the build produced can be served: a map lookup, never a file-system path.
    let key = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    let (status, key) = match st.files.get(&key) {
        Some(_) => (200, key),
        None if st.files.contains_key(&format!("{key}/index.html")) => {
            return Reply {
                status: 301,
                content_type: "text/plain; charset=utf-8",
                body: Vec::new(),
                location: Some(format!("{path}/")),
            };
        }
        None => (404, "404.html".to_string()),
    };
    let Some(body) = st.files.get(&key) else {
        return not_found(&st);
    };
    let ctype = content_type(Path::new(&key));
    let mut body = body.to_vec();
    if ctype.starts_with("text/html") {
        let snippet = live_snippet(base, st.generation, st.problems.as_deref());
        let html = String::from_utf8_lossy(&body);
        let at = html.rfind("</body>").unwrap_or(html.len());
        let mut out = String::with_capacity(html.len() + snippet.len());
        out.push_str(&html[..at]);
        out.push_str(&snippet);
        out.push_str(&html[at..]);
        body = out.into_bytes();
    }
    Reply {
        status,
        content_type: ctype,
        body,
        location: None,
    }
}

/// `/api/search?q=…&limit=…`: the last good build's tantivy index, as `metricdict search`.
fn api_search(shared: &Shared, url: &str) -> Reply {
    let params: std::collections::HashMap<String, String> = url
        .split_once('?')
        .map(|(_, qs)| {
            qs.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        percent_decode_str(&v.replace('+', " "))
                            .decode_utf8_lossy()
                            .into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let q = params.get("q").cloned().unwrap_or_default();
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20usize)
        .min(1000);
    let late = late_of(shared);
    let body = match late.as_ref().and_then(|l| l.outputs().search.as_ref()) {
        Some((index, reader)) => match crate::search::search_index(index, reader, &q, limit) {
            Ok(hits) => serde_json::to_vec(&hits).unwrap_or_default(),
            Err(e) => {
                return Reply {
                    status: 500,
                    content_type: "text/plain; charset=utf-8",
                    body: e.to_string().into_bytes(),
                    location: None,
                }
            }
        },
        None => b"[]".to_vec(),
    };
    Reply {
        status: 200,
        content_type: "application/json",
        body,
        location: None,
    }
}

/// Wait until the generation differs from `seen` (or the wait times out); answer the current one.
fn poll_reply(shared: &Shared, url: &str) -> Reply {
    let seen: Option<u64> = url
        .split_once("gen=")
        .and_then(|(_, g)| g.split('&').next()?.parse().ok());
    let (lock, cvar) = &**shared;
    let st = lock.lock().unwrap_or_else(|e| e.into_inner());
    let (st, _) = cvar
        .wait_timeout_while(st, POLL_WAIT, |s| Some(s.generation) == seen)
        .unwrap_or_else(|e| e.into_inner());
    let body = serde_json::json!({"generation": st.generation, "problems": st.problems})
        .to_string()
        .into_bytes();
    Reply {
        status: 200,
        content_type: "application/json",
        body,
        location: None,
    }
}

/// A running dev server. Stops when dropped.
pub struct LiveServer {
    _pool: Pool,
    pub port: u16,
}

impl LiveServer {
    /// Serve the live site on `addr`. Reload polls get a thread each (they wait); other
    /// requests are answered by the pool.
    pub fn start(shared: Shared, addr: &str, base: &str) -> std::io::Result<LiveServer> {
        let base = base.to_string();
        let (pool, port) = Pool::start(addr, move |req| {
            let url = req.url().to_string();
            if url.starts_with(&format!("{base}{POLL_PATH}")) {
                let shared = shared.clone();
                std::thread::spawn(move || respond(req, poll_reply(&shared, &url), &[]));
            } else if url.starts_with(&format!("{base}api/search")) {
                respond(req, api_search(&shared, &url), &[]);
            } else {
                respond(req, live_reply(&shared, &base, &url), &[]);
            }
        })?;
        Ok(LiveServer { _pool: pool, port })
    }
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
