use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time is RFC 3339")
        .with_timezone(&Utc)
}

fn raw(role: &str, participants: &[&str], handoff: &str, zone: &str, start: &str) -> RawRotation {
    RawRotation {
        role: role.to_owned(),
        participants: participants.iter().map(|p| (*p).to_owned()).collect(),
        handoff: handoff.to_owned(),
        time_zone: zone.to_owned(),
        start: start.to_owned(),
        services: Vec::new(),
    }
}

fn rotation(handoff: &str, zone: &str, start: &str) -> Rotation {
    Rotation::parse(&raw("commander", &["a", "b", "c"], handoff, zone, start))
        .expect("test rotation is valid")
}

fn user(name: &str) -> UserId {
    UserId(name.to_owned())
}

#[test]
fn parse_names_each_bad_field() {
    let good = raw(
        "commander",
        &["alice"],
        "0 0 9 * * Mon",
        "Asia/Shanghai",
        "2026-11-02T09:00:00+08:00",
    );
    let cases: Vec<(&str, RawRotation, &str)> = vec![
        (
            "unknown role",
            RawRotation {
                role: "chef".into(),
                ..good.clone()
            },
            "role",
        ),
        (
            "no participants",
            RawRotation {
                participants: vec![],
                ..good.clone()
            },
            "participants",
        ),
        (
            "empty participant",
            RawRotation {
                participants: vec!["a".into(), " ".into()],
                ..good.clone()
            },
            "participants",
        ),
        (
            "five fields",
            RawRotation {
                handoff: "0 9 * * Mon".into(),
                ..good.clone()
            },
            "handoff",
        ),
        (
            "not cron",
            RawRotation {
                handoff: "0 0 nine * * Mon".into(),
                ..good.clone()
            },
            "handoff",
        ),
        (
            "every minute",
            RawRotation {
                handoff: "0 * * * * *".into(),
                ..good.clone()
            },
            "handoff",
        ),
        (
            "bad zone",
            RawRotation {
                time_zone: "Mars/Olympus".into(),
                ..good.clone()
            },
            "time_zone",
        ),
        (
            "bad start",
            RawRotation {
                start: "next monday".into(),
                ..good.clone()
            },
            "start",
        ),
        (
            "empty service",
            RawRotation {
                services: vec!["".into()],
                ..good.clone()
            },
            "services",
        ),
    ];
    for (name, input, field) in cases {
        let problems = Rotation::parse(&input).expect_err(name);
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        assert_eq!(problems[0].field, field, "{name}");
        assert!(!problems[0].message.is_empty(), "{name}");
    }
    assert!(Rotation::parse(&good).is_ok());
}

#[test]
fn parse_reports_every_problem_at_once() {
    let problems = Rotation::parse(&raw("chef", &[], "bad", "Nowhere/Zone", "x"))
        .expect_err("all fields are bad");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["role", "participants", "handoff", "time_zone"]);
}

#[test]
fn start_may_be_local_time_in_the_zone() {
    let rotation = rotation("0 0 9 * * Mon", "Asia/Shanghai", "2026-11-02 09:00");
    assert_eq!(rotation.start(), utc("2026-11-02T01:00:00Z"));
}

