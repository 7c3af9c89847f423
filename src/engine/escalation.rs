//! Escalation steps due: call the step's people (room, @here, direct messages, page), or drop the deadline when the incident is no longer triggered.

use chrono::{DateTime, Utc};

use super::{Engine, Pending};
use crate::domain::deadline::{Deadline, DeadlineChange};
use crate::store::StoreError;

impl Engine {
    /// SKELETON: fires a due deadline of this kind; for now it only removes it.
    pub(super) fn escalation_due(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        pending.batch.deadlines.push(DeadlineChange::Cancel {
            key: deadline.key.clone(),
        });
        Ok(())
    }
}
