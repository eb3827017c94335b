//! Warnings about valid patterns that are probably wrong.

use std::collections::BTreeMap;

use evrule::pattern::{Condition, ConditionKind, FieldValue, Object};
use evrule::Pattern;

use super::{Problem, Severity};
use crate::catalogue::detail_types_by_source;
use crate::sources::suggest::nearest;
use crate::sources::{RuleSource, ENVELOPE};

/// `source` values of AWS services (`aws.<service>`), for the unknown
/// source warning. Not exhaustive: common services only.
const AWS_SOURCES: &[&str] = &[
    "aws.access-analyzer",
    "aws.acm",
    "aws.acm-pca",
    "aws.amplify",
    "aws.apigateway",
    "aws.appconfig",
    "aws.appflow",
    "aws.appsync",
    "aws.athena",
    "aws.auditmanager",
    "aws.autoscaling",
    "aws.backup",
    "aws.batch",
    "aws.bedrock",
    "aws.budgets",
    "aws.chatbot",
    "aws.cloud9",
    "aws.cloudformation",
    "aws.cloudfront",
    "aws.cloudhsm",
    "aws.cloudtrail",
    "aws.cloudwatch",
    "aws.codeartifact",
    "aws.codebuild",
    "aws.codecommit",
    "aws.codedeploy",
    "aws.codeguru-reviewer",
    "aws.codepipeline",
    "aws.codestar-notifications",
    "aws.cognito-idp",
    "aws.comprehend",
    "aws.config",
    "aws.connect",
    "aws.controltower",
    "aws.databrew",
    "aws.datasync",
    "aws.dlm",
    "aws.dms",
    "aws.drs",
    "aws.ds",
    "aws.dynamodb",
    "aws.ebs",
    "aws.ec2",
    "aws.ec2fleet",
    "aws.ec2spotfleet",
    "aws.ecr",
    "aws.ecs",
    "aws.eks",
    "aws.elasticache",
    "aws.elasticbeanstalk",
    "aws.elasticfilesystem",
    "aws.elasticloadbalancing",
    "aws.elasticmapreduce",
    "aws.emr",
    "aws.emr-serverless",
    "aws.es",
    "aws.events",
    "aws.firehose",
    "aws.fsx",
    "aws.gamelift",
    "aws.glue",
    "aws.greengrass",
    "aws.guardduty",
    "aws.health",
    "aws.iam",
    "aws.imagebuilder",
    "aws.inspector",
    "aws.inspector2",
    "aws.iot",
    "aws.ivs",
    "aws.kafka",
    "aws.kinesis",
    "aws.kinesisanalytics",
    "aws.kms",
    "aws.lakeformation",
    "aws.lambda",
    "aws.lightsail",
    "aws.logs",
    "aws.macie",
    "aws.macie2",
    "aws.mediaconvert",
    "aws.medialive",
    "aws.mediapackage",
    "aws.mediastore",
    "aws.mq",
    "aws.neptune",
    "aws.opensearch",
    "aws.opsworks",
    "aws.organizations",
    "aws.pipes",
    "aws.qldb",
    "aws.quicksight",
    "aws.rds",
    "aws.redshift",
    "aws.redshift-serverless",
    "aws.rekognition",
    "aws.resource-groups",
    "aws.route53",
    "aws.s3",
    "aws.sagemaker",
    "aws.savingsplans",
    "aws.scheduler",
    "aws.schemas",
    "aws.secretsmanager",
    "aws.securityhub",
    "aws.servicecatalog",
    "aws.ses",
    "aws.shield",
    "aws.signin",
    "aws.sms",
    "aws.sns",
    "aws.sqs",
    "aws.ssm",
    "aws.sso",
    "aws.states",
    "aws.storagegateway",
    "aws.sts",
    "aws.support",
    "aws.tag",
    "aws.textract",
    "aws.transcribe",
    "aws.transfer",
    "aws.trustedadvisor",
    "aws.waf",
    "aws.wafv2",
    "aws.workspaces",
    "aws.xray",
];

/// Add the warnings for `pattern` of `rule` to `out`.
pub fn lint(rule: &RuleSource, pattern: &Pattern, out: &mut Vec<Problem>) {
    sources(rule, pattern.root(), "", out);
    envelope(rule, pattern.root(), "", out);
    detail_types(rule, pattern.root(), &[], "", out);
    dead(rule, pattern.root(), out);
}

fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Top-level fields that no EventBridge event has (`Source`,
/// `detailType`): such a rule matches nothing.
fn envelope(rule: &RuleSource, obj: &Object, path: &str, out: &mut Vec<Problem>) {
    let keys = || ENVELOPE.iter().copied().filter(|k| *k != "$or");
    for field in &obj.fields {
        let top = field.key.split('.').next().unwrap_or_default();
        if ENVELOPE.contains(&top) {
            continue;
        }
        let hint = nearest(top, keys()).map(|k| format!("did you mean `{k}`?"));
        out.push(
            Problem::at(
                rule,
                Severity::Warning,
                "unknown-top-level-field",
                &format!("{path}/{}", pointer_key(&field.key)),
                Some(field.key_span.start),
                format!(
                    "no EventBridge event has a top-level field `{top}` (an event has {}; \
                 its own fields are under `detail`)",
                    keys().collect::<Vec<_>>().join(", ")
                ),
            )
            .with_hint(hint),
        );
    }
    for or in &obj.ors {
        for (i, branch) in or.branches.iter().enumerate() {
            envelope(rule, branch, &format!("{path}/$or/{i}"), out);
        }
    }
}

/// Exact values of a top-level field of `obj` (`None` when the field is
/// absent or matched other than by exact strings).
fn exact<'p>(obj: &'p Object, key: &str) -> Option<Vec<(&'p str, usize, usize)>> {
    let field = obj.fields.iter().find(|f| f.key == key)?;
    let FieldValue::Conditions(conditions) = &field.value else {
        return None;
    };
    conditions
        .iter()
        .enumerate()
        .map(|(i, c)| match &c.kind {
            ConditionKind::String(s) => Some((s.as_str(), i, c.span.start)),
            _ => None,
        })
        .collect()
}

