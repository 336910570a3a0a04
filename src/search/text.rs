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
    let mut rest = text;
    std::iter::from_fn(move || {
        let mut word = String::new();
        next_word(&mut rest, &mut word).then_some(word)
    })
}

/// Put the next word of `rest` into `word` (lower-cased) and move `rest` past it; false when
/// there is none. Indexing reads every text through this with one `word` buffer, so it walks
/// ASCII bytewise (most text is) and allocates nothing per word.
pub(super) fn next_word(rest: &mut &str, word: &mut String) -> bool {
    loop {
        let Some(start) = boundary(rest, true) else {
            *rest = "";
            return false;
        };
        let tail = &rest[start..];
        let end = boundary(tail, false).unwrap_or(tail.len());
        let found = &tail[..end];
        *rest = &tail[end..];
        word.clear();
        if found.is_ascii() {
            word.push_str(found);
            word.make_ascii_lowercase();
        } else {
            word.push_str(&found.to_lowercase());
        }
        if word.len() < MAX_WORD_BYTES {
            return true;
        }
    }
}

/// Where the first character that is (`alnum`) or is not (`!alnum`) a letter or digit starts.
fn boundary(s: &str, alnum: bool) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        // ASCII is decided by the byte; anything else by its character.
        i += bytes[i..]
            .iter()
            .position(|&b| !b.is_ascii() || b.is_ascii_alphanumeric() == alnum)?;
        if bytes[i].is_ascii() {
            return Some(i);
        }
        let c = s[i..].chars().next()?;
        if c.is_alphanumeric() == alnum {
            return Some(i);
        }
        i += c.len_utf8();
    }
}

/// A word's stem: Snowball English for words of ASCII letters of three or more; any other
/// word (numbers, `2fa`, non-ASCII) is its own stem.
pub fn stem(word: &str) -> String {
    let mut s = word.to_string();
    stem_in_place(&mut s);
    s
}

/// [`stem`], replacing the word it is given.
pub(super) fn stem_in_place(word: &mut String) {
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
        return;
    }
    CACHE.with_borrow_mut(|cache| {
        if let Some(s) = cache.get(word.as_str()) {
            if s != word {
                word.clear();
                word.push_str(s);
            }
            return;
        }
        let s = STEMMER
            .get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
            .stem(word)
            .into_owned();
        if cache.len() >= CACHE_WORDS {
            cache.clear();
        }
        cache.insert(std::mem::replace(word, s.clone()), s);
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
