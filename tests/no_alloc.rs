//! `Matcher::find` allocates nothing once its cache has grown: a second pass
//! over the same events, after a warm-up pass, makes no heap allocation.
//! Rules and events are those of the conformance files (every operator,
//! `$or`, arrays of objects, non-ASCII case folding), in one matcher.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn find_allocates_nothing_in_the_steady_state() {
    let mut m = evrule::Matcher::new();
    let mut events = Vec::new();
    for file in [
        "aws-recorded.jsonl",
        "ruler-correctness.jsonl",
        "generated-public.jsonl",
        "spec-examples.jsonl",
    ] {
        let path = format!("{}/testdata/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
        for (ci, line) in std::fs::read_to_string(path).unwrap().lines().enumerate() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let Some(rules) = v.get("rules").and_then(|r| r.as_array()) else {
                continue;
            };
            for r in rules {
                let text = match r.get("pattern_text").and_then(|t| t.as_str()) {
                    Some(t) => t.to_string(),
                    None => r["pattern"].to_string(),
                };
                m.add(
                    &format!("{file}:{ci}:{}", r["name"].as_str().unwrap()),
                    &text,
                )
                .unwrap();
            }
            // The exact source texts where spellings matter (long numbers).
            match v.get("events_text").and_then(|t| t.as_array()) {
                Some(texts) => events.extend(
                    texts
                        .iter()
                        .map(|t| t.as_str().unwrap().as_bytes().to_vec()),
                ),
                None => {
                    for e in v["events"].as_array().unwrap() {
                        events.push(e.to_string().into_bytes());
                    }
                }
            }
        }
    }
    let mut cache = m.create_cache();
    let mut warm = 0;
    for e in &events {
        warm += m.find(e, &mut cache).unwrap().len();
    }
    COUNTING.store(true, Ordering::Relaxed);
    let mut again = 0;
    for e in &events {
        again += m.find(e, &mut cache).unwrap().len();
    }
    COUNTING.store(false, Ordering::Relaxed);
    assert!(warm > 0);
    assert_eq!(again, warm);
    assert_eq!(
        ALLOCS.load(Ordering::Relaxed),
        0,
        "allocations in the steady state"
    );
}
