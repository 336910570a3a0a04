//! The `metricdict` command line.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use cli::config::Config;
use std::process::ExitCode;

// Rendering allocates many small strings on every core; mimalloc's per-thread heaps cut the
// time glibc's allocator spent in locks and consolidation (measured in the README's benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(std::path::Path::new(".")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(cli::EXIT_FAILED);
        }
    };
    if matches!(cli.command, Command::Build(_) | Command::Check(_)) {
        no_huge_pages();
    }
    ExitCode::from(match cli.command {
        Command::Build(args) => cli::build::run(args, config),
        Command::Check(args) => cli::check::run(args, &config),
        Command::Serve(args) => cli::serve::run(args, config),
        Command::Search(args) => cli::search::run(args),
        Command::New(args) => cli::new::run(*args, &config),
        Command::Ci(args) => {
            print!("{}", cli::new::ci_template(&args.platform));
            cli::EXIT_OK
        }
    })
}

/// Opt this process out of transparent huge pages. mimalloc asks for them, and a one-off
/// build, which touches its memory once, then paid for zeroing 2 MB at every first touch: about
/// a fifth of its system time (5k benchmark: -7 % wall time). The dev server keeps them.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
