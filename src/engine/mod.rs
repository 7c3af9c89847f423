//! The engine: one task that applies events one at a time (no races between incidents'
//! writers), writes each batch in one store transaction, and answers callers only after a
//! group-commit flush has made their change durable.

pub mod clock;
mod commands;
mod deadlines;
mod ingest;
pub mod jobs;
mod lanes;
pub mod outbox;
pub mod people;
pub mod port;
mod replies;
#[cfg(test)]
mod tests;
pub mod tracked;
pub mod views;

pub use commands::timeline_line;
pub use replies::MAX_LISTED_INCIDENTS;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::{debug, error, info, warn};

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
use crate::domain::ids::{Actor, IncidentId, MessageId, RoomId, UserId};
use crate::domain::incident::Incident;
use crate::domain::message::Msg;
use crate::domain::timeline::{EntryKind, TimelineEntry};
use crate::engine::clock::Clock;
use crate::engine::people::{MAX_INTRODUCED_PEOPLE, SharedPeople};
use crate::engine::views::{OpenIncidents, Views};
use crate::intake::AlertBatch;
use crate::oncall::OnCall;
use crate::store::{Store, StoreError, WriteBatch};

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

/// What an ingest request did, alert by alert, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub received: usize,
    pub opened: usize,
    pub joined: usize,
    pub updated: usize,
    pub duplicates: usize,
    pub recorded: usize,
    /// Firings older than the resolve already stored: noted, nothing opened.
    pub stale: usize,
    pub incidents: Vec<IncidentId>,
}

/// A reply to the person who typed a command or pressed a button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandReply {
    pub ok: bool,
    pub lines: Vec<Msg>,
    pub incident: Option<IncidentId>,
}

impl CommandReply {
    /// Refused because the person lacks the right (not because of the incident's state).
    pub fn is_forbidden(&self) -> bool {
        !self.ok
            && self
                .lines
                .first()
                .is_some_and(|line| line.id == crate::domain::decide::NOT_ALLOWED)
    }

    fn refused(msg: Msg) -> CommandReply {
        CommandReply {
            ok: false,
            lines: vec![msg],
            incident: None,
        }
    }
}

/// Facts the chat adapters report back after delivering.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatRecord {
    RoomCreated {
        incident: IncidentId,
        room: RoomId,
    },
    CardPosted {
        incident: IncidentId,
        room: RoomId,
        message: MessageId,
    },
    Reaction {
        incident: IncidentId,
        person: Person,
        message: MessageId,
        emoji: String,
    },
}

/// Everything the engine is asked to do, each with the channel its answer goes back on. The
/// engine applies events one at a time; queries never become events (see [`views`]).
#[derive(Debug)]
pub enum Event {
    /// Alerts from an intake adapter.
    Ingest {
        alerts: Vec<Alert>,
        /// Alerts the sender left out of the request (Alertmanager's `truncatedAlerts`).
        truncated: u64,
        reply: oneshot::Sender<Result<IngestReport, EngineError>>,
    },
    /// A command typed or clicked by `person`, whom the adapter identified.
    Command {
        person: Person,
        introduced: Vec<Person>,
        incident: Option<IncidentId>,
        command: Command,
        reply: oneshot::Sender<Result<CommandReply, EngineError>>,
    },
    /// A fact a chat adapter or the outbox reports.
    Chat {
        record: ChatRecord,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    /// A deadline is due (from the scheduler in `deadlines.rs`).
    Due,
    JobFinished {
        job: crate::domain::job::JobId,
        outcome: crate::domain::job::JobOutcome,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
}

/// The cheap, cloneable way in.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    tx: mpsc::Sender<Event>,
    views: Views,
    running: Arc<AtomicBool>,
    /// See [`EngineStopper`].
    stop: Arc<Notify>,
}

impl EngineHandle {
    pub async fn ingest(&self, alerts: Vec<Alert>) -> Result<IngestReport, EngineError> {
        self.ingest_with_truncated(alerts, 0).await
    }

    /// Ingests a parsed request; a truncated one is logged, counted and noted on the
    /// incidents it touched.
    pub async fn ingest_batch(&self, batch: AlertBatch) -> Result<IngestReport, EngineError> {
        if batch.truncated > 0 {
            warn!(source = %batch.source, truncated = batch.truncated, received = batch.alerts.len(), "The sender left alerts out of a notification; raise its max_alerts to see them all.");
            metrics::counter!("warroom_alerts_truncated_total", "source" => batch.source.as_str())
                .increment(batch.truncated);
        }
        self.ingest_with_truncated(batch.alerts, batch.truncated)
            .await
    }

