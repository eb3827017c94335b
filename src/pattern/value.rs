//! Value-level predicates: does one condition hold for one event leaf?
//!
//! These are the definitions of spec section 3 written once, plainly, so
//! that the reference evaluator ([`crate::reference`]) and the fast matcher
//! agree by construction on the subtle parts: number exactness, ignoring
//! case per pattern character, IP address spellings, CIDR blocks,
//! wildcards and `anything-but`.
//!
//! Nothing here knows about paths, arrays or `exists: false`: those are
//! properties of the whole event, handled by the callers.
//!
//! # Wildcard complexity
//!
//! [`wildcard_complexity`] measures a wildcard as the spec asks: the largest
//! number of pattern positions that can be live at once while some string is
//! read. "Positions" are those of the position (Glushkov) automaton: one
//! state per pattern character or star, where a star, once reached, stays
//! live for the rest of the input and a literal character is live right
//! after it was matched. Exploring every reachable set of states is
//! exponential in general, but for wildcards the maximum has a closed form:
//!
//! * before the first star exactly one position is live;
//! * once reached, every star stays live, and a literal position `q` of
//!   the segment after star `j` is live exactly when the first `q`
//!   characters of that segment are the last `q` characters read;
//! * reading a string that reaches every star and then ends with some
//!   prefix `P` of a segment is optimal, because every live literal prefix
//!   is a suffix of the longest one.
//!
//! So the measure is `stars + max over prefixes P of the segments of the
//! number of (segment, q) pairs whose q-prefix is a suffix of P`, computed
//! with one Knuth-Morris-Pratt run per pair of segments: polynomial and tiny
//! (O(stars x length)). It scores `/Users/*/dir/dir/dir/dir/dir/doc.txt` 7
//! (the star and the five `/` after `dir`s plus the one after the star),
//! `arn:aws:events:us-east-1:*:event-bus/*` 3 and `*:*:*:*:*:event-bus/*` 11
//! (six stars and the five `:` after them), matching what AWS accepts and
//! rejects; a unit test checks it against the brute-force subset
//! exploration on random patterns.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ast::{AnythingBut, Cidr, ConditionKind, Number, Range, WildcardPart};

/// One scalar value of an event, as a condition sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum LeafValue<'a> {
    /// A string (already unescaped).
    String(&'a str),
    /// A number: its source text, nearest double and exactness (see
    /// [`number_value`]).
    Number {
        /// The text as written in the event.
        text: &'a str,
        /// The nearest double.
        value: f64,
        /// Whether the double stands for exactly the decimal written.
        exact: bool,
    },
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl<'a> LeafValue<'a> {
    /// A number leaf from its (valid JSON) source text.
    pub(crate) fn number(text: &'a str) -> LeafValue<'a> {
        let (value, exact) = number_value(text);
        LeafValue::Number { text, value, exact }
    }
}

/// The nearest double to a JSON number text (infinite when out of range)
/// and whether it is exact: converting the text to a double and back to
/// the shortest decimal that round-trips (ryu) gives the same decimal value.
/// `-0` is exact (it denotes zero); `1e400`, `0.30000000000000001` and
/// `9007199254740993` are not.
pub(crate) fn number_value(text: &str) -> (f64, bool) {
    let value: f64 = text.parse().unwrap_or(f64::NAN);
    if !value.is_finite() {
        return (value, false);
    }
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(value);
    (value, decimal_key(text) == decimal_key(shortest))
}

/// A decimal text reduced to (negative, significant digits, exponent) with
/// value `0.digits x 10^exponent`; zero is `(false, "", 0)`.
fn decimal_key(text: &str) -> (bool, Vec<u8>, i64) {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    // Saturate huge exponents: beyond +-10^15 the double is 0 or infinite
    // anyway, and the comparison only needs to stay consistent.
    let mut e: i64 = 0;
    let (eneg, edigits) = match exp.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, exp.strip_prefix('+').unwrap_or(exp)),
    };
    for b in edigits.bytes() {
        e = (e * 10 + i64::from(b - b'0')).min(1_000_000_000_000_000);
    }
    if eneg {
        e = -e;
    }
    let (int, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let mut point = int.len() as i64;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..lead);
    point -= lead as i64;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (false, Vec::new(), 0);
    }
    (neg, digits, point + e)
}

