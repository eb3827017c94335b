//! `evrule._evrule`, the native module of the `evrule` Python package.
//!
//! PyO3 glue only: Python values become pattern and event text
//! (module `json`), library errors become Python exceptions with their places
//! as attributes, results become Python objects. What is matched,
//! validated, explained and read is the library's (`evrule`) and the rule
//! readers' (`evrule-sources`); nothing here decides an answer.
//!
//! Threads: a `PyMatcher` keeps its rules behind a read-write lock.
//! Matching takes the read lock with the GIL released; changing rules
//! compiles with the GIL released and takes the write lock. Nobody waits
//! for the GIL while holding the lock, so the two cannot deadlock.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyIterator, PyList, PyString};

use evrule::explain::Explanation;
use evrule::{Cache, Config, Error, Limits, Matcher, Pattern, RuleId};
use evrule_sources::sources::{self, LoadOptions, RuleSource, SourceError};

mod json;

create_exception!(
    evrule,
    InvalidPatternError,
    PyValueError,
    "A pattern is not a valid EventBridge event pattern."
);
create_exception!(
    evrule,
    InvalidEventError,
    PyValueError,
    "An event is not a valid event (not JSON, not an object, over a limit)."
);
create_exception!(
    evrule,
    RuleFileError,
    PyValueError,
    "A rule file cannot be read as rules."
);

/// Events read per release of the GIL in `matches_many`, and the most
/// bytes a batch holds.
const BATCH_EVENTS: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;

thread_local! {
    /// Each thread's matching scratch space: the steady state allocates
    /// nothing, and threads never share it.
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

// ---- problems and errors ----

/// One problem with a pattern: the rule, where (JSON pointer, line and
/// column) and AWS's reason.
#[pyclass(frozen, get_all, module = "evrule", name = "Problem")]
#[derive(Clone, Debug)]
struct Problem {
    rule: Option<String>,
    path: String,
    line: Option<usize>,
    column: Option<usize>,
    reason: String,
    file: Option<String>,
    /// `syntax` (not JSON), `limit` (over a configured limit) or `pattern`.
    kind: &'static str,
}

/// The family of a library error, as `Problem.kind` says it.
fn kind(e: &Error) -> &'static str {
    if e.is_syntax() {
        "syntax"
    } else if e.limit().is_some() {
        "limit"
    } else {
        "pattern"
    }
}

#[pymethods]
impl Problem {
    fn __repr__(&self) -> String {
        format!(
            "Problem(rule={}, path={}, line={}, column={}, reason={}, file={}, kind={})",
            py_str(self.rule.as_deref()),
            py_str(Some(&self.path)),
            py_int(self.line),
            py_int(self.column),
            py_str(Some(&self.reason)),
            py_str(self.file.as_deref()),
            py_str(Some(self.kind))
        )
    }

    fn __str__(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(file);
            if let (Some(l), Some(c)) = (self.line, self.column) {
                out.push_str(&format!(":{l}:{c}"));
            }
            out.push_str(": ");
        }
        if let Some(rule) = &self.rule {
            out.push_str(&format!("rule {rule}: "));
        }
        out.push_str(&self.reason);
        if !self.path.is_empty() {
            out.push_str(&format!(" at {}", self.path));
        }
        if let (None, Some(l), Some(c)) = (&self.file, self.line, self.column) {
            out.push_str(&format!(" (line {l} column {c})"));
        }
        out
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Problem>().is_ok_and(|o| {
            let o = o.get();
            (
                &o.rule, &o.path, o.line, o.column, &o.reason, &o.file, o.kind,
            ) == (
                &self.rule,
                &self.path,
                self.line,
                self.column,
                &self.reason,
                &self.file,
                self.kind,
            )
        })
    }
}

/// A string as a Python literal (for `repr`), `None` for none.
fn py_str(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), |s| format!("{:?}", s))
}

fn py_int(n: Option<usize>) -> String {
    n.map_or_else(|| "None".to_string(), |n| n.to_string())
}

