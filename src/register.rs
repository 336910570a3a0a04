//! The privacy register, at the top of a definitions folder: how each identifier is handled
//! (`identifiers.yml`), data collected without a YAML definition (`collected.yml`), and what
//! each data category means with its opt-out rules (`categories.yml`).
//!
//! These are documentation data, not definitions: read strictly (unknown fields are errors, so
//! a typo does not silently drop a legal statement) and shown at `/identifiers/`.

use crate::diagnostics::{Diagnostic, Diagnostics, Position};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// File names the register is read from.
pub const FILES: [&str; 3] = ["identifiers.yml", "collected.yml", "categories.yml"];

/// How GitLab handles one identifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// As used in events' `identifiers:` (`user`, `project`, …).
    pub name: String,
    /// The field carrying it (`user_id`).
    pub field: Option<String>,
    pub pseudonymized: bool,
    /// How it is pseudonymized, or why not.
    pub method: String,
    #[serde(default)]
    pub realms: Vec<String>,
    /// Why it is collected.
    pub why: String,
    pub source: Option<String>,
}

/// Something collected that no metric or event definition describes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collected {
    pub name: String,
    pub service: String,
    pub data_category: Option<String>,
    #[serde(default)]
    pub realms: Vec<String>,
    pub personal_data: String,
    pub description: String,
    pub opt_out: Option<String>,
    pub source: Option<String>,
}

/// What a data category means and how to opt out of it, per deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub opt_out: Vec<OptOut>,
}

/// One row of a category's opt-out matrix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptOut {
    pub deployment: String,
    pub rule: String,
}

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

/// The register, empty when the definitions carry none.
#[derive(Debug, Default, Clone)]
pub struct Register {
    pub identifiers: Vec<Identifier>,
    pub collected: Vec<Collected>,
    pub categories: Vec<Category>,
}

impl Register {
    pub fn identifier(&self, name: &str) -> Option<&Identifier> {
        self.identifiers.iter().find(|i| i.name == name)
    }
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
    match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let pos = crate::parse::serde_yaml_position(&e);
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
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
    let first = |name: &str| roots.iter().map(|r| r.join(name)).find(|p| p.is_file());
    if let Some(p) = first(FILES[0]) {
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
    if let Some(p) = first(FILES[1]) {
        register.collected = read::<CollectedFile>(&p, &mut diags).collected;
    }
    if let Some(p) = first(FILES[2]) {
        register.categories = read::<CategoriesFile>(&p, &mut diags).categories;
    }
    (register, diags)
}
