//! [`RouterBuilder`]: collects rules, destinations and settings, checks
//! them, compiles every target's input once and starts the worker pool.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::route::archive::Archive;
use crate::route::delivery::{Clock, Destination, RouterConfig, RuleSelector, SystemClock};
use crate::route::model::{Rule, Target};
use crate::route::path::JsonPath;
use crate::route::pool::{
    routing, worker, Counters, Deliveries, GroupSpec, Queue, RuleSlot, Shared, Slot,
};
use crate::route::raw::PathSet;
use crate::route::router::{Router, Selector};
use crate::{Config as MatcherConfig, Matcher};

/// Collects rules, destinations and settings, then builds a [`Router`].
///
/// ```
/// use std::sync::Arc;
/// use evrule::route::{Delivery, DeliveryResult, Router, Rule, Target};
/// let sink = Arc::new(|_: &Delivery| DeliveryResult::Ok);
/// let router = Router::builder()
///     .rule(Rule::new("r", r#"{"source": ["a"]}"#).with_target(Target::new("t", "arn:t")))
///     .destination("arn:t", sink)
///     .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
///     .build()?;
/// router.route(br#"{"source": "a"}"#)?;
/// assert_eq!(router.drain().target("r", "t").unwrap().delivered, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RouterBuilder {
    pub(crate) rules: Vec<Rule>,
    pub(crate) destinations: HashMap<String, Arc<dyn Destination>>,
    pub(crate) fallback: Option<Arc<dyn Destination>>,
    pub(crate) selector: Option<Box<dyn RuleSelector>>,
    pub(crate) matcher_config: Option<MatcherConfig>,
    pub(crate) config: RouterConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) archive: Option<Archive>,
}

impl Router {
    /// A builder with default settings and the system clock.
    ///
    /// ```
    /// let b = evrule::route::Router::builder();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> RouterBuilder {
        RouterBuilder {
            rules: Vec::new(),
            destinations: HashMap::new(),
            fallback: None,
            selector: None,
            matcher_config: None,
            config: RouterConfig::new(),
            clock: Arc::new(SystemClock),
            archive: None,
        }
    }
}

