use super::*;
use crate::domain::access::PersonRole;
use crate::domain::decide::tests::{at, id, person};
use crate::domain::incident::{AlertCounts, Milestones, Roles};
use crate::domain::message::Arg;
use crate::domain::severity::Severity;

const KEY: &str = "status_update:INC-20261121-001";

fn policy() -> Policy {
    Policy {
        status_updates: [
            (Severity::Sev1, Duration::minutes(30)),
            (Severity::Sev2, Duration::minutes(60)),
        ]
        .into_iter()
        .collect(),
        ..Policy::standard()
    }
}

fn incident(severity: Severity, state: IncidentState) -> Incident {
    Incident {
        id: id(1),
        title: "api down".to_owned(),
        severity,
        state,
        service: None,
        group_key: None,
        room: None,
        card: None,
        roles: Roles {
            commander: Some(UserId("alice".into())),
            communications: Some(UserId("carol".into())),
            ..Roles::default()
        },
        alerts: AlertCounts::default(),
        opened_at: at("2026-11-21T10:00:00Z"),
        opened_by: "alertmanager".to_owned(),
        summary: None,
        description: None,
        generator_url: None,
        runbook_url: None,
        last_alert_at: None,
        milestones: Milestones::default(),
        timeline_len: 4,
        reactions_recorded: Default::default(),
    }
}

fn armed(due: &str, sent: u32) -> DeadlineChange {
    DeadlineChange::Set(Deadline {
        key: KEY.to_owned(),
        due: at(due),
        kind: DeadlineKind::StatusUpdate {
            incident: id(1),
            sent,
        },
    })
}

fn removed() -> DeadlineChange {
    DeadlineChange::Cancel {
        key: KEY.to_owned(),
    }
}

fn users(names: &[&str]) -> Vec<UserId> {
    names
        .iter()
        .map(|name| UserId((*name).to_owned()))
        .collect()
}

#[test]
fn the_reminder_is_set_at_open_for_severities_with_an_interval_and_follows_the_state() {
    use IncidentState::*;
    let now = at("2026-11-21T10:00:00Z");
    let open_cases = [
        (
            Severity::Sev1,
            Triggered,
            vec![armed("2026-11-21T10:30:00Z", 0)],
        ),
        (
            Severity::Sev2,
            Triggered,
            vec![armed("2026-11-21T11:00:00Z", 0)],
        ),
        // No interval for sev3: no reminder.
        (Severity::Sev3, Triggered, vec![]),
        // Declared already resolved (never happens today) or closed: nothing to remind.
        (Severity::Sev1, Resolved, vec![]),
    ];
    for (severity, state, expected) in open_cases {
        assert_eq!(
            status_on_open(&policy(), &incident(severity, state), now),
            expected,
            "{severity} {state}"
        );
    }
    let transitions = [
        // An acknowledgement is no status update: the reminder keeps its time.
        (Triggered, Acknowledged, vec![]),
        (Acknowledged, Mitigated, vec![]),
        // Leaving the open states removes it.
        (Mitigated, Resolved, vec![removed()]),
        (Triggered, Resolved, vec![removed()]),
        (Resolved, Closed, vec![]),
        // A reopen starts a fresh series.
        (Resolved, Triggered, vec![armed("2026-11-21T10:30:00Z", 0)]),
        (Closed, Triggered, vec![armed("2026-11-21T10:30:00Z", 0)]),
    ];
    for (from, to, expected) in transitions {
        assert_eq!(
            status_on_transition(&policy(), &incident(Severity::Sev1, to), from, now),
            expected,
            "{from} → {to}"
        );
    }
    // Leaving the open states removes the reminder whatever the severity's interval is now
    // (it was set before a severity change)...
    assert_eq!(
        status_on_transition(
            &policy(),
            &incident(Severity::Sev4, Resolved),
            Triggered,
            now
        ),
        vec![removed()]
    );
    // ...but without [status_updates] at all, nothing is written: a reminder left from an
    // earlier config fires once and does nothing (status_due removes it).
    assert_eq!(
        status_on_transition(
            &Policy::standard(),
            &incident(Severity::Sev1, Resolved),
            Triggered,
            now
        ),
        vec![]
    );
    let left = status_due(
        &Policy::standard(),
        Some(&incident(Severity::Sev1, Resolved)),
        KEY,
        0,
        &[],
        &[],
        now,
    );
    assert!(left.entries.is_empty() && left.effects.is_empty());
    assert_eq!(left.deadlines, vec![removed()]);
}

