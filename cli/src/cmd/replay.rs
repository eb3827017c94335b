//! `evrule replay`: re-send the events an archive holds for a time window
//! (by time of arrival, `[from, to)`) through the configuration's current
//! rules and destinations, each event carrying `"replay-name": NAME`.
//!
//! The archive is opened read-only, so replaying while a `route` process
//! still appends is safe, and so is replaying what a crashed one left: a
//! record cut short at the end is skipped (and counted as a torn tail); a
//! damaged record elsewhere is reported and the rest of its segment is
//! skipped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evrule::route::{with_replay_name, Archive};
use serde_json::Value;

use super::route::bus::{self, Bus};
use super::route::{config, report};
use crate::flags::{ReplayFlags, RouteFormat};
use crate::output::{self, Exit};

/// Validated settings of `replay`.
#[derive(Debug)]
pub struct Settings {
    config: config::BusConfig,
    archive: std::path::PathBuf,
    from: SystemTime,
    to: SystemTime,
    name: String,
    format: RouteFormat,
}

impl Settings {
    /// Validate raw flags and read the configuration.
    pub fn from_flags(flags: ReplayFlags) -> Result<Settings, Vec<String>> {
        let from = parse_time(&flags.from).map_err(|e| vec![format!("--from: {e}")])?;
        let to = match &flags.to {
            Some(t) => parse_time(t).map_err(|e| vec![format!("--to: {e}")])?,
            None => SystemTime::now(),
        };
        if to <= from {
            return Err(vec!["--to must be later than --from".into()]);
        }
        let name = match flags.name {
            Some(n) => {
                check_name(&n).map_err(|e| vec![e])?;
                n
            }
            None => format!(
                "replay-{}",
                from.duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs()
            ),
        };
        Ok(Settings {
            config: config::load(&flags.config)?,
            archive: flags.archive.unwrap_or_default(),
            from,
            to,
            name,
            format: flags.format,
        })
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

/// Run `replay`.
pub fn run(flags: ReplayFlags) -> Exit {
    if flags.engine.is_some() {
        return super::route::engine::replay(flags);
    }
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(problems) => return report(&problems),
    };
    let archive = match Archive::open_read_only(&settings.archive) {
        Ok(a) => a,
        Err(e) => return report(&[format!("archive: {e}")]),
    };
    let mut reader = match archive.read(settings.from, settings.to) {
        Ok(r) => r,
        Err(e) => return report(&[format!("archive: {e}")]),
    };
    // Replayed events are not archived again.
    let mut bus = match Bus::start(&settings.config, None) {
        Ok(b) => b,
        Err(problems) => return report(&problems),
    };
    bus::catch_interrupts();
    let mut interrupted = false;
    let mut replayed = 0u64;
    let at = format!("archive {}", settings.archive.display());
    for event in reader.by_ref() {
        if bus::interrupts() > 0 {
            interrupted = true;
            break;
        }
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                bus.error(&format!("{at}: {e}"));
                continue;
            }
        };
        match with_replay_name(&event.event, &settings.name) {
            Ok(tagged) => {
                replayed += 1;
                if bus.route(&tagged, &at).is_err() {
                    break;
                }
            }
            Err(e) => bus.bad_input(&at, e.message()),
        }
    }
    if replayed == 0 && !interrupted {
        output::error(&empty_window(&archive, &settings));
    }
    let mut summary = bus.finish(interrupted, false);
    summary.extra = vec![
        ("replay_name".into(), Value::String(settings.name.clone())),
        ("replayed".into(), replayed.into()),
        ("torn_tails".into(), (reader.torn_tails() as u64).into()),
    ];
    let exit = summary.exit();
    output::finish(summary.print(settings.format).map(|()| exit))
}

/// What to tell a user whose window holds no event: the window, and the
/// time range the archive does hold (found by reading it through once;
/// only done when the window was empty).
fn empty_window(archive: &Archive, settings: &Settings) -> String {
    let window = format!(
        "no archived event arrived in [{}, {})",
        format_time(settings.from),
        format_time(settings.to)
    );
    let far = UNIX_EPOCH + Duration::from_secs(1 << 40);
    let mut range: Option<(SystemTime, SystemTime)> = None;
    if let Ok(reader) = archive.read(UNIX_EPOCH, far) {
        for e in reader.flatten() {
            let t = e.ingestion_time;
            range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    }
    match range {
        Some((first, last)) => format!(
            "{window}; the archive holds events that arrived from {} to {}",
            format_time(first),
            format_time(last)
        ),
        None => format!("{window}; the archive holds no events"),
    }
}

/// A time as RFC 3339 in UTC, with milliseconds when there are any.
pub fn format_time(t: SystemTime) -> String {
    let ms = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    let (secs, ms) = ((ms / 1000) as i64, ms % 1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let frac = if ms == 0 {
        String::new()
    } else {
        format!(".{ms:03}")
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the
/// inverse of [`days_from_civil`], Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// An RFC 3339 time: `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.250+02:00`
/// (`t`, `z` and a space instead of `T` are accepted too).
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    let bad = || format!("`{text}` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)");
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<u32, String> {
        let part = b.get(range).ok_or_else(bad)?;
        if part.iter().all(u8::is_ascii_digit) {
            Ok(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        } else {
            Err(bad())
        }
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut at = 19;
    let mut nanos = 0u32;
    if b[at] == b'.' {
        let start = at + 1;
        at = start;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        if at == start {
            return Err(bad());
        }
        let frac = &text[start..at.min(start + 9)];
        nanos = format!("{frac:0<9}").parse().map_err(|_| bad())?;
    }
    let offset_secs: i64 = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() && b[at + 3] == b':' => {
            let h = i64::from(digits(at + 1..at + 3)?);
            let m = i64::from(digits(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let s = h * 3600 + m * 60;
            if sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return Err(bad()),
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day == 0
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
        - offset_secs;
    let secs = u64::try_from(secs).map_err(|_| format!("`{text}` is before 1970"))?;
    Ok(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        parse_time(text)
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn formats_what_it_parses() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.250Z",
            "2000-03-01T00:00:00Z",
            "2099-12-31T12:00:00.001Z",
        ] {
            assert_eq!(format_time(parse_time(text).unwrap()), text);
        }
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2015-11-11T21:29:54Z"), 1_447_277_394);
        assert_eq!(secs("2015-11-11T23:29:54+02:00"), 1_447_277_394);
        assert_eq!(secs("2015-11-11t19:29:54-02:00"), 1_447_277_394);
        assert_eq!(secs("2000-02-29 00:00:00z"), 951_782_400);
        let t = parse_time("2015-11-11T21:29:54.25Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_millis(),
            1_447_277_394_250
        );
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "2015-11-11",
            "2015-11-11T21:29:54",
            "2015-13-11T21:29:54Z",
            "2015-02-29T21:29:54Z",
            "2015-11-11T24:00:00Z",
            "2015-11-11T21:29:54.Z",
            "2015-11-11T21:29:54+0200",
            "1969-12-31T23:59:59Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_time("yesterday").unwrap_err(),
            "`yesterday` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)"
        );
    }
}
