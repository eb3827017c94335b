//! The rule-file readers of the `evrule` binary, as a library, so that the
//! fuzz targets (`fuzz/`) and tests can reach them. They live in the
//! `evrule-sources` crate (shared with the Python bindings, which must not
//! build the CLI's dependencies); the binary uses them from here.

pub use evrule_sources::{sources, walk};
