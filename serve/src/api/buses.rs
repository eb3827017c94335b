//! CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus.

use serde_json::{json, Map, Value};

use super::input::{
    finish, is_bus_name, is_bus_or_arn, paged, Input, BUS_NAME_PATTERN, BUS_OR_ARN_PATTERN,
};
use super::{tags, ApiError, Ctx};
use crate::engine::lock;
use crate::ids;
use crate::state::{resolve_bus, Bus};

/// AWS's default limit of event buses per account and region.
const MAX_BUSES: usize = 100;

/// Members of CreateEventBus that are echoed back as given.
const ECHOED: &[&str] = &["KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"];

fn bus_json(bus: &Bus, detail: bool) -> Value {
    let mut out = Map::new();
    out.insert("Name".into(), json!(bus.name));
    out.insert("Arn".into(), json!(bus.arn));
    if let Some(d) = &bus.description {
        out.insert("Description".into(), json!(d));
    }
    if detail {
        for (k, v) in &bus.extra {
            out.insert(k.clone(), v.clone());
        }
    }
    out.insert("CreationTime".into(), ids::epoch(bus.created));
    out.insert("LastModifiedTime".into(), ids::epoch(bus.modified));
    Value::Object(out)
}

pub(crate) fn create_event_bus(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = input.checked_string("Name", true, 1, 256, Some((BUS_NAME_PATTERN, is_bus_name)))?;
    let source = input.checked_string("EventSourceName", false, 1, 256, None)?;
    let description = input.checked_string("Description", false, 0, 512, None)?;
    input.checked_string("KmsKeyIdentifier", false, 0, 2048, None)?;
    if let Some(mut log) = input.structure("LogConfig", "logConfig.".into())? {
        log.enum_string("IncludeDetail", &["NONE", "FULL"])?;
        log.enum_string("Level", &["OFF", "ERROR", "INFO", "TRACE"])?;
    }
    if let Some(mut d) = input.structure("DeadLetterConfig", "deadLetterConfig.".into())? {
        d.checked_string("Arn", false, 1, 1600, None)?;
    }
    let new_tags = tags::read_tags(&mut input, "Tags")?;
    let raw = input.raw();
    finish(problems)?;
    let name = name.unwrap_or_default();
    if let Some(source) = source {
        return Err(ApiError::not_found(format!(
            "Event source {source} does not exist."
        )));
    }
    if name.contains('/') {
        return Err(ApiError::validation("Event bus name must not contain '/'."));
    }
    let now = ctx.now();
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    if region.buses.contains_key(name) {
        return Err(ApiError::already_exists(format!(
            "Event bus {name} already exists."
        )));
    }
    if region.buses.len() >= MAX_BUSES {
        return Err(ApiError::limit(
            "The requested resource exceeds the maximum number allowed.",
        ));
    }
    let mut bus = ctx.shared.new_bus(&ctx.account, &ctx.region, name, now);
    bus.description = description.map(str::to_string);
    bus.tags = new_tags;
    let mut out = json!({ "EventBusArn": bus.arn });
    if let Some(d) = description {
        out["Description"] = json!(d);
    }
    for key in ECHOED {
        if let Some(v) = raw.get(*key).filter(|v| !v.is_null()) {
            bus.extra.insert((*key).to_string(), v.clone());
            out[*key] = v.clone();
        }
    }
    region.buses.insert(name.to_string(), bus);
    Ok(out)
}

pub(crate) fn describe_event_bus(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = input.checked_string(
        "Name",
        false,
        1,
        1600,
        Some((BUS_OR_ARN_PATTERN, is_bus_or_arn)),
    )?;
    finish(problems)?;
    let (account, region, name) = resolve_bus(name, &ctx.account, &ctx.region);
    let mut registry = lock(&ctx.shared.registry);
    let region_state = ctx.shared.region(&mut registry, &account, &region);
    let bus = region_state
        .buses
        .get(&name)
        .ok_or_else(|| ApiError::no_bus(&name))?;
    Ok(bus_json(bus, true))
}

pub(crate) fn list_event_buses(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let prefix = input.checked_string(
        "NamePrefix",
        false,
        1,
        256,
        Some((BUS_NAME_PATTERN, is_bus_name)),
    )?;
    let token = input.checked_string("NextToken", false, 1, 2048, None)?;
    let limit = input.integer("Limit", 1, 100)?;
    finish(problems)?;
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    let all: Vec<Value> = region
        .buses
        .values()
        .filter(|b| prefix.is_none_or(|p| b.name.starts_with(p)))
        .map(|b| bus_json(b, false))
        .collect();
    paged("EventBuses", all, token, limit)
}

pub(crate) fn delete_event_bus(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut input = Input::new(body, &mut problems);
    let name = input.checked_string("Name", true, 1, 256, Some((BUS_NAME_PATTERN, is_bus_name)))?;
    finish(problems)?;
    let name = name.unwrap_or_default();
    if name == "default" {
        return Err(ApiError::validation("Cannot delete event bus default."));
    }
    let mut registry = lock(&ctx.shared.registry);
    let region = ctx.shared.region(&mut registry, &ctx.account, &ctx.region);
    // The durable store forgets the bus's rules first: if it cannot, the
    // bus stays.
    if let (Some(bus), Some(durable)) = (region.buses.get(name), &ctx.shared.durable) {
        if !bus.rules.is_empty() {
            durable.set_rules(name, &[]).map_err(|e| {
                ApiError::internal(format!(
                    "The event bus was not deleted: its rules could not be removed from the durable engine: {e}"
                ))
            })?;
        }
    }
    // Deleting a bus that is not there succeeds, as on AWS.
    if let Some(bus) = region.buses.remove(name) {
        ctx.shared.drop_engine(&ctx.account, &ctx.region, name);
        ctx.shared.retire_engine(bus.engine);
    }
    Ok(json!({}))
}
