//! The contexts of definition and browse pages.

use super::badges::{badges_html, badges_value, facet_badge, tier_badge, Badge};
use super::fields::{fields, fields_html, fields_value, Field};
use super::rows::{object, RowKind, Rows, Table, ROWS_MARKER};
use super::sections;
use super::structured::{details_html, property_id};
use super::{job, Ctx, Job, Renderer};
use crate::model::catalog::{param, Catalog, DefinitionKind, Facet, FacetValue};
use crate::model::definition::payload_jq_path;
use crate::model::layout;
use crate::model::order::{legacy_successor, tier_label, LEGACY, LEGACY_TIERS};
use crate::model::order::{milestone_key, milestone_label};
use crate::text::{escape_html_into, markdown};
use serde_json::{json, Value};

impl Renderer {
    /// `item.events` of a metric's page: each event it names, linked to every page it has.
    fn metric_events(&self, catalog: &Catalog, i: usize) -> Vec<Value> {
        catalog.metric_events[i]
            .iter()
            .flat_map(|(me, hits)| {
                if hits.is_empty() {
                    vec![json!({"name": me.name, "unique": me.unique, "url": Value::Null})]
                } else {
                    hits.iter()
                        .map(|&ei| {
                            json!({"name": catalog.events[ei].id(), "unique": me.unique,
                            "url": layout::at_base(&self.site.base, &layout::event_url(&catalog.event_slugs[ei]))})
                        })
                        .collect()
                }
            })
            .collect()
    }

    /// The context of one metric's page.
    pub(super) fn metric_page(&self, catalog: &Catalog, i: usize) -> Ctx {
        let m = &catalog.metrics[i];
        let events = self.metric_events(catalog, i);
        let mut badges = vec![Badge::new(&m.status, None, "status")];
        badges.push(facet_badge(
            catalog,
            &self.site.base,
            param::CATEGORY,
            &m.data_category,
        ));
        for t in &m.tiers {
            badges.push(tier_badge(catalog, &self.site.base, t));
        }
        if let Some(g) = &m.group {
            badges.push(facet_badge(catalog, &self.site.base, param::GROUP, g));
        }
        // The first page of each event the metric names (legacy events may share an action).
        let event_url = |name: &str| {
            catalog.metric_events[i]
                .iter()
                .find(|(me, hits)| me.name == name && !hits.is_empty())
                .map(|(_, hits)| {
                    layout::at_base(
                        &self.site.base,
                        &layout::event_url(&catalog.event_slugs[hits[0]]),
                    )
                })
        };
        let fields = fields(
            catalog,
            &self.site.base,
            &m.fields,
            DefinitionKind::Metric,
            &event_url,
        );
        let key_paths = m.expanded_key_paths();
        let json_paths: Vec<Value> = key_paths
            .iter()
            .map(|k| {
                object([
                    ("key_path", k.as_str().into()),
                    ("jq", payload_jq_path(k).into()),
                ])
            })
            .collect();
        let queries = self.metric_queries(m);
        let item = object([
            ("title", m.key_path.as_str().into()),
            ("key_paths", key_paths.into()),
            ("keypaths_html", sections::keypaths_html(&json_paths).into()),
            ("json_paths", json_paths.into()),
            ("description_html", markdown(&m.description).into()),
            ("status", m.status.as_str().into()),
            ("removed", m.removed.into()),
            ("fields_html", fields_html(&fields).into()),
            ("events_html", sections::events_html(&events).into()),
            ("events", events.into()),
            ("queries_html", self.queries_html(&queries).into()),
            ("queries", queries),
            ("source", self.source(&m.source.rel)),
            ("source_html", self.source_html(&m.source.rel).into()),
            ("badges_html", badges_html(&badges).into()),
        ]);
        let item = self.with_parts(item, &fields, &badges);
        let mut ctx = self.context("metrics", &m.key_path);
        ctx.insert_value("item", item);
        ctx
    }

