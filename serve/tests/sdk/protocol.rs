//! The wire: unknown actions, content types, malformed bodies, limits,
//! timeouts, SigV4, and where account and region come from.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use evrule_serve::sigv4::Credentials as Keys;
use serde_json::json;

use crate::support::*;

#[test]
fn unknown_operations_and_bad_requests_get_clear_400s() {
    let t = TestServer::start();
    let (status, body) = call(t.addr, "CancelReplay", "{}");
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (status, body) = call(t.addr, "NoSuchThing", "{}");
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (status, body) = call(t.addr, "ListRules", "{\"Limit\": ");
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("The request body is not valid JSON"));
    let (status, body) = call(t.addr, "ListRules", "[]");
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("The request body must be a JSON object, found a list.")
        )
    );
    let (status, body) = call(t.addr, "PutRule", r#"{"Name": 5}"#);
    assert_eq!(
        (status, body["__type"].as_str(), body["message"].as_str()),
        (
            400,
            Some("SerializationException"),
            Some("Expected a string for name, found a number.")
        )
    );
    // An empty body is an empty request.
    let (status, body) = call(t.addr, "ListRules", "");
    assert_eq!((status, body), (200, json!({"Rules": []})));

    let (status, text) = raw(
        t.addr,
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: AWSEvents.ListRules\r\n\
         Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(status, 400);
    assert!(
        text.contains("The Content-Type must be application/x-amz-json-1.1"),
        "{text}"
    );
    let (status, _) = raw(
        t.addr,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    let (status, _) = raw(
        t.addr,
        "GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 404);
    let (status, _) = raw(
        t.addr,
        "GET /_evrule/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 404);
    let (status, body) = t.admin("GET", "/_evrule/deliveries?wait=x");
    assert_eq!(status, 400, "{body}");
    // Garbage instead of HTTP: the connection is refused, the server goes on.
    let (status, _) = raw(t.addr, "\x00\x01\x02 not http\r\n\r\n");
    assert_ne!(status, 200);
    assert_eq!(t.admin("GET", "/_evrule/health").0, 200);
}

#[test]
fn bodies_are_bounded() {
    let t = TestServer::with(config().max_body_bytes(1024));
    let big = format!(r#"{{"NamePrefix": "{}"}}"#, "a".repeat(2000));
    let (status, body) = call(t.addr, "ListRules", &big);
    assert_eq!(
        (status, body["__type"].as_str()),
        (413, Some("RequestEntityTooLargeException"))
    );
    // Chunked, without a length: cut off at the limit too.
    let mut req = String::from(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: AWSEvents.ListRules\r\n\
         Content-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    req.push_str(&format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len()));
    let (status, _) = raw(t.addr, &req);
    assert_eq!(status, 413);
}

#[test]
fn slow_and_idle_clients_are_cut_off() {
    let t = TestServer::with(
        config()
            .header_timeout(Duration::from_millis(300))
            .body_timeout(Duration::from_millis(300))
            .idle_timeout(Duration::from_millis(300)),
    );
    // Headers that never end.
    let mut s = TcpStream::connect(t.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(4));
    // A body that never comes.
    let mut s = TcpStream::connect(t.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSEvents.ListRules\r\n\
          Content-Type: application/x-amz-json-1.1\r\nContent-Length: 10\r\n\r\n{",
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    // An idle keep-alive connection is closed.
    let mut s = TcpStream::connect(t.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /_evrule/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn account_and_region_come_from_the_credential_scope() {
    let t = TestServer::start();
    let eu = client_for(t.addr, "111122223333", "x", "eu-west-1");
    let out = eu
        .put_rule()
        .name("r")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.rule_arn(),
        Some("arn:aws:events:eu-west-1:111122223333:rule/r")
    );
    // Other regions and accounts are other places.
    let err = t.client.describe_rule().name("r").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "ResourceNotFoundException");
    let d = eu.describe_rule().name("r").send().await.unwrap();
    assert_eq!(d.created_by(), Some("111122223333"));
    // Unsigned requests use the defaults.
    let (_, body) = call(
        t.addr,
        "PutRule",
        r#"{"Name": "u", "EventPattern": "{\"source\": [\"x\"]}"}"#,
    );
    assert_eq!(
        body["RuleArn"],
        "arn:aws:events:us-east-1:123456789012:rule/u"
    );
}

#[tokio::test]
async fn signatures_are_verified_with_credentials() {
    let dir = temp_dir("creds");
    let path = dir.join("credentials");
    std::fs::write(
        &path,
        "[default]\naws_access_key_id = AKIDGOOD\naws_secret_access_key = s3cret\naws_account_id = 444455556666\n",
    )
    .unwrap();
    let t = TestServer::with(config().credentials(Keys::load(&path).unwrap()));
    let good = client_for(t.addr, "AKIDGOOD", "s3cret", "us-west-2");
    let out = good
        .put_rule()
        .name("r")
        .event_pattern(ANY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.rule_arn(),
        Some("arn:aws:events:us-west-2:444455556666:rule/r")
    );
    let wrong_secret = client_for(t.addr, "AKIDGOOD", "nope", "us-west-2");
    let err = wrong_secret.list_rules().send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "InvalidSignatureException");
    let unknown = client_for(t.addr, "AKIDOTHER", "s3cret", "us-west-2");
    let err = unknown.list_rules().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "UnrecognizedClientException".into(),
            "The security token included in the request is invalid.".into()
        )
    );
    let (status, body) = call(t.addr, "ListRules", "{}");
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("MissingAuthenticationTokenException"))
    );
    // The inbox needs a signature too.
    let (status, _) = t.admin("GET", "/_evrule/deliveries");
    assert_eq!(status, 400);
    let _ = std::fs::remove_dir_all(dir);
}
