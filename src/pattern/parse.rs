//! Parsing and validation: pattern text -> [`Pattern`].
//!
//! The text is read by [`crate::json`] (duplicate keys, number spellings
//! and spans kept), then walked once, building the tree and collecting
//! every problem with its JSON pointer and position.
//!
//! The checks, their order and their wording follow AWS (EventBridge and
//! its engine, event-ruler): within one match expression only the first
//! problem is reported, in the order AWS finds it (the value of an
//! operator before a second key, the structure of a `numeric` array before
//! the exactness of its numbers, exactness before `Bottom must be less than
//! top`); across fields and array elements every problem is reported, in
//! document order. Errors point at the offending value (for a string, at
//! its first character after the quote), or at the offending key.
//!
//! `$or` is read the way AWS reads it: the pattern is first validated with
//! every `"$or": [...]` taken as an or-group; only if that fails and the
//! pattern is valid when `$or` is an ordinary field name
//! (`{"$or": [{"numeric": [">", 5]}, {"prefix": "a"}]}`) is that reading
//! used. Otherwise the or-group reading's errors are reported.
//!
//! Limits: the text length is checked first (a 1 MB pattern is rejected
//! before it is read), nesting depth while reading, wildcard complexity and
//! the sub-rule count after the structure is known to be valid.

use std::collections::HashMap;
use std::net::IpAddr;

use super::ast::*;
use super::value::{number_value, parse_ip, wildcard_complexity};
use super::{Limits, Pattern};
use crate::error::{Error, Errors, Kind};
use crate::json::{self, Member, Node, Value};

/// Nesting is never allowed deeper than this, whatever the configured
/// limit, so that walking the tree can never overflow the stack.
pub(crate) const HARD_MAX_DEPTH: usize = 512;

/// Field names AWS refuses inside a `$or` branch (operator names and
/// numeric comparison operators).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "numeric",
    "cidr",
    "wildcard",
    "=",
    "<",
    "<=",
    ">",
    ">=",
];

/// AWS's reason for a wildcard that is too complex.
pub(crate) const TOO_COMPLEX: &str = "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

