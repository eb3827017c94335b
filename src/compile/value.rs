//! Value-level tests the automaton runs on event leaves: number keys and
//! exactness, IP address keys, case-insensitive comparison per pattern
//! character, wildcard matching. Everything here works on bytes that the
//! scanner has already checked to be valid UTF-8.

use memchr::memmem;

/// How a number takes part in equality: exact numbers by value, inexact
/// ones only by their exact spelling.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum NumKey {
    /// Bits of the value (with `-0` folded into `0`).
    Exact(u64),
    /// The spelling, for numbers a double cannot hold exactly.
    Inexact(Box<[u8]>),
}

/// Parse JSON number text to the nearest double.
pub(crate) fn parse_number(text: &[u8]) -> f64 {
    match Decimal::parse(text) {
        Some(d) => d.to_f64().unwrap_or_else(|| parse_number_slow(text)),
        None => parse_number_slow(text),
    }
}

fn parse_number_slow(text: &[u8]) -> f64 {
    // The scanner checked the JSON number grammar, so the text is ASCII;
    // a second UTF-8 pass would cost more than the conversion itself.
    debug_assert!(text.is_ascii());
    if !text.is_ascii() {
        return f64::NAN;
    }
    // SAFETY: every byte is ASCII (checked just above), so it is UTF-8.
    let s = unsafe { std::str::from_utf8_unchecked(text) };
    s.parse::<f64>().unwrap_or(f64::NAN)
}

/// Powers of ten a double holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Number text as `(-1)^neg * mantissa * 10^-scale`, when the mantissa
/// fits 19 digits (trailing zeros dropped). The fast paths below work on
/// it with exact integer arithmetic and give up (None) outside the range
/// where that is easy; the callers then use the general algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    neg: bool,
    mantissa: u64,
    scale: i32,
    /// Significant digits of `mantissa`.
    digits: u32,
}

