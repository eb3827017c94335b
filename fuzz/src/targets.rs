//! What each fuzz target does with its input, as plain functions.
//!
//! The fuzz targets in `fuzz_targets/` call these, and the normal test
//! `tests/fuzz_corpus.rs` of the library includes this file and replays every
//! committed corpus file through them, so a bug fixed once stays fixed
//! without cargo-fuzz. Each function panics when it finds a bug (a
//! disagreement or a broken invariant); anything else, errors included, is a
//! normal end.
//!
//! This file depends only on `evrule`, `serde_json` and `arbitrary` (no
//! `crate::` paths), so that it can be included from elsewhere.

use arbitrary::{Arbitrary, Unstructured};
use evrule::route::{InputTransformer, InputTransformerConfig, RenderContext};
use evrule::{reference, Config, Limits, Matcher, Pattern};

// ---------------------------------------------------------------------------
// Vocabulary: small, so that generated patterns and events meet.

const KEYS: &[&str] = &[
    "a", "b", "c", "a.b", "ß", "$or", "source", "detail", "", ".a",
];

const STRINGS: &[&str] = &[
    "",
    "a",
    "A",
    "ab",
    "aB",
    "x.png",
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
    "İ",
    "i",
    "I",
    "ı",
    "k",
    "K",
    "\u{212A}",
    "ǅ",
    "ǆ",
    "*",
    "a*b",
    "\\",
    "\u{10400}",
    "\u{10428}",
    "10.0.0.1",
    "010.000.000.001",
    "10.0.0.255",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "::ffff:10.0.0.1",
    "1",
    "null",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "1",
    "1e0",
    "1.0",
    "10E-1",
    "5",
    "5.000",
    "5e0",
    "-1.5",
    "300",
    "3.0e2",
    "0.1",
    "1e-7",
    "9007199254740993",
    "9007199254740992",
    "1e400",
    "-1e400",
    "1e999999",
    "0.30000000000000001",
];

const CIDRS: &[&str] = &[
    "10.0.0.0/24",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "2001:db8::/64",
    "::ffff:10.0.0.0/104",
    "10.0.0.1/32",
    "10.0.0.0",
    "2001:db8::/128",
];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[i as usize % list.len()]
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `s` as a JSON string with every non-alphanumeric character `\u`-escaped.
fn quote_escaped(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
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

// ---------------------------------------------------------------------------
// Structured patterns.

/// Some text: from the vocabulary, two of it joined, or anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum Text {
    Vocab(u8),
    Concat(u8, u8),
    Free(String),
}

impl Text {
    fn get(&self) -> String {
        match self {
            Text::Vocab(i) => pick(STRINGS, *i).to_string(),
            Text::Concat(a, b) => format!("{}{}", pick(STRINGS, *a), pick(STRINGS, *b)),
            Text::Free(s) => s.chars().take(12).collect(),
        }
    }
}

/// A number spelling.
#[derive(Arbitrary, Debug, Clone)]
pub enum Num {
    Vocab(u8),
    Int(i32),
    Float(f64),
}

impl Num {
    fn get(&self) -> String {
        match self {
            Num::Vocab(i) => pick(NUMBERS, *i).to_string(),
            Num::Int(n) => n.to_string(),
            Num::Float(f) if f.is_finite() => format!("{f:e}"),
            Num::Float(_) => "0".to_string(),
        }
    }
}

/// A piece of a wildcard.
#[derive(Arbitrary, Debug, Clone)]
pub enum WildPiece {
    Star,
    EscapedStar,
    EscapedBackslash,
    Lit(u8),
}

