//! The one error type of the library.
//!
//! An [`Error`] says what went wrong and where: the rule it belongs to (when
//! known), the JSON pointer of the offending node (`/detail/size/0`), the
//! byte offset in the source text and, computed from it only when the error
//! is made, the line and column. Its kind is private; query methods tell the
//! caller what they need to branch on (one per kind). An input/output
//! failure keeps its `std::io::Error` as [`source`](std::error::Error::source).
//!
//! A pattern can have many problems; [`Errors`] lists them all (what
//! [`Pattern::parse_with`](crate::Pattern::parse_with) returns), and an
//! [`Error`] made from such a list keeps the rest
//! ([`Error::other_problems`]).

use std::fmt;
use std::io;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

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
    /// The underlying I/O error, for [`Kind::Io`].
    io: Option<IoSource>,
    /// The other problems of the same input, after this one.
    others: Vec<Error>,
}

/// An `io::Error` shared between clones of an [`Error`]; two are equal
/// when their kinds and texts are. `io::Error` may box any error, so it is
/// not `RefUnwindSafe`; this one is never mutated after it is stored, and
/// the assertion keeps [`Error`] unwind-safe as it always was.
#[derive(Debug)]
struct IoSource(AssertUnwindSafe<Arc<io::Error>>);

impl Clone for IoSource {
    fn clone(&self) -> Self {
        IoSource(AssertUnwindSafe(Arc::clone(&self.0)))
    }
}

impl PartialEq for IoSource {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoSource {}

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
                io: None,
                others: Vec::new(),
            }),
        }
    }

    /// An input/output failure: `message` says what was being done (and
    /// to which file), `source` is kept as the error's source.
    pub(crate) fn io(message: impl Into<String>, source: io::Error) -> Error {
        let mut e = Error::new(Kind::Io, message);
        e.inner.io = Some(IoSource(AssertUnwindSafe(Arc::new(source))));
        e
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
        let rule = rule.into();
        for other in &mut self.inner.others {
            other.inner.rule = Some(rule.clone());
        }
        self.inner.rule = Some(rule);
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

    /// True when the JSON is fine but it is not a valid event pattern
    /// (AWS's validation: wrong operator, bad value, empty array, ...).
    ///
    /// ```
    /// let err = evrule::Pattern::parse(r#"{"a": []}"#).unwrap_err();
    /// assert!(err.is_pattern() && !err.is_syntax());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_pattern(&self) -> bool {
        self.inner.kind == Kind::Pattern
    }

    /// True when a rule name is the problem: added twice, or unknown.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// m.add("r", r#"{"a": ["x"]}"#)?;
    /// assert!(m.add("r", r#"{"a": ["y"]}"#).unwrap_err().is_rule());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_rule(&self) -> bool {
        self.inner.kind == Kind::Rule
    }

    /// True when routing configuration is invalid: rules and targets as
    /// AWS validates them, input transformers, destinations.
    ///
    /// ```
    /// let err = evrule::route::Router::builder()
    ///     .rule(evrule::route::Rule::new("r", "{}")
    ///         .with_target(evrule::route::Target::new("t", "arn:nowhere")))
    ///     .selector(|_: &[u8]| Ok(Vec::new()))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.is_routing());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_routing(&self) -> bool {
        self.inner.kind == Kind::Routing
    }

    /// True for input/output failures (the archive's files, worker
    /// threads, ...). [`io_error_kind`](Error::io_error_kind) and
    /// [`source`](std::error::Error::source) give the underlying error
    /// when there is one.
    ///
    /// ```
    /// let file = std::env::temp_dir().join(format!("evrule-doc-isio-{}", std::process::id()));
    /// std::fs::write(&file, "not a directory")?;
    /// let err = evrule::route::Archive::open(&file, evrule::route::ArchiveConfig::new())
    ///     .unwrap_err();
    /// assert!(err.is_io());
    /// # std::fs::remove_file(&file)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_io(&self) -> bool {
        self.inner.kind == Kind::Io
    }

    /// The kind of the underlying `std::io::Error`, for an I/O failure
    /// that came from one.
    ///
    /// ```
    /// let file = std::env::temp_dir().join(format!("evrule-doc-iokind-{}", std::process::id()));
    /// std::fs::write(&file, "not a directory")?;
    /// let config = evrule::route::ArchiveConfig::new();
    /// let err = evrule::route::Archive::open(file.join("archive"), config).unwrap_err();
    /// assert!(err.io_error_kind().is_some());
    /// let source = std::error::Error::source(&err).unwrap();
    /// assert!(source.downcast_ref::<std::io::Error>().is_some());
    /// # std::fs::remove_file(&file)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn io_error_kind(&self) -> Option<io::ErrorKind> {
        self.inner.io.as_ref().map(|e| e.0.kind())
    }

    /// The other problems found in the same input, after this one, in
    /// document order: [`Matcher::add`](crate::Matcher::add) reports the
    /// first problem of a pattern as the error and the rest here. Empty
    /// for an error that stands alone.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// let err = m.add("r", r#"{"a": [], "b": [{"prefix": 1}]}"#).unwrap_err();
    /// assert_eq!(err.message(), "Empty arrays are not allowed");
    /// let rest: Vec<_> = err.other_problems().iter().map(|e| e.path()).collect();
    /// assert_eq!(rest, ["/b/0/prefix"]);
    /// assert_eq!(err.other_problems()[0].rule(), Some("r"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn other_problems(&self) -> &[Error] {
        &self.inner.others
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

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .io
            .as_ref()
            .map(|e| &**e.0 as &(dyn std::error::Error + 'static))
    }
}

