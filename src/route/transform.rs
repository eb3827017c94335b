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
//! Values taken from the event come out as `serde_json` prints a `Value`
//! (no whitespace, an object's keys sorted), numbers with their digits as
//! sent (`1.50` stays `1.50`; only an exponent is written `e+5`), though
//! they are read straight off the event's bytes: the
//! paths of every target are resolved in one pass over the event (see
//! `raw.rs`), never through a parsed tree. `<aws.events.event.json>` and
//! `InputPath` `$` send the event text as received. Output is appended to
//! one buffer, sized from the template's literal text.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::error::{Error, Kind};
use crate::route::path::JsonPath;
use crate::route::raw::{
    escape_into, is_plain_json, is_string, validate, write_json, write_string_content, write_text,
    PathSet, Resolved,
};
use crate::time::format_rfc3339;

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
    /// Total length of the literal pieces.
    literal_len: usize,
    /// Whether `<aws.events.event>` is used.
    uses_envelope: bool,
    /// Whether every rendering is valid JSON, whatever the values, so
    /// that checking it can be skipped (see [`skeleton_is_proof`]).
    always_valid: bool,
    /// Its own paths, for [`InputTransformer::render`].
    own: PathSet,
    own_binding: Binding,
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
        let literal_len = pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.len(),
                Piece::Placeholder { .. } => 0,
            })
            .sum();
        let uses_envelope = pieces.iter().any(|p| {
            matches!(
                p,
                Piece::Placeholder {
                    var: Var::Event,
                    ..
                }
            )
        });
        let always_valid = skeleton_is_proof(&pieces);
        let mut tr = InputTransformer {
            target_id: target_id.to_string(),
            json_template,
            paths,
            pieces,
            literal_len,
            uses_envelope,
            always_valid,
            own: PathSet::new(),
            own_binding: Binding::default(),
        };
        let mut own = PathSet::new();
        tr.own_binding = tr.bind(&mut own);
        tr.own = own;
        Ok(tr)
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
        let resolved = self
            .own
            .resolve(event)
            .map_err(|e| routing(format!("The event is not valid JSON: {e}")))?;
        let mut out = String::new();
        self.render_into(event, &resolved, &self.own_binding, ctx, &mut out)
            .map_err(routing)?;
        Ok(out)
    }

    /// Add the paths this transformer reads to `set`; where to find their
    /// values in what `set` resolves.
    pub(crate) fn bind(&self, set: &mut PathSet) -> Binding {
        Binding {
            paths: self.paths.iter().map(|p| set.add(p)).collect(),
            envelope: self.uses_envelope.then(|| {
                ENVELOPE.map(|(from, _)| {
                    set.add(&JsonPath::parse(&format!("$['{from}']")).expect("a plain key"))
                })
            }),
        }
    }

    /// Render into `out` (which it appends to) with the event resolved
    /// by the set `binding` was made with; `Err` is the failure reason.
    pub(crate) fn render_into(
        &self,
        text: &str,
        event: &Resolved<'_>,
        binding: &Binding,
        ctx: &RenderContext<'_>,
        out: &mut String,
    ) -> Result<(), String> {
        let start = out.len();
        out.reserve(self.literal_len + 64);
        let mut check = !self.always_valid;
        for piece in &self.pieces {
            let (var, in_string) = match piece {
                Piece::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Piece::Placeholder { var, in_string } => (var, *in_string),
            };
            let reserved = |out: &mut String, s: &str| {
                if in_string {
                    escape_into(out, s);
                } else {
                    out.push('"');
                    escape_into(out, s);
                    out.push('"');
                }
            };
            let value = match var {
                Var::Path(i) => event.get(binding.paths[*i]),
                Var::RuleName => {
                    reserved(out, ctx.rule_name);
                    continue;
                }
                Var::RuleArn => {
                    reserved(out, ctx.rule_arn);
                    continue;
                }
                Var::IngestionTime => {
                    reserved(out, &format_rfc3339(ctx.ingestion_time));
                    continue;
                }
                Var::Event => {
                    write_event_envelope(out, event, binding, ctx.ingestion_time);
                    continue;
                }
                Var::EventJson => {
                    out.push_str(text.trim());
                    continue;
                }
            };
            match (value, in_string) {
                (None, false) => out.push_str("\"\""),
                (None, true) => {}
                (Some(v), false) => write_json(out, v),
                (Some(v), true) if is_string(v) => write_string_content(out, v),
                (Some(v), true) if self.json_template => {
                    // An array or object inside a string may break it (as
                    // on AWS): check.
                    check |= v.starts_with(['[', '{']);
                    write_json(out, v);
                }
                (Some(v), true) => write_text(out, v),
            }
        }
        if !check {
            debug_assert!(validate(&out[start..]).is_ok(), "{}", &out[start..]);
            return Ok(());
        }
        if let Err(e) = validate(&out[start..]) {
            return Err(format!(
                "InputTemplate for target {} did not produce valid JSON ({e}): {}",
                self.target_id,
                &out[start..]
            ));
        }
        Ok(())
    }
}

