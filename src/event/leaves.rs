//! What the scanner produces and follows: the trie of field paths the
//! rules mention, the [`Leaf`]s found at those paths, the tree of array
//! contexts that tells whether two leaves share an array element, and the
//! reusable buffers that hold them.

/// Sentinel for "none" in `u32` links.
pub(crate) const NONE: u32 = u32::MAX;

/// A trie over path segments (keys split at `.`), shared by all rules.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldTrie {
    pub(super) nodes: Vec<TrieNode>,
}

#[derive(Clone, Debug)]
pub(super) struct TrieNode {
    pub(super) children: Vec<(Box<[u8]>, u32)>,
    /// Field id of this path, or `NONE` when no rule names it.
    pub(super) field: u32,
    /// Path segments from the root to this node.
    pub(super) level: u32,
}

impl FieldTrie {
    pub(crate) fn new() -> FieldTrie {
        FieldTrie {
            nodes: vec![TrieNode {
                children: vec![],
                field: NONE,
                level: 0,
            }],
        }
    }

    /// Register `path` (dotted) as field `id`.
    pub(crate) fn insert(&mut self, path: &str, id: u32) {
        let mut node = 0usize;
        for seg in path.split('.') {
            node = match self.nodes[node]
                .children
                .iter()
                .find(|(k, _)| **k == *seg.as_bytes())
            {
                Some(&(_, n)) => n as usize,
                None => {
                    let n = self.nodes.len();
                    let level = self.nodes[node].level + 1;
                    self.nodes.push(TrieNode {
                        children: vec![],
                        field: NONE,
                        level,
                    });
                    self.nodes[node]
                        .children
                        .push((seg.as_bytes().into(), n as u32));
                    n
                }
            };
        }
        self.nodes[node].field = id;
    }

    /// Follow `key` from `node`; also says which child of `node` it is
    /// when the key is a single segment (for trusted mode's early stop).
    // Always inlined when optimised (not in debug builds: see
    // `Scan::number`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub(super) fn step_indexed(&self, node: u32, key: &[u8]) -> (u32, Option<usize>) {
        // Segments never hold a dot, so a dotted key cannot equal a child:
        // try the children first and look for dots only on a miss.
        let children = &self.nodes[node as usize].children;
        for (ix, (k, n)) in children.iter().enumerate() {
            if k.len() == key.len() && k.iter().zip(key).all(|(a, b)| a == b) {
                return (*n, Some(ix));
            }
        }
        // A dotted key leads somewhere only if its first segment is a
        // child: test that instead of searching every key for a dot.
        let dotted_child = children
            .iter()
            .any(|(k, _)| key.len() > k.len() && key[k.len()] == b'.' && key.starts_with(k));
        if dotted_child {
            return (self.step(node, key), None);
        }
        (NONE, None)
    }

    /// Follow `key` (which may itself contain dots) from `node`.
    #[inline]
    pub(super) fn step(&self, node: u32, key: &[u8]) -> u32 {
        let mut n = node;
        for seg in key.split(|&b| b == b'.') {
            let children = &self.nodes[n as usize].children;
            match children
                .iter()
                .find(|(k, _)| k.len() == seg.len() && **k == *seg)
            {
                Some(&(_, c)) => n = c,
                None => return NONE,
            }
        }
        n
    }
}

/// What kind of JSON value a leaf holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeafKind {
    String,
    Number,
    True,
    False,
    Null,
}

/// One value the automaton may test.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf {
    pub kind: LeafKind,
    /// String contents (unescaped) or number text: a range of the event, or
    /// of [`Leaves::unescaped`] when `in_arena`.
    pub start: u32,
    pub end: u32,
    pub in_arena: bool,
    /// Numbers: digits before and after the decimal point (255: unknown),
    /// so the value can be read without looking for them again.
    pub shape: [u8; 2],
    /// Array context (0: not inside any array).
    pub ctx: u32,
    /// Next leaf of the same field (`NONE` ends the list).
    pub next: u32,
}

/// A node of the array-context tree: element `index` of array instance
/// `array`, entered from context `parent`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub parent: u32,
    pub array: u32,
    pub depth: u32,
    /// Path segments from the root to the key holding the array.
    pub level: u32,
    /// The leaves read inside this element: `lo..hi` (indexes into
    /// [`Leaves::leaves`], which are in document order).
    pub lo: u32,
    pub hi: u32,
}