fn wildcard(pieces: &[WildPiece]) -> String {
    let mut out = String::new();
    for p in pieces.iter().take(6) {
        match p {
            WildPiece::Star => out.push('*'),
            WildPiece::EscapedStar => out.push_str("\\*"),
            WildPiece::EscapedBackslash => out.push_str("\\\\"),
            WildPiece::Lit(i) => {
                out.push_str(pick(&["a", "b", "A", "ß", "x.png", "σ", "/", "10."], *i))
            }
        }
    }
    quote(&out)
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// One match condition, any operator of the spec (some invalid on purpose).
#[derive(Arbitrary, Debug, Clone)]
pub enum Cond {
    Str(Text, bool),
    Num(Num),
    Bool(bool),
    Null,
    Prefix(Text, bool),
    Suffix(Text, bool),
    EqualsIgnoreCase(Text),
    Wildcard(Vec<WildPiece>),
    AnythingBut(Text),
    AnythingButNum(Num),
    AnythingButStrs(Vec<Text>),
    AnythingButNums(Vec<Num>),
    AnythingButPrefix(Vec<Text>),
    AnythingButSuffix(Vec<Text>),
    AnythingButIgnoreCase(Vec<Text>),
    AnythingButWildcard(Vec<Vec<WildPiece>>),
    Numeric(u8, Num, Option<(u8, Num)>),
    Exists(bool),
    Cidr(u8),
}

impl Cond {
    fn render(&self) -> String {
        let texts = |v: &[Text]| {
            let items: Vec<String> = v.iter().take(3).map(|t| quote(&t.get())).collect();
            if items.len() == 1 {
                items[0].clone()
            } else {
                list(&items)
            }
        };
        match self {
            Cond::Str(t, false) => quote(&t.get()),
            Cond::Str(t, true) => quote_escaped(&t.get()),
            Cond::Num(n) => n.get(),
            Cond::Bool(b) => b.to_string(),
            Cond::Null => "null".to_string(),
            Cond::Prefix(t, false) => format!(r#"{{"prefix": {}}}"#, quote(&t.get())),
            Cond::Prefix(t, true) => format!(
                r#"{{"prefix": {{"equals-ignore-case": {}}}}}"#,
                quote(&t.get())
            ),
            Cond::Suffix(t, false) => format!(r#"{{"suffix": {}}}"#, quote(&t.get())),
            Cond::Suffix(t, true) => format!(
                r#"{{"suffix": {{"equals-ignore-case": {}}}}}"#,
                quote(&t.get())
            ),
            Cond::EqualsIgnoreCase(t) => {
                format!(r#"{{"equals-ignore-case": {}}}"#, quote(&t.get()))
            }
            Cond::Wildcard(p) => format!(r#"{{"wildcard": {}}}"#, wildcard(p)),
            Cond::AnythingBut(t) => format!(r#"{{"anything-but": {}}}"#, quote(&t.get())),
            Cond::AnythingButNum(n) => format!(r#"{{"anything-but": {}}}"#, n.get()),
            Cond::AnythingButStrs(v) => format!(
                r#"{{"anything-but": {}}}"#,
                list(
                    &v.iter()
                        .take(3)
                        .map(|t| quote(&t.get()))
                        .collect::<Vec<_>>()
                )
            ),
            Cond::AnythingButNums(v) => format!(
                r#"{{"anything-but": {}}}"#,
                list(&v.iter().take(3).map(Num::get).collect::<Vec<_>>())
            ),
            Cond::AnythingButPrefix(v) => {
                format!(r#"{{"anything-but": {{"prefix": {}}}}}"#, texts(v))
            }
            Cond::AnythingButSuffix(v) => {
                format!(r#"{{"anything-but": {{"suffix": {}}}}}"#, texts(v))
            }
            Cond::AnythingButIgnoreCase(v) => {
                format!(
                    r#"{{"anything-but": {{"equals-ignore-case": {}}}}}"#,
                    texts(v)
                )
            }
            Cond::AnythingButWildcard(v) => {
                let items: Vec<String> = v.iter().take(3).map(|p| wildcard(p)).collect();
                format!(r#"{{"anything-but": {{"wildcard": {}}}}}"#, list(&items))
            }
            Cond::Numeric(op, a, upper) => {
                let op = pick(&["=", ">", ">=", "<", "<="], *op);
                match upper {
                    None => format!(r#"{{"numeric": ["{op}", {}]}}"#, a.get()),
                    Some((op2, b)) => format!(
                        r#"{{"numeric": ["{op}", {}, "{}", {}]}}"#,
                        a.get(),
                        pick(&["<", "<="], *op2),
                        b.get()
                    ),
                }
            }
            Cond::Exists(b) => format!(r#"{{"exists": {b}}}"#),
            Cond::Cidr(i) => format!(r#"{{"cidr": {}}}"#, quote(pick(CIDRS, *i))),
        }
    }
}

/// A field of a pattern object.
#[derive(Arbitrary, Debug, Clone)]
pub enum GenField {
    Leaf(u8, Vec<Cond>),
    Nested(u8, GenPattern),
}

/// A pattern object: fields and `$or` groups.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenPattern {
    pub fields: Vec<GenField>,
    pub ors: Vec<Vec<GenPattern>>,
}

impl GenPattern {
    /// The pattern's JSON text; nesting stops at depth 4, sizes are capped.
    pub fn render(&self) -> String {
        self.render_at(0)
    }

    fn render_at(&self, depth: usize) -> String {
        let mut members = Vec::new();
        for f in self.fields.iter().take(4) {
            match f {
                GenField::Leaf(k, conds) => {
                    let mut c: Vec<String> = conds.iter().take(4).map(Cond::render).collect();
                    if c.is_empty() {
                        c.push(r#"{"exists": true}"#.to_string());
                    }
                    members.push(format!("{}: {}", quote(pick(KEYS, *k)), list(&c)));
                }
                GenField::Nested(k, p) if depth < 4 => {
                    members.push(format!(
                        "{}: {}",
                        quote(pick(KEYS, *k)),
                        p.render_at(depth + 1)
                    ));
                }
                GenField::Nested(..) => {}
            }
        }
        if depth < 4 {
            for or in self.ors.iter().take(2) {
                let branches: Vec<String> =
                    or.iter().take(3).map(|b| b.render_at(depth + 1)).collect();
                members.push(format!(r#""$or": {}"#, list(&branches)));
            }
        }
        if members.is_empty() {
            members.push(r#""a": [{"exists": true}]"#.to_string());
        }
        format!("{{{}}}", members.join(", "))
    }
}

// ---------------------------------------------------------------------------
// Structured events.

/// A key of an event object.
#[derive(Arbitrary, Debug, Clone)]
pub enum Key {
    Vocab(u8),
    Free(String),
}

/// An event value.
#[derive(Arbitrary, Debug, Clone)]
pub enum GenValue {
    Str(Text, bool),
    Num(Num),
    True,
    False,
    Null,
    Object(Vec<(Key, GenValue)>),
    Array(Vec<GenValue>),
}

impl GenValue {
    fn render_at(&self, depth: usize, out: &mut String) {
        match self {
            GenValue::Str(t, false) => out.push_str(&quote(&t.get())),
            GenValue::Str(t, true) => out.push_str(&quote_escaped(&t.get())),
            GenValue::Num(n) => out.push_str(&n.get()),
            GenValue::True => out.push_str("true"),
            GenValue::False => out.push_str("false"),
            GenValue::Null => out.push_str("null"),
            GenValue::Object(_) | GenValue::Array(_) if depth >= 8 => out.push_str("null"),
            GenValue::Object(members) => render_object(members, depth + 1, out),
            GenValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().take(6).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_at(depth + 1, out);
                }
                out.push(']');
            }
        }
    }
}

fn render_object(members: &[(Key, GenValue)], depth: usize, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in members.iter().take(6).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let key = match k {
            Key::Vocab(i) => pick(KEYS, *i).to_string(),
            Key::Free(s) => s.chars().take(8).collect(),
        };
        out.push_str(&quote(&key));
        out.push_str(": ");
        v.render_at(depth, out);
    }
    out.push('}');
}

/// An event: a top-level object.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenEvent(pub Vec<(Key, GenValue)>);

impl GenEvent {
    /// The event's JSON text (duplicate keys and spellings kept).
    pub fn render(&self) -> String {
        let mut out = String::new();
        render_object(&self.0, 0, &mut out);
        out
    }
}

// ---------------------------------------------------------------------------
// Checks shared by the targets.

fn answer(m: &Matcher, event: &[u8]) -> Result<Vec<String>, evrule::Error> {
    m.matches(event)
        .map(|v| v.into_iter().map(str::to_string).collect())
}

fn one_rule(p: &Pattern, trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    m.add_pattern("r", p).expect("a parsed pattern compiles");
    m
}

/// Whether `bytes` is one valid JSON object, by serde_json's `Value`
/// (numbers it cannot hold read as `0`; not `IgnoredAny`, which lets lone
/// surrogate escapes through unchecked); `None` when serde_json cannot
/// tell (its own recursion limit).
fn is_valid_event(bytes: &[u8]) -> Option<bool> {
    match serde_json::from_slice::<serde_json::Value>(&ijson::numbers_in_range(bytes)) {
        Ok(v) => Some(v.is_object()),
        Err(e) if e.to_string().contains("recursion limit") => None,
        Err(_) => Some(false),
    }
}

#[path = "../../tests/support/ijson.rs"]
mod ijson;
use ijson::trusted_applies;

/// The pattern against the event, through the reference and the matcher in
/// both modes (trusted only where its precondition holds); panics when
/// they disagree.
pub fn compare(pattern_text: &str, p: &Pattern, event: &str) {
    let want = reference::matches(p, event);
    for trusted in [false, true] {
        if trusted && !trusted_applies(event) {
            continue;
        }
        let got = answer(&one_rule(p, trusted), event.as_bytes());
        match (&want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(
                *w,
                !g.is_empty(),
                "trusted={trusted}\npattern: {pattern_text}\nevent: {event}"
            ),
            // Invalid events: strict mode must say so.
            (Err(_), Ok(g)) if !trusted => {
                panic!("strict matcher accepted an event the reference rejects ({g:?})\nevent: {event:?}")
            }
            // The matcher's limits are tighter than the reference's.
            (Ok(_), Err(e)) if e.limit().is_some() => {}
            (Ok(_), Err(e)) => panic!("matcher rejected a valid event: {e}\nevent: {event:?}"),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// The targets.

/// `pattern_parse`: any bytes as pattern text. Parsing never panics; a
/// parsed pattern compiles, matches, and removing it leaves the matcher as
/// empty as it was.
pub fn pattern_parse(data: &[u8]) {
    let parsed = Pattern::parse_bytes(data);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(parsed.is_err());
        return;
    };
    // With raised limits too: more of the input gets past the first checks.
    let limits = Limits::new()
        .max_pattern_len(1 << 20)
        .max_depth(100_000)
        .max_sub_rules(10_000);
    let wide = Pattern::parse_with(text, &limits);
    if let Err(errors) = &wide {
        assert!(!errors.is_empty(), "an error list is never empty");
        for e in errors {
            let _ = e.to_string();
        }
    }
    let Ok(p) = parsed.or_else(|_| wide.map_err(|_| ())) else {
        return;
    };
    let mut m = Matcher::new();
    let empty = m.state_count();
    m.add_pattern("r", &p).expect("a parsed pattern compiles");
    let _ = m.matches(br#"{"a": "a", "b": [1, {"c": null}], "detail": {"x": "10.0.0.1"}}"#);
    assert!(m.remove("r"));
    assert_eq!(m.state_count(), empty, "states left behind by {text}");
    let _ = reference::matches(&p, r#"{"a": "a", "b": [1, 2]}"#);
}

/// The rules `event_match` matches against: every operator, nesting,
/// arrays of objects, `$or`.
pub const EVENT_MATCH_RULES: &[&str] = &[
    r#"{"source": ["aws.s3"], "detail-type": ["Object Created"]}"#,
    r#"{"source": [{"prefix": "aws."}], "detail": {"bucket": {"name": [{"suffix": "-logs"}]}}}"#,
    r#"{"detail": {"object": {"key": [{"wildcard": "uploads/*/raw/*.jpg"}, {"suffix": {"equals-ignore-case": ".PNG"}}]}}}"#,
    r#"{"detail": {"object": {"size": [{"numeric": [">", 0, "<=", 1000000]}, 0]}}}"#,
    r#"{"detail": {"state": [{"anything-but": ["running", "pending"]}]}}"#,
    r#"{"detail": {"state": [{"anything-but": {"prefix": "stop"}}], "code": [{"anything-but": [1, 2]}]}}"#,
    r#"{"detail": {"ip": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}, "192.168.0.1"]}}"#,
    r#"{"detail": {"name": [{"equals-ignore-case": "straße"}, {"prefix": {"equals-ignore-case": "σ"}}]}}"#,
    r#"{"detail": {"flag": [true, null], "missing": [{"exists": false}]}}"#,
    r#"{"employees": {"first": ["Anna"], "last": ["Smith"]}}"#,
    r#"{"a": [{"exists": true}], "$or": [{"b": ["x"]}, {"c": [{"numeric": ["=", 5]}]}]}"#,
    r#"{"a.b": ["a"], "ß": [{"anything-but": {"wildcard": "*x*"}}]}"#,
    r#"{"a": {"b": {"c": [{"anything-but": {"equals-ignore-case": ["A", "B"]}}]}}}"#,
];

/// The strict and trusted matchers over [`EVENT_MATCH_RULES`] and the
/// parsed rules, built once per process.
fn event_match_setup() -> &'static ([Matcher; 2], Vec<Pattern>) {
    static SETUP: std::sync::OnceLock<([Matcher; 2], Vec<Pattern>)> = std::sync::OnceLock::new();
    SETUP.get_or_init(|| {
        let matchers = [false, true].map(|trusted| {
            let mut m = Matcher::with_config(Config::new().trusted(trusted));
            for (i, r) in EVENT_MATCH_RULES.iter().enumerate() {
                m.add(&format!("r{i:02}"), r)
                    .expect("fixed rules are valid");
            }
            m
        });
        let patterns = EVENT_MATCH_RULES
            .iter()
            .map(|r| Pattern::parse(r).unwrap())
            .collect();
        (matchers, patterns)
    })
}

/// `event_match`: any bytes as an event against [`EVENT_MATCH_RULES`].
/// Strict mode errs exactly on invalid JSON; on valid events trusted mode
/// agrees with it and, for small events, each rule agrees with the
/// reference.
pub fn event_match(data: &[u8]) {
    let ([strict, trusted], patterns) = event_match_setup();
    let s = answer(strict, data);
    let t = answer(trusted, data);
    match (is_valid_event(data), &s) {
        (Some(false), Ok(got)) => panic!(
            "strict mode matched invalid JSON ({got:?}): {:?}",
            String::from_utf8_lossy(data)
        ),
        (Some(true), Err(e)) if e.limit().is_none() => {
            panic!(
                "strict mode rejected a valid event: {e}: {:?}",
                String::from_utf8_lossy(data)
            )
        }
        _ => {}
    }
    let Ok(got) = s else { return };
    if std::str::from_utf8(data).is_ok_and(trusted_applies) {
        assert_eq!(t.as_ref().ok(), Some(&got), "trusted and strict disagree");
    }
    if data.len() <= 2048 {
        let text = std::str::from_utf8(data).expect("strict mode accepted invalid UTF-8");
        for (i, (r, p)) in EVENT_MATCH_RULES.iter().zip(patterns).enumerate() {
            let want = reference::matches(p, text)
                .expect("the reference rejects what strict mode accepts");
            assert_eq!(
                want,
                got.contains(&format!("r{i:02}")),
                "rule {r}\nevent: {text}"
            );
        }
    }
}

/// The input of `differential` in its structured form.
#[derive(Arbitrary, Debug)]
pub struct DifferentialCase {
    pub pattern: GenPattern,
    pub events: Vec<GenEvent>,
}

/// `differential`: a pattern and events through the automaton (strict and
/// trusted) and the reference. Input starting with `{` is text: the
/// pattern, a NUL byte, the event (the seeds come from the conformance
/// files this way); any other input is a [`DifferentialCase`].
pub fn differential(data: &[u8]) {
    if data.first() == Some(&b'{') {
        let Some(nul) = data.iter().position(|&b| b == 0) else {
            return;
        };
        let (Ok(p), Ok(e)) = (
            std::str::from_utf8(&data[..nul]),
            std::str::from_utf8(&data[nul + 1..]),
        ) else {
            return;
        };
        // The reference is exponential in the worst case: keep events small.
        if e.len() > 1024 {
            return;
        }
        if let Ok(pattern) = Pattern::parse(p) {
            compare(p, &pattern, e);
        }
        return;
    }
    let Ok(case) = DifferentialCase::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let text = case.pattern.render();
    let Ok(pattern) = Pattern::parse(&text) else {
        return;
    };
    for e in case.events.iter().take(4) {
        compare(&text, &pattern, &e.render());
    }
}

/// One step of `add_remove`.
#[derive(Arbitrary, Debug)]
pub enum Op {
    Add(u8, GenPattern),
    Remove(u8),
}

/// The input of `add_remove`.
#[derive(Arbitrary, Debug)]
pub struct AddRemoveCase {
    pub ops: Vec<Op>,
    pub events: Vec<GenEvent>,
}

/// `add_remove`: after any sequence of adds and removes the matcher answers
/// like, and has as many states as, one freshly built from the survivors.
pub fn add_remove(data: &[u8]) {
    let Ok(case) = AddRemoveCase::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut m = Matcher::new();
    let mut live: Vec<(String, Pattern)> = Vec::new();
    for op in case.ops.iter().take(32) {
        match op {
            Op::Add(name, p) => {
                let name = format!("r{}", name % 8);
                let Ok(p) = Pattern::parse(&p.render()) else {
                    continue;
                };
                let exists = live.iter().any(|(n, _)| *n == name);
                assert_eq!(m.add_pattern(&name, &p).is_err(), exists);
                if !exists {
                    live.push((name, p));
                }
            }
            Op::Remove(name) => {
                let name = format!("r{}", name % 8);
                let exists = live.iter().any(|(n, _)| *n == name);
                assert_eq!(m.remove(&name), exists);
                live.retain(|(n, _)| *n != name);
            }
        }
    }
    let mut fresh = Matcher::new();
    for (name, p) in &live {
        fresh.add_pattern(name, p).unwrap();
    }
    assert_eq!(m.len(), fresh.len());
    assert_eq!(
        m.state_count(),
        fresh.state_count(),
        "states after {:?}",
        case.ops
    );
    for e in case.events.iter().take(4) {
        let e = e.render();
        let got = answer(&m, e.as_bytes()).map_err(|e| e.to_string());
        let want = answer(&fresh, e.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(got, want, "event {e}");
    }
}

/// A JSON path for `InputPathsMap`.
#[derive(Arbitrary, Debug)]
pub enum GenPath {
    Vocab(u8),
    Free(String),
}

/// A piece of an input template.
#[derive(Arbitrary, Debug)]
pub enum TemplatePiece {
    Lit(u8),
    Free(String),
    Var(u8),
    Reserved(u8),
}

/// The input of `input_transformer`.
#[derive(Arbitrary, Debug)]
pub struct TransformerCase {
    pub paths: Vec<(u8, GenPath)>,
    pub template: Vec<TemplatePiece>,
    pub event: Result<GenEvent, String>,
}

/// `input_transformer`: arbitrary templates, paths and events through the
/// transformer. Compiling and rendering never panic; what renders is JSON.
pub fn input_transformer(data: &[u8]) {
    let Ok(case) = TransformerCase::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    const NAMES: &[&str] = &["v", "key", "list", "x-y", "a.b", "obj"];
    const PATHS: &[&str] = &[
        "$", "$.a", "$.a.b", "$.b[0]", "$.b[1].c", "$['a.b']", "$.detail", "$.ß", "$.a[", "$..a",
        "a",
    ];
    const LITS: &[&str] = &[
        "{", "}", "[", "]", "\"", ",", ":", " ", "\\", "\\\"", "<", ">", "\"k\": ", "x", "ß", "\n",
    ];
    const RESERVED: &[&str] = &[
        "aws.events.rule-name",
        "aws.events.rule-arn",
        "aws.events.event.ingestion-time",
        "aws.events.event",
        "aws.events.event.json",
    ];
    let mut config = InputTransformerConfig::new(String::new());
    for (name, path) in case.paths.iter().take(6) {
        let path = match path {
            GenPath::Vocab(i) => pick(PATHS, *i).to_string(),
            GenPath::Free(s) => s.clone(),
        };
        config = config.path(pick(NAMES, *name), path);
    }
    let mut template = String::new();
    for piece in case.template.iter().take(24) {
        match piece {
            TemplatePiece::Lit(i) => template.push_str(pick(LITS, *i)),
            TemplatePiece::Free(s) => template.push_str(s),
            TemplatePiece::Var(i) => template.push_str(&format!("<{}>", pick(NAMES, *i))),
            TemplatePiece::Reserved(i) => template.push_str(&format!("<{}>", pick(RESERVED, *i))),
        }
    }
    config.input_template = template;
    let Ok(tr) = InputTransformer::compile("t", &config) else {
        return;
    };
    let event = match &case.event {
        Ok(e) => e.render(),
        Err(s) => s.clone(),
    };
    let ctx = RenderContext::new(
        "rule\"1",
        "arn:aws:events:us-east-1:123456789012:rule/r",
        std::time::UNIX_EPOCH,
    );
    if let Ok(out) = tr.render(&event, &ctx) {
        assert!(
            serde_json::from_slice::<serde_json::Value>(&ijson::numbers_in_range(out.as_bytes()))
                .is_ok(),
            "rendered invalid JSON: {out}"
        );
    }
}
