//! The `evrule` command-line tool.
//!
//! Layout:
//!
//! - `flags`: the raw clap flags of every command;
//! - `cmd/<name>.rs`: one file per command, each with `run(flags, ..) ->
//!   Exit`; commands use the shared modules below, never each other;
//! - `diagnostics`: problems in rules (`Problem`, `Severity`) and their
//!   renderers (human, JSON, GitHub, SARIF), shared by every command that
//!   reads rules;
//! - `rules`: rule files to a matcher or to parsed patterns, refusing
//!   invalid rules with `check`'s messages (`match`, `bench`, `explain`,
//!   `test`);
//! - `events`: event inputs (files, directories, `.gz`, NDJSON, stdin);
//! - `bus`: the local bus behind `route` and `replay` (configuration,
//!   destinations, input thread, summary);
//! - `output`: exit codes, colour, broken pipes, snippets, and `refuse`,
//!   the one way a command stops on invalid flags;
//! - from the `evrule_cli` library: `sources` (rule files of every
//!   format) and `walk` (the one directory walk).
//!
//! `main` only dispatches and turns the outcome into an exit code.

mod bus;
mod catalogue;
mod cmd;
mod diagnostics;
mod events;
mod flags;
mod output;
mod parallel;
mod rules;
use evrule_cli::sources;

use std::process::ExitCode;

use clap::Parser;

use flags::{Cli, Command};

fn main() -> ExitCode {
    let cli = parse();
    let color = output::use_color(cli.color);
    let exit = match cli.command {
        Command::Check(flags) => cmd::check::run(flags, color),
        Command::List(flags) => cmd::list::run(flags, color),
        Command::Match(flags) => cmd::matching::run(flags, color),
        Command::Bench(flags) => cmd::bench::run(flags, color),
        Command::TestEventPattern(flags) => cmd::test_event_pattern::run(flags),
        Command::Sample(flags) => cmd::sample::run(*flags),
        Command::Completions(flags) => cmd::completions::run(flags),
        Command::Explain(flags) => cmd::explain::run(flags, color),
        Command::Test(flags) => cmd::test::run(flags, color),
        Command::Route(flags) => cmd::route::run(flags),
        Command::Replay(flags) => cmd::replay::run(flags),
        // The sample events of the sandbox page are `sample`'s; main hands
        // them over, as commands never call each other.
        Command::Serve(flags) => cmd::serve::run(flags, cmd::sample::samples()),
        Command::Sandbox(flags) => cmd::sandbox::run(flags, cmd::sample::samples()),
    };
    exit.into()
}

/// Parse the command line. `test-event-pattern` stands in for the AWS CLI,
/// so its usage errors end with the AWS CLI's exit code (252).
fn parse() -> Cli {
    Cli::try_parse().unwrap_or_else(|e| {
        let aws = std::env::args().any(|a| a == "test-event-pattern");
        if aws && e.use_stderr() {
            let _ = e.print();
            std::process::exit(cmd::test_event_pattern::USAGE_ERROR.into());
        }
        e.exit()
    })
}
