//! The sandbox: a page to write a pattern, pick an event and see the
//! verdict and why, and the JSON endpoints it is built on. The page's HTML,
//! CSS and JavaScript are hand-written files compiled into the binary
//! (`serve/sandbox/`); nothing is fetched from elsewhere.
//!
//! | request | answer |
//! |---|---|
//! | `GET /_evrule/sandbox` | the page (`/_evrule/sandbox/app.js`, `/_evrule/sandbox/app.css` its assets) |
//! | `GET /_evrule/samples` | `{"kinds": [{"name", "about"}], "flags": [...], "maxBodyBytes"}` |
//! | `GET /_evrule/samples/KIND?bucket=B&key=K` | the sample event, as `evrule sample KIND --bucket B --key K` prints it |
//! | `POST /_evrule/explain` `{"pattern", "event"}` | `{"problems", "eventProblem", "matched", "explanation"}` |
//! | `GET /_evrule/rules` | `{"buses": [{"account", "region", "name", "arn", "rules": [...]}]}` |
//! | `POST /_evrule/match` `{"event"}` | `{"rules": [{"bus", "rule", "state", "matched"}], "eventProblem"}` |
//!
//! `explain` answers with the library's own data: `problems` are the
//! pattern's validation errors (AWS's messages) each with its JSON pointer,
//! byte `offset`, `end` (the end of the JSON token or value the error is
//! about), `line` and `column`; `explanation` is
//! [`Explanation::to_json`](evrule::explain::Explanation::to_json), the
//! JSON `evrule explain --format json` prints. Pattern and event are JSON
//! *texts* (strings), since the spans refer to the text as typed. Bad
//! input (a body that is not JSON, a member missing or not a string, a body
//! over [`MAX_BODY_BYTES`]) gets a 4xx answer `{"__type", "message"}`.

use std::convert::Infallible;
use std::sync::Arc;

use evrule::explain::explain;
use evrule::{Error, Limits, Pattern};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::admin::decode;
use crate::http::{caller, App};
use crate::state::Shared;

/// Most bytes of a request body the sandbox endpoints read: a 1 MB event,
/// escaped inside a JSON string, with room to spare.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

const PAGE: &str = include_str!("../sandbox/index.html");
const SCRIPT: &str = include_str!("../sandbox/app.js");
const STYLE: &str = include_str!("../sandbox/app.css");

/// Builds one sample event from a kind and `(flag, value)` pairs.
type Build = dyn Fn(&str, &[(String, String)]) -> Result<String, String> + Send + Sync;

/// The sample events the sandbox page offers: their kinds, the flags they
/// take (`bucket`, `key`, ...), and the function that builds one. The
/// `evrule` CLI gives its catalogue (`evrule sample`); a server without
/// samples offers none.
///
/// ```
/// use evrule_serve::{Samples, ServeConfig};
/// let samples = Samples::new(
///     [("hello", "a greeting")],
///     ["name"],
///     |kind, flags| match kind {
///         "hello" => {
///             let name = flags.iter().find(|(f, _)| f == "name").map_or("world", |(_, v)| v);
///             Ok(format!(r#"{{"source": "greeter", "detail": {{"name": "{name}"}}}}"#))
///         }
///         other => Err(format!("unknown kind `{other}`")),
///     },
/// );
/// let config = ServeConfig::new().samples(samples);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Samples {
    kinds: Vec<(String, String)>,
    flags: Vec<String>,
    build: Arc<Build>,
}

impl std::fmt::Debug for Samples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Samples")
            .field("kinds", &self.kinds)
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}

impl Samples {
    /// Kinds as `(name, about)`, the flags `build` understands, and
    /// `build(kind, [(flag, value)])`, which returns the event's JSON text
    /// or why it cannot be built.
    ///
    /// ```
    /// let s = evrule_serve::Samples::new([("a", "the letter a")], ["x"], |_, _| Ok("{}".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new<K, A, F>(
        kinds: impl IntoIterator<Item = (K, A)>,
        flags: impl IntoIterator<Item = F>,
        build: impl Fn(&str, &[(String, String)]) -> Result<String, String> + Send + Sync + 'static,
    ) -> Samples
    where
        K: Into<String>,
        A: Into<String>,
        F: Into<String>,
    {
        Samples {
            kinds: kinds
                .into_iter()
                .map(|(k, a)| (k.into(), a.into()))
                .collect(),
            flags: flags.into_iter().map(Into::into).collect(),
            build: Arc::new(build),
        }
    }

    /// No samples.
    pub(crate) fn none() -> Samples {
        Samples::new(
            std::iter::empty::<(String, String)>(),
            std::iter::empty::<String>(),
            |kind, _| Err(format!("unknown kind `{kind}`: this server has no samples")),
        )
    }
}

