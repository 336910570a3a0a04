//! The dictionary as the site sees it: metrics and events with safe page names, the facets
//! they are grouped by, and the relations between them (metric ⇄ event).

use super::definition::{Definition, Event, Metric, MetricEvent};
use super::order::today_tiers;
use super::version::editions;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything the renderers, search and exports read. Built once per build, never mutated.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Sorted by key path.
    pub metrics: Vec<Arc<Metric>>,
    /// Sorted by id (action, or category/action for legacy events).
    pub events: Vec<Arc<Event>>,
    /// Page name of each metric (same index as `metrics`).
    pub metric_slugs: Vec<String>,
    pub event_slugs: Vec<String>,
    /// For each metric, its `events:` entries and the matching event indices.
    pub metric_events: Vec<Vec<(MetricEvent, Vec<usize>)>>,
    /// For each event, the metrics that count it.
    pub event_metrics: Vec<Vec<usize>>,
    pub facets: Vec<Facet>,
    /// The privacy register (identifiers, data collected without a definition).
    pub register: super::register::Register,
}

/// The two kinds of definition, where code must tell them apart without holding one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefinitionKind {
    Metric,
    Event,
}

impl DefinitionKind {
    /// `metric` or `event`, as pages and downloads spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Metric => "metric",
            DefinitionKind::Event => "event",
        }
    }
}

/// A dimension definitions are grouped and filtered by (data category, tier, group, …).
#[derive(Debug, Clone)]
pub struct Facet {
    /// URL query parameter (`category`, `tier`, …).
    pub param: &'static str,
    pub label: &'static str,
    /// Which tables the parameter filters.
    pub kinds: &'static [DefinitionKind],
    /// Browse pages at `/<path>/<value>/`, when the facet has them.
    pub path: Option<&'static str>,
    pub values: BTreeMap<String, FacetValue>,
}

/// The definitions carrying one value of a facet.
#[derive(Debug, Clone, Default)]
pub struct FacetValue {
    pub metrics: Vec<usize>,
    pub events: Vec<usize>,
    /// Safe page name for browse pages.
    pub slug: String,
}

impl Catalog {
    pub fn facet(&self, param: &str) -> Option<&Facet> {
        self.facets.iter().find(|f| f.param == param)
    }

    /// Facets that filter the given table.
    pub fn facets_for(&self, kind: DefinitionKind) -> impl Iterator<Item = &Facet> {
        self.facets.iter().filter(move |f| f.kinds.contains(&kind))
    }
}

/// Values of a metric for a metrics-table facet.
pub fn metric_facet_values<'a>(m: &'a Metric, param: &str) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow::Borrowed;
    let all = |v: &'a [String]| v.iter().map(|s| Borrowed(s.as_str())).collect();
    let one = |v: &'a Option<String>| v.iter().map(|s| Borrowed(s.as_str())).collect();
    match param {
        param::CATEGORY => vec![Borrowed(m.data_category.as_str())],
        param::TIER => today_tiers(&m.tiers).into_iter().map(Borrowed).collect(),
        param::STATUS => vec![Borrowed(m.status.as_str())],
        param::GROUP => one(&m.group),
        param::DATA_SOURCE => one(&m.data_source),
        param::TIME_FRAME => all(&m.time_frames),
        param::MILESTONE => one(&m.milestone),
        param::MILESTONE_REMOVED => one(&m.milestone_removed),
        param::EDITION => editions(&m.distributions, &m.source.rel)
            .into_iter()
            .map(|e| Borrowed(e.as_str()))
            .collect(),
        param::PI => all(&m.performance_indicators),
        _ => Vec::new(),
    }
}

