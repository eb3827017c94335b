//! Workers: any number of processes share the work of a bus.
//!
//! A worker runs, all on one connection:
//!
//! * a **matcher** on the bus stream's shared consumer `matchers`: for
//!   each event it renders the deliveries of its non-FIFO targets with the
//!   router's own [`Router::render`](evrule::route::Router::render),
//!   publishes one message per (rule, target) with a message id made of
//!   the event id, rule and target, waits for JetStream's
//!   acknowledgements, then acks the event. An event redelivered after a
//!   crash publishes the same ids again, and JetStream drops the
//!   duplicates within its duplicate window;
//! * when the bus has FIFO targets, the **FIFO matcher** on consumer
//!   `fifo-matcher` (one event in flight, bus-wide): FIFO deliveries are
//!   published in the order of the bus stream, whichever worker takes the
//!   event;
//! * a **delivery loop** per target it has a destination for, on the
//!   target's durable consumer (`MaxDeliver` = `MaximumRetryAttempts` +
//!   1): each message is one attempt, retried with the router's back-off
//!   through a delayed negative ack, given up by the router's rule
//!   ([`RouterConfig::settle`](evrule::route::RouterConfig::settle)) into
//!   the dead-letter stream. A FIFO target has one consumer per partition
//!   with one message in flight, so a message group's order holds however
//!   many workers there are;
//! * a **dead-letter loop** per target whose DLQ it has a destination
//!   for, handing the dead letters to it;
//! * an **advisory loop**: a delivery whose last attempt no worker
//!   finished (the worker died) is reported by JetStream in a
//!   max-deliveries advisory, which the advisory stream keeps; any worker
//!   turns it into a dead letter;
//! * a **rules watch** on the bucket: each change rebuilds the matcher
//!   and swaps it in, and starts or stops delivery loops.

/// Run `$once` (an expression giving a future of `Result<(), Error>`)
/// until it ends well or the worker stops: each error is noted as `what`,
/// then retried after a back-off of 100 ms doubling to 5 s.
macro_rules! retrying {
    ($shared:expr, $stop:expr, $what:expr, $once:expr) => {{
        let mut wait = std::time::Duration::from_millis(100);
        loop {
            match $once.await {
                Ok(()) => return,
                Err(e) => {
                    $shared.note(&format!("engine: {}: {e}; retrying", $what));
                    if $crate::worker::nap($stop, wait).await {
                        return;
                    }
                    wait = (wait * 2).min(std::time::Duration::from_secs(5));
                }
            }
        }
    }};
}

mod deliver;
mod matcher;

pub(crate) use matcher::nap;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_nats::jetstream::kv;
use evrule::route::{Destination, Router, Rule, TargetStats};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::names::{self, TargetKey};
use crate::store::renderer;
use crate::{BusConfig, Engine, Error};

pub(crate) use matcher::{acked as acked_all, plan, send as send_planned, Planned};

/// The rules a worker matches with now.
pub(crate) struct Snapshot {
    pub(crate) router: Option<Router>,
    pub(crate) rules: BTreeMap<String, Rule>,
    /// When the first rule with a FIFO target was stored, if any.
    pub(crate) fifo_since: Option<SystemTime>,
}

/// Counters of one worker (its share of the bus's work).
///
/// ```
/// let s = evrule_engine::WorkerStats::default();
/// assert_eq!(s.events, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Events this worker matched.
    pub events: u64,
    /// Of those, events that matched a rule.
    pub matched: u64,
    /// Delivery messages it published.
    pub published: u64,
    /// Per target: delivered, retried, dead-lettered (handed to the DLQ
    /// destination), dropped (given up without a DLQ, or the DLQ refused).
    pub targets: Vec<TargetStats>,
}

#[derive(Default)]
pub(crate) struct Stats {
    events: AtomicU64,
    matched: AtomicU64,
    published: AtomicU64,
    targets: Mutex<BTreeMap<(String, String), TargetStats>>,
}

/// Which counter of a target to bump.
#[derive(Clone, Copy)]
pub(crate) enum Count {
    Delivered,
    Retried,
    DeadLettered,
    Dropped,
}

