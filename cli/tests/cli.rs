//! End-to-end tests of the `evrule` binary over the fixtures in
//! `testdata/rules/` (every accepted format) and `testdata/rules-invalid/`
//! (files that cannot be read). Paths are given relative to the repository
//! root, so the expected output names them exactly as a user would see them.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::support::{evrule, root};

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

// ---- list: every format, names, lines, states, static ----

#[test]
fn list_json_covers_every_format() {
    let r = evrule(&["list", "--format", "json", "testdata/rules"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let expected = [
        r#"{"file": "testdata/rules/aws/describe-rule.json", "line": 4, "rule": "payments-failed", "format": "describe-rule", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/aws/list-rules.json", "line": 6, "rule": "orders-created", "format": "list-rules-json", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/aws/list-rules.json", "line": 20, "rule": "big-orders", "format": "list-rules-json", "state": "DISABLED", "static": true}"#,
        r#"{"file": "testdata/rules/aws/list-rules.yaml", "line": 4, "rule": "ec2-stopped", "format": "list-rules-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/aws/list-rules.yaml", "line": 8, "rule": "empty-source", "format": "list-rules-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cdk.out/OrdersStack.template.json", "line": 6, "rule": "OrderRule4F3E1A2B", "format": "cfn-json", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/block-literal.yaml", "line": 7, "rule": "literal-block", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.json", "line": 11, "rule": "prod-deploys", "format": "cfn-json", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/cfn/template.json", "line": 23, "rule": "StringRule", "format": "cfn-json", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.json", "line": 31, "rule": "orders-archive", "format": "cfn-json", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.yaml", "line": 21, "rule": "dev-uploads", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.yaml", "line": 31, "rule": "BigOrdersRule", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.yaml", "line": 41, "rule": "queue-events", "format": "cfn-yaml", "state": "DISABLED", "static": false}"#,
        r#"{"file": "testdata/rules/cfn/template.yaml", "line": 49, "rule": "broken", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.yaml", "line": 58, "rule": "string-pattern", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/cfn/template.yaml", "line": 69, "rule": "conditional", "format": "cfn-yaml", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/native/rules.json", "line": 5, "rule": "orders", "format": "native", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/native/rules.json", "line": 12, "rule": "typo-source", "format": "native", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/native/rules.yaml", "line": 6, "rule": "s3-uploads", "format": "native", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/native/rules.yaml", "line": 14, "rule": "large-objects", "format": "native", "state": "DISABLED", "static": true}"#,
        r#"{"file": "testdata/rules/native/rules.yaml", "line": 19, "rule": "from-json-string", "format": "native", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/pattern/bad-numeric.json", "line": 1, "rule": "bad-numeric", "format": "pattern", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/pattern/ec2-stopped.yaml", "line": 1, "rule": "ec2-stopped", "format": "pattern", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/pattern/s3-object-created.json", "line": 1, "rule": "s3-object-created", "format": "pattern", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/cfn/conditions.yaml", "line": 26, "rule": "prod-failures", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/cfn/conditions.yaml", "line": 38, "rule": "optional-key", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/cfn/conditions.yaml", "line": 50, "rule": "undecided", "format": "cfn-yaml", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/orders.yaml", "line": 10, "rule": "EventRule", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/orders.yaml", "line": 16, "rule": "shared-name", "format": "cfn-yaml", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/payments.yaml", "line": 8, "rule": "EventRule", "format": "sam", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/payments.yaml", "line": 17, "rule": "HandlerTrigger", "format": "sam", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/payments.yaml", "line": 23, "rule": "shared-name", "format": "sam", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/refunds.tf", "line": 3, "rule": "this", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/returns.tf", "line": 3, "rule": "${var.env}-returns", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/duplicates/returns.tf", "line": 7, "rule": "Handler", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/module.tf", "line": 12, "rule": "order-created-rule", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/module.tf", "line": 16, "rule": "refunds-rule", "format": "terraform", "state": "DISABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/serverless/serverless.yml", "line": 25, "rule": "dispatch-eventbridge-2", "format": "serverless", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/serverless/serverless.yml", "line": 32, "rule": "shipping-dev-delayed", "format": "serverless", "state": "DISABLED", "static": false}"#,
        r#"{"file": "testdata/rules/realworld/serverless/serverless.yml", "line": 44, "rule": "track-cloudwatchevent-1", "format": "serverless", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/serverless/serverless.yml", "line": 52, "rule": "track-eventbridge-1", "format": "serverless", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/serverless/serverless.yml", "line": 67, "rule": "shipping-returns", "format": "serverless", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/terraform/templates.tf", "line": 11, "rule": "findings-${terraform.workspace}", "format": "terraform", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/realworld/terraform/templates.tf", "line": 24, "rule": "from-file", "format": "terraform", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/realworld/terraform/templates.tf", "line": 29, "rule": "escaped", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/realworld/terraform/templates.tf", "line": 39, "rule": "looped", "format": "terraform", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/realworld/terraform/templates.tf", "line": 52, "rule": "computed-key", "format": "terraform", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/realworld/terraform/templates.tf", "line": 60, "rule": "still-wrong", "format": "terraform", "state": "ENABLED", "static": false}"#,
        r#"{"file": "testdata/rules/sam/template.yaml", "line": 14, "rule": "ProcessorOnUpload", "format": "sam", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/sam/template.yaml", "line": 25, "rule": "ProcessorOnAlarm", "format": "sam", "state": "DISABLED", "static": true}"#,
        r#"{"file": "testdata/rules/sam/template.yaml", "line": 38, "rule": "start-workflow", "format": "sam", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/terraform/main.tf", "line": 14, "rule": "orders-created", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/terraform/main.tf", "line": 26, "rule": "ec2-heredoc", "format": "terraform", "state": "DISABLED", "static": true}"#,
        r#"{"file": "testdata/rules/terraform/main.tf", "line": 36, "rule": "staged-dev", "format": "terraform", "state": "ENABLED", "static": true}"#,
        r#"{"file": "testdata/rules/terraform/main.tf", "line": 48, "rule": "quoted", "format": "terraform", "state": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", "static": true}"#,
        r#"{"file": "testdata/rules/terraform/main.tf", "line": 63, "rule": "from-file", "format": "terraform", "state": "ENABLED", "static": false}"#,
    ];
    assert_eq!(lines(&r.stdout), expected);
}

#[test]
fn list_human() {
    let r = evrule(&["list", "testdata/rules/cfn/template.yaml"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        lines(&r.stdout)[..3],
        [
            "testdata/rules/cfn/template.yaml:21: dev-uploads (cfn-yaml, ENABLED)",
            "testdata/rules/cfn/template.yaml:31: BigOrdersRule (cfn-yaml, ENABLED)",
            "testdata/rules/cfn/template.yaml:41: queue-events (cfn-yaml, DISABLED, not static)",
        ]
    );
}

#[test]
fn list_nothing_found_is_exit_1() {
    let r = evrule(&["list", "testdata/rules/skipped"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (1, "", "evrule: no rules found in testdata/rules/skipped\n")
    );
}

// ---- check: exact positions of injected errors, per format ----

/// `file:line:column: severity: message` of every problem, from the JSON output.
fn problems(path: &str) -> (i32, Vec<String>) {
    let r = evrule(&["check", "--format", "json", path]);
    assert_eq!(r.stderr, "", "{path}");
    let found = r
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object a line");
            format!(
                "{}:{}:{}: {}[{}] {}: {}",
                v["file"].as_str().unwrap(),
                v["line"],
                v["column"],
                v["severity"].as_str().unwrap(),
                v["rule"].as_str().unwrap(),
                v["path"].as_str().unwrap(),
                v["message"].as_str().unwrap()
            )
        })
        .collect();
    (r.code, found)
}

#[test]
fn check_bare_pattern_files() {
    let (code, found) = problems("testdata/rules/pattern");
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["testdata/rules/pattern/bad-numeric.json:4:35: error[bad-numeric] /detail/total/0/numeric/1: Value of > must be numeric"]
    );
}

#[test]
fn check_list_rules_and_describe_rule_point_at_the_string() {
    let (code, found) = problems("testdata/rules/aws");
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "testdata/rules/aws/describe-rule.json:4:114: error[payments-failed] /detail/status/0/numeric/1: Value of >= must be numeric",
            "testdata/rules/aws/list-rules.json:20:112: error[big-orders] /detail/total/0/numeric/1: Value of > must be numeric",
            "testdata/rules/aws/list-rules.yaml:8:28: error[empty-source] /source: Empty arrays are not allowed",
        ]
    );
}

