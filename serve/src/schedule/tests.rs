use super::*;

/// Seconds since the epoch of a UTC date and time.
fn at(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> SystemTime {
    let secs = days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3_600 + mi * 60);
    UNIX_EPOCH + Duration::from_secs(secs as u64)
}

fn next(expr: &str, from: SystemTime) -> Option<String> {
    let schedule = Schedule::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    schedule.next_after(from).map(rfc3339)
}

/// The first `n` firings after `from`.
fn firings(expr: &str, from: SystemTime, n: usize) -> Vec<String> {
    let schedule = Schedule::parse(expr).unwrap();
    let mut out = Vec::new();
    let mut t = from;
    for _ in 0..n {
        t = schedule.next_after(t).unwrap();
        out.push(rfc3339(t));
    }
    out
}

#[test]
fn calendar_arithmetic_round_trips_and_knows_weekdays() {
    for days in [
        -800_000, -1, 0, 1, 59, 365, 10_956, 11_016, 19_000, 84_000, 2_932_896,
    ] {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days);
    }
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(weekday(0), 5); // Thursday
    assert_eq!(weekday(days_from_civil(2024, 2, 29)), 5); // Thursday
    assert_eq!(weekday(days_from_civil(2026, 12, 3)), 5); // Thursday
    assert_eq!(weekday(days_from_civil(2000, 1, 1)), 7); // Saturday
    assert_eq!(rfc3339(at(2199, 12, 31, 23, 59)), "2199-12-31T23:59:00Z");
    assert_eq!(
        rfc3339(UNIX_EPOCH - Duration::from_millis(1)),
        "1969-12-31T23:59:59Z"
    );
}

#[test]
fn valid_expressions_parse() {
    for expr in [
        "rate(1 minute)",
        "rate(2 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "rate(100000 minutes)",
        "cron(0 12 * * ? *)",
        "cron(15 10 ? * 6L 2019-2022)",
        "cron(0/15 * * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * L *)",
        "cron(0 0 1,15 JAN,jul ? 2030/2)",
        "cron(59 23 31 12 ? 2199)",
        "cron(0 0 ? * FRI-MON *)",
        "cron(*/7 22-2 * * ? *)",
        "cron(0 0 ? * 1,3-5/2 *)",
    ] {
        assert!(Schedule::parse(expr).is_ok(), "{expr} should be valid");
    }
}

#[test]
fn invalid_expressions_get_the_put_rule_message() {
    for expr in [
        "",
        "rate",
        "rate()",
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(1 hours)",
        "rate(2 day)",
        "rate(-1 minutes)",
        "rate(+5 minutes)",
        "rate(1.5 hours)",
        "rate(5 seconds)",
        "rate(5 weeks)",
        "rate(5)",
        "rate(5 minutes",
        "rate(5 minutes) ",
        "Rate(5 minutes)",
        "rate(99999999999999999999 minutes)",
        "rate(999999999999999999 days)",
        "cron(0 12 * * ?)",
        "cron(0 12 * * ? * *)",
        "cron(0 12 * * * *)",
        "cron(0 12 ? * ? *)",
        "cron(0 12 1 * MON *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 1 13 ? *)",
        "cron(0 0 1 0 ? *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 1 * ? 1969)",
        "cron(0 0 1 * ? 2200)",
        "cron(0 0 1 * ? 2030-2020)",
        "cron(0/0 * * * ? *)",
        "cron(0/ * * * ? *)",
        "cron(a * * * ? *)",
        "cron(0 0 1 FOO ? *)",
        "cron(0 0 ? * MONDAY *)",
        "cron(0 0 32W * ? *)",
        "cron(0 0 W * ? *)",
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 ? * 2#0 *)",
        "cron(0 0 ? * 8L *)",
        "cron(0 0 L * ? *",
        "cron(0,,5 0 * * ? *)",
        "cron(-5 0 * * ? *)",
        "0 12 * * ? *",
    ] {
        assert_eq!(
            Schedule::parse(expr),
            Err("Parameter ScheduleExpression is not valid.".to_string()),
            "{expr:?} should be invalid"
        );
    }
}

