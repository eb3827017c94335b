//! `evrule check`: parse every rule with the library's validator and report
//! every problem, at its place in the user's file.
//!
//! Problems are errors (the pattern is invalid), warnings (valid but
//! suspicious: duplicate names, sources that no AWS service sends, rules
//! that can never match) and notes (the pattern holds values unknown until
//! deployment and was checked with placeholders).

use std::io::{self, Write};
use std::path::PathBuf;

use evrule::Limits;

use super::load_options;
use crate::diagnostics::{
    github_problem, human_problem, json_problem, no_rules_found, problems, sarif, Problem, Severity,
};
use crate::flags::{CheckFlags, CheckFormat};
use crate::output::{self, Exit, Style};
use crate::sources::{self, LoadOptions, SourceError};

/// Validated settings of `check`.
#[derive(Debug)]
pub struct Settings {
    format: CheckFormat,
    deny_warnings: bool,
    limits: Limits,
    paths: Vec<PathBuf>,
    load: LoadOptions,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: CheckFlags) -> Result<Settings, String> {
        let mut limits = Limits::new();
        if let Some(n) = flags.max_pattern_len {
            if n == 0 {
                return Err("--max-pattern-len must be at least 1".to_string());
            }
            limits = limits.max_pattern_len(n);
        }
        Ok(Settings {
            format: flags.format,
            deny_warnings: flags.deny_warnings,
            limits,
            load: load_options(&flags.sources)?,
            paths: flags.sources.paths,
        })
    }
}

/// Run `check`.
pub fn run(flags: CheckFlags, color: bool) -> Exit {
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e]),
    };
    let loaded = sources::load(&settings.paths, &settings.load);
    // A file whose content is not valid is a finding (exit 1), reported
    // like every other problem; a file that cannot be read is an error (2).
    let (content, unreadable): (Vec<SourceError>, Vec<SourceError>) = loaded
        .errors
        .into_iter()
        .partition(SourceError::is_content_error);
    let mut all: Vec<Problem> = content.iter().map(Problem::syntax).collect();
    all.extend(problems(&loaded.rules, &settings.limits));
    let problems = all;
    let written = write(&settings, &problems, loaded.rules.len(), Style::new(color));
    let exit = output::finish(written.map(|()| Exit::Success));
    let cannot_run = output::source_errors(&unreadable);
    if !cannot_run && content.is_empty() && loaded.rules.is_empty() {
        // As `list`: a CI step pointed at the wrong directory must fail.
        output::error(&no_rules_found(&settings.paths));
        return Exit::Failure;
    }
    let failed = problems.iter().any(|p| {
        p.severity == Severity::Error || (settings.deny_warnings && p.severity == Severity::Warning)
    });
    if cannot_run || exit == Exit::Error {
        Exit::Error
    } else if failed {
        Exit::Failure
    } else {
        Exit::Success
    }
}

fn write(settings: &Settings, problems: &[Problem], rules: usize, style: Style) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match settings.format {
        CheckFormat::Human => human(&mut out, problems, rules, style)?,
        CheckFormat::Json => {
            for p in problems {
                json_problem(&mut out, p)?;
            }
        }
        CheckFormat::Github => {
            for p in problems {
                github_problem(&mut out, p)?;
            }
        }
        CheckFormat::Sarif => {
            let doc = sarif(problems);
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

fn human(out: &mut impl Write, problems: &[Problem], rules: usize, style: Style) -> io::Result<()> {
    for p in problems {
        human_problem(out, p, style)?;
    }
    let count = |s: Severity| problems.iter().filter(|p| p.severity == s).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "checked {}: {}, {}, {}",
        plural(rules, "rule"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Note), "note")
    )
}
