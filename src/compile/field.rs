//! The value index of one transition: given a leaf's value, which next
//! states does it lead to?
//!
//! Conditions that can be looked up by key (exact strings, IP addresses,
//! numbers, literals, ASCII case-insensitive equality, prefixes and
//! suffixes by length) live in hash maps, so the cost of a lookup does not
//! grow with the number of rules. The rest (numeric ranges, wildcards,
//! cidr, anything-but, non-ASCII case folding) is a list tested in order.

use std::hash::{BuildHasherDefault, Hasher};

/// Hash maps keyed by values. Their keys come from rules (trusted input);
/// events only choose what is looked up, so a fast non-keyed hash is safe
/// here and SipHash would be most of the cost of a lookup.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// FxHash-style multiplicative hashing, eight bytes at a time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let r = chunks.remainder();
        if !r.is_empty() {
            let mut buf = [0u8; 8];
            buf[..r.len()].copy_from_slice(r);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits depending only on the low bits
        // of the input, and the table picks buckets by the low bits: keys
        // sharing their first byte (`S1`, `S2`, ...) would all collide.
        // A final mix (murmur3's fmix64) spreads every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

use super::value::{
    is_exact, may_be_ip, num_key, parse_ip, parse_number, value_bits, Decimal, Folded, Glob, IpKey,
    NumKey,
};
use crate::event::LeafKind;
use crate::pattern::{AnythingBut, ConditionKind};

/// A small set of state ids. Up to two live inline, so a lookup in a
/// large table touches one cache line, not a second one on the heap.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ids {
    len: u32,
    inline: [u32; 2],
    heap: Vec<u32>,
}

impl Ids {
    pub(crate) fn add(&mut self, id: u32) {
        if self.as_slice().contains(&id) {
            return;
        }
        match self.len {
            0 | 1 => self.inline[self.len as usize] = id,
            2 => {
                self.heap = self.inline.to_vec();
                self.heap.push(id);
            }
            _ => self.heap.push(id),
        }
        self.len += 1;
    }
    pub(crate) fn remove(&mut self, id: u32) {
        let mut v: Vec<u32> = self
            .as_slice()
            .iter()
            .copied()
            .filter(|&x| x != id)
            .collect();
        *self = Ids::default();
        for x in v.drain(..) {
            self.add(x);
        }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u32] {
        if self.len <= 2 {
            &self.inline[..self.len as usize]
        } else {
            &self.heap
        }
    }
}

/// A byte-string key; short ones are stored inline so that comparing a
/// candidate in a large table does not chase a pointer.
#[derive(Clone)]
pub(crate) enum Key {
    Inline(u8, [u8; 22]),
    Heap(Box<[u8]>),
}

impl Key {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        match self {
            Key::Inline(n, b) => &b[..*n as usize],
            Key::Heap(b) => b,
        }
    }
}

impl From<&[u8]> for Key {
    fn from(s: &[u8]) -> Key {
        if s.len() <= 22 {
            let mut b = [0u8; 22];
            b[..s.len()].copy_from_slice(s);
            Key::Inline(s.len() as u8, b)
        } else {
            Key::Heap(s.into())
        }
    }
}

impl From<Vec<u8>> for Key {
    fn from(s: Vec<u8>) -> Key {
        Key::from(s.as_slice())
    }
}

impl std::borrow::Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        self.as_slice() == o.as_slice()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    // Must hash exactly as `[u8]` does, for lookups by slice.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

/// A 256-bit summary of a table's keys by length, first and last byte.
/// Most values that are no key at all are turned away by one bit test,
/// before they are hashed (or, for the case-insensitive tables, copied in
/// lower case). Removal does not clear bits: a stale bit costs only a
/// probe, and the summary is rebuilt once removals outnumber the live keys.
#[derive(Clone, Debug, Default)]
struct Sieve {
    bits: [u64; 4],
    removed: usize,
}

