//! End-to-end tests of `evrule route` and `evrule replay`: real processes,
//! real files, scripts and a loopback HTTP server. Each test works in its
//! own temporary directory; the bus configurations keep retries fast with
//! `delivery: {backoff_base_ms: 1, backoff_cap_ms: 5}`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

const FAST: &str = "delivery: {backoff_base_ms: 1, backoff_cap_ms: 5}\n";

use crate::support::{root, run_in, Run};

/// `evrule args` in `dir`, with `stdin` as its input.
fn evrule(dir: &Path, args: &[&str], stdin: &str) -> Run {
    run_in(dir, args, stdin.as_bytes())
}

impl Run {
    /// The summary of `--format json`: the last line of stdout.
    fn summary(&self) -> Value {
        let last = self.stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("summary {last:?}: {e}\nstderr: {}", self.stderr))
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn script(dir: &Path, name: &str, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = write(dir, name, text);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn read_lines(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

fn json_lines(path: &Path) -> Vec<Value> {
    read_lines(path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// `n` events `{"source": "test", "id": "e<i>", "detail": {"n": i, ...}}`.
fn events(n: usize, extra: impl Fn(usize) -> String) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"source\": \"test\", \"id\": \"e{i}\", \"detail-type\": \"t\", \"detail\": {{\"n\": {i}{}}}}}\n",
                extra(i)
            )
        })
        .collect()
}

/// How often each value of `key` occurs.
fn counts<'a>(values: impl IntoIterator<Item = &'a Value>, key: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for v in values {
        let k = v.pointer(key).and_then(Value::as_str).unwrap_or("?");
        *out.entry(k.to_string()).or_insert(0) += 1;
    }
    out
}

fn target<'a>(summary: &'a Value, rule: &str, id: &str) -> &'a Value {
    summary["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["rule"] == rule && t["target"] == id)
        .unwrap_or_else(|| panic!("no target {rule}/{id} in {summary}"))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---- file:, dir:, stdout: ----

#[test]
fn file_dir_and_stdout_destinations_get_every_delivery() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        &format!(
            r#"rules:
  - Name: all-tests
    EventPattern: {{source: [test]}}
    Targets:
      - {{Id: f, Arn: "arn:aws:sqs:us-east-1:123456789012:f"}}
      - Id: d
        Arn: "arn:aws:sqs:us-east-1:123456789012:d"
        InputTransformer: {{InputPathsMap: {{n: $.detail.n}}, InputTemplate: '{{"number": <n>}}'}}
      - {{Id: s, Arn: Printer, InputPath: $.detail}}
destinations:
  "arn:aws:sqs:us-east-1:123456789012:f": file:out/f.ndjson
  "arn:aws:sqs:us-east-1:123456789012:d": dir:out/d
  Printer: stdout
{FAST}"#
        ),
    );
    write(d, "events.ndjson", &events(3, |_| String::new()));
    let r = evrule(d, &["route", "--config", "bus.yaml", "events.ndjson"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);

    let f = json_lines(&d.join("out/f.ndjson"));
    assert_eq!(counts(&f, "/input/id").len(), 3);
    assert!(f.iter().all(|l| l["rule"] == "all-tests"
        && l["targetId"] == "f"
        && l["attempt"] == 1
        && l["deadLetter"].is_null()));

    let mut numbers: Vec<i64> = std::fs::read_dir(d.join("out/d"))
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            v["input"]["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, [0, 1, 2]);

    let printed: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut ns: Vec<i64> = printed
        .iter()
        .map(|p| p["input"]["n"].as_i64().unwrap())
        .collect();
    ns.sort();
    assert_eq!(ns, [0, 1, 2]);

    assert!(
        r.stderr.starts_with("3 events in, 3 matched\n"),
        "{}",
        r.stderr
    );
    assert!(r
        .stderr
        .contains("deliveries: 9 ok, 0 retried, 0 dead-lettered, 0 dropped\n"));
    assert!(r.stderr.contains(
        "  all-tests/f: 3 ok, 0 retried, 0 dead-lettered, 0 dropped -> file:out/f.ndjson\n"
    ));
}

#[test]
fn json_summary_counts_events_matches_and_deliveries() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.json",
        r#"{"rules": [{"Name": "even", "EventPattern": {"detail": {"n": [0, 2, 4]}},
                      "Targets": [{"Id": "f", "Arn": "arn:f"}]}],
            "destinations": {"arn:f": "file:f.ndjson"}}"#,
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.json", "--format", "json", "-"],
        &events(5, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(
        (&s["events"], &s["matched"], &s["delivered"], &s["dropped"]),
        (
            &Value::from(5),
            &Value::from(3),
            &Value::from(3),
            &Value::from(0)
        )
    );
    assert_eq!(target(&s, "even", "f")["destination"], "file:f.ndjson");
    assert_eq!(s["archived"], Value::Null);
    assert_eq!(read_lines(&d.join("f.ndjson")).len(), 3);
}

