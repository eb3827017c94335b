//! Rule sources: the files that hold EventBridge rules, in every format
//! evrule reads, turned into one [`RuleSource`] record per rule.
//!
//! A file is read into a [`doc::Node`] tree (JSON, YAML or a Terraform
//! subset), its format is recognised from its shape, and each rule's pattern
//! becomes pattern text plus a [`PosMap`] that maps an offset in that text
//! back to a line and column in the user's file. Patterns written as trees
//! are rendered to compact JSON; patterns held in strings are taken as they
//! are. Values that cannot be known without deploying (CloudFormation
//! intrinsics that do not resolve statically, Terraform references) become a
//! placeholder and mark the rule as not static.
//!
//! Entry points: [`discover`] expands paths into candidate files,
//! [`load_file`] reads one file, [`load`] does both for a list of paths.

mod cfn;
pub mod doc;
mod hcl;
pub mod json;
mod lines;
mod render;
mod serverless;
pub mod suggest;
mod targets;
mod template;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use doc::SourceFile;
pub use doc::Unresolved;
use doc::{Node, ReadError, Value};
pub use render::UNKNOWN;
pub use targets::{load_targets, to_json, to_json_text, write_compact, RuleTargets};
pub use yaml::parse as parse_yaml;
pub use yaml::string_segments;

/// The kind of file a rule came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `aws events list-rules` output, JSON.
    ListRulesJson,
    /// `aws events list-rules` output, YAML.
    ListRulesYaml,
    /// `aws events describe-rule` output.
    DescribeRule,
    /// A file holding one bare pattern.
    Pattern,
    /// evrule's own `rules:` file.
    Native,
    /// A CloudFormation template in JSON (CDK output included).
    CfnJson,
    /// A CloudFormation template in YAML.
    CfnYaml,
    /// A template with the `AWS::Serverless-2016-10-31` transform.
    Sam,
    /// Terraform `aws_cloudwatch_event_rule` resources.
    Terraform,
    /// A Serverless Framework `serverless.yml`.
    Serverless,
    /// NDJSON, one `{"name", "pattern"}` object per line.
    RuleLines,
}

impl Format {
    /// The tag shown to users (`cfn-yaml`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ListRulesJson => "list-rules-json",
            Format::ListRulesYaml => "list-rules-yaml",
            Format::DescribeRule => "describe-rule",
            Format::Pattern => "pattern",
            Format::Native => "native",
            Format::CfnJson => "cfn-json",
            Format::CfnYaml => "cfn-yaml",
            Format::Sam => "sam",
            Format::Terraform => "terraform",
            Format::Serverless => "serverless",
            Format::RuleLines => "ndjson",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How offsets in a rule's pattern text map onto its file.
#[derive(Clone, Debug)]
pub enum PosMap {
    /// The pattern was rendered from a tree: each entry is (offset in the
    /// pattern text where a node starts, offset in the file of that node).
    /// An offset maps to the node it falls in.
    Anchors(Vec<(usize, usize)>),
    /// The pattern text is the file's text in runs: each entry starts a run
    /// in which pattern and file advance together byte by byte.
    Segments(Vec<(usize, usize)>),
}

impl PosMap {
    /// The file offset of offset `at` of the mapped text; `start` (where
    /// the text is in the file) when the map says nothing.
    pub fn file_offset(&self, at: usize, start: usize) -> usize {
        let (entries, moves) = match self {
            PosMap::Anchors(a) => (a, false),
            PosMap::Segments(s) => (s, true),
        };
        let i = entries.partition_point(|&(p, _)| p <= at);
        match i.checked_sub(1).map(|i| entries[i]) {
            Some((p, f)) if moves => f + (at - p),
            Some((_, f)) => f,
            None => start,
        }
    }
}

/// A place in a rule's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column (characters) in the file.
    pub column: usize,
    /// When the pattern is held in a string: 1-based line and column inside
    /// the pattern text.
    pub inner: Option<(usize, usize)>,
}

