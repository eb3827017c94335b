//! Numeric ranges of one transition, indexed so that finding the ranges a
//! number falls in costs `O(log n + k)` for `n` ranges and `k` hits, not a
//! test per range.
//!
//! The distinct bounds cut the number line into *slots*: each bound value
//! is a slot of its own, and so is each open interval between two bounds
//! (and below the first, above the last). A range covers a contiguous run
//! of slots, whatever its `<` / `<=` choices. A segment tree over the slots
//! stores each range at the `O(log n)` nodes that exactly cover its run; a
//! number's slot is found by binary search, and the ranges containing it
//! are those stored on the path from that leaf to the root.
//!
//! Ranges come and go one at a time, so the tree is rebuilt in batches:
//! new ranges wait in a short list that is tested directly (until it
//! outgrows the square root of the tree), and removed ones are tombstoned
//! (until they are a quarter of it).

use crate::pattern::Range;

#[derive(Clone, Debug, Default)]
pub(crate) struct Ranges {
    /// Every range ever added and not yet compacted away, with its next
    /// state; `None` once removed.
    all: Vec<Option<(Range, u32)>>,
    /// How many of `all` (a prefix) the tree covers.
    built: usize,
    dead: usize,
    tree: Tree,
}

#[derive(Clone, Debug, Default)]
struct Tree {
    bounds: Vec<f64>,
    /// Leaves are slots `size..2*size`; node `n`'s items are
    /// `items[starts[n]..starts[n + 1]]` (indexes into `all`).
    size: usize,
    starts: Vec<u32>,
    items: Vec<u32>,
}

/// Below this many ranges a plain list is as fast as a tree.
const SMALL: usize = 16;

fn contains(r: &Range, x: f64) -> bool {
    if let Some(lo) = r.lower {
        if x < lo.value || (x == lo.value && !lo.inclusive) {
            return false;
        }
    }
    if let Some(hi) = r.upper {
        if x > hi.value || (x == hi.value && !hi.inclusive) {
            return false;
        }
    }
    true
}

impl Ranges {
    pub(crate) fn is_empty(&self) -> bool {
        self.all.len() == self.dead
    }

    pub(crate) fn add(&mut self, r: Range, next: u32) {
        self.all.push(Some((r, next)));
        // Pending ranges are tested one by one, so keep them few: about
        // the square root of the tree's size, which bounds both the
        // per-lookup list and the total rebuild work (n^1.5 log n).
        let pending = self.all.len() - self.built;
        if pending > SMALL.max(self.built.isqrt()) {
            self.rebuild();
        }
    }

    pub(crate) fn remove(&mut self, r: &Range, next: u32) {
        if let Some(slot) = self
            .all
            .iter_mut()
            .rev()
            .find(|e| matches!(e, Some((x, n)) if x == r && *n == next))
        {
            *slot = None;
            self.dead += 1;
            if self.dead > SMALL.max(self.all.len() / 4) {
                self.rebuild();
            }
        }
    }

    fn rebuild(&mut self) {
        self.all.retain(Option::is_some);
        self.dead = 0;
        self.built = self.all.len();
        let mut bounds: Vec<f64> = Vec::with_capacity(self.all.len() * 2);
        for (r, _) in self.all.iter().flatten() {
            bounds.extend(r.lower.map(|b| b.value));
            bounds.extend(r.upper.map(|b| b.value));
        }
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        let slots = 2 * bounds.len() + 1;
        let size = slots.next_power_of_two();
        let idx = |v: f64| bounds.partition_point(|&b| b < v);
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (i, (r, _)) in self.all.iter().flatten().enumerate() {
            let a = match r.lower {
                None => 0,
                Some(b) => 2 * idx(b.value) + if b.inclusive { 1 } else { 2 },
            };
            let z = match r.upper {
                None => slots - 1,
                Some(b) => 2 * idx(b.value) + if b.inclusive { 1 } else { 0 },
            };
            if a > z {
                continue; // empty range (validation rules these out)
            }
            let (mut l, mut h) = (a + size, z + size + 1);
            while l < h {
                if l & 1 == 1 {
                    pairs.push((l as u32, i as u32));
                    l += 1;
                }
                if h & 1 == 1 {
                    h -= 1;
                    pairs.push((h as u32, i as u32));
                }
                l >>= 1;
                h >>= 1;
            }
        }
        pairs.sort_unstable();
        let mut starts = vec![0u32; 2 * size + 1];
        for &(n, _) in &pairs {
            starts[n as usize + 1] += 1;
        }
        for n in 1..starts.len() {
            starts[n] += starts[n - 1];
        }
        self.tree = Tree {
            bounds,
            size,
            starts,
            items: pairs.into_iter().map(|(_, i)| i).collect(),
        };
    }

    /// Next states of the ranges that contain `x`, skipping those `skip`
    /// says are settled.
    #[inline]
    pub(crate) fn lookup(&self, x: f64, skip: &impl Fn(u32) -> bool, out: &mut Vec<u32>) {
        if x.is_nan() {
            return;
        }
        let t = &self.tree;
        if self.built > 0 {
            let i = t.bounds.partition_point(|&b| b < x);
            let slot = if i < t.bounds.len() && t.bounds[i] == x {
                2 * i + 1
            } else {
                2 * i
            };
            let mut node = slot + t.size;
            while node >= 1 {
                for &k in &t.items[t.starts[node] as usize..t.starts[node + 1] as usize] {
                    if let Some((_, next)) = self.all[k as usize] {
                        if !skip(next) {
                            out.push(next);
                        }
                    }
                }
                node >>= 1;
            }
        }
        for (r, next) in self.all[self.built..].iter().flatten() {
            if !skip(*next) && contains(r, x) {
                out.push(*next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Bound;

    fn r(lo: Option<(f64, bool)>, hi: Option<(f64, bool)>) -> Range {
        Range {
            lower: lo.map(|(value, inclusive)| Bound { value, inclusive }),
            upper: hi.map(|(value, inclusive)| Bound { value, inclusive }),
        }
    }

    #[test]
    fn agrees_with_testing_each_range() {
        let mut ranges = Ranges::default();
        let mut list = vec![];
        let mut seed = 7u64;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for i in 0..300u32 {
            let a = rnd(40) as f64 / 2.0;
            let b = a + rnd(10) as f64 / 2.0;
            let lo = if rnd(5) == 0 {
                None
            } else {
                Some((a, rnd(2) == 0))
            };
            let hi = if rnd(5) == 0 {
                None
            } else {
                Some((b, rnd(2) == 0 || a == b))
            };
            let lo = if a == b {
                lo.map(|(v, _)| (v, true))
            } else {
                lo
            };
            let range = r(lo, hi);
            ranges.add(range, i);
            list.push((range, i));
            if rnd(4) == 0 {
                let k = rnd(list.len() as u64) as usize;
                let (gone, n) = list.swap_remove(k);
                ranges.remove(&gone, n);
            }
            for x10 in -10..300 {
                let x = x10 as f64 / 10.0;
                let mut got = vec![];
                ranges.lookup(x, &|_| false, &mut got);
                got.sort_unstable();
                let mut want: Vec<u32> = list
                    .iter()
                    .filter(|(r, _)| contains(r, x))
                    .map(|&(_, n)| n)
                    .collect();
                want.sort_unstable();
                assert_eq!(got, want, "x = {x}");
            }
        }
    }
}
