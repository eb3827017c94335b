//! `evrule list`: every rule found, where its pattern starts, its name,
//! state, format and whether its pattern is static.

use std::io::{self, Write};
use std::path::PathBuf;

use super::load_options;
use crate::flags::{ListFlags, ListFormat};
use crate::output::{self, json_str, Exit, Style};
use crate::sources::{self, LoadOptions};

/// Validated settings of `list`.
#[derive(Debug)]
pub struct Settings {
    format: ListFormat,
    paths: Vec<PathBuf>,
    load: LoadOptions,
}

impl Settings {
    /// Validate raw flags.
    pub fn from_flags(flags: ListFlags) -> Result<Settings, String> {
        Ok(Settings {
            format: flags.format,
            load: load_options(&flags.sources)?,
            paths: flags.sources.paths,
        })
    }
}

/// Run `list`.
pub fn run(flags: ListFlags, color: bool) -> Exit {
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e]),
    };
    output::finish(list(&settings, Style::new(color)))
}

fn list(settings: &Settings, style: Style) -> io::Result<Exit> {
    let loaded = sources::load(&settings.paths, &settings.load);
    let mut out = io::BufWriter::new(io::stdout().lock());
    for rule in &loaded.rules {
        let file = rule.file.path().display().to_string();
        match settings.format {
            ListFormat::Json => writeln!(
                out,
                "{{\"file\": {}, \"line\": {}, \"rule\": {}, \"format\": \"{}\", \"state\": {}, \"static\": {}}}",
                json_str(&file),
                rule.line(),
                json_str(&rule.name),
                rule.format,
                json_str(&rule.state),
                rule.is_static()
            )?,
            ListFormat::Human => writeln!(
                out,
                "{}:{}: {} ({}, {}{})",
                file,
                rule.line(),
                style.bold(&rule.name),
                rule.format,
                rule.state,
                if rule.is_static() { "" } else { ", not static" }
            )?,
        }
    }
    out.flush()?;
    drop(out);
    Ok(if output::source_errors(&loaded.errors) {
        Exit::Error
    } else if loaded.rules.is_empty() {
        output::error(&crate::diagnostics::no_rules_found(&settings.paths));
        Exit::Failure
    } else {
        Exit::Success
    })
}
