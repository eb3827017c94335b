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
    after_help = "Examples:\n  evrule check rules/\n  evrule list --format json template.yaml\n\nExit codes: 0 success, 1 a check failed or nothing was found, 2 error.\n`test-event-pattern` uses the AWS CLI's codes instead: 0 answered,\n252 bad usage, 254 invalid pattern or event."
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
    /// Run events through rules: which rules each event matches.
    #[command(name = "match", after_help = MATCH_EXAMPLES)]
    Match(MatchFlags),
    /// Measure matching speed over a file of events.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchFlags),
    /// Drop-in for `aws events test-event-pattern`, offline.
    #[command(after_help = TEST_EVENT_PATTERN_EXAMPLES)]
    TestEventPattern(TestEventPatternFlags),
    /// Write a realistic example event (S3, CloudTrail, API Gateway).
    #[command(after_help = sample_help())]
    Sample(Box<SampleFlags>),
    /// Print shell completions.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsFlags),
    /// Explain, condition by condition, why rules match an event or not.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainFlags),
    /// Run test suites: events and the rules each must match.
    #[command(after_help = TEST_EXAMPLES)]
    Test(TestFlags),
    /// Run a local event bus: route events through rules to their targets.
    #[command(after_help = ROUTE_EXAMPLES)]
    Route(RouteFlags),
    /// Re-send a time window of archived events through the current rules.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayFlags),
    /// Serve the EventBridge API on localhost for AWS SDKs and the AWS CLI.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeFlags),
    /// Open the sandbox page: write a pattern, pick an event, see why it matches.
    #[command(after_help = SANDBOX_EXAMPLES)]
    Sandbox(SandboxFlags),
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

const MATCH_EXAMPLES: &str = "Examples:
  evrule match --rules rules.json events.ndjson
  evrule match --rules infra/ --format json events/ archive.ndjson.gz
  aws s3 cp s3://bucket/events.ndjson - | evrule match --rules rules.yaml --count

Events: NDJSON, a JSON array of events, one (pretty-printed) event per file,
any of these gzipped; directories are searched for *.json, *.jsonl,
*.ndjson (and .gz); no path or `-` reads standard input.
Rules: any format `evrule check` reads; DISABLED rules never match.

A line or document that is not a valid event is reported on stderr as
`FILE:LINE:COLUMN: invalid event: REASON`, at the place of the problem
in the file; the other events are still matched, and the run ends with
exit code 2. `--format json` gives each event's index, file and 1-based
line (`error_line` and `error_column` for an invalid one); `--count` ends with the number of events
read, matched and invalid.

Exit codes: 0 some event matched, 1 no event matched, 2 error (invalid
rules, unreadable input, an invalid event).";

const BENCH_EXAMPLES: &str = "Examples:
  evrule bench --rules testdata/bench/rules citylots2.jsonl.gz
  evrule bench --rules rules.json --passes 10 --format json events.ndjson
  evrule bench --compare --rules testdata/bench/rules citylots2.jsonl.gz

Loads every event into memory, runs one warm-up pass and N timed passes and
reports the median pass.

--compare makes one row per rule file (and one for all of them) and
measures on one thread, taking turns pass by pass: serde_json parsing each
event into IgnoredAny (no matching), evrule strict, evrule trusted and the
quamina crate. quamina is left out of a row when it refuses a pattern or
its matches differ from evrule's for any rule.

Exit codes: 0 success, 2 error.";

const TEST_EVENT_PATTERN_EXAMPLES: &str = "Examples:
  evrule test-event-pattern --event-pattern '{\"source\": [\"aws.s3\"]}' --event file://event.json
  evrule test-event-pattern --event-pattern file://pattern.json --event file://event.json

Values are inline JSON or file://PATH, as for the AWS CLI. The event needs
id, account, source, time, region and detail-type.

