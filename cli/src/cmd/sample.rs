//! `evrule sample KIND`: one realistic event, to test rules offline.
//!
//! Each kind is one of the example events in `testdata/events/` (compiled
//! in), so the shapes are those of real or documented events, field order
//! included. Flags replace values at every place the value appears (a
//! bucket name is also in the resource ARN); a flag that has no place in a
//! kind is an error rather than silently ignored. Without flags the output
//! is the example itself, ids and times included, so tests can pin it.

use std::io::{self, Write};

use crate::catalogue::{find, KINDS, LIFECYCLE_DELETE, PUTEVENTS_REQUEST};
use crate::flags::SampleFlags;
use crate::output::{self, Exit};
use crate::sources::doc::{Node, Value};
use crate::sources::json;

/// Run `sample`.
pub fn run(flags: SampleFlags) -> Exit {
    let text = if flags.list {
        Ok(KINDS.iter().map(|k| format!("{}\n", k.name)).collect())
    } else {
        let kind = flags.kind.as_deref().unwrap_or_default();
        sample(kind, &flags).map(|node| {
            let mut out = String::new();
            pretty(&node, 0, &mut out);
            out.push('\n');
            out
        })
    };
    match text {
        Ok(text) => output::finish(
            io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map(|()| Exit::Success),
        ),
        Err(e) => {
            output::error(&e);
            Exit::Error
        }
    }
}

/// The flags of `sample` the sandbox page offers, without their `--`.
const PAGE_FLAGS: &[&str] = &[
    "bucket",
    "key",
    "size",
    "reason",
    "event-name",
    "event-source",
    "source",
    "detail-type",
    "region",
    "account",
    "time",
];

/// The catalogue for the sandbox page (`GET /_evrule/samples`): every
/// kind, and events built exactly as `evrule sample KIND --FLAG VALUE ...`
/// builds them (the flags parsed by the same clap definition).
pub fn samples() -> evrule_serve::Samples {
    evrule_serve::Samples::new(
        KINDS.iter().map(|k| (k.name, k.about)),
        PAGE_FLAGS.iter().copied(),
        |kind, pairs| {
            let mut argv = vec!["evrule".to_string(), "sample".to_string(), kind.to_string()];
            for (flag, value) in pairs {
                argv.push(format!("--{flag}={value}"));
            }
            let parsed =
                <crate::flags::Cli as clap::Parser>::try_parse_from(argv).map_err(|e| {
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or_default();
                    first.trim_start_matches("error: ").to_string()
                })?;
            let crate::flags::Command::Sample(flags) = parsed.command else {
                return Err(format!("`{kind}` is not a sample kind"));
            };
            sample(kind, &flags).map(|node| {
                let mut out = String::new();
                pretty(&node, 0, &mut out);
                out.push('\n');
                out
            })
        },
    )
}

