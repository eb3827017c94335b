//! Delivering: a loop per target consumer (one attempt per message), per
//! dead-letter consumer (to the DLQ destination), and one for the
//! max-delivery advisories of deliveries no worker finished.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::Message;
use evrule::route::{
    with_replay_name, DeadLetter, Delivery, DeliveryResult, Destination, ExhaustedLimit, Settlement,
};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::matcher::{dead_message, send};
use super::{Count, LoopKind, LoopSpec, Shared};
use crate::codec::{DeadRecord, DeliveryMsg};
use crate::names::{self, TargetKey};
use crate::Error;

/// Run one consumer's loop until stopped, reconnecting with back-off.
pub(crate) async fn run_loop(
    shared: Arc<Shared>,
    name: String,
    spec: LoopSpec,
    mut stop: watch::Receiver<bool>,
) {
    retrying!(
        shared,
        &mut stop,
        name,
        consume(&shared, &name, &spec, &mut stop)
    )
}

async fn consume(
    shared: &Arc<Shared>,
    name: &str,
    spec: &LoopSpec,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Error> {
    let engine = &shared.engine;
    let stream_name = match spec.kind {
        LoopKind::Target => names::DELIVERIES,
        LoopKind::DeadLetter => names::DEAD,
    };
    let stream = crate::setup::stream(engine, stream_name).await?;
    for other in &spec.conflicts {
        // A target that changed between FIFO and not: its old consumers'
        // filters overlap the new ones (a work queue refuses that). Their
        // messages stay in the stream for the new consumers.
        let _ = stream.delete_consumer(other).await;
    }
    let mut c = crate::setup::consumer_config(name, &spec.filter);
    c.ack_wait = engine.inner.config.lease;
    c.max_deliver = spec.max_deliver;
    c.max_ack_pending = spec.max_ack_pending;
    let consumer = crate::setup::ensure_consumer(engine, &stream, c).await?;
    let concurrency = if spec.max_ack_pending == 1 {
        1
    } else {
        shared.concurrency
    };
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(concurrency)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(|e| Error::nats(format!("cannot read consumer {name}"), e))?;
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut inflight = JoinSet::new();
    let result = loop {
        while inflight.try_join_next().is_some() {}
        // Take a message only when it can be worked on at once, so that
        // none waits here while its lease runs.
        let permit = tokio::select! {
            _ = stop.changed() => break Ok(()),
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break Ok(()),
            },
        };
        let next = tokio::select! {
            _ = stop.changed() => break Ok(()),
            n = messages.next() => n,
        };
        let msg = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => break Err(Error::nats(format!("reading consumer {name}"), e)),
            None => {
                break Err(Error::nats(
                    format!("reading consumer {name}"),
                    "the consumer stopped",
                ))
            }
        };
        let shared = shared.clone();
        let destination = spec.destination.clone();
        let kind = spec.kind;
        inflight.spawn(async move {
            match kind {
                LoopKind::Target => attempt_delivery(&shared, destination, msg).await,
                LoopKind::DeadLetter => deliver_dead_letter(&shared, destination, msg).await,
            }
            drop(permit);
        });
    };
    // Let what is in flight end: each settles its own message.
    while inflight.join_next().await.is_some() {}
    result
}

/// Call a destination off the runtime, renewing the message's lease while
/// it runs; a panic is a permanent failure, as in the router.
async fn call(
    shared: &Shared,
    destination: Arc<dyn Destination>,
    delivery: Delivery,
    msg: &Message,
) -> DeliveryResult {
    let panicked = || DeliveryResult::Permanent("the destination panicked".into());
    if destination.non_blocking() {
        return catch_unwind(AssertUnwindSafe(|| destination.deliver(&delivery)))
            .unwrap_or_else(|_| panicked());
    }
    let mut job = tokio::task::spawn_blocking(move || {
        catch_unwind(AssertUnwindSafe(|| destination.deliver(&delivery)))
    });
    let every = shared.engine.inner.config.lease / 3;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            r = &mut job => return match r {
                Ok(Ok(result)) => result,
                _ => panicked(),
            },
            _ = tick.tick() => {
                let _ = msg.ack_with(AckKind::Progress).await;
            }
        }
    }
}