impl Decimal {
    /// Parse grammar-checked JSON number text.
    #[inline]
    pub(crate) fn parse(text: &[u8]) -> Option<Decimal> {
        let neg = usize::from(text.first() == Some(&b'-'));
        let ni = text[neg..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let nf = match text.get(neg + ni) {
            Some(b'.') => text[neg + ni + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count(),
            _ => 0,
        };
        if ni > 254 || nf > 254 {
            return None;
        }
        Decimal::parse_shaped(text, [ni as u8, nf as u8])
    }

    /// Parse grammar-checked JSON number text with `shape[0]` digits before
    /// the point and `shape[1]` after it.
    #[inline]
    pub(crate) fn parse_shaped(text: &[u8], shape: [u8; 2]) -> Option<Decimal> {
        let neg = text.first() == Some(&b'-');
        let mut i = usize::from(neg);
        let (ni, nf) = (usize::from(shape[0]), usize::from(shape[1]));
        let int = text.get(i..i + ni)?;
        i += ni;
        let frac: &[u8] = if nf > 0 {
            let f = text.get(i + 1..i + 1 + nf)?;
            i += 1 + nf;
            f
        } else {
            &[]
        };
        // Leading zeros are not significant (JSON allows them only as
        // `0.000...`).
        let lz = if int.iter().all(|&c| c == b'0') {
            int.len() + frac.iter().take_while(|&&c| c == b'0').count()
        } else {
            0
        };
        let all = int.len() + frac.len();
        if all - lz > 19 {
            return None;
        }
        let mut m = run_value(int, 0);
        m = run_value(frac, m);
        let mut scale = frac.len() as i32;
        if i < text.len() {
            // Exponent (`e`/`E` here, by the grammar): at most four digits
            // on this path.
            let mut j = i + 1;
            let eneg = text.get(j) == Some(&b'-');
            if matches!(text.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let ed = &text[j..];
            if ed.is_empty() || ed.len() > 4 || !ed.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let e = ed.iter().fold(0i32, |e, &c| e * 10 + i32::from(c - b'0'));
            scale += if eneg { e } else { -e };
        }
        let mut digits = (all - lz) as u32;
        if m == 0 {
            digits = 0;
        }
        while m != 0 && m % 10 == 0 {
            m /= 10;
            scale -= 1;
            digits -= 1;
        }
        Some(Decimal {
            neg,
            mantissa: m,
            scale,
            digits,
        })
    }

    /// The nearest double, when the fast paths can tell.
    #[inline]
    pub(crate) fn to_f64(self) -> Option<f64> {
        let m = self.mantissa;
        let mag = if m == 0 {
            0.0
        } else if m < (1 << 53) && (-22..=22).contains(&self.scale) {
            // Clinger: both operands exact, one correctly rounded operation.
            if self.scale >= 0 {
                m as f64 / POW10[self.scale as usize]
            } else {
                m as f64 * POW10[(-self.scale) as usize]
            }
        } else if (1..=21).contains(&self.scale) {
            // Within an ulp or so; check candidates exactly.
            let q = m as f64 / POW10[self.scale as usize];
            let k = self.scale as u32;
            let mut found = None;
            for cand in [q, next_up(q), next_down(q)] {
                match nearest_check(m, k, cand)? {
                    std::cmp::Ordering::Equal => {
                        found = Some(cand);
                        break;
                    }
                    _ => continue,
                }
            }
            found?
        } else {
            return None;
        };
        Some(if self.neg { -mag } else { mag })
    }

    /// Whether `value` (the nearest double to this decimal) has this
    /// decimal as its shortest round-trip spelling; None when the fast
    /// path cannot tell.
    #[inline]
    pub(crate) fn is_exact(self, value: f64) -> Option<bool> {
        if self.mantissa == 0 {
            return Some(true);
        }
        if !value.is_normal() {
            return None;
        }
        if self.digits <= 15 {
            return Some(true);
        }
        if self.digits >= 18 {
            // A shortest round-trip spelling has at most 17 digits.
            return Some(false);
        }
        if !(1..=21).contains(&self.scale) {
            return None;
        }
        let k = self.scale as u32;
        let (mant, sh) = split(value.abs())?;
        if mant == 1 << 52 || sh > 62 {
            return None; // asymmetric rounding interval, or too small
        }
        let p10 = POW10_INT[k as usize];
        // Everything scaled by 2 * 10^k * 2^sh: value -> 2B, text -> 2A,
        // half an ulp -> 10^k, a unit in the last digit -> 2^(sh+1).
        let two_b = 2 * u128::from(mant) * p10;
        let two_a = u128::from(self.mantissa) << (sh + 1);
        let d = two_a.abs_diff(two_b);
        let half_digit = 1u128 << sh;
        if d == half_digit {
            return None;
        }
        if d > half_digit {
            return Some(false); // another spelling of this length is closer
        }
        // Is a multiple of 10^(1-k) (one digit shorter) within half an ulp?
        let step = 10u128 << sh; // 10^(1-k), scaled (not doubled)
        let b = u128::from(mant) * p10;
        // round(b / step), with the division on 64 bits: b / 2^sh is
        // about the mantissa of the text, below 10^19.
        let j = u128::from((((b + (5u128 << sh)) >> sh) as u64) / 10);
        let c2 = 2 * j * step;
        let dc = c2.abs_diff(two_b);
        if dc == p10 {
            return None;
        }
        Some(dc > p10)
    }
}

/// `acc` followed by the decimal digits `run` (the caller ensures the
/// result fits), eight digits at a time.
#[inline]
fn run_value(run: &[u8], mut acc: u64) -> u64 {
    if run.len() < 8 {
        for &c in run {
            acc = acc * 10 + u64::from(c - b'0');
        }
        return acc;
    }
    let mut chunks = run.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap()) - 0x3030_3030_3030_3030;
        // Pairs, then quads, then all eight (little-endian byte order).
        let w = (w * 10) + (w >> 8);
        let w = (((w & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32)))
            .wrapping_add(((w >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
            >> 32;
        acc = acc.wrapping_mul(100_000_000).wrapping_add(w);
    }
    for &c in chunks.remainder() {
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
    }
    acc
}

/// 10^k as u128, k <= 22.
const POW10_INT: [u128; 23] = {
    let mut t = [1u128; 23];
    let mut k = 1;
    while k < 23 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// (mantissa with the hidden bit, -exponent) of a positive normal double
/// below 2^52, so that `x = mant * 2^-sh` with `sh >= 1`.
#[inline]
fn split(x: f64) -> Option<(u64, u32)> {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7FF) as i32;
    if e == 0 {
        return None;
    }
    let sh = 1075 - e;
    if !(1..=63).contains(&sh) {
        return None;
    }
    Some(((bits & ((1 << 52) - 1)) | (1 << 52), sh as u32))
}

/// How the double `cand` relates to the exact value `m / 10^k`: Equal when
/// it is the unique nearest double, Less/Greater when the value lies more
/// than half an ulp above/below it; None for ties and cases not covered.
#[inline]
fn nearest_check(m: u64, k: u32, cand: f64) -> Option<std::cmp::Ordering> {
    let (mant, sh) = split(cand)?;
    if mant == 1 << 52 {
        return None;
    }
    // Scaled by 2 * 10^k * 2^sh: exact value -> 2A, candidate -> 2B.
    let p10 = POW10_INT[k as usize];
    let two_a = u128::from(m) << (sh + 1);
    let two_b = 2 * u128::from(mant) * p10;
    let d = two_a.abs_diff(two_b);
    Some(match d.cmp(&p10) {
        std::cmp::Ordering::Less => std::cmp::Ordering::Equal,
        std::cmp::Ordering::Equal => return None,
        std::cmp::Ordering::Greater => two_a.cmp(&two_b),
    })
}

#[inline]
fn next_up(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}

#[inline]
fn next_down(x: f64) -> f64 {
    f64::from_bits(x.to_bits() - 1)
}

/// The canonical bits used as an equality key (`-0` and `0` agree).
pub(crate) fn value_bits(v: f64) -> u64 {
    if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// Number text read as a decimal: `(-1)^neg * 0.d1d2d3... * 10^point`,
/// where the significant digits `d1...` are the digits of the text with
/// leading and trailing zeros dropped. Nothing is copied, so a spelling of
/// any length (`2.5` and sixty zeros, a 309-digit integer) is read in one
/// pass over its bytes without allocating.
struct Spelling<'a> {
    neg: bool,
    int: &'a [u8],
    frac: &'a [u8],
    /// Leading zeros of `int` then `frac` (not significant).
    lead: usize,
    /// Significant digits (0 for zero).
    sig: usize,
    /// Position of the decimal point relative to the first significant
    /// digit, exponent included (saturated: see [`Spelling::read`]).
    point: i64,
}

/// Beyond this the exponent saturates: a double is 0 or infinite long
/// before, whatever the length of the digits (events are far shorter than
/// 10^15 bytes), so saturating cannot make two finite values compare equal.
const EXP_CAP: i64 = 1_000_000_000_000_000;

impl<'a> Spelling<'a> {
    /// Read grammar-checked JSON number text (std's float formatting, with
    /// its `e` exponents, is read too).
    fn read(text: &'a [u8]) -> Spelling<'a> {
        let neg = text.first() == Some(&b'-');
        let body = &text[usize::from(neg)..];
        let (mantissa, exp) = match body.iter().position(|&c| c == b'e' || c == b'E') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &body[body.len()..]),
        };
        let (int, frac) = match mantissa.iter().position(|&c| c == b'.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, &mantissa[mantissa.len()..]),
        };
        let (eneg, edigits) = match exp.split_first() {
            Some((b'-', d)) => (true, d),
            Some((b'+', d)) => (false, d),
            _ => (false, exp),
        };
        // Leading zeros of the exponent (`1e0005`) fall out naturally.
        let e = edigits
            .iter()
            .fold(0i64, |e, &c| (e * 10 + i64::from(c - b'0')).min(EXP_CAP));
        let digits = || int.iter().chain(frac.iter());
        let lead = digits().take_while(|&&c| c == b'0').count();
        let total = int.len() + frac.len();
        let trail = if lead == total {
            0
        } else {
            digits().rev().take_while(|&&c| c == b'0').count()
        };
        let sig = total - lead - trail;
        let point = int.len() as i64 - lead as i64 + if eneg { -e } else { e };
        Spelling {
            neg,
            int,
            frac,
            lead,
            sig,
            point,
        }
    }

    /// The significant digits.
    fn significant(&self) -> impl Iterator<Item = u8> + '_ {
        self.int
            .iter()
            .chain(self.frac.iter())
            .copied()
            .skip(self.lead)
            .take(self.sig)
    }

    /// Whether both spellings denote the same decimal value (every zero,
    /// `-0` included, is one value).
    fn same_value(&self, other: &Spelling<'_>) -> bool {
        if self.sig == 0 || other.sig == 0 {
            return self.sig == other.sig;
        }
        self.neg == other.neg
            && self.sig == other.sig
            && self.point == other.point
            && self.significant().eq(other.significant())
    }
}

/// True when the double `value` (parsed from `text`) stands for exactly the
/// decimal `text` denotes in its shortest round-trip form.
pub(crate) fn is_exact(text: &[u8], value: f64) -> bool {
    if let Some(x) = Decimal::parse(text).and_then(|d| d.is_exact(value)) {
        return x;
    }
    is_exact_slow(text, value)
}

/// The general test, for spellings of any length: compare the decimal the
/// text denotes with the shortest decimal that reads back as `value`.
fn is_exact_slow(text: &[u8], value: f64) -> bool {
    if !value.is_finite() {
        return false;
    }
    let spelled = Spelling::read(text);
    if spelled.sig == 0 {
        return true; // zero of any spelling
    }
    if value == 0.0 {
        return false; // underflow
    }
    // Up to 15 significant digits always survive the round trip to a
    // normal double, and no other decimal that short is as close.
    if spelled.sig <= 15 && value.is_normal() {
        return true;
    }
    if spelled.sig > 17 {
        return false; // a shortest round-trip spelling has at most 17
    }
    let mut buf = ryu::Buffer::new();
    let short = buf.format_finite(value);
    spelled.same_value(&Spelling::read(short.as_bytes()))
}

/// Equality key for number text.
pub(crate) fn num_key(text: &[u8]) -> NumKey {
    let v = parse_number(text);
    if is_exact(text, v) {
        NumKey::Exact(value_bits(v))
    } else {
        NumKey::Inexact(text.into())
    }
}

/// An IP address as one comparable key: IPv4 in the low 32 bits with a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct IpKey {
    pub v6: bool,
    pub bits: u128,
}

/// Parse an IPv4 (leading zeros allowed: `010.000.000.001`) or IPv6 address.
pub(crate) fn parse_ip(s: &[u8]) -> Option<IpKey> {
    if s.is_empty() || s.len() > 45 {
        return None;
    }
    if s.contains(&b':') {
        let text = std::str::from_utf8(s).ok()?;
        let a: std::net::Ipv6Addr = text.parse().ok()?;
        return Some(IpKey {
            v6: true,
            bits: u128::from(a),
        });
    }
    let mut parts = 0;
    let mut acc: u32 = 0;
    let mut cur: u32 = 0;
    let mut digits = 0;
    for &c in s {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 3 {
                    return None;
                }
                cur = cur * 10 + u32::from(c - b'0');
            }
            b'.' => {
                if digits == 0 || cur > 255 {
                    return None;
                }
                acc = (acc << 8) | cur;
                parts += 1;
                cur = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if digits == 0 || cur > 255 || parts != 3 {
        return None;
    }
    acc = (acc << 8) | cur;
    Some(IpKey {
        v6: false,
        bits: u128::from(acc),
    })
}

/// Whether the first byte could start an IP address (cheap filter).
#[inline]
pub(crate) fn may_be_ip(s: &[u8]) -> bool {
    matches!(
        s.first(),
        Some(b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b':')
    ) && s.len() >= 2
}

/// A pattern string prepared for case-insensitive matching: for each
/// pattern character, the byte strings it may appear as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Folded {
    alts: Vec<Vec<Box<[u8]>>>,
    /// EventBridge (event-ruler) builds case-insensitive matchers per UTF-16
    /// unit, so a pattern holding a character outside the Basic
    /// Multilingual Plane never matches anything; we answer the same.
    never: bool,
    /// The pattern's bytes when it is all ASCII (fast path).
    ascii: Option<Box<[u8]>>,
}

impl Folded {
    pub(crate) fn new(pattern: &str) -> Folded {
        let alts = pattern
            .chars()
            .map(|c| {
                let lower: String = c.to_lowercase().collect();
                let upper: String = c.to_uppercase().collect();
                let mut v: Vec<Box<[u8]>> = vec![lower.as_bytes().into()];
                if upper != lower {
                    v.push(upper.as_bytes().into());
                }
                v
            })
            .collect();
        Folded {
            alts,
            never: pattern.chars().any(|c| u32::from(c) > 0xFFFF),
            ascii: pattern.is_ascii().then(|| pattern.as_bytes().into()),
        }
    }

