//! Scalars resolved as Kubernetes reads them: sigs.k8s.io/yaml (kubectl, the API server, Istio)
//! turns YAML into JSON through go-yaml v2 (`gopkg.in/yaml.v2` 2.4, `resolve.go`), which keeps
//! YAML 1.1's booleans and Go's integer syntax. Each rule below cites the part of `resolve.go`
//! (or `decode.go`) it follows; the tests name every place this differs from YAML 1.2.

use crate::node::Value;

/// go-yaml v2 `resolve.go` `resolveMapList`: the plain scalars that are looked up, not parsed.
fn lookup(s: &str) -> Option<Value> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// A plain (unquoted, untagged) scalar, as go-yaml v2 `resolve("", s)` decodes it into an
/// `interface{}`.
pub(crate) fn resolve_plain(s: &str) -> Value {
    if let Some(v) = lookup(s) {
        return v;
    }
    match s.as_bytes().first() {
        // hint '.': "maybe a normal float" (strconv.ParseFloat on the text as written)
        Some(b'.') => go_float(s).map_or_else(|| Value::Str(s.to_string()), Value::Float),
        // hints 'D' and 'S': int, float or timestamp
        Some(b'0'..=b'9' | b'+' | b'-') => number(s).unwrap_or_else(|| Value::Str(s.to_string())),
        // every other first character: only the lookup table could make it something else
        _ => Value::Str(s.to_string()),
    }
}

/// The 'D'/'S' branch of go-yaml v2 `resolve`. Timestamps are left out: decoded into an
/// `interface{}` they stay the string as written (decode.go: "for backward compatibility
/// reasons we set it as a string"), and no timestamp form reads as a number.
fn number(s: &str) -> Option<Value> {
    // `plain := strings.Replace(in, "_", "", -1)`
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    // strconv.ParseInt(plain, 0, 64), then strconv.ParseUint(plain, 0, 64)
    if let Some((negative, magnitude)) = go_int(&plain) {
        if negative {
            if magnitude <= i64::MAX as u128 + 1 {
                return Some(Value::Int((-(magnitude as i128)) as i64));
            }
        } else if magnitude <= i64::MAX as u128 {
            return Some(Value::Int(magnitude as i64));
        } else if magnitude <= u64::MAX as u128 && !plain.starts_with('+') {
            // A uint64 in Go, exact in its JSON; meshroute's tree holds it as a float (every
            // field meshroute reads is far narrower, so it is out of range either way).
            return Some(Value::Float(magnitude as f64));
        }
    }
    // yamlStyleFloat `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, then ParseFloat
    if yaml_style_float(&plain) {
        return go_float(&plain).map(Value::Float);
    }
    None
}

/// Go's `strconv.ParseInt`/`ParseUint` with base 0: an optional sign, then `0x`/`0X` hex,
/// `0o`/`0O` octal, `0b`/`0B` binary, a leading `0` octal (`0755` is 493), else decimal.
/// Returns the sign and the magnitude, or `None` for anything that is not such a literal or
/// does not fit 128 bits.
fn go_int(s: &str) -> Option<(bool, u128)> {
    let (negative, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let b = unsigned.as_bytes();
    let (radix, digits) = if b.first() == Some(&b'0') {
        // strconv: the prefix needs at least one digit after it (len(s) >= 3)
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'x') if b.len() >= 3 => (16, &unsigned[2..]),
            Some(b'o') if b.len() >= 3 => (8, &unsigned[2..]),
            Some(b'b') if b.len() >= 3 => (2, &unsigned[2..]),
            _ => (8, &unsigned[1..]),
        }
    } else {
        (10, unsigned)
    };
    // `0` alone is octal zero; any other prefix needs digits
    if digits.is_empty() && radix != 8 {
        return None;
    }
    let mut n: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        n = n
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
    }
    Some((negative, n))
}