Exit codes (the AWS CLI's): 0 answered (true or false), 252 bad usage,
254 invalid pattern or event.";

const SAMPLE_EXAMPLES: &str = "Examples:
  evrule sample object-created --bucket uploads --key photos/cat.jpg --size 2048 > ev.json
  evrule sample \"Object Deleted\" --reason \"Lifecycle Expiration\"
  evrule sample cloudtrail --event-source s3.amazonaws.com --event-name PutBucketPolicy
  evrule sample s3-legacy --event-name ObjectRemoved:Delete
  evrule sample --list

Without flags the output is fixed (ids and times included), so it can be
pinned in tests.";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  evrule completions bash > /etc/bash_completion.d/evrule
  evrule completions zsh > \"${fpath[1]}/_evrule\"
  evrule completions fish > ~/.config/fish/completions/evrule.fish";

fn sample_help() -> String {
    format!(
        "{SAMPLE_EXAMPLES}\n\nKinds:\n{}",
        crate::catalogue::kinds_help()
    )
}

/// Output formats of `match` and `bench`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MatchFormat {
    /// Readable lines.
    #[default]
    Human,
    /// JSON (one object per line for `match`, one object for `bench`).
    Json,
}

/// `evrule match`.
#[derive(Debug, Args)]
pub struct MatchFlags {
    /// A rule file or directory (repeat for more).
    #[arg(long = "rules", short = 'r', value_name = "PATH", required = true)]
    pub rules: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: MatchFormat,

    /// Print how many events each rule matched instead of one line per event.
    #[arg(long)]
    pub count: bool,

    /// Match on N threads; output stays in input order. Default: one per
    /// core for files, one for standard input (each event answered at once).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Trust events to be well-formed JSON: skip checking the parts no rule reads.
    #[arg(long)]
    pub trusted: bool,

    /// A CloudFormation parameter value, overriding its default (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// Event files or directories; `-` or nothing for standard input.
    #[arg(value_name = "EVENTS")]
    pub events: Vec<PathBuf>,
}

/// `evrule bench`.
#[derive(Debug, Args)]
pub struct BenchFlags {
    /// A rule file or directory (repeat for more).
    #[arg(long = "rules", short = 'r', value_name = "PATH", required = true)]
    pub rules: Vec<PathBuf>,

    /// Timed passes over all events (after one warm-up pass).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub passes: usize,

    /// Match on N threads, each a share of the events with its own cache;
    /// a pass lasts until the last one is done.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1)]
    pub threads: usize,

    /// Trust events to be well-formed JSON: skip checking the parts no rule reads.
    #[arg(long)]
    pub trusted: bool,

    /// One row per rule file: strict, trusted, quamina and serde_json
    /// (parsing only) in the same run, on one thread.
    #[arg(long, conflicts_with_all = ["trusted", "threads"])]
    pub compare: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: MatchFormat,

    /// A CloudFormation parameter value, overriding its default (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// Event files or directories; `-` or nothing for standard input.
    #[arg(value_name = "EVENTS")]
    pub events: Vec<PathBuf>,
}

/// `evrule test-event-pattern`: the AWS CLI's flags.
#[derive(Debug, Args)]
pub struct TestEventPatternFlags {
    /// The event pattern: JSON, or file://PATH.
    #[arg(long, value_name = "VALUE")]
    pub event_pattern: Option<String>,

    /// The event: JSON, or file://PATH.
    #[arg(long, value_name = "VALUE")]
    pub event: Option<String>,

    /// Both parameters as one JSON object (`{"EventPattern": ..., "Event": ...}`), or file://PATH.
    #[arg(long, value_name = "VALUE")]
    pub cli_input_json: Option<String>,

    /// Output format, as the AWS CLI's `--output`.
    #[arg(long, value_enum, default_value_t = AwsOutput::Json)]
    pub output: AwsOutput,

    /// Accepted for compatibility; nothing is sent anywhere.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Accepted for compatibility; nothing is sent anywhere.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Accepted for compatibility; nothing is sent anywhere.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Accepted for compatibility (there is no pager).
    #[arg(long)]
    pub no_cli_pager: bool,
}

