//! Sharing: a `Matcher` in an `Arc`, matched from several threads, answers
//! as it does on one; the public types can cross and be shared between
//! threads and survive a caught panic.

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use evrule::{Builder, Cache, Config, Error, Limits, Matcher, Pattern, RuleId};

fn assert_send_sync_unwind_safe<T: Send + Sync + UnwindSafe + RefUnwindSafe>() {}

#[test]
fn public_types_are_send_sync_and_unwind_safe() {
    assert_send_sync_unwind_safe::<Matcher>();
    assert_send_sync_unwind_safe::<Pattern>();
    assert_send_sync_unwind_safe::<Error>();
    assert_send_sync_unwind_safe::<Config>();
    assert_send_sync_unwind_safe::<Limits>();
    assert_send_sync_unwind_safe::<Builder>();
    assert_send_sync_unwind_safe::<Cache>();
    assert_send_sync_unwind_safe::<RuleId>();
}

fn rules() -> Matcher {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/examples/rules.json"
    ))
    .unwrap();
    let mut m = Matcher::new();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    for rule in value["Rules"].as_array().unwrap() {
        let pattern = match &rule["EventPattern"] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        m.add(rule["Name"].as_str().unwrap(), &pattern).unwrap();
    }
    // Plus rules of every operator, so that every code path is shared.
    for (i, p) in [
        r#"{"source": [{"prefix": "aws."}]}"#,
        r#"{"detail": {"object": {"key": [{"suffix": ".png"}, {"wildcard": "*/raw/*"}]}}}"#,
        r#"{"detail": {"object": {"size": [{"numeric": [">", 0, "<=", 1000000]}]}}}"#,
        r#"{"detail-type": [{"equals-ignore-case": "object created"}]}"#,
        r#"{"detail": {"source-ip-address": [{"cidr": "10.0.0.0/8"}]}}"#,
        r#"{"account": [{"anything-but": ["111122223333"]}], "region": [{"exists": true}]}"#,
        r#"{"$or": [{"source": ["aws.ec2"]}, {"detail": {"state": ["running"]}}]}"#,
    ]
    .iter()
    .enumerate()
    {
        m.add(&format!("op{i}"), p).unwrap();
    }
    m
}

fn events() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/events");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut out: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // And some that fail, so errors are shared too.
    out.push(b"{\"source\": ".to_vec());
    out.push(b"[1, 2]".to_vec());
    out.push(vec![0xff, 0xfe]);
    out
}

fn answers(m: &Matcher, events: &[Vec<u8>], cache: &mut Cache) -> Vec<Result<Vec<String>, String>> {
    events
        .iter()
        .map(|e| {
            m.find(e, cache)
                .map(|ids| {
                    let mut names: Vec<String> =
                        ids.iter().map(|&id| m.rule_name(id).to_string()).collect();
                    names.sort();
                    names
                })
                .map_err(|err| err.to_string())
        })
        .collect()
}

#[test]
fn four_threads_answer_as_one() {
    let m = Arc::new(rules());
    assert!(m.len() > 7, "the example rules were not loaded");
    let events = Arc::new(events());
    let want = answers(&m, &events, &mut m.create_cache());
    assert!(
        want.iter().any(|a| matches!(a, Ok(v) if !v.is_empty())),
        "no event matched anything: the test would prove nothing"
    );
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let m = Arc::clone(&m);
            let events = Arc::clone(&events);
            std::thread::spawn(move || {
                // Each thread has its own cache, reused across rounds; rounds
                // run in a thread-specific order so threads interleave.
                let mut cache = m.create_cache();
                let mut all = Vec::new();
                for round in 0..50 {
                    let mut order: Vec<usize> = (0..events.len()).collect();
                    order.rotate_left((t * 7 + round) % events.len());
                    let mut got = vec![None; events.len()];
                    for &i in &order {
                        got[i] = Some(answers(&m, &events[i..=i], &mut cache).remove(0));
                    }
                    all.push(got.into_iter().map(Option::unwrap).collect::<Vec<_>>());
                }
                all
            })
        })
        .collect();
    for h in handles {
        for got in h.join().unwrap() {
            assert_eq!(got, want);
        }
    }
}

#[test]
fn a_matcher_is_usable_after_a_panic_while_borrowed() {
    let m = rules();
    let event = br#"{"source": "aws.s3"}"#;
    let want = m.matches(event).unwrap().len();
    let r = std::panic::catch_unwind(|| {
        let _ = m.matches(event);
        panic!("caller panics while holding the matcher");
    });
    assert!(r.is_err());
    assert_eq!(m.matches(event).unwrap().len(), want);
}

#[test]
fn configs_are_shared_by_clone() {
    let c = Config::new().trusted(true).max_event_size(1000);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                let mut m = Matcher::with_config(c);
                m.add("r", r#"{"a": ["x"]}"#).unwrap();
                m.matches(br#"{"a": "x"}"#).unwrap().len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
}
