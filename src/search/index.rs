//! The tantivy index: one document per definition, its words stemmed as [`super::text`] does
//! (our tokenizer, so tantivy indexes exactly the terms the browser looks up), plus the words
//! as written (for typo matching), its exact ids, and what the search box can filter on.

use super::text::{next_word, stem_in_place};
use super::FIELDS;
use crate::model::catalog::Catalog;
use crate::model::record::{EventRecord, MetricRecord};
use crate::text::plain_text;
use std::path::Path;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, TantivyDocument};

/// The fields of the index.
pub struct Fields {
    pub key: Field,
    pub kind: Field,
    pub ord: Field,
    /// `name=value` lines: what `group:…`, `tier:…` and the other filters match.
    pub filters: Field,
    /// The scored fields, in [`FIELDS`] order.
    pub text: [Field; 3],
    /// Every word as written, for typo matching (not scored).
    pub raw: Field,
    /// Key path, event id and action, lower-cased, untokenized.
    pub id: Field,
}

fn schema() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("key", STRING | STORED);
    b.add_text_field("kind", STRING | STORED);
    b.add_u64_field("ord", FAST | STORED);
    b.add_text_field("filters", STORED);
    let scored = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    for (name, _) in FIELDS {
        b.add_text_field(name, scored.clone());
    }
    let listed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(AS_WRITTEN)
            .set_index_option(IndexRecordOption::Basic),
    );
    b.add_text_field("raw", listed);
    b.add_text_field("id", STRING);
    b.build()
}

/// The fields of an index built by [`write_index`] or [`index_in_ram`].
pub fn fields_of(index: &Index) -> tantivy::Result<Fields> {
    let s = index.schema();
    Ok(Fields {
        key: s.get_field("key")?,
        kind: s.get_field("kind")?,
        ord: s.get_field("ord")?,
        filters: s.get_field("filters")?,
        text: [
            s.get_field(FIELDS[0].0)?,
            s.get_field(FIELDS[1].0)?,
            s.get_field(FIELDS[2].0)?,
        ],
        raw: s.get_field("raw")?,
        id: s.get_field("id")?,
    })
}

/// What one definition puts in the index.
pub struct Document {
    pub key: String,
    pub kind: &'static str,
    /// Identifier, description, everything else (as [`FIELDS`]).
    pub text: [String; 3],
    pub ids: Vec<String>,
    pub filters: Vec<(&'static str, String)>,
}

/// Every definition's document, metrics first (catalog order): a definition's position here
/// is its `ord`, the number the browser maps back to a table row.
pub fn documents(catalog: &Catalog) -> Vec<Document> {
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
        let mut filters = vec![
            ("category", r.data_category.to_string()),
            ("status", r.status.to_string()),
        ];
        filters.extend(r.product_group.iter().map(|g| ("group", g.clone())));
        filters.extend(r.tiers.iter().map(|t| ("tier", t.clone())));
        filters.extend(r.data_source.iter().map(|d| ("data_source", d.clone())));
        docs.push(Document {
            key: r.key_path.to_string(),
            kind: "metric",
            text: [r.key_path.to_string(), plain_text(r.description), facets],
            ids: key_path_ids(r.key_path),
            filters,
        });
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
        let mut filters = vec![
            ("category", r.category.to_lowercase()),
            ("status", r.status.to_string()),
        ];
        filters.extend(r.classification.iter().map(|c| ("category", c.clone())));
        filters.extend(
            r.classification
                .iter()
                .map(|c| ("classification", c.clone())),
        );
        filters.extend(r.product_group.iter().map(|g| ("group", g.clone())));
        filters.extend(r.tiers.iter().map(|t| ("tier", t.clone())));
        filters.extend(r.identifiers.iter().map(|t| ("identifier", t.clone())));
        let mut ids = vec![r.id.to_lowercase()];
        if r.action.to_lowercase() != ids[0] {
            ids.push(r.action.to_lowercase());
        }
        docs.push(Document {
            key: r.id.clone(),
            kind: "event",
            text: [r.id.clone(), plain_text(r.description), facets],
            ids,
            filters,
        });
    }
    docs
}

