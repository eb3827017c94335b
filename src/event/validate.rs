//! Strict mode's block validator for skipped containers: the simdjson
//! design in two stages over 64-byte blocks.
//!
//! - **Stage 1** classifies a block into bitmaps: quotes, backslashes,
//!   structural characters (`{}[]:,`), whitespace, control characters and
//!   bytes >= 0x80. A prefix XOR of the quotes gives the in-string mask
//!   (carried from block to block); with it come the *pseudo-structural*
//!   positions: structural characters outside strings, opening quotes, and
//!   the first byte of every other run of non-whitespace (a scalar).
//! - **Stage 2** walks only those positions with a small state machine and
//!   a bit stack of open containers, checking the grammar: what may follow
//!   what, brackets matching, keys being strings. Scalars are checked where
//!   they start (number grammar, `true`/`false`/`null`) and must run exactly
//!   to the next whitespace or delimiter.
//!
//! String contents are checked from the bitmaps alone: no control
//! character, and when a byte >= 0x80 occurs, UTF-8 validity of the whole
//! value (`std::str::from_utf8`, whose ASCII path is fast; outside strings
//! such a byte is an error anyway). Backslashes are not resolved here: a
//! value holding one goes to the token-at-a-time validator, as does
//! anything malformed or nested deeper than the limit. This function only
//! ever says "well-formed, ends here" or "don't know", so the careful
//! validator keeps the exact error messages and positions.
//!
//! The block classification has three kernels that give the same bitmaps:
//! AVX2 (selected at run time with `is_x86_feature_detected!`), SSE2 (the
//! x86_64 baseline) and a portable byte loop for other targets; the unit
//! tests below run all of them on the same inputs.

use super::bytes::prefix_xor;
use super::number_end;

/// The bitmaps of one 64-byte block (bit k: byte k).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Classes {
    pub quote: u64,
    pub backslash: u64,
    /// `{`, `}`, `[`, `]`, `:`, `,`.
    pub op: u64,
    /// Space, tab, line feed, carriage return.
    pub ws: u64,
    /// Bytes below 0x20.
    pub ctrl: u64,
    /// Bytes >= 0x80.
    pub high: u64,
    /// ASCII digits.
    pub digit: u64,
}

/// A block classifier.
pub(super) trait Kernel {
    fn classify(block: &[u8; 64]) -> Classes;
    /// [`Cursor::load`] with this kernel, out of line: stage 2's loop
    /// stays small (one copy of the classification, not one per place
    /// that asks for the next position).
    fn load(cur: &mut Cursor<'_>) -> Option<()>;
}

/// The portable kernel: one byte at a time. The reference the SIMD
/// kernels are tested against, and the kernel of non-x86_64 targets.
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
pub(super) struct Portable;

impl Kernel for Portable {
    #[inline(never)]
    fn load(cur: &mut Cursor<'_>) -> Option<()> {
        cur.load::<Self>()
    }

    #[inline(always)]
    fn classify(block: &[u8; 64]) -> Classes {
        let mut c = Classes {
            quote: 0,
            backslash: 0,
            op: 0,
            ws: 0,
            ctrl: 0,
            high: 0,
            digit: 0,
        };
        for (k, &x) in block.iter().enumerate() {
            let bit = 1u64 << k;
            if x == b'"' {
                c.quote |= bit;
            }
            if x == b'\\' {
                c.backslash |= bit;
            }
            if matches!(x, b'{' | b'}' | b'[' | b']' | b':' | b',') {
                c.op |= bit;
            }
            if matches!(x, b' ' | b'\t' | b'\n' | b'\r') {
                c.ws |= bit;
            }
            if x < 0x20 {
                c.ctrl |= bit;
            }
            if x >= 0x80 {
                c.high |= bit;
            }
            if x.is_ascii_digit() {
                c.digit |= bit;
            }
        }
        c
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Classes, Cursor, Kernel};
    use std::arch::x86_64::*;

    /// SSE2: part of the x86_64 baseline, always available.
    pub(in crate::event) struct Sse2;

    impl Kernel for Sse2 {
        #[inline(never)]
        fn load(cur: &mut Cursor<'_>) -> Option<()> {
            cur.load::<Self>()
        }

