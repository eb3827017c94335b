//! PutEvents and TestEventPattern.
//!
//! A PutEvents entry becomes the event EventBridge delivers: `version`,
//! `id`, `detail-type`, `source`, `account`, `time`, `region`,
//! `resources`, `detail`, in that order, with the detail written compactly
//! (its numbers spelled as sent). The event goes to the archives of its bus
//! and through the bus's router; an entry for a bus that does not exist
//! gets an id and goes nowhere, as on AWS.

use std::fmt::Write as _;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::input::{finish, is_non_partner_bus_or_arn, Input, NON_PARTNER_BUS_PATTERN};
use super::{ApiError, Ctx};
use crate::durable::Durable;
use crate::ids;
use crate::schedule::rfc3339;
use crate::state::resolve_bus;

/// Most entries in one PutEvents request.
const MAX_ENTRIES: usize = 10;

/// One PutEvents entry, read.
#[derive(Debug, Default)]
pub(crate) struct Entry<'a> {
    time: Option<SystemTime>,
    source: Option<&'a str>,
    resources: Vec<&'a str>,
    detail_type: Option<&'a str>,
    detail: Option<&'a str>,
    bus: Option<&'a str>,
}

impl Entry<'_> {
    /// The entry's size by AWS's rule: 14 bytes for a Time, plus the UTF-8
    /// bytes of Source, DetailType, Detail and each Resource.
    fn size(&self) -> usize {
        usize::from(self.time.is_some()) * 14
            + self.source.map_or(0, str::len)
            + self.detail_type.map_or(0, str::len)
            + self.detail.map_or(0, str::len)
            + self.resources.iter().map(|r| r.len()).sum::<usize>()
    }

    /// The per-entry failure AWS reports with status 200, if any.
    fn problem(&self) -> Option<(&'static str, &'static str)> {
        match (self.source, self.detail_type, self.detail) {
            (None | Some(""), _, _) => Some((
                "InvalidArgument",
                "Parameter Source is not valid. Reason: Source is a required argument.",
            )),
            (_, None | Some(""), _) => Some((
                "InvalidArgument",
                "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
            )),
            (_, _, None | Some("")) => Some((
                "InvalidArgument",
                "Parameter Detail is not valid. Reason: Detail is a required argument.",
            )),
            (Some(s), _, _) if s.starts_with("aws.") => Some((
                "NotAuthorizedForSourceException",
                "Not authorized for the source.",
            )),
            (_, _, Some(d)) if !is_object(d) => Some(("MalformedDetail", "Detail is malformed.")),
            _ => None,
        }
    }
}

/// Whether `text` is one JSON object (and nothing else).
fn is_object(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Append `text` (valid JSON) without the whitespace between tokens.
fn compact(text: &str, out: &mut String) {
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.push_str(&text[start..i]);
            start = i + 1;
        }
    }
    out.push_str(&text[start..]);
}

fn push_string(out: &mut String, s: &str) {
    // serde_json's escaping, into the buffer.
    let _ = write!(out, "{}", Value::from(s));
}