impl Pattern {
    /// Parse and validate a pattern with the default [`Limits`], returning
    /// the first problem found.
    ///
    /// ```
    /// let p = evrule::Pattern::parse(r#"{"detail": {"state": ["running"]}}"#)?;
    /// assert_eq!(p.root().fields[0].key, "detail");
    /// let err = evrule::Pattern::parse(r#"{"detail": {"state": "running"}}"#).unwrap_err();
    /// assert_eq!(err.message(), r#""state" must be an object or an array"#);
    /// assert_eq!(err.path(), "/detail/state");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<Pattern, Error> {
        Pattern::parse_with(text, &Limits::default()).map_err(Errors::into_error)
    }

    /// Parse a pattern given as bytes (which need not be UTF-8), with the
    /// default [`Limits`], returning the first problem found.
    ///
    /// ```
    /// let err = evrule::Pattern::parse_bytes(b"{\"a\": [\"\xff\"]}").unwrap_err();
    /// assert!(err.is_syntax());
    /// assert_eq!(err.message(), "invalid UTF-8");
    /// assert_eq!(err.offset(), Some(8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_bytes(bytes: &[u8]) -> Result<Pattern, Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Pattern::parse(text),
            Err(e) => {
                let offset = e.valid_up_to();
                let (line, column) = json::line_col(bytes, offset);
                Err(Error::new(Kind::Syntax, "invalid UTF-8").at_position(offset, line, column))
            }
        }
    }

    /// Parse and validate a pattern under `limits`, returning every problem
    /// found (each with its JSON pointer, offset, line and column).
    ///
    /// ```
    /// let errors = evrule::Pattern::parse_with(
    ///     r#"{"a": [], "b": [{"prefix": 1}]}"#,
    ///     &evrule::Limits::new(),
    /// )
    /// .unwrap_err();
    /// let found: Vec<_> = errors.iter().map(|e| (e.message(), e.path())).collect();
    /// assert_eq!(
    ///     found,
    ///     [
    ///         ("Empty arrays are not allowed", "/a"),
    ///         ("prefix match pattern must be a string", "/b/0/prefix"),
    ///     ]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_with(text: &str, limits: &Limits) -> Result<Pattern, Errors> {
        // A text of at most that many bytes has at most that many characters.
        let too_long = text.len() > limits.max_pattern_len;
        if let Some((cut, _)) = too_long
            .then(|| text.char_indices().nth(limits.max_pattern_len))
            .flatten()
        {
            let len = text.chars().count();
            let err = Error::new(
                Kind::Limit("pattern length"),
                format!(
                    "pattern length {len} characters exceeds the limit of {} characters",
                    limits.max_pattern_len
                ),
            )
            .at(text, cut);
            return Err(Errors::new(vec![err]));
        }
        let depth = limits.max_depth.min(HARD_MAX_DEPTH);
        let doc = match json::parse(text.as_bytes(), depth) {
            Ok(doc) => doc,
            Err(e) => {
                let kind = match e.kind {
                    json::ErrorKind::Syntax => Kind::Syntax,
                    json::ErrorKind::Depth => Kind::Limit("nesting depth"),
                };
                return Err(Errors::new(vec![
                    Error::new(kind, e.message).at(text, e.offset)
                ]));
            }
        };
        let Value::Object(members) = &doc.value else {
            return Err(Errors::new(vec![Error::new(
                Kind::Pattern,
                "Filter is not an object",
            )
            .at(text, doc.pos())]));
        };

        let mut v = Validator::new(text, true, limits);
        let mut root = v.object(members, doc.span, false);
        if !v.errors.is_empty() || !v.deferred.is_empty() {
            let mut legacy = Validator::new(text, false, limits);
            let legacy_root = legacy.object(members, doc.span, false);
            if legacy.errors.is_empty() && legacy.deferred.is_empty() {
                v = legacy;
                root = legacy_root;
            }
        }
        let mut errors = v.errors;
        errors.append(&mut v.deferred);
        if errors.is_empty() {
            let n = sub_rules(&root);
            if n > limits.max_sub_rules {
                errors.push(
                    Error::new(
                        Kind::Limit("sub-rules"),
                        format!(
                            "pattern has {} sub-rules from $or, more than the limit of {}",
                            if n == usize::MAX {
                                "too many".to_string()
                            } else {
                                n.to_string()
                            },
                            limits.max_sub_rules
                        ),
                    )
                    .at(text, doc.span.start),
                );
            }
        }
        if errors.is_empty() {
            Ok(Pattern {
                root,
                text: text.to_string(),
            })
        } else {
            Err(Errors::new(errors))
        }
    }

    /// The number of sub-rules: ways of choosing one branch of every `$or`
    /// (saturating at `usize::MAX`).
    ///
    /// ```
    /// let p = evrule::Pattern::parse(
    ///     r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}], "c": {"$or": [{"d": ["3"]}, {"e": ["4"]}, {"f": ["5"]}]}}"#,
    /// )?;
    /// assert_eq!(p.sub_rule_count(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sub_rule_count(&self) -> usize {
        sub_rules(&self.root)
    }
}

fn sub_rules(obj: &Object) -> usize {
    let mut n: usize = 1;
    for f in &obj.fields {
        if let FieldValue::Object(o) = &f.value {
            n = n.saturating_mul(sub_rules(o));
        }
    }
    for or in &obj.ors {
        let sum = or
            .branches
            .iter()
            .map(sub_rules)
            .fold(0usize, |a, b| a.saturating_add(b));
        n = n.saturating_mul(sum);
    }
    n
}

/// Escape one JSON pointer token (RFC 6901).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A problem inside one match expression: reason, position, and the path
/// below the expression's own path.
struct Fail {
    message: String,
    pos: usize,
    rel: Vec<String>,
}

fn fail(message: impl Into<String>, pos: usize, rel: &[&str]) -> Fail {
    Fail {
        message: message.into(),
        pos,
        rel: rel.iter().map(|s| pointer_token(s)).collect(),
    }
}

/// Position of a key for error reports: its first character after the quote.
fn key_pos(span: Span) -> usize {
    span.start + 1
}

fn as_number(text: &str) -> Number {
    let (value, exact) = number_value(text);
    Number {
        text: text.to_string(),
        value,
        exact,
    }
}

/// An exact number, or AWS's refusal to compare it.
fn exact_number(node: &Node, text: &str, rel: &[&str]) -> Result<Number, Fail> {
    let n = as_number(text);
    if n.exact {
        Ok(n)
    } else {
        Err(fail(
            format!("Cannot compare number : {text}"),
            node.pos(),
            rel,
        ))
    }
}

