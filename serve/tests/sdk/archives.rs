//! CreateArchive, DescribeArchive, ListArchives, DeleteArchive,
//! StartReplay, DescribeReplay, ListReplays.

use std::time::Duration;

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{ReplayDestination, ReplayState};

use crate::support::*;

fn default_bus() -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")
}

#[tokio::test]
async fn archive_then_replay_through_the_current_rules() {
    let t = TestServer::start();
    let c = &t.client;
    let out = c
        .create_archive()
        .archive_name("shop")
        .event_source_arn(default_bus())
        .event_pattern(r#"{"source": ["shop"]}"#)
        .retention_days(7)
        .description("shop events")
        .send()
        .await
        .unwrap();
    let archive_arn = out.archive_arn().unwrap().to_string();
    assert_eq!(
        archive_arn,
        format!("arn:aws:events:{REGION}:{ACCOUNT}:archive/shop")
    );
    assert_eq!(out.state().map(|s| s.as_str()), Some("ENABLED"));

    let start = DateTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 60,
    );
    c.put_events()
        .entries(entry("shop", "order", r#"{"n": 1}"#))
        .entries(entry("other", "order", r#"{"n": 2}"#))
        .entries(entry("shop", "order", r#"{"n": 3}"#))
        .send()
        .await
        .unwrap();
    let d = c
        .describe_archive()
        .archive_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(d.event_count(), 2);
    assert!(d.size_bytes() > 0);
    assert_eq!(d.retention_days(), Some(7));
    assert_eq!(d.event_pattern(), Some(r#"{"source": ["shop"]}"#));
    assert_eq!(d.event_source_arn(), Some(default_bus().as_str()));

    // A rule made after the events were archived gets the replayed ones.
    rule_with_target(
        c,
        None,
        "late",
        r#"{"source": ["shop"]}"#,
        target("q", &queue("late")),
    )
    .await;
    let end = DateTime::from_secs(start.secs() + 3600);
    let out = c
        .start_replay()
        .replay_name("again")
        .event_source_arn(&archive_arn)
        .event_start_time(start)
        .event_end_time(end)
        .destination(
            ReplayDestination::builder()
                .arn(default_bus())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.state(), Some(&ReplayState::Starting));
    let mut state = None;
    for _ in 0..200 {
        let d = c
            .describe_replay()
            .replay_name("again")
            .send()
            .await
            .unwrap();
        state = d.state().cloned();
        if state == Some(ReplayState::Completed) {
            assert!(d.replay_end_time().is_some());
            assert!(d.event_last_replayed_time().is_some());
            assert_eq!(d.event_source_arn(), Some(archive_arn.as_str()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state, Some(ReplayState::Completed));
    let got = t.bodies(&queue("late"), 2);
    assert_eq!(got.len(), 2);
    for (body, n) in got.iter().zip([1, 3]) {
        assert_eq!(body["replay-name"], "again");
        assert_eq!(body["detail"]["n"], n);
    }

    let listed = c.list_replays().send().await.unwrap();
    assert_eq!(listed.replays()[0].replay_name(), Some("again"));
    let err = c
        .start_replay()
        .replay_name("again")
        .event_source_arn(&archive_arn)
        .event_start_time(start)
        .event_end_time(end)
        .destination(
            ReplayDestination::builder()
                .arn(default_bus())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceAlreadyExistsException".into(),
            "Replay again already exists.".into()
        )
    );
    let err = c
        .describe_replay()
        .replay_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceNotFoundException".into(),
            "Replay nope does not exist.".into()
        )
    );
}

#[tokio::test]
async fn replay_filters_and_validation() {
    let t = TestServer::start();
    let c = &t.client;
    let arn = c
        .create_archive()
        .archive_name("all")
        .event_source_arn(default_bus())
        .send()
        .await
        .unwrap()
        .archive_arn()
        .unwrap()
        .to_string();
    for name in ["one", "two"] {
        rule_with_target(c, None, name, ANY, target("q", &queue(name))).await;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    c.put_events()
        .entries(entry("a", "b", "{}"))
        .send()
        .await
        .unwrap();
    t.deliveries(&queue("one"), 1);
    t.deliveries(&queue("two"), 1);
    c.start_replay()
        .replay_name("only-two")
        .event_source_arn(&arn)
        .event_start_time(DateTime::from_secs(now - 60))
        .event_end_time(DateTime::from_secs(now + 60))
        .destination(
            ReplayDestination::builder()
                .arn(default_bus())
                .filter_arns(rule_arn("two"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let two = t.bodies(&queue("two"), 2);
    assert_eq!(two[1]["replay-name"], "only-two");
    let (_, one) = t.admin(
        "GET",
        &format!(
            "/_evrule/deliveries?target={}&wait=2&timeout=0.3",
            queue("one")
        ),
    );
    assert_eq!(one["deliveries"].as_array().unwrap().len(), 1);

    let err = c
        .start_replay()
        .replay_name("backwards")
        .event_source_arn(&arn)
        .event_start_time(DateTime::from_secs(now))
        .event_end_time(DateTime::from_secs(now - 1))
        .destination(
            ReplayDestination::builder()
                .arn(default_bus())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime."
    );
    c.create_event_bus().name("other").send().await.unwrap();
    let err = c
        .start_replay()
        .replay_name("cross")
        .event_source_arn(&arn)
        .event_start_time(DateTime::from_secs(now - 1))
        .event_end_time(DateTime::from_secs(now))
        .destination(
            ReplayDestination::builder()
                .arn(format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/other"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
    );
}

#[tokio::test]
async fn list_and_delete_archives() {
    let t = TestServer::start();
    let c = &t.client;
    c.create_event_bus().name("orders").send().await.unwrap();
    for (name, bus) in [("a1", "default"), ("a2", "orders"), ("b1", "default")] {
        c.create_archive()
            .archive_name(name)
            .event_source_arn(format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"))
            .send()
            .await
            .unwrap();
    }
    let err = c
        .create_archive()
        .archive_name("a1")
        .event_source_arn(default_bus())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceAlreadyExistsException".into(),
            "Archive a1 already exists.".into()
        )
    );
    let err = c
        .create_archive()
        .archive_name("x")
        .event_source_arn(format!(
            "arn:aws:events:{REGION}:{ACCOUNT}:event-bus/missing"
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "ResourceNotFoundException");
    let err = c
        .create_archive()
        .archive_name("x")
        .event_source_arn(default_bus())
        .event_pattern(r#"{"source": "not a list"}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "InvalidEventPatternException");

    let names = |out: &aws_sdk_eventbridge::operation::list_archives::ListArchivesOutput| {
        out.archives()
            .iter()
            .filter_map(|a| a.archive_name().map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&c.list_archives().send().await.unwrap()),
        ["a1", "a2", "b1"]
    );
    assert_eq!(
        names(&c.list_archives().name_prefix("a").send().await.unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(
        names(
            &c.list_archives()
                .event_source_arn(default_bus())
                .send()
                .await
                .unwrap()
        ),
        ["a1", "b1"]
    );
    let page = c.list_archives().limit(2).send().await.unwrap();
    assert_eq!(names(&page), ["a1", "a2"]);
    let err = c
        .list_archives()
        .name_prefix("a")
        .event_source_arn(default_bus())
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "ValidationException");

    c.delete_archive().archive_name("a1").send().await.unwrap();
    let err = c
        .describe_archive()
        .archive_name("a1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ResourceNotFoundException".into(),
            "Archive a1 does not exist.".into()
        )
    );
    let err = c
        .delete_archive()
        .archive_name("a1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "ResourceNotFoundException");
}