/// The event EventBridge builds from an accepted entry.
fn envelope(entry: &Entry<'_>, id: &str, account: &str, region: &str, now: SystemTime) -> String {
    let detail = entry.detail.unwrap_or("{}");
    let mut out = String::with_capacity(detail.len() + 256);
    out.push_str(r#"{"version":"0","id":""#);
    out.push_str(id);
    out.push_str(r#"","detail-type":"#);
    push_string(&mut out, entry.detail_type.unwrap_or_default());
    out.push_str(r#","source":"#);
    push_string(&mut out, entry.source.unwrap_or_default());
    out.push_str(r#","account":"#);
    push_string(&mut out, account);
    out.push_str(r#","time":""#);
    out.push_str(&rfc3339(entry.time.unwrap_or(now)));
    out.push_str(r#"","region":"#);
    push_string(&mut out, region);
    out.push_str(r#","resources":["#);
    for (i, r) in entry.resources.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, r);
    }
    out.push_str(r#"],"detail":"#);
    compact(detail, &mut out);
    out.push('}');
    out
}

/// The entries as AWS prints them in the too-many-entries message.
fn entries_text(items: &[Value]) -> String {
    let field = |e: &Value, k: &str| match e.get(k) {
        None | Some(Value::Null) => "null".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let parts: Vec<String> = items
        .iter()
        .map(|e| {
            format!(
                "PutEventsRequestEntry(time={}, source={}, resources={}, detailType={}, \
                 detail={}, eventBusName={}, traceHeader={})",
                field(e, "Time"),
                field(e, "Source"),
                field(e, "Resources"),
                field(e, "DetailType"),
                field(e, "Detail"),
                field(e, "EventBusName"),
                field(e, "TraceHeader"),
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn read_entries<'a>(
    input: &mut Input<'a, '_>,
    items: &'a [Value],
) -> Result<Vec<Entry<'a>>, ApiError> {
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut e = input.element("Entries", i, item)?;
        let entry = Entry {
            time: e.timestamp("Time")?,
            source: e.string("Source")?,
            resources: e
                .string_list("Resources", false, (0, usize::MAX), (0, 2048))?
                .unwrap_or_default(),
            detail_type: e.string("DetailType")?,
            detail: e.string("Detail")?,
            bus: e.checked_string(
                "EventBusName",
                false,
                1,
                1600,
                Some((NON_PARTNER_BUS_PATTERN, is_non_partner_bus_or_arn)),
            )?,
        };
        e.checked_string("TraceHeader", false, 1, 500, None)?;
        entries.push(entry);
    }
    Ok(entries)
}

pub(crate) fn put_events(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let items: &[Value] = match input.raw().get("Entries") {
        None | Some(Value::Null) => {
            input.violation(None, "Entries", "Member must not be null");
            &[]
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::serialization(
                "Expected a list for entries, found another type.",
            ))
        }
    };
    if items.is_empty() && input.raw().get("Entries").is_some_and(Value::is_array) {
        input.violation(
            Some("[]"),
            "Entries",
            "Member must have length greater than or equal to 1",
        );
    }
    if items.len() > MAX_ENTRIES {
        input.violation(
            Some(&entries_text(items)),
            "Entries",
            "Member must have length less than or equal to 10",
        );
    }
    input.checked_string("EndpointId", false, 1, 50, None)?;
    let entries = if items.len() > MAX_ENTRIES {
        Vec::new()
    } else {
        read_entries(&mut input, items)?
    };
    finish(problems)?;
    let total: usize = entries.iter().map(Entry::size).sum();
    if total > ctx.shared.limits.max_entries_bytes {
        return Err(ApiError::validation(
            "Total size of the entries in the request is over the limit.",
        ));
    }
    Ok(put_entries(ctx, &entries))
}

/// Accept, archive and route the entries (or, with a durable store, store
/// them there); the PutEvents answer.
pub(crate) fn put_entries(ctx: &Ctx<'_>, entries: &[Entry<'_>]) -> Value {
    let now = ctx.now();
    let mut failed = 0;
    let mut results = Vec::with_capacity(entries.len());
    // With a durable store: (bus, index of the answer, event), stored below.
    let mut to_store: Vec<(String, usize, String)> = Vec::new();
    for entry in entries {
        if let Some((code, message)) = entry.problem() {
            failed += 1;
            results.push(json!({"ErrorCode": code, "ErrorMessage": message}));
            continue;
        }
        let id = ids::uuid();
        let (account, region, bus) = resolve_bus(entry.bus, &ctx.account, &ctx.region);
        if let Some(engine) = ctx.shared.engine(&account, &region, &bus) {
            let event = envelope(entry, &id, &account, &region, now);
            let routed = engine.archive(event.as_bytes(), now).and_then(|()| {
                if ctx.shared.durable.is_some() {
                    return Ok(());
                }
                match engine.router() {
                    Some(router) => router.route_at(event.as_bytes(), now).map(|_| ()),
                    None => Ok(()),
                }
            });
            if let Err(e) = routed {
                failed += 1;
                let code = if e.is_event() {
                    "MalformedDetail"
                } else {
                    "InternalFailure"
                };
                results.push(json!({"ErrorCode": code, "ErrorMessage": e.message()}));
                continue;
            }
            if ctx.shared.durable.is_some() {
                to_store.push((bus, results.len(), event));
            }
        }
        results.push(json!({ "EventId": id }));
    }
    if let Some(durable) = &ctx.shared.durable {
        let refused = store(durable.as_ref(), &to_store, &mut results);
        failed += refused;
        ctx.shared.stored.fetch_add(
            (to_store.len() - refused) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    json!({"FailedEntryCount": failed, "Entries": results})
}

/// Store the events in the durable store, one call per bus (in the order of
/// the entries within each bus); an event it refused turns its answer into
/// an `InternalFailure`. Returns how many it refused.
fn store(
    durable: &dyn Durable,
    events: &[(String, usize, String)],
    results: &mut [Value],
) -> usize {
    let mut buses: Vec<&str> = events.iter().map(|(b, _, _)| b.as_str()).collect();
    buses.sort_unstable();
    buses.dedup();
    let mut failed = 0;
    for bus in buses {
        let of_bus: Vec<&(String, usize, String)> =
            events.iter().filter(|(b, _, _)| b == bus).collect();
        let bodies: Vec<&[u8]> = of_bus.iter().map(|(_, _, e)| e.as_bytes()).collect();
        let outcomes = durable.put_events(bus, &bodies);
        for (i, (_, at, _)) in of_bus.iter().enumerate() {
            let why = match outcomes.get(i) {
                Some(Ok(())) => continue,
                Some(Err(why)) => why.clone(),
                None => "the durable engine gave no answer for this event".to_string(),
            };
            failed += 1;
            results[*at] = json!({
                "ErrorCode": "InternalFailure",
                "ErrorMessage": format!("The event could not be stored: {why}"),
            });
        }
    }
    failed
}

pub(crate) fn test_event_pattern(_: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let pattern = input.checked_string("EventPattern", true, 0, 4096, None)?;
    let event = input.required_string("Event")?;
    finish(problems)?;
    let (pattern, event) = (pattern.unwrap_or_default(), event.unwrap_or_default());
    match crate::test_event_pattern(pattern, event) {
        Ok(result) => Ok(json!({ "Result": result })),
        Err(e) => Err(ApiError::new(
            "InvalidEventPatternException",
            e.message(pattern),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn envelope_has_eventbridge_order_and_compact_detail() {
        let entry = Entry {
            time: Some(UNIX_EPOCH + Duration::from_secs(1_714_564_800)),
            source: Some("com.example.orders"),
            resources: vec![],
            detail_type: Some("OrderPlaced"),
            detail: Some("{\"orderId\": \"o-123\",\n \"amount\": 42.50, \"s\": \"a b\"}"),
            bus: Some("orders-bus"),
        };
        let event = envelope(
            &entry,
            "3d3b6c9e-2b4f-4a7e-9a55-6c1f0e0b7a11",
            "111122223333",
            "us-east-1",
            UNIX_EPOCH,
        );
        assert_eq!(
            event,
            r#"{"version":"0","id":"3d3b6c9e-2b4f-4a7e-9a55-6c1f0e0b7a11","detail-type":"OrderPlaced","source":"com.example.orders","account":"111122223333","time":"2024-05-01T12:00:00Z","region":"us-east-1","resources":[],"detail":{"orderId":"o-123","amount":42.50,"s":"a b"}}"#
        );
    }

    #[test]
    fn entry_problems_in_aws_order() {
        let mut e = Entry::default();
        assert_eq!(e.problem().unwrap().0, "InvalidArgument");
        e.source = Some("aws.s3");
        e.detail_type = Some("x");
        e.detail = Some("{}");
        assert_eq!(e.problem().unwrap().0, "NotAuthorizedForSourceException");
        e.source = Some("app");
        e.detail = Some("[1]");
        assert_eq!(
            e.problem(),
            Some(("MalformedDetail", "Detail is malformed."))
        );
        e.detail = Some("{\"a\": 1} x");
        assert_eq!(e.problem().unwrap().0, "MalformedDetail");
        e.detail = Some(" {\"a\": 1} ");
        assert_eq!(e.problem(), None);
        assert_eq!(e.size(), 3 + 1 + 10);
    }
}
