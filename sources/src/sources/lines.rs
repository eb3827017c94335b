//! Rule lines: NDJSON with one `{"name": ..., "pattern": ...}` object per
//! line (the format of the benchmark rule files; other keys are ignored,
//! `state` is honoured). Each line is read on its own with the
//! offset-keeping JSON reader, so positions point into the right line.

use super::doc::{Node, ReadError};
use super::{json, required_name, shift, Ctx, Format, RuleSource};

/// Whether a file holds rule lines: its name says NDJSON (`.jsonl`,
/// `.ndjson`), or its first non-blank line is a complete JSON object with
/// `name` and `pattern` keys.
pub fn is_rule_lines(file_name: &str, text: &str) -> bool {
    if file_name.ends_with(".jsonl") || file_name.ends_with(".ndjson") {
        return true;
    }
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    if !first.starts_with('{') {
        return false;
    }
    json::parse(first).is_ok_and(|n| n.get("name").is_some() && n.get("pattern").is_some())
}

/// Read every line of `ctx.file` as one rule. A line that is not a rule is
/// an error when the file was named by the user; a directory walk takes
/// such a file for something else and yields nothing.
pub fn rules(ctx: &Ctx<'_>, explicit: bool, out: &mut Vec<RuleSource>) -> Result<(), ReadError> {
    let text = ctx.file.text();
    let mut found = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let at = start;
        start += line.len();
        // A byte-order mark may open the file.
        let body = if at == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let at = at + (line.len() - body.len());
        if body.trim().is_empty() {
            continue;
        }
        let rule = json::parse(body.trim_end_matches(['\n', '\r']))
            .map_err(|mut e| {
                e.offset = e.offset.map(|o| o + at);
                e.message = format!("invalid JSON: {}", e.message);
                e
            })
            .and_then(|mut node| {
                shift(&mut node, at);
                rule(ctx, &node)
            });
        match rule {
            Ok(r) => found.push(r),
            Err(_) if !explicit => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    out.extend(found);
    Ok(())
}

fn rule(ctx: &Ctx<'_>, node: &Node) -> Result<RuleSource, ReadError> {
    if node.as_map().is_none() {
        return Err(ReadError::at(
            "expected a `{\"name\": ..., \"pattern\": ...}` object on each line",
            node.offset,
        ));
    }
    let name = required_name(node, "name")?;
    let pattern = node
        .get("pattern")
        .ok_or_else(|| ReadError::at(format!("rule `{name}` has no `pattern`"), node.offset))?;
    let state = node.get("state").and_then(Node::scalar_text);
    Ok(ctx.rule(name, state, Format::RuleLines, pattern))
}
