//! PutEvents (delivery, per-entry errors, limits, live rule changes) and
//! TestEventPattern.

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{InputTransformer, PutEventsRequestEntry, Target};
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn a_delivered_event_has_eventbridge_envelope() {
    let t = TestServer::start();
    let c = &t.client;
    c.create_event_bus()
        .name("orders-bus")
        .send()
        .await
        .unwrap();
    rule_with_target(
        c,
        Some("orders-bus"),
        "placed",
        r#"{"source": ["com.example.orders"], "detail": {"customer": {"tier": ["gold"]}}}"#,
        target("q", &queue("placed")),
    )
    .await;
    // The request of shared/events/apigw-putevents-request.constructed.json.
    let out = c
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .source("com.example.orders")
                .detail_type("OrderPlaced")
                .detail(r#"{"orderId":"o-123","amount":42.5,"customer":{"tier":"gold"}}"#)
                .event_bus_name("orders-bus")
                .set_resources(Some(vec![]))
                .time(DateTime::from_secs(1_714_564_800))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    let id = out.entries()[0].event_id().unwrap().to_string();
    let deliveries = t.deliveries(&queue("placed"), 1);
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d["attempt"], 1);
    assert_eq!(d["rule"], "placed");
    assert_eq!(
        d["ruleArn"],
        format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/orders-bus/placed")
    );
    assert_eq!(d["targetId"], "q");
    // shared/events/apigw-putevents-delivered.constructed.json, with this account and id.
    let expected = json!({
        "version": "0",
        "id": id,
        "detail-type": "OrderPlaced",
        "source": "com.example.orders",
        "account": ACCOUNT,
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"orderId": "o-123", "amount": 42.5, "customer": {"tier": "gold"}}
    });
    assert_eq!(d["body"], expected);
    // Keys come in EventBridge's order.
    let (_, raw) = raw(
        t.addr,
        &format!(
            "GET /_evrule/deliveries?target={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            queue("placed")
        ),
    );
    let body_at = raw.find(r#""body":{"version":"0","id":""#).expect(&raw);
    assert!(raw[body_at..].contains(r#""detail-type":"OrderPlaced","source":"com.example.orders","account":"123456789012","time":"2024-05-01T12:00:00Z","region":"us-east-1","resources":[],"detail":{"orderId":"o-123","amount":42.5,"customer":{"tier":"gold"}}}"#), "{raw}");
}

#[tokio::test]
async fn per_entry_errors_come_with_status_200() {
    let t = TestServer::start();
    let c = &t.client;
    let out = c
        .put_events()
        .entries(entry("app", "t", r#"{"ok": true}"#))
        .entries(
            PutEventsRequestEntry::builder()
                .detail_type("t")
                .detail("{}")
                .build(),
        )
        .entries(
            PutEventsRequestEntry::builder()
                .source("app")
                .detail("{}")
                .build(),
        )
        .entries(
            PutEventsRequestEntry::builder()
                .source("app")
                .detail_type("t")
                .build(),
        )
        .entries(entry("app", "t", "[1, 2]"))
        .entries(entry("app", "t", "{not json"))
        .entries(entry("aws.s3", "t", "{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 6);
    let got: Vec<(Option<&str>, Option<&str>)> = out
        .entries()
        .iter()
        .map(|e| (e.error_code(), e.error_message()))
        .collect();
    assert!(out.entries()[0].event_id().is_some());
    assert_eq!(
        got[1..],
        [
            (
                Some("InvalidArgument"),
                Some("Parameter Source is not valid. Reason: Source is a required argument.")
            ),
            (
                Some("InvalidArgument"),
                Some(
                    "Parameter DetailType is not valid. Reason: DetailType is a required argument."
                )
            ),
            (
                Some("InvalidArgument"),
                Some("Parameter Detail is not valid. Reason: Detail is a required argument.")
            ),
            (Some("MalformedDetail"), Some("Detail is malformed.")),
            (Some("MalformedDetail"), Some("Detail is malformed.")),
            (
                Some("NotAuthorizedForSourceException"),
                Some("Not authorized for the source.")
            ),
        ]
    );
}

#[tokio::test]
async fn request_limits() {
    let t = TestServer::with(config().max_entries_bytes(1000));
    let c = &t.client;
    let mut req = c.put_events();
    for _ in 0..11 {
        req = req.entries(entry("a", "b", "{}"));
    }
    let err = req.send().await.unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("1 validation error detected: Value '[PutEventsRequestEntry(time=null, source=a, resources=null, detailType=b, detail={}, eventBusName=null, traceHeader=null), "),
        "{message}"
    );
    assert!(
        message.ends_with("]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10"),
        "{message}"
    );
    // 14 (Time) + 1 + 1 + detail: exactly at the limit passes, one byte over fails.
    let detail = |n: usize| format!(r#"{{"x":"{}"}}"#, "a".repeat(n - 8));
    let at_limit = PutEventsRequestEntry::builder()
        .source("a")
        .detail_type("b")
        .detail(detail(1000 - 16))
        .time(DateTime::from_secs(0))
        .build();
    c.put_events().entries(at_limit).send().await.unwrap();
    let over = PutEventsRequestEntry::builder()
        .source("a")
        .detail_type("b")
        .detail(detail(1000 - 15))
        .time(DateTime::from_secs(0))
        .build();
    let err = c.put_events().entries(over).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationException".into(),
            "Total size of the entries in the request is over the limit.".into()
        )
    );
    let err = c.put_events().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn unknown_bus_entries_get_an_id_and_go_nowhere() {
    let t = TestServer::start();
    let c = &t.client;
    rule_with_target(
        c,
        None,
        "all",
        r#"{"source": ["a"]}"#,
        target("q", &queue("all")),
    )
    .await;
    let mut e = entry("a", "b", "{}");
    e.event_bus_name = Some("no-such-bus".into());
    let out = c.put_events().entries(e).send().await.unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    assert_eq!(out.entries()[0].event_id().unwrap().len(), 36);
    let (_, body) = t.admin(
        "GET",
        &format!(
            "/_evrule/deliveries?target={}&wait=1&timeout=0.3",
            queue("all")
        ),
    );
    assert_eq!(body["deliveries"], json!([]));
    assert_eq!(body["timedOut"], true);
}

#[tokio::test]
async fn rule_changes_apply_to_the_next_put() {
    let t = TestServer::start();
    let c = &t.client;
    let put = || {
        c.put_events()
            .entries(entry("shop", "order", r#"{"n": 1}"#))
            .send()
    };
    put().await.unwrap();
    rule_with_target(
        c,
        None,
        "r",
        r#"{"source": ["shop"]}"#,
        target("q", &queue("q")),
    )
    .await;
    put().await.unwrap();
    assert_eq!(t.deliveries(&queue("q"), 1).len(), 1);
    c.disable_rule().name("r").send().await.unwrap();
    put().await.unwrap();
    c.enable_rule().name("r").send().await.unwrap();
    c.put_rule()
        .name("r")
        .event_pattern(r#"{"source": ["other"]}"#)
        .send()
        .await
        .unwrap();
    put().await.unwrap();
    rule_with_target(
        c,
        None,
        "r",
        r#"{"detail": {"n": [1]}}"#,
        target("q2", &queue("q2")),
    )
    .await;
    put().await.unwrap();
    assert_eq!(t.deliveries(&queue("q"), 2).len(), 2);
    assert_eq!(t.deliveries(&queue("q2"), 1).len(), 1);
    // DELETE clears the inbox.
    let (status, body) = t.admin(
        "DELETE",
        &format!("/_evrule/deliveries?target={}", queue("q")),
    );
    assert_eq!((status, body["cleared"].clone()), (200, json!(2)));
    assert!(t.deliveries(&queue("q"), 0).is_empty());
}

#[tokio::test]
async fn fan_out_and_transformers() {
    let t = TestServer::start();
    let c = &t.client;
    c.put_rule()
        .name("r")
        .event_pattern(r#"{"source": ["s3"]}"#)
        .send()
        .await
        .unwrap();
    let transformed = Target::builder()
        .id("t")
        .arn(queue("t"))
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("key", "$.detail.key")
                .input_template(r#"{"key": <key>, "rule": "<aws.events.rule-name>"}"#)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let constant = Target::builder()
        .id("c")
        .arn(queue("c"))
        .input(r#"{"fixed": 1}"#)
        .build()
        .unwrap();
    let path = Target::builder()
        .id("p")
        .arn(queue("p"))
        .input_path("$.detail")
        .build()
        .unwrap();
    c.put_targets()
        .rule("r")
        .targets(transformed)
        .targets(constant)
        .targets(path)
        .send()
        .await
        .unwrap();
    c.put_events()
        .entries(entry("s3", "put", r#"{"key": "a.txt"}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.bodies(&queue("t"), 1),
        [json!({"key": "a.txt", "rule": "r"})]
    );
    assert_eq!(t.bodies(&queue("c"), 1), [json!({"fixed": 1})]);
    assert_eq!(t.bodies(&queue("p"), 1), [json!({"key": "a.txt"})]);
}

#[tokio::test]
async fn failed_input_goes_to_the_dead_letter_queue() {
    let t = TestServer::start();
    let c = &t.client;
    c.put_rule()
        .name("r")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap();
    // A quoted list is not valid JSON once rendered: delivery fails for good.
    let broken = Target::builder()
        .id("t")
        .arn(queue("broken"))
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("l", "$.detail.list")
                .input_template(r#"{"l": "<l>"}"#)
                .build()
                .unwrap(),
        )
        .dead_letter_config(
            aws_sdk_eventbridge::types::DeadLetterConfig::builder()
                .arn(queue("dlq"))
                .build(),
        )
        .build()
        .unwrap();
    c.put_targets()
        .rule("r")
        .targets(broken)
        .send()
        .await
        .unwrap();
    c.put_events()
        .entries(entry("a", "b", r#"{"list": ["HIGH"]}"#))
        .send()
        .await
        .unwrap();
    let dlq = t.deliveries(&queue("dlq"), 1);
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0]["deadLetter"]["errorCode"], "INVALID_TARGET_INPUT");
    assert_eq!(dlq[0]["body"]["detail"], json!({"list": ["HIGH"]}));
    let (_, body) = t.admin(
        "GET",
        &format!("/_evrule/dead-letters?target={}&wait=1", queue("broken")),
    );
    let letters = body["deadLetters"].as_array().unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["deadLetterQueue"], queue("dlq"));
    assert_eq!(letters[0]["targetId"], "t");
    assert!(t.deliveries(&queue("broken"), 0).is_empty());
}

#[tokio::test]
async fn test_event_pattern_answers_and_errors() {
    let t = TestServer::start();
    let c = &t.client;
    let event = r#"{"id": "1", "account": "1", "source": "a", "time": "2024-01-01T00:00:00Z", "region": "r", "detail-type": "d", "detail": {"n": 5}}"#;
    let yes = c
        .test_event_pattern()
        .event_pattern(r#"{"detail": {"n": [{"numeric": [">", 4]}]}}"#)
        .event(event)
        .send()
        .await
        .unwrap();
    assert!(yes.result());
    let no = c
        .test_event_pattern()
        .event_pattern(r#"{"source": ["b"]}"#)
        .event(event)
        .send()
        .await
        .unwrap();
    assert!(!no.result());
    let err = c
        .test_event_pattern()
        .event_pattern(r#"{"source": []}"#)
        .event(event)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "InvalidEventPatternException".into(),
            // The frame the AWS CLI shows (and `evrule test-event-pattern`).
            "Event pattern is not valid. Reason: Empty arrays are not allowed  \
             at [Source: (String)\"{\"source\": []}\"; line: 1, column: 12]"
                .into()
        )
    );
    let err = c
        .test_event_pattern()
        .event_pattern(r#"{"source": ["a"]}"#)
        .event(r#"{"source": "a"}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "Parameter Event is not valid. Reason: Provided Event must have the field 'id'"
    );
}

/// Every event of a burst of concurrent puts arrives, also when the burst
/// comes right after a rule change (the router is being rebuilt while the
/// first requests arrive; the benchmark once caught a request routed with
/// no router in that window).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_all_arrive() {
    let t = TestServer::start();
    let c = t.client.clone();
    c.put_targets()
        .rule("r")
        .targets(target("q", &queue("load")))
        .send()
        .await
        .unwrap_err();
    let mut expected = 0;
    for round in 0..4 {
        let pattern = format!(r#"{{"source": ["load"], "detail": {{"round": [{round}]}}}}"#);
        c.put_rule()
            .name("r")
            .event_pattern(pattern)
            .send()
            .await
            .unwrap();
        if round == 0 {
            c.put_targets()
                .rule("r")
                .targets(target("q", &queue("load")))
                .send()
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for task in 0..8 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                for batch in 0..3 {
                    let mut req = c.put_events();
                    for i in 0..10 {
                        req = req.entries(entry(
                            "load",
                            "n",
                            &format!(r#"{{"round": {round}, "task": {task}, "batch": {batch}, "i": {i}}}"#),
                        ));
                    }
                    let out = req.send().await.unwrap();
                    assert_eq!(out.failed_entry_count(), 0);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        expected += 240;
        let got = t.bodies(&queue("load"), expected);
        assert_eq!(got.len(), expected, "round {round}");
    }
    let got = t.bodies(&queue("load"), expected);
    let mut seen: Vec<Value> = got.iter().map(|b| b["detail"].clone()).collect();
    seen.sort_by_key(|d| d.to_string());
    seen.dedup();
    assert_eq!(seen.len(), expected);
}
