//! The test endpoints under `/_evrule/`: what inbox targets received, and
//! what was given up.
//!
//! | request | answer |
//! |---|---|
//! | `GET /_evrule/deliveries?target=ARN` | `{"target", "deliveries": [...], "evicted"}`, oldest first |
//! | `GET /_evrule/deliveries` | `{"targets": [{"target", "deliveries", "evicted"}, ...]}` |
//! | `...&wait=N&timeout=S` | waits until N deliveries are there or S seconds passed (at most 300); `"timedOut"` says which |
//! | `DELETE /_evrule/deliveries[?target=ARN]` | `{"cleared": n}` |
//! | `GET /_evrule/dead-letters[?target=ARN]` | `{"deadLetters": [...]}`: deliveries given up, by the ARN of the target that failed; `wait`/`timeout` as above |
//! | `DELETE /_evrule/dead-letters[?target=ARN]` | `{"cleared": n}` (dead letters the inbox holds) |
//! | `GET /_evrule/health` | `{"status": "ok"}` |
//!
//! A delivery: `seq`, `receivedTime`, `rule`, `ruleArn`, `targetId`,
//! `targetArn`, `attempt`, `ingestionTime`, `body` (the JSON delivered),
//! `messageGroupId` for FIFO targets, and for a message in a dead-letter
//! queue `deadLetter` (why it was given up).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::inbox::{dead_letter_json, with_raw, Inbox};
use crate::state::Shared;

/// Longest long-poll.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// An admin answer: status and JSON body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

fn answer(body: Value) -> Answer {
    Answer {
        status: 200,
        body: body.to_string(),
    }
}

fn error(status: u16, message: String) -> Answer {
    let code = match status {
        404 => "NotFound",
        405 => "MethodNotAllowed",
        _ => "BadRequest",
    };
    Answer {
        status,
        body: json!({"__type": code, "message": message}).to_string(),
    }
}

/// `[a,b,...]` of JSON texts.
fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

/// Percent-decode a query component (`+` is a space).
pub(crate) fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameters the endpoints take.
#[derive(Default)]
struct Query {
    target: Option<String>,
    wait: usize,
    timeout: Duration,
}

fn parse_query(query: &str) -> Result<Query, String> {
    let mut q = Query {
        timeout: Duration::from_secs(10),
        ..Query::default()
    };
    let mut timeout_given = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = decode(v);
        match decode(k).as_str() {
            "target" => q.target = Some(v),
            "wait" => {
                q.wait = v
                    .parse()
                    .map_err(|_| format!("wait must be a count of deliveries, found `{v}`"))?
            }
            "timeout" => {
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("timeout must be seconds, found `{v}`"))?;
                q.timeout = Duration::from_secs_f64(secs).min(MAX_WAIT);
                timeout_given = true;
            }
            other => {
                return Err(format!(
                    "unknown parameter `{other}` (expected target, wait, timeout)"
                ))
            }
        }
    }
    if q.wait == 0 && !timeout_given {
        q.timeout = Duration::ZERO;
    }
    Ok(q)
}

/// Wait until `count()` reaches `n` or the time is up; true when it did.
/// `poll` also rechecks every 50 ms (for drops, which nothing announces).
async fn wait_for(
    inbox: &Inbox,
    n: usize,
    timeout: Duration,
    poll: bool,
    count: impl Fn() -> usize,
) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let notified = inbox.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if count() >= n {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let nap = if poll {
            left.min(Duration::from_millis(50))
        } else {
            left
        };
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

/// Dead letters of one target (or all): those the inbox took, then the
/// drops the routers kept.
fn dead_letters(shared: &Shared, target: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for (_, records, _) in shared.destinations.inbox.read(true, target) {
        for r in records {
            if let Some(d) = &r.dead_letter {
                out.push(with_raw(
                    dead_letter_json(d, r.queue.as_deref()),
                    "event",
                    &r.body,
                ));
            }
        }
    }
    for engine in shared.all_engines() {
        for drop in engine.drops() {
            if target.is_some_and(|t| t != drop.reason.target_arn) {
                continue;
            }
            out.push(with_raw(
                dead_letter_json(&drop.reason, None),
                "event",
                &drop.event,
            ));
        }
    }
    out
}

/// Answer one request to `/_evrule/...`.
pub(crate) async fn handle(shared: &Shared, method: &str, path: &str, query: &str) -> Answer {
    let q = match parse_query(query) {
        Ok(q) => q,
        Err(e) => return error(400, e),
    };
    let inbox = &shared.destinations.inbox;
    let target = q.target.as_deref();
    match (method, path) {
        ("GET", "/_evrule/health") => answer(json!({"status": "ok"})),
        ("GET", "/_evrule/deliveries") => {
            let done = wait_for(inbox, q.wait, q.timeout, false, || inbox.count(false, target)).await;
            let groups: Vec<String> = inbox
                .read(false, target)
                .into_iter()
                .map(|(t, records, evicted)| {
                    let head = json!({"target": t, "evicted": evicted, "timedOut": !done});
                    with_raw(head, "deliveries", &array(records.iter().map(|r| r.to_json())))
                })
                .collect();
            let body = match target {
                Some(_) => groups.into_iter().next().unwrap_or_default(),
                None => with_raw(json!({"timedOut": !done}), "targets", &array(groups)),
            };
            Answer { status: 200, body }
        }
        ("GET", "/_evrule/dead-letters") => {
            let done = wait_for(inbox, q.wait, q.timeout, true, || dead_letters(shared, target).len()).await;
            let head = json!({"target": target, "timedOut": !done});
            let body = with_raw(head, "deadLetters", &array(dead_letters(shared, target)));
            Answer { status: 200, body }
        }
        ("DELETE", "/_evrule/deliveries") => answer(json!({"cleared": inbox.clear(false, target)})),
        ("DELETE", "/_evrule/dead-letters") => answer(json!({"cleared": inbox.clear(true, target)})),
        (_, "/_evrule/deliveries" | "/_evrule/dead-letters" | "/_evrule/health") => {
            error(405, format!("{method} is not supported on {path} (use GET or DELETE)"))
        }
        _ => error(
            404,
            format!("no endpoint {path} (see /_evrule/deliveries, /_evrule/dead-letters, /_evrule/health)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        let q =
            parse_query("target=arn%3Aaws%3Asqs%3Aus-east-1%3A1%3Aq&wait=2&timeout=1.5").unwrap();
        assert_eq!(q.target.as_deref(), Some("arn:aws:sqs:us-east-1:1:q"));
        assert_eq!((q.wait, q.timeout), (2, Duration::from_millis(1500)));
        let q = parse_query("target=arn:aws:sqs:x&wait=1").unwrap();
        assert_eq!(q.timeout, Duration::from_secs(10));
        assert_eq!(parse_query("").unwrap().timeout, Duration::ZERO);
        assert_eq!(
            parse_query("wait=x").err().unwrap(),
            "wait must be a count of deliveries, found `x`"
        );
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("%zz+b"), "%zz b");
    }
}
