//! Why a pattern does or does not match an event, condition by condition.
//!
//! [`explain`] answers the same question as [`crate::reference::matches`]
//! (it runs the reference evaluator's search, so the verdicts agree by
//! construction, and a test checks it over every conformance case) and
//! then says why, in the shape of the pattern:
//!
//! * every leaf of the pattern ([`FieldExplanation`]) lists what the event
//!   holds at that path (or that it holds nothing) and, value by value and
//!   condition by condition, whether the condition holds and why not
//!   (wrong type, value compared, `exists: false` finding a value);
//! * every `$or` ([`OrExplanation`]) says which branch matched or, branch by
//!   branch, why each failed;
//! * when every field can be satisfied on its own but not all together, a
//!   [`Conflict`] names the fields and the arrays whose elements they would
//!   have to share (spec section 5, array consistency).
//!
//! When a part of the pattern holds, the explanation shows the leaves the
//! reference search actually used (the *witness*), so the element that
//! satisfied an array field is named. When it fails, each field is judged
//! on its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::Value as Json;

use crate::error::Error;
use crate::json::{Node, Value as JsonValue};
use crate::pattern::value::{
    condition_matches_leaf, ignore_case_equals, number_equals, parse_ip, string_equals,
    wildcard_matches, LeafValue,
};
use crate::pattern::{
    path_order, AnythingBut, Bound, Condition, ConditionKind, FieldValue, Object, Pattern,
};
use crate::reference::{self, join, Flat, SubRuleField};

/// Most conflicts searched for in one part of a pattern: enough to explain,
/// few enough to stay quick on patterns with many `$or` combinations.
const MAX_CONFLICTS: usize = 10;

/// Why `pattern` does or does not match `event` (JSON text).
///
/// Errors as [`crate::reference::matches`] does: when the event is not
/// JSON, nested deeper than 512 levels, or not an object.
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"detail": {"size": [{"numeric": [">", 10]}]}}"#)?;
/// let e = explain(&p, r#"{"detail": {"size": 5}}"#)?;
/// assert!(!e.matched());
/// let field = &e.root().fields()[0];
/// assert_eq!(field.path(), "detail.size");
/// assert_eq!(field.values()[0].checks()[0].reason(), "5 is not > 10");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain(pattern: &Pattern, event: &str) -> Result<Explanation, Error> {
    let doc = reference::parse_event(event)?;
    let flat = Flat::new(&doc);
    let mut empties = Vec::new();
    find_empties(&doc, "", &mut String::new(), &mut empties);
    let mut spec = Spec::default();
    spec.group(pattern.root(), "");
    spec.finish();
    let mut ctx = Ctx {
        text: pattern.text(),
        flat: &flat,
        spec: &spec,
        alone: Vec::new(),
        pinned: Vec::new(),
        empties,
    };
    ctx.alone = (0..spec.fields.len())
        .map(|f| ctx.solve(&[f]).is_some())
        .collect();
    ctx.pinned = (0..spec.fields.len())
        .map(|f| {
            let field = &spec.fields[f];
            let mut at = flat.leaves.iter().filter(|l| l.path == field.path);
            !ctx.alone[f]
                && field
                    .conds
                    .iter()
                    .any(|c| c.kind == ConditionKind::Exists(false))
                && at.all(|l| !l.arrays.is_empty())
                // Only fields taken before it (spec section 5) can pin an
                // element for it.
                && spec
                    .fields
                    .iter()
                    .any(|g| path_order(&g.path, &field.path).is_lt())
        })
        .collect();
    let mut reported = BTreeSet::new();
    let root = ctx.group(0, None, &mut reported);
    Ok(Explanation {
        matched: root.holds,
        root,
    })
}

/// The answer of [`explain`]: the verdict and the reasons.
///
/// `Display` writes it as indented text (`match` or `no match`, then one
/// line per field and per value); [`Explanation::to_json`] as JSON.
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"source": ["aws.s3"]}"#)?;
/// let e = explain(&p, r#"{"source": "aws.ec2"}"#)?;
/// assert_eq!(
///     e.to_string(),
///     "no match\n  source: [\"aws.s3\"]\n    event has \"aws.ec2\" -> is not \"aws.s3\"\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    matched: bool,
    root: Group,
}

impl Explanation {
    /// Whether the pattern matches the event (always the answer of
    /// [`crate::reference::matches`]).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": [{"exists": false}]}"#)?;
    /// assert!(explain(&p, r#"{"b": 1}"#)?.matched());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matched(&self) -> bool {
        self.matched
    }

    /// The explanation of the pattern's top level.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": ["x"], "b": ["y"]}"#)?;
    /// assert_eq!(explain(&p, r#"{"a": "x"}"#)?.root().fields().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn root(&self) -> &Group {
        &self.root
    }

    /// The explanation as a JSON value:
    /// `{"matched": bool, "fields": [...], "ors": [...], "conflicts": [...]}`
    /// (see [`Group::to_json`] for the parts).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": ["x"]}"#)?;
    /// let j = explain(&p, r#"{"a": "y"}"#)?.to_json();
    /// assert_eq!(j["matched"], false);
    /// assert_eq!(j["fields"][0]["status"], "no-match");
    /// assert_eq!(j["fields"][0]["values"][0]["value"], "y");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Json {
        let mut j = self.root.to_json();
        if let Json::Object(map) = &mut j {
            map.remove("holds");
            let mut out = serde_json::Map::new();
            out.insert("matched".to_string(), Json::Bool(self.matched));
            out.extend(std::mem::take(map));
            return Json::Object(out);
        }
        j
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", if self.matched { "match" } else { "no match" })?;
        self.root.write(f, 2)
    }
}

/// One level of the pattern: the top level or a branch of a `$or`, with the
/// fields of the objects nested in it (but not those of its own `$or`
/// branches, which are groups of their own).
///
/// A group *holds* when its fields and `$or`s can all be satisfied
/// together. For a branch that is not the one used by a match, that is
/// judged on the branch alone (without the rest of the pattern).
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"a": ["x"], "$or": [{"b": ["1"]}, {"c": ["2"]}]}"#)?;
/// let e = explain(&p, r#"{"a": "x", "c": "2"}"#)?;
/// let or = &e.root().ors()[0];
/// assert_eq!(or.chosen(), Some(1));
/// assert!(!or.branches()[0].holds());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    holds: bool,
    fields: Vec<FieldExplanation>,
    ors: Vec<OrExplanation>,
    conflicts: Vec<Conflict>,
}

impl Group {
    /// Whether this part of the pattern holds.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": ["x"]}"#)?;
    /// assert!(explain(&p, r#"{"a": "x"}"#)?.root().holds());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holds(&self) -> bool {
        self.holds
    }

    /// The leaves of the pattern at this level, in pattern order.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": {"b": ["x"]}, "c": [1]}"#)?;
    /// let e = explain(&p, r#"{"c": 1}"#)?;
    /// let paths: Vec<_> = e.root().fields().iter().map(|f| f.path()).collect();
    /// assert_eq!(paths, ["a.b", "c"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fields(&self) -> &[FieldExplanation] {
        &self.fields
    }

    /// The `$or` groups at this level (in nested objects too).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"d": {"$or": [{"b": ["1"]}, {"c": ["2"]}]}}"#)?;
    /// let e = explain(&p, r#"{"d": {"b": "1"}}"#)?;
    /// assert_eq!(e.root().ors()[0].at(), "d");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ors(&self) -> &[OrExplanation] {
        &self.ors
    }

    /// Why fields that each hold on their own cannot hold together (only
    /// for a group that does not hold; at most 10).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"items": {"a": ["x"], "b": ["y"]}}"#)?;
    /// let e = explain(&p, r#"{"items": [{"a": "x", "b": "n"}, {"a": "n", "b": "y"}]}"#)?;
    /// let c = &e.root().conflicts()[0];
    /// assert_eq!(c.fields(), ["items.a", "items.b"]);
    /// assert_eq!(c.arrays(), ["/items"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// This group as JSON: `{"holds": bool, "fields": [...], "ors": [...],
    /// "conflicts": [...]}`; see the `to_json` of [`FieldExplanation`],
    /// [`OrExplanation`] and [`Conflict`].
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": ["x"]}"#)?;
    /// let j = explain(&p, r#"{"a": "x"}"#)?.root().to_json();
    /// assert_eq!(j["holds"], true);
    /// assert_eq!(j["ors"], serde_json::json!([]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("holds".to_string(), Json::Bool(self.holds));
        m.insert(
            "fields".to_string(),
            Json::Array(self.fields.iter().map(FieldExplanation::to_json).collect()),
        );
        m.insert(
            "ors".to_string(),
            Json::Array(self.ors.iter().map(OrExplanation::to_json).collect()),
        );
        m.insert(
            "conflicts".to_string(),
            Json::Array(self.conflicts.iter().map(Conflict::to_json).collect()),
        );
        Json::Object(m)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
        for field in &self.fields {
            field.write(f, indent)?;
        }
        for or in &self.ors {
            or.write(f, indent)?;
        }
        for c in &self.conflicts {
            c.write(f, indent)?;
        }
        Ok(())
    }
}

