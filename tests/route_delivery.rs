//! Delivery: fan-out, retries, dead letters, drops, FIFO order, shutdown.
//! No timing assertions: back-off is configured in milliseconds and every
//! wait is on the router's own completion (`drain`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evrule::route::{
    Clock, Delivery, DeliveryResult, Destination, ExhaustedLimit, Router, RouterConfig, Rule,
    RuleSet, Target,
};
use serde_json::json;

/// Records every attempt; answers from a script.
struct Recorder<F: Fn(&Delivery) -> DeliveryResult + Send + Sync> {
    seen: Mutex<Vec<Delivery>>,
    answer: F,
}

impl<F: Fn(&Delivery) -> DeliveryResult + Send + Sync> Recorder<F> {
    fn new(answer: F) -> Arc<Self> {
        Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            answer,
        })
    }
    fn seen(&self) -> Vec<Delivery> {
        self.seen.lock().unwrap().clone()
    }
}

impl<F: Fn(&Delivery) -> DeliveryResult + Send + Sync> Destination for Recorder<F> {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        self.seen.lock().unwrap().push(d.clone());
        (self.answer)(d)
    }
}

fn ok(_: &Delivery) -> DeliveryResult {
    DeliveryResult::Ok
}

fn fast() -> RouterConfig {
    RouterConfig::new()
        .workers(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(4))
}

fn select(names: &'static [&'static str]) -> impl Fn(&[u8]) -> Result<Vec<String>, evrule::Error> {
    move |_: &[u8]| Ok(names.iter().map(|s| s.to_string()).collect())
}

