//! `--state DIR` across a restart, rules given at start, scheduled rules on
//! an injected clock, and the shutdown report.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_eventbridge::types::{RuleState, Tag};
use evrule::route::{Delivery, DeliveryResult, Rule, Target};
use evrule_serve::schedule::ManualClock;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = temp_dir("state");
    let tag = Tag::builder().key("k").value("v").build().unwrap();
    {
        let t = TestServer::with(config().state_dir(&dir));
        assert!(t.server().notices()[0].starts_with("state: kept in"));
        let c = &t.client;
        c.create_event_bus()
            .name("orders")
            .description("d")
            .send()
            .await
            .unwrap();
        c.put_rule()
            .name("r")
            .event_bus_name("orders")
            .event_pattern(r#"{"source": ["shop"]}"#)
            .state(RuleState::Disabled)
            .tags(tag.clone())
            .send()
            .await
            .unwrap();
        c.put_targets()
            .rule("r")
            .event_bus_name("orders")
            .targets(target("q", &queue("orders")))
            .send()
            .await
            .unwrap();
        c.put_rule()
            .name("tick")
            .schedule_expression("rate(1 hour)")
            .send()
            .await
            .unwrap();
        c.create_archive()
            .archive_name("keep")
            .event_source_arn(format!(
                "arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"
            ))
            .send()
            .await
            .unwrap();
        let mut e = entry("shop", "order", "{}");
        e.event_bus_name = Some("orders".into());
        c.put_events().entries(e).send().await.unwrap();
    }
    assert!(dir.join("state.json").exists());
    let t = TestServer::with(config().state_dir(&dir));
    let c = &t.client;
    let bus = c.describe_event_bus().name("orders").send().await.unwrap();
    assert_eq!(bus.description(), Some("d"));
    let rule = c
        .describe_rule()
        .name("r")
        .event_bus_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(rule.state(), Some(&RuleState::Disabled));
    assert_eq!(rule.event_pattern(), Some(r#"{"source": ["shop"]}"#));
    let targets = c
        .list_targets_by_rule()
        .rule("r")
        .event_bus_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets(), [target("q", &queue("orders"))]);
    let tags = c
        .list_tags_for_resource()
        .resource_arn(rule.arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag]);
    let tick = c.describe_rule().name("tick").send().await.unwrap();
    assert_eq!(tick.schedule_expression(), Some("rate(1 hour)"));
    let archive = c
        .describe_archive()
        .archive_name("keep")
        .send()
        .await
        .unwrap();
    assert_eq!(archive.event_count(), 1);
    // And the rules route after the restart.
    c.enable_rule()
        .name("r")
        .event_bus_name("orders")
        .send()
        .await
        .unwrap();
    let mut e = entry("shop", "order", r#"{"after": true}"#);
    e.event_bus_name = Some("orders".into());
    c.put_events().entries(e).send().await.unwrap();
    assert_eq!(
        t.bodies(&queue("orders"), 1)[0]["detail"],
        json!({"after": true})
    );
    drop(t);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn rules_given_at_start_and_configured_destinations() {
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let rule = Rule::new("from-file", r#"{"source": ["file"]}"#).with_target(Target::new(
        "out",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
    ));
    let t = TestServer::with(config().rules(vec![rule]).destination(
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        Arc::new(move |d: &Delivery| {
            sink.lock().unwrap().push(d.body.clone());
            DeliveryResult::Ok
        }),
    ));
    let c = &t.client;
    let listed = c
        .list_targets_by_rule()
        .rule("from-file")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.targets()[0].id(), "out");
    c.put_events()
        .entries(entry("file", "x", r#"{"a": 1}"#))
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        if !got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains(r#""detail":{"a":1}"#), "{}", bodies[0]);
}

#[tokio::test]
async fn scheduled_rules_fire_on_the_injected_clock() {
    // 2024-05-01T11:58:00Z.
    let start = UNIX_EPOCH + Duration::from_secs(1_714_564_680);
    let clock = Arc::new(ManualClock::new(start));
    let t = TestServer::with(config().clock(clock.clone()));
    let c = &t.client;
    c.put_rule()
        .name("every5")
        .schedule_expression("rate(5 minutes)")
        .send()
        .await
        .unwrap();
    c.put_rule()
        .name("noon")
        .schedule_expression("cron(0 12 * * ? *)")
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule("every5")
        .targets(target("q", &queue("every5")))
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule("noon")
        .targets(target("q", &queue("noon")))
        .send()
        .await
        .unwrap();
    assert_eq!(t.server().run_schedules(), 0);
    clock.advance(Duration::from_secs(120));
    assert_eq!(t.server().run_schedules(), 1, "noon is due");
    let noon = t.bodies(&queue("noon"), 1);
    let event = &noon[0];
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["time"], "2024-05-01T12:00:00Z");
    assert_eq!(event["resources"], json!([rule_arn("noon")]));
    assert_eq!(event["detail"], json!({}));
    assert_eq!(event["account"], ACCOUNT);
    assert_eq!(event["region"], REGION);
    assert_eq!(event["version"], "0");
    clock.advance(Duration::from_secs(180));
    assert_eq!(t.server().run_schedules(), 1, "every5 is due");
    assert_eq!(
        t.bodies(&queue("every5"), 1)[0]["time"],
        "2024-05-01T12:03:00Z"
    );
    // Disabled rules do not fire; a long gap fires once.
    c.disable_rule().name("noon").send().await.unwrap();
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(t.server().run_schedules(), 1);
    assert_eq!(t.deliveries(&queue("every5"), 2).len(), 2);
    assert_eq!(t.deliveries(&queue("noon"), 1).len(), 1);
}

#[tokio::test]
async fn shutdown_reports_the_counters() {
    let mut t = TestServer::start();
    let c = &t.client;
    rule_with_target(c, None, "r", ANY, target("q", &queue("q"))).await;
    c.put_rule()
        .name("r")
        .event_pattern(r#"{"source": ["a"]}"#)
        .send()
        .await
        .unwrap();
    c.put_events()
        .entries(entry("a", "b", "{}"))
        .send()
        .await
        .unwrap();
    c.put_events()
        .entries(entry("a", "b", "{}"))
        .send()
        .await
        .unwrap();
    let report = t.server.take().unwrap().shutdown();
    assert!(report.undelivered.is_empty());
    assert_eq!(report.aborted_requests, 0);
    assert_eq!(report.stats.events, 2);
    let delivered: u64 = report.stats.targets.iter().map(|s| s.delivered).sum();
    assert_eq!(delivered, 2);
}
