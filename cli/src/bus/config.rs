//! The bus configuration: which rules, where their targets deliver, what to
//! archive and how to retry.
//!
//! ```yaml
//! rules:                  # rule files (any format `check` reads) or inline rules
//!   - template.yaml       #   in AWS's shape, with their Targets
//!   - Name: big-uploads
//!     EventPattern: {source: [aws.s3]}
//!     Targets: [{Id: q1, Arn: "arn:aws:sqs:us-east-1:123456789012:uploads"}]
//!   - Rule: from-a-file   # PutTargets: targets for a rule read from a file
//!     Targets: [{Id: t, Arn: Handler}]
//! destinations:           # target ARN / dead-letter ARN / logical ID -> URI
//!   arn:aws:sqs:us-east-1:123456789012:uploads: file:out/uploads.ndjson
//! archive: {dir: archive, pattern: {source: [aws.s3]}, retention_days: 7, fsync: never}
//! delivery: {backoff_base_ms: 1000, backoff_cap_ms: 300000, timeout_ms: 30000,
//!            workers: 4, queue_capacity: 1024, grace_ms: 10000}
//! parameters: {Stage: prod}   # CloudFormation parameters for templates
//! region: us-east-1           # used in rule ARNs
//! account: "123456789012"
//! ```
//!
//! Relative paths (rule files, `file:`/`dir:` destinations, the archive
//! directory, the working directory of `exec:` commands) are relative to
//! the configuration file's directory.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use evrule::route::{FsyncPolicy, Rule, RuleSet};

use super::destination::{resolve, DestinationSpec};
use crate::sources::doc::{Node, SourceFile, Value};
use crate::sources::{self, LoadOptions};

/// Top-level keys, for the unknown-key message.
const KEYS: &[&str] = &[
    "rules",
    "destinations",
    "archive",
    "delivery",
    "parameters",
    "region",
    "account",
];

/// A validated bus configuration.
#[derive(Debug)]
pub struct BusConfig {
    /// The configuration file, as given.
    pub path: PathBuf,
    /// Its directory: the base of relative paths.
    pub dir: PathBuf,
    /// Every rule with its targets, in load order.
    pub rules: Vec<Rule>,
    /// Where each rule was defined (`file:line`), by name, for messages.
    pub origins: HashMap<String, String>,
    /// Destination key (ARN or logical ID), the URI as written, and where
    /// it goes; in file order.
    pub destinations: Vec<(String, String, DestinationSpec)>,
    /// The `archive:` section.
    pub archive: ArchiveSettings,
    /// The `delivery:` section.
    pub delivery: DeliverySettings,
    /// Region for rule ARNs.
    pub region: Option<String>,
    /// Account for rule ARNs.
    pub account: Option<String>,
}

/// The `archive:` section.
#[derive(Debug, Default)]
pub struct ArchiveSettings {
    /// Where to archive when `--archive` is not given.
    pub dir: Option<PathBuf>,
    /// Only events matching this pattern (JSON text) are archived.
    pub pattern: Option<String>,
    /// Retention in days (0: forever).
    pub retention_days: Option<u32>,
    /// When to sync to disk.
    pub fsync: FsyncPolicy,
}

/// The `delivery:` section.
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// First retry back-off.
    pub backoff_base: Duration,
    /// Longest retry back-off.
    pub backoff_cap: Duration,
    /// How long an `exec:` command or an HTTP request may take.
    pub timeout: Duration,
    /// Delivery threads.
    pub workers: usize,
    /// Deliveries waiting before reading input pauses.
    pub queue_capacity: usize,
    /// After an interrupt, how long in-flight deliveries may go on.
    pub grace: Duration,
}

impl Default for DeliverySettings {
    fn default() -> DeliverySettings {
        DeliverySettings {
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
            workers: 4,
            queue_capacity: 1024,
            grace: Duration::from_secs(10),
        }
    }
}

/// Collects problems with their places.
struct Problems<'a> {
    file: &'a SourceFile,
    list: Vec<String>,
}

impl Problems<'_> {
    fn at(&mut self, node: &Node, message: impl std::fmt::Display) {
        let (line, column) = self.file.line_col(node.offset);
        self.list.push(format!(
            "{}:{line}:{column}: {message}",
            self.file.path().display()
        ));
    }
}

