//! What travels in messages: delivery headers, dead-letter records and
//! rules as JSON. Header values are percent-encoded where they may hold
//! bytes headers cannot (message groups and event ids come from events).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::HeaderMap;
use evrule::route::{
    DeadLetter, Delivery, ExhaustedLimit, InputTransformerConfig, RetryPolicy, Rule, Target,
};
use serde_json::{json, Map, Value};

use crate::Error;

pub(crate) const RULE: &str = "Evrule-Rule";
pub(crate) const RULE_ARN: &str = "Evrule-Rule-Arn";
pub(crate) const TARGET: &str = "Evrule-Target";
pub(crate) const TARGET_ARN: &str = "Evrule-Target-Arn";
pub(crate) const GROUP: &str = "Evrule-Group";
pub(crate) const INGESTED: &str = "Evrule-Ingested";
pub(crate) const EVENT_ID: &str = "Evrule-Event-Id";
pub(crate) const EVENT_SEQ: &str = "Evrule-Event-Seq";
pub(crate) const BUS: &str = "Evrule-Bus";
pub(crate) const REPLAY: &str = "Evrule-Replay";
pub(crate) const MAX_RETRIES: &str = "Evrule-Max-Retries";
pub(crate) const MAX_AGE: &str = "Evrule-Max-Age";
pub(crate) const DLQ: &str = "Evrule-Dead-Letter-Arn";
pub(crate) const BODY_IS_EVENT: &str = "Evrule-Body-Is-Event";
pub(crate) const MSG_ID: &str = "Nats-Msg-Id";

/// Percent-encode what a header value cannot hold (and `%`).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`encode`].
pub(crate) fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(b) = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(u128::from(u64::MAX)) as u64)
}

pub(crate) fn from_nanos(n: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(n)
}

/// A delivery as published: everything a delivery worker needs to make
/// the attempt and, should it give up, to write the dead letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeliveryMsg {
    pub bus: String,
    pub rule: String,
    pub rule_arn: String,
    pub target_id: String,
    pub target_arn: String,
    pub group: Option<String>,
    pub ingested: SystemTime,
    pub event_id: String,
    pub event_seq: u64,
    pub replay: Option<String>,
    pub policy: RetryPolicy,
    pub dead_letter_arn: Option<String>,
    pub body_is_event: bool,
    pub msg_id: String,
}

impl DeliveryMsg {
    pub(crate) fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(MSG_ID, encode(&self.msg_id).as_str());
        h.insert(BUS, encode(&self.bus).as_str());
        h.insert(RULE, encode(&self.rule).as_str());
        h.insert(RULE_ARN, encode(&self.rule_arn).as_str());
        h.insert(TARGET, encode(&self.target_id).as_str());
        h.insert(TARGET_ARN, encode(&self.target_arn).as_str());
        if let Some(g) = &self.group {
            h.insert(GROUP, encode(g).as_str());
        }
        h.insert(INGESTED, nanos(self.ingested).to_string().as_str());
        h.insert(EVENT_ID, encode(&self.event_id).as_str());
        h.insert(EVENT_SEQ, self.event_seq.to_string().as_str());
        if let Some(r) = &self.replay {
            h.insert(REPLAY, encode(r).as_str());
        }
        h.insert(
            MAX_RETRIES,
            self.policy.maximum_retry_attempts.to_string().as_str(),
        );
        h.insert(
            MAX_AGE,
            self.policy
                .maximum_event_age_in_seconds
                .to_string()
                .as_str(),
        );
        if let Some(d) = &self.dead_letter_arn {
            h.insert(DLQ, encode(d).as_str());
        }
        if self.body_is_event {
            h.insert(BODY_IS_EVENT, "1");
        }
        h
    }

    pub(crate) fn from_headers(h: &HeaderMap) -> Result<DeliveryMsg, String> {
        let get = |k: &str| h.get(k).map(|v| decode(v.as_str()));
        let need = |k: &str| get(k).ok_or_else(|| format!("the delivery has no {k} header"));
        let num = |k: &str| -> Result<u64, String> {
            need(k)?
                .parse::<u64>()
                .map_err(|_| format!("the delivery's {k} header is not a number"))
        };
        Ok(DeliveryMsg {
            bus: need(BUS)?,
            rule: need(RULE)?,
            rule_arn: need(RULE_ARN)?,
            target_id: need(TARGET)?,
            target_arn: need(TARGET_ARN)?,
            group: get(GROUP),
            ingested: from_nanos(num(INGESTED)?),
            event_id: need(EVENT_ID)?,
            event_seq: num(EVENT_SEQ)?,
            replay: get(REPLAY),
            policy: RetryPolicy {
                maximum_retry_attempts: num(MAX_RETRIES)?.min(185) as u32,
                maximum_event_age_in_seconds: num(MAX_AGE)?.min(86_400) as u32,
            },
            dead_letter_arn: get(DLQ),
            body_is_event: get(BODY_IS_EVENT).as_deref() == Some("1"),
            msg_id: need(MSG_ID)?,
        })
    }

    /// The delivery a destination is handed for attempt `attempt`.
    pub(crate) fn delivery(&self, body: String, attempt: u32) -> Delivery {
        Delivery {
            rule: self.rule.clone(),
            rule_arn: self.rule_arn.clone(),
            target_id: self.target_id.clone(),
            target_arn: self.target_arn.clone(),
            body,
            message_group_id: self.group.clone(),
            attempt,
            ingestion_time: self.ingested,
            dead_letter: None,
        }
    }
}

