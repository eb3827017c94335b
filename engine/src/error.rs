//! The engine's one error type: a kind you can query, a message that says
//! what went wrong and where (which URL, stream, consumer or rule).

use std::fmt;

/// What kind of problem an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Connect,
    Incompatible,
    Rule,
    Event,
    Nats,
    Config,
}

/// An engine error.
///
/// ```
/// let e = evrule_engine::Error::connect("nats://127.0.0.1:1", "connection refused");
/// assert!(e.is_connect());
/// assert_eq!(e.to_string(), "cannot reach the engine at nats://127.0.0.1:1: connection refused");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
    message: String,
}

impl Error {
    fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The server at `url` could not be reached (or refused us).
    ///
    /// ```
    /// assert!(evrule_engine::Error::connect("nats://h:1", "refused").is_connect());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(url: &str, why: impl fmt::Display) -> Error {
        Error::new(
            Kind::Connect,
            format!("cannot reach the engine at {url}: {why}"),
        )
    }

    pub(crate) fn incompatible(message: impl Into<String>) -> Error {
        Error::new(Kind::Incompatible, message)
    }

    pub(crate) fn rule(message: impl Into<String>) -> Error {
        Error::new(Kind::Rule, message)
    }

    pub(crate) fn event(message: impl Into<String>) -> Error {
        Error::new(Kind::Event, message)
    }

    pub(crate) fn nats(what: impl fmt::Display, why: impl fmt::Display) -> Error {
        Error::new(Kind::Nats, format!("{what}: {why}"))
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(Kind::Config, message)
    }

    /// The message.
    ///
    /// ```
    /// let e = evrule_engine::Error::connect("nats://h:1", "refused");
    /// assert!(e.message().contains("nats://h:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The engine could not be reached at start.
    ///
    /// ```
    /// assert!(evrule_engine::Error::connect("nats://h:1", "x").is_connect());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_connect(&self) -> bool {
        self.kind == Kind::Connect
    }

    /// A stream, consumer or bucket exists with a configuration the engine
    /// will not silently change.
    ///
    /// ```
    /// assert!(!evrule_engine::Error::connect("nats://h:1", "x").is_incompatible());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_incompatible(&self) -> bool {
        self.kind == Kind::Incompatible
    }

    /// A rule or target was invalid (AWS's validation message).
    ///
    /// ```
    /// assert!(!evrule_engine::Error::connect("nats://h:1", "x").is_rule());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_rule(&self) -> bool {
        self.kind == Kind::Rule
    }

    /// An event was refused (not a JSON object, too large).
    ///
    /// ```
    /// assert!(!evrule_engine::Error::connect("nats://h:1", "x").is_event());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_event(&self) -> bool {
        self.kind == Kind::Event
    }

    /// A setting was invalid (a credentials file that cannot be read, a
    /// bad TLS file, a bad name).
    ///
    /// ```
    /// assert!(!evrule_engine::Error::connect("nats://h:1", "x").is_config());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_config(&self) -> bool {
        self.kind == Kind::Config
    }

    /// A JetStream request failed (timeout, lost connection, server error).
    ///
    /// ```
    /// assert!(!evrule_engine::Error::connect("nats://h:1", "x").is_nats());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_nats(&self) -> bool {
        self.kind == Kind::Nats
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<evrule::Error> for Error {
    fn from(e: evrule::Error) -> Error {
        if e.is_event() {
            Error::event(e.to_string())
        } else {
            Error::rule(e.to_string())
        }
    }
}