#[test]
fn handoffs_across_dst() {
    // (zone, cron, start, expected hand-offs after start)
    let cases = [
        // Berlin springs forward 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 happens at 03:00.
        (
            "Europe/Berlin",
            "0 30 2 * * *",
            "2026-03-27T02:30:00+01:00",
            [
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z",
            ],
        ),
        // Berlin falls back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens once, the first.
        (
            "Europe/Berlin",
            "0 30 2 * * *",
            "2026-10-23T02:30:00+02:00",
            [
                "2026-10-24T00:30:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-26T01:30:00Z",
            ],
        ),
        // Hourly through the Berlin fold: the repeated 02:30 is not a second hand-off.
        (
            "Europe/Berlin",
            "0 30 * * * *",
            "2026-10-25T01:00:00+02:00",
            [
                "2026-10-24T23:30:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-25T02:30:00Z",
            ],
        ),
        // Hourly through the Berlin gap: 02:30 does not exist, its hand-off is at 03:00.
        (
            "Europe/Berlin",
            "0 30 * * * *",
            "2026-03-29T01:00:00+01:00",
            [
                "2026-03-29T00:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T01:30:00Z",
            ],
        ),
        // New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT.
        (
            "America/New_York",
            "0 30 2 * * Sun",
            "2026-03-01T02:30:00-05:00",
            [
                "2026-03-08T07:00:00Z",
                "2026-03-15T06:30:00Z",
                "2026-03-22T06:30:00Z",
            ],
        ),
        // New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 once, in EDT.
        (
            "America/New_York",
            "0 30 1 * * Sun",
            "2026-10-25T01:30:00-04:00",
            [
                "2026-11-01T05:30:00Z",
                "2026-11-08T06:30:00Z",
                "2026-11-15T06:30:00Z",
            ],
        ),
        // Shanghai has no DST: every Monday 09:00 is 01:00 UTC.
        (
            "Asia/Shanghai",
            "0 0 9 * * Mon",
            "2026-03-02T09:00:00+08:00",
            [
                "2026-03-09T01:00:00Z",
                "2026-03-16T01:00:00Z",
                "2026-03-23T01:00:00Z",
            ],
        ),
    ];
    for (zone, cron, start, expected) in cases {
        let rotation = rotation(cron, zone, start);
        let got: Vec<DateTime<Utc>> = rotation.handoffs_after(rotation.start()).take(3).collect();
        let expected: Vec<DateTime<Utc>> = expected.iter().map(|t| utc(t)).collect();
        assert_eq!(got, expected, "{zone} {cron} from {start}");
    }
}

#[test]
fn holder_at_counts_handoffs_and_wraps() {
    let rotation = Rotation::parse(&raw(
        "commander",
        &["alice", "dave"],
        "0 0 9 * * Mon",
        "Asia/Shanghai",
        "2026-11-02T09:00:00+08:00",
    ))
    .expect("valid");
    // (now, holder, index, since, next hand-off, next holder)
    let cases = [
        (
            "2026-11-02T01:00:00Z",
            "alice",
            0,
            "2026-11-02T01:00:00Z",
            "2026-11-09T01:00:00Z",
            "dave",
        ),
        (
            "2026-11-09T00:59:59Z",
            "alice",
            0,
            "2026-11-02T01:00:00Z",
            "2026-11-09T01:00:00Z",
            "dave",
        ),
        (
            "2026-11-09T01:00:00Z",
            "dave",
            1,
            "2026-11-09T01:00:00Z",
            "2026-11-16T01:00:00Z",
            "alice",
        ),
        (
            "2026-11-20T12:00:00Z",
            "alice",
            0,
            "2026-11-16T01:00:00Z",
            "2026-11-23T01:00:00Z",
            "dave",
        ),
        (
            "2027-11-02T01:00:00Z",
            "alice",
            0,
            "2027-11-01T01:00:00Z",
            "2027-11-08T01:00:00Z",
            "dave",
        ),
    ];
    for (now, holder, index, since, next, next_holder) in cases {
        let holding = rotation.holder_at(utc(now)).expect(now);
        assert_eq!(holding.participant, user(holder), "{now}");
        assert_eq!(holding.index, index, "{now}");
        assert_eq!(holding.since, utc(since), "{now}");
        assert_eq!(holding.next_handoff, Some(utc(next)), "{now}");
        assert_eq!(holding.next_participant, user(next_holder), "{now}");
    }
    assert_eq!(
        rotation.holder_at(utc("2026-11-02T00:59:59Z")),
        None,
        "before start"
    );
}

