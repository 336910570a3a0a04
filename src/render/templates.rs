//! The templates: built-in defaults embedded in the binary, overridden file by file by a
//! user's folder, and errors that name the template, the line and the variable.
//!
//! Users override templates, so the template context is a public contract
//! (`docs/template-context.md`). tera 1 reports a missing variable by name but not where it
//! is used; the sources are kept so the error can say which line of which template uses it.

use crate::text::escape_html;
use include_dir::{include_dir, Dir};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tera::Tera;

static DEFAULT_TEMPLATES: Dir = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Compiled templates and their sources (for error positions).
pub struct Templates {
    pub tera: Tera,
    sources: BTreeMap<String, String>,
}

/// A template that does not compile or render.
#[derive(Debug, Clone, thiserror::Error)]
#[error("template {}: {message}", self.place())]
pub struct TemplateError {
    /// The template file, as named in the templates folder (`index.html`).
    pub template: String,
    /// The line that uses `variable`, when found.
    pub line: Option<usize>,
    /// A context variable the template uses but the context lacks.
    pub variable: Option<String>,
    pub message: String,
}

impl TemplateError {
    fn place(&self) -> String {
        match self.line {
            Some(l) => format!("{}, line {l}", self.template),
            None => self.template.clone(),
        }
    }

    /// The same error, said of a header or footer: it breaks every page.
    pub fn included_in_every_page(mut self) -> TemplateError {
        self.message = format!("{} (included in every page)", self.message);
        self
    }
}

