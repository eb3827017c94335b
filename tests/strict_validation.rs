//! Strict mode against serde_json on events large enough for the block
//! validator (values skipped 64 bytes at a time, strings and numbers
//! across block boundaries, nesting), valid and then damaged.
//!
//! - strict's accept/reject verdict equals serde_json's: the bytes parse
//!   into `serde::de::IgnoredAny`, are UTF-8 and are an object (strict
//!   mode's definition of an event; a generated event nests far less than
//!   the depth limit, and duplicate keys are valid for both);
//! - on accepted events, each rule's answer equals the reference
//!   evaluator's.
//!
//! The rules read a few fields (`a`, `b.c`, `d`) so that most of every
//! event is skipped, which is where the block validator runs. The SIMD
//! kernels against the portable one are tested in `src/event/validate.rs`.

use evrule::{reference, Matcher, Pattern};
use proptest::prelude::*;

use crate::support::{apply_edits, is_valid_event, proptest_config as config};

const RULES: &[&str] = &[
    r#"{"a": ["x", "é"]}"#,
    r#"{"b": {"c": [{"numeric": [">", 0]}]}}"#,
    r#"{"d": [{"exists": true}]}"#,
    r#"{"a": [{"prefix": "x"}], "d": [{"exists": false}]}"#,
];

fn setup() -> &'static (Matcher, Vec<Pattern>) {
    static SETUP: std::sync::OnceLock<(Matcher, Vec<Pattern>)> = std::sync::OnceLock::new();
    SETUP.get_or_init(|| {
        let mut m = Matcher::new();
        for (i, r) in RULES.iter().enumerate() {
            m.add(&format!("r{i}"), r).unwrap();
        }
        (
            m,
            RULES.iter().map(|r| Pattern::parse(r).unwrap()).collect(),
        )
    })
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("null".to_string()),
        3 => Just("true".to_string()),
        3 => Just("\"x\"".to_string()),
        6 => Just("-122.41832855446205".to_string()),
        6 => any::<f64>().prop_map(|f| format!("{f:e}")),
        6 => any::<i64>().prop_map(|i| i.to_string()),
        6 => (0u32..1000, 0u32..100000).prop_map(|(a, b)| format!("{a}.{b}")),
        6 => "[ -~]{0,30}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        6 => "\\PC{0,8}[\t\n\\\\\"\u{1}]{0,2}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        // Number-like runs, mostly invalid: rare, or few events are valid.
        1 => "-?[0-9.eE+-]{1,8}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    leaf().prop_recursive(6, 96, 10, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..10)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(("[a-e]|[a-z\\[{\":]{0,6}|b\\.c", inner), 0..8).prop_map(
                |v| {
                    let m: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("{}: {v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{{}}}", m.join(",\n "))
                }
            ),
        ]
    })
}

/// An event: an object of a few keys (the rules' and others) whose values
/// are nested values; then 0-3 edits (cut, replace, insert, delete).
fn event_bytes() -> impl Strategy<Value = Vec<u8>> {
    let member = ("[a-e]|zz|b", value());
    let edit = (any::<prop::sample::Index>(), any::<u8>(), 0u8..4);
    (
        proptest::collection::vec(member, 0..6),
        proptest::collection::vec(edit, 0..3),
    )
        .prop_map(|(members, edits)| {
            let m: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            let mut b = format!("{{{}}}", m.join(",")).into_bytes();
            apply_edits(&mut b, edits);
            b
        })
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (m, patterns) = setup();
    let valid = is_valid_event(bytes);
    let got = m.matches(bytes);
    prop_assert_eq!(
        got.is_ok(),
        valid,
        "strict {:?} but serde_json says valid = {} for {:?}",
        got,
        valid,
        String::from_utf8_lossy(bytes)
    );
    let Ok(got) = got else { return Ok(()) };
    let text = std::str::from_utf8(bytes).unwrap();
    for (i, p) in patterns.iter().enumerate() {
        let want = reference::matches(p, text).unwrap();
        prop_assert_eq!(
            got.iter().any(|n| *n == format!("r{i}")),
            want,
            "rule {} on {}",
            RULES[i],
            text
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn strict_verdict_and_matches_agree_with_serde_and_reference(bytes in event_bytes()) {
        check(&bytes)?;
    }
}

/// The generator is worth something only if both verdicts and matches
/// occur, and events are long enough for several blocks.
#[test]
fn generator_makes_long_valid_and_invalid_events() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut valid, mut long, mut matched) = (0, 0, 0);
    let (m, _) = setup();
    for _ in 0..500 {
        let b = event_bytes().new_tree(&mut runner).unwrap().current();
        if is_valid_event(&b) {
            valid += 1;
            if !m.matches(&b).unwrap().is_empty() {
                matched += 1;
            }
        }
        if b.len() > 192 {
            long += 1;
        }
    }
    eprintln!("valid {valid}/500, long {long}/500, matched {matched}");
    assert!((100..450).contains(&valid), "valid {valid}/500");
    assert!(long > 100, "long {long}/500");
    assert!(matched > 10, "matched {matched}");
}

