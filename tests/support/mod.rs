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

/// Every case (validation and match) of one conformance file, as JSON.
/// A few validation lines hold the non-JSON token `Infinity`; they are left
/// out here and read as text by the tests that need them.
pub fn conformance_cases(file: &str) -> Vec<Value> {
    let path = format!("{}/testdata/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// Every match case of every conformance file.
pub fn match_cases() -> Vec<MatchCase> {
    let mut out = vec![];
    for file in CONFORMANCE_FILES {
        for v in conformance_cases(file) {
            let Some(rules) = v.get("rules").and_then(Value::as_array) else {
                continue;
            };
            let rules = rules
                .iter()
                .map(|r| {
                    let name = r["name"].as_str().unwrap().to_string();
                    let text = match r.get("pattern_text").and_then(Value::as_str) {
                        Some(t) => t.to_string(),
                        None => r["pattern"].to_string(),
                    };
                    (name, text)
                })
                .collect();
            let events = match v.get("events_text").and_then(Value::as_array) {
                Some(ts) => ts.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
                None => v["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.to_string())
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
