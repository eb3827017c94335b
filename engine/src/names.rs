//! Every name the engine gives JetStream: streams, subjects, consumers and
//! bucket keys, in one place.
//!
//! Bus names, rule names and target ids may hold characters that subjects
//! and consumer names cannot (`.`, `/`), so each goes through [`token`]:
//! letters, digits and `-` stay, anything else becomes `=` and two hex
//! digits per byte (`my_rule.v2` -> `my=5Frule=2Ev2`). Tokens never hold
//! `_` or `.`, so `_` separates them in consumer names and `.` in
//! subjects without ambiguity.
//!
//! | what | name |
//! |---|---|
//! | a bus's stream (and archive) | `EVRULE_BUS_<bus>`, subject `evrule.bus.<bus>` |
//! | matcher consumers on it | `matchers` (shared, parallel), `fifo-matcher` (one event at a time) |
//! | deliveries | stream `EVRULE_DELIVERIES` (work queue), subjects `evrule.deliver.<bus>.<rule>.<target>.<partition>` |
//! | a target's consumer | `T_<bus>_<rule>_<target>`, or `T_<bus>_<rule>_<target>_P<k>` per FIFO partition |
//! | given-up deliveries | stream `EVRULE_DEAD`: `evrule.dead.<bus>.<rule>.<target>` (to a DLQ), `evrule.dropped.<bus>.<rule>.<target>` (no DLQ) |
//! | a DLQ's consumer | `D_<bus>_<rule>_<target>` |
//! | max-delivery advisories | stream `EVRULE_ADVISORIES`, consumer `advisories` |
//! | rules and buses | bucket `EVRULE_RULES`, keys `rule.<bus>.<rule name>`, `bus.<bus>` |

/// The stream of deliveries, one subject per target and partition.
pub const DELIVERIES: &str = "EVRULE_DELIVERIES";
/// The stream of given-up deliveries (dead letters and drops).
pub const DEAD: &str = "EVRULE_DEAD";
/// The stream that keeps JetStream's max-delivery advisories for
/// `EVRULE_DELIVERIES`.
pub const ADVISORIES: &str = "EVRULE_ADVISORIES";
/// The key-value bucket of rules and buses.
pub const RULES_BUCKET: &str = "EVRULE_RULES";
/// The shared consumer of matcher workers on a bus stream.
pub const MATCHERS: &str = "matchers";
/// The consumer that materialises FIFO deliveries in event order.
pub const FIFO_MATCHER: &str = "fifo-matcher";
/// The consumer of the advisory stream.
pub const ADVISORY_CONSUMER: &str = "advisories";
/// The subject JetStream sends max-delivery advisories of the deliveries
/// stream's consumers on.
pub const ADVISORY_SUBJECT: &str = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.EVRULE_DELIVERIES.*";

/// A name made safe for subjects, stream and consumer names and bucket
/// keys (see the module docs).
///
/// ```
/// assert_eq!(evrule_engine::names::token("orders-v2"), "orders-v2");
/// assert_eq!(evrule_engine::names::token("my_rule.v2"), "my=5Frule=2Ev2");
/// assert_eq!(evrule_engine::names::token(""), "=");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn token(name: &str) -> String {
    if name.is_empty() {
        return "=".to_string();
    }
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out
}

/// The inverse of [`token`]; `None` for text `token` never makes.
///
/// ```
/// use evrule_engine::names::{token, untoken};
/// assert_eq!(untoken(&token("a.b/c_d")).as_deref(), Some("a.b/c_d"));
/// assert_eq!(untoken("=zz"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn untoken(token: &str) -> Option<String> {
    if token == "=" {
        return Some(String::new());
    }
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' => {
                let hex = token.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b == b'-' => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// The stream of bus `bus`.
///
/// ```
/// assert_eq!(evrule_engine::names::bus_stream("default"), "EVRULE_BUS_default");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bus_stream(bus: &str) -> String {
    format!("EVRULE_BUS_{}", token(bus))
}

/// The subject events of bus `bus` are published on.
///
/// ```
/// assert_eq!(evrule_engine::names::bus_subject("default"), "evrule.bus.default");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bus_subject(bus: &str) -> String {
    format!("evrule.bus.{}", token(bus))
}

/// One (bus, rule, target): the unit that has a consumer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetKey {
    /// The bus.
    pub bus: String,
    /// The rule's name.
    pub rule: String,
    /// The target's id.
    pub target: String,
}

