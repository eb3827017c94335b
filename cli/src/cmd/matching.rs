//! `evrule match`: run events through rules and say which rules each event
//! matches, or how many events each rule matched (`--count`).
//!
//! Events stream through one [`Matcher`], with one cache per thread:
//! memory stays flat whatever the input's size. With `--threads N` (the
//! default for files: one per core) a reader thread cuts events into
//! batches, N threads match them, and this thread writes the outcomes in
//! input order ([`crate::parallel`]). Events are numbered from 0 across all
//! inputs, in input order; a bad event is reported (stderr, and in the JSON
//! output) and the others go on, but the run then ends with exit code 2.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use evrule::{Matcher, RuleId};
use indicatif::ProgressBar;

use crate::events::{self as input, event_error, progress_bar, Input, Pos};
use crate::flags::{MatchFlags, MatchFormat};
use crate::output::{self, json_str, Exit, Style};
use crate::parallel::{self, Outcome};
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
    threads: usize,
    inputs: Vec<Input>,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: MatchFlags) -> Result<Settings, String> {
        let inputs = input::discover(&flags.events);
        Ok(Settings {
            load: LoadOptions {
                parameters: output::key_values("parameter", &flags.parameters)?,
            },
            threads: input::threads(flags.threads, &inputs)?,
            rules: flags.rules,
            format: flags.format,
            count: flags.count,
            trusted: flags.trusted,
            inputs,
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
    let progress = progress_bar(&settings.inputs);
    let mut sink = Sink {
        out: io::BufWriter::with_capacity(64 << 10, io::stdout().lock()),
        totals: Totals {
            per_rule: vec![0; rules.names.len()],
            ..Totals::default()
        },
        writer: EventWriter {
            format: settings.format,
            count: settings.count,
            style,
            names: Vec::new(),
        },
        rules,
        progress: progress.clone(),
    };
    parallel::match_inputs(
        &settings.inputs,
        settings.threads,
        &rules.matcher,
        progress.as_ref(),
        |outcome| match outcome {
            Outcome::Event {
                name,
                start,
                result,
            } => sink.event(name, start, result),
            Outcome::Bad { name, at, message } => sink.invalid(name, at, at, message),
            Outcome::Unreadable(message) => sink.unreadable(message),
        },
    )?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let Sink {
        mut out, totals, ..
    } = sink;
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

/// Where outcomes go, in input order: the totals, the output and stderr.
struct Sink<'r, W: Write> {
    out: W,
    totals: Totals,
    writer: EventWriter<'r>,
    rules: &'r RuleSet,
    progress: Option<ProgressBar>,
}

impl<'r, W: Write> Sink<'r, W> {
    /// An event that starts at `start` in `name`, and what the matcher said.
    fn event(
        &mut self,
        name: &str,
        start: Pos,
        outcome: Result<&[RuleId], evrule::Error>,
    ) -> io::Result<()> {
        match outcome {
            Ok(ids) => {
                let n = self.totals.events;
                self.totals.events += 1;
                if !ids.is_empty() {
                    self.totals.matched += 1;
                }
                for &id in ids {
                    self.totals.per_rule[self.rules.slot(id)] += 1;
                }
                self.writer
                    .event(&mut self.out, &self.rules.matcher, ids, n, name, start.line)
            }
            Err(e) => {
                let (at, message) = event_error(start, &e);
                self.invalid(name, start, at, &message)
            }
        }
    }

    /// An event that starts at `start` and is invalid at `at`.
    fn invalid(&mut self, name: &str, start: Pos, at: Pos, message: &str) -> io::Result<()> {
        let n = self.totals.events;
        self.totals.events += 1;
        self.totals.errors += 1;
        self.out.flush()?;
        report(
            self.progress.as_ref(),
            &format!("{name}:{at}: invalid event: {message}"),
        );
        self.writer
            .error(&mut self.out, n, name, start, at, message)
    }

    /// An input that could not be opened or read on.
    fn unreadable(&mut self, message: &str) -> io::Result<()> {
        self.totals.unreadable = true;
        self.out.flush()?;
        report(self.progress.as_ref(), message);
        Ok(())
    }
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
        ids: &[RuleId],
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
