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
    let cli = parse();
    let color = output::use_color(cli.color);
    let exit = match cli.command {
        Command::Check(flags) => cmd::check::run(flags, color),
        Command::List(flags) => cmd::list::run(flags, color),
        Command::Match(flags) => cmd::match_::run(flags, color),
        Command::Bench(flags) => cmd::bench::run(flags, color),
        Command::TestEventPattern(flags) => {
            return ExitCode::from(cmd::test_event_pattern::run(flags))
        }
        Command::Sample(flags) => cmd::sample::run(*flags),
        Command::Completions(flags) => cmd::completions::run(flags),
        Command::Explain(flags) => cmd::explain::run(flags, color),
        Command::Test(flags) => cmd::test::run(flags, color),
        Command::Route(flags) => cmd::route::run(flags),
        Command::Replay(flags) => cmd::replay::run(flags),
        Command::Serve(flags) => cmd::serve::run(flags),
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
