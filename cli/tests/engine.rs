//! `evrule route --engine`: three worker processes and 20,000 events on a
//! real nats-server; a random worker is killed with SIGKILL twice during
//! the run and restarted. Every target receives every matching event
//! (counted by event id): none lost; duplicates are counted and bounded
//! by the deliveries in flight at each kill. Skipped (with the install
//! line) without nats-server, unless EVRULE_REQUIRE_NATS=1.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use evrule_engine::server::{NatsServer, INSTALL};

const EVENTS: usize = 20_000;
/// `delivery.workers`: deliveries in flight per target and worker.
const IN_FLIGHT: usize = 4;

fn server() -> Option<NatsServer> {
    match NatsServer::start() {
        Ok(s) => Some(s),
        Err(e) => {
            if std::env::var("EVRULE_REQUIRE_NATS").as_deref() == Ok("1") {
                panic!("EVRULE_REQUIRE_NATS=1 but nats-server cannot start: {e}; install it with `{INSTALL}`");
            }
            eprintln!("skipped: {e}; install nats-server with `{INSTALL}`");
            None
        }
    }
}

struct Workers {
    config: PathBuf,
    url: String,
    procs: Vec<Child>,
}

impl Workers {
    fn spawn(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_evrule"))
            .args(["route", "--config"])
            .arg(&self.config)
            .args(["--engine", &self.url, "--worker", "--lease-ms", "1500"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a worker")
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// Deliveries per event id in a `file:` destination.
fn counts(path: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for line in fs::read_to_string(path).unwrap_or_default().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let id = v["input"]["id"].as_str().unwrap_or_default().to_string();
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

#[test]
fn three_workers_killed_twice_lose_nothing() {
    let Some(server) = server() else { return };
    let dir = std::env::temp_dir().join(format!("evrule-engine-cli-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bus.yaml");
    fs::write(
        &config,
        format!(
            r#"rules:
  - Name: all
    EventPattern: {{source: [shop]}}
    Targets:
      - {{Id: a, Arn: "arn:aws:sqs:us-east-1:123456789012:a"}}
      - Id: b
        Arn: "arn:aws:sqs:us-east-1:123456789012:b"
        InputTransformer: {{InputPathsMap: {{id: "$.id"}}, InputTemplate: '{{"id": <id>}}'}}
  - Name: even
    EventPattern: {{detail: {{even: [true]}}}}
    Targets: [{{Id: c, Arn: "arn:aws:sqs:us-east-1:123456789012:c"}}]
destinations:
  arn:aws:sqs:us-east-1:123456789012:a: file:out/a.ndjson
  arn:aws:sqs:us-east-1:123456789012:b: file:out/b.ndjson
  arn:aws:sqs:us-east-1:123456789012:c: file:out/c.ndjson
delivery: {{workers: {IN_FLIGHT}, backoff_base_ms: 50, backoff_cap_ms: 1000}}
"#
        ),
    )
    .unwrap();
    let mut events = String::new();
    for i in 0..EVENTS {
        events.push_str(&format!(
            "{{\"id\": \"e{i}\", \"source\": \"shop\", \"detail-type\": \"order\", \"detail\": {{\"even\": {}}}}}\n",
            i % 2 == 0
        ));
    }
    fs::write(dir.join("events.ndjson"), events).unwrap();
    let mut workers = Workers {
        config: config.clone(),
        url: server.url(),
        procs: Vec::new(),
    };
    for _ in 0..3 {
        let w = workers.spawn();
        workers.procs.push(w);
    }
    let started = Instant::now();
    let publisher = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(["route", "--config"])
        .arg(&config)
        .args(["--engine", &server.url(), "--format", "json"])
        .arg(dir.join("events.ndjson"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = dir.join("out");
    let delivered = || -> usize {
        ["a", "b", "c"]
            .iter()
            .map(|t| {
                fs::read_to_string(out.join(format!("{t}.ndjson"))).map_or(0, |s| s.lines().count())
            })
            .sum()
    };
    let total = EVENTS * 2 + EVENTS / 2;
    // Kill a pseudo-random worker at a third and at two thirds of the run.
    let mut seed = std::process::id() as usize;
    for fraction in [3, 2] {
        let deadline = Instant::now() + Duration::from_secs(240);
        while delivered() < total / fraction && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let victim = (seed >> 33) % 3;
        let p = &mut workers.procs[victim];
        p.kill().unwrap(); // SIGKILL
        p.wait().unwrap();
        eprintln!("killed worker {victim} at {} deliveries", delivered());
        std::thread::sleep(Duration::from_millis(300));
        workers.procs[victim] = workers.spawn();
    }
    let published = publisher.wait_with_output().unwrap();
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&published.stdout).unwrap();
    assert_eq!(summary["published"], EVENTS as u64, "{summary}");
    let deadline = Instant::now() + Duration::from_secs(240);
    let complete = |t: &str, want: usize| counts(&out.join(format!("{t}.ndjson"))).len() >= want;
    while !(complete("a", EVENTS) && complete("b", EVENTS) && complete("c", EVENTS / 2))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let late duplicates land before counting them.
    std::thread::sleep(Duration::from_millis(2000));
    let mut duplicates = 0;
    for (t, want) in [("a", EVENTS), ("b", EVENTS), ("c", EVENTS / 2)] {
        let got = counts(&out.join(format!("{t}.ndjson")));
        let missing: Vec<String> = (0..EVENTS)
            .filter(|i| t != "c" || i % 2 == 0)
            .map(|i| format!("e{i}"))
            .filter(|id| !got.contains_key(id))
            .collect();
        assert!(
            missing.is_empty(),
            "target {t}: {} lost, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
        assert_eq!(got.len(), want, "target {t} got ids it should not");
        duplicates += got.values().map(|n| n - 1).sum::<usize>();
    }
    // Each kill can repeat what the killed worker had in flight: up to
    // IN_FLIGHT per target (delivered, not yet acknowledged), and as many
    // again whose acknowledgement was still in its send buffer.
    let bound = 2 * 3 * IN_FLIGHT * 2;
    eprintln!(
        "{total} deliveries, {duplicates} duplicates (bound {bound}), {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        duplicates <= bound,
        "{duplicates} duplicates, more than {bound}"
    );
    // Stop the workers gently: they finish what is in flight and exit 0.
    for p in &mut workers.procs {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(p.id() as i32, libc::SIGINT) };
    }
    for p in &mut workers.procs {
        assert!(p.wait().unwrap().success());
    }
    let _ = fs::remove_dir_all(&dir);
}

/// `evrule serve --engine` on the same port it printed.
fn start_serve(url: &str) -> (Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(["serve", "--port", "0", "--engine", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}

/// The ids of the deliveries a `file:` destination holds, once it holds `n`.
fn wait_for(path: &Path, n: usize) -> HashMap<String, usize> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = counts(path);
        if got.values().sum::<usize>() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_with_engine_stores_events_and_rules_in_jetstream() {
    use crate::serve::action;
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bus.yaml");
    fs::write(
        &config,
        "rules: []\ndestinations:\n  arn:aws:sqs:us-east-1:123456789012:orders: file:orders.ndjson\n",
    )
    .unwrap();
    let out = dir.path().join("orders.ndjson");
    let mut workers = Workers {
        config,
        url: server.url(),
        procs: Vec::new(),
    };
    for _ in 0..2 {
        let w = workers.spawn();
        workers.procs.push(w);
    }
    let (mut serve, port) = start_serve(&server.url());

    // A rule put through the API reaches both workers within a second.
    let (status, _) = action(
        port,
        "PutRule",
        r#"{"Name": "orders", "EventPattern": "{\"source\": [\"shop\"]}"}"#,
    );
    assert_eq!(status, 200);
    let (status, body) = action(
        port,
        "PutTargets",
        r#"{"Rule": "orders", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:orders"}]}"#,
    );
    assert_eq!((status, body["FailedEntryCount"].as_u64()), (200, Some(0)));
    std::thread::sleep(Duration::from_secs(1));
    let entries = |n: usize| {
        let list: Vec<String> = (0..n)
            .map(|i| {
                let source = if i % 2 == 0 { "shop" } else { "elsewhere" };
                format!(
                    r#"{{"Source": "{source}", "DetailType": "order", "Detail": "{{\"n\": {i}}}"}}"#
                )
            })
            .collect();
        format!(r#"{{"Entries": [{}]}}"#, list.join(","))
    };
    let (status, body) = action(port, "PutEvents", &entries(10));
    assert_eq!(
        (status, body["FailedEntryCount"].as_u64()),
        (200, Some(0)),
        "{body}"
    );
    let ids: Vec<String> = body["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .step_by(2)
        .map(|e| e["EventId"].as_str().unwrap().to_string())
        .collect();
    let got = wait_for(&out, 5);
    for id in &ids {
        assert_eq!(
            got.get(id),
            Some(&1),
            "event {id} not delivered once: {got:?}"
        );
    }
    assert_eq!(got.len(), 5, "{got:?}");

    // An acknowledged PutEvents survives: no worker runs, the server is
    // killed, the workers come back and deliver.
    for p in &mut workers.procs {
        p.kill().unwrap();
        p.wait().unwrap();
    }
    let (status, body) = action(port, "PutEvents", &entries(4));
    assert_eq!(
        (status, body["FailedEntryCount"].as_u64()),
        (200, Some(0)),
        "{body}"
    );
    serve.kill().unwrap();
    serve.wait().unwrap();
    workers.procs = vec![workers.spawn()];
    assert_eq!(wait_for(&out, 7).len(), 7);

    // A new server reads the rules from the bucket; deleting the rule
    // through it stops the workers matching.
    let (serve, port) = start_serve(&server.url());
    let (_, body) = action(port, "ListRules", "{}");
    assert_eq!(body["Rules"][0]["Name"], "orders", "{body}");
    let (_, body) = action(port, "ListTargetsByRule", r#"{"Rule": "orders"}"#);
    assert_eq!(body["Targets"][0]["Id"], "q", "{body}");
    action(port, "RemoveTargets", r#"{"Rule": "orders", "Ids": ["q"]}"#);
    let (status, _) = action(port, "DeleteRule", r#"{"Name": "orders"}"#);
    assert_eq!(status, 200);
    std::thread::sleep(Duration::from_secs(1));
    action(port, "PutEvents", &entries(2));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        counts(&out).values().sum::<usize>(),
        7,
        "delivered after DeleteRule"
    );
    // SIGTERM: the report counts what went to JetStream.
    unsafe {
        libc::kill(serve.id() as i32, libc::SIGTERM);
    }
    let stopped = serve.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert!(
        stderr.contains(&format!(
            "evrule serve: 2 events stored in NATS JetStream at {} for the workers",
            server.url()
        )),
        "{stderr}"
    );

    // No engine at that address: exit 2, naming it.
    let refused = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(["serve", "--port", "0", "--engine", "nats://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("nats://127.0.0.1:1"),
        "{refused:?}"
    );
}
