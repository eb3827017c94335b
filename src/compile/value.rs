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

/// The canonical bits used as an equality key (`-0` and `0` agree).
pub(crate) fn value_bits(v: f64) -> u64 {
    if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// Decimal digits and exponent of number text, with leading and trailing
/// zeros removed: `value = 0.d1d2d3... * 10^exp`. Returns `(negative,
/// digit count, exponent)` and fills `digits`.
fn decimal_parts(text: &[u8], digits: &mut [u8; 40]) -> Option<(bool, usize, i64)> {
    let mut i = 0;
    let neg = text.first() == Some(&b'-');
    if neg {
        i += 1;
    }
    let mut n = 0usize;
    let mut point_exp: i64 = 0; // digits seen before the decimal point
    let mut seen_point = false;
    let mut leading = true;
    while i < text.len() {
        let c = text[i];
        match c {
            b'0'..=b'9' => {
                if leading && c == b'0' {
                    if seen_point {
                        point_exp -= 1;
                    }
                } else {
                    leading = false;
                    if n >= digits.len() {
                        return None;
                    }
                    digits[n] = c;
                    n += 1;
                    if !seen_point {
                        point_exp += 1;
                    }
                }
            }
            b'.' => seen_point = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    let mut exp: i64 = 0;
    if i < text.len() {
        let s = std::str::from_utf8(&text[i + 1..]).ok()?;
        exp = s
            .trim_start_matches('+')
            .parse::<i64>()
            .unwrap_or(if s.starts_with('-') {
                i64::MIN / 4
            } else {
                i64::MAX / 4
            });
    }
    while n > 0 && digits[n - 1] == b'0' {
        n -= 1;
    }
    Some((neg && n > 0, n, point_exp.saturating_add(exp)))
}

/// True when the double `value` (parsed from `text`) stands for exactly the
/// decimal `text` denotes in its shortest round-trip form.
pub(crate) fn is_exact(text: &[u8], value: f64) -> bool {
    if !value.is_finite() {
        return false;
    }
    // Count significant digits; up to 15 always survive a round trip when
    // the result is a normal double.
    let mut sig = 0;
    let mut leading = true;
    let mut all_zero = true;
    for &c in text {
        match c {
            b'0' if leading => {}
            b'0'..=b'9' => {
                leading = false;
                all_zero = false;
                sig += 1;
            }
            b'e' | b'E' => break,
            _ => {}
        }
    }
    if all_zero {
        return true; // zero of any spelling
    }
    if value == 0.0 {
        return false; // underflow
    }
    if sig <= 15 && value.is_normal() {
        return true;
    }
    let mut buf = ryu::Buffer::new();
    let short = buf.format_finite(value);
    let mut a = [0u8; 40];
    let mut b = [0u8; 40];
    match (
        decimal_parts(text, &mut a),
        decimal_parts(short.as_bytes(), &mut b),
    ) {
        (Some((na, la, ea)), Some((nb, lb, eb))) => na == nb && ea == eb && a[..la] == b[..lb],
        _ => false,
    }
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
        // Positions still alive: text offsets reached after i pattern chars.
        let mut live: Vec<usize> = vec![0];
        let mut next: Vec<usize> = Vec::new();
        for alts in &self.alts {
            next.clear();
            for &p in &live {
                for a in alts {
                    if text[p..].starts_with(a) && !next.contains(&(p + a.len())) {
                        next.push(p + a.len());
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            std::mem::swap(&mut live, &mut next);
        }
        !whole || live.contains(&text.len())
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
        let mut rev = text.to_vec();
        rev.reverse();
        self.matches(&rev, false)
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
            match memmem::find(rest, p) {
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
