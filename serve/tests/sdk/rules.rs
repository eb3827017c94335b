//! PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule.

use aws_sdk_eventbridge::types::RuleState;

use crate::support::*;

#[tokio::test]
async fn put_describe_update_enable_disable_delete() {
    let t = TestServer::start();
    let c = &t.client;
    let out = c
        .put_rule()
        .name("orders")
        .event_pattern(r#"{"source": ["shop"]}"#)
        .description("all orders")
        .send()
        .await
        .unwrap();
    assert_eq!(out.rule_arn(), Some(rule_arn("orders").as_str()));
    let d = c.describe_rule().name("orders").send().await.unwrap();
    assert_eq!(d.name(), Some("orders"));
    assert_eq!(d.arn(), Some(rule_arn("orders").as_str()));
    assert_eq!(d.event_pattern(), Some(r#"{"source": ["shop"]}"#));
    assert_eq!(d.state(), Some(&RuleState::Enabled));
    assert_eq!(d.description(), Some("all orders"));
    assert_eq!(d.event_bus_name(), Some("default"));
    assert_eq!(d.created_by(), Some(ACCOUNT));

    c.disable_rule().name("orders").send().await.unwrap();
    let d = c.describe_rule().name("orders").send().await.unwrap();
    assert_eq!(d.state(), Some(&RuleState::Disabled));
    c.enable_rule().name("orders").send().await.unwrap();
    let d = c.describe_rule().name("orders").send().await.unwrap();
    assert_eq!(d.state(), Some(&RuleState::Enabled));

    // An update replaces the settings and keeps the targets.
    c.put_targets()
        .rule("orders")
        .targets(target("q", &queue("orders")))
        .send()
        .await
        .unwrap();
    c.put_rule()
        .name("orders")
        .event_pattern(r#"{"source": ["shop", "store"]}"#)
        .state(RuleState::Disabled)
        .send()
        .await
        .unwrap();
    let d = c.describe_rule().name("orders").send().await.unwrap();
    assert_eq!(d.event_pattern(), Some(r#"{"source": ["shop", "store"]}"#));
    assert_eq!(d.description(), None);
    assert_eq!(d.state(), Some(&RuleState::Disabled));
    let targets = c
        .list_targets_by_rule()
        .rule("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets().len(), 1);

    // Deleting is refused while targets exist.
    let err = c.delete_rule().name("orders").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationException".into(),
            "Rule can't be deleted since it has targets.".into()
        )
    );
    c.remove_targets()
        .rule("orders")
        .ids("q")
        .send()
        .await
        .unwrap();
    c.delete_rule().name("orders").send().await.unwrap();
    let err = c.describe_rule().name("orders").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceNotFoundException".into(),
            "Rule orders does not exist on EventBus default.".into()
        )
    );
    // Deleting what is not there succeeds, as on AWS.
    c.delete_rule().name("orders").send().await.unwrap();
}

#[tokio::test]
async fn errors_name_the_rule_and_the_bus() {
    let t = TestServer::start();
    let c = &t.client;
    c.create_event_bus().name("orders").send().await.unwrap();
    for err in [
        aws_error(
            &c.describe_rule()
                .name("nope")
                .event_bus_name("orders")
                .send()
                .await
                .unwrap_err(),
        ),
        aws_error(
            &c.enable_rule()
                .name("nope")
                .event_bus_name("orders")
                .send()
                .await
                .unwrap_err(),
        ),
        aws_error(
            &c.disable_rule()
                .name("nope")
                .event_bus_name("orders")
                .send()
                .await
                .unwrap_err(),
        ),
        aws_error(
            &c.list_targets_by_rule()
                .rule("nope")
                .event_bus_name("orders")
                .send()
                .await
                .unwrap_err(),
        ),
        aws_error(
            &c.put_targets()
                .rule("nope")
                .event_bus_name("orders")
                .targets(target("t", &queue("q")))
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(
            err,
            (
                "ResourceNotFoundException".into(),
                "Rule nope does not exist on EventBus orders.".into()
            )
        );
    }
    let err = c
        .put_rule()
        .name("r")
        .event_pattern(ANY)
        .event_bus_name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceNotFoundException".into(),
            "Event bus missing does not exist.".into()
        )
    );
}

#[tokio::test]
async fn invalid_rules_get_aws_messages() {
    let t = TestServer::start();
    let c = &t.client;
    let err = c
        .put_rule()
        .name("r")
        .event_pattern(r#"{"detail": {"size": [{"numeric": [">", "x"]}]}}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "InvalidEventPatternException".into(),
            "Event pattern is not valid. Reason: Value of > must be numeric".into()
        )
    );
    let err = c.put_rule().name("r").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationException".into(),
            "Parameter(s) EventPattern or ScheduleExpression must be specified.".into()
        )
    );
    let err = c
        .put_rule()
        .name("bad name")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        r"1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"
    );
    let err = c
        .put_rule()
        .name("s")
        .schedule_expression("rate(1 minutes)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationException".into(),
            "Parameter ScheduleExpression is not valid.".into()
        )
    );
    c.create_event_bus().name("orders").send().await.unwrap();
    let err = c
        .put_rule()
        .name("s")
        .schedule_expression("rate(1 minute)")
        .event_bus_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "ScheduleExpression is supported only on the default event bus."
    );
    let long = "x".repeat(65);
    let err = c
        .put_rule()
        .name(&long)
        .event_pattern(ANY)
        .description("d".repeat(513))
        .send()
        .await
        .unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("2 validation errors detected: "),
        "{message}"
    );
    assert!(message.contains("at 'name' failed to satisfy constraint: Member must have length less than or equal to 64"), "{message}");
    assert!(message.contains("at 'description' failed to satisfy constraint: Member must have length less than or equal to 512"), "{message}");
}

#[tokio::test]
async fn list_rules_filters_by_prefix_and_pages() {
    let t = TestServer::start();
    let c = &t.client;
    for name in ["b-2", "a-1", "b-1", "b-3", "c", "b-4"] {
        c.put_rule()
            .name(name)
            .event_pattern(r#"{"source": ["x"]}"#)
            .send()
            .await
            .unwrap();
    }
    let all = c.list_rules().send().await.unwrap();
    let names: Vec<&str> = all.rules().iter().filter_map(|r| r.name()).collect();
    assert_eq!(names, ["a-1", "b-1", "b-2", "b-3", "b-4", "c"]);
    assert_eq!(all.next_token(), None);
    assert_eq!(all.rules()[0].arn(), Some(rule_arn("a-1").as_str()));
    assert_eq!(all.rules()[0].event_bus_name(), Some("default"));

    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = c
            .list_rules()
            .name_prefix("b-")
            .limit(3)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            page.rules()
                .iter()
                .filter_map(|r| r.name().map(str::to_string)),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, ["b-1", "b-2", "b-3", "b-4"]);

    let err = c
        .list_rules()
        .next_token("garbage")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "ValidationException");
    let err = c.list_rules().limit(101).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"
    );
}
