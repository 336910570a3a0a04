//! The `metricdict` command line.

mod cli;

use clap::{CommandFactory, Parser};
use cli::args::{Cli, Command};
use cli::config::Config;
use std::process::ExitCode;

// Rendering allocates many small strings on every core; mimalloc's per-thread heaps cut the
// time glibc's allocator spent in locks and consolidation (measured in the README's benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::set_color(cli.color);
    if let Some(root) = &cli.root {
        if let Err(e) = std::env::set_current_dir(root) {
            cli::error(format!("--root {}: {e}", root.display()));
            return ExitCode::from(cli::EXIT_FAILED);
        }
    }
    let config = match &cli.config {
        Some(file) => Config::load_file(file),
        None => Config::load(std::path::Path::new(".")),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            cli::error(format!("{e:#}"));
            return ExitCode::from(cli::EXIT_FAILED);
        }
    };
    if matches!(cli.command, Command::Build(_) | Command::Check(_)) {
        no_huge_pages();
    }
    ExitCode::from(match cli.command {
        Command::Build(args) => cli::build::run(args, config),
        Command::Check(args) => cli::check::run(args, &config),
        Command::Serve(args) => cli::serve::run(args, config, cli.config.clone()),
        Command::Search(args) => cli::search::run(args, &config),
        Command::Payload(args) => cli::payload::run(args, &config),
        Command::New(args) => cli::new::run(*args, &config),
        Command::Ci(args) => {
            print!("{}", cli::new::ci_template(args.platform));
            cli::EXIT_OK
        }
        Command::Init(args) => cli::init::run(args),
        Command::Completions(args) => {
            let mut cmd = Cli::command();
            clap_complete::generate(args.shell, &mut cmd, "metricdict", &mut std::io::stdout());
            cli::EXIT_OK
        }
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => cli::EXIT_OK,
                Err(e) => {
                    cli::error(e);
                    cli::EXIT_FAILED
                }
            }
        }
    })
}

/// Opt this process out of transparent huge pages where the system gives them unasked
/// (`enabled=always`): a one-off build, which touches its memory once, paid for zeroing 2 MB at
/// every first touch, about a fifth of its system time (5k benchmark: -7 % wall time).
/// mimalloc is built not to ask for them (its `no_thp` feature, Cargo.toml): it did so at its
/// first allocation, before this runs, and those first huge pages cost a 5k build 5 %.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
