//! The explanation's parts, as data: what `explain` returns and how each
//! part prints (text and JSON).

use std::fmt;

use serde_json::Value as Json;

use super::*;

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
    pub(super) matched: bool,
    pub(super) root: Group,
}

impl Explanation {
    /// Whether the pattern matches the event (always the answer of
    /// the reference evaluator (`reference::matches`, with the `reference` feature)).
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
    pub(super) holds: bool,
    pub(super) fields: Vec<FieldExplanation>,
    pub(super) ors: Vec<OrExplanation>,
    pub(super) conflicts: Vec<Conflict>,
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

    pub(super) fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
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
    pub(super) path: String,
    pub(super) conditions: Vec<String>,
    pub(super) values: Vec<Found>,
    pub(super) status: FieldStatus,
    pub(super) note: Option<String>,
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

    pub(super) fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
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
    pub(super) value: String,
    pub(super) pointer: String,
    pub(super) checks: Vec<Check>,
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

    pub(super) fn to_json(&self) -> Json {
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
    pub(super) condition: String,
    pub(super) holds: bool,
    pub(super) reason: String,
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

    pub(super) fn to_json(&self) -> Json {
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
    pub(super) at: String,
    pub(super) branches: Vec<Group>,
    pub(super) chosen: Option<usize>,
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

    pub(super) fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
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
    pub(super) fields: Vec<String>,
    pub(super) arrays: Vec<String>,
    pub(super) branches: Vec<String>,
    pub(super) message: String,
    pub(super) details: Vec<String>,
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

    pub(super) fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
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
