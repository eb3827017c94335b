//! Tests against a real nats-server (one per test, on a free port, with
//! its own store directory, killed at the end). Without nats-server they
//! say how to install it and pass; with `EVRULE_REQUIRE_NATS=1` (as
//! `.ci/run` sets) they fail instead.

#[path = "nats/support.rs"]
mod support;

#[path = "nats/basics.rs"]
mod basics;
#[path = "nats/dead_letters.rs"]
mod dead_letters;
#[path = "nats/failures.rs"]
mod failures;
#[path = "nats/fifo.rs"]
mod fifo;
#[path = "nats/rules.rs"]
mod rules;
