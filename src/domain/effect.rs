//! What the core asks the world to do. Effects are stored in the outbox in the same write as
//! the timeline entries that caused them, so a crash between deciding and doing loses nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::alert::AlertIdentity;
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::message::Msg;
use crate::domain::probe::ProbeView;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Create the incident's room (idempotent per incident).
    OpenRoom { incident: IncidentId },
    /// Post the incident card with its buttons and pin it.
    PostCard { incident: IncidentId },
    /// Mention the people holding the incident's roles.
    MentionRoles { incident: IncidentId },
    /// Post a short notice in the incident's room.
    Notify { incident: IncidentId, message: Msg },
    /// Re-render the card in place; the outbox coalesces these per incident.
    RefreshCard { incident: IncidentId },
    /// Post an alert that opens no incident (below the threshold) to the alerts room.
    PostAlert { alert: AlertIdentity },
    /// Post a tracked message (one per `key`, e.g. `probe:<incident>`) showing `body`; the
    /// body is also kept in the tracked-message store so later changes can edit it in place.
    PostTracked {
        incident: IncidentId,
        key: String,
        body: TrackedBody,
    },
    /// A tracked message now shows `body`: stored, and the message marked dirty, so the
    /// outbox re-renders it in place, coalesced like the card.
    UpdateTracked {
        incident: IncidentId,
        key: String,
        body: TrackedBody,
    },
    /// A direct message to one person (Discord: their DM channel; console: room
    /// `dm-<user>`), about `incident` when there is one. `key` makes it idempotent
    /// (`escalation:<incident>:<step>:<repeat>`, `:r<ms>` after a reopen, plus the user).
    Direct {
        user: UserId,
        incident: Option<IncidentId>,
        key: String,
        message: Msg,
    },
    /// A post in the announcement room (Discord: `discord.announce_channel_id`; console:
    /// `general`): hand-offs and status updates. Dropped with a log line when there is none.
    Announce { key: String, message: Msg },
    /// A page through `[paging] webhook_url`: POST JSON {incident, title, severity, step,
    /// notify}, with the idempotency key `page:<incident>:<step>:<repeat>`, plus
    /// `:r<reopened ms>` once the incident was reopened (each triggered cycle pages anew).
    Page {
        incident: IncidentId,
        step: u32,
        repeat_index: u32,
        notify: Vec<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reopened: Option<DateTime<Utc>>,
    },
}

/// What a tracked message shows; each kind has its own renderer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrackedBody {
    /// The health probe of an incident, with a Re-probe button.
    Probe(ProbeView),
    /// An action request: who asked, what, votes, expiry, and at the end its result. Requests
    /// that need approval carry Approve and Reject buttons while they wait.
    Action(Box<crate::domain::action::ActionView>),
}

impl Effect {
    /// The incident the effect is about; `None` for alerts that belong to none.
    pub fn incident(&self) -> Option<IncidentId> {
        match self {
            Effect::OpenRoom { incident }
            | Effect::PostCard { incident }
            | Effect::MentionRoles { incident }
            | Effect::Notify { incident, .. }
            | Effect::RefreshCard { incident }
            | Effect::PostTracked { incident, .. }
            | Effect::UpdateTracked { incident, .. }
            | Effect::Page { incident, .. } => Some(*incident),
            Effect::Direct { incident, .. } => *incident,
            Effect::PostAlert { .. } | Effect::Announce { .. } => None,
        }
    }
}