type Body = Full<Bytes>;

fn respond(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn ok(body: &Value) -> Response<Body> {
    respond(200, "application/json", body.to_string())
}

fn fail(status: u16, message: impl Into<String>) -> Response<Body> {
    let code = match status {
        404 => "NotFound",
        405 => "MethodNotAllowed",
        408 => "RequestTimeout",
        413 => "RequestEntityTooLarge",
        403 => "AccessDenied",
        _ => "BadRequest",
    };
    let body = json!({"__type": code, "message": message.into()});
    respond(status, "application/json", body.to_string())
}

/// Whether the sandbox answers `path`.
pub(crate) fn owns(path: &str) -> bool {
    path == "/_evrule/sandbox"
        || path.starts_with("/_evrule/sandbox/")
        || path == "/_evrule/samples"
        || path.starts_with("/_evrule/samples/")
        || matches!(
            path,
            "/_evrule/explain" | "/_evrule/rules" | "/_evrule/match"
        )
}

/// Answer one sandbox request.
pub(crate) async fn request(
    app: &Arc<App>,
    req: Request<Incoming>,
    path: &str,
) -> Result<Response<Body>, Infallible> {
    let method = req.method().as_str().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let allow = |m: &'static str| -> Option<Response<Body>> {
        (method != m).then(|| {
            let mut r = fail(405, format!("{path} takes {m}, not {method}"));
            r.headers_mut().insert("allow", HeaderValue::from_static(m));
            r
        })
    };
    Ok(match path {
        "/_evrule/sandbox" | "/_evrule/sandbox/" => {
            allow("GET").unwrap_or_else(|| respond(200, "text/html; charset=utf-8", PAGE))
        }
        "/_evrule/sandbox/app.js" => {
            allow("GET").unwrap_or_else(|| respond(200, "text/javascript; charset=utf-8", SCRIPT))
        }
        "/_evrule/sandbox/app.css" => {
            allow("GET").unwrap_or_else(|| respond(200, "text/css; charset=utf-8", STYLE))
        }
        "/_evrule/samples" => allow("GET").unwrap_or_else(|| ok(&kinds(&app.samples))),
        "/_evrule/explain" => match allow("POST") {
            Some(r) => r,
            None => match body(req).await {
                Ok(v) => blocking(move || explain_request(&v)).await,
                Err(r) => r,
            },
        },
        "/_evrule/match" => match allow("POST") {
            Some(r) => r,
            None => match body(req).await {
                Ok(v) => {
                    let app = Arc::clone(app);
                    blocking(move || match_request(&app.shared, &v)).await
                }
                Err(r) => r,
            },
        },
        "/_evrule/rules" => match allow("GET") {
            Some(r) => r,
            None => {
                if app.credentials.is_some() {
                    // The rules are the server's state: they need a signature.
                    let (parts, _) = req.into_parts();
                    if let Err(e) = caller(app, &parts, b"") {
                        return Ok(fail(403, e.message));
                    }
                }
                ok(&rules(&app.shared))
            }
        },
        _ => match path.strip_prefix("/_evrule/samples/") {
            Some(kind) => allow("GET").unwrap_or_else(|| sample(&app.samples, kind, &query)),
            None => fail(404, format!("No such sandbox path {path}.")),
        },
    })
}

/// Run `f` off the async threads: explaining a large event takes a while.
async fn blocking(
    f: impl FnOnce() -> Result<Value, (u16, String)> + Send + 'static,
) -> Response<Body> {
    let run = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    match tokio::task::spawn_blocking(run).await {
        Ok(Ok(Ok(v))) => ok(&v),
        Ok(Ok(Err((status, message)))) => fail(status, message),
        _ => fail(500, "The request failed unexpectedly."),
    }
}

