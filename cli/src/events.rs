//! Event inputs: files, directories, gzip and standard input, each read as
//! a stream of events with the line and column each one starts at.
//!
//! A file's layout is recognised as it is read, without reading it twice:
//! a first non-blank byte `[` means a JSON array of events; otherwise the
//! first line is tried as NDJSON, and if it is not a complete JSON value the
//! file is taken for pretty-printed documents (one, or several one after the
//! other as `jq .` writes them). NDJSON is read line by line into a buffer
//! the caller reuses, so memory stays flat however large the file; arrays
//! and documents are cut into events by a small scanner that tracks strings
//! and brackets, one event in memory at a time. Whether each event is valid
//! JSON is the matcher's business: a malformed event reaches it and comes
//! back as an error with its position in the event, which [`event_error`]
//! turns into one position in the file (an element of an array, or an
//! event after others on one line, starts mid-line).

use std::fs::File;
use std::io::IsTerminal;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};

/// Longest event (line or document) held in memory, far above the
/// matcher's own size limit so that the matcher reports the real size.
const MAX_EVENT_BYTES: usize = 64 << 20;

/// Buffer size of every reader.
const BUF_SIZE: usize = 64 << 10;

/// One place events come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`, or no path at all).
    Stdin,
    /// A file, as given or as found in a directory.
    File(PathBuf),
    /// A path that could not be listed; reported in its turn.
    Unreadable(PathBuf, String),
}

impl Input {
    /// How the input is named in messages.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) | Input::Unreadable(p, _) => p.display().to_string(),
        }
    }

    /// Size in bytes when known (files), for the progress bar.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            _ => None,
        }
    }

    /// Open for reading, unpacking gzip (recognised by its magic bytes, so
    /// standard input may be compressed too). Bytes read from the file
    /// itself advance `progress`.
    pub fn open(&self, progress: Option<&ProgressBar>) -> Result<Events, String> {
        let raw: Box<dyn Read> = match self {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(path) => Box::new(File::open(path).map_err(|e| io_message(&e))?),
            Input::Unreadable(_, message) => return Err(message.clone()),
        };
        let raw: Box<dyn Read> = match progress {
            Some(bar) => Box::new(Counting {
                inner: raw,
                bar: bar.clone(),
            }),
            None => raw,
        };
        let mut buffered = BufReader::with_capacity(BUF_SIZE, raw);
        let head = buffered.fill_buf().map_err(|e| io_message(&e))?;
        let reader: Box<dyn BufRead> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(BufReader::with_capacity(
                BUF_SIZE,
                MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        Ok(Events::new(reader))
    }
}

/// Expand `paths` into inputs, in order: `-` is standard input, a directory
/// is searched recursively (in name order) for files that may hold events,
/// anything else is taken as a file. No path at all means standard input.
pub fn discover(paths: &[PathBuf]) -> Vec<Input> {
    if paths.is_empty() {
        return vec![Input::Stdin];
    }
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(Input::Stdin);
        } else if path.is_dir() {
            walk(path, &mut out);
        } else {
            out.push(Input::File(path.clone()));
        }
    }
    out
}

/// Event files below `dir`, by the one walk of [`evrule_cli::walk`].
fn walk(dir: &Path, out: &mut Vec<Input>) {
    for file in evrule_cli::walk::files(dir, |_| false) {
        match file {
            Ok(path) => {
                if may_hold_events(&path.file_name().unwrap_or_default().to_string_lossy()) {
                    out.push(Input::File(path));
                }
            }
            Err(e) => out.push(Input::Unreadable(e.path, e.message)),
        }
    }
}

