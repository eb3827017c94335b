//! Terraform: `aws_cloudwatch_event_rule` resources in `*.tf` files.
//!
//! A reader for the subset of HCL that rule definitions use: blocks,
//! attributes, and expressions made of literals, lists, objects, function
//! calls and references. `event_pattern` may be `jsonencode({...})` (HCL
//! object syntax, read into a tree), a heredoc (`<<EOF` / `<<-EOF`, taken
//! verbatim so positions are exact) or a quoted string.
//!
//! `var.NAME` and `local.NAME` take the values Terraform would give them
//! from what is on disk and on the command line, lowest first: `variable`
//! defaults, `terraform.tfvars`, `*.auto.tfvars` (in name order) and
//! `--parameter var.NAME=VALUE`; `variable` and `locals` blocks are read
//! from every `*.tf` file of the directory, as Terraform reads a module.
//! A local is its expression evaluated the same way, unless
//! `--parameter local.NAME=VALUE` gives it. Other references, function
//! calls and operators are unknown values: the rule is then not static,
//! and each unknown value says what would decide it. Anything the reader does not
//! understand inside an expression is skipped as unknown rather than
//! rejected; only broken structure (an unterminated string, heredoc or
//! block) is an error.

use super::doc::{Node, ReadError, Unresolved, Value};
use super::json::MAX_DEPTH;
use super::{render, template, Ctx, Format, PosMap, RuleSource};

mod values;
use values::Env;

/// What one attribute's expression was, beyond its value.
enum Raw {
    /// A heredoc: its content (template syntax as written) and, per line,
    /// (offset in content, offset in file).
    Heredoc {
        content: String,
        segments: Vec<(usize, usize)>,
    },
    /// A quoted string with template syntax (`${...}`, `$${`) as written,
    /// and the file offset of its first character.
    Template { content: String, offset: usize },
    /// Anything else.
    Plain,
}

struct Attribute {
    name: String,
    value: Node,
    raw: Raw,
    /// Byte offset just past the expression.
    end: usize,
}

struct Block {
    kind: String,
    labels: Vec<String>,
    attributes: Vec<Attribute>,
}

pub(super) fn rules(ctx: &Ctx<'_>, out: &mut Vec<RuleSource>) -> Result<(), ReadError> {
    let text = ctx.file.text();
    let mut first = Reader::new(text, None);
    first.body(0, true)?;
    let env = Env::new(
        ctx.file.path(),
        text,
        &first.blocks,
        &ctx.options.parameters,
    )?;
    let mut p = Reader::new(text, Some(&env));
    p.body(0, true)?;
    let known = |expr: &str| env.interpolated(expr);
    let start = out.len();
    for block in &p.blocks {
        module_rules(ctx, block, out);
    }
    for block in &p.blocks {
        if block.kind != "resource"
            || block.labels.first().map(String::as_str) != Some("aws_cloudwatch_event_rule")
        {
            continue;
        }
        let label = block.labels.get(1).cloned().unwrap_or_default();
        let attr = |name: &str| block.attributes.iter().rev().find(|a| a.name == name);
        let Some(pattern) = attr("event_pattern") else {
            continue; // a scheduled rule
        };
        // A name known only once deployed is shown as written.
        let (name, auto_named) = match attr("name") {
            Some(a) => match (&a.value.value, &a.raw) {
                (Value::String(s), _) => (s.clone(), false),
                (_, Raw::Template { content, .. }) => (content.clone(), true),
                _ => (label.clone(), true),
            },
            None => (label.clone(), true),
        };
        let state = match (attr("state"), attr("is_enabled")) {
            (Some(s), _) => s.value.scalar_text(),
            (None, Some(e)) if e.value.value == Value::Bool(false) => Some("DISABLED".to_string()),
            _ => None,
        };
        let id = (name != label).then(|| label.clone());
        let mut rule = ctx.rule(name, state, Format::Terraform, &pattern.value);
        rule.auto_named = auto_named;
        rule.id = id;
        match &pattern.raw {
            Raw::Heredoc { content, segments } => {
                let filled = template::fill(content, segments, &known);
                rule.embedded = false;
                rule.map = PosMap::Segments(filled.segments);
                rule.pattern = filled.text;
                rule.unresolved = filled.unresolved;
            }
            Raw::Template { content, offset } => {
                let filled = template::fill(content, &[(0, *offset)], &known);
                rule.embedded = filled.text.is_some();
                rule.map = PosMap::Anchors(vec![(0, pattern.value.offset)]);
                rule.pattern = filled.text;
                rule.unresolved = filled.unresolved;
            }
            Raw::Plain => {}
        }
        out.push(rule);
    }
    for rule in &mut out[start..] {
        for u in &mut rule.unresolved {
            u.hint = env.hint(&u.what);
        }
    }
    Ok(())
}

