//! Pins every reason a pattern can be rejected for, a sample of exact
//! positions, and the behaviour on hostile input.

use evrule::{Limits, Pattern};

/// (pattern, reason, JSON pointer)
const REASONS: &[(&str, &str, &str)] = &[
    // Structure.
    (r#"{"a": 1}"#, r#""a" must be an object or an array"#, "/a"),
    (r#"{"a": {"b.c": null}}"#, r#""b.c" must be an object or an array"#, "/a/b.c"),
    (r#"{"a": []}"#, "Empty arrays are not allowed", "/a"),
    (r#"{"a": {}}"#, "Empty objects are not allowed", "/a"),
    ("{}", "Empty objects are not allowed", ""),
    ("[]", "Filter is not an object", ""),
    (r#""x""#, "Filter is not an object", ""),
    (r#"{"a": [[1]]}"#, "Match value must be String, number, true, false, or null", "/a/0"),
    (r#"{"a": [{}]}"#, "Match expression name not found", "/a/0"),
    (r#"{"a": [{"NUMERIC": ["=", 5]}]}"#, "Unrecognized match type NUMERIC", "/a/0/NUMERIC"),
    (r#"{"a": [{"$or": [{"prefix": "a"}, {"suffix": "b"}]}]}"#, "Unrecognized match type $or", "/a/0/$or"),
    (r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#, "Only one key allowed in match expression", "/a/0/suffix"),
    (r#"{"a": [{"exists": true, "prefix": "y"}]}"#, "Only one key allowed in match expression", "/a/0/prefix"),
    // Operator values.
    (r#"{"a": [{"prefix": 1}]}"#, "prefix match pattern must be a string", "/a/0/prefix"),
    (r#"{"a": [{"suffix": ["x"]}]}"#, "suffix match pattern must be a string", "/a/0/suffix"),
    (r#"{"a": [{"equals-ignore-case": null}]}"#, "equals-ignore-case match pattern must be a string", "/a/0/equals-ignore-case"),
    (r#"{"a": [{"prefix": {"equals-ignore-case": 5}}]}"#, "equals-ignore-case match pattern must be a string", "/a/0/prefix/equals-ignore-case"),
    (r#"{"a": [{"wildcard": true}]}"#, "wildcard match pattern must be a string", "/a/0/wildcard"),
    (r#"{"a": [{"exactly": 5}]}"#, "exact match pattern must be a string", "/a/0/exactly"),
    (r#"{"a": [{"cidr": 10}]}"#, "prefix match pattern must be a string", "/a/0/cidr"),
    (r#"{"a": [{"prefix": {}}]}"#, "Prefix expression name not found", "/a/0/prefix"),
    (r#"{"a": [{"suffix": {}}]}"#, "Suffix expression name not found", "/a/0/suffix"),
    (r#"{"a": [{"prefix": {"wildcard": "a*"}}]}"#, "Unsupported prefix pattern: wildcard", "/a/0/prefix/wildcard"),
    (r#"{"a": [{"suffix": {"wildcard": "*"}}]}"#, "Unsupported suffix pattern: wildcard", "/a/0/suffix/wildcard"),
    (r#"{"a": [{"exists": null}]}"#, "exists match pattern must be either true or false.", "/a/0/exists"),
    // Wildcards.
    (r#"{"a": [{"wildcard": "ab**"}]}"#, "Consecutive wildcard characters at pos 3", "/a/0/wildcard"),
    (r#"{"a": [{"wildcard": "café**"}]}"#, "Consecutive wildcard characters at pos 6", "/a/0/wildcard"),
    (r#"{"a": [{"wildcard": "C:\\temp"}]}"#, "Invalid escape character at pos 3", "/a/0/wildcard"),
    (r#"{"a": [{"wildcard": "x\\"}]}"#, "Invalid escape character at pos 2", "/a/0/wildcard"),
    (
        r#"{"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#,
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
        "/a/0/wildcard",
    ),
    // Numeric.
    (r#"{"a": [{"numeric": 10}]}"#, "Value of numeric must be an array.", "/a/0/numeric"),
    (r#"{"a": [{"numeric": []}]}"#, "Invalid member in numeric match: ]", "/a/0/numeric"),
    (r#"{"a": [{"numeric": [[">", 5]]}]}"#, "Invalid member in numeric match: [", "/a/0/numeric/0"),
    (r#"{"a": [{"numeric": [5]}]}"#, "Invalid member in numeric match: 5", "/a/0/numeric/0"),
    (r#"{"a": [{"numeric": ["==", 5]}]}"#, "Unrecognized numeric range operator: ==", "/a/0/numeric/0"),
    (r#"{"a": [{"numeric": [">", "5"]}]}"#, "Value of > must be numeric", "/a/0/numeric/1"),
    (r#"{"a": [{"numeric": [">="]}]}"#, "Value of >= must be numeric", "/a/0/numeric/1"),
    (r#"{"a": [{"numeric": ["=", null]}]}"#, "Value of equals must be numeric", "/a/0/numeric/1"),
    (r#"{"a": [{"numeric": [">", 0, "<"]}]}"#, "Value of < must be numeric", "/a/0/numeric/3"),
    (r#"{"a": [{"numeric": [">", 0, ">", 0]}]}"#, "Bad numeric range operator: >", "/a/0/numeric/2"),
    (r#"{"a": [{"numeric": [">", 0, 10, "<"]}]}"#, "Bad value in numeric range: 10", "/a/0/numeric/2"),
    (r#"{"a": [{"numeric": ["=", 1, 2]}]}"#, "Too many elements in numeric expression", "/a/0/numeric/2"),
    (r#"{"a": [{"numeric": ["<=", 5, ">", 1]}]}"#, "Too many elements in numeric expression", "/a/0/numeric/2"),
    (r#"{"a": [{"numeric": [">", 0], "exists": true}]}"#, "Too many elements in numeric expression", "/a/0/exists"),
    (r#"{"a": [{"numeric": [">", 0, "<", 10, "<", 20]}]}"#, "Too many terms in numeric range expression", "/a/0/numeric/4"),
    (r#"{"a": [{"numeric": [">=", 5, "<=", 5e0]}]}"#, "Bottom must be less than top", "/a/0/numeric/3"),
    (r#"{"a": [{"numeric": [">", 1e400]}]}"#, "Cannot compare number : 1e400", "/a/0/numeric/1"),
    (r#"{"a": [{"numeric": ["=", 0.30000000000000001]}]}"#, "Cannot compare number : 0.30000000000000001", "/a/0/numeric/1"),
    (r#"{"a": [{"numeric": ["<", 1e999999]}]}"#, "Cannot compare number : 1e999999", "/a/0/numeric/1"),
    // anything-but.
    (r#"{"a": [{"anything-but": null}]}"#, "Value of anything-but must be an array or single string/number value.", "/a/0/anything-but"),
    (r#"{"a": [{"anything-but": {"suffix": true}}]}"#, "Value of anything-but must be an array or single string/number value.", "/a/0/anything-but/suffix"),
    (r#"{"a": [{"anything-but": {"prefix": {"equals-ignore-case": "a"}}}]}"#, "Value of anything-but must be an array or single string/number value.", "/a/0/anything-but/prefix"),
    (r#"{"a": [{"anything-but": ["a", 1]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported", "/a/0/anything-but"),
    (r#"{"a": [{"anything-but": []}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported", "/a/0/anything-but"),
    (r#"{"a": [{"anything-but": ["a", null]}]}"#, "Inside anything but list, start|null|boolean is not supported.", "/a/0/anything-but/1"),
    (r#"{"a": [{"anything-but": {"equals-ignore-case": 123}}]}"#, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.", "/a/0/anything-but/equals-ignore-case"),
    (r#"{"a": [{"anything-but": {"equals-ignore-case": ["x", 1]}}]}"#, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.", "/a/0/anything-but/equals-ignore-case/1"),
    (r#"{"a": [{"anything-but": {"prefix": 123}}]}"#, "prefix/suffix match pattern must be a string", "/a/0/anything-but/prefix"),
    (r#"{"a": [{"anything-but": {"suffix": [null, ".txt"]}}]}"#, "prefix/suffix match pattern must be a string", "/a/0/anything-but/suffix/0"),
    (r#"{"a": [{"anything-but": {"wildcard": [5]}}]}"#, "wildcard match pattern must be a string", "/a/0/anything-but/wildcard/0"),
    (r#"{"a": [{"anything-but": {"wildcard": ["*.png", "x**y"]}}]}"#, "Consecutive wildcard characters at pos 2", "/a/0/anything-but/wildcard/1"),
    (r#"{"a": [{"anything-but": {"prefix": ""}}]}"#, "Null prefix/suffix not allowed", "/a/0/anything-but/prefix"),
    (r#"{"a": [{"anything-but": {"suffix": ["x", ""]}}]}"#, "Null prefix/suffix not allowed", "/a/0/anything-but/suffix/1"),
    (r#"{"a": [{"anything-but": {"Prefix": "a"}}]}"#, "Unsupported anything-but pattern: Prefix", "/a/0/anything-but/Prefix"),
    (r#"{"a": [{"anything-but": {"numeric": [">", 5]}}]}"#, "Unsupported anything-but pattern: numeric", "/a/0/anything-but/numeric"),
    (r#"{"a": [{"anything-but": {}}]}"#, "Anything-But expression name not found", "/a/0/anything-but"),
    (r#"{"a": [{"anything-but": {"prefix": []}}]}"#, "Empty arrays are not allowed", "/a/0/anything-but/prefix"),
    (r#"{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}"#, "Too many elements in numeric expression", "/a/0/anything-but/suffix"),
    (r#"{"a": [{"anything-but": [1, 2], "exists": true}]}"#, "Too many elements in numeric expression", "/a/0/exists"),
    (r#"{"a": [{"anything-but": [1e400]}]}"#, "Cannot compare number : 1e400", "/a/0/anything-but/0"),
    (r#"{"a": [{"anything-but": 12345678901234567890}]}"#, "Cannot compare number : 12345678901234567890", "/a/0/anything-but"),
    // cidr.
    (r#"{"a": [{"cidr": "bad-filter"}]}"#, "Malformed CIDR, one '/' required", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "10.0.0.0/"}]}"#, "Malformed CIDR, one '/' required", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "bad-/64filter"}]}"#, "Malformed CIDR, mask bits must be an integer", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "10.0.0.0/-1"}]}"#, "Malformed CIDR, mask bits must not be negative", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "xx.11.xx/8"}]}"#, "Nonstandard IP address: xx.11.xx", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "/24"}]}"#, "Nonstandard IP address: ", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "999.1.1.1/8"}]}"#, "Invalid IP address: 999.1.1.1", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "10.0.0.0/32"}]}"#, "IPv4 mask bits must be < 32", "/a/0/cidr"),
    (r#"{"a": [{"cidr": "::/128"}]}"#, "IPv6 mask bits must be < 128", "/a/0/cidr"),
    // $or.
    (r#"{"$or": []}"#, "There must have at least 2 Objects in $or relationship.", "/$or"),
    (r#"{"a": {"$or": [{"b": ["1"]}]}}"#, "There must have at least 2 Objects in $or relationship.", "/a/$or"),
    (r#"{"$or": [{"b": ["1"]}, null]}"#, "Only JSON object is allowed in array of $or relationship.", "/$or/1"),
    (r#"{"$or": [{"b": {"=": ["x"]}}, {"c": ["1"]}]}"#, "= is Ruler reserved fieldName which cannot be used inside $or.", "/$or/0/b/="),
    (r#"{"$or": [{"b": []}, {"c": ["1"]}]}"#, "Empty arrays are not allowed", "/$or/0/b"),
    (r#"{"$or": [{}, {"c": ["1"]}]}"#, "Empty objects are not allowed", "/$or/0"),
];

#[test]
fn every_reason_is_pinned() {
    let mut wrong = Vec::new();
    for &(pattern, reason, path) in REASONS {
        match Pattern::parse(pattern) {
            Ok(_) => wrong.push(format!("accepted: {pattern}")),
            Err(e) => {
                if e.message() != reason || e.path() != path {
                    wrong.push(format!(
                        "{pattern}: got ({:?}, {:?}), want ({reason:?}, {path:?})",
                        e.message(),
                        e.path()
                    ));
                }
                assert!(
                    e.offset().is_some() && e.line().is_some() && e.column().is_some(),
                    "{pattern}"
                );
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// (pattern, path, offset, line, column)
const POSITIONS: &[(&str, &str, usize, usize, usize)] = &[
    (r#"{"a": 1}"#, "/a", 6, 1, 7),
    (
        r#"{"detail": {"size": [{"numeric": [">", "x"]}]}}"#,
        "/detail/size/0/numeric/1",
        40,
        1,
        41,
    ),
    ("{\n  \"a\": 1}", "/a", 9, 2, 8),
    (
        "{\n  \"a\": [\n    {\"NUMERIC\": [\"=\", 5]}\n  ]\n}",
        "/a/0/NUMERIC",
        17,
        3,
        7,
    ),
    ("{\"é\": {\"b\": []}}", "/é/b", 13, 1, 13),
    (
        r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#,
        "/a/0/numeric/3",
        33,
        1,
        34,
    ),
    (
        r#"{"a": [{"cidr": "10.0.0.0/33"}]}"#,
        "/a/0/cidr",
        17,
        1,
        18,
    ),
    (r#"{"a/b~c": 1}"#, "/a~1b~0c", 10, 1, 11),
];

#[test]
fn positions() {
    for &(pattern, path, offset, line, column) in POSITIONS {
        let e = Pattern::parse(pattern).unwrap_err();
        assert_eq!(
            (e.path(), e.offset(), e.line(), e.column()),
            (path, Some(offset), Some(line), Some(column)),
            "{pattern}: {e}"
        );
    }
}

#[test]
fn syntax_errors_have_serde_wording_and_positions() {
    for (text, message, column) in [
        (r#"{"a": ["x",]}"#, "trailing comma", 12),
        (r#"{"a" ["x"]}"#, "expected `:`", 6),
        (r#"{"a": ["x"]"#, "EOF while parsing an object", 12),
        (r#"{"a": ["x""#, "EOF while parsing a list", 11),
        (r#"{"a": [NaN]}"#, "expected value", 8),
        (r#"{"a": [Infinity]}"#, "expected value", 8),
        (r#"{"a": [+1]}"#, "expected value", 8),
        (r#"{"a": [01]}"#, "invalid number", 9),
        (r#"{"a": [1e]}"#, "invalid number", 10),
        (r#"{"a": [.5]}"#, "expected value", 8),
        (r#"{'a': ["x"]}"#, "key must be a string", 2),
        (r#"{"a": ["x"]} /* c */"#, "trailing characters", 14),
        (
            r#"{"a": ["\ud800"]}"#,
            "lone leading surrogate in hex escape",
            9,
        ),
        (r#"{"a": ["\q"]}"#, "invalid escape", 10),
        ("", "EOF while parsing a value", 1),
    ] {
        let e = Pattern::parse(text).unwrap_err();
        assert!(e.is_syntax(), "{text}");
        assert_eq!(
            (e.message(), e.line(), e.column()),
            (message, Some(1), Some(column)),
            "{text}"
        );
    }
}

#[test]
fn all_errors_are_collected_in_document_order() {
    let text = r#"{"a": [], "b": {"c": [{"prefix": 1}, {"numeric": [">", "x"]}], "d": 5}, "e": [{"wildcard": "a**"}]}"#;
    let errors = Pattern::parse_with(text, &Limits::new()).unwrap_err();
    let got: Vec<_> = errors.iter().map(|e| (e.message(), e.path())).collect();
    assert_eq!(
        got,
        [
            ("Empty arrays are not allowed", "/a"),
            ("prefix match pattern must be a string", "/b/c/0/prefix"),
            ("Value of > must be numeric", "/b/c/1/numeric/1"),
            (r#""d" must be an object or an array"#, "/b/d"),
            ("Consecutive wildcard characters at pos 2", "/e/0/wildcard"),
        ]
    );
    // `parse` returns the first of them.
    assert_eq!(Pattern::parse(text).unwrap_err().path(), "/a");
}

#[test]
fn limits_name_themselves() {
    let long = format!(r#"{{"a": ["{}"]}}"#, "é".repeat(2100));
    let e = Pattern::parse(&long).unwrap_err();
    assert_eq!(e.limit(), Some("pattern length"));
    assert_eq!(
        e.message(),
        "pattern length 2111 characters exceeds the limit of 2048 characters"
    );
    assert!(Pattern::parse_with(&long, &Limits::new().max_pattern_len(4096)).is_ok());

    let e = Pattern::parse(r#"{"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#).unwrap_err();
    assert_eq!(e.limit(), Some("wildcard complexity"));
    let relaxed = Limits::new().max_wildcard_complexity(11);
    assert!(Pattern::parse_with(
        r#"{"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#,
        &relaxed
    )
    .is_ok());
    assert!(
        Pattern::parse(r#"{"a": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}"#).is_ok()
    );
    assert!(Pattern::parse(
        r#"{"a": [{"anything-but": {"wildcard": ["x", "*:*:*:*:*:event-bus/*"]}}]}"#
    )
    .is_err());

    // 2^10 = 1024 sub-rules.
    let or = r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#;
    let mut text = String::from("{");
    for i in 0..10 {
        text.push_str(&format!(r#""k{i}": {or},"#));
    }
    text.push_str(r#""z": ["1"]}"#);
    let e = Pattern::parse_with(&text, &Limits::new().max_pattern_len(10_000)).unwrap_err();
    assert_eq!(e[0].limit(), Some("sub-rules"));
    assert_eq!(
        e[0].message(),
        "pattern has 1024 sub-rules from $or, more than the limit of 1000"
    );
    let p = Pattern::parse_with(
        &text,
        &Limits::new().max_pattern_len(10_000).max_sub_rules(1024),
    )
    .unwrap();
    assert_eq!(p.sub_rule_count(), 1024);

    assert!(Pattern::parse(r#"{"a": {"b": {"c": ["d"]}}}"#).is_ok());
    let e = Pattern::parse_with(r#"{"a": {"b": {"c": ["d"]}}}"#, &Limits::new().max_depth(3))
        .unwrap_err();
    assert_eq!(e[0].limit(), Some("nesting depth"));
    assert_eq!(e[0].message(), "nesting depth exceeds the limit of 3");
    assert_eq!(e[0].offset(), Some(18));
}

#[test]
fn or_is_an_ordinary_field_when_it_cannot_be_an_or_group() {
    for text in [
        r#"{"$or": [{"numeric": [">", 5]}, {"prefix": "a"}]}"#,
        r#"{"$or": ["a", "b"]}"#,
        r#"{"source": ["aws.s3"], "$or": {"detail": {"state": ["running"]}}}"#,
    ] {
        let p = Pattern::parse(text).unwrap();
        assert!(p.root().ors.is_empty(), "{text}");
        assert!(p.root().fields.iter().any(|f| f.key == "$or"), "{text}");
    }
    let p = Pattern::parse(r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#).unwrap();
    assert_eq!(p.root().ors.len(), 1);
    assert_eq!(p.root().ors[0].branches.len(), 2);
}

#[test]
fn hostile_inputs_never_panic() {
    // Truncated at every byte.
    let good = r#"{"detail": {"size": [{"numeric": [">", 0, "<=", 5]}], "ip": [{"cidr": "10.0.0.0/8"}], "$or": [{"a": ["\u00e9"]}, {"b": [{"wildcard": "x*y"}]}]}}"#;
    assert!(Pattern::parse(good).is_ok());
    for cut in 0..good.len() {
        if good.is_char_boundary(cut) {
            assert!(Pattern::parse(&good[..cut]).is_err(), "{cut}");
        }
    }
    // Invalid UTF-8.
    let e = Pattern::parse_bytes(b"{\"a\": [\"ok\", \"\xc3\x28\"]}").unwrap_err();
    assert!(e.is_syntax());
    assert_eq!(
        (e.message(), e.offset(), e.column()),
        ("invalid UTF-8", Some(14), Some(15))
    );
    assert!(Pattern::parse_bytes(br#"{"a": ["ok"]}"#).is_ok());
    // 100,000-deep nesting, within and beyond the length limit.
    let limits = Limits::new()
        .max_pattern_len(usize::MAX)
        .max_depth(usize::MAX);
    for deep in [
        "[".repeat(100_000),
        r#"{"a":"#.repeat(100_000),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    ] {
        assert!(Pattern::parse(&deep).is_err());
        let e = Pattern::parse_with(&deep, &limits).unwrap_err();
        assert_eq!(e[0].limit(), Some("nesting depth"));
    }
    // A 1 MB pattern: rejected by length, and fine when allowed.
    let mut big = String::from(r#"{"a": ["#);
    for i in 0..100_000 {
        big.push_str(&format!(r#""v{i:07}","#));
    }
    big.push_str(r#""end"]}"#);
    assert!(big.len() > 1_000_000);
    assert_eq!(
        Pattern::parse(&big).unwrap_err().limit(),
        Some("pattern length")
    );
    let p = Pattern::parse_with(&big, &Limits::new().max_pattern_len(usize::MAX)).unwrap();
    assert_eq!(p.root().fields.len(), 1);
    // Huge exponents.
    assert!(Pattern::parse(r#"{"a": [1e999999]}"#).is_ok());
    assert!(Pattern::parse(r#"{"a": [-1e999999999999999999999999]}"#).is_ok());
    assert!(Pattern::parse(r#"{"a": [{"anything-but": 1e999999}]}"#).is_err());
}

#[test]
fn public_types_are_thread_safe() {
    fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<Pattern>();
    check::<Limits>();
    check::<evrule::Error>();
    check::<evrule::Errors>();
}

#[test]
fn matcher_add_reports_every_problem_of_a_pattern() {
    let text = r#"{"a": [], "b": {"c": [{"prefix": 1}]}, "d": 5}"#;
    let all = Pattern::parse_with(text, &Limits::new()).unwrap_err();
    let mut m = evrule::Matcher::new();
    let err = m.add("r", text).unwrap_err();
    let mut got = vec![(err.message(), err.path(), err.rule())];
    got.extend(
        err.other_problems()
            .iter()
            .map(|e| (e.message(), e.path(), e.rule())),
    );
    let want: Vec<_> = all
        .iter()
        .map(|e| (e.message(), e.path(), Some("r")))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 3);
    // Display stays the first problem's line.
    assert_eq!(
        err.to_string(),
        "rule r: Empty arrays are not allowed at /a (line 1 column 7)"
    );
}

#[test]
fn io_errors_keep_their_source() {
    // An archive directory below a regular file cannot be created.
    let file = std::env::temp_dir().join(format!("evrule-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "x").unwrap();
    let config = evrule::route::ArchiveConfig::new();
    let err = evrule::route::Archive::open(file.join("archive"), config).unwrap_err();
    std::fs::remove_file(&file).unwrap();
    assert!(err.is_io(), "{err}");
    assert!(!err.is_syntax() && !err.is_pattern() && !err.is_routing() && !err.is_rule());
    let kind = err.io_error_kind().expect("an io::Error underneath");
    let source = std::error::Error::source(&err).expect("the io::Error is the source");
    assert_eq!(
        source.downcast_ref::<std::io::Error>().map(|e| e.kind()),
        Some(kind)
    );
    // Without an io::Error underneath there is no source and no io kind.
    let missing = std::env::temp_dir().join(format!("evrule-no-archive-{}", std::process::id()));
    let err = evrule::route::Archive::open_read_only(&missing).unwrap_err();
    assert!(err.is_io());
    assert_eq!(err.io_error_kind(), None);
    let err = Pattern::parse("{").unwrap_err();
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(err.io_error_kind(), None);
}