/// Values of an event for an events-table facet.
pub fn event_facet_values<'a>(e: &'a Event, param: &str) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow::{Borrowed, Owned};
    let all = |v: &'a [String]| v.iter().map(|s| Borrowed(s.as_str())).collect();
    let one = |v: &'a Option<String>| v.iter().map(|s| Borrowed(s.as_str())).collect();
    match param {
        // On the events table `category` is the Snowplow category.
        param::CATEGORY | param::EVENT_CATEGORY => {
            let c = e.display_category();
            if c.is_empty() {
                Vec::new()
            } else {
                vec![Owned(c)]
            }
        }
        param::SERVICE => vec![Borrowed(e.service_name.as_str())],
        param::IDENTIFIER => all(&e.identifiers),
        param::CLASSIFICATION => one(&e.classification),
        param::TIER => today_tiers(&e.tiers).into_iter().map(Borrowed).collect(),
        param::GROUP => one(&e.group),
        param::STATUS => vec![Borrowed(e.status.as_str())],
        param::MILESTONE => one(&e.milestone),
        param::MILESTONE_REMOVED => one(&e.milestone_removed),
        param::EDITION => editions(&e.distributions, &e.source.rel)
            .into_iter()
            .map(|e| Borrowed(e.as_str()))
            .collect(),
        param::DATA_CLASS => {
            let mut v: Vec<_> = all(&e.identifiers);
            v.extend(e.classification.iter().map(|s| Borrowed(s.as_str())));
            v
        }
        _ => Vec::new(),
    }
}

/// The facets' URL query parameters, which are also their names in code.
pub mod param {
    pub const CATEGORY: &str = "category";
    pub const TIER: &str = "tier";
    pub const STATUS: &str = "status";
    pub const GROUP: &str = "group";
    pub const DATA_SOURCE: &str = "data_source";
    pub const TIME_FRAME: &str = "time_frame";
    pub const MILESTONE: &str = "milestone";
    /// `milestone_removed`: with `milestone`, what a GitLab version reports (`model::version`).
    pub const MILESTONE_REMOVED: &str = "milestone_removed";
    /// `ce`, `ee`: the editions that ship a definition (`model::version::editions`).
    pub const EDITION: &str = "edition";
    pub const PI: &str = "pi";
    /// Identifiers and classification together: the browse pages of `/data-classes/`.
    pub const DATA_CLASS: &str = "data_class";
    /// Snowplow category; `category` in the events table's URL.
    pub const EVENT_CATEGORY: &str = "event_category";
    pub const SERVICE: &str = "serviceName";
    pub const IDENTIFIER: &str = "identifier";
    pub const CLASSIFICATION: &str = "classification";
}

const METRIC: &[DefinitionKind] = &[DefinitionKind::Metric];
const EVENT: &[DefinitionKind] = &[DefinitionKind::Event];
const BOTH: &[DefinitionKind] = &[DefinitionKind::Metric, DefinitionKind::Event];

/// The facets, in display order. `category` means data category on metrics and Snowplow
/// category on events, as on metrics.gitlab.com; they are separate facets here.
fn empty_facets() -> Vec<Facet> {
    let f = |param, label, kinds, path| Facet {
        param,
        label,
        kinds,
        path,
        values: BTreeMap::new(),
    };
    vec![
        f(param::CATEGORY, "Data category", METRIC, Some("categories")),
        f(param::TIER, "Tier", BOTH, Some("tiers")),
        f(param::STATUS, "Status", BOTH, Some("statuses")),
        f(param::GROUP, "Group", BOTH, Some("groups")),
        f(param::DATA_SOURCE, "Data source", METRIC, None),
        f(param::TIME_FRAME, "Time frame", METRIC, None),
        f(param::MILESTONE, "Milestone", BOTH, None),
        f(param::MILESTONE_REMOVED, "Removed in", BOTH, None),
        f(param::EDITION, "Edition", BOTH, None),
        f(param::PI, "Performance indicator", METRIC, None),
        f(param::DATA_CLASS, "Data class", EVENT, Some("data-classes")),
        f(param::EVENT_CATEGORY, "Category", EVENT, None),
        f(param::SERVICE, "Service", EVENT, None),
        f(param::IDENTIFIER, "Identifier", EVENT, None),
        f(param::CLASSIFICATION, "Classification", EVENT, None),
    ]
}

/// Build the catalog. Duplicates were reported by the validator; here the first one wins so
/// no two definitions share a page.
pub fn build(definitions: Vec<Definition>) -> Catalog {
    build_with(definitions, &mut SlugMemo::default())
}