// ---- bad input, configuration errors ----

#[test]
fn bad_lines_are_reported_with_their_place_and_skipped() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        "rules:\n  - {Name: r, EventPattern: {source: [test]}, Targets: [{Id: f, Arn: F}]}\ndestinations:\n  F: file:f.ndjson\n",
    );
    let input = format!(
        "{}not json\n\n[1, 2]\n{}",
        events(1, |_| String::new()),
        events(2, |_| String::new())
    );
    write(d, "events.ndjson", &input);
    let r = evrule(d, &["route", "--config", "bus.yaml", "events.ndjson"], "");
    assert_eq!(r.code, 2);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("evrule:"))
        .collect();
    assert_eq!(
        errors,
        [
            "evrule: events.ndjson:2:2: invalid JSON: expected ident (skipped)",
            "evrule: events.ndjson:4:1: an event must be a JSON object (skipped)",
        ]
    );
    assert!(r
        .stderr
        .contains("3 events in, 3 matched, 2 bad lines skipped\n"));
    assert_eq!(read_lines(&d.join("f.ndjson")).len(), 3);
}

#[test]
fn a_target_without_a_destination_is_an_error_naming_it() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        "rules:\n  - Name: r\n    EventPattern: {source: [test]}\n    Targets:\n      - {Id: q, Arn: 'arn:aws:sqs:us-east-1:123456789012:q', DeadLetterConfig: {Arn: DLQ}}\ndestinations: {}\n",
    );
    let r = evrule(d, &["route", "--config", "bus.yaml"], "");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: bus.yaml: no destination for arn:aws:sqs:us-east-1:123456789012:q (target q of rule r); add it under `destinations:`\n\
         evrule: bus.yaml: no destination for DLQ (dead-letter queue of target q of rule r); add it under `destinations:`\n"
    );
}

#[test]
fn configuration_errors_are_pinned() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        "rules:\n  - missing.yaml\n  - {Name: 'bad name', EventPattern: {}}\ndestinations:\n  X: ftp://x\ndelivery: {workers: 0, retries: 3}\nextra: 1\n",
    );
    let r = evrule(d, &["route", "--config", "bus.yaml"], "");
    assert_eq!(r.code, 2);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "evrule: bus.yaml:7:1: unknown key `extra` (expected one of: rules, destinations, archive, delivery, parameters, region, account)",
            "evrule: missing.yaml: no such file or directory",
            r"evrule: bus.yaml:3:5: rule bad name: 1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+",
            "evrule: bus.yaml:5:6: destination of X: unknown destination `ftp://x` (expected file:PATH, dir:PATH, stdout:, exec:COMMAND or an http(s):// URL)",
            "evrule: bus.yaml:6:21: `delivery.workers` must be at least 1",
            "evrule: bus.yaml:6:24: unknown key `delivery.retries` (expected backoff_base_ms, backoff_cap_ms, timeout_ms, workers, queue_capacity, grace_ms)",
        ]
    );
}

// ---- exec: ----

#[test]
fn exec_failures_are_retried_then_dead_lettered() {
    let t = tmp();
    let d = t.path();
    script(
        d,
        "handle.sh",
        r#"#!/bin/sh
payload=$(cat)
case "$payload" in
  *fail*) echo "$EVRULE_ATTEMPT $payload" >> attempts.log; echo "refused $EVRULE_TARGET_ID" >&2; exit 3 ;;
esac
echo "$payload" >> handled.log
"#,
    );
    write(
        d,
        "bus.yaml",
        &format!(
            r#"rules:
  - Name: orders
    EventPattern: {{source: [test]}}
    Targets:
      - Id: handler
        Arn: Handler
        InputPath: $.detail
        RetryPolicy: {{MaximumRetryAttempts: 2}}
        DeadLetterConfig: {{Arn: DLQ}}
destinations:
  Handler: exec:./handle.sh
  DLQ: file:dlq.ndjson
{FAST}"#
        ),
    );
    let input = events(4, |i| {
        if i == 2 {
            ", \"what\": \"fail\"".into()
        } else {
            String::new()
        }
    });
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &input,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let s = r.summary();
    let h = target(&s, "orders", "handler");
    assert_eq!(
        (
            &h["delivered"],
            &h["retried"],
            &h["dead_lettered"],
            &h["dropped"]
        ),
        (
            &Value::from(3),
            &Value::from(2),
            &Value::from(1),
            &Value::from(0)
        )
    );
    assert_eq!(read_lines(&d.join("handled.log")).len(), 3);
    let attempts = read_lines(&d.join("attempts.log"));
    let mut numbers: Vec<&str> = attempts.iter().map(|l| &l[..1]).collect();
    numbers.sort();
    assert_eq!(numbers, ["1", "2", "3"]);
    let dlq = json_lines(&d.join("dlq.ndjson"));
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0]["input"]["id"], "e2", "the original event");
    assert_eq!(
        dlq[0]["deadLetter"],
        serde_json::json!({
            "errorCode": "TARGET_ERROR",
            "errorMessage": "exec:./handle.sh exited with status 3: refused handler",
            "attempts": 3,
            "limit": "MaximumRetryAttempts",
        })
    );
    // The envelope's attempt agrees with its reason's (issue 11).
    assert_eq!(dlq[0]["attempt"], 3);
}