/// Read and validate a bus configuration; `Err` lists every problem found.
pub fn load(path: &Path) -> Result<BusConfig, Vec<String>> {
    let (file, docs) = sources::read_documents(path).map_err(|e| vec![e.to_string()])?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut problems = Problems {
        file: &file,
        list: Vec::new(),
    };
    let mut config = BusConfig {
        path: path.to_path_buf(),
        dir,
        rules: Vec::new(),
        origins: HashMap::new(),
        destinations: Vec::new(),
        archive: ArchiveSettings::default(),
        delivery: DeliverySettings::default(),
        region: None,
        account: None,
    };
    let root = match docs.as_slice() {
        [root] if root.as_map().is_some() => root,
        _ => {
            return Err(vec![format!(
                "{}: expected one mapping with `rules:` and `destinations:`",
                path.display()
            )])
        }
    };
    for (key, value) in root.as_map().unwrap_or_default() {
        let name = key.scalar_text().unwrap_or_default();
        if !KEYS.contains(&name.as_str()) {
            problems.at(
                key,
                format!(
                    "unknown key `{name}`{} (expected one of: {})",
                    did_you_mean(&name, KEYS, ""),
                    KEYS.join(", ")
                ),
            );
        } else if name == "region" || name == "account" {
            match value.scalar_text() {
                Some(v) if name == "region" => config.region = Some(v),
                Some(v) => config.account = Some(v),
                None => problems.at(value, format!("`{name}` must be a string")),
            }
        }
    }
    let mut options = LoadOptions::default();
    if let Some(params) = root.get("parameters") {
        match params.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    match (k.scalar_text(), v.scalar_text()) {
                        (Some(k), Some(v)) => options.parameters.push((k, v)),
                        _ => problems.at(v, "parameter values must be scalars"),
                    }
                }
            }
            None => problems.at(params, "`parameters` must be a mapping of name to value"),
        }
    }
    match root.get("rules") {
        Some(rules) => match rules.as_seq() {
            Some(items) => {
                config.rules = load_rules(
                    items,
                    &config.dir,
                    &options,
                    &mut config.origins,
                    &mut problems,
                )
            }
            None => problems.at(rules, "`rules` must be a list of rule files and rules"),
        },
        None => problems.at(root, "no `rules:` list"),
    }
    if let Some(dests) = root.get("destinations") {
        match dests.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    let key = k.scalar_text().unwrap_or_default();
                    let Some(uri) = v.as_str() else {
                        problems.at(v, format!("destination of {key} must be a string"));
                        continue;
                    };
                    match DestinationSpec::parse(uri, &config.dir) {
                        Ok(spec) => config.destinations.push((key, uri.to_string(), spec)),
                        Err(e) => problems.at(v, format!("destination of {key}: {e}")),
                    }
                }
            }
            None => problems.at(dests, "`destinations` must map ARNs to destinations"),
        }
    }
    if let Some(archive) = root.get("archive") {
        config.archive = archive_settings(archive, &config.dir, &mut problems);
    }
    if let Some(delivery) = root.get("delivery") {
        config.delivery = delivery_settings(delivery, &mut problems);
    }
    if problems.list.is_empty() {
        Ok(config)
    } else {
        Err(problems.list)
    }
}

fn load_rules(
    items: &[Node],
    dir: &Path,
    options: &LoadOptions,
    origins: &mut HashMap<String, String>,
    problems: &mut Problems<'_>,
) -> Vec<Rule> {
    let mut set = RuleSet::new();
    for item in items {
        match &item.value {
            Value::String(rel) => {
                let path = resolve(dir, rel);
                if let Err(list) = add_file(&mut set, &path, options, origins) {
                    problems.list.extend(list);
                }
            }
            // As text, so that the pattern keeps its numbers as written.
            Value::Map(_) => match sources::to_json_text(item) {
                Ok(json) => {
                    let before = set.rules().len();
                    if let Err(e) = set.add_json_text(&json) {
                        // Its line and column are in the JSON written for
                        // the rule; the item's own position is given.
                        let rule = e.rule().map(|r| format!("rule {r}: ")).unwrap_or_default();
                        let path = match e.path() {
                            "" => String::new(),
                            p => format!(" at {p}"),
                        };
                        problems.at(item, format!("{rule}{}{path}", e.message()));
                    }
                    let (line, column) = problems.file.line_col(item.offset);
                    let at = format!("{}:{line}:{column}", problems.file.path().display());
                    for rule in &set.rules()[before..] {
                        origins.insert(rule.name.clone(), at.clone());
                    }
                }
                Err(what) => problems.at(
                    item,
                    format!(
                        "unsupported value {what} (intrinsic functions are evaluated in \
                         CloudFormation templates only)"
                    ),
                ),
            },
            _ => problems.at(item, "a rule must be a file path or a rule in AWS's shape"),
        }
    }
    set.into_rules()
}

