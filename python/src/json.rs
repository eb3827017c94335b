//! Python values -> JSON text, for events and patterns given as `dict`.
//!
//! Numbers keep their value: an `int` is written with every digit (Python
//! ints are exact, of any size), a `float` as the shortest text that reads
//! back as the same double (what `repr` and `json.dumps` write), a
//! `decimal.Decimal` as its own digits, so an event parsed with
//! `json.loads(text, parse_float=Decimal)` keeps numbers `float` would
//! round. NaN and infinities are not JSON and are refused, as are keys
//! that are not strings and values of other types. Nesting is capped, so
//! a dict that contains itself is an error, not a crash.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

use crate::{invalid_event, pattern_error, Problem};

/// Deepest nesting written (events deeper than 128 levels are refused by
/// the matcher anyway; this only bounds the recursion).
const MAX_DEPTH: usize = 512;

/// Why a value cannot be written, and where (JSON pointer segments,
/// innermost last once unwound).
pub(crate) enum WriteError {
    /// A Python exception raised while reading the value.
    Python(PyErr),
    /// A value JSON cannot hold.
    Invalid { reason: String, path: Vec<String> },
}

impl From<PyErr> for WriteError {
    fn from(e: PyErr) -> WriteError {
        WriteError::Python(e)
    }
}

impl WriteError {
    fn invalid(reason: impl Into<String>) -> WriteError {
        WriteError::Invalid {
            reason: reason.into(),
            path: Vec::new(),
        }
    }

    /// Prefix the path with the segment the error was found under.
    fn under(self, segment: impl FnOnce() -> String) -> WriteError {
        match self {
            WriteError::Invalid { reason, mut path } => {
                path.push(segment());
                WriteError::Invalid { reason, path }
            }
            e => e,
        }
    }

    fn pointer(path: &[String]) -> String {
        path.iter()
            .rev()
            .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
            .collect()
    }

    /// As `InvalidEventError` (`index`: the event's place in `matches_many`).
    pub(crate) fn into_event_error(self, py: Python<'_>, index: Option<usize>) -> PyErr {
        match self {
            WriteError::Python(e) => e,
            WriteError::Invalid { reason, path } => {
                let pointer = WriteError::pointer(&path);
                let mut message = match index {
                    Some(i) => format!("event {i}: {reason}"),
                    None => reason.clone(),
                };
                // A container holding itself has a very long path; the
                // message keeps its start (the attribute has all of it).
                match pointer.char_indices().nth(120) {
                    Some((cut, _)) => message.push_str(&format!(" at {}...", &pointer[..cut])),
                    None if !pointer.is_empty() => message.push_str(&format!(" at {pointer}")),
                    None => {}
                }
                invalid_event(py, message, &reason, &pointer, (None, None), index, None)
            }
        }
    }

    /// As `InvalidPatternError` of rule `rule`.
    pub(crate) fn into_pattern_error(self, py: Python<'_>, rule: Option<&str>) -> PyErr {
        match self {
            WriteError::Python(e) => e,
            WriteError::Invalid { reason, path } => pattern_error(
                py,
                vec![Problem {
                    rule: rule.map(str::to_string),
                    path: WriteError::pointer(&path),
                    line: None,
                    column: None,
                    reason,
                    file: None,
                    kind: "pattern",
                }],
            ),
        }
    }
}

/// Write `value` as JSON text into `out`.
pub(crate) fn write(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Result<(), WriteError> {
    write_value(value, out, 0)
}

fn write_value(v: &Bound<'_, PyAny>, out: &mut Vec<u8>, depth: usize) -> Result<(), WriteError> {
    if depth > MAX_DEPTH {
        return Err(WriteError::invalid(format!(
            "nested deeper than {MAX_DEPTH} levels (or a container that holds itself)"
        )));
    }
    if let Ok(s) = v.cast::<PyString>() {
        write_str(s, out)?;
    } else if let Ok(d) = v.cast::<PyDict>() {
        out.push(b'{');
        for (i, (k, val)) in d.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let Ok(key) = k.cast::<PyString>() else {
                return Err(WriteError::invalid(format!(
                    "keys must be str, not {}",
                    type_name(&k)
                )));
            };
            write_str(key, out)?;
            out.push(b':');
            write_value(&val, out, depth + 1).map_err(|e| e.under(|| key.to_string()))?;
        }
        out.push(b'}');
    } else if v.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(b) = v.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
    } else if let Ok(i) = v.cast::<PyInt>() {
        match i.extract::<i64>() {
            Ok(n) => out.extend_from_slice(n.to_string().as_bytes()),
            // Every digit, however many.
            Err(_) => out.extend_from_slice(i.str()?.to_cow()?.as_bytes()),
        }
    } else if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        if !x.is_finite() {
            return Err(WriteError::invalid(format!(
                "{} is not a JSON number",
                f.repr()?
            )));
        }
        out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        out.push(b'[');
        for (i, item) in v.try_iter()?.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_value(&item?, out, depth + 1).map_err(|e| e.under(|| i.to_string()))?;
        }
        out.push(b']');
    } else if v.is_instance(decimal(v.py())?)? {
        if !v.call_method0("is_finite")?.is_truthy()? {
            return Err(WriteError::invalid(format!(
                "{} is not a JSON number",
                v.repr()?
            )));
        }
        out.extend_from_slice(v.str()?.to_cow()?.as_bytes());
    } else {
        return Err(WriteError::invalid(format!(
            "a value of type {} is not JSON (str, int, float, Decimal, bool, None, list, tuple or dict)",
            type_name(v)
        )));
    }
    Ok(())
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string())
}

/// `decimal.Decimal`, imported once.
fn decimal(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

/// A JSON string: quotes, backslashes and control characters escaped.
fn write_str(s: &Bound<'_, PyString>, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let bytes = s.encode_utf8().map_err(|_| {
        WriteError::invalid("a string holds a lone surrogate, which UTF-8 cannot encode")
    })?;
    let bytes = bytes.as_bytes();
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
    Ok(())
}