#[test]
fn exec_commands_that_hang_are_killed_at_the_timeout() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        r#"rules:
  - Name: slow
    EventPattern: {source: [test]}
    Targets: [{Id: s, Arn: Slow, RetryPolicy: {MaximumRetryAttempts: 0}}]
destinations:
  Slow: "exec:sleep 30"
delivery: {timeout_ms: 200}
"#,
    );
    let started = Instant::now();
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(1, |_| String::new()),
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(s["dropped"], 1);
    assert_eq!(
        s["drops"][0]["error_message"],
        "exec:sleep 30 timed out after 200 ms"
    );
    assert_eq!(s["drops"][0]["limit"], "MaximumRetryAttempts");
}

// ---- http: ----

/// A loopback HTTP server answering by path: `/ok` 200, `/busy` 500,
/// `/bad` 400. It counts requests per path and stops when dropped (or
/// after 60 seconds at the latest).
struct Server {
    port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    bodies: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, b, s) = (hits.clone(), bodies.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &h, &b),
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Server {
            port,
            hits,
            bodies,
            stop,
            thread: Some(thread),
        }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, hits: &Mutex<HashMap<String, usize>>, bodies: &Mutex<Vec<String>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let path = request.split(' ').nth(1).unwrap_or("").to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    *hits.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
    bodies
        .lock()
        .unwrap()
        .push(String::from_utf8_lossy(&body).into_owned());
    let status = match path.as_str() {
        "/ok" => "200 OK",
        "/busy" => "500 Internal Server Error",
        _ => "400 Bad Request",
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn http_statuses_decide_success_retry_or_dead_letter() {
    let server = Server::start();
    let t = tmp();
    let d = t.path();
    let base = format!("http://127.0.0.1:{}", server.port);
    write(
        d,
        "bus.yaml",
        &format!(
            r#"rules:
  - Name: hooks
    EventPattern: {{source: [test]}}
    Targets:
      - {{Id: ok, Arn: Ok, InputPath: $.detail}}
      - {{Id: busy, Arn: Busy, RetryPolicy: {{MaximumRetryAttempts: 2}}, DeadLetterConfig: {{Arn: DLQ}}}}
      - {{Id: bad, Arn: Bad, RetryPolicy: {{MaximumRetryAttempts: 2}}, DeadLetterConfig: {{Arn: DLQ}}}}
destinations:
  Ok: {base}/ok
  Busy: {base}/busy
  Bad: {base}/bad
  DLQ: file:dlq.ndjson
{FAST}"#
        ),
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(3, |_| String::new()),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(target(&s, "hooks", "ok")["delivered"], 3);
    assert_eq!(target(&s, "hooks", "busy")["retried"], 6);
    assert_eq!(target(&s, "hooks", "busy")["dead_lettered"], 3);
    assert_eq!(target(&s, "hooks", "bad")["retried"], 0);
    assert_eq!(target(&s, "hooks", "bad")["dead_lettered"], 3);
    assert_eq!(
        (
            server.hits("/ok"),
            server.hits("/busy"),
            server.hits("/bad")
        ),
        (3, 9, 3)
    );
    let dlq = json_lines(&d.join("dlq.ndjson"));
    let limits = counts(&dlq, "/deadLetter/limit");
    assert_eq!(limits["MaximumRetryAttempts"], 3);
    assert_eq!(limits["NotRetryable"], 3);
    let busy = dlq.iter().find(|l| l["targetId"] == "busy").unwrap();
    assert_eq!(
        busy["deadLetter"]["errorMessage"],
        format!("POST {base}/busy returned 500")
    );
    // The /ok target got the InputPath payload itself.
    let bodies = server.bodies.lock().unwrap().clone();
    assert!(bodies
        .iter()
        .any(|b| b == r#"{"n":0}"# || b == r#"{"n": 0}"#));
}

#[test]
fn http_connection_errors_are_retryable() {
    // A port nothing listens on: bind, note the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        &format!(
            "rules:\n  - {{Name: r, EventPattern: {{source: [test]}}, Targets: [{{Id: h, Arn: H, RetryPolicy: {{MaximumRetryAttempts: 1}}}}]}}\ndestinations:\n  H: http://127.0.0.1:{port}/x\n{FAST}"
        ),
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(1, |_| String::new()),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(target(&s, "r", "h")["retried"], 1);
    assert_eq!(s["drops"][0]["limit"], "MaximumRetryAttempts");
}

// ---- CloudFormation templates ----

#[test]
fn cloudformation_targets_route_by_logical_id() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "infra/template.yaml",
        r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Queue:
    Type: AWS::SQS::Queue
  DeadLetters:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
  OrdersRule:
    Type: AWS::Events::Rule
    Properties:
      Name: !Sub "${Stage}-orders"
      EventPattern:
        source: [test]
        detail:
          n: [{numeric: [">=", 1]}]
      Targets:
        - Id: queue
          Arn: !GetAtt Queue.Arn
          InputTransformer:
            InputPathsMap: {n: $.detail.n}
            InputTemplate: '{"order": <n>, "rule": "<aws.events.rule-name>"}'
          DeadLetterConfig:
            Arn: !GetAtt DeadLetters.Arn
        - Id: topic
          Arn: !Ref Topic
  OrdersArchive:
    Type: AWS::Events::Archive
    Properties:
      SourceArn: !GetAtt Bus.Arn
      EventPattern: {source: [test]}
"#,
    );
    write(
        d,
        "bus.yaml",
        "rules: [infra/template.yaml]\ndestinations:\n  Queue: file:out/queue.ndjson\n  DeadLetters: file:out/dlq.ndjson\n  Topic: dir:out/topic\n",
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(3, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(s["matched"], 2);
    assert_eq!(target(&s, "dev-orders", "queue")["arn"], "Queue");
    assert_eq!(
        s["targets"].as_array().unwrap().len(),
        2,
        "the archive delivers nowhere"
    );
    let queue = json_lines(&d.join("out/queue.ndjson"));
    let mut orders: Vec<i64> = queue
        .iter()
        .map(|l| {
            assert_eq!(l["input"]["rule"], "dev-orders");
            l["input"]["order"].as_i64().unwrap()
        })
        .collect();
    orders.sort();
    assert_eq!(orders, [1, 2]);
    assert_eq!(std::fs::read_dir(d.join("out/topic")).unwrap().count(), 2);
}

#[test]
fn cloudformation_targets_with_unknown_arns_are_reported() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "template.yaml",
        r#"Resources:
  R:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [test]}
      Targets:
        - Id: t
          Arn: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"
"#,
    );
    write(d, "bus.yaml", "rules: [template.yaml]\ndestinations: {}\n");
    let r = evrule(d, &["route", "--config", "bus.yaml"], "");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: template.yaml:5: rule R: the Arn of target t (!Sub arn:aws:sqs:${AWS::Region}:${AWS::Accoun...) is not known before deployment; give `AWS::Region`, `AWS::AccountId` under `parameters:`\n"
    );
}

