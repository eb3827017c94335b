//! CloudFormation and SAM templates (JSON or YAML; CDK output is one).
//!
//! Rules come from `AWS::Events::Rule` (`EventPattern`), `AWS::Events::Archive`
//! (`EventPattern`) and the `EventBridgeRule` / `CloudWatchEvent` events of
//! SAM functions and state machines (`Pattern`). Intrinsic functions inside
//! a pattern are evaluated where the template alone decides their value:
//! parameters (given with `--parameter` or defaulted), `Fn::Sub`, `Fn::Join`,
//! `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, and `Ref` / `Fn::GetAtt` of
//! resources whose name is written in the template. Anything else becomes an
//! unknown value, and the rule is not static.

use std::cell::Cell;
use std::collections::HashMap;

use super::doc::{intrinsic_hint, Node, ReadError, Value};
use super::{Ctx, Format, RuleSource};

/// Resource types whose `Ref` is their name, and the property naming them.
const NAMED_BY: &[(&str, &str)] = &[
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::Lambda::Function", "FunctionName"),
    ("AWS::Serverless::Function", "FunctionName"),
    ("AWS::DynamoDB::Table", "TableName"),
    ("AWS::Events::EventBus", "Name"),
    ("AWS::Events::Rule", "Name"),
    ("AWS::Kinesis::Stream", "Name"),
    ("AWS::ECR::Repository", "RepositoryName"),
    ("AWS::Logs::LogGroup", "LogGroupName"),
    ("AWS::CodeBuild::Project", "Name"),
    ("AWS::CodePipeline::Pipeline", "Name"),
    ("AWS::SSM::Parameter", "Name"),
    ("AWS::ECS::Cluster", "ClusterName"),
    ("AWS::AutoScaling::AutoScalingGroup", "AutoScalingGroupName"),
    ("AWS::Glue::Job", "Name"),
];

/// Deepest nesting of intrinsic functions evaluated.
const MAX_EVAL_DEPTH: usize = 32;

/// Most intrinsic calls evaluated per template, so that references that
/// fan out (`!Sub "${A}${A}..."` chains) cannot take exponential time.
const EVAL_BUDGET: usize = 100_000;

pub(super) fn rules(ctx: &Ctx<'_>, doc: &Node, out: &mut Vec<RuleSource>) -> Result<(), ReadError> {
    let sam = doc.get("Transform").is_some_and(|t| {
        let mut names = Vec::new();
        match &t.value {
            Value::Seq(items) => names.extend(items.iter().filter_map(Node::as_str)),
            Value::String(s) => names.push(s),
            _ => {}
        }
        names.iter().any(|n| n.starts_with("AWS::Serverless"))
    });
    let format = match (sam, ctx.json) {
        (true, _) => Format::Sam,
        (false, true) => Format::CfnJson,
        (false, false) => Format::CfnYaml,
    };
    let t = Template::new(doc, &ctx.options.parameters);
    for found in rule_definitions(doc) {
        let given = found.name.and_then(|n| t.static_string(n));
        let auto_named = given.is_none();
        let state = match &found.from {
            From::Resource { props, .. } => props.get("State").and_then(|s| t.static_string(s)),
            From::Sam { props, .. } => {
                let eprop = |key: &str| props.and_then(|p| p.get(key));
                eprop("State").and_then(|s| t.static_string(s)).or_else(|| {
                    (eprop("Enabled").map(|e| &e.value) == Some(&Value::Bool(false)))
                        .then(|| "DISABLED".to_string())
                })
            }
        };
        let pattern = t.resolve(found.pattern, 0);
        if is_no_value(&pattern) {
            continue; // `!If [Cond, {...}, !Ref AWS::NoValue]`, and no pattern
        }
        let mut rule = ctx.rule(
            given.unwrap_or_else(|| found.id.clone()),
            state,
            format,
            &pattern,
        );
        rule.auto_named = auto_named;
        rule.id = (!auto_named).then_some(found.id);
        t.hints(&mut rule);
        out.push(rule);
    }
    Ok(())
}

