//! `evrule explain`: whether each rule matches one event, and why, field by
//! field and value by value (the library's [`evrule::explain`]).
//!
//! Rules are read by `sources` like every other command and validated with
//! `check`'s checks: an invalid rule stops the command (exit 2) with
//! `check`'s messages, since explaining a pattern AWS would reject helps no
//! one. Disabled rules are explained but say so: EventBridge never delivers
//! to them, and `match` never reports them.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use evrule::explain::{explain, Explanation};

use crate::events::{self as input, event_error, Events, Input, Next, Pos};
use crate::flags::{ExplainFlags, ExplainFormat};
use crate::output::{self, json_str, Exit, Style};
use crate::rules::{compile, Compiled};
use crate::sources::{self, LoadOptions, RuleSource};

/// Validated settings of `explain`.
#[derive(Debug)]
pub struct Settings {
    rules: Vec<PathBuf>,
    only: Option<String>,
    format: ExplainFormat,
    load: LoadOptions,
    events: Vec<Input>,
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
            events: input::discover(&flags.events),
        })
    }
}

/// One event to explain, or why there is none.
enum Item {
    /// An event's text, from input `name`, starting at `start`.
    Event {
        name: String,
        start: Pos,
        text: String,
    },
    /// A line or document that is not an event, or an input that cannot
    /// be read: `name[:line]: reason`.
    Bad(String),
}

/// The events of every input, one at a time, as `match` reads them
/// (files, directories, gzip, NDJSON, arrays, documents, stdin).
struct Stream {
    inputs: std::vec::IntoIter<Input>,
    current: Option<(String, Events)>,
    buf: Vec<u8>,
}

impl Stream {
    fn new(inputs: Vec<Input>) -> Stream {
        Stream {
            inputs: inputs.into_iter(),
            current: None,
            buf: Vec::new(),
        }
    }
}

impl Iterator for Stream {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            let Some((name, events)) = &mut self.current else {
                let input = self.inputs.next()?;
                let name = input.name();
                match input.open(None) {
                    Ok(events) => self.current = Some((name, events)),
                    Err(message) => return Some(Item::Bad(format!("{name}: {message}"))),
                }
                continue;
            };
            let name = name.clone();
            match events.next(&mut self.buf) {
                Ok(Next::End) => self.current = None,
                Ok(Next::Bad(at, message)) => {
                    return Some(Item::Bad(format!("{name}:{at}: invalid event: {message}")))
                }
                Ok(Next::Event(start)) => {
                    return Some(match std::str::from_utf8(&self.buf) {
                        Ok(text) => Item::Event {
                            name,
                            start,
                            text: text.to_string(),
                        },
                        Err(e) => Item::Bad(format!(
                            "{name}:{}: invalid event: invalid UTF-8",
                            input::position_in(start, &self.buf, e.valid_up_to())
                        )),
                    })
                }
                Err(e) => {
                    self.current = None;
                    return Some(Item::Bad(format!("{name}: cannot read: {e}")));
                }
            }
        }
    }
}

/// Run `explain`.
pub fn run(flags: ExplainFlags, color: bool) -> Exit {
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e]),
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
    let (compiled, unknown) = match compile(rules) {
        Ok(c) => c,
        Err(messages) => {
            let mut err = io::stderr().lock();
            for m in messages {
                let _ = writeln!(err, "{m}");
            }
            return Exit::Error;
        }
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
    if settings.events == [Input::Stdin] && io::stdin().is_terminal() {
        output::error("reading events from standard input (end with Ctrl-D)");
    }
    output::finish(explain_all(&settings, &compiled, Style::new(color)))
}

/// Explain every rule against every event, writing as it goes. A bad event
/// is reported on stderr and the others go on; the run then ends with 2.
fn explain_all(settings: &Settings, compiled: &[Compiled], style: Style) -> io::Result<Exit> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut stream = Stream::new(settings.events.clone()).peekable();
    let mut first = true;
    let mut bad = false;
    let mut matched = false;
    let mut n = 0u64;
    while let Some(item) = stream.next() {
        let (name, start, text) = match item {
            Item::Event { name, start, text } => (name, start, text),
            Item::Bad(message) => {
                out.flush()?;
                output::error(&message);
                bad = true;
                continue;
            }
        };
        // A header only when there is more than one event, so that the
        // common case (one event file) reads as before.
        let several = !first || stream.peek().is_some();
        let mut explained = Vec::new();
        let mut failed = false;
        for c in compiled {
            match explain(&c.pattern, &text) {
                Ok(e) => explained.push((c, e)),
                Err(e) => {
                    out.flush()?;
                    let (at, message) = event_error(start, &e);
                    output::error(&format!("{name}:{at}: invalid event: {message}"));
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            bad = true;
            n += 1;
            continue;
        }
        matched |= explained.iter().any(|(c, e)| e.matched() && !c.disabled());
        let at = Position {
            n,
            file: &name,
            line: start.line,
            header: several,
        };
        write(&mut out, settings.format, &at, first, &explained, style)?;
        first = false;
        n += 1;
    }
    out.flush()?;
    Ok(if bad {
        Exit::Error
    } else if matched {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// Where an explained event is.
struct Position<'a> {
    /// 0-based index across all inputs.
    n: u64,
    file: &'a str,
    line: usize,
    /// Show `event FILE:LINE` above the rules (human format).
    header: bool,
}

fn write(
    out: &mut impl Write,
    format: ExplainFormat,
    at: &Position<'_>,
    first: bool,
    explained: &[(&Compiled, Explanation)],
    style: Style,
) -> io::Result<()> {
    if format == ExplainFormat::Human && at.header {
        if !first {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}",
            style.bold(&format!("event {}:{}", at.file, at.line))
        )?;
    }
    for (i, (c, e)) in explained.iter().enumerate() {
        match format {
            ExplainFormat::Human => {
                if i > 0 {
                    writeln!(out)?;
                }
                human(out, c, e, style)?;
            }
            ExplainFormat::Json => writeln!(
                out,
                "{{\"event\": {}, \"event_file\": {}, \"event_line\": {}, \"rule\": {}, \"matched\": {}, \"state\": {}, \"file\": {}, \"explanation\": {}}}",
                at.n,
                json_str(at.file),
                at.line,
                json_str(&c.rule.name),
                e.matched(),
                json_str(&c.rule.state),
                json_str(&c.rule.file.path().display().to_string()),
                e.to_json()
            )?,
        }
    }
    Ok(())
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
