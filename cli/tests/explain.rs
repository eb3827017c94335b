//! End-to-end tests of `evrule explain` and `evrule test` over
//! `testdata/explain/` (rules that each miss one order event for a
//! different reason) and `testdata/suites/` (a passing suite over the S3 and
//! CloudTrail example events, and one with deliberate failures).

use std::path::Path;

use crate::support::{evrule, root, run_in, Run};

fn evrule_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    run_in(dir, args, stdin.unwrap_or("").as_bytes())
}

const RULES: &str = "testdata/explain/rules.yaml";
const ORDER: &str = "testdata/explain/order.json";

fn explain_one(rule: &str) -> Run {
    evrule(&["explain", "--rules", RULES, "--rule", rule, ORDER])
}

// ---- explain: why a rule misses ----

#[test]
fn explain_missing_field() {
    let r = explain_one("missing-field");
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
    assert_eq!(
        r.stdout,
        "rule missing-field: no match
  detail.customer.tier: [\"gold\"]
    event has nothing at detail.customer.tier -> missing
    note: detail has no customer (it has coupon, items, status, total)
"
    );
}

#[test]
fn explain_wrong_type() {
    let r = explain_one("wrong-type");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "rule wrong-type: no match
  detail.total: [{\"numeric\": [\">\", 100]}]
    event has \"250.00\" -> is a string; numeric matches only numbers
"
    );
}

#[test]
fn explain_value_mismatch() {
    let r = explain_one("value-mismatch");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "rule value-mismatch: no match
  detail.status: [{\"prefix\": \"SHIP\"}, \"shipped\"]
    event has \"pending\" -> does not start with \"SHIP\"; is not \"shipped\"
"
    );
}

#[test]
fn explain_array_element_split() {
    let r = explain_one("element-split");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "rule element-split: no match
  detail.items.sku: [\"A-1\"]
    event has \"A-1\" at /detail/items/0/sku -> equals \"A-1\" ✓
    event has \"B-2\" at /detail/items/1/sku -> is not \"A-1\"
  detail.items.qty: [{\"numeric\": [\">\", 10]}]
    event has 1 at /detail/items/0/qty -> 1 is not > 10
    event has 50 at /detail/items/1/qty -> 50 > 10 ✓
  array consistency: fields detail.items.sku and detail.items.qty are satisfied only by different elements of /detail/items
    detail.items.sku holds at /detail/items/0/sku
    detail.items.qty holds at /detail/items/1/qty
"
    );
}

#[test]
fn explain_or_branches() {
    let r = explain_one("either-or");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "rule either-or: no match
  $or: no branch matched
    branch 1: no match
      detail.status: [\"cancelled\"]
        event has \"pending\" -> is not \"cancelled\"
    branch 2: no match
      detail.total: [{\"numeric\": [\"<\", 0]}]
        event has \"250.00\" -> is a string; numeric matches only numbers
"
    );
}

#[test]
fn explain_exists_false() {
    let r = explain_one("coupon-absent");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "rule coupon-absent: no match
  detail.coupon: [{\"exists\": false}]
    event has \"SPRING\" -> present, but exists: false requires no value
"
    );
}

#[test]
fn explain_match_names_the_element() {
    let r = explain_one("matches");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(
        r.stdout.starts_with("rule matches: match\n"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("    event has \"B-2\" at /detail/items/1/sku -> equals \"B-2\" ✓\n"));
}

#[test]
fn explain_every_rule_and_exit_codes() {
    // All rules: `matches` matches, so exit 0; rules are separated by a
    // blank line and come in file order.
    let r = evrule(&["explain", "--rules", RULES, ORDER]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let headers: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("rule "))
        .collect();
    assert_eq!(
        headers,
        [
            "rule missing-field: no match",
            "rule wrong-type: no match",
            "rule value-mismatch: no match",
            "rule element-split: no match",
            "rule either-or: no match",
            "rule coupon-absent: no match",
            "rule matches: match",
            "rule disabled-match: match (rule is DISABLED: EventBridge never delivers to it, and `match` never reports it)",
        ]
    );
    assert_eq!(r.stdout.matches("\n\nrule ").count(), 7);
}

#[test]
fn a_disabled_match_does_not_count() {
    let r = explain_one("disabled-match");
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("rule is DISABLED"));
    let r = evrule(&[
        "explain",
        "--rules",
        RULES,
        "--rule",
        "disabled-match",
        "--format",
        "json",
        ORDER,
    ]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(
        (v["matched"].as_bool(), v["state"].as_str()),
        (Some(true), Some("DISABLED"))
    );
}

#[test]
fn explain_json_shape() {
    let r = evrule(&["explain", "--rules", RULES, "--format", "json", ORDER]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines.len(), 8);
    for v in &lines {
        assert!(v["rule"].is_string() && v["matched"].is_boolean(), "{v}");
        let e = &v["explanation"];
        assert_eq!(e["matched"], v["matched"]);
        assert!(e["fields"].is_array() && e["ors"].is_array() && e["conflicts"].is_array());
    }
    let split = lines.iter().find(|v| v["rule"] == "element-split").unwrap();
    assert_eq!(
        split["explanation"]["conflicts"][0],
        serde_json::json!({
            "fields": ["detail.items.sku", "detail.items.qty"],
            "arrays": ["/detail/items"],
            "branches": [],
            "message": "fields detail.items.sku and detail.items.qty are satisfied only by different elements of /detail/items",
            "details": ["detail.items.sku holds at /detail/items/0/sku", "detail.items.qty holds at /detail/items/1/qty"]
        })
    );
    let wrong = lines.iter().find(|v| v["rule"] == "wrong-type").unwrap();
    assert_eq!(
        wrong["explanation"]["fields"][0],
        serde_json::json!({
            "path": "detail.total",
            "conditions": [{"numeric": [">", 100]}],
            "status": "no-match",
            "values": [{
                "value": "250.00",
                "at": "/detail/total",
                "checks": [{
                    "condition": {"numeric": [">", 100]},
                    "holds": false,
                    "reason": "is a string; numeric matches only numbers"
                }]
            }]
        })
    );
    let or = lines.iter().find(|v| v["rule"] == "either-or").unwrap();
    assert_eq!(
        or["explanation"]["ors"][0]["chosen"],
        serde_json::Value::Null
    );
    assert_eq!(
        or["explanation"]["ors"][0]["branches"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn explain_event_from_stdin() {
    let event = std::fs::read_to_string(root().join(ORDER)).unwrap();
    let r = evrule_in(
        &root(),
        &["explain", "--rules", RULES, "--rule", "matches", "-"],
        Some(&event),
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(r.stdout.starts_with("rule matches: match\n"));
}

#[test]
fn explain_unknown_rule_is_an_error() {
    let r = explain_one("nope");
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "evrule: no rule named `nope` in testdata/explain/rules.yaml\n"
    );
}

#[test]
fn explain_invalid_rule_shows_checks_message() {
    let r = evrule(&[
        "explain",
        "--rules",
        "testdata/rules/pattern/bad-numeric.json",
        ORDER,
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert_eq!(
        r.stderr,
        "testdata/rules/pattern/bad-numeric.json:4:35: error[bad-numeric]: Value of > must be numeric\n"
    );
}

#[test]
fn explain_bad_events_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"a\": ").unwrap();
    let bad = bad.to_str().unwrap();
    let r = evrule(&["explain", "--rules", RULES, bad]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert_eq!(
        r.stderr,
        format!("evrule: {bad}:1:7: invalid event: EOF while parsing a value\n")
    );
    let r = evrule_in(&root(), &["explain", "--rules", RULES, "-"], Some("[1]"));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: <stdin>:1:2: invalid event: event is not a JSON object\n"
    );
    let r = evrule(&["explain", "--rules", RULES, "no/such/event.json"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: no/such/event.json: no such file or directory\n"
    );
}

// ---- test: suites ----

#[test]
fn passing_suite() {
    let r = evrule(&["test", "testdata/suites/s3.yaml"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "suite testdata/suites/s3.yaml");
    assert!(lines[1..lines.len() - 1]
        .iter()
        .all(|l| l.starts_with("  ok ")));
    assert_eq!(lines.last(), Some(&"7 passed, 0 failed"));
}

#[test]
fn failing_suite_explains_each_difference() {
    let r = evrule(&["test", "testdata/suites/failing.yaml"]);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
    assert_eq!(r.stdout.lines().last(), Some("1 passed, 3 failed"));
    assert!(r.stdout.contains(
        "  FAIL  small upload expected to be large
    at:       testdata/suites/failing.yaml:11
    expected: [large-images, s3-object-created]
    actual:   [s3-object-created]
    large-images was expected to match, but did not
"
    ));
    assert!(r
        .stdout
        .contains("          event has 5 -> 5 is not > 1000\n"));
    assert!(r.stdout.contains(
        "        array consistency: fields detail.items.sku and detail.items.qty are satisfied only by different elements of /detail/items\n"
    ));
    assert!(r.stdout.contains(
        "    expected: []
    actual:   [cloudtrail-s3-api]
    cloudtrail-s3-api was not expected to match, but did
"
    ));
}

#[test]
fn summary_counts_every_suite() {
    let r = evrule(&[
        "test",
        "testdata/suites/s3.yaml",
        "testdata/suites/failing.yaml",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout.lines().last(), Some("8 passed, 3 failed"));
}

#[test]
fn test_json_format() {
    let r = evrule(&["test", "--format", "json", "testdata/suites/failing.yaml"]);
    assert_eq!(r.code, 1);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[4],
        serde_json::json!({"passed": 1, "failed": 3, "errors": 0})
    );
    assert_eq!(lines[0]["passed"], true);
    assert_eq!(lines[1]["case"], "small upload expected to be large");
    assert_eq!(
        lines[1]["expected"],
        serde_json::json!(["large-images", "s3-object-created"])
    );
    assert_eq!(lines[1]["actual"], serde_json::json!(["s3-object-created"]));
    let d = &lines[1]["differences"][0];
    assert_eq!(
        (d["rule"].as_str(), d["expected"].as_bool()),
        (Some("large-images"), Some(true))
    );
    assert_eq!(d["explanation"]["matched"], false);
}

/// A small well-formedness check: tags nest and close, attributes are
/// quoted, `&` starts a known reference and `<` never appears in text.
fn well_formed(xml: &str) -> Result<Vec<String>, String> {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .ok_or("no XML declaration")?;
    let mut stack: Vec<String> = Vec::new();
    let mut opened = Vec::new();
    let mut rest = body;
    let check_text = |t: &str| -> Result<(), String> {
        let mut s = t;
        while let Some(i) = s.find('&') {
            s = &s[i + 1..];
            let end = s.find(';').ok_or("unterminated reference")?;
            let name = &s[..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                || (name.starts_with('#') && name[1..].chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad reference &{name};"));
            }
        }
        Ok(())
    };
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt])?;
        let gt = rest[lt..].find('>').ok_or("unclosed tag")? + lt;
        let tag = &rest[lt + 1..gt];
        if tag.contains('<') {
            return Err(format!("`<` inside tag {tag}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or("close without open")?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag
                .split_whitespace()
                .next()
                .ok_or("empty tag")?
                .to_string();
            // Attributes: name="value" pairs, values without `<` or `"`.
            let mut attrs = tag[name.len()..].trim();
            while !attrs.is_empty() {
                let eq = attrs.find("=\"").ok_or(format!("bad attribute in {tag}"))?;
                let close = attrs[eq + 2..].find('"').ok_or("unquoted attribute")? + eq + 2;
                check_text(&attrs[eq + 2..close])?;
                attrs = attrs[close + 1..].trim_start();
            }
            opened.push(name.clone());
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[gt + 1..];
    }
    check_text(rest)?;
    if !stack.is_empty() || !rest.trim().is_empty() {
        return Err(format!("unclosed: {stack:?}"));
    }
    Ok(opened)
}

#[test]
fn junit_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.xml");
    let r = evrule(&[
        "test",
        "--junit",
        report.to_str().unwrap(),
        "testdata/suites/s3.yaml",
        "testdata/suites/failing.yaml",
    ]);
    assert_eq!(r.code, 1);
    let xml = std::fs::read_to_string(&report).unwrap();
    let tags = well_formed(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(tags.iter().filter(|t| *t == "testsuite").count(), 2);
    assert_eq!(tags.iter().filter(|t| *t == "testcase").count(), 11);
    assert_eq!(tags.iter().filter(|t| *t == "failure").count(), 3);
    assert!(xml.contains("<testsuites name=\"evrule\" tests=\"11\" failures=\"3\" errors=\"0\">"));
    assert!(
        xml.contains("<testsuite name=\"testdata/suites/failing.yaml\" tests=\"4\" failures=\"3\"")
    );
    for name in [
        "name=\"object created matches the created rules\"",
        "name=\"an EC2 event matches nothing (ec2-stopped is disabled)\"",
        "name=\"small upload expected to be large\"",
        "name=\"array element split\"",
        "name=\"quoting &lt;&amp;&gt; &quot;in&quot; names\"",
    ] {
        assert!(xml.contains(name), "{name}");
    }
    assert!(xml.contains(
        "<failure message=\"expected [large-images, s3-object-created], matched [s3-object-created]\" type=\"mismatch\">large-images was expected to match, but did not\n"
    ));
    assert!(xml.contains("      event has 5 -&gt; 5 is not &gt; 1000\n"));
}

#[test]
fn junit_for_a_passing_run() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("ok.xml");
    let r = evrule(&[
        "test",
        "--junit",
        report.to_str().unwrap(),
        "testdata/suites/s3.yaml",
    ]);
    assert_eq!(r.code, 0);
    let xml = std::fs::read_to_string(&report).unwrap();
    well_formed(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert!(!xml.contains("<failure"));
}

/// Write `suite` (YAML) into a temporary directory beside a copy-free
/// reference to the repository's rules and events; run `evrule test`.
fn suite_run(suite: &str) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.yaml");
    let text = suite.replace("ROOT", root().to_str().unwrap());
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    let r = evrule(&["test", &path]);
    (r, path)
}

#[test]
fn unknown_rule_in_expect_is_an_error() {
    let (r, path) = suite_run(
        "rules:
  - name: a
    pattern: {source: [x]}
cases:
  - name: typo
    event: {source: x}
    expect: [a, b]
",
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        format!("suite {path}\n  ERROR the suite could not run\n    {path}:5: case `typo` expects unknown rule `b`\n0 passed, 0 failed, 1 error\n")
    );
    assert_eq!(
        r.stderr,
        format!("evrule: {path}:5: case `typo` expects unknown rule `b`\n")
    );
}

#[test]
fn invalid_inline_rule_shows_checks_message() {
    let (r, path) = suite_run(
        "rules:
  - name: bad
    pattern: {source: [x], size: [{numeric: [\">\", big]}]}
cases:
  - name: c
    event: {source: x}
    expect: []
",
    );
    assert_eq!(r.code, 2);
    assert!(r.stdout.ends_with("0 passed, 0 failed, 1 error\n"));
    assert_eq!(
        r.stderr,
        format!("{path}:3:51: error[bad]: Value of > must be numeric\n")
    );
}

#[test]
fn suite_errors() {
    let r = evrule(&["test", "no/such/suite.yaml"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: no/such/suite.yaml: no such file or directory\n"
    );

    let (r, path) =
        suite_run("rules: []\ncases:\n  - name: c\n    event: {a: 1}\n    expected: []\n");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("evrule: {path}:5:5: unknown key `expected` in a case (expected `name`, `event`, `event_file`, `expect`, `description`)\n")
    );

    let (r, path) =
        suite_run("rules: []\ncases:\n  - name: c\n    event_file: missing.json\n    expect: []\n");
    assert_eq!(r.code, 2);
    let missing = Path::new(&path).parent().unwrap().join("missing.json");
    assert_eq!(
        r.stderr,
        format!(
            "evrule: {path}:4:17: cannot read event {}: no such file or directory\n",
            missing.display()
        )
    );

    let (r, path) = suite_run("rules: []\ncases:\n  - name: c\n    event: '[1]'\n    expect: []\n");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("evrule: {path}:4:13: case `c`: invalid event: an event must be a JSON object\n")
    );

    let (r, path) = suite_run(
        "rules:\n  - name: a\n    pattern: {x: [1]}\n  - name: a\n    pattern: {y: [1]}\ncases: []\n",
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("evrule: {path}: rule `a` is defined twice ({path}:3:14 and {path}:5:14)\n")
    );
}

#[test]
fn json_suites_and_absolute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let rules = root().join("testdata/examples/rules.json");
    std::fs::write(
        dir.path().join("suite.json"),
        format!(
            r#"{{"rules": [{}], "cases": [{{"name": "created", "event_file": {}, "expect": ["s3-object-created"]}}]}}"#,
            serde_json::to_string(rules.to_str().unwrap()).unwrap(),
            serde_json::to_string(root().join("testdata/events/s3-object-created.json").to_str().unwrap()).unwrap()
        ),
    )
    .unwrap();
    let r = evrule_in(dir.path(), &["test", "suite.json"], None);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    assert_eq!(
        r.stdout,
        "suite suite.json\n  ok    created\n1 passed, 0 failed\n"
    );
}
