//! `Matcher` / `Builder` / `Config`: the public face of the compiled automaton.

use crate::compile::{sub_rules, Automaton, Scratch};
use crate::error::{Error, Kind};
use crate::event::{scan, EventLimits};
use crate::pattern::{Limits, Pattern};

/// Events are never read deeper than this, whatever the configured limit.
const HARD_MAX_EVENT_DEPTH: usize = 512;

/// Settings for a [`Matcher`].
///
/// ```
/// use evrule::{Config, Matcher};
/// let m = Matcher::builder().config(Config::new().trusted(true)).add("r", r#"{"a": ["x"]}"#)?.build()?;
/// assert_eq!(m.matches(br#"{"a": "x"}"#)?, ["r"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub(crate) trusted: bool,
    pub(crate) limits: Limits,
    pub(crate) event: EventLimits,
}

impl Config {
    /// Default settings: strict event checking, AWS's pattern limits,
    /// events up to 4 MiB, 128 levels deep, 1,048,576 leaves read.
    ///
    /// ```
    /// let c = evrule::Config::new();
    /// assert!(!c.is_trusted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Config {
        Config::default()
    }

    /// Trusted mode, for hosts whose events were validated upstream: parts
    /// no rule reads are skipped without checking them, and reading stops
    /// as soon as every key the rules need has been read.
    ///
    /// The host vouches that each event is well-formed JSON whose objects
    /// have unique keys, none containing a `.` (I-JSON, as AWS services
    /// emit). Under that promise trusted mode answers exactly as strict
    /// mode. Without it, a malformed event may match instead of being an
    /// error, and a value behind a repeated key, or behind a dotted key
    /// that leads to a path already read, may go unread.
    ///
    /// ```
    /// let c = evrule::Config::new().trusted(true);
    /// assert!(c.is_trusted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trusted(mut self, yes: bool) -> Config {
        self.trusted = yes;
        self
    }

    /// Whether trusted mode is on.
    ///
    /// ```
    /// assert!(!evrule::Config::new().is_trusted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_trusted(&self) -> bool {
        self.trusted
    }

    /// Pattern limits used when rules are added.
    ///
    /// ```
    /// let c = evrule::Config::new().limits(evrule::Limits::new().max_pattern_len(4096));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }

    /// Largest event accepted, in bytes.
    ///
    /// ```
    /// let m = evrule::Matcher::builder().config(evrule::Config::new().max_event_size(10))
    ///     .add("r", r#"{"a": ["x"]}"#)?.build()?;
    /// assert_eq!(m.matches(br#"{"a": "xxxxxxxxxx"}"#).unwrap_err().limit(), Some("event size"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_event_size(mut self, bytes: usize) -> Config {
        self.event.max_size = bytes;
        self
    }

    /// Deepest nesting of objects and arrays accepted in an event. Values
    /// above 512 count as 512: the scanner recurses per level, and nesting
    /// is never allowed to endanger the stack.
    ///
    /// ```
    /// let m = evrule::Matcher::builder().config(evrule::Config::new().max_event_depth(2))
    ///     .add("r", r#"{"a": ["x"]}"#)?.build()?;
    /// assert_eq!(m.matches(br#"{"b": [[1]]}"#).unwrap_err().limit(), Some("nesting depth"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_event_depth(mut self, depth: usize) -> Config {
        // Found by tests/hostile.rs: `usize::MAX` let 100,000 brackets
        // overflow the stack.
        self.event.max_depth = depth.min(HARD_MAX_EVENT_DEPTH);
        self
    }

    /// Most leaves (values at fields some rule names) read from one event.
    ///
    /// ```
    /// let m = evrule::Matcher::builder().config(evrule::Config::new().max_event_leaves(2))
    ///     .add("r", r#"{"a": ["x"]}"#)?.build()?;
    /// assert_eq!(m.matches(br#"{"a": [1, 2, 3]}"#).unwrap_err().limit(), Some("leaves per event"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_event_leaves(mut self, leaves: usize) -> Config {
        self.event.max_leaves = leaves;
        self
    }
}

