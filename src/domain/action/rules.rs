//! The two-person rule, purely: how a bound command becomes a request, how votes count, when
//! a request runs, expires, is cancelled, and how its job's outcome ends it. The engine loads
//! what a decision needs (the next request id, a reserved job id, the cooldown in force, the
//! last scale of the service), calls these with `now`, and writes what they answer in one
//! transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::access::{Permission, Person, authorize};
use crate::domain::action::{
    ActionJob, ActionPolicy, ActionRequest, CommandDef, ExecutorKind, RequestId, RequestState,
    ScaleChange, Vote, VoteVia, action_cooldown_key, action_expiry_key, action_message_key,
};
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::decide::{Decision, NOT_ALLOWED};
use crate::domain::effect::{Effect, TrackedBody};
use crate::domain::ids::{Actor, UserId};
use crate::domain::incident::Incident;
use crate::domain::job::{JobId, JobKind, NewJob};
use crate::domain::message::Msg;
use crate::domain::timeline::EntryKind;

/// How many `depends_on` hops link diagnosis follows from the service named.
pub const DIAGNOSE_DEPTH: usize = 3;
/// The user id warroom itself requests under (auto-diagnosis).
pub const WARROOM_REQUESTER: &str = "warroom";

mod admission;
mod outcome;

pub use admission::{PlanRefusal, check_job_age, check_job_digest, job_digest, planned_job_for};
use outcome::update;
pub use outcome::{
    MAX_DETAILS, MAX_EXCERPT_CHARS, cancel_pending, expire, finish, interrupted, view,
};

/// What the engine read for a new request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInputs {
    /// The request's number in its incident (the last one plus one).
    pub id: RequestId,
    /// A job id reserved for it, used only if it is queued at once.
    pub job: JobId,
    /// When the command's cooldown on the service ends, if one is in force.
    pub cooldown_until: Option<DateTime<Utc>>,
    /// The last successful scale of the service (for `scale-rollback`).
    pub last_scale: Option<ScaleChange>,
}

/// What the engine read for a vote.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteInputs {
    /// A job id reserved for the request, used only if this vote completes its approvals.
    pub job: JobId,
    /// When the command's cooldown on the request's service ends, if one is in force.
    pub cooldown_until: Option<DateTime<Utc>>,
    /// The job planned when the request was made (see [`ActionChange::planned`]).
    pub planned: Option<ActionJob>,
}

/// One vote as cast: who, which way, and how.
#[derive(Debug, Clone, Copy)]
pub struct Ballot<'a> {
    pub person: &'a Person,
    pub approve: bool,
    pub via: VoteVia,
}

/// What a rule decided: the decision (entries, effects, deadlines, reply), the request to
/// store, the job to create with its reserved id, and a scale to remember.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionChange {
    pub decision: Decision,
    pub request: Option<ActionRequest>,
    pub job: Option<(JobId, NewJob)>,
    pub last_scale: Option<(String, ScaleChange)>,
    /// A request that waits for approvals: the job it will run, built now, so what runs is
    /// exactly what was approved even if the catalog or services change meanwhile.
    pub planned: Option<ActionJob>,
}

/// Whether `person` may ask for actions in `incident` at all (checked before binding).
pub fn check_requester(person: &Person, incident: &Incident) -> Result<(), Msg> {
    authorize(person, Some(&incident.roles), Permission::Respond)
        .map_err(|_| Msg::new(NOT_ALLOWED).word("action", "run"))?;
    if !incident.state.is_open() {
        return Err(Msg::new("action-refused-incident-ended")
            .word("incident", incident.id)
            .word("state", incident.state));
    }
    Ok(())
}

