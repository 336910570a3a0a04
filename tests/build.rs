//! `metricdict build` on the in-repo fixture tree: pages, fields, links, downloads, atomicity.

use crate::common;
use common::*;
use std::fs;

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    (tmp, out)
}

#[test]
fn every_definition_gets_a_page_with_its_fields() {
    let (_t, out) = built();
    let f = files(&out);
    for p in [
        "index.html",
        "events/index.html",
        "metrics/counts.merge_requests/index.html",
        "metrics/counts.legacy_users/index.html",
        "metrics/redis_hll_counters.code_review.users_creating_merge_requests/index.html",
        "events/create_merge_request/index.html",
        "identifiers/index.html",
        "404.html",
        "sitemap.xml",
        "metrics.json",
        "metrics.csv",
        "events.json",
        "events.csv",
    ] {
        assert!(f.contains(p), "missing {p}");
    }
    let page = html(out.join("metrics/counts.merge_requests/index.html"));
    // Markdown description rendered.
    assert_eq!(
        select(&page, "strong")
            .iter()
            .filter(|e| text(e) == "merge requests")
            .count(),
        1,
        "markdown rendered"
    );
    // Every field has an anchor, and field values link to browse pages.
    for field in [
        "key_path",
        "product_group",
        "data_category",
        "tiers",
        "milestone",
        "introduced_by_url",
    ] {
        assert_eq!(
            select(&page, &format!("[id='{field}']")).len(),
            1,
            "anchor for {field}"
        );
    }
    assert!(
        !select(&page, "a[href='/groups/code_review/']").is_empty(),
        "group links to its page"
    );
    assert!(!select(&page, "a[href='/categories/operational/']").is_empty());
    let src = select(
        &page,
        "a[href^='https://gitlab.com/gitlab-org/gitlab/-/blob/master/config/metrics/counts_all/']",
    );
    assert!(!src.is_empty(), "view-source link");
    assert!(!select(
        &page,
        "a[href='https://gitlab.com/gitlab-org/gitlab/-/merge_requests/54332']"
    )
    .is_empty());
}

#[test]
fn milestone_8_10_survives_yaml_float_parsing() {
    let (_t, out) = built();
    let page = read(out.join("metrics/counts.legacy_users/index.html"));
    assert!(page.contains("8.10"), "page shows 8.10");
    let json: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let m = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key_path"] == "counts.legacy_users")
        .unwrap();
    assert_eq!(m["milestone"], "8.10");
    // Old shapes normalised: tier → tiers, capitalised category, group::name.
    assert_eq!(m["tiers"], serde_json::json!(["free"]));
    assert_eq!(m["data_category"], "optional");
    assert_eq!(m["product_group"], "access");
}

#[test]
fn legacy_events_sharing_an_action_get_separate_pages() {
    let (_t, out) = built();
    let json: serde_json::Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let creates: Vec<&serde_json::Value> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "create")
        .collect();
    assert_eq!(creates.len(), 2);
    let urls: Vec<&str> = creates.iter().map(|e| e["url"].as_str().unwrap()).collect();
    assert_ne!(urls[0], urls[1]);
    for u in urls {
        let p = out.join(u.trim_start_matches('/')).join("index.html");
        assert!(p.is_file(), "{}", p.display());
    }
    // The legacy label_description shows up as the `label` property.
    let legacy = creates
        .iter()
        .find(|e| e["category"] == "merge_request_action")
        .unwrap();
    assert_eq!(legacy["additional_properties"][0]["name"], "label");
}

#[test]
fn metric_links_to_its_events_and_back() {
    let (_t, out) = built();
    let m = html(
        out.join("metrics/redis_hll_counters.code_review.users_creating_merge_requests/index.html"),
    );
    assert!(
        !select(&m, "a[href='/events/create_merge_request/']").is_empty(),
        "metric → event"
    );
    let e = html(out.join("events/create_merge_request/index.html"));
    assert!(
        !select(
            &e,
            "a[href='/metrics/redis_hll_counters.code_review.users_creating_merge_requests/']"
        )
        .is_empty(),
        "event → metric"
    );
    // time_frame list → expanded key paths, as GitLab's dictionary shows them.
    let body = text(&select(&m, "main")[0]);
    assert!(body.contains("redis_hll_counters.code_review.users_creating_merge_requests_weekly"));
    assert!(body.contains("redis_hll_counters.code_review.users_creating_merge_requests_monthly"));
}