#[test]
fn check_native_files() {
    let (code, found) = problems("testdata/rules/native");
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "testdata/rules/native/rules.json:7:51: error[orders] /detail/amount/0/numeric/1: Value of > must be numeric",
            "testdata/rules/native/rules.json:12:31: warning[typo-source] /source/0: source `aws.s4` is not a known AWS service (AWS events come from `aws.<service>`; custom sources must not start with `aws.`)",
            "testdata/rules/native/rules.yaml:17:34: error[large-objects] /detail/object/size/0/numeric/1: Value of > must be numeric",
        ]
    );
}

#[test]
fn check_cloudformation_templates() {
    let (code, found) = problems("testdata/rules/cfn");
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "testdata/rules/cfn/block-literal.yaml:10:49: error[literal-block] /detail/qty/0/numeric/1: Value of > must be numeric",
            "testdata/rules/cfn/template.json:15:24: note[prod-deploys] : pattern of rule `prod-deploys` is not fully static: !Ref AWS::Region checked as a placeholder; give -p AWS::Region=VALUE",
            "testdata/rules/cfn/template.json:23:102: error[StringRule] /detail/size/0/numeric/1: Value of > must be numeric",
            "testdata/rules/cfn/template.yaml:43:13: note[queue-events] : pattern of rule `queue-events` is not fully static: !GetAtt Queue.Arn checked as a placeholder; no value given to evrule decides !GetAtt Queue.Arn",
            "testdata/rules/cfn/template.yaml:53:15: error[broken] /detail/status/1/bogus: Unrecognized match type bogus",
            "testdata/rules/cfn/template.yaml:58:86: error[string-pattern] /detail/n/0/numeric/1: Value of < must be numeric",
            "testdata/rules/cfn/template.yaml:69:21: note[conditional] : pattern of rule `conditional` is unknown until deployment (!If IsProd); not checked; define condition `IsProd` under `Conditions`",
        ]
    );
}