impl Stats {
    pub(crate) fn count(&self, rule: &str, target: &str, what: Count) {
        let mut t = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        let s = t
            .entry((rule.to_string(), target.to_string()))
            .or_insert_with(|| TargetStats {
                rule: rule.to_string(),
                target_id: target.to_string(),
                ..TargetStats::default()
            });
        match what {
            Count::Delivered => s.delivered += 1,
            Count::Retried => s.retried += 1,
            Count::DeadLettered => s.dead_lettered += 1,
            Count::Dropped => s.dropped += 1,
        }
    }

    fn snapshot(&self) -> WorkerStats {
        WorkerStats {
            events: self.events.load(Ordering::Relaxed),
            matched: self.matched.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            targets: self
                .targets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .cloned()
                .collect(),
        }
    }
}

/// What every loop of a worker shares.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) bus: String,
    pub(crate) destinations: HashMap<String, Arc<dyn Destination>>,
    pub(crate) fallback: Option<Arc<dyn Destination>>,
    pub(crate) concurrency: usize,
    pub(crate) snapshot: watch::Receiver<Arc<Snapshot>>,
    pub(crate) stats: Stats,
    /// The rules bucket revision seen last.
    pub(crate) revision: AtomicU64,
    rng: AtomicU64,
}

impl Shared {
    pub(crate) fn destination(&self, arn: &str) -> Option<Arc<dyn Destination>> {
        self.destinations
            .get(arn)
            .or(self.fallback.as_ref())
            .cloned()
    }

    pub(crate) fn random(&self) -> u64 {
        let mut z = self.rng.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn note(&self, message: &str) {
        self.engine.inner.config.note(message);
    }
}

/// Collects a worker's destinations and settings; see the module docs.
///
/// ```no_run
/// # async fn run(engine: evrule_engine::Engine) -> Result<(), evrule_engine::Error> {
/// use std::sync::Arc;
/// use evrule::route::{Delivery, DeliveryResult};
/// let worker = engine
///     .worker("default")
///     .destination("arn:aws:sqs:us-east-1:123456789012:orders",
///                  Arc::new(|d: &Delivery| { println!("{}", d.body); DeliveryResult::Ok }))
///     .start()
///     .await?;
/// let stats = worker.stop(std::time::Duration::from_secs(10)).await;
/// # Ok(()) }
/// ```
pub struct WorkerBuilder {
    engine: Engine,
    bus: String,
    bus_config: BusConfig,
    destinations: HashMap<String, Arc<dyn Destination>>,
    fallback: Option<Arc<dyn Destination>>,
    concurrency: usize,
}

impl Engine {
    /// A worker for bus `bus`.
    pub fn worker(&self, bus: &str) -> WorkerBuilder {
        WorkerBuilder {
            engine: self.clone(),
            bus: bus.to_string(),
            bus_config: BusConfig::new(),
            destinations: HashMap::new(),
            fallback: None,
            concurrency: 4,
        }
    }
}

impl WorkerBuilder {
    /// Deliver to `destination` for target (or dead-letter) ARN `arn`.
    /// A worker consumes only the targets it has destinations for; the
    /// deliveries of others wait, durably, for a worker that has.
    pub fn destination(
        mut self,
        arn: impl Into<String>,
        destination: Arc<dyn Destination>,
    ) -> Self {
        self.destinations.insert(arn.into(), destination);
        self
    }

    /// The destination for every ARN without its own.
    pub fn fallback_destination(mut self, destination: Arc<dyn Destination>) -> Self {
        self.fallback = Some(destination);
        self
    }

    /// Deliveries in flight per target and worker (at least 1; 4 by
    /// default). A FIFO partition always has one.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The bus's settings, used if this worker creates its stream.
    pub fn bus_config(mut self, config: BusConfig) -> Self {
        self.bus_config = config;
        self
    }