impl TargetKey {
    /// A key.
    ///
    /// ```
    /// let k = evrule_engine::names::TargetKey::new("default", "r", "t");
    /// assert_eq!(k.consumer(None), "T_default_r_t");
    /// assert_eq!(k.consumer(Some(3)), "T_default_r_t_P3");
    /// assert_eq!(k.subject(3), "evrule.deliver.default.r.t.3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(bus: &str, rule: &str, target: &str) -> TargetKey {
        TargetKey {
            bus: bus.to_string(),
            rule: rule.to_string(),
            target: target.to_string(),
        }
    }

    fn tokens(&self, sep: char) -> String {
        format!(
            "{}{sep}{}{sep}{}",
            token(&self.bus),
            token(&self.rule),
            token(&self.target)
        )
    }

    /// The delivery subject of partition `partition` (0 for non-FIFO).
    pub fn subject(&self, partition: u32) -> String {
        format!("evrule.deliver.{}.{partition}", self.tokens('.'))
    }

    /// The filter of every partition of the target.
    pub fn subjects(&self) -> String {
        format!("evrule.deliver.{}.*", self.tokens('.'))
    }

    /// The target's consumer; `Some(k)` for FIFO partition `k`.
    pub fn consumer(&self, partition: Option<u32>) -> String {
        match partition {
            None => format!("T_{}", self.tokens('_')),
            Some(k) => format!("T_{}_P{k}", self.tokens('_')),
        }
    }

    /// Prefix of every consumer of the target (`T_<bus>_<rule>_<target>`).
    pub fn consumer_prefix(&self) -> String {
        format!("T_{}", self.tokens('_'))
    }

    /// The subject dead letters bound for the target's DLQ go to.
    pub fn dead_subject(&self) -> String {
        format!("evrule.dead.{}", self.tokens('.'))
    }

    /// The subject given-up deliveries of a target without DLQ go to.
    pub fn dropped_subject(&self) -> String {
        format!("evrule.dropped.{}", self.tokens('.'))
    }

    /// The consumer that hands dead letters to the target's DLQ.
    pub fn dead_consumer(&self) -> String {
        format!("D_{}", self.tokens('_'))
    }
}

/// The FIFO partition of a message group: FNV-1a of its bytes, so that
/// every worker, in every process, agrees.
///
/// ```
/// let p = evrule_engine::names::partition("group-1", 8);
/// assert!(p < 8);
/// assert_eq!(p, evrule_engine::names::partition("group-1", 8));
/// assert_eq!(evrule_engine::names::partition("x", 1), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn partition(group: &str, partitions: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in group.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(partitions.max(1))) as u32
}

/// The bucket key of a rule.
///
/// ```
/// assert_eq!(evrule_engine::names::rule_key("default", "orders.v2"), "rule.default.orders.v2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rule_key(bus: &str, rule: &str) -> String {
    format!("rule.{}.{rule}", token(bus))
}

/// The bucket keys of a bus's rules, as a watch filter.
pub fn rule_keys(bus: &str) -> String {
    format!("rule.{}.>", token(bus))
}

/// The bus and rule name of a rule key.
///
/// ```
/// use evrule_engine::names::{parse_rule_key, rule_key};
/// assert_eq!(parse_rule_key(&rule_key("b.x", "r.1")), Some(("b.x".into(), "r.1".into())));
/// assert_eq!(parse_rule_key("bus.default"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_rule_key(key: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix("rule.")?;
    let (bus, rule) = rest.split_once('.')?;
    Some((untoken(bus)?, rule.to_string()))
}

/// The bucket key of a bus.
///
/// ```
/// assert_eq!(evrule_engine::names::bus_key("default"), "bus.default");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bus_key(bus: &str) -> String {
    format!("bus.{}", token(bus))
}

/// The message id of a delivery: the event's id, the rule and the target
/// (and the replay, for replayed events), so that an event matched twice
/// publishes each delivery once within the duplicate window.
///
/// ```
/// let id = evrule_engine::names::delivery_id("default", "e-1", "r", "t", None);
/// assert_eq!(id, "default/e-1/r/t");
/// let id = evrule_engine::names::delivery_id("default", "e-1", "r", "t", Some("again"));
/// assert_eq!(id, "replay/again/default/e-1/r/t");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn delivery_id(
    bus: &str,
    event_id: &str,
    rule: &str,
    target: &str,
    replay: Option<&str>,
) -> String {
    match replay {
        None => format!("{}/{event_id}/{rule}/{target}", token(bus)),
        Some(r) => format!("replay/{r}/{}/{event_id}/{rule}/{target}", token(bus)),
    }
}

/// Checks a bus name: 1-256 of `[/\.\-_A-Za-z0-9]` (AWS's rule).
pub(crate) fn check_bus(bus: &str) -> Result<(), crate::Error> {
    let ok = !bus.is_empty()
        && bus.len() <= 256
        && bus
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(crate::Error::config(format!(
            "bus name `{bus}` must be 1 to 256 letters, digits, '/', '.', '-' or '_'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_never_hold_separators() {
        for name in ["a", "a.b", "a_b", "a/b", "x-y", "ü", "=", "_5F", "a..b"] {
            let t = token(name);
            assert!(
                !t.contains('.') && !t.contains('_') && !t.contains('/'),
                "{t}"
            );
            assert_eq!(untoken(&t).as_deref(), Some(name));
        }
        // Distinct names, distinct consumers.
        let a = TargetKey::new("a", "b_c", "d").consumer(None);
        let b = TargetKey::new("a_b", "c", "d").consumer(None);
        assert_ne!(a, b);
    }
}
