//! Search: one tantivy index, two deliveries.
//!
//! At build time tantivy indexes every metric and event. The CLI and the dev server query it
//! directly. For static hosting, the same index's term dictionary, postings and BM25 statistics
//! are exported as small shards (by the first three characters of a term) that
//! `static/search.js` fetches on demand and scores with tantivy's own BM25 arithmetic (f32,
//! same order of operations), so the browser ranks exactly as tantivy does.
//!
//! Query semantics, shared by both: the query is tokenized like the indexed text (split on
//! anything not alphanumeric, lower-cased); every token must match (AND) in any field (OR),
//! scored by BM25 with field boosts; the last token, when the query does not end in a space and
//! it has at least [`PREFIX_MIN`] characters, also matches as a prefix (up to
//! [`PREFIX_EXPANSIONS`] terms per field, in dictionary order), as users type.

use crate::model::catalog::Catalog;
use crate::model::record::{EventRecord, MetricRecord};
use crate::text::plain_text;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tantivy::collector::TopDocs;
use tantivy::postings::Postings;
use tantivy::query::{Bm25Weight, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, Value as _, FAST, STORED, STRING, TEXT};
use tantivy::{doc, DocSet, Index, IndexReader, Searcher, TantivyDocument, Term, TERMINATED};

pub use crate::model::layout::{SEARCH_INDEX_DIR as INDEX_DIR, SHARD_DIR};
/// Shortest last token that also matches as a prefix.
pub const PREFIX_MIN: usize = 3;
/// Most dictionary terms one prefix expands to, per field.
pub const PREFIX_EXPANSIONS: usize = 64;
/// Most results one query returns.
pub const MAX_LIMIT: usize = 1000;
/// Longest query, in characters: a question fits many times over; a pasted document does not.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Most distinct words in a query (each is a set of term lookups in every field).
pub const MAX_QUERY_TERMS: usize = 32;

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

/// Searchable fields and their boosts: identifier, description, everything else.
pub const FIELDS: [(&str, f32); 3] = [("name", 3.0), ("description", 1.0), ("facets", 0.5)];

struct Fields {
    key: Field,
    kind: Field,
    ord: Field,
    text: [Field; 3],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let key = b.add_text_field("key", STRING | STORED);
    let kind = b.add_text_field("kind", STRING | STORED);
    let ord = b.add_u64_field("ord", FAST | STORED);
    // The default tokenizer splits on anything not alphanumeric, so `counts.merge_requests`
    // is indexed as `counts`, `merge`, `requests`: key-path fragments match.
    let text = FIELDS.map(|(name, _)| b.add_text_field(name, TEXT));
    (
        b.build(),
        Fields {
            key,
            kind,
            ord,
            text,
        },
    )
}

fn fields_of(index: &Index) -> tantivy::Result<Fields> {
    let s = index.schema();
    let text = [
        s.get_field("name")?,
        s.get_field("description")?,
        s.get_field("facets")?,
    ];
    Ok(Fields {
        key: s.get_field("key")?,
        kind: s.get_field("kind")?,
        ord: s.get_field("ord")?,
        text,
    })
}

/// The text of each searchable field for every definition, metrics first (catalog order):
/// a definition's position here is its `ord`, the number the browser maps back to a table row.
fn documents(catalog: &Catalog) -> Vec<(String, &'static str, [String; 3])> {
    let mut docs = Vec::with_capacity(catalog.metrics.len() + catalog.events.len());
    for i in 0..catalog.metrics.len() {
        let r = MetricRecord::of(catalog, i, "");
        let facets = [
            r.product_group.as_deref().unwrap_or(""),
            r.data_category,
            r.status,
            &r.tiers.join(" "),
            r.data_source.as_deref().unwrap_or(""),
            &r.time_frame.join(" "),
            &r.performance_indicator_type.join(" "),
            &r.product_categories.join(" "),
            r.value_type.as_deref().unwrap_or(""),
        ]
        .join(" ");
        let name = r.key_path.to_string();
        docs.push((
            name.clone(),
            "metric",
            [name, plain_text(r.description), facets],
        ));
    }
    for i in 0..catalog.events.len() {
        let r = EventRecord::of(catalog, i, "");
        let props: Vec<&str> = r.additional_properties.iter().map(|p| p.name).collect();
        let facets = [
            r.product_group.as_deref().unwrap_or(""),
            &r.category,
            r.status,
            &r.tiers.join(" "),
            &r.identifiers.join(" "),
            r.classification.as_deref().unwrap_or(""),
            &props.join(" "),
            &r.product_categories.join(" "),
            r.service_name,
        ]
        .join(" ");
        docs.push((
            r.id.clone(),
            "event",
            [r.id.clone(), plain_text(r.description), facets],
        ));
    }
    docs
}

