//! A due step turned into posts, direct messages, a page, a timeline entry and deadlines.

use super::*;
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::decide::Decision;
use crate::domain::effect::Effect;
use crate::domain::ids::UserId;
use crate::domain::incident::{AlertCounts, Incident, Milestones, Roles};
use crate::domain::message::Arg;
use crate::domain::timeline::EntryKind;

fn user(name: &str) -> UserId {
    UserId(name.to_owned())
}

fn open_incident(severity: Severity, state: IncidentState) -> Incident {
    Incident {
        id: incident(),
        title: "checkout down".to_owned(),
        severity,
        state,
        service: None,
        group_key: None,
        room: None,
        card: None,
        roles: Roles::default(),
        alerts: AlertCounts::default(),
        opened_at: at("2026-12-01T10:00:00Z"),
        opened_by: "alertmanager".to_owned(),
        summary: None,
        description: None,
        generator_url: None,
        runbook_url: None,
        last_alert_at: None,
        milestones: Milestones::default(),
        timeline_len: 0,
        reactions_recorded: Default::default(),
    }
}

/// alice commands, bob operates, dora and dave are the duty managers; carol communicates.
fn callees(role: PersonRole) -> Vec<UserId> {
    match role {
        PersonRole::Commander => vec![user("alice")],
        PersonRole::Operations => vec![user("bob")],
        PersonRole::Communications => vec![user("carol")],
        PersonRole::DutyManager => vec![user("dora"), user("alice")],
        _ => Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn fire(
    policy: &EscalationPolicy,
    open: &Incident,
    step: u32,
    repeat_index: u32,
    held: bool,
    quiet: Option<&QuietHours>,
    now: DateTime<Utc>,
) -> Decision {
    let key = if held {
        held_key(open.id, step)
    } else {
        step_key(open.id, step)
    };
    let firing = EscalationFiring {
        policy,
        incident: open,
        key: &key,
        step,
        repeat_index,
        quiet,
        now,
    };
    if held {
        release_held(&firing, &callees)
    } else {
        fire_step(&firing, &callees)
    }
}

fn directs(decision: &Decision) -> Vec<(String, String)> {
    decision
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Direct { user, key, .. } => Some((user.0.clone(), key.clone())),
            _ => None,
        })
        .collect()
}

fn pages(decision: &Decision) -> Vec<(u32, u32, Vec<UserId>)> {
    decision
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Page {
                step,
                repeat_index,
                notify,
                ..
            } => Some((*step, *repeat_index, notify.clone())),
            _ => None,
        })
        .collect()
}

fn room_post(decision: &Decision) -> Option<&crate::domain::message::Msg> {
    decision.effects.iter().find_map(|effect| match effect {
        Effect::Notify { message, .. } => Some(message),
        _ => None,
    })
}

#[test]
fn step_one_calls_everyone_it_names_in_the_room_and_directly_once_each() {
    let open = open_incident(Severity::Sev1, IncidentState::Triggered);
    let now = at("2026-12-01T10:05:00Z");
    let decision = fire(&sev1_policy(), &open, 1, 0, false, None, now);
    let post = room_post(&decision).expect("a room post");
    assert_eq!(post.id, "notice-escalation");
    let called = vec![user("alice"), user("bob"), user("dora")];
    assert!(post.args.contains(&(
        "people".to_owned(),
        Arg::Calls {
            ids: called.clone()
        }
    )));
    assert_eq!(
        directs(&decision),
        vec![
            (
                "alice".to_owned(),
                "escalation:INC-20261121-001:1:0:alice".to_owned()
            ),
            (
                "bob".to_owned(),
                "escalation:INC-20261121-001:1:0:bob".to_owned()
            ),
            (
                "dora".to_owned(),
                "escalation:INC-20261121-001:1:0:dora".to_owned()
            ),
        ]
    );
    assert!(pages(&decision).is_empty());
    assert_eq!(
        decision.entries,
        vec![(
            crate::domain::ids::Actor::warroom(),
            EntryKind::EscalationStep {
                step: 1,
                repeat: 0,
                notified: called,
                how: vec!["room".to_owned(), "direct".to_owned()],
                held_until: None,
            }
        )]
    );
    // Step one does not repeat: its deadline only goes.
    assert_eq!(
        decision.deadlines,
        vec![DeadlineChange::Cancel {
            key: step_key(incident(), 1)
        }]
    );
}

