//! Serverless Framework `serverless.yml`: the `eventBridge` (and older
//! `cloudwatchEvent`) events of functions, and the CloudFormation
//! resources under `resources:`.
//!
//! An `eventBridge` event with a `pattern` is a rule (one with only a
//! `schedule` is not); a `cloudwatchEvent` event's pattern is its `event`.
//! The rule is named by the event's `name`; without one the Framework
//! generates the deployed name, and the rule is shown as
//! `<function>-eventbridge-<n>` (`<function>-cloudwatchevent-<n>`), `n`
//! counting that function's events of the kind from 1.
//!
//! Framework variables (`${self:custom.bus}`, `${opt:stage, 'dev'}`,
//! `${env:X}`, ...) are resolved where the file alone decides them:
//! `self:` references to plain values, and fallbacks written as literals.
//! Others are unknown values. `${AWS::Region}` and `${Param}` are not
//! Framework variables (they belong to `Fn::Sub`) and are left alone.

use super::doc::{Node, ReadError, Value};
use super::{cfn, Ctx, Format, RuleSource};

/// Deepest chain of `self:` references followed.
const MAX_DEPTH: usize = 16;

/// Whether `doc` is a Serverless Framework service.
pub(super) fn is_serverless(doc: &Node) -> bool {
    doc.get("service").is_some()
        && (doc.get("functions").is_some() || doc.get("provider").is_some())
}

pub(super) fn rules(ctx: &Ctx<'_>, doc: &Node, out: &mut Vec<RuleSource>) -> Result<(), ReadError> {
    let vars = Vars { root: doc };
    // Intrinsic functions in patterns (`Ref: Bucket`) are evaluated
    // against the service's own CloudFormation resources.
    let template = doc
        .get("resources")
        .map(|r| vars.resolve(r, 0))
        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), 0));
    let functions = doc
        .get("functions")
        .and_then(Node::as_map)
        .unwrap_or_default();
    for (fname, function) in functions {
        let fname = fname.as_str().unwrap_or_default();
        let events = function
            .get("events")
            .and_then(Node::as_seq)
            .unwrap_or_default();
        let (mut bridge, mut watch) = (0, 0);
        for event in events {
            let (pattern, kind, n, spec) = if let Some(spec) = event.get("eventBridge") {
                bridge += 1;
                (spec.get("pattern"), "eventbridge", bridge, spec)
            } else if let Some(spec) = event.get("cloudwatchEvent") {
                watch += 1;
                (spec.get("event"), "cloudwatchevent", watch, spec)
            } else {
                continue;
            };
            let Some(pattern) = pattern else {
                continue; // a schedule
            };
            let given = spec
                .get("name")
                .map(|n| vars.resolve(n, 0))
                .and_then(|n| n.scalar_text());
            let auto_named = given.is_none();
            let name = given.unwrap_or_else(|| format!("{fname}-{kind}-{n}"));
            let state = match spec.get("enabled").map(|e| vars.resolve(e, 0).value) {
                Some(Value::Bool(false)) => Some("DISABLED".to_string()),
                _ => None,
            };
            let pattern = cfn::resolve_in(ctx, &template, &vars.resolve(pattern, 0));
            let mut rule = ctx.rule(name, state, Format::Serverless, &pattern);
            rule.auto_named = auto_named;
            out.push(rule);
        }
    }
    // CloudFormation resources of the service.
    if template.get("Resources").and_then(Node::as_map).is_some() {
        let from = out.len();
        cfn::rules(ctx, &template, out)?;
        for rule in &mut out[from..] {
            rule.format = Format::Serverless;
        }
    }
    Ok(())
}

/// What the file decides about its variables.
struct Vars<'a> {
    root: &'a Node,
}