    /// The context of one event's page.
    pub(super) fn event_page(&self, catalog: &Catalog, i: usize) -> Ctx {
        let e = &catalog.events[i];
        let properties: Vec<Value> = e
            .properties
            .iter()
            .map(|p| json!({
                "name": p.name,
                "anchor": property_id(&p.name),
                "description_html": markdown(p.description.as_deref().unwrap_or("")),
                "block": p.details.as_ref().map(|d| serde_json::to_string_pretty(d).unwrap_or_default()),
                "details_html": p.details.as_ref().and_then(details_html),
            }))
            .collect();
        let identifiers: Vec<Value> = e
            .identifiers
            .iter()
            .map(|id| json!({"text": id, "url": facet_link(catalog, &self.site.base, param::DATA_CLASS, id)}))
            .collect();
        let metrics: Vec<Value> = catalog.event_metrics[i]
            .iter()
            .map(|&mi| {
                json!({"key_path": catalog.metrics[mi].key_path,
                "url": layout::at_base(&self.site.base, &layout::metric_url(&catalog.metric_slugs[mi]))})
            })
            .collect();
        let mut badges = vec![Badge::new(&e.status, None, "status")];
        if let Some(c) = &e.classification {
            badges.push(facet_badge(catalog, &self.site.base, param::DATA_CLASS, c));
        }
        for t in &e.tiers {
            badges.push(tier_badge(catalog, &self.site.base, t));
        }
        if let Some(g) = &e.group {
            badges.push(facet_badge(catalog, &self.site.base, param::GROUP, g));
        }
        let fields = fields(
            catalog,
            &self.site.base,
            &e.fields,
            DefinitionKind::Event,
            &|_| None,
        );
        let title = e.id().replace('/', " / ");
        let queries = self.event_queries(e);
        let item = object([
            ("title", title.as_str().into()),
            ("action", e.action.as_str().into()),
            ("category", e.display_category().into()),
            ("description_html", markdown(&e.description).into()),
            ("status", e.status.as_str().into()),
            ("removed", e.removed.into()),
            ("internal", e.internal.into()),
            ("fields_html", fields_html(&fields).into()),
            (
                "properties_html",
                sections::properties_html(&properties).into(),
            ),
            ("properties", properties.into()),
            (
                "identifiers_html",
                sections::identifiers_html(&identifiers).into(),
            ),
            ("identifiers", identifiers.into()),
            ("metrics_html", sections::metrics_html(&metrics).into()),
            ("metrics", metrics.into()),
            ("queries_html", self.queries_html(&queries).into()),
            ("queries", queries),
            ("source", self.source(&e.source.rel)),
            ("source_html", self.source_html(&e.source.rel).into()),
            ("badges_html", badges_html(&badges).into()),
        ]);
        let item = self.with_parts(item, &fields, &badges);
        let mut ctx = self.context("events", &title);
        ctx.insert_value("item", item);
        ctx
    }

    /// `item.fields` and `item.badges`, the parts of what `fields_html` and `badges_html` print,
    /// added only when a template reads them (the default ones do not): they were a tenth of
    /// a cold build's CPU.
    fn with_parts(&self, mut item: Value, fields: &[Field], badges: &[Badge]) -> Value {
        if let Value::Object(o) = &mut item {
            if self.parts.fields {
                o.insert("fields".into(), fields_value(fields));
            }
            if self.parts.badges {
                o.insert("badges".into(), badges_value(badges));
            }
        }
        item
    }

    pub(super) fn source(&self, rel: &str) -> Value {
        json!({"path": rel, "url": self.source_url(rel)})
    }

    fn source_url(&self, rel: &str) -> Option<String> {
        self.site.repo_url.as_ref().map(|r| [r, rel].concat())
    }

    /// `item.source_html`: "View source" (a link when the repository is known), as
    /// `source.html` prints it.
    pub(super) fn source_html(&self, rel: &str) -> String {
        let mut out = String::from("\n<p class=\"source\">");
        match self.source_url(rel).filter(|u| !u.is_empty()) {
            Some(url) => {
                out.push_str("\n<a class=\"btn\" href=\"");
                escape_html_into(&mut out, &url);
                out.push_str("\">View source</a> <code class=\"muted\">");
            }
            None => out.push_str("\nDefined in <code>"),
        }
        escape_html_into(&mut out, rel);
        out.push_str("</code>\n</p>");
        out
    }

    /// `/<facet>/`: every value with its counts.
    pub(super) fn facet_index(&self, facet: &Facet) -> Job {
        let path = facet.path.expect("browse facets have a path");
        let values: Vec<Value> = facet
            .values
            .iter()
            .map(|(v, fv)| {
                json!({
                    "value": v, "label": v, "url": layout::facet_value_url(path, &fv.slug),
                    "metric_count": fv.metrics.len(), "event_count": fv.events.len(),
                })
            })
            .collect();
        let mut header = facet_header(facet);
        header["values"] = Value::Array(values);
        let mut ctx = self.context(path, &plural(facet.label));
        ctx.insert("facet", &header);
        job(
            "facet_index.html",
            ctx,
            layout::page_file(&layout::facet_url(path)),
        )
    }

