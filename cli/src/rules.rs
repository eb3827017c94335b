//! Rule files -> one [`Matcher`], for the commands that run events through
//! rules (`match`, `bench`).
//!
//! The rules `check` rejects are refused here too, with the same messages,
//! so that what passes `check` is exactly what can be matched. `DISABLED`
//! rules are left out (EventBridge never matches them), and so are rules
//! whose pattern holds values known only at deployment: matching them with
//! placeholders would give answers the deployed rule would not.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use evrule::{Config, Limits, Matcher, Pattern, RuleId};

use crate::diagnostics::{self, Problem, Severity};
use crate::output::{self, Exit, Style};
use crate::sources::{self, LoadOptions, RuleSource};

/// How to show rules that `check` rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemFormat {
    /// As `check --format human`.
    Human,
    /// As `check --format json`.
    Json,
}

impl From<crate::flags::MatchFormat> for ProblemFormat {
    /// Rejected rules are shown in the command's own output format.
    fn from(f: crate::flags::MatchFormat) -> ProblemFormat {
        match f {
            crate::flags::MatchFormat::Human => ProblemFormat::Human,
            crate::flags::MatchFormat::Json => ProblemFormat::Json,
        }
    }
}

/// Rules compiled into a matcher, with their names in sorted order.
#[derive(Debug)]
pub struct RuleSet {
    /// Every enabled, static rule.
    pub matcher: Matcher,
    /// Rule names, sorted.
    pub names: Vec<String>,
    /// Position of each rule in `names`.
    slot: HashMap<RuleId, usize>,
}

impl RuleSet {
    /// Position of a matching rule in [`RuleSet::names`].
    pub fn slot(&self, id: RuleId) -> usize {
        self.slot[&id]
    }
}

/// Read the rules under `paths` and compile them. Problems are reported on
/// stderr; `Err` holds the exit code to stop with.
pub fn load(
    paths: &[PathBuf],
    options: &LoadOptions,
    trusted: bool,
    format: ProblemFormat,
    color: bool,
) -> Result<RuleSet, Exit> {
    compile_loaded(&sources::load(paths, options), trusted, format, color)
}

/// [`load`] for rules already read (`bench --compare` reads once and
/// compiles each file's rules, then all of them).
pub fn compile_loaded(
    loaded: &sources::Loaded,
    trusted: bool,
    format: ProblemFormat,
    color: bool,
) -> Result<RuleSet, Exit> {
    if output::source_errors(&loaded.errors) {
        return Err(Exit::Error);
    }
    let problems = diagnostics::problems(&loaded.rules, &Limits::new());
    let style = Style::new(color && io::stderr().is_terminal());
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        report(&errors, format, style);
        return Err(Exit::Error);
    }
    let mut matcher = Matcher::with_config(Config::new().trusted(trusted));
    for rule in &loaded.rules {
        if rule.state == "DISABLED" {
            continue;
        }
        let Some(text) = rule.pattern.as_deref().filter(|_| rule.is_static()) else {
            left_out(rule);
            continue;
        };
        if let Err(e) = matcher.add(&rule.name, text) {
            let first = loaded
                .rules
                .iter()
                .find(|r| r.name == rule.name && matcher.rule_id(&r.name).is_some());
            match (duplicate(&problems, rule), first) {
                (Some(p), _) => report(&[&p], format, style),
                // Same names in unrelated files are fine for `check`, but
                // one matcher holds one rule per name.
                (None, Some(first)) => output::error(&format!(
                    "{}:{}: rule `{}` has the name of the rule at {}:{}; \
                     rules matched together need distinct names",
                    rule.file.path().display(),
                    rule.line(),
                    rule.name,
                    first.file.path().display(),
                    first.line()
                )),
                (None, None) => output::error(&format!(
                    "{}:{}: {e}",
                    rule.file.path().display(),
                    rule.line()
                )),
            }
            return Err(Exit::Error);
        }
    }
    let mut names: Vec<String> = loaded
        .rules
        .iter()
        .filter_map(|r| matcher.rule_id(&r.name).map(|_| r.name.clone()))
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        output::error("no enabled rule to match events against");
    }
    let slot = names
        .iter()
        .enumerate()
        .map(|(i, n)| (matcher.rule_id(n).expect("added"), i))
        .collect();
    Ok(RuleSet {
        matcher,
        names,
        slot,
    })
}

/// Say which rule is left out and what could not be resolved.
fn left_out(rule: &RuleSource) {
    let at = rule
        .unresolved
        .first()
        .map_or_else(|| rule.locate(None), |u| rule.locate_in_file(u.offset));
    output::error(&format!(
        "{}:{}: rule `{}` left out: its pattern could not be resolved statically ({}); {}",
        rule.file.path().display(),
        at.line,
        rule.name,
        rule.unresolved_list(),
        rule.resolve_hint()
    ));
}

/// `check` warns about a second rule of the same name; the matcher cannot
/// hold both, so here it is an error, worded as `check` words it.
fn duplicate(problems: &[Problem], rule: &RuleSource) -> Option<Problem> {
    let loc = rule.locate(None);
    let file = rule.file.path().display().to_string();
    problems
        .iter()
        .find(|p| {
            p.code == "duplicate-rule-name"
                && p.rule == rule.name
                && p.file == file
                && p.line == loc.line
                && p.column == loc.column
        })
        .map(|p| Problem {
            severity: Severity::Error,
            ..p.clone()
        })
}

fn report(problems: &[&Problem], format: ProblemFormat, style: Style) {
    let mut err = io::stderr().lock();
    for p in problems {
        let _ = match format {
            ProblemFormat::Human => diagnostics::human_problem(&mut err, p, style),
            ProblemFormat::Json => diagnostics::json_problem(&mut err, p),
        };
    }
    let _ = err.flush();
}

/// A rule whose pattern parsed.
pub struct Compiled {
    /// Where the rule came from.
    pub rule: RuleSource,
    /// Its pattern.
    pub pattern: Pattern,
}

impl Compiled {
    /// EventBridge never delivers events to a disabled rule.
    pub fn disabled(&self) -> bool {
        self.rule.state == "DISABLED"
    }
}

/// Parse the pattern of every rule. Invalid rules make the result `Err`,
/// with `check`'s messages (`file:line:column: error[rule]: reason`); rules whose pattern is unknown until deployment
/// are returned in the second list.
pub fn compile(rules: Vec<RuleSource>) -> Result<(Vec<Compiled>, Vec<RuleSource>), Vec<String>> {
    let limits = Limits::new();
    let invalid: Vec<String> = diagnostics::problems(&rules, &limits)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| {
            format!(
                "{}:{}:{}: error[{}]: {}",
                p.file, p.line, p.column, p.rule, p.message
            )
        })
        .collect();
    if !invalid.is_empty() {
        return Err(invalid);
    }
    let mut compiled = Vec::new();
    let mut unknown = Vec::new();
    for rule in rules {
        match rule
            .pattern
            .as_deref()
            .map(|t| Pattern::parse_with(t, &limits))
        {
            Some(Ok(pattern)) => compiled.push(Compiled { rule, pattern }),
            // `check` found every invalid pattern already.
            Some(Err(errors)) => {
                return Err(errors
                    .iter()
                    .map(|e| format!("{}: error[{}]: {e}", rule.file.path().display(), rule.name))
                    .collect())
            }
            None => unknown.push(rule),
        }
    }
    Ok((compiled, unknown))
}
