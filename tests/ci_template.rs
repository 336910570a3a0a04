//! The CI templates in docs/ci/ run what they say. The commands are read out of
//! docs/ci/gitlab-ci.yml and run here with the binary, in a repository laid out as the template
//! expects (definitions/ at its root), so the documentation and this test cannot drift apart.

use crate::common;
use common::*;
use serde_yaml::Value;
use std::fs;
use std::path::Path;

/// What GitLab would put in `$CI_PAGES_URL` for a project site.
const PAGES_URL: &str = "https://example.gitlab.io/dictionary";

/// How both templates install metricdict.
const PIP_INSTALL: &str = "pip install \"metricdict==${METRICDICT_VERSION}\"";

fn template(name: &str) -> Value {
    serde_yaml::from_str(&read(repo().join("docs/ci").join(name))).expect("template is YAML")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

/// Split one script line as a POSIX shell would for these simple commands: words, "double
/// quotes", `$VAR` expanded from `env`. Stops at a redirection or `||`; returns the words and
/// the file stdout is redirected to.
fn command(line: &str, env: &[(&str, &str)]) -> (Vec<String>, Option<String>) {
    let mut expanded = line.to_string();
    for (k, v) in env {
        expanded = expanded.replace(&format!("${k}"), v);
    }
    assert!(!expanded.contains('$'), "unexpanded variable in {line:?}");
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in expanded.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let end = words
        .iter()
        .position(|w| w == ">" || w == "||")
        .unwrap_or(words.len());
    let redirect =
        (words.get(end).map(String::as_str) == Some(">")).then(|| words[end + 1].clone());
    words.truncate(end);
    (words, redirect)
}

/// Run a `metricdict …` script line in `cwd`; returns (exit code, stdout).
fn run_line(cwd: &Path, line: &str) -> (Option<i32>, String) {
    let (words, redirect) = command(line, &[("CI_PAGES_URL", PAGES_URL)]);
    assert_eq!(words[0], "metricdict", "{line}");
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let o = run(cwd, &args);
    let out = stdout(&o);
    if let Some(file) = redirect {
        fs::write(cwd.join(file), &out).unwrap();
    }
    assert!(
        o.status.code() == Some(0),
        "{line}: exit {:?}\n{}",
        o.status.code(),
        stderr(&o)
    );
    (o.status.code(), out)
}

/// A definitions repository as the template expects it: definitions/ at the root.
fn definitions_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixture("basic");
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let to = tmp
            .path()
            .join("definitions")
            .join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&to).unwrap();
        } else {
            fs::copy(e.path(), &to).unwrap();
        }
    }
    tmp
}

#[test]
fn gitlab_template_checks_merge_requests_and_publishes_pages_under_the_project_path() {
    let ci = template("gitlab-ci.yml");

    // Merge requests (and the default branch, as the comparison base): a Code Quality report.
    let check = &ci["check"];
    let script = strings(&check["script"]);
    assert_eq!(script.len(), 1, "{script:?}");
    assert!(
        script[0].starts_with("metricdict check --format gitlab > gl-code-quality-report.json"),
        "{script:?}"
    );
    assert_eq!(
        check["artifacts"]["reports"]["codequality"],
        "gl-code-quality-report.json"
    );
    assert_eq!(check["artifacts"]["when"], "always");
    let workflow = format!("{:?}", ci["workflow"]["rules"]);
    assert!(workflow.contains("merge_request_event"), "{workflow}");
    assert!(workflow.contains("$CI_DEFAULT_BRANCH"), "{workflow}");

    // Default branch: the `pages` job publishes public/ under CI_PAGES_URL.
    let pages = &ci["pages"];
    let script = strings(&pages["script"]);
    assert_eq!(
        script,
        ["metricdict build --out public --base-url \"$CI_PAGES_URL/\""]
    );
    assert_eq!(strings(&pages["artifacts"]["paths"]), ["public"]);
    assert!(format!("{:?}", pages["rules"]).contains("$CI_DEFAULT_BRANCH"));

    // Both install metricdict the documented way: the PyPI wheel, pinned to this version, on a
    // slim Python image (.ci/package runs this very line against a local index serving the wheel).
    assert_eq!(ci["default"]["image"], "python:3.12-slim");
    let install = strings(&ci[".metricdict"]["before_script"]);
    assert_eq!(install, [PIP_INSTALL], "{install:?}");
    let variables = ci[".metricdict"]["variables"].as_mapping().unwrap();
    assert_eq!(
        ci[".metricdict"]["variables"]["METRICDICT_VERSION"],
        env!("CARGO_PKG_VERSION")
    );
    // METRICDICT_ROOT is cargo's install root in the fallback; the binary may read other
    // METRICDICT_* variables as settings: the template defines only the version.
    let ours: Vec<&str> = variables
        .keys()
        .filter_map(|k| k.as_str())
        .filter(|k| k.starts_with("METRICDICT_"))
        .collect();
    assert_eq!(ours, ["METRICDICT_VERSION"]);
    for job in [check, pages] {
        assert_eq!(job["extends"], ".metricdict");
    }
    // Compiling from source stays documented as the fallback (metricdict is not on crates.io).
    let text = read(repo().join("docs/ci/gitlab-ci.yml"));
    assert!(text.contains(
        "#     - cargo install --locked --git \"$METRICDICT_GIT\" $METRICDICT_INSTALL_ARGS --root \"$METRICDICT_ROOT\" metricdict"
    ));
    assert!(text.contains("GIT_DEPTH: 0"), "the --baseline-ref note");

    // Run the template's own lines.
    let tmp = definitions_repo();
    let root = tmp.path();
    let (code, _) = run_line(root, &strings(&check["script"])[0]);
    assert_eq!(code, Some(0));
    let report: serde_json::Value =
        serde_json::from_str(&read(root.join("gl-code-quality-report.json"))).unwrap();
    let issues = report.as_array().expect("a JSON array");
    assert!(!issues.is_empty(), "the fixture has warnings to report");
    for i in issues {
        let path = i["location"]["path"].as_str().unwrap();
        assert!(path.starts_with("definitions/config/"), "{path}");
        assert!(root.join(path).is_file(), "{path}");
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert_eq!(i["severity"], "minor");
    }

    run_line(root, &strings(&pages["script"])[0]);
    let public = root.join("public");
    assert!(public.join("index.html").is_file());
    let checked = check_links(&public, "/dictionary/");
    assert!(checked > 100, "only {checked} links checked");
    let sitemap = read(public.join("sitemap.xml"));
    assert!(
        sitemap.contains(&format!("<loc>{PAGES_URL}/metrics/")),
        "{}",
        &sitemap[..sitemap.len().min(400)]
    );
}