/// The problems of one library error (it carries the pattern's others),
/// placed in `rule`'s file when the pattern came from one.
fn problems(e: &Error, name: Option<&str>, rule: Option<&RuleSource>) -> Vec<Problem> {
    std::iter::once(e)
        .chain(e.other_problems())
        .map(|p| {
            let (line, column, reason, file) = match rule {
                Some(r) => {
                    let at = r.locate(p.offset());
                    let reason = match at.inner {
                        Some((l, c)) => {
                            format!("{} (pattern text line {l} column {c})", p.message())
                        }
                        None => p.message().to_string(),
                    };
                    let file = r.file.path().display().to_string();
                    (Some(at.line), Some(at.column), reason, Some(file))
                }
                None => (p.line(), p.column(), p.message().to_string(), None),
            };
            Problem {
                rule: name
                    .map(str::to_string)
                    .or_else(|| p.rule().map(str::to_string)),
                path: p.path().to_string(),
                line,
                column,
                reason,
                file,
                kind: kind(p),
            }
        })
        .collect()
}

/// Set each `(name, value)` as an attribute of the exception's value.
fn with_attrs<'py>(
    py: Python<'py>,
    err: PyErr,
    attrs: &[(&str, Bound<'py, PyAny>)],
) -> PyResult<PyErr> {
    let value = err.value(py);
    for (name, v) in attrs {
        value.setattr(*name, v)?;
    }
    Ok(err)
}

/// `InvalidPatternError` for these problems: the first one's place as
/// attributes, every problem in `problems`, all of them in the message.
fn pattern_error(py: Python<'_>, found: Vec<Problem>) -> PyErr {
    let message: Vec<String> = found.iter().map(Problem::__str__).collect();
    let first = found[0].clone();
    let err = InvalidPatternError::new_err(message.join("\n"));
    let attrs = (|| -> PyResult<PyErr> {
        with_attrs(
            py,
            err,
            &[
                ("rule", first.rule.clone().into_pyobject(py)?.into_any()),
                ("path", first.path.clone().into_pyobject(py)?.into_any()),
                ("line", first.line.into_pyobject(py)?.into_any()),
                ("column", first.column.into_pyobject(py)?.into_any()),
                ("reason", first.reason.clone().into_pyobject(py)?.into_any()),
                ("file", first.file.clone().into_pyobject(py)?.into_any()),
                ("problems", found.clone().into_pyobject(py)?.into_any()),
            ],
        )
    })();
    attrs.unwrap_or_else(|e| e)
}

/// `InvalidEventError` for a library error about an event (`index`: its
/// place in `matches_many`'s input).
fn event_error(py: Python<'_>, e: &Error, index: Option<usize>) -> PyErr {
    let message = match index {
        Some(i) => format!("event {i}: {e}"),
        None => e.to_string(),
    };
    invalid_event(
        py,
        message,
        e.message(),
        e.path(),
        (e.line(), e.column()),
        index,
        e.limit(),
    )
}

fn invalid_event(
    py: Python<'_>,
    message: String,
    reason: &str,
    path: &str,
    (line, column): (Option<usize>, Option<usize>),
    index: Option<usize>,
    limit: Option<&str>,
) -> PyErr {
    let attrs = (|| -> PyResult<PyErr> {
        with_attrs(
            py,
            InvalidEventError::new_err(message),
            &[
                ("reason", reason.into_pyobject(py)?.into_any()),
                ("path", path.into_pyobject(py)?.into_any()),
                ("line", line.into_pyobject(py)?.into_any()),
                ("column", column.into_pyobject(py)?.into_any()),
                ("index", index.into_pyobject(py)?.into_any()),
                ("limit", limit.into_pyobject(py)?.into_any()),
            ],
        )
    })();
    attrs.unwrap_or_else(|e| e)
}

/// A library error from adding a rule: invalid patterns raise
/// `InvalidPatternError`, a name already taken `ValueError`.
fn add_error(py: Python<'_>, e: &Error, name: &str) -> PyErr {
    if e.is_rule() {
        return PyValueError::new_err(e.to_string());
    }
    pattern_error(py, problems(e, Some(name), None))
}

// ---- Python values -> pattern and event text ----

/// Event bytes: borrowed from a `bytes` object, or owned.
enum EventBytes<'py> {
    Borrowed(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl EventBytes<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            EventBytes::Borrowed(b) => b.as_bytes(),
            EventBytes::Owned(v) => v,
        }
    }
}