/// Whether an event number equals a pattern number: by value when both are
/// exact (`3` = `3.0` = `3e0`, `-0` = `0`), otherwise only when spelled
/// identically.
pub(crate) fn number_equals(pattern: &Number, text: &str, value: f64, exact: bool) -> bool {
    if pattern.exact && exact {
        pattern.value == value
    } else {
        pattern.text == text
    }
}

/// Whether `value` lies in `range`. Only exact event numbers are compared;
/// an inexact one never satisfies `numeric`.
pub(crate) fn range_contains(range: &Range, value: f64, exact: bool) -> bool {
    if !exact {
        return false;
    }
    let above = match range.lower {
        None => true,
        Some(b) if b.inclusive => value >= b.value,
        Some(b) => value > b.value,
    };
    let below = match range.upper {
        None => true,
        Some(b) if b.inclusive => value <= b.value,
        Some(b) => value < b.value,
    };
    above && below
}

/// The texts one pattern character may match when ignoring case: its full
/// lower-case mapping and its full upper-case mapping (Rust's
/// locale-independent `char::to_lowercase` / `to_uppercase`). The character
/// itself is not added: the spec defines the match by the two mappings only.
fn case_forms(c: char) -> [String; 2] {
    [c.to_lowercase().collect(), c.to_uppercase().collect()]
}

