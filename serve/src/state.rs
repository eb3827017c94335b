//! What the server knows: per account and region, the event buses with
//! their rules, targets and tags, the archives and the replays. Actions
//! change it under one lock; each change to a bus's rules is handed to that
//! bus's [`Engine`], and with `--state DIR` the whole of it is written to
//! disk (see `store.rs`).
//!
//! The default bus of an account and region comes into being the first
//! time anything asks for it, as on AWS, where it always exists.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use evrule::route::{Rule, RuleState, Target};
use serde_json::{Map, Value};

use crate::api::ApiError;
use crate::durable::Durable;
use crate::engine::{ArchiveSlot, Destinations, Engine, RouterSettings};
use crate::schedule::{Clock, Schedule};

/// A rule as PutRule and PutTargets left it.
#[derive(Clone, Debug)]
pub(crate) struct RuleInfo {
    pub(crate) name: String,
    pub(crate) event_pattern: Option<String>,
    pub(crate) schedule_expression: Option<String>,
    pub(crate) schedule: Option<Schedule>,
    /// AWS's spelling, kept as given (`ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` too).
    pub(crate) state: String,
    pub(crate) description: Option<String>,
    pub(crate) role_arn: Option<String>,
    /// Targets as they were put (every member, for ListTargetsByRule) and
    /// as the router reads them.
    pub(crate) targets: Vec<(Map<String, Value>, Target)>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) created_by: String,
    /// When the schedule fires next (not persisted: recomputed at start).
    pub(crate) next_fire: Option<SystemTime>,
}

impl RuleInfo {
    pub(crate) fn enabled(&self) -> bool {
        RuleState::parse(&self.state) == Some(RuleState::Enabled)
    }

    /// The rule as the router takes it.
    pub(crate) fn to_rule(&self, bus: &str) -> Rule {
        Rule {
            name: self.name.clone(),
            event_pattern: self.event_pattern.clone(),
            state: RuleState::parse(&self.state).unwrap_or(RuleState::Disabled),
            description: self.description.clone(),
            event_bus_name: (bus != "default").then(|| bus.to_string()),
            targets: self.targets.iter().map(|(_, t)| t.clone()).collect(),
        }
    }

    /// Set the next firing after `now` (enabled schedule rules only).
    pub(crate) fn plan(&mut self, now: SystemTime) {
        self.next_fire = match &self.schedule {
            Some(s) if self.enabled() => s.next_after(now),
            _ => None,
        };
    }
}

/// One event bus.
pub(crate) struct Bus {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) description: Option<String>,
    pub(crate) created: SystemTime,
    pub(crate) modified: SystemTime,
    /// Members of CreateEventBus echoed back as given (KmsKeyIdentifier,
    /// DeadLetterConfig, LogConfig).
    pub(crate) extra: Map<String, Value>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) rules: BTreeMap<String, RuleInfo>,
    pub(crate) engine: Arc<Engine>,
    /// Where rule changes are written first ([`crate::ServeConfig::durable`]).
    pub(crate) durable: Option<Arc<dyn Durable>>,
}

impl Bus {
    /// Hand the bus's rules to the durable store, if there is one, then to
    /// its engine. A durable store that refuses leaves the engine as it was.
    pub(crate) fn sync(&self) -> Result<(), String> {
        let scheduled: HashSet<String> = self
            .rules
            .values()
            .filter(|r| r.schedule.is_some())
            .map(|r| r.name.clone())
            .collect();
        let rules: Vec<Rule> = self.rules.values().map(|r| r.to_rule(&self.name)).collect();
        if let Some(durable) = &self.durable {
            let with_patterns: Vec<Rule> = rules
                .iter()
                .filter(|r| r.event_pattern.is_some())
                .cloned()
                .collect();
            durable.set_rules(&self.name, &with_patterns)?;
        }
        self.engine.set_rules(rules, &scheduled);
        Ok(())
    }

