//! Delivery: fan-out, retries with back-off, dead letters, FIFO order.
//!
//! [`Router::route`] matches an event, renders the input of every target
//! of every matched enabled rule on the caller's thread, and queues one
//! task per target (all of an event's tasks under one lock). A fixed pool
//! of worker threads takes tasks from a bounded queue (the caller blocks
//! while it is full) and calls the target's [`Destination`], reusing one
//! [`Delivery`] value per target. Targets are independent: each task
//! retries on its own schedule, so a failing target only ever delays
//! itself. The condition variables are signalled only when a thread waits
//! on them (each signal is a system call).
//!
//! A destination that says it is [non-blocking](Destination::non_blocking)
//! gets the first attempt of a non-FIFO target's delivery on the routing
//! thread instead; a failed attempt becomes a task that a worker settles
//! (retry, dead letter or drop) exactly as if it had made the attempt.
//!
//! A retryable failure is retried after an exponential back-off with
//! jitter (`base * 2^(n-1)`, capped, then a random point in its upper
//! half), while `MaximumRetryAttempts` and `MaximumEventAgeInSeconds`
//! allow. A waiting retry does not hold a worker: it sits in a timer heap
//! that workers drain when it is due. An exhausted or permanently failed
//! delivery goes to the target's dead-letter destination with a
//! [`DeadLetter`] reason; without one it is counted as dropped and kept in
//! [`RouterStats::drops`], never lost silently.
//!
//! FIFO targets (a `MessageGroupId`, or an ARN ending in `.fifo`) have one
//! lane per message group: the lane's next event is queued only when the
//! previous one is finished (delivered, dead-lettered or dropped), so
//! order holds even across retries, while other lanes and targets go on.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Kind};
use crate::route::archive::Archive;
use crate::route::model::{Rule, RuleState, Target};
use crate::route::path::JsonPath;
use crate::route::raw::{self, PathSet};
use crate::route::transform::{Binding, RenderContext, TargetInput};
use crate::{Cache, Config as MatcherConfig, Matcher, RuleId};

/// Most drop records kept in [`RouterStats::drops`]; counters keep counting.
const MAX_DROP_RECORDS: usize = 1000;

/// Chooses the rules an event matches; the seam between routing and
/// matching. [`Matcher`] implements it, and so does any
/// `Fn(&[u8]) -> Result<Vec<String>, Error>`, which is handy in tests.
///
/// ```
/// use evrule::route::RuleSelector;
/// let always = |_: &[u8]| Ok(vec!["orders".to_string()]);
/// assert_eq!(always.select(b"{}")?, ["orders"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RuleSelector: Send + Sync {
    /// Names of the rules `event` matches.
    fn select(&self, event: &[u8]) -> Result<Vec<String>, Error>;
}

impl<F> RuleSelector for F
where
    F: Fn(&[u8]) -> Result<Vec<String>, Error> + Send + Sync,
{
    fn select(&self, event: &[u8]) -> Result<Vec<String>, Error> {
        self(event)
    }
}

impl RuleSelector for Matcher {
    fn select(&self, event: &[u8]) -> Result<Vec<String>, Error> {
        Ok(self.matches(event)?.into_iter().map(String::from).collect())
    }
}

/// The source of "now" for ingestion times and event ages. Back-off
/// waits always use the monotonic clock; tests swap this one to age
/// events without waiting.
///
/// ```
/// use evrule::route::{Clock, SystemClock};
/// assert!(SystemClock.now() > std::time::UNIX_EPOCH);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The real wall clock.
///
/// ```
/// use evrule::route::Clock;
/// let _ = evrule::route::SystemClock.now();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// One attempt to hand an event to a target (or, with
/// [`Delivery::dead_letter`] set, to a dead-letter destination).
///
/// ```
/// use evrule::route::{Delivery, DeliveryResult, Destination};
/// struct Print;
/// impl Destination for Print {
///     fn deliver(&self, d: &Delivery) -> DeliveryResult {
///         println!("{} #{} -> {}: {}", d.rule, d.attempt, d.target_id, d.body);
///         DeliveryResult::Ok
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Name of the matched rule.
    pub rule: String,
    /// ARN of the matched rule.
    pub rule_arn: String,
    /// Id of the target.
    pub target_id: String,
    /// ARN of the target (for a dead letter, still the failed target's).
    pub target_arn: String,
    /// What to send: the rendered input, or for a dead letter the original
    /// event.
    pub body: String,
    /// The message group, for FIFO targets.
    pub message_group_id: Option<String>,
    /// 1 for the first attempt, 2 for the first retry, ...; for a dead
    /// letter, the attempts made at the target (as [`DeadLetter::attempts`],
    /// 0 when its input could not be built).
    pub attempt: u32,
    /// When the event was received.
    pub ingestion_time: SystemTime,
    /// Why this is a dead letter; `None` for a normal delivery.
    pub dead_letter: Option<DeadLetter>,
}

/// What a destination says about one attempt.
///
/// ```
/// use evrule::route::DeliveryResult;
/// let r = DeliveryResult::Retryable("throttled".into());
/// assert_ne!(r, DeliveryResult::Ok);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryResult {
    /// Delivered.
    Ok,
    /// Failed; trying again may help (throttling, timeouts, 5xx).
    Retryable(String),
    /// Failed; trying again will not help (no such resource, 4xx).
    Permanent(String),
}

