//! What legal reviewers read, checked in the built HTML: legacy tier names, counts named once,
//! category pages, /changes/ for readers, the favicon, download format versions and round-one
//! baselines.

use crate::common;
use common::*;

#[test]
fn every_page_links_a_favicon_that_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo().join("definitions"), &out, &["--base-url", "/docs/"]);
    let pages: Vec<String> = files(&out)
        .into_iter()
        .filter(|p| p.ends_with(".html"))
        .collect();
    assert!(pages.len() > 100);
    for page in &pages {
        let doc = html(out.join(page));
        let icons = select(&doc, "link[rel=icon]");
        assert_eq!(icons.len(), 1, "{page} links one icon");
        let href = icons[0].value().attr("href").unwrap();
        let file = href
            .strip_prefix("/docs/")
            .unwrap_or_else(|| panic!("{page}: {href}"));
        assert!(
            read(out.join(file)).starts_with("<svg"),
            "{page}: {href} is an SVG file of the site"
        );
    }
    // Every asset a page references exists (stylesheets, scripts, the icon, links).
    check_links(&out, "/docs/");
}

/// `tests/fixtures/legacy_tiers`: seven active metrics declaring GitLab's tier names of before
/// 2021 (`tier: [silver]`, `[gold]`, `[core]`, `[bronze]`, `[starter, premium, ultimate]`, all
/// seven names, and `[free, premium]`).
fn legacy_site() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("legacy_tiers"), &out, &[]);
    (tmp, out)
}

fn counts_by_tier(doc: &scraper::Html, category: &str) -> Vec<(String, String)> {
    select(doc, &format!("#category-{category} a[data-tier]"))
        .iter()
        .map(|a| (a.value().attr("data-tier").unwrap().to_string(), text(a)))
        .collect()
}

#[test]
fn privacy_counts_legacy_tier_names_as_their_one_successor_or_under_no_tier() {
    let (_tmp, out) = legacy_site();
    let doc = html(out.join("privacy/index.html"));
    let heads: Vec<String> = select(&doc, "table.privacy thead tr:nth-child(2) th")
        .iter()
        .map(text)
        .collect();
    for legacy in ["starter", "bronze", "silver", "gold", "core", "legacy"] {
        assert!(
            !heads.contains(&legacy.to_string()),
            "{legacy} column: {heads:?}"
        );
    }
    let t = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // operational: core_only (free) and all_names (free, premium, ultimate).
    assert_eq!(
        counts_by_tier(&doc, "operational"),
        t(&[("free", "2"), ("premium", "1"), ("ultimate", "1")])
    );
    // optional: silver_only → premium, gold_only → ultimate, bronze_only → none,
    // starter_up → premium + ultimate, free_premium.
    assert_eq!(
        counts_by_tier(&doc, "optional"),
        t(&[("free", "1"), ("premium", "3"), ("ultimate", "2")])
    );
    let note = text(&select(&doc, "#legacy-tiers")[0]);
    for said in [
        "core (legacy name of free",
        "silver (legacy name of premium",
        "gold (legacy name of ultimate",
        "starter (legacy, retired without a single successor, counted under no tier",
        "bronze (legacy, retired without a single successor",
    ] {
        assert!(note.contains(said), "{said:?} in {note:?}");
    }
}