#[test]
fn check_sam_and_cdk() {
    let (code, found) = problems("testdata/rules/sam");
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["testdata/rules/sam/template.yaml:28:26: error[ProcessorOnAlarm] /detail/state/value: Empty arrays are not allowed"]
    );
    let (code, found) = problems("testdata/rules/cdk.out");
    assert_eq!((code, found.len()), (0, 0));
}

#[test]
fn check_terraform() {
    let (code, found) = problems("testdata/rules/terraform");
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "testdata/rules/terraform/main.tf:29:49: error[ec2-heredoc] /detail/state/0/numeric/1: Value of < must be numeric",
            // issue 11: `var.stage` and `local.sources` take their values
            "testdata/rules/terraform/main.tf:40:40: error[staged-dev] /detail/status/1/bogus: Unrecognized match type bogus",
            "testdata/rules/terraform/main.tf:48:67: error[quoted] /detail/x: Empty arrays are not allowed",
            "testdata/rules/terraform/main.tf:63:19: note[from-file] : pattern of rule `from-file` is unknown until deployment (file(\"${path.module}/pattern.json\")); not checked; no value given to evrule decides file(\"${path.module}/pattern.json\")",
        ]
    );
}

#[test]
fn check_human_output_shows_line_and_caret() {
    let r = evrule(&["check", "testdata/rules/pattern/bad-numeric.json"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "testdata/rules/pattern/bad-numeric.json:4:35: error[bad-numeric]: Value of > must be numeric\n  \
         |\n\
         4 |     \"total\": [{ \"numeric\": [\">\", \"ten\"] }]\n  \
         |                                   ^\n\
         checked 1 rule: 1 error, 0 warnings, 0 notes\n"
    );
}

#[test]
fn check_colour_only_when_asked() {
    let r = evrule(&[
        "check",
        "--color",
        "always",
        "testdata/rules/pattern/bad-numeric.json",
    ]);
    assert!(r.stdout.contains("\x1b[1;31merror[bad-numeric]\x1b[0m"));
    let r = evrule(&["check", "testdata/rules/pattern/bad-numeric.json"]);
    assert!(!r.stdout.contains('\x1b'));
}

#[test]
fn check_github_format() {
    let r = evrule(&["check", "--format", "github", "testdata/rules/sam"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "::error file=testdata/rules/sam/template.yaml,line=28,col=26::[ProcessorOnAlarm] Empty arrays are not allowed\n"
    );
}

#[test]
fn check_sarif_format() {
    let r = evrule(&["check", "--format", "sarif", "testdata/rules/native"]);
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("SARIF is JSON");
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ruleId"], "invalid-pattern");
    assert_eq!(results[0]["level"], "error");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(7), Some(51))
    );
    assert_eq!(results[1]["ruleId"], "unknown-aws-source");
    assert_eq!(results[1]["level"], "warning");
}

