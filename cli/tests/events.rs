//! End-to-end tests of the commands that take events: `match`, `bench`,
//! `test-event-pattern`, `sample` (and `completions`). Output is pinned
//! exactly where it is a contract (JSON lines, counts, the AWS CLI's
//! answers and exit codes). No timing is asserted.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use serde_json::Value;

use crate::support::{evrule, gzip, root, run_in};

const RULES: &str = r#"{"Rules": [
  {"Name": "ra", "EventPattern": {"source": ["a"]}},
  {"Name": "rb", "EventPattern": "{\"source\": [\"b\"]}"},
  {"Name": "any-x", "EventPattern": {"x": [{"exists": true}]}},
  {"Name": "off", "State": "DISABLED", "EventPattern": {"source": ["a"]}}
]}"#;

/// A temporary directory holding `rules.json` and the given files.
fn fixture(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = crate::support::fixture(files);
    std::fs::write(dir.path().join("rules.json"), RULES).unwrap();
    dir
}

// ---- match: the README's first command ----

#[test]
fn match_readme_command_over_bundled_events() {
    let r = evrule(&[
        "match",
        "--rules",
        "testdata/examples/rules.json",
        "testdata/events/",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let lines: Vec<&str> = r.stdout.lines().collect();
    // Every JSON file of the directory, in name order; PROVENANCE.md is not read.
    assert_eq!(lines.len(), 25);
    assert_eq!(
        lines[0],
        "testdata/events/apigw-putevents-delivered.constructed.json:1: (no match)"
    );
    assert!(lines.contains(&"testdata/events/s3-object-created.json:1: s3-object-created"));
    assert!(lines.contains(&"testdata/events/cloudtrail-s3-createbucket.json:1: cloudtrail-s3-api"));
    assert!(lines
        .contains(&"testdata/events/s3-object-restore-completed.json:1: s3-deleted-or-restored"));
    // `ec2-stopped` is DISABLED: the EC2 event it would match matches nothing.
    assert!(lines.contains(&"testdata/events/ec2-instance-state-change.json:1: (no match)"));
    assert!(!r.stdout.contains("ec2-stopped"));
}

#[test]
fn match_count_lists_every_loaded_rule() {
    let args = [
        "match",
        "--count",
        "--rules",
        "testdata/examples/rules.json",
        "testdata/events",
    ];
    let r = evrule(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "cloudtrail-s3-api\t1\nlarge-images\t0\ns3-deleted-or-restored\t9\ns3-object-created\t2\n\
         25 events read, 12 matched, 0 invalid\n"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let r = evrule(&json_args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "{\"events\": 25, \"matched\": 12, \"errors\": 0, \"rules\": {\"cloudtrail-s3-api\": 1, \
         \"large-images\": 0, \"s3-deleted-or-restored\": 9, \"s3-object-created\": 2}}\n"
    );
}

// ---- match: inputs ----

#[test]
fn match_numbers_events_across_files_of_every_layout() {
    let dir = fixture(&[
        (
            "a.ndjson",
            b"{\"source\":\"a\"}\n\n{\"source\":\"b\",\"x\":1}\r\n",
        ),
        (
            "b.json",
            b"[\n  {\"source\": \"b\"},\n  {\"source\": \"c\"}\n]\n",
        ),
        (
            "c.json",
            b"{\n  \"source\": \"a\",\n  \"detail\": {\"k\": \"}\"}\n}\n",
        ),
        // Several pretty documents one after another, as `jq .` writes them.
        (
            "d.json",
            b"{\n  \"source\": \"c\"\n}\n{\n  \"source\": \"b\"\n}\n",
        ),
        (
            "e.ndjson.gz",
            &gzip(b"{\"source\":\"c\"}\n{\"source\":\"a\"}\n"),
        ),
        ("f.json.gz", &gzip(b"[{\"source\":\"b\"}]")),
    ]);
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "--format",
            "json",
            "a.ndjson",
            "b.json",
            "c.json",
            "d.json",
            "e.ndjson.gz",
            "f.json.gz",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout,
        r#"{"event": 0, "file": "a.ndjson", "line": 1, "rules": ["ra"]}
{"event": 1, "file": "a.ndjson", "line": 3, "rules": ["any-x", "rb"]}
{"event": 2, "file": "b.json", "line": 2, "rules": ["rb"]}
{"event": 3, "file": "b.json", "line": 3, "rules": []}
{"event": 4, "file": "c.json", "line": 1, "rules": ["ra"]}
{"event": 5, "file": "d.json", "line": 1, "rules": []}
{"event": 6, "file": "d.json", "line": 4, "rules": ["rb"]}
{"event": 7, "file": "e.ndjson.gz", "line": 1, "rules": []}
{"event": 8, "file": "e.ndjson.gz", "line": 2, "rules": ["ra"]}
{"event": 9, "file": "f.json.gz", "line": 1, "rules": ["rb"]}
"#
    );
    // Human output names the file and the line each event starts on.
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "a.ndjson",
            "b.json",
            "d.json",
        ],
        b"",
    );
    assert_eq!(
        r.stdout,
        "a.ndjson:1: ra\na.ndjson:3: any-x, rb\nb.json:2: rb\nb.json:3: (no match)\n\
         d.json:1: (no match)\nd.json:4: rb\n"
    );
}

