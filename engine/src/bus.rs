//! Putting events on a bus: each event is published to the bus's stream
//! with its id as JetStream message id, and counts as accepted only once
//! JetStream has acknowledged it (stored, on every replica). Publishes
//! that fail (timeouts, a lost connection) are retried with the same
//! message id until the publish deadline, so a retry never stores an
//! event twice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use bytes::Bytes;
use serde_json::Value;

use crate::names;
use crate::{Engine, Error};

/// Settings of a bus.
///
/// ```
/// let c = evrule_engine::BusConfig::new().retention_days(7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct BusConfig {
    retention_days: u32,
    adopt: bool,
}

impl BusConfig {
    /// Keep events forever.
    ///
    /// ```
    /// let _ = evrule_engine::BusConfig::new();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> BusConfig {
        BusConfig::default()
    }

    /// Keep events (the archive) this many days; 0 keeps them forever.
    ///
    /// ```
    /// let _ = evrule_engine::BusConfig::new().retention_days(30);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }

    /// Take the retention of the bus's stream as it is when the stream
    /// exists (a publisher that does not own the bus's configuration, such
    /// as `evrule serve --engine`); [`retention_days`](Self::retention_days)
    /// then applies only to a stream this call creates.
    ///
    /// ```
    /// let _ = evrule_engine::BusConfig::new().adopt_existing();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn adopt_existing(mut self) -> Self {
        self.adopt = true;
        self
    }
}

/// A bus: its stream receives events, its archive is the stream itself.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Bus {
    engine: Engine,
    name: String,
    subject: String,
}

/// What became of one event put on a bus.
///
/// ```
/// let p = evrule_engine::Put { event_id: "1".into(), sequence: 7, duplicate: false };
/// assert!(!p.duplicate);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Put {
    /// The event's id (its `id` field, or one the engine made up).
    pub event_id: String,
    /// Its sequence in the bus's stream.
    pub sequence: u64,
    /// An event with this id was already stored within the duplicate
    /// window: this one was not stored again.
    pub duplicate: bool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// An id for an event without one: time, process and a counter.
fn make_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "evrule-{nanos:x}-{:x}-{:x}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

/// Check an event and find its id. An event is a JSON object; its `id`,
/// when a string, is its identity.
pub(crate) fn event_id(event: &[u8]) -> Result<String, Error> {
    let value: Value =
        serde_json::from_slice(event).map_err(|e| Error::event(format!("invalid JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(Error::event("an event must be a JSON object"));
    };
    Ok(match obj.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => make_id(),
    })
}

impl Engine {
    /// The bus `name`: its stream is created unless it exists with a
    /// compatible configuration (an incompatible one is an error), and it
    /// is recorded in the rules bucket.
    pub async fn bus(&self, name: &str, config: BusConfig) -> Result<Bus, Error> {
        names::check_bus(name)?;
        let mut retention = Duration::from_secs(u64::from(config.retention_days) * 86_400);
        if config.adopt {
            if let Ok(mut existing) = self.inner.js.get_stream(names::bus_stream(name)).await {
                if let Ok(info) = existing.info().await {
                    retention = info.config.max_age;
                }
            }
        }
        let retention_days = retention.as_secs() / 86_400;
        let want = crate::setup::bus_stream_config(self, name, retention);
        let stream = crate::setup::ensure_stream(self, want).await?;
        // The shared matcher consumer exists from the start, so that no
        // event published before the first worker is missed.
        let mut c = crate::setup::consumer_config(names::MATCHERS, &names::bus_subject(name));
        c.ack_wait = self.inner.config.lease;
        c.max_ack_pending = 20_000;
        crate::setup::ensure_consumer_as(self, &stream, c, false).await?;
        self.rules()
            .await?
            .put_bus(
                name,
                &serde_json::json!({"Name": name, "RetentionDays": retention_days}),
            )
            .await?;
        Ok(Bus {
            engine: self.clone(),
            name: name.to_string(),
            subject: names::bus_subject(name),
        })
    }
}

impl Bus {
    /// The bus's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Put one event: resolves once JetStream has stored it (or found it
    /// stored already). A bad event is an [`Error::is_event`]; a server
    /// unreachable past the publish deadline an [`Error::is_nats`].
    pub async fn put_event(&self, event: &[u8]) -> Result<Put, Error> {
        let mut out = self.put_events(&[event]).await;
        out.pop()
            .unwrap_or_else(|| Err(Error::event("no event to put")))
    }

    /// Put events, pipelined: all are sent, then their acknowledgements
    /// awaited; what failed is sent again (same ids) until the publish
    /// deadline. One result per event, in order.
    pub async fn put_events(&self, events: &[&[u8]]) -> Vec<Result<Put, Error>> {
        let js = &self.engine.inner.js;
        let deadline = Instant::now() + self.engine.inner.config.publish_deadline;
        let mut results: Vec<Option<Result<Put, Error>>> = vec![None; events.len()];
        let mut ids = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            match event_id(e) {
                Ok(id) => ids.push(Some(id)),
                Err(err) => {
                    results[i] = Some(Err(err));
                    ids.push(None);
                }
            }
        }
        let mut todo: Vec<usize> = (0..events.len()).filter(|&i| ids[i].is_some()).collect();
        let mut round = 0u32;
        while !todo.is_empty() {
            let mut pending: Vec<(usize, Result<PublishAckFuture, String>)> = Vec::new();
            for &i in &todo {
                let id = ids[i].as_deref().unwrap_or_default();
                let msg = PublishMessage::build()
                    .payload(Bytes::copy_from_slice(events[i]))
                    .message_id(crate::codec::encode(id));
                let sent = js.send_publish(self.subject.clone(), msg).await;
                match sent {
                    Ok(ack) => pending.push((i, Ok(ack))),
                    Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                        results[i] =
                            Some(Err(Error::event(format!("the event is too large: {e}"))));
                    }
                    Err(e) => pending.push((i, Err(e.to_string()))),
                }
            }
            // Awaited together: each acknowledgement's timeout starts when
            // it is awaited, so one at a time would make an outage cost one
            // timeout per event of the batch.
            let got =
                futures_util::future::join_all(pending.into_iter().map(|(i, ack)| async move {
                    let got = match ack {
                        Ok(fut) => fut.await.map_err(|e| e.to_string()),
                        Err(e) => Err(e),
                    };
                    (i, got)
                }))
                .await;
            let mut again = Vec::new();
            let mut last_error = String::new();
            for (i, got) in got {
                match got {
                    Ok(ack) => {
                        results[i] = Some(Ok(Put {
                            event_id: ids[i].clone().unwrap_or_default(),
                            sequence: ack.sequence,
                            // A retry finding its own first try stored is
                            // not a duplicate event.
                            duplicate: ack.duplicate && round == 0,
                        }))
                    }
                    Err(e) => {
                        last_error = e;
                        again.push(i);
                    }
                }
            }
            if again.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                self.engine.inner.config.note(&format!(
                    "engine: {} publish(es) to bus {} not acknowledged before the deadline ({last_error}); giving up",
                    again.len(),
                    self.name
                ));
                for i in again {
                    results[i] = Some(Err(Error::nats(
                        format!("bus {}: the event was not acknowledged", self.name),
                        &last_error,
                    )));
                }
                break;
            }
            round += 1;
            self.engine.inner.config.note(&format!(
                "engine: {} publish(es) to bus {} not acknowledged ({last_error}); retrying",
                again.len(),
                self.name
            ));
            tokio::time::sleep(Duration::from_millis(100u64 << round.min(4))).await;
            todo = again;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::event("not sent"))))
            .collect()
    }
}