impl RouterBuilder {
    /// Add one rule (validated at `build`).
    ///
    /// ```
    /// let b = evrule::route::Router::builder().rule(evrule::route::Rule::new("r", "{}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Add rules, e.g. from [`RuleSet::into_rules`](crate::route::RuleSet::into_rules).
    ///
    /// ```
    /// let set = evrule::route::RuleSet::new();
    /// let b = evrule::route::Router::builder().rules(set.into_rules());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// Send deliveries for `arn` (a target's or a dead-letter ARN) to
    /// `destination`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Delivery, DeliveryResult};
    /// let b = evrule::route::Router::builder()
    ///     .destination("arn:aws:sqs:us-east-1:123456789012:q", Arc::new(|_: &Delivery| DeliveryResult::Ok));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn destination(
        mut self,
        arn: impl Into<String>,
        destination: Arc<dyn Destination>,
    ) -> Self {
        self.destinations.insert(arn.into(), destination);
        self
    }

    /// The destination for ARNs without their own; without one, an
    /// unregistered ARN is an error at `build`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Delivery, DeliveryResult};
    /// let b = evrule::route::Router::builder()
    ///     .fallback_destination(Arc::new(|d: &Delivery| { println!("{}", d.body); DeliveryResult::Ok }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fallback_destination(mut self, destination: Arc<dyn Destination>) -> Self {
        self.fallback = Some(destination);
        self
    }

    /// Choose rules with `selector` instead of a [`Matcher`] compiled from
    /// the rules' patterns.
    ///
    /// ```
    /// let b = evrule::route::Router::builder().selector(|_: &[u8]| Ok(Vec::new()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn selector(mut self, selector: impl RuleSelector + 'static) -> Self {
        self.selector = Some(Box::new(selector));
        self
    }

    /// Settings for the [`Matcher`] compiled from the rules' patterns
    /// (ignored when a selector is given).
    ///
    /// ```
    /// let b = evrule::route::Router::builder().matcher_config(evrule::Config::new().trusted(false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matcher_config(mut self, config: MatcherConfig) -> Self {
        self.matcher_config = Some(config);
        self
    }

    /// Settings.
    ///
    /// ```
    /// let b = evrule::route::Router::builder().config(evrule::route::RouterConfig::new().workers(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(mut self, config: RouterConfig) -> Self {
        self.config = config;
        self
    }

    /// The wall clock (for ingestion times and event ages).
    ///
    /// ```
    /// let b = evrule::route::Router::builder().clock(evrule::route::SystemClock);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Archive every routed event (that matches the archive's pattern).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-builder-{}", std::process::id()));
    /// let archive = evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?;
    /// let b = evrule::route::Router::builder().archive(archive);
    /// # drop(b); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn archive(mut self, archive: Archive) -> Self {
        self.archive = Some(archive);
        self
    }

    /// Validate the rules, compile their patterns (unless a selector was
    /// given), resolve every ARN to a destination and start the workers.
    ///
    /// ```
    /// use evrule::route::{Router, Rule, Target};
    /// let err = Router::builder()
    ///     .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:nowhere")))
    ///     .selector(|_: &[u8]| Ok(Vec::new()))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.message(), "No destination registered for arn:nowhere (target t of rule r).");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<Router, Error> {
        let config = self.config;
        let mut rules = Vec::new();
        let mut slots = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut paths = PathSet::new();
        let resolve = |arn: &str, target: &Target, rule: &Rule| {
            self.destinations
                .get(arn)
                .or(self.fallback.as_ref())
                .cloned()
                .ok_or_else(|| {
                    routing(format!(
                        "No destination registered for {arn} (target {} of rule {}).",
                        target.id, rule.name
                    ))
                    .with_rule(rule.name.clone())
                })
        };
        for rule in &self.rules {
            rule.validate(usize::MAX)?;
            if names.insert(rule.name.clone(), rules.len()).is_some() {
                return Err(
                    routing(format!("Rule {} is defined more than once.", rule.name))
                        .with_rule(rule.name.clone()),
                );
            }
            let arn = rule.arn(&config.region, &config.account);
            let mut targets = Vec::new();
            for target in &rule.targets {
                let input = target
                    .compile_input()
                    .map_err(|e| e.with_rule(rule.name.clone()))?;
                let destination = resolve(&target.arn, target, rule)?;
                let dead_letter = match &target.dead_letter_config {
                    Some(d) => Some(resolve(&d.arn, target, rule)?),
                    None => None,
                };
                let group = if target.is_fifo() {
                    let g = target
                        .sqs_parameters
                        .as_ref()
                        .map_or("", |s| s.message_group_id.as_str());
                    Some(if g.starts_with('$') {
                        let path = JsonPath::parse(g).ok_or_else(|| {
                            routing(format!(
                                "MessageGroupId for target {} is not a valid JSON path: {g}.",
                                target.id
                            ))
                            .with_rule(rule.name.clone())
                        })?;
                        GroupSpec::Path(paths.add(&path))
                    } else {
                        GroupSpec::Constant(g.to_string())
                    })
                } else {
                    None
                };
                targets.push(slots.len());
                let binding = input.bind(&mut paths);
                let inline = destination.non_blocking() && group.is_none();
                slots.push(Slot {
                    inline,
                    rule: rules.len(),
                    target: target.clone(),
                    input,
                    binding,
                    group,
                    destination,
                    dead_letter,
                    counters: Counters::default(),
                });
            }
            rules.push(RuleSlot {
                rule: rule.clone(),
                arn,
                targets,
                rank: 0,
            });
        }
        let selector = match self.selector {
            Some(s) => Selector::Custom(s),
            None => {
                let mut matcher = match self.matcher_config {
                    Some(c) => Matcher::with_config(c),
                    None => Matcher::new(),
                };
                let mut ids = Vec::new();
                for (i, rule) in self.rules.iter().enumerate() {
                    if let Some(pattern) = &rule.event_pattern {
                        let id = matcher
                            .add(&rule.name, pattern)
                            .map_err(|e| e.with_rule(rule.name.clone()))?;
                        ids.push((id, i));
                    }
                }
                ids.sort_unstable();
                Selector::Matcher {
                    matcher: Box::new(matcher),
                    caches: Mutex::new(Vec::new()),
                    rules: ids,
                }
            }
        };
        // Rules in name order: how `Matcher::matches` lists them.
        let mut by_name: Vec<usize> = (0..rules.len()).collect();
        by_name.sort_by(|&a, &b| rules[a].rule.name.cmp(&rules[b].rule.name));
        for (rank, &i) in by_name.iter().enumerate() {
            rules[i].rank = rank;
        }
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            changed: Condvar::new(),
            rules,
            names,
            slots,
            paths,
            config,
            clock: self.clock,
            rng: AtomicU64::new(seed | 1),
            events: AtomicU64::new(0),
            matched: AtomicU64::new(0),
            drops: Mutex::new(VecDeque::new()),
        });
        let workers = (0..shared.config.workers)
            .map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("evrule-route-{i}"))
                    .spawn(move || worker(&shared))
                    .map_err(|e| Error::io(format!("cannot start a worker thread: {e}"), e))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Router {
            shared,
            selector,
            workers,
            archive: self.archive.map(Mutex::new),
            inline: Mutex::new(Deliveries::default()),
        })
    }
}