/// Where a target's deliveries go: a queue, a function, a file, a test
/// double. Called from worker threads, possibly concurrently.
///
/// ```
/// use std::sync::Mutex;
/// use evrule::route::{Delivery, DeliveryResult, Destination};
/// #[derive(Default)]
/// struct Collect(Mutex<Vec<String>>);
/// impl Destination for Collect {
///     fn deliver(&self, d: &Delivery) -> DeliveryResult {
///         self.0.lock().unwrap().push(d.body.clone());
///         DeliveryResult::Ok
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Destination: Send + Sync {
    /// Try to deliver once.
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult;

    /// Whether [`deliver`](Destination::deliver) is quick and never
    /// blocks (an in-memory queue, a counter). The router then makes the
    /// first attempt of a non-FIFO target's delivery on the thread that
    /// calls [`Router::route`], sparing the hand-off to a worker; should
    /// that attempt fail, the retries and the dead-letter handling go
    /// through the workers as usual. `false` unless overridden.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use evrule::route::{Delivery, DeliveryResult, Destination};
    /// struct Count(AtomicU64);
    /// impl Destination for Count {
    ///     fn deliver(&self, _: &Delivery) -> DeliveryResult {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///         DeliveryResult::Ok
    ///     }
    ///     fn non_blocking(&self) -> bool {
    ///         true
    ///     }
    /// }
    /// assert!(Count(AtomicU64::new(0)).non_blocking());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn non_blocking(&self) -> bool {
        false
    }
}

/// Which limit ended the attempts at a delivery.
///
/// ```
/// use evrule::route::ExhaustedLimit;
/// assert_eq!(ExhaustedLimit::MaximumRetryAttempts.as_str(), "MaximumRetryAttempts");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExhaustedLimit {
    /// `MaximumRetryAttempts` retries were made.
    MaximumRetryAttempts,
    /// The event grew older than `MaximumEventAgeInSeconds`.
    MaximumEventAgeInSeconds,
    /// The failure was permanent (or the input could not be rendered), so
    /// no retry was made.
    NotRetryable,
    /// The router shut down first.
    Shutdown,
}

impl ExhaustedLimit {
    /// A stable name.
    ///
    /// ```
    /// assert_eq!(evrule::route::ExhaustedLimit::Shutdown.as_str(), "Shutdown");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ExhaustedLimit::MaximumRetryAttempts => "MaximumRetryAttempts",
            ExhaustedLimit::MaximumEventAgeInSeconds => "MaximumEventAgeInSeconds",
            ExhaustedLimit::NotRetryable => "NotRetryable",
            ExhaustedLimit::Shutdown => "Shutdown",
        }
    }
}

/// Why a delivery was given up, sent along with a dead letter and kept for
/// drops.
///
/// Error codes: `TARGET_ERROR` (the destination failed),
/// `INVALID_TARGET_INPUT` (the input could not be rendered, e.g. a
/// transformer produced invalid JSON), `SHUTDOWN`.
///
/// ```
/// use evrule::route::{DeadLetter, ExhaustedLimit};
/// let d = DeadLetter {
///     error_code: "TARGET_ERROR".into(), error_message: "503".into(),
///     rule: "r".into(), target_id: "t".into(), target_arn: "arn:t".into(),
///     attempts: 3, limit: ExhaustedLimit::MaximumRetryAttempts,
/// };
/// assert_eq!(d.attempts, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// A short code (see the type's docs).
    pub error_code: String,
    /// The last failure reason.
    pub error_message: String,
    /// Name of the rule.
    pub rule: String,
    /// Id of the target.
    pub target_id: String,
    /// ARN of the target.
    pub target_arn: String,
    /// Attempts made (0 when the input could not be rendered).
    pub attempts: u32,
    /// The limit that ran out.
    pub limit: ExhaustedLimit,
}

/// Router settings. Setters take and return `Self`.
///
/// ```
/// use std::time::Duration;
/// let c = evrule::route::RouterConfig::new()
///     .workers(2)
///     .queue_capacity(64)
///     .backoff(Duration::from_millis(1), Duration::from_millis(5))
///     .region("eu-west-1")
///     .account("111122223333");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RouterConfig {
    workers: usize,
    queue_capacity: usize,
    backoff_base: Duration,
    backoff_cap: Duration,
    region: String,
    account: String,
}

impl Default for RouterConfig {
    fn default() -> RouterConfig {
        RouterConfig::new()
    }
}

impl RouterConfig {
    /// 4 workers, 1024 queued tasks, back-off from 1 s capped at 5 min,
    /// region `us-east-1`, account `123456789012`.
    ///
    /// ```
    /// let _ = evrule::route::RouterConfig::new();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> RouterConfig {
        RouterConfig {
            workers: 4,
            queue_capacity: 1024,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    /// Worker threads (at least 1).
    ///
    /// ```
    /// let _ = evrule::route::RouterConfig::new().workers(8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Tasks waiting to start (including FIFO tasks waiting for their
    /// lane) before [`Router::route`] blocks. At least 1.
    ///
    /// ```
    /// let _ = evrule::route::RouterConfig::new().queue_capacity(16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// Back-off before retry n: `base * 2^(n-1)`, at most `cap`, then a
    /// random point in its upper half.
    ///
    /// ```
    /// use std::time::Duration;
    /// let _ = evrule::route::RouterConfig::new()
    ///     .backoff(Duration::from_millis(1), Duration::from_millis(10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap.max(base);
        self
    }