#[test]
fn github_template_checks_builds_and_deploys_pages() {
    let wf = template("github-pages.yml");
    let jobs = &wf["jobs"];
    let runs = |job: &str| -> Vec<String> {
        jobs[job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_string))
            .collect()
    };
    let uses = |job: &str| -> Vec<String> {
        jobs[job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s["uses"].as_str().map(str::to_string))
            .collect()
    };
    assert!(runs("check")
        .iter()
        .any(|r| r.starts_with("metricdict check --format json")));
    assert!(runs("build")
        .iter()
        .any(|r| r.starts_with("metricdict build --out public --base-url")));
    assert!(uses("build")
        .iter()
        .any(|u| u.starts_with("actions/upload-pages-artifact@")));
    assert!(uses("deploy")
        .iter()
        .any(|u| u.starts_with("actions/deploy-pages@")));
    assert_eq!(jobs["deploy"]["permissions"]["pages"], "write");
    assert_eq!(jobs["deploy"]["permissions"]["id-token"], "write");

    // The jobs that run metricdict install the pinned wheel on a set-up Python.
    assert_eq!(wf["env"]["METRICDICT_VERSION"], env!("CARGO_PKG_VERSION"));
    for job in ["check", "build"] {
        assert!(runs(job).iter().any(|r| r == PIP_INSTALL), "{job}");
        assert!(uses(job)
            .iter()
            .any(|u| u.starts_with("actions/setup-python@")));
    }
    let text = read(repo().join("docs/ci/github-pages.yml"));
    assert!(
        text.contains("#       cargo install --locked --git "),
        "the fallback"
    );
    assert!(text.contains("fetch-depth: 0"), "the --baseline-ref note");

    // The annotation filter reads these fields of `check --format json`.
    let tmp = definitions_repo();
    let (_, out) = run_line(tmp.path(), "metricdict check --format json");
    let diags: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(!diags.is_empty());
    for d in &diags {
        for field in ["severity", "file", "line", "column", "rule", "message"] {
            assert!(!d[field].is_null(), "{field} missing in {d}");
        }
        assert!(["error", "warning"].contains(&d["severity"].as_str().unwrap()));
    }
}

/// `metricdict ci gitlab|github` prints the files in docs/ci/ unchanged.
#[test]
fn ci_command_prints_the_templates() {
    for (platform, file) in [("gitlab", "gitlab-ci.yml"), ("github", "github-pages.yml")] {
        let o = run(&repo(), &["ci", platform]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), read(repo().join("docs/ci").join(file)));
    }
    let o = run(&repo(), &["ci", "jenkins"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `metrics.json`'s `generated.commit` after building the basic fixture with `env` set, git
/// found or not (`path`), outside any checkout.
fn stamped_commit(path: Option<&Path>, env: &[(&str, &str)]) -> serde_json::Value {
    let tmp = definitions_repo();
    let out = tmp.path().join("public");
    let mut cmd = bin();
    cmd.current_dir(tmp.path())
        .args(["build", "--out", out.to_str().unwrap()])
        .env_remove("CI_COMMIT_SHA")
        .env_remove("GITHUB_SHA")
        .envs(env.iter().copied());
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let o = cmd.output().expect("metricdict runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let metrics: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    metrics["generated"]["commit"].clone()
}

/// A slim CI image has no git: the site is stamped with the commit CI names instead
/// (`CI_COMMIT_SHA` on GitLab, then `GITHUB_SHA`), and never with something that is not one.
#[test]
fn without_git_the_commit_stamp_comes_from_ci_variables() {
    let empty = tempfile::tempdir().unwrap();
    let no_git = Some(empty.path());
    let gitlab = "0123456789abcdef0123456789abcdef01234567";
    let github = "89abcdef0123456789abcdef0123456789abcdef";
    let both = [("CI_COMMIT_SHA", gitlab), ("GITHUB_SHA", github)];
    assert_eq!(stamped_commit(no_git, &both), gitlab);
    assert_eq!(stamped_commit(no_git, &[("GITHUB_SHA", github)]), github);
    // git is there, but the definitions are not a checkout.
    assert_eq!(stamped_commit(None, &[("CI_COMMIT_SHA", gitlab)]), gitlab);
    // Nothing to go by, or not a commit: no stamp.
    assert!(stamped_commit(no_git, &[]).is_null());
    assert!(stamped_commit(no_git, &[("CI_COMMIT_SHA", "<script>")]).is_null());
}
