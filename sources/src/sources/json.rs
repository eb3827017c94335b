//! JSON rule files, read with the library's position-keeping reader
//! ([`evrule::json`]) and turned into the [`Node`] tree every rule-file
//! format shares (so that a problem deep inside a pattern can be shown at
//! its place in the user's file). Nesting depth is capped so that hostile
//! input cannot overflow the stack.

use evrule::json as lib;

use super::doc::{Node, ReadError, Value};

/// Deepest nesting accepted in a rule file.
pub const MAX_DEPTH: usize = 128;

/// Read `text` as one JSON document.
pub fn parse(text: &str) -> Result<Node, ReadError> {
    match lib::parse(text.as_bytes(), MAX_DEPTH) {
        Ok(node) => Ok(convert(node)),
        Err(e) if e.kind == lib::ErrorKind::Depth => Err(ReadError::at(
            format!("nesting deeper than {MAX_DEPTH} levels"),
            e.offset,
        )),
        Err(e) => Err(ReadError::at(e.message, e.offset)),
    }
}

/// The shared tree of a JSON value: offsets are where each value starts
/// (a key's node starts at its opening quote).
fn convert(node: lib::Node) -> Node {
    let offset = node.span.start;
    let value = match node.value {
        lib::Value::Null => Value::Null,
        lib::Value::Bool(b) => Value::Bool(b),
        lib::Value::Number(n) => Value::Number(n),
        lib::Value::String(s) => Value::String(s),
        lib::Value::Array(items) => Value::Seq(items.into_iter().map(convert).collect()),
        lib::Value::Object(members) => Value::Map(
            members
                .into_iter()
                .map(|(key, span, value)| {
                    (Node::new(Value::String(key), span.start), convert(value))
                })
                .collect(),
        ),
    };
    Node::new(value, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_errors() {
        let n = parse(r#"{"a": [1, "x"]}"#).unwrap();
        let v = n.get("a").unwrap();
        assert_eq!(v.offset, 6);
        assert_eq!(v.as_seq().unwrap()[1].offset, 10);
        assert_eq!(
            parse("[1,]").unwrap_err(),
            ReadError::at("trailing comma", 3)
        );
        assert_eq!(
            parse("{").unwrap_err(),
            ReadError::at("EOF while parsing an object", 1)
        );
        let deep = "[".repeat(200);
        assert_eq!(
            parse(&deep).unwrap_err(),
            ReadError::at("nesting deeper than 128 levels", 128)
        );
    }
}
