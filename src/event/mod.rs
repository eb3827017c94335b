//! Event bytes -> the leaves the automaton needs.
//!
//! The scanner reads an event once, left to right, straight from its bytes.
//! It follows a trie of the field paths some rule mentions: a key that leads
//! nowhere in the trie has its value skipped without being built (in strict
//! mode still checked to be well-formed JSON: structure, UTF-8, string
//! escapes, number grammar). Values at paths the trie marks as fields become
//! [`Leaf`]s. Arrays are transparent to paths, but each element entered gets
//! a node in a small tree of array contexts, so that the automaton can tell
//! whether two leaves came from the same element of an array of objects
//! (array consistency). Buffers live in [`Leaves`] and are reused, so the
//! steady state allocates nothing.

mod bytes;
mod leaves;
mod validate;

pub(crate) use leaves::*;

use crate::error::{Error, Kind};
use crate::json::{self, line_col, EscapeError};

// Byte classes for string scanning.
const PLAIN: u8 = 0;
const QUOTE: u8 = 1;
const BACKSLASH: u8 = 2;
const CONTROL: u8 = 3;
const HIGH: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i < 0x20 {
            CONTROL
        } else if i == b'"' as usize {
            QUOTE
        } else if i == b'\\' as usize {
            BACKSLASH
        } else if i >= 0x80 {
            HIGH
        } else {
            PLAIN
        };
        i += 1;
    }
    t
};

use bytes::{digits, prefix_xor, string_stop, structure64};

/// The first non-whitespace position at or after `i`.
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
        i += 1;
    }
    i
}

/// The closing quote of the string whose opening quote is at `i`, when it
/// holds no backslash or control character and is valid UTF-8; None
/// otherwise (escapes and faults are for the careful readers).
#[inline(always)]
fn plain_string_end(b: &[u8], i: usize) -> Option<usize> {
    let (k, high) = string_stop(b, i + 1);
    (b.get(k) == Some(&b'"') && !(high && std::str::from_utf8(&b[i + 1..k]).is_err())).then_some(k)
}

