//! Structured field values (a metric's `events`, an event's `additional_properties`,
//! `extra_trackers`, `options`, and any shape nobody planned for) as readable HTML: lists,
//! tables and key/value lists instead of raw JSON. Every value is escaped here; nothing a
//! definition says can become markup, and nothing it says is left out.

use crate::text::{anchor, escape_html, markdown};
use serde_json::{Map, Value};

/// Deeper than this, a value is shown as compact JSON text (definitions are depth-limited
/// when read; this only bounds the nesting of the HTML).
const MAX_DEPTH: usize = 12;

/// The HTML of a structured field value. `field_anchor` prefixes the ids of property rows;
/// `event_url` gives the page of an event named in a metric's `events`, when there is one.
/// On event pages (`on_event_page`) properties are described in the page's own Properties
/// table (`#property-<name>`), so the field lists their names linked there instead of
/// repeating it.
pub(super) fn structured_html(
    name: &str,
    value: &Value,
    field_anchor: &str,
    event_url: &dyn Fn(&str) -> Option<String>,
    on_event_page: bool,
) -> String {
    match (name, value) {
        ("events", Value::Array(list)) if list.iter().all(is_event_entry) => {
            events_list(list, event_url)
        }
        ("additional_properties" | "extra_properties", Value::Object(props)) if on_event_page => {
            property_links(props)
        }
        ("additional_properties" | "extra_properties", Value::Object(props)) => {
            properties_table(props, field_anchor)
        }
        (_, v) => readable(v, 0),
    }
}

/// The id of a property's row in an event page's Properties table.
pub(super) fn property_id(name: &str) -> String {
    format!("property-{}", anchor(name))
}

/// Property names, each linked to its row in the page's Properties table.
fn property_links(props: &Map<String, Value>) -> String {
    let links: Vec<String> = props
        .keys()
        .map(|name| {
            format!(
                "<a href=\"#{}\"><code>{}</code></a>",
                escape_html(&property_id(name)),
                escape_html(name)
            )
        })
        .collect();
    format!(
        "{} <span class=\"muted\">(described under Properties)</span>",
        links.join(", ")
    )
}

/// A property's keys besides its description, as a readable key/value list.
pub(super) fn details_html(details: &Value) -> Option<String> {
    let rest: Map<String, Value> = details
        .as_object()?
        .iter()
        .filter(|(k, v)| k.as_str() != "description" || !v.is_string())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!rest.is_empty()).then(|| key_values(&rest, 1))
}

/// `{name: …, unique: …}`, as a metric's `events` list entries are written.
fn is_event_entry(v: &Value) -> bool {
    v.get("name").is_some_and(Value::is_string)
}

/// A metric's events: names linked to their pages, "unique by" shown, other keys (a
/// `filter`, say) as a key/value list under the name.
fn events_list(list: &[Value], event_url: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::from("<ul class=\"field-list\">");
    for e in list {
        let name = e["name"].as_str().unwrap_or_default();
        let code = format!("<code>{}</code>", escape_html(name));
        out.push_str("<li>");
        match event_url(name) {
            Some(url) => out.push_str(&format!("<a href=\"{}\">{code}</a>", escape_html(&url))),
            None => out.push_str(&code),
        }
        if let Some(unique) = e.get("unique").filter(|u| !u.is_null()) {
            out.push_str(&format!(
                " <span class=\"tag\">unique by {}</span>",
                escape_html(&scalar_text(unique))
            ));
        }
        let rest: Map<String, Value> = e
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !matches!(k.as_str(), "name" | "unique"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !rest.is_empty() {
            out.push_str(&key_values(&rest, 1));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
    out
}

/// Properties: a row each, with an anchor, the description (untrusted markdown, rendered
/// safely) and any other keys as a key/value list.
fn properties_table(props: &Map<String, Value>, field_anchor: &str) -> String {
    let mut out = String::from(
        "<table class=\"props field-props\"><thead><tr><th scope=\"col\">Property</th>\
         <th scope=\"col\">Description</th></tr></thead><tbody>",
    );
    for (name, v) in props {
        let id = escape_html(&format!("{field_anchor}-{}", anchor(name)));
        let name_html = escape_html(name);
        out.push_str(&format!(
            "<tr id=\"{id}\"><th scope=\"row\"><code>{name_html}</code> <a class=\"anchor\" \
             href=\"#{id}\" aria-label=\"Link to property {name_html}\">#</a></th><td>"
        ));
        match v {
            Value::Object(m) => {
                if let Some(d) = m.get("description").and_then(Value::as_str) {
                    out.push_str(&format!("<div class=\"prose\">{}</div>", markdown(d)));
                }
                let rest: Map<String, Value> = m
                    .iter()
                    .filter(|(k, v)| k.as_str() != "description" || !v.is_string())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !rest.is_empty() {
                    out.push_str(&key_values(&rest, 1));
                }
            }
            Value::Null => out.push_str("<span class=\"muted\">—</span>"),
            Value::String(d) => {
                out.push_str(&format!("<div class=\"prose\">{}</div>", markdown(d)))
            }
            other => out.push_str(&readable(other, 1)),
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Any value as readable HTML: maps as key/value lists, lists of scalars comma-separated,
/// lists holding maps or lists as numbered lists.
fn readable(v: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return format!("<code>{}</code>", escape_html(&v.to_string()));
    }
    match v {
        Value::Null => "<span class=\"muted\">—</span>".to_string(),
        Value::Object(m) if m.is_empty() => "<span class=\"muted\">(empty)</span>".to_string(),
        Value::Object(m) => key_values(m, depth),
        Value::Array(a) if a.is_empty() => "<span class=\"muted\">(none)</span>".to_string(),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            a.iter().map(scalar_html).collect::<Vec<_>>().join(", ")
        }
        Value::Array(a) => {
            let mut out = String::from("<ol class=\"kv-list\">");
            for x in a {
                out.push_str("<li>");
                out.push_str(&readable(x, depth + 1));
                out.push_str("</li>");
            }
            out.push_str("</ol>");
            out
        }
        scalar => scalar_html(scalar),
    }
}

fn key_values(m: &Map<String, Value>, depth: usize) -> String {
    let mut out = String::from("<dl class=\"kv\">");
    for (k, v) in m {
        out.push_str(&format!(
            "<div><dt>{}</dt><dd>{}</dd></div>",
            escape_html(k),
            readable(v, depth + 1)
        ));
    }
    out.push_str("</dl>");
    out
}

/// A scalar: identifiers in `<code>`, prose (anything with a space) as text.
fn scalar_html(v: &Value) -> String {
    match v {
        Value::Null => "<span class=\"muted\">—</span>".to_string(),
        Value::String(s) if s.contains(char::is_whitespace) => escape_html(s),
        other => format!("<code>{}</code>", escape_html(&scalar_text(other))),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