/// Byte positions in `text` reachable after matching all of `pattern`
/// ignoring case, starting at byte `start` and reading forwards.
fn ignore_case_ends(pattern: &str, text: &str, start: usize) -> Vec<usize> {
    if beyond_bmp(pattern) {
        return Vec::new();
    }
    let mut live = vec![start];
    for c in pattern.chars() {
        let forms = case_forms(c);
        let mut next = Vec::new();
        for &p in &live {
            for f in &forms {
                if text[p..].starts_with(f.as_str()) {
                    next.push(p + f.len());
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        if next.is_empty() {
            return next;
        }
        live = next;
    }
    live
}

/// EventBridge (event-ruler) builds its case-insensitive matchers per
/// UTF-16 unit, so a pattern holding a character outside the Basic
/// Multilingual Plane never matches (recorded: `"SKu-🎁"` does not match
/// `"SKU-🎁"`). We answer the same.
fn beyond_bmp(pattern: &str) -> bool {
    pattern.chars().any(|c| u32::from(c) > 0xFFFF)
}

/// `equals-ignore-case`: each character `c` of `pattern` matches exactly
/// the text of `c`'s lower-case or upper-case mapping; the event text is
/// never transformed (`"straße"` matches `"STRASSE"`, not the reverse).
pub(crate) fn ignore_case_equals(pattern: &str, text: &str) -> bool {
    ignore_case_ends(pattern, text, 0).contains(&text.len())
}

/// `prefix` with `equals-ignore-case`: some prefix of `text` matches
/// `pattern` ignoring case.
pub(crate) fn ignore_case_prefix(pattern: &str, text: &str) -> bool {
    !ignore_case_ends(pattern, text, 0).is_empty()
}

/// `suffix` with `equals-ignore-case`: some suffix of `text` matches
/// `pattern` ignoring case.
pub(crate) fn ignore_case_suffix(pattern: &str, text: &str) -> bool {
    if beyond_bmp(pattern) {
        return false;
    }
    // Read backwards: start positions that can reach the end.
    let mut live = vec![text.len()];
    for c in pattern.chars().rev() {
        let forms = case_forms(c);
        let mut next = Vec::new();
        for &p in &live {
            for f in &forms {
                if text[..p].ends_with(f.as_str()) {
                    next.push(p - f.len());
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        if next.is_empty() {
            return false;
        }
        live = next;
    }
    true
}

/// Whether `text` matches the wildcard: each star stands for any run of
/// characters, the empty run included; literals match exactly.
pub(crate) fn wildcard_matches(parts: &[WildcardPart], text: &str) -> bool {
    // Set of byte positions in `text` reachable after each part.
    let mut live = vec![0usize];
    for part in parts {
        let mut next = Vec::new();
        match part {
            WildcardPart::Star => {
                if let Some(&min) = live.iter().min() {
                    next.extend((min..=text.len()).filter(|&p| text.is_char_boundary(p)));
                }
            }
            WildcardPart::Literal(lit) => {
                for &p in &live {
                    if text[p..].starts_with(lit.as_str()) {
                        next.push(p + lit.len());
                    }
                }
                next.sort_unstable();
                next.dedup();
            }
        }
        if next.is_empty() {
            return false;
        }
        live = next;
    }
    live.contains(&text.len())
}

/// The wildcard complexity measure described in the module docs: the
/// largest number of positions of the wildcard that can be live at once
/// while some string is read.
pub(crate) fn wildcard_complexity(parts: &[WildcardPart]) -> usize {
    // The literal segment after each star.
    let mut segments: Vec<Vec<char>> = Vec::new();
    for part in parts {
        match part {
            WildcardPart::Star => segments.push(Vec::new()),
            WildcardPart::Literal(lit) => {
                if let Some(seg) = segments.last_mut() {
                    seg.extend(lit.chars());
                }
            }
        }
    }
    if segments.is_empty() {
        return 1;
    }
    // KMP failure function and, for each state q, how many q' in 1..=q are
    // borders of the q-prefix (q itself included).
    let tables: Vec<(Vec<usize>, Vec<usize>)> = segments
        .iter()
        .map(|s| {
            let mut fail = vec![0usize; s.len() + 1];
            let mut k = 0;
            for i in 1..s.len() {
                while k > 0 && s[i] != s[k] {
                    k = fail[k];
                }
                if s[i] == s[k] {
                    k += 1;
                }
                fail[i + 1] = k;
            }
            let mut chain = vec![0usize; s.len() + 1];
            for q in 1..=s.len() {
                chain[q] = chain[fail[q]] + 1;
            }
            (fail, chain)
        })
        .collect();
    let mut best = 0;
    for text in &segments {
        let mut counts = vec![0usize; text.len() + 1];
        for (seg, (fail, chain)) in segments.iter().zip(&tables) {
            if seg.is_empty() {
                continue;
            }
            let mut q = 0;
            for (p, &c) in text.iter().enumerate() {
                if q == seg.len() {
                    q = fail[q];
                }
                while q > 0 && seg[q] != c {
                    q = fail[q];
                }
                if seg[q] == c {
                    q += 1;
                }
                counts[p + 1] += chain[q];
            }
        }
        best = best.max(counts.into_iter().max().unwrap_or(0));
    }
    segments.len() + best
}

/// Parse an IP address in any spelling the spec accepts: IPv4 as four
/// decimal groups of one to three digits (leading zeros allowed, each at
/// most 255), IPv6 in any valid RFC 4291 form (any case, `::`, leading
/// zeros, embedded IPv4).
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    if text.contains(':') {
        return text.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let mut octets = [0u8; 4];
    let mut n = 0;
    for group in text.split('.') {
        if n == 4
            || group.is_empty()
            || group.len() > 3
            || !group.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        octets[n] = group.parse::<u16>().ok().filter(|&v| v <= 255)? as u8;
        n += 1;
    }
    (n == 4).then(|| IpAddr::V4(Ipv4Addr::from(octets)))
}

/// Whether a string condition matches a string leaf: same characters, or
/// both valid IP addresses of the same family with the same value
/// (`"10.0.0.1"` matches `"010.000.000.001"`).
pub(crate) fn string_equals(pattern: &str, text: &str) -> bool {
    pattern == text
        || match parse_ip(pattern) {
            Some(ip) => parse_ip(text) == Some(ip),
            None => false,
        }
}

/// An address as EventBridge compares it: upper-case hex digits, 8 for
/// IPv4 and 32 for IPv6.
fn ip_hex(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => format!("{:08X}", u32::from(a)),
        IpAddr::V6(a) => format!("{:032X}", u128::from(a)),
    }
}

/// Whether the address `ip` is inside the block `cidr`: same family, same
/// first `prefix_len` bits. Across families EventBridge compares the hex
/// strings of the address and of the block's first and last address
/// (recorded: `0.0.0.0/0` matches `fe80::e00`); we answer the same.
pub(crate) fn cidr_contains_ip(cidr: &Cidr, ip: IpAddr) -> bool {
    if cidr.network.is_ipv4() != ip.is_ipv4() {
        let (first, last) = match cidr.network {
            IpAddr::V4(net) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(cidr.prefix_len))
                    .unwrap_or(0);
                let lo = u32::from(net) & mask;
                (
                    IpAddr::from(std::net::Ipv4Addr::from(lo)),
                    IpAddr::from(std::net::Ipv4Addr::from(lo | !mask)),
                )
            }
            IpAddr::V6(net) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(cidr.prefix_len))
                    .unwrap_or(0);
                let lo = u128::from(net) & mask;
                (
                    IpAddr::from(std::net::Ipv6Addr::from(lo)),
                    IpAddr::from(std::net::Ipv6Addr::from(lo | !mask)),
                )
            }
        };
        let h = ip_hex(ip);
        return ip_hex(first) <= h && h <= ip_hex(last);
    }
    match (cidr.network, ip) {
        (IpAddr::V4(net), IpAddr::V4(a)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(cidr.prefix_len))
                .unwrap_or(0);
            u32::from(net) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(a)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(cidr.prefix_len))
                .unwrap_or(0);
            u128::from(net) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// Whether the string leaf `text` is an IP address inside `cidr`.
pub(crate) fn cidr_contains(cidr: &Cidr, text: &str) -> bool {
    parse_ip(text).is_some_and(|ip| cidr_contains_ip(cidr, ip))
}

/// Whether an `anything-but` excludes the leaf, i.e. the leaf is "one of
/// these" (so the condition does not hold). Leaves of another type are
/// never excluded: a numeric list does not exclude strings, `null` or
/// booleans; a string list does not exclude numbers.
pub(crate) fn anything_but_excludes(ab: &AnythingBut, leaf: LeafValue<'_>) -> bool {
    match (ab, leaf) {
        (AnythingBut::Strings(list), LeafValue::String(t)) => {
            list.iter().any(|s| string_equals(s, t))
        }
        (AnythingBut::Numbers(list), LeafValue::Number { text, value, exact }) => {
            list.iter().any(|n| number_equals(n, text, value, exact))
        }
        (AnythingBut::Prefix(list), LeafValue::String(t)) => {
            list.iter().any(|p| t.starts_with(p.as_str()))
        }
        (AnythingBut::Suffix(list), LeafValue::String(t)) => {
            list.iter().any(|s| t.ends_with(s.as_str()))
        }
        (AnythingBut::EqualsIgnoreCase(list), LeafValue::String(t)) => {
            list.iter().any(|s| ignore_case_equals(s, t))
        }
        (AnythingBut::Wildcard(list), LeafValue::String(t)) => {
            list.iter().any(|w| wildcard_matches(&w.parts, t))
        }
        _ => false,
    }
}

/// Whether condition `cond` holds for one leaf of the event.
///
/// `exists: true` holds for every leaf; `exists: false` for none (it is
/// about the absence of leaves, which only the caller can judge).
pub(crate) fn condition_matches_leaf(cond: &ConditionKind, leaf: LeafValue<'_>) -> bool {
    use LeafValue as L;
    match (cond, leaf) {
        (ConditionKind::Exists(yes), _) => *yes,
        (ConditionKind::AnythingBut(ab), leaf) => !anything_but_excludes(ab, leaf),
        (ConditionKind::String(s), L::String(t)) => string_equals(s, t),
        (ConditionKind::Number(n), L::Number { text, value, exact }) => {
            number_equals(n, text, value, exact)
        }
        (ConditionKind::Bool(b), L::Bool(v)) => *b == v,
        (ConditionKind::Null, L::Null) => true,
        (ConditionKind::Prefix(p), L::String(t)) => t.starts_with(p.as_str()),
        (ConditionKind::PrefixIgnoreCase(p), L::String(t)) => ignore_case_prefix(p, t),
        (ConditionKind::Suffix(s), L::String(t)) => t.ends_with(s.as_str()),
        (ConditionKind::SuffixIgnoreCase(s), L::String(t)) => ignore_case_suffix(s, t),
        (ConditionKind::EqualsIgnoreCase(s), L::String(t)) => ignore_case_equals(s, t),
        (ConditionKind::Wildcard(w), L::String(t)) => wildcard_matches(&w.parts, t),
        (ConditionKind::Numeric(r), L::Number { value, exact, .. }) => {
            range_contains(r, value, exact)
        }
        (ConditionKind::Cidr(c), L::String(t)) => cidr_contains(c, t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<WildcardPart> {
        let mut out = Vec::new();
        for c in s.chars() {
            if c == '*' {
                out.push(WildcardPart::Star);
            } else if let Some(WildcardPart::Literal(l)) = out.last_mut() {
                l.push(c);
            } else {
                out.push(WildcardPart::Literal(c.to_string()));
            }
        }
        out
    }

    #[test]
    fn exactness() {
        for (t, exact) in [
            ("3", true),
            ("3.0", true),
            ("3e0", true),
            ("-0", true),
            ("0.0e10", true),
            ("301.8", true),
            ("1e400", false),
            ("-1e400", false),
            ("1e-400", false),
            ("0.30000000000000001", false),
            ("9007199254740993", false),
            ("9007199254740992", true),
            ("12345678901234567890", false),
            ("1.00000000000000001", false),
            ("-1.7976931348623157e308", true),
            ("5e-324", true),
            ("1e999999", false),
            ("0e999999999999999999999", true),
            ("0.1234567", true),
        ] {
            assert_eq!(number_value(t).1, exact, "{t}");
        }
    }

    #[test]
    fn ignore_case() {
        assert!(ignore_case_equals("straße", "STRASSE"));
        assert!(ignore_case_equals("straße", "STRAßE"));
        assert!(ignore_case_equals("straße", "straße"));
        assert!(!ignore_case_equals("STRASSE", "straße"));
        assert!(ignore_case_equals("ΣΊΣΥΦΟΣ", "σίσυφοσ"));
        assert!(!ignore_case_equals("ΣΊΣΥΦΟΣ", "σίσυφος"));
        assert!(!ignore_case_equals("k", "\u{212A}"));
        assert!(ignore_case_equals("i", "I"));
        assert!(!ignore_case_equals("i", "İ"));
        assert!(!ignore_case_equals("i", "ı"));
        assert!(ignore_case_equals("", ""));
        assert!(ignore_case_prefix("IMG/", "img/a.png"));
        assert!(ignore_case_suffix(".PNG", "a.png"));
        assert!(ignore_case_suffix("ß", "STRASS"));
        assert!(!ignore_case_suffix("xß", "STRASS"));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_matches(
            &parts("uploads/*/raw/*.jpg"),
            "uploads/a/raw/b.jpg"
        ));
        assert!(wildcard_matches(&parts("*"), ""));
        assert!(wildcard_matches(&parts(""), ""));
        assert!(!wildcard_matches(&parts(""), "a"));
        assert!(wildcard_matches(&parts("a*é*"), "aéé"));
        assert!(!wildcard_matches(&parts("a*b"), "ab c"));
    }

    #[test]
    fn ips() {
        assert!(string_equals("10.0.0.1", "010.000.000.001"));
        assert!(string_equals("2001:db8::1", "2001:DB8:0:0:0:0:0:1"));
        assert!(!string_equals("10.0.0.1", "10.0.0.2"));
        assert!(parse_ip("256.0.0.1").is_none());
        assert!(parse_ip("1.2.3").is_none());
        let c = Cidr {
            network: "10.0.0.0".parse().unwrap(),
            prefix_len: 24,
        };
        assert!(cidr_contains(&c, "10.0.0.255"));
        assert!(!cidr_contains(&c, "10.0.1.0"));
        let z = Cidr {
            network: "10.1.2.3".parse().unwrap(),
            prefix_len: 0,
        };
        assert!(cidr_contains(&z, "200.0.0.1"));
        assert!(cidr_contains(&z, "::1")); // EventBridge compares across families
    }

    #[test]
    fn complexity_examples() {
        assert_eq!(
            wildcard_complexity(&parts("/Users/*/dir/dir/dir/dir/dir/doc.txt")),
            7
        );
        assert_eq!(
            wildcard_complexity(&parts("arn:aws:events:us-east-1:*:event-bus/*")),
            3
        );
        assert_eq!(wildcard_complexity(&parts("*:*:*:*:*:event-bus/*")), 11);
        assert_eq!(wildcard_complexity(&parts("abc")), 1);
        assert_eq!(wildcard_complexity(&parts("*")), 1);
    }

    /// The closed form equals the maximum over all reachable state sets of
    /// the position automaton, found by exhaustive search.
    #[test]
    fn complexity_matches_brute_force() {
        fn brute(p: &[char]) -> usize {
            use std::collections::BTreeSet;
            let m = p.len();
            // state i = position i consumed; usize::MAX = start.
            let step = |set: &BTreeSet<usize>, c: char| {
                let mut out = BTreeSet::new();
                for &k in set {
                    if k != usize::MAX && p[k] == '*' {
                        out.insert(k);
                    }
                    let mut j = if k == usize::MAX { 0 } else { k + 1 };
                    while j < m {
                        if p[j] == '*' {
                            out.insert(j);
                            j += 1;
                        } else {
                            if p[j] == c {
                                out.insert(j);
                            }
                            break;
                        }
                    }
                }
                out
            };
            let mut alphabet: Vec<char> = p.iter().copied().filter(|&c| c != '*').collect();
            alphabet.push('#');
            alphabet.sort_unstable();
            alphabet.dedup();
            let start: BTreeSet<usize> = [usize::MAX].into_iter().collect();
            let mut seen = BTreeSet::new();
            let mut todo = vec![start.clone()];
            seen.insert(start);
            let mut best = 1;
            while let Some(s) = todo.pop() {
                for &c in &alphabet {
                    let n = step(&s, c);
                    if !n.is_empty() && !seen.contains(&n) {
                        best = best.max(n.len());
                        seen.insert(n.clone());
                        todo.push(n);
                    }
                }
            }
            best
        }
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 11) as usize;
            let mut s = String::new();
            let mut x = seed;
            for _ in 0..len {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let c = ['a', 'b', '*', 'a', 'b', ':'][(x >> 33) as usize % 6];
                if c == '*' && s.ends_with('*') {
                    continue;
                }
                s.push(c);
            }
            let chars: Vec<char> = s.chars().collect();
            assert_eq!(wildcard_complexity(&parts(&s)), brute(&chars), "{s}");
        }
    }
}