    async fn ingest_with_truncated(
        &self,
        alerts: Vec<Alert>,
        truncated: u64,
    ) -> Result<IngestReport, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::Ingest {
            alerts,
            truncated,
            reply,
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Runs a command for `person`, whom the chat adapter identified (console: config;
    /// Discord: the member's mapped roles). `introduced` are other people the command names
    /// (a role assignee), vouched for by the adapter the same way. The core checks `person`'s
    /// permissions again.
    pub async fn command(
        &self,
        person: Person,
        introduced: Vec<Person>,
        incident: Option<IncidentId>,
        command: Command,
    ) -> Result<CommandReply, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::Command {
            person,
            introduced,
            incident,
            command,
            reply,
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    pub async fn record(&self, record: ChatRecord) -> Result<(), EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::Chat { record, reply }).await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// What the engine has committed, for queries and the read API.
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// The way in for adapters: events and views.
    pub fn port(&self) -> port::InboundPort {
        port::InboundPort::new(self.clone())
    }

    /// Hands `event` to the engine; its answer comes back on the event's own channel.
    pub async fn submit(&self, event: Event) -> Result<(), EngineError> {
        self.send(event).await
    }

    /// A way to stop the engine that does not itself keep it running.
    pub fn stopper(&self) -> EngineStopper {
        EngineStopper {
            stop: self.stop.clone(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed) && !self.tx.is_closed()
    }

    async fn send(&self, request: Event) -> Result<(), EngineError> {
        self.tx
            .send(request)
            .await
            .map_err(|_| EngineError::Stopped)
    }
}

#[cfg(test)]
impl EngineHandle {
    /// A handle whose events go to `tx`, for tests that play the engine themselves; its
    /// views read `store`.
    pub(crate) fn for_tests(
        tx: mpsc::Sender<Event>,
        store: Arc<dyn crate::store::StoreRead>,
    ) -> EngineHandle {
        EngineHandle {
            tx,
            views: Views {
                store,
                open: OpenIncidents::default(),
                people: SharedPeople::new(Vec::new(), 1),
                time_zone: chrono_tz::Tz::UTC,
            },
            running: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(Notify::new()),
        }
    }
}

/// Stops the engine even while handles remain (one may be held by a gateway task that will
/// not end in time).
#[derive(Clone, Debug)]
pub struct EngineStopper {
    stop: Arc<Notify>,
}

impl EngineStopper {
    /// Stops taking requests: queued ones are refused, committed ones still get their flush
    /// and their reply. The engine task ends once the last group is flushed.
    pub fn stop(&self) {
        self.stop.notify_one();
    }
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
    };
    let mut engine = Engine {
        store: parts.store.clone(),
        clock: parts.clock,
        policy: parts.policy,
        oncall: parts.oncall,
        people,
        outbox_wake: parts.outbox_wake,
        jobs_wake: parts.jobs_wake,
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

/// A reply waiting for the flush that makes its change durable.
type Deferred = Box<dyn FnOnce(Result<(), EngineError>) + Send>;

/// One committed group waiting for its flush.
struct FlushGroup {
    replies: Vec<Deferred>,
    /// The store generation the group was committed under: if the store re-opened since,
    /// the commit was in the old database and is gone, however the flush goes.
    generation: u64,
}

/// Flushes a committed group and answers its callers; whether the flush held.
fn flush_group(store: &dyn Store, group: FlushGroup) -> bool {
    let started = std::time::Instant::now();
    let result = store.flush_blocking().and_then(|()| {
        if store.generation() == group.generation {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "the store re-opened before this change was flushed".to_owned(),
            ))
        }
    });
    metrics::histogram!("warroom_store_flush_seconds").record(started.elapsed().as_secs_f64());
    if let Err(error) = &result {
        error!(%error, waiting = group.replies.len(), "Flush failed; callers are told their change is not durable.");
    }
    for deferred in group.replies {
        deferred(match &result {
            Ok(()) => Ok(()),
            Err(error) => Err(EngineError::NotDurable(error.to_string())),
        });
    }
    result.is_ok()
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
}

impl Engine {
    fn reload(&mut self) -> Result<(), StoreError> {
        self.open.write().clear();
        self.by_group.clear();
        self.sequences.clear();
        self.stale = true;
        let generation = self.store.generation();
        for incident in self.store.incidents(None)? {
            if !incident.state.is_open() {
                continue;
            }
            if let Some(key) = &incident.group_key {
                // Newest first from the store: keep the newest open incident per group.
                self.by_group.entry(key.clone()).or_insert(incident.id);
            }
            self.open.write().insert(incident.id, incident);
        }
        self.loaded_generation = generation;
        self.stale = false;
        self.publish_earliest();
        Ok(())
    }

    /// Before deciding new requests: reloads the caches if they may hold lost changes and
    /// nothing decided from them is still waiting (the waiting group will be refused anyway).
    /// Returns whether the caches can be trusted.
    fn refresh_caches(&mut self, nothing_waiting: bool) -> bool {
        if self.store.generation() != self.loaded_generation {
            self.stale = true;
        }
        if self.stale && nothing_waiting {
            match self.reload() {
                Ok(()) => info!("Engine caches reloaded from the store."),
                Err(error) => debug!(%error, "Engine caches cannot be reloaded yet."),
            }
        }
        !self.stale
    }

    /// Applies events as they come: takes everything queued (up to [`MAX_BATCH`]), decides
    /// it, commits it as one transaction, flushes, and answers. Events that arrive during one
    /// flush wait in the channel and make the next group: one transaction and one flush for
    /// everything that arrived meanwhile. Flushing on this thread (not a flusher of its own)
    /// saves two thread hand-offs per group.
    async fn run(&mut self, mut rx: mpsc::Receiver<Event>, stop: Arc<Notify>) {
        let mut pending = Pending::default();
        let mut deferred: Vec<Deferred> = Vec::new();
        let mut closed = false;
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
                        self.policy.oncall = self.oncall.on_call(now);
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
                if let Some(group) = self.commit(batch, group)
                    && !flush_group(self.store.as_ref(), group)
                {
                    // The caches hold the failed group's changes: reloaded before anything
                    // else is decided.
                    self.stale = true;
                }
            }
        }
        info!("Engine stopped.");
    }

