//! Actions: catalogued commands run from an incident room, and the two-person rule for the
//! ones that change production. A request names its command and parameters exactly; votes
//! are bound to a digest of them; the executor runs a durable job built from the request.
//!
//! This module holds the shared vocabulary (requests, votes, jobs, outcomes); the catalog
//! lives in [`catalog`].

pub mod argv;
pub mod catalog;
pub mod params;
pub mod rules;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::access::PersonRole;
pub use crate::domain::action::catalog::{
    Catalog, CommandDef, ExecutorKind, ParamDef, ParamKind, Risk,
};
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::message::Msg;
use crate::domain::service::{ServiceDef, Services};

/// The most output a finished action keeps (the API shows it whole; chat shows an excerpt).
pub const MAX_ACTION_OUTPUT_BYTES: usize = 64 * 1024;
/// The most a room message about an action may hold (Discord's message limit).
pub const MAX_ACTION_MESSAGE_CHARS: usize = 2000;

/// The most of a command line a room message or reply line shows. A request that needs
/// approval and whose line is longer is refused when it is bound: approvers see it whole.
pub const MAX_COMMAND_LINE_CHARS: usize = 300;

/// The exact command as one line, parameters by name in a stable order, each value quoted
/// when it holds a space, a quote or nothing: `scale replicas:3 service:checkout-api`.
pub fn whole_command_line(command: &str, params: &BTreeMap<String, String>) -> String {
    let mut line = command.to_owned();
    for (name, value) in params {
        line.push(' ');
        line.push_str(name);
        line.push(':');
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '"') {
            line.push('"');
            for c in value.chars() {
                if matches!(c, '"' | '\\') {
                    line.push('\\');
                }
                line.push(c);
            }
            line.push('"');
        } else {
            line.push_str(value);
        }
    }
    line
}

/// The actions part of the core's policy, built from config.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPolicy {
    pub catalog: Catalog,
    pub services: Services,
    /// How long a request may wait for its approvals.
    pub approval_expiry: chrono::Duration,
    /// Run `diag` when an incident opens for a catalogued service.
    pub auto_diagnose: bool,
}

/// The catalog command a card's Diagnose button and `auto_diagnose` run.
pub const DIAGNOSE_COMMAND: &str = "diag";

impl ActionPolicy {
    /// The diagnosis command and the configured service it would look at, when an incident
    /// of `service` can be diagnosed: the catalog has `diag` with a service parameter and the
    /// service is configured. One answer for the card's button and for `auto_diagnose`.
    pub fn diagnosis_for(&self, service: Option<&str>) -> Option<(&CommandDef, &ServiceDef)> {
        let service = self.services.get(service?)?;
        let command = self.catalog.get(DIAGNOSE_COMMAND)?;
        command.service_param()?;
        Some((command, service))
    }

    /// What a cooldown of `command` on `service` holds back. Kubernetes commands change a
    /// deployment, so theirs is the deployment (`deployment:namespace/deployment`, `-` for the
    /// cluster's default namespace), shared by scale, scale-rollback and restart and by every
    /// service naming that deployment: one change at a time per deployment. Any other
    /// command's is itself on the service.
    pub fn cooldown_scope(&self, command: &str, service: &str) -> String {
        let changes_deployment = self
            .catalog
            .get(command)
            .is_some_and(|command| command.executor == ExecutorKind::Kubernetes);
        match self.services.get(service) {
            Some(ServiceDef {
                deployment: Some(deployment),
                namespace,
                ..
            }) if changes_deployment => format!(
                "deployment:{}/{deployment}",
                namespace.as_deref().unwrap_or("-")
            ),
            _ => format!("{command}:{service}"),
        }
    }
}

impl Default for ActionPolicy {
    fn default() -> ActionPolicy {
        ActionPolicy {
            catalog: Catalog::default(),
            services: Services::default(),
            approval_expiry: chrono::Duration::minutes(15),
            auto_diagnose: false,
        }
    }
}

/// A request's number within its incident, shown as `A1`, `A2`, …
/// Serialised as its text (`"A1"`), as people and button ids name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct RequestId(pub u32);

impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for RequestId {
    type Error = String;

    fn try_from(text: String) -> Result<RequestId, String> {
        RequestId::parse(&text).ok_or_else(|| format!("{text:?} is not a request id like A1"))
    }
}

impl RequestId {
    /// `A12` (any case) → 12; anything else is `None`.
    pub fn parse(text: &str) -> Option<RequestId> {
        let digits = text.strip_prefix(['A', 'a'])?;
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u32 = digits.parse().ok()?;
        (number > 0).then_some(RequestId(number))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "A{}", self.0)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for approvals.
    AwaitingApproval,
    /// Approved (or read-only): its job is queued.
    Queued,
    /// Its job is running.
    Running,
    Succeeded,
    Failed,
    /// An eligible approver rejected it.
    Rejected,
    /// Not approved before its expiry.
    Expired,
    /// Withdrawn (its incident closed, or its requester withdrew it).
    Cancelled,
    /// Its job was running when warroom stopped and it must not run twice.
    Interrupted,
}

