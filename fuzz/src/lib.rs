//! Shared code of the fuzz targets: each target is one function, so that
//! the corpus can be replayed by normal tests (`tests/fuzz_corpus.rs`,
//! `cli/tests/fuzz_corpus.rs`) through exactly the same code.

pub mod rule_files;
pub mod targets;