/// `Only one key allowed in match expression` (or another reason) for a
/// second key.
fn no_second_key(members: &[Member], reason: &str, rel: &[&str]) -> Result<(), Fail> {
    match members.get(1) {
        None => Ok(()),
        Some((k, ks, _)) => {
            let mut rel = rel.to_vec();
            rel.push(k);
            Err(fail(reason, key_pos(*ks), &rel))
        }
    }
}

const ONLY_ONE_KEY: &str = "Only one key allowed in match expression";
const TOO_MANY_ELEMENTS: &str = "Too many elements in numeric expression";

/// Parse a wildcard: `\*` is a literal star, `\\` a literal backslash, any
/// other escape and two stars in a row are errors (positions are byte
/// offsets in the unescaped text, as AWS reports them).
pub(crate) fn parse_wildcard(text: &str) -> Result<Wildcard, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut prev_star = false;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '*' => {
                if prev_star {
                    return Err(format!("Consecutive wildcard characters at pos {i}"));
                }
                if !literal.is_empty() {
                    parts.push(WildcardPart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(WildcardPart::Star);
                prev_star = true;
            }
            '\\' => match chars.next() {
                Some((_, e @ ('*' | '\\'))) => {
                    literal.push(e);
                    prev_star = false;
                }
                _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
            },
            _ => {
                literal.push(c);
                prev_star = false;
            }
        }
    }
    if !literal.is_empty() {
        parts.push(WildcardPart::Literal(literal));
    }
    Ok(Wildcard {
        text: text.to_string(),
        parts,
    })
}

/// Java's `Integer.parseInt`: optional sign, at least one digit, fits in 32 bits.
fn java_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = s.parse().ok()?;
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&v)
        .then_some(v)
}

/// Parse a `cidr` value, with AWS's reasons and in AWS's order of checks.
pub(crate) fn parse_cidr(text: &str) -> Result<Cidr, String> {
    // Like Java's String.split: trailing empty pieces are dropped.
    let mut pieces: Vec<&str> = text.split('/').collect();
    while pieces.len() > 1 && pieces.last() == Some(&"") {
        pieces.pop();
    }
    if pieces.len() != 2 {
        return Err("Malformed CIDR, one '/' required".to_string());
    }
    let Some(mask) = java_parse_int(pieces[1]) else {
        return Err("Malformed CIDR, mask bits must be an integer".to_string());
    };
    if mask < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".to_string());
    }
    let ip = pieces[0];
    let v4_shape = !ip.is_empty() && ip.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let v6_shape = ip.contains(':')
        && ip
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    if !v4_shape && !v6_shape {
        return Err(format!("Nonstandard IP address: {ip}"));
    }
    let Some(network) = parse_ip(ip) else {
        return Err(format!("Invalid IP address: {ip}"));
    };
    match network {
        IpAddr::V4(_) if mask > 31 => Err("IPv4 mask bits must be < 32".to_string()),
        IpAddr::V6(_) if mask > 127 => Err("IPv6 mask bits must be < 128".to_string()),
        _ => Ok(Cidr {
            network,
            prefix_len: mask as u8,
        }),
    }
}

/// One step of the path to the value being validated: an object key (as
/// written, escaped only when an error is reported) or an array index.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

struct Validator<'a> {
    src: &'a str,
    /// Whether `"$or": [...]` is read as an or-group (false: the legacy
    /// reading where `$or` is an ordinary field name).
    or_mode: bool,
    max_wildcard: usize,
    path: Vec<Step<'a>>,
    errors: Vec<Error>,
    /// Limit errors reported after structural ones (AWS checks complexity
    /// only once the rule is otherwise valid).
    deferred: Vec<Error>,
}

