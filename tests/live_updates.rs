//! Many threads match while another adds and removes rules: every answer
//! must be the answer of one complete rule set that existed at some moment.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use evrule::{Matcher, SharedMatcher};

const N: usize = 60;

fn name(i: usize) -> String {
    format!("r{i:03}")
}

/// The writer adds r000, r001, ... in order, then removes them in the same
/// order, so the live rule sets are exactly the contiguous ranges
/// r[a..b]. An answer is consistent iff it is such a range.
fn is_contiguous_range(names: &[String]) -> bool {
    let idx: Vec<usize> = names.iter().map(|n| n[1..].parse().unwrap()).collect();
    idx.windows(2).all(|w| w[1] == w[0] + 1)
}

#[test]
fn readers_see_whole_rule_sets_while_a_writer_adds_and_removes() {
    let shared = Arc::new(SharedMatcher::new(Matcher::new()));
    // A rule on an unrelated field stays throughout, to check removals do
    // not disturb neighbours.
    shared.add("steady", r#"{"kind": ["steady"]}"#).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(std::sync::Barrier::new(5));
    let event = br#"{"kind": "steady", "detail": {"n": 7, "tags": ["a", "b"]}}"#;
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let shared = Arc::clone(&shared);
            let done = Arc::clone(&done);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut cache = evrule::Cache::default();
                let mut seen = 0usize;
                start.wait();
                loop {
                    let finished = done.load(Ordering::Acquire);
                    let mut names: Vec<String> = shared
                        .find(event, &mut cache, |m, ids| {
                            ids.iter().map(|&id| m.rule_name(id).to_string()).collect()
                        })
                        .unwrap();
                    names.sort();
                    assert_eq!(
                        names.last().map(String::as_str),
                        Some("steady"),
                        "neighbour lost: {names:?}"
                    );
                    names.pop();
                    assert!(is_contiguous_range(&names), "inconsistent answer {names:?}");
                    seen += 1;
                    if finished {
                        break seen;
                    }
                }
            })
        })
        .collect();
    start.wait();
    for i in 0..N {
        std::thread::yield_now();
        let p = if i % 2 == 0 {
            r#"{"detail": {"n": [{"numeric": [">", 5]}]}}"#
        } else {
            r#"{"detail": {"tags": ["b"], "n": [7]}}"#
        };
        shared.add(&name(i), p).unwrap();
    }
    for i in 0..N {
        std::thread::yield_now();
        assert!(shared.remove(&name(i)));
    }
    done.store(true, Ordering::Release);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(shared.matches(event).unwrap(), ["steady"]);
}

#[test]
fn shared_types_are_send_sync_unwind_safe() {
    fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<SharedMatcher>();
    check::<Matcher>();
}
