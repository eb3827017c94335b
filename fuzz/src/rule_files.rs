//! The `rule_files` fuzz target as a plain function: bytes through the
//! CLI's rule-file readers (`evrule_cli::sources`), the way `evrule check`
//! uses them. Included by `cli/tests/fuzz_corpus.rs` to replay the corpus.
//!
//! The first byte picks the file name (and so the reader: JSON, YAML,
//! Terraform, or sniffed); the rest is the file. The readers read from
//! disk, so each input is written to a file in a private temporary
//! directory first.

use std::path::PathBuf;

use evrule::{Limits, Pattern};
use evrule_cli::sources::{load_file, LoadOptions};

/// File names the first byte chooses from.
pub const NAMES: &[&str] = &[
    "rules.json",
    "rules.yaml",
    "rules.yml",
    "main.tf",
    "stack.template",
    "rules",
];

/// The private directory inputs are written to (one per process).
pub fn scratch_dir() -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("evrule-fuzz-rule-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// `rule_files`: never panics; every rule found can be located in its file
/// and its pattern parsed, with every error position mapped back.
pub fn rule_files(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let path = scratch_dir().join(NAMES[which as usize % NAMES.len()]);
    std::fs::write(&path, body).expect("write the scratch file");
    let options = LoadOptions {
        parameters: vec![("Env".to_string(), "prod".to_string())],
    };
    let loaded = load_file(&path, true, &options);
    let _ = std::fs::remove_file(&path);
    let rules = match loaded {
        Ok(rules) => rules,
        Err(e) => {
            assert_eq!(e.path, path, "the error names the file");
            let shown = e.to_string();
            assert!(shown.starts_with(&*path.to_string_lossy()), "{shown}");
            return;
        }
    };
    for rule in &rules {
        let _ = rule.line();
        let _ = rule.locate(None);
        let _ = rule.unresolved_list();
        for u in &rule.unresolved {
            let _ = rule.locate_in_file(u.offset);
        }
        let Some(text) = &rule.pattern else { continue };
        for offset in [0, text.len() / 2, text.len(), text.len() + 1] {
            let _ = rule.locate(Some(offset));
        }
        if let Err(errors) = Pattern::parse_with(text, &Limits::new()) {
            for e in errors {
                let _ = rule.locate(e.offset());
            }
        }
    }
}
