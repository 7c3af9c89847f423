//! Direct messages and announcements: the two deliveries that go to no incident room.

use super::{DeliveryError, OutboxWorker};
use crate::domain::effect::Effect;

impl OutboxWorker {
    /// SKELETON: the chat helper delivers `Effect::Direct` through `ChatPort::direct`.
    pub(super) async fn deliver_direct(
        &self,
        _key: u64,
        _effect: &Effect,
    ) -> Result<(), DeliveryError> {
        Ok(())
    }

    /// SKELETON: the chat helper posts `Effect::Announce` in `ChatPort::announce_room`.
    pub(super) async fn deliver_announce(
        &self,
        _key: u64,
        _effect: &Effect,
    ) -> Result<(), DeliveryError> {
        Ok(())
    }
}
