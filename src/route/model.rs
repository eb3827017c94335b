//! Rules and targets in AWS's own JSON shapes, and their validation.
//!
//! The shapes are those of PutRule / PutTargets requests, `aws events
//! list-rules` / `list-targets-by-rule` output and CloudFormation
//! `AWS::Events::Rule` resources, so existing definitions load unchanged.
//! Validation happens at load time and speaks AWS's words where AWS has
//! them (`1 validation error detected: ...`).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::{Error, Kind};
use crate::json;
use crate::route::raw;
use crate::route::transform::{InputTransformerConfig, TargetInput};

/// AWS's default limit of targets per rule.
pub const DEFAULT_MAX_TARGETS: usize = 5;

fn routing(msg: impl Into<String>) -> Error {
    Error::new(Kind::Routing, msg)
}

/// AWS's "1 validation error detected" message for one field.
fn constraint(value: Option<&str>, field: &str, constraint: &str) -> Error {
    let value = match value {
        Some(v) => format!("Value '{v}' at '{field}'"),
        None => format!("Value at '{field}'"),
    };
    routing(format!(
        "1 validation error detected: {value} failed to satisfy constraint: {constraint}"
    ))
}

/// Checks a rule name or target id: 1-64 of `[.\-_A-Za-z0-9]`.
fn check_name(value: &str, field: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(constraint(
            Some(value),
            field,
            "Member must have length greater than or equal to 1",
        ));
    }
    if value.chars().count() > 64 {
        return Err(constraint(
            Some(value),
            field,
            "Member must have length less than or equal to 64",
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err(constraint(
            Some(value),
            field,
            r"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+",
        ));
    }
    Ok(())
}

/// Checks a replay name: AWS's replay names follow the rule name syntax.
pub(crate) fn check_replay_name(name: &str) -> Result<(), Error> {
    check_name(name, "replayName")
}

/// Whether a rule takes part in matching.
///
/// ```
/// use evrule::route::RuleState;
/// assert_eq!(RuleState::parse("DISABLED"), Some(RuleState::Disabled));
/// assert_eq!(RuleState::Enabled.as_str(), "ENABLED");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleState {
    /// The rule matches events (`ENABLED`, and also
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`).
    #[default]
    Enabled,
    /// The rule never matches (`DISABLED`).
    Disabled,
}

impl RuleState {
    /// Parse AWS's spelling; `None` for anything else.
    ///
    /// ```
    /// use evrule::route::RuleState;
    /// assert_eq!(RuleState::parse("ENABLED"), Some(RuleState::Enabled));
    /// assert_eq!(RuleState::parse("enabled"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Option<RuleState> {
        match text {
            "ENABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" => Some(RuleState::Enabled),
            "DISABLED" => Some(RuleState::Disabled),
            _ => None,
        }
    }

    /// AWS's spelling.
    ///
    /// ```
    /// assert_eq!(evrule::route::RuleState::Disabled.as_str(), "DISABLED");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
        }
    }
}

/// A rule: a named event pattern and the targets its matches go to.
///
/// ```
/// use evrule::route::{Rule, Target};
/// let rule = Rule::new("orders", r#"{"source": ["shop"]}"#)
///     .with_target(Target::new("q", "arn:aws:sqs:us-east-1:123456789012:orders"));
/// assert_eq!(rule.targets.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `Name`: 1-64 of `[.\-_A-Za-z0-9]`.
    pub name: String,
    /// `EventPattern` as JSON text; `None` for schedule-only rules, which
    /// never match events.
    pub event_pattern: Option<String>,
    /// `State`.
    pub state: RuleState,
    /// `Description`.
    pub description: Option<String>,
    /// `EventBusName`; `None` means the router's bus.
    pub event_bus_name: Option<String>,
    /// `Targets`.
    pub targets: Vec<Target>,
}

