//! CreateArchive, DescribeArchive, ListArchives, DeleteArchive, and the
//! replays: StartReplay, DescribeReplay, ListReplays.
//!
//! Each archive is an [`Archive`] log in its own directory (under `--state
//! DIR`, or a scratch directory removed at exit), fed by PutEvents on its
//! bus. A replay runs on a thread of its own: it reads the window from the
//! archive and sends each event, tagged with `replay-name`, through a
//! router built for it from the bus's current rules (only those named in
//! `FilterArns`, when given); DescribeReplay follows its state from
//! STARTING through RUNNING to COMPLETED (or FAILED, with the reason).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use evrule::route::{with_replay_name, Archive, ArchiveConfig};
use serde_json::{json, Map, Value};

use super::input::{
    finish, is_name, is_resource_arn, paged, Input, NAME_PATTERN, RESOURCE_ARN_PATTERN,
};
use super::rules::check_pattern;
use super::{ApiError, Ctx};
use crate::engine::{lock, ArchiveSlot, Engine};
use crate::ids;
use crate::schedule::Clock;
use crate::state::{parse_arn, ArchiveInfo, ReplayInfo};

const ARCHIVE_STATES: &[&str] = &[
    "ENABLED",
    "DISABLED",
    "CREATING",
    "UPDATING",
    "CREATE_FAILED",
    "UPDATE_FAILED",
];
const REPLAY_STATES: &[&str] = &[
    "STARTING",
    "RUNNING",
    "CANCELLING",
    "COMPLETED",
    "CANCELLED",
    "FAILED",
];

fn no_archive(name: &str) -> ApiError {
    ApiError::not_found(format!("Archive {name} does not exist."))
}

fn resource_arn<'a>(
    input: &mut Input<'a, '_>,
    member: &str,
    required: bool,
) -> Result<Option<&'a str>, ApiError> {
    input.checked_string(
        member,
        required,
        1,
        1600,
        Some((RESOURCE_ARN_PATTERN, is_resource_arn)),
    )
}

/// Where an archive keeps its log.
pub(crate) fn archive_dir(
    root: &std::path::Path,
    account: &str,
    region: &str,
    name: &str,
) -> PathBuf {
    root.join("archives").join(account).join(region).join(name)
}

/// Open an archive's log and attach it to its bus's engine.
pub(crate) fn open_archive(
    dir: &std::path::Path,
    pattern: Option<&str>,
    retention_days: u32,
    engine: &Engine,
    name: &str,
) -> Result<Arc<ArchiveSlot>, evrule::Error> {
    let mut config = ArchiveConfig::new().retention_days(retention_days);
    if let Some(p) = pattern {
        config = config.pattern(p.to_string());
    }
    let archive = Archive::open(dir, config)?;
    // Count what an existing log holds (after a restart).
    let (mut events, mut bytes) = (0u64, 0u64);
    for e in archive.read(
        std::time::UNIX_EPOCH,
        SystemTime::now() + std::time::Duration::from_secs(86_400 * 365 * 100),
    )? {
        let e = e?;
        events += 1;
        bytes += e.event.len() as u64;
    }
    let slot = Arc::new(ArchiveSlot {
        archive: Mutex::new(archive),
        events: AtomicU64::new(events),
        bytes: AtomicU64::new(bytes),
    });
    engine
        .archives
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push((name.to_string(), Arc::clone(&slot)));
    Ok(slot)
}

