//! `evrule serve`: the EventBridge API on localhost (the `evrule-serve`
//! crate does the work). This module reads what only the command line
//! knows: the bus configuration's destinations and rules (the same file as
//! `route`), rule files given as arguments, the credentials file; then it
//! runs the server until SIGINT or SIGTERM and reports what was left undone.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use evrule::route::{Destination, RuleSet};
use evrule_serve::sigv4::Credentials;
use evrule_serve::{Samples, ServeConfig, Server};

use crate::bus;
use crate::bus::config::{self, BusConfig};
use crate::bus::destination::OpenSettings;
use crate::bus::durable::JetStream;
use crate::flags::ServeFlags;
use crate::output::{self, Exit};
use crate::sources::{self, LoadOptions};

/// Drops listed on stderr at shutdown.
const MAX_LISTED: usize = 20;

/// The server's settings from the flags and the files they name.
fn settings(flags: &ServeFlags) -> Result<(ServeConfig, bool), Vec<String>> {
    let addr = SocketAddr::new(flags.bind, flags.port);
    let mut config = ServeConfig::new()
        .bind(addr)
        .region(flags.region.clone())
        .account(flags.account.clone())
        .max_entries_bytes(flags.max_entries_size)
        .inbox_capacity(flags.inbox_capacity)
        .max_connections(flags.max_connections);
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    if let Some(path) = &flags.config {
        let bus_config: BusConfig = config::load(path)?;
        let d = &bus_config.delivery;
        config = config
            .delivery_workers(d.workers, d.queue_capacity)
            .backoff(d.backoff_base, d.backoff_cap)
            .grace(d.grace);
        if let Some(r) = &bus_config.region {
            config = config.region(r.clone());
        }
        if let Some(a) = &bus_config.account {
            config = config.account(a.clone());
        }
        let open = OpenSettings {
            cwd: bus_config.dir.clone(),
            timeout: d.timeout,
        };
        let mut opened: HashMap<String, Arc<dyn Destination>> = HashMap::new();
        for (arn, uri, spec) in &bus_config.destinations {
            let dest = match opened.get(uri) {
                Some(d) => Arc::clone(d),
                None => match spec.open(&open) {
                    Ok(d) => {
                        opened.insert(uri.clone(), Arc::clone(&d));
                        d
                    }
                    Err(e) => {
                        problems.push(format!("{}: {e}", path.display()));
                        continue;
                    }
                },
            };
            config = config.destination(arn.clone(), dest);
        }
        rules.extend(bus_config.rules);
    }
    if !flags.rules.is_empty() {
        let options = LoadOptions {
            parameters: output::key_values("parameter", &flags.parameters).map_err(|e| vec![e])?,
        };
        let (candidates, errors) = sources::discover(&flags.rules);
        problems.extend(errors.iter().map(ToString::to_string));
        let mut set = RuleSet::new();
        let mut origins = HashMap::new();
        for c in candidates {
            if let Err(list) = config::add_file(&mut set, &c.path, &options, &mut origins) {
                problems.extend(list);
            }
        }
        rules.extend(set.into_rules());
    }
    if let Some(path) = &flags.credentials {
        match Credentials::load(path) {
            Ok(c) => config = config.credentials(c),
            Err(e) => problems.push(e),
        }
    }
    if let Some(dir) = &flags.state {
        config = config.state_dir(PathBuf::from(dir));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if let Some(url) = &flags.engine {
        let (store, merged) = JetStream::connect(url, &flags.engine_access, rules)?;
        rules = merged;
        config = config.durable(store);
    }
    config = config.rules(rules);
    if problems.is_empty() {
        Ok((config, flags.credentials.is_some()))
    } else {
        Err(problems)
    }
}

/// Run `serve`; `samples` are the sandbox page's sample events.
pub fn run(flags: ServeFlags, samples: Samples) -> Exit {
    let (config, auth) = match settings(&flags) {
        Ok((c, auth)) => (c.samples(samples), auth),
        Err(problems) => return output::refuse(&problems),
    };
    let server = match Server::start(config) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e.to_string()]),
    };
    for notice in server.notices() {
        eprintln!("evrule serve: {notice}");
    }
    if let Some(url) = &flags.engine {
        eprintln!(
            "evrule serve: engine: events and rules are stored in NATS JetStream at {url}; \
             workers deliver them (evrule route --engine {url} --worker)"
        );
    }
    let addr = server.local_addr();
    if !addr.ip().is_loopback() && !auth {
        output::error(&format!(
            "warning: serving on {addr} without --credentials: anyone who can reach it can \
             change rules and read deliveries"
        ));
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "evrule serve: listening on http://{addr}");
        let _ = out.flush();
    }
    bus::catch_interrupts();
    while bus::interrupts() == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("evrule serve: stopping: finishing requests and deliveries in flight");
    let report = server.shutdown();
    let sum = |f: fn(&evrule::route::TargetStats) -> u64| -> u64 {
        report.stats.targets.iter().map(f).sum()
    };
    if let Some(url) = &flags.engine {
        eprintln!(
            "evrule serve: {} events stored in NATS JetStream at {url} for the workers",
            report.stored
        );
    }
    eprintln!(
        "evrule serve: stopped: {} events routed, {} matched; {} delivered, {} dead-lettered, \
         {} dropped; {} undelivered at shutdown; {} requests cut off",
        report.stats.events,
        report.stats.matched,
        sum(|t| t.delivered),
        sum(|t| t.dead_lettered),
        sum(|t| t.dropped),
        report.undelivered.len(),
        report.aborted_requests,
    );
    for d in report.undelivered.iter().take(MAX_LISTED) {
        eprintln!(
            "evrule serve: undelivered: rule {} target {} ({}): {}",
            d.reason.rule, d.reason.target_id, d.reason.target_arn, d.reason.error_message
        );
    }
    if report.undelivered.len() > MAX_LISTED {
        eprintln!(
            "evrule serve: ... and {} more undelivered",
            report.undelivered.len() - MAX_LISTED
        );
    }
    Exit::Success
}
