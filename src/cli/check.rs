//! `metricdict check`.

use super::args::CheckArgs;
use super::common::*;
use super::config::Config;
use metricdict::load::{self, Warnings};
use metricdict::report::{self, Format};
use std::path::PathBuf;

/// A named file outside every definitions folder means the command could not run.
fn outside_definitions(files: &[PathBuf], roots: &[PathBuf]) -> Option<u8> {
    let f = files.iter().find(|f| {
        let f = f.canonicalize().ok();
        !roots.iter().any(|r| {
            r.canonicalize()
                .ok()
                .zip(f.as_ref())
                .is_some_and(|(r, f)| f.starts_with(r))
        })
    })?;
    let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    eprintln!(
        "error: {} is not inside the definitions ({}); pass its folder with --definitions",
        f.display(),
        roots.join(", ")
    );
    Some(EXIT_FAILED)
}

/// `metricdict check`.
pub fn run(args: CheckArgs, config: &Config) -> u8 {
    let roots = definitions(args.sources.definitions, config);
    if let Some(code) = missing_root(&roots) {
        return code;
    }
    if let Some(f) = args.files.iter().find(|f| !f.is_file()) {
        error(format!("{} is not a file", f.display()));
        return EXIT_FAILED;
    }
    let warnings = if args.quiet {
        Warnings::Counted
    } else {
        Warnings::Placed
    };
    let mut loaded = load::load(&roots, warnings);
    let (metrics, events) = (loaded.catalog.metrics.len(), loaded.catalog.events.len());
    if let Some(code) = outside_definitions(&args.files, &roots) {
        return code;
    }
    let all_errors = loaded.diagnostics.errors();
    if !args.files.is_empty() {
        loaded.diagnostics.retain_files(&args.files);
    }
    let (errors, warnings) = (loaded.diagnostics.errors(), loaded.diagnostics.warnings());
    if args.quiet {
        loaded.diagnostics.retain_errors();
    }
    let d = &loaded.diagnostics;
    match args.format {
        Format::Human => {
            eprint!("{}", report::to_human(d, color()));
            let scope = match args.files.len() {
                0 => String::new(),
                1 => format!("{} against ", args.files[0].display()),
                n => format!("{n} files against "),
            };
            let hidden = if args.quiet && warnings > 0 {
                " (not shown: --quiet)"
            } else {
                ""
            };
            eprintln!(
                "checked {scope}{metrics} metrics and {events} events: {}, {}{hidden}",
                count(errors, "error"),
                count(warnings, "warning")
            );
            if errors < all_errors {
                eprintln!(
                    "the rest of the dictionary has {} more",
                    count(all_errors - errors, "error")
                );
            }
        }
        Format::Json => println!("{}", report::to_json(d)),
        Format::Gitlab => println!("{}", report::to_gitlab(d)),
    }
    let code = if d.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    };
    std::mem::forget(loaded); // left to the OS: freeing it is a tenth of a large check
    code
}