/// A hash of everything the index holds: equal fingerprints mean the index and its shards can be
/// reused as they are.
pub fn fingerprint(catalog: &Catalog) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for doc in documents(catalog) {
        doc.hash(&mut h);
    }
    h.finish()
}

fn fill(index: &Index, catalog: &Catalog) -> tantivy::Result<()> {
    let f = fields_of(index)?;
    // One thread and a large budget: one segment, documents in catalog order.
    let mut writer = index.writer_with_num_threads(1, 200_000_000)?;
    for (ord, (key, kind, [name, description, facets])) in
        documents(catalog).into_iter().enumerate()
    {
        writer.add_document(doc!(
            f.key => key, f.kind => kind, f.ord => ord as u64,
            f.text[0] => name, f.text[1] => description, f.text[2] => facets,
        ))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// Index every metric and event into `dir` (created).
pub fn write_index(catalog: &Catalog, dir: &Path) -> tantivy::Result<Index> {
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema().0)?;
    fill(&index, catalog)?;
    Ok(index)
}

/// Index in memory (the dev server and tests).
pub fn index_in_ram(catalog: &Catalog) -> tantivy::Result<Index> {
    let index = Index::create_in_ram(schema().0);
    fill(&index, catalog)?;
    Ok(index)
}

/// Open the index of a built site.
pub fn open(site: &Path) -> tantivy::Result<Index> {
    Index::open_in_dir(site.join(INDEX_DIR))
}

/// One search hit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub key: String,
    pub kind: String,
    pub score: f32,
    /// Position in catalog order (metrics, then events).
    #[serde(skip)]
    pub ord: u64,
}

/// A query as both engines understand it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedQuery {
    pub tokens: Vec<String>,
    /// The last token also matches as a prefix.
    pub prefix_last: bool,
}

/// Tokenize a query exactly like the indexed text.
pub fn parse_query(index: &Index, q: &str) -> ParsedQuery {
    let mut analyzer = index
        .tokenizers()
        .get("default")
        .expect("default tokenizer");
    let mut stream = analyzer.token_stream(q);
    let mut tokens: Vec<String> = Vec::new();
    while stream.advance() {
        let t = stream.token().text.clone();
        if !tokens.contains(&t) {
            tokens.push(t);
        }
    }
    let ends_open = q.chars().last().is_some_and(char::is_alphanumeric);
    let prefix_last = ends_open
        && tokens
            .last()
            .is_some_and(|t| t.chars().count() >= PREFIX_MIN);
    ParsedQuery {
        tokens,
        prefix_last,
    }
}

/// Dictionary terms of `field` starting with `prefix`, in order, at most [`PREFIX_EXPANSIONS`].
fn expand(searcher: &Searcher, field: Field, prefix: &str) -> tantivy::Result<Vec<String>> {
    let mut found = std::collections::BTreeSet::new();
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(field)?;
        let mut stream = inv.terms().range().ge(prefix.as_bytes()).into_stream()?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if !term.starts_with(prefix) {
                break;
            }
            found.insert(term.to_string());
        }
    }
    Ok(found.into_iter().take(PREFIX_EXPANSIONS).collect())
}

fn tantivy_query(
    index: &Index,
    searcher: &Searcher,
    q: &ParsedQuery,
) -> tantivy::Result<Option<Box<dyn Query>>> {
    if q.tokens.is_empty() {
        return Ok(None);
    }
    let f = fields_of(index)?;
    let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (i, token) in q.tokens.iter().enumerate() {
        let prefix = q.prefix_last && i + 1 == q.tokens.len();
        let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (fi, (_, boost)) in FIELDS.iter().enumerate() {
            let terms = if prefix {
                expand(searcher, f.text[fi], token)?
            } else {
                vec![token.clone()]
            };
            for t in terms {
                let tq = TermQuery::new(
                    Term::from_field_text(f.text[fi], &t),
                    IndexRecordOption::WithFreqs,
                );
                shoulds.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(tq), *boost)),
                ));
            }
        }
        musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
    }
    Ok(Some(Box::new(BooleanQuery::new(musts))))
}

