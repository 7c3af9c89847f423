//! Tracked messages: chat messages with a key (`probe:<incident>`; later approval requests
//! and playbook progress) that are posted once and then edited in place whenever what they
//! show changes.
//!
//! Invariants: a tracked message's body lives in the store under its key, written in the
//! same transaction as the change that caused it; posting is an outbox item (idempotent per
//! key), every later change only marks the key dirty, and the outbox re-renders each dirty
//! message from the newest body, so many changes between two looks cost one edit. The card
//! keeps its own path (`dirty_cards`), which works the same way keyed by incident.

use tracing::{debug, warn};

use crate::chat::{Button, ChatError, OutgoingMessage, RichText, reprobe_button_id};
use crate::domain::effect::TrackedBody;
use crate::domain::ids::{IncidentId, MessageId, RoomId};
use crate::domain::incident::Incident;
use crate::domain::message::Msg;
use crate::domain::probe::{ProbeOutcome, ProbeRefusal, ProbeState, ProbeView};
use crate::engine::outbox::{DeliveryError, OutboxWorker, drop_undeliverable};
use crate::i18n::I18n;
use crate::store::{DirtyTracked, MessageOwner, TrackedMessage};

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
        let zone = self.engine.views().time_zone;
        let content = render_tracked(&self.i18n, &self.locale, zone, incident.id, &body);
        let message = self.chat.post(&room, &reference, &content).await?;
        self.store
            .set_chat_ref(&reference, &format!("{room}\t{message}"))?;
        self.remember_message(&message, Some(incident.id), key);
        Ok(())
    }

    /// Edits one tracked message marked dirty, showing `tracked` (its body as read when the
    /// mark was found; a newer body comes with a newer mark, which this edit does not clear).
    /// The outbox's lanes call this in the message's incident lane, beside the card edits. An
    /// edit the chat refuses as invalid (the message was deleted: Discord's 404 Unknown
    /// Message) or that has no room is dropped like an undeliverable outbox item: logged,
    /// counted and its mark cleared. Any other failure is retried with the lane's backoff.
    pub(super) async fn refresh_one_tracked(
        &self,
        mark: DirtyTracked,
        tracked: TrackedMessage,
    ) -> Result<(), DeliveryError> {
        // Not posted yet: the post shows the newest body anyway.
        let Some(reference) = self.store.chat_ref(&tracked_ref_key(&mark.key))? else {
            return Ok(());
        };
        if reference == DROPPED {
            debug!(key = %mark.key, "A tracked message whose post was dropped is not edited.");
            self.store.clear_dirty_tracked(&mark)?;
            return Ok(());
        }
        let Some((room, message)) = reference.split_once('\t') else {
            warn!(key = %mark.key, "A tracked message without a readable reference is not refreshed.");
            self.store.clear_dirty_tracked(&mark)?;
            return Ok(());
        };
        drop_undeliverable(
            self.edit_tracked(&tracked, room, message).await,
            &format_args!("the tracked message {}", mark.key),
        )?;
        self.store.clear_dirty_tracked(&mark)?;
        Ok(())
    }

    async fn edit_tracked(
        &self,
        tracked: &TrackedMessage,
        room: &str,
        message: &str,
    ) -> Result<(), DeliveryError> {
        let zone = self.engine.views().time_zone;
        let content = render_tracked(
            &self.i18n,
            &self.locale,
            zone,
            tracked.incident,
            &tracked.body,
        );
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
    /// failure costs only that mapping, never the delivery. The sled writes (and, once per
    /// opened store, a count of up to [`crate::store::MAX_MESSAGES`] keys) run on tokio's
    /// blocking pool, not on the outbox task; the delivery does not wait for them.
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
        let store = self.store.clone();
        let message = message.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(error) = store.record_message(&message, &owner) {
                warn!(%error, key = %owner.key, "Cannot record what a posted message belongs to.");
            }
        });
    }
}

