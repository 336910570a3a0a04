//! Each answer from its flag, else from a prompt, else an error naming the missing flag; and
//! the checks every answer goes through.

use super::dictionary::Dictionary;
use super::prompt::{Check, Prompter};
use super::{err, Error, Request};
use crate::model::order::is_milestone;
use std::sync::Arc;

/// `^[a-z0-9_]+$`, plus the characters in `extra`.
pub(super) fn is_name(s: &str, extra: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || extra.contains(c))
}

pub(super) fn is_key_path(s: &str) -> bool {
    s.split('.').all(|seg| is_name(seg, ""))
}

pub(super) fn check_milestone(s: &str) -> Result<(), String> {
    if is_milestone(s) && !s.starts_with('<') {
        Ok(())
    } else {
        Err("a milestone such as 18.6".into())
    }
}

pub(super) fn check_url(s: &str) -> Result<(), String> {
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err("an http(s) URL, e.g. https://gitlab.com/gitlab-org/gitlab/-/merge_requests/1".into())
    }
}

pub(super) fn check_description(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err("a description (one sentence is fine)".into())
    } else {
        Ok(())
    }
}

pub(super) fn check_categories(s: &str) -> Result<(), String> {
    split(s).iter().try_for_each(|c| {
        if is_name(c, "") {
            Ok(())
        } else {
            Err(format!("`{c}` is not a product category name (snake_case)"))
        }
    })
}

pub(super) fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

pub(super) fn check(f: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static) -> Check {
    Arc::new(f)
}

/// A prompt's text and what to offer.
pub(super) struct Question<'a> {
    message: &'a str,
    help: &'a str,
    default: Option<String>,
    /// Use `default` without a terminal too (a generated value), instead of requiring the flag.
    default_without_terminal: bool,
    /// Keep the flag's value as given, leading and trailing spaces included (descriptions);
    /// names and URLs are trimmed.
    verbatim: bool,
}

impl<'a> Question<'a> {
    pub fn new(message: &'a str, help: &'a str) -> Self {
        Question {
            message,
            help,
            default: None,
            default_without_terminal: false,
            verbatim: false,
        }
    }
    /// Keep the answer exactly as given (see `verbatim`).
    pub fn verbatim(mut self) -> Self {
        self.verbatim = true;
        self
    }

    pub fn suggest(mut self, default: Option<String>) -> Self {
        self.default = default;
        self
    }
    pub fn generated(mut self, default: Option<String>) -> Self {
        self.default_without_terminal = default.is_some();
        self.default = default;
        self
    }
}

pub(super) fn missing(flag: &str) -> Error {
    Error(format!(
        "missing --{flag} (not asking: stdin/stdout is not a terminal, or --no-input)"
    ))
}

/// Flag value, else prompt, else a missing-flag error.
pub(super) struct Ask<'p> {
    pub p: Option<&'p mut dyn Prompter>,
}

impl Ask<'_> {
    pub fn text(
        &mut self,
        flag: &str,
        given: Option<&str>,
        q: Question,
        check: Check,
    ) -> Result<String, Error> {
        if let Some(v) = given {
            let v = if q.verbatim { v } else { v.trim() };
            check(v).map_err(|e| Error(format!("--{flag} {v:?}: expected {e}")))?;
            return Ok(v.to_string());
        }
        let Some(p) = self.p.as_deref_mut() else {
            return match q.default {
                Some(d) if q.default_without_terminal => Ok(d),
                _ => Err(missing(flag)),
            };
        };
        loop {
            let v = p.text(q.message, q.help, q.default.as_deref(), &check)?;
            match check(&v) {
                Ok(()) => return Ok(v),
                Err(e) => p.refuse(&format!("expected {e}")),
            }
        }
    }

    /// A list from a comma-separated flag (values from `allowed`), else a multi-select.
    pub fn list(
        &mut self,
        flag: &str,
        given: Option<&[String]>,
        q: Question,
        allowed: &[&str],
        default: &[String],
        min: usize,
    ) -> Result<Vec<String>, Error> {
        if let Some(v) = given {
            let mut out: Vec<String> = Vec::new();
            for item in v.iter().map(|s| s.trim().to_lowercase()) {
                if item.is_empty() || out.contains(&item) {
                    continue;
                }
                if !allowed.contains(&item.as_str()) {
                    return err(format!(
                        "--{flag}: `{item}` is not one of {}",
                        allowed.join(", ")
                    ));
                }
                out.push(item);
            }
            if out.len() < min {
                return err(format!(
                    "--{flag}: give at least one of {}",
                    allowed.join(", ")
                ));
            }
            return Ok(out);
        }
        let Some(p) = self.p.as_deref_mut() else {
            return Err(missing(flag));
        };
        let options: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        let selected: Vec<usize> = default
            .iter()
            .filter_map(|d| options.iter().position(|o| o == d))
            .collect();
        let chosen = p.multi_select(q.message, q.help, &options, &selected, min)?;
        Ok(chosen.into_iter().map(|i| options[i].clone()).collect())
    }

    /// The product group: the flag's; else `prefill` when `take_prefill`; else chosen from the
    /// known groups, starting at `prefill`.
    pub fn group(
        &mut self,
        dict: &Dictionary,
        given: Option<&str>,
        prefill: Option<&str>,
        take_prefill: bool,
    ) -> Result<String, Error> {
        if let Some(g) = given {
            return dict
                .group(g)
                .map_err(|e| Error(format!("--group {g:?}: expected {e}")));
        }
        let prefill = prefill.and_then(|g| dict.group(g).ok());
        if let (Some(g), true) = (&prefill, take_prefill) {
            return Ok(g.clone());
        }
        let Some(p) = self.p.as_deref_mut() else {
            return Err(missing("group"));
        };
        let start = prefill
            .and_then(|d| dict.groups.iter().position(|g| *g == d))
            .unwrap_or(0);
        let i = p.select(
            "Product group:",
            "type to filter, enter to choose",
            &dict.groups,
            start,
        )?;
        Ok(dict.groups[i].clone())
    }

    /// Optional: none without a flag or a terminal; a terminal offers `default`.
    pub fn categories(
        &mut self,
        given: Option<&[String]>,
        default: &[String],
    ) -> Result<Vec<String>, Error> {
        if given.is_none() && self.p.is_none() {
            return Ok(Vec::new());
        }
        let joined = given.map(|g| g.join(","));
        let q = Question::new(
            "Product categories:",
            "comma-separated, e.g. code_review_workflow; empty for none",
        )
        .suggest(Some(default.join(",")).filter(|d| !d.is_empty()));
        let v = self.text(
            "product-categories",
            joined.as_deref(),
            q,
            check(check_categories),
        )?;
        Ok(split(&v))
    }

    pub fn milestone_and_url(&mut self, req: &Request) -> Result<(String, String), Error> {
        let milestone = self.text(
            "milestone",
            req.milestone.as_deref(),
            Question::new("Milestone:", "the GitLab milestone it ships in, e.g. 18.6"),
            check(check_milestone),
        )?;
        let url = self.text(
            "introduced-by-url",
            req.introduced_by_url.as_deref(),
            Question::new("Introduced by (merge request URL):", ""),
            check(check_url),
        )?;
        Ok((milestone, url))
    }
}
