//! Where `var.*` and `local.*` get their values: the `variable` and
//! `locals` blocks of a directory's `*.tf` files, `terraform.tfvars`,
//! `*.auto.tfvars` and `--parameter`, lowest first, as Terraform reads a
//! module.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::*;

/// Deepest chain of locals followed (`local.a` naming `local.b` ...); a
/// cycle ends here too.
const MAX_LOCAL_DEPTH: usize = 16;

/// What the `*.tf` files of one directory declare: `variable` blocks
/// (name, default, type) and `locals` (name, expression text). Read once
/// per directory.
#[derive(Default)]
struct Declarations {
    variables: HashMap<String, (Option<Node>, String)>,
    locals: HashMap<String, String>,
}

/// One directory's declarations and variable-file values.
type DirValues = Rc<(Declarations, Vec<(String, Node)>)>;

thread_local! {
    /// The last directory's declarations and variable files: files of one
    /// directory are read one after another.
    static LAST_DIR: RefCell<Option<(PathBuf, DirValues)>> =
        const { RefCell::new(None) };
}

/// The values `var.*` and `local.*` references take in one file.
pub(super) struct Env {
    /// Variables with a value, from the lowest source up.
    vars: HashMap<String, Node>,
    /// Locals: expression text, or a value given with `--parameter`.
    locals: HashMap<String, String>,
    given_locals: HashMap<String, Node>,
    depth: Cell<usize>,
}

impl Env {
    pub(super) fn new(
        path: &Path,
        text: &str,
        own: &[Block],
        parameters: &[(String, String)],
    ) -> Result<Env, ReadError> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let shared = LAST_DIR.with(|last| {
            if let Some((d, shared)) = &*last.borrow() {
                if *d == dir {
                    return Ok(shared.clone());
                }
            }
            let shared = Rc::new((declarations(&dir), variable_files(&dir)?));
            *last.borrow_mut() = Some((dir.clone(), shared.clone()));
            Ok::<_, ReadError>(shared)
        })?;
        let (decls, files) = &*shared;
        // This file's own blocks win over a stale copy in the cache.
        let mut own_decls = Declarations::default();
        collect_declarations(own, text, &mut own_decls);
        let mut variables = decls.variables.clone();
        variables.extend(own_decls.variables);
        let mut locals = decls.locals.clone();
        locals.extend(own_decls.locals);

        let mut vars = HashMap::new();
        let mut declared = HashMap::new();
        for (name, (default, ty)) in &variables {
            declared.insert(name.clone(), ty.clone());
            if let Some(d) = default.as_ref().filter(|d| is_known(d)) {
                vars.insert(name.clone(), d.clone());
            }
        }
        for (name, value) in files {
            vars.insert(name.clone(), value.clone());
        }
        let mut given_locals = HashMap::new();
        for (key, value) in parameters {
            if let Some(name) = key.strip_prefix("var.") {
                let ty = declared.get(name).map_or("", String::as_str);
                vars.insert(name.to_string(), coerce(value, ty));
            } else if let Some(name) = key.strip_prefix("local.") {
                given_locals.insert(name.to_string(), coerce(value, ""));
            }
        }
        Ok(Env {
            vars,
            locals,
            given_locals,
            depth: Cell::new(0),
        })
    }

    pub(super) fn var(&self, name: &str) -> Option<Node> {
        self.vars.get(name).cloned()
    }

    pub(super) fn local(&self, name: &str) -> Option<Node> {
        if let Some(v) = self.given_locals.get(name) {
            return Some(v.clone());
        }
        let text = self.locals.get(name)?;
        self.eval(text)
    }

    /// The value of an expression, when it holds nothing unknown.
    fn eval(&self, text: &str) -> Option<Node> {
        let depth = self.depth.get();
        if depth >= MAX_LOCAL_DEPTH {
            return None;
        }
        self.depth.set(depth + 1);
        let mut r = Reader::new(text, Some(self));
        let node = r.skip(true).and_then(|()| r.expression(1)).ok();
        let rest_blank = r.skip(true).is_ok() && r.pos >= text.len();
        self.depth.set(depth);
        node.filter(|n| rest_blank && is_known(n))
    }

    /// A quoted string's template content with every interpolation known.
    pub(super) fn interpolate(&self, content: &str) -> Option<String> {
        let known = |e: &str| self.interpolated(e);
        let filled = template::fill(content, &[(0, 0)], &known);
        filled
            .unresolved
            .is_empty()
            .then_some(filled.text)
            .flatten()
    }

    /// The text `${expr}` stands for: a scalar as it reads, or the JSON of
    /// `jsonencode(...)`.
    pub(super) fn interpolated(&self, expr: &str) -> Option<String> {
        if let Some(inner) = expr
            .strip_prefix("jsonencode(")
            .and_then(|e| e.strip_suffix(')'))
        {
            let node = self.eval(inner)?;
            return Some(render::render(&node).0);
        }
        match self.eval(expr)?.value {
            Value::String(s) | Value::Number(s) => Some(s),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// What would make `what` (an unknown expression) known: the variables
    /// it rests on, or the locals that nothing on disk decides.
    pub(super) fn hint(&self, what: &str) -> Option<String> {
        if what.starts_with("%{") {
            return None; // a directive: no value makes it a pattern
        }
        let mut needs = Vec::new();
        self.needs(what, 0, &mut needs);
        (!needs.is_empty()).then(|| needs.join("; "))
    }

    fn needs(&self, text: &str, depth: usize, out: &mut Vec<String>) {
        for (kind, name) in references(text) {
            let need = match kind {
                "var" if !self.vars.contains_key(name) => {
                    format!("give -p var.{name}=VALUE or a default in variable \"{name}\"")
                }
                "local" if !self.given_locals.contains_key(name) && self.local(name).is_none() => {
                    let before = out.len();
                    if let Some(text) = self.locals.get(name).filter(|_| depth < MAX_LOCAL_DEPTH) {
                        self.needs(text, depth + 1, out);
                    }
                    if out.len() > before {
                        continue;
                    }
                    format!("give -p local.{name}=VALUE")
                }
                _ => continue,
            };
            if !out.contains(&need) {
                out.push(need);
            }
        }
    }
}

/// `var.NAME` and `local.NAME` references in an expression's text.
fn references(text: &str) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    for kind in ["var", "local"] {
        let prefix = format!("{kind}.");
        let mut from = 0;
        while let Some(i) = text[from..].find(&prefix) {
            let at = from + i;
            from = at + prefix.len();
            if at > 0 && (word(b[at - 1]) || b[at - 1] == b'.') {
                continue;
            }
            let end = text[from..]
                .bytes()
                .position(|c| !word(c))
                .map_or(text.len(), |n| from + n);
            if end > from {
                out.push((kind, &text[from..end]));
            }
        }
    }
    out.sort_by_key(|(_, name)| text.find(name).unwrap_or(0));
    out
}

