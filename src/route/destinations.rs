//! Ready-made destinations for a local bus and for tests.

use std::io::Write;
use std::sync::Mutex;

use serde_json::Value;

use crate::route::delivery::{Delivery, DeliveryResult, Destination};
use crate::route::raw;

/// Keeps every delivery in memory. It is
/// [non-blocking](Destination::non_blocking), so a router delivers to it
/// on the routing thread.
///
/// ```
/// use std::sync::Arc;
/// use evrule::route::{Collect, Router, Rule, Target};
/// let sink = Arc::new(Collect::new());
/// let router = Router::builder()
///     .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
///     .destination("arn:t", sink.clone())
///     .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
///     .build()?;
/// router.route(b"{}")?;
/// router.drain();
/// assert_eq!(sink.take()[0].body, "{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Collect {
    deliveries: Mutex<Vec<Delivery>>,
}

impl Collect {
    /// An empty collector.
    ///
    /// ```
    /// assert!(evrule::route::Collect::new().deliveries().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Collect {
        Collect::default()
    }

    /// A copy of what was delivered so far, in delivery order.
    ///
    /// ```
    /// assert_eq!(evrule::route::Collect::new().deliveries().len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Take what was delivered so far, leaving the collector empty.
    ///
    /// ```
    /// assert!(evrule::route::Collect::new().take().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take(&self) -> Vec<Delivery> {
        std::mem::take(&mut *self.deliveries.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Destination for Collect {
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult {
        self.deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(delivery.clone());
        DeliveryResult::Ok
    }

    /// Keeping a delivery in memory never blocks: first attempts are made
    /// on the routing thread.
    fn non_blocking(&self) -> bool {
        true
    }
}

/// Writes one JSON object per delivery and line, e.g. to stdout or a file:
///
/// ```text
/// {"rule":"r","ruleArn":"...","targetId":"t","targetArn":"arn:t","attempt":1,
///  "messageGroupId":null,"input":{...},"deadLetter":null}
/// ```
///
/// `input` is the body as JSON (or as a string when it is not JSON);
/// `deadLetter` holds the reason for dead letters. A write error is a
/// retryable failure.
///
/// ```
/// use evrule::route::{Delivery, Destination, JsonLines};
/// let out = JsonLines::new(Vec::new());
/// let d = Delivery {
///     rule: "r".into(), rule_arn: "arn:r".into(), target_id: "t".into(),
///     target_arn: "arn:t".into(), body: r#"{"a":1}"#.into(), message_group_id: None,
///     attempt: 1, ingestion_time: std::time::UNIX_EPOCH, dead_letter: None,
/// };
/// out.deliver(&d);
/// let text = String::from_utf8(out.into_inner())?;
/// assert!(text.starts_with(r#"{"rule":"r","ruleArn":"arn:r","targetId":"t""#));
/// assert!(text.contains(r#""input":{"a":1}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JsonLines<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonLines<W> {
    /// Write to `out`.
    ///
    /// ```
    /// let _ = evrule::route::JsonLines::new(std::io::stdout());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(out: W) -> Self {
        JsonLines {
            out: Mutex::new(out),
        }
    }

    /// The writer back.
    ///
    /// ```
    /// let v: Vec<u8> = evrule::route::JsonLines::new(Vec::new()).into_inner();
    /// assert!(v.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// The line written for `d`, without its newline.
    fn line(d: &Delivery) -> String {
        let s = |v: &str| Value::String(v.to_string()).to_string();
        // A JSON body is written as it is, numbers as sent.
        let input = if raw::is_plain_json(&d.body) {
            d.body.trim().to_string()
        } else {
            s(&d.body)
        };
        let group = d.message_group_id.as_deref().map_or("null".into(), s);
        let dead = match &d.dead_letter {
            None => "null".to_string(),
            Some(r) => format!(
                "{{\"errorCode\":{},\"errorMessage\":{},\"attempts\":{},\"limit\":{}}}",
                s(&r.error_code),
                s(&r.error_message),
                r.attempts,
                s(r.limit.as_str())
            ),
        };
        format!(
            "{{\"rule\":{},\"ruleArn\":{},\"targetId\":{},\"targetArn\":{},\"attempt\":{},\"messageGroupId\":{},\"input\":{},\"deadLetter\":{}}}",
            s(&d.rule),
            s(&d.rule_arn),
            s(&d.target_id),
            s(&d.target_arn),
            d.attempt,
            group,
            input,
            dead
        )
    }
}

impl<W: Write + Send> Destination for JsonLines<W> {
    fn deliver(&self, delivery: &Delivery) -> DeliveryResult {
        let mut line = Self::line(delivery);
        line.push('\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        match out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => DeliveryResult::Ok,
            // A closed pipe will not reopen: retrying cannot help.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                DeliveryResult::Permanent(e.to_string())
            }
            Err(e) => DeliveryResult::Retryable(e.to_string()),
        }
    }
}
