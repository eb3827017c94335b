//! `evrule match`: run events through rules and say which rules each event
//! matches, or how many events each rule matched (`--count`).
//!
//! Events stream through one [`Matcher`] and one cache: memory stays flat
//! whatever the input's size. Events are numbered from 0 across all inputs,
//! in input order; a bad event is reported (stderr, and in the JSON output)
//! and the others go on, but the run then ends with exit code 2.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use evrule::Matcher;
use indicatif::ProgressBar;

use crate::events::{self as input, event_error, progress_bar, Input, Next, Pos};
use crate::flags::{MatchFlags, MatchFormat};
use crate::output::{self, json_str, Exit, Style};
use crate::rules::{self, RuleSet};
use crate::sources::LoadOptions;

/// Validated settings of `match`.
#[derive(Debug)]
pub struct Settings {
    rules: Vec<PathBuf>,
    load: LoadOptions,
    format: MatchFormat,
    count: bool,
    trusted: bool,
    inputs: Vec<Input>,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: MatchFlags) -> Result<Settings, String> {
        Ok(Settings {
            load: LoadOptions {
                parameters: output::key_values("parameter", &flags.parameters)?,
            },
            rules: flags.rules,
            format: flags.format,
            count: flags.count,
            trusted: flags.trusted,
            inputs: input::discover(&flags.events),
        })
    }
}

/// Run `match`.
pub fn run(flags: MatchFlags, color: bool) -> Exit {
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e]),
    };
    let rules = match rules::load(
        &settings.rules,
        &settings.load,
        settings.trusted,
        settings.format.into(),
        color,
    ) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    if settings.inputs == [Input::Stdin] && io::stdin().is_terminal() {
        output::error("reading events from standard input (end with Ctrl-D)");
    }
    output::finish(run_events(&settings, &rules, Style::new(color)))
}

/// Totals over a run.
#[derive(Debug, Default)]
struct Totals {
    events: u64,
    matched: u64,
    errors: u64,
    /// Per rule, in [`RuleSet::names`] order.
    per_rule: Vec<u64>,
    /// An input could not be read.
    unreadable: bool,
}