impl Sieve {
    #[inline]
    fn slot(len: usize, first: u8, last: u8) -> usize {
        let x = ((len as u32) << 16) | (u32::from(first) << 8) | u32::from(last);
        (x.wrapping_mul(0x9E37_79B1) >> 24) as usize
    }
    fn add(&mut self, key: &[u8]) {
        let (first, last) = ends(key);
        let s = Sieve::slot(key.len(), first, last);
        self.bits[s >> 6] |= 1 << (s & 63);
    }
    /// Whether some key may have this length and these end bytes.
    #[inline]
    fn may_hold(&self, len: usize, first: u8, last: u8) -> bool {
        let s = Sieve::slot(len, first, last);
        (self.bits[s >> 6] >> (s & 63)) & 1 != 0
    }
}

/// The first and last byte of `key` (0 for an empty key).
#[inline]
fn ends(key: &[u8]) -> (u8, u8) {
    (
        key.first().copied().unwrap_or(0),
        key.last().copied().unwrap_or(0),
    )
}

/// A table from byte strings to state ids, behind a [`Sieve`].
#[derive(Clone, Debug, Default)]
struct Keyed {
    map: HashMap<Key, Ids>,
    sieve: Sieve,
}

impl Keyed {
    fn add(&mut self, key: &[u8], id: u32) {
        self.map.entry(key.into()).or_default().add(id);
        self.sieve.add(key);
    }
    fn remove(&mut self, key: &[u8], id: u32) {
        let Some(ids) = self.map.get_mut(key) else {
            return;
        };
        ids.remove(id);
        if !ids.is_empty() {
            return;
        }
        self.map.remove(key);
        self.sieve.removed += 1;
        if self.sieve.removed > self.map.len() {
            let mut sieve = Sieve::default();
            for k in self.map.keys() {
                sieve.add(k.as_slice());
            }
            self.sieve = sieve;
        }
    }
    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    #[inline]
    fn get(&self, key: &[u8]) -> Option<&Ids> {
        let (first, last) = ends(key);
        if !self.sieve.may_hold(key.len(), first, last) {
            return None;
        }
        self.map.get(key)
    }
    /// Whether a lower-case key may equal `v` in lower case.
    #[inline]
    fn may_hold_lower(&self, v: &[u8]) -> bool {
        let (first, last) = ends(v);
        !self.map.is_empty()
            && self.sieve.may_hold(
                v.len(),
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase(),
            )
    }
}

/// Keys of one length class, probed by slicing the value.
#[derive(Clone, Debug, Default)]
struct Affixes {
    by_key: Keyed,
    /// Distinct key lengths, ascending, each with its number of keys.
    lens: Vec<(usize, usize)>,
}

impl Affixes {
    fn add(&mut self, key: &[u8], id: u32) {
        let new = !self.by_key.map.contains_key(key);
        self.by_key.add(key, id);
        if new {
            match self.lens.binary_search_by_key(&key.len(), |&(l, _)| l) {
                Ok(i) => self.lens[i].1 += 1,
                Err(i) => self.lens.insert(i, (key.len(), 1)),
            }
        }
    }
    fn remove(&mut self, key: &[u8], id: u32) {
        let had = self.by_key.map.contains_key(key);
        self.by_key.remove(key, id);
        if had && !self.by_key.map.contains_key(key) {
            if let Ok(i) = self.lens.binary_search_by_key(&key.len(), |&(l, _)| l) {
                self.lens[i].1 -= 1;
                if self.lens[i].1 == 0 {
                    self.lens.remove(i);
                }
            }
        }
    }
    #[inline]
    fn probe(&self, v: &[u8], suffix: bool, out: &mut Vec<u32>) {
        for &(l, _) in &self.lens {
            if l > v.len() {
                break;
            }
            let k = if suffix { &v[v.len() - l..] } else { &v[..l] };
            if let Some(ids) = self.by_key.get(k) {
                out.extend_from_slice(ids.as_slice());
            }
        }
    }
    /// Whether probing the lower-case copy of `v` may find anything.
    #[inline]
    fn may_hit_lower(&self, v: &[u8], suffix: bool) -> bool {
        self.lens
            .iter()
            .take_while(|&&(l, _)| l <= v.len())
            .any(|&(l, _)| {
                let k = if suffix { &v[v.len() - l..] } else { &v[..l] };
                self.by_key.may_hold_lower(k)
            })
    }
}

