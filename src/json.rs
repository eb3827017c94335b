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
//! when an error is reported ([`line_col`]). Error messages follow
//! serde_json's wording (`trailing comma`, `EOF while parsing an object`,
//! `expected `:``, ...).
//!
//! The module is public so that tools built on evrule (its CLI, servers)
//! read rule files with the same reader, spans and positions as the
//! library: [`parse`], [`Span`], [`line_col`], the one string-escape
//! decoder [`decode_escape`] and [`string_segments`], which maps offsets
//! inside a decoded string literal back onto its source.
//!
//! ```
//! use evrule::json::{self, Value};
//! let doc = json::parse(br#"{"a": [1.50, "x\u00e9"], "a": null}"#, 64)?;
//! let Value::Object(members) = &doc.value else { unreachable!() };
//! assert_eq!(members.len(), 2); // duplicate keys are kept, in order
//! let Value::Array(items) = &members[0].2.value else { unreachable!() };
//! assert_eq!(items[0].value, Value::Number("1.50".into())); // exact text
//! assert_eq!((items[1].span.start, items[1].span.end), (13, 22));
//!
//! let err = json::parse(b"{\n  \"a\": 1,\n}", 64).unwrap_err();
//! assert_eq!(err.message, "trailing comma");
//! assert_eq!(json::line_col(b"{\n  \"a\": 1,\n}", err.offset), (3, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

/// A byte range `start..end` in a source text.
///
/// ```
/// let span = evrule::json::Span { start: 2, end: 5 };
/// assert_eq!(&"{ \"a\": 1}"[span.start..span.end], "\"a\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// A JSON value with the span of its source text.
///
/// ```
/// let node = evrule::json::parse(b" true ", 8)?;
/// assert_eq!(node.value, evrule::json::Value::Bool(true));
/// assert_eq!((node.span.start, node.span.end), (1, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Bytes `start..end` of the value in the source, quotes and brackets
    /// included.
    pub span: Span,
}

/// One member of an object: the unescaped key, the span of the key string
/// (quotes included) and the value.
pub type Member = (String, Span, Node);

/// The kinds of JSON value.
///
/// ```
/// use evrule::json::Value;
/// let node = evrule::json::parse(br#"[1e3, "a\nb"]"#, 8)?;
/// let Value::Array(items) = node.value else { unreachable!() };
/// assert_eq!(items[0].value, Value::Number("1e3".into()));
/// assert_eq!(items[1].value, Value::String("a\nb".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number exactly as written (already checked against the JSON
    /// number grammar).
    Number(String),
    /// The unescaped string.
    String(String),
    /// The items, in order.
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
///
/// ```
/// let deep = "[".repeat(10);
/// let err = evrule::json::parse(deep.as_bytes(), 4).unwrap_err();
/// assert_eq!(err.kind, evrule::json::ErrorKind::Depth);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not JSON, or not UTF-8.
    Syntax,
    /// Nested deeper than the limit.
    Depth,
}

/// A reading error: what, and the byte offset where it was noticed.
///
/// ```
/// let err = evrule::json::parse(b"[1,]", 8).unwrap_err();
/// assert_eq!((err.message.as_str(), err.offset), ("trailing comma", 3));
/// assert_eq!(err.to_string(), "trailing comma at byte 3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Syntax or depth.
    pub kind: ErrorKind,
    /// What went wrong, in serde_json's words.
    pub message: String,
    /// Byte offset where it was noticed.
    pub offset: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The message with its place in `bytes` (the text that was read), as
    /// serde_json words it: `trailing comma at line 1 column 4`.
    pub(crate) fn described(&self, bytes: &[u8]) -> String {
        let (line, column) = line_col(bytes, self.offset);
        format!("{} at line {line} column {column}", self.message)
    }
}

/// 1-based line and column (in characters) of `offset` in `bytes`: the one
/// place positions are turned into lines and columns. Invalid UTF-8 is
/// tolerated: every byte that does not continue a UTF-8 sequence counts as
/// one character. An offset past the end counts as the end.
///
/// ```
/// assert_eq!(evrule::json::line_col("ab\ncé€x".as_bytes(), 9), (2, 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let column = before[start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, column)
}