/// Search with tantivy: the ranking the static shards reproduce.
pub fn search_index(
    index: &Index,
    reader: &IndexReader,
    query: &str,
    limit: usize,
) -> Result<Vec<Hit>, QueryError> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(QueryError::Limit(limit));
    }
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(chars));
    }
    let searcher = reader.searcher();
    let parsed = parse_query(index, query);
    if parsed.tokens.len() > MAX_QUERY_TERMS {
        return Err(QueryError::TooManyWords(parsed.tokens.len()));
    }
    let Some(q) = tantivy_query(index, &searcher, &parsed)? else {
        return Ok(Vec::new());
    };
    let f = fields_of(index)?;
    let top = searcher.search(&q, &TopDocs::with_limit(limit).order_by_score())?;
    let mut hits = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let d: TantivyDocument = searcher.doc(addr)?;
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
        hits.push(Hit {
            key: text(f.key),
            kind: text(f.kind),
            score,
            ord,
        });
    }
    Ok(hits)
}

/// Search a built site's index.
pub fn search(site: &Path, query: &str, limit: usize) -> Result<Vec<Hit>, QueryError> {
    let index = open(site)?;
    let reader = index.reader()?;
    search_index(&index, &reader, query, limit)
}

// ---- static shards ----

/// Postings of one term in one field: BM25 weight (idf·(1+k1), f32) and per document its
/// ord (delta-encoded), term frequency and fieldnorm id.
#[derive(Debug, Default, Serialize, serde::Deserialize, Clone)]
pub struct ShardPostings {
    pub w: f32,
    /// Ords, each the difference from the previous one.
    pub d: Vec<u64>,
    pub tf: Vec<u32>,
    #[serde(rename = "fn")]
    pub fieldnorm: Vec<u8>,
}

/// One shard: every term sharing a shard key, by field index.
pub type Shard = BTreeMap<String, BTreeMap<usize, ShardPostings>>;

/// What the browser fetches first: scoring constants and the list of shards.
#[derive(Debug, Serialize, serde::Deserialize, Clone)]
pub struct Manifest {
    pub fields: Vec<String>,
    pub boosts: Vec<f32>,
    /// Per field, tantivy's BM25 length-normalisation cache (256 entries, by fieldnorm id).
    pub norms: Vec<Vec<f32>>,
    pub docs: u64,
    pub metrics: usize,
    pub prefix_min: usize,
    pub prefix_expansions: usize,
    /// Keys of the shards that exist.
    pub shards: Vec<String>,
}

/// Shard files as (site-relative path, bytes).
pub type ShardFiles = Vec<(String, Vec<u8>)>;

/// The shard a term lives in: its first three characters (the whole term when shorter),
/// file-name safe.
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

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// tantivy's BM25 length-normalisation cache for one field (see `tantivy::query::bm25`).
fn norm_cache(average_fieldnorm: f32) -> Vec<f32> {
    (0..=255u8)
        .map(|id| {
            let fieldnorm = tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm(id) as f32;
            K1 * (1.0 - B + B * fieldnorm / average_fieldnorm)
        })
        .collect()
}

/// Every term of a field with its postings (ord, term frequency, fieldnorm id), across
/// segments, and the field's total number of tokens.
#[allow(clippy::type_complexity)]
fn field_postings(
    searcher: &Searcher,
    field: Field,
) -> tantivy::Result<(u64, BTreeMap<String, Vec<(u64, u32, u8)>>)> {
    let mut tokens: u64 = 0;
    let mut postings: BTreeMap<String, Vec<(u64, u32, u8)>> = BTreeMap::new();
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(field)?;
        tokens += inv.total_num_tokens();
        let norms_reader = seg.get_fieldnorms_reader(field)?;
        let ords = seg.fast_fields().u64("ord")?;
        let mut stream = inv.terms().stream()?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let mut p =
                inv.read_postings_from_terminfo(stream.value(), IndexRecordOption::WithFreqs)?;
            let list = postings.entry(term.to_string()).or_default();
            let mut doc = p.doc();
            while doc != TERMINATED {
                let ord = ords.first(doc).unwrap_or_default();
                list.push((ord, p.term_freq(), norms_reader.fieldnorm_id(doc)));
                doc = p.advance();
            }
        }
    }
    Ok((tokens, postings))
}