    /// Region used in rule ARNs.
    ///
    /// ```
    /// let _ = evrule::route::RouterConfig::new().region("eu-central-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Account used in rule ARNs.
    ///
    /// ```
    /// let _ = evrule::route::RouterConfig::new().account("111122223333");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }
}

/// Counters of one target.
///
/// ```
/// let s = evrule::route::TargetStats::default();
/// assert_eq!(s.delivered + s.retried + s.dead_lettered + s.dropped, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetStats {
    /// Rule name.
    pub rule: String,
    /// Target id.
    pub target_id: String,
    /// Events delivered.
    pub delivered: u64,
    /// Retries scheduled (attempts after the first).
    pub retried: u64,
    /// Events handed to the dead-letter destination.
    pub dead_lettered: u64,
    /// Events given up with nowhere to go (no dead-letter destination, it
    /// failed too, or shutdown came first).
    pub dropped: u64,
}

/// An event a target did not get and no dead-letter destination took.
///
/// ```
/// use evrule::route::{DeadLetter, DropRecord, ExhaustedLimit};
/// let d = DropRecord { reason: DeadLetter {
///     error_code: "SHUTDOWN".into(), error_message: "".into(), rule: "r".into(),
///     target_id: "t".into(), target_arn: "arn:t".into(), attempts: 0,
///     limit: ExhaustedLimit::Shutdown }, event: "{}".into() };
/// assert_eq!(d.reason.rule, "r");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropRecord {
    /// Why, and for which rule and target.
    pub reason: DeadLetter,
    /// The original event.
    pub event: String,
}

/// A snapshot of the router's counters.
///
/// ```
/// let stats = evrule::route::RouterStats::default();
/// assert!(stats.targets.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterStats {
    /// Events passed to `route`.
    pub events: u64,
    /// Events that matched at least one enabled rule.
    pub matched: u64,
    /// Per target, in rule then target order.
    pub targets: Vec<TargetStats>,
    /// The most recent drops (up to 1000), oldest first.
    pub drops: Vec<DropRecord>,
}

impl RouterStats {
    /// The counters of one target.
    ///
    /// ```
    /// assert!(evrule::route::RouterStats::default().target("r", "t").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn target(&self, rule: &str, target_id: &str) -> Option<&TargetStats> {
        self.targets
            .iter()
            .find(|t| t.rule == rule && t.target_id == target_id)
    }
}

/// What [`Router::route`] did with one event.
///
/// ```
/// let o = evrule::route::RouteOutcome::default();
/// assert_eq!(o.deliveries, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteOutcome {
    /// Matched enabled rules.
    pub rules: Vec<String>,
    /// Deliveries queued (one per target of those rules).
    pub deliveries: usize,
    /// Whether the event was written to the archive.
    pub archived: bool,
}

/// What was not delivered when the router shut down.
///
/// ```
/// let r = evrule::route::ShutdownReport::default();
/// assert!(r.undelivered.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Deliveries abandoned (also counted as dropped in `stats`).
    pub undelivered: Vec<DropRecord>,
    /// Final counters.
    pub stats: RouterStats,
}

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
    rules: Vec<Rule>,
    destinations: HashMap<String, Arc<dyn Destination>>,
    fallback: Option<Arc<dyn Destination>>,
    selector: Option<Box<dyn RuleSelector>>,
    matcher_config: Option<MatcherConfig>,
    config: RouterConfig,
    clock: Arc<dyn Clock>,
    archive: Option<Archive>,
}

impl<F> Destination for F
where
    F: Fn(&Delivery) -> DeliveryResult + Send + Sync,
{
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult {
        self(delivery)
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
                let input =
                    TargetInput::compile(target).map_err(|e| e.with_rule(rule.name.clone()))?;
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
                    .map_err(|e| Error::new(Kind::Io, format!("cannot start a worker thread: {e}")))
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

fn routing(msg: impl Into<String>) -> Error {
    Error::new(Kind::Routing, msg)
}

#[derive(Debug)]
enum GroupSpec {
    Constant(String),
    /// A path's node in [`Shared::paths`].
    Path(usize),
}

#[derive(Debug, Default)]
struct Counters {
    delivered: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
    dropped: AtomicU64,
}

struct Slot {
    /// First attempts are made on the routing thread (a non-blocking,
    /// non-FIFO destination).
    inline: bool,
    rule: usize,
    target: Target,
    input: TargetInput,
    /// Where `input` finds its values in [`Shared::paths`].
    binding: Binding,
    group: Option<GroupSpec>,
    destination: Arc<dyn Destination>,
    dead_letter: Option<Arc<dyn Destination>>,
    counters: Counters,
}

struct RuleSlot {
    rule: Rule,
    arn: String,
    targets: Vec<usize>,
    /// Position of the name among all rule names, sorted.
    rank: usize,
}

/// What a task sends.
enum Body {
    /// The event itself ([`Task::event`]).
    Event,
    /// The target's constant `Input`.
    Constant,
    /// The rendered input.
    Rendered(String),
    /// Why the input could not be rendered.
    Failed(String),
}

/// What follows an attempt.
enum Next {
    /// The task is finished (delivered, dead-lettered or dropped).
    Done(Task),
    /// Try again after the delay.
    Retry(Task, Duration),
}

/// Finished tasks kept for the routing thread to free, at most.
const MAX_DONE: usize = 4096;

/// One delivery in progress, from queueing to its end.
struct Task {
    slot: usize,
    body: Body,
    event: Arc<str>,
    ingestion_time: SystemTime,
    group: Option<String>,
    attempts: u32,
    last_error: String,
    /// The result of an attempt made on the routing thread, for a worker
    /// to act on.
    result: Option<DeliveryResult>,
}

/// Deliveries kept per target and reused, so that an attempt allocates
/// nothing: only the body, group and attempt change between them.
#[derive(Default)]
struct Deliveries(Vec<Option<Delivery>>);

impl Deliveries {
    /// The delivery for slot `s`, filled in for this attempt.
    #[allow(clippy::too_many_arguments)]
    fn fill<'d>(
        &'d mut self,
        shared: &Shared,
        s: usize,
        body: &Body,
        event: &str,
        group: &Option<String>,
        ingestion_time: SystemTime,
        attempt: u32,
    ) -> &'d Delivery {
        if self.0.len() <= s {
            self.0.resize_with(s + 1, || None);
        }
        let slot = &shared.slots[s];
        let d = self.0[s].get_or_insert_with(|| {
            let rule = &shared.rules[slot.rule];
            Delivery {
                rule: rule.rule.name.clone(),
                rule_arn: rule.arn.clone(),
                target_id: slot.target.id.clone(),
                target_arn: slot.target.arn.clone(),
                body: String::new(),
                message_group_id: None,
                attempt,
                ingestion_time,
                dead_letter: None,
            }
        });
        d.body.clear();
        d.body.push_str(match (body, &slot.input) {
            (Body::Event, _) => event,
            (Body::Constant, TargetInput::Constant(c)) => c,
            (Body::Rendered(b), _) => b,
            (Body::Constant | Body::Failed(_), _) => "",
        });
        d.message_group_id.clone_from(group);
        d.attempt = attempt;
        d.ingestion_time = ingestion_time;
        d
    }
}

