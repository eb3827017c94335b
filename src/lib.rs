//! evrule: Amazon EventBridge event patterns, compiled and matched fast.
#![deny(missing_docs)]

mod compile;
mod error;
mod event;
mod matcher;
pub mod pattern;

pub use error::Error;
pub use matcher::{Builder, Cache, Config, Matcher, RuleId};
pub use pattern::{Limits, Pattern};
