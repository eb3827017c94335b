//! Criterion benches over the citylots2 corpus (event-ruler's benchmark
//! format, synthetic data with the real file's shape): the 14 rule families
//! of `testdata/bench/rules/`, all 70 rules at once, 10 vs 10,000 rules,
//! the `quamina` crate on the families it supports, 1 vs 100,000 rules
//! (with add time and memory per rule from a counting allocator), and one
//! matcher shared by two threads.
//!
//! Each bench first counts matches over the whole corpus and asserts the
//! counts of `testdata/bench/counts.tsv`, so a fast wrong answer cannot pass.
//! The corpus is read from `$EVRULE_CITYLOTS` or
//! `../shared/bench/citylots2-synth.jsonl.gz` (plain or gzip).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, for memory per rule, while `COUNTING` is on
/// (off for timings: an atomic add per allocation would slow them).
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use evrule::{Config, Matcher};

#[path = "common/families.rs"]
mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_events() -> Vec<Vec<u8>> {
    let path = std::env::var_os("EVRULE_CITYLOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/bench/citylots2-synth.jsonl.gz"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut text = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut text)
            .unwrap();
    } else {
        text = raw;
    }
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn families() -> Vec<(String, Vec<(String, String)>)> {
    common::load(&root().join("testdata/bench/rules"))
}