/// The body as a JSON object, at most [`MAX_BODY_BYTES`].
async fn body(req: Request<Incoming>) -> Result<Map<String, Value>, Response<Body>> {
    let too_large = || {
        fail(
            413,
            format!(
                "The request body is larger than the {MAX_BODY_BYTES} bytes the sandbox accepts."
            ),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let limited = Limited::new(req.into_body(), MAX_BODY_BYTES);
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), limited.collect()).await;
    let bytes = match read {
        Err(_) => {
            return Err(fail(
                408,
                "The request body did not arrive within 30 seconds.",
            ))
        }
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(too_large())
        }
        Ok(Err(e)) => {
            return Err(fail(
                400,
                format!("The request body could not be read: {e}"),
            ))
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(fail(400, "The request body must be a JSON object.")),
        Err(e) => Err(fail(400, format!("The request body is not JSON: {e}"))),
    }
}

/// A member of the body that must be a string.
fn text<'v>(body: &'v Map<String, Value>, name: &str) -> Result<&'v str, (u16, String)> {
    match body.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err((
            400,
            format!("`{name}` must be a string: the JSON text itself"),
        )),
        None => Err((400, format!("`{name}` is missing"))),
    }
}

fn kinds(samples: &Samples) -> Value {
    json!({
        "kinds": samples.kinds.iter().map(|(n, a)| json!({"name": n, "about": a})).collect::<Vec<_>>(),
        "flags": samples.flags,
        "maxBodyBytes": MAX_BODY_BYTES,
    })
}

fn sample(samples: &Samples, kind: &str, query: &str) -> Response<Body> {
    let kind = decode(kind);
    let mut flags = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        if !samples.flags.contains(&k) {
            return fail(
                400,
                format!("unknown flag `{k}`; one of: {}", samples.flags.join(", ")),
            );
        }
        if !v.is_empty() {
            flags.push((k, v));
        }
    }
    if !samples.kinds.iter().any(|(n, _)| *n == kind) {
        return fail(404, format!("no sample event `{kind}`"));
    }
    match (samples.build)(&kind, &flags) {
        Ok(event) => respond(200, "application/json", event),
        Err(e) => fail(400, e),
    }
}

