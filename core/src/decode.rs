//! Typed decoding of [`Node`] trees, collecting every problem instead of stopping at the first.
//!
//! Istio resources are decoded strictly: an unknown field is an error with a "did you mean"
//! (what `kubectl apply` with strict field validation does). Kubernetes objects are decoded
//! leniently, because `kubectl get -o yaml` output carries fields meshroute never reads.
//! Field names are matched in camelCase; snake_case spellings (proto names, which Istio's
//! decoder also accepts) are folded to camelCase first.

use crate::node::{join_field, join_index, Node, Pos, Value};
use std::collections::BTreeMap;

/// Codes of decoding problems (meshroute's own, as Istio has no code for them).
pub const UNKNOWN_FIELD: &str = "MR0101";
pub const WRONG_TYPE: &str = "MR0102";

#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub code: &'static str,
    pub path: String,
    pub pos: Pos,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Decoder {
    pub errors: Vec<DecodeError>,
}

impl Decoder {
    pub fn error(&mut self, code: &'static str, path: &str, pos: Pos, message: String) {
        self.errors.push(DecodeError {
            code,
            path: path.to_string(),
            pos,
            message,
        });
    }

    pub fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        self.error(
            WRONG_TYPE,
            path,
            node.pos,
            format!("{path}: expected {expected}, got {}", describe(node)),
        );
    }

    /// [`Decoder::wrong_type`] with a hint after the message.
    pub fn wrong_type_because(&mut self, node: &Node, path: &str, expected: &str, hint: &str) {
        self.error(
            WRONG_TYPE,
            path,
            node.pos,
            format!(
                "{path}: expected {expected}, got {} ({hint})",
                describe(node)
            ),
        );
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Str(s) if s.chars().count() <= 40 => format!("string {s:?}"),
        Value::Int(i) => format!("integer {i}"),
        Value::Bool(b) => format!("boolean {b}"),
        other => Node::new(other.clone(), node.pos).type_name().to_string(),
    }
}

/// Decodes one value. `None` means the value was unusable (an error was recorded).
pub trait FromNode: Sized {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self>;
}

/// Folds `snake_case` to `camelCase`; other names are returned unchanged.
pub fn camel(name: &str) -> String {
    if !name.contains('_') {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Levenshtein distance, for "did you mean".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(!ca.eq_ignore_ascii_case(cb));
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest known name, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Reports an unknown field with a suggestion.
pub fn unknown_field(d: &mut Decoder, path: &str, key: &str, pos: Pos, known: &[&str]) {
    let full = join_field(path, key);
    let hint = match did_you_mean(&camel(key), known) {
        Some(s) => format!("; did you mean {s:?}?"),
        None => String::new(),
    };
    d.error(
        UNKNOWN_FIELD,
        &full,
        pos,
        format!(
            "unknown field {key:?} in {}{hint}",
            if path.is_empty() {
                "the document"
            } else {
                path
            }
        ),
    );
}

impl FromNode for String {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            // What kubectl reads as a boolean or a number: say how to keep the text.
            Value::Bool(_) => {
                d.wrong_type_because(node, path, "a string", "Kubernetes (YAML 1.1) reads an unquoted true/false, yes/no, on/off or y/n as a boolean; quote it for the text");
                None
            }
            Value::Int(_) | Value::Float(_) => {
                d.wrong_type_because(node, path, "a string", "an unquoted number is a number (with a leading 0, octal: 0755 is 493); quote it for the text");
                None
            }
            _ => {
                d.wrong_type(node, path, "a string");
                None
            }
        }
    }
}

impl FromNode for bool {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                d.wrong_type(node, path, "true or false");
                None
            }
        }
    }
}

macro_rules! int_from_node {
    ($($t:ty),*) => {$(
        impl FromNode for $t {
            fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
                match &node.value {
                    Value::Int(i) => match <$t>::try_from(*i) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            d.error(WRONG_TYPE, path, node.pos, format!(
                                "{path}: {i} is out of range for this field ({}..={})", <$t>::MIN, <$t>::MAX));
                            None
                        }
                    },
                    // protobuf JSON writes 64-bit integers as strings
                    Value::Str(s) if s.parse::<$t>().is_ok() && std::mem::size_of::<$t>() == 8 => s.parse().ok(),
                    Value::Float(f) if f.fract() == 0.0 && *f >= <$t>::MIN as f64 && *f <= <$t>::MAX as f64 => Some(*f as $t),
                    _ => { d.wrong_type(node, path, "an integer"); None }
                }
            }
        }
    )*};
}
int_from_node!(i32, u32, i64, u64);

