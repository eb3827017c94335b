//! The rules bucket: rules (with their targets) and buses, shared by every
//! worker. Workers watch it and swap their matcher on each change; rule
//! files given at start seed it; `evrule serve`'s PutRule / PutTargets
//! write to it through [`RuleStore`].

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use bytes::Bytes;
use evrule::route::{Delivery, DeliveryResult, Router, RouterConfig, Rule, Target};
use futures_util::StreamExt;

use crate::codec::{rule_from_bytes, rule_to_json};
use crate::names;
use crate::{Engine, Error};

/// Rules and buses in the JetStream key-value bucket `EVRULE_RULES`:
/// `rule.<bus>.<rule name>` holds a rule in PutRule's JSON with its
/// `Targets`; `bus.<bus>` a bus's settings.
///
/// ```no_run
/// # async fn run(engine: evrule_engine::Engine) -> Result<(), evrule_engine::Error> {
/// use evrule::route::{Rule, Target};
/// let rules = engine.rules().await?;
/// rules.put_rule("default", &Rule::new("orders", r#"{"source": ["shop"]}"#)
///     .with_target(Target::new("q", "arn:aws:sqs:us-east-1:123456789012:orders"))).await?;
/// assert_eq!(rules.rules("default").await?.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RuleStore {
    kv: kv::Store,
    engine: Engine,
}

/// What [`RuleStore::seed`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Rules written (absent before, or replaced).
    pub written: Vec<String>,
    /// Rules left as the bucket has them, though the seed differs.
    pub kept: Vec<String>,
    /// Rules the bucket already had, the same.
    pub unchanged: Vec<String>,
}

/// Compile `rules` into a router that only renders (it delivers nowhere):
/// the matcher of a worker, and the check of a rule before it is stored.
pub(crate) fn renderer(rules: Vec<Rule>, config: &RouterConfig) -> Result<Router, evrule::Error> {
    Router::builder()
        .rules(rules)
        .config(config.clone().workers(1).queue_capacity(1))
        .fallback_destination(Arc::new(|_: &Delivery| {
            DeliveryResult::Permanent("evrule-engine renders; it never delivers here".into())
        }))
        .build()
}

impl Engine {
    /// The rules bucket, created if missing.
    pub async fn rules(&self) -> Result<RuleStore, Error> {
        let js = &self.inner.js;
        let c = &self.inner.config;
        let kv = match js.get_key_value(names::RULES_BUCKET).await {
            Ok(kv) => kv,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: names::RULES_BUCKET.into(),
                    description: "evrule: rules, targets and buses".into(),
                    history: 5,
                    storage: c.storage.nats(),
                    num_replicas: c.replicas,
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    Error::nats(format!("cannot create bucket {}", names::RULES_BUCKET), e)
                })?,
        };
        Ok(RuleStore {
            kv,
            engine: self.clone(),
        })
    }
}

impl RuleStore {
    fn check(&self, rule: &Rule) -> Result<(), Error> {
        rule.validate(self.engine.inner.config.max_targets)?;
        renderer(vec![rule.clone()], &self.engine.inner.config.router)?;
        Ok(())
    }

    /// Validate and store a rule (with its targets) on `bus`, replacing
    /// one of the same name. Returns the bucket revision.
    pub async fn put_rule(&self, bus: &str, rule: &Rule) -> Result<u64, Error> {
        names::check_bus(bus)?;
        self.check(rule)?;
        let value = Bytes::from(rule_to_json(rule).to_string());
        self.kv
            .put(names::rule_key(bus, &rule.name), value)
            .await
            .map_err(|e| Error::nats(format!("cannot store rule {}", rule.name), e))
    }

    /// A rule of `bus`, if stored.
    pub async fn rule(&self, bus: &str, name: &str) -> Result<Option<Rule>, Error> {
        Ok(self.entry(bus, name).await?.map(|(rule, _)| rule))
    }

    async fn entry(&self, bus: &str, name: &str) -> Result<Option<(Rule, u64)>, Error> {
        let entry = self
            .kv
            .entry(names::rule_key(bus, name))
            .await
            .map_err(|e| Error::nats(format!("cannot read rule {name}"), e))?;
        match entry {
            Some(e) if e.operation == kv::Operation::Put => Ok(Some((
                rule_from_bytes(&e.value, self.engine.inner.config.max_targets)?,
                e.revision,
            ))),
            _ => Ok(None),
        }
    }

