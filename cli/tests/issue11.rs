//! End-to-end tests of the CLI items of issue 11 ("the CLI as a newcomer
//! meets it"): snippets on huge lines, bad events as errors, `evrule test`
//! going on past a broken suite, `match` totals and positions, exit codes,
//! and the smaller points. Each test pins a message or an exit code.

use crate::support::{evrule, fixture, gzip, run_in};

// ---- item 3: snippets on huge lines ----

/// One pattern on one line of about 300 KB, with an error near its end.
fn huge_line_pattern() -> String {
    format!(
        "{{\"source\": [\"{}\"], \"detail\": {{\"x\": [{{\"numeric\": [\">\", \"ten\"]}}]}}}}\n",
        "a".repeat(300_000)
    )
}

#[test]
fn check_shows_a_window_of_a_huge_line() {
    let dir = fixture(&[("big.json", huge_line_pattern().as_bytes())]);
    let r = run_in(
        dir.path(),
        &["check", "--max-pattern-len", "1000000", "big.json"],
        b"",
    );
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "big.json:1:300054: error[big]: Value of > must be numeric"
    );
    assert_eq!(
        lines[2],
        format!(
            "1 | …{}\"], \"detail\": {{\"x\": [{{\"numeric\": [\">\", \"ten\"]}}]}}}}",
            "a".repeat(51)
        )
    );
    // The caret stands under the value, as on a short line (column
    // 300054 is the `t` of "ten").
    let caret = lines[3].chars().position(|c| c == '^').unwrap();
    let under: String = lines[2].chars().skip(caret - 1).take(5).collect();
    assert_eq!(under, "\"ten\"");
    assert!(r.stdout.len() < 600, "{} bytes", r.stdout.len());
    // Machine formats keep the full column.
    let r = run_in(
        dir.path(),
        &[
            "check",
            "--max-pattern-len",
            "1000000",
            "--format",
            "github",
            "big.json",
        ],
        b"",
    );
    assert_eq!(
        r.stdout,
        "::error file=big.json,line=1,col=300054::[big] Value of > must be numeric\n"
    );
}

#[test]
fn snippet_caret_with_tabs_and_multibyte_characters_in_a_long_line() {
    // A YAML rule file whose pattern line is long, with a tab before the
    // error and multi-byte characters before and after it.
    let line = format!(
        "  - name: r\n    pattern: {{\"source\": [\"{}\"],\t\"détail\": {{\"x\": [{{\"numeric\": [\">\", \"日本\"]}}]}}, \"y\": [\"{}\"]}}\n",
        "é".repeat(400),
        "ß".repeat(400)
    );
    let text = format!("rules:\n{line}");
    let dir = fixture(&[("rules.yaml", text.as_bytes())]);
    let r = run_in(dir.path(), &["check", "rules.yaml"], b"");
    assert_eq!(r.code, 1, "{}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("rules.yaml:3:"), "{}", lines[0]);
    let shown = lines[2].strip_prefix("3 | ").unwrap();
    let pad = lines[3].strip_prefix("  | ").unwrap();
    assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    assert!(pad.contains('\t'), "the tab is kept in the padding");
    // Every shown character is one column wide but `日本` (after the
    // caret): the caret's character is the one at the pad's length.
    let at = pad.trim_end_matches('^').chars().count();
    assert_eq!(shown.chars().nth(at), Some('"'));
    assert_eq!(shown.chars().skip(at).take(3).collect::<String>(), "\"日本");
    assert!(shown.chars().count() <= 102);
}

#[test]
fn match_refusing_a_rule_shows_the_same_window() {
    let dir = fixture(&[
        ("big.json", huge_line_pattern().as_bytes()),
        ("ev.json", b"{}"),
    ]);
    let r = run_in(dir.path(), &["match", "-r", "big.json", "ev.json"], b"");
    assert_eq!(r.code, 2);
    // Pattern too long for the default limit: the caret at column 2049.
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "big.json:1:2049: error[big]: pattern length 300063 characters exceeds the limit of 2048 characters"
    );
    assert_eq!(lines[2], format!("1 | …{}…", "a".repeat(100)));
    assert_eq!(lines[3], format!("  | {}^", " ".repeat(41)));
}

