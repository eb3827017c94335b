//! One event bus at work: the routers that deliver its events, its archives,
//! and the retired routers still finishing deliveries.
//!
//! A [`Router`] is immutable, so a change to the bus's rules or targets
//! does not touch the running one: the new rule set is noted, and the next
//! event (or scheduled firing) builds a router from it and swaps it in. The
//! old router is retired, not stopped: requests that were routing through
//! it finish, and its queued deliveries and retries go on on its own
//! workers. Once it holds nothing it is shut down and its counters are kept,
//! so the totals and the drops reported at shutdown cover every router the
//! bus ever had. In-flight deliveries are therefore never lost to an update.
//!
//! Scheduled rules get a router of their own, fed only by the scheduler: a
//! `Scheduled Event` names its rule in `resources`, and that router's
//! selector picks the rule by that ARN, so a firing reaches exactly its
//! rule's targets.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;
use evrule::route::{
    Archive, Delivery, DeliveryResult, Destination, DropRecord, Router, RouterConfig, RouterStats,
    Rule, TargetStats,
};

use crate::inbox::{Inbox, InboxSink};
use crate::schedule::Clock;

/// Most drop records kept per bus once their router is gone.
const MAX_DROPS: usize = 1000;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where deliveries go: the configured destinations by ARN, the inbox for
/// every other ARN.
pub(crate) struct Destinations {
    pub(crate) configured: HashMap<String, Arc<dyn Destination>>,
    pub(crate) inbox: Arc<Inbox>,
    /// Whether some configured destination may block (then PutEvents routes
    /// off the async threads).
    pub(crate) blocking: bool,
}

/// Router settings shared by every bus.
#[derive(Clone, Debug)]
pub(crate) struct RouterSettings {
    pub(crate) workers: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_cap: Duration,
}

/// The router's clock, read from the server's.
struct RouterClock(Arc<dyn Clock>);

impl evrule::route::Clock for RouterClock {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

/// A dead letter sent to a configured destination is still listed among
/// the inbox's dead letters.
struct Noted {
    inner: Arc<dyn Destination>,
    inbox: Arc<Inbox>,
    arn: String,
}

impl Destination for Noted {
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult {
        let result = self.inner.deliver(delivery);
        if result == DeliveryResult::Ok && delivery.dead_letter.is_some() {
            self.inbox.note_dead_letter(delivery, &self.arn);
        }
        result
    }

    fn non_blocking(&self) -> bool {
        self.inner.non_blocking()
    }
}

/// An archive of the bus and its counters.
pub(crate) struct ArchiveSlot {
    pub(crate) archive: Mutex<Archive>,
    pub(crate) events: AtomicU64,
    pub(crate) bytes: AtomicU64,
}

/// The rule sets the routers are built from.
#[derive(Default)]
struct RuleSets {
    /// Rules with an event pattern.
    events: Vec<Rule>,
    /// Rules with a schedule, without their patterns.
    scheduled: Vec<Rule>,
}

/// Counters of routers that are gone.
#[derive(Default)]
struct Totals {
    events: u64,
    matched: u64,
    targets: Vec<TargetStats>,
    drops: Vec<DropRecord>,
}

impl Totals {
    fn add(&mut self, stats: RouterStats) {
        self.events += stats.events;
        self.matched += stats.matched;
        for t in stats.targets {
            match self
                .targets
                .iter_mut()
                .find(|o| o.rule == t.rule && o.target_id == t.target_id)
            {
                Some(o) => {
                    o.delivered += t.delivered;
                    o.retried += t.retried;
                    o.dead_lettered += t.dead_lettered;
                    o.dropped += t.dropped;
                }
                None => self.targets.push(t),
            }
        }
        self.drops.extend(stats.drops);
        if self.drops.len() > MAX_DROPS {
            let extra = self.drops.len() - MAX_DROPS;
            self.drops.drain(..extra);
        }
    }
}

/// The routers and archives of one bus.
pub(crate) struct Engine {
    account: String,
    region: String,
    destinations: Arc<Destinations>,
    settings: RouterSettings,
    clock: Arc<dyn Clock>,
    events: ArcSwapOption<Router>,
    scheduled: ArcSwapOption<Router>,
    latest: Mutex<Arc<RuleSets>>,
    /// Bumped by every change of rules; `built` is the generation the
    /// routers in place were built from. A request that sees them differ
    /// waits for the rebuild, so it never routes with no router or an old one.
    generation: AtomicU64,
    built: AtomicU64,
    build: Mutex<()>,
    retiring: Mutex<Vec<Arc<Router>>>,
    totals: Mutex<Totals>,
    pub(crate) archives: RwLock<Vec<(String, Arc<ArchiveSlot>)>>,
}

/// What the routers of a bus did, for the shutdown report.
#[derive(Default)]
pub(crate) struct EngineReport {
    pub(crate) undelivered: Vec<DropRecord>,
    pub(crate) stats: RouterStats,
}

impl Engine {
    pub(crate) fn new(
        account: &str,
        region: &str,
        destinations: Arc<Destinations>,
        settings: RouterSettings,
        clock: Arc<dyn Clock>,
    ) -> Engine {
        Engine {
            account: account.to_string(),
            region: region.to_string(),
            destinations,
            settings,
            clock,
            events: ArcSwapOption::empty(),
            scheduled: ArcSwapOption::empty(),
            latest: Mutex::new(Arc::new(RuleSets::default())),
            generation: AtomicU64::new(0),
            built: AtomicU64::new(0),
            build: Mutex::new(()),
            retiring: Mutex::new(Vec::new()),
            totals: Mutex::new(Totals::default()),
            archives: RwLock::new(Vec::new()),
        }
    }

