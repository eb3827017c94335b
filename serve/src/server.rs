//! [`ServeConfig`] and [`Server`]: settings, start-up (state, rules given at
//! start, the listener, the runtime), and shutdown with its report.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use evrule::route::{Destination, DropRecord, RouterStats, Rule, Target};
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use crate::durable::Durable;
use crate::engine::{lock, Destinations, RouterSettings};
use crate::http::{App, HttpSettings};
use crate::inbox::Inbox;
use crate::sandbox::Samples;
use crate::schedule::{Clock, SystemClock};
use crate::sigv4::Credentials;
use crate::state::{Registry, RuleInfo, Shared};
use crate::store::Store;
use crate::{scheduler, store};

/// Settings of a [`Server`]. Setters take and return `Self`.
///
/// ```
/// use std::time::Duration;
/// use evrule_serve::ServeConfig;
/// let config = ServeConfig::new()
///     .port(4010)
///     .region("eu-west-1")
///     .account("111122223333")
///     .max_connections(64)
///     .header_timeout(Duration::from_secs(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ServeConfig {
    addr: SocketAddr,
    region: String,
    account: String,
    state_dir: Option<PathBuf>,
    credentials: Option<Credentials>,
    destinations: HashMap<String, Arc<dyn Destination>>,
    rules: Vec<Rule>,
    clock: Arc<dyn Clock>,
    max_entries_bytes: usize,
    max_body_bytes: Option<usize>,
    header_timeout: Duration,
    body_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    grace: Duration,
    inbox_capacity: usize,
    threads: usize,
    router: RouterSettings,
    durable: Option<Arc<dyn Durable>>,
    samples: Samples,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("addr", &self.addr)
            .field("region", &self.region)
            .field("account", &self.account)
            .field("state_dir", &self.state_dir)
            .field("credentials", &self.credentials)
            .field(
                "destinations",
                &self.destinations.keys().collect::<Vec<_>>(),
            )
            .field("rules", &self.rules.len())
            .field("durable", &self.durable.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig::new()
    }
}