    /// `/<facet>/<value>/`: the definitions carrying one value, as compact items, with a link
    /// to the filtered table.
    pub(super) fn facet_page(
        &self,
        catalog: &Catalog,
        facet: &Facet,
        value: &str,
        fv: &FacetValue,
        rows: &Rows,
    ) -> Job {
        let path = facet.path.expect("browse facets have a path");
        let mut metrics = fv.metrics.clone();
        if facet.param == param::GROUP {
            // A group's performance-indicator metrics come first.
            metrics.sort_by_key(|&i| (catalog.metrics[i].performance_indicators.is_empty(), i));
        }
        let events = fv.events.clone();
        // Compact items, not table rows: full rows here would repeat the table once per value
        // (most of the output at 5k definitions); the page links to the filtered table.
        let (mk, ek) = (RowKind::MetricItem, RowKind::EventItem);
        let filter = |table: &str, n: usize| -> Value {
            if n == 0 {
                return Value::Null;
            }
            Value::String(filtered_table_url(catalog, facet, value, table))
        };
        // A value's page needs the facet's name, not every other value (and so does not
        // change when another value's counts do).
        let mut ctx = self.context(path, &format!("{}: {value}", facet.label));
        ctx.insert_value("facet", facet_header(facet));
        ctx.insert(
            "value",
            &json!({"value": value, "label": value,
                "metric_count": metrics.len(), "event_count": events.len(),
                "metric_removed": rows.removed(mk, &metrics), "event_removed": rows.removed(ek, &events),
                "metrics_url": filter(layout::HOME, metrics.len()), "events_url": filter(layout::EVENTS, events.len())}),
        );
        ctx.insert_value("about", self.facet_value_note(catalog, facet.param, value));
        let marker = |kind: RowKind, n: &[usize]| {
            if n.is_empty() {
                ""
            } else {
                ROWS_MARKER[kind as usize]
            }
        };
        ctx.insert("rows", marker(mk, &metrics));
        ctx.insert("event_rows", marker(ek, &events));
        let mut job = job(
            "facet_page.html",
            ctx,
            layout::page_file(&layout::facet_value_url(path, &fv.slug)),
        );
        job.tables = vec![
            Table {
                kind: mk,
                rows: metrics,
            },
            Table {
                kind: ek,
                rows: events,
            },
        ];
        job
    }