/// Files a directory walk reads: JSON and NDJSON, possibly gzipped.
fn may_hold_events(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".json", ".jsonl", ".ndjson"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

use evrule_cli::walk::io_message;

/// The most threads `--threads` may ask for.
pub const MAX_THREADS: usize = 256;

/// How many threads to match `inputs` on: `requested` when given (and in
/// range), else one per core, or one when standard input is read, so that
/// events typed or piped one at a time are answered at once.
pub fn threads(requested: Option<usize>, inputs: &[Input]) -> Result<usize, String> {
    match requested {
        Some(0) => Err("--threads must be at least 1".to_string()),
        Some(n) if n > MAX_THREADS => Err(format!(
            "--threads {n} is more than the {MAX_THREADS} this command runs"
        )),
        Some(n) => Ok(n),
        None if inputs.contains(&Input::Stdin) => Ok(1),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Below this many bytes of input no progress bar is shown.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// Where something is in its input: 1-based line and column, the column
/// counted in characters as [`evrule::json::line_col`] counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Pos {
    /// The start of an input.
    pub const START: Pos = Pos { line: 1, column: 1 };

    /// The position in the input of `(line, column)` of a text that
    /// starts here: on its first line columns add up, below it they are
    /// the text's own.
    pub fn advance(self, line: usize, column: usize) -> Pos {
        if line <= 1 {
            Pos {
                line: self.line,
                column: self.column + column.max(1) - 1,
            }
        } else {
            Pos {
                line: self.line + line - 1,
                column,
            }
        }
    }

    /// The position after `bytes` read from here.
    fn after(self, bytes: &[u8]) -> Pos {
        let (line, column) = evrule::json::line_col(bytes, bytes.len());
        self.advance(line, column)
    }
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why an event that starts at `start` is invalid, as `match`, `explain`,
/// `test` and `route` say it: the position of the problem in the file
/// (the event's start when the error has none) and the reason alone.
pub fn event_error(start: Pos, e: &evrule::Error) -> (Pos, String) {
    let at = match (e.line(), e.column()) {
        (Some(l), Some(c)) => start.advance(l, c),
        _ => start,
    };
    (at, e.message().to_string())
}

/// The position in the file of byte `offset` of an event that starts at
/// `start` (for problems found outside the matcher, such as bad UTF-8).
pub fn position_in(start: Pos, event: &[u8], offset: usize) -> Pos {
    let (line, column) = evrule::json::line_col(event, offset);
    start.advance(line, column)
}

/// A bar over the input's bytes, when stderr is a terminal and the input
/// is large enough for the wait to be noticed.
pub fn progress_bar(inputs: &[Input]) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = inputs.iter().filter_map(Input::size).sum();
    if total < PROGRESS_MIN_BYTES {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})",
        )
        .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// Counts bytes read from the underlying file into a progress bar.
struct Counting {
    inner: Box<dyn Read>,
    bar: ProgressBar,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// What [`read_inputs`] hands on, in input order.
#[derive(Debug)]
pub enum Item<'a> {
    /// An event of input `name` that starts at `start`.
    Event {
        /// The input's name.
        name: &'a str,
        /// Where the event starts in it.
        start: Pos,
        /// The event's bytes.
        bytes: &'a [u8],
    },
    /// Something in input `name` that cannot be cut into an event, at `at`.
    Bad {
        /// The input's name.
        name: &'a str,
        /// Where.
        at: Pos,
        /// Why.
        message: String,
    },
    /// An input that could not be opened, or read on: the whole message.
    Unreadable(String),
    /// The input has nothing more (it may have been unreadable).
    Done,
}

/// Read every input in turn and hand each event, bad event, unreadable
/// input and input end to `each`; stops at its first error. The one loop
/// over inputs that `match`, its reader thread and `bench` share.
pub fn read_inputs<E>(
    inputs: &[Input],
    progress: Option<&ProgressBar>,
    mut each: impl FnMut(Item<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = Vec::with_capacity(64 << 10);
    for input in inputs {
        let name = input.name();
        match input.open(progress) {
            Err(message) => each(Item::Unreadable(format!("{name}: {message}")))?,
            Ok(mut events) => loop {
                match events.next(&mut buf) {
                    Ok(Next::End) => break,
                    Ok(Next::Event(start)) => each(Item::Event {
                        name: &name,
                        start,
                        bytes: &buf,
                    })?,
                    Ok(Next::Bad(at, message)) => each(Item::Bad {
                        name: &name,
                        at,
                        message,
                    })?,
                    Err(e) => {
                        each(Item::Unreadable(format!("{name}: cannot read: {e}")))?;
                        break;
                    }
                }
            },
        }
        each(Item::Done)?;
    }
    Ok(())
}

/// What [`Events::next`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// An event, now in the caller's buffer, starting here.
    Event(Pos),
    /// Something that cannot be cut into an event (a broken array, a line
    /// too long to hold), here; counts as one bad event.
    Bad(Pos, String),
    /// No more events.
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// Not known until the first value is seen.
    Unknown,
    /// One event per line.
    Lines,
    /// Inside a JSON array: before the first element.
    ArrayStart,
    /// Inside a JSON array: after an element.
    ArrayNext,
    /// Documents one after another (usually just one).
    Documents,
    /// Nothing more will be read.
    Done,
}

/// The events of one input, read one at a time.
pub struct Events {
    reader: Box<dyn BufRead>,
    layout: Layout,
    /// The reader's position.
    at: Pos,
    /// A line read ahead while recognising the layout, and where it starts.
    pending: Option<(Pos, Vec<u8>)>,
}

impl Events {
    fn new(reader: Box<dyn BufRead>) -> Events {
        Events {
            reader,
            layout: Layout::Unknown,
            at: Pos::START,
            pending: None,
        }
    }

    /// Read the next event into `buf` (cleared first).
    pub fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        buf.clear();
        match self.layout {
            Layout::Done => Ok(Next::End),
            Layout::Unknown => self.first(buf),
            Layout::Lines => self.next_line(buf),
            Layout::ArrayStart | Layout::ArrayNext => self.next_element(buf),
            Layout::Documents => self.next_document(buf),
        }
    }

    /// Recognise the layout from the first value.
    fn first(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        self.skip_bom()?;
        match self.skip_ws()? {
            None => {
                self.layout = Layout::Done;
                Ok(Next::End)
            }
            Some(b'[') => {
                self.consume_delimiter();
                self.layout = Layout::ArrayStart;
                self.next_element(buf)
            }
            Some(_) => {
                let start = self.at;
                let too_long = self.read_line(buf)?;
                let incomplete = !too_long
                    && serde_json::from_slice::<serde_json::Value>(buf).is_err_and(|e| e.is_eof());
                if !incomplete {
                    self.layout = Layout::Lines;
                    return self.line_event(buf, start, too_long);
                }
                // The first line opens a value it does not close: either a
                // pretty-printed document, or NDJSON whose first event is
                // cut short. A complete event on the second line tells.
                let second_start = self.at;
                let first_ended = second_start.line > start.line;
                let mut second = Vec::new();
                let second_too_long = self.read_line(&mut second)?;
                let second_ended = self.at.line > second_start.line;
                if !second_too_long && is_object(&second) {
                    self.layout = Layout::Lines;
                    self.pending = Some((second_start, second));
                    return Ok(Next::Event(start));
                }
                // A document: scan it from its start, the two lines first.
                // Only the newlines that were there: positions in the
                // event must be those of the file.
                let mut replay = std::mem::take(buf);
                if first_ended {
                    replay.push(b'\n');
                }
                replay.extend_from_slice(&second);
                if second_ended {
                    replay.push(b'\n');
                }
                let rest = std::mem::replace(&mut self.reader, Box::new(io::empty()));
                self.reader = Box::new(io::Cursor::new(replay).chain(rest));
                self.at = start;
                self.layout = Layout::Documents;
                self.next_document(buf)
            }
        }
    }

    fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        if let Some((start, pending)) = self.pending.take() {
            buf.extend_from_slice(&pending);
            return Ok(Next::Event(start));
        }
        loop {
            let start = self.at;
            if self.reader.fill_buf()?.is_empty() {
                self.layout = Layout::Done;
                return Ok(Next::End);
            }
            let too_long = self.read_line(buf)?;
            if too_long || buf.iter().any(|b| !b.is_ascii_whitespace()) {
                return self.line_event(buf, start, too_long);
            }
            buf.clear();
        }
    }

    fn line_event(&mut self, buf: &mut Vec<u8>, start: Pos, too_long: bool) -> io::Result<Next> {
        if too_long {
            buf.clear();
            return Ok(Next::Bad(
                start,
                format!("line longer than {} MiB", MAX_EVENT_BYTES >> 20),
            ));
        }
        Ok(Next::Event(start))
    }

    /// Read up to and past the next newline (not kept, nor a `\r` before
    /// it). Past [`MAX_EVENT_BYTES`] the rest of the line is skipped and
    /// true returned.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        let mut too_long = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (take, end) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if buf.len() + take > MAX_EVENT_BYTES {
                too_long = true;
                buf.clear();
            } else if !too_long {
                buf.extend_from_slice(&chunk[..take]);
            }
            let used = take + usize::from(end);
            // A whole line read: the next starts a line; only a line cut
            // by the buffer needs its columns counted.
            self.at = if end {
                Pos {
                    line: self.at.line + 1,
                    column: 1,
                }
            } else {
                self.at.after(&chunk[..take])
            };
            self.reader.consume(used);
            if end {
                break;
            }
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(too_long)
    }

    fn next_element(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        let first = self.layout == Layout::ArrayStart;
        let Some(b) = self.skip_ws()? else {
            self.layout = Layout::Done;
            return Ok(Next::Bad(self.at, "EOF while parsing the array".into()));
        };
        if !first {
            match b {
                b',' => {
                    self.consume_delimiter();
                    match self.skip_ws()? {
                        Some(b']') => {
                            self.layout = Layout::Done;
                            return Ok(Next::Bad(self.at, "trailing comma in the array".into()));
                        }
                        None => {
                            self.layout = Layout::Done;
                            return Ok(Next::Bad(self.at, "EOF while parsing the array".into()));
                        }
                        Some(_) => {}
                    }
                }
                b']' => return self.end_of_array(),
                _ => {
                    self.layout = Layout::Done;
                    return Ok(Next::Bad(
                        self.at,
                        "expected `,` or `]` after an array element".into(),
                    ));
                }
            }
        } else if b == b']' {
            return self.end_of_array();
        }
        self.layout = Layout::ArrayNext;
        let start = self.at;
        self.finish_value(buf, Scan::default(), start)
    }

    fn end_of_array(&mut self) -> io::Result<Next> {
        self.consume_delimiter();
        self.layout = Layout::Done;
        match self.skip_ws()? {
            None => Ok(Next::End),
            Some(_) => Ok(Next::Bad(
                self.at,
                "trailing characters after the array".into(),
            )),
        }
    }

    fn next_document(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        if self.skip_ws()?.is_none() {
            self.layout = Layout::Done;
            return Ok(Next::End);
        }
        let start = self.at;
        self.finish_value(buf, Scan::default(), start)
    }

    /// Feed the reader to `scan` until the value it is in ends, appending
    /// its bytes to `buf`. A value cut short by the end of the input is
    /// returned as it is (the matcher then says what is missing).
    fn finish_value(&mut self, buf: &mut Vec<u8>, mut scan: Scan, start: Pos) -> io::Result<Next> {
        let mut too_long = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                // Cut short: nothing can follow.
                self.layout = Layout::Done;
                break;
            }
            let (take, done) = match scan.feed(chunk) {
                Some(n) => (n, true),
                None => (chunk.len(), false),
            };
            self.at = self.at.after(&chunk[..take]);
            if buf.len() + take > MAX_EVENT_BYTES {
                too_long = true;
                buf.clear();
            } else if !too_long {
                buf.extend_from_slice(&chunk[..take]);
            }
            self.reader.consume(take);
            if done {
                break;
            }
        }
        if too_long {
            buf.clear();
            return Ok(Next::Bad(
                start,
                format!("event longer than {} MiB", MAX_EVENT_BYTES >> 20),
            ));
        }
        Ok(Next::Event(start))
    }

    /// Consume the one-byte delimiter `skip_ws` stopped at (`[`, `,`, `]`).
    fn consume_delimiter(&mut self) {
        self.reader.consume(1);
        self.at.column += 1;
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        if self.reader.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
            self.reader.consume(3);
        }
        Ok(())
    }

    /// Skip blanks; the next byte, not consumed, or `None` at the end.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let n = chunk
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(chunk.len());
            let next = chunk.get(n).copied();
            self.at = self.at.after(&chunk[..n]);
            self.reader.consume(n);
            if next.is_some() {
                return Ok(next);
            }
        }
    }
}

