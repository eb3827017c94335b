//! `evrule test`: run suites of events against rules, each event with the
//! exact set of rules it must match.
//!
//! A suite (YAML or JSON) names its rules (paths to any rule file the other
//! commands read, relative to the suite, or inline `{name, pattern,
//! state}`) and its cases (`{name, event | event_file, expect}`). Matching
//! uses the compiled [`evrule::Matcher`], the product; a failing case is
//! explained with [`evrule::explain`] for every rule that matched when it
//! should not have, or did not when it should. Disabled rules never match,
//! as in EventBridge.
//!
//! Each suite is loaded and checked before its cases run: an unreadable
//! suite, an invalid rule, a rule name defined twice or an unknown name in
//! `expect` is an error, never a failed case. A broken suite stops only
//! itself: the other suites run, it shows as an errored test case in the
//! JUnit report, and the run ends with exit code 2. A case whose event is
//! not a valid event is an errored case, likewise.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evrule::explain::{explain, Explanation};
use evrule::Matcher;

use crate::flags::{TestFlags, TestFormat};
use crate::output::{self, json_str, Exit, Style};
use crate::rules::{compile, Compiled};
use crate::sources::doc::{Node, Value};
use crate::sources::{self, Format, LoadOptions, PosMap, RuleSource, SourceFile};

/// Validated settings of `test`.
#[derive(Debug)]
pub struct Settings {
    suites: Vec<PathBuf>,
    junit: Option<PathBuf>,
    format: TestFormat,
    load: LoadOptions,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: TestFlags) -> Result<Settings, String> {
        Ok(Settings {
            load: LoadOptions {
                parameters: output::key_values("parameter", &flags.parameters)?,
            },
            suites: flags.suites,
            junit: flags.junit,
            format: flags.format,
        })
    }
}

/// One case of a suite.
struct Case {
    name: String,
    /// 1-based line of the case in the suite file.
    line: usize,
    /// The event's JSON text.
    event: String,
    /// Where the event came from, for messages.
    origin: Origin,
    expect: BTreeSet<String>,
}

/// Where a case's event text is, so that a problem in it is reported at
/// its place in the file.
enum Origin {
    /// Written in the suite: the text maps onto the suite file.
    Suite {
        file: Arc<SourceFile>,
        map: PosMap,
        offset: usize,
    },
    /// An `event_file`, read whole.
    File(PathBuf),
}

impl Origin {
    /// `FILE:LINE:COL` of byte `at` of the event text (the event's own
    /// place when `None`), and how the case is named there.
    fn locate(&self, at: Option<usize>, case: &Case, suite: &Path) -> String {
        match self {
            Origin::Suite { file, map, offset } => {
                let (line, column) =
                    file.line_col(at.map_or(*offset, |at| map.file_offset(at, *offset)));
                format!(
                    "{}:{line}:{column}: case `{}`",
                    file.path().display(),
                    case.name
                )
            }
            Origin::File(path) => {
                let (line, column) = evrule::json::line_col(case.event.as_bytes(), at.unwrap_or(0));
                format!(
                    "{}:{line}:{column}: case `{}` of {}",
                    path.display(),
                    case.name,
                    suite.display()
                )
            }
        }
    }
}

/// A suite file, read.
struct Suite {
    /// As given on the command line.
    path: PathBuf,
    rules: Vec<RuleSource>,
    cases: Vec<Case>,
}

/// A suite ready to run.
struct Ready {
    path: PathBuf,
    rules: Vec<Compiled>,
    matcher: Matcher,
    cases: Vec<Case>,
}

/// A rule that matched when it should not have, or the reverse.
struct Difference {
    rule: usize,
    expected: bool,
    explanation: Explanation,
}

/// The outcome of one case.
struct Outcome {
    suite: usize,
    case: usize,
    actual: BTreeSet<String>,
    differences: Vec<Difference>,
    /// The case could not run (its event is not a valid event).
    error: Option<String>,
}

impl Outcome {
    fn passed(&self) -> bool {
        self.differences.is_empty() && self.error.is_none()
    }

    fn failed(&self) -> bool {
        !self.differences.is_empty() && self.error.is_none()
    }
}

/// A suite that could not be loaded or prepared, and why (one message a
/// line, each `file:line:column: reason` where there is a place).
struct Broken {
    path: PathBuf,
    message: String,
}

