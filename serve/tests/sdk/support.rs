//! One helper for every test: start a server on a free port and an AWS SDK
//! client pointed at it; the guard stops the server on drop.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_eventbridge::error::ProvideErrorMetadata;
use aws_sdk_eventbridge::Client;
use evrule_serve::{ServeConfig, Server};
use serde_json::Value;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub struct TestServer {
    pub server: Option<Server>,
    pub addr: SocketAddr,
    pub client: Client,
}

/// A config with a free port and quick timeouts.
pub fn config() -> ServeConfig {
    ServeConfig::new()
        .port(0)
        .threads(2)
        .grace(Duration::from_secs(2))
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// An SDK client for `addr`, signing with `key`/`secret` in `region`.
pub fn client_for(addr: SocketAddr, key: &str, secret: &str, region: &str) -> Client {
    let conf = aws_sdk_eventbridge::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(format!("http://{addr}"))
        .credentials_provider(Credentials::new(key, secret, None, None, "tests"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::with(config())
    }

    pub fn with(config: ServeConfig) -> TestServer {
        let server = Server::start(config).expect("server starts");
        let addr = server.local_addr();
        TestServer {
            server: Some(server),
            addr,
            client: client_for(addr, "AKIDTEST", "secret", REGION),
        }
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    /// GET (or DELETE) an `/_evrule/` endpoint; the JSON answer.
    pub fn admin(&self, method: &str, path_and_query: &str) -> (u16, Value) {
        let (status, body) = raw(
            self.addr,
            &format!("{method} {path_and_query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// The deliveries of one target, waiting until `n` arrived (5 s at most).
    pub fn deliveries(&self, target: &str, n: usize) -> Vec<Value> {
        let (status, body) = self.admin(
            "GET",
            &format!("/_evrule/deliveries?target={target}&wait={n}&timeout=5"),
        );
        assert_eq!(status, 200, "{body}");
        body["deliveries"].as_array().cloned().unwrap_or_default()
    }

    /// The delivered bodies of one target.
    pub fn bodies(&self, target: &str, n: usize) -> Vec<Value> {
        self.deliveries(target, n)
            .into_iter()
            .map(|d| d["body"].clone())
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

/// Send raw bytes, read the whole answer: (status, body).
pub fn raw(addr: SocketAddr, request: &str) -> (u16, String) {
    raw_bytes(addr, request.as_bytes())
}

pub fn raw_bytes(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let (status, _, body) = exchange(addr, request);
    (status, body)
}

/// Send raw bytes, read the whole answer: (status, head, body).
pub fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// A POST / with an action and a JSON body, unsigned.
pub fn call(addr: SocketAddr, action: &str, body: &str) -> (u16, Value) {
    let (status, text) = raw(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: AWSEvents.{action}\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The AWS error code and message of a failed SDK call.
pub fn aws_error<E: ProvideErrorMetadata>(e: &E) -> (String, String) {
    (
        e.code().unwrap_or_default().to_string(),
        e.message().unwrap_or_default().to_string(),
    )
}

/// An event pattern and the rule ARN on the default bus.
pub fn rule_arn(name: &str) -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}")
}

pub fn queue(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

pub fn target(id: &str, arn: &str) -> aws_sdk_eventbridge::types::Target {
    aws_sdk_eventbridge::types::Target::builder()
        .id(id)
        .arn(arn)
        .build()
        .expect("id and arn")
}

pub fn entry(
    source: &str,
    detail_type: &str,
    detail: &str,
) -> aws_sdk_eventbridge::types::PutEventsRequestEntry {
    aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source(source)
        .detail_type(detail_type)
        .detail(detail)
        .build()
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "evrule-serve-test-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A pattern every event matches.
pub const ANY: &str = r#"{"source": [{"prefix": ""}]}"#;

/// PutRule (on `bus`, or the default bus) then PutTargets with one target:
/// the set-up most tests start from.
pub async fn rule_with_target(
    client: &Client,
    bus: Option<&str>,
    name: &str,
    pattern: &str,
    target: aws_sdk_eventbridge::types::Target,
) {
    client
        .put_rule()
        .name(name)
        .set_event_bus_name(bus.map(str::to_string))
        .event_pattern(pattern)
        .send()
        .await
        .unwrap();
    client
        .put_targets()
        .rule(name)
        .set_event_bus_name(bus.map(str::to_string))
        .targets(target)
        .send()
        .await
        .unwrap();
}
