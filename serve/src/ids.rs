//! Event and request ids (random version-4 UUIDs) and epoch-second
//! timestamps, the two small things every action needs.
//!
//! Ids come from a SplitMix64 stream whose seed comes from the standard
//! library's randomly keyed hasher, and whose counter makes every id of a
//! process different; they need to be unique and unguessable enough for
//! a local server, not secret.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        h.finish()
    })
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A new random UUID (version 4, RFC 4122 variant), lower-case.
pub(crate) fn uuid() -> String {
    let n = COUNTER.fetch_add(2, Ordering::Relaxed);
    let s = seed();
    let hi = mix(s.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let lo = mix(hi ^ s.rotate_left(17) ^ n.wrapping_add(1));
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let mut out = String::with_capacity(36);
    let digits = b"0123456789abcdef";
    for (i, nibble) in (0..16)
        .rev()
        .map(|k| (hi >> (k * 4)) & 0xf)
        .chain((0..16).rev().map(|k| (lo >> (k * 4)) & 0xf))
        .enumerate()
    {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(digits[nibble as usize] as char);
    }
    out
}

/// A timestamp as AWS JSON 1.1 writes it: epoch seconds, milliseconds as a
/// fraction.
pub(crate) fn epoch(t: SystemTime) -> Value {
    let ms = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    if ms % 1000 == 0 {
        Value::from((ms / 1000) as u64)
    } else {
        serde_json::Number::from_f64(ms as f64 / 1000.0).map_or(Value::Null, Value::Number)
    }
}

/// Milliseconds since the epoch, for the state file.
pub(crate) fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The inverse of [`millis`].
pub(crate) fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let ids: HashSet<String> = (0..10_000).map(|_| uuid()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "4");
            assert!("89ab".contains(&id[19..20]), "{id}");
            assert_eq!(id.matches('-').count(), 4);
        }
    }

    #[test]
    fn epoch_seconds() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_250);
        assert_eq!(epoch(t).to_string(), "1700000000.25");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(5);
        assert_eq!(epoch(t).to_string(), "5");
        assert_eq!(from_millis(millis(t)), t);
    }
}