// ---- item 4: a bad event line is an error ----

const RULE: &[u8] = br#"{"source": ["a"]}"#;
const EVENTS: &[u8] = b"{\"source\": \"a\"}\n{\"source\": \n{\"source\": \"b\"}\n[1]\n";

#[test]
fn match_goes_on_past_bad_lines_then_exits_2() {
    let dir = fixture(&[("r.json", RULE), ("ev.ndjson", EVENTS)]);
    let r = run_in(dir.path(), &["match", "-r", "r.json", "ev.ndjson"], b"");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "ev.ndjson:1: r\nev.ndjson:2: (invalid event)\nev.ndjson:3: (no match)\nev.ndjson:4: (invalid event)\n"
    );
    assert_eq!(
        r.stderr,
        "evrule: ev.ndjson:2:12: invalid event: EOF while parsing a value\n\
         evrule: ev.ndjson:4:1: invalid event: an event must be a JSON object\n"
    );
    // Good events alone: 0 (matched) or 1 (none matched), as before.
    let r = run_in(
        dir.path(),
        &["match", "-r", "r.json", "-"],
        b"{\"source\": \"b\"}\n",
    );
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
}

#[test]
fn match_count_states_invalid_events_and_json_gives_positions() {
    let dir = fixture(&[("r.json", RULE), ("ev.ndjson", EVENTS)]);
    let r = run_in(
        dir.path(),
        &["match", "-r", "r.json", "--count", "ev.ndjson"],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "r\t1\n4 events read, 1 matched, 2 invalid\n");
    let r = run_in(
        dir.path(),
        &["match", "-r", "r.json", "--format", "json", "ev.ndjson"],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "{\"event\": 0, \"file\": \"ev.ndjson\", \"line\": 1, \"rules\": [\"r\"]}\n\
         {\"event\": 1, \"file\": \"ev.ndjson\", \"line\": 2, \"error\": \"EOF while parsing a value\", \"error_line\": 2, \"error_column\": 12}\n\
         {\"event\": 2, \"file\": \"ev.ndjson\", \"line\": 3, \"rules\": []}\n\
         {\"event\": 3, \"file\": \"ev.ndjson\", \"line\": 4, \"error\": \"an event must be a JSON object\", \"error_line\": 4, \"error_column\": 1}\n"
    );
}

#[test]
fn match_help_documents_bad_events() {
    let r = evrule(&["match", "--help"]);
    assert!(r
        .stdout
        .contains("`FILE:LINE:COLUMN: invalid event: REASON`, at the place of the problem\nin the file; the other events are still matched, and the run ends with\nexit code 2."));
}

