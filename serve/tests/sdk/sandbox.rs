//! The sandbox page's endpoints over raw HTTP, as a script (or the page)
//! calls them: the page and its assets, explain, samples, rules and match,
//! and clear 4xx answers for everything malformed.

use serde_json::{json, Value};

use crate::support::*;

/// One request with a body; (status, lower-cased head, body).
fn send(t: &TestServer, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, head, body) = exchange(t.addr, request.as_bytes());
    (status, head.to_ascii_lowercase(), body)
}

fn post(t: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    let (status, _, text) = send(t, "POST", path, &body.to_string());
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
    (status, v)
}

fn get(t: &TestServer, path: &str) -> (u16, String, String) {
    send(t, "GET", path, "")
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let t = TestServer::start();
    for (path, kind, needle) in [
        (
            "/_evrule/sandbox",
            "text/html",
            "<title>evrule sandbox</title>",
        ),
        (
            "/_evrule/sandbox/",
            "text/html",
            "<title>evrule sandbox</title>",
        ),
        ("/_evrule/sandbox/app.js", "text/javascript", "function"),
        (
            "/_evrule/sandbox/app.css",
            "text/css",
            "prefers-color-scheme",
        ),
    ] {
        let (status, head, body) = get(&t, path);
        assert_eq!(status, 200, "{path}");
        assert!(
            head.contains(&format!("content-type: {kind}")),
            "{path}: {head}"
        );
        assert!(body.contains(needle), "{path}");
        // Nothing the page needs comes from elsewhere.
        assert!(
            !body.contains("https://"),
            "{path} fetches from the internet"
        );
    }
    let (status, _, body) = get(&t, "/_evrule/sandbox/missing.js");
    assert_eq!(status, 404);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["message"],
        json!("No such sandbox path /_evrule/sandbox/missing.js.")
    );
}

#[test]
fn explain_gives_problems_with_spans_or_the_explanation() {
    let t = TestServer::start();
    // An invalid pattern: AWS's reason, where, and the span to underline.
    let pattern = "{\"detail\": {\"size\": [{\"numeric\": [\">\", \"x\"]}]}}";
    let (status, v) = post(
        &t,
        "/_evrule/explain",
        &json!({"pattern": pattern, "event": "{\"detail\": {\"size\": 3}}"}),
    );
    assert_eq!(status, 200, "{v}");
    let p = &v["problems"][0];
    assert_eq!(p["message"], json!("Value of > must be numeric"));
    assert_eq!(p["path"], json!("/detail/size/0/numeric/1"));
    assert_eq!(
        (p["line"].clone(), p["column"].clone()),
        (json!(1), json!(41))
    );
    let (start, end) = (
        p["offset"].as_u64().unwrap() as usize,
        p["end"].as_u64().unwrap() as usize,
    );
    // AWS's column points into the string, at the offending text.
    assert_eq!(&pattern[start..end], "x");
    assert_eq!(v["matched"], Value::Null);
    assert_eq!(v["explanation"], Value::Null);

    // A valid pattern: the verdict and the tree of `explain --format json`.
    let (status, v) = post(
        &t,
        "/_evrule/explain",
        &json!({"pattern": "{\"detail\": {\"size\": [{\"numeric\": [\">\", 5]}]}}",
                "event": "{\"detail\": {\"size\": 3}}"}),
    );
    assert_eq!(status, 200);
    assert_eq!(v["problems"], json!([]));
    assert_eq!(v["matched"], json!(false));
    let tree = v["explanation"].to_string();
    assert!(tree.contains("detail.size"), "{tree}");

    // A broken event is named as such, with its place, beside a valid or
    // an invalid pattern alike.
    for pattern in ["{\"source\": [\"a\"]}", "{\"source\": \"a\"}"] {
        let (status, v) = post(
            &t,
            "/_evrule/explain",
            &json!({"pattern": pattern, "event": "{\"source\": \"a\",}"}),
        );
        assert_eq!(status, 200);
        let e = &v["eventProblem"];
        assert_eq!(
            (e["message"].clone(), e["line"].clone(), e["column"].clone()),
            (json!("trailing comma"), json!(1), json!(16)),
            "{v}"
        );
    }
}

