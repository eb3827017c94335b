//! The rule-file readers of the `evrule` binary, as a library, so that the
//! fuzz targets (`fuzz/`) and tests can reach them. The binary uses the
//! same module from here.

pub mod sources;
pub mod walk;