impl Rule {
    /// An enabled rule with a pattern and no targets.
    ///
    /// ```
    /// let rule = evrule::route::Rule::new("r", r#"{"source": ["a"]}"#);
    /// assert_eq!(rule.state, evrule::route::RuleState::Enabled);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(name: impl Into<String>, event_pattern: impl Into<String>) -> Rule {
        Rule {
            name: name.into(),
            event_pattern: Some(event_pattern.into()),
            state: RuleState::Enabled,
            description: None,
            event_bus_name: None,
            targets: Vec::new(),
        }
    }

    /// Add a target (builder style).
    ///
    /// ```
    /// use evrule::route::{Rule, Target};
    /// let rule = Rule::new("r", "{}").with_target(Target::new("t", "arn:x"));
    /// assert_eq!(rule.targets[0].id, "t");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_target(mut self, target: Target) -> Rule {
        self.targets.push(target);
        self
    }

    /// Load one rule from a PutRule request, a `list-rules` entry or the
    /// `Properties` of a CloudFormation `AWS::Events::Rule` (where
    /// `EventPattern` may be an object). An optional `Targets` array is
    /// loaded too. The rule is validated with the default target limit.
    ///
    /// ```
    /// let rule = evrule::route::Rule::from_json(&serde_json::json!({
    ///     "Name": "orders",
    ///     "EventPattern": {"source": ["shop"]},
    ///     "State": "ENABLED",
    ///     "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]
    /// }))?;
    /// assert_eq!(rule.event_pattern.as_deref(), Some(r#"{"source":["shop"]}"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// An object `EventPattern` is printed back from the `Value`, so its
    /// numbers are as exact as the caller's serde_json kept them: without
    /// serde_json's `arbitrary_precision` feature, `1.50` has become `1.5`
    /// and `1e400` cannot be read at all. [`Rule::from_json_text`] reads
    /// the text itself and keeps every number as written.
    pub fn from_json(value: &Value) -> Result<Rule, Error> {
        let rule = Rule::from_json_unchecked(value, None, &PatternTexts::default())?;
        rule.validate(DEFAULT_MAX_TARGETS)?;
        Ok(rule)
    }

    /// [`Rule::from_json`] for JSON text: an object `EventPattern` keeps
    /// its numbers exactly as written (their exponents written `e+5`),
    /// whatever features serde_json is built with. Errors name their line
    /// and column in `text`, and (but for syntax errors) the JSON path.
    ///
    /// ```
    /// let rule = evrule::route::Rule::from_json_text(r#"{
    ///     "Name": "big-orders",
    ///     "EventPattern": {"detail": {"total": [100.50, 1e400]}}
    /// }"#)?;
    /// assert_eq!(rule.event_pattern.as_deref(),
    ///            Some(r#"{"detail":{"total":[100.50,1e+400]}}"#));
    ///
    /// let err = evrule::route::Rule::from_json_text("{\n  \"Name\": \"r\",\n}").unwrap_err();
    /// assert_eq!((err.message(), err.line(), err.column()), ("trailing comma", Some(3), Some(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json_text(text: &str) -> Result<Rule, Error> {
        let (node, value, texts) = read_text(text)?;
        let rule =
            Rule::from_json_unchecked(&value, None, &texts).map_err(|e| locate(e, &node, text))?;
        rule.validate(DEFAULT_MAX_TARGETS)?;
        Ok(rule)
    }

    fn from_json_unchecked(
        value: &Value,
        default_name: Option<&str>,
        texts: &PatternTexts,
    ) -> Result<Rule, Error> {
        let obj = as_object(value, "")?;
        let name = match opt_str(obj, "Name", "")? {
            Some(n) => n.to_string(),
            None => match default_name {
                Some(n) => n.to_string(),
                None => return Err(routing("Rule has no Name").with_path("/Name")),
            },
        };
        let event_pattern = match obj.get("EventPattern") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ Value::Object(_)) => Some(texts.text(v)),
            Some(_) => {
                return Err(routing("EventPattern must be a string or an object")
                    .with_path("/EventPattern"))
            }
        };
        let state = match opt_str(obj, "State", "")? {
            None => RuleState::Enabled,
            Some(s) => RuleState::parse(s).ok_or_else(|| {
                constraint(
                    Some(s),
                    "state",
                    "Member must satisfy enum value set: \
                     [ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, DISABLED, ENABLED]",
                )
                .with_path("/State")
            })?,
        };
        let mut targets = Vec::new();
        if let Some(t) = obj.get("Targets") {
            targets = targets_from_json(t, "/Targets")?;
        }
        Ok(Rule {
            name,
            event_pattern,
            state,
            description: opt_str(obj, "Description", "")?.map(str::to_string),
            event_bus_name: opt_str(obj, "EventBusName", "")?.map(str::to_string),
            targets,
        })
    }

    /// Check the name, the targets (ids, uniqueness, input settings, retry
    /// policy, transformer placeholders) and the number of targets.
    ///
    /// ```
    /// use evrule::route::{Rule, Target};
    /// let err = Rule::new("bad name", "{}").validate(5).unwrap_err();
    /// assert!(err.message().ends_with(r"regular expression pattern: [\.\-_A-Za-z0-9]+"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self, max_targets: usize) -> Result<(), Error> {
        let with_rule = |e: Error| e.with_rule(self.name.clone());
        check_name(&self.name, "name").map_err(with_rule)?;
        if self.targets.len() > max_targets {
            return Err(with_rule(routing(
                "The requested resource exceeds the maximum number allowed.",
            )));
        }
        let mut seen = HashSet::new();
        for (i, target) in self.targets.iter().enumerate() {
            target.validate_at(i + 1).map_err(with_rule)?;
            if !seen.insert(target.id.as_str()) {
                return Err(with_rule(routing(format!(
                    "Target id {} appears more than once in rule {}.",
                    target.id, self.name
                ))));
            }
        }
        Ok(())
    }

    /// The rule's ARN: `arn:aws:events:<region>:<account>:rule/<name>` on
    /// the default bus, `.../rule/<bus>/<name>` on a custom bus.
    ///
    /// ```
    /// let mut rule = evrule::route::Rule::new("r", "{}");
    /// assert_eq!(rule.arn("us-east-1", "123456789012"),
    ///            "arn:aws:events:us-east-1:123456789012:rule/r");
    /// rule.event_bus_name = Some("orders".into());
    /// assert_eq!(rule.arn("us-east-1", "123456789012"),
    ///            "arn:aws:events:us-east-1:123456789012:rule/orders/r");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn arn(&self, region: &str, account: &str) -> String {
        match self.event_bus_name.as_deref() {
            None | Some("default") => {
                format!("arn:aws:events:{region}:{account}:rule/{}", self.name)
            }
            Some(bus) => {
                // A bus may be named by its ARN; the rule ARN wants its name.
                let bus = bus.rsplit('/').next().unwrap_or(bus);
                format!("arn:aws:events:{region}:{account}:rule/{bus}/{}", self.name)
            }
        }
    }
}

