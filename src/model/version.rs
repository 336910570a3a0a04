//! GitLab versions and milestones as numbers: `8.10` comes after `8.9` and before `13.2`, and
//! `<13.9` means "introduced before 13.9" (GitLab wrote it for metrics older than the
//! dictionary). Which definitions a given version reports is decided here, once.

use super::catalog::Catalog;
use std::collections::BTreeSet;
use std::fmt;

/// A GitLab release, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    /// `16.4`, `8.10`; at most four digits each (the validator's rule), nothing else.
    pub fn parse(s: &str) -> Option<Version> {
        let (a, b) = s.split_once('.')?;
        let num = |p: &str| {
            (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        Some(Version {
            major: num(a)?,
            minor: num(b)?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A milestone as definitions write it: a version, or `<X.Y` for "before X.Y".
/// Ordered as versions, `<13.9` just before `13.9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Milestone {
    /// `<13.9`: some version before this one, which one is not recorded.
    Before(Version),
    At(Version),
}

impl Milestone {
    pub fn parse(s: &str) -> Option<Milestone> {
        match s.strip_prefix('<') {
            Some(v) => Version::parse(v).map(Milestone::Before),
            None => Version::parse(s).map(Milestone::At),
        }
    }

    /// The version written in the milestone (`13.9` for `<13.9`).
    pub fn version(self) -> Version {
        match self {
            Milestone::Before(v) | Milestone::At(v) => v,
        }
    }

    /// How readers see it: `16.4`, or `before 13.9`.
    pub fn label(self) -> String {
        match self {
            Milestone::Before(v) => format!("before {v}"),
            Milestone::At(v) => v.to_string(),
        }
    }

    fn key(self) -> (Version, bool) {
        (self.version(), matches!(self, Milestone::At(_)))
    }
}

impl Ord for Milestone {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Milestone {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Milestone {
    /// As written: `16.4`, `<13.9` (the value URLs and downloads carry).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Milestone::Before(v) => write!(f, "<{v}"),
            Milestone::At(v) => write!(f, "{v}"),
        }
    }
}

/// Whether an instance on some version sends a definition's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reported {
    No,
    /// The definition does not say enough to tell (no milestone, `<13.9` for a version before
    /// 13.9, removed without `milestone_removed`).
    Maybe,
    Yes,
}

/// When a definition is reported: the milestones it was added and removed in, parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub added: Option<Milestone>,
    pub removed_in: Option<Milestone>,
    /// Removed, whether or not it says when.
    pub removed: bool,
}

impl Lifetime {
    pub fn of(milestone: Option<&str>, milestone_removed: Option<&str>, removed: bool) -> Self {
        Lifetime {
            added: milestone.and_then(Milestone::parse),
            removed_in: milestone_removed.and_then(Milestone::parse),
            removed,
        }
    }

    /// See [`reported_by`].
    pub fn reported_by(self, version: Version) -> Reported {
        let added = match self.added {
            Some(Milestone::At(v)) | Some(Milestone::Before(v)) if v <= version => Reported::Yes,
            Some(Milestone::At(_)) => Reported::No,
            Some(Milestone::Before(_)) | None => Reported::Maybe,
        };
        let kept = match self.removed_in {
            Some(Milestone::At(v)) | Some(Milestone::Before(v)) if v <= version => Reported::No,
            // `<X` as a removal: gone at some version before X.
            Some(Milestone::Before(_)) => Reported::Maybe,
            Some(Milestone::At(_)) => Reported::Yes,
            None if self.removed => Reported::Maybe,
            None => Reported::Yes,
        };
        added.min(kept)
    }
}

/// Whether `version` reports a definition added in `milestone` and removed in
/// `milestone_removed` (`removed`: the definition is removed, whether or not it says when).
///
/// Reported from the milestone it was added in up to, not including, the one it was removed
/// in. `<13.9`: reported by 13.9 and later, maybe by earlier versions. No milestone (or one
/// that is not a version): maybe. Removed without a removal milestone: at best maybe.
pub fn reported_by(
    milestone: Option<&str>,
    milestone_removed: Option<&str>,
    removed: bool,
    version: Version,
) -> Reported {
    Lifetime::of(milestone, milestone_removed, removed).reported_by(version)
}

/// Every milestone a definition was added or removed in, newest first.
pub fn milestones(c: &Catalog) -> Vec<Milestone> {
    let named = c
        .metrics
        .iter()
        .flat_map(|m| [&m.milestone, &m.milestone_removed])
        .chain(
            c.events
                .iter()
                .flat_map(|e| [&e.milestone, &e.milestone_removed]),
        );
    let set: BTreeSet<Milestone> = named
        .filter_map(|s| s.as_deref().and_then(Milestone::parse))
        .collect();
    set.into_iter().rev().collect()
}

/// The versions the dictionary knows, newest first: each one a milestone names (13.9 for
/// `<13.9`, from which on those definitions are reported).
pub fn versions(c: &Catalog) -> Vec<Version> {
    let set: BTreeSet<Version> = milestones(c).into_iter().map(Milestone::version).collect();
    set.into_iter().rev().collect()
}

/// GitLab's editions: an instance runs the Community Edition or the Enterprise Edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    Ce,
    Ee,
}

impl Edition {
    /// The `distribution` value naming it.
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Ce => "ce",
            Edition::Ee => "ee",
        }
    }
}