#[test]
fn match_reads_directories_recursively_in_name_order() {
    let dir = fixture(&[
        ("ev/b/2.json", b"{\"source\": \"b\"}"),
        ("ev/a.jsonl", b"{\"source\": \"a\"}\n"),
        ("ev/notes.txt", b"not events"),
        ("ev/.hidden.json", b"{\"source\": \"a\"}"),
    ]);
    let r = run_in(dir.path(), &["match", "--rules", "rules.json", "ev"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "ev/a.jsonl:1: ra\nev/b/2.json:1: rb\n");
}

#[test]
fn match_reads_standard_input() {
    let dir = fixture(&[]);
    let input = b"{\"source\":\"b\"}\n{\"source\":\"z\"}\n";
    for args in [
        &["match", "--rules", "rules.json", "--format", "json"][..],
        &["match", "--rules", "rules.json", "--format", "json", "-"][..],
    ] {
        let r = run_in(dir.path(), args, input);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stdout,
            "{\"event\": 0, \"file\": \"<stdin>\", \"line\": 1, \"rules\": [\"rb\"]}\n\
             {\"event\": 1, \"file\": \"<stdin>\", \"line\": 2, \"rules\": []}\n"
        );
    }
    // Gzip on standard input is recognised by its magic bytes.
    let r = run_in(
        dir.path(),
        &["match", "--rules", "rules.json"],
        &gzip(input),
    );
    assert_eq!(r.stdout, "<stdin>:1: rb\n<stdin>:2: (no match)\n");
}

#[test]
fn match_reports_bad_events_and_goes_on() {
    let dir = fixture(&[(
        "events.ndjson",
        b"{\"source\":\"a\"}\n{\"source\": \"b\"\n{\"source\":\"b\"}\n\xff\n{\"a\": [[[[1]]]]}\n",
    )]);
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "--format",
            "json",
            "events.ndjson",
        ],
        b"",
    );
    // A bad event is an error: exit 2, the others matched (issue 11).
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        r#"{"event": 0, "file": "events.ndjson", "line": 1, "rules": ["ra"]}
{"event": 1, "file": "events.ndjson", "line": 2, "error": "EOF while parsing an object", "error_line": 2, "error_column": 15}
{"event": 2, "file": "events.ndjson", "line": 3, "rules": ["rb"]}
{"event": 3, "file": "events.ndjson", "line": 4, "error": "an event must be a JSON object", "error_line": 4, "error_column": 1}
{"event": 4, "file": "events.ndjson", "line": 5, "rules": []}
"#
    );
    assert_eq!(
        r.stderr,
        "evrule: events.ndjson:2:15: invalid event: EOF while parsing an object\n\
         evrule: events.ndjson:4:1: invalid event: an event must be a JSON object\n"
    );
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "--count",
            "--format",
            "json",
            "events.ndjson",
        ],
        b"",
    );
    assert_eq!(
        r.stdout,
        "{\"events\": 5, \"matched\": 2, \"errors\": 2, \"rules\": {\"any-x\": 0, \"ra\": 1, \"rb\": 1}}\n"
    );
}

#[test]
fn match_keeps_going_after_a_broken_first_line() {
    // A first line that opens a value it does not close could start a
    // pretty-printed document; a complete event on the next line says it
    // is NDJSON with a bad first event.
    let dir = fixture(&[(
        "ev.ndjson",
        b"{\"source\": \"a\"\n{\"source\":\"a\"}\n{\"source\":\"b\"}\n",
    )]);
    let r = run_in(
        dir.path(),
        &["match", "--rules", "rules.json", "ev.ndjson"],
        b"",
    );
    // A bad event is an error: exit 2, the others matched (issue 11).
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "ev.ndjson:1: (invalid event)\nev.ndjson:2: ra\nev.ndjson:3: rb\n"
    );
    assert_eq!(
        r.stderr,
        "evrule: ev.ndjson:1:15: invalid event: EOF while parsing an object\n"
    );
}

#[test]
fn match_reports_too_deep_and_broken_arrays() {
    let deep = format!("{{\"a\": {}1{}}}\n", "[".repeat(200), "]".repeat(200));
    let dir = fixture(&[
        ("deep.ndjson", deep.as_bytes()),
        ("broken.json", b"[{\"source\": \"a\"} {\"source\": \"b\"}]"),
    ]);
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "deep.ndjson",
            "broken.json",
        ],
        b"",
    );
    // A bad event is an error: exit 2, the others matched (issue 11).
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "deep.ndjson:1: (invalid event)\nbroken.json:1: ra\nbroken.json:1: (invalid event)\n"
    );
    assert_eq!(
        r.stderr,
        "evrule: deep.ndjson:1:134: invalid event: event nesting is deeper than the nesting depth limit of 128\n\
         evrule: broken.json:1:18: invalid event: expected `,` or `]` after an array element\n"
    );
}

