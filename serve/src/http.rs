//! The HTTP/1.1 front: accepting connections (at most `max_connections` at
//! once), the timeouts (request headers, request body, idle keep-alive
//! connections), bounded bodies, authentication, and the translation
//! between requests and actions: `POST /` with `X-Amz-Target:
//! AWSEvents.<Action>` and an AWS JSON 1.1 body goes to the action table,
//! `/_evrule/...` to the test endpoints.
//!
//! Shutdown: the listener closes, every connection finishes the request it
//! is serving and closes; what is still running after the grace period is
//! aborted and counted.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::admin;
use crate::api::{self, input, ApiError, Ctx};
use crate::sigv4::{self, Credentials};
use crate::state::Shared;

const JSON_11: &str = "application/x-amz-json-1.1";

/// Limits and timeouts of the HTTP front.
#[derive(Clone, Debug)]
pub(crate) struct HttpSettings {
    pub(crate) max_body_bytes: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) grace: Duration,
}

/// What every request needs.
pub(crate) struct App {
    pub(crate) shared: Arc<Shared>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) settings: HttpSettings,
    /// Requests being served now, over all connections.
    pub(crate) in_flight: AtomicUsize,
    /// The sample events of the sandbox page.
    pub(crate) samples: crate::sandbox::Samples,
}

/// Activity of one connection, for the idle timeout.
struct Activity {
    busy: AtomicUsize,
    /// Milliseconds since `start` of the last request start or end.
    last: AtomicU64,
    start: Instant,
}

impl Activity {
    fn touch(&self) {
        self.last
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.busy.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        Some(self.start.elapsed().saturating_sub(last))
    }
}

type Body = Full<Bytes>;

