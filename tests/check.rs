//! `metricdict check`: precise diagnostics for every broken file, hostile input handled without
//! panics, machine-readable formats that match their schemas, and atomic output under SIGKILL.

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn check_json(defs: &Path) -> (Option<i32>, Vec<Value>) {
    let o = run(
        &repo(),
        &["check", "-d", defs.to_str().unwrap(), "--format", "json"],
    );
    let diags: Vec<Value> = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    (o.status.code(), diags)
}

/// Each file in tests/fixtures/invalid states its expected diagnostics in `# expect:` lines:
/// `# expect: <severity> <rule> <line>:<column>` (`*` matches any column).
#[test]
fn every_invalid_fixture_gives_its_expected_diagnostic() {
    let dir = fixture("invalid");
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(1));
    let mut actual: BTreeMap<String, Vec<(String, String, u64, u64)>> = BTreeMap::new();
    for d in &diags {
        let file = Path::new(d["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        actual.entry(file).or_default().push((
            d["severity"].as_str().unwrap().into(),
            d["rule"].as_str().unwrap().into(),
            d["line"].as_u64().unwrap(),
            d["column"].as_u64().unwrap(),
        ));
    }
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let expected: Vec<Vec<String>> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .collect();
        let got = actual.remove(&name).unwrap_or_default();
        for e in &expected {
            let (line, col) = e[2].split_once(':').unwrap();
            let hit = got.iter().any(|(s, r, l, c)| {
                s == &e[0]
                    && r == &e[1]
                    && (line == "*" || l.to_string() == line)
                    && (col == "*" || c.to_string() == col)
            });
            assert!(hit, "{name}: expected {e:?}, got {got:?}");
        }
        // No error that the file does not announce.
        let unexpected: Vec<_> = got
            .iter()
            .filter(|(s, r, ..)| s == "error" && !expected.iter().any(|e| &e[1] == r))
            .collect();
        assert!(unexpected.is_empty(), "{name}: unexpected {unexpected:?}");
        checked += 1;
    }
    assert!(checked >= 20);
    assert!(
        actual.is_empty(),
        "diagnostics for files that do not exist: {actual:?}"
    );
    // Every diagnostic with a position has a snippet of that line, unless the line is past the end.
    assert!(diags
        .iter()
        .filter(|d| d["rule"] == "schema-enum")
        .all(|d| d["snippet"].is_string()));
}

#[test]
fn human_output_names_file_line_column_found_and_expected() {
    let o = run(
        &repo(),
        &["check", "-d", fixture("invalid").to_str().unwrap()],
    );
    let err = stderr(&o);
    assert!(
        err.contains("bad_enum.yml:10:16: error[schema-enum]"),
        "{err}"
    );
    assert!(err.contains("10 | data_category: secret"), "{err}");
    assert!(err.contains("found: \"secret\""), "{err}");
    assert!(
        err.contains("expected: one of operational, optional, subscription, standard"),
        "{err}"
    );
    assert!(
        err.contains("duplicate key_path `counts.twice`, also defined in"),
        "{err}"
    );
    assert!(
        err.contains("duplicate_key_path_a.yml"),
        "duplicate names both files: {err}"
    );
}