#[test]
fn fan_out_one_failing_target_never_blocks_the_others() {
    let mut rule = Rule::new("orders", "{}");
    for i in 0..5 {
        let mut t = Target::new(format!("t{i}"), format!("arn:t{i}"));
        t.retry_policy.maximum_retry_attempts = 3;
        t.dead_letter_config = Some(evrule::route::DeadLetterConfig {
            arn: "arn:dlq".into(),
        });
        rule.targets.push(t);
    }
    let good: Vec<_> = (0..4).map(|_| Recorder::new(ok)).collect();
    let failing = Recorder::new(|_: &Delivery| DeliveryResult::Retryable("503 Slow Down".into()));
    let dlq = Recorder::new(ok);
    let mut b = Router::builder()
        .config(fast())
        .rule(rule)
        .selector(select(&["orders"]))
        .destination("arn:t2", failing.clone())
        .destination("arn:dlq", dlq.clone());
    for (i, g) in [0, 1, 3, 4].into_iter().zip(&good) {
        b = b.destination(format!("arn:t{i}"), g.clone());
    }
    let router = b.build().unwrap();
    let events = 10;
    for n in 0..events {
        let outcome = router
            .route(format!(r#"{{"id": "{n}"}}"#).as_bytes())
            .unwrap();
        assert_eq!(outcome.deliveries, 5);
    }
    let stats = router.drain();

    for g in &good {
        let mut ids: Vec<String> = g.seen().iter().map(|d| d.body.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), events, "each event exactly once");
        assert_eq!(g.seen().len(), events, "no duplicates");
    }
    // 1 attempt + 3 retries per event.
    assert_eq!(failing.seen().len(), events * 4);
    let dead = dlq.seen();
    assert_eq!(dead.len(), events);
    for d in &dead {
        let why = d.dead_letter.as_ref().unwrap();
        assert_eq!(why.attempts, 4);
        assert_eq!(why.limit, ExhaustedLimit::MaximumRetryAttempts);
        assert_eq!(why.error_code, "TARGET_ERROR");
        assert_eq!(why.error_message, "503 Slow Down");
        assert_eq!(
            (why.rule.as_str(), why.target_id.as_str()),
            ("orders", "t2")
        );
        assert_eq!(d.target_arn, "arn:t2");
    }
    let t2 = stats.target("orders", "t2").unwrap();
    assert_eq!(
        (t2.delivered, t2.retried, t2.dead_lettered, t2.dropped),
        (0, 30, 10, 0)
    );
    for id in ["t0", "t1", "t3", "t4"] {
        let t = stats.target("orders", id).unwrap();
        assert_eq!(
            (t.delivered, t.retried, t.dead_lettered, t.dropped),
            (10, 0, 0, 0)
        );
    }
    assert_eq!((stats.events, stats.matched), (10, 10));
}

#[test]
fn fifo_order_holds_per_group_across_retries_while_another_target_is_slow() {
    let mut fifo = Target::new("fifo", "arn:aws:sqs:us-east-1:123456789012:orders.fifo");
    fifo.sqs_parameters = Some(evrule::route::SqsParameters {
        message_group_id: "$.detail.customer".into(),
    });
    let rule = Rule::new("orders", "{}")
        .with_target(fifo)
        .with_target(Target::new("slow", "arn:slow"));
    // Fail the first attempt of every third event: retries must not let
    // later events of the same group overtake.
    let fifo_dest = Recorder::new(|d: &Delivery| {
        let v: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        let seq = v["detail"]["seq"].as_u64().unwrap();
        if seq % 3 == 0 && d.attempt == 1 {
            DeliveryResult::Retryable("throttled".into())
        } else {
            DeliveryResult::Ok
        }
    });
    let slow = Recorder::new(|_: &Delivery| {
        std::thread::sleep(Duration::from_millis(2));
        DeliveryResult::Ok
    });
    let router = Router::builder()
        .config(fast().workers(4).queue_capacity(8))
        .rule(rule)
        .selector(select(&["orders"]))
        .destination(
            "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
            fifo_dest.clone(),
        )
        .destination("arn:slow", slow.clone())
        .build()
        .unwrap();
    let n = 60;
    for seq in 0..n {
        let customer = ["alice", "bob", "carol"][seq % 3];
        let event = json!({"detail": {"customer": customer, "seq": seq}}).to_string();
        router.route(event.as_bytes()).unwrap();
    }
    let stats = router.drain();
    let seq_of = |d: &Delivery| {
        let v: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        v["detail"]["seq"].as_u64().unwrap()
    };
    // The attempts that succeeded, in the order they were made.
    let mut per_group: HashMap<String, Vec<u64>> = HashMap::new();
    for d in fifo_dest.seen() {
        if d.attempt > 1 || seq_of(&d) % 3 != 0 {
            per_group
                .entry(d.message_group_id.clone().unwrap())
                .or_default()
                .push(seq_of(&d));
        }
    }
    assert_eq!(per_group.len(), 3);
    for (group, seqs) in &per_group {
        let mut sorted = seqs.clone();
        sorted.sort();
        assert_eq!(seqs, &sorted, "group {group} out of order");
        assert_eq!(seqs.len(), n / 3);
    }
    assert_eq!(stats.target("orders", "fifo").unwrap().delivered, n as u64);
    assert_eq!(stats.target("orders", "slow").unwrap().delivered, n as u64);
    assert_eq!(slow.seen().len(), n);
}

/// A clock that moves 40 s forward every time it is read.
struct Leaping(AtomicU64);

impl Clock for Leaping {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + self.0.fetch_add(40, Ordering::SeqCst))
    }
}

#[test]
fn event_age_limit_dead_letters() {
    let mut t = Target::new("t", "arn:t");
    t.retry_policy.maximum_event_age_in_seconds = 60;
    t.dead_letter_config = Some(evrule::route::DeadLetterConfig {
        arn: "arn:dlq".into(),
    });
    let dest = Recorder::new(|_: &Delivery| DeliveryResult::Retryable("timeout".into()));
    let dlq = Recorder::new(ok);
    let router = Router::builder()
        .config(fast())
        .clock(Leaping(AtomicU64::new(0)))
        .rule(Rule::new("r", "{}").with_target(t))
        .selector(select(&["r"]))
        .destination("arn:t", dest.clone())
        .destination("arn:dlq", dlq.clone())
        .build()
        .unwrap();
    router.route(b"{}").unwrap();
    router.drain();
    let dead = dlq.seen();
    assert_eq!(dead.len(), 1);
    let why = dead[0].dead_letter.as_ref().unwrap();
    assert_eq!(why.limit, ExhaustedLimit::MaximumEventAgeInSeconds);
    assert_eq!(why.error_message, "timeout");
    assert_eq!(why.attempts as usize, dest.seen().len());
    assert!(why.attempts < 185);
}

