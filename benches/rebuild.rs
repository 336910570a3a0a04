//! Incremental rebuild and save→reload latency of the dev server.
//!
//!     cargo bench --bench rebuild -- DEFS_DIR
//!
//! Copies DEFS_DIR (default: the shared GitLab corpus, else `definitions/`) to a temporary
//! folder, then:
//!
//! 1. `LiveSite::rebuild`: one full first build, then 20 edits of one metric's description,
//!    each followed by `rebuild(&[path])`; reports the median and p90 of `Rebuild::elapsed` and
//!    the `parsed` / `rendered` / `reused` counts.
//! 2. Save→reload: the same site served by `LiveServer` with `watch` running; 20 times a
//!    browser-like long poll (`/__metricdict/poll?gen=N`) is waiting when the file is written,
//!    and the time from just before the write to the poll's answer is measured (that answer is
//!    what makes the page reload).
//!
//! Human-readable lines go to stderr; stdout gets one line of JSON (`{"bench":"rebuild",...}`)
//! for `bench/run`. Only 127.0.0.1 is contacted; every wait has a timeout.

use metricdict::build::Options;
use metricdict::serve::{watch, LiveServer, LiveSite, Rebuild};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

// The same allocator as the `metricdict` binary, so the numbers are the dev server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EDITS: usize = 20;
const RELOADS: usize = 20;
/// The whole save→reload phase stops after this, whatever it has measured.
const RELOAD_BUDGET: Duration = Duration::from_secs(900);
/// Longest wait for one poll answer (the server answers "no change" after 25 s).
const POLL_TIMEOUT: Duration = Duration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--")) // cargo bench appends `--bench`
        .collect();
    let src = match args.first() {
        Some(a) => PathBuf::from(a),
        None => {
            let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/gitlab");
            if shared.is_dir() {
                shared
            } else {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("definitions")
            }
        }
    };
    if !src.is_dir() {
        eprintln!("rebuild bench: {} is not a folder", src.display());
        std::process::exit(2);
    }
    let tmp = std::env::temp_dir().join(format!("metricdict-rebuild-bench-{}", std::process::id()));
    let defs = tmp.join("defs");
    let started = Instant::now();
    let copied = copy_tree(&src, &defs).unwrap_or_else(|e| fail(&tmp, &format!("copy: {e}")));
    eprintln!(
        "rebuild bench: copied {copied} files from {} in {:.1} s",
        src.display(),
        started.elapsed().as_secs_f64()
    );
    let Some(target) = pick_metric(&defs) else {
        fail(
            &tmp,
            "no metric file with a one-line plain `description:` found",
        );
    };
    eprintln!("rebuild bench: editing {}", target.display());
    let original = std::fs::read_to_string(&target).unwrap_or_else(|e| fail(&tmp, &e.to_string()));

    let opts = Options {
        definitions: vec![defs.clone()],
        out: PathBuf::new(),
        base_url: "/".into(),
        repo_url: None,
        title: "Metrics Dictionary".into(),
        templates: None,
        static_dir: None,
        queries: None,
        build_time: None,
        baseline: None,
        warnings: metricdict::load::Warnings::Placed,
        exit_after: false,
    };
    let mut live = LiveSite::new(opts);
    let first = live.rebuild(&[]);
    if !first.ok {
        fail(&tmp, "first build failed (the definitions have errors?)");
    }
    eprintln!(
        "first build: {:.0} ms ({} parsed, {} rendered)",
        ms(first.elapsed),
        first.parsed,
        first.rendered
    );

    // 1. In-process incremental rebuilds.
    let mut runs: Vec<Rebuild> = Vec::new();
    for i in 0..EDITS {
        std::fs::write(&target, edited(&original, i))
            .unwrap_or_else(|e| fail(&tmp, &e.to_string()));
        let r = live.rebuild(std::slice::from_ref(&target));
        if !r.ok {
            fail(&tmp, "a rebuild after an edit failed");
        }
        runs.push(r);
    }
    let times: Vec<f64> = runs.iter().map(|r| ms(r.elapsed)).collect();
    // Median of each count over the edits (they are normally the same every time).
    let counts = |f: fn(&Rebuild) -> usize| {
        median(&runs.iter().map(|r| f(r) as f64).collect::<Vec<_>>()).round() as u64
    };
    let (parsed, rendered, reused) = (
        counts(|r| r.parsed),
        counts(|r| r.rendered),
        counts(|r| r.reused),
    );
    eprintln!(
        "one-file rebuild: median {:.1} ms, p90 {:.1} ms over {EDITS} edits; {parsed} parsed, {rendered} rendered, {reused} reused",
        median(&times),
        p90(&times)
    );

    // 2. Save→reload through the dev server.
    let server = LiveServer::start(live.shared(), "127.0.0.1:0", "/")
        .unwrap_or_else(|e| fail(&tmp, &format!("server: {e}")));
    let addr: SocketAddr = ([127, 0, 0, 1], server.port).into();
    std::thread::spawn(move || {
        if let Err(e) = watch(live, false, None) {
            eprintln!("rebuild bench: watch failed: {e}");
        }
    });
    // Between saves: no rebuild for this long means the watcher is idle (a save triggers one
    // debounced rebuild, finished by the time its poll answers).
    let settle_for = Duration::from_millis(300);
    let budget_end = Instant::now() + RELOAD_BUDGET;
    let mut reloads: Vec<f64> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut edit_no = EDITS;
    // Warm-up: the watcher registers asynchronously; retry until an edit is seen.
    let mut watching = false;
    for _ in 0..5 {
        edit_no += 1;
        if let Ok(Some(_)) = save_and_wait(addr, &target, &edited(&original, edit_no)) {
            watching = true;
            break;
        }
    }
    if !watching {
        failures.push("the watcher never saw an edit".into());
    }
    while watching && reloads.len() + failures.len() < RELOADS && Instant::now() < budget_end {
        settle(addr, settle_for);
        edit_no += 1;
        match save_and_wait(addr, &target, &edited(&original, edit_no)) {
            Ok(Some(latency)) => reloads.push(ms(latency)),
            Ok(None) => failures.push("no reload (the rebuild reported problems)".into()),
            Err(e) => failures.push(e),
        }
    }
    if !reloads.is_empty() {
        eprintln!(
            "save→reload: median {:.1} ms, p90 {:.1} ms over {} saves",
            median(&reloads),
            p90(&reloads),
            reloads.len()
        );
    }
    for f in &failures {
        eprintln!("save→reload problem: {f}");
    }

    let out = json!({
        "bench": "rebuild",
        "source": src.display().to_string(),
        "files": copied,
        "first_build_ms": round1(ms(first.elapsed)),
        "rebuild_ms": {"median": round1(median(&times)), "p90": round1(p90(&times)),
                       "min": round1(min(&times)), "max": round1(max(&times)), "n": times.len()},
        "parsed": parsed, "rendered": rendered, "reused": reused,
        "reload_ms": {"median": round1(median(&reloads)), "p90": round1(p90(&reloads)),
                      "min": round1(min(&reloads)), "max": round1(max(&reloads)), "n": reloads.len()},
        "reload_failures": failures.len(),
    });
    println!("{out}");
    drop(server);
    let _ = std::fs::remove_dir_all(&tmp);
    std::process::exit(if failures.is_empty() { 0 } else { 1 });
}

