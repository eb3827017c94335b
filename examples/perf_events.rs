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
//! `testdata/bench/rules/`, `none` or `all`).

use std::path::PathBuf;
use std::time::Instant;

use evrule::{Config, Matcher};

fn rules(family: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/bench/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = vec![];
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        if family != "all" && family != stem {
            continue;
        }
        for l in std::fs::read_to_string(&f).unwrap().lines() {
            if l.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            out.push((
                v["name"].as_str().unwrap().to_string(),
                v["pattern"].to_string(),
            ));
        }
    }
    out
}

fn families() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/bench/rules");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    v.sort();
    v.push("all".into());
    v
}

fn matcher(family: &str, trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    if family != "none" {
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
