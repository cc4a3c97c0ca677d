//! Flow collections (`[...]`, `{...}`) scanned with go-yaml v2's rules, which differ from
//! YAML 1.2's (what the parser implements) in four places. Kubernetes reads YAML
//! through go-yaml v2 (sigs.k8s.io/yaml), so meshroute follows it: each difference is either
//! an insertion that makes the YAML 1.2 parser read what go-yaml reads, or the error go-yaml
//! raises (another value right after a quoted one or a bracket, `["a" b]`, is refused too).
//! go-yaml v2 `scannerc.go`:
//!
//! 1. `yaml_parser_scan_plain_scalar`: a `:` ends a plain scalar only before a blank, so in
//!    `[1.2.3.4, 001:db8::]` the second item is the string `001:db8::` (YAML 1.2 ends it at the
//!    last `:`, before `]`, and reads the mapping `{"001:db8:": null}`). Such a scalar is quoted.
//!    Before `[` or `{` the scalar ends at the bracket and go-yaml refuses the document.
//! 2. The same function ends a plain scalar at `?` in a flow collection, and
//!    `yaml_parser_fetch_next_token` then reads `?` as the key indicator, which go-yaml accepts
//!    only where an entry starts: `[http://x/?q=1]` is refused; `[?x]` is the mapping `{x: null}`
//!    (YAML 1.2: the string `?x`), so a space is inserted after that `?`.
//! 3. `yaml_parser_fetch_next_token` reads `:` as the value indicator wherever a token starts in
//!    a flow collection, so a plain scalar there cannot start with `:`: `[::1]` is refused
//!    (YAML 1.2: the string `::1`).
//! 4. go-yaml (`yaml_parser_scan_plain_scalar` checks the indentation only in block context)
//!    has no indentation rule inside a flow collection or a quoted scalar, so
//!    `hosts: [\n  "a",\n]` and `a: "x\ny"` load; YAML 1.2 wants the lines after the first
//!    indented past the enclosing block (the parser says "invalid indentation"). Such lines
//!    are indented (white space there is folded away, so the value does not change).

/// What go-yaml v2 reads differently in one flow collection.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Flow {
    /// Byte offset just past the collection's closing bracket (the text's end if unclosed).
    pub end: usize,
    /// Text to insert, at byte offsets of the original text (ascending).
    pub inserts: Vec<(usize, &'static str)>,
    /// Where go-yaml refuses the document, and why.
    pub error: Option<(usize, String)>,
}

const QUOTE_IT: &str = "quote the value (\"...\") so that both read it as a string";

fn blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// go-yaml `is_blankz`: a blank, a line break or the end of the text.
fn blankz(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|&c| blank(c))
}

/// The characters that end a plain scalar inside a flow collection, for go-yaml v2.
fn ends_plain(c: u8) -> bool {
    matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}')
}

/// Spaces for the insertions that indent a line.
const SPACES: &str = "                                                                ";

/// Indents the lines that start inside `text[start..end]` (a flow collection or a quoted
/// scalar, at byte `start`) to one column past `start`'s, where they are less indented.
/// Blank lines are left alone (in a quoted scalar they are line breaks).
fn indent_lines(text: &str, start: usize, end: usize, out: &mut Vec<(usize, &'static str)>) {
    let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    let needed = text[line_start..start].chars().count() + 1;
    let b = text.as_bytes();
    let mut at = start;
    while let Some(n) = text[at..end].find('\n') {
        at += n + 1;
        let ws = b[at..end]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        if at + ws >= end || matches!(b[at + ws], b'\n' | b'\r') || ws >= needed {
            continue;
        }
        let mut missing = needed - ws;
        while missing > 0 {
            let n = missing.min(SPACES.len());
            out.push((at, &SPACES[..n]));
            missing -= n;
        }
    }
}

/// A quoted scalar at byte `start` whose lines go-yaml reads but YAML 1.2 finds too little
/// indented (difference 4): the insertions that indent them.
pub(super) fn indent_quoted(text: &str, start: usize) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    if matches!(text.as_bytes().get(start), Some(b'"' | b'\'')) {
        indent_lines(text, start, skip_quoted(text.as_bytes(), start), &mut out);
    }
    out
}