/// Bytes and escapes the reference must judge as JSON does: invalid
/// UTF-8, a surrogate written as UTF-8, a lone surrogate escape (which
/// serde_json's `IgnoredAny` would let through unchecked).
#[test]
fn reference_and_strict_agree_on_strings_json_forbids() {
    for (b, valid) in [
        (&b"{\"a\":\"\xff\"}"[..], false),
        (b"{\"a\":\"\xc3\xa9\"}", true),
        (b"{\"a\":[\"\xed\xa0\x80\"]}", false),
        (b"{\"a\":\"\\ud800\"}", false),
        (b"{\"a\":\"\\ud83d\\ude00\"}", true),
    ] {
        assert_eq!(is_valid_event(b), valid, "{b:?}");
        assert_eq!(setup().0.matches(b).is_ok(), valid, "{b:?}");
    }
}

/// Objects of scalar members take a short way in the scanner (one step per
/// `"key": scalar` member, anything unusual handed to the general way at
/// that member). Every single-byte deletion, and every replacement by a
/// byte that matters to JSON, of events made of such members: the verdict
/// and the matches still agree with serde_json and the reference.
#[test]
fn flat_members_damaged_at_every_byte() {
    let events = [
        r#"{"a":"x","zz":-122.41832855446205,"b":{"c":1.5e3,"q":true,"r":null},"d":"é"}"#,
        r#"{ "a" : "xy" , "b" : { "c" : 0 , "n" : false } , "e" : [ {"c": 2} ] }"#,
    ];
    let bytes: &[u8] = b"\"\\:,{}[] 0-.eE+1tfnx\x01\x7f\xc3\xff";
    let mut cases = 0;
    for e in events {
        check(e.as_bytes()).unwrap();
        let e = e.as_bytes();
        for at in 0..e.len() {
            let mut cut = e.to_vec();
            cut.remove(at);
            check(&cut).unwrap();
            for &b in bytes {
                let mut v = e.to_vec();
                v[at] = b;
                check(&v).unwrap();
                cases += 1;
            }
        }
    }
    assert!(cases > 2000, "{cases}");
}

/// serde_json calls a number with a huge exponent "out of range", and the
/// test oracle writes such numbers `0` before judging; it must not join
/// what follows into a valid number (found by the proptest above).
#[test]
fn out_of_range_numbers_followed_by_number_characters_stay_invalid() {
    for e in [
        r#"{"a": -3.5e2456732285827e277}"#,
        r#"{"a": 1e400.5}"#,
        r#"{"a": 1e99999999999999999999-1}"#,
    ] {
        assert!(!is_valid_event(e.as_bytes()), "{e}");
        check(e.as_bytes()).unwrap();
    }
    assert!(is_valid_event(
        br#"{"a": 1e400, "b": -1e99999999999999999999}"#
    ));
}
