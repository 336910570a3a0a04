//! The one escaper for HTML and XML text and attribute values, and HTML ids made from names.

/// HTML escaping for text and attribute values. Unlike tera's default it leaves `/` alone, so
/// URLs stay readable in the output (escaping `/` adds nothing in HTML contexts).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // Runs between special characters are copied whole (all five are ASCII, so every split
    // falls on a character boundary).
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out
}

/// An HTML id for a field or property name.
pub fn anchor(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
