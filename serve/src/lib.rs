//! evrule-serve: the Amazon EventBridge API on localhost (work in progress).

#![deny(missing_docs)]

pub mod schedule;
pub mod sigv4;
