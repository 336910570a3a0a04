//! Ranking: the one algorithm both engines run — here over shards read from tantivy's index,
//! in `static/search.js` over the same shards fetched as files. Every step is mirrored there,
//! in the same order and in f32, so both give the same results (`tests/search.rs` compares
//! them on 300+ queries in node).
//!
//! For each concept of the query (a word, see [`super::query`]) the terms that can stand for
//! it are: its stem and the stems of its synonyms (weight 1); while typing, dictionary terms
//! starting with the last word (at most [`PREFIX_EXPANSIONS`], weight [`PREFIX_WEIGHT`]); and,
//! when neither the word nor a synonym is in the dictionary, words one edit away (two from
//! [`FUZZY_TWO`] characters; a transposition is one edit) in the word's shard or its typo
//! neighbourhood ([`super::near`]; weight [`FUZZY_WEIGHT`]). A document's score for a concept is its best term's: the weight times
//! tantivy's BM25 of that term summed over the fields, each field boosted. Documents are
//! ranked by: naming the query exactly (a key path, event id or action), then how many
//! concepts they cover, then the sum of their concept scores, then catalog order.

use super::near::{near_bucket, near_keys, Near};
use super::query::Query;
use super::shards::{id_key, shard_key, Manifest, Shard};
use super::text::stem;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most dictionary terms the last word expands to while typing.
pub const PREFIX_EXPANSIONS: usize = 64;
/// Weight of a term a prefix of the query's last word stands for.
pub const PREFIX_WEIGHT: f32 = 0.8;
/// Weight of a term a misspelt word stands for.
pub const FUZZY_WEIGHT: f32 = 0.6;
/// Shortest word corrected for one typo.
pub const FUZZY_MIN: usize = 5;
/// Shortest word corrected for two.
pub const FUZZY_TWO: usize = 9;

/// Where shards come from: files (the browser, tests) or the index itself.
pub trait ShardSource {
    /// The shard with this key, if it exists.
    fn shard(&mut self, key: &str) -> Option<Arc<Shard>>;
    /// A typo-neighbourhood bucket (see [`super::near`]).
    fn near(&mut self, bucket: u32) -> Option<Arc<Near>>;
}

/// One ranked definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Position in catalog order (metrics, then events).
    pub ord: u64,
    pub score: f32,
    /// How many of the query's concepts it covers.
    pub coverage: u32,
    /// Its key path, id or action is the query.
    pub exact: bool,
}

/// The ranking and, when a word was corrected, the query as it was probably meant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Results {
    pub ranked: Vec<Ranked>,
    pub suggestion: Option<String>,
}

/// Shards fetched once per query.
struct Shards<'a> {
    src: &'a mut dyn ShardSource,
    cache: BTreeMap<String, Option<Arc<Shard>>>,
    near: BTreeMap<u32, Option<Arc<Near>>>,
}

impl Shards<'_> {
    fn get(&mut self, key: &str) -> Option<Arc<Shard>> {
        if !self.cache.contains_key(key) {
            let s = self.src.shard(key);
            self.cache.insert(key.to_string(), s);
        }
        self.cache[key].clone()
    }

    /// Dictionary words filed under the deletion keys of `word`.
    fn near_words(&mut self, word: &str, buckets: u32) -> Vec<String> {
        let mut out = Vec::new();
        for key in near_keys(word) {
            let b = near_bucket(&key, buckets);
            if !self.near.contains_key(&b) {
                let n = self.src.near(b);
                self.near.insert(b, n);
            }
            if let Some(words) = self.near[&b].as_ref().and_then(|n| n.k.get(&key)) {
                out.extend(words.iter().cloned());
            }
        }
        out
    }

    fn has_term(&mut self, term: &str) -> bool {
        self.get(&shard_key(term))
            .is_some_and(|s| s.t.contains_key(term))
    }
}

/// Optimal string alignment distance (a transposition of neighbours is one edit), by
/// characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The terms standing for one concept, with their weights, and the corrected word if a typo
/// was matched.
fn alternatives(
    c: &super::query::Concept,
    m: &Manifest,
    shards: &mut Shards,
) -> (Vec<(String, f32)>, Option<String>) {
    let mut alts: Vec<(String, f32)> = Vec::new();
    let add = |alts: &mut Vec<(String, f32)>, term: String, weight: f32| match alts
        .iter_mut()
        .find(|(t, _)| *t == term)
    {
        Some(a) => a.1 = a.1.max(weight),
        None => alts.push((term, weight)),
    };
    let mut direct = false;
    for t in std::iter::once(&c.stem).chain(&c.synonyms) {
        if shards.has_term(t) {
            direct = true;
            add(&mut alts, t.clone(), 1.0);
        }
    }
    let home = shards.get(&shard_key(&c.word));
    if c.prefix {
        if let Some(s) = &home {
            let starts = |t: &str| t.starts_with(&c.word) || t.starts_with(&c.stem);
            let mut found: Vec<String> = s.t.keys().filter(|t| starts(t)).cloned().collect();
            found.extend(
                s.w.iter()
                    .filter(|w| w.starts_with(&c.word))
                    .map(|w| stem(w)),
            );
            found.sort();
            found.dedup();
            for t in found.into_iter().take(m.prefix_expansions) {
                if shards.has_term(&t) {
                    add(&mut alts, t, m.prefix_weight);
                }
            }
        }
    }
    let chars = c.word.chars().count();
    let mut corrected = None;
    if !direct && alts.is_empty() && chars >= m.fuzzy_min {
        let max = if chars >= m.fuzzy_two { 2 } else { 1 };
        let (terms, best) = corrections(&c.word, max, home.as_deref(), m, shards);
        for t in terms {
            add(&mut alts, t, m.fuzzy_weight);
        }
        corrected = best;
    }
    (alts, corrected)
}

