//! YAML (and therefore JSON) text → [`Node`] trees, one per document, with hard limits.
//!
//! Documents are split on `---` lines *before* parsing, so a syntax error in one document
//! costs only that document: the others still load (kube-rs habit: a bad object in a batch is
//! reported by name instead of failing the batch).
//!
//! The text is read the way Kubernetes reads it, not as YAML 1.2: kubectl, the API server and
//! Istio turn YAML into JSON with sigs.k8s.io/yaml, that is go-yaml v2 (`gopkg.in/yaml.v2`,
//! YAML 1.1 with Go's number syntax). The parser below is YAML 1.2 (saphyr); what go-yaml
//! reads differently is mended around it: plain scalars in [`scalar`] (`yes` is a boolean,
//! `0755` is 493), flow collections in [`flow`] (`[001:db8::]` is one string), and here merge
//! keys (`<<`), repeated keys (the last wins), keys JSON cannot hold, values without a JSON
//! form (`.inf`) and the `%YAML` directive. docs/FEATURES.md lists every difference.

use crate::node::{Key, Node, Pos, Value};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::borrow::Cow;
use std::collections::HashMap;

mod flow;
mod scalar;

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
    for (index, chunk) in split_documents(text).into_iter().enumerate() {
        let start = Pos {
            line: chunk.line as u32,
            column: 1,
        };
        let (node, errors) = parse_chunk(&chunk, &mut budget, limits.max_depth);
        docs.push(Document {
            index,
            start,
            node,
            errors,
        });
        if budget == 0 {
            break;
        }
    }
    docs
}

/// Parses one document: with the YAML 1.2 parser, then again with go-yaml's reading of the
/// flow collections the first run found (a run can stop at a syntax error that go-yaml's
/// reading removes, so this repeats while it finds more to mend).
fn parse_chunk(
    chunk: &Chunk,
    budget: &mut usize,
    max_depth: usize,
) -> (Option<Node>, Vec<YamlError>) {
    let line_offset = chunk.line as u32 - 1;
    if let Some((line, version)) = chunk.yaml_directive {
        if version != "1.1" {
            let e = YamlError {
                pos: Pos { line: line as u32, column: 1 },
                message: format!("%YAML {version}: Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) reads only YAML 1.1 documents and refuses this one (\"found incompatible YAML document\"); remove the directive"),
                limit: false,
                fatal: true,
            };
            return (None, vec![e]);
        }
    }
    let text = chunk.text;
    let start_budget = *budget;
    let mut m = Mender::default();
    // Each pass mends at least one more place; a bound all the same.
    const MAX_PASSES: usize = 64;
    let mut pass = 0;
    loop {
        pass += 1;
        let mended = mend(text, &m.inserts);
        let map = PosMap::new(text, &m.inserts, line_offset);
        *budget = start_budget;
        let mut b = Builder {
            map: &map,
            budget: &mut *budget,
            max_depth,
            anchors: Vec::new(),
            stack: Vec::new(),
            root: None,
            errors: Vec::new(),
            flow_starts: Vec::new(),
            stop: false,
            quoted_too_little_indented: None,
        };
        b.run(&mended);
        let mut more = false;
        let quoted = b
            .quoted_too_little_indented
            .and_then(|c| byte_offsets(&mended, &[c]).first().copied());
        if let Some(at) = quoted.map(|at| map.original_offset(at)) {
            more |= m.quoted(text, at);
        }
        let starts = byte_offsets(&mended, &b.flow_starts);
        for at in starts
            .into_iter()
            .filter(|&at| matches!(mended.as_bytes()[at], b'[' | b'{'))
        {
            more |= m.flow(text, map.original_offset(at));
        }
        // a syntax error inside a flow collection the parser has not reported yet
        if !more && m.error.is_none() {
            if let Some(e) = b.errors.iter().find(|e| e.fatal && !e.limit) {
                let err = map.offset_of_pos(text, e.pos);
                if let Some(at) = flow::enclosing(text, err, |at| m.scanned(at)) {
                    more = m.flow(text, at);
                }
            }
        }
        if let Some((at, message)) = m.error.take() {
            let e = YamlError {
                pos: map.pos_of_offset(text, at),
                message,
                limit: false,
                fatal: true,
            };
            return (None, vec![e]);
        }
        if !more || pass == MAX_PASSES {
            let node = if b.errors.iter().any(|e| e.fatal) {
                None
            } else {
                b.root.take()
            };
            return (node, b.errors);
        }
        m.inserts.sort_by_key(|&(at, _)| at);
    }
}

