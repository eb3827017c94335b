//! [`Router`]: matches each event, renders every target's input on the
//! caller's thread and hands the deliveries to the worker pool (see
//! `pool.rs` for the delivery model: retries, dead letters, FIFO lanes).

use std::cmp::Reverse;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Kind};
use crate::route::archive::Archive;
use crate::route::delivery::{
    Delivery, DeliveryResult, DropRecord, ExhaustedLimit, RouteOutcome, RouterStats, RuleSelector,
    ShutdownReport,
};
use crate::route::model::{RuleState, Target};
use crate::route::pool::{lock, Body, Deliveries, GroupSpec, RuleSlot, Shared, Task};
use crate::route::raw;
use crate::route::transform::{RenderContext, TargetInput};
use crate::{Cache, Matcher, RuleId};

/// One delivery an event asks for, rendered but not attempted: see
/// [`Router::render`].
///
/// ```
/// fn policy(r: &evrule::route::Rendered<'_>) -> u32 {
///     r.target.retry_policy.maximum_retry_attempts
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rendered<'r> {
    /// The target, with its retry policy and dead-letter queue.
    pub target: &'r Target,
    /// What its destination would be handed on the first attempt.
    pub delivery: Delivery,
    /// Why the input could not be built (the body is then empty).
    pub input_error: Option<String>,
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
    pub(crate) shared: Arc<Shared>,
    pub(crate) selector: Selector,
    pub(crate) workers: Vec<JoinHandle<()>>,
    pub(crate) archive: Option<Mutex<Archive>>,
    /// Reusable deliveries for first attempts made on routing threads.
    pub(crate) inline: Mutex<Deliveries>,
}

/// How a router chooses rules.
pub(crate) enum Selector {
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

    /// The enabled rules `event` matches, in routing order, and whether
    /// any of their targets reads the event's values.
    fn matched_rules(&self, event: &[u8]) -> Result<(Vec<&RuleSlot>, bool), Error> {
        let shared = &self.shared;
        let rules: Vec<&RuleSlot> = self
            .select(event)?
            .into_iter()
            .map(|i| &shared.rules[i])
            .filter(|r| r.rule.state == RuleState::Enabled)
            .collect();
        let needs_event = rules.iter().flat_map(|r| &r.targets).any(|&s| {
            let slot = &shared.slots[s];
            slot.input.needs_event() || matches!(slot.group, Some(GroupSpec::Path(_)))
        });
        Ok((rules, needs_event))
    }

    /// What target slot `s` is sent for one event, and its message group.
    fn plan(
        &self,
        s: usize,
        text: &str,
        resolved: Option<&raw::Resolved>,
        ctx: &RenderContext<'_>,
    ) -> (Body, Option<String>) {
        let slot = &self.shared.slots[s];
        let body = match &slot.input {
            TargetInput::Event => Body::Event,
            TargetInput::Constant(_) => Body::Constant,
            input => match input.render(text, resolved, &slot.binding, ctx, &slot.target.id) {
                Ok(b) => Body::Rendered(b),
                Err(why) => Body::Failed(why),
            },
        };
        let group = slot.group.as_ref().map(|g| match g {
            GroupSpec::Constant(c) => c.clone(),
            GroupSpec::Path(node) => match resolved.and_then(|e| e.get(*node)) {
                Some(v) if raw::is_string(v) => raw::decode_string(v.trim()).into_owned(),
                Some(v) => {
                    let mut out = String::new();
                    raw::write_json(&mut out, v);
                    out
                }
                None => String::new(),
            },
        });
        (body, group)
    }

    /// Match `event` and render the input of every target of every matched
    /// enabled rule, as [`Router::route_at`] would, but deliver nothing:
    /// no destination is called, nothing is archived or counted. For
    /// runtimes that deliver elsewhere (evrule-engine publishes each to a
    /// durable queue), so that their matching and rendering are the
    /// router's own.
    ///
    /// Each [`Rendered`] holds the delivery a destination would be handed
    /// (attempt 1), its target (retry policy, dead-letter queue) and, when
    /// the input could not be built, why (the body is then empty, and the
    /// router would have sent the event to the dead-letter queue with
    /// `INVALID_TARGET_INPUT`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evrule::route::{Delivery, DeliveryResult, Router, Rule, Target};
    /// let router = Router::builder()
    ///     .rule(Rule::new("r", r#"{"source": ["a"]}"#)
    ///         .with_target(Target { input_path: Some("$.detail".into()), ..Target::new("t", "arn:t") }))
    ///     .fallback_destination(Arc::new(|_: &Delivery| DeliveryResult::Ok))
    ///     .build()?;
    /// let out = router.render(br#"{"source": "a", "detail": {"n": 1}}"#, std::time::UNIX_EPOCH)?;
    /// assert_eq!(out.len(), 1);
    /// assert_eq!(out[0].delivery.body, r#"{"n":1}"#);
    /// assert_eq!(out[0].target.id, "t");
    /// assert!(router.render(br#"{"source": "b"}"#, std::time::UNIX_EPOCH)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render(
        &self,
        event: &[u8],
        ingestion_time: SystemTime,
    ) -> Result<Vec<Rendered<'_>>, Error> {
        let shared = &self.shared;
        let text = std::str::from_utf8(event)
            .map_err(|e| Error::new(Kind::Event, format!("The event is not UTF-8: {e}")))?;
        let (rules, needs_event) = self.matched_rules(event)?;
        let resolved = if needs_event && !rules.is_empty() {
            shared.paths.resolve(text).ok()
        } else {
            None
        };
        let mut out = Vec::new();
        for rule in rules {
            let ctx = RenderContext::new(&rule.rule.name, &rule.arn, ingestion_time);
            for &s in &rule.targets {
                let slot = &shared.slots[s];
                let (body, group) = self.plan(s, text, resolved.as_ref(), &ctx);
                let (body, input_error) = match body {
                    Body::Event => (text.to_string(), None),
                    Body::Constant => match &slot.input {
                        TargetInput::Constant(c) => (c.to_string(), None),
                        _ => (String::new(), None),
                    },
                    Body::Rendered(b) => (b, None),
                    Body::Failed(why) => (String::new(), Some(why)),
                };
                out.push(Rendered {
                    target: &slot.target,
                    delivery: Delivery {
                        rule: rule.rule.name.clone(),
                        rule_arn: rule.arn.clone(),
                        target_id: slot.target.id.clone(),
                        target_arn: slot.target.arn.clone(),
                        body,
                        message_group_id: group,
                        attempt: 1,
                        ingestion_time,
                        dead_letter: None,
                    },
                    input_error,
                });
            }
        }
        Ok(out)
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
        let (rules, needs_event) = self.matched_rules(event)?;
        shared.events.fetch_add(1, Ordering::Relaxed);
        let mut outcome = RouteOutcome::default();
        if archive {
            if let Some(a) = &self.archive {
                outcome.archived = lock(a).append(event, ingestion_time)?;
            }
        }
        if rules.is_empty() {
            return Ok(outcome);
        }
        shared.matched.fetch_add(1, Ordering::Relaxed);
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
                let (body, group) = self.plan(s, text, resolved.as_ref(), &ctx);
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
