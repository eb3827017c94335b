//! `explain` against the reference evaluator: over every match case of the
//! conformance files, the explanation's verdict is the reference's, and
//! every explanation can be printed and serialised.

use evrule::explain::{explain, FieldStatus, Group};
use evrule::{reference, Pattern};
use serde_json::Value;

/// (case id, rule name, pattern text, event text) for every rule/event
/// pair of every match case.
fn pairs() -> Vec<(String, String, String, String)> {
    let mut out = vec![];
    for case in crate::support::match_cases() {
        for (name, pattern) in &case.rules {
            for e in &case.events {
                out.push((
                    format!("{}:{}", case.file, case.id),
                    name.clone(),
                    pattern.clone(),
                    e.clone(),
                ));
            }
        }
    }
    out
}

/// Whether a group that does not hold says why: a field that does not
/// hold, a `$or` whose branches all fail for a stated reason, or an
/// array-consistency conflict (here or in a branch).
fn explained(g: &Group) -> bool {
    g.fields().iter().any(|f| !f.status().holds())
        || g.ors()
            .iter()
            .any(|o| o.branches().iter().all(|b| !b.holds() && explained(b)))
        || !g.conflicts().is_empty()
        || g.ors()
            .iter()
            .any(|o| o.branches().iter().any(|b| !b.conflicts().is_empty()))
}