/// Why an escape inside a JSON string could not be decoded. Offsets are
/// byte offsets into the text given to [`decode_escape`]; each reader
/// words the message its own way.
///
/// ```
/// use evrule::json::{decode_escape, EscapeError};
/// assert_eq!(decode_escape(br"\q", 0), Err(EscapeError::Unknown { at: 1 }));
/// assert_eq!(decode_escape(br"\udc00", 0), Err(EscapeError::LoneTrailingSurrogate));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EscapeError {
    /// The text ends inside the escape.
    Eof,
    /// The letter after the backslash (at `at`) is not an escape.
    Unknown {
        /// Offset of the letter.
        at: usize,
    },
    /// A `\u` escape holds a byte that is not a hex digit (at `at`);
    /// `truncated` says the text also ends before four digits would.
    NotHex {
        /// Offset of the first byte that is not a hex digit.
        at: usize,
        /// The text ends before the four digits of this group would.
        truncated: bool,
    },
    /// A high surrogate (`\ud800`-`\udbff`) not followed by a `\u` low
    /// surrogate.
    LoneLeadingSurrogate,
    /// A low surrogate (`\udc00`-`\udfff`) with no high surrogate before it.
    LoneTrailingSurrogate,
}

/// Decode the escape whose backslash is at `bytes[at]`: the character and
/// how many bytes the escape takes (2 for `\n`, 6 for `\u00e9`, 12 for a
/// surrogate pair). The one decoder of JSON string escapes in evrule.
///
/// ```
/// use evrule::json::decode_escape;
/// assert_eq!(decode_escape(br"\n", 0), Ok(('\n', 2)));
/// assert_eq!(decode_escape(br"x\u00e9", 1), Ok(('é', 6)));
/// assert_eq!(decode_escape(br"\ud83d\ude00", 0), Ok(('😀', 12)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[inline]
pub fn decode_escape(bytes: &[u8], at: usize) -> Result<(char, usize), EscapeError> {
    let Some(&c) = bytes.get(at + 1) else {
        return Err(EscapeError::Eof);
    };
    let ch = match c {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return decode_unicode(bytes, at),
        _ => return Err(EscapeError::Unknown { at: at + 1 }),
    };
    Ok((ch, 2))
}

fn decode_unicode(bytes: &[u8], at: usize) -> Result<(char, usize), EscapeError> {
    let first = hex4(bytes, at + 2)?;
    match first {
        0xD800..=0xDBFF => {
            if bytes.get(at + 6) != Some(&b'\\') || bytes.get(at + 7) != Some(&b'u') {
                return Err(EscapeError::LoneLeadingSurrogate);
            }
            let second = hex4(bytes, at + 8)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(EscapeError::LoneLeadingSurrogate);
            }
            let cp = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Ok((char::from_u32(cp).expect("surrogate pair decodes"), 12))
        }
        0xDC00..=0xDFFF => Err(EscapeError::LoneTrailingSurrogate),
        _ => Ok((
            char::from_u32(first).expect("non-surrogate BMP code point"),
            6,
        )),
    }
}

/// Four hex digits at `at`, checked one by one.
fn hex4(bytes: &[u8], at: usize) -> Result<u32, EscapeError> {
    let mut v = 0u32;
    for k in 0..4 {
        let Some(&b) = bytes.get(at + k) else {
            return Err(EscapeError::Eof);
        };
        let Some(d) = (b as char).to_digit(16) else {
            return Err(EscapeError::NotHex {
                at: at + k,
                truncated: bytes.len() < at + 4,
            });
        };
        v = v * 16 + d;
    }
    Ok(v)
}

/// For the JSON string literal whose opening quote is at `offset` in
/// `text`, the pairs (offset in the decoded string, offset in `text`) at
/// the start and after every escape, so that a position inside the
/// decoded string (a pattern held in a JSON string, say) can be mapped
/// back onto the source: find the last pair at or before it and add the
/// difference. Stops at the closing quote or the end of the text; a
/// malformed escape counts as its backslash and next byte.
///
/// ```
/// let text = r#"x "{\"a\": 1}""#;
/// // decoded `{"a": 1}`: `"` (decoded 1) is raw 4, `a` (decoded 2) raw 6
/// let seg = evrule::json::string_segments(text, 2);
/// assert_eq!(&seg[..2], &[(0, 3), (2, 6)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn string_segments(text: &str, offset: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut segments = vec![(0, offset + 1)];
    let mut raw = offset + 1;
    let mut decoded = 0;
    while raw < bytes.len() {
        match bytes[raw] {
            b'"' => break,
            b'\\' => {
                let (len, width) = match decode_escape(bytes, raw) {
                    Ok((c, len)) => (len, c.len_utf8()),
                    Err(_) => (2, 1),
                };
                raw += len;
                decoded += width;
                segments.push((decoded, raw));
            }
            _ => {
                raw += 1;
                decoded += 1;
            }
        }
    }
    segments
}

/// `serde_json` refuses a 128th level of nesting; readers that stand in for
/// it (the router's walk, the rule loader) refuse it too.
pub(crate) const SERDE_JSON_DEPTH: usize = 127;

