//! The acknowledgement reminder (`[incidents] ack_reminder`): an incident still triggered
//! after the interval gets a reminder in its room that calls its commander and operations
//! lead, again every interval, up to `ack_reminder_max` reminders in all.
//!
//! It is escalation step one: for a severity without an `[[escalation]]` table the reminder
//! is a one-step policy (`escalation::effective_policy`), planned, fired, re-armed and
//! cancelled by the escalation code. What stays here is the deadline an earlier version
//! stored under `ack_reminder:<incident>`: leaving `triggered` removes it, and one that comes
//! due fires as step one (`Engine::legacy_ack_reminder_due`).

use crate::domain::deadline::{DeadlineChange, ack_reminder_key};
use crate::domain::incident::{Incident, IncidentState};

/// Leaving `triggered` cancels a reminder an earlier version stored, whatever the config
/// says now.
pub fn cancel_on_transition(incident: &Incident, from: IncidentState) -> Option<DeadlineChange> {
    (from == IncidentState::Triggered && incident.state != IncidentState::Triggered).then(|| {
        DeadlineChange::Cancel {
            key: ack_reminder_key(incident.id),
        }
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::domain::access::PersonRole;
    use crate::domain::deadline::{Deadline, DeadlineKind};
    use crate::domain::decide::tests::at;
    use crate::domain::decide::{Applied, Policy};
    use crate::domain::effect::Effect;
    use crate::domain::escalation::{EscalationFiring, effective_policy, fire_step, step_key};
    use crate::domain::ids::{Actor, IncidentId, UserId};
    use crate::domain::incident::{AlertCounts, Milestones, Roles};
    use crate::domain::message::Arg;
    use crate::domain::timeline::EntryKind;
    use crate::domain::timers;

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

    fn id() -> IncidentId {
        IncidentId::parse("INC-20261121-001").unwrap()
    }

    /// The reminder's deadline: step one of the incident's escalation.
    fn key() -> String {
        step_key(id(), 1)
    }

    /// INC-20261121-001's reminder set for `due`, `sent` reminders already sent.
    fn armed(due: DateTime<Utc>, sent: u32) -> DeadlineChange {
        DeadlineChange::Set(Deadline {
            key: key(),
            due,
            kind: DeadlineKind::Escalation {
                incident: id(),
                step: 1,
                repeat_index: sent,
                held: false,
            },
        })
    }

    fn cancelled() -> DeadlineChange {
        DeadlineChange::Cancel { key: key() }
    }

    /// Fires the reminder deadline `key` as repeat `sent` of step one; the incident's
    /// commander and operations lead are who the roles call.
    fn fire(policy: &Policy, open: &Incident, key: &str, sent: u32, now: DateTime<Utc>) -> Applied {
        let escalation = effective_policy(
            &policy.escalation,
            policy.ack_reminder,
            policy.ack_reminder_max,
            open.severity,
        )
        .expect("reminders on");
        let firing = EscalationFiring {
            policy: &escalation,
            incident: open,
            key,
            step: 1,
            repeat_index: sent,
            quiet: None,
            now,
        };
        let callees = |role: PersonRole| -> Vec<UserId> {
            let held = match role {
                PersonRole::Commander => open.roles.commander.clone(),
                PersonRole::Operations => open.roles.operations.clone(),
                _ => None,
            };
            held.into_iter().collect()
        };
        fire_step(&firing, &callees)
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
            let applied = fire(&policy(max), &open, &key(), sent, now);
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
        let applied = fire(&policy(3), &open, &key(), 0, now);
        assert_eq!(applied.entries.len(), 1);
        assert_eq!(
            applied.deadlines,
            vec![armed(now + Duration::minutes(10), 1)]
        );
        let Some(Effect::Notify { message, .. }) = applied.effects.first() else {
            panic!("a notice");
        };
        assert!(
            message
                .args
                .contains(&("minutes".to_owned(), Arg::Number(180)))
        );
    }

    /// A reminder an earlier version stored fires once as step one: its own key goes, the
    /// next repeat is set under the step's key, and the last one only goes.
    #[test]
    fn a_stored_legacy_reminder_fires_as_step_one_and_is_removed() {
        let now = at("2026-11-21T10:10:00Z");
        let legacy = ack_reminder_key(id());
        let open = incident(IncidentState::Triggered, Some("alice"), Some("bob"));
        let applied = fire(&policy(3), &open, &legacy, 1, now);
        assert_eq!(
            applied.entries,
            vec![(
                Actor::warroom(),
                EntryKind::AckReminder { number: 2, max: 3 }
            )]
        );
        assert_eq!(
            applied.deadlines,
            vec![
                DeadlineChange::Cancel {
                    key: legacy.clone()
                },
                armed(now + Duration::minutes(10), 2)
            ]
        );
        let last = fire(&policy(3), &open, &legacy, 2, now);
        assert_eq!(last.deadlines, vec![DeadlineChange::Cancel { key: legacy }]);
    }

    #[test]
    fn reminders_off_or_a_configured_policy_replace_the_implicit_step() {
        use crate::domain::escalation::{
            PolicyOrigin, RawEscalationPolicy, RawEscalationStep, parse_policies,
        };
        use crate::domain::severity::Severity;
        let off = Policy::standard();
        assert_eq!(
            effective_policy(&off.escalation, None, 3, Severity::Sev2),
            None
        );
        let implicit = effective_policy(&[], Some(Duration::minutes(10)), 3, Severity::Sev2)
            .expect("implicit");
        assert_eq!(implicit.origin, PolicyOrigin::AckReminder);
        assert_eq!(
            implicit.steps[0].notify,
            vec![PersonRole::Commander, PersonRole::Operations]
        );
        assert_eq!(implicit.steps[0].repeat, 2);
        let configured = parse_policies(&[RawEscalationPolicy {
            severity: vec!["sev2".to_owned()],
            steps: vec![RawEscalationStep {
                after: "5m".to_owned(),
                notify: vec!["duty_manager".to_owned()],
                ..RawEscalationStep::default()
            }],
        }])
        .unwrap();
        let chosen = effective_policy(&configured, Some(Duration::minutes(10)), 3, Severity::Sev2)
            .expect("configured");
        assert_eq!(chosen.origin, PolicyOrigin::Configured);
        assert_eq!(chosen.steps[0].after, Duration::minutes(5));
        // Another severity still gets the reminder.
        let other = effective_policy(&configured, Some(Duration::minutes(10)), 3, Severity::Sev1)
            .expect("implicit");
        assert_eq!(other.origin, PolicyOrigin::AckReminder);
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
            let applied = fire(&policy(3), &open, &key(), 0, now);
            let Some(Effect::Notify { message, .. }) = applied.effects.first() else {
                panic!("a notice");
            };
            assert_eq!(message.id, id, "{commander:?} {operations:?}");
            assert_eq!(calls(&applied), called, "{commander:?} {operations:?}");
        }
    }

    /// Every key leaving `triggered` removes: the legacy reminder, step one and its held
    /// messages.
    fn all_cancelled() -> Vec<DeadlineChange> {
        [
            ack_reminder_key(id()),
            key(),
            crate::domain::escalation::held_key(id(), 1),
        ]
        .into_iter()
        .map(|key| DeadlineChange::Cancel { key })
        .collect()
    }

    #[test]
    fn leaving_triggered_cancels_and_opening_arms() {
        let now = at("2026-11-21T10:05:00Z");
        let acked = incident(IncidentState::Acknowledged, None, None);
        assert_eq!(
            timers::on_transition(&policy(3), &acked, IncidentState::Triggered, now),
            all_cancelled()
        );
        let resolved = incident(IncidentState::Resolved, None, None);
        assert_eq!(
            timers::on_transition(&policy(3), &resolved, IncidentState::Triggered, now),
            all_cancelled()
        );
        // Reminders turned off since: the legacy key still goes.
        assert_eq!(
            cancel_on_transition(&acked, IncidentState::Triggered),
            Some(DeadlineChange::Cancel {
                key: ack_reminder_key(id())
            })
        );
        let closed = incident(IncidentState::Closed, None, None);
        assert_eq!(cancel_on_transition(&closed, IncidentState::Resolved), None);
        let triggered = incident(IncidentState::Triggered, None, None);
        assert!(timers::on_open(&Policy::standard(), &triggered, now).is_empty());
        assert_eq!(
            timers::on_open(&policy(3), &triggered, now),
            vec![armed(now + Duration::minutes(10), 0)]
        );
    }

    /// The hooks in `decide`: opening arms the reminder and leaving `triggered` cancels it
    /// in the same decision, so the cancellation is written with the acknowledgement.
    #[test]
    fn decisions_carry_the_reminder_changes_with_them() {
        use std::collections::BTreeSet;

        use crate::domain::access::Person;
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
        let (mut declared, applied) =
            declare_incident(&policy(3), id(), "api down", None, &bob, now).unwrap();
        assert_eq!(
            applied.deadlines,
            vec![armed(now + Duration::minutes(10), 0)]
        );
        let (_, off) =
            declare_incident(&Policy::standard(), id(), "api down", None, &bob, now).unwrap();
        assert!(off.deadlines.is_empty());

        let ack = Command::Transition(Transition::Acknowledge);
        let outcome = apply_command(&policy(3), &mut declared, &bob, &ack, &|_| true, now).unwrap();
        assert_eq!(outcome.deadlines, all_cancelled());
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
        assert_eq!(applied.deadlines, all_cancelled());
    }
}