// ---- fan-out ----

#[test]
fn fan_out_delivers_to_every_target_once_and_dead_letters_the_failing_one() {
    let t = tmp();
    let d = t.path();
    script(
        d,
        "fail.sh",
        "#!/bin/sh\np=$(cat)\necho \"$p\" >> failing.log\nexit 1\n",
    );
    let mut targets = String::new();
    let mut dests = String::new();
    for i in 1..=4 {
        targets.push_str(&format!("      - {{Id: t{i}, Arn: T{i}}}\n"));
        dests.push_str(&format!("  T{i}: file:out/t{i}.ndjson\n"));
    }
    write(
        d,
        "bus.yaml",
        &format!(
            r#"rules:
  - Name: fan
    EventPattern: {{source: [test]}}
    Targets:
{targets}      - Id: broken
        Arn: Broken
        InputPath: $.id
        RetryPolicy: {{MaximumRetryAttempts: 3}}
        DeadLetterConfig: {{Arn: DLQ}}
destinations:
{dests}  Broken: exec:./fail.sh
  DLQ: file:out/dlq.ndjson
{FAST}"#
        ),
    );
    let n = 10;
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(n, |_| String::new()),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    for i in 1..=4 {
        let lines = json_lines(&d.join(format!("out/t{i}.ndjson")));
        let ids = counts(&lines, "/input/id");
        assert_eq!(ids.len(), n, "t{i}: {ids:?}");
        assert!(ids.values().all(|&c| c == 1), "t{i}: {ids:?}");
    }
    // Exactly 1 + MaximumRetryAttempts attempts per event.
    let mut attempts: BTreeMap<String, usize> = BTreeMap::new();
    for line in read_lines(&d.join("failing.log")) {
        *attempts.entry(line).or_insert(0) += 1;
    }
    assert_eq!(attempts.len(), n);
    assert!(attempts.values().all(|&c| c == 4), "{attempts:?}");
    let dlq = json_lines(&d.join("out/dlq.ndjson"));
    assert_eq!(counts(&dlq, "/input/id").len(), n);
    assert!(dlq.iter().all(|l| l["deadLetter"]["attempts"] == 4
        && l["deadLetter"]["limit"] == "MaximumRetryAttempts"
        && l["targetId"] == "broken"));
    let s = r.summary();
    assert_eq!(target(&s, "fan", "broken")["retried"], 3 * n);
    assert_eq!(target(&s, "fan", "broken")["dead_lettered"], n);
    assert_eq!(s["delivered"], 4 * n);
}

