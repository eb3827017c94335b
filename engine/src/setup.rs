//! Streams and consumers: created when missing, checked when present. A
//! stream or consumer that exists with a configuration the engine did not
//! choose is an error that says what differs; the engine never changes it
//! silently. Consumers the engine created itself (metadata
//! `evrule: managed`) have their tunable settings (lease, attempts,
//! in-flight limit) updated when the rules change them, with a note.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::{ConsumerInfoErrorKind, GetStreamErrorKind};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy};
use async_nats::jetstream::ErrorCode;

use crate::names;
use crate::{Engine, Error};

/// Metadata that marks what the engine created.
const MANAGED: (&str, &str) = ("evrule", "managed");

/// The streams every bus shares: deliveries (a work queue), dead letters
/// and the advisories of deliveries that ran out of attempts.
pub(crate) async fn shared_streams(engine: &Engine) -> Result<(), Error> {
    let c = &engine.inner.config;
    ensure_stream(
        engine,
        stream::Config {
            name: names::DELIVERIES.into(),
            description: Some("evrule: one message per (event, rule, target) to deliver".into()),
            subjects: vec!["evrule.deliver.>".into()],
            retention: RetentionPolicy::WorkQueue,
            duplicate_window: c.duplicate_window,
            ..base(engine)
        },
    )
    .await?;
    ensure_stream(
        engine,
        stream::Config {
            name: names::DEAD.into(),
            description: Some("evrule: given-up deliveries, with their reasons".into()),
            subjects: vec!["evrule.dead.>".into(), "evrule.dropped.>".into()],
            retention: RetentionPolicy::Limits,
            max_age: c.dead_letter_max_age,
            duplicate_window: c.duplicate_window,
            ..base(engine)
        },
    )
    .await?;
    ensure_stream(
        engine,
        stream::Config {
            name: names::ADVISORIES.into(),
            description: Some("evrule: deliveries JetStream stopped redelivering".into()),
            subjects: vec![names::ADVISORY_SUBJECT.into()],
            retention: RetentionPolicy::WorkQueue,
            max_age: c.dead_letter_max_age,
            ..base(engine)
        },
    )
    .await?;
    Ok(())
}

/// What every stream of the engine has in common.
fn base(engine: &Engine) -> stream::Config {
    let c = &engine.inner.config;
    stream::Config {
        storage: c.storage.nats(),
        num_replicas: c.replicas,
        discard: DiscardPolicy::Old,
        allow_direct: true,
        metadata: HashMap::from([(MANAGED.0.to_string(), MANAGED.1.to_string())]),
        ..Default::default()
    }
}

/// The configuration of a bus's stream: every event, kept `retention`
/// (zero: forever), deduplicated by event id within the window.
pub(crate) fn bus_stream_config(engine: &Engine, bus: &str, retention: Duration) -> stream::Config {
    stream::Config {
        name: names::bus_stream(bus),
        description: Some(format!("evrule: events of bus {bus}, and its archive")),
        subjects: vec![names::bus_subject(bus)],
        retention: RetentionPolicy::Limits,
        max_age: retention,
        duplicate_window: engine.inner.config.duplicate_window,
        ..base(engine)
    }
}

/// Create `want` or check the stream that exists.
pub(crate) async fn ensure_stream(
    engine: &Engine,
    want: stream::Config,
) -> Result<stream::Stream, Error> {
    let js = &engine.inner.js;
    match js.get_stream(&want.name).await {
        Ok(mut s) => {
            let info = s
                .info()
                .await
                .map_err(|e| Error::nats(format!("stream {}", want.name), e))?;
            let have = &info.config;
            let mut diffs = Vec::new();
            let mut subjects = have.subjects.clone();
            subjects.sort();
            let mut wanted = want.subjects.clone();
            wanted.sort();
            if subjects != wanted {
                diffs.push(format!(
                    "subjects {:?} (evrule needs {:?})",
                    have.subjects, want.subjects
                ));
            }
            if have.retention != want.retention {
                diffs.push(format!(
                    "retention {:?} (evrule needs {:?})",
                    have.retention, want.retention
                ));
            }
            if have.storage != want.storage {
                diffs.push(format!(
                    "storage {:?} (the configuration asks {:?})",
                    have.storage, want.storage
                ));
            }
            if have.max_age != want.max_age {
                diffs.push(format!(
                    "max age {} (the configuration asks {})",
                    age(have.max_age),
                    age(want.max_age)
                ));
            }
            if have.duplicate_window != want.duplicate_window
                && want.duplicate_window > Duration::ZERO
            {
                diffs.push(format!(
                    "duplicate window {} (the configuration asks {})",
                    age(have.duplicate_window),
                    age(want.duplicate_window)
                ));
            }
            if have.num_replicas.max(1) != want.num_replicas.max(1) {
                diffs.push(format!(
                    "{} replicas (the configuration asks {})",
                    have.num_replicas, want.num_replicas
                ));
            }
            if diffs.is_empty() {
                Ok(s)
            } else {
                Err(Error::incompatible(format!(
                    "stream {} exists with {}; evrule does not change it: edit or delete it \
                     (nats stream edit / nats stream rm {}), or change the configuration",
                    want.name,
                    diffs.join(", "),
                    want.name
                )))
            }
        }
        Err(e) if matches!(e.kind(), GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND) => {
            js.create_stream(want.clone())
                .await
                .map_err(|e| Error::nats(format!("cannot create stream {}", want.name), e))
        }
        Err(e) => Err(Error::nats(format!("stream {}", want.name), e)),
    }
}

