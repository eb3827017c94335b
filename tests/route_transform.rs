//! Every row of the "Input transformer behaviour recorded on AWS" table in
//! spec/routing.md, plus the reserved variables and the load-time errors.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use evrule::route::{
    Delivery, DeliveryResult, InputTransformer, InputTransformerConfig, RenderContext, Router,
    Rule, Target,
};
use serde_json::{json, Value};

const EVENT: &str = r#"{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "User Updated",
  "source": "com.example.users",
  "account": "123456789012",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:iam::123456789012:user/u1"],
  "detail": {
    "userId": "0a787ecb-4015",
    "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
    "listsingle": ["HIGH"],
    "listmulti": ["ACTIVE", "INACTIVE"],
    "valid": true
  }
}"#;

fn transformer(template: &str) -> InputTransformer {
    let config = InputTransformerConfig::new(template)
        .path("userId", "$.detail.userId")
        .path("payload", "$.detail.payload")
        .path("listsingle", "$.detail.listsingle")
        .path("listmulti", "$.detail.listmulti")
        .path("valid", "$.detail.valid")
        .path("systemstring", "$.detail.systemstring")
        .path("command", "$.detail.command");
    InputTransformer::compile("t1", &config).unwrap()
}

fn ingestion() -> std::time::SystemTime {
    // 2024-02-29T12:34:56Z, deliberately not the event's own `time`.
    UNIX_EPOCH + Duration::from_secs(1_709_210_096)
}

fn render(template: &str) -> Result<String, evrule::Error> {
    let ctx = RenderContext::new(
        "users-rule",
        "arn:aws:events:us-west-1:123456789012:rule/users-rule",
        ingestion(),
    );
    transformer(template).render(EVENT, &ctx)
}

fn json_row(template: &str, delivered: &str) {
    let got = render(template).unwrap_or_else(|e| panic!("{template}: {e}"));
    let got: Value = serde_json::from_str(&got).unwrap();
    let want: Value = serde_json::from_str(delivered).unwrap();
    assert_eq!(got, want, "template {template}");
}

fn text_row(template: &str, delivered: &str) {
    assert_eq!(render(template).unwrap(), delivered, "template {template}");
}

fn nothing_delivered(template: &str) {
    let err = render(template).unwrap_err();
    assert!(
        err.message()
            .starts_with("InputTemplate for target t1 did not produce valid JSON"),
        "{template}: {}",
        err.message()
    );
}

