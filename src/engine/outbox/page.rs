//! Pages: `Effect::Page` through the `[paging]` webhook, idempotent per incident and step.

use super::{DeliveryError, OutboxWorker};
use crate::domain::effect::Effect;

impl OutboxWorker {
    /// SKELETON: the escalation helper posts the page through `self.pager`.
    pub(super) async fn deliver_page(
        &self,
        _key: u64,
        _effect: &Effect,
    ) -> Result<(), DeliveryError> {
        Ok(())
    }
}
