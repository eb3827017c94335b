//! Property test (issue 11): numbers of any spelling.
//!
//! Spec section 3: a number is exact when its decimal value equals the
//! value of the shortest decimal that reads back as the same double,
//! however it is spelled. Random doubles are written in random spellings,
//! exact ones (leading and trailing zeros, the point moved, exponents with
//! leading zeros, `e`/`E`/`+`, 300 and more digits) and inexact ones (a
//! nonzero digit far out, a digit changed or dropped). The verdict of
//! `numeric`, of plain values and of `anything-but` is worked out here by
//! exact decimal arithmetic on digit strings, independently of the
//! library, and the reference evaluator, `explain` and the matcher (strict
//! and trusted) must all give it: in events and in patterns, both signs.
//!
//! `PROPTEST_CASES=5000 cargo test --test numbers` runs more.

use std::cmp::Ordering;

use evrule::explain::explain;
use evrule::{reference, Config, Matcher, Pattern};
use proptest::prelude::*;

/// A decimal value: `(-1)^neg * 0.DIGITS * 10^point`, where DIGITS has no
/// leading or trailing zero; zero is no digits, not negative.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Dec {
    neg: bool,
    digits: Vec<u8>,
    point: i64,
}

impl Dec {
    /// Read JSON number text (or Rust's `{:e}` output).
    fn of(text: &str) -> Dec {
        let (neg, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].trim_start_matches('+')),
            None => (rest, "0"),
        };
        let exp: i64 = exp.parse().unwrap();
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|c| c - b'0').collect();
        let mut point = int.len() as i64 + exp;
        while digits.first() == Some(&0) {
            digits.remove(0);
            point -= 1;
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Dec {
                neg: false,
                digits,
                point: 0,
            };
        }
        Dec { neg, digits, point }
    }

    /// Exact comparison of two decimal values.
    fn cmp(&self, other: &Dec) -> Ordering {
        let sign = |d: &Dec| match (d.digits.is_empty(), d.neg) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        // Same sign, both nonzero: compare magnitudes.
        let magnitude = self
            .point
            .cmp(&other.point)
            .then_with(|| self.digits.cmp(&other.digits));
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// The shortest decimal that reads back as `x`. std's shortest formatting
/// (not ryu, which the library uses) gives one; when two of that length are
/// equally close to the double, the one with the even last digit is the
/// shortest, as Java's `Double.toString` (EventBridge) and ryu choose:
/// `568802192900231.25` is `568802192900231.2`, not `.3`.
fn shortest(x: f64) -> String {
    let short = format!("{x:e}");
    let d = Dec::of(&short);
    // Every double's exact decimal value has at most 767 significant digits.
    let e = Dec::of(&format!("{:.800e}", x));
    let n = d.digits.len();
    if e.digits.len() != n + 1 || e.digits[n] != 5 || e.point != d.point {
        return short;
    }
    // A tie: the candidates are the exact value cut to n digits and that
    // plus one in the last digit; keep the even one if it reads back.
    let lo = e.digits[..n].to_vec();
    let mut hi = lo.clone();
    let mut i = n;
    while i > 0 {
        i -= 1;
        if hi[i] == 9 {
            hi[i] = 0;
        } else {
            hi[i] += 1;
            break;
        }
    }
    let (mut hi_point, carried) = (d.point, hi.iter().all(|&c| c == 0));
    if carried {
        hi.insert(0, 1);
        hi.pop();
        hi_point += 1;
    }
    let text = |digits: &[u8], point: i64| {
        let ds: String = digits.iter().map(|&c| char::from(b'0' + c)).collect();
        format!("{}0.{ds}e{point}", if d.neg { "-" } else { "" })
    };
    let even = if lo[n - 1] % 2 == 0 {
        text(&lo, d.point)
    } else {
        text(&hi, hi_point)
    };
    if even.parse::<f64>().unwrap() == x {
        even
    } else {
        short
    }
}

/// Spec section 3, computed slowly: the text's decimal value is that of
/// the shortest decimal of its nearest double.
fn exact(text: &str) -> bool {
    let v: f64 = text.parse().unwrap();
    v.is_finite() && Dec::of(text) == Dec::of(&shortest(v))
}

// ---------------------------------------------------------------------------
// Spellings.

/// Random choices from a vector proptest can shrink.
struct Choices<'a> {
    numbers: &'a [u32],
    next: usize,
}

