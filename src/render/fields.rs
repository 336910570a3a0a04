//! A definition's fields as its page shows them: every field in file order, links where a
//! value has a page of its own.

use super::pages::facet_link;
use super::rows::object;
use super::structured::structured_html;
use crate::model::catalog::{param, Catalog, DefinitionKind};
use crate::model::definition::normalize_group;
use crate::model::order::{tier_label, today_tier};
use crate::text::{anchor, escape_html_into};
use serde_json::{Map, Value};

/// One field of a definition as its page shows it.
pub(super) struct Field {
    name: String,
    anchor: String,
    /// The values of a scalar or flat-list field (empty for a structured one).
    items: Vec<Item>,
    code: bool,
    /// A structured value as JSON text.
    block: Option<String>,
    value_html: String,
}

/// One value of a field, and the page it links to (if any).
struct Item {
    text: String,
    url: Option<String>,
}

impl Field {
    /// The field as `item.fields` gives it to templates that lay fields out themselves.
    fn to_value(&self) -> Value {
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|it| {
                object([
                    ("text", it.text.as_str().into()),
                    ("url", it.url.as_deref().into()),
                ])
            })
            .collect();
        object([
            ("name", self.name.as_str().into()),
            ("anchor", self.anchor.as_str().into()),
            ("items", items.into()),
            ("code", self.code.into()),
            ("block", self.block.as_deref().into()),
            ("value_html", self.value_html.as_str().into()),
        ])
    }
}

/// `item.fields`: every field's parts.
pub(super) fn fields_value(fields: &[Field]) -> Value {
    Value::Array(fields.iter().map(Field::to_value).collect())
}

/// Every field of a definition for its page, in file order, with links where a value has a
/// page of its own (group, data category, tier) or is a URL. Structured values read as lists
/// and tables; `event_url` links the events a metric names to their pages.
pub(super) fn fields(
    catalog: &Catalog,
    base: &str,
    raw: &Map<String, Value>,
    kind: DefinitionKind,
    event_url: &dyn Fn(&str) -> Option<String>,
) -> Vec<Field> {
    raw.iter()
        .filter(|(k, _)| k.as_str() != "description")
        .map(|(name, v)| {
            let facet = match (name.as_str(), kind) {
                ("data_category", DefinitionKind::Metric) => Some(param::CATEGORY),
                ("tiers" | "tier", _) => Some(param::TIER),
                ("product_group", _) => Some(param::GROUP),
                ("identifiers", DefinitionKind::Event) => Some(param::DATA_CLASS),
                ("classification", DefinitionKind::Event) => Some(param::DATA_CLASS),
                _ => None,
            };
            let item = |s: String| field_item(catalog, base, facet, s);
            let (items, block): (Vec<Item>, Option<String>) = match v {
                Value::Null => (Vec::new(), None),
                Value::String(s) => (vec![item(s.clone())], None),
                Value::Bool(_) | Value::Number(_) => (vec![item(v.to_string())], None),
                Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => (
                    a.iter()
                        .map(|x| {
                            item(match x {
                                Value::String(s) => s.clone(),
                                o => o.to_string(),
                            })
                        })
                        .collect(),
                    None,
                ),
                other => (
                    Vec::new(),
                    Some(serde_json::to_string_pretty(other).unwrap_or_default()),
                ),
            };
            let code = matches!(
                name.as_str(),
                "key_path" | "action" | "instrumentation_class" | "category"
            );
            let field_anchor = anchor(name);
            let value_html = match block {
                Some(_) => structured_html(
                    name,
                    v,
                    &field_anchor,
                    event_url,
                    kind == DefinitionKind::Event,
                ),
                None => field_value_html(&items, code),
            };
            Field {
                name: name.clone(),
                anchor: field_anchor,
                items,
                code,
                block,
                value_html,
            }
        })
        .collect()
}

/// The fields as the page's definition list: `<dt id=anchor>name</dt><dd>value_html</dd>`, one
/// line each. Made here, not in a template included per field: tera's per-field include and
/// lookups were a tenth of a cold build's CPU (every page has some 25 fields).
pub(super) fn fields_html(fields: &[Field]) -> String {
    let mut out = String::new();
    for f in fields {
        out.push_str("<dt id=\"");
        escape_html_into(&mut out, &f.anchor);
        out.push_str("\">");
        escape_html_into(&mut out, &f.name);
        out.push_str("</dt><dd>");
        out.push_str(&f.value_html);
        out.push_str("</dd>\n");
    }
    out
}

/// One value of a field: its text, and a link where it has a page of its own (a group, data
/// category or tier page) or is a URL. A legacy tier name links the tier it counts as today.
fn field_item(catalog: &Catalog, base: &str, facet: Option<&str>, s: String) -> Item {
    let url = if s.starts_with("https://") || s.starts_with("http://") {
        Some(s.clone())
    } else if let Some(p) = facet {
        let key = match p {
            param::GROUP => normalize_group(&s),
            param::TIER => today_tier(&s.to_lowercase()).to_string(),
            _ => s.to_lowercase(),
        };
        facet_link(catalog, base, p, &key)
    } else {
        None
    };
    let text = match facet {
        Some(param::TIER) if today_tier(&s.to_lowercase()) != s.to_lowercase() => {
            tier_label(&s.to_lowercase())
        }
        _ => s,
    };
    Item { text, url }
}

/// A scalar or flat-list field's value as HTML: the items comma-separated (`<code>` when
/// `code`, links where they have a URL), else a muted dash.
fn field_value_html(items: &[Item], code: bool) -> String {
    if items.is_empty() {
        return "<span class=\"muted\">—</span>".to_string();
    }
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let url = it.url.as_deref().filter(|u| !u.is_empty());
        if let Some(u) = url {
            out.push_str("<a href=\"");
            escape_html_into(&mut out, u);
            out.push_str("\">");
        }
        if code {
            out.push_str("<code>");
            escape_html_into(&mut out, &it.text);
            out.push_str("</code>");
        } else {
            escape_html_into(&mut out, &it.text);
        }
        if url.is_some() {
            out.push_str("</a>");
        }
    }
    out
}
