//! FIFO targets: per message group order, whichever of two workers takes
//! the events, through retries.

use std::collections::BTreeMap;
use std::time::Duration;

use evrule::route::{DeliveryResult, RuleSet};
use evrule_engine::BusConfig;
use serde_json::json;

use crate::support::{self, event, until, Sink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_order_per_group_under_two_workers() {
    let Some(server) = support::server() else {
        return;
    };
    let mut set = RuleSet::new();
    set.add_json(
        &json!({"Name": "r", "EventPattern": {"source": ["shop"]}, "Targets": [
            {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
             "SqsParameters": {"MessageGroupId": "$.detail.group"}},
            {"Id": "plain", "Arn": "arn:plain"}
        ]}),
    )
    .unwrap();
    let a = support::engine(&server.url()).await;
    let b = support::engine(&server.url()).await;
    a.rules()
        .await
        .unwrap()
        .seed("default", set.rules(), false)
        .await
        .unwrap();
    // Every seventh event fails its first attempt: its retry must still
    // come before the next event of its group.
    let sink = Sink::answering(|d| {
        let n = serde_json::from_str::<serde_json::Value>(&d.body).unwrap()["detail"]["n"]
            .as_u64()
            .unwrap();
        if n.is_multiple_of(7) && d.attempt == 1 {
            DeliveryResult::Retryable("throttled".into())
        } else {
            DeliveryResult::Ok
        }
    });
    let plain = Sink::ok();
    let mut workers = Vec::new();
    for e in [&a, &b] {
        workers.push(
            e.worker("default")
                .destination(
                    "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
                    sink.clone(),
                )
                .destination("arn:plain", plain.clone())
                .start()
                .await
                .unwrap(),
        );
    }
    let bus = a.bus("default", BusConfig::new()).await.unwrap();
    let events: Vec<Vec<u8>> = (0..200).map(|i| event(i, "shop")).collect();
    for chunk in events.chunks(20) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        for p in bus.put_events(&refs).await {
            p.unwrap();
        }
    }
    assert!(
        until(Duration::from_secs(60), || sink.len() >= 200
            && plain.len() >= 200)
        .await,
        "{}",
        sink.len()
    );
    let mut groups: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for d in sink.seen() {
        let v: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(d.message_group_id.as_deref(), v["detail"]["group"].as_str());
        groups
            .entry(d.message_group_id.clone().unwrap())
            .or_default()
            .push(v["detail"]["n"].as_u64().unwrap());
    }
    assert_eq!(groups.len(), 5);
    for (g, ns) in &groups {
        let mut sorted = ns.clone();
        sorted.sort();
        assert_eq!(ns, &sorted, "group {g} out of order");
        assert_eq!(ns.len(), 40, "group {g}");
    }
    let mut matched = 0;
    for w in workers {
        matched += w.stop(Duration::from_secs(5)).await.events;
    }
    assert!(matched >= 200);
}
