//! The chat port and what every chat adapter shares: the message model, the card and notice
//! renderers, and the button ids.
//!
//! Architecture invariant: adapters translate and never decide. They turn platform input into
//! engine calls and deliver outbox effects; permission checks they make are only early
//! refusals, enforced again in the core.

pub mod console;
pub mod discord;
pub mod render;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::command::Command;
use crate::domain::ids::{IncidentId, MessageId, RoomId, UserId};
use crate::domain::incident::Transition;

/// A message as warroom sends it, before any platform's formatting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    pub text: String,
    pub fields: Vec<Field>,
    pub buttons: Vec<Button>,
    /// Pin the message in its room (the incident card).
    pub pin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// A button. `id` carries everything needed to act (≤ 100 characters, Discord's limit for
/// `custom_id`); the state lives in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub id: String,
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the chat service is unavailable: {0}")]
    Unavailable(String),
    #[error("the chat service refused the request: {0}")]
    Rejected(String),
    #[error("rate limited by the chat service")]
    RateLimited {
        retry_after: Option<std::time::Duration>,
    },
    #[error("no room is known for {0}")]
    NoRoom(String),
    /// The chat refuses warroom itself (a revoked token, a missing permission): nothing is
    /// wrong with the item, so delivery pauses until a retry gets through.
    #[error("the chat service refuses warroom ({}): {detail}", reason.as_str())]
    Blocked { reason: BlockReason, detail: String },
}

/// Why the chat refuses warroom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// The token is wrong or revoked (HTTP 401).
    Unauthorized,
    /// The bot lacks a permission or access (HTTP 403).
    Forbidden,
}

impl BlockReason {
    /// The metric label and readiness text.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::Unauthorized => "unauthorized",
            BlockReason::Forbidden => "forbidden",
        }
    }
}

/// What the outbox delivers through. Every call is idempotent per `key`, so a retry after a
/// crash or a timeout never duplicates a room or a message.
#[async_trait]
pub trait ChatPort: Send + Sync {
    /// Opens the incident's room; `members` (the role holders) get access where rooms are
    /// private.
    async fn open_room(
        &self,
        key: &str,
        incident: IncidentId,
        name: &str,
        topic: &str,
        members: &[UserId],
    ) -> Result<RoomId, ChatError>;
    async fn post(
        &self,
        room: &RoomId,
        key: &str,
        message: &OutgoingMessage,
    ) -> Result<MessageId, ChatError>;
    async fn edit(
        &self,
        room: &RoomId,
        message: &MessageId,
        content: &OutgoingMessage,
    ) -> Result<(), ChatError>;
    /// How this platform mentions a person.
    fn mention(&self, user: &UserId) -> String;
    /// Where alerts that open no incident are posted, if anywhere.
    fn alerts_room(&self) -> Option<RoomId>;
}

/// The id of an incident card button: `inc:<action>:<incident id>`.
pub fn button_id(transition: Transition, incident: IncidentId) -> String {
    format!("inc:{}:{incident}", transition.as_str())
}

/// The command a button press means, and its incident.
pub fn parse_button(id: &str) -> Option<(Command, IncidentId)> {
    let mut parts = id.splitn(3, ':');
    if parts.next()? != "inc" {
        return None;
    }
    let transition = Transition::parse(parts.next()?)?;
    let incident = IncidentId::parse(parts.next()?).ok()?;
    Some((Command::Transition(transition), incident))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_ids_round_trip_and_fit_discord() {
        let incident = IncidentId::parse("INC-20261121-1234").unwrap();
        for transition in [
            Transition::Acknowledge,
            Transition::Mitigate,
            Transition::Resolve,
            Transition::Close,
            Transition::Reopen,
        ] {
            let id = button_id(transition, incident);
            assert!(id.len() <= 100);
            assert_eq!(
                parse_button(&id),
                Some((Command::Transition(transition), incident))
            );
        }
        for bad in [
            "",
            "inc",
            "inc:ack",
            "inc:dance:INC-20261121-001",
            "x:ack:INC-20261121-001",
            "inc:ack:INC-1",
        ] {
            assert_eq!(parse_button(bad), None, "{bad:?}");
        }
    }
}
