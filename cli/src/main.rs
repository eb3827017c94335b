//! The `evrule` command-line tool.
//!
//! Layout: `flags` holds the raw clap flags of every command; each command
//! lives in `cmd/<name>.rs`, turns its flags into validated settings and
//! runs; `sources` reads rule files of every format; `output` holds what
//! commands share about writing (exit codes, colour, broken pipes).
//! `main` only dispatches and turns the outcome into an exit code.

mod cmd;
mod flags;
mod output;
use evrule_cli::sources;

use std::process::ExitCode;

use clap::Parser;

use flags::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = output::use_color(cli.color);
    let exit = match cli.command {
        Command::Check(flags) => cmd::check::run(flags, color),
        Command::List(flags) => cmd::list::run(flags, color),
    };
    exit.into()
}
