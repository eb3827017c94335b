//! Routing with the real matcher: rules loaded from testdata, events from
//! testdata/events.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evrule::route::{Archive, ArchiveConfig, Collect, Router, RuleSet};
use serde_json::json;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn example_rules() -> RuleSet {
    let mut set = RuleSet::new();
    let doc: serde_json::Value =
        serde_json::from_slice(&read("testdata/examples/rules.json")).unwrap();
    set.add_json(&doc).unwrap();
    for rule in set.rules().to_vec() {
        set.put_targets(
            &rule.name,
            None,
            vec![evrule::route::Target::from_json(&json!({
                "Id": "key", "Arn": "arn:aws:sqs:us-east-1:123456789012:out",
                "InputTransformer": {
                    "InputPathsMap": {"key": "$.detail.object.key"},
                    "InputTemplate": "{\"rule\": <aws.events.rule-name>, \"key\": <key>}"
                }
            }))
            .unwrap()],
        )
        .unwrap();
    }
    set
}

#[test]
fn routes_testdata_events_through_the_matcher() {
    let sink = Arc::new(Collect::new());
    let router = Router::builder()
        .rules(example_rules().into_rules())
        .fallback_destination(sink.clone())
        .build()
        .unwrap();
    let outcome = router
        .route(&read("testdata/events/s3-object-created.json"))
        .unwrap();
    assert_eq!(outcome.rules, ["s3-object-created"]);
    let outcome = router
        .route(&read("testdata/events/ec2-instance-state-change.json"))
        .unwrap();
    assert!(outcome.rules.is_empty(), "ec2-stopped is disabled");
    router.drain();
    let bodies: Vec<serde_json::Value> = sink
        .take()
        .iter()
        .map(|d| serde_json::from_str(&d.body).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [json!({"rule": "s3-object-created", "key": "example-key"})]
    );
}

#[test]
fn an_invalid_pattern_is_a_build_error_naming_the_rule() {
    let mut set = RuleSet::new();
    set.add_json(&json!({"Name": "broken", "EventPattern": "{\"source\": []}"}))
        .unwrap();
    let err = Router::builder()
        .rules(set.into_rules())
        .build()
        .unwrap_err();
    assert_eq!(err.rule(), Some("broken"));
}

#[test]
fn archive_pattern_keeps_only_matching_events() {
    let dir = std::env::temp_dir().join(format!(
        "evrule-test-archive-pattern-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let archive = Archive::open(
        &dir,
        ArchiveConfig::new().pattern(r#"{"source": ["aws.s3"]}"#),
    )
    .unwrap();
    let router = Router::builder()
        .rules(example_rules().into_rules())
        .fallback_destination(Arc::new(Collect::new()))
        .archive(archive)
        .build()
        .unwrap();
    assert!(
        router
            .route(&read("testdata/events/s3-object-created.json"))
            .unwrap()
            .archived
    );
    assert!(
        !router
            .route(&read("testdata/events/ec2-instance-state-change.json"))
            .unwrap()
            .archived
    );
    let report = router
        .replay(
            "r1",
            UNIX_EPOCH,
            SystemTime::now() + Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        (report.events, report.matched, report.deliveries),
        (1, 1, 1)
    );
    router.drain();
    drop(router);
    std::fs::remove_dir_all(&dir).unwrap();
}
