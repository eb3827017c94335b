//! Replay: archived events sent through a router again, each tagged with
//! `"replay-name"`. The archive only stores and reads events; this module
//! is the one place that turns them back into routed events.

use std::time::SystemTime;

use crate::error::{Error, Kind};
use crate::route::archive::ArchivedEvent;
use crate::route::delivery::RouteOutcome;
use crate::route::path::JsonPath;
use crate::route::pool::{lock, routing};
use crate::route::raw::{self, PathSet};
use crate::route::router::Router;

/// What a replay did.
///
/// ```
/// let r = evrule::route::ReplayReport::default();
/// assert_eq!(r.events, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Events re-sent.
    pub events: usize,
    /// Of those, events that matched at least one enabled rule.
    pub matched: usize,
    /// Deliveries queued.
    pub deliveries: usize,
}

impl Router {
    /// Re-send the events archived in `[from, to)` (by ingestion time),
    /// each with `"replay-name": name` added, through this router. Needs
    /// an archive given to the builder; this is the one way to replay.
    /// Replayed events are not archived again, and count as received now
    /// (for `<aws.events.event.ingestion-time>` and retry age limits).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Archive, ArchiveConfig, Delivery, DeliveryResult, Router, Rule, Target};
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-replay-{}", std::process::id()));
    /// let router = Router::builder()
    ///     .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
    ///     .fallback_destination(Arc::new(|_: &Delivery| DeliveryResult::Ok))
    ///     .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
    ///     .archive(Archive::open(&dir, ArchiveConfig::new())?)
    ///     .build()?;
    /// router.route(br#"{"id": "1"}"#)?;
    /// let replayed = router.replay("again", std::time::UNIX_EPOCH, std::time::SystemTime::now()
    ///     + std::time::Duration::from_secs(1))?;
    /// assert_eq!(replayed.events, 1);
    /// assert_eq!(router.drain().target("r", "t").unwrap().delivered, 2);
    /// # drop(router); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay(
        &self,
        name: &str,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<ReplayReport, Error> {
        let Some(archive) = &self.archive else {
            return Err(routing("This router has no archive to replay from."));
        };
        let events = lock(archive)
            .read(from, to)?
            .collect::<Result<Vec<_>, Error>>()?;
        replay_events(name, events.into_iter().map(Ok), self)
    }
}

/// Route each event, tagged with `replay-name`. A replay re-ingests: the
/// ingestion time (and so the event age that retry limits count) is the
/// time of the replay, not of the original arrival.
pub(crate) fn replay_events(
    name: &str,
    events: impl IntoIterator<Item = Result<ArchivedEvent, Error>>,
    router: &Router,
) -> Result<ReplayReport, Error> {
    crate::route::model::check_replay_name(name)?;
    let mut report = ReplayReport::default();
    for event in events {
        let event = event?;
        let tagged = with_replay_name(&event.event, name)?;
        let RouteOutcome {
            rules, deliveries, ..
        } = router.route_replayed(&tagged)?;
        report.events += 1;
        report.matched += usize::from(!rules.is_empty());
        report.deliveries += deliveries;
    }
    Ok(report)
}

/// Add `"replay-name": name` to the top-level object, keeping the rest of
/// the text as it was.
///
/// ```
/// let tagged = evrule::route::with_replay_name(br#"{"id": "1"}"#, "nightly")?;
/// assert_eq!(tagged, br#"{"id": "1","replay-name":"nightly"}"#);
/// assert_eq!(evrule::route::with_replay_name(b" {} ", "n")?, br#" {"replay-name":"n"} "#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn with_replay_name(event: &[u8], name: &str) -> Result<Vec<u8>, Error> {
    let not_json = |reason: String| {
        Error::new(
            Kind::Event,
            format!("The archived event is not valid JSON: {reason}"),
        )
    };
    // The one path looked for, compiled once for every replayed event.
    static REPLAY_NAME: std::sync::LazyLock<(PathSet, usize)> = std::sync::LazyLock::new(|| {
        let mut paths = PathSet::new();
        let at = paths.add(&JsonPath::parse("$['replay-name']").expect("a plain key"));
        (paths, at)
    });
    let (paths, replay_name) = &*REPLAY_NAME;
    let replay_name = *replay_name;
    let text = std::str::from_utf8(event).map_err(|_| not_json(raw::reason(event)))?;
    let found = paths.resolve(text).map_err(not_json)?;
    if !text.trim_start().starts_with('{') {
        return Err(Error::new(
            Kind::Event,
            "The archived event is not a JSON object.",
        ));
    }
    let mut field = String::from("\"replay-name\":\"");
    raw::escape_into(&mut field, name);
    field.push('"');
    let replaying = found.get(replay_name).is_some();
    let close = event
        .iter()
        .rposition(|&b| b == b'}')
        .expect("a JSON object ends with }");
    let before = event[..close]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .expect("a JSON object starts with {");
    let mut out = Vec::with_capacity(event.len() + field.len() + 1);
    out.extend_from_slice(&event[..before + 1]);
    if event[before] != b'{' {
        out.push(b',');
    }
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(&event[close..]);
    if replaying {
        // Replaying a replay: the new name replaces the old rather than
        // repeating the key. The event is then written as a `Value` prints
        // (keys sorted, the last of equal keys kept), numbers as sent.
        let appended = String::from_utf8(out).expect("UTF-8 event with UTF-8 added");
        let mut canonical = String::with_capacity(appended.len());
        raw::write_json(&mut canonical, &appended);
        return Ok(canonical.into_bytes());
    }
    Ok(out)
}
