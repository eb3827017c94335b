//! The CLI's integration tests, in one test binary (one link instead of one
//! per file). Each file of this folder is a module; `support` runs the built
//! `evrule` and builds fixtures. `cargo test -p evrule-cli --test cli route`
//! runs a part.

mod support;

mod cli;
mod engine;
mod events;
mod explain;
mod fuzz_corpus;
mod hostile;
mod issue11;
mod messages;
mod readme;
mod realworld;
mod route;
mod sandbox;
mod serve;

/// A test file that is not declared above would silently never run
/// (`autotests = false`): every `.rs` file here must be a module.
#[test]
fn every_test_file_is_a_module() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let main = std::fs::read_to_string(format!("{dir}/main.rs")).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && stem != "main" {
            assert!(
                main.contains(&format!("\nmod {stem};\n")),
                "cli/tests/{stem}.rs is not declared in cli/tests/main.rs"
            );
        }
    }
}
