//! The reference evaluator: the slow, obviously-correct specification of
//! what a pattern matches, used by tests to check the fast matcher.
//!
//! It does the simplest thing the spec describes, with no regard for speed:
//!
//! 1. read the event (duplicate keys keep both values) and flatten it into
//!    leaves, each with its dotted path, its value, and for every array on
//!    the way to it, which array and which element it sits in;
//! 2. expand the pattern into its sub-rules (one per choice of a branch of
//!    every `$or`), each a list of (dotted path, OR-ed conditions);
//! 3. a sub-rule matches when every field can be given a leaf at its path
//!    that satisfies one of its conditions, or, when the field allows
//!    `exists: false`, be declared absent; all chosen leaves must be
//!    *consistent* (wherever two of them sit in the same array, they sit in
//!    the same element: spec section 5), and a field declared absent must
//!    have no leaf consistent with the chosen ones. With nothing chosen this
//!    means "absent from the whole event"; beside a sibling it means "absent
//!    from the sibling's element".
//!
//! The search tries every combination (backtracking), which is exponential
//! in the worst case and fine for tests.

// The `Error` type and these signatures are the crate's API contract;
// its size is a deliberate trade for carrying position and path inline.
#![allow(clippy::result_large_err)]

use crate::error::{Error, Kind};
use crate::json::{self, Node, Value};
use crate::pattern::value::{condition_matches_leaf, LeafValue};
use crate::pattern::{Condition, ConditionKind, FieldValue, Object, Pattern};

/// Deepest event nesting the reference evaluator reads.
const MAX_EVENT_DEPTH: usize = 512;

/// Whether `event` (JSON text) matches `pattern`, by the definition of the
/// spec, evaluated naively.
///
/// Errors when the event is not JSON, nested deeper than 512 levels, or not
/// an object.
///
/// ```
/// use evrule::{reference, Pattern};
/// let p = Pattern::parse(r#"{"employees": {"first": ["Anna"], "last": ["Smith"]}}"#)?;
/// let e = r#"{"employees": [{"first": "John", "last": "Doe"}, {"first": "Anna", "last": "Smith"}]}"#;
/// assert!(reference::matches(&p, e)?);
/// let q = Pattern::parse(r#"{"employees": {"first": ["Anna"], "last": ["Doe"]}}"#)?;
/// assert!(!reference::matches(&q, e)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn matches(pattern: &Pattern, event: &str) -> Result<bool, Error> {
    let doc = json::parse(event.as_bytes(), MAX_EVENT_DEPTH).map_err(|e| {
        let kind = match e.kind {
            json::ErrorKind::Syntax => Kind::Event,
            json::ErrorKind::Depth => Kind::Limit("event nesting depth"),
        };
        Error::new(kind, e.message).at(event, e.offset)
    })?;
    if !matches!(doc.value, Value::Object(_)) {
        return Err(Error::new(Kind::Event, "event is not a JSON object").at(event, doc.pos()));
    }
    let mut leaves = Vec::new();
    let mut arrays = 0;
    flatten(&doc, "", &mut Vec::new(), &mut arrays, &mut leaves);
    let sub_rules = expand(pattern.root(), "");
    Ok(sub_rules.iter().any(|fields| {
        let mut chosen = Vec::new();
        let mut absent = Vec::new();
        assign(fields, 0, &leaves, &mut chosen, &mut absent)
    }))
}

/// One scalar of the event.
struct Leaf<'a> {
    /// Object keys from the root joined by `.`.
    path: String,
    value: LeafValue<'a>,
    /// (array id, element index) for every array enclosing the leaf.
    arrays: Vec<(usize, usize)>,
}

/// Paths are built with a leading `.` (`.detail.state`), so that an empty
/// key is a segment like any other: `{"": {"a": 1}}` is at `..a`, not `.a`.
fn join(prefix: &str, key: &str) -> String {
    format!("{prefix}.{key}")
}

fn flatten<'a>(
    node: &'a Node,
    path: &str,
    arrays: &mut Vec<(usize, usize)>,
    next_array: &mut usize,
    out: &mut Vec<Leaf<'a>>,
) {
    let value = match &node.value {
        Value::Object(members) => {
            for (key, _, child) in members {
                flatten(child, &join(path, key), arrays, next_array, out);
            }
            return;
        }
        Value::Array(items) => {
            let id = *next_array;
            *next_array += 1;
            for (i, child) in items.iter().enumerate() {
                arrays.push((id, i));
                flatten(child, path, arrays, next_array, out);
                arrays.pop();
            }
            return;
        }
        Value::String(s) => LeafValue::String(s),
        Value::Number(t) => LeafValue::number(t),
        Value::Bool(b) => LeafValue::Bool(*b),
        Value::Null => LeafValue::Null,
    };
    out.push(Leaf {
        path: path.to_string(),
        value,
        arrays: arrays.clone(),
    });
}

/// One field of a sub-rule: its dotted path and OR-ed conditions.
type SubRuleField<'p> = (String, &'p [Condition]);

/// Every sub-rule of `obj` (whose fields sit under `prefix`).
fn expand<'p>(obj: &'p Object, prefix: &str) -> Vec<Vec<SubRuleField<'p>>> {
    let mut rules: Vec<Vec<SubRuleField<'p>>> = vec![Vec::new()];
    let cross = |rules: Vec<Vec<SubRuleField<'p>>>, alternatives: Vec<Vec<SubRuleField<'p>>>| {
        let mut out = Vec::new();
        for r in &rules {
            for a in &alternatives {
                let mut both = r.clone();
                both.extend(a.iter().cloned());
                out.push(both);
            }
        }
        out
    };
    for field in &obj.fields {
        let path = join(prefix, &field.key);
        match &field.value {
            FieldValue::Conditions(conds) => {
                for r in &mut rules {
                    r.push((path.clone(), conds.as_slice()));
                }
            }
            FieldValue::Object(child) => rules = cross(rules, expand(child, &path)),
        }
    }
    for or in &obj.ors {
        let alternatives = or.branches.iter().flat_map(|b| expand(b, prefix)).collect();
        rules = cross(rules, alternatives);
    }
    rules
}

/// Whether two leaves can be satisfied together: wherever they share an
/// array, they are in the same element of it.
fn consistent(a: &Leaf<'_>, b: &Leaf<'_>) -> bool {
    a.arrays
        .iter()
        .all(|(id, i)| b.arrays.iter().all(|(id2, j)| id != id2 || i == j))
}

fn assign<'l>(
    fields: &[SubRuleField<'_>],
    i: usize,
    leaves: &'l [Leaf<'l>],
    chosen: &mut Vec<&'l Leaf<'l>>,
    absent: &mut Vec<usize>,
) -> bool {
    let Some((path, conds)) = fields.get(i) else {
        // Every field has a leaf or is declared absent: check the absences
        // against the chosen leaves.
        return absent.iter().all(|&f| {
            !leaves
                .iter()
                .any(|l| l.path == fields[f].0 && chosen.iter().all(|c| consistent(c, l)))
        });
    };
    for leaf in leaves.iter().filter(|l| &l.path == path) {
        if conds
            .iter()
            .any(|c| condition_matches_leaf(&c.kind, leaf.value))
            && chosen.iter().all(|c| consistent(c, leaf))
        {
            chosen.push(leaf);
            if assign(fields, i + 1, leaves, chosen, absent) {
                return true;
            }
            chosen.pop();
        }
    }
    if conds.iter().any(|c| c.kind == ConditionKind::Exists(false)) {
        absent.push(i);
        if assign(fields, i + 1, leaves, chosen, absent) {
            return true;
        }
        absent.pop();
    }
    false
}
