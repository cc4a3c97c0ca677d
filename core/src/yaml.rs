//! YAML (and therefore JSON) text → [`Node`] trees, one per document, with hard limits.
//!
//! Documents are split on `---` lines *before* parsing, so a syntax error in one document
//! costs only that document: the others still load (kube-rs habit: a bad object in a batch is
//! reported by name instead of failing the batch).

use crate::node::{Key, Node, Pos, Value};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashSet;

/// Guards against hostile or absurd input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Most nodes one input may expand to, counting every alias expansion (alias bombs).
    pub max_nodes: usize,
    /// Deepest nesting of mappings and lists.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 32 * 1024 * 1024,
            max_nodes: 4_000_000,
            max_depth: 128,
        }
    }
}

/// A parse problem, already positioned in the whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
    /// True when the problem is a limit (size, alias expansion, depth), not a syntax error.
    pub limit: bool,
    /// True when the document could not be built (everything but duplicate keys).
    pub fatal: bool,
}

#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based index of the document in the file.
    pub index: usize,
    /// Line where the document starts.
    pub start: Pos,
    /// `None` for an empty document or one that failed to parse.
    pub node: Option<Node>,
    pub errors: Vec<YamlError>,
}

/// Splits the text into documents and parses each one.
pub fn parse_documents(text: &str, limits: &Limits) -> Vec<Document> {
    let mut budget = limits.max_nodes;
    let mut docs = Vec::new();
    for (index, (start_line, chunk)) in split_documents(text).into_iter().enumerate() {
        let start = Pos {
            line: start_line as u32,
            column: 1,
        };
        let mut b = Builder {
            line_offset: start_line as u32 - 1,
            budget: &mut budget,
            max_depth: limits.max_depth,
            anchors: Vec::new(),
            stack: Vec::new(),
            root: None,
            errors: Vec::new(),
        };
        b.run(chunk);
        let node = if b.errors.iter().any(|e| e.fatal) {
            None
        } else {
            b.root.take()
        };
        docs.push(Document {
            index,
            start,
            node,
            errors: b.errors,
        });
        if budget == 0 {
            break;
        }
    }
    docs
}

/// Returns (1-based start line, text) for every document. A line starting with `---`
/// (followed by nothing, a space or a tab) starts a new document; `...` ends one.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start_byte = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    let mut seen_content = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let lineno = i + 1;
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let is_start = trimmed.starts_with("---")
            && trimmed[3..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\t');
        let is_end = trimmed == "...";
        if is_start || is_end {
            if seen_content {
                out.push((start_line, &text[start_byte..offset]));
            }
            seen_content = false;
            if is_start {
                // Keep the `---` line (it may carry content such as `--- {a: 1}`).
                start_byte = offset;
                start_line = lineno;
                if !trimmed[3..].trim().is_empty() {
                    seen_content = true;
                }
            } else {
                start_byte = offset + line.len();
                start_line = lineno + 1;
            }
        } else if !seen_content {
            let t = trimmed.trim();
            if !t.is_empty() && !t.starts_with('#') && !t.starts_with('%') {
                seen_content = true;
            }
        }
        offset += line.len();
    }
    if seen_content {
        out.push((start_line, &text[start_byte..]));
    }
    out
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        pending_key: Option<Key>,
        /// Key names seen so far: the duplicate check must be O(1) per key (scanning `entries`
        /// made a 200k-key mapping take minutes, and a 32 MiB one hours).
        seen: HashSet<String>,
    },
}

struct Builder<'a> {
    line_offset: u32,
    budget: &'a mut usize,
    max_depth: usize,
    /// anchor id → (node, node count)
    anchors: Vec<Option<(Node, usize)>>,
    stack: Vec<Frame>,
    root: Option<Node>,
    errors: Vec<YamlError>,
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count_nodes(v)).sum(),
        _ => 0,
    }
}

