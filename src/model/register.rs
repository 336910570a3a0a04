//! The privacy register, at the top of a definitions folder: how each identifier is handled
//! (`identifiers.yml`), data collected without a YAML definition (`collected.yml`), and what
//! each data category means with its opt-out rules (`categories.yml`).
//!
//! These are documentation data, not definitions: read strictly by `load::register` (unknown
//! fields are errors, so a typo does not silently drop a legal statement) and shown at
//! `/identifiers/` and `/privacy/`.

use serde::{Deserialize, Serialize};

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

/// The register, empty when the definitions carry none.
#[derive(Debug, Default, Clone)]
pub struct Register {
    pub identifiers: Vec<Identifier>,
    pub collected: Vec<Collected>,
    pub categories: Vec<Category>,
    /// Groups of words and phrases search treats as the same (`synonyms.yml`), added to the
    /// built-in ones.
    pub synonyms: Vec<Vec<String>>,
}

impl Register {
    pub fn identifier(&self, name: &str) -> Option<&Identifier> {
        self.identifiers.iter().find(|i| i.name == name)
    }
}
