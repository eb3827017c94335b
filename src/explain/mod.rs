//! Why a pattern does or does not match an event, condition by condition.
//!
//! [`explain`] answers the same question as the reference evaluator (`reference::matches`, with the `reference` feature)
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

use std::collections::BTreeSet;

use crate::error::Error;
use crate::pattern::{path_order, ConditionKind, Pattern};
use crate::reference::{self, Flat};

mod reason;
mod result;
mod search;
#[cfg(test)]
mod tests;

use reason::*;
pub use result::*;
use search::*;

/// Most conflicts searched for in one part of a pattern: enough to explain,
/// few enough to stay quick on patterns with many `$or` combinations.
pub(super) const MAX_CONFLICTS: usize = 10;

/// Why `pattern` does or does not match `event` (JSON text).
///
/// Errors as the reference evaluator (`reference::matches`, with the `reference` feature) does: when the event is not
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

/// How a rule test suite reports one rule in the difference between the
/// rules an event was expected to match and those it matched: the rule,
/// what was expected and what happened, then the explanation's reasons,
/// indented. `expected` says whether the rule was expected to match (so
/// the matcher said the opposite); `disabled` whether the rule is
/// `DISABLED` (it never matches). `evrule test` and the Python package's
/// `evrule.testing` print this text.
///
/// ```
/// use evrule::{explain::{difference, explain}, Pattern};
/// let p = Pattern::parse(r#"{"source": ["aws.s3"]}"#)?;
/// let e = explain(&p, r#"{"source": "aws.ec2"}"#)?;
/// assert_eq!(
///     difference("s3", true, false, &e),
///     "s3 was expected to match, but did not\n    \
///      source: [\"aws.s3\"]\n      event has \"aws.ec2\" -> is not \"aws.s3\"\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn difference(rule: &str, expected: bool, disabled: bool, e: &Explanation) -> String {
    let mut out = String::new();
    let what = match (expected, disabled) {
        (true, true) => "was expected to match, but the rule is DISABLED and never matches",
        (true, false) => "was expected to match, but did not",
        (false, _) => "was not expected to match, but did",
    };
    out.push_str(&format!("{rule} {what}\n"));
    let text = e.to_string();
    let (verdict, body) = text.split_once('\n').unwrap_or((&text, ""));
    // The matcher said `!expected`; the explanation is the reference's.
    if e.matched() == expected && !disabled {
        out.push_str(&format!(
            "  note: the reference evaluator says `{verdict}` here: the matcher and the reference disagree (a bug in evrule)\n"
        ));
    }
    for line in body.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out
}
