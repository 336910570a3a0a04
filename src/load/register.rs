//! Reading the privacy register files (see [`crate::model::register`]) strictly: an unknown
//! or misspelt field is an error at its line.

use super::parse::read_typed;
use crate::model::diagnostics::{Diagnostic, Diagnostics, Position};
use crate::model::layout;
use crate::model::register::{Category, Collected, Identifier, Register};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    categories: Vec<Category>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifiersFile {
    identifiers: Vec<Identifier>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectedFile {
    collected: Vec<Collected>,
}

/// `synonyms.yml`: `synonyms: [[mr, merge request], …]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymsFile {
    pub synonyms: Vec<Vec<String>>,
}

/// A synonyms file's groups, each of two or more words or phrases.
pub fn synonym_groups(path: &Path, text: &str, diags: &mut Diagnostics) -> Vec<Vec<String>> {
    let file: SynonymsFile = match read_typed(text) {
        Ok(f) => f,
        Err((pos, msg)) => {
            diags.push(
                Diagnostic::error(
                    "synonyms",
                    path,
                    pos,
                    format!("invalid synonyms file: {msg}"),
                )
                .expected("`synonyms:` followed by lists such as `- [mr, merge request]`")
                .with_source(text),
            );
            return Vec::new();
        }
    };
    let mut groups = Vec::new();
    for (i, g) in file.synonyms.into_iter().enumerate() {
        let g: Vec<String> = g
            .into_iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        if g.len() < 2 {
            let pos = super::spans::scan_spans(text)
                .map(|s| s.value(&format!("/synonyms/{i}")))
                .unwrap_or_default();
            diags.push(
                Diagnostic::error(
                    "synonyms",
                    path,
                    pos,
                    format!("synonym group {} has fewer than two entries", i + 1),
                )
                .expected("two or more words or phrases that mean the same")
                .with_source(text),
            );
            continue;
        }
        groups.push(g);
    }
    groups
}

fn read<T: for<'de> Deserialize<'de> + Default>(path: &Path, diags: &mut Diagnostics) -> T {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                "register",
                path,
                Position::default(),
                format!("cannot read: {e}"),
            ));
            return T::default();
        }
    };
    match read_typed(&text) {
        Ok(v) => v,
        Err((pos, msg)) => {
            diags.push(
                Diagnostic::error(
                    "register",
                    path,
                    pos,
                    format!("invalid register file: {msg}"),
                )
                .expected("the fields documented in README, \"Privacy register\"")
                .with_source(&text),
            );
            T::default()
        }
    }
}

/// Read the register files of the first root that has them.
pub fn load(roots: &[PathBuf]) -> (Register, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut register = Register::default();
    let inside = super::discover::canonical_roots(roots);
    let mut outside = Vec::new();
    let mut first = |name: &str| {
        let p = roots.iter().map(|r| r.join(name)).find(|p| p.is_file())?;
        let is_link = p
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        if is_link && !super::discover::link_stays_inside(&p, &inside) {
            outside.push(p);
            return None;
        }
        Some(p)
    };
    if let Some(p) = first(layout::REGISTER_IDENTIFIERS) {
        register.identifiers = read::<IdentifiersFile>(&p, &mut diags).identifiers;
        let mut seen = std::collections::HashSet::new();
        for i in &register.identifiers {
            if !seen.insert(i.name.clone()) {
                diags.push(Diagnostic::error(
                    "register",
                    &p,
                    Position::default(),
                    format!("identifier `{}` is described twice", i.name),
                ));
            }
        }
    }
    if let Some(p) = first(layout::REGISTER_COLLECTED) {
        register.collected = read::<CollectedFile>(&p, &mut diags).collected;
    }
    if let Some(p) = first(layout::SYNONYMS) {
        match std::fs::read_to_string(&p) {
            Ok(text) => register.synonyms = synonym_groups(&p, &text, &mut diags),
            Err(e) => diags.push(Diagnostic::error(
                "synonyms",
                &p,
                Position::default(),
                format!("cannot read: {e}"),
            )),
        }
    }
    if let Some(p) = first(layout::REGISTER_CATEGORIES) {
        register.categories = read::<CategoriesFile>(&p, &mut diags).categories;
    }
    for p in outside {
        diags.push(
            Diagnostic::warning(
                "symlink-outside",
                p,
                Position::default(),
                "symbolic link leads outside the definitions folders; skipped (its target is not read)",
            )
            .expected("the register file itself, inside the --definitions folder"),
        );
    }
    (register, diags)
}