    /// Load the bus's rules, then start every loop.
    pub async fn start(self) -> Result<Worker, Error> {
        let engine = self.engine;
        engine.bus(&self.bus, self.bus_config).await?;
        let store = engine.rules().await?;
        let mut entries = BTreeMap::new();
        let prefix = names::rule_keys(&self.bus);
        let prefix = prefix.trim_end_matches('>').to_string();
        let mut keys = store
            .bucket()
            .keys()
            .await
            .map_err(|e| Error::nats("cannot list rules", e))?;
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| Error::nats("cannot list rules", e))?;
            if !key.starts_with(&prefix) {
                continue;
            }
            if let Some(entry) = store
                .bucket()
                .entry(&key)
                .await
                .map_err(|e| Error::nats("cannot read rules", e))?
            {
                entries.insert(key, entry);
            }
        }
        let config = &engine.inner.config;
        let mut rules = RuleState::default();
        for (_, entry) in entries {
            rules.apply(config, entry);
        }
        let (tx, rx) = watch::channel(Arc::new(rules.snapshot(config)));
        let shared = Arc::new(Shared {
            engine: engine.clone(),
            bus: self.bus,
            destinations: self.destinations,
            fallback: self.fallback,
            concurrency: self.concurrency,
            snapshot: rx,
            stats: Stats::default(),
            revision: AtomicU64::new(rules.revision),
            rng: AtomicU64::new(codec_seed()),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(matcher::run_matchers(shared.clone(), stop_rx.clone())),
            tokio::spawn(deliver::run_advisories(shared.clone(), stop_rx.clone())),
            tokio::spawn(watch_rules(
                shared.clone(),
                store.bucket().clone(),
                rules,
                tx,
                stop_rx,
            )),
        ];
        Ok(Worker {
            shared,
            stop: stop_tx,
            tasks,
        })
    }
}

fn codec_seed() -> u64 {
    let t = crate::codec::nanos(SystemTime::now());
    t ^ (u64::from(std::process::id()) << 32)
}

/// A running worker. [`Worker::stop`] ends it; dropping it aborts its
/// loops at once (what was in flight is redelivered after the lease).
pub struct Worker {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("bus", &self.shared.bus)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// The counters now.
    pub fn stats(&self) -> WorkerStats {
        self.shared.stats.snapshot()
    }

    /// Names of the rules the worker matches with now.
    pub fn rule_names(&self) -> Vec<String> {
        self.shared
            .snapshot
            .borrow()
            .rules
            .keys()
            .cloned()
            .collect()
    }

    /// The rules bucket revision the worker's matcher reflects.
    pub fn rules_revision(&self) -> u64 {
        self.shared.revision.load(Ordering::Relaxed)
    }

    /// Stop taking work, let deliveries in flight end (up to `grace`),
    /// then stop. Messages taken but not finished are redelivered to
    /// other workers after the lease.
    pub async fn stop(mut self, grace: Duration) -> WorkerStats {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        for task in &mut self.tasks {
            if tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                task.abort();
            }
        }
        self.shared.stats.snapshot()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The rules as the bucket holds them, with what the snapshot needs.
#[derive(Default)]
struct RuleState {
    rules: BTreeMap<String, (Rule, SystemTime)>,
    revision: u64,
}

impl RuleState {
    /// Apply one bucket entry; true when the rules changed.
    fn apply(&mut self, config: &crate::EngineConfig, entry: kv::Entry) -> bool {
        self.revision = self.revision.max(entry.revision);
        let Some((_, name)) = names::parse_rule_key(&entry.key) else {
            return false;
        };
        match entry.operation {
            kv::Operation::Put => {
                match crate::codec::rule_from_bytes(&entry.value, config.max_targets) {
                    Ok(rule) => {
                        let created = SystemTime::from(entry.created);
                        let changed = self.rules.get(&name).map(|(r, _)| r) != Some(&rule);
                        self.rules.insert(name, (rule, created));
                        changed
                    }
                    Err(e) => {
                        config.note(&format!(
                            "engine: skipping rule {name} from the bucket: {e}"
                        ));
                        self.rules.remove(&name).is_some()
                    }
                }
            }
            kv::Operation::Delete | kv::Operation::Purge => self.rules.remove(&name).is_some(),
        }
    }