/// How one leaf of the pattern fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldStatus {
    /// The value at this index of [`FieldExplanation::values`] satisfies a
    /// condition (in a group that holds: the value the match used).
    Satisfied(usize),
    /// The event has no value here and `exists: false` allows that; or, in
    /// a group that holds, none in the array element the match used.
    Absent,
    /// The event has no value here.
    Missing,
    /// The event has values here; none satisfies a condition.
    NoMatch,
    /// The event has a value here and the only condition that could hold is
    /// `exists: false`.
    Present,
}

impl FieldStatus {
    /// Whether the field is satisfied (`Satisfied` or `Absent`).
    ///
    /// ```
    /// use evrule::explain::FieldStatus;
    /// assert!(FieldStatus::Absent.holds());
    /// assert!(!FieldStatus::Missing.holds());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holds(self) -> bool {
        matches!(self, FieldStatus::Satisfied(_) | FieldStatus::Absent)
    }

    /// The status as written in JSON: `satisfied`, `absent`, `missing`,
    /// `no-match`, `present`.
    ///
    /// ```
    /// assert_eq!(evrule::explain::FieldStatus::NoMatch.as_str(), "no-match");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FieldStatus::Satisfied(_) => "satisfied",
            FieldStatus::Absent => "absent",
            FieldStatus::Missing => "missing",
            FieldStatus::NoMatch => "no-match",
            FieldStatus::Present => "present",
        }
    }
}

/// One leaf of the pattern (a path and its list of OR-ed conditions), what
/// the event holds there, and whether the conditions hold.
///
/// ```
/// use evrule::{explain::{explain, FieldStatus}, Pattern};
/// let p = Pattern::parse(r#"{"detail": {"key": [{"prefix": "img/"}, "x"]}}"#)?;
/// let e = explain(&p, r#"{"detail": {"key": "doc/a.txt"}}"#)?;
/// let f = &e.root().fields()[0];
/// assert_eq!(f.conditions(), r#"[{"prefix": "img/"}, "x"]"#);
/// assert_eq!(f.status(), FieldStatus::NoMatch);
/// assert_eq!(f.values()[0].checks()[0].reason(), r#"does not start with "img/""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FieldExplanation {
    path: String,
    conditions: Vec<String>,
    values: Vec<Found>,
    status: FieldStatus,
    note: Option<String>,
}

impl FieldExplanation {
    /// The field's path: object keys joined by `.`.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"detail": {"a.b": ["x"]}}"#)?;
    /// assert_eq!(explain(&p, "{}")?.root().fields()[0].path(), "detail.a.b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The condition list as written in the pattern, in compact JSON.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"n": [ {"numeric":[">",3.0e2]} ]}"#)?;
    /// let e = explain(&p, "{}")?;
    /// assert_eq!(e.root().fields()[0].conditions(), r#"[{"numeric": [">", 3.0e2]}]"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn conditions(&self) -> String {
        format!("[{}]", self.conditions.join(", "))
    }

    /// The values the event holds at this path, in document order.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"tags": ["b"]}"#)?;
    /// let e = explain(&p, r#"{"tags": ["a", "b"]}"#)?;
    /// let at: Vec<_> = e.root().fields()[0].values().iter().map(|v| v.pointer()).collect();
    /// assert_eq!(at, ["/tags/0", "/tags/1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn values(&self) -> &[Found] {
        &self.values
    }

    /// How the field fared.
    ///
    /// ```
    /// use evrule::{explain::{explain, FieldStatus}, Pattern};
    /// let p = Pattern::parse(r#"{"tags": ["b"]}"#)?;
    /// let e = explain(&p, r#"{"tags": ["a", "b"]}"#)?;
    /// assert_eq!(e.root().fields()[0].status(), FieldStatus::Satisfied(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> FieldStatus {
        self.status
    }

    /// More context, when there is some: what sits above a missing field,
    /// or where an `exists: false` field is present.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"detail": {"object": {"key": ["a"]}}}"#)?;
    /// let e = explain(&p, r#"{"detail": {"object": "a"}}"#)?;
    /// assert_eq!(
    ///     e.root().fields()[0].note(),
    ///     Some(r#"detail.object is a string ("a"), not an object"#)
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// This field as JSON: `{"path", "conditions", "status", "by"?,
    /// "values": [{"value", "at", "checks": [{"condition", "holds",
    /// "reason"}]}], "note"?}` (`by` is the index of the satisfying value).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"a": [{"suffix": ".jpg"}]}"#)?;
    /// let e = explain(&p, r#"{"a": "cat.png"}"#)?;
    /// let j = e.root().fields()[0].to_json();
    /// assert_eq!(j["conditions"], serde_json::json!([{"suffix": ".jpg"}]));
    /// assert_eq!(j["values"][0]["at"], "/a");
    /// assert_eq!(j["values"][0]["checks"][0]["reason"], r#"does not end with ".jpg""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("path".to_string(), Json::String(self.path.clone()));
        m.insert(
            "conditions".to_string(),
            Json::Array(self.conditions.iter().map(|c| json_of(c)).collect()),
        );
        m.insert(
            "status".to_string(),
            Json::String(self.status.as_str().to_string()),
        );
        if let FieldStatus::Satisfied(i) = self.status {
            m.insert("by".to_string(), Json::from(i));
        }
        m.insert(
            "values".to_string(),
            Json::Array(self.values.iter().map(Found::to_json).collect()),
        );
        if let Some(note) = &self.note {
            m.insert("note".to_string(), Json::String(note.clone()));
        }
        Json::Object(m)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
        /// Values shown per field; the rest are counted.
        const SHOWN: usize = 10;
        let pad = " ".repeat(indent);
        writeln!(f, "{pad}{}: {}", self.path, self.conditions())?;
        let pad = " ".repeat(indent + 2);
        if self.values.is_empty() {
            let verdict = match self.status {
                FieldStatus::Absent => "absent, as exists: false requires ✓",
                _ => "missing",
            };
            writeln!(f, "{pad}event has nothing at {} -> {verdict}", self.path)?;
        }
        let holding = self.values.iter().filter(|v| v.holds()).count();
        // Show the used value even when it is beyond the first few.
        let used = match self.status {
            FieldStatus::Satisfied(i) => Some(i),
            _ => None,
        };
        let mut hidden = 0;
        for (i, v) in self.values.iter().enumerate() {
            if i >= SHOWN && Some(i) != used {
                hidden += 1;
                continue;
            }
            let at = if self.values.len() > 1 || v.pointer.contains(|c: char| c.is_ascii_digit()) {
                format!(" at {}", v.pointer)
            } else {
                String::new()
            };
            let reasons = match v.checks.iter().find(|c| c.holds) {
                Some(c) => format!("{} ✓", c.reason),
                None => v
                    .checks
                    .iter()
                    .map(|c| c.reason.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            let chosen = if holding > 1 && Some(i) == used {
                " (used by the match)"
            } else {
                ""
            };
            writeln!(f, "{pad}event has {}{at} -> {reasons}{chosen}", v.value)?;
        }
        if hidden > 0 {
            writeln!(f, "{pad}... and {hidden} more values")?;
        }
        if let Some(note) = &self.note {
            writeln!(f, "{pad}note: {note}")?;
        }
        Ok(())
    }
}

