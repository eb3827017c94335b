//! Helpers shared by the integration tests: the conformance cases, proptest
//! settings, and trusted mode's precondition (also used by the fuzz targets).

#![allow(dead_code)]

pub mod ijson;

use proptest::test_runner::Config as ProptestConfig;
use serde_json::Value;

/// The conformance files of `testdata/conformance/`, in the order tests
/// report them.
pub const CONFORMANCE_FILES: [&str; 4] = [
    "aws-recorded.jsonl",
    "ruler-correctness.jsonl",
    "generated-public.jsonl",
    "spec-examples.jsonl",
];

/// One match case of a conformance file: rules, events, and for each event
/// the names of the rules it matches.
pub struct MatchCase {
    pub file: &'static str,
    pub id: String,
    /// (rule name, exact pattern text).
    pub rules: Vec<(String, String)>,
    /// The exact event texts (where spellings matter, the recorded text).
    pub events: Vec<String>,
    pub expected: Vec<Vec<String>>,
}

/// Every case (validation and match) of one conformance file: its line,
/// and the line as serde_json reads it (numbers it cannot hold, `1e400`,
/// read as `0`: take patterns and events from the line with
/// [`exact_text`]). A few validation lines hold the non-JSON token
/// `Infinity`; they are left out here and read as text by the tests that
/// need them.
pub fn conformance_cases(file: &str) -> Vec<(String, Value)> {
    let path = format!("{}/testdata/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let v = serde_json::from_slice::<Value>(&ijson::numbers_in_range(l.as_bytes()));
            Some((l.to_string(), v.ok()?))
        })
        .collect()
}

/// The value at the JSON pointer `pointer` of the JSON text `text`, printed
/// as serde_json prints a `Value` (no whitespace, keys sorted, the last of
/// repeated keys kept) but with every number as written, its exponent
/// written `e+5`. Read with the library's reader: serde_json built without
/// `arbitrary_precision` would lose number spellings (issue 12).
pub fn exact_text(text: &str, pointer: &str) -> Option<String> {
    use evrule::json;
    let root = json::parse(text.as_bytes(), 512).ok()?;
    let mut at = &root;
    for key in pointer.split('/').skip(1) {
        at = match &at.value {
            json::Value::Object(m) => &m.iter().rev().find(|(k, _, _)| k == key)?.2,
            json::Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    fn print(out: &mut String, node: &json::Node) {
        match &node.value {
            json::Value::Null => out.push_str("null"),
            json::Value::Bool(b) => out.push_str(&b.to_string()),
            json::Value::Number(n) => match n.split_once(['e', 'E']) {
                Some((digits, exp)) => {
                    let sign = if exp.starts_with(['+', '-']) { "" } else { "+" };
                    out.push_str(&format!("{digits}e{sign}{exp}"));
                }
                None => out.push_str(n),
            },
            json::Value::String(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    print(out, item);
                }
                out.push(']');
            }
            json::Value::Object(members) => {
                let sorted: std::collections::BTreeMap<&str, &json::Node> =
                    members.iter().map(|(k, _, v)| (k.as_str(), v)).collect();
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    print(out, v);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    print(&mut out, at);
    Some(out)
}

/// Every match case of every conformance file.
pub fn match_cases() -> Vec<MatchCase> {
    let mut out = vec![];
    for file in CONFORMANCE_FILES {
        for (line, v) in conformance_cases(file) {
            let Some(rules) = v.get("rules").and_then(Value::as_array) else {
                continue;
            };
            let rules = rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let name = r["name"].as_str().unwrap().to_string();
                    let text = match r.get("pattern_text").and_then(Value::as_str) {
                        Some(t) => t.to_string(),
                        None => exact_text(&line, &format!("/rules/{i}/pattern")).unwrap(),
                    };
                    (name, text)
                })
                .collect();
            let events = match v.get("events_text").and_then(Value::as_array) {
                Some(ts) => ts.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
                None => (0..v["events"].as_array().unwrap().len())
                    .map(|i| exact_text(&line, &format!("/events/{i}")).unwrap())
                    .collect(),
            };
            let expected = v["expected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    l.as_array()
                        .unwrap()
                        .iter()
                        .map(|n| n.as_str().unwrap().to_string())
                        .collect()
                })
                .collect();
            out.push(MatchCase {
                file,
                id: v["id"].as_str().unwrap().to_string(),
                rules,
                events,
                expected,
            });
        }
    }
    out
}

/// Proptest settings: `default_cases` cases unless `PROPTEST_CASES` says
/// otherwise, and no failure files written into the source tree.
pub fn proptest_config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Whether `bytes` is one valid JSON object (the matcher's idea of an
/// event), by serde_json's `Value` (numbers it cannot hold read as `0`).
/// `Value`, not `IgnoredAny`: the latter skips `\uXXXX` escapes unchecked
/// and so accepts lone surrogates, which JSON text may not hold as UTF-8.
pub fn is_valid_event(bytes: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<Value>(&ijson::numbers_in_range(bytes)),
        Ok(Value::Object(_))
    )
}

/// Damage `b` by `edits`: at a position, 0 cuts there, 1 overwrites the
/// byte, 2 inserts it, 3 removes the byte there.
pub fn apply_edits(b: &mut Vec<u8>, edits: Vec<(proptest::sample::Index, u8, u8)>) {
    for (at, byte, kind) in edits {
        if b.is_empty() {
            b.push(byte);
            continue;
        }
        let i = at.index(b.len());
        match kind {
            0 => b.truncate(i),
            1 => b[i] = byte,
            2 => b.insert(i, byte),
            _ => {
                b.remove(i);
            }
        }
    }
}
