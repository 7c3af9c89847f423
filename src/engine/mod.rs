//! The engine: one task that applies events one at a time (no races between incidents'
//! writers), writes each batch in one store transaction, and answers callers only after a
//! group-commit flush has made their change durable.

pub mod action_render;
mod actions;
mod callees;
pub mod clock;
mod commands;
mod commit;
mod deadlines;
mod escalation;
mod event;
mod ingest;
pub mod jobs;
mod lanes;
mod oncall;
pub mod outbox;
pub mod people;
pub mod port;
mod replies;
mod status;
mod tasks;
#[cfg(test)]
mod tests;
pub mod tracked;
pub mod views;

pub use commands::{timeline_line, timeline_lines};
pub use event::{ChatRecord, CommandReply, EngineHandle, EngineStopper, Event, IngestReport};
pub use replies::MAX_LISTED_INCIDENTS;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::domain::access::Person;
use crate::domain::alert::{Alert, AlertIdentity};
use crate::domain::alert_rules::note_stale_alert;
use crate::domain::command::Command;
use crate::domain::decide::{
    AlertRoute, Applied, Decision, Policy, RecordReason, StoredAlert, apply_alert_to_incident,
    apply_command, check_declare, declare_incident, group_key, open_incident_from_alert,
    route_alert,
};
use crate::domain::emoji::record_reaction;
use crate::domain::ids::{Actor, IncidentId, UserId};
use crate::domain::incident::Incident;
use crate::domain::message::Msg;
use crate::domain::timeline::{EntryKind, TimelineEntry};
use crate::engine::clock::Clock;
use crate::engine::people::{MAX_INTRODUCED_PEOPLE, SharedPeople};
use crate::engine::views::{OpenIncidents, Views};
use crate::oncall::OnCall;
use crate::store::{Store, StoreError, WriteBatch};

use commit::{Deferred, flush_group};

/// How many queued requests one engine step takes at most.
const MAX_BATCH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
    #[error("the change could not be made durable: {0}")]
    NotDurable(String),
}

/// Everything the engine needs; built by the composition root.
pub struct EngineParts {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// The decisions' settings; its `oncall` is ignored: the engine asks `oncall` instead.
    pub policy: Policy,
    /// Who is on call, asked at every step.
    pub oncall: Arc<dyn OnCall>,
    pub people: Vec<Person>,
    /// Woken after each committed batch so the outbox delivers promptly.
    pub outbox_wake: Arc<Notify>,
    /// Woken after a commit that queued jobs, so the job pool starts them promptly.
    pub jobs_wake: Arc<Notify>,
    /// Hears every incident's new state once its commit is durable (the web console's
    /// live pages).
    pub live: Arc<crate::live::LiveFeed>,
}

/// Starts the engine on the `warroom-engine` thread, where it also flushes; it stops when
/// every handle is dropped or the stopper is used. Call from inside a tokio
/// runtime: the returned task, which ends when the engine thread does, lives there.
pub fn spawn(
    parts: EngineParts,
) -> Result<(EngineHandle, tokio::task::JoinHandle<()>), EngineError> {
    let (tx, rx) = mpsc::channel(4096);
    let running = Arc::new(AtomicBool::new(true));
    let (earliest, earliest_rx) = tokio::sync::watch::channel(None);
    let scheduler_clock = parts.clock.clone();
    let people = SharedPeople::new(parts.people, MAX_INTRODUCED_PEOPLE);
    let open = OpenIncidents::default();
    let views = Views {
        store: parts.store.clone(),
        open: open.clone(),
        people: people.clone(),
        time_zone: parts.policy.time_zone,
        actions: Arc::new(parts.policy.actions.clone()),
    };
    let mut engine = Engine {
        store: parts.store.clone(),
        clock: parts.clock,
        policy: parts.policy,
        oncall: parts.oncall,
        people,
        outbox_wake: parts.outbox_wake,
        jobs_wake: parts.jobs_wake,
        live: parts.live,
        views: views.clone(),
        open,
        by_group: HashMap::new(),
        sequences: HashMap::new(),
        stale: false,
        loaded_generation: 0,
        earliest,
    };
    engine.reload()?;
    deadlines::spawn_scheduler(scheduler_clock, earliest_rx, tx.downgrade());
    let running_flag = running.clone();
    let stop = Arc::new(Notify::new());
    let stop_signal = stop.clone();
    // The engine runs on its own OS thread with a single-threaded runtime of its own: its
    // sled reads and transactions then never block a tokio worker that serves HTTP or chat.
    // No I/O or timer driver: the engine only waits on channels, so it parks on a condition
    // variable, the cheapest wake from another thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|error| {
            EngineError::NotDurable(format!("cannot build the engine's runtime: {error}"))
        })?;
    let (engine_done, engine_finished) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("warroom-engine".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                engine.run(rx, stop_signal).await;
                running_flag.store(false, Ordering::Relaxed);
            });
            let _ = engine_done.send(());
        })
        .map_err(|error| {
            EngineError::NotDurable(format!("cannot start the engine thread: {error}"))
        })?;
    // The composition root waits for this task (bounded) to know the engine has finished.
    let task = tokio::spawn(async move {
        let _ = engine_finished.await;
    });
    Ok((
        EngineHandle {
            tx,
            views,
            running,
            stop,
        },
        task,
    ))
}

struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// Its `oncall` is filled from [`Engine::oncall`] before each step decides.
    policy: Policy,
    oncall: Arc<dyn OnCall>,
    people: SharedPeople,
    outbox_wake: Arc<Notify>,
    jobs_wake: Arc<Notify>,
    live: Arc<crate::live::LiveFeed>,
    views: Views,
    /// Every open incident as committed; the engine is the only writer, so this is the truth.
    /// Shared with the views, so queries read it without asking the engine.
    open: OpenIncidents,
    /// The open incident of each alert group.
    by_group: HashMap<String, IncidentId>,
    sequences: HashMap<NaiveDate, u32>,
    /// The caches may hold changes that never reached the disk (a commit or flush failed):
    /// nothing is committed until they are reloaded from the store.
    stale: bool,
    /// The store generation the caches were loaded from; a re-open makes them stale.
    loaded_generation: u64,
    /// Tells the deadline scheduler the earliest due time.
    earliest: deadlines::Earliest,
}

/// Changes made by the current step, visible to later requests of the same step.
#[derive(Default)]
struct Pending {
    batch: WriteBatch,
    incidents: HashMap<IncidentId, Incident>,
    alerts: HashMap<AlertIdentity, StoredAlert>,
    /// Some request in this group was decided from stale caches: the group is refused.
    stale: bool,
    /// A `Due` was handled: the scheduler hears the earliest due time after the commit.
    deadlines_touched: bool,
    /// Action requests created or changed in this step, by incident and number.
    requests: HashMap<
        (IncidentId, crate::domain::action::RequestId),
        crate::domain::action::ActionRequest,
    >,
    /// Services' last successful scales recorded in this step.
    last_scales: HashMap<String, crate::store::LastScale>,
    /// Jobs planned for requests made in this step, by incident and number.
    planned:
        HashMap<(IncidentId, crate::domain::action::RequestId), crate::domain::action::ActionJob>,
    /// Incidents that left the open states in this step: their pending requests are
    /// cancelled before the step's event is done.
    ended: Vec<IncidentId>,
}

