//! `--state DIR`: buses, rules, targets, tags, archives and replays kept
//! across restarts in `DIR/state.json`, archives' logs in `DIR/archives/`.
//!
//! The file is rewritten whole after every change, atomically: written to
//! a temporary file, synced, renamed over the old one, and the directory
//! synced, so a crash leaves either the old state or the new one. Writes
//! are serialized, so the file never goes back to an older state.
//! Delivery state (queued deliveries, retries, the inbox) is not kept.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use evrule::route::Target;
use serde_json::{json, Map, Value};

use crate::api::archives::{archive_dir, open_archive};
use crate::engine::lock;
use crate::ids::{from_millis, millis};
use crate::schedule::Schedule;
use crate::state::{ArchiveInfo, Region, Registry, ReplayInfo, RuleInfo, Shared};

const FILE: &str = "state.json";
const VERSION: u64 = 1;

fn tags_json(tags: &[(String, String)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!([k, v])).collect())
}

fn tags_from(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|t| Some((t[0].as_str()?.to_string(), t[1].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| json!(s))
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The registry as the state file holds it.
pub(crate) fn snapshot(registry: &Registry) -> Value {
    let regions: Vec<Value> = registry
        .regions
        .iter()
        .map(|((account, region), r)| {
            let buses: Vec<Value> = r
                .buses
                .values()
                .map(|b| {
                    let rules: Vec<Value> = b
                        .rules
                        .values()
                        .map(|rule| {
                            json!({
                                "name": rule.name,
                                "eventPattern": opt(&rule.event_pattern),
                                "scheduleExpression": opt(&rule.schedule_expression),
                                "state": rule.state,
                                "description": opt(&rule.description),
                                "roleArn": opt(&rule.role_arn),
                                "targets": rule.targets.iter().map(|(o, _)| Value::Object(o.clone())).collect::<Vec<_>>(),
                                "tags": tags_json(&rule.tags),
                                "createdBy": rule.created_by,
                            })
                        })
                        .collect();
                    json!({
                        "name": b.name,
                        "description": opt(&b.description),
                        "created": millis(b.created),
                        "modified": millis(b.modified),
                        "extra": Value::Object(b.extra.clone()),
                        "tags": tags_json(&b.tags),
                        "rules": rules,
                    })
                })
                .collect();
            let archives: Vec<Value> = r
                .archives
                .values()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "bus": a.bus,
                        "description": opt(&a.description),
                        "eventPattern": opt(&a.event_pattern),
                        "retentionDays": a.retention_days,
                        "created": millis(a.created),
                    })
                })
                .collect();
            let replays: Vec<Value> = r
                .replays
                .values()
                .map(|rp| {
                    let rp = lock(rp);
                    json!({
                        "name": rp.name,
                        "description": opt(&rp.description),
                        "sourceArn": rp.source_arn,
                        "destination": rp.destination,
                        "start": millis(rp.start),
                        "end": millis(rp.end),
                        "state": rp.state,
                        "reason": opt(&rp.reason),
                        "replayStart": millis(rp.replay_start),
                        "replayEnd": rp.replay_end.map(millis),
                        "lastReplayed": rp.last_replayed.map(millis),
                    })
                })
                .collect();
            json!({
                "account": account,
                "region": region,
                "buses": buses,
                "archives": archives,
                "replays": replays,
            })
        })
        .collect();
    json!({"version": VERSION, "regions": regions})
}

/// Write `bytes` to `dir/FILE` atomically.
pub(crate) fn write_atomically(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{FILE}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, dir.join(FILE))?;
    File::open(dir)?.sync_all()
}

/// The persistent store of a server started with `--state DIR`.
pub(crate) struct Store {
    pub(crate) dir: PathBuf,
    writing: Mutex<()>,
}

impl Store {
    pub(crate) fn new(dir: PathBuf) -> Store {
        Store {
            dir,
            writing: Mutex::new(()),
        }
    }

    /// Write the registry now.
    pub(crate) fn save(&self, registry: &Mutex<Registry>) -> std::io::Result<()> {
        let _writing = lock(&self.writing);
        let text = snapshot(&lock(registry)).to_string();
        write_atomically(&self.dir, text.as_bytes())
    }
}