/// Add the rules of one rule file, with the targets the file gives them.
pub fn add_file(
    set: &mut RuleSet,
    path: &Path,
    options: &LoadOptions,
    origins: &mut HashMap<String, String>,
) -> Result<(), Vec<String>> {
    let rules = sources::load_file(path, true, options).map_err(|e| vec![e.to_string()])?;
    let mut targets = sources::load_targets(path, options).map_err(|e| vec![e.to_string()])?;
    let archives: HashSet<String> = targets
        .iter()
        .filter(|t| t.archive)
        .map(|t| t.rule.clone())
        .collect();
    let mut problems = Vec::new();
    for rule in rules {
        let at = format!("{}:{}", path.display(), rule.line());
        if archives.contains(&rule.name) {
            // An AWS::Events::Archive selects events to keep; it delivers nowhere.
            continue;
        }
        let Some(pattern) = rule.pattern.as_deref().filter(|_| rule.is_static()) else {
            problems.push(format!(
                "{at}: rule {}: its pattern depends on {}, which is not known before \
                 deployment ({})",
                rule.name,
                rule.unresolved_list(),
                rule.resolve_hint_in("`parameters:`")
            ));
            continue;
        };
        let mut json = serde_json::json!({
            "Name": rule.name,
            "EventPattern": pattern,
            "State": rule.state,
        });
        if let Some(i) = targets
            .iter()
            .position(|t| t.rule == rule.name && !t.archive)
        {
            let found = targets.remove(i);
            let mut list = Vec::new();
            for t in found.targets {
                match t {
                    Ok(t) => list.push(t),
                    Err(e) => problems.push(format!("{at}: rule {}: {e}", rule.name)),
                }
            }
            json["Targets"] = serde_json::Value::Array(list);
        }
        match set.add_json(&json) {
            Ok(()) => {
                origins.insert(rule.name.clone(), at);
            }
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn archive_settings(node: &Node, dir: &Path, problems: &mut Problems<'_>) -> ArchiveSettings {
    let mut settings = ArchiveSettings::default();
    let Some(entries) = node.as_map() else {
        problems.at(node, "`archive` must be a mapping");
        return settings;
    };
    for (k, v) in entries {
        match k.scalar_text().unwrap_or_default().as_str() {
            "dir" => match v.as_str() {
                Some(d) => settings.dir = Some(resolve(dir, d)),
                None => problems.at(v, "`archive.dir` must be a path"),
            },
            "pattern" => match &v.value {
                Value::String(s) => settings.pattern = Some(s.clone()),
                Value::Map(_) => match sources::to_json(v) {
                    Ok(json) => settings.pattern = Some(json.to_string()),
                    Err(what) => problems.at(v, format!("unsupported value {what}")),
                },
                _ => problems.at(v, "`archive.pattern` must be an event pattern"),
            },
            "retention_days" => {
                settings.retention_days = number(v, "archive.retention_days", problems)
            }
            "fsync" => match v.as_str() {
                Some("always") => settings.fsync = FsyncPolicy::Always,
                Some("never") => settings.fsync = FsyncPolicy::Never,
                _ => problems.at(v, "`archive.fsync` must be `always` or `never`"),
            },
            other => problems.at(
                k,
                format!(
                    "unknown key `archive.{other}`{} (expected dir, pattern, retention_days, fsync)",
                    did_you_mean(other, &["dir", "pattern", "retention_days", "fsync"], "archive.")
                ),
            ),
        }
    }
    settings
}

fn delivery_settings(node: &Node, problems: &mut Problems<'_>) -> DeliverySettings {
    let mut s = DeliverySettings::default();
    let Some(entries) = node.as_map() else {
        problems.at(node, "`delivery` must be a mapping");
        return s;
    };
    for (k, v) in entries {
        let key = k.scalar_text().unwrap_or_default();
        let what = format!("delivery.{key}");
        let ms = |problems: &mut Problems<'_>| number::<u64>(v, &what, problems);
        match key.as_str() {
            "backoff_base_ms" => {
                if let Some(n) = ms(problems) {
                    s.backoff_base = Duration::from_millis(n);
                }
            }
            "backoff_cap_ms" => {
                if let Some(n) = ms(problems) {
                    s.backoff_cap = Duration::from_millis(n);
                }
            }
            "timeout_ms" => match ms(problems) {
                Some(0) => problems.at(v, "`delivery.timeout_ms` must be at least 1"),
                Some(n) => s.timeout = Duration::from_millis(n),
                None => {}
            },
            "grace_ms" => {
                if let Some(n) = ms(problems) {
                    s.grace = Duration::from_millis(n);
                }
            }
            "workers" => match number::<usize>(v, &what, problems) {
                Some(0) => problems.at(v, "`delivery.workers` must be at least 1"),
                Some(n) => s.workers = n,
                None => {}
            },
            "queue_capacity" => match number::<usize>(v, &what, problems) {
                Some(0) => problems.at(v, "`delivery.queue_capacity` must be at least 1"),
                Some(n) => s.queue_capacity = n,
                None => {}
            },
            other => problems.at(
                k,
                format!(
                    "unknown key `delivery.{other}`{} (expected backoff_base_ms, backoff_cap_ms, \
                     timeout_ms, workers, queue_capacity, grace_ms)",
                    did_you_mean(
                        other,
                        &[
                            "backoff_base_ms",
                            "backoff_cap_ms",
                            "timeout_ms",
                            "workers",
                            "queue_capacity",
                            "grace_ms"
                        ],
                        "delivery."
                    )
                ),
            ),
        }
    }
    s
}

/// `; did you mean `PREFIXkey`?` for the key nearest to `key`, or nothing.
fn did_you_mean(key: &str, keys: &[&str], prefix: &str) -> String {
    sources::suggest::nearest(key, keys.iter().copied())
        .map_or_else(String::new, |k| format!("; did you mean `{prefix}{k}`?"))
}

fn number<T: std::str::FromStr>(node: &Node, what: &str, problems: &mut Problems<'_>) -> Option<T> {
    let parsed = match &node.value {
        Value::Number(n) => n.parse().ok(),
        _ => None,
    };
    if parsed.is_none() {
        problems.at(node, format!("`{what}` must be a whole number"));
    }
    parsed
}
