//! The command line: every command, flag and its help text.

use clap::{Args, Parser, Subcommand};
use metricdict::report::Format;
use std::path::PathBuf;

/// `metricdict --version`: the version, the commit it was built from and that commit's date.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("METRICDICT_BUILD_COMMIT"),
    " ",
    env!("METRICDICT_BUILD_DATE"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "metricdict",
    version = VERSION,
    about = "Build a browsable metrics dictionary from GitLab-style metric and event YAML definitions",
    after_help = "Settings come from flags, then METRICDICT_* environment variables (shown with \
each flag), then metricdict.toml, then defaults. Exit codes: 0 ok, 1 the definitions have \
errors, 2 could not run."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Read settings from this file instead of ./metricdict.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Work in this folder, as if started there: relative paths and metricdict.toml are
    /// found from it.
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Colour in terminal output: auto (on a terminal, without NO_COLOR), always (GitLab job
    /// logs render ANSI colours), never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,
}

/// When to colour terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check the definitions, then build the site into --out (atomically).
    Build(BuildArgs),
    /// Check the definitions and report every problem (exit 0 clean, 1 errors, 2 could not run).
    Check(CheckArgs),
    /// Build in memory, serve on http://127.0.0.1:4000/, rebuild and reload the browser on edits.
    Serve(ServeArgs),
    /// Search a built site's index.
    Search(SearchArgs),
    /// Check a Service Ping payload against the definitions: what each value means, keys with
    /// no definition, active definitions missing (exit 0; 1 with --strict and an undefined
    /// key; 2 when the file is not a payload).
    Payload(PayloadArgs),
    /// Write a new event or metric definition: prompts on a terminal, flags otherwise.
    #[command(after_help = NEW_EXAMPLES)]
    New(Box<NewArgs>),
    /// Print a CI configuration that checks the definitions and publishes the site.
    Ci(CiArgs),
    /// Start a new dictionary: an example event and metric, the privacy register files and a
    /// metricdict.toml, ready to build and check.
    Init(InitArgs),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `metricdict man > metricdict.1`.
    Man,
}

#[derive(Args)]
pub struct InitArgs {
    /// Folder to create the dictionary in (default: the current folder). It must not hold a
    /// dictionary already.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub const NEW_EXAMPLES: &str = "Examples:
  metricdict new event
  metricdict new event --action click_button --description 'A button was clicked' \\
      --group code_review --identifiers user,project --tiers free,premium,ultimate \\
      --milestone 18.6 --introduced-by-url https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1
  metricdict new metric --from-event click_button --unique user.id --time-frame 28d,7d \\
      --milestone 18.6 --introduced-by-url https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1

Without a terminal (CI, scripts) nothing is asked: a missing required value is an error naming
its flag (exit 2). An existing file or an action/key path already defined is refused (exit 2).";

#[derive(Args)]
pub struct NewArgs {
    /// What to define.
    #[arg(value_enum)]
    pub kind: metricdict::author::NewDefinition,
    #[command(flatten)]
    pub request: metricdict::author::Request,
}

#[derive(Args)]
pub struct CiArgs {
    /// `gitlab` (.gitlab-ci.yml: code-quality report on merge requests, GitLab Pages) or
    /// `github` (GitHub Actions workflow: check, GitHub Pages).
    #[arg(value_enum)]
    pub platform: Platform,
}

/// Where `metricdict ci` publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    Gitlab,
    Github,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// Address to bind. A non-loopback address (0.0.0.0) exposes the server to your network
    /// and makes it answer any Host name.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port; the one chosen is printed).
    #[arg(long, short = 'p', default_value_t = 4000)]
    pub port: u16,
    /// Path the site is served under (default: the path of the configured base URL, or /).
    #[arg(long, value_name = "URL", env = "METRICDICT_BASE_URL")]
    pub base_url: Option<String>,
    /// Folder of template overrides (default: ./templates when it exists).
    #[arg(long, value_name = "DIR", env = "METRICDICT_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Folder of static-asset overrides (default: ./static when it exists).
    #[arg(long = "static", value_name = "DIR", env = "METRICDICT_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    pub open: bool,
    /// Print only where the site is served and errors (no line per rebuild).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Clone)]
pub struct Sources {
    /// Definitions folder (repeatable; the variable takes a comma-separated list). A GitLab
    /// checkout root works as is. Default: definitions/.
    #[arg(
        long = "definitions",
        short = 'd',
        value_name = "DIR",
        env = "METRICDICT_DEFINITIONS",
        value_delimiter = ','
    )]
    pub definitions: Vec<PathBuf>,
}

#[derive(Args, Clone)]
pub struct BuildArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// Output folder; replaced only when the whole build succeeds. Default: public/.
    #[arg(long, short = 'o', value_name = "DIR", env = "METRICDICT_OUT")]
    pub out: Option<PathBuf>,
    /// URL (or path) the site is served under, e.g. https://example.gitlab.io/metrics/.
    #[arg(long, value_name = "URL", env = "METRICDICT_BASE_URL")]
    pub base_url: Option<String>,
    /// Prefix for "view source" links ("" disables them).
    #[arg(long, value_name = "URL", env = "METRICDICT_REPO_URL")]
    pub repo_url: Option<String>,
    /// Site title. Default: Metrics Dictionary.
    #[arg(long, env = "METRICDICT_TITLE")]
    pub title: Option<String>,
    /// Folder of template overrides (default: ./templates when it exists).
    #[arg(long, value_name = "DIR", env = "METRICDICT_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Folder of static-asset overrides (default: ./static when it exists).
    #[arg(long = "static", value_name = "DIR", env = "METRICDICT_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Print only errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print every warning, not just their count.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Compare with a previously built site — a folder, or the URL it is published at (its
    /// metrics.json and events.json are read): /changes/, changes.json, changes.csv.
    #[arg(long, value_name = "DIR|URL", conflicts_with = "baseline_ref")]
    pub baseline: Option<String>,
    /// Compare with the definitions as they were at this git revision (tag, branch, commit).
    #[arg(long, value_name = "GITREF")]
    pub baseline_ref: Option<String>,
}

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Report only errors, not warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Report only problems in these files (e.g. the ones a merge request changes). The whole
    /// dictionary is still loaded, so duplicates and unknown events are still found.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct SearchArgs {
    /// The query.
    pub query: String,
    /// A built site (default: the configured output folder, else public/).
    #[arg(long, value_name = "DIR", env = "METRICDICT_OUT")]
    pub site: Option<PathBuf>,
    /// How many results, 1 to 1000.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SearchFormat,
}

#[derive(Args)]
pub struct PayloadArgs {
    /// The payload: a JSON file as GitLab shows it in Admin area → Usage statistics.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub sources: Sources,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: PayloadFormat,
    /// Exit 1 when a key of the payload has no definition (for CI).
    #[arg(long)]
    pub strict: bool,
}

/// How `metricdict payload` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PayloadFormat {
    /// Readable lines: each value with its definition, then what is unknown and missing.
    Human,
    /// The report as JSON: values, unknown, missing, totals.
    Json,
}

/// How `metricdict search` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchFormat {
    /// One line per hit: score, kind, key.
    Text,
    /// A JSON array of hits.
    Json,
}
