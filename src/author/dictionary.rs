//! What the dictionary being added to already holds: actions, key paths, product groups, and
//! its schemas (a new definition is checked against them before it is written).

use super::ask::is_name;
use super::{err, Error};
use crate::load::discover::{self, is_gitlab_layout};
use crate::load::schema::{self, BUILTIN_PRODUCT_GROUPS};
use crate::load::{self, Warnings};
use crate::model::definition::{normalize_group, Event};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What the dictionary already holds.
pub(super) struct Dictionary {
    pub root: PathBuf,
    pub events: Vec<std::sync::Arc<Event>>,
    pub actions: BTreeSet<String>,
    /// Key paths, and the Service Ping keys they expand to.
    pub key_paths: BTreeSet<String>,
    /// GitLab's list of product groups (from the tree's schema, else the built-in one).
    pub schema_groups: BTreeSet<String>,
    /// Those plus the groups the definitions use.
    pub groups: Vec<String>,
    pub schemas: schema::Schemas,
    /// Put non-free definitions under `ee/` (the tree has one, as a GitLab checkout does).
    pub has_ee: bool,
}

impl Dictionary {
    pub fn load(root: &Path) -> Result<Dictionary, Error> {
        if !root.is_dir() {
            return err(format!(
                "definitions folder not found: {} (pass --definitions DIR)",
                root.display()
            ));
        }
        let loaded = load::load(&[root.to_path_buf()], Warnings::Counted);
        if !is_gitlab_layout(root) && !loaded.documents.is_empty() {
            return err(format!(
                "{} is not laid out like GitLab (no config/metrics or config/events folder); \
                 new definitions go to config/…, which would hide the {} files already there",
                root.display(),
                loaded.documents.len()
            ));
        }
        let found = discover::discover(&[root.to_path_buf()]);
        let schemas = schema::Schemas::load(&found.schemas).map_err(Error)?;
        let groups_text = match &found.schemas.metrics_dir {
            Some(dir) if dir.join("product_groups.json").is_file() => {
                std::fs::read_to_string(dir.join("product_groups.json"))
                    .map_err(|e| Error(format!("{}: {e}", dir.display())))?
            }
            _ => BUILTIN_PRODUCT_GROUPS.to_string(),
        };
        let schema_groups: BTreeSet<String> =
            serde_json::from_str::<serde_json::Value>(&groups_text)
                .ok()
                .and_then(|v| {
                    v.get("enum")?.as_array().map(|a| {
                        a.iter()
                            .filter_map(|g| g.as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default();
        let catalog = loaded.catalog;
        // Groups the definitions use that the schema's list lacks (it lags behind).
        let known: BTreeSet<String> = schema_groups.iter().map(|g| normalize_group(g)).collect();
        let mut groups = schema_groups.clone();
        for g in catalog
            .metrics
            .iter()
            .filter_map(|m| m.group.clone())
            .chain(catalog.events.iter().filter_map(|e| e.group.clone()))
        {
            if is_name(&g, "-") && !known.contains(&g) {
                groups.insert(g);
            }
        }
        let mut key_paths = BTreeSet::new();
        for m in &catalog.metrics {
            key_paths.insert(m.key_path.clone());
            key_paths.extend(m.expanded_key_paths());
        }
        Ok(Dictionary {
            root: root.to_path_buf(),
            actions: catalog.events.iter().map(|e| e.action.clone()).collect(),
            events: catalog.events,
            key_paths,
            schema_groups,
            groups: groups.into_iter().collect(),
            schemas,
            has_ee: root.join("ee").is_dir(),
        })
    }

    /// The event an action names: the internal one when legacy events share the action.
    pub fn event(&self, action: &str) -> Option<&Event> {
        let mut matching = self.events.iter().filter(|e| e.action == action);
        let first = matching.clone().next();
        matching.find(|e| e.internal).or(first).map(|e| &**e)
    }

    /// A product group as GitLab spells it: the schema's spelling when it matches loosely.
    pub fn group(&self, given: &str) -> Result<String, String> {
        let g = given.trim();
        if self.schema_groups.contains(g) {
            return Ok(g.to_string());
        }
        let norm = normalize_group(g);
        if let Some(k) = self
            .schema_groups
            .iter()
            .find(|k| normalize_group(k) == norm)
        {
            return Ok(k.clone());
        }
        if is_name(&norm, "-") {
            Ok(norm)
        } else {
            Err("a product group name such as code_review".into())
        }
    }
}