struct Delayed {
    due: Instant,
    seq: u64,
    task: Task,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

#[derive(Default)]
struct Queue {
    ready: VecDeque<Task>,
    delayed: BinaryHeap<Reverse<Delayed>>,
    /// FIFO lanes that have a task in flight, with the tasks behind it.
    lanes: HashMap<(usize, String), VecDeque<Task>>,
    lane_waiting: usize,
    running: usize,
    /// Workers waiting for work: `work` is signalled only when one is.
    idle: usize,
    /// Finished tasks, freed by the next `route` (their buffers were
    /// allocated there).
    done: Vec<Task>,
    /// Threads waiting on `changed` (blocked `route`, `drain`,
    /// `shutdown`): it is signalled only when one is.
    waiters: usize,
    seq: u64,
    closed: bool,
    stop: bool,
}

impl Queue {
    fn waiting(&self) -> usize {
        self.ready.len() + self.lane_waiting
    }
    fn outstanding(&self) -> usize {
        self.waiting() + self.delayed.len() + self.running
    }
}

struct Shared {
    queue: Mutex<Queue>,
    /// Workers wait here for tasks.
    work: Condvar,
    /// `route` (queue space) and `drain` (completion) wait here.
    changed: Condvar,
    rules: Vec<RuleSlot>,
    names: HashMap<String, usize>,
    slots: Vec<Slot>,
    /// Every path any target reads, resolved once per event.
    paths: PathSet,
    config: RouterConfig,
    clock: Arc<dyn Clock>,
    rng: AtomicU64,
    events: AtomicU64,
    matched: AtomicU64,
    drops: Mutex<VecDeque<DropRecord>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking destination is caught, so poisoning means a bug in the
    // router itself; the state is still consistent enough to carry on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn jitter(&self, max: u64) -> u64 {
        // splitmix64: good enough to spread retries, no dependency.
        let mut z = self.rng.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        if max == 0 {
            0
        } else {
            z % (max + 1)
        }
    }

    fn backoff(&self, retry: u32) -> Duration {
        let base = self.config.backoff_base.as_nanos() as u64;
        let cap = self.config.backoff_cap.as_nanos() as u64;
        let exp = base
            .saturating_mul(1u64 << retry.saturating_sub(1).min(40))
            .min(cap);
        Duration::from_nanos(exp / 2 + self.jitter(exp - exp / 2))
    }

    fn age(&self, task: &Task) -> Duration {
        self.clock
            .now()
            .duration_since(task.ingestion_time)
            .unwrap_or_default()
    }

