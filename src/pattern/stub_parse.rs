//! TEMPORARY stub of `Pattern::parse` for the `cli` branch, until the real
//! parser lands from the `pattern` branch. Not for merging into main.

use super::ast::*;
use super::{Limits, Pattern};
use crate::error::{Error, Kind};

enum J {
    Obj(Vec<(String, usize, J, usize)>),
    Arr(Vec<(J, usize)>),
    Str(String),
    Num(String),
    Bool(bool),
    Null,
}

struct R<'a> {
    t: &'a str,
    b: &'a [u8],
    p: usize,
}

impl R<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.p), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.p += 1;
        }
    }
    fn err(&self, m: &str) -> Error {
        Error::new(Kind::Syntax, m).at(self.t, self.p)
    }
    fn val(&mut self) -> Result<J, Error> {
        self.ws();
        match self.b.get(self.p) {
            Some(b'{') => {
                self.p += 1;
                let mut v = Vec::new();
                self.ws();
                if self.b.get(self.p) == Some(&b'}') {
                    self.p += 1;
                    return Ok(J::Obj(v));
                }
                loop {
                    self.ws();
                    let ks = self.p;
                    let J::Str(k) = self.val()? else {
                        return Err(self.err("expected key"));
                    };
                    self.ws();
                    if self.b.get(self.p) != Some(&b':') {
                        return Err(self.err("expected colon"));
                    }
                    self.p += 1;
                    self.ws();
                    let vs = self.p;
                    let x = self.val()?;
                    v.push((k, ks, x, vs));
                    self.ws();
                    match self.b.get(self.p) {
                        Some(b',') => self.p += 1,
                        Some(b'}') => {
                            self.p += 1;
                            return Ok(J::Obj(v));
                        }
                        _ => return Err(self.err("expected , or }")),
                    }
                }
            }
            Some(b'[') => {
                self.p += 1;
                let mut v = Vec::new();
                self.ws();
                if self.b.get(self.p) == Some(&b']') {
                    self.p += 1;
                    return Ok(J::Arr(v));
                }
                loop {
                    self.ws();
                    let s = self.p;
                    v.push((self.val()?, s));
                    self.ws();
                    match self.b.get(self.p) {
                        Some(b',') => self.p += 1,
                        Some(b']') => {
                            self.p += 1;
                            return Ok(J::Arr(v));
                        }
                        _ => return Err(self.err("expected , or ]")),
                    }
                }
            }
            Some(b'"') => {
                self.p += 1;
                let mut s = String::new();
                loop {
                    match self.b.get(self.p) {
                        None => return Err(self.err("unterminated string")),
                        Some(b'"') => {
                            self.p += 1;
                            return Ok(J::Str(s));
                        }
                        Some(b'\\') => {
                            self.p += 1;
                            let c = self.b.get(self.p).copied().unwrap_or(b'"');
                            s.push(match c {
                                b'n' => '\n',
                                b't' => '\t',
                                c => c as char,
                            });
                            self.p += 1;
                        }
                        Some(_) => {
                            let c = self.t[self.p..].chars().next().unwrap();
                            s.push(c);
                            self.p += c.len_utf8();
                        }
                    }
                }
            }
            Some(b't') if self.t[self.p..].starts_with("true") => {
                self.p += 4;
                Ok(J::Bool(true))
            }
            Some(b'f') if self.t[self.p..].starts_with("false") => {
                self.p += 5;
                Ok(J::Bool(false))
            }
            Some(b'n') if self.t[self.p..].starts_with("null") => {
                self.p += 4;
                Ok(J::Null)
            }
            Some(b'-' | b'0'..=b'9') => {
                let s = self.p;
                while matches!(
                    self.b.get(self.p),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.p += 1;
                }
                Ok(J::Num(self.t[s..self.p].to_string()))
            }
            _ => Err(self.err("expected value")),
        }
    }
}

fn num(t: &str) -> Number {
    let value = t.parse().unwrap_or(0.0);
    Number {
        text: t.to_string(),
        value,
        exact: true,
    }
}

struct V<'a> {
    t: &'a str,
    errs: Vec<Error>,
}

