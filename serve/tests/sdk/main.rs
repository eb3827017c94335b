//! The server driven by the official AWS SDK for Rust (and raw HTTP for
//! what an SDK never sends), one integration-test binary. Every test starts
//! its own server on a free port (`support::TestServer`).

mod archives;
mod buses;
mod events;
mod protocol;
mod rules;
mod sandbox;
mod state;
mod support;
mod targets;
