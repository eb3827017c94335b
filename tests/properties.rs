//! Property tests: the compiled matcher against the reference evaluator.
//!
//! Patterns and events are generated over a deliberately small vocabulary of
//! field names and values, so that matches actually happen, and with the
//! spellings that trip matchers up: case pairs whose mappings change length
//! or are not symmetric (ß/ẞ, Σ/σ/ς, İ, the Kelvin sign), numbers written
//! `1e0`, `-0`, `5.000`, IP addresses in several spellings, `\u` escapes,
//! duplicate keys, dotted keys, arrays of objects and arrays of arrays.
//!
//! Properties:
//! - (a) one rule: the matcher, strict and trusted, agrees with
//!   `evrule::reference::matches`;
//! - (b) many rules in one matcher: each rule's answer is its answer alone;
//! - (c) after any sequence of adds and removes, the matcher answers like a
//!   matcher freshly built from the surviving rules, with as many states;
//! - (d) the matcher never panics on arbitrary bytes, and in strict mode
//!   never answers `Ok` for an event that is not valid JSON.
//!
//! Case counts are small by default (CI runs them in debug builds);
//! `PROPTEST_CASES=10000 cargo test --test properties` runs more.

use evrule::pattern::{ConditionKind, FieldValue, Object, WildcardPart};
use evrule::{reference, Config, Matcher, Pattern};
use proptest::prelude::*;

use crate::support::proptest_config as config;

// ---------------------------------------------------------------------------
// Vocabulary.

/// Field names, as written in patterns and events. `a.b` is a dotted key.
const KEYS: &[&str] = &["a", "b", "c", "a.b", "ß", "", ".a"];

/// String values. Case pairs whose mappings are not one-to-one, IP
/// spellings, stars and backslashes (wildcard escapes), suffix/prefix
/// material.
const STRINGS: &[&str] = &[
    "",
    "a",
    "A",
    "ab",
    "aB",
    "Ab",
    "ba",
    "x.png",
    "X.PNG",
    "img/x",
    "IMG/x",
    "ß",
    "SS",
    "ss",
    "ẞ",
    "straße",
    "STRASSE",
    "Σ",
    "σ",
    "ς",
    "ΣΣ",
    "İ",
    "i",
    "I",
    "ı",
    "i\u{307}",
    "k",
    "K",
    "\u{212A}",
    "ǅ",
    "ǆ",
    "Ǆ",
    "*",
    "a*b",
    "\\",
    "a\\b",
    "\u{10400}",
    "\u{10428}",
    "10.0.0.1",
    "010.000.000.001",
    "10.0.0.255",
    "10.0.1.1",
    "192.168.0.1",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "2001:db8::ffff",
    "::ffff:10.0.0.1",
    "::1",
    "1",
    "5",
    "null",
    "true",
];

/// IP addresses in several spellings (also in `STRINGS`).
const IPS: &[&str] = &[
    "10.0.0.1",
    "010.000.000.001",
    "10.0.0.255",
    "10.0.1.1",
    "192.168.0.1",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "2001:db8::ffff",
    "::ffff:10.0.0.1",
    "::1",
    "0.0.0.0",
];

/// Number spellings (valid JSON numbers).
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "-0.0e0",
    "1",
    "1e0",
    "1.0",
    "10E-1",
    "5",
    "5.000",
    "5e0",
    "0.5e1",
    "-1.5",
    "-15e-1",
    "300",
    "3.0e2",
    "3E+2",
    "0.1",
    "1e-7",
    "100",
    "9007199254740993",
    "9007199254740992",
    "1e400",
    "-1e400",
    "0.30000000000000001",
    "123456789012",
];

/// Numbers usable as `numeric` bounds (exact).
const BOUNDS: &[&str] = &["-1.5", "0", "-0", "1", "1e0", "5", "5.000", "100", "300"];

