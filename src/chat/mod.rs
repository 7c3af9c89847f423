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

use crate::domain::action::{RequestId, VoteVia};
use crate::domain::command::Command;
use crate::domain::ids::{IncidentId, MessageId, RoomId, UserId};
use crate::domain::incident::Transition;

/// A message as warroom sends it, before any platform's formatting: every piece of text is
/// [`RichText`], which each chat renders for its medium (Discord escapes outside text and
/// lists exactly the people it calls; the console keeps text as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    pub text: RichText,
    pub fields: Vec<RichField>,
    pub buttons: Vec<Button>,
    /// Pin the message in its room (the incident card).
    pub pin: bool,
}

/// A named value on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichField {
    pub name: RichText,
    pub value: RichText,
}

/// A field as a plain-text chat shows it (the console).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// Localized text made of spans of different trust.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichText(pub Vec<Span>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// warroom's own text: translations, numbers, states, incident ids.
    Own(String),
    /// Text from outside: shown as typed, never as markup or a mention.
    Outside(String),
    /// A person named, not called; `name` is `None` when only the id is known.
    Person { id: UserId, name: Option<String> },
    /// A person called: the only span that may notify someone.
    Call(UserId),
    /// Everyone in the room called (`@here`): only an escalation step with `here` says it.
    Here,
    /// A link from outside (an alert's generator or runbook URL): shown as the address
    /// itself, clickable where the chat can, never as a masked link.
    Link(String),
    /// A block of program output from outside (an action's excerpt): shown verbatim in a
    /// code block where the chat has them, never interpreted as markup or mentions.
    Code(String),
}

impl RichText {
    pub fn own(text: impl Into<String>) -> RichText {
        RichText(vec![Span::Own(text.into())])
    }

    pub fn outside(text: impl Into<String>) -> RichText {
        RichText(vec![Span::Outside(text.into())])
    }

    pub fn link(url: impl Into<String>) -> RichText {
        RichText(vec![Span::Link(url.into())])
    }

    pub fn push(&mut self, span: Span) {
        self.0.push(span);
    }

    /// Appends `other`, merging adjacent own text.
    pub fn append(&mut self, other: RichText) {
        for span in other.0 {
            match (self.0.last_mut(), span) {
                (Some(Span::Own(last)), Span::Own(next)) => last.push_str(&next),
                (_, span) => self.0.push(span),
            }
        }
    }

    /// The lines joined by newlines.
    pub fn lines(lines: impl IntoIterator<Item = RichText>) -> RichText {
        let mut out = RichText::default();
        for (index, line) in lines.into_iter().enumerate() {
            if index > 0 {
                out.append(RichText::own("\n"));
            }
            out.append(line);
        }
        out
    }

    /// The people this text calls, each once, in order.
    pub fn calls(&self) -> Vec<UserId> {
        let mut out: Vec<UserId> = Vec::new();
        for span in &self.0 {
            if let Span::Call(id) = span
                && !out.contains(id)
            {
                out.push(id.clone());
            }
        }
        out
    }

    /// The text as a plain-text medium shows it: as typed, people by name, calls as `@id`.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for span in &self.0 {
            match span {
                Span::Own(text) | Span::Outside(text) | Span::Link(text) | Span::Code(text) => {
                    out.push_str(text)
                }
                Span::Person { id, name } => out.push_str(name.as_deref().unwrap_or(&id.0)),
                Span::Call(id) => {
                    out.push('@');
                    out.push_str(&id.0);
                }
                Span::Here => out.push_str("@here"),
            }
        }
        out
    }
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
    /// The chat refuses warroom in one room only (Discord's 403 with Missing Access or
    /// Missing Permissions on a channel's route: someone changed that channel's permission
    /// overwrites): that room's lane waits and retries, the other rooms go on.
    #[error("the chat service refuses warroom in room {room}: {detail}")]
    RoomForbidden { room: String, detail: String },
    /// The person takes no direct messages from warroom (Discord's 50007 "Cannot send
    /// messages to this user": DMs closed, or no shared server). Nothing is wrong with warroom
    /// or the item, and no retry will get through: the outbox logs it loudly and drops it
    /// (the room post of the same step still called them).
    #[error("the person takes no direct messages: {detail}")]
    DirectRefused { detail: String },
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
        topic: &RichText,
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
    /// Where alerts that open no incident are posted, if anywhere.
    fn alerts_room(&self) -> Option<RoomId>;
    /// Sends `message` to `user` alone (Discord: their DM channel, opened on first use;
    /// console: room `dm-<user>`, which only that person can read), idempotent per `key`.
    /// A direct message calls nobody: it reaches its one reader anyway. A person who takes
    /// no direct messages is [`ChatError::DirectRefused`].
    async fn direct(
        &self,
        user: &UserId,
        key: &str,
        message: &OutgoingMessage,
    ) -> Result<MessageId, ChatError>;
    /// Where hand-offs and status updates are announced (Discord:
    /// `discord.announce_channel_id`; console: `general`), if anywhere. Posts there go
    /// through [`ChatPort::post`].
    fn announce_room(&self) -> Option<RoomId>;
}