// ---- archive and replay ----

/// RFC 3339 with milliseconds, UTC.
fn rfc3339(t: SystemTime) -> String {
    let ms = t.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
    let (secs, ms) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn simple_bus(d: &Path, name: &str, out: &str) {
    write(
        d,
        name,
        &format!(
            "rules:\n  - {{Name: r, EventPattern: {{source: [test]}}, Targets: [{{Id: f, Arn: F}}]}}\ndestinations:\n  F: file:{out}\n{FAST}"
        ),
    );
}

#[test]
fn archive_then_replay_a_window() {
    let t = tmp();
    let d = t.path();
    simple_bus(d, "bus.yaml", "live.ndjson");
    simple_bus(d, "replay.yaml", "replayed.ndjson");
    let before = SystemTime::now() - Duration::from_secs(1);
    let first = events(3, |_| String::new());
    let r = evrule(
        d,
        &[
            "route",
            "--config",
            "bus.yaml",
            "--archive",
            "arch",
            "--format",
            "json",
        ],
        &first,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.summary()["archived"], 3);
    thread::sleep(Duration::from_millis(30));
    let between = SystemTime::now();
    thread::sleep(Duration::from_millis(30));
    let second = events(5, |_| String::new()).replace("\"e", "\"second-e");
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--archive", "arch"],
        &second,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(", 5 archived\n"), "{}", r.stderr);
    assert_eq!(read_lines(&d.join("live.ndjson")).len(), 8);

    // Only the second batch lies in [between, now).
    let (from, to) = (
        rfc3339(between),
        rfc3339(SystemTime::now() + Duration::from_secs(1)),
    );
    let r = evrule(
        d,
        &[
            "replay",
            "--archive",
            "arch",
            "--config",
            "replay.yaml",
            "--from",
            &from,
            "--to",
            &to,
            "--name",
            "fix-1",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(
        (&s["replayed"], &s["replay_name"]),
        (&Value::from(5), &Value::from("fix-1"))
    );
    let replayed = json_lines(&d.join("replayed.ndjson"));
    let ids = counts(&replayed, "/input/id");
    assert_eq!(
        ids.keys().cloned().collect::<Vec<_>>(),
        [
            "second-e0",
            "second-e1",
            "second-e2",
            "second-e3",
            "second-e4"
        ]
    );
    assert!(replayed
        .iter()
        .all(|l| l["input"]["replay-name"] == "fix-1"));

    // The whole history, with the default name.
    let r = evrule(
        d,
        &[
            "replay",
            "--archive",
            "arch",
            "--config",
            "replay.yaml",
            "--from",
            &rfc3339(before),
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("replayed: 8\n"), "{}", r.stderr);
    assert_eq!(read_lines(&d.join("replayed.ndjson")).len(), 13);
}

#[test]
fn archive_pattern_selects_what_is_archived() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        &format!(
            "rules:\n  - {{Name: r, EventPattern: {{source: [test]}}, Targets: [{{Id: f, Arn: F}}]}}\ndestinations:\n  F: file:live.ndjson\narchive: {{dir: arch, pattern: {{detail: {{n: [1, 3]}}}}, retention_days: 7}}\n{FAST}"
        ),
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(5, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.summary()["archived"], 2);
}

#[test]
fn replay_rejects_bad_times_and_names() {
    let t = tmp();
    let d = t.path();
    simple_bus(d, "bus.yaml", "x.ndjson");
    std::fs::create_dir(d.join("arch")).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["replay", "--archive", "arch", "--config", "bus.yaml"];
        all.extend_from_slice(args);
        evrule(d, &all, "")
    };
    let r = run(&["--from", "yesterday"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "evrule: --from: `yesterday` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)\n"
        )
    );
    let r = run(&[
        "--from",
        "2024-01-02T00:00:00Z",
        "--to",
        "2024-01-01T00:00:00Z",
    ]);
    assert_eq!(r.stderr, "evrule: --to must be later than --from\n");
    let r = run(&["--from", "2024-01-01T00:00:00Z", "--name", "no spaces"]);
    assert_eq!(
        r.stderr,
        "evrule: --name `no spaces` must be 1 to 64 letters, digits, '.', '-' or '_'\n"
    );
}

// ---- crashes and interrupts ----

fn spawn_route(d: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_evrule"))
        .arg("route")
        .args(args)
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run evrule")
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_killed_route_leaves_an_archive_that_replays_every_whole_event_once() {
    let t = tmp();
    let d = t.path().to_path_buf();
    simple_bus(&d, "bus.yaml", "live.ndjson");
    simple_bus(&d, "replay.yaml", "replayed.ndjson");
    let start = SystemTime::now() - Duration::from_secs(1);
    let mut child = spawn_route(&d, &["--config", "bus.yaml", "--archive", "arch"]);
    let mut stdin = child.stdin.take().unwrap();
    // Feed events until the process dies (bounded: 20,000 events).
    let writer = thread::spawn(move || {
        for i in 0..20_000 {
            let line =
                format!("{{\"source\": \"test\", \"id\": \"e{i}\", \"detail\": {{\"n\": {i}}}}}\n");
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
            if i % 50 == 0 {
                thread::sleep(Duration::from_millis(1));
            }
        }
    });
    let live = d.join("live.ndjson");
    wait_for("deliveries", Duration::from_secs(30), || {
        read_lines(&live).len() >= 200
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    writer.join().unwrap();
    let delivered: Vec<String> = json_lines(&live)
        .iter()
        .map(|l| l["input"]["id"].as_str().unwrap().to_string())
        .collect();

    // A torn record at the end, as a crash mid-write leaves it.
    let mut segments: Vec<PathBuf> = std::fs::read_dir(d.join("arch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segments.sort();
    let newest = segments.last().unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(newest)
        .unwrap();
    f.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
    drop(f);

    let to = rfc3339(SystemTime::now() + Duration::from_secs(1));
    let r = evrule(
        &d,
        &[
            "replay",
            "--archive",
            "arch",
            "--config",
            "replay.yaml",
            "--from",
            &rfc3339(start),
            "--to",
            &to,
            "--name",
            "after-crash",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(s["torn_tails"], 1);
    let replayed = json_lines(&d.join("replayed.ndjson"));
    assert!(replayed
        .iter()
        .all(|l| l["input"]["replay-name"] == "after-crash"));
    let ids = counts(&replayed, "/input/id");
    assert!(ids.values().all(|&c| c == 1), "replayed twice: {ids:?}");
    // Archived in input order: the ids replayed are exactly e0..e(k-1),
    // and include everything delivered before the kill.
    let k = ids.len();
    assert_eq!(s["replayed"], k);
    for i in 0..k {
        assert!(ids.contains_key(&format!("e{i}")), "e{i} missing of {k}");
    }
    for id in &delivered {
        assert!(ids.contains_key(id), "{id} was delivered but not archived");
    }
}

#[test]
fn an_interrupt_drains_then_reports_what_was_not_delivered() {
    let t = tmp();
    let d = t.path().to_path_buf();
    script(
        &d,
        "slow.sh",
        "#!/bin/sh\ncat > /dev/null\ntouch started\nsleep 30\n",
    );
    write(
        &d,
        "bus.yaml",
        r#"rules:
  - Name: r
    EventPattern: {source: [test]}
    Targets:
      - {Id: fast, Arn: Fast}
      - {Id: slow, Arn: Slow}
destinations:
  Fast: file:fast.ndjson
  Slow: exec:./slow.sh
delivery: {grace_ms: 300}
"#,
    );
    let mut child = spawn_route(&d, &["--config", "bus.yaml", "--format", "json"]);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(events(3, |_| String::new()).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    // stdin stays open: only the interrupt ends the input.
    wait_for("the slow target to start", Duration::from_secs(20), || {
        d.join("started").exists() && read_lines(&d.join("fast.ndjson")).len() == 3
    });
    let started = Instant::now();
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["events"], 3);
    assert_eq!(target(&s, "r", "fast")["delivered"], 3);
    assert_eq!(target(&s, "r", "slow")["dropped"], 3);
    let drops = s["drops"].as_array().unwrap();
    assert_eq!(drops.len(), 3);
    assert!(drops
        .iter()
        .all(|d| d["error_code"] == "SHUTDOWN" && d["limit"] == "Shutdown"));
    assert_eq!(counts(drops, "/event/id").len(), 3);
}

// ---- other rule sources, input forms ----

#[test]
fn sam_functions_are_the_targets_of_their_eventbridge_rules() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "sam.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Processor:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        OnTest:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [test]}
            InputPath: $.detail
            RetryPolicy: {MaximumRetryAttempts: 0}
            DeadLetterConfig: {Type: SQS}
  Workflow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Events:
        OnOdd:
          Type: EventBridgeRule
          Properties:
            RuleName: odd
            Pattern: {detail: {n: [1, 3]}}
"#,
    );
    write(
        d,
        "bus.yaml",
        "rules: [sam.yaml]\ndestinations:\n  Processor: file:processor.ndjson\n  ProcessorOnTestQueue: file:dlq.ndjson\n  Workflow: file:workflow.ndjson\n",
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(4, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.summary();
    assert_eq!(
        target(&s, "ProcessorOnTest", "ProcessorOnTestLambdaTarget")["delivered"],
        4
    );
    assert_eq!(
        target(&s, "odd", "WorkflowOnOddStepFunctionsTarget")["delivered"],
        2
    );
    let processor = json_lines(&d.join("processor.ndjson"));
    assert!(processor.iter().all(|l| l["input"]["n"].is_number()));
}

#[test]
fn put_targets_in_the_config_give_targets_to_rules_from_files() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "list-rules.json",
        r#"{"Rules": [
            {"Name": "tests", "EventPattern": "{\"source\":[\"test\"]}", "State": "ENABLED"},
            {"Name": "off", "EventPattern": "{\"source\":[\"test\"]}", "State": "DISABLED",
             "Targets": [{"Id": "never", "Arn": "Never"}]}
        ]}"#,
    );
    write(
        d,
        "bus.yaml",
        "rules:\n  - list-rules.json\n  - Rule: tests\n    Targets: [{Id: t, Arn: T, Input: '{\"fixed\": true}'}]\ndestinations:\n  T: file:t.ndjson\n  Never: file:never.ndjson\n",
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(2, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.summary()["matched"], 2);
    let lines = json_lines(&d.join("t.ndjson"));
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|l| l["input"] == serde_json::json!({"fixed": true})));
    assert_eq!(read_lines(&d.join("never.ndjson")).len(), 0, "disabled");
}

#[test]
fn pretty_printed_files_and_arrays_are_read_whole() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        "rules:\n  - {Name: s3, EventPattern: {source: [aws.s3], detail-type: [Object Created]}, Targets: [{Id: f, Arn: F, InputPath: $.detail.object.key}]}\n  - {Name: t, EventPattern: {source: [test]}, Targets: [{Id: f, Arn: F, InputPath: $.id}]}\ndestinations:\n  F: file:f.ndjson\n",
    );
    write(
        d,
        "array.json",
        "[\n  {\"source\": \"test\", \"id\": \"a\"},\n  {\"source\": \"test\", \"id\": \"b\"}\n]\n",
    );
    let example = root().join("testdata/events/s3-object-created.json");
    let r = evrule(
        d,
        &[
            "route",
            "--config",
            "bus.yaml",
            example.to_str().unwrap(),
            "array.json",
            "missing.ndjson",
        ],
        "",
    );
    assert_eq!(r.code, 2, "a missing file is an error");
    assert!(r
        .stderr
        .starts_with("evrule: missing.ndjson: no such file or directory\n"));
    assert!(
        r.stderr.contains("3 events in, 3 matched\n"),
        "{}",
        r.stderr
    );
    let mut got: Vec<String> = json_lines(&d.join("f.ndjson"))
        .iter()
        .map(|l| l["input"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(got, ["a", "b", "example-key"]);
}

#[test]
fn intrinsic_functions_outside_templates_are_rejected() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        "rules:\n  - Name: r\n    EventPattern: {source: [test]}\n    Targets: [{Id: t, Arn: !GetAtt Queue.Arn}]\ndestinations: {}\n",
    );
    let r = evrule(d, &["route", "--config", "bus.yaml"], "");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "evrule: bus.yaml:2:5: unsupported value !GetAtt Queue.Arn (intrinsic functions are evaluated in CloudFormation templates only)\n"
    );
}

