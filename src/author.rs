//! `metricdict new event|metric`: write a new definition where GitLab keeps it.
//!
//! Every value comes from a flag, or, when stdin and stdout are a terminal, from a prompt; without
//! a terminal a missing required value is an error naming its flag (CI has no stdin). The result
//! is checked in memory against the same rules and schemas as `metricdict check` before it is
//! written, and an existing file is never replaced.
//!
//! Layout and style follow GitLab: events at `config/events/<action>.yml`, metrics at
//! `config/metrics/counts_<time frame>/<YYYYMMDDHHMMSS>_<name>.yml` (under `ee/` instead when the
//! tree has an `ee/` folder and the definition is not in the free tier), fields in the order
//! GitLab's internal-events generator writes them, milestones quoted. A metric made from an event
//! gets GitLab's key path convention: `redis_hll_counters.count_distinct_user_id_from_<action>`
//! for unique counts, `counts.count_total_<action>` for totals (`_weekly`/`_monthly` appended
//! when the time frame is a single 7d/28d; a list of time frames is expanded by Service Ping).

use crate::definition::{self, Event, KNOWN_IDENTIFIERS};
use crate::diagnostics::{self, Diagnostics, Severity};
use crate::discover::{self, SourceFile};
use crate::{parse, schema, site, validate};
use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What `metricdict new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// An internal event (`config/events/<action>.yml`).
    Event,
    /// A Service Ping metric counting events (`config/metrics/counts_<tf>/…`).
    Metric,
}

/// The flags of `metricdict new`. Lists take comma-separated values.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Request {
    /// Definitions folder to write into [default: the first configured one, else definitions/].
    #[arg(long, short = 'd', value_name = "DIR")]
    pub definitions: Option<PathBuf>,
    /// Event: its action, `^[a-z0-9_]+$`.
    #[arg(long)]
    pub action: Option<String>,
    /// Metric: its key path (default with --from-event: GitLab's naming convention).
    #[arg(long, value_name = "KEY_PATH")]
    pub key_path: Option<String>,
    /// One sentence: what happened (event) or what is counted (metric).
    #[arg(long)]
    pub description: Option<String>,
    /// Product group, from GitLab's list (config/metrics/schema/product_groups.json).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Product categories, e.g. code_review_workflow (optional).
    #[arg(long, value_delimiter = ',', value_name = "CATEGORY,…")]
    pub product_categories: Option<Vec<String>>,
    /// Event: user, project, namespace (or `none`).
    #[arg(long, value_delimiter = ',', value_name = "ID,…")]
    pub identifiers: Option<Vec<String>>,
    /// free, premium, ultimate.
    #[arg(long, value_delimiter = ',', value_name = "TIER,…")]
    pub tiers: Option<Vec<String>>,
    /// Metric: 7d, 28d, all; several make a list (`--time-frame 28d,7d`).
    #[arg(long, value_delimiter = ',', value_name = "TF,…")]
    pub time_frame: Option<Vec<String>>,
    /// Metric: actions of the events it counts (they must be defined).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ACTION,…",
        conflicts_with = "from_event"
    )]
    pub events: Option<Vec<String>>,
    /// Metric: count one existing event; group, categories and tiers come from it, key path and
    /// description are generated.
    #[arg(long, value_name = "ACTION")]
    pub from_event: Option<String>,
    /// Metric: count unique user.id, project.id or namespace.id (also label, property, value);
    /// without it the metric counts every occurrence.
    #[arg(long, value_name = "ATTRIBUTE")]
    pub unique: Option<String>,
    /// GitLab milestone the definition ships in, e.g. 18.6.
    #[arg(long)]
    pub milestone: Option<String>,
    /// The merge request that introduces the definition.
    #[arg(long, value_name = "URL")]
    pub introduced_by_url: Option<String>,
    /// Metric: operational, optional, subscription, standard.
    #[arg(long, default_value = "optional")]
    pub data_category: String,
    /// Metric: only internal_events metrics can be generated.
    #[arg(long, default_value = "internal_events")]
    pub data_source: String,
    /// Event: an additional property (repeatable), e.g. --property 'label=Target branch kind'.
    #[arg(long = "property", value_name = "NAME=DESCRIPTION")]
    pub properties: Vec<String>,
    /// Never prompt, even on a terminal.
    #[arg(long)]
    pub no_input: bool,
}

/// Why nothing was written (the command exits 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error(msg.into()))
}

/// A written definition.
#[derive(Debug, Clone)]
pub struct Created {
    pub path: PathBuf,
    pub text: String,
    /// Warnings `check` will print for it (a product group newer than the schema's list, …).
    pub warnings: Vec<String>,
    /// Hints for the author (fields GitLab's review will ask for).
    pub notes: Vec<String>,
}

/// A validation rule for a typed answer: `Err` explains what is wrong.
pub type Check = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Asks the questions. [`Terminal`] asks on the terminal; tests can script answers.
pub trait Prompter {
    /// A line of text. `check` runs as the user types; the answer is re-checked afterwards.
    fn text(
        &mut self,
        message: &str,
        help: &str,
        default: Option<&str>,
        check: &Check,
    ) -> Result<String, Error>;
    /// One of `options`; returns its index.
    fn select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, Error>;
    /// Several of `options` (at least `min`); returns their indices in option order.
    fn multi_select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        selected: &[usize],
        min: usize,
    ) -> Result<Vec<usize>, Error>;
    /// Tell the user an answer was refused.
    fn refuse(&mut self, why: &str) {
        eprintln!("{why}");
    }
}

/// Prompts on the terminal (inquire; drawn on stderr). Type to filter long lists.
pub struct Terminal;

fn inquire_error(e: inquire::InquireError) -> Error {
    use inquire::InquireError::*;
    match e {
        OperationCanceled | OperationInterrupted => Error("cancelled; nothing was written".into()),
        other => Error(format!("cannot prompt: {other}")),
    }
}

/// Filter for long lists: exact match first, then prefix, then substring.
fn score(input: &str, _: &String, value: &str, _: usize) -> Option<i64> {
    let (input, value) = (input.to_lowercase(), value.to_lowercase());
    if value == input {
        Some(2)
    } else if value.starts_with(&input) {
        Some(1)
    } else {
        value.contains(&input).then_some(0)
    }
}

impl Prompter for Terminal {
    fn text(
        &mut self,
        message: &str,
        help: &str,
        default: Option<&str>,
        check: &Check,
    ) -> Result<String, Error> {
        use inquire::validator::Validation;
        let c = check.clone();
        let mut prompt = inquire::Text::new(message).with_validator(move |s: &str| {
            Ok(match c(s.trim()) {
                Ok(()) => Validation::Valid,
                Err(e) => Validation::Invalid(e.into()),
            })
        });
        if !help.is_empty() {
            prompt = prompt.with_help_message(help);
        }
        if let Some(d) = default {
            prompt = prompt.with_default(d);
        }
        prompt
            .prompt()
            .map(|s| s.trim().to_string())
            .map_err(inquire_error)
    }

    fn select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, Error> {
        let mut prompt = inquire::Select::new(message, options.to_vec())
            .with_starting_cursor(start.min(options.len().saturating_sub(1)))
            .with_scorer(&score)
            .with_page_size(12);
        if !help.is_empty() {
            prompt = prompt.with_help_message(help);
        }
        prompt.raw_prompt().map(|o| o.index).map_err(inquire_error)
    }

    fn multi_select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        selected: &[usize],
        min: usize,
    ) -> Result<Vec<usize>, Error> {
        use inquire::validator::Validation;
        let mut prompt = inquire::MultiSelect::new(message, options.to_vec())
            .with_default(selected)
            .with_scorer(&score)
            .with_page_size(12)
            .with_validator(
                move |chosen: &[inquire::list_option::ListOption<&String>]| {
                    Ok(if chosen.len() >= min {
                        Validation::Valid
                    } else {
                        Validation::Invalid("choose at least one (space toggles)".into())
                    })
                },
            );
        if !help.is_empty() {
            prompt = prompt.with_help_message(help);
        }
        let mut chosen: Vec<usize> = prompt
            .raw_prompt()
            .map_err(inquire_error)?
            .into_iter()
            .map(|o| o.index)
            .collect();
        chosen.sort_unstable();
        Ok(chosen)
    }
}

/// Run `metricdict new`: prompt when `interactive` (and not `--no-input`), write, report.
/// Returns the exit code: 0 written, 2 nothing written.
pub fn run(kind: Kind, req: &Request, interactive: bool) -> u8 {
    let mut terminal = Terminal;
    let prompter: Option<&mut dyn Prompter> = if interactive && !req.no_input {
        Some(&mut terminal)
    } else {
        None
    };
    match create(kind, req, prompter) {
        Ok(created) => {
            for w in &created.warnings {
                eprintln!("warning: {w}");
            }
            for n in &created.notes {
                eprintln!("note: {n}");
            }
            if interactive {
                eprint!("\n{}\n", created.text);
            }
            eprintln!(
                "wrote {}; `metricdict check {0}` checks it again after you edit it",
                created.path.display()
            );
            println!("{}", created.path.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// Ask for (or take from flags) every field, check the result, write it. Prompts only when
/// `prompter` is given.
pub fn create(
    kind: Kind,
    req: &Request,
    prompter: Option<&mut dyn Prompter>,
) -> Result<Created, Error> {
    let root = req
        .definitions
        .clone()
        .unwrap_or_else(|| PathBuf::from("definitions"));
    let dict = Dictionary::load(&root)?;
    let mut ask = Ask { p: prompter };
    let draft = match kind {
        Kind::Event => event(req, &dict, &mut ask)?,
        Kind::Metric => metric(req, &dict, &mut ask)?,
    };
    write(&dict, draft)
}

/// What the dictionary already holds.
struct Dictionary {
    root: PathBuf,
    events: Vec<std::sync::Arc<Event>>,
    actions: BTreeSet<String>,
    /// Key paths, and the Service Ping keys they expand to.
    key_paths: BTreeSet<String>,
    /// GitLab's list of product groups (from the tree's schema, else the built-in one).
    schema_groups: BTreeSet<String>,
    /// Those plus the groups the definitions use.
    groups: Vec<String>,
    schemas: schema::Schemas,
    /// Put non-free definitions under `ee/` (the tree has one, as a GitLab checkout does).
    has_ee: bool,
}

const BUILTIN_GROUPS: &str = include_str!("schema/metrics/product_groups.json");

impl Dictionary {
    fn load(root: &Path) -> Result<Dictionary, Error> {
        if !root.is_dir() {
            return err(format!(
                "definitions folder not found: {} (pass --definitions DIR)",
                root.display()
            ));
        }
        let loaded = site::load(&[root.to_path_buf()]);
        if !discover::is_gitlab_layout(root) && !loaded.documents.is_empty() {
            return err(format!(
                "{} is not laid out like GitLab (no config/metrics or config/events folder); \
                 new definitions go to config/…, which would hide the {} files already there",
                root.display(),
                loaded.documents.len()
            ));
        }
        let found = discover::discover(&[root.to_path_buf()]);
        let schemas = schema::Schemas::load(&found.schemas).map_err(Error)?;
        let groups_text = match &found.schemas.metrics_dir {
            Some(dir) if dir.join("product_groups.json").is_file() => {
                std::fs::read_to_string(dir.join("product_groups.json"))
                    .map_err(|e| Error(format!("{}: {e}", dir.display())))?
            }
            _ => BUILTIN_GROUPS.to_string(),
        };
        let schema_groups: BTreeSet<String> =
            serde_json::from_str::<serde_json::Value>(&groups_text)
                .ok()
                .and_then(|v| {
                    v.get("enum")?.as_array().map(|a| {
                        a.iter()
                            .filter_map(|g| g.as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default();
        let catalog = loaded.catalog;
        // Groups the definitions use that the schema's list lacks (it lags behind).
        let known: BTreeSet<String> = schema_groups
            .iter()
            .map(|g| definition::normalize_group(g))
            .collect();
        let mut groups = schema_groups.clone();
        for g in catalog
            .metrics
            .iter()
            .filter_map(|m| m.group.clone())
            .chain(catalog.events.iter().filter_map(|e| e.group.clone()))
        {
            if is_name(&g, "-") && !known.contains(&g) {
                groups.insert(g);
            }
        }
        let mut key_paths = BTreeSet::new();
        for m in &catalog.metrics {
            key_paths.insert(m.key_path.clone());
            key_paths.extend(m.expanded_key_paths());
        }
        Ok(Dictionary {
            root: root.to_path_buf(),
            actions: catalog.events.iter().map(|e| e.action.clone()).collect(),
            events: catalog.events,
            key_paths,
            schema_groups,
            groups: groups.into_iter().collect(),
            schemas,
            has_ee: root.join("ee").is_dir(),
        })
    }

    /// The event an action names: the internal one when legacy events share the action.
    fn event(&self, action: &str) -> Option<&Event> {
        let mut matching = self.events.iter().filter(|e| e.action == action);
        let first = matching.clone().next();
        matching.find(|e| e.internal).or(first).map(|e| &**e)
    }

    /// A product group as GitLab spells it: the schema's spelling when it matches loosely.
    fn group(&self, given: &str) -> Result<String, String> {
        let g = given.trim();
        if self.schema_groups.contains(g) {
            return Ok(g.to_string());
        }
        let norm = definition::normalize_group(g);
        if let Some(k) = self
            .schema_groups
            .iter()
            .find(|k| definition::normalize_group(k) == norm)
        {
            return Ok(k.clone());
        }
        if is_name(&norm, "-") {
            Ok(norm)
        } else {
            Err("a product group name such as code_review".into())
        }
    }
}

/// `^[a-z0-9_]+$`, plus the characters in `extra`.
fn is_name(s: &str, extra: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || extra.contains(c))
}

fn is_key_path(s: &str) -> bool {
    s.split('.').all(|seg| is_name(seg, ""))
}

fn check_milestone(s: &str) -> Result<(), String> {
    if validate::is_milestone(s) && !s.starts_with('<') {
        Ok(())
    } else {
        Err("a milestone such as 18.6".into())
    }
}

fn check_url(s: &str) -> Result<(), String> {
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err("an http(s) URL, e.g. https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1".into())
    }
}

fn check_description(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err("a description (one sentence is fine)".into())
    } else {
        Ok(())
    }
}

fn check_categories(s: &str) -> Result<(), String> {
    split(s).iter().try_for_each(|c| {
        if is_name(c, "") {
            Ok(())
        } else {
            Err(format!("`{c}` is not a product category name (snake_case)"))
        }
    })
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn check(f: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static) -> Check {
    Arc::new(f)
}

/// A prompt's text and what to offer.
struct Question<'a> {
    message: &'a str,
    help: &'a str,
    default: Option<String>,
    /// Use `default` without a terminal too (a generated value), instead of requiring the flag.
    default_without_terminal: bool,
}

impl<'a> Question<'a> {
    fn new(message: &'a str, help: &'a str) -> Self {
        Question {
            message,
            help,
            default: None,
            default_without_terminal: false,
        }
    }
    fn suggest(mut self, default: Option<String>) -> Self {
        self.default = default;
        self
    }
    fn generated(mut self, default: Option<String>) -> Self {
        self.default_without_terminal = default.is_some();
        self.default = default;
        self
    }
}

fn missing(flag: &str) -> Error {
    Error(format!(
        "missing --{flag} (not asking: stdin/stdout is not a terminal, or --no-input)"
    ))
}

/// Flag value, else prompt, else a missing-flag error.
struct Ask<'p> {
    p: Option<&'p mut dyn Prompter>,
}

impl Ask<'_> {
    fn text(
        &mut self,
        flag: &str,
        given: Option<&str>,
        q: Question,
        check: Check,
    ) -> Result<String, Error> {
        if let Some(v) = given {
            let v = v.trim();
            check(v).map_err(|e| Error(format!("--{flag} {v:?}: expected {e}")))?;
            return Ok(v.to_string());
        }
        let Some(p) = self.p.as_deref_mut() else {
            return match q.default {
                Some(d) if q.default_without_terminal => Ok(d),
                _ => Err(missing(flag)),
            };
        };
        loop {
            let v = p.text(q.message, q.help, q.default.as_deref(), &check)?;
            match check(&v) {
                Ok(()) => return Ok(v),
                Err(e) => p.refuse(&format!("expected {e}")),
            }
        }
    }

    /// A list from a comma-separated flag (values from `allowed`), else a multi-select.
    fn list(
        &mut self,
        flag: &str,
        given: Option<&[String]>,
        q: Question,
        allowed: &[&str],
        default: &[String],
        min: usize,
    ) -> Result<Vec<String>, Error> {
        if let Some(v) = given {
            let mut out: Vec<String> = Vec::new();
            for item in v.iter().map(|s| s.trim().to_lowercase()) {
                if item.is_empty() || out.contains(&item) {
                    continue;
                }
                if !allowed.contains(&item.as_str()) {
                    return err(format!(
                        "--{flag}: `{item}` is not one of {}",
                        allowed.join(", ")
                    ));
                }
                out.push(item);
            }
            if out.len() < min {
                return err(format!(
                    "--{flag}: give at least one of {}",
                    allowed.join(", ")
                ));
            }
            return Ok(out);
        }
        let Some(p) = self.p.as_deref_mut() else {
            return Err(missing(flag));
        };
        let options: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        let selected: Vec<usize> = default
            .iter()
            .filter_map(|d| options.iter().position(|o| o == d))
            .collect();
        let chosen = p.multi_select(q.message, q.help, &options, &selected, min)?;
        Ok(chosen.into_iter().map(|i| options[i].clone()).collect())
    }

    /// The product group: the flag's; else `prefill` when `take_prefill`; else chosen from the
    /// known groups, starting at `prefill`.
    fn group(
        &mut self,
        dict: &Dictionary,
        given: Option<&str>,
        prefill: Option<&str>,
        take_prefill: bool,
    ) -> Result<String, Error> {
        if let Some(g) = given {
            return dict
                .group(g)
                .map_err(|e| Error(format!("--group {g:?}: expected {e}")));
        }
        let prefill = prefill.and_then(|g| dict.group(g).ok());
        if let (Some(g), true) = (&prefill, take_prefill) {
            return Ok(g.clone());
        }
        let Some(p) = self.p.as_deref_mut() else {
            return Err(missing("group"));
        };
        let start = prefill
            .and_then(|d| dict.groups.iter().position(|g| *g == d))
            .unwrap_or(0);
        let i = p.select(
            "Product group:",
            "type to filter, enter to choose",
            &dict.groups,
            start,
        )?;
        Ok(dict.groups[i].clone())
    }

    /// Optional: none without a flag or a terminal; a terminal offers `default`.
    fn categories(
        &mut self,
        given: Option<&[String]>,
        default: &[String],
    ) -> Result<Vec<String>, Error> {
        if given.is_none() && self.p.is_none() {
            return Ok(Vec::new());
        }
        let joined = given.map(|g| g.join(","));
        let q = Question::new(
            "Product categories:",
            "comma-separated, e.g. code_review_workflow; empty for none",
        )
        .suggest(Some(default.join(",")).filter(|d| !d.is_empty()));
        let v = self.text(
            "product-categories",
            joined.as_deref(),
            q,
            check(check_categories),
        )?;
        Ok(split(&v))
    }

    fn milestone_and_url(&mut self, req: &Request) -> Result<(String, String), Error> {
        let milestone = self.text(
            "milestone",
            req.milestone.as_deref(),
            Question::new("Milestone:", "the GitLab milestone it ships in, e.g. 18.6"),
            check(check_milestone),
        )?;
        let url = self.text(
            "introduced-by-url",
            req.introduced_by_url.as_deref(),
            Question::new("Introduced by (merge request URL):", ""),
            check(check_url),
        )?;
        Ok((milestone, url))
    }
}

const TIERS: [&str; 3] = ["free", "premium", "ultimate"];
const TIME_FRAMES: [&str; 3] = ["28d", "7d", "all"];
const UNIQUE: [&str; 6] = [
    "user.id",
    "project.id",
    "namespace.id",
    "label",
    "property",
    "value",
];
const DATA_CATEGORIES: [&str; 4] = ["operational", "optional", "subscription", "standard"];

/// Tiers in GitLab's order.
fn ordered_tiers(t: Vec<String>) -> Vec<String> {
    TIERS
        .iter()
        .filter(|x| t.iter().any(|y| y == *x))
        .map(|s| s.to_string())
        .collect()
}

/// A definition ready to check and write.
struct Draft {
    rel: String,
    text: String,
    notes: Vec<String>,
}

fn ee_prefix(dict: &Dictionary, tiers: &[String]) -> &'static str {
    if dict.has_ee && !tiers.iter().any(|t| t == "free") {
        "ee/"
    } else {
        ""
    }
}

fn event(req: &Request, dict: &Dictionary, ask: &mut Ask) -> Result<Draft, Error> {
    let actions = dict.actions.clone();
    let action = ask.text(
        "action",
        req.action.as_deref(),
        Question::new(
            "Action (event name):",
            "lowercase letters, digits and _, e.g. create_merge_request",
        ),
        check(move |s| {
            if !is_name(s, "") {
                Err("an action matching ^[a-z0-9_]+$ (GitLab's event schema)".into())
            } else if actions.contains(s) {
                Err(format!("a new action: `{s}` is already defined"))
            } else {
                Ok(())
            }
        }),
    )?;
    let description = ask.text(
        "description",
        req.description.as_deref(),
        Question::new(
            "Description:",
            "what happened, e.g. A merge request was created",
        ),
        check(check_description),
    )?;
    let identifiers = match req.identifiers.as_deref() {
        Some([only]) if only.trim() == "none" => Vec::new(),
        given => ask.list(
            "identifiers",
            given,
            Question::new(
                "Identifiers:",
                "who/where the event happens; space toggles, enter confirms",
            ),
            &KNOWN_IDENTIFIERS[..3],
            &["user".to_string()],
            0,
        )?,
    };
    let group = ask.group(dict, req.group.as_deref(), None, false)?;
    let categories = ask.categories(req.product_categories.as_deref(), &[])?;
    let tiers = ordered_tiers(ask.list(
        "tiers",
        req.tiers.as_deref(),
        Question::new("Tiers:", "space toggles, enter confirms"),
        &TIERS,
        &[],
        1,
    )?);
    let properties = properties(req, ask)?;
    let (milestone, url) = ask.milestone_and_url(req)?;

    let mut y = Yaml::default();
    y.field("description", &description);
    y.raw("internal_events", "true");
    y.field("action", &action);
    y.list("identifiers", &identifiers);
    if !properties.is_empty() {
        y.line("additional_properties:");
        for (name, desc) in &properties {
            y.line(&format!("  {name}:"));
            y.line(&format!("    description: {}", scalar(desc)));
        }
    }
    y.field("product_group", &group);
    y.list("product_categories", &categories);
    y.raw("milestone", &format!("'{milestone}'"));
    y.field("introduced_by_url", &url);
    y.list("tiers", &tiers);
    Ok(Draft {
        rel: format!("{}config/events/{action}.yml", ee_prefix(dict, &tiers)),
        text: y.0,
        notes: Vec::new(),
    })
}

/// Additional properties: `--property name=description`, or asked one by one.
fn properties(req: &Request, ask: &mut Ask) -> Result<Vec<(String, String)>, Error> {
    let mut props: Vec<(String, String)> = Vec::new();
    let rule = |props: &[(String, String)]| -> Result<(), String> {
        let has = |n: &str| props.iter().any(|(p, _)| p == n);
        let custom = props
            .iter()
            .any(|(p, _)| !["label", "property", "value"].contains(&p.as_str()));
        if custom && !(has("value") || (has("label") && has("property"))) {
            Err(
                "custom properties need `label` and `property`, or `value`, as well \
                 (GitLab's event schema)"
                    .into(),
            )
        } else {
            Ok(())
        }
    };
    if !req.properties.is_empty() || ask.p.is_none() {
        for p in &req.properties {
            let Some((name, desc)) = p.split_once('=') else {
                return err(format!("--property {p:?}: expected NAME=DESCRIPTION"));
            };
            let (name, desc) = (name.trim(), desc.trim());
            if !is_name(name, "") || desc.is_empty() {
                return err(format!(
                    "--property {p:?}: expected NAME=DESCRIPTION with NAME matching ^[a-z0-9_]+$"
                ));
            }
            if props.iter().any(|(n, _)| n == name) {
                return err(format!("--property {name} is given twice"));
            }
            props.push((name.to_string(), desc.to_string()));
        }
        rule(&props).map_err(|e| Error(format!("--property: {e}")))?;
        return Ok(props);
    }
    loop {
        let so_far = props.clone();
        let name = ask.text(
            "property",
            None,
            Question::new(
                "Additional property (empty when done):",
                "label, property, value, or your own name once label+property or value are set",
            ),
            check(move |s| {
                if s.is_empty() {
                    rule(&so_far)
                } else if !is_name(s, "") {
                    Err("a property name matching ^[a-z0-9_]+$".into())
                } else if so_far.iter().any(|(n, _)| n == s) {
                    Err(format!("a new property: `{s}` is already added"))
                } else {
                    Ok(())
                }
            }),
        )?;
        if name.is_empty() {
            return Ok(props);
        }
        let message = format!("Description of `{name}`:");
        let desc = ask.text(
            "property",
            None,
            Question::new(&message, ""),
            check(check_description),
        )?;
        props.push((name, desc));
    }
}

/// GitLab's key path for a metric counting one event.
pub fn conventional_key_path(action: &str, unique: Option<&str>, time_frames: &[String]) -> String {
    let base = match unique {
        Some(u) => format!(
            "redis_hll_counters.count_distinct_{}_from_{action}",
            u.replace('.', "_")
        ),
        None => format!("counts.count_total_{action}"),
    };
    match time_frames {
        [tf] if tf == "7d" => format!("{base}_weekly"),
        [tf] if tf == "28d" => format!("{base}_monthly"),
        _ => base,
    }
}

/// A description for a metric counting one event.
pub fn conventional_description(action: &str, unique: Option<&str>) -> String {
    match unique {
        Some("user.id") => format!("Count of unique users who triggered {action}"),
        Some("project.id") => format!("Count of unique projects where {action} was triggered"),
        Some("namespace.id") => {
            format!("Count of unique namespaces where {action} was triggered")
        }
        Some(other) => format!("Count of unique {other} values of {action}"),
        None => format!("Count of times {action} was triggered"),
    }
}

/// Identifier an event must carry to be counted by `unique`.
fn identifier_for(unique: &str) -> Option<&'static str> {
    match unique {
        "user.id" => Some("user"),
        "project.id" => Some("project"),
        "namespace.id" => Some("namespace"),
        _ => None,
    }
}

fn metric(req: &Request, dict: &Dictionary, ask: &mut Ask) -> Result<Draft, Error> {
    if req.data_source != "internal_events" {
        return err(format!(
            "--data-source {:?}: only internal_events metrics can be generated \
             (other data sources need instrumentation code)",
            req.data_source
        ));
    }
    if !DATA_CATEGORIES.contains(&req.data_category.as_str()) {
        return err(format!(
            "--data-category {:?}: expected one of {}",
            req.data_category,
            DATA_CATEGORIES.join(", ")
        ));
    }
    let events = counted_events(req, dict, ask)?;
    let flag = if req.from_event.is_some() {
        "--from-event"
    } else {
        "--events"
    };
    let mut defs: Vec<&Event> = Vec::new();
    for e in &events {
        match dict.event(e) {
            Some(ev) => defs.push(ev),
            None => {
                return err(format!(
                    "{flag}: no event `{e}` is defined in {}; add it first with \
                     `metricdict new event`",
                    dict.root.display()
                ))
            }
        }
    }
    let unique = unique_attribute(req, &defs, ask)?;

    let allowed_tf: &[&str] = if unique.is_some() {
        &TIME_FRAMES[..2]
    } else {
        &TIME_FRAMES
    };
    if let (Some(_), Some(tf)) = (&unique, &req.time_frame) {
        if tf.iter().any(|t| t.trim() == "all") {
            return err(
                "--time-frame all: unique counts need fixed time frames (7d, 28d); \
                 GitLab's schema rejects unique counts over `all`",
            );
        }
    }
    let time_frames = ask.list(
        "time-frame",
        req.time_frame.as_deref(),
        Question::new("Time frames:", "space toggles, enter confirms"),
        allowed_tf,
        &["28d".to_string(), "7d".to_string()],
        1,
    )?;

    let single = (events.len() == 1).then(|| events[0].as_str());
    let generated_key = single.map(|a| conventional_key_path(a, unique.as_deref(), &time_frames));
    let generated_desc = single.map(|a| conventional_description(a, unique.as_deref()));
    let from_event = req.from_event.is_some();
    let existing = dict.key_paths.clone();
    let tf_for_check = time_frames.clone();
    let key_question = Question::new(
        "Key path:",
        "dot-separated, lowercase; GitLab's convention is suggested",
    );
    let key_path = ask.text(
        "key-path",
        req.key_path.as_deref(),
        if from_event {
            key_question.generated(generated_key)
        } else {
            key_question.suggest(generated_key)
        },
        check(move |s| {
            if !is_key_path(s) {
                return Err("a key path of [a-z0-9_] segments joined by dots".into());
            }
            let expanded = expand(s, &tf_for_check);
            match expanded.iter().find(|k| existing.contains(*k)) {
                Some(k) => Err(format!("a new key path: `{k}` is already defined")),
                None => Ok(()),
            }
        }),
    )?;
    let desc_question = Question::new("Description:", "");
    let description = ask.text(
        "description",
        req.description.as_deref(),
        if from_event {
            desc_question.generated(generated_desc)
        } else {
            desc_question.suggest(generated_desc)
        },
        check(check_description),
    )?;
    let first = defs[0];
    // With --from-event the event's group, categories and tiers are taken; otherwise a
    // terminal offers them and flags must give them.
    let group = ask.group(
        dict,
        req.group.as_deref(),
        first.group.as_deref(),
        from_event,
    )?;
    let categories = if from_event && req.product_categories.is_none() {
        first.product_categories.clone()
    } else {
        ask.categories(req.product_categories.as_deref(), &first.product_categories)?
    };
    let event_tiers = ordered_tiers(first.tiers.clone());
    let tiers = if from_event && req.tiers.is_none() && !event_tiers.is_empty() {
        event_tiers
    } else {
        ordered_tiers(ask.list(
            "tiers",
            req.tiers.as_deref(),
            Question::new("Tiers:", "space toggles, enter confirms"),
            &TIERS,
            &first.tiers,
            1,
        )?)
    };
    let (milestone, url) = ask.milestone_and_url(req)?;

    let mut y = Yaml::default();
    y.field("key_path", &key_path);
    y.field("description", &description);
    y.field("product_group", &group);
    y.list("product_categories", &categories);
    y.raw("performance_indicator_type", "[]");
    y.raw("value_type", "number");
    y.raw("status", "active");
    y.raw("milestone", &format!("'{milestone}'"));
    y.field("introduced_by_url", &url);
    match time_frames.as_slice() {
        [one] => y.raw("time_frame", one),
        many => y.list("time_frame", many),
    }
    y.raw("data_source", &req.data_source);
    y.raw("data_category", &req.data_category);
    y.list("tiers", &tiers);
    y.line("events:");
    for e in &events {
        y.line(&format!("- name: {}", scalar(e)));
        if let Some(u) = &unique {
            y.line(&format!("  unique: {u}"));
        }
    }
    let name = key_path.rsplit('.').next().unwrap_or(&key_path);
    let mut notes = Vec::new();
    if categories.is_empty() {
        notes.push(
            "GitLab's product_categories.json schema requires product_categories for new \
             active metrics (--product-categories)"
                .to_string(),
        );
    }
    Ok(Draft {
        rel: format!(
            "{}config/metrics/counts_{}/{}_{name}.yml",
            ee_prefix(dict, &tiers),
            time_frames[0],
            timestamp()
        ),
        text: y.0,
        notes,
    })
}

/// The actions a metric counts: --from-event, --events, or chosen from the defined events.
fn counted_events(req: &Request, dict: &Dictionary, ask: &mut Ask) -> Result<Vec<String>, Error> {
    if let Some(a) = &req.from_event {
        return Ok(vec![a.trim().to_string()]);
    }
    if let Some(given) = &req.events {
        let mut out: Vec<String> = Vec::new();
        for e in given.iter().map(|e| e.trim().to_string()) {
            if !e.is_empty() && !out.contains(&e) {
                out.push(e);
            }
        }
        if out.is_empty() {
            return err("--events: give at least one event action");
        }
        return Ok(out);
    }
    let Some(p) = ask.p.as_deref_mut() else {
        return Err(missing("events (or --from-event)"));
    };
    let options: Vec<String> = dict.actions.iter().cloned().collect();
    if options.is_empty() {
        return err(format!(
            "{} defines no events yet; add one first with `metricdict new event`",
            dict.root.display()
        ));
    }
    let chosen = p.multi_select(
        "Events to count:",
        "type to filter, space toggles, enter confirms",
        &options,
        &[],
        1,
    )?;
    Ok(chosen.into_iter().map(|i| options[i].clone()).collect())
}

/// What is counted uniquely (`None`: every occurrence). Identifier-based attributes need every
/// counted event to carry the identifier (events that list none do not restrict).
fn unique_attribute(
    req: &Request,
    defs: &[&Event],
    ask: &mut Ask,
) -> Result<Option<String>, Error> {
    let lacks =
        |e: &Event, id: &str| !e.identifiers.is_empty() && !e.identifiers.iter().any(|i| i == id);
    if let Some(u) = &req.unique {
        let u = u.trim().to_string();
        if !UNIQUE.contains(&u.as_str()) {
            return err(format!(
                "--unique {u:?}: expected one of {}",
                UNIQUE.join(", ")
            ));
        }
        if let Some(id) = identifier_for(&u) {
            if let Some(e) = defs.iter().find(|e| lacks(e, id)) {
                return err(format!(
                    "--unique {u}: event `{}` has no `{id}` identifier (it has: {})",
                    e.action,
                    e.identifiers.join(", ")
                ));
            }
        }
        return Ok(Some(u));
    }
    let Some(p) = ask.p.as_deref_mut() else {
        return Ok(None);
    };
    let mut values: Vec<Option<&str>> = ["user.id", "project.id", "namespace.id"]
        .into_iter()
        .filter(|u| identifier_for(u).is_some_and(|id| !defs.iter().any(|e| lacks(e, id))))
        .map(Some)
        .collect();
    values.push(None);
    let labels: Vec<String> = values
        .iter()
        .map(|v| match v {
            Some("user.id") => "user.id (unique users)".to_string(),
            Some("project.id") => "project.id (unique projects)".to_string(),
            Some("namespace.id") => "namespace.id (unique namespaces)".to_string(),
            _ => "none (count every occurrence)".to_string(),
        })
        .collect();
    let i = p.select("Count:", "what the metric counts", &labels, 0)?;
    Ok(values[i].map(str::to_string))
}

/// Service Ping keys of a key path with these time frames.
fn expand(key_path: &str, time_frames: &[String]) -> Vec<String> {
    let mut out = vec![key_path.to_string()];
    if time_frames.len() > 1 {
        for tf in time_frames {
            match tf.as_str() {
                "7d" => out.push(format!("{key_path}_weekly")),
                "28d" => out.push(format!("{key_path}_monthly")),
                _ => {}
            }
        }
    }
    out
}

/// `YYYYMMDDHHMMSS` in UTC, as GitLab names metric files; `SOURCE_DATE_EPOCH` fixes it.
fn timestamp() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
        .unwrap_or_else(SystemTime::now);
    humantime::format_rfc3339_seconds(t)
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Check the draft as `metricdict check` would, then create the file (never replacing one).
fn write(dict: &Dictionary, draft: Draft) -> Result<Created, Error> {
    let path = dict.root.join(&draft.rel);
    let file = SourceFile {
        path: path.clone(),
        rel: draft.rel.clone(),
        in_removed_dir: false,
    };
    let doc = parse::parse_source(file, draft.text.clone()).map_err(|d| {
        Error(format!(
            "internal error: generated YAML does not parse: {}",
            d.message
        ))
    })?;
    let mut diags = Diagnostics::default();
    let def = validate::check_document(&doc, &mut diags);
    let is_metric = matches!(def, Some(definition::Definition::Metric(_)));
    dict.schemas.check(&doc, is_metric, &mut diags);
    if diags.has_errors() {
        return err(format!(
            "the definition would not pass `metricdict check`; nothing was written:\n{}",
            diagnostics::to_human(&diags, false)
        ));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return err(format!(
                "refusing to overwrite {}: the file already exists",
                path.display()
            ))
        }
        Err(e) => return err(format!("cannot create {}: {e}", path.display())),
    };
    f.write_all(draft.text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error(format!("cannot write {}: {e}", path.display())))?;
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.clone())
        .collect();
    Ok(Created {
        path,
        text: draft.text,
        warnings,
        notes: draft.notes,
    })
}

/// A YAML document written line by line in GitLab's style (`- item` lists at column 0).
#[derive(Default)]
struct Yaml(String);

impl Yaml {
    fn line(&mut self, l: &str) {
        if self.0.is_empty() {
            self.0.push_str("---\n");
        }
        self.0.push_str(l);
        self.0.push('\n');
    }
    fn raw(&mut self, key: &str, value: &str) {
        self.line(&format!("{key}: {value}"));
    }
    fn field(&mut self, key: &str, value: &str) {
        self.raw(key, &scalar(value));
    }
    /// A list; nothing when empty.
    fn list(&mut self, key: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        self.line(&format!("{key}:"));
        for i in items {
            self.line(&format!("- {}", scalar(i)));
        }
    }
}

/// One string as a one-line YAML scalar: plain when that reads back as the same string,
/// quoted otherwise.
fn scalar(s: &str) -> String {
    let plain = serde_yaml::to_string(s).unwrap_or_default();
    let plain = plain.strip_suffix('\n').unwrap_or(&plain);
    if !plain.contains('\n') && serde_yaml::from_str::<String>(plain).ok().as_deref() == Some(s) {
        plain.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_round_trip() {
        for s in [
            "plain text",
            "yes",
            "18.6",
            "a: b",
            "# not a comment",
            "line\nbreak",
            "'quoted'",
            "ünïcode – dash",
            "- dash",
            "",
        ] {
            let y = format!("k: {}\n", scalar(s));
            let v: std::collections::BTreeMap<String, String> = serde_yaml::from_str(&y).unwrap();
            assert_eq!(v["k"], s, "{y}");
        }
    }

    #[test]
    fn key_path_convention() {
        let tf = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            conventional_key_path("x", Some("user.id"), &tf(&["28d", "7d"])),
            "redis_hll_counters.count_distinct_user_id_from_x"
        );
        assert_eq!(
            conventional_key_path("x", Some("project.id"), &tf(&["7d"])),
            "redis_hll_counters.count_distinct_project_id_from_x_weekly"
        );
        assert_eq!(
            conventional_key_path("x", None, &tf(&["all"])),
            "counts.count_total_x"
        );
        assert_eq!(
            conventional_key_path("x", None, &tf(&["28d"])),
            "counts.count_total_x_monthly"
        );
        assert_eq!(
            expand("a.b", &tf(&["28d", "7d"])),
            vec!["a.b", "a.b_monthly", "a.b_weekly"]
        );
    }

    #[test]
    fn names_and_values() {
        assert!(is_name("create_merge_request", ""));
        assert!(!is_name("Create", ""));
        assert!(!is_name("a-b", ""));
        assert!(is_key_path("counts.x_y"));
        assert!(!is_key_path("counts..x"));
        assert!(check_milestone("18.6").is_ok());
        assert!(check_milestone("<13.9").is_err());
        assert!(check_milestone("18").is_err());
        assert!(check_url("https://gitlab.com/x").is_ok());
        assert!(check_url("gitlab.com/x").is_err());
        assert_eq!(timestamp().len(), 14);
    }

    /// Answers in order; panics when asked more than scripted.
    struct Scripted(Vec<&'static str>);

    impl Prompter for Scripted {
        fn text(&mut self, _: &str, _: &str, d: Option<&str>, _: &Check) -> Result<String, Error> {
            let a = self.0.remove(0);
            Ok(if a.is_empty() {
                d.unwrap_or_default().to_string()
            } else {
                a.to_string()
            })
        }
        fn select(&mut self, _: &str, _: &str, o: &[String], _: usize) -> Result<usize, Error> {
            let a = self.0.remove(0);
            Ok(o.iter()
                .position(|x| x.starts_with(a))
                .expect("scripted option"))
        }
        fn multi_select(
            &mut self,
            _: &str,
            _: &str,
            o: &[String],
            _: &[usize],
            _: usize,
        ) -> Result<Vec<usize>, Error> {
            let a = self.0.remove(0);
            Ok(a.split(',')
                .map(|x| o.iter().position(|y| y == x).expect("scripted option"))
                .collect())
        }
        fn refuse(&mut self, why: &str) {
            panic!("refused: {why}");
        }
    }

    fn fixture_copy() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        for e in walkdir::WalkDir::new(&src) {
            let e = e.unwrap();
            let to = tmp.path().join(e.path().strip_prefix(&src).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
        tmp
    }

    #[test]
    fn scripted_prompts_fill_every_event_field() {
        let tmp = fixture_copy();
        let req = Request {
            definitions: Some(tmp.path().to_path_buf()),
            ..Request::default()
        };
        let mut p = Scripted(vec![
            "click_button",
            "A button was clicked",
            "user,project",
            "code_review",
            "code_review_workflow",
            "premium,ultimate",
            "label",
            "The button's name",
            "",
            "18.6",
            "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/9",
        ]);
        let c = create(Kind::Event, &req, Some(&mut p)).unwrap();
        assert!(p.0.is_empty());
        assert_eq!(
            c.text,
            "---\ndescription: A button was clicked\ninternal_events: true\naction: click_button\n\
             identifiers:\n- user\n- project\nadditional_properties:\n  label:\n    \
             description: The button's name\nproduct_group: code_review\nproduct_categories:\n\
             - code_review_workflow\nmilestone: '18.6'\nintroduced_by_url: \
             https://gitlab.com/gitlab-org/gitlab/-/merge_requests/9\ntiers:\n- premium\n\
             - ultimate\n"
        );
        assert!(c.path.ends_with("config/events/click_button.yml"));
    }

    #[test]
    fn metric_from_event_needs_only_milestone_and_url() {
        let tmp = fixture_copy();
        let req = Request {
            definitions: Some(tmp.path().to_path_buf()),
            from_event: Some("request_duo_chat_response".into()),
            unique: Some("user.id".into()),
            time_frame: Some(vec!["28d".into(), "7d".into()]),
            milestone: Some("18.6".into()),
            introduced_by_url: Some(
                "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/9".into(),
            ),
            data_category: "optional".into(),
            data_source: "internal_events".into(),
            ..Request::default()
        };
        let c = create(Kind::Metric, &req, None).unwrap();
        let v: serde_json::Value = serde_yaml::from_str(&c.text).unwrap();
        assert_eq!(
            v["key_path"],
            "redis_hll_counters.count_distinct_user_id_from_request_duo_chat_response"
        );
        assert_eq!(v["product_group"], "duo_chat");
        assert_eq!(v["tiers"], serde_json::json!(["premium", "ultimate"]));
        assert_eq!(v["time_frame"], serde_json::json!(["28d", "7d"]));
        assert_eq!(
            v["events"],
            serde_json::json!([{"name": "request_duo_chat_response", "unique": "user.id"}])
        );
        let name = c.path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(c
            .path
            .parent()
            .unwrap()
            .ends_with("config/metrics/counts_28d"));
        assert!(name.ends_with("_count_distinct_user_id_from_request_duo_chat_response.yml"));
        assert_eq!(name.find('_'), Some(14));
    }

    #[test]
    fn unique_needs_the_identifier_and_a_fixed_time_frame() {
        let tmp = fixture_copy();
        let base = Request {
            definitions: Some(tmp.path().to_path_buf()),
            from_event: Some("request_duo_chat_response".into()),
            milestone: Some("18.6".into()),
            introduced_by_url: Some("https://x.test/1".into()),
            data_category: "optional".into(),
            data_source: "internal_events".into(),
            ..Request::default()
        };
        let r = Request {
            unique: Some("project.id".into()),
            time_frame: Some(vec!["7d".into()]),
            ..base.clone()
        };
        let e = create(Kind::Metric, &r, None).unwrap_err();
        assert!(e.0.contains("no `project` identifier"), "{e}");
        let r = Request {
            unique: Some("user.id".into()),
            time_frame: Some(vec!["all".into()]),
            ..base
        };
        let e = create(Kind::Metric, &r, None).unwrap_err();
        assert!(e.0.contains("--time-frame all"), "{e}");
    }
}
