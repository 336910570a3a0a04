//! Query templates, checked when `metricdict.toml` is read. Filling them is the browser's job
//! (`static/page.js`, `metricdictQueries`): every placeholder becomes a complete single-quoted
//! Snowflake literal (backslashes doubled, then quotes doubled, control characters escaped), so
//! no value from a definition can end the string it is in; `tests/queries.rs` parses what the
//! pages show.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_check_their_placeholders() {
        let t = "SELECT {{'a': 1}} WHERE p = {key_path}";
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
