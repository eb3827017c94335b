//! `evrule test-event-pattern`: a drop-in for `aws events
//! test-event-pattern` that needs no account and no network.
//!
//! It takes the AWS CLI's flags (values inline or `file://PATH`), prints
//! what the AWS CLI prints (`{"Result": true}` pretty-printed with a
//! 4-space indent) and fails the way it fails: the service's error line on
//! stderr with exit code 254, usage errors with 252. The answer comes from
//! the same [`Matcher`] as every other command.

use std::io::{self, Write};

use crate::flags::{AwsOutput, TestEventPatternFlags};
use crate::output::Exit;

/// Exit code of the AWS CLI when the service returned an error.
pub const SERVICE_ERROR: u8 = 254;
/// Exit code of the AWS CLI for a command line it cannot use.
pub const USAGE_ERROR: u8 = 252;

/// How the command ended, as an AWS CLI exit code.
pub fn run(flags: TestEventPatternFlags) -> Exit {
    Exit::Aws(aws_exit(flags))
}

fn aws_exit(flags: TestEventPatternFlags) -> u8 {
    let (pattern, event) = match parameters(&flags) {
        Ok(p) => p,
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "{message}");
            return USAGE_ERROR;
        }
    };
    match test(&pattern, &event) {
        Ok(result) => {
            let text = match flags.output {
                AwsOutput::Json => format!("{{\n    \"Result\": {result}\n}}\n"),
                AwsOutput::Text => format!("{}\n", if result { "True" } else { "False" }),
                AwsOutput::Yaml => format!("Result: {result}\n"),
            };
            match io::stdout().lock().write_all(text.as_bytes()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => 255,
                _ => 0,
            }
        }
        Err(message) => {
            let _ = writeln!(
                io::stderr().lock(),
                "\nAn error occurred (InvalidEventPatternException) when calling the \
                 TestEventPattern operation: {message}"
            );
            SERVICE_ERROR
        }
    }
}

/// The pattern and the event, from flags, `--cli-input-json` and files.
fn parameters(flags: &TestEventPatternFlags) -> Result<(String, String), String> {
    let mut pattern = None;
    let mut event = None;
    if let Some(raw) = &flags.cli_input_json {
        let text = value("--cli-input-json", raw)?;
        let input: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("\nError parsing parameter 'cli-input-json': Invalid JSON received.\nJSON received: {text}\n({e})"))?;
        let get = |key: &str| -> Result<Option<String>, String> {
            match input.get(key) {
                None => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => {
                    let class = match other {
                        serde_json::Value::Object(_) => "dict",
                        serde_json::Value::Array(_) => "list",
                        serde_json::Value::Number(n) if n.is_f64() => "float",
                        serde_json::Value::Number(_) => "int",
                        serde_json::Value::Bool(_) => "bool",
                        _ => "NoneType",
                    };
                    Err(format!(
                        "\nParameter validation failed:\nInvalid type for parameter {key}, value: {other}, type: <class '{class}'>, valid types: <class 'str'>"
                    ))
                }
            }
        };
        pattern = get("EventPattern")?;
        event = get("Event")?;
    }
    if let Some(raw) = &flags.event_pattern {
        pattern = Some(value("--event-pattern", raw)?);
    }
    if let Some(raw) = &flags.event {
        event = Some(value("--event", raw)?);
    }
    match (pattern, event) {
        (Some(p), Some(e)) => Ok((p, e)),
        (p, e) => {
            let missing: Vec<&str> = [(p.is_none(), "--event-pattern"), (e.is_none(), "--event")]
                .iter()
                .filter(|(m, _)| *m)
                .map(|(_, f)| *f)
                .collect();
            Err(format!(
                "usage: evrule test-event-pattern --event-pattern VALUE --event VALUE\n\
                 evrule: error: the following arguments are required: {}",
                missing.join(", ")
            ))
        }
    }
}

/// A parameter value: inline, or read from `file://PATH` (or `fileb://`).
fn value(flag: &str, raw: &str) -> Result<String, String> {
    let Some(path) = raw
        .strip_prefix("file://")
        .or_else(|| raw.strip_prefix("fileb://"))
    else {
        return Ok(raw.to_string());
    };
    std::fs::read_to_string(path).map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::NotFound => format!("[Errno 2] No such file or directory: '{path}'"),
            io::ErrorKind::PermissionDenied => format!("[Errno 13] Permission denied: '{path}'"),
            io::ErrorKind::InvalidData => "the file is not UTF-8".to_string(),
            _ => e.to_string(),
        };
        format!(
            "\nError parsing parameter '{}': Unable to load paramfile {raw}: {why}",
            flag.trim_start_matches('-')
        )
    })
}

/// The service's answer, or its error message.
fn test(pattern: &str, event: &str) -> Result<bool, String> {
    evrule_serve::test_event_pattern(pattern, event).map_err(|e| e.message(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"id": "1", "account": "1", "source": "a", "time": "t", "region": "r", "detail-type": "d"}"#;

    #[test]
    fn answers_and_errors() {
        assert_eq!(test(r#"{"source": ["a"]}"#, EVENT), Ok(true));
        assert_eq!(test(r#"{"source": ["b"]}"#, EVENT), Ok(false));
        assert_eq!(
            test(r#"{"source": []}"#, EVENT),
            Err(
                "Event pattern is not valid. Reason: Empty arrays are not allowed  \
                 at [Source: (String)\"{\"source\": []}\"; line: 1, column: 12]"
                    .into()
            )
        );
        // Long patterns are quoted up to 500 characters, as the service does.
        let long = format!(r#"{{"a": ["{}"], "b": []}}"#, "x".repeat(600));
        let message = test(&long, EVENT).unwrap_err();
        assert!(
            message.ends_with(r#"xxx"[truncated 120 chars]; line: 1, column: 618]"#),
            "{message}"
        );
        assert_eq!(
            test(r#"{"source": ["a"]}"#, r#"{"source": "a"}"#),
            Err(
                "Parameter Event is not valid. Reason: Provided Event must have the field 'id'"
                    .into()
            )
        );
    }
}