/// Compile the built-in templates, then the user's overrides from `override_dir`.
pub fn load_templates(override_dir: Option<&Path>) -> Result<Arc<Templates>, TemplateError> {
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for f in DEFAULT_TEMPLATES.files() {
        if let (Some(name), Some(body)) = (f.path().to_str(), f.contents_utf8()) {
            sources.insert(name.to_string(), body.to_string());
        }
    }
    if let Some(dir) = override_dir.filter(|d| d.is_dir()) {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let fail = |message: String| TemplateError {
                template: dir.display().to_string(),
                line: None,
                variable: None,
                message,
            };
            let entry = entry.map_err(|e| fail(e.to_string()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let name = rel.to_string_lossy().replace('\\', "/");
            let body = std::fs::read_to_string(entry.path())
                .map_err(|e| fail(format!("{}: {e}", entry.path().display())))?;
            sources.insert(name, body);
        }
    }
    let mut tera = Tera::default();
    tera.set_escape_fn(escape_html);
    let templates = sources.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if let Err(e) = tera.add_raw_templates(templates) {
        let placeholder = Templates {
            tera: Tera::default(),
            sources,
        };
        return Err(placeholder.error("", &e));
    }
    Ok(Arc::new(Templates { tera, sources }))
}

impl Templates {
    /// Whether some template reads the attribute `attr` of a value (`x.attr`, `x["attr"]`,
    /// `x['attr']`), so the renderer can leave out of the context what no template reads.
    /// Erring on the side of yes: a mention in a comment counts.
    pub fn reads(&self, attr: &str) -> bool {
        self.sources
            .values()
            .any(|src| mentions_attribute(src, attr))
    }
}

fn mentions_attribute(src: &str, attr: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    src.match_indices(attr).any(|(i, _)| {
        let (before, after) = (&src[..i], &src[i + attr.len()..]);
        let dotted = before.ends_with('.') && !after.starts_with(ident);
        let quoted = (before.ends_with("[\"") && after.starts_with("\"]"))
            || (before.ends_with("['") && after.starts_with("']"));
        dotted || quoted
    })
}

/// The text of a tera error and its causes, joined.
fn chain(e: &tera::Error) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// `Variable `row.tiers` not found in context while rendering 'x.html'` → (`row.tiers`, `x.html`).
fn missing_variable(message: &str) -> Option<(String, String)> {
    let rest = &message[message.find("Variable `")? + "Variable `".len()..];
    let (variable, rest) = rest.split_once('`')?;
    let rest = rest.strip_prefix(" not found in context while rendering '")?;
    let (template, _) = rest.split_once('\'')?;
    Some((variable.to_string(), template.to_string()))
}

/// The template a tera error is about, when its message names one (`… 'name.html' …`).
fn named_template(message: &str) -> Option<String> {
    let start = message.find('\'')? + 1;
    let len = message[start..].find('\'')?;
    Some(message[start..start + len].to_string())
}

impl Templates {
    /// Describe a tera error met while rendering `template`: which template, which line and
    /// which variable, when the message names a variable the context lacks.
    pub fn error(&self, template: &str, e: &tera::Error) -> TemplateError {
        let message = chain(e);
        if let Some((variable, within)) = missing_variable(&message) {
            let (at, line) = self.find_use(&within, &variable);
            return TemplateError {
                template: at,
                line,
                message: format!(
                    "uses `{variable}`, which the template context does not have \
                     (see docs/template-context.md for what each template gets)"
                ),
                variable: Some(variable),
            };
        }
        let template = named_template(&message).unwrap_or_else(|| template.to_string());
        TemplateError {
            template,
            line: None,
            variable: None,
            message,
        }
    }

    /// The template (`within` or one it extends) and line where `variable` is used inside a
    /// `{{ }}` or `{% %}` tag.
    fn find_use(&self, within: &str, variable: &str) -> (String, Option<usize>) {
        let mut candidates = vec![within.to_string()];
        if let Ok(t) = self.tera.get_template(within) {
            candidates.extend(t.parents.iter().cloned());
            candidates.extend(t.imported_macro_files.iter().map(|(f, _)| f.clone()));
        }
        for name in &candidates {
            let Some(source) = self.sources.get(name) else {
                continue;
            };
            if let Some(line) = line_using(source, variable) {
                return (name.clone(), Some(line));
            }
        }
        (within.to_string(), None)
    }
}

/// The first line of `source` where `variable` appears as a whole name inside a tag.
fn line_using(source: &str, variable: &str) -> Option<usize> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let mut in_tag = false;
    for (n, line) in source.lines().enumerate() {
        let mut rest = line;
        loop {
            if !in_tag {
                let Some(open) = rest.find("{{").or_else(|| rest.find("{%")) else {
                    break;
                };
                in_tag = true;
                rest = &rest[open + 2..];
            }
            let close = rest.find("}}").or_else(|| rest.find("%}"));
            let tag = close.map_or(rest, |c| &rest[..c]);
            let mut from = 0;
            while let Some(at) = tag[from..].find(variable) {
                let start = from + at;
                let end = start + variable.len();
                let before = tag[..start].chars().next_back();
                let after = tag[end..].chars().next();
                if !before.is_some_and(is_name) && !after.is_some_and(is_name) {
                    return Some(n + 1);
                }
                from = end;
            }
            match close {
                Some(c) => {
                    in_tag = false;
                    rest = &rest[c + 2..];
                }
                None => break,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_variable_is_found_on_its_line() {
        let src = "<p>{{ title }}</p>\n{% for r in rows %}\n  {{ r.name }} {{ site.gone | upper }}\n{% endfor %}";
        assert_eq!(line_using(src, "site.gone"), Some(3));
        assert_eq!(line_using(src, "gone"), None, "only whole names");
        assert_eq!(line_using("{{ x }}\n<p>site.gone</p>", "site.gone"), None);
        let m = "Failed to render 'index.html': Variable `site.gone` not found in context while rendering 'index.html'";
        assert_eq!(
            missing_variable(m),
            Some(("site.gone".into(), "index.html".into()))
        );
    }

    #[test]
    fn attributes_read_by_templates_are_found_and_the_defaults_read_no_optional_part() {
        assert!(mentions_attribute("{% for f in item.fields %}", "fields"));
        assert!(mentions_attribute(
            "{{ item[\"badges\"] | length }}",
            "badges"
        ));
        assert!(mentions_attribute("{{ it['fields'] }}", "fields"));
        assert!(!mentions_attribute(
            "{{ item.fields_html | safe }}",
            "fields"
        ));
        assert!(!mentions_attribute("<dl class=\"fields\">", "fields"));
        // The embedded templates print `fields_html` and `badges_html`: a default build does
        // not make the parts (a tenth of its CPU). A template that reads them gets them.
        let defaults = load_templates(None).unwrap();
        assert!(!defaults.reads("fields") && !defaults.reads("badges"));
    }
}
