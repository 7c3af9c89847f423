use super::*;
use crate::domain::decide::tests::at;

fn incident() -> IncidentId {
    IncidentId::parse("INC-20261121-001").unwrap()
}

fn step(after: &str, notify: &[&str], repeat: u32) -> RawEscalationStep {
    RawEscalationStep {
        after: after.to_owned(),
        notify: notify.iter().map(|role| (*role).to_owned()).collect(),
        repeat,
        ..RawEscalationStep::default()
    }
}

/// The example: sev1, direct messages at 5m, then `@here` and a page at 15m twice more.
fn sev1_policy() -> EscalationPolicy {
    let raw = RawEscalationPolicy {
        severity: vec!["sev1".to_owned()],
        steps: vec![
            RawEscalationStep {
                direct: true,
                ..step("5m", &["commander", "operations", "duty_manager"], 0)
            },
            RawEscalationStep {
                here: true,
                page: true,
                ..step("15m", &["duty_manager"], 2)
            },
        ],
    };
    parse_policies(&[raw]).unwrap().remove(0)
}

fn quiet(zone: &str, from: &str, to: &str, severities: &[&str]) -> QuietHours {
    parse_quiet_hours(&RawQuietHours {
        time_zone: zone.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        severities: severities.iter().map(|s| (*s).to_owned()).collect(),
    })
    .unwrap()
}

fn fields(problems: Vec<EscalationProblem>) -> Vec<String> {
    problems.into_iter().map(|problem| problem.field).collect()
}

#[test]
fn the_example_policy_parses() {
    let policy = sev1_policy();
    assert_eq!(policy.severities, BTreeSet::from([Severity::Sev1]));
    assert_eq!(policy.steps.len(), 2);
    assert_eq!(policy.steps[0].after, Duration::minutes(5));
    assert_eq!(
        policy.steps[0].notify,
        vec![
            PersonRole::Commander,
            PersonRole::Operations,
            PersonRole::DutyManager
        ]
    );
    assert!(policy.steps[0].direct && !policy.steps[0].page);
    assert!(policy.steps[1].here && policy.steps[1].page);
    assert_eq!(policy.steps[1].repeat, 2);
}

#[test]
fn bad_policies_name_each_field() {
    let sev1 = vec!["sev1".to_owned()];
    // (policy, fields named by the problems)
    let cases: Vec<(RawEscalationPolicy, Vec<&str>)> = vec![
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("5m", &[], 0)],
            },
            vec!["escalation[0].steps[0].notify"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("5m", &["commandr"], 0)],
            },
            vec!["escalation[0].steps[0].notify"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("5m", &["viewer"], 0)],
            },
            vec!["escalation[0].steps[0].notify"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("5m", &["commander", "commander"], 0)],
            },
            vec!["escalation[0].steps[0].notify"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("5m", &["commander"], 11)],
            },
            vec!["escalation[0].steps[0].repeat"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("30s", &["commander"], 0)],
            },
            vec!["escalation[0].steps[0].after"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("8d", &["commander"], 0)],
            },
            vec!["escalation[0].steps[0].after"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![step("soon", &["commander"], 0)],
            },
            vec!["escalation[0].steps[0].after"],
        ),
        (
            RawEscalationPolicy {
                severity: sev1.clone(),
                steps: vec![
                    step("15m", &["commander"], 0),
                    step("5m", &["commander"], 0),
                ],
            },
            vec!["escalation[0].steps[1].after"],
        ),
        (
            RawEscalationPolicy {
                severity: vec!["sev9".to_owned()],
                steps: vec![step("5m", &["commander"], 0)],
            },
            vec!["escalation[0].severity"],
        ),
        (
            RawEscalationPolicy {
                severity: Vec::new(),
                steps: Vec::new(),
            },
            vec!["escalation[0].severity", "escalation[0].steps"],
        ),
    ];
    for (raw, expected) in cases {
        let label = format!("{raw:?}");
        let problems = parse_policies(&[raw]).expect_err(&label);
        assert_eq!(fields(problems), expected, "{label}");
    }
    // The bounds themselves are allowed.
    let edges = RawEscalationPolicy {
        severity: sev1.clone(),
        steps: vec![
            step("1m", &["commander"], 0),
            step("7d", &["commander"], 10),
        ],
    };
    assert!(parse_policies(&[edges]).is_ok());
}

