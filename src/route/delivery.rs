//! The vocabulary of delivery, shared by the router, its workers and the
//! destinations users write: what a target is handed ([`Delivery`]), what
//! it answers ([`DeliveryResult`]), why an event was given up
//! ([`DeadLetter`]), the router's settings and its counters.

use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::route::model::RetryPolicy;
use crate::Matcher;

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
#[non_exhaustive]
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
    /// calls [`Router::route`](crate::route::Router::route), sparing the hand-off to a worker; should
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
#[non_exhaustive]
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
    pub(crate) workers: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_cap: Duration,
    pub(crate) region: String,
    pub(crate) account: String,
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
    /// lane) before [`Router::route`](crate::route::Router::route) blocks. At least 1.
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

    /// The wait before retry number `retry` (1 for the first retry):
    /// `base * 2^(retry-1)`, at most the cap, then a point in its upper
    /// half chosen by `random` (any `u64`; the router draws one per retry).
    /// Other runtimes that retry a router's targets (evrule-engine) use
    /// this, so that their back-off is the router's.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = evrule::route::RouterConfig::new()
    ///     .backoff(Duration::from_millis(100), Duration::from_secs(1));
    /// assert_eq!(c.retry_delay(1, 0), Duration::from_millis(50));
    /// assert_eq!(c.retry_delay(3, 0), Duration::from_millis(200));
    /// assert!(c.retry_delay(10, u64::MAX) <= Duration::from_secs(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_delay(&self, retry: u32, random: u64) -> Duration {
        let base = self.backoff_base.as_nanos() as u64;
        let cap = self.backoff_cap.as_nanos() as u64;
        let exp = base
            .saturating_mul(1u64 << retry.saturating_sub(1).min(40))
            .min(cap);
        let spread = exp - exp / 2;
        let jitter = if spread == 0 {
            0
        } else {
            random % (spread + 1)
        };
        Duration::from_nanos(exp / 2 + jitter)
    }

    /// What follows attempt number `attempts` (1-based) of a delivery to a
    /// target with `policy`, the event being `age` old when the attempt
    /// ended: the router's one rule for retries and dead letters.
    ///
    /// A permanent failure gives up at once (`NotRetryable`); a retryable
    /// one gives up when `attempts` exceeds `MaximumRetryAttempts`, or
    /// when the event is `MaximumEventAgeInSeconds` old; otherwise it is
    /// retried after [`retry_delay`](RouterConfig::retry_delay).
    ///
    /// ```
    /// use std::time::Duration;
    /// use evrule::route::{DeliveryResult, ExhaustedLimit, RetryPolicy, RouterConfig, Settlement};
    /// let c = RouterConfig::new();
    /// let p = RetryPolicy { maximum_retry_attempts: 1, maximum_event_age_in_seconds: 60 };
    /// let failed = DeliveryResult::Retryable("503".into());
    /// assert!(matches!(c.settle(&p, 1, Duration::ZERO, &failed, 7), Settlement::Retry(_)));
    /// assert_eq!(c.settle(&p, 2, Duration::ZERO, &failed, 7),
    ///            Settlement::GiveUp { error_code: "TARGET_ERROR", limit: ExhaustedLimit::MaximumRetryAttempts });
    /// assert_eq!(c.settle(&p, 1, Duration::ZERO, &DeliveryResult::Ok, 7), Settlement::Delivered);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settle(
        &self,
        policy: &RetryPolicy,
        attempts: u32,
        age: Duration,
        result: &DeliveryResult,
        random: u64,
    ) -> Settlement {
        match result {
            DeliveryResult::Ok => Settlement::Delivered,
            DeliveryResult::Permanent(_) => Settlement::GiveUp {
                error_code: "TARGET_ERROR",
                limit: ExhaustedLimit::NotRetryable,
            },
            DeliveryResult::Retryable(_) => {
                if attempts > policy.maximum_retry_attempts {
                    Settlement::GiveUp {
                        error_code: "TARGET_ERROR",
                        limit: ExhaustedLimit::MaximumRetryAttempts,
                    }
                } else if policy.expired(age) {
                    Settlement::GiveUp {
                        error_code: "TARGET_ERROR",
                        limit: ExhaustedLimit::MaximumEventAgeInSeconds,
                    }
                } else {
                    Settlement::Retry(self.retry_delay(attempts, random))
                }
            }
        }
    }
}

/// What follows an attempt: see [`RouterConfig::settle`].
///
/// ```
/// use evrule::route::Settlement;
/// assert_ne!(Settlement::Delivered, Settlement::Retry(std::time::Duration::ZERO));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// Delivered: nothing more to do.
    Delivered,
    /// Try again after this wait.
    Retry(Duration),
    /// Give up: dead-letter (or drop) with this code and limit.
    GiveUp {
        /// The [`DeadLetter::error_code`].
        error_code: &'static str,
        /// The [`DeadLetter::limit`].
        limit: ExhaustedLimit,
    },
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

/// What [`Router::route`](crate::route::Router::route) did with one event.
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

impl<F> Destination for F
where
    F: Fn(&Delivery) -> DeliveryResult + Send + Sync,
{
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult {
        self(delivery)
    }
}