/// Run `test`.
pub fn run(flags: TestFlags, color: bool) -> Exit {
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e]),
    };
    // A broken suite stops only itself: the others still run, it shows in
    // the report as an errored test case, and the run ends with 2.
    let mut ready = Vec::new();
    let mut broken = Vec::new();
    for path in &settings.suites {
        match load_suite(path, &settings.load)
            .map_err(|m| (m, false))
            .and_then(prepare)
        {
            Ok(r) => ready.push(r),
            Err((message, checked)) => {
                // `check`'s messages are shown as `check` shows them.
                for line in message.lines() {
                    if checked {
                        let _ = writeln!(io::stderr().lock(), "{line}");
                    } else {
                        output::error(line);
                    }
                }
                broken.push(Broken {
                    path: path.clone(),
                    message,
                });
            }
        }
    }
    let outcomes = run_cases(&ready);
    for o in &outcomes {
        if let Some(e) = &o.error {
            output::error(e);
        }
    }
    let style = Style::new(color);
    let written = match settings.format {
        TestFormat::Human => human(&ready, &broken, &outcomes, style),
        TestFormat::Json => json(&ready, &broken, &outcomes),
    };
    let mut exit = output::finish(written.map(|()| Exit::Success));
    if let Some(path) = &settings.junit {
        if let Err(e) = std::fs::write(path, junit(&ready, &broken, &outcomes)) {
            output::error(&format!("cannot write {}: {e}", path.display()));
            exit = Exit::Error;
        }
    }
    if exit == Exit::Error || !broken.is_empty() || outcomes.iter().any(|o| o.error.is_some()) {
        Exit::Error
    } else if outcomes.iter().all(Outcome::passed) {
        Exit::Success
    } else {
        Exit::Failure
    }
}

// ---- reading suites ----

/// `file:line:column: message`.
fn at(file: &SourceFile, offset: usize, message: impl std::fmt::Display) -> String {
    let (line, column) = file.line_col(offset);
    format!("{}:{line}:{column}: {message}", file.path().display())
}

fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn load_suite(path: &Path, load: &LoadOptions) -> Result<Suite, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {}", path.display(), io_message(&e)))?;
    let file = Arc::new(SourceFile::new(path.to_path_buf(), text));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_ascii_lowercase());
    let json = name.ends_with(".json")
        || (!name.ends_with(".yaml")
            && !name.ends_with(".yml")
            && file.text().trim_start().starts_with('{'));
    let doc = if json {
        sources::json::parse(file.text()).map_err(|e| {
            at(
                &file,
                e.offset.unwrap_or(0),
                format!("invalid JSON: {}", e.message),
            )
        })?
    } else {
        let mut docs =
            sources::parse_yaml(&file).map_err(|e| at(&file, e.offset.unwrap_or(0), e.message))?;
        if docs.len() != 1 {
            return Err(format!(
                "{}: expected one YAML document, found {}",
                path.display(),
                docs.len()
            ));
        }
        docs.remove(0)
    };
    let entries = doc.as_map().ok_or_else(|| {
        at(
            &file,
            doc.offset,
            "a suite must be a mapping with `rules` and `cases`",
        )
    })?;
    for (k, _) in entries {
        let key = k.as_str().unwrap_or_default();
        if key != "rules" && key != "cases" {
            return Err(at(
                &file,
                k.offset,
                format!("unknown key `{key}` (a suite has `rules` and `cases`)"),
            ));
        }
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let rules_node = doc
        .get("rules")
        .ok_or_else(|| at(&file, doc.offset, "the suite has no `rules`"))?;
    let rule_items = rules_node
        .as_seq()
        .ok_or_else(|| at(&file, rules_node.offset, "`rules` must be a list"))?;
    let mut rules = Vec::new();
    for item in rule_items {
        match &item.value {
            Value::String(p) => {
                let loaded = sources::load(&[base.join(p)], load);
                if let Some(e) = loaded.errors.first() {
                    return Err(at(&file, item.offset, format!("cannot read rules: {e}")));
                }
                if loaded.rules.is_empty() {
                    return Err(at(&file, item.offset, format!("no rules found in {p}")));
                }
                rules.extend(loaded.rules);
            }
            Value::Map(_) => rules.push(inline_rule(&file, item)?),
            _ => {
                return Err(at(
                    &file,
                    item.offset,
                    "a rule must be a path or a mapping {name, pattern, state}",
                ))
            }
        }
    }
    let cases_node = doc
        .get("cases")
        .ok_or_else(|| at(&file, doc.offset, "the suite has no `cases`"))?;
    let case_items = cases_node
        .as_seq()
        .ok_or_else(|| at(&file, cases_node.offset, "`cases` must be a list"))?;
    let cases = case_items
        .iter()
        .map(|c| case(&file, base, c))
        .collect::<Result<_, _>>()?;
    Ok(Suite {
        path: path.to_path_buf(),
        rules,
        cases,
    })
}