#[test]
fn the_ladder_reminds_the_leads_then_tells_the_duty_manager_and_stops_at_the_maximum() {
    let leads = users(&["alice", "carol"]);
    let duty = users(&["dave"]);
    let open = incident(Severity::Sev1, IncidentState::Acknowledged);
    // (sent before, now, who is on the entry, duty manager told, the deadline after)
    let table = [
        (
            0,
            "2026-11-21T10:30:00Z",
            vec!["alice", "carol"],
            false,
            armed("2026-11-21T11:00:00Z", 1),
        ),
        (
            1,
            "2026-11-21T11:00:00Z",
            vec!["alice", "carol", "dave"],
            true,
            armed("2026-11-21T11:30:00Z", 2),
        ),
        // After downtime: one reminder, re-armed from now, nothing skipped or doubled.
        (
            1,
            "2026-11-21T15:07:00Z",
            vec!["alice", "carol", "dave"],
            true,
            armed("2026-11-21T15:37:00Z", 2),
        ),
        (
            2,
            "2026-11-21T11:30:00Z",
            vec!["alice", "carol", "dave"],
            true,
            removed(),
        ),
    ];
    for (sent, now, to, duty_manager, next) in table {
        let decision = status_due(&policy(), Some(&open), KEY, sent, &leads, &duty, at(now));
        assert_eq!(
            decision.entries,
            vec![(
                Actor::warroom(),
                EntryKind::StatusUpdateReminded {
                    number: sent + 1,
                    to: users(&to),
                    duty_manager,
                }
            )],
            "sent {sent}"
        );
        assert_eq!(decision.deadlines, vec![next], "sent {sent}");
        let Effect::Notify { message, .. } = &decision.effects[0] else {
            panic!("a room reminder first: {:?}", decision.effects);
        };
        assert_eq!(message.id, "notice-status-update-due");
        let calls: Vec<&UserId> = message
            .args
            .iter()
            .filter_map(|(_, arg)| match arg {
                Arg::Call { id } => Some(id),
                _ => None,
            })
            .collect();
        assert_eq!(
            calls,
            leads.iter().collect::<Vec<_>>(),
            "the leads are called in the room"
        );
        let directs: Vec<(&UserId, &str)> = decision
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Direct { user, key, .. } => Some((user, key.as_str())),
                _ => None,
            })
            .collect();
        if duty_manager {
            let key = format!("{KEY}:{}:{}:dave", sent + 1, at(now).timestamp_millis());
            assert_eq!(directs, vec![(&duty[0], key.as_str())]);
        } else {
            assert!(directs.is_empty(), "{directs:?}");
        }
    }
}

#[test]
fn a_due_reminder_is_removed_when_there_is_nothing_to_remind() {
    let now = at("2026-11-21T10:30:00Z");
    let leads = users(&["alice"]);
    let cases: [(Policy, Option<Incident>, u32); 5] = [
        (policy(), None, 0),
        (
            policy(),
            Some(incident(Severity::Sev1, IncidentState::Resolved)),
            0,
        ),
        (
            policy(),
            Some(incident(Severity::Sev1, IncidentState::Triggered)),
            MAX_STATUS_REMINDERS,
        ),
        // The severity went down to one without an interval, or the config dropped it.
        (
            policy(),
            Some(incident(Severity::Sev4, IncidentState::Triggered)),
            0,
        ),
        (
            Policy::standard(),
            Some(incident(Severity::Sev1, IncidentState::Triggered)),
            0,
        ),
    ];
    for (policy, incident, sent) in cases {
        let decision = status_due(&policy, incident.as_ref(), KEY, sent, &leads, &[], now);
        assert!(
            decision.entries.is_empty() && decision.effects.is_empty(),
            "{incident:?}"
        );
        assert_eq!(decision.deadlines, vec![removed()]);
    }
}

#[test]
fn the_room_reminder_calls_each_lead_once_and_says_so_when_nobody_holds_the_roles() {
    let open = incident(Severity::Sev1, IncidentState::Triggered);
    let now = at("2026-11-21T10:30:00Z");
    for (reminded, id) in [
        (users(&[]), "notice-status-update-due-nobody"),
        (users(&["alice"]), "notice-status-update-due-one"),
        (users(&["alice", "carol"]), "notice-status-update-due"),
    ] {
        let decision = status_due(&policy(), Some(&open), KEY, 0, &reminded, &[], now);
        let Effect::Notify { message, .. } = &decision.effects[0] else {
            panic!("{:?}", decision.effects);
        };
        assert_eq!(message.id, id);
    }
}

