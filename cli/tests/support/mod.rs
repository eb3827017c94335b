//! Helpers shared by the CLI tests: run the built `evrule` binary and
//! collect what it printed; build temporary fixtures.

#![allow(dead_code)]

pub mod browser;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;

/// The repository root (where README.md and `testdata/` are).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What one run of `evrule` printed, and its exit code.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Output that must be UTF-8 (everything evrule prints is).
    fn strict(out: Output) -> Run {
        Run {
            code: out.status.code().expect("exit code, not a signal"),
            stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        }
    }
}

/// Run `evrule args` in `dir` with `stdin` as its standard input (written
/// from a thread of its own, so a large input cannot dead-lock against a
/// full stdout pipe). `NO_COLOR` is removed so colour depends on the flags.
pub fn output_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run evrule");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    // A command that does not read its input closes the pipe: not an error.
    let writer = thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("wait for evrule");
    writer.join().expect("stdin writer");
    out
}

/// [`output_in`], with output that must be UTF-8.
pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    Run::strict(output_in(dir, args, stdin))
}

/// `evrule args` from the repository root, with empty input.
pub fn evrule(args: &[&str]) -> Run {
    run_in(&root(), args, b"")
}

/// A temporary directory holding the given files (`name` may hold `/`).
pub fn fixture(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

/// `bytes`, gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
