//! Issue 11, "messages that say how to fix": every hint and lint, pinned
//! to the letter, with its exit code.

use crate::support::{fixture, run_in};

const RULES: &[u8] = br#"{"Rules": [
  {"Name": "p", "EventPattern": {"source": [{"prefx": "aws."}]}},
  {"Name": "ab", "EventPattern": {"source": [{"anything_but": "aws.s3"}]}},
  {"Name": "num", "EventPattern": {"detail": {"size": [{"numeric": [">", "100"]}]}}},
  {"Name": "str", "EventPattern": "\"{\\\"source\\\": [\\\"a\\\"]}\""},
  {"Name": "top", "EventPattern": {"Source": ["aws.s3"], "detailType": ["x"]}},
  {"Name": "dt", "EventPattern": {"source": ["aws.s3"], "detail-type": ["Object Create"]}}
]}
"#;

/// (line, column, severity, code, message, hint) of every problem.
fn problems(json: &str) -> Vec<(u64, u64, String, String, String, String)> {
    json.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (
                v["line"].as_u64().unwrap(),
                v["column"].as_u64().unwrap(),
                s("severity"),
                s("code"),
                s("message"),
                s("hint"),
            )
        })
        .collect()
}

#[test]
fn check_hints_and_lints() {
    let t = fixture(&[("rules.json", RULES)]);
    let r = run_in(t.path(), &["check", "--format", "json", "rules.json"], b"");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let known = "Object Created, Object Deleted, Object Restore Initiated, Object Restore \
                 Completed, Object Restore Expired, Object Tags Added, Object Tags Deleted, \
                 Object ACL Updated, Object Storage Class Changed, Object Access Tier Changed, \
                 Object Annotation Created, Object Annotation Removed, AWS API Call via CloudTrail";
    let top = |f: &str| {
        format!(
            "no EventBridge event has a top-level field `{f}` (an event has version, id, \
             detail-type, source, account, time, region, resources, detail, replay-name; its own \
             fields are under `detail`)"
        )
    };
    let want: Vec<(u64, u64, &str, &str, String, &str)> = vec![
        (2, 46, "error", "invalid-pattern", "Unrecognized match type prefx".into(), "did you mean `prefix`?"),
        (3, 47, "error", "invalid-pattern", "Unrecognized match type anything_but".into(), "did you mean `anything-but`?"),
        (4, 74, "error", "invalid-pattern", "Value of > must be numeric".into(), "`\"100\"` is a string; write the number without quotes: `100`"),
        (5, 38, "error", "invalid-pattern", "Filter is not an object".into(), "the pattern is a JSON string that holds a pattern (encoded twice); give the object itself, without the outer quotes"),
        (6, 36, "warning", "unknown-top-level-field", top("Source"), "did you mean `source`?"),
        (6, 58, "warning", "unknown-top-level-field", top("detailType"), "did you mean `detail-type`?"),
        (7, 73, "warning", "unknown-detail-type", format!("aws.s3 never sends detail-type `Object Create` (known: {known})"), "did you mean `Object Created`?"),
    ];
    let want: Vec<_> = want
        .into_iter()
        .map(|(l, c, s, code, m, h)| (l, c, s.to_string(), code.to_string(), m, h.to_string()))
        .collect();
    assert_eq!(problems(&r.stdout), want);

    // The human format shows the hint under the snippet.
    let r = run_in(t.path(), &["check", "rules.json"], b"");
    assert!(
        r.stdout.starts_with(
            "rules.json:2:46: error[p]: Unrecognized match type prefx\n  |\n2 |   {\"Name\": \"p\", \"EventPattern\": {\"source\": [{\"prefx\": \"aws.\"}]}},\n  |                                              ^\n  = hint: did you mean `prefix`?\n"
        ),
        "{}",
        r.stdout
    );
}

const TEMPLATE: &[u8] = b"Resources:
  UploadsRule:
    Type: AWS::Events::Rule
    Properties:
      Name: uploads
      EventPattern: {source: [aws.s3]}
";

#[test]
fn rule_names_suggest_the_deployed_name() {
    let t = fixture(&[("t.yaml", TEMPLATE), ("e.json", br#"{"source": "aws.s3"}"#)]);
    let r = run_in(
        t.path(),
        &[
            "explain",
            "--rule",
            "UploadsRule",
            "--rules",
            "t.yaml",
            "e.json",
        ],
        b"",
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "evrule: no rule named `UploadsRule` in t.yaml; `UploadsRule` is the template's ID for rule `uploads`: give --rule uploads\n"
        )
    );
    let r = run_in(
        t.path(),
        &["explain", "--rule", "uplods", "--rules", "t.yaml", "e.json"],
        b"",
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "evrule: no rule named `uplods` in t.yaml; did you mean `uploads`?\n"
        )
    );
}

#[test]
fn route_configuration_hints() {
    let t = fixture(&[
        (
            "bus.yaml",
            b"rules:\n  - {Name: r, EventPattern: {source: [a]}, Targets: [{Id: f, Arn: F}]}\ndestinatons:\n  F: \"stdout:\"\n",
        ),
        (
            "sub.yaml",
            b"Parameters:\n  Env: {Type: String}\nResources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      Name: r\n      EventPattern: {source: [a]}\n      Targets:\n        - Id: q\n          Arn: !Sub \"arn:aws:sqs:us-east-1:123456789012:${Env}-queue\"\n",
        ),
        (
            "bus2.yaml",
            b"rules: [sub.yaml]\ndestinations:\n  arn:aws:sqs:us-east-1:123456789012:prod-queue: \"stdout:\"\n",
        ),
    ]);
    let event = br#"{"source": "a"}"#;
    let r = run_in(t.path(), &["route", "--config", "bus.yaml", "-"], event);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "evrule: bus.yaml:3:1: unknown key `destinatons`; did you mean `destinations`? (expected one of: rules, destinations, archive, delivery, parameters, region, account)\n"
        )
    );
    let r = run_in(t.path(), &["route", "--config", "bus2.yaml", "-"], event);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "evrule: sub.yaml:8: rule r: the Arn of target q (!Sub arn:aws:sqs:us-east-1:123456789012:${Env...) is not known before deployment; give `Env` under `parameters:`\n"
        )
    );
}