impl Engine {
    /// Applies events as they come: takes everything queued (up to [`MAX_BATCH`]), decides
    /// it, commits it as one transaction, flushes, and answers. Events that arrive during one
    /// flush wait in the channel and make the next group: one transaction and one flush for
    /// everything that arrived meanwhile. Flushing on this thread (not a flusher of its own)
    /// saves two thread hand-offs per group.
    async fn run(&mut self, mut rx: mpsc::Receiver<Event>, stop: Arc<Notify>) {
        let mut pending = Pending::default();
        let mut deferred: Vec<Deferred> = Vec::new();
        let mut closed = false;
        self.nudge_handoff();
        loop {
            if closed && deferred.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                _ = stop.notified(), if !closed => {
                    info!("Engine asked to stop; no further requests are taken.");
                    closed = true;
                    rx.close();
                }
                request = rx.recv(), if !closed => match request {
                    Some(first) => {
                        if !self.refresh_caches(deferred.is_empty()) {
                            pending.stale = true;
                        }
                        let now = self.clock.now();
                        self.policy.oncall = self.oncall.book();
                        deferred.extend(self.handle(first, &mut pending, now));
                        let mut taken = 1;
                        while taken < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(request) => {
                                    deferred.extend(self.handle(request, &mut pending, now));
                                    taken += 1;
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    None => closed = true,
                },
            }
            if !deferred.is_empty() {
                let group = std::mem::take(&mut deferred);
                let batch = std::mem::take(&mut pending);
                if let Some(group) = self.commit(batch, group) {
                    match flush_group(self.store.as_ref(), group) {
                        Some(after) => self.published(after),
                        None => self.flush_failed(),
                    }
                }
            }
        }
        info!("Engine stopped.");
    }

    /// Decides one event into `pending`; the returned reply waits for the group's flush.
    fn handle(
        &mut self,
        event: Event,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Option<Deferred> {
        Some(match event {
            Event::Ingest {
                alerts,
                truncated,
                reply,
            } => {
                let result = self.ingest(alerts, truncated, pending, now);
                self.cancel_ended(pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
            Event::Command {
                person,
                introduced,
                incident,
                command,
                reply,
            } => {
                {
                    let mut people = self.people.lock();
                    for known in introduced {
                        people.introduce(known);
                    }
                }
                // A query changes nothing: answered at once from what is committed.
                if let Some(answer) = self.views.query(&person, incident, &command) {
                    let _ = reply.send(answer.map_err(EngineError::from));
                    return None;
                }
                self.people.lock().introduce(person.clone());
                let result = self.command(&person.id, incident, &command, pending, now);
                self.cancel_ended(pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
            Event::Chat { record, reply } => {
                let result = self.chat_record(record, pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
            Event::Due => self.handle_due(pending, now),
            Event::JobFinished {
                job,
                outcome,
                reply,
            } => {
                let result = self.job_finished(job, outcome, pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
        })
    }

    fn incident(&self, pending: &Pending, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        if let Some(incident) = pending.incidents.get(&id) {
            return Ok(Some(incident.clone()));
        }
        if let Some(incident) = self.open.get(id) {
            return Ok(Some(incident));
        }
        self.store.incident(id)
    }

    fn stored_alert(
        &self,
        pending: &Pending,
        identity: &AlertIdentity,
    ) -> Result<Option<StoredAlert>, StoreError> {
        match pending.alerts.get(identity) {
            Some(alert) => Ok(Some(alert.clone())),
            None => self.store.alert(identity),
        }
    }

    fn next_incident_id(
        &mut self,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<IncidentId, StoreError> {
        let date = now.date_naive();
        let last = match self.sequences.get(&date) {
            Some(last) => *last,
            None => self.store.last_sequence(date)?,
        };
        let next = last + 1;
        self.sequences.insert(date, next);
        pending.batch.sequences.push((date, next));
        Ok(IncidentId::new(date, next))
    }

    /// Appends the entries and effects of `applied` to `incident` and the pending batch.
    fn apply(
        &self,
        pending: &mut Pending,
        mut incident: Incident,
        applied: Decision,
        now: DateTime<Utc>,
    ) {
        for (actor, mut kind) in applied.entries {
            incident.timeline_len += 1;
            // An incident that ends takes its requests still awaiting approval with it.
            if let EntryKind::StateChanged { from, to } = &kind
                && from.is_open()
                && !to.is_open()
                && !pending.ended.contains(&incident.id)
            {
                pending.ended.push(incident.id);
            }
            // The timeline keeps names beside ids: the core knows people by id only.
            if let EntryKind::RoleAssigned {
                user, user_name, ..
            } = &mut kind
                && user_name.is_none()
            {
                *user_name = self.display_name(user);
            }
            let actor_name = actor
                .0
                .strip_prefix("user:")
                .and_then(|id| self.display_name(&UserId(id.to_owned())));
            pending.batch.timeline.push(TimelineEntry {
                incident: incident.id,
                seq: incident.timeline_len,
                at: now,
                actor,
                actor_name,
                kind,
            });
        }
        pending.batch.deadlines.extend(applied.deadlines);
        pending
            .batch
            .effects
            .extend(applied.effects.into_iter().map(|effect| match effect {
                crate::domain::effect::Effect::Notify { incident, message } => {
                    crate::domain::effect::Effect::Notify {
                        incident,
                        message: self.named(message),
                    }
                }
                other => other,
            }));
        pending.batch.jobs.extend(
            applied
                .jobs
                .into_iter()
                .map(|job| crate::store::JobWrite::Create { job, at: now }),
        );
        pending.incidents.insert(incident.id, incident);
    }

    /// Fills in the display names of the people a message names by id only.
    fn named(&self, msg: Msg) -> Msg {
        self.views.named(msg)
    }

    /// The display name of a person the engine has met, if it is not blank.
    fn display_name(&self, user: &UserId) -> Option<String> {
        self.people.lock().display_name(user)
    }
}