/// The table pages carry their first rows (what a reader without JavaScript sees); the
/// table data carries every row, removed ones included, with the values the filters use.
#[test]
fn tables_carry_every_row_with_filter_data() {
    let (_t, out) = built();
    let index = html(out.join("index.html"));
    let rows = select(&index, "tr[data-key]");
    assert_eq!(rows.len(), 4, "the page's rows: the metrics not removed");
    assert!(rows
        .iter()
        .all(|r| r.value().attr("data-removed") == Some("false")));
    let data: serde_json::Value =
        serde_json::from_str(&read(out.join("tables/metrics.json"))).unwrap();
    assert_eq!(data["same_as"]["category"], "data_category");
    let data = data["rows"].as_array().unwrap();
    assert_eq!(data.len(), 5, "every metric, removed included");
    let removed: Vec<_> = data.iter().filter(|r| r["removed"] == true).collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["key_path"], "counts_monthly.old_removed_thing");
    // A filter value equal to the row's own field is left out (`same_as` names the field).
    let operational = data
        .iter()
        .filter(|r| r["f"].get("category").unwrap_or(&r["data_category"]) == "operational")
        .count();
    assert_eq!(operational, 1);
    let box_ = &select(&index, ".dict-box")[0];
    assert_eq!(
        box_.value()
            .attr("data-rows")
            .map(|u| u.split('?').next().unwrap()),
        Some("/tables/metrics.json")
    );
    let events: serde_json::Value =
        serde_json::from_str(&read(out.join("tables/events.json"))).unwrap();
    let duo = events["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["f"].get("classification").unwrap_or(&r["classification"]) == "duo")
        .count();
    assert_eq!(duo, 1);
}

#[test]
fn downloads_have_one_row_per_definition_and_a_stamp() {
    let (_t, out) = built();
    let m: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    assert_eq!(m["metrics"].as_array().unwrap().len(), 5);
    assert!(m["generated"]["build_time"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    let e: serde_json::Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    assert_eq!(e["events"].as_array().unwrap().len(), 5);
    let csv = read(out.join("metrics.csv"));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(r.records().count(), 5);
    let csv = read(out.join("events.csv"));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "build_time"));
    assert_eq!(r.records().count(), 5);
}

#[test]
fn browse_page_counts_add_up() {
    let (_t, out) = built();
    let json: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let metrics = json["metrics"].as_array().unwrap();
    for (dir, field) in [("categories", "data_category"), ("groups", "product_group")] {
        let mut total = 0;
        for f in files(&out.join(dir))
            .iter()
            .filter(|p| p.ends_with("/index.html"))
        {
            let page = html(out.join(dir).join(f));
            let n = select(&page, ".item-list a")
                .iter()
                .filter(|a| {
                    let k = text(a);
                    ["counts", "redis", "settings"]
                        .iter()
                        .any(|p| k.starts_with(p))
                })
                .count();
            total += n;
            let value = f.trim_end_matches("/index.html");
            let expected = metrics
                .iter()
                .filter(|m| m[field].as_str() == Some(value))
                .count();
            assert_eq!(n, expected, "{dir}/{value}");
        }
        assert_eq!(total, metrics.len(), "{dir} pages cover every metric once");
    }
}

#[test]
fn links_resolve_at_root_and_under_a_sub_path() {
    let (_t, out) = built();
    assert!(check_links(&out, "/") > 50);
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("site");
    build(
        &fixture("basic"),
        &sub,
        &["--base-url", "https://example.gitlab.io/metrics/"],
    );
    assert!(check_links(&sub, "/metrics/") > 50);
    let sitemap = read(sub.join("sitemap.xml"));
    assert!(sitemap
        .contains("<loc>https://example.gitlab.io/metrics/metrics/counts.merge_requests/</loc>"));
}

