//! How a request ends: expiry, cancellation with its incident, its job's outcome or
//! interruption; and what its room message shows.

use chrono::{DateTime, Utc};

use super::ActionChange;
use crate::domain::action::{
    ActionOutcome, ActionRequest, ActionStatus, ActionView, MAX_ACTION_OUTPUT_BYTES, RequestState,
    action_expiry_key, action_message_key,
};
use crate::domain::deadline::DeadlineChange;
use crate::domain::effect::{Effect, TrackedBody};
use crate::domain::ids::Actor;
use crate::domain::timeline::EntryKind;

/// The most output characters a room message's excerpt keeps; the API shows all of it.
pub const MAX_EXCERPT_CHARS: usize = 900;
/// The most detail lines a request keeps from its outcome.
pub const MAX_DETAILS: usize = 12;
/// The expiry deadline of `request` fired: a request still awaiting approval expires and
/// never runs; any other is left as it is.
pub fn expire(request: &ActionRequest, now: DateTime<Utc>) -> ActionChange {
    let mut change = ActionChange::default();
    if request.state != RequestState::AwaitingApproval {
        return change;
    }
    let mut request = request.clone();
    request.state = RequestState::Expired;
    request.finished_at = Some(now);
    change.decision.entry(
        &Actor::warroom(),
        EntryKind::ActionExpired {
            request: request.id,
        },
    );
    change.decision.effects.push(update(&request));
    change.request = Some(request);
    change
}

/// The incident ended: its requests still awaiting approval are cancelled (queued and running
/// ones finish).
pub fn cancel_pending(requests: &[ActionRequest], reason: &str) -> Vec<ActionChange> {
    requests
        .iter()
        .filter(|request| request.state == RequestState::AwaitingApproval)
        .map(|request| {
            let mut request = request.clone();
            let mut change = ActionChange::default();
            request.state = RequestState::Cancelled;
            change.decision.entry(
                &Actor::warroom(),
                EntryKind::ActionCancelled {
                    request: request.id,
                    reason: reason.to_owned(),
                },
            );
            change.decision.deadlines.push(DeadlineChange::Cancel {
                key: action_expiry_key(request.incident, request.id),
            });
            change.decision.effects.push(update(&request));
            change.request = Some(request);
            change
        })
        .collect()
}

/// The request's job reported its outcome: the request ends with it (output bounded), its
/// message shows the result, and a successful scale is remembered for `scale-rollback`.
pub fn finish(
    request: &ActionRequest,
    mut outcome: ActionOutcome,
    now: DateTime<Utc>,
) -> ActionChange {
    let mut change = ActionChange::default();
    if request.state.is_final() {
        return change;
    }
    let mut request = request.clone();
    truncate_utf8(&mut outcome.output, MAX_ACTION_OUTPUT_BYTES);
    outcome.details.truncate(MAX_DETAILS);
    request.state = match outcome.status {
        ActionStatus::Succeeded => RequestState::Succeeded,
        ActionStatus::Failed | ActionStatus::TimedOut | ActionStatus::Refused => {
            RequestState::Failed
        }
    };
    request.finished_at = Some(now);
    if let (ActionStatus::Succeeded, Some(scale), Some(service)) =
        (outcome.status, outcome.scale, request.service())
    {
        change.last_scale = Some((service.to_owned(), scale));
    }
    change.decision.entry(
        &Actor::warroom(),
        EntryKind::ActionFinished {
            request: request.id,
            status: outcome.status,
            summary: outcome.summary.clone(),
        },
    );
    request.outcome = Some(outcome);
    change.decision.effects.push(update(&request));
    change.request = Some(request);
    change
}

/// The request's job was running when warroom stopped: noted, and run again only when its
/// command is idempotent; otherwise the request ends `interrupted` and never runs again.
pub fn interrupted(request: &ActionRequest, rerun: bool, now: DateTime<Utc>) -> ActionChange {
    let mut change = ActionChange::default();
    change.decision.entry(
        &Actor::warroom(),
        EntryKind::ActionInterrupted {
            request: request.id,
            rerun,
        },
    );
    if !rerun && !request.state.is_final() {
        let mut request = request.clone();
        request.state = RequestState::Interrupted;
        request.finished_at = Some(now);
        change.decision.effects.push(update(&request));
        change.request = Some(request);
    }
    change
}

/// What the request's room message shows now.
pub fn view(request: &ActionRequest) -> ActionView {
    let approved_by = request
        .votes
        .iter()
        .filter(|vote| vote.approve)
        .map(|vote| (vote.user.clone(), vote.name.clone()))
        .collect();
    let rejected_by = request
        .votes
        .iter()
        .find(|vote| !vote.approve)
        .map(|vote| (vote.user.clone(), vote.name.clone()));
    let outcome = request.outcome.as_ref();
    ActionView {
        request: request.id,
        command: request.command.clone(),
        params: request.params.clone(),
        requester: request.requester.clone(),
        requester_name: request.requester_name.clone(),
        risk: request.risk,
        approvals_required: request.approvals_required,
        approved_by,
        rejected_by,
        expires_at: request.expires_at,
        state: request.state,
        summary: outcome.map(|outcome| outcome.summary.clone()),
        details: outcome
            .map(|outcome| outcome.details.clone())
            .unwrap_or_default(),
        excerpt: outcome
            .map(|outcome| outcome.output.trim())
            .filter(|output| !output.is_empty())
            .map(|output| output.chars().take(MAX_EXCERPT_CHARS).collect()),
    }
}

/// The edit of the request's message showing it as it is now.
pub(super) fn update(request: &ActionRequest) -> Effect {
    Effect::UpdateTracked {
        incident: request.incident,
        key: action_message_key(request.incident, request.id),
        body: TrackedBody::Action(Box::new(view(request))),
    }
}

fn truncate_utf8(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}

#[cfg(test)]
mod tests;
