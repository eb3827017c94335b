//! One file per subcommand. Each has `run(flags, ..) -> Exit` (with
//! `color` when it styles its output), which turns its flags into settings
//! (`Settings::from_flags`, or `output::refuse` on invalid flags), does the
//! work and writes the output. Commands share code only through the
//! modules beside `cmd` (`diagnostics`, `rules`, `events`, `bus`,
//! `output`), never through each other.

pub mod bench;
pub mod check;
pub mod completions;
pub mod explain;
pub mod list;
pub mod matching;
pub mod replay;
pub mod route;
pub mod sample;
pub mod sandbox;
pub mod serve;
pub mod test;
pub mod test_event_pattern;

use crate::flags::SourceFlags;
use crate::output;
use crate::sources::LoadOptions;

/// Turn the shared source flags into load options.
pub fn load_options(flags: &SourceFlags) -> Result<LoadOptions, String> {
    Ok(LoadOptions {
        parameters: output::key_values("parameter", &flags.parameters)?,
    })
}