/// One value the event holds at a field's path, and each condition's
/// verdict on it.
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"n": [{"numeric": [">", 10]}]}"#)?;
/// let e = explain(&p, r#"{"n": "20"}"#)?;
/// let v = &e.root().fields()[0].values()[0];
/// assert_eq!(v.value(), r#""20""#);
/// assert!(!v.holds());
/// assert_eq!(v.checks()[0].reason(), "is a string; numeric matches only numbers");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    value: String,
    pointer: String,
    checks: Vec<Check>,
}

impl Found {
    /// The value as JSON text (`"cat.png"`, `2048`, `null`).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"n": [1]}"#)?;
    /// let e = explain(&p, r#"{"n": 1.50}"#)?;
    /// assert_eq!(e.root().fields()[0].values()[0].value(), "1.50");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Where the value is in the event, as a JSON pointer
    /// (`/detail/items/1/name`): names the array element.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"items": {"n": [1]}}"#)?;
    /// let e = explain(&p, r#"{"items": [{"n": 0}, {"n": 1}]}"#)?;
    /// assert_eq!(e.root().fields()[0].values()[1].pointer(), "/items/1/n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// Each condition of the field applied to this value, in pattern order.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"s": ["a", {"prefix": "b"}]}"#)?;
    /// let e = explain(&p, r#"{"s": "bc"}"#)?;
    /// let holds: Vec<_> = e.root().fields()[0].values()[0].checks().iter().map(|c| c.holds()).collect();
    /// assert_eq!(holds, [false, true]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// Whether some condition holds for this value.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"s": [{"exists": true}]}"#)?;
    /// assert!(explain(&p, r#"{"s": null}"#)?.root().fields()[0].values()[0].holds());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holds(&self) -> bool {
        self.checks.iter().any(|c| c.holds)
    }

    fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("value".to_string(), json_of(&self.value));
        m.insert("at".to_string(), Json::String(self.pointer.clone()));
        m.insert(
            "checks".to_string(),
            Json::Array(self.checks.iter().map(Check::to_json).collect()),
        );
        Json::Object(m)
    }
}

/// One condition applied to one value: whether it holds, and why.
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"k": [{"suffix": {"equals-ignore-case": ".JPG"}}]}"#)?;
/// let e = explain(&p, r#"{"k": "cat.jpg"}"#)?;
/// let c = &e.root().fields()[0].values()[0].checks()[0];
/// assert!(c.holds());
/// assert_eq!(c.condition(), r#"{"suffix": {"equals-ignore-case": ".JPG"}}"#);
/// assert_eq!(c.reason(), r#"ends with ".JPG" (ignoring case)"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    condition: String,
    holds: bool,
    reason: String,
}

impl Check {
    /// The condition as written in the pattern, in compact JSON.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"s": [ "a" ]}"#)?;
    /// let e = explain(&p, r#"{"s": "b"}"#)?;
    /// assert_eq!(e.root().fields()[0].values()[0].checks()[0].condition(), r#""a""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn condition(&self) -> &str {
        &self.condition
    }

    /// Whether the condition holds for the value.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"s": [{"anything-but": "a"}]}"#)?;
    /// let e = explain(&p, r#"{"s": "a"}"#)?;
    /// assert!(!e.root().fields()[0].values()[0].checks()[0].holds());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holds(&self) -> bool {
        self.holds
    }

    /// Why, as a phrase about the value (`does not end with ".jpg"`,
    /// `5 is not > 10`, `is a number; prefix matches only strings`).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"s": [{"anything-but": ["a", "b"]}]}"#)?;
    /// let e = explain(&p, r#"{"s": "b"}"#)?;
    /// assert_eq!(
    ///     e.root().fields()[0].values()[0].checks()[0].reason(),
    ///     r#"is "b", which anything-but excludes"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }

    fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("condition".to_string(), json_of(&self.condition));
        m.insert("holds".to_string(), Json::Bool(self.holds));
        m.insert("reason".to_string(), Json::String(self.reason.clone()));
        Json::Object(m)
    }
}

/// A `$or` group: which branch matched, or why each failed.
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#)?;
/// let e = explain(&p, r#"{"a": "0", "b": "0"}"#)?;
/// let or = &e.root().ors()[0];
/// assert_eq!(or.chosen(), None);
/// assert!(or.branches().iter().all(|b| !b.holds()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OrExplanation {
    at: String,
    branches: Vec<Group>,
    chosen: Option<usize>,
}

impl OrExplanation {
    /// The path of the object holding the `$or` (`""` at the top level).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#)?;
    /// assert_eq!(explain(&p, "{}")?.root().ors()[0].at(), "");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn at(&self) -> &str {
        &self.at
    }

    /// The branches, in pattern order.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#)?;
    /// assert_eq!(explain(&p, "{}")?.root().ors()[0].branches().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn branches(&self) -> &[Group] {
        &self.branches
    }

    /// The (0-based) branch the match used, when the enclosing group holds.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#)?;
    /// assert_eq!(explain(&p, r#"{"b": "2"}"#)?.root().ors()[0].chosen(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn chosen(&self) -> Option<usize> {
        self.chosen
    }

    /// This `$or` as JSON: `{"at", "chosen": index or null, "branches":
    /// [group, ...]}` (groups as in [`Group::to_json`]).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#)?;
    /// let j = explain(&p, r#"{"a": "1"}"#)?.root().ors()[0].to_json();
    /// assert_eq!(j["chosen"], 0);
    /// assert_eq!(j["branches"][1]["holds"], false);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("at".to_string(), Json::String(self.at.clone()));
        m.insert(
            "chosen".to_string(),
            self.chosen.map_or(Json::Null, Json::from),
        );
        m.insert(
            "branches".to_string(),
            Json::Array(self.branches.iter().map(Group::to_json).collect()),
        );
        Json::Object(m)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
        let pad = " ".repeat(indent);
        let at = if self.at.is_empty() {
            String::new()
        } else {
            format!(" in {}", self.at)
        };
        let holding: Vec<String> = (0..self.branches.len())
            .filter(|&i| self.branches[i].holds)
            .map(|i| (i + 1).to_string())
            .collect();
        match self.chosen {
            Some(i) => writeln!(f, "{pad}$or{at}: branch {} matched", i + 1)?,
            None if holding.is_empty() => writeln!(f, "{pad}$or{at}: no branch matched")?,
            // The group around the `$or` fails for another reason.
            None => writeln!(
                f,
                "{pad}$or{at}: branch {} holds on its own",
                and_list(holding.iter().map(String::as_str))
            )?,
        }
        for (i, b) in self.branches.iter().enumerate() {
            let verdict = match (self.chosen, b.holds) {
                (Some(c), _) if c == i => "match",
                (_, true) => "holds on its own",
                (_, false) => "no match",
            };
            writeln!(f, "{pad}  branch {}: {verdict}", i + 1)?;
            b.write(f, indent + 4)?;
        }
        Ok(())
    }
}

