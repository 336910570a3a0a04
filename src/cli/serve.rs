//! `metricdict serve`.

use super::args::ServeArgs;
use super::common::*;
use super::config::{Config, FILE_NAME};
use metricdict::build;
use metricdict::load::Warnings;
use metricdict::serve::{watch, ConfigFile, LiveServer, LiveSite};
use std::path::PathBuf;

/// The dev server's options: flags over `metricdict.toml` over defaults.
fn options(args: &ServeArgs, config: Config) -> build::Options {
    let args = args.clone();
    let definitions = definitions(args.sources.definitions, &config);
    let (_, base) = build::split_base_url(
        &args
            .base_url
            .or(config.base_url)
            .unwrap_or_else(|| "/".into()),
    );
    build::Options {
        definitions,
        out: PathBuf::new(),
        base_url: base.clone(),
        repo_url: config.repo_url,
        title: config.title.unwrap_or_else(|| "Metrics Dictionary".into()),
        templates: existing_dir(args.templates, config.templates, "templates"),
        static_dir: existing_dir(args.static_dir, config.static_dir, "static"),
        queries: config.queries,
        build_time: None,
        baseline: None,
        warnings: Warnings::Counted,
        exit_after: false,
    }
}

/// The host to put in a browser's address: a wildcard bind address is not one.
fn browser_host(bind: &str) -> &str {
    match bind {
        "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
        h => h,
    }
}

/// `metricdict serve`. `config_file` is the `--config` given, if any (it is followed instead of
/// ./metricdict.toml).
pub fn run(args: ServeArgs, config: Config, config_file: Option<PathBuf>) -> u8 {
    let opts = options(&args, config);
    if let Some(code) = missing_root(&opts.definitions) {
        return code;
    }
    let base = opts.base_url.clone();
    let mut live = LiveSite::new(opts);
    let first = live.rebuild(&[]);
    let addr = format!("{}:{}", args.host, args.port);
    let server = match LiveServer::start(live.shared(), &addr, &base) {
        Ok(s) => s,
        Err(e) => {
            error(format!("cannot listen on {addr}: {e}"));
            return EXIT_FAILED;
        }
    };
    // Printed even with --quiet: it says where the site is (and which port 0 chose).
    eprintln!(
        "serving http://{}:{}{base} ({} pages, built in {:.0} ms{}); watching for changes, Ctrl-C to stop",
        args.host,
        server.port,
        first.rendered,
        first.elapsed.as_secs_f64() * 1000.0,
        if first.ok { "" } else { "; the build has errors, see the browser" }
    );
    // metricdict.toml is followed: a change rebuilds with the new settings.
    let reload_args = args.clone();
    let path = config_file.unwrap_or_else(|| PathBuf::from(FILE_NAME));
    let reload_path = path.clone();
    let config_file = ConfigFile {
        path,
        reload: Box::new(move || {
            let config = if reload_path.is_file() {
                Config::load_file(&reload_path)
            } else {
                Ok(Config::default())
            };
            config
                .map(|c| options(&reload_args, c))
                .map_err(|e| format!("{e:#}"))
        }),
    };
    if args.open {
        let url = format!("http://{}:{}{base}", browser_host(&args.host), server.port);
        if let Err(e) = opener::open_browser(&url) {
            error(format!("cannot open a browser ({e}); the site is at {url}"));
        }
    }
    match watch(live, !args.quiet, Some(config_file)) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            error(format!("cannot watch for changes: {e}"));
            EXIT_FAILED
        }
    }
}