/// One rule found in a file.
#[derive(Clone, Debug)]
pub struct RuleSource {
    /// The file the rule is in.
    pub file: Arc<SourceFile>,
    /// The rule's name.
    pub name: String,
    /// True when `name` is not the name the rule is deployed under: the
    /// deployed name is generated (a CloudFormation rule without `Name`,
    /// a SAM or Serverless Framework event, a Terraform rule without
    /// `name`) or not known before deployment, and `name` is the logical
    /// ID, event or resource label standing for it.
    pub auto_named: bool,
    /// The template's own name for the rule (a CloudFormation logical ID,
    /// a Terraform resource label) when that is not `name`, so that a user
    /// who gives it where a rule name belongs can be told the name.
    pub id: Option<String>,
    /// `ENABLED`, `DISABLED`, ... as written (upper-cased).
    pub state: String,
    /// The kind of file.
    pub format: Format,
    /// The pattern text to parse; `None` when the whole pattern is unknown
    /// until deployment.
    pub pattern: Option<String>,
    /// Values that could not be resolved statically (each replaced by
    /// [`UNKNOWN`] in the pattern text). Empty when static.
    pub unresolved: Vec<Unresolved>,
    /// Byte offset in the file where the pattern starts.
    pub offset: usize,
    /// True when the pattern is held in a string (JSON in a string).
    pub embedded: bool,
    /// Maps pattern offsets to file offsets.
    pub map: PosMap,
}

impl RuleSource {
    /// True when the pattern holds no unresolved value.
    pub fn is_static(&self) -> bool {
        self.unresolved.is_empty()
    }

    /// 1-based line where the pattern starts.
    pub fn line(&self) -> usize {
        self.file.line_col(self.offset).0
    }

    /// The file offset of a pattern offset (the pattern's start if `None`).
    pub fn file_offset(&self, pattern_offset: Option<usize>) -> usize {
        match pattern_offset {
            Some(at) => self.map.file_offset(at, self.offset),
            None => self.offset,
        }
    }

    /// Where a file offset is (line and column only).
    pub fn locate_in_file(&self, offset: usize) -> Location {
        let (line, column) = self.file.line_col(offset);
        Location {
            line,
            column,
            inner: None,
        }
    }

    /// What is unresolved, for messages: `!Ref A, var.b`.
    pub fn unresolved_list(&self) -> String {
        let names: Vec<&str> = self.unresolved.iter().map(|u| u.what.as_str()).collect();
        names.join(", ")
    }

    /// What would make the pattern static, for messages about rules left
    /// out: `give -p var.env=VALUE or a default in variable "env"`. Each
    /// distinct hint once, in order; values that no value given to evrule
    /// decides (a resource attribute, a function evrule does not run) are
    /// said to be so.
    pub fn resolve_hint(&self) -> String {
        let mut hints: Vec<&str> = Vec::new();
        let mut undecidable = false;
        for u in &self.unresolved {
            match &u.hint {
                Some(h) => {
                    for part in h.split("; ") {
                        if !hints.contains(&part) {
                            hints.push(part);
                        }
                    }
                }
                None => undecidable = true,
            }
        }
        let mut parts: Vec<String> = hints.iter().map(|h| h.to_string()).collect();
        if undecidable {
            let rest: Vec<&str> = self
                .unresolved
                .iter()
                .filter(|u| u.hint.is_none())
                .map(|u| u.what.as_str())
                .collect();
            parts.push(format!(
                "no value given to evrule decides {}",
                rest.join(", ")
            ));
        }
        parts.join("; ")
    }

    /// [`RuleSource::resolve_hint`] for a command that takes its values
    /// from a configuration section (`route`'s `parameters:`) rather than
    /// from `-p`: `give var.env under `parameters:``.
    pub fn resolve_hint_in(&self, section: &str) -> String {
        let hint = self.resolve_hint();
        let mut out = String::new();
        for part in hint.split("; ") {
            if !out.is_empty() {
                out.push_str("; ");
            }
            // "give -p K=VALUE or a default ..." -> "give K under SECTION or a default ..."
            match part.strip_prefix("give ") {
                Some(rest) if rest.starts_with("-p ") => {
                    let (flags, tail) = match rest.find(" or ") {
                        Some(i) => rest.split_at(i),
                        None => (rest, ""),
                    };
                    let keys: Vec<&str> = flags
                        .split(" and ")
                        .filter_map(|f| f.strip_prefix("-p ")?.strip_suffix("=VALUE"))
                        .collect();
                    out.push_str(&format!(
                        "give {} under {section}{tail}",
                        keys.join(" and ")
                    ));
                }
                _ => out.push_str(part),
            }
        }
        out
    }

