//! TagResource, UntagResource, ListTagsForResource: tags of rules and
//! event buses, named by ARN.

use serde_json::{json, Value};

use super::input::{finish, Input};
use super::{ApiError, Ctx};
use crate::engine::lock;
use crate::state::parse_arn;

/// Read a `Tags` list: `[{"Key": ..., "Value": ...}]`.
pub(super) fn read_tags(
    input: &mut Input<'_, '_>,
    member: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    let Some(items) = input.list(member, false, 0, usize::MAX)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut tag = input.element(member, i, item)?;
        let key = tag.checked_string("Key", true, 1, 128, None)?;
        let value = tag.checked_string("Value", true, 0, 256, None)?;
        if let (Some(k), Some(v)) = (key, value) {
            out.push((k.to_string(), v.to_string()));
        }
    }
    Ok(out)
}

/// Apply `f` to the tags of the rule or bus `arn` names.
fn with_tags<T>(
    ctx: &Ctx<'_>,
    arn: &str,
    f: impl FnOnce(&mut Vec<(String, String)>) -> T,
) -> Result<T, ApiError> {
    let invalid = || {
        ApiError::validation(format!(
            "Parameter ResourceARN is not valid. Reason: {arn} is not the ARN of an event bus or a rule."
        ))
    };
    let parsed = parse_arn(arn).ok_or_else(invalid)?;
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx
        .shared
        .region(&mut registry, parsed.account, parsed.region);
    match parsed.kind {
        "event-bus" => {
            let bus = region
                .buses
                .get_mut(parsed.name)
                .ok_or_else(|| ApiError::no_bus(parsed.name))?;
            Ok(f(&mut bus.tags))
        }
        "rule" => {
            let (bus_name, rule) = parsed
                .name
                .rsplit_once('/')
                .unwrap_or(("default", parsed.name));
            let bus = region
                .buses
                .get_mut(bus_name)
                .ok_or_else(|| ApiError::no_rule(rule, bus_name))?;
            let rule_info = bus
                .rules
                .get_mut(rule)
                .ok_or_else(|| ApiError::no_rule(rule, bus_name))?;
            Ok(f(&mut rule_info.tags))
        }
        _ => Err(invalid()),
    }
}

fn resource_arn<'a>(input: &mut Input<'a, '_>) -> Result<Option<&'a str>, ApiError> {
    input.checked_string("ResourceARN", true, 1, 1600, None)
}

pub(crate) fn tag_resource(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let arn = resource_arn(&mut input)?;
    if input.raw().get("Tags").is_none_or(Value::is_null) {
        input.violation(None, "Tags", "Member must not be null");
    }
    let tags = read_tags(&mut input, "Tags")?;
    finish(problems)?;
    with_tags(ctx, arn.unwrap_or_default(), |have| {
        for (k, v) in tags {
            match have.iter_mut().find(|(hk, _)| *hk == k) {
                Some(old) => old.1 = v,
                None => have.push((k, v)),
            }
        }
    })?;
    Ok(json!({}))
}

pub(crate) fn untag_resource(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let arn = resource_arn(&mut input)?;
    let keys: Vec<String> = input
        .string_list("TagKeys", true, (0, usize::MAX), (1, 128))?
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect();
    finish(problems)?;
    with_tags(ctx, arn.unwrap_or_default(), |have| {
        have.retain(|(k, _)| !keys.contains(k));
    })?;
    Ok(json!({}))
}

pub(crate) fn list_tags_for_resource(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let arn = resource_arn(&mut input)?;
    finish(problems)?;
    let tags = with_tags(ctx, arn.unwrap_or_default(), |have| have.clone())?;
    let tags: Vec<Value> = tags
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}
