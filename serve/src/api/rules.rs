//! PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule.

use serde_json::{json, Map, Value};

use super::input::{
    finish, is_bus_or_arn, is_name, paged, Input, BUS_OR_ARN_PATTERN, NAME_PATTERN,
};
use super::{tags, ApiError, Ctx};
use crate::engine::lock;
use crate::schedule::Schedule;
use crate::state::{resolve_bus, Bus, Region, RuleInfo};

/// AWS's default limit of rules per event bus.
pub(crate) const MAX_RULES_PER_BUS: usize = 300;

pub(super) const STATES: &[&str] = &[
    "ENABLED",
    "DISABLED",
    "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
];

/// Read `EventBusName` (a name or an ARN) as (account, region, name).
pub(super) fn bus_member(
    ctx: &Ctx<'_>,
    input: &mut Input<'_, '_>,
) -> Result<(String, String, String), ApiError> {
    let bus = input.checked_string(
        "EventBusName",
        false,
        1,
        1600,
        Some((BUS_OR_ARN_PATTERN, is_bus_or_arn)),
    )?;
    Ok(resolve_bus(bus, &ctx.account, &ctx.region))
}

pub(super) fn rule_name(
    input: &mut Input<'_, '_>,
    member: &str,
) -> Result<Option<String>, ApiError> {
    Ok(input
        .checked_string(member, true, 1, 64, Some((NAME_PATTERN, is_name)))?
        .map(str::to_string))
}

/// The bus, or ResourceNotFoundException naming it.
pub(super) fn bus_mut<'r>(region: &'r mut Region, bus: &str) -> Result<&'r mut Bus, ApiError> {
    region
        .buses
        .get_mut(bus)
        .ok_or_else(|| ApiError::no_bus(bus))
}

/// Check a pattern as PutRule does, with AWS's reason on failure.
pub(super) fn check_pattern(name: &str, pattern: &str) -> Result<(), ApiError> {
    evrule::Matcher::new()
        .add(name, pattern)
        .map(|_| ())
        .map_err(|e| ApiError::invalid_pattern(e.message()))
}

pub(crate) fn put_rule(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = rule_name(&mut input, "Name")?;
    let schedule = input.checked_string("ScheduleExpression", false, 0, 256, None)?;
    let pattern = input.checked_string("EventPattern", false, 0, 4096, None)?;
    let state = input.enum_string("State", STATES)?;
    let description = input.checked_string("Description", false, 0, 512, None)?;
    let role_arn = input.checked_string("RoleArn", false, 1, 1600, None)?;
    let new_tags = tags::read_tags(&mut input, "Tags")?;
    let (account, region, bus_name) = bus_member(ctx, &mut input)?;
    finish(problems)?;
    let name = name.unwrap_or_default();
    if pattern.is_none() && schedule.is_none() {
        return Err(ApiError::validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        ));
    }
    let parsed = schedule
        .map(Schedule::parse)
        .transpose()
        .map_err(ApiError::validation)?;
    if let Some(p) = pattern {
        check_pattern(&name, p)?;
    }
    if schedule.is_some() && bus_name != "default" {
        return Err(ApiError::validation(
            "ScheduleExpression is supported only on the default event bus.",
        ));
    }
    let now = ctx.now();
    let mut registry = lock(&ctx.shared.registry);
    let region_state = ctx.shared.region(&mut registry, &account, &region);
    let bus = bus_mut(region_state, &bus_name)?;
    let arn = bus.rule_arn(&name, &account, &region);
    let state = state.unwrap_or("ENABLED").to_string();
    let before = bus.rules.get(&name).cloned();
    match bus.rules.get_mut(&name) {
        Some(rule) => {
            // An update replaces the settings; tags stay (AWS ignores Tags here).
            rule.event_pattern = pattern.map(str::to_string);
            rule.schedule_expression = schedule.map(str::to_string);
            rule.schedule = parsed;
            rule.state = state;
            rule.description = description.map(str::to_string);
            rule.role_arn = role_arn.map(str::to_string);
            rule.plan(now);
        }
        None => {
            if bus.rules.len() >= MAX_RULES_PER_BUS {
                return Err(ApiError::limit(
                    "The requested resource exceeds the maximum number allowed.",
                ));
            }
            let mut rule = RuleInfo {
                name: name.clone(),
                event_pattern: pattern.map(str::to_string),
                schedule_expression: schedule.map(str::to_string),
                schedule: parsed,
                state,
                description: description.map(str::to_string),
                role_arn: role_arn.map(str::to_string),
                targets: Vec::new(),
                tags: new_tags,
                created_by: account.clone(),
                next_fire: None,
            };
            rule.plan(now);
            bus.rules.insert(name.clone(), rule);
        }
    }
    bus.commit(&name, before)?;
    Ok(json!({ "RuleArn": arn }))
}