/// Check that a mapping has only `allowed` keys.
fn only_keys(file: &SourceFile, node: &Node, what: &str, allowed: &[&str]) -> Result<(), String> {
    for (k, _) in node.as_map().unwrap_or_default() {
        let key = k.as_str().unwrap_or_default();
        if !allowed.contains(&key) {
            let list: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
            return Err(at(
                file,
                k.offset,
                format!(
                    "unknown key `{key}` in {what} (expected {})",
                    list.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn required_string(
    file: &SourceFile,
    node: &Node,
    key: &str,
    what: &str,
) -> Result<String, String> {
    match node.get(key) {
        Some(n) => match n.scalar_text() {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(at(
                file,
                n.offset,
                format!("`{key}` must be a non-empty string"),
            )),
        },
        None => Err(at(file, node.offset, format!("{what} has no `{key}`"))),
    }
}

fn inline_rule(file: &Arc<SourceFile>, item: &Node) -> Result<RuleSource, String> {
    only_keys(
        file,
        item,
        "a rule",
        &["name", "pattern", "state", "description"],
    )?;
    let name = required_string(file, item, "name", "the rule")?;
    let pattern = item
        .get("pattern")
        .ok_or_else(|| at(file, item.offset, format!("rule `{name}` has no `pattern`")))?;
    let state = match item.get("state") {
        Some(s) => s
            .scalar_text()
            .ok_or_else(|| at(file, s.offset, "`state` must be a string"))?
            .to_ascii_uppercase(),
        None => "ENABLED".to_string(),
    };
    let (text, embedded, map) = match &pattern.value {
        Value::String(s) => (s.clone(), true, PosMap::Anchors(vec![(0, pattern.offset)])),
        _ => {
            let mut r = Renderer::default();
            r.node(file, pattern)?;
            (r.out, false, PosMap::Anchors(r.anchors))
        }
    };
    Ok(RuleSource {
        file: file.clone(),
        name,
        auto_named: false,
        state,
        format: Format::Native,
        pattern: Some(text),
        unresolved: Vec::new(),
        id: None,
        offset: pattern.offset,
        embedded,
        map,
    })
}

fn case(file: &Arc<SourceFile>, base: &Path, node: &Node) -> Result<Case, String> {
    if node.as_map().is_none() {
        return Err(at(
            file,
            node.offset,
            "a case must be a mapping {name, event or event_file, expect}",
        ));
    }
    only_keys(
        file,
        node,
        "a case",
        &["name", "event", "event_file", "expect", "description"],
    )?;
    let name = required_string(file, node, "name", "the case")?;
    let (event, origin) = match (node.get("event"), node.get("event_file")) {
        (Some(e), None) => {
            let (text, map) = match &e.value {
                Value::String(s) => {
                    let map = match sources::string_segments(file.text(), e) {
                        Some(segments) => PosMap::Segments(segments),
                        None => PosMap::Anchors(vec![(0, e.offset)]),
                    };
                    (s.clone(), map)
                }
                _ => {
                    let mut r = Renderer::default();
                    r.node(file, e)?;
                    (r.out, PosMap::Anchors(r.anchors))
                }
            };
            let origin = Origin::Suite {
                file: file.clone(),
                map,
                offset: e.offset,
            };
            (text, origin)
        }
        (None, Some(f)) => {
            let rel = f
                .as_str()
                .ok_or_else(|| at(file, f.offset, "`event_file` must be a path"))?;
            let path = base.join(rel);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                at(
                    file,
                    f.offset,
                    format!("cannot read event {}: {}", path.display(), io_message(&e)),
                )
            })?;
            (text, Origin::File(path))
        }
        (Some(_), Some(f)) => {
            return Err(at(
                file,
                f.offset,
                format!("case `{name}` has both `event` and `event_file`"),
            ))
        }
        (None, None) => {
            return Err(at(
                file,
                node.offset,
                format!("case `{name}` has no `event` or `event_file`"),
            ))
        }
    };
    let expect_node = node
        .get("expect")
        .ok_or_else(|| at(file, node.offset, format!("case `{name}` has no `expect`")))?;
    let items = expect_node.as_seq().ok_or_else(|| {
        at(
            file,
            expect_node.offset,
            "`expect` must be a list of rule names ([] for none)",
        )
    })?;
    let mut expect = BTreeSet::new();
    for item in items {
        let rule = item
            .scalar_text()
            .ok_or_else(|| at(file, item.offset, "`expect` must be a list of rule names"))?;
        expect.insert(rule);
    }
    Ok(Case {
        name,
        line: file.line_col(node.offset).0,
        event,
        origin,
        expect,
    })
}

/// A tree from the suite file -> compact JSON, with anchors (offset in the
/// text, offset in the file) so that pattern errors point into the suite.
#[derive(Default)]
struct Renderer {
    out: String,
    anchors: Vec<(usize, usize)>,
}

impl Renderer {
    fn node(&mut self, file: &SourceFile, node: &Node) -> Result<(), String> {
        if let Some(tag) = &node.tag {
            return Err(at(
                file,
                node.offset,
                format!("tags such as `{tag}` are not supported in suites"),
            ));
        }
        self.anchors.push((self.out.len(), node.offset));
        match &node.value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(n),
            Value::String(s) => self.out.push_str(&json_str(s)),
            Value::Unknown(what) => {
                return Err(at(
                    file,
                    node.offset,
                    format!("`{what}` cannot be resolved in a suite"),
                ))
            }
            Value::Seq(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.node(file, item)?;
                }
                self.out.push(']');
            }
            Value::Map(entries) => {
                self.out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.anchors.push((self.out.len(), k.offset));
                    self.out.push_str(&json_str(k.as_str().unwrap_or_default()));
                    self.out.push(':');
                    self.node(file, v)?;
                }
                self.out.push('}');
            }
        }
        Ok(())
    }
}

/// Validate a suite's rules and build its matcher. The error says whether
/// it holds `check`'s messages about invalid rules.
fn prepare(suite: Suite) -> Result<Ready, (String, bool)> {
    prepare_checked(suite).map_err(|e| match e {
        Prepare::Checked(m) => (m, true),
        Prepare::Other(m) => (m, false),
    })
}

enum Prepare {
    Checked(String),
    Other(String),
}

impl From<String> for Prepare {
    fn from(m: String) -> Prepare {
        Prepare::Other(m)
    }
}

fn prepare_checked(suite: Suite) -> Result<Ready, Prepare> {
    let mut seen: HashMap<&str, &RuleSource> = HashMap::new();
    for r in &suite.rules {
        if let Some(first) = seen.insert(&r.name, r) {
            let (l1, c1) = first.file.line_col(first.offset);
            let (l2, c2) = r.file.line_col(r.offset);
            return Err(format!(
                "{}: rule `{}` is defined twice ({}:{l1}:{c1} and {}:{l2}:{c2})",
                suite.path.display(),
                r.name,
                first.file.path().display(),
                r.file.path().display()
            )
            .into());
        }
    }
    let known: BTreeSet<String> = suite.rules.iter().map(|r| r.name.clone()).collect();
    for case in &suite.cases {
        if let Some(unknown) = case.expect.iter().find(|n| !known.contains(*n)) {
            return Err(format!(
                "{}:{}: case `{}` expects unknown rule `{unknown}`",
                suite.path.display(),
                case.line,
                case.name
            )
            .into());
        }
    }
    let (rules, unknown) = compile(suite.rules).map_err(|m| Prepare::Checked(m.join("\n")))?;
    if let Some(r) = unknown.first() {
        return Err(format!(
            "{}: rule `{}`: pattern is unknown until deployment ({}); cannot test it; {}",
            suite.path.display(),
            r.name,
            r.unresolved_list(),
            r.resolve_hint()
        )
        .into());
    }
    let mut builder = Matcher::builder();
    for c in rules.iter().filter(|c| !c.disabled()) {
        builder
            .add_pattern(&c.rule.name, &c.pattern)
            .map_err(|e| format!("{}: {e}", suite.path.display()))?;
    }
    let matcher = builder
        .build()
        .map_err(|e| format!("{}: {e}", suite.path.display()))?;
    Ok(Ready {
        path: suite.path,
        rules,
        matcher,
        cases: suite.cases,
    })
}

fn run_cases(ready: &[Ready]) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (s, suite) in ready.iter().enumerate() {
        for (c, case) in suite.cases.iter().enumerate() {
            let outcome = run_case(suite, case).unwrap_or_else(|e| Outcome {
                suite: s,
                case: c,
                actual: BTreeSet::new(),
                differences: Vec::new(),
                error: Some(format!(
                    "{}: invalid event: {}",
                    case.origin.locate(e.offset(), case, &suite.path),
                    e.message()
                )),
            });
            out.push(Outcome {
                suite: s,
                case: c,
                ..outcome
            });
        }
    }
    out
}