#[test]
fn match_exit_codes() {
    let dir = fixture(&[
        ("none.ndjson", b"{\"source\":\"z\"}\n"),
        ("empty.json", b""),
    ]);
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "none.ndjson",
            "empty.json",
        ],
        b"",
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (1, "none.ndjson:1: (no match)\n")
    );
    // An unreadable input is an error, after the others are matched.
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "missing.ndjson",
            "none.ndjson",
        ],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "none.ndjson:1: (no match)\n");
    assert_eq!(
        r.stderr,
        "evrule: missing.ndjson: no such file or directory\n"
    );
    // A corrupt gzip file.
    let mut gz = gzip(b"{\"source\":\"a\"}\n");
    let len = gz.len();
    gz.truncate(len - 6);
    std::fs::write(dir.path().join("cut.ndjson.gz"), gz).unwrap();
    let r = run_in(
        dir.path(),
        &["match", "--rules", "rules.json", "cut.ndjson.gz"],
        b"",
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.starts_with("evrule: cut.ndjson.gz: cannot read: "),
        "{}",
        r.stderr
    );
    // Bad flags.
    let r = run_in(dir.path(), &["match", "none.ndjson"], b"");
    assert_eq!(r.code, 2);
    let r = run_in(
        dir.path(),
        &["match", "--rules", "rules.json", "--format", "xml"],
        b"",
    );
    assert_eq!(r.code, 2);
    let r = run_in(
        dir.path(),
        &["match", "--rules", "rules.json", "-p", "novalue"],
        b"",
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "evrule: --parameter expects KEY=VALUE, got `novalue`\n")
    );
}

// ---- match: rules ----

#[test]
fn match_refuses_invalid_rules_with_checks_messages() {
    let dir = fixture(&[
        (
            "bad.json",
            b"{\"Rules\": [\n  {\"Name\": \"ok\", \"EventPattern\": {\"source\": [\"a\"]}},\n  {\"Name\": \"empty\", \"EventPattern\": {\"source\": []}}\n]}\n",
        ),
        ("ev.ndjson", b"{\"source\":\"a\"}\n"),
    ]);
    let check = run_in(dir.path(), &["check", "bad.json"], b"");
    let r = run_in(
        dir.path(),
        &["match", "--rules", "bad.json", "ev.ndjson"],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    let expected = "bad.json:3:48: error[empty]: Empty arrays are not allowed\n  |\n3 |   {\"Name\": \"empty\", \"EventPattern\": {\"source\": []}}\n  |                                                ^\n";
    assert_eq!(r.stderr, expected);
    // The same text as `check` (less its summary line).
    assert!(check.stdout.starts_with(expected), "{}", check.stdout);

    let check = run_in(dir.path(), &["check", "--format", "json", "bad.json"], b"");
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--format",
            "json",
            "--rules",
            "bad.json",
            "ev.ndjson",
        ],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, check.stdout);
    assert_eq!(
        r.stderr,
        "{\"file\": \"bad.json\", \"rule\": \"empty\", \"path\": \"/source\", \"line\": 3, \"column\": 48, \"message\": \"Empty arrays are not allowed\", \"severity\": \"error\", \"code\": \"invalid-pattern\"}\n"
    );
}

#[test]
fn match_leaves_out_rules_known_only_at_deployment() {
    let template = r#"{
  "Parameters": {"Stage": {"Type": "String"}},
  "Resources": {
    "Staged": {
      "Type": "AWS::Events::Rule",
      "Properties": {
        "Name": "per-stage",
        "EventPattern": {"source": [{"Ref": "Stage"}]}
      }
    },
    "Plain": {
      "Type": "AWS::Events::Rule",
      "Properties": {"Name": "plain", "EventPattern": {"source": ["a"]}}
    }
  }
}"#;
    let dir = fixture(&[
        ("tpl.json", template.as_bytes()),
        ("ev.ndjson", b"{\"source\":\"a\"}\n{\"source\":\"prod\"}\n"),
    ]);
    let r = run_in(
        dir.path(),
        &["match", "--rules", "tpl.json", "ev.ndjson"],
        b"",
    );
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "ev.ndjson:1: plain\nev.ndjson:2: (no match)\n");
    assert_eq!(
        r.stderr,
        "evrule: tpl.json:8: rule `per-stage` left out: its pattern could not be resolved \
         statically (!Ref Stage); give -p Stage=VALUE\n"
    );
    // With the parameter given, the rule is static and matches.
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "tpl.json",
            "-p",
            "Stage=prod",
            "ev.ndjson",
        ],
        b"",
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(r.stdout, "ev.ndjson:1: plain\nev.ndjson:2: per-stage\n");
}

#[test]
fn match_refuses_duplicate_rule_names() {
    let dir = fixture(&[
        (
            "other.json",
            b"{\"Rules\": [{\"Name\": \"ra\", \"EventPattern\": {\"source\": [\"z\"]}}]}",
        ),
        ("ev.ndjson", b"{\"source\":\"a\"}\n"),
    ]);
    let r = run_in(
        dir.path(),
        &[
            "match",
            "--rules",
            "rules.json",
            "--rules",
            "other.json",
            "ev.ndjson",
        ],
        b"",
    );
    // Names may repeat across files for `check` (issue 11), but one
    // matcher holds one rule per name.
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: other.json:1: rule `ra` has the name of the rule at rules.json:2; \
         rules matched together need distinct names\n"
    );
}

