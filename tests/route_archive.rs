//! Archive: torn tails at every byte offset, corruption, retention,
//! segments, replay windows and `replay-name`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evrule::route::{
    Archive, ArchiveConfig, Delivery, DeliveryResult, FsyncPolicy, Router, RouterConfig, Rule,
    Target,
};

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "evrule-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut s: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "evarc"))
        .collect();
    s.sort();
    s
}

fn read_all(archive: &Archive) -> Vec<Vec<u8>> {
    archive
        .read(UNIX_EPOCH, at(1_000_000_000))
        .unwrap()
        .map(|e| e.unwrap().event)
        .collect()
}

/// A router with one rule and one target that records bodies in order.
/// A router delivering every event to one recorded target, replaying
/// from `archive`.
fn recording_router(archive: Archive) -> (Router, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&got);
    let router = Router::builder()
        .archive(archive)
        .config(RouterConfig::new().workers(1))
        .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
        .destination(
            "arn:t",
            Arc::new(move |d: &Delivery| {
                sink.lock().unwrap().push(d.body.clone());
                DeliveryResult::Ok
            }),
        )
        .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
        .build()
        .unwrap();
    (router, got)
}

#[test]
fn torn_last_record_at_every_byte_offset_replays_exactly_the_whole_events() {
    let src = TempDir::new("torn-src");
    let events: [&[u8]; 3] = [
        br#"{"id": "1", "detail": {}}"#,
        br#"{"id": "2", "detail": {"k": "v"}}"#,
        br#"{"id": "3", "detail": {"last": true}}"#,
    ];
    {
        let mut a = Archive::open(&src.0, ArchiveConfig::new().fsync(FsyncPolicy::Always)).unwrap();
        for (i, e) in events.iter().enumerate() {
            assert!(a.append(e, at(i as u64)).unwrap());
        }
    }
    let seg = segments(&src.0);
    assert_eq!(seg.len(), 1);
    let full = std::fs::read(&seg[0]).unwrap();
    let last_start = full.len() - (16 + events[2].len());
    for cut in last_start..=full.len() {
        let dir = TempDir::new("torn");
        let name = seg[0].file_name().unwrap();
        std::fs::write(dir.0.join(name), &full[..cut]).unwrap();
        let whole = if cut == full.len() { 3 } else { 2 };

        // The reader alone, on the torn file as found.
        let reader_only = read_all(&Archive::open_read_only(&dir.0).unwrap());
        assert_eq!(reader_only, events[..whole], "cut at {cut}");
        assert_eq!(std::fs::read(dir.0.join(name)).unwrap(), full[..cut]);
        // The same, with the file grown over blocks that read as zeros.
        let zeros = TempDir::new("torn-zeros");
        let mut padded = full[..cut].to_vec();
        padded.resize(full.len() + 40, 0);
        std::fs::write(zeros.0.join(name), &padded).unwrap();
        let mut reader = Archive::open_read_only(&zeros.0)
            .unwrap()
            .read(UNIX_EPOCH, at(1_000))
            .unwrap();
        let got: Vec<_> = reader.by_ref().map(|e| e.unwrap().event).collect();
        assert_eq!(got, events[..whole], "zero-padded cut at {cut}");
        assert_eq!(reader.torn_tails(), 1);

        // Opening for append cuts the torn tail off.
        let a = Archive::open(&dir.0, ArchiveConfig::new()).unwrap();

        // Replay through a router.
        let (router, got) = recording_router(Archive::open_read_only(&dir.0).unwrap());
        let report = router.replay("replay-1", UNIX_EPOCH, at(1_000)).unwrap();
        router.drain();
        assert_eq!(report.events, whole, "cut at {cut}");
        let expected: Vec<String> = events[..whole]
            .iter()
            .map(|e| {
                let s = std::str::from_utf8(e).unwrap();
                format!("{},\"replay-name\":\"replay-1\"}}", &s[..s.len() - 1])
            })
            .collect();
        assert_eq!(*got.lock().unwrap(), expected, "cut at {cut}");

        // Appending after the repair leaves everything readable.
        let mut a = a;
        a.append(br#"{"id": "4"}"#, at(3)).unwrap();
        let mut want: Vec<&[u8]> = events[..whole].to_vec();
        want.push(br#"{"id": "4"}"#);
        assert_eq!(read_all(&a), want, "cut at {cut}");
    }
}

#[test]
fn a_corrupt_last_record_is_skipped_a_corrupt_middle_record_is_reported() {
    let dir = TempDir::new("corrupt");
    let events: [&[u8]; 3] = [br#"{"n": 1}"#, br#"{"n": 2}"#, br#"{"n": 3}"#];
    {
        let mut a = Archive::open(&dir.0, ArchiveConfig::new()).unwrap();
        for (i, e) in events.iter().enumerate() {
            a.append(e, at(i as u64)).unwrap();
        }
    }
    let seg = segments(&dir.0).remove(0);
    let full = std::fs::read(&seg).unwrap();
    let rec = 16 + events[0].len();

    // Flip a payload byte of the last record: a torn tail, skipped.
    let mut bad = full.clone();
    *bad.last_mut().unwrap() ^= 0x20;
    std::fs::write(&seg, &bad).unwrap();
    let a = Archive::open(&dir.0, ArchiveConfig::new()).unwrap();
    let mut reader = a.read(UNIX_EPOCH, at(100)).unwrap();
    let got: Vec<_> = reader.by_ref().map(|e| e.unwrap().event).collect();
    assert_eq!(got, events[..2]);
    drop(a);

    // Flip a byte in the middle record: reported, never misread.
    let mut bad = full.clone();
    bad[8 + rec + 16] ^= 0x20;
    std::fs::write(&seg, &bad).unwrap();
    let a = Archive::open(&dir.0, ArchiveConfig::new()).unwrap();
    let items: Vec<_> = a.read(UNIX_EPOCH, at(100)).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().event, events[0]);
    let err = items[1].as_ref().unwrap_err();
    assert!(
        err.message().starts_with("corrupt archive record in")
            && err.message().contains(&format!("at byte {}", 8 + rec)),
        "{}",
        err.message()
    );
    // New appends go to a fresh segment, and are readable.
    let mut a = a;
    a.append(br#"{"n": 4}"#, at(5)).unwrap();
    assert_eq!(segments(&dir.0).len(), 2);
    // The damaged segment is still reported, whatever the window.
    let (ok, errors): (Vec<_>, Vec<_>) = a.read(at(5), at(6)).unwrap().partition(Result::is_ok);
    assert_eq!(errors.len(), 1);
    let last: Vec<_> = ok.into_iter().map(|e| e.unwrap().event).collect();
    assert_eq!(last, [br#"{"n": 4}"#]);
}

#[test]
fn reads_a_time_window_across_segments_in_order() {
    let dir = TempDir::new("window");
    let mut a = Archive::open(&dir.0, ArchiveConfig::new().segment_bytes(64)).unwrap();
    for i in 0..10u64 {
        a.append(format!("{{\"n\": {i}}}").as_bytes(), at(i))
            .unwrap();
    }
    assert!(segments(&dir.0).len() > 1);
    let got: Vec<_> = a
        .read(at(3), at(7))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.ingestion_time, String::from_utf8(e.event).unwrap())
        })
        .collect();
    let want: Vec<_> = (3..7u64)
        .map(|i| (at(i), format!("{{\"n\": {i}}}")))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn retention_deletes_whole_old_segments() {
    let dir = TempDir::new("retention");
    let day = 86_400;
    let now = SystemTime::now();
    let mut a = Archive::open(&dir.0, ArchiveConfig::new().retention_days(2)).unwrap();
    a.append(br#"{"age": 10}"#, now - Duration::from_secs(10 * day))
        .unwrap();
    a.append(br#"{"age": 5}"#, now - Duration::from_secs(5 * day))
        .unwrap();
    a.append(br#"{"age": 1}"#, now - Duration::from_secs(day))
        .unwrap();
    a.append(br#"{"age": 0}"#, now).unwrap();
    let got = read_all(&a);
    assert!(got.contains(&br#"{"age": 1}"#.to_vec()));
    assert!(got.contains(&br#"{"age": 0}"#.to_vec()));
    assert!(!got.contains(&br#"{"age": 10}"#.to_vec()));
    assert!(!got.contains(&br#"{"age": 5}"#.to_vec()));

    let dir = TempDir::new("forever");
    let mut a = Archive::open(&dir.0, ArchiveConfig::new()).unwrap();
    a.append(b"{}", now - Duration::from_secs(1000 * day))
        .unwrap();
    a.append(b"{}", now).unwrap();
    assert_eq!(a.prune(now).unwrap(), 0);
    assert_eq!(read_all(&a).len(), 2);
}

#[test]
fn archive_filter_and_router_integration() {
    let dir = TempDir::new("router");
    let archive = Archive::open(
        &dir.0,
        ArchiveConfig::new().filter(|e: &[u8]| {
            Ok(if e.windows(4).any(|w| w == b"keep") {
                vec!["archive".to_string()]
            } else {
                Vec::new()
            })
        }),
    )
    .unwrap();
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&got);
    let router = Router::builder()
        .rule(Rule::new("r", "{}").with_target(Target::new("t", "arn:t")))
        .destination(
            "arn:t",
            Arc::new(move |d: &Delivery| {
                sink.lock().unwrap().push(d.body.clone());
                DeliveryResult::Ok
            }),
        )
        .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
        .archive(archive)
        .build()
        .unwrap();
    assert!(router.route(br#"{"keep": 1}"#).unwrap().archived);
    assert!(!router.route(br#"{"skip": 1}"#).unwrap().archived);
    router.drain();
    let report = router
        .replay(
            "again",
            UNIX_EPOCH,
            SystemTime::now() + Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        (report.events, report.matched, report.deliveries),
        (1, 1, 1)
    );
    router.drain();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2], r#"{"keep": 1,"replay-name":"again"}"#);
    // Replays are not archived again.
    let report = router
        .replay(
            "twice",
            UNIX_EPOCH,
            SystemTime::now() + Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(report.events, 1);

    let err = router
        .replay("bad name", UNIX_EPOCH, SystemTime::now())
        .unwrap_err();
    assert!(
        err.message().contains("at 'replayName'"),
        "{}",
        err.message()
    );
}

#[test]
fn replay_name_insertion() {
    use evrule::route::with_replay_name;
    assert_eq!(
        with_replay_name(b"{\"a\": 1}\n", "x").unwrap(),
        b"{\"a\": 1,\"replay-name\":\"x\"}\n"
    );
    assert_eq!(
        with_replay_name(b"{ }", "x").unwrap(),
        b"{\"replay-name\":\"x\"}"
    );
    let again = with_replay_name(br#"{"replay-name":"old","a":1}"#, "new").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&again).unwrap();
    assert_eq!(v["replay-name"], "new");
    assert_eq!(v["a"], 1);
    assert!(with_replay_name(b"[1]", "x").is_err());
    // Issue 12: rewriting a replayed event keeps its numbers as sent.
    let again = with_replay_name(
        br#"{"replay-name": "old", "n": [1.50, 1E400, 12345678901234567890123]}"#,
        "new",
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        r#"{"n":[1.50,1e+400,12345678901234567890123],"replay-name":"new"}"#
    );
    let err = with_replay_name(b"{\"a\": 1,}", "x").unwrap_err();
    assert_eq!(
        err.message(),
        "The archived event is not valid JSON: trailing comma at line 1 column 9"
    );
}

#[test]
fn an_older_segment_cut_short_is_reported() {
    let dir = TempDir::new("older");
    {
        let mut a = Archive::open(&dir.0, ArchiveConfig::new().segment_bytes(40)).unwrap();
        for i in 0..4u64 {
            a.append(format!("{{\"n\": {i}}}").as_bytes(), at(i))
                .unwrap();
        }
    }
    let segs = segments(&dir.0);
    assert!(segs.len() >= 2);
    let first = std::fs::read(&segs[0]).unwrap();
    std::fs::write(&segs[0], &first[..first.len() - 1]).unwrap();
    let items: Vec<_> = Archive::open_read_only(&dir.0)
        .unwrap()
        .read(UNIX_EPOCH, at(100))
        .unwrap()
        .collect();
    let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]
        .message()
        .starts_with("truncated archive record in"));
    assert_eq!(items.len() - 1, 3, "the other events are still read");
}

struct Fixed(SystemTime);

impl evrule::route::Clock for Fixed {
    fn now(&self) -> SystemTime {
        self.0
    }
}

#[test]
fn replayed_events_are_ingested_at_replay_time_and_rejected_events_are_not_archived() {
    let dir = TempDir::new("reingest");
    let mut archive = Archive::open(&dir.0, ArchiveConfig::new()).unwrap();
    archive.append(br#"{"id": "old"}"#, at(0)).unwrap();
    let sink = Arc::new(evrule::route::Collect::new());
    let mut target = Target::new("t", "arn:t");
    target.input_transformer = Some(
        evrule::route::InputTransformerConfig::new(
            r#"{"at": <aws.events.event.ingestion-time>, "replay": <r>}"#,
        )
        .path("r", "$.replay-name"),
    );
    let router = Router::builder()
        .clock(Fixed(UNIX_EPOCH + Duration::from_secs(1_709_210_096)))
        .rule(Rule::new("r", "{}").with_target(target))
        .destination("arn:t", sink.clone())
        .selector(|e: &[u8]| {
            if e.starts_with(b"{") {
                Ok(vec!["r".to_string()])
            } else {
                Err(Target::from_json(&serde_json::json!({})).unwrap_err())
            }
        })
        .archive(archive)
        .build()
        .unwrap();
    assert!(router.route(b"not json").is_err());
    router.replay("again", UNIX_EPOCH, at(10)).unwrap();
    router.drain();
    let bodies: Vec<_> = sink.take().into_iter().map(|d| d.body).collect();
    assert_eq!(
        bodies,
        [r#"{"at": "2024-02-29T12:34:56Z", "replay": "again"}"#]
    );
    assert_eq!(
        router.stats().events,
        1,
        "the rejected event is not counted"
    );
}

#[test]
fn json_lines_output_for_deliveries_and_dead_letters() {
    let out = Arc::new(evrule::route::JsonLines::new(Vec::new()));
    let mut t = Target::new("t", "arn:t");
    t.retry_policy.maximum_retry_attempts = 0;
    t.dead_letter_config = Some(evrule::route::DeadLetterConfig {
        arn: "arn:dlq".into(),
    });
    let router = Router::builder()
        .rule(
            Rule::new("r", "{}")
                .with_target(t)
                .with_target(Target::new("ok", "arn:ok")),
        )
        .destination(
            "arn:t",
            Arc::new(|_: &Delivery| DeliveryResult::Retryable("busy".into())),
        )
        .destination("arn:ok", out.clone())
        .destination("arn:dlq", out.clone())
        .config(RouterConfig::new().workers(1))
        .selector(|_: &[u8]| Ok(vec!["r".to_string()]))
        .build()
        .unwrap();
    router.route(br#"{"a": 1}"#).unwrap();
    drop(router.shutdown(Duration::from_secs(60)));
    let out = Arc::try_unwrap(out).ok().unwrap().into_inner();
    let mut lines: Vec<_> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            r#"{"rule":"r","ruleArn":"arn:aws:events:us-east-1:123456789012:rule/r","targetId":"ok","targetArn":"arn:ok","attempt":1,"messageGroupId":null,"input":{"a": 1},"deadLetter":null}"#,
            r#"{"rule":"r","ruleArn":"arn:aws:events:us-east-1:123456789012:rule/r","targetId":"t","targetArn":"arn:t","attempt":1,"messageGroupId":null,"input":{"a": 1},"deadLetter":{"errorCode":"TARGET_ERROR","errorMessage":"busy","attempts":1,"limit":"MaximumRetryAttempts"}}"#,
        ]
    );
}