/// A key path and its tails from each segment boundary: people paste `create.merge_requests`
/// from a nested Service Ping payload, or a metric's own name (`…_published_monthly`). A last
/// segment that is a plain word (`issues`) names too much to count as exact.
fn key_path_ids(key_path: &str) -> Vec<String> {
    let lower = key_path.to_lowercase();
    let mut ids = vec![lower.clone()];
    let dots: Vec<usize> = lower.match_indices('.').map(|(i, _)| i).collect();
    for (n, &dot) in dots.iter().enumerate() {
        let tail = &lower[dot + 1..];
        if n + 1 < dots.len() || tail.contains('_') {
            ids.push(tail.to_string());
        }
    }
    ids
}

/// The tokenizer of the scored fields: [`words`], stemmed by [`stem`].
pub(super) const STEMMED: &str = "metricdict_stemmed";
/// The tokenizer of the `raw` field: [`words`] as written.
pub(super) const AS_WRITTEN: &str = "metricdict_words";

/// Our words as a tantivy tokenizer, so the index holds exactly the terms the browser looks up.
/// Registered rather than handing tantivy pre-tokenized text: tantivy serialises pre-tokenized
/// text to JSON and parses it back on its indexing thread, which was 6 % of a cold build.
#[derive(Clone)]
struct Words {
    stemmed: bool,
}

/// The tokens of one text, read as tantivy asks for them, into one reused token.
struct WordTokens<'a> {
    rest: &'a str,
    stemmed: bool,
    current: Token,
}

impl Tokenizer for Words {
    type TokenStream<'a> = WordTokens<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokens<'a> {
        WordTokens {
            rest: text,
            stemmed: self.stemmed,
            current: Token {
                offset_from: 0,
                offset_to: 0,
                position: usize::MAX,
                text: String::new(),
                position_length: 1,
            },
        }
    }
}

impl TokenStream for WordTokens<'_> {
    fn advance(&mut self) -> bool {
        if !next_word(&mut self.rest, &mut self.current.text) {
            return false;
        }
        if self.stemmed {
            stem_in_place(&mut self.current.text);
        }
        self.current.position = self.current.position.wrapping_add(1);
        true
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// Make our tokenizers known to an index (created or opened): its schema names them.
pub fn register_tokenizers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(STEMMED, TextAnalyzer::from(Words { stemmed: true }));
    tokenizers.register(AS_WRITTEN, TextAnalyzer::from(Words { stemmed: false }));
}

fn fill(index: &Index, catalog: &Catalog) -> tantivy::Result<()> {
    let f = fields_of(index)?;
    // One thread and a large budget: one segment, documents in catalog order.
    let mut writer = index.writer_with_num_threads(1, 200_000_000)?;
    for (ord, d) in documents(catalog).into_iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, &d.key);
        doc.add_text(f.kind, d.kind);
        doc.add_u64(f.ord, ord as u64);
        let filters: Vec<String> = d.filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        doc.add_text(f.filters, filters.join("\n"));
        for (field, text) in f.text.iter().zip(&d.text) {
            doc.add_text(*field, text);
        }
        doc.add_text(f.raw, d.text.join(" "));
        for id in &d.ids {
            doc.add_text(f.id, id);
        }
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// Index every metric and event into `dir` (created).
pub fn write_index(catalog: &Catalog, dir: &Path) -> tantivy::Result<Index> {
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema())?;
    register_tokenizers(&index);
    fill(&index, catalog)?;
    Ok(index)
}

/// Index in memory (the dev server and tests).
pub fn index_in_ram(catalog: &Catalog) -> tantivy::Result<Index> {
    let index = Index::create_in_ram(schema());
    register_tokenizers(&index);
    fill(&index, catalog)?;
    Ok(index)
}

/// A hash of everything the index holds: equal fingerprints mean the index and its shards can
/// be reused as they are.
pub fn fingerprint(catalog: &Catalog) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in documents(catalog) {
        (&d.key, d.kind, &d.text, &d.ids, &d.filters).hash(&mut h);
    }
    catalog.register.synonyms.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::key_path_ids;

    #[test]
    fn key_paths_are_named_by_their_tails() {
        assert_eq!(key_path_ids("Counts.Issues"), ["counts.issues"]);
        assert_eq!(
            key_path_ids("usage_activity_by_stage.create.merge_requests"),
            [
                "usage_activity_by_stage.create.merge_requests",
                "create.merge_requests",
                "merge_requests"
            ]
        );
    }
}
