//! The document tree every structured rule file is read into.
//!
//! JSON, YAML and the HCL subset all produce the same [`Node`] tree, so that
//! format detection, CloudFormation intrinsics and rendering to pattern text
//! are written once. A node remembers only the byte offset where it starts in
//! its file; lines and columns are computed from the [`SourceFile`] when a
//! position is actually shown.

use std::path::{Path, PathBuf};

/// One file that was read, with a line index for turning byte offsets into
/// lines and columns.
#[derive(Debug)]
pub struct SourceFile {
    path: PathBuf,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wrap the text of `path`.
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_iter_newlines(&text));
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// The path as given (or as found by the directory walk).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        // The line from the table; the column counted the library's one way.
        let start = self.line_starts[line];
        let (_, column) = evrule::json::line_col(&self.text.as_bytes()[start..], offset - start);
        (line + 1, column)
    }

    /// Byte offset of a 1-based line and a 0-based column in characters.
    pub fn offset_of(&self, line: usize, col0: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col0)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// The text of a 1-based line, without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }
}

fn memchr_iter_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

/// A value read from a rule file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Byte offset in the file where the node starts.
    pub offset: usize,
    /// A YAML tag such as `!Ref` (core-schema tags are applied and dropped).
    pub tag: Option<String>,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, spelled as JSON spells numbers.
    Number(String),
    /// A string.
    String(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping; keys are string nodes, in file order, duplicates kept.
    Map(Vec<(Node, Node)>),
    /// A value that cannot be known without deploying (an unresolved
    /// intrinsic function or Terraform reference); the text says which.
    Unknown(String),
}

impl Node {
    /// A node without a tag.
    pub fn new(value: Value, offset: usize) -> Node {
        Node {
            value,
            offset,
            tag: None,
        }
    }

    /// The value of `key` when this is a mapping (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, when this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, when this is a list.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// A scalar as text (strings, numbers, booleans), for names and states
    /// written without quotes.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Every unknown value inside this node, in order.
    pub fn unknowns(&self, out: &mut Vec<Unresolved>) {
        match &self.value {
            Value::Unknown(what) => out.push(Unresolved {
                what: what.clone(),
                offset: self.offset,
                hint: intrinsic_hint(what, &|_| true),
            }),
            Value::Seq(items) => items.iter().for_each(|n| n.unknowns(out)),
            Value::Map(entries) => entries.iter().for_each(|(_, v)| v.unknowns(out)),
            _ => {}
        }
    }
}

/// A value of a pattern that is unknown until deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// What it is, as written: `!Ref Stage`, `var.stage`, `${local.x}`.
    pub what: String,
    /// Where it is, as a byte offset into the file.
    pub offset: usize,
    /// What would make it known (`give -p Stage=VALUE`), when something
    /// can.
    pub hint: Option<String>,
}

/// What would decide a CloudFormation intrinsic that did not resolve, by
/// the parameters it names: `!Ref Stage` and `!Sub "${Stage}-x"` are
/// decided by `-p Stage=VALUE`; `!GetAtt` and references to resources
/// are known only once deployed. `parameter` says whether a name is one
/// that a value can be given for.
pub fn intrinsic_hint(what: &str, parameter: &dyn Fn(&str) -> bool) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    if let Some(name) = what.strip_prefix("!Ref ") {
        names.push(name.trim());
    } else if let Some(text) = what.strip_prefix("!Sub ") {
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find('}') else { break };
            let name = rest[..end].trim();
            if !name.starts_with('!') && !name.contains('.') && !names.contains(&name) {
                names.push(name);
            }
            rest = &rest[end..];
        }
    }
    names.retain(|n| !n.is_empty() && !n.contains(char::is_whitespace) && parameter(n));
    if names.is_empty() {
        return None;
    }
    let flags: Vec<String> = names.iter().map(|n| format!("-p {n}=VALUE")).collect();
    Some(format!("give {}", flags.join(" and ")))
}

/// A problem reading a file, at a byte offset when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// What went wrong.
    pub message: String,
    /// Where, as a byte offset into the file.
    pub offset: Option<usize>,
}

impl ReadError {
    /// An error at `offset`.
    pub fn at(message: impl Into<String>, offset: usize) -> ReadError {
        ReadError {
            message: message.into(),
            offset: Some(offset),
        }
    }
}