impl V<'_> {
    fn e(&mut self, m: &str, path: &str, at: usize) {
        self.errs
            .push(Error::new(Kind::Pattern, m).with_path(path).at(self.t, at));
    }
    fn obj(&mut self, fields: &[(String, usize, J, usize)], path: &str, at: usize) -> Object {
        let mut o = Object {
            fields: Vec::new(),
            ors: Vec::new(),
            span: Span { start: at, end: at },
        };
        for (k, ks, v, vs) in fields {
            let p = format!("{path}/{k}");
            if k == "$or" {
                if let J::Arr(items) = v {
                    let mut branches = Vec::new();
                    for (i, (b, bs)) in items.iter().enumerate() {
                        if let J::Obj(f) = b {
                            branches.push(self.obj(f, &format!("{p}/{i}"), *bs));
                        }
                    }
                    o.ors.push(Or {
                        branches,
                        key_span: Span {
                            start: *ks,
                            end: *ks,
                        },
                    });
                }
                continue;
            }
            let value = match v {
                J::Obj(f) => FieldValue::Object(self.obj(f, &p, *vs)),
                J::Arr(items) if items.is_empty() => {
                    self.e("Empty arrays are not allowed", &p, *vs);
                    continue;
                }
                J::Arr(items) => {
                    let mut cs = Vec::new();
                    for (i, (c, cs_at)) in items.iter().enumerate() {
                        if let Some(kind) = self.cond(c, &format!("{p}/{i}"), *cs_at) {
                            cs.push(Condition {
                                kind,
                                span: Span {
                                    start: *cs_at,
                                    end: *cs_at,
                                },
                            });
                        }
                    }
                    FieldValue::Conditions(cs)
                }
                _ => {
                    self.e(
                        "Match value must be String, number, true, false, or null",
                        &p,
                        *vs,
                    );
                    continue;
                }
            };
            o.fields.push(Field {
                key: k.clone(),
                key_span: Span {
                    start: *ks,
                    end: *ks,
                },
                value,
            });
        }
        o
    }
    fn cond(&mut self, c: &J, path: &str, at: usize) -> Option<ConditionKind> {
        Some(match c {
            J::Str(s) => ConditionKind::String(s.clone()),
            J::Num(n) => ConditionKind::Number(num(n)),
            J::Bool(b) => ConditionKind::Bool(*b),
            J::Null => ConditionKind::Null,
            J::Arr(_) => {
                self.e(
                    "Match value must be String, number, true, false, or null",
                    path,
                    at,
                );
                return None;
            }
            J::Obj(f) => {
                let (k, _, v, vs) = f.first()?;
                let p = format!("{path}/{k}");
                match (k.as_str(), v) {
                    ("prefix", J::Str(s)) => ConditionKind::Prefix(s.clone()),
                    ("suffix", J::Str(s)) => ConditionKind::Suffix(s.clone()),
                    ("equals-ignore-case", J::Str(s)) => ConditionKind::EqualsIgnoreCase(s.clone()),
                    ("exists", J::Bool(b)) => ConditionKind::Exists(*b),
                    ("anything-but", J::Str(s)) => {
                        ConditionKind::AnythingBut(AnythingBut::Strings(vec![s.clone()]))
                    }
                    ("anything-but", J::Arr(items)) => {
                        ConditionKind::AnythingBut(AnythingBut::Strings(
                            items
                                .iter()
                                .filter_map(|(j, _)| {
                                    if let J::Str(s) = j {
                                        Some(s.clone())
                                    } else {
                                        None
                                    }
                                })
                                .collect(),
                        ))
                    }
                    ("anything-but", _) => {
                        ConditionKind::AnythingBut(AnythingBut::Strings(Vec::new()))
                    }
                    ("numeric", J::Arr(items)) => {
                        let mut r = Range {
                            lower: None,
                            upper: None,
                        };
                        for pair in items.chunks(2) {
                            let (J::Str(op), _) = &pair[0] else { break };
                            match pair.get(1) {
                                Some((J::Num(n), _)) => {
                                    let b = Bound {
                                        value: num(n).value,
                                        inclusive: op.contains('='),
                                    };
                                    if op.starts_with('>') {
                                        r.lower = Some(b)
                                    } else if op.starts_with('<') {
                                        r.upper = Some(b)
                                    } else {
                                        r.lower = Some(b);
                                        r.upper = Some(b)
                                    }
                                }
                                Some((_, at)) => {
                                    self.e(
                                        &format!("Value of {op} must be numeric"),
                                        &format!("{p}/1"),
                                        *at,
                                    );
                                    return None;
                                }
                                None => return None,
                            }
                        }
                        ConditionKind::Numeric(r)
                    }
                    ("wildcard", J::Str(s)) => ConditionKind::Wildcard(Wildcard {
                        text: s.clone(),
                        parts: vec![WildcardPart::Literal(s.clone())],
                    }),
                    ("cidr", J::Str(_)) => ConditionKind::Exists(true),
                    _ => {
                        self.e(&format!("Unrecognized match type {k}"), &p, *vs);
                        return None;
                    }
                }
            }
        })
    }
}

impl Pattern {
    /// Parse with default limits, returning the first error (stub).
    pub fn parse(text: &str) -> Result<Pattern, Error> {
        Pattern::parse_with(text, &Limits::new()).map_err(|mut e| e.remove(0))
    }

    /// Parse with `limits`, returning every error (stub).
    pub fn parse_with(text: &str, limits: &Limits) -> Result<Pattern, Vec<Error>> {
        if text.chars().count() > limits.max_pattern_len {
            return Err(vec![Error::new(
                Kind::Limit("pattern length"),
                format!(
                    "Event pattern is longer than {} characters",
                    limits.max_pattern_len
                ),
            )]);
        }
        let mut r = R {
            t: text,
            b: text.as_bytes(),
            p: 0,
        };
        let j = r.val().map_err(|e| vec![e])?;
        r.ws();
        if r.p < text.len() {
            return Err(vec![r.err("trailing characters")]);
        }
        let J::Obj(fields) = j else {
            return Err(vec![Error::new(
                Kind::Pattern,
                "Event pattern must be a JSON object",
            )
            .at(text, 0)]);
        };
        let mut v = V {
            t: text,
            errs: Vec::new(),
        };
        let start = text.len() - text.trim_start().len();
        let root = v.obj(&fields, "", start);
        if v.errs.is_empty() {
            Ok(Pattern {
                root,
                text: text.to_string(),
            })
        } else {
            Err(v.errs)
        }
    }
}
