//! Charts drawn at build time as inline SVG: no chart library, no CDN, readable without
//! JavaScript (each has a title, a description and a data table).

use crate::model::catalog::Catalog;
use crate::model::definition::Metric;
use crate::model::order::{milestone_key, milestone_label};
use crate::text::escape_html;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Stacked bar charts of definitions added per milestone, drawn at build time as inline SVG
/// (no chart library or CDN), each with a title, a description and a data table.
pub(super) fn milestone_charts(c: &Catalog) -> Vec<Value> {
    fn label(m: &Option<String>) -> &str {
        m.as_deref().unwrap_or("no milestone")
    }
    let mut milestones: Vec<String> = c
        .metrics
        .iter()
        .map(|m| label(&m.milestone))
        .chain(c.events.iter().map(|e| label(&e.milestone)))
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    milestones.sort_by_key(|m| milestone_key(m));
    // What readers see: `before 13.9` is not "added in 13.9".
    let labels: Vec<String> = milestones.iter().map(|m| milestone_label(m)).collect();
    let column: HashMap<&str, usize> = milestones
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    // One pass over the definitions per chart: counts by series name and milestone.
    let count = |items: &mut dyn Iterator<Item = (String, &str)>| -> Vec<(String, Vec<usize>)> {
        let mut series: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (name, milestone) in items {
            series
                .entry(name)
                .or_insert_with(|| vec![0; milestones.len()])[column[milestone]] += 1;
        }
        series.into_iter().collect()
    };
    let metric_series = |of: &dyn Fn(&Metric) -> String| {
        count(&mut c.metrics.iter().map(|m| (of(m), label(&m.milestone))))
    };
    let mut events = count(&mut c.events.iter().map(|e| {
        let kind = if e.internal { "internal" } else { "legacy" };
        (kind.to_string(), label(&e.milestone))
    }));
    for kind in ["internal", "legacy"] {
        if !events.iter().any(|(k, _)| k == kind) {
            events.push((kind.to_string(), vec![0; milestones.len()]));
        }
    }
    events.sort();
    [
        ("metrics-by-category", "Metrics added per milestone, by data category", metric_series(&|m: &Metric| m.data_category.clone())),
        ("metrics-by-source", "Metrics added per milestone, by data source", metric_series(&|m: &Metric| m.data_source.clone().unwrap_or_else(|| "unknown".into()))),
        ("events-by-kind", "Events added per milestone, internal or legacy", events),
    ]
    .into_iter()
    .map(|(id, title, series)| {
        json!({"id": id, "title": title, "svg_html": bar_chart_svg(id, title, &labels, &series),
            "milestones": labels, "series": series.iter().map(|(n, v)| json!({"name": n, "counts": v})).collect::<Vec<_>>()})
    })
    .collect()
}

fn bar_chart_svg(id: &str, title: &str, xs: &[String], series: &[(String, Vec<usize>)]) -> String {
    use std::fmt::Write as _;
    const PALETTE: [&str; 8] = [
        "#6d5dfc", "#0f9d8a", "#e0a100", "#d9467a", "#3b82f6", "#8b5cf6", "#64748b", "#16a34a",
    ];
    let totals: Vec<usize> = (0..xs.len())
        .map(|i| series.iter().map(|(_, v)| v[i]).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let (bar, gap, height, left, bottom) = (14.0_f64, 4.0_f64, 180.0_f64, 34.0_f64, 56.0_f64);
    let width = left + xs.len() as f64 * (bar + gap) + 10.0;
    let total_h = height + bottom + 10.0 + 18.0 * series.len().div_ceil(4) as f64;
    let mut svg = String::new();
    let desc = format!("{} milestones; the most in one milestone: {max}.", xs.len());
    let _ = write!(svg, "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {width:.0} {total_h:.0}\" width=\"{width:.0}\" height=\"{total_h:.0}\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>", escape_html(title), escape_html(&desc));
    for tick in [0usize, max / 2, max] {
        let y = 10.0 + height - height * tick as f64 / max as f64;
        let _ = write!(svg, "<line x1=\"{left}\" x2=\"{width:.0}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/><text x=\"{:.0}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{tick}</text>", left - 4.0, y + 3.0);
    }
    for (i, x_label) in xs.iter().enumerate() {
        let x = left + i as f64 * (bar + gap);
        let mut y = 10.0 + height;
        for (si, (name, counts)) in series.iter().enumerate() {
            let n = counts[i];
            if n == 0 {
                continue;
            }
            let h = height * n as f64 / max as f64;
            y -= h;
            let _ = write!(svg, "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {n} ({})</title></rect>", PALETTE[si % PALETTE.len()], escape_html(x_label), escape_html(name));
        }
        let _ = write!(svg, "<text class=\"tick\" transform=\"translate({:.1},{:.1}) rotate(-60)\" text-anchor=\"end\">{}</text>", x + bar / 2.0 + 3.0, 10.0 + height + 8.0, escape_html(x_label));
    }
    for (si, (name, _)) in series.iter().enumerate() {
        let lx = left + (si % 4) as f64 * 130.0;
        let ly = height + bottom + 10.0 + 18.0 * (si / 4) as f64;
        let _ = write!(svg, "<rect x=\"{lx:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{ly:.0}\" class=\"legend\">{}</text>", ly - 9.0, PALETTE[si % PALETTE.len()], lx + 14.0, escape_html(name));
    }
    svg.push_str("</svg>");
    svg
}
