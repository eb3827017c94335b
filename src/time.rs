//! RFC 3339 timestamps, read and written without a date library.
//!
//! EventBridge writes times as `2015-11-11T21:29:54Z` (UTC, whole
//! seconds); [`format_rfc3339`] writes that form, and [`parse_rfc3339`]
//! reads any RFC 3339 time (fractional seconds, `+02:00` offsets), as
//! replay windows are given.
//!
//! ```
//! use evrule::time::{format_rfc3339, parse_rfc3339};
//! let t = parse_rfc3339("2015-11-11T23:29:54.5+02:00")?;
//! assert_eq!(format_rfc3339(t), "2015-11-11T21:29:54Z");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Kind};

/// Milliseconds since the Unix epoch (0 for times before it).
pub(crate) fn to_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis().min(u64::MAX as u128) as u64)
        .unwrap_or(0)
}

/// The inverse of [`to_millis`].
pub(crate) fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Days since the epoch -> (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days` algorithm); the inverse of
/// [`days_from_civil`]. For calendars built on this module (cron
/// schedules, signature dates).
///
/// ```
/// assert_eq!(evrule::time::civil_from_days(0), (1970, 1, 1));
/// assert_eq!(evrule::time::civil_from_days(11_016), (2000, 2, 29));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), the inverse of [`civil_from_days`].
///
/// ```
/// assert_eq!(evrule::time::days_from_civil(2000, 2, 29), 11_016);
/// assert_eq!(evrule::time::days_from_civil(1969, 12, 31), -1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, truncated to the second like an event's
/// `time` (times before 1970 are written as the epoch).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_millis(1_447_277_394_999);
/// assert_eq!(evrule::time::format_rfc3339(t), "2015-11-11T21:29:54Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn format_rfc3339(t: SystemTime) -> String {
    write_rfc3339(to_millis(t) / 1000 * 1000)
}

/// [`format_rfc3339`] with milliseconds when the time has any
/// (`2015-11-11T21:29:54.250Z`); the form replay and sample messages use.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use evrule::time::format_rfc3339_millis;
/// let t = UNIX_EPOCH + Duration::from_millis(1_447_277_394_250);
/// assert_eq!(format_rfc3339_millis(t), "2015-11-11T21:29:54.250Z");
/// assert_eq!(format_rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn format_rfc3339_millis(t: SystemTime) -> String {
    write_rfc3339(to_millis(t))
}

fn write_rfc3339(ms: u64) -> String {
    let (secs, ms) = ((ms / 1000) as i64, ms % 1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let frac = if ms == 0 {
        String::new()
    } else {
        format!(".{ms:03}")
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Read an RFC 3339 time: `2024-05-01T12:00:00Z`,
/// `2024-05-01T12:00:00.250+02:00` (`t`, `z` and a space instead of `T`
/// are accepted too). Digits past nanoseconds are dropped. Times before
/// 1970 are refused. The error is a syntax error
/// ([`Error::is_syntax`]) whose message quotes the text.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use evrule::time::parse_rfc3339;
/// assert_eq!(parse_rfc3339("2015-11-11T21:29:54.25Z")?,
///     UNIX_EPOCH + Duration::from_millis(1_447_277_394_250));
/// let err = parse_rfc3339("yesterday").unwrap_err();
/// assert_eq!(err.message(),
///     "`yesterday` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_rfc3339(text: &str) -> Result<SystemTime, Error> {
    let bad = || {
        Error::new(
            Kind::Syntax,
            format!("`{text}` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)"),
        )
    };
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<u32, Error> {
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
    let secs = u64::try_from(secs)
        .map_err(|_| Error::new(Kind::Syntax, format!("`{text}` is before 1970")))?;
    Ok(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// The UTC day number of a time, used to roll archive segments daily.
pub(crate) fn day_of(ms: u64) -> u64 {
    ms / 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(from_millis(1_447_277_394_999)),
            "2015-11-11T21:29:54Z"
        );
        assert_eq!(
            format_rfc3339(from_millis(951_782_400_000)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            format_rfc3339(from_millis(4_102_444_799_000)),
            "2099-12-31T23:59:59Z"
        );
    }

    fn secs(text: &str) -> u64 {
        parse_rfc3339(text)
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2015-11-11T21:29:54Z"), 1_447_277_394);
        assert_eq!(secs("2015-11-11T23:29:54+02:00"), 1_447_277_394);
        assert_eq!(secs("2015-11-11t19:29:54-02:00"), 1_447_277_394);
        assert_eq!(secs("2000-02-29 00:00:00z"), 951_782_400);
        let t = parse_rfc3339("2015-11-11T21:29:54.25Z").unwrap();
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
            assert!(parse_rfc3339(bad).unwrap_err().is_syntax(), "{bad}");
        }
        assert_eq!(
            parse_rfc3339("yesterday").unwrap_err().message(),
            "`yesterday` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)"
        );
        assert_eq!(
            parse_rfc3339("1969-12-31T23:59:59Z").unwrap_err().message(),
            "`1969-12-31T23:59:59Z` is before 1970"
        );
    }

    #[test]
    fn formats_what_it_parses_with_milliseconds() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.250Z",
            "2000-03-01T00:00:00Z",
            "2099-12-31T12:00:00.001Z",
        ] {
            assert_eq!(format_rfc3339_millis(parse_rfc3339(text).unwrap()), text);
        }
    }

    #[test]
    fn parse_and_format_round_trip() {
        for ms in [0, 951_782_400_000, 1_447_277_394_000, 4_102_444_799_000] {
            let t = from_millis(ms);
            assert_eq!(parse_rfc3339(&format_rfc3339(t)).unwrap(), t);
        }
    }
}