/// What go-yaml reads differently in one document, found so far (see [`flow`]).
#[derive(Default)]
struct Mender {
    /// Text to insert, at byte offsets of the document.
    inserts: Vec<(usize, &'static str)>,
    /// Flow collections scanned, as (start, end) byte ranges, ascending.
    ranges: Vec<(usize, usize)>,
    /// Quoted scalars indented, by byte offset.
    quoted: Vec<usize>,
    /// Where go-yaml refuses the document, and why.
    error: Option<(usize, String)>,
}

impl Mender {
    /// Whether `at` lies in a flow collection scanned already.
    fn scanned(&self, at: usize) -> bool {
        let i = self.ranges.partition_point(|r| r.0 <= at);
        i > 0 && at < self.ranges[i - 1].1
    }

    /// Scans the flow collection at `at` (unless it was); returns whether it needs mending.
    fn flow(&mut self, text: &str, at: usize) -> bool {
        if self.scanned(at) || self.error.is_some() {
            return false;
        }
        let f = flow::scan(text, at);
        let i = self.ranges.partition_point(|r| r.0 <= at);
        self.ranges.insert(i, (at, f.end));
        self.error = f.error;
        let more = !f.inserts.is_empty();
        self.inserts.extend(f.inserts);
        more
    }

    /// Indents the quoted scalar at `at` (unless it was); returns whether that changes it.
    fn quoted(&mut self, text: &str, at: usize) -> bool {
        if self.quoted.contains(&at) {
            return false;
        }
        self.quoted.push(at);
        let ins = flow::indent_quoted(text, at);
        let more = !ins.is_empty();
        self.inserts.extend(ins);
        more
    }
}

/// `text` with the insertions made.
fn mend<'t>(text: &'t str, inserts: &[(usize, &str)]) -> Cow<'t, str> {
    if inserts.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + inserts.len());
    let mut last = 0;
    for &(at, s) in inserts {
        out.push_str(&text[last..at]);
        out.push_str(s);
        last = at;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Byte offsets of character indices (ascending; a repeated one is given once: a block mapping
/// and its first key, a flow collection, start at the same place).
fn byte_offsets(text: &str, char_indices: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().enumerate();
    let mut last = None;
    for &want in char_indices {
        if last.replace(want) == Some(want) {
            continue;
        }
        for (ci, (bi, _)) in chars.by_ref() {
            if ci == want {
                out.push(bi);
                break;
            }
        }
    }
    out
}

/// Maps positions in the mended text back to the document as written (insertions never hold
/// a line break, so only columns move).
struct PosMap {
    line_offset: u32,
    /// Per insertion, ascending: (0-based line, 0-based character column in the mended text,
    /// characters inserted, 0-based column in the original), and its byte offset and length.
    cols: Vec<(usize, usize, usize, usize)>,
    bytes: Vec<(usize, usize)>,
}

impl PosMap {
    fn new(text: &str, inserts: &[(usize, &str)], line_offset: u32) -> PosMap {
        let mut cols = Vec::with_capacity(inserts.len());
        let (mut line, mut line_start, mut scanned) = (0usize, 0usize, 0usize);
        let mut shift_line = usize::MAX;
        let mut shift = 0usize;
        for &(at, s) in inserts {
            for c in text[scanned..at].bytes() {
                scanned += 1;
                if c == b'\n' {
                    line += 1;
                    line_start = scanned;
                }
            }
            let col = text[line_start..at].chars().count();
            if shift_line != line {
                shift_line = line;
                shift = 0;
            }
            cols.push((line, col + shift, s.len(), col));
            shift += s.len();
        }
        let mut bytes = Vec::with_capacity(inserts.len());
        let mut added = 0usize;
        for &(at, s) in inserts {
            bytes.push((at + added, s.len()));
            added += s.len();
        }
        PosMap {
            line_offset,
            cols,
            bytes,
        }
    }

    /// A position in the mended text (1-based line, 0-based character column) as written.
    fn pos(&self, line: usize, col: usize) -> Pos {
        let line0 = line.saturating_sub(1);
        let mut orig = col;
        let from = self.cols.partition_point(|c| c.0 < line0);
        for &(l, new_col, len, orig_col) in &self.cols[from..] {
            if l != line0 || new_col > col {
                break;
            }
            if col < new_col + len {
                orig = orig_col;
                break;
            }
            orig -= len;
        }
        Pos {
            line: line as u32 + self.line_offset,
            column: orig as u32 + 1,
        }
    }

    /// A byte offset of the mended text (not inside an insertion) in the original.
    fn original_offset(&self, at: usize) -> usize {
        let before = self.bytes.partition_point(|b| b.0 < at);
        at - self.bytes[..before].iter().map(|b| b.1).sum::<usize>()
    }

    /// The byte offset in the original text of a position in it (the inverse of
    /// [`PosMap::pos_of_offset`]).
    fn offset_of_pos(&self, text: &str, pos: Pos) -> usize {
        let line = pos.line.saturating_sub(1 + self.line_offset) as usize;
        let start = if line == 0 {
            0
        } else {
            text.match_indices('\n')
                .nth(line - 1)
                .map_or(text.len(), |(i, _)| i + 1)
        };
        let col = pos.column.saturating_sub(1) as usize;
        text[start..]
            .char_indices()
            .nth(col)
            .map_or(text.len(), |(i, _)| start + i)
    }

    /// The position of a byte offset of the original text.
    fn pos_of_offset(&self, text: &str, at: usize) -> Pos {
        let head = &text[..at];
        let line = head.bytes().filter(|&c| c == b'\n').count();
        let col = head[head.rfind('\n').map_or(0, |n| n + 1)..]
            .chars()
            .count();
        Pos {
            line: line as u32 + 1 + self.line_offset,
            column: col as u32 + 1,
        }
    }
}

/// One document of the input.
struct Chunk<'t> {
    /// 1-based line where the document starts.
    line: usize,
    text: &'t str,
    /// A `%YAML` directive before the document: its line and version.
    yaml_directive: Option<(usize, &'t str)>,
}

/// Every document with its start line. A line starting with `---` (followed by nothing, a
/// space or a tab) starts a new document; `...` ends one.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut out = Vec::new();
    let mut start_byte = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    let mut seen_content = false;
    let mut directive = None;
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
                out.push(Chunk {
                    line: start_line,
                    text: &text[start_byte..offset],
                    yaml_directive: directive.take(),
                });
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
            if let Some(rest) = t.strip_prefix("%YAML") {
                let version = rest.split_whitespace().next().unwrap_or("");
                directive = Some((lineno, version));
            }
            if !t.is_empty() && !t.starts_with('#') && !t.starts_with('%') {
                seen_content = true;
            }
        }
        offset += line.len();
    }
    if seen_content {
        out.push(Chunk {
            line: start_line,
            text: &text[start_byte..],
            yaml_directive: directive.take(),
        });
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
        pending_key: Option<PendingKey>,
        /// Key name → (index in `entries`, written in this mapping rather than merged in). A
        /// map, so that the duplicate check is O(1) per key (scanning `entries` made a 200k-key
        /// mapping take minutes, and a 32 MiB one hours).
        index: HashMap<String, (usize, bool)>,
    },
}

