//! The one clock: now, unless `SOURCE_DATE_EPOCH` fixes it (reproducible builds; tests).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time builds and new definitions are stamped with.
pub fn now() -> SystemTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
        .unwrap_or_else(SystemTime::now)
}

/// [`now`] as RFC 3339, to the second (`2026-12-03T09:40:03Z`).
pub fn rfc3339() -> String {
    humantime::format_rfc3339_seconds(now()).to_string()
}

/// [`now`] as `YYYYMMDDHHMMSS` in UTC, as GitLab names metric files.
pub fn digits() -> String {
    rfc3339().chars().filter(char::is_ascii_digit).collect()
}
