//! A YAML/JSON value tree where every node remembers where it came from.
//!
//! Typed resources are decoded from this tree (see [`crate::decode`]); the tree itself is kept
//! with each resource so that a diagnostic's field path (`spec.http[0].route[1].weight`) can be
//! turned back into a line and column on demand, without storing a span in every typed field.

use serde::Serialize;

/// A position in a source file: 1-based line, 1-based column counted in Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// One value of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys keep their own position and the file order.
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Field(String),
    Index(usize),
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Node {
        Node { value, pos }
    }

    /// Human name of the value's type, for "expected X, got Y" messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Position of a key (rather than its value) in a mapping.
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, _)| k.pos),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Walks a dotted field path such as `spec.http[0].route[1].weight` and returns the position
    /// of the deepest node that exists on the way (a missing field points at its parent). Keys
    /// are matched in camelCase and snake_case, as Istio's decoder accepts both.
    pub fn locate(&self, path: &str) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for seg in parse_path(path) {
            match seg {
                Seg::Field(name) => {
                    let found = match &node.value {
                        Value::Map(entries) => entries
                            .iter()
                            .find(|(k, _)| k.name == name || crate::decode::camel(&k.name) == name),
                        _ => None,
                    };
                    match found {
                        Some((k, v)) => {
                            // A scalar points at its key, so `weight: -1` is reported on `weight`.
                            pos = if matches!(v.value, Value::Map(_) | Value::Seq(_)) {
                                k.pos
                            } else {
                                v.pos
                            };
                            node = v;
                        }
                        None => return pos,
                    }
                }
                Seg::Index(i) => match &node.value {
                    Value::Seq(items) if i < items.len() => {
                        node = &items[i];
                        pos = node.pos;
                    }
                    _ => return pos,
                },
            }
        }
        pos
    }
}

/// Splits `a.b[0].c` (also `a.b[key.with.dots]`) into segments.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(Seg::Field(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Seg::Field(std::mem::take(&mut cur)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                match inner.parse::<usize>() {
                    Ok(i) => out.push(Seg::Index(i)),
                    Err(_) => out.push(Seg::Field(inner)),
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Seg::Field(cur));
    }
    out
}

/// Appends `.field` to a path, or `[field]` when the key itself holds dots or slashes
/// (label and header keys such as `app.kubernetes.io/name`).
pub fn join_field(path: &str, field: &str) -> String {
    let plain = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '@');
    match (path.is_empty(), plain) {
        (true, true) => field.to_string(),
        (false, true) => format!("{path}.{field}"),
        (_, false) => format!("{path}[{field}]"),
    }
}

pub fn join_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Serialises as the plain value (positions dropped), like JSON.
impl Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match &self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(v) => s.serialize_str(v),
            Value::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&k.name, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parsing_handles_indices_and_bracketed_keys() {
        assert_eq!(
            parse_path("spec.http[0].route[1].weight"),
            vec![
                Seg::Field("spec".into()),
                Seg::Field("http".into()),
                Seg::Index(0),
                Seg::Field("route".into()),
                Seg::Index(1),
                Seg::Field("weight".into()),
            ]
        );
        assert_eq!(
            parse_path("metadata.labels[app.kubernetes.io/name]"),
            vec![
                Seg::Field("metadata".into()),
                Seg::Field("labels".into()),
                Seg::Field("app.kubernetes.io/name".into()),
            ]
        );
        assert_eq!(join_field("a", "b.c"), "a[b.c]");
        assert_eq!(join_field("", "spec"), "spec");
    }
}
