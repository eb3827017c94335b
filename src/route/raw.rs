//! JSON read on its own bytes: one validating pass over an event that finds
//! the values a router's targets need, and writers that print those values
//! in one canonical form.
//!
//! Rendering inputs used to parse every event into a `serde_json::Value`
//! tree (maps, strings and numbers allocated one by one) and print the
//! chosen values back. Here a [`PathSet`] holds every path the targets of
//! a router use, as a trie, and [`PathSet::resolve`] walks the event text
//! once, checking it is JSON (grammar, string escapes and surrogate pairs,
//! control characters, nesting depth 127, as `serde_json` checks it) and
//! noting where the value of each path starts and ends. Nothing is
//! allocated but the table of spans. Later duplicates of a key replace
//! earlier ones (and forget what was found under them), as they do in a
//! `Value`.
//!
//! A span is the value as sent. The writers ([`write_json`],
//! [`write_text`], [`write_string_content`]) turn it into the form
//! `Value::to_string` prints: no whitespace, object keys sorted and
//! de-duplicated (last wins), strings re-escaped the way `serde_json`
//! escapes (only when the string has an escape, otherwise copied). Numbers
//! keep their digits exactly (`1.50` stays `1.50`, `1e400` stays a
//! number); only the exponent is written one way, lower case and signed
//! (`1E5` -> `1e+5`). Values without objects are copied almost byte for
//! byte.
//!
//! Nothing here depends on how `serde_json` is built: the walk is the only
//! judge of what is JSON, and when it says no, the library's reader
//! ([`json::parse`]) words the reason.

use std::borrow::Cow;

use crate::json;
use crate::route::path::{JsonPath, Step};

const MAX_DEPTH: usize = json::SERDE_JSON_DEPTH;

/// Byte offsets of a value in the text it was found in.
type Span = (usize, usize);

#[derive(Clone, Debug, Default)]
struct Node {
    keys: Vec<(String, usize)>,
    indices: Vec<(usize, usize)>,
}

/// A trie of paths; node 0 is `$`. Paths are added when a router (or a
/// transformer) is built, and every event is then resolved in one pass.
#[derive(Clone, Debug)]
pub(crate) struct PathSet {
    nodes: Vec<Node>,
}

impl Default for PathSet {
    fn default() -> Self {
        PathSet::new()
    }
}

/// The value of each node of a [`PathSet`] in one event: spans of the
/// event text.
#[derive(Debug)]
pub(crate) struct Resolved<'e> {
    text: &'e str,
    spans: Vec<Option<Span>>,
}

impl Resolved<'_> {
    /// The JSON text of node `n`, or `None` when the event has nothing
    /// there.
    pub(crate) fn get(&self, n: usize) -> Option<&str> {
        self.spans[n].map(|(s, e)| &self.text[s..e])
    }
}

impl PathSet {
    /// Only `$`.
    pub(crate) fn new() -> PathSet {
        PathSet {
            nodes: vec![Node::default()],
        }
    }

    /// The node of `path`, added if new.
    pub(crate) fn add(&mut self, path: &JsonPath) -> usize {
        let mut at = 0;
        for step in path.steps() {
            let found = match step {
                Step::Key(k) => self.nodes[at]
                    .keys
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|&(_, c)| c),
                Step::Index(i) => self.nodes[at]
                    .indices
                    .iter()
                    .find(|(idx, _)| idx == i)
                    .map(|&(_, c)| c),
            };
            at = match found {
                Some(c) => c,
                None => {
                    let c = self.nodes.len();
                    self.nodes.push(Node::default());
                    match step {
                        Step::Key(k) => self.nodes[at].keys.push((k.clone(), c)),
                        Step::Index(i) => self.nodes[at].indices.push((*i, c)),
                    }
                    c
                }
            };
        }
        at
    }

    /// Find every node's value in `text`. `Err` carries the reason (see
    /// [`validate`]) when the text is not JSON.
    pub(crate) fn resolve<'e>(&self, text: &'e str) -> Result<Resolved<'e>, String> {
        let mut spans = vec![None; self.nodes.len()];
        match walk(text, self, &mut spans) {
            Ok(()) => Ok(Resolved { text, spans }),
            Err(()) => Err(reason(text.as_bytes())),
        }
    }

    fn clear(&self, n: usize, spans: &mut [Option<Span>]) {
        spans[n] = None;
        let node = &self.nodes[n];
        for &(_, c) in &node.keys {
            self.clear(c, spans);
        }
        for &(_, c) in &node.indices {
            self.clear(c, spans);
        }
    }
}

