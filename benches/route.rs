//! Routing overhead: the events of `testdata/events/` (25 example events,
//! repeated to 1,000) routed through 6 rules whose 9 targets use input
//! transformers, `InputPath` and constant `Input`, to an in-memory
//! counting destination, against matching alone with the same rules.
//!
//! `match-only` uses `Matcher::matches` (a fresh cache and rule names per
//! event), `match-only-find` the cheaper `Matcher::find` with a reused
//! cache, which is how the router matches.
//!
//! `route-and-deliver` hands every delivery to the router's one worker
//! thread; `route-and-deliver-inline` uses the same rules with a
//! destination that declares itself non-blocking
//! (`Destination::non_blocking`), so deliveries are made on the routing
//! thread. `route-and-deliver-untransformed` routes with the same rules
//! but every target sending the event unchanged (to the worker), which
//! separates the cost of rendering inputs from the cost of queueing and
//! handing deliveries to the worker.
//!
//! All first assert the expected counts over the corpus (matches per
//! pass, deliveries per pass), so a fast wrong answer cannot pass. The
//! routing time includes rendering every target's input, queueing, the
//! hand-off to the delivery worker and waiting until all are delivered.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evrule::route::{Delivery, DeliveryResult, Destination, Router, RouterConfig, Rule, RuleSet};
use evrule::Matcher;
use serde_json::json;

/// Passes over the 25 example events per iteration.
const REPEAT: usize = 40;
/// Rules matched, summed over one pass of the corpus: s3-all 19,
/// s3-created 2, s3-objects 18, s3-deleted-not-lifecycle 3, ec2-state 1,
/// custom 2 (counted by hand from the events' source, detail-type and
/// detail.reason).
const MATCHES_PER_PASS: u64 = 45;
/// Deliveries (targets of matched rules), summed over one pass:
/// 19 * 2 + 2 * 2 + 18 + 3 + 1 + 2.
const DELIVERIES_PER_PASS: u64 = 66;

fn events() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let one_pass: Vec<Vec<u8>> = files
        .iter()
        .map(|f| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            serde_json::to_vec(&v).unwrap()
        })
        .collect();
    assert_eq!(one_pass.len(), 25, "the corpus changed: update the counts");
    let mut all = Vec::new();
    for _ in 0..REPEAT {
        all.extend(one_pass.iter().cloned());
    }
    all
}

fn rules() -> RuleSet {
    let mut set = RuleSet::new();
    set.add_json(&json!([
        {"Name": "s3-all", "EventPattern": {"source": ["aws.s3"]},
         "Targets": [
            {"Id": "detail", "Arn": "arn:count", "InputPath": "$.detail"},
            {"Id": "summary", "Arn": "arn:count", "InputTransformer": {
                "InputPathsMap": {"type": "$.detail-type", "bucket": "$.detail.bucket.name",
                                  "time": "$.time"},
                "InputTemplate": "{\"what\": <type>, \"bucket\": <bucket>, \"at\": \"<time>\", \"rule\": \"<aws.events.rule-name>\"}"}}]},
        {"Name": "s3-created", "EventPattern": {"source": ["aws.s3"], "detail-type": ["Object Created"]},
         "Targets": [
            {"Id": "key", "Arn": "arn:count", "InputTransformer": {
                "InputPathsMap": {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key",
                                  "size": "$.detail.object.size"},
                "InputTemplate": "\"s3://<bucket>/<key> (<size> bytes)\""}},
            {"Id": "whole", "Arn": "arn:count", "InputTransformer": {
                "InputPathsMap": {},
                "InputTemplate": "{\"event\": <aws.events.event>, \"json\": <aws.events.event.json>}"}}]},
        {"Name": "s3-objects", "EventPattern": {"source": ["aws.s3"], "detail-type": [{"prefix": "Object "}]},
         "Targets": [{"Id": "const", "Arn": "arn:count", "Input": "{\"kind\": \"object\"}"}]},
        {"Name": "s3-deleted-not-lifecycle", "EventPattern": {"source": ["aws.s3"],
            "detail-type": ["Object Deleted"], "detail": {"reason": [{"anything-but": "Lifecycle Expiration"}]}},
         "Targets": [{"Id": "audit", "Arn": "arn:count", "InputTransformer": {
                "InputPathsMap": {"key": "$.detail.object.key", "reason": "$.detail.reason"},
                "InputTemplate": "{\"deleted\": \"<key>\", \"why\": <reason>}"}}]},
        {"Name": "ec2-state", "EventPattern": {"source": ["aws.ec2"]},
         "Targets": [{"Id": "state", "Arn": "arn:count", "InputTransformer": {
                "InputPathsMap": {"id": "$.detail.instance-id", "state": "$.detail.state"},
                "InputTemplate": "\"instance <id> is <state>\""}}]},
        {"Name": "custom", "EventPattern": {"source": [{"prefix": "com."}, {"prefix": "core."}]},
         "Targets": [{"Id": "all", "Arn": "arn:count"}]}
    ]))
    .unwrap();
    set
}