#[test]
fn holder_changes_at_the_end_of_the_gap() {
    let rotation = rotation("0 30 2 * * *", "Europe/Berlin", "2026-03-27T02:30:00+01:00");
    let before = rotation
        .holder_at(utc("2026-03-29T00:59:59Z"))
        .expect("after start");
    assert_eq!(
        (before.participant, before.next_handoff),
        (user("b"), Some(utc("2026-03-29T01:00:00Z")))
    );
    let after = rotation
        .holder_at(utc("2026-03-29T01:00:00Z"))
        .expect("after start");
    assert_eq!(
        (after.participant, after.since),
        (user("c"), utc("2026-03-29T01:00:00Z"))
    );
}

#[test]
fn holder_does_not_change_twice_in_the_fold() {
    let rotation = rotation("0 30 2 * * *", "Europe/Berlin", "2026-10-23T02:30:00+02:00");
    // The second 02:30 (01:30 UTC) is no hand-off: c took over at the first and keeps it.
    for now in [
        "2026-10-25T00:30:00Z",
        "2026-10-25T01:30:00Z",
        "2026-10-26T01:29:59Z",
    ] {
        let holding = rotation.holder_at(utc(now)).expect(now);
        assert_eq!(holding.participant, user("c"), "{now}");
        assert_eq!(holding.since, utc("2026-10-25T00:30:00Z"), "{now}");
    }
}

fn rotation_for(role: &str, participants: &[&str], services: &[&str]) -> Rotation {
    let mut raw = raw(
        role,
        participants,
        "0 0 9 * * Mon",
        "Asia/Shanghai",
        "2026-11-02T09:00:00+08:00",
    );
    raw.services = services.iter().map(|s| (*s).to_owned()).collect();
    Rotation::parse(&raw).expect("valid")
}

#[test]
fn on_call_prefers_override_then_rotation_then_fixed() {
    let rotations = [
        rotation_for("commander", &["alice", "dave"], &[]),
        rotation_for("operations", &["olga", "oscar"], &["checkout-api"]),
    ];
    let fixed = FixedOnCall(BTreeMap::from([
        (OnCallRole::Operations, user("fixed-ops")),
        (OnCallRole::DutyManager, user("boss")),
    ]));
    let overrides = [Override {
        role: OnCallRole::Commander,
        user: user("carol"),
        from: utc("2026-11-03T00:00:00Z"),
        until: utc("2026-11-04T00:00:00Z"),
    }];
    // (now, service, role, holder, source, next)
    let cases = [
        (
            "2026-11-02T12:00:00Z",
            None,
            OnCallRole::Commander,
            Some("alice"),
            Some(OnCallSource::Rotation { rotation: 0 }),
            Some(("2026-11-09T01:00:00Z", Some("dave"))),
        ),
        (
            "2026-11-03T00:00:00Z",
            None,
            OnCallRole::Commander,
            Some("carol"),
            Some(OnCallSource::Override),
            Some(("2026-11-04T00:00:00Z", Some("alice"))),
        ),
        (
            "2026-11-04T00:00:00Z",
            None,
            OnCallRole::Commander,
            Some("alice"),
            Some(OnCallSource::Rotation { rotation: 0 }),
            Some(("2026-11-09T01:00:00Z", Some("dave"))),
        ),
        (
            "2026-11-02T12:00:00Z",
            Some("checkout-api"),
            OnCallRole::Operations,
            Some("olga"),
            Some(OnCallSource::Rotation { rotation: 1 }),
            Some(("2026-11-09T01:00:00Z", Some("oscar"))),
        ),
        (
            "2026-11-02T12:00:00Z",
            Some("search"),
            OnCallRole::Operations,
            Some("fixed-ops"),
            Some(OnCallSource::Fixed),
            None,
        ),
        (
            "2026-11-02T12:00:00Z",
            None,
            OnCallRole::Operations,
            Some("fixed-ops"),
            Some(OnCallSource::Fixed),
            None,
        ),
        (
            "2026-11-02T12:00:00Z",
            None,
            OnCallRole::DutyManager,
            Some("boss"),
            Some(OnCallSource::Fixed),
            None,
        ),
        (
            "2026-11-02T12:00:00Z",
            None,
            OnCallRole::Communications,
            None,
            None,
            None,
        ),
        (
            "2026-11-01T12:00:00Z",
            None,
            OnCallRole::Commander,
            None,
            None,
            None,
        ),
    ];
    for (now, service, role, holder, source, next) in cases {
        let answer = on_call_at(&rotations, &overrides, &fixed, service, utc(now));
        let held = answer.roles.iter().find(|held| held.role == role);
        let label = format!("{now} {service:?} {role:?}");
        assert_eq!(held.map(|h| h.holder.clone()), holder.map(user), "{label}");
        assert_eq!(answer.holder(role).cloned(), holder.map(user), "{label}");
        assert_eq!(held.map(|h| h.source.clone()), source, "{label}");
        let expected_next = next.map(|(at, to)| NextHandoff {
            at: utc(at),
            to: to.map(user),
        });
        assert_eq!(held.and_then(|h| h.next.clone()), expected_next, "{label}");
    }
}

