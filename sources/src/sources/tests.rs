//! Each fixture in `testdata/rules/` read into rule records: names, states
//! and the exact pattern text handed to the parser.

use std::path::{Path, PathBuf};

use super::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/rules")
        .join(rel)
}

fn read(rel: &str) -> Vec<(String, String, Option<String>)> {
    read_with(rel, &LoadOptions::default())
}

fn read_with(rel: &str, options: &LoadOptions) -> Vec<(String, String, Option<String>)> {
    load_file(&fixture(rel), true, options)
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.state, r.pattern))
        .collect()
}

#[test]
fn pattern_s3_object_created_json() {
    assert_eq!(
        read("pattern/s3-object-created.json"),
        [
            ("s3-object-created".to_string(), "ENABLED".to_string(), Some("{\n  \"source\": [\"aws.s3\"],\n  \"detail-type\": [\"Object Created\"],\n  \"detail\": {\n    \"bucket\": { \"name\": [\"invoices\"] }\n  }\n}\n".to_string())),
        ]
    );
}

#[test]
fn pattern_ec2_stopped_yaml() {
    assert_eq!(
        read("pattern/ec2-stopped.yaml"),
        [
            ("ec2-stopped".to_string(), "ENABLED".to_string(), Some(r#"{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["stopped","terminated"]}}"#.to_string())),
        ]
    );
}

#[test]
fn aws_list_rules_json() {
    assert_eq!(
        read("aws/list-rules.json"),
        [
            ("orders-created".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail-type":["Order Created"]}"#.to_string())),
            ("big-orders".to_string(), "DISABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail":{"total":[{"numeric":[">","x"]}]}}"#.to_string())),
        ]
    );
}

#[test]
fn aws_list_rules_yaml() {
    assert_eq!(
        read("aws/list-rules.yaml"),
        [
            (
                "ec2-stopped".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["aws.ec2"],"detail":{"state":["stopped"]}}"#.to_string())
            ),
            (
                "empty-source".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":[]}"#.to_string())
            ),
        ]
    );
}

#[test]
fn aws_describe_rule_json() {
    assert_eq!(
        read("aws/describe-rule.json"),
        [
            ("payments-failed".to_string(), "ENABLED".to_string(), Some(r#"{"source": ["com.example.payments"], "detail": {"status": [{"numeric": [">=", "a"]}]}}"#.to_string())),
        ]
    );
}

#[test]
fn native_rules_yaml() {
    assert_eq!(
        read("native/rules.yaml"),
        [
            ("s3-uploads".to_string(), "ENABLED".to_string(), Some(r#"{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"bucket":{"name":["uploads"]}}}"#.to_string())),
            ("large-objects".to_string(), "DISABLED".to_string(), Some(r#"{"source":["aws.s3"],"detail":{"object":{"size":[{"numeric":[">","big"]}]}}}"#.to_string())),
            ("from-json-string".to_string(), "ENABLED".to_string(), Some(r#"{"source": ["aws.sqs"]}"#.to_string())),
        ]
    );
}

#[test]
fn native_rules_json() {
    assert_eq!(
        read("native/rules.json"),
        [
            ("orders".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail":{"amount":[{"numeric":[">","0"]}]}}"#.to_string())),
            ("typo-source".to_string(), "ENABLED".to_string(), Some(r#"{"source":["aws.s4"]}"#.to_string())),
        ]
    );
}

#[test]
fn cfn_template_yaml() {
    assert_eq!(
        read("cfn/template.yaml"),
        [
            ("dev-uploads".to_string(), "ENABLED".to_string(), Some(r#"{"source":["aws.s3"],"detail":{"bucket":{"name":["uploads-dev"]}}}"#.to_string())),
            ("BigOrdersRule".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail":{"total":[{"numeric":[">",100]}]}}"#.to_string())),
            ("queue-events".to_string(), "DISABLED".to_string(), Some(r#"{"source":["aws.sqs"],"resources":["evrule:unresolved"]}"#.to_string())),
            ("broken".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail":{"status":[{"prefix":"new"},{"bogus":"x"}]}}"#.to_string())),
            ("string-pattern".to_string(), "ENABLED".to_string(), Some(r#"{"source": ["com.example"], "detail": {"n": [{"numeric": ["<", "z"]}]}}"#.to_string())),
            ("conditional".to_string(), "ENABLED".to_string(), None),
        ]
    );
}

#[test]
fn cfn_template_json() {
    assert_eq!(
        read("cfn/template.json"),
        [
            ("prod-deploys".to_string(), "ENABLED".to_string(), Some(r#"{"source":["aws.codedeploy"],"detail":{"application":["app-prod"],"region":["evrule:unresolved"]}}"#.to_string())),
            ("StringRule".to_string(), "ENABLED".to_string(), Some(r#"{"source": ["aws.ec2"], "detail": {"size": [{"numeric": [">", "x"]}]}}"#.to_string())),
            ("orders-archive".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"]}"#.to_string())),
        ]
    );
}

#[test]
fn sam_template_yaml() {
    assert_eq!(
        read("sam/template.yaml"),
        [
            (
                "ProcessorOnUpload".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["aws.s3"],"detail-type":["Object Created"]}"#.to_string())
            ),
            (
                "ProcessorOnAlarm".to_string(),
                "DISABLED".to_string(),
                Some(
                    r#"{"source":["aws.cloudwatch"],"detail":{"state":{"value":[]}}}"#.to_string()
                )
            ),
            (
                "start-workflow".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["com.example.orders"]}"#.to_string())
            ),
        ]
    );
}

#[test]
fn cdk_out_ordersstack_template_json() {
    assert_eq!(
        read("cdk.out/OrdersStack.template.json"),
        [(
            "OrderRule4F3E1A2B".to_string(),
            "ENABLED".to_string(),
            Some(r#"{"source":["com.example.orders"],"detail-type":["Order Placed"]}"#.to_string())
        ),]
    );
}

#[test]
fn terraform_main_tf() {
    assert_eq!(
        read("terraform/main.tf"),
        [
            ("orders-created".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail-type":["Order Created"],"detail":{"total":[{"numeric":[">",100]}]}}"#.to_string())),
            ("ec2-heredoc".to_string(), "DISABLED".to_string(), Some("{\n  \"source\": [\"aws.ec2\"],\n  \"detail\": { \"state\": [{ \"numeric\": [\"<\", \"x\"] }] }\n}\n".to_string())),
            // `var.stage` takes its default, `local.sources` its value
            ("staged-dev".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.orders"],"detail":{"stage":["dev"],"status":[{"prefix":"fail"},{"bogus":1}]}}"#.to_string())),
            ("quoted".to_string(), "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS".to_string(), Some(r#"{"source": ["aws.s3"], "detail": {"x": []}}"#.to_string())),
            ("from-file".to_string(), "ENABLED".to_string(), None),
        ]
    );
}

#[test]
fn parameters_override_defaults_and_pseudo_parameters_resolve() {
    let options = LoadOptions {
        parameters: vec![
            ("Env".to_string(), "staging".to_string()),
            ("AWS::Region".to_string(), "eu-west-1".to_string()),
        ],
    };
    let rules = load_file(&fixture("cfn/template.json"), true, &options).unwrap();
    assert_eq!(rules[0].name, "staging-deploys");
    assert!(rules[0].is_static());
    assert_eq!(
        rules[0].pattern.as_deref(),
        Some(
            r#"{"source":["aws.codedeploy"],"detail":{"application":["app-staging"],"region":["eu-west-1"]}}"#
        )
    );
}

#[test]
fn positions_inside_json_strings_follow_escapes() {
    let rules = load_file(
        &fixture("aws/list-rules.json"),
        true,
        &LoadOptions::default(),
    )
    .unwrap();
    let big = &rules[1];
    let text = big.pattern.as_deref().unwrap();
    let at = text.find("\"x\"").unwrap();
    // The offset map follows the escapes to the exact character...
    let off = big.file_offset(Some(at));
    assert_eq!(&big.file.text()[off..off + 5], r#"\"x\""#);
    // ...and so does a reported location: one place, the character itself
    // (issue 11: one location per error, not two).
    let loc = big.locate(Some(at));
    let line = big.file.line_text(loc.line);
    let col0 = line.char_indices().nth(loc.column - 1).unwrap().0;
    assert_eq!(&line[col0..col0 + 5], r#"\"x\""#);
    assert_eq!(loc.inner, None);
}

#[test]
fn found_by_search_a_file_without_rules_yields_nothing() {
    let rules = load_file(
        &fixture("skipped/package.json"),
        false,
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(rules.is_empty());
    let err = load_file(
        &fixture("skipped/package.json"),
        true,
        &LoadOptions::default(),
    );
    assert!(
        err.is_ok(),
        "an explicit JSON object is read as a bare pattern"
    );
}

/// Every prefix of every fixture (a file cut anywhere) is read without a
/// panic, and every offset of every resulting pattern maps to a place in
/// the file.
#[test]
fn truncated_files_never_panic() {
    let mut files = Vec::new();
    let mut stack = vec![fixture("")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10);
    let options = LoadOptions::default();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let cuts = (0..=text.len()).filter(|&i| text.is_char_boundary(i));
        let mut variants: Vec<String> =
            cuts.step_by(3).map(|cut| text[..cut].to_string()).collect();
        // And a hostile character inserted here and there.
        for (i, at) in (0..text.len()).step_by(5).enumerate() {
            if text.is_char_boundary(at) {
                let c = [
                    "\"", "{", "\\", "\n", "'", "[", "*a", "&a ", "!Ref ", "${", "<<EOF\n", "}",
                ][i % 12];
                variants.push(format!("{}{c}{}", &text[..at], &text[at..]));
            }
        }
        for variant in variants {
            let file = Arc::new(SourceFile::new(path.clone(), variant));
            let Ok(rules) = read_rules(&file, true, &options) else {
                continue;
            };
            for rule in rules {
                let len = rule.pattern.as_ref().map_or(0, String::len);
                for at in 0..=len + 1 {
                    let loc = rule.locate(Some(at));
                    assert!(loc.line >= 1 && loc.column >= 1);
                }
            }
        }
    }
}

/// Resources whose names refer to each other, and references that fan out,
/// end as unknown values instead of recursing forever.
#[test]
fn cyclic_and_fanning_references_terminate() {
    let mut text = String::from(
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref B\n  \
         B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref A\n",
    );
    for i in 0..40 {
        let next = format!("${{F{}}}", i + 1);
        text.push_str(&format!(
            "  F{i}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub \"{}\"\n",
            next.repeat(4)
        ));
    }
    text.push_str(
        "  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern:\n        \
         detail:\n          a: [!Ref A]\n          f: [!Ref F0]\n",
    );
    let file = Arc::new(SourceFile::new("t.yaml".into(), text));
    let rules = read_rules(&file, true, &LoadOptions::default()).unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].unresolved_list(), "!Ref A, !Ref F0");
}

#[test]
fn realworld_serverless_yml() {
    assert_eq!(
        read("realworld/serverless/serverless.yml"),
        [
            ("dispatch-eventbridge-2".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.shipping"],"detail-type":["Parcel Dispatched"]}"#.to_string())),
            ("shipping-dev-delayed".to_string(), "DISABLED".to_string(), Some(r#"{"source":["com.example.shipping"],"detail":{"carrier":["evrule:unresolved"],"stage":["dev"]}}"#.to_string())),
            ("track-cloudwatchevent-1".to_string(), "ENABLED".to_string(), Some(r#"{"source":["aws.s3"],"detail":{"bucket":{"name":["shipping-labels"]}}}"#.to_string())),
            ("track-eventbridge-1".to_string(), "ENABLED".to_string(), Some(r#"{"detail":{"weight":[{"numeric":[">","heavy"]}]}}"#.to_string())),
            ("shipping-returns".to_string(), "ENABLED".to_string(), Some(r#"{"source":["com.example.returns"]}"#.to_string())),
        ]
    );
}

#[test]
fn realworld_cfn_conditions() {
    assert_eq!(
        read("realworld/cfn/conditions.yaml"),
        [
            (
                "prod-failures".to_string(),
                "ENABLED".to_string(),
                Some(
                    r#"{"source":["aws.codebuild"],"detail":{"build-status":["FAILED"]}}"#
                        .to_string()
                )
            ),
            (
                "optional-key".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["aws.health"],"detail":{"service":["EC2","RDS"]}}"#.to_string())
            ),
            ("undecided".to_string(), "ENABLED".to_string(), None),
        ]
    );
    let dev = LoadOptions {
        parameters: vec![
            ("Stage".to_string(), "dev".to_string()),
            ("AlertAccount".to_string(), "123456789012".to_string()),
        ],
    };
    assert_eq!(
        read_with("realworld/cfn/conditions.yaml", &dev),
        [
            (
                "dev-failures".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["aws.codebuild"]}"#.to_string())
            ),
            (
                "optional-key".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["aws.health"],"detail":{"service":["EC2"]}}"#.to_string())
            ),
            ("undecided".to_string(), "ENABLED".to_string(), None),
            (
                "schedule-only".to_string(),
                "ENABLED".to_string(),
                Some(r#"{"source":["aws.ec2"]}"#.to_string())
            ),
        ]
    );
}
