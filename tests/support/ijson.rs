//! Shared by the property tests and the fuzz targets.

/// Trusted mode's precondition (see `Config::trusted`): every object's
/// keys are unique and none holds a `.`, so no two keys lead to one path.
pub fn trusted_applies(event: &str) -> bool {
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    struct Plain;
    struct V;
    impl<'de> Deserialize<'de> for Plain {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Plain, D::Error> {
            d.deserialize_any(V)
        }
    }
    impl<'de> Visitor<'de> for V {
        type Value = Plain;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Plain, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(k) = m.next_key::<String>()? {
                if k.contains('.') || !seen.insert(k) {
                    return Err(de::Error::custom("repeated or dotted key"));
                }
                m.next_value::<Plain>()?;
            }
            Ok(Plain)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Plain, A::Error> {
            while s.next_element::<Plain>()?.is_some() {}
            Ok(Plain)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Plain, E> {
            Ok(Plain)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Plain, E> {
            Ok(Plain)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Plain, E> {
            Ok(Plain)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Plain, E> {
            Ok(Plain)
        }
        fn visit_str<E>(self, _: &str) -> Result<Plain, E> {
            Ok(Plain)
        }
        fn visit_unit<E>(self) -> Result<Plain, E> {
            Ok(Plain)
        }
    }
    // Numbers serde_json cannot hold play no part in the precondition.
    serde_json::from_slice::<Plain>(&numbers_in_range(event.as_bytes())).is_ok()
}

/// `text` with every number serde_json cannot hold in an `f64` (`1e400`)
/// written `0`. The tests build serde_json without its
/// `arbitrary_precision` feature, as the library's users may (issue 12);
/// such a serde_json refuses those numbers (`number out of range`), which
/// JSON allows. With them replaced it can still judge, and read, the rest
/// of the text: the grammar is the same, only those values change.
pub fn numbers_in_range(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut text = std::borrow::Cow::Borrowed(text);
    loop {
        let e = match serde_json::from_slice::<serde_json::Value>(&text) {
            Err(e) if e.to_string().starts_with("number out of range") => e,
            _ => return text,
        };
        // serde_json's line is 1-based, its column counts bytes and ends
        // on the number's last byte.
        let line_start = text
            .split_inclusive(|&b| b == b'\n')
            .take(e.line() - 1)
            .map(<[u8]>::len)
            .sum::<usize>();
        let at = (line_start + e.column())
            .saturating_sub(1)
            .min(text.len() - 1);
        let in_number =
            |b: &u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
        let start = text[..=at]
            .iter()
            .rposition(|b| !in_number(b))
            .map_or(0, |i| i + 1);
        // Only the number itself, by JSON's grammar: whatever follows it
        // (`1E310E`) must stay, to be judged.
        let end = number_end(&text, start);
        // A number character right after the number makes the text invalid
        // whatever the number is; a `0` in its place could join it into a
        // valid one (`-3.5e2456732285827e277` into `0e277`).
        let joins = text
            .get(end)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        if start >= end || joins {
            return text;
        }
        let mut patched = text[..start].to_vec();
        patched.push(b'0');
        patched.extend_from_slice(&text[end..]);
        text = std::borrow::Cow::Owned(patched);
    }
}

/// Where the JSON number that starts at `i` ends, by the grammar
/// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?` (`i` when none starts).
fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let start = i;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return start,
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}
