//! The dev server's HTTP side: the last good build from memory, by exact name (no file-system
//! paths, so no traversal), with the reload script injected into every page; `/api/search`;
//! and the long poll that tells a page to reload.
//!
//! tiny_http reads each connection on its own thread, so a stalled client never blocks the
//! others; a small pool of workers answers the parsed requests.

use super::guard;
use super::live::{self, live_snippet, POLL_PATH, POLL_WAIT};
use super::{OnDemand, Shared, State};
use crate::model::layout;
use percent_encoding::percent_decode_str;
use std::io::Cursor;
use std::path::Path;
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
pub struct Pool {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// A pool answering requests to a TCP address (`127.0.0.1:0`); also returns the port.
    pub fn start(
        addr: &str,
        handler: impl Fn(Request) + Send + Sync + 'static,
    ) -> std::io::Result<(Pool, u16)> {
        let server = Server::http(addr).map_err(|e| std::io::Error::other(e.to_string()))?;
        let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
        Ok((Pool::new(server, handler), port))
    }

    /// A pool answering the requests of `server`.
    pub fn new(server: Server, handler: impl Fn(Request) + Send + Sync + 'static) -> Pool {
        let server = Arc::new(server);
        let handler = Arc::new(handler);
        let workers = (0..4)
            .map(|_| {
                let (server, handler) = (server.clone(), handler.clone());
                std::thread::spawn(move || {
                    for req in server.incoming_requests() {
                        // A handler that panics loses its request (the connection closes),
                        // never the worker: the pool keeps its size.
                        let handler = &handler;
                        let run = std::panic::AssertUnwindSafe(move || handler(req));
                        if std::panic::catch_unwind(run).is_err() {
                            eprintln!("warning: a request handler panicked; still serving");
                        }
                    }
                })
            })
            .collect();
        Pool { server, workers }
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

/// The outputs made on request, of the build being served.
fn on_demand(shared: &Shared) -> Option<Arc<OnDemand>> {
    let (lock, _) = &**shared;
    lock.lock()
        .unwrap_or_else(|e| e.into_inner())
        .on_demand
        .clone()
}

impl Reply {
    fn redirect(status: u16, location: String) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Vec::new(),
            location: Some(location),
        }
    }

    fn not_found(st: &State) -> Reply {
        Reply {
            status: 404,
            content_type: "text/html; charset=utf-8",
            body: st
                .files
                .get(layout::NOT_FOUND_FILE)
                .map(|b| b.to_vec())
                .unwrap_or_else(|| b"not found".to_vec()),
            location: None,
        }
    }
}

/// Downloads, sitemap and search shards: made on first request after a rebuild.
fn on_demand_reply(shared: &Shared, rest: &str) -> Option<Reply> {
    let made = || on_demand(shared);
    let body = if layout::DOWNLOADS.contains(&rest)
        || layout::TABLE_DATA.contains(&rest)
        || rest == layout::SITEMAP
    {
        made()?.downloads().get(rest).cloned()?
    } else if rest
        .strip_prefix(layout::SHARD_DIR)
        .is_some_and(|r| r.starts_with('/'))
    {
        made()?.search().shards.get(rest).cloned()?
    } else {
        return None;
    };
    Some(Reply {
        status: 200,
        content_type: content_type(Path::new(rest)),
        body: body.to_vec(),
        location: None,
    })
}

/// An HTML page with the reload script (and the overlay, if the last edit broke the build)
/// before its `</body>`.
fn with_live_snippet(html: &[u8], base: &str, st: &State) -> Vec<u8> {
    let snippet = live_snippet(base, st.generation, st.problems.as_deref());
    let html = String::from_utf8_lossy(html);
    let at = html.rfind("</body>").unwrap_or(html.len());
    let mut out = String::with_capacity(html.len() + snippet.len());
    out.push_str(&html[..at]);
    out.push_str(&snippet);
    out.push_str(&html[at..]);
    out.into_bytes()
}

/// Answer one request from the in-memory site.
pub fn live_reply(shared: &Shared, base: &str, url: &str) -> Reply {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode_str(path).decode_utf8_lossy().into_owned();
    if let Some(reply) = decoded
        .strip_prefix(base)
        .and_then(|rest| on_demand_reply(shared, rest))
    {
        return reply;
    }
    let (lock, _) = &**shared;
    let st = lock.lock().unwrap_or_else(|e| e.into_inner());
    let Some(rest) = decoded.strip_prefix(base) else {
        if decoded == "/" || decoded == base.trim_end_matches('/') {
            return Reply::redirect(302, base.to_string());
        }
        return Reply::not_found(&st);
    };
    // Only names the build produced can be served: a map lookup, never a file-system path.
    let key = if rest.is_empty() || rest.ends_with('/') {
        layout::page_file(rest)
    } else {
        rest.to_string()
    };
    let (status, key) = match st.files.get(&key) {
        Some(_) => (200, key),
        None if st
            .files
            .contains_key(&layout::page_file(&format!("{key}/"))) =>
        {
            return Reply::redirect(301, format!("{path}/"));
        }
        None => (404, layout::NOT_FOUND_FILE.to_string()),
    };
    let Some(body) = st.files.get(&key) else {
        return Reply::not_found(&st);
    };
    let content_type = content_type(Path::new(&key));
    let body = if content_type.starts_with("text/html") {
        with_live_snippet(body, base, &st)
    } else {
        body.to_vec()
    };
    Reply {
        status,
        content_type,
        body,
        location: None,
    }
}

