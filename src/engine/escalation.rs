//! Escalation steps due: call the step's people (room, @here, direct messages, page), or
//! drop the deadline when the incident is no longer triggered. Acknowledgement reminders
//! stored by an earlier version fire here too, as step one of the incident's policy.

use chrono::{DateTime, Utc};
use tracing::info;

use super::{Engine, Pending};
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::escalation::{EscalationFiring, PolicyOrigin, fire_step, release_held};
use crate::domain::ids::IncidentId;
use crate::domain::timers::escalation_policy_of;
use crate::store::StoreError;

impl Engine {
    /// Fires a due `Escalation` deadline: a step (or one of its repeats), or the direct
    /// messages and page quiet hours held back.
    pub(super) fn escalation_due(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let DeadlineKind::Escalation {
            incident,
            step,
            repeat_index,
            held,
        } = deadline.kind
        else {
            return Ok(());
        };
        self.fire_escalation(pending, deadline, incident, step, repeat_index, held, now)
    }

    /// Fires an `AckReminder` deadline stored by a version before escalation: `sent`
    /// reminders went out, so it is repeat `sent` of step one. It is removed and, while
    /// repeats remain, the next one is set under the step's own key.
    pub(super) fn legacy_ack_reminder_due(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let DeadlineKind::AckReminder { incident, sent } = deadline.kind else {
            return Ok(());
        };
        self.fire_escalation(pending, deadline, incident, 1, sent, false, now)
    }

    #[allow(clippy::too_many_arguments)]
    fn fire_escalation(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        incident: IncidentId,
        step: u32,
        repeat_index: u32,
        held: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let cancel = DeadlineChange::Cancel {
            key: deadline.key.clone(),
        };
        let Some(current) = self.incident(pending, incident)? else {
            pending.batch.deadlines.push(cancel);
            return Ok(());
        };
        let Some(policy) = escalation_policy_of(&self.policy, &current) else {
            // Escalation turned off since the deadline was set.
            pending.batch.deadlines.push(cancel);
            return Ok(());
        };
        let firing = EscalationFiring {
            policy: &policy,
            incident: &current,
            key: &deadline.key,
            step,
            repeat_index,
            quiet: self.policy.quiet_hours.as_ref(),
            now,
        };
        let callees = |role| self.callees(&current, role, now);
        let decision = if held {
            release_held(&firing, &callees)
        } else {
            fire_step(&firing, &callees)
        };
        if !decision.entries.is_empty() {
            let late_seconds = (now - deadline.due).num_seconds();
            if policy.origin == PolicyOrigin::AckReminder {
                metrics::counter!("warroom_ack_reminders_total").increment(1);
                info!(incident = %incident, reminder = repeat_index + 1, late_seconds, "Acknowledgement reminder sent.");
            } else {
                metrics::counter!("warroom_escalation_steps_total", "held" => if held { "released" } else { "due" }).increment(1);
                info!(incident = %incident, step, repeat = repeat_index, held, late_seconds, "Escalation step fired.");
            }
        }
        drop(policy);
        self.apply(pending, current, decision, now);
        Ok(())
    }
}