#[test]
fn exec_commands_that_leave_background_processes_do_not_hang_the_bus() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        "rules:\n  - {Name: r, EventPattern: {source: [test]}, Targets: [{Id: b, Arn: B}]}\ndestinations:\n  B: \"exec:(sleep 5 >/dev/null &); echo started\"\n",
    );
    let started = Instant::now();
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--format", "json"],
        &events(2, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.summary()["delivered"], 2);
    // The background process holds the command's stderr pipe for 5 s.
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn startup_messages_are_pinned() {
    let t = tmp();
    let d = t.path();
    let run = |config: &str, args: &[&str]| {
        write(d, "bus.yaml", config);
        let mut all = vec!["route", "--config", "bus.yaml"];
        all.extend_from_slice(args);
        let r = evrule(d, &all, "");
        assert_eq!(r.code, 2, "{}", r.stderr);
        r.stderr
    };
    assert_eq!(
        run("- a\n", &[]),
        "evrule: bus.yaml: expected one mapping with `rules:` and `destinations:`\n"
    );
    assert_eq!(
        run("rules: x\ndestinations: []\n", &[]),
        "evrule: bus.yaml:1:8: `rules` must be a list of rule files and rules\n\
         evrule: bus.yaml:2:15: `destinations` must map ARNs to destinations\n"
    );
    assert_eq!(
        run("destinations: {A: 'file:'}\n", &[]),
        "evrule: bus.yaml:1:1: no `rules:` list\n\
         evrule: bus.yaml:1:19: destination of A: `file:` names no path\n"
    );
    assert_eq!(
        run(
            "rules: []\narchive: {fsync: sometimes, keep: 1, retention_days: -1}\n",
            &[]
        ),
        "evrule: bus.yaml:2:18: `archive.fsync` must be `always` or `never`\n\
         evrule: bus.yaml:2:29: unknown key `archive.keep` (expected dir, pattern, retention_days, fsync)\n\
         evrule: bus.yaml:2:54: `archive.retention_days` must be a whole number\n"
    );
    assert_eq!(
        run("rules: []\n", &["--retention-days", "3"]),
        "evrule: --retention-days needs an archive (--archive DIR or archive.dir)\n"
    );
    assert_eq!(
        run(
            "rules: [{Name: r, EventPattern: {source: [{prefix: 1}]}}]\n",
            &[]
        ),
        "evrule: bus.yaml:1:9: rule r: prefix match pattern must be a string at /source/0/prefix (line 1 column 22)\n"
    );
}