#[test]
fn rates_add_their_period_to_the_instant() {
    let t = at(2026, 12, 3, 18, 27) + Duration::from_millis(1_500);
    let r = Schedule::parse("rate(5 minutes)").unwrap();
    assert_eq!(r.next_after(t), Some(t + Duration::from_secs(300)));
    let r = Schedule::parse("rate(1 day)").unwrap();
    assert_eq!(r.next_after(t), Some(t + Duration::from_secs(86_400)));
    assert_eq!(r.rate(), Some(Duration::from_secs(86_400)));
    let r = Schedule::parse("rate(36 hours)").unwrap();
    assert_eq!(r.next_after(t), Some(t + Duration::from_secs(36 * 3_600)));
}

#[test]
fn cron_next_is_strictly_after_and_on_whole_minutes() {
    let every_minute = "cron(* * * * ? *)";
    let t = at(2026, 12, 3, 18, 27);
    assert_eq!(next(every_minute, t).unwrap(), "2026-12-03T18:28:00Z");
    let t2 = t + Duration::from_millis(59_999);
    assert_eq!(next(every_minute, t2).unwrap(), "2026-12-03T18:28:00Z");
    assert_eq!(
        next(every_minute, t - Duration::from_nanos(1)).unwrap(),
        "2026-12-03T18:27:00Z"
    );
    assert_eq!(
        next("cron(0 12 * * ? *)", at(2026, 12, 3, 12, 0)).unwrap(),
        "2026-12-04T12:00:00Z"
    );
    assert_eq!(
        next("cron(0 12 * * ? *)", at(2026, 12, 3, 11, 59)).unwrap(),
        "2026-12-03T12:00:00Z"
    );
    // Year end rolls over.
    assert_eq!(
        next("cron(0 0 * * ? *)", at(2026, 12, 31, 23, 59)).unwrap(),
        "2027-01-01T00:00:00Z"
    );
    // Before 1970 the first firing is in 1970.
    assert_eq!(
        next(
            "cron(30 1 * * ? *)",
            UNIX_EPOCH - Duration::from_secs(86_400 * 400)
        )
        .unwrap(),
        "1970-01-01T01:30:00Z"
    );
}

#[test]
fn cron_steps_ranges_and_lists() {
    let t = at(2026, 12, 3, 18, 27); // a Thursday
    assert_eq!(
        firings("cron(0/15 * * * ? *)", t, 4),
        [
            "2026-12-03T18:30:00Z",
            "2026-12-03T18:45:00Z",
            "2026-12-03T19:00:00Z",
            "2026-12-03T19:15:00Z"
        ]
    );
    assert_eq!(
        firings("cron(1/10 * * * ? *)", t, 4),
        [
            "2026-12-03T18:31:00Z",
            "2026-12-03T18:41:00Z",
            "2026-12-03T18:51:00Z",
            "2026-12-03T19:01:00Z"
        ]
    );
    // Weekdays 8:00-17:55 every 5 minutes: Thursday evening jumps to Friday morning,
    // Friday evening to Monday morning.
    assert_eq!(
        firings("cron(0/5 8-17 ? * MON-FRI *)", t, 2),
        ["2026-12-04T08:00:00Z", "2026-12-04T08:05:00Z"]
    );
    assert_eq!(
        next("cron(0/5 8-17 ? * MON-FRI *)", at(2026, 12, 4, 17, 55)).unwrap(),
        "2026-12-07T08:00:00Z"
    );
    // A wrapping hour range.
    assert_eq!(
        firings("cron(0 22-1 * * ? *)", t, 5),
        [
            "2026-12-03T22:00:00Z",
            "2026-12-03T23:00:00Z",
            "2026-12-04T00:00:00Z",
            "2026-12-04T01:00:00Z",
            "2026-12-04T22:00:00Z"
        ]
    );
    // A wrapping weekday range: FRI-MON is Fri, Sat, Sun, Mon.
    assert_eq!(
        firings("cron(0 0 ? * FRI-MON *)", t, 5),
        [
            "2026-12-04T00:00:00Z",
            "2026-12-05T00:00:00Z",
            "2026-12-06T00:00:00Z",
            "2026-12-07T00:00:00Z",
            "2026-12-11T00:00:00Z"
        ]
    );
    // Months by name, days as a list, every other year from 2027.
    assert_eq!(
        firings("cron(0 6 1,15 jan,JUL ? 2027/2)", t, 5),
        [
            "2027-01-01T06:00:00Z",
            "2027-01-15T06:00:00Z",
            "2027-07-01T06:00:00Z",
            "2027-07-15T06:00:00Z",
            "2029-01-01T06:00:00Z"
        ]
    );
    // Day 31 skips the months without one.
    assert_eq!(
        firings("cron(0 0 31 * ? *)", t, 3),
        [
            "2026-12-31T00:00:00Z",
            "2027-01-31T00:00:00Z",
            "2027-03-31T00:00:00Z"
        ]
    );
    // A range with a step in the day-of-week field: 1,3-5/2 is Sun, Tue, Thu.
    assert_eq!(
        firings("cron(0 0 ? * 1,3-5/2 *)", t, 4),
        [
            "2026-12-06T00:00:00Z",
            "2026-12-08T00:00:00Z",
            "2026-12-10T00:00:00Z",
            "2026-12-13T00:00:00Z"
        ]
    );
}