/// The shape DescribeRule and ListRules share.
fn rule_json(bus: &Bus, rule: &RuleInfo, account: &str, region: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("Name".into(), json!(rule.name));
    out.insert(
        "Arn".into(),
        json!(bus.rule_arn(&rule.name, account, region)),
    );
    if let Some(p) = &rule.event_pattern {
        out.insert("EventPattern".into(), json!(p));
    }
    if let Some(s) = &rule.schedule_expression {
        out.insert("ScheduleExpression".into(), json!(s));
    }
    out.insert("State".into(), json!(rule.state));
    if let Some(d) = &rule.description {
        out.insert("Description".into(), json!(d));
    }
    if let Some(r) = &rule.role_arn {
        out.insert("RoleArn".into(), json!(r));
    }
    out.insert("EventBusName".into(), json!(bus.name));
    out
}

/// Read `Name` and `EventBusName`, then run `f` on the rule.
fn with_rule<T>(
    ctx: &Ctx<'_>,
    body: &Value,
    member: &str,
    f: impl FnOnce(&mut Bus, &str, &str, String) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = rule_name(&mut input, member)?;
    let (account, region, bus_name) = bus_member(ctx, &mut input)?;
    finish(problems)?;
    let mut registry = lock(&ctx.shared.registry);
    let region_state = ctx.shared.region(&mut registry, &account, &region);
    let bus = bus_mut(region_state, &bus_name)?;
    f(bus, &account, &region, name.unwrap_or_default())
}

pub(crate) fn describe_rule(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    with_rule(ctx, body, "Name", |bus, account, region, name| {
        let rule = bus
            .rules
            .get(&name)
            .ok_or_else(|| ApiError::no_rule(&name, &bus.name))?;
        let mut out = rule_json(bus, rule, account, region);
        out.insert("CreatedBy".into(), json!(rule.created_by));
        Ok(Value::Object(out))
    })
}

pub(crate) fn list_rules(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let prefix = input.checked_string("NamePrefix", false, 1, 64, Some((NAME_PATTERN, is_name)))?;
    let token = input.checked_string("NextToken", false, 1, 2048, None)?;
    let limit = input.integer("Limit", 1, 100)?;
    let (account, region, bus_name) = bus_member(ctx, &mut input)?;
    finish(problems)?;
    let mut registry = lock(&ctx.shared.registry);
    let region_state = ctx.shared.region(&mut registry, &account, &region);
    let bus = bus_mut(region_state, &bus_name)?;
    let all: Vec<Value> = bus
        .rules
        .values()
        .filter(|r| prefix.is_none_or(|p| r.name.starts_with(p)))
        .map(|r| Value::Object(rule_json(bus, r, &account, &region)))
        .collect();
    paged("Rules", all, token, limit)
}

pub(crate) fn delete_rule(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    Input::new(body, &mut problems).boolean("Force")?;
    with_rule(ctx, body, "Name", |bus, _, _, name| {
        let Some(rule) = bus.rules.get(&name) else {
            // Deleting a rule that is not there succeeds, as on AWS.
            return Ok(json!({}));
        };
        if !rule.targets.is_empty() {
            return Err(ApiError::validation(
                "Rule can't be deleted since it has targets.",
            ));
        }
        let before = bus.rules.remove(&name);
        bus.commit(&name, before)?;
        Ok(json!({}))
    })
}

fn set_state(ctx: &Ctx<'_>, body: &Value, state: &str) -> Result<Value, ApiError> {
    let now = ctx.now();
    with_rule(ctx, body, "Name", |bus, _, _, name| {
        let bus_name = bus.name.clone();
        let rule = bus
            .rules
            .get_mut(&name)
            .ok_or_else(|| ApiError::no_rule(&name, &bus_name))?;
        let before = Some(rule.clone());
        rule.state = state.to_string();
        rule.plan(now);
        bus.commit(&name, before)?;
        Ok(json!({}))
    })
}

pub(crate) fn enable_rule(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    set_state(ctx, body, "ENABLED")
}

pub(crate) fn disable_rule(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    set_state(ctx, body, "DISABLED")
}

/// Used by the targets module: the rule named by `member`, on the bus of
/// the request.
pub(super) fn rule_scope<T>(
    ctx: &Ctx<'_>,
    body: &Value,
    member: &str,
    f: impl FnOnce(&mut Bus, &str, &str, String) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    with_rule(ctx, body, member, f)
}