#[test]
fn a_severity_belongs_to_one_policy_only() {
    let policy = |words: &[&str]| RawEscalationPolicy {
        severity: words.iter().map(|w| (*w).to_owned()).collect(),
        steps: vec![step("5m", &["commander"], 0)],
    };
    let problems = parse_policies(&[policy(&["sev1", "sev2"]), policy(&["sev2"])]).unwrap_err();
    assert_eq!(fields(problems), vec!["escalation[1].severity"]);
    let policies = parse_policies(&[policy(&["sev1"]), policy(&["sev2", "sev3"])]).unwrap();
    assert_eq!(policy_for(&policies, Severity::Sev3), Some(&policies[1]));
    assert_eq!(policy_for(&policies, Severity::Sev4), None);
}

#[test]
fn bad_quiet_hours_name_each_field() {
    let raw = |zone: &str, from: &str, to: &str, severity: &str| RawQuietHours {
        time_zone: zone.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        severities: vec![severity.to_owned()],
    };
    // (quiet hours, fields named by the problems)
    let cases = [
        (
            raw("Asia/Shanghai", "22:00", "22:00", "sev3"),
            vec!["quiet_hours.to"],
        ),
        (
            raw("Mars/Olympus", "22:00", "08:00", "sev3"),
            vec!["quiet_hours.time_zone"],
        ),
        (
            raw("Asia/Shanghai", "25:00", "8 am", "sev3"),
            vec!["quiet_hours.from", "quiet_hours.to"],
        ),
        (
            raw("Asia/Shanghai", "22:00", "08:00", "urgent"),
            vec!["quiet_hours.severities"],
        ),
    ];
    for (raw, expected) in cases {
        let label = format!("{raw:?}");
        let problems = parse_quiet_hours(&raw).expect_err(&label);
        assert_eq!(fields(problems), expected, "{label}");
    }
}

#[test]
fn opening_plans_the_first_firing_of_every_step() {
    let opened = at("2026-11-21T10:00:00Z");
    let planned = plan_on_open(&sev1_policy(), incident(), opened);
    let got: Vec<(&str, DateTime<Utc>, u32, u32)> = planned
        .iter()
        .map(|p| (p.key.as_str(), p.due, p.step, p.repeat_index))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "escalation:INC-20261121-001:1",
                at("2026-11-21T10:05:00Z"),
                1,
                0
            ),
            (
                "escalation:INC-20261121-001:2",
                at("2026-11-21T10:15:00Z"),
                2,
                0
            ),
        ]
    );
}

/// Repeats are set one at a time, each one `after` from the firing before it: on time they
/// fall at 15m, 30m and 45m; after downtime the step fires once and re-arms from now, and
/// the largest repeat count config allows still ends.
#[test]
fn each_firing_sets_the_next_repeat_until_the_last() {
    use IncidentState::Triggered;
    let policy = sev1_policy();
    let opened = at("2026-11-21T10:00:00Z");
    let mut due = opened + Duration::minutes(15);
    let mut fired = Vec::new();
    let mut repeat_index = 0;
    while let Some(action) = decide_step(
        &policy,
        incident(),
        2,
        repeat_index,
        Triggered,
        Severity::Sev1,
        due,
        None,
    ) {
        fired.push(due);
        match action.next {
            Some(next) => {
                assert_eq!(next.key, step_key(incident(), 2));
                assert_eq!(next.repeat_index, repeat_index + 1);
                due = next.due;
                repeat_index = next.repeat_index;
            }
            None => break,
        }
    }
    assert_eq!(
        fired,
        vec![
            at("2026-11-21T10:15:00Z"),
            at("2026-11-21T10:30:00Z"),
            at("2026-11-21T10:45:00Z")
        ]
    );
    // Two hours late: one firing, the next one `after` from now.
    let late = at("2026-11-21T12:00:00Z");
    let action = decide_step(
        &policy,
        incident(),
        2,
        0,
        Triggered,
        Severity::Sev1,
        late,
        None,
    )
    .expect("fires");
    assert_eq!(
        action.next.map(|next| next.due),
        Some(late + Duration::minutes(15))
    );
    let most = RawEscalationPolicy {
        severity: vec!["sev1".to_owned()],
        steps: vec![step("1m", &["commander"], MAX_REPEAT)],
    };
    let most = parse_policies(&[most]).unwrap().remove(0);
    let last = decide_step(
        &most,
        incident(),
        1,
        MAX_REPEAT,
        Triggered,
        Severity::Sev1,
        late,
        None,
    )
    .expect("the last repeat fires");
    assert_eq!(last.next, None);
}