fn is_known(node: &Node) -> bool {
    let mut unknown = Vec::new();
    node.unknowns(&mut unknown);
    unknown.is_empty()
}

/// A `--parameter` value as Terraform reads `-var`: by the declared type,
/// a list or map written in HCL, a number, a bool, or else a string.
fn coerce(value: &str, ty: &str) -> Node {
    let structured = ["list", "set", "tuple", "map", "object"]
        .iter()
        .any(|t| ty.starts_with(t));
    if structured {
        let mut r = Reader::new(value, None);
        if let Ok(node) = r.expression(1) {
            if r.pos == value.len() && is_known(&node) {
                return node;
            }
        }
    }
    let v = value.trim();
    let n = match ty {
        "number"
            if super::super::json::parse(v).is_ok_and(|n| matches!(n.value, Value::Number(_))) =>
        {
            Value::Number(v.to_string())
        }
        "bool" if v == "true" || v == "false" => Value::Bool(v == "true"),
        _ => Value::String(value.to_string()),
    };
    Node::new(n, 0)
}

/// `variable` and `locals` blocks of every `*.tf` file in `dir`; a file
/// that does not parse is left out (it is reported when it is read for
/// rules).
fn declarations(dir: &Path) -> Declarations {
    let mut out = Declarations::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut r = Reader::new(&text, None);
        if r.body(0, true).is_ok() {
            collect_declarations(&r.blocks, &text, &mut out);
        }
    }
    out
}

fn collect_declarations(blocks: &[Block], text: &str, out: &mut Declarations) {
    for block in blocks {
        match block.kind.as_str() {
            "variable" => {
                let Some(name) = block.labels.first() else {
                    continue;
                };
                let attr = |n: &str| block.attributes.iter().rev().find(|a| a.name == n);
                let default = attr("default").map(|a| a.value.clone());
                let ty = attr("type")
                    .and_then(|a| text.get(a.value.offset..a.end))
                    .map(|t| t.split_whitespace().collect::<String>())
                    .unwrap_or_default();
                out.variables.insert(name.clone(), (default, ty));
            }
            "locals" => {
                for a in &block.attributes {
                    if let Some(t) = text.get(a.value.offset..a.end) {
                        out.locals.insert(a.name.clone(), t.to_string());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Variable values from `terraform.tfvars`, `terraform.tfvars.json` and
/// `*.auto.tfvars(.json)` in name order, later files winning. A file that
/// does not parse is an error, as it is for Terraform.
fn variable_files(dir: &Path) -> Result<Vec<(String, Node)>, ReadError> {
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    let mut files = vec![
        dir.join("terraform.tfvars"),
        dir.join("terraform.tfvars.json"),
    ];
    files.extend(auto);
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let failed = |e: ReadError| {
            let src = super::super::SourceFile::new(file.clone(), text.clone());
            let at = e.offset.map_or_else(String::new, |o| {
                let (l, c) = src.line_col(o);
                format!(":{l}:{c}")
            });
            ReadError {
                message: format!(
                    "cannot read variable values from {}{at}: {}",
                    file.display(),
                    e.message
                ),
                offset: None,
            }
        };
        if file.extension().is_some_and(|e| e == "json") {
            let doc = super::super::json::parse(&text).map_err(failed)?;
            for (k, v) in doc.as_map().unwrap_or_default() {
                if let Some(k) = k.as_str() {
                    out.push((k.to_string(), v.clone()));
                }
            }
        } else {
            let mut r = Reader::new(&text, None);
            let attributes = r.body(0, true).map_err(failed)?;
            for a in attributes.into_iter().filter(|a| is_known(&a.value)) {
                out.push((a.name, a.value));
            }
        }
    }
    Ok(out)
}