    /// Wait on `changed`, counted as a waiter.
    fn wait_changed<'q>(&self, mut q: MutexGuard<'q, Queue>) -> MutexGuard<'q, Queue> {
        q.waiters += 1;
        let mut q = self.changed.wait(q).unwrap_or_else(|e| e.into_inner());
        q.waiters -= 1;
        q
    }

    /// Wake the threads waiting on `changed`, if any.
    fn signal_changed(&self, q: &Queue) {
        if q.waiters > 0 {
            self.changed.notify_all();
        }
    }

    /// Wake idle workers for `ready` new ready tasks.
    fn signal_work(&self, q: &Queue, ready: usize) {
        match ready.min(q.idle) {
            0 => {}
            1 => self.work.notify_one(),
            _ => self.work.notify_all(),
        }
    }

    /// Queue the tasks of one event in one go (blocking while the queue is
    /// full). Returns the finished tasks, for the caller to free.
    fn submit(&self, tasks: Vec<Task>) -> Result<Vec<Task>, Error> {
        let mut q = lock(&self.queue);
        let done = std::mem::take(&mut q.done);
        let mut ready = 0;
        for task in tasks {
            while q.waiting() >= self.config.queue_capacity && !q.closed {
                // Let the workers at what is queued, then wait for space.
                self.signal_work(&q, ready);
                ready = 0;
                q = self.wait_changed(q);
            }
            if q.closed {
                return Err(routing("The router is shut down."));
            }
            if let Some(group) = &task.group {
                let key = (task.slot, group.clone());
                if let Some(lane) = q.lanes.get_mut(&key) {
                    lane.push_back(task);
                    q.lane_waiting += 1;
                    continue;
                }
                q.lanes.insert(key, VecDeque::new());
            }
            q.ready.push_back(task);
            ready += 1;
        }
        self.signal_work(&q, ready);
        Ok(done)
    }

    /// A task is finished for good: let its FIFO lane move on.
    fn finish(&self, q: &mut Queue, slot: usize, group: Option<String>) {
        if let Some(group) = group {
            let key = (slot, group);
            let next = q.lanes.get_mut(&key).and_then(VecDeque::pop_front);
            match next {
                Some(t) => {
                    q.lane_waiting -= 1;
                    q.ready.push_back(t);
                    self.signal_work(q, 1);
                }
                None => {
                    q.lanes.remove(&key);
                }
            }
        }
    }

    fn delivery(&self, task: &Task, body: String, attempt: u32) -> Delivery {
        let slot = &self.slots[task.slot];
        let rule = &self.rules[slot.rule];
        Delivery {
            rule: rule.rule.name.clone(),
            rule_arn: rule.arn.clone(),
            target_id: slot.target.id.clone(),
            target_arn: slot.target.arn.clone(),
            body,
            message_group_id: task.group.clone(),
            attempt,
            ingestion_time: task.ingestion_time,
            dead_letter: None,
        }
    }

    fn reason(&self, task: &Task, code: &str, limit: ExhaustedLimit) -> DeadLetter {
        let slot = &self.slots[task.slot];
        DeadLetter {
            error_code: code.to_string(),
            error_message: task.last_error.clone(),
            rule: self.rules[slot.rule].rule.name.clone(),
            target_id: slot.target.id.clone(),
            target_arn: slot.target.arn.clone(),
            attempts: task.attempts,
            limit,
        }
    }

    fn record_drop(&self, task: &Task, reason: DeadLetter) {
        self.slots[task.slot]
            .counters
            .dropped
            .fetch_add(1, Ordering::Relaxed);
        let mut drops = lock(&self.drops);
        if drops.len() == MAX_DROP_RECORDS {
            drops.pop_front();
        }
        drops.push_back(DropRecord {
            reason,
            event: task.event.to_string(),
        });
    }

    /// Hand a given-up task to its dead-letter destination, or drop it.
    fn dead_letter(&self, task: &Task, reason: DeadLetter) {
        let slot = &self.slots[task.slot];
        let Some(dlq) = &slot.dead_letter else {
            self.record_drop(task, reason);
            return;
        };
        // The envelope's `attempt` and its reason's `attempts` say the
        // same thing: how many times the target was tried (issue 11).
        let mut d = self.delivery(task, task.event.to_string(), reason.attempts);
        d.dead_letter = Some(reason.clone());
        match catch_unwind(AssertUnwindSafe(|| dlq.deliver(&d))) {
            Ok(DeliveryResult::Ok) => {
                slot.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
            }
            other => {
                let why = match other {
                    Ok(DeliveryResult::Retryable(r) | DeliveryResult::Permanent(r)) => r,
                    _ => "the destination panicked".to_string(),
                };
                let mut reason = reason;
                reason.error_message = format!(
                    "{} (the dead-letter destination {} failed too: {why})",
                    reason.error_message,
                    slot.target
                        .dead_letter_config
                        .as_ref()
                        .map_or("", |c| c.arn.as_str())
                );
                self.record_drop(task, reason);
            }
        }
    }

    /// Call the destination once, a panic being a permanent failure.
    fn try_once(&self, slot: &Slot, delivery: &Delivery) -> DeliveryResult {
        catch_unwind(AssertUnwindSafe(|| slot.destination.deliver(delivery)))
            .unwrap_or_else(|_| DeliveryResult::Permanent("the destination panicked".into()))
    }

    /// One attempt (or, for a task whose attempt was made on the routing
    /// thread, what follows it). Returns the task with its retry delay
    /// when it must be tried again.
    fn attempt(&self, mut task: Task, deliveries: &mut Deliveries) -> Next {
        let slot = &self.slots[task.slot];
        if let Some(result) = task.result.take() {
            return self.settle(task, result);
        }
        let policy = slot.target.retry_policy;
        let max_age = Duration::from_secs(u64::from(policy.maximum_event_age_in_seconds));
        if let Body::Failed(why) = &task.body {
            task.last_error = why.clone();
            let reason = self.reason(&task, "INVALID_TARGET_INPUT", ExhaustedLimit::NotRetryable);
            self.dead_letter(&task, reason);
            return Next::Done(task);
        }
        if task.attempts > 0 && self.age(&task) >= max_age {
            let reason = self.reason(
                &task,
                "TARGET_ERROR",
                ExhaustedLimit::MaximumEventAgeInSeconds,
            );
            self.dead_letter(&task, reason);
            return Next::Done(task);
        }
        task.attempts += 1;
        let delivery = deliveries.fill(
            self,
            task.slot,
            &task.body,
            &task.event,
            &task.group,
            task.ingestion_time,
            task.attempts,
        );
        let result = self.try_once(slot, delivery);
        self.settle(task, result)
    }

    /// Act on the result of attempt number `task.attempts`.
    fn settle(&self, mut task: Task, result: DeliveryResult) -> Next {
        let slot = &self.slots[task.slot];
        let policy = slot.target.retry_policy;
        let max_age = Duration::from_secs(u64::from(policy.maximum_event_age_in_seconds));
        match result {
            DeliveryResult::Ok => {
                slot.counters.delivered.fetch_add(1, Ordering::Relaxed);
                Next::Done(task)
            }
            DeliveryResult::Permanent(why) => {
                task.last_error = why;
                let reason = self.reason(&task, "TARGET_ERROR", ExhaustedLimit::NotRetryable);
                self.dead_letter(&task, reason);
                Next::Done(task)
            }
            DeliveryResult::Retryable(why) => {
                task.last_error = why;
                let limit = if task.attempts > policy.maximum_retry_attempts {
                    Some(ExhaustedLimit::MaximumRetryAttempts)
                } else if self.age(&task) >= max_age {
                    Some(ExhaustedLimit::MaximumEventAgeInSeconds)
                } else {
                    None
                };
                match limit {
                    Some(limit) => {
                        let reason = self.reason(&task, "TARGET_ERROR", limit);
                        self.dead_letter(&task, reason);
                        Next::Done(task)
                    }
                    None => {
                        slot.counters.retried.fetch_add(1, Ordering::Relaxed);
                        let delay = self.backoff(task.attempts);
                        Next::Retry(task, delay)
                    }
                }
            }
        }
    }

    fn stats(&self) -> RouterStats {
        RouterStats {
            events: self.events.load(Ordering::Relaxed),
            matched: self.matched.load(Ordering::Relaxed),
            targets: self
                .slots
                .iter()
                .map(|s| TargetStats {
                    rule: self.rules[s.rule].rule.name.clone(),
                    target_id: s.target.id.clone(),
                    delivered: s.counters.delivered.load(Ordering::Relaxed),
                    retried: s.counters.retried.load(Ordering::Relaxed),
                    dead_lettered: s.counters.dead_lettered.load(Ordering::Relaxed),
                    dropped: s.counters.dropped.load(Ordering::Relaxed),
                })
                .collect(),
            drops: lock(&self.drops).iter().cloned().collect(),
        }
    }
}

