//! Bugs found by fuzzing and property testing, each pinned by the input
//! that found it (minimised). Every test says which target or test found
//! it and what was wrong. The reference and the matcher are both checked.

use evrule::explain::explain;
use evrule::{reference, Config, Matcher, Pattern};

/// The answer of the reference, of `explain` and of the matcher (strict
/// and trusted), which must all agree.
fn answer(pattern: &str, event: &str) -> bool {
    let p = Pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    let want = reference::matches(&p, event).unwrap_or_else(|e| panic!("{event}: {e}"));
    let explained = explain(&p, event).unwrap().matched();
    assert_eq!(explained, want, "explain: {pattern} against {event}");
    for trusted in [false, true] {
        let mut m = Matcher::with_config(Config::new().trusted(trusted));
        m.add_pattern("r", &p).unwrap();
        let got = !m.matches(event.as_bytes()).unwrap().is_empty();
        assert_eq!(got, want, "trusted={trusted}: {pattern} against {event}");
    }
    want
}

// fuzz target `differential`: the reference joined paths with `.` only
// after a non-empty prefix, so an empty key vanished from the path: the
// `a` inside `{"": {"a": ...}}` was taken for the top-level `a`. The
// compiled automaton did the same when flattening patterns, so
// `{"": {"a": ["x"]}}` matched `{"a": "x"}`.
#[test]
fn empty_keys_are_path_segments() {
    let exists = r#"{"a": [{"exists": true}]}"#;
    assert!(!answer(
        exists,
        r#"{"": {"": {"": {"": "", "": {"": {"a": ""}}}}}}"#
    ));
    assert!(!answer(exists, r#"{"": {"a": ""}}"#));
    assert!(answer(exists, r#"{"": {"a": ""}, "a": 1}"#));
    let nested = r#"{"": {"a": ["x"]}}"#;
    assert!(!answer(nested, r#"{"a": "x"}"#));
    assert!(answer(nested, r#"{"": {"a": "x"}}"#));
    // A key is split at dots on both sides: `.a` is the empty key, then `a`.
    assert!(answer(nested, r#"{".a": "x"}"#));
    assert!(answer(r#"{".a": ["x"]}"#, r#"{"": {"a": "x"}}"#));
    assert!(!answer(r#"{".a": ["x"]}"#, r#"{"a": "x"}"#));
    assert!(answer(r#"{"": ["x"]}"#, r#"{"": "x"}"#));
    assert!(!answer(r#"{"": {"": ["x"]}}"#, r#"{"": "x"}"#));
    assert!(answer(r#"{"": {"": ["x"]}}"#, r#"{".": "x"}"#));
    // Inside `$or` branches, which share their parent's prefix.
    let or = r#"{"": {"$or": [{"a": ["x"]}, {"b": ["y"]}]}}"#;
    assert!(answer(or, r#"{"": {"b": "y"}}"#));
    assert!(!answer(or, r#"{"b": "y"}"#));
}

// tests/hostile.rs (a 1 MB pattern of 50,000 fields, limits raised):
// parsing was quadratic in the fields of one object, because each field
// removed an earlier one of the same key as it was added. Duplicates are
// now resolved once per object; the answer must not change: the last one
// wins, in its own place.
#[test]
fn repeated_pattern_keys_last_wins_in_place() {
    let p =
        Pattern::parse(r#"{"a": ["1"], "b": ["2"], "a": ["3"], "c": {"x": ["4"], "x": ["5"]}}"#)
            .unwrap();
    let keys: Vec<&str> = p.root().fields.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["b", "a", "c"]);
    assert!(answer(p.text(), r#"{"a": "3", "b": "2", "c": {"x": "5"}}"#));
    assert!(!answer(
        p.text(),
        r#"{"a": "1", "b": "2", "c": {"x": "5"}}"#
    ));
    assert!(!answer(
        p.text(),
        r#"{"a": "3", "b": "2", "c": {"x": "4"}}"#
    ));
    // An invalid repeat is reported and does not replace the valid one.
    let errs = Pattern::parse(r#"{"a": ["1"], "a": "x"}"#).unwrap_err();
    assert_eq!(errs.message(), r#""a" must be an object or an array"#);
}

// Probing strict mode with malformed events (tests/properties.rs (d)):
// event errors carried their position twice when shown,
// `trailing comma at line 1 column 10 (line 1 column 10)`; the message now
// holds the reason, and the position is the error's own.
#[test]
fn event_errors_show_their_position_once() {
    let mut m = Matcher::new();
    m.add("r", r#"{"a": ["x"]}"#).unwrap();
    let cases: &[(&str, &str)] = &[
        (r#"{"a":"x",}"#, "trailing comma (line 1 column 10)"),
        (
            r#"{"a": "\ud800"}"#,
            "lone leading surrogate in hex escape (line 1 column 8)",
        ),
        ("{\"a\":\n 01}", "invalid number (line 2 column 3)"),
        (
            r#"{"a": "x"} x"#,
            "trailing characters after the event (line 1 column 12)",
        ),
        ("[1]", "an event must be a JSON object (line 1 column 1)"),
        ("", "EOF while parsing an event (line 1 column 1)"),
    ];
    for (event, shown) in cases {
        let err = m.matches(event.as_bytes()).unwrap_err();
        assert!(err.is_event(), "{event}");
        assert_eq!(err.to_string(), *shown, "{event}");
    }
    let deep = format!(r#"{{"a": {}1{}}}"#, "[".repeat(200), "]".repeat(200));
    let err = m.matches(deep.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event nesting is deeper than the nesting depth limit of 128 (line 1 column 134)"
    );
}

// Issue 11 (hidden conformance cases): a long spelling of an exact number
// (the 309-digit integer spelling of the largest double, `2.5` and sixty
// zeros) counted as inexact in the matcher, so it missed `numeric` and
// passed `anything-but`. Spec section 3: exactness is about the decimal
// value, not the length of the spelling.
#[test]
fn exact_numbers_of_any_spelling() {
    let max = format!("17976931348623157{}", "0".repeat(292));
    let long = format!("2.5{}", "0".repeat(60));
    let event = |n: &str| format!(r#"{{"detail": {{"n": {n}}}}}"#);
    for n in [max.clone(), format!("{max}.0"), format!("{max}.000e0")] {
        let e = event(&n);
        assert!(answer(
            r#"{"detail": {"n": [{"numeric": [">", 7.25]}]}}"#,
            &e
        ));
        assert!(answer(
            r#"{"detail": {"n": [{"numeric": ["<=", 1.7976931348623157E+308]}]}}"#,
            &e
        ));
        assert!(answer(r#"{"detail": {"n": [1.7976931348623157e308]}}"#, &e));
        assert!(!answer(
            r#"{"detail": {"n": [{"anything-but": [1.7976931348623157e308]}]}}"#,
            &e
        ));
        let neg = event(&format!("-{n}"));
        assert!(answer(
            r#"{"detail": {"n": [-1.7976931348623157e308]}}"#,
            &neg
        ));
        assert!(answer(
            r#"{"detail": {"n": [{"numeric": ["<", 0]}]}}"#,
            &neg
        ));
    }
    for n in [
        long.clone(),
        format!("-{long}"),
        "25e-1".into(),
        "0.25E1".into(),
        "0.25e+0001".into(),
        "250e-0002".into(),
        "-0.0000025e6".into(),
    ] {
        let e = event(&n);
        let value = if n.starts_with('-') { "-2.5" } else { "2.5" };
        assert!(
            answer(&format!(r#"{{"detail": {{"n": [{value}]}}}}"#), &e),
            "{n}"
        );
        assert!(answer(
            &format!(r#"{{"detail": {{"n": [{{"numeric": ["=", {value}]}}]}}}}"#),
            &e
        ));
        assert!(!answer(
            &format!(r#"{{"detail": {{"n": [{{"anything-but": {value}}}]}}}}"#),
            &e
        ));
    }
    assert!(answer(
        r#"{"n": [1e26]}"#,
        r#"{"n": 100000000000000000000000000}"#
    ));
    assert!(answer(
        r#"{"n": [1e-21]}"#,
        r#"{"n": 0.000000000000000000001}"#
    ));
    // The same spellings in patterns.
    assert!(answer(
        &format!(r#"{{"n": [{{"numeric": ["<=", {max}]}}]}}"#),
        r#"{"n": 1.7976931348623157e308}"#
    ));
    assert!(answer(&format!(r#"{{"n": [{long}]}}"#), r#"{"n": 2.5}"#));
    assert!(!answer(
        &format!(r#"{{"n": [{{"anything-but": [{long}, 1]}}]}}"#),
        r#"{"n": 25e-1}"#
    ));
    // One nonzero digit far out makes the spelling inexact: it matches only
    // itself, never `numeric`, and passes `anything-but` of the double.
    let off = format!("2.5{}1", "0".repeat(300));
    assert!(!answer(r#"{"n": [2.5]}"#, &format!(r#"{{"n": {off}}}"#)));
    assert!(!answer(
        r#"{"n": [{"numeric": [">", 0]}]}"#,
        &format!(r#"{{"n": {off}}}"#)
    ));
    assert!(answer(
        r#"{"n": [{"anything-but": 2.5}]}"#,
        &format!(r#"{{"n": {off}}}"#)
    ));
    assert!(answer(
        &format!(r#"{{"n": [{off}]}}"#),
        &format!(r#"{{"n": {off}}}"#)
    ));
    let err = Pattern::parse(&format!(r#"{{"n": [{{"numeric": [">", {off}]}}]}}"#)).unwrap_err();
    assert_eq!(err.message(), format!("Cannot compare number : {off}"));
    // As the spec lists them.
    assert!(answer(
        r#"{"n": [9007199254740993]}"#,
        r#"{"n": 9007199254740993}"#
    ));
    assert!(!answer(
        r#"{"n": [9007199254740993]}"#,
        r#"{"n": 9007199254740992}"#
    ));
    assert!(!answer(
        r#"{"n": [9007199254740993]}"#,
        r#"{"n": 9.007199254740993e15}"#
    ));
}

// Issue 11 (hidden conformance cases): `exists: false` beside a sibling
// was judged within the sibling's element whatever the names; spec section
// 5 takes a sub-rule's fields in order of their full dotted path, and only
// the paths sorting before it choose the elements it is judged in.
#[test]
fn exists_false_is_judged_in_key_order() {
    let lines = r#"{"lines": [{"quantity": 12, "zz": 1}, {"quantity": 3, "backordered": true}]}"#;
    // The spec's three examples.
    assert!(answer(
        r#"{"lines": {"quantity": [3], "zz": [{"exists": false}]}}"#,
        lines
    ));
    assert!(!answer(
        r#"{"lines": {"quantity": [12], "zz": [{"exists": false}]}}"#,
        lines
    ));
    assert!(!answer(
        r#"{"lines": {"quantity": [12], "backordered": [{"exists": false}]}}"#,
        lines
    ));
    // Sorting first, it is judged on the whole event, where no element has
    // it: then it holds beside anything.
    assert!(answer(
        r#"{"lines": {"quantity": [12], "absent": [{"exists": false}]}}"#,
        lines
    ));
    // After a sibling whose value is in the element that lacks it.
    assert!(answer(
        r#"{"lines": {"backordered": [true], "zz": [{"exists": false}]}}"#,
        lines
    ));
    // Full dotted paths decide, not the last key: `lines.b.x` sorts before
    // `lines.c`, `lines.a` before both.
    let nested = r#"{"lines": [{"c": 1, "b": {"x": 1}}, {"c": 2}]}"#;
    assert!(!answer(
        r#"{"lines": {"c": [2], "b": {"x": [{"exists": false}]}}}"#,
        nested
    ));
    assert!(answer(
        r#"{"lines": {"c": [2], "d": {"x": [{"exists": false}]}}}"#,
        r#"{"lines": [{"c": 1, "d": {"x": 1}}, {"c": 2}]}"#
    ));
    // Two siblings before it: the elements both chose.
    let two = r#"{"l": [{"a": 1, "b": 1, "z": 1}, {"a": 2, "b": 2}]}"#;
    assert!(answer(
        r#"{"l": {"a": [2], "b": [2], "z": [{"exists": false}]}}"#,
        two
    ));
    assert!(!answer(
        r#"{"l": {"a": [1], "b": [1], "z": [{"exists": false}]}}"#,
        two
    ));
    // Between two siblings: only the one before counts.
    assert!(!answer(
        r#"{"l": {"a": [2], "c": [{"exists": false}], "d": [2]}}"#,
        r#"{"l": [{"a": 1, "c": 1, "d": 2}, {"a": 2, "d": 1}, {"a": 2, "d": 2, "c": 0}]}"#
    ));
    // A sibling after it does not choose its element, even in its own
    // array: `b.c` is judged beside `a.x` only, which shares no array.
    let after = r#"{"a": [{"x": 1}], "b": [{"c": 1, "d": 2}, {"d": 3}]}"#;
    assert!(!answer(
        r#"{"a": {"x": [1]}, "b": {"c": [{"exists": false}], "d": [3]}}"#,
        after
    ));
    assert!(answer(
        r#"{"a": {"x": [1]}, "b": {"e": [{"exists": false}], "d": [3]}}"#,
        after
    ));
    // Sub-rules of `$or` are ordered as a whole.
    let or = r#"{"l": {"$or": [{"q": [12]}, {"x": [0]}], "b": [{"exists": false}]}}"#;
    assert!(!answer(or, lines.replace("lines", "l").as_str()));
    let or = r#"{"l": {"$or": [{"a": [12]}, {"x": [0]}], "zz": [{"exists": false}]}}"#;
    assert!(!answer(or, r#"{"l": [{"a": 12, "zz": 1}, {"a": 3}]}"#));
    assert!(answer(or, r#"{"l": [{"a": 12}, {"a": 3, "zz": 1}]}"#));
    // Java's string order (UTF-16 code units): U+1F381 sorts before U+FF21,
    // although its UTF-8 bytes sort after.
    assert!(!answer(
        r#"{"l": {"\uff21": [1], "\ud83c\udf81": [{"exists": false}]}}"#,
        r#"{"l": [{"\uff21": 1}, {"\ud83c\udf81": 1}]}"#
    ));
    assert!(answer(
        r#"{"l": {"\ud83c\udf81": [1], "\uff21": [{"exists": false}]}}"#,
        r#"{"l": [{"\ud83c\udf81": 1}, {"\uff21": 1}]}"#
    ));
}

// Issue 11: explain says why an `exists: false` sorting first is judged on
// the whole event, and names only the elements chosen before it.
#[test]
fn explain_of_exists_false_in_key_order() {
    let lines = r#"{"lines": [{"quantity": 12, "zz": 1}, {"quantity": 3, "backordered": true}]}"#;
    let p = Pattern::parse(r#"{"lines": {"quantity": [12], "backordered": [{"exists": false}]}}"#)
        .unwrap();
    assert_eq!(
        explain(&p, lines).unwrap().to_string(),
        "no match
  lines.quantity: [12]
    event has 12 at /lines/0/quantity -> equals 12 ✓
    event has 3 at /lines/1/quantity -> is not 12
  lines.backordered: [{\"exists\": false}]
    event has true at /lines/1/backordered -> present, but exists: false requires no value
    note: exists: false is judged on the whole event: fields are taken in path order, and none sorts before lines.backordered to choose an array element
"
    );
    let p = Pattern::parse(r#"{"lines": {"quantity": [12], "zz": [{"exists": false}]}}"#).unwrap();
    let e = explain(&p, lines).unwrap();
    assert_eq!(
        e.root().conflicts()[0].message(),
        "lines.zz must be absent from the element of /lines that satisfies lines.quantity, but it is present there"
    );
    // A field after the `exists: false` is not named as choosing its element.
    let p =
        Pattern::parse(r#"{"l": {"b": [1], "c": [{"exists": false}], "d": [{"exists": true}]}}"#)
            .unwrap();
    let e = explain(&p, r#"{"l": [{"b": 1, "d": 1}, {"c": 1, "d": 2}]}"#).unwrap();
    assert!(e.matched());
    assert_eq!(
        e.root().fields()[1].note(),
        Some("present at /l/1/c, but not in the array element the match used (/l/0/b)")
    );
}
