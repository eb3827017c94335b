//! evrule: Amazon EventBridge event patterns, compiled and matched fast.
#![deny(missing_docs)]

mod error;
pub mod pattern;

pub use error::Error;
pub use pattern::{Limits, Pattern};
mod matcher;
pub use matcher::{Builder, Cache, Config, Matcher, RuleId};
pub mod route;