/// A `detail-type` that the named AWS `source` never sends (`Object
/// Create` for `aws.s3`), judged by the sample catalogue, for sources it
/// knows. `sources` are the exact sources of the enclosing branches.
fn detail_types(
    rule: &RuleSource,
    obj: &Object,
    outer: &[&str],
    path: &str,
    out: &mut Vec<Problem>,
) {
    let own = exact(obj, "source").map(|s| s.into_iter().map(|(v, _, _)| v).collect::<Vec<_>>());
    let sources: &[&str] = own.as_deref().unwrap_or(outer);
    let table = detail_types_by_source();
    let known: Option<Vec<&str>> = (!sources.is_empty())
        .then(|| {
            sources
                .iter()
                .map(|s| {
                    table
                        .iter()
                        .find(|(t, _)| t == s)
                        .map(|(_, d)| d.iter().map(String::as_str).collect::<Vec<_>>())
                })
                .collect::<Option<Vec<_>>>()
                .map(|lists| lists.concat())
        })
        .flatten();
    if let (Some(known), Some(values)) = (&known, exact(obj, "detail-type")) {
        for (value, i, at) in values {
            if known.contains(&value) {
                continue;
            }
            let hint =
                nearest(value, known.iter().copied()).map(|k| format!("did you mean `{k}`?"));
            out.push(
                Problem::at(
                    rule,
                    Severity::Warning,
                    "unknown-detail-type",
                    &format!("{path}/detail-type/{i}"),
                    Some(at),
                    format!(
                        "{} never sends detail-type `{value}` (known: {})",
                        sources.join(", "),
                        known.join(", ")
                    ),
                )
                .with_hint(hint),
            );
        }
    }
    for or in &obj.ors {
        for (i, branch) in or.branches.iter().enumerate() {
            detail_types(rule, branch, sources, &format!("{path}/$or/{i}"), out);
        }
    }
}

/// `source` values that look like AWS's but name no service we know.
fn sources(rule: &RuleSource, obj: &Object, path: &str, out: &mut Vec<Problem>) {
    for field in &obj.fields {
        if field.key != "source" {
            continue;
        }
        let FieldValue::Conditions(conditions) = &field.value else {
            continue;
        };
        for (i, c) in conditions.iter().enumerate() {
            let ConditionKind::String(s) = &c.kind else {
                continue;
            };
            if s.starts_with("aws.")
                && !s.starts_with("aws.partner/")
                && AWS_SOURCES.binary_search(&s.as_str()).is_err()
            {
                out.push(Problem::at(
                    rule,
                    Severity::Warning,
                    "unknown-aws-source",
                    &format!("{path}/source/{i}"),
                    Some(c.span.start),
                    format!("source `{s}` is not a known AWS service (AWS events come from `aws.<service>`; custom sources must not start with `aws.`)"),
                ));
            }
        }
    }
    for or in &obj.ors {
        for (i, branch) in or.branches.iter().enumerate() {
            sources(rule, branch, &format!("{path}/$or/{i}"), out);
        }
    }
}

/// Conditions AND-ed on one event field (a dotted key and a nested object
/// can name the same field) that no value can satisfy together.
fn dead(rule: &RuleSource, root: &Object, out: &mut Vec<Problem>) {
    let mut by_path: BTreeMap<String, Vec<(&[Condition], String)>> = BTreeMap::new();
    collect(root, "", "", &mut by_path);
    for lists in by_path.values() {
        for (i, (a, _)) in lists.iter().enumerate() {
            for (b, pointer) in &lists[i + 1..] {
                if contradict(a, b) {
                    out.push(Problem::at(
                        rule,
                        Severity::Warning,
                        "dead-rule",
                        pointer,
                        b.first().map(|c| c.span.start),
                        "rule can never match: this field must be both present and absent"
                            .to_string(),
                    ));
                }
            }
        }
    }
}

fn collect<'p>(
    obj: &'p Object,
    dotted: &str,
    pointer: &str,
    out: &mut BTreeMap<String, Vec<(&'p [Condition], String)>>,
) {
    for field in &obj.fields {
        let path = if dotted.is_empty() {
            field.key.clone()
        } else {
            format!("{dotted}.{}", field.key)
        };
        let pointer = format!(
            "{pointer}/{}",
            field.key.replace('~', "~0").replace('/', "~1")
        );
        match &field.value {
            FieldValue::Conditions(c) => out.entry(path).or_default().push((c, pointer)),
            FieldValue::Object(o) => collect(o, &path, &pointer, out),
        }
    }
}

/// Whether two condition lists on one field can never hold together.
///
/// Only the certain case: one list demands the field be absent, the other
/// needs it present. (Two lists of disjoint exact values are *not* dead: on
/// an array field each can be met by a different element.)
fn contradict(a: &[Condition], b: &[Condition]) -> bool {
    let absent = |l: &[Condition]| l.iter().all(|c| c.kind == ConditionKind::Exists(false));
    let present = |l: &[Condition]| {
        l.iter()
            .all(|c| !matches!(c.kind, ConditionKind::Exists(false)))
    };
    (absent(a) && present(b)) || (absent(b) && present(a))
}

#[cfg(test)]
mod tests {
    use super::AWS_SOURCES;

    #[test]
    fn source_table_is_sorted() {
        assert!(AWS_SOURCES.windows(2).all(|w| w[0] < w[1]));
    }
}
