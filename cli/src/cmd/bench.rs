//! `evrule bench`: how fast the rules match a corpus of events.
//!
//! Every event is loaded into one buffer first (reading and unpacking are
//! not what is measured), then one warm-up pass counts each rule's matches
//! and grows the cache, and N timed passes run `Matcher::find` over all
//! events with that one cache: nothing is allocated in the timed loop. The
//! median pass is reported, so one disturbed pass does not move the result.
//! With `--threads N` each thread matches a contiguous share of the events
//! with a cache of its own, and a pass lasts until the last share is done.

use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::events::{self as input, Input, Item};
use crate::flags::{BenchFlags, MatchFormat};
use crate::output::{self, json_str, Exit};
use crate::rules::{self, RuleSet};
use crate::sources::LoadOptions;

/// Validated settings of `bench`.
#[derive(Debug)]
pub struct Settings {
    rules: Vec<PathBuf>,
    load: LoadOptions,
    passes: usize,
    threads: usize,
    trusted: bool,
    format: MatchFormat,
    inputs: Vec<Input>,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: BenchFlags) -> Result<Settings, String> {
        if flags.passes == 0 {
            return Err("--passes must be at least 1".to_string());
        }
        let inputs = input::discover(&flags.events);
        Ok(Settings {
            load: LoadOptions {
                parameters: output::key_values("parameter", &flags.parameters)?,
            },
            threads: input::threads(Some(flags.threads), &inputs)?,
            rules: flags.rules,
            passes: flags.passes,
            trusted: flags.trusted,
            format: flags.format,
            inputs,
        })
    }
}

/// Events held in memory: one buffer, one range per event.
#[derive(Debug, Default)]
struct Corpus {
    bytes: Vec<u8>,
    events: Vec<Range<usize>>,
}

/// What was measured.
#[derive(Debug)]
struct Report {
    events: usize,
    bytes: usize,
    passes: usize,
    threads: usize,
    /// Pass times, sorted.
    times: Vec<Duration>,
    /// Matches per rule over one pass, in [`RuleSet::names`] order.
    matches: Vec<u64>,
    /// Events the matcher rejected.
    errors: u64,
}

impl Report {
    fn median(&self) -> Duration {
        self.times[self.times.len() / 2]
    }

    fn per_sec(&self, n: usize) -> f64 {
        let secs = self.median().as_secs_f64();
        if secs > 0.0 {
            n as f64 / secs
        } else {
            0.0
        }
    }
}

/// Run `bench`.
pub fn run(flags: BenchFlags, color: bool) -> Exit {
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
    let Some(corpus) = load_corpus(&settings.inputs) else {
        return Exit::Error;
    };
    let report = measure(&rules, &corpus, settings.passes, settings.threads);
    if report.errors > 0 {
        output::error(&format!(
            "{} of {} events are invalid (rejected in every pass; `evrule match` says why)",
            report.errors, report.events
        ));
    }
    output::finish(write(settings.format, &rules, &report).map(|()| Exit::Success))
}

/// Read every input into memory; `None` (after saying why) if one cannot
/// be read. Events that cannot be cut out are reported and skipped.
fn load_corpus(inputs: &[Input]) -> Option<Corpus> {
    let progress = crate::events::progress_bar(inputs);
    let mut corpus = Corpus::default();
    let mut ok = true;
    let read = input::read_inputs(inputs, progress.as_ref(), |item| {
        match item {
            Item::Event { bytes, .. } => {
                let start = corpus.bytes.len();
                corpus.bytes.extend_from_slice(bytes);
                corpus.events.push(start..corpus.bytes.len());
            }
            Item::Bad { name, at, message } => {
                output::error(&format!("{name}:{at}: invalid event: {message}"));
            }
            Item::Unreadable(message) => {
                output::error(&message);
                ok = false;
            }
            Item::Done => {}
        }
        Ok::<(), std::convert::Infallible>(())
    });
    let Ok(()) = read;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    ok.then_some(corpus)
}