/// Read `DIR/state.json` (if there is one) into the registry: buses, rules
/// with their targets (handed to the engines), archives (their logs
/// reopened), replays.
pub(crate) fn load(shared: &Shared, dir: &Path) -> Result<Registry, String> {
    let path = dir.join(FILE);
    let contents = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Registry::default()),
        Err(e) => return Err(format!("{}: cannot read the state: {e}", path.display())),
    };
    let bad = |why: &str| format!("{}: {why}", path.display());
    let doc: Value =
        serde_json::from_str(&contents).map_err(|e| bad(&format!("not valid JSON: {e}")))?;
    if doc["version"].as_u64() != Some(VERSION) {
        return Err(bad(&format!("unknown state version {}", doc["version"])));
    }
    let now = shared.now();
    let mut registry = Registry::default();
    for r in doc["regions"].as_array().into_iter().flatten() {
        let (Some(account), Some(region_name)) = (text_of(r, "account"), text_of(r, "region"))
        else {
            return Err(bad("a region has no account or name"));
        };
        let mut region = Region::default();
        for b in r["buses"].as_array().into_iter().flatten() {
            let name = text_of(b, "name").ok_or_else(|| bad("a bus has no name"))?;
            let mut bus = shared.new_bus(&account, &region_name, &name, now);
            bus.description = text(b, "description");
            bus.created = from_millis(b["created"].as_u64().unwrap_or(0));
            bus.modified = from_millis(b["modified"].as_u64().unwrap_or(0));
            bus.extra = b["extra"].as_object().cloned().unwrap_or_default();
            bus.tags = tags_from(&b["tags"]);
            for rule in b["rules"].as_array().into_iter().flatten() {
                let info =
                    rule_from(rule, now).map_err(|e| bad(&format!("rule of bus {name}: {e}")))?;
                bus.rules.insert(info.name.clone(), info);
            }
            bus.sync()
                .map_err(|e| bad(&format!("bus {name}: the rules could not be stored: {e}")))?;
            region.buses.insert(name, bus);
        }
        if !region.buses.contains_key("default") {
            let bus = shared.new_bus(&account, &region_name, "default", now);
            region.buses.insert("default".into(), bus);
        }
        for a in r["archives"].as_array().into_iter().flatten() {
            let (Some(name), Some(bus_name)) = (text_of(a, "name"), text_of(a, "bus")) else {
                return Err(bad("an archive has no name or bus"));
            };
            let Some(bus) = region.buses.get(&bus_name) else {
                continue;
            };
            let pattern = text(a, "eventPattern");
            let retention_days = a["retentionDays"].as_u64().unwrap_or(0) as u32;
            let dir = archive_dir(&shared.archive_root, &account, &region_name, &name);
            let slot = open_archive(&dir, pattern.as_deref(), retention_days, &bus.engine, &name)
                .map_err(|e| bad(&format!("archive {name}: {e}")))?;
            region.archives.insert(
                name.clone(),
                ArchiveInfo {
                    arn: format!("arn:aws:events:{region_name}:{account}:archive/{name}"),
                    name,
                    source_arn: bus.arn.clone(),
                    bus: bus_name,
                    description: text(a, "description"),
                    event_pattern: pattern,
                    retention_days,
                    created: from_millis(a["created"].as_u64().unwrap_or(0)),
                    dir,
                    slot,
                },
            );
        }
        for rp in r["replays"].as_array().into_iter().flatten() {
            let Some(name) = text_of(rp, "name") else {
                continue;
            };
            // A replay that was running when the server stopped did not finish.
            let state = match rp["state"].as_str() {
                Some("COMPLETED") => "COMPLETED",
                Some("CANCELLED") => "CANCELLED",
                _ => "FAILED",
            };
            let reason = text(rp, "reason").or_else(|| {
                (state == "FAILED").then(|| "The server stopped during the replay.".to_string())
            });
            let info = ReplayInfo {
                arn: format!("arn:aws:events:{region_name}:{account}:replay/{name}"),
                name: name.clone(),
                description: text(rp, "description"),
                source_arn: text(rp, "sourceArn").unwrap_or_default(),
                destination: rp["destination"].clone(),
                start: from_millis(rp["start"].as_u64().unwrap_or(0)),
                end: from_millis(rp["end"].as_u64().unwrap_or(0)),
                state,
                reason,
                replay_start: from_millis(rp["replayStart"].as_u64().unwrap_or(0)),
                replay_end: rp["replayEnd"].as_u64().map(from_millis),
                last_replayed: rp["lastReplayed"].as_u64().map(from_millis),
            };
            region.replays.insert(name, Arc::new(Mutex::new(info)));
        }
        registry.regions.insert((account, region_name), region);
    }
    Ok(registry)
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    text(v, key)
}

fn rule_from(v: &Value, now: std::time::SystemTime) -> Result<RuleInfo, String> {
    let name = text(v, "name").ok_or("a rule has no name")?;
    let schedule_expression = text(v, "scheduleExpression");
    let schedule = schedule_expression
        .as_deref()
        .map(Schedule::parse)
        .transpose()
        .map_err(|e| format!("{name}: {e}"))?;
    let mut targets = Vec::new();
    for t in v["targets"].as_array().into_iter().flatten() {
        let obj: Map<String, Value> = t.as_object().cloned().ok_or("a target is not an object")?;
        let target = Target::from_json(t).map_err(|e| format!("{name}: {e}"))?;
        targets.push((obj, target));
    }
    let mut info = RuleInfo {
        name,
        event_pattern: text(v, "eventPattern"),
        schedule_expression,
        schedule,
        state: text(v, "state").unwrap_or_else(|| "ENABLED".into()),
        description: text(v, "description"),
        role_arn: text(v, "roleArn"),
        targets,
        tags: tags_from(&v["tags"]),
        created_by: text(v, "createdBy").unwrap_or_default(),
        next_fire: None,
    };
    info.plan(now);
    Ok(info)
}
