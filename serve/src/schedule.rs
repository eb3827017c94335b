//! Schedule expressions for scheduled rules: `rate(...)` and six-field `cron(...)`, in UTC.
//!
//! `PutRule` takes a `ScheduleExpression`; this module validates it the way EventBridge does
//! and answers the one question the server's timer needs: when does the rule fire next after
//! a given instant. Time comes from a [`Clock`], so tests drive schedules with a
//! [`ManualClock`] instead of waiting. A firing becomes the event that [`scheduled_event`]
//! builds, in the shape EventBridge delivers (`"detail-type": "Scheduled Event"`).
//!
//! # Expressions
//!
//! - `rate(VALUE UNIT)`: VALUE is a whole number >= 1; UNIT is `minute`, `hour` or `day`
//!   when VALUE is 1, and `minutes`, `hours` or `days` otherwise. A rate has no phase of
//!   its own: [`Schedule::next_after`] returns `t + period`, so the server anchors it at the
//!   time the rule was created (or last fired), as EventBridge does.
//! - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, fields separated by spaces:
//!
//! | field        | values             | wildcards         |
//! |--------------|--------------------|-------------------|
//! | Minutes      | 0-59               | `, - * /`         |
//! | Hours        | 0-23               | `, - * /`         |
//! | Day-of-month | 1-31               | `, - * ? / L W`   |
//! | Month        | 1-12 or JAN-DEC    | `, - * /`         |
//! | Day-of-week  | 1-7 or SUN-SAT     | `, - * ? / L #`   |
//! | Year         | 1970-2199          | `, - * /`         |
//!
//! Exactly one of Day-of-month and Day-of-week is `?`. `a/b` means every b-th value from a
//! (`*/b` and `a-c/b` too); a range whose end is below its start wraps around the field
//! (`FRI-MON`, `22-2`), except in the year field. Day-of-month `L` is the last day of the
//! month, `LW` the last weekday (Monday to Friday) of the month, and `nW` the weekday
//! nearest to day n without leaving the month. Day-of-week `L` alone is Saturday (the last
//! day of the week), `dL` is the last day d of the month (`6L`: the last Friday), and `d#n`
//! is the n-th day d of the month (`2#1`: the first Monday). Names are case-insensitive.
//!
//! Any invalid expression gets the message EventBridge's `PutRule` answers with in its
//! `ValidationException`: [`INVALID_EXPRESSION`].

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The message of the `ValidationException` that `PutRule` returns for an invalid
/// `ScheduleExpression`; [`Schedule::parse`] returns it for every invalid expression.
///
/// ```
/// use evrule_serve::schedule::{Schedule, INVALID_EXPRESSION};
/// assert_eq!(Schedule::parse("rate(0 minutes)").unwrap_err(), INVALID_EXPRESSION);
/// ```
pub const INVALID_EXPRESSION: &str = "Parameter ScheduleExpression is not valid.";

const FIRST_YEAR: i64 = 1970;
const LAST_YEAR: i64 = 2199;

/// A parsed schedule expression: a fixed rate or a cron specification, in UTC.
///
/// ```
/// use evrule_serve::schedule::Schedule;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// // Noon UTC every day.
/// let noon = Schedule::parse("cron(0 12 * * ? *)")?;
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023-11-14T22:13:20Z
/// let next = noon.next_after(t).unwrap();
/// assert_eq!(next, UNIX_EPOCH + Duration::from_secs(1_700_049_600)); // 2023-11-15T12:00:00Z
///
/// let every_5 = Schedule::parse("rate(5 minutes)")?;
/// assert_eq!(every_5.next_after(t), Some(t + Duration::from_secs(300)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Rate(Duration),
    Cron(Box<Cron>),
}

/// A set of small integers (field values, years as offsets from 1970).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Bits([u64; 4]);