/// End of the well-formed JSON number at `i`, or None (the careful
/// [`Scan::number`] then says what is wrong).
#[inline(always)]
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(b, i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(b, i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(b, i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    if matches!(
        b.get(i),
        Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
    ) {
        return None;
    }
    Some(i)
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    trie: &'a FieldTrie,
    out: &'a mut Leaves,
    strict: bool,
    limits: EventLimits,
    /// Trusted mode only: everything the rules can use has been read.
    stopped: bool,
}

type Res<T> = Result<T, (usize, &'static str)>;

/// Scan `event`, filling `out` with the leaves of the fields in `trie`.
pub(crate) fn scan(
    event: &[u8],
    trie: &FieldTrie,
    fields: usize,
    strict: bool,
    limits: EventLimits,
    out: &mut Leaves,
) -> Result<(), Error> {
    out.reset(fields);
    if event.len() > limits.max_size {
        return Err(Error::new(
            Kind::Limit("event size"),
            format!(
                "event is {} bytes, more than the event size limit of {} bytes",
                event.len(),
                limits.max_size
            ),
        ));
    }
    let mut s = Scan {
        b: event,
        i: 0,
        trie,
        out,
        strict,
        limits,
        stopped: false,
    };
    let r = s.document();
    let depth_hit = matches!(r, Err((_, m)) if m.starts_with("nesting"));
    let leaves_hit = matches!(r, Err((_, m)) if m.starts_with("too many"));
    r.map_err(|(off, msg)| {
        let (line, col) = line_col(event, off);
        let kind = if depth_hit {
            Kind::Limit("nesting depth")
        } else if leaves_hit {
            Kind::Limit("leaves per event")
        } else {
            Kind::Event
        };
        let msg = if depth_hit {
            format!(
                "event nesting is deeper than the nesting depth limit of {}",
                limits.max_depth
            )
        } else if leaves_hit {
            format!(
                "event has more than the limit of {} leaves",
                limits.max_leaves
            )
        } else {
            msg.to_string()
        };
        // The position is the error's own (Display adds it): not in the
        // message too (found by tests/regressions.rs, shown twice).
        Error::new(kind, msg).at_position(off, line, col)
    })
}

impl<'a> Scan<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn document(&mut self) -> Res<()> {
        self.ws();
        if self.peek() != Some(b'{') {
            return Err((
                self.i,
                if self.i >= self.b.len() {
                    "EOF while parsing an event"
                } else {
                    "an event must be a JSON object"
                },
            ));
        }
        self.object(0, 0, 1, true)?;
        if self.stopped {
            return Ok(());
        }
        self.ws();
        if self.i < self.b.len() {
            return Err((self.i, "trailing characters after the event"));
        }
        Ok(())
    }

    /// A value at trie node `node` (NONE: uninteresting) in context `ctx`.
    fn value(&mut self, node: u32, ctx: u32, depth: usize, abort_ok: bool) -> Res<()> {
        if node == NONE {
            return self.skip(depth);
        }
        self.ws();
        let field = self.trie.nodes[node as usize].field;
        match self.peek() {
            Some(b'{') => {
                if self.trie.nodes[node as usize].children.is_empty() {
                    self.skip(depth)
                } else {
                    self.object(node, ctx, depth + 1, abort_ok)
                }
            }
            Some(b'[') => self.array(node, ctx, depth + 1),
            Some(b'"') => {
                if field == NONE {
                    return self.skip_string();
                }
                let (start, end, in_arena) = self.string_value()?;
                self.push(field, LeafKind::String, start, end, in_arena, ctx)
            }
            Some(b't') => {
                self.literal(b"true")?;
                if field != NONE {
                    self.push(field, LeafKind::True, 0, 0, false, ctx)?;
                }
                Ok(())
            }
            Some(b'f') => {
                self.literal(b"false")?;
                if field != NONE {
                    self.push(field, LeafKind::False, 0, 0, false, ctx)?;
                }
                Ok(())
            }
            Some(b'n') => {
                self.literal(b"null")?;
                if field != NONE {
                    self.push(field, LeafKind::Null, 0, 0, false, ctx)?;
                }
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                let shape = self.number()?;
                if field != NONE {
                    self.push(
                        field,
                        LeafKind::Number,
                        start as u32,
                        self.i as u32,
                        false,
                        ctx,
                    )?;
                    if let Some(l) = self.out.leaves.last_mut() {
                        l.shape = shape;
                    }
                }
                Ok(())
            }
            Some(_) => Err((self.i, "expected value")),
            None => Err((self.i, "EOF while parsing a value")),
        }
    }

    #[inline]
    fn push(
        &mut self,
        field: u32,
        kind: LeafKind,
        start: u32,
        end: u32,
        in_arena: bool,
        ctx: u32,
    ) -> Res<()> {
        let out = &mut *self.out;
        if out.leaves.len() >= self.limits.max_leaves {
            return Err((self.i, "too many leaves"));
        }
        let id = out.leaves.len() as u32;
        let f = field as usize;
        let prev = out.first[f];
        if prev == NONE {
            out.touched.push(field);
        }
        out.leaves.push(Leaf {
            kind,
            start,
            end,
            in_arena,
            shape: [255, 255],
            ctx,
            next: prev,
        });
        out.first[f] = id;
        Ok(())
    }

    /// An object at trie node `node`. In trusted mode, when `abort_ok`
    /// (no ancestor still waits for another key) and every key of the trie
    /// below `node` has been read, the scan stops: nothing after can change
    /// the answer (trusted events are assumed to have no duplicate keys).
    fn object(&mut self, node: u32, ctx: u32, depth: usize, abort_ok: bool) -> Res<()> {
        if depth > self.limits.max_depth {
            return Err((self.i, "nesting"));
        }
        self.i += 1; // '{'
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let n_children = if node == NONE {
            0
        } else {
            self.trie.nodes[node as usize].children.len()
        };
        let track = !self.strict && abort_ok && (1..=64).contains(&n_children);
        let full: u64 = if n_children >= 64 {
            u64::MAX
        } else {
            (1u64 << n_children) - 1
        };
        let mut seen: u64 = 0;
        loop {
            self.ws();
            // Members of the shape `"key": scalar` followed by `,"` or `}`
            // (coordinates, most of a `properties` object) take one tight
            // step each, anything else the general way below.
            if node != NONE {
                if let Some((closed, ix)) = self.plain_member(node, ctx)? {
                    if track {
                        // Trusted mode's early stop, as below.
                        let bit = ix.map_or(0, |k| 1u64.checked_shl(k as u32).unwrap_or(0));
                        seen |= bit;
                        if bit != 0 && seen == full {
                            self.stopped = true;
                            return Ok(());
                        }
                    }
                    if closed {
                        return Ok(());
                    }
                    continue;
                }
            }
            if self.peek() != Some(b'"') {
                return Err((
                    self.i,
                    if self.i >= self.b.len() {
                        "EOF while parsing an object"
                    } else {
                        "key must be a string"
                    },
                ));
            }
            let (child, ix) = if node == NONE {
                self.skip_string()?;
                (NONE, None)
            } else {
                let (start, end, in_arena) = self.string_value()?;
                if in_arena {
                    let c = self
                        .trie
                        .step(node, &self.out.unescaped[start as usize..end as usize]);
                    // Keys are not kept: give the arena space back.
                    self.out.unescaped.truncate(start as usize);
                    (c, None)
                } else {
                    self.trie
                        .step_indexed(node, &self.b[start as usize..end as usize])
                }
            };
            self.colon()?;
            let bit = ix.map_or(0, |k| 1u64.checked_shl(k as u32).unwrap_or(0));
            let child_abort_ok = track && bit != 0 && (seen | bit) == full;
            self.value(child, ctx, depth, child_abort_ok)?;
            if self.stopped {
                return Ok(());
            }
            if track && bit != 0 {
                seen |= bit;
                if seen == full {
                    self.stopped = true;
                    return Ok(());
                }
            }
            if self.after_member(b'}')? {
                return Ok(());
            }
        }
    }

    /// At a member's opening quote: if the member is `"key": scalar` with
    /// no escape in key or string, well-formed, and followed by `,` and the
    /// next key's quote or by `}`, record its leaf as [`Scan::value`]
    /// would, move past the separator and say whether the object ended and
    /// which child of `node` the key is (as [`FieldTrie::step_indexed`]).
    /// Otherwise (nothing recorded, position unchanged) None. Only an error
    /// of the leaf limit is an error here.
    #[inline]
    fn plain_member(&mut self, node: u32, ctx: u32) -> Res<Option<(bool, Option<usize>)>> {
        let b = self.b;
        let at = self.i;
        if b.get(at) != Some(&b'"') {
            return Ok(None);
        }
        let Some(key_end) = plain_string_end(b, at) else {
            return Ok(None);
        };
        let mut i = skip_ws(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return Ok(None);
        }
        i = skip_ws(b, i + 1);
        let start = i;
        let (kind, end, shape) = match b.get(i) {
            Some(b'"') => match plain_string_end(b, i) {
                Some(e) => (LeafKind::String, e + 1, [255, 255]),
                None => return Ok(None),
            },
            Some(b'-' | b'0'..=b'9') => {
                self.i = i;
                let shape = match self.number() {
                    Ok(shape) => shape,
                    Err(_) => {
                        self.i = at;
                        return Ok(None);
                    }
                };
                let e = self.i;
                self.i = at;
                (LeafKind::Number, e, shape)
            }
            Some(b't') if b.get(i..i + 4) == Some(b"true") => (LeafKind::True, i + 4, [255, 255]),
            Some(b'f') if b.get(i..i + 5) == Some(b"false") => (LeafKind::False, i + 5, [255, 255]),
            Some(b'n') if b.get(i..i + 4) == Some(b"null") => (LeafKind::Null, i + 4, [255, 255]),
            _ => return Ok(None),
        };
        let mut after = skip_ws(b, end);
        let closed = match b.get(after) {
            Some(b'}') => true,
            Some(b',') => {
                after = skip_ws(b, after + 1);
                if b.get(after) != Some(&b'"') {
                    return Ok(None);
                }
                false
            }
            _ => return Ok(None),
        };
        let (child, ix) = self.trie.step_indexed(node, &b[at + 1..key_end]);
        if child != NONE {
            let field = self.trie.nodes[child as usize].field;
            if field != NONE {
                let (s, e) = match kind {
                    LeafKind::String => (start + 1, end - 1),
                    LeafKind::Number => (start, end),
                    _ => (0, 0),
                };
                // At the value's end, where the general way reports the
                // leaf limit.
                self.i = end;
                self.push(field, kind, s as u32, e as u32, false, ctx)?;
                if let Some(l) = self.out.leaves.last_mut() {
                    l.shape = shape;
                }
            }
        }
        self.i = if closed { after + 1 } else { after };
        Ok(Some((closed, ix)))
    }

    #[inline]
    fn colon(&mut self) -> Res<()> {
        self.ws();
        if self.peek() != Some(b':') {
            return Err((
                self.i,
                if self.i >= self.b.len() {
                    "EOF while parsing an object"
                } else {
                    "expected ':'"
                },
            ));
        }
        self.i += 1;
        Ok(())
    }

    /// After a member or element: `,` (false) or the closer (true).
    #[inline]
    fn after_member(&mut self, close: u8) -> Res<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                self.ws();
                if matches!(self.peek(), Some(b'}' | b']')) {
                    return Err((self.i, "trailing comma"));
                }
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            None => Err((
                self.i,
                if close == b'}' {
                    "EOF while parsing an object"
                } else {
                    "EOF while parsing a list"
                },
            )),
            Some(_) => Err((
                self.i,
                if close == b'}' {
                    "expected ',' or '}'"
                } else {
                    "expected ',' or ']'"
                },
            )),
        }
    }

    fn array(&mut self, node: u32, ctx: u32, depth: usize) -> Res<()> {
        if depth > self.limits.max_depth {
            return Err((self.i, "nesting"));
        }
        self.i += 1; // '['
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        let array = self.out.arrays;
        self.out.arrays += 1;
        let parent_depth = self.out.ctxs[ctx as usize].depth;
        let level = self.trie.nodes[node as usize].level;
        let start = self.out.leaves.len() as u32;
        self.out.spans.push((start, start));
        loop {
            let el = self.out.ctxs.len() as u32;
            let lo = self.out.leaves.len() as u32;
            self.out.ctxs.push(Ctx {
                parent: ctx,
                array,
                depth: parent_depth + 1,
                level,
                lo,
                hi: lo,
            });
            self.value(node, el, depth, false)?;
            let hi = self.out.leaves.len() as u32;
            self.out.ctxs[el as usize].hi = hi;
            if self.after_member(b']')? {
                self.out.spans[array as usize].1 = hi;
                return Ok(());
            }
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Res<()> {
        if self.b.len() >= self.i + word.len() && &self.b[self.i..self.i + word.len()] == word {
            self.i += word.len();
            Ok(())
        } else {
            Err((self.i, "expected value"))
        }
    }

    /// A number; returns its shape (see [`Leaf::shape`]).
    // Always inlined when optimised; not in debug builds, where inlining
    // would add its locals to the frames of the recursive `value`, and 512
    // levels of nesting must fit a 2 MB thread stack there too.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn number(&mut self) -> Res<[u8; 2]> {
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i += digits(b, i),
            _ => return Err((i, "invalid number")),
        }
        let mut shape = [(i - int_start).min(255) as u8, 0];
        if b.get(i) == Some(&b'.') {
            i += 1;
            let n = digits(b, i);
            if n == 0 {
                return Err((i, "invalid number"));
            }
            i += n;
            shape[1] = n.min(255) as u8;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let n = digits(b, i);
            if n == 0 {
                return Err((i, "invalid number"));
            }
            i += n;
        }
        if matches!(
            b.get(i),
            Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
        ) {
            return Err((i, "invalid number"));
        }
        self.i = i;
        Ok(shape)
    }

    /// Skip any value, checking it in strict mode.
    #[inline]
    fn skip(&mut self, depth: usize) -> Res<()> {
        if !self.strict {
            return self.skip_trusted(depth);
        }
        let start = skip_ws(self.b, self.i);
        if let Some(b'{' | b'[') = self.b.get(start) {
            // Containers: the block validator (well-formed values without
            // escapes), else the token-at-a-time one.
            let room = self.limits.max_depth.saturating_sub(depth);
            if let Some(end) = validate::container_end(self.b, start, room) {
                self.i = end;
                return Ok(());
            }
        }
        if self.validate_fast(depth) {
            return Ok(());
        }
        // Something unusual (or wrong): the careful validator below says
        // exactly what, with the same messages and positions as before.
        self.i = start;
        self.skip_slow(depth)
    }

    /// Strict mode's fast validator for a skipped value: one loop, no
    /// recursion, a bit stack of open containers. It handles well-formed
    /// JSON and gives up (returning false, position unspecified) on
    /// anything else, including nesting beyond 128 levels below `depth`,
    /// leaving the diagnosis to [`Scan::skip_slow`].
    fn validate_fast(&mut self, depth: usize) -> bool {
        let b = self.b;
        let mut i = self.i;
        // Bit k of `stack`: the k-th open container (from the top) is an
        // object.
        let mut stack: u128 = 0;
        let mut level: usize = 0;
        let room = self.limits.max_depth.saturating_sub(depth).min(127);
        'value: loop {
            i = skip_ws(b, i);
            let Some(&c) = b.get(i) else { return false };
            match c {
                b'"' => match self.string_end(i) {
                    Some(e) => i = e,
                    None => return false,
                },
                b'-' | b'0'..=b'9' => match number_end(b, i) {
                    Some(e) => i = e,
                    None => return false,
                },
                b'{' | b'[' => {
                    level += 1;
                    if level > room {
                        return false;
                    }
                    stack = (stack << 1) | u128::from(c == b'{');
                    i = skip_ws(b, i + 1);
                    match b.get(i) {
                        Some(&e) if e == c + 2 => {
                            // `{}` or `[]`
                            i += 1;
                            level -= 1;
                            stack >>= 1;
                        }
                        _ => {
                            if c == b'{' {
                                match self.key_colon(i) {
                                    Some(e) => i = e,
                                    None => return false,
                                }
                            }
                            continue 'value;
                        }
                    }
                }
                b't' if b.get(i..i + 4) == Some(b"true") => i += 4,
                b'f' if b.get(i..i + 5) == Some(b"false") => i += 5,
                b'n' if b.get(i..i + 4) == Some(b"null") => i += 4,
                _ => return false,
            }
            // After a value: close containers until a comma.
            loop {
                if level == 0 {
                    self.i = i;
                    return true;
                }
                i = skip_ws(b, i);
                let in_object = stack & 1 == 1;
                match b.get(i) {
                    Some(b',') => {
                        i += 1;
                        if in_object {
                            match self.key_colon(skip_ws(b, i)) {
                                Some(e) => i = e,
                                None => return false,
                            }
                        }
                        continue 'value;
                    }
                    Some(b'}') if in_object => {}
                    Some(b']') if !in_object => {}
                    _ => return false,
                }
                i += 1;
                level -= 1;
                stack >>= 1;
            }
        }
    }

    /// A key and its colon at `i` (fast validator): the position after
    /// the colon.
    #[inline(always)]
    fn key_colon(&mut self, i: usize) -> Option<usize> {
        if self.b.get(i) != Some(&b'"') {
            return None;
        }
        let e = skip_ws(self.b, self.string_end(i)?);
        (self.b.get(e) == Some(&b':')).then_some(e + 1)
    }

    /// End (after the closing quote) of the well-formed string at `i`.
    #[inline(always)]
    fn string_end(&mut self, i: usize) -> Option<usize> {
        if let Some(k) = plain_string_end(self.b, i) {
            return Some(k + 1);
        }
        // Escapes (or a fault): the careful path.
        self.i = i;
        self.string_value_inner(false).ok()?;
        Some(self.i)
    }

    /// The slow, careful strict validator (exact error messages).
    fn skip_slow(&mut self, depth: usize) -> Res<()> {
        self.ws();
        match self.peek() {
            Some(b'{') => {
                if depth + 1 > self.limits.max_depth {
                    return Err((self.i, "nesting"));
                }
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err((
                            self.i,
                            if self.i >= self.b.len() {
                                "EOF while parsing an object"
                            } else {
                                "key must be a string"
                            },
                        ));
                    }
                    self.skip_string()?;
                    self.colon()?;
                    self.skip_slow(depth + 1)?;
                    if self.after_member(b'}')? {
                        return Ok(());
                    }
                }
            }
            Some(b'[') => {
                if depth + 1 > self.limits.max_depth {
                    return Err((self.i, "nesting"));
                }
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip_slow(depth + 1)?;
                    if self.after_member(b']')? {
                        return Ok(());
                    }
                }
            }
            Some(b'"') => self.skip_string(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            Some(_) => Err((self.i, "expected value")),
            None => Err((self.i, "EOF while parsing a value")),
        }
    }

    /// Trusted mode: skip a value by finding where it ends, looking only at
    /// quotes, backslashes inside strings, and brackets.
    fn skip_trusted(&mut self, depth: usize) -> Res<()> {
        self.ws();
        let b = self.b;
        match self.peek() {
            Some(b'{' | b'[') => {
                if let Some(end) = self.container_end_blocks(depth) {
                    self.i = end;
                    return Ok(());
                }
                let mut level = 1usize;
                let mut i = self.i + 1;
                loop {
                    // Rare path (escapes, errors): byte by byte.
                    while i < b.len() && !matches!(b[i], b'"' | b'{' | b'[' | b'}' | b']') {
                        i += 1;
                    }
                    let Some(&c) = b.get(i) else {
                        return Err((b.len(), "EOF while parsing a value"));
                    };
                    match c {
                        b'"' => {
                            self.i = i;
                            self.skip_string()?;
                            i = self.i;
                            continue;
                        }
                        b'{' | b'[' => {
                            level += 1;
                            if depth + level > self.limits.max_depth {
                                return Err((i, "nesting"));
                            }
                        }
                        b'}' | b']' => {
                            level -= 1;
                            if level == 0 {
                                self.i = i + 1;
                                return Ok(());
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            Some(b'"') => self.skip_string(),
            Some(_) => {
                // A scalar: runs to the next delimiter.
                let mut i = self.i;
                while i < b.len()
                    && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                {
                    i += 1;
                }
                if i == self.i {
                    return Err((i, "expected value"));
                }
                self.i = i;
                Ok(())
            }
            None => Err((self.i, "EOF while parsing a value")),
        }
    }

    /// Skip a string (at its opening quote), checking it in strict mode.
    fn skip_string(&mut self) -> Res<()> {
        if self.strict {
            self.string_value_inner(false).map(|_| ())
        } else {
            // Trusted: only find the closing quote.
            let b = self.b;
            let mut i = self.i + 1;
            loop {
                let (k, _) = string_stop(b, i);
                match b.get(k) {
                    Some(b'"') => {
                        self.i = k + 1;
                        return Ok(());
                    }
                    Some(b'\\') => i = k + 2,
                    Some(_) => i = k + 1,
                    None => return Err((b.len(), "EOF while parsing a string")),
                }
            }
        }
    }

    /// Trusted mode: the end of the object or array at `self.i`, found 64
    /// bytes at a time from bitmaps of quotes and brackets (brackets inside
    /// strings masked out by a prefix XOR of the quotes). None when a block
    /// holds a backslash, nesting gets near the limit, or the event ends
    /// first: the byte-by-byte loop then takes over from the start.
    fn container_end_blocks(&self, depth: usize) -> Option<usize> {
        let b = self.b;
        let mut base = self.i;
        let mut level: usize = 0;
        let mut in_string: u64 = 0; // all ones while a string runs on
        let room = self.limits.max_depth.saturating_sub(depth);
        let mut pad = [b' '; 64];
        loop {
            let block: &[u8; 64] = match b.get(base..base + 64) {
                Some(x) => x.try_into().unwrap(),
                None => {
                    let rest = b.get(base..)?;
                    if rest.is_empty() {
                        return None;
                    }
                    pad[..rest.len()].copy_from_slice(rest);
                    &pad
                }
            };
            let (q, bs, o, c) = structure64(block);
            if bs != 0 {
                return None;
            }
            let inside = prefix_xor(q) ^ in_string;
            in_string = 0u64.wrapping_sub(inside >> 63);
            let (o, c) = (o & !inside, c & !inside);
            let (no, nc) = (o.count_ones() as usize, c.count_ones() as usize);
            if level + no > room {
                return None;
            }
            if nc < level {
                level = level + no - nc;
            } else {
                let mut m = o | c;
                while m != 0 {
                    let k = m.trailing_zeros();
                    if o >> k & 1 == 1 {
                        level += 1;
                    } else {
                        level -= 1;
                        if level == 0 {
                            return Some(base + k as usize + 1);
                        }
                    }
                    m &= m - 1;
                }
            }
            base += 64;
            if base >= b.len() {
                return None;
            }
        }
    }

    /// Read a string at its opening quote; returns its content range and
    /// whether that range is in the unescape arena.
    fn string_value(&mut self) -> Res<(u32, u32, bool)> {
        self.string_value_inner(true)
    }

    fn string_value_inner(&mut self, keep: bool) -> Res<(u32, u32, bool)> {
        let b = self.b;
        let start = self.i + 1;
        let mut i = start;
        let mut high = false;
        loop {
            // Sixteen bytes at a time, jumping straight to the first byte
            // that needs a look (quote, backslash, control character).
            let (k, h) = string_stop(b, i);
            high |= h;
            i = k;
            let Some(&c) = b.get(i) else {
                return Err((b.len(), "EOF while parsing a string"));
            };
            match CLASS[c as usize] {
                PLAIN => i += 1,
                HIGH => {
                    high = true;
                    i += 1;
                }
                QUOTE => {
                    if high && self.strict {
                        if let Err(e) = std::str::from_utf8(&b[start..i]) {
                            return Err((start + e.valid_up_to(), "invalid UTF-8 in string"));
                        }
                    }
                    self.i = i + 1;
                    return Ok((start as u32, i as u32, false));
                }
                BACKSLASH => {
                    // Slow path: unescape from here on.
                    return self.string_escaped(start, i, true, keep);
                }
                _ => {
                    if self.strict {
                        return Err((
                            i,
                            "control character (\\u0000-\\u001F) found while parsing a string",
                        ));
                    }
                    i += 1;
                }
            }
        }
    }

    fn string_escaped(
        &mut self,
        start: usize,
        mut i: usize,
        mut high: bool,
        keep: bool,
    ) -> Res<(u32, u32, bool)> {
        let b = self.b;
        let arena_start = self.out.unescaped.len();
        if keep {
            self.out.unescaped.extend_from_slice(&b[start..i]);
        }
        let mut run = i; // start of pending raw run
        loop {
            let Some(&c) = b.get(i) else {
                return Err((b.len(), "EOF while parsing a string"));
            };
            match CLASS[c as usize] {
                PLAIN => i += 1,
                HIGH => {
                    high = true;
                    i += 1;
                }
                QUOTE => {
                    if keep {
                        self.out.unescaped.extend_from_slice(&b[run..i]);
                    }
                    if high && self.strict && std::str::from_utf8(&b[start..i]).is_err() {
                        let bad =
                            start + std::str::from_utf8(&b[start..i]).unwrap_err().valid_up_to();
                        return Err((bad, "invalid UTF-8 in string"));
                    }
                    self.i = i + 1;
                    return Ok((arena_start as u32, self.out.unescaped.len() as u32, true));
                }
                BACKSLASH => {
                    if keep {
                        self.out.unescaped.extend_from_slice(&b[run..i]);
                    }
                    let esc = *b
                        .get(i + 1)
                        .ok_or((b.len(), "EOF while parsing a string"))?;
                    let simple = match esc {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err((i + 1, "invalid escape")),
                    };
                    if let Some(s) = simple {
                        if keep {
                            self.out.unescaped.push(s);
                        }
                        i += 2;
                    } else {
                        let (ch, len) = self.unicode_escape(i)?;
                        if keep {
                            let mut buf = [0u8; 4];
                            self.out
                                .unescaped
                                .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        i += len;
                    }
                    run = i;
                }
                _ => {
                    if self.strict {
                        return Err((
                            i,
                            "control character (\\u0000-\\u001F) found while parsing a string",
                        ));
                    }
                    i += 1;
                }
            }
        }
    }

    /// `\uXXXX` (with a following low surrogate where needed) at `i`,
    /// decoded by the JSON module; a group of hex digits cut short by the
    /// end of the event is an EOF, as serde_json says.
    fn unicode_escape(&self, i: usize) -> Res<(char, usize)> {
        json::decode_escape(self.b, i).map_err(|e| match e {
            EscapeError::Eof
            | EscapeError::NotHex {
                truncated: true, ..
            } => (self.b.len(), "EOF while parsing a string"),
            EscapeError::NotHex { at, .. } | EscapeError::Unknown { at } => (at, "invalid escape"),
            EscapeError::LoneLeadingSurrogate => (i, "lone leading surrogate in hex escape"),
            EscapeError::LoneTrailingSurrogate => (i, "lone trailing surrogate in hex escape"),
        })
    }
}