    /// The same pattern read backwards, for suffix tests on reversed text.
    pub(crate) fn reversed(&self) -> Folded {
        Folded {
            alts: self
                .alts
                .iter()
                .rev()
                .map(|a| {
                    a.iter()
                        .map(|s| {
                            let mut r = s.to_vec();
                            r.reverse();
                            r.into_boxed_slice()
                        })
                        .collect()
                })
                .collect(),
            never: self.never,
            ascii: self
                .ascii
                .as_ref()
                .map(|a| a.iter().rev().copied().collect()),
        }
    }

    /// Match at the start of `text`. `whole`: the match must end at the end
    /// of `text` (equals), else any end (prefix).
    pub(crate) fn matches(&self, text: &[u8], whole: bool) -> bool {
        if self.never {
            return false;
        }
        if let Some(ascii) = &self.ascii {
            // An ASCII pattern character matches exactly its two ASCII cases.
            return if whole {
                text.len() == ascii.len() && text.eq_ignore_ascii_case(ascii)
            } else {
                text.len() >= ascii.len() && text[..ascii.len()].eq_ignore_ascii_case(ascii)
            };
        }
        self.walk(text.len(), whole, |p, a| text[p..].starts_with(a))
    }

    /// Run the pattern over `len` bytes of text: `fits(p, alt)` says whether
    /// the alternative `alt` is found `p` bytes into the text (read from the
    /// start, or from the end for a reversed pattern). Live positions are
    /// few (one or two alternatives per character), so they live on the
    /// stack: matching allocates nothing.
    fn walk(&self, len: usize, whole: bool, fits: impl Fn(usize, &[u8]) -> bool) -> bool {
        let mut live = Positions::one(0);
        for alts in &self.alts {
            let mut next = Positions::default();
            for &p in live.as_slice() {
                for a in alts {
                    if p + a.len() <= len && fits(p, a) {
                        next.insert(p + a.len());
                    }
                }
            }
            if next.as_slice().is_empty() {
                return false;
            }
            live = next;
        }
        !whole || live.as_slice().contains(&len)
    }

