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
}

/// The comparison: what the baseline was and every change.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Changes {
    /// How the baseline was given (folder, URL, `git <ref>`).
    pub baseline: String,
    pub baseline_time: Option<String>,
    pub baseline_commit: Option<String>,
    pub changes: Vec<Change>,
}
