//! The index cut into shards by the first three characters of a term: what the browser
//! fetches, a few kilobytes per query word, and what the Rust engine reads straight from
//! tantivy's term dictionary (one code path: [`shard_of`]).

use super::index::Fields;
use super::query::{phrase_stems, StemGroups, PREFIX_MIN};
use super::rank::{FUZZY_MIN, FUZZY_TWO, FUZZY_WEIGHT, PREFIX_EXPANSIONS, PREFIX_WEIGHT};
use super::text::{first_word, stem, STOPWORDS};
use super::FIELDS;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tantivy::columnar::Column;
use tantivy::postings::Postings;
use tantivy::query::Bm25Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, Term, TERMINATED};

pub use crate::model::layout::SHARD_DIR;

/// Postings of one term in one field: BM25 weight (idf·(1+k1), f32) and per document its
/// ord (delta-encoded), term frequency and fieldnorm id.
#[derive(Debug, Default, Serialize, Deserialize, Clone, PartialEq)]
pub struct ShardPostings {
    pub w: f32,
    /// Ords, each the difference from the previous one.
    pub d: Vec<u64>,
    pub tf: Vec<u32>,
    #[serde(rename = "fn")]
    pub fieldnorm: Vec<u8>,
}

/// Everything under one shard key.
#[derive(Debug, Default, Serialize, Deserialize, Clone, PartialEq)]
pub struct Shard {
    /// Terms (stems) and their postings, by field index.
    pub t: BTreeMap<String, BTreeMap<usize, ShardPostings>>,
    /// Words as written that differ from their stem (for typo matching: `vulnerabilty` is one
    /// edit from `vulnerability`, not from its stem `vulner`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub w: Vec<String>,
    /// Key paths, event ids and actions, lower-cased, and the definitions they name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub i: BTreeMap<String, Vec<u64>>,
}

/// What the browser fetches first: scoring constants, query rules and the list of shards.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Manifest {
    pub fields: Vec<String>,
    pub boosts: Vec<f32>,
    /// Per field, tantivy's BM25 length-normalisation cache (256 entries, by fieldnorm id).
    pub norms: Vec<Vec<f32>>,
    pub docs: u64,
    pub metrics: usize,
    pub prefix_min: usize,
    pub prefix_expansions: usize,
    pub prefix_weight: f32,
    pub fuzzy_weight: f32,
    pub fuzzy_min: usize,
    pub fuzzy_two: usize,
    /// Typo-neighbourhood buckets (`near/0.json` …); 0 in manifests from before them.
    #[serde(default)]
    pub near: u32,
    pub stopwords: Vec<String>,
    /// Synonym groups, each member as its stems.
    pub synonyms: StemGroups,
    /// Keys of the shards that exist.
    pub shards: Vec<String>,
}

/// Shard files as (site-relative path, bytes).
pub type ShardFiles = Vec<(String, Vec<u8>)>;

/// The shard a term lives in: its first three characters (the whole term when shorter),
/// file-name safe (hex of the bytes, after an `x`, when not ASCII letters and digits).
pub fn shard_key(term: &str) -> String {
    let head: String = term.chars().take(PREFIX_MIN).collect();
    if head
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        head
    } else {
        let hex: String = head.bytes().map(|b| format!("{b:02x}")).collect();
        format!("x{hex}")
    }
}

/// The shard an exact id lives in: its first word's.
pub fn id_key(id: &str) -> String {
    shard_key(first_word(id).as_deref().unwrap_or(id))
}

