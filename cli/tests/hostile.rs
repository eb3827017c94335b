//! Hostile files through the `evrule` binary: binary garbage, invalid
//! UTF-8, a YAML alias bomb, deep nesting, a missing file, and a reader
//! that closes stdout early. Each must end with a clear message naming the
//! file and exit code 2 (`check`: 1, a finding; 0 for a closed stdout),
//! never a panic (exit 101), a backtrace or a hang.
//!
//! Only `check` and `list` exist on this branch; `match` is being written in
//! parallel and gets the same tests once it lands.

use std::process::{Command, Stdio};

use crate::support::{output_in, root};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `evrule args` from the repository root; output that is not UTF-8 is
/// shown lossily (hostile inputs may be echoed).
fn evrule(args: &[&str]) -> Run {
    let out = output_in(&root(), args, b"");
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_no_panic(r: &Run) {
    assert_ne!(r.code, 101, "panicked: {}", r.stderr);
    for word in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!r.stderr.contains(word), "{word} in stderr: {}", r.stderr);
    }
}

/// `list` on one file: exit 2, and stderr is exactly one line naming the
/// file; returns that line. `check` reports the same problem as a finding
/// (exit 1, on stdout, issue 11), with the same position and message.
fn unreadable(path: &str) -> String {
    let r = evrule(&["list", path]);
    assert_no_panic(&r);
    assert_eq!(r.code, 2, "list {path}: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "list {path}: {}", r.stderr);
    assert!(
        lines[0].starts_with(&format!("evrule: {path}")),
        "list: {}",
        lines[0]
    );
    let line = lines[0].to_string();
    let r = evrule(&["check", path]);
    assert_no_panic(&r);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""), "check {path}");
    let first = r.stdout.lines().next().unwrap_or_default();
    // `evrule: PATH:LINE:COLUMN: MESSAGE`, or `evrule: PATH: MESSAGE` for
    // the file as a whole (which `check` puts at 1:1).
    let rest = &line[format!("evrule: {path}").len()..];
    let (place, message) = match rest.strip_prefix(": ") {
        Some(message) => (format!("{path}:1:1"), message.to_string()),
        None => {
            let mut parts = rest[1..].splitn(3, ':');
            let (l, c) = (parts.next().unwrap(), parts.next().unwrap());
            let message = parts.next().unwrap().trim_start().to_string();
            (format!("{path}:{l}:{c}"), message)
        }
    };
    assert!(
        first.starts_with(&format!("{place}: error: ")) && first.ends_with(&message),
        "check {path}: {first} (list said {line})"
    );
    line
}

#[test]
fn binary_garbage() {
    let line = unreadable("testdata/hostile/garbage.bin");
    assert!(line.ends_with(": invalid UTF-8"), "{line}");
    // The same bytes under every extension the readers know.
    let dir = tempfile::tempdir().unwrap();
    let garbage = std::fs::read(root().join("testdata/hostile/garbage.bin")).unwrap();
    for name in ["g.json", "g.yaml", "g.yml", "g.tf", "g.template"] {
        let f = dir.path().join(name);
        std::fs::write(&f, &garbage).unwrap();
        let line = unreadable(f.to_str().unwrap());
        assert!(line.contains("invalid UTF-8"), "{line}");
    }
}

#[test]
fn invalid_utf8() {
    let line = unreadable("testdata/hostile/invalid-utf8.json");
    assert_eq!(
        line,
        "evrule: testdata/hostile/invalid-utf8.json:1:47: invalid UTF-8"
    );
}

#[test]
fn truncated_and_nul_and_utf16() {
    for f in [
        "testdata/hostile/truncated.json",
        "testdata/hostile/nul-bytes.json",
        "testdata/hostile/utf16.json",
    ] {
        unreadable(f);
    }
    let line = unreadable("testdata/hostile/truncated.json");
    assert!(line.contains("invalid JSON"), "{line}");
}

#[test]
fn yaml_alias_bomb() {
    let line = unreadable("testdata/hostile/alias-bomb.yaml");
    assert!(line.contains("aliases"), "{line}");
}

#[test]
fn deep_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let deep = 100_000;
    let cases = [
        (
            "deep.json",
            format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        ),
        (
            "deep-pattern.json",
            format!(r#"{{"source": {}{}}}"#, "[".repeat(deep), "]".repeat(deep)),
        ),
        (
            "deep.yaml",
            format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        ),
        ("deep-block.yaml", {
            let mut s = String::new();
            for i in 0..2_000 {
                s.push_str(&" ".repeat(i));
                s.push_str("a:\n");
            }
            s
        }),
        ("deep.tf", {
            let mut s = String::from("resource \"aws_cloudwatch_event_rule\" \"r\" {\n");
            s.push_str(&"x { ".repeat(deep));
            s.push_str(&"} ".repeat(deep));
            s.push_str("}\n");
            s
        }),
    ];
    for (name, text) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        let line = unreadable(f.to_str().unwrap());
        assert!(
            line.contains("nesting") || line.contains("deep"),
            "{name}: {line}"
        );
    }
}

#[test]
fn deeply_nested_pattern_inside_a_valid_file() {
    // The file reads fine; the pattern in it is too deep: a check failure
    // for that rule (exit 1), not a crash.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("rules.json");
    let pattern = format!(r#"{}["x"]{}"#, r#"{"a": "#.repeat(100), "}".repeat(100));
    std::fs::write(
        &f,
        format!(r#"{{"Rules": [{{"Name": "deep", "EventPattern": {pattern:?}}}]}}"#),
    )
    .unwrap();
    let r = evrule(&["check", f.to_str().unwrap()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(out.contains("deep"), "{out}");
    assert!(out.contains("nesting depth"), "{out}");
}

#[test]
fn nonexistent_file() {
    for cmd in ["check", "list"] {
        let r = evrule(&[cmd, "testdata/hostile/no-such-file.json"]);
        assert_no_panic(&r);
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (
                2,
                "evrule: testdata/hostile/no-such-file.json: no such file or directory\n"
            )
        );
    }
}

/// Run with stdout a pipe whose reading end is closed at once: output far
/// larger than a pipe buffer, so the writer must meet the closed pipe.
fn closed_stdout(args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run evrule");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn closed_stdout_is_not_a_crash() {
    // `list` over the fixtures 200 times: well over 64 KiB of output.
    let mut args = vec!["list"];
    args.extend(std::iter::repeat_n("testdata/rules", 200));
    let r = closed_stdout(&args);
    assert_no_panic(&r);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    // `check` with problems to report (the fixtures include broken rules).
    let mut args = vec!["check"];
    args.extend(std::iter::repeat_n("testdata/rules", 200));
    let r = closed_stdout(&args);
    assert_no_panic(&r);
    assert!(r.code == 0 || r.code == 1, "{}: {}", r.code, r.stderr);
}
