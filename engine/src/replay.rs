//! Replay: the bus stream is the archive. A replay reads the events of a
//! time window (by the time JetStream stored them) with an ordered
//! consumer that starts at the window's start, tags each with
//! `replay-name`, matches it against the bucket's current rules and
//! publishes its deliveries like a matcher, with message ids of their own
//! (`replay/<name>/...`): replaying twice under one name within the
//! duplicate window delivers once. Replayed events are received now (for
//! `<aws.events.event.ingestion-time>` and age limits), and not stored in
//! the bus again, as with `evrule replay`.

use std::time::{Duration, SystemTime};

use async_nats::jetstream::consumer::{pull::OrderedConfig, DeliverPolicy};
use evrule::route::{with_replay_name, ReplayReport};
use futures_util::StreamExt;

use crate::codec;
use crate::names;
use crate::store::renderer;
use crate::worker::{plan, Planned};
use crate::{Engine, Error};

fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::config(format!(
            "replay name `{name}` must be 1 to 64 letters, digits, '.', '-' or '_'"
        )))
    }
}

impl Engine {
    /// Replay the events bus `bus` stored in `[from, to)` through its
    /// current rules, as `name`. Resolves once every delivery is stored
    /// (workers then deliver them).
    pub async fn replay(
        &self,
        bus: &str,
        name: &str,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<ReplayReport, Error> {
        check_name(name)?;
        names::check_bus(bus)?;
        let rules = self.rules().await?.rules(bus).await?;
        let router = renderer(rules, &self.inner.config.router)?;
        let mut stream = crate::setup::stream(self, &names::bus_stream(bus)).await?;
        let last = stream
            .info()
            .await
            .map_err(|e| Error::nats(format!("bus {bus}"), e))?
            .state
            .last_sequence;
        let mut report = ReplayReport::default();
        if last == 0 {
            return Ok(report);
        }
        if let Ok(m) = stream.get_raw_message(last).await {
            if SystemTime::from(m.time) < from {
                return Ok(report);
            }
        }
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: names::bus_subject(bus),
                deliver_policy: DeliverPolicy::ByStartTime {
                    start_time: time::OffsetDateTime::from(from),
                },
                ..Default::default()
            })
            .await
            .map_err(|e| Error::nats(format!("cannot read bus {bus}"), e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| Error::nats(format!("cannot read bus {bus}"), e))?;
        let mut pending = Vec::new();
        loop {
            let next = match tokio::time::timeout(Duration::from_secs(10), messages.next()).await {
                Ok(n) => n,
                // Nothing at or after `from` up to the last event.
                Err(_) => break,
            };
            let msg = match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(Error::nats(format!("reading bus {bus}"), e)),
                None => break,
            };
            let info = msg
                .info()
                .map_err(|e| Error::nats(format!("reading bus {bus}"), e))?;
            let seq = info.stream_sequence;
            if SystemTime::from(info.published) >= to || seq > last {
                break;
            }
            let event_id = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(codec::MSG_ID))
                .map(|v| codec::decode(v.as_str()))
                .unwrap_or_else(|| format!("seq-{seq}"));
            let tagged = with_replay_name(&msg.payload, name)?;
            let planned = plan(
                self,
                &router,
                bus,
                &tagged,
                &event_id,
                seq,
                SystemTime::now(),
                Some(name),
                None,
            )?;
            report.events += 1;
            report.matched += usize::from(!planned.is_empty());
            report.deliveries += planned.len();
            for p in planned {
                publish(self, p, &mut pending).await?;
            }
            if pending.len() >= 1024 {
                crate::worker::acked_all(std::mem::take(&mut pending))
                    .await
                    .map_err(|e| Error::nats("replay", e))?;
            }
            if seq >= last {
                break;
            }
        }
        crate::worker::acked_all(pending)
            .await
            .map_err(|e| Error::nats("replay", e))?;
        Ok(report)
    }
}

/// FIFO deliveries go out only once all before them are stored, so their
/// order in the stream is the events' order.
async fn publish(
    engine: &Engine,
    p: Planned,
    pending: &mut Vec<Result<async_nats::jetstream::context::PublishAckFuture, String>>,
) -> Result<(), Error> {
    if p.fifo {
        crate::worker::acked_all(std::mem::take(pending))
            .await
            .map_err(|e| Error::nats("replay", e))?;
        let ack = crate::worker::send_planned(engine, p).await;
        crate::worker::acked_all(vec![ack])
            .await
            .map_err(|e| Error::nats("replay", e))?;
    } else {
        pending.push(crate::worker::send_planned(engine, p).await);
    }
    Ok(())
}