fn age_of(ingested: SystemTime) -> Duration {
    SystemTime::now()
        .duration_since(ingested)
        .unwrap_or_default()
}

/// One attempt at one delivery, and what follows it.
async fn attempt_delivery(shared: &Arc<Shared>, destination: Arc<dyn Destination>, msg: Message) {
    let delivered = match msg.info() {
        Ok(i) => i.delivered.clamp(1, i64::from(u32::MAX)) as u32,
        Err(_) => 1,
    };
    let d = match msg.headers.as_ref().map(DeliveryMsg::from_headers) {
        Some(Ok(d)) => d,
        other => {
            let why = match other {
                Some(Err(e)) => e,
                _ => "the delivery has no headers".into(),
            };
            shared.note(&format!(
                "engine: a delivery message was not evrule's ({why}); removed"
            ));
            let _ = msg.ack_with(AckKind::Term).await;
            return;
        }
    };
    let body = String::from_utf8_lossy(&msg.payload).into_owned();
    let policy = d.policy;
    // Checked before an attempt, as the router does: an earlier attempt
    // may have been made by a worker that died without a word.
    let prior = delivered - 1;
    if prior > 0 && policy.expired(age_of(d.ingested)) {
        let why = format!(
            "no attempt succeeded within MaximumEventAgeInSeconds ({} s)",
            policy.maximum_event_age_in_seconds
        );
        give_up(
            shared,
            &msg,
            &d,
            &body,
            "TARGET_ERROR",
            ExhaustedLimit::MaximumEventAgeInSeconds,
            why,
            prior,
        )
        .await;
        return;
    }
    if prior > policy.maximum_retry_attempts {
        let why =
            format!("no worker finished attempt {prior} (it stopped, or its answer was lost)");
        give_up(
            shared,
            &msg,
            &d,
            &body,
            "TARGET_ERROR",
            ExhaustedLimit::MaximumRetryAttempts,
            why,
            prior,
        )
        .await;
        return;
    }
    let delivery = d.delivery(body.clone(), delivered);
    let result = call(shared, destination, delivery, &msg).await;
    let age = age_of(d.ingested);
    let router = &shared.engine.inner.config.router;
    let why = match &result {
        DeliveryResult::Retryable(w) | DeliveryResult::Permanent(w) => w.clone(),
        _ => String::new(),
    };
    match router.settle(&policy, delivered, age, &result, shared.random()) {
        Settlement::Delivered => {
            shared.stats.count(&d.rule, &d.target_id, Count::Delivered);
            let _ = msg.ack().await;
        }
        Settlement::Retry(delay) if policy.expired(age + delay) => {
            // The router would find the event too old at the next attempt
            // and give up then, with this same reason: give up now.
            give_up(
                shared,
                &msg,
                &d,
                &body,
                "TARGET_ERROR",
                ExhaustedLimit::MaximumEventAgeInSeconds,
                why,
                delivered,
            )
            .await;
        }
        Settlement::Retry(delay) => {
            shared.stats.count(&d.rule, &d.target_id, Count::Retried);
            let _ = msg.ack_with(AckKind::Nak(Some(delay))).await;
        }
        Settlement::GiveUp { error_code, limit } => {
            give_up(shared, &msg, &d, &body, error_code, limit, why, delivered).await;
        }
        _ => {
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await;
        }
    }
}

/// The original event of a delivery, for its dead letter.
async fn original_event(shared: &Shared, d: &DeliveryMsg, body: &str) -> String {
    if d.body_is_event {
        return body.to_string();
    }
    let stream = crate::setup::stream(&shared.engine, &names::bus_stream(&d.bus)).await;
    let stored = match stream {
        Ok(s) => s.get_raw_message(d.event_seq).await.ok(),
        Err(_) => None,
    };
    match stored {
        Some(m) => {
            let event = match &d.replay {
                Some(name) => {
                    with_replay_name(&m.payload, name).unwrap_or_else(|_| m.payload.to_vec())
                }
                None => m.payload.to_vec(),
            };
            String::from_utf8_lossy(&event).into_owned()
        }
        // Past the bus's retention: the rendered input is what is left.
        None => body.to_string(),
    }
}

