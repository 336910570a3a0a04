//! A static file server for the tests: serves a built site from disk, only files below its
//! root (traversal-safe), as a static host would. The dev server serves from memory instead.
#![allow(dead_code)]

use metricdict::serve::http::{content_type, respond, Pool, Reply};
use percent_encoding::percent_decode_str;
use std::path::{Component, Path, PathBuf};

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