fn worker(shared: &Shared) {
    let mut deliveries = Deliveries::default();
    let mut q = lock(&shared.queue);
    loop {
        if q.stop {
            return;
        }
        let now = Instant::now();
        while q.delayed.peek().is_some_and(|d| d.0.due <= now) {
            let Reverse(d) = q.delayed.pop().expect("peeked");
            q.ready.push_back(d.task);
        }
        if let Some(task) = q.ready.pop_front() {
            q.running += 1;
            // Space freed: a blocked `route` may go on.
            shared.signal_changed(&q);
            drop(q);
            let (slot, group) = (task.slot, task.group.clone());
            let next = shared.attempt(task, &mut deliveries);
            q = lock(&shared.queue);
            q.running -= 1;
            match next {
                Next::Retry(task, delay) => {
                    q.seq += 1;
                    let seq = q.seq;
                    q.delayed.push(Reverse(Delayed {
                        due: Instant::now() + delay,
                        seq,
                        task,
                    }));
                    // A sleeping worker must recompute its wake-up time.
                    if q.idle > 0 {
                        shared.work.notify_one();
                    }
                }
                Next::Done(task) => {
                    shared.finish(&mut q, slot, group);
                    // Freed by the routing thread: memory goes back to the
                    // allocator arena it came from, without contention.
                    if q.done.len() < MAX_DONE {
                        q.done.push(task);
                    }
                }
            }
            shared.signal_changed(&q);
            continue;
        }
        q.idle += 1;
        q = match q.delayed.peek().map(|d| d.0.due) {
            Some(due) => {
                let wait = due.saturating_duration_since(now);
                shared
                    .work
                    .wait_timeout(q, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => shared.work.wait(q).unwrap_or_else(|e| e.into_inner()),
        };
        q.idle -= 1;
    }
}

/// Routes events to the targets of the rules they match. See the module
/// docs for the delivery model.
///
/// ```
/// use std::sync::Arc;
/// use evrule::route::{Delivery, DeliveryResult, Router, RouterConfig, Rule, Target};
/// let router = Router::builder()
///     .rule(Rule::new("r", r#"{"source": ["a"]}"#)
///         .with_target(Target::new("ok", "arn:ok"))
///         .with_target(Target::new("down", "arn:down")))
///     .destination("arn:ok", Arc::new(|_: &Delivery| DeliveryResult::Ok))
///     .destination("arn:down", Arc::new(|_: &Delivery| DeliveryResult::Permanent("gone".into())))
///     .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
///     .build()?;
/// router.route(br#"{"source": "a"}"#)?;
/// let report = router.shutdown(std::time::Duration::from_secs(10));
/// assert_eq!(report.stats.target("r", "ok").unwrap().delivered, 1);
/// assert_eq!(report.stats.target("r", "down").unwrap().dropped, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Router {
    shared: Arc<Shared>,
    selector: Selector,
    workers: Vec<JoinHandle<()>>,
    archive: Option<Mutex<Archive>>,
    /// Reusable deliveries for first attempts made on routing threads.
    inline: Mutex<Deliveries>,
}

/// How a router chooses rules.
enum Selector {
    /// The matcher compiled from the rules, asked through [`Matcher::find`]
    /// with pooled caches so that matching allocates nothing.
    Matcher {
        matcher: Box<Matcher>,
        caches: Mutex<Vec<Cache>>,
        /// Matcher id -> index of the rule, sorted by id.
        rules: Vec<(RuleId, usize)>,
    },
    /// A selector given to the builder, answering with names.
    Custom(Box<dyn RuleSelector>),
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

    /// Archive (if configured) and route one event received now.
    /// Returns once every delivery is queued; delivery itself happens on
    /// the workers. Blocks while the queue is full.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Delivery, DeliveryResult, Router, Rule, Target};
    /// let router = Router::builder()
    ///     .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
    ///     .fallback_destination(Arc::new(|_: &Delivery| DeliveryResult::Ok))
    ///     .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
    ///     .build()?;
    /// let outcome = router.route(br#"{"source": "a"}"#)?;
    /// assert_eq!((outcome.rules, outcome.deliveries), (vec!["r".to_string()], 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route(&self, event: &[u8]) -> Result<RouteOutcome, Error> {
        self.route_inner(event, self.shared.clock.now(), true)
    }

    /// Route one event with a given ingestion time, without archiving it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Delivery, DeliveryResult, Router, Rule, Target};
    /// let router = Router::builder()
    ///     .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
    ///     .fallback_destination(Arc::new(|_: &Delivery| DeliveryResult::Ok))
    ///     .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
    ///     .build()?;
    /// router.route_at(b"{}", std::time::UNIX_EPOCH)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route_at(
        &self,
        event: &[u8],
        ingestion_time: SystemTime,
    ) -> Result<RouteOutcome, Error> {
        self.route_inner(event, ingestion_time, false)
    }

    /// Route a replayed event: received now, not archived again.
    pub(crate) fn route_replayed(&self, event: &[u8]) -> Result<RouteOutcome, Error> {
        self.route_inner(event, self.shared.clock.now(), false)
    }

    /// Indices of the rules `event` matches, in name order for the
    /// built-in matcher, in the selector's order otherwise.
    fn select(&self, event: &[u8]) -> Result<Vec<usize>, Error> {
        match &self.selector {
            Selector::Matcher {
                matcher,
                caches,
                rules,
            } => {
                let mut cache = lock(caches).pop().unwrap_or_default();
                let found = matcher.find(event, &mut cache).map(|ids| {
                    let mut found: Vec<usize> = ids
                        .iter()
                        .filter_map(|id| {
                            rules
                                .binary_search_by(|(r, _)| r.cmp(id))
                                .ok()
                                .map(|at| rules[at].1)
                        })
                        .collect();
                    found.sort_unstable_by_key(|&i| self.shared.rules[i].rank);
                    found
                });
                lock(caches).push(cache);
                found
            }
            Selector::Custom(selector) => Ok(selector
                .select(event)?
                .iter()
                .filter_map(|n| self.shared.names.get(n).copied())
                .collect()),
        }
    }

    fn route_inner(
        &self,
        event: &[u8],
        ingestion_time: SystemTime,
        archive: bool,
    ) -> Result<RouteOutcome, Error> {
        let shared = &self.shared;
        let text = std::str::from_utf8(event)
            .map_err(|e| Error::new(Kind::Event, format!("The event is not UTF-8: {e}")))?;
        // Matching also checks the event: only accepted events are archived.
        let selected = self.select(event)?;
        shared.events.fetch_add(1, Ordering::Relaxed);
        let mut outcome = RouteOutcome::default();
        if archive {
            if let Some(a) = &self.archive {
                outcome.archived = lock(a).append(event, ingestion_time)?;
            }
        }
        let rules: Vec<&RuleSlot> = selected
            .into_iter()
            .map(|i| &shared.rules[i])
            .filter(|r| r.rule.state == RuleState::Enabled)
            .collect();
        if rules.is_empty() {
            return Ok(outcome);
        }
        shared.matched.fetch_add(1, Ordering::Relaxed);
        let needs_event = rules.iter().flat_map(|r| &r.targets).any(|&s| {
            let slot = &shared.slots[s];
            slot.input.needs_event() || matches!(slot.group, Some(GroupSpec::Path(_)))
        });
        // One pass over the event finds every value any target needs.
        let resolved = if needs_event {
            shared.paths.resolve(text).ok()
        } else {
            None
        };
        let mut shared_text: Option<Arc<str>> = None;
        let mut tasks = Vec::new();
        let mut inline = None;
        for rule in rules {
            outcome.rules.push(rule.rule.name.clone());
            let ctx = RenderContext::new(&rule.rule.name, &rule.arn, ingestion_time);
            for &s in &rule.targets {
                let slot = &shared.slots[s];
                outcome.deliveries += 1;
                let body = match &slot.input {
                    TargetInput::Event => Body::Event,
                    TargetInput::Constant(_) => Body::Constant,
                    input => match input.render(
                        text,
                        resolved.as_ref(),
                        &slot.binding,
                        &ctx,
                        &slot.target.id,
                    ) {
                        Ok(b) => Body::Rendered(b),
                        Err(why) => Body::Failed(why),
                    },
                };
                let group = slot.group.as_ref().map(|g| match g {
                    GroupSpec::Constant(c) => c.clone(),
                    GroupSpec::Path(node) => match resolved.as_ref().and_then(|e| e.get(*node)) {
                        Some(v) if raw::is_string(v) => raw::decode_string(v.trim()).into_owned(),
                        Some(v) => {
                            let mut out = String::new();
                            raw::write_json(&mut out, v);
                            out
                        }
                        None => String::new(),
                    },
                });
                let mut attempts = 0;
                let mut result = None;
                if slot.inline && !matches!(body, Body::Failed(_)) {
                    // Try the target's (non-blocking) destination right
                    // here; only a failure goes to the workers.
                    let deliveries = inline.get_or_insert_with(|| self.inline.try_lock().ok());
                    let mut own = Deliveries::default();
                    let cache = deliveries.as_deref_mut().unwrap_or(&mut own);
                    let delivery = cache.fill(shared, s, &body, text, &group, ingestion_time, 1);
                    match shared.try_once(slot, delivery) {
                        DeliveryResult::Ok => {
                            slot.counters.delivered.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        failed => {
                            attempts = 1;
                            result = Some(failed);
                        }
                    }
                }
                tasks.push(Task {
                    slot: s,
                    body,
                    event: Arc::clone(shared_text.get_or_insert_with(|| Arc::from(text))),
                    ingestion_time,
                    group,
                    attempts,
                    last_error: String::new(),
                    result,
                });
            }
        }
        drop(inline);
        if !tasks.is_empty() {
            drop(shared.submit(tasks)?);
        }
        Ok(outcome)
    }

    /// Re-send the events archived in `[from, to)` (by ingestion time),
    /// each with `"replay-name": name` added, through this router. Needs
    /// an archive given to the builder; see also [`Archive::replay`].
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
    ) -> Result<crate::route::ReplayReport, Error> {
        let Some(archive) = &self.archive else {
            return Err(routing("This router has no archive to replay from."));
        };
        let events = lock(archive)
            .read(from, to)?
            .collect::<Result<Vec<_>, Error>>()?;
        crate::route::archive::replay_events(name, events.into_iter().map(Ok), self)
    }

    /// Deliveries queued, retrying or running.
    ///
    /// ```
    /// let router = evrule::route::Router::builder().selector(|_: &[u8]| Ok(Vec::new())).build()?;
    /// assert_eq!(router.pending(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pending(&self) -> usize {
        lock(&self.shared.queue).outstanding()
    }

    /// Wait until every queued delivery has ended (delivered,
    /// dead-lettered or dropped), then return the counters. With retries
    /// pending this can take as long as their policies allow; see
    /// [`Router::shutdown`] for a bounded wait.
    ///
    /// ```
    /// let router = evrule::route::Router::builder().selector(|_: &[u8]| Ok(Vec::new())).build()?;
    /// assert_eq!(router.drain().events, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drain(&self) -> RouterStats {
        let mut q = lock(&self.shared.queue);
        while q.outstanding() > 0 {
            q = self.shared.wait_changed(q);
        }
        let done = std::mem::take(&mut q.done);
        drop(q);
        drop(done);
        self.shared.stats()
    }

    /// The counters now.
    ///
    /// ```
    /// let router = evrule::route::Router::builder().selector(|_: &[u8]| Ok(Vec::new())).build()?;
    /// router.route(b"{}")?;
    /// assert_eq!(router.stats().events, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> RouterStats {
        self.shared.stats()
    }

    /// Stop accepting events, wait up to `grace` for outstanding
    /// deliveries, then stop the workers (each finishes the attempt it is
    /// making) and report what was not delivered. Those deliveries are
    /// counted as dropped with limit [`ExhaustedLimit::Shutdown`].
    ///
    /// ```
    /// let router = evrule::route::Router::builder().selector(|_: &[u8]| Ok(Vec::new())).build()?;
    /// let report = router.shutdown(std::time::Duration::from_secs(1));
    /// assert!(report.undelivered.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(mut self, grace: Duration) -> ShutdownReport {
        let deadline = Instant::now() + grace;
        {
            let mut q = lock(&self.shared.queue);
            q.closed = true;
            self.shared.changed.notify_all();
            while q.outstanding() > 0 {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                q.waiters += 1;
                q = self
                    .shared
                    .changed
                    .wait_timeout(q, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                q.waiters -= 1;
            }
        }
        self.stop_workers();
        let leftovers: Vec<Task> = {
            let mut q = lock(&self.shared.queue);
            let mut tasks: Vec<Task> = q.ready.drain(..).collect();
            tasks.extend(q.delayed.drain().map(|Reverse(d)| d.task));
            for (_, lane) in q.lanes.drain() {
                tasks.extend(lane);
            }
            q.lane_waiting = 0;
            tasks
        };
        let mut undelivered = Vec::new();
        for mut task in leftovers {
            if task.last_error.is_empty() {
                task.last_error = "The router shut down before delivery.".into();
            }
            let reason = self
                .shared
                .reason(&task, "SHUTDOWN", ExhaustedLimit::Shutdown);
            undelivered.push(DropRecord {
                reason: reason.clone(),
                event: task.event.to_string(),
            });
            self.shared.record_drop(&task, reason);
        }
        ShutdownReport {
            undelivered,
            stats: self.shared.stats(),
        }
    }

    fn stop_workers(&mut self) {
        {
            let mut q = lock(&self.shared.queue);
            q.closed = true;
            q.stop = true;
        }
        self.shared.work.notify_all();
        self.shared.changed.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        self.stop_workers();
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("rules", &self.shared.rules.len())
            .field("targets", &self.shared.slots.len())
            .field("workers", &self.workers.len())
            .finish()
    }
}