/// An event given as `str`, `bytes`, `bytearray` or `dict` (serialised
/// by [`json`]).
fn event_bytes<'py>(event: &Bound<'py, PyAny>, index: Option<usize>) -> PyResult<EventBytes<'py>> {
    if let Ok(b) = event.cast::<PyBytes>() {
        return Ok(EventBytes::Borrowed(b.clone()));
    }
    if let Ok(s) = event.cast::<PyString>() {
        return Ok(EventBytes::Borrowed(s.encode_utf8()?));
    }
    if let Ok(b) = event.cast::<PyByteArray>() {
        return Ok(EventBytes::Owned(b.to_vec()));
    }
    if event.is_instance_of::<PyDict>() {
        let mut out = Vec::new();
        json::write(event, &mut out).map_err(|e| e.into_event_error(event.py(), index))?;
        return Ok(EventBytes::Owned(out));
    }
    Err(PyTypeError::new_err(format!(
        "an event must be str, bytes or dict, not {}",
        event.get_type().name()?
    )))
}

/// A pattern given as `str`, `bytes` or `dict`, as JSON text.
fn pattern_text(pattern: &Bound<'_, PyAny>, rule: Option<&str>) -> PyResult<String> {
    if let Ok(r) = pattern.cast::<Rule>() {
        let source = &r.get().source;
        return source.pattern.clone().ok_or_else(|| {
            PyValueError::new_err(format!(
                "rule {}: its pattern is unknown until deployment ({})",
                source.name,
                source.unresolved_list()
            ))
        });
    }
    if let Ok(s) = pattern.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if let Ok(b) = pattern.cast::<PyBytes>() {
        return String::from_utf8(b.as_bytes().to_vec()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            pattern_error(
                pattern.py(),
                vec![Problem {
                    rule: rule.map(str::to_string),
                    path: String::new(),
                    line: None,
                    column: None,
                    reason: format!("invalid UTF-8 at byte {at} of the pattern"),
                    file: None,
                    kind: "syntax",
                }],
            )
        });
    }
    if pattern.is_instance_of::<PyDict>() {
        let mut out = Vec::new();
        json::write(pattern, &mut out).map_err(|e| e.into_pattern_error(pattern.py(), rule))?;
        return Ok(String::from_utf8(out).expect("the writer writes UTF-8"));
    }
    Err(PyTypeError::new_err(format!(
        "a pattern must be str or dict, not {}",
        pattern.get_type().name()?
    )))
}

/// An event's bytes as text, for the explainer.
fn event_str<'a>(py: Python<'_>, bytes: &'a [u8]) -> PyResult<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let reason = format!("invalid UTF-8 at byte {} of the event", e.valid_up_to());
        invalid_event(py, reason.clone(), &reason, "", (None, None), None, None)
    })
}

// ---- the matcher ----

/// The rules, and each rule's name as a Python string (made once, so
/// that results cost no string conversion).
struct State {
    matcher: Matcher,
    names: HashMap<RuleId, Py<PyString>>,
    /// Bumped by every change, so that an answer found with the GIL
    /// released is turned into names only under the rules that found it.
    generation: u64,
}

/// Many rules compiled into one automaton; match events against all of
/// them at once.
#[pyclass(frozen, module = "evrule", name = "Matcher")]
struct PyMatcher {
    state: RwLock<State>,
}