/// A given-up delivery, as stored in the dead-letter stream: the
/// original event and the router's [`DeadLetter`] reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeadRecord {
    pub msg: DeliveryMsg,
    pub reason: DeadLetter,
    pub event: String,
}

fn limit_from(s: &str) -> ExhaustedLimit {
    match s {
        "MaximumRetryAttempts" => ExhaustedLimit::MaximumRetryAttempts,
        "MaximumEventAgeInSeconds" => ExhaustedLimit::MaximumEventAgeInSeconds,
        "Shutdown" => ExhaustedLimit::Shutdown,
        _ => ExhaustedLimit::NotRetryable,
    }
}

impl DeadRecord {
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let m = &self.msg;
        let r = &self.reason;
        json!({
            "bus": m.bus, "rule": m.rule, "ruleArn": m.rule_arn,
            "targetId": m.target_id, "targetArn": m.target_arn,
            "messageGroupId": m.group, "ingestionTime": nanos(m.ingested),
            "eventId": m.event_id, "eventSeq": m.event_seq, "replayName": m.replay,
            "deadLetterArn": m.dead_letter_arn, "msgId": m.msg_id,
            "errorCode": r.error_code, "errorMessage": r.error_message,
            "attempts": r.attempts, "limit": r.limit.as_str(),
            "event": self.event,
        })
        .to_string()
        .into_bytes()
    }

    pub(crate) fn from_json(bytes: &[u8]) -> Result<DeadRecord, String> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("not a dead letter: {e}"))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let need = |k: &str| s(k).ok_or_else(|| format!("the dead letter has no {k}"));
        let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let msg = DeliveryMsg {
            bus: need("bus")?,
            rule: need("rule")?,
            rule_arn: need("ruleArn")?,
            target_id: need("targetId")?,
            target_arn: need("targetArn")?,
            group: s("messageGroupId"),
            ingested: from_nanos(n("ingestionTime")),
            event_id: need("eventId")?,
            event_seq: n("eventSeq"),
            replay: s("replayName"),
            policy: RetryPolicy::default(),
            dead_letter_arn: s("deadLetterArn"),
            body_is_event: false,
            msg_id: need("msgId")?,
        };
        let reason = DeadLetter {
            error_code: need("errorCode")?,
            error_message: s("errorMessage").unwrap_or_default(),
            rule: msg.rule.clone(),
            target_id: msg.target_id.clone(),
            target_arn: msg.target_arn.clone(),
            attempts: n("attempts").min(u64::from(u32::MAX)) as u32,
            limit: limit_from(&s("limit").unwrap_or_default()),
        };
        Ok(DeadRecord {
            event: need("event")?,
            msg,
            reason,
        })
    }

    /// The delivery the dead-letter destination is handed: the event,
    /// with the reason; its `attempt` is the attempts made, as the
    /// router's.
    pub(crate) fn delivery(&self) -> Delivery {
        let mut d = self.msg.delivery(self.event.clone(), self.reason.attempts);
        d.dead_letter = Some(self.reason.clone());
        d
    }
}