    /// Where a pattern offset is in the file (the pattern's start if `None`).
    ///
    /// For a pattern held in a string whose layout maps exactly onto the
    /// file (a one-line string, a YAML literal block), the line and column
    /// are those of the character itself: one place per problem. For other
    /// strings they are those of the string, and `inner` names the position
    /// inside the pattern text.
    pub fn locate(&self, pattern_offset: Option<usize>) -> Location {
        let exact = matches!(self.map, PosMap::Segments(_));
        let inner = match (self.embedded && !exact, pattern_offset, &self.pattern) {
            (true, Some(at), Some(text)) => Some(evrule::json::line_col(text.as_bytes(), at)),
            _ => None,
        };
        let at = if inner.is_some() {
            None
        } else {
            pattern_offset
        };
        let (line, column) = self.file.line_col(self.file_offset(at));
        Location {
            line,
            column,
            inner,
        }
    }
}

/// A file that could not be read as a rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line and column, when the problem has a place.
    pub position: Option<(usize, usize)>,
    /// What went wrong.
    pub message: String,
    /// The text of the line at `position`, for a snippet ("" without one).
    pub line_text: String,
}

impl SourceError {
    fn new(path: &Path, message: impl Into<String>) -> SourceError {
        SourceError {
            path: path.to_path_buf(),
            position: None,
            message: message.into(),
            line_text: String::new(),
        }
    }

    fn read(file: &SourceFile, err: ReadError) -> SourceError {
        let position = err.offset.map(|o| file.line_col(o));
        SourceError {
            path: file.path().to_path_buf(),
            line_text: position.map_or_else(String::new, |(l, _)| file.line_text(l).to_string()),
            position,
            message: err.message,
        }
    }

    /// True when the file was read but what it holds is not a valid rule
    /// file (a syntax error, a rule without a name, invalid UTF-8): a
    /// problem with the file's content, which has a place in it. False
    /// when the file could not be read at all, or holds no rules.
    pub fn is_content_error(&self) -> bool {
        self.position.is_some()
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Settings for reading rule files.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// CloudFormation parameter values (`--parameter KEY=VALUE`); they win
    /// over parameter defaults. Pseudo parameters (`AWS::Region`) too.
    pub parameters: Vec<(String, String)>,
}

/// A file to read, and whether the user named it (rather than a directory
/// walk finding it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The file.
    pub path: PathBuf,
    /// Named on the command line.
    pub explicit: bool,
}

/// Expand `paths`: files are taken as they are, directories are searched
/// recursively (in name order) for files that may hold rules.
pub fn discover(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<SourceError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut found, &mut errors),
            Ok(_) => found.push(Candidate {
                path: path.clone(),
                explicit: true,
            }),
            Err(e) => errors.push(SourceError::new(path, io_message(&e))),
        }
    }
    (found, errors)
}

/// Rule files below `dir`, by the one walk of [`crate::walk`]; build and
/// dependency folders are left out.
fn walk(dir: &Path, found: &mut Vec<Candidate>, errors: &mut Vec<SourceError>) {
    for file in crate::walk::files(dir, |name| name == "node_modules" || name == "target") {
        match file {
            Ok(path) => {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let in_cdk_out = path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "cdk.out");
                if may_hold_rules(&name, in_cdk_out) {
                    found.push(Candidate {
                        path,
                        explicit: false,
                    });
                }
            }
            Err(e) => errors.push(SourceError::new(&e.path, e.message)),
        }
    }
}

fn may_hold_rules(name: &str, in_cdk_out: bool) -> bool {
    if in_cdk_out {
        return name.ends_with(".template.json");
    }
    [
        ".json",
        ".yaml",
        ".yml",
        ".tf",
        ".template",
        ".jsonl",
        ".ndjson",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

use crate::walk::io_message;

/// Everything found under some paths.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Rules, in path order then file order.
    pub rules: Vec<RuleSource>,
    /// Files that could not be read; each means exit code 2.
    pub errors: Vec<SourceError>,
}

/// Discover and read every rule file under `paths`.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Loaded {
    let (candidates, errors) = discover(paths);
    let mut loaded = Loaded {
        rules: Vec::new(),
        errors,
    };
    for c in &candidates {
        match load_file(&c.path, c.explicit, options) {
            Ok(rules) => loaded.rules.extend(rules),
            Err(e) => loaded.errors.push(e),
        }
    }
    loaded
}

/// Read one file. A file with no rules is an error when `explicit`, else
/// yields nothing.
pub fn load_file(
    path: &Path,
    explicit: bool,
    options: &LoadOptions,
) -> Result<Vec<RuleSource>, SourceError> {
    let file = read_source(path)?;
    let rules = read_rules(&file, explicit, options)?;
    if rules.is_empty() && explicit {
        return Err(SourceError::new(
            path,
            "no rules found (expected an event pattern, `aws events list-rules` or \
             `describe-rule` output, a `rules:` file, a CloudFormation or SAM template, \
             or Terraform)",
        ));
    }
    Ok(rules)
}

