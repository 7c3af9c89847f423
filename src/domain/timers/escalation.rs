//! Escalation steps as deadlines: planned when an incident opens, cancelled when it leaves
//! `triggered`, planned again on reopen (see `domain::escalation`). The acknowledgement
//! reminder is the one-step policy of severities without an `[[escalation]]` table.

use chrono::{DateTime, Utc};

use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::decide::Policy;
use crate::domain::escalation::{self, EscalationPolicy, PlannedStep};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::severity::Severity;

/// The escalation policy of `incident` under `policy` now: its severity's
/// `[[escalation]]`, else the acknowledgement reminder, else none.
pub fn escalation_policy_of<'a>(
    policy: &'a Policy,
    incident: &Incident,
) -> Option<std::borrow::Cow<'a, EscalationPolicy>> {
    escalation::effective_policy(
        &policy.escalation,
        policy.ack_reminder,
        policy.ack_reminder_max,
        incident.severity,
    )
}

/// The first firing of every step, when `incident` opens triggered.
pub fn escalation_on_open(
    policy: &Policy,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    if incident.state != IncidentState::Triggered {
        return Vec::new();
    }
    let Some(escalation) = escalation_policy_of(policy, incident) else {
        return Vec::new();
    };
    escalation::plan_on_open(&escalation, incident.id, now)
        .into_iter()
        .map(|planned| set(incident, planned))
        .collect()
}

/// Leaving `triggered` removes every step and held message; a reopen plans them again.
pub fn escalation_on_transition(
    policy: &Policy,
    incident: &Incident,
    from: IncidentState,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    let escalation = escalation_policy_of(policy, incident);
    let change = escalation::on_transition(
        escalation.as_deref(),
        incident.id,
        from,
        incident.state,
        now,
    );
    change
        .cancel
        .into_iter()
        .map(|key| DeadlineChange::Cancel { key })
        .chain(
            change
                .plan
                .into_iter()
                .map(|planned| set(incident, planned)),
        )
        .collect()
}

/// A triggered incident whose severity changed at `now` escalates by its new severity's
/// policy: the old policy's steps and held messages go, the new one's are planned from when
/// the incident last became triggered (its open, or its last reopen); of the steps already
/// past their time only the latest is planned, and fires at once (see
/// [`escalation::plan_on_change`]). Nothing changes when both severities escalate the same
/// way, or once acknowledged.
pub fn escalation_on_severity_change(
    policy: &Policy,
    incident: &Incident,
    from: Severity,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    if incident.state != IncidentState::Triggered || from == incident.severity {
        return Vec::new();
    }
    let before = escalation::effective_policy(
        &policy.escalation,
        policy.ack_reminder,
        policy.ack_reminder_max,
        from,
    );
    let after = escalation_policy_of(policy, incident);
    let same = match (&before, &after) {
        (Some(before), Some(after)) => before.steps == after.steps && before.origin == after.origin,
        (None, None) => true,
        _ => false,
    };
    if same {
        return Vec::new();
    }
    let cancel = before
        .map(|before| escalation::all_keys(&before, incident.id))
        .unwrap_or_default();
    let plan = after
        .map(|after| escalation::plan_on_change(&after, incident.id, cycle_start(incident), now))
        .unwrap_or_default();
    // A key both cancelled and planned is only set: the batch applies changes in order.
    cancel
        .into_iter()
        .map(|key| DeadlineChange::Cancel { key })
        .chain(plan.into_iter().map(|planned| set(incident, planned)))
        .collect()
}

/// When the incident's current triggered cycle began: its last reopen, else its open.
fn cycle_start(incident: &Incident) -> DateTime<Utc> {
    incident
        .milestones
        .reopened
        .map_or(incident.opened_at, |reopened| {
            reopened.max(incident.opened_at)
        })
}

