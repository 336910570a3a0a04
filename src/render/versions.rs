//! `/versions/`: per GitLab version, what was added and removed (linking to those rows) and
//! what an instance on that version reports, by data category.

use super::{job, Job, Renderer};
use crate::model::catalog::{param, Catalog};
use crate::model::layout;
use crate::model::order::DATA_CATEGORIES;
use crate::model::version::{self, Lifetime, Milestone, Reported, Version};
use serde_json::{json, Value};

/// A table URL with its query, values percent-encoded (`<13.9` → `%3C13.9`).
fn table_url(table: &str, query: &[(&str, String)]) -> String {
    let enc = |v: &str| -> String {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2E", ".")
    };
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    format!("{table}?{}", q.join("&"))
}

/// A count and the table rows it counts (none when zero: a link to an empty table says less
/// than the zero).
fn count(n: usize, url: String) -> Value {
    json!({"count": n, "url": (n > 0).then_some(url)})
}

/// Data categories in the policy's order, then any other the metrics use.
fn categories(catalog: &Catalog) -> Vec<String> {
    categories_of_metrics(catalog).0
}

/// [`categories`], and each metric's position in them.
fn categories_of_metrics(catalog: &Catalog) -> (Vec<String>, Vec<usize>) {
    let mut names: Vec<String> = DATA_CATEGORIES.iter().map(|s| s.to_string()).collect();
    let of_metric = catalog
        .metrics
        .iter()
        .map(|m| match names.iter().position(|n| *n == m.data_category) {
            Some(i) => i,
            None => {
                names.push(m.data_category.clone());
                names.len() - 1
            }
        })
        .collect();
    (names, of_metric)
}

/// What one version reports: per data category and for events, the definitions it surely
/// sends and those it may send, each linking the version's filtered table.
fn reported(
    v: Version,
    metrics: &[(Lifetime, usize)],
    events: &[Lifetime],
    cats: &[String],
) -> Value {
    let add = |(yes, maybe): &mut (usize, usize), l: &Lifetime| match l.reported_by(v) {
        Reported::Yes => *yes += 1,
        Reported::Maybe => *maybe += 1,
        Reported::No => {}
    };
    // One pass over the metrics for every category (a row per version: at 100k definitions
    // a pass per category was most of this page).
    let mut per_category = vec![(0, 0); cats.len()];
    let mut all = (0, 0);
    for (l, c) in metrics {
        add(&mut per_category[*c], l);
        add(&mut all, l);
    }
    let mut in_events = (0, 0);
    for l in events {
        add(&mut in_events, l);
    }
    let ver = (layout::VERSION_PARAM, v.to_string());
    let cell = |(yes, maybe): (usize, usize), url: String| json!({"count": yes, "maybe": maybe, "url": (yes + maybe > 0).then_some(url)});
    let by_category: Vec<Value> = cats
        .iter()
        .zip(per_category)
        .map(|(c, t)| {
            let url = table_url(layout::HOME, &[ver.clone(), (param::CATEGORY, c.clone())]);
            cell(t, url)
        })
        .collect();
    json!({
        "by_category": by_category,
        "metrics": cell(all, table_url(layout::HOME, std::slice::from_ref(&ver))),
        "events": cell(in_events, table_url(layout::EVENTS, &[ver])),
    })
}

/// A row of the page: one milestone (a version, or `before X.Y`).
fn row(
    ms: Milestone,
    previous: Option<Version>,
    metrics: &[(Lifetime, usize)],
    events: &[Lifetime],
    cats: &[String],
) -> Value {
    let value = ms.to_string();
    let added = |n: usize, table: &str| {
        let q = [(param::MILESTONE, value.clone()), ("removed", "1".into())];
        count(n, table_url(table, &q))
    };
    let removed = |n: usize, table: &str| {
        let q = [
            (param::MILESTONE_REMOVED, value.clone()),
            ("removed", "1".into()),
        ];
        count(n, table_url(table, &q))
    };
    let n = |ls: &mut dyn Iterator<Item = &Lifetime>, f: &dyn Fn(&Lifetime) -> bool| {
        ls.filter(|l| f(l)).count()
    };
    let is_added = |l: &Lifetime| l.added == Some(ms);
    let is_removed = |l: &Lifetime| l.removed_in == Some(ms);
    let (version, compare) = match ms {
        Milestone::At(v) => {
            let since = |table: &str| {
                previous.map(|p| {
                    let q = [
                        (layout::VERSION_PARAM, v.to_string()),
                        (layout::SINCE_PARAM, p.to_string()),
                    ];
                    table_url(table, &q)
                })
            };
            let compare = json!({"since": previous.map(|p| p.to_string()),
                "metrics_url": since(layout::HOME), "events_url": since(layout::EVENTS)});
            (Some(v), compare)
        }
        Milestone::Before(_) => (None, Value::Null),
    };
    json!({
        "value": value,
        "label": ms.label(),
        "is_version": version.is_some(),
        "metrics_added": added(n(&mut metrics.iter().map(|(l, _)| l), &is_added), layout::HOME),
        "metrics_removed": removed(n(&mut metrics.iter().map(|(l, _)| l), &is_removed), layout::HOME),
        "events_added": added(n(&mut events.iter(), &is_added), layout::EVENTS),
        "events_removed": removed(n(&mut events.iter(), &is_removed), layout::EVENTS),
        "compare": compare,
        "reported": version.map(|v| reported(v, metrics, events, cats)),
    })
}

/// Every row of `/versions/`, newest first: each version the dictionary knows, and each
/// `before X.Y` milestone just below X.Y.
pub(super) fn version_rows(catalog: &Catalog) -> Vec<Value> {
    let (cats, of_metric) = categories_of_metrics(catalog);
    let metrics: Vec<(Lifetime, usize)> = catalog
        .metrics
        .iter()
        .zip(of_metric)
        .map(|(m, c)| {
            let l = Lifetime::of(
                m.milestone.as_deref(),
                m.milestone_removed.as_deref(),
                m.removed,
            );
            (l, c)
        })
        .collect();
    let events: Vec<Lifetime> = catalog
        .events
        .iter()
        .map(|e| {
            Lifetime::of(
                e.milestone.as_deref(),
                e.milestone_removed.as_deref(),
                e.removed,
            )
        })
        .collect();
    let versions = version::versions(catalog);
    let mut rows: Vec<Milestone> = versions.iter().map(|&v| Milestone::At(v)).collect();
    rows.extend(
        version::milestones(catalog)
            .into_iter()
            .filter(|m| matches!(m, Milestone::Before(_))),
    );
    rows.sort_by(|a, b| b.cmp(a));
    rows.iter()
        .map(|&ms| {
            let previous = versions.iter().copied().find(|&p| p < ms.version());
            row(ms, previous, &metrics, &events, &cats)
        })
        .collect()
}

impl Renderer {
    /// `/versions/`.
    pub(super) fn versions_page(&self, catalog: &Catalog) -> Job {
        let mut ctx = self.context("versions", "What each GitLab version sends");
        ctx.insert("versions", &version_rows(catalog));
        ctx.insert("categories", &categories(catalog));
        job("versions.html", ctx, layout::page_file(layout::VERSIONS))
    }
}