impl FromNode for f64 {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => {
                d.wrong_type(node, path, "a number");
                None
            }
        }
    }
}

impl<T: FromNode> FromNode for Option<T> {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match node.value {
            Value::Null => Some(None),
            _ => T::from_node(node, path, d).map(Some),
        }
    }
}

impl<T: FromNode> FromNode for Box<T> {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        T::from_node(node, path, d).map(Box::new)
    }
}

impl<T: FromNode> FromNode for Vec<T> {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Null => Some(Vec::new()),
            Value::Seq(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| T::from_node(n, &join_index(path, i), d))
                    .collect(),
            ),
            _ => {
                d.wrong_type(node, path, "a list");
                None
            }
        }
    }
}

impl<T: FromNode> FromNode for BTreeMap<String, T> {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Null => Some(BTreeMap::new()),
            Value::Map(entries) => Some(
                entries
                    .iter()
                    .filter_map(|(k, v)| {
                        T::from_node(v, &join_field(path, &k.name), d).map(|t| (k.name.clone(), t))
                    })
                    .collect(),
            ),
            _ => {
                d.wrong_type(node, path, "a mapping");
                None
            }
        }
    }
}

/// Accepts any value and keeps it as a tree (for fields meshroute does not interpret).
impl FromNode for Node {
    fn from_node(node: &Node, _path: &str, _d: &mut Decoder) -> Option<Self> {
        Some(node.clone())
    }
}

/// A Go-style duration (`1s`, `500ms`, `1m30s`, `0.5s`), as Istio's CRDs accept them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Duration {
    pub nanos: i64,
}

impl Duration {
    pub fn from_millis(ms: i64) -> Duration {
        Duration {
            nanos: ms.saturating_mul(1_000_000),
        }
    }
    pub fn as_millis(self) -> i64 {
        self.nanos / 1_000_000
    }
    pub fn parse(s: &str) -> Result<Duration, String> {
        parse_duration(s)
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.nanos;
        if n % 1_000_000_000 == 0 {
            write!(f, "{}s", n / 1_000_000_000)
        } else if n % 1_000_000 == 0 {
            write!(f, "{}ms", n / 1_000_000)
        } else {
            write!(f, "{}ns", n)
        }
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("invalid duration {s:?}: use forms like \"1s\", \"500ms\", \"1m30s\"");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(Duration::default());
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if num_len == 0 {
            return Err(err());
        }
        let num: f64 = rest[..num_len].parse().map_err(|_| err())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(err()),
        };
        rest = &rest[unit_len..];
        total += num * scale;
    }
    if total > i64::MAX as f64 {
        return Err(format!("duration {s:?} is too large"));
    }
    let nanos = total.round() as i64;
    Ok(Duration {
        nanos: if neg { -nanos } else { nanos },
    })
}

impl FromNode for Duration {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Str(s) => match parse_duration(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    d.error(WRONG_TYPE, path, node.pos, format!("{path}: {e}"));
                    None
                }
            },
            _ => {
                d.wrong_type(node, path, "a duration string such as \"1s\"");
                None
            }
        }
    }
}

/// Kubernetes `IntOrString` (Service `targetPort`, container port names).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    Str(String),
}

impl FromNode for IntOrString {
    fn from_node(node: &Node, path: &str, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Int(i) => Some(IntOrString::Int(*i)),
            Value::Str(s) => Some(match s.parse::<i64>() {
                Ok(i) => IntOrString::Int(i),
                Err(_) => IntOrString::Str(s.clone()),
            }),
            _ => {
                d.wrong_type(node, path, "an integer or a string");
                None
            }
        }
    }
}

