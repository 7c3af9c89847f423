//! The deadlines an incident's lifecycle sets and cancels, gathered in one place so every
//! open and every transition asks the same question: the acknowledgement reminder, the
//! escalation steps (`[[escalation]]`) and the status-update reminder (`[status_updates]`).
//! Each is written in the same transaction as the open or transition that caused it.

use chrono::{DateTime, Utc};

use crate::domain::deadline::DeadlineChange;
use crate::domain::decide::Policy;
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::reminder;

mod escalation;
mod status;

pub use escalation::{
    escalation_on_open, escalation_on_severity_change, escalation_on_transition,
    escalation_policy_of,
};
pub use status::{
    MAX_STATUS_REMINDERS, status_due, status_on_open, status_on_severity_change,
    status_on_transition, status_update,
};

/// The deadlines to set when `incident` opens at `now`.
pub fn on_open(policy: &Policy, incident: &Incident, now: DateTime<Utc>) -> Vec<DeadlineChange> {
    // The acknowledgement reminder is escalation step one (`escalation_on_open`).
    let mut changes = escalation_on_open(policy, incident, now);
    changes.extend(status_on_open(policy, incident, now));
    changes
}

/// The deadlines to set or cancel when `incident` has just moved from `from` to its state.
pub fn on_transition(
    policy: &Policy,
    incident: &Incident,
    from: IncidentState,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    // A reminder stored by an earlier version goes when the incident leaves `triggered`.
    let mut changes: Vec<DeadlineChange> = reminder::cancel_on_transition(incident, from)
        .into_iter()
        .collect();
    changes.extend(escalation_on_transition(policy, incident, from, now));
    changes.extend(status_on_transition(policy, incident, from, now));
    changes
}

/// The deadlines to set or cancel when `incident`'s severity has just changed from `from`
/// (by a person or a more severe alert): escalation follows the new severity's policy and the
/// status-update reminder its interval.
pub fn on_severity_change(
    policy: &Policy,
    incident: &Incident,
    from: crate::domain::severity::Severity,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    let mut changes = escalation_on_severity_change(policy, incident, from, now);
    changes.extend(status_on_severity_change(policy, incident, now));
    changes
}