/// Where and how one rule delivers: PutTargets' `Target`.
///
/// ```
/// use evrule::route::Target;
/// let t = Target::new("q", "arn:aws:sqs:us-east-1:123456789012:orders.fifo");
/// assert!(t.is_fifo());
/// assert_eq!(t.retry_policy.maximum_retry_attempts, 185);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `Id`: 1-64 of `[.\-_A-Za-z0-9]`, unique within its rule.
    pub id: String,
    /// `Arn`: names the destination.
    pub arn: String,
    /// `Input`: constant JSON text sent instead of the event.
    pub input: Option<String>,
    /// `InputPath`: the part of the event to send (`$.detail`).
    pub input_path: Option<String>,
    /// `InputTransformer`.
    pub input_transformer: Option<InputTransformerConfig>,
    /// `RetryPolicy` (AWS's defaults when absent).
    pub retry_policy: RetryPolicy,
    /// `DeadLetterConfig`.
    pub dead_letter_config: Option<DeadLetterConfig>,
    /// `SqsParameters`.
    pub sqs_parameters: Option<SqsParameters>,
}

impl Target {
    /// The target's input setting, checked and compiled.
    pub(crate) fn compile_input(&self) -> Result<TargetInput, Error> {
        TargetInput::compile(
            &self.id,
            self.input.as_deref(),
            self.input_path.as_deref(),
            self.input_transformer.as_ref(),
        )
    }

