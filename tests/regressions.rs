//! Bugs found by fuzzing and property testing, each pinned by the input
//! that found it (minimised). Every test says which target or test found
//! it and what was wrong. The reference and the matcher are both checked.

use evrule::{reference, Config, Matcher, Pattern};

/// The answer of the reference and of the matcher (strict and trusted),
/// which must all agree.
fn answer(pattern: &str, event: &str) -> bool {
    let p = Pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    let want = reference::matches(&p, event).unwrap_or_else(|e| panic!("{event}: {e}"));
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
