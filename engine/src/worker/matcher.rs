//! Matching: events from the bus stream become delivery messages.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::{AckKind, PublishMessage};
use async_nats::jetstream::{self, Message};
use async_nats::HeaderMap;
use bytes::Bytes;
use evrule::route::{DeadLetter, ExhaustedLimit, Router};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Shared;
use crate::codec::{self, DeadRecord, DeliveryMsg};
use crate::names::{self, TargetKey};
use crate::{Engine, Error};

/// One message to publish for an event.
pub(crate) struct Planned {
    pub(crate) subject: String,
    pub(crate) headers: HeaderMap,
    pub(crate) payload: Bytes,
    /// A FIFO target's delivery: must be published in event order.
    pub(crate) fifo: bool,
}

/// The messages an event asks for: a delivery per (rule, target) whose
/// input could be built, a dead letter (`INVALID_TARGET_INPUT`, as the
/// router) for each that could not. `fifo`: only FIFO targets (`true`),
/// only the others (`false`), or all (`None`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    engine: &Engine,
    router: &Router,
    bus: &str,
    event: &[u8],
    event_id: &str,
    event_seq: u64,
    ingested: SystemTime,
    replay: Option<&str>,
    fifo: Option<bool>,
) -> Result<Vec<Planned>, Error> {
    let text = std::str::from_utf8(event).map_err(|e| Error::event(format!("not UTF-8: {e}")))?;
    let partitions = engine.inner.config.fifo_partitions;
    let mut out = Vec::new();
    for r in router.render(event, ingested)? {
        let is_fifo = r.target.is_fifo();
        if fifo.is_some_and(|f| f != is_fifo) {
            continue;
        }
        let d = r.delivery;
        let key = TargetKey::new(bus, &d.rule, &d.target_id);
        let msg = DeliveryMsg {
            bus: bus.to_string(),
            rule: d.rule.clone(),
            rule_arn: d.rule_arn.clone(),
            target_id: d.target_id.clone(),
            target_arn: d.target_arn.clone(),
            group: d.message_group_id.clone(),
            ingested,
            event_id: event_id.to_string(),
            event_seq,
            replay: replay.map(str::to_string),
            policy: r.target.retry_policy,
            dead_letter_arn: r.target.dead_letter_config.as_ref().map(|c| c.arn.clone()),
            body_is_event: d.body == text,
            msg_id: names::delivery_id(bus, event_id, &d.rule, &d.target_id, replay),
        };
        match r.input_error {
            None => {
                let partition = if is_fifo {
                    names::partition(
                        d.message_group_id.as_deref().unwrap_or_default(),
                        partitions,
                    )
                } else {
                    0
                };
                out.push(Planned {
                    subject: key.subject(partition),
                    headers: msg.headers(),
                    payload: Bytes::from(d.body),
                    fifo: is_fifo,
                });
            }
            Some(why) => {
                let record = DeadRecord {
                    reason: DeadLetter {
                        error_code: "INVALID_TARGET_INPUT".into(),
                        error_message: why,
                        rule: d.rule.clone(),
                        target_id: d.target_id.clone(),
                        target_arn: d.target_arn.clone(),
                        attempts: 0,
                        limit: ExhaustedLimit::NotRetryable,
                    },
                    event: text.to_string(),
                    msg,
                };
                out.push(dead_message(&key, &record));
            }
        }
    }
    Ok(out)
}

/// The dead-letter stream message for `record`.
pub(crate) fn dead_message(key: &TargetKey, record: &DeadRecord) -> Planned {
    let subject = if record.msg.dead_letter_arn.is_some() {
        key.dead_subject()
    } else {
        key.dropped_subject()
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        codec::MSG_ID,
        codec::encode(&format!("{}/dead", record.msg.msg_id)).as_str(),
    );
    Planned {
        subject,
        headers,
        payload: Bytes::from(record.to_json()),
        fifo: false,
    }
}

/// Send one planned message; the acknowledgement comes later.
pub(crate) async fn send(engine: &Engine, p: Planned) -> Result<PublishAckFuture, String> {
    engine
        .inner
        .js
        .send_publish(
            p.subject,
            PublishMessage::build()
                .payload(p.payload)
                .headers(p.headers),
        )
        .await
        .map_err(|e| e.to_string())
}

/// Wait for acknowledgements; the first failure, if any.
///
/// All are awaited at once: an acknowledgement's timeout starts only when
/// it is awaited, so waiting for them one after another would let a lost
/// connection cost one timeout per message instead of one in all.
pub(crate) async fn acked(acks: Vec<Result<PublishAckFuture, String>>) -> Result<(), String> {
    let results = futures_util::future::join_all(acks.into_iter().map(|a| async move {
        match a {
            Ok(f) => f.await.map(drop).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        }
    }))
    .await;
    results.into_iter().collect()
}

/// What a matcher needs of an event message.
struct EventInfo {
    id: String,
    seq: u64,
    ingested: SystemTime,
}

fn event_info(msg: &Message) -> Result<EventInfo, String> {
    let info = msg.info().map_err(|e| e.to_string())?;
    let seq = info.stream_sequence;
    let id = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(codec::MSG_ID))
        .map(|v| codec::decode(v.as_str()))
        .unwrap_or_else(|| format!("seq-{seq}"));
    Ok(EventInfo {
        id,
        seq,
        ingested: SystemTime::from(info.published),
    })
}

/// Sleep unless stopped; true when stopped.
pub(crate) async fn nap(stop: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = stop.changed() => true,
        _ = tokio::time::sleep(wait) => *stop.borrow(),
    }
}

