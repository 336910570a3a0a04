//! Red-team regressions (issue 20): crashes and denial of service, secrets, hosts and methods,
//! losing or freezing work.
//!
//! These tests document the behaviour users will rely on once the issue is fixed; on the code
//! they were written against (3bbb6d0) most of them fail. They are black-box: only the binary
//! (`CARGO_BIN_EXE_metricdict`), std and the dev-dependencies, never the crate's internals. Every
//! child process runs under a deadline and is killed when a test ends, so no test can hang; the
//! network is used only on 127.0.0.1.
//!
//! Each test's doc comment quotes the issue line it covers (as restated in the lead's brief).

use crate::common;
use common::{bin, copy_dir, fixture};
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Helpers: bounded processes, a dev server as a child process, raw HTTP, a little JSON and CSV.
// ---------------------------------------------------------------------------------------------

const URL: &str = "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1";
const MR: &str = "config/metrics/counts_all/20210101000000_merge_requests.yml";
const MR_DESC: &str = "Count of the number of **merge requests**";
const MR_PAGE: &str = "/metrics/counts.merge_requests/";
/// Line and column of the `description:` value in [`metric_yaml`].
const DESC_LINE: f64 = 4.0;
const DESC_COL: f64 = 14.0;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// At most `max` characters of `text`, for failure messages.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let head: String = text.chars().take(max).collect();
        format!("{head}… ({} more bytes)", text.len() - head.len())
    }
}

/// A child process killed (and reaped) when dropped.
struct Guard(Child);

impl Guard {
    fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a bounded run of the binary did.
struct Ran {
    status: ExitStatus,
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
    timed_out: bool,
}

impl Ran {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    fn both(&self) -> String {
        format!("{}{}", self.out(), self.err())
    }
    fn summary(&self) -> String {
        format!(
            "{}{} after {:.1} s\n--- stdout ---\n{}\n--- stderr ---\n{}",
            match self.code {
                Some(c) => format!("exit {c}"),
                None => format!("{:?}", self.status),
            },
            if self.timed_out {
                " (killed: over its deadline)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64(),
            clip(&self.out(), 3000),
            clip(&self.err(), 3000)
        )
    }
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

/// Run `cmd` with no stdin; kill it after `limit`.
fn run_bounded(mut cmd: Command, limit: Duration) -> Ran {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("the command starts");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if started.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    Ran {
        status,
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
        timed_out,
    }
}

/// `metricdict ARGS` in `cwd`, killed after `secs`.
fn md(cwd: &Path, args: &[&str], secs: u64) -> Ran {
    let mut c = bin();
    c.current_dir(cwd).args(args);
    run_bounded(c, Duration::from_secs(secs))
}

/// `metricdict ARGS` under a 4 GiB address-space limit (`ulimit -v`), so a process that reads
/// an endless file fails instead of taking the machine's memory.
fn md_limited(cwd: &Path, args: &[&str], secs: u64) -> Ran {
    let mut c = Command::new("sh");
    c.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .arg("-c")
        .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_metricdict"))
        .args(args);
    run_bounded(c, Duration::from_secs(secs))
}

/// A scratch copy of tests/fixtures/basic at `at/defs`.
fn basic_defs(at: &Path) -> PathBuf {
    let d = at.join("defs");
    copy_dir(&fixture("basic"), &d);
    d
}

/// Every regular file below `dir` (symbolic links are not followed).
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// A file's content; `.gz` files decompressed.
fn content(p: &Path) -> Vec<u8> {
    let raw = fs::read(p).unwrap_or_default();
    if p.extension().is_some_and(|e| e == "gz") {
        let mut v = Vec::new();
        if flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut v)
            .is_ok()
        {
            return v;
        }
    }
    raw
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `build -d DEFS --out OUT EXTRA…`; panics with its output unless it exits 0.
fn build_ok(cwd: &Path, defs: &Path, out: &Path, extra: &[&str]) -> Ran {
    let mut args = vec!["build", "-d", s(defs), "--out", s(out)];
    args.extend_from_slice(extra);
    let r = md(cwd, &args, 300);
    assert_eq!(
        r.code,
        Some(0),
        "setup: build of {} failed: {}",
        defs.display(),
        r.summary()
    );
    r
}

/// A valid metric definition; `description` and `group` are YAML text (quote them yourself).
/// The description value is at line [`DESC_LINE`], column [`DESC_COL`].
fn metric_yaml(key_path: &str, description: &str, group: &str) -> String {
    format!(
        "---\ndata_category: operational\nkey_path: {key_path}\ndescription: {description}\n\
         product_group: {group}\nproduct_categories:\n- code_review_workflow\nvalue_type: number\n\
         status: active\ntime_frame: all\ndata_source: database\ntiers:\n- free\n- premium\n\
         - ultimate\nperformance_indicator_type:\n- customer_health_score\nmilestone: \"16.0\"\n\
         introduced_by_url: {URL}\n"
    )
}

/// A valid event definition; `description` is YAML text.
fn event_yaml(action: &str, description: &str) -> String {
    format!(
        "---\ndescription: {description}\ninternal_events: true\naction: {action}\nidentifiers:\n\
         - project\n- user\nproduct_group: code_review\nmilestone: '17.2'\n\
         introduced_by_url: {URL}\ntiers:\n- free\n- premium\n- ultimate\n"
    )
}

// --- JSON (just enough to read diagnostics and downloads) ---

#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

static NULL: J = J::Null;

impl J {
    fn get(&self, key: &str) -> &J {
        match self {
            J::Obj(m) => m.iter().find(|(k, _)| k == key).map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }
    fn str(&self) -> &str {
        match self {
            J::Str(s) => s,
            _ => "",
        }
    }
    fn num(&self) -> Option<f64> {
        match self {
            J::Num(n) => Some(*n),
            _ => None,
        }
    }
    fn items(&self) -> &[J] {
        match self {
            J::Arr(a) => a,
            _ => &[],
        }
    }
    /// Every string in the value, joined: to search a diagnostic's message, found and expected.
    fn strings(&self) -> String {
        match self {
            J::Str(s) => s.clone(),
            J::Arr(a) => a.iter().map(J::strings).collect::<Vec<_>>().join(" | "),
            J::Obj(m) => m
                .iter()
                .map(|(_, v)| v.strings())
                .collect::<Vec<_>>()
                .join(" | "),
            _ => String::new(),
        }
    }
}

fn parse_json(text: &str) -> Result<J, String> {
    let mut p = JsonParser {
        b: text.as_bytes(),
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.i != p.b.len() {
        return Err(format!("trailing data at byte {}", p.i));
    }
    Ok(v)
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }
    fn eat(&mut self, lit: &str) -> bool {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }
    fn fail(&self, want: &str) -> String {
        format!("JSON: expected {want} at byte {}", self.i)
    }
    fn value(&mut self) -> Result<J, String> {
        self.ws();
        match self.b.get(self.i) {
            None => Err(self.fail("a value")),
            Some(b'{') => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(J::Obj(m));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(self.fail("':'"));
                    }
                    let v = self.value()?;
                    m.push((k, v));
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(J::Obj(m));
                    }
                    return Err(self.fail("',' or '}'"));
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(J::Arr(a));
                }
                loop {
                    a.push(self.value()?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(J::Arr(a));
                    }
                    return Err(self.fail("',' or ']'"));
                }
            }
            Some(b'"') => Ok(J::Str(self.string()?)),
            Some(b't') if self.eat("true") => Ok(J::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(J::Bool(false)),
            Some(b'n') if self.eat("null") => Ok(J::Null),
            Some(_) => {
                let start = self.i;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                std::str::from_utf8(&self.b[start..self.i])
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .map(J::Num)
                    .ok_or_else(|| self.fail("a value"))
            }
        }
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.fail("4 hex digits"))?;
        self.i += 4;
        Ok(h)
    }
    fn string(&mut self) -> Result<String, String> {
        if !self.eat("\"") {
            return Err(self.fail("a string"));
        }
        let mut out = String::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.fail("end of string"));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = self.b.get(self.i).copied();
                    self.i += 1;
                    match e {
                        Some(b'n') => out.push('\n'),
                        Some(b't') => out.push('\t'),
                        Some(b'r') => out.push('\r'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'/') => out.push('/'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'"') => out.push('"'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.fail("an escape")),
                    }
                }
                _ => {
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.b.len() && (self.b[end] & 0xC0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(
                        std::str::from_utf8(&self.b[start..end]).map_err(|_| self.fail("UTF-8"))?,
                    );
                    self.i = end;
                }
            }
        }
    }
}

/// `check -d DEFS --format json EXTRA…`: the run and its diagnostics.
fn check_json(cwd: &Path, defs: &Path, extra: &[&str], secs: u64) -> (Ran, Vec<J>) {
    let mut args = vec!["check", "-d", s(defs), "--format", "json"];
    args.extend_from_slice(extra);
    let r = md(cwd, &args, secs);
    let diags = match parse_json(&r.out()) {
        Ok(J::Arr(a)) => a,
        _ => panic!(
            "check --format json did not print a JSON array: {}",
            r.summary()
        ),
    };
    (r, diags)
}

fn show(d: &J) -> String {
    format!(
        "{}:{}:{} {}[{}] {}",
        d.get("file").str(),
        d.get("line").num().unwrap_or(0.0),
        d.get("column").num().unwrap_or(0.0),
        d.get("severity").str(),
        d.get("rule").str(),
        clip(d.get("message").str(), 200)
    )
}

fn show_all(ds: &[J]) -> String {
    ds.iter().map(show).collect::<Vec<_>>().join("\n  ")
}

fn about<'a>(diags: &'a [J], file_end: &str) -> Vec<&'a J> {
    diags
        .iter()
        .filter(|d| d.get("file").str().ends_with(file_end))
        .collect()
}

