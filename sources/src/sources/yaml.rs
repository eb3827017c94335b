//! YAML -> [`Node`] tree, keeping tags (`!Ref`, `!Sub`, ...) and positions,
//! and the map from a string scalar's decoded text back onto the file
//! ([`string_segments`]).
//!
//! Built on saphyr-parser's event stream rather than a ready-made document
//! type so that CloudFormation short-form tags survive, every node keeps its
//! position, and aliases are expanded under a budget: a "billion laughs"
//! document fails with an error instead of eating the machine.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::doc::{Node, ReadError, SourceFile, Value};
use super::json::MAX_DEPTH;

/// Most nodes a document may have once aliases are expanded.
pub const MAX_NODES: usize = 1_000_000;

/// Read every document of a YAML stream.
pub fn parse(file: &SourceFile) -> Result<Vec<Node>, ReadError> {
    let mut parser = Parser::new_from_str(file.text());
    let mut docs = Vec::new();
    // Anchored nodes and their sizes (in nodes), for the expansion budget.
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut total = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            let at = file.offset_of(m.line(), m.col());
            match unclosed_flow(file, &stack, at) {
                Some((what, opened)) => ReadError::at(
                    format!("invalid YAML: this {what} is never closed ({})", e.info()),
                    opened,
                ),
                None => ReadError::at(format!("invalid YAML: {}", e.info()), at),
            }
        })?;
        let offset = file.offset_of(span.start.line(), span.start.col());
        let (node, size, anchor) = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                anchors.clear();
                total = 0;
                continue;
            }
            Event::DocumentEnd => continue,
            Event::SequenceStart(ref anchor, ref tag)
            | Event::MappingStart(ref anchor, ref tag) => {
                let (anchor, tag) = (*anchor, tag.clone());
                if stack.len() >= MAX_DEPTH {
                    return Err(ReadError::at(
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                        offset,
                    ));
                }
                let is_map = matches!(event, Event::MappingStart(..));
                stack.push(Frame {
                    node: Node {
                        value: if is_map {
                            Value::Map(Vec::new())
                        } else {
                            Value::Seq(Vec::new())
                        },
                        offset,
                        tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    },
                    anchor,
                    size: 1,
                    key: None,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let mut frame = stack.pop().expect("balanced events");
                if frame.key.is_some() {
                    return Err(ReadError::at("mapping key without value", offset));
                }
                merge_keys(&mut frame.node);
                (frame.node, frame.size, frame.anchor)
            }
            Event::Alias(id) => {
                let (node, size) = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| ReadError::at("unknown alias", offset))?;
                (node, size, 0)
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                (scalar(&text, style, tag, offset), 1, anchor)
            }
        };
        total += size;
        if total > MAX_NODES {
            return Err(ReadError::at(
                format!("document expands to more than {MAX_NODES} nodes (aliases)"),
                offset,
            ));
        }
        if anchor != 0 {
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => docs.push(node),
            Some(frame) => {
                frame.size += size;
                match &mut frame.node.value {
                    Value::Seq(items) => items.push(node),
                    Value::Map(entries) => match frame.key.take() {
                        None => frame.key = Some(key_node(node)?),
                        Some(key) => entries.push((key, node)),
                    },
                    _ => unreachable!("frames hold collections"),
                }
            }
        }
    }
    Ok(docs)
}

/// The innermost open flow collection (`{...}`, `[...]`), when a parse
/// error at `at` means that it was never closed: the error is on a later
/// line, and that line is back at (or left of) the indentation of the line
/// where the collection opened, or the input ended. Such an error is
/// reported where the collection opened, which is where the fix goes; an
/// error inside a well-indented multi-line flow collection (a missing
/// comma) stays where it is.
fn unclosed_flow(file: &SourceFile, stack: &[Frame], at: usize) -> Option<(&'static str, usize)> {
    let text = file.text();
    let frame = stack.last()?;
    let opened = frame.node.offset;
    let what = match text.as_bytes().get(opened)? {
        b'{' => "flow mapping `{`",
        b'[' => "flow sequence `[`",
        _ => return None,
    };
    let (open_line, _) = file.line_col(opened);
    let (line, column) = file.line_col(at);
    if line <= open_line {
        return None;
    }
    let open_text = file.line_text(open_line);
    let indent = open_text.len() - open_text.trim_start_matches(' ').len();
    let at_end = text[at.min(text.len())..].trim().is_empty();
    (at_end || column - 1 <= indent).then_some((what, opened))
}

