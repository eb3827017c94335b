//! What a target receives: the event, a constant, a part of the event, or
//! the output of an input transformer.
//!
//! An [`InputTransformer`] is compiled once when its target is loaded: the
//! paths of `InputPathsMap` are parsed, and the template is split into
//! literal pieces and placeholders. Each placeholder remembers whether it
//! sits inside a JSON string or in value position, because EventBridge
//! renders the two differently:
//!
//! * JSON template (starts with `{` or `[`), value position: the JSON value
//!   (`"0a787ecb-4015"`, `{"acc_id": ...}`); an undefined variable gives `""`.
//! * JSON template, inside a string: the raw text of the value (a string's
//!   characters, escaped so the string stays a string; arrays and objects
//!   as JSON text, unescaped, which breaks the string as AWS does).
//! * Any other template (a quoted string or plain text): values as text,
//!   objects as `{acc_id:0a787ecb-4015,sf_id:baz}`, arrays as
//!   `[ACTIVE,INACTIVE]`; an undefined variable gives nothing.
//!
//! The rendered text must be valid JSON, else nothing is delivered and the
//! delivery fails for that target with the reason. At load time, a
//! placeholder naming nothing, a placeholder used as an object key, and
//! `<aws.events.event>` / `<aws.events.event.json>` outside value position
//! are errors.
//!
//! Values taken from the event are re-serialized by `serde_json`, so an
//! object's keys come out sorted and numbers in `serde_json`'s spelling;
//! `<aws.events.event.json>` and `InputPath` `$` send the event text as
//! received.

use std::fmt::Write as _;
use std::time::SystemTime;

use serde_json::Value;

use crate::error::{Error, Kind};
use crate::route::model::{InputTransformerConfig, Target};
use crate::route::path::JsonPath;
use crate::route::time::format_rfc3339;

const RULE_NAME: &str = "aws.events.rule-name";
const RULE_ARN: &str = "aws.events.rule-arn";
const INGESTION_TIME: &str = "aws.events.event.ingestion-time";
const EVENT: &str = "aws.events.event";
const EVENT_JSON: &str = "aws.events.event.json";

/// The facts about a delivery that reserved variables expose.
///
/// ```
/// use evrule::route::RenderContext;
/// let ctx = RenderContext::new("orders", "arn:aws:events:us-east-1:123456789012:rule/orders",
///                              std::time::UNIX_EPOCH);
/// assert_eq!(ctx.rule_name, "orders");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RenderContext<'a> {
    /// `<aws.events.rule-name>`.
    pub rule_name: &'a str,
    /// `<aws.events.rule-arn>`.
    pub rule_arn: &'a str,
    /// `<aws.events.event.ingestion-time>`, and `time` in
    /// `<aws.events.event>`.
    pub ingestion_time: SystemTime,
}