impl Choices<'_> {
    fn below(&mut self, n: u64) -> u64 {
        let x = self.numbers[self.next % self.numbers.len()];
        self.next += 1;
        // Mix in the position, so that a short vector still varies.
        let x = u64::from(x) ^ (self.next as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        x % n.max(1)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// How many zeros to pad with: usually few, sometimes hundreds, up to
/// `long` (the length limits differ for events and patterns).
fn zeros(c: &mut Choices<'_>, long: i64) -> usize {
    match c.below(6) {
        0 | 1 => 0,
        2 | 3 => c.range(1, 5) as usize,
        4 => c.range(250, 320) as usize,
        _ => c.range(0, long) as usize,
    }
}

/// Write `digits` (a value `0.DIGITS * 10^point`) as JSON number text,
/// with a randomly chosen exponent, point position and padding.
fn write(neg: bool, digits: &[u8], point: i64, c: &mut Choices<'_>, long: i64) -> String {
    let n = digits.len() as i64;
    let e = match c.below(6) {
        0 | 1 => 0,
        2 => point - n,
        3 => point - 1,
        4 => point,
        _ => point - c.range(-long, long),
    };
    // Digits before the point in the written mantissa.
    let q = point - e;
    let d: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
    let mut t = String::new();
    if neg {
        t.push('-');
    }
    if digits.iter().all(|&d| d == 0) {
        t.push('0');
        if c.one_in(2) {
            t.push('.');
            t.push_str(&"0".repeat(1 + zeros(c, long)));
        }
    } else if q <= 0 {
        t.push_str("0.");
        t.push_str(&"0".repeat((-q) as usize));
        t.push_str(&d);
    } else if q >= n {
        t.push_str(&d);
        t.push_str(&"0".repeat((q - n) as usize));
        if c.one_in(3) {
            t.push('.');
            t.push_str(&"0".repeat(1 + zeros(c, long)));
        }
    } else {
        t.push_str(&d[..q as usize]);
        t.push('.');
        t.push_str(&d[q as usize..]);
    }
    if e != 0 || c.one_in(4) {
        t.push(if c.one_in(2) { 'e' } else { 'E' });
        if e < 0 {
            t.push('-');
        } else if c.one_in(2) {
            t.push('+');
        }
        t.push_str(&"0".repeat(c.below(4) as usize));
        t.push_str(&e.unsigned_abs().to_string());
    }
    t
}

/// A spelling of `x`: exact (padded with zeros) or, one time in two,
/// probably inexact (a digit added far out, changed or dropped).
fn spelling(x: f64, c: &mut Choices<'_>, long: i64) -> String {
    let d = Dec::of(&shortest(x));
    let neg = x.is_sign_negative();
    let mut digits = d.digits.clone();
    match c.below(8) {
        0..=3 => {}
        4 | 5 if !digits.is_empty() => {
            digits.extend(std::iter::repeat_n(0, zeros(c, long)));
            digits.push(1 + c.below(9) as u8);
        }
        6 if !digits.is_empty() => {
            let i = c.below(digits.len() as u64) as usize;
            digits[i] = (digits[i] + 1 + c.below(9) as u8) % 10;
            if digits[0] == 0 {
                digits[0] = 9; // JSON has no leading zeros
            }
        }
        7 if digits.len() > 1 => {
            digits.pop();
        }
        _ => {}
    }
    digits.extend(std::iter::repeat_n(0, zeros(c, long)));
    write(neg, &digits, d.point, c, long)
}

/// Doubles of every magnitude, integers, short decimals and the edges.
fn double(bits: u64, c: &mut Choices<'_>) -> f64 {
    let x = match c.below(6) {
        0 | 1 => f64::from_bits(bits),
        2 => (bits >> c.below(64)) as f64,
        3 => {
            let m = bits % 100_000;
            format!("{m}e{}", c.range(-30, 30)).parse().unwrap()
        }
        4 => [
            0.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            2.5,
            7.25,
            0.1,
            0.3,
            1e23,
            1e26,
            1e-21,
            9007199254740992.0,
            9007199254740994.0,
            123456789012345680.0,
        ][c.below(14) as usize],
        _ => f64::from_bits(bits) % 1e6,
    };
    let x = if x.is_finite() { x } else { 1.5 };
    if c.one_in(2) {
        -x
    } else {
        x
    }
}

// ---------------------------------------------------------------------------
// Rules and the verdicts they must give.

/// A rule on field `n` and the verdict it must give for an event whose `n`
/// is the number text `s`.
struct Rule {
    name: &'static str,
    pattern: String,
    want: Box<dyn Fn(&str) -> bool>,
}

fn rules_for(x: f64) -> Vec<Rule> {
    let xs = shortest(x);
    let dx = Dec::of(&xs);
    let numeric = |name: &'static str, op: &'static str, hold: fn(Ordering) -> bool| {
        let dx = dx.clone();
        Rule {
            name,
            pattern: format!(r#"{{"n": [{{"numeric": ["{op}", {xs}]}}]}}"#),
            want: Box::new(move |s| exact(s) && hold(Dec::of(s).cmp(&dx))),
        }
    };
    let equal = {
        let dx = dx.clone();
        move |s: &str| exact(s) && Dec::of(s) == dx
    };
    let mut rules = vec![
        numeric("eq", "=", Ordering::is_eq),
        numeric("gt", ">", Ordering::is_gt),
        numeric("ge", ">=", Ordering::is_ge),
        numeric("lt", "<", Ordering::is_lt),
        numeric("le", "<=", Ordering::is_le),
        Rule {
            name: "value",
            pattern: format!(r#"{{"n": [{xs}]}}"#),
            want: Box::new(equal.clone()),
        },
        Rule {
            name: "but",
            pattern: format!(r#"{{"n": [{{"anything-but": {xs}}}]}}"#),
            want: Box::new({
                let equal = equal.clone();
                move |s| !equal(s)
            }),
        },
        Rule {
            name: "but_list",
            pattern: format!(r#"{{"n": [{{"anything-but": [{xs}, 0.5]}}]}}"#),
            want: Box::new(move |s| !(equal(s) || exact(s) && Dec::of(s) == Dec::of("0.5"))),
        },
    ];
    // Between the neighbouring doubles, bounds excluded: only exact
    // spellings of `x` itself.
    let (below, above) = (next_toward(x, -1.0), next_toward(x, 1.0));
    if below.is_finite() && above.is_finite() {
        let (db, da) = (Dec::of(&shortest(below)), Dec::of(&shortest(above)));
        rules.push(Rule {
            name: "between",
            pattern: format!(
                r#"{{"n": [{{"numeric": [">", {}, "<", {}]}}]}}"#,
                shortest(below),
                shortest(above)
            ),
            want: Box::new(move |s| {
                let ds = Dec::of(s);
                exact(s) && ds.cmp(&db).is_gt() && ds.cmp(&da).is_lt()
            }),
        });
    }
    rules
}

/// The next double from `x` in the direction of `sign`.
fn next_toward(x: f64, sign: f64) -> f64 {
    if x == 0.0 {
        return sign * 5e-324;
    }
    let bits = x.to_bits();
    let away = (sign > 0.0) == (x > 0.0);
    f64::from_bits(if away { bits + 1 } else { bits - 1 })
}

fn matcher(rules: &[Rule], trusted: bool) -> Matcher {
    let mut m = Matcher::with_config(Config::new().trusted(trusted));
    for r in rules {
        m.add(r.name, &r.pattern)
            .unwrap_or_else(|e| panic!("{}: {e}", r.pattern));
    }
    m
}

use crate::support::proptest_config as config;

/// Spellings tried per double.
const SPELLINGS: usize = 8;

proptest! {
    #![proptest_config(config(500))]

    /// Event numbers of any spelling against patterns holding the shortest
    /// spelling.
    #[test]
    fn event_numbers_of_any_spelling(
        bits in any::<u64>(),
        numbers in proptest::collection::vec(any::<u32>(), 1..48),
    ) {
        let mut c = Choices { numbers: &numbers, next: 0 };
        let x = double(bits, &mut c);
        let rules = rules_for(x);
        let strict = matcher(&rules, false);
        let trusted = matcher(&rules, true);
        let patterns: Vec<Pattern> = rules.iter().map(|r| Pattern::parse(&r.pattern).unwrap()).collect();
        for _ in 0..SPELLINGS {
            let s = spelling(x, &mut c, 2000);
            let event = if c.one_in(4) {
                format!(r#"{{"n": [{s}]}}"#)
            } else {
                format!(r#"{{"n": {s}}}"#)
            };
            let mut want: Vec<&str> = rules.iter().filter(|r| (r.want)(&s)).map(|r| r.name).collect();
            want.sort_unstable();
            for (r, p) in rules.iter().zip(&patterns) {
                let w = want.contains(&r.name);
                prop_assert_eq!(reference::matches(p, &event).unwrap(), w, "reference: {} against {}", r.pattern, event);
                prop_assert_eq!(explain(p, &event).unwrap().matched(), w, "explain: {} against {}", r.pattern, event);
            }
            for (mode, m) in [("strict", &strict), ("trusted", &trusted)] {
                let got = m.matches(event.as_bytes()).unwrap();
                prop_assert_eq!(&got, &want, "{} matcher, x = {}, event {}", mode, shortest(x), event);
            }
        }
    }

    /// Pattern numbers of any spelling against events holding the shortest
    /// spelling. `numeric` and `anything-but` refuse an inexact bound.
    #[test]
    fn pattern_numbers_of_any_spelling(
        bits in any::<u64>(),
        numbers in proptest::collection::vec(any::<u32>(), 1..48),
    ) {
        let mut c = Choices { numbers: &numbers, next: 0 };
        let x = double(bits, &mut c);
        let xs = shortest(x);
        let dx = Dec::of(&xs);
        let events = [format!(r#"{{"n": {xs}}}"#), format!(r#"{{"n": [{xs}]}}"#)];
        for _ in 0..SPELLINGS {
            // Patterns stay within the default 2048 characters.
            let s = spelling(x, &mut c, 600);
            if s.len() > 2000 {
                continue;
            }
            let same = exact(&s) && Dec::of(&s) == dx;
            let texts = [
                (format!(r#"{{"n": [{s}]}}"#), same || s == xs, false),
                (format!(r#"{{"n": [{{"numeric": ["=", {s}]}}]}}"#), same, true),
                (format!(r#"{{"n": [{{"numeric": [">=", {s}]}}]}}"#), exact(&s) && dx.cmp(&Dec::of(&s)).is_ge(), true),
                (format!(r#"{{"n": [{{"anything-but": [{s}]}}]}}"#), !same, true),
            ];
            for (text, want, needs_exact) in texts {
                let parsed = Pattern::parse(&text);
                if needs_exact && !exact(&s) {
                    let e = parsed.expect_err("an inexact bound is refused");
                    prop_assert_eq!(e.message(), format!("Cannot compare number : {s}"));
                    continue;
                }
                let p = parsed.unwrap_or_else(|e| panic!("{text}: {e}"));
                for event in &events {
                    prop_assert_eq!(reference::matches(&p, event).unwrap(), want, "reference: {} against {}", text, event);
                    prop_assert_eq!(explain(&p, event).unwrap().matched(), want, "explain: {} against {}", text, event);
                    for trusted in [false, true] {
                        let mut m = Matcher::with_config(Config::new().trusted(trusted));
                        m.add_pattern("r", &p).unwrap();
                        prop_assert_eq!(!m.matches(event.as_bytes()).unwrap().is_empty(), want, "trusted={}: {} against {}", trusted, text, event);
                    }
                }
            }
        }
    }
}

/// The oracle itself, on the spec's examples: it must say what the spec
/// says before it can judge the library.
#[test]
fn the_oracle_agrees_with_the_spec() {
    let max = format!("17976931348623157{}", "0".repeat(292));
    assert!(exact(&max) && exact(&format!("{max}.0")));
    assert_eq!(Dec::of(&max), Dec::of("1.7976931348623157E+308"));
    assert!(exact(&format!("2.5{}", "0".repeat(60))));
    assert!(exact("100000000000000000000000000") && exact("0.000000000000000000001"));
    assert!(!exact("0.30000000000000001") && !exact("9007199254740993") && !exact("1e-400"));
    assert!(exact("-0") && Dec::of("-0.0e5") == Dec::of("0"));
    assert!(Dec::of("-2").cmp(&Dec::of("-10")).is_gt());
    assert!(Dec::of("0.25e1").cmp(&Dec::of("2.50001")).is_lt());
}

/// The generators reach what they are for: long spellings, both
/// exactnesses, and matches as well as misses.
#[test]
fn spellings_are_varied() {
    let (mut long, mut exact_n, mut inexact_n) = (0, 0, 0);
    for seed in 0u32..2000 {
        let numbers = [seed, seed.wrapping_mul(2_654_435_761), seed ^ 0xDEAD_BEEF];
        let mut c = Choices {
            numbers: &numbers,
            next: 0,
        };
        let x = double(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15), &mut c);
        let s = spelling(x, &mut c, 2000);
        long += usize::from(s.len() > 300);
        if exact(&s) {
            exact_n += 1;
        } else {
            inexact_n += 1;
        }
    }
    assert!(long > 200, "{long} long spellings");
    assert!(
        exact_n > 500 && inexact_n > 300,
        "{exact_n} exact, {inexact_n} inexact"
    );
}
