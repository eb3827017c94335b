//! Failures: the server killed and restarted, an unreachable server,
//! credentials, and streams or consumers that exist with another
//! configuration.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream::stream;
use evrule::route::RuleSet;
use evrule_engine::{BusConfig, Engine, EngineConfig};
use serde_json::json;

use crate::support::{self, event, until, Sink};

/// kill -9 of nats-server mid-run, then a restart on the same store:
/// every event whose put was acknowledged is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_and_restarted_loses_no_acknowledged_event() {
    let Some(mut server) = support::server() else {
        return;
    };
    let engine = support::engine(&server.url()).await;
    let mut set = RuleSet::new();
    set.add_json(&json!({"Name": "r", "EventPattern": {"source": ["shop"]},
        "Targets": [{"Id": "t", "Arn": "arn:t"}]}))
        .unwrap();
    engine
        .rules()
        .await
        .unwrap()
        .seed("default", set.rules(), false)
        .await
        .unwrap();
    let sink = Sink::ok();
    let worker = engine
        .worker("default")
        .destination("arn:t", sink.clone())
        .start()
        .await
        .unwrap();
    let bus = engine.bus("default", BusConfig::new()).await.unwrap();

    // A producer that keeps putting events, in batches, while the server
    // is killed and restarted; it records which puts were acknowledged.
    let producer = {
        let bus = bus.clone();
        tokio::spawn(async move {
            let mut acked = Vec::new();
            for b in 0..60 {
                let events: Vec<Vec<u8>> =
                    (b * 50..b * 50 + 50).map(|i| event(i, "shop")).collect();
                let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
                for (i, r) in bus.put_events(&refs).await.into_iter().enumerate() {
                    if r.is_ok() {
                        acked.push(format!("e{}", b * 50 + i));
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            acked
        })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart().unwrap();
    let acked = producer.await.unwrap();
    assert_eq!(acked.len(), 3000, "the producer retries through the outage");
    let want: HashSet<String> = acked.into_iter().collect();
    let ok = until(Duration::from_secs(60), || {
        let got = sink.by_id();
        want.iter().all(|id| got.contains_key(id))
    })
    .await;
    let got = sink.by_id();
    let missing: Vec<&String> = want
        .iter()
        .filter(|id| !got.contains_key(*id))
        .take(10)
        .collect();
    assert!(
        ok,
        "missing deliveries, e.g. {missing:?} ({} of {})",
        got.len(),
        want.len()
    );
    worker.stop(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_an_error_naming_the_url() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    let err = Engine::connect(EngineConfig::new(&url)).await.unwrap_err();
    assert!(err.is_connect());
    assert!(
        err.message()
            .starts_with(&format!("cannot reach the engine at {url}: ")),
        "{err}"
    );
    let err = Engine::connect(EngineConfig::new("nats://user:secret@127.0.0.1:1"))
        .await
        .unwrap_err();
    assert!(!err.message().contains("secret"), "{err}");
    let err = Engine::connect(EngineConfig::new("not a url at all::"))
        .await
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("cannot reach the engine at not a url at all::: not a NATS URL"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_passed_through() {
    let Some(server) = support::server_with(&["--user", "evrule", "--pass", "s3cret"]) else {
        return;
    };
    let url = server.url();
    let refused = Engine::connect(EngineConfig::new(&url)).await.unwrap_err();
    assert!(refused.is_connect(), "{refused}");
    Engine::connect(EngineConfig::new(&url).user_password("evrule", "s3cret"))
        .await
        .unwrap();
    let in_url = format!("nats://evrule:s3cret@127.0.0.1:{}", server.port());
    Engine::connect(EngineConfig::new(in_url)).await.unwrap();
    drop(server);

    let Some(server) = support::server_with(&["--auth", "tok3n"]) else {
        return;
    };
    assert!(Engine::connect(EngineConfig::new(server.url()))
        .await
        .is_err());
    Engine::connect(EngineConfig::new(server.url()).token("tok3n"))
        .await
        .unwrap();
    Engine::connect(EngineConfig::new(format!(
        "nats://tok3n@127.0.0.1:{}",
        server.port()
    )))
    .await
    .unwrap();
    let missing = Engine::connect(
        EngineConfig::new(server.url()).credentials_file("/nonexistent/user.creds"),
    )
    .await
    .unwrap_err();
    assert!(missing.is_config());
    assert!(
        missing
            .message()
            .starts_with("cannot read credentials file /nonexistent/user.creds: "),
        "{missing}"
    );
    let missing =
        Engine::connect(EngineConfig::new(server.url()).nkey_file("/nonexistent/user.nk"))
            .await
            .unwrap_err();
    assert!(
        missing
            .message()
            .starts_with("cannot read NKey seed file /nonexistent/user.nk: "),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incompatible_streams_and_consumers_are_errors() {
    let Some(server) = support::server() else {
        return;
    };
    let engine = support::engine(&server.url()).await;
    // Someone else's stream under the bus's name, in memory.
    engine
        .jetstream()
        .create_stream(stream::Config {
            name: "EVRULE_BUS_orders".into(),
            subjects: vec!["orders.>".into()],
            storage: stream::StorageType::Memory,
            ..Default::default()
        })
        .await
        .unwrap();
    let err = engine.bus("orders", BusConfig::new()).await.unwrap_err();
    assert!(err.is_incompatible());
    assert!(err.message().starts_with(
        "stream EVRULE_BUS_orders exists with subjects [\"orders.>\"] (evrule needs [\"evrule.bus.orders\"]), \
         storage Memory (the configuration asks File)"
    ), "{err}");
    // The same bus asked with another retention.
    engine.bus("default", BusConfig::new()).await.unwrap();
    let err = engine
        .bus("default", BusConfig::new().retention_days(7))
        .await
        .unwrap_err();
    assert!(
        err.message()
            .contains("max age unlimited (the configuration asks 7 days)"),
        "{err}"
    );
    // A consumer of ours reconfigured by hand.
    let s = engine
        .jetstream()
        .get_stream("EVRULE_BUS_default")
        .await
        .unwrap();
    s.delete_consumer("matchers").await.unwrap();
    s.create_consumer(async_nats::jetstream::consumer::pull::Config {
        durable_name: Some("matchers".into()),
        ack_policy: async_nats::jetstream::consumer::AckPolicy::All,
        ..Default::default()
    })
    .await
    .unwrap();
    let err = engine.bus("default", BusConfig::new()).await.unwrap_err();
    assert!(err.is_incompatible());
    assert!(err.message().starts_with("consumer matchers on stream EVRULE_BUS_default exists with filter [\"\"] (evrule needs \"evrule.bus.default\"), ack policy All"), "{err}");
    // Nothing was changed behind the user's back.
    let info = s.consumer_info("matchers").await.unwrap();
    assert_eq!(
        info.config.ack_policy,
        async_nats::jetstream::consumer::AckPolicy::All
    );
}
