//! Status updates (`/incident update`) and their reminder: the commander and communications
//! lead, then the duty manager. What each means is decided in `domain::timers::status`; this
//! file gathers who holds the roles and applies the decision.

use chrono::{DateTime, Utc};
use tracing::info;

use super::{CommandReply, Engine, Pending};
use crate::domain::access::{Person, PersonRole};
use crate::domain::deadline::{Deadline, DeadlineKind};
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::timers;
use crate::store::StoreError;

impl Engine {
    /// Fires a due status-update reminder against the incident as it is now.
    pub(super) fn status_due(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let DeadlineKind::StatusUpdate { incident, sent } = deadline.kind else {
            return Ok(());
        };
        let current = self.incident(pending, incident)?;
        let (reminded, duty_managers) = match &current {
            Some(current) => self.status_callees(current, now),
            None => (Vec::new(), Vec::new()),
        };
        let decision = timers::status_due(
            &self.policy,
            current.as_ref(),
            &deadline.key,
            sent,
            &reminded,
            &duty_managers,
            now,
        );
        if !decision.effects.is_empty() {
            metrics::counter!("warroom_status_update_reminders_total").increment(1);
            info!(
                incident = %incident,
                reminder = sent + 1,
                late_seconds = (now - deadline.due).num_seconds(),
                "Status update reminder sent."
            );
        }
        match current {
            Some(current) => self.apply(pending, current, decision, now),
            None => pending.batch.deadlines.extend(decision.deadlines),
        }
        Ok(())
    }

    /// The commander and the communications lead (each once), and whom the duty manager role
    /// calls.
    fn status_callees(
        &self,
        incident: &Incident,
        now: DateTime<Utc>,
    ) -> (Vec<UserId>, Vec<UserId>) {
        let mut leads: Vec<UserId> = Vec::new();
        for role in [PersonRole::Commander, PersonRole::Communications] {
            for user in self.callees(incident, role, now) {
                if !leads.contains(&user) {
                    leads.push(user);
                }
            }
        }
        (leads, self.callees(incident, PersonRole::DutyManager, now))
    }

    /// `/incident update <text>`: recorded, posted in the room, announced; the reminder
    /// starts over.
    pub(super) fn status_update(
        &mut self,
        person: &Person,
        incident: Incident,
        text: &str,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let id = incident.id;
        match timers::status_update(&self.policy, &incident, person, text, now) {
            Ok(mut decision) => {
                info!(incident = %id, user = %person.id, "Status update posted.");
                metrics::counter!("warroom_status_updates_total").increment(1);
                let reply = decision.reply.take();
                self.apply(pending, incident, decision, now);
                Ok(CommandReply {
                    ok: true,
                    lines: reply.map(|reply| self.named(reply)).into_iter().collect(),
                    incident: Some(id),
                })
            }
            Err(msg) => Ok(CommandReply {
                ok: false,
                lines: vec![msg],
                incident: Some(id),
            }),
        }
    }
}