impl<'a> Validator<'a> {
    fn new(src: &'a str, or_mode: bool, limits: &Limits) -> Validator<'a> {
        Validator {
            src,
            or_mode,
            max_wildcard: limits.max_wildcard_complexity,
            path: Vec::new(),
            errors: Vec::new(),
            deferred: Vec::new(),
        }
    }

    fn pointer(&self, rel: &[String]) -> String {
        use std::fmt::Write;
        let mut p = String::new();
        for step in &self.path {
            p.push('/');
            match step {
                Step::Key(k) => p.push_str(&pointer_token(k)),
                Step::Index(i) => {
                    let _ = write!(p, "{i}");
                }
            }
        }
        for t in rel {
            p.push('/');
            p.push_str(t);
        }
        p
    }

    fn error(&mut self, message: impl Into<String>, pos: usize) {
        let e = Error::new(Kind::Pattern, message)
            .with_path(self.pointer(&[]))
            .at(self.src, pos);
        self.errors.push(e);
    }

    fn object(&mut self, members: &'a [Member], span: Span, in_or: bool) -> Object {
        let mut obj = Object {
            fields: Vec::new(),
            ors: Vec::new(),
            span,
        };
        if members.is_empty() {
            self.error("Empty objects are not allowed", span.start);
            return obj;
        }
        for (key, key_span, value) in members {
            self.path.push(Step::Key(key));
            if self.or_mode && key == "$or" && matches!(value.value, Value::Array(_)) {
                if let Some(or) = self.or(value, *key_span) {
                    // A repeated key: the last one wins.
                    obj.ors.clear();
                    obj.ors.push(or);
                }
            } else if self.or_mode && in_or && RESERVED_IN_OR.contains(&key.as_str()) {
                self.error(
                    format!("{key} is Ruler reserved fieldName which cannot be used inside $or."),
                    key_pos(*key_span),
                );
            } else {
                let field_value = match &value.value {
                    Value::Object(m) => Some(FieldValue::Object(self.object(m, value.span, in_or))),
                    Value::Array(items) => {
                        Some(FieldValue::Conditions(self.conditions(items, value)))
                    }
                    _ => {
                        self.error(
                            format!("\"{key}\" must be an object or an array"),
                            value.pos(),
                        );
                        None
                    }
                };
                if let Some(value) = field_value {
                    obj.fields.push(Field {
                        key: key.clone(),
                        key_span: *key_span,
                        value,
                    });
                }
            }
            self.path.pop();
        }
        // A repeated key: the last one wins, in its place. Resolved once here
        // (not per key, which was quadratic in the number of fields).
        if obj.fields.len() > 1 {
            let mut last: HashMap<&str, usize> = HashMap::with_capacity(obj.fields.len());
            for (i, f) in obj.fields.iter().enumerate() {
                last.insert(&f.key, i);
            }
            if last.len() < obj.fields.len() {
                let keep: Vec<bool> = obj
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| last[f.key.as_str()] == i)
                    .collect();
                let mut i = 0;
                obj.fields.retain(|_| {
                    i += 1;
                    keep[i - 1]
                });
            }
        }
        obj
    }

    fn or(&mut self, value: &'a Node, key_span: Span) -> Option<Or> {
        let Value::Array(items) = &value.value else {
            return None;
        };
        let before = self.errors.len();
        let mut branches = Vec::new();
        for (i, item) in items.iter().enumerate() {
            self.path.push(Step::Index(i));
            match &item.value {
                Value::Object(m) => branches.push(self.object(m, item.span, true)),
                _ => self.error(
                    "Only JSON object is allowed in array of $or relationship.",
                    item.pos(),
                ),
            }
            self.path.pop();
        }
        if items.len() < 2 {
            self.error(
                "There must have at least 2 Objects in $or relationship.",
                value.span.start,
            );
        }
        (self.errors.len() == before).then_some(Or { branches, key_span })
    }