/// A new request for the bound `command` with `params`, asked by `requester` (a person, or
/// warroom itself when `requester` is `None`). Read-only commands are queued at once with
/// their job; others wait for approvals until their expiry.
pub fn request_action(
    policy: &ActionPolicy,
    incident: &Incident,
    requester: Option<&Person>,
    command: &CommandDef,
    mut params: BTreeMap<String, String>,
    inputs: RequestInputs,
    now: DateTime<Utc>,
) -> Result<ActionChange, Msg> {
    if let Some(person) = requester {
        check_requester(person, incident)?;
    }
    let service = params.get("service").cloned();
    if let (Some(until), Some(service)) = (inputs.cooldown_until, &service)
        && until > now
    {
        return Err(cooldown_refusal(&command.name, service, until, now));
    }
    if command.action == "scale-rollback" {
        let Some(previous) = inputs.last_scale else {
            return Err(Msg::new("action-refused-no-rollback")
                .outside("command", &command.name)
                .outside("service", service.as_deref().unwrap_or("-")));
        };
        // Approvers approve a concrete number: the count before the last scale.
        params.insert("replicas".to_owned(), previous.from.to_string());
        // The service's bounds may have changed since that scale: refused now, not after
        // two people approved it.
        crate::domain::action::params::check_added_params(policy, command, &params)?;
    }
    let (user, name, actor) = match requester {
        Some(person) => (
            person.id.clone(),
            Some(person.display_name.clone()).filter(|name| !name.trim().is_empty()),
            Actor::user(&person.id),
        ),
        None => (UserId(WARROOM_REQUESTER.to_owned()), None, Actor::warroom()),
    };
    let mut request = ActionRequest {
        incident: incident.id,
        id: inputs.id,
        command: command.name.clone(),
        params: params.clone(),
        // Set below, from the job planned for it.
        digest: String::new(),
        requester: user,
        requester_name: name,
        approvals_required: command.approvals,
        approver_role: command.approver_role,
        risk: command.risk,
        created_at: now,
        expires_at: None,
        votes: Vec::new(),
        state: RequestState::AwaitingApproval,
        job: None,
        started_at: None,
        finished_at: None,
        outcome: None,
    };
    // The job is planned now and the digest covers all of it: what two people approve is
    // exactly what runs, whatever changes in the catalog or services meanwhile.
    let mut job = build_job(policy, command, &request);
    let digest = job_digest(incident.id, &job);
    job.digest = digest.clone();
    request.digest = digest.clone();
    let mut change = ActionChange::default();
    change.decision.entry(
        &actor,
        EntryKind::ActionRequested {
            request: inputs.id,
            command: command.name.clone(),
            params,
            digest,
            approvals_required: command.approvals,
        },
    );
    let reply = if command.needs_approval() {
        let expires_at = now + policy.approval_expiry;
        request.expires_at = Some(expires_at);
        change.planned = Some(job);
        change
            .decision
            .deadlines
            .push(DeadlineChange::Set(Deadline {
                key: action_expiry_key(incident.id, inputs.id),
                due: expires_at,
                kind: DeadlineKind::ActionExpiry {
                    incident: incident.id,
                    request: inputs.id,
                },
            }));
        Msg::new("action-reply-awaiting")
            .word("request", inputs.id)
            .outside("command", &command.name)
            .number("required", u64::from(command.approvals))
    } else {
        let cooldown = command_cooldown(command).map(|duration| (duration, policy));
        queue(&mut change, &mut request, cooldown, job, inputs.job, now);
        Msg::new("action-reply-queued")
            .word("request", inputs.id)
            .outside("command", &command.name)
    };
    change.decision.effects.push(Effect::PostTracked {
        incident: incident.id,
        key: action_message_key(incident.id, inputs.id),
        body: TrackedBody::Action(Box::new(view(&request))),
    });
    change.decision.reply = Some(reply);
    change.request = Some(request);
    Ok(change)
}