/// Apply YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) in a mapping:
/// the merged mappings' entries take the place of the `<<` entry, less the
/// keys the mapping sets itself (and, for a list, keys an earlier mapping
/// gave). Serverless Framework files and SAM templates built by the SAM CLI
/// use them.
fn merge_keys(node: &mut Node) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let is_merge = |k: &Node| k.as_str() == Some("<<") && k.tag.is_none();
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return;
    }
    let own: Vec<String> = entries
        .iter()
        .filter(|(k, _)| !is_merge(k))
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    let mut merged = Vec::new();
    for (k, v) in std::mem::take(entries) {
        if !is_merge(&k) {
            merged.push((k, v));
            continue;
        }
        let sources: Vec<Node> = match v.value {
            Value::Map(_) => vec![v],
            Value::Seq(items) => items,
            // Not a mapping to merge: keep the entry as written.
            value => {
                merged.push((k, Node { value, ..v }));
                continue;
            }
        };
        let mut taken: Vec<String> = Vec::new();
        for source in sources {
            let Value::Map(from) = source.value else {
                continue;
            };
            for (fk, fv) in from {
                let name = fk.as_str().unwrap_or_default().to_string();
                if own.contains(&name) || taken.contains(&name) {
                    continue;
                }
                taken.push(name);
                merged.push((fk, fv));
            }
        }
    }
    *entries = merged;
}

struct Frame {
    node: Node,
    anchor: usize,
    size: usize,
    key: Option<Node>,
}

fn key_node(node: Node) -> Result<Node, ReadError> {
    let text = match &node.value {
        Value::String(s) | Value::Number(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        _ => return Err(ReadError::at("mapping keys must be scalars", node.offset)),
    };
    Ok(Node::new(Value::String(text), node.offset))
}

/// Type a scalar by the YAML 1.2 core schema; quoted scalars are strings.
fn scalar(text: &str, style: ScalarStyle, tag: Option<String>, offset: usize) -> Node {
    let (value, tag) = match tag.as_deref() {
        Some("!!str" | "tag:yaml.org,2002:str") => (Value::String(text.to_string()), None),
        Some(t) if t.starts_with("!!") || t.starts_with("tag:yaml.org,2002:") => {
            (plain(text), None)
        }
        _ if style != ScalarStyle::Plain => (Value::String(text.to_string()), tag),
        _ => (plain(text), tag),
    };
    Node { value, offset, tag }
}

fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => match number(text) {
            Some(n) => Value::Number(n),
            None => Value::String(text.to_string()),
        },
    }
}

/// A YAML core-schema number, respelled as JSON when needed (`+1` -> `1`,
/// `.5` -> `0.5`, `0x1F` -> `31`). Infinities and NaN stay strings: JSON
/// has no spelling for them.
fn number(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(|v| v.to_string());
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(|v| v.to_string());
    }
    let (sign, body) = match b.first()? {
        b'-' => ("-", &text[1..]),
        b'+' => ("", &text[1..]),
        _ => ("", text),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int)
        || !frac.is_none_or(all_digits)
        || (int.is_empty() && frac.is_none_or(str::is_empty))
    {
        return None;
    }
    let exp = match exp {
        None => String::new(),
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            format!("e{e}")
        }
    };
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = match frac {
        Some(f) if !f.is_empty() => format!(".{f}"),
        _ => String::new(),
    };
    Some(format!("{sign}{int}{frac}{exp}"))
}

