//! `metricdict serve`.

use super::args::ServeArgs;
use super::common::*;
use super::config::Config;
use metricdict::build;
use metricdict::load::Warnings;
use metricdict::serve::{watch, LiveServer, LiveSite};
use std::path::PathBuf;

/// `metricdict serve`.
pub fn run(args: ServeArgs, config: Config) -> u8 {
    let definitions = definitions(args.sources.definitions, &config);
    if let Some(code) = missing_root(&definitions) {
        return code;
    }
    let (_, base) = build::split_base_url(
        &args
            .base_url
            .or(config.base_url)
            .unwrap_or_else(|| "/".into()),
    );
    let opts = build::Options {
        definitions,
        out: PathBuf::new(),
        base_url: base.clone(),
        repo_url: config.repo_url,
        title: config.title.unwrap_or_else(|| "Metrics Dictionary".into()),
        templates: existing_dir(args.templates, config.templates, "templates"),
        static_dir: existing_dir(args.static_dir, config.static_dir, "static"),
        build_time: None,
        baseline: None,
        warnings: Warnings::Counted,
        exit_after: false,
    };
    let mut live = LiveSite::new(opts);
    let first = live.rebuild(&[]);
    let addr = format!("{}:{}", args.host, args.port);
    let server = match LiveServer::start(live.shared(), &addr, &base) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return EXIT_FAILED;
        }
    };
    eprintln!(
        "serving http://{}:{}{base} ({} pages, built in {:.0} ms{}); watching for changes, Ctrl-C to stop",
        args.host,
        server.port,
        first.rendered,
        first.elapsed.as_secs_f64() * 1000.0,
        if first.ok { "" } else { "; the build has errors, see the browser" }
    );
    match watch(live, true) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: cannot watch for changes: {e}");
            EXIT_FAILED
        }
    }
}
