//! Search: one index, one ranking, two deliveries.
//!
//! At build time tantivy indexes every metric and event ([`index`]), its words stemmed as
//! [`text`] does. The CLI (`metricdict search`) and the dev server (`/api/search`) rank with
//! [`Engine`], reading terms, postings and BM25 weights straight from the index; for static
//! hosting the same index is cut into shards ([`shards`]) that `static/search.js` fetches on
//! demand and ranks with the same algorithm ([`rank`]) in the same f32 arithmetic, so the
//! browser gives the CLI's results. Queries are parsed alike on both sides ([`query`]): field
//! filters, stopwords, synonyms (built-in [`BUILTIN_SYNONYMS`] plus the dictionary's
//! `synonyms.yml`), prefixes while typing, typos.

pub mod index;
pub mod near;
pub mod query;
pub mod rank;
pub mod shards;
pub mod text;

pub use index::{fingerprint, index_in_ram, write_index};
pub use shards::{Manifest, Shard, ShardFiles};

use crate::model::catalog::Catalog;
use near::{near_buckets, near_path, Near};
use rank::ShardSource;
use serde::Serialize;
pub use shards::SHARD_DIR;
use shards::{all_keys, manifest, norm_cache, shard_of};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tantivy::schema::Value as _;
use tantivy::{Index, IndexReader, TantivyDocument};

pub use crate::model::layout::SEARCH_INDEX_DIR as INDEX_DIR;

/// Most results one query returns.
pub const MAX_LIMIT: usize = 1000;
/// Longest query, in characters: a question fits many times over; a pasted document does not.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Most distinct words in a query (each is a set of term lookups in every field).
pub const MAX_QUERY_TERMS: usize = 32;

/// Searchable fields and their boosts: identifier, description, everything else.
pub const FIELDS: [(&str, f32); 3] = [("name", 3.0), ("description", 1.0), ("facets", 0.5)];

/// GitLab's common abbreviations and synonyms (`mr` for merge request, `sm` for self-managed).
pub const BUILTIN_SYNONYMS: &str = include_str!("synonyms.yml");

/// The built-in synonym groups.
pub fn builtin_synonyms() -> Vec<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct File {
        synonyms: Vec<Vec<String>>,
    }
    let file: File =
        crate::load::parse::read_typed(BUILTIN_SYNONYMS).expect("built-in synonyms are valid");
    file.synonyms
}

/// The synonym groups a catalog is searched with: the built-in ones and its own.
pub fn synonyms_of(catalog: &Catalog) -> Vec<Vec<String>> {
    let mut all = builtin_synonyms();
    all.extend(catalog.register.synonyms.iter().cloned());
    all
}

/// Why a query was not run.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("limit must be between 1 and {MAX_LIMIT}, got {0}")]
    Limit(usize),
    #[error("the query is {0} characters long; at most {MAX_QUERY_CHARS} are searched")]
    TooLong(usize),
    #[error("the query has {0} different words; at most {MAX_QUERY_TERMS} are searched")]
    TooManyWords(usize),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// One search hit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub key: String,
    pub kind: String,
    pub score: f32,
    /// How many of the query's words it covers.
    pub coverage: u32,
    /// Its key path, id or action is the query.
    pub exact: bool,
    /// Position in catalog order (metrics, then events).
    #[serde(skip)]
    pub ord: u64,
}

/// Hits and, when a word was corrected, the query as it was probably meant.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// What the engine knows of each document besides its terms.
struct Stored {
    key: String,
    kind: String,
    filters: Vec<(String, String)>,
}

/// A searchable index: tantivy's, with what ranking needs (norms, synonym groups).
pub struct Engine {
    index: Index,
    reader: IndexReader,
    manifest: Manifest,
    docs: std::sync::OnceLock<Vec<Stored>>,
    /// Typo-neighbourhood buckets, made the first time a query needs one.
    near: std::sync::OnceLock<Vec<Arc<Near>>>,
}

/// Shards read from the index as they are asked for.
struct IndexShards<'a> {
    engine: &'a Engine,
}

impl ShardSource for IndexShards<'_> {
    fn shard(&mut self, key: &str) -> Option<Arc<Shard>> {
        let searcher = self.engine.reader.searcher();
        let f = index::fields_of(&self.engine.index).ok()?;
        let s = shard_of(&searcher, &f, &self.engine.manifest.norms, key).ok()?;
        let empty = s.t.is_empty() && s.w.is_empty() && s.i.is_empty();
        (!empty).then(|| Arc::new(s))
    }

    fn near(&mut self, bucket: u32) -> Option<Arc<Near>> {
        self.engine
            .near_buckets()
            .ok()?
            .get(bucket as usize)
            .cloned()
    }
}

impl Engine {
    /// An engine over an index, with the synonym groups it was built with.
    pub fn new(index: Index, metrics: usize, synonyms: &[Vec<String>]) -> tantivy::Result<Engine> {
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let f = index::fields_of(&index)?;
        let docs_n = searcher.num_docs();
        let mut norms = Vec::new();
        for &field in &f.text {
            let mut tokens = 0;
            for seg in searcher.segment_readers() {
                tokens += seg.inverted_index(field)?.total_num_tokens();
            }
            norms.push(norm_cache(tokens as f32 / docs_n.max(1) as f32));
        }
        let manifest = manifest(norms, docs_n, metrics, synonyms, Vec::new());
        drop(searcher);
        Ok(Engine {
            index,
            reader,
            manifest,
            docs: std::sync::OnceLock::new(),
            near: std::sync::OnceLock::new(),
        })
    }

