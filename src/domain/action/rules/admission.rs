//! What binds a vote to what runs: the digest of a planned job, the check that a planned job
//! is exactly the one its request named, and the pool's last checks before it runs one.

use chrono::{DateTime, Utc};

use crate::domain::action::{ActionJob, ActionOutcome, ActionRequest, ActionStatus};
use crate::domain::ids::IncidentId;
use crate::domain::message::Msg;

/// Why a request's planned job cannot run: the timeline's `action_cancelled` reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// No job was planned for the request (or it was lost).
    Missing,
    /// The planned job is not the request's, or was changed after it was planned.
    Mismatch,
}

impl PlanRefusal {
    /// The reason code on the timeline (`act-cancel-reason-<code>`).
    pub fn code(self) -> &'static str {
        match self {
            PlanRefusal::Missing => "plan_missing",
            PlanRefusal::Mismatch => "plan_mismatch",
        }
    }
}

/// The digest votes are bound to: SHA-256, in hex, over the incident and a canonical
/// serialisation of the whole planned job except its `digest` (command, executor, action,
/// parameters, service snapshots, argv, environment, timeout, rollback target, …), so
/// changing any of it after the request was made is a mismatch.
pub fn job_digest(incident: IncidentId, job: &ActionJob) -> String {
    let mut unsigned = job.clone();
    unsigned.digest = String::new();
    // serde_json writes struct fields in declaration order and the job's maps are BTreeMaps
    // (sorted): the same job always gives the same bytes. It cannot fail on these types (no
    // map has non-string keys); were it to, the empty body still yields one fixed digest.
    let body = serde_json::to_vec(&unsigned).unwrap_or_default();
    let mut canonical = Vec::new();
    let mut part = |bytes: &[u8]| {
        canonical.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        canonical.extend_from_slice(bytes);
    };
    part(b"warroom-action-job-v2");
    part(incident.to_string().as_bytes());
    part(&body);
    let digest = ring::digest::digest(&ring::digest::SHA256, &canonical);
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The job to queue for `request` once approved: exactly the one planned when it was made,
/// which must name the request, its command and parameters, carry the request's digest and
/// still hash to it.
pub fn planned_job_for(
    request: &ActionRequest,
    planned: Option<ActionJob>,
) -> Result<ActionJob, PlanRefusal> {
    let planned = planned.ok_or(PlanRefusal::Missing)?;
    let matches = planned.request == request.id
        && planned.command == request.command
        && planned.params == request.params
        && !request.digest.is_empty()
        && planned.digest == request.digest
        && job_digest(request.incident, &planned) == planned.digest;
    if matches {
        Ok(planned)
    } else {
        Err(PlanRefusal::Mismatch)
    }
}

/// Whether `job` of `incident` is still what was approved (its digest recomputed from the
/// job itself); a refusal is its outcome, unrun.
pub fn check_job_digest(incident: IncidentId, job: &ActionJob) -> Result<(), ActionOutcome> {
    if !job.digest.is_empty() && job_digest(incident, job) == job.digest {
        return Ok(());
    }
    Err(refused(
        Msg::new("action-refused-digest").word("request", job.request),
    ))
}

/// Whether the approval that queued `job` at `queued_at` is still fresh at `now`: a job
/// waiting longer than `approval_expiry` (warroom down, workers busy) is refused unrun, so
/// nobody's approval acts on a situation they never saw.
pub fn check_job_age(
    job: &ActionJob,
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    approval_expiry: chrono::Duration,
) -> Result<(), ActionOutcome> {
    if now - queued_at <= approval_expiry {
        return Ok(());
    }
    Err(refused(
        Msg::new("action-refused-stale")
            .word("request", job.request)
            .outside("command", &job.command)
            .outside(
                "approved",
                queued_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            )
            .number(
                "minutes",
                u64::try_from(approval_expiry.num_minutes()).unwrap_or(0),
            ),
    ))
}

fn refused(summary: Msg) -> ActionOutcome {
    ActionOutcome {
        status: ActionStatus::Refused,
        summary,
        details: Vec::new(),
        output: String::new(),
        scale: None,
        duration_ms: 0,
    }
}

#[cfg(test)]
mod tests;