/// Whether `text` is JSON.
pub(crate) fn is_plain_json(text: &str) -> bool {
    static EMPTY: PathSet = PathSet { nodes: Vec::new() };
    walk(text, &EMPTY, &mut []).is_ok()
}

/// Check that `text` is JSON (as `serde_json` would read it into a
/// `Value`, but with numbers of any size). `Err` is the reason in
/// `serde_json`'s words and form: `trailing comma at line 1 column 4`.
pub(crate) fn validate(text: &str) -> Result<(), String> {
    if is_plain_json(text) {
        Ok(())
    } else {
        Err(reason(text.as_bytes()))
    }
}

/// Why `text`, which the walk refused (or which is not UTF-8), is not
/// JSON: the library's reader finds the place and words it.
pub(crate) fn reason(text: &[u8]) -> String {
    match json::parse(text, MAX_DEPTH) {
        Err(e) => e.described(text),
        // The two readers are held to each other by the tests below.
        Ok(_) => "not JSON".to_string(),
    }
}

/// The validating walk.
fn walk(text: &str, set: &PathSet, spans: &mut [Option<Span>]) -> Result<(), ()> {
    let mut w = Walker {
        b: text.as_bytes(),
        i: 0,
        set,
        spans,
        key: String::new(),
    };
    let root = if set.nodes.is_empty() { None } else { Some(0) };
    w.value(root, 0)?;
    w.ws();
    if w.i != w.b.len() {
        return Err(());
    }
    Ok(())
}

struct Walker<'a, 's> {
    b: &'a [u8],
    i: usize,
    set: &'s PathSet,
    spans: &'s mut [Option<Span>],
    key: String,
}

/// The index of the first byte at or after `i` that is a quote, a
/// backslash or (when `controls`) below 0x20; `b.len()` if none. Eight
/// bytes at a time: in each mask the lowest set bit is exact (borrows only
/// run upwards), which is all `trailing_zeros` looks at.
#[inline]
fn next_special(b: &[u8], mut i: usize, controls: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let mut mask = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')));
        if controls {
            mask |= w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        }
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\') && !(controls && b[i] < 0x20) {
        i += 1;
    }
    i
}

impl Walker<'_, '_> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Result<(), ()> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(())
        }
    }

    fn value(&mut self, node: Option<usize>, depth: usize) -> Result<(), ()> {
        self.ws();
        let start = self.i;
        match self.b.get(self.i) {
            Some(b'{') => self.object(node, depth + 1)?,
            Some(b'[') => self.array(node, depth + 1)?,
            Some(b'"') => {
                self.string()?;
            }
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            _ => return Err(()),
        }
        if let Some(n) = node {
            self.spans[n] = Some((start, self.i));
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(())
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), ()> {
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(()),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(());
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(());
            }
        }
        Ok(())
    }

    /// At a quote: skip the string, checking it. Returns whether it holds
    /// an escape.
    fn string(&mut self) -> Result<bool, ()> {
        self.i += 1;
        let mut escaped = false;
        loop {
            self.i = next_special(self.b, self.i, true);
            match *self.b.get(self.i).ok_or(())? {
                b'"' => {
                    self.i += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                c if c < 0x20 => return Err(()),
                _ => self.i += 1,
            }
        }
    }

    fn escape(&mut self) -> Result<(), ()> {
        let (_, len) = json::decode_escape(self.b, self.i).map_err(|_| ())?;
        self.i += len;
        Ok(())
    }

    fn array(&mut self, node: Option<usize>, depth: usize) -> Result<(), ()> {
        if depth > MAX_DEPTH {
            return Err(());
        }
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            let child = node.and_then(|n| {
                self.set.nodes[n]
                    .indices
                    .iter()
                    .find(|&&(i, _)| i == index)
                    .map(|&(_, c)| c)
            });
            if let Some(c) = child {
                self.set.clear(c, self.spans);
            }
            self.value(child, depth)?;
            index += 1;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
    }

    fn object(&mut self, node: Option<usize>, depth: usize) -> Result<(), ()> {
        if depth > MAX_DEPTH {
            return Err(());
        }
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(());
            }
            let start = self.i + 1;
            let escaped = self.string()?;
            let raw = &self.b[start..self.i - 1];
            let wanted = node.filter(|&n| !self.set.nodes[n].keys.is_empty());
            let child = match wanted {
                None => None,
                Some(n) if escaped => {
                    self.key.clear();
                    // Checked just above: valid UTF-8 with valid escapes.
                    let raw = std::str::from_utf8(raw).map_err(|_| ())?;
                    decode_into(&mut self.key, raw);
                    self.find_key(n, self.key.as_bytes())
                }
                Some(n) => self.find_key(n, raw),
            };
            self.eat(b':')?;
            if let Some(c) = child {
                self.set.clear(c, self.spans);
            }
            self.value(child, depth)?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
    }

    fn find_key(&self, n: usize, key: &[u8]) -> Option<usize> {
        self.set.nodes[n]
            .keys
            .iter()
            .find(|(k, _)| k.as_bytes() == key)
            .map(|&(_, c)| c)
    }
}

