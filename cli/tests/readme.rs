//! The README's shell examples, run as pasted against the built binary
//! (issue 11: every example must work from the repository root).
//!
//! Conventions (stated in the README too, so that new sections follow them):
//!
//! - Only fenced blocks whose info string is `sh` run; `yaml`, `text` and
//!   the rest are not commands. An `sh` block whose previous non-blank
//!   line is `<!-- not run: REASON -->` is skipped (the reason is required).
//! - A command is a line, with the lines that continue it (a trailing `\`)
//!   and the body of any here-document it opens (`<<'END'` ... `END`).
//! - The `#` lines right under a command, with no blank line between, are
//!   lines of its output (stdout, then stderr), which must appear in that
//!   order; `# ...` stands for lines left out, a line ending in `...`
//!   matches any line that starts with the text before it, and
//!   `# (exit N)` gives the exit code (0 otherwise). Other `#` lines are
//!   comments.
//!
//! Blocks run one after the other, in README order, in one temporary copy
//! of `testdata/` (so that a later block may use what an earlier one
//! wrote, as when pasting them in turn, and nothing is written into the
//! repository), with the built `evrule` first on `PATH`, through `sh -c`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::root;

/// No example may take longer than this.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One command of an example, with what its output must show.
#[derive(Debug)]
struct Example {
    /// 1-based README line of the command.
    line: usize,
    command: String,
    expected: Vec<String>,
    exit: i32,
}

/// The `sh` blocks of `readme`, as commands; `Err` names a block that
/// breaks the conventions.
fn examples(readme: &str) -> Result<Vec<Example>, String> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut previous = "";
    while i < lines.len() {
        let line = lines[i];
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                previous = line;
            }
            i += 1;
            continue;
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].starts_with("```") {
            end += 1;
        }
        if end == lines.len() {
            return Err(format!("README.md:{}: unclosed code block", i + 1));
        }
        let skipped = previous.trim().starts_with("<!-- not run");
        if skipped && !previous.contains("not run: ") {
            return Err(format!(
                "README.md:{}: `<!-- not run -->` needs a reason: `<!-- not run: REASON -->`",
                i
            ));
        }
        if info.trim() == "sh" && !skipped {
            commands(&lines, start, end, &mut out)?;
        }
        previous = "";
        i = end + 1;
    }
    Ok(out)
}

fn commands(
    lines: &[&str],
    start: usize,
    end: usize,
    out: &mut Vec<Example>,
) -> Result<(), String> {
    let mut i = start;
    // Whether the `#` lines met now are a command's output.
    let mut under_command = false;
    while i < end {
        let line = lines[i];
        let trimmed = line.trim();
        if trimmed.is_empty() {
            under_command = false;
            i += 1;
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if under_command {
                let text = comment.strip_prefix(' ').unwrap_or(comment);
                let example = out.last_mut().expect("a command before its output");
                match text
                    .strip_prefix("(exit ")
                    .and_then(|t| t.strip_suffix(')'))
                {
                    Some(n) => {
                        example.exit = n.parse().map_err(|_| {
                            format!("README.md:{}: `(exit N)` needs a number", i + 1)
                        })?;
                    }
                    None => example.expected.push(text.to_string()),
                }
            }
            i += 1;
            continue;
        }
        let first = i;
        let mut command = String::new();
        loop {
            let l = lines[i];
            command.push_str(l);
            command.push('\n');
            i += 1;
            if let Some(word) = heredoc(l) {
                while i < end && lines[i].trim() != word {
                    command.push_str(lines[i]);
                    command.push('\n');
                    i += 1;
                }
                if i == end {
                    return Err(format!(
                        "README.md:{}: here-document `{word}` is not closed",
                        first + 1
                    ));
                }
                command.push_str(lines[i]);
                command.push('\n');
                i += 1;
            }
            if !l.trim_end().ends_with('\\') || i >= end {
                break;
            }
        }
        out.push(Example {
            line: first + 1,
            command,
            expected: Vec::new(),
            exit: 0,
        });
        under_command = true;
    }
    Ok(())
}

/// The terminator of a here-document opened on `line` (`<<'END'`,
/// `<<"END"`, `<<END`, `<<-END`).
fn heredoc(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let rest = line[at + 2..].trim_start_matches('-').trim_start();
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Whether `output` shows every expected line, in order.
fn shows(output: &[&str], expected: &[String]) -> Result<(), String> {
    let mut at = 0;
    for want in expected.iter().filter(|w| w.as_str() != "...") {
        let found = output[at..]
            .iter()
            .position(|got| match want.strip_suffix("...") {
                Some(prefix) => got.starts_with(prefix),
                None => got.trim_end() == want.trim_end(),
            });
        match found {
            Some(n) => at += n + 1,
            None => return Err(format!("no line `{want}` (in order)")),
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Run `command` with `sh -c` in `dir`, killing it past [`TIMEOUT`].
fn run(dir: &Path, path: &std::ffi::OsStr, command: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sh");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn readme_examples_run_as_pasted() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let examples = examples(&readme).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        examples.len() >= 10,
        "found only {} examples",
        examples.len()
    );
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("testdata"), &dir.path().join("testdata"));
    let bin = Path::new(env!("CARGO_BIN_EXE_evrule")).parent().unwrap();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(paths).unwrap();
    let mut failures = Vec::new();
    for e in &examples {
        let (code, stdout, stderr) = run(dir.path(), &path, &e.command);
        let output: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        let problem = if code != Some(e.exit) {
            Some(format!("exit {code:?}, expected {}", e.exit))
        } else {
            shows(&output, &e.expected).err()
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "README.md:{}: {problem}\n--- command\n{}--- stdout\n{stdout}--- stderr\n{stderr}",
                e.line, e.command
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_conventions_themselves() {
    let readme = "text\n\
        <!-- not run: an install -->\n\
        ```sh\ncargo install x\n```\n\
        ```yaml\nrun: nothing\n```\n\
        ```sh\n# a comment\nevrule a \\\n  --b\n# out 1\n# ...\n# (exit 1)\n\n# comment\ncat > f <<'END'\nx\nEND\nevrule c\n```\n";
    let got = examples(readme).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(
        (got[0].command.as_str(), got[0].exit, got[0].line),
        ("evrule a \\\n  --b\n", 1, 11)
    );
    assert_eq!(got[0].expected, ["out 1", "..."]);
    assert_eq!(got[1].command, "cat > f <<'END'\nx\nEND\n");
    assert!(got[1].expected.is_empty());
    assert_eq!(got[2].command, "evrule c\n");
    assert!(examples("<!-- not run -->\n```sh\nx\n```\n").is_err());
    assert!(examples("```sh\ncat <<E\nx\n```\n").is_err());
    assert!(shows(
        &["a", "b 1", "c"],
        &["a".into(), "...".into(), "b ...".into(), "c".into()]
    )
    .is_ok());
    assert!(shows(&["c", "a"], &["a".into(), "c".into()]).is_err());
}
