//! `Matcher` / `Builder` / `Config`: the public face of the compiled automaton.
//! (API contract; implementation in progress.)

use crate::error::Error;
use crate::pattern::{Limits, Pattern};

/// Settings for a [`Matcher`].
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub(crate) trusted: bool,
    pub(crate) limits: Limits,
}

impl Config {
    /// Default settings: strict event checking, AWS's pattern limits.
    pub fn new() -> Config {
        Config::default()
    }
    /// Trusted mode: events are assumed well-formed; reading may stop early.
    pub fn trusted(mut self, yes: bool) -> Config {
        self.trusted = yes;
        self
    }
    /// Pattern limits used by [`Builder::add`] and [`Matcher::add`].
    pub fn limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }
}

/// Identifies a rule inside one [`Matcher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub(crate) u32);

/// Reusable per-thread scratch space for matching without allocation.
#[derive(Debug, Default)]
pub struct Cache {}

/// Collects rules, then builds a [`Matcher`].
#[derive(Debug, Default)]
pub struct Builder {}

impl Builder {
    /// A builder with default config.
    pub fn new() -> Builder {
        todo!()
    }
    /// Use these settings.
    pub fn config(&mut self, _config: Config) -> &mut Builder {
        todo!()
    }
    /// Parse `pattern` and add it under `name`.
    pub fn add(&mut self, _name: &str, _pattern: &str) -> Result<&mut Builder, Error> {
        todo!()
    }
    /// Add an already parsed pattern.
    pub fn add_pattern(&mut self, _name: &str, _pattern: &Pattern) -> Result<&mut Builder, Error> {
        todo!()
    }
    /// Compile everything added so far.
    pub fn build(&self) -> Result<Matcher, Error> {
        todo!()
    }
}

/// All rules compiled into one automaton.
#[derive(Debug)]
pub struct Matcher {}

impl Matcher {
    /// A builder.
    pub fn builder() -> Builder {
        Builder::new()
    }
    /// An empty matcher with default config.
    pub fn new() -> Matcher {
        todo!()
    }
    /// Parse and add a rule; error if the name exists.
    pub fn add(&mut self, _name: &str, _pattern: &str) -> Result<RuleId, Error> {
        todo!()
    }
    /// Add a parsed rule.
    pub fn add_pattern(&mut self, _name: &str, _pattern: &Pattern) -> Result<RuleId, Error> {
        todo!()
    }
    /// Remove a rule by name; false if there was none.
    pub fn remove(&mut self, _name: &str) -> bool {
        todo!()
    }
    /// Number of rules.
    pub fn len(&self) -> usize {
        todo!()
    }
    /// A fresh cache for [`Matcher::find`].
    pub fn create_cache(&self) -> Cache {
        todo!()
    }
    /// Names of the rules matching `event`, sorted (allocates; see `find`).
    pub fn matches(&self, _event: &[u8]) -> Result<Vec<&str>, Error> {
        todo!()
    }
    /// Ids of the rules matching `event`, in no particular order, without
    /// allocating in the steady state.
    pub fn find<'c>(&self, _event: &[u8], _cache: &'c mut Cache) -> Result<&'c [RuleId], Error> {
        todo!()
    }
    /// The name a rule was added under.
    pub fn rule_name(&self, _id: RuleId) -> &str {
        todo!()
    }
}
