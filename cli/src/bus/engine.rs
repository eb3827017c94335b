//! `route --engine URL` and `replay --engine URL`: the bus on NATS
//! JetStream (crate evrule-engine) instead of in this process.
//!
//! * `route --engine URL [EVENTS...]` seeds the rules bucket with the
//!   configuration's rules, then publishes each event to the bus's stream;
//!   an event counts once JetStream has stored it. Nothing is delivered
//!   here: workers do that.
//! * `route --engine URL --worker` seeds the rules too, then matches and
//!   delivers (through the configuration's destinations) until SIGINT or
//!   SIGTERM; in-flight deliveries then get `delivery.grace_ms`.
//! * `replay --engine URL --from T [--to T]` re-reads the window from the
//!   bus stream through the bucket's current rules.
//!
//! The configuration maps as for the local bus: `delivery.workers` is the
//! deliveries in flight per target and worker, `delivery.backoff_*` the
//! back-off, `archive.retention_days` the bus stream's retention (the
//! stream is the archive; `archive.dir` and `archive.pattern` are not
//! used).

use std::collections::HashMap;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use evrule::route::{Destination, RouterConfig};
use evrule_engine::{BusConfig, Engine, EngineConfig};
use serde_json::{json, Value};

use super::config::{self, BusConfig as Config};
use super::destination::OpenSettings;
use super::window::Window;
use super::{catch_interrupts, input, interrupts};
use crate::events::Pos;
use crate::flags::{EngineAccess, EngineFlags, ReplayFlags, RouteFlags, RouteFormat};
use crate::output::{self, Exit};
use evrule::time::format_rfc3339_millis;

/// Events published per batch (pipelined, then acknowledged together).
const BATCH: usize = 256;

/// The router settings of a bus configuration, as the engine's workers use them.
fn router_config(config: &Config) -> RouterConfig {
    let d = &config.delivery;
    let mut router = RouterConfig::new().backoff(d.backoff_base, d.backoff_cap);
    if let Some(r) = &config.region {
        router = router.region(r.clone());
    }
    if let Some(a) = &config.account {
        router = router.account(a.clone());
    }
    router
}

fn worker_config(url: &str, flags: &EngineFlags, config: &Config) -> EngineConfig {
    engine_config(url, &flags.access, router_config(config))
        .lease(Duration::from_millis(flags.lease_ms))
        .fifo_partitions(flags.fifo_partitions)
}

/// Connection, credentials and TLS from the flags and the environment.
pub(crate) fn engine_config(url: &str, flags: &EngineAccess, router: RouterConfig) -> EngineConfig {
    let mut c = EngineConfig::new(url)
        .replicas(flags.engine_replicas)
        .router(router)
        .log(Arc::new(|note: &str| output::error(note)));
    if let Some(user) = &flags.engine_user {
        let password = std::env::var("EVRULE_ENGINE_PASSWORD").unwrap_or_default();
        c = c.user_password(user.clone(), password);
    }
    if let Ok(token) = std::env::var("EVRULE_ENGINE_TOKEN") {
        c = c.token(token);
    }
    if let Some(p) = &flags.engine_creds {
        c = c.credentials_file(p.clone());
    }
    if let Some(p) = &flags.engine_nkey {
        c = c.nkey_file(p.clone());
    }
    for ca in &flags.engine_tls_ca {
        c = c.tls_root_certificate(ca.clone()).tls_required(true);
    }
    if let (Some(cert), Some(key)) = (&flags.engine_tls_cert, &flags.engine_tls_key) {
        c = c
            .tls_client_certificate(cert.clone(), key.clone())
            .tls_required(true);
    }
    if flags.engine_tls_first {
        c = c.tls_first(true);
    }
    c
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| output::refuse(&[format!("cannot start the engine client: {e}")]))
}

/// Connect and seed the bucket with the configuration's rules.
async fn connect(url: &str, flags: &EngineFlags, config: &Config) -> Result<Engine, Vec<String>> {
    let engine = Engine::connect(worker_config(url, flags, config))
        .await
        .map_err(|e| vec![e.to_string()])?;
    let store = engine.rules().await.map_err(|e| vec![e.to_string()])?;
    let seeded = store
        .seed(&flags.bus, &config.rules, flags.access.replace_rules)
        .await
        .map_err(|e| vec![format!("{}: {e}", config.path.display())])?;
    note_kept(&seeded.kept);
    Ok(engine)
}

