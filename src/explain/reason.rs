//! Reason text: how a condition, a value or a list reads in an explanation.

use serde_json::Value as Json;

use crate::pattern::value::{
    condition_matches_leaf, ignore_case_equals, number_equals, parse_ip, string_equals,
    wildcard_matches, LeafValue,
};
use crate::pattern::{AnythingBut, Bound, ConditionKind};

/// `a`, `a and b`, `a, b and c`.
pub(super) fn and_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Up to five items joined by `, `, then a count of the rest.
pub(super) fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.len() <= 5 {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..5].join(", "), items.len() - 5)
    }
}

pub(super) fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

pub(super) fn quote_list(items: &[String]) -> String {
    match items {
        [one] => quote(one),
        _ => format!(
            "any of [{}]",
            items
                .iter()
                .map(|s| quote(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A value as JSON text.
pub(super) fn leaf_text(v: LeafValue<'_>) -> String {
    match v {
        LeafValue::String(s) => quote(s),
        LeafValue::Number { text, .. } => text.to_string(),
        LeafValue::Bool(b) => b.to_string(),
        LeafValue::Null => "null".to_string(),
    }
}

pub(super) fn type_name(v: LeafValue<'_>) -> &'static str {
    match v {
        LeafValue::String(_) => "a string",
        LeafValue::Number { .. } => "a number",
        LeafValue::Bool(_) => "a boolean",
        LeafValue::Null => "null",
    }
}

/// A bound of a numeric range as written for people.
pub(super) fn number_text(x: f64) -> String {
    if x == 0.0 || (1e-6..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `v` compared with the lower bound, the upper, or both: the comparison
/// that fails, or all of them when they hold.
pub(super) fn range_reason(
    text: &str,
    value: f64,
    lower: Option<Bound>,
    upper: Option<Bound>,
) -> String {
    if let (Some(l), Some(u)) = (lower, upper) {
        if l.inclusive && u.inclusive && l.value == u.value {
            let b = number_text(l.value);
            return if value == l.value {
                format!("{text} = {b}")
            } else {
                format!("{text} is not = {b}")
            };
        }
    }
    let mut held = Vec::new();
    if let Some(l) = lower {
        let op = if l.inclusive { ">=" } else { ">" };
        let ok = if l.inclusive {
            value >= l.value
        } else {
            value > l.value
        };
        if !ok {
            return format!("{text} is not {op} {}", number_text(l.value));
        }
        held.push(format!("{text} {op} {}", number_text(l.value)));
    }
    if let Some(u) = upper {
        let op = if u.inclusive { "<=" } else { "<" };
        let ok = if u.inclusive {
            value <= u.value
        } else {
            value < u.value
        };
        if !ok {
            return format!("{text} is not {op} {}", number_text(u.value));
        }
        held.push(format!("{text} {op} {}", number_text(u.value)));
    }
    held.join(" and ")
}

/// Why `cond` does or does not hold for `leaf`, as a phrase about the
/// value. Whether it holds is decided by `condition_matches_leaf`; this
/// only finds the words.
pub(super) fn reason(cond: &ConditionKind, leaf: LeafValue<'_>) -> String {
    use ConditionKind as K;
    use LeafValue as L;
    let holds = condition_matches_leaf(cond, leaf);
    let only =
        |what: &str, kind: &str| format!("is {}; {what} matches only {kind}", type_name(leaf));
    let ic = " (ignoring case)";
    match (cond, leaf) {
        (K::Exists(true), _) => "present, as exists: true requires".to_string(),
        (K::Exists(false), _) => "present, but exists: false requires no value".to_string(),
        (K::String(s), L::String(t)) => match (holds, s == t) {
            (true, true) => format!("equals {}", quote(s)),
            (true, false) => format!("is the same IP address as {}", quote(s)),
            (false, _) => format!("is not {}", quote(s)),
        },
        (K::String(s), _) => format!("is {}, not the string {}", type_name(leaf), quote(s)),
        (K::Number(n), L::Number { value, exact, .. }) => {
            if holds {
                format!("equals {}", n.text)
            } else if !(n.exact && exact) && (n.value == value) {
                format!(
                    "is not {} (a number with more digits than a double holds is compared by its spelling)",
                    n.text
                )
            } else {
                format!("is not {}", n.text)
            }
        }
        (K::Number(n), _) => format!("is {}, not the number {}", type_name(leaf), n.text),
        (K::Bool(b), L::Bool(v)) => {
            if holds {
                format!("is {v}")
            } else {
                format!("is not {b}")
            }
        }
        (K::Bool(b), _) => format!("is {}, not the boolean {b}", type_name(leaf)),
        (K::Null, L::Null) => "is null".to_string(),
        (K::Null, _) => format!("is {}, not null", type_name(leaf)),
        (K::Prefix(p), L::String(_)) => match holds {
            true => format!("starts with {}", quote(p)),
            false => format!("does not start with {}", quote(p)),
        },
        (K::PrefixIgnoreCase(p), L::String(_)) => match holds {
            true => format!("starts with {}{ic}", quote(p)),
            false => format!("does not start with {}{ic}", quote(p)),
        },
        (K::Suffix(s), L::String(_)) => match holds {
            true => format!("ends with {}", quote(s)),
            false => format!("does not end with {}", quote(s)),
        },
        (K::SuffixIgnoreCase(s), L::String(_)) => match holds {
            true => format!("ends with {}{ic}", quote(s)),
            false => format!("does not end with {}{ic}", quote(s)),
        },
        (K::EqualsIgnoreCase(s), L::String(_)) => match holds {
            true => format!("equals {}{ic}", quote(s)),
            false => format!("does not equal {}{ic}", quote(s)),
        },
        (K::Wildcard(w), L::String(_)) => match holds {
            true => format!("matches the wildcard {}", quote(&w.text)),
            false => format!("does not match the wildcard {}", quote(&w.text)),
        },
        (K::Prefix(_) | K::PrefixIgnoreCase(_), _) => only("prefix", "strings"),
        (K::Suffix(_) | K::SuffixIgnoreCase(_), _) => only("suffix", "strings"),
        (K::EqualsIgnoreCase(_), _) => only("equals-ignore-case", "strings"),
        (K::Wildcard(_), _) => only("wildcard", "strings"),
        (K::Numeric(r), L::Number { text, value, exact }) => {
            if exact {
                range_reason(text, value, r.lower, r.upper)
            } else {
                format!("{text} has more digits than a double holds, so numeric cannot compare it")
            }
        }
        (K::Numeric(_), _) => only("numeric", "numbers"),
        (K::Cidr(c), L::String(t)) => {
            let block = format!("{}/{}", c.network, c.prefix_len);
            if parse_ip(t).is_none() {
                "is not an IP address; cidr matches only IP addresses".to_string()
            } else if holds {
                format!("is inside {block}")
            } else {
                format!("is not inside {block}")
            }
        }
        (K::Cidr(_), _) => only("cidr", "strings holding IP addresses"),
        (K::AnythingBut(ab), leaf) => anything_but_reason(ab, leaf, holds),
    }
}

pub(super) fn anything_but_reason(ab: &AnythingBut, leaf: LeafValue<'_>, holds: bool) -> String {
    use LeafValue as L;
    let excluded = |what: String| format!("{what}, which anything-but excludes");
    match (ab, leaf) {
        (AnythingBut::Strings(list), L::String(t)) => {
            match list.iter().find(|s| string_equals(s, t)) {
                Some(s) if s == t => excluded(format!("is {}", quote(s))),
                Some(s) => excluded(format!("is the same IP address as {}", quote(s))),
                None => format!("is not {}", quote_list(list)),
            }
        }
        (AnythingBut::Numbers(list), L::Number { text, value, exact }) => {
            match list.iter().find(|n| number_equals(n, text, value, exact)) {
                Some(n) => excluded(format!("equals {}", n.text)),
                None => {
                    let texts: Vec<String> = list.iter().map(|n| n.text.clone()).collect();
                    match texts.as_slice() {
                        [one] => format!("is not {one}"),
                        _ => format!("is not any of [{}]", texts.join(", ")),
                    }
                }
            }
        }
        (AnythingBut::Prefix(list), L::String(t)) => {
            match list.iter().find(|p| t.starts_with(p.as_str())) {
                Some(p) => excluded(format!("starts with {}", quote(p))),
                None => format!("does not start with {}", quote_list(list)),
            }
        }
        (AnythingBut::Suffix(list), L::String(t)) => {
            match list.iter().find(|s| t.ends_with(s.as_str())) {
                Some(s) => excluded(format!("ends with {}", quote(s))),
                None => format!("does not end with {}", quote_list(list)),
            }
        }
        (AnythingBut::EqualsIgnoreCase(list), L::String(t)) => {
            match list.iter().find(|s| ignore_case_equals(s, t)) {
                Some(s) => excluded(format!("equals {} (ignoring case)", quote(s))),
                None => format!("does not equal {} (ignoring case)", quote_list(list)),
            }
        }
        (AnythingBut::Wildcard(list), L::String(t)) => {
            match list.iter().find(|w| wildcard_matches(&w.parts, t)) {
                Some(w) => excluded(format!("matches the wildcard {}", quote(&w.text))),
                None => {
                    let texts: Vec<String> = list.iter().map(|w| w.text.clone()).collect();
                    format!("does not match the wildcard {}", quote_list(&texts))
                }
            }
        }
        (AnythingBut::Numbers(_), _) => {
            debug_assert!(holds);
            format!(
                "is {}, which a list of numbers never excludes",
                type_name(leaf)
            )
        }
        (_, _) => {
            debug_assert!(holds);
            format!(
                "is {}, which a list of strings never excludes",
                type_name(leaf)
            )
        }
    }
}

/// JSON text made compact, with a space after `:` and `,`, keeping every
/// token as written (number spellings included).
pub(super) fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ' ' | '\t' | '\n' | '\r' => {}
            ':' | ',' => {
                out.push(c);
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

/// JSON text as a value (a string of the text if it is somehow not JSON).
/// Numbers are as exact as the user's serde_json can hold them (exactly
/// with its `arbitrary_precision` feature); one it cannot hold at all
/// (`1e400` without the feature) is kept as the string of its text, so
/// that no digit is lost.
pub(super) fn json_of(text: &str) -> Json {
    match crate::json::parse(text.as_bytes(), crate::json::SERDE_JSON_DEPTH) {
        Ok(node) => crate::json::to_serde(&node, &|n| Json::String(n.to_string())),
        Err(_) => Json::String(text.to_string()),
    }
}

/// A path as users write it: internal paths start with `.` so that empty
/// keys stay segments (`reference::join`).
pub(super) fn shown(path: &str) -> &str {
    path.strip_prefix('.').unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_of_keeps_what_serde_json_can_hold() {
        let j = json_of(r#"{"numeric": [">", 5], "a": "x", "a": [true, null]}"#);
        assert_eq!(
            j,
            serde_json::json!({"numeric": [">", 5], "a": [true, null]})
        );
        // Issue 12: a number this build of serde_json cannot hold keeps
        // its text rather than turning the whole condition into a string.
        let j = json_of("[1e400]");
        if "1e400".parse::<serde_json::Number>().is_ok() {
            assert!(j[0].is_number());
        } else {
            assert_eq!(j, serde_json::json!(["1e400"]));
        }
        assert_eq!(json_of("{"), Json::String("{".into()));
    }
}