#[test]
fn malformed_requests_get_clear_4xx_answers() {
    let t = TestServer::start();
    let (status, _, body) = send(&t, "POST", "/_evrule/explain", "{\"pattern\": ");
    assert_eq!(status, 400);
    assert!(body.contains("The request body is not JSON"), "{body}");
    let (status, _, body) = send(&t, "POST", "/_evrule/explain", "[]");
    assert_eq!(status, 400);
    assert!(
        body.contains("The request body must be a JSON object."),
        "{body}"
    );
    let (status, v) = post(&t, "/_evrule/explain", &json!({"pattern": "{}"}));
    assert_eq!(
        (status, v["message"].clone()),
        (400, json!("`event` is missing"))
    );
    let (status, v) = post(
        &t,
        "/_evrule/explain",
        &json!({"pattern": {"source": ["a"]}, "event": "{}"}),
    );
    assert_eq!(
        (status, v["message"].clone()),
        (
            400,
            json!("`pattern` must be a string: the JSON text itself")
        )
    );
    // The wrong method says which one is right.
    let (status, head, _) = get(&t, "/_evrule/explain");
    assert_eq!(status, 405);
    assert!(head.contains("allow: post"), "{head}");
    let (status, head, _) = send(&t, "POST", "/_evrule/rules", "{}");
    assert_eq!(status, 405);
    assert!(head.contains("allow: get"), "{head}");
    // A body over the limit is refused from its declared length, unread.
    let (status, body) = raw(
        t.addr,
        &format!(
            "POST /_evrule/explain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Length: {}\r\n\r\n{{}}",
            evrule_serve::SANDBOX_MAX_BODY_BYTES + 1
        ),
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("larger than"), "{body}");
}

#[test]
fn samples_are_listed_and_built_with_their_flags() {
    let samples =
        evrule_serve::Samples::new(
            [("hello", "a greeting")],
            ["name"],
            |kind, flags| match kind {
                "hello" => {
                    let name = flags
                        .iter()
                        .find(|(f, _)| f == "name")
                        .map_or("world", |(_, v)| v.as_str());
                    Ok(json!({"source": "greeter", "detail": {"name": name}}).to_string())
                }
                other => Err(format!("unknown kind `{other}`")),
            },
        );
    let t = TestServer::with(config().samples(samples));
    let (status, _, body) = get(&t, "/_evrule/samples");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["kinds"],
        json!([{"name": "hello", "about": "a greeting"}])
    );
    assert_eq!(v["flags"], json!(["name"]));

    let (status, _, body) = get(&t, "/_evrule/samples/hello?name=J%C3%BCrgen%20B");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["detail"]["name"], json!("Jürgen B"));
    let (status, _, body) = get(&t, "/_evrule/samples/hello");
    assert_eq!(status, 200);
    assert!(body.contains("world"));

    let (status, _, body) = get(&t, "/_evrule/samples/hello?colour=red");
    assert_eq!(status, 400);
    assert!(
        body.contains("unknown flag `colour`; one of: name"),
        "{body}"
    );
    let (status, _, body) = get(&t, "/_evrule/samples/goodbye");
    assert_eq!(status, 404);
    assert!(body.contains("no sample event `goodbye`"), "{body}");

    // A server without samples says so rather than failing.
    let bare = TestServer::start();
    let (status, _, body) = get(&bare, "/_evrule/samples");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["kinds"], json!([]));
}

#[test]
fn rules_and_match_follow_the_api() {
    let t = TestServer::start();
    let (status, _, body) = get(&t, "/_evrule/rules");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["buses"][0]["name"], json!("default"));
    assert_eq!(v["buses"][0]["rules"], json!([]));

    for (name, pattern) in [
        ("creates", r#"{"detail-type": ["Object Created"]}"#),
        ("deletes", r#"{"detail-type": ["Object Deleted"]}"#),
    ] {
        let (status, _) = call(
            t.addr,
            "PutRule",
            &json!({"Name": name, "EventPattern": pattern}).to_string(),
        );
        assert_eq!(status, 200);
    }
    let (status, _) = call(
        t.addr,
        "PutRule",
        &json!({"Name": "hourly", "ScheduleExpression": "rate(1 hour)"}).to_string(),
    );
    assert_eq!(status, 200);
    let (_, _, body) = get(&t, "/_evrule/rules");
    let v: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = v["buses"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["creates", "deletes", "hourly"]);

    // Every rule with a pattern, whether it matches; schedules are left out.
    let (status, v) = post(
        &t,
        "/_evrule/match",
        &json!({"event": r#"{"detail-type": "Object Created"}"#}),
    );
    assert_eq!(status, 200);
    let got: Vec<(String, Value)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["matched"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("creates".to_string(), json!(true)),
            ("deletes".to_string(), json!(false))
        ]
    );
    // A broken event: no verdicts, the event's problem.
    let (status, v) = post(&t, "/_evrule/match", &json!({"event": "{\"a\": tru}"}));
    assert_eq!(status, 200);
    assert_eq!(v["rules"], json!([]));
    let e = &v["eventProblem"];
    assert_eq!(
        (e["message"].clone(), e["column"].clone()),
        (json!("expected ident"), json!(10)),
        "{v}"
    );
}