impl Builder<'_> {
    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        Pos {
            line: m.line() as u32 + self.line_offset,
            column: m.col() as u32 + 1,
        }
    }

    fn fail(&mut self, pos: Pos, message: String, limit: bool) {
        self.errors.push(YamlError {
            pos,
            message,
            limit,
            fatal: true,
        });
    }

    fn run(&mut self, text: &str) {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            let (event, span) = match next {
                Ok(e) => e,
                Err(e) => {
                    let pos = self.pos(e.marker());
                    if e.info().contains("recursion limit") {
                        let msg = format!(
                            "nesting deeper than the parser allows ({}); refusing to load this document",
                            e.info()
                        );
                        self.fail(pos, msg, true);
                    } else {
                        self.fail(pos, format!("YAML syntax error: {}", e.info()), false);
                    }
                    return;
                }
            };
            let pos = self.pos(&span.start);
            if *self.budget == 0 {
                self.fail(
                    pos,
                    "input expands to too many values (alias bomb or absurdly large input); refusing to load it".into(),
                    true,
                );
                return;
            }
            match event {
                Event::StreamEnd => break,
                Event::Nothing
                | Event::StreamStart
                | Event::DocumentStart(_)
                | Event::DocumentEnd => {}
                Event::Scalar(text, style, anchor, tag) => {
                    let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                    let value = if style == ScalarStyle::Plain && !is_str_tag {
                        resolve_plain(&text)
                    } else {
                        Value::Str(text.into_owned())
                    };
                    self.push_node(Node::new(value, pos), anchor);
                }
                Event::Alias(id) => {
                    let found = self.anchors.get(id).and_then(|a| a.as_ref()).cloned();
                    match found {
                        Some((node, count)) => {
                            if count > *self.budget {
                                *self.budget = 0;
                                self.fail(
                                    pos,
                                    "YAML aliases expand past the size limit (alias bomb?); refusing to load this document".into(),
                                    true,
                                );
                                return;
                            }
                            *self.budget -= count;
                            let mut node = node;
                            node.pos = pos;
                            self.push_node(node, 0);
                        }
                        None => {
                            self.fail(pos, "YAML alias to an unknown anchor".into(), false);
                            return;
                        }
                    }
                }
                Event::SequenceStart(anchor, _) => {
                    if self.stack.len() >= self.max_depth {
                        self.fail(
                            pos,
                            format!(
                                "nesting deeper than {} levels; refusing to load this document",
                                self.max_depth
                            ),
                            true,
                        );
                        return;
                    }
                    self.stack.push(Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                    });
                }
                Event::MappingStart(anchor, _) => {
                    if self.stack.len() >= self.max_depth {
                        self.fail(
                            pos,
                            format!(
                                "nesting deeper than {} levels; refusing to load this document",
                                self.max_depth
                            ),
                            true,
                        );
                        return;
                    }
                    self.stack.push(Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        seen: HashSet::new(),
                    });
                }
                Event::SequenceEnd => {
                    if let Some(Frame::Seq { pos, anchor, items }) = self.stack.pop() {
                        self.push_node(Node::new(Value::Seq(items), pos), anchor);
                    }
                }
                Event::MappingEnd => {
                    if let Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) = self.stack.pop()
                    {
                        self.push_node(Node::new(Value::Map(entries), pos), anchor);
                    }
                }
            }
        }
    }

    fn push_node(&mut self, node: Node, anchor: usize) {
        *self.budget = self.budget.saturating_sub(1);
        if anchor > 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            let count = count_nodes(&node);
            self.anchors[anchor] = Some((node.clone(), count));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                seen,
                ..
            }) => match pending_key.take() {
                None => {
                    let name = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Null => String::new(),
                        Value::Seq(_) | Value::Map(_) => "<complex key>".to_string(),
                    };
                    if !seen.insert(name.clone()) {
                        let msg = format!("duplicate key {name:?} in a mapping");
                        let pos = node.pos;
                        *pending_key = Some(Key {
                            name,
                            pos: node.pos,
                        });
                        self.errors.push(YamlError {
                            pos,
                            message: msg,
                            limit: false,
                            fatal: false,
                        });
                        return;
                    }
                    *pending_key = Some(Key {
                        name,
                        pos: node.pos,
                    });
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

/// YAML 1.2 core schema for plain scalars (what Kubernetes' YAML decoder uses, plus the
/// YAML 1.1 booleans Go's yaml.v2 still accepts are *not* honoured: `yes` stays a string).
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let bytes = s.as_bytes();
    let digits = |b: &[u8]| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits(unsigned.as_bytes()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    }
    let first = bytes.first().copied().unwrap_or(b'x');
    if (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.'))
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && s.chars().any(|c| c.is_ascii_digit())
    {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Document> {
        parse_documents(text, &Limits::default())
    }

    #[test]
    fn positions_are_one_based_and_offset_per_document() {
        let docs = parse("a: 1\n---\nb:\n  c: x\n");
        assert_eq!(docs.len(), 2);
        let b = docs[1].node.as_ref().unwrap();
        assert_eq!(
            b.get("b").unwrap().get("c").unwrap().pos,
            Pos { line: 4, column: 6 }
        );
        assert_eq!(b.key_pos("b"), Some(Pos { line: 3, column: 1 }));
    }

    #[test]
    fn a_broken_document_does_not_hide_the_others() {
        let docs = parse("a: 1\n---\nb: [1, 2\nc: d\n---\ne: 5\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].node.is_some());
        assert!(docs[1].node.is_none());
        assert!(docs[1].errors[0].pos.line >= 3);
        assert!(docs[2].node.is_some());
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let docs = parse("a: 80\nb: '80'\nc: yes\nd: 1.5\ne: ~\nf: true\ng: 1e3\nh: 10.0.0.1\n");
        let n = docs[0].node.as_ref().unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Int(80));
        assert_eq!(n.get("b").unwrap().value, Value::Str("80".into()));
        assert_eq!(n.get("c").unwrap().value, Value::Str("yes".into()));
        assert_eq!(n.get("d").unwrap().value, Value::Float(1.5));
        assert_eq!(n.get("e").unwrap().value, Value::Null);
        assert_eq!(n.get("f").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("g").unwrap().value, Value::Float(1000.0));
        assert_eq!(n.get("h").unwrap().value, Value::Str("10.0.0.1".into()));
    }

    #[test]
    fn alias_bomb_is_refused_with_a_clear_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse(&text);
        assert!(docs[0].node.is_none());
        assert!(
            docs[0].errors[0].message.contains("alias"),
            "{:?}",
            docs[0].errors
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        let docs = parse(&text);
        assert!(
            docs[0].errors[0].message.contains("nest"),
            "{:?}",
            docs[0].errors
        );
    }

    #[test]
    fn json_is_accepted() {
        let docs = parse(r#"{"kind": "Service", "spec": {"ports": [{"port": 80}]}}"#);
        let n = docs[0].node.as_ref().unwrap();
        assert_eq!(n.get("kind").unwrap().as_str(), Some("Service"));
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let docs = parse("a: 1\na: 2\n");
        assert!(docs[0].errors[0].message.contains("duplicate key"));
    }
}
