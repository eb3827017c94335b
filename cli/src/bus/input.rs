//! Reading events: NDJSON files or stdin, streamed line by line on a thread
//! of their own, so that the bus can stop reading on an interrupt even
//! while a read blocks.
//!
//! A file whose first line is just `{` or `[` is a pretty-printed JSON
//! document instead (an example event, an array of events); it is read
//! whole. Blank lines are skipped; a line that is not UTF-8 or too long is
//! reported with its place and skipped.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;

/// Longest line taken as an event (AWS's limit is 256 KiB).
pub const MAX_LINE: usize = 1 << 20;

/// How many items the reader may be ahead of the bus.
const AHEAD: usize = 64;

/// One thing read.
#[derive(Debug)]
pub enum Item {
    /// An event's text and where it starts.
    Event {
        /// File name, or `<stdin>`.
        source: Arc<str>,
        /// 1-based line.
        line: usize,
        /// The event.
        text: Vec<u8>,
    },
    /// A file that could not be opened or read on.
    Unreadable {
        /// The file (`file:line` when reading failed midway).
        at: String,
        /// Why.
        message: String,
    },
    /// A line that is not an event: reported and skipped.
    Bad {
        /// `file:line`, or the file alone.
        at: String,
        /// Why.
        message: String,
    },
}

/// Read `paths` (stdin when empty or `-`) in order on a new thread.
pub fn spawn(paths: Vec<PathBuf>) -> Receiver<Item> {
    let (tx, rx) = sync_channel(AHEAD);
    thread::spawn(move || {
        let paths = if paths.is_empty() {
            vec![PathBuf::from("-")]
        } else {
            paths
        };
        for path in &paths {
            if !read_one(path, &tx) {
                return; // the bus stopped listening
            }
        }
    });
    rx
}

/// Read one source; false once the receiver is gone.
fn read_one(path: &Path, tx: &SyncSender<Item>) -> bool {
    if path.as_os_str() == "-" {
        let stdin = io::stdin();
        return read_lines("<stdin>".into(), stdin.lock(), false, tx);
    }
    let name: Arc<str> = path.display().to_string().into();
    match File::open(path) {
        Ok(f) => read_lines(name, BufReader::with_capacity(64 << 10, f), true, tx),
        Err(e) => tx
            .send(Item::Unreadable {
                at: name.to_string(),
                message: format!("cannot read: {e}"),
            })
            .is_ok(),
    }
}

fn read_lines(
    source: Arc<str>,
    mut reader: impl BufRead,
    is_file: bool,
    tx: &SyncSender<Item>,
) -> bool {
    let bad = |line: usize, message: String| Item::Bad {
        at: format!("{source}:{line}"),
        message,
    };
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf);
        match read {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                let item = Item::Unreadable {
                    at: format!("{source}:{}", line + 1),
                    message: format!("cannot read: {e}"),
                };
                return tx.send(item).is_ok();
            }
        }
        line += 1;
        if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE {
            // Skip the rest of the line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match (&mut reader).take(64 << 10).read_until(b'\n', &mut rest) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if rest.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            if tx
                .send(bad(line, format!("line longer than {MAX_LINE} bytes")))
                .is_err()
            {
                return false;
            }
            continue;
        }
        let text = trim(&buf);
        if text.is_empty() {
            continue;
        }
        if is_file && line == 1 && (text == b"{" || text == b"[") {
            return read_document(&source, buf.clone(), reader, tx);
        }
        let item = match std::str::from_utf8(text) {
            Ok(_) => Item::Event {
                source: source.clone(),
                line,
                text: text.to_vec(),
            },
            Err(e) => bad(line, format!("invalid UTF-8: {e}")),
        };
        if tx.send(item).is_err() {
            return false;
        }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// A pretty-printed JSON file: one or more documents; an array's items are
/// events.
fn read_document(
    source: &Arc<str>,
    mut text: Vec<u8>,
    mut reader: impl BufRead,
    tx: &SyncSender<Item>,
) -> bool {
    if let Err(e) = reader.read_to_end(&mut text) {
        return tx
            .send(Item::Unreadable {
                at: source.to_string(),
                message: format!("cannot read: {e}"),
            })
            .is_ok();
    }
    let line_of = |offset: usize| text[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    let mut stream = serde_json::Deserializer::from_slice(&text).into_iter::<serde_json::Value>();
    loop {
        let start = stream.byte_offset();
        let value = match stream.next() {
            None => return true,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                // A broken document cannot be resynchronised: stop here.
                return tx
                    .send(Item::Bad {
                        at: format!("{source}:{}", e.line()),
                        message: format!("invalid JSON: {e}"),
                    })
                    .is_ok();
            }
        };
        let first = start + trim_start_len(&text[start..]);
        let events = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for event in events {
            let item = Item::Event {
                source: source.clone(),
                line: line_of(first),
                text: event.to_string().into_bytes(),
            };
            if tx.send(item).is_err() {
                return false;
            }
        }
    }
}

fn trim_start_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len())
}
