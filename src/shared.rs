//! A matcher that many threads match against while rules change.
//!
//! Readers take a snapshot (an `Arc` of an immutable [`Matcher`]) with one
//! atomic load: the match path takes no lock and never waits for a writer.
//! Writers serialise among themselves, copy the current matcher, change the
//! copy and publish it atomically. Every answer a reader gets is therefore
//! the answer of one complete rule set as it was at some moment; a reader
//! never sees half of an update. The price is a copy of the matcher per
//! published change, so [`SharedMatcher::update`] batches many changes into
//! one copy.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::error::Error;
use crate::matcher::{Cache, Matcher, RuleId};

/// A [`Matcher`] shared by readers on many threads and updated live.
///
/// ```
/// use std::sync::Arc;
/// let shared = Arc::new(evrule::SharedMatcher::new(evrule::Matcher::new()));
/// shared.add("s3", r#"{"source": ["aws.s3"]}"#)?;
/// let reader = {
///     let shared = Arc::clone(&shared);
///     std::thread::spawn(move || shared.matches(br#"{"source": "aws.s3"}"#).unwrap())
/// };
/// assert_eq!(reader.join().unwrap(), ["s3"]);
/// assert!(shared.remove("s3"));
/// assert!(shared.matches(br#"{"source": "aws.s3"}"#)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SharedMatcher {
    current: ArcSwap<Matcher>,
    writer: Mutex<()>,
}

impl SharedMatcher {
    /// Share `matcher`.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// assert!(shared.snapshot().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(matcher: Matcher) -> SharedMatcher {
        SharedMatcher {
            current: ArcSwap::from_pointee(matcher),
            writer: Mutex::new(()),
        }
    }

    /// The current rule set, frozen: use it for a batch of events that must
    /// all see the same rules.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// let before = shared.snapshot();
    /// shared.add("r", r#"{"a": ["x"]}"#)?;
    /// assert_eq!((before.len(), shared.snapshot().len()), (0, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(&self) -> Arc<Matcher> {
        self.current.load_full()
    }

    /// Apply any number of changes to a copy of the current matcher, then
    /// publish it in one step. If `change` returns an error, nothing is
    /// published.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// shared.update(|m| {
    ///     m.add("a", r#"{"a": ["1"]}"#)?;
    ///     m.add("b", r#"{"b": ["2"]}"#)
    /// })?;
    /// assert_eq!(shared.snapshot().len(), 2);
    /// assert!(shared.update(|m| m.add("c", r#"{"c": []}"#)).is_err());
    /// assert_eq!(shared.snapshot().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Matcher) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // A poisoned lock only means another writer panicked mid-copy; the
        // published matcher is untouched, so carry on.
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = Matcher::clone(&self.current.load());
        let out = change(&mut next)?;
        self.current.store(Arc::new(next));
        Ok(out)
    }

    /// Add one rule and publish.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// shared.add("r", r#"{"a": ["x"]}"#)?;
    /// assert_eq!(shared.matches(br#"{"a": "x"}"#)?, ["r"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&self, name: &str, pattern: &str) -> Result<RuleId, Error> {
        self.update(|m| m.add(name, pattern))
    }

    /// Remove one rule and publish; false if there was none.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// shared.add("r", r#"{"a": ["x"]}"#)?;
    /// assert!(shared.remove("r"));
    /// assert!(!shared.remove("r"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, name: &str) -> bool {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.current.load();
        if current.rule_id(name).is_none() {
            return false;
        }
        let mut next = Matcher::clone(&current);
        next.remove(name);
        self.current.store(Arc::new(next));
        true
    }

    /// Names of the rules matching `event` under the current rule set,
    /// sorted.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// shared.add("r", r#"{"a": [{"prefix": "x"}]}"#)?;
    /// assert_eq!(shared.matches(br#"{"a": "xy"}"#)?, ["r"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches(&self, event: &[u8]) -> Result<Vec<String>, Error> {
        let m = self.current.load();
        Ok(m.matches(event)?.into_iter().map(str::to_string).collect())
    }

    /// Match `event` against the current rule set without allocating and
    /// hand the result, with the matcher that produced it (for
    /// [`Matcher::rule_name`]), to `f`.
    ///
    /// ```
    /// let shared = evrule::SharedMatcher::new(evrule::Matcher::new());
    /// shared.add("r", r#"{"a": ["x"]}"#)?;
    /// let mut cache = evrule::Cache::default();
    /// let n = shared.find(br#"{"a": "x"}"#, &mut cache, |m, ids| m.rule_name(ids[0]).len())?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find<T>(
        &self,
        event: &[u8],
        cache: &mut Cache,
        f: impl FnOnce(&Matcher, &[RuleId]) -> T,
    ) -> Result<T, Error> {
        let m = self.current.load();
        let ids = m.find(event, cache)?;
        Ok(f(&m, ids))
    }
}