/// The AWS CLI's output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AwsOutput {
    /// Pretty-printed JSON with a 4-space indent.
    Json,
    /// Tab-separated values (`True` / `False`).
    Text,
    /// YAML.
    Yaml,
}

/// `evrule sample`.
#[derive(Debug, Args)]
pub struct SampleFlags {
    /// The kind of event (see --list); an S3 detail-type such as "Object Created" works too.
    #[arg(value_name = "KIND", required_unless_present = "list", value_parser = SampleKind)]
    pub kind: Option<String>,

    /// List the kinds.
    #[arg(long, conflicts_with = "kind")]
    pub list: bool,

    /// Bucket name.
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,

    /// Object key.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// Object size in bytes.
    #[arg(long, value_name = "BYTES")]
    pub size: Option<u64>,

    /// `detail.reason` (PutObject, CopyObject, DeleteObject, Lifecycle Expiration, ...).
    #[arg(long, value_name = "REASON")]
    pub reason: Option<String>,

    /// `detail.deletion-type` (Permanently Deleted, Delete Marker Created).
    #[arg(long, value_name = "TYPE")]
    pub deletion_type: Option<String>,

    /// CloudTrail `eventSource` (e.g. s3.amazonaws.com); also sets `source` (aws.s3).
    #[arg(long, value_name = "SERVICE")]
    pub event_source: Option<String>,

    /// CloudTrail `eventName` (CreateBucket, ...) or legacy S3 `eventName` (ObjectCreated:Put, ...).
    #[arg(long, value_name = "NAME")]
    pub event_name: Option<String>,

    /// Envelope `source`.
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,

    /// Envelope `detail-type`.
    #[arg(long, value_name = "TEXT")]
    pub detail_type: Option<String>,

    /// Envelope `detail`, as JSON (apigw-putevents).
    #[arg(long, value_name = "JSON")]
    pub detail: Option<String>,

    /// Region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Account id.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// Event time (RFC 3339, e.g. 2024-05-01T12:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,

    /// Event id.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,

    /// Source IP address of the request.
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<String>,

    /// `detail.requester` (an account id or a service principal).
    #[arg(long, value_name = "WHO")]
    pub requester: Option<String>,

    /// Object ETag.
    #[arg(long, value_name = "ETAG")]
    pub etag: Option<String>,

    /// Object version id.
    #[arg(long, value_name = "ID")]
    pub version_id: Option<String>,

    /// Storage class: `source-storage-class` (restores) or `destination-storage-class`.
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,

    /// `detail.destination-access-tier` (ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS).
    #[arg(long, value_name = "TIER")]
    pub access_tier: Option<String>,

    /// Event bus name (apigw-putevents --entry).
    #[arg(long, value_name = "NAME")]
    pub event_bus: Option<String>,

    /// apigw-putevents: print the PutEvents request API Gateway sends instead of the event EventBridge delivers.
    #[arg(long)]
    pub entry: bool,
}

/// Parses a sample kind as it is written (`sample` itself says which
/// kinds exist, and accepts detail-types too), but offers the kinds'
/// names to shell completions.
#[derive(Clone, Copy, Debug)]
struct SampleKind;

impl clap::builder::TypedValueParser for SampleKind {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::catalogue::kind_names().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// `evrule completions`.
#[derive(Debug, Args)]
pub struct CompletionsFlags {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

const EXPLAIN_EXAMPLES: &str = "Examples:
  evrule explain --rules rules.yaml event.json
  evrule explain --rules template.yaml --rule large-images --format json event.json
  cat event.json | evrule explain -r rules/ -r template.yaml -
  evrule explain -r rules.yaml events.ndjson.gz

Events are read as `evrule match` reads them: NDJSON, a JSON array, one or
more pretty-printed documents, gzipped or not, files, directories or
standard input. With more than one event each is headed `event FILE:LINE`
(JSON: `event`, `event_file`, `event_line`). A line or document that is not
a valid event is reported on stderr as `FILE:LINE:COLUMN: invalid event:
REASON`; the other events are still explained, and the run ends with exit code 2.

Exit codes: 0 some explained rule matches, 1 none matches, 2 error (unreadable
or invalid rule, unknown rule name, an invalid or unreadable event).";

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
    #[arg(long = "rules", short = 'r', required = true, value_name = "PATH")]
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

