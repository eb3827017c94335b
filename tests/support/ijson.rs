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
    serde_json::from_str::<Plain>(event).is_ok()
}
