//! Durable EventBridge-style delivery for [`evrule`] on NATS
//! JetStream: nothing lost when a worker or the server dies, and as many
//! workers as you like.
//!
//! The model maps onto EventBridge's:
//!
//! | EventBridge | here |
//! |---|---|
//! | an event bus, its archive | a stream `EVRULE_BUS_<bus>` (retention = the archive's) |
//! | PutEvents | [`Bus::put_event`]: resolves once JetStream stored the event (id = message id) |
//! | rules, targets, buses | the key-value bucket `EVRULE_RULES` ([`RuleStore`]) |
//! | matching | [`Worker`]s sharing the bus's durable consumer; each event becomes one message per (rule, target) in `EVRULE_DELIVERIES`, id = event id + rule + target |
//! | a target, its RetryPolicy | a durable consumer per target, `MaxDeliver` = attempts, the router's back-off as delayed NAKs, `MaximumEventAgeInSeconds` checked at each attempt |
//! | the DLQ | the stream `EVRULE_DEAD`, delivered to the target's DLQ destination; JetStream's max-delivery advisories (kept in `EVRULE_ADVISORIES`) catch attempts no worker finished |
//! | FIFO targets | partitions by message group, one consumer each, one message in flight; FIFO deliveries published in bus order by the `fifo-matcher` consumer |
//! | replay | [`Engine::replay`]: an ordered consumer from the window's start, through the current rules, with `replay-name` |
//!
//! Matching, input rendering, retry decisions and the dead-letter
//! envelope are the core library's own ([`Router::render`],
//! [`RouterConfig::settle`], [`Delivery`]), so a target sees exactly what
//! `evrule route` would hand it.
//!
//! [`Router::render`]: evrule::route::Router::render
//! [`RouterConfig::settle`]: evrule::route::RouterConfig::settle
//! [`Delivery`]: evrule::route::Delivery
//!
//! The delivery guarantee is at-least-once; see the README's "Past one
//! machine" section for where duplicates can appear. The names of every
//! stream, subject and consumer are in [`names`].
//!
//! ```no_run
//! # async fn run() -> Result<(), evrule_engine::Error> {
//! use std::sync::Arc;
//! use evrule::route::{Delivery, DeliveryResult, Rule, Target};
//! use evrule_engine::{BusConfig, Engine, EngineConfig};
//!
//! let engine = Engine::connect(EngineConfig::new("nats://127.0.0.1:4222")).await?;
//! engine.rules().await?.put_rule("default", &Rule::new("orders", r#"{"source": ["shop"]}"#)
//!     .with_target(Target::new("log", "arn:aws:sqs:us-east-1:123456789012:orders"))).await?;
//! let worker = engine.worker("default")
//!     .destination("arn:aws:sqs:us-east-1:123456789012:orders",
//!                  Arc::new(|d: &Delivery| { println!("{}", d.body); DeliveryResult::Ok }))
//!     .start().await?;
//! let bus = engine.bus("default", BusConfig::new()).await?;
//! bus.put_event(br#"{"id": "1", "source": "shop"}"#).await?;
//! worker.stop(std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod bus;
mod codec;
mod engine;
mod error;
pub mod names;
mod replay;
pub mod server;
mod setup;
mod store;
mod worker;

pub use bus::{Bus, BusConfig, Put};
pub use codec::rule_to_json;
pub use engine::{Engine, EngineConfig, Log, Storage};
pub use error::Error;
pub use store::{RuleStore, SeedReport};
pub use worker::{Worker, WorkerBuilder, WorkerStats};
