//! Pattern trees -> one automaton for all rules.
//!
//! A pattern is first flattened into *sub-rules* (one per choice of `$or`
//! branches), each a list of *slots*: a dotted field path and the OR-ed
//! conditions on it. Slots are put in one canonical order (by path, as
//! spec section 5 takes a sub-rule's fields), and every sub-rule becomes a
//! path through a trie of states: from a state, a *transition* on a field
//! leads, through that field's value index ([`field::FieldIndex`]), to the
//! next state. Sub-rules that begin with the same slots share states, so the
//! work per event depends on the event and on what matches, not on how many
//! rules exist.
//!
//! Matching walks the automaton from the root with a work list. Each step
//! picks one leaf of the transition's field; the leaf's array context is
//! added to the constraints of the walk, and a later leaf is only usable if
//! it does not sit in a different element of an array some chosen leaf sits
//! in (array consistency). `exists: false` is taken when no usable leaf of
//! the field exists: usable under the elements chosen for the slots before
//! it, which are exactly the paths that sort before it, as the spec asks.

pub(crate) mod field;
mod ranges;
pub(crate) mod value;

use crate::event::{FieldTrie, LeafKind, Leaves, NONE};
use crate::pattern::{path_order, Condition, ConditionKind, FieldValue, Object, Pattern};
// Keys are rule paths and condition texts, like the value tables' keys.
use field::{FieldIndex, HashMap, Ids, Value};

/// One slot of a sub-rule.
#[derive(Clone, Debug)]
pub(crate) struct Slot<'p> {
    pub path: String,
    pub conds: &'p [Condition],
    /// Canonical text of the condition set, for sharing states.
    pub key: String,
}

/// Flatten a pattern into its sub-rules, each in canonical slot order.
pub(crate) fn sub_rules(p: &Pattern) -> Vec<Vec<Slot<'_>>> {
    let mut out = flatten(p.root(), "");
    for sr in &mut out {
        // Path order decides what an `exists: false` is judged against;
        // the key only makes the order canonical among slots of one path
        // (which agree either way: see `reference::assign`).
        sr.sort_by(|a, b| path_order(&a.path, &b.path).then_with(|| a.key.cmp(&b.key)));
    }
    out
}

/// A canonical text for one condition: equal conditions give equal keys.
fn one_key(kind: &ConditionKind, out: &mut String) {
    // The common kinds get a short tag and their text; the rest are rare
    // enough that their debug form will do.
    let (tag, text) = match kind {
        ConditionKind::String(s) => ('s', s.as_str()),
        ConditionKind::Prefix(s) => ('p', s.as_str()),
        ConditionKind::Suffix(s) => ('x', s.as_str()),
        ConditionKind::PrefixIgnoreCase(s) => ('P', s.as_str()),
        ConditionKind::SuffixIgnoreCase(s) => ('X', s.as_str()),
        ConditionKind::EqualsIgnoreCase(s) => ('e', s.as_str()),
        ConditionKind::Number(n) => ('n', n.text.as_str()),
        ConditionKind::Exists(true) => ('E', ""),
        ConditionKind::Exists(false) => ('A', ""),
        ConditionKind::Bool(true) => ('T', ""),
        ConditionKind::Bool(false) => ('F', ""),
        ConditionKind::Null => ('N', ""),
        other => {
            use std::fmt::Write;
            let _ = write!(out, "?{other:?}");
            return;
        }
    };
    out.push(tag);
    out.push_str(text);
}

fn cond_key(conds: &[Condition]) -> String {
    let mut out = String::new();
    if let [one] = conds {
        one_key(&one.kind, &mut out);
        return out;
    }
    let mut keys: Vec<String> = conds
        .iter()
        .map(|c| {
            let mut k = String::new();
            one_key(&c.kind, &mut k);
            k
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys.join("\u{0}")
}

/// Every sub-rule of `acc` extended by every alternative of `alts`.
fn product<'p>(mut acc: Vec<Vec<Slot<'p>>>, mut alts: Vec<Vec<Slot<'p>>>) -> Vec<Vec<Slot<'p>>> {
    // Without `$or` there is one of each (the common case): no copies.
    if let ([one], 1) = (&mut acc[..], alts.len()) {
        one.append(&mut alts[0]);
        return acc;
    }
    let mut out = Vec::with_capacity(acc.len() * alts.len());
    for a in &acc {
        for b in &alts {
            let mut v = Vec::with_capacity(a.len() + b.len());
            v.extend(a.iter().cloned());
            v.extend(b.iter().cloned());
            out.push(v);
        }
    }
    out
}

fn flatten<'p>(obj: &'p Object, prefix: &str) -> Vec<Vec<Slot<'p>>> {
    let mut acc: Vec<Vec<Slot<'p>>> = vec![vec![]];
    let mut path = String::new();
    for f in &obj.fields {
        // `prefix` is empty at the root, else ends with `.`: an empty key
        // is a path segment too (`{"": {"a": ..}}` is `.a`, not `a`).
        path.clear();
        path.push_str(prefix);
        path.push_str(&f.key);
        match &f.value {
            FieldValue::Conditions(conds) => {
                let slot = Slot {
                    key: cond_key(conds),
                    path: path.clone(),
                    conds,
                };
                if let [one] = &mut acc[..] {
                    one.push(slot);
                } else {
                    for sr in &mut acc {
                        sr.push(slot.clone());
                    }
                }
            }
            FieldValue::Object(o) => {
                path.push('.');
                let alts = flatten(o, &path);
                acc = product(acc, alts);
            }
        }
    }
    for or in &obj.ors {
        let alts: Vec<Vec<Slot<'p>>> = or
            .branches
            .iter()
            .flat_map(|b| flatten(b, prefix))
            .collect();
        acc = product(acc, alts);
    }
    acc
}

