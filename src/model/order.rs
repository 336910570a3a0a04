//! Orders people expect: tiers by price, data categories as GitLab's usage-data policy lists
//! them, milestones as versions. Everything that sorts or lists these uses this module.

use super::version::Milestone;

/// Today's tiers, cheapest first.
pub const TIERS: [&str; 3] = ["free", "premium", "ultimate"];

/// GitLab's data categories, in its policy's order.
pub const DATA_CATEGORIES: [&str; 4] = ["operational", "optional", "subscription", "standard"];

/// Tier names GitLab retired on 2021-01-26, with the one tier of today that replaced each, when
/// there is one (sources in the README, "Legacy tier names"): Core became Free, Silver Premium,
/// Gold Ultimate. Starter and Bronze were discontinued: their customers moved to Premium or to
/// Free, so neither has a single successor.
pub const LEGACY_TIERS: [(&str, Option<&str>); 5] = [
    ("core", Some("free")),
    ("silver", Some("premium")),
    ("gold", Some("ultimate")),
    ("starter", None),
    ("bronze", None),
];

/// What a declared retired tier without a successor counts as (a facet value, never a tier of
/// today).
pub const LEGACY: &str = "legacy";

/// A tier's place: today's tiers in price order, then `legacy`, then anything else.
pub fn tier_rank(tier: &str) -> usize {
    match TIERS.iter().position(|t| *t == tier) {
        Some(i) => i,
        None if tier == LEGACY => TIERS.len(),
        None => TIERS.len() + 1,
    }
}

/// A path as bytes that sort in `Path`'s own order (component by component) by plain byte
/// comparison. Sorting thousands of paths compares each a dozen times, and `Path::cmp` parses
/// both paths into components on every comparison (a 5k `check` spent a tenth of its
/// instructions there); a key is made once per path.
pub fn path_key(path: &std::path::Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for c in path.components() {
        // A tag per kind, in `Component`'s declared order, and a 0 after each component: no
        // component holds a 0 byte, so "a" sorts before "a-b" and "ab" as it does in `Path`.
        let (tag, bytes) = match c {
            Component::Prefix(p) => (1, p.as_os_str()),
            Component::RootDir => (2, c.as_os_str()),
            Component::CurDir => (3, c.as_os_str()),
            Component::ParentDir => (4, c.as_os_str()),
            Component::Normal(s) => (5, s),
        };
        key.push(tag);
        key.extend_from_slice(bytes.as_encoded_bytes());
        key.push(0);
    }
    key
}

/// `Some(successor)` for a retired tier name (`None` inside when it has no single successor);
/// `None` for today's names and unknown ones.
pub fn legacy_successor(tier: &str) -> Option<Option<&'static str>> {
    LEGACY_TIERS
        .iter()
        .find(|(l, _)| *l == tier)
        .map(|(_, s)| *s)
}

/// The tier a declared name counts as today: its successor for a renamed tier, `legacy` for a
/// retired one without a successor, the name itself otherwise.
pub fn today_tier(tier: &str) -> &str {
    match legacy_successor(tier) {
        Some(Some(successor)) => successor,
        Some(None) => LEGACY,
        None => tier,
    }
}

/// Declared tiers as today's tiers (in the order declared, each once).
pub fn today_tiers(declared: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(declared.len());
    for t in declared {
        let today = today_tier(t);
        if !out.contains(&today) {
            out.push(today);
        }
    }
    out
}

/// How a declared tier name reads: `silver (legacy name of premium)`, `starter (legacy tier,
/// retired)`, or the name itself.
pub fn tier_label(tier: &str) -> String {
    match legacy_successor(tier) {
        Some(Some(successor)) => format!("{tier} (legacy name of {successor})"),
        Some(None) => format!("{tier} (legacy tier, retired)"),
        None => tier.to_string(),
    }
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
    fn legacy_tiers_count_as_their_one_successor_or_as_legacy() {
        let declared: Vec<String> = [
            "free", "starter", "premium", "ultimate", "bronze", "silver", "gold",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            today_tiers(&declared),
            ["free", LEGACY, "premium", "ultimate"]
        );
        assert_eq!(today_tier("core"), "free");
        assert_eq!(today_tier("silver"), "premium");
        assert_eq!(today_tier("gold"), "ultimate");
        assert_eq!(today_tier("starter"), LEGACY);
        assert_eq!(today_tier("bronze"), LEGACY);
        assert_eq!(today_tier("platinum"), "platinum");
        assert_eq!(tier_label("silver"), "silver (legacy name of premium)");
        assert_eq!(tier_label("bronze"), "bronze (legacy tier, retired)");
        assert_eq!(tier_label("premium"), "premium");
        let mut v = vec!["platinum", LEGACY, "ultimate", "free", "premium"];
        v.sort_by_key(|t| tier_rank(t));
        assert_eq!(v, ["free", "premium", "ultimate", LEGACY, "platinum"]);
    }

    #[test]
    fn path_keys_sort_as_paths_do() {
        use std::path::Path;
        let paths = [
            "/a/b",
            "/a/b/c",
            "/a-b",
            "/a/b-c",
            "/a/bc",
            "a",
            "a/b",
            "a-b",
            "a.b",
            "./a",
            "../a",
            "a/./b",
            "/",
            "",
            "/a//b/",
            "a/b/",
            "ab/c",
            "a/b\\c",
            "/dev/shm/x/metrics/counts_all",
        ];
        for x in paths {
            for y in paths {
                let (px, py) = (Path::new(x), Path::new(y));
                assert_eq!(
                    path_key(px).cmp(&path_key(py)),
                    px.cmp(py),
                    "{x:?} vs {y:?}"
                );
            }
        }
    }

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