impl PyMatcher {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        // Nothing panics while holding the lock; should it, the rules are
        // still whole (the library changes them only on success).
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Append the rules `event` matches to `out`, ordered by name.
fn find_sorted(state: &State, event: &[u8], out: &mut Vec<RuleId>) -> Result<(), Error> {
    let from = out.len();
    CACHE.with(|cache| -> Result<(), Error> {
        let mut cache = cache.borrow_mut();
        out.extend_from_slice(state.matcher.find(event, &mut cache)?);
        Ok(())
    })?;
    let m = &state.matcher;
    out[from..].sort_unstable_by(|a, b| m.rule_name(*a).cmp(m.rule_name(*b)));
    Ok(())
}

/// Each batch's answers: for event `i`, the rules in
/// `ids[ends[i-1]..ends[i]]`, and the error that stopped the batch.
#[derive(Default)]
struct Found {
    ids: Vec<RuleId>,
    ends: Vec<usize>,
    error: Option<Error>,
}

/// Match every event of a batch (`bytes`, events ending at `ends`).
fn find_batch(state: &State, bytes: &[u8], ends: &[usize]) -> Found {
    let mut found = Found::default();
    let mut start = 0;
    for &end in ends {
        if let Err(e) = find_sorted(state, &bytes[start..end], &mut found.ids) {
            found.error = Some(e);
            break;
        }
        found.ends.push(found.ids.len());
        start = end;
    }
    found
}

impl PyMatcher {
    /// Run `f` over the rules with the GIL released, then, with the GIL
    /// held again, `names` over the same rules; `f` runs again with the
    /// GIL held in the rare case that the rules changed in between.
    fn with_rules<T: Send, R>(
        &self,
        py: Python<'_>,
        f: impl Fn(&State) -> T + Sync,
        names: impl FnOnce(&State, T) -> R,
    ) -> R {
        let (generation, found) = py.detach(|| {
            let state = self.read();
            (state.generation, f(&state))
        });
        let state = self.read();
        let found = if state.generation == generation {
            found
        } else {
            f(&state)
        };
        names(&state, found)
    }

    fn add_rule(&self, py: Python<'_>, name: &str, pattern: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = pattern_text(pattern, Some(name))?;
        let py_name = PyString::new(py, name).unbind();
        let refused = py.detach(|| {
            let mut state = self.write();
            match state.matcher.add(name, &text) {
                Ok(id) => {
                    state.names.insert(id, py_name);
                    state.generation += 1;
                    Ok(())
                }
                // Handed back, to be released with the GIL held.
                Err(e) => Err((e, py_name)),
            }
        });
        refused.map_err(|(e, _)| add_error(py, &e, name))
    }
}

#[pymethods]
impl PyMatcher {
    #[new]
    #[pyo3(signature = (
        rules=None, *, trusted=false, max_pattern_len=None, max_sub_rules=None, max_depth=None,
        max_wildcard_complexity=None, max_event_size=None, max_event_depth=None,
        max_event_leaves=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        rules: Option<&Bound<'_, PyAny>>,
        trusted: bool,
        max_pattern_len: Option<usize>,
        max_sub_rules: Option<usize>,
        max_depth: Option<usize>,
        max_wildcard_complexity: Option<usize>,
        max_event_size: Option<usize>,
        max_event_depth: Option<usize>,
        max_event_leaves: Option<usize>,
    ) -> PyResult<PyMatcher> {
        // Each option that is given overrides the library's default.
        fn given<T>(value: T, n: Option<usize>, set: fn(T, usize) -> T) -> T {
            match n {
                Some(n) => set(value, n),
                None => value,
            }
        }
        let mut limits = Limits::new();
        limits = given(limits, max_pattern_len, Limits::max_pattern_len);
        limits = given(limits, max_sub_rules, Limits::max_sub_rules);
        limits = given(limits, max_depth, Limits::max_depth);
        limits = given(
            limits,
            max_wildcard_complexity,
            Limits::max_wildcard_complexity,
        );
        let mut config = Config::new().trusted(trusted).limits(limits);
        config = given(config, max_event_size, Config::max_event_size);
        config = given(config, max_event_depth, Config::max_event_depth);
        config = given(config, max_event_leaves, Config::max_event_leaves);
        let m = PyMatcher {
            state: RwLock::new(State {
                matcher: Matcher::with_config(config),
                names: HashMap::new(),
                generation: 0,
            }),
        };
        if let Some(rules) = rules {
            let items = match rules.cast::<PyDict>() {
                Ok(d) => d.items().into_any(),
                Err(_) => rules.clone(),
            };
            for item in items.try_iter()? {
                let item = item?;
                let (name, pattern): (String, Bound<'_, PyAny>) =
                    match (item.getattr("name"), item.getattr("pattern")) {
                        (Ok(n), Ok(_)) if item.is_instance_of::<Rule>() => {
                            (n.extract()?, item.clone())
                        }
                        _ => item.extract().map_err(|_| {
                            PyTypeError::new_err(
                                "rules must be a dict of name -> pattern, or an iterable of \
                                 (name, pattern) pairs or Rule objects",
                            )
                        })?,
                    };
                m.add_rule(py, &name, &pattern)?;
            }
        }
        Ok(m)
    }

    /// Add a rule; `InvalidPatternError` if the pattern is invalid,
    /// `ValueError` if the name is taken.
    fn add(&self, py: Python<'_>, name: &str, pattern: &Bound<'_, PyAny>) -> PyResult<()> {
        self.add_rule(py, name, pattern)
    }

    /// Remove a rule; false if there was none of that name.
    fn remove(&self, py: Python<'_>, name: &str) -> bool {
        let removed = py.detach(|| {
            let mut state = self.write();
            let id = state.matcher.rule_id(name)?;
            state.matcher.remove(name);
            state.generation += 1;
            state.names.remove(&id)
        });
        // The name's Python string is released here, with the GIL held.
        removed.is_some()
    }

    /// The names of the rules `event` matches, sorted.
    fn matches<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let bytes = event_bytes(event, None)?;
        let bytes = bytes.as_bytes();
        let names = self.with_rules(
            py,
            |state| {
                let mut ids = Vec::new();
                find_sorted(state, bytes, &mut ids).map(|()| ids)
            },
            |state, found| {
                found.map(|ids| -> Vec<Py<PyString>> {
                    ids.iter().map(|id| state.names[id].clone_ref(py)).collect()
                })
            },
        );
        match names {
            Ok(names) => PyList::new(py, names),
            Err(e) => Err(event_error(py, &e, None)),
        }
    }

