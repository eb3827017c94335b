//! Byte-class kernels for the scanner: where does a string stop, how many
//! digits follow, where are the quotes and brackets of a 64-byte block.
//!
//! On x86_64 they use SSE2, which every x86_64 CPU has (it is part of the
//! baseline target), so no runtime detection is needed; elsewhere they fall
//! back to eight-bytes-at-a-time SWAR. Every function takes a fixed-size
//! array reference, so the only `unsafe` is an unaligned load from memory
//! the reference already proves readable.

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::*;

    #[inline(always)]
    fn load(chunk: &[u8; 16]) -> __m128i {
        // SAFETY: `chunk` is 16 readable bytes; `loadu` has no alignment
        // requirement.
        unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) }
    }

    /// (stops, high): bit k of `stops` is set when byte k is `"`, `\` or a
    /// control character (< 0x20); bit k of `high` when byte k is >= 0x80.
    #[inline(always)]
    #[allow(unused_unsafe)] // the intrinsics are safe on newer compilers
    pub(crate) fn string_stops16(chunk: &[u8; 16]) -> (u32, u32) {
        let v = load(chunk);
        // SAFETY: SSE2 is part of the x86_64 baseline; no memory access.
        unsafe {
            let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let s = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            let ctrl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
            let stops = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, s), ctrl)) as u32;
            (stops, _mm_movemask_epi8(v) as u32)
        }
    }

    /// Bit k set when byte k is not an ASCII digit.
    #[inline(always)]
    #[allow(unused_unsafe)]
    pub(crate) fn non_digits16(chunk: &[u8; 16]) -> u32 {
        let v = load(chunk);
        // SAFETY: SSE2 is part of the x86_64 baseline; no memory access.
        unsafe {
            let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
            let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
            (!_mm_movemask_epi8(is_digit) as u32) & 0xFFFF
        }
    }

    /// (quotes, backslashes, openers, closers) of 64 bytes, one bit each.
    #[inline(always)]
    #[allow(unused_unsafe)]
    pub(crate) fn structure64(block: &[u8; 64]) -> (u64, u64, u64, u64) {
        let (mut q, mut s, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
        for k in 0..4 {
            let chunk: &[u8; 16] = block[k * 16..k * 16 + 16].try_into().unwrap();
            let v = load(chunk);
            // SAFETY: SSE2 is part of the x86_64 baseline; no memory access.
            let (mq, ms, mo, mc) = unsafe {
                // `[`/`{` and `]`/`}` differ only in bit 5.
                let f = _mm_or_si128(v, _mm_set1_epi8(0x20));
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))) as u16,
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))) as u16,
                    _mm_movemask_epi8(_mm_cmpeq_epi8(f, _mm_set1_epi8(b'{' as i8))) as u16,
                    _mm_movemask_epi8(_mm_cmpeq_epi8(f, _mm_set1_epi8(b'}' as i8))) as u16,
                )
            };
            let sh = k * 16;
            q |= u64::from(mq) << sh;
            s |= u64::from(ms) << sh;
            o |= u64::from(mo) << sh;
            c |= u64::from(mc) << sh;
        }
        (q, s, o, c)
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;

    /// Top bit of each byte of `x` that is zero (exact for every byte).
    #[inline(always)]
    fn zero_bytes(x: u64) -> u64 {
        !((((x & !HI).wrapping_add(!HI)) | x) | !HI)
    }

    /// Gather the top bit of each byte into the low 8 bits.
    #[inline(always)]
    fn gather(m: u64) -> u32 {
        (((m >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u32
    }

    #[inline(always)]
    fn word(b: &[u8], k: usize) -> u64 {
        u64::from_le_bytes(b[k..k + 8].try_into().unwrap())
    }

    #[inline(always)]
    pub(crate) fn string_stops16(chunk: &[u8; 16]) -> (u32, u32) {
        let (mut stops, mut high) = (0u32, 0u32);
        for k in 0..2 {
            let w = word(chunk, k * 8);
            let lt = zero_bytes(w & (LO * 0xE0)); // < 0x20
            let m = zero_bytes(w ^ (LO * b'"' as u64)) | zero_bytes(w ^ (LO * b'\\' as u64)) | lt;
            stops |= gather(m) << (k * 8);
            high |= gather(w & HI) << (k * 8);
        }
        (stops, high)
    }

    #[inline(always)]
    pub(crate) fn non_digits16(chunk: &[u8; 16]) -> u32 {
        let mut nd = 0u32;
        for k in 0..2 {
            let w = word(chunk, k * 8);
            let x = ((w & (LO * 0xF0)) ^ (LO * 0x30))
                | ((w.wrapping_add(LO * 0x06) & (LO * 0xF0)) ^ (LO * 0x30));
            nd |= gather(!zero_bytes(x) & HI) << (k * 8);
        }
        nd
    }

    #[inline(always)]
    pub(crate) fn structure64(block: &[u8; 64]) -> (u64, u64, u64, u64) {
        let (mut q, mut s, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
        for k in 0..8 {
            let w = word(block, k * 8);
            let f = w | (LO * 0x20);
            let sh = k * 8;
            q |= u64::from(gather(zero_bytes(w ^ (LO * b'"' as u64)))) << sh;
            s |= u64::from(gather(zero_bytes(w ^ (LO * b'\\' as u64)))) << sh;
            o |= u64::from(gather(zero_bytes(f ^ (LO * b'{' as u64)))) << sh;
            c |= u64::from(gather(zero_bytes(f ^ (LO * b'}' as u64)))) << sh;
        }
        (q, s, o, c)
    }
}

pub(crate) use imp::{non_digits16, string_stops16, structure64};

/// Bit k set when an odd number of the bits 0..=k of `x` are set: with
/// quote bits in, the bits inside strings (opening quote included).
#[inline(always)]
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Number of ASCII digits at the start of `b[i..]`.
#[inline(always)]
pub(crate) fn digits(b: &[u8], i: usize) -> usize {
    let mut k = i;
    while let Some(chunk) = b.get(k..k + 16) {
        let nd = non_digits16(chunk.try_into().unwrap());
        if nd != 0 {
            return k - i + nd.trailing_zeros() as usize;
        }
        k += 16;
    }
    while k < b.len() && b[k].is_ascii_digit() {
        k += 1;
    }
    k - i
}

/// The first byte at or after `i` that is `"`, `\` or a control character
/// (or `b.len()`), and whether a byte >= 0x80 came before it.
#[inline(always)]
pub(crate) fn string_stop(b: &[u8], i: usize) -> (usize, bool) {
    let mut k = i;
    let mut high = false;
    while let Some(chunk) = b.get(k..k + 16) {
        let (stops, hi) = string_stops16(chunk.try_into().unwrap());
        if stops != 0 {
            let t = stops.trailing_zeros();
            high |= hi & ((1u32 << t) - 1) != 0;
            return (k + t as usize, high);
        }
        high |= hi != 0;
        k += 16;
    }
    while k < b.len() {
        let c = b[k];
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        high |= c >= 0x80;
        k += 1;
    }
    (k, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_agree_with_scalar() {
        let text: Vec<u8> = (0u8..=255)
            .chain(b"0123456789\"x\\{[]}".iter().copied())
            .collect();
        for start in 0..text.len() {
            let (stop, high) = string_stop(&text, start);
            let want = text[start..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map_or(text.len(), |k| start + k);
            assert_eq!(stop, want, "stop from {start}");
            assert_eq!(high, text[start..want].iter().any(|&c| c >= 0x80));
            let d = text[start..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            assert_eq!(digits(&text, start), d);
        }
        for start in 0..text.len() - 64 {
            let block: &[u8; 64] = text[start..start + 64].try_into().unwrap();
            let (q, s, o, c) = structure64(block);
            for (k, &ch) in block.iter().enumerate() {
                assert_eq!(q >> k & 1 == 1, ch == b'"');
                assert_eq!(s >> k & 1 == 1, ch == b'\\');
                assert_eq!(o >> k & 1 == 1, ch == b'{' || ch == b'[');
                assert_eq!(c >> k & 1 == 1, ch == b'}' || ch == b']');
            }
        }
        assert_eq!(prefix_xor(0b1001_0010) & 0xFF, 0b1000_1110);
    }
}
