//! The rule-file readers of evrule: every file format that holds
//! EventBridge rules, read into rule records with positions, and the one
//! directory walk. The `evrule` binary (through `evrule_cli`), the fuzz
//! targets and the Python bindings all read rule files through this crate,
//! so that every front end finds the same rules at the same places.

pub mod sources;
pub mod walk;