    /// A target that receives the matched event unchanged, with the
    /// default retry policy and no dead-letter queue.
    ///
    /// ```
    /// let t = evrule::route::Target::new("t1", "arn:aws:lambda:us-east-1:123456789012:function:f");
    /// assert!(t.input.is_none() && t.dead_letter_config.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(id: impl Into<String>, arn: impl Into<String>) -> Target {
        Target {
            id: id.into(),
            arn: arn.into(),
            input: None,
            input_path: None,
            input_transformer: None,
            retry_policy: RetryPolicy::default(),
            dead_letter_config: None,
            sqs_parameters: None,
        }
    }

    /// Load one target from its PutTargets JSON and validate it.
    ///
    /// ```
    /// let t = evrule::route::Target::from_json(&serde_json::json!({
    ///     "Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
    ///     "InputPath": "$.detail",
    ///     "RetryPolicy": {"MaximumRetryAttempts": 3},
    ///     "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"}
    /// }))?;
    /// assert_eq!(t.retry_policy.maximum_retry_attempts, 3);
    /// assert_eq!(t.retry_policy.maximum_event_age_in_seconds, 86400);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(value: &Value) -> Result<Target, Error> {
        let target = target_from_json(value, "")?;
        target.validate_at(1)?;
        Ok(target)
    }

    /// True for FIFO destinations: a `MessageGroupId` is set, or the ARN
    /// names a `.fifo` queue or topic.
    ///
    /// ```
    /// let t = evrule::route::Target::new("t", "arn:aws:sqs:us-east-1:123456789012:q");
    /// assert!(!t.is_fifo());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_fifo(&self) -> bool {
        self.sqs_parameters.is_some() || self.arn.ends_with(".fifo")
    }

    /// Validate as the `index`-th (1-based) target of a PutTargets call.
    fn validate_at(&self, index: usize) -> Result<(), Error> {
        let field = |name: &str| format!("targets.{index}.member.{name}");
        check_name(&self.id, &field("id"))?;
        if self.arn.is_empty() {
            return Err(constraint(
                Some(""),
                &field("arn"),
                "Member must have length greater than or equal to 1",
            ));
        }
        let p = &self.retry_policy;
        if p.maximum_retry_attempts > 185 {
            return Err(constraint(
                Some(&p.maximum_retry_attempts.to_string()),
                &field("retryPolicy.maximumRetryAttempts"),
                "Member must have value less than or equal to 185",
            ));
        }
        if p.maximum_event_age_in_seconds < 60 {
            return Err(constraint(
                Some(&p.maximum_event_age_in_seconds.to_string()),
                &field("retryPolicy.maximumEventAgeInSeconds"),
                "Member must have value greater than or equal to 60",
            ));
        }
        if p.maximum_event_age_in_seconds > 86_400 {
            return Err(constraint(
                Some(&p.maximum_event_age_in_seconds.to_string()),
                &field("retryPolicy.maximumEventAgeInSeconds"),
                "Member must have value less than or equal to 86400",
            ));
        }
        if let Some(dlq) = &self.dead_letter_config {
            if dlq.arn.is_empty() {
                return Err(constraint(
                    Some(""),
                    &field("deadLetterConfig.arn"),
                    "Member must have length greater than or equal to 1",
                ));
            }
        }
        if let Some(tr) = &self.input_transformer {
            if tr.input_paths_map.len() > 100 {
                return Err(constraint(
                    None,
                    &field("inputTransformer.inputPathsMap"),
                    "Member must have length less than or equal to 100",
                ));
            }
            for key in tr.input_paths_map.keys() {
                if key.is_empty()
                    || !key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return Err(constraint(
                        None,
                        &field("inputTransformer.inputPathsMap"),
                        r"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [A-Za-z0-9\_\-]+]",
                    ));
                }
            }
            let len = tr.input_template.chars().count();
            if len == 0 {
                return Err(constraint(
                    None,
                    &field("inputTransformer.inputTemplate"),
                    "Member must have length greater than or equal to 1",
                ));
            }
            if len > 8192 {
                return Err(constraint(
                    None,
                    &field("inputTransformer.inputTemplate"),
                    "Member must have length less than or equal to 8192",
                ));
            }
        }
        // One-of check, paths, placeholders, constant-input JSON.
        self.compile_input()?;
        Ok(())
    }
}

/// `RetryPolicy`: how long and how often delivery is retried.
///
/// ```
/// let p = evrule::route::RetryPolicy::default();
/// assert_eq!((p.maximum_retry_attempts, p.maximum_event_age_in_seconds), (185, 86400));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `MaximumRetryAttempts`, 0..=185 (default 185): retries after the
    /// first attempt.
    pub maximum_retry_attempts: u32,
    /// `MaximumEventAgeInSeconds`, 60..=86400 (default 86400), counted
    /// from ingestion.
    pub maximum_event_age_in_seconds: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            maximum_retry_attempts: 185,
            maximum_event_age_in_seconds: 86_400,
        }
    }
}

