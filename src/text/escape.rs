//! The one escaper for HTML and XML text and attribute values, and HTML ids made from names.

/// HTML escaping for text and attribute values. Unlike tera's default it leaves `/` alone, so
/// URLs stay readable in the output (escaping `/` adds nothing in HTML contexts).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_html_into(&mut out, s);
    out
}

/// [`escape_html`], appended to `out` (HTML made in Rust writes into one buffer).
pub fn escape_html_into(out: &mut String, s: &str) {
    // Runs between special characters are copied whole (all five are ASCII, so every split
    // falls on a character boundary), found with a table: most values have none.
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        t[b'&' as usize] = true;
        t[b'<' as usize] = true;
        t[b'>' as usize] = true;
        t[b'"' as usize] = true;
        t[b'\'' as usize] = true;
        t
    };
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(n) = bytes[start..].iter().position(|&b| SPECIAL[usize::from(b)]) {
        let i = start + n;
        out.push_str(&s[start..i]);
        out.push_str(match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#x27;",
        });
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// An HTML id for a field or property name.
pub fn anchor(name: &str) -> String {
    // Sized up front: collecting chars guesses a quarter of the bytes and grows (every field
    // of every page has an anchor).
    if name.is_ascii() {
        let id = name
            .bytes()
            .map(|b| match b {
                b'-' | b'_' => b,
                b if b.is_ascii_alphanumeric() => b.to_ascii_lowercase(),
                _ => b'-',
            })
            .collect();
        return String::from_utf8(id).unwrap_or_default();
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        out.push(if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c.to_ascii_lowercase()
        } else {
            '-'
        });
    }
    out
}

/// Text made safe to print on a terminal: control characters (C0 but tab, DEL, C1) and the
/// bidirectional overrides that can reorder what is shown are written as `\u{1b}`, so bytes
/// from definitions (key paths, groups, descriptions) cannot move the cursor, retitle the
/// window or hide text. Everything else is unchanged.
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_output_carries_no_control_characters() {
        assert_eq!(terminal_safe("plain\ttext"), "plain\ttext");
        assert_eq!(
            terminal_safe("a\u{1b}[31mred\u{7}\nb\u{9b}c\u{202e}"),
            "a\\u{1b}[31mred\\u{7}\\u{a}b\\u{9b}c\\u{202e}"
        );
    }
}
