//! The status-update reminder (`[status_updates]`) as a deadline, set when an incident opens
//! and after each status update, removed when the incident is no longer open.

use chrono::{DateTime, Utc};

use crate::domain::deadline::DeadlineChange;
use crate::domain::decide::Policy;
use crate::domain::incident::{Incident, IncidentState};

/// SKELETON: the status-update helper fills this in.
pub fn status_on_open(
    _policy: &Policy,
    _incident: &Incident,
    _now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    Vec::new()
}

/// SKELETON: the status-update helper fills this in.
pub fn status_on_transition(
    _policy: &Policy,
    _incident: &Incident,
    _from: IncidentState,
    _now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    Vec::new()
}
