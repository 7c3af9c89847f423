//! Durable deadlines: moments at which the engine must decide something even if nothing
//! else happens (a reminder, later an expiry). The core only says which deadlines to set or
//! cancel; the store keeps them ordered by due time, in the same transaction as the change
//! that caused them, so a cancelled deadline never fires.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::ids::IncidentId;

/// One pending deadline. Its `key` names it logically (`ack_reminder:INC-…`): setting a
/// deadline with a key already set replaces the earlier one, cancelling removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub key: String,
    pub due: DateTime<Utc>,
    pub kind: DeadlineKind,
}

/// What a deadline is for, with what its decision needs to know about earlier firings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Remind an unacknowledged incident's room; `sent` reminders went out before.
    AckReminder { incident: IncidentId, sent: u32 },
    /// An action request still awaiting approval expires.
    ActionExpiry {
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    },
    /// A command's cooldown on a service ends: while this deadline exists the command is
    /// refused on that service. Firing only removes it.
    ActionCooldown { command: String, service: String },
    /// Escalation step `step` (from 1) of a still-triggered incident, firing `repeat_index`
    /// (0 for the first). `held` marks direct messages and a page that quiet hours held back
    /// and that go out now (key `escalation:<incident>:<step>:<repeat>:held`).
    Escalation {
        incident: IncidentId,
        step: u32,
        repeat_index: u32,
        #[serde(default)]
        held: bool,
    },
    /// The incident's overdue-task ladder: one deadline per incident at the earliest next
    /// rung of any of its tasks (`domain::task::task_deadline_key`).
    TaskReminder { incident: IncidentId },
    /// An open incident has had no status update for its severity's interval; `sent`
    /// reminders went out since the last update.
    StatusUpdate { incident: IncidentId, sent: u32 },
    /// The next on-call hand-off (of any rotation, or an override's end): announce who holds
    /// each role now, then set the next one. One deadline under [`HANDOFF_KEY`].
    Handoff,
}

/// The key of the one pending hand-off announcement.
pub const HANDOFF_KEY: &str = "handoff";

/// The key of an incident's status-update reminder.
pub fn status_update_key(incident: IncidentId) -> String {
    format!("status_update:{incident}")
}

/// A change to the deadlines, written with the rest of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DeadlineChange {
    /// Sets the deadline, replacing any with the same key.
    Set(Deadline),
    /// Removes the deadline with this key, if there is one.
    Cancel { key: String },
}

impl DeadlineChange {
    /// The logical key the change is about.
    pub fn key(&self) -> &str {
        match self {
            DeadlineChange::Set(deadline) => &deadline.key,
            DeadlineChange::Cancel { key } => key,
        }
    }
}

/// The key of an incident's acknowledgement reminder.
pub fn ack_reminder_key(incident: IncidentId) -> String {
    format!("ack_reminder:{incident}")
}
