//! Static assets: the built-in stylesheet and scripts, overlaid file by file by the user's
//! folder. One-off builds also publish stylesheets and scripts under content-hashed names
//! (cacheable forever where the host allows it); templates link those.

use super::{BuildError, Mode};
use crate::model::catalog::short_hash;
use crate::model::layout;
use include_dir::{include_dir, Dir};
use std::collections::BTreeMap;
use std::path::Path;

static DEFAULT_STATIC: Dir = include_dir!("$CARGO_MANIFEST_DIR/static");

/// The site's static files, by path below `static/`, and the names templates link them by
/// (`assets.css` → `static/site.0666b0893c.css`).
pub struct Assets {
    pub files: BTreeMap<String, Vec<u8>>,
    pub links: BTreeMap<String, String>,
}

/// Built-in files overlaid by the user's folder.
fn static_files(over: Option<&Path>) -> Result<BTreeMap<String, Vec<u8>>, BuildError> {
    let mut files = BTreeMap::new();
    fn embedded(dir: &Dir, files: &mut BTreeMap<String, Vec<u8>>) {
        for f in dir.files() {
            if let Some(p) = f.path().to_str() {
                files.insert(p.to_string(), f.contents().to_vec());
            }
        }
        for d in dir.dirs() {
            embedded(d, files);
        }
    }
    embedded(&DEFAULT_STATIC, &mut files);
    if let Some(dir) = over.filter(|d| d.is_dir()) {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(|e| BuildError::io(dir, e.into()))?;
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                let body =
                    std::fs::read(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
                files.insert(rel.to_string_lossy().replace('\\', "/"), body);
            }
        }
    }
    Ok(files)
}

/// The assets of a build in `mode`, from the built-in files and the user's folder `over`.
pub fn assets(over: Option<&Path>, mode: Mode) -> Result<Assets, BuildError> {
    let mut files = static_files(over)?;
    let mut links = BTreeMap::new();
    let mut hashed = Vec::new();
    for (name, body) in &files {
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        // The favicon is linked from every page too (no page view asks for /favicon.ico).
        if ext != "css" && ext != "js" && name != "favicon.svg" {
            continue;
        }
        // The dev server serves with `no-cache` and keeps plain names, so editing a stylesheet
        // does not re-render every page that links it.
        let versioned = match mode {
            Mode::DevServer => name.clone(),
            Mode::OneOff => format!(
                "{stem}.{}.{ext}",
                short_hash(&String::from_utf8_lossy(body))
            ),
        };
        let key = match name.as_str() {
            "site.css" => "css".to_string(),
            "site.js" => "js".to_string(),
            other => other.replace(['.', '/'], "_"),
        };
        links.insert(key, format!("{}/{versioned}", layout::STATIC_DIR));
        if versioned != *name {
            hashed.push((versioned, body.clone()));
        }
    }
    files.extend(hashed);
    Ok(Assets { files, links })
}