    /// [`Bus::sync`] after rule `name` changed from `before` (`None`: it
    /// did not exist). When the durable store refuses, the rule is put back
    /// as it was and the action fails.
    pub(crate) fn commit(&mut self, name: &str, before: Option<RuleInfo>) -> Result<(), ApiError> {
        let Err(why) = self.sync() else {
            return Ok(());
        };
        match before {
            Some(rule) => self.rules.insert(name.to_string(), rule),
            None => self.rules.remove(name),
        };
        // What was there before was stored; a second refusal changes nothing.
        let _ = self.sync();
        Err(ApiError::internal(format!(
            "The change was not made: the rules could not be stored in the durable engine: {why}"
        )))
    }

    pub(crate) fn rule_arn(&self, rule: &str, account: &str, region: &str) -> String {
        Rule {
            event_bus_name: Some(self.name.clone()),
            ..Rule::new(rule, "")
        }
        .arn(region, account)
    }
}

/// An archive.
pub(crate) struct ArchiveInfo {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) source_arn: String,
    pub(crate) bus: String,
    pub(crate) description: Option<String>,
    pub(crate) event_pattern: Option<String>,
    pub(crate) retention_days: u32,
    pub(crate) created: SystemTime,
    pub(crate) dir: PathBuf,
    pub(crate) slot: Arc<ArchiveSlot>,
}

/// A replay, updated by the thread that runs it.
#[derive(Clone, Debug)]
pub(crate) struct ReplayInfo {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) description: Option<String>,
    pub(crate) source_arn: String,
    pub(crate) destination: Value,
    pub(crate) start: SystemTime,
    pub(crate) end: SystemTime,
    pub(crate) state: &'static str,
    pub(crate) reason: Option<String>,
    pub(crate) replay_start: SystemTime,
    pub(crate) replay_end: Option<SystemTime>,
    pub(crate) last_replayed: Option<SystemTime>,
}

/// Everything in one account and region.
#[derive(Default)]
pub(crate) struct Region {
    pub(crate) buses: BTreeMap<String, Bus>,
    pub(crate) archives: BTreeMap<String, ArchiveInfo>,
    pub(crate) replays: BTreeMap<String, Arc<Mutex<ReplayInfo>>>,
}

/// Every account and region, by (account, region).
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) regions: BTreeMap<(String, String), Region>,
}

/// A bus ARN.
pub(crate) fn bus_arn(account: &str, region: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{name}")
}

/// What an `arn:aws:events:REGION:ACCOUNT:TYPE/NAME` names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EventsArn<'a> {
    pub(crate) region: &'a str,
    pub(crate) account: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) name: &'a str,
}

pub(crate) fn parse_arn(arn: &str) -> Option<EventsArn<'_>> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !partition.starts_with("aws") {
        return None;
    }
    let rest = rest.strip_prefix("events:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, name) = resource.split_once('/')?;
    (!name.is_empty()).then_some(EventsArn {
        region,
        account,
        kind,
        name,
    })
}

/// A bus named by name or ARN: (account, region, name), the account and
/// region those of the ARN or of the caller.
pub(crate) fn resolve_bus(
    given: Option<&str>,
    account: &str,
    region: &str,
) -> (String, String, String) {
    match given {
        None => (account.into(), region.into(), "default".into()),
        Some(text) => match parse_arn(text).filter(|a| a.kind == "event-bus") {
            Some(a) => (a.account.into(), a.region.into(), a.name.into()),
            None => (account.into(), region.into(), text.into()),
        },
    }
}

/// The server's shared state: the registry under its lock, and an index of
/// the buses' engines for PutEvents, which must not wait on that lock.
pub(crate) struct Shared {
    pub(crate) registry: Mutex<Registry>,
    pub(crate) engines: RwLock<HashMap<(String, String, String), Arc<Engine>>>,
    pub(crate) destinations: Arc<Destinations>,
    pub(crate) router_settings: RouterSettings,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where archives live: `--state DIR`, or a directory removed at exit.
    pub(crate) archive_root: PathBuf,
    /// `--state DIR`.
    pub(crate) store: Option<crate::store::Store>,
    /// Engines of deleted buses, until their deliveries are done.
    pub(crate) retired: Mutex<Vec<Arc<Engine>>>,
    pub(crate) limits: Limits,
    /// With [`crate::ServeConfig::durable`]: PutEvents stores events there
    /// instead of routing them here, and rule changes are written there.
    pub(crate) durable: Option<Arc<dyn Durable>>,
    /// Events the durable store took (for the shutdown report).
    pub(crate) stored: std::sync::atomic::AtomicU64,
}

