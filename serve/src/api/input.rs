//! Reading a request body the way the service does: members by their model
//! names, a wrong JSON type is a `SerializationException` at once, and
//! constraint violations are collected and reported together in AWS's form
//! (`2 validation errors detected: Value 'a b' at 'name' failed to satisfy
//! constraint: ...; ...`). Field names in messages are the members' names
//! with a lower-case first letter, as the service writes them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::error::ApiError;

pub(crate) const NAME_PATTERN: &str = r"[\.\-_A-Za-z0-9]+";
pub(crate) const BUS_NAME_PATTERN: &str = r"[/\.\-_A-Za-z0-9]+";
pub(crate) const BUS_OR_ARN_PATTERN: &str =
    r"(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+";
pub(crate) const NON_PARTNER_BUS_PATTERN: &str =
    r"(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[\.\-_A-Za-z0-9]+";
pub(crate) const RESOURCE_ARN_PATTERN: &str =
    r"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:.+\/.+$";

/// A pattern's text (for messages) and its test.
pub(crate) type Pattern<'s> = (&'s str, fn(&str) -> bool);

/// The members of one request (or one structure inside it) and the
/// violations found so far.
pub(crate) struct Input<'a, 'p> {
    obj: &'a Map<String, Value>,
    /// Prefix of field names in messages (`targets.1.member.`).
    prefix: String,
    problems: &'p mut Vec<String>,
}

/// The JSON type of a value, in the words of the messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a structure",
    }
}

/// `Name` -> `name`, as the service spells fields in its messages.
pub(crate) fn field_name(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The request body as an object: an empty body counts as `{}`.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::serialization(format!("The request body is not valid JSON: {e}."))
    })?;
    if !value.is_object() {
        return Err(ApiError::serialization(format!(
            "The request body must be a JSON object, found {}.",
            kind(&value)
        )));
    }
    Ok(value)
}

/// AWS's summary of the violations, or `Ok` when there are none.
pub(crate) fn finish(problems: Vec<String>) -> Result<(), ApiError> {
    match problems.len() {
        0 => Ok(()),
        1 => Err(ApiError::validation(format!(
            "1 validation error detected: {}",
            problems[0]
        ))),
        n => Err(ApiError::validation(format!(
            "{n} validation errors detected: {}",
            problems.join("; ")
        ))),
    }
}