pub(crate) fn create_archive(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = input.checked_string("ArchiveName", true, 1, 48, Some((NAME_PATTERN, is_name)))?;
    let source = resource_arn(&mut input, "EventSourceArn", true)?;
    let description = input.checked_string("Description", false, 0, 512, None)?;
    let pattern = input.checked_string("EventPattern", false, 0, 4096, None)?;
    let retention = input.integer("RetentionDays", 0, i64::from(u32::MAX))?;
    input.checked_string("KmsKeyIdentifier", false, 0, 2048, None)?;
    finish(problems)?;
    let (name, source) = (name.unwrap_or_default(), source.unwrap_or_default());
    if let Some(p) = pattern {
        check_pattern(name, p)?;
    }
    let bus_name = parse_arn(source)
        .filter(|a| a.kind == "event-bus" && a.account == ctx.account && a.region == ctx.region)
        .map(|a| a.name.to_string())
        .ok_or_else(|| ApiError::no_bus(source))?;
    let now = ctx.now();
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    if region.archives.contains_key(name) {
        return Err(ApiError::already_exists(format!(
            "Archive {name} already exists."
        )));
    }
    let bus = region
        .buses
        .get(&bus_name)
        .ok_or_else(|| ApiError::no_bus(&bus_name))?;
    let dir = archive_dir(&ctx.shared.archive_root, &ctx.account, &ctx.region, name);
    // A log left by an archive of the same name that was deleted is not this one's.
    let _ = std::fs::remove_dir_all(&dir);
    let retention_days = retention.unwrap_or(0) as u32;
    let slot = open_archive(&dir, pattern, retention_days, &bus.engine, name)
        .map_err(|e| ApiError::internal(format!("Cannot open the archive: {e}")))?;
    let arn = format!(
        "arn:aws:events:{}:{}:archive/{name}",
        ctx.region, ctx.account
    );
    region.archives.insert(
        name.to_string(),
        ArchiveInfo {
            name: name.to_string(),
            arn: arn.clone(),
            source_arn: bus.arn.clone(),
            bus: bus_name,
            description: description.map(str::to_string),
            event_pattern: pattern.map(str::to_string),
            retention_days,
            created: now,
            dir,
            slot,
        },
    );
    Ok(json!({
        "ArchiveArn": arn,
        "State": "ENABLED",
        "CreationTime": ids::epoch(now),
    }))
}

fn archive_json(a: &ArchiveInfo, detail: bool) -> Value {
    let mut out = Map::new();
    if detail {
        out.insert("ArchiveArn".into(), json!(a.arn));
    }
    out.insert("ArchiveName".into(), json!(a.name));
    out.insert("EventSourceArn".into(), json!(a.source_arn));
    if detail {
        if let Some(d) = &a.description {
            out.insert("Description".into(), json!(d));
        }
        if let Some(p) = &a.event_pattern {
            out.insert("EventPattern".into(), json!(p));
        }
    }
    out.insert("State".into(), json!("ENABLED"));
    out.insert("RetentionDays".into(), json!(a.retention_days));
    out.insert(
        "SizeBytes".into(),
        json!(a.slot.bytes.load(Ordering::Relaxed)),
    );
    out.insert(
        "EventCount".into(),
        json!(a.slot.events.load(Ordering::Relaxed)),
    );
    out.insert("CreationTime".into(), ids::epoch(a.created));
    Value::Object(out)
}

fn archive_name<'a>(input: &mut Input<'a, '_>) -> Result<Option<&'a str>, ApiError> {
    input.checked_string("ArchiveName", true, 1, 48, Some((NAME_PATTERN, is_name)))
}

pub(crate) fn describe_archive(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = archive_name(&mut input)?;
    finish(problems)?;
    let name = name.unwrap_or_default();
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let archive = region.archives.get(name).ok_or_else(|| no_archive(name))?;
    Ok(archive_json(archive, true))
}

/// ListArchives and ListReplays take one filter at most.
fn one_filter(action: &str, given: &[bool]) -> Result<(), ApiError> {
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(ApiError::validation(format!(
            "At most one filter is allowed for {action}. Use either : State, EventSourceArn, or NamePrefix."
        )));
    }
    Ok(())
}

pub(crate) fn list_archives(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let prefix = input.checked_string("NamePrefix", false, 1, 48, Some((NAME_PATTERN, is_name)))?;
    let source = resource_arn(&mut input, "EventSourceArn", false)?;
    let state = input.enum_string("State", ARCHIVE_STATES)?;
    let token = input.checked_string("NextToken", false, 1, 2048, None)?;
    let limit = input.integer("Limit", 1, 100)?;
    finish(problems)?;
    one_filter(
        "ListArchives",
        &[prefix.is_some(), source.is_some(), state.is_some()],
    )?;
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let all: Vec<Value> = region
        .archives
        .values()
        .filter(|a| prefix.is_none_or(|p| a.name.starts_with(p)))
        .filter(|a| source.is_none_or(|s| a.source_arn == s))
        .filter(|_| state.is_none_or(|s| s == "ENABLED"))
        .map(|a| archive_json(a, false))
        .collect();
    paged("Archives", all, token, limit)
}

