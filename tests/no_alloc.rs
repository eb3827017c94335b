//! `Matcher::find` allocates nothing once its cache has grown: a second pass
//! over the same events, after a warm-up pass, makes no heap allocation.
//! Rules and events are those of the conformance files (every operator,
//! `$or`, arrays of objects, non-ASCII case folding), in one matcher.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

// The tests share one binary and run on many threads: only allocations made
// by the thread that asked for counting are counted.
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down may still allocate.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    }
}

/// Counts the calling thread's allocations while it asks to; otherwise the
/// system allocator, unchanged.
pub struct Counting;

// SAFETY: defers to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}

#[test]
fn find_allocates_nothing_in_the_steady_state() {
    let mut m = evrule::Matcher::new();
    let mut events = Vec::new();
    for (ci, case) in crate::support::match_cases().into_iter().enumerate() {
        for (name, text) in &case.rules {
            m.add(&format!("{}:{ci}:{name}", case.file), text).unwrap();
        }
        // The exact source texts, where spellings matter (long numbers).
        events.extend(case.events.into_iter().map(String::into_bytes));
    }
    let mut cache = m.create_cache();
    let mut warm = 0;
    for e in &events {
        warm += m.find(e, &mut cache).unwrap().len();
    }
    COUNTING.with(|c| c.set(true));
    let mut again = 0;
    for e in &events {
        again += m.find(e, &mut cache).unwrap().len();
    }
    COUNTING.with(|c| c.set(false));
    assert!(warm > 0);
    assert_eq!(again, warm);
    assert_eq!(ALLOCS.with(Cell::get), 0, "allocations in the steady state");
}