/// Run one case; `Err` when its event is not a valid event.
fn run_case(suite: &Ready, case: &Case) -> Result<Outcome, evrule::Error> {
    let actual: BTreeSet<String> = suite
        .matcher
        .matches(case.event.as_bytes())?
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut differences = Vec::new();
    for (i, rule) in suite.rules.iter().enumerate() {
        let expected = case.expect.contains(&rule.rule.name);
        if expected != actual.contains(&rule.rule.name) {
            differences.push(Difference {
                rule: i,
                expected,
                explanation: explain(&rule.pattern, &case.event)?,
            });
        }
    }
    Ok(Outcome {
        suite: 0,
        case: 0,
        actual,
        differences,
        error: None,
    })
}

// ---- output ----

fn names(set: &BTreeSet<String>) -> String {
    let v: Vec<&str> = set.iter().map(String::as_str).collect();
    format!("[{}]", v.join(", "))
}

/// The explanation of one difference, as indented text: what was expected,
/// what happened, and why.
fn difference_text(suite: &Ready, d: &Difference) -> String {
    let rule = &suite.rules[d.rule];
    evrule::explain::difference(&rule.rule.name, d.expected, rule.disabled(), &d.explanation)
}

/// `N passed, M failed`, and `, K errors` when suites or cases could not run.
fn summary(broken: &[Broken], outcomes: &[Outcome]) -> (usize, usize, usize) {
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    let errors = broken.len() + outcomes.iter().filter(|o| o.error.is_some()).count();
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    (passed, failed, errors)
}