        #[inline(always)]
        #[allow(unused_unsafe)] // the intrinsics are safe on newer compilers
        fn classify(block: &[u8; 64]) -> Classes {
            let mut m = [0u64; 7];
            for k in 0..4 {
                // SAFETY: `block` holds 64 readable bytes, so bytes
                // 16k..16k+16 are readable; `loadu` needs no alignment;
                // SSE2 is part of the x86_64 baseline.
                let r = unsafe {
                    let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast());
                    let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
                    // `[`/`{` and `]`/`}` differ only in bit 5.
                    let f = _mm_or_si128(v, _mm_set1_epi8(0x20));
                    let op = _mm_or_si128(
                        _mm_or_si128(
                            _mm_cmpeq_epi8(f, _mm_set1_epi8(b'{' as i8)),
                            _mm_cmpeq_epi8(f, _mm_set1_epi8(b'}' as i8)),
                        ),
                        _mm_or_si128(eq(b':'), eq(b',')),
                    );
                    let ws = _mm_or_si128(
                        _mm_or_si128(eq(b' '), eq(b'\t')),
                        _mm_or_si128(eq(b'\n'), eq(b'\r')),
                    );
                    let ctrl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
                    let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
                    let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
                    [
                        _mm_movemask_epi8(eq(b'"')),
                        _mm_movemask_epi8(eq(b'\\')),
                        _mm_movemask_epi8(op),
                        _mm_movemask_epi8(ws),
                        _mm_movemask_epi8(ctrl),
                        _mm_movemask_epi8(v),
                        _mm_movemask_epi8(digit),
                    ]
                };
                for (acc, x) in m.iter_mut().zip(r) {
                    *acc |= u64::from(x as u16) << (16 * k);
                }
            }
            Classes {
                quote: m[0],
                backslash: m[1],
                op: m[2],
                ws: m[3],
                ctrl: m[4],
                high: m[5],
                digit: m[6],
            }
        }
    }

    /// AVX2: only called from functions compiled with the `avx2` target
    /// feature, which run only after `is_x86_feature_detected!("avx2")`.
    pub(in crate::event) struct Avx2;

    impl Kernel for Avx2 {
        fn load(cur: &mut Cursor<'_>) -> Option<()> {
            // SAFETY: the AVX2 kernel is only used once AVX2 was detected
            // (`container_end`, and the tests, which check first).
            unsafe { load_avx2(cur) }
        }

        #[inline(always)]
        #[allow(unused_unsafe)]
        fn classify(block: &[u8; 64]) -> Classes {
            let mut m = [0u64; 7];
            for k in 0..2 {
                // SAFETY: `block` holds 64 readable bytes, so bytes
                // 32k..32k+32 are readable; `loadu` needs no alignment.
                // This kernel is only inlined into `#[target_feature(enable
                // = "avx2")]` functions, which are only called once AVX2
                // was detected at run time (see `container_end`).
                let r = unsafe {
                    let v = _mm256_loadu_si256(block.as_ptr().add(32 * k).cast());
                    let eq = |c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
                    // Lookups by the low nibble (`vpshufb` gives 0 for
                    // bytes >= 0x80, which then match nothing). Whitespace:
                    // the one whitespace byte with that low nibble.
                    let ws_tab = _mm256_setr_epi8(
                        0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x0A, 0, 0, 0x0D, 0, 0, 0x20, 0, 0, 0,
                        0, 0, 0, 0, 0, 0x09, 0x0A, 0, 0, 0x0D, 0, 0,
                    );
                    let ws = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(ws_tab, v), v);
                    // Structural: `:` `{` `,` `}` (low nibbles A-D), with
                    // bit 5 set (`[` and `]` become `{` and `}`); the
                    // control characters 0x0C and 0x1A match too and are
                    // taken out.
                    let op_tab = _mm256_setr_epi8(
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3A, 0x7B, 0x2C, 0x7D, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, 0, 0, 0, 0x3A, 0x7B, 0x2C, 0x7D, 0, 0,
                    );
                    let f = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
                    let ctrl = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
                    let op = _mm256_andnot_si256(
                        ctrl,
                        _mm256_cmpeq_epi8(_mm256_shuffle_epi8(op_tab, v), f),
                    );
                    let d = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
                    let digit = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);
                    [
                        _mm256_movemask_epi8(eq(b'"')),
                        _mm256_movemask_epi8(eq(b'\\')),
                        _mm256_movemask_epi8(op),
                        _mm256_movemask_epi8(ws),
                        _mm256_movemask_epi8(ctrl),
                        _mm256_movemask_epi8(v),
                        _mm256_movemask_epi8(digit),
                    ]
                };
                for (acc, x) in m.iter_mut().zip(r) {
                    *acc |= u64::from(x as u32) << (32 * k);
                }
            }
            Classes {
                quote: m[0],
                backslash: m[1],
                op: m[2],
                ws: m[3],
                ctrl: m[4],
                high: m[5],
                digit: m[6],
            }
        }
    }

    /// [`Cursor::load`] with the AVX2 kernel, compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline(never)]
    unsafe fn load_avx2(cur: &mut Cursor<'_>) -> Option<()> {
        cur.load::<Avx2>()
    }

    /// [`super::walk`] with the AVX2 kernel, compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(in crate::event) unsafe fn walk_avx2(b: &[u8], start: usize, room: usize) -> Option<usize> {
        super::walk::<Avx2>(b, start, room)
    }
}