fn set(incident: &Incident, planned: PlannedStep) -> DeadlineChange {
    DeadlineChange::Set(Deadline {
        key: planned.key,
        due: planned.due,
        kind: DeadlineKind::Escalation {
            incident: incident.id,
            step: planned.step,
            repeat_index: planned.repeat_index,
            held: false,
        },
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::decide::tests::{at, id, person};
    use crate::domain::escalation::{
        RawEscalationPolicy, RawEscalationStep, held_key, parse_policies, step_key,
    };

    /// sev1 escalates at 5m and 15m; other severities get the 10m acknowledgement reminder.
    fn policy() -> Policy {
        let steps = ["5m", "15m"]
            .into_iter()
            .map(|after| RawEscalationStep {
                after: after.to_owned(),
                notify: vec!["duty_manager".to_owned()],
                ..RawEscalationStep::default()
            })
            .collect();
        Policy {
            ack_reminder: Some(Duration::minutes(10)),
            escalation: parse_policies(&[RawEscalationPolicy {
                severity: vec!["sev1".to_owned()],
                steps,
            }])
            .unwrap(),
            ..Policy::standard()
        }
    }

    fn keys(changes: &[DeadlineChange]) -> Vec<(String, Option<chrono::DateTime<Utc>>)> {
        changes
            .iter()
            .map(|change| match change {
                DeadlineChange::Set(deadline) => (deadline.key.clone(), Some(deadline.due)),
                DeadlineChange::Cancel { key } => (key.clone(), None),
            })
            .collect()
    }

    #[test]
    fn a_severity_change_while_triggered_swaps_the_plan() {
        use crate::domain::command::Command;
        use crate::domain::decide::{apply_command, declare_incident};
        use crate::domain::incident::Transition;

        let opened = at("2026-11-21T10:00:00Z");
        let now = at("2026-11-21T10:07:00Z");
        let duty = person(
            "dora",
            &[
                crate::domain::access::PersonRole::DutyManager,
                crate::domain::access::PersonRole::Commander,
            ],
        );
        let (mut incident, _) =
            declare_incident(&policy(), id(1), "api down", None, &duty, opened).unwrap();
        assert_eq!(incident.severity, Severity::Sev3);
        // Raised to sev1: the reminder's step goes, sev1's steps are planned from the open
        // (the 5m step is already due, so it fires at once).
        let raised = apply_command(
            &policy(),
            &mut incident,
            &duty,
            &Command::Severity(Severity::Sev1),
            &|_| true,
            now,
        )
        .unwrap();
        assert_eq!(
            keys(&raised.deadlines),
            vec![
                (step_key(id(1), 1), None),
                (held_key(id(1), 1), None),
                (step_key(id(1), 1), Some(opened + Duration::minutes(5))),
                (step_key(id(1), 2), Some(opened + Duration::minutes(15))),
            ]
        );
        // Lowered to sev2: back to the reminder, one step at 10m.
        let lowered = escalation_on_severity_change(
            &policy(),
            &crate::domain::incident::Incident {
                severity: Severity::Sev2,
                ..incident.clone()
            },
            Severity::Sev1,
            now,
        );
        assert_eq!(
            keys(&lowered),
            vec![
                (step_key(id(1), 1), None),
                (held_key(id(1), 1), None),
                (step_key(id(1), 2), None),
                (held_key(id(1), 2), None),
                (step_key(id(1), 1), Some(opened + Duration::minutes(10))),
            ]
        );
        // Two severities that escalate alike: nothing changes.
        let alike = crate::domain::incident::Incident {
            severity: Severity::Sev2,
            ..incident.clone()
        };
        assert!(escalation_on_severity_change(&policy(), &alike, Severity::Sev3, now).is_empty());
        // Acknowledged: escalation is over whatever the severity.
        apply_command(
            &policy(),
            &mut incident,
            &duty,
            &Command::Transition(Transition::Acknowledge),
            &|_| true,
            now,
        )
        .unwrap();
        let after_ack = apply_command(
            &policy(),
            &mut incident,
            &duty,
            &Command::Severity(Severity::Sev2),
            &|_| true,
            now,
        )
        .unwrap();
        assert!(after_ack.deadlines.is_empty(), "{after_ack:?}");
    }

    #[test]
    fn a_raise_plans_from_the_current_cycle_and_fires_only_the_latest_passed_step() {
        use crate::domain::incident::Milestones;

        let opened = at("2026-11-21T10:00:00Z");
        let duty = person("dora", &[crate::domain::access::PersonRole::DutyManager]);
        let (declared, _) = crate::domain::decide::declare_incident(
            &policy(),
            id(1),
            "api down",
            None,
            &duty,
            opened,
        )
        .unwrap();
        // Declared sev3, now raised to sev1.
        let raised = |reopened: Option<&str>| Incident {
            severity: Severity::Sev1,
            milestones: Milestones {
                reopened: reopened.map(at),
                ..declared.milestones.clone()
            },
            ..declared.clone()
        };
        /// (reopened, raised at, the sev1 steps planned: (step, due))
        type Case<'a> = (Option<&'a str>, &'a str, Vec<(u32, &'a str)>);
        let table: [Case<'_>; 5] = [
            (
                None,
                "2026-11-21T10:03:00Z",
                vec![(1, "2026-11-21T10:05:00Z"), (2, "2026-11-21T10:15:00Z")],
            ),
            (
                None,
                "2026-11-21T10:07:00Z",
                vec![(1, "2026-11-21T10:05:00Z"), (2, "2026-11-21T10:15:00Z")],
            ),
            // Both steps passed: only step two, at once; step one is skipped.
            (
                None,
                "2026-11-21T10:20:00Z",
                vec![(2, "2026-11-21T10:15:00Z")],
            ),
            // Reopened at 11:00: the steps count from the reopen, not the open.
            (
                Some("2026-11-21T11:00:00Z"),
                "2026-11-21T11:07:00Z",
                vec![(1, "2026-11-21T11:05:00Z"), (2, "2026-11-21T11:15:00Z")],
            ),
            (
                Some("2026-11-21T11:00:00Z"),
                "2026-11-21T11:02:00Z",
                vec![(1, "2026-11-21T11:05:00Z"), (2, "2026-11-21T11:15:00Z")],
            ),
        ];
        for (reopened, now, expected) in table {
            let incident = raised(reopened);
            let planned: Vec<(u32, chrono::DateTime<Utc>)> =
                escalation_on_severity_change(&policy(), &incident, Severity::Sev3, at(now))
                    .into_iter()
                    .filter_map(|change| match change {
                        DeadlineChange::Set(Deadline {
                            due,
                            kind: DeadlineKind::Escalation { step, .. },
                            ..
                        }) => Some((step, due)),
                        _ => None,
                    })
                    .collect();
            let expected: Vec<(u32, chrono::DateTime<Utc>)> = expected
                .into_iter()
                .map(|(step, due)| (step, at(due)))
                .collect();
            assert_eq!(planned, expected, "reopened {reopened:?}, raised at {now}");
        }
    }
}