impl RetryPolicy {
    /// Whether an event `age` old has outlived `MaximumEventAgeInSeconds`:
    /// a delivery that failed before is then not tried again.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = evrule::route::RetryPolicy { maximum_retry_attempts: 3, maximum_event_age_in_seconds: 60 };
    /// assert!(!p.expired(Duration::from_secs(59)));
    /// assert!(p.expired(Duration::from_secs(60)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expired(&self, age: std::time::Duration) -> bool {
        age >= std::time::Duration::from_secs(u64::from(self.maximum_event_age_in_seconds))
    }
}

/// `DeadLetterConfig`: where exhausted deliveries go.
///
/// ```
/// let d = evrule::route::DeadLetterConfig { arn: "arn:aws:sqs:us-east-1:123456789012:dlq".into() };
/// assert!(d.arn.ends_with("dlq"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetterConfig {
    /// `Arn` of the dead-letter destination.
    pub arn: String,
}

/// `SqsParameters`: the message group of a FIFO queue target.
///
/// ```
/// let s = evrule::route::SqsParameters { message_group_id: "orders".into() };
/// assert_eq!(s.message_group_id, "orders");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqsParameters {
    /// `MessageGroupId`: a constant, or a JSON path (`$.detail.customer`)
    /// evaluated per event.
    pub message_group_id: String,
}

/// A collection of rules loaded from any mix of AWS's JSON shapes.
///
/// Accepted documents: a PutRule request or `list-rules` entry (optionally
/// with `Targets`), `{"Rules": [...]}`, a PutTargets request
/// (`{"Rule": name, "Targets": [...]}`, attached to a rule loaded before),
/// a CloudFormation template (`{"Resources": {...}}`) or one
/// `AWS::Events::Rule` resource, and arrays of any of these.
///
/// ```
/// use serde_json::json;
/// let mut set = evrule::route::RuleSet::new();
/// set.add_json(&json!({"Rules": [{"Name": "r", "EventPattern": "{\"source\":[\"a\"]}"}]}))?;
/// set.add_json(&json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:x"}]}))?;
/// assert_eq!(set.rules()[0].targets.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    max_targets: usize,
}

impl Default for RuleSet {
    fn default() -> RuleSet {
        RuleSet::new()
    }
}

