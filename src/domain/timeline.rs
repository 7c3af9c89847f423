//! The append-only timeline: every change to an incident, with who and when. It is the audit log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::action::{ActionStatus, RequestId};
use crate::domain::alert::{AlertSource, AlertStatus};
use crate::domain::ids::{Actor, IncidentId, MessageId, RoomId, UserId};
use crate::domain::incident::{IncidentRole, IncidentState};
use crate::domain::message::Msg;
use crate::domain::severity::Severity;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub incident: IncidentId,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The display name of a person actor when the entry was written, beside the id in
    /// `actor`; entries written before names were kept have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    #[serde(flatten)]
    pub kind: EntryKind,
}

/// What happened. Serialised with a `kind` tag so the JSON reads `{seq, at, actor, kind, …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    IncidentOpened {
        title: String,
        severity: Severity,
        service: Option<String>,
        declared: bool,
    },
    AlertReceived {
        source: AlertSource,
        fingerprint: String,
        name: String,
        severity: Severity,
        status: AlertStatus,
    },
    AlertUpdated {
        source: AlertSource,
        fingerprint: String,
        name: String,
        status: AlertStatus,
    },
    AlertResolved {
        source: AlertSource,
        fingerprint: String,
        name: String,
    },
    AllAlertsResolved,
    StateChanged {
        from: IncidentState,
        to: IncidentState,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
        /// `manual` for a person's command, `alert` when a more severe alert joined.
        reason: String,
    },
    RoleAssigned {
        role: IncidentRole,
        user: UserId,
        /// The assignee's display name when warroom knew it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_name: Option<String>,
        previous: Option<UserId>,
    },
    RoomCreated {
        room: RoomId,
    },
    CardPosted {
        room: RoomId,
        message: MessageId,
    },
    NoteAdded {
        text: String,
    },
    ReactionAdded {
        message: MessageId,
        emoji: String,
        /// What the message was (`card:…`, `probe:…`, `outbox:…`), when warroom posted it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<String>,
    },
    /// A firing that arrived after the resolve of the same occurrence; nothing was opened.
    StaleAlertIgnored {
        source: AlertSource,
        fingerprint: String,
        name: String,
        starts_at: DateTime<Utc>,
    },
    /// The alert's start was implausible (before 2000 or after receipt); durations use
    /// `used` (the receipt time) instead of `original`.
    AlertStartCorrected {
        fingerprint: String,
        name: String,
        original: DateTime<Utc>,
        used: DateTime<Utc>,
    },
    /// The sender left alerts out of a request (Alertmanager's `truncatedAlerts`).
    AlertsTruncated {
        count: u64,
    },
    /// An incident still triggered got acknowledgement reminder `number` of `max`.
    AckReminder {
        number: u32,
        max: u32,
    },
    /// A health probe's answer (`status`, `latency_ms`), its failure (`failure`: a code such
    /// as `connect` or `timed_out`; `error`: the technical cause), or why the URL was not
    /// fetched at all (`refused`: a code such as `host_not_allowed`).
    ProbeResult {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refused: Option<String>,
        /// Entries written before failure kinds were kept have none (their `error` says it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<String>,
    },
    /// A job was running when warroom stopped: its outcome is unknown. It runs again only if
    /// its kind is idempotent (`rerun`).
    JobInterrupted {
        job: u64,
        job_kind: String,
        rerun: bool,
    },
    /// A person pressed Re-probe: the audit record of who asked warroom to fetch `url`.
    ProbeRequested {
        url: String,
    },
    /// Someone asked to run a catalogued command; `approvals_required` is 0 for read-only
    /// commands, which run at once.
    ActionRequested {
        request: RequestId,
        command: String,
        params: BTreeMap<String, String>,
        digest: String,
        approvals_required: u32,
    },
    /// A vote on a request: `counted`, or ignored with `reason` (a code such as
    /// `self_approval`, `already_voted`, `not_approver`, `expired`, `digest_mismatch`,
    /// `not_pending`). `approvals` counts the approvals after it.
    ActionVote {
        request: RequestId,
        approve: bool,
        counted: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        approvals: u32,
        required: u32,
    },
    /// A request was not approved in time.
    ActionExpired {
        request: RequestId,
    },
    /// A request was withdrawn: `reason` is a code (`rejected`, `incident_closed`).
    ActionCancelled {
        request: RequestId,
        reason: String,
    },
    /// A request's job was queued to run (approved, or read-only).
    ActionStarted {
        request: RequestId,
        job: u64,
    },
    /// A request's job finished.
    ActionFinished {
        request: RequestId,
        status: ActionStatus,
        summary: Msg,
    },
    /// A request's job was running when warroom stopped; it runs again only if its command
    /// is idempotent (`rerun`).
    ActionInterrupted {
        request: RequestId,
        rerun: bool,
    },
    /// Escalation step `step` (from 1), firing `repeat` (0 first) called `notified` by the
    /// ways in `how` (`room`, `here`, `direct`, `page`; `held` when quiet hours held the
    /// direct messages and the page until `held_until`).
    EscalationStep {
        step: u32,
        repeat: u32,
        notified: Vec<UserId>,
        how: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held_until: Option<DateTime<Utc>>,
    },
    TaskAdded {
        task: crate::domain::task::TaskId,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<DateTime<Utc>>,
    },
    TaskAssigned {
        task: crate::domain::task::TaskId,
        user: UserId,
    },
    TaskDone {
        task: crate::domain::task::TaskId,
    },
    TaskSnoozed {
        task: crate::domain::task::TaskId,
        until: DateTime<Utc>,
    },
    /// `to` was reminded of the overdue `tasks` in one message.
    TaskReminded {
        tasks: Vec<crate::domain::task::TaskId>,
        to: UserId,
    },
    /// The overdue `tasks` were escalated to the holder of `role` (`commander` or
    /// `duty_manager`); `to` is nobody when the role is held by no one (every duty manager
    /// is called then).
    TaskEscalated {
        tasks: Vec<crate::domain::task::TaskId>,
        role: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<UserId>,
    },
    /// `/incident update`: a status update, posted in the room and announced.
    StatusUpdate {
        text: String,
    },
    /// No status update for the severity's interval: `to` were reminded (reminder `number`);
    /// `duty_manager` when the duty manager was told too.
    StatusUpdateReminded {
        number: u32,
        to: Vec<UserId>,
        duty_manager: bool,
    },
}