#[cfg(all(target_arch = "x86_64", test))]
use x86::Avx2;
#[cfg(target_arch = "x86_64")]
use x86::Sse2;

/// End (one past the closer) of the well-formed object or array at
/// `b[start]` (which must be `{` or `[`), if it holds no backslash and
/// nests at most `room` levels (at most 62); None otherwise (malformed,
/// deeper, escapes, or the event ends first).
#[inline]
pub(super) fn container_end(b: &[u8], start: usize, room: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was just detected.
            return unsafe { x86::walk_avx2(b, start, room) };
        }
        walk::<Sse2>(b, start, room)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        walk::<Portable>(b, start, room)
    }
}

/// Whether a scalar ending at `e` ends its run of non-whitespace: what
/// follows must be whitespace, `,`, `]`, `}` or the end. (Anything else
/// after a scalar is an error in JSON, so "no" is always safe.)
#[inline(always)]
fn ends_run(b: &[u8], e: usize) -> bool {
    matches!(
        b.get(e),
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}')
    )
}

/// Check the scalar starting at `p` (a value position).
#[inline(always)]
fn scalar_ok(b: &[u8], p: usize) -> bool {
    let e = match b[p] {
        b'-' | b'0'..=b'9' => match number_end(b, p) {
            Some(e) => e,
            None => return false,
        },
        b't' if b.get(p..p + 4) == Some(b"true") => p + 4,
        b'f' if b.get(p..p + 5) == Some(b"false") => p + 5,
        b'n' if b.get(p..p + 4) == Some(b"null") => p + 4,
        _ => return false,
    };
    ends_run(b, e)
}

/// Stage 1, block by block: hands out the pseudo-structural positions of
/// the value in order.
pub(super) struct Cursor<'a> {
    b: &'a [u8],
    start: usize,
    /// Start of the current block.
    base: usize,
    /// Positions of the current block not handed out yet.
    todo: u64,
    /// Faults of the current block (see `load`).
    bad: u64,
    /// Bytes >= 0x80 in the current block.
    high: u64,
    /// Bytes of scalars (outside strings, not whitespace or structural).
    scalar: u64,
    /// ASCII digits of the current block.
    digit: u64,
    /// A byte >= 0x80 occurred in an earlier block.
    high_before: bool,
    /// All ones while a string runs on into the next block.
    in_string: u64,
    /// The current block's bytes (spaces after the end of the event).
    blk: [u8; 64],
}

