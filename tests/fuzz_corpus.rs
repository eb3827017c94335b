//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`)
//! through the same functions the fuzz targets call, so that CI keeps fixed
//! bugs fixed without cargo-fuzz or a nightly compiler. The `rule_files`
//! corpus needs the CLI crate and is replayed by `cli/tests/fuzz_corpus.rs`.

// The fuzz targets bring their own copy of `support/ijson.rs`, as the fuzz
// workspace cannot see this crate's tests.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: failing corpus files: {failed:#?}"
    );
}

#[test]
fn pattern_parse_corpus() {
    replay("pattern_parse", targets::pattern_parse);
}

#[test]
fn event_match_corpus() {
    replay("event_match", targets::event_match);
}

#[test]
fn differential_corpus() {
    replay("differential", targets::differential);
}

#[test]
fn add_remove_corpus() {
    replay("add_remove", targets::add_remove);
}

#[test]
fn input_transformer_corpus() {
    replay("input_transformer", targets::input_transformer);
}