// ---- issue 11: smaller points ----

#[test]
fn destination_files_are_created_only_when_something_is_delivered() {
    let t = tmp();
    let d = t.path();
    write(
        d,
        "bus.yaml",
        &format!(
            "rules:\n  - {{Name: r, EventPattern: {{source: [test]}}, Targets: [{{Id: f, Arn: F}}, {{Id: g, Arn: G}}]}}\n  - {{Name: never, EventPattern: {{source: [other]}}, Targets: [{{Id: n, Arn: N}}, {{Id: m, Arn: M}}]}}\ndestinations:\n  F: file:out/live.ndjson\n  G: dir:out/each\n  N: file:unused/never.ndjson\n  M: dir:unused/never\n{FAST}"
        ),
    );
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml"],
        &events(2, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(read_lines(&d.join("out/live.ndjson")).len(), 2);
    assert_eq!(std::fs::read_dir(d.join("out/each")).unwrap().count(), 2);
    assert!(
        !d.join("unused").exists(),
        "nothing delivered, nothing created"
    );
    // A path that can never be written is still an error before any event.
    write(d, "blocker", "a file, not a directory");
    write(
        d,
        "bad.yaml",
        &format!(
            "rules:\n  - {{Name: r, EventPattern: {{source: [test]}}, Targets: [{{Id: f, Arn: F}}]}}\ndestinations:\n  F: file:blocker/live.ndjson\n{FAST}"
        ),
    );
    let r = evrule(
        d,
        &["route", "--config", "bad.yaml"],
        &events(1, |_| String::new()),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot create blocker/live.ndjson: blocker is not a directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn replay_of_an_empty_window_says_what_the_archive_holds() {
    let t = tmp();
    let d = t.path();
    simple_bus(d, "bus.yaml", "live.ndjson");
    let r = evrule(
        d,
        &["route", "--config", "bus.yaml", "--archive", "arch"],
        &events(2, |_| String::new()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = evrule(
        d,
        &[
            "replay",
            "--archive",
            "arch",
            "--config",
            "bus.yaml",
            "--from",
            "2001-01-01T00:00:00Z",
            "--to",
            "2001-01-02T00:00:00Z",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r.stderr.lines().next().unwrap();
    let prefix = "evrule: no archived event arrived in [2001-01-01T00:00:00Z, 2001-01-02T00:00:00Z); the archive holds events that arrived from ";
    assert!(line.starts_with(prefix), "{line}");
    let (first, last) = line[prefix.len()..].split_once(" to ").unwrap();
    let year = |t: &str| t[..4].parse::<u32>().unwrap();
    assert!(
        year(first) >= 2024 && first <= last && last.ends_with('Z'),
        "{line}"
    );
    // An archive with nothing in it says so.
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let r = evrule(
        d,
        &[
            "replay",
            "--archive",
            "empty",
            "--config",
            "bus.yaml",
            "--from",
            "2001-01-01T00:00:00Z",
        ],
        "",
    );
    assert!(
        r.stderr
            .starts_with("evrule: no archived event arrived in [2001-01-01T00:00:00Z, "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("); the archive holds no events\n"),
        "{}",
        r.stderr
    );
}