/// Tests that have no key to look up.
#[derive(Clone, Debug)]
enum Test {
    Cidr {
        v6: bool,
        lo: u128,
        hi: u128,
    },
    Wildcard(Glob),
    FoldedEquals(Folded),
    FoldedPrefix(Folded),
    /// Stored reversed.
    FoldedSuffix(Folded),
    ButStrings(Vec<Box<[u8]>>, Vec<IpKey>),
    /// Excluded exact values (by bits) and inexact spellings.
    ButNumbers(Vec<u64>, Vec<Box<[u8]>>),
    ButPrefix(Vec<Box<[u8]>>),
    ButSuffix(Vec<Box<[u8]>>),
    ButFolded(Vec<Folded>),
    ButWildcard(Vec<Glob>),
}

/// A leaf value as the index sees it.
pub(crate) struct Value<'a> {
    pub kind: LeafKind,
    pub bytes: &'a [u8],
    /// Numbers: digits before and after the point, if known (255: not).
    pub shape: [u8; 2],
}

/// Lazily computed facts about a leaf value, so each is worked out once,
/// and only when some condition needs it (exactness is the costly one and
/// is only asked after a value test has passed).
#[derive(Default)]
struct Facts {
    value: Option<f64>,
    decimal: Option<Decimal>,
    exact: Option<bool>,
    ip: Option<Option<IpKey>>,
}

impl Facts {
    #[inline]
    fn value(&mut self, v: &Value) -> f64 {
        if let Some(x) = self.value {
            return x;
        }
        let d = if v.shape[0] == 255 || v.shape[1] == 255 {
            Decimal::parse(v.bytes)
        } else {
            Decimal::parse_shaped(v.bytes, v.shape)
        };
        self.decimal = d;
        let x = d
            .and_then(Decimal::to_f64)
            .unwrap_or_else(|| parse_number(v.bytes));
        self.value = Some(x);
        x
    }
    #[inline]
    fn exact(&mut self, v: &Value) -> bool {
        let x = self.value(v);
        if let Some(e) = self.exact {
            return e;
        }
        let e = self
            .decimal
            .and_then(|d| d.is_exact(x))
            .unwrap_or_else(|| is_exact(v.bytes, x));
        self.exact = Some(e);
        e
    }
    fn ip(&mut self, v: &Value) -> Option<IpKey> {
        *self.ip.get_or_insert_with(|| {
            if may_be_ip(v.bytes) {
                parse_ip(v.bytes)
            } else {
                None
            }
        })
    }
}

/// Rarely used parts of an index, boxed to keep the common one small.
#[derive(Clone, Debug, Default)]
struct Rest {
    ips: HashMap<IpKey, Ids>,
    /// Exact pattern numbers by the bits of their value.
    numbers: HashMap<u64, Ids>,
    /// Inexact pattern numbers by spelling (they match only themselves).
    inexact_numbers: HashMap<Key, Ids>,
    literals: [Ids; 3],
    prefixes: Affixes,
    suffixes: Affixes,
    prefixes_ci: Affixes,
    suffixes_ci: Affixes,
    equals_ci: Keyed,
    exists: Ids,
    ranges: super::ranges::Ranges,
    tests: Vec<(Test, u32)>,
}

/// The value index of one transition.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldIndex {
    strings: Keyed,
    rest: Option<Box<Rest>>,
}

fn lower(s: &str) -> Vec<u8> {
    s.as_bytes().to_ascii_lowercase()
}

fn cidr_range(c: &crate::pattern::Cidr) -> (bool, u128, u128) {
    match c.network {
        std::net::IpAddr::V4(a) => {
            let bits = u128::from(u32::from(a));
            let host = 32 - u32::from(c.prefix_len);
            let mask = if host >= 32 {
                u128::from(u32::MAX)
            } else {
                (1u128 << host) - 1
            };
            (false, bits & !mask, (bits & !mask) | mask)
        }
        std::net::IpAddr::V6(a) => {
            let bits = u128::from(a);
            let host = 128 - u32::from(c.prefix_len);
            let mask = if host >= 128 {
                u128::MAX
            } else {
                (1u128 << host) - 1
            };
            (true, bits & !mask, (bits & !mask) | mask)
        }
    }
}

