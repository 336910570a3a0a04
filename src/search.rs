//! The tantivy search index: built at build time, written into the site, queried by
//! `metricdict search` and the dev server.

use crate::catalog::Catalog;
use crate::render::plain_text;
use std::path::Path;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, Schema, Value as _, STORED, STRING, TEXT};
use tantivy::{doc, Index, TantivyDocument};

/// Where the index lives inside a built site.
pub const INDEX_DIR: &str = "search/index";

struct Fields {
    key: Field,
    kind: Field,
    name: Field,
    description: Field,
    facets: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let key = b.add_text_field("key", STRING | STORED);
    let kind = b.add_text_field("kind", STRING | STORED);
    // The default tokenizer splits on every non-alphanumeric character, so `counts.merge_requests`
    // is indexed as `counts`, `merge`, `requests`.
    let name = b.add_text_field("name", TEXT);
    let description = b.add_text_field("description", TEXT);
    let facets = b.add_text_field("facets", TEXT);
    (
        b.build(),
        Fields {
            key,
            kind,
            name,
            description,
            facets,
        },
    )
}

/// Index every metric and event into `dir` (created).
pub fn write_index(catalog: &Catalog, dir: &Path) -> tantivy::Result<()> {
    std::fs::create_dir_all(dir)?;
    let (schema, f) = schema();
    let index = Index::create_in_dir(dir, schema)?;
    let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
    for m in &catalog.metrics {
        let facets = [
            m.group.as_deref().unwrap_or(""),
            &m.data_category,
            &m.status,
            &m.tiers.join(" "),
            m.data_source.as_deref().unwrap_or(""),
            &m.time_frames.join(" "),
            &m.performance_indicators.join(" "),
            &m.product_categories.join(" "),
        ]
        .join(" ");
        writer.add_document(doc!(
            f.key => m.key_path.clone(), f.kind => "metric", f.name => m.key_path.clone(),
            f.description => plain_text(&m.description), f.facets => facets,
        ))?;
    }
    for e in &catalog.events {
        let props: Vec<&str> = e.properties.iter().map(|p| p.name.as_str()).collect();
        let facets = [
            e.group.as_deref().unwrap_or(""),
            &e.display_category(),
            &e.status,
            &e.tiers.join(" "),
            &e.identifiers.join(" "),
            e.classification.as_deref().unwrap_or(""),
            &props.join(" "),
        ]
        .join(" ");
        writer.add_document(doc!(
            f.key => e.id(), f.kind => "event", f.name => e.id(),
            f.description => plain_text(&e.description), f.facets => facets,
        ))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// One search hit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub key: String,
    pub kind: String,
    pub score: f32,
}

/// Query a built site's index.
pub fn search(site: &Path, query: &str, limit: usize) -> tantivy::Result<Vec<Hit>> {
    let index = Index::open_in_dir(site.join(INDEX_DIR))?;
    let (_, f) = schema();
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut parser = QueryParser::for_index(&index, vec![f.name, f.description, f.facets]);
    parser.set_field_boost(f.name, 3.0);
    parser.set_field_boost(f.facets, 0.5);
    let (q, _errors) = parser.parse_query_lenient(query);
    let top = searcher.search(&q, &TopDocs::with_limit(limit))?;
    let mut hits = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let d: TantivyDocument = searcher.doc(addr)?;
        let get = |field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        hits.push(Hit {
            key: get(f.key),
            kind: get(f.kind),
            score,
        });
    }
    Ok(hits)
}