    /// Every rule of `bus`, by name. A stored value that is not a valid
    /// rule is an error naming its key.
    pub async fn rules(&self, bus: &str) -> Result<Vec<Rule>, Error> {
        let prefix = names::rule_keys(bus);
        let prefix = prefix.trim_end_matches('>');
        let mut keys = self
            .kv
            .keys()
            .await
            .map_err(|e| Error::nats("cannot list rules", e))?;
        let mut names_found = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| Error::nats("cannot list rules", e))?;
            if key.starts_with(prefix) {
                if let Some((_, name)) = names::parse_rule_key(&key) {
                    names_found.push(name);
                }
            }
        }
        names_found.sort();
        let mut rules = Vec::new();
        for name in names_found {
            if let Some(rule) = self.rule(bus, &name).await? {
                rules.push(rule);
            }
        }
        Ok(rules)
    }

    /// Every rule of every bus, each with the name of its bus, in order of
    /// bus and name (for a reader of the whole bucket, such as `evrule serve
    /// --engine` at start).
    pub async fn all_rules(&self) -> Result<Vec<(String, Rule)>, Error> {
        let mut keys = self
            .kv
            .keys()
            .await
            .map_err(|e| Error::nats("cannot list rules", e))?;
        let mut buses = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| Error::nats("cannot list rules", e))?;
            if let Some((bus, _)) = names::parse_rule_key(&key) {
                buses.push(bus);
            }
        }
        buses.sort();
        buses.dedup();
        let mut out = Vec::new();
        for bus in buses {
            for rule in self.rules(&bus).await? {
                out.push((bus.clone(), rule));
            }
        }
        Ok(out)
    }

    /// Delete a rule of `bus` (its queued deliveries stay in
    /// `EVRULE_DELIVERIES` until the rule comes back).
    pub async fn delete_rule(&self, bus: &str, name: &str) -> Result<(), Error> {
        self.kv
            .delete(names::rule_key(bus, name))
            .await
            .map_err(|e| Error::nats(format!("cannot delete rule {name}"), e))
    }

    /// PutTargets: add targets to a stored rule, replacing those with the
    /// same ids. Safe against concurrent writers (compare and set).
    pub async fn put_targets(
        &self,
        bus: &str,
        rule: &str,
        targets: Vec<Target>,
    ) -> Result<(), Error> {
        self.modify(bus, rule, |r| {
            for t in &targets {
                match r.targets.iter_mut().find(|old| old.id == t.id) {
                    Some(old) => *old = t.clone(),
                    None => r.targets.push(t.clone()),
                }
            }
        })
        .await
    }

    /// RemoveTargets: drop the targets with these ids from a stored rule.
    pub async fn remove_targets(&self, bus: &str, rule: &str, ids: &[&str]) -> Result<(), Error> {
        self.modify(bus, rule, |r| {
            r.targets.retain(|t| !ids.contains(&t.id.as_str()))
        })
        .await
    }

    async fn modify(&self, bus: &str, name: &str, change: impl Fn(&mut Rule)) -> Result<(), Error> {
        for _ in 0..20 {
            let Some((mut rule, revision)) = self.entry(bus, name).await? else {
                return Err(Error::rule(format!(
                    "Rule {name} does not exist on EventBus {bus}."
                )));
            };
            change(&mut rule);
            self.check(&rule)?;
            let value = Bytes::from(rule_to_json(&rule).to_string());
            match self
                .kv
                .update(names::rule_key(bus, name), value, revision)
                .await
            {
                Ok(_) => return Ok(()),
                // Someone else wrote first: read again.
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    tokio::time::sleep(Duration::from_millis(5)).await
                }
                Err(e) => return Err(Error::nats(format!("cannot store rule {name}"), e)),
            }
        }
        Err(Error::nats(
            format!("cannot store rule {name}"),
            "too many concurrent writers",
        ))
    }

    /// Seed `bus` with rules from files: a rule the bucket lacks is
    /// written; one it has is kept as it is (the bucket may hold changes
    /// made through the API since), unless `replace`.
    pub async fn seed(
        &self,
        bus: &str,
        rules: &[Rule],
        replace: bool,
    ) -> Result<SeedReport, Error> {
        names::check_bus(bus)?;
        let mut report = SeedReport::default();
        for rule in rules {
            self.check(rule)?;
            let key = names::rule_key(bus, &rule.name);
            let value = Bytes::from(rule_to_json(rule).to_string());
            if replace {
                self.kv
                    .put(&key, value)
                    .await
                    .map_err(|e| Error::nats(format!("cannot store rule {}", rule.name), e))?;
                report.written.push(rule.name.clone());
                continue;
            }
            match self.kv.create(&key, value).await {
                Ok(_) => report.written.push(rule.name.clone()),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                    let stored = self.rule(bus, &rule.name).await?;
                    if stored.as_ref() == Some(rule) {
                        report.unchanged.push(rule.name.clone());
                    } else {
                        report.kept.push(rule.name.clone());
                    }
                }
                Err(e) => return Err(Error::nats(format!("cannot store rule {}", rule.name), e)),
            }
        }
        Ok(report)
    }

    /// The underlying bucket (for watching, as workers do).
    pub fn bucket(&self) -> &kv::Store {
        &self.kv
    }

    /// Record a bus and its settings under `bus.<bus>`.
    pub(crate) async fn put_bus(
        &self,
        bus: &str,
        settings: &serde_json::Value,
    ) -> Result<(), Error> {
        self.kv
            .put(names::bus_key(bus), Bytes::from(settings.to_string()))
            .await
            .map(drop)
            .map_err(|e| Error::nats(format!("cannot record bus {bus}"), e))
    }
}
