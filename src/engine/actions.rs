//! Actions inside the engine: a request (`/run`, `/diag`, `/scale`), votes (buttons and ✅/❌
//! reactions on a request's message), expiry and cooldown deadlines, an ended incident's
//! pending requests, auto-diagnosis, and a job's outcome applied to its request. The rules
//! are pure (`domain::action::rules`); here the engine reads what they need — through the
//! pending batch first, so later events of the same group see earlier ones (two clicks in one
//! group run a request once) — and writes what they decide in the group's transaction.

use tracing::{debug, info, warn};

use super::*;
use crate::domain::action::rules::{self, ActionChange, Ballot, RequestInputs, VoteInputs};
use crate::domain::action::{
    ActionOutcome, ActionRequest, RequestId, ScaleChange, VoteVia, action_cooldown_key,
};
use crate::domain::command::ActionParams;
use crate::domain::deadline::DeadlineChange;
use crate::domain::job::{Job, JobKind, JobOutcome};
use crate::store::{JobWrite, LastScale};

/// How many of an ended incident's requests are looked at to cancel the pending ones.
const MAX_REQUESTS_CANCELLED: usize = 1_000;
/// The emoji that approve and reject a request when put on its message.
pub const APPROVE_EMOJI: &str = "✅";
pub const REJECT_EMOJI: &str = "❌";

impl Engine {
    /// `/run`, `/diag`, `/scale`: bound to the catalog, then a request.
    pub(super) fn request_action(
        &mut self,
        person: &Person,
        incident: Incident,
        command: &str,
        params: &ActionParams,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let id = incident.id;
        let refused = |msg: Msg| CommandReply {
            ok: false,
            lines: vec![msg],
            incident: Some(id),
        };
        if let Err(msg) = rules::check_requester(person, &incident) {
            return Ok(refused(msg));
        }
        let params = with_incident_service(&self.policy.actions, &incident, command, params);
        let (definition, values) = match crate::domain::action::params::bind_action(
            &self.policy.actions,
            command,
            &params,
        ) {
            Ok(bound) => bound,
            Err(msg) => return Ok(refused(msg)),
        };
        let inputs = self.request_inputs(pending, id, &definition.name, values.get("service"))?;
        match rules::request_action(
            &self.policy.actions,
            &incident,
            Some(person),
            &definition,
            values,
            inputs,
            now,
        ) {
            Ok(mut change) => {
                info!(incident = %id, user = %person.id, command = %definition.name, "Action requested.");
                metrics::counter!("warroom_action_requests_total", "command" => definition.name.clone())
                    .increment(1);
                let reply = change.decision.reply.take();
                self.apply_action(pending, incident, change, now);
                Ok(CommandReply {
                    ok: true,
                    lines: reply.into_iter().collect(),
                    incident: Some(id),
                })
            }
            Err(msg) => Ok(refused(msg)),
        }
    }

    /// A vote on request `request` of `incident` (a button, or a reaction on its message).
    pub(super) fn vote(
        &mut self,
        ballot: Ballot<'_>,
        incident: Incident,
        request: RequestId,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let person = ballot.person;
        let approve = ballot.approve;
        let id = incident.id;
        let Some(current) = self.action_request(pending, id, request)? else {
            return Ok(CommandReply {
                ok: false,
                lines: vec![
                    Msg::new("action-vote-unknown-request")
                        .word("request", request)
                        .word("incident", id),
                ],
                incident: Some(id),
            });
        };
        let job = self.store.reserve_job_id()?;
        let cooldown_until = match current.service() {
            Some(service) => self.cooldown_until(pending, &current.command, service)?,
            None => None,
        };
        let planned = match pending.planned.get(&(id, request)) {
            Some(planned) => Some(planned.clone()),
            None => self.store.planned_job(id, request)?,
        };
        let inputs = VoteInputs {
            job,
            cooldown_until,
            planned,
        };
        let mut change = rules::vote(
            &self.policy.actions,
            &incident,
            &current,
            ballot,
            inputs,
            now,
        );
        let counted = change.request.is_some();
        info!(incident = %id, request = %request, user = %person.id, approve, counted, "Vote on an action request.");
        if change.job.is_some() {
            info!(incident = %id, request = %request, job, "Action approved; its job is queued.");
        }
        let reply = change.decision.reply.take();
        self.apply_action(pending, incident, change, now);
        Ok(CommandReply {
            ok: counted,
            lines: reply.into_iter().collect(),
            incident: Some(id),
        })
    }

