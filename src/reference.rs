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
//!    the same element: spec section 5), and a field declared absent at
//!    path P must have no leaf consistent with the leaves chosen for the
//!    paths that sort before P (fields are taken in order of their full
//!    dotted path, by UTF-16 code unit). With no such path this means
//!    "absent from the whole event"; after a sibling it means "absent from
//!    the sibling's element", before one it does not look at the sibling.
//!
//! The search tries every combination (backtracking), which is exponential
//! in the worst case and fine for tests.

use crate::error::{Error, Kind};
use crate::json::{self, Node, Value};
use crate::pattern::value::{condition_matches_leaf, LeafValue};
use crate::pattern::{path_order, Condition, ConditionKind, FieldValue, Object, Pattern};

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
    let doc = parse_event(event)?;
    let flat = Flat::new(&doc);
    let sub_rules = expand(pattern.root(), "");
    Ok(sub_rules.iter().any(|fields| {
        let mut chosen = Vec::new();
        let mut absent = Vec::new();
        assign(fields, 0, &flat.leaves, &mut chosen, &mut absent)
    }))
}

/// Read an event: JSON, at most 512 levels deep, an object.
pub(crate) fn parse_event(event: &str) -> Result<Node, Error> {
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
    Ok(doc)
}

/// An event flattened into leaves.
pub(crate) struct Flat<'a> {
    /// Every scalar, in document order.
    pub leaves: Vec<Leaf<'a>>,
    /// JSON pointer of every array, by array id.
    pub arrays: Vec<String>,
}

impl<'a> Flat<'a> {
    /// Flatten a parsed event.
    pub(crate) fn new(doc: &'a Node) -> Flat<'a> {
        let mut flat = Flat {
            leaves: Vec::new(),
            arrays: Vec::new(),
        };
        flatten(doc, "", &mut String::new(), &mut Vec::new(), &mut flat);
        flat
    }
}

/// One scalar of the event.
pub(crate) struct Leaf<'a> {
    /// Object keys from the root joined by `.`.
    pub path: String,
    /// JSON pointer to the scalar (`/detail/items/1/name`).
    pub pointer: String,
    pub value: LeafValue<'a>,
    /// (array id, element index) for every array enclosing the leaf.
    pub arrays: Vec<(usize, usize)>,
}

/// Paths are built with a leading `.` (`.detail.state`), so that an empty
/// key is a segment like any other: `{"": {"a": 1}}` is at `..a`, not `.a`.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    format!("{prefix}.{key}")
}

/// Escape a key for a JSON pointer (RFC 6901).
fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn flatten<'a>(
    node: &'a Node,
    path: &str,
    pointer: &mut String,
    arrays: &mut Vec<(usize, usize)>,
    out: &mut Flat<'a>,
) {
    let value = match &node.value {
        Value::Object(members) => {
            for (key, _, child) in members {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_key(key));
                flatten(child, &join(path, key), pointer, arrays, out);
                pointer.truncate(len);
            }
            return;
        }
        Value::Array(items) => {
            let id = out.arrays.len();
            out.arrays.push(pointer.clone());
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                arrays.push((id, i));
                flatten(child, path, pointer, arrays, out);
                arrays.pop();
                pointer.truncate(len);
            }
            return;
        }
        Value::String(s) => LeafValue::String(s),
        Value::Number(t) => LeafValue::number(t),
        Value::Bool(b) => LeafValue::Bool(*b),
        Value::Null => LeafValue::Null,
    };
    out.leaves.push(Leaf {
        path: path.to_string(),
        pointer: pointer.clone(),
        value,
        arrays: arrays.clone(),
    });
}

/// One field of a sub-rule: its dotted path and OR-ed conditions.
pub(crate) type SubRuleField<'p> = (String, &'p [Condition]);

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
pub(crate) fn consistent(a: &Leaf<'_>, b: &Leaf<'_>) -> bool {
    a.arrays
        .iter()
        .all(|(id, i)| b.arrays.iter().all(|(id2, j)| id != id2 || i == j))
}

/// Try to give every field from `i` on a leaf (or declare it absent),
/// consistently with the leaves already `chosen` (indexes into `leaves`).
/// On success `chosen` and `absent` (field indexes) hold the assignment.
pub(crate) fn assign(
    fields: &[SubRuleField<'_>],
    i: usize,
    leaves: &[Leaf<'_>],
    chosen: &mut Vec<usize>,
    absent: &mut Vec<usize>,
) -> bool {
    let Some((path, conds)) = fields.get(i) else {
        // Every field has a leaf or is declared absent: check each absence
        // against the leaves chosen for the paths that sort before it.
        return absent.iter().all(|&f| {
            let path = &fields[f].0;
            let before: Vec<&Leaf<'_>> = chosen
                .iter()
                .map(|&c| &leaves[c])
                .filter(|c| path_order(&c.path, path).is_lt())
                .collect();
            !leaves
                .iter()
                .any(|l| &l.path == path && before.iter().all(|c| consistent(c, l)))
        });
    };
    for (n, leaf) in leaves.iter().enumerate().filter(|(_, l)| &l.path == path) {
        if conds
            .iter()
            .any(|c| condition_matches_leaf(&c.kind, leaf.value))
            && chosen.iter().all(|&c| consistent(&leaves[c], leaf))
        {
            chosen.push(n);
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