/// The page names of the last catalog built with it: a rebuild whose identifiers did not change
/// (an edit that is not a rename) reuses them instead of deriving every name again.
#[derive(Debug, Default)]
pub struct SlugMemo {
    metrics: (Vec<String>, Vec<String>),
    events: (Vec<String>, Vec<String>),
}

fn memo_slugs(memo: &mut (Vec<String>, Vec<String>), ids: Vec<String>) -> Vec<String> {
    if memo.0 != ids {
        memo.1 = unique_slugs(ids.clone());
        memo.0 = ids;
    }
    memo.1.clone()
}

/// [`build`], reusing page names from `memo` where the identifiers are unchanged.
pub fn build_with(definitions: Vec<Definition>, memo: &mut SlugMemo) -> Catalog {
    let mut metrics = Vec::new();
    let mut events = Vec::new();
    for d in definitions {
        match d {
            Definition::Metric(m) => metrics.push(m),
            Definition::Event(e) => events.push(e),
        }
    }
    rayon::join(
        || {
            metrics.sort_by(|a, b| {
                a.key_path
                    .cmp(&b.key_path)
                    .then(a.source.rel.cmp(&b.source.rel))
            });
            metrics.dedup_by(|b, a| a.key_path == b.key_path);
        },
        || {
            events.sort_by_cached_key(|e| (e.id(), e.source.rel.clone()));
            events.dedup_by(|b, a| a.id() == b.id());
        },
    );

    let metric_slugs = memo_slugs(
        &mut memo.metrics,
        metrics.iter().map(|m| m.key_path.clone()).collect(),
    );
    let event_slugs = memo_slugs(&mut memo.events, events.iter().map(|e| e.id()).collect());

    let (metric_events, event_metrics) = relations(&metrics, &events);
    let mut facets = empty_facets();
    // Each facet is a pass over every definition: the bulk of a dev-server rebuild's catalog.
    facets
        .par_iter_mut()
        .for_each(|facet| group(facet, &metrics, &events));
    Catalog {
        metrics,
        events,
        metric_slugs,
        event_slugs,
        metric_events,
        event_metrics,
        facets,
        register: Default::default(),
    }
}

/// Each metric's `events:` entries with the events they name, and each event's metrics.
/// Metrics count internal events by action; internal ones are preferred when legacy events
/// share the action.
#[allow(clippy::type_complexity)]
fn relations(
    metrics: &[Arc<Metric>],
    events: &[Arc<Event>],
) -> (Vec<Vec<(MetricEvent, Vec<usize>)>>, Vec<Vec<usize>>) {
    let mut by_action: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
    for (i, e) in events.iter().enumerate() {
        by_action.entry(e.action.as_str()).or_default().push(i);
    }
    let mut event_metrics = vec![Vec::new(); events.len()];
    let metric_events = metrics
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            m.events
                .iter()
                .map(|me| {
                    let all = by_action.get(me.name.as_str()).cloned().unwrap_or_default();
                    let internal: Vec<usize> = all
                        .iter()
                        .copied()
                        .filter(|&i| events[i].internal)
                        .collect();
                    let hits = if internal.is_empty() { all } else { internal };
                    for &ei in &hits {
                        if !event_metrics[ei].contains(&mi) {
                            event_metrics[ei].push(mi);
                        }
                    }
                    (me.clone(), hits)
                })
                .collect()
        })
        .collect();
    (metric_events, event_metrics)
}

/// Fill a facet with the definitions carrying each of its values. Grouped in a hash map (one
/// lookup per value, no allocation for values seen before), then sorted once into the facet's
/// ordered map.
fn group(facet: &mut Facet, metrics: &[Arc<Metric>], events: &[Arc<Event>]) {
    let mut values: rustc_hash::FxHashMap<std::borrow::Cow<str>, FacetValue> = Default::default();
    if facet.kinds.contains(&DefinitionKind::Metric) {
        for (i, m) in metrics.iter().enumerate() {
            for v in metric_facet_values(m, facet.param) {
                values.entry(v).or_default().metrics.push(i);
            }
        }
    }
    if facet.kinds.contains(&DefinitionKind::Event) {
        for (i, e) in events.iter().enumerate() {
            for v in event_facet_values(e, facet.param) {
                values.entry(v).or_default().events.push(i);
            }
        }
    }
    facet.values = values
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v))
        .collect();
    let keys: Vec<String> = facet.values.keys().cloned().collect();
    for (k, slug) in keys.iter().zip(unique_slugs(keys.clone())) {
        facet.values.get_mut(k).expect("key exists").slug = slug;
    }
}