/// The shared matcher: events in parallel, non-FIFO deliveries.
pub(crate) async fn run_matchers(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    retrying!(
        shared,
        &mut stop,
        "matcher",
        matchers_once(&shared, &mut stop)
    )
}

async fn consumer(
    shared: &Shared,
    name: &str,
    deliver_policy: DeliverPolicy,
    max_ack_pending: i64,
) -> Result<jetstream::consumer::PullConsumer, Error> {
    let engine = &shared.engine;
    let stream = crate::setup::stream(engine, &names::bus_stream(&shared.bus)).await?;
    let mut c = crate::setup::consumer_config(name, &names::bus_subject(&shared.bus));
    c.ack_wait = engine.inner.config.lease;
    c.max_ack_pending = max_ack_pending;
    c.deliver_policy = deliver_policy;
    crate::setup::ensure_consumer(engine, &stream, c).await
}

async fn matchers_once(
    shared: &Arc<Shared>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Error> {
    let consumer = consumer(shared, names::MATCHERS, DeliverPolicy::All, 20_000).await?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(256)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(|e| Error::nats("cannot read the bus", e))?;
    let mut inflight = JoinSet::new();
    loop {
        while inflight.try_join_next().is_some() {}
        if inflight.len() >= 1024 {
            inflight.join_next().await;
            continue;
        }
        let next = tokio::select! {
            _ = stop.changed() => break,
            n = messages.next() => n,
        };
        let msg = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => return Err(Error::nats("reading the bus", e)),
            None => return Err(Error::nats("reading the bus", "the consumer stopped")),
        };
        let info = match event_info(&msg) {
            Ok(i) => i,
            Err(e) => {
                shared.note(&format!(
                    "engine: an event without JetStream info ({e}); skipped"
                ));
                let _ = msg.ack_with(AckKind::Term).await;
                continue;
            }
        };
        let snapshot = shared.snapshot.borrow().clone();
        let Some(router) = snapshot.router.as_ref() else {
            // No usable rules: leave the event for a worker that has them.
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await;
            continue;
        };
        shared.stats.events.fetch_add(1, Ordering::Relaxed);
        let planned = match plan(
            &shared.engine,
            router,
            &shared.bus,
            &msg.payload,
            &info.id,
            info.seq,
            info.ingested,
            None,
            Some(false),
        ) {
            Ok(p) => p,
            Err(e) => {
                shared.note(&format!(
                    "engine: event {} (#{}) skipped: {e}",
                    info.id, info.seq
                ));
                let _ = msg.ack_with(AckKind::Term).await;
                continue;
            }
        };
        if !planned.is_empty() {
            shared.stats.matched.fetch_add(1, Ordering::Relaxed);
        }
        let mut acks = Vec::with_capacity(planned.len());
        for p in planned {
            acks.push(send(&shared.engine, p).await);
        }
        let shared = shared.clone();
        inflight.spawn(async move {
            let n = acks.len() as u64;
            match acked(acks).await {
                Ok(()) => {
                    shared.stats.published.fetch_add(n, Ordering::Relaxed);
                    let _ = msg.ack().await;
                }
                Err(e) => {
                    shared.note(&format!(
                        "engine: deliveries of event {} not stored ({e}); retrying",
                        info.id
                    ));
                    let _ = msg
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await;
                }
            }
        });
    }
    while inflight.join_next().await.is_some() {}
    Ok(())
}

/// The FIFO matcher: one event at a time, bus-wide, so that FIFO
/// deliveries are published in the bus stream's order.
pub(crate) async fn run_fifo_matcher(
    shared: Arc<Shared>,
    since: SystemTime,
    mut stop: watch::Receiver<bool>,
) {
    retrying!(
        shared,
        &mut stop,
        "FIFO matcher",
        fifo_once(&shared, since, &mut stop)
    )
}

async fn fifo_once(
    shared: &Arc<Shared>,
    since: SystemTime,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Error> {
    let start = DeliverPolicy::ByStartTime {
        start_time: time::OffsetDateTime::from(since),
    };
    let consumer = consumer(shared, names::FIFO_MATCHER, start, 1).await?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(1)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(|e| Error::nats("cannot read the bus", e))?;
    loop {
        let next = tokio::select! {
            _ = stop.changed() => return Ok(()),
            n = messages.next() => n,
        };
        let msg = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => return Err(Error::nats("reading the bus", e)),
            None => return Err(Error::nats("reading the bus", "the consumer stopped")),
        };
        let info = match event_info(&msg) {
            Ok(i) => i,
            Err(_) => {
                let _ = msg.ack_with(AckKind::Term).await;
                continue;
            }
        };
        let snapshot = shared.snapshot.borrow().clone();
        let Some(router) = snapshot.router.as_ref() else {
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await;
            continue;
        };
        let planned = plan(
            &shared.engine,
            router,
            &shared.bus,
            &msg.payload,
            &info.id,
            info.seq,
            info.ingested,
            None,
            Some(true),
        )
        .unwrap_or_default();
        let n = planned.len() as u64;
        let mut acks = Vec::with_capacity(planned.len());
        for p in planned {
            acks.push(send(&shared.engine, p).await);
        }
        match acked(acks).await {
            Ok(()) => {
                shared.stats.published.fetch_add(n, Ordering::Relaxed);
                // Confirmed, so the next event is not held for a lease.
                if msg.double_ack().await.is_err() {
                    let _ = msg.ack().await;
                }
            }
            Err(e) => {
                shared.note(&format!(
                    "engine: FIFO deliveries of event {} not stored ({e}); retrying",
                    info.id
                ));
                let _ = msg
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await;
            }
        }
    }
}