/// go-yaml v2 `yamlStyleFloat`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    } else {
        if !digits(&mut i) {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms go-yaml passes it: an overflow is an error
/// there (`1e400` stays a string), and so are Go's own words for infinity and NaN here, which
/// go-yaml never passes (they start with a letter).
fn go_float(s: &str) -> Option<f64> {
    if !s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// The JSON name of a float mapping key: sigs.k8s.io/yaml `convertToJSONableObject` prints it
/// as `strconv.FormatFloat(f, 'g', -1, 32)` (float32 precision: `7551.50755` is "7551.5073",
/// `1e6` is "1e+06"), with `.inf`, `-.inf` and `.nan` for the special values.
pub(crate) fn float_key_name(f: f64) -> String {
    let v = f as f32;
    if v.is_nan() {
        return ".nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // the shortest digits that read back as this float32, as Go's shortest formatting finds
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::from(if v < 0.0 { "-" } else { "" });
    let (nd, dp) = (digits.len() as i32, exp + 1);
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    } else if dp <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-dp) as usize));
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        out.push_str(&"0".repeat((dp - nd) as usize));
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// A scalar with a tag: go-yaml v2 `decoder.scalar` → `resolve(tag, text)`. The tags of the
/// YAML types resolve the text (quoted or not) and must agree with it (`!!int "80"` is 80,
/// `!!int abc` refuses the document); `!!binary` is base64; every other tag (`!foo`, `!`,
/// `!!timestamp` decoded into an `interface{}`) leaves the text a string.
pub(crate) fn resolve_tagged(core_suffix: Option<&str>, text: &str) -> Result<Value, String> {
    let want = match core_suffix {
        Some(s @ ("int" | "float" | "bool" | "null")) => s,
        Some("binary") => {
            return base64_decode(text)
                .map(|bytes| Value::Str(String::from_utf8_lossy(&bytes).into_owned()))
                .ok_or_else(|| "!!binary value contains invalid base64 data".to_string());
        }
        _ => return Ok(Value::Str(text.to_string())),
    };
    let v = resolve_plain(text);
    let got = match &v {
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        _ => "str",
    };
    match (want, v) {
        (w, v) if w == got => Ok(v),
        // resolve.go: an int tagged !!float is a float
        ("float", Value::Int(i)) => Ok(Value::Float(i as f64)),
        // a uint64 is an int to go-yaml (held as a float here)
        ("int", v @ Value::Float(_)) if go_int(&text.replace('_', "")).is_some() => Ok(v),
        _ => Err(format!("cannot decode !!{got} `{text}` as a !!{want}")),
    }
}

