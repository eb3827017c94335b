//! `evrule explain`: whether each rule matches one event, and why, field by
//! field and value by value (the library's [`evrule::explain`]).
//!
//! Rules are read by `sources` like every other command and validated with
//! `check`'s checks: an invalid rule stops the command (exit 2) with
//! `check`'s messages, since explaining a pattern AWS would reject helps no
//! one. Disabled rules are explained but say so: EventBridge never delivers
//! to them, and `match` never reports them.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use evrule::explain::{explain, Explanation};
use evrule::{Limits, Pattern};

use crate::cmd::check::{self, Severity};
use crate::flags::{ExplainFlags, ExplainFormat};
use crate::output::{self, json_str, Exit, Style};
use crate::sources::{self, LoadOptions, RuleSource};

/// Validated settings of `explain`.
#[derive(Debug)]
pub struct Settings {
    rules: Vec<PathBuf>,
    only: Option<String>,
    format: ExplainFormat,
    load: LoadOptions,
    event: PathBuf,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: ExplainFlags) -> Result<Settings, String> {
        Ok(Settings {
            load: LoadOptions {
                parameters: output::key_values("parameter", &flags.parameters)?,
            },
            rules: flags.rules,
            only: flags.rule,
            format: flags.format,
            event: flags.event,
        })
    }
}

/// A rule whose pattern parsed.
pub struct Compiled {
    /// Where the rule came from.
    pub rule: RuleSource,
    /// Its pattern.
    pub pattern: Pattern,
}

impl Compiled {
    /// EventBridge never delivers events to a disabled rule.
    pub fn disabled(&self) -> bool {
        self.rule.state == "DISABLED"
    }
}

/// Parse the pattern of every rule. Invalid rules are reported on stderr
/// with `check`'s messages (`file:line:column: error[rule]: reason`) and
/// make the result `Err`; rules whose pattern is unknown until deployment
/// are returned in the second list.
pub fn compile(rules: Vec<RuleSource>) -> Result<(Vec<Compiled>, Vec<RuleSource>), ()> {
    let limits = Limits::new();
    let mut invalid = false;
    for p in check::problems(&rules, &limits) {
        if p.severity == Severity::Error {
            invalid = true;
            let _ = writeln!(
                io::stderr().lock(),
                "{}:{}:{}: error[{}]: {}",
                p.file,
                p.line,
                p.column,
                p.rule,
                p.message
            );
        }
    }
    if invalid {
        return Err(());
    }
    let mut compiled = Vec::new();
    let mut unknown = Vec::new();
    for rule in rules {
        match rule
            .pattern
            .as_deref()
            .map(|t| Pattern::parse_with(t, &limits))
        {
            Some(Ok(pattern)) => compiled.push(Compiled { rule, pattern }),
            // `check` reported every invalid pattern already.
            Some(Err(_)) => return Err(()),
            None => unknown.push(rule),
        }
    }
    Ok((compiled, unknown))
}

/// Read an event: a file, or stdin for `-`. Returns the text.
pub fn read_event(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::NotFound => "no such file or directory".to_string(),
            io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        format!("cannot read event {}: {why}", event_name(path))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "event {}: invalid UTF-8 at byte {}",
            event_name(path),
            e.utf8_error().valid_up_to()
        )
    })
}