/// Export the index as static shards: the manifest and the shard files.
pub fn export_shards(index: &Index, metrics: usize) -> tantivy::Result<(Manifest, ShardFiles)> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let f = fields_of(index)?;
    let total_docs = searcher.num_docs();
    let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
    let mut norms = Vec::new();
    for (fi, &field) in f.text.iter().enumerate() {
        let (tokens, postings) = field_postings(&searcher, field)?;
        let average = tokens as f32 / total_docs.max(1) as f32;
        norms.push(norm_cache(average));
        for (term, mut list) in postings {
            list.sort_unstable();
            let w = term_weight(list.len() as u64, total_docs);
            // Guard the reproduction of tantivy's arithmetic against its own scorer.
            let bm25 = Bm25Weight::for_terms(&searcher, &[Term::from_field_text(field, &term)])?;
            let (_, tf, fnid) = list[0];
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
            shards
                .entry(shard_key(&term))
                .or_default()
                .entry(term)
                .or_default()
                .insert(fi, sp);
        }
    }
    let manifest = Manifest {
        fields: FIELDS.iter().map(|(n, _)| n.to_string()).collect(),
        boosts: FIELDS.iter().map(|(_, b)| *b).collect(),
        norms,
        docs: total_docs,
        metrics,
        prefix_min: PREFIX_MIN,
        prefix_expansions: PREFIX_EXPANSIONS,
        shards: shards.keys().cloned().collect(),
    };
    let mut files = Vec::with_capacity(shards.len() + 1);
    for (key, shard) in &shards {
        files.push((
            format!("{SHARD_DIR}/{key}.json"),
            serde_json::to_vec(shard).expect("shard serialises"),
        ));
    }
    files.push((
        format!("{SHARD_DIR}/manifest.json"),
        serde_json::to_vec(&manifest).expect("manifest serialises"),
    ));
    Ok((manifest, files))
}

/// tantivy's BM25 term weight, idf · (1 + k1), computed as `tantivy::query::bm25` does (f32,
/// same operations); `export_shards` checks it against tantivy's own scores.
fn term_weight(doc_freq: u64, docs: u64) -> f32 {
    let x = ((docs - doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln() * (1.0 + K1)
}

/// Score a query against shards, the way `static/search.js` does (the parity test compares
/// this with tantivy). `load` returns a shard by key, or `None` when it does not exist.
pub fn static_search(
    manifest: &Manifest,
    q: &ParsedQuery,
    limit: usize,
    mut load: impl FnMut(&str) -> Option<Shard>,
) -> Vec<(u64, f32)> {
    if q.tokens.is_empty() {
        return Vec::new();
    }
    let mut cache: BTreeMap<String, Option<Shard>> = BTreeMap::new();
    let mut total: Option<BTreeMap<u64, f32>> = None;
    for (i, token) in q.tokens.iter().enumerate() {
        let prefix = q.prefix_last && i + 1 == q.tokens.len();
        let key = shard_key(token);
        let shard = cache.entry(key.clone()).or_insert_with(|| {
            if manifest.shards.contains(&key) {
                load(&key)
            } else {
                None
            }
        });
        let mut scores: BTreeMap<u64, f32> = BTreeMap::new();
        if let Some(shard) = shard {
            for (fi, boost) in manifest.boosts.iter().enumerate() {
                let terms: Vec<&String> = if prefix {
                    shard
                        .range(token.clone()..)
                        .take_while(|(t, _)| t.starts_with(token.as_str()))
                        .filter(|(_, by)| by.contains_key(&fi))
                        .map(|(t, _)| t)
                        .take(manifest.prefix_expansions)
                        .collect()
                } else {
                    shard
                        .get_key_value(token)
                        .filter(|(_, by)| by.contains_key(&fi))
                        .map(|(t, _)| t)
                        .into_iter()
                        .collect()
                };
                for t in terms {
                    let p = &shard[t][&fi];
                    let w = p.w * boost;
                    let mut ord = 0;
                    for j in 0..p.d.len() {
                        ord += p.d[j];
                        let tf = p.tf[j] as f32;
                        let s = w * (tf / (tf + manifest.norms[fi][p.fieldnorm[j] as usize]));
                        *scores.entry(ord).or_default() += s;
                    }
                }
            }
        }
        total = Some(match total {
            None => scores,
            Some(prev) => prev
                .into_iter()
                .filter_map(|(o, s)| scores.get(&o).map(|t| (o, s + t)))
                .collect(),
        });
    }
    let mut ranked: Vec<(u64, f32)> = total.unwrap_or_default().into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(limit);
    ranked
}