fn fail(tmp: &Path, msg: &str) -> ! {
    eprintln!("rebuild bench: {msg}");
    let _ = std::fs::remove_dir_all(tmp);
    std::process::exit(1);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round1(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!((x * 10.0).round() / 10.0)
    } else {
        serde_json::Value::Null
    }
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s
}

fn median(v: &[f64]) -> f64 {
    let s = sorted(v);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Nearest-rank 90th percentile.
fn p90(v: &[f64]) -> f64 {
    let s = sorted(v);
    if s.is_empty() {
        return f64::NAN;
    }
    let rank = ((0.9 * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

fn min(v: &[f64]) -> f64 {
    sorted(v).first().copied().unwrap_or(f64::NAN)
}

fn max(v: &[f64]) -> f64 {
    sorted(v).last().copied().unwrap_or(f64::NAN)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ty = e.file_type()?;
        let dst = to.join(e.file_name());
        if ty.is_dir() {
            n += copy_tree(&e.path(), &dst)?;
        } else if ty.is_file() {
            std::fs::copy(e.path(), &dst)?;
            n += 1;
        }
    }
    Ok(n)
}

/// The first metric (in path order, `config/metrics` first) whose description is one plain
/// line, so appending a word is a safe edit.
fn pick_metric(defs: &Path) -> Option<PathBuf> {
    let mut dirs = vec![
        defs.join("config/metrics"),
        defs.join("ee/config/metrics"),
        defs.to_path_buf(),
    ];
    dirs.retain(|d| d.is_dir());
    for dir in dirs {
        let mut stack = vec![dir];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).ok()?.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let lines: Vec<&str> = text.lines().collect();
            let is_metric = lines.iter().any(|l| l.starts_with("key_path:"));
            let plain_desc = lines.iter().enumerate().any(|(i, l)| {
                l.strip_prefix("description: ").is_some_and(|v| {
                    !v.is_empty() && !v.starts_with(['"', '\'', '>', '|']) && !v.contains(" #")
                }) && lines.get(i + 1).is_none_or(|n| !n.starts_with(' '))
            });
            if is_metric && plain_desc {
                return Some(f);
            }
        }
    }
    None
}

/// `original` with word number `i` appended to its description line.
fn edited(original: &str, i: usize) -> String {
    const WORDS: [&str; 8] = [
        "weekly",
        "instance",
        "projects",
        "users",
        "total",
        "unique",
        "pipelines",
        "groups",
    ];
    let mut out = String::with_capacity(original.len() + 32);
    for line in original.split_inclusive('\n') {
        if line.starts_with("description: ") {
            let body = line.trim_end_matches(['\r', '\n']);
            out.push_str(body);
            out.push_str(&format!(" {} {i}", WORDS[i % WORDS.len()]));
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// One HTTP/1.1 GET with `Connection: close`; returns (status, body).
fn get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> Result<(u16, String), String> {
    let mut buf = Vec::new();
    s.take(1 << 20)
        .read_to_end(&mut buf)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed response")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no status")?;
    Ok((status, body.to_string()))
}

fn generation_of(body: &str) -> Result<(u64, bool), String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("poll body: {e}"))?;
    let g = v["generation"]
        .as_u64()
        .ok_or("poll body has no generation")?;
    Ok((g, v["problems"].is_null()))
}

/// The server's current generation (a poll with a bogus `gen` answers at once).
fn current(addr: SocketAddr) -> Result<u64, String> {
    let (status, body) = get(addr, "/__metricdict/poll?gen=-1", Duration::from_secs(10))?;
    if status != 200 {
        return Err(format!("poll answered {status}"));
    }
    Ok(generation_of(&body)?.0)
}

/// Wait until no rebuild has happened for `quiet` (bounded to a few rounds).
fn settle(addr: SocketAddr, quiet: Duration) {
    for _ in 0..10 {
        let Ok(g) = current(addr) else { return };
        match get(addr, &format!("/__metricdict/poll?gen={g}"), quiet) {
            Err(e) if e.contains("read") => return, // timed out: quiet
            Ok(_) => continue,                      // something was rebuilt: wait again
            Err(_) => return,
        }
    }
}

/// With a reload poll waiting, write `text` to `file`; the time until the poll answers.
/// `Ok(None)`: the answer came but reported build problems.
fn save_and_wait(addr: SocketAddr, file: &Path, text: &str) -> Result<Option<Duration>, String> {
    let g = current(addr)?;
    let (ready_tx, ready_rx) = mpsc::channel();
    let poller = std::thread::spawn(move || -> Result<(Instant, u16, String), String> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("connect: {e}"))?;
        s.set_read_timeout(Some(POLL_TIMEOUT))
            .map_err(|e| e.to_string())?;
        write!(
            s,
            "GET /__metricdict/poll?gen={g} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| format!("send: {e}"))?;
        let _ = ready_tx.send(());
        // The first byte of the answer is the reload trigger; read the rest for the body.
        let mut first = [0u8; 1];
        s.read_exact(&mut first).map_err(|e| format!("read: {e}"))?;
        let at = Instant::now();
        let mut rest = Vec::new();
        s.take(1 << 20)
            .read_to_end(&mut rest)
            .map_err(|e| format!("read: {e}"))?;
        let mut all = first.to_vec();
        all.extend(rest);
        let text = String::from_utf8_lossy(&all).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed response")?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or("no status")?;
        Ok((at, status, body.to_string()))
    });
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| "the poll request was not sent".to_string())?;
    // Let the server accept and park the poll, as a browser's would be long before a save.
    std::thread::sleep(Duration::from_millis(20));
    let t0 = Instant::now();
    std::fs::write(file, text).map_err(|e| format!("write: {e}"))?;
    let (at, status, body) = poller
        .join()
        .map_err(|_| "poll thread panicked".to_string())??;
    if status != 200 {
        return Err(format!("poll answered {status}"));
    }
    let (new_gen, clean) = generation_of(&body)?;
    if new_gen == g {
        return Err(format!("no rebuild within {} s", POLL_TIMEOUT.as_secs()));
    }
    Ok(clean.then(|| at.saturating_duration_since(t0)))
}
