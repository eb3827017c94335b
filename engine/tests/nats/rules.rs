//! The rules bucket: a rule put there is applied by every worker within a
//! second; PutTargets, deletes, and invalid rules.

use std::time::{Duration, Instant};

use evrule::route::{Rule, Target};
use evrule_engine::BusConfig;

use crate::support::{self, event, until, Sink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_put_in_the_bucket_reaches_every_worker_within_a_second() {
    let Some(server) = support::server() else {
        return;
    };
    let mut engines = Vec::new();
    for _ in 0..3 {
        engines.push(support::engine(&server.url()).await);
    }
    let sink = Sink::ok();
    let mut workers = Vec::new();
    for e in &engines {
        workers.push(
            e.worker("default")
                .destination("arn:new", sink.clone())
                .start()
                .await
                .unwrap(),
        );
    }
    let store = engines[0].rules().await.unwrap();
    let rule =
        Rule::new("added-live", r#"{"source": ["late"]}"#).with_target(Target::new("t", "arn:new"));
    let put_at = Instant::now();
    store.put_rule("default", &rule).await.unwrap();
    let mut slowest = Duration::ZERO;
    for w in &workers {
        assert!(
            until(Duration::from_secs(1), || w.rule_names() == ["added-live"]).await,
            "a worker did not apply the rule within a second"
        );
        slowest = slowest.max(put_at.elapsed());
    }
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    let bus = engines[0].bus("default", BusConfig::new()).await.unwrap();
    let events: Vec<Vec<u8>> = (0..30).map(|i| event(i, "late")).collect();
    let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
    bus.put_events(&refs).await;
    assert!(until(Duration::from_secs(20), || sink.len() >= 30).await);

    // PutTargets and RemoveTargets go through the bucket too.
    store
        .put_targets("default", "added-live", vec![Target::new("u", "arn:other")])
        .await
        .unwrap();
    assert_eq!(
        store
            .rule("default", "added-live")
            .await
            .unwrap()
            .unwrap()
            .targets
            .len(),
        2
    );
    store
        .remove_targets("default", "added-live", &["u"])
        .await
        .unwrap();
    assert_eq!(
        store
            .rule("default", "added-live")
            .await
            .unwrap()
            .unwrap()
            .targets
            .len(),
        1
    );
    let missing = store
        .put_targets("default", "nope", vec![])
        .await
        .unwrap_err();
    assert_eq!(
        missing.message(),
        "Rule nope does not exist on EventBus default."
    );

    // An invalid rule is refused with AWS's message, and never stored.
    let bad = Rule::new("bad name", "{}");
    let err = store.put_rule("default", &bad).await.unwrap_err();
    assert!(err.is_rule());
    assert!(
        err.message()
            .ends_with(r"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"),
        "{err}"
    );
    let bad_pattern = Rule::new("bad-pattern", r#"{"source": "not-a-list"}"#);
    assert!(store
        .put_rule("default", &bad_pattern)
        .await
        .unwrap_err()
        .is_rule());

    // Deleted: every worker drops it within a second.
    store.delete_rule("default", "added-live").await.unwrap();
    for w in &workers {
        assert!(until(Duration::from_secs(1), || w.rule_names().is_empty()).await);
    }
    for w in workers {
        w.stop(Duration::from_secs(5)).await;
    }
}