    /// Event files or directories, read as `match` reads them; `-` or
    /// nothing for standard input.
    #[arg(value_name = "EVENTS")]
    pub events: Vec<PathBuf>,
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

A suite that cannot run (unreadable, an invalid rule, an unknown rule name
in expect) and a case whose event is not a valid event are errors: the
other suites and cases still run, each error is an errored test case in
the JUnit report (always written), and the run ends with exit code 2.

Exit codes: 0 every case passes, 1 a case fails, 2 error (a suite or a
case could not run).";

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

const ROUTE_EXAMPLES: &str = "Examples:
  evrule route --config bus.yaml events.ndjson
  tail -f events.ndjson | evrule route --config bus.yaml --archive archive/
  evrule route --config bus.yaml --format json - < events.ndjson
  evrule route --config bus.yaml --engine nats://127.0.0.1:4222 --worker
  evrule route --config bus.yaml --engine nats://127.0.0.1:4222 events.ndjson

Exit codes: 0 every delivery succeeded, 1 some were dead-lettered or dropped,
2 error (bad configuration, a target without a destination, unreadable or
invalid input).";

const REPLAY_EXAMPLES: &str = "Examples:
  evrule replay --archive archive/ --config bus.yaml --from 2024-05-01T00:00:00Z --to 2024-05-02T00:00:00Z
  evrule replay --archive archive/ --config bus.yaml --from 2024-05-01T10:00:00+02:00 --name fix-1
  evrule replay --engine nats://127.0.0.1:4222 --config bus.yaml --from 2024-05-01T00:00:00Z

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

    /// Deliver durably through NATS JetStream at URL (nats://HOST:PORT): events are
    /// published to the bus's stream (acknowledged once stored); workers deliver them.
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,

    /// With --engine: run a worker (match and deliver) until interrupted, instead of
    /// publishing events.
    #[arg(long, requires = "engine")]
    pub worker: bool,

    #[command(flatten)]
    pub engine_flags: EngineFlags,

    /// Event files or directories, read as `match` reads them; `-` or
    /// nothing for standard input.
    #[arg(value_name = "EVENTS")]
    pub events: Vec<PathBuf>,
}

/// Settings of `--engine` (NATS JetStream) for `route` and `replay`.
#[derive(Debug, Args)]
pub struct EngineFlags {
    /// With --engine: the bus (its stream is EVRULE_BUS_<NAME>).
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub bus: String,

    /// With --engine: how long a worker may hold work without a word before another
    /// takes it over, in milliseconds (consumers' AckWait; at least 1000).
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub lease_ms: u64,

    /// With --engine: partitions of each FIFO target (message groups hash onto them).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub fifo_partitions: u32,

    #[command(flatten)]
    pub access: EngineAccess,
}

/// How to reach NATS JetStream and what to create there: `route`, `replay`
/// and `serve` with `--engine`.
#[derive(Debug, Args)]
pub struct EngineAccess {
    /// With --engine: replace the rules the bucket holds by the ones given here
    /// (by default a rule already in the bucket is kept as it is).
    #[arg(long)]
    pub replace_rules: bool,

    /// With --engine: user name (the password from $EVRULE_ENGINE_PASSWORD).
    #[arg(long, value_name = "USER")]
    pub engine_user: Option<String>,

    /// With --engine: a .creds file (user JWT and NKey seed). A token is read
    /// from $EVRULE_ENGINE_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub engine_creds: Option<PathBuf>,

    /// With --engine: a file holding an NKey seed.
    #[arg(long, value_name = "FILE")]
    pub engine_nkey: Option<PathBuf>,

