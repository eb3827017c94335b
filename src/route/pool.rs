//! Delivery: fan-out, retries with back-off, dead letters, FIFO order.
//!
//! [`Router::route`](crate::route::Router::route) matches an event, renders the input of every target
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
//!
//! This module holds the machinery: the queue, the timer heap, the lanes
//! and the worker threads; [`Router`](super::Router) drives it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Kind};
use crate::route::delivery::{
    Clock, DeadLetter, Delivery, DeliveryResult, Destination, DropRecord, ExhaustedLimit,
    RouterConfig, RouterStats, Settlement, TargetStats,
};
use crate::route::model::{Rule, Target};
use crate::route::raw::PathSet;
use crate::route::transform::{Binding, TargetInput};

/// Most drop records kept in [`RouterStats::drops`]; counters keep counting.
pub(crate) const MAX_DROP_RECORDS: usize = 1000;

pub(crate) fn routing(msg: impl Into<String>) -> Error {
    Error::new(Kind::Routing, msg)
}

#[derive(Debug)]
pub(crate) enum GroupSpec {
    Constant(String),
    /// A path's node in [`Shared::paths`].
    Path(usize),
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) delivered: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

pub(crate) struct Slot {
    /// First attempts are made on the routing thread (a non-blocking,
    /// non-FIFO destination).
    pub(crate) inline: bool,
    pub(crate) rule: usize,
    pub(crate) target: Target,
    pub(crate) input: TargetInput,
    /// Where `input` finds its values in [`Shared::paths`].
    pub(crate) binding: Binding,
    pub(crate) group: Option<GroupSpec>,
    pub(crate) destination: Arc<dyn Destination>,
    pub(crate) dead_letter: Option<Arc<dyn Destination>>,
    pub(crate) counters: Counters,
}

pub(crate) struct RuleSlot {
    pub(crate) rule: Rule,
    pub(crate) arn: String,
    pub(crate) targets: Vec<usize>,
    /// Position of the name among all rule names, sorted.
    pub(crate) rank: usize,
}

/// What a task sends.
pub(crate) enum Body {
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
pub(crate) enum Next {
    /// The task is finished (delivered, dead-lettered or dropped).
    Done(Task),
    /// Try again after the delay.
    Retry(Task, Duration),
}

/// Finished tasks kept for the routing thread to free, at most.
pub(crate) const MAX_DONE: usize = 4096;

/// One delivery in progress, from queueing to its end.
pub(crate) struct Task {
    pub(crate) slot: usize,
    pub(crate) body: Body,
    pub(crate) event: Arc<str>,
    pub(crate) ingestion_time: SystemTime,
    pub(crate) group: Option<String>,
    pub(crate) attempts: u32,
    pub(crate) last_error: String,
    /// The result of an attempt made on the routing thread, for a worker
    /// to act on.
    pub(crate) result: Option<DeliveryResult>,
}

/// Deliveries kept per target and reused, so that an attempt allocates
/// nothing: only the body, group and attempt change between them.
#[derive(Default)]
pub(crate) struct Deliveries(Vec<Option<Delivery>>);

impl Deliveries {
    /// The delivery for slot `s`, filled in for this attempt.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fill<'d>(
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

pub(crate) struct Delayed {
    pub(crate) due: Instant,
    pub(crate) seq: u64,
    pub(crate) task: Task,
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
pub(crate) struct Queue {
    pub(crate) ready: VecDeque<Task>,
    pub(crate) delayed: BinaryHeap<Reverse<Delayed>>,
    /// FIFO lanes that have a task in flight, with the tasks behind it.
    pub(crate) lanes: HashMap<(usize, String), VecDeque<Task>>,
    pub(crate) lane_waiting: usize,
    pub(crate) running: usize,
    /// Workers waiting for work: `work` is signalled only when one is.
    pub(crate) idle: usize,
    /// Finished tasks, freed by the next `route` (their buffers were
    /// allocated there).
    pub(crate) done: Vec<Task>,
    /// Threads waiting on `changed` (blocked `route`, `drain`,
    /// `shutdown`): it is signalled only when one is.
    pub(crate) waiters: usize,
    pub(crate) seq: u64,
    pub(crate) closed: bool,
    pub(crate) stop: bool,
}

impl Queue {
    pub(crate) fn waiting(&self) -> usize {
        self.ready.len() + self.lane_waiting
    }
    pub(crate) fn outstanding(&self) -> usize {
        self.waiting() + self.delayed.len() + self.running
    }
}

pub(crate) struct Shared {
    pub(crate) queue: Mutex<Queue>,
    /// Workers wait here for tasks.
    pub(crate) work: Condvar,
    /// `route` (queue space) and `drain` (completion) wait here.
    pub(crate) changed: Condvar,
    pub(crate) rules: Vec<RuleSlot>,
    pub(crate) names: HashMap<String, usize>,
    pub(crate) slots: Vec<Slot>,
    /// Every path any target reads, resolved once per event.
    pub(crate) paths: PathSet,
    pub(crate) config: RouterConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: AtomicU64,
    pub(crate) events: AtomicU64,
    pub(crate) matched: AtomicU64,
    pub(crate) drops: Mutex<VecDeque<DropRecord>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking destination is caught, so poisoning means a bug in the
    // router itself; the state is still consistent enough to carry on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// A fresh random number for back-off jitter.
    pub(crate) fn random(&self) -> u64 {
        // splitmix64: good enough to spread retries, no dependency.
        let mut z = self.rng.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn age(&self, task: &Task) -> Duration {
        self.clock
            .now()
            .duration_since(task.ingestion_time)
            .unwrap_or_default()
    }

    /// Wait on `changed`, counted as a waiter.
    pub(crate) fn wait_changed<'q>(&self, mut q: MutexGuard<'q, Queue>) -> MutexGuard<'q, Queue> {
        q.waiters += 1;
        let mut q = self.changed.wait(q).unwrap_or_else(|e| e.into_inner());
        q.waiters -= 1;
        q
    }