#[test]
fn explain_reads_every_input_match_reads() {
    let one = br#"{"source": "a"}"#;
    let dir = fixture(&[
        ("r.json", RULE),
        ("ev/1.json", one),
        ("ev/2.ndjson.gz", &gzip(b"{\"source\": \"b\"}\n{\"source\": \"a\"}\n")),
        ("p.yaml", b"Parameters:\n  S: {Type: String}\nResources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {source: [!Ref S]}\n"),
    ]);
    let r = run_in(dir.path(), &["explain", "-r", "r.json", "ev"], b"");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(
        r.stdout,
        "event ev/1.json:1\nrule r: match\n  source: [\"a\"]\n    event has \"a\" -> equals \"a\" ✓\n\
         \nevent ev/2.ndjson.gz:1\nrule r: no match\n  source: [\"a\"]\n    event has \"b\" -> is not \"a\"\n\
         \nevent ev/2.ndjson.gz:2\nrule r: match\n  source: [\"a\"]\n    event has \"a\" -> equals \"a\" ✓\n"
    );
    // One event: no header, as before. Standard input, short flags.
    let r = run_in(
        dir.path(),
        &["explain", "-r", "p.yaml", "-p", "S=a", "-"],
        one,
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(
        r.stdout,
        "rule R: match\n  source: [\"a\"]\n    event has \"a\" -> equals \"a\" ✓\n"
    );
    // JSON names each event's index, file and line.
    let r = run_in(
        dir.path(),
        &[
            "explain",
            "-r",
            "r.json",
            "--format",
            "json",
            "ev/2.ndjson.gz",
        ],
        b"",
    );
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (
            &lines[1]["event"],
            &lines[1]["event_file"],
            &lines[1]["event_line"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!("ev/2.ndjson.gz"),
            &serde_json::json!(2)
        )
    );
}

#[test]
fn explain_goes_on_past_bad_lines_then_exits_2() {
    let dir = fixture(&[("r.json", RULE), ("ev.ndjson", EVENTS)]);
    let r = run_in(dir.path(), &["explain", "-r", "r.json", "ev.ndjson"], b"");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: ev.ndjson:2:12: invalid event: EOF while parsing a value\n\
         evrule: ev.ndjson:4:1: invalid event: event is not a JSON object\n"
    );
    let headers: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("event "))
        .collect();
    assert_eq!(headers, ["event ev.ndjson:1", "event ev.ndjson:3"]);
}

// ---- evrule test: one broken suite does not stop the others ----

fn suites_fixture() -> tempfile::TempDir {
    fixture(&[
        (
            "good.yaml",
            b"rules:\n  - name: r\n    pattern: {source: [a]}\ncases:\n  - name: a matches\n    event: {source: a}\n    expect: [r]\n  - name: broken event\n    event: '{\"source\": '\n    expect: []\n",
        ),
        (
            "broken.yaml",
            b"rules:\n  - name: r\n    pattern: {source: [a]}\ncases:\n  - name: c\n    event: {source: a}\n    expect: [nope]\n",
        ),
        (
            "fails.yaml",
            b"rules:\n  - name: r\n    pattern: {source: [a]}\ncases:\n  - name: b does not match\n    event: {source: b}\n    expect: [r]\n",
        ),
    ])
}

#[test]
fn test_runs_every_suite_and_reports_broken_ones() {
    let dir = suites_fixture();
    let r = run_in(
        dir.path(),
        &[
            "test",
            "--junit",
            "report.xml",
            "good.yaml",
            "broken.yaml",
            "fails.yaml",
        ],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: broken.yaml:5: case `c` expects unknown rule `nope`\n\
         evrule: good.yaml:9:24: case `broken event`: invalid event: EOF while parsing a value\n"
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "suite good.yaml");
    assert_eq!(lines[1], "  ok    a matches");
    assert_eq!(lines[2], "  ERROR broken event");
    assert_eq!(lines[4], "suite fails.yaml");
    assert_eq!(lines[5], "  FAIL  b does not match");
    assert!(r.stdout.contains(
        "suite broken.yaml\n  ERROR the suite could not run\n    broken.yaml:5: case `c` expects unknown rule `nope`\n"
    ));
    assert!(
        r.stdout.ends_with("1 passed, 1 failed, 2 errors\n"),
        "{}",
        r.stdout
    );
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    assert!(xml.contains("<testsuites name=\"evrule\" tests=\"4\" failures=\"1\" errors=\"2\">"));
    assert!(xml.contains(
        "<testsuite name=\"broken.yaml\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
         <testcase classname=\"broken.yaml\" name=\"(suite)\" file=\"broken.yaml\">\n      \
         <error message=\"broken.yaml:5: case `c` expects unknown rule `nope`\" type=\"suite-error\">"
    ), "{xml}");
    assert!(xml.contains("<error message=\"good.yaml:9:24: case `broken event`: invalid event: EOF while parsing a value\" type=\"invalid-event\">"), "{xml}");
    // JSON: the broken suite and the errored case carry `error`.
    let r = run_in(
        dir.path(),
        &["test", "--format", "json", "broken.yaml", "fails.yaml"],
        b"",
    );
    assert_eq!(r.code, 2);
    let last: Vec<&str> = r.stdout.lines().rev().take(2).collect();
    assert_eq!(last[0], "{\"passed\": 0, \"failed\": 1, \"errors\": 1}");
    assert_eq!(
        last[1],
        "{\"suite\": \"broken.yaml\", \"error\": \"broken.yaml:5: case `c` expects unknown rule `nope`\"}"
    );
}