#[test]
fn value_position_string() {
    json_row(r#"{"id" : <userId>}"#, r#"{"id": "0a787ecb-4015"}"#);
}

#[test]
fn string_position_string_is_not_double_quoted() {
    json_row(r#"{"id" : "<userId>"}"#, r#"{"id": "0a787ecb-4015"}"#);
}

#[test]
fn object_in_value_position_and_string_in_path() {
    json_row(
        r#"{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}"#,
        r#"{"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}"#,
    );
}

#[test]
fn value_inside_array() {
    json_row(
        r#"{"bod": [<userId>, "hardcoded"]}"#,
        r#"{"bod": ["0a787ecb-4015", "hardcoded"]}"#,
    );
}

#[test]
fn single_item_list_in_value_position() {
    json_row(
        r#"{"singlelistitem": <listsingle>}"#,
        r#"{"singlelistitem": ["HIGH"]}"#,
    );
}

#[test]
fn list_inside_string_delivers_nothing() {
    nothing_delivered(r#"{"singlelistitem": "<listsingle>"}"#);
}

#[test]
fn multiple_replacements_in_one_string() {
    json_row(
        r#"{"multi_replacement": "users/<userId>/second/<userId>"}"#,
        r#"{"multi_replacement": "users/0a787ecb-4015/second/0a787ecb-4015"}"#,
    );
}

#[test]
fn string_template_renders_object_as_text() {
    text_row(
        r#""Payload of <payload> with path users-service/users/<userId> and <userId>""#,
        r#""Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/0a787ecb-4015 and 0a787ecb-4015""#,
    );
}

#[test]
fn string_template_renders_list_as_text() {
    text_row(
        r#""<listmulti> multiple list items""#,
        r#""[ACTIVE,INACTIVE] multiple list items""#,
    );
}

#[test]
fn string_template_undefined_variable_is_empty() {
    text_row(
        r#""<systemstring> system account id""#,
        r#"" system account id""#,
    );
}

#[test]
fn string_template_boolean() {
    text_row(r#""Command is <valid>!""#, r#""Command is true!""#);
}

#[test]
fn neither_json_nor_quoted_string_delivers_nothing() {
    nothing_delivered("<listsingle> single list item");
}

#[test]
fn absent_path_gives_empty_string_quoted_or_not() {
    json_row(
        r#"{"user": <userId>, "command": <command>}"#,
        r#"{"user": "0a787ecb-4015", "command": ""}"#,
    );
    json_row(
        r#"{"user": <userId>, "command": "<command>"}"#,
        r#"{"user": "0a787ecb-4015", "command": ""}"#,
    );
}

#[test]
fn original_event_and_event_json() {
    let got = render(
        r#"{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}"#,
    )
    .unwrap();
    let got: Value = serde_json::from_str(&got).unwrap();
    assert_eq!(
        got["originalEvent"],
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detailType": "User Updated",
            "source": "com.example.users",
            "account": "123456789012",
            "time": "2024-02-29T12:34:56Z",
            "region": "us-west-1",
            "resources": ["arn:aws:iam::123456789012:user/u1"]
        })
    );
    assert_eq!(
        got["originalEventJson"],
        serde_json::from_str::<Value>(EVENT).unwrap()
    );
}

#[test]
fn rule_name_arn_and_ingestion_time() {
    text_row(
        r#""<aws.events.rule-name> <aws.events.rule-arn> <aws.events.event.ingestion-time>""#,
        r#""users-rule arn:aws:events:us-west-1:123456789012:rule/users-rule 2024-02-29T12:34:56Z""#,
    );
    json_row(
        r#"{"rule": <aws.events.rule-name>, "at": "<aws.events.event.ingestion-time>"}"#,
        r#"{"rule": "users-rule", "at": "2024-02-29T12:34:56Z"}"#,
    );
}

#[test]
fn string_values_are_escaped_inside_strings() {
    let config = InputTransformerConfig::new(r#"{"said": "she said <q>"}"#).path("q", "$.q");
    let t = InputTransformer::compile("t", &config).unwrap();
    let ctx = RenderContext::new("r", "arn", UNIX_EPOCH);
    let out = t.render(r#"{"q": "\"hi\"\n"}"#, &ctx).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["said"], "she said \"hi\"\n");
}

#[test]
fn placeholder_naming_nothing_is_rejected_at_load() {
    let err = Target::from_json(&json!({
        "Id": "t1", "Arn": "arn:x",
        "InputTransformer": {"InputPathsMap": {"a": "$.a"},
                             "InputTemplate": "{\"a\": <a>, \"b\": <notdefinedkey>}"}
    }))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "InputTemplate for target t1 contains invalid placeholder notdefinedkey."
    );
}

#[test]
fn event_placeholders_only_in_value_position() {
    for template in [
        r#"{"e": "<aws.events.event>"}"#,
        r#""<aws.events.event.json>""#,
    ] {
        let err =
            InputTransformer::compile("t1", &InputTransformerConfig::new(template)).unwrap_err();
        assert!(
            err.message()
                .starts_with("InputTemplate for target t1 uses <aws.events.event"),
            "{}",
            err.message()
        );
    }
}

#[test]
fn text_that_only_looks_like_a_placeholder_is_literal() {
    let t =
        InputTransformer::compile("t", &InputTransformerConfig::new(r#""a < b > c <>""#)).unwrap();
    let ctx = RenderContext::new("r", "arn", UNIX_EPOCH);
    assert_eq!(t.render("{}", &ctx).unwrap(), r#""a < b > c <>""#);
}

#[test]
fn one_of_input_settings() {
    let err = Target::from_json(&json!({
        "Id": "t9", "Arn": "arn:x", "Input": "{}", "InputPath": "$.detail"
    }))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Only one of Input, InputPath, or InputTransformer must be provided for target t9."
    );
}

/// Through a router: constant Input, InputPath, the rule ARN on a custom
/// bus, and a transformer whose output is not JSON going to the DLQ.
#[test]
fn router_renders_each_kind_of_input() {
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sink = Arc::clone(&got);
    let mut rule = Rule::new("users-rule", "{}");
    rule.event_bus_name = Some("users".into());
    rule.targets = vec![
        Target::from_json(&json!({"Id": "const", "Arn": "arn:a", "Input": "{\"fixed\": 1}"}))
            .unwrap(),
        Target::from_json(&json!({"Id": "path", "Arn": "arn:a", "InputPath": "$.detail.payload"}))
            .unwrap(),
        Target::from_json(&json!({"Id": "arn", "Arn": "arn:a", "InputTransformer": {
            "InputTemplate": "\"<aws.events.rule-arn>\""}}))
        .unwrap(),
        Target::from_json(&json!({"Id": "bad", "Arn": "arn:a",
            "DeadLetterConfig": {"Arn": "arn:dlq"},
            "InputTransformer": {"InputPathsMap": {"l": "$.detail.listsingle"},
            "InputTemplate": "{\"x\": \"<l>\"}"}}))
        .unwrap(),
    ];
    let dead: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let dlq = Arc::clone(&dead);
    let router = Router::builder()
        .config(evrule::route::RouterConfig::new().region("us-west-1"))
        .rule(rule)
        .destination(
            "arn:a",
            Arc::new(move |d: &Delivery| {
                sink.lock()
                    .unwrap()
                    .push((d.target_id.clone(), d.body.clone()));
                DeliveryResult::Ok
            }),
        )
        .destination(
            "arn:dlq",
            Arc::new(move |d: &Delivery| {
                dlq.lock().unwrap().push(d.clone());
                DeliveryResult::Ok
            }),
        )
        .selector(|_: &[u8]| Ok(vec!["users-rule".to_string()]))
        .build()
        .unwrap();
    router.route(EVENT.as_bytes()).unwrap();
    let stats = router.drain();
    let mut got = got.lock().unwrap().clone();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "arn".to_string(),
                r#""arn:aws:events:us-west-1:123456789012:rule/users/users-rule""#.to_string()
            ),
            ("const".to_string(), r#"{"fixed": 1}"#.to_string()),
            (
                "path".to_string(),
                r#"{"acc_id":"0a787ecb-4015","sf_id":"baz"}"#.to_string()
            ),
        ]
    );
    let dead = dead.lock().unwrap();
    assert_eq!(dead.len(), 1);
    let reason = dead[0].dead_letter.as_ref().unwrap();
    assert_eq!(reason.error_code, "INVALID_TARGET_INPUT");
    assert_eq!(reason.target_id, "bad");
    assert_eq!(reason.attempts, 0);
    assert_eq!(dead[0].body, EVENT);
    assert_eq!(stats.target("users-rule", "bad").unwrap().dead_lettered, 1);
}

#[test]
fn a_placeholder_cannot_be_an_object_key() {
    for template in [
        r#"{<userId>: 1}"#,
        r#"{"a": 1, <userId>: 2}"#,
        r#"[{"a": [1, {<userId>: 1}]}]"#,
    ] {
        let err = InputTransformer::compile(
            "t1",
            &InputTransformerConfig::new(template).path("userId", "$.u"),
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "InputTemplate for target t1 uses <userId> as an object key.",
            "{template}"
        );
    }
    // Values after keys and inside arrays are fine.
    for template in [
        r#"{"a": <userId>}"#,
        r#"{"a": [<userId>, <userId>]}"#,
        r#"[<userId>]"#,
    ] {
        InputTransformer::compile(
            "t1",
            &InputTransformerConfig::new(template).path("userId", "$.u"),
        )
        .unwrap();
    }
}