impl RuleSet {
    /// An empty set with AWS's limit of 5 targets per rule.
    ///
    /// ```
    /// assert!(evrule::route::RuleSet::new().rules().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            max_targets: DEFAULT_MAX_TARGETS,
        }
    }

    /// Change the targets-per-rule limit (AWS's default is 5).
    ///
    /// ```
    /// use evrule::route::{Rule, RuleSet, Target};
    /// let mut set = RuleSet::new().max_targets(1);
    /// let rule = Rule::new("r", "{}").with_target(Target::new("a", "arn:a"))
    ///     .with_target(Target::new("b", "arn:b"));
    /// assert_eq!(set.add(rule).unwrap_err().message(),
    ///            "The requested resource exceeds the maximum number allowed.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_targets(mut self, n: usize) -> RuleSet {
        self.max_targets = n;
        self
    }

    /// Add a validated rule; a second rule of the same name on the same
    /// bus is an error.
    ///
    /// ```
    /// let mut set = evrule::route::RuleSet::new();
    /// set.add(evrule::route::Rule::new("r", "{}"))?;
    /// assert!(set.add(evrule::route::Rule::new("r", "{}")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, rule: Rule) -> Result<(), Error> {
        rule.validate(self.max_targets)?;
        if self
            .position(&rule.name, rule.event_bus_name.as_deref())
            .is_some()
        {
            return Err(
                routing(format!("Rule {} is defined more than once.", rule.name))
                    .with_rule(rule.name),
            );
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Add targets to a rule already in the set (PutTargets); ids already
    /// present are replaced, as PutTargets does.
    ///
    /// ```
    /// use evrule::route::{Rule, RuleSet, Target};
    /// let mut set = RuleSet::new();
    /// set.add(Rule::new("r", "{}"))?;
    /// set.put_targets("r", None, vec![Target::new("t", "arn:t")])?;
    /// let err = set.put_targets("nope", None, vec![]).unwrap_err();
    /// assert_eq!(err.message(), "Rule nope does not exist on EventBus default.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn put_targets(
        &mut self,
        rule: &str,
        bus: Option<&str>,
        targets: Vec<Target>,
    ) -> Result<(), Error> {
        let Some(i) = self.position(rule, bus) else {
            return Err(routing(format!(
                "Rule {rule} does not exist on EventBus {}.",
                bus.unwrap_or("default")
            ))
            .with_rule(rule));
        };
        let mut updated = self.rules[i].clone();
        for t in targets {
            match updated.targets.iter_mut().find(|old| old.id == t.id) {
                Some(old) => *old = t,
                None => updated.targets.push(t),
            }
        }
        updated.validate(self.max_targets)?;
        self.rules[i] = updated;
        Ok(())
    }

    /// Load a JSON document in any accepted shape (see the type's docs).
    ///
    /// ```
    /// let mut set = evrule::route::RuleSet::new();
    /// set.add_json(&serde_json::json!({"Resources": {"OrdersRule": {
    ///     "Type": "AWS::Events::Rule",
    ///     "Properties": {"EventPattern": {"source": ["shop"]},
    ///                    "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]}}}}))?;
    /// assert_eq!(set.rules()[0].name, "OrdersRule");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Object `EventPattern`s are printed back from the `Value`, so their
    /// numbers are as exact as the caller's serde_json kept them (see
    /// [`Rule::from_json`]); [`RuleSet::add_json_text`] keeps them as
    /// written.
    pub fn add_json(&mut self, doc: &Value) -> Result<(), Error> {
        self.add_doc(doc, &PatternTexts::default())
    }

    /// [`RuleSet::add_json`] for JSON text: object `EventPattern`s keep
    /// their numbers exactly as written (their exponents written `e+5`),
    /// whatever features serde_json is built with. Errors name their line
    /// and column in `text`, and (but for syntax errors) the JSON path.
    ///
    /// ```
    /// let mut set = evrule::route::RuleSet::new();
    /// set.add_json_text(r#"{"Rules": [
    ///     {"Name": "exact", "EventPattern": {"detail": {"price": [5.000]}}}
    /// ]}"#)?;
    /// assert_eq!(set.rules()[0].event_pattern.as_deref(),
    ///            Some(r#"{"detail":{"price":[5.000]}}"#));
    ///
    /// let err = set.add_json_text(r#"{"Rules": [{"Name": 7}]}"#).unwrap_err();
    /// assert_eq!((err.message(), err.path()), ("Name must be a string", "/Rules/0/Name"));
    /// assert_eq!((err.line(), err.column()), (Some(1), Some(21)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_json_text(&mut self, text: &str) -> Result<(), Error> {
        let (node, doc, texts) = read_text(text)?;
        self.add_doc(&doc, &texts)
            .map_err(|e| locate(e, &node, text))
    }

    fn add_doc(&mut self, doc: &Value, texts: &PatternTexts) -> Result<(), Error> {
        match doc {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.add_doc(item, texts)
                        .map_err(|e| prefix_path(e, &format!("/{i}")))?;
                }
                Ok(())
            }
            Value::Object(obj) => {
                if let Some(resources) = obj.get("Resources") {
                    let resources = as_object(resources, "/Resources")?;
                    for (logical_id, resource) in resources {
                        let path = format!("/Resources/{}", escape_pointer(logical_id));
                        let r = as_object(resource, &path)?;
                        if r.get("Type").and_then(Value::as_str) != Some("AWS::Events::Rule") {
                            continue;
                        }
                        self.add_resource(resource, logical_id, texts)
                            .map_err(|e| prefix_path(e, &path))?;
                    }
                    Ok(())
                } else if obj.get("Type").and_then(Value::as_str) == Some("AWS::Events::Rule") {
                    self.add_resource(doc, "Rule", texts)
                } else if let Some(rules) = obj.get("Rules") {
                    self.add_doc(rules, texts)
                        .map_err(|e| prefix_path(e, "/Rules"))
                } else if let Some(rule) = obj.get("Rule") {
                    let rule = rule
                        .as_str()
                        .ok_or_else(|| routing("Rule must be a string").with_path("/Rule"))?;
                    let bus = opt_str(obj, "EventBusName", "")?;
                    let targets = match obj.get("Targets") {
                        Some(t) => targets_from_json(t, "/Targets")?,
                        None => Vec::new(),
                    };
                    self.put_targets(rule, bus, targets)
                } else {
                    self.add(Rule::from_json_unchecked(doc, None, texts)?)
                }
            }
            _ => Err(routing("Expected a rule, a list of rules, a PutTargets request or a CloudFormation template")),
        }
    }

    fn add_resource(
        &mut self,
        resource: &Value,
        logical_id: &str,
        texts: &PatternTexts,
    ) -> Result<(), Error> {
        let props = resource.get("Properties").unwrap_or(&Value::Null);
        if props.is_null() {
            return Err(routing("AWS::Events::Rule has no Properties").with_path("/Properties"));
        }
        let rule = Rule::from_json_unchecked(props, Some(logical_id), texts)
            .map_err(|e| prefix_path(e, "/Properties"))?;
        self.add(rule)
    }

    fn position(&self, name: &str, bus: Option<&str>) -> Option<usize> {
        let bus = bus.unwrap_or("default");
        self.rules
            .iter()
            .position(|r| r.name == name && r.event_bus_name.as_deref().unwrap_or("default") == bus)
    }

    /// The rules, in load order.
    ///
    /// ```
    /// let mut set = evrule::route::RuleSet::new();
    /// set.add(evrule::route::Rule::new("a", "{}"))?;
    /// assert_eq!(set.rules()[0].name, "a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Take the rules out.
    ///
    /// ```
    /// let rules = evrule::route::RuleSet::new().into_rules();
    /// assert!(rules.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_rules(self) -> Vec<Rule> {
        self.rules
    }
}