/// Write the dead letter (or drop record) of a delivery, then remove it.
#[allow(clippy::too_many_arguments)]
async fn give_up(
    shared: &Arc<Shared>,
    msg: &Message,
    d: &DeliveryMsg,
    body: &str,
    error_code: &str,
    limit: ExhaustedLimit,
    why: String,
    attempts: u32,
) {
    let record = DeadRecord {
        reason: DeadLetter {
            error_code: error_code.to_string(),
            error_message: why,
            rule: d.rule.clone(),
            target_id: d.target_id.clone(),
            target_arn: d.target_arn.clone(),
            attempts,
            limit,
        },
        event: original_event(shared, d, body).await,
        msg: d.clone(),
    };
    match record_dead(shared, &record).await {
        Ok(()) => {
            let _ = msg.ack().await;
        }
        Err(e) => {
            shared.note(&format!(
                "engine: cannot record the dead letter of {} ({e}); retrying",
                d.msg_id
            ));
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await;
        }
    }
}

/// Publish a dead record; a target without DLQ counts it as dropped here.
async fn record_dead(shared: &Shared, record: &DeadRecord) -> Result<(), String> {
    let m = &record.msg;
    let key = TargetKey::new(&m.bus, &m.rule, &m.target_id);
    let ack = send(&shared.engine, dead_message(&key, record)).await?;
    ack.await.map_err(|e| e.to_string())?;
    if m.dead_letter_arn.is_none() {
        shared.stats.count(&m.rule, &m.target_id, Count::Dropped);
    }
    Ok(())
}

/// Hand one dead letter to the DLQ destination. A retryable failure is
/// retried with the router's back-off (the dead-letter stream keeps it);
/// a permanent one ends as a drop record, with both reasons, as in the
/// router.
async fn deliver_dead_letter(
    shared: &Arc<Shared>,
    destination: Arc<dyn Destination>,
    msg: Message,
) {
    let record = match DeadRecord::from_json(&msg.payload) {
        Ok(r) => r,
        Err(e) => {
            shared.note(&format!("engine: {e}; removed"));
            let _ = msg.ack_with(AckKind::Term).await;
            return;
        }
    };
    let delivered = msg
        .info()
        .map_or(1, |i| i.delivered.clamp(1, i64::from(u32::MAX)) as u32);
    let m = &record.msg;
    match call(shared, destination, record.delivery(), &msg).await {
        DeliveryResult::Ok => {
            shared
                .stats
                .count(&m.rule, &m.target_id, Count::DeadLettered);
            let _ = msg.ack().await;
        }
        DeliveryResult::Retryable(_) => {
            let delay = shared
                .engine
                .inner
                .config
                .router
                .retry_delay(delivered, shared.random());
            let _ = msg.ack_with(AckKind::Nak(Some(delay))).await;
        }
        result => {
            let why = match result {
                DeliveryResult::Permanent(w) => w,
                _ => "unknown".into(),
            };
            let mut dropped = record.clone();
            dropped.reason.error_message = format!(
                "{} (the dead-letter destination {} failed too: {why})",
                record.reason.error_message,
                m.dead_letter_arn.as_deref().unwrap_or_default()
            );
            dropped.msg.dead_letter_arn = None;
            dropped.msg.msg_id = format!("{}/dlq-failed", m.msg_id);
            match record_dead(shared, &dropped).await {
                Ok(()) => {
                    let _ = msg.ack().await;
                }
                Err(_) => {
                    let _ = msg
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await;
                }
            }
        }
    }
}

/// Turn max-delivery advisories into dead letters.
pub(crate) async fn run_advisories(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    retrying!(
        shared,
        &mut stop,
        "advisories",
        advisories_once(&shared, &mut stop)
    )
}