// --- CSV (RFC 4180) ---

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut fresh = true; // at the start of a field
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if fresh => {
                quoted = true;
                fresh = false;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                fresh = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                fresh = true;
            }
            _ => {
                field.push(c);
                fresh = false;
            }
        }
    }
    if !fresh || !row.is_empty() || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The cell of `column` in the row whose `key_col` is `key`.
fn cell(table: &[Vec<String>], key_col: &str, key: &str, column: &str) -> Option<String> {
    let header = table.first()?;
    let k = header.iter().position(|h| h == key_col)?;
    let c = header.iter().position(|h| h == column)?;
    table
        .iter()
        .skip(1)
        .find(|r| r.get(k).map(String::as_str) == Some(key))
        .and_then(|r| r.get(c).cloned())
}

// --- The dev server as a child process, and raw HTTP ---

/// `metricdict serve --port 0 …` running as a child; killed when dropped.
struct Served {
    child: Guard,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Served {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// Start `metricdict serve --port 0 ARGS` in `cwd` and wait (90 s at most) for the address it
/// prints (`serving http://HOST:PORT/…`).
fn serve(cwd: &Path, args: &[&str]) -> Result<Served, String> {
    let mut c = bin();
    c.current_dir(cwd)
        .arg("serve")
        .args(["--port", "0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().map_err(|e| format!("serve did not start: {e}"))?;
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    {
        let log = log.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut line = Vec::new();
            while r.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let text = String::from_utf8_lossy(&line).into_owned();
                if text.contains("serving http://") {
                    let _ = tx.send(text.clone());
                }
                log.lock().unwrap().push_str(&text);
                line.clear();
            }
        });
    }
    let mut served = Served {
        child: Guard(child),
        port: 0,
        log,
    };
    let line = match rx.recv_timeout(Duration::from_secs(90)) {
        Ok(l) => l,
        Err(_) => {
            return Err(format!(
                "serve printed no address within 90 s ({:?}); stderr:\n{}",
                served.child.0.try_wait(),
                served.log()
            ))
        }
    };
    let authority = line
        .split("serving http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    served.port = authority
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| format!("no port in {line:?}"))?;
    // The file watcher is set up after the address is printed.
    std::thread::sleep(Duration::from_millis(800));
    Ok(served)
}

#[derive(Debug, Default)]
struct Resp {
    /// 0 when no status line came back.
    status: u16,
    head: String,
    body: Vec<u8>,
    timed_out: bool,
    error: Option<String>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
    /// The connection ended without any response (closed or reset by the server).
    fn closed_without_response(&self) -> bool {
        self.status == 0 && self.head.is_empty() && !self.timed_out
    }
    fn describe(&self) -> String {
        if self.status == 0 {
            format!(
                "no response ({})",
                if self.timed_out {
                    "timed out waiting".to_string()
                } else {
                    format!(
                        "connection closed{}",
                        self.error
                            .as_ref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    )
                }
            )
        } else {
            format!(
                "HTTP {} ({} body bytes: {:?})",
                self.status,
                self.body.len(),
                clip(&self.text(), 160)
            )
        }
    }
}

/// Send `request` to 127.0.0.1:`port` and read the response until the server closes the
/// connection (requests say `Connection: close`) or `timeout` passes.
fn exchange(port: u16, request: &[u8], timeout: Duration) -> Resp {
    let mut r = Resp::default();
    let mut st = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(st) => st,
        Err(e) => {
            r.error = Some(format!("connect: {e}"));
            return r;
        }
    };
    st.set_read_timeout(Some(timeout)).unwrap();
    st.set_write_timeout(Some(timeout)).unwrap();
    if let Err(e) = st.write_all(request) {
        // The server may have answered and closed early: still read what it sent.
        r.error = Some(format!("write: {e}"));
    }
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match st.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                r.timed_out = true;
                break;
            }
            Err(e) => {
                r.error.get_or_insert(format!("read: {e}"));
                break;
            }
        }
        if Instant::now() > deadline {
            r.timed_out = true;
            break;
        }
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match end {
        Some(e) => (&buf[..e], buf[e + 4..].to_vec()),
        None => (&buf[..], Vec::new()),
    };
    r.head = String::from_utf8_lossy(head).into_owned();
    r.body = body;
    if r.head.starts_with("HTTP/") {
        r.status = r
            .head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
    }
    r
}

fn request(port: u16, method: &str, path: &str, host: &str, timeout: Duration) -> Resp {
    let body_len = if method == "POST" || method == "PUT" {
        "Content-Length: 0\r\n"
    } else {
        ""
    };
    exchange(
        port,
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n{body_len}Connection: close\r\n\r\n")
            .as_bytes(),
        timeout,
    )
}

fn get(port: u16, path: &str) -> Resp {
    request(
        port,
        "GET",
        path,
        &format!("127.0.0.1:{port}"),
        Duration::from_secs(15),
    )
}

/// Poll `f` every 150 ms until it gives a value or `limit` passes.
fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Replace a file's content in place (same inode), as `cat new > file` does.
fn write_in_place(p: &Path, text: &str) {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    f.write_all(text.as_bytes()).unwrap();
}

/// Append to a file, as `cat more >> file` does.
fn append(p: &Path, text: &str) {
    let mut f = fs::OpenOptions::new().append(true).open(p).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n- {}",
        problems.len(),
        problems.join("\n- ")
    );
}

// =============================================================================================
// Crashes / DoS
// =============================================================================================

/// Issue 20, item 1: "`GET /api/search?q=merge&limit=0` on `metricdict serve` → HTTP 400 with a
/// text body mentioning `limit`; and after 8 such requests the server still answers `GET /`
/// with 200 (today workers die). Also `limit=abc` → 400, `limit=100000` → 400 (cap 1000,
/// message says the maximum)." Item 17: the worker pool survives handler panics (covered here).
#[test]
fn api_search_refuses_bad_limits_with_400_and_the_server_keeps_answering() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let host = format!("127.0.0.1:{port}");
    let mut problems = Vec::new();
    // A valid limit still works, so refusing every limit is no fix.
    let ok = get(port, "/api/search?q=merge&limit=1");
    match parse_json(&ok.text()) {
        Ok(J::Arr(hits)) if ok.status == 200 && hits.len() == 1 => {}
        _ => problems.push(format!(
            "limit=1: expected 200 with a JSON array of 1 hit, got {}",
            ok.describe()
        )),
    }
    for i in 1..=8 {
        let r = request(
            port,
            "GET",
            "/api/search?q=merge&limit=0",
            &host,
            Duration::from_secs(5),
        );
        if r.status != 400 || !r.text().contains("limit") {
            problems.push(format!(
                "limit=0, request {i}/8: expected 400 with a body naming `limit`, got {}",
                r.describe()
            ));
        }
    }
    let home = get(port, "/");
    if home.status != 200 {
        problems.push(format!(
            "after 8 requests with limit=0, GET / should still be 200 (workers alive), got {}",
            home.describe()
        ));
    }
    let r = request(
        port,
        "GET",
        "/api/search?q=merge&limit=abc",
        &host,
        Duration::from_secs(5),
    );
    if r.status != 400 || !r.text().contains("limit") {
        problems.push(format!(
            "limit=abc: expected 400 naming `limit`, got {}",
            r.describe()
        ));
    }
    let r = request(
        port,
        "GET",
        "/api/search?q=merge&limit=100000",
        &host,
        Duration::from_secs(5),
    );
    let names_max = {
        let t = r.text().replace("100000", "");
        t.contains("1000") || t.contains("1,000")
    };
    if r.status != 400 || !r.text().contains("limit") || !names_max {
        problems.push(format!(
            "limit=100000: expected 400 naming `limit` and the maximum 1000, got {}",
            r.describe()
        ));
    }
    let home = get(port, "/");
    if home.status != 200 {
        problems.push(format!(
            "finally, GET /: expected 200, got {}",
            home.describe()
        ));
    }
    drop(srv);
    assert_no_problems(&problems);
}

/// Issue 20, item 2: "`metricdict search merge --limit 0 --site <built site>` → exit code 2 and
/// stderr mentions `--limit`; not 101."
#[test]
fn search_cli_refuses_limit_zero_as_a_usage_error() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let site = tmp.path().join("site");
    build_ok(tmp.path(), &defs, &site, &["-q"]);
    let r = md(
        tmp.path(),
        &["search", "merge", "--limit", "0", "--site", s(&site)],
        60,
    );
    assert!(
        r.code == Some(2) && r.err().contains("--limit") && !r.err().contains("panicked"),
        "expected exit 2 with stderr naming `--limit` (not a panic, exit 101): {}",
        r.summary()
    );
    // The flag still works for valid values.
    let r = md(
        tmp.path(),
        &["search", "merge", "--limit", "1", "--site", s(&site)],
        60,
    );
    assert!(
        r.code == Some(0) && r.out().lines().count() == 1,
        "--limit 1: expected exit 0 and one hit: {}",
        r.summary()
    );
}