/// A vote on `request` by `person`. Every vote is on the timeline, counted or ignored with
/// its reason; it never fails. The vote that completes the approvals queues the job planned
/// when the request was made, or cancels the request when that plan is missing or changed.
pub fn vote(
    policy: &ActionPolicy,
    incident: &Incident,
    request: &ActionRequest,
    ballot: Ballot<'_>,
    inputs: VoteInputs,
    now: DateTime<Utc>,
) -> ActionChange {
    let VoteInputs {
        job,
        cooldown_until,
        planned,
    } = inputs;
    let Ballot {
        person,
        approve,
        via,
    } = ballot;
    let mut request = request.clone();
    let mut change = ActionChange::default();
    let actor = Actor::user(&person.id);
    let ignored = ignore_reason(incident, &request, person, approve, cooldown_until, now);
    if let Some(reason) = ignored {
        change.decision.entry(
            &actor,
            EntryKind::ActionVote {
                request: request.id,
                approve,
                counted: false,
                reason: Some(reason.to_owned()),
                approvals: request.approvals(),
                required: request.approvals_required,
            },
        );
        let mut reply = Msg::new(ignored_message(reason)).word("request", request.id);
        if reason == "not_approver" {
            reply = reply.word("role", request.approver_role.as_str());
        }
        if let (Some(until), Some(service), "cooldown") =
            (cooldown_until, request.service(), reason)
        {
            reply = cooldown_refusal(&request.command, service, until, now);
        }
        change.decision.reply = Some(reply);
        // Nothing about the request changed: it is not written again.
        return change;
    }
    request.votes.push(Vote {
        user: person.id.clone(),
        name: Some(person.display_name.clone()).filter(|name| !name.trim().is_empty()),
        approve,
        at: now,
        via,
    });
    change.decision.entry(
        &actor,
        EntryKind::ActionVote {
            request: request.id,
            approve,
            counted: true,
            reason: None,
            approvals: request.approvals(),
            required: request.approvals_required,
        },
    );
    let reply = if !approve {
        request.state = RequestState::Rejected;
        request.finished_at = Some(now);
        change.decision.entry(
            &actor,
            EntryKind::ActionCancelled {
                request: request.id,
                reason: "rejected".to_owned(),
            },
        );
        change.decision.deadlines.push(DeadlineChange::Cancel {
            key: action_expiry_key(request.incident, request.id),
        });
        Msg::new("action-vote-rejected").word("request", request.id)
    } else if request.approvals() >= request.approvals_required {
        let command = policy.catalog.get(&request.command);
        let cooldown = command
            .and_then(command_cooldown)
            .map(|duration| (duration, policy));
        change.decision.deadlines.push(DeadlineChange::Cancel {
            key: action_expiry_key(request.incident, request.id),
        });
        // What runs is exactly the job planned with the request; a missing or changed plan
        // cancels it (never rebuilt from the catalog as it is now).
        match planned_job_for(&request, planned) {
            Ok(action_job) => {
                queue(&mut change, &mut request, cooldown, action_job, job, now);
                Msg::new("action-vote-queued")
                    .word("request", request.id)
                    .outside("command", &request.command)
            }
            Err(refusal) => {
                request.state = RequestState::Cancelled;
                request.finished_at = Some(now);
                change.decision.entry(
                    &Actor::warroom(),
                    EntryKind::ActionCancelled {
                        request: request.id,
                        reason: refusal.code().to_owned(),
                    },
                );
                Msg::new("action-vote-plan-refused").word("request", request.id)
            }
        }
    } else {
        Msg::new("action-vote-counted")
            .word("request", request.id)
            .number("approvals", u64::from(request.approvals()))
            .number("required", u64::from(request.approvals_required))
    };
    change.decision.effects.push(update(&request));
    change.decision.reply = Some(reply);
    change.request = Some(request);
    change
}

/// The job that runs `request` of `command`: its parameters as requested (a rollback's target
/// is its `replicas`), the services it reaches (for diagnosis, what they depend on).
fn build_job(policy: &ActionPolicy, command: &CommandDef, request: &ActionRequest) -> ActionJob {
    let services = match (request.service(), command.executor) {
        (Some(service), ExecutorKind::Diagnose) => {
            policy.services.reachable(service, DIAGNOSE_DEPTH)
        }
        (Some(service), _) => policy.services.get(service).cloned().into_iter().collect(),
        (None, _) => Vec::new(),
    };
    let rollback_to = (command.action == "scale-rollback")
        .then(|| request.params.get("replicas")?.parse().ok())
        .flatten();
    ActionJob {
        request: request.id,
        command: command.name.clone(),
        executor: command.executor,
        action: command.action.clone(),
        params: request.params.clone(),
        digest: request.digest.clone(),
        services,
        argv: command.argv.clone(),
        env: command.env.clone(),
        timeout_ms: u64::try_from(command.timeout.as_millis()).unwrap_or(u64::MAX),
        idempotent: command.idempotent,
        rollback_to,
    }
}