#[test]
fn cron_sparse_dates() {
    // 29 February: the next leap years.
    assert_eq!(
        firings("cron(0 0 29 2 ? *)", at(2026, 12, 3, 0, 0), 3),
        [
            "2028-02-29T00:00:00Z",
            "2032-02-29T00:00:00Z",
            "2036-02-29T00:00:00Z"
        ]
    );
    // 2100 is not a leap year: from 2097 the next is 2104.
    assert_eq!(
        next("cron(0 0 29 2 ? *)", at(2096, 3, 1, 0, 0)).unwrap(),
        "2104-02-29T00:00:00Z"
    );
    // The fifth Friday of a month.
    assert_eq!(
        firings("cron(0 0 ? * 6#5 *)", at(2026, 12, 3, 0, 0), 4),
        [
            "2027-01-29T00:00:00Z",
            "2027-04-30T00:00:00Z",
            "2027-07-30T00:00:00Z",
            "2027-10-29T00:00:00Z"
        ]
    );
    // The first Monday.
    assert_eq!(
        firings("cron(0 9 ? * 2#1 *)", at(2026, 12, 3, 0, 0), 3),
        [
            "2026-12-07T09:00:00Z",
            "2027-01-04T09:00:00Z",
            "2027-02-01T09:00:00Z"
        ]
    );
    // The last Friday of the month, limited to 2026-2027.
    assert_eq!(
        firings("cron(15 10 ? * 6L 2026-2027)", at(2026, 12, 3, 0, 0), 3),
        [
            "2026-12-25T10:15:00Z",
            "2027-01-29T10:15:00Z",
            "2027-02-26T10:15:00Z"
        ]
    );
    assert_eq!(
        next("cron(15 10 ? * 6L 2026-2027)", at(2027, 12, 1, 0, 0)).unwrap(),
        "2027-12-31T10:15:00Z"
    );
    assert_eq!(
        next("cron(15 10 ? * 6L 2026-2027)", at(2027, 12, 31, 10, 15)),
        None
    );
    // Last day of the month, leap February included.
    assert_eq!(
        firings("cron(0 0 L * ? *)", at(2027, 12, 15, 0, 0), 4),
        [
            "2027-12-31T00:00:00Z",
            "2028-01-31T00:00:00Z",
            "2028-02-29T00:00:00Z",
            "2028-03-31T00:00:00Z"
        ]
    );
    // Last weekday: 2027-01-31 is a Sunday -> Friday the 29th; 2027-02-28 is a Sunday -> 26th;
    // 2027-07-31 is a Saturday -> 30th.
    assert_eq!(
        next("cron(0 0 LW * ? *)", at(2027, 1, 1, 0, 0)).unwrap(),
        "2027-01-29T00:00:00Z"
    );
    assert_eq!(
        next("cron(0 0 LW * ? *)", at(2027, 2, 1, 0, 0)).unwrap(),
        "2027-02-26T00:00:00Z"
    );
    assert_eq!(
        next("cron(0 0 LW * ? *)", at(2027, 7, 1, 0, 0)).unwrap(),
        "2027-07-30T00:00:00Z"
    );
    assert_eq!(
        next("cron(0 0 LW * ? *)", at(2026, 12, 1, 0, 0)).unwrap(),
        "2026-12-31T00:00:00Z"
    );
    // Nearest weekday to the 15th: 2026-11-15 is a Sunday -> Monday 16th; 2027-05-15 is a
    // Saturday -> Friday 14th; 2026-12-15 is a Tuesday.
    assert_eq!(
        next("cron(0 0 15W * ? *)", at(2026, 11, 1, 0, 0)).unwrap(),
        "2026-11-16T00:00:00Z"
    );
    assert_eq!(
        next("cron(0 0 15W * ? *)", at(2027, 5, 1, 0, 0)).unwrap(),
        "2027-05-14T00:00:00Z"
    );
    assert_eq!(
        next("cron(0 0 15W * ? *)", at(2026, 12, 1, 0, 0)).unwrap(),
        "2026-12-15T00:00:00Z"
    );
    // 1W never leaves the month: 2027-05-01 is a Saturday -> Monday the 3rd.
    assert_eq!(
        next("cron(0 0 1W * ? *)", at(2027, 4, 30, 0, 0)).unwrap(),
        "2027-05-03T00:00:00Z"
    );
    // 31W when the 31st is a Sunday (2027-10-31) -> Friday the 29th.
    assert_eq!(
        next("cron(0 0 31W * ? *)", at(2027, 10, 1, 0, 0)).unwrap(),
        "2027-10-29T00:00:00Z"
    );
    // 30W skips February.
    assert_eq!(
        next("cron(0 0 30W * ? *)", at(2027, 2, 1, 0, 0)).unwrap(),
        "2027-03-30T00:00:00Z"
    );
    // Day-of-week L is Saturday.
    assert_eq!(
        firings("cron(0 0 ? * L *)", at(2026, 12, 3, 0, 0), 2),
        ["2026-12-05T00:00:00Z", "2026-12-12T00:00:00Z"]
    );
}

