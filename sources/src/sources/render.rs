//! A pattern given as a tree in a rule file -> compact JSON pattern text,
//! with an anchor at every node so that an offset in the text maps back to
//! the node's place in the file.

use super::doc::{Node, Value};

/// Placeholder text standing for a value that is unknown until deployment.
pub const UNKNOWN: &str = "evrule:unresolved";

/// Render `node` as JSON; returns the text and the sorted anchors
/// `(offset in text, offset in file)`.
pub fn render(node: &Node) -> (String, Vec<(usize, usize)>) {
    let mut r = Renderer {
        out: String::new(),
        anchors: Vec::new(),
    };
    r.node(node, Slot::Other);
    (r.out, r.anchors)
}

/// Where a value sits, to choose a placeholder that keeps the pattern's
/// shape: a field value must be a list, a numeric operand a number.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    FieldValue,
    Numeric,
    Other,
}

struct Renderer {
    out: String,
    anchors: Vec<(usize, usize)>,
}

impl Renderer {
    fn anchor(&mut self, file_offset: usize) {
        self.anchors.push((self.out.len(), file_offset));
    }

    fn string(&mut self, s: &str) {
        self.out
            .push_str(&serde_json::to_string(s).expect("strings serialize"));
    }

    fn node(&mut self, node: &Node, slot: Slot) {
        self.anchor(node.offset);
        match &node.value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(n),
            Value::String(s) => self.string(s),
            Value::Unknown(_) => match slot {
                Slot::FieldValue => {
                    self.out.push('[');
                    self.string(UNKNOWN);
                    self.out.push(']');
                }
                Slot::Numeric => self.out.push('0'),
                Slot::Other => self.string(UNKNOWN),
            },
            Value::Seq(items) => {
                let numeric = slot == Slot::Numeric;
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    // Operands of `numeric` sit at odd indexes.
                    let slot = if numeric && i % 2 == 1 {
                        Slot::Numeric
                    } else {
                        Slot::Other
                    };
                    self.node(item, slot);
                }
                self.out.push(']');
            }
            Value::Map(entries) => {
                self.out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.anchor(key.offset);
                    self.string(key.as_str().unwrap_or_default());
                    self.out.push(':');
                    let slot = match key.as_str() {
                        Some("numeric") => Slot::Numeric,
                        Some(k) if !is_operator(k) => Slot::FieldValue,
                        _ => Slot::Other,
                    };
                    self.node(value, slot);
                }
                self.out.push('}');
            }
        }
    }
}

fn is_operator(key: &str) -> bool {
    matches!(
        key,
        "prefix"
            | "suffix"
            | "anything-but"
            | "equals-ignore-case"
            | "wildcard"
            | "exists"
            | "cidr"
            | "$or"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::json;

    #[test]
    fn renders_compact_with_anchors() {
        let n = json::parse(r#"{ "a" : [ 1, {"numeric": [">", 2]} ] }"#).unwrap();
        let (text, anchors) = render(&n);
        assert_eq!(text, r#"{"a":[1,{"numeric":[">",2]}]}"#);
        assert_eq!(anchors[0], (0, 0));
        assert_eq!(anchors[1], (1, 2)); // key "a"
    }

    #[test]
    fn unknowns_keep_shape() {
        let mut n = json::parse(r#"{"a": 0, "b": [{"numeric": [">", 0]}]}"#).unwrap();
        if let Value::Map(entries) = &mut n.value {
            entries[0].1.value = Value::Unknown("!Ref X".into());
            let b = &mut entries[1].1;
            if let Value::Seq(items) = &mut b.value {
                if let Value::Map(e) = &mut items[0].value {
                    if let Value::Seq(ops) = &mut e[0].1.value {
                        ops[1].value = Value::Unknown("!Ref Y".into());
                    }
                }
            }
        }
        let (text, _) = render(&n);
        assert_eq!(
            text,
            r#"{"a":["evrule:unresolved"],"b":[{"numeric":[">",0]}]}"#
        );
    }
}
