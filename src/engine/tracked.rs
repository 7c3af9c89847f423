//! Tracked messages: chat messages with a key (`probe:<incident>`; later approval requests
//! and playbook progress) that are posted once and then edited in place whenever what they
//! show changes.
//!
//! Invariants: a tracked message's body lives in the store under its key, written in the
//! same transaction as the change that caused it; posting is an outbox item (idempotent per
//! key), every later change only marks the key dirty, and the outbox re-renders each dirty
//! message from the newest body, so many changes between two looks cost one edit. The card
//! keeps its own path (`dirty_cards`), which works the same way keyed by incident.

use tracing::{debug, error, warn};

use crate::chat::{Button, ChatError, OutgoingMessage, RichText, reprobe_button_id};
use crate::domain::effect::TrackedBody;
use crate::domain::ids::{IncidentId, MessageId, RoomId};
use crate::domain::incident::Incident;
use crate::domain::message::Msg;
use crate::domain::probe::{ProbeOutcome, ProbeRefusal, ProbeState, ProbeView};
use crate::engine::outbox::{DeliveryError, OutboxWorker};
use crate::i18n::I18n;
use crate::store::{MessageOwner, TrackedMessage};

/// Where the chat reference (`room\tmessage`) of a tracked message is kept.
pub fn tracked_ref_key(key: &str) -> String {
    format!("tracked:{key}")
}

/// The chat reference of a tracked message whose post the chat refused: there is no message
/// to edit, ever.
const DROPPED: &str = "dropped";

impl OutboxWorker {
    /// Posts the tracked message `key` unless it was posted already, showing its newest body,
    /// and remembers where it went. A post the chat refuses as invalid (or with no room to
    /// go to) is remembered as dropped, so the edits marked for it are cleared, not kept
    /// waiting for a message that will never exist.
    pub(super) async fn post_tracked(
        &self,
        incident: &Incident,
        key: &str,
        body_when_decided: &TrackedBody,
    ) -> Result<(), DeliveryError> {
        let reference = tracked_ref_key(key);
        if self.store.chat_ref(&reference)?.is_some() {
            return Ok(());
        }
        let posted = self
            .post_tracked_now(incident, key, body_when_decided)
            .await;
        if let Err(DeliveryError::Chat(ChatError::Rejected(_) | ChatError::NoRoom(_))) = &posted {
            self.store.set_chat_ref(&reference, DROPPED)?;
        }
        posted
    }

    async fn post_tracked_now(
        &self,
        incident: &Incident,
        key: &str,
        body_when_decided: &TrackedBody,
    ) -> Result<(), DeliveryError> {
        let reference = tracked_ref_key(key);
        let room = self.room(incident.id)?;
        let body = match self.store.tracked(key)? {
            Some(tracked) => tracked.body,
            None => body_when_decided.clone(),
        };
        let content = render_tracked(&self.i18n, &self.locale, incident.id, &body);
        let message = self.chat.post(&room, &reference, &content).await?;
        self.store
            .set_chat_ref(&reference, &format!("{room}\t{message}"))?;
        self.remember_message(&message, Some(incident.id), key);
        Ok(())
    }

    /// Edits every tracked message marked dirty, from its newest body. An edit the chat
    /// refuses as invalid (the message was deleted: Discord's 404 Unknown Message) or that
    /// has no room is dropped like an undeliverable outbox item: logged, counted, its mark
    /// cleared, and the other marks still edited. Any other failure stops the pass and is
    /// retried with the outbox's backoff.
    pub(super) async fn refresh_tracked(&self) -> Result<(), DeliveryError> {
        for mark in self.store.dirty_tracked()? {
            let tracked = self.store.tracked(&mark.key)?;
            let Some(reference) = self.store.chat_ref(&tracked_ref_key(&mark.key))? else {
                // Not posted yet (the post shows the newest body anyway); a mark whose message
                // can never exist is cleared.
                if tracked.is_none() {
                    self.store.clear_dirty_tracked(&mark)?;
                }
                continue;
            };
            if reference == DROPPED {
                debug!(key = %mark.key, "A tracked message whose post was dropped is not edited.");
                self.store.clear_dirty_tracked(&mark)?;
                continue;
            }
            let (Some(tracked), Some((room, message))) = (tracked, reference.split_once('\t'))
            else {
                warn!(key = %mark.key, "A tracked message without a body or a readable reference is not refreshed.");
                self.store.clear_dirty_tracked(&mark)?;
                continue;
            };
            match self.edit_tracked(&tracked, room, message).await {
                Ok(()) => {}
                Err(DeliveryError::Chat(ChatError::Rejected(reason))) => {
                    error!(key = %mark.key, %reason, "Chat refused a tracked message's edit as invalid; dropping it.");
                    metrics::counter!("warroom_outbox_dropped_total", "reason" => "rejected")
                        .increment(1);
                }
                Err(DeliveryError::Chat(ChatError::NoRoom(reason))) => {
                    error!(key = %mark.key, %reason, "A tracked message's edit has no room to go to; dropping it.");
                    metrics::counter!("warroom_outbox_dropped_total", "reason" => "no_room")
                        .increment(1);
                }
                Err(error) => return Err(error),
            }
            self.store.clear_dirty_tracked(&mark)?;
        }
        Ok(())
    }

