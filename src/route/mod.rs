//! Routing: rules, targets, input transformers, delivery, dead letters,
//! archive and replay.
//!
//! The pipeline, in the vocabulary of EventBridge:
//!
//! 1. [`RuleSet`] loads [`Rule`]s and their [`Target`]s from AWS's own JSON
//!    shapes (PutRule / PutTargets requests, `list-rules` output,
//!    CloudFormation) and validates them with AWS's messages.
//! 2. Each target's input setting is compiled once: a constant `Input`, an
//!    `InputPath`, or an [`InputTransformer`] whose template is pre-split
//!    into literals and placeholders.
//! 3. A [`Router`] matches each event (with a [`Matcher`](crate::Matcher),
//!    or any [`RuleSelector`]), renders the input of every target of every
//!    matched enabled rule, and hands the deliveries to a worker pool that
//!    calls each target's [`Destination`], retrying with back-off, keeping
//!    FIFO order per message group and sending what cannot be delivered
//!    to a dead-letter destination (or counting it as dropped).
//! 4. An [`Archive`] keeps incoming events in a crash-safe log; a replay
//!    re-sends a time window through a router, tagged with `replay-name`.
//!
//! A local bus, end to end:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use evrule::route::{Delivery, DeliveryResult, Router, RouterConfig, RuleSet};
//!
//! let mut rules = RuleSet::new();
//! rules.add_json(&serde_json::json!({
//!     "Name": "uploads",
//!     "EventPattern": {"source": ["aws.s3"]},
//!     "Targets": [{
//!         "Id": "log",
//!         "Arn": "arn:aws:sqs:us-east-1:123456789012:uploads",
//!         "InputTransformer": {
//!             "InputPathsMap": {"key": "$.detail.object.key"},
//!             "InputTemplate": "\"uploaded <key>\""
//!         }
//!     }]
//! }))?;
//! let got = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&got);
//! let router = Router::builder()
//!     .rules(rules.into_rules())
//!     .destination("arn:aws:sqs:us-east-1:123456789012:uploads", Arc::new(move |d: &Delivery| {
//!         sink.lock().unwrap().push(d.body.clone());
//!         DeliveryResult::Ok
//!     }))
//!     .build()?;
//! router.route(br#"{"source": "aws.s3", "detail": {"object": {"key": "a.txt"}}}"#)?;
//! router.drain();
//! assert_eq!(*got.lock().unwrap(), [r#""uploaded a.txt""#]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod destinations;
mod model;
mod path;
mod raw;
mod router;
mod time;
mod transform;

pub use archive::{
    crc32, with_replay_name, Archive, ArchiveConfig, ArchiveReader, ArchivedEvent, FsyncPolicy,
    ReplayReport,
};
pub use destinations::{Collect, JsonLines};
pub use model::{
    DeadLetterConfig, InputTransformerConfig, RetryPolicy, Rule, RuleSet, RuleState, SqsParameters,
    Target, DEFAULT_MAX_TARGETS,
};
pub use router::{
    Clock, DeadLetter, Delivery, DeliveryResult, Destination, DropRecord, ExhaustedLimit,
    RouteOutcome, Router, RouterBuilder, RouterConfig, RouterStats, RuleSelector, ShutdownReport,
    SystemClock, TargetStats,
};
pub use transform::{InputTransformer, RenderContext};