/// Build the event of `kind` with the flags applied.
fn sample(kind: &str, flags: &SampleFlags) -> Result<Node, String> {
    if let Some(time) = &flags.time {
        // The same reader as `replay --from`: a sample with a time AWS
        // would never send is no example of anything.
        evrule::time::parse_rfc3339(time).map_err(|e| format!("--time: {}", e.message()))?;
    }
    let Some(found) = find(kind) else {
        return Err(format!(
            "unknown kind `{kind}`; one of: {}",
            KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
        ));
    };
    let name = found.name;
    let lifecycle = name == "object-deleted"
        && flags
            .reason
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("Lifecycle Expiration"));
    let template = match name {
        _ if lifecycle => LIFECYCLE_DELETE,
        "apigw-putevents" if flags.entry => PUTEVENTS_REQUEST,
        _ => found.template,
    };
    if flags.entry && name != "apigw-putevents" {
        return Err(format!("--entry applies to apigw-putevents, not `{name}`"));
    }
    let mut event = json::parse(template).expect("the bundled examples are valid JSON");
    let mut edit = Edit {
        event: &mut event,
        kind: name,
    };
    if let Some(bucket) = &flags.bucket {
        let arn = format!("arn:aws:s3:::{bucket}");
        edit.set(
            "--bucket",
            &[
                (&["detail", "bucket", "name"], string(bucket)),
                (
                    &["detail", "requestParameters", "bucketName"],
                    string(bucket),
                ),
                (&["Records", "0", "s3", "bucket", "name"], string(bucket)),
                (&["Records", "0", "s3", "bucket", "arn"], string(&arn)),
            ],
        )?;
        // The bucket's ARN in `resources`, where the event has one.
        if let Some(Value::String(first)) = edit.get(&["resources", "0"]).map(|n| &n.value) {
            if first.starts_with("arn:aws:s3:::") {
                edit.set("--bucket", &[(&["resources", "0"], string(&arn))])?;
            }
        }
    }
    if let Some(key) = &flags.key {
        if edit.get(&["detail", "requestParameters"]).is_some() {
            edit.insert(&["detail", "requestParameters"], "key", string(key));
        }
        edit.set(
            "--key",
            &[
                (&["detail", "object", "key"], string(key)),
                (&["detail", "requestParameters", "key"], string(key)),
                // The legacy format URL-encodes keys.
                (
                    &["Records", "0", "s3", "object", "key"],
                    string(&form_encode(key)),
                ),
            ],
        )?;
    }
    if let Some(size) = flags.size {
        let size = Value::Number(size.to_string());
        edit.set(
            "--size",
            &[
                (&["detail", "object", "size"], size.clone()),
                (&["Records", "0", "s3", "object", "size"], size),
            ],
        )?;
    }
    let simple: [(&str, &Option<String>, Paths); 12] = [
        ("--reason", &flags.reason, &[&["detail", "reason"]]),
        (
            "--deletion-type",
            &flags.deletion_type,
            &[&["detail", "deletion-type"]],
        ),
        (
            "--event-name",
            &flags.event_name,
            &[&["detail", "eventName"], &["Records", "0", "eventName"]],
        ),
        (
            "--region",
            &flags.region,
            &[
                &["region"],
                &["detail", "awsRegion"],
                &["Records", "0", "awsRegion"],
            ],
        ),
        (
            "--account",
            &flags.account,
            &[&["account"], &["detail", "userIdentity", "accountId"]],
        ),
        (
            "--time",
            &flags.time,
            &[
                &["time"],
                &["detail", "eventTime"],
                &["Records", "0", "eventTime"],
                &["Entries", "0", "Time"],
            ],
        ),
        ("--id", &flags.id, &[&["id"]]),
        (
            "--source-ip",
            &flags.source_ip,
            &[
                &["detail", "source-ip-address"],
                &["detail", "sourceIPAddress"],
                &["Records", "0", "requestParameters", "sourceIPAddress"],
            ],
        ),
        ("--requester", &flags.requester, &[&["detail", "requester"]]),
        (
            "--etag",
            &flags.etag,
            &[
                &["detail", "object", "etag"],
                &["Records", "0", "s3", "object", "eTag"],
            ],
        ),
        (
            "--version-id",
            &flags.version_id,
            &[
                &["detail", "object", "version-id"],
                &["Records", "0", "s3", "object", "versionId"],
            ],
        ),
        (
            "--storage-class",
            &flags.storage_class,
            &[
                &["detail", "source-storage-class"],
                &["detail", "destination-storage-class"],
            ],
        ),
    ];
    for (flag, value, paths) in simple {
        if let Some(v) = value {
            let targets: Vec<(&[&str], Value)> = paths.iter().map(|p| (*p, string(v))).collect();
            edit.set(flag, &targets)?;
        }
    }
    if let Some(tier) = &flags.access_tier {
        edit.set(
            "--access-tier",
            &[(&["detail", "destination-access-tier"], string(tier))],
        )?;
    }
    if let Some(service) = &flags.event_source {
        edit.set(
            "--event-source",
            &[(&["detail", "eventSource"], string(service))],
        )?;
        let prefix = service.split('.').next().unwrap_or(service);
        edit.set(
            "--event-source",
            &[(&["source"], string(&format!("aws.{prefix}")))],
        )?;
    }
    if let Some(source) = &flags.source {
        edit.set(
            "--source",
            &[
                (&["source"], string(source)),
                (&["Entries", "0", "Source"], string(source)),
            ],
        )?;
    }
    if let Some(detail_type) = &flags.detail_type {
        edit.set(
            "--detail-type",
            &[
                (&["detail-type"], string(detail_type)),
                (&["Entries", "0", "DetailType"], string(detail_type)),
            ],
        )?;
    }
    if let Some(detail) = &flags.detail {
        let node = json::parse(detail.trim())
            .map_err(|e| format!("--detail is not valid JSON: {}", e.message))?;
        if node.as_map().is_none() {
            return Err("--detail must be a JSON object".to_string());
        }
        let mut compact = String::new();
        write_compact(&node, &mut compact);
        edit.set(
            "--detail",
            &[
                (&["detail"], node.value),
                (&["Entries", "0", "Detail"], Value::String(compact)),
            ],
        )?;
    }
    if let Some(bus) = &flags.event_bus {
        edit.set(
            "--event-bus",
            &[(&["Entries", "0", "EventBusName"], string(bus))],
        )?;
    }
    Ok(event)
}

