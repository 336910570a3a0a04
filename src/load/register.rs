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
