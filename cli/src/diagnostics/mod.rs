//! Problems in rules, and how every command shows them: `check` lists
//! them, `match`, `bench`, `explain` and `test` refuse rules that have
//! errors, with the same messages, places and codes.
//!
//! Formats: human (message, source line and caret; [`human_problem`]),
//! JSON lines ([`json_problem`]), GitHub workflow commands
//! ([`github_problem`]) and SARIF ([`sarif`]).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;

use evrule::{Limits, Pattern};

use crate::output::{self, json_str, Style};
use crate::sources::{Location, RuleSource, SourceError};

mod hint;
mod lint;

/// How serious a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The rule is invalid.
    Error,
    /// The rule is valid but probably wrong.
    Warning,
    /// Information (e.g. a value unknown until deployment).
    Note,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }

    fn color(self) -> u8 {
        match self {
            Severity::Error => 31,
            Severity::Warning => 33,
            Severity::Note => 36,
        }
    }
}

/// One problem with one rule.
#[derive(Clone, Debug)]
pub struct Problem {
    /// How serious.
    pub severity: Severity,
    /// Which check found it (SARIF rule id): `invalid-pattern`, ...
    pub code: &'static str,
    /// File as given or found.
    pub file: String,
    /// The EventBridge rule's name.
    pub rule: String,
    /// JSON pointer into the pattern (`""` for the whole pattern).
    pub path: String,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column in the file.
    pub column: usize,
    /// What is wrong (with the position inside the pattern text appended
    /// when the pattern is held in a string).
    pub message: String,
    /// The file's line around the column, for the caret display.
    pub snippet: output::Snippet,
    /// How to fix it, when evrule can tell (`did you mean `prefix`?`);
    /// kept apart from `message`, which for invalid patterns is AWS's
    /// reason word for word.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem at `pattern_offset` of `rule`'s pattern.
    pub fn at(
        rule: &RuleSource,
        severity: Severity,
        code: &'static str,
        path: &str,
        pattern_offset: Option<usize>,
        message: String,
    ) -> Problem {
        Problem::located(
            rule,
            severity,
            code,
            path,
            rule.locate(pattern_offset),
            message,
        )
    }

    /// A problem at a known place in `rule`'s file.
    pub fn located(
        rule: &RuleSource,
        severity: Severity,
        code: &'static str,
        path: &str,
        loc: Location,
        message: String,
    ) -> Problem {
        let message = match loc.inner {
            Some((l, c)) => format!("{message} (pattern text line {l} column {c})"),
            None => message,
        };
        Problem {
            severity,
            code,
            file: rule.file.path().display().to_string(),
            rule: rule.name.clone(),
            path: path.to_string(),
            line: loc.line,
            column: loc.column,
            message,
            snippet: output::snippet(rule.file.line_text(loc.line), loc.column),
            hint: None,
        }
    }
}

impl Problem {
    /// A rule file whose content cannot be read as rules (a syntax error,
    /// a rule without a name): a finding of `check`, not an unreadable file.
    pub fn syntax(e: &SourceError) -> Problem {
        let (line, column) = e.position.unwrap_or((1, 1));
        Problem {
            severity: Severity::Error,
            code: "syntax-error",
            file: e.path.display().to_string(),
            rule: String::new(),
            path: String::new(),
            line,
            column,
            message: e.message.clone(),
            snippet: output::snippet(&e.line_text, column),
            hint: None,
        }
    }

    /// `error[rule]`, or `error` for a problem that is no rule's.
    fn label(&self) -> String {
        if self.rule.is_empty() {
            self.severity.as_str().to_string()
        } else {
            format!("{}[{}]", self.severity.as_str(), self.rule)
        }
    }

    /// The message with the rule in front (`[rule] message`), for formats
    /// that have no field for the rule.
    fn tagged_message(&self) -> String {
        if self.rule.is_empty() {
            self.message.clone()
        } else {
            format!("[{}] {}", self.rule, self.message)
        }
    }

    /// The problem with a hint on how to fix it.
    pub fn with_hint(mut self, hint: Option<String>) -> Problem {
        self.hint = hint;
        self
    }
}

/// `no rules found in PATH, PATH`, as `check` and `list` say it.
pub fn no_rules_found(paths: &[PathBuf]) -> String {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!("no rules found in {}", paths.join(", "))
}