#[test]
fn step_two_pages_with_here_and_sets_its_next_repeat() {
    let open = open_incident(Severity::Sev1, IncidentState::Triggered);
    let now = at("2026-12-01T10:15:00Z");
    let decision = fire(&sev1_policy(), &open, 2, 0, false, None, now);
    let post = room_post(&decision).unwrap();
    assert_eq!(post.id, "notice-escalation-here");
    assert!(post.args.contains(&("here".to_owned(), Arg::Here)));
    let quiet_step = fire(&sev1_policy(), &open, 1, 0, false, None, now);
    assert!(
        !room_post(&quiet_step)
            .unwrap()
            .args
            .iter()
            .any(|(_, arg)| *arg == Arg::Here),
        "only a step with `here` calls the room"
    );
    assert!(directs(&decision).is_empty());
    assert_eq!(
        pages(&decision),
        vec![(2, 0, vec![user("dora"), user("alice")])]
    );
    assert_eq!(
        decision.deadlines,
        vec![DeadlineChange::Set(Deadline {
            key: step_key(incident(), 2),
            due: now + Duration::minutes(15),
            kind: DeadlineKind::Escalation {
                incident: incident(),
                step: 2,
                repeat_index: 1,
                held: false,
            },
        })]
    );
}

#[test]
fn after_acknowledgement_a_due_step_or_held_message_only_goes_away() {
    let now = at("2026-12-01T10:15:00Z");
    for state in [
        IncidentState::Acknowledged,
        IncidentState::Mitigated,
        IncidentState::Resolved,
        IncidentState::Closed,
    ] {
        let open = open_incident(Severity::Sev1, state);
        for held in [false, true] {
            let decision = fire(&sev1_policy(), &open, 2, 0, held, None, now);
            assert!(decision.effects.is_empty(), "{state:?} held {held}");
            assert!(decision.entries.is_empty(), "{state:?} held {held}");
            assert_eq!(decision.deadlines.len(), 1, "{state:?} held {held}");
            assert!(matches!(
                decision.deadlines[0],
                DeadlineChange::Cancel { .. }
            ));
        }
    }
}

/// A sev3 at 23:00 Shanghai time: the room post goes out, the direct messages and the page
/// wait for 08:00 in a held deadline, and at 08:00 they go out once.
#[test]
fn quiet_hours_hold_direct_messages_and_pages_until_they_end() {
    let mut policy = sev1_policy();
    policy.severities.insert(Severity::Sev3);
    let night = quiet("Asia/Shanghai", "22:00", "08:00", &["sev3"]);
    let open = open_incident(Severity::Sev3, IncidentState::Triggered);
    let now = at("2026-12-01T15:00:00Z");
    let morning = at("2026-12-02T00:00:00Z");
    let decision = fire(&policy, &open, 2, 0, false, Some(&night), now);
    assert!(
        room_post(&decision).is_some(),
        "the room post still goes out"
    );
    assert!(pages(&decision).is_empty());
    assert!(directs(&decision).is_empty());
    assert!(decision.deadlines.contains(&DeadlineChange::Set(Deadline {
        key: held_key(incident(), 2),
        due: morning,
        kind: DeadlineKind::Escalation {
            incident: incident(),
            step: 2,
            repeat_index: 0,
            held: true,
        },
    })));
    let Some((_, EntryKind::EscalationStep { held_until, .. })) = decision.entries.first() else {
        panic!("an escalation entry: {:?}", decision.entries);
    };
    assert_eq!(*held_until, Some(morning));

    let released = fire(&policy, &open, 2, 0, true, Some(&night), morning);
    assert_eq!(
        pages(&released),
        vec![(2, 0, vec![user("dora"), user("alice")])]
    );
    assert!(room_post(&released).is_none(), "the room already heard");
    assert_eq!(
        released.deadlines,
        vec![DeadlineChange::Cancel {
            key: held_key(incident(), 2)
        }]
    );
    // The same step for a sev1 at the same hour is not held.
    let urgent = open_incident(Severity::Sev1, IncidentState::Triggered);
    let decision = fire(&policy, &urgent, 2, 0, false, Some(&night), now);
    assert_eq!(pages(&decision).len(), 1);
}

#[test]
fn a_step_whose_roles_nobody_holds_says_so() {
    let raw = RawEscalationPolicy {
        severity: vec!["sev1".to_owned()],
        steps: vec![step("5m", &["communications"], 0)],
    };
    let policy = parse_policies(&[raw]).unwrap().remove(0);
    let open = open_incident(Severity::Sev1, IncidentState::Triggered);
    let firing = EscalationFiring {
        policy: &policy,
        incident: &open,
        key: &step_key(open.id, 1),
        step: 1,
        repeat_index: 0,
        quiet: None,
        now: at("2026-12-01T10:05:00Z"),
    };
    let decision = fire_step(&firing, &|_| Vec::new());
    assert_eq!(room_post(&decision).unwrap().id, "notice-escalation-nobody");
    // A `here` step still calls the room when nobody holds its roles.
    let raw = RawEscalationPolicy {
        severity: vec!["sev1".to_owned()],
        steps: vec![RawEscalationStep {
            here: true,
            ..step("5m", &["communications"], 0)
        }],
    };
    let policy = parse_policies(&[raw]).unwrap().remove(0);
    let decision = fire_step(
        &EscalationFiring {
            policy: &policy,
            ..firing
        },
        &|_| Vec::new(),
    );
    let post = room_post(&decision).unwrap();
    assert_eq!(post.id, "notice-escalation-here-nobody");
    assert!(post.args.contains(&("here".to_owned(), Arg::Here)));
}