/// A tiny HTTP server on 127.0.0.1 answering every request with `302 Location: LOCATION`.
struct Redirector {
    port: u16,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Redirector {
    fn start(location: &str) -> Redirector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let response = format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut c) = conn else { continue };
                let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = c.write_all(response.as_bytes());
            }
        });
        Redirector {
            port,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Redirector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Issue 20, item 3: "`build --baseline http://127.0.0.1:<port>/` where a tiny test server
/// answers every request with `302 Location: file:///etc/passwd` → exit code 2, stderr names the
/// baseline URL and says redirect/scheme refused; never 101; nothing from /etc/passwd in
/// output."
#[test]
fn baseline_url_redirecting_to_a_file_url_is_refused() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let out = tmp.path().join("site");
    let redirector = Redirector::start("file:///etc/passwd");
    let authority = format!("127.0.0.1:{}", redirector.port);
    let url = format!("http://{authority}/");
    let r = md(
        tmp.path(),
        &[
            "build",
            "-d",
            s(&defs),
            "--out",
            s(&out),
            "--baseline",
            &url,
        ],
        120,
    );
    drop(redirector);
    let mut problems = Vec::new();
    if r.code != Some(2) {
        problems.push(format!(
            "expected exit 2 (could not run){}",
            if r.code == Some(101) {
                "; got a panic"
            } else {
                ""
            }
        ));
    }
    let err = r.err();
    let lower = err.to_lowercase();
    if !err.contains(&authority) {
        problems.push("stderr does not name the baseline URL".into());
    }
    if !(lower.contains("redirect") || lower.contains("scheme")) {
        problems.push("stderr does not say the redirect / file: scheme was refused".into());
    }
    let passwd_first = fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| p.lines().next().map(str::to_string))
        .unwrap_or_else(|| "root:x:0:0".into());
    if r.both().contains(&passwd_first) || r.both().contains("root:x:0:0") {
        problems.push("output contains /etc/passwd content".into());
    }
    if out.exists() {
        problems.push("--out was written although the build could not run".into());
    }
    if !problems.is_empty() {
        problems.push(format!("the run: {}", r.summary()));
    }
    assert_no_problems(&problems);
}

/// A baseline folder: a real build's `events.json`, and `metrics.json` left to the caller.
fn baseline_folder(tmp: &Path, defs: &Path) -> PathBuf {
    let real = tmp.join("real-baseline");
    build_ok(tmp, defs, &real, &["-q"]);
    let base = tmp.join("baseline");
    fs::create_dir_all(&base).unwrap();
    fs::copy(real.join("events.json"), base.join("events.json")).unwrap();
    base
}

/// Build with `--baseline BASE` under a memory limit, killed after 20 s; check exit 2 within
/// 10 s and that stderr matches `says`.
fn assert_baseline_refused(tmp: &Path, defs: &Path, base: &Path, says: &[&str], what: &str) {
    let out = tmp.join("site");
    let r = md_limited(
        tmp,
        &[
            "build",
            "-d",
            s(defs),
            "--out",
            s(&out),
            "--baseline",
            s(base),
        ],
        20,
    );
    let lower = r.err().to_lowercase();
    let mut problems = Vec::new();
    if r.timed_out {
        problems.push("the build was still running after 20 s (killed)".to_string());
    } else if r.elapsed > Duration::from_secs(10) {
        problems.push(format!(
            "the build took {:.1} s; expected to stop within 10 s",
            r.elapsed.as_secs_f64()
        ));
    }
    if r.code != Some(2) {
        problems.push("expected exit 2 (could not run)".into());
    }
    if !says.iter().any(|w| lower.contains(w)) {
        problems.push(format!("stderr should say one of {says:?}"));
    }
    if !r.err().contains("metrics.json") {
        problems.push("stderr should name the baseline's metrics.json".into());
    }
    if !problems.is_empty() {
        problems.insert(0, format!("baseline metrics.json {what}:"));
        problems.push(format!("the run: {}", r.summary()));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 4: "Baseline folder whose `metrics.json` is a symlink to /dev/zero → exit 2
/// within 10 s (kill after 20 s and fail), stderr says it is not a regular file (or too
/// large)."
#[cfg(unix)]
#[test]
fn baseline_metrics_json_linked_to_dev_zero_is_refused() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let base = baseline_folder(tmp.path(), &defs);
    std::os::unix::fs::symlink("/dev/zero", base.join("metrics.json")).unwrap();
    assert_baseline_refused(
        tmp.path(),
        &defs,
        &base,
        &["not a regular file", "too large"],
        "-> /dev/zero",
    );
}

/// Issue 20, item 4: "Baseline folder whose `metrics.json` is a FIFO → exit 2 within 10 s,
/// message \"not a regular file\"."
#[cfg(unix)]
#[test]
fn baseline_metrics_json_fifo_is_refused() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let base = baseline_folder(tmp.path(), &defs);
    let made = Command::new("mkfifo")
        .arg(base.join("metrics.json"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "setup: mkfifo failed");
    assert_baseline_refused(
        tmp.path(),
        &defs,
        &base,
        &["not a regular file"],
        "is a FIFO",
    );
}

/// Issue 20, item 4: "A regular metrics.json larger than the cap (sparse file via
/// `File::set_len`) → exit 2 mentioning the size cap." The cap is 256 MiB: a 100k-definition
/// dictionary's metrics.json is about 110 MB.
#[test]
fn baseline_metrics_json_over_the_cap_is_refused() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let base = baseline_folder(tmp.path(), &defs);
    let f = fs::File::create(base.join("metrics.json")).unwrap();
    f.set_len(256 * 1024 * 1024 + 1).unwrap();
    assert_baseline_refused(
        tmp.path(),
        &defs,
        &base,
        &["256 mib", "268435456", "268,435,456"],
        "of 256 MiB + 1 byte",
    );
}

