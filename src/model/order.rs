//! Orders people expect: tiers by price, data categories as GitLab's usage-data policy lists
//! them, milestones as versions. Everything that sorts or lists these uses this module.

use super::version::Milestone;

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
    Milestone::parse(s).is_some()
}

/// Milestone order (as versions, `<13.9` just before `13.9`), anything that is not a
/// milestone after every milestone, in text order.
pub fn milestone_key(m: &str) -> (bool, Option<Milestone>, String) {
    let parsed = Milestone::parse(m);
    (parsed.is_none(), parsed, m.to_string())
}

/// How a milestone value reads on a page: `before 13.9` for `<13.9`, anything else as written.
pub fn milestone_label(m: &str) -> String {
    Milestone::parse(m).map_or_else(|| m.to_string(), Milestone::label)
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
        let mut v = vec!["13.10", "unknown", "8.10", "<13.9", "13.2", "13.9", "19.5"];
        v.sort_by_key(|m| milestone_key(m));
        assert_eq!(
            v,
            ["8.10", "13.2", "<13.9", "13.9", "13.10", "19.5", "unknown"]
        );
        assert_eq!(milestone_label("<13.9"), "before 13.9");
        assert_eq!(milestone_label("16.4"), "16.4");
    }
}
