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
//!
//! [`prompt`] asks (on a terminal, or scripted in tests), [`ask`] takes each answer from a flag
//! or a prompt, [`flows`] holds the questions for an event and a metric, [`writer`] checks and
//! writes the YAML.

mod ask;
mod dictionary;
mod flows;
pub mod prompt;
mod writer;

pub use flows::{conventional_description, conventional_key_path};
pub use prompt::{Check, Prompter, Terminal};

use ask::Ask;
use dictionary::Dictionary;
use std::fmt;
use std::path::PathBuf;

/// What `metricdict new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewDefinition {
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
    #[arg(long, allow_hyphen_values = true)]
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

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
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

/// Run `metricdict new`: prompt when `interactive` (and not `--no-input`), write, report.
/// Returns the exit code: 0 written, 2 nothing written.
pub fn run(kind: NewDefinition, req: &Request, interactive: bool) -> u8 {
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
            eprintln!("error: {}", crate::text::terminal_safe(&e.to_string()));
            2
        }
    }
}

/// Ask for (or take from flags) every field, check the result, write it. Prompts only when
/// `prompter` is given.
pub fn create(
    kind: NewDefinition,
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
        NewDefinition::Event => flows::event(req, &dict, &mut ask)?,
        NewDefinition::Metric => flows::metric(req, &dict, &mut ask)?,
    };
    writer::write(&dict, draft)
}

#[cfg(test)]
mod tests {
    use super::ask::{check_milestone, check_url, is_key_path, is_name};
    use super::flows::expand;
    use super::writer::scalar;
    use super::*;
    use std::path::Path;

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
            let v: std::collections::BTreeMap<String, String> =
                crate::load::parse::read_typed(&y).unwrap();
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
        assert_eq!(crate::build::clock::digits().len(), 14);
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
        let c = create(NewDefinition::Event, &req, Some(&mut p)).unwrap();
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
        let c = create(NewDefinition::Metric, &req, None).unwrap();
        let v: serde_json::Value = crate::load::parse::read_typed(&c.text).unwrap();
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
        let e = create(NewDefinition::Metric, &r, None).unwrap_err();
        assert!(e.0.contains("no `project` identifier"), "{e}");
        let r = Request {
            unique: Some("user.id".into()),
            time_frame: Some(vec!["all".into()]),
            ..base
        };
        let e = create(NewDefinition::Metric, &r, None).unwrap_err();
        assert!(e.0.contains("--time-frame all"), "{e}");
    }
}