impl RequestState {
    /// Whether nothing more can happen to it.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            RequestState::AwaitingApproval | RequestState::Queued | RequestState::Running
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::AwaitingApproval => "awaiting_approval",
            RequestState::Queued => "queued",
            RequestState::Running => "running",
            RequestState::Succeeded => "succeeded",
            RequestState::Failed => "failed",
            RequestState::Rejected => "rejected",
            RequestState::Expired => "expired",
            RequestState::Cancelled => "cancelled",
            RequestState::Interrupted => "interrupted",
        }
    }
}

/// How a vote was cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteVia {
    Button,
    Reaction,
}

/// A vote that counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub user: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub approve: bool,
    pub at: DateTime<Utc>,
    pub via: VoteVia,
}

/// One request to run a catalogued command in an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    pub incident: IncidentId,
    pub id: RequestId,
    pub command: String,
    /// Parameter values after checking, canonical (a service by its configured name, an
    /// integer without leading zeros), by parameter name.
    pub params: BTreeMap<String, String>,
    /// The digest of the job planned with the request and its incident
    /// ([`rules::job_digest`]): votes name it, and a job that no longer hashes to it never
    /// runs.
    pub digest: String,
    pub requester: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_name: Option<String>,
    /// Distinct approvals needed (0: it ran at once).
    pub approvals_required: u32,
    pub approver_role: PersonRole,
    pub risk: Risk,
    pub created_at: DateTime<Utc>,
    /// When it expires unapproved; `None` for read-only requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Votes that counted, in order.
    #[serde(default)]
    pub votes: Vec<Vote>,
    pub state: RequestState,
    /// The durable job running it, once queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ActionOutcome>,
}

impl ActionRequest {
    /// The service the request acts on, when its command has a service parameter.
    pub fn service(&self) -> Option<&str> {
        self.params.get("service").map(String::as_str)
    }

    /// Approvals counted so far.
    pub fn approvals(&self) -> u32 {
        let count = self.votes.iter().filter(|vote| vote.approve).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

/// Everything an executor needs to run one request: a snapshot taken when the request was
/// made, so what runs is exactly what was approved, even if config changes meanwhile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionJob {
    pub request: RequestId,
    pub command: String,
    pub executor: ExecutorKind,
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub digest: String,
    /// The service acted on and, for link diagnosis, every service reachable through
    /// `depends_on` (bounded); the first is the one named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceDef>,
    /// Shell only (see [`CommandDef::argv`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    pub timeout_ms: u64,
    pub idempotent: bool,
    /// `scale-rollback` only: the replica count to go back to, fixed when it was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<i32>,
}

impl ActionJob {
    /// The service acted on.
    pub fn service(&self) -> Option<&ServiceDef> {
        self.services.first()
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Succeeded,
    /// It ran and failed (an error answer, a failed check counts as succeeded with findings).
    Failed,
    TimedOut,
    /// The executor refused to run it (a bad parameter, out of bounds, not configured).
    Refused,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Succeeded => "succeeded",
            ActionStatus::Failed => "failed",
            ActionStatus::TimedOut => "timed_out",
            ActionStatus::Refused => "refused",
        }
    }
}

/// A scale's before and after, kept so `scale-rollback` can go back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleChange {
    pub from: i32,
    pub to: i32,
}

/// What an executor reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub status: ActionStatus,
    /// One line for the room, in the reader's language.
    pub summary: Msg,
    /// Further lines for the room (evidence, root-cause candidates), most important first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Msg>,
    /// The raw output (bodies, query results, log lines, program output), at most
    /// [`MAX_ACTION_OUTPUT_BYTES`]; the API shows it, chat shows an excerpt.
    #[serde(default)]
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<ScaleChange>,
    pub duration_ms: u64,
}

/// What an action's message in the room shows; edited as votes come and when it finishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    pub request: RequestId,
    pub command: String,
    pub params: BTreeMap<String, String>,
    pub requester: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_name: Option<String>,
    pub risk: Risk,
    pub approvals_required: u32,
    /// The names (or ids) of those who approved so far.
    #[serde(default)]
    pub approved_by: Vec<(UserId, Option<String>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_by: Option<(UserId, Option<String>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub state: RequestState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Msg>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Msg>,
    /// The start of the output, cut so the whole message stays within
    /// [`MAX_ACTION_MESSAGE_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

/// The key of a request's tracked message: `action:INC-…:A1`.
pub fn action_message_key(incident: IncidentId, request: RequestId) -> String {
    format!("action:{incident}:{request}")
}

/// The key of a request's approval expiry deadline.
pub fn action_expiry_key(incident: IncidentId, request: RequestId) -> String {
    format!("action_expiry:{incident}:{request}")
}

/// The key of a cooldown on `scope` (see [`ActionPolicy::cooldown_scope`]; global: a cooldown
/// spans incidents).
pub fn action_cooldown_key(scope: &str) -> String {
    format!("action_cooldown:{scope}")
}
