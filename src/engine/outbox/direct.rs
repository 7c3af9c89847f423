//! Direct messages and announcements: the two deliveries that go to no incident room.
//!
//! A direct message is written in its reader's language (their `locale`, when warroom knows
//! them, else the room locale); an announcement in the room locale. Both are idempotent per
//! the effect's own key, so a retry after a crash or a lost answer sends nothing twice. An
//! escalation call still waiting when its incident leaves `triggered` is dropped.

use tracing::{error, info};

use super::{DeliveryError, OutboxWorker, drop_undeliverable};
use crate::chat::{ChatError, OutgoingMessage};
use crate::domain::effect::Effect;
use crate::domain::escalation;
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::incident::IncidentState;

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
        if self.escalation_no_longer_due(*incident, key)? {
            info!(%user, incident = ?incident, key, "The incident is no longer triggered; its waiting escalation direct message is dropped.");
            return Ok(());
        }
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

    /// Whether a direct message is an escalation call (its key starts with the incident's
    /// escalation prefix) about an incident that is gone or no longer triggered: one that
    /// waited out a chat outage must not call people after someone acknowledged.
    fn escalation_no_longer_due(
        &self,
        incident: Option<IncidentId>,
        key: &str,
    ) -> Result<bool, DeliveryError> {
        let Some(incident) = incident else {
            return Ok(false);
        };
        if !key.starts_with(&escalation::key_prefix(incident)) {
            return Ok(false);
        }
        let state = self.store.incident(incident)?.map(|found| found.state);
        Ok(state != Some(IncidentState::Triggered))
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::chat::{ChatPort, RichText};
    use crate::domain::access::Person;
    use crate::domain::ids::{IncidentId, MessageId, RoomId};
    use crate::domain::message::Msg;
    use crate::i18n::I18n;
    use crate::store::{SledStore, Store};

    /// A chat that records direct messages and posts, refuses direct messages to `closed`
    /// people (Discord's 50007) and is down for `down` people.
    #[derive(Default)]
    struct DirectChat {
        announce: Option<RoomId>,
        closed: Vec<UserId>,
        down: Vec<UserId>,
        directs: Mutex<Vec<(UserId, String, String)>>,
        posts: Mutex<Vec<(RoomId, String, String)>>,
    }

    #[async_trait::async_trait]
    impl ChatPort for DirectChat {
        async fn open_room(
            &self,
            _: &str,
            _: IncidentId,
            _: &str,
            _: &RichText,
            _: &[UserId],
        ) -> Result<RoomId, ChatError> {
            Ok(RoomId("room".into()))
        }
        async fn post(
            &self,
            room: &RoomId,
            key: &str,
            message: &OutgoingMessage,
        ) -> Result<MessageId, ChatError> {
            self.posts
                .lock()
                .unwrap()
                .push((room.clone(), key.to_owned(), message.text.plain()));
            Ok(MessageId("m1".into()))
        }
        async fn edit(
            &self,
            _: &RoomId,
            _: &MessageId,
            _: &OutgoingMessage,
        ) -> Result<(), ChatError> {
            Ok(())
        }
        fn alerts_room(&self) -> Option<RoomId> {
            None
        }
        async fn direct(
            &self,
            user: &UserId,
            key: &str,
            message: &OutgoingMessage,
        ) -> Result<MessageId, ChatError> {
            if self.closed.contains(user) {
                return Err(ChatError::DirectRefused {
                    detail: "403: Cannot send messages to this user (Discord code 50007)".into(),
                });
            }
            if self.down.contains(user) {
                return Err(ChatError::Unavailable("503".into()));
            }
            assert!(
                message.text.calls().is_empty(),
                "a direct message calls nobody"
            );
            self.directs
                .lock()
                .unwrap()
                .push((user.clone(), key.to_owned(), message.text.plain()));
            Ok(MessageId("d1".into()))
        }
        fn announce_room(&self) -> Option<RoomId> {
            self.announce.clone()
        }
    }

    fn worker(chat: Arc<DirectChat>) -> (OutboxWorker, tempfile::TempDir) {
        let (worker, _, dir) = worker_with_store(chat);
        (worker, dir)
    }

    fn worker_with_store(
        chat: Arc<DirectChat>,
    ) -> (OutboxWorker, Arc<dyn Store>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let worker = OutboxWorker {
            store: store.clone(),
            chat,
            engine: crate::engine::EngineHandle::for_tests(tx, store.clone()),
            i18n: Arc::new(I18n::builtin().unwrap()),
            locale: "en-US".into(),
            card_edit_interval: std::time::Duration::ZERO,
            wake: Arc::default(),
            health: Arc::new(crate::health::Health::new()),
            pager: None,
        };
        (worker, store, dir)
    }

    fn user(name: &str) -> UserId {
        UserId(name.to_owned())
    }

    fn direct(to: &str) -> Effect {
        Effect::Direct {
            user: user(to),
            incident: None,
            key: format!("status_update:INC-20261121-001:2:{to}"),
            message: Msg::new("direct-status-update-overdue")
                .word("incident", "INC-20261121-001")
                .word("severity", "sev1")
                .outside("title", "api down")
                .number("number", 2)
                .number("minutes", 30),
        }
    }

    #[tokio::test]
    async fn a_direct_message_speaks_its_readers_language_and_a_refusal_is_dropped_not_retried() {
        let chat = Arc::new(DirectChat {
            closed: vec![user("bob")],
            down: vec![user("dave")],
            ..DirectChat::default()
        });
        let (worker, _dir) = worker(chat.clone());
        worker.engine.views().people.lock().introduce(Person {
            id: user("wang"),
            display_name: "wang".into(),
            roles: Default::default(),
            locale: "zh-CN".into(),
        });
        // (to whom, delivered or dropped (Ok) / retried (Err))
        for (to, settled) in [
            ("wang", true),
            ("carol", true),
            ("bob", true),
            ("dave", false),
        ] {
            let result = worker.deliver(7, &direct(to)).await;
            assert_eq!(result.is_ok(), settled, "{to}: {result:?}");
        }
        let directs = chat.directs.lock().unwrap().clone();
        assert_eq!(directs.len(), 2, "{directs:?}");
        let (wang, wang_key, wang_text) = &directs[0];
        assert_eq!(wang, &user("wang"));
        assert_eq!(wang_key, "direct:status_update:INC-20261121-001:2:wang");
        assert!(wang_text.contains("值班经理"), "{wang_text}");
        // Someone warroom does not know reads the room locale.
        let (carol, _, carol_text) = &directs[1];
        assert_eq!(carol, &user("carol"));
        assert!(carol_text.contains("duty manager"), "{carol_text}");
    }

    #[tokio::test]
    async fn an_announcement_goes_to_the_announcement_room_or_is_dropped_without_one() {
        let announce = Effect::Announce {
            key: "status:INC-20261121-001:5".into(),
            message: Msg::new("announce-status-update")
                .word("incident", "INC-20261121-001")
                .word("severity", "sev1")
                .outside("title", "api down")
                .user("user", &user("wang"))
                .outside("text", "failover done"),
        };
        let without = Arc::new(DirectChat::default());
        let (worker_without, _dir) = worker(without.clone());
        assert!(worker_without.deliver(1, &announce).await.is_ok());
        assert!(without.posts.lock().unwrap().is_empty());

        let with = Arc::new(DirectChat {
            announce: Some(RoomId("general".into())),
            ..DirectChat::default()
        });
        let (worker_with, _dir) = worker(with.clone());
        worker_with.deliver(1, &announce).await.unwrap();
        let posts = with.posts.lock().unwrap().clone();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].0, RoomId("general".into()));
        assert_eq!(posts[0].1, "announce:status:INC-20261121-001:5");
        assert!(posts[0].2.contains("failover done"), "{}", posts[0].2);
    }

    /// An escalation direct message that waited (the chat was down) is dropped once its
    /// incident is no longer triggered; one about a triggered incident, and any other direct
    /// message, still goes.
    #[tokio::test]
    async fn a_waiting_escalation_direct_message_is_dropped_once_the_incident_is_acknowledged() {
        use crate::domain::decide::{Policy, declare_incident};
        use crate::domain::incident::{Incident, IncidentState};
        use crate::store::WriteBatch;

        let chat = Arc::new(DirectChat::default());
        let (worker, store, _dir) = worker_with_store(chat.clone());
        let id = IncidentId::parse("INC-20261121-001").unwrap();
        let declarer = Person {
            id: user("dora"),
            display_name: "dora".into(),
            roles: [crate::domain::access::PersonRole::Responder].into(),
            locale: String::new(),
        };
        let now = "2026-11-21T10:00:00Z".parse().unwrap();
        let (incident, _) =
            declare_incident(&Policy::standard(), id, "api down", None, &declarer, now).unwrap();
        let escalation = |to: &str| Effect::Direct {
            user: user(to),
            incident: Some(id),
            key: format!("escalation:{id}:1:0:{to}"),
            message: Msg::new("dm-escalation-step")
                .word("incident", id)
                .word("severity", "sev3")
                .outside("title", "api down")
                .number("minutes", 5)
                .number("step", 1),
        };
        // (state, delivered)
        for (state, delivered) in [
            (IncidentState::Triggered, true),
            (IncidentState::Acknowledged, false),
            (IncidentState::Resolved, false),
        ] {
            store
                .commit(WriteBatch {
                    incidents: vec![Incident {
                        state,
                        ..incident.clone()
                    }],
                    ..WriteBatch::default()
                })
                .unwrap();
            let before = chat.directs.lock().unwrap().len();
            let to = format!("{state}-reader");
            worker.deliver(1, &escalation(&to)).await.unwrap();
            let after = chat.directs.lock().unwrap().len();
            assert_eq!(after - before, usize::from(delivered), "{state}");
        }
        // A status-update direct message is not an escalation call: it still goes.
        worker.deliver(2, &direct("carol")).await.unwrap();
        assert_eq!(
            chat.directs.lock().unwrap().last().unwrap().0,
            user("carol")
        );
    }
}
