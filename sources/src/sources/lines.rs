//! Rule lines: NDJSON with one rule object per line, either
//! `{"name": ..., "pattern": ...}` (the format of the benchmark rule files;
//! `state` is honoured) or AWS's own shape, `{"Name": ..., "EventPattern":
//! ..., "State": ...}`, as `aws events list-rules | jq -c '.Rules[]'`
//! writes it (a line without `EventPattern` is a scheduled rule and is
//! passed over). Other keys are ignored. Each line is read on its own with
//! the offset-keeping JSON reader, so positions point into the right line.

use super::doc::{Node, ReadError};
use super::{json, required_name, shift, Ctx, Format, RuleSource};

/// Whether a file holds rule lines: its name says NDJSON (`.jsonl`,
/// `.ndjson`), or its first non-blank line is a complete JSON object with
/// `name` and `pattern` keys, or one with AWS's `Name` and `EventPattern`
/// followed by more lines (one such object alone is a `describe-rule`
/// answer, read as that).
pub fn is_rule_lines(file_name: &str, text: &str) -> bool {
    if file_name.ends_with(".jsonl") || file_name.ends_with(".ndjson") {
        return true;
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    if !first.starts_with('{') {
        return false;
    }
    json::parse(first).is_ok_and(|n| {
        (n.get("name").is_some() && n.get("pattern").is_some())
            || (n.get("Name").is_some()
                && n.get("EventPattern").is_some()
                && lines.next().is_some())
    })
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
            Ok(Some(r)) => found.push(r),
            Ok(None) => {}
            Err(_) if !explicit => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    out.extend(found);
    Ok(())
}

/// One line's rule; `None` for an AWS-shaped scheduled rule (no pattern).
fn rule(ctx: &Ctx<'_>, node: &Node) -> Result<Option<RuleSource>, ReadError> {
    if node.as_map().is_none() {
        return Err(ReadError::at(
            "expected a rule object on each line: `{\"name\": ..., \"pattern\": ...}` \
             or AWS's `{\"Name\": ..., \"EventPattern\": ...}`",
            node.offset,
        ));
    }
    // AWS's shape, as list-rules and describe-rule write a rule.
    if node.get("name").is_none() && node.get("Name").is_some() {
        return ctx.aws_rule(node, Format::RuleLines);
    }
    if node.get("name").is_none() {
        return Err(ReadError::at(
            "rule has no `name` (a rule line is `{\"name\": ..., \"pattern\": ...}` \
             or AWS's `{\"Name\": ..., \"EventPattern\": ...}`)",
            node.offset,
        ));
    }
    let name = required_name(node, "name")?;
    let pattern = node
        .get("pattern")
        .ok_or_else(|| ReadError::at(format!("rule `{name}` has no `pattern`"), node.offset))?;
    let state = node.get("state").and_then(Node::scalar_text);
    Ok(Some(ctx.rule(name, state, Format::RuleLines, pattern)))
}
