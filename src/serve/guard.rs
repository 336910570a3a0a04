//! The dev server's front door. tiny_http (0.12, the newest release) reads a request's line and
//! headers without any limit, answers every method and every `Host:`, so it sits behind this
//! guard on a private Unix socket: the guard reads each request's head itself, with limits, and
//! forwards only GET and HEAD requests for a loopback host (unless `--host` opened the server to
//! the network), one request per connection.
//!
//! A bounded reader in front rather than a patched tiny_http: the limits then hold whatever
//! tiny_http does inside, and no fork of it has to be kept up to date.

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Longest request line (method, target, version).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Most bytes of request line and headers together.
pub const MAX_HEAD: usize = 32 * 1024;
/// Most header lines.
pub const MAX_HEADERS: usize = 100;
/// How long a client may take to send its request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections handled at once; more are answered 503 at once.
pub const MAX_CONNECTIONS: usize = 512;

/// Which `Host:` values are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosts {
    /// Loopback names only (`localhost`, `127.0.0.1`, `[::1]`): a page on another site that
    /// rebinds its DNS name to 127.0.0.1 cannot read the dev server.
    Loopback,
    /// Any name: the server was bound to a network address on purpose.
    Any,
}

impl Hosts {
    /// What a server bound to `bind` (an address or host name) should answer.
    pub fn for_bind_address(bind: &str) -> Hosts {
        if is_loopback_name(bind) {
            Hosts::Loopback
        } else {
            Hosts::Any
        }
    }
}

/// `localhost`, `*.localhost`, `127.x.x.x`, `::1` (with or without brackets and port).
pub fn is_loopback_name(host: &str) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or("")
    } else {
        host
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A request head that was refused, with the status to answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: &'static str,
    pub message: String,
}

fn refuse(status: u16, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason,
        message: message.into(),
    }
}

/// Read a request head (up to and including the blank line) from `r`, within the limits.
/// `Ok(None)`: the client closed or went quiet before sending a whole head.
pub fn read_head(r: &mut impl Read) -> Result<Option<Vec<u8>>, Refusal> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&head, b"\r\n\r\n") {
            if end + 4 > MAX_HEAD {
                return Err(too_large());
            }
            head.truncate(end + 4);
            return Ok(Some(head));
        }
        let line_end = find(&head, b"\r\n").unwrap_or(head.len());
        if line_end > MAX_REQUEST_LINE {
            return Err(refuse(
                414,
                "URI Too Long",
                format!("the request line is longer than {MAX_REQUEST_LINE} bytes"),
            ));
        }
        if head.len() > MAX_HEAD {
            return Err(too_large());
        }
        let n = match r.read(&mut chunk) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => n,
        };
        head.extend_from_slice(&chunk[..n]);
    }
}