/// How an event file is named in messages.
pub fn event_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Run `explain`.
pub fn run(flags: ExplainFlags, color: bool) -> Exit {
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => {
            output::error(&e);
            return Exit::Error;
        }
    };
    let event = match read_event(&settings.event) {
        Ok(text) => text,
        Err(e) => {
            output::error(&e);
            return Exit::Error;
        }
    };
    let loaded = sources::load(&settings.rules, &settings.load);
    if output::source_errors(&loaded.errors) {
        return Exit::Error;
    }
    let mut suggestion = String::new();
    let rules: Vec<RuleSource> = match &settings.only {
        Some(name) => {
            suggestion = rule_suggestion(&loaded.rules, name);
            loaded
                .rules
                .into_iter()
                .filter(|r| &r.name == name)
                .collect()
        }
        None => loaded.rules,
    };
    if rules.is_empty() {
        let paths: Vec<String> = settings
            .rules
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        output::error(&match &settings.only {
            Some(name) => format!("no rule named `{name}` in {}{suggestion}", paths.join(", ")),
            None => format!("no rules found in {}", paths.join(", ")),
        });
        return Exit::Error;
    }
    let Ok((compiled, unknown)) = compile(rules) else {
        return Exit::Error;
    };
    for rule in &unknown {
        let message = format!(
            "rule `{}`: pattern is unknown until deployment ({}); cannot explain it; {}",
            rule.name,
            rule.unresolved_list(),
            rule.resolve_hint()
        );
        output::error(&message);
        if settings.only.is_some() {
            return Exit::Error;
        }
    }
    let mut explained = Vec::new();
    for c in &compiled {
        match explain(&c.pattern, &event) {
            Ok(e) => explained.push((c, e)),
            Err(e) => {
                output::error(&format!("event {}: {e}", event_name(&settings.event)));
                return Exit::Error;
            }
        }
    }
    let written = write(&settings, &explained, Style::new(color));
    let exit = output::finish(written.map(|()| Exit::Success));
    if exit == Exit::Error {
        return exit;
    }
    if explained.iter().any(|(c, e)| e.matched() && !c.disabled()) {
        Exit::Success
    } else {
        Exit::Failure
    }
}

fn write(
    settings: &Settings,
    explained: &[(&Compiled, Explanation)],
    style: Style,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for (i, (c, e)) in explained.iter().enumerate() {
        match settings.format {
            ExplainFormat::Human => {
                if i > 0 {
                    writeln!(out)?;
                }
                human(&mut out, c, e, style)?;
            }
            ExplainFormat::Json => writeln!(
                out,
                "{{\"rule\": {}, \"matched\": {}, \"state\": {}, \"file\": {}, \"explanation\": {}}}",
                json_str(&c.rule.name),
                e.matched(),
                json_str(&c.rule.state),
                json_str(&c.rule.file.path().display().to_string()),
                e.to_json()
            )?,
        }
    }
    out.flush()
}

/// `rule NAME: verdict` and the explanation's lines.
pub fn human(out: &mut impl Write, c: &Compiled, e: &Explanation, style: Style) -> io::Result<()> {
    let text = e.to_string();
    let (verdict, body) = text.split_once('\n').unwrap_or((&text, ""));
    let verdict = if e.matched() {
        style.paint(32, verdict)
    } else {
        style.paint(31, verdict)
    };
    let disabled = if c.disabled() {
        " (rule is DISABLED: EventBridge never delivers to it, and `match` never reports it)"
    } else {
        ""
    };
    writeln!(
        out,
        "rule {}: {verdict}{disabled}",
        style.bold(&c.rule.name)
    )?;
    if !c.rule.is_static() {
        writeln!(
            out,
            "  note: the pattern holds values unknown until deployment ({}), explained with placeholders",
            c.rule.unresolved_list()
        )?;
    }
    out.write_all(body.as_bytes())
}

/// For `--rule NAME` naming no rule: `; `X` is the logical ID of rule `Y`,
/// give --rule Y` or `; did you mean `Y`?`, else nothing.
fn rule_suggestion(rules: &[RuleSource], name: &str) -> String {
    if let Some(r) = rules.iter().find(|r| r.id.as_deref() == Some(name)) {
        return format!(
            "; `{name}` is the template's ID for rule `{}`: give --rule {}",
            r.name, r.name
        );
    }
    let names = rules
        .iter()
        .flat_map(|r| std::iter::once(r.name.as_str()).chain(r.id.as_deref()));
    match crate::sources::suggest::nearest(name, names) {
        Some(near) => {
            let rule = rules
                .iter()
                .find(|r| r.name == near || r.id.as_deref() == Some(near))
                .map_or(near, |r| r.name.as_str());
            format!("; did you mean `{rule}`?")
        }
        None => String::new(),
    }
}
