//! Terraform templates (heredocs and quoted strings with `${...}`) that hold
//! JSON patterns, turned into pattern text the parser can read.
//!
//! An interpolation inside a JSON string stays as written (the string is
//! then unknown, but the pattern keeps its shape). An interpolation where a
//! JSON value belongs (`"severity": ${var.levels}`) becomes a placeholder
//! that fits the place: a list for a field, a number for a `numeric`
//! operand, a string elsewhere. Where no placeholder can stand in (an
//! interpolation in place of keys, a `%{ if }` directive between values, or
//! the whole text being one interpolation) the pattern is unknown.
//!
//! An interpolation whose value is known (a variable with a value, a
//! simple local) is replaced by that value's text, as Terraform would.

use super::doc::Unresolved;
use super::render::UNKNOWN;

/// A template made into pattern text.
pub struct Filled {
    /// The pattern text; `None` when the pattern cannot be known.
    pub text: Option<String>,
    /// Maps the text onto the file, as [`super::PosMap::Segments`].
    pub segments: Vec<(usize, usize)>,
    /// Every interpolation and directive, with its file offset.
    pub unresolved: Vec<Unresolved>,
}

/// One piece of template syntax found in the content.
struct Piece {
    start: usize,
    end: usize,
    /// `$${` or `%%{`: stands for its text less the first character.
    escape: bool,
    /// `%{ ... }` rather than `${ ... }`.
    directive: bool,
    /// The text it stands for, when known.
    value: Option<String>,
}

/// Fill `content`, whose bytes map onto the file by `segments` (content
/// offset, file offset), each run advancing byte by byte. `known` gives
/// the text an interpolation stands for (its expression without `${` and
/// `}`), when that is known.
pub fn fill(
    content: &str,
    segments: &[(usize, usize)],
    known: &dyn Fn(&str) -> Option<String>,
) -> Filled {
    let file_at = |c: usize| {
        let i = segments.partition_point(|&(s, _)| s <= c);
        match i.checked_sub(1).map(|i| segments[i]) {
            Some((s, f)) => f + (c - s),
            None => c,
        }
    };
    let mut pieces = pieces(content);
    for p in &mut pieces {
        if !p.escape && !p.directive {
            p.value = known(content[p.start + 2..p.end.saturating_sub(1)].trim());
        }
    }
    let unresolved: Vec<Unresolved> = pieces
        .iter()
        .filter(|p| !p.escape && p.value.is_none())
        .map(|p| Unresolved {
            what: content[p.start..p.end].to_string(),
            offset: file_at(p.start),
            hint: None,
        })
        .collect();
    let Some(edits) = edits(content, &pieces) else {
        return Filled {
            text: None,
            segments: Vec::new(),
            unresolved,
        };
    };
    // Copy the content with the edits applied, keeping a segment at every
    // run of the content and at every edit.
    let mut out = String::with_capacity(content.len());
    let mut segs = Vec::new();
    let mut pos = 0;
    let end = content.len();
    for (start, stop, replacement) in edits
        .iter()
        .map(|(s, e, r)| (*s, *e, Some(r.as_str())))
        .chain(std::iter::once((end, end, None)))
    {
        if start > pos || replacement.is_none() {
            segs.push((out.len(), file_at(pos)));
            for &(c, f) in segments.iter().filter(|&&(c, _)| c > pos && c < start) {
                segs.push((out.len() + (c - pos), f));
            }
            out.push_str(&content[pos..start]);
        }
        if let Some(r) = replacement {
            segs.push((out.len(), file_at(start)));
            out.push_str(r);
            pos = stop;
        }
    }
    segs.dedup_by_key(|s| s.0);
    Filled {
        text: Some(out),
        segments: segs,
        unresolved,
    }
}

