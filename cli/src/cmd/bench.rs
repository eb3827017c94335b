//! `evrule bench`: how fast the rules match a corpus of events.
//!
//! Every event is loaded into one buffer first (reading and unpacking are
//! not what is measured), then one warm-up pass counts each rule's matches
//! and grows the cache, and N timed passes run `Matcher::find` over all
//! events with that one cache: nothing is allocated in the timed loop. The
//! median pass is reported, so one disturbed pass does not move the result.
//! With `--threads N` each thread matches a contiguous share of the events
//! with a cache of its own, and a pass lasts until the last share is done.
//!
//! `--compare` measures, per rule file and for all of them, serde_json
//! parsing the events into `IgnoredAny`, evrule strict, evrule trusted and
//! the quamina crate: a warm-up pass each, then N rounds in which each
//! takes one timed pass in turn, and each one's median pass. Taking turns
//! gives their ratios the same conditions on a machine whose speed drifts.
//! quamina's per-rule counts must equal evrule's, or its cell stays empty.

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
    compare: bool,
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
            compare: flags.compare,
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
    if settings.compare {
        return compare(&settings, color);
    }
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

/// The quamina crate's version, for the table's heading (as pinned in
/// `cli/Cargo.toml`).
const QUAMINA: &str = "quamina 0.7";

/// One row of `--compare`: events per second of each engine.
#[derive(Debug)]
struct Row {
    family: String,
    rules: usize,
    serde: f64,
    strict: f64,
    trusted: f64,
    /// None: quamina refused a pattern or disagreed (the reason).
    quamina: Result<f64, String>,
}

/// `bench --compare`.
fn compare(settings: &Settings, color: bool) -> Exit {
    let loaded = crate::sources::load(&settings.rules, &settings.load);
    if output::source_errors(&loaded.errors) {
        return Exit::Error;
    }
    let Some(corpus) = load_corpus(&settings.inputs) else {
        return Exit::Error;
    };
    // One family per file, in the order read, then all of them.
    let mut families: Vec<(String, crate::sources::Loaded)> = Vec::new();
    for rule in &loaded.rules {
        let path = rule.file.path();
        let family = path.file_stem().unwrap_or_default().to_string_lossy();
        match families.last_mut() {
            Some((_, group)) if group.rules[0].file.path() == path => {
                group.rules.push(rule.clone());
            }
            _ => families.push((
                family.into_owned(),
                crate::sources::Loaded {
                    rules: vec![rule.clone()],
                    errors: Vec::new(),
                },
            )),
        }
    }
    if families.len() > 1 {
        families.push(("all".to_string(), loaded));
    }
    let mut rows = Vec::new();
    for (family, group) in families {
        let load = |trusted| rules::compile_loaded(&group, trusted, settings.format.into(), color);
        let strict = match load(false) {
            Ok(s) => s,
            Err(exit) => return exit,
        };
        let trusted = match load(true) {
            Ok(t) => t,
            Err(exit) => return exit,
        };
        if strict.names.is_empty() {
            continue;
        }
        // Per-rule counts (and invalid events) from one pass.
        let counted = measure(&strict, &corpus, 1, 1);
        if counted.errors > 0 {
            output::error(&format!(
                "{} of {} events are invalid (rejected in every pass; `evrule match` says why)",
                counted.errors, counted.events
            ));
        }
        let quamina = quamina_for(&strict, &counted.matches, &corpus);
        // The engines take turns, pass by pass, so that a machine that
        // speeds up or slows down meanwhile affects them alike.
        let bytes = &corpus.bytes;
        let mut serde_pass = || {
            corpus
                .events
                .iter()
                .map(|r| {
                    u64::from(
                        serde_json::from_slice::<serde::de::IgnoredAny>(&bytes[r.clone()]).is_ok(),
                    )
                })
                .sum()
        };
        let mut strict_cache = strict.matcher.create_cache();
        let mut strict_pass =
            || find_all(&strict.matcher, bytes, &corpus.events, &mut strict_cache);
        let mut trusted_cache = trusted.matcher.create_cache();
        let mut trusted_pass =
            || find_all(&trusted.matcher, bytes, &corpus.events, &mut trusted_cache);
        let q = quamina.as_ref().ok();
        let mut quamina_pass = || {
            q.map_or(0, |q| {
                corpus
                    .events
                    .iter()
                    .map(|r| {
                        q.matches_for_event(&bytes[r.clone()])
                            .map_or(0, |m| m.len() as u64)
                    })
                    .sum()
            })
        };
        let mut engines: Vec<&mut dyn FnMut() -> u64> =
            vec![&mut serde_pass, &mut strict_pass, &mut trusted_pass];
        if q.is_some() {
            engines.push(&mut quamina_pass);
        }
        let rates = take_turns(corpus.events.len(), settings.passes, &mut engines);
        rows.push(Row {
            family,
            rules: strict.names.len(),
            serde: rates[0],
            strict: rates[1],
            trusted: rates[2],
            quamina: quamina.map(|_| rates[3]),
        });
    }
    output::finish(write_rows(settings.format, corpus.events.len(), &rows).map(|()| Exit::Success))
}

