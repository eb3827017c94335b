//! The time window and name of a replay, as `replay` takes them from its
//! flags, whether it reads an archive directory or the engine's stream.

use std::time::{SystemTime, UNIX_EPOCH};

use evrule::time::parse_rfc3339;

/// A validated replay window `[from, to)` and the replay's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Start of the window (inclusive), by time of arrival.
    pub from: SystemTime,
    /// End of the window (exclusive).
    pub to: SystemTime,
    /// The `replay-name` each replayed event carries.
    pub name: String,
}

impl Window {
    /// Read `--from`, `--to` (now when absent) and `--name` (default:
    /// `replay-` and the start in seconds since the epoch), with one message
    /// per flag that is wrong.
    pub fn parse(from: &str, to: Option<&str>, name: Option<&str>) -> Result<Window, Vec<String>> {
        let mut problems = Vec::new();
        let from = parse_rfc3339(from)
            .map_err(|e| problems.push(format!("--from: {}", e.message())))
            .ok();
        let to = match to {
            Some(t) => parse_rfc3339(t)
                .map_err(|e| problems.push(format!("--to: {}", e.message())))
                .ok(),
            None => Some(SystemTime::now()),
        };
        if let Some(n) = name {
            if let Err(e) = check_name(n) {
                problems.push(e);
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            return Err(problems);
        };
        if to <= from {
            problems.push("--to must be later than --from".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let name = match name {
            Some(n) => n.to_owned(),
            None => format!(
                "replay-{}",
                from.duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs()
            ),
        };
        Ok(Window { from, to, name })
    }
}

/// Replay names follow AWS's: 1-64 of `[.\-_A-Za-z0-9]`.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--name `{name}` must be 1 to 64 letters, digits, '.', '-' or '_'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wrong_flag_is_named() {
        let e = Window::parse("yesterday", Some("soon"), Some("a b")).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("--from: "), "{e:?}");
        assert!(e[1].starts_with("--to: "), "{e:?}");
        assert!(e[2].starts_with("--name `a b`"), "{e:?}");
        let e =
            Window::parse("2024-05-02T00:00:00Z", Some("2024-05-01T00:00:00Z"), None).unwrap_err();
        assert_eq!(e, ["--to must be later than --from"]);
    }

    #[test]
    fn the_default_name_is_the_start_in_seconds() {
        let w = Window::parse("1970-01-01T00:01:40Z", Some("1970-01-01T00:02:00Z"), None).unwrap();
        assert_eq!(w.name, "replay-100");
        assert_eq!(w.to.duration_since(w.from).unwrap().as_secs(), 20);
    }
}