/// Fields that each hold on their own but cannot hold together, because
/// they would have to be satisfied by the same element of an array (spec
/// section 5), or because an `exists: false` field is present in the
/// element that satisfies the others.
///
/// ```
/// use evrule::{explain::explain, Pattern};
/// let p = Pattern::parse(r#"{"e": {"first": ["Anna"], "last": ["Doe"]}}"#)?;
/// let ev = r#"{"e": [{"first": "John", "last": "Doe"}, {"first": "Anna", "last": "Smith"}]}"#;
/// let e = explain(&p, ev)?;
/// assert_eq!(
///     e.root().conflicts()[0].message(),
///     "fields e.first and e.last are satisfied only by different elements of /e"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    fields: Vec<String>,
    arrays: Vec<String>,
    branches: Vec<String>,
    message: String,
    details: Vec<String>,
}

impl Conflict {
    /// The paths of the fields in conflict (a smallest set that cannot hold
    /// together), in pattern order.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"e": {"a": ["1"], "b": ["2"]}}"#)?;
    /// let e = explain(&p, r#"{"e": [{"a": "1"}, {"b": "2"}]}"#)?;
    /// assert_eq!(e.root().conflicts()[0].fields(), ["e.a", "e.b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// JSON pointers of the arrays the fields would have to share an
    /// element of.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"d": {"e": {"a": ["1"], "b": ["2"]}}}"#)?;
    /// let e = explain(&p, r#"{"d": {"e": [{"a": "1"}, {"b": "2"}]}}"#)?;
    /// assert_eq!(e.root().conflicts()[0].arrays(), ["/d/e"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn arrays(&self) -> &[String] {
        &self.arrays
    }

    /// The `$or` branches this conflict arises with (`branch 2 of $or in
    /// detail`); empty when no `$or` is involved.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"e": {"a": ["1"], "$or": [{"b": ["2"]}, {"c": ["3"]}]}}"#)?;
    /// let e = explain(&p, r#"{"e": [{"a": "1"}, {"b": "2"}]}"#)?;
    /// assert_eq!(e.root().conflicts()[0].branches(), ["branch 1 of $or in e"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn branches(&self) -> &[String] {
        &self.branches
    }

    /// A one-line explanation.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"e": {"a": ["1"], "b": [{"exists": false}]}}"#)?;
    /// let e = explain(&p, r#"{"e": [{"a": "1", "b": 0}, {"b": 1}]}"#)?;
    /// assert_eq!(
    ///     e.root().conflicts()[0].message(),
    ///     "e.b must be absent from the element of /e that satisfies e.a, but it is present there"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where each field holds (or, for `exists: false`, is present).
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"e": {"a": ["1"], "b": ["2"]}}"#)?;
    /// let e = explain(&p, r#"{"e": [{"a": "1"}, {"b": "2"}]}"#)?;
    /// assert_eq!(e.root().conflicts()[0].details(), ["e.a holds at /e/0/a", "e.b holds at /e/1/b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn details(&self) -> &[String] {
        &self.details
    }

    /// This conflict as JSON: `{"fields", "arrays", "branches", "message",
    /// "details"}`.
    ///
    /// ```
    /// use evrule::{explain::explain, Pattern};
    /// let p = Pattern::parse(r#"{"e": {"a": ["1"], "b": ["2"]}}"#)?;
    /// let e = explain(&p, r#"{"e": [{"a": "1"}, {"b": "2"}]}"#)?;
    /// assert_eq!(e.root().conflicts()[0].to_json()["arrays"], serde_json::json!(["/e"]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Json {
        let strings = |v: &[String]| Json::Array(v.iter().cloned().map(Json::String).collect());
        let mut m = serde_json::Map::new();
        m.insert("fields".to_string(), strings(&self.fields));
        m.insert("arrays".to_string(), strings(&self.arrays));
        m.insert("branches".to_string(), strings(&self.branches));
        m.insert("message".to_string(), Json::String(self.message.clone()));
        m.insert("details".to_string(), strings(&self.details));
        Json::Object(m)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
        let pad = " ".repeat(indent);
        let with = if self.branches.is_empty() {
            String::new()
        } else {
            format!(" (with {})", self.branches.join(", "))
        };
        writeln!(f, "{pad}array consistency: {}{with}", self.message)?;
        for d in &self.details {
            writeln!(f, "{pad}  {d}")?;
        }
        Ok(())
    }
}

// ---- the pattern, flattened into groups of fields ----

/// One leaf of the pattern.
struct FieldSpec<'p> {
    path: String,
    conds: &'p [Condition],
}

/// The root or a `$or` branch: its own fields and `$or`s.
#[derive(Default)]
struct GroupSpec {
    fields: Vec<usize>,
    ors: Vec<usize>,
}

struct OrSpec {
    at: String,
    branches: Vec<usize>,
}

#[derive(Default)]
struct Spec<'p> {
    fields: Vec<FieldSpec<'p>>,
    groups: Vec<GroupSpec>,
    ors: Vec<OrSpec>,
    /// For every group, every field in it and its branches (sorted).
    all_fields: Vec<BTreeSet<usize>>,
}

/// A choice of one branch of every `$or` of a group: its fields and the
/// choices made, as (or id, branch index).
#[derive(Clone)]
struct SubRule {
    fields: Vec<usize>,
    choices: Vec<(usize, usize)>,
}

impl<'p> Spec<'p> {
    fn group(&mut self, obj: &'p Object, prefix: &str) -> usize {
        let id = self.groups.len();
        self.groups.push(GroupSpec::default());
        let mut fields = Vec::new();
        let mut ors = Vec::new();
        self.collect(obj, prefix, &mut fields, &mut ors);
        self.groups[id] = GroupSpec { fields, ors };
        id
    }

    fn collect(
        &mut self,
        obj: &'p Object,
        prefix: &str,
        fields: &mut Vec<usize>,
        ors: &mut Vec<usize>,
    ) {
        for field in &obj.fields {
            let path = join(prefix, &field.key);
            match &field.value {
                FieldValue::Conditions(conds) => {
                    fields.push(self.fields.len());
                    self.fields.push(FieldSpec { path, conds });
                }
                FieldValue::Object(child) => self.collect(child, &path, fields, ors),
            }
        }
        for or in &obj.ors {
            let branches = or.branches.iter().map(|b| self.group(b, prefix)).collect();
            ors.push(self.ors.len());
            self.ors.push(OrSpec {
                at: shown(prefix).to_string(),
                branches,
            });
        }
    }

    /// Compute `all_fields` (branches have higher ids than their parents).
    fn finish(&mut self) {
        self.all_fields = vec![BTreeSet::new(); self.groups.len()];
        for g in (0..self.groups.len()).rev() {
            let mut all: BTreeSet<usize> = self.groups[g].fields.iter().copied().collect();
            for &o in &self.groups[g].ors {
                for &b in &self.ors[o].branches {
                    all.extend(self.all_fields[b].iter().copied());
                }
            }
            self.all_fields[g] = all;
        }
    }

    /// Every sub-rule of group `g`, in the reference evaluator's order of
    /// branch choices.
    fn sub_rules(&self, g: usize) -> Vec<SubRule> {
        let mut rules = vec![SubRule {
            fields: self.groups[g].fields.clone(),
            choices: Vec::new(),
        }];
        for &o in &self.groups[g].ors {
            let mut alternatives = Vec::new();
            for (i, &b) in self.ors[o].branches.iter().enumerate() {
                for mut s in self.sub_rules(b) {
                    s.choices.insert(0, (o, i));
                    alternatives.push(s);
                }
            }
            let mut next = Vec::new();
            for r in &rules {
                for a in &alternatives {
                    let mut both = r.clone();
                    both.fields.extend(&a.fields);
                    both.choices.extend(&a.choices);
                    next.push(both);
                }
            }
            rules = next;
        }
        rules
    }
}

/// A successful assignment: for each field, the leaf used or `None` for
/// absent; and the branch chosen for each `$or`.
#[derive(Clone, Default)]
struct Witness {
    fields: HashMap<usize, Option<usize>>,
    choices: HashMap<usize, usize>,
}

