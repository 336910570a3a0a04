//! The summary chips of a definition page (status, category, tiers, group, data class): each
//! links to its browse page.

use super::pages::{at_base, facet_url};
use super::rows::object;
use crate::model::catalog::{param, Catalog};
use crate::model::order::{tier_label, today_tier};
use crate::text::escape_html;
use serde_json::Value;

/// The chips as `badges.html` prints them (`item.badges_html`): a list of links (a chip with
/// no page of its own is a plain label). Made here: through tera, six lookups per chip were
/// a twentieth of a cold build's CPU. `item.badges` keeps the parts for other layouts.
pub(super) fn badges_html(badges: &[Value]) -> String {
    let text = |b: &Value, k: &str| -> String { escape_html(b[k].as_str().unwrap_or_default()) };
    let mut out = String::new();
    if badges.is_empty() {
        return out;
    }
    out.push_str("\n<ul class=\"badges\" aria-label=\"Summary\">");
    for b in badges {
        if b["label"].as_str().is_none_or(str::is_empty) {
            continue;
        }
        out.push_str("\n<li>");
        match b["url"].as_str().filter(|u| !u.is_empty()) {
            Some(url) => {
                out.push_str(&format!(
                    "<a class=\"{}\" href=\"{}\"",
                    text(b, "class"),
                    escape_html(url)
                ));
                if b["title"].as_str().is_some_and(|t| !t.is_empty()) {
                    out.push_str(&format!(" title=\"{}\"", text(b, "title")));
                }
                out.push_str(&format!(">{}</a>", text(b, "label")));
            }
            None => out.push_str(&format!(
                "<span class=\"{}\">{}</span>",
                text(b, "class"),
                text(b, "text")
            )),
        }
        out.push_str("</li>");
    }
    out.push_str("\n</ul>");
    out
}

/// A badge on a definition's page, linking to its browse page (URL includes `base`).
pub(super) fn facet_badge(catalog: &Catalog, base: &str, param: &str, value: &str) -> Value {
    badge(
        value,
        at_base(base, facet_url(catalog, param, value)),
        param,
    )
}

/// A declared tier's chip: a legacy name reads as such (`silver (legacy name of premium)`) and
/// links to the tier it counts as today.
pub(super) fn tier_badge(catalog: &Catalog, base: &str, tier: &str) -> Value {
    let mut b = facet_badge(catalog, base, param::TIER, today_tier(tier));
    if today_tier(tier) != tier {
        let label = tier_label(tier);
        b["title"] = format!("Tier: {label}").into();
        b["text"] = label.clone().into();
        b["label"] = label.into();
    }
    b
}

/// A summary chip. Its class, tooltip and text are made here: in a template they took five
/// tera filters per chip, about a tenth of a cold build's CPU.
pub(super) fn badge(label: &str, url: Value, kind: &str) -> Value {
    let mut class = String::from("chip");
    if !kind.is_empty() {
        class.push_str(" kind-");
        class.push_str(kind);
    }
    class.push_str(" v-");
    class.push_str(&label.to_lowercase().replace(' ', "-"));
    let title = (!kind.is_empty() && !url.is_null()).then(|| {
        let kind = kind.replace('_', " ");
        let mut chars = kind.chars();
        let kind: String = match chars.next() {
            Some(first) => {
                first.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase()
            }
            None => String::new(),
        };
        format!("{kind}: {label}")
    });
    object([
        ("label", label.into()),
        ("url", url),
        ("kind", kind.into()),
        ("class", class.into()),
        ("title", title.into()),
        ("text", label.replace('_', " ").into()),
    ])
}