pub(crate) fn delete_archive(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = archive_name(&mut input)?;
    finish(problems)?;
    let name = name.unwrap_or_default();
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let archive = region
        .archives
        .remove(name)
        .ok_or_else(|| no_archive(name))?;
    if let Some(bus) = region.buses.get(&archive.bus) {
        bus.engine
            .archives
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(n, _)| n != name);
    }
    drop(archive.slot);
    let _ = std::fs::remove_dir_all(&archive.dir);
    Ok(json!({}))
}

pub(crate) fn start_replay(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = input.checked_string("ReplayName", true, 1, 64, Some((NAME_PATTERN, is_name)))?;
    let description = input.checked_string("Description", false, 0, 512, None)?;
    let source = resource_arn(&mut input, "EventSourceArn", true)?;
    let start = input.required_timestamp("EventStartTime")?;
    let end = input.required_timestamp("EventEndTime")?;
    let destination = input.raw().get("Destination").cloned();
    let mut dest_arn = None;
    let mut filters = None;
    match input.structure("Destination", "destination.".into())? {
        Some(mut d) => {
            dest_arn = d
                .checked_string("Arn", true, 1, 1600, None)?
                .map(str::to_string);
            filters = d
                .string_list("FilterArns", false, (0, usize::MAX), (1, 1600))?
                .map(|f| f.into_iter().map(str::to_string).collect::<HashSet<_>>());
        }
        None => input.violation(None, "Destination", "Member must not be null"),
    }
    finish(problems)?;
    let (name, source) = (name.unwrap_or_default(), source.unwrap_or_default());
    let (start, end) = (
        start.unwrap_or(SystemTime::UNIX_EPOCH),
        end.unwrap_or(SystemTime::UNIX_EPOCH),
    );
    let archive_name = parse_arn(source)
        .filter(|a| a.kind == "archive")
        .map(|a| a.name.to_string())
        .unwrap_or_else(|| source.to_string());
    if start >= end {
        return Err(ApiError::validation(
            "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.",
        ));
    }
    let now = ctx.now();
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let archive = region
        .archives
        .get(&archive_name)
        .filter(|a| a.arn == source)
        .ok_or_else(|| no_archive(&archive_name))?;
    if dest_arn.as_deref() != Some(archive.source_arn.as_str()) {
        return Err(ApiError::validation(
            "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
        ));
    }
    if region.replays.contains_key(name) {
        return Err(ApiError::already_exists(format!(
            "Replay {name} already exists."
        )));
    }
    let engine = region
        .buses
        .get(&archive.bus)
        .map(|b| Arc::clone(&b.engine))
        .ok_or_else(|| ApiError::no_bus(&archive.bus))?;
    let arn = format!(
        "arn:aws:events:{}:{}:replay/{name}",
        ctx.region, ctx.account
    );
    let info = Arc::new(Mutex::new(ReplayInfo {
        name: name.to_string(),
        arn: arn.clone(),
        description: description.map(str::to_string),
        source_arn: source.to_string(),
        destination: destination.unwrap_or(Value::Null),
        start,
        end,
        state: "STARTING",
        reason: None,
        replay_start: now,
        replay_end: None,
        last_replayed: None,
    }));
    region.replays.insert(name.to_string(), Arc::clone(&info));
    let job = Replay {
        info,
        slot: Arc::clone(&archive.slot),
        engine,
        clock: Arc::clone(&ctx.shared.clock),
        filters,
    };
    std::thread::Builder::new()
        .name(format!("evrule-replay-{name}"))
        .spawn(move || job.run())
        .map_err(|e| ApiError::internal(format!("Cannot start the replay: {e}")))?;
    Ok(json!({
        "ReplayArn": arn,
        "State": "STARTING",
        "ReplayStartTime": ids::epoch(now),
    }))
}