    /// For each event of `events` (an iterable of str, bytes or dict), the
    /// names of the rules it matches: an iterator of lists. Events are
    /// matched in batches with the GIL released.
    fn matches_many(
        slf: Py<Self>,
        py: Python<'_>,
        events: &Bound<'_, PyAny>,
    ) -> PyResult<MatchIter> {
        Ok(MatchIter {
            matcher: slf.clone_ref(py),
            events: events.try_iter()?.unbind(),
            ready: VecDeque::new(),
            error: None,
            index: 0,
            done: false,
            bytes: Vec::new(),
            ends: Vec::new(),
        })
    }

    /// The rule names, sorted.
    fn names(&self) -> Vec<String> {
        let state = self.read();
        let mut names: Vec<String> = state
            .names
            .keys()
            .map(|&id| state.matcher.rule_name(id).to_string())
            .collect();
        names.sort_unstable();
        names
    }

    /// The pattern text of rule `name`; `KeyError` if there is none.
    fn pattern(&self, name: &str) -> PyResult<String> {
        let state = self.read();
        match state.matcher.rule_id(name) {
            Some(id) => Ok(state.matcher.pattern_text(id).to_string()),
            None => Err(pyo3::exceptions::PyKeyError::new_err(name.to_string())),
        }
    }

    /// Whether events are read in trusted mode.
    #[getter]
    fn trusted(&self) -> bool {
        self.read().matcher.config().is_trusted()
    }

    fn __len__(&self) -> usize {
        self.read().matcher.len()
    }

    fn __contains__(&self, name: &str) -> bool {
        self.read().matcher.rule_id(name).is_some()
    }

    fn __repr__(&self) -> String {
        let state = self.read();
        let n = state.matcher.len();
        format!(
            "<evrule.Matcher: {n} rule{}, {}>",
            if n == 1 { "" } else { "s" },
            if state.matcher.config().is_trusted() {
                "trusted"
            } else {
                "strict"
            }
        )
    }
}

