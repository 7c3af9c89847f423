//! The status-update reminder: the commander and communications lead, then the duty manager.

use chrono::{DateTime, Utc};

use super::{Engine, Pending};
use crate::domain::deadline::{Deadline, DeadlineChange};
use crate::store::StoreError;

impl Engine {
    /// SKELETON: fires a due deadline of this kind; for now it only removes it.
    pub(super) fn status_due(
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

impl Engine {
    /// SKELETON: `/incident update <text>`.
    pub(super) fn status_update(
        &mut self,
        _person: &crate::domain::access::Person,
        incident: crate::domain::incident::Incident,
        _text: &str,
        _pending: &mut Pending,
        _now: DateTime<Utc>,
    ) -> Result<super::CommandReply, StoreError> {
        Ok(super::CommandReply {
            ok: false,
            lines: vec![crate::domain::message::Msg::new("reply-internal-error")],
            incident: Some(incident.id),
        })
    }
}
