//! What the commands share: the configured definitions, exit codes, counts people read,
//! progress lines, colour.

use super::config::Config;
pub use metricdict::text::thousands;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Print an error on stderr, terminal-safe (it may quote file names and definitions).
pub fn error(message: impl std::fmt::Display) {
    eprintln!(
        "error: {}",
        metricdict::text::terminal_safe(&message.to_string())
    );
}

/// Exit codes (documented in the README).
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_FAILED: u8 = 2;

pub fn definitions(given: Vec<PathBuf>, config: &Config) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given;
    }
    config
        .definitions
        .clone()
        .unwrap_or_else(|| vec![PathBuf::from("definitions")])
}

/// `1 error`, `3 errors`, `5,012 warnings`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// Build progress: one updating line on a terminal; plain lines in CI logs and pipes; nothing
/// with `--quiet`.
pub struct Progress {
    quiet: bool,
    live: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress { quiet, live }
    }

    pub fn stage(&self, what: &str) {
        if self.quiet {
        } else if self.live {
            eprint!("\r\x1b[K{what}…");
        } else {
            eprintln!("{what}…");
        }
    }

    pub fn done(&self) {
        if !self.quiet && self.live {
            eprint!("\r\x1b[K");
        }
    }
}

/// The `--color` choice, set once at start.
static COLOR: std::sync::OnceLock<super::args::ColorChoice> = std::sync::OnceLock::new();

/// Remember `--color` for [`color`].
pub fn set_color(choice: super::args::ColorChoice) {
    let _ = COLOR.set(choice);
}

/// Whether stderr output is coloured: `--color always|never`, else on a terminal without
/// `NO_COLOR`.
pub fn color() -> bool {
    use super::args::ColorChoice;
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
        }
    }
}

pub fn existing_dir(
    flag: Option<PathBuf>,
    configured: Option<PathBuf>,
    default: &str,
) -> Option<PathBuf> {
    flag.or(configured).or_else(|| {
        let p = PathBuf::from(default);
        p.is_dir().then_some(p)
    })
}

/// A definitions folder that does not exist means the command could not run (exit 2).
pub fn missing_root(roots: &[PathBuf]) -> Option<u8> {
    let missing: Vec<String> = roots
        .iter()
        .filter(|r| !r.is_dir())
        .map(|r| r.display().to_string())
        .collect();
    if missing.is_empty() {
        return None;
    }
    error(format!(
        "definitions folder not found: {}",
        missing.join(", ")
    ));
    Some(EXIT_FAILED)
}
