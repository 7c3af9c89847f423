//! Whom a reminder or an escalation step calls for a role: the one question escalation, the
//! task ladder and status-update reminders all ask, answered in one place.

use chrono::{DateTime, Utc};

use super::Engine;
use crate::domain::access::PersonRole;
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentRole};

/// "Every duty manager" calls at most this many people, so a misconfigured role mapping
/// cannot turn one reminder into a mass ping.
pub const MAX_CALLED_PER_ROLE: usize = 10;

impl Engine {
    /// Who holds `role` for `incident` at `now`: the incident's own commander, communications
    /// or operations lead (as assigned in the incident, which starts from the rotation at
    /// open); for the duty manager, the one on call for the incident's service, else every
    /// person known to hold the duty manager role (at most [`MAX_CALLED_PER_ROLE`]). Other
    /// roles call nobody.
    pub(super) fn callees(
        &self,
        incident: &Incident,
        role: PersonRole,
        now: DateTime<Utc>,
    ) -> Vec<UserId> {
        let incident_role = match role {
            PersonRole::Commander => IncidentRole::Commander,
            PersonRole::Communications => IncidentRole::Communications,
            PersonRole::Operations => IncidentRole::Operations,
            PersonRole::DutyManager => {
                return match self
                    .policy
                    .oncall
                    .duty_manager(incident.service.as_deref(), now)
                {
                    Some(user) => vec![user],
                    None => self
                        .people
                        .lock()
                        .with_role(PersonRole::DutyManager, MAX_CALLED_PER_ROLE),
                };
            }
            PersonRole::Responder | PersonRole::Viewer => return Vec::new(),
        };
        incident
            .roles
            .get(incident_role)
            .cloned()
            .into_iter()
            .collect()
    }
}