/// A tracked message as the chat shows it; times in `zone` (`[chat] time_zone`).
pub fn render_tracked(
    i18n: &I18n,
    locale: &str,
    zone: chrono_tz::Tz,
    incident: IncidentId,
    body: &TrackedBody,
) -> OutgoingMessage {
    match body {
        TrackedBody::Probe(view) => render_probe(i18n, locale, incident, view),
        TrackedBody::Action(view) => {
            crate::engine::action_render::render_action(i18n, locale, zone, incident, view)
        }
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
            .word("reason", refusal.code())
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
            ProbeOutcome::Failed {
                failure,
                error,
                latency_ms,
            } => lines.push(
                Msg::new("probe-failed")
                    .outside("url", &view.url)
                    .word("failure", failure.code())
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::domain::ids::Actor;
    use crate::domain::probe::{ProbeFailure, TIMED_OUT};
    use crate::domain::timeline::{EntryKind, TimelineEntry};

    fn incident() -> IncidentId {
        IncidentId::parse("INC-20261121-001").unwrap()
    }

    fn render(locale: &str, state: ProbeState) -> String {
        let i18n = I18n::builtin().unwrap();
        let view = ProbeView {
            url: "http://169.254.169.254/latest".into(),
            state,
        };
        render_tracked(
            &i18n,
            locale,
            chrono_tz::UTC,
            incident(),
            &TrackedBody::Probe(view),
        )
        .text
        .plain()
    }

    #[test]
    fn a_refused_or_failed_probe_in_a_zh_cn_room_reads_in_chinese() {
        let refused = ProbeState::Refused {
            refusal: ProbeRefusal::HostNotAllowed {
                host: "169.254.169.254".into(),
            },
        };
        let text = render("zh-CN", refused.clone());
        assert!(
            !text.contains("is not in"),
            "English in a zh-CN room: {text}"
        );
        assert!(text.contains("其主机不在"), "{text}");
        assert!(
            render("en-US", refused).contains("its host is not in [probes] allow_hosts"),
            "the same code reads in English in an en-US room"
        );
        let failed = ProbeState::Done {
            outcome: ProbeOutcome::Failed {
                failure: ProbeFailure::Connect,
                error: "Connection refused (os error 111)".into(),
                latency_ms: 2,
            },
        };
        let text = render("zh-CN", failed);
        assert!(text.contains("连接失败"), "{text}");
        assert!(!text.contains("connection failed"), "{text}");
    }

    #[test]
    fn every_refusal_failure_and_job_kind_has_a_message() {
        let i18n = I18n::builtin().unwrap();
        let ids = i18n.message_ids("en-US");
        let failures = ProbeFailure::ALL.map(ProbeFailure::code);
        let wanted = ProbeRefusal::CODES
            .iter()
            .map(|code| format!("probe-refusal-{code}"))
            .chain(
                failures
                    .iter()
                    .chain([TIMED_OUT].iter())
                    .map(|code| format!("probe-failure-{code}")),
            )
            .chain(["job-kind-probe".to_owned()]);
        for id in wanted {
            assert!(ids.contains(&id), "no message {id}");
        }
    }

    #[test]
    fn probe_and_job_timeline_lines_read_in_the_readers_language() {
        let i18n = I18n::builtin().unwrap();
        let at: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        let line = |kind: EntryKind| {
            let entry = TimelineEntry {
                incident: incident(),
                seq: 3,
                at,
                actor: Actor::warroom(),
                actor_name: None,
                kind,
            };
            i18n.render(
                "zh-CN",
                &crate::engine::timeline_line(&entry, chrono_tz::UTC),
            )
        };
        let probe = |refused: Option<&str>, failure: Option<&str>, error: Option<&str>| {
            EntryKind::ProbeResult {
                url: "http://10.0.0.7/health".into(),
                status: None,
                error: error.map(str::to_owned),
                latency_ms: Some(5),
                refused: refused.map(str::to_owned),
                failure: failure.map(str::to_owned),
            }
        };
        for (kind, wanted, unwanted) in [
            (
                probe(Some("host_not_allowed"), None, None),
                "其主机不在",
                "host_not_allowed",
            ),
            (
                probe(Some("port_not_allowed"), None, None),
                "其端口不被允许",
                "port_not_allowed",
            ),
            (probe(None, Some(TIMED_OUT), None), "超时", "timed"),
            (
                probe(None, Some("connect"), Some("Connection refused")),
                "连接失败",
                "connect)",
            ),
            (
                EntryKind::JobInterrupted {
                    job: 7,
                    job_kind: "probe".into(),
                    rerun: true,
                },
                "健康探测",
                "probe",
            ),
        ] {
            let text = line(kind);
            assert!(text.contains(wanted), "{text}");
            assert!(!text.contains(unwanted), "{text}");
        }
    }

    /// A chat that refuses every post and edit as invalid, like Discord's 400 and 404.
    struct RejectingChat;

    #[async_trait::async_trait]
    impl crate::chat::ChatPort for RejectingChat {
        async fn open_room(
            &self,
            _: &str,
            _: IncidentId,
            _: &str,
            _: &RichText,
            _: &[crate::domain::ids::UserId],
        ) -> Result<RoomId, ChatError> {
            Ok(RoomId("room-1".into()))
        }
        async fn post(
            &self,
            _: &RoomId,
            _: &str,
            _: &OutgoingMessage,
        ) -> Result<MessageId, ChatError> {
            Err(ChatError::Rejected("400 Invalid Form Body".into()))
        }
        async fn edit(
            &self,
            _: &RoomId,
            _: &MessageId,
            _: &OutgoingMessage,
        ) -> Result<(), ChatError> {
            Err(ChatError::Rejected("404 Unknown Message".into()))
        }
        fn alerts_room(&self) -> Option<RoomId> {
            None
        }

        async fn direct(
            &self,
            _user: &crate::domain::ids::UserId,
            _key: &str,
            _message: &crate::chat::OutgoingMessage,
        ) -> Result<crate::domain::ids::MessageId, crate::chat::ChatError> {
            Err(crate::chat::ChatError::Rejected(
                "no direct messages here".to_owned(),
            ))
        }

        fn announce_room(&self) -> Option<RoomId> {
            None
        }
    }

    /// A temp store holding one open incident, and an `OutboxWorker` over it whose chat
    /// rejects every post and edit. The `TempDir` keeps the store's files alive.
    fn rejecting_worker_with_incident() -> (
        tempfile::TempDir,
        std::sync::Arc<dyn crate::store::Store>,
        crate::domain::incident::Incident,
        OutboxWorker,
    ) {
        use std::sync::Arc;

        use crate::domain::decide::tests::{alert, at, id};
        use crate::store::{SledStore, Store};

        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
        let (incident, _) = crate::domain::decide::open_incident_from_alert(
            &crate::domain::decide::Policy::standard(),
            id(1),
            &alert(
                "fp",
                "svc",
                "critical",
                crate::domain::alert::AlertStatus::Firing,
            ),
            "service=svc".to_owned(),
            at("2026-11-21T10:00:00Z"),
        );
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let worker = OutboxWorker {
            store: store.clone(),
            chat: Arc::new(RejectingChat),
            engine: crate::engine::EngineHandle::for_tests(tx, store.clone()),
            i18n: Arc::new(I18n::builtin().unwrap()),
            locale: "en-US".into(),
            card_edit_interval: std::time::Duration::ZERO,
            wake: Arc::default(),
            health: Arc::new(crate::health::Health::new()),
            pager: None,
        };
        (dir, store, incident, worker)
    }

    #[tokio::test]
    async fn a_card_edit_the_chat_rejects_is_dropped_and_its_mark_cleared() {
        use crate::domain::effect::Effect;
        use crate::store::WriteBatch;

        let (_dir, store, incident, worker) = rejecting_worker_with_incident();
        store
            .commit(WriteBatch {
                incidents: vec![incident.clone()],
                effects: vec![Effect::RefreshCard {
                    incident: incident.id,
                }],
                ..WriteBatch::default()
            })
            .unwrap();
        let card = store.dirty_cards().unwrap().remove(0);
        let depth = store.outbox_depth();
        worker
            .edit_card(card, "room-1\tdeleted-card")
            .await
            .expect("a rejected edit is dropped, not retried forever");
        assert_eq!(store.dirty_cards().unwrap(), vec![], "the mark is cleared");
        assert_eq!(store.outbox_depth(), depth - 1);
    }

    #[tokio::test]
    async fn the_edits_of_a_tracked_message_whose_post_was_rejected_are_cleared() {
        use crate::domain::effect::Effect;
        use crate::engine::outbox::room_key;
        use crate::store::WriteBatch;

        let (_dir, store, incident, worker) = rejecting_worker_with_incident();
        store
            .set_chat_ref(&room_key(incident.id), "room-1")
            .unwrap();
        let key = crate::domain::probe::probe_key(incident.id);
        let body = |state: ProbeState| {
            TrackedBody::Probe(ProbeView {
                url: "https://ok.example.com/".into(),
                state,
            })
        };
        let posted = worker
            .post_tracked(&incident, &key, &body(ProbeState::Running))
            .await;
        assert!(
            matches!(posted, Err(DeliveryError::Chat(ChatError::Rejected(_)))),
            "{posted:?}"
        );
        // The probe finishes after the post was dropped: its edit has no message to go to.
        store
            .commit(WriteBatch {
                effects: vec![Effect::UpdateTracked {
                    incident: incident.id,
                    key: key.clone(),
                    body: body(ProbeState::Refused {
                        refusal: ProbeRefusal::NotAUrl,
                    }),
                }],
                ..WriteBatch::default()
            })
            .unwrap();
        assert_eq!(store.dirty_tracked().unwrap().len(), 1);
        let depth = store.outbox_depth();
        let mark = store.dirty_tracked().unwrap().remove(0);
        let tracked = store.tracked(&mark.key).unwrap().unwrap();
        worker.refresh_one_tracked(mark, tracked).await.unwrap();
        assert_eq!(
            store.dirty_tracked().unwrap(),
            vec![],
            "the mark is cleared, not kept waiting for a post that never happens"
        );
        assert_eq!(store.outbox_depth(), depth - 1);
    }
}