enum PendingKey {
    Key(Key),
    /// `<<`: the value's entries are merged in.
    Merge(Pos),
}

struct Builder<'a> {
    map: &'a PosMap,
    budget: &'a mut usize,
    max_depth: usize,
    /// anchor id → (node, node count)
    anchors: Vec<Option<(Node, usize)>>,
    stack: Vec<Frame>,
    root: Option<Node>,
    errors: Vec<YamlError>,
    /// Character index of every collection start, for [`flow::scan`].
    flow_starts: Vec<usize>,
    /// Set by a fatal error found while building (the parser itself does not stop).
    stop: bool,
    /// Character index of a quoted scalar the parser found too little indented (see
    /// [`flow::indent_quoted`]).
    quoted_too_little_indented: Option<usize>,
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count_nodes(v)).sum(),
        _ => 0,
    }
}

/// What sigs.k8s.io/yaml names a mapping key in JSON (`convertToJSONableObject`: strings as
/// they are, numbers and booleans printed: `yes:` is the key "true", `0755:` is "493"), or
/// why it cannot (a null, a list or a mapping as a key refuses the document).
fn key_name(v: &Value) -> Result<String, &'static str> {
    Ok(match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => scalar::float_key_name(*f),
        Value::Null => return Err("a mapping key is null (`~`, `null` or nothing): Kubernetes' YAML-to-JSON conversion (sigs.k8s.io/yaml, used by kubectl and Istio) refuses the document (\"unsupported map key\"); quote the key"),
        Value::Seq(_) | Value::Map(_) => return Err("a mapping key is a list or a mapping: JSON keys are strings, and Kubernetes' YAML reader (go-yaml v2, used by kubectl and Istio) refuses the document (\"invalid map key\")"),
    })
}

