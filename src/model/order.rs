//! Orders people expect: tiers by price, data categories as GitLab's usage-data policy lists
//! them, milestones as versions. Everything that sorts or lists these uses this module.

/// Today's tiers, cheapest first.
pub const TIERS: [&str; 3] = ["free", "premium", "ultimate"];

/// GitLab's data categories, in its policy's order.
pub const DATA_CATEGORIES: [&str; 4] = ["operational", "optional", "subscription", "standard"];

/// A tier's place: today's tiers in price order, anything else (legacy names) after them.
pub fn tier_rank(tier: &str) -> usize {
    TIERS.iter().position(|t| *t == tier).unwrap_or(TIERS.len())
}

/// `16.4`, `<13.9`, `8.10`: a GitLab milestone as definitions write it.
pub fn is_milestone(s: &str) -> bool {
    let s = s.strip_prefix('<').unwrap_or(s);
    let mut parts = s.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// Milestone order: `<13.9` before `13.9`, numbers compared numerically, anything else last.
pub fn milestone_key(m: &str) -> (u32, u32, u32) {
    let (before, rest) = match m.strip_prefix('<') {
        Some(r) => (0, r),
        None => (1, m),
    };
    let mut parts = rest.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b, before),
        _ => (u32::MAX, u32::MAX, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones() {
        for ok in ["8.10", "<13.9", "16.4", "17.11"] {
            assert!(is_milestone(ok), "{ok}");
        }
        for bad in ["8", "8.1.2", "next", "", "<", "16.x", "v16.4"] {
            assert!(!is_milestone(bad), "{bad}");
        }
        let mut v = vec!["13.10", "8.10", "<13.9", "13.2", "13.9", "19.5"];
        v.sort_by_key(|m| milestone_key(m));
        assert_eq!(v, ["8.10", "13.2", "<13.9", "13.9", "13.10", "19.5"]);
    }
}
