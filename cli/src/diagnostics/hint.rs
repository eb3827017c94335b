//! Hints on how to fix an invalid pattern. The library's reasons are AWS's
//! word for word, so that they can be searched for; a hint says what AWS
//! does not: the operator meant, the quotes to drop.

use evrule::Error;

use crate::sources::json;
use crate::sources::suggest::nearest;

/// The operators a condition object can name.
const OPERATORS: &[&str] = &[
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
    "equals-ignore-case",
    "wildcard",
];

/// A hint for error `err` of pattern `text`, if there is one.
pub fn for_error(text: &str, err: &Error) -> Option<String> {
    let message = err.message();
    if let Some(name) = message.strip_prefix("Unrecognized match type ") {
        return Some(match nearest(name, OPERATORS.iter().copied()) {
            Some(op) => format!("did you mean `{op}`?"),
            None => format!("the operators are {}", OPERATORS.join(", ")),
        });
    }
    if message.starts_with("Value of ") && message.ends_with(" must be numeric") {
        let quoted = quoted_number(text, err.offset()?)?;
        return Some(format!(
            "`\"{quoted}\"` is a string; write the number without quotes: `{quoted}`"
        ));
    }
    if message == "Filter is not an object" && holds_object(text.trim()) {
        return Some(
            "the pattern is a JSON string that holds a pattern (encoded twice); \
             give the object itself, without the outer quotes"
                .to_string(),
        );
    }
    None
}

/// The text of the JSON string at `offset` of `text` (at its quote or its
/// first character) when it reads as a number (`"1000"`).
fn quoted_number(text: &str, offset: usize) -> Option<String> {
    let at = if text.get(offset..)?.starts_with('"') {
        offset
    } else {
        offset.checked_sub(1)?
    };
    let rest = text.get(at..)?;
    if !rest.starts_with('"') {
        return None;
    }
    let end = rest[1..].find('"')? + 2;
    let node = json::parse(&rest[..end]).ok()?;
    let s = node.as_str()?.trim().to_string();
    let number = json::parse(&s).ok()?;
    matches!(number.value, crate::sources::doc::Value::Number(_)).then_some(s)
}

/// Whether `text` is one JSON string whose content is a JSON object.
fn holds_object(text: &str) -> bool {
    json::parse(text)
        .ok()
        .and_then(|node| json::parse(node.as_str()?.trim()).ok())
        .is_some_and(|decoded| decoded.as_map().is_some())
}
