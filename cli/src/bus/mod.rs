//! The local bus both `route` and `replay` run: a router over the
//! configuration's rules and destinations, fed event by event, drained on
//! the way out, and summed up.
//!
//! Interrupts (SIGINT, SIGTERM): the first stops reading input, then
//! in-flight deliveries get the grace period (`delivery.grace_ms`) to end;
//! a second one ends the wait at once and kills running `exec:` commands.
//! Whatever is still undelivered then is counted as dropped and listed in
//! the summary: nothing is lost silently.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evrule::route::{Archive, Destination, DropRecord, Router, RouterConfig, TargetStats};
use serde_json::{json, Value};

pub mod config;
pub mod destination;
pub mod durable;
pub mod engine;
pub mod input;
pub mod window;

use crate::events::{self, Pos};
use crate::flags::RouteFormat;
use crate::output::{self, Exit};
use config::BusConfig;
use destination::{DestinationSpec, OpenSettings};

/// Nesting `serde_json` accepts, as the router does: how deep a non-object
/// is read to say why it is not an event.
const MAX_DEPTH: usize = 127;

static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

/// Drops listed in the human summary; the JSON one lists all the router
/// kept (up to 1000).
const MAX_HUMAN_DROPS: usize = 20;

/// Count SIGINT / SIGTERM instead of dying on them. The handler runs on a
/// thread of its own, so it can act even while the bus waits for queue
/// space: the second interrupt kills running `exec:` commands at once, the
/// third exits without waiting for anything.
pub fn catch_interrupts() {
    if let Err(e) = ctrlc::set_handler(|| match INTERRUPTS.fetch_add(1, Ordering::SeqCst) {
        0 => {}
        1 => destination::abort_running_commands(),
        _ => {
            output::error("interrupted three times: exiting without a summary");
            std::process::exit(130);
        }
    }) {
        output::error(&format!("cannot catch interrupts: {e}"));
    }
}

/// Interrupts received so far.
pub fn interrupts() -> usize {
    INTERRUPTS.load(Ordering::SeqCst)
}

/// One target as configured, for the summary.
#[derive(Clone, Debug)]
struct TargetInfo {
    arn: String,
    destination: String,
    dead_letter: Option<String>,
}

/// A running bus.
pub struct Bus {
    router: Router,
    targets: HashMap<(String, String), TargetInfo>,
    grace: Duration,
    bad: u64,
    archived: u64,
    errors: u64,
}

/// What the bus did, for the summary.
#[derive(Debug)]
pub struct Summary {
    events: u64,
    matched: u64,
    bad: u64,
    archived: Option<u64>,
    errors: u64,
    interrupted: bool,
    targets: Vec<(TargetStats, TargetInfo)>,
    drops: Vec<DropRecord>,
    /// Extra fields (replay's window), shown after the counts.
    pub extra: Vec<(String, Value)>,
}