#[derive(Clone, Debug, Default)]
struct Transition {
    field: u32,
    index: FieldIndex,
    /// Next states taken when the field has no usable leaf.
    absent: Ids,
    /// Condition-set key -> (next state, number of sub-rules using it).
    edges: HashMap<Box<str>, (u32, u32)>,
}

#[derive(Clone, Debug, Default)]
struct State {
    transitions: Vec<Transition>,
    /// (rule, number of its sub-rules ending here)
    accepts: Vec<(u32, u32)>,
    /// How many leading path segments the slot that leads here shares, at
    /// most, with any slot read after it. An array in the event can hold
    /// leaves of two fields only at a path both share, so arrays deeper
    /// than this cannot constrain anything later and are dropped from the
    /// walk's constraints (which lets equal work items merge).
    keep: u32,
}

/// Number of leading path segments two dotted paths share.
fn shared_segments(a: &str, b: &str) -> u32 {
    a.split('.')
        .zip(b.split('.'))
        .take_while(|(x, y)| x == y)
        .count() as u32
}

/// The automaton for all rules.
#[derive(Clone, Debug)]
pub(crate) struct Automaton {
    pub(crate) trie: FieldTrie,
    fields: HashMap<Box<str>, u32>,
    states: Vec<State>,
    free: Vec<u32>,
}

/// Per-thread matching scratch.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    pub leaves: Leaves,
    work: Vec<(u32, u32)>,
    cons: Vec<(u32, u32)>,
    seen_state: Vec<u32>,
    seen_rule: Vec<u32>,
    gen: u32,
    next: Vec<u32>,
    lower: Vec<u8>,
    pub out: Vec<u32>,
    /// Leaves to try at one transition.
    cand: Vec<u32>,
    /// Per field, its leaves in document order, built on first need in an
    /// event: (generation, start, length) into `sorted`.
    sorted_at: Vec<(u32, u32, u32)>,
    sorted: Vec<u32>,
}

impl Automaton {
    pub(crate) fn new() -> Automaton {
        Automaton {
            trie: FieldTrie::new(),
            fields: HashMap::default(),
            states: vec![State::default()],
            free: vec![],
        }
    }

    pub(crate) fn field_count(&self) -> usize {
        self.fields.len()
    }

    pub(crate) fn state_count(&self) -> usize {
        self.states.len() - self.free.len()
    }

    fn field_id(&mut self, path: &str) -> u32 {
        if let Some(&id) = self.fields.get(path) {
            return id;
        }
        let id = self.fields.len() as u32;
        self.fields.insert(path.into(), id);
        self.trie.insert(path, id);
        id
    }