fn run_events(settings: &Settings, rules: &RuleSet, style: Style) -> io::Result<Exit> {
    let mut out = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    let progress = progress_bar(&settings.inputs);
    let mut totals = Totals {
        per_rule: vec![0; rules.names.len()],
        ..Totals::default()
    };
    let mut writer = EventWriter {
        format: settings.format,
        count: settings.count,
        style,
        names: Vec::new(),
    };
    let mut cache = rules.matcher.create_cache();
    let mut buf = Vec::with_capacity(64 << 10);
    for input in &settings.inputs {
        let name = input.name();
        let mut events = match input.open(progress.as_ref()) {
            Ok(events) => events,
            Err(message) => {
                out.flush()?;
                report(progress.as_ref(), &format!("{name}: {message}"));
                totals.unreadable = true;
                continue;
            }
        };
        loop {
            let next = match events.next(&mut buf) {
                Ok(next) => next,
                Err(e) => {
                    out.flush()?;
                    report(progress.as_ref(), &format!("{name}: cannot read: {e}"));
                    totals.unreadable = true;
                    break;
                }
            };
            let n = totals.events;
            let (start, outcome) = match next {
                Next::End => break,
                Next::Event(start) => (start, rules.matcher.find(&buf, &mut cache)),
                Next::Bad(at, message) => {
                    totals.events += 1;
                    totals.errors += 1;
                    out.flush()?;
                    report(
                        progress.as_ref(),
                        &format!("{name}:{at}: invalid event: {message}"),
                    );
                    writer.error(&mut out, n, &name, at, at, &message)?;
                    continue;
                }
            };
            let line = start.line;
            totals.events += 1;
            match outcome {
                Ok(ids) => {
                    if !ids.is_empty() {
                        totals.matched += 1;
                    }
                    for &id in ids {
                        totals.per_rule[rules.slot(id)] += 1;
                    }
                    writer.event(&mut out, &rules.matcher, ids, n, &name, line)?;
                }
                Err(e) => {
                    totals.errors += 1;
                    out.flush()?;
                    let (at, message) = event_error(start, &e);
                    report(
                        progress.as_ref(),
                        &format!("{name}:{at}: invalid event: {message}"),
                    );
                    writer.error(&mut out, n, &name, start, at, &message)?;
                }
            }
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if settings.count {
        write_counts(&mut out, settings.format, rules, &totals)?;
    }
    out.flush()?;
    // A bad event is an error, as an unreadable file is (grep and ripgrep
    // do the same): a CI job fed a broken event file must not pass.
    Ok(if totals.unreadable || totals.errors > 0 {
        Exit::Error
    } else if totals.matched > 0 {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// Writes one line per event (nothing with `--count`).
struct EventWriter<'m> {
    format: MatchFormat,
    count: bool,
    style: Style,
    /// Reused for each event's sorted names.
    names: Vec<&'m str>,
}

impl<'m> EventWriter<'m> {
    fn event(
        &mut self,
        out: &mut impl Write,
        matcher: &'m Matcher,
        ids: &[evrule::RuleId],
        n: u64,
        file: &str,
        line: usize,
    ) -> io::Result<()> {
        if self.count {
            return Ok(());
        }
        self.names.clear();
        self.names
            .extend(ids.iter().map(|&id| matcher.rule_name(id)));
        self.names.sort_unstable();
        match self.format {
            MatchFormat::Json => {
                write!(
                    out,
                    "{{\"event\": {n}, \"file\": {}, \"line\": {line}, \"rules\": [",
                    json_str(file)
                )?;
                for (i, name) in self.names.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b", ")?;
                    }
                    out.write_all(json_str(name).as_bytes())?;
                }
                out.write_all(b"]}\n")
            }
            MatchFormat::Human if self.names.is_empty() => {
                writeln!(out, "{file}:{line}: (no match)")
            }
            MatchFormat::Human => {
                write!(out, "{file}:{line}: ")?;
                for (i, name) in self.names.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b", ")?;
                    }
                    out.write_all(self.style.paint(32, name).as_bytes())?;
                }
                out.write_all(b"\n")
            }
        }
    }

    fn error(
        &mut self,
        out: &mut impl Write,
        n: u64,
        file: &str,
        start: Pos,
        at: Pos,
        message: &str,
    ) -> io::Result<()> {
        if self.count {
            return Ok(());
        }
        match self.format {
            MatchFormat::Json => writeln!(
                out,
                "{{\"event\": {n}, \"file\": {}, \"line\": {}, \"error\": {}, \"error_line\": {}, \"error_column\": {}}}",
                json_str(file),
                start.line,
                json_str(message),
                at.line,
                at.column
            ),
            MatchFormat::Human => writeln!(
                out,
                "{file}:{}: {}",
                start.line,
                self.style.paint(31, "(invalid event)")
            ),
        }
    }
}

fn write_counts(
    out: &mut impl Write,
    format: MatchFormat,
    rules: &RuleSet,
    totals: &Totals,
) -> io::Result<()> {
    match format {
        MatchFormat::Human => {
            for (name, count) in rules.names.iter().zip(&totals.per_rule) {
                writeln!(out, "{name}\t{count}")?;
            }
            writeln!(
                out,
                "{} read, {} matched, {} invalid",
                plural(totals.events, "event"),
                totals.matched,
                totals.errors
            )?;
        }
        MatchFormat::Json => {
            write!(
                out,
                "{{\"events\": {}, \"matched\": {}, \"errors\": {}, \"rules\": {{",
                totals.events, totals.matched, totals.errors
            )?;
            for (i, (name, count)) in rules.names.iter().zip(&totals.per_rule).enumerate() {
                if i > 0 {
                    out.write_all(b", ")?;
                }
                write!(out, "{}: {count}", json_str(name))?;
            }
            out.write_all(b"}}\n")?;
        }
    }
    Ok(())
}

/// `1 event`, `2 events`.
fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// A problem on stderr, above the progress bar when there is one.
fn report(progress: Option<&ProgressBar>, message: &str) {
    match progress {
        Some(bar) => bar.suspend(|| output::error(message)),
        None => output::error(message),
    }
}
