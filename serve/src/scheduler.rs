//! Scheduled rules: when a rule's schedule comes due, the `Scheduled Event`
//! EventBridge shapes for it goes to that rule's targets (through its bus's
//! schedule router, see `engine.rs`).
//!
//! Time is the server's [`Clock`](crate::schedule::Clock): [`run_due`]
//! fires everything due at the clock's "now", so tests move a
//! [`ManualClock`](crate::schedule::ManualClock) and call it instead of
//! waiting. A rule fires once per due time; after a gap (a stopped
//! machine, a clock moved far ahead) it fires once and then keeps to its
//! schedule, as EventBridge does not make up missed firings. A `rate(...)`
//! keeps its phase from when the rule was created or enabled.

use std::sync::Arc;
use std::time::SystemTime;

use crate::engine::{lock, Engine};
use crate::ids;
use crate::schedule::scheduled_event;
use crate::state::Shared;

struct Firing {
    engine: Arc<Engine>,
    rule_arn: String,
    account: String,
    region: String,
    due: SystemTime,
}

/// Fire every scheduled rule due at the clock's current time; returns how
/// many fired.
pub(crate) fn run_due(shared: &Shared) -> usize {
    let now = shared.now();
    let mut firings = Vec::new();
    {
        let mut registry = lock(&shared.registry);
        for ((account, region), r) in registry.regions.iter_mut() {
            let Some(bus) = r.buses.get_mut("default") else {
                continue;
            };
            let engine = Arc::clone(&bus.engine);
            let bus_arns: Vec<(String, String)> = bus
                .rules
                .keys()
                .map(|n| (n.clone(), bus.rule_arn(n, account, region)))
                .collect();
            for (name, rule_arn) in bus_arns {
                let rule = bus.rules.get_mut(&name).expect("listed above");
                let (Some(due), Some(schedule)) = (rule.next_fire, rule.schedule.as_ref()) else {
                    continue;
                };
                if due > now || !rule.enabled() {
                    continue;
                }
                rule.next_fire = match schedule.rate() {
                    Some(period) if !period.is_zero() => {
                        let mut next = due + period;
                        while next <= now {
                            next += period;
                        }
                        Some(next)
                    }
                    _ => schedule.next_after(now),
                };
                firings.push(Firing {
                    engine: Arc::clone(&engine),
                    rule_arn,
                    account: account.clone(),
                    region: region.clone(),
                    due,
                });
            }
        }
    }
    let fired = firings.len();
    for f in firings {
        let event = scheduled_event(&f.rule_arn, &f.account, &f.region, f.due, &ids::uuid());
        if let Some(router) = f.engine.schedule_router() {
            if let Err(e) = router.route_at(event.to_string().as_bytes(), now) {
                eprintln!(
                    "evrule serve: scheduled event for {} not routed: {e}",
                    f.rule_arn
                );
            }
        }
    }
    fired
}

/// When the next scheduled rule comes due, if any does.
pub(crate) fn next_due(shared: &Shared) -> Option<SystemTime> {
    let registry = lock(&shared.registry);
    registry
        .regions
        .values()
        .filter_map(|r| r.buses.get("default"))
        .flat_map(|b| b.rules.values())
        .filter(|r| r.enabled())
        .filter_map(|r| r.next_fire)
        .min()
}