/// Every `${...}`, `%{...}` and escape in `content`, in order.
fn pieces(content: &str) -> Vec<Piece> {
    let b = content.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        let c = b[i];
        if (c == b'$' || c == b'%') && b[i + 1] == c && b.get(i + 2) == Some(&b'{') {
            out.push(Piece {
                start: i,
                end: i + 3,
                escape: true,
                directive: false,
                value: None,
            });
            i += 3;
        } else if (c == b'$' || c == b'%') && b[i + 1] == b'{' {
            let end = balanced_end(content, i + 1);
            out.push(Piece {
                start: i,
                end,
                escape: false,
                directive: c == b'%',
                value: None,
            });
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// The end of the `{...}` opening at `open`, skipping quoted strings
/// (HCL expressions inside an interpolation may quote braces); the end of
/// the content when it does not close.
fn balanced_end(content: &str, open: usize) -> usize {
    let b = content.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Where a JSON scanner is.
enum Frame {
    /// In an object: the last key read, and whether a key comes next.
    Object { key: Option<String>, want_key: bool },
    /// In a list: the key the list is the value of, and how many values
    /// it has had so far.
    List { key: Option<String>, index: usize },
}

/// The replacements to make: (start, end, text). `None` when a piece sits
/// where nothing can stand in for it.
fn edits(content: &str, pieces: &[Piece]) -> Option<Vec<(usize, usize, String)>> {
    let b = content.as_bytes();
    let mut edits = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_string = false;
    let mut string_start = 0;
    let mut string_key = false;
    let mut top_values = 0;
    let mut next = pieces.iter().peekable();
    let mut i = 0;
    while i < b.len() {
        if let Some(p) = next.peek().filter(|p| p.start == i) {
            let p = *p;
            next.next();
            if p.escape {
                edits.push((p.start, p.start + 1, String::new()));
            } else if let Some(value) = &p.value {
                if !in_string {
                    value_starts(&mut stack, &mut top_values);
                }
                edits.push((p.start, p.end, value.clone()));
            } else if in_string {
                // Kept as written unless its own quotes would end the
                // JSON string early.
                if p.directive || content[p.start..p.end].contains(['"', '\\']) {
                    edits.push((p.start, p.end, UNKNOWN.to_string()));
                }
            } else if p.directive {
                return None;
            } else {
                let placeholder = placeholder(&mut stack)?;
                edits.push((p.start, p.end, placeholder.to_string()));
            }
            i = p.end;
            continue;
        }
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    in_string = false;
                    if string_key {
                        let key = content[string_start + 1..i].to_string();
                        if let Some(Frame::Object { key: k, want_key }) = stack.last_mut() {
                            *k = Some(key);
                            *want_key = false;
                        }
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                string_start = i;
                string_key = matches!(stack.last(), Some(Frame::Object { want_key: true, .. }));
                if !string_key {
                    value_starts(&mut stack, &mut top_values);
                }
            }
            b'{' | b'[' => {
                let key = value_starts(&mut stack, &mut top_values);
                stack.push(if c == b'{' {
                    Frame::Object {
                        key: None,
                        want_key: true,
                    }
                } else {
                    Frame::List { key, index: 0 }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = true;
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'-' => {
                // A bare literal (number, true, ...): one value.
                value_starts(&mut stack, &mut top_values);
                while i + 1 < b.len()
                    && (b[i + 1].is_ascii_alphanumeric() || b"+-.".contains(&b[i + 1]))
                {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Some(edits)
}

/// Note that a value starts here; returns the key whose value it is (or,
/// in a list, the key of the list).
fn value_starts(stack: &mut [Frame], top_values: &mut usize) -> Option<String> {
    match stack.last_mut() {
        Some(Frame::Object { key, .. }) => key.clone(),
        Some(Frame::List { key, index }) => {
            *index += 1;
            key.clone()
        }
        None => {
            *top_values += 1;
            None
        }
    }
}

/// A JSON value that can stand where an interpolation is, or `None`.
fn placeholder(stack: &mut [Frame]) -> Option<&'static str> {
    const STRING: &str = "\"evrule:unresolved\"";
    const LIST: &str = "[\"evrule:unresolved\"]";
    match stack.last_mut() {
        None => None,                                       // the whole pattern
        Some(Frame::Object { want_key: true, .. }) => None, // keys
        Some(Frame::Object { key, .. }) => Some(match key.as_deref() {
            Some("exists") => "true",
            Some("numeric") => "[\">\",0]",
            Some(
                "prefix" | "suffix" | "anything-but" | "equals-ignore-case" | "wildcard" | "cidr",
            ) => STRING,
            Some("$or") => return None,
            _ => LIST,
        }),
        Some(Frame::List { key, index }) => {
            let numeric_operand = key.as_deref() == Some("numeric") && *index % 2 == 1;
            *index += 1;
            Some(if numeric_operand { "0" } else { STRING })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn text(content: &str) -> Option<String> {
        fill(content, &[(0, 0)], &none).text
    }

    #[test]
    fn known_values_are_put_in() {
        let known = |e: &str| match e {
            "var.env" => Some("prod".to_string()),
            "var.min" => Some("5".to_string()),
            _ => None,
        };
        let f = fill(
            r#"{"a": ["x-${var.env}"], "n": [{"numeric": [">", ${var.min}]}], "b": ["${var.other}"]}"#,
            &[(0, 0)],
            &known,
        );
        assert_eq!(
            f.text.as_deref(),
            Some(r#"{"a": ["x-prod"], "n": [{"numeric": [">", 5]}], "b": ["${var.other}"]}"#)
        );
        assert_eq!(f.unresolved.len(), 1);
        assert_eq!(f.unresolved[0].what, "${var.other}");
        // the whole text as one known interpolation
        let whole = |_: &str| Some(r#"{"source":["aws.s3"]}"#.to_string());
        let f = fill("${jsonencode(local.p)}", &[(0, 0)], &whole);
        assert_eq!(f.text.as_deref(), Some(r#"{"source":["aws.s3"]}"#));
        assert!(f.unresolved.is_empty());
    }

    #[test]
    fn placeholders_fit_the_place() {
        assert_eq!(
            text(r#"{"severity": ${var.levels}, "source": ["aws.guardduty"]}"#).as_deref(),
            Some(r#"{"severity": ["evrule:unresolved"], "source": ["aws.guardduty"]}"#)
        );
        assert_eq!(
            text(r#"{"n": [{"numeric": [">", ${var.min}, "<", 5]}]}"#).as_deref(),
            Some(r#"{"n": [{"numeric": [">", 0, "<", 5]}]}"#)
        );
        assert_eq!(
            text(r#"{"a": ["${var.x}", ${var.y}], "b": [{"prefix": ${jsonencode(var.p)}}]}"#)
                .as_deref(),
            Some(
                r#"{"a": ["${var.x}", "evrule:unresolved"], "b": [{"prefix": "evrule:unresolved"}]}"#
            )
        );
    }

    #[test]
    fn quotes_inside_an_interpolation_in_a_string() {
        assert_eq!(
            text(r#"{"a": ["${lookup(var.m, "k")}-x"]}"#).as_deref(),
            Some(r#"{"a": ["evrule:unresolved-x"]}"#)
        );
    }

    #[test]
    fn escapes_are_literal() {
        let f = fill(r#"{"a": ["$${x}"]}"#, &[(0, 0)], &none);
        assert_eq!(f.text.as_deref(), Some(r#"{"a": ["${x}"]}"#));
        assert!(f.unresolved.is_empty());
    }

    #[test]
    fn unknown_when_nothing_fits() {
        assert_eq!(text("${jsonencode(local.pattern)}"), None);
        assert_eq!(text(r#"{"a": ["x"], ${local.more}}"#), None);
        assert_eq!(
            text("{\"a\": [\n%{ for s in var.s }\"${s}\",%{ endfor }\n]}"),
            None
        );
    }

    #[test]
    fn segments_follow_the_edits() {
        // content "{\"s\": ${v}}" at file offset 100
        let f = fill("{\"s\": ${v}}", &[(0, 100)], &none);
        assert_eq!(f.text.as_deref(), Some("{\"s\": [\"evrule:unresolved\"]}"));
        assert_eq!(f.segments[0], (0, 100));
        assert_eq!(f.segments[1], (6, 106));
        // the closing brace maps back to its own place
        let last = *f.segments.last().unwrap();
        assert_eq!(last, (6 + 21, 106 + 4));
        assert_eq!(f.unresolved[0].offset, 106);
    }
}