/// A replay being run.
struct Replay {
    info: Arc<Mutex<ReplayInfo>>,
    slot: Arc<ArchiveSlot>,
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
    filters: Option<HashSet<String>>,
}

impl Replay {
    fn run(self) {
        let (name, start, end) = {
            let mut info = lock(&self.info);
            info.state = "RUNNING";
            (info.name.clone(), info.start, info.end)
        };
        let outcome = (|| -> Result<Option<SystemTime>, evrule::Error> {
            let events: Vec<_> = lock(&self.slot.archive)
                .read(start, end)?
                .collect::<Result<_, _>>()?;
            let Some(router) = self.engine.replay_router(self.filters.as_ref())? else {
                return Ok(events.last().map(|e| e.ingestion_time));
            };
            let mut last = None;
            for e in events {
                let tagged = with_replay_name(&e.event, &name)?;
                router.route_at(&tagged, self.clock.now())?;
                last = Some(e.ingestion_time);
            }
            Ok(last)
        })();
        let mut info = lock(&self.info);
        match outcome {
            Ok(last) => {
                info.state = "COMPLETED";
                info.last_replayed = last;
            }
            Err(e) => {
                info.state = "FAILED";
                info.reason = Some(e.message().to_string());
            }
        }
        info.replay_end = Some(self.clock.now());
        drop(info);
        self.engine.reap();
    }
}

pub(crate) fn replay_json(r: &ReplayInfo, detail: bool) -> Value {
    let mut out = Map::new();
    out.insert("ReplayName".into(), json!(r.name));
    if detail {
        out.insert("ReplayArn".into(), json!(r.arn));
        if let Some(d) = &r.description {
            out.insert("Description".into(), json!(d));
        }
        out.insert("Destination".into(), r.destination.clone());
    }
    out.insert("EventSourceArn".into(), json!(r.source_arn));
    out.insert("State".into(), json!(r.state));
    if let Some(reason) = &r.reason {
        out.insert("StateReason".into(), json!(reason));
    }
    out.insert("EventStartTime".into(), ids::epoch(r.start));
    out.insert("EventEndTime".into(), ids::epoch(r.end));
    if let Some(t) = r.last_replayed {
        out.insert("EventLastReplayedTime".into(), ids::epoch(t));
    }
    out.insert("ReplayStartTime".into(), ids::epoch(r.replay_start));
    if let Some(t) = r.replay_end {
        out.insert("ReplayEndTime".into(), ids::epoch(t));
    }
    Value::Object(out)
}

pub(crate) fn describe_replay(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = input.checked_string("ReplayName", true, 1, 64, Some((NAME_PATTERN, is_name)))?;
    finish(problems)?;
    let name = name.unwrap_or_default();
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let replay = region
        .replays
        .get(name)
        .ok_or_else(|| ApiError::not_found(format!("Replay {name} does not exist.")))?;
    let info = lock(replay).clone();
    Ok(replay_json(&info, true))
}

pub(crate) fn list_replays(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let prefix = input.checked_string("NamePrefix", false, 1, 64, Some((NAME_PATTERN, is_name)))?;
    let state = input.enum_string("State", REPLAY_STATES)?;
    let source = resource_arn(&mut input, "EventSourceArn", false)?;
    let token = input.checked_string("NextToken", false, 1, 2048, None)?;
    let limit = input.integer("Limit", 1, 100)?;
    finish(problems)?;
    one_filter(
        "ListReplays",
        &[prefix.is_some(), source.is_some(), state.is_some()],
    )?;
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let all: Vec<Value> = region
        .replays
        .values()
        .map(|r| lock(r).clone())
        .filter(|r| prefix.is_none_or(|p| r.name.starts_with(p)))
        .filter(|r| source.is_none_or(|s| r.source_arn == s))
        .filter(|r| state.is_none_or(|s| r.state == s))
        .map(|r| replay_json(&r, false))
        .collect();
    paged("Replays", all, token, limit)
}