#[test]
fn tier_pages_and_filters_list_todays_tiers_and_legacy_keeping_the_declared_names() {
    let (_tmp, out) = legacy_site();
    // The tier index lists today's tiers and `legacy`; a legacy name keeps its own page (round
    // one published them) that says what it counts as today.
    let index = html(out.join("tiers/index.html"));
    let tiers: Vec<String> = select(&index, "main a[href^='/tiers/']")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .map(|h| {
            h.trim_start_matches("/tiers/")
                .trim_end_matches('/')
                .to_string()
        })
        .filter(|t| !t.is_empty())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(tiers, ["free", "legacy", "premium", "ultimate"]);
    let silver = read(out.join("tiers/silver/index.html"));
    assert!(
        silver.contains("counted under <a href=\"/tiers/premium/\">premium</a>"),
        "{silver}"
    );
    let members = |tier: &str| -> Vec<String> {
        let doc = html(out.join(format!("tiers/{tier}/index.html")));
        let mut v: Vec<String> = select(&doc, ".item-list a")
            .iter()
            .map(text)
            .filter(|t| t.starts_with("counts."))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(
        members("premium"),
        [
            "counts.all_names",
            "counts.free_premium",
            "counts.silver_only",
            "counts.starter_up"
        ]
    );
    assert_eq!(
        members("ultimate"),
        ["counts.all_names", "counts.gold_only", "counts.starter_up"]
    );
    assert_eq!(
        members("free"),
        [
            "counts.all_names",
            "counts.core_only",
            "counts.free_premium"
        ]
    );
    assert_eq!(
        members("legacy"),
        [
            "counts.all_names",
            "counts.bronze_only",
            "counts.starter_up"
        ]
    );
    let legacy_page = text(&select(&html(out.join("tiers/legacy/index.html")), "main")[0]);
    assert!(legacy_page.contains("retired"), "{legacy_page}");
    // The table's tier filter matches today's tiers.
    let index = html(out.join("index.html"));
    let row = select(&index, "tr[data-key='counts.silver_only']");
    assert_eq!(row[0].value().attr("data-f-tier"), Some("premium"));
    // A definition's page shows the declared name, read as legacy, linking today's tier.
    let page = html(out.join("metrics/counts.all_names/index.html"));
    let chips: Vec<(String, String)> = select(&page, "a.kind-tier")
        .iter()
        .map(|a| (text(a), a.value().attr("href").unwrap().to_string()))
        .collect();
    for (label, href) in [
        ("silver (legacy name of premium)", "/tiers/premium/"),
        ("gold (legacy name of ultimate)", "/tiers/ultimate/"),
        ("starter (legacy tier, retired)", "/tiers/legacy/"),
        ("bronze (legacy tier, retired)", "/tiers/legacy/"),
        ("free", "/tiers/free/"),
    ] {
        assert!(
            chips.contains(&(label.to_string(), href.to_string())),
            "{label} -> {href} in {chips:?}"
        );
    }
    // So does the `tier` field as written, each name linking the tier it counts as today.
    let field: Vec<(String, String)> = select(&page, "#tier + dd a")
        .iter()
        .map(|a| (text(a), a.value().attr("href").unwrap().to_string()))
        .collect();
    assert_eq!(field.len(), 7, "{field:?}");
    assert!(
        field.contains(&(
            "gold (legacy name of ultimate)".into(),
            "/tiers/ultimate/".into()
        )),
        "{field:?}"
    );
    assert!(
        field.contains(&(
            "bronze (legacy tier, retired)".into(),
            "/tiers/legacy/".into()
        )),
        "{field:?}"
    );
    // Downloads keep what the definition says.
    let data: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let m = data["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key_path"] == "counts.all_names")
        .unwrap();
    assert_eq!(
        m["tiers"],
        serde_json::json!(["free", "starter", "premium", "ultimate", "bronze", "silver", "gold"])
    );
    assert!(
        read(out.join("metrics.csv")).contains("free;starter;premium;ultimate;bronze;silver;gold")
    );
}

#[test]
fn privacy_never_names_two_different_counts_with_the_same_word() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&fixture("basic"), &out, &[]);
    let data: serde_json::Value = serde_json::from_str(&read(out.join("metrics.json"))).unwrap();
    let metrics = data["metrics"].as_array().unwrap();
    let doc = html(out.join("privacy/index.html"));
    let heads: Vec<String> = select(&doc, "table.privacy thead th")
        .iter()
        .map(text)
        .collect();
    let statuses: std::collections::BTreeSet<&str> = metrics
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("active") && statuses.contains("removed"),
        "{statuses:?}"
    );
    // A status value appears only as a status column, headed by the field and the value
    // ("removed" also in "Not removed", which is exactly "any status but removed").
    for h in &heads {
        for s in statuses.iter().filter(|s| **s != "removed") {
            let says = h
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == *s);
            if says {
                assert_eq!(
                    h,
                    &format!("status: {s}"),
                    "heading {h:?} uses the status word {s:?}"
                );
            }
        }
    }
    // The count next to each category is what its heading says: not removed.
    let col = select(&doc, "th[data-count-name=not_removed]");
    assert_eq!(text(&col[0]), "Not removed");
    for row in select(&doc, "table.privacy tbody tr") {
        let cat = row
            .value()
            .attr("id")
            .unwrap()
            .trim_start_matches("category-");
        let shown: usize = text(&select_in(&row, "a[data-count-name=not_removed]")[0])
            .parse()
            .unwrap();
        let want = metrics
            .iter()
            .filter(|m| {
                m["data_category"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(cat)
                    && m["status"] != "removed"
            })
            .count();
        assert_eq!(shown, want, "{cat}");
        let active: usize = select_in(&row, "a[data-status=active]")
            .first()
            .map_or(0, |a| text(a).parse().unwrap());
        let want = metrics
            .iter()
            .filter(|m| {
                m["data_category"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(cat)
                    && m["status"] == "active"
            })
            .count();
        assert_eq!(active, want, "{cat}: status: active");
    }
    let note = text(&select(&doc, "#count-names")[0]);
    assert!(
        note.starts_with("Not removed: definitions with any status but removed"),
        "{note}"
    );
}

fn select_in<'a>(e: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    e.select(&scraper::Selector::parse(css).unwrap()).collect()
}