/// Issue 20, item 5: "Dev server: a request with one 1 MiB header (`X-Big: aaaa…`) → the server
/// answers 431 (Request Header Fields Too Large) or closes the connection without a 200, and
/// afterwards still answers `GET /` with 200."
#[test]
fn dev_server_refuses_a_one_mib_header_and_keeps_serving() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let mut req = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ").into_bytes();
    req.extend(std::iter::repeat_n(b'a', 1 << 20));
    req.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    let r = exchange(port, &req, Duration::from_secs(15));
    let mut problems = Vec::new();
    if !(r.status == 431 || r.closed_without_response()) {
        problems.push(format!(
            "1 MiB header: expected 431 or the connection closed without a response, got {}",
            r.describe()
        ));
    }
    let home = get(port, "/");
    if home.status != 200 {
        problems.push(format!(
            "afterwards GET /: expected 200, got {}",
            home.describe()
        ));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 5: "a request line (URL) of 100 KiB → 414 or 431 or closed, never 200."
#[test]
fn dev_server_refuses_a_100_kib_request_line() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let mut req = b"GET /".to_vec();
    req.extend(std::iter::repeat_n(b'a', 100 * 1024));
    req.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    let r = exchange(port, &req, Duration::from_secs(15));
    let mut problems = Vec::new();
    if !(r.status == 414 || r.status == 431 || r.closed_without_response()) {
        problems.push(format!(
            "100 KiB URL: expected 414, 431 or the connection closed, got {}",
            r.describe()
        ));
    }
    let home = get(port, "/");
    if home.status != 200 {
        problems.push(format!(
            "afterwards GET /: expected 200, got {}",
            home.describe()
        ));
    }
    assert_no_problems(&problems);
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|st| {
            st.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Issue 20, item 5: "record the server's RSS (read /proc/<pid>/status VmRSS) before and after
/// sending a 100 MB header stream (write it in chunks, stop when the server closes the socket or
/// after 100 MB): RSS growth must stay under 32 MiB."
#[cfg(target_os = "linux")]
#[test]
fn dev_server_memory_stays_bounded_under_an_endless_header() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let pid = srv.child.id();
    for path in ["/", MR_PAGE, "/api/search?q=merge", "/", MR_PAGE] {
        assert_eq!(get(port, path).status, 200, "setup: warm-up GET {path}");
    }
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kib(pid);
    assert!(before > 0, "setup: cannot read VmRSS of {pid}");
    let mut st = TcpStream::connect(("127.0.0.1", port)).unwrap();
    st.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = st.write_all(format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ").as_bytes());
    let chunk = vec![b'a'; 1 << 20];
    let total: usize = 100 * 1000 * 1000;
    let started = Instant::now();
    let mut sent = 0usize;
    let mut peak = before;
    let mut next_sample = 0usize;
    let stopped = loop {
        if sent >= total {
            break "all 100 MB sent".to_string();
        }
        if started.elapsed() > Duration::from_secs(60) {
            break "60 s deadline".to_string();
        }
        match st.write(&chunk[..chunk.len().min(total - sent)]) {
            Ok(0) => break "server closed".to_string(),
            Ok(n) => sent += n,
            Err(e) => break format!("server stopped reading or closed: {e}"),
        }
        if sent >= next_sample {
            peak = peak.max(rss_kib(pid));
            next_sample += 4 << 20;
        }
    };
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_kib(pid);
    peak = peak.max(after);
    drop(st);
    let growth_mib = peak.saturating_sub(before) as f64 / 1024.0;
    let mut problems = Vec::new();
    if growth_mib >= 32.0 {
        problems.push(format!(
            "RSS grew by {growth_mib:.1} MiB (before {} KiB, peak {peak} KiB, after {after} KiB) \
             while {:.1} MB of one header were sent ({stopped}); expected under 32 MiB",
            before,
            sent as f64 / 1e6
        ));
    }
    let home = get(port, "/");
    if home.status != 200 {
        problems.push(format!(
            "afterwards GET /: expected 200, got {}",
            home.describe()
        ));
    }
    assert_no_problems(&problems);
}

/// `n` distinct-ish two-letter words separated by spaces (3 bytes each).
fn words(n: usize) -> String {
    (0..n)
        .map(|i| {
            let a = (b'a' + (i % 26) as u8) as char;
            let b = (b'a' + (i / 26 % 26) as u8) as char;
            format!("{a}{b}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `w0 w1 … w{n-1}`: n distinct terms.
fn terms(n: usize) -> String {
    (0..n)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn names_limit(text: &str, limit: &[&str]) -> bool {
    limit.iter().any(|l| text.contains(l))
}

/// Issue 20, item 6: "`metricdict search \"<30,000 words>\" --site …` → … assert it does not
/// exceed a generous wall time of 20 s (this is a hang guard, not a benchmark) AND that
/// stderr/exit says the query was cut or refused (the lead decided: queries over 1,000
/// characters or 32 terms are refused with exit 2 / HTTP 400 naming the limit)."
#[test]
fn search_cli_refuses_overlong_queries() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let site = tmp.path().join("site");
    build_ok(tmp.path(), &defs, &site, &["-q"]);
    let search = |q: &str, secs: u64| md(tmp.path(), &["search", q, "--site", s(&site)], secs);
    let mut problems = Vec::new();
    let huge = words(30_000);
    let r = search(&huge, 20);
    if r.timed_out {
        problems.push("30,000 words: still running after 20 s (killed)".to_string());
    }
    if r.code != Some(2) || !names_limit(&r.err(), &["1000", "1,000", "32"]) {
        problems.push(format!(
            "30,000 words: expected exit 2 and stderr naming the limit (1,000 characters / 32 \
             terms); {}",
            r.summary()
        ));
    }
    let r = search(&terms(33), 60);
    if r.code != Some(2) || !names_limit(&r.err(), &["32"]) {
        problems.push(format!(
            "33 terms: expected exit 2 naming the 32-term limit; {}",
            r.summary()
        ));
    }
    let r = search(&"a".repeat(1001), 60);
    if r.code != Some(2) || !names_limit(&r.err(), &["1000", "1,000"]) {
        problems.push(format!(
            "1,001 characters: expected exit 2 naming the 1,000-character limit; {}",
            r.summary()
        ));
    }
    // At the limits the query runs.
    let r = search(&terms(32), 60);
    if r.code != Some(0) {
        problems.push(format!("32 terms: expected exit 0; {}", r.summary()));
    }
    let at_cap = format!("merge {}", "b".repeat(994));
    assert_eq!(at_cap.len(), 1000);
    let r = search(&at_cap, 60);
    if r.code != Some(0) {
        problems.push(format!(
            "1,000 characters: expected exit 0; {}",
            r.summary()
        ));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 6: "Same for `/api/search?q=<long>` → 400."
#[test]
fn api_search_refuses_overlong_queries() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let mut problems = Vec::new();
    let q = |text: &str| text.replace(' ', "+");
    for (what, query, limit, status) in [
        ("33 terms", q(&terms(33)), &["32"][..], 400),
        (
            "1,001 characters",
            "a".repeat(1001),
            &["1000", "1,000"][..],
            400,
        ),
        ("32 terms", q(&terms(32)), &[][..], 200),
        (
            "1,000 characters",
            q(&format!("merge {}", "b".repeat(994))),
            &[][..],
            200,
        ),
    ] {
        let r = get(port, &format!("/api/search?q={query}"));
        let named = limit.is_empty() || names_limit(&r.text(), limit);
        if r.status != status || !named {
            problems.push(format!(
                "{what}: expected {status}{}, got {}",
                if limit.is_empty() {
                    String::new()
                } else {
                    format!(" naming the limit {limit:?}")
                },
                r.describe()
            ));
        }
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 7: "Markdown pathological description: a metric whose description is
/// `'> ' * n + 'x ' + '[' * n + 'a]()'` with n = 50_000 → `metricdict check` exits 1 with a
/// diagnostic (rule name containing `description`, e.g. `description-too-deep` or
/// `description-too-long`) at that file's description line (line:col of the `description:`
/// value), within 30 s. Also a description of 300 KB of plain text → check error
/// `description-too-long` naming the cap (the lead decided: descriptions over 64 KiB or nesting
/// deeper than 32 levels of blockquote/list/brackets are errors)."
#[test]
fn pathological_and_oversized_descriptions_are_check_errors() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let dir = defs.join("config/metrics/counts_all");
    let n = 50_000;
    let deep = format!("\"{}x {}a]()\"", "> ".repeat(n), "[".repeat(n));
    fs::write(
        dir.join("deep.yml"),
        metric_yaml("counts.deep_description", &deep, "code_review"),
    )
    .unwrap();
    let mut long = "lorem ipsum dolor sit amet ".repeat(300_000 / 27 + 1);
    long.truncate(300_000);
    let long = long.trim_end().to_string();
    fs::write(
        dir.join("long.yml"),
        metric_yaml("counts.long_description", &long, "code_review"),
    )
    .unwrap();
    // Under both caps: no description diagnostic.
    let mut fine = format!("{}x ", "> ".repeat(20));
    while fine.len() < 60_000 {
        fine.push_str("plain words ");
    }
    let fine = format!("\"{}\"", fine.trim_end());
    fs::write(
        dir.join("fine.yml"),
        metric_yaml("counts.fine_description", &fine, "code_review"),
    )
    .unwrap();

    let (r, diags) = check_json(tmp.path(), &defs, &[], 60);
    let mut problems = Vec::new();
    if r.timed_out || r.elapsed > Duration::from_secs(30) {
        problems.push(format!(
            "check took {:.1} s{}; expected under 30 s",
            r.elapsed.as_secs_f64(),
            if r.timed_out { " (killed)" } else { "" }
        ));
    }
    if r.code != Some(1) {
        problems.push(format!("check: expected exit 1, got {:?}", r.code));
    }
    let at_value = |d: &&J| {
        d.get("severity").str() == "error"
            && d.get("line").num() == Some(DESC_LINE)
            && d.get("column").num() == Some(DESC_COL)
    };
    let deep_d = about(&diags, "deep.yml");
    if !deep_d
        .iter()
        .any(|d| at_value(d) && d.get("rule").str().contains("description"))
    {
        problems.push(format!(
            "deep.yml: expected an error whose rule contains `description` at {DESC_LINE}:{DESC_COL}; \
             got [{}]",
            deep_d.iter().map(|d| show(d)).collect::<Vec<_>>().join("; ")
        ));
    }
    let long_d = about(&diags, "long.yml");
    let cap = |d: &&J| {
        let t = d.strings().to_lowercase();
        ["64 kib", "64kib", "65536", "65,536"]
            .iter()
            .any(|c| t.contains(c))
    };
    if !long_d
        .iter()
        .any(|d| at_value(d) && d.get("rule").str() == "description-too-long" && cap(d))
    {
        problems.push(format!(
            "long.yml (300 KB): expected error[description-too-long] at {DESC_LINE}:{DESC_COL} naming \
             the 64 KiB cap; got [{}]",
            long_d.iter().map(|d| show(d)).collect::<Vec<_>>().join("; ")
        ));
    }
    let fine_d: Vec<&J> = about(&diags, "fine.yml")
        .into_iter()
        .filter(|d| d.get("rule").str().contains("description"))
        .collect();
    if !fine_d.is_empty() {
        problems.push(format!(
            "fine.yml (60 KB, 20 levels) is under both caps but got: {}",
            fine_d
                .iter()
                .map(|d| show(d))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    // The build refuses the same definitions just as fast (it must not render them first).
    let b = md(
        tmp.path(),
        &[
            "build",
            "-q",
            "-d",
            s(&defs),
            "--out",
            s(&tmp.path().join("site")),
        ],
        60,
    );
    if b.code != Some(1) || b.elapsed > Duration::from_secs(30) {
        problems.push(format!(
            "build: expected exit 1 within 30 s; {}",
            b.summary()
        ));
    }
    assert_no_problems(&problems);
}

// =============================================================================================
// Secrets
// =============================================================================================

const TOKEN: &str = "SECRET_TOKEN_abc123";

/// The lines of `text` containing `needle`, for failure messages.
fn lines_with(text: &str, needle: &str) -> String {
    text.lines()
        .filter(|l| l.contains(needle))
        .map(|l| clip(l, 300))
        .collect::<Vec<_>>()
        .join("\n    ")
}

/// Files of a built site (decompressed) that contain `needle`.
fn site_files_containing(site: &Path, needle: &str) -> Vec<String> {
    all_files(site)
        .into_iter()
        .filter(|p| contains(&content(p), needle.as_bytes()))
        .map(|p| p.strip_prefix(site).unwrap().display().to_string())
        .collect()
}

/// Issue 20, item 8: "Symlink inside the definitions tree pointing outside it:
/// `defs/config/metrics/counts_all/x.yml -> <tmp>/outside/secret.yml` … and also a symlinked
/// FOLDER `defs/config/events/linked -> <tmp>/outside_dir/` with a valid event yml. Run `check`
/// (human and `--format json`) and `build`: stdout+stderr must not contain
/// `SECRET_TOKEN_abc123`; check reports a diagnostic with rule `symlink-outside` (the lead
/// decided WARNING, the file is skipped) naming the link path; the built site must not contain
/// the token in any file … nor a page for the linked event."
#[cfg(unix)]
#[test]
fn symlinks_leading_out_of_the_definitions_are_skipped_with_a_warning() {
    use std::os::unix::fs::symlink;
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(
        outside.join("secret.yml"),
        metric_yaml(
            "counts.secret_link",
            &format!("Leaks {TOKEN} from outside"),
            TOKEN,
        ),
    )
    .unwrap();
    let outside_dir = tmp.path().join("outside_dir");
    fs::create_dir_all(&outside_dir).unwrap();
    fs::write(
        outside_dir.join("linked_event.yml"),
        event_yaml(
            "linked_outside_event",
            &format!("Event {TOKEN} from outside"),
        ),
    )
    .unwrap();
    symlink(
        outside.join("secret.yml"),
        defs.join("config/metrics/counts_all/x.yml"),
    )
    .unwrap();
    symlink(&outside_dir, defs.join("config/events/linked")).unwrap();

    let mut problems = Vec::new();
    let human = md(tmp.path(), &["check", "-d", s(&defs)], 120);
    if human.both().contains(TOKEN) {
        problems.push(format!(
            "check (human) printed the token:\n    {}",
            lines_with(&human.both(), TOKEN)
        ));
    }
    for (needle, what) in [
        ("symlink-outside", "the rule symlink-outside"),
        ("counts_all/x.yml", "the file link counts_all/x.yml"),
        ("events/linked", "the folder link config/events/linked"),
    ] {
        if !human.err().contains(needle) {
            problems.push(format!("check (human) does not mention {what}"));
        }
    }
    let (r, diags) = check_json(tmp.path(), &defs, &[], 120);
    if r.both().contains(TOKEN) {
        problems.push("check --format json printed the token".into());
    }
    if r.code != Some(0) {
        problems.push(format!(
            "check --format json: expected exit 0 (a warning, the link skipped), got {:?}",
            r.code
        ));
    }
    let links: Vec<&J> = diags
        .iter()
        .filter(|d| d.get("rule").str() == "symlink-outside")
        .collect();
    for link in ["config/metrics/counts_all/x.yml", "config/events/linked"] {
        if !links
            .iter()
            .any(|d| d.get("file").str().contains(link) && d.get("severity").str() == "warning")
        {
            problems.push(format!(
                "check --format json: no warning[symlink-outside] for {link}; symlink diagnostics: [{}]",
                links.iter().map(|d| show(d)).collect::<Vec<_>>().join("; ")
            ));
        }
    }
    let site = tmp.path().join("site");
    let b = md(
        tmp.path(),
        &["build", "-v", "-d", s(&defs), "--out", s(&site)],
        300,
    );
    if b.code != Some(0) {
        problems.push(format!("build: expected exit 0; {}", b.summary()));
    }
    if b.both().contains(TOKEN) {
        problems.push("build printed the token".into());
    }
    let leaking = site_files_containing(&site, TOKEN);
    if !leaking.is_empty() {
        problems.push(format!(
            "the built site contains the token in {} file(s): {:?}",
            leaking.len(),
            &leaking[..leaking.len().min(8)]
        ));
    }
    for page in [
        "events/linked_outside_event/index.html",
        "metrics/counts.secret_link/index.html",
    ] {
        if site.join(page).exists() {
            problems.push(format!(
                "the built site has a page for a linked definition: {page}"
            ));
        }
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 8: "A symlink that stays INSIDE the tree (defs/config/metrics/a.yml ->
/// ../metrics_real/a.yml inside defs) still works (its metric page exists)."
#[cfg(unix)]
#[test]
fn a_symlink_staying_inside_the_definitions_still_works() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let real = defs.join("config/metrics_real");
    fs::create_dir_all(&real).unwrap();
    fs::write(
        real.join("a.yml"),
        metric_yaml(
            "counts.inside_link",
            "Linked from inside the tree",
            "code_review",
        ),
    )
    .unwrap();
    std::os::unix::fs::symlink("../metrics_real/a.yml", defs.join("config/metrics/a.yml")).unwrap();
    let (r, diags) = check_json(tmp.path(), &defs, &[], 120);
    let links: Vec<&J> = diags
        .iter()
        .filter(|d| d.get("rule").str().starts_with("symlink"))
        .collect();
    assert!(
        r.code == Some(0) && links.is_empty(),
        "check: expected exit 0 and no symlink diagnostic for a link inside the tree; exit {:?}, \
         got: {}",
        r.code,
        show_all(&diags)
    );
    let site = tmp.path().join("site");
    build_ok(tmp.path(), &defs, &site, &["-q"]);
    let page = site.join("metrics/counts.inside_link/index.html");
    assert!(
        page.is_file(),
        "the linked metric has no page ({} missing)",
        page.display()
    );
}

/// Issue 20, item 8: "Also a link to /proc/self/environ named `env.yml` inside the tree: check
/// output must not contain the value of an env var the test sets on the child
/// (`METRICDICT_TEST_SECRET=s3cr3t_value_42`)."
#[cfg(target_os = "linux")]
#[test]
fn a_link_to_proc_self_environ_does_not_leak_the_environment() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    std::os::unix::fs::symlink(
        "/proc/self/environ",
        defs.join("config/metrics/counts_all/env.yml"),
    )
    .unwrap();
    let secret = "s3cr3t_value_42";
    let with_env = |args: &[&str]| {
        let mut c = bin();
        c.current_dir(tmp.path())
            .env("METRICDICT_TEST_SECRET", secret)
            .args(args);
        run_bounded(c, Duration::from_secs(300))
    };
    let mut problems = Vec::new();
    let human = with_env(&["check", "-d", s(&defs)]);
    if human.both().contains(secret) {
        problems.push(format!(
            "check (human) printed the environment: {}",
            clip(&human.err(), 600)
        ));
    }
    let json = with_env(&["check", "-d", s(&defs), "--format", "json"]);
    if json.both().contains(secret) {
        problems.push("check --format json printed the environment".into());
    }
    match parse_json(&json.out()) {
        Ok(J::Arr(diags)) => {
            if !diags.iter().any(|d| {
                d.get("rule").str() == "symlink-outside"
                    && d.get("severity").str() == "warning"
                    && d.get("file").str().ends_with("counts_all/env.yml")
            }) {
                problems.push(format!(
                    "check --format json: no warning[symlink-outside] for env.yml; got: {}",
                    clip(
                        &show_all(
                            &about(&diags, "env.yml")
                                .into_iter()
                                .cloned()
                                .collect::<Vec<_>>()
                        ),
                        600
                    )
                ));
            }
        }
        _ => problems.push("check --format json printed no JSON array".into()),
    }
    let site = tmp.path().join("site");
    let b = with_env(&["build", "-v", "-d", s(&defs), "--out", s(&site)]);
    if b.both().contains(secret) {
        problems.push("build printed the environment".into());
    }
    if b.code != Some(0) {
        problems.push(format!(
            "build: expected exit 0 (env.yml skipped with a warning), got {:?}",
            b.code
        ));
    }
    let leaking = site_files_containing(&site, secret);
    if !leaking.is_empty() {
        problems.push(format!(
            "the built site contains the environment: {leaking:?}"
        ));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 9: "CSV formula injection: a metric whose description starts with
/// `=HYPERLINK(\"http://evil\")`, product_group `+cmd` …; an event whose description starts
/// with `@SUM(1)` and another with `-2+3`, and a tab-prefixed and CR-prefixed description
/// (\"\\t=1\", \"\\r=1\"). In built `metrics.csv` and `events.csv` … each such cell starts with a
/// single quote `'` followed by the original text exactly; every other cell is unchanged …
/// Same for `changes.csv` (build with `--baseline` of an earlier build that lacks those
/// definitions)."
#[test]
fn csv_downloads_neutralise_formula_cells() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let old = tmp.path().join("old");
    build_ok(tmp.path(), &defs, &old, &["-q"]);
    fs::write(
        defs.join("config/metrics/counts_all/formula.yml"),
        metric_yaml(
            "counts.csv_formula",
            "'=HYPERLINK(\"http://evil\")'",
            "'+cmd'",
        ),
    )
    .unwrap();
    // (action, YAML text of the description, the description as given)
    let events = [
        ("csv_at_sum", "'@SUM(1)'", "@SUM(1)"),
        ("csv_minus", "'-2+3'", "-2+3"),
        ("csv_tab", "\"\\t=1\"", "\t=1"),
        ("csv_cr", "\"\\r=1\"", "\r=1"),
    ];
    for (action, yaml, _) in events {
        fs::write(
            defs.join(format!("config/events/{action}.yml")),
            event_yaml(action, yaml),
        )
        .unwrap();
    }
    let site = tmp.path().join("site");
    build_ok(tmp.path(), &defs, &site, &["-q", "--baseline", s(&old)]);
    let metrics_json = parse_json(&common::read(site.join("metrics.json"))).expect("metrics.json");
    let events_json = parse_json(&common::read(site.join("events.json"))).expect("events.json");
    let json_field = |doc: &J, list: &str, id_field: &str, id: &str, field: &str| -> String {
        doc.get(list)
            .items()
            .iter()
            .find(|r| r.get(id_field).str() == id)
            .map(|r| r.get(field).str().to_string())
            .unwrap_or_else(|| panic!("{list}.json has no {id_field} {id}"))
    };
    let mut problems = Vec::new();
    // The JSON downloads keep the text as written (trimmed like every field); no guard there.
    let formula = json_field(
        &metrics_json,
        "metrics",
        "key_path",
        "counts.csv_formula",
        "description",
    );
    if formula != "=HYPERLINK(\"http://evil\")" {
        problems.push(format!("metrics.json description changed: {formula:?}"));
    }
    let metrics_csv = parse_csv(&common::read(site.join("metrics.csv")));
    let events_csv = parse_csv(&common::read(site.join("events.csv")));
    let changes_csv = parse_csv(&common::read(site.join("changes.csv")));
    // (file, key column, key, column, the text as exported to JSON)
    let mut wants: Vec<(&str, &str, String, &str, String)> = vec![(
        "metrics.csv",
        "key_path",
        "counts.csv_formula".into(),
        "description",
        formula.clone(),
    )];
    let group = json_field(
        &metrics_json,
        "metrics",
        "key_path",
        "counts.csv_formula",
        "product_group",
    );
    wants.push((
        "metrics.csv",
        "key_path",
        "counts.csv_formula".into(),
        "product_group",
        group,
    ));
    let mut event_descs = Vec::new();
    for (action, _, given) in events {
        let d = json_field(&events_json, "events", "action", action, "description");
        if d.trim() != given.trim() || d.starts_with('\'') {
            problems.push(format!("events.json description of {action}: {d:?}"));
        }
        wants.push((
            "events.csv",
            "action",
            action.into(),
            "description",
            d.clone(),
        ));
        event_descs.push((action, d));
    }
    let mut guarded: BTreeSet<String> = BTreeSet::new();
    for (file, key_col, key, col, original) in &wants {
        let table = if *file == "metrics.csv" {
            &metrics_csv
        } else {
            &events_csv
        };
        let want = format!("'{original}");
        let got = cell(table, key_col, key, col);
        if got.as_deref() != Some(want.as_str()) {
            problems.push(format!(
                "{file}: {col} of {key}: expected {want:?}, got {got:?}"
            ));
        }
        guarded.insert(want);
    }
    // changes.csv: the added rows carry the description in `after`.
    let changes_after = |id: &str| -> Option<String> {
        let header = changes_csv.first()?;
        let (i, c, a) = (
            header.iter().position(|h| h == "id")?,
            header.iter().position(|h| h == "change")?,
            header.iter().position(|h| h == "after")?,
        );
        changes_csv
            .iter()
            .skip(1)
            .find(|r| r[i] == id && r[c] == "added")
            .map(|r| r[a].clone())
    };
    for (id, original) in std::iter::once(("counts.csv_formula", formula.clone()))
        .chain(event_descs.iter().map(|(a, d)| (*a, d.clone())))
    {
        let want = format!("'{original}");
        let got = changes_after(id);
        if got.as_deref() != Some(want.as_str()) {
            problems.push(format!(
                "changes.csv: `after` of added {id}: expected {want:?}, got {got:?}"
            ));
        }
    }
    // Ordinary cells are untouched.
    let mr = cell(
        &metrics_csv,
        "key_path",
        "counts.merge_requests",
        "description",
    );
    if mr.as_deref() != Some(MR_DESC) {
        problems.push(format!(
            "metrics.csv: an ordinary description changed: {mr:?}, expected {MR_DESC:?}"
        ));
    }
    // Every cell: none starts with a formula character; only the expected ones are guarded.
    for (file, table) in [
        ("metrics.csv", &metrics_csv),
        ("events.csv", &events_csv),
        ("changes.csv", &changes_csv),
    ] {
        for (n, row) in table.iter().enumerate() {
            for c in row {
                if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    problems.push(format!("{file} row {n}: unguarded formula cell {c:?}"));
                }
                if c.starts_with('\'') && !guarded.contains(c) {
                    problems.push(format!("{file} row {n}: unexpectedly quoted cell {c:?}"));
                }
            }
        }
    }
    assert_no_problems(&problems);
}

/// Definitions carrying terminal escapes in double-quoted YAML strings.
fn escape_defs(at: &Path) -> PathBuf {
    let defs = basic_defs(at);
    fs::write(
        defs.join("config/metrics/counts_all/escapes.yml"),
        metric_yaml(
            "\"counts.evil\\e[31mred\"",
            "\"Evil \\e[31mred\\x1b]0;title\\x07 text\"",
            "\"\\e[31mgroup\\x1b]0;title\\x07\"",
        ),
    )
    .unwrap();
    defs
}

fn raw_controls(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == 0x1b || **b == 0x07).count()
}

/// Issue 20, item 10: "Terminal escapes: … use a double-quoted YAML string with `\\e[31m` /
/// `\\x1b]0;title\\x07` escapes in product_group and description; run `check` (human) …:
/// stdout/stderr contain no raw ESC (0x1b) or BEL (0x07) bytes, and show them escaped (… assert
/// only that the raw bytes are absent and that the visible text still contains `[31m`)."
#[test]
fn check_output_carries_no_raw_terminal_escapes() {
    let tmp = tempdir();
    let defs = escape_defs(tmp.path());
    // The same bytes raw in a file (YAML forbids them): its syntax error must not echo them.
    let mut raw = metric_yaml("counts.raw_escapes", "Raw red text", "code_review").into_bytes();
    let at = contains_at(&raw, b"Raw red").unwrap() + 4;
    raw.splice(at..at, b"\x1b[31m\x1b]0;title\x07".iter().copied());
    fs::write(defs.join("config/metrics/counts_all/raw.yml"), raw).unwrap();
    let r = md(tmp.path(), &["check", "-d", s(&defs)], 120);
    let (o, e) = (raw_controls(&r.stdout), raw_controls(&r.stderr));
    assert!(
        o + e == 0 && r.both().contains("[31m"),
        "check (human): expected no raw ESC/BEL bytes and the escapes shown as text (`[31m` \
         visible); found {o} in stdout, {e} in stderr, on these lines (escaped here):\n    {}",
        raw_control_lines(&r.both())
    );
}

/// The lines of `text` holding a raw ESC or BEL, escaped for a failure message.
fn raw_control_lines(text: &str) -> String {
    text.lines()
        .filter(|l| l.contains(['\x1b', '\x07']))
        .map(|l| clip(&l.escape_debug().to_string(), 300))
        .collect::<Vec<_>>()
        .join("\n    ")
}

fn contains_at(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Issue 20, item 10: "… and `search` (text format) on a built site: stdout/stderr contain no
/// raw ESC (0x1b) or BEL (0x07) bytes … and the visible text still contains `[31m`."
#[test]
fn search_output_carries_no_raw_terminal_escapes() {
    let tmp = tempdir();
    let defs = escape_defs(tmp.path());
    let site = tmp.path().join("site");
    build_ok(tmp.path(), &defs, &site, &["-q"]);
    let r = md(tmp.path(), &["search", "evil", "--site", s(&site)], 60);
    let (o, e) = (raw_controls(&r.stdout), raw_controls(&r.stderr));
    assert!(
        r.code == Some(0) && o + e == 0 && r.out().contains("[31m"),
        "search (text): expected exit 0, no raw ESC/BEL bytes, `[31m` visible; found {o} in \
         stdout, {e} in stderr, on these lines (escaped here):\n    {}",
        raw_control_lines(&r.both())
    );
}

// =============================================================================================
// Hosts and methods
// =============================================================================================

/// Issue 20, item 11: "Dev server started without `--host`: a request with
/// `Host: evil.example.com` → 403 (or 421) and no page body; `Host: localhost:<port>`,
/// `Host: 127.0.0.1:<port>` and `Host: [::1]:<port>` → 200."
#[test]
fn dev_server_on_loopback_refuses_foreign_host_headers() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let t = Duration::from_secs(15);
    let mut problems = Vec::new();
    for path in ["/", MR_PAGE, "/api/search?q=merge", "/metrics.json"] {
        let r = request(port, "GET", path, "evil.example.com", t);
        let body = r.text();
        let leaks = body.contains("counts.merge_requests") || body.contains("__metricdict");
        if !(r.status == 403 || r.status == 421) || leaks {
            problems.push(format!(
                "Host: evil.example.com, GET {path}: expected 403 or 421 without the page, got {}",
                r.describe()
            ));
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let r = request(port, "GET", "/", &host, t);
        if r.status != 200 {
            problems.push(format!("Host: {host}: expected 200, got {}", r.describe()));
        }
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 11: "Started with `--host 0.0.0.0` (bind only if the test can; otherwise skip
/// with a message) → evil host allowed."
#[test]
fn dev_server_bound_to_all_interfaces_accepts_any_host() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = match serve(tmp.path(), &["-d", s(&defs), "--host", "0.0.0.0"]) {
        Ok(srv) => srv,
        Err(e) => {
            eprintln!("SKIPPED: cannot start serve --host 0.0.0.0 here: {e}");
            return;
        }
    };
    let r = request(
        srv.port,
        "GET",
        "/",
        "evil.example.com",
        Duration::from_secs(15),
    );
    assert_eq!(
        r.status,
        200,
        "--host 0.0.0.0, Host: evil.example.com: expected 200, got {}",
        r.describe()
    );
}

/// Issue 20, item 11: "`POST /` → 405 with an `Allow: GET, HEAD` header; `HEAD /` → 200 with no
/// body."
#[test]
fn dev_server_answers_only_get_and_head() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let srv = serve(tmp.path(), &["-d", s(&defs)]).unwrap_or_else(|e| panic!("{e}"));
    let port = srv.port;
    let host = format!("127.0.0.1:{port}");
    let t = Duration::from_secs(15);
    let mut problems = Vec::new();
    for (method, path) in [
        ("POST", "/"),
        ("PUT", "/"),
        ("DELETE", MR_PAGE),
        ("POST", "/api/search?q=merge"),
    ] {
        let r = request(port, method, path, &host, t);
        let allow: BTreeSet<String> = r
            .header("Allow")
            .unwrap_or_default()
            .split(',')
            .map(|m| m.trim().to_uppercase())
            .filter(|m| !m.is_empty())
            .collect();
        let want: BTreeSet<String> = ["GET".to_string(), "HEAD".to_string()].into();
        if r.status != 405 || allow != want {
            problems.push(format!(
                "{method} {path}: expected 405 with `Allow: GET, HEAD`, got {} with Allow {:?}",
                r.describe(),
                r.header("Allow")
            ));
        }
    }
    let r = request(port, "HEAD", "/", &host, t);
    if r.status != 200 || !r.body.is_empty() {
        problems.push(format!(
            "HEAD /: expected 200 and no body, got {}",
            r.describe()
        ));
    }
    let r = get(port, "/");
    if r.status != 200 || r.body.is_empty() {
        problems.push(format!(
            "GET /: expected 200 with the page, got {}",
            r.describe()
        ));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 12: "Every published HTML page carries a Content-Security-Policy
/// `<meta http-equiv=\"Content-Security-Policy\" …>` whose `script-src` does not contain
/// `'unsafe-inline'` nor `*`, and `default-src 'self'` (or stricter)."
#[test]
fn every_published_page_has_a_strict_content_security_policy() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let site = tmp.path().join("site");
    build_ok(tmp.path(), &defs, &site, &["-q"]);
    let pages: Vec<PathBuf> = all_files(&site)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert!(pages.len() > 20, "setup: only {} pages", pages.len());
    let mut problems = Vec::new();
    for page in &pages {
        let name = page.strip_prefix(&site).unwrap().display().to_string();
        let raw = common::read(page);
        let doc = scraper::Html::parse_document(&raw);
        let metas: Vec<String> = common::select(&doc, "head meta[http-equiv]")
            .iter()
            .filter(|m| {
                m.value()
                    .attr("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"))
            })
            .map(|m| m.value().attr("content").unwrap_or("").to_string())
            .collect();
        let [policy] = &metas[..] else {
            problems.push(format!(
                "{name}: expected one CSP <meta> in <head>, found {}",
                metas.len()
            ));
            continue;
        };
        let directives: Vec<(String, Vec<String>)> = policy
            .split(';')
            .filter_map(|d| {
                let mut it = d.split_whitespace();
                let name = it.next()?.to_ascii_lowercase();
                Some((name, it.map(str::to_string).collect()))
            })
            .collect();
        let find = |n: &str| directives.iter().find(|(d, _)| d == n).map(|(_, v)| v);
        match find("default-src") {
            Some(v) if !v.is_empty() && v.iter().all(|s| s == "'self'" || s == "'none'") => {}
            other => problems.push(format!(
                "{name}: default-src must be 'self' (or 'none'), got {other:?} in {policy:?}"
            )),
        }
        let script = find("script-src").or_else(|| find("default-src"));
        if let Some(v) = script {
            if v.iter()
                .any(|s| s.eq_ignore_ascii_case("'unsafe-inline'") || s.contains('*'))
            {
                problems.push(format!(
                    "{name}: script-src allows 'unsafe-inline' or *: {policy:?}"
                ));
            }
        }
        // A meta policy only governs what follows it.
        let lower = raw.to_ascii_lowercase();
        let meta_at = lower.find("content-security-policy");
        let script_at = lower.find("<script");
        if let (Some(m), Some(sc)) = (meta_at, script_at) {
            if sc < m {
                problems.push(format!("{name}: a <script> comes before the CSP <meta>"));
            }
        }
    }
    if problems.len() > 12 {
        let n = problems.len();
        problems.truncate(12);
        problems.push(format!("… {} more, over {} pages", n - 12, pages.len()));
    }
    assert_no_problems(&problems);
}

// =============================================================================================
// Losing or freezing work
// =============================================================================================

/// A project folder as users have it: `definitions/` (the default relative path, no
/// `--definitions`), `metricdict.toml`, and the privacy register's `identifiers.yml`.
fn project(at: &Path) -> PathBuf {
    let proj = at.join("proj");
    copy_dir(&fixture("basic"), &proj.join("definitions"));
    fs::write(
        proj.join("metricdict.toml"),
        "title = \"Dictionary Alpha\"\n",
    )
    .unwrap();
    fs::write(
        proj.join("definitions/identifiers.yml"),
        identifiers("Original reason ALPHA"),
    )
    .unwrap();
    proj
}

fn identifiers(why: &str) -> String {
    format!(
        "identifiers:\n  - name: user\n    field: user_id\n    pseudonymized: true\n    \
         method: Hashed before sending.\n    realms: [GitLab.com]\n    why: {why}\n    \
         source: https://example.com/policy\n  - name: project\n    field: project_id\n    \
         pseudonymized: true\n    method: Hashed before sending.\n    realms: [GitLab.com]\n    \
         why: Attributes usage to a project.\n    source: https://example.com/policy\n"
    )
}

/// GET `path` until its body contains (or, with `present == false`, lacks) `needle`.
fn wait_for_page(port: u16, path: &str, needle: &str, present: bool) -> Result<(), String> {
    let mut last = String::new();
    wait_until(Duration::from_secs(10), || {
        let r = get(port, path);
        let ok = r.status == 200 && r.text().contains(needle) == present;
        last = r.describe();
        ok.then_some(())
    })
    .ok_or_else(|| {
        format!(
            "GET {path} {} {needle:?} within 10 s; last response: {last}",
            if present {
                "never showed"
            } else {
                "still showed"
            }
        )
    })
}

fn serve_project(proj: &Path) -> Served {
    let srv = serve(proj, &[]).unwrap_or_else(|e| panic!("{e}"));
    let r = get(srv.port, MR_PAGE);
    assert!(
        r.status == 200 && r.text().contains("merge requests"),
        "setup: the first build does not serve {MR_PAGE}: {}",
        r.describe()
    );
    srv
}

/// Issue 20, item 13: "`serve` started with cwd = a temp folder containing `definitions/` (the
/// default relative path, no `--definitions`): after the first build, overwrite an existing
/// definition IN PLACE (open with truncate and write, as `cat new > file` does; then separately
/// an append `>>`), and the page reflects the change within 10 s (poll
/// `GET /metrics/<slug>/`)."
#[test]
fn serve_from_a_relative_folder_shows_in_place_edits_and_appends() {
    let tmp = tempdir();
    let proj = project(tmp.path());
    let srv = serve_project(&proj);
    let file = proj.join("definitions").join(MR);
    let original = common::read(&file);
    // The description moves to the last line, without a newline, so an append extends it.
    let edited: String = original
        .lines()
        .filter(|l| !l.starts_with("description:"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "description: Edited in place";
    let mut problems = Vec::new();
    write_in_place(&file, &edited);
    if let Err(e) = wait_for_page(srv.port, MR_PAGE, "Edited in place", true) {
        problems.push(format!("after an in-place (truncating) write: {e}"));
    }
    append(&file, " and appended\n");
    if let Err(e) = wait_for_page(srv.port, MR_PAGE, "Edited in place and appended", true) {
        problems.push(format!("after an append: {e}"));
    }
    if !problems.is_empty() {
        problems.push(format!("serve's log:\n{}", clip(&srv.log(), 2000)));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 13: "a broken in-place edit (invalid YAML) makes the page show the overlay
/// (`metricdict-overlay`) within 10 s; fixing it removes it."
#[test]
fn serve_from_a_relative_folder_shows_and_clears_the_overlay() {
    let tmp = tempdir();
    let proj = project(tmp.path());
    let srv = serve_project(&proj);
    let file = proj.join("definitions").join(MR);
    let original = common::read(&file);
    let mut problems = Vec::new();
    write_in_place(&file, "key_path: [broken\n");
    if let Err(e) = wait_for_page(srv.port, "/", "metricdict-overlay", true) {
        problems.push(format!("after a broken in-place edit: {e}"));
    }
    write_in_place(&file, &original);
    if let Err(e) = wait_for_page(srv.port, "/", "metricdict-overlay", false) {
        problems.push(format!("after fixing it: {e}"));
    }
    if !problems.is_empty() {
        problems.push(format!("serve's log:\n{}", clip(&srv.log(), 2000)));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 13: "Also editing `metricdict.toml` (change `title`) rebuilds: the new title
/// appears."
#[test]
fn serve_rebuilds_when_metricdict_toml_changes() {
    let tmp = tempdir();
    let proj = project(tmp.path());
    let srv = serve_project(&proj);
    let first = get(srv.port, "/");
    assert!(
        first.text().contains("Dictionary Alpha"),
        "setup: the configured title is not shown: {}",
        first.describe()
    );
    write_in_place(
        &proj.join("metricdict.toml"),
        "title = \"Dictionary Bravo\"\n",
    );
    if let Err(e) = wait_for_page(srv.port, "/", "Dictionary Bravo", true) {
        panic!(
            "after changing the title in metricdict.toml: {e}\nserve's log:\n{}",
            clip(&srv.log(), 2000)
        );
    }
}

/// Issue 20, item 13: "Editing `definitions/identifiers.yml` rebuilds: `/identifiers/` changes."
#[test]
fn serve_rebuilds_when_the_identifiers_register_changes() {
    let tmp = tempdir();
    let proj = project(tmp.path());
    let srv = serve_project(&proj);
    let first = get(srv.port, "/identifiers/");
    assert!(
        first.status == 200 && first.text().contains("Original reason ALPHA"),
        "setup: /identifiers/ does not show the register: {}",
        first.describe()
    );
    write_in_place(
        &proj.join("definitions/identifiers.yml"),
        &identifiers("Edited reason BRAVO"),
    );
    if let Err(e) = wait_for_page(srv.port, "/identifiers/", "Edited reason BRAVO", true) {
        panic!(
            "after editing definitions/identifiers.yml: {e}\nserve's log:\n{}",
            clip(&srv.log(), 2000)
        );
    }
}

/// Is `lock` held by someone else (a non-blocking `flock` fails)?
fn lock_held(lock: &Path) -> bool {
    Command::new("flock")
        .args(["-n", "-x"])
        .arg(lock)
        .arg("true")
        .stdin(Stdio::null())
        .status()
        .map(|s| !s.success())
        .unwrap_or(false)
}

/// Issue 20, item 14: "Build lock: … an advisory `flock` on the file
/// `<parent of --out>/.<out name>.metricdict-lock` … take an exclusive flock on it … then start
/// `metricdict build` into that out: within 3 s it is still running and its stderr says it waits
/// for another build (mention the lock path); kill the flock child; the build then completes
/// with exit 0 and the site has its `.metricdict-site` marker."
#[test]
fn a_build_waits_for_the_lock_of_another_build() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let out = tmp.path().join("public");
    let lock = tmp.path().join(".public.metricdict-lock");
    fs::File::create(&lock).unwrap();
    let holder = Guard(
        Command::new("flock")
            .arg("-x")
            .arg(&lock)
            .args(["sleep", "30"])
            .stdin(Stdio::null())
            .spawn()
            .expect("flock(1) runs"),
    );
    assert!(
        wait_until(Duration::from_secs(10), || lock_held(&lock).then_some(())).is_some(),
        "setup: flock never took the lock"
    );
    let mut c = bin();
    c.current_dir(tmp.path())
        .args(["build", "-d", s(&defs), "--out", s(&out)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = Guard(c.spawn().unwrap());
    let err_pipe = child.0.stderr.take().unwrap();
    let err = Arc::new(Mutex::new(Vec::new()));
    {
        let err = err.clone();
        std::thread::spawn(move || {
            let mut r = err_pipe;
            let mut chunk = [0u8; 4096];
            while let Ok(n) = r.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                err.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
    }
    std::thread::sleep(Duration::from_secs(3));
    let stderr_now = || String::from_utf8_lossy(&err.lock().unwrap()).into_owned();
    let early = child.0.try_wait().unwrap();
    assert!(
        early.is_none(),
        "the build finished ({early:?}) within 3 s although another process held {}; stderr:\n{}",
        lock.display(),
        stderr_now()
    );
    let mut problems = Vec::new();
    let said = stderr_now();
    if !(said.to_lowercase().contains("wait") && said.contains(".public.metricdict-lock")) {
        problems.push(format!(
            "while waiting, stderr should say it waits for another build and name the lock \
             file; it said: {said:?}"
        ));
    }
    if out.join(".metricdict-site").exists() {
        problems.push("--out was replaced while another build held the lock".into());
    }
    drop(holder);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.and_then(|s| s.code()) != Some(0) {
        problems.push(format!(
            "after the lock was released the build should exit 0; got {status:?}; stderr: {}",
            stderr_now()
        ));
    }
    if !out.join(".metricdict-site").is_file() {
        problems.push("the site has no .metricdict-site marker".into());
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 14: "Second test: a build never deletes a staging folder
/// `.public.metricdict-<pid>` whose pid is alive (create such a folder with the marker file,
/// named after the pid of a live child `sleep 30`), and does delete one named after a dead
/// pid."
#[test]
fn a_build_keeps_the_staging_folder_of_a_live_process() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let out = tmp.path().join("public");
    let live = Guard(
        Command::new("sleep")
            .arg("30")
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut gone = Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let staging = |pid: u32| {
        let d = tmp.path().join(format!(".public.metricdict-{pid}"));
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join(".metricdict-site"),
            "metricdict output; safe to delete\n",
        )
        .unwrap();
        fs::write(d.join("index.html"), "<p>half-written</p>").unwrap();
        d
    };
    let live_dir = staging(live.id());
    let dead_dir = staging(dead_pid);
    build_ok(tmp.path(), &defs, &out, &["-q"]);
    let mut problems = Vec::new();
    if !live_dir.join(".metricdict-site").is_file() {
        problems.push(format!(
            "{} (pid {} is alive) was deleted",
            live_dir.display(),
            live.id()
        ));
    }
    if dead_dir.exists() {
        problems.push(format!(
            "{} (pid {dead_pid} is dead) was left behind",
            dead_dir.display()
        ));
    }
    assert_no_problems(&problems);
}

/// Descriptions that YAML 1.1 readers (PyYAML, Ruby's Psych as GitLab uses it) would turn into
/// something else, or that need quoting.
const TRICKY: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "true",
    "null",
    "~",
    "1_000",
    "0x1F",
    "1:20",
    "2001-12-14",
    "=",
    "<<",
    "- leading dash",
    "  spaces around  ",
    "#comment-like",
    "key: value",
    "'quoted'",
    "\"dq\"",
    "%percent",
    "@at",
    "`tick",
    "!tag",
    "&anchor",
    "*alias",
    "|pipe",
    ">fold",
    "1e3",
    ".inf",
    "0o17",
    "+12",
    "multi\nline",
];

const PY_READ: &str = r#"
import sys, json, yaml
out = []
for p in sys.argv[1:]:
    try:
        with open(p, 'rb') as f:
            d = yaml.safe_load(f)
        v = d.get('description') if isinstance(d, dict) else None
        out.append({'type': type(v).__name__, 'value': v if isinstance(v, str) else repr(v)})
    except Exception as e:
        out.append({'type': 'error', 'value': str(e).replace('\n', ' ')})
print(json.dumps(out))
"#;

/// Issue 20, item 15: "`metricdict new event` / `new metric` with `--description` values: `yes`,
/// `no`, `on`, … `multi\\nline` … For each: the command exits 0 and the written YAML file, read
/// back by (a) Python's PyYAML `yaml.safe_load` (YAML 1.1 …) and (b) `metricdict check` of that
/// file succeeds, gives exactly the input string as `description` (whitespace preserved; the
/// lead decided leading/trailing whitespace is preserved, not trimmed)."
#[test]
fn new_writes_descriptions_every_yaml_reader_reads_back_exactly() {
    let tmp = tempdir();
    let defs = basic_defs(tmp.path());
    let mut problems = Vec::new();
    // (file, kind, id, description)
    let mut written: Vec<(PathBuf, &str, String, &str)> = Vec::new();
    for (i, &desc) in TRICKY.iter().enumerate() {
        let action = format!("tricky_event_{i}");
        let key_path = format!("counts.tricky_metric_{i}");
        let description = format!("--description={desc}");
        let event_args: Vec<&str> = vec![
            "new",
            "event",
            "--action",
            &action,
            &description,
            "--group",
            "code_review",
            "--identifiers",
            "user",
            "--tiers",
            "free",
            "--milestone",
            "18.6",
            "--introduced-by-url",
            URL,
            "-d",
            s(&defs),
        ];
        let metric_args: Vec<&str> = vec![
            "new",
            "metric",
            "--events",
            "create_merge_request",
            "--key-path",
            &key_path,
            &description,
            "--group",
            "code_review",
            "--tiers",
            "free",
            "--time-frame",
            "all",
            "--milestone",
            "18.6",
            "--introduced-by-url",
            URL,
            "-d",
            s(&defs),
        ];
        for (kind, id, args) in [
            ("event", &action, event_args),
            ("metric", &key_path, metric_args),
        ] {
            let r = md(tmp.path(), &args, 60);
            if r.code != Some(0) {
                problems.push(format!(
                    "new {kind} --description={desc:?}: {}",
                    r.summary()
                ));
                continue;
            }
            written.push((PathBuf::from(r.out().trim()), kind, id.clone(), desc));
        }
    }
    // (a) PyYAML, as GitLab's Ruby tooling and most YAML 1.1 readers see the file.
    let python = Command::new("python3").args(["-c", "import yaml"]).status();
    if python.is_ok_and(|s| s.success()) {
        let mut c = Command::new("python3");
        c.arg("-c").arg(PY_READ).args(written.iter().map(|w| &w.0));
        let r = run_bounded(c, Duration::from_secs(60));
        match parse_json(&r.out()) {
            Ok(J::Arr(read)) if read.len() == written.len() => {
                for ((file, kind, _, desc), got) in written.iter().zip(&read) {
                    let (ty, value) = (got.get("type").str(), got.get("value").str());
                    if ty != "str" || value != *desc {
                        let line = fs::read_to_string(file)
                            .unwrap_or_default()
                            .lines()
                            .find(|l| l.starts_with("description:"))
                            .unwrap_or("")
                            .to_string();
                        problems.push(format!(
                            "PyYAML reads the {kind} written for {desc:?} as {ty} {value:?} (file: {line})"
                        ));
                    }
                }
            }
            _ => problems.push(format!("PyYAML read-back failed: {}", r.summary())),
        }
    } else {
        // CI installs PyYAML (.ci/run) and requires it; a bare machine skips, loudly.
        assert!(
            std::env::var_os("METRICDICT_REQUIRE_PYYAML").is_none(),
            "python3 with PyYAML is required here (pip install pyyaml)"
        );
        eprintln!(
            "\n*** WARNING: python3 with PyYAML is not available; the YAML 1.1 read-back of \
             item 15 is SKIPPED (pip install pyyaml) ***\n"
        );
    }
    // (b) metricdict itself: check finds nothing in the written files…
    let files: Vec<&str> = written.iter().map(|w| s(&w.0)).collect();
    let (r, diags) = check_json(tmp.path(), &defs, &files, 120);
    if r.code != Some(0) || !diags.is_empty() {
        problems.push(format!(
            "check of the written files: exit {:?}, diagnostics:\n  {}",
            r.code,
            show_all(&diags)
        ));
    }
    // …and reads the same description (its downloads trim leading/trailing whitespace, as
    // they do for every field).
    let site = tmp.path().join("site");
    let b = md(
        tmp.path(),
        &["build", "-q", "-d", s(&defs), "--out", s(&site)],
        300,
    );
    if b.code == Some(0) {
        let events = parse_json(&common::read(site.join("events.json"))).unwrap();
        let metrics = parse_json(&common::read(site.join("metrics.json"))).unwrap();
        for (_, kind, id, desc) in &written {
            let (doc, list, field) = if *kind == "event" {
                (&events, "events", "action")
            } else {
                (&metrics, "metrics", "key_path")
            };
            let got = doc
                .get(list)
                .items()
                .iter()
                .find(|r| r.get(field).str() == id.as_str())
                .map(|r| r.get("description").str().to_string());
            if got.as_deref() != Some(desc.trim()) {
                problems.push(format!(
                    "metricdict reads the {kind} written for {desc:?} as {got:?}"
                ));
            }
        }
    } else {
        problems.push(format!("build of the written definitions: {}", b.summary()));
    }
    assert_no_problems(&problems);
}

/// Issue 20, item 16: "Duplicate key: a metric YAML with `description:` twice (lines 2 and 9) →
/// check reports the duplicate at line 9 (the second occurrence), column 1."
#[test]
fn a_duplicate_key_is_reported_at_its_second_occurrence() {
    let tmp = tempdir();
    let defs = tmp.path().join("defs");
    fs::create_dir_all(&defs).unwrap();
    fs::write(
        defs.join("dup.yml"),
        format!(
            "key_path: counts.dup\ndescription: first\nproduct_group: code_review\n\
             value_type: number\nstatus: active\ntime_frame: all\ndata_source: database\n\
             data_category: optional\ndescription: second\ntiers:\n- free\nmilestone: \"16.0\"\n\
             introduced_by_url: {URL}\n"
        ),
    )
    .unwrap();
    let (r, diags) = check_json(tmp.path(), &defs, &[], 60);
    let hit = diags.iter().any(|d| {
        d.get("file").str().ends_with("dup.yml")
            && d.get("severity").str() == "error"
            && d.get("line").num() == Some(9.0)
            && d.get("column").num() == Some(1.0)
            && d.get("message").str().contains("description")
    });
    assert!(
        r.code == Some(1) && hit,
        "expected exit 1 and an error at dup.yml:9:1 naming `description`; exit {:?}, got:\n  {}",
        r.code,
        show_all(&diags)
    );
    let human = md(tmp.path(), &["check", "-d", s(&defs)], 60);
    assert!(
        human.err().contains("dup.yml:9:1"),
        "human output should point at dup.yml:9:1: {}",
        human.summary()
    );
}
