//! The spec's matching examples (sections 1, 3 and 5), checked against the
//! reference evaluator.

use evrule::{reference, Pattern};

fn m(pattern: &str, event: &str) -> bool {
    let p = Pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    reference::matches(&p, event).unwrap_or_else(|e| panic!("{event}: {e}"))
}

#[test]
fn exact_values_and_types() {
    assert!(m(r#"{"a": ["Alice"]}"#, r#"{"a": "Alice"}"#));
    assert!(!m(r#"{"a": ["Alice"]}"#, r#"{"a": "alice"}"#));
    assert!(m(r#"{"a": [""]}"#, r#"{"a": ""}"#));
    assert!(!m(r#"{"a": [null]}"#, r#"{"a": ""}"#));
    assert!(m(r#"{"a": [null]}"#, r#"{"a": null}"#));
    assert!(!m(r#"{"a": [true]}"#, r#"{"a": 1}"#));
    assert!(!m(r#"{"a": [300]}"#, r#"{"a": "300"}"#));
    assert!(!m(r#"{"a": ["300"]}"#, r#"{"a": 300}"#));
    assert!(m(r#"{"a": ["x"]}"#, r#"{"b": 1, "a": ["y", "x"]}"#));
    // A string holding JSON is a string.
    assert!(!m(r#"{"d": {"a": [1]}}"#, r#"{"d": "{\"a\":1}"}"#));
    // Dotted keys, on either side.
    assert!(m(r#"{"a.b": ["x"]}"#, r#"{"a": {"b": "x"}}"#));
    assert!(m(r#"{"a": {"b": ["x"]}}"#, r#"{"a.b": "x"}"#));
    // Repeated event keys keep both values.
    assert!(m(r#"{"a": ["2"]}"#, r#"{"a": "1", "a": "2"}"#));
    // Repeated pattern keys: the last wins.
    assert!(m(r#"{"a": ["1"], "a": ["2"]}"#, r#"{"a": "2"}"#));
    assert!(!m(r#"{"a": ["1"], "a": ["2"]}"#, r#"{"a": "1"}"#));
}

#[test]
fn numbers() {
    for e in ["300", "300.0", "3e2", "3.0e2", "3E+2"] {
        assert!(m(r#"{"a": [300]}"#, &format!(r#"{{"a": {e}}}"#)), "{e}");
    }
    assert!(m(r#"{"a": [0]}"#, r#"{"a": -0}"#));
    assert!(m(r#"{"a": [-0.0]}"#, r#"{"a": 0}"#));
    // Inexact numbers match only their own spelling.
    assert!(m(
        r#"{"a": [9007199254740993]}"#,
        r#"{"a": 9007199254740993}"#
    ));
    assert!(!m(
        r#"{"a": [9007199254740993]}"#,
        r#"{"a": 9007199254740992}"#
    ));
    assert!(!m(
        r#"{"a": [9007199254740993]}"#,
        r#"{"a": 9.007199254740993e15}"#
    ));
    // Numeric ranges over the full double range; inexact events never match.
    assert!(m(
        r#"{"a": [{"numeric": [">", 0, "<=", 5]}]}"#,
        r#"{"a": 5}"#
    ));
    assert!(!m(
        r#"{"a": [{"numeric": [">", 0, "<=", 5]}]}"#,
        r#"{"a": 0}"#
    ));
    assert!(m(
        r#"{"a": [{"numeric": ["=", 3.018e2]}]}"#,
        r#"{"a": 301.8}"#
    ));
    assert!(m(r#"{"a": [{"numeric": [">", 5e9]}]}"#, r#"{"a": 1e300}"#));
    assert!(!m(r#"{"a": [{"numeric": [">", 0]}]}"#, r#"{"a": 1e400}"#));
    assert!(!m(
        r#"{"a": [{"numeric": [">", 0]}]}"#,
        r#"{"a": 0.30000000000000001}"#
    ));
    assert!(!m(r#"{"a": [{"numeric": [">", 0]}]}"#, r#"{"a": "5"}"#));
}

#[test]
fn string_operators() {
    assert!(m(r#"{"a": [{"prefix": ""}]}"#, r#"{"a": "x"}"#));
    assert!(!m(r#"{"a": [{"prefix": ""}]}"#, r#"{"a": 1}"#));
    assert!(m(r#"{"a": [{"suffix": ".png"}]}"#, r#"{"a": "a.png"}"#));
    assert!(m(
        r#"{"a": [{"prefix": {"equals-ignore-case": "IMG/"}}]}"#,
        r#"{"a": "img/1"}"#
    ));
    assert!(m(
        r#"{"a": [{"suffix": {"equals-ignore-case": ".PNG"}}]}"#,
        r#"{"a": "a.png"}"#
    ));
    assert!(m(
        r#"{"a": [{"equals-ignore-case": "straße"}]}"#,
        r#"{"a": "STRASSE"}"#
    ));
    assert!(!m(
        r#"{"a": [{"equals-ignore-case": "STRASSE"}]}"#,
        r#"{"a": "straße"}"#
    ));
    assert!(m(
        r#"{"a": [{"equals-ignore-case": "ΣΊΣΥΦΟΣ"}]}"#,
        r#"{"a": "σίσυφοσ"}"#
    ));
    assert!(!m(
        r#"{"a": [{"equals-ignore-case": "ΣΊΣΥΦΟΣ"}]}"#,
        r#"{"a": "σίσυφος"}"#
    ));
    assert!(!m(
        r#"{"a": [{"equals-ignore-case": "k"}]}"#,
        "{\"a\": \"\u{212A}\"}"
    ));
    assert!(m(
        r#"{"a": [{"wildcard": "uploads/*/raw/*.jpg"}]}"#,
        r#"{"a": "uploads/x/raw/y.jpg"}"#
    ));
    assert!(m(r#"{"a": [{"wildcard": "a\\*b"}]}"#, r#"{"a": "a*b"}"#));
    assert!(!m(r#"{"a": [{"wildcard": "a\\*b"}]}"#, r#"{"a": "axb"}"#));
    assert!(m(
        r#"{"a": [{"wildcard": "C:\\\\*"}]}"#,
        r#"{"a": "C:\\x"}"#
    ));
    assert!(m(r#"{"a": [{"wildcard": ""}]}"#, r#"{"a": ""}"#));
    assert!(!m(r#"{"a": [{"wildcard": ""}]}"#, r#"{"a": "x"}"#));
}

#[test]
fn ip_addresses() {
    assert!(m(r#"{"ip": ["10.0.0.1"]}"#, r#"{"ip": "010.000.000.001"}"#));
    assert!(m(
        r#"{"ip": ["2001:db8::1"]}"#,
        r#"{"ip": "2001:DB8:0:0:0:0:0:1"}"#
    ));
    assert!(m(
        r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
        r#"{"ip": "10.0.0.255"}"#
    ));
    assert!(!m(
        r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
        r#"{"ip": "10.0.1.0"}"#
    ));
    assert!(m(
        r#"{"ip": [{"cidr": "2001:db8::/64"}]}"#,
        r#"{"ip": "2001:0DB8:0000:0000:ffff::1"}"#
    ));
    // Across families EventBridge compares hex strings (recorded in
    // generated-public gen-s1-0122): 00000000 <= 000...001 <= FFFFFFFF.
    assert!(m(r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, r#"{"ip": "::1"}"#));
    assert!(!m(
        r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
        r#"{"ip": "::1"}"#
    ));
    assert!(!m(
        r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#,
        r#"{"ip": "not an ip"}"#
    ));
}

#[test]
fn anything_but() {
    assert!(m(
        r#"{"a": [{"anything-but": "a"}]}"#,
        r#"{"a": ["a", "b"]}"#
    ));
    assert!(!m(r#"{"a": [{"anything-but": "a"}]}"#, r#"{"a": "a"}"#));
    assert!(!m(r#"{"a": [{"anything-but": "a"}]}"#, r#"{"b": "x"}"#));
    assert!(!m(r#"{"a": [{"anything-but": "a"}]}"#, r#"{"a": []}"#));
    assert!(m(r#"{"a": [{"anything-but": "a"}]}"#, r#"{"a": null}"#));
    assert!(m(r#"{"a": [{"anything-but": "a"}]}"#, r#"{"a": 5}"#));
    assert!(m(r#"{"a": [{"anything-but": [1, 2]}]}"#, r#"{"a": "1"}"#));
    assert!(m(r#"{"a": [{"anything-but": [1, 2]}]}"#, r#"{"a": true}"#));
    assert!(!m(r#"{"a": [{"anything-but": [1, 2]}]}"#, r#"{"a": 2.0}"#));
    assert!(!m(
        r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#,
        r#"{"a": "xy"}"#
    ));
    assert!(m(
        r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#,
        r#"{"a": 1}"#
    ));
    assert!(!m(
        r#"{"a": [{"anything-but": {"suffix": ["y", "z"]}}]}"#,
        r#"{"a": "xz"}"#
    ));
    assert!(!m(
        r#"{"a": [{"anything-but": {"equals-ignore-case": "X"}}]}"#,
        r#"{"a": "x"}"#
    ));
    assert!(!m(
        r#"{"a": [{"anything-but": {"wildcard": "*/dir/*"}}]}"#,
        r#"{"a": "/a/dir/b"}"#
    ));
    assert!(m(
        r#"{"a": [{"anything-but": {"wildcard": ""}}]}"#,
        r#"{"a": "x"}"#
    ));
}

#[test]
fn exists() {
    assert!(m(r#"{"a": [{"exists": true}]}"#, r#"{"a": null}"#));
    assert!(m(r#"{"a": [{"exists": true}]}"#, r#"{"a": ""}"#));
    assert!(!m(r#"{"a": [{"exists": true}]}"#, r#"{"a": []}"#));
    assert!(!m(r#"{"a": [{"exists": true}]}"#, r#"{"a": {}}"#));
    assert!(!m(r#"{"a": [{"exists": true}]}"#, r#"{"a": {"b": 1}}"#));
    assert!(m(r#"{"a": [{"exists": false}]}"#, r#"{"a": {}}"#));
    assert!(m(r#"{"a": [{"exists": false}]}"#, r#"{"a": []}"#));
    assert!(m(r#"{"a": [{"exists": false}]}"#, r#"{"b": 1}"#));
    assert!(!m(r#"{"a": [{"exists": false}]}"#, r#"{"a": null}"#));
    assert!(m(r#"{"a": [{"exists": false}, "x"]}"#, r#"{"a": "x"}"#));
}

#[test]
fn array_consistency() {
    let e =
        r#"{"employees": [{"first": "John", "last": "Doe"}, {"first": "Anna", "last": "Smith"}]}"#;
    assert!(m(
        r#"{"employees": {"first": ["Anna"], "last": ["Smith"]}}"#,
        e
    ));
    assert!(!m(
        r#"{"employees": {"first": ["Anna"], "last": ["Doe"]}}"#,
        e
    ));
    // exists:false alone: judged on the whole event.
    assert!(!m(
        r#"{"d": {"b": [{"exists": false}]}}"#,
        r#"{"d": [{"a": 1}, {"b": 2}]}"#
    ));
    // Beside a sibling: within the sibling's element.
    let p = r#"{"d": {"a": [{"exists": true}], "b": [{"exists": false}]}}"#;
    assert!(m(p, r#"{"d": [{"a": 1}, {"b": 2}]}"#));
    assert!(!m(p, r#"{"d": [{"a": 1, "b": 2}]}"#));
    // Nested arrays of objects.
    let p = r#"{"u": {"t": {"k": ["color"], "v": ["blue"]}}}"#;
    assert!(m(p, r#"{"u": [{"t": [{"k": "color", "v": "blue"}]}]}"#));
    assert!(!m(p, r#"{"u": [{"t": [{"k": "color"}, {"v": "blue"}]}]}"#));
    // Arrays of primitives beside scalars.
    assert!(m(
        r#"{"d": {"tags": ["b"], "type": ["x"]}}"#,
        r#"{"d": {"tags": ["a", "b"], "type": "x"}}"#
    ));
}

#[test]
fn or_groups() {
    let p =
        r#"{"source": ["s"], "$or": [{"a": ["1"]}, {"b": {"$or": [{"c": ["2"]}, {"d": ["3"]}]}}]}"#;
    assert!(m(p, r#"{"source": "s", "a": "1"}"#));
    assert!(m(p, r#"{"source": "s", "b": {"d": "3"}}"#));
    assert!(!m(p, r#"{"source": "t", "a": "1"}"#));
    assert!(!m(p, r#"{"source": "s", "b": {"e": "3"}}"#));
    // `$or` as an ordinary field name.
    let p = r#"{"$or": [{"numeric": [">", 5]}, {"prefix": "a"}]}"#;
    assert!(m(p, r#"{"$or": 6}"#));
    assert!(m(p, r#"{"$or": "abc"}"#));
    assert!(!m(p, r#"{"$or": 1}"#));
}

#[test]
fn bad_events_are_errors() {
    let p = Pattern::parse(r#"{"a": ["x"]}"#).unwrap();
    let e = reference::matches(&p, r#"{"a": "#).unwrap_err();
    assert!(e.is_event());
    assert_eq!(e.message(), "EOF while parsing a value");
    assert!(reference::matches(&p, "[1]").unwrap_err().is_event());
    let deep = format!(
        r#"{{"a": {}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(reference::matches(&p, &deep).is_err());
}