impl Bits {
    fn insert(&mut self, v: u32) {
        self.0[(v / 64) as usize] |= 1 << (v % 64);
    }
    fn contains(&self, v: u32) -> bool {
        v < 256 && self.0[(v / 64) as usize] & (1 << (v % 64)) != 0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Cron {
    minutes: Bits,
    hours: Bits,
    months: Bits,
    /// Offsets from 1970.
    years: Bits,
    days: Days,
}

/// Which days of a month fire: exactly one of the two day fields is `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Days {
    /// Day-of-month values (1-31).
    MonthDates(Bits),
    /// `L`.
    LastDay,
    /// `LW`.
    LastWeekday,
    /// `nW`.
    NearestWeekday(u32),
    /// Day-of-week values (1 = Sunday .. 7 = Saturday).
    Weekdays(Bits),
    /// `dL`: the last weekday d of the month.
    LastOfWeekday(u32),
    /// `d#n`: the n-th weekday d of the month.
    NthWeekday(u32, u32),
}

/// One cron field's legal values and names.
struct Field {
    min: u32,
    max: u32,
    names: &'static [&'static str],
    wraps: bool,
}

const MINUTES: Field = Field {
    min: 0,
    max: 59,
    names: &[],
    wraps: true,
};
const HOURS: Field = Field {
    min: 0,
    max: 23,
    names: &[],
    wraps: true,
};
const MONTH_DAYS: Field = Field {
    min: 1,
    max: 31,
    names: &[],
    wraps: true,
};
const MONTHS: Field = Field {
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    wraps: true,
};
const WEEK_DAYS: Field = Field {
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    wraps: true,
};
const YEARS: Field = Field {
    min: 1970,
    max: 2199,
    names: &[],
    wraps: false,
};

/// Parsing fails with no detail: EventBridge gives one message for every mistake.
struct Invalid;

impl Schedule {
    /// Parses a schedule expression; the error is [`INVALID_EXPRESSION`], the text of the
    /// `ValidationException` EventBridge's `PutRule` returns.
    ///
    /// ```
    /// use evrule_serve::schedule::Schedule;
    /// assert!(Schedule::parse("rate(1 hour)").is_ok());
    /// assert!(Schedule::parse("cron(0/15 8-17 ? * MON-FRI *)").is_ok());
    /// assert!(Schedule::parse("rate(1 hours)").is_err()); // 1 takes the singular
    /// assert!(Schedule::parse("cron(0 12 * * * *)").is_err()); // one day field must be `?`
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let parsed = if let Some(inner) = strip(expr, "rate(") {
            parse_rate(inner)
        } else if let Some(inner) = strip(expr, "cron(") {
            parse_cron(inner).map(|c| Kind::Cron(Box::new(c)))
        } else {
            Err(Invalid)
        };
        parsed
            .map(|kind| Schedule { kind })
            .map_err(|Invalid| INVALID_EXPRESSION.to_string())
    }

    /// The first time the schedule fires strictly after `t`, or `None` when it never fires
    /// again (a cron whose years have all passed, or a date that does not occur, such as
    /// 30 February). Cron times fall on whole minutes; a rate returns `t` plus its period.
    ///
    /// ```
    /// use evrule_serve::schedule::Schedule;
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let leap_day = Schedule::parse("cron(0 0 29 2 ? *)")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_709_251_200); // 2024-03-01T00:00:00Z
    /// let next = leap_day.next_after(t).unwrap();
    /// assert_eq!(next, UNIX_EPOCH + Duration::from_secs(1_835_395_200)); // 2028-02-29T00:00:00Z
    ///
    /// let over = Schedule::parse("cron(0 0 1 1 ? 2020-2021)")?;
    /// assert_eq!(over.next_after(t), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_after(&self, t: SystemTime) -> Option<SystemTime> {
        match &self.kind {
            Kind::Rate(period) => t.checked_add(*period),
            Kind::Cron(cron) => {
                let secs = cron.next_after(floor_secs(t))?;
                Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
            }
        }
    }

    /// The period of a `rate(...)` schedule; `None` for a cron schedule.
    ///
    /// ```
    /// use evrule_serve::schedule::Schedule;
    /// use std::time::Duration;
    /// assert_eq!(Schedule::parse("rate(2 days)")?.rate(), Some(Duration::from_secs(172_800)));
    /// assert_eq!(Schedule::parse("cron(0 0 * * ? *)")?.rate(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rate(&self) -> Option<Duration> {
        match &self.kind {
            Kind::Rate(period) => Some(*period),
            Kind::Cron(_) => None,
        }
    }
}