impl ServeConfig {
    /// 127.0.0.1:4010, region `us-east-1`, account `123456789012`, state in
    /// memory, no authentication; 256 KiB of PutEvents entries per request,
    /// bodies up to 1 MiB, 10 s for headers, 30 s for a body, idle
    /// connections closed after 60 s, 1024 connections, 10 s of grace at
    /// shutdown, 10,000 deliveries kept per inbox target.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> ServeConfig {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServeConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 4010),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            state_dir: None,
            credentials: None,
            destinations: HashMap::new(),
            rules: Vec::new(),
            clock: Arc::new(SystemClock),
            max_entries_bytes: 256 * 1024,
            max_body_bytes: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            grace: Duration::from_secs(10),
            inbox_capacity: 10_000,
            threads,
            router: RouterSettings {
                workers: 2,
                queue_capacity: 1024,
                backoff_base: Duration::from_secs(1),
                backoff_cap: Duration::from_secs(300),
            },
            durable: None,
            samples: Samples::none(),
        }
    }

    /// Store events and rules in `durable` instead of delivering here:
    /// PutEvents answers once each event is stored there, and every change
    /// of a bus's rules is written there first (see [`Durable`]). Scheduled
    /// rules, replays of the server's archives and TestEventPattern stay
    /// with the server.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use evrule::route::Rule;
    /// # use evrule_serve::{Durable, ServeConfig};
    /// struct Nowhere;
    /// impl Durable for Nowhere {
    ///     fn put_events(&self, _: &str, events: &[&[u8]]) -> Vec<Result<(), String>> {
    ///         events.iter().map(|_| Err("no store".to_string())).collect()
    ///     }
    ///     fn set_rules(&self, _: &str, _: &[Rule]) -> Result<(), String> {
    ///         Err("no store".into())
    ///     }
    /// }
    /// let c = ServeConfig::new().durable(Arc::new(Nowhere));
    /// ```
    pub fn durable(mut self, durable: Arc<dyn Durable>) -> Self {
        self.durable = Some(durable);
        self
    }

    /// The address to listen on (the default is 127.0.0.1:4010). Anything
    /// but a loopback address lets other machines in: give it on purpose,
    /// with [`credentials`](ServeConfig::credentials).
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().bind("127.0.0.1:0".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The port on the current address; 0 picks a free one (see
    /// [`Server::local_addr`]).
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().port(0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// The region of requests whose signature names none.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().region("eu-central-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The account of requests whose credentials name none (an access key
    /// id of 12 digits names that account; so does `aws_account_id` in the
    /// credentials file).
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().account("111122223333");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }

    /// Keep buses, rules, targets, archives and tags in `dir` across
    /// restarts.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().state_dir("/tmp/evrule-state");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Verify every request's SigV4 signature against these keys.
    ///
    /// ```
    /// use evrule_serve::{sigv4::Credentials, ServeConfig};
    /// let keys = Credentials::from_pairs([("AKID".to_string(), "secret".to_string())]);
    /// let c = ServeConfig::new().credentials(keys);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Deliver what targets (or dead-letter queues) with this ARN get to
    /// `destination` instead of the inbox.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Delivery, DeliveryResult};
    /// let c = evrule_serve::ServeConfig::new().destination(
    ///     "arn:aws:sqs:us-east-1:123456789012:orders",
    ///     Arc::new(|d: &Delivery| { println!("{}", d.body); DeliveryResult::Ok }),
    /// );
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

    /// Rules (with their targets) to load at start into the default account
    /// and region: on the default bus, or the bus a rule names (created if
    /// needed). They replace rules of the same name kept in the state.
    ///
    /// ```
    /// use evrule::route::{Rule, Target};
    /// let rule = Rule::new("orders", r#"{"source": ["shop"]}"#)
    ///     .with_target(Target::new("q", "arn:aws:sqs:us-east-1:123456789012:orders"));
    /// let c = evrule_serve::ServeConfig::new().rules(vec![rule]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// Where "now" comes from (schedules, event times); tests pass a
    /// [`ManualClock`](crate::schedule::ManualClock).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule_serve::schedule::ManualClock;
    /// let c = evrule_serve::ServeConfig::new().clock(Arc::new(ManualClock::new(std::time::UNIX_EPOCH)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Most bytes of entries in one PutEvents request, by AWS's entry-size
    /// rule (AWS: 256 KiB). Request bodies may be four times as large, at
    /// least 1 MiB, unless [`max_body_bytes`](ServeConfig::max_body_bytes)
    /// says otherwise.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().max_entries_bytes(1024 * 1024);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_entries_bytes(mut self, bytes: usize) -> Self {
        self.max_entries_bytes = bytes;
        self
    }

    /// Largest request body accepted (larger ones get 413).
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().max_body_bytes(2 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// How long a client may take to send a request's headers.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().header_timeout(std::time::Duration::from_secs(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header_timeout(mut self, d: Duration) -> Self {
        self.header_timeout = d;
        self
    }

    /// How long a client may take to send a request's body.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().body_timeout(std::time::Duration::from_secs(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_timeout(mut self, d: Duration) -> Self {
        self.body_timeout = d;
        self
    }

    /// How long a keep-alive connection may sit without a request.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().idle_timeout(std::time::Duration::from_secs(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Most connections served at once; more wait to be accepted.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().max_connections(16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// At shutdown, how long requests and deliveries in flight may go on.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().grace(std::time::Duration::from_secs(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grace(mut self, d: Duration) -> Self {
        self.grace = d;
        self
    }

    /// Deliveries kept per inbox target; older ones are dropped and counted.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().inbox_capacity(100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inbox_capacity(mut self, n: usize) -> Self {
        self.inbox_capacity = n.max(1);
        self
    }

    /// Threads serving requests (default: one per core).
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().threads(2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Delivery threads per bus router (retries, blocking destinations,
    /// FIFO targets), and how many deliveries may wait for them.
    ///
    /// ```
    /// let c = evrule_serve::ServeConfig::new().delivery_workers(4, 4096);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delivery_workers(mut self, workers: usize, queue_capacity: usize) -> Self {
        self.router.workers = workers.max(1);
        self.router.queue_capacity = queue_capacity.max(1);
        self
    }

    /// Retry back-off: `base * 2^(n-1)`, at most `cap`, with jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = evrule_serve::ServeConfig::new().backoff(Duration::from_millis(10), Duration::from_secs(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.router.backoff_base = base;
        self.router.backoff_cap = cap.max(base);
        self
    }

    /// The sample events the sandbox page (`GET /_evrule/sandbox`) offers.
    ///
    /// ```
    /// use evrule_serve::{Samples, ServeConfig};
    /// let samples = Samples::new([("empty", "an empty event")], ["bucket"], |_, _| Ok("{}".into()));
    /// let c = ServeConfig::new().samples(samples);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn samples(mut self, samples: Samples) -> Self {
        self.samples = samples;
        self
    }
}

