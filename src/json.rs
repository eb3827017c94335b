//! A small JSON reader that keeps what generic JSON libraries throw away.
//!
//! Patterns and events need three things `serde_json::Value` cannot give:
//! duplicate keys in their order (an event keeps both values, a pattern
//! lets the last one win but must still validate the first), numbers as
//! their exact source text (`5.000` and `5` are different spellings whose
//! exactness is judged on the text), and byte spans for error positions.
//!
//! The reader is iterative: nesting lives on an explicit stack, so hostile
//! input (100,000 opening brackets) ends with a depth error, never a stack
//! overflow. Positions are byte offsets; line and column are computed only
//! when an error is reported. Error messages follow serde_json's wording
//! (`trailing comma`, `EOF while parsing an object`, `expected `:``, ...).

use crate::pattern::Span;

/// A JSON value with the span of its source text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub value: Value,
    /// Bytes `start..end` of the value in the source, quotes and brackets
    /// included.
    pub span: Span,
}

/// One member of an object: the unescaped key, the span of the key string
/// (quotes included) and the value.
pub(crate) type Member = (String, Span, Node);

/// The kinds of JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// The number exactly as written (already checked against the JSON
    /// number grammar).
    Number(String),
    /// The unescaped string.
    String(String),
    Array(Vec<Node>),
    /// Members in source order; a repeated key appears every time it was
    /// written.
    Object(Vec<Member>),
}

impl Node {
    /// Position used when an error points at this node: the first byte of
    /// the value, or for a string the first byte after its opening quote
    /// (where its text starts, as Jackson and AWS report it).
    pub(crate) fn pos(&self) -> usize {
        match self.value {
            Value::String(_) => self.span.start + 1,
            _ => self.span.start,
        }
    }

    /// The text AWS quotes for this value in messages such as
    /// `Bad value in numeric range: 10`: a scalar's text, `[` or `{` for a
    /// container.
    pub(crate) fn token_text(&self) -> String {
        match &self.value {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(t) => t.clone(),
            Value::String(s) => s.clone(),
            Value::Array(_) => "[".to_string(),
            Value::Object(_) => "{".to_string(),
        }
    }
}

/// Why reading failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// Not JSON, or not UTF-8.
    Syntax,
    /// Nested deeper than the limit.
    Depth,
}

/// A reading error: what, and the byte offset where it was noticed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub offset: usize,
}

/// 1-based line and column (in characters) of `offset` in `bytes`.
/// Invalid UTF-8 is tolerated: every byte that does not continue a UTF-8
/// sequence counts as one character.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = before[start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, column)
}

/// Read one JSON document from `bytes`. At most `max_depth` arrays and
/// objects may be open at once.
pub(crate) fn parse(bytes: &[u8], max_depth: usize) -> Result<Node, Error> {
    Reader { bytes, pos: 0 }.document(max_depth)
}

