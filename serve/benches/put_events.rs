//! PutEvents throughput and latency: concurrent clients send batches of 10
//! one-KB events over keep-alive HTTP/1.1 connections, through one rule, to
//! one target (a counting destination, so the inbox's copies are not what
//! is measured). It first checks that every event sent was delivered once.
//!
//! `cargo bench -p evrule-serve --bench put_events [-- CLIENTS SECONDS]`
//! (defaults: 32 clients, 5 seconds).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evrule::route::{Delivery, DeliveryResult, Destination, Rule, Target};
use evrule_serve::{ServeConfig, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TARGET: &str = "arn:aws:sqs:us-east-1:123456789012:bench";

struct Count(AtomicU64);

impl Destination for Count {
    fn deliver(&self, _: &Delivery) -> DeliveryResult {
        self.0.fetch_add(1, Ordering::Relaxed);
        DeliveryResult::Ok
    }
    fn non_blocking(&self) -> bool {
        true
    }
}

/// A PutEvents body of 10 entries whose Detail is about 1 KB each.
fn body() -> String {
    let filler = "x".repeat(900);
    let entries: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            let detail = serde_json::json!({
                "orderId": format!("o-{i}"),
                "amount": 42.5,
                "customer": {"tier": "gold", "id": i},
                "note": filler,
            });
            serde_json::json!({
                "Source": "com.example.orders",
                "DetailType": "OrderPlaced",
                "Detail": detail.to_string(),
            })
        })
        .collect();
    serde_json::json!({ "Entries": entries }).to_string()
}

/// Read one HTTP response (headers and a Content-Length body); its status.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> u16 {
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.expect("read");
                assert!(n > 0, "connection closed");
                buf.extend_from_slice(&chunk[..n]);
            }
            return head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        }
        let n = s.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let clients: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let count = Arc::new(Count(AtomicU64::new(0)));
    let rule = Rule::new(
        "orders",
        r#"{"source": ["com.example.orders"], "detail": {"customer": {"tier": ["gold"]}}}"#,
    )
    .with_target(Target::new("q", TARGET));
    let server = Server::start(
        ServeConfig::new()
            .port(0)
            .rules(vec![rule])
            .destination(TARGET, count.clone()),
    )
    .expect("server starts");
    let addr = server.local_addr();
    let body = body();
    let request = Arc::new(
        format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSEvents.PutEvents\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let latencies: Vec<Vec<Duration>> = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let request = Arc::clone(&request);
            tasks.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.expect("connect");
                s.set_nodelay(true).unwrap();
                let mut buf = Vec::with_capacity(4096);
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    s.write_all(&request).await.expect("write");
                    let status = read_response(&mut s, &mut buf).await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&buf));
                    lat.push(t.elapsed());
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.unwrap());
        }
        all
    });
    let elapsed = started.elapsed();
    let mut all: Vec<Duration> = latencies.into_iter().flatten().collect();
    let requests = all.len() as u64;
    let events = requests * 10;
    let report = server.shutdown();
    let delivered = count.0.load(Ordering::Relaxed);
    assert_eq!(delivered, events, "every event sent is delivered once");
    assert!(report.undelivered.is_empty());
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "put_events: {clients} clients, {seconds} s: {requests} requests, {events} events delivered; \
         {:.0} events/s; latency per request p50 {:.2} ms, p99 {:.2} ms",
        events as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}