/// Every problem of every rule, in rule order.
pub fn problems(rules: &[RuleSource], limits: &Limits) -> Vec<Problem> {
    let mut out = Vec::new();
    // Names clash within one file (one template, one bus's `list-rules`):
    // rules of unrelated files may well go to different buses or accounts.
    let mut seen: HashMap<(&std::path::Path, &str), &RuleSource> = HashMap::new();
    for rule in rules {
        // A name standing for a generated one (a logical ID, a resource
        // label) clashes with nothing: deployed names differ.
        let key = (rule.file.path(), rule.name.as_str());
        let clash = if rule.auto_named {
            None
        } else {
            seen.get(&key).copied()
        };
        if let Some(first) = clash {
            let loc = first.locate(None);
            out.push(Problem::at(
                rule,
                Severity::Warning,
                "duplicate-rule-name",
                "",
                None,
                format!(
                    "duplicate rule name `{}` (first defined at {}:{}:{})",
                    rule.name,
                    first.file.path().display(),
                    loc.line,
                    loc.column
                ),
            ));
        } else if !rule.auto_named {
            seen.insert(key, rule);
        }
        // Notes point at the first unknown value.
        let unknown_at = rule
            .unresolved
            .first()
            .map_or_else(|| rule.locate(None), |u| rule.locate_in_file(u.offset));
        let Some(text) = &rule.pattern else {
            out.push(Problem::located(
                rule,
                Severity::Note,
                "non-static-pattern",
                "",
                unknown_at,
                format!(
                    "pattern of rule `{}` is unknown until deployment ({}); not checked; {}",
                    rule.name,
                    rule.unresolved_list(),
                    rule.resolve_hint()
                ),
            ));
            continue;
        };
        match Pattern::parse_with(text, limits) {
            Err(errors) => {
                for e in errors {
                    out.push(
                        Problem::at(
                            rule,
                            Severity::Error,
                            "invalid-pattern",
                            e.path(),
                            e.offset(),
                            e.message().to_string(),
                        )
                        .with_hint(hint::for_error(text, &e)),
                    );
                }
            }
            Ok(pattern) => lint::lint(rule, &pattern, &mut out),
        }
        if !rule.is_static() {
            out.push(Problem::located(
                rule,
                Severity::Note,
                "non-static-pattern",
                "",
                unknown_at,
                format!(
                    "pattern of rule `{}` is not fully static: {} checked as a placeholder; {}",
                    rule.name,
                    rule.unresolved_list(),
                    rule.resolve_hint()
                ),
            ));
        }
    }
    out
}
/// One problem as `check --format human` shows it: the message, the
/// source line and a caret. Other commands that refuse invalid rules
/// (`match`) print them the same way.
pub fn human_problem(out: &mut impl Write, p: &Problem, style: Style) -> io::Result<()> {
    let sev = p.severity;
    writeln!(
        out,
        "{}:{}:{}: {}: {}",
        p.file,
        p.line,
        p.column,
        style.paint(sev.color(), &p.label()),
        style.bold(&p.message)
    )?;
    let gutter = p.line.to_string().len();
    let snippet = &p.snippet;
    writeln!(out, "{:gutter$} |", "")?;
    writeln!(out, "{} | {}", p.line, snippet.text)?;
    writeln!(
        out,
        "{:gutter$} | {}{}",
        "",
        snippet.pad,
        style.paint(sev.color(), "^")
    )?;
    if let Some(hint) = &p.hint {
        writeln!(out, "{:gutter$} = hint: {hint}", "")?;
    }
    Ok(())
}

/// One problem as `check --format json` shows it: one JSON object, with
/// the problem's stable `code` (the SARIF rule id) and, when there is one,
/// a `hint`.
pub fn json_problem(out: &mut impl Write, p: &Problem) -> io::Result<()> {
    let hint = p
        .hint
        .as_deref()
        .map_or_else(String::new, |h| format!(", \"hint\": {}", json_str(h)));
    writeln!(
        out,
        "{{\"file\": {}, \"rule\": {}, \"path\": {}, \"line\": {}, \"column\": {}, \"message\": {}, \"severity\": \"{}\", \"code\": \"{}\"{hint}}}",
        json_str(&p.file),
        json_str(&p.rule),
        json_str(&p.path),
        p.line,
        p.column,
        json_str(&p.message),
        p.severity.as_str(),
        p.code
    )
}

/// GitHub workflow command data: `%`, CR and LF escaped.
fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow command property: also `:` and `,`.
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The checks, for SARIF's rule table.
const CHECKS: &[(&str, &str)] = &[
    (
        "syntax-error",
        "A rule file that cannot be read as rules (invalid JSON, YAML or Terraform; a rule without a name).",
    ),
    (
        "invalid-pattern",
        "The event pattern is not one EventBridge accepts.",
    ),
    ("duplicate-rule-name", "Two rules have the same name."),
    (
        "unknown-aws-source",
        "A `source` starting with `aws.` that no AWS service sends.",
    ),
    ("dead-rule", "A rule that can never match any event."),
    (
        "unknown-top-level-field",
        "A top-level field that no EventBridge event has.",
    ),
    (
        "unknown-detail-type",
        "A `detail-type` that the named AWS `source` never sends.",
    ),
    (
        "non-static-pattern",
        "The pattern holds values known only at deployment.",
    ),
];

/// Problems as one SARIF 2.1.0 log, for code-scanning tools.
pub fn sarif(problems: &[Problem]) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<_> = CHECKS
        .iter()
        .map(|(id, text)| json!({"id": id, "shortDescription": {"text": text}}))
        .collect();
    let results: Vec<_> = problems
        .iter()
        .map(|p| {
            let level = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            json!({
                "ruleId": p.code,
                "ruleIndex": CHECKS.iter().position(|(id, _)| *id == p.code).unwrap_or(0),
                "level": level,
                "message": {"text": p.tagged_message()},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&p.file)},
                        "region": {"startLine": p.line, "startColumn": p.column}
                    }
                }],
                "properties": {"rule": p.rule, "path": p.path, "hint": p.hint}
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "evrule",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "results": results
        }]
    })
}

/// A relative file path as a URI reference.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        match c {
            '\\' => out.push('/'),
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' => out.push(c),
            _ => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// One problem as a GitHub workflow command (`::error file=...::message`),
/// which GitHub shows as an annotation on the line.
pub fn github_problem(out: &mut impl Write, p: &Problem) -> io::Result<()> {
    let command = match p.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    writeln!(
        out,
        "::{command} file={},line={},col={}::{}",
        github_property(&p.file),
        p.line,
        p.column,
        github_data(&match &p.hint {
            Some(h) => format!("{} (hint: {h})", p.tagged_message()),
            None => p.tagged_message(),
        })
    )
}
