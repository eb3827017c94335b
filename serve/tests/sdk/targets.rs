//! PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget.

use aws_sdk_eventbridge::types::{
    DeadLetterConfig, InputTransformer, RetryPolicy, SqsParameters, Target,
};

use crate::support::*;

#[tokio::test]
async fn put_list_replace_remove() {
    let t = TestServer::start();
    let c = &t.client;
    c.put_rule()
        .name("r")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap();
    let full = Target::builder()
        .id("full")
        .arn(queue("q.fifo"))
        .role_arn("arn:aws:iam::123456789012:role/events")
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("src", "$.source")
                .input_template(r#"{"from": <src>}"#)
                .build()
                .unwrap(),
        )
        .retry_policy(
            RetryPolicy::builder()
                .maximum_retry_attempts(3)
                .maximum_event_age_in_seconds(120)
                .build(),
        )
        .dead_letter_config(DeadLetterConfig::builder().arn(queue("dlq")).build())
        .sqs_parameters(SqsParameters::builder().message_group_id("g1").build())
        .build()
        .unwrap();
    let out = c
        .put_targets()
        .rule("r")
        .targets(full.clone())
        .targets(target("plain", &queue("plain")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    let listed = c.list_targets_by_rule().rule("r").send().await.unwrap();
    assert_eq!(listed.targets(), [full, target("plain", &queue("plain"))]);

    // Same id: replaced.
    c.put_targets()
        .rule("r")
        .targets(target("plain", &queue("other")))
        .send()
        .await
        .unwrap();
    let listed = c.list_targets_by_rule().rule("r").send().await.unwrap();
    assert_eq!(listed.targets().len(), 2);
    assert_eq!(listed.targets()[1].arn(), queue("other"));

    // Paging.
    let first = c
        .list_targets_by_rule()
        .rule("r")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.targets()[0].id(), "full");
    let second = c
        .list_targets_by_rule()
        .rule("r")
        .limit(1)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.targets()[0].id(), "plain");
    assert_eq!(second.next_token(), None);

    let out = c
        .remove_targets()
        .rule("r")
        .ids("full")
        .ids("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    let listed = c.list_targets_by_rule().rule("r").send().await.unwrap();
    assert_eq!(listed.targets().len(), 1);
}

#[tokio::test]
async fn five_targets_at_most() {
    let t = TestServer::start();
    let c = &t.client;
    c.put_rule()
        .name("r")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap();
    let mut req = c.put_targets().rule("r");
    for i in 0..5 {
        req = req.targets(target(&format!("t{i}"), &queue(&format!("q{i}"))));
    }
    req.send().await.unwrap();
    let err = c
        .put_targets()
        .rule("r")
        .targets(target("t5", &queue("q5")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "LimitExceededException".into(),
            "The requested resource exceeds the maximum number allowed.".into()
        )
    );
    // Replacing one of the five is fine.
    c.put_targets()
        .rule("r")
        .targets(target("t4", &queue("q9")))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn invalid_targets_get_aws_messages() {
    let t = TestServer::start();
    let c = &t.client;
    c.put_rule()
        .name("r")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap();
    let both = Target::builder()
        .id("t")
        .arn(queue("q"))
        .input("{}")
        .input_path("$.detail")
        .build()
        .unwrap();
    let err = c
        .put_targets()
        .rule("r")
        .targets(both)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationException".into(),
            "Only one of Input, InputPath, or InputTransformer must be provided for target t."
                .into()
        )
    );
    let bad_placeholder = Target::builder()
        .id("t")
        .arn(queue("q"))
        .input_transformer(
            InputTransformer::builder()
                .input_template(r#"{"a": <notdefinedkey>}"#)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = c
        .put_targets()
        .rule("r")
        .targets(bad_placeholder)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "InputTemplate for target t contains invalid placeholder notdefinedkey."
    );
    let retries = Target::builder().id("ok").arn(queue("q")).build().unwrap();
    let bad = Target::builder()
        .id("bad id")
        .arn(queue("q"))
        .retry_policy(RetryPolicy::builder().maximum_retry_attempts(186).build())
        .build()
        .unwrap();
    let err = c
        .put_targets()
        .rule("r")
        .targets(retries)
        .targets(bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        r"2 validation errors detected: Value 'bad id' at 'targets.2.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+; Value '186' at 'targets.2.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"
    );
    // Nothing of a refused request was kept.
    let listed = c.list_targets_by_rule().rule("r").send().await.unwrap();
    assert!(listed.targets().is_empty());
}

#[tokio::test]
async fn rule_names_by_target() {
    let t = TestServer::start();
    let c = &t.client;
    for name in ["c", "a", "b", "d"] {
        c.put_rule()
            .name(name)
            .event_pattern(ANY)
            .send()
            .await
            .unwrap();
        let arn = if name == "d" {
            queue("other")
        } else {
            queue("shared")
        };
        c.put_targets()
            .rule(name)
            .targets(target("t", &arn))
            .send()
            .await
            .unwrap();
    }
    let out = c
        .list_rule_names_by_target()
        .target_arn(queue("shared"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.rule_names(), ["a", "b", "c"]);
    let page = c
        .list_rule_names_by_target()
        .target_arn(queue("shared"))
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.rule_names(), ["a", "b"]);
    let rest = c
        .list_rule_names_by_target()
        .target_arn(queue("shared"))
        .limit(2)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.rule_names(), ["c"]);
    assert_eq!(rest.next_token(), None);
}