impl<'a, 'p> Input<'a, 'p> {
    /// The top level of a request body (an object, see [`parse_body`]).
    pub(crate) fn new(body: &'a Value, problems: &'p mut Vec<String>) -> Input<'a, 'p> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let obj = body
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        Input {
            obj,
            prefix: String::new(),
            problems,
        }
    }

    fn field(&self, member: &str) -> String {
        format!("{}{}", self.prefix, field_name(member))
    }

    fn get(&self, member: &str) -> Option<&'a Value> {
        self.obj.get(member).filter(|v| !v.is_null())
    }

    fn wrong_type(&self, member: &str, expected: &str, found: &Value) -> ApiError {
        ApiError::serialization(format!(
            "Expected {expected} for {}, found {}.",
            self.field(member),
            kind(found)
        ))
    }

    /// Record a violation in AWS's words.
    pub(crate) fn violation(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("Value '{v}'"),
            None => "Value null".to_string(),
        };
        let field = self.field(member);
        self.problems.push(format!(
            "{value} at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// An optional string member.
    pub(crate) fn string(&mut self, member: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(member) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong_type(member, "a string", v)),
        }
    }

    /// A required string member; missing is a violation (and `None`).
    pub(crate) fn required_string(&mut self, member: &str) -> Result<Option<&'a str>, ApiError> {
        let s = self.string(member)?;
        if s.is_none() {
            self.violation(None, member, "Member must not be null");
        }
        Ok(s)
    }

    /// A string member checked for length (in characters) and pattern.
    pub(crate) fn checked_string(
        &mut self,
        member: &str,
        required: bool,
        min: usize,
        max: usize,
        pattern: Option<Pattern<'_>>,
    ) -> Result<Option<&'a str>, ApiError> {
        let s = if required {
            self.required_string(member)?
        } else {
            self.string(member)?
        };
        if let Some(text) = s {
            self.check_text(text, member, min, max, pattern);
        }
        Ok(s)
    }

    /// Length and pattern checks of one string value.
    pub(crate) fn check_text(
        &mut self,
        text: &str,
        member: &str,
        min: usize,
        max: usize,
        pattern: Option<Pattern<'_>>,
    ) {
        let len = text.chars().count();
        if len < min {
            self.violation(
                Some(text),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if len > max {
            self.violation(
                Some(&shorten(text)),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
        if let Some((source, test)) = pattern {
            if len >= min && !test(text) {
                self.violation(
                    Some(&shorten(text)),
                    member,
                    &format!("Member must satisfy regular expression pattern: {source}"),
                );
            }
        }
    }

    /// An optional enum member.
    pub(crate) fn enum_string(
        &mut self,
        member: &str,
        values: &[&str],
    ) -> Result<Option<&'a str>, ApiError> {
        let s = self.string(member)?;
        if let Some(text) = s {
            if !values.contains(&text) {
                self.violation(
                    Some(text),
                    member,
                    &format!(
                        "Member must satisfy enum value set: [{}]",
                        values.join(", ")
                    ),
                );
                return Ok(None);
            }
        }
        Ok(s)
    }

    /// An optional integer member, checked against `min..=max`.
    pub(crate) fn integer(
        &mut self,
        member: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let n = match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            }),
            _ => None,
        };
        let Some(n) = n else {
            return Err(self.wrong_type(member, "an integer", v));
        };
        if n < min {
            self.violation(
                Some(&n.to_string()),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if n > max {
            self.violation(
                Some(&n.to_string()),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        Ok(Some(n))
    }

    /// An optional boolean member.
    pub(crate) fn boolean(&mut self, member: &str) -> Result<Option<bool>, ApiError> {
        match self.get(member) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong_type(member, "a boolean", v)),
        }
    }

    /// An optional timestamp member: epoch seconds, as AWS JSON 1.1 sends them.
    pub(crate) fn timestamp(&mut self, member: &str) -> Result<Option<SystemTime>, ApiError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let secs = match v {
            Value::Number(n) => n.as_f64(),
            _ => None,
        };
        match secs {
            Some(s) if s.is_finite() && (0.0..1.0e11).contains(&s) => {
                Ok(Some(UNIX_EPOCH + Duration::from_secs_f64(s)))
            }
            Some(_) => Err(ApiError::serialization(format!(
                "The timestamp {v} for {} is out of range.",
                self.field(member)
            ))),
            None => Err(self.wrong_type(member, "a timestamp (epoch seconds)", v)),
        }
    }

    /// A required timestamp member.
    pub(crate) fn required_timestamp(
        &mut self,
        member: &str,
    ) -> Result<Option<SystemTime>, ApiError> {
        let t = self.timestamp(member)?;
        if t.is_none() {
            self.violation(None, member, "Member must not be null");
        }
        Ok(t)
    }

    /// An optional list member, checked for length.
    pub(crate) fn list(
        &mut self,
        member: &str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Result<Option<&'a Vec<Value>>, ApiError> {
        let items = match self.get(member) {
            None => None,
            Some(Value::Array(items)) => Some(items),
            Some(v) => return Err(self.wrong_type(member, "a list", v)),
        };
        match items {
            None if required => self.violation(None, member, "Member must not be null"),
            None => {}
            Some(items) => {
                if items.len() < min {
                    self.violation(
                        Some("[]"),
                        member,
                        &format!("Member must have length greater than or equal to {min}"),
                    );
                }
                if items.len() > max {
                    let shown = list_text(items);
                    self.violation(
                        Some(&shown),
                        member,
                        &format!("Member must have length less than or equal to {max}"),
                    );
                }
            }
        }
        Ok(items)
    }

    /// A list of strings, each checked for length.
    pub(crate) fn string_list(
        &mut self,
        member: &str,
        required: bool,
        (min_len, max_len): (usize, usize),
        (min, max): (usize, usize),
    ) -> Result<Option<Vec<&'a str>>, ApiError> {
        let Some(items) = self.list(member, required, min_len, max_len)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Value::String(s) = item else {
                return Err(ApiError::serialization(format!(
                    "Expected a string for {}.{}, found {}.",
                    self.field(member),
                    i + 1,
                    kind(item)
                )));
            };
            let len = s.chars().count();
            let at = format!("{}.{}.member", field_name(member), i + 1);
            if len < min {
                self.violation(
                    Some(s),
                    &at,
                    &format!("Member must have length greater than or equal to {min}"),
                );
            }
            if len > max {
                self.violation(
                    Some(&shorten(s)),
                    &at,
                    &format!("Member must have length less than or equal to {max}"),
                );
            }
            out.push(s.as_str());
        }
        Ok(Some(out))
    }

    /// An optional structure member, read with the field prefix `prefix`.
    pub(crate) fn structure<'q>(
        &'q mut self,
        member: &str,
        prefix: String,
    ) -> Result<Option<Input<'a, 'q>>, ApiError> {
        let prefix = format!("{}{prefix}", self.prefix);
        match self.get(member) {
            None => Ok(None),
            Some(Value::Object(obj)) => Ok(Some(Input {
                obj,
                prefix,
                problems: &mut *self.problems,
            })),
            Some(v) => Err(self.wrong_type(member, "a structure", v)),
        }
    }

    /// One element of a list of structures, read with the field prefix
    /// `member.N.member.`.
    pub(crate) fn element<'q, 'v>(
        &'q mut self,
        member: &str,
        index: usize,
        value: &'v Value,
    ) -> Result<Input<'v, 'q>, ApiError> {
        let prefix = format!(
            "{}{}.{}.member.",
            self.prefix,
            field_name(member),
            index + 1
        );
        match value {
            Value::Object(obj) => Ok(Input {
                obj,
                prefix,
                problems: &mut *self.problems,
            }),
            v => Err(ApiError::serialization(format!(
                "Expected a structure for {}, found {}.",
                prefix.trim_end_matches('.'),
                kind(v)
            ))),
        }
    }

    /// The raw object.
    pub(crate) fn raw(&self) -> &'a Map<String, Value> {
        self.obj
    }
}

