//! Connecting: [`EngineConfig`] (server URL, credentials, TLS, delivery
//! settings) and [`Engine`], the handle everything else hangs off.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::{ConnectOptions, ServerAddr};
use evrule::route::RouterConfig;

use crate::Error;

/// Where JetStream keeps the engine's streams.
///
/// ```
/// let c = evrule_engine::EngineConfig::new("nats://127.0.0.1:4222")
///     .storage(evrule_engine::Storage::Memory);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// On disk: survives a server restart. The default.
    File,
    /// In memory: fast, lost when the server stops.
    Memory,
}

impl Storage {
    pub(crate) fn nats(self) -> jetstream::stream::StorageType {
        match self {
            Storage::File => jetstream::stream::StorageType::File,
            Storage::Memory => jetstream::stream::StorageType::Memory,
        }
    }
}

/// A sink for the engine's notes (reconnects, consumer updates, skipped
/// rules): the CLI prints them on stderr.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// How to reach the server and how to deliver. Setters take and return
/// `Self`.
///
/// Credentials: a user and password, a token, an NKey seed file or a
/// `.creds` file (JWT and NKey); the URL may also carry them
/// (`nats://user:pass@host:4222`, `nats://token@host:4222`). TLS: extra
/// root certificates, a client certificate and key, TLS required, TLS
/// before the server's greeting (`tls_first`). `tls://` URLs require TLS.
///
/// ```
/// use std::time::Duration;
/// let c = evrule_engine::EngineConfig::new("nats://127.0.0.1:4222")
///     .user_password("evrule", "secret")
///     .lease(Duration::from_secs(10))
///     .fifo_partitions(8);
/// assert_eq!(c.url(), "nats://127.0.0.1:4222");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct EngineConfig {
    pub(crate) url: String,
    user: Option<(String, String)>,
    token: Option<String>,
    nkey_file: Option<PathBuf>,
    creds_file: Option<PathBuf>,
    tls_roots: Vec<PathBuf>,
    tls_client: Option<(PathBuf, PathBuf)>,
    tls_required: bool,
    tls_first: bool,
    name: String,
    pub(crate) lease: Duration,
    pub(crate) duplicate_window: Duration,
    pub(crate) fifo_partitions: u32,
    pub(crate) dead_letter_max_age: Duration,
    pub(crate) storage: Storage,
    pub(crate) replicas: usize,
    pub(crate) router: RouterConfig,
    pub(crate) publish_deadline: Duration,
    pub(crate) max_targets: usize,
    pub(crate) log: Option<Log>,
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs.
        f.debug_struct("EngineConfig")
            .field("url", &redact(&self.url))
            .field("user", &self.user.as_ref().map(|(u, _)| u))
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("nkey_file", &self.nkey_file)
            .field("creds_file", &self.creds_file)
            .field("tls_roots", &self.tls_roots)
            .field("tls_client", &self.tls_client)
            .field("tls_required", &self.tls_required)
            .field("tls_first", &self.tls_first)
            .field("lease", &self.lease)
            .field("duplicate_window", &self.duplicate_window)
            .field("fifo_partitions", &self.fifo_partitions)
            .field("storage", &self.storage)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// `url` without the user information (passwords, tokens).