/// Append the characters of the (valid) string content `raw`, escapes
/// decoded.
fn decode_into(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        // The walk checked every escape; a bad one cannot reach here.
        let (c, used) = json::decode_escape(rest.as_bytes(), at).unwrap_or(('\u{FFFD}', 2));
        out.push(c);
        rest = &rest[at + used..];
    }
    out.push_str(rest);
}

/// The content of a string token (quotes removed, escapes decoded).
pub(crate) fn decode_string(token: &str) -> Cow<'_, str> {
    let raw = &token[1..token.len() - 1];
    if raw.contains('\\') {
        let mut s = String::with_capacity(raw.len());
        decode_into(&mut s, raw);
        Cow::Owned(s)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Append `s` escaped as `serde_json` escapes string content.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut done = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[done..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(c >> 4)] as char);
            out.push(HEX[usize::from(c & 15)] as char);
        } else {
            out.push_str(esc);
        }
        done = i + 1;
    }
    out.push_str(&s[done..]);
}

/// A cursor over text already known to be valid JSON.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

/// An object member written by [`write_value`]: the key's characters as
/// written (between the quotes), whether they hold an escape, and where
/// the member's output (`"key":value`) is.
#[derive(Clone, Copy)]
struct Member<'a> {
    key: &'a str,
    escaped: bool,
    start: usize,
    end: usize,
}

/// Keys in `BTreeMap<String, _>` order (of their characters).
fn cmp_keys(a: &str, a_escaped: bool, b: &str, b_escaped: bool) -> std::cmp::Ordering {
    if !a_escaped && !b_escaped {
        return a.cmp(b);
    }
    let decode = |k: &str| {
        let mut s = String::new();
        decode_into(&mut s, k);
        s
    };
    decode(a).cmp(&decode(b))
}

impl Member<'_> {
    fn cmp_key(&self, other: &Member<'_>) -> std::cmp::Ordering {
        cmp_keys(self.key, self.escaped, other.key, other.escaped)
    }
}

