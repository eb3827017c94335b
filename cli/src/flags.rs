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
    /// Explain, condition by condition, why rules match an event or not.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainFlags),
    /// Run test suites: events and the rules each must match.
    #[command(after_help = TEST_EXAMPLES)]
    Test(TestFlags),
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

const EXPLAIN_EXAMPLES: &str = "Examples:
  evrule explain --rules rules.yaml event.json
  evrule explain --rules template.yaml --rule large-images --format json event.json
  cat event.json | evrule explain --rules rules/ --rules template.yaml -

Exit codes: 0 some explained rule matches, 1 none matches, 2 error (unreadable
or invalid rule, unknown rule name, event not a JSON object).";

/// Output formats of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// The verdict, then one indented line per field and per value.
    Human,
    /// One JSON object per line per rule.
    Json,
}

/// `evrule explain`.
#[derive(Debug, Args)]
pub struct ExplainFlags {
    /// A file or directory holding rules (repeatable; directories are searched recursively).
    #[arg(long = "rules", required = true, value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Explain only the rule with this name.
    #[arg(long, value_name = "NAME")]
    pub rule: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,

    /// A CloudFormation parameter value, overriding its default (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// The event: a file holding one JSON object, or `-` for stdin.
    #[arg(value_name = "EVENT")]
    pub event: PathBuf,
}

const TEST_EXAMPLES: &str = "Examples:
  evrule test tests/rules.suite.yaml
  evrule test --junit report.xml suites/*.yaml

A suite file (YAML or JSON):
  rules:                       # rule files (relative to the suite), or inline rules
    - ../rules/s3.yaml
    - name: big-uploads
      pattern: {source: [aws.s3], detail: {object: {size: [{numeric: [\">\", 1000]}]}}}
  cases:
    - name: png upload matches both
      event_file: ../events/s3-object-created.json   # or `event:` inline
      expect: [s3-object-created, big-uploads]       # exactly these match; [] for none

Exit codes: 0 every case passes, 1 a case fails, 2 error (unreadable suite,
invalid rule, unknown rule name in expect).";

/// Output formats of `test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// A line per case, failures explained, then `N passed, M failed`.
    Human,
    /// One JSON object per line per case, then a summary object.
    Json,
}

/// `evrule test`.
#[derive(Debug, Args)]
pub struct TestFlags {
    /// Also write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,

    /// A CloudFormation parameter value for rule files, overriding its default (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// Suite files.
    #[arg(required = true, value_name = "SUITE")]
    pub suites: Vec<PathBuf>,
}