    fn new_state(&mut self) -> u32 {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.states.push(State::default());
                (self.states.len() - 1) as u32
            }
        }
    }

    /// Add one sub-rule of `rule`.
    pub(crate) fn add(&mut self, rule: u32, slots: &[Slot]) {
        let mut s = 0u32;
        for (i, slot) in slots.iter().enumerate() {
            let field = self.field_id(&slot.path);
            let ti = match self.states[s as usize]
                .transitions
                .iter()
                .position(|t| t.field == field)
            {
                Some(i) => i,
                None => {
                    self.states[s as usize].transitions.push(Transition {
                        field,
                        ..Default::default()
                    });
                    self.states[s as usize].transitions.len() - 1
                }
            };
            let existing = self.states[s as usize].transitions[ti]
                .edges
                .get_mut(slot.key.as_str())
                .map(|e| {
                    e.1 += 1;
                    e.0
                });
            s = match existing {
                Some(n) => n,
                None => {
                    let n = self.new_state();
                    let t = &mut self.states[s as usize].transitions[ti];
                    t.edges.insert(slot.key.as_str().into(), (n, 1));
                    for c in slot.conds {
                        if c.kind == ConditionKind::Exists(false) {
                            t.absent.add(n);
                        } else {
                            t.index.add(&c.kind, n);
                        }
                    }
                    n
                }
            };
            let keep = slots[i + 1..]
                .iter()
                .map(|later| shared_segments(&slot.path, &later.path))
                .max()
                .unwrap_or(0);
            // Shared states keep the largest need (removal leaves it: still
            // correct, only less merging).
            let st = &mut self.states[s as usize];
            st.keep = st.keep.max(keep);
        }
        let acc = &mut self.states[s as usize].accepts;
        match acc.iter_mut().find(|(r, _)| *r == rule) {
            Some(e) => e.1 += 1,
            None => acc.push((rule, 1)),
        }
    }

    /// Remove one sub-rule of `rule` (the slots it was added with).
    pub(crate) fn remove(&mut self, rule: u32, slots: &[Slot]) {
        // Walk down, remembering the way.
        let mut way: Vec<(u32, usize)> = Vec::with_capacity(slots.len());
        let mut s = 0u32;
        for slot in slots {
            let Some(&field) = self.fields.get(slot.path.as_str()) else {
                return;
            };
            let Some(ti) = self.states[s as usize]
                .transitions
                .iter()
                .position(|t| t.field == field)
            else {
                return;
            };
            let Some(&(n, _)) = self.states[s as usize].transitions[ti]
                .edges
                .get(slot.key.as_str())
            else {
                return;
            };
            way.push((s, ti));
            s = n;
        }
        let acc = &mut self.states[s as usize].accepts;
        if let Some(i) = acc.iter().position(|(r, _)| *r == rule) {
            acc[i].1 -= 1;
            if acc[i].1 == 0 {
                acc.swap_remove(i);
            }
        } else {
            return;
        }
        // Walk back up, dropping edges nobody uses any more.
        for (slot, &(from, ti)) in slots.iter().zip(&way).rev() {
            let t = &mut self.states[from as usize].transitions[ti];
            let e = t.edges.get_mut(slot.key.as_str()).expect("edge on the way");
            e.1 -= 1;
            if e.1 > 0 {
                continue;
            }
            let n = e.0;
            t.edges.remove(slot.key.as_str());
            for c in slot.conds {
                if c.kind == ConditionKind::Exists(false) {
                    t.absent.remove(n);
                } else {
                    t.index.remove(&c.kind, n);
                }
            }
            if t.edges.is_empty() {
                self.states[from as usize].transitions.swap_remove(ti);
            }
            self.states[n as usize] = State::default();
            self.free.push(n);
        }
    }

    /// Run the automaton over scanned leaves; matching rule ids go to
    /// `scratch.out` (each once).
    pub(crate) fn run(&self, event: &[u8], rules: usize, sc: &mut Scratch) {
        sc.out.clear();
        sc.gen = sc.gen.wrapping_add(1);
        if sc.gen == 0 || sc.seen_state.len() < self.states.len() || sc.seen_rule.len() < rules {
            sc.seen_state.clear();
            sc.seen_state.resize(self.states.len(), 0);
            sc.seen_rule.clear();
            sc.seen_rule.resize(rules, 0);
            // Stamps from before the reset must not pass for current ones.
            sc.sorted_at.iter_mut().for_each(|e| *e = (0, 0, 0));
            sc.gen = 1;
        }
        let gen = sc.gen;
        sc.work.clear();
        sc.cons.clear();
        sc.cons.push((0, NONE)); // index 0: no constraint
        sc.work.push((0, 0));
        sc.seen_state[0] = gen;
        if sc.sorted_at.len() < self.fields.len() {
            sc.sorted_at.resize(self.fields.len(), (0, 0, 0));
        }
        sc.sorted.clear();
        let Scratch {
            leaves,
            work,
            cons,
            seen_state,
            seen_rule,
            next,
            lower,
            out,
            cand,
            sorted_at,
            sorted,
            ..
        } = sc;
        while let Some((s, c)) = work.pop() {
            let state = &self.states[s as usize];
            for &(r, _) in &state.accepts {
                if seen_rule[r as usize] != gen {
                    seen_rule[r as usize] = gen;
                    out.push(r);
                }
            }
            for t in &state.transitions {
                let mut usable = false;
                let constrained =
                    candidates(leaves, cons, c, t.field, gen, sorted_at, sorted, cand);
                // Unconstrained (the common case): walk the field's list as is.
                let mut list = if constrained {
                    NONE
                } else {
                    leaves.first.get(t.field as usize).copied().unwrap_or(NONE)
                };
                let mut picked = cand.iter();
                loop {
                    let li = if constrained {
                        match picked.next() {
                            Some(&li) => li,
                            None => break,
                        }
                    } else if list != NONE {
                        let li = list;
                        list = leaves.leaves[li as usize].next;
                        li
                    } else {
                        break;
                    };
                    let leaf = leaves.leaves[li as usize];
                    if leaf.ctx != 0 && !consistent(leaves, cons, c, leaf.ctx) {
                        continue;
                    }
                    usable = true;
                    next.clear();
                    let bytes = match leaf.kind {
                        LeafKind::String | LeafKind::Number => leaves.bytes(&leaf, event),
                        _ => &[],
                    };
                    let states = &self.states;
                    let rules_seen = &*seen_rule;
                    t.index.lookup(
                        &Value {
                            kind: leaf.kind,
                            bytes,
                            shape: leaf.shape,
                        },
                        lower,
                        |n| {
                            let st = &states[n as usize];
                            st.transitions.is_empty()
                                && st
                                    .accepts
                                    .iter()
                                    .all(|&(r, _)| rules_seen[r as usize] == gen)
                        },
                        next,
                    );
                    if next.is_empty() {
                        continue;
                    }
                    // Constraint id for the leaf's array context trimmed to
                    // a given depth, computed once per distinct depth.
                    let mut last: (u32, u32) = (NONE, NONE);
                    for &n in next.iter() {
                        let st = &self.states[n as usize];
                        if st.transitions.is_empty() {
                            // Nothing further to read: accept right here.
                            for &(r, _) in &st.accepts {
                                if seen_rule[r as usize] != gen {
                                    seen_rule[r as usize] = gen;
                                    out.push(r);
                                }
                            }
                            continue;
                        }
                        let nc = if leaf.ctx == 0 {
                            c
                        } else if last.0 == st.keep {
                            last.1
                        } else {
                            let ctx = leaves.trim(leaf.ctx, st.keep);
                            let nc = if ctx == 0 {
                                c
                            } else {
                                cons.push((ctx, c));
                                (cons.len() - 1) as u32
                            };
                            last = (st.keep, nc);
                            nc
                        };
                        push(work, seen_state, gen, n, nc);
                    }
                }
                if !usable {
                    for &n in t.absent.as_slice() {
                        push(work, seen_state, gen, n, c);
                    }
                }
            }
        }
    }
}