    /// What a browse page says its value means: a data category's meaning and opt-out rules
    /// (from `categories.yml`, as on /privacy/), or the retired tier names `legacy` stands for.
    fn facet_value_note(&self, catalog: &Catalog, param: &str, value: &str) -> Value {
        match param {
            param::CATEGORY => catalog
                .register
                .categories
                .iter()
                .find(|c| c.name == value)
                .map_or(Value::Null, |c| {
                    json!({"category": {"name": c.name, "description": c.description,
                        "opt_out": c.opt_out}})
                }),
            param::TIER if value == LEGACY => {
                let retired: Vec<&str> = LEGACY_TIERS
                    .iter()
                    .filter(|(_, successor)| successor.is_none())
                    .map(|(name, _)| *name)
                    .collect();
                json!({"retired_tiers": retired})
            }
            // A legacy name's own page (kept for round one's links): what it counts as today.
            param::TIER => match legacy_successor(value) {
                Some(today) => {
                    let today = today.unwrap_or(LEGACY);
                    json!({"legacy_name": {"label": tier_label(value), "today": today,
                        "url": facet_link(catalog, &self.site.base, param::TIER, today)}})
                }
                None => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// `/identifiers/`: the register's identifiers, each with the events carrying it.
    pub(super) fn identifiers_page(&self, catalog: &Catalog) -> Job {
        // The register's identifiers in its order, then any used by events but undocumented.
        let used = catalog.facet(param::IDENTIFIER);
        let count = |name: &str| {
            used.and_then(|f| f.values.get(name))
                .map_or(0, |v| v.events.len())
        };
        let mut names: Vec<String> = catalog
            .register
            .identifiers
            .iter()
            .map(|i| i.name.clone())
            .collect();
        if let Some(f) = used {
            names.extend(
                f.values
                    .keys()
                    .filter(|k| !names.contains(k))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        let identifiers: Vec<Value> = names
            .iter()
            .map(|name| {
                let info = catalog.register.identifier(name);
                json!({
                    "name": name,
                    "event_count": count(name),
                    "url": facet_url(catalog, param::DATA_CLASS, name),
                    "documented": info.is_some(),
                    "field": info.and_then(|i| i.field.clone()),
                    "pseudonymized": info.map(|i| i.pseudonymized),
                    "method": info.map(|i| i.method.clone()),
                    "realms": info.map(|i| i.realms.clone()).unwrap_or_default(),
                    "why": info.map(|i| i.why.clone()),
                    "source": info.and_then(|i| i.source.clone()),
                })
            })
            .collect();
        let mut ctx = self.context("identifiers", "Identifiers");
        ctx.insert("identifiers", &identifiers);
        ctx.insert("collected", &catalog.register.collected);
        job("identifiers.html", ctx, "identifiers/index.html".into())
    }
}

fn plural(label: &str) -> String {
    match label {
        "Data category" => "Data categories".into(),
        "Data class" => "Data classes".into(),
        other => format!("{other}s"),
    }
}

/// The same selection as a browse page in the main tables (`/?tier=premium`,
/// `/events/?identifier=user`); `table` is the table's URL.
fn filtered_table_url(catalog: &Catalog, facet: &Facet, value: &str, table: &str) -> String {
    let p = match facet.param {
        param::DATA_CLASS
            if catalog
                .facet(param::CLASSIFICATION)
                .is_some_and(|f| f.values.contains_key(value)) =>
        {
            param::CATEGORY
        }
        param::DATA_CLASS => param::IDENTIFIER,
        p => p,
    };
    // A query value as people write it: `code_review`, not `code%5Freview`.
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'-')
        .remove(b'.');
    let v: String = percent_encoding::utf8_percent_encode(value, QUERY_VALUE).collect();
    format!("{table}?{p}={v}")
}

/// What browse pages show of their facet. `has_metrics`/`has_events` say which tables it
/// applies to (data classes describe events, data categories metrics), so pages leave out an
/// always-empty section.
fn facet_header(facet: &Facet) -> Value {
    json!({"label": facet.label, "path": facet.path, "param": facet.param,
        "has_metrics": facet.kinds.contains(&DefinitionKind::Metric),
        "has_events": facet.kinds.contains(&DefinitionKind::Event)})
}

/// The browse page of a facet value, site-relative, if it has one.
fn facet_page(catalog: &Catalog, param: &str, value: &str) -> Option<String> {
    let facet = catalog.facet(param)?;
    Some(layout::facet_value_url(
        facet.path?,
        &facet.values.get(value)?.slug,
    ))
}

/// [`facet_page`] under `base` (a definition page's links: its templates need no `href` macro).
pub(super) fn facet_link(
    catalog: &Catalog,
    base: &str,
    param: &str,
    value: &str,
) -> Option<String> {
    facet_page(catalog, param, value).map(|u| layout::at_base(base, &u))
}

/// [`facet_page`] as a context value (null when the value has no page).
pub(super) fn facet_url(catalog: &Catalog, param: &str, value: &str) -> Value {
    facet_page(catalog, param, value).into()
}

/// The filter controls of a table: facets that filter it, with the URL parameter name the
/// public links use.
pub(super) fn filter_facets(catalog: &Catalog, kind: DefinitionKind) -> Vec<Value> {
    catalog
        .facets_for(kind)
        // Rows carry these (`data-f-…`) and URLs filter on them, without a select of their
        // own: removal milestones are reached from `/versions/`, editions from the URL.
        .filter(|f| {
            !matches!(
                f.param,
                param::DATA_CLASS | param::MILESTONE_REMOVED | param::EDITION
            )
        })
        .map(|f| {
            let mut values: Vec<(&String, &FacetValue)> = f.values.iter().collect();
            if f.param == param::MILESTONE {
                // Newest first, as versions (not as text: 13.10 after 13.9, 8.10 oldest).
                values.sort_by_key(|(v, _)| std::cmp::Reverse(milestone_key(v)));
            }
            let values: Vec<Value> = values
                .into_iter()
                .filter_map(|(v, fv)| {
                    // What the table shows for this value: definitions not removed (all of
                    // them for a value only removed ones have, e.g. `status: removed`).
                    let (n, active) = if kind == DefinitionKind::Metric {
                        let n = fv.metrics.len();
                        (
                            n,
                            fv.metrics
                                .iter()
                                .filter(|&&i| !catalog.metrics[i].removed)
                                .count(),
                        )
                    } else {
                        let n = fv.events.len();
                        (
                            n,
                            fv.events
                                .iter()
                                .filter(|&&i| !catalog.events[i].removed)
                                .count(),
                        )
                    };
                    let n = if active > 0 { active } else { n };
                    let label = if f.param == param::MILESTONE {
                        milestone_label(v)
                    } else {
                        v.clone()
                    };
                    (n > 0).then(|| json!({"value": v, "label": label, "count": n}))
                })
                .collect();
            json!({"param": url_param(f.param), "label": f.label, "values": values})
        })
        .collect()
}

/// The public query parameter of a facet (`event_category` is `category` on `/events/`).
pub(super) fn url_param(param: &str) -> &str {
    if param == param::EVENT_CATEGORY {
        param::CATEGORY
    } else {
        param
    }
}
