//! The search: the pattern's sub-rules and fields, walked against the
//! event's flattened leaves with the reference evaluator's rules, recording
//! which leaves held each part (the witness).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::*;
use crate::json::{Node, Value as JsonValue};
use crate::pattern::value::condition_matches_leaf;
use crate::pattern::{path_order, Condition, ConditionKind, FieldValue, Object};
use crate::reference::{self, join, Flat, SubRuleField};

/// One leaf of the pattern.
pub(super) struct FieldSpec<'p> {
    pub(super) path: String,
    pub(super) conds: &'p [Condition],
}

/// The root or a `$or` branch: its own fields and `$or`s.
#[derive(Default)]
pub(super) struct GroupSpec {
    pub(super) fields: Vec<usize>,
    pub(super) ors: Vec<usize>,
}

pub(super) struct OrSpec {
    pub(super) at: String,
    pub(super) branches: Vec<usize>,
}

#[derive(Default)]
pub(super) struct Spec<'p> {
    pub(super) fields: Vec<FieldSpec<'p>>,
    pub(super) groups: Vec<GroupSpec>,
    pub(super) ors: Vec<OrSpec>,
    /// For every group, every field in it and its branches (sorted).
    pub(super) all_fields: Vec<BTreeSet<usize>>,
}

/// A choice of one branch of every `$or` of a group: its fields and the
/// choices made, as (or id, branch index).
#[derive(Clone)]
pub(super) struct SubRule {
    pub(super) fields: Vec<usize>,
    pub(super) choices: Vec<(usize, usize)>,
}

impl<'p> Spec<'p> {
    pub(super) fn group(&mut self, obj: &'p Object, prefix: &str) -> usize {
        let id = self.groups.len();
        self.groups.push(GroupSpec::default());
        let mut fields = Vec::new();
        let mut ors = Vec::new();
        self.collect(obj, prefix, &mut fields, &mut ors);
        self.groups[id] = GroupSpec { fields, ors };
        id
    }

    pub(super) fn collect(
        &mut self,
        obj: &'p Object,
        prefix: &str,
        fields: &mut Vec<usize>,
        ors: &mut Vec<usize>,
    ) {
        for field in &obj.fields {
            let path = join(prefix, &field.key);
            match &field.value {
                FieldValue::Conditions(conds) => {
                    fields.push(self.fields.len());
                    self.fields.push(FieldSpec { path, conds });
                }
                FieldValue::Object(child) => self.collect(child, &path, fields, ors),
            }
        }
        for or in &obj.ors {
            let branches = or.branches.iter().map(|b| self.group(b, prefix)).collect();
            ors.push(self.ors.len());
            self.ors.push(OrSpec {
                at: shown(prefix).to_string(),
                branches,
            });
        }
    }

    /// Compute `all_fields` (branches have higher ids than their parents).
    pub(super) fn finish(&mut self) {
        self.all_fields = vec![BTreeSet::new(); self.groups.len()];
        for g in (0..self.groups.len()).rev() {
            let mut all: BTreeSet<usize> = self.groups[g].fields.iter().copied().collect();
            for &o in &self.groups[g].ors {
                for &b in &self.ors[o].branches {
                    all.extend(self.all_fields[b].iter().copied());
                }
            }
            self.all_fields[g] = all;
        }
    }

    /// Every sub-rule of group `g`, in the reference evaluator's order of
    /// branch choices.
    pub(super) fn sub_rules(&self, g: usize) -> Vec<SubRule> {
        let mut rules = vec![SubRule {
            fields: self.groups[g].fields.clone(),
            choices: Vec::new(),
        }];
        for &o in &self.groups[g].ors {
            let mut alternatives = Vec::new();
            for (i, &b) in self.ors[o].branches.iter().enumerate() {
                for mut s in self.sub_rules(b) {
                    s.choices.insert(0, (o, i));
                    alternatives.push(s);
                }
            }
            let mut next = Vec::new();
            for r in &rules {
                for a in &alternatives {
                    let mut both = r.clone();
                    both.fields.extend(&a.fields);
                    both.choices.extend(&a.choices);
                    next.push(both);
                }
            }
            rules = next;
        }
        rules
    }
}

/// A successful assignment: for each field, the leaf used or `None` for
/// absent; and the branch chosen for each `$or`.
#[derive(Clone, Default)]
pub(super) struct Witness {
    pub(super) fields: HashMap<usize, Option<usize>>,
    pub(super) choices: HashMap<usize, usize>,
}