fn strip<'a>(expr: &'a str, prefix: &str) -> Option<&'a str> {
    expr.strip_prefix(prefix)?.strip_suffix(')')
}

fn parse_rate(inner: &str) -> Result<Kind, Invalid> {
    let mut parts = inner.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Invalid);
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid);
    }
    let value: u64 = value.parse().map_err(|_| Invalid)?;
    let (seconds, singular) = match unit {
        "minute" => (60, true),
        "minutes" => (60, false),
        "hour" => (3_600, true),
        "hours" => (3_600, false),
        "day" => (86_400, true),
        "days" => (86_400, false),
        _ => return Err(Invalid),
    };
    if value == 0 || singular != (value == 1) {
        return Err(Invalid);
    }
    let period = value.checked_mul(seconds).ok_or(Invalid)?;
    Ok(Kind::Rate(Duration::from_secs(period)))
}

fn parse_cron(inner: &str) -> Result<Cron, Invalid> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minutes, hours, month_days, months, week_days, years] = fields[..] else {
        return Err(Invalid);
    };
    let days = match (month_days, week_days) {
        ("?", "?") => return Err(Invalid),
        (dom, "?") => parse_month_days(dom)?,
        ("?", dow) => parse_week_days(dow)?,
        _ => return Err(Invalid),
    };
    Ok(Cron {
        minutes: parse_list(minutes, &MINUTES)?,
        hours: parse_list(hours, &HOURS)?,
        months: parse_list(months, &MONTHS)?,
        years: parse_list(years, &YEARS)?,
        days,
    })
}

fn parse_month_days(text: &str) -> Result<Days, Invalid> {
    if text == "L" {
        return Ok(Days::LastDay);
    }
    if text == "LW" {
        return Ok(Days::LastWeekday);
    }
    if let Some(day) = text.strip_suffix('W') {
        return Ok(Days::NearestWeekday(parse_value(day, &MONTH_DAYS)?));
    }
    Ok(Days::MonthDates(parse_list(text, &MONTH_DAYS)?))
}

fn parse_week_days(text: &str) -> Result<Days, Invalid> {
    if text == "L" {
        let mut saturday = Bits::default();
        saturday.insert(7);
        return Ok(Days::Weekdays(saturday));
    }
    if let Some(day) = text.strip_suffix('L') {
        return Ok(Days::LastOfWeekday(parse_value(day, &WEEK_DAYS)?));
    }
    if let Some((day, nth)) = text.split_once('#') {
        let day = parse_value(day, &WEEK_DAYS)?;
        let nth = parse_value(
            nth,
            &Field {
                min: 1,
                max: 5,
                names: &[],
                wraps: false,
            },
        )?;
        return Ok(Days::NthWeekday(day, nth));
    }
    Ok(Days::Weekdays(parse_list(text, &WEEK_DAYS)?))
}

/// A comma-separated list of `*`, `v`, `a-b`, each optionally followed by `/step`.
/// Years are stored as offsets from the field's minimum; other fields as themselves.
fn parse_list(text: &str, field: &Field) -> Result<Bits, Invalid> {
    let offset = if field.min >= 1970 { field.min } else { 0 };
    let mut bits = Bits::default();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                if step.is_empty() || !step.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Invalid);
                }
                let step: u32 = step.parse().map_err(|_| Invalid)?;
                if step == 0 {
                    return Err(Invalid);
                }
                (range, Some(step))
            }
            None => (item, None),
        };
        let (start, end) = if range == "*" {
            (field.min, field.max)
        } else if let Some((a, b)) = range.split_once('-') {
            (parse_value(a, field)?, parse_value(b, field)?)
        } else {
            let v = parse_value(range, field)?;
            // `a/b` runs from a to the end of the field.
            (v, if step.is_some() { field.max } else { v })
        };
        if start > end && !field.wraps {
            return Err(Invalid);
        }
        // Walk the (possibly wrapping) range in order, keeping every step-th value.
        let len = if start <= end {
            end - start + 1
        } else {
            field.max - start + 1 + end - field.min + 1
        };
        let step = step.unwrap_or(1);
        let span = field.max - field.min + 1;
        let mut i = 0;
        while i < len {
            let v = field.min + (start - field.min + i) % span;
            bits.insert(v - offset);
            i += step;
        }
    }
    Ok(bits)
}

