//! End to end: rules in the bucket, events put, targets receive what the
//! in-process router would hand them; replay of a window.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use evrule::route::{Collect, Router, RuleSet};
use evrule_engine::BusConfig;
use serde_json::json;

use crate::support::{self, event, until, Sink};

fn rules() -> Vec<evrule::route::Rule> {
    let mut set = RuleSet::new();
    set.add_json(&json!([
        {"Name": "all-shop", "EventPattern": {"source": ["shop"]}, "Targets": [
            {"Id": "whole", "Arn": "arn:whole"},
            {"Id": "detail", "Arn": "arn:detail", "InputPath": "$.detail"},
            {"Id": "shaped", "Arn": "arn:shaped", "InputTransformer": {
                "InputPathsMap": {"n": "$.detail.n", "id": "$.id"},
                "InputTemplate": "{\"n\": <n>, \"id\": \"<id>\", \"rule\": \"<aws.events.rule-name>\"}"}}
        ]},
        {"Name": "big", "EventPattern": {"detail": {"n": [{"numeric": [">=", 40]}]}}, "Targets": [
            {"Id": "t", "Arn": "arn:whole"}]}
    ]))
    .unwrap();
    set.into_rules()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_what_the_router_hands_out() {
    let Some(server) = support::server() else {
        return;
    };
    let engine = support::engine(&server.url()).await;
    let store = engine.rules().await.unwrap();
    let report = store.seed("default", &rules(), false).await.unwrap();
    assert_eq!(report.written, ["all-shop", "big"]);
    // Seeding again keeps what the bucket has.
    let again = store.seed("default", &rules(), false).await.unwrap();
    assert_eq!(again.unchanged.len(), 2);

    let sinks: Vec<(&str, Arc<Sink>)> = ["arn:whole", "arn:detail", "arn:shaped"]
        .iter()
        .map(|a| (*a, Sink::ok()))
        .collect();
    let mut builder = engine.worker("default");
    for (arn, s) in &sinks {
        builder = builder.destination(*arn, s.clone());
    }
    let worker = builder.start().await.unwrap();
    let bus = engine.bus("default", BusConfig::new()).await.unwrap();
    let events: Vec<Vec<u8>> = (0..50)
        .map(|i| event(i, if i % 2 == 0 { "shop" } else { "other" }))
        .collect();
    let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
    let puts = bus.put_events(&refs).await;
    assert!(
        puts.iter().all(|p| p.as_ref().is_ok_and(|p| !p.duplicate)),
        "{puts:?}"
    );
    // The same event id again is stored once.
    let dup = bus.put_event(&events[0]).await.unwrap();
    assert!(dup.duplicate);
    // A bad event is refused, with a reason.
    let bad = bus.put_event(b"[1]").await.unwrap_err();
    assert!(
        bad.is_event() && bad.message() == "an event must be a JSON object",
        "{bad}"
    );

    // The in-process router on the same rules and events.
    let local = Arc::new(Collect::new());
    let router = Router::builder()
        .rules(rules())
        .fallback_destination(local.clone())
        .build()
        .unwrap();
    for e in &events {
        router.route(e).unwrap();
    }
    router.drain();
    let expected = local.take();
    let total = expected.len();
    assert!(
        until(Duration::from_secs(30), || sinks
            .iter()
            .map(|(_, s)| s.len())
            .sum::<usize>()
            >= total)
        .await,
        "delivered {} of {total}",
        sinks.iter().map(|(_, s)| s.len()).sum::<usize>()
    );
    let mut got: Vec<(String, String, String)> = sinks
        .iter()
        .flat_map(|(_, s)| s.seen())
        .map(|d| (d.rule, d.target_id, d.body))
        .collect();
    let mut want: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|d| (d.rule, d.target_id, d.body))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let stats = worker.stop(Duration::from_secs(5)).await;
    assert_eq!(stats.events, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_of_a_window() {
    let Some(server) = support::server() else {
        return;
    };
    let engine = support::engine(&server.url()).await;
    let store = engine.rules().await.unwrap();
    store.seed("default", &rules()[..1], false).await.unwrap();
    let bus = engine.bus("default", BusConfig::new()).await.unwrap();
    let whole = Sink::ok();
    let worker = engine
        .worker("default")
        .destination("arn:whole", whole.clone())
        .fallback_destination(Sink::ok())
        .start()
        .await
        .unwrap();
    // Three batches, the window covers the middle one.
    let batch =
        |from: usize| -> Vec<Vec<u8>> { (from..from + 10).map(|i| event(i, "shop")).collect() };
    for b in [batch(0)] {
        let refs: Vec<&[u8]> = b.iter().map(Vec::as_slice).collect();
        bus.put_events(&refs).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let from = SystemTime::now();
    let b = batch(10);
    let refs: Vec<&[u8]> = b.iter().map(Vec::as_slice).collect();
    bus.put_events(&refs).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let to = SystemTime::now();
    let b = batch(20);
    let refs: Vec<&[u8]> = b.iter().map(Vec::as_slice).collect();
    bus.put_events(&refs).await;
    assert!(until(Duration::from_secs(20), || whole.len() >= 30).await);

    let report = engine.replay("default", "fix-1", from, to).await.unwrap();
    assert_eq!(
        (report.events, report.matched, report.deliveries),
        (10, 10, 30)
    );
    assert!(
        until(Duration::from_secs(20), || whole.len() >= 40).await,
        "{}",
        whole.len()
    );
    let replayed: Vec<String> = whole
        .seen()
        .iter()
        .filter(|d| d.body.contains(r#""replay-name":"fix-1""#))
        .map(|d| support::event_id(&d.body))
        .collect();
    let mut ids = replayed.clone();
    ids.sort();
    let mut want: Vec<String> = (10..20).map(|i| format!("e{i}")).collect();
    want.sort();
    assert_eq!(ids, want);
    // The same replay again, within the duplicate window: nothing twice.
    engine.replay("default", "fix-1", from, to).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(whole.len(), 40);
    // A window with nothing in it.
    let later = SystemTime::now() + Duration::from_secs(60);
    let empty = engine
        .replay("default", "later", later, later + Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(empty.events, 0);
    let bad = engine
        .replay("default", "bad name", from, to)
        .await
        .unwrap_err();
    assert_eq!(
        bad.message(),
        "replay name `bad name` must be 1 to 64 letters, digits, '.', '-' or '_'"
    );
    worker.stop(Duration::from_secs(5)).await;
}
