//! Escalation steps as deadlines: planned when an incident opens, cancelled when it leaves
//! `triggered`, planned again on reopen (see `domain::escalation`).

use chrono::{DateTime, Utc};

use crate::domain::deadline::DeadlineChange;
use crate::domain::decide::Policy;
use crate::domain::incident::{Incident, IncidentState};

/// SKELETON: the escalation helper fills this in.
pub fn escalation_on_open(
    _policy: &Policy,
    _incident: &Incident,
    _now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    Vec::new()
}

/// SKELETON: the escalation helper fills this in.
pub fn escalation_on_transition(
    _policy: &Policy,
    _incident: &Incident,
    _from: IncidentState,
    _now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    Vec::new()
}