impl Builder<'_> {
    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        self.map.pos(m.line(), m.col())
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
            if self.stop {
                return;
            }
            let (event, span) = match next {
                Ok(e) => e,
                Err(e) => {
                    let pos = self.pos(e.marker());
                    if e.info() == "invalid indentation in quoted scalar" {
                        self.quoted_too_little_indented = Some(e.marker().index());
                    }
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
                    // go-yaml v2 decode.go `scalar`: a quoted scalar without a tag is a string;
                    // a plain one is resolved; a tag resolves the text whatever its style.
                    let core = tag
                        .as_ref()
                        .filter(|t| t.is_yaml_core_schema())
                        .map(|t| t.suffix.as_str());
                    let merge = (tag.is_none() && style == ScalarStyle::Plain && text == "<<")
                        || core == Some("merge");
                    let value = match (&tag, style) {
                        (None, ScalarStyle::Plain) => scalar::resolve_plain(&text),
                        (None, _) => Value::Str(text.into_owned()),
                        (Some(_), _) => match scalar::resolve_tagged(core, &text) {
                            Ok(v) => v,
                            Err(e) => {
                                self.fail(pos, format!("{e}: Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) refuses the document"), false);
                                return;
                            }
                        },
                    };
                    self.push_node(Node::new(value, pos), anchor, merge);
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
                            self.push_node(node, 0, false);
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
                    self.flow_starts.push(span.start.index());
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
                    self.flow_starts.push(span.start.index());
                    self.stack.push(Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        index: HashMap::new(),
                    });
                }
                Event::SequenceEnd => {
                    if let Some(Frame::Seq { pos, anchor, items }) = self.stack.pop() {
                        self.push_node(Node::new(Value::Seq(items), pos), anchor, false);
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
                        self.push_node(Node::new(Value::Map(entries), pos), anchor, false);
                    }
                }
            }
        }
    }

    fn push_node(&mut self, node: Node, anchor: usize, merge_key: bool) {
        *self.budget = self.budget.saturating_sub(1);
        let is_key = matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        );
        // sigs.k8s.io/yaml: `json.Marshal` has no form for these ("unsupported value: +Inf").
        if let (false, Value::Float(f)) = (is_key, &node.value) {
            if !f.is_finite() {
                self.stop = true;
                self.fail(node.pos, format!("{f} (.inf or .nan) has no JSON form: Kubernetes' YAML-to-JSON conversion (sigs.k8s.io/yaml, used by kubectl and Istio) refuses the document (\"json: unsupported value\"); quote it for the text"), false);
                return;
            }
        }
        if anchor > 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            let count = count_nodes(&node);
            self.anchors[anchor] = Some((node.clone(), count));
        }
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        let (entries, pending_key, index) = match frame {
            Frame::Seq { items, .. } => {
                items.push(node);
                return;
            }
            Frame::Map {
                entries,
                pending_key,
                index,
                ..
            } => (entries, pending_key, index),
        };
        let error = match pending_key.take() {
            None if merge_key => {
                *pending_key = Some(PendingKey::Merge(node.pos));
                None
            }
            None => match key_name(&node.value) {
                Ok(name) => {
                    *pending_key = Some(PendingKey::Key(Key {
                        name,
                        pos: node.pos,
                    }));
                    None
                }
                Err(msg) => Some((node.pos, msg.to_string())),
            },
            Some(PendingKey::Key(key)) => {
                let pos = key.pos;
                let name = key.name.clone();
                if assign(entries, index, key, node, true) {
                    // go-yaml v2 keeps the last value silently; meshroute keeps it too, and
                    // says so.
                    self.errors.push(YamlError {
                        pos,
                        message: format!("duplicate key {name:?} in a mapping (the last one is used, as in kubectl)"),
                        limit: false,
                        fatal: false,
                    });
                }
                None
            }
            // go-yaml v2 decode.go `merge`: a mapping, or a list of mappings of which the
            // earlier win; merged keys are assigned where `<<` stands (a key before it is
            // replaced, one after it replaces).
            Some(PendingKey::Merge(pos)) => {
                let maps: Option<Vec<&Vec<(Key, Node)>>> = match &node.value {
                    Value::Map(m) => Some(vec![m]),
                    Value::Seq(items) => items
                        .iter()
                        .rev()
                        .map(|n| match &n.value {
                            Value::Map(m) => Some(m),
                            _ => None,
                        })
                        .collect(),
                    _ => None,
                };
                match maps {
                    Some(maps) => {
                        for m in maps {
                            for (k, v) in m {
                                assign(entries, index, k.clone(), v.clone(), false);
                            }
                        }
                        None
                    }
                    None => Some((pos, "the merge key `<<` needs a mapping or a list of mappings as its value: Kubernetes' YAML parser (go-yaml v2, used by kubectl and Istio) refuses the document (\"map merge requires map or sequence of maps as the value\")".to_string())),
                }
            }
        };
        if let Some((pos, msg)) = error {
            self.stop = true;
            self.fail(pos, msg, false);
        }
    }
}