/// Scratch space for [`write_value`]: the members of the objects being
/// written (a stack), and a buffer to reorder an object's output in.
#[derive(Default)]
struct Scratch<'a> {
    members: Vec<Member<'a>>,
    reorder: String,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { s, i: 0 }
    }

    fn peek(&mut self) -> u8 {
        let b = self.s.as_bytes();
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(self.i) {
            self.i += 1;
        }
        b[self.i]
    }

    /// Skip a number or literal; its text.
    fn scalar(&mut self) -> &'a str {
        let b = self.s.as_bytes();
        let start = self.i;
        while self.i < b.len()
            && !matches!(b[self.i], b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r')
        {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    /// At a quote: skip the string. Its characters as written, and whether
    /// they hold an escape.
    fn string(&mut self) -> (&'a str, bool) {
        let b = self.s.as_bytes();
        let mut escaped = false;
        self.i += 1;
        let start = self.i;
        loop {
            self.i = next_special(b, self.i, false);
            match b.get(self.i) {
                Some(b'\\') => {
                    escaped = true;
                    self.i += 2;
                }
                _ => {
                    self.i += 1;
                    return (&self.s[start..self.i - 1], escaped);
                }
            }
        }
    }

    /// Inside a container, after a value: true if another follows.
    fn more(&mut self) -> bool {
        let more = self.peek() == b',';
        self.i += 1;
        more
    }
}

/// Append string characters as `serde_json` escapes them: copied unless
/// they hold an escape.
fn write_chars(out: &mut String, chars: &str, escaped: bool) {
    if escaped {
        let mut s = String::with_capacity(chars.len());
        decode_into(&mut s, chars);
        escape_into(out, &s);
    } else {
        out.push_str(chars);
    }
}

/// A number with its digits as written; the exponent marker lower case
/// and always signed (as `serde_json` printed numbers it kept as text).
fn write_number(out: &mut String, n: &str) {
    match n.find(['e', 'E']) {
        None => out.push_str(n),
        Some(at) => {
            out.push_str(&n[..at]);
            out.push('e');
            let exp = &n[at + 1..];
            if !exp.starts_with(['+', '-']) {
                out.push('+');
            }
            out.push_str(exp);
        }
    }
}

/// Append the (valid) JSON text `raw` as `Value::to_string` prints it.
pub(crate) fn write_json(out: &mut String, raw: &str) {
    write_value(out, &mut Cursor::new(raw), &mut Scratch::default(), false);
}

/// The text form of a value inside a non-JSON template: strings as their
/// (escaped) characters, `{acc_id:0a787ecb-4015,sf_id:baz}`,
/// `[ACTIVE,INACTIVE]`, other values as JSON.
pub(crate) fn write_text(out: &mut String, raw: &str) {
    write_value(out, &mut Cursor::new(raw), &mut Scratch::default(), true);
}

/// One value, as JSON or (`text`) in text form, in one pass: an object's
/// members are written as they come, and only when their keys turn out
/// not to be strictly increasing are the members' outputs reordered (and
/// the earlier of equal keys dropped, as a `BTreeMap` filled in order
/// would).
fn write_value<'a>(out: &mut String, c: &mut Cursor<'a>, scratch: &mut Scratch<'a>, text: bool) {
    match c.peek() {
        b'"' => {
            let (chars, escaped) = c.string();
            if !text {
                out.push('"');
            }
            write_chars(out, chars, escaped);
            if !text {
                out.push('"');
            }
        }
        b'[' => {
            c.i += 1;
            out.push('[');
            if c.peek() == b']' {
                c.i += 1;
            } else {
                loop {
                    write_value(out, c, scratch, text);
                    if !c.more() {
                        break;
                    }
                    out.push(',');
                }
            }
            out.push(']');
        }
        b'{' => {
            c.i += 1;
            let object = out.len();
            out.push('{');
            if c.peek() == b'}' {
                c.i += 1;
                out.push('}');
                return;
            }
            let base = scratch.members.len();
            let mut in_order = true;
            loop {
                c.peek();
                let (key, escaped) = c.string();
                if let Some(last) = scratch.members[base..].last() {
                    in_order &= cmp_keys(last.key, last.escaped, key, escaped).is_lt();
                    out.push(',');
                }
                let start = out.len();
                if !text {
                    out.push('"');
                }
                write_chars(out, key, escaped);
                out.push_str(if text { ":" } else { "\":" });
                c.peek();
                c.i += 1; // ':'
                write_value(out, c, scratch, text);
                scratch.members.push(Member {
                    key,
                    escaped,
                    start,
                    end: out.len(),
                });
                if !c.more() {
                    break;
                }
            }
            out.push('}');
            if !in_order {
                let Scratch { members, reorder } = scratch;
                let members = &mut members[base..];
                // Stable: of equal keys, the last stays last.
                members.sort_by(Member::cmp_key);
                reorder.clear();
                reorder.push_str(&out[object..]);
                out.truncate(object);
                out.push('{');
                let mut first = true;
                for (j, m) in members.iter().enumerate() {
                    if members.get(j + 1).is_some_and(|n| n.cmp_key(m).is_eq()) {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&reorder[m.start - object..m.end - object]);
                }
                out.push('}');
            }
            scratch.members.truncate(base);
        }
        b'-' | b'0'..=b'9' => write_number(out, c.scalar()),
        _ => out.push_str(c.scalar()),
    }
}