/// CIDR blocks (masks below 32 / 128, as the spec requires).
const CIDRS: &[&str] = &[
    "10.0.0.0/24",
    "10.0.0.0/8",
    "10.0.0.1/31",
    "0.0.0.0/0",
    "192.168.0.0/16",
    "2001:db8::/64",
    "2001:DB8::/32",
    "::ffff:10.0.0.0/104",
    "::/0",
];

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A JSON string literal for `s`, with every non-ASCII or special character
/// written as a `\u` escape (surrogate pairs beyond the BMP).
fn json_string_escaped(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == ' ' {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.push('"');
    out
}

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(list)
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => pick(STRINGS).prop_map(str::to_string),
        // Concatenations make prefixes and suffixes of one another.
        2 => (pick(STRINGS), pick(STRINGS)).prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

// ---------------------------------------------------------------------------
// Patterns, generated as JSON text.

fn string_list(strategy: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        strategy.clone(),
        proptest::collection::vec(strategy, 1..4).prop_map(|v| format!("[{}]", v.join(", "))),
    ]
}

fn wildcard_text() -> impl Strategy<Value = String> {
    // Pieces of a wildcard: literal text, `*`, and the two valid escapes.
    let piece = prop_oneof![
        4 => pick(&["a", "b", "A", "ß", "s", "x.png", "10.", "σ", "/"]).prop_map(str::to_string),
        3 => Just("*".to_string()),
        1 => Just("\\*".to_string()),
        1 => Just("\\\\".to_string()),
    ];
    proptest::collection::vec(piece, 0..5).prop_map(|v| {
        // Drop a star that would follow a star: `**` is invalid.
        let mut out = String::new();
        for p in v {
            if p == "*" && out.ends_with('*') && !out.ends_with("\\*") {
                continue;
            }
            out.push_str(&p);
        }
        out
    })
}

fn quoted_string() -> BoxedStrategy<String> {
    any_string().prop_map(|s| json_string(&s)).boxed()
}

fn quoted_wildcard() -> BoxedStrategy<String> {
    wildcard_text().prop_map(|s| json_string(&s)).boxed()
}