#[test]
fn match_reads_rule_lines() {
    let dir = fixture(&[
        (
            "r.jsonl",
            b"{\"name\": \"n1\", \"pattern\": {\"source\": [\"a\"]}, \"expected\": 1}\n\n{\"name\": \"n2\", \"pattern\": \"{\\\"source\\\": [\\\"b\\\"]}\"}\n",
        ),
        ("bad.jsonl", b"{\"name\": \"n1\", \"pattern\": {\"source\": [\"a\"]}}\n{\"name\": \"n3\", \"pattern\": {\"source\": [1, {\"x\": 2}]}}\n"),
        ("ev.ndjson", b"{\"source\":\"a\"}\n{\"source\":\"b\"}\n"),
    ]);
    let r = run_in(
        dir.path(),
        &["match", "--rules", "r.jsonl", "ev.ndjson"],
        b"",
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(r.stdout, "ev.ndjson:1: n1\nev.ndjson:2: n2\n");
    let r = run_in(dir.path(), &["list", "--format", "json", "r.jsonl"], b"");
    assert_eq!(
        r.stdout,
        "{\"file\": \"r.jsonl\", \"line\": 1, \"rule\": \"n1\", \"format\": \"ndjson\", \"state\": \"ENABLED\", \"static\": true}\n\
         {\"file\": \"r.jsonl\", \"line\": 3, \"rule\": \"n2\", \"format\": \"ndjson\", \"state\": \"ENABLED\", \"static\": true}\n"
    );
    // Problems point into the right line.
    let r = run_in(dir.path(), &["check", "--format", "json", "bad.jsonl"], b"");
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("\"rule\": \"n3\", \"path\": \"/source/1/x\", \"line\": 2, \"column\": 43"),
        "{}",
        r.stdout
    );
}

/// The benchmark's rule families over the first events of the citylots2
/// corpus: `match --count` agrees with the library, rule by rule.
#[test]
fn match_bench_rules_over_citylots_agree_with_the_library() {
    let corpus = root().join("../shared/bench/citylots2-synth.jsonl.gz");
    if !corpus.exists() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(
        std::fs::File::open(&corpus).unwrap(),
    ));
    let events: Vec<String> = reader.lines().take(2000).map(Result::unwrap).collect();
    let dir = fixture(&[("citylots.jsonl", (events.join("\n") + "\n").as_bytes())]);

    let mut rule_files: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/bench/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rule_files.sort();
    assert_eq!(rule_files.len(), 14);
    let mut matcher = evrule::Matcher::new();
    let mut args = vec![
        "match".to_string(),
        "--count".into(),
        "--format".into(),
        "json".into(),
    ];
    for file in &rule_files {
        args.extend(["--rules".to_string(), file.display().to_string()]);
        for line in std::fs::read_to_string(file).unwrap().lines() {
            let rule: Value = serde_json::from_str(line).unwrap();
            matcher
                .add(rule["name"].as_str().unwrap(), &rule["pattern"].to_string())
                .unwrap();
        }
    }
    args.push("citylots.jsonl".into());
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut matched = 0;
    for event in &events {
        let names = matcher.matches(event.as_bytes()).unwrap();
        matched += u64::from(!names.is_empty());
        for name in names {
            *expected.entry(name.to_string()).or_default() += 1;
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), &args, b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(got["events"], 2000);
    assert_eq!(got["errors"], 0);
    assert_eq!(got["matched"], matched);
    let rules = got["rules"].as_object().unwrap();
    assert_eq!(rules.len(), 70);
    for (name, count) in rules {
        assert_eq!(
            count.as_u64().unwrap(),
            expected.get(name).copied().unwrap_or(0),
            "{name}"
        );
    }
    // The same through a directory of rule files, gzipped events, and bench.
    std::fs::write(
        dir.path().join("citylots.jsonl.gz"),
        gzip((events.join("\n") + "\n").as_bytes()),
    )
    .unwrap();
    let rules_dir = root().join("testdata/bench/rules");
    let rules_dir = rules_dir.to_str().unwrap();
    let r = run_in(
        dir.path(),
        &[
            "bench",
            "--rules",
            rules_dir,
            "--passes",
            "1",
            "--format",
            "json",
            "citylots.jsonl.gz",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bench: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(bench["events"], 2000);
    assert_eq!(&bench["matches"], &got["rules"]);
}

// ---- bench ----

#[test]
fn bench_json_contract() {
    let dir = fixture(&[
        (
            "ev.ndjson",
            b"{\"source\":\"a\"}\n{\"source\":\"b\",\"x\":1}\n",
        ),
        (
            "more.json.gz",
            &gzip(b"[{\"source\":\"a\"}, {\"source\":\"z\"}]"),
        ),
    ]);
    let r = run_in(
        dir.path(),
        &[
            "bench",
            "--rules",
            "rules.json",
            "--passes",
            "3",
            "--format",
            "json",
            "ev.ndjson",
            "more.json.gz",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "events",
        "passes",
        "threads",
        "events_per_sec",
        "bytes_per_sec",
        "matches",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(v["events"], 4);
    assert_eq!(v["passes"], 3);
    assert_eq!(v["threads"], 1);
    assert!(v["events_per_sec"].as_f64().unwrap() >= 0.0);
    assert!(v["bytes_per_sec"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        v["matches"],
        serde_json::json!({"any-x": 1, "ra": 2, "rb": 1})
    );
    // Human: a table with the per-rule counts.
    let r = run_in(
        dir.path(),
        &[
            "bench",
            "--rules",
            "rules.json",
            "--passes",
            "1",
            "ev.ndjson",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("events      2 (34 B)\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\nra     1\n"), "{}", r.stdout);
    // Zero passes is a usage error.
    let r = run_in(
        dir.path(),
        &[
            "bench",
            "--rules",
            "rules.json",
            "--passes",
            "0",
            "ev.ndjson",
        ],
        b"",
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "evrule: --passes must be at least 1\n")
    );
}

// ---- test-event-pattern ----

const EVENT: &str = r#"{"id": "1", "account": "123456789012", "source": "aws.s3", "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "detail-type": "Object Created", "resources": [], "detail": {"object": {"size": 2048}}}"#;

#[test]
fn test_event_pattern_answers_like_the_aws_cli() {
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["aws.s3"], "detail": {"object": {"size": [{"numeric": [">", 1000]}]}}}"#,
        "--event",
        EVENT,
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "{\n    \"Result\": true\n}\n", "")
    );
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["aws.ec2"]}"#,
        "--event",
        EVENT,
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "{\n    \"Result\": false\n}\n")
    );
    // file:// values, and --output text.
    let dir = fixture(&[
        (
            "pattern.json",
            br#"{"detail-type": [{"prefix": "Object"}]}"#,
        ),
        ("event.json", EVENT.as_bytes()),
    ]);
    let r = run_in(
        dir.path(),
        &[
            "test-event-pattern",
            "--event-pattern",
            "file://pattern.json",
            "--event",
            "file://event.json",
        ],
        b"",
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "{\n    \"Result\": true\n}\n")
    );
    let r = run_in(
        dir.path(),
        &[
            "test-event-pattern",
            "--output",
            "text",
            "--region",
            "eu-west-1",
            "--cli-input-json",
            &serde_json::json!({"EventPattern": r#"{"source": ["x"]}"#, "Event": EVENT})
                .to_string(),
        ],
        b"",
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "False\n"));
}