struct Ctx<'a, 'p> {
    text: &'a str,
    flat: &'a Flat<'a>,
    spec: &'a Spec<'p>,
    /// Whether each field can be satisfied on its own.
    alone: Vec<bool>,
    /// Whether each field is `exists: false` with values only inside
    /// arrays: it can hold beside fields that pin an element without it.
    pinned: Vec<bool>,
    /// Empty arrays and objects of the event: (path, pointer, `[]`/`{}`).
    empties: Vec<(String, String, &'static str)>,
}

impl Ctx<'_, '_> {
    /// The reference search over a set of fields: per field, the leaf
    /// used or `None` (absent).
    fn solve(&self, fields: &[usize]) -> Option<Vec<Option<usize>>> {
        let sub: Vec<SubRuleField<'_>> = fields
            .iter()
            .map(|&f| (self.spec.fields[f].path.clone(), self.spec.fields[f].conds))
            .collect();
        let mut chosen = Vec::new();
        let mut absent = Vec::new();
        if !reference::assign(&sub, 0, &self.flat.leaves, &mut chosen, &mut absent) {
            return None;
        }
        let mut used = chosen.into_iter();
        Some(
            (0..fields.len())
                .map(|i| {
                    if absent.contains(&i) {
                        None
                    } else {
                        used.next()
                    }
                })
                .collect(),
        )
    }

    fn witness(&self, g: usize) -> Option<Witness> {
        self.spec.sub_rules(g).into_iter().find_map(|s| {
            let used = self.solve(&s.fields)?;
            Some(Witness {
                fields: s.fields.iter().copied().zip(used).collect(),
                choices: s.choices.into_iter().collect(),
            })
        })
    }