/// Append the content (without quotes) `Value::to_string` prints for the
/// string token `raw`.
pub(crate) fn write_string_content(out: &mut String, raw: &str) {
    write_text(out, raw);
}

/// Whether the (valid) JSON text `raw` is a string.
pub(crate) fn is_string(raw: &str) -> bool {
    raw.trim_start_matches([' ', '\n', '\t', '\r'])
        .starts_with('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn set(paths: &[&str]) -> (PathSet, Vec<usize>) {
        let mut s = PathSet::new();
        let ids = paths
            .iter()
            .map(|p| s.add(&JsonPath::parse(p).unwrap()))
            .collect();
        (s, ids)
    }

    fn json(raw: &str) -> String {
        let mut out = String::new();
        write_json(&mut out, raw);
        out
    }

    #[test]
    fn finds_paths_last_duplicate_wins() {
        let (s, ids) = set(&["$.a.b", "$.a", "$.l[1]", "$.l[5]", "$", "$['x.y']"]);
        let text = r#" {"a": {"b": 1}, "l": [1, {"z": [ 2 ]}], "a": {"c": 2}, "x.y": "q" } "#;
        let r = s.resolve(text).unwrap();
        let got: Vec<Option<&str>> = ids.iter().map(|&i| r.get(i)).collect();
        assert_eq!(
            got,
            [
                None,
                Some(r#"{"c": 2}"#),
                Some(r#"{"z": [ 2 ]}"#),
                None,
                Some(text.trim()),
                Some(r#""q""#)
            ]
        );
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(
            json(r#"{ "b": [1E5, -0.5e-3, 2e+1], "a": "x\/\u00e9\n\u001F", "b": true }"#),
            "{\"a\":\"x/é\\n\\u001f\",\"b\":true}"
        );
        let mut out = String::new();
        write_text(&mut out, r#"{"sf_id": "baz", "acc_id": "0a"}"#);
        assert_eq!(out, "{acc_id:0a,sf_id:baz}");
    }

    #[test]
    fn deep_unsorted_objects_are_written_in_one_pass() {
        // Every level out of order, its last key the one out of place.
        let mut text = String::from("0");
        for _ in 0..60 {
            text = if text.len() < 1 << 14 {
                format!(r#"{{"b": {text}, "c": [{text}], "a": 1}}"#)
            } else {
                format!(r#"{{"b": {text}, "a": 1}}"#)
            };
        }
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json(&text), v.to_string());
    }

    // With serde_json's `arbitrary_precision` (which the library no longer
    // turns on), an object whose key is `$serde_json::private::Number` was
    // read as a number, and such events took a slower path through
    // serde_json. The key is now what JSON says it is, an ordinary key, as
    // it is for serde_json built without the feature.
    #[test]
    fn number_token_is_an_ordinary_key() {
        let (s, ids) = set(&["$.a", "$.a['$serde_json::private::Number']"]);
        let text = r#"{"a": {"$serde_json::private::Number": "12"}}"#;
        let r = s.resolve(text).unwrap();
        assert_eq!(
            r.get(ids[0]),
            Some(r#"{"$serde_json::private::Number": "12"}"#)
        );
        assert_eq!(r.get(ids[1]), Some(r#""12""#));
        assert!(validate(r#"{"$serde_json::private::Number": "x"}"#).is_ok());
    }

    #[test]
    fn numbers_keep_their_digits() {
        let (s, ids) = set(&["$.a", "$.b"]);
        let text = r#"{"a": 1.50, "b": [1e400, -0.0, 123456789012345678901234567890, 5E-3]}"#;
        let r = s.resolve(text).unwrap();
        assert_eq!(r.get(ids[0]), Some("1.50"));
        assert_eq!(
            json(r.get(ids[1]).unwrap()),
            "[1e+400,-0.0,123456789012345678901234567890,5e-3]"
        );
        assert!(validate("[1e400]").is_ok());
    }

    #[test]
    fn reasons_say_what_and_where() {
        let cases = [
            ("[1,]", "trailing comma at line 1 column 4"),
            (
                "{\"a\": 1\n  \"b\": 2}",
                "expected `,` or `}` at line 2 column 3",
            ),
            ("[01]", "invalid number at line 1 column 3"),
            ("", "EOF while parsing a value at line 1 column 1"),
            ("{} x", "trailing characters at line 1 column 4"),
        ];
        for (text, want) in cases {
            assert_eq!(validate(text).unwrap_err(), want, "{text}");
            let (s, _) = set(&["$.a"]);
            assert_eq!(s.resolve(text).unwrap_err(), want, "{text}");
        }
        let deep = "[".repeat(128) + &"]".repeat(128);
        assert_eq!(
            validate(&deep).unwrap_err(),
            "nesting depth exceeds the limit of 127 at line 1 column 128"
        );
    }

    /// JSON-ish text: valid documents, and mangled ones.
    fn doc() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("fals".to_string()),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?",
            "-?0[0-9]",
            "1\\.",
            "\"([a-c\\t é\u{7f}/]|\\\\[\"\\\\/bfnrtx]|\\\\u[0-9a-fA-F]{4}|\\\\ud83d\\\\ude00|\\\\udc00)*\"",
        ];
        leaf.prop_recursive(5, 40, 5, |inner| {
            let key = "\"([a-c$]|\\\\u006[1-3]|\\\\n){0,2}\"";
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(" ,"))),
                prop::collection::vec((key, inner), 0..5).prop_map(|v| {
                    let items: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    format!("{{ {}\n}}", items.join(","))
                }),
            ]
        })
    }

    fn mangle(s: &str, at: usize, what: u8) -> String {
        let mut b = s.as_bytes().to_vec();
        if b.is_empty() {
            return s.to_string();
        }
        let at = at % b.len();
        match what % 4 {
            0 => {
                b.remove(at);
            }
            1 => b.insert(at, b','),
            2 => b.insert(at, b'}'),
            _ => b.insert(at, b'"'),
        }
        String::from_utf8(b).unwrap_or_default()
    }

    /// What serde_json (built without `arbitrary_precision`, as the
    /// library's users may build it) makes of `text`: `None` when it
    /// cannot hold one of its numbers (`number out of range`), which JSON
    /// allows and the router keeps.
    fn serde_json_reads(text: &str) -> Option<Result<Value, serde_json::Error>> {
        match serde_json::from_str::<Value>(text) {
            Err(e) if e.to_string().starts_with("number out of range") => None,
            read => Some(read),
        }
    }

    /// The reference for the writers: the library's tree reader, and a
    /// plain recursive printer over its tree (keys through a `BTreeMap`,
    /// the last of equal keys kept). `text` selects the text form.
    fn tree_print(out: &mut String, node: &json::Node, text: bool) {
        let quote = |out: &mut String, s: &str| {
            if text {
                escape_into(out, s);
            } else {
                out.push_str(&serde_json::to_string(s).unwrap());
            }
        };
        match &node.value {
            json::Value::Null => out.push_str("null"),
            json::Value::Bool(b) => out.push_str(&b.to_string()),
            json::Value::Number(n) => {
                // Digits as written; the exponent lower case and signed.
                let (digits, exp) = match n.split_once(['e', 'E']) {
                    Some((d, e)) if e.starts_with(['+', '-']) => (d, format!("e{e}")),
                    Some((d, e)) => (d, format!("e+{e}")),
                    None => (n.as_str(), String::new()),
                };
                out.push_str(digits);
                out.push_str(&exp);
            }
            json::Value::String(s) => quote(out, s),
            json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    tree_print(out, item, text);
                }
                out.push(']');
            }
            json::Value::Object(members) => {
                let map: std::collections::BTreeMap<&str, &json::Node> =
                    members.iter().map(|(k, _, v)| (k.as_str(), v)).collect();
                out.push('{');
                for (i, (k, v)) in map.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(out, k);
                    out.push(':');
                    tree_print(out, v, text);
                }
                out.push('}');
            }
        }
    }

    /// The node at `path` in the tree, the last of equal keys winning.
    fn tree_lookup<'n>(node: &'n json::Node, path: &JsonPath) -> Option<&'n json::Node> {
        let mut at = node;
        for step in path.steps() {
            at = match (step, &at.value) {
                (Step::Key(k), json::Value::Object(m)) => {
                    &m.iter().rev().find(|(key, _, _)| key == k)?.2
                }
                (Step::Index(i), json::Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(at)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        // Validity is held to two other readers: serde_json (wherever it
        // can hold the numbers) and the library's tree reader. The writers
        // are held to a tree printer digit for digit, and to serde_json's
        // printing for everything but number spellings.
        #[test]
        fn agrees_with_serde_json(d in doc(), at in 0usize..200, what in 0u8..8) {
            let text = if what < 4 { d.clone() } else { mangle(&d, at, what) };
            let ours = walk(&text, &PathSet::new(), &mut [None]);
            let tree = json::parse(text.as_bytes(), MAX_DEPTH);
            prop_assert_eq!(ours.is_ok(), tree.is_ok(), "{}", text);
            let theirs = serde_json_reads(&text);
            if let Some(theirs) = &theirs {
                prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{}", text);
            }
            let Ok(tree) = tree else { return Ok(()) };
            let mut want = String::new();
            tree_print(&mut want, &tree, false);
            prop_assert_eq!(json(&text), want);
            let mut ours = String::new();
            write_text(&mut ours, &text);
            let mut want = String::new();
            tree_print(&mut want, &tree, true);
            prop_assert_eq!(ours, want);
            if let Some(Ok(v)) = theirs {
                let printed: Value = serde_json::from_str(&json(&text)).unwrap();
                prop_assert_eq!(printed.to_string(), v.to_string());
            }
        }

        #[test]
        fn finds_what_a_value_holds(d in doc(), steps in prop::collection::vec(
            prop_oneof!["\\.[a-c]{1,2}", "\\[[0-2]\\]"], 0..4)) {
            let Ok(tree) = json::parse(d.as_bytes(), MAX_DEPTH) else { return Ok(()) };
            let path = JsonPath::parse(&format!("${}", steps.concat())).unwrap();
            let mut set = PathSet::new();
            let a = set.add(&JsonPath::parse("$.a").unwrap());
            let n = set.add(&path);
            let r = set.resolve(&d).unwrap();
            let span = |node: &json::Node| &d[node.span.start..node.span.end];
            prop_assert_eq!(r.get(n), tree_lookup(&tree, &path).map(span), "{}", d);
            let a_path = JsonPath::parse("$.a").unwrap();
            prop_assert_eq!(r.get(a), tree_lookup(&tree, &a_path).map(span));
            // And serde_json finds the same values (numbers compared as
            // serde_json holds them).
            if let Some(Ok(v)) = serde_json_reads(&d) {
                let got = r.get(n).map(|t| serde_json::from_str::<Value>(t).unwrap());
                prop_assert_eq!(got.as_ref(), path.lookup(&v), "{}", d);
            }
        }

        #[test]
        fn escapes_like_serde_json(s in "[\u{0}-\u{7f}é\u{2028}]{0,20}") {
            let mut out = String::new();
            escape_into(&mut out, &s);
            let want = Value::String(s.clone()).to_string();
            prop_assert_eq!(out, &want[1..want.len() - 1]);
        }
    }

    #[test]
    fn depth_limit_is_serde_jsons() {
        for n in [126, 127, 128, 200] {
            let text = "[".repeat(n) + &"]".repeat(n);
            assert_eq!(validate(&text).is_ok(), n <= 127, "{n}");
            let text = "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
            assert_eq!(validate(&text).is_ok(), n <= 127, "{n}");
        }
    }
}
