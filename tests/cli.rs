//! The command line people expect of a static-site generator: version, init, completions and
//! a man page, --config and --root, METRICDICT_* variables, --color, format checking.

use crate::common;
use common::*;
use std::fs;
use std::path::Path;

fn run_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = bin();
    c.current_dir(cwd).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn version_names_the_commit_and_its_date() {
    let o = run(&repo(), &["--version"]);
    let out = stdout(&o);
    assert!(o.status.success());
    // metricdict 0.1.0 (0123456789 2026-12-03), or "unknown" outside a checkout.
    let inner = out
        .trim()
        .strip_prefix(&format!("metricdict {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{out}"));
    let (commit, date) = inner.split_once(' ').unwrap();
    assert!(commit.len() == 10 || commit == "unknown", "{out}");
    assert!(
        date == "unknown" || (date.len() == 10 && date.as_bytes()[4] == b'-'),
        "{out}"
    );
}

#[test]
fn init_makes_a_dictionary_that_checks_and_builds_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dict");
    let o = run(tmp.path(), &["init", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("metricdict.toml").is_file());
    assert!(dir.join("definitions/identifiers.yml").is_file());
    let check = run(&dir, &["check"]);
    assert!(
        stderr(&check).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&check)
    );
    let build = run(&dir, &["build", "-q"]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert!(dir.join("public/index.html").is_file());
    assert_eq!(fs::read_dir(dir.join("public/metrics")).unwrap().count(), 1);
    // A second init refuses to replace it.
    let again = run(tmp.path(), &["init", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&repo(), &["completions", shell]);
        assert!(o.status.success());
        assert!(stdout(&o).contains("metricdict"), "{shell}");
        assert!(stdout(&o).contains("baseline-ref"), "{shell}: every flag");
    }
    let man = run(&repo(), &["man"]);
    assert!(man.status.success());
    assert!(stdout(&man).starts_with(".ie") || stdout(&man).contains(".TH metricdict"));
}

#[test]
fn settings_come_from_flags_then_variables_then_the_config_file() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("basic"), &tmp.path().join("definitions"));
    fs::write(
        tmp.path().join("metricdict.toml"),
        "title = \"From the file\"\nout = \"site-from-file\"\n",
    )
    .unwrap();
    let title = |dir: &str| {
        let html = read(tmp.path().join(dir).join("index.html"));
        let t = html.split("<title>").nth(1).unwrap();
        t.split("</title>").next().unwrap().to_string()
    };
    let o = run_env(tmp.path(), &["build", "-q"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(title("site-from-file").contains("From the file"));
    let o = run_env(
        tmp.path(),
        &["build", "-q"],
        &[
            ("METRICDICT_TITLE", "From a variable"),
            ("METRICDICT_OUT", "site-env"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(title("site-env").contains("From a variable"));
    let o = run_env(
        tmp.path(),
        &[
            "build",
            "-q",
            "--title",
            "From a flag",
            "--out",
            "site-flag",
        ],
        &[("METRICDICT_TITLE", "From a variable")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(title("site-flag").contains("From a flag"));
    // --config names another file; --root runs as if started in a folder.
    fs::write(
        tmp.path().join("other.toml"),
        "title = \"Other file\"\nout = \"site-other\"\n",
    )
    .unwrap();
    let o = run_env(
        &repo(),
        &[
            "--root",
            tmp.path().to_str().unwrap(),
            "--config",
            "other.toml",
            "build",
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(title("site-other").contains("Other file"));
    // `search --site` defaults to the configured output folder.
    let o = run_env(tmp.path(), &["search", "merge", "--format", "json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("counts.merge_requests"));
}

#[test]
fn unknown_formats_are_refused_everywhere() {
    for args in [
        vec!["check", "--format", "yaml"],
        vec!["search", "x", "--format", "yaml"],
        vec!["ci", "jenkins"],
        vec!["completions", "tcsh"],
        vec!["--color", "sometimes", "check"],
    ] {
        let o = run(&repo(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("invalid value"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn color_is_always_never_or_automatic() {
    let defs = fixture("invalid");
    let colored = |when: &str| {
        let o = run(
            &repo(),
            &["--color", when, "check", "-d", defs.to_str().unwrap()],
        );
        stderr(&o).contains("\x1b[")
    };
    assert!(colored("always"));
    assert!(!colored("never"));
    assert!(!colored("auto"), "not a terminal");
}

#[test]
fn serve_open_starts_the_browser_on_the_site() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("opened.txt");
    let browser = tmp.path().join("browser.sh");
    fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > {}\n", record.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&browser, fs::Permissions::from_mode(0o755)).unwrap();
    let mut child = bin()
        .current_dir(tmp.path())
        .args([
            "serve",
            "-d",
            fixture("basic").to_str().unwrap(),
            "--port",
            "0",
            "--open",
            "--quiet",
        ])
        .env("BROWSER", &browser)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !record.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let opened = fs::read_to_string(&record).unwrap_or_default();
    assert!(
        opened.starts_with("http://127.0.0.1:"),
        "opened: {opened:?}"
    );
}
