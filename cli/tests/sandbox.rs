//! The sandbox page (issue 17) in a real headless Chromium: `evrule sandbox
//! --port 0` as a user runs it, chromedriver on a free port, the page
//! driven by keys and clicks. Screenshots go to `target/sandbox-screenshots/`.
//! Without a browser the tests skip (see `support::browser`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value};

use crate::support::browser::{http, Browser};

/// One browser at a time: two Chromiums on a small machine make timing
/// tests flaky.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// `evrule sandbox --port 0`, killed on drop.
struct Sandbox {
    child: Child,
    port: u16,
    url: String,
}

impl Sandbox {
    fn start() -> Sandbox {
        let mut child = Command::new(env!("CARGO_BIN_EXE_evrule"))
            .args(["sandbox", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("evrule sandbox starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("evrule sandbox: ")
            .unwrap_or_else(|| panic!("no URL printed: {line:?}"))
            .to_string();
        let port = url
            .split(':')
            .nth(2)
            .and_then(|p| p.split('/').next())
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL");
        Sandbox { child, port, url }
    }

    /// An EventBridge API call (AWS JSON 1.1).
    fn action(&self, name: &str, body: &Value) -> Value {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let body = body.to_string();
        let req = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSEvents.{name}\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{name}: {out}");
        serde_json::from_str(out.split_once("\r\n\r\n").unwrap().1).unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/sandbox-screenshots")
        .join(format!("{name}.png"))
}

/// Replace the text of a textarea by typing it, as a user would.
fn type_into(b: &Browser, css: &str, text: &str) {
    let el = b.find(css);
    b.clear(&el);
    b.send_keys(&el, text);
}

const VERDICT: &str = "return document.getElementById('verdict').textContent";

fn wait_verdict(b: &Browser, starts: &str) -> String {
    let script = format!(
        "const v = document.getElementById('verdict'); \
         return !v.hasAttribute('aria-busy') && v.textContent.startsWith({}) && v.textContent",
        json!(starts)
    );
    let got = b.wait_for(&format!("verdict {starts:?}"), 20, &script);
    got.as_str().unwrap_or_default().to_string()
}

/// One browser (the only one running) on a fresh `evrule sandbox`'s page,
/// or `None` when there is no browser to run.
fn open_page() -> Option<(std::sync::MutexGuard<'static, ()>, Browser, Sandbox)> {
    let one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let b = Browser::start()?;
    let sandbox = Sandbox::start();
    b.window(1200, 900);
    b.goto(&sandbox.url);
    Some((one, b, sandbox))
}

#[test]
fn sandbox_underlines_explains_and_shares() {
    let Some((_one, b, _sandbox)) = open_page() else {
        return;
    };
    // The default pattern against the first sample (object-created).
    wait_verdict(&b, "✗ no match");
    b.wait_for(
        "the sample",
        10,
        "return document.getElementById('event').value.includes('Object Created')",
    );

    // Typing an invalid pattern underlines the exact span, with AWS's reason.
    type_into(
        &b,
        "#pattern",
        r#"{"detail": {"size": [{"numeric": [">", "x"]}]}}"#,
    );
    let marked = b.wait_for(
        "an underline",
        10,
        "const m = document.querySelector('#pattern-backdrop mark'); return m && m.textContent",
    );
    assert_eq!(marked, json!("x"), "the value the library points at");
    let problems = b.exec(
        "return document.getElementById('pattern-problems').textContent",
        json!([]),
    );
    assert!(
        problems.as_str().unwrap().contains("✗ 1 pattern problem")
            && problems
                .as_str()
                .unwrap()
                .contains("Value of > must be numeric"),
        "{problems}"
    );
    assert!(b
        .exec(VERDICT, json!([]))
        .as_str()
        .unwrap()
        .starts_with("✗ the pattern is invalid"));
    b.screenshot(&shot("invalid-pattern"));

    // Picking a sample event (with a sample flag) shows the verdict.
    type_into(
        &b,
        "#pattern",
        r#"{"source": ["aws.s3"], "detail-type": ["Object Deleted"], "detail": {"bucket": {"name": ["photos"]}}}"#,
    );
    b.click(&b.find("#sample-kind option[value='object-deleted']"));
    type_into(&b, "#flag-bucket", "photos");
    b.click(&b.find("#sample-load"));
    wait_verdict(&b, "✓ match");
    let event = b.exec("return document.getElementById('event').value", json!([]));
    assert!(
        event.as_str().unwrap().contains(r#""name": "photos""#),
        "{event}"
    );

    // The explain tree names the failing field, the value and why.
    type_into(&b, "#flag-bucket", "holiday-snaps");
    b.click(&b.find("#sample-load"));
    wait_verdict(&b, "✗ no match");
    let failing = b.exec(
        "return [...document.querySelectorAll('#tree li.field-item')].map(li => \
         [li.dataset.path, li.dataset.status, li.textContent])",
        json!([]),
    );
    let failing = failing.as_array().unwrap();
    let bucket = failing
        .iter()
        .find(|f| f[0] == "detail.bucket.name")
        .unwrap_or_else(|| panic!("no detail.bucket.name in {failing:?}"));
    assert_eq!(bucket[1], "no-match");
    let text = bucket[2].as_str().unwrap();
    assert!(
        text.contains("✗ failed") && text.contains("holiday-snaps"),
        "{text}"
    );
    let holding = failing.iter().filter(|f| f[1] == "satisfied").count();
    assert_eq!(holding, 2, "source and detail-type hold: {failing:?}");
    // Tall enough to show the verdict and the tree (doc/sandbox.png).
    b.window(1200, 1500);
    b.screenshot(&shot("no-match"));
    b.window(1200, 900);

    // A shared link restores pattern and event.
    let link = b.url();
    assert!(link.contains("#pattern="), "{link}");
    b.goto("about:blank");
    b.goto(&link);
    wait_verdict(&b, "✗ no match");
    let restored = b.exec(
        "return [document.getElementById('pattern').value, document.getElementById('event').value]",
        json!([]),
    );
    assert!(
        restored[0].as_str().unwrap().contains(r#"["photos"]"#),
        "{restored}"
    );
    assert!(
        restored[1].as_str().unwrap().contains("holiday-snaps"),
        "{restored}"
    );
}

#[test]
fn sandbox_lists_rules_and_copes_with_huge_inputs() {
    let Some((_one, b, sandbox)) = open_page() else {
        return;
    };
    wait_verdict(&b, "✗ no match");

    // No rules: the view says so and how to put one.
    let none = b.wait_for(
        "the empty rules view",
        10,
        "const p = document.getElementById('no-rules'); return p && p.textContent",
    );
    assert!(
        none.as_str()
            .unwrap()
            .starts_with("This server has no rules yet"),
        "{none}"
    );

    // Rules put through the API; the event tested against all of them.
    for (name, pattern) in [
        (
            "deletes",
            r#"{"source": ["aws.s3"], "detail-type": ["Object Deleted"]}"#,
        ),
        (
            "creates",
            r#"{"source": ["aws.s3"], "detail-type": ["Object Created"]}"#,
        ),
    ] {
        sandbox.action("PutRule", &json!({"Name": name, "EventPattern": pattern}));
    }
    b.click(&b.find("#rules-test"));
    let results = b.wait_for(
        "the rule verdicts",
        10,
        "const r = [...document.querySelectorAll('#rules tbody tr')].map(tr => \
         [tr.children[1].textContent, tr.querySelector('.result').textContent]); \
         return r.length === 2 && r.every(x => x[1] !== '—') && r",
    );
    assert_eq!(
        results,
        json!([["creates", "✓ matches"], ["deletes", "✗ no match"]])
    );
    // Picking a rule puts its pattern in the editor.
    b.click(&b.find("#rules tbody tr:nth-child(1) button"));
    wait_verdict(&b, "✓ match");
    b.screenshot(&shot("rules"));

    // A 1 MB event: sent once typing pauses, explained by the server, kept
    // out of the link; the page answers scripts meanwhile.
    let started = Instant::now();
    b.exec(
        "const e = {source: 'aws.s3', 'detail-type': 'Object Created', \
           detail: {items: Array.from({length: 20000}, (_, i) => ({n: i, pad: 'x'.repeat(40)}))}}; \
         const t = document.getElementById('event'); t.value = JSON.stringify(e, null, 1); \
         t.dispatchEvent(new Event('input'));",
        json!([]),
    );
    let size = b.exec(
        "return document.getElementById('event').value.length",
        json!([]),
    );
    assert!(size.as_u64().unwrap() > 1_000_000, "{size}");
    let responsive = Instant::now();
    b.exec("return 1", json!([]));
    let script_ms = responsive.elapsed().as_millis();
    wait_verdict(&b, "✓ match");
    let huge_ms = started.elapsed().as_millis();
    let note = b.exec("return document.getElementById('link-note').textContent + ' | ' + document.getElementById('event-size').textContent", json!([]));
    assert!(
        note.as_str().unwrap().contains("too large for the link"),
        "{note}"
    );
    assert!(
        note.as_str().unwrap().contains("EventBridge accepts"),
        "{note}"
    );
    assert!(
        !b.url().contains("event="),
        "the 1 MB event stayed out of the link"
    );
    eprintln!(
        "1 MB event: verdict after {huge_ms} ms; a script ran {script_ms} ms after the paste"
    );

    // A pattern of 1000 `$or` branches: AWS's 2048-character limit, said
    // and underlined where it is crossed.
    let branches: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"detail": {{"n": [{i}]}}}}"#))
        .collect();
    let pattern = format!(r#"{{"$or": [{}]}}"#, branches.join(", "));
    let started = Instant::now();
    b.exec(
        "const t = document.getElementById('pattern'); t.value = arguments[0]; t.dispatchEvent(new Event('input'));",
        json!([pattern]),
    );
    let problem = b.wait_for(
        "the limit",
        20,
        "const p = document.querySelector('#pattern-problems .message'); return p && p.textContent",
    );
    let or_ms = started.elapsed().as_millis();
    assert_eq!(
        problem,
        json!(format!(
            "pattern length {} characters exceeds the limit of 2048 characters",
            pattern.len()
        ))
    );
    let marked = b.exec(
        "const m = document.querySelector('#pattern-backdrop mark'); return [m.dataset.start, m.textContent]",
        json!([]),
    );
    assert_eq!(marked, json!(["2048", &pattern[2048..2049]]));
    eprintln!(
        "1000 $or branches ({} characters): refused after {or_ms} ms",
        pattern.len()
    );

    // Within the limit, a `$or` of many branches draws the chosen one open
    // and the others closed, drawn only when opened.
    let branches: Vec<String> = (0..150).map(|i| format!(r#"{{"n": [{i}]}}"#)).collect();
    let pattern = format!(r#"{{"detail": {{"$or": [{}]}}}}"#, branches.join(","));
    assert!(pattern.len() < 2048);
    b.exec(
        "const t = document.getElementById('event'); t.value = JSON.stringify({detail: {n: 149}}); \
         const p = document.getElementById('pattern'); p.value = arguments[0]; p.dispatchEvent(new Event('input'));",
        json!([pattern]),
    );
    wait_verdict(&b, "✓ match");
    let drawn = b.exec(
        "const d = [...document.querySelectorAll('#tree details')]; \
         return [d.length, d.filter(x => x.open).map(x => x.dataset.branch), \
                 document.querySelector('#tree li.or').firstChild.textContent]",
        json!([]),
    );
    assert_eq!(
        drawn,
        json!([150, ["150"], "✓ $or in detail: branch 150 of 150 matched"])
    );
    b.screenshot(&shot("many-branches"));
    let (status, _) = http(sandbox.port, "GET", "/_evrule/health", None);
    assert_eq!(status, 200);
}
