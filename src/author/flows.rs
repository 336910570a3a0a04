//! The questions for a new event and a new metric, and GitLab's conventions for what a
//! metric counting an event is called.

use super::ask::{check, check_description, is_key_path, is_name, missing, Ask, Question};
use super::dictionary::Dictionary;
use super::writer::{scalar, Draft, Yaml};
use super::{err, Error, Request};
use crate::build::clock;
use crate::model::definition::{Event, KNOWN_IDENTIFIERS};
use crate::model::order::{DATA_CATEGORIES, TIERS};

const TIME_FRAMES: [&str; 3] = ["28d", "7d", "all"];
const UNIQUE: [&str; 6] = [
    "user.id",
    "project.id",
    "namespace.id",
    "label",
    "property",
    "value",
];

/// Tiers in GitLab's order.
fn ordered_tiers(t: Vec<String>) -> Vec<String> {
    TIERS
        .iter()
        .filter(|x| t.iter().any(|y| y == *x))
        .map(|s| s.to_string())
        .collect()
}

fn ee_prefix(dict: &Dictionary, tiers: &[String]) -> &'static str {
    if dict.has_ee && !tiers.iter().any(|t| t == "free") {
        "ee/"
    } else {
        ""
    }
}

pub(super) fn event(req: &Request, dict: &Dictionary, ask: &mut Ask) -> Result<Draft, Error> {
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
        )
        .verbatim(),
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

/// What a new metric counts: the events' actions, unique attribute and time frames.
struct Counts<'d> {
    events: Vec<String>,
    /// The events' definitions, in the order of `events`.
    defs: Vec<&'d Event>,
    unique: Option<String>,
    time_frames: Vec<String>,
}

/// Who a new metric belongs to and where it is available.
struct Owner {
    group: String,
    categories: Vec<String>,
    tiers: Vec<String>,
}

pub(super) fn metric(req: &Request, dict: &Dictionary, ask: &mut Ask) -> Result<Draft, Error> {
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
    let counts = metric_counts(req, dict, ask)?;
    let (key_path, description) = metric_names(req, dict, ask, &counts)?;
    let owner = metric_owner(req, dict, ask, counts.defs[0])?;
    let (milestone, url) = ask.milestone_and_url(req)?;

    let mut y = Yaml::default();
    y.field("key_path", &key_path);
    y.field("description", &description);
    y.field("product_group", &owner.group);
    y.list("product_categories", &owner.categories);
    y.raw("performance_indicator_type", "[]");
    y.raw("value_type", "number");
    y.raw("status", "active");
    y.raw("milestone", &format!("'{milestone}'"));
    y.field("introduced_by_url", &url);
    match counts.time_frames.as_slice() {
        [one] => y.raw("time_frame", one),
        many => y.list("time_frame", many),
    }
    y.raw("data_source", &req.data_source);
    y.raw("data_category", &req.data_category);
    y.list("tiers", &owner.tiers);
    y.line("events:");
    for e in &counts.events {
        y.line(&format!("- name: {}", scalar(e)));
        if let Some(u) = &counts.unique {
            y.line(&format!("  unique: {u}"));
        }
    }
    let name = key_path.rsplit('.').next().unwrap_or(&key_path);
    let mut notes = Vec::new();
    if owner.categories.is_empty() {
        notes.push(
            "GitLab's product_categories.json schema requires product_categories for new \
             active metrics (--product-categories)"
                .to_string(),
        );
    }
    Ok(Draft {
        rel: format!(
            "{}config/metrics/counts_{}/{}_{name}.yml",
            ee_prefix(dict, &owner.tiers),
            counts.time_frames[0],
            clock::digits()
        ),
        text: y.0,
        notes,
    })
}

/// The events a metric counts (they must be defined), what it counts uniquely, and over
/// which time frames.
fn metric_counts<'d>(
    req: &Request,
    dict: &'d Dictionary,
    ask: &mut Ask,
) -> Result<Counts<'d>, Error> {
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
    Ok(Counts {
        events,
        defs,
        unique,
        time_frames,
    })
}

/// Key path and description: GitLab's convention for a metric counting one event (taken as
/// is with --from-event, suggested otherwise).
fn metric_names(
    req: &Request,
    dict: &Dictionary,
    ask: &mut Ask,
    counts: &Counts,
) -> Result<(String, String), Error> {
    let single = (counts.events.len() == 1).then(|| counts.events[0].as_str());
    let unique = counts.unique.as_deref();
    let generated_key = single.map(|a| conventional_key_path(a, unique, &counts.time_frames));
    let generated_desc = single.map(|a| conventional_description(a, unique));
    let from_event = req.from_event.is_some();
    let existing = dict.key_paths.clone();
    let tf_for_check = counts.time_frames.clone();
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
    let desc_question = Question::new("Description:", "").verbatim();
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
    Ok((key_path, description))
}

/// Group, product categories and tiers. With --from-event the event's are taken; otherwise a
/// terminal offers them and flags must give them.
fn metric_owner(
    req: &Request,
    dict: &Dictionary,
    ask: &mut Ask,
    first: &Event,
) -> Result<Owner, Error> {
    let from_event = req.from_event.is_some();
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
    Ok(Owner {
        group,
        categories,
        tiers,
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
pub(super) fn expand(key_path: &str, time_frames: &[String]) -> Vec<String> {
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
