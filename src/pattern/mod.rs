//! Pattern text -> validated pattern tree.
//!
//! The parser reads JSON text with its own small reader (it must keep
//! duplicate keys, exact number spellings and byte spans, which a generic
//! JSON library throws away), then validates it against the rules of
//! EventBridge (spec sections 2-4 and 6), collecting every problem with its
//! JSON path and position rather than stopping at the first.
//!
//! Reasons use AWS's exact wording (`Value of > must be numeric`,
//! `Bottom must be less than top`, ...) so that users can search for them;
//! JSON syntax errors use serde_json's (`trailing comma`, `expected value`).
//!
//! Limits ([`Limits`]): the pattern's length in characters, the nesting depth
//! (never above 512, so that nothing can overflow the stack), the number of
//! sub-rules produced by `$or`, and wildcard complexity. Wildcard complexity
//! is the largest number of positions of a wildcard that can be live at once
//! while some string is read: every star once reached stays live, and a
//! literal character after a star is live while the text read so far ends
//! with the characters leading up to it. `arn:aws:events:us-east-1:*:event-bus/*`
//! scores 3, `/Users/*/dir/dir/dir/dir/dir/doc.txt` 7 and
//! `*:*:*:*:*:event-bus/*` 11; the default limit, 8, accepts the first two
//! and rejects the third, as AWS does.

mod ast;
pub(crate) mod parse;
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

    /// Deepest accepted nesting of JSON objects and arrays. Values above
    /// 512 count as 512: nesting is never allowed to endanger the stack.
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

    /// Largest accepted wildcard complexity: the most positions of one
    /// wildcard that can be live at once while a string is read (see the
    /// module docs of [`crate::pattern`]). AWS's examples score 3, 7 and 11;
    /// the default, 8, accepts the first two.
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

/// The order in which the fields of a sub-rule are taken (spec section 5):
/// by full dotted path, compared as Java compares strings, by UTF-16 code
/// unit. That is byte order, except that characters beyond the Basic
/// Multilingual Plane (surrogate pairs, `0xD800..`) sort before
/// `U+E000..U+FFFF`. `exists: false` on a path is judged against the array
/// elements chosen for the paths that sort before it.
pub(crate) fn path_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() || b.is_ascii() {
        // Below U+0080 on one side, UTF-8 and UTF-16 order agree.
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::path_order;
    use std::cmp::Ordering::*;

    #[test]
    fn paths_sort_by_utf16_code_unit() {
        assert_eq!(path_order("lines.backordered", "lines.quantity"), Less);
        assert_eq!(path_order("a.b", "a"), Greater);
        assert_eq!(path_order("a", "a"), Equal);
        // U+FF21 (one unit, 0xFF21) sorts after U+1F381 (0xD83C 0xDF81),
        // though its UTF-8 bytes come first.
        assert_eq!(path_order("\u{FF21}", "\u{1F381}"), Greater);
        assert!("\u{FF21}" < "\u{1F381}");
        assert_eq!(path_order("é", "\u{1F381}"), Less);
    }
}
