//! No import cycles between modules (issue 12), in the library (`src/`)
//! and the CLI (`cli/src/`).
//!
//! Every path a file names (`use crate::a::b`, `super::c`, `self::d`, and
//! such paths inside code) is resolved to a module. A reference from
//! module A to module B, where neither contains the other, is an edge
//! between the two children of their closest common ancestor that hold A
//! and B: `route::archive` using `route::router` is the edge
//! `archive -> router` among the children of `route`. A child naming its
//! parent (`super::Item`) or a parent naming its child is not an edge.
//! The test fails on any cycle among siblings, naming the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path of a source file, relative to its crate's folder.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Expand `a::{b, c::{d, self}}` into `a::b`, `a::c::d`, `a::c`.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim_end_matches("::");
        let base = join(prefix, head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &base, out);
    } else if !tree.is_empty() {
        let tree = tree.split(" as ").next().unwrap().trim();
        if tree == "self" {
            out.push(prefix.to_string());
        } else {
            out.push(join(prefix, tree));
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}::{b}"),
    }
}

/// Every `crate::`, `super::` or `self::` path in `text` (comments and
/// strings are not told apart: a false edge can only make the test
/// stricter).
fn paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    // `use` trees, braces and all.
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let tail = &rest[at + 4..];
        let end = tail.find(';').unwrap_or(tail.len());
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
            let tree: String = tail[..end].split_whitespace().collect::<Vec<_>>().join(" ");
            if tree.starts_with("crate") || tree.starts_with("super") || tree.starts_with("self") {
                expand(&tree, "", &mut out);
            }
        }
        rest = &tail[end.min(tail.len())..];
    }
    // Paths in code: `crate::a::b(..)`, `super::c::D`.
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let i = from + i;
            from = i + start.len();
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
                continue;
            }
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || b"_:".contains(&bytes[j]))
            {
                j += 1;
            }
            out.push(code[i..j].trim_end_matches(':').to_string());
        }
    }
    out
}

/// The module a path names: `super` and `self` resolved against `here`,
/// then the longest prefix that is a module of the crate.
fn resolve(path: &str, here: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut parts = path.split("::");
    let mut at: Vec<String> = match parts.next()? {
        "crate" => vec![],
        "self" => here.to_vec(),
        "super" => here[..here.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    let mut rest: Vec<&str> = parts.collect();
    while rest.first() == Some(&"super") {
        at.pop();
        rest.remove(0);
    }
    for p in rest {
        let mut next = at.clone();
        next.push(p.to_string());
        if modules.contains(&next) {
            at = next;
        } else {
            break;
        }
    }
    Some(at)
}

fn cycles_in(crate_dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(crate_dir, &mut files);
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(crate_dir).unwrap()))
        .collect();
    // parent -> (child -> (child -> example file)).
    type Edges = BTreeMap<String, BTreeMap<String, String>>;
    let mut graphs: BTreeMap<Vec<String>, Edges> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(crate_dir).unwrap();
        let here = module_of(rel);
        let text = std::fs::read_to_string(f).unwrap();
        for p in paths(&text) {
            let Some(to) = resolve(&p, &here, &modules) else {
                continue;
            };
            let common = here.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == here.len() || common == to.len() {
                continue; // one contains the other
            }
            graphs
                .entry(here[..common].to_vec())
                .or_default()
                .entry(here[common].clone())
                .or_default()
                .entry(to[common].clone())
                .or_insert_with(|| format!("{} ({p})", rel.display()));
        }
    }
    let mut found = Vec::new();
    for (parent, edges) in &graphs {
        // A cycle exists iff some edge a -> b has a path b ->* a.
        for (a, outs) in edges {
            for (b, why) in outs {
                let mut seen = BTreeSet::new();
                let mut stack = vec![b.clone()];
                while let Some(n) = stack.pop() {
                    if &n == a {
                        found.push(format!(
                            "{}: {}::{a} -> {b} (in {why}) and back",
                            crate_dir.display(),
                            parent.join("::")
                        ));
                        break;
                    }
                    if seen.insert(n.clone()) {
                        stack.extend(edges.get(&n).into_iter().flat_map(|o| o.keys().cloned()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_import_cycles_between_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in ["src", "cli/src"] {
        all.extend(cycles_in(&root.join(dir)));
    }
    assert!(all.is_empty(), "import cycles:\n{}", all.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle() {
    let t = std::env::temp_dir().join(format!("evrule-cycles-{}", std::process::id()));
    std::fs::create_dir_all(t.join("a")).unwrap();
    std::fs::write(t.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(t.join("a/mod.rs"), "mod x;\nmod y;\nuse crate::b::Thing;\n").unwrap();
    std::fs::write(t.join("a/x.rs"), "use super::{y::Y, Z};\n").unwrap();
    std::fs::write(t.join("a/y.rs"), "fn f() { super::x::g() }\n").unwrap();
    std::fs::write(t.join("b.rs"), "pub struct Thing;\n").unwrap();
    let found = cycles_in(&t);
    std::fs::remove_dir_all(&t).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("a::x -> y"), "{found:?}");
}