/// Why the server did not start.
#[derive(Debug)]
pub struct StartError(String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// What the server left undone when it stopped, and its counters.
///
/// ```
/// let r = evrule_serve::ShutdownReport::default();
/// assert_eq!(r.aborted_requests, 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ShutdownReport {
    /// Deliveries still queued or retrying when the grace period ended.
    pub undelivered: Vec<DropRecord>,
    /// Counters of every router of every bus: events, matches, and per
    /// target delivered, retried, dead-lettered and dropped.
    pub stats: RouterStats,
    /// Requests still running when the grace period ended.
    pub aborted_requests: usize,
    /// Events handed to the durable store ([`ServeConfig::durable`]) and
    /// stored there; the server itself routed none of them.
    pub stored: u64,
}

/// A running server. Stop it with [`Server::shutdown`] (dropping it does
/// the same, without the report).
///
/// ```
/// let server = evrule_serve::Server::start(evrule_serve::ServeConfig::new().port(0))?;
/// assert!(server.local_addr().ip().is_loopback());
/// server.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<ShutdownReport>>,
    notices: Vec<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

/// A target as PutTargets takes it, for ListTargetsByRule.
fn target_json(t: &Target) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("Id".into(), json!(t.id));
    out.insert("Arn".into(), json!(t.arn));
    if let Some(i) = &t.input {
        out.insert("Input".into(), json!(i));
    }
    if let Some(p) = &t.input_path {
        out.insert("InputPath".into(), json!(p));
    }
    if let Some(tr) = &t.input_transformer {
        let mut v = json!({"InputTemplate": tr.input_template});
        if !tr.input_paths_map.is_empty() {
            v["InputPathsMap"] = json!(tr.input_paths_map);
        }
        out.insert("InputTransformer".into(), v);
    }
    out.insert(
        "RetryPolicy".into(),
        json!({
            "MaximumRetryAttempts": t.retry_policy.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": t.retry_policy.maximum_event_age_in_seconds,
        }),
    );
    if let Some(d) = &t.dead_letter_config {
        out.insert("DeadLetterConfig".into(), json!({"Arn": d.arn}));
    }
    if let Some(s) = &t.sqs_parameters {
        out.insert(
            "SqsParameters".into(),
            json!({"MessageGroupId": s.message_group_id}),
        );
    }
    out
}

/// Put the rules given at start into the registry.
fn load_rules(shared: &Shared, account: &str, region: &str, rules: &[Rule]) -> Result<(), String> {
    let now = shared.now();
    let mut registry = lock(&shared.registry);
    let region_state = shared.region(&mut registry, account, region);
    let mut touched = Vec::new();
    for rule in rules {
        rule.validate(evrule::route::DEFAULT_MAX_TARGETS)
            .map_err(|e| format!("rule {}: {e}", rule.name))?;
        if let Some(p) = &rule.event_pattern {
            evrule::Matcher::new()
                .add(&rule.name, p)
                .map_err(|e| format!("rule {}: {e}", rule.name))?;
        }
        let bus_name = match rule.event_bus_name.as_deref() {
            None => "default".to_string(),
            Some(b) => b.rsplit('/').next().unwrap_or(b).to_string(),
        };
        if !region_state.buses.contains_key(&bus_name) {
            let bus = shared.new_bus(account, region, &bus_name, now);
            region_state.buses.insert(bus_name.clone(), bus);
        }
        let bus = region_state
            .buses
            .get_mut(&bus_name)
            .expect("inserted above");
        let tags = bus
            .rules
            .get(&rule.name)
            .map(|r| r.tags.clone())
            .unwrap_or_default();
        bus.rules.insert(
            rule.name.clone(),
            RuleInfo {
                name: rule.name.clone(),
                event_pattern: rule.event_pattern.clone(),
                schedule_expression: None,
                schedule: None,
                state: rule.state.as_str().to_string(),
                description: rule.description.clone(),
                role_arn: None,
                targets: rule
                    .targets
                    .iter()
                    .map(|t| (target_json(t), t.clone()))
                    .collect(),
                tags,
                created_by: account.to_string(),
                next_fire: None,
            },
        );
        touched.push(bus_name);
    }
    touched.dedup();
    for name in touched {
        region_state.buses[&name]
            .sync()
            .map_err(|e| format!("bus {name}: the rules could not be stored: {e}"))?;
    }
    Ok(())
}