    /// Wake the threads waiting on `changed`, if any.
    pub(crate) fn signal_changed(&self, q: &Queue) {
        if q.waiters > 0 {
            self.changed.notify_all();
        }
    }

    /// Wake idle workers for `ready` new ready tasks.
    pub(crate) fn signal_work(&self, q: &Queue, ready: usize) {
        match ready.min(q.idle) {
            0 => {}
            1 => self.work.notify_one(),
            _ => self.work.notify_all(),
        }
    }

    /// Queue the tasks of one event in one go (blocking while the queue is
    /// full). Returns the finished tasks, for the caller to free.
    pub(crate) fn submit(&self, tasks: Vec<Task>) -> Result<Vec<Task>, Error> {
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
    pub(crate) fn finish(&self, q: &mut Queue, slot: usize, group: Option<String>) {
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

    pub(crate) fn delivery(&self, task: &Task, body: String, attempt: u32) -> Delivery {
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

    pub(crate) fn reason(&self, task: &Task, code: &str, limit: ExhaustedLimit) -> DeadLetter {
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

    pub(crate) fn record_drop(&self, task: &Task, reason: DeadLetter) {
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
    pub(crate) fn dead_letter(&self, task: &Task, reason: DeadLetter) {
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
    pub(crate) fn try_once(&self, slot: &Slot, delivery: &Delivery) -> DeliveryResult {
        catch_unwind(AssertUnwindSafe(|| slot.destination.deliver(delivery)))
            .unwrap_or_else(|_| DeliveryResult::Permanent("the destination panicked".into()))
    }

    /// One attempt (or, for a task whose attempt was made on the routing
    /// thread, what follows it). Returns the task with its retry delay
    /// when it must be tried again.
    pub(crate) fn attempt(&self, mut task: Task, deliveries: &mut Deliveries) -> Next {
        let slot = &self.slots[task.slot];
        if let Some(result) = task.result.take() {
            return self.settle(task, result);
        }
        let policy = slot.target.retry_policy;
        if let Body::Failed(why) = &task.body {
            task.last_error = why.clone();
            let reason = self.reason(&task, "INVALID_TARGET_INPUT", ExhaustedLimit::NotRetryable);
            self.dead_letter(&task, reason);
            return Next::Done(task);
        }
        if task.attempts > 0 && policy.expired(self.age(&task)) {
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

    /// Act on the result of attempt number `task.attempts`, by the one
    /// rule of [`RouterConfig::settle`].
    pub(crate) fn settle(&self, mut task: Task, result: DeliveryResult) -> Next {
        let slot = &self.slots[task.slot];
        let policy = slot.target.retry_policy;
        let next = self.config.settle(
            &policy,
            task.attempts,
            self.age(&task),
            &result,
            self.random(),
        );
        if let DeliveryResult::Retryable(why) | DeliveryResult::Permanent(why) = result {
            task.last_error = why;
        }
        match next {
            Settlement::Retry(delay) => {
                slot.counters.retried.fetch_add(1, Ordering::Relaxed);
                Next::Retry(task, delay)
            }
            Settlement::GiveUp { error_code, limit } => {
                let reason = self.reason(&task, error_code, limit);
                self.dead_letter(&task, reason);
                Next::Done(task)
            }
            Settlement::Delivered => {
                slot.counters.delivered.fetch_add(1, Ordering::Relaxed);
                Next::Done(task)
            }
        }
    }

    pub(crate) fn stats(&self) -> RouterStats {
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

pub(crate) fn worker(shared: &Shared) {
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