/// Whether `ip` falls in the block `lo..=hi` of family `v6`.
///
/// Across families we answer as EventBridge does: event-ruler compares
/// addresses as hex digit strings (8 digits for IPv4, 32 for IPv6), so an
/// IPv6 address is inside an IPv4 block when its first 32 bits `t` satisfy
/// `lo <= t < hi`, and an IPv4 address `v` is inside an IPv6 block when
/// `lo_top < v <= hi_top` (the blocks' first 32 bits). Recorded, e.g., as
/// `0.0.0.0/0` matching `fe80::e00`.
fn cidr_contains(v6: bool, lo: u128, hi: u128, ip: IpKey) -> bool {
    match (v6, ip.v6) {
        (a, b) if a == b => ip.bits >= lo && ip.bits <= hi,
        (false, true) => {
            let t = ip.bits >> 96;
            lo <= t && t < hi
        }
        _ => (lo >> 96) < ip.bits && ip.bits <= (hi >> 96),
    }
}

impl FieldIndex {
    fn rest(&mut self) -> &mut Rest {
        self.rest.get_or_insert_with(Default::default)
    }

    /// Route values satisfying `cond` to state `next`. `exists: false` is
    /// not a value test and is handled by the caller.
    pub(crate) fn add(&mut self, cond: &ConditionKind, next: u32) {
        match cond {
            ConditionKind::String(s) => {
                self.strings.add(s.as_bytes(), next);
                if let Some(ip) = parse_ip(s.as_bytes()) {
                    self.rest().ips.entry(ip).or_default().add(next);
                }
            }
            ConditionKind::Number(n) => match number_key(n) {
                NumKey::Exact(bits) => self.rest().numbers.entry(bits).or_default().add(next),
                NumKey::Inexact(text) => self
                    .rest()
                    .inexact_numbers
                    .entry(Key::from(&*text))
                    .or_default()
                    .add(next),
            },
            ConditionKind::Bool(true) => self.rest().literals[0].add(next),
            ConditionKind::Bool(false) => self.rest().literals[1].add(next),
            ConditionKind::Null => self.rest().literals[2].add(next),
            ConditionKind::Prefix(p) => self.rest().prefixes.add(p.as_bytes(), next),
            ConditionKind::Suffix(p) => self.rest().suffixes.add(p.as_bytes(), next),
            ConditionKind::PrefixIgnoreCase(p) if p.is_ascii() => {
                self.rest().prefixes_ci.add(&lower(p), next)
            }
            ConditionKind::SuffixIgnoreCase(p) if p.is_ascii() => {
                self.rest().suffixes_ci.add(&lower(p), next)
            }
            ConditionKind::EqualsIgnoreCase(p) if p.is_ascii() => {
                self.rest().equals_ci.add(&lower(p), next)
            }
            ConditionKind::Exists(true) => self.rest().exists.add(next),
            ConditionKind::Exists(false) => {}
            ConditionKind::Numeric(r) => self.rest().ranges.add(*r, next),
            other => {
                let t = test_for(other);
                self.rest().tests.push((t, next));
            }
        }
    }