#[test]
fn permanent_failure_is_not_retried() {
    let mut t = Target::new("t", "arn:t");
    t.dead_letter_config = Some(evrule::route::DeadLetterConfig {
        arn: "arn:dlq".into(),
    });
    let dest = Recorder::new(|_: &Delivery| DeliveryResult::Permanent("404 no such queue".into()));
    let dlq = Recorder::new(ok);
    let router = Router::builder()
        .config(fast())
        .rule(Rule::new("r", "{}").with_target(t))
        .selector(select(&["r"]))
        .destination("arn:t", dest.clone())
        .destination("arn:dlq", dlq.clone())
        .build()
        .unwrap();
    router.route(b"{}").unwrap();
    let stats = router.drain();
    assert_eq!(dest.seen().len(), 1);
    let why = dlq.seen()[0].dead_letter.clone().unwrap();
    assert_eq!(
        (why.limit, why.attempts, why.error_message.as_str()),
        (ExhaustedLimit::NotRetryable, 1, "404 no such queue")
    );
    assert_eq!(stats.target("r", "t").unwrap().retried, 0);
}

#[test]
fn without_a_dead_letter_queue_the_event_is_recorded_as_dropped() {
    let mut t = Target::new("t", "arn:t");
    t.retry_policy.maximum_retry_attempts = 0;
    let router = Router::builder()
        .config(fast())
        .rule(Rule::new("r", "{}").with_target(t))
        .selector(select(&["r"]))
        .destination(
            "arn:t",
            Arc::new(|_: &Delivery| DeliveryResult::Retryable("busy".into())),
        )
        .build()
        .unwrap();
    router.route(br#"{"id": "x"}"#).unwrap();
    let stats = router.drain();
    assert_eq!(stats.target("r", "t").unwrap().dropped, 1);
    assert_eq!(stats.drops.len(), 1);
    assert_eq!(stats.drops[0].event, r#"{"id": "x"}"#);
    assert_eq!(
        stats.drops[0].reason.limit,
        ExhaustedLimit::MaximumRetryAttempts
    );
    assert_eq!(stats.drops[0].reason.attempts, 1);
}

#[test]
fn a_failing_dead_letter_queue_is_a_recorded_drop() {
    let mut t = Target::new("t", "arn:t");
    t.dead_letter_config = Some(evrule::route::DeadLetterConfig {
        arn: "arn:dlq".into(),
    });
    let router = Router::builder()
        .config(fast())
        .rule(Rule::new("r", "{}").with_target(t))
        .selector(select(&["r"]))
        .destination(
            "arn:t",
            Arc::new(|_: &Delivery| DeliveryResult::Permanent("denied".into())),
        )
        .destination(
            "arn:dlq",
            Arc::new(|_: &Delivery| DeliveryResult::Permanent("dlq denied".into())),
        )
        .build()
        .unwrap();
    router.route(b"{}").unwrap();
    let stats = router.drain();
    assert_eq!(stats.target("r", "t").unwrap().dropped, 1);
    assert_eq!(
        stats.drops[0].reason.error_message,
        "denied (the dead-letter destination arn:dlq failed too: dlq denied)"
    );
}

#[test]
fn a_panicking_destination_is_a_permanent_failure() {
    let router = Router::builder()
        .config(fast())
        .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
        .selector(select(&["r"]))
        .destination(
            "arn:t",
            Arc::new(|_: &Delivery| -> DeliveryResult { panic!("boom") }),
        )
        .build()
        .unwrap();
    router.route(b"{}").unwrap();
    let stats = router.drain();
    assert_eq!(
        stats.drops[0].reason.error_message,
        "the destination panicked"
    );
}

#[test]
fn disabled_rules_never_deliver() {
    let mut rule = Rule::new("r", "{}").with_target(Target::new("t", "arn:t"));
    rule.state = evrule::route::RuleState::Disabled;
    let dest = Recorder::new(ok);
    let router = Router::builder()
        .rule(rule)
        .selector(select(&["r"]))
        .destination("arn:t", dest.clone())
        .build()
        .unwrap();
    let outcome = router.route(b"{}").unwrap();
    assert_eq!(outcome.deliveries, 0);
    assert!(outcome.rules.is_empty());
    router.drain();
    assert!(dest.seen().is_empty());
}

#[test]
fn shutdown_reports_what_was_not_delivered() {
    let router = Router::builder()
        .config(RouterConfig::new().backoff(Duration::from_secs(3600), Duration::from_secs(3600)))
        .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
        .selector(select(&["r"]))
        .destination(
            "arn:t",
            Arc::new(|_: &Delivery| DeliveryResult::Retryable("down".into())),
        )
        .build()
        .unwrap();
    router.route(br#"{"n": 1}"#).unwrap();
    router.route(br#"{"n": 2}"#).unwrap();
    let report = router.shutdown(Duration::from_millis(0));
    assert_eq!(report.undelivered.len(), 2);
    for u in &report.undelivered {
        assert_eq!(u.reason.limit, ExhaustedLimit::Shutdown);
        assert_eq!(u.reason.error_code, "SHUTDOWN");
    }
    let t = report.stats.target("r", "t").unwrap();
    assert_eq!((t.delivered, t.dropped), (0, 2));
}

#[test]
fn a_small_queue_applies_back_pressure_without_losing_events() {
    let dest = Recorder::new(ok);
    let router = Router::builder()
        .config(fast().workers(1).queue_capacity(1))
        .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
        .selector(select(&["r"]))
        .destination("arn:t", dest.clone())
        .build()
        .unwrap();
    for n in 0..50 {
        router.route(format!("{{\"n\": {n}}}").as_bytes()).unwrap();
    }
    assert_eq!(router.drain().target("r", "t").unwrap().delivered, 50);
    assert_eq!(router.pending(), 0);
}

#[test]
fn dropping_a_router_joins_its_workers() {
    let router = Router::builder().selector(select(&[])).build().unwrap();
    drop(router);
}

#[test]
fn unknown_destination_is_a_build_error_unless_there_is_a_fallback() {
    let rule = || {
        let mut t = Target::new("t", "arn:t");
        t.dead_letter_config = Some(evrule::route::DeadLetterConfig {
            arn: "arn:dlq".into(),
        });
        Rule::new("r", "{}").with_target(t)
    };
    let err = Router::builder()
        .rule(rule())
        .destination("arn:t", Recorder::new(ok))
        .selector(select(&[]))
        .build()
        .unwrap_err();
    assert_eq!(
        err.message(),
        "No destination registered for arn:dlq (target t of rule r)."
    );
    assert_eq!(err.rule(), Some("r"));
    Router::builder()
        .rule(rule())
        .fallback_destination(Recorder::new(ok))
        .selector(select(&[]))
        .build()
        .unwrap();
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Router>();
    check::<RuleSet>();
    check::<evrule::route::Archive>();
    check::<evrule::route::InputTransformer>();
}

// ---- loading and validation messages (pinned) ----

fn load(doc: serde_json::Value) -> Result<RuleSet, evrule::Error> {
    let mut set = RuleSet::new();
    set.add_json(&doc)?;
    Ok(set)
}

#[test]
fn rule_and_target_name_messages() {
    let err = load(json!({"Name": "has space", "EventPattern": "{}"})).unwrap_err();
    assert_eq!(
        err.message(),
        r"1 validation error detected: Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"
    );
    assert_eq!(err.rule(), Some("has space"));
    let long = "a".repeat(65);
    let err = load(json!({"Name": long, "EventPattern": "{}"})).unwrap_err();
    assert_eq!(
        err.message(),
        format!("1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64")
    );
    let err = load(json!({"Name": "r", "EventPattern": "{}",
        "Targets": [{"Id": "ok", "Arn": "arn:a"}, {"Id": "arn:aws:sqs:x", "Arn": "arn:a"}]}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        r"1 validation error detected: Value 'arn:aws:sqs:x' at 'targets.2.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"
    );
}

#[test]
fn target_count_duplicate_ids_and_retry_policy_messages() {
    let targets: Vec<_> = (0..6)
        .map(|i| json!({"Id": format!("t{i}"), "Arn": "arn:a"}))
        .collect();
    let err = load(json!({"Name": "r", "EventPattern": "{}", "Targets": targets})).unwrap_err();
    assert_eq!(
        err.message(),
        "The requested resource exceeds the maximum number allowed."
    );
    let mut set = RuleSet::new().max_targets(6);
    set.add_json(&json!({"Name": "r", "EventPattern": "{}", "Targets": targets}))
        .unwrap();

    let err = load(json!({"Name": "r", "EventPattern": "{}",
        "Targets": [{"Id": "t", "Arn": "arn:a"}, {"Id": "t", "Arn": "arn:b"}]}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Target id t appears more than once in rule r."
    );

    let err = load(json!({"Name": "r", "EventPattern": "{}",
        "Targets": [{"Id": "t", "Arn": "arn:a", "RetryPolicy": {"MaximumRetryAttempts": 186}}]}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"
    );
    let err = load(json!({"Name": "r", "EventPattern": "{}",
        "Targets": [{"Id": "t", "Arn": "arn:a", "RetryPolicy": {"MaximumEventAgeInSeconds": 59}}]}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value '59' at 'targets.1.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"
    );
    let err = load(json!({"Name": "r", "EventPattern": "{}",
        "Targets": [{"Id": "t", "Arn": "arn:a", "RetryPolicy": {"MaximumEventAgeInSeconds": 86401}}]}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value '86401' at 'targets.1.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 86400"
    );
}

#[test]
fn transformer_limits_messages() {
    let map: serde_json::Map<String, serde_json::Value> =
        (0..101).map(|i| (format!("v{i}"), json!("$.a"))).collect();
    let err = Target::from_json(&json!({"Id": "t", "Arn": "arn:a",
        "InputTransformer": {"InputPathsMap": map, "InputTemplate": "\"x\""}}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100"
    );
    let err = Target::from_json(&json!({"Id": "t", "Arn": "arn:a",
        "InputTransformer": {"InputPathsMap": {"a.b": "$.a"}, "InputTemplate": "\"x\""}}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        r"1 validation error detected: Value at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [A-Za-z0-9\_\-]+]"
    );
    let err = Target::from_json(&json!({"Id": "t", "Arn": "arn:a",
        "InputTransformer": {"InputTemplate": "x".repeat(8193)}}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy constraint: Member must have length less than or equal to 8192"
    );
    let err = Target::from_json(&json!({"Id": "t", "Arn": "arn:a",
        "InputTransformer": {"InputTemplate": ""}}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let err = Target::from_json(&json!({"Id": "t", "Arn": "arn:a",
        "InputTransformer": {"InputPathsMap": {"a": "detail.a"}, "InputTemplate": "<a>"}}))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "InputPathsMap for target t has an invalid JSON path for a: detail.a."
    );
    let err =
        Target::from_json(&json!({"Id": "t", "Arn": "arn:a", "InputPath": "$..x"})).unwrap_err();
    assert_eq!(
        err.message(),
        "InputPath for target t is not a valid JSON path: $..x."
    );
    let err = Target::from_json(&json!({"Id": "t", "Arn": "arn:a", "Input": "{nope"})).unwrap_err();
    assert_eq!(err.message(), "Input for target t is not valid JSON text.");
}

#[test]
fn loads_every_accepted_shape() {
    let mut set = RuleSet::new();
    // PutRule + PutTargets.
    set.add_json(&json!({"Name": "a", "EventPattern": "{\"source\":[\"x\"]}",
        "State": "DISABLED", "Description": "first"}))
        .unwrap();
    set.add_json(&json!({"Rule": "a", "Targets": [
        {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:q.fifo",
         "SqsParameters": {"MessageGroupId": "g"},
         "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"},
         "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60}}]}))
        .unwrap();
    // list-rules output.
    set.add_json(
        &json!({"Rules": [{"Name": "b", "EventPattern": "{}", "State": "ENABLED",
        "EventBusName": "custom", "Arn": "arn:aws:events:us-east-1:123456789012:rule/custom/b"}]}),
    )
    .unwrap();
    // CloudFormation template with a non-rule resource and a named rule.
    set.add_json(&json!({"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "C": {"Type": "AWS::Events::Rule", "Properties": {"Name": "c-rule",
            "EventPattern": {"detail-type": ["t"]},
            "Targets": [{"Id": "f", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "InputTransformer": {"InputPathsMap": {"k": "$.detail.k"},
                                     "InputTemplate": "{\"k\": <k>}"}}]}}}}))
        .unwrap();
    let rules = set.rules();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].state, evrule::route::RuleState::Disabled);
    assert_eq!(rules[0].description.as_deref(), Some("first"));
    let q = &rules[0].targets[0];
    assert!(q.is_fifo());
    assert_eq!(q.retry_policy.maximum_retry_attempts, 2);
    assert_eq!(q.sqs_parameters.as_ref().unwrap().message_group_id, "g");
    assert_eq!(rules[1].event_bus_name.as_deref(), Some("custom"));
    assert_eq!(rules[2].name, "c-rule");
    assert_eq!(
        rules[2].event_pattern.as_deref(),
        Some(r#"{"detail-type":["t"]}"#)
    );
    assert_eq!(
        rules[2].targets[0]
            .input_transformer
            .as_ref()
            .unwrap()
            .input_paths_map["k"],
        "$.detail.k"
    );

    let err = set
        .add_json(&json!({"Rule": "zz", "Targets": []}))
        .unwrap_err();
    assert_eq!(err.message(), "Rule zz does not exist on EventBus default.");
    let err = set
        .add_json(&json!([{"Name": "ok1", "EventPattern": "{}"}, {"Name": "x", "State": "ON"}]))
        .unwrap_err();
    assert_eq!(err.path(), "/1/State");
    assert_eq!(
        err.message(),
        "1 validation error detected: Value 'ON' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, DISABLED, ENABLED]"
    );
    let err = set
        .add_json(&json!({"Name": "t", "Targets": [{"Id": "x"}]}))
        .unwrap_err();
    assert_eq!(
        (err.message(), err.path()),
        ("Target has no Arn", "/Targets/0/Arn")
    );
}

/// The remaining user-visible messages, pinned.
#[test]
fn shape_and_router_messages() {
    let cases = [
        (json!({"EventPattern": "{}"}), "Rule has no Name", "/Name"),
        (
            json!({"Name": "r", "EventPattern": 1}),
            "EventPattern must be a string or an object",
            "/EventPattern",
        ),
        (json!({"Name": 1}), "Name must be a string", "/Name"),
        (
            json!({"Name": "r", "Targets": {}}),
            "Targets must be an array",
            "/Targets",
        ),
        (
            json!({"Name": "r", "Targets": [1]}),
            "Expected a JSON object",
            "/Targets/0",
        ),
        (
            json!({"Name": "r", "Targets": [{"Arn": "a"}]}),
            "Target has no Id",
            "/Targets/0/Id",
        ),
        (
            json!({"Name": "r", "Targets": [{"Id": "t", "Arn": "a", "InputTransformer": {}}]}),
            "InputTransformer has no InputTemplate",
            "/Targets/0/InputTransformer/InputTemplate",
        ),
        (
            json!({"Name": "r", "Targets": [{"Id": "t", "Arn": "a", "InputTransformer": {"InputTemplate": "1", "InputPathsMap": {"a/b": 1}}}]}),
            "InputPathsMap values must be strings",
            "/Targets/0/InputTransformer/InputPathsMap/a~1b",
        ),
        (
            json!({"Name": "r", "Targets": [{"Id": "t", "Arn": "a", "RetryPolicy": {"MaximumRetryAttempts": -1}}]}),
            "MaximumRetryAttempts must be a non-negative integer",
            "/Targets/0/RetryPolicy/MaximumRetryAttempts",
        ),
        (
            json!("rules"),
            "Expected a rule, a list of rules, a PutTargets request or a CloudFormation template",
            "",
        ),
        (json!({"Rule": 1}), "Rule must be a string", "/Rule"),
        (
            json!({"Resources": {"X": {"Type": "AWS::Events::Rule"}}}),
            "AWS::Events::Rule has no Properties",
            "/Resources/X/Properties",
        ),
    ];
    for (doc, message, path) in cases {
        let err = RuleSet::new().add_json(&doc).unwrap_err();
        assert_eq!((err.message(), err.path()), (message, path), "{doc}");
    }
    let mut set = RuleSet::new();
    set.add_json(&json!({"Name": "r"})).unwrap();
    let err = set.add_json(&json!({"Name": "r"})).unwrap_err();
    assert_eq!(err.message(), "Rule r is defined more than once.");

    let err = Router::builder()
        .rule(Rule::new("r", "{}"))
        .rule(Rule::new("r", "{}"))
        .selector(select(&[]))
        .build()
        .unwrap_err();
    assert_eq!(err.message(), "Rule r is defined more than once.");

    let mut t = Target::new("t", "arn:q.fifo");
    t.sqs_parameters = Some(evrule::route::SqsParameters {
        message_group_id: "$.a..b".into(),
    });
    let err = Router::builder()
        .rule(Rule::new("r", "{}").with_target(t))
        .fallback_destination(Recorder::new(ok))
        .selector(select(&[]))
        .build()
        .unwrap_err();
    assert_eq!(
        err.message(),
        "MessageGroupId for target t is not a valid JSON path: $.a..b."
    );

    let mut t = Target::new("t", "arn:t");
    t.input_path = Some("$.detail.missing".into());
    let router = Router::builder()
        .config(fast())
        .rule(Rule::new("r", "{}").with_target(t))
        .fallback_destination(Recorder::new(ok))
        .selector(select(&["r"]))
        .build()
        .unwrap();
    let err = router.route(b"\xff").unwrap_err();
    assert!(err.message().starts_with("The event is not UTF-8: "));
    assert!(err.is_event());
    router.route(br#"{"detail": {}}"#).unwrap();
    let stats = router.drain();
    assert_eq!(
        stats.drops[0].reason.error_message,
        "InputPath $.detail.missing for target t selects nothing in the event."
    );
    let err = router.replay("x", UNIX_EPOCH, UNIX_EPOCH).unwrap_err();
    assert_eq!(err.message(), "This router has no archive to replay from.");
}

/// `Router::render` (what evrule-engine publishes) hands out exactly what
/// `route_at` delivers: same rules, order, bodies, groups; a failed input
/// carries the reason the router puts in the dead letter.
#[test]
fn render_agrees_with_route() {
    let mut set = RuleSet::new().max_targets(10);
    set.add_json(&json!([
        {"Name": "a", "EventPattern": {"source": ["s"]}, "Targets": [
            {"Id": "whole", "Arn": "arn:whole"},
            {"Id": "path", "Arn": "arn:path", "InputPath": "$.detail"},
            {"Id": "const", "Arn": "arn:const", "Input": "{\"k\": 1}"},
            {"Id": "tr", "Arn": "arn:tr", "InputTransformer": {
                "InputPathsMap": {"n": "$.detail.n"},
                "InputTemplate": "{\"n\": <n>, \"r\": \"<aws.events.rule-name>\", \"t\": \"<aws.events.event.ingestion-time>\"}"}},
            {"Id": "bad", "Arn": "arn:bad", "DeadLetterConfig": {"Arn": "arn:dlq"}, "InputTransformer": {
                "InputPathsMap": {"n": "$.detail.n"},
                "InputTemplate": "{\"n\": \"<n>\" <n>}"}},
            {"Id": "fifo", "Arn": "arn:q.fifo", "SqsParameters": {"MessageGroupId": "g1"}}
        ]},
        {"Name": "b", "EventPattern": {"detail": {"n": [{"numeric": [">", 1]}]}}, "Targets": [
            {"Id": "t", "Arn": "arn:whole"}]},
        {"Name": "off", "State": "DISABLED", "EventPattern": {"source": ["s"]}, "Targets": [
            {"Id": "t", "Arn": "arn:whole"}]}
    ]))
    .unwrap();
    let sink = Recorder::new(|_| DeliveryResult::Ok);
    let router = Router::builder()
        .rules(set.into_rules())
        .fallback_destination(sink.clone())
        .config(RouterConfig::new().workers(1))
        .build()
        .unwrap();
    let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for event in [
        r#"{"source": "s", "detail": {"n": 2}}"#,
        r#"{"source": "x", "detail": {"n": 5}}"#,
        r#"{"source": "y", "detail": {"n": 0}}"#,
    ] {
        let rendered = router.render(event.as_bytes(), at).unwrap();
        if event.contains("\"s\"") {
            assert_eq!(rendered.len(), 7);
            assert_eq!(
                rendered.iter().filter(|r| r.input_error.is_some()).count(),
                1
            );
        }
        router.route_at(event.as_bytes(), at).unwrap();
        router.drain();
        let mut routed = sink.seen.lock().unwrap().drain(..).collect::<Vec<_>>();
        let mut planned: Vec<Delivery> = rendered
            .iter()
            .map(|r| match &r.input_error {
                None => r.delivery.clone(),
                Some(why) => {
                    // The router dead-letters it: the event, attempt 0.
                    assert!(why.contains("InputTemplate"), "{why}");
                    Delivery {
                        body: event.to_string(),
                        attempt: 0,
                        ..r.delivery.clone()
                    }
                }
            })
            .collect();
        for d in routed.iter_mut() {
            d.dead_letter = None;
        }
        let key = |d: &Delivery| (d.rule.clone(), d.target_id.clone());
        routed.sort_by_key(key);
        planned.sort_by_key(key);
        assert_eq!(planned, routed, "{event}");
    }
}
