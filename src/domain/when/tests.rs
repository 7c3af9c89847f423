use super::*;
use crate::domain::decide::tests::at;

#[test]
fn durations_trim_and_bounds_name_the_range() {
    let minutes = Duration::minutes;
    // (text, least, most, expected duration or the start of the refusal)
    let cases: [(&str, Duration, Duration, Result<Duration, &str>); 8] = [
        ("5m", minutes(1), minutes(60), Ok(minutes(5))),
        (" 5m", minutes(1), minutes(60), Ok(minutes(5))),
        ("30m\t", minutes(1), minutes(60), Ok(minutes(30))),
        ("1h 30m", minutes(1), minutes(120), Ok(minutes(90))),
        ("2d", minutes(1), Duration::days(7), Ok(Duration::days(2))),
        (
            "10s",
            minutes(1),
            minutes(60),
            Err("\"10s\" is outside 1m to 1h"),
        ),
        (
            "soon",
            minutes(1),
            minutes(60),
            Err("\"soon\" is not a duration like 30s or 4h ("),
        ),
        ("  ", minutes(1), minutes(60), Err("\"\" is not a duration")),
    ];
    for (text, least, most, expected) in cases {
        let parsed = parse_duration_within(text, least, most).map_err(|error| error.to_string());
        match (parsed, expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{text:?}"),
            (Err(got), Err(want)) => assert!(got.starts_with(want), "{text:?}: {got}"),
            (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(parse_duration(" 4h "), Ok(Duration::hours(4)));
}

#[test]
fn times_are_durations_clock_times_local_times_or_rfc_3339() {
    let shanghai = Tz::Asia__Shanghai;
    let berlin = Tz::Europe__Berlin;
    let now = "2026-11-21T10:00:00Z"; // 18:00 in Shanghai
    let spring = "2027-03-27T12:00:00Z"; // Berlin skips 02:00–03:00 on the 28th
    let autumn = "2027-10-30T12:00:00Z"; // Berlin repeats 02:00–03:00 on the 31st
    // (text, zone, now, expected instant, or None for "not a time")
    let cases: [(&str, Tz, &str, Option<&str>); 17] = [
        ("30m", shanghai, now, Some("2026-11-21T10:30:00Z")),
        (" 2d ", shanghai, now, Some("2026-11-23T10:00:00Z")),
        ("19:00", shanghai, now, Some("2026-11-21T11:00:00Z")),
        // The clock shows 18:00 now: its next occurrence is tomorrow's.
        ("18:00", shanghai, now, Some("2026-11-22T10:00:00Z")),
        ("09:00", shanghai, now, Some("2026-11-22T01:00:00Z")),
        (
            "2026-12-02 09:00",
            shanghai,
            now,
            Some("2026-12-02T01:00:00Z"),
        ),
        (
            "2026-12-02T09:00",
            shanghai,
            now,
            Some("2026-12-02T01:00:00Z"),
        ),
        (
            "2026-12-02 09:00:30",
            shanghai,
            now,
            Some("2026-12-02T01:00:30Z"),
        ),
        (
            "2026-12-02T09:00:00+08:00",
            shanghai,
            now,
            Some("2026-12-02T01:00:00Z"),
        ),
        (
            "2026-12-02T01:00:00Z",
            berlin,
            now,
            Some("2026-12-02T01:00:00Z"),
        ),
        // A past time is still a time: refusing it is the caller's.
        (
            "2026-11-20 09:00",
            shanghai,
            now,
            Some("2026-11-20T01:00:00Z"),
        ),
        // A skipped hour means the end of the gap (03:00 CEST), as for hand-offs.
        (
            "2027-03-28 02:30",
            berlin,
            spring,
            Some("2027-03-28T01:00:00Z"),
        ),
        ("02:30", berlin, spring, Some("2027-03-28T01:00:00Z")),
        // A repeated hour means the first of the two (CEST).
        (
            "2027-10-31 02:30",
            berlin,
            autumn,
            Some("2027-10-31T00:30:00Z"),
        ),
        ("soon", shanghai, now, None),
        ("25:00", shanghai, now, None),
        ("2026-13-01 09:00", shanghai, now, None),
    ];
    for (text, zone, now, expected) in cases {
        let parsed = parse_when(text, zone, at(now));
        match expected {
            Some(want) => assert_eq!(parsed, Ok(at(want)), "{text:?} in {zone}"),
            None => assert_eq!(
                parsed,
                Err(WhenError::NotATime(text.trim().to_owned())),
                "{text:?}"
            ),
        }
    }
}

#[test]
fn the_forms_are_recognised_without_a_zone() {
    let cases = [
        ("30m", true),
        ("4h", true),
        ("18:00", true),
        ("2026-11-21 18:00", true),
        ("2026-11-21T18:00", true),
        ("2026-11-21T18:00:00Z", true),
        ("week", false),
        ("m5", false),
        ("later", false),
        ("", false),
    ];
    for (text, looks) in cases {
        assert_eq!(looks_like_when(text), looks, "{text:?}");
    }
}

#[test]
fn local_instants_take_the_gap_end_and_the_first_of_a_fold() {
    let berlin = Tz::Europe__Berlin;
    let naive = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
    let cases = [
        ("2027-01-10 09:00:00", "2027-01-10T08:00:00Z"),
        ("2027-03-28 02:00:00", "2027-03-28T01:00:00Z"),
        ("2027-03-28 02:59:59", "2027-03-28T01:00:00Z"),
        ("2027-03-28 03:00:00", "2027-03-28T01:00:00Z"),
        ("2027-10-31 02:00:00", "2027-10-31T00:00:00Z"),
        ("2027-10-31 03:00:00", "2027-10-31T02:00:00Z"),
    ];
    for (local, expected) in cases {
        assert_eq!(local_instant(naive(local), berlin), at(expected), "{local}");
    }
}

#[test]
fn absolute_times_take_no_durations_or_bare_clock_times() {
    let berlin = Tz::Europe__Berlin;
    let cases = [
        ("2026-11-02T09:00:00+08:00", Some("2026-11-02T01:00:00Z")),
        ("2026-11-02T09:00", Some("2026-11-02T08:00:00Z")),
        (" 2026-11-02 09:00:00 ", Some("2026-11-02T08:00:00Z")),
        ("2027-03-28T02:30", Some("2027-03-28T01:00:00Z")),
        ("4h", None),
        ("09:00", None),
        ("monday", None),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_absolute(text, berlin), expected.map(at), "{text:?}");
    }
}
