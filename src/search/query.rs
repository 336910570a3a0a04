//! What a query asks, parsed the same way here and in `static/search.js`: field filters
//! (`group:code_review`), then the words, each a *concept* with the terms that can stand for it
//! (its stem, the stems of its synonyms), and the whole text for exact key-path matches.

use super::text::{is_stopword, stem, words};
use serde::{Deserialize, Serialize};

/// Filters that can be written in the search box, and the table parameter each sets.
pub const FILTERS: [&str; 7] = [
    "group",
    "category",
    "tier",
    "status",
    "identifier",
    "classification",
    "data_source",
];

/// Shortest last word that also matches as a prefix while typing.
pub const PREFIX_MIN: usize = 3;

/// One meaning the query asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concept {
    /// The word as typed, lower-cased.
    pub word: String,
    pub stem: String,
    /// Stems of words that mean the same (from the synonym groups), in order.
    pub synonyms: Vec<String>,
    /// The query ends inside this word: it also matches as a prefix.
    pub prefix: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub concepts: Vec<Concept>,
    /// The text without filters, trimmed and lower-cased: a key path or action equal to it
    /// ranks first.
    pub exact: String,
    /// `(name, value)` of each filter, lower-cased values.
    pub filters: Vec<(String, String)>,
}

/// Synonym groups, each member as its stems: `[["mr"], ["merg", "request"]]`.
pub type StemGroups = Vec<Vec<Vec<String>>>;

/// The stems of a phrase.
pub fn phrase_stems(phrase: &str) -> Vec<String> {
    words(phrase).iter().map(|w| stem(w)).collect()
}

/// Split off `name:value` filters; the rest is the text.
fn split_filters(q: &str) -> (String, Vec<(String, String)>) {
    let mut text = Vec::new();
    let mut filters = Vec::new();
    for part in q.split_whitespace() {
        match part.split_once(':') {
            Some((name, value))
                if !value.is_empty() && FILTERS.contains(&name.to_lowercase().as_str()) =>
            {
                filters.push((name.to_lowercase(), value.to_lowercase()));
            }
            _ => text.push(part),
        }
    }
    (text.join(" "), filters)
}

/// Parse a query. `groups` are the synonym groups as stems (see [`phrase_stems`]).
pub fn parse(q: &str, groups: &StemGroups) -> Query {
    let (text, filters) = split_filters(q);
    let mut seen = Vec::new();
    let all: Vec<String> = words(&text)
        .into_iter()
        .filter(|w| {
            let new = !seen.contains(w);
            seen.push(w.clone());
            new
        })
        .collect();
    // Words like "how", "many", "the" carry no meaning, unless nothing else is asked.
    let kept: Vec<String> = if all.iter().all(|w| is_stopword(w)) {
        all
    } else {
        all.into_iter().filter(|w| !is_stopword(w)).collect()
    };
    let ends_in_word = text.chars().last().is_some_and(char::is_alphanumeric);
    let n = kept.len();
    let mut concepts: Vec<Concept> = kept
        .iter()
        .enumerate()
        .map(|(i, w)| Concept {
            word: w.clone(),
            stem: stem(w),
            synonyms: Vec::new(),
            prefix: ends_in_word && i + 1 == n && w.chars().count() >= PREFIX_MIN,
        })
        .collect();
    add_synonyms(&mut concepts, groups);
    Query {
        concepts,
        exact: text.trim().to_lowercase(),
        filters,
    }
}

/// Where a group member's stems appear in a row of the concepts, each concept gets the stems
/// of the group's other members as synonyms (a doc with `mr` covers "merge" and "request").
fn add_synonyms(concepts: &mut [Concept], groups: &StemGroups) {
    let stems: Vec<String> = concepts.iter().map(|c| c.stem.clone()).collect();
    for group in groups {
        for (mi, member) in group.iter().enumerate() {
            if member.is_empty() || member.len() > stems.len() {
                continue;
            }
            for start in 0..=stems.len() - member.len() {
                if stems[start..start + member.len()] != member[..] {
                    continue;
                }
                let others = group
                    .iter()
                    .enumerate()
                    .filter(|(oi, _)| *oi != mi)
                    .flat_map(|(_, o)| o.iter());
                for s in others {
                    for c in &mut concepts[start..start + member.len()] {
                        if *s != c.stem && !c.synonyms.contains(s) {
                            c.synonyms.push(s.clone());
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> StemGroups {
        vec![vec![phrase_stems("mr"), phrase_stems("merge request")]]
    }

    #[test]
    fn questions_lose_their_stopwords_and_gain_synonyms() {
        let q = parse("How many merge requests were merged", &groups());
        let words: Vec<&str> = q.concepts.iter().map(|c| c.word.as_str()).collect();
        assert_eq!(words, ["merge", "requests", "merged"]);
        assert_eq!(q.concepts[0].synonyms, ["mr"]);
        assert_eq!(q.concepts[1].synonyms, ["mr"]);
        assert!(q.concepts[2].prefix, "the last word while typing");
        let mr = parse("mr ", &groups());
        assert_eq!(mr.concepts[0].synonyms, ["merg", "request"]);
        assert!(!mr.concepts[0].prefix, "a trailing space ends the word");
        assert_eq!(
            parse("how many", &groups()).concepts.len(),
            2,
            "only stopwords"
        );
    }

    #[test]
    fn filters_are_split_off() {
        let q = parse("group:code_review Tier:Free merge", &groups());
        assert_eq!(
            q.filters,
            [
                ("group".to_string(), "code_review".to_string()),
                ("tier".to_string(), "free".to_string())
            ]
        );
        assert_eq!(q.exact, "merge");
        assert_eq!(
            parse("counts.merge_requests", &groups()).exact,
            "counts.merge_requests"
        );
        assert_eq!(parse("http://x", &groups()).filters, []);
    }
}