impl<'a> RenderContext<'a> {
    /// Bundle the three facts.
    ///
    /// ```
    /// let ctx = evrule::route::RenderContext::new("r", "arn", std::time::SystemTime::now());
    /// assert_eq!(ctx.rule_arn, "arn");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(rule_name: &'a str, rule_arn: &'a str, ingestion_time: SystemTime) -> Self {
        RenderContext {
            rule_name,
            rule_arn,
            ingestion_time,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Var {
    /// Index into `InputTransformer::paths`.
    Path(usize),
    RuleName,
    RuleArn,
    IngestionTime,
    Event,
    EventJson,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Placeholder { var: Var, in_string: bool },
}

/// A compiled `InputTransformer`.
///
/// ```
/// use evrule::route::{InputTransformer, InputTransformerConfig, RenderContext};
/// let config = InputTransformerConfig::new(r#"{"key": <key>, "note": "key is <key>"}"#)
///     .path("key", "$.detail.object.key");
/// let tr = InputTransformer::compile("t1", &config)?;
/// let event = r#"{"source": "aws.s3", "detail": {"object": {"key": "a.txt"}}}"#;
/// let ctx = RenderContext::new("r", "arn:r", std::time::UNIX_EPOCH);
/// assert_eq!(tr.render(event, &ctx)?, r#"{"key": "a.txt", "note": "key is a.txt"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct InputTransformer {
    target_id: String,
    json_template: bool,
    paths: Vec<JsonPath>,
    pieces: Vec<Piece>,
}

fn routing(msg: impl Into<String>) -> Error {
    Error::new(Kind::Routing, msg)
}

fn is_placeholder_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

impl InputTransformer {
    /// Parse the paths and split the template, checking every placeholder
    /// names a variable or a reserved name.
    ///
    /// ```
    /// use evrule::route::{InputTransformer, InputTransformerConfig};
    /// let config = InputTransformerConfig::new(r#"{"a": <notdefinedkey>}"#);
    /// let err = InputTransformer::compile("t1", &config).unwrap_err();
    /// assert_eq!(err.message(),
    ///            "InputTemplate for target t1 contains invalid placeholder notdefinedkey.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(target_id: &str, config: &InputTransformerConfig) -> Result<Self, Error> {
        let mut names = Vec::new();
        let mut paths = Vec::new();
        for (name, text) in &config.input_paths_map {
            let path = JsonPath::parse(text).ok_or_else(|| {
                routing(format!(
                    "InputPathsMap for target {target_id} has an invalid JSON path for {name}: {text}."
                ))
            })?;
            names.push(name.as_str());
            paths.push(path);
        }
        let template = &config.input_template;
        let json_template = matches!(template.trim_start().chars().next(), Some('{' | '['));
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut in_string = false;
        let mut escaped = false;
        // Open containers and the last significant character outside
        // strings: enough to tell an object key position from a value.
        let mut containers: Vec<char> = Vec::new();
        let mut last_significant = ' ';
        let mut rest = template.as_str();
        while let Some(c) = rest.chars().next() {
            if c == '<' {
                let name_len = rest[1..]
                    .find(|ch: char| !is_placeholder_char(ch))
                    .unwrap_or(rest.len() - 1);
                if name_len > 0 && rest[1 + name_len..].starts_with('>') {
                    let name = &rest[1..1 + name_len];
                    let var = match name {
                        RULE_NAME => Var::RuleName,
                        RULE_ARN => Var::RuleArn,
                        INGESTION_TIME => Var::IngestionTime,
                        EVENT => Var::Event,
                        EVENT_JSON => Var::EventJson,
                        _ => match names.iter().position(|n| *n == name) {
                            Some(i) => Var::Path(i),
                            None => {
                                return Err(routing(format!(
                                    "InputTemplate for target {target_id} contains invalid placeholder {name}."
                                )))
                            }
                        },
                    };
                    if json_template
                        && !in_string
                        && containers.last() == Some(&'{')
                        && matches!(last_significant, '{' | ',')
                    {
                        return Err(routing(format!(
                            "InputTemplate for target {target_id} uses <{name}> as an object key."
                        )));
                    }
                    last_significant = 'v';
                    let in_string = in_string || !json_template;
                    if in_string && matches!(var, Var::Event | Var::EventJson) {
                        return Err(routing(format!(
                            "InputTemplate for target {target_id} uses <{name}> inside a string; \
                             it may only be a JSON value."
                        )));
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Placeholder { var, in_string });
                    rest = &rest[name_len + 2..];
                    escaped = false;
                    continue;
                }
            }
            if json_template {
                if escaped {
                    escaped = false;
                } else if in_string && c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = !in_string;
                    last_significant = '"';
                } else if !in_string && !c.is_whitespace() {
                    match c {
                        '{' | '[' => containers.push(c),
                        '}' | ']' => {
                            containers.pop();
                        }
                        _ => {}
                    }
                    last_significant = c;
                }
            }
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(InputTransformer {
            target_id: target_id.to_string(),
            json_template,
            paths,
            pieces,
        })
    }

    /// Render for one event given as JSON text. Fails, with the reason,
    /// when the event is not JSON or the result is not valid JSON.
    ///
    /// ```
    /// use evrule::route::{InputTransformer, InputTransformerConfig, RenderContext};
    /// let tr = InputTransformer::compile("t", &InputTransformerConfig::new(
    ///     r#"{"v": "<l>"}"#).path("l", "$.list"))?;
    /// let ctx = RenderContext::new("r", "arn:r", std::time::UNIX_EPOCH);
    /// let err = tr.render(r#"{"list": ["HIGH"]}"#, &ctx).unwrap_err();
    /// assert!(err.message().starts_with("InputTemplate for target t did not produce valid JSON"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render(&self, event: &str, ctx: &RenderContext<'_>) -> Result<String, Error> {
        let parsed: Value = serde_json::from_str(event)
            .map_err(|e| routing(format!("The event is not valid JSON: {e}")))?;
        self.render_parsed(event, &parsed, ctx).map_err(routing)
    }

    /// Render with the event already parsed; `Err` is the failure reason.
    pub(crate) fn render_parsed(
        &self,
        text: &str,
        event: &Value,
        ctx: &RenderContext<'_>,
    ) -> Result<String, String> {
        let mut out = String::new();
        for piece in &self.pieces {
            let (var, in_string) = match piece {
                Piece::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Piece::Placeholder { var, in_string } => (var, *in_string),
            };
            let owned;
            let value: Option<&Value> = match var {
                Var::Path(i) => self.paths[*i].lookup(event),
                Var::RuleName => {
                    owned = Value::String(ctx.rule_name.to_string());
                    Some(&owned)
                }
                Var::RuleArn => {
                    owned = Value::String(ctx.rule_arn.to_string());
                    Some(&owned)
                }
                Var::IngestionTime => {
                    owned = Value::String(format_rfc3339(ctx.ingestion_time));
                    Some(&owned)
                }
                Var::Event => {
                    write_event_envelope(&mut out, event, ctx.ingestion_time);
                    continue;
                }
                Var::EventJson => {
                    out.push_str(text.trim());
                    continue;
                }
            };
            match (value, in_string, self.json_template) {
                (None, false, _) => out.push_str("\"\""),
                (None, true, _) => {}
                (Some(v), false, _) => out.push_str(&v.to_string()),
                (Some(Value::String(s)), true, _) => escape_into(&mut out, s),
                (Some(v), true, true) => out.push_str(&v.to_string()),
                (Some(v), true, false) => write_text(&mut out, v),
            }
        }
        if let Err(e) = serde_json::from_str::<Value>(&out) {
            return Err(format!(
                "InputTemplate for target {} did not produce valid JSON ({e}): {out}",
                self.target_id
            ));
        }
        Ok(out)
    }
}

