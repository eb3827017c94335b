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
    /// Run a local event bus: route events through rules to their targets.
    #[command(after_help = ROUTE_EXAMPLES)]
    Route(RouteFlags),
    /// Re-send a time window of archived events through the current rules.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayFlags),
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

const ROUTE_EXAMPLES: &str = "Examples:
  evrule route --config bus.yaml events.ndjson
  tail -f events.ndjson | evrule route --config bus.yaml --archive archive/
  evrule route --config bus.yaml --format json - < events.ndjson

Exit codes: 0 every delivery succeeded, 1 some were dead-lettered or dropped,
2 error (bad configuration, a target without a destination, unreadable or
invalid input).";

const REPLAY_EXAMPLES: &str = "Examples:
  evrule replay --archive archive/ --config bus.yaml --from 2024-05-01T00:00:00Z --to 2024-05-02T00:00:00Z
  evrule replay --archive archive/ --config bus.yaml --from 2024-05-01T10:00:00+02:00 --name fix-1

Exit codes: as for route.";

/// Output formats of `route` and `replay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RouteFormat {
    /// A summary on stderr.
    Human,
    /// The summary as one JSON object on stdout.
    Json,
}

/// `evrule route`.
#[derive(Debug, Args)]
pub struct RouteFlags {
    /// The bus configuration (YAML or JSON): rules, destinations, archive, delivery.
    #[arg(long, value_name = "BUS")]
    pub config: PathBuf,

    /// Archive incoming events in this directory (those matching the
    /// configuration's archive pattern, if it has one).
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,

    /// Delete archived events older than N days (0 keeps them forever).
    #[arg(long, value_name = "N")]
    pub retention_days: Option<u32>,

    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = RouteFormat::Human)]
    pub format: RouteFormat,

    /// Event files, one JSON event per line; stdin when none or `-`.
    #[arg(value_name = "EVENTS")]
    pub events: Vec<PathBuf>,
}

/// `evrule replay`.
#[derive(Debug, Args)]
pub struct ReplayFlags {
    /// The archive directory written by `route --archive`.
    #[arg(long, value_name = "DIR")]
    pub archive: PathBuf,

    /// Start of the window (RFC 3339, inclusive), by time of arrival.
    #[arg(long, value_name = "TIME")]
    pub from: String,

    /// End of the window (RFC 3339, exclusive); now when absent.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// The bus configuration whose current rules the events go through.
    #[arg(long, value_name = "BUS")]
    pub config: PathBuf,

    /// The replay's name, added to each event as `replay-name`
    /// (default: `replay-` and the start time in seconds since the epoch).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = RouteFormat::Human)]
    pub format: RouteFormat,
}