#[test]
fn check_valid_rules_exit_0() {
    let r = evrule(&[
        "check",
        "testdata/rules/pattern/s3-object-created.json",
        "testdata/rules/cdk.out",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.stdout, "checked 2 rules: 0 errors, 0 warnings, 0 notes\n");
}

#[test]
fn deny_warnings_fails_on_warnings() {
    // Duplicate names are a warning within one file (issue 11: not
    // across unrelated files).
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.yaml");
    std::fs::write(
        &a,
        "rules:\n  - {name: a, pattern: {source: [aws.s3]}}\n  - {name: a, pattern: {source: [aws.ec2]}}\n",
    )
    .unwrap();
    let b = dir.path().join("sub");
    std::fs::create_dir(&b).unwrap();
    std::fs::write(b.join("a.json"), r#"{"source": ["aws.ec2"]}"#).unwrap();
    let path = dir.path().to_str().unwrap();
    let r = evrule(&["check", "--format", "json", path]);
    assert_eq!(r.code, 0);
    let file = a.display().to_string();
    assert_eq!(
        r.stdout,
        format!(
            "{{\"file\": {}, \"rule\": \"a\", \"path\": \"\", \"line\": 3, \"column\": 24, \"message\": \"duplicate rule name `a` (first defined at {}:2:24)\", \"severity\": \"warning\", \"code\": \"duplicate-rule-name\"}}\n",
            serde_json::to_string(&file).unwrap(),
            file
        )
    );
    let r = evrule(&["check", "--deny-warnings", path]);
    assert_eq!(r.code, 1);
}

#[test]
fn max_pattern_len() {
    let r = evrule(&[
        "check",
        "--max-pattern-len",
        "10",
        "--format",
        "json",
        "testdata/rules/pattern/s3-object-created.json",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("\"severity\": \"error\""), "{}", r.stdout);
    let r = evrule(&["check", "--max-pattern-len", "0", "testdata/rules/pattern"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "evrule: --max-pattern-len must be at least 1\n")
    );
}

#[test]
fn parameters_override_defaults() {
    let r = evrule(&[
        "list",
        "--parameter",
        "Stage=prod",
        "testdata/rules/cfn/template.yaml",
    ]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains(":21: prod-uploads (cfn-yaml, ENABLED)"),
        "{}",
        r.stdout
    );
    let r = evrule(&[
        "list",
        "--parameter",
        "AWS::Region=eu-west-1",
        "testdata/rules/cfn/template.json",
    ]);
    assert!(
        r.stdout.contains(":11: prod-deploys (cfn-json, ENABLED)\n"),
        "{}",
        r.stdout
    );
    let r = evrule(&["list", "--parameter", "oops", "testdata/rules/cfn"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "evrule: --parameter expects KEY=VALUE, got `oops`\n")
    );
}

// ---- files that cannot be read: exit 2, file:line:column, exact text ----

#[test]
fn unreadable_files_are_errors_with_positions() {
    // `list` cannot list them: an error. (`check` reports them as
    // findings: see `syntax_errors_are_findings_of_check`.)
    let r = evrule(&["list", "testdata/rules-invalid"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        lines(&r.stderr),
        [
            "evrule: testdata/rules-invalid/nameless.yaml:2:5: rule has no `name`",
            "evrule: testdata/rules-invalid/trailing-comma.json:4:3: invalid JSON: trailing comma",
            "evrule: testdata/rules-invalid/unclosed.yaml:3:14: invalid YAML: this flow mapping `{` is never closed (invalid indentation)",
            "evrule: testdata/rules-invalid/unterminated-heredoc.tf:2:19: invalid Terraform: unterminated heredoc: no closing `EOF`",
        ]
    );
}

#[test]
fn explicit_file_without_rules_is_an_error() {
    let r = evrule(&["list", "testdata/rules-invalid/no-rules.yaml"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: testdata/rules-invalid/no-rules.yaml: no rules found (expected an event pattern, \
         `aws events list-rules` or `describe-rule` output, a `rules:` file, a CloudFormation or SAM \
         template, or Terraform)\n"
    );
}

#[test]
fn files_without_rules_found_by_search_are_skipped() {
    // skipped/ holds a package.json and an event: neither is a rule file,
    // and no rule beside them: `check` fails as `list` does (issue 11).
    let r = evrule(&["check", "testdata/rules/skipped"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "evrule: no rules found in testdata/rules/skipped\n")
    );
    assert_eq!(r.stdout, "checked 0 rules: 0 errors, 0 warnings, 0 notes\n");
    let r = evrule(&[
        "check",
        "testdata/rules/skipped",
        "testdata/rules/pattern/s3-object-created.json",
    ]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{}", r.stdout);
}

#[test]
fn missing_file() {
    let r = evrule(&["check", "no/such/file.json"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "evrule: no/such/file.json: no such file or directory\n")
    );
}

#[test]
fn invalid_utf8_names_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.json");
    std::fs::write(&f, b"{\n  \"source\": [\"\xff\"]\n}\n").unwrap();
    let r = evrule(&["list", f.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("evrule: {}:2:15: invalid UTF-8\n", f.display())
    );
    let r = evrule(&["check", "--format", "json", f.to_str().unwrap()]);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
    assert_eq!(
        r.stdout,
        format!(
            "{{\"file\": {:?}, \"rule\": \"\", \"path\": \"\", \"line\": 2, \"column\": 15, \"message\": \"invalid UTF-8\", \"severity\": \"error\", \"code\": \"syntax-error\"}}\n",
            f.display().to_string()
        )
    );
}

#[test]
fn yaml_alias_bomb_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bomb.yaml");
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(&f, text).unwrap();
    let r = evrule(&["list", f.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "evrule: {}:6:40: document expands to more than 1000000 nodes (aliases)\n",
            f.display()
        )
    );
}

#[test]
fn deeply_nested_json_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("deep.json");
    std::fs::write(&f, "[".repeat(100_000)).unwrap();
    let r = evrule(&["list", f.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "evrule: {}:1:129: invalid JSON: nesting deeper than 128 levels\n",
            f.display()
        )
    );
}

// ---- scale and pipes ----

#[test]
fn check_two_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        let sub = dir.path().join(format!("d{}", i % 20));
        std::fs::create_dir_all(&sub).unwrap();
        let body = if i == 1234 {
            r#"{"source": ["com.example"], "detail": {"n": []}}"#.to_string()
        } else {
            format!(r#"{{"source": ["com.example.s{i}"], "detail-type": ["T{i}"]}}"#)
        };
        std::fs::write(sub.join(format!("rule{i}.json")), body).unwrap();
    }
    let path = dir.path().to_str().unwrap();
    let r = evrule(&["check", "--format", "json", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = lines(&r.stdout);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("\"rule\": \"rule1234\""), "{}", found[0]);
    let r = evrule(&["list", "--format", "json", path]);
    assert_eq!((r.code, r.stdout.lines().count()), (0, 2000));
}

#[test]
fn broken_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(["list", "testdata/rules"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!((status.code(), stderr.as_str()), (Some(0), ""));
}

// ---- help ----

#[test]
fn every_command_has_an_example_in_help() {
    for cmd in [&["--help"][..], &["check", "--help"], &["list", "--help"]] {
        let r = evrule(cmd);
        assert_eq!(r.code, 0);
        assert!(
            r.stdout.contains("Examples:\n  evrule "),
            "{cmd:?}: {}",
            r.stdout
        );
    }
}

#[test]
fn dead_rule_warning_only_when_certain() {
    let dir = tempfile::tempdir().unwrap();
    // Absent and present at once: dead.
    std::fs::write(
        dir.path().join("dead.json"),
        r#"{"detail.state": [{"exists": false}], "detail": {"state": ["b"]}}"#,
    )
    .unwrap();
    // Disjoint values on one field: an array field can hold both, so not dead.
    std::fs::write(
        dir.path().join("alive.json"),
        r#"{"detail.state": ["a"], "detail": {"state": ["b"]}}"#,
    )
    .unwrap();
    let r = evrule(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!(
            "{{\"file\": {}, \"rule\": \"dead\", \"path\": \"/detail/state\", \"line\": 1, \"column\": 60, \"message\": \"rule can never match: this field must be both present and absent\", \"severity\": \"warning\", \"code\": \"dead-rule\"}}\n",
            serde_json::to_string(&dir.path().join("dead.json").display().to_string()).unwrap()
        )
    );
}

/// Issue 12: one directory walk for rules and events. Links are followed
/// by both; a loop is reported once, by name, and the walk goes on.
#[cfg(unix)]
#[test]
fn rule_and_event_walks_follow_links_and_report_loops() {
    use std::os::unix::fs::symlink;
    let t = crate::support::fixture(&[
        (
            "real/rules.json",
            br#"{"Name": "r", "EventPattern": {"source": ["a"]}}"#,
        ),
        ("real/e.json", br#"{"source": "a"}"#),
    ]);
    let d = t.path();
    symlink(d.join("real"), d.join("linked")).unwrap();
    symlink(d.join("real"), d.join("real/back")).unwrap();
    let r = crate::support::run_in(d, &["list", "."], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("linked/rules.json") && r.stdout.contains("real/rules.json"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stderr
            .matches("symbolic link loop: leads back to")
            .count(),
        2,
        "{}",
        r.stderr
    );
}
