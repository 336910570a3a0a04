//! Settings from `metricdict.toml` (optional) merged under command-line flags.

use metricdict::model::queries::QueryTemplates;
use metricdict::text::sql::check_template;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The name looked up in the current folder.
pub const FILE_NAME: &str = "metricdict.toml";

/// Everything `metricdict.toml` may set. All keys optional; flags win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Definition folders (default `["definitions"]`).
    pub definitions: Option<Vec<PathBuf>>,
    /// Output folder (default `public`).
    pub out: Option<PathBuf>,
    /// Public URL or path the site is served under (default `/`).
    pub base_url: Option<String>,
    /// Prefix for "view source" links; empty string disables them.
    pub repo_url: Option<String>,
    /// Site title (default "Metrics Dictionary").
    pub title: Option<String>,
    /// Folder of template overrides (default `templates/` when it exists).
    pub templates: Option<PathBuf>,
    /// Folder of static-asset overrides (default `static/` when it exists).
    pub static_dir: Option<PathBuf>,
    /// Warehouse query templates for definition pages (default: GitLab's, for dictionaries
    /// laid out like GitLab's). Present, it replaces the defaults whole.
    pub queries: Option<QueryTemplates>,
}

impl Config {
    /// Read `metricdict.toml` from `dir` if present.
    pub fn load(dir: &Path) -> anyhow::Result<Config> {
        let path = dir.join(FILE_NAME);
        if !path.is_file() {
            return Ok(Config::default());
        }
        Config::load_file(&path)
    }

    /// Read a settings file named with `--config` (it must exist).
    pub fn load_file(path: &Path) -> anyhow::Result<Config> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        if let Some(q) = &config.queries {
            check_queries(q).with_context(|| format!("{} is not valid", path.display()))?;
        }
        Ok(config)
    }
}

/// Every query template names only placeholders its kind has.
fn check_queries(q: &QueryTemplates) -> anyhow::Result<()> {
    for (kind, templates, known) in q.by_kind() {
        for t in templates {
            check_template(&t.sql, known)
                .map_err(|e| anyhow::anyhow!("[[queries.{kind}]] {:?}: {e}", t.label))?;
        }
    }
    Ok(())
}
