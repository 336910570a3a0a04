//! Typo neighbourhoods: which dictionary words a misspelt word may have meant, even when the
//! typo is in its first three characters (where the shard key comes from, so the word's own
//! shard cannot hold the answer: `mrege` is filed under `mre`, `merge` under `mer`).
//!
//! Each word of four or more ASCII letters is filed under its *deletion keys*: its first four
//! letters with one of them deleted (`merg` → `erg`, `mrg`, `meg`, `mer`). Two words one edit
//! apart (insertion, deletion, substitution or transposition) share a key, wherever the edit
//! is (the symmetric-delete idea of SymSpell, applied to the first four letters). Keys are
//! hashed into a few buckets, one file each, so a typo costs at most four small fetches.

use super::index::Fields;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tantivy::Searcher;

/// One bucket: deletion keys and the words filed under them.
#[derive(Debug, Default, Serialize, Deserialize, Clone, PartialEq)]
pub struct Near {
    pub k: BTreeMap<String, Vec<String>>,
}

/// Letters of a word's head that deletion keys are made from.
const HEAD: usize = 4;

/// A word's deletion keys (none unless it is four or more ASCII letters), sorted.
pub fn near_keys(word: &str) -> Vec<String> {
    if word.len() < HEAD || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let head = &word.as_bytes()[..HEAD];
    let mut keys: Vec<String> = (0..HEAD)
        .map(|i| {
            let mut k = head.to_vec();
            k.remove(i);
            String::from_utf8(k).expect("ASCII")
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// How many buckets an index of `docs` definitions gets (a power of two, 16–4,096): about
/// one per 40 definitions keeps a bucket near 2 KB gzip.
pub fn near_bucket_count(docs: u64) -> u32 {
    ((docs / 40).max(1).next_power_of_two() as u32).clamp(16, 4096)
}

/// The bucket a key is in: FNV-1a (32-bit) of its bytes, modulo the bucket count.
pub fn near_bucket(key: &str, buckets: u32) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % buckets.max(1)
}

/// A bucket's site-relative file.
pub fn near_path(bucket: u32) -> String {
    format!("{}/near/{bucket}.json", super::shards::SHARD_DIR)
}

/// Every bucket of an index: its stems and words as written, filed under their keys.
pub fn near_buckets(searcher: &Searcher, f: &Fields, buckets: u32) -> tantivy::Result<Vec<Near>> {
    let mut vocabulary = BTreeSet::new();
    for field in f.text.iter().copied().chain([f.raw]) {
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(field)?;
            let mut stream = inv.terms().stream()?;
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    if term.len() >= HEAD && term.bytes().all(|b| b.is_ascii_lowercase()) {
                        vocabulary.insert(term.to_string());
                    }
                }
            }
        }
    }
    let mut out = vec![Near::default(); buckets as usize];
    for word in vocabulary {
        for key in near_keys(&word) {
            let b = near_bucket(&key, buckets) as usize;
            out[b].k.entry(key).or_default().push(word.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares_a_key(a: &str, b: &str) -> bool {
        let ka = near_keys(a);
        near_keys(b).iter().any(|k| ka.contains(k))
    }

    #[test]
    fn one_edit_anywhere_shares_a_key() {
        for typo in [
            "mrege", "emrge", "nerge", "erge", "xmerge", "meerge", "mereg", "merg", "mergee",
        ] {
            assert!(shares_a_key("merge", typo), "{typo}");
        }
        assert!(!shares_a_key("merge", "issue"));
        assert_eq!(near_keys("merge"), ["erg", "meg", "mer", "mrg"]);
        assert!(near_keys("mr").is_empty() && near_keys("café").is_empty());
    }

    #[test]
    fn buckets_are_stable() {
        // static/search.js computes the same hash; these pin it.
        assert_eq!(near_bucket("", 1 << 31), 0x811c_9dc5 % (1 << 31));
        assert_eq!(near_bucket("a", 1000), 0xe40c_292c % 1000);
        assert_eq!(near_bucket_count(320), 16);
        assert_eq!(near_bucket_count(10_000), 256);
        assert_eq!(near_bucket_count(100_000), 4096);
    }
}