#[test]
fn same_input_gives_identical_output() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        let o = bin()
            .current_dir(repo())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args([
                "build",
                "-d",
                fixture("basic").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // tantivy names its segments with random ids; everything else must be byte-identical.
    let keep = |p: &String| !p.starts_with("search/index/");
    let fa: Vec<String> = files(&a).into_iter().filter(keep).collect();
    let fb: Vec<String> = files(&b).into_iter().filter(keep).collect();
    assert_eq!(fa, fb);
    for f in &fa {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

/// The parts the default templates no longer read stay in the context: templates written
/// against them (this release's `base.html`, `queries.html`, `source.html`, `metric.html`,
/// `event.html`, `metric_item.html` and `event_item.html` before their output was made once per
/// build or in Rust) give every page byte for byte as the defaults do, with and without a
/// repository to link sources to.
#[test]
fn templates_written_against_the_parts_give_the_same_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let (defs, from_parts) = (fixture("basic"), fixture("templates-from-parts"));
    // "" turns the source links off ("Defined in …"), a URL links each definition's file.
    for repo_url in ["", "https://gitlab.example/repo/-/blob/main/"] {
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        for (out, own_templates) in [(&a, false), (&b, true)] {
            let mut args = vec!["build", "-q", "-d", defs.to_str().unwrap()];
            args.extend(["--out", out.to_str().unwrap()]);
            if own_templates {
                args.extend(["--templates", from_parts.to_str().unwrap()]);
            }
            args.extend(["--repo-url", repo_url]);
            let o = bin()
                .current_dir(repo())
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .args(&args)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
        }
        let pages: Vec<String> = files(&a)
            .into_iter()
            .filter(|p| p.ends_with(".html"))
            .collect();
        assert!(pages.iter().any(|p| p.starts_with("metrics/")));
        assert!(pages.iter().any(|p| p.starts_with("events/")));
        let says = |text: &str| pages.iter().any(|p| read(a.join(p)).contains(text));
        assert!(
            says("data-queries=") && says("data-values="),
            "no page has queries"
        );
        // Browse pages list compact items (`metric_item.html`, `event_item.html`).
        assert!(
            says("<li class=\"removed\"><a href="),
            "no list has a removed item"
        );
        // What a definition page's lists hold (`metric.html`, `event.html`).
        for shown in [
            "unique by",
            "<a class=\"chip\" href=",
            "<code class=\"kp\">",
            "Key paths in the Service Ping payload",
            "No metric counts this event yet.",
        ] {
            assert!(says(shown), "no page shows {shown:?}");
        }
        assert!(says(if repo_url.is_empty() {
            "Defined in"
        } else {
            "View source"
        }));
        for p in &pages {
            assert_eq!(
                read(a.join(p)),
                read(b.join(p)),
                "{p} differs ({repo_url:?})"
            );
        }
        fs::remove_dir_all(&a).unwrap();
        fs::remove_dir_all(&b).unwrap();
    }
}

#[test]
fn failed_build_leaves_previous_site_untouched() {
    let (tmp, out) = built();
    let before = files(&out);
    let index = fs::read(out.join("index.html")).unwrap();
    // A broken copy of the fixture.
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    fs::write(
        defs.join("config/metrics/counts_all/broken.yml"),
        "key_path: [unclosed\n",
    )
    .unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            "-d",
            defs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("broken.yml:1:20: error[yaml-syntax]"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files(&out), before);
    assert_eq!(fs::read(out.join("index.html")).unwrap(), index);
    // No staging leftovers beside it (the build lock's file stays: see README, Security).
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("metricdict-"))
        .filter(|e| {
            !e.file_name()
                .to_string_lossy()
                .ends_with(".metricdict-lock")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn dangerous_out_dirs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    let foreign = tmp.path().join("foreign");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("thesis.txt"), "precious").unwrap();
    let home = tmp.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join(".bashrc"), "x").unwrap();
    for (out, why) in [
        (defs.clone(), "definitions"),
        (tmp.path().to_path_buf(), "definitions"),
        (foreign.clone(), "not written by metricdict"),
        (std::path::PathBuf::from("/"), "root"),
        (home.clone(), "home"),
    ] {
        let o = bin()
            .current_dir(repo())
            .env("HOME", &home)
            .args([
                "build",
                "-d",
                defs.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{out:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{out:?}: {}", stderr(&o));
    }
    assert_eq!(read(foreign.join("thesis.txt")), "precious");
    assert!(defs
        .join("config/events/create_merge_request.yml")
        .is_file());
}

#[test]
fn user_templates_override_file_by_file() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    fs::create_dir(&tpl).unwrap();
    fs::write(tpl.join("404.html"), "custom not found {{ base }}").unwrap();
    let out = tmp.path().join("site");
    build(
        &fixture("basic"),
        &out,
        &["--templates", tpl.to_str().unwrap()],
    );
    assert_eq!(read(out.join("404.html")), "custom not found /");
    // Other templates still come from the defaults.
    assert!(read(out.join("index.html")).contains("counts.merge_requests"));
}

/// The header is rendered once and shared by every page, so an error in it must still fail the
/// build (naming the template), never publish pages without a header.
#[test]
fn an_error_in_the_shared_header_fails_the_build_and_keeps_the_old_site() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    let before = read(out.join("index.html"));
    let tpl = tmp.path().join("tpl");
    fs::create_dir(&tpl).unwrap();
    fs::write(
        tpl.join("header.html"),
        "<header>{{ no_such_value.oops }}</header>",
    )
    .unwrap();
    let o = build_basic_with_templates(&out, &tpl);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("header.html"), "{}", stderr(&o));
    assert_eq!(read(out.join("index.html")), before);
}

/// `item.fields` and `item.badges` (the parts of what the default pages print ready-made) are
/// in the context of a template that reads them: a layout of its own keeps working.
#[test]
fn a_template_laying_out_fields_and_chips_itself_gets_their_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    fs::create_dir(&tpl).unwrap();
    fs::write(
        tpl.join("metric.html"),
        "{% extends \"base.html\" %}{% block content %}\
         {% for f in item.fields %}[{{ f.name }}|{{ f.anchor }}|{% for i in f.items %}{{ i.text }}>{{ i.url }};{% endfor %}|{{ f.code }}]{% endfor %}\
         {% for b in item.badges %}<{{ b.kind }}:{{ b.label }}@{{ b.url }}>{% endfor %}{% endblock content %}",
    )
    .unwrap();
    let out = tmp.path().join("site");
    let o = build_basic_with_templates(&out, &tpl);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = read(out.join("metrics/counts.legacy_users/index.html"));
    assert!(
        page.contains("[key_path|key_path|counts.legacy_users>;|true]"),
        "{page}"
    );
    assert!(
        page.contains("[data_category|data_category|Optional>/categories/optional/;|false]"),
        "{page}"
    );
    assert!(
        page.contains("<category:optional@/categories/optional/>"),
        "{page}"
    );
    assert!(page.contains("<status:data_available@>"), "{page}");
}