/// Where a template defines a rule with a pattern.
enum From<'d> {
    /// An `AWS::Events::Rule` or `AWS::Events::Archive`, with its
    /// `Properties`.
    Resource { archive: bool, props: &'d Node },
    /// An `EventBridgeRule` / `CloudWatchEvent` event of a SAM function or
    /// state machine, with the event's `Properties`.
    Sam {
        resource: &'d str,
        event: &'d str,
        function: bool,
        props: Option<&'d Node>,
    },
}

/// One rule a template defines: the one walk over `Resources` that both
/// [`rules`] and [`targets`] read, so that they find the same rules under
/// the same names.
struct Definition<'d> {
    /// The name when the template gives none: the logical ID, or the SAM
    /// resource's logical ID followed by the event's.
    id: String,
    /// `Name`, `ArchiveName` or `RuleName`, as written.
    name: Option<&'d Node>,
    pattern: &'d Node,
    from: From<'d>,
}

/// The rules of a template, in document order. Rules without a pattern
/// (scheduled rules, archives of everything) are not rules here.
fn rule_definitions(doc: &Node) -> Vec<Definition<'_>> {
    let mut out = Vec::new();
    let resources = doc
        .get("Resources")
        .and_then(Node::as_map)
        .unwrap_or_default();
    for (id, res) in resources {
        let id = id.as_str().unwrap_or_default();
        let kind = res.get("Type").and_then(Node::as_str).unwrap_or_default();
        let Some(props) = res.get("Properties") else {
            continue;
        };
        match kind {
            "AWS::Events::Rule" | "AWS::Events::Archive" => {
                let Some(pattern) = props.get("EventPattern") else {
                    continue; // a scheduled rule, or an archive of everything
                };
                let archive = kind == "AWS::Events::Archive";
                out.push(Definition {
                    id: id.to_string(),
                    name: props.get(if archive { "ArchiveName" } else { "Name" }),
                    pattern,
                    from: From::Resource { archive, props },
                });
            }
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                let events = props
                    .get("Events")
                    .and_then(Node::as_map)
                    .unwrap_or_default();
                for (event_id, event) in events {
                    let event_type = event.get("Type").and_then(Node::as_str);
                    if !matches!(event_type, Some("EventBridgeRule" | "CloudWatchEvent")) {
                        continue;
                    }
                    let event_id = event_id.as_str().unwrap_or_default();
                    let eprops = event.get("Properties");
                    let Some(pattern) = eprops.and_then(|p| p.get("Pattern")) else {
                        continue;
                    };
                    out.push(Definition {
                        id: format!("{id}{event_id}"),
                        name: eprops.and_then(|p| p.get("RuleName")),
                        pattern,
                        from: From::Sam {
                            resource: id,
                            event: event_id,
                            function: kind == "AWS::Serverless::Function",
                            props: eprops,
                        },
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// `node` with the intrinsic functions in it evaluated as in template
/// `doc` (for files that embed CloudFormation, like `serverless.yml`).
pub(super) fn resolve_in(ctx: &Ctx<'_>, doc: &Node, node: &Node) -> Node {
    Template::new(doc, &ctx.options.parameters).resolve(node, 0)
}

/// What a template knows statically.
struct Template<'a> {
    params: HashMap<String, Node>,
    resources: HashMap<&'a str, &'a Node>,
    mappings: Option<&'a Node>,
    conditions: Option<&'a Node>,
    partition: String,
    budget: Cell<usize>,
}

impl<'a> Template<'a> {
    fn new(doc: &'a Node, overrides: &[(String, String)]) -> Template<'a> {
        let mut params = HashMap::new();
        for (key, decl) in doc
            .get("Parameters")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let Some(name) = key.as_str() else { continue };
            let ty = decl.get("Type").and_then(Node::as_str).unwrap_or("String");
            if ty.starts_with("AWS::SSM::Parameter::Value") {
                continue; // the default names an SSM parameter, not the value
            }
            let list = ty == "CommaDelimitedList" || ty.starts_with("List<");
            let numeric = ty == "Number" || ty == "List<Number>";
            let scalar = |text: &str| {
                if numeric
                    && super::json::parse(text.trim())
                        .is_ok_and(|n| matches!(n.value, Value::Number(_)))
                {
                    Value::Number(text.trim().to_string())
                } else {
                    Value::String(text.trim().to_string())
                }
            };
            let given = overrides.iter().rev().find(|(k, _)| k == name);
            let value = match given {
                Some((_, v)) => Some(v.clone()),
                None => decl.get("Default").and_then(Node::scalar_text),
            };
            let Some(value) = value else { continue };
            let at = decl.get("Default").map_or(key.offset, |d| d.offset);
            let node = if list {
                Node::new(
                    Value::Seq(value.split(',').map(|s| Node::new(scalar(s), at)).collect()),
                    at,
                )
            } else {
                Node::new(scalar(&value), at)
            };
            params.insert(name.to_string(), node);
        }
        // Pseudo parameters are known only when given.
        for (k, v) in overrides {
            if k.starts_with("AWS::") {
                params.insert(k.clone(), Node::new(Value::String(v.clone()), 0));
            }
        }
        let partition = overrides
            .iter()
            .rev()
            .find(|(k, _)| k == "AWS::Partition")
            .map_or_else(|| "aws".to_string(), |(_, v)| v.clone());
        let resources = doc
            .get("Resources")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
            .collect();
        Template {
            params,
            resources,
            mappings: doc.get("Mappings"),
            conditions: doc.get("Conditions"),
            partition,
            budget: Cell::new(EVAL_BUDGET),
        }
    }

    /// Hints name only parameters: a resource's `Ref` is decided by the
    /// deployment, not by `--parameter`.
    fn hints(&self, rule: &mut RuleSource) {
        let parameter = |n: &str| !self.resources.contains_key(n);
        for u in &mut rule.unresolved {
            u.hint = match u.what.strip_prefix("!If ") {
                Some(condition) => self.condition_hint(condition.trim()),
                None => intrinsic_hint(&u.what, &parameter),
            };
        }
    }

    /// What would decide condition `name`: the parameters without a value
    /// that it tests.
    fn condition_hint(&self, name: &str) -> Option<String> {
        let Some(expr) = self.conditions.and_then(|c| c.get(name)) else {
            return Some(format!("define condition `{name}` under `Conditions`"));
        };
        let mut names = Vec::new();
        self.condition_parameters(expr, 0, &mut names);
        if names.is_empty() {
            return None;
        }
        let flags: Vec<String> = names.iter().map(|n| format!("-p {n}=VALUE")).collect();
        Some(format!("give {}", flags.join(" and ")))
    }

    fn condition_parameters(&self, node: &Node, depth: usize, out: &mut Vec<String>) {
        if depth >= MAX_EVAL_DEPTH {
            return;
        }
        if let Some((func, arg)) = intrinsic(node) {
            match (func.as_str(), arg.as_str()) {
                ("Ref", Some(name)) => {
                    if !self.params.contains_key(name)
                        && !self.resources.contains_key(name)
                        && !out.iter().any(|o| o == name)
                    {
                        out.push(name.to_string());
                    }
                }
                ("Condition", Some(name)) => {
                    if let Some(expr) = self.conditions.and_then(|c| c.get(name)) {
                        self.condition_parameters(expr, depth + 1, out);
                    }
                }
                _ => self.condition_parameters(&arg, depth + 1, out),
            }
            return;
        }
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .for_each(|n| self.condition_parameters(n, depth + 1, out)),
            Value::Map(entries) => entries
                .iter()
                .for_each(|(_, v)| self.condition_parameters(v, depth + 1, out)),
            _ => {}
        }
    }

    /// The value of `node` if it resolves to a string.
    fn static_string(&self, node: &Node) -> Option<String> {
        self.static_string_at(node, 0)
    }

    fn static_string_at(&self, node: &Node, depth: usize) -> Option<String> {
        let n = self.resolve(node, depth);
        match n.value {
            Value::String(s) | Value::Number(s) => Some(s),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// `node` with every intrinsic function evaluated or made unknown.
    fn resolve(&self, node: &Node, depth: usize) -> Node {
        if let Some((func, arg)) = intrinsic(node) {
            let budget = self.budget.get();
            self.budget.set(budget.saturating_sub(1));
            let mut value = if depth >= MAX_EVAL_DEPTH || budget == 0 {
                None
            } else {
                self.eval(&func, &arg, depth + 1)
            }
            .unwrap_or_else(|| Node::new(Value::Unknown(describe(&func, &arg)), node.offset));
            value.offset = node.offset;
            return value;
        }
        let value = match &node.value {
            // `!Ref AWS::NoValue` removes the item or the key it is the
            // value of.
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|n| self.resolve(n, depth))
                    .filter(|n| !is_no_value(n))
                    .collect(),
            ),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v, depth)))
                    .filter(|(_, v)| !is_no_value(v))
                    .collect(),
            ),
            other => other.clone(),
        };
        Node::new(value, node.offset)
    }

    fn eval(&self, func: &str, arg: &Node, depth: usize) -> Option<Node> {
        let string = |s: String| Some(Node::new(Value::String(s), arg.offset));
        match func {
            "Ref" => self.reference(arg.as_str()?, depth),
            "Fn::Sub" => {
                let (template, vars) = match &arg.value {
                    Value::Seq(items) if items.len() == 2 => (&items[0], Some(&items[1])),
                    _ => (arg, None),
                };
                let template = self.resolve(template, depth);
                let mut locals = HashMap::new();
                for (k, v) in vars.and_then(Node::as_map).unwrap_or_default() {
                    locals.insert(k.as_str()?.to_string(), self.resolve(v, depth));
                }
                string(self.substitute(template.as_str()?, &locals, depth)?)
            }
            "Fn::Join" => {
                let items = self.resolve(arg, depth);
                let [delim, list] = items.as_seq()? else {
                    return None;
                };
                let parts: Option<Vec<String>> =
                    list.as_seq()?.iter().map(Node::scalar_text).collect();
                string(parts?.join(delim.as_str()?))
            }
            "Fn::Select" => {
                let items = self.resolve(arg, depth);
                let [index, list] = items.as_seq()? else {
                    return None;
                };
                let index: usize = index.scalar_text()?.parse().ok()?;
                list.as_seq()?.get(index).cloned()
            }
            "Fn::Split" => {
                let items = self.resolve(arg, depth);
                let [delim, text] = items.as_seq()? else {
                    return None;
                };
                let parts = text
                    .as_str()?
                    .split(delim.as_str()?)
                    .map(|s| Node::new(Value::String(s.to_string()), arg.offset))
                    .collect();
                Some(Node::new(Value::Seq(parts), arg.offset))
            }
            "Fn::FindInMap" => {
                let items = self.resolve(arg, depth);
                let [map, first, second] = items.as_seq()? else {
                    return None;
                };
                let found = self
                    .mappings?
                    .get(map.as_str()?)?
                    .get(&first.scalar_text()?)?
                    .get(&second.scalar_text()?)?;
                Some(self.resolve(found, depth))
            }
            "Fn::If" => {
                let [name, then, otherwise] = arg.as_seq()? else {
                    return None;
                };
                let branch = if self.condition(name.as_str()?, depth)? {
                    then
                } else {
                    otherwise
                };
                Some(self.resolve(branch, depth))
            }
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.value {
                    Value::String(s) => s.split_once('.')?,
                    Value::Seq(items) if items.len() == 2 => {
                        (items[0].as_str()?, items[1].as_str()?)
                    }
                    _ => return None,
                };
                string(self.attribute(res, attr, depth)?)
            }
            _ => None,
        }
    }

    /// The value of the template's condition `name`, when the template
    /// (with parameter defaults and `--parameter` values) decides it.
    fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        let expr = self.conditions?.get(name)?;
        self.truth(expr, depth + 1)
    }

    fn truth(&self, node: &Node, depth: usize) -> Option<bool> {
        if depth >= MAX_EVAL_DEPTH {
            return None;
        }
        let budget = self.budget.get();
        if budget == 0 {
            return None;
        }
        self.budget.set(budget - 1);
        let (func, arg) = intrinsic(node)?;
        let items = || arg.as_seq().unwrap_or_default();
        match func.as_str() {
            "Condition" => self.condition(arg.as_str()?, depth),
            "Fn::Equals" => {
                let [a, b] = items() else { return None };
                let a = self.resolve(a, depth);
                let b = self.resolve(b, depth);
                Some(a.scalar_text()? == b.scalar_text()?)
            }
            "Fn::Not" => Some(!self.truth(items().first()?, depth + 1)?),
            "Fn::And" => {
                let mut all = true;
                for c in items() {
                    all &= self.truth(c, depth + 1)?;
                }
                Some(all)
            }
            "Fn::Or" => {
                let mut any = false;
                for c in items() {
                    any |= self.truth(c, depth + 1)?;
                }
                Some(any)
            }
            _ => None,
        }
    }

    fn reference(&self, name: &str, depth: usize) -> Option<Node> {
        if name == "AWS::NoValue" {
            let mut n = Node::new(Value::Null, 0);
            n.tag = Some(NO_VALUE.to_string());
            return Some(n);
        }
        if let Some(p) = self.params.get(name) {
            return Some(p.clone());
        }
        let res = self.resources.get(name)?;
        let kind = res.get("Type")?.as_str()?;
        let (_, prop) = NAMED_BY.iter().find(|(t, _)| *t == kind)?;
        let n = res.get("Properties")?.get(prop)?;
        let name = self.static_string_at(n, depth + 1)?;
        Some(Node::new(Value::String(name), n.offset))
    }

    fn attribute(&self, res: &str, attr: &str, depth: usize) -> Option<String> {
        let r = self.resources.get(res)?;
        let kind = r.get("Type")?.as_str()?;
        let name = |prop: &str| self.static_string_at(r.get("Properties")?.get(prop)?, depth + 1);
        match (kind, attr) {
            ("AWS::S3::Bucket", "Arn") => Some(format!(
                "arn:{}:s3:::{}",
                self.partition,
                name("BucketName")?
            )),
            ("AWS::Events::EventBus", "Name") => name("Name"),
            ("AWS::SQS::Queue", "QueueName") => name("QueueName"),
            ("AWS::SNS::Topic", "TopicName") => name("TopicName"),
            _ => None,
        }
    }

    /// Fill in `${Name}`, `${Res.Attr}` and `${!Literal}` in a `Fn::Sub` string.
    fn substitute(
        &self,
        template: &str,
        locals: &HashMap<String, Node>,
        depth: usize,
    ) -> Option<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}')?;
            let var = &after[..end];
            if let Some(literal) = var.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = locals.get(var) {
                out.push_str(&v.scalar_text()?);
            } else if let Some((res, attr)) = var.split_once('.') {
                out.push_str(&self.attribute(res, attr, depth)?);
            } else {
                out.push_str(&self.reference(var, depth)?.scalar_text()?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

/// The tag marking the value of `!Ref AWS::NoValue`.
const NO_VALUE: &str = "evrule:AWS::NoValue";

fn is_no_value(node: &Node) -> bool {
    node.tag.as_deref() == Some(NO_VALUE)
}

/// `node` as an intrinsic call: short form (`!Ref X`) or long form
/// (`{"Ref": "X"}`, `{"Fn::Sub": ...}`).
fn intrinsic(node: &Node) -> Option<(String, Node)> {
    if let Some(tag) = node
        .tag
        .as_deref()
        .filter(|t| t.starts_with('!') && !t.starts_with("!!"))
    {
        let name = &tag[1..];
        let func = match name {
            "Ref" | "Condition" => name.to_string(),
            _ => format!("Fn::{name}"),
        };
        let mut arg = node.clone();
        arg.tag = None;
        return Some((func, arg));
    }
    match node.as_map()? {
        [(k, v)] => {
            let k = k.as_str()?;
            (k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
                .then(|| (k.to_string(), v.clone()))
        }
        _ => None,
    }
}

/// How an unresolved call is named in notes: its YAML short form.
fn describe(func: &str, arg: &Node) -> String {
    let short = func.strip_prefix("Fn::").unwrap_or(func);
    match &arg.value {
        Value::String(s) => {
            let s = if s.chars().count() > 40 {
                format!("{}...", s.chars().take(40).collect::<String>())
            } else {
                s.clone()
            };
            format!("!{short} {s}")
        }
        Value::Seq(items) if short == "If" && items.first().and_then(Node::as_str).is_some() => {
            format!("!If {}", items[0].as_str().unwrap_or_default())
        }
        Value::Seq(items) if short == "GetAtt" => {
            let parts: Vec<_> = items.iter().filter_map(Node::scalar_text).collect();
            format!("!GetAtt {}", parts.join("."))
        }
        _ => format!("!{short}"),
    }
}

/// The targets of the template's rules, for commands that deliver. A
/// target's `Arn` (and its `DeadLetterConfig.Arn`) that names a resource or
/// parameter which does not resolve statically (`!GetAtt Queue.Arn`,
/// `!Ref Topic`) becomes that logical ID, so a bus configuration can map it
/// to a local destination. Rules are named as [`rules`] names them.
pub(super) fn targets(ctx: &Ctx<'_>, doc: &Node, out: &mut Vec<super::RuleTargets>) {
    let t = Template::new(doc, &ctx.options.parameters);
    for found in rule_definitions(doc) {
        let rule = found
            .name
            .and_then(|n| t.static_string(n))
            .unwrap_or(found.id);
        let line = ctx.file.line_col(found.pattern.offset).0;
        let (targets, archive) = match found.from {
            From::Resource { archive, props } => {
                let targets = props
                    .get("Targets")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .map(|n| t.target(n))
                    .collect();
                (targets, archive)
            }
            From::Sam {
                resource,
                event,
                function,
                props,
            } => {
                let suffix = if function {
                    "LambdaTarget"
                } else {
                    "StepFunctionsTarget"
                };
                (vec![t.sam_target(resource, event, suffix, props)], false)
            }
        };
        out.push(super::RuleTargets {
            rule,
            line,
            targets,
            archive,
        });
    }
}

impl Template<'_> {
    /// One `Targets` entry in PutTargets' JSON shape.
    fn target(&self, node: &Node) -> Result<serde_json::Value, String> {
        let id = node
            .get("Id")
            .and_then(|n| self.static_string(n))
            .unwrap_or_else(|| "?".to_string());
        let mut json = serde_json::Map::new();
        for (k, v) in node.as_map().unwrap_or_default() {
            let key = k.as_str().unwrap_or_default();
            let value = match key {
                "Arn" => serde_json::Value::String(self.arn(v, &id)?),
                "DeadLetterConfig" => self.dead_letter(v, &id)?,
                _ => self.json(v, &id)?,
            };
            json.insert(key.to_string(), value);
        }
        Ok(serde_json::Value::Object(json))
    }

    /// The target a SAM `EventBridgeRule` event creates: the function (or
    /// state machine) itself, with the event's input and retry settings.
    fn sam_target(
        &self,
        id: &str,
        event_id: &str,
        suffix: &str,
        props: Option<&Node>,
    ) -> Result<serde_json::Value, String> {
        let prop = |key: &str| props.and_then(|p| p.get(key));
        let target_id = prop("Target")
            .and_then(|t| t.get("Id"))
            .and_then(|n| self.static_string(n))
            .unwrap_or_else(|| format!("{id}{event_id}{suffix}"));
        let mut json = serde_json::Map::new();
        json.insert("Id".into(), target_id.clone().into());
        json.insert("Arn".into(), id.into());
        for key in ["Input", "InputPath", "InputTransformer", "RetryPolicy"] {
            if let Some(v) = prop(key) {
                json.insert(key.into(), self.json(v, &target_id)?);
            }
        }
        if let Some(dlq) = prop("DeadLetterConfig") {
            // SAM creates the queue itself when only `Type: SQS` is given.
            let arn = match dlq.get("Arn") {
                Some(arn) => self.arn(arn, &target_id)?,
                None => dlq
                    .get("QueueLogicalId")
                    .and_then(|n| self.static_string(n))
                    .unwrap_or_else(|| format!("{id}{event_id}Queue")),
            };
            json.insert("DeadLetterConfig".into(), serde_json::json!({ "Arn": arn }));
        }
        Ok(serde_json::Value::Object(json))
    }

    fn json(&self, node: &Node, target_id: &str) -> Result<serde_json::Value, String> {
        super::to_json(&self.resolve(node, 0)).map_err(|what| {
            format!("target {target_id} depends on {what}, which is not known before deployment")
        })
    }

    fn dead_letter(&self, node: &Node, target_id: &str) -> Result<serde_json::Value, String> {
        let mut json = serde_json::Map::new();
        for (k, v) in node.as_map().unwrap_or_default() {
            let key = k.as_str().unwrap_or_default();
            let value = match key {
                "Arn" => serde_json::Value::String(self.arn(v, target_id)?),
                _ => self.json(v, target_id)?,
            };
            json.insert(key.to_string(), value);
        }
        Ok(serde_json::Value::Object(json))
    }

    /// The parameters (pseudo parameters included) named by `${...}` in a
    /// `Fn::Sub` that have no value: what would decide it.
    fn undecided(&self, func: &str, arg: &Node) -> Vec<String> {
        if func != "Fn::Sub" {
            return Vec::new();
        }
        let (text, vars) = match &arg.value {
            Value::String(s) => (s.as_str(), None),
            Value::Seq(items) => match items.as_slice() {
                [t, v] => (t.as_str().unwrap_or_default(), Some(v)),
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        let mut out: Vec<String> = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find('}') else { break };
            let name = rest[..end].trim();
            rest = &rest[end..];
            let local = vars.is_some_and(|v| v.get(name).is_some());
            if name.starts_with('!')
                || name == "AWS::Partition"
                || name.contains('.')
                || local
                || self.params.contains_key(name)
                || self.resources.contains_key(name)
                || out.iter().any(|o| o == name)
            {
                continue;
            }
            out.push(name.to_string());
        }
        out
    }

    /// An ARN: its value when the template decides it, else the logical ID
    /// of the resource or parameter it refers to.
    fn arn(&self, node: &Node, target_id: &str) -> Result<String, String> {
        if let Some(s) = self.static_string(node) {
            return Ok(s);
        }
        if let Some((func, arg)) = intrinsic(node) {
            let name = match (func.as_str(), &arg.value) {
                ("Ref", Value::String(s)) => Some(s.as_str()),
                ("Fn::GetAtt", Value::String(s)) => s.split('.').next(),
                ("Fn::GetAtt", Value::Seq(items)) => items.first().and_then(Node::as_str),
                _ => None,
            };
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                return Ok(name.to_string());
            }
            let undecided = self.undecided(&func, &arg);
            let decide = if undecided.is_empty() {
                String::new()
            } else {
                format!(
                    "; give {} under `parameters:`",
                    undecided
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(format!(
                "the Arn of target {target_id} ({}) is not known before deployment{decide}",
                describe(&func, &arg)
            ));
        }
        Err(format!("the Arn of target {target_id} is not a string"))
    }
}
