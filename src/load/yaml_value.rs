//! serde_yaml's events read straight into JSON values.
//!
//! Reading into `serde_yaml::Value` first and converting cost a hash of every key twice and a
//! second tree per file (about 3 % of a cold build's instructions). What `serde_yaml::Value`
//! gave is kept: a key given twice is an error (serde_yaml's rule: keys are equal when their
//! YAML values are, so `1` and `"1"` differ), tags are dropped, non-string keys become their
//! text, a non-finite float becomes the text serde_yaml shows for it (JSON has no NaN), and
//! nesting deeper than [`MAX_DEPTH`] is refused while reading, not after.

use super::parse::MAX_DEPTH;
use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Read one YAML document into a JSON value.
pub(super) fn from_str(text: &str) -> Result<Value, serde_yaml::Error> {
    use serde::Deserializer as _;
    serde_yaml::Deserializer::from_str(text).deserialize_any(Nested(0))
}

/// A value `0` collections deep (the document itself is 0).
#[derive(Clone, Copy)]
struct Nested(usize);

impl Nested {
    /// The level of a collection's items, or an error past [`MAX_DEPTH`].
    fn inner<E: de::Error>(self) -> Result<Nested, E> {
        if self.0 >= MAX_DEPTH {
            return Err(E::custom(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(Nested(self.0 + 1))
    }
}

impl<'de> DeserializeSeed<'de> for Nested {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(i.into())
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(u.into())
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(f).map_or_else(
            || Value::String(serde_yaml::Number::from(f).to_string()),
            Value::Number,
        ))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(inner)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut out = Map::new();
        // Keys that were not strings, as YAML values: only they can equal each other without
        // having equal text (`1` and `0x1`), and only they may share their text with a string
        // key (`1` and `"1"`, which serde_yaml keeps apart; the later one wins, as before).
        let mut others: Vec<(serde_yaml::Value, String)> = Vec::new();
        while let Some(key) = map.next_key::<serde_yaml::Value>()? {
            let text = match key {
                serde_yaml::Value::String(s) => {
                    if out.contains_key(&s) && !others.iter().any(|(_, t)| *t == s) {
                        return Err(duplicate(format!("with key {s:?}")));
                    }
                    s
                }
                other => {
                    if others.iter().any(|(k, _)| *k == other) {
                        return Err(duplicate("in YAML map".to_string()));
                    }
                    let text = key_text(other.clone());
                    others.push((other, text.clone()));
                    text
                }
            };
            let value = map.next_value_seed(inner)?;
            out.insert(text, value);
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A tagged value (`!thing value`): the tag is dropped.
        let (_tag, contents): (String, _) = data.variant()?;
        contents.newtype_variant_seed(self)
    }
}

fn duplicate<E: de::Error>(which: String) -> E {
    E::custom(format!("duplicate entry {which}"))
}

/// A key that is not a string, as text: `1`, `true`, `null`, a list as JSON.
fn key_text(key: serde_yaml::Value) -> String {
    match yaml_to_json(key) {
        Value::String(s) => s,
        j => j.to_string(),
    }
}

/// A YAML value as JSON by the rules above (only keys take this path).
fn yaml_to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (key_text(k), yaml_to_json(v)))
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::from_str;
    use serde_json::json;

    #[test]
    fn values_read_as_the_value_tree_gave_them() {
        let v =
            from_str("a: !custom 5\n1: one\ntrue: yes\n~: nothing\nf: .nan\ng: -.inf\nh: 1.5\n")
                .unwrap();
        assert_eq!(
            v,
            json!({"a": 5, "1": "one", "true": "yes", "null": "nothing", "f": ".nan", "g": "-.inf", "h": 1.5})
        );
        // `1` and "1" are different keys (the later one wins); `1` twice is a duplicate.
        assert_eq!(from_str("1: a\n\"1\": b\n").unwrap(), json!({"1": "b"}));
        assert!(from_str("1: a\n1: b\n").is_err());
        assert!(from_str("x: a\nx: b\n").is_err());
    }

    #[test]
    fn nesting_past_the_limit_is_refused_while_reading() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(from_str(&format!("a: {}", deep(super::MAX_DEPTH - 1))).is_ok());
        let e = from_str(&format!("a: {}", deep(super::MAX_DEPTH))).unwrap_err();
        assert!(e.to_string().contains("nesting deeper than"), "{e}");
    }
}
