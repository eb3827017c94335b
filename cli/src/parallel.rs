//! Every event of every input through one matcher, on one thread or many,
//! with the outcomes handed back in input order.
//!
//! On one thread the events are matched as they are read, with one cache.
//! On N threads a reader thread cuts the inputs into batches (up to
//! [`BATCH_EVENTS`] events or [`BATCH_BYTES`] bytes, never across inputs),
//! N threads each take a batch, match it with their own cache and send the
//! outcomes on, and the calling thread puts the batches back in order and
//! hands each outcome to its callback. At most four batches per thread are
//! read ahead of the one the callback waits for, so memory stays bounded
//! however slowly the output is written. When the callback fails (a
//! closed pipe), the channels close behind it and every thread stops.

use std::collections::BTreeMap;
use std::io;
use std::ops::Range;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use evrule::{Matcher, RuleId};
use indicatif::ProgressBar;

use crate::events::{self, Input, Item, Pos};

/// Most events in one batch.
pub const BATCH_EVENTS: usize = 512;
/// A batch is sent once its events hold this many bytes.
pub const BATCH_BYTES: usize = 1 << 20;

/// What happened to one event or input, in input order.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// An event of input `name` that starts at `start`, and the matcher's
    /// answer.
    Event {
        /// The input's name.
        name: &'a str,
        /// Where the event starts in it.
        start: Pos,
        /// The matching rules, or why the event is invalid.
        result: Result<&'a [RuleId], evrule::Error>,
    },
    /// Something that cannot be cut into an event, at `at`.
    Bad {
        /// The input's name.
        name: &'a str,
        /// Where.
        at: Pos,
        /// Why.
        message: &'a str,
    },
    /// An input that could not be opened, or read on: the whole message.
    Unreadable(&'a str),
}