impl Server {
    /// Load the state, bind the address and start serving.
    ///
    /// ```
    /// let server = evrule_serve::Server::start(evrule_serve::ServeConfig::new().port(0))?;
    /// println!("listening on http://{}", server.local_addr());
    /// # server.shutdown();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(config: ServeConfig) -> Result<Server, StartError> {
        let fail = |m: String| StartError(m);
        let mut notices = Vec::new();
        let (archive_root, scratch) = match &config.state_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    fail(format!(
                        "{}: cannot create the state directory: {e}",
                        dir.display()
                    ))
                })?;
                notices.push(format!(
                    "state: kept in {} (buses, rules, targets, archives, tags); deliveries in flight are in memory",
                    dir.display()
                ));
                (dir.clone(), None)
            }
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "evrule-serve-{}-{}",
                    std::process::id(),
                    crate::ids::uuid()
                ));
                notices.push(
                    "state: in memory (no --state): buses, rules, targets, archives and tags are lost when the server stops"
                        .to_string(),
                );
                (dir.clone(), Some(dir))
            }
        };
        let blocking = config.destinations.values().any(|d| !d.non_blocking());
        let destinations = Arc::new(Destinations {
            configured: config.destinations.clone(),
            inbox: Arc::new(Inbox::new(config.inbox_capacity)),
            blocking,
        });
        let shared = Arc::new(Shared {
            registry: Mutex::new(Registry::default()),
            engines: RwLock::new(HashMap::new()),
            destinations,
            router_settings: config.router.clone(),
            clock: Arc::clone(&config.clock),
            archive_root,
            store: config.state_dir.clone().map(Store::new),
            retired: Mutex::new(Vec::new()),
            limits: crate::state::Limits {
                max_entries_bytes: config.max_entries_bytes,
            },
            durable: config.durable.clone(),
            stored: std::sync::atomic::AtomicU64::new(0),
        });
        if let Some(dir) = &config.state_dir {
            let registry = store::load(&shared, dir).map_err(fail)?;
            let rules: usize = registry
                .regions
                .values()
                .flat_map(|r| r.buses.values())
                .map(|b| b.rules.len())
                .sum();
            if !registry.regions.is_empty() {
                notices.push(format!(
                    "state: loaded {rules} rules from {}",
                    dir.display()
                ));
            }
            *lock(&shared.registry) = registry;
        }
        load_rules(&shared, &config.account, &config.region, &config.rules).map_err(fail)?;
        if !config.rules.is_empty() {
            notices.push(format!(
                "rules: loaded {} rules given at start",
                config.rules.len()
            ));
        }
        shared
            .save()
            .map_err(|e| fail(format!("cannot write the state: {e}")))?;
        let listener = std::net::TcpListener::bind(config.addr)
            .map_err(|e| fail(format!("cannot listen on {}: {e}", config.addr)))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| fail(format!("cannot listen on {}: {e}", config.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| fail(format!("cannot listen on {}: {e}", config.addr)))?;
        let max_body_bytes = config
            .max_body_bytes
            .unwrap_or_else(|| (config.max_entries_bytes.saturating_mul(4)).max(1 << 20));
        let app = Arc::new(App {
            samples: config.samples.clone(),
            shared: Arc::clone(&shared),
            credentials: config.credentials.clone(),
            account: config.account.clone(),
            region: config.region.clone(),
            settings: HttpSettings {
                max_body_bytes,
                header_timeout: config.header_timeout,
                body_timeout: config.body_timeout,
                idle_timeout: config.idle_timeout,
                max_connections: config.max_connections,
                grace: config.grace,
            },
            in_flight: AtomicUsize::new(0),
        });
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let grace = config.grace;
        let threads = config.threads;
        let thread = std::thread::Builder::new()
            .name("evrule-serve".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .thread_name("evrule-serve-io")
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot start the runtime: {e}")));
                        return ShutdownReport::default();
                    }
                };
                let shared = Arc::clone(&app.shared);
                let served = runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot listen: {e}")));
                            return None;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let ticker = tokio::spawn(tick(Arc::clone(&app.shared), stopped.clone()));
                    let served = crate::http::serve(listener, app, stopped).await;
                    ticker.abort();
                    Some(served)
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
                let deadline = Instant::now() + grace;
                let mut report = ShutdownReport {
                    aborted_requests: served.map_or(0, |s| s.aborted_requests),
                    stored: shared.stored.load(std::sync::atomic::Ordering::Relaxed),
                    ..ShutdownReport::default()
                };
                for engine in shared.all_engines() {
                    let r = engine.shutdown(deadline);
                    report.undelivered.extend(r.undelivered);
                    report.stats.events += r.stats.events;
                    report.stats.matched += r.stats.matched;
                    report.stats.targets.extend(r.stats.targets);
                    report.stats.drops.extend(r.stats.drops);
                }
                // Replays that finished since the last change are kept as such.
                if let Err(e) = shared.save() {
                    eprintln!("evrule serve: cannot write the state at shutdown: {e}");
                }
                if let Some(dir) = scratch {
                    let _ = std::fs::remove_dir_all(dir);
                }
                report
            })
            .map_err(|e| fail(format!("cannot start the server thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(fail(e)),
            Err(_) => return Err(fail("the server thread stopped at start".into())),
        }
        Ok(Server {
            addr,
            shared,
            stop,
            thread: Some(thread),
            notices,
        })
    }

    /// The address the server listens on (with the port picked for 0).
    ///
    /// ```
    /// let server = evrule_serve::Server::start(evrule_serve::ServeConfig::new().port(0))?;
    /// assert_ne!(server.local_addr().port(), 0);
    /// # server.shutdown();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What start-up has to say: where the state is kept (or that it is
    /// only in memory), what was loaded.
    ///
    /// ```
    /// let server = evrule_serve::Server::start(evrule_serve::ServeConfig::new().port(0))?;
    /// assert!(server.notices()[0].starts_with("state: in memory"));
    /// # server.shutdown();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// Fire every scheduled rule that is due at the clock's current time
    /// and return how many fired. The server does this by itself about once
    /// a second; tests that move a
    /// [`ManualClock`](crate::schedule::ManualClock) call it to fire at once.
    ///
    /// ```
    /// let server = evrule_serve::Server::start(evrule_serve::ServeConfig::new().port(0))?;
    /// assert_eq!(server.run_schedules(), 0);
    /// # server.shutdown();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_schedules(&self) -> usize {
        scheduler::run_due(&self.shared)
    }

    /// Stop: no new connections, requests in flight and deliveries get the
    /// grace period, then what is left is reported.
    ///
    /// ```
    /// let server = evrule_serve::Server::start(evrule_serve::ServeConfig::new().port(0))?;
    /// let report = server.shutdown();
    /// assert_eq!(report.stats.events, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(mut self) -> ShutdownReport {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> ShutdownReport {
        let _ = self.stop.send(true);
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_default(),
            None => ShutdownReport::default(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// The server's heartbeat: fire due schedules, shut down retired routers,
/// prune archives.
async fn tick(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut last_prune = Instant::now();
    loop {
        let wait = match scheduler::next_due(&shared) {
            Some(t) => t
                .duration_since(shared.now())
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(20), Duration::from_secs(1)),
            None => Duration::from_secs(1),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        let shared2 = Arc::clone(&shared);
        let prune = last_prune.elapsed() > Duration::from_secs(3600);
        if prune {
            last_prune = Instant::now();
        }
        let _ = tokio::task::spawn_blocking(move || {
            scheduler::run_due(&shared2);
            for engine in shared2.all_engines() {
                engine.reap();
                if prune {
                    engine.prune(SystemTime::now());
                }
            }
        })
        .await;
    }
}