    fn group(
        &self,
        g: usize,
        given: Option<&Witness>,
        reported: &mut BTreeSet<Vec<usize>>,
    ) -> Group {
        let witness = match given {
            Some(w) => Some(w.clone()),
            None => self.witness(g),
        };
        let spec = &self.spec.groups[g];
        let fields = spec
            .fields
            .iter()
            .map(|&f| {
                let used = witness
                    .as_ref()
                    .map(|w| w.fields.get(&f).copied().flatten());
                self.field(f, used, witness.as_ref())
            })
            .collect();
        let ors = spec
            .ors
            .iter()
            .map(|&o| {
                let chosen = witness.as_ref().and_then(|w| w.choices.get(&o).copied());
                let branches = self.spec.ors[o]
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        let given = if chosen == Some(i) {
                            witness.as_ref()
                        } else {
                            None
                        };
                        self.group(b, given, reported)
                    })
                    .collect();
                OrExplanation {
                    at: self.spec.ors[o].at.clone(),
                    branches,
                    chosen,
                }
            })
            .collect();
        let conflicts = if witness.is_some() {
            Vec::new()
        } else {
            self.conflicts(g, reported)
        };
        Group {
            holds: witness.is_some(),
            fields,
            ors,
            conflicts,
        }
    }

    /// Explain field `f`. `used` is `Some` in a group that holds: the leaf
    /// the match used, or `None` for absent.
    fn field(
        &self,
        f: usize,
        used: Option<Option<usize>>,
        witness: Option<&Witness>,
    ) -> FieldExplanation {
        let spec = &self.spec.fields[f];
        let at: Vec<usize> = (0..self.flat.leaves.len())
            .filter(|&i| self.flat.leaves[i].path == spec.path)
            .collect();
        let values: Vec<Found> = at
            .iter()
            .map(|&i| {
                let leaf = &self.flat.leaves[i];
                Found {
                    value: leaf_text(leaf.value),
                    pointer: leaf.pointer.clone(),
                    checks: spec
                        .conds
                        .iter()
                        .map(|c| Check {
                            condition: self.condition_text(c),
                            holds: condition_matches_leaf(&c.kind, leaf.value),
                            reason: reason(&c.kind, leaf.value),
                        })
                        .collect(),
                }
            })
            .collect();
        let exists_false = spec
            .conds
            .iter()
            .any(|c| c.kind == ConditionKind::Exists(false));
        let status = match used {
            Some(Some(leaf)) => {
                FieldStatus::Satisfied(at.iter().position(|&i| i == leaf).unwrap_or(0))
            }
            Some(None) => FieldStatus::Absent,
            None => match values.iter().position(Found::holds) {
                Some(i) => FieldStatus::Satisfied(i),
                None if values.is_empty() && exists_false => FieldStatus::Absent,
                None if values.is_empty() => FieldStatus::Missing,
                None if exists_false => FieldStatus::Present,
                None => FieldStatus::NoMatch,
            },
        };
        let note = match status {
            FieldStatus::Missing => self.missing_note(&spec.path),
            FieldStatus::Absent if !values.is_empty() => {
                let used: Vec<&str> = witness
                    .map(|w| {
                        w.fields
                            .values()
                            .flatten()
                            .map(|&l| &self.flat.leaves[l])
                            .filter(|l| path_order(&l.path, &spec.path).is_lt())
                            .map(|l| l.pointer.as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                Some(format!(
                    "present at {}, but not in the array element the match used ({})",
                    list(values.iter().map(|v| v.pointer.as_str())),
                    list(used.into_iter())
                ))
            }
            FieldStatus::Present if self.pinned[f] => Some(
                "exists: false can still hold beside fields satisfied by an array element \
                     without it"
                    .to_string(),
            ),
            // Values only in arrays, yet not pinned: no field is taken
            // before this one (spec section 5), so no element is chosen.
            FieldStatus::Present if at.iter().all(|&i| !self.flat.leaves[i].arrays.is_empty()) => {
                Some(format!(
                    "exists: false is judged on the whole event: fields are taken in path \
                     order, and none sorts before {} to choose an array element",
                    shown(&spec.path)
                ))
            }
            _ => None,
        };
        FieldExplanation {
            path: shown(&spec.path).to_string(),
            conditions: spec.conds.iter().map(|c| self.condition_text(c)).collect(),
            values,
            status,
            note,
        }
    }

    /// A condition as written, in compact JSON.
    fn condition_text(&self, c: &Condition) -> String {
        compact(self.text.get(c.span.start..c.span.end).unwrap_or(""))
    }

    /// What the event holds above or below a path it has no value at.
    fn missing_note(&self, path: &str) -> Option<String> {
        // Internal paths start with `.` (see `reference::join`).
        let leaves = &self.flat.leaves;
        // An empty array or object here or on the way (deepest first).
        let empty = self
            .empties
            .iter()
            .filter(|(p, _, _)| {
                p == path
                    || (path.len() > p.len()
                        && path.starts_with(p.as_str())
                        && path.as_bytes()[p.len()] == b'.')
            })
            // Other elements of an array may hold values there.
            .filter(|(p, _, _)| {
                !leaves.iter().any(|l| {
                    l.path == *p
                        || (l.path.len() > p.len()
                            && l.path.starts_with(p.as_str())
                            && l.path.as_bytes()[p.len()] == b'.')
                })
            })
            .max_by_key(|(p, _, _)| p.len());
        if let Some((_, pointer, kind)) = empty {
            let what = if *kind == "[]" { "array" } else { "object" };
            return Some(format!(
                "{pointer} is an empty {what} ({kind}), which holds no value"
            ));
        }
        // A value where the path expects an object.
        let above = leaves.iter().filter(|l| {
            path.len() > l.path.len()
                && path.starts_with(l.path.as_str())
                && path.as_bytes()[l.path.len()] == b'.'
        });
        if let Some(l) = above.max_by_key(|l| l.path.len()) {
            return Some(format!(
                "{} is {} ({}), not an object",
                shown(&l.path),
                type_name(l.value),
                leaf_text(l.value)
            ));
        }
        let below: BTreeSet<&str> = leaves
            .iter()
            .filter(|l| {
                l.path.len() > path.len()
                    && l.path.starts_with(path)
                    && l.path.as_bytes()[path.len()] == b'.'
            })
            .map(|l| shown(&l.path))
            .collect();
        if !below.is_empty() {
            return Some(format!(
                "the event has an object here (with {}); conditions match only values",
                list(below.into_iter())
            ));
        }
        // The deepest object on the way that the event has.
        let segments: Vec<&str> = path.split('.').collect();
        for k in (1..segments.len()).rev() {
            let prefix = segments[..k].join(".");
            let keys: BTreeSet<&str> = leaves
                .iter()
                .filter_map(|l| l.path.strip_prefix(prefix.as_str())?.strip_prefix('.'))
                .map(|rest| rest.split('.').next().unwrap_or(rest))
                .collect();
            if !keys.is_empty() {
                return Some(format!(
                    "{} has no {} (it has {})",
                    shown(&prefix),
                    segments[k],
                    list(keys.into_iter())
                ));
            }
        }
        None
    }

    /// Sets of fields of group `g` that can hold one by one but not
    /// together, one per failing sub-rule (at most [`MAX_CONFLICTS`]),
    /// skipping sets a branch already reported.
    ///
    /// Fields that hold on their own are reduced to a smallest failing set
    /// (drop every field the failure survives without). An `exists: false`
    /// field whose values all sit in arrays cannot hold on its own but can
    /// beside fields that pin an element without it; when it fails beside
    /// the others, the conflict is it and the fields sharing its arrays.
    fn conflicts(&self, g: usize, reported: &mut BTreeSet<Vec<usize>>) -> Vec<Conflict> {
        let mut out = Vec::new();
        for s in self.spec.sub_rules(g) {
            if out.len() == MAX_CONFLICTS {
                break;
            }
            let alone: Vec<usize> = s
                .fields
                .iter()
                .copied()
                .filter(|&f| self.alone[f])
                .collect();
            let pinned: Vec<usize> = s
                .fields
                .iter()
                .copied()
                .filter(|&f| self.pinned[f])
                .collect();
            let all: Vec<usize> = alone.iter().chain(&pinned).copied().collect();
            if self.solve(&all).is_some() {
                continue;
            }
            let mut sets = Vec::new();
            if self.solve(&alone).is_none() {
                let mut set = alone;
                let mut i = 0;
                while i < set.len() {
                    let mut fewer = set.clone();
                    fewer.remove(i);
                    if self.solve(&fewer).is_none() {
                        set = fewer;
                    } else {
                        i += 1;
                    }
                }
                sets.push(set);
            } else {
                for &b in &pinned {
                    let mut with = alone.clone();
                    with.push(b);
                    if self.solve(&with).is_none() {
                        let before = self.sorted_before(&alone, b);
                        let mut set = self.sharing(&before, &[b]);
                        set.push(b);
                        sets.push(set);
                    }
                }
                if sets.is_empty() {
                    let mut set = self.sharing(&alone, &pinned);
                    set.extend(&pinned);
                    sets.push(set);
                }
            }
            for mut set in sets {
                set.sort_unstable();
                if set.len() > 1 && reported.insert(set.clone()) {
                    out.push(self.describe(&set, &s.choices));
                }
            }
        }
        out
    }

    /// The fields of `candidates` taken before field `f` (their paths sort
    /// before its path): the only ones its `exists: false` is judged beside.
    fn sorted_before(&self, candidates: &[usize], f: usize) -> Vec<usize> {
        let path = &self.spec.fields[f].path;
        candidates
            .iter()
            .copied()
            .filter(|&a| path_order(&self.spec.fields[a].path, path).is_lt())
            .collect()
    }

    /// The fields of `candidates` whose satisfying values share an array
    /// with a value of one of `fields`.
    fn sharing(&self, candidates: &[usize], fields: &[usize]) -> Vec<usize> {
        let leaves = &self.flat.leaves;
        let arrays: BTreeSet<usize> = leaves
            .iter()
            .filter(|l| fields.iter().any(|&f| self.spec.fields[f].path == l.path))
            .flat_map(|l| l.arrays.iter().map(|&(id, _)| id))
            .collect();
        candidates
            .iter()
            .copied()
            .filter(|&a| {
                let spec = &self.spec.fields[a];
                leaves.iter().any(|l| {
                    l.path == spec.path
                        && spec
                            .conds
                            .iter()
                            .any(|c| condition_matches_leaf(&c.kind, l.value))
                        && l.arrays.iter().any(|(id, _)| arrays.contains(id))
                })
            })
            .collect()
    }

    fn describe(&self, set: &[usize], choices: &[(usize, usize)]) -> Conflict {
        let leaves = &self.flat.leaves;
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        let mut details = Vec::new();
        // Array id -> field -> (elements its relevant leaves sit in,
        // whether it is an absence).
        let mut touched: BTreeMap<usize, BTreeMap<usize, (BTreeSet<usize>, bool)>> =
            BTreeMap::new();
        for &f in set {
            let spec = &self.spec.fields[f];
            let at = || leaves.iter().filter(|l| l.path == spec.path);
            let holding: Vec<_> = at()
                .filter(|l| {
                    spec.conds
                        .iter()
                        .any(|c| condition_matches_leaf(&c.kind, l.value))
                })
                .collect();
            let absence = holding.is_empty();
            let relevant = if absence {
                negative.push(shown(&spec.path));
                let present: Vec<_> = at().collect();
                details.push(format!(
                    "{} is present at {}",
                    shown(&spec.path),
                    list(present.iter().map(|l| l.pointer.as_str()))
                ));
                present
            } else {
                positive.push(shown(&spec.path));
                details.push(format!(
                    "{} holds at {}",
                    shown(&spec.path),
                    list(holding.iter().map(|l| l.pointer.as_str()))
                ));
                holding
            };
            for l in relevant {
                for &(id, i) in &l.arrays {
                    let entry = touched.entry(id).or_default().entry(f).or_default();
                    entry.0.insert(i);
                    entry.1 = absence;
                }
            }
        }
        // The arrays where the conflict is: two fields that must share an
        // element hold only in different ones, or an absence is present in
        // an element where another field holds.
        let conflicting = |fields: &BTreeMap<usize, (BTreeSet<usize>, bool)>| {
            let v: Vec<_> = fields.values().collect();
            v.iter().enumerate().any(|(i, a)| {
                v[i + 1..].iter().any(|b| {
                    let disjoint = a.0.is_disjoint(&b.0);
                    if a.1 || b.1 {
                        !disjoint
                    } else {
                        disjoint
                    }
                })
            })
        };
        let mut arrays: Vec<String> = touched
            .iter()
            .filter(|(_, fs)| conflicting(fs))
            .map(|(&id, _)| self.flat.arrays[id].clone())
            .collect();
        if arrays.is_empty() {
            arrays = touched
                .iter()
                .filter(|(_, fs)| fs.len() > 1)
                .map(|(&id, _)| self.flat.arrays[id].clone())
                .collect();
        }
        let arrays_text = and_list(arrays.iter().map(String::as_str));
        let message = if negative.is_empty() {
            format!(
                "fields {} are satisfied only by different elements of {arrays_text}",
                and_list(positive.iter().copied())
            )
        } else if positive.is_empty() {
            format!(
                "{} cannot all be absent from one element of {arrays_text}",
                and_list(negative.iter().copied())
            )
        } else {
            let (verb, pronoun) = if negative.len() == 1 {
                ("must be", "it is")
            } else {
                ("must be", "they are")
            };
            format!(
                "{} {verb} absent from the element of {arrays_text} that satisfies {}, but {pronoun} present there",
                and_list(negative.iter().copied()),
                and_list(positive.iter().copied())
            )
        };
        let involved: BTreeSet<usize> = set.iter().copied().collect();
        let branches = choices
            .iter()
            .filter(|&&(o, i)| {
                let b = self.spec.ors[o].branches[i];
                !self.spec.all_fields[b].is_disjoint(&involved)
            })
            .map(|&(o, i)| {
                let at = &self.spec.ors[o].at;
                if at.is_empty() {
                    format!("branch {} of $or", i + 1)
                } else {
                    format!("branch {} of $or in {at}", i + 1)
                }
            })
            .collect();
        Conflict {
            fields: set
                .iter()
                .map(|&f| shown(&self.spec.fields[f].path).to_string())
                .collect(),
            arrays,
            branches,
            message,
            details,
        }
    }
}

/// Collect the empty arrays and objects of an event: they hold no leaf,
/// so a field there is missing, which deserves saying.
fn find_empties(
    node: &Node,
    path: &str,
    pointer: &mut String,
    out: &mut Vec<(String, String, &'static str)>,
) {
    match &node.value {
        JsonValue::Object(members) if members.is_empty() => {
            out.push((path.to_string(), pointer.clone(), "{}"));
        }
        JsonValue::Array(items) if items.is_empty() => {
            out.push((path.to_string(), pointer.clone(), "[]"));
        }
        JsonValue::Object(members) => {
            for (key, _, child) in members {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_empties(child, &join(path, key), pointer, out);
                pointer.truncate(len);
            }
        }
        JsonValue::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                find_empties(child, path, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

// ---- words ----

/// `a`, `a and b`, `a, b and c`.
fn and_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Up to five items joined by `, `, then a count of the rest.
fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.len() <= 5 {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..5].join(", "), items.len() - 5)
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn quote_list(items: &[String]) -> String {
    match items {
        [one] => quote(one),
        _ => format!(
            "any of [{}]",
            items
                .iter()
                .map(|s| quote(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A value as JSON text.
fn leaf_text(v: LeafValue<'_>) -> String {
    match v {
        LeafValue::String(s) => quote(s),
        LeafValue::Number { text, .. } => text.to_string(),
        LeafValue::Bool(b) => b.to_string(),
        LeafValue::Null => "null".to_string(),
    }
}

fn type_name(v: LeafValue<'_>) -> &'static str {
    match v {
        LeafValue::String(_) => "a string",
        LeafValue::Number { .. } => "a number",
        LeafValue::Bool(_) => "a boolean",
        LeafValue::Null => "null",
    }
}

/// A bound of a numeric range as written for people.
fn number_text(x: f64) -> String {
    if x == 0.0 || (1e-6..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `v` compared with the lower bound, the upper, or both: the comparison
/// that fails, or all of them when they hold.
fn range_reason(text: &str, value: f64, lower: Option<Bound>, upper: Option<Bound>) -> String {
    if let (Some(l), Some(u)) = (lower, upper) {
        if l.inclusive && u.inclusive && l.value == u.value {
            let b = number_text(l.value);
            return if value == l.value {
                format!("{text} = {b}")
            } else {
                format!("{text} is not = {b}")
            };
        }
    }
    let mut held = Vec::new();
    if let Some(l) = lower {
        let op = if l.inclusive { ">=" } else { ">" };
        let ok = if l.inclusive {
            value >= l.value
        } else {
            value > l.value
        };
        if !ok {
            return format!("{text} is not {op} {}", number_text(l.value));
        }
        held.push(format!("{text} {op} {}", number_text(l.value)));
    }
    if let Some(u) = upper {
        let op = if u.inclusive { "<=" } else { "<" };
        let ok = if u.inclusive {
            value <= u.value
        } else {
            value < u.value
        };
        if !ok {
            return format!("{text} is not {op} {}", number_text(u.value));
        }
        held.push(format!("{text} {op} {}", number_text(u.value)));
    }
    held.join(" and ")
}

/// Why `cond` does or does not hold for `leaf`, as a phrase about the
/// value. Whether it holds is decided by `condition_matches_leaf`; this
/// only finds the words.
fn reason(cond: &ConditionKind, leaf: LeafValue<'_>) -> String {
    use ConditionKind as K;
    use LeafValue as L;
    let holds = condition_matches_leaf(cond, leaf);
    let only =
        |what: &str, kind: &str| format!("is {}; {what} matches only {kind}", type_name(leaf));
    let ic = " (ignoring case)";
    match (cond, leaf) {
        (K::Exists(true), _) => "present, as exists: true requires".to_string(),
        (K::Exists(false), _) => "present, but exists: false requires no value".to_string(),
        (K::String(s), L::String(t)) => match (holds, s == t) {
            (true, true) => format!("equals {}", quote(s)),
            (true, false) => format!("is the same IP address as {}", quote(s)),
            (false, _) => format!("is not {}", quote(s)),
        },
        (K::String(s), _) => format!("is {}, not the string {}", type_name(leaf), quote(s)),
        (K::Number(n), L::Number { value, exact, .. }) => {
            if holds {
                format!("equals {}", n.text)
            } else if !(n.exact && exact) && (n.value == value) {
                format!(
                    "is not {} (a number with more digits than a double holds is compared by its spelling)",
                    n.text
                )
            } else {
                format!("is not {}", n.text)
            }
        }
        (K::Number(n), _) => format!("is {}, not the number {}", type_name(leaf), n.text),
        (K::Bool(b), L::Bool(v)) => {
            if holds {
                format!("is {v}")
            } else {
                format!("is not {b}")
            }
        }
        (K::Bool(b), _) => format!("is {}, not the boolean {b}", type_name(leaf)),
        (K::Null, L::Null) => "is null".to_string(),
        (K::Null, _) => format!("is {}, not null", type_name(leaf)),
        (K::Prefix(p), L::String(_)) => match holds {
            true => format!("starts with {}", quote(p)),
            false => format!("does not start with {}", quote(p)),
        },
        (K::PrefixIgnoreCase(p), L::String(_)) => match holds {
            true => format!("starts with {}{ic}", quote(p)),
            false => format!("does not start with {}{ic}", quote(p)),
        },
        (K::Suffix(s), L::String(_)) => match holds {
            true => format!("ends with {}", quote(s)),
            false => format!("does not end with {}", quote(s)),
        },
        (K::SuffixIgnoreCase(s), L::String(_)) => match holds {
            true => format!("ends with {}{ic}", quote(s)),
            false => format!("does not end with {}{ic}", quote(s)),
        },
        (K::EqualsIgnoreCase(s), L::String(_)) => match holds {
            true => format!("equals {}{ic}", quote(s)),
            false => format!("does not equal {}{ic}", quote(s)),
        },
        (K::Wildcard(w), L::String(_)) => match holds {
            true => format!("matches the wildcard {}", quote(&w.text)),
            false => format!("does not match the wildcard {}", quote(&w.text)),
        },
        (K::Prefix(_) | K::PrefixIgnoreCase(_), _) => only("prefix", "strings"),
        (K::Suffix(_) | K::SuffixIgnoreCase(_), _) => only("suffix", "strings"),
        (K::EqualsIgnoreCase(_), _) => only("equals-ignore-case", "strings"),
        (K::Wildcard(_), _) => only("wildcard", "strings"),
        (K::Numeric(r), L::Number { text, value, exact }) => {
            if exact {
                range_reason(text, value, r.lower, r.upper)
            } else {
                format!("{text} has more digits than a double holds, so numeric cannot compare it")
            }
        }
        (K::Numeric(_), _) => only("numeric", "numbers"),
        (K::Cidr(c), L::String(t)) => {
            let block = format!("{}/{}", c.network, c.prefix_len);
            if parse_ip(t).is_none() {
                "is not an IP address; cidr matches only IP addresses".to_string()
            } else if holds {
                format!("is inside {block}")
            } else {
                format!("is not inside {block}")
            }
        }
        (K::Cidr(_), _) => only("cidr", "strings holding IP addresses"),
        (K::AnythingBut(ab), leaf) => anything_but_reason(ab, leaf, holds),
    }
}

fn anything_but_reason(ab: &AnythingBut, leaf: LeafValue<'_>, holds: bool) -> String {
    use LeafValue as L;
    let excluded = |what: String| format!("{what}, which anything-but excludes");
    match (ab, leaf) {
        (AnythingBut::Strings(list), L::String(t)) => {
            match list.iter().find(|s| string_equals(s, t)) {
                Some(s) if s == t => excluded(format!("is {}", quote(s))),
                Some(s) => excluded(format!("is the same IP address as {}", quote(s))),
                None => format!("is not {}", quote_list(list)),
            }
        }
        (AnythingBut::Numbers(list), L::Number { text, value, exact }) => {
            match list.iter().find(|n| number_equals(n, text, value, exact)) {
                Some(n) => excluded(format!("equals {}", n.text)),
                None => {
                    let texts: Vec<String> = list.iter().map(|n| n.text.clone()).collect();
                    match texts.as_slice() {
                        [one] => format!("is not {one}"),
                        _ => format!("is not any of [{}]", texts.join(", ")),
                    }
                }
            }
        }
        (AnythingBut::Prefix(list), L::String(t)) => {
            match list.iter().find(|p| t.starts_with(p.as_str())) {
                Some(p) => excluded(format!("starts with {}", quote(p))),
                None => format!("does not start with {}", quote_list(list)),
            }
        }
        (AnythingBut::Suffix(list), L::String(t)) => {
            match list.iter().find(|s| t.ends_with(s.as_str())) {
                Some(s) => excluded(format!("ends with {}", quote(s))),
                None => format!("does not end with {}", quote_list(list)),
            }
        }
        (AnythingBut::EqualsIgnoreCase(list), L::String(t)) => {
            match list.iter().find(|s| ignore_case_equals(s, t)) {
                Some(s) => excluded(format!("equals {} (ignoring case)", quote(s))),
                None => format!("does not equal {} (ignoring case)", quote_list(list)),
            }
        }
        (AnythingBut::Wildcard(list), L::String(t)) => {
            match list.iter().find(|w| wildcard_matches(&w.parts, t)) {
                Some(w) => excluded(format!("matches the wildcard {}", quote(&w.text))),
                None => {
                    let texts: Vec<String> = list.iter().map(|w| w.text.clone()).collect();
                    format!("does not match the wildcard {}", quote_list(&texts))
                }
            }
        }
        (AnythingBut::Numbers(_), _) => {
            debug_assert!(holds);
            format!(
                "is {}, which a list of numbers never excludes",
                type_name(leaf)
            )
        }
        (_, _) => {
            debug_assert!(holds);
            format!(
                "is {}, which a list of strings never excludes",
                type_name(leaf)
            )
        }
    }
}

/// JSON text made compact, with a space after `:` and `,`, keeping every
/// token as written (number spellings included).
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ' ' | '\t' | '\n' | '\r' => {}
            ':' | ',' => {
                out.push(c);
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

/// JSON text as a value (a string of the text if it is somehow not JSON).
fn json_of(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_string()))
}

/// A path as users write it: internal paths start with `.` so that empty
/// keys stay segments (`reference::join`).
fn shown(path: &str) -> &str {
    path.strip_prefix('.').unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::value::{ignore_case_prefix, ignore_case_suffix};

    fn ex(pattern: &str, event: &str) -> Explanation {
        explain(&Pattern::parse(pattern).unwrap(), event).unwrap()
    }

    #[test]
    fn ignore_case_helpers_agree_with_reasons() {
        // The reasons for the ignore-case operators are worded from
        // `condition_matches_leaf`; make sure the helpers say the same.
        assert!(ignore_case_prefix("IMG/", "img/a"));
        assert!(ignore_case_suffix(".JPG", "a.jpg"));
        let e = ex(
            r#"{"k": [{"prefix": {"equals-ignore-case": "IMG/"}}]}"#,
            r#"{"k": "img/a"}"#,
        );
        assert_eq!(
            e.root().fields()[0].values()[0].checks()[0].reason(),
            r#"starts with "IMG/" (ignoring case)"#
        );
    }

    #[test]
    fn numeric_reasons() {
        let r = |p: &str, v: &str| {
            let e = ex(
                &format!(r#"{{"n": [{{"numeric": {p}}}]}}"#),
                &format!(r#"{{"n": {v}}}"#),
            );
            e.root().fields()[0].values()[0].checks()[0]
                .reason()
                .to_string()
        };
        assert_eq!(r(r#"[">", 1000]"#, "2048"), "2048 > 1000");
        assert_eq!(r(r#"[">", 10]"#, "5"), "5 is not > 10");
        assert_eq!(r(r#"[">=", 0, "<", 5]"#, "3"), "3 >= 0 and 3 < 5");
        assert_eq!(r(r#"[">=", 0, "<", 5]"#, "5"), "5 is not < 5");
        assert_eq!(r(r#"["=", 3.0e2]"#, "300"), "300 = 300");
        assert_eq!(r(r#"["=", 3]"#, "4"), "4 is not = 3");
        assert_eq!(
            r(r#"[">", 0]"#, "9007199254740993"),
            "9007199254740993 has more digits than a double holds, so numeric cannot compare it"
        );
    }

    #[test]
    fn wrong_types() {
        let e = ex(
            r#"{"a": [300], "b": ["300"], "c": [true], "d": [null]}"#,
            r#"{"a": "300", "b": 300, "c": "true", "d": ""}"#,
        );
        let reasons: Vec<&str> = e
            .root()
            .fields()
            .iter()
            .map(|f| f.values()[0].checks()[0].reason())
            .collect();
        assert_eq!(
            reasons,
            [
                "is a string, not the number 300",
                r#"is a number, not the string "300""#,
                "is a string, not the boolean true",
                "is a string, not null",
            ]
        );
    }

    #[test]
    fn or_branches_and_nested_conflicts() {
        let e = ex(
            r#"{"$or": [{"x": ["1"]}, {"items": {"a": ["1"], "b": ["2"]}}]}"#,
            r#"{"items": [{"a": "1"}, {"b": "2"}]}"#,
        );
        assert!(!e.matched());
        let or = &e.root().ors()[0];
        assert_eq!(or.branches()[0].fields()[0].status(), FieldStatus::Missing);
        // The conflict belongs to the branch, and is reported once.
        assert_eq!(or.branches()[1].conflicts().len(), 1);
        assert!(e.root().conflicts().is_empty());
    }

    #[test]
    fn witness_names_the_element() {
        let e = ex(
            r#"{"items": {"a": ["1"], "b": ["2"]}}"#,
            r#"{"items": [{"a": "1", "b": "0"}, {"a": "1", "b": "2"}]}"#,
        );
        assert!(e.matched());
        assert_eq!(e.root().fields()[0].status(), FieldStatus::Satisfied(1));
        assert_eq!(e.root().fields()[0].values()[1].pointer(), "/items/1/a");
    }

    #[test]
    fn absent_beside_a_sibling() {
        let e = ex(
            r#"{"items": {"a": ["x"], "c": [{"exists": false}]}}"#,
            r#"{"items": [{"a": "x"}, {"c": 1}]}"#,
        );
        assert!(e.matched());
        let c = &e.root().fields()[1];
        assert_eq!(c.status(), FieldStatus::Absent);
        assert_eq!(
            c.note(),
            Some("present at /items/1/c, but not in the array element the match used (/items/0/a)")
        );
    }

    #[test]
    fn missing_notes() {
        let e = ex(
            r#"{"detail": {"c": {"tier": ["x"]}}}"#,
            r#"{"detail": {"a": 1, "b": {"z": 2}}}"#,
        );
        assert_eq!(
            e.root().fields()[0].note(),
            Some("detail has no c (it has a, b)")
        );
        let e = ex(r#"{"detail": ["x"]}"#, r#"{"detail": {"a": 1, "b": 2}}"#);
        assert_eq!(
            e.root().fields()[0].note(),
            Some("the event has an object here (with detail.a, detail.b); conditions match only values")
        );
    }
}
