//! PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget.

use evrule::route::{Target, DEFAULT_MAX_TARGETS};
use serde_json::{json, Map, Value};

use super::input::{finish, is_name, paged, Input, NAME_PATTERN};
use super::rules::{bus_member, bus_mut, rule_scope};
use super::{ApiError, Ctx};
use crate::engine::lock;

/// Check one target's members against the model; the members the router
/// does not use (EcsParameters, HttpParameters, ...) are kept as given.
fn check_target(input: &mut Input<'_, '_>) -> Result<(), ApiError> {
    input.checked_string("Id", true, 1, 64, Some((NAME_PATTERN, is_name)))?;
    input.checked_string("Arn", true, 1, 1600, None)?;
    input.checked_string("RoleArn", false, 1, 1600, None)?;
    input.checked_string("Input", false, 0, 8192, None)?;
    input.checked_string("InputPath", false, 0, 256, None)?;
    let prefix = |m: &str| format!("{m}.");
    if input
        .raw()
        .get("InputTransformer")
        .is_some_and(Value::is_object)
    {
        let base = prefix("inputTransformer");
        let mut tr = input
            .structure("InputTransformer", base)?
            .expect("checked to be an object");
        tr.checked_string("InputTemplate", true, 1, 8192, None)?;
        if let Some(map) = tr.raw().get("InputPathsMap").filter(|v| !v.is_null()) {
            let Some(map) = map.as_object() else {
                return Err(ApiError::serialization(
                    "Expected a map for inputTransformer.inputPathsMap.",
                ));
            };
            if map.len() > 100 {
                tr.violation(
                    Some(&format!("{} entries", map.len())),
                    "InputPathsMap",
                    "Member must have length less than or equal to 100",
                );
            }
            for (k, v) in map {
                let Some(path) = v.as_str() else {
                    return Err(ApiError::serialization(format!(
                        "Expected a string for inputTransformer.inputPathsMap.{k}."
                    )));
                };
                if path.chars().count() > 256 {
                    tr.violation(
                        Some(path),
                        "InputPathsMap",
                        "Map value must have length less than or equal to 256",
                    );
                }
            }
        }
    } else {
        // Not an object: the type error.
        input.structure("InputTransformer", String::new())?;
    }
    if let Some(mut rp) = input.structure("RetryPolicy", prefix("retryPolicy"))? {
        rp.integer("MaximumRetryAttempts", 0, 185)?;
        rp.integer("MaximumEventAgeInSeconds", 60, 86_400)?;
    }
    if let Some(mut d) = input.structure("DeadLetterConfig", prefix("deadLetterConfig"))? {
        d.checked_string("Arn", false, 1, 1600, None)?;
    }
    if let Some(mut s) = input.structure("SqsParameters", prefix("sqsParameters"))? {
        s.checked_string("MessageGroupId", false, 0, 100, None)?;
    }
    Ok(())
}

/// The members of a target without nulls: what ListTargetsByRule returns.
fn clean(obj: &Map<String, Value>) -> Map<String, Value> {
    obj.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub(crate) fn put_targets(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let items = input
        .list("Targets", true, 1, 100)?
        .cloned()
        .unwrap_or_default();
    for (i, item) in items.iter().enumerate() {
        let mut t = input.element("Targets", i, item)?;
        check_target(&mut t)?;
    }
    finish(problems)?;
    let mut parsed = Vec::with_capacity(items.len());
    for item in &items {
        let obj = clean(item.as_object().expect("checked above"));
        let target = Target::from_json(&Value::Object(obj.clone()))
            .map_err(|e| ApiError::validation(e.message()))?;
        parsed.push((obj, target));
    }
    let check = |bus: &mut crate::state::Bus, rule: &str| -> Result<(), ApiError> {
        let info = &bus.rules[rule];
        if info.targets.iter().any(|(_, t)| t.sqs_parameters.is_some()) {
            bus.engine
                .check_rules(vec![info.to_rule(&bus.name)])
                .map_err(|e| ApiError::validation(e.message()))?;
        }
        Ok(())
    };
    rule_scope(ctx, body, "Rule", |bus, _, _, name| {
        let bus_name = bus.name.clone();
        let rule = bus
            .rules
            .get_mut(&name)
            .ok_or_else(|| ApiError::no_rule(&name, &bus_name))?;
        let mut targets = rule.targets.clone();
        for (obj, target) in parsed {
            match targets.iter_mut().find(|(_, t)| t.id == target.id) {
                Some(old) => *old = (obj, target),
                None => targets.push((obj, target)),
            }
        }
        if targets.len() > DEFAULT_MAX_TARGETS {
            return Err(ApiError::limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        let before = std::mem::replace(&mut rule.targets, targets);
        if let Err(e) = check(bus, &name) {
            bus.rules.get_mut(&name).expect("found above").targets = before;
            return Err(e);
        }
        let mut was = bus.rules[&name].clone();
        was.targets = before;
        bus.commit(&name, Some(was))?;
        Ok(json!({"FailedEntryCount": 0, "FailedEntries": []}))
    })
}

pub(crate) fn remove_targets(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let ids = input
        .string_list("Ids", true, (1, 100), (1, 64))?
        .unwrap_or_default();
    input.boolean("Force")?;
    for (i, id) in ids.iter().enumerate() {
        if !id.is_empty() && !is_name(id) {
            input.violation(
                Some(id),
                &format!("Ids.{}.member", i + 1),
                &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
            );
        }
    }
    let ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    finish(problems)?;
    rule_scope(ctx, body, "Rule", |bus, _, _, name| {
        let bus_name = bus.name.clone();
        let rule = bus
            .rules
            .get_mut(&name)
            .ok_or_else(|| ApiError::no_rule(&name, &bus_name))?;
        let before = Some(rule.clone());
        rule.targets.retain(|(_, t)| !ids.contains(&t.id));
        bus.commit(&name, before)?;
        Ok(json!({"FailedEntryCount": 0, "FailedEntries": []}))
    })
}

pub(crate) fn list_targets_by_rule(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let token = input
        .checked_string("NextToken", false, 1, 2048, None)?
        .map(str::to_string);
    let limit = input.integer("Limit", 1, 100)?;
    finish(problems)?;
    rule_scope(ctx, body, "Rule", |bus, _, _, name| {
        let rule = bus
            .rules
            .get(&name)
            .ok_or_else(|| ApiError::no_rule(&name, &bus.name))?;
        let all: Vec<Value> = rule
            .targets
            .iter()
            .map(|(obj, _)| Value::Object(obj.clone()))
            .collect();
        paged("Targets", all, token.as_deref(), limit)
    })
}

pub(crate) fn list_rule_names_by_target(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let arn = input.checked_string("TargetArn", true, 1, 1600, None)?;
    let token = input.checked_string("NextToken", false, 1, 2048, None)?;
    let limit = input.integer("Limit", 1, 100)?;
    let (account, region, bus_name) = bus_member(ctx, &mut input)?;
    finish(problems)?;
    let arn = arn.unwrap_or_default();
    let mut registry = lock(&ctx.shared.registry);
    let region_state = ctx.shared.region(&mut registry, &account, &region);
    let bus = bus_mut(region_state, &bus_name)?;
    let names: Vec<Value> = bus
        .rules
        .values()
        .filter(|r| r.targets.iter().any(|(_, t)| t.arn == arn))
        .map(|r| json!(r.name))
        .collect();
    paged("RuleNames", names, token, limit)
}