    /// Suffix test: the pattern (already reversed) at the start of `rev_text`.
    pub(crate) fn matches_suffix(&self, text: &[u8]) -> bool {
        if let (Some(rev), false) = (&self.ascii, self.never) {
            // `rev` is the pattern reversed; compare with the text's tail.
            let n = rev.len();
            return text.len() >= n
                && text[text.len() - n..]
                    .iter()
                    .rev()
                    .zip(rev.iter())
                    .all(|(a, b)| a.eq_ignore_ascii_case(b));
        }
        if self.never {
            return false;
        }
        // Read the text backwards, without copying it: `a` is reversed.
        let n = text.len();
        self.walk(n, false, |p, a| {
            text[..n - p]
                .iter()
                .rev()
                .zip(a.iter())
                .all(|(x, y)| x == y)
        })
    }
}

/// A small set of text offsets, inline up to eight (spilling beyond).
#[derive(Default)]
struct Positions {
    len: usize,
    inline: [usize; 8],
    spill: Vec<usize>,
}

impl Positions {
    fn one(p: usize) -> Positions {
        let mut s = Positions::default();
        s.insert(p);
        s
    }
    fn insert(&mut self, p: usize) {
        if self.as_slice().contains(&p) {
            return;
        }
        if self.len < 8 {
            self.inline[self.len] = p;
        } else {
            if self.len == 8 {
                self.spill = self.inline.to_vec();
            }
            self.spill.push(p);
        }
        self.len += 1;
    }
    fn as_slice(&self) -> &[usize] {
        if self.len <= 8 {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

/// A wildcard prepared for matching: literal runs between stars.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Glob {
    /// Literal pieces; a star stands between each two.
    pieces: Vec<Box<[u8]>>,
}

impl Glob {
    pub(crate) fn new(w: &crate::pattern::Wildcard) -> Glob {
        use crate::pattern::WildcardPart;
        let mut pieces: Vec<Box<[u8]>> = vec![];
        let mut cur = Vec::new();
        for p in &w.parts {
            match p {
                WildcardPart::Literal(s) => cur.extend_from_slice(s.as_bytes()),
                WildcardPart::Star => pieces.push(std::mem::take(&mut cur).into_boxed_slice()),
            }
        }
        pieces.push(cur.into_boxed_slice());
        Glob { pieces }
    }

    /// Leftmost-greedy placement of the middle pieces is optimal when the
    /// only metacharacter is `*`, so this is linear in the text.
    pub(crate) fn matches(&self, text: &[u8]) -> bool {
        let n = self.pieces.len();
        if n == 1 {
            return *text == *self.pieces[0];
        }
        let first = &self.pieces[0];
        let last = &self.pieces[n - 1];
        if text.len() < first.len() + last.len()
            || !text.starts_with(first)
            || !text.ends_with(last)
        {
            return false;
        }
        let mut rest = &text[first.len()..text.len() - last.len()];
        for p in &self.pieces[1..n - 1] {
            // Short texts: a plain scan beats building a searcher.
            let found = match p.len() {
                0 => Some(0),
                1 => memchr::memchr(p[0], rest),
                _ if rest.len() < 64 => rest.windows(p.len()).position(|w| w == &**p),
                _ => memmem::find(rest, p),
            };
            match found {
                Some(i) => rest = &rest[i + p.len()..],
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactness() {
        assert!(is_exact(b"300", 300.0));
        assert!(is_exact(b"3.0e2", 300.0));
        assert!(is_exact(b"-122.42916360922355", -122.42916360922355));
        assert!(!is_exact(b"0.30000000000000001", 0.3));
        assert!(!is_exact(b"9007199254740993", 9007199254740993.0));
        assert!(is_exact(b"9007199254740992", 9007199254740992.0));
        assert!(!is_exact(b"1e400", f64::INFINITY));
        assert!(!is_exact(b"1e-400", 0.0));
        assert!(is_exact(b"-0", 0.0));
        assert_eq!(num_key(b"0"), num_key(b"-0.0e5"));
        assert_eq!(num_key(b"10010e-1"), num_key(b"1001.0"));
    }

    /// Issue 11: exactness does not depend on the length of the spelling.
    #[test]
    fn exactness_of_long_spellings() {
        let max = format!("17976931348623157{}", "0".repeat(292));
        for t in [max.clone(), format!("{max}.0"), format!("-{max}.000")] {
            let v = parse_number(t.as_bytes());
            assert_eq!(v.abs(), f64::MAX, "{t}");
            assert!(is_exact(t.as_bytes(), v), "{t}");
            let short = if t.starts_with('-') {
                "-1.7976931348623157e308"
            } else {
                "1.7976931348623157e308"
            };
            assert_eq!(num_key(t.as_bytes()), num_key(short.as_bytes()), "{t}");
        }
        let long = format!("2.5{}", "0".repeat(60));
        assert!(is_exact(long.as_bytes(), 2.5));
        assert_eq!(num_key(long.as_bytes()), num_key(b"2.5"));
        for t in [
            "25e-1",
            "0.25E1",
            "0.25e+0001",
            "250000e-0005",
            "0.0000025e6",
        ] {
            assert_eq!(num_key(t.as_bytes()), num_key(b"2.5"), "{t}");
        }
        assert_eq!(num_key(b"100000000000000000000000000"), num_key(b"1e26"));
        assert_eq!(num_key(b"0.000000000000000000001"), num_key(b"1e-21"));
        // One digit too many, however far out, is inexact.
        let off = format!("2.5{}1", "0".repeat(300));
        assert!(!is_exact(off.as_bytes(), 2.5));
        let off = format!("17976931348623157{}1", "0".repeat(291));
        assert!(!is_exact(off.as_bytes(), f64::MAX));
        // A long spelling of a subnormal: 5e-324 written out.
        let tiny = format!("0.{}5", "0".repeat(323));
        assert!(is_exact(tiny.as_bytes(), parse_number(tiny.as_bytes())));
        assert!(!is_exact(
            b"4.9406564584124654e-324",
            parse_number(b"4.9406564584124654e-324")
        ));
    }

    /// The fast number paths agree with std's parser and the ryu-based
    /// exactness test, over random spellings near the interesting cases
    /// (16-19 digits, ties, powers of ten, trailing zeros, exponents).
    #[test]
    fn fast_numbers_agree_with_slow() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut texts: Vec<String> = vec![
            "0.1".into(),
            "-122.41832855446205".into(),
            "37.802216768583236".into(),
            "9007199254740993".into(),
            "0.30000000000000001".into(),
            "1.0000000000000002".into(),
            "0.9999999999999999".into(),
            "9.999999999999999e-1".into(),
            "123456789012345678e-5".into(),
            "4.9406564584124654e-324".into(),
            "1e23".into(),
            "-0.0".into(),
        ];
        for _ in 0..300_000 {
            let r = rnd();
            let nd = 1 + (r % 19) as usize;
            let mut digits: String = (0..nd)
                .map(|_| char::from(b'0' + (rnd() % 10) as u8))
                .collect();
            if r >> 8 & 3 == 0 {
                digits.push_str("000");
            }
            let point = (rnd() % (digits.len() as u64 + 1)) as usize;
            let mut t = String::new();
            if r >> 10 & 1 == 1 {
                t.push('-');
            }
            let (a, b) = digits.split_at(point);
            t.push_str(if a.is_empty() { "0" } else { a });
            if !b.is_empty() {
                t.push('.');
                t.push_str(b);
            }
            if r >> 11 & 7 == 0 {
                t.push_str(&format!("e{}", (rnd() % 40) as i64 - 20));
            }
            // Leading zeros are not JSON; strip them from the integer part.
            let t = if let Some(rest) = t.strip_prefix('-') {
                format!("-{}", strip_leading(rest))
            } else {
                strip_leading(&t)
            };
            texts.push(t);
            // Shortest spellings of random doubles, and a digit changed.
            let x = f64::from_bits(rnd() >> 2) % 1e6;
            if x.is_finite() {
                let s = format!("{x:?}");
                texts.push(s.clone());
                let mut bytes = s.into_bytes();
                if let Some(last) = bytes.last_mut() {
                    if last.is_ascii_digit() {
                        *last = b'0' + (*last - b'0' + 1) % 10;
                    }
                }
                texts.push(String::from_utf8(bytes).unwrap());
            }
        }
        let (mut fast_parse, mut fast_exact) = (0, 0);
        for t in &texts {
            let want = t.parse::<f64>().unwrap();
            if let Some(d) = Decimal::parse(t.as_bytes()) {
                fast_parse += usize::from(d.to_f64().is_some());
                fast_exact += usize::from(d.digits >= 16 && d.is_exact(want).is_some());
            }
            let got = parse_number(t.as_bytes());
            assert_eq!(got.to_bits(), want.to_bits(), "parse {t}");
            assert_eq!(
                is_exact(t.as_bytes(), want),
                is_exact_slow(t.as_bytes(), want),
                "exactness of {t}"
            );
        }
        // The fast paths must actually have been exercised.
        assert!(
            fast_parse > texts.len() / 4,
            "{fast_parse} of {}",
            texts.len()
        );
        assert!(
            fast_exact > texts.len() / 20,
            "{fast_exact} of {}",
            texts.len()
        );
    }

    fn strip_leading(s: &str) -> String {
        let t = s.trim_start_matches('0');
        if t.is_empty() || t.starts_with('.') || t.starts_with('e') {
            format!("0{t}")
        } else {
            t.to_string()
        }
    }

    #[test]
    fn ips() {
        assert_eq!(parse_ip(b"10.0.0.1"), parse_ip(b"010.000.000.001"));
        assert_eq!(parse_ip(b"2001:db8::1"), parse_ip(b"2001:DB8:0:0:0:0:0:1"));
        assert_eq!(parse_ip(b"1.2.3"), None);
        assert_eq!(parse_ip(b"256.1.1.1"), None);
    }

    #[test]
    fn folding() {
        let f = Folded::new("straße");
        assert!(f.matches("STRASSE".as_bytes(), true));
        assert!(f.matches("STRAßE".as_bytes(), true));
        assert!(!Folded::new("STRASSE").matches("straße".as_bytes(), true));
        assert!(!Folded::new("k").matches("\u{212A}".as_bytes(), true));
        assert!(Folded::new("ΣΊΣΥΦΟΣ").matches("σίσυφοσ".as_bytes(), true));
        assert!(!Folded::new("ΣΊΣΥΦΟΣ").matches("σίσυφος".as_bytes(), true));
        assert!(Folded::new("ab").reversed().matches_suffix(b"xxAB"));
        // Outside the BMP: never, as EventBridge.
        assert!(!Folded::new("a🎁").matches("a🎁".as_bytes(), true));
    }

    #[test]
    fn globs() {
        use crate::pattern::{Wildcard, WildcardPart::*};
        let w = |parts| {
            Glob::new(&Wildcard {
                text: String::new(),
                parts,
            })
        };
        let g = w(vec![
            Literal("a".into()),
            Star,
            Literal("b".into()),
            Star,
            Literal("c".into()),
        ]);
        assert!(g.matches(b"abc"));
        assert!(g.matches(b"axxbyyc"));
        assert!(!g.matches(b"ac"));
        assert!(!w(vec![Literal("ab".into()), Star, Literal("ba".into())]).matches(b"aba"));
        assert!(w(vec![]).matches(b""));
        assert!(!w(vec![]).matches(b"x"));
        assert!(w(vec![Star]).matches(b"anything"));
    }
}
