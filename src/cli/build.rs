//! `metricdict build`.

use super::args::BuildArgs;
use super::common::*;
use super::config::Config;
use metricdict::build::{self, baseline::Baseline, BuildError};
use metricdict::load::Warnings;
use metricdict::report;
use std::path::PathBuf;
use std::time::Instant;

/// The build's options: flags over `metricdict.toml` over defaults.
fn options(args: &BuildArgs, config: Config) -> build::Options {
    let args = args.clone();
    build::Options {
        definitions: definitions(args.sources.definitions, &config),
        out: args
            .out
            .or(config.out)
            .unwrap_or_else(|| PathBuf::from("public")),
        base_url: args
            .base_url
            .or(config.base_url)
            .unwrap_or_else(|| "/".into()),
        repo_url: args.repo_url.or(config.repo_url),
        title: args
            .title
            .or(config.title)
            .unwrap_or_else(|| "Metrics Dictionary".into()),
        templates: existing_dir(args.templates, config.templates, "templates"),
        static_dir: existing_dir(args.static_dir, config.static_dir, "static"),
        queries: config.queries,
        build_time: None,
        baseline: match (args.baseline, args.baseline_ref) {
            (Some(b), _) if b.starts_with("http://") || b.starts_with("https://") => {
                Some(Baseline::Url(b))
            }
            (Some(dir), _) => Some(Baseline::Site(PathBuf::from(dir))),
            (None, Some(rev)) => Some(Baseline::GitRef(rev)),
            (None, None) => None,
        },
        // Without --verbose the warnings are only counted.
        warnings: if args.verbose {
            Warnings::Placed
        } else {
            Warnings::Counted
        },
        exit_after: true,
    }
}

/// `metricdict build`.
pub fn run(args: BuildArgs, config: Config) -> u8 {
    let started = Instant::now();
    let opts = options(&args, config);
    if let Some(code) = missing_root(&opts.definitions) {
        return code;
    }
    let progress = Progress::new(args.quiet);
    let result = build::build_with_progress(&opts, &|stage| progress.stage(stage));
    progress.done();
    match result {
        Ok(report) => {
            if args.verbose {
                eprint!("{}", report::to_human(&report.diagnostics, color()));
            }
            // METRICDICT_TIMINGS, as for the dev server: the stages of the build as run, which
            // --verbose changes (it places every warning).
            if args.verbose || std::env::var_os("METRICDICT_TIMINGS").is_some() {
                for (stage, d) in &report.timings.0 {
                    eprintln!("  {stage:<20} {:>8.1} ms", d.as_secs_f64() * 1000.0);
                }
            }
            if !args.quiet {
                eprintln!(
                    "built {} pages ({} metrics, {} events) into {}, {}{}, {:.2} s",
                    thousands(report.pages),
                    thousands(report.metrics),
                    thousands(report.events),
                    report.out.display(),
                    count(report.diagnostics.warnings(), "warning"),
                    if args.verbose || report.diagnostics.warnings() == 0 {
                        ""
                    } else {
                        " (--verbose or `metricdict check` lists them)"
                    },
                    started.elapsed().as_secs_f64()
                );
            }
            std::mem::forget(report); // the warnings, left to the OS (see `exit_after`)
            EXIT_OK
        }
        Err(BuildError::Invalid(mut diags)) => {
            if !args.verbose {
                diags.retain_errors();
            }
            eprint!("{}", report::to_human(&diags, color()));
            eprintln!(
                "build failed: {}; {} left unchanged",
                count(diags.errors(), "error"),
                opts.out.display()
            );
            EXIT_INVALID
        }
        Err(e) => {
            error(e);
            EXIT_FAILED
        }
    }
}