/// `base64.StdEncoding.DecodeString` (padding required), ignoring line breaks as Go does.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\n' | b'\r'))
        .collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.len() / 4;
    for (i, quad) in clean.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n: u32 = 0;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | u32::from(value(c)?);
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    //! One test per difference from YAML 1.2's core schema (what meshroute read before), each
    //! with what go-yaml v2 2.4.0 gives (checked with sigs.k8s.io/yaml `YAMLToJSON`).
    use super::*;

    fn r(s: &str) -> Value {
        resolve_plain(s)
    }
    fn s(x: &str) -> Value {
        Value::Str(x.to_string())
    }

    /// Each text resolves to the integer beside it.
    #[track_caller]
    fn ints(cases: &[(&str, i64)]) {
        for &(t, i) in cases {
            assert_eq!(r(t), Value::Int(i), "{t}");
        }
    }

    #[track_caller]
    fn floats(cases: &[(&str, f64)]) {
        for &(t, f) in cases {
            assert_eq!(r(t), Value::Float(f), "{t}");
        }
    }

    /// Each text stays a string.
    #[track_caller]
    fn texts(cases: &[&str]) {
        for &t in cases {
            assert_eq!(r(t), s(t), "{t}");
        }
    }

    #[test]
    fn yaml_1_1_booleans_yes_no_on_off_y_n() {
        for t in [
            "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True",
        ] {
            assert_eq!(r(t), Value::Bool(true), "{t}");
        }
        for f in [
            "no", "No", "NO", "off", "Off", "OFF", "n", "N", "false", "FALSE",
        ] {
            assert_eq!(r(f), Value::Bool(false), "{f}");
        }
        // only these spellings: mixed case stays text, as in YAML 1.2
        texts(&["yEs", "oN", "tRue", "nO", "yes!", "Yes.", "none", "never"]);
    }

    #[test]
    fn a_leading_zero_is_octal() {
        ints(&[
            ("0755", 493),
            ("0644", 420),
            ("010", 8),
            ("-010", -8),
            ("007", 7),
            ("00", 0),
            ("0", 0),
            ("0o17", 15),
            ("0O17", 15),
        ]);
        // not octal digits: ParseInt fails, yamlStyleFloat matches, so a float
        floats(&[("08", 8.0), ("09", 9.0)]);
        texts(&["0o", "0o8"]);
    }

    #[test]
    fn hex_and_binary_take_go_prefixes_and_signs() {
        ints(&[("0x1F", 31), ("0X1F", 31), ("-0x10", -16), ("+0x10", 16)]);
        ints(&[("0b101", 5), ("0B101", 5), ("-0b101", -5)]);
        // a prefix without digits, a hex float: text
        texts(&["0x", "0x1p-2", "0xg"]);
    }

    #[test]
    fn underscores_in_numbers_are_dropped() {
        ints(&[("1_000", 1000), ("1__0", 10), ("1_", 1), ("0x_1F", 31)]);
        floats(&[("1_0.5", 10.5), ("1e1_0", 1e10)]);
        // a leading underscore is no number's first character; the '.' hint parses the text
        // as written, underscores and all
        texts(&["_1", ".5_0"]);
    }

    #[test]
    fn floats_follow_yaml_style_float_and_overflow_stays_text() {
        floats(&[
            ("1.5", 1.5),
            (".5", 0.5),
            ("-.5e-3", -0.0005),
            ("1.", 1.0),
            ("1.e5", 1e5),
            ("1e3", 1000.0),
            ("+1.5", 1.5),
        ]);
        // strconv.ParseFloat reports a range error: go-yaml keeps the text
        texts(&["1e400", ".1e400"]);
        texts(&[
            "1e", "0.1.2", "1,000", "inf", "nan", "Infinity", "1.5f", "e3", "-", "+",
        ]);
    }

    #[test]
    fn special_floats_and_every_infinity_spelling() {
        assert_eq!(r("+.INF"), Value::Float(f64::INFINITY));
        assert_eq!(r("+.Inf"), Value::Float(f64::INFINITY));
        assert_eq!(r(".inf"), Value::Float(f64::INFINITY));
        assert_eq!(r("-.Inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(r(".NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(r(".nAn"), s(".nAn"));
    }

    #[test]
    fn integers_past_int64() {
        ints(&[
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ]);
        // a uint64 in Go (held as a float here), then a float
        floats(&[
            ("9223372036854775808", 9223372036854775808.0),
            ("0xFFFFFFFFFFFFFFFF", 18446744073709551615.0),
            ("-9223372036854775809", -9223372036854775809.0),
        ]);
        // past uint64 and not decimal: neither an int nor yamlStyleFloat, so text
        texts(&["0x1FFFFFFFFFFFFFFFF", "-0xFFFFFFFFFFFFFFFF"]);
    }

    #[test]
    fn nulls_and_what_is_not_null() {
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(r(n), Value::Null, "{n:?}");
        }
        texts(&["nULL", "nil", "None", "~~"]);
    }

    #[test]
    fn timestamps_and_sexagesimals_stay_text() {
        // YAML 1.1 has !!timestamp and base-60 ints; go-yaml decodes timestamps into an
        // interface{} as the string and never supported base 60.
        texts(&[
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10",
            "12:30:45",
            "190:20:30",
            "1:20",
        ]);
    }

    #[test]
    fn float_keys_are_named_with_float32_precision() {
        for (f, name) in [
            (1.5, "1.5"),
            (1e3, "1000"),
            (7551.50755, "7551.5073"),
            (0.1, "0.1"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-2.5e10, "-2.5e+10"),
            (0.0, "0"),
            (f64::INFINITY, ".inf"),
            (f64::NEG_INFINITY, "-.inf"),
            (f64::NAN, ".nan"),
            (1e300, ".inf"),
        ] {
            assert_eq!(float_key_name(f), name, "{f}");
        }
    }

    #[test]
    fn tags_of_the_yaml_types_resolve_the_text() {
        let t = |tag: &str, text: &str| resolve_tagged(Some(tag), text);
        assert_eq!(t("int", "80"), Ok(Value::Int(80)));
        assert_eq!(t("int", "0755"), Ok(Value::Int(493)));
        assert_eq!(t("bool", "yes"), Ok(Value::Bool(true)));
        assert_eq!(t("float", "1"), Ok(Value::Float(1.0)));
        assert_eq!(t("null", ""), Ok(Value::Null));
        assert_eq!(t("null", "~"), Ok(Value::Null));
        // the text must be of the tag's type: go-yaml's message names both
        for (tag, text, was) in [
            ("int", "abc", "str"),
            ("bool", "1", "int"),
            ("int", "1.5", "float"),
            ("float", "1e400", "str"),
        ] {
            let want = format!("cannot decode !!{was} `{text}` as a !!{tag}");
            assert_eq!(t(tag, text), Err(want));
        }
        // other tags keep the text, whatever it looks like
        assert_eq!(t("timestamp", "2001-12-14"), Ok(s("2001-12-14")));
        assert_eq!(t("str", "yes"), Ok(s("yes")));
        assert_eq!(resolve_tagged(None, "80"), Ok(s("80")));
    }

    #[test]
    fn binary_is_base64() {
        let t = |text: &str| resolve_tagged(Some("binary"), text);
        assert_eq!(t("aGVsbG8="), Ok(s("hello")));
        assert_eq!(t("aGVs\nbG8="), Ok(s("hello")));
        assert_eq!(t("aGk="), Ok(s("hi")));
        assert_eq!(t("aGlt"), Ok(s("him")));
        assert_eq!(t(""), Ok(s("")));
        for bad in ["aGVsbG8", "aGVsbG8*", "a===", "aG=k"] {
            assert_eq!(
                t(bad),
                Err("!!binary value contains invalid base64 data".into()),
                "{bad}"
            );
        }
    }
}