/// The parser reports where a flow collection starts only once it knows the collection is no
/// mapping key, which may be after the error it stops at (`- [\n x]`). So for an error at
/// byte `err`: the outermost `[` or `{` on the lines above (up to a hundred) that starts a flow
/// collection in block context (only indentation, `- `, `? `, `key: `, anchors and tags before
/// it on its line) and whose collection, scanned as go-yaml reads it, holds the error.
/// `known(at)` says whether a collection at `at` was scanned already.
pub(super) fn enclosing(text: &str, err: usize, known: impl Fn(usize) -> bool) -> Option<usize> {
    let mut found = None;
    let mut line_end = err;
    for _ in 0..100 {
        let line_start = text[..line_end].rfind('\n').map_or(0, |n| n + 1);
        if let Some(at) = block_flow_start(text, line_start) {
            if at <= err && !known(at) && scan(text, at).end > err {
                found = Some(at);
            }
        }
        if line_start == 0 {
            break;
        }
        line_end = line_start - 1;
    }
    found
}

/// The `[` or `{` that starts a flow collection on the line at byte `at`, if the line is block
/// structure up to it: indentation, `- `, `? `, `--- `, `key: ` (plain or quoted), anchors and
/// tags.
fn block_flow_start(text: &str, mut at: usize) -> Option<usize> {
    let b = text.as_bytes();
    let sep = |i: usize| {
        b.get(i)
            .is_none_or(|&c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    };
    loop {
        while b.get(at).is_some_and(|&c| c == b' ' || c == b'\t') {
            at += 1;
        }
        match b.get(at)? {
            b'[' | b'{' => return Some(at),
            b'-' if b.get(at + 1..at + 3) == Some(b"--") && sep(at + 3) => at += 3,
            b'-' | b'?' if sep(at + 1) => at += 1,
            b'&' | b'!' => {
                while !sep(at) {
                    at += 1;
                }
            }
            b'"' | b'\'' => {
                at = skip_quoted(b, at);
                while b.get(at) == Some(&b' ') {
                    at += 1;
                }
                if b.get(at) != Some(&b':') || !sep(at + 1) {
                    return None;
                }
                at += 1;
            }
            b'#' | b'|' | b'>' | b'*' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'\n' => {
                return None
            }
            _ => {
                // a plain key: up to `: `, with no comment or flow indicator before it
                loop {
                    match b.get(at)? {
                        b':' if sep(at + 1) => break,
                        b'#' if matches!(b[at - 1], b' ' | b'\t') => return None,
                        b'\n' | b'[' | b']' | b'{' | b'}' | b',' => return None,
                        _ => at += 1,
                    }
                }
                at += 1;
            }
        }
    }
}

/// Scans the flow collection whose `[` or `{` is at byte `start` of `text`.
pub(super) fn scan(text: &str, start: usize) -> Flow {
    let mut f = scan_tokens(text, start);
    // the indentation first: at a line's start it comes before a quote inserted there
    let mut inserts = Vec::new();
    indent_lines(text, start, f.end, &mut inserts);
    inserts.append(&mut f.inserts);
    inserts.sort_by_key(|&(at, _)| at);
    f.inserts = inserts;
    f
}

fn scan_tokens(text: &str, start: usize) -> Flow {
    let b = text.as_bytes();
    let mut out = Flow {
        end: b.len(),
        ..Flow::default()
    };
    let mut depth = 0usize;
    let mut i = start;
    // Just after `[`, `{` or `,`: the one place go-yaml takes `?` as the key indicator.
    let mut entry_start = true;
    // Just after a quoted scalar or a closing bracket, where a `:` is the value indicator
    // even when a non-blank follows (YAML 1.2's JSON-like keys; go-yaml: always).
    let mut after_node = false;
    while i < b.len() && out.error.is_none() {
        let c = b[i];
        if blank(c) {
            i += 1;
            continue;
        }
        match c {
            // go-yaml skips a comment wherever a token may start
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                i += 1;
                entry_start = true;
                after_node = false;
                continue;
            }
            b']' | b'}' => {
                i += 1;
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.end = i;
                    return out;
                }
                entry_start = false;
                after_node = true;
                continue;
            }
            b',' => {
                i += 1;
                entry_start = true;
                after_node = false;
                continue;
            }
            b'\'' | b'"' => {
                i = skip_quoted(b, i);
                entry_start = false;
                after_node = true;
                continue;
            }
            b'?' => {
                if !entry_start {
                    out.error = Some((i, format!("`?` inside an unquoted value in a flow collection ([...] or {{...}}): Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) ends the value there and refuses the document (\"did not find expected ',' or ']'\"); {QUOTE_IT}")));
                } else if !blankz(b, i + 1) {
                    // go-yaml: the key indicator, then the key
                    out.inserts.push((i + 1, " "));
                }
                i += 1;
            }
            b':' => {
                let next = b.get(i + 1).copied();
                if !after_node && !blankz(b, i + 1) && !next.is_some_and(ends_plain) {
                    out.error = Some((i, format!("an unquoted value in a flow collection ([...] or {{...}}) starts with `:` (as `::1` does): Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) reads that `:` as a key-value separator and refuses the document (\"did not find expected node content\"); {QUOTE_IT}")));
                }
                i += 1;
            }
            // an anchor, alias or tag: its name runs to a blank or a flow indicator
            b'&' | b'*' | b'!' => {
                let verbatim = c == b'!' && b.get(i + 1) == Some(&b'<');
                i += 1;
                while i < b.len() {
                    let d = b[i];
                    i += 1;
                    if verbatim && d == b'>' {
                        break;
                    }
                    if !verbatim && (blank(d) || matches!(d, b',' | b'[' | b']' | b'{' | b'}')) {
                        i -= 1;
                        break;
                    }
                }
                after_node = c == b'*';
                entry_start = false;
                continue;
            }
            _ if after_node => {
                out.error = Some((i, "a value follows a quoted value or a closing bracket with no `,` between them: Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) refuses the document (\"did not find expected ',' or ']'\"); separate the values with `,`".to_string()));
            }
            _ => {
                let end = plain_end(b, i);
                let scalar = &text[i..end];
                if scalar.ends_with(':') {
                    match b.get(end) {
                        Some(b',' | b']' | b'}') => {
                            out.inserts.push((i, "'"));
                            for (k, ch) in scalar.bytes().enumerate() {
                                if ch == b'\'' {
                                    out.inserts.push((i + k, "'"));
                                }
                            }
                            out.inserts.push((end, "'"));
                        }
                        Some(b'[' | b'{') => {
                            out.error = Some((end, format!("an unquoted value in a flow collection ends with `:` right before `{}`: Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) ends the value at the bracket and refuses the document (\"did not find expected ',' or ']'\"); put a space after the `:` for a key and its value, or {QUOTE_IT}", b[end] as char)));
                        }
                        _ => {}
                    }
                }
                i = end;
            }
        }
        entry_start = false;
        after_node = false;
    }
    out
}