/// One pass over every pair (the reference is slow): the verdicts agree,
/// a match shows its fields satisfied, a miss says why, and every
/// explanation prints and serialises.
#[test]
fn verdict_is_the_reference_verdict_on_every_conformance_case() {
    let pairs = pairs();
    assert!(pairs.len() > 1000, "only {} pairs", pairs.len());
    let mut failures = vec![];
    let (mut matched, mut missed) = (0, 0);
    for (id, name, pattern, event) in &pairs {
        let Ok(p) = Pattern::parse(pattern) else {
            continue;
        };
        let want = reference::matches(&p, event);
        let got = explain(&p, event);
        match (want, got) {
            (Ok(want), Ok(got)) => {
                if got.matched() != want {
                    failures.push(format!(
                        "{id} {name}: explain {} reference {want}",
                        got.matched()
                    ));
                }
                if want {
                    matched += 1;
                    // A match shows every top-level field satisfied.
                    assert!(
                        got.root().fields().iter().all(|f| f.status().holds()),
                        "{id} {name}: {got}"
                    );
                } else {
                    missed += 1;
                    if !explained(got.root()) {
                        failures.push(format!("{id} {name}: miss not explained:\n{got}"));
                    }
                }
                // Printing and serialising never fail.
                assert!(!got.to_string().is_empty());
                assert_eq!(got.to_json()["matched"], Value::Bool(want));
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "{id} {name}"),
            (a, b) => failures.push(format!("{id} {name}: reference {a:?} explain {b:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        matched > 300 && missed > 300,
        "{matched} matched, {missed} missed"
    );
}

#[test]
fn the_spec_employees_example() {
    let event =
        r#"{"employees": [{"first": "John", "last": "Doe"}, {"first": "Anna", "last": "Smith"}]}"#;
    let p = Pattern::parse(r#"{"employees": {"first": ["Anna"], "last": ["Smith"]}}"#).unwrap();
    let e = explain(&p, event).unwrap();
    assert!(e.matched());
    assert_eq!(e.root().fields()[0].status(), FieldStatus::Satisfied(1));
    assert_eq!(e.root().fields()[1].status(), FieldStatus::Satisfied(1));
    let q = Pattern::parse(r#"{"employees": {"first": ["Anna"], "last": ["Doe"]}}"#).unwrap();
    let e = explain(&q, event).unwrap();
    assert!(!e.matched());
    assert_eq!(
        e.to_string(),
        "no match
  employees.first: [\"Anna\"]
    event has \"John\" at /employees/0/first -> is not \"Anna\"
    event has \"Anna\" at /employees/1/first -> equals \"Anna\" ✓
  employees.last: [\"Doe\"]
    event has \"Doe\" at /employees/0/last -> equals \"Doe\" ✓
    event has \"Smith\" at /employees/1/last -> is not \"Doe\"
  array consistency: fields employees.first and employees.last are satisfied only by different elements of /employees
    employees.first holds at /employees/1/first
    employees.last holds at /employees/0/last
"
    );
}

#[test]
fn errors_are_the_reference_errors() {
    let p = Pattern::parse(r#"{"a": ["x"]}"#).unwrap();
    for event in ["[1]", "{", "", "\"a\""] {
        assert_eq!(
            explain(&p, event).unwrap_err(),
            reference::matches(&p, event).unwrap_err(),
            "{event}"
        );
    }
}

#[test]
fn public_types_are_thread_safe() {
    fn check<T: Send + Sync + std::panic::UnwindSafe>() {}
    check::<evrule::explain::Explanation>();
    check::<evrule::explain::Group>();
    check::<evrule::explain::FieldExplanation>();
    check::<evrule::explain::Conflict>();
}

mod random {
    //! Small random patterns and events built from few keys and values, so
    //! that arrays of objects, `$or` and `exists: false` meet often.

    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just("a"), Just("b"), Just("c")]
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"x\"".to_string()),
            Just("\"y\"".to_string()),
            Just("1".to_string()),
            Just("5".to_string()),
            Just("null".to_string()),
        ]
    }

    fn event_value() -> impl Strategy<Value = String> {
        let leaf = scalar();
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((key(), inner), 0..4).prop_map(|m| {
                    let members: Vec<String> =
                        m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn event() -> impl Strategy<Value = String> {
        prop::collection::vec((key(), event_value()), 1..4).prop_map(|m| {
            let members: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", members.join(","))
        })
    }

    fn condition() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"x\"".to_string()),
            Just("\"y\"".to_string()),
            Just("5".to_string()),
            Just("null".to_string()),
            Just("{\"exists\":true}".to_string()),
            Just("{\"exists\":false}".to_string()),
            Just("{\"numeric\":[\">\",2]}".to_string()),
            Just("{\"anything-but\":\"x\"}".to_string()),
            Just("{\"prefix\":\"x\"}".to_string()),
        ]
    }

    fn conditions() -> impl Strategy<Value = String> {
        prop::collection::vec(condition(), 1..3).prop_map(|v| format!("[{}]", v.join(",")))
    }

    /// A pattern object: fields (leaf lists or one nested level) and maybe
    /// a `$or` of two such objects.
    fn pattern_object(depth: u32) -> BoxedStrategy<String> {
        let field = if depth == 0 {
            conditions().boxed()
        } else {
            prop_oneof![conditions(), pattern_object(depth - 1)].boxed()
        };
        let fields = prop::collection::btree_map(key(), field, 1..3);
        let or = if depth == 0 {
            Just(None).boxed()
        } else {
            prop::option::of((pattern_object(depth - 1), pattern_object(depth - 1))).boxed()
        };
        (fields, or)
            .prop_map(|(fields, or)| {
                let mut members: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                if let Some((l, r)) = or {
                    members.push(format!("\"$or\":[{l},{r}]"));
                }
                format!("{{{}}}", members.join(","))
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn explain_agrees_with_the_reference(pattern in pattern_object(2), event in event()) {
            let Ok(p) = Pattern::parse(&pattern) else {
                return Ok(());
            };
            let want = reference::matches(&p, &event).unwrap();
            let got = explain(&p, &event).unwrap();
            prop_assert_eq!(got.matched(), want, "{}", got);
            if want {
                prop_assert!(got.root().fields().iter().all(|f| f.status().holds()), "{}", got);
            } else {
                prop_assert!(explained(got.root()), "{}", got);
            }
            let _ = got.to_json().to_string();
        }
    }
}