/// Identifies a rule inside one [`Matcher`].
///
/// ```
/// let mut m = evrule::Matcher::new();
/// let id = m.add("r", r#"{"a": ["x"]}"#)?;
/// assert_eq!(m.rule_name(id), "r");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub(crate) u32);

/// Reusable per-thread scratch space, so that matching allocates nothing
/// once it has warmed up.
///
/// ```
/// let m = evrule::Matcher::builder().add("r", r#"{"a": ["x"]}"#)?.build()?;
/// let mut cache = m.create_cache();
/// for _ in 0..3 {
///     assert_eq!(m.find(br#"{"a": "x"}"#, &mut cache)?.len(), 1);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Cache {
    scratch: Scratch,
    ids: Vec<RuleId>,
}

/// Collects rules, then builds a [`Matcher`].
///
/// ```
/// let m = evrule::Matcher::builder()
///     .add("uploads", r#"{"source": ["aws.s3"], "detail-type": ["Object Created"]}"#)?
///     .add("big", r#"{"detail": {"object": {"size": [{"numeric": [">", 1000000]}]}}}"#)?
///     .build()?;
/// assert_eq!(m.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    config: Config,
    rules: Vec<(String, Pattern)>,
}

impl Builder {
    /// A builder with default config.
    ///
    /// ```
    /// let m = evrule::Builder::new().build()?;
    /// assert!(m.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Use these settings.
    ///
    /// ```
    /// let m = evrule::Builder::new().config(evrule::Config::new().trusted(true)).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&mut self, config: Config) -> &mut Builder {
        self.config = config;
        self
    }

    /// Parse `pattern` (with the configured limits) and add it as `name`.
    ///
    /// ```
    /// let err = evrule::Builder::new().add("bad", r#"{"a": []}"#).unwrap_err();
    /// assert_eq!((err.rule(), err.message()), (Some("bad"), "Empty arrays are not allowed"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, name: &str, pattern: &str) -> Result<&mut Builder, Error> {
        let p = Pattern::parse_with(pattern, &self.config.limits)
            .map_err(|errs| errs.with_rule(name).into_error())?;
        self.add_pattern(name, &p)
    }

    /// Add an already parsed pattern.
    ///
    /// ```
    /// let p = evrule::Pattern::parse(r#"{"a": ["x"]}"#)?;
    /// let m = evrule::Builder::new().add_pattern("r", &p)?.build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_pattern(&mut self, name: &str, pattern: &Pattern) -> Result<&mut Builder, Error> {
        if self.rules.iter().any(|(n, _)| n == name) {
            return Err(duplicate(name));
        }
        self.rules.push((name.to_string(), pattern.clone()));
        Ok(self)
    }

    /// Compile everything added so far.
    ///
    /// ```
    /// let m = evrule::Builder::new().add("r", r#"{"a": ["x"]}"#)?.build()?;
    /// assert_eq!(m.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self) -> Result<Matcher, Error> {
        let mut m = Matcher::with_config(self.config.clone());
        for (name, p) in &self.rules {
            m.add_pattern(name, p)?;
        }
        Ok(m)
    }
}

fn duplicate(name: &str) -> Error {
    Error::new(Kind::Rule, format!("a rule named {name} already exists")).with_rule(name)
}

#[derive(Clone, Debug)]
struct RuleEntry {
    name: Box<str>,
    /// The pattern's text: parsed again on removal to find its sub-rules,
    /// which costs far less memory than keeping the tree.
    text: Box<str>,
}

/// Limits for parsing again a pattern that was accepted once (possibly
/// under other limits): none beyond the parser's own hard caps.
fn accepted_limits() -> Limits {
    Limits::new()
        .max_pattern_len(usize::MAX)
        .max_sub_rules(usize::MAX)
        .max_wildcard_complexity(usize::MAX)
        .max_depth(usize::MAX)
}