fn age(d: Duration) -> String {
    if d.is_zero() {
        "unlimited".into()
    } else if d.as_secs().is_multiple_of(86_400) {
        format!("{} days", d.as_secs() / 86_400)
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// A durable pull consumer with explicit acks: the engine's only kind.
pub(crate) fn consumer_config(name: &str, filter: &str) -> pull::Config {
    pull::Config {
        durable_name: Some(name.to_string()),
        filter_subject: filter.to_string(),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        max_deliver: -1,
        metadata: HashMap::from([(MANAGED.0.to_string(), MANAGED.1.to_string())]),
        ..Default::default()
    }
}

/// Create `want` on `stream` or check the consumer that exists; a
/// managed one with other tunable settings is updated.
pub(crate) async fn ensure_consumer(
    engine: &Engine,
    stream: &stream::Stream,
    want: pull::Config,
) -> Result<PullConsumer, Error> {
    ensure_consumer_as(engine, stream, want, true).await
}

/// [`ensure_consumer`]; with `tune` false a managed consumer's tunable
/// settings are left as they are (a publisher does not retune workers).
pub(crate) async fn ensure_consumer_as(
    engine: &Engine,
    stream: &stream::Stream,
    want: pull::Config,
    tune: bool,
) -> Result<PullConsumer, Error> {
    let name = want.durable_name.clone().unwrap_or_default();
    let stream_name = stream.cached_info().config.name.clone();
    let what = || format!("consumer {name} on stream {stream_name}");
    match stream.consumer_info(&name).await {
        Ok(info) => {
            let have = &info.config;
            let mut fixed = Vec::new();
            if have.filter_subject != want.filter_subject || !have.filter_subjects.is_empty() {
                fixed.push(format!(
                    "filter {:?} (evrule needs {:?})",
                    if have.filter_subjects.is_empty() {
                        vec![have.filter_subject.clone()]
                    } else {
                        have.filter_subjects.clone()
                    },
                    want.filter_subject
                ));
            }
            if have.ack_policy != want.ack_policy {
                fixed.push(format!(
                    "ack policy {:?} (evrule needs Explicit)",
                    have.ack_policy
                ));
            }
            if std::mem::discriminant(&have.deliver_policy)
                != std::mem::discriminant(&want.deliver_policy)
            {
                fixed.push(format!(
                    "deliver policy {:?} (evrule needs {:?})",
                    have.deliver_policy, want.deliver_policy
                ));
            }
            if have.deliver_subject.is_some() {
                fixed.push("a deliver subject (evrule needs a pull consumer)".into());
            }
            let managed = have.metadata.get(MANAGED.0).map(String::as_str) == Some(MANAGED.1);
            let mut tunable = Vec::new();
            if have.ack_wait != want.ack_wait {
                tunable.push(format!(
                    "ack wait {:?} -> {:?}",
                    have.ack_wait, want.ack_wait
                ));
            }
            if have.max_deliver.max(0) != want.max_deliver.max(0)
                && !(have.max_deliver <= 0 && want.max_deliver <= 0)
            {
                tunable.push(format!(
                    "max deliver {} -> {}",
                    have.max_deliver, want.max_deliver
                ));
            }
            if have.max_ack_pending != want.max_ack_pending {
                tunable.push(format!(
                    "max ack pending {} -> {}",
                    have.max_ack_pending, want.max_ack_pending
                ));
            }
            if !fixed.is_empty() || (!tunable.is_empty() && !managed) {
                fixed.extend(tunable);
                return Err(Error::incompatible(format!(
                    "{} exists with {}; evrule does not change it: delete it \
                     (nats consumer rm {stream_name} {name}) or use another bus",
                    what(),
                    fixed.join(", ")
                )));
            }
            if !tunable.is_empty() && tune {
                engine.inner.config.note(&format!(
                    "engine: updating {}: {}",
                    what(),
                    tunable.join(", ")
                ));
                return stream
                    .update_consumer(want)
                    .await
                    .map_err(|e| Error::nats(format!("cannot update {}", what()), e));
            }
            stream
                .get_consumer(&name)
                .await
                .map_err(|e| Error::nats(what(), e))
        }
        Err(e)
            if matches!(e.kind(), ConsumerInfoErrorKind::NotFound)
                || matches!(e.kind(), ConsumerInfoErrorKind::JetStream(j) if j.error_code() == ErrorCode::CONSUMER_NOT_FOUND) =>
        {
            stream
                .create_consumer(want)
                .await
                .map_err(|e| Error::nats(format!("cannot create {}", what()), e))
        }
        Err(e) => Err(Error::nats(what(), e)),
    }
}

/// The stream `name`, which must exist.
pub(crate) async fn stream(engine: &Engine, name: &str) -> Result<stream::Stream, Error> {
    engine
        .inner
        .js
        .get_stream(name)
        .await
        .map_err(|e| Error::nats(format!("stream {name}"), e))
}
