//! The command line: every command, flag and its help text.

use clap::{Args, Parser, Subcommand};
use metricdict::report::Format;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "metricdict",
    version,
    about = "Build a browsable metrics dictionary from GitLab-style metric and event YAML definitions"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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
    /// Write a new event or metric definition: prompts on a terminal, flags otherwise.
    #[command(after_help = NEW_EXAMPLES)]
    New(Box<NewArgs>),
    /// Print a CI configuration that checks the definitions and publishes the site.
    Ci(CiArgs),
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
    #[arg(value_parser = ["gitlab", "github"])]
    pub platform: String,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// Address to bind; 0.0.0.0 exposes the server to your network.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, short = 'p', default_value_t = 4000)]
    pub port: u16,
    /// Path the site is served under (default: the path of the configured base URL, or /).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct Sources {
    /// Definitions folder (repeatable). A GitLab checkout root works as is.
    #[arg(long = "definitions", short = 'd', value_name = "DIR")]
    pub definitions: Vec<PathBuf>,
}

#[derive(Args, Clone)]
pub struct BuildArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// Output folder; replaced only when the whole build succeeds.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// URL (or path) the site is served under, e.g. https://example.gitlab.io/metrics/.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Prefix for "view source" links ("" disables them).
    #[arg(long, value_name = "URL")]
    pub repo_url: Option<String>,
    /// Site title.
    #[arg(long)]
    pub title: Option<String>,
    /// Folder of template overrides (default: ./templates when it exists).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Folder of static-asset overrides (default: ./static when it exists).
    #[arg(long = "static", value_name = "DIR")]
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
    /// A built site.
    #[arg(long, default_value = "public")]
    pub site: PathBuf,
    /// How many results, 1 to 1000.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    pub format: String,
}
