//! A comparison with a baseline: what was added, removed or changed since then. Made by
//! `crate::changes`, shown on `/changes/` and written to `changes.json`/`changes.csv`.

use super::catalog::DefinitionKind;
use serde::Serialize;

/// What changed about one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    /// A metric's data category changed.
    Recategorised,
    Tiers,
    Identifiers,
    Classification,
    Status,
    Description,
}

impl ChangeKind {
    /// The word used in pages, downloads and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Recategorised => "recategorised",
            ChangeKind::Tiers => "tiers",
            ChangeKind::Identifiers => "identifiers",
            ChangeKind::Classification => "classification",
            ChangeKind::Status => "status",
            ChangeKind::Description => "description",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub kind: DefinitionKind,
    /// Key path, or event id.
    pub id: String,
    pub change: ChangeKind,
    pub before: String,
    pub after: String,
    /// Page of the definition in the current site, relative to the base (none for removed ones).
    pub url: Option<String>,
    /// What an added (or removed) definition collects, so a reviewer need not open it: data
    /// category, tiers, identifiers, classification as declared. Empty for other changes.
    pub facts: Facts,
}

/// What a definition collects, as the comparison shows it beside an added or removed one.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Facts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_category: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
}

/// The comparison: what the baseline was and every change.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Changes {
    /// The baseline as readers see it: its URL, `git <ref>`, or "an earlier build" for a local
    /// folder (a builder's path means nothing to readers and is never published).
    pub baseline: String,
    pub baseline_time: Option<String>,
    pub baseline_commit: Option<String>,
    pub changes: Vec<Change>,
}
