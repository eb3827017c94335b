//! The targets of the rules in a rule file, for commands that deliver
//! (`route`, `replay`), in the JSON shape of PutTargets so that the routing
//! library loads them as they are.
//!
//! Rule files that carry targets: CloudFormation and SAM templates
//! (`AWS::Events::Rule` `Targets`, and SAM functions' `EventBridgeRule`
//! events, whose target is the function), `list-rules` / `describe-rule`
//! shaped files whose rules have a `Targets` list, and evrule's own `rules:`
//! files with `targets:`. A file of another kind yields no targets; its
//! rules can still get targets from the bus configuration.

use std::path::Path;

use serde_json::Value as Json;

use super::doc::{Node, Value};
use super::{cfn, Ctx, LoadOptions, SourceError};

/// What a rule file says about one rule's targets.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleTargets {
    /// The rule's name, as [`super::RuleSource::name`] has it.
    pub rule: String,
    /// 1-based line of the rule in its file.
    pub line: usize,
    /// Each target in PutTargets' shape, or why it cannot be known without
    /// deploying.
    pub targets: Vec<Result<Json, String>>,
    /// True when the "rule" is an `AWS::Events::Archive`: its pattern picks
    /// events to archive, and it delivers nowhere.
    pub archive: bool,
}

/// Read the targets of every rule in a JSON or YAML rule file.
pub fn load_targets(path: &Path, options: &LoadOptions) -> Result<Vec<RuleTargets>, SourceError> {
    let lower = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_ascii_lowercase());
    if lower.ends_with(".tf") {
        return Ok(Vec::new());
    }
    let file = super::read_source(path)?;
    let (docs, json) = super::parse_documents(&file, &lower)?;
    let ctx = Ctx {
        file: &file,
        json,
        options,
    };
    let mut out = Vec::new();
    for doc in &docs {
        if doc.get("Resources").and_then(Node::as_map).is_some() {
            cfn::targets(&ctx, doc, &mut out);
            continue;
        }
        let (items, name_key, targets_key) = if let Some(rules) = doc.get("Rules") {
            (rules.as_seq().unwrap_or_default(), "Name", "Targets")
        } else if let Some(rules) = doc.get("rules") {
            (rules.as_seq().unwrap_or_default(), "name", "targets")
        } else if doc.get("EventPattern").is_some() {
            (std::slice::from_ref(doc), "Name", "Targets")
        } else {
            continue;
        };
        for item in items {
            let (Some(name), Some(targets)) = (
                item.get(name_key).and_then(Node::scalar_text),
                item.get(targets_key).and_then(Node::as_seq),
            ) else {
                continue;
            };
            out.push(RuleTargets {
                rule: name,
                line: file.line_col(item.offset).0,
                targets: targets
                    .iter()
                    .map(|t| to_json(t).map_err(|what| unknown_field(t, &what)))
                    .collect(),
                archive: false,
            });
        }
    }
    Ok(out)
}

fn unknown_field(target: &Node, what: &str) -> String {
    let id = target
        .get("Id")
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| "?".into());
    format!("target {id} depends on {what}, which is not known before deployment")
}

/// `Err` for a node tagged with an intrinsic function: outside a template
/// nothing evaluates it.
fn untagged(node: &Node) -> Result<(), String> {
    match &node.tag {
        Some(tag) => {
            let arg = node.scalar_text().unwrap_or_default();
            Err(format!("{tag} {arg}").trim_end().to_string())
        }
        None => Ok(()),
    }
}

/// Whether a number's text (YAML's spellings included) is a JSON number.
fn is_json_number(text: &str) -> bool {
    matches!(
        evrule::json::parse(text.as_bytes(), 1),
        Ok(evrule::json::Node {
            value: evrule::json::Value::Number(_),
            ..
        })
    )
}

/// A node as JSON; `Err` names the first value unknown before deployment.
/// Numbers are as exact as serde_json holds them: for a rule whose pattern
/// must keep its numbers as written, use [`to_json_text`].
pub fn to_json(node: &Node) -> Result<Json, String> {
    untagged(node)?;
    Ok(match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(text) => match text.parse::<serde_json::Number>() {
            Ok(n) if is_json_number(text) => Json::Number(n),
            _ => Json::String(text.clone()),
        },
        Value::String(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let key = k.scalar_text().unwrap_or_default();
                map.insert(key, to_json(v)?);
            }
            Json::Object(map)
        }
        Value::Unknown(what) => return Err(what.clone()),
    })
}

/// A node as JSON text, every number as written (one that is not a JSON
/// number as a string, as [`to_json`] has it); `Err` names the first value
/// unknown before deployment.
pub fn to_json_text(node: &Node) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, node)?;
    Ok(out)
}

fn write_json(out: &mut String, node: &Node) -> Result<(), String> {
    write_compact(node, out, &mut |node, out| {
        untagged(node)?;
        match &node.value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(text) if is_json_number(text) => out.push_str(text),
            Value::Number(text) | Value::String(text) => {
                out.push_str(&serde_json::to_string(text).expect("a string prints"));
            }
            Value::Unknown(what) => return Err(what.clone()),
            Value::Seq(_) | Value::Map(_) => {
                unreachable!("containers are written by write_compact")
            }
        }
        Ok(())
    })
}