/// Where the JSON token or value that starts at `at` ends: a string (a
/// key, for errors about a key), a number, a literal, or a whole object or
/// array. Anything else is one character.
fn token_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let Some(&first) = b.get(at) else {
        return at;
    };
    let one = || text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    let string_end = |mut i: usize| {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    match first {
        b'"' => string_end(at).unwrap_or(b.len()),
        b'-' | b'0'..=b'9' | b'a'..=b'z' => {
            let n = b[at..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                .count();
            at + n
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < b.len() {
                match b[i] {
                    b'"' => match string_end(i) {
                        Some(e) => {
                            i = e;
                            continue;
                        }
                        None => return b.len(),
                    },
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        _ => one(),
    }
}

/// One problem with its span.
fn problem(text: &str, e: &Error) -> Value {
    let end = match e.offset() {
        // A syntax error is about one character (or the end of the text).
        Some(o) if e.is_syntax() || e.limit().is_some() => text
            .get(o..)
            .and_then(|t| t.chars().next())
            .map_or(o, |c| o + c.len_utf8()),
        Some(o) => token_end(text, o),
        None => 0,
    };
    json!({
        "message": e.message(),
        "path": e.path(),
        "offset": e.offset(),
        "end": e.offset().map(|_| end),
        "line": e.line(),
        "column": e.column(),
        "syntax": e.is_syntax(),
        "limit": e.limit(),
    })
}

fn explain_request(body: &Map<String, Value>) -> Result<Value, (u16, String)> {
    let pattern_text = text(body, "pattern")?;
    let event = text(body, "event")?;
    let (pattern, problems) = match Pattern::parse_with(pattern_text, &Limits::new()) {
        Ok(p) => (Some(p), Vec::new()),
        Err(errors) => (
            None,
            errors.iter().map(|e| problem(pattern_text, e)).collect(),
        ),
    };
    let mut out = json!({
        "problems": problems,
        "eventProblem": null,
        "matched": null,
        "explanation": null,
    });
    match pattern {
        Some(p) => match explain(&p, event) {
            Ok(e) => {
                out["matched"] = Value::Bool(e.matched());
                out["explanation"] = e.to_json();
            }
            Err(e) => out["eventProblem"] = problem(event, &e),
        },
        None => {
            if let Err(e) = check_event(event) {
                out["eventProblem"] = problem(event, &e);
            }
        }
    }
    Ok(out)
}

/// The event's problem, in the words `explain` uses for it: explained
/// against a pattern any event may be explained against, so that an event
/// gets the same message whether or not the pattern beside it is valid.
fn check_event(event: &str) -> Result<(), Error> {
    static PROBE: std::sync::OnceLock<Pattern> = std::sync::OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        Pattern::parse(r#"{"source": [{"exists": true}]}"#).expect("the probe pattern is valid")
    });
    explain(probe, event).map(|_| ())
}

/// Every bus of every account and region, with its rules.
fn rules(shared: &Shared) -> Value {
    let registry = shared.registry.lock().unwrap_or_else(|e| e.into_inner());
    let mut buses = Vec::new();
    for ((account, region), r) in &registry.regions {
        for bus in r.buses.values() {
            let rules: Vec<Value> = bus
                .rules
                .values()
                .map(|rule| {
                    json!({
                        "name": rule.name,
                        "state": rule.state,
                        "eventPattern": rule.event_pattern,
                        "scheduleExpression": rule.schedule_expression,
                        "description": rule.description,
                        "targets": rule.targets.len(),
                    })
                })
                .collect();
            buses.push(json!({
                "account": account,
                "region": region,
                "name": bus.name,
                "arn": bus.arn,
                "rules": rules,
            }));
        }
    }
    json!({ "buses": buses })
}

/// The event against every rule with a pattern.
fn match_request(shared: &Shared, body: &Map<String, Value>) -> Result<Value, (u16, String)> {
    let event = text(body, "event")?;
    if let Err(e) = check_event(event) {
        return Ok(json!({"rules": [], "eventProblem": problem(event, &e)}));
    }
    let patterns: Vec<(String, String, String, String)> = {
        let registry = shared.registry.lock().unwrap_or_else(|e| e.into_inner());
        registry
            .regions
            .values()
            .flat_map(|r| r.buses.values())
            .flat_map(|bus| {
                bus.rules.values().filter_map(|rule| {
                    let p = rule.event_pattern.clone()?;
                    Some((bus.arn.clone(), rule.name.clone(), rule.state.clone(), p))
                })
            })
            .collect()
    };
    let mut out = Vec::new();
    for (bus, rule, state, pattern) in patterns {
        // Rules were validated by PutRule; a pattern that no longer parses
        // (a newer limit) says so rather than failing the request.
        let matched = match Pattern::parse(&pattern).map(|p| explain(&p, event)) {
            Ok(Ok(e)) => Value::Bool(e.matched()),
            Ok(Err(e)) | Err(e) => Value::String(e.message().to_string()),
        };
        out.push(json!({"bus": bus, "rule": rule, "state": state, "matched": matched}));
    }
    Ok(json!({"rules": out, "eventProblem": null}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_token() {
        let t = r#"{"a": ["x", 12, {"b": 1}], "c": true}"#;
        assert_eq!(&t[token_end(t, 1)..][..1], ":");
        assert_eq!(&t[7..token_end(t, 7)], r#""x""#);
        assert_eq!(&t[12..token_end(t, 12)], "12");
        assert_eq!(&t[16..token_end(t, 16)], r#"{"b": 1}"#);
        assert_eq!(&t[6..token_end(t, 6)], r#"["x", 12, {"b": 1}]"#);
        assert_eq!(&t[32..token_end(t, 32)], "true");
        assert_eq!(token_end(t, t.len()), t.len());
        assert_eq!(
            token_end(r#""a\"b"#, 0),
            5,
            "an unterminated string runs to the end"
        );
    }

    #[test]
    fn problems_carry_aws_messages_and_spans() {
        let text = r#"{"detail": {"size": [{"numeric": [">", "x"]}]}}"#;
        let body = json!({"pattern": text, "event": "{}"});
        let out = explain_request(body.as_object().unwrap()).unwrap();
        let p = &out["problems"][0];
        assert_eq!(p["message"], "Value of > must be numeric");
        let (start, end) = (
            p["offset"].as_u64().unwrap() as usize,
            p["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[start..end], "x");
        assert_eq!(out["matched"], Value::Null);
    }
}
