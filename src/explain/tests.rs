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
        Some(
            "the event has an object here (with detail.a, detail.b); conditions match only values"
        )
    );
}