/// Rules given to the terraform-aws-modules EventBridge module:
/// `module "x" { source = ".../eventbridge/aws", rules = { key = {
/// event_pattern = ..., enabled = ... } } }`. The module names each rule
/// `<key with _ as ->-rule` unless `append_rule_postfix = false` (then the
/// key itself), and takes `enabled` (or `state`) for the state.
fn module_rules(ctx: &Ctx<'_>, block: &Block, out: &mut Vec<RuleSource>) {
    if block.kind != "module" {
        return;
    }
    let attr = |name: &str| block.attributes.iter().rev().find(|a| a.name == name);
    let from_module = attr("source")
        .and_then(|a| a.value.as_str())
        .is_some_and(|s| s.contains("eventbridge"));
    let Some(rules) = attr("rules").filter(|_| from_module) else {
        return;
    };
    let postfix = attr("append_rule_postfix").is_none_or(|a| a.value.value != Value::Bool(false));
    let Value::Map(entries) = &rules.value.value else {
        return;
    };
    for (key, rule) in entries {
        let (Some(key), Some(pattern)) = (key.as_str(), rule.get("event_pattern")) else {
            continue; // scheduled rules have no pattern
        };
        let name = if postfix {
            format!("{}-rule", key.replace('_', "-"))
        } else {
            key.to_string()
        };
        let state = match (rule.get("enabled"), rule.get("state")) {
            (Some(e), _) if e.value == Value::Bool(false) => Some("DISABLED".to_string()),
            (Some(e), _) if e.value == Value::Bool(true) => Some("ENABLED".to_string()),
            (_, Some(s)) => s.scalar_text().map(|t| t.to_ascii_uppercase()),
            _ => None,
        };
        let mut found = ctx.rule(name, state, Format::Terraform, pattern);
        found.auto_named = false;
        out.push(found);
    }
}

