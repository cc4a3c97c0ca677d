//! Regexes as Istio accepts them (RE2, validation.go `validateStringRegexp`) and as meshroute
//! compiles them.

use super::Check;

/// Go's regexp rejects repetition counts above 1000 (`invalid repeat count`); the `regex`
/// crate accepts them, so this is checked separately.
fn repeat_count_too_large(re: &str) -> bool {
    let b = re.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'{' if !in_class => {
                let mut j = i + 1;
                let mut nums: Vec<u64> = Vec::new();
                let mut cur: Option<u64> = None;
                let mut ok = false;
                while j < b.len() {
                    match b[j] {
                        d @ b'0'..=b'9' => {
                            cur = Some(
                                cur.unwrap_or(0)
                                    .saturating_mul(10)
                                    .saturating_add(u64::from(d - b'0')),
                            )
                        }
                        b',' => nums.extend(cur.take()),
                        b'}' => {
                            nums.extend(cur.take());
                            ok = true;
                            break;
                        }
                        _ => break,
                    }
                    j += 1;
                }
                if ok && nums.iter().any(|n| *n > 1000) {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Istio: validation.go `validateStringRegexp` — at most 1024 characters and valid RE2.
/// meshroute compiles it as Envoy matches it: the whole value, `^(?:…)$`.
pub fn validate_regex(re: &str) -> Check {
    if re.len() > 1024 {
        return Err(format!(
            "regex is too large: {} characters, the maximum is 1024",
            re.len()
        ));
    }
    if repeat_count_too_large(re) {
        return Err(format!(
            "regex {re:?} is invalid: repeat count above 1000; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
        ));
    }
    let translated = go_syntax_to_rust(re)?;
    match regex::RegexBuilder::new(&format!("^(?:{translated})$"))
        .octal(true)
        .size_limit(1 << 22)
        .build()
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let detail = match &e {
                regex::Error::Syntax(s) => s
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .map(|l| l.trim_start_matches("error:").trim().to_string())
                    .unwrap_or_else(|| s.clone()),
                other => other.to_string(),
            };
            // A build of the `regex` crate without Unicode tables refuses `\p{Greek}` with
            // "Unicode property not found", exactly as it refuses an unknown property; RE2's
            // property names are not checked here (no false errors; the filter's compile step
            // reports what its build cannot match).
            if detail.contains("Unicode") {
                return Ok(());
            }
            Err(format!(
                "regex {re:?} is invalid: {detail}; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
            ))
        }
    }
}

/// Rewrites the RE2/Go syntax the `regex` crate lacks: `\Q…\E` literal spans become escaped
/// text. Go treats `\1`-`\7` not followed by an octal digit as a backreference (an error),
/// while `\0` and `\12` are octal escapes.
fn go_syntax_to_rust(re: &str) -> Result<String, String> {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Q') if !in_class => {
                    let mut lit = String::new();
                    while let Some(c) = chars.next() {
                        if c == '\\' && chars.peek() == Some(&'E') {
                            chars.next();
                            break;
                        }
                        lit.push(c);
                    }
                    out.push_str(&regex::escape(&lit));
                }
                Some(d @ '1'..='7') if !chars.peek().is_some_and(|n| ('0'..='7').contains(n)) => {
                    return Err(format!(
                        "regex {re:?} is invalid: invalid escape sequence \"\\{d}\" (backreferences are not supported); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
                    ));
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // a leading `]` (or `^]`) is a literal
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}