pub(crate) fn redact(url: &str) -> String {
    url.split(',')
        .map(|u| match (u.find("://"), u.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}{}", &u[..s + 3], &u[at + 1..]),
            (None, Some(at)) => u[at + 1..].to_string(),
            _ => u.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl EngineConfig {
    /// Defaults: file storage, one replica, a 30 s lease, a 2 min
    /// duplicate window, 4 FIFO partitions, dead letters kept 14 days,
    /// the router's default back-off, publishes retried for 2 min.
    ///
    /// ```
    /// let c = evrule_engine::EngineConfig::new("nats://127.0.0.1:4222");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(url: impl Into<String>) -> EngineConfig {
        EngineConfig {
            url: url.into(),
            user: None,
            token: None,
            nkey_file: None,
            creds_file: None,
            tls_roots: Vec::new(),
            tls_client: None,
            tls_required: false,
            tls_first: false,
            name: "evrule".into(),
            lease: Duration::from_secs(30),
            duplicate_window: Duration::from_secs(120),
            fifo_partitions: 4,
            dead_letter_max_age: Duration::from_secs(14 * 86_400),
            storage: Storage::File,
            replicas: 1,
            router: RouterConfig::new(),
            publish_deadline: Duration::from_secs(120),
            max_targets: evrule::route::DEFAULT_MAX_TARGETS,
            log: None,
        }
    }

    /// The server URL(s), as given (comma-separated for several).
    ///
    /// ```
    /// assert_eq!(evrule_engine::EngineConfig::new("nats://h:1").url(), "nats://h:1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Authenticate with a user and password.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").user_password("u", "p");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_password(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = Some((user.into(), password.into()));
        self
    }

    /// Authenticate with a token.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").token("s3cr3t");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Authenticate with the NKey seed in this file (`SU...`).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").nkey_file("user.nk");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nkey_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.nkey_file = Some(path.into());
        self
    }

    /// Authenticate with a `.creds` file (a user JWT and its NKey seed).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").credentials_file("user.creds");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.creds_file = Some(path.into());
        self
    }

    /// Trust this PEM root certificate too (repeatable).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("tls://h:1").tls_root_certificate("ca.pem");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls_root_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_roots.push(path.into());
        self
    }

    /// Present this client certificate and key (PEM).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("tls://h:1").tls_client_certificate("c.pem", "k.pem");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls_client_certificate(
        mut self,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.tls_client = Some((cert.into(), key.into()));
        self
    }

    /// Refuse to talk without TLS.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").tls_required(true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls_required(mut self, required: bool) -> Self {
        self.tls_required = required;
        self
    }

    /// Start TLS before the server's greeting (servers with
    /// `handshake_first`).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("tls://h:1").tls_first(true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls_first(mut self, first: bool) -> Self {
        self.tls_first = first;
        self
    }

    /// The client name the server shows (`evrule` by default).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").client_name("worker-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long a worker may hold a message without a word before
    /// JetStream gives it to another (consumers' `AckWait`). Workers
    /// renew the lease while a delivery runs, so this bounds how soon the
    /// work of a worker that died is taken over, not how long a delivery
    /// may take. At least 1 s.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").lease(std::time::Duration::from_secs(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// JetStream's duplicate window on the bus and delivery streams: an
    /// event id (or delivery id) seen again within it is stored once.
    /// Keep it well above the lease. At least 1 s.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").duplicate_window(std::time::Duration::from_secs(600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window.max(Duration::from_secs(1));
        self
    }

    /// Partitions of a FIFO target: message groups are hashed onto them,
    /// each has its own consumer with one delivery in flight. More
    /// partitions, more groups delivered in parallel. 1 to 64.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").fifo_partitions(16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fifo_partitions(mut self, n: u32) -> Self {
        self.fifo_partitions = n.clamp(1, 64);
        self
    }

    /// How long the dead-letter stream keeps given-up deliveries.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").dead_letter_max_age(std::time::Duration::from_secs(86_400));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dead_letter_max_age(mut self, age: Duration) -> Self {
        self.dead_letter_max_age = age;
        self
    }

    /// Where streams are stored.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").storage(evrule_engine::Storage::File);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Replicas of every stream and bucket (1 on a single server, 3 on a
    /// three-node cluster).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").replicas(3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replicas(mut self, n: usize) -> Self {
        self.replicas = n.clamp(1, 5);
        self
    }

    /// Back-off, region and account, as for the in-process router.
    ///
    /// ```
    /// use std::time::Duration;
    /// let r = evrule::route::RouterConfig::new().backoff(Duration::from_millis(10), Duration::from_secs(1));
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").router(r);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn router(mut self, router: RouterConfig) -> Self {
        self.router = router;
        self
    }

    /// How long publishing an event keeps trying (through reconnects)
    /// before it reports failure.
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").publish_deadline(std::time::Duration::from_secs(30));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn publish_deadline(mut self, deadline: Duration) -> Self {
        self.publish_deadline = deadline;
        self
    }

    /// Most targets per rule (AWS's default: 5).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1").max_targets(10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_targets(mut self, n: usize) -> Self {
        self.max_targets = n.max(1);
        self
    }

    /// Where notes go (reconnects, consumer updates, skipped rules).
    ///
    /// ```
    /// let _ = evrule_engine::EngineConfig::new("nats://h:1")
    ///     .log(std::sync::Arc::new(|note: &str| eprintln!("{note}")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log(mut self, log: Log) -> Self {
        self.log = Some(log);
        self
    }

    pub(crate) fn note(&self, message: &str) {
        if let Some(log) = &self.log {
            log(message);
        }
    }
}