    /// Undo [`FieldIndex::add`].
    pub(crate) fn remove(&mut self, cond: &ConditionKind, next: u32) {
        if let ConditionKind::String(s) = cond {
            self.strings.remove(s.as_bytes(), next);
        }
        let Some(rest) = self.rest.as_deref_mut() else {
            return;
        };
        fn drop_key<K, Q>(m: &mut HashMap<K, Ids>, k: &Q, next: u32)
        where
            K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
            Q: std::hash::Hash + Eq + ?Sized,
        {
            if let Some(ids) = m.get_mut(k) {
                ids.remove(next);
                if ids.is_empty() {
                    m.remove(k);
                }
            }
        }
        match cond {
            ConditionKind::String(s) => {
                if let Some(ip) = parse_ip(s.as_bytes()) {
                    drop_key(&mut rest.ips, &ip, next);
                }
            }
            ConditionKind::Number(n) => match number_key(n) {
                NumKey::Exact(bits) => drop_key(&mut rest.numbers, &bits, next),
                NumKey::Inexact(text) => drop_key(&mut rest.inexact_numbers, &*text, next),
            },
            ConditionKind::Bool(true) => rest.literals[0].remove(next),
            ConditionKind::Bool(false) => rest.literals[1].remove(next),
            ConditionKind::Null => rest.literals[2].remove(next),
            ConditionKind::Prefix(p) => rest.prefixes.remove(p.as_bytes(), next),
            ConditionKind::Suffix(p) => rest.suffixes.remove(p.as_bytes(), next),
            ConditionKind::PrefixIgnoreCase(p) if p.is_ascii() => {
                rest.prefixes_ci.remove(&lower(p), next)
            }
            ConditionKind::SuffixIgnoreCase(p) if p.is_ascii() => {
                rest.suffixes_ci.remove(&lower(p), next)
            }
            ConditionKind::EqualsIgnoreCase(p) if p.is_ascii() => {
                rest.equals_ci.remove(&lower(p), next)
            }
            ConditionKind::Exists(true) => rest.exists.remove(next),
            ConditionKind::Exists(false) => {}
            ConditionKind::Numeric(r) => rest.ranges.remove(r, next),
            other => {
                let t = format!("{:?}", test_for(other));
                if let Some(i) = rest
                    .tests
                    .iter()
                    .position(|(x, n)| *n == next && format!("{x:?}") == t)
                {
                    rest.tests.remove(i);
                }
            }
        }
        let empty = rest.ips.is_empty()
            && rest.numbers.is_empty()
            && rest.inexact_numbers.is_empty()
            && rest.literals.iter().all(Ids::is_empty)
            && rest.prefixes.by_key.is_empty()
            && rest.suffixes.by_key.is_empty()
            && rest.prefixes_ci.by_key.is_empty()
            && rest.suffixes_ci.by_key.is_empty()
            && rest.equals_ci.is_empty()
            && rest.exists.is_empty()
            && rest.ranges.is_empty()
            && rest.tests.is_empty();
        if empty {
            self.rest = None;
        }
    }

    /// Append to `out` the next states `v` leads to (possibly repeated).
    /// `scratch` is a reusable buffer. Tests whose next state `skip` says
    /// can no longer change the answer are not run (keyed lookups are
    /// cheaper than asking).
    pub(crate) fn lookup(
        &self,
        v: &Value,
        scratch: &mut Vec<u8>,
        skip: impl Fn(u32) -> bool,
        out: &mut Vec<u32>,
    ) {
        if v.kind == LeafKind::String {
            if let Some(ids) = self.strings.get(v.bytes) {
                out.extend_from_slice(ids.as_slice());
            }
        }
        let Some(rest) = self.rest.as_deref() else {
            return;
        };
        out.extend_from_slice(rest.exists.as_slice());
        let mut facts = Facts::default();
        match v.kind {
            LeafKind::String => {
                if !rest.ips.is_empty() {
                    if let Some(ip) = facts.ip(v) {
                        if let Some(ids) = rest.ips.get(&ip) {
                            // Skip ids already found by the exact spelling.
                            let exact = self.strings.get(v.bytes).map(Ids::as_slice).unwrap_or(&[]);
                            out.extend(ids.as_slice().iter().filter(|i| !exact.contains(i)));
                        }
                    }
                }
                rest.prefixes.probe(v.bytes, false, out);
                rest.suffixes.probe(v.bytes, true, out);
                // Copied in lower case only if some table may hold it.
                if rest.equals_ci.may_hold_lower(v.bytes)
                    || rest.prefixes_ci.may_hit_lower(v.bytes, false)
                    || rest.suffixes_ci.may_hit_lower(v.bytes, true)
                {
                    scratch.clear();
                    scratch.extend_from_slice(v.bytes);
                    scratch.make_ascii_lowercase();
                    rest.prefixes_ci.probe(scratch, false, out);
                    rest.suffixes_ci.probe(scratch, true, out);
                    if let Some(ids) = rest.equals_ci.map.get(scratch.as_slice()) {
                        out.extend_from_slice(ids.as_slice());
                    }
                }
            }
            LeafKind::Number => {
                // By value first; exactness only for the rare hit.
                if !rest.numbers.is_empty() {
                    if let Some(ids) = rest.numbers.get(&value_bits(facts.value(v))) {
                        if facts.exact(v) {
                            out.extend_from_slice(ids.as_slice());
                        }
                    }
                }
                if !rest.inexact_numbers.is_empty() {
                    if let Some(ids) = rest.inexact_numbers.get(v.bytes) {
                        out.extend_from_slice(ids.as_slice());
                    }
                }
                if !rest.ranges.is_empty() {
                    // Ranges first; exactness only when some range holds.
                    let at = out.len();
                    rest.ranges.lookup(facts.value(v), &skip, out);
                    if out.len() > at && !facts.exact(v) {
                        out.truncate(at);
                    }
                }
            }
            LeafKind::True => out.extend_from_slice(rest.literals[0].as_slice()),
            LeafKind::False => out.extend_from_slice(rest.literals[1].as_slice()),
            LeafKind::Null => out.extend_from_slice(rest.literals[2].as_slice()),
        }
        for (t, next) in &rest.tests {
            if !skip(*next) && run_test(t, v, &mut facts) {
                out.push(*next);
            }
        }
    }
}