/// The iterator `Matcher.matches_many` returns.
#[pyclass(module = "evrule")]
struct MatchIter {
    matcher: Py<PyMatcher>,
    events: Py<PyIterator>,
    /// Answers of the current batch, not yet handed out.
    ready: VecDeque<Py<PyList>>,
    /// The error that ends the iteration, after `ready` is drained.
    error: Option<PyErr>,
    /// Index of the next event read from `events`.
    index: usize,
    done: bool,
    /// The batch's event bytes and where each event ends: kept between
    /// batches so that their room is reused.
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

#[pymethods]
impl MatchIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyList>>> {
        if self.ready.is_empty() && self.error.is_none() && !self.done {
            self.fill(py)?;
        }
        if let Some(next) = self.ready.pop_front() {
            return Ok(Some(next));
        }
        match self.error.take() {
            Some(e) => {
                self.done = true;
                Err(e)
            }
            None => Ok(None),
        }
    }
}

impl MatchIter {
    /// Read a batch of events (GIL held), match it (GIL released), turn
    /// the answers into lists (GIL held).
    fn fill(&mut self, py: Python<'_>) -> PyResult<()> {
        let mut events = self.events.bind(py).clone();
        let (mut bytes, mut ends) = (
            std::mem::take(&mut self.bytes),
            std::mem::take(&mut self.ends),
        );
        bytes.clear();
        ends.clear();
        let first = self.index;
        while ends.len() < BATCH_EVENTS && bytes.len() < BATCH_BYTES {
            let Some(event) = events.next() else {
                self.done = true;
                break;
            };
            let converted = event.and_then(|e| append_event(&e, self.index, &mut bytes));
            if let Err(e) = converted {
                self.error = Some(e);
                break;
            }
            ends.push(bytes.len());
            self.index += 1;
        }
        let matcher = self.matcher.get();
        let lists = matcher.with_rules(
            py,
            |state| find_batch(state, &bytes, &ends),
            |state, found| -> Vec<Vec<Py<PyString>>> {
                let mut start = 0;
                let lists = found
                    .ends
                    .iter()
                    .map(|&end| {
                        let names = found.ids[start..end]
                            .iter()
                            .map(|id| state.names[id].clone_ref(py))
                            .collect();
                        start = end;
                        names
                    })
                    .collect();
                if let Some(e) = &found.error {
                    let at = first + found.ends.len();
                    self.error = Some(event_error(py, e, Some(at)));
                }
                lists
            },
        );
        (self.bytes, self.ends) = (bytes, ends);
        for names in lists {
            self.ready.push_back(PyList::new(py, names)?.unbind());
        }
        Ok(())
    }
}

/// Append event `index` to a batch's bytes; a `dict` is written straight
/// into them (bytes a failed write left behind belong to no event: the
/// batch ends there).
fn append_event(event: &Bound<'_, PyAny>, index: usize, out: &mut Vec<u8>) -> PyResult<()> {
    if event.is_instance_of::<PyDict>() {
        return json::write(event, out).map_err(|e| e.into_event_error(event.py(), Some(index)));
    }
    out.extend_from_slice(event_bytes(event, Some(index))?.as_bytes());
    Ok(())
}

// ---- functions ----

/// Every problem of `pattern` (str, dict, or a `Rule` from `load_rules`,
/// whose problems are placed in its file); an empty list when it is valid.
#[pyfunction]
#[pyo3(signature = (pattern, *, name=None))]
fn check(pattern: &Bound<'_, PyAny>, name: Option<&str>) -> PyResult<Vec<Problem>> {
    if let Ok(rule) = pattern.cast::<Rule>() {
        let rule = &rule.get().source;
        let Some(text) = &rule.pattern else {
            return Ok(Vec::new());
        };
        let name = name.unwrap_or(&rule.name);
        return Ok(match Pattern::parse_with(text, &Limits::new()) {
            Ok(_) => Vec::new(),
            Err(errors) => problems(&errors.into_error(), Some(name), Some(rule)),
        });
    }
    let text = match pattern_text(pattern, name) {
        Ok(t) => t,
        // A dict holding what JSON cannot hold is a problem of the pattern.
        Err(e) if e.is_instance_of::<InvalidPatternError>(pattern.py()) => {
            return e
                .value(pattern.py())
                .getattr("problems")?
                .extract::<Vec<Bound<'_, Problem>>>()
                .map(|v| v.iter().map(|p| p.get().clone()).collect())
        }
        Err(e) => return Err(e),
    };
    Ok(match Pattern::parse_with(&text, &Limits::new()) {
        Ok(_) => Vec::new(),
        Err(errors) => problems(&errors.into_error(), name, None),
    })
}

