//! The outbox worker: delivers stored chat effects and re-renders dirty incident cards.
//! Which items go when (per-room lanes, backoff, card intervals, the pause while the chat
//! refuses warroom) is `lanes.rs`; this file delivers one effect or one card edit.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::chat::render;
use crate::chat::{ChatError, ChatPort, OutgoingMessage};
use crate::domain::effect::Effect;
use crate::domain::ids::{IncidentId, MessageId, RoomId};
use crate::domain::room::room_name;
use crate::engine::{ChatRecord, EngineHandle};
use crate::health::Health;
use crate::i18n::I18n;
use crate::store::{DeliveryStore, DirtyCard};

mod direct;
mod page;

pub struct OutboxWorker {
    pub store: Arc<dyn DeliveryStore>,
    pub chat: Arc<dyn ChatPort>,
    pub engine: EngineHandle,
    pub i18n: Arc<I18n>,
    pub locale: String,
    pub card_edit_interval: Duration,
    pub wake: Arc<Notify>,
    /// Where the worker reports that the chat refuses warroom, for `/readyz`.
    pub health: Arc<Health>,
    /// `[paging]`: where pages go; `None` when no pager is configured (pages are dropped
    /// with a warning).
    pub pager: Option<Arc<crate::paging::Pager>>,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum DeliveryError {
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    /// The pager is down or slow: the paging lane backs off and tries again.
    #[error(transparent)]
    Page(#[from] crate::paging::PageError),
}

/// Settles a delivery the chat answered. A refusal no retry can cure — a request the chat
/// calls invalid (`Rejected`: 400, 404 Unknown Message) or one with no room to go to
/// (`NoRoom`) — is logged as an error, counted in `warroom_outbox_dropped_total` and dropped
/// (`Ok`), so it never blocks what follows it; every other failure is returned to be retried.
/// `what` names the delivery in the log.
pub(super) fn drop_undeliverable(
    result: Result<(), DeliveryError>,
    what: &dyn std::fmt::Display,
) -> Result<(), DeliveryError> {
    let (why, detail) = match result {
        Err(DeliveryError::Chat(ChatError::Rejected(detail))) => ("rejected", detail),
        Err(DeliveryError::Chat(ChatError::NoRoom(detail))) => ("no_room", detail),
        other => return other,
    };
    error!(%what, reason = why, %detail, "The chat cannot take this delivery, now or later; dropping it.");
    metrics::counter!("warroom_outbox_dropped_total", "reason" => why).increment(1);
    Ok(())
}

pub fn room_key(incident: IncidentId) -> String {
    format!("room:{incident}")
}

/// The reverse reference: which incident a room belongs to (for commands typed in it).
pub fn incident_of_key(room: &RoomId) -> String {
    format!("incident-of:{room}")
}

pub fn card_key(incident: IncidentId) -> String {
    format!("card:{incident}")
}

impl OutboxWorker {
    /// Whether the card offers a Diagnose button: the same answer `auto_diagnose` uses.
    fn can_diagnose(&self, incident: &crate::domain::incident::Incident) -> bool {
        self.engine
            .views()
            .actions()
            .diagnosis_for(incident.service.as_deref())
            .is_some()
    }

    /// A delivery got through: the chat accepts warroom again.
    pub(super) fn unblocked(&self) {
        if let Some(previous) = self.health.clear_chat_blocked() {
            info!(
                reason = previous.reason.as_str(),
                "The chat accepts warroom again; delivery resumes."
            );
        }
    }

    /// Delivers one item; each effect's delivery is idempotent per its key.
    pub(super) async fn deliver(&self, key: u64, effect: &Effect) -> Result<(), DeliveryError> {
        match effect {
            Effect::Direct { .. } => return self.deliver_direct(key, effect).await,
            Effect::Announce { .. } => return self.deliver_announce(key, effect).await,
            Effect::Page { .. } => return self.deliver_page(key, effect).await,
            _ => {}
        }
        let Some(incident_id) = effect.incident() else {
            return self.deliver_alert(key, effect).await;
        };
        let Some(incident) = self.store.incident(incident_id)? else {
            warn!(incident = %incident_id, "Outbox item for a missing incident dropped.");
            return Ok(());
        };
        match effect {
            Effect::OpenRoom { .. } => {
                // Each step is idempotent, so a crash anywhere here is repaired by repeating
                // the whole item: the chat dedups by key, the engine dedups the record.
                let room = match self.store.chat_ref(&room_key(incident_id))? {
                    Some(room) => RoomId(room),
                    None => {
                        let name = room_name(&incident_id, &incident.title);
                        let topic = render::topic(&self.i18n, &self.locale, &incident);
                        let members: Vec<crate::domain::ids::UserId> =
                            crate::domain::incident::IncidentRole::ALL
                                .iter()
                                .filter_map(|role| incident.roles.get(*role).cloned())
                                .collect();
                        let room = self
                            .chat
                            .open_room(&room_key(incident_id), incident_id, &name, &topic, &members)
                            .await?;
                        self.store.set_chat_ref(&room_key(incident_id), &room.0)?;
                        self.store
                            .set_chat_ref(&incident_of_key(&room), &incident_id.to_string())?;
                        info!(incident = %incident_id, %room, "Incident room opened.");
                        room
                    }
                };
                self.engine
                    .record(ChatRecord::RoomCreated {
                        incident: incident_id,
                        room,
                    })
                    .await?;
            }
            Effect::PostCard { .. } => {
                let (room, message) = match self.store.chat_ref(&card_key(incident_id))? {
                    Some(reference) => match reference.split_once('\t') {
                        Some((room, message)) => {
                            (RoomId(room.to_owned()), MessageId(message.to_owned()))
                        }
                        None => {
                            warn!(incident = %incident_id, reference, "Unreadable card reference; not recorded.");
                            return Ok(());
                        }
                    },
                    None => {
                        let room = self.room(incident_id)?;
                        let card = render::card(
                            &self.i18n,
                            &self.locale,
                            &incident,
                            self.can_diagnose(&incident),
                        );
                        let message = self.chat.post(&room, &card_key(incident_id), &card).await?;
                        self.store
                            .set_chat_ref(&card_key(incident_id), &format!("{room}\t{message}"))?;
                        self.remember_message(&message, Some(incident_id), &card_key(incident_id));
                        (room, message)
                    }
                };
                self.engine
                    .record(ChatRecord::CardPosted {
                        incident: incident_id,
                        room,
                        message,
                    })
                    .await?;
            }
            Effect::MentionRoles { .. } => {
                let room = self.room(incident_id)?;
                let text = render::mentions(&self.i18n, &self.locale, &incident);
                let message = self
                    .chat
                    .post(&room, &format!("outbox:{key}"), &text)
                    .await?;
                self.remember_message(&message, Some(incident_id), &format!("outbox:{key}"));
            }
            Effect::Notify { message, .. } => {
                let room = self.room(incident_id)?;
                let text = OutgoingMessage {
                    text: self.i18n.rich(&self.locale, message),
                    ..OutgoingMessage::default()
                };
                let message = self
                    .chat
                    .post(&room, &format!("outbox:{key}"), &text)
                    .await?;
                self.remember_message(&message, Some(incident_id), &format!("outbox:{key}"));
            }
            Effect::PostTracked { key, body, .. } => {
                self.post_tracked(&incident, key, body).await?;
            }
            Effect::UpdateTracked { .. } => {
                // Stored as dirty marks, never as outbox items; nothing to do if one slips in.
            }
            Effect::PostAlert { .. }
            | Effect::Direct { .. }
            | Effect::Announce { .. }
            | Effect::Page { .. } => {}
            Effect::RefreshCard { .. } => {
                // Stored as dirty marks, never as outbox items; nothing to do if one slips in.
            }
        }
        Ok(())
    }

    /// An alert that opened no incident goes to the alerts room, if the chat has one.
    async fn deliver_alert(&self, key: u64, effect: &Effect) -> Result<(), DeliveryError> {
        let Effect::PostAlert { alert } = effect else {
            return Ok(());
        };
        let Some(room) = self.chat.alerts_room() else {
            return Ok(());
        };
        let Some(stored) = self.store.alert(alert)? else {
            return Ok(());
        };
        let text = render::alert_line(&self.i18n, &self.locale, &stored);
        let message = self
            .chat
            .post(&room, &format!("outbox:{key}"), &text)
            .await?;
        self.remember_message(&message, None, &format!("outbox:{key}"));
        Ok(())
    }

    pub(super) fn room(&self, incident: IncidentId) -> Result<RoomId, DeliveryError> {
        self.store
            .chat_ref(&room_key(incident))?
            .map(RoomId)
            .ok_or_else(|| DeliveryError::Chat(ChatError::NoRoom(incident.to_string())))
    }

    /// Re-renders one dirty card into its posted message and clears the mark.
    pub(super) async fn edit_card(
        &self,
        card: DirtyCard,
        reference: &str,
    ) -> Result<(), DeliveryError> {
        let Some((room, message)) = reference.split_once('\t') else {
            warn!(incident = %card.incident, reference, "Unreadable card reference; card not refreshed.");
            self.store.clear_dirty_card(card)?;
            return Ok(());
        };
        let Some(incident) = self.store.incident(card.incident)? else {
            self.store.clear_dirty_card(card)?;
            return Ok(());
        };
        let content = render::card(
            &self.i18n,
            &self.locale,
            &incident,
            self.can_diagnose(&incident),
        );
        let edited = self
            .chat
            .edit(
                &RoomId(room.to_owned()),
                &MessageId(message.to_owned()),
                &content,
            )
            .await;
        // The card was deleted (Discord's 404 Unknown Message) or its room is gone: the edit
        // would fail the same way forever, so it is dropped; the next change marks it again.
        drop_undeliverable(
            edited.map_err(DeliveryError::from),
            &format_args!("the card of {}", card.incident),
        )?;
        self.store.clear_dirty_card(card)?;
        Ok(())
    }
}