#[test]
fn keys_share_the_incident_prefix() {
    let prefix = key_prefix(incident());
    assert!(step_key(incident(), 2).starts_with(&prefix));
    assert!(held_key(incident(), 3).starts_with(&prefix));
    assert!(held_key(incident(), 3).ends_with(":held"));
}

#[test]
fn transitions_stop_and_restart_escalation() {
    use IncidentState::*;
    let policy = sev1_policy();
    let now = at("2026-11-21T11:00:00Z");
    let all_keys: Vec<String> = vec![
        step_key(incident(), 1),
        held_key(incident(), 1),
        step_key(incident(), 2),
        held_key(incident(), 2),
    ];
    // (from, to, cancels everything, plans again from now)
    let cases = [
        (Triggered, Acknowledged, true, false),
        (Triggered, Mitigated, true, false),
        (Triggered, Resolved, true, false),
        (Triggered, Closed, true, false),
        (Acknowledged, Mitigated, false, false),
        (Acknowledged, Resolved, false, false),
        (Resolved, Closed, false, false),
        (Resolved, Triggered, false, true),
        (Closed, Triggered, false, true),
        (Acknowledged, Triggered, false, true),
    ];
    for (from, to, cancels, plans) in cases {
        let change = on_transition(Some(&policy), incident(), from, to, now);
        let label = format!("{from:?} -> {to:?}");
        let expected_cancel = if cancels {
            all_keys.clone()
        } else {
            Vec::new()
        };
        assert_eq!(change.cancel, expected_cancel, "{label}");
        if plans {
            assert_eq!(
                change.plan,
                plan_on_open(&policy, incident(), now),
                "{label}"
            );
            assert_eq!(change.plan[0].due, now + Duration::minutes(5), "{label}");
        } else {
            assert!(change.plan.is_empty(), "{label}");
        }
    }
    // No policy for the severity: nothing to plan, nothing known to cancel.
    assert_eq!(
        on_transition(None, incident(), Resolved, Triggered, now),
        EscalationChange::default()
    );
}

#[test]
fn a_due_step_fires_only_while_triggered_and_only_if_configured() {
    use IncidentState::*;
    let policy = sev1_policy();
    let now = at("2026-11-21T10:15:00Z");
    // (step, repeat, state, fires)
    let cases = [
        (1, 0, Triggered, true),
        (2, 0, Triggered, true),
        (2, 2, Triggered, true),
        (2, 3, Triggered, false),
        (3, 0, Triggered, false),
        (0, 0, Triggered, false),
        (1, 0, Acknowledged, false),
        (2, 1, Mitigated, false),
        (2, 1, Resolved, false),
        (1, 0, Closed, false),
    ];
    for (step, repeat, state, fires) in cases {
        let action = decide_step(
            &policy,
            incident(),
            step,
            repeat,
            state,
            Severity::Sev1,
            now,
            None,
        );
        assert_eq!(
            action.is_some(),
            fires,
            "step {step} repeat {repeat} {state:?}"
        );
    }
    let action = decide_step(
        &policy,
        incident(),
        2,
        1,
        Triggered,
        Severity::Sev1,
        now,
        None,
    )
    .unwrap();
    assert_eq!(
        action,
        StepAction {
            step: 2,
            repeat_index: 1,
            notify: vec![PersonRole::DutyManager],
            direct: false,
            here: true,
            page: true,
            delayed_until: None,
            next: Some(PlannedStep {
                key: step_key(incident(), 2),
                due: now + Duration::minutes(15),
                step: 2,
                repeat_index: 2,
            }),
        }
    );
}