    /// Compile the rules; a rule the router refuses is left out, noted.
    fn snapshot(&self, config: &crate::EngineConfig) -> Snapshot {
        let mut rules: BTreeMap<String, Rule> = self
            .rules
            .iter()
            .map(|(k, (r, _))| (k.clone(), r.clone()))
            .collect();
        let router = loop {
            match renderer(rules.values().cloned().collect(), &config.router) {
                Ok(r) => break Some(r),
                Err(e) => match e.rule().map(str::to_string) {
                    Some(bad) if rules.remove(&bad).is_some() => {
                        config.note(&format!("engine: skipping rule {bad}: {e}"));
                    }
                    _ => {
                        config.note(&format!("engine: cannot compile the rules: {e}"));
                        break None;
                    }
                },
            }
        };
        let fifo_since = self
            .rules
            .values()
            .filter(|(r, _)| rules.contains_key(&r.name) && r.targets.iter().any(|t| t.is_fifo()))
            .map(|(_, created)| *created)
            .min();
        Snapshot {
            router,
            rules,
            fifo_since,
        }
    }
}

/// What should run for the current rules: consumer name -> loop.
#[derive(Clone)]
pub(crate) struct LoopSpec {
    pub(crate) kind: LoopKind,
    pub(crate) filter: String,
    pub(crate) max_deliver: i64,
    pub(crate) max_ack_pending: i64,
    pub(crate) destination: Arc<dyn Destination>,
    /// Consumers of the same target that must not exist beside this one.
    pub(crate) conflicts: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LoopKind {
    Target,
    DeadLetter,
}

impl LoopSpec {
    fn same(&self, other: &LoopSpec) -> bool {
        self.kind == other.kind
            && self.filter == other.filter
            && self.max_deliver == other.max_deliver
            && self.max_ack_pending == other.max_ack_pending
            && Arc::ptr_eq(&self.destination, &other.destination)
    }
}

fn desired(shared: &Shared, snapshot: &Snapshot) -> BTreeMap<String, LoopSpec> {
    let partitions = shared.engine.inner.config.fifo_partitions;
    let mut out = BTreeMap::new();
    for rule in snapshot.rules.values() {
        for t in &rule.targets {
            let key = TargetKey::new(&shared.bus, &rule.name, &t.id);
            if let Some(dest) = shared.destination(&t.arn) {
                // The attempts, and one delivery more on which a worker gives
                // up for an attempt whose worker died without a word.
                let max_deliver = i64::from(t.retry_policy.maximum_retry_attempts) + 2;
                if t.is_fifo() {
                    for k in 0..partitions {
                        out.insert(
                            key.consumer(Some(k)),
                            LoopSpec {
                                kind: LoopKind::Target,
                                filter: key.subject(k),
                                max_deliver,
                                max_ack_pending: 1,
                                destination: dest.clone(),
                                conflicts: vec![key.consumer(None)],
                            },
                        );
                    }
                } else {
                    out.insert(
                        key.consumer(None),
                        LoopSpec {
                            kind: LoopKind::Target,
                            filter: key.subjects(),
                            max_deliver,
                            max_ack_pending: 1000,
                            destination: dest.clone(),
                            conflicts: (0..partitions).map(|k| key.consumer(Some(k))).collect(),
                        },
                    );
                }
            }
            if let Some(dlq) = &t.dead_letter_config {
                if let Some(dest) = shared.destination(&dlq.arn) {
                    out.insert(
                        key.dead_consumer(),
                        LoopSpec {
                            kind: LoopKind::DeadLetter,
                            filter: key.dead_subject(),
                            max_deliver: -1,
                            max_ack_pending: 1000,
                            destination: dest,
                            conflicts: Vec::new(),
                        },
                    );
                }
            }
        }
    }
    out
}

struct Running {
    spec: LoopSpec,
    stop: watch::Sender<bool>,
    task: Owned,
}

/// A task that ends with its owner: dropped (the worker aborted), it is
/// aborted too.
pub(crate) struct Owned(pub(crate) JoinHandle<()>);

impl Owned {
    async fn join(mut self) {
        let _ = (&mut self.0).await;
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Watch the bucket, swap the matcher, start and stop loops.
async fn watch_rules(
    shared: Arc<Shared>,
    bucket: kv::Store,
    mut rules: RuleState,
    tx: watch::Sender<Arc<Snapshot>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut running: HashMap<String, Running> = HashMap::new();
    let mut fifo: Option<(watch::Sender<bool>, Owned)> = None;
    reconcile(&shared, &mut running, &mut fifo, &stop).await;
    let filter = names::rule_keys(&shared.bus);
    let mut wait = Duration::from_millis(100);
    'outer: loop {
        if *stop.borrow() {
            break;
        }
        let watch = tokio::select! {
            _ = stop.changed() => break,
            w = bucket.watch_with_history(&filter) => w,
        };
        let mut watch = match watch {
            Ok(w) => {
                wait = Duration::from_millis(100);
                w
            }
            Err(e) => {
                shared.note(&format!(
                    "engine: cannot watch the rules bucket ({e}); retrying"
                ));
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        // The watch starts with the latest value of every key: the state
        // is rebuilt from it, so deletions missed while away count too.
        let mut fresh: Option<RuleState> = Some(RuleState {
            revision: rules.revision,
            ..RuleState::default()
        });
        loop {
            let next = tokio::select! {
                _ = stop.changed() => break 'outer,
                n = watch.next() => n,
            };
            let mut changed = false;
            let mut batch = Vec::new();
            match next {
                Some(Ok(entry)) => batch.push(entry),
                Some(Err(e)) => {
                    shared.note(&format!(
                        "engine: the rules watch failed ({e}); watching again"
                    ));
                    continue 'outer;
                }
                None => continue 'outer,
            }
            // Take what else is already there, to compile once per burst.
            while let Ok(Some(Ok(entry))) =
                tokio::time::timeout(Duration::from_millis(2), watch.next()).await
            {
                batch.push(entry);
            }
            for entry in batch {
                let current = entry.delta == 0;
                match fresh.as_mut() {
                    Some(f) => {
                        f.apply(&shared.engine.inner.config, entry);
                        if current {
                            let f = fresh.take().unwrap_or_default();
                            changed |= f.rules.keys().ne(rules.rules.keys())
                                || f.rules
                                    .iter()
                                    .zip(rules.rules.iter())
                                    .any(|(a, b)| a.1 .0 != b.1 .0);
                            rules = f;
                        }
                    }
                    None => changed |= rules.apply(&shared.engine.inner.config, entry),
                }
            }
            if changed {
                let snap = Arc::new(rules.snapshot(&shared.engine.inner.config));
                shared.note(&format!(
                    "engine: bus {}: rules changed; matching with {} rule(s) now",
                    shared.bus,
                    snap.rules.len()
                ));
                let _ = tx.send(snap);
                reconcile(&shared, &mut running, &mut fifo, &stop).await;
            }
            shared.revision.store(rules.revision, Ordering::Relaxed);
        }
    }
    for (_, r) in running.drain() {
        let _ = r.stop.send(true);
        r.task.join().await;
    }
    if let Some((stop, task)) = fifo {
        let _ = stop.send(true);
        task.join().await;
    }
}

/// Start, restart and stop loops to match the current rules.
async fn reconcile(
    shared: &Arc<Shared>,
    running: &mut HashMap<String, Running>,
    fifo: &mut Option<(watch::Sender<bool>, Owned)>,
    stop: &watch::Receiver<bool>,
) {
    if *stop.borrow() {
        return;
    }
    let snapshot = shared.snapshot.borrow().clone();
    let want = desired(shared, &snapshot);
    let gone: Vec<String> = running
        .iter()
        .filter(|(name, r)| want.get(*name).is_none_or(|w| !w.same(&r.spec)))
        .map(|(name, _)| name.clone())
        .collect();
    for name in gone {
        if let Some(r) = running.remove(&name) {
            let _ = r.stop.send(true);
            r.task.join().await;
        }
    }
    for (name, spec) in want {
        if running.contains_key(&name) {
            continue;
        }
        let (tx, rx) = watch::channel(false);
        let task = Owned(tokio::spawn(deliver::run_loop(
            shared.clone(),
            name.clone(),
            spec.clone(),
            rx,
        )));
        running.insert(
            name,
            Running {
                spec,
                stop: tx,
                task,
            },
        );
    }
    match (snapshot.fifo_since, fifo.is_some()) {
        (Some(since), false) => {
            let (tx, rx) = watch::channel(false);
            let task = Owned(tokio::spawn(matcher::run_fifo_matcher(
                shared.clone(),
                since,
                rx,
            )));
            *fifo = Some((tx, task));
        }
        (None, true) => {
            if let Some((stop, task)) = fifo.take() {
                let _ = stop.send(true);
                task.join().await;
            }
            // Without FIFO targets the consumer would fall behind; the
            // next FIFO rule starts a new one from its own creation time.
            if let Ok(s) =
                crate::setup::stream(&shared.engine, &names::bus_stream(&shared.bus)).await
            {
                let _ = s.delete_consumer(names::FIFO_MATCHER).await;
            }
        }
        _ => {}
    }
}