#[test]
fn cron_schedules_that_end_or_never_fire_return_none_quickly() {
    let t = at(2026, 12, 3, 0, 0);
    assert_eq!(next("cron(0 0 1 1 ? 2020-2025)", t), None);
    assert_eq!(
        next("cron(59 23 31 12 ? 2199)", t).unwrap(),
        "2199-12-31T23:59:00Z"
    );
    assert_eq!(
        next("cron(59 23 31 12 ? 2199)", at(2199, 12, 31, 23, 59)),
        None
    );
    assert_eq!(next("cron(* * * * ? *)", at(2199, 12, 31, 23, 59)), None);
    // Dates that do not exist: the whole search space is walked and found empty.
    let started = std::time::Instant::now();
    assert_eq!(next("cron(0 0 30 2 ? *)", at(1970, 1, 1, 0, 0)), None);
    assert_eq!(
        next("cron(0 0 31 4,6,9,11 ? *)", at(1970, 1, 1, 0, 0)),
        None
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Far past the last year.
    assert_eq!(
        next(
            "cron(* * * * ? *)",
            UNIX_EPOCH + Duration::from_secs(1 << 40)
        ),
        None
    );
}

/// The slow, obviously correct answer: does minute `secs` match, checked field by field,
/// with the day rules restated as searches over the month.
fn reference_matches(c: &Cron, secs: i64) -> bool {
    let second_of_day = secs.rem_euclid(86_400);
    let (h, mi) = (
        (second_of_day / 3_600) as u32,
        ((second_of_day % 3_600) / 60) as u32,
    );
    if !c.hours.contains(h) || !c.minutes.contains(mi) {
        return false;
    }
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let dim = days_in_month(y, mo);
    let wd = |day: u32| weekday(days_from_civil(y, mo, day));
    let is_weekday = |day: &u32| (2..=6).contains(&wd(*day));
    let day_ok = match c.days {
        Days::MonthDates(b) => b.contains(d),
        Days::LastDay => d == dim,
        Days::LastWeekday => Some(d) == (1..=dim).filter(is_weekday).max(),
        Days::NearestWeekday(n) => {
            n <= dim && Some(d) == (1..=dim).filter(is_weekday).min_by_key(|x| x.abs_diff(n))
        }
        Days::Weekdays(b) => b.contains(wd(d)),
        Days::LastOfWeekday(w) => Some(d) == (1..=dim).filter(|x| wd(*x) == w).max(),
        Days::NthWeekday(w, n) => {
            wd(d) == w && (1..=d).filter(|x| wd(*x) == w).count() == n as usize
        }
    };
    (FIRST_YEAR..=LAST_YEAR).contains(&y)
        && c.years.contains((y - FIRST_YEAR) as u32)
        && c.months.contains(mo)
        && day_ok
}

#[test]
fn next_after_agrees_with_a_minute_by_minute_scan() {
    let exprs = [
        "cron(0/15 8-17 ? * MON-FRI *)",
        "cron(7 3 LW * ? *)",
        "cron(0 0 1W * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(30 12 ? * 6#5 *)",
        "cron(0 0 ? * 2L *)",
        "cron(0 22-2/2 L * ? *)",
        "cron(59 23 29 2 ? *)",
        "cron(*/20 * 31W * ? *)",
        "cron(0 6 ? * SAT-MON 2027)",
        "cron(5 5 ? DEC-FEB 1#1 *)",
    ];
    let start = days_from_civil(2026, 11, 20) * 86_400 + 17 * 60 + 33;
    let end = start + 430 * 86_400;
    for expr in exprs {
        let Schedule {
            kind: Kind::Cron(cron),
        } = Schedule::parse(expr).expect(expr)
        else {
            unreachable!()
        };
        let mut expected = Vec::new();
        let mut minute = (start.div_euclid(60) + 1) * 60;
        while minute < end {
            if reference_matches(&cron, minute) {
                expected.push(minute);
            }
            minute += 60;
        }
        let mut got = Vec::new();
        let mut t = start;
        while let Some(n) = cron.next_after(t) {
            if n >= end {
                break;
            }
            got.push(n);
            t = n;
        }
        assert!(
            !expected.is_empty() || expr.contains("29 2"),
            "{expr} never fires in the window"
        );
        assert_eq!(got, expected, "{expr}");
    }
}

#[test]
fn schedule_walks_with_a_manual_clock() {
    let clock = ManualClock::new(at(2026, 12, 3, 18, 27));
    let schedule = Schedule::parse("cron(0 * * * ? *)").unwrap();
    let mut due = schedule.next_after(clock.now()).unwrap();
    let mut fired = Vec::new();
    for _ in 0..180 {
        clock.advance(Duration::from_secs(60));
        while clock.now() >= due {
            fired.push(rfc3339(due));
            due = schedule.next_after(due).unwrap();
        }
    }
    assert_eq!(
        fired,
        [
            "2026-12-03T19:00:00Z",
            "2026-12-03T20:00:00Z",
            "2026-12-03T21:00:00Z"
        ]
    );
    clock.set(UNIX_EPOCH);
    assert_eq!(clock.now(), UNIX_EPOCH);
}

#[test]
fn scheduled_event_has_the_eventbridge_shape() {
    let arn = "arn:aws:events:eu-west-1:123456789012:rule/every-hour";
    let event = scheduled_event(
        arn,
        "123456789012",
        "eu-west-1",
        at(2026, 12, 3, 19, 0) + Duration::from_millis(250),
        "89d1a02d-5ec7-412e-82f5-13505f849b41",
    );
    assert_eq!(
        event,
        json!({
            "version": "0",
            "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-12-03T19:00:00Z",
            "region": "eu-west-1",
            "resources": [arn],
            "detail": {}
        })
    );
}

#[test]
fn clocks_are_send_and_sync() {
    fn assert_clock<C: Clock + 'static>() {}
    assert_clock::<SystemClock>();
    assert_clock::<ManualClock>();
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Schedule>();
}