/// The template context is a public contract: a user's template that uses a variable the
/// context no longer has fails the build, naming the template, the line and the variable.
#[test]
fn a_template_using_a_missing_variable_names_template_line_and_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    fs::create_dir(&tpl).unwrap();
    // A metric page that still uses a variable removed from the context, in a loop, line 4.
    fs::write(
        tpl.join("metric.html"),
        "{% extends \"base.html\" %}\n{% block content %}\n{% for f in item.fields %}\n<p>{{ f.name }}: {{ item.gone_field }}</p>\n{% endfor %}\n{% endblock content %}\n",
    )
    .unwrap();
    let out = tmp.path().join("site");
    let o = build_basic_with_templates(&out, &tpl);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("metric.html, line 4"), "{err}");
    assert!(err.contains("`item.gone_field`"), "{err}");
    assert!(!out.exists(), "nothing is published");
}

#[test]
fn hostile_key_paths_get_safe_distinct_pages_inside_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("nested/site");
    build(&fixture("traversal"), &out, &[]);
    // Nothing outside --out: next to it are only the site and its build lock.
    let mut beside: Vec<_> = fs::read_dir(tmp.path().join("nested"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        vec![
            std::ffi::OsString::from(".site.metricdict-lock"),
            std::ffi::OsString::from("site")
        ]
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    let json: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let metrics = json["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 14);
    let mut pages = std::collections::BTreeSet::new();
    for m in metrics {
        let url = m["url"].as_str().unwrap();
        let dir = url.trim_start_matches('/').trim_end_matches('/');
        assert!(
            dir.starts_with("metrics/") && dir.matches('/').count() == 1,
            "{url}"
        );
        let name = dir.trim_start_matches("metrics/");
        assert!(!name.starts_with('.') && name.len() <= 140, "{name}");
        assert!(
            pages.insert(name.to_lowercase()),
            "two definitions share {name} (ignoring case)"
        );
        // Each page is that definition's page.
        let page = read(out.join(dir).join("index.html"));
        let kp = m["key_path"]
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;");
        assert!(page.contains(&kp), "{url} does not show {kp}");
    }
}

#[test]
fn unchanged_files_keep_their_modification_time() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    let out = tmp.path().join("site");
    let build_at = |epoch: &str| {
        let o = bin()
            .current_dir(repo())
            .env("SOURCE_DATE_EPOCH", epoch)
            .args([
                "build",
                "-q",
                "-d",
                defs.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    build_at("1700000000");
    let page = out.join("metrics/counts.legacy_users/index.html");
    let edited = out.join("metrics/counts.merge_requests/index.html");
    let before = fs::metadata(&page).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let file = defs.join("config/metrics/counts_all/20210101000000_merge_requests.yml");
    fs::write(
        &file,
        read(&file).replace("Count of the number of", "Number of"),
    )
    .unwrap();
    build_at("1700000000");
    assert_eq!(
        fs::metadata(&page).unwrap().modified().unwrap(),
        before,
        "unchanged page kept its mtime"
    );
    assert!(
        fs::metadata(&edited).unwrap().modified().unwrap() > before,
        "edited page rewritten"
    );
    assert!(read(&edited).contains("Number of"));
}

#[test]
fn output_is_fit_for_static_hosting() {
    let (_t, out) = built();
    let f = files(&out);
    // Text files of at least MIN_GZIP_BYTES have a pre-compressed twin, identical once
    // decompressed; smaller ones (they arrive in TCP's first flight anyway) have none.
    let text = |p: &str| {
        [".html", ".css", ".js", ".json", ".csv", ".xml"]
            .iter()
            .any(|e| p.ends_with(e))
    };
    let (mut twinned, mut single) = (0, 0);
    for p in f.iter().filter(|p| text(p)) {
        let len = fs::metadata(out.join(p)).unwrap().len() as usize;
        let twin = out.join(format!("{p}.gz"));
        // Search shards are fetched several per query: they keep their twins.
        let min = if p.starts_with(&format!("{}/", metricdict::search::SHARD_DIR)) {
            256
        } else {
            metricdict::build::output::MIN_GZIP_BYTES
        };
        if len < min {
            assert!(!twin.exists(), "{p} ({len} bytes) has a .gz twin");
            single += 1;
            continue;
        }
        let gz = fs::read(&twin).unwrap_or_else(|_| panic!("no {p}.gz ({len} bytes)"));
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        assert_eq!(plain, fs::read(out.join(p)).unwrap(), "{p}.gz");
        twinned += 1;
    }
    assert!(
        twinned >= 3 && single >= 3,
        "{twinned} with twins, {single} without"
    );
    // Pages link content-hashed stylesheets and scripts, which exist.
    let index = read(out.join("index.html"));
    let hashed: Vec<&String> = f
        .iter()
        .filter(|p| {
            p.starts_with("static/site.") && p.ends_with(".css") && p.matches('.').count() == 2
        })
        .collect();
    assert_eq!(hashed.len(), 1, "{f:?}");
    assert!(index.contains(&format!("/{}", hashed[0])));
}

#[test]
fn logs_suit_terminals_and_ci() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let defs = fixture("basic");
    let o = bin()
        .env("CI", "true")
        .current_dir(repo())
        .args([
            "build",
            "-d",
            defs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success());
    assert!(
        !err.contains('\r') && !err.contains('\x1b'),
        "plain lines in CI: {err:?}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("reading and checking definitions")),
        "{err}"
    );
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("built 42 pages (5 metrics, 5 events) into ") && last.ends_with(" s"),
        "{last}"
    );
    let o = bin()
        .current_dir(repo())
        .args([
            "build",
            "-q",
            "-d",
            defs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(stderr(&o), "", "--quiet prints nothing on success");
}

#[test]
fn identifiers_page_registers_every_identifier_events_use() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let defs = repo().join("definitions");
    build(&defs, &out, &[]);
    let events: serde_json::Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let used: std::collections::BTreeSet<String> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["identifiers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_string())
        })
        .collect();
    assert!(used.len() >= 3, "{used:?}");
    let page = html(out.join("identifiers/index.html"));
    let rows = select(&page, "tr[id^='identifier-']");
    let listed: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| {
            r.value()
                .attr("id")
                .unwrap()
                .trim_start_matches("identifier-")
                .to_string()
        })
        .collect();
    assert!(used.is_subset(&listed), "used {used:?}, listed {listed:?}");
    // Each comes with its pseudonymization status and method from definitions/identifiers.yml.
    let user = rows
        .iter()
        .find(|r| r.value().attr("id") == Some("identifier-user"))
        .unwrap();
    assert!(
        text(user).contains("yes") && text(user).contains("HMAC-SHA256"),
        "{}",
        text(user)
    );
    // Data collected without a definition is listed too.
    let body = text(&select(&page, "main")[0]);
    assert!(
        body.contains("Instance IP address")
            && body.contains("Licensee name, email address and company")
    );
}

#[test]
fn register_files_are_validated() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    // A typo in a field name is an error at its line, not silently dropped.
    fs::write(defs.join("identifiers.yml"), "identifiers:\n  - name: user\n    pseudonymised: true\n    method: hashed\n    why: counting\n").unwrap();
    let o = run(&repo(), &["check", "-d", defs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("identifiers.yml:3:5: error[register]"),
        "{}",
        stderr(&o)
    );
    // A valid register that misses identifiers events use: a warning naming the event file.
    fs::write(defs.join("identifiers.yml"), "identifiers:\n  - name: user\n    pseudonymized: true\n    method: hashed\n    why: counting\n").unwrap();
    let o = run(&repo(), &["check", "-d", defs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning[undocumented-identifier]: identifier `project`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn privacy_counts_equal_the_definitions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let defs = corpus().unwrap_or_else(|| repo().join("definitions"));
    build(&defs, &out, &[]);
    let metrics: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let events: serde_json::Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let ms = metrics["metrics"].as_array().unwrap();
    let es = events["events"].as_array().unwrap();
    let page = html(out.join("privacy/index.html"));
    let count = |e: &scraper::ElementRef| -> usize {
        e.value().attr("data-count").unwrap().parse().unwrap()
    };
    let mut checked = 0;
    for row in select(&page, "tr[id^='category-']") {
        let cat = row
            .value()
            .attr("id")
            .unwrap()
            .trim_start_matches("category-");
        let of_cat: Vec<&serde_json::Value> =
            ms.iter().filter(|m| m["data_category"] == cat).collect();
        let active: Vec<&&serde_json::Value> =
            of_cat.iter().filter(|m| m["status"] != "removed").collect();
        let links: Vec<scraper::ElementRef> = row
            .select(&scraper::Selector::parse("a[data-count]").unwrap())
            .collect();
        assert_eq!(count(&links[0]), active.len(), "{cat} active");
        for a in &links[1..] {
            if let Some(t) = a.value().attr("data-tier") {
                let n = active
                    .iter()
                    .filter(|m| m["tiers"].as_array().unwrap().iter().any(|x| x == t))
                    .count();
                assert_eq!(count(a), n, "{cat} × {t}");
                // The number links to the filtered table.
                assert_eq!(
                    a.value().attr("href").unwrap(),
                    format!("/?category={cat}&tier={t}")
                );
            }
            if let Some(s) = a.value().attr("data-status") {
                assert_eq!(
                    count(a),
                    of_cat.iter().filter(|m| m["status"] == s).count(),
                    "{cat} × {s}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 10);
    // Events by identifier (active events only).
    let by_ident = select(
        &page,
        "#identifiers ~ table a[data-count], section a[data-count]",
    );
    for a in by_ident
        .iter()
        .filter(|a| a.value().attr("href").unwrap().contains("identifier="))
    {
        let id = a.value().attr("href").unwrap().rsplit('=').next().unwrap();
        let n = es
            .iter()
            .filter(|e| {
                e["status"] != "removed"
                    && e["identifiers"].as_array().unwrap().iter().any(|x| x == id)
            })
            .count();
        assert_eq!(count(a), n, "events with {id}");
    }
}

#[test]
fn group_pages_list_performance_indicators_first_and_metric_pages_give_json_paths() {
    let (_t, out) = built();
    // code_review owns counts.merge_requests (customer_health_score) and the gmau metric.
    let page = html(out.join("groups/code_review/index.html"));
    let keys: Vec<String> = select(&page, "#metrics ~ .item-list a")
        .iter()
        .map(text)
        .collect();
    let json: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let pi = |k: &str| {
        json["metrics"].as_array().unwrap().iter().any(|m| {
            m["key_path"] == k
                && !m["performance_indicator_type"]
                    .as_array()
                    .unwrap()
                    .is_empty()
        })
    };
    let first_plain = keys.iter().position(|k| !pi(k)).unwrap_or(keys.len());
    assert!(
        keys[first_plain..].iter().all(|k| !pi(k)),
        "PI metrics first: {keys:?}"
    );
    assert!(first_plain >= 1, "{keys:?}");
    // The Service Ping JSON path, copyable, one per expanded key path.
    let m = read(
        out.join("metrics/redis_hll_counters.code_review.users_creating_merge_requests/index.html"),
    );
    for t in ["weekly", "monthly"] {
        assert!(m.contains(&format!(
            "<code data-copy-label=\"Copy JSON path\">.redis_hll_counters.code_review.users_creating_merge_requests_{t}</code>"
        )));
    }
}

#[test]
fn charts_are_inline_svg_with_a_title_and_a_data_table_that_adds_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let defs = corpus().unwrap_or_else(|| repo().join("definitions"));
    build(&defs, &out, &[]);
    let page = html(out.join("privacy/index.html"));
    let figures = select(&page, "figure.chart-figure");
    assert_eq!(figures.len(), 3);
    let metrics: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let n_metrics = metrics["metrics"].as_array().unwrap().len();
    for f in &figures {
        let svg = f
            .select(&scraper::Selector::parse("svg[role='img'] > title").unwrap())
            .count();
        assert_eq!(svg, 1, "accessible title");
        // The table fallback sums to every definition of its kind.
        let cells: usize = f
            .select(&scraper::Selector::parse("tbody td").unwrap())
            .map(|td| text(&td).parse::<usize>().unwrap())
            .sum();
        if f.value().attr("id").unwrap().starts_with("metrics") {
            assert_eq!(cells, n_metrics, "{}", f.value().attr("id").unwrap());
        }
    }
    assert!(
        !read(out.join("privacy/index.html")).contains("<script src=\"http"),
        "no chart CDN"
    );
}

#[test]
fn tier_and_data_class_pages_list_every_member_compactly_and_link_to_the_filtered_table() {
    let (_t, out) = built();
    let metrics: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let events: serde_json::Value = serde_json::from_str(&read(out.join("events.json"))).unwrap();
    let page = html(out.join("tiers/premium/index.html"));
    // Every metric and event in premium, each linking to its page, and nothing else.
    let listed: std::collections::BTreeSet<String> = select(&page, "ul.item-list li a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    let mut expected = std::collections::BTreeSet::new();
    for (list, key) in [(&metrics, "metrics"), (&events, "events")] {
        for d in list[key].as_array().unwrap() {
            if d["tiers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "premium")
            {
                expected.insert(d["url"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(!expected.is_empty());
    assert_eq!(listed, expected);
    // No full table repeated on the tier page; the same rows are one link away.
    assert!(select(&page, "table.dict").is_empty());
    let links: Vec<&str> = select(&page, "a.btn")
        .iter()
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert!(links.contains(&"/?tier=premium"), "{links:?}");
    assert!(links.contains(&"/events/?tier=premium"), "{links:?}");
    // Data classes link to the events table by identifier, or by classification for duo.
    let user = read(out.join("data-classes/user/index.html"));
    assert!(user.contains("href=\"/events/?identifier=user\""));
    let duo = read(out.join("data-classes/duo/index.html"));
    assert!(duo.contains("href=\"/events/?category=duo\""));
    // Data classes describe events and data categories metrics: no empty section for the other.
    for (page, absent, present) in [
        ("data-classes/user/index.html", "metrics", "events"),
        ("data-classes/index.html", "Metrics", "Events"),
        ("categories/operational/index.html", "events", "metrics"),
    ] {
        let doc = html(out.join(page));
        let text = |sel: &str| -> Vec<String> {
            select(&doc, sel)
                .iter()
                .map(|e| e.text().collect::<String>().trim().to_lowercase())
                .collect()
        };
        let headings = [text("h2"), text("th[scope=col]"), text("a.stat")].concat();
        assert!(
            !headings.iter().any(|h| h.ends_with(&absent.to_lowercase())),
            "{page}: {headings:?}"
        );
        assert!(
            headings
                .iter()
                .any(|h| h.ends_with(&present.to_lowercase())),
            "{page}: {headings:?}"
        );
    }
    // Every browse page lists compact items and links to the filtered table; none repeats
    // the table's rows.
    let group = html(out.join("groups/code_review/index.html"));
    assert!(select(&group, "table.dict tr[data-key]").is_empty());
    assert!(!select(&group, ".item-list a").is_empty());
    assert!(
        read(out.join("groups/code_review/index.html")).contains("href=\"/?group=code_review\"")
    );
}

/// `build` prints errors only, each placed at its line and column like `check` places it;
/// `--verbose` adds the warnings, placed too. (A plain build counts its warnings without
/// placing them, which saves it a second parse of every file.)
#[test]
fn build_places_every_error_and_verbose_places_the_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let defs = fixture("invalid");
    let mut expected: Vec<(String, String, String, String)> = Vec::new();
    for entry in fs::read_dir(&defs).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        for e in text.lines().filter_map(|l| l.strip_prefix("# expect: ")) {
            let e: Vec<&str> = e.split_whitespace().collect();
            let (line, col) = e[2].split_once(':').unwrap();
            expected.push((
                name.clone(),
                e[0].into(),
                e[1].into(),
                format!("{line}:{col}"),
            ));
        }
    }
    let (errors, warnings): (Vec<_>, Vec<_>) = expected
        .iter()
        .partition(|(_, severity, ..)| severity == "error");
    assert!(errors.len() >= 15 && warnings.len() >= 2, "{expected:?}");
    let shown = |o: &std::process::Output, e: &(String, String, String, String)| {
        let (name, severity, rule, at) = e;
        let place = match at.split_once(':') {
            Some(("*", _)) => format!("{name}:"),
            Some((line, "*")) => format!("{name}:{line}:"),
            _ => format!("{name}:{at}:"),
        };
        stderr(o)
            .lines()
            .any(|l| l.contains(&place) && l.contains(&format!(": {severity}[{rule}]")))
    };
    let run_build = |extra: &[&str]| {
        let mut args = vec!["build", "-d", defs.to_str().unwrap()];
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        args.extend_from_slice(extra);
        run(&repo(), &args)
    };
    let plain = run_build(&[]);
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    for e in &errors {
        assert!(shown(&plain, e), "{e:?} in {}", stderr(&plain));
    }
    assert!(!stderr(&plain).contains(": warning["), "{}", stderr(&plain));
    let verbose = run_build(&["--verbose"]);
    assert_eq!(verbose.status.code(), Some(1));
    for e in &expected {
        assert!(shown(&verbose, e), "{e:?} in {}", stderr(&verbose));
    }
}

/// `metricdict build -q` of the `basic` fixture into `out` with the template overrides in `tpl`.
fn build_basic_with_templates(
    out: &std::path::Path,
    tpl: &std::path::Path,
) -> std::process::Output {
    run(
        &repo(),
        &[
            "build",
            "-q",
            "-d",
            fixture("basic").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--templates",
            tpl.to_str().unwrap(),
        ],
    )
}