#[test]
fn test_writes_the_report_even_when_no_suite_can_run() {
    let dir = suites_fixture();
    let r = run_in(
        dir.path(),
        &[
            "test",
            "--junit",
            "report.xml",
            "broken.yaml",
            "missing.yaml",
        ],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: broken.yaml:5: case `c` expects unknown rule `nope`\n\
         evrule: missing.yaml: no such file or directory\n"
    );
    assert!(r.stdout.ends_with("0 passed, 0 failed, 2 errors\n"));
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    assert!(
        xml.contains("tests=\"2\" failures=\"0\" errors=\"2\""),
        "{xml}"
    );
    assert!(xml.contains(
        "<error message=\"missing.yaml: no such file or directory\" type=\"suite-error\">"
    ));
}

// ---- exit codes, one rule ----

#[test]
fn check_syntax_errors_are_findings_exit_1() {
    let r = evrule(&["check", "testdata/rules-invalid/trailing-comma.json"]);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
    assert_eq!(
        r.stdout,
        "testdata/rules-invalid/trailing-comma.json:4:3: error: invalid JSON: trailing comma\n  \
         |\n\
         4 |   ]\n  \
         |   ^\n\
         checked 0 rules: 1 error, 0 warnings, 0 notes\n"
    );
    let r = evrule(&["check", "--format", "sarif", "testdata/rules-invalid"]);
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|r| r["ruleId"] == "syntax-error"));
    assert_eq!(results[0]["message"]["text"], "rule has no `name`");
    // A file that cannot be read at all is still an error.
    let r = evrule(&["check", "no/such.json"]);
    assert_eq!(r.code, 2);
}

#[test]
fn top_level_help_documents_test_event_patterns_exit_codes() {
    let r = evrule(&["--help"]);
    assert!(
        r.stdout.contains(
            "`test-event-pattern` uses the AWS CLI's codes instead: 0 answered,\n252 bad usage, 254 invalid pattern or event."
        ),
        "{}",
        r.stdout
    );
}

// ---- smaller points ----

#[test]
fn sample_time_must_be_rfc_3339() {
    let r = evrule(&["sample", "object-created", "--time", "yesterday"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            2,
            "",
            "evrule: --time: `yesterday` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)\n"
        )
    );
    let r = evrule(&["sample", "object-created", "--time", "2024-02-30T00:00:00Z"]);
    assert_eq!(r.code, 2);
    let r = evrule(&[
        "sample",
        "object-created",
        "--time",
        "2024-05-01T12:00:00+02:00",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"time\": \"2024-05-01T12:00:00+02:00\""));
}

