//! `/privacy/` and `/changes/`: the pages legal review reads.

use super::charts::milestone_charts;
use super::pages::facet_url;
use super::{job, Job, Renderer, TemplateError};
use crate::model::catalog::{param, Catalog, DefinitionKind};
use crate::model::changes::Changes;
use crate::model::counts::{status_heading, ALL, NOT_REMOVED};
use crate::model::definition::Metric;
use crate::model::layout;
use crate::model::order::{
    legacy_successor, tier_label, tier_rank, today_tiers, DATA_CATEGORIES, LEGACY, LEGACY_TIERS,
};
use crate::model::site::Page;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Data categories in the policy's order, then any other the definitions use.
fn category_names(catalog: &Catalog) -> Vec<String> {
    let mut names: Vec<String> = DATA_CATEGORIES.iter().map(|s| s.to_string()).collect();
    if let Some(f) = catalog.facet(param::CATEGORY) {
        let others = f
            .values
            .keys()
            .filter(|k| !DATA_CATEGORIES.contains(&k.as_str()));
        names.extend(others.cloned().collect::<Vec<_>>());
    }
    names
}

/// The values of a facet that some metric has.
fn metric_values(catalog: &Catalog, facet: &str) -> Vec<String> {
    catalog
        .facet(facet)
        .map(|f| {
            f.values
                .iter()
                .filter(|(_, v)| !v.metrics.is_empty())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// One data category's row: its metrics by tier and by status, and its register notes.
fn category_row(catalog: &Catalog, name: &str, tiers: &[String], statuses: &[String]) -> Value {
    let members: Vec<&Metric> = catalog
        .metrics
        .iter()
        .filter(|m| m.data_category == name)
        .map(|m| &**m)
        .collect();
    let active: Vec<&&Metric> = members.iter().filter(|m| !m.removed).collect();
    let by_tier: Vec<Value> = tiers
        .iter()
        .map(|t| {
            let count = active
                .iter()
                .filter(|m| today_tiers(&m.tiers).contains(&t.as_str()))
                .count();
            json!({"tier": t, "count": count,
            "url": format!("?category={name}&tier={t}")})
        })
        .collect();
    let by_status: Vec<Value> = statuses
        .iter()
        .map(|s| {
            json!({"status": s, "heading": status_heading(s),
            "count": members.iter().filter(|m| &m.status == s).count(),
            "url": format!("?category={name}&status={s}")})
        })
        .collect();
    let info = catalog.register.categories.iter().find(|c| c.name == name);
    json!({
        "name": name,
        "total": members.len(),
        "not_removed": active.len(),
        "url": facet_url(catalog, param::CATEGORY, name),
        "filter_url": format!("?category={name}"),
        "by_tier": by_tier,
        "by_status": by_status,
        "description": info.map(|c| c.description.clone()),
        "opt_out": info.map(|c| c.opt_out.clone()).unwrap_or_default(),
    })
}

/// The retired tier names active metrics declare, each with how it is counted and how many
/// active metrics declare it.
fn legacy_tier_notes(catalog: &Catalog) -> Vec<Value> {
    LEGACY_TIERS
        .iter()
        .filter_map(|(name, successor)| {
            let count = catalog
                .metrics
                .iter()
                .filter(|m| !m.removed && m.tiers.iter().any(|t| t == name))
                .count();
            (count > 0).then(|| {
                json!({"name": name, "label": tier_label(name), "successor": successor,
                    "count": count})
            })
        })
        .collect()
}

/// Events that are not removed, by the values of a facet, linking the filtered events table.
fn count_events(catalog: &Catalog, facet: &str) -> Vec<Value> {
    let url_param = if facet == param::CLASSIFICATION {
        param::CATEGORY
    } else {
        facet
    };
    catalog
        .facet(facet)
        .map(|f| {
            f.values
                .iter()
                .map(|(v, fv)| {
                    let count = fv
                        .events
                        .iter()
                        .filter(|&&i| !catalog.events[i].removed)
                        .count();
                    json!({"name": v, "count": count,
                        "url": format!("{}?{url_param}={v}", layout::EVENTS)})
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Renderer {
    /// `/privacy/`: what is collected, by data category × tier × status, events by identifier
    /// and classification, and each category's opt-out rules from the register.
    pub(super) fn privacy_page(&self, catalog: &Catalog) -> Job {
        // Today's tiers, in price order: legacy names count as their successor or as none.
        let mut tiers = metric_values(catalog, param::TIER);
        tiers.retain(|t| t != LEGACY && legacy_successor(t).is_none());
        tiers.sort_by_key(|t| (tier_rank(t), t.clone()));
        let statuses = metric_values(catalog, param::STATUS);
        let rows: Vec<Value> = category_names(catalog)
            .iter()
            .map(|name| category_row(catalog, name, &tiers, &statuses))
            .collect();
        let mut ctx = self.context("privacy", "Privacy review");
        ctx.insert("charts", &milestone_charts(catalog));
        ctx.insert(
            "has_category_notes",
            &!catalog.register.categories.is_empty(),
        );
        ctx.insert("categories", &rows);
        ctx.insert("tiers", &tiers);
        ctx.insert("legacy_tiers", &legacy_tier_notes(catalog));
        let status_headings: Vec<String> = statuses.iter().map(|s| status_heading(s)).collect();
        ctx.insert("statuses", &status_headings);
        ctx.insert(
            "count_names",
            &json!({"not_removed": NOT_REMOVED, "all": ALL}),
        );
        ctx.insert("by_identifier", &count_events(catalog, param::IDENTIFIER));
        ctx.insert(
            "by_classification",
            &count_events(catalog, param::CLASSIFICATION),
        );
        ctx.insert("collected_count", &catalog.register.collected.len());
        ctx.insert(
            "event_total",
            &catalog.events.iter().filter(|e| !e.removed).count(),
        );
        ctx.insert(
            "metric_total",
            &catalog.metrics.iter().filter(|m| !m.removed).count(),
        );
        job("privacy.html", ctx, layout::page_file(layout::PRIVACY))
    }

    /// `/changes/`: the comparison with a baseline, or how to ask for one.
    pub fn changes_page(&self, changes: Option<&Changes>) -> Result<Page, TemplateError> {
        let mut ctx = self.context("changes", "Changes since the baseline");
        if let Some(c) = changes {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for ch in &c.changes {
                *counts.entry(ch.change.as_str()).or_default() += 1;
            }
            let change_values: Vec<Value> = counts
                .iter()
                .map(|(k, n)| json!({"value": k, "label": k, "count": n}))
                .collect();
            let kind_values: Vec<Value> = [DefinitionKind::Metric, DefinitionKind::Event]
                .iter()
                .map(|k| {
                    let n = c.changes.iter().filter(|ch| ch.kind == *k).count();
                    json!({"value": k.as_str(), "label": k.as_str(), "count": n})
                })
                .collect();
            let facets = json!([
                {"param": "change", "label": "Change", "values": change_values},
                {"param": "kind", "label": "Kind", "values": kind_values},
            ]);
            ctx.insert("changes", c);
            ctx.insert("counts", &counts);
            ctx.insert("facets", &facets);
        }
        Ok(Page {
            content: self.render_str("changes.html", &ctx)?.into_bytes().into(),
            path: layout::page_file(layout::CHANGES),
        })
    }
}