#[test]
fn quiet_hours_hold_direct_messages_and_pages_for_their_severities() {
    use IncidentState::Triggered;
    let mut policy = sev1_policy();
    policy.severities.insert(Severity::Sev3);
    let mut mention_only = policy.steps[1].clone();
    mention_only.page = false;
    policy.steps.push(EscalationStep {
        after: Duration::minutes(30),
        ..mention_only
    });
    let night = quiet("Asia/Shanghai", "22:00", "08:00", &["sev3", "sev4"]);
    // 23:00 in Shanghai; quiet hours end at 08:00 local, 00:00 UTC.
    let now = at("2026-12-01T15:00:00Z");
    let morning = at("2026-12-02T00:00:00Z");
    // (step, severity, held until)
    let cases = [
        (1, Severity::Sev3, Some(morning)),
        (2, Severity::Sev3, Some(morning)),
        (3, Severity::Sev3, None),
        (1, Severity::Sev1, None),
        (2, Severity::Sev1, None),
    ];
    for (step, severity, held) in cases {
        let action = decide_step(
            &policy,
            incident(),
            step,
            0,
            Triggered,
            severity,
            now,
            Some(&night),
        )
        .unwrap();
        assert_eq!(action.delayed_until, held, "step {step} {severity}");
    }
}

#[test]
fn quiet_hours_windows_by_zone_and_dst() {
    let shanghai = quiet("Asia/Shanghai", "22:00", "08:00", &["sev3"]);
    let berlin_night = quiet("Europe/Berlin", "22:00", "02:30", &["sev3"]);
    let new_york_early = quiet("America/New_York", "01:00", "02:15", &["sev3"]);
    // (quiet hours, now, severity, quiet until)
    let cases = [
        // No DST; the window crosses midnight.
        (&shanghai, "2026-12-01T13:59:00Z", Severity::Sev3, None),
        (
            &shanghai,
            "2026-12-01T14:00:00Z",
            Severity::Sev3,
            Some("2026-12-02T00:00:00Z"),
        ),
        (
            &shanghai,
            "2026-12-01T23:30:00Z",
            Severity::Sev3,
            Some("2026-12-02T00:00:00Z"),
        ),
        (&shanghai, "2026-12-02T00:00:00Z", Severity::Sev3, None),
        (&shanghai, "2026-12-01T15:00:00Z", Severity::Sev2, None),
        // Berlin springs forward 02:00 -> 03:00 on 2026-03-29: 02:30 does not exist, so the
        // window ends at the end of the gap, 03:00 CEST (01:00 UTC).
        (
            &berlin_night,
            "2026-03-28T23:00:00Z",
            Severity::Sev3,
            Some("2026-03-29T01:00:00Z"),
        ),
        // Berlin falls back 03:00 -> 02:00 on 2026-10-25: 02:30 happens twice; the window
        // ends at the first (00:30 UTC), and the second pass through 02:10 is not quiet.
        (
            &berlin_night,
            "2026-10-24T22:00:00Z",
            Severity::Sev3,
            Some("2026-10-25T00:30:00Z"),
        ),
        (&berlin_night, "2026-10-25T01:10:00Z", Severity::Sev3, None),
        // An ordinary Berlin night in winter (CET, UTC+1).
        (
            &berlin_night,
            "2026-12-01T21:30:00Z",
            Severity::Sev3,
            Some("2026-12-02T01:30:00Z"),
        ),
        // New York springs forward 02:00 -> 03:00 on 2026-03-08: 02:15 falls in the gap, so
        // the window ends at 03:00 EDT (07:00 UTC).
        (
            &new_york_early,
            "2026-03-08T06:30:00Z",
            Severity::Sev3,
            Some("2026-03-08T07:00:00Z"),
        ),
        // Same window on an ordinary day (EST, UTC-5); it does not cross midnight.
        (
            &new_york_early,
            "2026-03-01T06:30:00Z",
            Severity::Sev3,
            Some("2026-03-01T07:15:00Z"),
        ),
        (
            &new_york_early,
            "2026-03-01T05:59:00Z",
            Severity::Sev3,
            None,
        ),
        (
            &new_york_early,
            "2026-03-01T07:15:00Z",
            Severity::Sev3,
            None,
        ),
    ];
    for (quiet, now, severity, until) in cases {
        assert_eq!(
            quiet_until(quiet, severity, at(now)),
            until.map(at),
            "{:?} {now} {severity}",
            quiet.time_zone
        );
    }
}

mod fire;