#[test]
fn test_event_pattern_errors_like_the_aws_cli() {
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": []}"#,
        "--event",
        EVENT,
    ]);
    assert_eq!(r.code, 254);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "\nAn error occurred (InvalidEventPatternException) when calling the TestEventPattern \
         operation: Event pattern is not valid. Reason: Empty arrays are not allowed  at [Source: \
         (String)\"{\"source\": []}\"; line: 1, column: 12]\n"
    );
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["aws.s3"]}"#,
        "--event",
        r#"{"account": "1", "source": "aws.s3", "time": "t", "region": "r", "detail-type": "d"}"#,
    ]);
    assert_eq!(r.code, 254);
    assert_eq!(
        r.stderr,
        "\nAn error occurred (InvalidEventPatternException) when calling the TestEventPattern \
         operation: Parameter Event is not valid. Reason: Provided Event must have the field 'id'\n"
    );
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["aws.s3"]}"#,
        "--event",
        r#"{"id": "1", "account": "1", "source": "aws.s3", "time": "t", "region": "r"}"#,
    ]);
    assert_eq!(r.code, 254);
    assert!(r
        .stderr
        .ends_with("Provided Event must have the field 'detail-type'\n"));
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["aws.s3"]}"#,
        "--event",
        "{not json",
    ]);
    assert_eq!(r.code, 254);
    assert!(
        r.stderr.contains("Parameter Event is not valid. Reason: "),
        "{}",
        r.stderr
    );
    // Usage errors: 252.
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["a"]}"#,
    ]);
    assert_eq!(r.code, 252);
    assert!(
        r.stderr
            .ends_with("the following arguments are required: --event\n"),
        "{}",
        r.stderr
    );
    let r = evrule(&["test-event-pattern", "--bogus", "x"]);
    assert_eq!(r.code, 252);
    let r = evrule(&[
        "test-event-pattern",
        "--event-pattern",
        "file://no/such/file.json",
        "--event",
        EVENT,
    ]);
    assert_eq!(r.code, 252);
    assert_eq!(
        r.stderr,
        "\nError parsing parameter 'event-pattern': Unable to load paramfile \
         file://no/such/file.json: [Errno 2] No such file or directory: 'no/such/file.json'\n"
    );
}

// ---- sample ----

const S3_KINDS: &[(&str, &str)] = &[
    ("object-created", "Object Created"),
    ("object-deleted", "Object Deleted"),
    ("object-restore-initiated", "Object Restore Initiated"),
    ("object-restore-completed", "Object Restore Completed"),
    ("object-restore-expired", "Object Restore Expired"),
    ("object-tags-added", "Object Tags Added"),
    ("object-tags-deleted", "Object Tags Deleted"),
    ("object-acl-updated", "Object ACL Updated"),
    (
        "object-storage-class-changed",
        "Object Storage Class Changed",
    ),
    ("object-access-tier-changed", "Object Access Tier Changed"),
    ("object-annotation-created", "Object Annotation Created"),
    ("object-annotation-removed", "Object Annotation Removed"),
];