#[test]
fn later_override_wins_and_hands_back_to_the_earlier() {
    let rotations = [rotation_for("commander", &["alice", "dave"], &[])];
    let overrides = [
        Override {
            role: OnCallRole::Commander,
            user: user("carol"),
            from: utc("2026-11-03T00:00:00Z"),
            until: utc("2026-11-06T00:00:00Z"),
        },
        Override {
            role: OnCallRole::Commander,
            user: user("erin"),
            from: utc("2026-11-04T00:00:00Z"),
            until: utc("2026-11-05T00:00:00Z"),
        },
    ];
    let at = |now: &str| {
        on_call_at(
            &rotations,
            &overrides,
            &FixedOnCall::default(),
            None,
            utc(now),
        )
    };
    let during = at("2026-11-04T12:00:00Z");
    assert_eq!(during.holder(OnCallRole::Commander), Some(&user("erin")));
    assert_eq!(
        during.roles[0].next,
        Some(NextHandoff {
            at: utc("2026-11-05T00:00:00Z"),
            to: Some(user("carol"))
        })
    );
    assert_eq!(
        at("2026-11-05T00:00:00Z").holder(OnCallRole::Commander),
        Some(&user("carol"))
    );
    assert_eq!(
        at("2026-11-06T00:00:00Z").holder(OnCallRole::Commander),
        Some(&user("alice"))
    );
}

#[test]
fn set_validation_names_both_keys() {
    let fixed = FixedOnCall(BTreeMap::from([(OnCallRole::Commander, user("boss"))]));
    let cases: Vec<(&str, Vec<Rotation>, Vec<&str>)> = vec![
        (
            "rotation and fixed",
            vec![rotation_for("commander", &["a"], &[])],
            vec!["rotations[0].role"],
        ),
        (
            "distinct roles",
            vec![rotation_for("operations", &["a"], &[])],
            vec![],
        ),
        (
            // The [oncall] holder covers the services the rotation does not name.
            "per-service rotation and fixed",
            vec![rotation_for("commander", &["a"], &["checkout-api"])],
            vec![],
        ),
        (
            "two general rotations",
            vec![
                rotation_for("operations", &["a"], &[]),
                rotation_for("operations", &["b"], &[]),
            ],
            vec!["rotations[1].services"],
        ),
        (
            "shared service",
            vec![
                rotation_for("operations", &["a"], &["api", "db"]),
                rotation_for("operations", &["b"], &["db"]),
            ],
            vec!["rotations[1].services"],
        ),
        (
            "general and per service",
            vec![
                rotation_for("operations", &["a"], &[]),
                rotation_for("operations", &["b"], &["db"]),
            ],
            vec![],
        ),
    ];
    for (name, rotations, fields) in cases {
        let problems = validate_rotation_set(&rotations, &fixed);
        let got: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(got, fields, "{name}");
    }
    let problems = validate_rotation_set(&[rotation_for("commander", &["a"], &[])], &fixed);
    assert!(
        problems[0].message.contains("oncall.commander"),
        "{}",
        problems[0].message
    );
    let scoped = [rotation_for("commander", &["a"], &["checkout-api"])];
    let book = OnCallBook {
        rotations: std::sync::Arc::new(scoped.to_vec()),
        fixed: fixed.clone(),
        ..OnCallBook::default()
    };
    let now = "2026-11-10T00:00:00Z".parse().unwrap();
    assert_eq!(
        book.roles(Some("checkout-api"), now).commander,
        Some(user("a"))
    );
    assert_eq!(
        book.roles(Some("payments"), now).commander,
        Some(user("boss"))
    );
    assert_eq!(book.roles(None, now).commander, Some(user("boss")));
}

