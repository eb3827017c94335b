//! Retries, dead letters and drops: exact counts and recorded reasons.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evrule::route::{DeliveryResult, ExhaustedLimit, RuleSet};
use evrule_engine::BusConfig;
use futures_util::StreamExt;
use serde_json::json;

use crate::support::{self, event, until, Sink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_targets_end_in_their_dead_letter_queues() {
    let Some(server) = support::server() else {
        return;
    };
    let engine = support::engine(&server.url()).await;
    let mut set = RuleSet::new();
    set.add_json(&json!({"Name": "r", "EventPattern": {"source": ["shop"]}, "Targets": [
        {"Id": "flaky", "Arn": "arn:flaky", "RetryPolicy": {"MaximumRetryAttempts": 2},
         "DeadLetterConfig": {"Arn": "arn:dlq"}},
        {"Id": "gone", "Arn": "arn:gone", "DeadLetterConfig": {"Arn": "arn:dlq"}},
        {"Id": "badinput", "Arn": "arn:ok", "DeadLetterConfig": {"Arn": "arn:dlq"}, "InputTransformer": {
            "InputPathsMap": {"g": "$.detail.group"}, "InputTemplate": "{\"g\": \"<g>\" <g>}"}},
        {"Id": "nodlq", "Arn": "arn:gone"}
    ]}))
    .unwrap();
    engine
        .rules()
        .await
        .unwrap()
        .seed("default", set.rules(), false)
        .await
        .unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = attempts.clone();
    let flaky = Sink::answering(move |_| {
        counted.fetch_add(1, Ordering::Relaxed);
        DeliveryResult::Retryable("503 Service Unavailable".into())
    });
    let gone = Sink::answering(|_| DeliveryResult::Permanent("404 no such queue".into()));
    let dlq = Sink::ok();
    let worker = engine
        .worker("default")
        .destination("arn:flaky", flaky.clone())
        .destination("arn:gone", gone.clone())
        .destination("arn:ok", Sink::ok())
        .destination("arn:dlq", dlq.clone())
        .start()
        .await
        .unwrap();
    let bus = engine.bus("default", BusConfig::new()).await.unwrap();
    let events: Vec<Vec<u8>> = (0..20).map(|i| event(i, "shop")).collect();
    let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
    for p in bus.put_events(&refs).await {
        p.unwrap();
    }
    // 20 events x 3 targets with a DLQ.
    assert!(
        until(Duration::from_secs(30), || dlq.len() >= 60).await,
        "{}",
        dlq.len()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let letters = dlq.seen();
    assert_eq!(letters.len(), 60, "exactly one dead letter per delivery");
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        60,
        "3 attempts per event at the flaky target"
    );
    for d in &letters {
        let reason = d.dead_letter.as_ref().unwrap();
        // The envelope is the router's: the event itself, attempts made.
        assert!(support::event_id(&d.body).len() > 1, "{}", d.body);
        assert_eq!(d.attempt, reason.attempts);
        match d.target_id.as_str() {
            "flaky" => {
                assert_eq!(reason.error_code, "TARGET_ERROR");
                assert_eq!(reason.error_message, "503 Service Unavailable");
                assert_eq!(reason.limit, ExhaustedLimit::MaximumRetryAttempts);
                assert_eq!(reason.attempts, 3);
            }
            "gone" => {
                assert_eq!(reason.error_message, "404 no such queue");
                assert_eq!(reason.limit, ExhaustedLimit::NotRetryable);
                assert_eq!(reason.attempts, 1);
            }
            "badinput" => {
                assert_eq!(reason.error_code, "INVALID_TARGET_INPUT");
                assert_eq!(reason.limit, ExhaustedLimit::NotRetryable);
                assert_eq!(reason.attempts, 0);
            }
            other => panic!("dead letter for {other}"),
        }
    }
    let mut ids: Vec<String> = letters
        .iter()
        .filter(|d| d.target_id == "flaky")
        .map(|d| support::event_id(&d.body))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    // The target without a DLQ: each given-up delivery is recorded in
    // the dead-letter stream under `evrule.dropped.`.
    let dead = engine.jetstream().get_stream("EVRULE_DEAD").await.unwrap();
    let mut dropped = 0;
    let mut consumer_msgs = dead
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: "evrule.dropped.>".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .messages()
        .await
        .unwrap();
    while let Ok(Some(Ok(m))) =
        tokio::time::timeout(Duration::from_secs(2), consumer_msgs.next()).await
    {
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(v["targetId"], "nodlq");
        assert_eq!(v["errorMessage"], "404 no such queue");
        assert_eq!(v["limit"], "NotRetryable");
        dropped += 1;
        if dropped == 20 {
            break;
        }
    }
    assert_eq!(dropped, 20);
    let stats = worker.stop(Duration::from_secs(5)).await;
    let flaky_stats = stats
        .targets
        .iter()
        .find(|t| t.target_id == "flaky")
        .unwrap();
    assert_eq!((flaky_stats.retried, flaky_stats.dead_lettered), (40, 20));
    let nodlq = stats
        .targets
        .iter()
        .find(|t| t.target_id == "nodlq")
        .unwrap();
    assert_eq!(nodlq.dropped, 20);
}

/// A worker that dies during the last attempt: JetStream redelivers once
/// more (`MaxDeliver` is one above the attempts), and the worker that gets
/// it writes the dead letter instead of trying again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_no_worker_finished_is_dead_lettered() {
    let Some(server) = support::server() else {
        return;
    };
    let mut set = RuleSet::new();
    set.add_json(
        &json!({"Name": "r", "EventPattern": {"source": ["shop"]}, "Targets": [
        {"Id": "slow", "Arn": "arn:slow", "RetryPolicy": {"MaximumRetryAttempts": 0},
         "DeadLetterConfig": {"Arn": "arn:dlq"}}]}),
    )
    .unwrap();
    let first = support::engine(&server.url()).await;
    first
        .rules()
        .await
        .unwrap()
        .seed("default", set.rules(), false)
        .await
        .unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let slow = Sink::answering(move |_| {
        s.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_secs(3));
        DeliveryResult::Ok
    });
    let dying = first
        .worker("default")
        .destination("arn:slow", slow)
        .start()
        .await
        .unwrap();
    first
        .bus("default", BusConfig::new())
        .await
        .unwrap()
        .put_event(&event(1, "shop"))
        .await
        .unwrap();
    assert!(
        until(Duration::from_secs(10), || started.load(Ordering::Relaxed)
            == 1)
        .await
    );
    // Gone without a word: no ack, no progress.
    drop(dying);
    drop(first);
    let second = support::engine(&server.url()).await;
    let dlq = Sink::ok();
    let worker = second
        .worker("default")
        .destination("arn:dlq", dlq.clone())
        .destination("arn:slow", Sink::ok())
        .start()
        .await
        .unwrap();
    let ok = until(Duration::from_secs(15), || dlq.len() == 1).await;
    if !ok {
        for name in ["EVRULE_ADVISORIES", "EVRULE_DELIVERIES", "EVRULE_DEAD"] {
            let mut s = second.jetstream().get_stream(name).await.unwrap();
            eprintln!("{name}: {:?}", s.info().await.unwrap().state);
        }
    }
    assert!(ok);
    let d = &dlq.seen()[0];
    let reason = d.dead_letter.as_ref().unwrap();
    assert_eq!(reason.limit, ExhaustedLimit::MaximumRetryAttempts);
    assert_eq!(reason.attempts, 1);
    assert_eq!(
        reason.error_message,
        "no worker finished attempt 1 (it stopped, or its answer was lost)"
    );
    assert_eq!(support::event_id(&d.body), "e1");
    worker.stop(Duration::from_secs(5)).await;
}