fn sample(args: &[&str]) -> Value {
    let mut all = vec!["sample"];
    all.extend(args);
    let r = evrule(&all);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    assert!(r.stdout.ends_with("}\n"));
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn assert_envelope(event: &Value, detail_type: &str) {
    for field in [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ] {
        assert!(event.get(field).is_some(), "{field} missing in {event}");
    }
    assert_eq!(event["detail-type"], detail_type);
}

#[test]
fn sample_every_kind_is_an_event_of_its_detail_type() {
    for (kind, detail_type) in S3_KINDS {
        let event = sample(&[kind]);
        assert_envelope(&event, detail_type);
        assert_eq!(event["source"], "aws.s3");
        // The detail-type itself names the kind too.
        assert_eq!(sample(&[detail_type]), event);
    }
    let event = sample(&["cloudtrail"]);
    assert_envelope(&event, "AWS API Call via CloudTrail");
    assert_envelope(&sample(&["apigw-putevents"]), "OrderPlaced");
    let legacy = sample(&["s3-legacy"]);
    assert_eq!(legacy["Records"][0]["eventName"], "ObjectCreated:Put");
    let r = evrule(&["sample", "--list"]);
    assert_eq!(r.code, 0);
    let listed: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(listed.len(), S3_KINDS.len() + 3);
    for kind in listed {
        sample(&[kind]);
    }
}

#[test]
fn sample_defaults_are_the_bundled_examples() {
    for (kind, file) in [
        ("object-created", "s3-object-created.json"),
        ("cloudtrail", "cloudtrail-s3-createbucket.json"),
        ("s3-legacy", "s3-legacy-objectcreated-put.json"),
        ("object-tags-added", "s3-object-tags-added.constructed.json"),
    ] {
        let r = evrule(&["sample", kind]);
        let want = std::fs::read_to_string(root().join("testdata/events").join(file)).unwrap();
        assert_eq!(r.stdout, want, "{kind}");
    }
}

#[test]
fn sample_flags_set_every_place_of_a_value() {
    let event = sample(&[
        "object-created",
        "--bucket",
        "uploads",
        "--key",
        "photos/cat.jpg",
        "--size",
        "2048",
        "--region",
        "eu-west-1",
        "--account",
        "210987654321",
        "--time",
        "2024-05-01T12:00:00Z",
        "--id",
        "e-1",
        "--source-ip",
        "10.1.2.3",
        "--reason",
        "CopyObject",
    ]);
    assert_eq!(event["resources"][0], "arn:aws:s3:::uploads");
    assert_eq!(event["detail"]["bucket"]["name"], "uploads");
    assert_eq!(event["detail"]["object"]["key"], "photos/cat.jpg");
    assert_eq!(event["detail"]["object"]["size"], 2048);
    assert_eq!(event["region"], "eu-west-1");
    assert_eq!(event["account"], "210987654321");
    assert_eq!(event["time"], "2024-05-01T12:00:00Z");
    assert_eq!(event["id"], "e-1");
    assert_eq!(event["detail"]["source-ip-address"], "10.1.2.3");
    assert_eq!(event["detail"]["reason"], "CopyObject");

    let deleted = sample(&["Object Deleted", "--reason", "Lifecycle Expiration"]);
    assert_eq!(deleted["detail"]["requester"], "s3.amazonaws.com");
    assert_eq!(deleted["detail"]["reason"], "Lifecycle Expiration");

    let trail = sample(&[
        "cloudtrail",
        "--event-source",
        "sqs.amazonaws.com",
        "--event-name",
        "CreateQueue",
    ]);
    assert_eq!(trail["source"], "aws.sqs");
    assert_eq!(trail["detail"]["eventSource"], "sqs.amazonaws.com");
    assert_eq!(trail["detail"]["eventName"], "CreateQueue");
    let put = sample(&[
        "cloudtrail",
        "--event-name",
        "PutObject",
        "--bucket",
        "b",
        "--key",
        "k",
    ]);
    assert_eq!(
        put["detail"]["requestParameters"],
        serde_json::json!({"bucketName": "b", "key": "k"})
    );

    let legacy = sample(&[
        "s3-legacy",
        "--event-name",
        "ObjectRemoved:Delete",
        "--key",
        "my photo.jpg",
    ]);
    assert_eq!(legacy["Records"][0]["eventName"], "ObjectRemoved:Delete");
    assert_eq!(legacy["Records"][0]["s3"]["object"]["key"], "my+photo.jpg");

    let apigw = sample(&[
        "apigw-putevents",
        "--source",
        "shop",
        "--detail",
        r#"{"b": 1, "a": [true]}"#,
    ]);
    assert_eq!(apigw["source"], "shop");
    assert_eq!(apigw["detail"], serde_json::json!({"b": 1, "a": [true]}));
    let entry = sample(&[
        "apigw-putevents",
        "--entry",
        "--detail",
        r#"{"b": 1, "a": [true]}"#,
    ]);
    assert_eq!(entry["Entries"][0]["Detail"], r#"{"b":1,"a":[true]}"#);
}

#[test]
fn sample_refuses_what_it_cannot_do() {
    let r = evrule(&["sample", "object-deleted", "--size", "5"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "evrule: --size does not apply to `object-deleted` events\n"
        )
    );
    let r = evrule(&["sample", "object-exploded"]);
    assert_eq!(r.code, 2);
    assert!(r
        .stderr
        .starts_with("evrule: unknown kind `object-exploded`; one of: object-created, "));
    let r = evrule(&["sample"]);
    assert_eq!(r.code, 2);
}

/// The README's walk-through, end to end.
#[test]
fn readme_s3_walkthrough() {
    let dir = fixture(&[(
        "rules.yaml",
        b"rules:\n  - name: cat-photos\n    pattern:\n      source: [aws.s3]\n      detail-type: [Object Created]\n      detail:\n        bucket:\n          name: [uploads]\n        object:\n          key: [{prefix: photos/}]\n          size: [{numeric: [\">\", 1024]}]\n",
    )]);
    let r = run_in(
        dir.path(),
        &[
            "sample",
            "object-created",
            "--bucket",
            "uploads",
            "--key",
            "photos/cat.jpg",
            "--size",
            "2048",
        ],
        b"",
    );
    std::fs::write(dir.path().join("ev.json"), &r.stdout).unwrap();
    let r = run_in(
        dir.path(),
        &["match", "--rules", "rules.yaml", "ev.json"],
        b"",
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "ev.json:1: cat-photos\n"),
        "{}",
        r.stderr
    );
    let r = run_in(
        dir.path(),
        &[
            "test-event-pattern",
            "--event-pattern",
            r#"{"source": ["aws.s3"], "detail": {"object": {"key": [{"suffix": ".jpg"}]}}}"#,
            "--event",
            "file://ev.json",
        ],
        b"",
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "{\n    \"Result\": true\n}\n")
    );
}