fn parse_value(text: &str, field: &Field) -> Result<u32, Invalid> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let v: u32 = text.parse().map_err(|_| Invalid)?;
        return if (field.min..=field.max).contains(&v) {
            Ok(v)
        } else {
            Err(Invalid)
        };
    }
    field
        .names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .map(|i| field.min + i as u32)
        .ok_or(Invalid)
}

impl Cron {
    /// The first whole minute strictly after `after` (seconds since the epoch) that matches.
    /// The search walks years, months, days, hours and minutes in order and skips whole
    /// units that cannot match, so sparse schedules cost at most a few thousand steps.
    fn next_after(&self, after: i64) -> Option<i64> {
        let start = (after.div_euclid(60) + 1).max(0) * 60;
        let start_day = start.div_euclid(86_400);
        let (sy, smo, sd) = civil_from_days(start_day);
        let second_of_day = start.rem_euclid(86_400);
        let (sh, smin) = (
            (second_of_day / 3_600) as u32,
            ((second_of_day % 3_600) / 60) as u32,
        );
        for year in sy.max(FIRST_YEAR)..=LAST_YEAR {
            if !self.years.contains((year - FIRST_YEAR) as u32) {
                continue;
            }
            let first_month = if year == sy { smo } else { 1 };
            for month in first_month..=12 {
                if !self.months.contains(month) {
                    continue;
                }
                let first_day = if year == sy && month == smo { sd } else { 1 };
                let dim = days_in_month(year, month);
                let weekday_of_first = weekday(days_from_civil(year, month, 1));
                for day in first_day..=dim {
                    if !self.days.matches(day, dim, weekday_of_first) {
                        continue;
                    }
                    let today = year == sy && month == smo && day == sd;
                    let first_hour = if today { sh } else { 0 };
                    for hour in first_hour..24 {
                        if !self.hours.contains(hour) {
                            continue;
                        }
                        let first_minute = if today && hour == sh { smin } else { 0 };
                        if let Some(minute) = (first_minute..60).find(|m| self.minutes.contains(*m))
                        {
                            let days = days_from_civil(year, month, day);
                            return Some(days * 86_400 + i64::from(hour * 3_600 + minute * 60));
                        }
                    }
                }
            }
        }
        None
    }
}

impl Days {
    /// Whether `day` of a month of `dim` days whose first day is `weekday_of_first`
    /// (1 = Sunday) fires.
    fn matches(&self, day: u32, dim: u32, weekday_of_first: u32) -> bool {
        let weekday_of = |d: u32| (weekday_of_first - 1 + d - 1) % 7 + 1;
        let is_weekday = |d: u32| (2..=6).contains(&weekday_of(d));
        match *self {
            Days::MonthDates(bits) => bits.contains(day),
            Days::LastDay => day == dim,
            Days::LastWeekday => {
                let last = (dim - 2..=dim).rev().find(|d| is_weekday(*d));
                last == Some(day)
            }
            Days::NearestWeekday(n) => {
                if n > dim {
                    return false;
                }
                let target = match weekday_of(n) {
                    // Saturday: the Friday before, or the Monday after when n is the 1st.
                    7 => {
                        if n == 1 {
                            n + 2
                        } else {
                            n - 1
                        }
                    }
                    // Sunday: the Monday after, or the Friday before when n is the last day.
                    1 => {
                        if n == dim {
                            n - 2
                        } else {
                            n + 1
                        }
                    }
                    _ => n,
                };
                day == target
            }
            Days::Weekdays(bits) => bits.contains(weekday_of(day)),
            Days::LastOfWeekday(d) => weekday_of(day) == d && day + 7 > dim,
            Days::NthWeekday(d, nth) => weekday_of(day) == d && (day - 1) / 7 + 1 == nth,
        }
    }
}

