//! Tiny JSON writing helpers (the runtime stays dependency-free).

use std::fmt::Write as _;

/// `s` as a quoted, escaped JSON string.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object from already-encoded `(key, value)` pairs; keys are escaped
/// here, values are inserted verbatim.
pub fn object<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&string(k.as_ref()));
        out.push(':');
        out.push_str(v.as_ref());
    }
    out.push('}');
    out
}

/// A JSON array of already-encoded values.
pub fn array<V: AsRef<str>>(values: impl IntoIterator<Item = V>) -> String {
    let mut out = String::from("[");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(v.as_ref());
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_round_trips() {
        let nasty = "a\"b\\c\nd\re\tf\u{1}g\u{7f}h\u{fffd}é";
        let encoded = string(nasty);
        let decoded: String = serde_json::from_str(&encoded).unwrap();
        assert_eq!(decoded, nasty);
        let obj = object([("k\"", string("v")), ("n", "1".to_string())]);
        let arr = array([obj.clone(), "null".to_string()]);
        let v: serde_json::Value = serde_json::from_str(&arr).unwrap();
        assert_eq!(v[0]["k\""], "v");
        assert_eq!(v[0]["n"], 1);
        assert_eq!(object(Vec::<(String, String)>::new()), "{}");
    }
}