    /// A ✅ or ❌ on a request's message is a vote; `None` when the reaction is anything else
    /// (it is then recorded as a reaction).
    pub(super) fn reaction_vote(
        &mut self,
        person: &Person,
        incident: IncidentId,
        owner_key: &str,
        emoji: &str,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<Option<CommandReply>, StoreError> {
        let approve = match emoji {
            APPROVE_EMOJI => true,
            REJECT_EMOJI => false,
            _ => return Ok(None),
        };
        let Some((owner_incident, request)) = parse_action_key(owner_key) else {
            return Ok(None);
        };
        if owner_incident != incident {
            // The message belongs to another incident's room: never a vote here.
            debug!(incident = %incident, owner = owner_key, "A reaction on another incident's request is ignored.");
            return Ok(None);
        }
        let Some(current) = self.incident(pending, incident)? else {
            return Ok(None);
        };
        let ballot = Ballot {
            person,
            approve,
            via: VoteVia::Reaction,
        };
        self.vote(ballot, current, request, pending, now).map(Some)
    }

    /// An incident that opened from an alert for a service `diag` reaches is diagnosed at once
    /// (`[actions] auto_diagnose`), requested by warroom itself.
    pub(super) fn auto_diagnose(
        &mut self,
        pending: &mut Pending,
        id: IncidentId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !self.policy.actions.auto_diagnose {
            return Ok(());
        }
        let Some(incident) = self.incident(pending, id)? else {
            return Ok(());
        };
        let Some((diag, service)) = self
            .policy
            .actions
            .diagnosis_for(incident.service.as_deref())
            .map(|(diag, service)| (diag.clone(), service.name.clone()))
        else {
            return Ok(());
        };
        if diag.needs_approval() {
            // Only a read-only diagnosis runs unasked.
            return Ok(());
        }
        let params = std::collections::BTreeMap::from([("service".to_owned(), service.clone())]);
        let inputs = self.request_inputs(pending, id, &diag.name, Some(&service))?;
        match rules::request_action(
            &self.policy.actions,
            &incident,
            None,
            &diag,
            params,
            inputs,
            now,
        ) {
            Ok(mut change) => {
                info!(incident = %id, service = %service, "Diagnosis started for a new incident.");
                change.decision.reply = None;
                self.apply_action(pending, incident, change, now);
            }
            Err(reason) => {
                debug!(incident = %id, service = %service, reason = %reason.id, "No automatic diagnosis.")
            }
        }
        Ok(())
    }

    /// The expiry deadline of a request fired.
    pub(super) fn action_expired(
        &mut self,
        pending: &mut Pending,
        key: &str,
        incident: IncidentId,
        request: RequestId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let current = self.action_request(pending, incident, request)?;
        let mut change = current
            .map(|current| rules::expire(&current, now))
            .unwrap_or_default();
        change.decision.deadlines.push(DeadlineChange::Cancel {
            key: key.to_owned(),
        });
        if change.request.is_some() {
            info!(incident = %incident, request = %request, "Action request expired unapproved.");
        }
        match self.incident(pending, incident)? {
            Some(current) => self.apply_action(pending, current, change, now),
            None => pending.batch.deadlines.extend(change.decision.deadlines),
        }
        Ok(())
    }

    /// Cancels the requests still awaiting approval in incidents that ended in this step. A
    /// store that cannot be read leaves them waiting, which is safe: a vote in an ended
    /// incident never counts, and their expiry ends them.
    pub(super) fn cancel_ended(&mut self, pending: &mut Pending, now: DateTime<Utc>) {
        for id in std::mem::take(&mut pending.ended) {
            if let Err(error) = self.cancel_requests_of(id, pending, now) {
                warn!(incident = %id, %error, "The ended incident's waiting requests cannot be read; they stay until they expire.");
            }
        }
    }

    fn cancel_requests_of(
        &mut self,
        id: IncidentId,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut requests = self
            .store
            .action_requests(id, None, MAX_REQUESTS_CANCELLED)?;
        for request in &mut requests {
            if let Some(newer) = pending.requests.get(&(id, request.id)) {
                *request = newer.clone();
            }
        }
        requests.extend(
            pending
                .requests
                .values()
                .filter(|request| request.incident == id)
                .filter(|request| !requests.iter().any(|stored| stored.id == request.id))
                .cloned()
                .collect::<Vec<_>>(),
        );
        for change in rules::cancel_pending(&requests, "incident_closed") {
            let Some(incident) = self.incident(pending, id)? else {
                break;
            };
            self.apply_action(pending, incident, change, now);
        }
        Ok(())
    }

    /// A job of kind `Action` reported: its request ends (or, interrupted, is noted and run
    /// again only if idempotent). The job record goes or is re-queued in the same commit.
    pub(super) fn action_job_finished(
        &mut self,
        job: &Job,
        outcome: JobOutcome,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let JobKind::Action(action) = &job.kind else {
            return Ok(());
        };
        let incident = self.incident(pending, job.incident)?;
        let request = self.action_request(pending, job.incident, action.request)?;
        let (change, after) = match (&request, outcome) {
            (Some(request), JobOutcome::Action(outcome)) => {
                log_outcome(job, &outcome);
                (rules::finish(request, outcome, now), JobWrite::Done(job.id))
            }
            (Some(request), JobOutcome::Interrupted) => {
                let rerun = action.idempotent;
                warn!(job = job.id, incident = %job.incident, request = %action.request, rerun, "An action was running when warroom stopped; its outcome is unknown.");
                (
                    rules::interrupted(request, rerun, now),
                    if rerun {
                        JobWrite::Requeue(job.id)
                    } else {
                        JobWrite::Done(job.id)
                    },
                )
            }
            (_, other) => {
                warn!(job = job.id, incident = %job.incident, request = %action.request, outcome = ?other, "An action job reported for a missing request or with a foreign outcome; removed.");
                (ActionChange::default(), JobWrite::Done(job.id))
            }
        };
        pending.batch.jobs.push(after);
        match incident {
            Some(incident) => self.apply_action(pending, incident, change, now),
            None => {
                warn!(job = job.id, incident = %job.incident, "An action finished for a missing incident; nothing noted.")
            }
        }
        Ok(())
    }

    /// Writes what an action rule decided: the decision on the incident, the request, its job
    /// under the reserved id, and a remembered scale.
    pub(super) fn apply_action(
        &self,
        pending: &mut Pending,
        incident: Incident,
        change: ActionChange,
        now: DateTime<Utc>,
    ) {
        let ActionChange {
            decision,
            request,
            job,
            last_scale,
            planned,
        } = change;
        if let (Some(planned), Some(request)) = (planned, &request) {
            pending
                .planned
                .insert((request.incident, request.id), planned);
        }
        if let Some((id, job)) = job {
            pending
                .batch
                .jobs
                .push(JobWrite::CreateWithId { id, job, at: now });
        }
        if let (Some((service, change)), Some(request)) = (last_scale, &request) {
            pending.last_scales.insert(
                service.clone(),
                LastScale {
                    service,
                    change,
                    incident: request.incident,
                    request: request.id,
                    at: now,
                },
            );
        }
        if let Some(request) = request {
            pending
                .requests
                .insert((request.incident, request.id), request);
        }
        self.apply(pending, incident, decision, now);
    }

    /// A request as it stands, counting this group's changes.
    pub(super) fn action_request(
        &self,
        pending: &Pending,
        incident: IncidentId,
        request: RequestId,
    ) -> Result<Option<ActionRequest>, StoreError> {
        match pending.requests.get(&(incident, request)) {
            Some(current) => Ok(Some(current.clone())),
            None => self.store.action_request(incident, request),
        }
    }

    /// What a new request needs from the store: its number, a job id, the cooldown in force
    /// and the service's last scale.
    fn request_inputs(
        &self,
        pending: &Pending,
        incident: IncidentId,
        command: &str,
        service: Option<&String>,
    ) -> Result<RequestInputs, StoreError> {
        let stored = self.store.last_request_id(incident)?;
        let in_group = pending
            .requests
            .keys()
            .filter(|(of, _)| *of == incident)
            .map(|(_, id)| id.0)
            .max()
            .unwrap_or(0);
        let (cooldown_until, last_scale) = match service {
            Some(service) => (
                self.cooldown_until(pending, command, service)?,
                self.last_scale(pending, service)?,
            ),
            None => (None, None),
        };
        Ok(RequestInputs {
            id: RequestId(stored.max(in_group).saturating_add(1)),
            job: self.store.reserve_job_id()?,
            cooldown_until,
            last_scale,
        })
    }

    /// When the cooldown `command` on `service` falls under ends, if one is set (this group's
    /// change first): for Kubernetes commands, the deployment's.
    fn cooldown_until(
        &self,
        pending: &Pending,
        command: &str,
        service: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let key = action_cooldown_key(&self.policy.actions.cooldown_scope(command, service));
        let changed = pending
            .batch
            .deadlines
            .iter()
            .rev()
            .find(|change| change.key() == key);
        match changed {
            Some(DeadlineChange::Set(deadline)) => Ok(Some(deadline.due)),
            Some(DeadlineChange::Cancel { .. }) => Ok(None),
            None => Ok(self.store.deadline(&key)?.map(|deadline| deadline.due)),
        }
    }

    fn last_scale(
        &self,
        pending: &Pending,
        service: &str,
    ) -> Result<Option<ScaleChange>, StoreError> {
        match pending.last_scales.get(service) {
            Some(scale) => Ok(Some(scale.change)),
            None => Ok(self.store.last_scale(service)?.map(|scale| scale.change)),
        }
    }
}

/// `action:INC-…:A1` → its incident and request.
pub fn parse_action_key(key: &str) -> Option<(IncidentId, RequestId)> {
    let rest = key.strip_prefix("action:")?;
    let (incident, request) = rest.rsplit_once(':')?;
    Some((
        IncidentId::parse(incident).ok()?,
        RequestId::parse(request)?,
    ))
}

fn log_outcome(job: &Job, outcome: &ActionOutcome) {
    info!(job = job.id, incident = %job.incident, status = outcome.status.as_str(), duration_ms = outcome.duration_ms, "Action finished.");
    metrics::counter!("warroom_actions_finished_total", "status" => outcome.status.as_str())
        .increment(1);
}

#[cfg(test)]
mod tests;

/// Named parameters without a service, for a command that takes one, act on the incident's
/// own service: the card's Diagnose button sends none. Typed text is left alone (its
/// positions would shift).
fn with_incident_service(
    policy: &crate::domain::action::ActionPolicy,
    incident: &Incident,
    command: &str,
    params: &ActionParams,
) -> ActionParams {
    let ActionParams::Named(values) = params else {
        return params.clone();
    };
    let takes_service = policy
        .catalog
        .find(command)
        .and_then(|definition| definition.service_param())
        .is_some();
    match (
        &incident.service,
        takes_service && !values.contains_key("service"),
    ) {
        (Some(service), true) => {
            let mut values = values.clone();
            values.insert("service".to_owned(), service.clone());
            ActionParams::Named(values)
        }
        _ => params.clone(),
    }
}