/// Longest page name kept before truncating (file systems allow 255 bytes per component).
const MAX_SLUG: usize = 120;

/// Turn untrusted identifiers into safe, unique directory names.
///
/// Keeps `[A-Za-z0-9._-]`, replaces anything else with `-`, never starts with `.` (so never `.`
/// or `..`), and stays under [`MAX_SLUG`]. A name that had to change, or that would collide with
/// another when case is ignored (case-insensitive file systems), gets a hash of the original
/// appended, so distinct identifiers always get distinct pages and the result does not depend on
/// the order of the input.
pub fn unique_slugs(ids: Vec<String>) -> Vec<String> {
    // Slugs are ASCII, so ASCII lower case is their case-folded form; computed once each.
    let mut slugs: Vec<(String, bool, String)> = ids
        .iter()
        .map(|id| {
            let (s, changed) = base_slug(id);
            let lower = s.to_ascii_lowercase();
            (s, changed, lower)
        })
        .collect();
    let mut counts: rustc_hash::FxHashMap<&str, usize> = Default::default();
    for (_, _, lower) in &slugs {
        *counts.entry(lower.as_str()).or_default() += 1;
    }
    let clash: Vec<bool> = slugs
        .iter()
        .map(|(_, _, l)| counts[l.as_str()] > 1)
        .collect();
    drop(counts);
    for (i, (s, changed, lower)) in slugs.iter_mut().enumerate() {
        if *changed || clash[i] {
            let suffix = format!("-{}", short_hash(&ids[i]));
            s.push_str(&suffix);
            lower.push_str(&suffix);
        }
    }
    // Identical ids (already reported as duplicates) still must not share a page.
    let mut seen: rustc_hash::FxHashMap<String, usize> = Default::default();
    slugs
        .into_iter()
        .map(|(s, _, lower)| {
            let n = seen.entry(lower).or_default();
            *n += 1;
            if *n == 1 {
                s
            } else {
                format!("{s}-{n}")
            }
        })
        .collect()
}

fn base_slug(id: &str) -> (String, bool) {
    let mut s = String::with_capacity(id.len());
    for ch in id.chars() {
        if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-') {
            s.push(ch);
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let trimmed = s
        .trim_start_matches(['.', '-'])
        .trim_end_matches(['.', '-']);
    let mut out: String = trimmed.chars().take(MAX_SLUG).collect();
    if out.is_empty() {
        out.push('_');
    }
    let changed = out != id;
    (out, changed)
}

/// 10 hex digits of FNV-1a: stable across runs and platforms.
pub fn short_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:010x}", h & 0xff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_safe_unique_slugs() {
        let ids: Vec<String> = [
            "../../x",
            "/etc/x",
            "a/../../b",
            "..",
            ".",
            "Foo",
            "foo",
            "counts.a",
            "x".repeat(400).as_str(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let slugs = unique_slugs(ids);
        for s in &slugs {
            assert!(!s.contains('/') && !s.contains('\\'), "{s}");
            assert!(!s.starts_with('.'), "{s}");
            assert!(s.len() <= MAX_SLUG + 11, "{s}");
        }
        let mut lower: Vec<String> = slugs.iter().map(|s| s.to_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), slugs.len(), "{slugs:?}");
        assert_eq!(slugs[7], "counts.a", "plain key paths stay readable");
    }

    #[test]
    fn slugs_do_not_depend_on_order() {
        let a = unique_slugs(vec!["Foo".into(), "foo".into()]);
        let b = unique_slugs(vec!["foo".into(), "Foo".into()]);
        assert_eq!(a[0], b[1]);
        assert_eq!(a[1], b[0]);
    }
}
