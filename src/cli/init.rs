//! `metricdict init [DIR]`: a new dictionary that builds and checks clean — an example event
//! and a metric counting it (written by `metricdict new`, so they follow GitLab's layout and
//! pass the same checks), the privacy register files (GitLab's, as this project ships them, to
//! edit for your own policy) and a `metricdict.toml`.

use super::args::InitArgs;
use super::common::*;
use super::config::FILE_NAME;
use metricdict::author::{self, NewDefinition, Request};
use metricdict::load::{self, Warnings};
use std::path::{Path, PathBuf};

const REGISTER: [(&str, &str); 3] = [
    (
        "identifiers.yml",
        include_str!("../../definitions/identifiers.yml"),
    ),
    (
        "categories.yml",
        include_str!("../../definitions/categories.yml"),
    ),
    (
        "collected.yml",
        include_str!("../../definitions/collected.yml"),
    ),
];

const CONFIG: &str = r#"# metricdict settings; flags and METRICDICT_* environment variables override them.
definitions = ["definitions"]
out = "public"
title = "Metrics Dictionary"
# base_url = "https://example.gitlab.io/metrics/"
# repo_url = "https://gitlab.com/your-group/your-project/-/blob/main/"
"#;

fn example_event() -> Request {
    Request {
        action: Some("click_example_button".into()),
        description: Some("The example button was clicked (replace with your first event)".into()),
        group: Some("analytics_instrumentation".into()),
        product_categories: Some(vec!["service_ping".into()]),
        identifiers: Some(vec!["user".into(), "project".into(), "namespace".into()]),
        tiers: Some(vec!["free".into(), "premium".into(), "ultimate".into()]),
        milestone: Some("18.7".into()),
        introduced_by_url: Some("https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1".into()),
        no_input: true,
        ..Request::default()
    }
}

fn example_metric() -> Request {
    Request {
        from_event: Some("click_example_button".into()),
        unique: Some("user.id".into()),
        time_frame: Some(vec!["28d".into(), "7d".into()]),
        milestone: Some("18.7".into()),
        introduced_by_url: Some("https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1".into()),
        data_category: "optional".into(),
        data_source: "internal_events".into(),
        no_input: true,
        ..Request::default()
    }
}

/// Write the dictionary into `dir`; the files written.
fn create(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let definitions = dir.join("definitions");
    let config = dir.join(FILE_NAME);
    for existing in [&definitions, &config] {
        if existing.exists() {
            return Err(format!(
                "{} already exists; init starts a new dictionary and never replaces one",
                existing.display()
            ));
        }
    }
    std::fs::create_dir_all(definitions.join("config/events"))
        .and_then(|()| std::fs::create_dir_all(definitions.join("config/metrics")))
        .map_err(|e| format!("cannot create {}: {e}", definitions.display()))?;
    let mut written = Vec::new();
    for (name, text) in REGISTER {
        let p = definitions.join(name);
        std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        written.push(p);
    }
    for (kind, mut req) in [
        (NewDefinition::Event, example_event()),
        (NewDefinition::Metric, example_metric()),
    ] {
        req.definitions = Some(definitions.clone());
        let created = author::create(kind, &req, None).map_err(|e| e.to_string())?;
        written.push(created.path);
    }
    std::fs::write(&config, CONFIG)
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    written.push(config);
    Ok(written)
}

/// `metricdict init`.
pub fn run(args: InitArgs) -> u8 {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    match create(&dir) {
        Ok(files) => {
            let loaded = load::load(&[dir.join("definitions")], Warnings::Counted);
            for f in &files {
                println!("{}", f.display());
            }
            let problems = loaded.diagnostics.errors() + loaded.diagnostics.warnings();
            eprintln!(
                "a new dictionary in {}: {} metric, {} event, {problems} problems; next: \
                 `metricdict serve` there, or `metricdict new event`",
                dir.display(),
                loaded.catalog.metrics.len(),
                loaded.catalog.events.len()
            );
            EXIT_OK
        }
        Err(e) => {
            error(e);
            EXIT_FAILED
        }
    }
}