fn human(ready: &[Ready], broken: &[Broken], outcomes: &[Outcome], style: Style) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut current = None;
    for o in outcomes {
        let suite = &ready[o.suite];
        let case = &suite.cases[o.case];
        if current != Some(o.suite) {
            current = Some(o.suite);
            writeln!(out, "suite {}", suite.path.display())?;
        }
        if let Some(e) = &o.error {
            writeln!(out, "  {} {}", style.paint(31, "ERROR"), case.name)?;
            writeln!(out, "    {e}")?;
            continue;
        }
        if o.passed() {
            writeln!(out, "  {}    {}", style.paint(32, "ok"), case.name)?;
            continue;
        }
        writeln!(out, "  {}  {}", style.paint(31, "FAIL"), case.name)?;
        writeln!(out, "    at:       {}:{}", suite.path.display(), case.line)?;
        writeln!(out, "    expected: {}", names(&case.expect))?;
        writeln!(out, "    actual:   {}", names(&o.actual))?;
        for d in &o.differences {
            for line in difference_text(suite, d).lines() {
                writeln!(out, "    {line}")?;
            }
        }
    }
    for b in broken {
        writeln!(out, "suite {}", b.path.display())?;
        writeln!(
            out,
            "  {} the suite could not run",
            style.paint(31, "ERROR")
        )?;
        for line in b.message.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    let (passed, failed, errors) = summary(broken, outcomes);
    write!(out, "{passed} passed, {failed} failed")?;
    if errors > 0 {
        write!(
            out,
            ", {errors} error{}",
            if errors == 1 { "" } else { "s" }
        )?;
    }
    writeln!(out)?;
    out.flush()
}

