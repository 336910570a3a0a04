//! What a rebuild can reuse: rendered pages and table rows, keyed by what produced them.

use super::{Ctx, Renderer};
use crate::model::catalog::{param, Catalog};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Pages and table rows rendered by previous builds, keyed by output path (rows: by kind and
/// position), with a hash of what produced them (template name and context). A rebuild renders
/// only what changed. A one-off build uses [`RenderCache::off`] and skips the hashing.
#[derive(Default)]
pub struct RenderCache {
    pages: rustc_hash::FxHashMap<String, (u64, Arc<[u8]>)>,
    pub(super) rows: rustc_hash::FxHashMap<(&'static str, usize), (u64, Arc<str>)>,
    off: bool,
}

impl RenderCache {
    /// A cache that remembers nothing (one-off builds).
    pub fn off() -> RenderCache {
        RenderCache {
            off: true,
            ..Default::default()
        }
    }

    /// Forget everything (after a template change).
    pub fn clear(&mut self) {
        self.pages.clear();
        self.rows.clear();
    }

    /// Whether this cache remembers nothing (a one-off build).
    pub fn is_off(&self) -> bool {
        self.off
    }

    /// Whether the page at `path` was rendered from the same inputs (`key`) last time.
    pub(super) fn has_page(&self, path: &str, key: u64) -> bool {
        !self.off && self.pages.get(path).is_some_and(|(k, _)| *k == key)
    }

    /// The page at `path` as rendered last time, if its inputs (`key`) are unchanged.
    pub(super) fn page(&self, path: &str, key: u64) -> Option<Arc<[u8]>> {
        self.pages
            .get(path)
            .filter(|(k, _)| *k == key && !self.off)
            .map(|(_, content)| content.clone())
    }

    /// Remember this render's pages (and forget pages that are gone).
    pub(super) fn replace_pages(&mut self, pages: rustc_hash::FxHashMap<String, (u64, Arc<[u8]>)>) {
        self.pages = pages;
    }
}

/// How much work a render did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RenderStats {
    pub rendered: usize,
    pub reused: usize,
}

/// The page names of every browse page a definition page can link (data category, tier,
/// group, data class), as one key: when it is unchanged, so are those links.
pub(super) fn links_key(c: &Catalog) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for p in [
        param::CATEGORY,
        param::TIER,
        param::GROUP,
        param::DATA_CLASS,
    ] {
        if let Some(f) = c.facet(p) {
            for (v, fv) in &f.values {
                (v, &fv.slug).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// A cache key from anything hashable (FxHash: keys are compared, never exposed, and hashing
/// thousands of them on every dev-server rebuild must be cheap).
pub(super) fn key_of(v: &impl Hash) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// Hash of everything a page depends on besides the templates themselves, computed by
/// streaming the context's JSON into the hasher (no copy).
pub(super) fn ctx_hash(template: &str, ctx: &Ctx) -> u64 {
    struct HashWriter<'a>(&'a mut rustc_hash::FxHasher);
    impl std::io::Write for HashWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = rustc_hash::FxHasher::default();
    template.hash(&mut h);
    serde_json::to_writer(HashWriter(&mut h), &ctx.0).expect("hashing cannot fail");
    h.finish()
}

impl Renderer {
    /// What a metric's page shows besides its own file: page names of the events it counts and
    /// of the browse pages it links (`links_key`, see [`links_key`]).
    pub(super) fn metric_key(&self, c: &Catalog, i: usize, site_key: u64) -> u64 {
        let m = &c.metrics[i];
        let mut h = rustc_hash::FxHasher::default();
        (site_key, m.version, &c.metric_slugs[i]).hash(&mut h);
        for (me, hits) in &c.metric_events[i] {
            me.name.hash(&mut h);
            for &e in hits {
                (
                    &c.events[e].action,
                    &c.events[e].category,
                    &c.event_slugs[e],
                )
                    .hash(&mut h);
            }
        }
        h.finish()
    }

    /// What an event's page shows besides its own file.
    pub(super) fn event_key(&self, c: &Catalog, i: usize, site_key: u64) -> u64 {
        let e = &c.events[i];
        let mut h = rustc_hash::FxHasher::default();
        (site_key, e.version, &c.event_slugs[i]).hash(&mut h);
        for &mi in &c.event_metrics[i] {
            (&c.metrics[mi].key_path, &c.metric_slugs[mi]).hash(&mut h);
        }
        h.finish()
    }
}
