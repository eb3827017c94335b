//! `evrule serve` as a user runs it: the real binary on a free port, a rule
//! file given at start, a configured destination, a PutEvents over HTTP, the
//! inbox, and SIGTERM with its report (issue 13).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

pub(crate) fn request(port: u16, head: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let text = format!(
        "{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(text.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

pub(crate) fn action(port: u16, name: &str, body: &str) -> (u16, serde_json::Value) {
    let (status, text) = request(
        port,
        &format!(
            "POST / HTTP/1.1\r\nX-Amz-Target: AWSEvents.{name}\r\nContent-Type: application/x-amz-json-1.1"
        ),
        body,
    );
    (status, serde_json::from_str(&text).unwrap_or_default())
}

#[test]
fn serve_answers_sdk_calls_delivers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"Rules": [{"Name": "from-file", "EventPattern": {"source": ["shop"]},
            "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:orders"},
                        {"Id": "f", "Arn": "arn:aws:sqs:us-east-1:123456789012:to-file"}]}]}"#,
    )
    .unwrap();
    let config = dir.path().join("bus.yaml");
    std::fs::write(
        &config,
        "rules: []\ndestinations:\n  arn:aws:sqs:us-east-1:123456789012:to-file: file:out.ndjson\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_evrule"))
        .args(["serve", "--port", "0", "--config"])
        .arg(&config)
        .arg(&rules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    assert!(
        line.starts_with("evrule serve: listening on http://127.0.0.1:"),
        "{line}"
    );

    let (status, body) = action(port, "ListRules", "{}");
    assert_eq!(status, 200);
    assert_eq!(body["Rules"][0]["Name"], "from-file");
    let (status, body) = action(
        port,
        "PutEvents",
        r#"{"Entries": [{"Source": "shop", "DetailType": "order", "Detail": "{\"id\": 7}"}]}"#,
    );
    assert_eq!((status, body["FailedEntryCount"].as_u64()), (200, Some(0)));
    let (status, text) = request(
        port,
        "GET /_evrule/deliveries?target=arn:aws:sqs:us-east-1:123456789012:orders&wait=1&timeout=5 HTTP/1.1",
        "",
    );
    assert_eq!(status, 200);
    let got: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got["deliveries"][0]["body"]["detail"]["id"], 7);
    let (status, body) = action(port, "DescribeConnection", "{}");
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );

    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("state: in memory (no --state)"), "{stderr}");
    assert!(
        stderr.contains("stopped: 1 events routed, 1 matched; 2 delivered, 0 dead-lettered, 0 dropped; 0 undelivered at shutdown"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert!(
        written.contains(r#"\"id\":7"#) || written.contains(r#""id":7"#),
        "{written}"
    );
}
