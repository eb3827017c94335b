//! Pattern text -> validated pattern tree.
//!
//! The parser reads JSON text with its own small reader (it must keep
//! duplicate keys, exact number spellings and byte spans, which a generic
//! JSON library throws away), then validates it against the rules of
//! EventBridge (spec sections 2-4 and 6), collecting every problem with its
//! JSON path and position rather than stopping at the first.

mod ast;
mod parse;
pub(crate) mod value;

pub use ast::*;

/// Limits applied when parsing a pattern, with AWS's defaults.
///
/// ```
/// let limits = evrule::Limits::new().max_pattern_len(4096);
/// assert!(evrule::Pattern::parse_with(r#"{"a": ["b"]}"#, &limits).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_pattern_len: usize,
    pub(crate) max_sub_rules: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_wildcard_complexity: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::new()
    }
}

impl Limits {
    /// AWS's defaults: 2048 characters, 1000 sub-rules, nesting depth 64,
    /// wildcard complexity 8.
    pub fn new() -> Limits {
        Limits {
            max_pattern_len: 2048,
            max_sub_rules: 1000,
            max_depth: 64,
            max_wildcard_complexity: 8,
        }
    }

    /// Longest accepted pattern text, in characters (AWS: 2048, raisable
    /// to 4096).
    ///
    /// ```
    /// let l = evrule::Limits::new().max_pattern_len(10);
    /// assert!(evrule::Pattern::parse_with(r#"{"a": ["bbbbbbbb"]}"#, &l).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_pattern_len(mut self, n: usize) -> Limits {
        self.max_pattern_len = n;
        self
    }

    /// Most sub-rules (combinations of `$or` branches) in one pattern.
    ///
    /// ```
    /// let l = evrule::Limits::new().max_sub_rules(1);
    /// let p = r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#;
    /// assert!(evrule::Pattern::parse_with(p, &l).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_sub_rules(mut self, n: usize) -> Limits {
        self.max_sub_rules = n;
        self
    }

    /// Deepest accepted nesting of JSON objects and arrays.
    ///
    /// ```
    /// let l = evrule::Limits::new().max_depth(3);
    /// assert!(evrule::Pattern::parse_with(r#"{"a": {"b": {"c": ["d"]}}}"#, &l).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_depth(mut self, n: usize) -> Limits {
        self.max_depth = n;
        self
    }

    /// Largest accepted wildcard complexity (see the crate docs).
    ///
    /// ```
    /// let l = evrule::Limits::new().max_wildcard_complexity(2);
    /// assert!(evrule::Pattern::parse_with(r#"{"a": [{"wildcard": "*x*y*"}]}"#, &l).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_wildcard_complexity(mut self, n: usize) -> Limits {
        self.max_wildcard_complexity = n;
        self
    }
}

/// A validated event pattern.
///
/// ```
/// let p = evrule::Pattern::parse(r#"{"source": ["aws.s3"], "detail": {"size": [{"numeric": [">", 0]}]}}"#)?;
/// assert_eq!(p.root().fields.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub(crate) root: Object,
    pub(crate) text: String,
}

impl Pattern {
    /// The top-level object.
    ///
    /// ```
    /// let p = evrule::Pattern::parse(r#"{"source": ["aws.s3"]}"#)?;
    /// assert_eq!(p.root().fields[0].key, "source");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn root(&self) -> &Object {
        &self.root
    }

    /// The source text the pattern was parsed from.
    ///
    /// ```
    /// let p = evrule::Pattern::parse(r#"{"a": [1]}"#)?;
    /// assert_eq!(p.text(), r#"{"a": [1]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }
}

// Parsing (`Pattern::parse`, `Pattern::parse_with`) lives in `parse.rs`.