/// Queues the request's job under the reserved id, notes `action_started` and starts the
/// command's cooldown on what it changes (see [`ActionPolicy::cooldown_scope`]).
fn queue(
    change: &mut ActionChange,
    request: &mut ActionRequest,
    cooldown: Option<(chrono::Duration, &ActionPolicy)>,
    job: ActionJob,
    id: JobId,
    now: DateTime<Utc>,
) {
    request.state = RequestState::Queued;
    request.job = Some(id);
    request.started_at = Some(now);
    change.decision.entry(
        &Actor::warroom(),
        EntryKind::ActionStarted {
            request: request.id,
            job: id,
        },
    );
    if let (Some((cooldown, policy)), Some(service)) = (cooldown, request.service()) {
        let scope = policy.cooldown_scope(&request.command, service);
        change
            .decision
            .deadlines
            .push(DeadlineChange::Set(Deadline {
                key: action_cooldown_key(&scope),
                due: now + cooldown,
                kind: DeadlineKind::ActionCooldown {
                    command: request.command.clone(),
                    service: service.to_owned(),
                },
            }));
    }
    change.job = Some((
        id,
        NewJob {
            incident: request.incident,
            kind: JobKind::Action(Box::new(job)),
        },
    ));
}

/// Why a vote does not count, if it does not; checked in this order.
fn ignore_reason(
    incident: &Incident,
    request: &ActionRequest,
    person: &Person,
    approve: bool,
    cooldown_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if request.state == RequestState::Expired
        || (request.state == RequestState::AwaitingApproval
            && request.expires_at.is_some_and(|expires| now >= expires))
    {
        return Some("expired");
    }
    if request.state != RequestState::AwaitingApproval {
        return Some("not_pending");
    }
    if request.incident != incident.id {
        return Some("wrong_incident");
    }
    if !incident.state.is_open() {
        return Some("incident_closed");
    }
    if person.id == request.requester {
        return Some("self_approval");
    }
    if !person.roles.contains(&request.approver_role) {
        return Some("not_approver");
    }
    if request.votes.iter().any(|vote| vote.user == person.id) {
        return Some("already_voted");
    }
    let completes = approve && request.approvals() + 1 >= request.approvals_required;
    if completes && cooldown_until.is_some_and(|until| until > now) {
        return Some("cooldown");
    }
    None
}

fn ignored_message(reason: &str) -> &'static str {
    match reason {
        "expired" => "action-vote-ignored-expired",
        "not_pending" => "action-vote-ignored-not-pending",
        "self_approval" => "action-vote-ignored-self",
        "not_approver" => "action-vote-ignored-not-approver",
        "already_voted" => "action-vote-ignored-already-voted",
        "digest_mismatch" => "action-vote-ignored-digest",
        "cooldown" | "incident_closed" => "action-vote-ignored-not-pending",
        _ => "action-vote-ignored-wrong-incident",
    }
}

fn command_cooldown(command: &CommandDef) -> Option<chrono::Duration> {
    command
        .cooldown
        .and_then(|cooldown| chrono::Duration::from_std(cooldown).ok())
}

fn cooldown_refusal(command: &str, service: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> Msg {
    // Rounded up: "1 minute" left while any second remains.
    let seconds = (until - now).num_seconds().max(0);
    let minutes = u64::try_from((seconds + 59) / 60).unwrap_or(0).max(1);
    Msg::new("action-refused-cooldown")
        .outside("command", command)
        .outside("service", service)
        .number("minutes", minutes)
}

#[cfg(test)]
pub(crate) mod tests;