#[test]
fn category_pages_say_what_the_category_means_and_how_to_opt_out_as_privacy_does() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo().join("definitions"), &out, &[]);
    let privacy = html(out.join("privacy/index.html"));
    let register = read(repo().join("definitions/categories.yml"));
    for cat in ["operational", "optional", "subscription", "standard"] {
        let page = html(out.join(format!("categories/{cat}/index.html")));
        let notes = select(&page, &format!("#notes-{cat}"));
        assert_eq!(notes.len(), 1, "{cat}: the category's notes");
        let on_privacy = select(&privacy, &format!("#notes-{cat}"));
        let paragraphs = |e: &scraper::ElementRef| -> Vec<String> {
            select_in(e, "p, tbody tr").iter().map(text).collect()
        };
        let here = paragraphs(&notes[0]);
        assert_eq!(
            here,
            paragraphs(&on_privacy[0]),
            "{cat}: same text as /privacy/"
        );
        // Its meaning and every opt-out rule of categories.yml.
        assert!(here.len() >= 3, "{cat}: {here:?}");
        let first_words: String = here[0].split(' ').take(4).collect::<Vec<_>>().join(" ");
        assert!(
            register.contains(&first_words),
            "{first_words:?} from categories.yml"
        );
        assert!(
            here.iter().any(|r| r.contains("GitLab.com")),
            "{cat}: opt-out per deployment {here:?}"
        );
    }
    // A dictionary without categories.yml has category pages without notes.
    let bare = tmp.path().join("bare");
    build(&fixture("basic"), &bare, &[]);
    let page = html(bare.join("categories/operational/index.html"));
    assert!(select(&page, ".category-notes").is_empty());
}

#[test]
fn changes_page_speaks_to_readers_with_or_without_a_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    // Without a baseline: no build instructions, a sentence for readers.
    let plain = tmp.path().join("plain");
    build(&fixture("basic"), &plain, &[]);
    let page = read(plain.join("changes/index.html"));
    let doc = html(plain.join("changes/index.html"));
    let main = text(&select(&doc, "main")[0]);
    for builder_words in ["--baseline", "metricdict build", "OLD_SITE", "GITREF"] {
        assert!(
            !page.contains(builder_words),
            "{builder_words:?} on /changes/"
        );
    }
    assert!(main.contains("no earlier version"), "{main}");

    // With a baseline folder: described by its date and commit, never its local path.
    let defs = tmp.path().join("defs");
    copy_dir(&fixture("basic"), &defs);
    let old = tmp.path().join("old-site");
    build(&defs, &old, &[]);
    std::fs::remove_file(defs.join("config/events/create_merge_request.yml")).unwrap();
    let gone_metric = defs.join("config/metrics/settings/20230101000000_subscription_setting.yml");
    let kept = read(&gone_metric);
    std::fs::remove_file(&gone_metric).unwrap();
    let older = tmp.path().join("older-site");
    build(&defs, &older, &[]);
    std::fs::write(&gone_metric, kept).unwrap();
    copy_dir(&fixture("basic"), &defs);
    let out = tmp.path().join("site");
    build(&defs, &out, &["--baseline", older.to_str().unwrap()]);
    let tmp_name = tmp.path().to_str().unwrap();
    for f in ["changes/index.html", "changes.json", "changes.csv"] {
        let body = read(out.join(f));
        assert!(
            !body.contains(tmp_name),
            "{f} publishes the local path {tmp_name}"
        );
        assert!(
            !body.contains("older-site"),
            "{f} publishes the folder name"
        );
    }
    let doc = html(out.join("changes/index.html"));
    let lede = text(&select(&doc, "[data-baseline]")[0]);
    let stamp: serde_json::Value = serde_json::from_str(&read(older.join("metrics.json"))).unwrap();
    let built = stamp["generated"]["build_time"].as_str().unwrap();
    assert!(
        lede.contains(&format!(
            "an earlier build of this dictionary, built {built}"
        )),
        "{lede}"
    );

    // Added rows say what the definition collects.
    let row = |id: &str| {
        let rows = select(&doc, &format!("tr[data-key='{id}'][data-f-change=added]"));
        assert_eq!(rows.len(), 1, "{id} added");
        text(&rows[0]).replace(" ,", ",")
    };
    let metric = row("settings.subscription_setting");
    assert!(metric.contains("Data category subscription"), "{metric}");
    assert!(metric.contains("Tiers premium, ultimate"), "{metric}");
    let event = row("create_merge_request");
    assert!(
        event.contains("Identifiers project, user, namespace"),
        "{event}"
    );
    assert!(event.contains("Tiers free, premium, ultimate"), "{event}");
    let json: serde_json::Value = serde_json::from_str(&read(out.join("changes.json"))).unwrap();
    let added = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "create_merge_request")
        .unwrap();
    assert_eq!(
        added["facts"]["identifiers"],
        serde_json::json!(["project", "user", "namespace"])
    );
}

