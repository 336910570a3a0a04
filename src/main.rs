//! The `metricdict` command line.

use clap::{Args, Parser, Subcommand};
use metricdict::config::Config;
use metricdict::diagnostics::{self, Format};
use metricdict::site::{self, BuildError};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

// Rendering allocates many small strings on every core; mimalloc's per-thread heaps cut the
// time glibc's allocator spent in locks and consolidation (measured in the README's benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes (documented in the README).
const EXIT_OK: u8 = 0;
const EXIT_INVALID: u8 = 1;
const EXIT_FAILED: u8 = 2;

#[derive(Parser)]
#[command(
    name = "metricdict",
    version,
    about = "Build a browsable metrics dictionary from GitLab-style metric and event YAML definitions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

const NEW_EXAMPLES: &str = "Examples:
  metricdict new event
  metricdict new event --action click_button --description 'A button was clicked' \\
      --group code_review --identifiers user,project --tiers free,premium,ultimate \\
      --milestone 18.6 --introduced-by-url https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1
  metricdict new metric --from-event click_button --unique user.id --time-frame 28d,7d \\
      --milestone 18.6 --introduced-by-url https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1

Without a terminal (CI, scripts) nothing is asked: a missing required value is an error naming
its flag (exit 2). An existing file or an action/key path already defined is refused (exit 2).";

#[derive(Args)]
struct NewArgs {
    /// What to define.
    #[arg(value_enum)]
    kind: metricdict::author::Kind,
    #[command(flatten)]
    request: metricdict::author::Request,
}

#[derive(Args)]
struct CiArgs {
    /// `gitlab` (.gitlab-ci.yml: code-quality report on merge requests, GitLab Pages) or
    /// `github` (GitHub Actions workflow: check, GitHub Pages).
    #[arg(value_parser = ["gitlab", "github"])]
    platform: String,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    sources: Sources,
    /// Address to bind; 0.0.0.0 exposes the server to your network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, short = 'p', default_value_t = 4000)]
    port: u16,
    /// Path the site is served under (default: the path of the configured base URL, or /).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
}

#[derive(Args)]
struct Sources {
    /// Definitions folder (repeatable). A GitLab checkout root works as is.
    #[arg(long = "definitions", short = 'd', value_name = "DIR")]
    definitions: Vec<PathBuf>,
}

#[derive(Args)]
struct BuildArgs {
    #[command(flatten)]
    sources: Sources,
    /// Output folder; replaced only when the whole build succeeds.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: Option<PathBuf>,
    /// URL (or path) the site is served under, e.g. https://example.gitlab.io/metrics/.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Prefix for "view source" links ("" disables them).
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,
    /// Site title.
    #[arg(long)]
    title: Option<String>,
    /// Folder of template overrides (default: ./templates when it exists).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Folder of static-asset overrides (default: ./static when it exists).
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Print only errors.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Print every warning, not just their count.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Compare with a previously built site — a folder, or the URL it is published at (its
    /// metrics.json and events.json are read): /changes/, changes.json, changes.csv.
    #[arg(long, value_name = "DIR|URL", conflicts_with = "baseline_ref")]
    baseline: Option<String>,
    /// Compare with the definitions as they were at this git revision (tag, branch, commit).
    #[arg(long, value_name = "GITREF")]
    baseline_ref: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    sources: Sources,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Report only errors, not warnings.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Report only problems in these files (e.g. the ones a merge request changes). The whole
    /// dictionary is still loaded, so duplicates and unknown events are still found.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args)]
struct SearchArgs {
    /// The query.
    query: String,
    /// A built site.
    #[arg(long, default_value = "public")]
    site: PathBuf,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    format: String,
}

fn definitions(given: Vec<PathBuf>, config: &Config) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given;
    }
    config
        .definitions
        .clone()
        .unwrap_or_else(|| vec![PathBuf::from("definitions")])
}