/// All rules compiled into one automaton.
///
/// A `Matcher` is `Send + Sync`: share it (e.g. in an `Arc`) and match from
/// many threads at once, each with its own [`Cache`]. Rules can be added
/// and removed at any time through `&mut self`; removing one never changes
/// the answers for the others.
///
/// ```
/// let mut m = evrule::Matcher::new();
/// m.add("png", r#"{"detail": {"object": {"key": [{"suffix": ".png"}]}}}"#)?;
/// m.add("any", r#"{"source": ["aws.s3"]}"#)?;
/// let event = br#"{"source": "aws.s3", "detail": {"object": {"key": "cat.png"}}}"#;
/// assert_eq!(m.matches(event)?, ["any", "png"]);
/// assert!(m.remove("any"));
/// assert_eq!(m.matches(event)?, ["png"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Matcher {
    config: Config,
    automaton: Automaton,
    rules: Vec<Option<RuleEntry>>,
    /// Rule names are keyed like the value tables (see `FastHasher`).
    by_name: crate::compile::field::HashMap<Box<str>, u32>,
    free: Vec<u32>,
}

impl Default for Matcher {
    fn default() -> Matcher {
        Matcher::new()
    }
}

impl Matcher {
    /// A builder.
    ///
    /// ```
    /// let m = evrule::Matcher::builder().build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// An empty matcher with default config.
    ///
    /// ```
    /// assert!(evrule::Matcher::new().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Matcher {
        Matcher::with_config(Config::default())
    }

    /// An empty matcher with these settings.
    ///
    /// ```
    /// let m = evrule::Matcher::with_config(evrule::Config::new().trusted(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_config(config: Config) -> Matcher {
        Matcher {
            config,
            automaton: Automaton::new(),
            rules: vec![],
            by_name: Default::default(),
            free: vec![],
        }
    }

    /// Parse and add a rule; an error if the pattern is invalid or the name
    /// is taken.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// m.add("r", r#"{"a": ["x"]}"#)?;
    /// assert!(m.add("r", r#"{"b": ["y"]}"#).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, name: &str, pattern: &str) -> Result<RuleId, Error> {
        let mut p = Pattern::parse_with(pattern, &self.config.limits)
            .map_err(|errs| errs.with_rule(name).into_error())?;
        // The parsed copy of the text is ours: keep it instead of a third.
        let text = std::mem::take(&mut p.text).into_boxed_str();
        self.insert(name, &p, text)
    }

    /// Add a parsed rule.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// m.add_pattern("r", &evrule::Pattern::parse(r#"{"a": [1]}"#)?)?;
    /// assert_eq!(m.matches(br#"{"a": 1.0}"#)?, ["r"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_pattern(&mut self, name: &str, pattern: &Pattern) -> Result<RuleId, Error> {
        self.insert(name, pattern, pattern.text().into())
    }

    /// Add `pattern`, whose text is `text`, under `name`.
    fn insert(&mut self, name: &str, pattern: &Pattern, text: Box<str>) -> Result<RuleId, Error> {
        if self.by_name.contains_key(name) {
            return Err(duplicate(name));
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.rules.push(None);
                (self.rules.len() - 1) as u32
            }
        };
        for sr in sub_rules(pattern) {
            self.automaton.add(id, &sr);
        }
        self.rules[id as usize] = Some(RuleEntry {
            name: name.into(),
            text,
        });
        self.by_name.insert(name.into(), id);
        Ok(RuleId(id))
    }

    /// Remove a rule by name; false if there was none.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// m.add("r", r#"{"a": ["x"]}"#)?;
    /// assert!(m.remove("r"));
    /// assert!(!m.remove("r"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(id) = self.by_name.remove(name) else {
            return false;
        };
        if let Some(entry) = self.rules[id as usize].take() {
            // It parsed when it was added, and parsing is deterministic.
            let pattern = Pattern::parse_with(&entry.text, &accepted_limits())
                .expect("a pattern that was accepted once parses again");
            for sr in sub_rules(&pattern) {
                self.automaton.remove(id, &sr);
            }
        }
        self.free.push(id);
        true
    }

    /// Number of rules.
    ///
    /// ```
    /// assert_eq!(evrule::Matcher::new().len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there are no rules.
    ///
    /// ```
    /// assert!(evrule::Matcher::new().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Number of automaton states (a measure of memory and of how much
    /// rules share).
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// m.add("a", r#"{"x": ["1"], "y": ["2"]}"#)?;
    /// m.add("b", r#"{"x": ["1"], "y": ["3"]}"#)?;
    /// assert_eq!(m.state_count(), 4); // root, x=1 (shared), y=2, y=3
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state_count(&self) -> usize {
        self.automaton.state_count()
    }

    /// The settings this matcher uses.
    ///
    /// ```
    /// assert!(!evrule::Matcher::new().config().is_trusted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A fresh cache for [`Matcher::find`].
    ///
    /// ```
    /// let m = evrule::Matcher::new();
    /// let _cache = m.create_cache();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_cache(&self) -> Cache {
        Cache::default()
    }

    /// Names of the rules matching `event`, sorted. Allocates; use
    /// [`Matcher::find`] on hot paths.
    ///
    /// ```
    /// let m = evrule::Matcher::builder().add("r", r#"{"a": [{"prefix": "x"}]}"#)?.build()?;
    /// assert_eq!(m.matches(br#"{"a": "xyz"}"#)?, ["r"]);
    /// assert!(m.matches(br#"{"a": "abc"}"#)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches(&self, event: &[u8]) -> Result<Vec<&str>, Error> {
        let mut cache = self.create_cache();
        let ids = self.find(event, &mut cache)?;
        let mut names: Vec<&str> = ids.iter().map(|&id| self.rule_name(id)).collect();
        names.sort_unstable();
        Ok(names)
    }

    /// Ids of the rules matching `event`, in no particular order. Allocates
    /// nothing once `cache` has grown to the sizes this rule set needs.
    /// A malformed event is an error (in strict mode, the default).
    ///
    /// ```
    /// let m = evrule::Matcher::builder().add("r", r#"{"a": ["x"]}"#)?.build()?;
    /// let mut cache = m.create_cache();
    /// let ids = m.find(br#"{"a": "x"}"#, &mut cache)?;
    /// assert_eq!(m.rule_name(ids[0]), "r");
    /// assert!(m.find(br#"{"a": "x""#, &mut cache).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find<'c>(&self, event: &[u8], cache: &'c mut Cache) -> Result<&'c [RuleId], Error> {
        let sc = &mut cache.scratch;
        scan(
            event,
            &self.automaton.trie,
            self.automaton.field_count(),
            !self.config.trusted,
            self.config.event,
            &mut sc.leaves,
        )?;
        self.automaton.run(event, self.rules.len(), sc);
        cache.ids.clear();
        cache.ids.extend(sc.out.iter().map(|&r| RuleId(r)));
        Ok(&cache.ids)
    }

    /// The name a rule was added under.
    ///
    /// # Panics
    /// If the id does not belong to a current rule of this matcher.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// let id = m.add("orders", r#"{"source": ["shop"]}"#)?;
    /// assert_eq!(m.rule_name(id), "orders");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rule_name(&self, id: RuleId) -> &str {
        &self.rules[id.0 as usize]
            .as_ref()
            .expect("a current rule id")
            .name
    }

    /// The id of the rule with this name.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// let id = m.add("orders", r#"{"source": ["shop"]}"#)?;
    /// assert_eq!(m.rule_id("orders"), Some(id));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rule_id(&self, name: &str) -> Option<RuleId> {
        self.by_name.get(name).map(|&i| RuleId(i))
    }

    /// The pattern text of a rule, as it was added.
    ///
    /// ```
    /// let mut m = evrule::Matcher::new();
    /// let id = m.add("orders", r#"{"source": ["shop"]}"#)?;
    /// assert_eq!(m.pattern_text(id), r#"{"source": ["shop"]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pattern_text(&self, id: RuleId) -> &str {
        &self.rules[id.0 as usize]
            .as_ref()
            .expect("a current rule id")
            .text
    }
}
