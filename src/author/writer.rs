//! Check a draft as `metricdict check` would, then create its file (never replacing one), in
//! GitLab's YAML style.

use super::dictionary::Dictionary;
use super::{err, Created, Error};
use crate::load::{parse, validate};
use crate::model::definition::{Definition, SourceFile};
use crate::model::diagnostics::{Diagnostics, Severity};
use crate::report;
use std::io::Write;

/// A definition ready to check and write.
pub(super) struct Draft {
    /// Path relative to the definitions folder.
    pub rel: String,
    pub text: String,
    /// Hints for the author.
    pub notes: Vec<String>,
}

/// Check the draft as `metricdict check` would, then create the file (never replacing one).
pub(super) fn write(dict: &Dictionary, draft: Draft) -> Result<Created, Error> {
    let path = dict.root.join(&draft.rel);
    let file = SourceFile {
        path: path.clone(),
        rel: draft.rel.clone(),
        in_removed_dir: false,
    };
    let mut doc = parse::parse_source(file, draft.text.clone()).map_err(|d| {
        Error(format!(
            "internal error: generated YAML does not parse: {}",
            d.message
        ))
    })?;
    let mut diags = Diagnostics::default();
    let def = validate::check_document(&doc, &mut diags);
    let is_metric = matches!(def, Some(Definition::Metric(_)));
    dict.schemas.check(&mut doc, is_metric, &mut diags);
    if diags.has_errors() {
        return err(format!(
            "the definition would not pass `metricdict check`; nothing was written:\n{}",
            report::to_human(&diags, false)
        ));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return err(format!(
                "refusing to overwrite {}: the file already exists",
                path.display()
            ))
        }
        Err(e) => return err(format!("cannot create {}: {e}", path.display())),
    };
    f.write_all(draft.text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error(format!("cannot write {}: {e}", path.display())))?;
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.clone())
        .collect();
    Ok(Created {
        path,
        text: draft.text,
        warnings,
        notes: draft.notes,
    })
}

/// A YAML document written line by line in GitLab's style (`- item` lists at column 0).
#[derive(Default)]
pub(super) struct Yaml(pub String);

impl Yaml {
    pub fn line(&mut self, l: &str) {
        if self.0.is_empty() {
            self.0.push_str("---\n");
        }
        self.0.push_str(l);
        self.0.push('\n');
    }
    pub fn raw(&mut self, key: &str, value: &str) {
        self.line(&format!("{key}: {value}"));
    }
    pub fn field(&mut self, key: &str, value: &str) {
        self.raw(key, &scalar(value));
    }
    /// A list; nothing when empty.
    pub fn list(&mut self, key: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        self.line(&format!("{key}:"));
        for i in items {
            self.line(&format!("- {}", scalar(i)));
        }
    }
}

/// One string as a one-line YAML scalar that YAML 1.1 readers (PyYAML, Ruby's Psych: GitLab's
/// own) and YAML 1.2 readers all read back as the same string: plain when nothing in it can be
/// read as anything else, double-quoted (JSON escapes are valid YAML) otherwise.
pub(super) fn scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialise")
    }
}

/// Plain only for text that starts with a letter (so no number, date, time or `.inf` in either
/// YAML version), uses no character YAML gives a meaning where it stands (`: `, ` #`, a final
/// `:`), and is not one of YAML 1.1's boolean or null words. URLs and most sentences stay plain,
/// as GitLab writes them.
fn plain_is_safe(s: &str) -> bool {
    const YAML_1_1_WORDS: [&str; 10] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _-./,()':#?=&%+~@!;".contains(c))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !YAML_1_1_WORDS.contains(&s.to_ascii_lowercase().as_str())
}