/// Whether the template's pieces prove every rendering valid JSON. They do
/// when the skeleton (value placeholders as `null`, placeholders in
/// strings as nothing) is JSON and every string placeholder is inside a
/// string (and not right after a backslash): JSON's grammar then takes any
/// value where `null` is, and what goes into a string (escaped string
/// content, numbers, `true`, text forms) keeps it a string. The one
/// exception, an array or object inside a string of a JSON template, is
/// checked when rendering.
fn skeleton_is_proof(pieces: &[Piece]) -> bool {
    let mut skeleton = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for piece in pieces {
        match piece {
            Piece::Literal(s) => {
                skeleton.push_str(s);
                for c in s.chars() {
                    if !in_string {
                        in_string = c == '"';
                    } else if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = false;
                    }
                }
            }
            Piece::Placeholder {
                in_string: true, ..
            } => {
                if !in_string || escaped {
                    return false;
                }
            }
            Piece::Placeholder { .. } => {
                if in_string {
                    return false;
                }
                skeleton.push_str("null");
            }
        }
    }
    is_plain_json(&skeleton)
}

/// Where the values a transformer (or `InputPath`) reads are, among the
/// nodes of a [`PathSet`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Binding {
    /// One node per path of `InputPathsMap` (or the one `InputPath`).
    paths: Vec<usize>,
    /// The nodes of [`ENVELOPE`]'s fields, when `<aws.events.event>` is
    /// used.
    envelope: Option<[usize; 8]>,
}

/// The fields of `<aws.events.event>`, in order, with their new names.
/// `time` is the ingestion time rather than the event's.
const ENVELOPE: [(&str, &str); 8] = [
    ("version", "version"),
    ("id", "id"),
    ("detail-type", "detailType"),
    ("source", "source"),
    ("account", "account"),
    ("time", "time"),
    ("region", "region"),
    ("resources", "resources"),
];

/// `<aws.events.event>`: the envelope without `detail`, with `detailType`
/// for `detail-type` and the ingestion time as `time`.
fn write_event_envelope(
    out: &mut String,
    event: &Resolved<'_>,
    binding: &Binding,
    ingestion_time: SystemTime,
) {
    out.push('{');
    let mut first = true;
    for (i, (from, to)) in ENVELOPE.iter().enumerate() {
        let value = match binding.envelope {
            _ if *from == "time" => None,
            Some(nodes) => event.get(nodes[i]),
            None => None,
        };
        if *from != "time" && value.is_none() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(to);
        out.push_str("\":");
        match value {
            Some(v) => write_json(out, v),
            None => {
                out.push('"');
                out.push_str(&format_rfc3339(ingestion_time));
                out.push('"');
            }
        }
    }
    out.push('}');
}

/// `InputTransformer` as configured: variables and a template.
///
/// ```
/// use evrule::route::InputTransformerConfig;
/// let t = InputTransformerConfig::new(r#"{"key": <k>}"#).path("k", "$.detail.key");
/// assert_eq!(t.input_paths_map["k"], "$.detail.key");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputTransformerConfig {
    /// `InputPathsMap`: variable name -> JSON path into the event.
    pub input_paths_map: BTreeMap<String, String>,
    /// `InputTemplate`: text with `<name>` placeholders.
    pub input_template: String,
}

