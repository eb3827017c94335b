//! TestEventPattern's semantics, shared by `evrule serve`'s API action, the
//! CLI's `evrule test-event-pattern` (which stands in for the AWS CLI) and
//! the Python bindings' `test_event_pattern`: the
//! pattern must be valid, the event a JSON object with the fields the
//! service requires, and the answer is whether the pattern matches it.

use crate::{Error, Matcher, Pattern};

/// Fields the service requires in the event (`resources` is documented as
/// required too, but the service accepts events without it).
const REQUIRED: &[&str] = &["id", "account", "source", "time", "region", "detail-type"];

/// Longest pattern text quoted in an error, as the service quotes it.
const QUOTE_MAX: usize = 500;

/// Why TestEventPattern refused its input. [`message`](Self::message) is
/// the service's wording, which both the API's error and the AWS CLI's
/// line carry.
#[derive(Debug)]
pub enum TestEventPatternError {
    /// The pattern is invalid; the library's error, with its position.
    Pattern(Error),
    /// The event is not a valid EventBridge event; the service's reason.
    Event(String),
}

impl TestEventPatternError {
    /// The service's message for this error about `pattern` (the pattern
    /// that was tested). For an invalid pattern: the reason, then where it
    /// is, in the service's frame (`at [Source: (String)"..."; line: 1,
    /// column: 9]`); our line and column are those of the offending
    /// value's first character (the service's parser reports where it had
    /// read to).
    ///
    /// ```
    /// use evrule::test_pattern::test_event_pattern;
    /// let err = test_event_pattern(r#"{"a": []}"#, "{}").unwrap_err();
    /// assert_eq!(
    ///     err.message(r#"{"a": []}"#),
    ///     "Event pattern is not valid. Reason: Empty arrays are not allowed  \
    ///      at [Source: (String)\"{\"a\": []}\"; line: 1, column: 7]"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self, pattern: &str) -> String {
        let e = match self {
            TestEventPatternError::Event(reason) => {
                return format!("Parameter Event is not valid. Reason: {reason}")
            }
            TestEventPatternError::Pattern(e) => e,
        };
        let mut message = format!("Event pattern is not valid. Reason: {}", e.message());
        if let (Some(line), Some(column)) = (e.line(), e.column()) {
            let quoted = match pattern.char_indices().nth(QUOTE_MAX) {
                Some((cut, _)) => format!(
                    "{}\"[truncated {} chars]",
                    &pattern[..cut],
                    pattern[cut..].chars().count()
                ),
                None => format!("{pattern}\""),
            };
            message.push_str(&format!(
                "  at [Source: (String)\"{quoted}; line: {line}, column: {column}]"
            ));
        }
        message
    }
}

/// Whether `pattern` matches `event`, as TestEventPattern answers.
///
/// ```
/// use evrule::test_pattern::{test_event_pattern, TestEventPatternError};
/// let event = r#"{"id": "1", "account": "1", "source": "a", "time": "t",
///     "region": "r", "detail-type": "d"}"#;
/// assert!(test_event_pattern(r#"{"source": ["a"]}"#, event).unwrap());
/// // A number no f64 holds is still JSON.
/// let big = event.replace(r#""source": "a""#, r#""source": "a", "detail": {"n": 1e400}"#);
/// assert!(test_event_pattern(r#"{"detail": {"n": [{"exists": true}]}}"#, &big).unwrap());
/// assert!(matches!(
///     test_event_pattern(r#"{"source": []}"#, event),
///     Err(TestEventPatternError::Pattern(_))
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn test_event_pattern(pattern: &str, event: &str) -> Result<bool, TestEventPatternError> {
    use TestEventPatternError::{Event, Pattern as Invalid};
    let pattern = Pattern::parse(pattern).map_err(Invalid)?;
    // The library's reader: numbers of any size are JSON (serde_json
    // without `arbitrary_precision` would refuse `1e400`).
    let doc = crate::json::parse(event.as_bytes(), crate::json::SERDE_JSON_DEPTH)
        .map_err(|e| Event(e.described(event.as_bytes())))?;
    let crate::json::Value::Object(fields) = &doc.value else {
        return Err(Event("Provided Event must be a JSON object".into()));
    };
    if let Some(missing) = REQUIRED
        .iter()
        .find(|f| !fields.iter().any(|(key, _, _)| key == **f))
    {
        return Err(Event(format!(
            "Provided Event must have the field '{missing}'"
        )));
    }
    let mut matcher = Matcher::new();
    matcher.add_pattern("pattern", &pattern).map_err(Invalid)?;
    let found = matcher
        .matches(event.as_bytes())
        .map_err(|e| Event(e.message().to_string()))?;
    Ok(!found.is_empty())
}
