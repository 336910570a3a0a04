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

/// A running static server (used by tests and `serve`). Stops when dropped.
pub struct StaticServer {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
    pub port: u16,
}

impl StaticServer {
    /// Serve `root` (a built site with base path `base`) on `addr`, e.g. `127.0.0.1:0`.
    pub fn start(root: PathBuf, addr: &str, base: &str) -> std::io::Result<StaticServer> {
        let server =
            Arc::new(Server::http(addr).map_err(|e| std::io::Error::other(e.to_string()))?);
        let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
        let mut workers = Vec::new();
        for _ in 0..4 {
            let (server, root, base) = (server.clone(), root.clone(), base.to_string());
            workers.push(std::thread::spawn(move || {
                for req in server.incoming_requests() {
                    let r = reply(&root, req.url(), &base);
                    respond(req, r, &[]);
                }
            }));
        }
        Ok(StaticServer {
            server,
            workers,
            port,
        })
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        for _ in 1..self.workers.len() {
            self.server.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
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