/// Counts deliveries; `inline` says whether it declares itself
/// non-blocking (delivered on the routing thread) or not (delivered by the
/// worker).
struct Count {
    n: AtomicU64,
    inline: bool,
}

impl Count {
    fn new(inline: bool) -> Arc<Count> {
        Arc::new(Count {
            n: AtomicU64::new(0),
            inline,
        })
    }
}

impl Destination for Count {
    fn deliver(&self, _: &Delivery) -> DeliveryResult {
        self.n.fetch_add(1, Ordering::Relaxed);
        DeliveryResult::Ok
    }

    fn non_blocking(&self) -> bool {
        self.inline
    }
}

fn matcher() -> Matcher {
    let mut m = Matcher::new();
    for r in rules().rules() {
        m.add(&r.name, r.event_pattern.as_deref().unwrap()).unwrap();
    }
    m
}

/// The same rules with every target sending the event as it is: routing
/// cost without input rendering.
fn plain_rules() -> Vec<Rule> {
    let mut rules = rules().into_rules();
    for t in rules.iter_mut().flat_map(|r| r.targets.iter_mut()) {
        t.input = None;
        t.input_path = None;
        t.input_transformer = None;
    }
    rules
}

fn router(count: Arc<Count>, rules: Vec<Rule>) -> Router {
    Router::builder()
        .rules(rules)
        .destination("arn:count", count)
        .config(RouterConfig::new().workers(1))
        .build()
        .unwrap()
}

/// `ROUTE_BENCH_ONE_SHOT=<variant>` (`match-only`, `match-only-find`,
/// `route-and-deliver`,
/// `route-and-deliver-inline`, `route-and-deliver-untransformed`) runs that variant for
/// `ROUTE_BENCH_PASSES` iterations (default 10) without criterion, for
/// `valgrind --tool=callgrind`, whose instruction counts are steadier than
/// wall time on a shared machine.
fn one_shot(variant: &str) {
    let events = events();
    let passes: usize = std::env::var("ROUTE_BENCH_PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(10);
    if variant.starts_with("match-only") {
        let m = matcher();
        let mut cache = m.create_cache();
        let mut n = 0;
        for _ in 0..passes {
            for e in &events {
                n += if variant == "match-only-find" {
                    m.find(e, &mut cache).unwrap().len() as u64
                } else {
                    m.matches(e).unwrap().len() as u64
                };
            }
        }
        assert_eq!(n, MATCHES_PER_PASS * (REPEAT * passes) as u64);
        return;
    }
    let (rules, inline) = match variant {
        "route-and-deliver" => (rules().into_rules(), false),
        "route-and-deliver-inline" => (rules().into_rules(), true),
        "route-and-deliver-untransformed" => (plain_rules(), false),
        other => panic!("unknown variant {other}"),
    };
    let count = Count::new(inline);
    let r = router(Arc::clone(&count), rules);
    for _ in 0..passes {
        for e in &events {
            r.route(e).unwrap();
        }
        r.drain();
    }
    assert_eq!(
        count.n.load(Ordering::Relaxed),
        DELIVERIES_PER_PASS * (REPEAT * passes) as u64
    );
}

fn bench(c: &mut Criterion) {
    if let Ok(variant) = std::env::var("ROUTE_BENCH_ONE_SHOT") {
        one_shot(&variant);
        return;
    }
    let events = events();
    let passes = REPEAT as u64;

    // Matching alone: count matches first.
    let m = matcher();
    let matches: u64 = events
        .iter()
        .map(|e| m.matches(e).unwrap().len() as u64)
        .sum();
    assert_eq!(matches, MATCHES_PER_PASS * passes);

    // Routing: every delivery arrives, each rendered without error.
    let variants = [
        ("route-and-deliver", rules().into_rules(), false),
        ("route-and-deliver-inline", rules().into_rules(), true),
        ("route-and-deliver-untransformed", plain_rules(), false),
    ];
    let mut routers = Vec::new();
    for (name, rules, inline) in variants {
        let count = Count::new(inline);
        let r = router(Arc::clone(&count), rules);
        for e in &events {
            r.route(e).unwrap();
        }
        let stats = r.drain();
        assert_eq!(
            count.n.load(Ordering::Relaxed),
            DELIVERIES_PER_PASS * passes
        );
        assert!(stats
            .targets
            .iter()
            .all(|t| t.dropped == 0 && t.retried == 0));
        routers.push((name, r));
    }

    let mut group = c.benchmark_group("route/testdata-events");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("match-only", |b| {
        b.iter(|| {
            let mut n = 0;
            for e in &events {
                n += m.matches(e).unwrap().len();
            }
            n
        })
    });
    // The cheapest way to match: a reused cache, rule ids (what the
    // router itself does).
    let mut cache = m.create_cache();
    group.bench_function("match-only-find", |b| {
        b.iter(|| {
            let mut n = 0;
            for e in &events {
                n += m.find(e, &mut cache).unwrap().len();
            }
            n
        })
    });
    for (name, r) in &routers {
        group.bench_function(*name, |b| {
            b.iter(|| {
                for e in &events {
                    r.route(e).unwrap();
                }
                r.drain().events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