fn numeric_range() -> impl Strategy<Value = String> {
    let lower = pick(&[">", ">="]);
    let upper = pick(&["<", "<="]);
    prop_oneof![
        (pick(&["=", ">", ">=", "<", "<="]), pick(BOUNDS))
            .prop_map(|(op, n)| format!(r#"{{"numeric": ["{op}", {n}]}}"#)),
        (lower, pick(BOUNDS), upper, pick(BOUNDS))
            .prop_map(|(l, a, u, b)| format!(r#"{{"numeric": ["{l}", {a}, "{u}", {b}]}}"#)),
    ]
}

fn anything_but() -> impl Strategy<Value = String> {
    let nonempty = any_string()
        .prop_filter("non-empty", |s| !s.is_empty())
        .prop_map(|s| json_string(&s))
        .boxed();
    let inner = prop_oneof![
        quoted_string(),
        pick(NUMBERS).prop_map(str::to_string),
        proptest::collection::vec(quoted_string(), 1..4)
            .prop_map(|v| format!("[{}]", v.join(", "))),
        proptest::collection::vec(pick(NUMBERS), 1..4).prop_map(|v| format!("[{}]", v.join(", "))),
        string_list(nonempty.clone()).prop_map(|s| format!(r#"{{"prefix": {s}}}"#)),
        string_list(nonempty).prop_map(|s| format!(r#"{{"suffix": {s}}}"#)),
        string_list(quoted_string()).prop_map(|s| format!(r#"{{"equals-ignore-case": {s}}}"#)),
        string_list(quoted_wildcard()).prop_map(|s| format!(r#"{{"wildcard": {s}}}"#)),
    ];
    inner.prop_map(|s| format!(r#"{{"anything-but": {s}}}"#))
}

fn condition() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => quoted_string(),
        // The same strings with every special character `\u`-escaped.
        1 => any_string().prop_map(|s| json_string_escaped(&s)),
        3 => pick(NUMBERS).prop_map(str::to_string),
        1 => pick(&["true", "false", "null"]).prop_map(str::to_string),
        2 => quoted_string().prop_map(|s| format!(r#"{{"prefix": {s}}}"#)),
        2 => quoted_string().prop_map(|s| format!(r#"{{"suffix": {s}}}"#)),
        2 => quoted_string().prop_map(|s| format!(r#"{{"prefix": {{"equals-ignore-case": {s}}}}}"#)),
        2 => quoted_string().prop_map(|s| format!(r#"{{"suffix": {{"equals-ignore-case": {s}}}}}"#)),
        2 => quoted_string().prop_map(|s| format!(r#"{{"equals-ignore-case": {s}}}"#)),
        3 => quoted_wildcard().prop_map(|s| format!(r#"{{"wildcard": {s}}}"#)),
        3 => anything_but(),
        3 => numeric_range(),
        2 => any::<bool>().prop_map(|b| format!(r#"{{"exists": {b}}}"#)),
        2 => pick(CIDRS).prop_map(|c| format!(r#"{{"cidr": "{c}"}}"#)),
    ]
}

fn conditions() -> impl Strategy<Value = String> {
    proptest::collection::vec(condition(), 1..4).prop_map(|v| format!("[{}]", v.join(", ")))
}

/// A pattern object: 1-3 fields (leaves or nested objects) and sometimes a
/// `$or` of 2-3 such objects, nesting a few levels.
fn pattern_object() -> impl Strategy<Value = String> {
    let leaf = (pick(KEYS), conditions())
        .prop_map(|(k, c)| format!("{}: {c}", json_string(k)))
        .boxed();
    let flat =
        proptest::collection::vec(leaf.clone(), 1..4).prop_map(|v| format!("{{{}}}", v.join(", ")));
    flat.prop_recursive(3, 24, 3, move |inner| {
        let field = prop_oneof![
            3 => leaf.clone(),
            1 => (pick(KEYS), inner.clone()).prop_map(|(k, o)| format!("{}: {o}", json_string(k))),
        ];
        let or = proptest::collection::vec(inner, 2..4)
            .prop_map(|v| format!(r#""$or": [{}]"#, v.join(", ")));
        (
            proptest::collection::vec(field, 0..3),
            proptest::option::of(or),
        )
            .prop_map(|(mut fields, or)| {
                fields.extend(or);
                if fields.is_empty() {
                    fields.push(r#""a": [{"exists": true}]"#.to_string());
                }
                format!("{{{}}}", fields.join(", "))
            })
    })
}

/// A valid pattern (invalid ones, e.g. `Bottom must be less than top` or a
/// too-complex wildcard, are filtered out) and its text.
fn pattern() -> impl Strategy<Value = (String, Pattern)> {
    pattern_object().prop_filter_map("valid pattern", |text| {
        Pattern::parse(&text).ok().map(|p| (text, p))
    })
}

// ---------------------------------------------------------------------------
// Events, generated as JSON text (so duplicate keys and number spellings
// survive).

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => quoted_string(),
        1 => any_string().prop_map(|s| json_string_escaped(&s)),
        4 => pick(NUMBERS).prop_map(str::to_string),
        1 => pick(&["true", "false", "null"]).prop_map(str::to_string),
    ]
}

fn event_value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(4, 40, 4, |inner| {
        let member = (pick(KEYS), inner.clone())
            .prop_map(|(k, v)| format!("{}: {v}", json_string(k)))
            .boxed();
        prop_oneof![
            // Objects (duplicate keys happen: the key vocabulary is small).
            2 => proptest::collection::vec(member, 0..4).prop_map(|v| format!("{{{}}}", v.join(", "))),
            // Arrays of anything: scalars, objects, arrays.
            2 => proptest::collection::vec(inner, 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        ]
    })
}

fn event() -> impl Strategy<Value = String> {
    let member = (pick(KEYS), event_value()).prop_map(|(k, v)| format!("{}: {v}", json_string(k)));
    proptest::collection::vec(member, 0..5).prop_map(|v| format!("{{{}}}", v.join(", ")))
}

// ---------------------------------------------------------------------------
// Events made to (nearly) match a given pattern: every field of the pattern
// gets a value that satisfies one of its conditions, in some spelling,
// sometimes inside arrays, sometimes replaced by noise. Random choices come
// from a vector of numbers so that proptest can shrink them.

struct Choices<'a> {
    numbers: &'a [u32],
    next: usize,
}

impl Choices<'_> {
    fn below(&mut self, n: usize) -> usize {
        let x = if self.numbers.is_empty() {
            0
        } else {
            self.numbers[self.next % self.numbers.len()] as usize
        };
        self.next += 1;
        x % n.max(1)
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'s>(&mut self, list: &[&'s str]) -> &'s str {
        list[self.below(list.len())]
    }

    fn string(&mut self, s: &str) -> String {
        if self.one_in(4) {
            json_string_escaped(s)
        } else {
            json_string(s)
        }
    }
}

fn case_variant(s: &str, c: &mut Choices<'_>) -> String {
    match c.below(3) {
        0 => s.to_string(),
        1 => s.to_uppercase(),
        _ => s.to_lowercase(),
    }
}

fn witness_value(kind: &ConditionKind, c: &mut Choices<'_>) -> Option<String> {
    let noise = c.pick(STRINGS);
    Some(match kind {
        ConditionKind::String(s) => c.string(s),
        ConditionKind::Number(n) => {
            if c.one_in(3) {
                c.pick(NUMBERS).to_string()
            } else {
                n.text.clone()
            }
        }
        ConditionKind::Bool(b) => b.to_string(),
        ConditionKind::Null => "null".to_string(),
        ConditionKind::Prefix(p) => c.string(&format!("{p}{noise}")),
        ConditionKind::Suffix(p) => c.string(&format!("{noise}{p}")),
        ConditionKind::PrefixIgnoreCase(p) => {
            let v = case_variant(p, c);
            c.string(&format!("{v}{noise}"))
        }
        ConditionKind::SuffixIgnoreCase(p) => {
            let v = case_variant(p, c);
            c.string(&format!("{noise}{v}"))
        }
        ConditionKind::EqualsIgnoreCase(p) => {
            let v = case_variant(p, c);
            c.string(&v)
        }
        ConditionKind::Wildcard(w) => {
            let mut text = String::new();
            for part in &w.parts {
                match part {
                    WildcardPart::Literal(l) => text.push_str(l),
                    WildcardPart::Star => {
                        if !c.one_in(3) {
                            text.push_str(c.pick(STRINGS));
                        }
                    }
                }
            }
            c.string(&text)
        }
        ConditionKind::Numeric(r) => {
            let b = r.lower.or(r.upper);
            match b {
                Some(b) if !c.one_in(3) => {
                    let off = [0.0, 0.5, -0.5, 1.0, -1.0][c.below(5)];
                    format!("{}", b.value + off)
                }
                _ => c.pick(NUMBERS).to_string(),
            }
        }
        ConditionKind::Exists(true) => return Some(scalar_from(c)),
        ConditionKind::Exists(false) => return None,
        ConditionKind::Cidr(cidr) => {
            if c.one_in(2) {
                c.string(&cidr.network.to_string())
            } else {
                let ip = c.pick(IPS);
                c.string(ip)
            }
        }
        ConditionKind::AnythingBut(_) => scalar_from(c),
        // `ConditionKind` is non-exhaustive: an operator added later gets
        // random scalars until it has a witness of its own.
        _ => scalar_from(c),
    })
}

fn scalar_from(c: &mut Choices<'_>) -> String {
    match c.below(3) {
        0 => c.pick(NUMBERS).to_string(),
        1 => c.pick(&["true", "false", "null"]).to_string(),
        _ => {
            let s = c.pick(STRINGS);
            c.string(s)
        }
    }
}

/// Members (`"key": value`) of an event object satisfying (mostly) `obj`.
fn witness_members(obj: &Object, c: &mut Choices<'_>, out: &mut Vec<String>) {
    for field in &obj.fields {
        let value = match &field.value {
            FieldValue::Conditions(conds) => {
                let cond = &conds[c.below(conds.len())];
                let v = if c.one_in(8) {
                    Some(scalar_from(c))
                } else {
                    witness_value(&cond.kind, c)
                };
                let Some(v) = v else { continue };
                match c.below(6) {
                    0 => format!("[{v}, {}]", scalar_from(c)),
                    1 => format!("[[{}], {v}]", scalar_from(c)),
                    _ => v,
                }
            }
            FieldValue::Object(o) => {
                let one = witness_object(o, c);
                match c.below(5) {
                    0 => format!("[{one}, {}]", witness_object(o, c)),
                    1 => format!("[{one}]"),
                    _ => one,
                }
            }
        };
        // A dotted key is sometimes written nested.
        let key = &field.key;
        match key.split_once('.') {
            Some((head, tail)) if c.one_in(2) => out.push(format!(
                "{}: {{{}: {value}}}",
                json_string(head),
                json_string(tail)
            )),
            _ => out.push(format!("{}: {value}", json_string(key))),
        }
    }
    for or in &obj.ors {
        let branch = &or.branches[c.below(or.branches.len())];
        witness_members(branch, c, out);
    }
    if c.one_in(3) {
        out.push(format!("{}: {}", json_string(c.pick(KEYS)), scalar_from(c)));
    }
}

fn witness_object(obj: &Object, c: &mut Choices<'_>) -> String {
    let mut members = Vec::new();
    witness_members(obj, c, &mut members);
    format!("{{{}}}", members.join(", "))
}

fn witness(pattern: &Pattern, numbers: &[u32]) -> String {
    witness_object(pattern.root(), &mut Choices { numbers, next: 0 })
}

/// A valid pattern, and events: some random, most built to match it.
fn pattern_and_events() -> impl Strategy<Value = (String, Pattern, Vec<String>)> {
    (
        pattern(),
        proptest::collection::vec(event(), 0..2),
        proptest::collection::vec(proptest::collection::vec(any::<u32>(), 1..24), 1..4),
    )
        .prop_map(|((text, p), mut events, choices)| {
            events.extend(choices.iter().map(|ch| witness(&p, ch)));
            (text, p, events)
        })
}

/// Several valid patterns, and events: some random, some built to match
/// one of them.
type Pool = Vec<(String, Pattern)>;

fn patterns_and_events(n: std::ops::Range<usize>) -> impl Strategy<Value = (Pool, Vec<String>)> {
    (
        proptest::collection::vec(pattern(), n),
        proptest::collection::vec(event(), 0..2),
        proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                proptest::collection::vec(any::<u32>(), 1..24),
            ),
            1..4,
        ),
    )
        .prop_map(|(pool, mut events, choices)| {
            for (i, ch) in &choices {
                events.push(witness(&pool[i.index(pool.len())].1, ch));
            }
            (pool, events)
        })
}

// ---------------------------------------------------------------------------
// Helpers.

fn single(pattern: &Pattern, trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    m.add_pattern("r", pattern).unwrap();
    m
}

fn reference_answer(pattern: &Pattern, event: &str) -> bool {
    reference::matches(pattern, event)
        .unwrap_or_else(|e| panic!("generated event is invalid: {event}: {e}"))
}

use crate::support::ijson;
use ijson::trusted_applies;

fn check_one(text: &str, pattern: &Pattern, event: &str) -> Result<(), TestCaseError> {
    let want = reference_answer(pattern, event);
    for trusted in [false, true] {
        if trusted && !trusted_applies(event) {
            continue;
        }
        let got = !single(pattern, trusted)
            .matches(event.as_bytes())
            .unwrap_or_else(|e| panic!("matcher rejected {event}: {e}"))
            .is_empty();
        prop_assert_eq!(
            got,
            want,
            "trusted={} pattern={} event={}",
            trusted,
            text,
            event
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// (a) one rule: matcher == reference.

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn matcher_agrees_with_reference((text, p, events) in pattern_and_events()) {
        for e in &events {
            check_one(&text, &p, e)?;
        }
    }
}

// ---------------------------------------------------------------------------
// (b) many rules in one matcher.

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn many_rules_answer_as_each_alone(
        (patterns, events) in patterns_and_events(2..8),
        trusted in any::<bool>(),
    ) {
        let mut all = Matcher::with_config(Config::new().trusted(trusted));
        for (i, (_, p)) in patterns.iter().enumerate() {
            all.add_pattern(&format!("r{i}"), p).unwrap();
        }
        for e in events.iter().filter(|e| !trusted || trusted_applies(e)) {
            let got = all.matches(e.as_bytes()).unwrap();
            let mut want = Vec::new();
            for (i, (_, p)) in patterns.iter().enumerate() {
                let alone = !single(p, trusted).matches(e.as_bytes()).unwrap().is_empty();
                prop_assert_eq!(alone, reference_answer(p, e), "rule r{} = {} event {}", i, patterns[i].0, e);
                if alone {
                    want.push(format!("r{i}"));
                }
            }
            want.sort();
            prop_assert_eq!(got, want, "event {}; rules {:?}", e, patterns.iter().map(|p| &p.0).collect::<Vec<_>>());
        }
    }
}

// ---------------------------------------------------------------------------
// (c) adds and removes.

#[derive(Clone, Debug)]
enum Op {
    /// Add pattern `pattern` (index into the pool) as rule `name`.
    Add { name: u8, pattern: usize },
    /// Remove rule `name` (possibly absent).
    Remove { name: u8 },
}

fn ops(pool: usize) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (0u8..6, 0..pool).prop_map(|(name, pattern)| Op::Add { name, pattern }),
        2 => (0u8..6).prop_map(|name| Op::Remove { name }),
    ];
    proptest::collection::vec(op, 1..20)
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn adds_and_removes_equal_a_fresh_build(
        (pool, events, ops) in patterns_and_events(1..6)
            .prop_flat_map(|(pool, events)| { let n = pool.len(); (Just(pool), Just(events), ops(n)) }),
    ) {
        let mut m = Matcher::new();
        // Rule name -> pattern index, in the order they were (last) added.
        let mut live: Vec<(String, usize)> = Vec::new();
        for op in &ops {
            match *op {
                Op::Add { name, pattern } => {
                    let name = format!("r{name}");
                    let added = m.add_pattern(&name, &pool[pattern].1);
                    let exists = live.iter().any(|(n, _)| *n == name);
                    prop_assert_eq!(added.is_err(), exists);
                    if !exists {
                        live.push((name, pattern));
                    }
                }
                Op::Remove { name } => {
                    let name = format!("r{name}");
                    let exists = live.iter().any(|(n, _)| *n == name);
                    prop_assert_eq!(m.remove(&name), exists);
                    live.retain(|(n, _)| *n != name);
                }
            }
        }
        let mut fresh = Matcher::new();
        for (name, i) in &live {
            fresh.add_pattern(name, &pool[*i].1).unwrap();
        }
        prop_assert_eq!(m.len(), fresh.len());
        prop_assert_eq!(m.state_count(), fresh.state_count(), "ops {:?}", ops);
        for e in &events {
            prop_assert_eq!(m.matches(e.as_bytes()).unwrap(), fresh.matches(e.as_bytes()).unwrap(), "event {}", e);
        }
    }
}

// ---------------------------------------------------------------------------
// (d) arbitrary bytes.

/// Damage a valid event: cut it, flip a byte, insert or delete bytes.
fn mangled_event() -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<prop::sample::Index>(), any::<u8>(), 0u8..4);
    (event(), proptest::collection::vec(edit, 1..4)).prop_map(|(e, edits)| {
        let mut b = e.into_bytes();
        crate::support::apply_edits(&mut b, edits);
        b
    })
}

fn json_ish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => proptest::sample::select(b"{}[]\":,\\ ab01-.eEtrufalsn".to_vec()),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(byte, 0..64)
}

fn fixed_rules(trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    let rules = [
        r#"{"a": ["a"]}"#,
        r#"{"a": [{"prefix": ""}], "b": [{"exists": false}]}"#,
        r#"{"a": {"b": [{"anything-but": "x"}]}}"#,
        r#"{"b": [{"numeric": [">", 0]}], "c": [{"exists": true}]}"#,
        r#"{"c": [{"wildcard": "*a*"}, {"cidr": "10.0.0.0/8"}, {"equals-ignore-case": "SS"}]}"#,
        r#"{"$or": [{"a": [null]}, {"b": [true, false]}]}"#,
        r#"{"ß": [{"exists": false}]}"#,
    ];
    for (i, r) in rules.iter().enumerate() {
        m.add(&format!("f{i}"), r).unwrap();
    }
    m
}

fn check_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    let valid = crate::support::is_valid_event(bytes);
    let strict = fixed_rules(false).matches(bytes).map(|v| v.len());
    let trusted = fixed_rules(true).matches(bytes).map(|v| v.len());
    if !valid {
        prop_assert!(
            strict.is_err(),
            "strict accepted invalid JSON {:?}",
            String::from_utf8_lossy(bytes)
        );
    } else {
        prop_assert!(
            strict.is_ok(),
            "strict rejected {:?}: {:?}",
            String::from_utf8_lossy(bytes),
            strict
        );
        // Valid input: trusted mode must give the same answer, where its
        // precondition holds.
        if std::str::from_utf8(bytes).is_ok_and(trusted_applies) {
            prop_assert_eq!(trusted.ok(), strict.ok());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn never_panics_on_mangled_events(bytes in mangled_event()) {
        check_bytes(&bytes)?;
    }

    #[test]
    fn never_panics_on_json_ish_bytes(bytes in json_ish_bytes()) {
        check_bytes(&bytes)?;
    }

    #[test]
    fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        check_bytes(&bytes)?;
    }
}

// ---------------------------------------------------------------------------
// The generators are worth something only if matches happen and patterns
// are mostly valid: check both on a fixed sample.

#[test]
fn generators_produce_matches_and_valid_patterns() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut valid, mut total) = (0, 0);
    for _ in 0..300 {
        total += 1;
        let text = pattern_object().new_tree(&mut runner).unwrap().current();
        if Pattern::parse(&text).is_ok() {
            valid += 1;
        }
    }
    let (mut matched, mut pairs) = (0, 0);
    for _ in 0..300 {
        let (_, p, events) = pattern_and_events()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        for e in &events {
            pairs += 1;
            if reference_answer(&p, e) {
                matched += 1;
            }
        }
    }
    eprintln!("valid patterns {valid}/{total}, matching pairs {matched}/{pairs}");
    assert!(valid * 2 > total, "only {valid} of {total} patterns valid");
    assert!(matched * 3 > pairs, "only {matched} of {pairs} pairs match");
}

// ---------------------------------------------------------------------------
// (e) exists:false beside siblings in arrays of objects (spec §5): the
// field is judged against the elements chosen by the paths that sort
// before it. Field names sort before and after each other (`a` < `m` <
// `z`, and `a.b` dotted paths), values hold or not, and the key is
// present, absent or null in each element.

/// Field names whose full paths sort in every order against each other.
const SIBLINGS: &[&str] = &["a", "m", "z", "a.b", "b"];

/// One element of the array: for each sibling name, absent, null, or one
/// of two values.
fn element() -> impl Strategy<Value = String> {
    proptest::collection::vec((pick(SIBLINGS), 0u8..4), 0..4).prop_map(|members| {
        let members: Vec<String> = members
            .into_iter()
            .filter(|&(_, v)| v != 0)
            .map(|(k, v)| {
                let value = match v {
                    1 => "null",
                    2 => "\"x\"",
                    _ => "\"y\"",
                };
                format!("{}: {value}", json_string(k))
            })
            .collect();
        format!("{{{}}}", members.join(", "))
    })
}

/// A sub-rule under `arr` with one `exists: false` field and 1-2 sibling
/// conditions, in a random order of writing (the spec orders by path, not
/// by how the pattern is written), sometimes with a field outside the
/// array too.
fn exists_false_pattern() -> impl Strategy<Value = (String, Pattern)> {
    let sibling = (pick(SIBLINGS), 0u8..3).prop_map(|(k, c)| {
        let cond = match c {
            0 => r#"["x"]"#,
            1 => r#"[{"exists": true}]"#,
            _ => r#"[{"anything-but": "y"}]"#,
        };
        format!("{}: {cond}", json_string(k))
    });
    (
        pick(SIBLINGS),
        proptest::collection::vec(sibling, 1..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_filter_map("valid pattern", |(absent, mut fields, first, outside)| {
            let field = format!(r#"{}: [{{"exists": false}}]"#, json_string(absent));
            if first {
                fields.insert(0, field);
            } else {
                fields.push(field);
            }
            let mut text = format!(r#"{{"arr": {{{}}}"#, fields.join(", "));
            if outside {
                text.push_str(r#", "top": ["t"]"#);
            }
            text.push('}');
            Pattern::parse(&text).ok().map(|p| (text, p))
        })
}

fn array_event() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(element(), 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(elements, top, single)| {
            let arr = if single && elements.len() == 1 {
                elements[0].clone()
            } else {
                format!("[{}]", elements.join(", "))
            };
            let top = if top { r#", "top": "t""# } else { "" };
            format!(r#"{{"arr": {arr}{top}}}"#)
        })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn exists_false_beside_siblings_in_arrays(
        (text, p) in exists_false_pattern(),
        events in proptest::collection::vec(array_event(), 1..6),
    ) {
        for e in &events {
            check_one(&text, &p, e)?;
        }
    }
}
