//! CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus, and
//! the tags of buses and rules.

use aws_sdk_eventbridge::types::Tag;

use crate::support::*;

fn bus_arn(name: &str) -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}")
}

#[tokio::test]
async fn create_describe_list_delete() {
    let t = TestServer::start();
    let c = &t.client;
    let out = c
        .create_event_bus()
        .name("orders")
        .description("order events")
        .send()
        .await
        .unwrap();
    assert_eq!(out.event_bus_arn(), Some(bus_arn("orders").as_str()));
    assert_eq!(out.description(), Some("order events"));
    let d = c.describe_event_bus().name("orders").send().await.unwrap();
    assert_eq!(d.name(), Some("orders"));
    assert_eq!(d.arn(), Some(bus_arn("orders").as_str()));
    assert_eq!(d.description(), Some("order events"));
    assert!(d.creation_time().is_some());
    // By ARN, and the default bus when no name is given.
    let by_arn = c
        .describe_event_bus()
        .name(bus_arn("orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.name(), Some("orders"));
    let default = c.describe_event_bus().send().await.unwrap();
    assert_eq!(default.arn(), Some(bus_arn("default").as_str()));

    let err = c
        .create_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceAlreadyExistsException".into(),
            "Event bus orders already exists.".into()
        )
    );
    for name in ["billing", "audit"] {
        c.create_event_bus().name(name).send().await.unwrap();
    }
    let all = c.list_event_buses().send().await.unwrap();
    let names: Vec<&str> = all.event_buses().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["audit", "billing", "default", "orders"]);
    let page = c.list_event_buses().limit(3).send().await.unwrap();
    assert_eq!(page.event_buses().len(), 3);
    let rest = c
        .list_event_buses()
        .limit(3)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.event_buses()[0].name(), Some("orders"));
    let prefixed = c.list_event_buses().name_prefix("b").send().await.unwrap();
    assert_eq!(prefixed.event_buses().len(), 1);

    c.delete_event_bus().name("orders").send().await.unwrap();
    let err = c
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceNotFoundException".into(),
            "Event bus orders does not exist.".into()
        )
    );
    // Deleting what is not there succeeds; the default bus stays.
    c.delete_event_bus().name("orders").send().await.unwrap();
    let err = c
        .delete_event_bus()
        .name("default")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "ValidationException");
}

#[tokio::test]
async fn events_on_a_custom_bus_reach_only_its_rules() {
    let t = TestServer::start();
    let c = &t.client;
    c.create_event_bus().name("orders").send().await.unwrap();
    for (bus, q) in [("orders", "on-orders"), ("default", "on-default")] {
        rule_with_target(
            c,
            Some(bus),
            "r",
            r#"{"source": ["shop"]}"#,
            target("q", &queue(q)),
        )
        .await;
    }
    let mut e = entry("shop", "order", "{}");
    e.event_bus_name = Some(bus_arn("orders"));
    c.put_events().entries(e).send().await.unwrap();
    let got = t.deliveries(&queue("on-orders"), 1);
    assert_eq!(
        got[0]["ruleArn"],
        format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/r")
    );
    let (_, body) = t.admin(
        "GET",
        &format!(
            "/_evrule/deliveries?target={}&wait=1&timeout=0.2",
            queue("on-default")
        ),
    );
    assert_eq!(body["deliveries"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn tags_of_rules_and_buses() {
    let t = TestServer::start();
    let c = &t.client;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    c.create_event_bus()
        .name("orders")
        .tags(tag("team", "shop"))
        .send()
        .await
        .unwrap();
    c.put_rule()
        .name("r")
        .event_bus_name("orders")
        .event_pattern(ANY)
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap();
    let rule = format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/r");
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("a", "1")]);
    c.tag_resource()
        .resource_arn(&rule)
        .tags(tag("a", "2"))
        .tags(tag("b", "3"))
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("a", "2"), tag("b", "3")]);
    c.untag_resource()
        .resource_arn(&rule)
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("b", "3")]);
    // PutRule on an existing rule leaves its tags alone.
    c.put_rule()
        .name("r")
        .event_bus_name("orders")
        .event_pattern(ANY)
        .tags(tag("ignored", "x"))
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("b", "3")]);

    let bus = c
        .list_tags_for_resource()
        .resource_arn(bus_arn("orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(bus.tags(), [tag("team", "shop")]);

    let err = c
        .tag_resource()
        .resource_arn(rule_arn("missing"))
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceNotFoundException".into(),
            "Rule missing does not exist on EventBus default.".into()
        )
    );
    let err = c
        .list_tags_for_resource()
        .resource_arn(bus_arn("nope"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).1, "Event bus nope does not exist.");
    let err = c
        .list_tags_for_resource()
        .resource_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "ValidationException");
}
