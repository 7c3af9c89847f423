//! The outbox worker: delivers stored chat effects in order, retries with backoff when the
//! chat is down, and re-renders dirty incident cards at most once per interval each.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::chat::render;
use crate::chat::{ChatError, ChatPort, OutgoingMessage};
use crate::domain::effect::Effect;
use crate::domain::ids::{IncidentId, MessageId, RoomId};
use crate::domain::room::room_name;
use crate::engine::{ChatRecord, EngineHandle};
use crate::health::{ChatBlocked, Health};
use crate::i18n::I18n;
use crate::store::{DirtyCard, Store};

/// How often the worker looks for due card edits when nothing wakes it.
const TICK: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// While the chat refuses warroom (401, 403) the head item is retried as a probe, first
/// after this, then twice as long each time up to [`MAX_BACKOFF`]: slow enough that Discord
/// does not count warroom as a client hammering it with invalid requests.
const FIRST_BLOCKED_PROBE: Duration = Duration::from_secs(1);
/// A blocked chat is logged as an error at most this often, not on every probe.
pub const BLOCKED_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// The wait to use now; `backoff` doubles (up to [`MAX_BACKOFF`]) for the next failure.
fn next_backoff(backoff: &mut Duration) -> Duration {
    let wait = *backoff;
    *backoff = doubled(wait);
    wait
}

fn doubled(wait: Duration) -> Duration {
    (wait * 2).min(MAX_BACKOFF)
}

pub struct OutboxWorker {
    pub store: Arc<dyn Store>,
    pub chat: Arc<dyn ChatPort>,
    pub engine: EngineHandle,
    pub i18n: Arc<I18n>,
    pub locale: String,
    pub card_edit_interval: Duration,
    pub wake: Arc<Notify>,
    /// Where the worker reports that the chat refuses warroom, for `/readyz`.
    pub health: Arc<Health>,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum DeliveryError {
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
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
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut last_edit: HashMap<IncidentId, Instant> = HashMap::new();
        let mut backoff = Duration::from_millis(250);
        let mut blocked_probe = FIRST_BLOCKED_PROBE;
        let mut blocked_logged: Option<Instant> = None;
        loop {
            // Delivery may wait on pacing or a slow chat for long; a stop must not. Every item
            // is idempotent, so abandoning one half-way is repaired on the next start.
            let work = async {
                let delivered = self.deliver_pending().await;
                let refreshed = self.refresh_cards(&mut last_edit).await;
                let tracked = self.refresh_tracked().await;
                delivered.and(refreshed).and(tracked)
            };
            let result = tokio::select! {
                result = work => result,
                _ = shutdown.changed() => {
                    info!(pending = self.store.outbox_depth(), "Outbox stopping; pending items resume on next start.");
                    return;
                }
            };
            let depth = self.store.outbox_depth();
            metrics::gauge!("warroom_outbox_depth").set(depth as f64);
            let blocked = matches!(result, Err(DeliveryError::Chat(ChatError::Blocked { .. })));
            if !blocked {
                blocked_probe = FIRST_BLOCKED_PROBE;
                blocked_logged = None;
            }
            let wait = match result {
                Ok(()) => {
                    self.unblocked();
                    backoff = Duration::from_millis(250);
                    TICK
                }
                Err(DeliveryError::Chat(ChatError::Blocked { reason, detail })) => {
                    let new = self.health.set_chat_blocked(ChatBlocked {
                        reason,
                        detail: detail.clone(),
                    });
                    if new || blocked_logged.is_none_or(|at| at.elapsed() >= BLOCKED_LOG_INTERVAL) {
                        error!(
                            reason = reason.as_str(),
                            %detail,
                            pending = depth,
                            retry_in_ms = blocked_probe.as_millis() as u64,
                            "The chat refuses warroom; delivery is paused and nothing is dropped. Check the bot token and its permissions."
                        );
                        metrics::counter!("warroom_chat_blocked_errors_logged_total", "reason" => reason.as_str()).increment(1);
                        blocked_logged = Some(Instant::now());
                    }
                    next_backoff(&mut blocked_probe)
                }
                Err(DeliveryError::Chat(ChatError::RateLimited { retry_after })) => {
                    let wait = retry_after.unwrap_or(backoff).min(MAX_BACKOFF);
                    warn!(
                        retry_in_ms = wait.as_millis() as u64,
                        pending = depth,
                        "Chat rate limit hit; waiting."
                    );
                    backoff = doubled(backoff);
                    wait
                }
                Err(DeliveryError::Store(error)) => {
                    warn!(%error, retry_in_ms = backoff.as_millis() as u64, pending = depth, "The outbox cannot read the store; will retry.");
                    next_backoff(&mut backoff)
                }
                Err(error) => {
                    warn!(%error, retry_in_ms = backoff.as_millis() as u64, pending = depth, "Chat delivery failed; will retry.");
                    next_backoff(&mut backoff)
                }
            };
            // A blocked chat is probed on its own slow schedule: new work does not wake it,
            // or every alert would send Discord one more request it refuses.
            tokio::select! {
                _ = self.wake.notified(), if !blocked => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {
                    info!(pending = self.store.outbox_depth(), "Outbox stopping; pending items resume on next start.");
                    return;
                }
            }
        }
    }