async fn advisories_once(
    shared: &Arc<Shared>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Error> {
    let engine = &shared.engine;
    let stream = crate::setup::stream(engine, names::ADVISORIES).await?;
    let deliveries = crate::setup::stream(engine, names::DELIVERIES).await?;
    let mut c = crate::setup::consumer_config(names::ADVISORY_CONSUMER, names::ADVISORY_SUBJECT);
    c.ack_wait = engine.inner.config.lease;
    c.max_ack_pending = 1000;
    let consumer = crate::setup::ensure_consumer(engine, &stream, c).await?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(16)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(|e| Error::nats("cannot read the advisories", e))?;
    loop {
        let next = tokio::select! {
            _ = stop.changed() => return Ok(()),
            n = messages.next() => n,
        };
        let msg = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => return Err(Error::nats("reading the advisories", e)),
            None => {
                return Err(Error::nats(
                    "reading the advisories",
                    "the consumer stopped",
                ))
            }
        };
        let advisory: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
        let seq = advisory
            .get("stream_seq")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let deliveries_made = advisory
            .get("deliveries")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let stored = if seq > 0 {
            deliveries.get_raw_message(seq).await.ok()
        } else {
            None
        };
        let consumer = advisory
            .get("consumer")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let d = match stored
            .as_ref()
            .map(|m| DeliveryMsg::from_headers(&m.headers))
        {
            Some(Ok(d)) => d,
            _ => {
                // JetStream dropped the message with the advisory: record
                // what is known, so that nothing goes silently.
                let Some(key) = key_of_consumer(&consumer) else {
                    let _ = msg.ack().await;
                    continue;
                };
                shared.note(&format!(
                    "engine: delivery #{seq} of {consumer} ran out of deliveries and was removed by JetStream"
                ));
                let record = DeadRecord {
                    reason: DeadLetter {
                        error_code: "TARGET_ERROR".into(),
                        error_message: format!(
                            "JetStream stopped redelivering message #{seq} of {} after {deliveries_made} deliveries and removed it",
                            names::DELIVERIES
                        ),
                        rule: key.rule.clone(),
                        target_id: key.target.clone(),
                        target_arn: String::new(),
                        attempts: deliveries_made.min(u64::from(u32::MAX)) as u32,
                        limit: ExhaustedLimit::MaximumRetryAttempts,
                    },
                    event: String::new(),
                    msg: DeliveryMsg {
                        bus: key.bus.clone(),
                        rule: key.rule.clone(),
                        rule_arn: String::new(),
                        target_id: key.target.clone(),
                        target_arn: String::new(),
                        group: None,
                        ingested: SystemTime::UNIX_EPOCH,
                        event_id: String::new(),
                        event_seq: 0,
                        replay: None,
                        policy: Default::default(),
                        dead_letter_arn: None,
                        body_is_event: false,
                        msg_id: format!("advisory/{}/{seq}", names::DELIVERIES),
                    },
                };
                match record_dead(shared, &record).await {
                    Ok(()) => {
                        let _ = msg.ack().await;
                    }
                    Err(_) => {
                        let _ = msg
                            .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                            .await;
                    }
                }
                continue;
            }
        };
        let Some(stored) = stored else { continue };
        let body = String::from_utf8_lossy(&stored.payload).into_owned();
        let attempts = deliveries_made.min(u64::from(u32::MAX)) as u32;
        let record = DeadRecord {
            reason: DeadLetter {
                error_code: "TARGET_ERROR".into(),
                error_message: format!(
                    "no worker finished attempt {attempts} (it stopped, or its answer was lost)"
                ),
                rule: d.rule.clone(),
                target_id: d.target_id.clone(),
                target_arn: d.target_arn.clone(),
                attempts,
                limit: ExhaustedLimit::MaximumRetryAttempts,
            },
            event: original_event(shared, &d, &body).await,
            msg: d,
        };
        match record_dead(shared, &record).await {
            Ok(()) => {
                let _ = deliveries.delete_message(seq).await;
                let _ = msg.ack().await;
            }
            Err(e) => {
                shared.note(&format!(
                    "engine: cannot record a dead letter ({e}); retrying"
                ));
                let _ = msg
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await;
            }
        }
    }
}

/// The target of a consumer named by [`TargetKey::consumer`].
fn key_of_consumer(name: &str) -> Option<TargetKey> {
    let rest = name.strip_prefix("T_")?;
    let mut parts = rest.split('_');
    let bus = names::untoken(parts.next()?)?;
    let rule = names::untoken(parts.next()?)?;
    let target = names::untoken(parts.next()?)?;
    Some(TargetKey::new(&bus, &rule, &target))
}
