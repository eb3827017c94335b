//! `evrule completions SHELL`: shell completion scripts, generated from the
//! same clap definitions the binary parses with, so they never drift.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::flags::{Cli, CompletionsFlags};
use crate::output::{self, Exit};

/// Run `completions`.
pub fn run(flags: CompletionsFlags) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(flags.shell, &mut command, "evrule", &mut script);
    output::finish(
        io::stdout()
            .lock()
            .write_all(&script)
            .map(|()| Exit::Success),
    )
}