impl Vars<'_> {
    /// `node` with every Framework variable resolved or made unknown.
    fn resolve(&self, node: &Node, depth: usize) -> Node {
        let value = match &node.value {
            Value::String(s) if s.contains("${") => return self.string(node, s, depth),
            Value::Seq(items) => Value::Seq(items.iter().map(|n| self.resolve(n, depth)).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v, depth)))
                    .collect(),
            ),
            other => other.clone(),
        };
        Node {
            value,
            offset: node.offset,
            tag: node.tag.clone(),
        }
    }

    /// A string holding variables: the whole string is one variable (its
    /// value, of any type), or variables are spliced into text.
    fn string(&self, node: &Node, s: &str, depth: usize) -> Node {
        let unknown = || Node::new(Value::Unknown(s.to_string()), node.offset);
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            let Some(len) = variable_len(&rest[i..]) else {
                out.push_str(&rest[..i + 2]);
                rest = &rest[i + 2..];
                continue;
            };
            let var = &rest[i + 2..i + len - 1];
            let Some(value) = self.variable(var, depth) else {
                return unknown();
            };
            if i == 0 && len == rest.len() && out.is_empty() {
                // The whole string: keep the value's type.
                let mut value = value;
                value.offset = node.offset;
                return value;
            }
            let Some(text) = value.scalar_text() else {
                return unknown();
            };
            out.push_str(&rest[..i]);
            out.push_str(&text);
            rest = &rest[i + len..];
        }
        out.push_str(rest);
        let mut n = node.clone();
        n.value = Value::String(out);
        n
    }

    /// The value of one variable (the text between `${` and `}`).
    fn variable(&self, var: &str, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let mut choices = split_top(var, ',');
        let first = choices.remove(0);
        let found = first
            .trim()
            .strip_prefix("self:")
            .and_then(|path| self.lookup(path.trim()))
            .map(|n| self.resolve(n, depth + 1))
            .filter(|n| !contains_unknown(n));
        if found.is_some() {
            return found;
        }
        // Fallbacks: the first one written as a literal.
        for choice in choices {
            let c = choice.trim();
            if let Some(lit) = c
                .strip_prefix('\'')
                .and_then(|c| c.strip_suffix('\''))
                .or_else(|| c.strip_prefix('"').and_then(|c| c.strip_suffix('"')))
            {
                return Some(Node::new(Value::String(lit.to_string()), 0));
            }
            if c.parse::<f64>().is_ok() {
                return Some(Node::new(Value::Number(c.to_string()), 0));
            }
            if c == "true" || c == "false" {
                return Some(Node::new(Value::Bool(c == "true"), 0));
            }
            if let Some(n) = c
                .strip_prefix("self:")
                .and_then(|p| self.lookup(p.trim()))
                .map(|n| self.resolve(n, depth + 1))
                .filter(|n| !contains_unknown(n))
            {
                return Some(n);
            }
        }
        None
    }

    /// The node at a dotted path from the root (`custom.bus.name`).
    fn lookup(&self, path: &str) -> Option<&Node> {
        let mut node = self.root;
        if path.is_empty() {
            return None;
        }
        for part in path.split('.') {
            node = match &node.value {
                Value::Map(_) => node.get(part)?,
                Value::Seq(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// The length of the Framework variable `${source:...}` starting `text`
/// (braces balanced), or `None` when what starts there is not one:
/// `${AWS::Region}` and `${Param}` are `Fn::Sub` syntax.
fn variable_len(text: &str) -> Option<usize> {
    let body = &text[2..];
    let source_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(body.len());
    let is_var = match body[source_len..].chars().next() {
        Some(':') => !body[source_len..].starts_with("::") && source_len > 0,
        Some('(') => source_len > 0, // file(...)
        _ => false,
    };
    if !is_var {
        return None;
    }
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// `text` split at `sep` outside quotes, brackets and nested variables.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '{' | '(' | '[') => depth += 1,
            (None, '}' | ')' | ']') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn contains_unknown(node: &Node) -> bool {
    match &node.value {
        Value::Unknown(_) => true,
        Value::Seq(items) => items.iter().any(contains_unknown),
        Value::Map(entries) => entries.iter().any(|(_, v)| contains_unknown(v)),
        _ => false,
    }
}