/// Read a file as UTF-8 text.
fn read_source(path: &Path) -> Result<Arc<SourceFile>, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::new(path, io_message(&e)))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let file = SourceFile::new(path.to_path_buf(), prefix);
            let (line, column) = file.line_col(valid);
            return Err(SourceError {
                path: path.to_path_buf(),
                position: Some((line, column)),
                message: "invalid UTF-8".to_string(),
                line_text: file.line_text(line).to_string(),
            });
        }
    };
    Ok(Arc::new(SourceFile::new(path.to_path_buf(), text)))
}

/// Read a JSON or YAML file (chosen as for rule files) into its documents,
/// for commands that read their own configuration files.
pub fn read_documents(path: &Path) -> Result<(Arc<SourceFile>, Vec<Node>), SourceError> {
    let file = read_source(path)?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_ascii_lowercase());
    let (docs, _) = parse_documents(&file, &name)?;
    Ok((file, docs))
}

fn read_rules(
    file: &Arc<SourceFile>,
    explicit: bool,
    options: &LoadOptions,
) -> Result<Vec<RuleSource>, SourceError> {
    let name = file
        .path()
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_ascii_lowercase());
    if name.ends_with(".tf") {
        let ctx = Ctx {
            file,
            json: false,
            options,
        };
        let mut out = Vec::new();
        hcl::rules(&ctx, &mut out).map_err(|mut e| {
            e.message = format!("invalid Terraform: {}", e.message);
            SourceError::read(file, e)
        })?;
        return Ok(out);
    }
    let text = file.text().trim_start_matches('\u{feff}');
    if lines::is_rule_lines(&name, text) {
        let ctx = Ctx {
            file,
            json: true,
            options,
        };
        let mut out = Vec::new();
        lines::rules(&ctx, explicit, &mut out).map_err(|e| SourceError::read(file, e))?;
        return Ok(out);
    }
    let (docs, json) = parse_documents(file, &name)?;
    let mut out = Vec::new();
    let ctx = Ctx {
        file,
        json,
        options,
    };
    for doc in &docs {
        ctx.classify(doc, explicit, &mut out)
            .map_err(|e| SourceError::read(file, e))?;
    }
    Ok(out)
}

/// Parse a JSON or YAML file into its documents; also says whether it was
/// JSON. `name` is the file name, lower-cased.
fn parse_documents(file: &SourceFile, name: &str) -> Result<(Vec<Node>, bool), SourceError> {
    let text = file.text().trim_start_matches('\u{feff}');
    let json = if name.ends_with(".json") {
        true
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        false
    } else {
        text.trim_start().starts_with(['{', '['])
    };
    let docs = if json {
        let bom = file.text().len() - text.len();
        let mut doc = json::parse(text).map_err(|mut e| {
            e.offset = e.offset.map(|o| o + bom);
            e.message = format!("invalid JSON: {}", e.message);
            SourceError::read(file, e)
        })?;
        if bom > 0 {
            shift(&mut doc, bom);
        }
        vec![doc]
    } else {
        yaml::parse(file).map_err(|e| SourceError::read(file, e))?
    };
    Ok((docs, json))
}

fn shift(node: &mut Node, by: usize) {
    node.offset += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, by);
            shift(v, by);
        }),
        _ => {}
    }
}

/// What reading one file needs to know.
struct Ctx<'a> {
    file: &'a Arc<SourceFile>,
    json: bool,
    options: &'a LoadOptions,
}

/// Top-level keys of an event (and `$or`); a file found by a directory
/// walk is taken for a bare pattern only if it uses nothing else, and
/// `check` warns about a pattern that names another.
pub const ENVELOPE: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
    "replay-name",
    "$or",
];

