//! Instructions and wall clock per event, for PERFORMANCE.md.
//!
//! ```sh
//! zcat ../shared/bench/citylots2-synth.jsonl.gz | head -50000 > /tmp/citylots-50k.jsonl
//! # instructions per event: run with 1 and 2 passes under callgrind and
//! # divide the difference of the totals by the number of events
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/perf_events /tmp/citylots-50k.jsonl 5000 1 strict exact
//! # wall clock: every family, strict, trusted and serde IgnoredAny in one run
//! target/release/examples/perf_events /tmp/citylots-50k.jsonl 50000 wall
//! ```
//!
//! Arguments: events file (JSON lines), number of events, passes (or
//! `wall`), mode (`strict`, `trusted` or `serde`), family (a file stem of
//! `testdata/bench/rules/`, `none`, `all` or `100k`).

use std::path::PathBuf;
use std::time::Instant;

use evrule::{Config, Matcher};

#[path = "../benches/common/families.rs"]
mod common;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/bench/rules")
}

/// The rules of one family, or of all of them.
fn rules(family: &str) -> Vec<(String, String)> {
    common::load(&dir())
        .into_iter()
        .filter(|(fam, _)| family == "all" || family == fam)
        .flat_map(|(_, rules)| rules)
        .collect()
}

/// Every family's name, then `all`.
fn families() -> Vec<String> {
    let mut v: Vec<String> = common::load(&dir()).into_iter().map(|(f, _)| f).collect();
    v.push("all".into());
    v
}

/// `100k`: 50,000 exact rules on `MAPBLKLOT` and 50,000 prefix rules on
/// `STREET`, of the shape the `rules_100k` bench adds (its values come from
/// the corpus, these are made up), for profiling `Matcher::add` with 0 passes.
fn rules_100k() -> Vec<(String, String)> {
    (0..100_000usize)
        .map(|i| {
            let j = i / 2;
            if i % 2 == 0 {
                let p = format!(r#"{{"properties":{{"MAPBLKLOT":["{:07}"]}}}}"#, j * 7);
                (format!("lot{i}"), p)
            } else {
                let pre: String = format!("{:X}ST", j * 13).chars().take(2 + j % 4).collect();
                let p = format!(r#"{{"properties":{{"STREET":[{{"prefix":"{pre}"}}]}}}}"#);
                (format!("street{i}"), p)
            }
        })
        .collect()
}

fn matcher(family: &str, trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    if family == "100k" {
        let rules = rules_100k();
        let t = Instant::now();
        for (n, p) in &rules {
            m.add(n, p).unwrap();
        }
        eprintln!(
            "added {} rules in {:.3} s",
            rules.len(),
            t.elapsed().as_secs_f64()
        );
    } else if family != "none" {
        for (n, p) in rules(family) {
            m.add(&n, &p).unwrap();
        }
    }
    m
}

fn pass(mode: &str, m: &Matcher, cache: &mut evrule::Cache, events: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for e in events {
        if mode == "serde" {
            let _: serde::de::IgnoredAny = serde_json::from_slice(e).unwrap();
        } else {
            n += m.find(e, cache).unwrap().len();
        }
    }
    n
}

fn best_rate(mode: &str, family: &str, events: &[Vec<u8>]) -> f64 {
    let m = matcher(family, mode == "trusted");
    let mut cache = m.create_cache();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(pass(mode, &m, &mut cache, events));
        best = best.min(t.elapsed().as_secs_f64());
    }
    events.len() as f64 / best
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let text = std::fs::read(&a[1]).unwrap();
    let n: usize = a[2].parse().unwrap();
    let events: Vec<Vec<u8>> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(n)
        .map(<[u8]>::to_vec)
        .collect();
    if a[3] == "wall" {
        println!("| family | strict | trusted | serde | strict/serde | trusted/strict |");
        println!("|---|---:|---:|---:|---:|---:|");
        for fam in families() {
            let serde = best_rate("serde", "none", &events);
            let s = best_rate("strict", &fam, &events);
            let t = best_rate("trusted", &fam, &events);
            println!(
                "| {fam} | {:.0}k | {:.0}k | {:.0}k | {:.2} | {:.2} |",
                s / 1e3,
                t / 1e3,
                serde / 1e3,
                s / serde,
                t / s
            );
        }
        return;
    }
    let passes: usize = a[3].parse().unwrap();
    let mode = a[4].as_str();
    let m = matcher(&a[5], mode == "trusted");
    let mut cache = m.create_cache();
    let mut total = 0;
    for _ in 0..passes {
        total += pass(mode, &m, &mut cache, &events);
    }
    println!("{total}");
}