/// Terms a misspelt word may stand for (words `max` edits away in its shard and its typo
/// neighbourhood), in vocabulary order, and the closest word.
fn corrections(
    word: &str,
    max: usize,
    home: Option<&Shard>,
    m: &Manifest,
    shards: &mut Shards,
) -> (Vec<String>, Option<String>) {
    let chars = word.chars().count();
    let mut vocabulary: Vec<String> = home
        .iter()
        .flat_map(|s| s.t.keys().chain(s.w.iter()).cloned())
        .collect();
    if m.near > 0 {
        vocabulary.extend(shards.near_words(word, m.near));
    }
    vocabulary.sort();
    vocabulary.dedup();
    let mut terms = Vec::new();
    let mut best: Option<(usize, String)> = None;
    for v in vocabulary {
        if v.chars().count().abs_diff(chars) > max {
            continue;
        }
        let d = edit_distance(word, &v);
        if d == 0 || d > max {
            continue;
        }
        let term = stem(&v);
        if shards.has_term(&term) {
            terms.push(term);
            if best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, v));
            }
        }
    }
    (terms, best.map(|(_, v)| v))
}

/// A term's score per document (BM25 summed over the fields, each boosted), times `weight`.
fn term_scores(term: &str, weight: f32, m: &Manifest, shards: &mut Shards) -> BTreeMap<u64, f32> {
    let mut scores: BTreeMap<u64, f32> = BTreeMap::new();
    let Some(s) = shards.get(&shard_key(term)) else {
        return scores;
    };
    let Some(by_field) = s.t.get(term) else {
        return scores;
    };
    for (fi, boost) in m.boosts.iter().enumerate() {
        let Some(p) = by_field.get(&fi) else { continue };
        let w = p.w * boost;
        let mut ord = 0;
        for j in 0..p.d.len() {
            ord += p.d[j];
            let tf = p.tf[j] as f32;
            let sc = w * (tf / (tf + m.norms[fi][p.fieldnorm[j] as usize]));
            *scores.entry(ord).or_default() += sc;
        }
    }
    for v in scores.values_mut() {
        *v *= weight;
    }
    scores
}

/// Rank the documents for a parsed query.
pub fn rank(q: &Query, m: &Manifest, src: &mut dyn ShardSource, limit: usize) -> Results {
    let mut shards = Shards {
        src,
        cache: BTreeMap::new(),
        near: BTreeMap::new(),
    };
    let mut total: BTreeMap<u64, (f32, u32)> = BTreeMap::new();
    let mut corrections: Vec<(String, String)> = Vec::new();
    for c in &q.concepts {
        let (alts, corrected) = alternatives(c, m, &mut shards);
        if let Some(v) = corrected {
            corrections.push((c.word.clone(), v));
        }
        let mut best: BTreeMap<u64, f32> = BTreeMap::new();
        for (term, weight) in &alts {
            for (ord, s) in term_scores(term, *weight, m, &mut shards) {
                let e = best.entry(ord).or_default();
                *e = e.max(s);
            }
        }
        for (ord, s) in best {
            let e = total.entry(ord).or_default();
            e.0 += s;
            if s > 0.0 {
                e.1 += 1;
            }
        }
    }
    let exact: Vec<u64> = if q.exact.is_empty() {
        Vec::new()
    } else {
        shards
            .get(&id_key(&q.exact))
            .and_then(|s| s.i.get(&q.exact).cloned())
            .unwrap_or_default()
    };
    for &ord in &exact {
        total.entry(ord).or_default();
    }
    let mut ranked: Vec<Ranked> = total
        .into_iter()
        .map(|(ord, (score, coverage))| Ranked {
            ord,
            score,
            coverage,
            exact: exact.contains(&ord),
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.exact
            .cmp(&a.exact)
            .then(b.coverage.cmp(&a.coverage))
            .then(b.score.total_cmp(&a.score))
            .then(a.ord.cmp(&b.ord))
    });
    ranked.truncate(limit);
    Results {
        ranked,
        suggestion: suggestion(q, &corrections),
    }
}

/// The query's words with each corrected one replaced, when any was.
fn suggestion(q: &Query, corrections: &[(String, String)]) -> Option<String> {
    if corrections.is_empty() {
        return None;
    }
    let words: Vec<String> = super::text::words(&q.exact)
        .into_iter()
        .map(|w| {
            corrections
                .iter()
                .find(|(from, _)| *from == w)
                .map_or(w, |(_, to)| to.clone())
        })
        .collect();
    Some(words.join(" "))
}
