//! The built-in inbox: where every target without a configured destination
//! delivers, one queue per target ARN, so that tests can read what a target
//! got (`GET /_evrule/deliveries?target=ARN`).
//!
//! A dead letter handed to a dead-letter ARN without a destination lands in
//! that ARN's queue (the message the dead-letter queue would hold: the
//! original event and why it was given up), and is also listed under the
//! ARN of the target that failed, among the dead letters.
//!
//! Each queue keeps at most `capacity` records; past that the oldest go and
//! are counted as evicted, so a busy server's memory stays bounded. Readers
//! waiting for deliveries are woken through a [`Notify`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use evrule::route::{DeadLetter, Delivery, DeliveryResult, Destination};
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::ids;

/// One delivery (or dead letter) as the inbox keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) seq: u64,
    pub(crate) received: SystemTime,
    pub(crate) rule: String,
    pub(crate) rule_arn: String,
    pub(crate) target_id: String,
    pub(crate) target_arn: String,
    pub(crate) body: String,
    pub(crate) attempt: u32,
    pub(crate) ingestion_time: SystemTime,
    pub(crate) message_group_id: Option<String>,
    pub(crate) dead_letter: Option<DeadLetter>,
    /// For a dead letter: the dead-letter ARN it was sent to (`None` when it
    /// was dropped).
    pub(crate) queue: Option<String>,
}

/// `text` as a JSON value in a document being written: as it is when it is
/// JSON (keeping its key order and number spelling), else as a string.
pub(crate) fn raw_json(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        text.trim().to_string()
    } else {
        Value::String(text.to_string()).to_string()
    }
}

/// `fields` (an object) with `key: raw` added at the end.
pub(crate) fn with_raw(fields: Value, key: &str, raw: &str) -> String {
    let mut text = fields.to_string();
    text.pop();
    if text.len() > 1 {
        text.push(',');
    }
    text.push_str(&Value::String(key.to_string()).to_string());
    text.push(':');
    text.push_str(&raw_json(raw));
    text.push('}');
    text
}

impl Record {
    /// The record as the deliveries endpoint shows it; `body` is the JSON
    /// delivered, as delivered.
    pub(crate) fn to_json(&self) -> String {
        let mut out = json!({
            "seq": self.seq,
            "receivedTime": ids::epoch(self.received),
            "rule": self.rule,
            "ruleArn": self.rule_arn,
            "targetId": self.target_id,
            "targetArn": self.target_arn,
            "attempt": self.attempt,
            "ingestionTime": ids::epoch(self.ingestion_time),
        });
        if let Some(g) = &self.message_group_id {
            out["messageGroupId"] = Value::String(g.clone());
        }
        if let Some(d) = &self.dead_letter {
            out["deadLetter"] = dead_letter_json(d, self.queue.as_deref());
        }
        with_raw(out, "body", &self.body)
    }
}

pub(crate) fn dead_letter_json(d: &DeadLetter, queue: Option<&str>) -> Value {
    json!({
        "errorCode": d.error_code,
        "errorMessage": d.error_message,
        "rule": d.rule,
        "targetId": d.target_id,
        "targetArn": d.target_arn,
        "attempts": d.attempts,
        "limit": d.limit.as_str(),
        "deadLetterQueue": queue,
    })
}

#[derive(Debug, Default)]
pub(crate) struct Queue {
    pub(crate) items: VecDeque<Record>,
    pub(crate) evicted: u64,
}

