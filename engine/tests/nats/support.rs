//! Shared helpers: a server or a skip, engines, recording destinations.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evrule::route::{Delivery, DeliveryResult, Destination, RouterConfig};
use evrule_engine::server::{NatsServer, INSTALL};
use evrule_engine::{Engine, EngineConfig};

/// A server, or `None` (with a note) when nats-server is not installed.
/// With `EVRULE_REQUIRE_NATS=1` a missing server fails the test.
pub fn server() -> Option<NatsServer> {
    server_with(&[])
}

pub fn server_with(args: &[&str]) -> Option<NatsServer> {
    match NatsServer::start_with(args) {
        Ok(s) => Some(s),
        Err(e) if evrule_engine::server::binary().is_none() => {
            if std::env::var("EVRULE_REQUIRE_NATS").as_deref() == Ok("1") {
                panic!("EVRULE_REQUIRE_NATS=1 but nats-server is missing: {e}; install it with `{INSTALL}`");
            }
            eprintln!(
                "skipped: nats-server not found; install it with `{INSTALL}` (or set NATS_SERVER)"
            );
            None
        }
        Err(e) => panic!("cannot start nats-server: {e}"),
    }
}

/// Settings for tests: a short lease, quick back-off.
pub fn config(url: &str) -> EngineConfig {
    EngineConfig::new(url)
        .lease(Duration::from_secs(2))
        .router(RouterConfig::new().backoff(Duration::from_millis(20), Duration::from_millis(200)))
        .publish_deadline(Duration::from_secs(60))
        .log(Arc::new(|note: &str| eprintln!("{note}")))
}

pub async fn engine(url: &str) -> Engine {
    Engine::connect(config(url)).await.expect("connect")
}

/// Records every attempt and answers from a script.
pub struct Sink {
    pub seen: Mutex<Vec<Delivery>>,
    answer: Box<dyn Fn(&Delivery) -> DeliveryResult + Send + Sync>,
}

impl Sink {
    pub fn ok() -> Arc<Sink> {
        Sink::answering(|_| DeliveryResult::Ok)
    }

    pub fn answering(f: impl Fn(&Delivery) -> DeliveryResult + Send + Sync + 'static) -> Arc<Sink> {
        Arc::new(Sink {
            seen: Mutex::new(Vec::new()),
            answer: Box::new(f),
        })
    }

    pub fn seen(&self) -> Vec<Delivery> {
        self.seen.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Successful deliveries per event id (the body's `id`).
    pub fn by_id(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for d in self.seen() {
            *out.entry(event_id(&d.body)).or_insert(0) += 1;
        }
        out
    }
}

impl Destination for Sink {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        let r = (self.answer)(d);
        if r == DeliveryResult::Ok || d.dead_letter.is_some() {
            self.seen.lock().unwrap().push(d.clone());
        }
        r
    }
}

pub fn event_id(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
        .unwrap_or_default()
}

pub fn event(id: usize, source: &str) -> Vec<u8> {
    format!(r#"{{"id": "e{id}", "source": "{source}", "detail-type": "t", "detail": {{"n": {id}, "group": "g{}"}}}}"#, id % 5)
        .into_bytes()
}

/// Wait until `done` or the timeout; true when done.
pub async fn until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}