impl Cursor<'_> {
    /// Classify the block at `base` (None: the event ends first).
    #[inline(always)]
    fn load<K: Kernel>(&mut self) -> Option<()> {
        let b = self.b;
        let mut pad = [b' '; 64];
        let block: &[u8; 64] = match b.get(self.base..self.base + 64) {
            Some(x) => x.try_into().unwrap(),
            None => {
                let rest = b.get(self.base..)?;
                if rest.is_empty() {
                    return None;
                }
                pad[..rest.len()].copy_from_slice(rest);
                &pad
            }
        };
        let c = K::classify(block);
        self.blk = *block;
        // Bits inside strings, opening quote included, closing excluded.
        let inside = prefix_xor(c.quote) ^ self.in_string;
        self.in_string = 0u64.wrapping_sub(inside >> 63);
        let scalar = !(c.ws | c.op | c.quote | inside);
        // A run of scalar bytes continuing from the previous block starts
        // no new scalar.
        let prev_scalar = self.scalar >> 63;
        let scalar_starts = scalar & !((scalar << 1) | prev_scalar);
        self.scalar = scalar;
        self.digit = c.digit;
        // Backslashes anywhere (not resolved here), control characters
        // inside strings, and outside strings other than whitespace.
        self.bad = c.backslash | (c.ctrl & (inside | !c.ws));
        self.high = c.high;
        self.todo = (c.op & !inside) | (c.quote & inside) | scalar_starts;
        Some(())
    }

    /// The next position and its byte.
    #[inline(always)]
    fn next<K: Kernel>(&mut self) -> Option<(usize, u8)> {
        while self.todo == 0 {
            // The value runs past this block: all of it is the value's.
            if self.bad != 0 {
                return None;
            }
            self.high_before |= self.high != 0;
            self.base += 64;
            K::load(self)?;
        }
        let k = self.todo.trailing_zeros() as usize;
        self.todo &= self.todo - 1;
        Some((self.base + k, self.blk[k]))
    }

    /// Whether the scalar starting at position `p` (of the current block;
    /// its byte is not structural) is a number or literal that runs
    /// exactly to the end of its run of scalar bytes. Plain numbers
    /// (`-?int(.frac)?`) inside one block are checked on the bitmaps;
    /// everything else by [`scalar_ok`].
    #[inline(always)]
    fn scalar_ok(&self, p: usize) -> bool {
        let k = p - self.base;
        // Bit 0 of `self.scalar >> k` is set: `end` > `k`.
        let end = k + (!(self.scalar >> k)).trailing_zeros() as usize;
        if end < 64 {
            let int = k + usize::from(self.blk[k] == b'-');
            // `int` <= `end` < 64; the byte at `end` is no digit.
            let non_digits = !self.digit >> int;
            let digits = non_digits.trailing_zeros() as usize;
            if digits >= 1 && (self.blk[int] != b'0' || digits == 1) {
                let dot = int + digits;
                if dot == end {
                    return true;
                }
                if self.blk[dot] == b'.' {
                    // `dot` < `end` <= 63.
                    let frac = (non_digits >> (digits + 1)).trailing_zeros() as usize;
                    if frac >= 1 && dot + 1 + frac == end {
                        return true;
                    }
                }
            }
        }
        scalar_ok(self.b, p)
    }

    /// The value ends with the byte at `p` (in the current block): its
    /// end if nothing after `start` and up to `p` is at fault.
    #[inline(always)]
    fn finish(&self, p: usize) -> Option<usize> {
        let mine = u64::MAX >> (63 - (p - self.base));
        if self.bad & mine != 0 {
            return None;
        }
        let end = p + 1;
        if (self.high_before || self.high & mine != 0)
            && std::str::from_utf8(&self.b[self.start..end]).is_err()
        {
            return None;
        }
        Some(end)
    }
}

// Stage 2 states: the position just handed out was...
/// `{`: a key or `}` comes.
const OBJECT_BEGIN: u8 = 0;
/// A key's opening quote: `:`, a value, then `,` and a key, or `}`.
const FIELD: u8 = 1;
/// `[`: a value or `]` comes.
const ARRAY_BEGIN: u8 = 2;
/// An element's first position (`p`, `ch`): then `,` or `]`.
const ELEMENT: u8 = 3;
/// The closer of the innermost open container.
const CLOSE: u8 = 4;

