//! A small JSON reader that keeps the byte offset of every value.
//!
//! serde_json throws positions away once a value is built; rule files need
//! them so that a problem deep inside a pattern can be shown at its place in
//! the user's file. Nesting depth is capped so that hostile input cannot
//! overflow the stack.

use super::doc::{Node, ReadError, Value};

/// Deepest nesting accepted in a rule file.
pub const MAX_DEPTH: usize = 128;

/// Read `text` as one JSON document.
pub fn parse(text: &str) -> Result<Node, ReadError> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    r.skip_ws();
    let node = r.value(0)?;
    r.skip_ws();
    if r.pos < r.bytes.len() {
        return Err(ReadError::at("trailing characters", r.pos));
    }
    Ok(node)
}

/// Decode the JSON string literal starting at `offset` (its opening quote)
/// in `text`, returning for each escape boundary the pair (offset in the
/// decoded string, offset in `text`). Used to map a position inside a pattern
/// held in a JSON string back onto the file.
pub fn string_segments(text: &str, offset: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut segments = vec![(0, offset + 1)];
    let mut raw = offset + 1;
    let mut decoded = 0;
    while raw < bytes.len() {
        match bytes[raw] {
            b'"' => break,
            b'\\' => {
                let (len, width) = match bytes.get(raw + 1) {
                    Some(b'u') => {
                        let hex = text.get(raw + 2..raw + 6).unwrap_or("0");
                        let cp = u32::from_str_radix(hex, 16).unwrap_or(0);
                        if (0xD800..0xDC00).contains(&cp) {
                            (12, 4)
                        } else {
                            (6, char::from_u32(cp).map_or(3, char::len_utf8))
                        }
                    }
                    _ => (2, 1),
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

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eof(&self, what: &str) -> ReadError {
        ReadError::at(format!("EOF while parsing {what}"), self.pos)
    }

    fn value(&mut self, depth: usize) -> Result<Node, ReadError> {
        let start = self.pos;
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.eof("a value"));
        };
        let value = match b {
            b'{' | b'[' if depth >= MAX_DEPTH => {
                return Err(ReadError::at(
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                    start,
                ))
            }
            b'{' => self.object(depth)?,
            b'[' => self.array(depth)?,
            b'"' => Value::String(self.string()?),
            b'-' | b'0'..=b'9' => Value::Number(self.number()?),
            b't' => self.literal("true", Value::Bool(true))?,
            b'f' => self.literal("false", Value::Bool(false))?,
            b'n' => self.literal("null", Value::Null)?,
            _ => return Err(ReadError::at("expected value", start)),
        };
        Ok(Node::new(value, start))
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ReadError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(ReadError::at("expected value", self.pos))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ReadError> {
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Map(entries));
        }
        loop {
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b'"') => {}
                Some(b'}') if !entries.is_empty() => {
                    return Err(ReadError::at("trailing comma", self.pos))
                }
                Some(_) => return Err(ReadError::at("key must be a string", self.pos)),
                None => return Err(self.eof("an object")),
            }
            let key_at = self.pos;
            let key = Node::new(Value::String(self.string()?), key_at);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b':') => self.pos += 1,
                Some(_) => return Err(ReadError::at("expected `:`", self.pos)),
                None => return Err(self.eof("an object")),
            }
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Map(entries));
                }
                Some(_) => return Err(ReadError::at("expected `,` or `}`", self.pos)),
                None => return Err(self.eof("an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ReadError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b']') => return Err(ReadError::at("trailing comma", self.pos)),
                None => return Err(self.eof("a list")),
                _ => {}
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Seq(items));
                }
                Some(_) => return Err(ReadError::at("expected `,` or `]`", self.pos)),
                None => return Err(self.eof("a list")),
            }
        }
    }

    fn number(&mut self) -> Result<String, ReadError> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let s = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos > s
        };
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        if self.bytes.get(self.pos) == Some(&b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(ReadError::at("invalid number", start));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(ReadError::at("invalid number", start));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(ReadError::at("invalid number", start));
            }
        }
        Ok(self.text[start..self.pos].to_string())
    }

    fn string(&mut self) -> Result<String, ReadError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match self.bytes.get(self.pos) {
                None => return Err(self.eof("a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let at = self.pos;
                    self.pos += 1;
                    let c = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4(at)?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(ReadError::at("lone leading surrogate", at));
                                }
                                self.pos += 2;
                                let lo = self.hex4(at)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(ReadError::at("lone leading surrogate", at));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(
                                char::from_u32(c)
                                    .ok_or_else(|| ReadError::at("invalid unicode escape", at))?,
                            );
                            continue;
                        }
                        None => return Err(self.eof("a string")),
                        Some(_) => return Err(ReadError::at("invalid escape", at)),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(ReadError::at(
                        "control character in string (use an escape)",
                        self.pos,
                    ))
                }
            }
        }
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ReadError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| ReadError::at("invalid unicode escape", at))?;
        self.pos += 4;
        Ok(u32::from_str_radix(hex, 16).expect("checked hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_errors() {
        let n = parse(r#"{"a": [1, "x"]}"#).unwrap();
        let v = n.get("a").unwrap();
        assert_eq!(v.offset, 6);
        assert_eq!(v.as_seq().unwrap()[1].offset, 10);
        assert_eq!(
            parse("[1,]").unwrap_err(),
            ReadError::at("trailing comma", 3)
        );
        assert_eq!(
            parse("{").unwrap_err(),
            ReadError::at("EOF while parsing an object", 1)
        );
        let deep = "[".repeat(200);
        assert!(parse(&deep)
            .unwrap_err()
            .message
            .starts_with("nesting deeper"));
    }

    #[test]
    fn segments_follow_escapes() {
        let text = r#"x "{\"a\": 1}""#;
        // decoded `{"a": 1}`: offset 1 (`"`) is raw 4, offset 2 (`a`) raw 6
        let seg = string_segments(text, 2);
        assert_eq!(seg[0], (0, 3));
        assert_eq!(seg[1], (2, 6));
    }
}