#[test]
fn json_and_gitlab_formats_match_their_schemas() {
    for (format, schema) in [
        ("json", "diagnostics.schema.json"),
        ("gitlab", "gitlab-code-quality.schema.json"),
    ] {
        let o = run(
            &repo(),
            &["check", "-d", "tests/fixtures/invalid", "--format", format],
        );
        assert_eq!(o.status.code(), Some(1));
        let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let schema: Value = serde_json::from_str(&read(fixture("schemas").join(schema))).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{format}: {errors:?}");
        assert!(report.as_array().unwrap().len() >= 20);
    }
    // Fingerprints are stable between runs and unique per problem.
    let a = stdout(&run(
        &repo(),
        &[
            "check",
            "-d",
            "tests/fixtures/invalid",
            "--format",
            "gitlab",
        ],
    ));
    let b = stdout(&run(
        &repo(),
        &[
            "check",
            "-d",
            "tests/fixtures/invalid",
            "--format",
            "gitlab",
        ],
    ));
    assert_eq!(a, b);
    let report: Vec<Value> = serde_json::from_str(&a).unwrap();
    let mut fps: Vec<&str> = report
        .iter()
        .map(|r| r["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), report.len());
}

#[test]
fn clean_dictionary_exits_zero_and_missing_folder_exits_two() {
    let o = run(&repo(), &["check", "-d", "tests/fixtures/basic"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&repo(), &["check", "-d", "tests/fixtures/does-not-exist"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does-not-exist"));
}

#[cfg(unix)]
#[test]
fn hostile_files_each_get_a_diagnostic_and_the_rest_is_still_checked() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    fs::create_dir_all(defs.join("loop")).unwrap();
    fs::copy(
        fixture("basic").join("config/metrics/counts_all/20210101000000_merge_requests.yml"),
        defs.join("good.yml"),
    )
    .unwrap();
    // 50 MB file: rejected unread.
    let big = fs::File::create(defs.join("huge.yml")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    // A symlink loop and a dangling link.
    symlink(&defs, defs.join("loop/back")).unwrap();
    symlink(defs.join("nowhere.yml"), defs.join("dangling.yml")).unwrap();
    // Unreadable (only meaningful when not running as root).
    fs::write(defs.join("secret.yml"), "key_path: counts.secret\n").unwrap();
    fs::set_permissions(defs.join("secret.yml"), fs::Permissions::from_mode(0o000)).unwrap();
    let root = fs::read(defs.join("secret.yml")).is_ok();

    let o = run(
        &repo(),
        &["check", "-d", defs.to_str().unwrap(), "--format", "json"],
    );
    let diags: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let rule_for = |file: &str| -> Vec<String> {
        diags
            .iter()
            .filter(|d| d["file"].as_str().unwrap().ends_with(file))
            .map(|d| d["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(rule_for("huge.yml"), vec!["file-too-large"]);
    assert!(
        diags
            .iter()
            .any(|d| d["rule"] == "unreadable" && d["message"].as_str().unwrap().contains("loop")),
        "{diags:#?}"
    );
    assert_eq!(rule_for("dangling.yml"), vec!["unreadable"]);
    if !root {
        assert_eq!(rule_for("secret.yml"), vec!["unreadable"]);
    }
    assert_eq!(o.status.code(), Some(1));
    // The good definition was still read and checked.
    let human = stderr(&run(&repo(), &["check", "-d", defs.to_str().unwrap()]));
    let expected = if root {
        "checked 2 metrics"
    } else {
        "checked 1 metrics"
    };
    assert!(human.contains(expected), "{human}");
    fs::set_permissions(defs.join("secret.yml"), fs::Permissions::from_mode(0o644)).unwrap();
}

/// Kill builds at many points; `--out` is always the complete old site or the complete new one.
#[cfg(unix)]
#[test]
fn a_build_killed_at_any_moment_leaves_old_or_new_site() {
    use std::time::Duration;
    let defs = corpus().unwrap_or_else(|| fixture("basic"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let build_with = |title: &str| {
        let mut c = bin();
        c.current_dir(repo())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args([
                "build",
                "-q",
                "-d",
                defs.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--title",
                title,
            ]);
        c
    };
    // Reference file lists for both versions.
    assert!(build_with("New").status().unwrap().success());
    let new_files = files(&out);
    let new_index = read(out.join("index.html"));
    assert!(build_with("Old").status().unwrap().success());
    let old_files = files(&out);
    let old_index = read(out.join("index.html"));
    let strip = |s: std::collections::BTreeSet<String>| -> std::collections::BTreeSet<String> {
        s.into_iter()
            .filter(|p| !p.starts_with("search/index/"))
            .collect()
    };
    let (old_files, new_files) = (strip(old_files), strip(new_files));

    let mut saw_old = 0;
    let mut saw_new = 0;
    for i in 0..24u64 {
        let mut child = build_with(if i % 2 == 0 { "New" } else { "Old" })
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(i * 17 % 400));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = strip(files(&out));
        let index = read(out.join("index.html"));
        if now == old_files && index == old_index {
            saw_old += 1;
        } else if now == new_files && index == new_index {
            saw_new += 1;
        } else {
            panic!("after kill {i}: --out is neither the old nor the new site");
        }
        // Put the old site back for the next round.
        if index != old_index {
            assert!(build_with("Old").status().unwrap().success());
        }
    }
    assert!(saw_old + saw_new == 24);
    // A later build cleans up what killed builds left behind.
    assert!(build_with("Old").status().unwrap().success());
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "site" && e.file_name() != ".site.metricdict-lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `check FILE…` reports only those files (an author's new definition, a merge request's
/// changed files) while cross-file rules still see the whole dictionary; `-q` drops warnings.
#[test]
fn check_of_named_files_reports_only_them_and_quiet_drops_warnings() {
    let dir = fixture("invalid");
    let d = dir.to_str().unwrap();
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let json = |args: &[&str]| {
        let mut all = vec!["check", "-d", d, "--format", "json"];
        all.extend_from_slice(args);
        let o = run(&repo(), &all);
        let diags: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        (o.status.code(), diags)
    };
    let files_of = |diags: &[Value]| -> std::collections::BTreeSet<String> {
        diags
            .iter()
            .map(|v| {
                let f = v["file"].as_str().unwrap();
                Path::new(f)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };

    // A file with only a warning: exit 0 although other files have errors.
    let (code, diags) = json(&[&file("capitalised_enum.yml")]);
    assert_eq!(code, Some(0));
    assert_eq!(
        files_of(&diags),
        ["capitalised_enum.yml".to_string()].into()
    );
    assert!(diags.iter().all(|v| v["severity"] == "warning"));
    // The second copy of a key path is still caught against the first, which is not named.
    let (code, diags) = json(&[&file("duplicate_key_path_b.yml")]);
    assert_eq!(code, Some(1));
    assert!(
        diags.iter().any(|v| v["rule"] == "duplicate-key-path"),
        "{diags:?}"
    );
    // Two files, spelled differently from how the loader spells them.
    let relative = "./tests/fixtures/invalid/bad_enum.yml".to_string();
    let (_, diags) = json(&[&relative, &file("capitalised_enum.yml")]);
    assert_eq!(
        files_of(&diags),
        [
            "bad_enum.yml".to_string(),
            "capitalised_enum.yml".to_string()
        ]
        .into()
    );

    // --quiet: errors only, and the summary still counts the hidden warnings.
    let (code, diags) = json(&["-q"]);
    assert_eq!(code, Some(1));
    assert!(!diags.is_empty() && diags.iter().all(|v| v["severity"] == "error"));
    let o = run(
        &repo(),
        &["check", "-d", d, "-q", &file("capitalised_enum.yml")],
    );
    assert!(
        stderr(&o).contains("0 errors, 1 warning (not shown: --quiet)"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("enum-case"), "{}", stderr(&o));

    // A file outside the definitions, or no file at all: could not run.
    let o = run(&repo(), &["check", "-d", d, "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not inside the definitions"),
        "{}",
        stderr(&o)
    );
    let o = run(&repo(), &["check", "-d", d, "no-such.yml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The caret stands under the problem however wide the characters before it are (CJK and
/// emoji take two columns in a terminal), as rustc's renderer draws it.
#[test]
fn the_caret_is_right_after_wide_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("config/metrics");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.yml"),
        "key_path: counts.wide\ndescription: 日本語の説明 😀 x: oops\n",
    )
    .unwrap();
    let o = run(tmp.path(), &["check", "-d", "."]);
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("2 | description:"))
        .unwrap_or_else(|| panic!("no source line in:\n{err}"));
    let source = lines[at].split_once("| ").unwrap().1;
    let caret = lines[at + 1];
    let caret_col = caret.find('^').unwrap() - (caret.find('|').unwrap() + 2);
    // Display width of the text before the `:` that is wrong: two columns per CJK character
    // or emoji, one per other character.
    let before = &source[..source.find("x:").unwrap() + 1];
    let width: usize = before
        .chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum();
    assert_eq!(caret_col, width, "caret misplaced:\n{err}");
}