/// Limits on what an event may do to the scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EventLimits {
    pub max_depth: usize,
    pub max_size: usize,
    pub max_leaves: usize,
}

impl Default for EventLimits {
    fn default() -> Self {
        EventLimits {
            max_depth: 128,
            max_size: 4 << 20,
            max_leaves: 1 << 20,
        }
    }
}

/// Reusable scan output.
#[derive(Clone, Debug, Default)]
pub(crate) struct Leaves {
    pub leaves: Vec<Leaf>,
    pub ctxs: Vec<Ctx>,
    pub unescaped: Vec<u8>,
    /// First leaf per field id (`NONE` if none).
    pub first: Vec<u32>,
    pub(super) touched: Vec<u32>,
    pub(super) arrays: u32,
    /// Per array instance, the leaves read inside it: `lo..hi`.
    pub spans: Vec<(u32, u32)>,
}

impl Leaves {
    pub(super) fn reset(&mut self, fields: usize) {
        for &f in &self.touched {
            self.first[f as usize] = NONE;
        }
        if self.first.len() != fields {
            self.first.clear();
            self.first.resize(fields, NONE);
        }
        self.touched.clear();
        self.leaves.clear();
        self.ctxs.clear();
        self.ctxs.push(Ctx {
            parent: NONE,
            array: NONE,
            depth: 0,
            level: 0,
            lo: 0,
            hi: u32::MAX,
        });
        self.unescaped.clear();
        self.arrays = 0;
        self.spans.clear();
    }

    /// The bytes of a string or number leaf.
    #[inline]
    pub(crate) fn bytes<'a>(&'a self, leaf: &Leaf, event: &'a [u8]) -> &'a [u8] {
        if leaf.in_arena {
            &self.unescaped[leaf.start as usize..leaf.end as usize]
        } else {
            &event[leaf.start as usize..leaf.end as usize]
        }
    }

    /// The nearest enclosing context (`ctx` itself or an ancestor) of an
    /// array held at most `keep` path segments deep; 0 if none.
    #[inline]
    pub(crate) fn trim(&self, mut ctx: u32, keep: u32) -> u32 {
        while ctx != 0 && self.ctxs[ctx as usize].level > keep {
            ctx = self.ctxs[ctx as usize].parent;
        }
        ctx
    }

    /// Whether two contexts can belong to one consistent choice: they must
    /// not sit in different elements of the same array.
    #[inline]
    pub(crate) fn compatible(&self, a: u32, b: u32) -> bool {
        if a == 0 || b == 0 || a == b {
            return true;
        }
        let (mut a, mut b) = (a, b);
        let (mut da, mut db) = (self.ctxs[a as usize].depth, self.ctxs[b as usize].depth);
        while da > db {
            a = self.ctxs[a as usize].parent;
            da -= 1;
        }
        while db > da {
            b = self.ctxs[b as usize].parent;
            db -= 1;
        }
        if a == b {
            return true; // one lies inside the other
        }
        loop {
            let (ca, cb) = (self.ctxs[a as usize], self.ctxs[b as usize]);
            if ca.parent == cb.parent {
                return ca.array != cb.array;
            }
            a = ca.parent;
            b = cb.parent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_keys_step_through_their_segments() {
        let mut t = FieldTrie::new();
        t.insert("a.b", 7);
        t.insert(".c", 8);
        let a = t.step_indexed(0, b"a");
        assert_eq!(a.1, Some(0));
        let b = t.step(a.0, b"b");
        // One key holding the dot reaches the same node as two steps.
        assert_eq!(t.step_indexed(0, b"a.b"), (b, None));
        // The empty first segment is a child too.
        assert_eq!(t.step_indexed(0, b".c").0, t.step(t.step(0, b""), b"c"));
        assert_ne!(t.step_indexed(0, b".c").0, NONE);
        // A key that only starts like a child, or has a dot elsewhere.
        assert_eq!(t.step_indexed(0, b"ab"), (NONE, None));
        assert_eq!(t.step_indexed(0, b"ab.c"), (NONE, None));
        assert_eq!(t.step_indexed(0, b"x.b"), (NONE, None));
    }
}