#[test]
fn role_words_round_trip() {
    for role in OnCallRole::ALL {
        assert_eq!(OnCallRole::parse(role.as_str()), Some(role));
    }
    assert_eq!(OnCallRole::parse("ops"), Some(OnCallRole::Operations));
    assert_eq!(OnCallRole::parse("janitor"), None);
}

#[test]
fn every_role_parser_reads_the_same_words() {
    use crate::domain::access::PersonRole;
    use crate::domain::command::ONCALL_ROLE_CHOICES;
    use crate::domain::incident::IncidentRole;
    // (word as typed, the on-call role it names or None)
    let cases = [
        ("commander", Some(OnCallRole::Commander)),
        ("IC", Some(OnCallRole::Commander)),
        ("incident-commander", Some(OnCallRole::Commander)),
        ("comms", Some(OnCallRole::Communications)),
        (" Communications ", Some(OnCallRole::Communications)),
        ("ops", Some(OnCallRole::Operations)),
        ("Operation", Some(OnCallRole::Operations)),
        ("duty_manager", Some(OnCallRole::DutyManager)),
        ("Duty-Manager", Some(OnCallRole::DutyManager)),
        ("dm", Some(OnCallRole::DutyManager)),
        ("janitor", None),
        ("", None),
    ];
    let person = |role: OnCallRole| match role {
        OnCallRole::Commander => PersonRole::Commander,
        OnCallRole::Communications => PersonRole::Communications,
        OnCallRole::Operations => PersonRole::Operations,
        OnCallRole::DutyManager => PersonRole::DutyManager,
    };
    for (word, role) in cases {
        assert_eq!(OnCallRole::parse(word), role, "{word:?}");
        assert_eq!(PersonRole::parse(word), role.map(person), "{word:?}");
        assert_eq!(
            IncidentRole::parse(word),
            role.and_then(OnCallRole::incident_role),
            "{word:?}"
        );
    }
    assert_eq!(PersonRole::parse(" Viewer"), Some(PersonRole::Viewer));
    assert_eq!(PersonRole::parse("responder"), Some(PersonRole::Responder));
    assert_eq!(OnCallRole::parse("viewer"), None);
    let words: Vec<&str> = OnCallRole::ALL.iter().map(|role| role.as_str()).collect();
    assert_eq!(ONCALL_ROLE_CHOICES, words.as_slice());
}

#[test]
fn holder_at_gives_up_past_the_counting_bound() {
    // Hourly since 2000: about 230,000 hand-offs by 2026, past MAX_COUNTED_HANDOFFS.
    let hourly = rotation("0 0 * * * *", "Asia/Shanghai", "2000-01-01T00:00:00+08:00");
    assert_eq!(hourly.holder_at(utc("2026-01-01T00:00:00Z")), None);
    assert!(
        hourly.holder_at(utc("2010-01-01T00:00:00Z")).is_some(),
        "about 87,700 hand-offs"
    );
}