/// Match every event of `inputs` on `threads` threads and hand each
/// outcome, in input order, to `each`; stops at its first error.
pub fn match_inputs(
    inputs: &[Input],
    threads: usize,
    matcher: &Matcher,
    progress: Option<&ProgressBar>,
    each: impl FnMut(Outcome<'_>) -> io::Result<()>,
) -> io::Result<()> {
    if threads <= 1 {
        one_thread(inputs, matcher, progress, each)
    } else {
        many_threads(inputs, threads, matcher, progress, each)
    }
}

fn one_thread(
    inputs: &[Input],
    matcher: &Matcher,
    progress: Option<&ProgressBar>,
    mut each: impl FnMut(Outcome<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut cache = matcher.create_cache();
    events::read_inputs(inputs, progress, |item| match item {
        Item::Event { name, start, bytes } => each(Outcome::Event {
            name,
            start,
            result: matcher.find(bytes, &mut cache),
        }),
        Item::Bad { name, at, message } => each(Outcome::Bad {
            name,
            at,
            message: &message,
        }),
        Item::Unreadable(message) => each(Outcome::Unreadable(&message)),
        Item::Done => Ok(()),
    })
}

/// What the reader found: an event's bytes are a range of its batch's.
enum Read {
    Event(Pos, Range<usize>),
    Bad(Pos, String),
    Unreadable(String),
}

/// Events of one input, read ahead.
struct Batch {
    seq: u64,
    name: String,
    bytes: Vec<u8>,
    items: Vec<Read>,
}

/// A batch's answers: per event the range of its rules in `ids`.
enum Matched {
    Rules(Pos, Range<usize>),
    Invalid(Pos, evrule::Error),
    Bad(Pos, String),
    Unreadable(String),
}

struct Done {
    seq: u64,
    name: String,
    ids: Vec<RuleId>,
    items: Vec<Matched>,
}

fn many_threads(
    inputs: &[Input],
    threads: usize,
    matcher: &Matcher,
    progress: Option<&ProgressBar>,
    each: impl FnMut(Outcome<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let ahead = threads * 4;
    // A token per batch in flight: the reader takes one before it sends a
    // batch, and the writer gives it back once the batch is written.
    let (give, take) = sync_channel::<()>(ahead);
    for _ in 0..ahead {
        let _ = give.send(());
    }
    let (work_tx, work_rx) = sync_channel::<Batch>(ahead);
    // Owned by the matching threads alone: once they have all stopped, the
    // reader's next send fails and it stops too.
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = channel::<Done>();
    std::thread::scope(|scope| {
        scope.spawn(move || read(inputs, progress, &take, &work_tx));
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = Arc::clone(&work_rx);
            scope.spawn(move || work(matcher, &work_rx, &done_tx));
        }
        drop((done_tx, work_rx));
        // Returning drops `done_rx` and `give`: the other threads see their
        // channels closed and stop.
        write(done_rx, give, each)
    })
}

/// Cut the inputs into batches; stops when the writer has gone.
fn read(
    inputs: &[Input],
    progress: Option<&ProgressBar>,
    tokens: &Receiver<()>,
    work: &SyncSender<Batch>,
) {
    /// The writer has gone.
    struct Gone;
    let mut seq = 0;
    let mut batch = Batch {
        seq: 0,
        name: String::new(),
        bytes: Vec::new(),
        items: Vec::new(),
    };
    let mut send = |batch: &mut Batch| -> Result<(), Gone> {
        if batch.items.is_empty() {
            return Ok(());
        }
        let full = Batch {
            seq,
            name: std::mem::take(&mut batch.name),
            bytes: std::mem::take(&mut batch.bytes),
            items: std::mem::take(&mut batch.items),
        };
        seq += 1;
        match tokens.recv().is_ok() && work.send(full).is_ok() {
            true => Ok(()),
            false => Err(Gone),
        }
    };
    // A batch holds one input's events: it is sent at the input's end.
    let _ = events::read_inputs(inputs, progress, |item| {
        if let (Item::Event { name, .. } | Item::Bad { name, .. }, true) =
            (&item, batch.items.is_empty())
        {
            batch.name = name.to_string();
        }
        let read = match item {
            Item::Event { start, bytes, .. } => {
                let from = batch.bytes.len();
                batch.bytes.extend_from_slice(bytes);
                Read::Event(start, from..batch.bytes.len())
            }
            Item::Bad { at, message, .. } => Read::Bad(at, message),
            Item::Unreadable(message) => Read::Unreadable(message),
            Item::Done => return send(&mut batch),
        };
        batch.items.push(read);
        if batch.items.len() >= BATCH_EVENTS || batch.bytes.len() >= BATCH_BYTES {
            send(&mut batch)
        } else {
            Ok(())
        }
    });
}

/// Match batches until the reader is done or the writer has gone.
fn work(matcher: &Matcher, batches: &Mutex<Receiver<Batch>>, done: &Sender<Done>) {
    let mut cache = matcher.create_cache();
    loop {
        let next = batches.lock().map(|rx| rx.recv());
        let Ok(Ok(batch)) = next else { return };
        let mut ids = Vec::new();
        let items = batch
            .items
            .into_iter()
            .map(|item| match item {
                Read::Event(start, range) => match matcher.find(&batch.bytes[range], &mut cache) {
                    Ok(found) => {
                        let from = ids.len();
                        ids.extend_from_slice(found);
                        Matched::Rules(start, from..ids.len())
                    }
                    Err(e) => Matched::Invalid(start, e),
                },
                Read::Bad(at, message) => Matched::Bad(at, message),
                Read::Unreadable(message) => Matched::Unreadable(message),
            })
            .collect();
        let answer = Done {
            seq: batch.seq,
            name: batch.name,
            ids,
            items,
        };
        if done.send(answer).is_err() {
            return;
        }
    }
}

/// Hand the batches' outcomes to `each` in the order they were read.
fn write(
    done: Receiver<Done>,
    tokens: SyncSender<()>,
    mut each: impl FnMut(Outcome<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for batch in done {
        waiting.insert(batch.seq, batch);
        while let Some(batch) = waiting.remove(&next) {
            next += 1;
            for item in batch.items {
                let outcome = match item {
                    Matched::Rules(start, range) => Outcome::Event {
                        name: &batch.name,
                        start,
                        result: Ok(&batch.ids[range]),
                    },
                    Matched::Invalid(start, e) => Outcome::Event {
                        name: &batch.name,
                        start,
                        result: Err(e),
                    },
                    Matched::Bad(at, ref message) => Outcome::Bad {
                        name: &batch.name,
                        at,
                        message,
                    },
                    Matched::Unreadable(ref message) => Outcome::Unreadable(message),
                };
                each(outcome)?;
            }
            let _ = tokens.send(());
        }
    }
    Ok(())
}