enum Frame {
    Array {
        start: usize,
        items: Vec<Node>,
    },
    Object {
        start: usize,
        members: Vec<Member>,
        key: Option<(String, Span)>,
    },
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn syntax(message: &str, offset: usize) -> Error {
    Error {
        kind: ErrorKind::Syntax,
        message: message.to_string(),
        offset,
    }
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn document(mut self, max_depth: usize) -> Result<Node, Error> {
        let mut stack: Vec<Frame> = Vec::new();
        // Read a value (possibly opening containers), then close as many
        // containers as the following punctuation allows.
        'value: loop {
            self.skip_ws();
            let start = self.pos;
            let mut node = match self.peek() {
                None => return Err(self.eof_error(&stack)),
                Some(b'[') | Some(b'{') => {
                    if stack.len() >= max_depth {
                        return Err(Error {
                            kind: ErrorKind::Depth,
                            message: format!("nesting depth exceeds the limit of {max_depth}"),
                            offset: start,
                        });
                    }
                    let open = self.bytes[start];
                    self.pos += 1;
                    self.skip_ws();
                    if open == b'[' {
                        if self.peek() == Some(b']') {
                            self.pos += 1;
                            Node {
                                value: Value::Array(Vec::new()),
                                span: Span {
                                    start,
                                    end: self.pos,
                                },
                            }
                        } else {
                            stack.push(Frame::Array {
                                start,
                                items: Vec::new(),
                            });
                            continue 'value;
                        }
                    } else {
                        match self.peek() {
                            Some(b'}') => {
                                self.pos += 1;
                                Node {
                                    value: Value::Object(Vec::new()),
                                    span: Span {
                                        start,
                                        end: self.pos,
                                    },
                                }
                            }
                            Some(b'"') => {
                                let key = self.key()?;
                                stack.push(Frame::Object {
                                    start,
                                    members: Vec::new(),
                                    key: Some(key),
                                });
                                continue 'value;
                            }
                            None => return Err(syntax("EOF while parsing an object", self.pos)),
                            Some(_) => return Err(syntax("key must be a string", self.pos)),
                        }
                    }
                }
                Some(b'"') => {
                    let s = self.string()?;
                    Node {
                        value: Value::String(s),
                        span: Span {
                            start,
                            end: self.pos,
                        },
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                    let text = std::str::from_utf8(&self.bytes[start..self.pos])
                        .expect("number text is ASCII")
                        .to_string();
                    Node {
                        value: Value::Number(text),
                        span: Span {
                            start,
                            end: self.pos,
                        },
                    }
                }
                Some(b't') => self.literal(b"true", Value::Bool(true))?,
                Some(b'f') => self.literal(b"false", Value::Bool(false))?,
                Some(b'n') => self.literal(b"null", Value::Null)?,
                Some(_) => return Err(syntax("expected value", self.pos)),
            };
            // `node` is complete: attach it to its parent, closing parents
            // whose closing bracket follows.
            loop {
                let Some(frame) = stack.last_mut() else {
                    self.skip_ws();
                    if self.pos < self.bytes.len() {
                        return Err(syntax("trailing characters", self.pos));
                    }
                    return Ok(node);
                };
                self.skip_ws();
                match frame {
                    Frame::Array { start, items } => {
                        items.push(node);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                if self.peek() == Some(b']') {
                                    return Err(syntax("trailing comma", self.pos));
                                }
                                continue 'value;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                let span = Span {
                                    start: *start,
                                    end: self.pos,
                                };
                                let items = std::mem::take(items);
                                stack.pop();
                                node = Node {
                                    value: Value::Array(items),
                                    span,
                                };
                            }
                            None => return Err(syntax("EOF while parsing a list", self.pos)),
                            Some(_) => return Err(syntax("expected `,` or `]`", self.pos)),
                        }
                    }
                    Frame::Object {
                        start,
                        members,
                        key,
                    } => {
                        let (k, ks) = key.take().expect("object frame waits for a value");
                        members.push((k, ks, node));
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                match self.peek() {
                                    Some(b'"') => {}
                                    Some(b'}') => return Err(syntax("trailing comma", self.pos)),
                                    None => {
                                        return Err(syntax("EOF while parsing an object", self.pos))
                                    }
                                    Some(_) => {
                                        return Err(syntax("key must be a string", self.pos))
                                    }
                                }
                                *key = Some(self.key()?);
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                let span = Span {
                                    start: *start,
                                    end: self.pos,
                                };
                                let members = std::mem::take(members);
                                stack.pop();
                                node = Node {
                                    value: Value::Object(members),
                                    span,
                                };
                            }
                            None => return Err(syntax("EOF while parsing an object", self.pos)),
                            Some(_) => return Err(syntax("expected `,` or `}`", self.pos)),
                        }
                    }
                }
            }
        }
    }

    fn eof_error(&self, stack: &[Frame]) -> Error {
        match stack.last() {
            Some(Frame::Array { .. }) => syntax("EOF while parsing a list", self.pos),
            Some(Frame::Object { .. }) => syntax("EOF while parsing an object", self.pos),
            None => syntax("EOF while parsing a value", self.pos),
        }
    }

    /// Read `"key"` and the `:` after it.
    fn key(&mut self) -> Result<(String, Span), Error> {
        let start = self.pos;
        let k = self.string()?;
        let span = Span {
            start,
            end: self.pos,
        };
        self.skip_ws();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                Ok((k, span))
            }
            None => Err(syntax("EOF while parsing an object", self.pos)),
            Some(_) => Err(syntax("expected `:`", self.pos)),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Node, Error> {
        let start = self.pos;
        for &w in word {
            match self.peek() {
                Some(b) if b == w => self.pos += 1,
                None => return Err(syntax("EOF while parsing a value", self.pos)),
                Some(_) => return Err(syntax("expected ident", self.pos)),
            }
        }
        Ok(Node {
            value,
            span: Span {
                start,
                end: self.pos,
            },
        })
    }

    /// Check the JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(syntax("invalid number", self.pos));
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            None => return Err(syntax("EOF while parsing a value", self.pos)),
            Some(_) => return Err(syntax("invalid number", self.pos)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            None => return Err(syntax("EOF while parsing a value", self.pos)),
            Some(_) => return Err(syntax("invalid number", self.pos)),
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    /// Read a string starting at its opening quote; return it unescaped.
    fn string(&mut self) -> Result<String, Error> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes in one go.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = &self.bytes[run_start..self.pos];
            match std::str::from_utf8(run) {
                Ok(s) => out.push_str(s),
                Err(e) => return Err(syntax("invalid UTF-8", run_start + e.valid_up_to())),
            }
            match self.peek() {
                None => return Err(syntax("EOF while parsing a string", self.pos)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(syntax(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                        self.pos,
                    ))
                }
            }
        }
    }

    /// Decode the escape after a backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let Some(c) = self.peek() else {
            return Err(syntax("EOF while parsing a string", self.pos));
        };
        self.pos += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let at = self.pos - 2;
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos) != Some(&b'\\')
                            || self.bytes.get(self.pos + 1) != Some(&b'u')
                        {
                            return Err(syntax("lone leading surrogate in hex escape", at));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(syntax("lone leading surrogate in hex escape", at));
                        }
                        let cp = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(cp).expect("surrogate pair decodes")
                    }
                    0xDC00..=0xDFFF => return Err(syntax("invalid unicode code point", at)),
                    _ => char::from_u32(first).expect("non-surrogate BMP code point"),
                }
            }
            _ => return Err(syntax("invalid escape", self.pos - 1)),
        };
        out.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                None => return Err(syntax("EOF while parsing a string", self.pos)),
                Some(b) => match (b as char).to_digit(16) {
                    Some(d) => d,
                    None => return Err(syntax("invalid escape", self.pos)),
                },
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> (String, usize) {
        let e = parse(s.as_bytes(), 64).unwrap_err();
        (e.message, e.offset)
    }

    #[test]
    fn values_and_spans() {
        let text = br#" {"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", true, null], "a": {}} "#;
        let n = parse(text, 64).unwrap();
        assert_eq!(
            n.span,
            Span {
                start: 1,
                end: text.len() - 1
            }
        );
        let Value::Object(m) = &n.value else { panic!() };
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "a");
        assert_eq!(m[0].1, Span { start: 2, end: 5 });
        let Value::Array(items) = &m[0].2.value else {
            panic!()
        };
        assert_eq!(items[1].value, Value::Number("-2.5e3".into()));
        assert_eq!(items[2].value, Value::String("xé😀".into()));
        assert_eq!(items[3].value, Value::Bool(true));
        assert_eq!(items[4].value, Value::Null);
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(err("[1,]"), ("trailing comma".into(), 3));
        assert_eq!(err(r#"{"a":1,}"#), ("trailing comma".into(), 7));
        assert_eq!(err(r#"{"a" 1}"#), ("expected `:`".into(), 5));
        assert_eq!(err(r#"{"a":1"#), ("EOF while parsing an object".into(), 6));
        assert_eq!(err("[1"), ("EOF while parsing a list".into(), 2));
        assert_eq!(err(""), ("EOF while parsing a value".into(), 0));
        assert_eq!(err("\"ab"), ("EOF while parsing a string".into(), 3));
        assert_eq!(err("[01]"), ("invalid number".into(), 2));
        assert_eq!(err("[+1]"), ("expected value".into(), 1));
        assert_eq!(err("[NaN]"), ("expected value".into(), 1));
        assert_eq!(err("[Infinity]"), ("expected value".into(), 1));
        assert_eq!(err("[1.]"), ("invalid number".into(), 3));
        assert_eq!(err("[1e]"), ("invalid number".into(), 3));
        assert_eq!(err("[-]"), ("invalid number".into(), 2));
        assert_eq!(err("[tru]"), ("expected ident".into(), 4));
        assert_eq!(err("{} x"), ("trailing characters".into(), 3));
        assert_eq!(err("{1:2}"), ("key must be a string".into(), 1));
        assert_eq!(err(r#"["\x"]"#), ("invalid escape".into(), 3));
        assert_eq!(
            err(r#"["\ud800"]"#),
            ("lone leading surrogate in hex escape".into(), 2)
        );
        assert_eq!(
            err(r#"["\udc00"]"#),
            ("invalid unicode code point".into(), 2)
        );
        assert_eq!(err("[1 2]"), ("expected `,` or `]`".into(), 3));
        assert_eq!(err(r#"{"a":1 "b":2}"#), ("expected `,` or `}`".into(), 7));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = parse(b"[\"ab\xff\"]", 64).unwrap_err();
        assert_eq!((e.message.as_str(), e.offset), ("invalid UTF-8", 4));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let e = parse(deep.as_bytes(), 64).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Depth);
        assert_eq!(e.offset, 64);
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse(ok.as_bytes(), 64).is_ok());
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncé\u{20ac}x".as_bytes(), 9), (2, 4));
    }
}
