//! The EventBridge actions: the action table (`X-Amz-Target:
//! AWSEvents.<Action>` → handler) and the context every handler gets.
//! Handlers decode their request (see `input`), act on the shared state and
//! the buses' engines, and encode the answer; errors are [`ApiError`]s.

use std::time::SystemTime;

use serde_json::Value;

pub(crate) mod archives;
mod buses;
pub(crate) mod error;
mod events;
pub(crate) mod input;
mod rules;
mod tags;
mod targets;

pub(crate) use error::ApiError;

use crate::state::Shared;

/// Who is asking, and where.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) account: String,
    pub(crate) region: String,
}

impl Ctx<'_> {
    pub(crate) fn now(&self) -> SystemTime {
        self.shared.now()
    }
}

type Handler = fn(&Ctx<'_>, &Value) -> Result<Value, ApiError>;

/// Whether an action changes what `--state` keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    Reads,
    Writes,
}

/// Every action the server answers. Any other gets `UnknownOperationException`.
const ACTIONS: &[(&str, Handler, Effect)] = &[
    ("PutEvents", events::put_events, Effect::Reads),
    (
        "TestEventPattern",
        events::test_event_pattern,
        Effect::Reads,
    ),
    ("PutRule", rules::put_rule, Effect::Writes),
    ("DescribeRule", rules::describe_rule, Effect::Reads),
    ("ListRules", rules::list_rules, Effect::Reads),
    ("DeleteRule", rules::delete_rule, Effect::Writes),
    ("EnableRule", rules::enable_rule, Effect::Writes),
    ("DisableRule", rules::disable_rule, Effect::Writes),
    ("PutTargets", targets::put_targets, Effect::Writes),
    ("RemoveTargets", targets::remove_targets, Effect::Writes),
    (
        "ListTargetsByRule",
        targets::list_targets_by_rule,
        Effect::Reads,
    ),
    (
        "ListRuleNamesByTarget",
        targets::list_rule_names_by_target,
        Effect::Reads,
    ),
    ("CreateEventBus", buses::create_event_bus, Effect::Writes),
    ("DescribeEventBus", buses::describe_event_bus, Effect::Reads),
    ("ListEventBuses", buses::list_event_buses, Effect::Reads),
    ("DeleteEventBus", buses::delete_event_bus, Effect::Writes),
    ("CreateArchive", archives::create_archive, Effect::Writes),
    ("DescribeArchive", archives::describe_archive, Effect::Reads),
    ("ListArchives", archives::list_archives, Effect::Reads),
    ("DeleteArchive", archives::delete_archive, Effect::Writes),
    ("StartReplay", archives::start_replay, Effect::Writes),
    ("DescribeReplay", archives::describe_replay, Effect::Reads),
    ("ListReplays", archives::list_replays, Effect::Reads),
    ("TagResource", tags::tag_resource, Effect::Writes),
    ("UntagResource", tags::untag_resource, Effect::Writes),
    (
        "ListTagsForResource",
        tags::list_tags_for_resource,
        Effect::Reads,
    ),
];

/// The action named by an `X-Amz-Target` value, if this API has it.
pub(crate) fn action(target: &str) -> Option<&'static str> {
    let name = target.strip_prefix("AWSEvents.")?;
    ACTIONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, _, _)| *n)
}

/// Run one action on a parsed request body.
pub(crate) fn dispatch(ctx: &Ctx<'_>, action: &str, body: &Value) -> Result<Value, ApiError> {
    let Some((_, handler, effect)) = ACTIONS.iter().find(|(n, _, _)| *n == action) else {
        return Err(ApiError::unknown_operation(action));
    };
    let answer = handler(ctx, body)?;
    if *effect == Effect::Writes {
        ctx.shared.save().map_err(|e| {
            ApiError::internal(format!(
                "The change was made but the state could not be saved: {e}"
            ))
        })?;
    }
    Ok(answer)
}