fn json(ready: &[Ready], broken: &[Broken], outcomes: &[Outcome]) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let list = |set: &BTreeSet<String>| {
        let v: Vec<String> = set.iter().map(|n| json_str(n)).collect();
        format!("[{}]", v.join(", "))
    };
    for o in outcomes {
        let suite = &ready[o.suite];
        let case = &suite.cases[o.case];
        let differences: Vec<String> = o
            .differences
            .iter()
            .map(|d| {
                let rule = &suite.rules[d.rule];
                format!(
                    "{{\"rule\": {}, \"expected\": {}, \"matched\": {}, \"state\": {}, \"explanation\": {}}}",
                    json_str(&rule.rule.name),
                    d.expected,
                    !d.expected,
                    json_str(&rule.rule.state),
                    d.explanation.to_json()
                )
            })
            .collect();
        let error = o
            .error
            .as_ref()
            .map_or_else(String::new, |e| format!(", \"error\": {}", json_str(e)));
        writeln!(
            out,
            "{{\"suite\": {}, \"case\": {}, \"line\": {}, \"passed\": {}, \"expected\": {}, \"actual\": {}, \"differences\": [{}]{error}}}",
            json_str(&suite.path.display().to_string()),
            json_str(&case.name),
            case.line,
            o.passed(),
            list(&case.expect),
            list(&o.actual),
            differences.join(", ")
        )?;
    }
    for b in broken {
        writeln!(
            out,
            "{{\"suite\": {}, \"error\": {}}}",
            json_str(&b.path.display().to_string()),
            json_str(&b.message)
        )?;
    }
    let (passed, failed, errors) = summary(broken, outcomes);
    writeln!(
        out,
        "{{\"passed\": {passed}, \"failed\": {failed}, \"errors\": {errors}}}"
    )?;
    out.flush()
}

/// Text for XML content: markup characters escaped, characters XML 1.0
/// cannot hold replaced by U+FFFD.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for an XML attribute value (in double quotes): quotes escaped too,
/// and line breaks kept as character references.
fn xml_attr(s: &str) -> String {
    xml_text(s)
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// A JUnit XML report: a `testsuite` per suite file, a `testcase` per
/// case; a suite that could not run is one errored `testcase`.
fn junit(ready: &[Ready], broken: &[Broken], outcomes: &[Outcome]) -> String {
    let (_, failed, errors) = summary(broken, outcomes);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"evrule\" tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\">\n",
        outcomes.len() + broken.len()
    ));
    for (s, suite) in ready.iter().enumerate() {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.suite == s).collect();
        let path = xml_attr(&suite.path.display().to_string());
        x.push_str(&format!(
            "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">\n",
            mine.len(),
            mine.iter().filter(|o| o.failed()).count(),
            mine.iter().filter(|o| o.error.is_some()).count()
        ));
        for o in mine {
            let case = &suite.cases[o.case];
            let open = format!(
                "    <testcase classname=\"{path}\" name=\"{}\" file=\"{path}\" line=\"{}\"",
                xml_attr(&case.name),
                case.line
            );
            if let Some(e) = &o.error {
                x.push_str(&format!(
                    "{open}>\n      <error message=\"{}\" type=\"invalid-event\">{}</error>\n    </testcase>\n",
                    xml_attr(e),
                    xml_text(e)
                ));
                continue;
            }
            if o.passed() {
                x.push_str(&open);
                x.push_str("/>\n");
                continue;
            }
            let message = format!(
                "expected {}, matched {}",
                names(&case.expect),
                names(&o.actual)
            );
            let mut text = String::new();
            for d in &o.differences {
                text.push_str(&difference_text(suite, d));
            }
            x.push_str(&format!(
                "{open}>\n      <failure message=\"{}\" type=\"mismatch\">{}</failure>\n    </testcase>\n",
                xml_attr(&message),
                xml_text(&text)
            ));
        }
        x.push_str("  </testsuite>\n");
    }
    for b in broken {
        let path = xml_attr(&b.path.display().to_string());
        let first = b.message.lines().next().unwrap_or_default();
        x.push_str(&format!(
            "  <testsuite name=\"{path}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
             <testcase classname=\"{path}\" name=\"(suite)\" file=\"{path}\">\n      \
             <error message=\"{}\" type=\"suite-error\">{}</error>\n    </testcase>\n  </testsuite>\n",
            xml_attr(first),
            xml_text(&b.message)
        ));
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml_text("a<b & \"c\" 'd'>\u{1}\n"),
            "a&lt;b &amp; \"c\" 'd'&gt;\u{FFFD}\n"
        );
        assert_eq!(xml_attr("\"a\"\n<"), "&quot;a&quot;&#10;&lt;");
    }
}