/// A connection to JetStream and the engine's settings. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), evrule_engine::Error> {
/// let engine = evrule_engine::Engine::connect(
///     evrule_engine::EngineConfig::new("nats://127.0.0.1:4222")).await?;
/// let bus = engine.bus("default", evrule_engine::BusConfig::new()).await?;
/// bus.put_event(br#"{"id": "1", "source": "shop"}"#).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: async_nats::Client,
    pub(crate) js: jetstream::Context,
    pub(crate) config: EngineConfig,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Connect, check that JetStream is there, and create the shared
    /// streams (deliveries, dead letters, advisories) unless they exist
    /// with a compatible configuration. An unreachable server is an
    /// [`Error::is_connect`] naming the URL; once connected, a lost
    /// connection is re-established with back-off (50 ms doubling to
    /// 2 s), forever.
    pub async fn connect(config: EngineConfig) -> Result<Engine, Error> {
        let shown = redact(&config.url);
        let addrs = config
            .url
            .split(',')
            .map(|u| u.trim().parse::<ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::connect(&shown, format!("not a NATS URL ({e})")))?;
        let mut options = ConnectOptions::new()
            .name(&config.name)
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None)
            .reconnect_delay_callback(|attempt| {
                Duration::from_millis(50u64.saturating_mul(1 << attempt.min(6)))
                    .min(Duration::from_secs(2))
            });
        // Credentials in the URL (`user:pass@`, `token@`), unless given
        // separately: the client does not read them itself.
        let from_url = addrs.iter().find(|a| a.has_user_pass()).map(|a| {
            (
                a.username().map(str::to_string).unwrap_or_default(),
                a.password().map(str::to_string),
            )
        });
        match from_url {
            Some((user, Some(pass))) if config.user.is_none() => {
                options = options.user_and_password(user, pass);
            }
            Some((token, None)) if config.token.is_none() && config.user.is_none() => {
                options = options.token(token);
            }
            _ => {}
        }
        if let Some((user, password)) = &config.user {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(token) = &config.token {
            options = options.token(token.clone());
        }
        if let Some(path) = &config.nkey_file {
            let seed = std::fs::read_to_string(path).map_err(|e| {
                Error::config(format!(
                    "cannot read NKey seed file {}: {e}",
                    path.display()
                ))
            })?;
            let seed = seed
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with('S'))
                .ok_or_else(|| {
                    Error::config(format!(
                        "{} holds no NKey seed (a line starting with S)",
                        path.display()
                    ))
                })?;
            options = options.nkey(seed.to_string());
        }
        if let Some(path) = &config.creds_file {
            options = options.credentials_file(path).await.map_err(|e| {
                Error::config(format!(
                    "cannot read credentials file {}: {e}",
                    path.display()
                ))
            })?;
        }
        for root in &config.tls_roots {
            options = options.add_root_certificates(root.clone());
        }
        if let Some((cert, key)) = &config.tls_client {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        if config.tls_required {
            options = options.require_tls(true);
        }
        if config.tls_first {
            options = options.tls_first();
        }
        if let Some(log) = config.log.clone() {
            let at = shown.clone();
            options = options.event_callback(move |event| {
                let log = log.clone();
                let at = at.clone();
                async move {
                    match event {
                        async_nats::Event::Disconnected => log(&format!(
                            "engine: lost the connection to {at}; reconnecting"
                        )),
                        async_nats::Event::Connected => log(&format!("engine: connected to {at}")),
                        async_nats::Event::Closed => {}
                        other => log(&format!("engine: {other}")),
                    }
                }
            });
        }
        let client = options
            .connect(addrs)
            .await
            .map_err(|e| Error::connect(&shown, e))?;
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .max_ack_inflight(8192)
            .backpressure_on_inflight(true)
            .build(client.clone());
        js.query_account().await.map_err(|e| {
            Error::connect(
                &shown,
                format!("JetStream is not available ({e}); start nats-server with -js"),
            )
        })?;
        let engine = Engine {
            inner: Arc::new(Inner { client, js, config }),
        };
        crate::setup::shared_streams(&engine).await?;
        Ok(engine)
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The NATS client, for what the engine does not wrap.
    pub fn client(&self) -> &async_nats::Client {
        &self.inner.client
    }

    /// The JetStream context.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.inner.js
    }
}
