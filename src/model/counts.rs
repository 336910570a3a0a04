//! The counts the legal pages show, each defined and named once, so that no two numbers that
//! mean different things share a word: "not removed" (any status but `removed`) is never called
//! "active", which is one status value (`status: active`) among several.

use serde::Serialize;

/// A count as pages name and explain it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CountName {
    pub label: &'static str,
    pub meaning: &'static str,
}

/// Definitions still in the dictionary: any status but `removed`.
pub const NOT_REMOVED: CountName = CountName {
    label: "Not removed",
    meaning: "definitions with any status but removed (active, data_available, implemented, \
              broken, …)",
};

/// Every definition, removed included.
pub const ALL: CountName = CountName {
    label: "All, removed included",
    meaning: "every definition, whatever its status",
};

/// The status that takes a definition out of the "not removed" counts.
pub const REMOVED_STATUS: &str = "removed";

/// Whether a definition with this status is removed (and so left out of [`NOT_REMOVED`]).
pub fn is_removed(status: &str) -> bool {
    status == REMOVED_STATUS
}

/// A count of one status value is headed by the field and the value (`status: active`), never
/// by the bare word.
pub fn status_heading(status: &str) -> String {
    format!("status: {status}")
}