/// The id of an incident card button: `inc:<action>:<incident id>`.
pub fn button_id(transition: Transition, incident: IncidentId) -> String {
    format!("inc:{}:{incident}", transition.as_str())
}

/// The id of the Re-probe button on an incident's probe message: `probe:again:<incident id>`.
pub fn reprobe_button_id(incident: IncidentId) -> String {
    format!("probe:again:{incident}")
}

/// An action request's Approve (`apr:approve:<incident>:<request>`) or Reject
/// (`apr:reject:…`) button.
pub fn approval_button_id(incident: IncidentId, request: RequestId, approve: bool) -> String {
    let verb = if approve { "approve" } else { "reject" };
    format!("apr:{verb}:{incident}:{request}")
}

/// The card's Diagnose button: `/diag` on the incident's own service.
pub fn diagnose_button_id(incident: IncidentId) -> String {
    format!("diag:run:{incident}")
}

/// The command a button press means, and its incident.
pub fn parse_button(id: &str) -> Option<(Command, IncidentId)> {
    if let Some(incident) = id.strip_prefix("probe:again:") {
        return Some((Command::Reprobe, IncidentId::parse(incident).ok()?));
    }
    if let Some(incident) = id.strip_prefix("diag:run:") {
        let diagnose = Command::Action {
            command: crate::domain::action::DIAGNOSE_COMMAND.to_owned(),
            // The engine fills in the incident's own service.
            params: crate::domain::command::ActionParams::Named(Default::default()),
        };
        return Some((diagnose, IncidentId::parse(incident).ok()?));
    }
    if let Some(rest) = id.strip_prefix("apr:") {
        let mut parts = rest.splitn(3, ':');
        let approve = match parts.next()? {
            "approve" => true,
            "reject" => false,
            _ => return None,
        };
        let incident = IncidentId::parse(parts.next()?).ok()?;
        let request = RequestId::parse(parts.next()?)?;
        let vote = Command::Vote {
            request,
            approve,
            via: VoteVia::Button,
        };
        return Some((vote, incident));
    }
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
        for approve in [true, false] {
            let request = RequestId(999_999);
            let id = approval_button_id(incident, request, approve);
            assert!(id.len() <= 100, "{id}");
            assert_eq!(
                parse_button(&id),
                Some((
                    Command::Vote {
                        request,
                        approve,
                        via: VoteVia::Button
                    },
                    incident
                ))
            );
        }
        for bad in [
            "apr:approve:INC-20261121-001",
            "apr:maybe:INC-20261121-001:A1",
            "apr:approve:INC-20261121-001:A0",
            "apr:approve:INC-20261121-001:B1",
            "apr:approve:nope:A1",
        ] {
            assert_eq!(parse_button(bad), None, "{bad}");
        }
        let diagnose = diagnose_button_id(incident);
        assert!(diagnose.len() <= 100);
        assert!(matches!(
            parse_button(&diagnose),
            Some((Command::Action { command, .. }, id)) if command == "diag" && id == incident
        ));
        assert_eq!(parse_button("diag:run:nope"), None);
        let reprobe = reprobe_button_id(incident);
        assert!(reprobe.len() <= 100);
        assert_eq!(parse_button(&reprobe), Some((Command::Reprobe, incident)));
        for bad in [
            "",
            "inc",
            "inc:ack",
            "inc:dance:INC-20261121-001",
            "x:ack:INC-20261121-001",
            "inc:ack:INC-1",
            "probe:again:",
            "probe:again:INC-1",
            "probe:INC-20261121-001",
        ] {
            assert_eq!(parse_button(bad), None, "{bad:?}");
        }
    }
}
