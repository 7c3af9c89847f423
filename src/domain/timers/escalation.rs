//! Escalation steps as deadlines: planned when an incident opens, cancelled when it leaves
//! `triggered`, planned again on reopen (see `domain::escalation`). The acknowledgement
//! reminder is the one-step policy of severities without an `[[escalation]]` table.

use chrono::{DateTime, Utc};

use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::decide::Policy;
use crate::domain::escalation::{self, EscalationPolicy, PlannedStep};
use crate::domain::incident::{Incident, IncidentState};

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
