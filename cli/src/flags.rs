//! Raw command-line flags, as clap parses them. Nothing here is validated
//! beyond what clap checks; each command turns its flags into settings in
//! its own module (`cmd::<name>::Settings::from_flags`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Amazon EventBridge event patterns: validate, match, route.
#[derive(Debug, Parser)]
#[command(
    name = "evrule",
    version,
    after_help = "Examples:\n  evrule check rules/\n  evrule list --format json template.yaml\n\nExit codes: 0 success, 1 a check failed or nothing was found, 2 error."
)]
pub struct Cli {
    /// When to colour output: auto (only when stdout is a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every rule found in the given files and directories.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckFlags),
    /// List every rule found in the given files and directories.
    #[command(after_help = LIST_EXAMPLES)]
    List(ListFlags),
}

const CHECK_EXAMPLES: &str = "Examples:
  evrule check rules.yaml
  evrule check --format github --deny-warnings infra/
  evrule check --parameter Stage=prod template.yaml

Exit codes: 0 all rules valid, 1 a rule is invalid (or has warnings with
--deny-warnings), 2 a file could not be read.";

const LIST_EXAMPLES: &str = "Examples:
  evrule list infra/
  evrule list --format json cdk.out/

Exit codes: 0 rules found, 1 no rule found, 2 a file could not be read.";

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Flags shared by every command that reads rule files.
#[derive(Debug, Args)]
pub struct SourceFlags {
    /// Files or directories holding rules (directories are searched recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// A CloudFormation parameter value, overriding its default (repeatable).
    /// Pseudo parameters too: `--parameter AWS::Region=eu-west-1`.
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// `file:line:column: error[rule]: reason`, the source line and a caret.
    Human,
    /// One JSON object per line per problem.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
    /// A SARIF 2.1.0 document.
    Sarif,
}

/// `evrule check`.
#[derive(Debug, Args)]
pub struct CheckFlags {
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Longest accepted pattern, in characters (AWS: 2048, raisable to 4096).
    #[arg(long, value_name = "N")]
    pub max_pattern_len: Option<usize>,

    #[command(flatten)]
    pub sources: SourceFlags,
}

/// Output formats of `list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per rule.
    Human,
    /// One JSON object per line per rule.
    Json,
}

/// `evrule list`.
#[derive(Debug, Args)]
pub struct ListFlags {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,

    #[command(flatten)]
    pub sources: SourceFlags,
}