impl Bus {
    /// Open the destinations the rules use and start the router. Every
    /// target and dead-letter ARN needs a destination.
    pub fn start(config: &BusConfig, archive: Option<Archive>) -> Result<Bus, Vec<String>> {
        let specs: HashMap<&str, (&str, &DestinationSpec)> = config
            .destinations
            .iter()
            .map(|(k, uri, s)| (k.as_str(), (uri.as_str(), s)))
            .collect();
        let settings = OpenSettings {
            cwd: config.dir.clone(),
            timeout: config.delivery.timeout,
        };
        let mut problems = Vec::new();
        let mut opened: HashMap<DestinationSpec, Arc<dyn Destination>> = HashMap::new();
        let mut by_arn: HashMap<String, Arc<dyn Destination>> = HashMap::new();
        let mut targets = HashMap::new();
        let mut open = |arn: &str, what: String, problems: &mut Vec<String>| -> Option<String> {
            let Some(&(uri, spec)) = specs.get(arn) else {
                problems.push(format!(
                    "{}: no destination for {arn} ({what}); add it under `destinations:`",
                    config.path.display()
                ));
                return None;
            };
            if !by_arn.contains_key(arn) {
                let dest = match opened.get(spec) {
                    Some(d) => Arc::clone(d),
                    None => match spec.open(&settings) {
                        Ok(d) => {
                            opened.insert(spec.clone(), Arc::clone(&d));
                            d
                        }
                        Err(e) => {
                            problems.push(format!("{}: {e}", config.path.display()));
                            return None;
                        }
                    },
                };
                by_arn.insert(arn.to_string(), dest);
            }
            Some(uri.to_string())
        };
        for rule in &config.rules {
            for t in &rule.targets {
                let what = format!("target {} of rule {}", t.id, rule.name);
                let destination = open(&t.arn, what.clone(), &mut problems);
                let dead_letter = t.dead_letter_config.as_ref().and_then(|d| {
                    open(
                        &d.arn,
                        format!("dead-letter queue of {what}"),
                        &mut problems,
                    )
                });
                targets.insert(
                    (rule.name.clone(), t.id.clone()),
                    TargetInfo {
                        arn: t.arn.clone(),
                        destination: destination.unwrap_or_default(),
                        dead_letter,
                    },
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let d = &config.delivery;
        let mut router_config = RouterConfig::new()
            .workers(d.workers)
            .queue_capacity(d.queue_capacity)
            .backoff(d.backoff_base, d.backoff_cap);
        if let Some(r) = &config.region {
            router_config = router_config.region(r.clone());
        }
        if let Some(a) = &config.account {
            router_config = router_config.account(a.clone());
        }
        let mut builder = Router::builder()
            .rules(config.rules.iter().cloned())
            .config(router_config);
        for (arn, dest) in by_arn {
            builder = builder.destination(arn, dest);
        }
        if let Some(a) = archive {
            builder = builder.archive(a);
        }
        let router = builder.build().map_err(|e| {
            // Pattern errors name the rule: point at where it was defined.
            let at = e
                .rule()
                .and_then(|r| config.origins.get(r))
                .cloned()
                .unwrap_or_else(|| config.path.display().to_string());
            vec![format!("{at}: {e}")]
        })?;
        Ok(Bus {
            router,
            targets,
            grace: d.grace,
            bad: 0,
            archived: 0,
            errors: 0,
        })
    }

    /// Route one event of `source` that starts at `start` (when the event
    /// has a place in a file). A bad event is reported at the place of the
    /// problem and skipped; `Err` means the bus cannot go on (the archive
    /// failed).
    pub fn route(&mut self, event: &[u8], source: &str, start: Option<Pos>) -> Result<(), ()> {
        let place = |offset: usize, e: Option<&evrule::Error>| match start {
            None => source.to_string(),
            Some(start) => {
                let at = events::position_in(start, event, offset);
                let at = e.map_or(at, |e| events::event_error(at, e).0);
                format!("{source}:{at}")
            }
        };
        // Blanks before the object are JSON's, not a sign of a non-object.
        let blanks = event.len() - event.trim_ascii_start().len();
        let trimmed = event.trim_ascii();
        if trimmed.first() != Some(&b'{') {
            let (offset, why) = match evrule::json::parse(trimmed, MAX_DEPTH) {
                Ok(_) => (blanks, "an event must be a JSON object".to_string()),
                Err(e) => (blanks + e.offset, format!("invalid JSON: {}", e.message)),
            };
            self.bad_input(&place(offset, None), &why);
            return Ok(());
        }
        match self.router.route(trimmed) {
            Ok(outcome) => {
                self.archived += u64::from(outcome.archived);
                Ok(())
            }
            Err(e) if e.is_event() || e.limit().is_some() => {
                self.bad_input(&place(blanks, Some(&e)), e.message());
                Ok(())
            }
            Err(e) => {
                self.error(&format!("{}: {e}", place(blanks, None)));
                Err(())
            }
        }
    }

    /// Report input that could not be routed.
    pub fn bad_input(&mut self, at: &str, message: &str) {
        self.bad += 1;
        output::error(&format!("{at}: {message} (skipped)"));
    }

    /// Report an error that is not about one event.
    pub fn error(&mut self, message: &str) {
        self.errors += 1;
        output::error(message);
    }

    /// Wait for outstanding deliveries (bounded by the grace period once
    /// interrupted), stop, and sum up. `interrupted`: input was cut short.
    pub fn finish(self, interrupted: bool, archiving: bool) -> Summary {
        let mut deadline = interrupted.then(|| Instant::now() + self.grace);
        let mut interrupted = interrupted;
        while self.router.pending() > 0 {
            let n = interrupts();
            if n >= 2 {
                break;
            }
            if n >= 1 && deadline.is_none() {
                interrupted = true;
                deadline = Some(Instant::now() + self.grace);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.router.pending() > 0 {
            // Forced: in-flight commands would otherwise run to their timeout.
            destination::abort_running_commands();
        }
        let report = self.router.shutdown(Duration::ZERO);
        let stats = report.stats;
        let targets = stats
            .targets
            .iter()
            .map(|t| {
                let info = self
                    .targets
                    .get(&(t.rule.clone(), t.target_id.clone()))
                    .cloned()
                    .unwrap_or(TargetInfo {
                        arn: String::new(),
                        destination: String::new(),
                        dead_letter: None,
                    });
                (t.clone(), info)
            })
            .collect();
        Summary {
            events: stats.events,
            matched: stats.matched,
            bad: self.bad,
            archived: archiving.then_some(self.archived),
            errors: self.errors,
            interrupted,
            targets,
            drops: stats.drops,
            extra: Vec::new(),
        }
    }
}

impl Summary {
    fn totals(&self) -> (u64, u64, u64, u64) {
        self.targets.iter().fold((0, 0, 0, 0), |acc, (t, _)| {
            (
                acc.0 + t.delivered,
                acc.1 + t.retried,
                acc.2 + t.dead_lettered,
                acc.3 + t.dropped,
            )
        })
    }

    /// 0 all delivered, 1 some dead-lettered or dropped, 2 errors.
    pub fn exit(&self) -> Exit {
        let (_, _, dead, dropped) = self.totals();
        if self.errors > 0 || self.bad > 0 {
            Exit::Error
        } else if dead + dropped > 0 {
            Exit::Failure
        } else {
            Exit::Success
        }
    }

    /// Write the summary: human text on stderr, or one JSON object on stdout.
    pub fn print(&self, format: RouteFormat) -> io::Result<()> {
        match format {
            RouteFormat::Json => {
                let mut out = io::stdout().lock();
                writeln!(out, "{}", self.to_json())?;
                out.flush()
            }
            RouteFormat::Human => {
                let mut err = io::stderr().lock();
                err.write_all(self.to_human().as_bytes())
            }
        }
    }

    fn dropped_in_total(&self) -> u64 {
        self.totals().3
    }

    fn to_json(&self) -> Value {
        let (delivered, retried, dead, dropped) = self.totals();
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|(t, info)| {
                json!({
                    "rule": t.rule,
                    "target": t.target_id,
                    "arn": info.arn,
                    "destination": info.destination,
                    "dead_letter_destination": info.dead_letter,
                    "delivered": t.delivered,
                    "retried": t.retried,
                    "dead_lettered": t.dead_lettered,
                    "dropped": t.dropped,
                })
            })
            .collect();
        let drops: Vec<Value> = self
            .drops
            .iter()
            .map(|d| {
                let r = &d.reason;
                json!({
                    "rule": r.rule,
                    "target": r.target_id,
                    "arn": r.target_arn,
                    "error_code": r.error_code,
                    "error_message": r.error_message,
                    "attempts": r.attempts,
                    "limit": r.limit.as_str(),
                    "event": serde_json::from_str::<Value>(&d.event)
                        .unwrap_or_else(|_| Value::String(d.event.clone())),
                })
            })
            .collect();
        let mut obj = json!({
            "events": self.events,
            "matched": self.matched,
            "bad_lines": self.bad,
            "errors": self.errors,
            "archived": self.archived,
            "interrupted": self.interrupted,
            "delivered": delivered,
            "retried": retried,
            "dead_lettered": dead,
            "dropped": dropped,
            "targets": targets,
            "drops": drops,
            "drops_not_listed": dropped.saturating_sub(self.drops.len() as u64),
        });
        for (k, v) in &self.extra {
            obj[k] = v.clone();
        }
        obj
    }

    fn to_human(&self) -> String {
        use std::fmt::Write as _;
        let (delivered, retried, dead, dropped) = self.totals();
        let mut s = String::new();
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let _ = write!(
            s,
            "{} in, {} matched",
            plural(self.events, "event", "events"),
            self.matched
        );
        if self.bad > 0 {
            let _ = write!(s, ", {} skipped", plural(self.bad, "bad line", "bad lines"));
        }
        if let Some(n) = self.archived {
            let _ = write!(s, ", {n} archived");
        }
        s.push('\n');
        for (k, v) in &self.extra {
            let v = match v {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(s, "{}: {v}", k.replace('_', " "));
        }
        let _ = writeln!(
            s,
            "deliveries: {delivered} ok, {retried} retried, {dead} dead-lettered, {dropped} dropped"
        );
        for (t, info) in &self.targets {
            let _ = write!(
                s,
                "  {}/{}: {} ok, {} retried, {} dead-lettered, {} dropped -> {}",
                t.rule,
                t.target_id,
                t.delivered,
                t.retried,
                t.dead_lettered,
                t.dropped,
                info.destination,
            );
            if let Some(d) = &info.dead_letter {
                let _ = write!(s, " (dead letters -> {d})");
            }
            s.push('\n');
        }
        for d in self.drops.iter().take(MAX_HUMAN_DROPS) {
            let r = &d.reason;
            let _ = writeln!(
                s,
                "dropped: {}/{}: {} after {} ({}): {}; event: {}",
                r.rule,
                r.target_id,
                r.error_code,
                plural(u64::from(r.attempts), "attempt", "attempts"),
                r.limit.as_str(),
                r.error_message,
                d.event.trim()
            );
        }
        let listed = self.drops.len().min(MAX_HUMAN_DROPS) as u64;
        let unlisted = self.dropped_in_total().saturating_sub(listed);
        if unlisted > 0 {
            let _ = writeln!(
                s,
                "dropped: {unlisted} more not listed (--format json lists up to 1000)"
            );
        }
        if self.interrupted {
            let _ = writeln!(s, "interrupted: stopped before the end of the input");
        }
        s
    }
}
