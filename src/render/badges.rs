//! The summary chips of a definition page (status, category, tiers, group, data class): each
//! links to its browse page.

use super::pages::facet_link;
use super::rows::object;
use crate::model::catalog::{param, Catalog};
use crate::model::order::{tier_label, today_tier};
use crate::text::escape_html_into;
use serde_json::Value;

/// One summary chip. Its class, tooltip and text are made here: in a template they took five
/// tera filters per chip, about a tenth of a cold build's CPU.
pub(super) struct Badge {
    label: String,
    url: Option<String>,
    kind: String,
    class: String,
    title: Option<String>,
    text: String,
}

impl Badge {
    /// A chip labelled `label` of this kind (`status`, or a facet's parameter), linking `url`.
    pub(super) fn new(label: &str, url: Option<String>, kind: &str) -> Badge {
        // Written out rather than with `to_lowercase`/`replace`/`format!`: six chips a page,
        // each made of three allocations instead of about ten.
        let mut class = String::with_capacity(16 + kind.len() + label.len());
        class.push_str("chip");
        if !kind.is_empty() {
            class.push_str(" kind-");
            class.push_str(kind);
        }
        class.push_str(" v-");
        if label.is_ascii() {
            class.extend(label.bytes().map(|b| match b {
                b' ' => '-',
                b => char::from(b.to_ascii_lowercase()),
            }));
        } else {
            class.push_str(&label.to_lowercase().replace(' ', "-"));
        }
        let title = (!kind.is_empty() && url.is_some()).then(|| {
            let kind = kind.replace('_', " ");
            let mut chars = kind.chars();
            let mut title = String::with_capacity(kind.len() + 2 + label.len());
            if let Some(first) = chars.next() {
                title.extend(first.to_uppercase());
                title.push_str(&chars.as_str().to_lowercase());
            }
            title.push_str(": ");
            title.push_str(label);
            title
        });
        Badge {
            label: label.to_string(),
            url,
            kind: kind.to_string(),
            class,
            title,
            text: label.replace('_', " "),
        }
    }

    /// The chip as `item.badges` gives it to templates that lay chips out themselves.
    fn to_value(&self) -> Value {
        object([
            ("label", self.label.as_str().into()),
            ("url", self.url.as_deref().into()),
            ("kind", self.kind.as_str().into()),
            ("class", self.class.as_str().into()),
            ("title", self.title.as_deref().into()),
            ("text", self.text.as_str().into()),
        ])
    }
}

/// `item.badges`: every chip's parts.
pub(super) fn badges_value(badges: &[Badge]) -> Value {
    Value::Array(badges.iter().map(Badge::to_value).collect())
}

/// The chips as `badges.html` prints them (`item.badges_html`): a list of links (a chip with
/// no page of its own is a plain label). Made here: through tera, six lookups per chip were
/// a twentieth of a cold build's CPU.
pub(super) fn badges_html(badges: &[Badge]) -> String {
    let mut out = String::new();
    if badges.is_empty() {
        return out;
    }
    out.push_str("\n<ul class=\"badges\" aria-label=\"Summary\">");
    for b in badges.iter().filter(|b| !b.label.is_empty()) {
        out.push_str("\n<li>");
        match b.url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => {
                out.push_str("<a class=\"");
                escape_html_into(&mut out, &b.class);
                out.push_str("\" href=\"");
                escape_html_into(&mut out, url);
                out.push('"');
                if let Some(t) = b.title.as_deref().filter(|t| !t.is_empty()) {
                    out.push_str(" title=\"");
                    escape_html_into(&mut out, t);
                    out.push('"');
                }
                out.push('>');
                escape_html_into(&mut out, &b.label);
                out.push_str("</a>");
            }
            None => {
                out.push_str("<span class=\"");
                escape_html_into(&mut out, &b.class);
                out.push_str("\">");
                escape_html_into(&mut out, &b.text);
                out.push_str("</span>");
            }
        }
        out.push_str("</li>");
    }
    out.push_str("\n</ul>");
    out
}

/// A badge on a definition's page, linking to its browse page (URL includes `base`).
pub(super) fn facet_badge(catalog: &Catalog, base: &str, param: &str, value: &str) -> Badge {
    Badge::new(value, facet_link(catalog, base, param, value), param)
}

/// A declared tier's chip: a legacy name reads as such (`silver (legacy name of premium)`) and
/// links to the tier it counts as today.
pub(super) fn tier_badge(catalog: &Catalog, base: &str, tier: &str) -> Badge {
    let mut b = facet_badge(catalog, base, param::TIER, today_tier(tier));
    if today_tier(tier) != tier {
        let label = tier_label(tier);
        b.title = Some(format!("Tier: {label}"));
        b.text = label.clone();
        b.label = label;
    }
    b
}