/// Long values are cut in messages, as the service does.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 200 {
        text.to_string()
    } else {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}...")
    }
}

/// A list as the service prints it in a message: `[a, b]`, entries as
/// `Shape(member=value, ...)` for structures.
fn list_text(items: &[Value]) -> String {
    let parts: Vec<String> = items.iter().take(20).map(value_text).collect();
    let more = if items.len() > 20 { ", ..." } else { "" };
    shorten(&format!("[{}{more}]", parts.join(", ")))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(obj) => {
            let parts: Vec<String> = obj
                .iter()
                .map(|(k, v)| format!("{}={}", field_name(k), value_text(v)))
                .collect();
            format!("({})", parts.join(", "))
        }
        Value::Array(items) => list_text(items),
        other => other.to_string(),
    }
}

/// `[\.\-_A-Za-z0-9]+`: rule, target, archive and replay names.
pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `[/\.\-_A-Za-z0-9]+`: event bus names.
pub(crate) fn is_bus_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'))
}

/// The ARN prefix `arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/`,
/// and the name after it.
fn split_bus_arn(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("arn:aws")?;
    let (partition, rest) = rest.split_once(':')?;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !partition.chars().all(word) {
        return None;
    }
    let rest = rest.strip_prefix("events:")?;
    let (region, rest) = rest.split_once(':')?;
    if !is_region(region) {
        return None;
    }
    let (account, rest) = rest.split_once(':')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.strip_prefix("event-bus/")
}

/// `[a-z]+-[a-z]+-[\w-]+`.
fn is_region(region: &str) -> bool {
    let mut parts = region.splitn(3, '-');
    let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    lower(a)
        && lower(b)
        && !c.is_empty()
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `EventBusNameOrArn`.
pub(crate) fn is_bus_or_arn(s: &str) -> bool {
    match split_bus_arn(s) {
        Some(name) => is_bus_name(name),
        None => is_bus_name(s),
    }
}

/// `NonPartnerEventBusNameOrArn` (PutEvents entries).
pub(crate) fn is_non_partner_bus_or_arn(s: &str) -> bool {
    match split_bus_arn(s) {
        Some(name) => is_name(name),
        None => is_name(s),
    }
}

/// `^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:.+\/.+$`: archive,
/// replay and event bus ARNs.
pub(crate) fn is_resource_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    if !partition
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'-')
    {
        return false;
    }
    let Some(rest) = rest.strip_prefix("events:") else {
        return false;
    };
    let Some((region, rest)) = rest.split_once(':') else {
        return false;
    };
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return false;
    }
    let Some((account, resource)) = rest.split_once(':') else {
        return false;
    };
    if !(account.is_empty() || account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    match resource.split_once('/') {
        Some((a, b)) => !a.is_empty() && !b.is_empty(),
        None => false,
    }
}