/// The text every term of a shard key starts with.
fn head_of(key: &str) -> String {
    match key.strip_prefix('x') {
        Some(hex) if key.len() > PREFIX_MIN => {
            let bytes: Vec<u8> = (0..hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => key.to_string(),
    }
}

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// tantivy's BM25 length-normalisation cache for one field (see `tantivy::query::bm25`).
pub fn norm_cache(average_fieldnorm: f32) -> Vec<f32> {
    (0..=255u8)
        .map(|id| {
            let fieldnorm = tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm(id) as f32;
            K1 * (1.0 - B + B * fieldnorm / average_fieldnorm)
        })
        .collect()
}

/// tantivy's BM25 term weight, idf · (1 + k1), computed as `tantivy::query::bm25` does (f32,
/// same operations); the export checks it against tantivy's own scores.
pub fn term_weight(doc_freq: u64, docs: u64) -> f32 {
    let x = ((docs - doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln() * (1.0 + K1)
}

/// How a term's shard is found: by its first characters, or (an id) by its first word's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyOf {
    Term,
    Id,
}

impl KeyOf {
    fn key(self, term: &str) -> String {
        match self {
            KeyOf::Term => shard_key(term),
            KeyOf::Id => id_key(term),
        }
    }
}

/// Terms of `field` whose key (`key_of`) is `key`, in dictionary order.
fn terms_of(
    searcher: &Searcher,
    field: Field,
    key: &str,
    key_of: KeyOf,
) -> tantivy::Result<BTreeSet<String>> {
    let head = head_of(key);
    // Not for ids: an id's key is its first word's, and a word too long to count is skipped.
    let whole = key_of == KeyOf::Term
        && key.len() == PREFIX_MIN
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let mut out = BTreeSet::new();
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(field)?;
        let mut stream = inv.terms().range().ge(head.as_bytes()).into_stream()?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if !term.starts_with(&head) {
                break;
            }
            // A full-length key of plain characters is every term it starts (no need to
            // make each term's key: that was most of the export's time in this loop).
            if whole || key_of.key(term) == key {
                out.insert(term.to_string());
            }
        }
    }
    Ok(out)
}

/// Each segment's `ord` column, opened once per shard rather than once per term.
fn ord_columns(searcher: &Searcher) -> tantivy::Result<Vec<Column<u64>>> {
    searcher
        .segment_readers()
        .iter()
        .map(|seg| seg.fast_fields().u64("ord"))
        .collect()
}

/// (ord, term frequency, fieldnorm id) of every document holding `term` in `field`.
fn postings(
    searcher: &Searcher,
    ords: &[Column<u64>],
    field: Field,
    term: &str,
) -> tantivy::Result<Vec<(u64, u32, u8)>> {
    let t = Term::from_field_text(field, term);
    let mut out = Vec::new();
    for (seg, ords) in searcher.segment_readers().iter().zip(ords) {
        let inv = seg.inverted_index(field)?;
        let Some(mut p) = inv.read_postings(&t, IndexRecordOption::WithFreqs)? else {
            continue;
        };
        let norms = seg.get_fieldnorms_reader(field)?;
        let mut doc = p.doc();
        while doc != TERMINATED {
            let ord = ords.first(doc).unwrap_or_default();
            out.push((ord, p.term_freq(), norms.fieldnorm_id(doc)));
            doc = p.advance();
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The shard `key` of an index: its terms with postings in each scored field, its words
/// that differ from their stems, and its exact ids.
pub fn shard_of(
    searcher: &Searcher,
    f: &Fields,
    norms: &[Vec<f32>],
    key: &str,
) -> tantivy::Result<Shard> {
    let docs = searcher.num_docs();
    let ords = ord_columns(searcher)?;
    let mut shard = Shard::default();
    for (fi, &field) in f.text.iter().enumerate() {
        for term in terms_of(searcher, field, key, KeyOf::Term)? {
            let list = postings(searcher, &ords, field, &term)?;
            let Some(&(_, tf, fnid)) = list.first() else {
                continue;
            };
            let w = term_weight(list.len() as u64, docs);
            // Guard the reproduction of tantivy's arithmetic against its own scorer.
            let bm25 = Bm25Weight::for_terms(searcher, &[Term::from_field_text(field, &term)])?;
            let tf_f = tf as f32;
            let ours = w * (tf_f / (tf_f + norms[fi][fnid as usize]));
            if ours != bm25.score(fnid, tf) {
                return Err(tantivy::TantivyError::InternalError(format!(
                    "static BM25 differs from tantivy for {term:?}: {ours} vs {}",
                    bm25.score(fnid, tf)
                )));
            }
            let mut sp = ShardPostings {
                w,
                ..Default::default()
            };
            let mut prev = 0;
            for (ord, tf, fnid) in list {
                sp.d.push(ord - prev);
                prev = ord;
                sp.tf.push(tf);
                sp.fieldnorm.push(fnid);
            }
            shard.t.entry(term).or_default().insert(fi, sp);
        }
    }
    shard.w = terms_of(searcher, f.raw, key, KeyOf::Term)?
        .into_iter()
        .filter(|w| stem(w) != *w)
        .collect();
    for id in terms_of(searcher, f.id, key, KeyOf::Id)? {
        let list = postings(searcher, &ords, f.id, &id)?;
        shard
            .i
            .insert(id, list.into_iter().map(|(o, _, _)| o).collect());
    }
    Ok(shard)
}

/// Every shard key the index has: of its terms, words and ids.
pub fn all_keys(searcher: &Searcher, f: &Fields) -> tantivy::Result<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    let fields = f.text.iter().copied().chain([f.raw]);
    for field in fields {
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(field)?;
            let mut stream = inv.terms().stream()?;
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    keys.insert(shard_key(term));
                }
            }
        }
    }
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(f.id)?;
        let mut stream = inv.terms().stream()?;
        while stream.advance() {
            if let Ok(term) = std::str::from_utf8(stream.key()) {
                keys.insert(id_key(term));
            }
        }
    }
    Ok(keys)
}

/// The manifest for an index with these norms and synonym groups.
pub fn manifest(
    norms: Vec<Vec<f32>>,
    docs: u64,
    metrics: usize,
    synonyms: &[Vec<String>],
    shards: Vec<String>,
) -> Manifest {
    Manifest {
        fields: FIELDS.iter().map(|(n, _)| n.to_string()).collect(),
        boosts: FIELDS.iter().map(|(_, b)| *b).collect(),
        norms,
        docs,
        metrics,
        prefix_min: PREFIX_MIN,
        prefix_expansions: PREFIX_EXPANSIONS,
        prefix_weight: PREFIX_WEIGHT,
        fuzzy_weight: FUZZY_WEIGHT,
        fuzzy_min: FUZZY_MIN,
        fuzzy_two: FUZZY_TWO,
        near: super::near::near_bucket_count(docs),
        stopwords: STOPWORDS.iter().map(|s| s.to_string()).collect(),
        synonyms: synonyms
            .iter()
            .map(|g| g.iter().map(|m| phrase_stems(m)).collect())
            .collect(),
        shards,
    }
}