impl InputTransformerConfig {
    /// A transformer with a template and no variables yet.
    ///
    /// ```
    /// let t = evrule::route::InputTransformerConfig::new(r#""<aws.events.rule-name>""#);
    /// assert!(t.input_paths_map.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(template: impl Into<String>) -> InputTransformerConfig {
        InputTransformerConfig {
            input_paths_map: BTreeMap::new(),
            input_template: template.into(),
        }
    }

    /// Define a variable (builder style).
    ///
    /// ```
    /// let t = evrule::route::InputTransformerConfig::new("\"<a>\"").path("a", "$.id");
    /// assert_eq!(t.input_paths_map.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(mut self, name: impl Into<String>, path: impl Into<String>) -> Self {
        self.input_paths_map.insert(name.into(), path.into());
        self
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
    pub(crate) fn compile(
        id: &str,
        input: Option<&str>,
        input_path: Option<&str>,
        input_transformer: Option<&InputTransformerConfig>,
    ) -> Result<TargetInput, Error> {
        let given = usize::from(input.is_some())
            + usize::from(input_path.is_some())
            + usize::from(input_transformer.is_some());
        if given > 1 {
            return Err(routing(format!(
                "Only one of Input, InputPath, or InputTransformer must be provided for target {id}."
            )));
        }
        if let Some(input) = input {
            if validate(input).is_err() {
                return Err(routing(format!(
                    "Input for target {id} is not valid JSON text."
                )));
            }
            return Ok(TargetInput::Constant(input.to_string()));
        }
        if let Some(path) = input_path {
            return JsonPath::parse(path).map(TargetInput::Path).ok_or_else(|| {
                routing(format!(
                    "InputPath for target {id} is not a valid JSON path: {path}."
                ))
            });
        }
        if let Some(config) = input_transformer {
            return InputTransformer::compile(id, config).map(TargetInput::Transformer);
        }
        Ok(TargetInput::Event)
    }

    /// Whether rendering needs the event resolved.
    pub(crate) fn needs_event(&self) -> bool {
        matches!(self, TargetInput::Path(_) | TargetInput::Transformer(_))
    }

    /// Add the paths this input reads to `set`.
    pub(crate) fn bind(&self, set: &mut PathSet) -> Binding {
        match self {
            TargetInput::Path(p) => Binding {
                paths: vec![set.add(p)],
                envelope: None,
            },
            TargetInput::Transformer(t) => t.bind(set),
            TargetInput::Event | TargetInput::Constant(_) => Binding::default(),
        }
    }

    /// The body of an `InputPath` or `InputTransformer` target, or why
    /// there is none. `event` is `None` when the event is not JSON.
    pub(crate) fn render(
        &self,
        text: &str,
        event: Option<&Resolved<'_>>,
        binding: &Binding,
        ctx: &RenderContext<'_>,
        target_id: &str,
    ) -> Result<String, String> {
        match self {
            TargetInput::Event => Ok(text.to_string()),
            TargetInput::Constant(s) => Ok(s.clone()),
            TargetInput::Path(p) => {
                let event = event.ok_or("The event is not valid JSON")?;
                match event.get(binding.paths[0]) {
                    Some(_) if p.as_str() == "$" => Ok(text.trim().to_string()),
                    Some(v) => {
                        let mut out = String::with_capacity(v.len());
                        write_json(&mut out, v);
                        Ok(out)
                    }
                    None => Err(format!(
                        "InputPath {} for target {target_id} selects nothing in the event.",
                        p.as_str()
                    )),
                }
            }
            TargetInput::Transformer(t) => {
                let event = event.ok_or("The event is not valid JSON")?;
                let mut out = String::new();
                t.render_into(text, event, binding, ctx, &mut out)?;
                Ok(out)
            }
        }
    }
}
