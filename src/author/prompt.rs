//! Asking the questions: on the terminal with inquire (drawn on stderr, type to filter long
//! lists), or scripted by tests through the [`Prompter`] trait.

use super::Error;
use std::sync::Arc;

/// A validation rule for a typed answer: `Err` explains what is wrong.
pub type Check = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Asks the questions. [`Terminal`] asks on the terminal; tests can script answers.
pub trait Prompter {
    /// A line of text. `check` runs as the user types; the answer is re-checked afterwards.
    fn text(
        &mut self,
        message: &str,
        help: &str,
        default: Option<&str>,
        check: &Check,
    ) -> Result<String, Error>;
    /// One of `options`; returns its index.
    fn select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, Error>;
    /// Several of `options` (at least `min`); returns their indices in option order.
    fn multi_select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        selected: &[usize],
        min: usize,
    ) -> Result<Vec<usize>, Error>;
    /// Tell the user an answer was refused.
    fn refuse(&mut self, why: &str) {
        eprintln!("{why}");
    }
}

/// Prompts on the terminal (inquire; drawn on stderr). Type to filter long lists.
pub struct Terminal;

fn inquire_error(e: inquire::InquireError) -> Error {
    use inquire::InquireError::*;
    match e {
        OperationCanceled | OperationInterrupted => Error("cancelled; nothing was written".into()),
        other => Error(format!("cannot prompt: {other}")),
    }
}

/// Filter for long lists: exact match first, then prefix, then substring.
fn score(input: &str, _: &String, value: &str, _: usize) -> Option<i64> {
    let (input, value) = (input.to_lowercase(), value.to_lowercase());
    if value == input {
        Some(2)
    } else if value.starts_with(&input) {
        Some(1)
    } else {
        value.contains(&input).then_some(0)
    }
}

impl Prompter for Terminal {
    fn text(
        &mut self,
        message: &str,
        help: &str,
        default: Option<&str>,
        check: &Check,
    ) -> Result<String, Error> {
        use inquire::validator::Validation;
        let c = check.clone();
        let mut prompt = inquire::Text::new(message).with_validator(move |s: &str| {
            Ok(match c(s.trim()) {
                Ok(()) => Validation::Valid,
                Err(e) => Validation::Invalid(e.into()),
            })
        });
        if !help.is_empty() {
            prompt = prompt.with_help_message(help);
        }
        if let Some(d) = default {
            prompt = prompt.with_default(d);
        }
        prompt
            .prompt()
            .map(|s| s.trim().to_string())
            .map_err(inquire_error)
    }

    fn select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, Error> {
        let mut prompt = inquire::Select::new(message, options.to_vec())
            .with_starting_cursor(start.min(options.len().saturating_sub(1)))
            .with_scorer(&score)
            .with_page_size(12);
        if !help.is_empty() {
            prompt = prompt.with_help_message(help);
        }
        prompt.raw_prompt().map(|o| o.index).map_err(inquire_error)
    }

    fn multi_select(
        &mut self,
        message: &str,
        help: &str,
        options: &[String],
        selected: &[usize],
        min: usize,
    ) -> Result<Vec<usize>, Error> {
        use inquire::validator::Validation;
        let mut prompt = inquire::MultiSelect::new(message, options.to_vec())
            .with_default(selected)
            .with_scorer(&score)
            .with_page_size(12)
            .with_validator(
                move |chosen: &[inquire::list_option::ListOption<&String>]| {
                    Ok(if chosen.len() >= min {
                        Validation::Valid
                    } else {
                        Validation::Invalid("choose at least one (space toggles)".into())
                    })
                },
            );
        if !help.is_empty() {
            prompt = prompt.with_help_message(help);
        }
        let mut chosen: Vec<usize> = prompt
            .raw_prompt()
            .map_err(inquire_error)?
            .into_iter()
            .map(|o| o.index)
            .collect();
        chosen.sort_unstable();
        Ok(chosen)
    }
}