/// The exact texts of the object `EventPattern`s of a document read from
/// text, by the address of the pattern's `Value` in the document built
/// from it (which is not changed while it is loaded). Empty for a `Value`
/// given by the caller.
#[derive(Default)]
struct PatternTexts(HashMap<*const Value, String>);

impl PatternTexts {
    /// The text of the object `EventPattern` `v`: as written, in
    /// `Value::to_string`'s form; else as `v` prints.
    fn text(&self, v: &Value) -> String {
        match self.0.get(&(v as *const Value)) {
            Some(t) => t.clone(),
            None => v.to_string(),
        }
    }

    /// Note the object `EventPattern`s under `value`, which `node` of
    /// `text` was made into.
    fn collect(&mut self, node: &json::Node, value: &Value, text: &str) {
        match (&node.value, value) {
            (json::Value::Object(members), Value::Object(map)) => {
                for (key, v) in map {
                    // The last of repeated keys is the one the map kept.
                    let Some((_, _, n)) = members.iter().rev().find(|(k, _, _)| k == key) else {
                        continue;
                    };
                    if key == "EventPattern" && v.is_object() {
                        let mut exact = String::new();
                        raw::write_json(&mut exact, &text[n.span.start..n.span.end]);
                        self.0.insert(v as *const Value, exact);
                    } else {
                        self.collect(n, v, text);
                    }
                }
            }
            (json::Value::Array(nodes), Value::Array(values)) => {
                for (n, v) in nodes.iter().zip(values) {
                    self.collect(n, v, text);
                }
            }
            _ => {}
        }
    }
}

/// Read a rules document from text: its tree, the `Value` the loaders work
/// on, and the exact texts of its object `EventPattern`s.
fn read_text(text: &str) -> Result<(json::Node, Value, PatternTexts), Error> {
    let node = json::parse(text.as_bytes(), json::SERDE_JSON_DEPTH).map_err(|e| {
        let kind = match e.kind {
            json::ErrorKind::Depth => Kind::Limit("nesting depth"),
            _ => Kind::Syntax,
        };
        Error::new(kind, e.message).at(text, e.offset)
    })?;
    // A number the caller's serde_json cannot hold (`1e400` without
    // `arbitrary_precision`) can only be a pattern's, whose text is kept;
    // elsewhere no field takes it, and the largest `f64` of its sign is
    // refused everywhere it would be.
    let value = json::to_serde(&node, &|n| {
        Value::from(if n.starts_with('-') {
            f64::MIN
        } else {
            f64::MAX
        })
    });
    let mut texts = PatternTexts::default();
    texts.collect(&node, &value, text);
    Ok((node, value, texts))
}

