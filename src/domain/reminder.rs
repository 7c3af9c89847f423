//! The acknowledgement reminder (`[incidents] ack_reminder`): an incident still triggered
//! after the interval gets a reminder in its room that calls its commander and operations
//! lead, again every interval, up to `ack_reminder_max` reminders in all. Leaving the
//! triggered state cancels it, in the same write as the transition.

use chrono::{DateTime, Duration, Utc};

use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind, ack_reminder_key};
use crate::domain::decide::{Applied, Policy};
use crate::domain::effect::Effect;
use crate::domain::ids::{Actor, UserId};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::message::Msg;
use crate::domain::timeline::EntryKind;

/// The reminder to arm when an incident opens triggered; `None` when reminders are off.
pub fn arm_on_open(
    policy: &Policy,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Option<DeadlineChange> {
    if incident.state != IncidentState::Triggered {
        return None;
    }
    arm(policy, incident, 0, now)
}

/// What a state change does to the reminder: leaving `triggered` cancels it, whatever the
/// config says now, so one armed under an earlier config goes too; coming back to
/// `triggered` (a reopen) arms a fresh series, since someone must acknowledge again.
pub fn on_transition(
    policy: &Policy,
    incident: &Incident,
    from: IncidentState,
    now: DateTime<Utc>,
) -> Option<DeadlineChange> {
    if from != IncidentState::Triggered && incident.state == IncidentState::Triggered {
        return arm(policy, incident, 0, now);
    }
    cancel_on_transition(incident, from)
}

/// Leaving `triggered` cancels the reminder, whatever the config says now, so one armed
/// under an earlier config goes too.
pub fn cancel_on_transition(incident: &Incident, from: IncidentState) -> Option<DeadlineChange> {
    (from == IncidentState::Triggered && incident.state != IncidentState::Triggered).then(|| {
        DeadlineChange::Cancel {
            key: ack_reminder_key(incident.id),
        }
    })
}

/// Decides a due reminder. `incident` is the incident as it is now (`None` if it is gone),
/// `sent` how many reminders went out before. A reminder goes out only for an incident still
/// triggered with reminders on and fewer than the maximum sent; it re-arms from `now` (so
/// after downtime it fires once, not once per missed interval) until the maximum is reached.
/// In every other case the deadline is removed.
pub fn decide_due(
    policy: &Policy,
    incident: Option<&Incident>,
    key: &str,
    sent: u32,
    now: DateTime<Utc>,
) -> Applied {
    let mut applied = Applied::default();
    let cancel = DeadlineChange::Cancel {
        key: key.to_owned(),
    };
    let (Some(incident), Some(interval)) = (incident, policy.ack_reminder) else {
        applied.deadlines.push(cancel);
        return applied;
    };
    let max = policy.ack_reminder_max;
    if incident.state != IncidentState::Triggered || sent >= max {
        applied.deadlines.push(cancel);
        return applied;
    }
    let number = sent + 1;
    applied.entry(&Actor::warroom(), EntryKind::AckReminder { number, max });
    applied.effects.push(Effect::Notify {
        incident: incident.id,
        message: reminder_message(incident, number, max, now),
    });
    applied.deadlines.push(if number < max {
        set(incident, interval, number, now)
    } else {
        cancel
    });
    applied
}

fn arm(
    policy: &Policy,
    incident: &Incident,
    sent: u32,
    now: DateTime<Utc>,
) -> Option<DeadlineChange> {
    let interval = policy.ack_reminder?;
    (policy.ack_reminder_max > sent).then(|| set(incident, interval, sent, now))
}

fn set(incident: &Incident, interval: Duration, sent: u32, now: DateTime<Utc>) -> DeadlineChange {
    DeadlineChange::Set(Deadline {
        key: ack_reminder_key(incident.id),
        due: now + interval,
        kind: DeadlineKind::AckReminder {
            incident: incident.id,
            sent,
        },
    })
}

/// The reminder calls exactly the commander and the operations lead (once if one person
/// holds both roles); with neither role held it says so instead of calling anyone.
fn reminder_message(incident: &Incident, number: u32, max: u32, now: DateTime<Utc>) -> Msg {
    let commander = incident.roles.commander.as_ref();
    let operations = incident.roles.operations.as_ref();
    let people: Vec<&UserId> = match (commander, operations) {
        (Some(commander), Some(operations)) if commander == operations => vec![commander],
        (commander, operations) => commander.into_iter().chain(operations).collect(),
    };
    let minutes = u64::try_from((now - incident.opened_at).num_minutes()).unwrap_or(0);
    let msg = match people.as_slice() {
        [] => Msg::new("notice-ack-reminder-nobody"),
        [one] => Msg::new("notice-ack-reminder-one").call("user", one),
        [commander, operations, ..] => Msg::new("notice-ack-reminder")
            .call("commander", commander)
            .call("operations", operations),
    };
    msg.word("incident", incident.id)
        .number("minutes", minutes)
        .number("number", u64::from(number))
        .number("max", u64::from(max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decide::tests::at;
    use crate::domain::ids::IncidentId;
    use crate::domain::incident::{AlertCounts, Milestones, Roles};
    use crate::domain::message::Arg;

    fn policy(max: u32) -> Policy {
        Policy {
            ack_reminder: Some(Duration::minutes(10)),
            ack_reminder_max: max,
            ..Policy::standard()
        }
    }

    fn incident(
        state: IncidentState,
        commander: Option<&str>,
        operations: Option<&str>,
    ) -> Incident {
        let roles = Roles {
            commander: commander.map(|id| UserId(id.to_owned())),
            operations: operations.map(|id| UserId(id.to_owned())),
            ..Roles::default()
        };
        Incident {
            id: IncidentId::parse("INC-20261121-001").unwrap(),
            title: "api down".to_owned(),
            severity: crate::domain::severity::Severity::Sev2,
            state,
            service: None,
            group_key: None,
            room: None,
            card: None,
            roles,
            alerts: AlertCounts::default(),
            opened_at: at("2026-11-21T10:00:00Z"),
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

    const KEY: &str = "ack_reminder:INC-20261121-001";

    /// INC-20261121-001's reminder set for `due`, `sent` reminders already sent.
    fn armed(due: DateTime<Utc>, sent: u32) -> DeadlineChange {
        DeadlineChange::Set(Deadline {
            key: KEY.to_owned(),
            due,
            kind: DeadlineKind::AckReminder {
                incident: IncidentId::parse("INC-20261121-001").unwrap(),
                sent,
            },
        })
    }

    /// INC-20261121-001's reminder removed.
    fn cancelled() -> DeadlineChange {
        DeadlineChange::Cancel {
            key: KEY.to_owned(),
        }
    }

    fn calls(applied: &Applied) -> Vec<String> {
        applied
            .effects
            .iter()
            .flat_map(|effect| match effect {
                Effect::Notify { message, .. } => message.args.clone(),
                _ => Vec::new(),
            })
            .filter_map(|(_, arg)| match arg {
                Arg::Call { id } => Some(id.0),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_due_reminder_by_incident_state_and_count() {
        let now = at("2026-11-21T10:10:00Z");
        let rearmed = armed(at("2026-11-21T10:20:00Z"), 1);
        let cancel = cancelled();
        // (state, sent before, max, reminder number sent, deadline change)
        let cases = [
            (IncidentState::Triggered, 0, 3, Some(1), rearmed.clone()),
            (IncidentState::Triggered, 2, 3, Some(3), cancel.clone()),
            (IncidentState::Triggered, 3, 3, None, cancel.clone()),
            (IncidentState::Triggered, 0, 1, Some(1), cancel.clone()),
            (IncidentState::Acknowledged, 0, 3, None, cancel.clone()),
            (IncidentState::Mitigated, 0, 3, None, cancel.clone()),
            (IncidentState::Resolved, 1, 3, None, cancel.clone()),
            (IncidentState::Closed, 1, 3, None, cancel.clone()),
        ];
        for (state, sent, max, number, change) in cases {
            let open = incident(state, Some("alice"), Some("bob"));
            let applied = decide_due(&policy(max), Some(&open), KEY, sent, now);
            let label = format!("{state:?} sent {sent} max {max}");
            match number {
                Some(number) => {
                    assert_eq!(
                        applied.entries,
                        vec![(Actor::warroom(), EntryKind::AckReminder { number, max })],
                        "{label}"
                    );
                    assert_eq!(calls(&applied), vec!["alice", "bob"], "{label}");
                }
                None => {
                    assert!(applied.entries.is_empty(), "{label}");
                    assert!(applied.effects.is_empty(), "{label}");
                }
            }
            assert_eq!(applied.deadlines, vec![change], "{label}");
        }
    }

    #[test]
    fn a_reminder_long_overdue_fires_once_and_re_arms_from_now() {
        let now = at("2026-11-21T13:00:00Z");
        let open = incident(IncidentState::Triggered, Some("alice"), Some("bob"));
        let applied = decide_due(&policy(3), Some(&open), KEY, 0, now);
        assert_eq!(applied.entries.len(), 1);
        let Some(DeadlineChange::Set(next)) = applied.deadlines.first() else {
            panic!("re-armed: {:?}", applied.deadlines);
        };
        assert_eq!(next.due, now + Duration::minutes(10));
        let Some(Effect::Notify { message, .. }) = applied.effects.first() else {
            panic!("a notice");
        };
        assert!(
            message
                .args
                .contains(&("minutes".to_owned(), Arg::Number(180)))
        );
    }

    #[test]
    fn a_missing_incident_or_reminders_turned_off_remove_the_deadline() {
        let now = at("2026-11-21T10:10:00Z");
        let cancel = vec![cancelled()];
        assert_eq!(decide_due(&policy(3), None, KEY, 0, now).deadlines, cancel);
        let open = incident(IncidentState::Triggered, Some("alice"), None);
        let off = Policy::standard();
        let applied = decide_due(&off, Some(&open), KEY, 0, now);
        assert_eq!(applied.deadlines, cancel);
        assert!(applied.effects.is_empty());
    }

    #[test]
    fn the_reminder_calls_exactly_the_commander_and_the_operations_lead() {
        let now = at("2026-11-21T10:10:00Z");
        // (commander, operations, message id, who is called)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a str, Vec<&'a str>);
        let cases: [Case; 5] = [
            (
                Some("alice"),
                Some("bob"),
                "notice-ack-reminder",
                vec!["alice", "bob"],
            ),
            (
                Some("alice"),
                Some("alice"),
                "notice-ack-reminder-one",
                vec!["alice"],
            ),
            (
                Some("alice"),
                None,
                "notice-ack-reminder-one",
                vec!["alice"],
            ),
            (None, Some("bob"), "notice-ack-reminder-one", vec!["bob"]),
            (None, None, "notice-ack-reminder-nobody", vec![]),
        ];
        for (commander, operations, id, called) in cases {
            let mut open = incident(IncidentState::Triggered, commander, operations);
            // The communications lead is never called by the reminder.
            open.roles.communications = Some(UserId("carol".to_owned()));
            let applied = decide_due(&policy(3), Some(&open), KEY, 0, now);
            let Some(Effect::Notify { message, .. }) = applied.effects.first() else {
                panic!("a notice");
            };
            assert_eq!(message.id, id, "{commander:?} {operations:?}");
            assert_eq!(calls(&applied), called, "{commander:?} {operations:?}");
        }
    }

    #[test]
    fn leaving_triggered_cancels_and_opening_arms() {
        let now = at("2026-11-21T10:05:00Z");
        let cancel = Some(cancelled());
        let acked = incident(IncidentState::Acknowledged, None, None);
        assert_eq!(
            cancel_on_transition(&acked, IncidentState::Triggered),
            cancel
        );
        let resolved = incident(IncidentState::Resolved, None, None);
        assert_eq!(
            cancel_on_transition(&resolved, IncidentState::Triggered),
            cancel
        );
        let closed = incident(IncidentState::Closed, None, None);
        assert_eq!(cancel_on_transition(&closed, IncidentState::Resolved), None);
        let triggered = incident(IncidentState::Triggered, None, None);
        assert_eq!(arm_on_open(&Policy::standard(), &triggered, now), None);
        assert_eq!(arm_on_open(&policy(0), &triggered, now), None);
        let Some(DeadlineChange::Set(armed)) = arm_on_open(&policy(3), &triggered, now) else {
            panic!("armed on open");
        };
        assert_eq!(armed.due, now + Duration::minutes(10));
        assert_eq!(
            armed.kind,
            DeadlineKind::AckReminder {
                incident: triggered.id,
                sent: 0
            }
        );
    }

    /// The hooks in `decide`: opening arms the reminder and leaving `triggered` cancels it
    /// in the same decision, so the cancellation is written with the acknowledgement.
    #[test]
    fn decisions_carry_the_reminder_changes_with_them() {
        use std::collections::BTreeSet;

        use crate::domain::access::{Person, PersonRole};
        use crate::domain::command::Command;
        use crate::domain::decide::{apply_command, declare_incident};
        use crate::domain::incident::Transition;

        let now = at("2026-11-21T10:00:00Z");
        let bob = Person {
            id: UserId("bob".to_owned()),
            display_name: "bob".to_owned(),
            roles: BTreeSet::from([PersonRole::Operations, PersonRole::DutyManager]),
            locale: "en-US".to_owned(),
        };
        let id = IncidentId::parse("INC-20261121-001").unwrap();
        let (mut declared, applied) =
            declare_incident(&policy(3), id, "api down", None, &bob, now).unwrap();
        assert_eq!(
            applied.deadlines,
            vec![armed(now + Duration::minutes(10), 0)]
        );
        let (_, off) =
            declare_incident(&Policy::standard(), id, "api down", None, &bob, now).unwrap();
        assert!(off.deadlines.is_empty());

        let ack = Command::Transition(Transition::Acknowledge);
        let outcome = apply_command(&policy(3), &mut declared, &bob, &ack, &|_| true, now).unwrap();
        assert_eq!(outcome.deadlines, vec![cancelled()]);
        let resolve = Command::Transition(Transition::Resolve);
        let outcome =
            apply_command(&policy(3), &mut declared, &bob, &resolve, &|_| true, now).unwrap();
        assert!(
            outcome.deadlines.is_empty(),
            "only leaving triggered cancels"
        );

        // Reopened: back to triggered, so someone must acknowledge again — a fresh series.
        let later = now + Duration::hours(1);
        let reopen = Command::Transition(Transition::Reopen);
        let outcome =
            apply_command(&policy(3), &mut declared, &bob, &reopen, &|_| true, later).unwrap();
        assert_eq!(
            outcome.deadlines,
            vec![armed(later + Duration::minutes(10), 0)]
        );
        let off = Policy::standard();
        let outcome = apply_command(&off, &mut declared, &bob, &resolve, &|_| true, later).unwrap();
        assert_eq!(outcome.deadlines.len(), 1, "resolving cancels: {outcome:?}");
        let outcome = apply_command(&off, &mut declared, &bob, &reopen, &|_| true, later).unwrap();
        assert!(outcome.deadlines.is_empty(), "reminders off: nothing armed");

        // Resolved by its last alert (`auto_resolve`): cancelled the same way.
        use crate::domain::alert::AlertStatus;
        use crate::domain::decide::{apply_alert_to_incident, tests::alert};
        let auto = Policy {
            auto_resolve: true,
            ..policy(3)
        };
        let firing = alert("fp", "checkout", "critical", AlertStatus::Firing);
        let mut open = incident(IncidentState::Triggered, None, None);
        apply_alert_to_incident(&auto, &mut open, None, &firing, now);
        let stored = crate::domain::decide::StoredAlert {
            alert: firing,
            severity: crate::domain::severity::Severity::Sev1,
            incident: Some(open.id),
            first_seen: now,
            last_changed: now,
            stale_noted: None,
        };
        let resolved = alert("fp", "checkout", "critical", AlertStatus::Resolved);
        let applied = apply_alert_to_incident(&auto, &mut open, Some(&stored), &resolved, now);
        assert_eq!(open.state, IncidentState::Resolved);
        assert_eq!(applied.deadlines, vec![cancelled()]);
    }
}