/// Limits of requests.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// Most bytes of PutEvents entries per request, by AWS's size rule.
    pub(crate) max_entries_bytes: usize,
}

impl Shared {
    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// A new bus (not yet in the registry).
    pub(crate) fn new_bus(&self, account: &str, region: &str, name: &str, now: SystemTime) -> Bus {
        let engine = Arc::new(Engine::new(
            account,
            region,
            Arc::clone(&self.destinations),
            self.router_settings.clone(),
            Arc::clone(&self.clock),
        ));
        self.engines
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (account.to_string(), region.to_string(), name.to_string()),
                Arc::clone(&engine),
            );
        Bus {
            name: name.to_string(),
            arn: bus_arn(account, region, name),
            description: None,
            created: now,
            modified: now,
            extra: Map::new(),
            tags: Vec::new(),
            rules: BTreeMap::new(),
            engine,
            durable: self.durable.clone(),
        }
    }

    /// The region's state, its default bus created on first use.
    pub(crate) fn region<'r>(
        &self,
        registry: &'r mut Registry,
        account: &str,
        region: &str,
    ) -> &'r mut Region {
        let key = (account.to_string(), region.to_string());
        if !registry.regions.contains_key(&key) {
            let mut r = Region::default();
            let bus = self.new_bus(account, region, "default", self.now());
            r.buses.insert("default".into(), bus);
            registry.regions.insert(key.clone(), r);
        }
        registry.regions.get_mut(&key).expect("inserted above")
    }

    /// The engine of a bus, for PutEvents; the default bus always has one.
    pub(crate) fn engine(&self, account: &str, region: &str, bus: &str) -> Option<Arc<Engine>> {
        let key = (account.to_string(), region.to_string(), bus.to_string());
        if let Some(e) = self
            .engines
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Some(Arc::clone(e));
        }
        if bus == "default" {
            let mut registry = crate::engine::lock(&self.registry);
            let r = self.region(&mut registry, account, region);
            return Some(Arc::clone(&r.buses["default"].engine));
        }
        None
    }

    /// Forget a bus's engine (DeleteEventBus).
    pub(crate) fn drop_engine(&self, account: &str, region: &str, bus: &str) {
        self.engines
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(account.to_string(), region.to_string(), bus.to_string()));
    }

    /// Keep a deleted bus's engine until shutdown, so that its deliveries
    /// finish and are counted.
    pub(crate) fn retire_engine(&self, engine: Arc<Engine>) {
        crate::engine::lock(&self.retired).push(engine);
    }

    /// Every engine, for reaping and shutdown.
    pub(crate) fn all_engines(&self) -> Vec<Arc<Engine>> {
        let mut out: Vec<Arc<Engine>> = self
            .engines
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        out.extend(crate::engine::lock(&self.retired).iter().cloned());
        out
    }

    /// Write the state, when there is a `--state` directory.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        match &self.store {
            Some(store) => store.save(&self.registry),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse() {
        assert_eq!(
            parse_arn("arn:aws:events:eu-west-1:111122223333:rule/orders/r1"),
            Some(EventsArn {
                region: "eu-west-1",
                account: "111122223333",
                kind: "rule",
                name: "orders/r1"
            })
        );
        assert_eq!(parse_arn("arn:aws:sqs:eu-west-1:1:q"), None);
        assert_eq!(
            resolve_bus(
                Some("arn:aws:events:eu-west-1:111122223333:event-bus/orders"),
                "123456789012",
                "us-east-1"
            ),
            ("111122223333".into(), "eu-west-1".into(), "orders".into())
        );
        assert_eq!(resolve_bus(None, "123456789012", "us-east-1").2, "default");
    }
}
