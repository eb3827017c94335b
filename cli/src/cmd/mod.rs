//! One module per subcommand. Each has `run(flags, color) -> Exit`, which
//! validates its flags into settings, does the work and writes the output.

pub mod bench;
pub mod check;
pub mod completions;
pub mod explain;
pub mod list;
pub mod match_;
pub mod replay;
pub mod route;
pub mod sample;
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