#[test]
fn an_update_is_recorded_posted_announced_and_restarts_the_reminder() {
    let now = at("2026-11-21T10:20:00Z");
    let responder = person("wang", &[PersonRole::Responder]);
    let open = incident(Severity::Sev1, IncidentState::Acknowledged);
    let decision = status_update(&policy(), &open, &responder, "  failover done  ", now).unwrap();
    assert_eq!(
        decision.entries,
        vec![(
            Actor::user(&responder.id),
            EntryKind::StatusUpdate {
                text: "failover done".to_owned()
            }
        )]
    );
    assert_eq!(decision.deadlines, vec![armed("2026-11-21T10:50:00Z", 0)]);
    assert!(
        matches!(&decision.effects[0], Effect::Notify { message, .. } if message.id == "notice-status-update")
    );
    assert!(matches!(
        &decision.effects[1],
        Effect::Announce { key, message } if key == "status:INC-20261121-001:5" && message.id == "announce-status-update"
    ));
    assert_eq!(
        decision.reply.map(|reply| reply.id).as_deref(),
        Some("reply-update-posted")
    );

    // A resolved incident may still say what happened; it has no reminder to restart.
    let resolved = incident(Severity::Sev1, IncidentState::Resolved);
    let decision =
        status_update(&policy(), &resolved, &responder, "root cause found", now).unwrap();
    assert!(decision.deadlines.is_empty());
    // A severity without an interval removes whatever reminder is left.
    let quiet = incident(Severity::Sev3, IncidentState::Triggered);
    let decision = status_update(&policy(), &quiet, &responder, "looking", now).unwrap();
    assert_eq!(decision.deadlines, vec![removed()]);
}

#[test]
fn an_update_is_refused_to_viewers_on_closed_incidents_and_when_empty_or_too_long() {
    let now = at("2026-11-21T10:20:00Z");
    let responder = person("wang", &[PersonRole::Responder]);
    let viewer = person("vic", &[PersonRole::Viewer]);
    let open = incident(Severity::Sev1, IncidentState::Triggered);
    let closed = incident(Severity::Sev1, IncidentState::Closed);
    let long = "x".repeat(MAX_NOTE_CHARS + 1);
    let cases: [(&Person, &Incident, &str, &str); 5] = [
        (&viewer, &open, "hello", "reply-not-allowed"),
        (&responder, &closed, "hello", "reply-incident-closed"),
        (&responder, &open, "   ", "reply-update-empty"),
        (&responder, &open, &long, "reply-update-too-long"),
        (&responder, &open, &long[..MAX_NOTE_CHARS], ""),
    ];
    for (who, incident, text, refusal) in cases {
        let result = status_update(&policy(), incident, who, text, now);
        match (result, refusal) {
            (Ok(_), "") => {}
            (Err(msg), expected) => assert_eq!(msg.id, expected, "{}", who.id),
            (Ok(_), expected) => panic!("{expected} expected for {}", who.id),
        }
    }
}

#[test]
fn a_severity_change_moves_the_reminder_to_the_new_interval_or_removes_it() {
    use IncidentState::*;
    let now = at("2026-11-21T10:20:00Z");
    let cases = [
        // Up from a severity without reminders: they start now.
        (
            Severity::Sev1,
            Acknowledged,
            policy(),
            vec![armed("2026-11-21T10:50:00Z", 0)],
        ),
        (
            Severity::Sev2,
            Triggered,
            policy(),
            vec![armed("2026-11-21T11:20:00Z", 0)],
        ),
        // Down to one without: the reminder goes.
        (Severity::Sev3, Triggered, policy(), vec![removed()]),
        // Not open, or no [status_updates] at all: nothing to do.
        (Severity::Sev1, Resolved, policy(), vec![]),
        (Severity::Sev1, Triggered, Policy::standard(), vec![]),
    ];
    for (severity, state, policy, expected) in cases {
        assert_eq!(
            status_on_severity_change(&policy, &incident(severity, state), now),
            expected,
            "{severity} {state}"
        );
    }
}