    fn conditions(&mut self, items: &'a [Node], array: &Node) -> Vec<Condition> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            self.path.push(Step::Index(i));
            let kind = match &item.value {
                Value::String(s) => Some(ConditionKind::String(s.clone())),
                Value::Number(t) => Some(ConditionKind::Number(as_number(t))),
                Value::Bool(b) => Some(ConditionKind::Bool(*b)),
                Value::Null => Some(ConditionKind::Null),
                Value::Object(m) => match self.match_expression(m, item) {
                    Ok(kind) => Some(kind),
                    Err(f) => {
                        let e = Error::new(Kind::Pattern, f.message)
                            .with_path(self.pointer(&f.rel))
                            .at(self.src, f.pos);
                        self.errors.push(e);
                        None
                    }
                },
                Value::Array(_) => {
                    self.error(
                        "Match value must be String, number, true, false, or null",
                        item.pos(),
                    );
                    None
                }
            };
            if let Some(kind) = kind {
                out.push(Condition {
                    kind,
                    span: item.span,
                });
            }
            self.path.pop();
        }
        if items.is_empty() {
            self.error("Empty arrays are not allowed", array.span.start);
        }
        out
    }

    /// Check a wildcard's complexity; too complex is reported after every
    /// structural problem.
    fn check_complexity(&mut self, w: &Wildcard, node: &Node, rel: &[&str]) {
        let score = wildcard_complexity(&w.parts);
        if score > self.max_wildcard {
            let rel: Vec<String> = rel.iter().map(|s| pointer_token(s)).collect();
            let e = Error::new(Kind::Limit("wildcard complexity"), TOO_COMPLEX)
                .with_path(self.pointer(&rel))
                .at(self.src, node.pos());
            self.deferred.push(e);
        }
    }

    fn match_expression(&mut self, members: &[Member], node: &Node) -> Result<ConditionKind, Fail> {
        let Some((name, name_span, v)) = members.first() else {
            return Err(fail("Match expression name not found", node.pos(), &[]));
        };
        let name = name.as_str();
        let kind = match name {
            "exactly" => {
                let Value::String(s) = &v.value else {
                    return Err(fail(
                        "exact match pattern must be a string",
                        v.pos(),
                        &[name],
                    ));
                };
                no_second_key(members, ONLY_ONE_KEY, &[])?;
                ConditionKind::String(s.clone())
            }
            "prefix" | "suffix" => {
                let kind = match &v.value {
                    Value::Object(inner) => {
                        let s = prefix_ignore_case(name, inner, v)?;
                        if name == "prefix" {
                            ConditionKind::PrefixIgnoreCase(s)
                        } else {
                            ConditionKind::SuffixIgnoreCase(s)
                        }
                    }
                    Value::String(s) if name == "prefix" => ConditionKind::Prefix(s.clone()),
                    Value::String(s) => ConditionKind::Suffix(s.clone()),
                    _ => {
                        return Err(fail(
                            format!("{name} match pattern must be a string"),
                            v.pos(),
                            &[name],
                        ))
                    }
                };
                no_second_key(members, ONLY_ONE_KEY, &[])?;
                kind
            }
            "numeric" => {
                let Value::Array(items) = &v.value else {
                    return Err(fail("Value of numeric must be an array.", v.pos(), &[name]));
                };
                let range = numeric(items, v)?;
                no_second_key(members, TOO_MANY_ELEMENTS, &[])?;
                ConditionKind::Numeric(range)
            }
            "anything-but" => {
                let ab = self.anything_but(v)?;
                no_second_key(members, TOO_MANY_ELEMENTS, &[])?;
                ConditionKind::AnythingBut(ab)
            }
            "exists" => {
                let Value::Bool(b) = v.value else {
                    return Err(fail(
                        "exists match pattern must be either true or false.",
                        v.pos(),
                        &[name],
                    ));
                };
                no_second_key(members, ONLY_ONE_KEY, &[])?;
                ConditionKind::Exists(b)
            }
            "cidr" => {
                // AWS's wording for a non-string cidr really says "prefix".
                let Value::String(s) = &v.value else {
                    return Err(fail(
                        "prefix match pattern must be a string",
                        v.pos(),
                        &[name],
                    ));
                };
                let cidr = parse_cidr(s).map_err(|m| fail(m, v.pos(), &[name]))?;
                no_second_key(members, ONLY_ONE_KEY, &[])?;
                ConditionKind::Cidr(cidr)
            }
            "equals-ignore-case" => {
                let Value::String(s) = &v.value else {
                    return Err(fail(
                        "equals-ignore-case match pattern must be a string",
                        v.pos(),
                        &[name],
                    ));
                };
                no_second_key(members, ONLY_ONE_KEY, &[])?;
                ConditionKind::EqualsIgnoreCase(s.clone())
            }
            "wildcard" => {
                let Value::String(s) = &v.value else {
                    return Err(fail(
                        "wildcard match pattern must be a string",
                        v.pos(),
                        &[name],
                    ));
                };
                let w = parse_wildcard(s).map_err(|m| fail(m, v.pos(), &[name]))?;
                no_second_key(members, ONLY_ONE_KEY, &[])?;
                self.check_complexity(&w, v, &[name]);
                ConditionKind::Wildcard(w)
            }
            _ => {
                return Err(fail(
                    format!("Unrecognized match type {name}"),
                    key_pos(*name_span),
                    &[name],
                ))
            }
        };
        Ok(kind)
    }

    fn anything_but(&mut self, v: &Node) -> Result<AnythingBut, Fail> {
        const AB: &str = "anything-but";
        const BAD_VALUE: &str =
            "Value of anything-but must be an array or single string/number value.";
        match &v.value {
            Value::String(s) => Ok(AnythingBut::Strings(vec![s.clone()])),
            Value::Number(t) => Ok(AnythingBut::Numbers(vec![exact_number(v, t, &[AB])?])),
            Value::Array(items) => {
                let mut strings = Vec::new();
                let mut numbers = Vec::new();
                for (j, e) in items.iter().enumerate() {
                    let j = j.to_string();
                    match &e.value {
                        Value::String(s) => strings.push(s.clone()),
                        Value::Number(t) => numbers.push(exact_number(e, t, &[AB, &j])?),
                        _ => {
                            return Err(fail(
                                "Inside anything but list, start|null|boolean is not supported.",
                                e.pos(),
                                &[AB, &j],
                            ))
                        }
                    }
                }
                match (strings.is_empty(), numbers.is_empty()) {
                    (false, true) => Ok(AnythingBut::Strings(strings)),
                    (true, false) => Ok(AnythingBut::Numbers(numbers)),
                    _ => Err(fail(
                        "Inside anything but list, either all values are number or string, mixed type is not supported",
                        v.pos(),
                        &[AB],
                    )),
                }
            }
            Value::Object(inner) => {
                let Some((op, op_span, ov)) = inner.first() else {
                    return Err(fail(
                        "Anything-But expression name not found",
                        v.pos(),
                        &[AB],
                    ));
                };
                let op = op.as_str();
                let type_reason = match op {
                    "prefix" | "suffix" => "prefix/suffix match pattern must be a string",
                    "wildcard" => "wildcard match pattern must be a string",
                    "equals-ignore-case" => {
                        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
                    }
                    _ => {
                        return Err(fail(
                            format!("Unsupported anything-but pattern: {op}"),
                            key_pos(*op_span),
                            &[AB, op],
                        ))
                    }
                };
                // The values, each with its node and path below the operator.
                let mut values: Vec<(&String, &Node, Vec<String>)> = Vec::new();
                match &ov.value {
                    Value::String(s) => values.push((s, ov, Vec::new())),
                    Value::Number(_) => return Err(fail(type_reason, ov.pos(), &[AB, op])),
                    Value::Array(items) => {
                        if items.is_empty() {
                            return Err(fail("Empty arrays are not allowed", ov.pos(), &[AB, op]));
                        }
                        for (j, e) in items.iter().enumerate() {
                            let Value::String(s) = &e.value else {
                                return Err(fail(type_reason, e.pos(), &[AB, op, &j.to_string()]));
                            };
                            values.push((s, e, vec![j.to_string()]));
                        }
                    }
                    _ => return Err(fail(BAD_VALUE, ov.pos(), &[AB, op])),
                }
                let mut wildcards = Vec::new();
                for (s, node, sub) in &values {
                    let mut rel: Vec<&str> = vec![AB, op];
                    rel.extend(sub.iter().map(String::as_str));
                    match op {
                        "prefix" | "suffix" if s.is_empty() => {
                            return Err(fail("Null prefix/suffix not allowed", node.pos(), &rel));
                        }
                        "wildcard" => {
                            let w = parse_wildcard(s).map_err(|m| fail(m, node.pos(), &rel))?;
                            wildcards.push((w, *node, rel));
                        }
                        _ => {}
                    }
                }
                no_second_key(inner, TOO_MANY_ELEMENTS, &[AB])?;
                let strings: Vec<String> = values.iter().map(|(s, _, _)| (*s).clone()).collect();
                Ok(match op {
                    "prefix" => AnythingBut::Prefix(strings),
                    "suffix" => AnythingBut::Suffix(strings),
                    "equals-ignore-case" => AnythingBut::EqualsIgnoreCase(strings),
                    _ => {
                        for (w, node, rel) in &wildcards {
                            self.check_complexity(w, node, rel);
                        }
                        AnythingBut::Wildcard(wildcards.into_iter().map(|(w, _, _)| w).collect())
                    }
                })
            }
            _ => Err(fail(BAD_VALUE, v.pos(), &[AB])),
        }
    }
}