/// Whether `line` is one complete JSON object.
fn is_object(line: &[u8]) -> bool {
    line.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde_json::Value>(line).is_ok()
}

/// Finds where one JSON value ends, fed a chunk at a time: tracks strings
/// (with escapes) and bracket depth. A bare scalar ends at a blank or a
/// delimiter. It does not validate; the matcher does.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    started: bool,
    depth: usize,
    in_string: bool,
    escape: bool,
    /// A top-level number or literal.
    scalar: bool,
}

impl Scan {
    /// Feed the next bytes; `Some(n)` when the value ends after `n` of them.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if !self.started {
                self.started = true;
                match b {
                    b'{' | b'[' => self.depth = 1,
                    b'"' => self.in_string = true,
                    _ => self.scalar = true,
                }
                continue;
            }
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                continue;
            }
            if self.scalar {
                if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}') {
                    return Some(i);
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event or a problem, with its line and column.
    type Found = Result<((usize, usize), String), ((usize, usize), String)>;

    fn events(text: &str) -> Vec<Found> {
        let mut ev = Events::new(Box::new(io::Cursor::new(text.as_bytes().to_vec())));
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match ev.next(&mut buf).unwrap() {
                Next::Event(at) => out.push(Ok((
                    (at.line, at.column),
                    String::from_utf8(buf.clone()).unwrap(),
                ))),
                Next::Bad(at, m) => out.push(Err(((at.line, at.column), m))),
                Next::End => return out,
            }
        }
    }

    #[test]
    fn ndjson_lines_and_blank_lines() {
        assert_eq!(
            events("{\"a\":1}\r\n\n  \n{\"b\":2}\nnot json\n"),
            [
                Ok(((1, 1), "{\"a\":1}".into())),
                Ok(((4, 1), "{\"b\":2}".into())),
                Ok(((5, 1), "not json".into()))
            ]
        );
        assert_eq!(events(""), []);
        assert_eq!(events("\n\n"), []);
    }

    #[test]
    fn pretty_documents() {
        let text = "\n{\n  \"a\": \"}{\\\"\",\n  \"b\": [1]\n}\n{\n \"c\": 2\n}\n";
        assert_eq!(
            events(text),
            [
                Ok(((2, 1), "{\n  \"a\": \"}{\\\"\",\n  \"b\": [1]\n}".into())),
                Ok(((6, 1), "{\n \"c\": 2\n}".into()))
            ]
        );
        // Cut short: handed over as it is, for the matcher to report.
        assert_eq!(
            events("{\n \"a\": 1\n"),
            [Ok(((1, 1), "{\n \"a\": 1\n".into()))]
        );
        assert_eq!(events("{\n}"), [Ok(((1, 1), "{\n}".into()))]);
        assert_eq!(events("{\"a\":\n1}"), [Ok(((1, 1), "{\"a\":\n1}".into()))]);
        // No newline invented at the end of the input (issue 11: the
        // position of the error must be the file's).
        assert_eq!(events("{\"a\": "), [Ok(((1, 1), "{\"a\": ".into()))]);
    }

    #[test]
    fn ndjson_with_a_broken_first_line() {
        assert_eq!(
            events("{\"a\": 1\n{\"b\": 2}\n{\"c\": 3}\n"),
            [
                Ok(((1, 1), "{\"a\": 1".into())),
                Ok(((2, 1), "{\"b\": 2}".into())),
                Ok(((3, 1), "{\"c\": 3}".into()))
            ]
        );
    }

    #[test]
    fn arrays() {
        assert_eq!(
            events("\u{feff} [\n {\"a\": [1,2]},\n\n {\"b\": \"]\"} ]\n"),
            [
                Ok(((2, 2), "{\"a\": [1,2]}".into())),
                Ok(((4, 2), "{\"b\": \"]\"}".into()))
            ]
        );
        assert_eq!(events("[]"), []);
        assert_eq!(
            events("[{\"a\":1} {\"b\":2}]"),
            [
                Ok(((1, 2), "{\"a\":1}".into())),
                Err(((1, 10), "expected `,` or `]` after an array element".into()))
            ]
        );
        assert_eq!(
            events("[{\"a\":1},\n]"),
            [
                Ok(((1, 2), "{\"a\":1}".into())),
                Err(((2, 1), "trailing comma in the array".into()))
            ]
        );
        assert_eq!(
            events("[{\"a\":1}] x"),
            [
                Ok(((1, 2), "{\"a\":1}".into())),
                Err(((1, 11), "trailing characters after the array".into()))
            ]
        );
        assert_eq!(
            events("[1, {\"a\"\n"),
            [Ok(((1, 2), "1".into())), Ok(((1, 5), "{\"a\"\n".into()))]
        );
        assert_eq!(
            events("[{\"a\":1},"),
            [
                Ok(((1, 2), "{\"a\":1}".into())),
                Err(((1, 10), "EOF while parsing the array".into()))
            ]
        );
    }

    #[test]
    fn columns_count_characters_and_restart_on_each_line() {
        // Issue 11: an element's column is where it starts in the file.
        assert_eq!(
            events("[ \"é\", {\"a\":1},\n\t{}]"),
            [
                Ok(((1, 3), "\"é\"".into())),
                Ok(((1, 8), "{\"a\":1}".into())),
                Ok(((2, 2), "{}".into()))
            ]
        );
        assert_eq!(
            events("  {\"a\": 1}\n {\"b\": 2}\n"),
            [
                Ok(((1, 3), "{\"a\": 1}".into())),
                Ok(((2, 1), " {\"b\": 2}".into()))
            ]
        );
        // Pretty documents after others on a line.
        assert_eq!(
            events("{\n \"a\": 1\n}  {\n}"),
            [
                Ok(((1, 1), "{\n \"a\": 1\n}".into())),
                Ok(((3, 4), "{\n}".into()))
            ]
        );
    }

    #[test]
    fn position_of_an_error_in_the_file() {
        let start = Pos { line: 4, column: 7 };
        assert_eq!(start.advance(1, 3), Pos { line: 4, column: 9 });
        assert_eq!(start.advance(2, 3), Pos { line: 5, column: 3 });
        assert_eq!(
            position_in(start, "{\"é\nx".as_bytes(), 5),
            Pos { line: 5, column: 1 }
        );
        assert_eq!(start.to_string(), "4:7");
    }

    #[test]
    fn walk_filter() {
        assert!(may_hold_events("a.json"));
        assert!(may_hold_events("a.NDJSON.gz"));
        assert!(may_hold_events("a.jsonl"));
        assert!(!may_hold_events("PROVENANCE.md"));
        assert!(!may_hold_events("a.gz"));
    }
}
