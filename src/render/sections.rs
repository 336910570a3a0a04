//! The lists of a definition page made ready (`item.events_html`, `item.identifiers_html`,
//! `item.properties_html`, `item.metrics_html`, `item.keypaths_html`), from the same parts the
//! context keeps (`item.events`, …) for templates that lay them out differently.
//!
//! Through tera every entry of these lists cost a handful of dotted-name lookups (each step of
//! one is two `str::replace` calls) and a test per branch: about a twentieth of a cold build.

use crate::text::escape_html_into;
use serde_json::Value;

/// The text of `key` in `v` (empty when absent or not text).
fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `label` in a link to `url` with class `class`, or in a `tag` of that class when there is
/// no URL.
fn link_or(out: &mut String, tag: &str, class: &str, url: &str, label: &str) {
    let tag = if url.is_empty() { tag } else { "a" };
    out.push('<');
    out.push_str(tag);
    out.push_str(" class=\"");
    out.push_str(class);
    out.push('"');
    if !url.is_empty() {
        out.push_str(" href=\"");
        escape_html_into(out, url);
        out.push('"');
    }
    out.push('>');
    escape_html_into(out, label);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// A `<ul>` of `class` with one `<li>` per item (written by `item`), or the `empty` note.
fn list(items: &[Value], class: &str, empty: &str, item: impl Fn(&mut String, &Value)) -> String {
    let mut out = String::with_capacity(64 + 160 * items.len());
    if items.is_empty() {
        out.push_str("\n<p class=\"muted\">");
        out.push_str(empty);
        out.push_str("</p>");
        return out;
    }
    out.push_str("\n<ul class=\"");
    out.push_str(class);
    out.push_str("\">");
    for v in items {
        out.push_str("\n<li>");
        item(&mut out, v);
        out.push_str("</li>");
    }
    out.push_str("\n</ul>");
    out
}

/// A metric's "Events counted": each event linked to its page, and what it is unique by.
pub(super) fn events_html(events: &[Value]) -> String {
    list(
        events,
        "link-list",
        "This metric is not computed from tracked events.",
        |out, e| {
            link_or(out, "code", "kp", text(e, "url"), text(e, "name"));
            let unique = text(e, "unique");
            if !unique.is_empty() {
                out.push_str(
                    " <span class=\"tag\" title=\"Counted uniquely by this identifier\">unique by ",
                );
                escape_html_into(out, unique);
                out.push_str("</span>");
            }
        },
    )
}

/// An event's identifiers as chips, each linking to its data class.
pub(super) fn identifiers_html(identifiers: &[Value]) -> String {
    list(
        identifiers,
        "chips",
        "No identifiers are sent with this event.",
        |out, i| link_or(out, "span", "chip", text(i, "url"), text(i, "text")),
    )
}

/// An event's "Metrics counting this event", each linked to its page.
pub(super) fn metrics_html(metrics: &[Value]) -> String {
    list(
        metrics,
        "link-list",
        "No metric counts this event yet.",
        |out, x| link_or(out, "code", "kp", text(x, "url"), text(x, "key_path")),
    )
}

/// An event's properties table in its own section (nothing when it has none).
pub(super) fn properties_html(properties: &[Value]) -> String {
    let mut out = String::new();
    if properties.is_empty() {
        return out;
    }
    out.push_str(concat!(
        "\n<section class=\"panel\" aria-labelledby=\"h-properties\">",
        "\n<h2 id=\"h-properties\">Properties</h2>",
        "\n<table class=\"props\" aria-labelledby=\"h-properties\">",
        "\n<thead><tr><th scope=\"col\">Property</th><th scope=\"col\">Description</th></tr></thead>",
        "\n<tbody>"
    ));
    for p in properties {
        let (anchor, name) = (text(p, "anchor"), text(p, "name"));
        out.push_str("\n<tr id=\"");
        escape_html_into(&mut out, anchor);
        out.push_str("\">\n<th scope=\"row\"><code>");
        escape_html_into(&mut out, name);
        out.push_str("</code> <a class=\"anchor\" href=\"#");
        escape_html_into(&mut out, anchor);
        out.push_str("\" aria-label=\"Link to property ");
        escape_html_into(&mut out, name);
        out.push_str("\">#</a></th>\n<td><div class=\"prose\">");
        out.push_str(text(p, "description_html"));
        out.push_str("</div>");
        let details = text(p, "details_html");
        if !details.is_empty() {
            out.push_str("<div class=\"property-details\">");
            out.push_str(details);
            out.push_str("</div>");
        }
        out.push_str("</td>\n</tr>");
    }
    out.push_str("\n</tbody>\n</table>\n</section>");
    out
}

/// A metric's key paths as JSON paths in the Service Ping payload.
pub(super) fn keypaths_html(json_paths: &[Value]) -> String {
    let mut out = String::from("<div class=\"keypaths\">\n<h2 class=\"label\">");
    out.push_str(if json_paths.len() > 1 {
        "Key paths in the Service Ping payload"
    } else {
        "Service Ping JSON path"
    });
    out.push_str("</h2>\n<ul>");
    for p in json_paths {
        out.push_str("<li><code data-copy-label=\"Copy JSON path\">");
        escape_html_into(&mut out, text(p, "jq"));
        out.push_str("</code></li>");
    }
    out.push_str("</ul>\n</div>");
    out
}