pub(super) struct Ctx<'a, 'p> {
    pub(super) text: &'a str,
    pub(super) flat: &'a Flat<'a>,
    pub(super) spec: &'a Spec<'p>,
    /// Whether each field can be satisfied on its own.
    pub(super) alone: Vec<bool>,
    /// Whether each field is `exists: false` with values only inside
    /// arrays: it can hold beside fields that pin an element without it.
    pub(super) pinned: Vec<bool>,
    /// Empty arrays and objects of the event: (path, pointer, `[]`/`{}`).
    pub(super) empties: Vec<(String, String, &'static str)>,
}

impl Ctx<'_, '_> {
    /// The reference search over a set of fields: per field, the leaf
    /// used or `None` (absent).
    pub(super) fn solve(&self, fields: &[usize]) -> Option<Vec<Option<usize>>> {
        let sub: Vec<SubRuleField<'_>> = fields
            .iter()
            .map(|&f| (self.spec.fields[f].path.clone(), self.spec.fields[f].conds))
            .collect();
        let mut chosen = Vec::new();
        let mut absent = Vec::new();
        if !reference::assign(&sub, 0, &self.flat.leaves, &mut chosen, &mut absent) {
            return None;
        }
        let mut used = chosen.into_iter();
        Some(
            (0..fields.len())
                .map(|i| {
                    if absent.contains(&i) {
                        None
                    } else {
                        used.next()
                    }
                })
                .collect(),
        )
    }

    pub(super) fn witness(&self, g: usize) -> Option<Witness> {
        self.spec.sub_rules(g).into_iter().find_map(|s| {
            let used = self.solve(&s.fields)?;
            Some(Witness {
                fields: s.fields.iter().copied().zip(used).collect(),
                choices: s.choices.into_iter().collect(),
            })
        })
    }

