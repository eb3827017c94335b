//! The one error type of the library.
//!
//! An [`Error`] says what went wrong and where: the rule it belongs to (when
//! known), the JSON pointer of the offending node (`/detail/size/0`), the
//! byte offset in the source text and, computed from it only when the error
//! is made, the line and column. Its kind is private; query methods tell the
//! caller what they need to branch on.

use std::fmt;

/// What family of problem an [`Error`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The text is not JSON (or not UTF-8).
    Syntax,
    /// The JSON is fine but the pattern is not a valid event pattern.
    Pattern,
    /// A configured limit was exceeded; the name says which.
    Limit(&'static str),
    /// An event could not be matched (malformed, too deep, too big).
    Event,
    /// A rule name was added twice or is unknown.
    Rule,
    /// Routing configuration (targets, transformers) is invalid.
    Routing,
    /// Input/output failure.
    Io,
}

/// An error with its location.
///
/// ```
/// let err = evrule::Pattern::parse(r#"{"detail": {"size": [{"numeric": [">", "x"]}]}}"#)
///     .unwrap_err();
/// assert_eq!(err.message(), "Value of > must be numeric");
/// assert_eq!(err.path(), "/detail/size/0/numeric/1");
/// assert_eq!((err.line(), err.column()), (Some(1), Some(41)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    // Boxed: errors are rare, and a small `Result` keeps hot paths lean.
    inner: Box<Inner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: Kind,
    message: String,
    rule: Option<String>,
    path: String,
    offset: Option<usize>,
    line: Option<usize>,
    column: Option<usize>,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                rule: None,
                path: String::new(),
                offset: None,
                line: None,
                column: None,
            }),
        }
    }

    /// Attach a JSON pointer.
    pub(crate) fn with_path(mut self, path: impl Into<String>) -> Error {
        self.inner.path = path.into();
        self
    }

    /// Attach a byte offset into `source`, computing line and column (both
    /// 1-based; the column counts characters, not bytes).
    pub(crate) fn at(mut self, source: &str, offset: usize) -> Error {
        let offset = offset.min(source.len());
        // An offset inside a character counts as that character's start.
        let mut off = offset;
        while !source.is_char_boundary(off) {
            off -= 1;
        }
        let (line, column) = crate::json::line_col(source.as_bytes(), off);
        self.inner.offset = Some(offset);
        self.inner.line = Some(line);
        self.inner.column = Some(column);
        self
    }

    /// Attach a byte offset, line and column computed by the caller (used
    /// for inputs that are bytes rather than `str`).
    pub(crate) fn at_position(mut self, offset: usize, line: usize, column: usize) -> Error {
        self.inner.offset = Some(offset);
        self.inner.line = Some(line);
        self.inner.column = Some(column);
        self
    }

    /// Name the rule this error belongs to.
    ///
    /// ```
    /// let err = evrule::Pattern::parse("{}").unwrap_err().with_rule("orders");
    /// assert_eq!(err.rule(), Some("orders"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_rule(mut self, rule: impl Into<String>) -> Error {
        self.inner.rule = Some(rule.into());
        self
    }

    /// The reason, in AWS's words where AWS has them.
    ///
    /// ```
    /// let err = evrule::Pattern::parse(r#"{"source": []}"#).unwrap_err();
    /// assert_eq!(err.message(), "Empty arrays are not allowed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The rule name, when the error was raised for a named rule.
    ///
    /// ```
    /// let err = evrule::Pattern::parse("[]").unwrap_err();
    /// assert_eq!(err.rule(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rule(&self) -> Option<&str> {
        self.inner.rule.as_deref()
    }

    /// JSON pointer of the offending node (`""` for the whole document).
    ///
    /// ```
    /// let err = evrule::Pattern::parse(r#"{"a": {"b": 1}}"#).unwrap_err();
    /// assert_eq!(err.path(), "/a/b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// Byte offset into the source text, when known.
    ///
    /// ```
    /// let err = evrule::Pattern::parse(r#"{"a": 1}"#).unwrap_err();
    /// assert_eq!(err.offset(), Some(6));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn offset(&self) -> Option<usize> {
        self.inner.offset
    }

    /// 1-based line, when known.
    ///
    /// ```
    /// let err = evrule::Pattern::parse("{\n  \"a\": 1}").unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn line(&self) -> Option<usize> {
        self.inner.line
    }

    /// 1-based column in characters, when known.
    ///
    /// ```
    /// let err = evrule::Pattern::parse("{\n  \"a\": 1}").unwrap_err();
    /// assert_eq!(err.column(), Some(8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn column(&self) -> Option<usize> {
        self.inner.column
    }

    /// True when the text was not well-formed JSON (or not UTF-8).
    ///
    /// ```
    /// assert!(evrule::Pattern::parse("{").unwrap_err().is_syntax());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_syntax(&self) -> bool {
        self.inner.kind == Kind::Syntax
    }

    /// The name of the limit this error hit, if it is a limit error
    /// (`"pattern length"`, `"nesting depth"`, `"sub-rules"`,
    /// `"wildcard complexity"`, `"event size"`, ...).
    ///
    /// ```
    /// let long = format!(r#"{{"a": ["{}"]}}"#, "x".repeat(3000));
    /// assert_eq!(evrule::Pattern::parse(&long).unwrap_err().limit(), Some("pattern length"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limit(&self) -> Option<&'static str> {
        match self.inner.kind {
            Kind::Limit(name) => Some(name),
            _ => None,
        }
    }

    /// True when the error is about an event rather than a pattern.
    ///
    /// ```
    /// let m = evrule::Matcher::builder().add("r", r#"{"a": ["x"]}"#)?.build()?;
    /// let err = m.matches(br#"{"a": "#).unwrap_err();
    /// assert!(err.is_event());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_event(&self) -> bool {
        self.inner.kind == Kind::Event
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rule) = &self.inner.rule {
            write!(f, "rule {rule}: ")?;
        }
        f.write_str(&self.inner.message)?;
        if !self.inner.path.is_empty() {
            write!(f, " at {}", self.inner.path)?;
        }
        if let (Some(line), Some(column)) = (self.inner.line, self.inner.column) {
            write!(f, " (line {line} column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