fn too_large() -> Refusal {
    refuse(
        431,
        "Request Header Fields Too Large",
        format!("the request head is larger than {MAX_HEAD} bytes"),
    )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Check a request head and rewrite it for the server behind the guard: one request per
/// connection (`Connection: close`).
pub fn admit(head: &[u8], hosts: Hosts) -> Result<Vec<u8>, Refusal> {
    let text = std::str::from_utf8(head)
        .map_err(|_| refuse(400, "Bad Request", "the request head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(target), Some(version), None) = (method, target, version, parts.next())
    else {
        return Err(refuse(400, "Bad Request", "malformed request line"));
    };
    if !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(refuse(400, "Bad Request", "malformed request line"));
    }
    if method != "GET" && method != "HEAD" {
        return Err(refuse(
            405,
            "Method Not Allowed",
            format!("{method} is not supported: the dev server only serves pages (GET, HEAD)"),
        ));
    }
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    if headers.len() > MAX_HEADERS {
        return Err(refuse(
            431,
            "Request Header Fields Too Large",
            format!("more than {MAX_HEADERS} header lines"),
        ));
    }
    let value = |name: &str| {
        headers.iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    match (hosts, value("host")) {
        (Hosts::Any, _) => {}
        (Hosts::Loopback, Some(h)) if is_loopback_name(h) => {}
        (Hosts::Loopback, _) => {
            return Err(refuse(
                403,
                "Forbidden",
                "this dev server answers only requests for \
                localhost; start it with --host to serve it to other names",
            ));
        }
    }
    let mut out = String::with_capacity(head.len() + 24);
    out.push_str(request_line);
    out.push_str("\r\n");
    for h in &headers {
        let name = h.split(':').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    Ok(out.into_bytes())
}

fn answer(client: &mut TcpStream, r: &Refusal) {
    let allow = if r.status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let body = format!("{}\n", r.message);
    let _ = write!(
        client,
        "HTTP/1.1 {} {}\r\n{allow}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        r.status,
        r.reason,
        body.len()
    );
    let _ = client.flush();
}

/// Serve one client connection: read and check its head, forward it to `backend`, copy the
/// answer back.
fn handle(mut client: TcpStream, backend: &PathBuf, hosts: Hosts) -> io::Result<()> {
    client.set_read_timeout(Some(HEAD_TIMEOUT))?;
    let head = match read_head(&mut client) {
        Ok(Some(head)) => head,
        Ok(None) => return Ok(()),
        Err(r) => {
            answer(&mut client, &r);
            return Ok(());
        }
    };
    let head = match admit(&head, hosts) {
        Ok(head) => head,
        Err(r) => {
            answer(&mut client, &r);
            return Ok(());
        }
    };
    let mut server = UnixStream::connect(backend)?;
    server.write_all(&head)?;
    io::copy(&mut server, &mut client)?;
    client.flush()
}

/// Accept connections on `listener` and serve each on its own thread, forwarding admitted
/// requests to the Unix socket `backend`. Runs until `stop` is set (and one more connection
/// wakes it).
pub fn run(listener: TcpListener, backend: PathBuf, hosts: Hosts, stop: Arc<AtomicBool>) {
    let open = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut client) = conn else { continue };
        if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            answer(
                &mut client,
                &refuse(503, "Service Unavailable", "too many connections"),
            );
            continue;
        }
        open.fetch_add(1, Ordering::SeqCst);
        let (count, backend) = (open.clone(), backend.clone());
        let spawned = std::thread::Builder::new().spawn(move || {
            let _ = handle(client, &backend, hosts);
            count.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names() {
        for ok in [
            "localhost",
            "localhost:4000",
            "LOCALHOST.",
            "a.localhost:1",
            "127.0.0.1",
            "127.0.0.1:4000",
            "127.8.9.10",
            "[::1]",
            "[::1]:4000",
            "::1",
        ] {
            assert!(is_loopback_name(ok), "{ok}");
        }
        for bad in [
            "evil.example.com",
            "localhost.evil.com",
            "127.0.0.1.nip.io",
            "10.0.0.1",
            "[::2]",
            "",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_name(bad), "{bad}");
        }
    }

    #[test]
    fn heads_are_checked_and_made_single_use() {
        let ok = b"GET /a HTTP/1.1\r\nHost: localhost:4000\r\nConnection: keep-alive\r\n\r\n";
        let out = String::from_utf8(admit(ok, Hosts::Loopback).unwrap()).unwrap();
        assert_eq!(
            out,
            "GET /a HTTP/1.1\r\nHost: localhost:4000\r\nConnection: close\r\n\r\n"
        );
        let post = b"POST / HTTP/1.1\r\nHost: localhost\r\n\r\n";
        assert_eq!(admit(post, Hosts::Loopback).unwrap_err().status, 405);
        let evil = b"GET / HTTP/1.1\r\nHost: evil.example.com\r\n\r\n";
        assert_eq!(admit(evil, Hosts::Loopback).unwrap_err().status, 403);
        assert!(admit(evil, Hosts::Any).is_ok());
        let no_host = b"GET / HTTP/1.1\r\n\r\n";
        assert_eq!(admit(no_host, Hosts::Loopback).unwrap_err().status, 403);
        assert_eq!(admit(b"GET\r\n\r\n", Hosts::Any).unwrap_err().status, 400);
    }

    #[test]
    fn heads_are_read_within_limits() {
        let long_line = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_REQUEST_LINE + 10));
        assert_eq!(
            read_head(&mut long_line.as_bytes()).unwrap_err().status,
            414
        );
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD + 10));
        assert_eq!(read_head(&mut big.as_bytes()).unwrap_err().status, 431);
        let whole = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nextra";
        assert_eq!(
            read_head(&mut &whole[..]).unwrap().unwrap(),
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        assert_eq!(read_head(&mut &b"GET / HT"[..]).unwrap(), None);
    }
}
