//! evrule-serve: the Amazon EventBridge API on localhost, for every AWS SDK
//! and the AWS CLI, with the evrule engine behind it.
//!
//! A [`Server`] speaks EventBridge's wire protocol (AWS JSON 1.1: `POST /`,
//! `X-Amz-Target: AWSEvents.<Action>`) and answers with AWS's shapes, limits
//! and error codes. Rules and targets put through the API apply to the next
//! PutEvents; matched events go through [`evrule::route`]'s router (fan-out,
//! input transformers, retries, dead-letter queues, FIFO groups) to the
//! destinations the server was given by ARN, and every other target to a
//! built-in inbox that tests read over HTTP (`GET
//! /_evrule/deliveries?target=ARN`).
//!
//! The pipeline of a request: `http` (connections, limits, timeouts,
//! SigV4) → `api` (the action table, decoding and validation) → `state` (buses,
//! rules, targets, archives, replays, tags; `store` writes them with
//! `--state`) → `engine` (one per bus: the routers and archives) → the
//! destinations and the `inbox`. `scheduler` fires scheduled rules from the
//! server's [`Clock`](schedule::Clock).
//!
//! Actions: PutEvents, PutRule, DescribeRule, ListRules, DeleteRule,
//! EnableRule, DisableRule, PutTargets, RemoveTargets, ListTargetsByRule,
//! ListRuleNamesByTarget, TestEventPattern, CreateEventBus,
//! DescribeEventBus, ListEventBuses, DeleteEventBus, CreateArchive,
//! DescribeArchive, ListArchives, DeleteArchive, StartReplay,
//! DescribeReplay, ListReplays, TagResource, UntagResource,
//! ListTagsForResource. Any other gets `UnknownOperationException`.
//!
//! Delivery state (queued deliveries, retries, the inbox) lives in memory:
//! an acknowledged PutEvents means the event was matched and its deliveries
//! queued, not that they survive a crash.
//!
//! # Example
//!
//! ```
//! use evrule_serve::{Server, ServeConfig};
//!
//! let server = Server::start(ServeConfig::new().port(0))?;
//! let addr = server.local_addr();
//! // ... point an AWS SDK at http://{addr} ...
//! let report = server.shutdown();
//! assert!(report.undelivered.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod admin;
mod api;
mod durable;
mod engine;
mod http;
mod ids;
mod inbox;
mod sandbox;
pub mod schedule;
mod scheduler;
pub mod sigv4;
mod state;
mod store;

mod server;

pub use durable::Durable;
pub use sandbox::{Samples, MAX_BODY_BYTES as SANDBOX_MAX_BODY_BYTES};
pub use server::{ServeConfig, Server, ShutdownReport, StartError};
// TestEventPattern's semantics are the library's (the Python bindings share them).
pub use evrule::test_pattern::{test_event_pattern, TestEventPatternError};