/// Exact segments for a pattern held in a one-line quoted string (JSON,
/// YAML or HCL), when the string's layout is simple enough to follow.
pub fn string_segments(text: &str, node: &Node) -> Option<Vec<(usize, usize)>> {
    if node.tag.is_some() {
        return None;
    }
    let rest = &text[node.offset..];
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    match line.as_bytes().first()? {
        _ if is_literal_block(text, node.offset) => literal_block_segments(text, node),
        b'"' => {
            let segments = evrule::json::string_segments(text, node.offset);
            // The string must close on this line for the map to hold.
            let closes = line.len() > 1 && line[1..].contains('"');
            closes.then_some(segments)
        }
        b'\'' => {
            // YAML single quotes: `''` is the only escape.
            let mut segments = vec![(0, node.offset + 1)];
            let bytes = line.as_bytes();
            let (mut raw, mut decoded) = (1, 0);
            loop {
                match bytes.get(raw)? {
                    b'\'' if bytes.get(raw + 1) == Some(&b'\'') => {
                        raw += 2;
                        decoded += 1;
                        segments.push((decoded, node.offset + raw));
                    }
                    b'\'' => return Some(segments),
                    _ => {
                        raw += 1;
                        decoded += 1;
                    }
                }
            }
        }
        _ => None,
    }
}

/// Whether the scalar starting at `offset` is the content of a YAML literal
/// block: only blanks before it on its line, and the line above ends with
/// the `|` indicator (blank lines between are allowed).
fn is_literal_block(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..offset].bytes().all(|b| b == b' ') || line_start == 0 {
        return false;
    }
    let above = text[..line_start - 1]
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let indicator = above.trim_end().rsplit(' ').next().unwrap_or("");
    indicator.starts_with('|')
        && indicator[1..]
            .chars()
            .all(|c| matches!(c, '-' | '+' | '1'..='9'))
}

/// Segments for a YAML literal block (`|`): each content line is the file's
/// line less the block's indentation. Checked line by line against the
/// decoded text; any doubt and there is no exact map.
fn literal_block_segments(text: &str, node: &Node) -> Option<Vec<(usize, usize)>> {
    let content = node.as_str()?;
    let first_line = text[..node.offset].rfind('\n').map_or(0, |i| i + 1);
    let indent = node.offset - first_line;
    let mut segments = Vec::new();
    let mut file_line = first_line;
    let mut decoded = 0;
    // Leading blank lines of the content sit above `first_line`: rare, and
    // then there is no exact map.
    for want in content.split_inclusive('\n') {
        let end = text[file_line..]
            .find('\n')
            .map_or(text.len(), |i| file_line + i);
        let have = text[file_line..end].trim_end_matches('\r');
        let want_line = want.trim_end_matches('\n');
        if want_line.is_empty() {
            if !have.trim().is_empty() {
                return None;
            }
        } else if have.get(indent..) != Some(want_line) {
            return None;
        } else {
            segments.push((decoded, file_line + indent));
        }
        decoded += want.len();
        file_line = (end + 1).min(text.len());
    }
    Some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        let f = SourceFile::new("t.yaml".into(), text.to_string());
        parse(&f).unwrap().remove(0)
    }

    #[test]
    fn tags_types_positions() {
        let n = doc("a: !Ref Foo\nb: [1, '2', .5, true, ~]\nc: |\n  text\n");
        let a = n.get("a").unwrap();
        assert_eq!(a.tag.as_deref(), Some("!Ref"));
        assert_eq!(a.as_str(), Some("Foo"));
        assert_eq!(a.offset, 3);
        let b = n.get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[0].value, Value::Number("1".into()));
        assert_eq!(b[1].value, Value::String("2".into()));
        assert_eq!(b[2].value, Value::Number("0.5".into()));
        assert_eq!(b[3].value, Value::Bool(true));
        assert_eq!(b[4].value, Value::Null);
        assert_eq!(b[1].offset, 19);
    }

    #[test]
    fn merge_keys_fill_in_what_the_mapping_lacks() {
        let n = doc("base: &b {a: 1, c: 2}\nm:\n  c: 3\n  <<: *b\n  d: 4\n");
        let m = n.get("m").unwrap().as_map().unwrap();
        let keys: Vec<_> = m.iter().map(|(k, _)| k.as_str().unwrap()).collect();
        assert_eq!(keys, ["c", "a", "d"]);
        assert_eq!(
            n.get("m").unwrap().get("c").unwrap().value,
            Value::Number("3".into())
        );
    }

    #[test]
    fn billion_laughs_is_capped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let f = SourceFile::new("t.yaml".into(), text);
        let err = parse(&f).unwrap_err();
        assert!(
            err.message.contains("more than 1000000 nodes"),
            "{}",
            err.message
        );
    }
}
