//! The small JSON path language of `InputPath` and `InputPathsMap`.
//!
//! EventBridge accepts dot notation from `$` with array indices
//! (`$.detail.object.key`, `$.resources[0]`, `$`). Keys may hold any
//! character but `.`, `[` and `]`; a key that needs them can be written
//! bracketed and quoted (`$['a.b']`). Paths are parsed once, when a target
//! is loaded, and resolved on the event's bytes (see `raw.rs`).

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// A parsed path; no steps means `$`, the whole event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parse `text`; `None` when it is not a supported path.
    pub(crate) fn parse(text: &str) -> Option<JsonPath> {
        let rest = text.strip_prefix('$')?;
        let bytes = rest.as_bytes();
        let mut steps = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && !matches!(bytes[end], b'.' | b'[' | b']') {
                        end += 1;
                    }
                    if end == start {
                        return None;
                    }
                    let key = &rest[start..end];
                    if key.chars().any(|c| c.is_whitespace() || c == '*') {
                        return None;
                    }
                    steps.push(Step::Key(key.to_string()));
                    i = end;
                }
                b'[' => {
                    let close = rest[i..].find(']')? + i;
                    let inner = &rest[i + 1..close];
                    if let Some(q) = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .filter(|_| inner.len() >= 2)
                    {
                        if q.contains('\'') {
                            return None;
                        }
                        steps.push(Step::Key(q.to_string()));
                    } else {
                        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        steps.push(Step::Index(inner.parse().ok()?));
                    }
                    i = close + 1;
                }
                _ => return None,
            }
        }
        Some(JsonPath {
            text: text.to_string(),
            steps,
        })
    }

    /// The steps from `$`.
    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at this path, or `None` when the event has nothing there.
    #[cfg(test)]
    pub(crate) fn lookup<'v>(&self, event: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        use serde_json::Value;
        let mut at = event;
        for step in &self.steps {
            at = match (step, at) {
                (Step::Key(k), Value::Object(map)) => map.get(k)?,
                (Step::Index(n), Value::Array(items)) => items.get(*n)?,
                _ => return None,
            };
        }
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_supported_forms() {
        let event = json!({"detail": {"object": {"key": "k"}}, "resources": ["r0", "r1"],
            "detail-type": "t", "a.b": 1});
        let get = |p: &str| JsonPath::parse(p).unwrap().lookup(&event).cloned();
        assert_eq!(get("$.detail.object.key"), Some(json!("k")));
        assert_eq!(get("$.resources[1]"), Some(json!("r1")));
        assert_eq!(get("$.detail-type"), Some(json!("t")));
        assert_eq!(get("$['a.b']"), Some(json!(1)));
        assert_eq!(get("$"), Some(event.clone()));
        assert_eq!(get("$.missing.deeper"), None);
        assert_eq!(get("$.resources[7]"), None);
        assert_eq!(get("$.detail[0]"), None);
    }

    #[test]
    fn rejects_unsupported_forms() {
        for bad in [
            "", "detail", "$.", "$..a", "$.a[", "$.a[x]", "$.a[-1]", "$.*", "$ .a", "$a",
        ] {
            assert!(JsonPath::parse(bad).is_none(), "{bad}");
        }
    }
}
