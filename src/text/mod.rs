//! Text helpers shared by every output: markdown to HTML and to plain text, and escaping.
//! Imports nothing else of the crate.

pub mod escape;
pub mod markdown;
pub mod sql;

pub use escape::{anchor, escape_html, escape_html_into, terminal_safe};
pub use markdown::{markdown, plain_text};

/// `5012` → `5,012`: counts people read (build summaries, a table's count).
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