/// An expression as notes name it: on one line, at most 60 characters.
fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}...", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    blocks: Vec<Block>,
    /// The values references take; none on the first reading.
    env: Option<&'a Env>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, env: Option<&'a Env>) -> Reader<'a> {
        Reader {
            text,
            pos: 0,
            blocks: Vec::new(),
            env,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    /// Skip blanks and comments; newlines too when `lines`.
    fn skip(&mut self, lines: bool) -> Result<(), ReadError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\n') if lines => self.pos += 1,
                Some(b'#') => self.skip_line(),
                Some(b'/') if self.rest().starts_with("//") => self.skip_line(),
                Some(b'/') if self.rest().starts_with("/*") => {
                    let end = self.rest()[2..]
                        .find("*/")
                        .ok_or_else(|| ReadError::at("unterminated comment", self.pos))?;
                    self.pos += end + 4;
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) {
        self.pos += self.rest().find('\n').unwrap_or(self.rest().len());
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b >= 0x80) {
                self.pos += self.rest().chars().next().map_or(1, char::len_utf8);
            } else {
                break;
            }
        }
        (self.pos > start).then(|| self.text[start..self.pos].to_string())
    }

    /// A block body (or the whole file when `top`): attributes and blocks.
    fn body(&mut self, depth: usize, top: bool) -> Result<Vec<Attribute>, ReadError> {
        if depth > MAX_DEPTH {
            return Err(ReadError::at(
                format!("nesting deeper than {MAX_DEPTH} levels"),
                self.pos,
            ));
        }
        let mut attributes = Vec::new();
        loop {
            self.skip(true)?;
            let start = self.pos;
            match self.peek() {
                None if top => return Ok(attributes),
                None => return Err(ReadError::at("unterminated block: expected `}`", self.pos)),
                Some(b'}') if !top => {
                    self.pos += 1;
                    return Ok(attributes);
                }
                _ => {}
            }
            let Some(name) = self.ident() else {
                return Err(ReadError::at("expected an attribute or a block", start));
            };
            self.skip(false)?;
            match self.peek() {
                Some(b'=') if !self.rest().starts_with("==") => {
                    self.pos += 1;
                    self.skip(false)?;
                    let (value, raw) = self.attribute_value(depth)?;
                    let end = self.pos;
                    attributes.push(Attribute {
                        name,
                        value,
                        raw,
                        end,
                    });
                }
                Some(b'"' | b'{') | Some(b'a'..=b'z' | b'A'..=b'Z' | b'_') => {
                    let mut labels = Vec::new();
                    loop {
                        self.skip(false)?;
                        match self.peek() {
                            Some(b'{') => break,
                            Some(b'"') => {
                                let at = self.pos;
                                let (s, interp) = self.quoted()?;
                                if !interp.is_empty() {
                                    return Err(ReadError::at(
                                        "block labels cannot be templates",
                                        at,
                                    ));
                                }
                                labels.push(s);
                            }
                            _ => match self.ident() {
                                Some(l) => labels.push(l),
                                None => {
                                    return Err(ReadError::at(
                                        "expected a block label or `{`",
                                        self.pos,
                                    ))
                                }
                            },
                        }
                    }
                    self.pos += 1;
                    let attributes = self.body(depth + 1, false)?;
                    self.blocks.push(Block {
                        kind: name,
                        labels,
                        attributes,
                    });
                }
                _ => {
                    return Err(ReadError::at(
                        format!("expected `=` or a block after `{name}`"),
                        self.pos,
                    ))
                }
            }
        }
    }

    fn attribute_value(&mut self, depth: usize) -> Result<(Node, Raw), ReadError> {
        let start = self.pos;
        if self.rest().starts_with("<<") {
            return self.heredoc();
        }
        if self.peek() == Some(b'"') {
            let (s, interpolations) = self.quoted()?;
            let written = self.text[start..self.pos].to_string();
            self.skip(false)?;
            if self.at_expression_end() {
                if interpolations.is_empty() {
                    return Ok((Node::new(Value::String(s), start), Raw::Plain));
                }
                self.pos = start;
                let (_, _, content) = self.quoted_template()?;
                self.skip(false)?;
                let value = match self.env.and_then(|env| env.interpolate(&content)) {
                    Some(s) => Value::String(s),
                    None => Value::Unknown(written.trim().to_string()),
                };
                let raw = Raw::Template {
                    content,
                    offset: start + 1,
                };
                return Ok((Node::new(value, start), raw));
            }
            self.pos = start;
        }
        Ok((self.expression(depth)?, Raw::Plain))
    }

    fn at_expression_end(&self) -> bool {
        matches!(
            self.peek(),
            None | Some(b'\n' | b',' | b')' | b']' | b'}' | b'#')
        ) || self.rest().starts_with("//")
            || self.rest().starts_with("/*")
    }

    /// An expression; anything beyond a plain term is unknown.
    fn expression(&mut self, depth: usize) -> Result<Node, ReadError> {
        if depth > MAX_DEPTH {
            return Err(ReadError::at(
                format!("nesting deeper than {MAX_DEPTH} levels"),
                self.pos,
            ));
        }
        let start = self.pos;
        let node = self.term(depth)?;
        self.skip(false)?;
        if self.at_expression_end() {
            return Ok(node);
        }
        // An operator, a conditional, ...: skip to the end, value unknown.
        self.skip_expression()?;
        Ok(Node::new(
            Value::Unknown(short(&self.text[start..self.pos])),
            start,
        ))
    }

    /// A term; one this reader does not follow (a computed object key, an
    /// operator it does not know) is skipped as an unknown value, so that
    /// only broken structure is an error.
    fn term(&mut self, depth: usize) -> Result<Node, ReadError> {
        let start = self.pos;
        let err = match self.term_inner(depth) {
            Ok(node) => return Ok(node),
            Err(err) => err,
        };
        self.pos = start;
        let skipped = match self.peek() {
            Some(b'{' | b'[' | b'(') => self.skip_balanced(),
            Some(b'"') | None => return Err(err),
            Some(_) => self.skip_expression(),
        };
        if skipped.is_err() || self.pos == start {
            return Err(err);
        }
        Ok(Node::new(
            Value::Unknown(short(&self.text[start..self.pos])),
            start,
        ))
    }

    fn term_inner(&mut self, depth: usize) -> Result<Node, ReadError> {
        let start = self.pos;
        let value = match self.peek() {
            None => return Err(ReadError::at("expected an expression", start)),
            Some(b'"') => {
                let (s, interp, content) = self.quoted_template()?;
                if interp.is_empty() {
                    Value::String(s)
                } else if let Some(s) = self.env.and_then(|env| env.interpolate(&content)) {
                    Value::String(s)
                } else {
                    Value::Unknown(short(&self.text[start..self.pos]))
                }
            }
            Some(b'<') if self.rest().starts_with("<<") => {
                let (node, raw) = self.heredoc()?;
                match raw {
                    Raw::Heredoc { content, segments } => {
                        let env = self.env;
                        let known = |e: &str| env.and_then(|env| env.interpolated(e));
                        let filled = template::fill(&content, &segments, &known);
                        if filled.unresolved.is_empty() {
                            Value::String(filled.text.unwrap_or(content))
                        } else {
                            let names: Vec<_> =
                                filled.unresolved.into_iter().map(|u| u.what).collect();
                            Value::Unknown(names.join(", "))
                        }
                    }
                    _ => node.value,
                }
            }
            Some(b'[') => {
                self.pos += 1;
                self.skip(true)?;
                if self.rest().starts_with("for ") {
                    self.pos = start;
                    self.skip_expression()?;
                    return Ok(Node::new(
                        Value::Unknown(short(&self.text[start..self.pos])),
                        start,
                    ));
                }
                let mut items = Vec::new();
                loop {
                    self.skip(true)?;
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        None => {
                            return Err(ReadError::at("unterminated list: expected `]`", start))
                        }
                        _ => {}
                    }
                    items.push(self.expression(depth + 1)?);
                    self.skip(true)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {}
                        None => {
                            return Err(ReadError::at("unterminated list: expected `]`", start))
                        }
                        Some(_) => return Err(ReadError::at("expected `,` or `]`", self.pos)),
                    }
                }
                Value::Seq(items)
            }
            Some(b'{') => {
                self.pos += 1;
                self.skip(true)?;
                if self.rest().starts_with("for ") {
                    self.pos = start;
                    self.skip_expression()?;
                    return Ok(Node::new(
                        Value::Unknown(short(&self.text[start..self.pos])),
                        start,
                    ));
                }
                let mut entries = Vec::new();
                loop {
                    self.skip(true)?;
                    let key_at = self.pos;
                    let key = match self.peek() {
                        Some(b'}') => {
                            self.pos += 1;
                            break;
                        }
                        None => {
                            return Err(ReadError::at("unterminated object: expected `}`", start))
                        }
                        Some(b'"') => {
                            let (s, interp) = self.quoted()?;
                            if !interp.is_empty() {
                                return Err(ReadError::at(
                                    "object keys with interpolation are not supported",
                                    key_at,
                                ));
                            }
                            s
                        }
                        Some(b'(') => {
                            // `(local.field) = ...`: a key whose value is known.
                            let inner = self.expression(depth + 1)?;
                            match inner.value {
                                Value::String(s) => s,
                                _ => {
                                    return Err(ReadError::at(
                                        "computed object keys are not supported",
                                        key_at,
                                    ))
                                }
                            }
                        }
                        _ => self
                            .ident()
                            .ok_or_else(|| ReadError::at("expected an object key", key_at))?,
                    };
                    self.skip(false)?;
                    match self.peek() {
                        Some(b'=' | b':') => self.pos += 1,
                        _ => {
                            return Err(ReadError::at(
                                "expected `=` or `:` after the key",
                                self.pos,
                            ))
                        }
                    }
                    self.skip(false)?;
                    let value = self.expression(depth + 1)?;
                    entries.push((Node::new(Value::String(key), key_at), value));
                    self.skip(false)?;
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                    }
                }
                Value::Map(entries)
            }
            Some(b'(') => {
                self.pos += 1;
                self.skip(true)?;
                let inner = self.expression(depth + 1)?;
                self.skip(true)?;
                if self.peek() != Some(b')') {
                    return Err(ReadError::at("expected `)`", self.pos));
                }
                self.pos += 1;
                return Ok(inner);
            }
            Some(b'-' | b'0'..=b'9') => {
                let s = self.pos;
                self.pos += 1;
                while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = self.peek() {
                    self.pos += 1;
                }
                let text = &self.text[s..self.pos];
                if super::json::parse(text).is_ok() {
                    Value::Number(text.to_string())
                } else {
                    Value::Unknown(text.to_string())
                }
            }
            _ => {
                let Some(word) = self.ident() else {
                    return Err(ReadError::at(
                        format!(
                            "unexpected character `{}`",
                            self.rest().chars().next().unwrap_or(' ')
                        ),
                        start,
                    ));
                };
                match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    "var" | "local" if self.peek() == Some(b'.') => {
                        if let Some(node) = self.reference(&word, start) {
                            return Ok(node);
                        }
                        self.pos = start;
                        self.skip_term()?;
                        Value::Unknown(short(&self.text[start..self.pos]))
                    }
                    _ if self.peek() == Some(b'(') => {
                        self.pos += 1;
                        self.skip(true)?;
                        if word == "jsonencode" {
                            let inner = self.expression(depth + 1)?;
                            self.skip(true)?;
                            if self.peek() == Some(b')') {
                                self.pos += 1;
                                return Ok(inner);
                            }
                        }
                        self.pos = start;
                        self.skip_term()?;
                        Value::Unknown(short(&self.text[start..self.pos]))
                    }
                    _ => {
                        self.pos = start;
                        self.skip_term()?;
                        Value::Unknown(short(&self.text[start..self.pos]))
                    }
                }
            }
        };
        Ok(Node::new(value, start))
    }

    /// `var.NAME` or `local.NAME` (the `.` next), when its value is known;
    /// the value takes the reference's place in the file.
    fn reference(&mut self, kind: &str, start: usize) -> Option<Node> {
        let env = self.env?;
        self.pos += 1;
        let name = self.ident()?;
        if matches!(self.peek(), Some(b'.' | b'[' | b'(')) {
            return None; // an attribute or element of it: not followed
        }
        let mut node = match kind {
            "var" => env.var(&name)?,
            _ => env.local(&name)?,
        };
        place(&mut node, start);
        Some(node)
    }

    /// Skip a reference or call: names, `.attr`, `[index]`, `(args)`.
    fn skip_term(&mut self) -> Result<(), ReadError> {
        loop {
            match self.peek() {
                Some(b'(' | b'[') => self.skip_balanced()?,
                Some(b'.' | b'*') => self.pos += 1,
                Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => self.pos += 1,
                _ => return Ok(()),
            }
        }
    }

    /// Skip to the end of the current expression: a newline, `,` or an
    /// unmatched closer at depth 0.
    fn skip_expression(&mut self) -> Result<(), ReadError> {
        loop {
            match self.peek() {
                None | Some(b'\n' | b',' | b')' | b']' | b'}') => return Ok(()),
                Some(b'(' | b'[' | b'{') => self.skip_balanced()?,
                Some(b'"') => {
                    self.quoted()?;
                }
                Some(b'<')
                    if self.rest().starts_with("<<")
                        && self.rest()[2..]
                            .starts_with(|c: char| c == '-' || c.is_ascii_alphabetic()) =>
                {
                    self.heredoc()?;
                }
                _ => self.pos += 1,
            }
        }
    }

    fn skip_balanced(&mut self) -> Result<(), ReadError> {
        let start = self.pos;
        let mut stack = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ReadError::at("unterminated bracket", start)),
                Some(b @ (b'(' | b'[' | b'{')) => {
                    stack.push(b);
                    self.pos += 1;
                }
                Some(b @ (b')' | b']' | b'}')) => {
                    let open = stack.pop();
                    let want = match b {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    if open != Some(want) {
                        return Err(ReadError::at(
                            format!("unexpected `{}`", b as char),
                            self.pos,
                        ));
                    }
                    self.pos += 1;
                    if stack.is_empty() {
                        return Ok(());
                    }
                }
                Some(b'"') => {
                    self.quoted()?;
                }
                Some(b'#') => self.skip_line(),
                Some(b'/') if self.rest().starts_with("//") || self.rest().starts_with("/*") => {
                    self.skip(false)?
                }
                _ => self.pos += 1,
            }
        }
    }

    /// A quoted template: its text (interpolations kept as written) and the
    /// interpolations found.
    fn quoted(&mut self) -> Result<(String, Vec<Unresolved>), ReadError> {
        let (out, interpolations, _) = self.quoted_template()?;
        Ok((out, interpolations))
    }

    /// [`Self::quoted`], and also the text with template syntax as written
    /// (`${...}`, `$${`), other escapes decoded.
    fn quoted_template(&mut self) -> Result<(String, Vec<Unresolved>, String), ReadError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut template = String::new();
        let mut interpolations = Vec::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return Err(ReadError::at("unterminated string", start));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok((out, interpolations, template));
                }
                '\n' => return Err(ReadError::at("unterminated string", start)),
                '\\' => {
                    let at = self.pos;
                    self.pos += 1;
                    let e = self
                        .rest()
                        .chars()
                        .next()
                        .ok_or_else(|| ReadError::at("unterminated string", start))?;
                    self.pos += e.len_utf8();
                    let len = out.len();
                    match e {
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        'u' | 'U' => {
                            let len = if e == 'u' { 4 } else { 8 };
                            let hex = self.text.get(self.pos..self.pos + len).unwrap_or("");
                            let c = u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| ReadError::at("invalid unicode escape", at))?;
                            self.pos += len;
                            out.push(c);
                        }
                        _ => return Err(ReadError::at(format!("invalid escape `\\{e}`"), at)),
                    }
                    template.push_str(&out[len..]);
                }
                '$' | '%' if self.rest()[1..].starts_with('{') => {
                    if self.rest().starts_with("$${") || self.rest().starts_with("%%{") {
                        out.push(c);
                        out.push('{');
                        template.push_str(&self.rest()[..3]);
                        self.pos += 3;
                        continue;
                    }
                    let at = self.pos;
                    self.pos += 1;
                    self.skip_balanced()?;
                    let raw = &self.text[at..self.pos];
                    out.push_str(raw);
                    template.push_str(raw);
                    interpolations.push(Unresolved {
                        what: raw.to_string(),
                        offset: at,
                        hint: None,
                    });
                }
                _ => {
                    out.push(c);
                    template.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// `<<EOF` or `<<-EOF` up to the closing marker line.
    fn heredoc(&mut self) -> Result<(Node, Raw), ReadError> {
        let start = self.pos;
        self.pos += 2;
        let indent = self.peek() == Some(b'-');
        if indent {
            self.pos += 1;
        }
        let marker = self
            .ident()
            .ok_or_else(|| ReadError::at("expected a heredoc marker", self.pos))?;
        self.skip(false)?;
        if self.peek() != Some(b'\n') {
            return Err(ReadError::at(
                "expected a newline after the heredoc marker",
                self.pos,
            ));
        }
        self.pos += 1;
        // Lines up to the marker line: (file offset, text without newline).
        let mut lines = Vec::new();
        loop {
            if self.pos >= self.text.len() {
                return Err(ReadError::at(
                    format!("unterminated heredoc: no closing `{marker}`"),
                    start,
                ));
            }
            let line_start = self.pos;
            self.skip_line();
            let line = &self.text[line_start..self.pos];
            if self.peek() == Some(b'\n') {
                self.pos += 1;
            }
            if line.trim() == marker {
                break;
            }
            lines.push((line_start, line.trim_end_matches('\r')));
        }
        let strip = if indent {
            lines
                .iter()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(_, l)| l.len() - l.trim_start_matches([' ', '\t']).len())
                .min()
                .unwrap_or(0)
        } else {
            0
        };
        let mut content = String::new();
        let mut segments = Vec::new();
        for (offset, line) in lines {
            let cut = strip.min(line.len() - line.trim_start_matches([' ', '\t']).len());
            segments.push((content.len(), offset + cut));
            content.push_str(&line[cut..]);
            content.push('\n');
        }
        let value = Node::new(Value::String(content.clone()), start);
        Ok((value, Raw::Heredoc { content, segments }))
    }
}

/// Give `node` and everything in it the offset `at`.
fn place(node: &mut Node, at: usize) {
    node.offset = at;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| place(n, at)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            place(k, at);
            place(v, at);
        }),
        _ => {}
    }
}
