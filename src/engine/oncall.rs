//! An on-call hand-off: announce who holds each role now and set the next hand-off.

use chrono::{DateTime, Utc};

use super::{Engine, Pending};
use crate::domain::deadline::{Deadline, DeadlineChange};
use crate::store::StoreError;

impl Engine {
    /// SKELETON: fires a due deadline of this kind; for now it only removes it.
    pub(super) fn handoff_due(
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
    /// SKELETON: `/oncall show` and `/oncall override`.
    pub(super) fn oncall_command(
        &mut self,
        _person: &crate::domain::access::Person,
        _command: &crate::domain::command::Command,
        _pending: &mut Pending,
        _now: DateTime<Utc>,
    ) -> Result<super::CommandReply, StoreError> {
        Ok(super::CommandReply::refused(
            crate::domain::message::Msg::new("reply-internal-error"),
        ))
    }
}