/// Whether `pattern` matches `event`, as EventBridge's TestEventPattern
/// answers (the event must have `id`, `account`, `source`, `time`,
/// `region` and `detail-type`).
#[pyfunction]
fn test_event_pattern(
    py: Python<'_>,
    pattern: &Bound<'_, PyAny>,
    event: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    use evrule::test_pattern::TestEventPatternError as E;
    let pattern = pattern_text(pattern, None)?;
    let bytes = event_bytes(event, None)?;
    let event = event_str(py, bytes.as_bytes())?;
    match py.detach(|| evrule::test_pattern::test_event_pattern(&pattern, event)) {
        Ok(b) => Ok(b),
        Err(E::Pattern(e)) => Err(pattern_error(py, problems(&e, None, None))),
        Err(E::Event(reason)) => Err(invalid_event(
            py,
            reason.clone(),
            &reason,
            "",
            (None, None),
            None,
            None,
        )),
    }
}

/// Why a pattern does or does not match an event.
#[pyclass(frozen, module = "evrule", name = "Explanation")]
struct PyExplanation {
    inner: Explanation,
}

#[pymethods]
impl PyExplanation {
    /// Whether the pattern matches the event.
    #[getter]
    fn matched(&self) -> bool {
        self.inner.matched()
    }

    /// The explanation as JSON text: the `explanation` of
    /// `evrule explain --format json`.
    fn to_json(&self) -> String {
        self.inner.to_json().to_string()
    }

    /// The explanation as data (`json.loads` of [`PyExplanation::to_json`]):
    /// `{"matched", "fields", "ors", "conflicts"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (self.to_json(),))
    }

    /// How `evrule test` reports the rule `rule` of a failing case when
    /// it was (`expected=True`) or was not expected to match.
    #[pyo3(signature = (rule, expected, *, disabled=false))]
    fn difference(&self, rule: &str, expected: bool, disabled: bool) -> String {
        evrule::explain::difference(rule, expected, disabled, &self.inner)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<evrule.Explanation: {}>",
            if self.inner.matched() {
                "match"
            } else {
                "no match"
            }
        )
    }
}

/// Why `pattern` does or does not match `event`, field by field.
#[pyfunction]
fn explain(
    py: Python<'_>,
    pattern: &Bound<'_, PyAny>,
    event: &Bound<'_, PyAny>,
) -> PyResult<PyExplanation> {
    let name = match pattern.cast::<Rule>() {
        Ok(r) => Some(r.get().source.name.clone()),
        Err(_) => None,
    };
    let text = pattern_text(pattern, None)?;
    let parsed = Pattern::parse(&text)
        .map_err(|e| pattern_error(py, problems(&e, name.as_deref(), None)))?;
    let bytes = event_bytes(event, None)?;
    let event = event_str(py, bytes.as_bytes())?;
    py.detach(|| evrule::explain::explain(&parsed, event))
        .map(|inner| PyExplanation { inner })
        .map_err(|e| event_error(py, &e, None))
}

/// One rule found in a rule file.
#[pyclass(frozen, module = "evrule", name = "Rule")]
struct Rule {
    source: RuleSource,
}

#[pymethods]
impl Rule {
    /// The rule's name.
    #[getter]
    fn name(&self) -> &str {
        &self.source.name
    }

    /// The pattern text; None when it is unknown until deployment.
    #[getter]
    fn pattern(&self) -> Option<&str> {
        self.source.pattern.as_deref()
    }

    /// `ENABLED`, `DISABLED`, ...
    #[getter]
    fn state(&self) -> &str {
        &self.source.state
    }