#[test]
fn completions_offer_the_sample_kinds() {
    // (clap_complete's fish script completes no positional values.)
    for shell in ["bash", "zsh"] {
        let r = evrule(&["completions", shell]);
        assert_eq!(r.code, 0);
        for kind in [
            "object-created",
            "cloudtrail",
            "apigw-putevents",
            "s3-legacy",
        ] {
            assert!(r.stdout.contains(kind), "{shell}: {kind}");
        }
    }
    // A detail-type is still accepted as a kind.
    let r = evrule(&["sample", "Object Created"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A YAML flow collection left open is reported where it opened (where the
/// fix goes), once; an error inside a well-formed multi-line one stays put.
#[test]
fn yaml_errors_point_where_the_unclosed_construct_opened() {
    let t = fixture(&[
        (
            "open.yaml",
            b"rules:\n  - name: a\n    pattern: {\"source\": [\"a\"]\n  - name: b\n",
        ),
        (
            "comma.yaml",
            b"rules:\n  - name: a\n    pattern: {\n      \"source\": [\"a\"]\n      \"region\": [\"b\"]\n    }\n",
        ),
    ]);
    let r = run_in(t.path(), &["check", "open.yaml"], b"");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(
            "open.yaml:3:14: error: invalid YAML: this flow mapping `{` is never closed (invalid indentation)\n"
        ),
        "{}",
        r.stdout
    );
    let r = run_in(t.path(), &["check", "comma.yaml"], b"");
    assert!(
        r.stdout
            .starts_with("comma.yaml:5:7: error: invalid YAML: while parsing a flow mapping"),
        "{}",
        r.stdout
    );
}

// ---- one location per error: a bad event at its place in the file ----

#[test]
fn explain_of_an_array_on_stdin_reports_each_element_where_it_starts() {
    let dir = fixture(&[("r.json", br#"{"source": ["a"]}"#)]);
    let r = run_in(dir.path(), &["explain", "--rules", "r.json"], b"[1, 2]");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: <stdin>:1:2: invalid event: event is not a JSON object\n\
         evrule: <stdin>:1:5: invalid event: event is not a JSON object\n"
    );
}

#[test]
fn match_reports_a_bad_array_element_at_its_line_and_column() {
    // The second element is broken at its `}` (column 30); the third
    // starts a line after a tab and has a bad literal (column 8).
    let events = "[{\"source\": \"a\"}, {\"source\": },\n\t{\"x\": tru}]\n";
    let dir = fixture(&[
        ("r.json", br#"{"source": ["a"]}"#),
        ("ev.json", events.as_bytes()),
    ]);
    let r = run_in(dir.path(), &["match", "--rules", "r.json", "ev.json"], b"");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "ev.json:1: r\nev.json:1: (invalid event)\nev.json:2: (invalid event)\n"
    );
    assert_eq!(
        r.stderr,
        "evrule: ev.json:1:30: invalid event: expected value\n\
         evrule: ev.json:2:8: invalid event: expected value\n"
    );
    let r = run_in(
        dir.path(),
        &["match", "--rules", "r.json", "--format", "json", "ev.json"],
        b"",
    );
    assert!(r.stdout.contains(
        "{\"event\": 1, \"file\": \"ev.json\", \"line\": 1, \"error\": \"expected value\", \"error_line\": 1, \"error_column\": 30}\n"
    ), "{}", r.stdout);
}

#[test]
fn test_reports_a_bad_event_where_it_is_written() {
    let suite = "rules:\n  - name: r\n    pattern: {source: [a]}\ncases:\n  - name: block\n    event: |\n      {\"source\": \"a\",\n       \"x\": nul}\n    expect: []\n  - name: file\n    event_file: ev.json\n    expect: []\n";
    let dir = fixture(&[
        ("suite.yaml", suite.as_bytes()),
        ("ev.json", b"{\n  \"source\": [1,]\n}\n"),
    ]);
    let r = run_in(dir.path(), &["test", "suite.yaml"], b"");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: suite.yaml:8:13: case `block`: invalid event: expected value\n\
         evrule: ev.json:2:16: case `file` of suite.yaml: invalid event: trailing comma\n"
    );
}

#[test]
fn route_reports_a_bad_event_at_its_place_in_an_array_file() {
    let dir = fixture(&[
        (
            "bus.yaml",
            b"rules:\n  - {Name: r, EventPattern: {source: [a]}, Targets: [{Id: f, Arn: F}]}\ndestinations:\n  F: file:f.ndjson\n",
        ),
        ("ev.json", b"[{\"source\": \"a\"},\n  {\"source\": \"a\",}, 7]\n"),
    ]);
    let r = run_in(
        dir.path(),
        &["route", "--config", "bus.yaml", "ev.json"],
        b"",
    );
    assert_eq!(r.code, 2);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("evrule:"))
        .collect();
    assert_eq!(
        errors,
        [
            "evrule: ev.json:2:18: trailing comma (skipped)",
            "evrule: ev.json:2:21: an event must be a JSON object (skipped)",
        ]
    );
}