/// How a pattern number takes part in equality.
fn number_key(n: &crate::pattern::Number) -> NumKey {
    if n.exact {
        NumKey::Exact(value_bits(n.value))
    } else {
        num_key(n.text.as_bytes())
    }
}

fn test_for(cond: &ConditionKind) -> Test {
    let strs = |v: &Vec<String>| {
        v.iter()
            .map(|s| s.as_bytes().into())
            .collect::<Vec<Box<[u8]>>>()
    };
    match cond {
        ConditionKind::Cidr(c) => {
            let (v6, lo, hi) = cidr_range(c);
            Test::Cidr { v6, lo, hi }
        }
        ConditionKind::Wildcard(w) => Test::Wildcard(Glob::new(w)),
        ConditionKind::EqualsIgnoreCase(p) => Test::FoldedEquals(Folded::new(p)),
        ConditionKind::PrefixIgnoreCase(p) => Test::FoldedPrefix(Folded::new(p)),
        ConditionKind::SuffixIgnoreCase(p) => Test::FoldedSuffix(Folded::new(p).reversed()),
        ConditionKind::AnythingBut(a) => match a {
            AnythingBut::Strings(v) => Test::ButStrings(
                strs(v),
                v.iter().filter_map(|s| parse_ip(s.as_bytes())).collect(),
            ),
            AnythingBut::Numbers(v) => {
                let (mut bits, mut texts) = (vec![], vec![]);
                for n in v {
                    match number_key(n) {
                        NumKey::Exact(b) => bits.push(b),
                        NumKey::Inexact(t) => texts.push(t),
                    }
                }
                Test::ButNumbers(bits, texts)
            }
            AnythingBut::Prefix(v) => Test::ButPrefix(strs(v)),
            AnythingBut::Suffix(v) => Test::ButSuffix(strs(v)),
            AnythingBut::EqualsIgnoreCase(v) => {
                Test::ButFolded(v.iter().map(|s| Folded::new(s)).collect())
            }
            AnythingBut::Wildcard(v) => Test::ButWildcard(v.iter().map(Glob::new).collect()),
        },
        // Keyed conditions never reach here.
        _ => Test::ButStrings(vec![], vec![]),
    }
}