// ---- completions and help ----

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = evrule(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}");
        assert!(r.stdout.contains("test-event-pattern"), "{shell}");
    }
}

#[test]
fn every_new_command_shows_examples_in_help() {
    for command in [
        "match",
        "bench",
        "test-event-pattern",
        "sample",
        "completions",
    ] {
        let r = evrule(&[command, "--help"]);
        assert_eq!(r.code, 0, "{command}");
        assert!(
            r.stdout.contains("Examples:\n  evrule "),
            "{command}: {}",
            r.stdout
        );
    }
}

// ---- match and bench on many threads ----

/// Many threads give the output of one, line for line, in input order:
/// several files, batches cut mid-file, bad lines, an array file, a
/// missing file, and every output format.
#[test]
fn match_on_many_threads_keeps_input_order() {
    let sources = ["a", "b", "c"];
    let mut lines = String::new();
    for i in 0..3000 {
        if i % 997 == 5 {
            lines.push_str("{\"source\": \"a\",}\n");
        } else {
            lines.push_str(&format!(
                "{{\"id\": \"{i}\", \"source\": \"{}\"{}}}\n",
                sources[i % 3],
                if i % 7 == 0 { ", \"x\": 1" } else { "" }
            ));
        }
    }
    let dir = fixture(&[
        ("one.jsonl", lines.as_bytes()),
        (
            "two.json",
            br#"[{"source": "b"}, {"source": tru}, {"x": null}]"#,
        ),
        ("three.jsonl", lines.as_bytes()),
    ]);
    for extra in [
        &[][..],
        &["--format", "json"],
        &["--count"],
        &["--count", "--format", "json"],
    ] {
        let run = |threads: &str| {
            let mut args = vec!["match", "-r", "rules.json", "--threads", threads];
            args.extend_from_slice(extra);
            args.extend(["one.jsonl", "two.json", "missing.jsonl", "three.jsonl"]);
            run_in(dir.path(), &args, b"")
        };
        let one = run("1");
        assert_eq!(one.code, 2, "bad events and a missing file: {}", one.stderr);
        for threads in ["2", "3", "8"] {
            let many = run(threads);
            assert_eq!(many.code, one.code, "{extra:?} on {threads} threads");
            assert!(
                many.stdout == one.stdout,
                "{extra:?} on {threads} threads: stdout differs"
            );
            assert_eq!(many.stderr, one.stderr, "{extra:?} on {threads} threads");
        }
        if extra.is_empty() {
            assert_eq!(one.stdout.lines().count(), 6003, "every event has its line");
            assert!(
                one.stderr
                    .contains("one.jsonl:6:16: invalid event: trailing comma"),
                "{}",
                one.stderr
            );
            assert!(
                one.stderr
                    .contains("missing.jsonl: no such file or directory"),
                "{}",
                one.stderr
            );
        }
    }
}