    pub(super) fn group(
        &self,
        g: usize,
        given: Option<&Witness>,
        reported: &mut BTreeSet<Vec<usize>>,
    ) -> Group {
        let witness = match given {
            Some(w) => Some(w.clone()),
            None => self.witness(g),
        };
        let spec = &self.spec.groups[g];
        let fields = spec
            .fields
            .iter()
            .map(|&f| {
                let used = witness
                    .as_ref()
                    .map(|w| w.fields.get(&f).copied().flatten());
                self.field(f, used, witness.as_ref())
            })
            .collect();
        let ors = spec
            .ors
            .iter()
            .map(|&o| {
                let chosen = witness.as_ref().and_then(|w| w.choices.get(&o).copied());
                let branches = self.spec.ors[o]
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        let given = if chosen == Some(i) {
                            witness.as_ref()
                        } else {
                            None
                        };
                        self.group(b, given, reported)
                    })
                    .collect();
                OrExplanation {
                    at: self.spec.ors[o].at.clone(),
                    branches,
                    chosen,
                }
            })
            .collect();
        let conflicts = if witness.is_some() {
            Vec::new()
        } else {
            self.conflicts(g, reported)
        };
        Group {
            holds: witness.is_some(),
            fields,
            ors,
            conflicts,
        }
    }

    /// Explain field `f`. `used` is `Some` in a group that holds: the leaf
    /// the match used, or `None` for absent.
    pub(super) fn field(
        &self,
        f: usize,
        used: Option<Option<usize>>,
        witness: Option<&Witness>,
    ) -> FieldExplanation {
        let spec = &self.spec.fields[f];
        let at: Vec<usize> = (0..self.flat.leaves.len())
            .filter(|&i| self.flat.leaves[i].path == spec.path)
            .collect();
        let values: Vec<Found> = at
            .iter()
            .map(|&i| {
                let leaf = &self.flat.leaves[i];
                Found {
                    value: leaf_text(leaf.value),
                    pointer: leaf.pointer.clone(),
                    checks: spec
                        .conds
                        .iter()
                        .map(|c| Check {
                            condition: self.condition_text(c),
                            holds: condition_matches_leaf(&c.kind, leaf.value),
                            reason: reason(&c.kind, leaf.value),
                        })
                        .collect(),
                }
            })
            .collect();
        let exists_false = spec
            .conds
            .iter()
            .any(|c| c.kind == ConditionKind::Exists(false));
        let status = match used {
            Some(Some(leaf)) => {
                FieldStatus::Satisfied(at.iter().position(|&i| i == leaf).unwrap_or(0))
            }
            Some(None) => FieldStatus::Absent,
            None => match values.iter().position(Found::holds) {
                Some(i) => FieldStatus::Satisfied(i),
                None if values.is_empty() && exists_false => FieldStatus::Absent,
                None if values.is_empty() => FieldStatus::Missing,
                None if exists_false => FieldStatus::Present,
                None => FieldStatus::NoMatch,
            },
        };
        let note = match status {
            FieldStatus::Missing => self.missing_note(&spec.path),
            FieldStatus::Absent if !values.is_empty() => {
                let used: Vec<&str> = witness
                    .map(|w| {
                        w.fields
                            .values()
                            .flatten()
                            .map(|&l| &self.flat.leaves[l])
                            .filter(|l| path_order(&l.path, &spec.path).is_lt())
                            .map(|l| l.pointer.as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                Some(format!(
                    "present at {}, but not in the array element the match used ({})",
                    list(values.iter().map(|v| v.pointer.as_str())),
                    list(used.into_iter())
                ))
            }
            FieldStatus::Present if self.pinned[f] => Some(
                "exists: false can still hold beside fields satisfied by an array element \
                     without it"
                    .to_string(),
            ),
            // Values only in arrays, yet not pinned: no field is taken
            // before this one (spec section 5), so no element is chosen.
            FieldStatus::Present if at.iter().all(|&i| !self.flat.leaves[i].arrays.is_empty()) => {
                Some(format!(
                    "exists: false is judged on the whole event: fields are taken in path \
                     order, and none sorts before {} to choose an array element",
                    shown(&spec.path)
                ))
            }
            _ => None,
        };
        FieldExplanation {
            path: shown(&spec.path).to_string(),
            conditions: spec.conds.iter().map(|c| self.condition_text(c)).collect(),
            values,
            status,
            note,
        }
    }

    /// A condition as written, in compact JSON.
    pub(super) fn condition_text(&self, c: &Condition) -> String {
        compact(self.text.get(c.span.start..c.span.end).unwrap_or(""))
    }

    /// What the event holds above or below a path it has no value at.
    pub(super) fn missing_note(&self, path: &str) -> Option<String> {
        // Internal paths start with `.` (see `reference::join`).
        let leaves = &self.flat.leaves;
        // An empty array or object here or on the way (deepest first).
        let empty = self
            .empties
            .iter()
            .filter(|(p, _, _)| {
                p == path
                    || (path.len() > p.len()
                        && path.starts_with(p.as_str())
                        && path.as_bytes()[p.len()] == b'.')
            })
            // Other elements of an array may hold values there.
            .filter(|(p, _, _)| {
                !leaves.iter().any(|l| {
                    l.path == *p
                        || (l.path.len() > p.len()
                            && l.path.starts_with(p.as_str())
                            && l.path.as_bytes()[p.len()] == b'.')
                })
            })
            .max_by_key(|(p, _, _)| p.len());
        if let Some((_, pointer, kind)) = empty {
            let what = if *kind == "[]" { "array" } else { "object" };
            return Some(format!(
                "{pointer} is an empty {what} ({kind}), which holds no value"
            ));
        }
        // A value where the path expects an object.
        let above = leaves.iter().filter(|l| {
            path.len() > l.path.len()
                && path.starts_with(l.path.as_str())
                && path.as_bytes()[l.path.len()] == b'.'
        });
        if let Some(l) = above.max_by_key(|l| l.path.len()) {
            return Some(format!(
                "{} is {} ({}), not an object",
                shown(&l.path),
                type_name(l.value),
                leaf_text(l.value)
            ));
        }
        let below: BTreeSet<&str> = leaves
            .iter()
            .filter(|l| {
                l.path.len() > path.len()
                    && l.path.starts_with(path)
                    && l.path.as_bytes()[path.len()] == b'.'
            })
            .map(|l| shown(&l.path))
            .collect();
        if !below.is_empty() {
            return Some(format!(
                "the event has an object here (with {}); conditions match only values",
                list(below.into_iter())
            ));
        }
        // The deepest object on the way that the event has.
        let segments: Vec<&str> = path.split('.').collect();
        for k in (1..segments.len()).rev() {
            let prefix = segments[..k].join(".");
            let keys: BTreeSet<&str> = leaves
                .iter()
                .filter_map(|l| l.path.strip_prefix(prefix.as_str())?.strip_prefix('.'))
                .map(|rest| rest.split('.').next().unwrap_or(rest))
                .collect();
            if !keys.is_empty() {
                return Some(format!(
                    "{} has no {} (it has {})",
                    shown(&prefix),
                    segments[k],
                    list(keys.into_iter())
                ));
            }
        }
        None
    }

    /// Sets of fields of group `g` that can hold one by one but not
    /// together, one per failing sub-rule (at most [`MAX_CONFLICTS`]),
    /// skipping sets a branch already reported.
    ///
    /// Fields that hold on their own are reduced to a smallest failing set
    /// (drop every field the failure survives without). An `exists: false`
    /// field whose values all sit in arrays cannot hold on its own but can
    /// beside fields that pin an element without it; when it fails beside
    /// the others, the conflict is it and the fields sharing its arrays.
    pub(super) fn conflicts(&self, g: usize, reported: &mut BTreeSet<Vec<usize>>) -> Vec<Conflict> {
        let mut out = Vec::new();
        for s in self.spec.sub_rules(g) {
            if out.len() == MAX_CONFLICTS {
                break;
            }
            let alone: Vec<usize> = s
                .fields
                .iter()
                .copied()
                .filter(|&f| self.alone[f])
                .collect();
            let pinned: Vec<usize> = s
                .fields
                .iter()
                .copied()
                .filter(|&f| self.pinned[f])
                .collect();
            let all: Vec<usize> = alone.iter().chain(&pinned).copied().collect();
            if self.solve(&all).is_some() {
                continue;
            }
            let mut sets = Vec::new();
            if self.solve(&alone).is_none() {
                let mut set = alone;
                let mut i = 0;
                while i < set.len() {
                    let mut fewer = set.clone();
                    fewer.remove(i);
                    if self.solve(&fewer).is_none() {
                        set = fewer;
                    } else {
                        i += 1;
                    }
                }
                sets.push(set);
            } else {
                for &b in &pinned {
                    let mut with = alone.clone();
                    with.push(b);
                    if self.solve(&with).is_none() {
                        let before = self.sorted_before(&alone, b);
                        let mut set = self.sharing(&before, &[b]);
                        set.push(b);
                        sets.push(set);
                    }
                }
                if sets.is_empty() {
                    let mut set = self.sharing(&alone, &pinned);
                    set.extend(&pinned);
                    sets.push(set);
                }
            }
            for mut set in sets {
                set.sort_unstable();
                if set.len() > 1 && reported.insert(set.clone()) {
                    out.push(self.describe(&set, &s.choices));
                }
            }
        }
        out
    }

    /// The fields of `candidates` taken before field `f` (their paths sort
    /// before its path): the only ones its `exists: false` is judged beside.
    pub(super) fn sorted_before(&self, candidates: &[usize], f: usize) -> Vec<usize> {
        let path = &self.spec.fields[f].path;
        candidates
            .iter()
            .copied()
            .filter(|&a| path_order(&self.spec.fields[a].path, path).is_lt())
            .collect()
    }

    /// The fields of `candidates` whose satisfying values share an array
    /// with a value of one of `fields`.
    pub(super) fn sharing(&self, candidates: &[usize], fields: &[usize]) -> Vec<usize> {
        let leaves = &self.flat.leaves;
        let arrays: BTreeSet<usize> = leaves
            .iter()
            .filter(|l| fields.iter().any(|&f| self.spec.fields[f].path == l.path))
            .flat_map(|l| l.arrays.iter().map(|&(id, _)| id))
            .collect();
        candidates
            .iter()
            .copied()
            .filter(|&a| {
                let spec = &self.spec.fields[a];
                leaves.iter().any(|l| {
                    l.path == spec.path
                        && spec
                            .conds
                            .iter()
                            .any(|c| condition_matches_leaf(&c.kind, l.value))
                        && l.arrays.iter().any(|(id, _)| arrays.contains(id))
                })
            })
            .collect()
    }

    pub(super) fn describe(&self, set: &[usize], choices: &[(usize, usize)]) -> Conflict {
        let leaves = &self.flat.leaves;
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        let mut details = Vec::new();
        // Array id -> field -> (elements its relevant leaves sit in,
        // whether it is an absence).
        let mut touched: BTreeMap<usize, BTreeMap<usize, (BTreeSet<usize>, bool)>> =
            BTreeMap::new();
        for &f in set {
            let spec = &self.spec.fields[f];
            let at = || leaves.iter().filter(|l| l.path == spec.path);
            let holding: Vec<_> = at()
                .filter(|l| {
                    spec.conds
                        .iter()
                        .any(|c| condition_matches_leaf(&c.kind, l.value))
                })
                .collect();
            let absence = holding.is_empty();
            let relevant = if absence {
                negative.push(shown(&spec.path));
                let present: Vec<_> = at().collect();
                details.push(format!(
                    "{} is present at {}",
                    shown(&spec.path),
                    list(present.iter().map(|l| l.pointer.as_str()))
                ));
                present
            } else {
                positive.push(shown(&spec.path));
                details.push(format!(
                    "{} holds at {}",
                    shown(&spec.path),
                    list(holding.iter().map(|l| l.pointer.as_str()))
                ));
                holding
            };
            for l in relevant {
                for &(id, i) in &l.arrays {
                    let entry = touched.entry(id).or_default().entry(f).or_default();
                    entry.0.insert(i);
                    entry.1 = absence;
                }
            }
        }
        // The arrays where the conflict is: two fields that must share an
        // element hold only in different ones, or an absence is present in
        // an element where another field holds.
        let conflicting = |fields: &BTreeMap<usize, (BTreeSet<usize>, bool)>| {
            let v: Vec<_> = fields.values().collect();
            v.iter().enumerate().any(|(i, a)| {
                v[i + 1..].iter().any(|b| {
                    let disjoint = a.0.is_disjoint(&b.0);
                    if a.1 || b.1 {
                        !disjoint
                    } else {
                        disjoint
                    }
                })
            })
        };
        let mut arrays: Vec<String> = touched
            .iter()
            .filter(|(_, fs)| conflicting(fs))
            .map(|(&id, _)| self.flat.arrays[id].clone())
            .collect();
        if arrays.is_empty() {
            arrays = touched
                .iter()
                .filter(|(_, fs)| fs.len() > 1)
                .map(|(&id, _)| self.flat.arrays[id].clone())
                .collect();
        }
        let arrays_text = and_list(arrays.iter().map(String::as_str));
        let message = if negative.is_empty() {
            format!(
                "fields {} are satisfied only by different elements of {arrays_text}",
                and_list(positive.iter().copied())
            )
        } else if positive.is_empty() {
            format!(
                "{} cannot all be absent from one element of {arrays_text}",
                and_list(negative.iter().copied())
            )
        } else {
            let (verb, pronoun) = if negative.len() == 1 {
                ("must be", "it is")
            } else {
                ("must be", "they are")
            };
            format!(
                "{} {verb} absent from the element of {arrays_text} that satisfies {}, but {pronoun} present there",
                and_list(negative.iter().copied()),
                and_list(positive.iter().copied())
            )
        };
        let involved: BTreeSet<usize> = set.iter().copied().collect();
        let branches = choices
            .iter()
            .filter(|&&(o, i)| {
                let b = self.spec.ors[o].branches[i];
                !self.spec.all_fields[b].is_disjoint(&involved)
            })
            .map(|&(o, i)| {
                let at = &self.spec.ors[o].at;
                if at.is_empty() {
                    format!("branch {} of $or", i + 1)
                } else {
                    format!("branch {} of $or in {at}", i + 1)
                }
            })
            .collect();
        Conflict {
            fields: set
                .iter()
                .map(|&f| shown(&self.spec.fields[f].path).to_string())
                .collect(),
            arrays,
            branches,
            message,
            details,
        }
    }
}

/// Collect the empty arrays and objects of an event: they hold no leaf,
/// so a field there is missing, which deserves saying.
pub(super) fn find_empties(
    node: &Node,
    path: &str,
    pointer: &mut String,
    out: &mut Vec<(String, String, &'static str)>,
) {
    match &node.value {
        JsonValue::Object(members) if members.is_empty() => {
            out.push((path.to_string(), pointer.clone(), "{}"));
        }
        JsonValue::Array(items) if items.is_empty() => {
            out.push((path.to_string(), pointer.clone(), "[]"));
        }
        JsonValue::Object(members) => {
            for (key, _, child) in members {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_empties(child, &join(path, key), pointer, out);
                pointer.truncate(len);
            }
        }
        JsonValue::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                find_empties(child, path, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

// ---- words ----
