//! Replays the committed `rule_files` fuzz corpus (`fuzz/corpus/rule_files/`)
//! through the same function the fuzz target calls (the CLI's rule-file
//! readers), so that CI keeps fixed bugs fixed without cargo-fuzz.

#[path = "../../fuzz/src/rule_files.rs"]
mod rule_files;

use std::path::PathBuf;

#[test]
fn rule_files_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/rule_files");
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
        if std::panic::catch_unwind(|| rule_files::rule_files(&data)).is_err() {
            failed.push(f.display().to_string());
        }
    }
    let _ = std::fs::remove_dir(rule_files::scratch_dir());
    assert!(failed.is_empty(), "failing corpus files: {failed:#?}");
}