fn expected_counts() -> HashMap<String, u64> {
    std::fs::read_to_string(root().join("testdata/bench/counts.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut it = l.split('\t');
            (
                it.next().unwrap().to_string(),
                it.next().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

fn build(rules: &[(String, String)], trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    for (n, p) in rules {
        m.add(n, p).unwrap();
    }
    m
}

/// Count matches per rule over all events and compare with counts.tsv.
fn assert_counts(m: &Matcher, events: &[Vec<u8>], expected: &HashMap<String, u64>, what: &str) {
    let mut cache = m.create_cache();
    let mut got: HashMap<String, u64> = HashMap::new();
    for e in events {
        for &id in m.find(e, &mut cache).unwrap() {
            *got.entry(m.rule_name(id).to_string()).or_default() += 1;
        }
    }
    for (name, want) in expected {
        if m.rule_id(name).is_some() {
            let have = got.get(name).copied().unwrap_or(0);
            assert_eq!(
                have, *want,
                "{what}: rule {name} matched {have} events, counts.tsv says {want}"
            );
        }
    }
}

fn bench_families(c: &mut Criterion) {
    let events = load_events();
    let expected = expected_counts();
    let sample: Vec<&[u8]> = events.iter().take(20_000).map(Vec::as_slice).collect();
    let bytes: usize = sample.iter().map(|e| e.len()).sum();
    let mut all = vec![];
    let mut group = c.benchmark_group("citylots");
    group.sample_size(10);
    group.throughput(Throughput::Elements(sample.len() as u64));
    for (fam, rules) in families() {
        all.extend(rules.iter().cloned());
        for trusted in [false, true] {
            let m = build(&rules, trusted);
            if !trusted {
                assert_counts(&m, &events, &expected, &fam);
            }
            let mode = if trusted { "trusted" } else { "strict" };
            group.bench_with_input(BenchmarkId::new(mode, &fam), &m, |b, m| {
                let mut cache = m.create_cache();
                b.iter(|| {
                    let mut n = 0usize;
                    for e in &sample {
                        n += m.find(e, &mut cache).unwrap().len();
                    }
                    n
                })
            });
        }
    }
    for trusted in [false, true] {
        let m = build(&all, trusted);
        if !trusted {
            assert_counts(&m, &events, &expected, "all 70 rules");
        }
        let mode = if trusted { "trusted" } else { "strict" };
        group.bench_with_input(BenchmarkId::new(mode, "all_70_rules"), &m, |b, m| {
            let mut cache = m.create_cache();
            b.iter(|| {
                sample
                    .iter()
                    .map(|e| m.find(e, &mut cache).unwrap().len())
                    .sum::<usize>()
            })
        });
    }
    // The parse-only floor for comparison: serde_json into IgnoredAny.
    group.bench_function("serde_json_ignored_any", |b| {
        b.iter(|| {
            for e in &sample {
                let _: serde::de::IgnoredAny = serde_json::from_slice(e).unwrap();
            }
        })
    });
    group.finish();
    eprintln!("sample: {} events, {} bytes", sample.len(), bytes);
}

/// A rule of one kind over the citylots fields, with a plain predicate
/// on the parsed event that says what it should match.
type Oracle = Box<dyn Fn(&serde_json::Value) -> bool>;

/// Rule sets of `n` rules of one kind; values are drawn from the corpus so
/// that some rules match.
fn scaled_rules(events: &[Vec<u8>], kind: &str, n: usize) -> Vec<(String, String, Oracle)> {
    let mut lots: Vec<String> = vec![];
    for e in events.iter().step_by(3) {
        let v: serde_json::Value = serde_json::from_slice(e).unwrap();
        if let Some(s) = v["properties"]["MAPBLKLOT"].as_str() {
            lots.push(s.to_string());
        }
        if lots.len() >= n {
            break;
        }
    }
    (0..n)
        .map(|i| {
            let lot = lots[i % lots.len()].clone();
            let (p, oracle): (String, Oracle) = match kind {
                "exact" => {
                    let want = if i < lots.len() { lot.clone() } else { format!("{lot}-{i}") };
                    let w = want.clone();
                    (
                        format!(r#"{{"properties": {{"MAPBLKLOT": ["{want}"]}}}}"#),
                        Box::new(move |v: &serde_json::Value| v["properties"]["MAPBLKLOT"].as_str() == Some(w.as_str())),
                    )
                }
                "prefix" => {
                    let pre: String = lot.chars().take(3 + i % 5).collect();
                    let w = pre.clone();
                    (
                        format!(r#"{{"properties": {{"MAPBLKLOT": [{{"prefix": "{pre}"}}]}}}}"#),
                        Box::new(move |v: &serde_json::Value| v["properties"]["MAPBLKLOT"].as_str().is_some_and(|s| s.starts_with(&w))),
                    )
                }
                _ => {
                    // Adjacent, non-overlapping ranges: an event falls in at
                    // most one, so 10 and 10,000 rules do the same output
                    // work and the bench measures the cost of rule count
                    // alone (overlapping ranges would add matches, which
                    // cost per match by design).
                    let lo = -122.52 + (i as f64) * 1e-5;
                    let hi = -122.52 + ((i + 1) as f64) * 1e-5;
                    (
                        format!(r#"{{"geometry": {{"firstCoordinates": {{"x": [{{"numeric": [">", {lo}, "<=", {hi}]}}]}}}}}}"#),
                        Box::new(move |v: &serde_json::Value| {
                            v["geometry"]["firstCoordinates"]["x"].as_f64().is_some_and(|x| x > lo && x <= hi)
                        }),
                    )
                }
            };
            (format!("{kind}_{i}"), p, oracle)
        })
        .collect()
}

fn bench_scaling(c: &mut Criterion) {
    let events = load_events();
    let sample: Vec<Vec<u8>> = events.into_iter().take(20_000).collect();
    let parsed: Vec<serde_json::Value> = sample
        .iter()
        .map(|e| serde_json::from_slice(e).unwrap())
        .collect();
    let mut group = c.benchmark_group("rule_count");
    group.sample_size(10);
    group.throughput(Throughput::Elements(sample.len() as u64));
    for kind in ["exact", "prefix", "numeric"] {
        for n in [10usize, 10_000] {
            let rules = scaled_rules(&sample, kind, n);
            let plain: Vec<(String, String)> = rules
                .iter()
                .map(|(n, p, _)| (n.clone(), p.clone()))
                .collect();
            let m = build(&plain, false);
            let want: usize = parsed
                .iter()
                .map(|v| rules.iter().filter(|r| (r.2)(v)).count())
                .sum();
            let mut cache = m.create_cache();
            let have: usize = sample
                .iter()
                .map(|e| m.find(e, &mut cache).unwrap().len())
                .sum();
            assert_eq!(have, want, "{kind} x {n}: total matches");
            group.bench_with_input(BenchmarkId::new(kind, n), &m, |b, m| {
                let mut cache = m.create_cache();
                b.iter(|| {
                    sample
                        .iter()
                        .map(|e| m.find(e, &mut cache).unwrap().len())
                        .sum::<usize>()
                })
            });
        }
    }
    group.finish();
}

/// Events per second of `f` over `sample` (best of a few passes), for the
/// ratios printed next to criterion's numbers.
fn rate(sample: &[&[u8]], mut f: impl FnMut(&[u8]) -> usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let n: usize = sample.iter().map(|e| f(e)).sum();
        std::hint::black_box(n);
        best = best.min(t.elapsed().as_secs_f64());
    }
    sample.len() as f64 / best
}

/// The families the `quamina` crate supports, against it on the same events;
/// then the table of issue 15 for every family (strict, trusted, quamina
/// where it supports the family, serde_json into `IgnoredAny`), each cell
/// the best of three passes over the sample, one after the other.
fn bench_quamina(c: &mut Criterion) {
    let events = load_events();
    let expected = expected_counts();
    let sample: Vec<&[u8]> = events.iter().take(20_000).map(Vec::as_slice).collect();
    let supported = [
        "exact",
        "wildcard",
        "prefix",
        "suffix",
        "equals_ignore_case",
        "numeric",
        "anything_but",
        "complex_arrays",
    ];
    let mut group = c.benchmark_group("quamina");
    group.sample_size(10);
    group.throughput(Throughput::Elements(sample.len() as u64));
    // A row of the table without quamina: (name, strict, trusted,
    // quamina, serde), serde measured just before.
    let row = |name: &str, rules: &[(String, String)]| {
        let serde = rate(&sample, |e| {
            usize::from(serde_json::from_slice::<serde::de::IgnoredAny>(e).is_ok())
        });
        let ours: Vec<f64> = [false, true]
            .into_iter()
            .map(|trusted| {
                let m = build(rules, trusted);
                let mut cache = m.create_cache();
                rate(&sample, |e| m.find(e, &mut cache).unwrap().len())
            })
            .collect();
        (name.to_string(), ours[0], ours[1], None::<f64>, serde)
    };
    let mut table = vec![];
    for (fam, rules) in families() {
        table.push(row(&fam, &rules));
        if !supported.contains(&fam.as_str()) {
            continue;
        }
        let mut q = quamina::Quamina::<String>::new();
        for (n, p) in &rules {
            q.add_pattern(n.clone(), p).unwrap();
        }
        // quamina's answers must be the same counts as ours.
        let mut got: HashMap<String, u64> = HashMap::new();
        for e in &events {
            for n in q.matches_for_event(e).unwrap() {
                *got.entry(n).or_default() += 1;
            }
        }
        for (n, _) in &rules {
            assert_eq!(
                got.get(n).copied().unwrap_or(0),
                expected[n],
                "quamina {fam}: rule {n}"
            );
        }
        group.bench_function(BenchmarkId::new("quamina", &fam), |b| {
            b.iter(|| {
                sample
                    .iter()
                    .map(|e| q.matches_for_event(e).unwrap().len())
                    .sum::<usize>()
            })
        });
        let theirs = rate(&sample, |e| q.matches_for_event(e).unwrap().len());
        table.last_mut().unwrap().3 = Some(theirs);
        for trusted in [false, true] {
            let m = build(&rules, trusted);
            let mut cache = m.create_cache();
            let ours = rate(&sample, |e| m.find(e, &mut cache).unwrap().len());
            eprintln!(
                "quamina {fam}: {} {:.0}k ev/s, quamina {:.0}k ev/s, ratio {:.2}",
                if trusted { "trusted" } else { "strict" },
                ours / 1e3,
                theirs / 1e3,
                ours / theirs
            );
        }
    }
    group.finish();
    // All 70 rules at once (quamina lacks some of the families).
    let all: Vec<(String, String)> = families().into_iter().flat_map(|(_, r)| r).collect();
    table.push(row("all 70", &all));
    let k = |x: f64| format!("{:.0}k", x / 1e3);
    eprintln!("\n| family | strict | trusted | quamina 0.7 | strict / serde | trusted / quamina | serde IgnoredAny |");
    eprintln!("|---|---:|---:|---:|---:|---:|---:|");
    for (fam, strict, trusted, quamina, serde) in table {
        let (q, tq) = quamina.map_or(("—".into(), "—".into()), |q| {
            (k(q), format!("{:.2}", trusted / q))
        });
        eprintln!(
            "| {fam} | {} | {} | {q} | {:.2} | {tq} | {} |",
            k(strict),
            k(trusted),
            strict / serde,
            k(serde)
        );
    }
}

/// 1 rule vs 100,000 rules (exact on MAPBLKLOT, prefix on STREET): match
/// speed, time to add them, heap bytes per rule.
fn bench_100k(c: &mut Criterion) {
    let events = load_events();
    let sample: Vec<&[u8]> = events.iter().take(20_000).map(Vec::as_slice).collect();
    let parsed: Vec<serde_json::Value> = sample
        .iter()
        .map(|e| serde_json::from_slice(e).unwrap())
        .collect();
    let field = |v: &serde_json::Value, k: &str| v["properties"][k].as_str().map(str::to_string);
    let mut lots: Vec<String> = parsed
        .iter()
        .filter_map(|v| field(v, "MAPBLKLOT"))
        .collect();
    lots.sort();
    lots.dedup();
    let mut streets: Vec<String> = parsed.iter().filter_map(|v| field(v, "STREET")).collect();
    streets.sort();
    streets.dedup();
    const N: usize = 100_000;
    // Half exact (the first ones real lots, the rest misses), half prefix
    // (real street prefixes of growing length, then misses).
    let rules: Vec<(String, String)> = (0..N)
        .map(|i| {
            if i % 2 == 0 {
                let j = i / 2;
                let lot = lots.get(j).cloned().unwrap_or_else(|| format!("X{j:07}"));
                (
                    format!("lot{i}"),
                    format!(r#"{{"properties":{{"MAPBLKLOT":["{lot}"]}}}}"#),
                )
            } else {
                let j = i / 2;
                let pre = match streets.get(j) {
                    Some(s) => s.chars().take(2 + j % 4).collect(),
                    None => format!("ZZ{j}"),
                };
                (
                    format!("street{i}"),
                    format!(r#"{{"properties":{{"STREET":[{{"prefix":"{pre}"}}]}}}}"#),
                )
            }
        })
        .collect();
    // Memory: one build with the allocator counting live bytes; time: the
    // best of three builds without counting.
    COUNTING.store(true, Ordering::Relaxed);
    let before = LIVE.load(Ordering::Relaxed);
    let big = build(&rules, false);
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    COUNTING.store(false, Ordering::Relaxed);
    drop(big);
    let mut add_secs = f64::MAX;
    let mut big = None;
    for _ in 0..3 {
        drop(big.take());
        let t = Instant::now();
        big = Some(build(&rules, false));
        add_secs = add_secs.min(t.elapsed().as_secs_f64());
    }
    let big = big.unwrap();
    // The expected total, from the parsed events.
    let exact: std::collections::HashSet<&str> = rules
        .iter()
        .step_by(2)
        .filter_map(|(_, p)| p.split('"').nth(5))
        .collect();
    let prefixes: Vec<&str> = rules
        .iter()
        .skip(1)
        .step_by(2)
        .filter_map(|(_, p)| p.split('"').nth(7))
        .collect();
    let want: usize = parsed
        .iter()
        .map(|v| {
            let lot = field(v, "MAPBLKLOT").unwrap_or_default();
            let st = field(v, "STREET").unwrap_or_default();
            usize::from(exact.contains(lot.as_str()))
                + prefixes.iter().filter(|p| st.starts_with(**p)).count()
        })
        .sum();
    let mut cache = big.create_cache();
    let have: usize = sample
        .iter()
        .map(|e| big.find(e, &mut cache).unwrap().len())
        .sum();
    assert_eq!(have, want, "100,000 rules: total matches");
    let one = build(&rules[..1], false);
    let mut group = c.benchmark_group("rules_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(sample.len() as u64));
    for (name, m) in [("1", &one), ("100000", &big)] {
        group.bench_function(name, |b| {
            let mut cache = m.create_cache();
            b.iter(|| {
                sample
                    .iter()
                    .map(|e| m.find(e, &mut cache).unwrap().len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
    let mut c1 = one.create_cache();
    let r1 = rate(&sample, |e| one.find(e, &mut c1).unwrap().len());
    let mut c2 = big.create_cache();
    let r2 = rate(&sample, |e| big.find(e, &mut c2).unwrap().len());
    eprintln!(
        "100,000 rules: add {add_secs:.3} s, {} bytes/rule, {:.0}k ev/s vs {:.0}k ev/s for 1 rule ({:.0}%)",
        bytes / N as isize,
        r2 / 1e3,
        r1 / 1e3,
        100.0 * r2 / r1
    );
}

/// One matcher shared by two threads (each with its own cache) vs one.
fn bench_threads(c: &mut Criterion) {
    let events = load_events();
    let sample: Vec<&[u8]> = events.iter().take(40_000).map(Vec::as_slice).collect();
    let all: Vec<(String, String)> = families().into_iter().flat_map(|(_, r)| r).collect();
    let m = build(&all, false);
    let run = |threads: usize| {
        let chunk = sample.len().div_ceil(threads);
        std::thread::scope(|s| {
            let hs: Vec<_> = sample
                .chunks(chunk)
                .map(|part| {
                    let m = &m;
                    s.spawn(move || {
                        let mut cache = m.create_cache();
                        part.iter()
                            .map(|e| m.find(e, &mut cache).unwrap().len())
                            .sum::<usize>()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
        })
    };
    assert_eq!(run(1), run(2));
    let mut group = c.benchmark_group("shared_matcher_all_70");
    group.sample_size(10);
    group.throughput(Throughput::Elements(sample.len() as u64));
    for threads in [1usize, 2] {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| run(threads))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_families,
    bench_scaling,
    bench_quamina,
    bench_100k,
    bench_threads
);
criterion_main!(benches);