fn run_test(t: &Test, v: &Value, facts: &mut Facts) -> bool {
    let is_str = v.kind == LeafKind::String;
    match t {
        Test::Cidr { v6, lo, hi } => {
            is_str
                && facts
                    .ip(v)
                    .is_some_and(|ip| cidr_contains(*v6, *lo, *hi, ip))
        }
        Test::Wildcard(g) => is_str && g.matches(v.bytes),
        Test::FoldedEquals(f) => is_str && f.matches(v.bytes, true),
        Test::FoldedPrefix(f) => is_str && f.matches(v.bytes, false),
        Test::FoldedSuffix(f) => is_str && f.matches_suffix(v.bytes),
        Test::ButStrings(list, ips) => {
            !(is_str
                && (list.iter().any(|s| **s == *v.bytes)
                    || (!ips.is_empty() && facts.ip(v).is_some_and(|ip| ips.contains(&ip)))))
        }
        Test::ButNumbers(bits, texts) => {
            if v.kind != LeafKind::Number {
                return true;
            }
            let b = value_bits(facts.value(v));
            let excluded =
                (bits.contains(&b) && facts.exact(v)) || texts.iter().any(|t| **t == *v.bytes);
            !excluded
        }
        Test::ButPrefix(list) => !(is_str && list.iter().any(|p| v.bytes.starts_with(p))),
        Test::ButSuffix(list) => !(is_str && list.iter().any(|p| v.bytes.ends_with(p))),
        Test::ButFolded(list) => !(is_str && list.iter().any(|f| f.matches(v.bytes, true))),
        Test::ButWildcard(list) => !(is_str && list.iter().any(|g| g.matches(v.bytes))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(k: &Keyed, key: &[u8]) -> Vec<u32> {
        k.get(key)
            .map(|ids| ids.as_slice().to_vec())
            .unwrap_or_default()
    }

    fn fresh_bits(k: &Keyed) -> [u64; 4] {
        let mut sieve = Sieve::default();
        for key in k.map.keys() {
            sieve.add(key.as_slice());
        }
        sieve.bits
    }

    #[test]
    fn sieve_never_hides_a_key_through_churn() {
        let mut k = Keyed::default();
        let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
        for (i, key) in keys.iter().enumerate() {
            k.add(key.as_bytes(), i as u32);
        }
        assert_eq!(k.sieve.bits, fresh_bits(&k));
        // Remove most keys; each time the summary is rebuilt it must be
        // exactly the survivors' summary again.
        let mut rebuilds = 0;
        for (i, key) in keys.iter().enumerate().filter(|(i, _)| i % 7 != 0) {
            k.remove(key.as_bytes(), i as u32);
            if k.sieve.removed == 0 {
                rebuilds += 1;
                assert_eq!(k.sieve.bits, fresh_bits(&k), "after removing {key}");
            }
        }
        assert!(
            rebuilds >= 1,
            "removals outnumbered the keys, so it was rebuilt"
        );
        for (i, key) in keys.iter().enumerate() {
            let want = if i % 7 == 0 { vec![i as u32] } else { vec![] };
            assert_eq!(found(&k, key.as_bytes()), want, "{key}");
        }
    }

    #[test]
    fn affix_lengths_follow_the_keys() {
        let mut a = Affixes::default();
        a.add(b"ab", 1);
        a.add(b"ab", 2);
        a.add(b"xyz", 3);
        a.add(b"", 4);
        let probe = |a: &Affixes, v: &[u8], suffix: bool| {
            let mut out = vec![];
            a.probe(v, suffix, &mut out);
            out.sort();
            out
        };
        assert_eq!(probe(&a, b"abxyz", false), [1, 2, 4]);
        assert_eq!(probe(&a, b"abxyz", true), [3, 4]);
        a.remove(b"ab", 1);
        assert_eq!(a.lens, [(0, 1), (2, 1), (3, 1)]);
        a.remove(b"ab", 2);
        assert_eq!(a.lens, [(0, 1), (3, 1)]);
        assert_eq!(probe(&a, b"abxyz", false), [4]);
        // Lower-case probing is skipped only when no key can match.
        a.add(b"qr", 5);
        assert!(a.may_hit_lower(b"QRS", false));
        assert!(a.may_hit_lower(b"SQR", true));
        assert!(
            a.may_hit_lower(b"anything", false),
            "the empty key matches all"
        );
        a.remove(b"", 4);
        assert!(!a.may_hit_lower(b"Q", false));
    }
}