impl Reply {
    fn asset(content_type: &'static str, body: &str) -> Reply {
        Reply {
            status: 200,
            content_type,
            body: body.as_bytes().to_vec(),
            location: None,
        }
    }

    fn text(status: u16, message: String) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: message.into_bytes(),
            location: None,
        }
    }
}

/// `/api/search?q=…&limit=…`: the last good build's tantivy index, as `metricdict search`.
/// Bad parameters are the client's fault: 400 with what was wrong.
fn api_search(shared: &Shared, url: &str) -> Reply {
    use crate::search::QueryError;
    let query = url.split_once('?').map_or("", |(_, qs)| qs);
    let params: std::collections::HashMap<String, String> =
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    let q = params.get("q").cloned().unwrap_or_default();
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            let max = crate::search::MAX_LIMIT;
            return Reply::text(400, format!("limit must be a number from 1 to {max}"));
        }
    };
    let made = on_demand(shared);
    let Some(engine) = made.as_ref().and_then(|l| l.search().engine.clone()) else {
        return Reply::text(503, "the search index is not ready; try again".into());
    };
    match engine.search(&q, limit) {
        Ok(found) => Reply {
            status: 200,
            content_type: "application/json",
            body: serde_json::to_vec(&found.hits).unwrap_or_default(),
            location: None,
        },
        Err(QueryError::Index(e)) => Reply::text(500, format!("search index: {e}")),
        Err(e) => Reply::text(400, e.to_string()),
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

/// A running dev server: the guard on the public address, tiny_http behind it on a private
/// Unix socket. Stops when dropped.
pub struct LiveServer {
    _pool: Pool,
    pub port: u16,
    addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    socket_dir: std::path::PathBuf,
}

/// A folder only this user can enter, for the server's Unix socket.
fn private_dir() -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "metricdict-serve-{}-{nanos:08x}",
        std::process::id()
    ));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

impl LiveServer {
    /// Serve the live site on `addr` (`host:port`). Reload polls get a thread each (they
    /// wait); other requests are answered by the pool. Only loopback `Host:` names are
    /// answered unless `addr` is not a loopback address.
    pub fn start(shared: Shared, addr: &str, base: &str) -> std::io::Result<LiveServer> {
        let listener = std::net::TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let hosts = guard::Hosts::for_bind_address(host);
        let socket_dir = private_dir()?;
        let socket = socket_dir.join("http.sock");
        let server =
            Server::http_unix(&socket).map_err(|e| std::io::Error::other(e.to_string()))?;
        let base = base.to_string();
        let pool = Pool::new(server, move |req| {
            let url = req.url().to_string();
            if url.starts_with(&format!("{base}{POLL_PATH}")) {
                let shared = shared.clone();
                std::thread::spawn(move || respond(req, poll_reply(&shared, &url), &[]));
            } else if url.starts_with(&format!("{base}api/search")) {
                respond(req, api_search(&shared, &url), &[]);
            } else if url.starts_with(&format!("{base}{}", live::SCRIPT_PATH)) {
                respond(
                    req,
                    Reply::asset("text/javascript; charset=utf-8", live::SCRIPT),
                    &[],
                );
            } else if url.starts_with(&format!("{base}{}", live::STYLE_PATH)) {
                respond(
                    req,
                    Reply::asset("text/css; charset=utf-8", live::STYLE),
                    &[],
                );
            } else {
                respond(req, live_reply(&shared, &base, &url), &[]);
            }
        });
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || guard::run(listener, socket, hosts, flag));
        Ok(LiveServer {
            _pool: pool,
            port: local.port(),
            addr: local,
            stop,
            socket_dir,
        })
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the guard's accept so it sees the flag.
        let wake = if self.addr.ip().is_unspecified() {
            std::net::SocketAddr::from(([127, 0, 0, 1], self.addr.port()))
        } else {
            self.addr
        };
        let _ = std::net::TcpStream::connect_timeout(&wake, std::time::Duration::from_secs(1));
        let _ = std::fs::remove_dir_all(&self.socket_dir);
    }
}