/// The end (exclusive) of the plain scalar starting at `i`, as go-yaml v2 scans it inside a
/// flow collection: it runs over words and line breaks until `:` before a blank, one of
/// `,?[]{}`, or a comment.
fn plain_end(b: &[u8], mut i: usize) -> usize {
    let mut end = i;
    loop {
        while i < b.len() && !blank(b[i]) {
            if (b[i] == b':' && blankz(b, i + 1)) || ends_plain(b[i]) {
                return end;
            }
            i += 1;
            end = i;
        }
        while i < b.len() && blank(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] == b'#' || (b[i] == b':' && blankz(b, i + 1)) || ends_plain(b[i]) {
            return end;
        }
    }
}

/// The byte just past the quoted scalar that starts at `i` (the text's end if unclosed).
fn skip_quoted(b: &[u8], mut i: usize) -> usize {
    let q = b[i];
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            b'\'' if q == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The collection at the first bracket, with the insertions applied.
    fn fixed(text: &str) -> (String, Option<String>) {
        let start = text.find(['[', '{']).unwrap();
        let f = scan(text, start);
        let mut out = String::new();
        let mut last = 0;
        for (at, s) in &f.inserts {
            out.push_str(&text[last..*at]);
            out.push_str(s);
            last = *at;
        }
        out.push_str(&text[last..]);
        (out, f.error.map(|(at, m)| format!("{at}: {m}")))
    }

    #[test]
    fn a_colon_before_a_closing_bracket_or_comma_stays_in_the_value() {
        assert_eq!(fixed("[1.2.3.4, 001:db8::]").0, "[1.2.3.4, '001:db8::']");
        assert_eq!(fixed("[a:, b]").0, "['a:', b]");
        assert_eq!(fixed("{a:}").0, "{'a:'}");
        assert_eq!(fixed("{x: a:}").0, "{x: 'a:'}");
        assert_eq!(fixed("[a :]").0, "['a :']");
        assert_eq!(fixed("[b\n  c:]").0, "['b\n  c:']");
        assert_eq!(fixed("[it's:]").0, "['it''s:']");
        assert_eq!(fixed("[[a:], {b: [c::]}]").0, "[['a:'], {b: ['c::']}]");
    }

    #[test]
    fn what_both_parsers_read_alike_is_left_as_it_is() {
        for t in [
            "[a: b]",
            "[a:b, c:d]",
            "{\"a\":1}",
            "[\"a:\", 'b:']",
            "[fe80::1:2]",
            "[x#y:z]",
            "[a, b,]",
            "[? x]",
            "[*a, &b c, !!str d]",
            "[a # comment: ]\n ]",
            "{a: [1, 2], b: {c: d}}",
            "[\"a\\\"b:\", c]",
        ] {
            assert_eq!(fixed(t), (t.to_string(), None), "{t}");
        }
    }

    /// Each text is refused at the byte beside it, with a message starting so.
    #[track_caller]
    fn refused(cases: &[(&str, usize)], message: &str) {
        for &(t, at) in cases {
            let err = fixed(t).1.unwrap_or_else(|| panic!("{t} is not refused"));
            assert!(err.starts_with(&format!("{at}: {message}")), "{t}: {err}");
        }
    }

    #[test]
    fn a_question_mark_inside_a_value_is_refused() {
        refused(
            &[
                ("[a?b]", 2),
                ("[http://x/?q=1]", 10),
                ("{a?b: 1}", 2),
                ("[a ?b]", 3),
            ],
            "`?` inside",
        );
    }

    #[test]
    fn a_question_mark_starting_an_entry_is_the_key_indicator() {
        assert_eq!(fixed("[?x]").0, "[? x]");
        assert_eq!(fixed("{?x: 1}").0, "{? x: 1}");
        assert_eq!(fixed("[a, ?x]").0, "[a, ? x]");
    }

    #[test]
    fn a_value_starting_with_a_colon_is_refused() {
        refused(
            &[
                ("[::1]", 1),
                ("[a, :x]", 4),
                ("{a: :x}", 4),
                ("{\"a\"::x}", 5),
            ],
            "an unquoted value",
        );
    }

    #[test]
    fn a_value_right_after_another_is_refused() {
        refused(
            &[
                ("['q:'e:]", 5),
                ("{\"a\" b: 1}", 5),
                ("[[a] b]", 5),
                ("[*x y]", 4),
            ],
            "a value follows",
        );
    }

    #[test]
    fn a_colon_right_before_an_opening_bracket_is_refused() {
        refused(&[("[a:[1]]", 3), ("[a:{b: 1}]", 3)], "an unquoted value");
    }

    #[test]
    fn lines_after_the_first_are_indented_past_the_bracket() {
        let (t, _) = fixed("  hosts: [\n    \"a\",\n  ]\n");
        assert_eq!(t, "  hosts: [\n          \"a\",\n          ]\n");
        // blank lines and lines indented enough are left alone; a quote goes after the spaces
        let (t, _) = fixed("k: [\n\n      a,\nb:]\n");
        assert_eq!(t, "k: [\n\n      a,\n    'b:']\n");
        let q = "a: 'x\ny'\n";
        assert_eq!(indent_quoted(q, 3), vec![(6, &SPACES[..4])]);
        assert!(indent_quoted(q, 2).is_empty());
    }

    #[test]
    fn a_flow_collection_holding_an_error_is_found_on_the_lines_above() {
        let t = "a:\n- k: &x [\n x,\n y]\n";
        assert_eq!(enclosing(t, t.find('y').unwrap(), |_| false), Some(11));
        assert_eq!(enclosing(t, t.find('y').unwrap(), |at| at == 11), None);
        // the outermost one
        let t = "- [[\n x]]\n";
        assert_eq!(enclosing(t, t.find('x').unwrap(), |_| false), Some(2));
        // not a flow collection: in a plain value, a comment, a quoted value; or closed before
        for t in [
            "k: a [\n x]\n",
            "# [\n x]\n",
            "k: \"[\n x]\"\n",
            "k: [a]\n x]\n",
        ] {
            assert_eq!(enclosing(t, t.find('x').unwrap(), |_| false), None, "{t}");
        }
        assert_eq!(block_flow_start("--- ? \"k\" : !t {", 0), Some(15));
    }

    #[test]
    fn the_scan_ends_at_the_matching_bracket() {
        let t = "a: [x, {y: [z]}] # ]\nb: [c:]";
        let first = scan(t, 3);
        assert_eq!(&t[3..first.end], "[x, {y: [z]}]");
        assert!(first.inserts.is_empty());
        assert_eq!(scan("[a, 'b]', \"c]\"] ", 0).end, 15);
        assert_eq!(scan("[a, b", 0).end, 5);
    }
}