/// Seconds since the epoch, rounded down (negative before 1970).
pub(crate) fn floor_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -secs - i64::from(d.subsec_nanos() > 0)
        }
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 1 = Sunday .. 7 = Saturday; day 0 (1970-01-01) was a Thursday.
fn weekday(days: i64) -> u32 {
    ((days + 4).rem_euclid(7) + 1) as u32
}

pub(crate) use evrule::time::{civil_from_days, days_from_civil};

/// `t` as RFC 3339 in UTC with second precision, the way EventBridge writes `time`.
///
/// ```
/// use evrule_serve::schedule::rfc3339;
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_999);
/// assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
/// ```
pub fn rfc3339(t: SystemTime) -> String {
    // Not `evrule::time::format_rfc3339`, which writes times before 1970 as
    // the epoch: a schedule's arithmetic floors them instead.
    let secs = floor_secs(t);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3_600,
        (s % 3_600) / 60,
        s % 60
    )
}

/// Where the current time comes from, so that schedules can be tested
/// without waiting: the router's clock, so that one clock drives
/// schedules, ingestion times and event ages.
///
/// ```
/// use evrule_serve::schedule::{Clock, ManualClock, SystemClock};
/// use std::time::{Duration, UNIX_EPOCH};
/// fn due(clock: &dyn Clock, at: std::time::SystemTime) -> bool { clock.now() >= at }
/// let clock = ManualClock::new(UNIX_EPOCH);
/// assert!(!due(&clock, UNIX_EPOCH + Duration::from_secs(60)));
/// clock.advance(Duration::from_secs(60));
/// assert!(due(&clock, UNIX_EPOCH + Duration::from_secs(60)));
/// assert!(SystemClock.now() > UNIX_EPOCH);
/// ```
pub use evrule::route::{Clock, SystemClock};

/// A clock that moves only when told to, for tests.
///
/// ```
/// use evrule_serve::schedule::{Clock, ManualClock};
/// use std::time::{Duration, UNIX_EPOCH};
/// let clock = ManualClock::new(UNIX_EPOCH);
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(90));
/// clock.set(UNIX_EPOCH);
/// assert_eq!(clock.now(), UNIX_EPOCH);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock that reads `start` until it is set or advanced.
    ///
    /// ```
    /// use evrule_serve::schedule::{Clock, ManualClock};
    /// assert_eq!(ManualClock::new(std::time::UNIX_EPOCH).now(), std::time::UNIX_EPOCH);
    /// ```
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Sets the time (it may go backwards).
    ///
    /// ```
    /// use evrule_serve::schedule::{Clock, ManualClock};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let clock = ManualClock::new(UNIX_EPOCH);
    /// clock.set(UNIX_EPOCH + Duration::from_secs(5));
    /// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(5));
    /// ```
    pub fn set(&self, t: SystemTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    /// Moves the time forward by `d`.
    ///
    /// ```
    /// use evrule_serve::schedule::{Clock, ManualClock};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let clock = ManualClock::new(UNIX_EPOCH);
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(5));
    /// ```
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The event EventBridge puts on the default bus when a scheduled rule fires.
///
/// ```
/// use evrule_serve::schedule::scheduled_event;
/// use std::time::{Duration, UNIX_EPOCH};
/// let arn = "arn:aws:events:us-east-1:123456789012:rule/nightly";
/// let at = UNIX_EPOCH + Duration::from_secs(1_700_006_400);
/// let event = scheduled_event(arn, "123456789012", "us-east-1", at, "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa");
/// assert_eq!(event["detail-type"], "Scheduled Event");
/// assert_eq!(event["time"], "2023-11-15T00:00:00Z");
/// assert_eq!(event["resources"][0], arn);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scheduled_event(
    rule_arn: &str,
    account: &str,
    region: &str,
    time: SystemTime,
    id: &str,
) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": rfc3339(time),
        "region": region,
        "resources": [rule_arn],
        "detail": {}
    })
}

#[cfg(test)]
mod tests;