    /// What each document holds besides its terms, in ord order: read from the index's
    /// store the first time a search needs it (exporting the shards never does).
    fn docs(&self) -> tantivy::Result<&[Stored]> {
        if let Some(d) = self.docs.get() {
            return Ok(d);
        }
        let searcher = self.reader.searcher();
        let f = index::fields_of(&self.index)?;
        let docs_n = searcher.num_docs();
        let mut docs: Vec<(u64, Stored)> = Vec::with_capacity(docs_n as usize);
        for seg in searcher.segment_readers() {
            let store = seg.get_store_reader(64)?;
            for doc in 0..seg.max_doc() {
                let d: TantivyDocument = store.get(doc)?;
                let text = |field| {
                    d.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let ord = d
                    .get_first(f.ord)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default();
                let filters = text(f.filters)
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_lowercase()))
                    .collect();
                docs.push((
                    ord,
                    Stored {
                        key: text(f.key),
                        kind: text(f.kind),
                        filters,
                    },
                ));
            }
        }
        docs.sort_by_key(|(o, _)| *o);
        let made = docs.into_iter().map(|(_, s)| s).collect();
        Ok(self.docs.get_or_init(|| made))
    }

    fn near_buckets(&self) -> tantivy::Result<&Vec<Arc<Near>>> {
        if let Some(n) = self.near.get() {
            return Ok(n);
        }
        let f = index::fields_of(&self.index)?;
        let made = near_buckets(&self.reader.searcher(), &f, self.manifest.near)?;
        Ok(self
            .near
            .get_or_init(|| made.into_iter().map(Arc::new).collect()))
    }

    /// The engine of a built site's index (its manifest says how it was built).
    pub fn open(site: &Path) -> Result<Engine, QueryError> {
        let index = Index::open_in_dir(site.join(INDEX_DIR))?;
        index::register_tokenizers(&index);
        let manifest: Option<Manifest> = std::fs::read(site.join(SHARD_DIR).join("manifest.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let mut engine = Engine::new(index, 0, &[])?;
        if let Some(m) = manifest {
            engine.manifest.synonyms = m.synonyms;
            engine.manifest.metrics = m.metrics;
        }
        Ok(engine)
    }

    /// Search: at most `limit` hits, best first.
    pub fn search(&self, query: &str, limit: usize) -> Result<Found, QueryError> {
        if limit == 0 || limit > MAX_LIMIT {
            return Err(QueryError::Limit(limit));
        }
        let chars = query.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong(chars));
        }
        let q = query::parse(query, &self.manifest.synonyms);
        if q.concepts.len() > MAX_QUERY_TERMS {
            return Err(QueryError::TooManyWords(q.concepts.len()));
        }
        let mut src = IndexShards { engine: self };
        let docs = self.docs()?;
        let mut all = rank::rank(&q, &self.manifest, &mut src, docs.len().max(1));
        if q.concepts.is_empty() && q.exact.is_empty() {
            // Only filters: every definition they let through, in catalog order.
            all.ranked = (0..docs.len() as u64)
                .map(|ord| rank::Ranked {
                    ord,
                    score: 0.0,
                    coverage: 0,
                    exact: false,
                })
                .collect();
        }
        let passes = |d: &Stored| {
            q.filters
                .iter()
                .all(|(k, v)| d.filters.iter().any(|(dk, dv)| dk == k && dv == v))
        };
        let hits = all
            .ranked
            .into_iter()
            .filter_map(|r| {
                let d = docs.get(r.ord as usize)?;
                passes(d).then(|| Hit {
                    key: d.key.clone(),
                    kind: d.kind.clone(),
                    score: r.score,
                    coverage: r.coverage,
                    exact: r.exact,
                    ord: r.ord,
                })
            })
            .take(limit)
            .collect();
        Ok(Found {
            hits,
            suggestion: all.suggestion,
        })
    }
}

/// Search a built site's index.
pub fn search(site: &Path, query: &str, limit: usize) -> Result<Found, QueryError> {
    Engine::open(site)?.search(query, limit)
}

/// Export the index as static shards: the manifest and the shard files.
pub fn export_shards(
    index: &Index,
    metrics: usize,
    synonyms: &[Vec<String>],
) -> tantivy::Result<(Manifest, ShardFiles)> {
    let engine = Engine::new(index.clone(), metrics, synonyms)?;
    let searcher = engine.reader.searcher();
    let f = index::fields_of(index)?;
    let keys = all_keys(&searcher, &f)?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for key in &keys {
        let shard = shard_of(&searcher, &f, &engine.manifest.norms, key)?;
        files.insert(
            format!("{SHARD_DIR}/{key}.json"),
            serde_json::to_vec(&shard).expect("shard serialises"),
        );
    }
    for (b, near) in engine.near_buckets()?.iter().enumerate() {
        files.insert(
            near_path(b as u32),
            serde_json::to_vec(&**near).expect("bucket serialises"),
        );
    }
    let mut m = engine.manifest.clone();
    m.shards = keys.into_iter().collect();
    let mut files: ShardFiles = files.into_iter().collect();
    files.push((
        format!("{SHARD_DIR}/manifest.json"),
        serde_json::to_vec(&m).expect("manifest serialises"),
    ));
    Ok((m, files))
}

/// Shards read from a built site's files (what the browser fetches), for tests and tools.
pub struct FileShards<'a> {
    pub site: &'a Path,
}

impl ShardSource for FileShards<'_> {
    fn shard(&mut self, key: &str) -> Option<Arc<Shard>> {
        let bytes = std::fs::read(self.site.join(SHARD_DIR).join(format!("{key}.json"))).ok()?;
        serde_json::from_slice(&bytes).ok().map(Arc::new)
    }

    fn near(&mut self, bucket: u32) -> Option<Arc<Near>> {
        let bytes = std::fs::read(self.site.join(near_path(bucket))).ok()?;
        serde_json::from_slice(&bytes).ok().map(Arc::new)
    }
}