#[inline]
fn push(work: &mut Vec<(u32, u32)>, seen: &mut [u32], gen: u32, n: u32, c: u32) {
    if c == 0 {
        if seen[n as usize] == gen {
            return;
        }
        seen[n as usize] = gen;
    }
    work.push((n, c));
}

/// The leaves of `field` worth trying under constraint list `c`, into
/// `cand`; false (and `cand` left empty) when there is no constraint and
/// every leaf is worth trying: the caller walks the field's list. With a
/// constraint, only those that can
/// be consistent with its newest context: leaves outside that context's
/// array, plus those inside its own element, found by binary search in
/// the field's leaves in document order. This keeps two fields reached
/// through one large array linear-logarithmic instead of quadratic.
#[allow(clippy::too_many_arguments)]
#[inline]
fn candidates(
    leaves: &Leaves,
    cons: &[(u32, u32)],
    c: u32,
    field: u32,
    gen: u32,
    sorted_at: &mut [(u32, u32, u32)],
    sorted: &mut Vec<u32>,
    cand: &mut Vec<u32>,
) -> bool {
    cand.clear();
    let head = leaves.first.get(field as usize).copied().unwrap_or(NONE);
    if c == 0 || c == NONE || head == NONE {
        return false;
    }
    let (g, start, len) = sorted_at[field as usize];
    let (start, len) = if g == gen {
        (start as usize, len as usize)
    } else {
        let start = sorted.len();
        let mut li = head;
        while li != NONE {
            sorted.push(li);
            li = leaves.leaves[li as usize].next;
        }
        sorted[start..].reverse();
        let len = sorted.len() - start;
        sorted_at[field as usize] = (gen, start as u32, len as u32);
        (start, len)
    };
    let s = &sorted[start..start + len];
    let x = leaves.ctxs[cons[c as usize].0 as usize];
    let (alo, ahi) = leaves.spans[x.array as usize];
    let at = |bound: u32| s.partition_point(|&i| i < bound);
    cand.extend_from_slice(&s[..at(alo)]);
    cand.extend_from_slice(&s[at(x.lo)..at(x.hi)]);
    cand.extend_from_slice(&s[at(ahi)..]);
    true
}

/// Whether context `ctx` agrees with every context on constraint list `c`.
#[inline]
fn consistent(leaves: &Leaves, cons: &[(u32, u32)], mut c: u32, ctx: u32) -> bool {
    while c != 0 && c != NONE {
        let (cc, parent) = cons[c as usize];
        if !leaves.compatible(ctx, cc) {
            return false;
        }
        c = parent;
    }
    true
}