/// A rule in AWS's PutRule shape, with its targets (PutTargets' shape):
/// what the rules bucket stores. [`Rule::from_json`] reads it back.
///
/// ```
/// use evrule::route::{Rule, Target};
/// let rule = Rule::new("r", r#"{"source":["a"]}"#).with_target(Target::new("t", "arn:t"));
/// let json = evrule_engine::rule_to_json(&rule);
/// assert_eq!(Rule::from_json(&json)?, rule);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rule_to_json(rule: &Rule) -> Value {
    let mut obj = Map::new();
    obj.insert("Name".into(), json!(rule.name));
    if let Some(p) = &rule.event_pattern {
        obj.insert("EventPattern".into(), json!(p));
    }
    obj.insert("State".into(), json!(rule.state.as_str()));
    if let Some(d) = &rule.description {
        obj.insert("Description".into(), json!(d));
    }
    if let Some(b) = &rule.event_bus_name {
        obj.insert("EventBusName".into(), json!(b));
    }
    obj.insert(
        "Targets".into(),
        Value::Array(rule.targets.iter().map(target_to_json).collect()),
    );
    Value::Object(obj)
}

fn target_to_json(t: &Target) -> Value {
    let mut obj = Map::new();
    obj.insert("Id".into(), json!(t.id));
    obj.insert("Arn".into(), json!(t.arn));
    if let Some(i) = &t.input {
        obj.insert("Input".into(), json!(i));
    }
    if let Some(p) = &t.input_path {
        obj.insert("InputPath".into(), json!(p));
    }
    if let Some(InputTransformerConfig {
        input_paths_map,
        input_template,
        ..
    }) = &t.input_transformer
    {
        obj.insert(
            "InputTransformer".into(),
            json!({"InputPathsMap": input_paths_map, "InputTemplate": input_template}),
        );
    }
    obj.insert(
        "RetryPolicy".into(),
        json!({
            "MaximumRetryAttempts": t.retry_policy.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": t.retry_policy.maximum_event_age_in_seconds,
        }),
    );
    if let Some(d) = &t.dead_letter_config {
        obj.insert("DeadLetterConfig".into(), json!({"Arn": d.arn}));
    }
    if let Some(s) = &t.sqs_parameters {
        obj.insert(
            "SqsParameters".into(),
            json!({"MessageGroupId": s.message_group_id}),
        );
    }
    Value::Object(obj)
}

/// Read a rule the bucket holds, checked with `max_targets`.
pub(crate) fn rule_from_bytes(bytes: &[u8], max_targets: usize) -> Result<Rule, Error> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::rule(format!("the stored rule is not JSON: {e}")))?;
    let mut set = evrule::route::RuleSet::new().max_targets(max_targets);
    set.add(rule_unchecked(&value)?)?;
    set.into_rules()
        .pop()
        .ok_or_else(|| Error::rule("the stored value is not a rule"))
}

fn rule_unchecked(value: &Value) -> Result<Rule, Error> {
    // `Rule::from_json` checks AWS's default limit of 5 targets; the
    // engine's limit is checked by the caller.
    let mut trimmed = value.clone();
    let targets = trimmed
        .as_object_mut()
        .and_then(|o| o.remove("Targets"))
        .unwrap_or(Value::Array(Vec::new()));
    let mut rule = Rule::from_json(&trimmed)?;
    for t in targets.as_array().map(Vec::as_slice).unwrap_or_default() {
        rule.targets.push(Target::from_json(t)?);
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_with_awkward_values() {
        let msg = DeliveryMsg {
            bus: "b/x".into(),
            rule: "r.1".into(),
            rule_arn: "arn:aws:events:us-east-1:1:rule/r.1".into(),
            target_id: "t".into(),
            target_arn: "arn:q.fifo".into(),
            group: Some("line\r\nbreak % ü".into()),
            ingested: from_nanos(1_700_000_000_123_456_789),
            event_id: "id with spaces\n".into(),
            event_seq: 42,
            replay: Some("again".into()),
            policy: RetryPolicy {
                maximum_retry_attempts: 3,
                maximum_event_age_in_seconds: 60,
            },
            dead_letter_arn: Some("arn:dlq".into()),
            body_is_event: true,
            msg_id: "b/id/r/t".into(),
        };
        assert_eq!(DeliveryMsg::from_headers(&msg.headers()).unwrap(), msg);
        let record = DeadRecord {
            reason: DeadLetter {
                error_code: "TARGET_ERROR".into(),
                error_message: "503\nbusy".into(),
                rule: msg.rule.clone(),
                target_id: msg.target_id.clone(),
                target_arn: msg.target_arn.clone(),
                attempts: 4,
                limit: ExhaustedLimit::MaximumRetryAttempts,
            },
            event: "{\"id\":\"1\"}".into(),
            msg: DeliveryMsg {
                policy: RetryPolicy::default(),
                body_is_event: false,
                ..msg
            },
        };
        assert_eq!(DeadRecord::from_json(&record.to_json()).unwrap(), record);
    }
}