    /// The file the rule is in.
    #[getter]
    fn file(&self) -> String {
        self.source.file.path().display().to_string()
    }

    /// 1-based line where the pattern starts.
    #[getter]
    fn line(&self) -> usize {
        self.source.locate(None).line
    }

    /// 1-based column where the pattern starts.
    #[getter]
    fn column(&self) -> usize {
        self.source.locate(None).column
    }

    /// The kind of file: `cfn-yaml`, `terraform`, `list-rules-json`, ...
    #[getter]
    fn format(&self) -> &'static str {
        self.source.format.as_str()
    }

    /// The template's own name for the rule (a logical ID), when not `name`.
    #[getter]
    fn id(&self) -> Option<&str> {
        self.source.id.as_deref()
    }

    /// Values in the pattern that are unknown until deployment (`!Ref X`).
    #[getter]
    fn unresolved(&self) -> Vec<String> {
        self.source
            .unresolved
            .iter()
            .map(|u| u.what.clone())
            .collect()
    }

    /// True when the pattern holds no value unknown until deployment.
    #[getter]
    fn is_static(&self) -> bool {
        self.source.is_static()
    }

    fn __repr__(&self) -> String {
        format!(
            "<evrule.Rule {:?} at {}:{}:{}>",
            self.source.name,
            self.file(),
            self.line(),
            self.column()
        )
    }
}

/// `RuleFileError` for files that could not be read as rules.
fn rule_file_error(py: Python<'_>, errors: &[SourceError]) -> PyErr {
    let message: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let first = &errors[0];
    let attrs = (|| -> PyResult<PyErr> {
        let all: Vec<(String, Option<usize>, Option<usize>, String)> = errors
            .iter()
            .map(|e| {
                (
                    e.path.display().to_string(),
                    e.position.map(|p| p.0),
                    e.position.map(|p| p.1),
                    e.message.clone(),
                )
            })
            .collect();
        with_attrs(
            py,
            RuleFileError::new_err(message.join("\n")),
            &[
                (
                    "file",
                    first
                        .path
                        .display()
                        .to_string()
                        .into_pyobject(py)?
                        .into_any(),
                ),
                (
                    "line",
                    first.position.map(|p| p.0).into_pyobject(py)?.into_any(),
                ),
                (
                    "column",
                    first.position.map(|p| p.1).into_pyobject(py)?.into_any(),
                ),
                (
                    "reason",
                    first.message.clone().into_pyobject(py)?.into_any(),
                ),
                ("errors", all.into_pyobject(py)?.into_any()),
            ],
        )
    })();
    attrs.unwrap_or_else(|e| e)
}

/// The rules of a rule file, or of every rule file under a directory: any
/// file `evrule check` reads. `parameters` are CloudFormation parameter
/// values (`evrule check -p KEY=VALUE`).
#[pyfunction]
#[pyo3(signature = (path, *, parameters=None))]
fn load_rules(
    py: Python<'_>,
    path: PathBuf,
    parameters: Option<HashMap<String, String>>,
) -> PyResult<Vec<Rule>> {
    let mut options = LoadOptions::default();
    if let Some(p) = parameters {
        options.parameters = p.into_iter().collect();
        options.parameters.sort();
    }
    let loaded = py.detach(|| sources::load(&[path], &options));
    if !loaded.errors.is_empty() {
        return Err(rule_file_error(py, &loaded.errors));
    }
    Ok(loaded
        .rules
        .into_iter()
        .map(|source| Rule { source })
        .collect())
}

/// The native module; `evrule/__init__.py` re-exports it.
#[pymodule]
fn _evrule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyMatcher>()?;
    m.add_class::<MatchIter>()?;
    m.add_class::<Problem>()?;
    m.add_class::<PyExplanation>()?;
    m.add_class::<Rule>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(test_event_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(load_rules, m)?)?;
    m.add("InvalidPatternError", py.get_type::<InvalidPatternError>())?;
    m.add("InvalidEventError", py.get_type::<InvalidEventError>())?;
    m.add("RuleFileError", py.get_type::<RuleFileError>())?;
    Ok(())
}
