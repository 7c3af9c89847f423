//! The incident: its state machine, its people and its milestones.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::ids::{IncidentId, MessageId, RoomId, UserId};
use crate::domain::severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentState {
    Triggered,
    Acknowledged,
    Mitigated,
    Resolved,
    Closed,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Triggered => "triggered",
            IncidentState::Acknowledged => "acknowledged",
            IncidentState::Mitigated => "mitigated",
            IncidentState::Resolved => "resolved",
            IncidentState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentState> {
        match text {
            "triggered" => Some(IncidentState::Triggered),
            "acknowledged" => Some(IncidentState::Acknowledged),
            "mitigated" => Some(IncidentState::Mitigated),
            "resolved" => Some(IncidentState::Resolved),
            "closed" => Some(IncidentState::Closed),
            _ => None,
        }
    }

    /// Open incidents still collect alerts and still need people.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            IncidentState::Triggered | IncidentState::Acknowledged | IncidentState::Mitigated
        )
    }
}

impl std::fmt::Display for IncidentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The three on-call roles of seed 002.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentRole {
    Commander,
    Communications,
    Operations,
}

impl IncidentRole {
    pub const ALL: [IncidentRole; 3] = [
        IncidentRole::Commander,
        IncidentRole::Communications,
        IncidentRole::Operations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentRole::Commander => "commander",
            IncidentRole::Communications => "communications",
            IncidentRole::Operations => "operations",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentRole> {
        match text.trim().to_ascii_lowercase().as_str() {
            "commander" | "ic" | "incident-commander" => Some(IncidentRole::Commander),
            "communications" | "comms" | "communication" => Some(IncidentRole::Communications),
            "operations" | "ops" | "operation" => Some(IncidentRole::Operations),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    pub commander: Option<UserId>,
    pub communications: Option<UserId>,
    pub operations: Option<UserId>,
}

impl Roles {
    pub fn get(&self, role: IncidentRole) -> Option<&UserId> {
        match role {
            IncidentRole::Commander => self.commander.as_ref(),
            IncidentRole::Communications => self.communications.as_ref(),
            IncidentRole::Operations => self.operations.as_ref(),
        }
    }

    pub fn set(&mut self, role: IncidentRole, user: Option<UserId>) {
        match role {
            IncidentRole::Commander => self.commander = user,
            IncidentRole::Communications => self.communications = user,
            IncidentRole::Operations => self.operations = user,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCounts {
    pub firing: u64,
    pub resolved: u64,
}

impl AlertCounts {
    pub fn total(&self) -> u64 {
        self.firing + self.resolved
    }
}

/// The timestamps of seed 002's incident record; the durations are computed from them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    /// When the problem began: the earliest alert's start, or the declaration time.
    pub occurred: Option<DateTime<Utc>>,
    /// When warroom opened the incident.
    pub detected: Option<DateTime<Utc>>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub mitigated: Option<DateTime<Utc>>,
    pub root_caused: Option<DateTime<Utc>>,
    pub resolved: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
    pub reviewed: Option<DateTime<Utc>>,
    /// When the incident was last reopened (back to `triggered`): the start of its current
    /// escalation cycle, so that cycle's direct messages and pages get keys of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened: Option<DateTime<Utc>>,
}

/// Durations in seconds, from [`Milestones`]; absent until both ends are known. The names
/// carry the unit because integrators read them in the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durations {
    pub time_to_detect_seconds: Option<i64>,
    pub time_to_acknowledge_seconds: Option<i64>,
    pub time_to_mitigate_seconds: Option<i64>,
    pub time_to_resolve_seconds: Option<i64>,
}

impl Milestones {
    pub fn durations(&self) -> Durations {
        let between = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| {
            from.zip(to).map(|(from, to)| (to - from).num_seconds())
        };
        Durations {
            time_to_detect_seconds: between(self.occurred, self.detected),
            time_to_acknowledge_seconds: between(self.detected, self.acknowledged),
            time_to_mitigate_seconds: between(self.occurred, self.mitigated),
            time_to_resolve_seconds: between(self.occurred, self.resolved),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub state: IncidentState,
    pub service: Option<String>,
    /// The alert group this incident collects (`None` for declared incidents).
    pub group_key: Option<String>,
    pub room: Option<RoomId>,
    /// The posted incident card, once the chat has it.
    #[serde(default)]
    pub card: Option<MessageId>,
    pub roles: Roles,
    pub alerts: AlertCounts,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub generator_url: Option<String>,
    pub runbook_url: Option<String>,
    /// When the last alert joined; grouping stops adding to an incident after the window.
    pub last_alert_at: Option<DateTime<Utc>>,
    pub milestones: Milestones,
    /// The number of timeline entries; the next entry gets `timeline_len + 1`.
    pub timeline_len: u64,
    /// How many reactions of each message are on the timeline, so the cap per message holds
    /// across restarts. Bounded by [`MAX_TRACKED_REACTION_MESSAGES`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reactions_recorded: BTreeMap<MessageId, u32>,
}

/// At most this many messages of one incident have their reactions counted (and so
/// recorded); reactions on further messages are not recorded.
pub const MAX_TRACKED_REACTION_MESSAGES: usize = 500;

impl Incident {
    pub fn all_alerts_resolved(&self) -> bool {
        self.alerts.total() > 0 && self.alerts.firing == 0
    }
}

/// A state change a person (or a button) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    Acknowledge,
    Mitigate,
    Resolve,
    Close,
    Reopen,
}

impl Transition {
    /// Every transition, in the order cards show their buttons.
    pub const ALL: [Transition; 5] = [
        Transition::Acknowledge,
        Transition::Mitigate,
        Transition::Resolve,
        Transition::Close,
        Transition::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Acknowledge => "acknowledge",
            Transition::Mitigate => "mitigate",
            Transition::Resolve => "resolve",
            Transition::Close => "close",
            Transition::Reopen => "reopen",
        }
    }

    pub fn parse(text: &str) -> Option<Transition> {
        match text {
            "acknowledge" | "ack" => Some(Transition::Acknowledge),
            "mitigate" => Some(Transition::Mitigate),
            "resolve" => Some(Transition::Resolve),
            "close" => Some(Transition::Close),
            "reopen" => Some(Transition::Reopen),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {transition:?} an incident that is {from}")]
pub struct TransitionRefused {
    pub transition: Transition,
    pub from: IncidentState,
}

/// The state machine: triggered → acknowledged → mitigated → resolved → closed, with
/// shortcuts forward (a responder may mitigate or resolve without acknowledging first) and
/// reopen from resolved or closed back to triggered, so someone must acknowledge again.
pub fn next_state(
    from: IncidentState,
    transition: Transition,
) -> Result<IncidentState, TransitionRefused> {
    use IncidentState as S;
    use Transition as T;
    let to = match (from, transition) {
        (S::Triggered, T::Acknowledge) => S::Acknowledged,
        (S::Triggered | S::Acknowledged, T::Mitigate) => S::Mitigated,
        (S::Triggered | S::Acknowledged | S::Mitigated, T::Resolve) => S::Resolved,
        (S::Resolved, T::Close) => S::Closed,
        (S::Resolved | S::Closed, T::Reopen) => S::Triggered,
        _ => return Err(TransitionRefused { transition, from }),
    };
    Ok(to)
}

/// The transitions the state machine allows from `state`, in [`Transition::ALL`] order: the
/// one source for the card's buttons and for what a refusal suggests instead.
pub fn allowed_transitions(state: IncidentState) -> Vec<Transition> {
    Transition::ALL
        .into_iter()
        .filter(|transition| next_state(state, *transition).is_ok())
        .collect()
}

/// Applies a transition to the incident's state and milestones at `now`.
pub fn apply_transition(
    incident: &mut Incident,
    transition: Transition,
    now: DateTime<Utc>,
) -> Result<IncidentState, TransitionRefused> {
    let to = next_state(incident.state, transition)?;
    let milestones = &mut incident.milestones;
    match to {
        IncidentState::Acknowledged => {
            milestones.acknowledged.get_or_insert(now);
        }
        IncidentState::Mitigated => {
            milestones.acknowledged.get_or_insert(now);
            milestones.mitigated.get_or_insert(now);
        }
        IncidentState::Resolved => {
            milestones.acknowledged.get_or_insert(now);
            milestones.resolved = Some(now);
        }
        IncidentState::Closed => milestones.closed = Some(now),
        IncidentState::Triggered => {
            // A reopened incident is not resolved any more; the earlier resolution stays on
            // the timeline, the milestone describes the current truth.
            milestones.resolved = None;
            milestones.closed = None;
            milestones.reopened = Some(now);
        }
    }
    incident.state = to;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentState as S;
    use Transition as T;

    #[test]
    fn state_machine_table() {
        let cases = [
            (S::Triggered, T::Acknowledge, Some(S::Acknowledged)),
            (S::Triggered, T::Mitigate, Some(S::Mitigated)),
            (S::Triggered, T::Resolve, Some(S::Resolved)),
            (S::Triggered, T::Close, None),
            (S::Triggered, T::Reopen, None),
            (S::Acknowledged, T::Acknowledge, None),
            (S::Acknowledged, T::Mitigate, Some(S::Mitigated)),
            (S::Acknowledged, T::Resolve, Some(S::Resolved)),
            (S::Mitigated, T::Mitigate, None),
            (S::Mitigated, T::Acknowledge, None),
            (S::Mitigated, T::Resolve, Some(S::Resolved)),
            (S::Resolved, T::Resolve, None),
            (S::Resolved, T::Close, Some(S::Closed)),
            (S::Resolved, T::Reopen, Some(S::Triggered)),
            (S::Closed, T::Reopen, Some(S::Triggered)),
            (S::Closed, T::Acknowledge, None),
            (S::Closed, T::Close, None),
        ];
        for (from, transition, expected) in cases {
            assert_eq!(
                next_state(from, transition).ok(),
                expected,
                "{from:?} + {transition:?}"
            );
        }
    }

    #[test]
    fn allowed_transitions_are_exactly_what_the_state_machine_accepts() {
        let cases = [
            (S::Triggered, vec![T::Acknowledge, T::Mitigate, T::Resolve]),
            (S::Acknowledged, vec![T::Mitigate, T::Resolve]),
            (S::Mitigated, vec![T::Resolve]),
            (S::Resolved, vec![T::Close, T::Reopen]),
            (S::Closed, vec![T::Reopen]),
        ];
        for (state, expected) in cases {
            assert_eq!(allowed_transitions(state), expected, "{state:?}");
            for transition in Transition::ALL {
                assert_eq!(
                    allowed_transitions(state).contains(&transition),
                    next_state(state, transition).is_ok(),
                    "{state:?} + {transition:?}"
                );
            }
        }
    }

    #[test]
    fn durations_come_from_milestones() {
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        let milestones = Milestones {
            occurred: at("2026-11-21T10:00:00Z"),
            detected: at("2026-11-21T10:01:00Z"),
            acknowledged: at("2026-11-21T10:05:00Z"),
            mitigated: at("2026-11-21T10:30:00Z"),
            resolved: None,
            ..Milestones::default()
        };
        let durations = milestones.durations();
        assert_eq!(durations.time_to_detect_seconds, Some(60));
        assert_eq!(durations.time_to_acknowledge_seconds, Some(240));
        assert_eq!(durations.time_to_mitigate_seconds, Some(1800));
        assert_eq!(durations.time_to_resolve_seconds, None);
    }
}