/// Each engine's pass once (warm-up), then `passes` rounds in which every
/// engine runs one timed pass in turn; each engine's median, in events per
/// second.
fn take_turns(events: usize, passes: usize, engines: &mut [&mut dyn FnMut() -> u64]) -> Vec<f64> {
    let expected: Vec<u64> = engines.iter_mut().map(|pass| pass()).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(passes); engines.len()];
    for _ in 0..passes {
        for (i, pass) in engines.iter_mut().enumerate() {
            let start = Instant::now();
            let n = pass();
            times[i].push(start.elapsed());
            assert_eq!(n, expected[i], "every pass gives the same answer");
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_unstable();
            let secs = t[t.len() / 2].as_secs_f64();
            if secs > 0.0 {
                events as f64 / secs
            } else {
                0.0
            }
        })
        .collect()
}

/// The quamina crate holding the same rules, once its count for every rule
/// over the events equals evrule's (`matches`, in `rules.names` order).
fn quamina_for(
    rules: &RuleSet,
    matches: &[u64],
    corpus: &Corpus,
) -> Result<quamina::Quamina<usize>, String> {
    let mut q = quamina::Quamina::<usize>::new();
    for (slot, name) in rules.names.iter().enumerate() {
        let id = rules.matcher.rule_id(name).expect("a loaded rule");
        q.add_pattern(slot, rules.matcher.pattern_text(id))
            .map_err(|e| format!("refuses {name}: {e}"))?;
    }
    let mut counts = vec![0u64; rules.names.len()];
    for r in &corpus.events {
        // An event quamina cannot read counts as matching nothing.
        for slot in q
            .matches_for_event(&corpus.bytes[r.clone()])
            .unwrap_or_default()
        {
            counts[slot] += 1;
        }
    }
    if let Some(i) = (0..counts.len()).find(|&i| counts[i] != matches[i]) {
        return Err(format!(
            "disagrees on {}: {} matches, evrule {}",
            rules.names[i], counts[i], matches[i]
        ));
    }
    Ok(q)
}

fn write_rows(format: MatchFormat, events: usize, rows: &[Row]) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    match format {
        MatchFormat::Json => {
            write!(out, "{{\"events\": {events}, \"rows\": [")?;
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    out.write_all(b", ")?;
                }
                write!(
                    out,
                    "{{\"family\": {}, \"rules\": {}, \"strict\": {:.1}, \"trusted\": {:.1}, \"serde\": {:.1}, ",
                    json_str(&r.family),
                    r.rules,
                    r.strict,
                    r.trusted,
                    r.serde
                )?;
                match &r.quamina {
                    Ok(q) => write!(out, "\"quamina\": {q:.1}}}")?,
                    Err(why) => write!(
                        out,
                        "\"quamina\": null, \"quamina_left_out\": {}}}",
                        json_str(why)
                    )?,
                }
            }
            out.write_all(b"]}\n")?;
        }
        MatchFormat::Human => {
            let k = |x: f64| {
                if x >= 1e6 {
                    format!("{:.2}M", x / 1e6)
                } else {
                    format!("{:.0}k", x / 1e3)
                }
            };
            writeln!(
                out,
                "{events} events; events per second, one thread, median of the passes"
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "| family | strict | trusted | {QUAMINA} | strict / serde | trusted / quamina | serde IgnoredAny |"
            )?;
            writeln!(out, "|---|---:|---:|---:|---:|---:|---:|")?;
            for r in rows {
                let (q, tq) = match r.quamina {
                    Ok(q) => (k(q), format!("{:.2}", ratio(r.trusted, q))),
                    Err(_) => ("—".to_string(), "—".to_string()),
                };
                writeln!(
                    out,
                    "| {} | {} | {} | {q} | {:.2} | {tq} | {} |",
                    r.family,
                    k(r.strict),
                    k(r.trusted),
                    ratio(r.strict, r.serde),
                    k(r.serde)
                )?;
            }
            let left_out: Vec<_> = rows
                .iter()
                .filter_map(|r| r.quamina.as_ref().err().map(|why| (&r.family, why)))
                .collect();
            if !left_out.is_empty() {
                writeln!(out)?;
                for (family, why) in left_out {
                    writeln!(out, "{QUAMINA} left out of {family}: it {why}")?;
                }
            }
        }
    }
    out.flush()
}
