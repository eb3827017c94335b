//! `serve --engine`: the server's [`Durable`] store on NATS JetStream.
//!
//! PutEvents puts each event on its bus's stream (`EVRULE_BUS_<bus>`) and
//! answers once JetStream has stored it; every change to a bus's rules is
//! written to the rules bucket, which the workers (`route --engine
//! --worker`) watch. At start the bucket's rules, of every bus, are loaded
//! into the server, so that ListRules shows what the workers apply.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use evrule::route::{RouterConfig, Rule};
use evrule_engine::{rule_to_json, Bus, BusConfig, Engine, RuleStore};
use evrule_serve::Durable;
use serde_json::Value;

use super::engine::{engine_config, note_kept};
use crate::flags::EngineAccess;

/// The bucket and the buses' streams, reached from the server's blocking
/// threads through a runtime of their own.
pub struct JetStream {
    rt: tokio::runtime::Runtime,
    engine: Engine,
    store: RuleStore,
    buses: Mutex<HashMap<String, Bus>>,
    /// What the bucket holds as far as this server knows (read at start,
    /// then written by it): bus -> rule name -> the rule's stored JSON.
    known: Mutex<HashMap<String, HashMap<String, Value>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl JetStream {
    /// Connect to `url` and read the bucket. Returns the store and the
    /// rules to load into the server: the bucket's, with `given` (from rule
    /// files and `--config`) added where the bucket lacks them, or replacing
    /// them with `--replace-rules`.
    pub fn connect(
        url: &str,
        access: &EngineAccess,
        given: Vec<Rule>,
    ) -> Result<(Arc<JetStream>, Vec<Rule>), Vec<String>> {
        let rt = super::engine::runtime()
            .map_err(|_| vec![format!("{url}: cannot start the engine client's runtime")])?;
        let config = engine_config(url, access, RouterConfig::new());
        let (engine, store, stored) = rt
            .block_on(async {
                let engine = Engine::connect(config).await?;
                let store = engine.rules().await?;
                let stored = store.all_rules().await?;
                Ok::<_, evrule_engine::Error>((engine, store, stored))
            })
            .map_err(|e| vec![e.to_string()])?;
        let mut known: HashMap<String, HashMap<String, Value>> = HashMap::new();
        let mut rules: Vec<Rule> = Vec::new();
        for (bus, mut rule) in stored {
            rule.event_bus_name = (bus != "default").then(|| bus.clone());
            known
                .entry(bus)
                .or_default()
                .insert(rule.name.clone(), rule_to_json(&rule));
            rules.push(rule);
        }
        let mut kept = Vec::new();
        for rule in given {
            let bus = bus_of(&rule);
            match rules
                .iter()
                .position(|r| r.name == rule.name && bus_of(r) == bus)
            {
                None => rules.push(rule),
                Some(at) if access.replace_rules => rules[at] = rule,
                Some(at) => {
                    if rules[at] != rule {
                        kept.push(rule.name.clone());
                    }
                }
            }
        }
        note_kept(&kept);
        let store = JetStream {
            rt,
            engine,
            store,
            buses: Mutex::new(HashMap::new()),
            known: Mutex::new(known),
        };
        Ok((Arc::new(store), rules))
    }

    /// The bus's stream, created on first use (keeping the retention the
    /// workers gave it when it exists).
    fn bus(&self, name: &str) -> Result<Bus, String> {
        if let Some(b) = lock(&self.buses).get(name) {
            return Ok(b.clone());
        }
        let bus = self
            .rt
            .block_on(self.engine.bus(name, BusConfig::new().adopt_existing()))
            .map_err(|e| e.to_string())?;
        lock(&self.buses).insert(name.to_string(), bus.clone());
        Ok(bus)
    }
}

/// The bus a rule belongs to (its `EventBusName`, by name or ARN).
fn bus_of(rule: &Rule) -> &str {
    match rule.event_bus_name.as_deref() {
        None => "default",
        Some(b) => b.rsplit('/').next().unwrap_or(b),
    }
}

impl Durable for JetStream {
    fn put_events(&self, bus: &str, events: &[&[u8]]) -> Vec<Result<(), String>> {
        let handle = match self.bus(bus) {
            Ok(b) => b,
            Err(e) => return events.iter().map(|_| Err(e.clone())).collect(),
        };
        self.rt
            .block_on(handle.put_events(events))
            .into_iter()
            .map(|r| r.map(|_| ()).map_err(|e| e.to_string()))
            .collect()
    }

    fn set_rules(&self, bus: &str, rules: &[Rule]) -> Result<(), String> {
        let mut known = lock(&self.known);
        let known = known.entry(bus.to_string()).or_default();
        self.rt.block_on(async {
            let mut now: HashMap<&str, Value> = HashMap::new();
            for rule in rules {
                let json = rule_to_json(rule);
                if known.get(&rule.name) != Some(&json) {
                    self.store
                        .put_rule(bus, rule)
                        .await
                        .map_err(|e| e.to_string())?;
                    known.insert(rule.name.clone(), json.clone());
                }
                now.insert(&rule.name, json);
            }
            let gone: Vec<String> = known
                .keys()
                .filter(|name| !now.contains_key(name.as_str()))
                .cloned()
                .collect();
            for name in gone {
                self.store
                    .delete_rule(bus, &name)
                    .await
                    .map_err(|e| e.to_string())?;
                known.remove(&name);
            }
            Ok(())
        })
    }
}
