//! Reading events for the bus: the inputs `match` reads (files,
//! directories, gzip, NDJSON, arrays, pretty-printed documents, stdin), by
//! the same reader ([`crate::events`]), streamed on a thread of their own
//! so that the bus can stop reading on an interrupt even while a read
//! blocks. Each event keeps where it starts in its file, line and column.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;

use crate::events::{self, Next, Pos};

/// How many items the reader may be ahead of the bus.
const AHEAD: usize = 64;

/// One thing read.
#[derive(Debug)]
pub enum Item {
    /// An event's text and where it starts.
    Event {
        /// File name, or `<stdin>`.
        source: Arc<str>,
        /// Where the event starts in its file.
        start: Pos,
        /// The event.
        text: Vec<u8>,
    },
    /// A file that could not be opened or read on.
    Unreadable {
        /// The file.
        at: String,
        /// Why.
        message: String,
    },
    /// Something that is not an event: reported and skipped.
    Bad {
        /// `file:line:column`.
        at: String,
        /// Why.
        message: String,
    },
}

/// Read `paths` (stdin when empty or `-`) in order on a new thread.
pub fn spawn(paths: Vec<PathBuf>) -> Receiver<Item> {
    let (tx, rx) = sync_channel(AHEAD);
    thread::spawn(move || {
        for input in events::discover(&paths) {
            if !read_one(&input, &tx) {
                return; // the bus stopped listening
            }
        }
    });
    rx
}

/// Read one input; false once the receiver is gone.
fn read_one(input: &events::Input, tx: &SyncSender<Item>) -> bool {
    let source: Arc<str> = input.name().into();
    let mut events = match input.open(None) {
        Ok(events) => events,
        Err(message) => {
            let at = source.to_string();
            return tx.send(Item::Unreadable { at, message }).is_ok();
        }
    };
    let mut buf = Vec::new();
    loop {
        let item = match events.next(&mut buf) {
            Ok(Next::End) => return true,
            Ok(Next::Event(start)) => Item::Event {
                source: source.clone(),
                start,
                text: buf.clone(),
            },
            Ok(Next::Bad(at, message)) => Item::Bad {
                at: format!("{source}:{at}"),
                message,
            },
            Err(e) => {
                let item = Item::Unreadable {
                    at: source.to_string(),
                    message: format!("cannot read: {e}"),
                };
                return tx.send(item).is_ok();
            }
        };
        if tx.send(item).is_err() {
            return false;
        }
    }
}