/// Rules given in files that the bucket already holds otherwise.
pub(crate) fn note_kept(kept: &[String]) {
    for name in kept {
        output::error(&format!(
            "note: rule {name} differs from the one in the engine's bucket; keeping the bucket's \
             (--replace-rules replaces it)"
        ));
    }
}

fn bus_config(config: &Config) -> BusConfig {
    BusConfig::new().retention_days(config.archive.retention_days.unwrap_or(0))
}

/// Run `route --engine`.
pub fn route(flags: RouteFlags) -> Exit {
    let config = match config::load(&flags.config) {
        Ok(c) => c,
        Err(problems) => return output::refuse(&problems),
    };
    let url = flags.engine.clone().unwrap_or_default();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    if config.archive.dir.is_some() || flags.archive.is_some() {
        output::error("note: with --engine the bus stream is the archive; archive.dir is not used");
    }
    let engine = match rt.block_on(connect(&url, &flags.engine_flags, &config)) {
        Ok(e) => e,
        Err(problems) => return output::refuse(&problems),
    };
    if flags.worker {
        work(&rt, &engine, &flags, &config)
    } else {
        publish(&rt, &engine, &flags, &config)
    }
}

fn publish(
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    flags: &RouteFlags,
    config: &Config,
) -> Exit {
    let bus = match rt.block_on(engine.bus(&flags.engine_flags.bus, bus_config(config))) {
        Ok(b) => b,
        Err(e) => return output::refuse(&[e.to_string()]),
    };
    catch_interrupts();
    let items = input::spawn(flags.events.clone());
    let (mut published, mut duplicates, mut bad, mut errors) = (0u64, 0u64, 0u64, 0u64);
    // (input, where the event starts in it, the event): the place is
    // written out only for an event that fails.
    type Batch = Vec<(Arc<str>, Pos, Vec<u8>)>;
    let mut batch: Batch = Vec::new();
    let mut interrupted = false;
    let mut flush = |batch: &mut Batch, bad: &mut u64, errors: &mut u64| {
        if batch.is_empty() {
            return;
        }
        let refs: Vec<&[u8]> = batch.iter().map(|(_, _, e)| e.as_slice()).collect();
        for ((source, start, _), r) in batch.iter().zip(rt.block_on(bus.put_events(&refs))) {
            let at = format_args!("{source}:{start}");
            match r {
                Ok(p) if p.duplicate => duplicates += 1,
                Ok(_) => published += 1,
                Err(e) if e.is_event() => {
                    *bad += 1;
                    output::error(&format!("{at}: {e} (skipped)"));
                }
                Err(e) => {
                    *errors += 1;
                    output::error(&format!("{at}: {e}"));
                }
            }
        }
        batch.clear();
    };
    loop {
        if interrupts() > 0 {
            interrupted = true;
            break;
        }
        match items.recv_timeout(Duration::from_millis(20)) {
            Ok(input::Item::Event {
                source,
                start,
                text,
            }) => {
                batch.push((source, start, text));
                if batch.len() >= BATCH {
                    flush(&mut batch, &mut bad, &mut errors);
                }
            }
            Ok(input::Item::Bad { at, message }) => {
                bad += 1;
                output::error(&format!("{at}: {message} (skipped)"));
            }
            Ok(input::Item::Unreadable { at, message }) => {
                errors += 1;
                output::error(&format!("{at}: {message}"));
            }
            // A pause in the input: what is read so far goes out now.
            Err(RecvTimeoutError::Timeout) => flush(&mut batch, &mut bad, &mut errors),
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    flush(&mut batch, &mut bad, &mut errors);
    let summary = json!({
        "engine": flags.engine,
        "bus": flags.engine_flags.bus,
        "published": published,
        "duplicates": duplicates,
        "bad_lines": bad,
        "errors": errors,
        "interrupted": interrupted,
    });
    let exit = if bad + errors > 0 {
        Exit::Error
    } else {
        Exit::Success
    };
    let human = format!(
        "{published} events published to bus {} ({duplicates} duplicates of stored ids, {bad} bad lines); \
         workers deliver them (evrule route --engine URL --worker)\n",
        flags.engine_flags.bus
    );
    output::finish(print(flags.format, &summary, &human).map(|()| exit))
}

fn print(format: RouteFormat, summary: &Value, human: &str) -> std::io::Result<()> {
    use std::io::Write;
    match format {
        RouteFormat::Json => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{summary}")?;
            out.flush()
        }
        RouteFormat::Human => std::io::stderr().lock().write_all(human.as_bytes()),
    }
}

fn work(
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    flags: &RouteFlags,
    config: &Config,
) -> Exit {
    let settings = OpenSettings {
        cwd: config.dir.clone(),
        timeout: config.delivery.timeout,
    };
    let mut destinations: HashMap<String, Arc<dyn Destination>> = HashMap::new();
    for (key, _, spec) in &config.destinations {
        match spec.open(&settings) {
            Ok(d) => {
                destinations.insert(key.clone(), d);
            }
            Err(e) => return output::refuse(&[format!("{}: {e}", config.path.display())]),
        }
    }
    let mut builder = engine
        .worker(&flags.engine_flags.bus)
        .concurrency(config.delivery.workers)
        .bus_config(bus_config(config));
    for (arn, d) in destinations {
        builder = builder.destination(arn, d);
    }
    let worker = match rt.block_on(builder.start()) {
        Ok(w) => w,
        Err(e) => return output::refuse(&[e.to_string()]),
    };
    catch_interrupts();
    output::error(&format!(
        "worker on bus {} at {}: {} rules; stop with Ctrl-C",
        flags.engine_flags.bus,
        flags.engine.as_deref().unwrap_or_default(),
        worker.rule_names().len()
    ));
    while interrupts() == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let stats = rt.block_on(worker.stop(config.delivery.grace));
    let targets: Vec<Value> = stats
        .targets
        .iter()
        .map(|t| {
            json!({"rule": t.rule, "target": t.target_id, "delivered": t.delivered,
                   "retried": t.retried, "dead_lettered": t.dead_lettered, "dropped": t.dropped})
        })
        .collect();
    let summary = json!({
        "engine": flags.engine, "bus": flags.engine_flags.bus, "events": stats.events,
        "matched": stats.matched, "published": stats.published, "targets": targets,
    });
    let mut human = format!(
        "worker stopped: {} events matched here ({} matched a rule), {} deliveries published\n",
        stats.events, stats.matched, stats.published
    );
    for t in &stats.targets {
        human.push_str(&format!(
            "  {}/{}: {} ok, {} retried, {} dead-lettered, {} dropped\n",
            t.rule, t.target_id, t.delivered, t.retried, t.dead_lettered, t.dropped
        ));
    }
    output::finish(print(flags.format, &summary, &human).map(|()| Exit::Success))
}

/// Run `replay --engine`.
pub fn replay(flags: ReplayFlags) -> Exit {
    let config = match config::load(&flags.config) {
        Ok(c) => c,
        Err(problems) => return output::refuse(&problems),
    };
    let Window { from, to, name } =
        match Window::parse(&flags.from, flags.to.as_deref(), flags.name.as_deref()) {
            Ok(w) => w,
            Err(problems) => return output::refuse(&problems),
        };
    let url = flags.engine.clone().unwrap_or_default();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let result = rt.block_on(async {
        let engine = connect(&url, &flags.engine_flags, &config).await?;
        engine
            .replay(&flags.engine_flags.bus, &name, from, to)
            .await
            .map_err(|e| vec![e.to_string()])
    });
    let r = match result {
        Ok(r) => r,
        Err(problems) => return output::refuse(&problems),
    };
    let summary = json!({
        "engine": url, "bus": flags.engine_flags.bus, "replay_name": name,
        "replayed": r.events, "matched": r.matched, "deliveries": r.deliveries,
    });
    let human = format!(
        "replay {name}: {} events of [{}, {}) replayed, {} matched, {} deliveries published for the workers\n",
        r.events,
        format_rfc3339_millis(from),
        format_rfc3339_millis(to),
        r.matched,
        r.deliveries
    );
    output::finish(print(flags.format, &summary, &human).map(|()| Exit::Success))
}