    /// Note the bus's rules; the routers are rebuilt before the next event.
    /// `rules` carry their patterns; `scheduled` lists the names of rules
    /// that have a schedule.
    pub(crate) fn set_rules(&self, rules: Vec<Rule>, scheduled: &HashSet<String>) {
        let mut sets = RuleSets::default();
        for rule in rules {
            if scheduled.contains(&rule.name) {
                let mut r = rule.clone();
                r.event_pattern = None;
                sets.scheduled.push(r);
            }
            if rule.event_pattern.is_some() {
                sets.events.push(rule);
            }
        }
        let mut latest = lock(&self.latest);
        *latest = Arc::new(sets);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn config(&self) -> RouterConfig {
        RouterConfig::new()
            .workers(self.settings.workers)
            .queue_capacity(self.settings.queue_capacity)
            .backoff(self.settings.backoff_base, self.settings.backoff_cap)
            .region(self.region.clone())
            .account(self.account.clone())
    }

    /// A router over `rules`, with every ARN resolved to its destination.
    fn build_router(&self, rules: Vec<Rule>, by_resource: bool) -> Result<Router, evrule::Error> {
        let d = &self.destinations;
        let mut builder = Router::builder()
            .config(self.config())
            .clock(RouterClock(Arc::clone(&self.clock)))
            .fallback_destination(Arc::new(InboxSink {
                inbox: Arc::clone(&d.inbox),
                arn: None,
            }));
        let mut seen = HashSet::new();
        for rule in &rules {
            for t in &rule.targets {
                if seen.insert(t.arn.clone()) {
                    if let Some(dest) = d.configured.get(&t.arn) {
                        builder = builder.destination(t.arn.clone(), Arc::clone(dest));
                    }
                }
                if let Some(dlq) = &t.dead_letter_config {
                    if !seen.insert(dlq.arn.clone()) {
                        continue;
                    }
                    let dest: Arc<dyn Destination> = match d.configured.get(&dlq.arn) {
                        Some(inner) => Arc::new(Noted {
                            inner: Arc::clone(inner),
                            inbox: Arc::clone(&d.inbox),
                            arn: dlq.arn.clone(),
                        }),
                        None => Arc::new(InboxSink {
                            inbox: Arc::clone(&d.inbox),
                            arn: Some(dlq.arn.clone()),
                        }),
                    };
                    builder = builder.destination(dlq.arn.clone(), dest);
                }
            }
        }
        if by_resource {
            let arns: HashMap<String, String> = rules
                .iter()
                .map(|r| (r.arn(&self.region, &self.account), r.name.clone()))
                .collect();
            builder = builder.selector(move |event: &[u8]| {
                let value: serde_json::Value = serde_json::from_slice(event).unwrap_or_default();
                let rule = value["resources"][0]
                    .as_str()
                    .and_then(|arn| arns.get(arn))
                    .cloned();
                Ok(rule.into_iter().collect())
            });
        }
        builder.rules(rules).build()
    }

    /// Check that `rules` make a router (what validation of single fields
    /// cannot see, such as a MessageGroupId path), without keeping it.
    pub(crate) fn check_rules(&self, rules: Vec<Rule>) -> Result<(), evrule::Error> {
        let router = Router::builder()
            .config(self.config().workers(1))
            .fallback_destination(Arc::new(|_: &Delivery| DeliveryResult::Ok))
            .selector(|_: &[u8]| Ok(Vec::new()))
            .rules(rules)
            .build()?;
        drop(router.shutdown(Duration::ZERO));
        Ok(())
    }

    /// Build and swap in routers for the latest rules, if they changed.
    fn refresh(&self) {
        if self.built.load(Ordering::Acquire) == self.generation.load(Ordering::Acquire) {
            return;
        }
        let _building = lock(&self.build);
        // Read the rules and their generation together (set_rules bumps it
        // while holding `latest`).
        let (sets, generation) = {
            let latest = lock(&self.latest);
            (Arc::clone(&latest), self.generation.load(Ordering::Acquire))
        };
        if self.built.load(Ordering::Acquire) == generation {
            return;
        }
        let events = if sets.events.is_empty() {
            None
        } else {
            self.build_or_report(sets.events.clone(), false)
        };
        let scheduled = if sets.scheduled.is_empty() {
            None
        } else {
            self.build_or_report(sets.scheduled.clone(), true)
        };
        let mut retiring = lock(&self.retiring);
        retiring.extend(self.events.swap(events.map(Arc::new)));
        retiring.extend(self.scheduled.swap(scheduled.map(Arc::new)));
        drop(retiring);
        self.built.store(generation, Ordering::Release);
        self.reap();
    }

    fn build_or_report(&self, rules: Vec<Rule>, by_resource: bool) -> Option<Router> {
        match self.build_router(rules, by_resource) {
            Ok(r) => Some(r),
            Err(e) => {
                // Rules are validated when they are put, so this is a
                // resource failure (no thread could be started).
                eprintln!("evrule serve: cannot build the router of a bus: {e}");
                None
            }
        }
    }

    /// The router for events on the bus, rebuilt first if rules changed.
    pub(crate) fn router(&self) -> Option<Arc<Router>> {
        self.refresh();
        self.events.load_full()
    }

    /// The router for scheduled firings.
    pub(crate) fn schedule_router(&self) -> Option<Arc<Router>> {
        self.refresh();
        self.scheduled.load_full()
    }

    /// A router for one replay: the latest rules with patterns, only those
    /// whose ARN is in `filter` when it is given. It is retired at once, so
    /// it lives as long as its deliveries.
    pub(crate) fn replay_router(
        &self,
        filter: Option<&HashSet<String>>,
    ) -> Result<Option<Arc<Router>>, evrule::Error> {
        let sets = Arc::clone(&lock(&self.latest));
        let rules: Vec<Rule> = sets
            .events
            .iter()
            .filter(|r| filter.is_none_or(|f| f.contains(&r.arn(&self.region, &self.account))))
            .cloned()
            .collect();
        if rules.is_empty() {
            return Ok(None);
        }
        let router = Arc::new(self.build_router(rules, false)?);
        lock(&self.retiring).push(Arc::clone(&router));
        Ok(Some(router))
    }

    /// Shut down retired routers that hold nothing any more.
    pub(crate) fn reap(&self) {
        let done: Vec<Arc<Router>> = {
            let mut retiring = lock(&self.retiring);
            let (done, keep) = std::mem::take(&mut *retiring)
                .into_iter()
                .partition(|r| Arc::strong_count(r) == 1 && r.pending() == 0);
            *retiring = keep;
            done
        };
        for router in done {
            if let Ok(router) = Arc::try_unwrap(router) {
                let report = router.shutdown(Duration::ZERO);
                lock(&self.totals).add(report.stats);
            }
        }
    }

    /// Archive one event in every archive of the bus that wants it.
    pub(crate) fn archive(&self, event: &[u8], now: SystemTime) -> Result<(), evrule::Error> {
        let archives = self.archives.read().unwrap_or_else(|e| e.into_inner());
        for (_, slot) in archives.iter() {
            if lock(&slot.archive).append(event, now)? {
                slot.events.fetch_add(1, Ordering::Relaxed);
                slot.bytes.fetch_add(event.len() as u64, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Drop archived events past their archives' retention.
    pub(crate) fn prune(&self, now: SystemTime) {
        let archives = self.archives.read().unwrap_or_else(|e| e.into_inner());
        for (_, slot) in archives.iter() {
            let _ = lock(&slot.archive).prune(now);
        }
    }

    /// The drops of every router the bus had, oldest first (as far as the
    /// routers keep them).
    pub(crate) fn drops(&self) -> Vec<DropRecord> {
        let mut out = lock(&self.totals).drops.clone();
        let retiring: Vec<Arc<Router>> = lock(&self.retiring).clone();
        for r in retiring
            .iter()
            .cloned()
            .chain(self.events.load_full())
            .chain(self.scheduled.load_full())
        {
            out.extend(r.stats().drops);
        }
        out
    }

    /// Stop every router: wait up to `deadline` for their deliveries, then
    /// report what was not delivered and the counters.
    pub(crate) fn shutdown(&self, deadline: Instant) -> EngineReport {
        let mut routers: Vec<Arc<Router>> = std::mem::take(&mut *lock(&self.retiring));
        routers.extend(self.events.swap(None));
        routers.extend(self.scheduled.swap(None));
        let mut report = EngineReport::default();
        for mut router in routers {
            // A request still routing holds a reference: wait for it a little.
            let router = loop {
                match Arc::try_unwrap(router) {
                    Ok(r) => break Some(r),
                    Err(r) if Instant::now() < deadline => {
                        router = r;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break None,
                }
            };
            let Some(router) = router else { continue };
            let grace = deadline.saturating_duration_since(Instant::now());
            let r = router.shutdown(grace);
            report.undelivered.extend(r.undelivered);
            lock(&self.totals).add(r.stats);
        }
        let totals = lock(&self.totals);
        report.stats = RouterStats {
            events: totals.events,
            matched: totals.matched,
            targets: totals.targets.clone(),
            drops: totals.drops.clone(),
        };
        report
    }
}