fn response(status: u16, content_type: &str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&crate::ids::uuid()) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = response(e.status, JSON_11, e.body());
    if let Ok(v) = HeaderValue::from_str(e.code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

/// The body, bounded in size and in time.
async fn read_body(
    req: Request<Incoming>,
    settings: &HttpSettings,
) -> Result<(http::request::Parts, Bytes), ApiError> {
    let too_large = || ApiError {
        code: "RequestEntityTooLargeException",
        message: format!(
            "The request body is larger than the {} bytes this server accepts.",
            settings.max_body_bytes
        ),
        status: 413,
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > settings.max_body_bytes as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let limited = Limited::new(body, settings.max_body_bytes);
    match tokio::time::timeout(settings.body_timeout, limited.collect()).await {
        Err(_) => Err(ApiError {
            code: "RequestTimeoutException",
            message: format!(
                "The request body did not arrive within {} seconds.",
                settings.body_timeout.as_secs()
            ),
            status: 408,
        }),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Ok(Err(e)) => Err(ApiError::new(
            "SerializationException",
            format!("The request body could not be read: {e}"),
        )),
        Ok(Ok(collected)) => Ok((parts, collected.to_bytes())),
    }
}

fn header_pairs(parts: &http::request::Parts) -> Vec<(String, String)> {
    parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Account and region of a request: the signature's when it is verified
/// (or, without `--credentials`, the credential scope as sent), else the
/// server's defaults. An access key id of twelve digits names the account.
pub(crate) fn caller(
    app: &App,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<(String, String), ApiError> {
    let headers = header_pairs(parts);
    let (access_key, region, account) = match &app.credentials {
        Some(creds) => {
            let who = sigv4::verify(
                creds,
                parts.method.as_str(),
                parts.uri.path(),
                parts.uri.query().unwrap_or(""),
                &headers,
                body,
                SystemTime::now(),
            )
            .map_err(|e| ApiError {
                code: e.code,
                message: e.message,
                status: e.status,
            })?;
            (Some(who.access_key), Some(who.region), who.account)
        }
        None => match sigv4::credential_scope(&headers) {
            Some((key, region)) => (Some(key), Some(region), None),
            None => (None, None, None),
        },
    };
    let account = account
        .or_else(|| access_key.filter(|k| k.len() == 12 && k.bytes().all(|b| b.is_ascii_digit())))
        .unwrap_or_else(|| app.account.clone());
    let region = region
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| app.region.clone());
    Ok((account, region))
}

/// One EventBridge API request.
async fn api_request(app: &Arc<App>, req: Request<Incoming>) -> Response<Body> {
    if req.method() != hyper::Method::POST {
        let mut r = error_response(&ApiError {
            code: "UnknownOperationException",
            message: format!(
                "The EventBridge API takes POST / with an X-Amz-Target header, not {}.",
                req.method()
            ),
            status: 405,
        });
        r.headers_mut()
            .insert("allow", HeaderValue::from_static("POST"));
        return r;
    }
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = match read_body(req, &app.settings).await {
        Ok(p) => p,
        Err(e) => return error_response(&e),
    };
    let (account, region) = match caller(app, &parts, &body) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(JSON_11) {
        return error_response(&ApiError::serialization(format!(
            "The Content-Type must be {JSON_11} (AWS JSON 1.1), found '{content_type}'."
        )));
    }
    let Some(action) = api::action(&target) else {
        return error_response(&ApiError::unknown_operation(&target));
    };
    let value = match input::parse_body(&body) {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    let run = {
        let app = Arc::clone(app);
        move || {
            let ctx = Ctx {
                shared: &app.shared,
                account,
                region,
            };
            // A handler must not panic; if one does, the client gets a 500
            // and the server goes on.
            std::panic::catch_unwind(AssertUnwindSafe(|| api::dispatch(&ctx, action, &value)))
                .unwrap_or_else(|_| Err(ApiError::internal("The action failed unexpectedly.")))
        }
    };
    // Routing may wait for queue space when a configured destination
    // blocks: keep that off the async threads.
    // With a durable store, PutEvents and every rule change wait on it.
    let offload = (app.shared.destinations.blocking && matches!(action, "PutEvents"))
        || app.shared.durable.is_some();
    let result = if offload {
        tokio::task::spawn_blocking(run)
            .await
            .unwrap_or_else(|_| Err(ApiError::internal("The action failed unexpectedly.")))
    } else {
        run()
    };
    match result {
        Ok(v) => response(200, JSON_11, v.to_string().into_bytes()),
        Err(e) => error_response(&e),
    }
}

async fn handle(
    app: Arc<App>,
    activity: Arc<Activity>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    activity.busy.fetch_add(1, Ordering::Relaxed);
    activity.touch();
    app.in_flight.fetch_add(1, Ordering::Relaxed);
    let path = req.uri().path().to_string();
    let resp = if path == "/" {
        api_request(&app, req).await
    } else if crate::sandbox::owns(&path) {
        let Ok(r) = crate::sandbox::request(&app, req, &path).await;
        r
    } else if path.starts_with("/_evrule/") {
        admin_request(&app, req, &path).await
    } else {
        error_response(&ApiError {
            code: "UnknownOperationException",
            message: format!("No such path {path}: the EventBridge API is POST /, test endpoints are under /_evrule/."),
            status: 404,
        })
    };
    app.in_flight.fetch_sub(1, Ordering::Relaxed);
    activity.busy.fetch_sub(1, Ordering::Relaxed);
    activity.touch();
    Ok(resp)
}

async fn admin_request(app: &Arc<App>, req: Request<Incoming>, path: &str) -> Response<Body> {
    let method = req.method().as_str().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let (parts, body) = match read_body(req, &app.settings).await {
        Ok(p) => p,
        Err(e) => return error_response(&e),
    };
    if app.credentials.is_some() {
        // The inbox holds what targets received: it needs a signature too.
        if let Err(e) = caller(app, &parts, &body) {
            return error_response(&e);
        }
    }
    let answer = admin::handle(&app.shared, &method, path, &query).await;
    response(answer.status, "application/json", answer.body.into_bytes())
}

/// Serve one connection until it closes, idles out or the server stops.
async fn connection(app: Arc<App>, stream: tokio::net::TcpStream, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        busy: AtomicUsize::new(0),
        last: AtomicU64::new(0),
        start: Instant::now(),
    });
    let svc = {
        let activity = Arc::clone(&activity);
        let app = Arc::clone(&app);
        service_fn(move |req| handle(Arc::clone(&app), Arc::clone(&activity), req))
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(app.settings.header_timeout)
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    let idle = app.settings.idle_timeout;
    let tick = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut closing = *stop.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = tokio::time::sleep(tick), if !closing => {
                if activity.idle_for().is_some_and(|d| d >= idle) {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What serving ended with.
pub(crate) struct Served {
    /// Requests still running when the grace period ran out.
    pub(crate) aborted_requests: usize,
}

/// Accept connections until `stop` turns true, then drain them.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
) -> Served {
    let permits = Arc::new(Semaphore::new(app.settings.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        // Reap finished connection tasks as we go.
        while connections.try_join_next().is_some() {}
        let (stream, _peer): (_, SocketAddr) = match accepted {
            Ok(a) => a,
            Err(_) => {
                // Out of file descriptors and the like: let it pass.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let app = Arc::clone(&app);
        let stop = stop.clone();
        connections.spawn(async move {
            connection(app, stream, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + app.settings.grace;
    while !connections.is_empty() {
        match tokio::time::timeout_at(deadline, connections.join_next()).await {
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let aborted_requests = app.in_flight.load(Ordering::Relaxed);
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    Served { aborted_requests }
}