    /// Commits one group; its replies to flush, or `None` when they were already answered.
    fn commit(&mut self, pending: Pending, group: Vec<Deferred>) -> Option<FlushGroup> {
        if pending.stale {
            warn!(
                requests = group.len(),
                "A group decided before a store failure is refused."
            );
            for reply in group {
                reply(Err(EngineError::NotDurable(
                    "the store failed before this change was written; try again".to_owned(),
                )));
            }
            self.stale = true;
            return None;
        }
        let generation = self.store.generation();
        let deadlines_changed = pending.deadlines_touched || !pending.batch.deadlines.is_empty();
        let touched: Vec<Incident> = pending.incidents.into_values().collect();
        let mut batch = pending.batch;
        batch.incidents = touched.clone();
        batch.alerts = pending.alerts.into_values().collect();
        // Card refreshes wait for the outbox's own tick (they are coalesced anyway); only
        // effects that post something wake it at once.
        let has_effects = batch
            .effects
            .iter()
            .any(|effect| !matches!(effect, crate::domain::effect::Effect::RefreshCard { .. }));
        let queues_jobs = batch
            .jobs
            .iter()
            .any(|write| !matches!(write, crate::store::JobWrite::Done(_)));
        metrics::histogram!("warroom_group_commit_requests").record(group.len() as f64);
        match self.store.commit(batch) {
            Ok(()) => {
                for incident in touched {
                    self.remember(incident);
                }
                if has_effects {
                    self.outbox_wake.notify_one();
                }
                if deadlines_changed {
                    self.publish_earliest();
                }
                if queues_jobs {
                    self.jobs_wake.notify_one();
                }
                Some(FlushGroup {
                    replies: group,
                    generation,
                })
            }
            Err(error) => {
                error!(%error, "Commit failed; the group is refused and caches reloaded.");
                for reply in group {
                    reply(Err(EngineError::NotDurable(error.to_string())));
                }
                // The requests changed the caches while they were decided; until a reload
                // succeeds (the store may be re-opening) nothing is committed from them.
                self.stale = true;
                if let Err(error) = self.reload() {
                    debug!(%error, "Reload after a failed commit failed; retried before the next request.");
                }
                None
            }
        }
    }

    fn remember(&mut self, incident: Incident) {
        if incident.state.is_open() {
            if let Some(key) = &incident.group_key {
                self.by_group.insert(key.clone(), incident.id);
            }
            self.open.write().insert(incident.id, incident);
        } else {
            if let Some(key) = &incident.group_key
                && self.by_group.get(key) == Some(&incident.id)
            {
                self.by_group.remove(key);
            }
            self.open.write().remove(&incident.id);
        }
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
