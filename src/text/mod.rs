//! Text helpers shared by every output: markdown to HTML and to plain text, and escaping.
//! Imports nothing else of the crate.

pub mod escape;
pub mod markdown;
pub mod sql;

pub use escape::{anchor, escape_html, terminal_safe};
pub use markdown::{markdown, plain_text};