/// Give an error about a document read from `text` the line and column of
/// its JSON path (of the nearest value the path reaches, when it names a
/// member that is missing).
fn locate(e: Error, root: &json::Node, text: &str) -> Error {
    if e.path().is_empty() || e.offset().is_some() {
        return e;
    }
    let mut at = root;
    for segment in e.path().split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        let next = match &at.value {
            json::Value::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _, _)| *k == key)
                .map(|m| &m.2),
            json::Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None => break,
        }
    }
    let offset = at.pos();
    e.at(text, offset)
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn prefix_path(e: Error, prefix: &str) -> Error {
    let path = format!("{prefix}{}", e.path());
    e.with_path(path)
}

fn as_object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| routing("Expected a JSON object").with_path(path))
}

fn opt_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    base: &str,
) -> Result<Option<&'v str>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => {
            Err(routing(format!("{key} must be a string")).with_path(format!("{base}/{key}")))
        }
    }
}

fn opt_u32(obj: &Map<String, Value>, key: &str, base: &str) -> Result<Option<u32>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(|n| Some(n.min(u64::from(u32::MAX)) as u32))
            .ok_or_else(|| {
                routing(format!("{key} must be a non-negative integer"))
                    .with_path(format!("{base}/{key}"))
            }),
    }
}

fn targets_from_json(value: &Value, path: &str) -> Result<Vec<Target>, Error> {
    let items = value
        .as_array()
        .ok_or_else(|| routing("Targets must be an array").with_path(path))?;
    items
        .iter()
        .enumerate()
        .map(|(i, t)| target_from_json(t, &format!("{path}/{i}")))
        .collect()
}

fn target_from_json(value: &Value, path: &str) -> Result<Target, Error> {
    let obj = as_object(value, path)?;
    let id = opt_str(obj, "Id", path)?
        .ok_or_else(|| routing("Target has no Id").with_path(format!("{path}/Id")))?;
    let arn = opt_str(obj, "Arn", path)?
        .ok_or_else(|| routing("Target has no Arn").with_path(format!("{path}/Arn")))?;
    let mut target = Target::new(id, arn);
    target.input = opt_str(obj, "Input", path)?.map(str::to_string);
    target.input_path = opt_str(obj, "InputPath", path)?.map(str::to_string);
    if let Some(tr) = obj.get("InputTransformer").filter(|v| !v.is_null()) {
        let tpath = format!("{path}/InputTransformer");
        let tobj = as_object(tr, &tpath)?;
        let template = opt_str(tobj, "InputTemplate", &tpath)?.ok_or_else(|| {
            routing("InputTransformer has no InputTemplate")
                .with_path(format!("{tpath}/InputTemplate"))
        })?;
        let mut config = InputTransformerConfig::new(template);
        if let Some(map) = tobj.get("InputPathsMap").filter(|v| !v.is_null()) {
            let mpath = format!("{tpath}/InputPathsMap");
            for (k, v) in as_object(map, &mpath)? {
                let p = v.as_str().ok_or_else(|| {
                    routing("InputPathsMap values must be strings")
                        .with_path(format!("{mpath}/{}", escape_pointer(k)))
                })?;
                config.input_paths_map.insert(k.clone(), p.to_string());
            }
        }
        target.input_transformer = Some(config);
    }
    if let Some(rp) = obj.get("RetryPolicy").filter(|v| !v.is_null()) {
        let rpath = format!("{path}/RetryPolicy");
        let robj = as_object(rp, &rpath)?;
        if let Some(n) = opt_u32(robj, "MaximumRetryAttempts", &rpath)? {
            target.retry_policy.maximum_retry_attempts = n;
        }
        if let Some(n) = opt_u32(robj, "MaximumEventAgeInSeconds", &rpath)? {
            target.retry_policy.maximum_event_age_in_seconds = n;
        }
    }
    if let Some(d) = obj.get("DeadLetterConfig").filter(|v| !v.is_null()) {
        let dpath = format!("{path}/DeadLetterConfig");
        if let Some(arn) = opt_str(as_object(d, &dpath)?, "Arn", &dpath)? {
            target.dead_letter_config = Some(DeadLetterConfig {
                arn: arn.to_string(),
            });
        }
    }
    if let Some(s) = obj.get("SqsParameters").filter(|v| !v.is_null()) {
        let spath = format!("{path}/SqsParameters");
        if let Some(g) = opt_str(as_object(s, &spath)?, "MessageGroupId", &spath)? {
            target.sqs_parameters = Some(SqsParameters {
                message_group_id: g.to_string(),
            });
        }
    }
    Ok(target)
}