/// `node` as a `serde_json::Value`, for the parts of the library whose API
/// speaks `serde_json`. Numbers become `serde_json::Number`s as the user's
/// build of serde_json reads them: exactly with its `arbitrary_precision`
/// feature, else as `u64`, `i64` or `f64`. A number that build cannot hold
/// at all (`1e400` without the feature) is given to `unheld`, which says
/// what stands for it. Of repeated keys, the last is kept, as serde_json
/// keeps it.
pub(crate) fn to_serde(
    node: &Node,
    unheld: &dyn Fn(&str) -> serde_json::Value,
) -> serde_json::Value {
    use serde_json::Value as Json;
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(text) => match text.parse::<serde_json::Number>() {
            Ok(n) => Json::Number(n),
            Err(_) => unheld(text),
        },
        Value::String(s) => Json::String(s.clone()),
        Value::Array(items) => Json::Array(items.iter().map(|n| to_serde(n, unheld)).collect()),
        Value::Object(members) => {
            let mut map = serde_json::Map::new();
            for (k, _, v) in members {
                map.insert(k.clone(), to_serde(v, unheld));
            }
            Json::Object(map)
        }
    }
}

/// Read one JSON document from `bytes`. At most `max_depth` arrays and
/// objects may be open at once.
///
/// ```
/// let err = evrule::json::parse(br#"{"a" 1}"#, 8).unwrap_err();
/// assert_eq!((err.message.as_str(), err.offset), ("expected `:`", 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Node, Error> {
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
                None => return Err(syntax("EOF while parsing a value", self.pos)),
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
                        if self.peek().is_none() {
                            return Err(syntax("EOF while parsing a list", self.pos));
                        }
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

    /// Decode the escape whose backslash is just before `self.pos`.
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let at = self.pos - 1;
        match decode_escape(self.bytes, at) {
            Ok((ch, len)) => {
                self.pos = at + len;
                out.push(ch);
                Ok(())
            }
            Err(EscapeError::Eof) => Err(syntax("EOF while parsing a string", self.bytes.len())),
            Err(EscapeError::Unknown { at } | EscapeError::NotHex { at, .. }) => {
                Err(syntax("invalid escape", at))
            }
            Err(EscapeError::LoneLeadingSurrogate) => {
                Err(syntax("lone leading surrogate in hex escape", at))
            }
            Err(EscapeError::LoneTrailingSurrogate) => {
                Err(syntax("invalid unicode code point", at))
            }
        }
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
        assert_eq!(err("["), ("EOF while parsing a list".into(), 1));
        assert_eq!(err("[1,"), ("EOF while parsing a value".into(), 3));
        assert_eq!(err("{"), ("EOF while parsing an object".into(), 1));
        assert_eq!(err(r#"{"a":"#), ("EOF while parsing a value".into(), 5));
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
    fn escape_decoder_errors() {
        assert_eq!(decode_escape(b"\\", 0), Err(EscapeError::Eof));
        assert_eq!(decode_escape(b"\\u12", 0), Err(EscapeError::Eof));
        assert_eq!(
            decode_escape(b"\\u1x", 0),
            Err(EscapeError::NotHex {
                at: 3,
                truncated: true
            })
        );
        assert_eq!(
            decode_escape(b"\\u1x345", 0),
            Err(EscapeError::NotHex {
                at: 3,
                truncated: false
            })
        );
        assert_eq!(
            decode_escape(b"\\ud800x", 0),
            Err(EscapeError::LoneLeadingSurrogate)
        );
        assert_eq!(
            decode_escape(b"\\ud800\\u0041", 0),
            Err(EscapeError::LoneLeadingSurrogate)
        );
        assert_eq!(decode_escape(b"\\ud800\\u00", 0), Err(EscapeError::Eof));
        assert_eq!(decode_escape(b"\\/", 0), Ok(('/', 2)));
        // The reader words them serde_json's way.
        assert_eq!(err(r#"["\u1x"]"#), ("invalid escape".into(), 5));
        assert_eq!(err(r#""\u1"#), ("EOF while parsing a string".into(), 4));
    }

    #[test]
    fn segments_follow_escapes() {
        let text = r#"x "{\"a\": 1}""#;
        let seg = string_segments(text, 2);
        assert_eq!(seg, [(0, 3), (2, 6), (4, 9)]);
        let text = r#""\u00e9\ud83d\ude00x""#;
        assert_eq!(string_segments(text, 0), [(0, 1), (2, 7), (6, 19)]);
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncé\u{20ac}x".as_bytes(), 9), (2, 4));
    }
}
