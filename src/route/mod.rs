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
//!
//! Routing is meant to cost a small multiple of matching. What keeps it
//! cheap:
//!
//! * The paths of every target of a router (`InputPathsMap`, `InputPath`,
//!   `MessageGroupId`, the fields of `<aws.events.event>`) form one trie,
//!   and an event that needs any of them is walked once, on its bytes:
//!   the walk validates it as `serde_json` would (numbers of any size
//!   allowed) and notes where each value is. No JSON tree is built; a
//!   value is printed straight from its span in `serde_json`'s canonical
//!   form, numbers with their digits as sent (see `raw.rs`). All targets
//!   and rules matched by the event share that one walk.
//! * Templates are pre-split into literal pieces and placeholders, and
//!   rendered by appending to one buffer sized from the literals. A
//!   template whose skeleton proves every rendering valid JSON is not
//!   re-checked.
//! * The built-in matcher is asked for rule ids with pooled caches, so
//!   matching allocates nothing and rules are found without names.
//! * Unchanged events and constant inputs are not copied until delivery;
//!   each worker reuses one [`Delivery`] per target; the tasks of an event
//!   are queued under one lock, and threads are signalled only when one
//!   waits.
//! * A [`Destination`] that says it is
//!   [non-blocking](Destination::non_blocking) (in-memory ones, like
//!   [`Collect`]) gets first attempts on the routing thread, with no
//!   hand-off at all; retries, dead letters and FIFO targets still go
//!   through the workers.
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
mod builder;
mod delivery;
mod destinations;
mod model;
mod path;
mod pool;
mod raw;
mod replay;
mod router;
mod transform;

pub use archive::{Archive, ArchiveConfig, ArchiveReader, ArchivedEvent, FsyncPolicy};
pub use builder::RouterBuilder;
pub use delivery::{
    Clock, DeadLetter, Delivery, DeliveryResult, Destination, DropRecord, ExhaustedLimit,
    RouteOutcome, RouterConfig, RouterStats, RuleSelector, Settlement, ShutdownReport, SystemClock,
    TargetStats,
};
pub use destinations::{Collect, JsonLines};
pub use model::{
    DeadLetterConfig, RetryPolicy, Rule, RuleSet, RuleState, SqsParameters, Target,
    DEFAULT_MAX_TARGETS,
};
pub use replay::{with_replay_name, ReplayReport};
pub use router::{Rendered, Router};
pub use transform::{InputTransformer, InputTransformerConfig, RenderContext};