/// `<aws.events.event>`: the envelope without `detail`, with `detailType`
/// for `detail-type` and the ingestion time as `time`.
fn write_event_envelope(out: &mut String, event: &Value, ingestion_time: SystemTime) {
    out.push('{');
    let mut first = true;
    let mut field = |out: &mut String, key: &str, value: &Value| {
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "\"{key}\":{value}");
    };
    for (from, to) in [
        ("version", "version"),
        ("id", "id"),
        ("detail-type", "detailType"),
        ("source", "source"),
        ("account", "account"),
        ("time", "time"),
        ("region", "region"),
        ("resources", "resources"),
    ] {
        if from == "time" {
            field(out, to, &Value::String(format_rfc3339(ingestion_time)));
        } else if let Some(v) = event.get(from) {
            field(out, to, v);
        }
    }
    out.push('}');
}

/// The characters of `s` as they must appear inside a JSON string.
fn escape_into(out: &mut String, s: &str) {
    let quoted = Value::String(s.to_string()).to_string();
    out.push_str(&quoted[1..quoted.len() - 1]);
}

/// Text rendering: `{acc_id:0a787ecb-4015,sf_id:baz}`, `[ACTIVE,INACTIVE]`.
fn write_text(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => escape_into(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_text(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                escape_into(out, k);
                out.push(':');
                write_text(out, item);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A target's input setting, compiled.
#[derive(Clone, Debug)]
pub(crate) enum TargetInput {
    /// The matched event, unchanged.
    Event,
    /// `Input`.
    Constant(String),
    /// `InputPath`.
    Path(JsonPath),
    /// `InputTransformer`.
    Transformer(InputTransformer),
}

impl TargetInput {
    /// Check the one-of rule and compile whichever setting is present.
    pub(crate) fn compile(target: &Target) -> Result<TargetInput, Error> {
        let id = &target.id;
        let given = usize::from(target.input.is_some())
            + usize::from(target.input_path.is_some())
            + usize::from(target.input_transformer.is_some());
        if given > 1 {
            return Err(routing(format!(
                "Only one of Input, InputPath, or InputTransformer must be provided for target {id}."
            )));
        }
        if let Some(input) = &target.input {
            if serde_json::from_str::<Value>(input).is_err() {
                return Err(routing(format!(
                    "Input for target {id} is not valid JSON text."
                )));
            }
            return Ok(TargetInput::Constant(input.clone()));
        }
        if let Some(path) = &target.input_path {
            return JsonPath::parse(path).map(TargetInput::Path).ok_or_else(|| {
                routing(format!(
                    "InputPath for target {id} is not a valid JSON path: {path}."
                ))
            });
        }
        if let Some(config) = &target.input_transformer {
            return InputTransformer::compile(id, config).map(TargetInput::Transformer);
        }
        Ok(TargetInput::Event)
    }

    /// Whether rendering needs the parsed event.
    pub(crate) fn needs_event(&self) -> bool {
        matches!(self, TargetInput::Path(_) | TargetInput::Transformer(_))
    }

    /// The body to deliver, or why there is none.
    pub(crate) fn render(
        &self,
        text: &str,
        event: Option<&Value>,
        ctx: &RenderContext<'_>,
        target_id: &str,
    ) -> Result<String, String> {
        match self {
            TargetInput::Event => Ok(text.to_string()),
            TargetInput::Constant(s) => Ok(s.clone()),
            TargetInput::Path(p) => {
                let event = event.ok_or("The event is not valid JSON")?;
                match p.lookup(event) {
                    Some(_) if p.as_str() == "$" => Ok(text.trim().to_string()),
                    Some(v) => Ok(v.to_string()),
                    None => Err(format!(
                        "InputPath {} for target {target_id} selects nothing in the event.",
                        p.as_str()
                    )),
                }
            }
            TargetInput::Transformer(t) => {
                let event = event.ok_or("The event is not valid JSON")?;
                t.render_parsed(text, event, ctx)
            }
        }
    }
}
