//! The outbox delivering a request's message: posted once, edited in place.

use chrono::{DateTime, Utc};

use super::*;
use crate::domain::action::RequestId;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

use super::tests::awaiting;

/// A chat that keeps what it was asked to post and edit.
#[derive(Default)]
struct RecordingChat {
    posted: std::sync::Mutex<Vec<OutgoingMessage>>,
    edited: std::sync::Mutex<Vec<(String, OutgoingMessage)>>,
}

#[async_trait::async_trait]
impl crate::chat::ChatPort for RecordingChat {
    async fn open_room(
        &self,
        _: &str,
        _: IncidentId,
        _: &str,
        _: &RichText,
        _: &[UserId],
    ) -> Result<crate::domain::ids::RoomId, crate::chat::ChatError> {
        Ok(crate::domain::ids::RoomId("room-1".into()))
    }
    async fn post(
        &self,
        _: &crate::domain::ids::RoomId,
        _: &str,
        message: &OutgoingMessage,
    ) -> Result<crate::domain::ids::MessageId, crate::chat::ChatError> {
        self.posted.lock().unwrap().push(message.clone());
        Ok(crate::domain::ids::MessageId("m-1".into()))
    }
    async fn edit(
        &self,
        _: &crate::domain::ids::RoomId,
        message: &crate::domain::ids::MessageId,
        content: &OutgoingMessage,
    ) -> Result<(), crate::chat::ChatError> {
        self.edited
            .lock()
            .unwrap()
            .push((message.0.clone(), content.clone()));
        Ok(())
    }
    fn alerts_room(&self) -> Option<crate::domain::ids::RoomId> {
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

    fn announce_room(&self) -> Option<crate::domain::ids::RoomId> {
        None
    }
}

/// The outbox posts a request's message once, with its buttons, and edits that same message
/// when the request moves on (votes, result), without the buttons once it stopped waiting.
#[tokio::test]
async fn the_outbox_posts_a_request_once_and_edits_it_in_place() {
    use std::sync::Arc;

    use crate::domain::action::action_message_key;
    use crate::domain::effect::{Effect, TrackedBody};
    use crate::engine::outbox::{OutboxWorker, room_key};
    use crate::store::{SledStore, Store, WriteBatch};

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
    let (incident_opened, _) = crate::domain::decide::open_incident_from_alert(
        &crate::domain::decide::Policy::standard(),
        crate::domain::decide::tests::id(1),
        &crate::domain::decide::tests::alert(
            "fp",
            "svc",
            "critical",
            crate::domain::alert::AlertStatus::Firing,
        ),
        "service=svc".to_owned(),
        at("2026-11-21T10:00:00Z"),
    );
    store
        .commit(WriteBatch {
            incidents: vec![incident_opened.clone()],
            ..WriteBatch::default()
        })
        .unwrap();
    store
        .set_chat_ref(&room_key(incident_opened.id), "room-1")
        .unwrap();
    let chat = Arc::new(RecordingChat::default());
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let worker = OutboxWorker {
        store: store.clone(),
        chat: chat.clone(),
        engine: crate::engine::EngineHandle::for_tests(tx, store.clone()),
        i18n: Arc::new(I18n::builtin().unwrap()),
        locale: "en-US".into(),
        card_edit_interval: std::time::Duration::ZERO,
        wake: Arc::default(),
        health: Arc::new(crate::health::Health::new()),
        pager: None,
    };
    let key = action_message_key(incident_opened.id, RequestId(1));
    let waiting = TrackedBody::Action(Box::new(awaiting()));
    worker
        .post_tracked(&incident_opened, &key, &waiting)
        .await
        .unwrap();
    // A repeat (the outbox after a crash) posts nothing twice.
    worker
        .post_tracked(&incident_opened, &key, &waiting)
        .await
        .unwrap();
    let posted = chat.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].buttons.len(), 2);
    assert!(posted[0].text.plain().contains("Approvals: 1 of 2"));

    let done = ActionView {
        approved_by: vec![
            (UserId("alice".into()), Some("Alice".into())),
            (UserId("bob".into()), Some("Bob".into())),
        ],
        state: RequestState::Succeeded,
        summary: Some(Msg::new("act-state-succeeded")),
        excerpt: Some("scaled".into()),
        ..awaiting()
    };
    store
        .commit(WriteBatch {
            effects: vec![Effect::UpdateTracked {
                incident: incident_opened.id,
                key: key.clone(),
                body: TrackedBody::Action(Box::new(done)),
            }],
            ..WriteBatch::default()
        })
        .unwrap();
    let mark = store.dirty_tracked().unwrap().remove(0);
    let tracked = store.tracked(&mark.key).unwrap().unwrap();
    worker.refresh_one_tracked(mark, tracked).await.unwrap();
    let edited = chat.edited.lock().unwrap().clone();
    assert_eq!(edited.len(), 1);
    let (message, content) = &edited[0];
    assert_eq!(
        message, "m-1",
        "the posted message is edited, not a new one"
    );
    assert!(content.buttons.is_empty(), "no votes once it ran");
    let text = content.text.plain();
    assert!(text.contains("Approved by: Alice, Bob"), "{text}");
    assert!(text.ends_with("\nscaled"), "{text}");
    assert_eq!(chat.posted.lock().unwrap().len(), 1);
}
