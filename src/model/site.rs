//! What a build knows about the site as a whole, and the files it produces.

use serde::Serialize;
use std::sync::Arc;

/// Build-wide facts every page and download shows.
#[derive(Debug, Clone, Serialize)]
pub struct SiteInfo {
    pub title: String,
    /// URL path prefix ending in `/`.
    pub base: String,
    pub build_time: String,
    pub commit: Option<String>,
    pub commit_short: Option<String>,
    /// Prefix for links to definition source files, ending in `/`.
    pub repo_url: Option<String>,
    pub metric_count: usize,
    pub event_count: usize,
}

/// One output file, path relative to the site root. Content is shared so unchanged pages can
/// be reused across rebuilds without copying.
#[derive(Debug, Clone)]
pub struct Page {
    pub path: String,
    pub content: Arc<[u8]>,
}

/// When, and from which commit of the definitions, a site was built. Every download carries it
/// so a reviewer can tell which state of the dictionary a file describes.
#[derive(Debug, Clone, Serialize)]
pub struct BuildStamp<'a> {
    pub build_time: &'a str,
    pub commit: Option<&'a str>,
}

impl SiteInfo {
    /// This build's stamp.
    pub fn stamp(&self) -> BuildStamp<'_> {
        BuildStamp {
            build_time: &self.build_time,
            commit: self.commit.as_deref(),
        }
    }
}