fn measure(rules: &RuleSet, corpus: &Corpus, passes: usize, threads: usize) -> Report {
    let matcher = &rules.matcher;
    // Each thread a contiguous share of the events and a cache of its own.
    let share = corpus.events.len().div_ceil(threads.max(1)).max(1);
    let shares: Vec<&[Range<usize>]> = corpus.events.chunks(share).collect();
    let mut caches: Vec<evrule::Cache> = shares.iter().map(|_| matcher.create_cache()).collect();
    // Warm-up, share by share: counts per rule, and every cache grows to
    // its final size before the timed passes.
    let mut matches = vec![0u64; rules.names.len()];
    let mut errors = 0;
    for (events, cache) in shares.iter().zip(caches.iter_mut()) {
        for range in events.iter() {
            match matcher.find(&corpus.bytes[range.clone()], cache) {
                Ok(ids) => {
                    for &id in ids {
                        matches[rules.slot(id)] += 1;
                    }
                }
                Err(_) => errors += 1,
            }
        }
    }
    let expected: u64 = matches.iter().sum();
    // A pass lasts until the last share is done.
    let mut times = Vec::with_capacity(passes);
    for _ in 0..passes {
        let start = Instant::now();
        let found: u64 = if let ([events], [cache]) = (&shares[..], &mut caches[..]) {
            find_all(matcher, &corpus.bytes, events, cache)
        } else {
            std::thread::scope(|scope| {
                let running: Vec<_> = shares
                    .iter()
                    .zip(caches.iter_mut())
                    .map(|(events, cache)| {
                        scope.spawn(move || find_all(matcher, &corpus.bytes, events, cache))
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|t| t.join().expect("a matching thread finished"))
                    .sum()
            })
        };
        times.push(start.elapsed());
        // Also keeps the work from being optimised away.
        assert_eq!(found, expected, "every pass finds the same matches");
    }
    times.sort_unstable();
    Report {
        events: corpus.events.len(),
        bytes: corpus.bytes.len(),
        passes,
        threads: shares.len().max(1),
        times,
        matches,
        errors,
    }
}

/// Match `events` (ranges of `bytes`); how many matches they had.
fn find_all(
    matcher: &evrule::Matcher,
    bytes: &[u8],
    events: &[Range<usize>],
    cache: &mut evrule::Cache,
) -> u64 {
    let mut found = 0u64;
    for range in events {
        if let Ok(ids) = matcher.find(&bytes[range.clone()], cache) {
            found += ids.len() as u64;
        }
    }
    found
}

fn write(format: MatchFormat, rules: &RuleSet, report: &Report) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        MatchFormat::Json => {
            write!(
                out,
                "{{\"events\": {}, \"passes\": {}, \"threads\": {}, \"events_per_sec\": {:.1}, \"bytes_per_sec\": {:.1}, \"matches\": {{",
                report.events,
                report.passes,
                report.threads,
                report.per_sec(report.events),
                report.per_sec(report.bytes)
            )?;
            for (i, (name, n)) in rules.names.iter().zip(&report.matches).enumerate() {
                if i > 0 {
                    out.write_all(b", ")?;
                }
                write!(out, "{}: {n}", json_str(name))?;
            }
            out.write_all(b"}}\n")?;
        }
        MatchFormat::Human => human(&mut out, rules, report)?,
    }
    out.flush()
}

fn human(out: &mut impl Write, rules: &RuleSet, report: &Report) -> io::Result<()> {
    let secs = |d: Duration| format!("{:.3} s", d.as_secs_f64());
    writeln!(
        out,
        "events      {} ({})",
        report.events,
        bytes(report.bytes as f64)
    )?;
    if report.errors > 0 {
        writeln!(
            out,
            "invalid     {} (rejected in every pass)",
            report.errors
        )?;
    }
    writeln!(out, "rules       {}", rules.names.len())?;
    writeln!(out, "threads     {}", report.threads)?;
    writeln!(
        out,
        "passes      {} timed after 1 warm-up: median {}, fastest {}, slowest {}",
        report.passes,
        secs(report.median()),
        secs(report.times[0]),
        secs(report.times[report.times.len() - 1])
    )?;
    writeln!(
        out,
        "throughput  {:.0} events/s, {}/s",
        report.per_sec(report.events),
        bytes(report.per_sec(report.bytes))
    )?;
    writeln!(out)?;
    let width = rules
        .names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max(4);
    writeln!(out, "{:width$}  matches", "rule")?;
    for (name, n) in rules.names.iter().zip(&report.matches) {
        writeln!(out, "{name:width$}  {n}")?;
    }
    Ok(())
}

/// A byte count in decimal units: `193.5 MB`.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut n = n;
    let mut unit = 0;
    while n >= 1000.0 && unit < UNITS.len() - 1 {
        n /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n:.0} {}", UNITS[0])
    } else {
        format!("{n:.1} {}", UNITS[unit])
    }
}