#[test]
fn threads_must_be_a_sensible_count() {
    let dir = fixture(&[("e.json", br#"{"source": "a"}"#)]);
    for (threads, message) in [
        ("0", "evrule: --threads must be at least 1\n"),
        (
            "100000",
            "evrule: --threads 100000 is more than the 256 this command runs\n",
        ),
    ] {
        for command in ["match", "bench"] {
            let run = run_in(
                dir.path(),
                &[command, "-r", "rules.json", "-j", threads, "e.json"],
                b"",
            );
            assert_eq!((run.code, run.stderr.as_str()), (2, message), "{command}");
        }
    }
}

/// `bench --threads 2` finds what one thread finds, and says how many ran.
#[test]
fn bench_on_two_threads_counts_the_same_matches() {
    let mut lines = String::new();
    for i in 0..500 {
        lines.push_str(&format!("{{\"source\": \"{}\"}}\n", ["a", "b"][i % 2]));
    }
    let dir = fixture(&[("e.jsonl", lines.as_bytes())]);
    let bench = |threads: &str| -> Value {
        let run = run_in(
            dir.path(),
            &[
                "bench",
                "-r",
                "rules.json",
                "--passes",
                "2",
                "--format",
                "json",
                "-j",
                threads,
                "e.jsonl",
            ],
            b"",
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    };
    let (one, two) = (bench("1"), bench("2"));
    assert_eq!(
        (one["threads"].as_u64(), two["threads"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(one["matches"], two["matches"]);
    assert_eq!(two["matches"]["ra"], 250);
}

/// `bench --compare`: one row per rule file and one for all of them, with
/// evrule strict and trusted, serde_json and quamina; quamina is left out,
/// with the reason, where it refuses a pattern.
#[test]
fn bench_compare_rows_per_rule_file() {
    let mut lines = String::new();
    for i in 0..300 {
        lines.push_str(&format!(
            "{{\"source\": \"{}\", \"n\": {i}, \"k\": \"f{i}.png\"}}\n",
            ["a", "b", "c"][i % 3]
        ));
    }
    let dir = fixture(&[
        ("e.jsonl", lines.as_bytes()),
        (
            "rules/exact.jsonl",
            concat!(
                r#"{"name": "ra", "pattern": {"source": ["a"]}}"#,
                "\n",
                r#"{"name": "big", "pattern": {"n": [{"numeric": [">=", 150]}]}}"#,
                "\n"
            )
            .as_bytes(),
        ),
        (
            "rules/folded.jsonl",
            br#"{"name": "png", "pattern": {"k": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}"#,
        ),
    ]);
    let run = |format: &str| {
        let r = run_in(
            dir.path(),
            &[
                "bench",
                "--compare",
                "-r",
                "rules",
                "--passes",
                "2",
                "--format",
                format,
                "e.jsonl",
            ],
            b"",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let v: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(v["events"], 300);
    let rows = v["rows"].as_array().unwrap();
    let families: Vec<&str> = rows.iter().map(|r| r["family"].as_str().unwrap()).collect();
    assert_eq!(families, ["exact", "folded", "all"]);
    assert_eq!(
        rows.iter()
            .map(|r| r["rules"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 1, 3]
    );
    for r in rows {
        for engine in ["strict", "trusted", "serde"] {
            assert!(r[engine].as_f64().unwrap() > 0.0, "{r}");
        }
    }
    // quamina runs the exact and numeric rules (and agrees with evrule),
    // but has no suffix with equals-ignore-case.
    assert!(rows[0]["quamina"].as_f64().unwrap() > 0.0, "{}", rows[0]);
    for r in &rows[1..] {
        assert!(r["quamina"].is_null(), "{r}");
        assert!(
            r["quamina_left_out"]
                .as_str()
                .unwrap()
                .contains("refuses png"),
            "{r}"
        );
    }
    let human = run("human");
    assert!(
        human.contains(
            "| family | strict | trusted | quamina 0.7 | strict / serde | trusted / quamina |"
        ),
        "{human}"
    );
    assert!(
        human.lines().any(|l| l.starts_with("| exact | ")),
        "{human}"
    );
    assert!(
        human.contains("quamina 0.7 left out of folded: it refuses png"),
        "{human}"
    );
    // The peers are measured one core at a time.
    let r = run_in(
        dir.path(),
        &["bench", "--compare", "-j", "2", "-r", "rules", "e.jsonl"],
        b"",
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}

/// `aws events list-rules | jq -c '.Rules[]'`: AWS-shaped rule lines, a
/// scheduled rule among them passed over, `State` honoured; a line that is
/// neither shape says what a rule line is.
#[test]
fn rule_lines_in_aws_shape() {
    let lines = concat!(
        r#"{"Name": "orders", "Arn": "arn:aws:events:us-east-1:1:rule/orders", "EventPattern": "{\"source\": [\"a\"]}", "State": "ENABLED", "EventBusName": "default"}"#,
        "\n",
        r#"{"Name": "nightly", "ScheduleExpression": "rate(1 day)", "State": "ENABLED"}"#,
        "\n",
        r#"{"Name": "off", "EventPattern": "{\"source\": [\"b\"]}", "State": "DISABLED"}"#,
        "\n",
        r#"{"Name": "b-rule", "EventPattern": {"source": ["b"]}}"#,
        "\n",
    );
    let dir = fixture(&[
        ("rules.txt", lines.as_bytes()),
        ("ev.ndjson", b"{\"source\":\"a\"}\n{\"source\":\"b\"}\n"),
        ("neither.ndjson", b"{\"title\": \"x\", \"pattern\": {}}\n"),
    ]);
    let r = run_in(dir.path(), &["match", "-r", "rules.txt", "ev.ndjson"], b"");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(r.stdout, "ev.ndjson:1: orders\nev.ndjson:2: b-rule\n");
    let r = run_in(dir.path(), &["list", "rules.txt"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    for name in ["orders", "off", "b-rule"] {
        assert!(r.stdout.contains(name), "{}", r.stdout);
    }
    assert!(!r.stdout.contains("nightly"), "{}", r.stdout);
    let r = run_in(dir.path(), &["check", "neither.ndjson"], b"");
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with(
            "neither.ndjson:1:1: error: rule has no `name` (a rule line is \
             `{\"name\": ..., \"pattern\": ...}` or AWS's `{\"Name\": ..., \"EventPattern\": ...}`)\n"
        ),
        "{}",
        r.stdout
    );
}