/// Append `node` as compact JSON: arrays and objects (keys as their scalar
/// text) written here, everything else, and tagged containers, by
/// `scalar`, whose `Err` stops the writing.
pub fn write_compact(
    node: &Node,
    out: &mut String,
    scalar: &mut dyn FnMut(&Node, &mut String) -> Result<(), String>,
) -> Result<(), String> {
    match &node.value {
        _ if node.tag.is_some() => scalar(node, out)?,
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out, scalar)?;
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let key = k.scalar_text().unwrap_or_default();
                out.push_str(&serde_json::to_string(&key).expect("a string prints"));
                out.push(':');
                write_compact(v, out, scalar)?;
            }
            out.push('}');
        }
        _ => scalar(node, out)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_keeps_numbers_as_written() {
        let file = crate::sources::SourceFile::new(
            "t.yaml".into(),
            "a: [1.50, 1e400, 0x1f, -0, x, null, true]\nb: {c: 5.000}\n".into(),
        );
        let docs = crate::sources::parse_yaml(&file).unwrap();
        assert_eq!(
            to_json_text(&docs[0]).unwrap(),
            r#"{"a":[1.50,1e400,31,-0,"x",null,true],"b":{"c":5.000}}"#
        );
    }

    fn targets_of(name: &str, text: &str) -> Vec<RuleTargets> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        load_targets(&path, &LoadOptions::default()).unwrap()
    }

    #[test]
    fn cloudformation_arns_resolve_or_become_logical_ids() {
        let found = targets_of(
            "t.yaml",
            r#"Parameters:
  QueueArn: {Type: String, Default: "arn:aws:sqs:us-east-1:1:from-param"}
  NoDefault: {Type: String}
Resources:
  Q: {Type: AWS::SQS::Queue}
  R:
    Type: AWS::Events::Rule
    Properties:
      Name: r
      EventPattern: {source: [a]}
      Targets:
        - {Id: getatt, Arn: !GetAtt Q.Arn, RetryPolicy: {MaximumRetryAttempts: 2}}
        - {Id: long, Arn: {"Fn::GetAtt": [Q, Arn]}, DeadLetterConfig: {Arn: {Ref: Dlq}}}
        - {Id: param, Arn: !Ref QueueArn}
        - {Id: unset, Arn: !Ref NoDefault}
        - {Id: literal, Arn: "arn:aws:lambda:us-east-1:1:function:f", Input: !Sub '{"stage": "${QueueArn}"}'}
  Ignored:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{Id: x, Arn: y}]
"#,
        );
        assert_eq!(found.len(), 1);
        let r = &found[0];
        assert_eq!((r.rule.as_str(), r.line, r.archive), ("r", 10, false));
        let t: Vec<Json> = r.targets.iter().cloned().map(Result::unwrap).collect();
        assert_eq!(t[0]["Arn"], "Q");
        assert_eq!(t[0]["RetryPolicy"]["MaximumRetryAttempts"], 2);
        assert_eq!(t[1]["Arn"], "Q");
        assert_eq!(t[1]["DeadLetterConfig"]["Arn"], "Dlq");
        assert_eq!(t[2]["Arn"], "arn:aws:sqs:us-east-1:1:from-param");
        assert_eq!(t[3]["Arn"], "NoDefault");
        assert_eq!(
            t[4]["Input"],
            r#"{"stage": "arn:aws:sqs:us-east-1:1:from-param"}"#
        );
    }

    #[test]
    fn unknown_target_values_are_errors_naming_the_target() {
        let found = targets_of(
            "t.json",
            r#"{"Resources": {"R": {"Type": "AWS::Events::Rule", "Properties": {
                "EventPattern": {"source": ["a"]},
                "Targets": [{"Id": "t", "Arn": "arn:x", "Input": {"Fn::ImportValue": "Shared"}}]}},
              "A": {"Type": "AWS::Events::Archive", "Properties": {
                "ArchiveName": "keep", "EventPattern": {"source": ["a"]}}}}}"#,
        );
        assert_eq!(
            found[0].targets,
            [Err(
                "target t depends on !ImportValue Shared, which is not known before deployment"
                    .to_string()
            )]
        );
        assert_eq!((found[1].rule.as_str(), found[1].archive), ("keep", true));
    }

    #[test]
    fn aws_shaped_files_keep_their_targets() {
        let found = targets_of(
            "rules.yaml",
            "Rules:\n  - Name: a\n    EventPattern: '{}'\n    Targets: [{Id: t, Arn: T, InputPath: $.detail}]\n  - Name: b\n    EventPattern: '{}'\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].targets,
            [Ok(
                serde_json::json!({"Id": "t", "Arn": "T", "InputPath": "$.detail"})
            )]
        );
        let native = targets_of(
            "native.yaml",
            "rules:\n  - name: n\n    pattern: {source: [a]}\n    targets: [{Id: t, Arn: T}]\n",
        );
        assert_eq!(native[0].rule, "n");
        assert!(targets_of("x.tf", "resource \"x\" \"y\" {}").is_empty());
    }
}