/// Declares a struct decoded from a mapping. `strict` reports unknown fields; `lenient`
/// ignores them (Kubernetes objects).
///
/// ```ignore
/// decode_struct! { strict
///     pub struct Port { number: Option<u32> = "number", name: Option<String> = "name" }
/// }
/// ```
#[macro_export]
macro_rules! decode_struct {
    ($mode:ident $(#[$m:meta])* pub struct $name:ident {
        $( $(#[$fm:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )*
        }

        impl $name {
            /// The field names this type knows, as written in YAML.
            pub const FIELDS: &'static [&'static str] = &[$($key),*];
        }

        impl $crate::decode::FromNode for $name {
            fn from_node(
                node: &$crate::node::Node,
                path: &str,
                d: &mut $crate::decode::Decoder,
            ) -> Option<Self> {
                let entries = match &node.value {
                    $crate::node::Value::Map(e) => e,
                    $crate::node::Value::Null => return Some(Self::default()),
                    _ => {
                        d.wrong_type(node, path, "a mapping");
                        return None;
                    }
                };
                #[allow(unused_mut)]
                let mut out = Self::default();
                for (k, v) in entries {
                    let key = $crate::decode::camel(&k.name);
                    let _field_path = $crate::node::join_field(path, &k.name);
                    match key.as_str() {
                        $( $key => {
                            if let Some(x) = <$ty as $crate::decode::FromNode>::from_node(v, &_field_path, d) {
                                out.$field = x;
                            }
                        } )*
                        _ => {
                            $crate::decode_struct!(@unknown $mode d, path, k, Self::FIELDS);
                        }
                    }
                }
                Some(out)
            }
        }
    };
    (@unknown strict $d:ident, $path:ident, $k:ident, $fields:expr) => {
        $crate::decode::unknown_field($d, $path, &$k.name, $k.pos, $fields)
    };
    (@unknown lenient $d:ident, $path:ident, $k:ident, $fields:expr) => {
        let _ = (&$d, &$path, &$k, $fields);
    };
}

/// Declares a protobuf enum decoded from its name (or its number).
#[macro_export]
macro_rules! decode_enum {
    ($(#[$m:meta])* pub enum $name:ident { $( $variant:ident = $text:literal ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
        pub enum $name {
            #[default]
            $( #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),*];
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )* }
            }
        }

        impl $crate::decode::FromNode for $name {
            fn from_node(
                node: &$crate::node::Node,
                path: &str,
                d: &mut $crate::decode::Decoder,
            ) -> Option<Self> {
                const ALL: &[$name] = &[$($name::$variant),*];
                match &node.value {
                    $crate::node::Value::Str(s) => {
                        $( if s == $text { return Some($name::$variant); } )*
                        let hint = match $crate::decode::did_you_mean(s, Self::NAMES) {
                            Some(h) => format!("; did you mean {h:?}?"),
                            None => String::new(),
                        };
                        d.error($crate::decode::WRONG_TYPE, path, node.pos, format!(
                            "{path}: unknown value {s:?}, expected one of {}{hint}",
                            Self::NAMES.join(", ")));
                        None
                    }
                    $crate::node::Value::Int(i) if *i >= 0 && (*i as usize) < ALL.len() => Some(ALL[*i as usize]),
                    _ => { d.wrong_type(node, path, "an enum name"); None }
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_documents, Limits};

    decode_struct! { strict
        pub struct Inner { number: Option<u32> = "number", name: Option<String> = "name" }
    }
    decode_struct! { strict
        pub struct Outer { inner: Option<Inner> = "inner", items: Vec<Inner> = "items", per_try_timeout: Option<Duration> = "perTryTimeout" }
    }

    fn decode(text: &str) -> (Option<Outer>, Vec<DecodeError>) {
        let docs = parse_documents(text, &Limits::default());
        let mut d = Decoder::default();
        let out = Outer::from_node(docs[0].node.as_ref().unwrap(), "spec", &mut d);
        (out, d.errors)
    }

    #[test]
    fn unknown_fields_get_a_did_you_mean() {
        let (_, errs) = decode("inner:\n  numbr: 3\n");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, UNKNOWN_FIELD);
        assert_eq!(errs[0].path, "spec.inner.numbr");
        assert!(
            errs[0].message.contains("did you mean \"number\""),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[0].pos, Pos { line: 2, column: 3 });
    }

    #[test]
    fn wrong_types_name_the_path_and_what_was_expected() {
        let (_, errs) = decode("items:\n- number: eighty\n");
        assert_eq!(errs[0].path, "spec.items[0].number");
        assert!(errs[0]
            .message
            .contains("expected an integer, got string \"eighty\""));
    }

    #[test]
    fn snake_case_names_are_accepted() {
        let (out, errs) = decode("per_try_timeout: 2s\n");
        assert!(errs.is_empty());
        assert_eq!(
            out.unwrap().per_try_timeout,
            Some(Duration::from_millis(2000))
        );
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("1m30s").unwrap().as_millis(), 90_000);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_duration("0.5s").unwrap().as_millis(), 500);
        assert_eq!(parse_duration("1h").unwrap().as_millis(), 3_600_000);
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("10").is_err());
        assert_eq!(parse_duration("0").unwrap().nanos, 0);
    }
}