/// `1 error`, `3 errors`, `5,012 warnings`.
fn count(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// `5012` → `5,012`, for summaries people read.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Build progress: one updating line on a terminal; plain lines in CI logs and pipes; nothing
/// with `--quiet`.
struct Progress {
    quiet: bool,
    live: bool,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress { quiet, live }
    }

    fn stage(&self, what: &str) {
        if self.quiet {
        } else if self.live {
            eprint!("\r\x1b[K{what}…");
        } else {
            eprintln!("{what}…");
        }
    }

    fn done(&self) {
        if !self.quiet && self.live {
            eprint!("\r\x1b[K");
        }
    }
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(std::path::Path::new(".")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if matches!(cli.command, Command::Build(_) | Command::Check(_)) {
        no_huge_pages();
    }
    ExitCode::from(match cli.command {
        Command::Build(args) => build(args, config),
        Command::Check(args) => check(args, &config),
        Command::Serve(args) => serve(args, config),
        Command::Search(args) => search(args),
        Command::New(args) => new(*args, &config),
        Command::Ci(args) => {
            print!("{}", ci_template(&args.platform));
            EXIT_OK
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

fn existing_dir(
    flag: Option<PathBuf>,
    configured: Option<PathBuf>,
    default: &str,
) -> Option<PathBuf> {
    flag.or(configured).or_else(|| {
        let p = PathBuf::from(default);
        p.is_dir().then_some(p)
    })
}

fn build(args: BuildArgs, config: Config) -> u8 {
    let started = Instant::now();
    let opts = site::Options {
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
        build_time: None,
        baseline: match (args.baseline, args.baseline_ref) {
            (Some(b), _) if b.starts_with("http://") || b.starts_with("https://") => {
                Some(metricdict::changes::Baseline::Url(b))
            }
            (Some(dir), _) => Some(metricdict::changes::Baseline::Site(PathBuf::from(dir))),
            (None, Some(rev)) => Some(metricdict::changes::Baseline::GitRef(rev)),
            (None, None) => None,
        },
        // Without --verbose the warnings are only counted.
        place_warnings: args.verbose,
        exit_after: true,
    };
    if let Some(code) = missing_root(&opts.definitions) {
        return code;
    }
    let progress = Progress::new(args.quiet);
    let result = site::build_with_progress(&opts, &|stage| progress.stage(stage));
    progress.done();
    match result {
        Ok(report) => {
            if args.verbose {
                eprint!("{}", diagnostics::to_human(&report.diagnostics, color()));
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
            eprint!("{}", diagnostics::to_human(&diags, color()));
            eprintln!(
                "build failed: {}; {} left unchanged",
                count(diags.errors(), "error"),
                opts.out.display()
            );
            EXIT_INVALID
        }
        Err(BuildError::Failed(msg)) => {
            eprintln!("error: {msg}");
            EXIT_FAILED
        }
    }
}

/// A definitions folder that does not exist means the command could not run (exit 2).
fn missing_root(roots: &[PathBuf]) -> Option<u8> {
    let missing: Vec<String> = roots
        .iter()
        .filter(|r| !r.is_dir())
        .map(|r| r.display().to_string())
        .collect();
    if missing.is_empty() {
        return None;
    }
    eprintln!(
        "error: definitions folder not found: {}",
        missing.join(", ")
    );
    Some(EXIT_FAILED)
}

fn check(args: CheckArgs, config: &Config) -> u8 {
    let roots = definitions(args.sources.definitions, config);
    if let Some(code) = missing_root(&roots) {
        return code;
    }
    if let Some(f) = args.files.iter().find(|f| !f.is_file()) {
        eprintln!("error: {} is not a file", f.display());
        return EXIT_FAILED;
    }
    let mut loaded = if args.quiet {
        site::load_counting_warnings(&roots)
    } else {
        site::load(&roots)
    };
    let (metrics, events) = (loaded.catalog.metrics.len(), loaded.catalog.events.len());
    if let Some(f) = args.files.iter().find(|f| {
        let f = f.canonicalize().ok();
        !roots.iter().any(|r| {
            r.canonicalize()
                .ok()
                .zip(f.as_ref())
                .is_some_and(|(r, f)| f.starts_with(r))
        })
    }) {
        eprintln!(
            "error: {} is not inside the definitions ({}); pass its folder with --definitions",
            f.display(),
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return EXIT_FAILED;
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
            eprint!("{}", diagnostics::to_human(d, color()));
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
        Format::Json => println!("{}", diagnostics::to_json(d)),
        Format::Gitlab => println!("{}", diagnostics::to_gitlab(d)),
    }
    let code = if d.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    };
    std::mem::forget(loaded); // left to the OS: freeing it is a tenth of a large check
    code
}

fn serve(args: ServeArgs, config: Config) -> u8 {
    use metricdict::serve::{watch, LiveServer, LiveSite};
    let definitions = definitions(args.sources.definitions, &config);
    if let Some(code) = missing_root(&definitions) {
        return code;
    }
    let (_, base) = site::split_base_url(
        &args
            .base_url
            .or(config.base_url)
            .unwrap_or_else(|| "/".into()),
    );
    let opts = site::Options {
        definitions,
        out: PathBuf::new(),
        base_url: base.clone(),
        repo_url: config.repo_url,
        title: config.title.unwrap_or_else(|| "Metrics Dictionary".into()),
        templates: existing_dir(args.templates, config.templates, "templates"),
        static_dir: existing_dir(args.static_dir, config.static_dir, "static"),
        build_time: None,
        baseline: None,
        place_warnings: true,
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

fn search(args: SearchArgs) -> u8 {
    match metricdict::search::search(&args.site, &args.query, args.limit) {
        Ok(hits) => {
            if args.format == "json" {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&hits).expect("hits serialise")
                );
            } else {
                for h in hits {
                    println!("{:>8.3}  {:<6}  {}", h.score, h.kind, h.key);
                }
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!(
                "error: cannot search {}: {e} (build the site first)",
                args.site.display()
            );
            EXIT_FAILED
        }
    }
}

fn new(args: NewArgs, config: &Config) -> u8 {
    let mut request = args.request;
    if request.definitions.is_none() {
        request.definitions = config.definitions.as_ref().and_then(|d| d.first().cloned());
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    metricdict::author::run(args.kind, &request, interactive)
}

/// The CI templates in docs/ci/, embedded so `metricdict ci` works anywhere.
fn ci_template(platform: &str) -> &'static str {
    match platform {
        "github" => include_str!("../docs/ci/github-pages.yml"),
        _ => include_str!("../docs/ci/gitlab-ci.yml"),
    }
}