/// Places in an event, each a path of keys and array indexes.
type Paths<'a> = &'a [&'a [&'a str]];

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

/// Changes to one event.
struct Edit<'a> {
    event: &'a mut Node,
    kind: &'static str,
}

impl Edit<'_> {
    fn get(&self, path: &[&str]) -> Option<&Node> {
        path.iter()
            .try_fold(&*self.event, |node, key| match &node.value {
                Value::Map(_) => node.get(key),
                Value::Seq(items) => items.get(key.parse::<usize>().ok()?),
                _ => None,
            })
    }

    /// Set each path that the event has; an error if it has none of them.
    fn set(&mut self, flag: &str, targets: &[(&[&str], Value)]) -> Result<(), String> {
        let mut any = false;
        for (path, value) in targets {
            if let Some(node) = get_mut(self.event, path) {
                node.value = value.clone();
                any = true;
            }
        }
        if any {
            Ok(())
        } else {
            Err(format!("{flag} does not apply to `{}` events", self.kind))
        }
    }

    /// Add `key` to the mapping at `path` unless it is there.
    fn insert(&mut self, path: &[&str], key: &str, value: Value) {
        if let Some(Node {
            value: Value::Map(entries),
            ..
        }) = get_mut(self.event, path)
        {
            if !entries.iter().any(|(k, _)| k.as_str() == Some(key)) {
                entries.push((Node::new(string(key), 0), Node::new(value, 0)));
            }
        }
    }
}

fn get_mut<'a>(node: &'a mut Node, path: &[&str]) -> Option<&'a mut Node> {
    let Some((first, rest)) = path.split_first() else {
        return Some(node);
    };
    let child = match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|(k, _)| k.as_str() == Some(first))
            .map(|(_, v)| v)?,
        Value::Seq(items) => items.get_mut(first.parse::<usize>().ok()?)?,
        _ => return None,
    };
    get_mut(child, rest)
}

/// An object key as S3's legacy notifications write it:
/// `application/x-www-form-urlencoded`, with `/` kept.
fn form_encode(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Unknown(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => out.push_str(&output::json_str(s)),
        Value::Seq(_) | Value::Map(_) => unreachable!("containers are written by the caller"),
    }
}

/// Pretty JSON as the examples are written: two-space indent, one member
/// per line, empty containers as `[]` / `{}`.
fn pretty(node: &Node, indent: usize, out: &mut String) {
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    match &node.value {
        Value::Seq(items) if items.is_empty() => out.push_str("[]"),
        Value::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Value::Seq(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, indent + 2);
                pretty(item, indent + 2, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, indent);
            out.push(']');
        }
        Value::Map(entries) => {
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                pad(out, indent + 2);
                out.push_str(&output::json_str(k.as_str().unwrap_or_default()));
                out.push_str(": ");
                pretty(v, indent + 2, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            pad(out, indent);
            out.push('}');
        }
        other => scalar(other, out),
    }
}

/// Compact JSON, as PutEvents entries hold `Detail`.
fn write_compact(node: &Node, out: &mut String) {
    crate::sources::write_compact(node, out, &mut |n, out| {
        scalar(&n.value, out);
        Ok(())
    })
    .expect("writing scalars does not fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_round_trip() {
        for t in KINDS
            .iter()
            .map(|k| k.template)
            .chain([LIFECYCLE_DELETE, PUTEVENTS_REQUEST])
        {
            let mut out = String::new();
            pretty(&json::parse(t).unwrap(), 0, &mut out);
            out.push('\n');
            assert_eq!(out, t);
        }
    }

    #[test]
    fn names() {
        assert_eq!(find("Object Created").unwrap().name, "object-created");
        assert_eq!(
            find("s3-object-acl-updated").unwrap().name,
            "object-acl-updated"
        );
        assert_eq!(
            find("AWS API Call via CloudTrail").unwrap().name,
            "cloudtrail"
        );
        assert!(find("object").is_none());
        assert_eq!(
            form_encode("photos/red flower+1.jpg"),
            "photos/red+flower%2B1.jpg"
        );
    }
}