/// Every target's queue, and the dead letters by failed target.
#[derive(Debug)]
pub(crate) struct Inbox {
    deliveries: Mutex<BTreeMap<String, Queue>>,
    dead_letters: Mutex<BTreeMap<String, Queue>>,
    pub(crate) notify: Notify,
    capacity: usize,
    seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inbox {
    pub(crate) fn new(capacity: usize) -> Inbox {
        Inbox {
            deliveries: Mutex::new(BTreeMap::new()),
            dead_letters: Mutex::new(BTreeMap::new()),
            notify: Notify::new(),
            capacity: capacity.max(1),
            seq: AtomicU64::new(0),
        }
    }

    fn push(&self, map: &Mutex<BTreeMap<String, Queue>>, key: &str, record: Record) {
        let mut map = lock(map);
        let queue = match map.get_mut(key) {
            Some(q) => q,
            None => map.entry(key.to_string()).or_default(),
        };
        if queue.items.len() >= self.capacity {
            queue.items.pop_front();
            queue.evicted += 1;
        }
        queue.items.push_back(record);
    }

    fn record(&self, d: &Delivery, queue: Option<&str>) -> Record {
        Record {
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            received: SystemTime::now(),
            rule: d.rule.clone(),
            rule_arn: d.rule_arn.clone(),
            target_id: d.target_id.clone(),
            target_arn: d.target_arn.clone(),
            body: d.body.clone(),
            attempt: d.attempt,
            ingestion_time: d.ingestion_time,
            message_group_id: d.message_group_id.clone(),
            dead_letter: d.dead_letter.clone(),
            queue: queue.map(str::to_string),
        }
    }

    /// Take one delivery: a normal one goes to its target's queue; a dead
    /// letter to the queue of `dead_letter_arn` and to the dead letters of
    /// the failed target.
    pub(crate) fn accept(&self, d: &Delivery, dead_letter_arn: Option<&str>) {
        match (&d.dead_letter, dead_letter_arn) {
            (Some(_), Some(dlq)) => {
                let record = self.record(d, Some(dlq));
                self.push(&self.dead_letters, &d.target_arn, record.clone());
                self.push(&self.deliveries, dlq, record);
            }
            _ => {
                let record = self.record(d, None);
                self.push(&self.deliveries, &d.target_arn, record);
            }
        }
        self.notify.notify_waiters();
    }

    /// List a dead letter that a configured destination took among the
    /// dead letters of its failed target.
    pub(crate) fn note_dead_letter(&self, d: &Delivery, dead_letter_arn: &str) {
        let record = self.record(d, Some(dead_letter_arn));
        self.push(&self.dead_letters, &d.target_arn, record);
        self.notify.notify_waiters();
    }

    /// The records of one target (or every target), and how many were evicted.
    pub(crate) fn read(&self, dead: bool, target: Option<&str>) -> Vec<(String, Vec<Record>, u64)> {
        let map = lock(if dead {
            &self.dead_letters
        } else {
            &self.deliveries
        });
        match target {
            Some(t) => {
                let (items, evicted) = map
                    .get(t)
                    .map(|q| (q.items.iter().cloned().collect(), q.evicted))
                    .unwrap_or_default();
                vec![(t.to_string(), items, evicted)]
            }
            None => map
                .iter()
                .map(|(k, q)| (k.clone(), q.items.iter().cloned().collect(), q.evicted))
                .collect(),
        }
    }

    /// How many records one target (or all) holds now.
    pub(crate) fn count(&self, dead: bool, target: Option<&str>) -> usize {
        let map = lock(if dead {
            &self.dead_letters
        } else {
            &self.deliveries
        });
        match target {
            Some(t) => map.get(t).map_or(0, |q| q.items.len()),
            None => map.values().map(|q| q.items.len()).sum(),
        }
    }

    /// Forget the records of one target (or all); returns how many went.
    pub(crate) fn clear(&self, dead: bool, target: Option<&str>) -> usize {
        let mut map = lock(if dead {
            &self.dead_letters
        } else {
            &self.deliveries
        });
        match target {
            Some(t) => map.remove(t).map_or(0, |q| q.items.len()),
            None => {
                let n = map.values().map(|q| q.items.len()).sum();
                map.clear();
                n
            }
        }
    }
}

/// The router destination of inbox targets: one per ARN, since a dead
/// letter does not say which dead-letter ARN it was sent to.
pub(crate) struct InboxSink {
    pub(crate) inbox: Arc<Inbox>,
    /// The ARN this sink was registered for; `None` for the fallback, which
    /// files deliveries under their target ARN.
    pub(crate) arn: Option<String>,
}

impl Destination for InboxSink {
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult {
        self.inbox.accept(delivery, self.arn.as_deref());
        DeliveryResult::Ok
    }

    fn non_blocking(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evrule::route::ExhaustedLimit;

    fn delivery(target: &str, body: &str) -> Delivery {
        Delivery {
            rule: "r".into(),
            rule_arn: "arn:aws:events:us-east-1:123456789012:rule/r".into(),
            target_id: "t".into(),
            target_arn: target.into(),
            body: body.into(),
            message_group_id: None,
            attempt: 1,
            ingestion_time: SystemTime::UNIX_EPOCH,
            dead_letter: None,
        }
    }

    #[test]
    fn bodies_keep_their_text() {
        let record = Inbox::new(1);
        record.accept(&delivery("arn:q", r#"{"z": 1, "a": 1.50}"#), None);
        let text = record.read(false, None)[0].1[0].to_json();
        assert!(text.ends_with(r#","body":{"z": 1, "a": 1.50}}"#), "{text}");
        assert_eq!(with_raw(json!({}), "b", "not json"), r#"{"b":"not json"}"#);
    }

    #[test]
    fn queues_are_bounded_and_ordered() {
        let inbox = Inbox::new(2);
        for i in 0..3 {
            inbox.accept(&delivery("arn:q", &i.to_string()), None);
        }
        let got = inbox.read(false, Some("arn:q"));
        let bodies: Vec<&str> = got[0].1.iter().map(|r| r.body.as_str()).collect();
        assert_eq!(bodies, ["1", "2"]);
        assert_eq!(got[0].2, 1);
        assert_eq!(inbox.clear(false, None), 2);
        assert_eq!(inbox.count(false, Some("arn:q")), 0);
    }

    #[test]
    fn dead_letters_land_in_the_queue_and_under_the_target() {
        let inbox = Inbox::new(10);
        let mut d = delivery("arn:failed", "{}");
        d.dead_letter = Some(DeadLetter {
            error_code: "TARGET_ERROR".into(),
            error_message: "503".into(),
            rule: "r".into(),
            target_id: "t".into(),
            target_arn: "arn:failed".into(),
            attempts: 3,
            limit: ExhaustedLimit::MaximumRetryAttempts,
        });
        inbox.accept(&d, Some("arn:dlq"));
        assert_eq!(inbox.count(false, Some("arn:dlq")), 1);
        assert_eq!(inbox.count(true, Some("arn:failed")), 1);
        let json: Value =
            serde_json::from_str(&inbox.read(true, Some("arn:failed"))[0].1[0].to_json()).unwrap();
        assert_eq!(json["deadLetter"]["deadLetterQueue"], "arn:dlq");
        assert_eq!(json["deadLetter"]["limit"], "MaximumRetryAttempts");
    }
}
