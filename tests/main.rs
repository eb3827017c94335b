//! The library's integration tests, in one test binary (one link instead of
//! one per file). Each file of this folder is a module; `support` holds what
//! several of them share. `cargo test --test integration <name>` runs a part.

mod support;

mod concurrency;
mod conformance;
mod explain;
mod fuzz_corpus;
mod hostile;
mod import_cycles;
mod live_updates;
mod matcher_conformance;
mod no_alloc;
mod numbers;
mod pattern_errors;
mod properties;
mod reference;
mod regressions;
mod route_archive;
mod route_delivery;
mod route_matcher;
mod route_transform;
mod strict_validation;

/// Counts allocations for `no_alloc`, on the threads that ask it to.
#[global_allocator]
static ALLOCATOR: no_alloc::Counting = no_alloc::Counting;

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
                "tests/{stem}.rs is not declared in tests/main.rs"
            );
        }
    }
}