/// The editions that ship a definition: its `distribution` when it names any (`[ce, ee]`,
/// `[ee]`), else GitLab's layout (newer files leave the field out): files under `ee/` are
/// Enterprise-only, the others ship in both editions.
pub fn editions(distributions: &[String], source_rel: &str) -> Vec<Edition> {
    let named: Vec<Edition> = [Edition::Ce, Edition::Ee]
        .into_iter()
        .filter(|e| distributions.iter().any(|d| d == e.as_str()))
        .collect();
    if !named.is_empty() {
        named
    } else if source_rel.starts_with("ee/") {
        vec![Edition::Ee]
    } else {
        vec![Edition::Ce, Edition::Ee]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn milestones_order_as_versions() {
        let mut ms: Vec<Milestone> = ["13.10", "19.5", "8.10", "<13.9", "13.2", "13.9", "8.9"]
            .iter()
            .map(|s| Milestone::parse(s).unwrap())
            .collect();
        ms.sort();
        let shown: Vec<String> = ms.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            shown,
            ["8.9", "8.10", "13.2", "<13.9", "13.9", "13.10", "19.5"]
        );
        assert_eq!(Milestone::parse("<13.9").unwrap().label(), "before 13.9");
        assert_eq!(Milestone::parse("8.10").unwrap().label(), "8.10");
        for bad in [
            "8", "8.1.2", "next", "", "<", "16.x", "v16.4", "12345.1", "<<1.2",
        ] {
            assert_eq!(Milestone::parse(bad), None, "{bad}");
        }
    }

    /// A fixture with removals, `<13.9`, `8.10` and no milestone, and what each version reports,
    /// worked out by hand from the rules (not from the function).
    #[test]
    fn what_a_version_reports() {
        use Reported::*;
        // (name, milestone, milestone_removed, removed)
        let defs: [(&str, Option<&str>, Option<&str>, bool); 7] = [
            ("legacy", Some("8.10"), None, false),
            ("before", Some("<13.9"), None, false),
            ("mid", Some("13.10"), Some("16.0"), true),
            ("new", Some("17.3"), None, false),
            ("unknown", None, None, false),
            ("gone_when", Some("14.0"), None, true),
            ("gone_before", Some("<13.9"), Some("15.0"), true),
        ];
        let expected: [(&str, [Reported; 7]); 8] = [
            ("8.9", [No, Maybe, No, No, Maybe, No, Maybe]),
            ("8.10", [Yes, Maybe, No, No, Maybe, No, Maybe]),
            ("13.2", [Yes, Maybe, No, No, Maybe, No, Maybe]),
            ("13.9", [Yes, Yes, No, No, Maybe, No, Yes]),
            ("13.10", [Yes, Yes, Yes, No, Maybe, No, Yes]),
            ("15.0", [Yes, Yes, Yes, No, Maybe, Maybe, No]),
            ("16.0", [Yes, Yes, No, No, Maybe, Maybe, No]),
            ("17.3", [Yes, Yes, No, Yes, Maybe, Maybe, No]),
        ];
        for (ver, want) in expected {
            let got: Vec<Reported> = defs
                .iter()
                .map(|(_, m, r, removed)| reported_by(*m, *r, *removed, v(ver)))
                .collect();
            assert_eq!(got, want, "version {ver}: {:?}", defs.map(|d| d.0));
        }
    }

    #[test]
    fn editions_from_distribution_else_from_the_ee_folder() {
        use Edition::*;
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = "config/metrics/counts_all/a.yml";
        let ee = "ee/config/metrics/counts_all/a.yml";
        assert_eq!(editions(&l(&["ce", "ee"]), m), [Ce, Ee]);
        assert_eq!(editions(&l(&["ee", "ce"]), m), [Ce, Ee]);
        assert_eq!(editions(&l(&["ee"]), m), [Ee]);
        assert_eq!(
            editions(&l(&["ce"]), ee),
            [Ce],
            "as written wins over the folder"
        );
        assert_eq!(editions(&[], ee), [Ee]);
        assert_eq!(editions(&[], m), [Ce, Ee]);
        assert_eq!(editions(&l(&["x"]), m), [Ce, Ee]);
    }
}