    /// A delivery got through: the chat accepts warroom again.
    fn unblocked(&self) {
        if let Some(previous) = self.health.clear_chat_blocked() {
            info!(
                reason = previous.reason.as_str(),
                "The chat accepts warroom again; delivery resumes."
            );
        }
    }

    async fn deliver_pending(&self) -> Result<(), DeliveryError> {
        loop {
            let items = self.store.outbox_pending(64)?;
            if items.is_empty() {
                return Ok(());
            }
            for item in items {
                match self.deliver(item.key, &item.effect).await {
                    Ok(()) => self.unblocked(),
                    // A request the chat calls invalid would fail the same way forever and
                    // block everything behind it: say so loudly and move on. A chat that
                    // refuses warroom itself (Blocked) returns below and loses nothing.
                    Err(DeliveryError::Chat(ChatError::Rejected(reason))) => {
                        error!(item = item.key, effect = ?item.effect, %reason, "Chat refused an outbox item as invalid; dropping it.");
                        metrics::counter!("warroom_outbox_dropped_total", "reason" => "rejected")
                            .increment(1);
                    }
                    Err(DeliveryError::Chat(ChatError::NoRoom(reason))) => {
                        error!(item = item.key, effect = ?item.effect, %reason, "An outbox item has no room to go to; dropping it.");
                        metrics::counter!("warroom_outbox_dropped_total", "reason" => "no_room")
                            .increment(1);
                    }
                    Err(error) => return Err(error),
                }
                self.store.outbox_complete(item.key)?;
            }
        }
    }

    async fn deliver(&self, key: u64, effect: &Effect) -> Result<(), DeliveryError> {
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
                        let card = render::card(&self.i18n, &self.locale, &incident);
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
            Effect::PostAlert { .. } => {}
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

    /// Edits the cards whose interval has passed; the rest wait for a later tick, so a storm
    /// of updates becomes one edit per card per interval.
    async fn refresh_cards(
        &self,
        last_edit: &mut HashMap<IncidentId, Instant>,
    ) -> Result<(), DeliveryError> {
        let now = Instant::now();
        // Only edits within the interval still hold a card back: forget older ones, so the
        // map stays as small as the cards edited in the last interval.
        last_edit.retain(|_, at| now.duration_since(*at) < self.card_edit_interval);
        for card in self.store.dirty_cards()? {
            if last_edit
                .get(&card.incident)
                .is_some_and(|at| now.duration_since(*at) < self.card_edit_interval)
            {
                continue;
            }
            let Some(reference) = self.store.chat_ref(&card_key(card.incident))? else {
                // Not posted yet: the mark waits for the card, unless there will never be one.
                if self.store.incident(card.incident)?.is_none() {
                    self.store.clear_dirty_card(card)?;
                }
                continue;
            };
            self.edit_card(card, &reference).await?;
            last_edit.insert(card.incident, Instant::now());
        }
        Ok(())
    }

    async fn edit_card(&self, card: DirtyCard, reference: &str) -> Result<(), DeliveryError> {
        let Some((room, message)) = reference.split_once('\t') else {
            warn!(incident = %card.incident, reference, "Unreadable card reference; card not refreshed.");
            self.store.clear_dirty_card(card)?;
            return Ok(());
        };
        let Some(incident) = self.store.incident(card.incident)? else {
            self.store.clear_dirty_card(card)?;
            return Ok(());
        };
        let content = render::card(&self.i18n, &self.locale, &incident);
        self.chat
            .edit(
                &RoomId(room.to_owned()),
                &MessageId(message.to_owned()),
                &content,
            )
            .await?;
        debug!(incident = %card.incident, "Incident card refreshed.");
        self.store.clear_dirty_card(card)?;
        Ok(())
    }
}
