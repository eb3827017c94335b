//! evrule: Amazon EventBridge event patterns, compiled and matched fast.
#![deny(missing_docs)]

mod compile;
mod error;
mod event;
pub(crate) mod json;
mod matcher;
pub mod pattern;
pub mod reference;

pub use error::Error;
pub use matcher::{Builder, Cache, Config, Matcher, RuleId};
pub use pattern::{Limits, Pattern};
pub mod explain;
pub mod route;
