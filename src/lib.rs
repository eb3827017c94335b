//! evrule: Amazon EventBridge event patterns, compiled and matched fast.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`pattern`]: pattern text (JSON) -> a validated [`Pattern`] tree that
//!    keeps the byte span of every node. Validation gives AWS's reasons,
//!    with the JSON path, line and column of the offending node; every
//!    problem of a pattern is reported, not just the first.
//! 2. `compile`: all rules -> one automaton. Each pattern becomes its
//!    *sub-rules* (one per choice of `$or` branches); sub-rules become paths
//!    through shared states, with a value index per field (hash maps for
//!    exact values, prefixes and suffixes, short lists for ranges,
//!    wildcards and `anything-but`). The cost of matching depends on the
//!    event and on what matches, not on how many rules exist.
//! 3. `event`: event bytes -> the leaves the automaton needs. The scanner
//!    reads the bytes once, follows only paths some rule names and skips the
//!    rest without building it. In strict mode (the default) it checks the
//!    whole event is well-formed JSON on the way (a malformed event is an
//!    error, never a match); in trusted mode it skips by brackets and stops
//!    as soon as every needed key was read.
//! 4. [`Matcher`]: add and remove rules, match events; `Send + Sync`, with a
//!    reusable [`Cache`] so the steady state does not allocate.
//!    [`SharedMatcher`] lets many threads match lock-free while rules change.
//! 5. [`route`]: what happens after a match: targets, input transformers,
//!    fan-out, retries with back-off, dead letters, FIFO groups, an archive
//!    with replay.
//!
//! With the `reference` feature, `evrule::reference` is the slow,
//! obviously-correct evaluator the tests and fuzz targets hold the
//! automaton to; it is for testing and not part of the stable API.
//!
//! # Example
//!
//! ```
//! use evrule::Matcher;
//!
//! let mut m = Matcher::new();
//! m.add("jpg-uploads", r#"{
//!     "source": ["aws.s3"],
//!     "detail-type": ["Object Created"],
//!     "detail": {"object": {"key": [{"suffix": {"equals-ignore-case": ".jpg"}}]}}
//! }"#)?;
//! m.add("big", r#"{"detail": {"object": {"size": [{"numeric": [">", 1048576]}]}}}"#)?;
//!
//! let event = br#"{"source": "aws.s3", "detail-type": "Object Created",
//!     "detail": {"object": {"key": "cats/Tom.JPG", "size": 5242880}}}"#;
//! assert_eq!(m.matches(event)?, ["big", "jpg-uploads"]);
//!
//! // Hot path: reuse a cache, get rule ids, no allocation.
//! let mut cache = m.create_cache();
//! assert_eq!(m.find(event, &mut cache)?.len(), 2);
//!
//! // Invalid patterns say what and where, in AWS's words.
//! let err = m.add("bad", r#"{"detail": {"size": [{"numeric": [">", "x"]}]}}"#).unwrap_err();
//! assert_eq!(err.message(), "Value of > must be numeric");
//! assert_eq!(err.path(), "/detail/size/0/numeric/1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - Every operator of EventBridge patterns: exact strings (IP addresses in
//!   any spelling), numbers by value, booleans, null, `prefix`, `suffix`,
//!   `equals-ignore-case` (alone and inside prefix, suffix, anything-but),
//!   `wildcard`, `anything-but` in all forms, `numeric`, `exists`, `cidr`,
//!   `$or` at any depth, dotted keys.
//! - Array consistency: fields reached through one array of objects must be
//!   satisfied by the same element, as EventBridge does it.
//! - Limits with AWS's defaults, all configurable: pattern length, `$or`
//!   sub-rules, nesting depth, wildcard complexity; event size, depth and
//!   leaves read.
//!
//! # Numbers, and serde_json
//!
//! Patterns and events are read as text by the library's own reader
//! ([`json`]), so numbers of any spelling and size (`5.000`, `1e400`,
//! `123456789012345678901234567890`) are judged on their exact text, and
//! values the router sends on keep their digits. evrule depends on
//! `serde_json` without turning on any of its features: it does not change
//! how `serde_json::Value` holds numbers for your crate. Where the API
//! takes a `serde_json::Value` ([`route::Rule::from_json`],
//! [`route::RuleSet::add_json`]), the numbers are what your `Value` kept
//! (without serde_json's `arbitrary_precision`, `1.50` is already `1.5`);
//! [`route::Rule::from_json_text`] and [`route::RuleSet::add_json_text`]
//! read the text and keep every number as written.
//!
//! ```
//! let mut rules = evrule::route::RuleSet::new();
//! rules.add_json_text(r#"{"Name": "r", "EventPattern": {"detail": {"price": [5.000]}}}"#)?;
//! assert_eq!(rules.rules()[0].event_pattern.as_deref(), Some(r#"{"detail":{"price":[5.000]}}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Bounds
//!
//! Compiling a pattern is linear in its size times its sub-rule count
//! (at most 1000). Matching an event is linear in its size for the scan
//! (which also bounds the leaves read: at most `max_event_leaves`). The
//! automaton then works per leaf read, per state reached and per list
//! condition tested (wildcards, anything-but, non-ASCII case folding),
//! which the rule set bounds: hash lookups for exact values, prefixes and
//! suffixes; `O(log n + hits)` for `n` numeric ranges on a field;
//! wildcard tests linear in the string (no backtracking), with the
//! complexity limit bounding how many overlap. Array consistency adds, per
//! leaf of a field reached through an array of objects, a binary search
//! for the leaves of the same element; array contexts no later field can
//! share are dropped, so fields in different arrays do not multiply work.
//! What can still multiply is within one element: when a single element
//! holds many values for each of several fields of one rule (arrays nested
//! inside it), the walk tries their combinations; the leaves-per-event
//! limit bounds that.

#![deny(missing_docs)]

mod compile;
mod error;
mod event;
pub mod json;
mod matcher;
pub mod pattern;
#[cfg(feature = "reference")]
pub mod reference;
// `explain` walks patterns the reference's way; without the feature the
// module is private, and what only tests call is unused.
#[cfg(not(feature = "reference"))]
#[allow(dead_code)]
mod reference;
mod shared;

pub use error::{Error, Errors};
pub use matcher::{Builder, Cache, Config, Matcher, RuleId};
pub use pattern::{Limits, Pattern};
pub use shared::SharedMatcher;
pub mod explain;
pub mod route;
pub mod test_pattern;
pub mod time;