impl Ctx<'_> {
    fn classify(
        &self,
        doc: &Node,
        explicit: bool,
        out: &mut Vec<RuleSource>,
    ) -> Result<(), ReadError> {
        let Some(entries) = doc.as_map() else {
            return Ok(());
        };
        if serverless::is_serverless(doc) {
            return serverless::rules(self, doc, out);
        }
        if doc.get("Resources").and_then(Node::as_map).is_some() {
            return cfn::rules(self, doc, out);
        }
        if let Some(rules) = doc.get("Rules").and_then(Node::as_seq) {
            let format = if self.json {
                Format::ListRulesJson
            } else {
                Format::ListRulesYaml
            };
            for item in rules {
                out.extend(self.aws_rule(item, format)?);
            }
            return Ok(());
        }
        if let Some(rules) = doc.get("rules").and_then(Node::as_seq) {
            for item in rules {
                let name = required_name(item, "name")?;
                let pattern = item.get("pattern").ok_or_else(|| {
                    ReadError::at(format!("rule `{name}` has no `pattern`"), item.offset)
                })?;
                let state = item.get("state").and_then(Node::scalar_text);
                out.push(self.rule(name, state, Format::Native, pattern));
            }
            return Ok(());
        }
        if doc.get("EventPattern").is_some()
            && (doc.get("Name").is_some() || doc.get("Arn").is_some())
        {
            out.extend(self.aws_rule(doc, Format::DescribeRule)?);
            return Ok(());
        }
        let looks_like_pattern = !entries.is_empty()
            && entries.iter().all(|(k, v)| {
                ENVELOPE.contains(
                    &k.as_str()
                        .unwrap_or_default()
                        .split('.')
                        .next()
                        .unwrap_or_default(),
                ) && matches!(v.value, Value::Seq(_) | Value::Map(_))
            });
        if explicit || looks_like_pattern {
            out.push(self.bare_pattern(doc));
        }
        Ok(())
    }

    /// A file that is one pattern: its text is the pattern when it is JSON,
    /// so that positions are exact.
    fn bare_pattern(&self, doc: &Node) -> RuleSource {
        let name = self
            .file
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.split('.').next().unwrap_or(&name).to_string();
        if self.json {
            let text = self.file.text();
            let start = text.len() - text.trim_start_matches('\u{feff}').len();
            return RuleSource {
                file: self.file.clone(),
                name: stem,
                auto_named: false,
                id: None,
                state: "ENABLED".to_string(),
                format: Format::Pattern,
                pattern: Some(text[start..].to_string()),
                unresolved: Vec::new(),
                offset: doc.offset,
                embedded: false,
                map: PosMap::Segments(vec![(0, start)]),
            };
        }
        self.rule(stem, None, Format::Pattern, doc)
    }

    /// A rule in AWS's shape (`Name`, `EventPattern`, `State`), as
    /// list-rules and describe-rule write one; `None` for a scheduled rule
    /// (no pattern).
    fn aws_rule(&self, item: &Node, format: Format) -> Result<Option<RuleSource>, ReadError> {
        let Some(pattern) = item.get("EventPattern") else {
            return Ok(None);
        };
        let name = required_name(item, "Name")?;
        let state = item.get("State").and_then(Node::scalar_text);
        Ok(Some(self.rule(name, state, format, pattern)))
    }

    /// A rule whose pattern is `pattern` (a tree, or a string holding JSON).
    fn rule(
        &self,
        name: String,
        state: Option<String>,
        format: Format,
        pattern: &Node,
    ) -> RuleSource {
        let mut unresolved = Vec::new();
        pattern.unknowns(&mut unresolved);
        let (text, embedded, map) = match &pattern.value {
            Value::Unknown(_) => (None, false, PosMap::Anchors(Vec::new())),
            Value::String(s) => {
                let map = match yaml::string_segments(self.file.text(), pattern) {
                    Some(segments) => PosMap::Segments(segments),
                    None => PosMap::Anchors(vec![(0, pattern.offset)]),
                };
                (Some(s.clone()), true, map)
            }
            _ => {
                let (text, anchors) = render::render(pattern);
                (Some(text), false, PosMap::Anchors(anchors))
            }
        };
        RuleSource {
            file: self.file.clone(),
            name,
            auto_named: false,
            id: None,
            state: state.map_or_else(|| "ENABLED".to_string(), |s| s.to_ascii_uppercase()),
            format,
            pattern: text,
            unresolved,
            offset: pattern.offset,
            embedded,
            map,
        }
    }
}

fn required_name(item: &Node, key: &str) -> Result<String, ReadError> {
    match item.get(key) {
        Some(n) => match &n.value {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::Number(s) => Ok(s.clone()),
            _ => Err(ReadError::at(
                format!("`{key}` must be a non-empty string"),
                n.offset,
            )),
        },
        None => Err(ReadError::at(format!("rule has no `{key}`"), item.offset)),
    }
}

#[cfg(test)]
mod tests;
