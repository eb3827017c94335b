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
    /// An AWS CLI exit code, for `test-event-pattern`, which stands in for
    /// `aws events test-event-pattern` (0, 252, 254 or 255).
    Aws(u8),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Error => 2,
            Exit::Aws(code) => code,
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

/// Problems that stop a command before it starts (invalid flags, an
/// unreadable configuration): each on stderr, then exit code 2. Every
/// command turns its flags into settings or exits through here.
pub fn refuse<P: AsRef<str>>(problems: &[P]) -> Exit {
    for p in problems {
        error(p.as_ref());
    }
    Exit::Error
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

/// About how many columns of a source line an error shows: a line of
/// 300 KB must not be printed whole for one error.
pub const SNIPPET_WIDTH: usize = 100;

/// Marks text cut from either end of a snippet.
const CUT: char = '…';

/// The part of a source line an error shows, and what to print before the
/// caret so that it stands under the right character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// The line, or a window of about [`SNIPPET_WIDTH`] columns of it
    /// around the column, with `…` where text was cut.
    pub text: String,
    /// Blanks up to the column: a tab under a tab, two spaces under a
    /// double-width character, nothing under a zero-width one.
    pub pad: String,
}

/// The snippet of `line` around the 1-based character `column` (a column
/// past the end points just after the last character). Every command that
/// shows a source line under an error goes through here.
pub fn snippet(line: &str, column: usize) -> Snippet {
    let len = line.chars().count();
    let at = column.saturating_sub(1).min(len);
    let (start, end) = if len <= SNIPPET_WIDTH {
        (0, len)
    } else {
        // Keep the column a little left of the middle: what follows the
        // column is usually what the error is about.
        let start = at
            .saturating_sub(SNIPPET_WIDTH * 2 / 5)
            .min(len - SNIPPET_WIDTH);
        (start, start + SNIPPET_WIDTH)
    };
    let mut text = String::new();
    let mut pad = String::new();
    if start > 0 {
        text.push(CUT);
        pad.push(' ');
    }
    for (i, c) in line.chars().enumerate().skip(start).take(end - start) {
        text.push(c);
        if i < at {
            match c {
                '\t' => pad.push('\t'),
                c => pad.extend(std::iter::repeat_n(' ', char_width(c))),
            }
        }
    }
    if end < len {
        text.push(CUT);
    }
    Snippet { text, pad }
}

/// Columns a character takes in a terminal: 0 for combining marks and
/// zero-width characters, 2 for East Asian wide characters and emoji,
/// 1 for the rest. An approximation of Unicode's East Asian Width, close
/// enough to put a caret under the right character.
fn char_width(c: char) -> usize {
    match u32::from(c) {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F | 0xFEFF => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_shown_whole() {
        let s = snippet("\tab \"é\": x", 9);
        assert_eq!(s.text, "\tab \"é\": x");
        assert_eq!(s.pad, "\t       ");
    }

    #[test]
    fn wide_and_zero_width_characters() {
        // `日本` takes four columns, the combining accent none.
        let s = snippet("日本e\u{301}x", 4);
        assert_eq!(s.pad, "     ");
    }

    #[test]
    fn long_lines_show_a_window_marked_at_the_cuts() {
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let s = snippet(&line, 1001);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.text.chars().count(), SNIPPET_WIDTH + 2);
        assert_eq!(s.text.chars().nth(s.pad.chars().count()), Some('X'));
        // At the start: nothing cut before.
        let s = snippet(&line, 1);
        assert!(!s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.pad, "");
        // Past the end: the caret just after the last character.
        let s = snippet(&line, 5000);
        assert!(s.text.starts_with('…') && !s.text.ends_with('…'));
        assert_eq!(s.pad.chars().count(), SNIPPET_WIDTH + 1);
    }

    #[test]
    fn window_keeps_tabs_and_multibyte_characters() {
        let line = format!("{}\t\"ü{}\"", "é".repeat(500), "ß".repeat(500));
        let s = snippet(&line, 503);
        let shown: Vec<char> = s.text.chars().collect();
        assert_eq!(shown[s.pad.chars().count()], 'ü');
        assert!(s.pad.ends_with("\t "));
    }
}
