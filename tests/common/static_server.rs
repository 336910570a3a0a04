//! A static file server for the tests: serves a built site from disk, only files below its
//! root (traversal-safe), as a static host would. The dev server serves from memory instead.
#![allow(dead_code)]

use metricdict::serve::http::{content_type, Reply};
use percent_encoding::percent_decode_str;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

/// A running static server (used by tests). Stops when dropped.
///
/// A thread per connection, one request per connection, written with std only: served by
/// tiny_http, a page's eight parallel requests now and then left one unanswered (the page
/// never finished loading), which made the browser tests flaky. (The dev server puts its own
/// request reader in front of tiny_http; see serve::guard.)
pub struct StaticServer {
    stop: Arc<AtomicBool>,
    pub port: u16,
}

impl StaticServer {
    /// Serve `root` (a built site with base path `base`) on `addr`, e.g. `127.0.0.1:0`.
    pub fn start(root: PathBuf, addr: &str, base: &str) -> std::io::Result<StaticServer> {
        let listener = TcpListener::bind(addr)?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, base, stopped) = (Arc::new(root), Arc::new(base.to_string()), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (root, base) = (root.clone(), base.clone());
                std::thread::spawn(move || answer(conn, &root, &base));
            }
        });
        Ok(StaticServer { stop, port })
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
    }
}

fn answer(mut conn: TcpStream, root: &Path, base: &str) {
    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut parts = text.lines().next().unwrap_or("").split(' ');
    let (method, url) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let r = reply(root, url, base);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\nConnection: close\r\n",
        r.status,
        r.content_type,
        r.body.len()
    );
    if let Some(loc) = &r.location {
        out.push_str(&format!("Location: {loc}\r\n"));
    }
    out.push_str("\r\n");
    let _ = conn.write_all(out.as_bytes());
    if method != "HEAD" {
        let _ = conn.write_all(&r.body);
    }
    let _ = conn.flush();
}

/// Traversal attempts never leave the root (called from the serve tests).
pub fn check_traversal_is_refused() {
    {
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
