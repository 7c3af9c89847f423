//! Direct messages and announcements: the two deliveries that go to no incident room.
//!
//! A direct message is written in its reader's language (their `locale`, when warroom knows
//! them, else the room locale); an announcement in the room locale. Both are idempotent per
//! the effect's own key, so a retry after a crash or a lost answer sends nothing twice.

use tracing::{error, info};

use super::{DeliveryError, OutboxWorker, drop_undeliverable};
use crate::chat::{ChatError, OutgoingMessage};
use crate::domain::effect::Effect;
use crate::domain::ids::UserId;

/// The chat's idempotency key of a direct message (the effect's key names its cause and its
/// person).
pub fn direct_chat_key(key: &str) -> String {
    format!("direct:{key}")
}

/// The chat's idempotency key of an announcement.
pub fn announce_chat_key(key: &str) -> String {
    format!("announce:{key}")
}

impl OutboxWorker {
    /// Sends `Effect::Direct` through `ChatPort::direct`. A person who takes no direct
    /// messages (Discord's 50007) is logged as an error, counted
    /// (`warroom_direct_refused_total`) and dropped: no retry would get through, and the room
    /// post of the same step called them anyway. Anything the chat calls invalid is dropped
    /// the same way; every other failure is retried.
    pub(super) async fn deliver_direct(
        &self,
        _key: u64,
        effect: &Effect,
    ) -> Result<(), DeliveryError> {
        let Effect::Direct {
            user,
            incident,
            key,
            message,
        } = effect
        else {
            return Ok(());
        };
        let locale = self.locale_of(user);
        let text = OutgoingMessage {
            text: self
                .i18n
                .rich(&locale, &self.engine.views().named(message.clone())),
            ..OutgoingMessage::default()
        };
        let sent = self.chat.direct(user, &direct_chat_key(key), &text).await;
        match sent {
            Ok(_) => {
                info!(%user, incident = ?incident, key, "Direct message sent.");
                Ok(())
            }
            Err(ChatError::DirectRefused { detail }) => {
                error!(
                    %user,
                    incident = ?incident,
                    key,
                    %detail,
                    "The person takes no direct messages from warroom; this one is dropped. Ask them to allow direct messages from server members."
                );
                metrics::counter!("warroom_direct_refused_total").increment(1);
                Ok(())
            }
            Err(other) => drop_undeliverable(
                Err(other.into()),
                &format_args!("the direct message {key} to {user}"),
            ),
        }
    }

    /// Posts `Effect::Announce` in `ChatPort::announce_room`; with no announcement room it is
    /// dropped with one info line.
    pub(super) async fn deliver_announce(
        &self,
        _key: u64,
        effect: &Effect,
    ) -> Result<(), DeliveryError> {
        let Effect::Announce { key, message } = effect else {
            return Ok(());
        };
        let Some(room) = self.chat.announce_room() else {
            info!(
                key,
                "No announcement room is configured; the announcement is dropped."
            );
            return Ok(());
        };
        let text = OutgoingMessage {
            text: self
                .i18n
                .rich(&self.locale, &self.engine.views().named(message.clone())),
            ..OutgoingMessage::default()
        };
        let posted = self.chat.post(&room, &announce_chat_key(key), &text).await;
        match posted {
            Ok(message) => {
                self.remember_message(&message, None, &announce_chat_key(key));
                Ok(())
            }
            Err(error) => {
                drop_undeliverable(Err(error.into()), &format_args!("the announcement {key}"))
            }
        }
    }

    /// The language `user` reads: theirs when warroom knows them, else the room locale.
    fn locale_of(&self, user: &UserId) -> String {
        self.engine
            .views()
            .people
            .lock()
            .get(user)
            .map(|person| person.locale.clone())
            .filter(|locale| !locale.trim().is_empty())
            .unwrap_or_else(|| self.locale.clone())
    }
}
