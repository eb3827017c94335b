//! `evrule route`: a local event bus. Events (NDJSON files or stdin) are
//! matched against the configuration's rules and delivered to each matched
//! rule's targets through local destinations (`file:`, `dir:`, `stdout:`,
//! `exec:`, `http(s)://`), with the targets' retry policies and dead-letter
//! queues; optionally archived first, for `evrule replay`.
//!
//! Layout: `config` reads the bus configuration, `destination` implements
//! the destinations, `input` reads events on a thread of its own, `bus`
//! runs the router and writes the summary (shared with `replay`);
//! `engine` publishes to, or works for, a NATS JetStream engine instead.

use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use evrule::route::{Archive, ArchiveConfig};

use crate::flags::{RouteFlags, RouteFormat};
use crate::output::{self, Exit};

use crate::bus::config::{self, BusConfig};
use crate::bus::{self, input, Bus};

/// Validated settings of `route`.
#[derive(Debug)]
pub struct Settings {
    config: BusConfig,
    archive: Option<(PathBuf, ArchiveConfig)>,
    format: RouteFormat,
    events: Vec<PathBuf>,
}

impl Settings {
    /// Validate raw flags and read the configuration.
    pub fn from_flags(flags: RouteFlags) -> Result<Settings, Vec<String>> {
        let config = config::load(&flags.config)?;
        let dir = flags.archive.or_else(|| config.archive.dir.clone());
        let archive = match dir {
            Some(dir) => {
                let days = flags
                    .retention_days
                    .or(config.archive.retention_days)
                    .unwrap_or(0);
                let mut c = ArchiveConfig::new()
                    .retention_days(days)
                    .fsync(config.archive.fsync);
                if let Some(p) = &config.archive.pattern {
                    c = c.pattern(p.clone());
                }
                Some((dir, c))
            }
            None if flags.retention_days.is_some() => {
                return Err(vec![
                    "--retention-days needs an archive (--archive DIR or archive.dir)".into(),
                ])
            }
            None => None,
        };
        Ok(Settings {
            config,
            archive,
            format: flags.format,
            events: flags.events,
        })
    }
}

/// Run `route`.
pub fn run(flags: RouteFlags) -> Exit {
    if flags.engine.is_some() {
        return bus::engine::route(flags);
    }
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(problems) => return output::refuse(&problems),
    };
    let archiving = settings.archive.is_some();
    let archive = match settings.archive {
        Some((dir, c)) => match Archive::open(&dir, c) {
            Ok(a) => Some(a),
            Err(e) => return output::refuse(&[format!("archive {}: {e}", dir.display())]),
        },
        None => None,
    };
    let mut bus = match Bus::start(&settings.config, archive) {
        Ok(b) => b,
        Err(problems) => return output::refuse(&problems),
    };
    bus::catch_interrupts();
    let items = input::spawn(settings.events);
    let mut interrupted = false;
    loop {
        if bus::interrupts() > 0 {
            interrupted = true;
            break;
        }
        match items.recv_timeout(Duration::from_millis(50)) {
            Ok(input::Item::Event {
                source,
                start,
                text,
            }) => {
                if bus.route(&text, &source, Some(start)).is_err() {
                    break;
                }
            }
            Ok(input::Item::Bad { at, message }) => bus.bad_input(&at, &message),
            Ok(input::Item::Unreadable { at, message }) => bus.error(&format!("{at}: {message}")),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(items);
    let summary = bus.finish(interrupted, archiving);
    let exit = summary.exit();
    output::finish(summary.print(settings.format).map(|()| exit))
}