/// Build the repository's definitions against the baseline folder `baseline`; the changes.
fn changes_against(baseline: &std::path::Path, out: &std::path::Path) -> serde_json::Value {
    build(
        &repo().join("definitions"),
        out,
        &["--baseline", baseline.to_str().unwrap()],
    );
    serde_json::from_str(&read(out.join("changes.json"))).unwrap()
}

#[test]
fn round_one_downloads_stay_a_baseline_without_false_changes() {
    // definitions/ has not changed since round one (`git diff 3bbb6d0 -- definitions/` is
    // empty), so every change listed would be a false one.
    let tmp = tempfile::tempdir().unwrap();
    let round1 = fixture("baselines/round1");
    let json = changes_against(&round1, &tmp.path().join("site"));
    assert_eq!(json["count"], 0, "{:#}", json["changes"]);
    assert_eq!(json["baseline_build_time"], "2023-11-14T22:13:20Z");
    let lede = text(
        &select(
            &html(tmp.path().join("site/changes/index.html")),
            "[data-baseline]",
        )[0],
    );
    assert!(
        lede.contains("built 2023-11-14T22:13:20Z: 0 changes"),
        "{lede}"
    );
}

#[test]
fn other_spellings_of_event_ids_and_tiers_are_not_changes_but_real_edits_are() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("baseline");
    std::fs::create_dir_all(&base).unwrap();
    let round1 = fixture("baselines/round1");
    let mut metrics: serde_json::Value =
        serde_json::from_str(&read(round1.join("metrics.json"))).unwrap();
    let mut events: serde_json::Value =
        serde_json::from_str(&read(round1.join("events.json"))).unwrap();
    // Another release names events differently for people, and lists tiers in another order
    // or by their legacy names.
    for e in events["events"].as_array_mut().unwrap() {
        let shown = format!(
            "{} · {}",
            e["category"].as_str().unwrap(),
            e["action"].as_str().unwrap()
        );
        e["id"] = shown.into();
        if let Some(t) = e["tiers"].as_array_mut() {
            t.reverse();
        }
    }
    let mut renamed = 0;
    for m in metrics["metrics"].as_array_mut().unwrap() {
        let tiers: Vec<serde_json::Value> = m["tiers"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|t| match t.as_str().unwrap() {
                "premium" => "silver".into(),
                "ultimate" => "gold".into(),
                other => other.into(),
            })
            .collect();
        renamed += usize::from(tiers.iter().any(|t| t == "silver"));
        m["tiers"] = tiers.into();
    }
    assert!(renamed > 50);
    // One real edit on each side.
    metrics["metrics"][0]["data_category"] = "standard".into();
    let was = metrics["metrics"][0]["key_path"]
        .as_str()
        .unwrap()
        .to_string();
    events["events"][0]["identifiers"] = serde_json::json!([]);
    std::fs::write(base.join("metrics.json"), metrics.to_string()).unwrap();
    std::fs::write(base.join("events.json"), events.to_string()).unwrap();
    let json = changes_against(&base, &tmp.path().join("site"));
    let got: Vec<(String, String)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let event_id = "Ci::Build/create_id_tokens";
    assert_eq!(
        got,
        [
            ("identifiers".to_string(), event_id.to_string()),
            ("recategorised".to_string(), was)
        ],
        "only the real edits"
    );
}

#[test]
fn downloads_carry_a_format_version_and_a_newer_baseline_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    build(&fixture("basic"), &old, &[]);
    for f in ["metrics.json", "events.json"] {
        let doc: serde_json::Value = serde_json::from_str(&read(old.join(f))).unwrap();
        assert_eq!(doc["format_version"], 2, "{f}");
    }
    let out = tmp.path().join("site");
    build(
        &fixture("basic"),
        &out,
        &["--baseline", old.to_str().unwrap()],
    );
    let doc: serde_json::Value = serde_json::from_str(&read(out.join("changes.json"))).unwrap();
    assert_eq!(doc["format_version"], 2);
    assert_eq!(doc["count"], 0);
    // A download from a future format: refused, not misread.
    let m =
        read(old.join("metrics.json")).replacen("\"format_version\":2", "\"format_version\":9", 1);
    std::fs::write(old.join("metrics.json"), m).unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            "--definitions",
            fixture("basic").to_str().unwrap(),
            "--out",
            tmp.path().join("next").to_str().unwrap(),
            "--baseline",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("format version 9"), "{}", stderr(&o));
}