/// Every problem of one input, in document order; never empty. Returned
/// by [`Pattern::parse_with`](crate::Pattern::parse_with). It derefs to a
/// slice of [`Error`]s and iterates over them; displayed, it lists them
/// all, one per line.
///
/// ```
/// let errors = evrule::Pattern::parse_with(
///     r#"{"a": [], "b": [{"prefix": 1}]}"#,
///     &evrule::Limits::new(),
/// )
/// .unwrap_err();
/// assert_eq!(errors.len(), 2);
/// assert_eq!(errors.first().path(), "/a");
/// assert_eq!(
///     errors.to_string(),
///     "Empty arrays are not allowed at /a (line 1 column 7)\n\
///      prefix match pattern must be a string at /b/0/prefix (line 1 column 28)"
/// );
/// let boxed: Box<dyn std::error::Error> = Box::new(errors);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Errors {
    list: Vec<Error>,
}

impl Errors {
    /// `list` must not be empty.
    pub(crate) fn new(list: Vec<Error>) -> Errors {
        assert!(!list.is_empty(), "an error list is never empty");
        Errors { list }
    }

    /// The first problem.
    ///
    /// ```
    /// let errors = evrule::Pattern::parse_with("[]", &evrule::Limits::new()).unwrap_err();
    /// assert_eq!(errors.first().message(), "Filter is not an object");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first(&self) -> &Error {
        &self.list[0]
    }

    /// Name the rule every problem belongs to.
    ///
    /// ```
    /// let errors = evrule::Pattern::parse_with("[]", &evrule::Limits::new()).unwrap_err();
    /// assert_eq!(errors.with_rule("r").first().rule(), Some("r"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_rule(self, rule: &str) -> Errors {
        Errors {
            list: self.list.into_iter().map(|e| e.with_rule(rule)).collect(),
        }
    }

    /// The first problem as one [`Error`], carrying the others
    /// ([`Error::other_problems`]).
    ///
    /// ```
    /// let errors = evrule::Pattern::parse_with(r#"{"a": [], "b": []}"#, &evrule::Limits::new())
    ///     .unwrap_err();
    /// let err = errors.into_error();
    /// assert_eq!((err.path(), err.other_problems()[0].path()), ("/a", "/b"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_error(self) -> Error {
        let mut list = self.list.into_iter();
        let mut first = list.next().expect("an error list is never empty");
        first.inner.others.extend(list);
        first
    }

    /// The problems as a vector.
    ///
    /// ```
    /// let errors = evrule::Pattern::parse_with("[]", &evrule::Limits::new()).unwrap_err();
    /// assert_eq!(errors.into_vec().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_vec(self) -> Vec<Error> {
        self.list
    }
}

impl Deref for Errors {
    type Target = [Error];

    fn deref(&self) -> &[Error] {
        &self.list
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.list.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.first())
    }
}