/// Paging: a `NextToken` is the position of the next item, in hex so that it
/// is opaque and safe anywhere. The range of `len` items to answer, and the
/// token of the next page if there is one.
fn page_range(
    len: usize,
    token: Option<&str>,
    limit: Option<i64>,
) -> Result<(std::ops::Range<usize>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => decode_token(t)
            .filter(|&n| n <= len)
            .ok_or_else(|| ApiError::validation("The NextToken provided is not valid."))?,
    };
    let limit = limit.map_or(100, |l| l.clamp(1, 100) as usize);
    let end = (start + limit).min(len);
    let next = (end < len).then(|| encode_token(end));
    Ok((start..end, next))
}

/// One page of `items`, and the next page's token (the paging rule on its
/// own, for the tests).
#[cfg(test)]
fn page<T: Clone>(
    items: &[T],
    token: Option<&str>,
    limit: Option<i64>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let (range, next) = page_range(items.len(), token, limit)?;
    Ok((items[range].to_vec(), next))
}

/// A List* answer: one page of `items` under `member`, with `NextToken`
/// when more follow. The items of the page are moved, not copied.
pub(crate) fn paged(
    member: &str,
    mut items: Vec<Value>,
    token: Option<&str>,
    limit: Option<i64>,
) -> Result<Value, ApiError> {
    let (range, next) = page_range(items.len(), token, limit)?;
    let page: Vec<Value> = items.drain(range).collect();
    let mut out = serde_json::Map::new();
    out.insert(member.to_string(), Value::Array(page));
    if let Some(n) = next {
        out.insert("NextToken".to_string(), Value::String(n));
    }
    Ok(Value::Object(out))
}

fn encode_token(n: usize) -> String {
    format!("evrule-{}", hex::encode(format!("page:{n}")))
}

fn decode_token(t: &str) -> Option<usize> {
    let bytes = hex::decode(t.strip_prefix("evrule-")?).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("page:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_name("a.b-c_9"));
        assert!(!is_name("a b"));
        assert!(!is_name(""));
        assert!(is_bus_or_arn("orders"));
        assert!(is_bus_or_arn(
            "arn:aws:events:us-east-1:123456789012:event-bus/orders"
        ));
        assert!(!is_bus_or_arn("orders bus"));
        assert!(is_non_partner_bus_or_arn("default"));
        assert!(!is_non_partner_bus_or_arn("aws.partner/x/y"));
        assert!(is_resource_arn(
            "arn:aws:events:us-east-1:123456789012:event-bus/default"
        ));
        assert!(is_resource_arn("arn:aws:events:us-east-1::archive/a"));
        assert!(!is_resource_arn("arn:aws:events:us-east-1:1:archive/a"));
        assert!(!is_resource_arn("default"));
    }

    #[test]
    fn violations_are_counted_in_one_message() {
        let body = serde_json::json!({"Name": "a b", "Limit": 0});
        let mut problems = Vec::new();
        let mut input = Input::new(&body, &mut problems);
        input
            .checked_string("Name", true, 1, 64, Some((NAME_PATTERN, is_name)))
            .unwrap();
        input.integer("Limit", 1, 100).unwrap();
        input.required_string("Rule").unwrap();
        let err = finish(problems).unwrap_err();
        assert_eq!(
            err.message,
            r"3 validation errors detected: Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+; Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; Value null at 'rule' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let body = serde_json::json!({"Name": 5});
        let mut problems = Vec::new();
        let err = Input::new(&body, &mut problems).string("Name").unwrap_err();
        assert_eq!(err.code, "SerializationException");
        assert_eq!(err.message, "Expected a string for name, found a number.");
        assert_eq!(
            parse_body(b"[1]").unwrap_err().message,
            "The request body must be a JSON object, found a list."
        );
        assert!(parse_body(b"  ").unwrap().is_object());
    }

    #[test]
    fn paging_walks_and_refuses_bad_tokens() {
        let items: Vec<u32> = (0..5).collect();
        let (first, next) = page(&items, None, Some(2)).unwrap();
        assert_eq!(first, [0, 1]);
        let (second, next) = page(&items, next.as_deref(), Some(2)).unwrap();
        assert_eq!(second, [2, 3]);
        let (third, next) = page(&items, next.as_deref(), Some(2)).unwrap();
        assert_eq!((third, next), (vec![4], None));
        assert_eq!(
            page(&items, Some("junk"), None).unwrap_err().message,
            "The NextToken provided is not valid."
        );
    }
}