#[test]
fn parse_until_takes_durations_local_times_and_rfc3339_and_names_bad_ones() {
    let now = utc("2026-11-21T10:00:00Z");
    let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    type Case = (&'static str, Tz, Result<DateTime<Utc>, UntilError>);
    let cases: Vec<Case> = vec![
        ("4h", shanghai, Ok(utc("2026-11-21T14:00:00Z"))),
        (" 30m ", shanghai, Ok(utc("2026-11-21T10:30:00Z"))),
        (
            "2026-11-22 09:00",
            shanghai,
            Ok(utc("2026-11-22T01:00:00Z")),
        ),
        ("2026-11-22T09:00", berlin, Ok(utc("2026-11-22T08:00:00Z"))),
        // A clock time alone is its next occurrence, as for task due times.
        ("18:30", shanghai, Ok(utc("2026-11-21T10:30:00Z"))),
        ("09:00", shanghai, Ok(utc("2026-11-22T01:00:00Z"))),
        (
            "2026-11-22T09:00:00+08:00",
            berlin,
            Ok(utc("2026-11-22T01:00:00Z")),
        ),
        (
            "tomorrow",
            shanghai,
            Err(UntilError::NotATime("tomorrow".into())),
        ),
        (
            "2026-11-21 08:00",
            shanghai,
            Err(UntilError::InPast("2026-11-21 08:00".into())),
        ),
        ("0s", shanghai, Err(UntilError::InPast("0s".into()))),
        ("31days", shanghai, Err(UntilError::TooFar("31days".into()))),
    ];
    for (text, zone, expected) in cases {
        assert_eq!(parse_until(text, zone, now), expected, "{text}");
    }
    // In a skipped local hour (Berlin, 2027-03-28 02:30) the override ends where the gap
    // does, as hand-offs do.
    let spring = utc("2027-03-27T12:00:00Z");
    assert_eq!(
        parse_until("2027-03-28 02:30", berlin, spring),
        Ok(utc("2027-03-28T01:00:00Z"))
    );
}

fn book(
    rotations: Vec<Rotation>,
    overrides: Vec<Override>,
    fixed: &[(OnCallRole, &str)],
) -> OnCallBook {
    OnCallBook {
        rotations: std::sync::Arc::new(rotations),
        fixed: FixedOnCall(
            fixed
                .iter()
                .map(|(role, name)| (*role, user(name)))
                .collect(),
        ),
        overrides: std::sync::Arc::new(overrides),
    }
}

#[test]
fn next_change_is_the_earliest_handoff_start_or_override_boundary() {
    // Mondays 09:00 Shanghai (01:00 UTC); 2026-11-21 is a Saturday.
    let weekly = rotation(
        "0 0 9 * * Mon",
        "Asia/Shanghai",
        "2026-11-02T09:00:00+08:00",
    );
    let later_start = rotation(
        "0 0 9 * * Mon",
        "Asia/Shanghai",
        "2026-12-07T09:00:00+08:00",
    );
    let now = utc("2026-11-21T10:00:00Z");
    let cover = |from: &str, until: &str| Override {
        role: OnCallRole::Operations,
        user: user("zoe"),
        from: utc(from),
        until: utc(until),
    };
    let cases: Vec<(&str, OnCallBook, Option<DateTime<Utc>>)> = vec![
        (
            "fixed only: nothing changes",
            book(vec![], vec![], &[(OnCallRole::Commander, "alice")]),
            None,
        ),
        (
            "the rotation's next Monday",
            book(vec![weekly.clone()], vec![], &[]),
            Some(utc("2026-11-23T01:00:00Z")),
        ),
        (
            "a rotation not started yet starts",
            book(vec![later_start], vec![], &[]),
            Some(utc("2026-12-07T01:00:00Z")),
        ),
        (
            "an override ending before the hand-off",
            book(
                vec![weekly.clone()],
                vec![cover("2026-11-21T09:00:00Z", "2026-11-21T14:00:00Z")],
                &[],
            ),
            Some(utc("2026-11-21T14:00:00Z")),
        ),
        (
            "an override starting later",
            book(
                vec![weekly.clone()],
                vec![cover("2026-11-22T00:00:00Z", "2026-11-24T00:00:00Z")],
                &[],
            ),
            Some(utc("2026-11-22T00:00:00Z")),
        ),
        (
            "an ended override counts for nothing",
            book(
                vec![weekly],
                vec![cover("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z")],
                &[],
            ),
            Some(utc("2026-11-23T01:00:00Z")),
        ),
    ];
    for (name, book, expected) in cases {
        assert_eq!(book.next_change_after(now), expected, "{name}");
    }
}

#[test]
fn changes_between_name_the_roles_whose_holder_changed() {
    let weekly = rotation(
        "0 0 9 * * Mon",
        "Asia/Shanghai",
        "2026-11-02T09:00:00+08:00",
    );
    let scoped = rotation_for("operations", &["olga", "oscar"], &["checkout-api"]);
    let handoff = utc("2026-11-23T01:00:00Z");
    let before = handoff - Duration::milliseconds(1);
    let cover = Override {
        role: OnCallRole::DutyManager,
        user: user("dora"),
        from: utc("2026-11-20T00:00:00Z"),
        until: handoff,
    };
    let book = book(
        vec![weekly, scoped],
        vec![cover],
        &[(OnCallRole::Operations, "bob")],
    );
    let changes = book.changes_between(before, handoff);
    // The commander rotation's third hand-off since start wraps to a; the override on the
    // duty manager ended with nobody after it; operations for every service is fixed, so
    // only the checkout-api rotation (olga → oscar) changed there.
    assert_eq!(
        changes,
        vec![
            HandoffChange {
                role: OnCallRole::Commander,
                services: vec![],
                holder: Some(user("a")),
            },
            HandoffChange {
                role: OnCallRole::DutyManager,
                services: vec![],
                holder: None,
            },
            HandoffChange {
                role: OnCallRole::Operations,
                services: vec!["checkout-api".to_owned()],
                holder: Some(user("oscar")),
            },
        ]
    );
    // Nothing changes between two instants of one shift.
    assert!(
        book.changes_between(handoff, handoff + Duration::hours(1))
            .is_empty()
    );
}

#[test]
fn with_override_replaces_the_same_start_and_drops_the_ended() {
    let now = utc("2026-11-21T10:00:00Z");
    let entry = |who: &str, from: &str, until: &str| Override {
        role: OnCallRole::Commander,
        user: user(who),
        from: utc(from),
        until: utc(until),
    };
    let ended = entry("old", "2026-11-20T00:00:00Z", "2026-11-21T09:00:00Z");
    let running = entry("run", "2026-11-21T08:00:00Z", "2026-11-21T12:00:00Z");
    let same_start = entry("first", "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z");
    let base = book(
        vec![],
        vec![ended.clone(), running.clone(), same_start],
        &[],
    );
    assert_eq!(base.ended_overrides(now), vec![ended]);
    let replaced = entry("second", "2026-11-21T10:00:00Z", "2026-11-21T13:00:00Z");
    let next = base.with_override(replaced.clone(), now);
    assert_eq!(next.overrides.as_ref(), &vec![running.clone(), replaced]);
    assert_eq!(
        next.at(None, now).holder(OnCallRole::Commander),
        Some(&user("second"))
    );
    assert_eq!(base.without_ended(now).overrides.len(), 2);
}

#[test]
fn bare_oncall_is_show_and_override_takes_role_user_and_until() {
    use crate::domain::command::Command;
    use crate::domain::command_text::parse_typed;
    assert_eq!(parse_typed("/oncall"), Ok(Command::OnCall));
    assert_eq!(parse_typed("/oncall show"), Ok(Command::OnCall));
    assert_eq!(
        parse_typed("/oncall override commander @dave 4h"),
        Ok(Command::OnCallOverride {
            role: OnCallRole::Commander,
            user: user("dave"),
            until: "4h".to_owned(),
        })
    );
}