    /// With --engine: a PEM root certificate to trust (repeatable); TLS is then required.
    #[arg(long, value_name = "FILE")]
    pub engine_tls_ca: Vec<PathBuf>,

    /// With --engine: a PEM client certificate (with --engine-tls-key).
    #[arg(long, value_name = "FILE", requires = "engine_tls_key")]
    pub engine_tls_cert: Option<PathBuf>,

    /// With --engine: the client certificate's PEM key.
    #[arg(long, value_name = "FILE", requires = "engine_tls_cert")]
    pub engine_tls_key: Option<PathBuf>,

    /// With --engine: start TLS before the server's greeting (handshake_first servers).
    #[arg(long)]
    pub engine_tls_first: bool,

    /// With --engine: replicas of the streams and bucket the engine creates (3 on a
    /// three-node JetStream cluster).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub engine_replicas: usize,
}

/// `evrule replay`.
#[derive(Debug, Args)]
pub struct ReplayFlags {
    /// The archive directory written by `route --archive`.
    #[arg(long, value_name = "DIR", required_unless_present = "engine")]
    pub archive: Option<PathBuf>,

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

    /// Replay from the bus stream of NATS JetStream at URL instead of an archive
    /// directory; the deliveries go to the engine's workers.
    #[arg(long, value_name = "URL", conflicts_with = "archive")]
    pub engine: Option<String>,

    #[command(flatten)]
    pub engine_flags: EngineFlags,
}

const SERVE_EXAMPLES: &str = "Examples:
  evrule serve
  evrule serve --port 0 --state .evrule-state rules.yaml
  evrule serve --config bus.yaml --credentials ~/.aws/credentials
  aws --endpoint-url http://127.0.0.1:4010 events list-rules

Targets without a destination in --config deliver to the inbox:
  curl 'http://127.0.0.1:4010/_evrule/deliveries?target=ARN'

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 could not start.";

/// `evrule serve`.
#[derive(Debug, Args)]
pub struct ServeFlags {
    /// Rule files or directories (any format `check` reads), loaded with their
    /// targets into the default bus at start.
    #[arg(value_name = "RULES")]
    pub rules: Vec<PathBuf>,

    /// A bus configuration as `route` reads it: its `destinations` receive the
    /// targets with those ARNs; its rules are loaded too.
    #[arg(long, value_name = "BUS")]
    pub config: Option<PathBuf>,

    /// Port to listen on (0: any free port; the one chosen is printed).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,

    /// Address to listen on. Anything but loopback lets other machines in.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,

    /// Keep buses, rules, targets, archives and tags in DIR across restarts.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Verify SigV4 signatures against the keys of this AWS credentials file.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,

    /// Region of requests whose signature names none.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,

    /// Account of requests whose credentials name none.
    #[arg(long, default_value = "123456789012")]
    pub account: String,

    /// Most bytes of entries per PutEvents request, by AWS's size rule.
    #[arg(long, value_name = "BYTES", default_value_t = 262_144)]
    pub max_entries_size: usize,

    /// Deliveries kept per inbox target (older ones are dropped).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub inbox_capacity: usize,

    /// Most connections served at once.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,

    /// A CloudFormation parameter value for rule files (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// Store events and rules in NATS JetStream at URL (nats://HOST:PORT): PutEvents
    /// answers once JetStream stored each event, rule changes go to its rules bucket,
    /// and `evrule route --engine URL --worker` processes match and deliver.
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,

    #[command(flatten)]
    pub engine_access: EngineAccess,
}

const SANDBOX_EXAMPLES: &str = "Examples:
  evrule sandbox
  evrule sandbox --port 0

The page is also served by `evrule serve`, at /_evrule/sandbox, with the
server's rules. The sandbox listens on loopback only.

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 could not start.";

/// `evrule sandbox`.
#[derive(Debug, Args)]
pub struct SandboxFlags {
    /// Port to listen on, on 127.0.0.1 (0: any free port; the URL is printed).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,
}