/// The two stages with kernel `K` (see [`container_end`]). Objects'
/// members and arrays' elements with string or scalar values are walked
/// by tight inner loops; the state variable changes only where a
/// container opens or closes.
#[inline(always)]
pub(super) fn walk<K: Kernel>(b: &[u8], start: usize, room: usize) -> Option<usize> {
    debug_assert!(matches!(b.get(start), Some(b'{' | b'[')));
    let room = room.min(62);
    let mut cur = Cursor {
        b,
        start,
        base: start,
        todo: 0,
        bad: 0,
        high: 0,
        scalar: 0,
        digit: 0,
        high_before: false,
        in_string: 0,
        blk: [b' '; 64],
    };
    K::load(&mut cur)?;
    // The open containers, innermost in bit 0 (1: object), above the
    // lowest bit set (a sentinel): `stack == 1` when none is open, and
    // `room` levels are open when the sentinel reaches bit `room`.
    let mut stack: u64 = 1;
    let full: u64 = 1 << room;
    let mut state;
    macro_rules! open {
        ($ch:expr) => {{
            if stack >= full {
                return None;
            }
            let obj = $ch == b'{';
            stack = (stack << 1) | u64::from(obj);
            state = if obj { OBJECT_BEGIN } else { ARRAY_BEGIN };
        }};
    }
    // The first position is the opener itself.
    let (mut p, mut ch) = cur.next::<K>()?;
    open!(ch);
    loop {
        match state {
            OBJECT_BEGIN => {
                (p, ch) = cur.next::<K>()?;
                state = match ch {
                    b'"' => FIELD,
                    b'}' => CLOSE,
                    _ => return None,
                };
            }
            FIELD => loop {
                if cur.next::<K>()?.1 != b':' {
                    return None;
                }
                (p, ch) = cur.next::<K>()?;
                match ch {
                    b'"' => {}
                    b'{' | b'[' => {
                        open!(ch);
                        break;
                    }
                    b']' | b'}' | b',' | b':' => return None,
                    _ => {
                        if !cur.scalar_ok(p) {
                            return None;
                        }
                    }
                }
                (p, ch) = cur.next::<K>()?;
                match ch {
                    b',' => {
                        if cur.next::<K>()?.1 != b'"' {
                            return None;
                        }
                    }
                    b'}' => {
                        state = CLOSE;
                        break;
                    }
                    _ => return None,
                }
            },
            ARRAY_BEGIN => {
                (p, ch) = cur.next::<K>()?;
                state = if ch == b']' { CLOSE } else { ELEMENT };
            }
            ELEMENT => loop {
                match ch {
                    b'"' => {}
                    b'{' | b'[' => {
                        open!(ch);
                        break;
                    }
                    b']' | b'}' | b',' | b':' => return None,
                    _ => {
                        if !cur.scalar_ok(p) {
                            return None;
                        }
                    }
                }
                (p, ch) = cur.next::<K>()?;
                match ch {
                    b',' => (p, ch) = cur.next::<K>()?,
                    b']' => {
                        state = CLOSE;
                        break;
                    }
                    _ => return None,
                }
            },
            _ => {
                // CLOSE: `ch` at `p` closed the innermost container.
                stack >>= 1;
                if stack == 1 {
                    return cur.finish(p);
                }
                // After a value in the parent.
                (p, ch) = cur.next::<K>()?;
                state = if stack & 1 == 1 {
                    match ch {
                        b',' => {
                            if cur.next::<K>()?.1 != b'"' {
                                return None;
                            }
                            FIELD
                        }
                        b'}' => CLOSE,
                        _ => return None,
                    }
                } else {
                    match ch {
                        b',' => {
                            (p, ch) = cur.next::<K>()?;
                            ELEMENT
                        }
                        b']' => CLOSE,
                        _ => return None,
                    }
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde_json says about the value at the start of `b`: the end
    /// of the first complete JSON value, if it is well-formed up to there.
    fn serde_end(b: &[u8]) -> Option<usize> {
        let mut it = serde_json::Deserializer::from_slice(b).into_iter::<serde::de::IgnoredAny>();
        match it.next() {
            Some(Ok(_)) => Some(it.byte_offset()),
            _ => None,
        }
    }

    /// Every kernel answers the same, and agrees with serde_json whenever
    /// it answers: a `Some(end)` is exactly serde's end of a valid value.
    fn check(b: &[u8]) {
        if !matches!(b.first(), Some(b'{' | b'[')) {
            return;
        }
        let portable = walk::<Portable>(b, 0, 127);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(walk::<Sse2>(b, 0, 127), portable, "sse2 {b:?}");
            assert_eq!(container_end(b, 0, 127), portable, "dispatch {b:?}");
        }
        if let Some(end) = portable {
            assert_eq!(
                serde_end(b),
                Some(end),
                "accepted what serde does not: {:?}",
                String::from_utf8_lossy(b)
            );
        } else if serde_end(b).is_some() {
            // "Don't know" is allowed only for what the careful validator
            // handles: escapes, non-ASCII, deep nesting.
            assert!(
                b.contains(&b'\\')
                    || b.iter().any(|&c| c >= 0x80)
                    || b.iter().filter(|&&c| c == b'[' || c == b'{').count() > 62,
                "refused a plain valid value: {:?}",
                String::from_utf8_lossy(b)
            );
        }
    }

    #[test]
    fn kernels_classify_alike() {
        let text: Vec<u8> = (0u8..=255).chain((0u8..=255).rev()).collect();
        for start in 0..text.len() - 64 {
            let block: &[u8; 64] = text[start..start + 64].try_into().unwrap();
            let want = Portable::classify(block);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(Sse2::classify(block), want);
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 was just detected.
                    let got = unsafe { classify_avx2(block) };
                    assert_eq!(got, want);
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn classify_avx2(block: &[u8; 64]) -> Classes {
        Avx2::classify(block)
    }

    #[test]
    fn fixed_cases() {
        let cases: &[&[u8]] = &[
            b"{}",
            b"[]",
            b"{} ",
            b"[1,2]x",
            b"{\"a\":1}",
            b"{\"a\" : [true, false, null, -0.5e+3, \"x\"] }",
            b"{\"a\":1,}",
            b"[1,]",
            b"[,1]",
            b"{\"a\"}",
            b"{1:2}",
            b"[1 2]",
            b"[01]",
            b"[1.]",
            b"[-]",
            b"[tru]",
            b"[truex]",
            b"[nul]",
            b"[1e]",
            b"[\"a\tb\"]",
            b"[\"a\\\"b\"]",
            b"[1\x01]",
            b"[\"\xff\"]",
            b"[\"\xc3\xa9\"]",
            b"{\"a\":{\"b\":[[],[{}]]}}",
            b"[}",
            b"{]",
            b"[\"{[\"]",
            b"[1]]",
            b"[[1]",
            b"[\"abc",
        ];
        for c in cases {
            check(c);
        }
        // Long values: strings and numbers across block boundaries.
        let long = format!(
            "{{\"k\":[{}],\"s\":\"{}\",\"n\":{}}}",
            (0..40)
                .map(|i| format!("{{\"x\":-122.4183285544620{i},\"y\":37.8e-{i}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            "ab{[,:".repeat(30),
            "1".repeat(100)
        );
        assert_eq!(walk::<Portable>(long.as_bytes(), 0, 127), Some(long.len()));
        for cut in 0..long.len() {
            check(&long.as_bytes()[..cut]);
            let mut v = long.as_bytes().to_vec();
            for byte in [b'x', b'"', b'}', b' ', b'\\', 0x01, 0xC3] {
                v[cut] = byte;
                check(&v);
                v[cut] = long.as_bytes()[cut];
            }
        }
        // Nesting: the room is respected exactly.
        let deep = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert_eq!(walk::<Portable>(deep.as_bytes(), 0, 10), Some(20));
        assert_eq!(walk::<Portable>(deep.as_bytes(), 0, 9), None);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(walk::<Portable>(deep.as_bytes(), 0, 1000), None);
    }

    fn json_ish() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            6 => proptest::sample::select(b"{}[]\":,\\ \n ab01-.eEtrufalsn".to_vec()),
            1 => any::<u8>(),
        ];
        proptest::collection::vec(byte, 0..200).prop_map(|mut v| {
            v.insert(0, b'[');
            v
        })
    }

    /// Valid JSON values (nested, long), then damaged by a few edits.
    fn mangled() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            any::<i64>().prop_map(|i| i.to_string()),
            "[ -~]{0,20}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            // Unicode, escapes and control characters as serde writes them.
            "\\PC{0,8}[\t\n\\\\\"\u{1}]{0,2}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            // Number-like runs, valid or not (leading zeros, bare points,
            // signs, exponents).
            "-?[0-9.eE+-]{1,8}",
            "(true|false|null)[a-z0-9]?",
        ];
        let value = leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8)
                    .prop_map(|v| format!("[{}]", v.join(" , "))),
                proptest::collection::vec(("[a-z\\[{\":]{0,6}", inner), 0..8).prop_map(|v| {
                    let m: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{{}}}", m.join(",\n"))
                }),
            ]
        });
        let edit = (any::<prop::sample::Index>(), any::<u8>(), 0u8..5);
        (value, proptest::collection::vec(edit, 0..3)).prop_map(|(v, edits)| {
            let mut b = format!("[{v}]").into_bytes();
            for (at, byte, kind) in edits {
                let i = at.index(b.len());
                match kind {
                    0 => b.truncate(i.max(1)),
                    1 if i > 0 => b[i] = byte,
                    2 => b.insert(i.max(1), byte),
                    3 if i > 0 => {
                        b.remove(i);
                    }
                    _ => {}
                }
            }
            b
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 3000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn agrees_with_serde_on_json_ish_bytes(b in json_ish()) {
            check(&b);
        }

        #[test]
        fn agrees_with_serde_on_mangled_values(b in mangled()) {
            check(&b);
        }
    }
}
