//! What every command shares about output: exit codes, colour, writing to
//! stdout with a broken pipe treated as a normal end, and error reporting.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use crate::flags::ColorChoice;
use crate::sources::SourceError;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: success (or something was found).
    Success,
    /// 1: a check failed, or nothing was found.
    Failure,
    /// 2: the command could not do its job (bad input, unreadable file).
    Error,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Error => 2,
        })
    }
}

/// Finish a command: a broken pipe (`evrule list | head`) is a normal end.
pub fn finish(result: io::Result<Exit>) -> Exit {
    match result {
        Ok(exit) => exit,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => {
            error(&format!("cannot write output: {e}"));
            Exit::Error
        }
    }
}

/// Report a problem that stops (part of) a command, on stderr.
pub fn error(message: &str) {
    let _ = writeln!(io::stderr().lock(), "evrule: {message}");
}

/// Report files that could not be read; returns whether there were any.
pub fn source_errors(errors: &[SourceError]) -> bool {
    for e in errors {
        error(&e.to_string());
    }
    !errors.is_empty()
}

/// Whether to colour stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// ANSI styles, or nothing when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styles that colour when `on`.
    pub fn new(on: bool) -> Style {
        Style { on }
    }

    /// `text` in bold `color` (an SGR colour number, e.g. 31 for red).
    pub fn paint(&self, color: u8, text: &str) -> String {
        if self.on {
            format!("\x1b[1;{color}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// `text` in bold.
    pub fn bold(&self, text: &str) -> String {
        if self.on {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Parse `KEY=VALUE` flags.
pub fn key_values(flag: &str, raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("--{flag} expects KEY=VALUE, got `{kv}`")),
        })
        .collect()
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}
