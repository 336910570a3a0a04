//! Descriptions are untrusted markdown: rendered to safe HTML for pages, to plain text for
//! table cells and search.

/// Render untrusted markdown to safe HTML.
///
/// pulldown-cmark escapes all text it emits; what it passes through unchecked is raw HTML and
/// link or image URLs. Markdown with none of those (most descriptions) is therefore safe as
/// rendered, and only the rest goes through ammonia, whose HTML parse is the costly part.
pub fn markdown(src: &str) -> String {
    use pulldown_cmark::{html, Event as Md, Options, Parser, Tag};
    if src.trim().is_empty() {
        return String::new();
    }
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events: Vec<Md> = Parser::new_ext(src, options).collect();
    let needs_cleaning = events.iter().any(|e| {
        matches!(
            e,
            Md::Html(_)
                | Md::InlineHtml(_)
                | Md::Start(Tag::Link { .. })
                | Md::Start(Tag::Image { .. })
                | Md::Start(Tag::HtmlBlock)
        )
    });
    let mut out = String::with_capacity(src.len() * 2);
    html::push_html(&mut out, events.into_iter());
    if !needs_cleaning {
        return out;
    }
    // The sanitiser's rule set is built once: building it allocates every allow-list.
    static CLEANER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    let cleaner = CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.link_rel(Some("noopener noreferrer nofollow"))
            .url_schemes(["http", "https", "mailto"].into_iter().collect());
        b
    });
    cleaner.clean(&out).to_string()
}

/// Plain text of markdown, for table cells and search.
pub fn plain_text(src: &str) -> String {
    use pulldown_cmark::{Event as Md, Parser};
    let mut out = String::with_capacity(src.len());
    for ev in Parser::new(src) {
        match ev {
            Md::Text(t) | Md::Code(t) => out.push_str(&t),
            Md::SoftBreak | Md::HardBreak => out.push(' '),
            Md::End(_) if !out.ends_with(' ') => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