/// `{"prefix": {"equals-ignore-case": "..."}}` (or suffix): the string.
fn prefix_ignore_case(name: &str, inner: &[Member], v: &Node) -> Result<String, Fail> {
    let Some((op, op_span, ov)) = inner.first() else {
        let title = if name == "prefix" { "Prefix" } else { "Suffix" };
        return Err(fail(
            format!("{title} expression name not found"),
            v.pos(),
            &[name],
        ));
    };
    if op != "equals-ignore-case" {
        return Err(fail(
            format!("Unsupported {name} pattern: {op}"),
            key_pos(*op_span),
            &[name, op],
        ));
    }
    let Value::String(s) = &ov.value else {
        return Err(fail(
            "equals-ignore-case match pattern must be a string",
            ov.pos(),
            &[name, op],
        ));
    };
    no_second_key(inner, ONLY_ONE_KEY, &[name])?;
    Ok(s.clone())
}

/// The `numeric` array, checked in AWS's order.
fn numeric(items: &[Node], array: &Node) -> Result<Range, Fail> {
    const N: &str = "numeric";
    let idx = |j: usize| j.to_string();
    // Where a missing element would be: just before the closing bracket.
    let missing = array.span.end.saturating_sub(1);
    let Some(first) = items.first() else {
        return Err(fail("Invalid member in numeric match: ]", missing, &[N]));
    };
    let Value::String(op) = &first.value else {
        return Err(fail(
            format!("Invalid member in numeric match: {}", first.token_text()),
            first.pos(),
            &[N, "0"],
        ));
    };
    // The number at index j, which `label` needs.
    let value_at = |j: usize, label: &str| -> Result<(&Node, &str), Fail> {
        match items.get(j) {
            Some(
                node @ Node {
                    value: Value::Number(t),
                    ..
                },
            ) => Ok((node, t.as_str())),
            Some(node) => Err(fail(
                format!("Value of {label} must be numeric"),
                node.pos(),
                &[N, &idx(j)],
            )),
            None => Err(fail(
                format!("Value of {label} must be numeric"),
                missing,
                &[N, &idx(j)],
            )),
        }
    };
    let no_more = |j: usize, reason: &str| -> Result<(), Fail> {
        match items.get(j) {
            Some(node) => Err(fail(reason, node.pos(), &[N, &idx(j)])),
            None => Ok(()),
        }
    };
    match op.as_str() {
        "=" => {
            let (node, t) = value_at(1, "equals")?;
            no_more(2, TOO_MANY_ELEMENTS)?;
            let n = exact_number(node, t, &[N, "1"])?;
            let b = Bound {
                value: n.value,
                inclusive: true,
            };
            Ok(Range {
                lower: Some(b),
                upper: Some(b),
            })
        }
        ">" | ">=" => {
            let (node, t) = value_at(1, op)?;
            let lower_inclusive = op == ">=";
            let Some(second) = items.get(2) else {
                let n = exact_number(node, t, &[N, "1"])?;
                return Ok(Range {
                    lower: Some(Bound {
                        value: n.value,
                        inclusive: lower_inclusive,
                    }),
                    upper: None,
                });
            };
            let Value::String(op2) = &second.value else {
                return Err(fail(
                    format!("Bad value in numeric range: {}", second.token_text()),
                    second.pos(),
                    &[N, "2"],
                ));
            };
            if op2 != "<" && op2 != "<=" {
                return Err(fail(
                    format!("Bad numeric range operator: {op2}"),
                    second.pos(),
                    &[N, "2"],
                ));
            }
            let (top_node, top_text) = value_at(3, op2)?;
            no_more(4, "Too many terms in numeric range expression")?;
            let bottom = exact_number(node, t, &[N, "1"])?;
            let top = exact_number(top_node, top_text, &[N, "3"])?;
            if bottom.value >= top.value {
                return Err(fail(
                    "Bottom must be less than top",
                    top_node.pos(),
                    &[N, "3"],
                ));
            }
            Ok(Range {
                lower: Some(Bound {
                    value: bottom.value,
                    inclusive: lower_inclusive,
                }),
                upper: Some(Bound {
                    value: top.value,
                    inclusive: op2 == "<=",
                }),
            })
        }
        "<" | "<=" => {
            let (node, t) = value_at(1, op)?;
            no_more(2, TOO_MANY_ELEMENTS)?;
            let n = exact_number(node, t, &[N, "1"])?;
            Ok(Range {
                lower: None,
                upper: Some(Bound {
                    value: n.value,
                    inclusive: op == "<=",
                }),
            })
        }
        _ => Err(fail(
            format!("Unrecognized numeric range operator: {op}"),
            first.pos(),
            &[N, "0"],
        )),
    }
}
