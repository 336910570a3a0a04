//! How text becomes searchable words, the same in Rust and in `static/search.js`: runs of
//! letters and digits (Unicode `Alphabetic` and `N`), lower-cased, shorter than 40 bytes (as
//! tantivy's default tokenizer); words of ASCII letters are stemmed with the Snowball English
//! ("Porter2") stemmer — rust-stemmers here, the `porter2` npm package in the browser, compared
//! word for word by `tests/search_stems.rs`.

/// Words this long or longer are not indexed (tantivy's `RemoveLongFilter` default).
pub const MAX_WORD_BYTES: usize = 40;

/// Words that carry no meaning in a question ("how many users are there"). They are left out
/// of a query, unless the query has nothing else.
pub const STOPWORDS: [&str; 48] = [
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "count", "did",
    "do", "does", "for", "from", "has", "have", "how", "i", "if", "in", "is", "it", "many", "much",
    "number", "of", "on", "or", "that", "the", "there", "this", "to", "total", "was", "we", "were",
    "what", "when", "where", "which", "who", "why", "with",
];

/// The words of a text, in order (repeats kept).
pub fn words(text: &str) -> Vec<String> {
    word_iter(text).collect()
}

/// The first of a text's [`words`], if any.
pub fn first_word(text: &str) -> Option<String> {
    word_iter(text).next()
}

fn word_iter(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        // Most words are ASCII: lower-casing them needs no Unicode tables.
        .map(|w| match w.is_ascii() {
            true => w.to_ascii_lowercase(),
            false => w.to_lowercase(),
        })
        .filter(|w| w.len() < MAX_WORD_BYTES)
}

/// A word's stem: Snowball English for words of ASCII letters of three or more; any other
/// word (numbers, `2fa`, non-ASCII) is its own stem.
pub fn stem(word: &str) -> String {
    use std::cell::RefCell;
    use std::sync::OnceLock;
    static STEMMER: OnceLock<rust_stemmers::Stemmer> = OnceLock::new();
    // Indexing stems the same few thousand words over and over; the cache is per thread (no
    // lock) and emptied when full, so it stays bounded whatever the input.
    const CACHE_WORDS: usize = 50_000;
    thread_local! {
        static CACHE: RefCell<rustc_hash::FxHashMap<String, String>> = Default::default();
    }
    if word.len() < 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    CACHE.with_borrow_mut(|cache| {
        if let Some(s) = cache.get(word) {
            return s.clone();
        }
        let s = STEMMER
            .get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
            .stem(word)
            .into_owned();
        if cache.len() >= CACHE_WORDS {
            cache.clear();
        }
        cache.insert(word.to_string(), s.clone());
        s
    })
}

/// Whether a word is a [`STOPWORDS`] word.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_stems() {
        assert_eq!(
            words("counts.merge_requests – Ünïcode 2FA x"),
            ["counts", "merge", "requests", "ünïcode", "2fa", "x"]
        );
        assert_eq!(first_word("__Merge_requests"), Some("merge".into()));
        assert_eq!(first_word(" – "), None);
        assert_eq!(stem("requests"), stem("request"));
        assert_eq!(stem("created"), stem("create"));
        assert_eq!(stem("vulnerabilities"), stem("vulnerability"));
        assert_eq!(stem("2fa"), "2fa");
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert!(is_stopword("how") && !is_stopword("merge"));
    }
}
