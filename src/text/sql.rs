//! SQL string literals and query templates. The one place values from definitions (key paths,
//! actions, categories: untrusted) enter SQL: every placeholder becomes a complete
//! single-quoted literal, escaped for Snowflake, so no value can end the string it is in.

/// `s` as a Snowflake single-quoted string literal, quotes included. Snowflake reads `\` as
/// the start of an escape sequence, so backslashes are doubled first, then quotes doubled;
/// line breaks and tabs are written as their escapes so the literal stays on one line.
pub fn sql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A piece of a template: literal SQL or a placeholder's name.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Sql(std::borrow::Cow<'a, str>),
    Placeholder(&'a str),
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}} (known here: {1})")]
    Unknown(String, String),
    #[error("unclosed `{{` at byte {0} (write `{{{{` for a literal brace)")]
    Unclosed(usize),
    #[error("lone `}}` at byte {0} (write `}}}}` for a literal brace)")]
    LoneClose(usize),
}

/// Split a template into SQL and `{name}` placeholders; `{{` and `}}` are literal braces.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut sql = String::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'{', Some(b'{')) | (b'}', Some(b'}')) => {
                sql.push_str(&template[start..=i]);
                i += 2;
                start = i;
            }
            (b'{', _) => {
                let end = template[i..]
                    .find('}')
                    .map(|j| i + j)
                    .ok_or(TemplateError::Unclosed(i))?;
                sql.push_str(&template[start..i]);
                out.push(Piece::Sql(std::mem::take(&mut sql).into()));
                out.push(Piece::Placeholder(template[i + 1..end].trim()));
                i = end + 1;
                start = i;
            }
            (b'}', _) => return Err(TemplateError::LoneClose(i)),
            _ => i += 1,
        }
    }
    sql.push_str(&template[start..]);
    out.push(Piece::Sql(sql.into()));
    Ok(out)
}

/// Check that a template names only `known` placeholders.
pub fn check_template(template: &str, known: &[&str]) -> Result<(), TemplateError> {
    for p in pieces(template)? {
        if let Piece::Placeholder(name) = p {
            if !known.contains(&name) {
                return Err(TemplateError::Unknown(name.to_string(), known.join(", ")));
            }
        }
    }
    Ok(())
}

/// Fill a template: each `{name}` becomes [`sql_string`] of its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    for p in pieces(template)? {
        match p {
            Piece::Sql(s) => out.push_str(&s),
            Piece::Placeholder(name) => {
                let value = values.iter().find(|(k, _)| *k == name).ok_or_else(|| {
                    let known: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
                    TemplateError::Unknown(name.to_string(), known.join(", "))
                })?;
                out.push_str(&sql_string(value.1));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_leave_their_literal() {
        assert_eq!(sql_string("counts.issues"), "'counts.issues'");
        assert_eq!(sql_string(r"a\'b"), r"'a\\''b'");
        assert_eq!(sql_string("x\ny"), r"'x\ny'");
    }

    #[test]
    fn templates_fill_check_and_keep_literal_braces() {
        let t = "SELECT {{'a': 1}} WHERE p = {key_path}";
        assert_eq!(
            fill(t, &[("key_path", "k'")]).unwrap(),
            "SELECT {'a': 1} WHERE p = 'k'''"
        );
        assert!(check_template(t, &["key_path"]).is_ok());
        assert_eq!(
            check_template("x = {action}", &["key_path"]),
            Err(TemplateError::Unknown("action".into(), "key_path".into()))
        );
        assert_eq!(
            check_template("x = {oops", &[]),
            Err(TemplateError::Unclosed(4))
        );
        assert_eq!(
            check_template("x } y", &[]),
            Err(TemplateError::LoneClose(2))
        );
    }
}