    async fn edit_tracked(
        &self,
        tracked: &TrackedMessage,
        room: &str,
        message: &str,
    ) -> Result<(), DeliveryError> {
        let content = render_tracked(&self.i18n, &self.locale, tracked.incident, &tracked.body);
        self.chat
            .edit(
                &RoomId(room.to_owned()),
                &MessageId(message.to_owned()),
                &content,
            )
            .await?;
        debug!(key = %tracked.key, "Tracked message refreshed.");
        Ok(())
    }

    /// Records what a posted message belongs to, so a reaction or button on it maps back. A
    /// failure costs only that mapping, never the delivery.
    pub(super) fn remember_message(
        &self,
        message: &MessageId,
        incident: Option<IncidentId>,
        key: &str,
    ) {
        let owner = MessageOwner {
            incident,
            key: key.to_owned(),
        };
        if let Err(error) = self.store.record_message(message, &owner) {
            warn!(%error, key, "Cannot record what a posted message belongs to.");
        }
    }
}

/// A tracked message as the chat shows it.
pub fn render_tracked(
    i18n: &I18n,
    locale: &str,
    incident: IncidentId,
    body: &TrackedBody,
) -> OutgoingMessage {
    match body {
        TrackedBody::Probe(view) => render_probe(i18n, locale, incident, view),
    }
}

fn render_probe(
    i18n: &I18n,
    locale: &str,
    incident: IncidentId,
    view: &ProbeView,
) -> OutgoingMessage {
    let refused = |refusal: &ProbeRefusal| {
        Msg::new("probe-refused")
            .outside("url", &view.url)
            .outside("reason", refusal.to_string())
    };
    let mut lines = Vec::new();
    let mut button = true;
    match &view.state {
        ProbeState::Running => lines.push(Msg::new("probe-running").outside("url", &view.url)),
        ProbeState::Refused { refusal } => {
            lines.push(refused(refusal));
            button = false;
        }
        ProbeState::Done { outcome } => match outcome {
            ProbeOutcome::Answered {
                status,
                latency_ms,
                location,
            } => {
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|code| code.canonical_reason())
                    .unwrap_or("");
                lines.push(
                    Msg::new("probe-answered")
                        .outside("url", &view.url)
                        .number("status", u64::from(*status))
                        .outside("reason", reason)
                        .number("latency", *latency_ms),
                );
                if let Some(location) = location {
                    lines.push(Msg::new("probe-redirect").outside("location", location));
                }
            }
            ProbeOutcome::Failed { error, latency_ms } => lines.push(
                Msg::new("probe-failed")
                    .outside("url", &view.url)
                    .outside("error", error)
                    .number("latency", *latency_ms),
            ),
            ProbeOutcome::TimedOut { latency_ms } => lines.push(
                Msg::new("probe-timed-out")
                    .outside("url", &view.url)
                    .number("latency", *latency_ms),
            ),
            ProbeOutcome::Refused { refusal } => lines.push(refused(refusal)),
        },
    }
    let buttons = if button {
        vec![Button {
            id: reprobe_button_id(incident),
            label: i18n.text(locale, "button-reprobe", &[]),
        }]
    } else {
        Vec::new()
    };
    OutgoingMessage {
        text: RichText::lines(lines.iter().map(|line| i18n.rich(locale, line))),
        fields: Vec::new(),
        buttons,
        pin: false,
    }
}