/// Sets a mapping's key as go-yaml v2 fills a Go map: a key already there gets the new value.
/// Returns whether a key written in the mapping was written there before (a duplicate).
fn assign(
    entries: &mut Vec<(Key, Node)>,
    index: &mut HashMap<String, (usize, bool)>,
    key: Key,
    node: Node,
    written: bool,
) -> bool {
    match index.get_mut(&key.name) {
        Some((i, was_written)) => {
            let duplicate = written && *was_written;
            *was_written |= written;
            entries[*i] = (key, node);
            duplicate
        }
        None => {
            index.insert(key.name.clone(), (entries.len(), written));
            entries.push((key, node));
            false
        }
    }
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
    fn plain_scalars_are_read_as_kubernetes_reads_them() {
        // go-yaml v2 (sigs.k8s.io/yaml): YAML 1.1 booleans, Go octal; the rest as YAML 1.2.
        // Each rule has its own test in `scalar`.
        let docs = parse(
            "a: 80\nb: '80'\nc: yes\nd: 1.5\ne: ~\nf: true\ng: 1e3\nh: 10.0.0.1\ni: 0755\nj: \"no\"\n",
        );
        let n = docs[0].node.as_ref().unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Int(80));
        assert_eq!(n.get("b").unwrap().value, Value::Str("80".into()));
        assert_eq!(n.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("d").unwrap().value, Value::Float(1.5));
        assert_eq!(n.get("e").unwrap().value, Value::Null);
        assert_eq!(n.get("f").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("g").unwrap().value, Value::Float(1000.0));
        assert_eq!(n.get("h").unwrap().value, Value::Str("10.0.0.1".into()));
        assert_eq!(n.get("i").unwrap().value, Value::Int(493));
        assert_eq!(n.get("j").unwrap().value, Value::Str("no".into()));
    }

    /// The root node of a one-document text that must load.
    fn root(text: &str) -> Node {
        let mut docs = parse(text);
        assert!(docs[0].errors.is_empty(), "{text}: {:?}", docs[0].errors);
        docs.remove(0).node.expect("a document")
    }

    /// The one error of a one-document text that go-yaml refuses (the document is not loaded).
    fn refused(text: &str) -> YamlError {
        let docs = parse(text);
        assert!(docs[0].node.is_none(), "{text} loaded");
        assert_eq!(docs[0].errors.len(), 1, "{text}: {:?}", docs[0].errors);
        assert!(docs[0].errors[0].fatal);
        docs[0].errors[0].clone()
    }

    fn strs(n: &Node) -> Vec<Value> {
        match &n.value {
            Value::Seq(items) => items.iter().map(|i| i.value.clone()).collect(),
            other => panic!("not a list: {other:?}"),
        }
    }

    #[test]
    fn a_colon_before_the_end_of_a_flow_item_stays_in_it() {
        // Istio's serviceentry-valid.yaml: kubectl reads two strings; YAML 1.2 a mapping.
        let n = root("spec:\n  addresses: [1.2.3.4, 001:db8::, 10.0.0.1]\n");
        let a = n.get("spec").unwrap().get("addresses").unwrap();
        assert_eq!(
            strs(a),
            ["1.2.3.4", "001:db8::", "10.0.0.1"].map(|s| Value::Str(s.into()))
        );
        // positions are the text's, not the mended text's
        let Value::Seq(items) = &a.value else {
            unreachable!()
        };
        let cols: Vec<u32> = items.iter().map(|i| i.pos.column).collect();
        assert_eq!(cols, [15, 24, 35]);
        assert!(items.iter().all(|i| i.pos.line == 2));
        // in a flow mapping the key keeps its colon
        let m = root("m: {a:, b: 1}\n");
        let m = m.get("m").unwrap();
        assert_eq!(m.get("a:").unwrap().value, Value::Null);
        assert_eq!(m.key_pos("b"), Some(Pos { line: 1, column: 9 }));
        // YAML 1.2 stops at this one (`c:` before `}`); the next collection is mended on the
        // pass after
        let n = root("a: [{x: c:}]\nb: [d:]\n");
        assert_eq!(
            n.get("a").unwrap().value,
            Value::Seq(vec![Node::new(
                Value::Map(vec![(
                    Key {
                        name: "x".into(),
                        pos: Pos { line: 1, column: 6 }
                    },
                    Node::new(Value::Str("c:".into()), Pos { line: 1, column: 9 })
                )]),
                Pos { line: 1, column: 5 }
            )])
        );
        assert_eq!(strs(n.get("b").unwrap()), [Value::Str("d:".into())]);
    }

    #[test]
    fn flow_and_quoted_lines_need_no_indentation() {
        // go-yaml has no indentation rule there; YAML 1.2 wants the lines past `hosts`
        let n = root("spec:\n  hosts: [\n    \"a\",\n  b]\n  ports: {\nhttp: 80\n}\n");
        let spec = n.get("spec").unwrap();
        let hosts = spec.get("hosts").unwrap();
        assert_eq!(
            strs(hosts),
            [Value::Str("a".into()), Value::Str("b".into())]
        );
        let Value::Seq(items) = &hosts.value else {
            unreachable!()
        };
        assert_eq!(items[1].pos, Pos { line: 4, column: 3 });
        let http = spec.get("ports").unwrap().get("http").unwrap();
        assert_eq!(http.value, Value::Int(80));
        assert_eq!(http.pos, Pos { line: 6, column: 7 });
        let n = root("a:\n  b: \"x\ny\"\n  c: 'it''s\n z'\n");
        let a = n.get("a").unwrap();
        assert_eq!(a.get("b").unwrap().value, Value::Str("x y".into()));
        assert_eq!(a.get("c").unwrap().value, Value::Str("it's z".into()));
        assert_eq!(a.get("c").unwrap().pos, Pos { line: 4, column: 6 });
    }

    #[test]
    fn flow_values_go_yaml_cannot_read_are_refused_where_they_are() {
        let at = |text: &str, line: u32, column: u32, message: &str| {
            let e = refused(text);
            assert_eq!(e.pos, Pos { line, column }, "{text}");
            assert!(e.message.contains(message), "{text}: {}", e.message);
        };
        at("spec:\n  addresses: [::1]\n", 2, 15, "starts with `:`");
        at("hosts:\n- a\n- [http://x/?q=1]\n", 3, 13, "`?` inside");
        at("a: [b:[1]]\n", 1, 7, "right before `[`");
        // block values are read alike: no refusal there
        root("a: ::1\nb: http://x/?q=1\nc: d:e\n");
        // `?x` starting an entry is go-yaml's key indicator
        let n = root("a: [?x]\n");
        let item = &strs(n.get("a").unwrap())[0];
        assert!(
            matches!(item, Value::Map(m) if m[0].0.name == "x"),
            "{item:?}"
        );
    }

    #[test]
    fn keys_are_named_as_in_the_json() {
        let docs = parse("yes: 1\non: 2\n0755: 3\n'no': 4\n");
        let n = docs[0].node.as_ref().unwrap();
        let names: Vec<&str> = match &n.value {
            Value::Map(m) => m.iter().map(|(k, _)| k.name.as_str()).collect(),
            _ => unreachable!(),
        };
        assert_eq!(names, ["true", "493", "no"]);
        // `yes` and `on` are both the key "true": a duplicate, the last value kept
        assert_eq!(n.get("true").unwrap().value, Value::Int(2));
        assert_eq!(docs[0].errors.len(), 1);
        assert!(docs[0].errors[0].message.contains("duplicate key \"true\""));
        // so is `y`, which is why no key below is called `y`
        assert!(root("y: 1\n").get("true").is_some());
    }

    #[test]
    fn keys_json_cannot_hold_are_refused() {
        for (t, col) in [
            ("~: 1\n", 1),
            ("a:\n  null: 1\n", 3),
            ("? [a, b]\n: c\n", 3),
        ] {
            let e = refused(t);
            assert_eq!(e.pos.column, col, "{t}");
            assert!(e.message.contains("mapping key"), "{t}: {}", e.message);
        }
    }

    #[test]
    fn merge_keys_merge() {
        let n = root("base: &b {a: 1, c: 1}\nx:\n  <<: *b\n  d: 2\nw:\n  c: 2\n  <<: *b\nz:\n  <<: [{a: 5}, *b]\n  c: 3\nq: {'<<': 1}\n");
        let get = |m: &str, k: &str| n.get(m).unwrap().get(k).map(|v| v.value.clone());
        assert_eq!(get("x", "a"), Some(Value::Int(1)));
        assert_eq!(get("x", "d"), Some(Value::Int(2)));
        assert_eq!(get("x", "<<"), None);
        // merged where `<<` stands: it replaces the key before it
        assert_eq!(get("w", "c"), Some(Value::Int(1)));
        // the earlier mapping of a list wins; a key after `<<` replaces
        assert_eq!(get("z", "a"), Some(Value::Int(5)));
        assert_eq!(get("z", "c"), Some(Value::Int(3)));
        // a quoted `<<` is an ordinary key
        assert_eq!(get("q", "<<"), Some(Value::Int(1)));
        let e = refused("a: {<<: 1}\n");
        assert_eq!(e.pos, Pos { line: 1, column: 5 });
        assert!(e.message.contains("merge key"), "{}", e.message);
    }

    #[test]
    fn values_without_a_json_form_are_refused() {
        for t in [
            "a: .inf\n",
            "a: [1, -.Inf]\n",
            "a: .nan\n",
            "a: !!float .inf\n",
        ] {
            let e = refused(t);
            assert!(e.message.contains("no JSON form"), "{t}: {}", e.message);
        }
        assert_eq!(refused("a:\n  b: .inf\n").pos, Pos { line: 2, column: 6 });
        // as a key it is the name sigs.k8s.io/yaml gives it
        assert!(root(".inf: 1\n").get(".inf").is_some());
    }

    #[test]
    fn tags_resolve_the_text_whatever_its_style() {
        let n = root("a: !!int \"80\"\nb: !!str 80\nc: !custom 80\nd: ! yes\ne: !!binary aGk=\nf: !!bool 'on'\n");
        let v = |k: &str| n.get(k).unwrap().value.clone();
        assert_eq!(v("a"), Value::Int(80));
        assert_eq!(v("b"), Value::Str("80".into()));
        assert_eq!(v("c"), Value::Str("80".into()));
        assert_eq!(v("d"), Value::Str("yes".into()));
        assert_eq!(v("e"), Value::Str("hi".into()));
        assert_eq!(v("f"), Value::Bool(true));
        let e = refused("a: 1\nb: !!int abc\n");
        assert_eq!(e.pos, Pos { line: 2, column: 4 });
        assert!(
            e.message
                .starts_with("cannot decode !!str `abc` as a !!int"),
            "{}",
            e.message
        );
    }

    #[test]
    fn only_yaml_1_1_documents() {
        let docs = parse("a: 1\n---\n%YAML 1.2\n---\nb: yes\n---\nc: 2\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].node.is_some() && docs[2].node.is_some());
        assert!(docs[1].node.is_none());
        assert_eq!(docs[1].errors[0].pos, Pos { line: 3, column: 1 });
        assert!(docs[1].errors[0].message.contains("%YAML 1.2"));
        assert_eq!(
            root("%YAML 1.1\n---\nb: yes\n").get("b").unwrap().value,
            Value::Bool(true)
        );
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
    fn duplicate_keys_are_reported_and_the_last_is_used() {
        // go-yaml v2 keeps the last value (and says nothing); meshroute says so
        let docs = parse("a: 1\nb: 0\na: 2\n");
        assert!(!docs[0].errors[0].fatal);
        assert_eq!(docs[0].errors[0].pos, Pos { line: 3, column: 1 });
        assert!(docs[0].errors[0].message.contains("duplicate key"));
        let n = docs[0].node.as_ref().unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Int(2));
        assert_eq!(n.get("a").unwrap().pos, Pos { line: 3, column: 4 });
    }
}
