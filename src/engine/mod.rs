//! The engine: one task that applies events one at a time (no races between incidents'
//! writers), writes each batch in one store transaction, and answers callers only after a
//! group-commit flush has made their change durable.

pub mod clock;
pub mod outbox;
mod replies;

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
    AlertRoute, Applied, Policy, RecordReason, StoredAlert, apply_alert_to_incident, apply_command,
    declare_incident, group_key, open_incident_from_alert, route_alert,
};
use crate::domain::emoji::record_reaction;
use crate::domain::ids::{Actor, IncidentId, MessageId, RoomId, UserId};
use crate::domain::incident::Incident;
use crate::domain::message::{Arg, Msg};
use crate::domain::timeline::{EntryKind, TimelineEntry};
use crate::engine::clock::Clock;
use crate::intake::AlertBatch;
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

enum Request {
    Ingest {
        alerts: Vec<Alert>,
        /// Alerts the sender left out of the request (Alertmanager's `truncatedAlerts`).
        truncated: u64,
        reply: oneshot::Sender<Result<IngestReport, EngineError>>,
    },
    Command {
        person: Person,
        introduced: Vec<Person>,
        incident: Option<IncidentId>,
        command: Command,
        reply: oneshot::Sender<Result<CommandReply, EngineError>>,
    },
    Chat {
        record: ChatRecord,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
}

/// The cheap, cloneable way in.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    tx: mpsc::Sender<Request>,
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
        self.send(Request::Ingest {
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
        self.send(Request::Command {
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
        self.send(Request::Chat { record, reply }).await?;
        rx.await.map_err(|_| EngineError::Stopped)?
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

    async fn send(&self, request: Request) -> Result<(), EngineError> {
        self.tx
            .send(request)
            .await
            .map_err(|_| EngineError::Stopped)
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
    pub policy: Policy,
    pub people: Vec<Person>,
    /// Woken after each committed batch so the outbox delivers promptly.
    pub outbox_wake: Arc<Notify>,
}

/// Starts the engine and its flusher; they stop when every handle is dropped.
pub fn spawn(
    parts: EngineParts,
) -> Result<(EngineHandle, tokio::task::JoinHandle<()>), EngineError> {
    let (tx, rx) = mpsc::channel(4096);
    let (flush_tx, flush_rx) = std::sync::mpsc::channel();
    let (flushed_tx, flushed_rx) = mpsc::unbounded_channel();
    let running = Arc::new(AtomicBool::new(true));
    let mut engine = Engine {
        store: parts.store.clone(),
        clock: parts.clock,
        policy: parts.policy,
        people: parts
            .people
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect(),
        outbox_wake: parts.outbox_wake,
        open: HashMap::new(),
        by_group: HashMap::new(),
        sequences: HashMap::new(),
        stale: false,
        loaded_generation: 0,
    };
    engine.reload()?;
    // Group commit runs on its own OS thread: a blocking flush there costs no thread-pool hop
    // and lets the engine keep applying the next batch meanwhile.
    let (flusher_done, flusher_finished) = oneshot::channel::<()>();
    let flush_store = parts.store;
    std::thread::Builder::new()
        .name("warroom-flush".to_owned())
        .spawn(move || {
            flusher(flush_store.as_ref(), flush_rx, flushed_tx);
            let _ = flusher_done.send(());
        })
        .map_err(|error| {
            EngineError::NotDurable(format!("cannot start the flush thread: {error}"))
        })?;
    let running_flag = running.clone();
    let stop = Arc::new(Notify::new());
    let stop_signal = stop.clone();
    let task = tokio::spawn(async move {
        engine.run(rx, flush_tx, flushed_rx, stop_signal).await;
        running_flag.store(false, Ordering::Relaxed);
        // The flusher ends once the engine's sender is gone; wait so every reply is sent.
        let _ = flusher_finished.await;
    });
    Ok((EngineHandle { tx, running, stop }, task))
}

/// A reply waiting for the flush that makes its change durable.
type Deferred = Box<dyn FnOnce(Result<(), EngineError>) + Send>;

/// One committed group on its way to the flusher.
struct FlushGroup {
    replies: Vec<Deferred>,
    /// The store generation the group was committed under: if the store re-opened since,
    /// the commit was in the old database and is gone, however the flush goes.
    generation: u64,
}

/// Flushes each group and answers its callers; tells the engine whether the flush held.
fn flusher(
    store: &dyn Store,
    rx: std::sync::mpsc::Receiver<FlushGroup>,
    done: mpsc::UnboundedSender<bool>,
) {
    while let Ok(group) = rx.recv() {
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
        if done.send(result.is_ok()).is_err() {
            return;
        }
    }
}

struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: Policy,
    people: HashMap<UserId, Person>,
    outbox_wake: Arc<Notify>,
    /// Every open incident; the engine is the only writer, so this is the truth.
    open: HashMap<IncidentId, Incident>,
    /// The open incident of each alert group.
    by_group: HashMap<String, IncidentId>,
    sequences: HashMap<NaiveDate, u32>,
    /// The caches may hold changes that never reached the disk (a commit or flush failed):
    /// nothing is committed until they are reloaded from the store.
    stale: bool,
    /// The store generation the caches were loaded from; a re-open makes them stale.
    loaded_generation: u64,
}

/// Changes made by the current step, visible to later requests of the same step.
#[derive(Default)]
struct Pending {
    batch: WriteBatch,
    incidents: HashMap<IncidentId, Incident>,
    alerts: HashMap<AlertIdentity, StoredAlert>,
    /// Some request in this group was decided from stale caches: the group is refused.
    stale: bool,
}

impl Engine {
    fn reload(&mut self) -> Result<(), StoreError> {
        self.open.clear();
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
            self.open.insert(incident.id, incident);
        }
        self.loaded_generation = generation;
        self.stale = false;
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

    /// Applies requests as they come and commits while the flusher is idle. While a flush is
    /// under way, new requests collect in `pending` and go out together as the next group:
    /// one transaction and one flush for everything that arrived meanwhile.
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<Request>,
        flush_tx: std::sync::mpsc::Sender<FlushGroup>,
        mut flushed_rx: mpsc::UnboundedReceiver<bool>,
        stop: Arc<Notify>,
    ) {
        let mut pending = Pending::default();
        let mut deferred: Vec<Deferred> = Vec::new();
        let mut flushing = false;
        let mut closed = false;
        loop {
            if closed && !flushing && deferred.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                done = flushed_rx.recv(), if flushing => {
                    match done {
                        None => {
                            error!("The flusher is gone; stopping the engine.");
                            break;
                        }
                        Some(held) => {
                            if !held {
                                // The caches already hold the failed group's changes, and
                                // so does every request decided from them since.
                                self.stale = true;
                                pending.stale = true;
                            }
                        }
                    }
                    flushing = false;
                }
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
                        deferred.push(self.handle(first, &mut pending, now));
                        let mut taken = 1;
                        while taken < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(request) => {
                                    deferred.push(self.handle(request, &mut pending, now));
                                    taken += 1;
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    None => closed = true,
                },
            }
            if !flushing && !deferred.is_empty() {
                let group = std::mem::take(&mut deferred);
                let batch = std::mem::take(&mut pending);
                flushing = self.commit(batch, group, &flush_tx);
            }
        }
        info!("Engine stopped.");
    }

    /// Commits one group and hands its replies to the flusher; false when nothing was handed.
    fn commit(
        &mut self,
        pending: Pending,
        group: Vec<Deferred>,
        flush_tx: &std::sync::mpsc::Sender<FlushGroup>,
    ) -> bool {
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
            return false;
        }
        let generation = self.store.generation();
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
        metrics::histogram!("warroom_group_commit_requests").record(group.len() as f64);
        match self.store.commit(batch) {
            Ok(()) => {
                for incident in touched {
                    self.remember(incident);
                }
                if has_effects {
                    self.outbox_wake.notify_one();
                }
                if flush_tx
                    .send(FlushGroup {
                        replies: group,
                        generation,
                    })
                    .is_err()
                {
                    error!("The flusher is gone; replies are lost.");
                    return false;
                }
                true
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
                false
            }
        }
    }

    fn remember(&mut self, incident: Incident) {
        if incident.state.is_open() {
            if let Some(key) = &incident.group_key {
                self.by_group.insert(key.clone(), incident.id);
            }
            self.open.insert(incident.id, incident);
        } else {
            if let Some(key) = &incident.group_key
                && self.by_group.get(key) == Some(&incident.id)
            {
                self.by_group.remove(key);
            }
            self.open.remove(&incident.id);
        }
    }

    fn handle(&mut self, request: Request, pending: &mut Pending, now: DateTime<Utc>) -> Deferred {
        match request {
            Request::Ingest {
                alerts,
                truncated,
                reply,
            } => {
                let result = self.ingest(alerts, truncated, pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
            Request::Command {
                person,
                introduced,
                incident,
                command,
                reply,
            } => {
                for known in introduced
                    .into_iter()
                    .chain(std::iter::once(person.clone()))
                {
                    self.people.insert(known.id.clone(), known);
                }
                let result = self.command(&person.id, incident, &command, pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
            Request::Chat { record, reply } => {
                let result = self.chat_record(record, pending, now);
                Box::new(move |flushed| {
                    let _ = reply.send(flushed.and(result.map_err(EngineError::from)));
                })
            }
        }
    }

    fn incident(&self, pending: &Pending, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        if let Some(incident) = pending.incidents.get(&id).or_else(|| self.open.get(&id)) {
            return Ok(Some(incident.clone()));
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
        applied: Applied,
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
        pending.incidents.insert(incident.id, incident);
    }

    /// Fills in the display names of the people a message names by id only: the core knows
    /// people by id, the engine knows who they are.
    fn named(&self, mut msg: Msg) -> Msg {
        for (_, arg) in &mut msg.args {
            if let Arg::Person { id, name: None } = arg {
                *arg = Arg::Person {
                    id: id.clone(),
                    name: self.display_name(id),
                };
            }
        }
        msg
    }

    /// The display name of a person the engine has met, if it is not blank.
    fn display_name(&self, user: &UserId) -> Option<String> {
        self.people
            .get(user)
            .map(|person| person.display_name.trim())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    }

    fn ingest(
        &mut self,
        alerts: Vec<Alert>,
        truncated: u64,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        let mut report = IngestReport {
            received: alerts.len(),
            ..IngestReport::default()
        };
        for alert in alerts {
            let identity = alert.identity();
            let previous = self.stored_alert(pending, &identity)?;
            let previous_incident = match previous.as_ref().and_then(|p| p.incident) {
                Some(id) => self.incident(pending, id)?,
                None => None,
            };
            let key = group_key(&self.policy, &alert);
            let group_incident = match self.by_group.get(&key) {
                Some(id) => self.incident(pending, *id)?,
                None => None,
            };
            let route = route_alert(
                &self.policy,
                previous.as_ref(),
                previous_incident.as_ref(),
                group_incident.as_ref(),
                &alert,
                now,
            );
            let severity = self.policy.severity.map(alert.severity_label.as_deref());
            let source = alert.source.as_str();
            let outcome = match &route {
                AlertRoute::Duplicate => "duplicate",
                AlertRoute::RecordOnly(RecordReason::BelowThreshold) => "below_threshold",
                AlertRoute::RecordOnly(_) => "recorded",
                AlertRoute::Existing(_) => "updated",
                AlertRoute::Join(_) => "joined",
                AlertRoute::Open { .. } => "opened",
                AlertRoute::Stale { .. } => "stale",
            };
            metrics::counter!("warroom_alerts_received_total", "source" => source, "outcome" => outcome).increment(1);
            let incident_id = match route {
                AlertRoute::Duplicate => {
                    report.duplicates += 1;
                    continue;
                }
                AlertRoute::Stale { incident } => {
                    report.stale += 1;
                    info!(alert = %identity, starts_at = %alert.starts_at, "A firing older than its stored resolve was ignored.");
                    // The stored resolve stays: it is the newer truth about this alert.
                    if let Some(id) = incident
                        && let Some(current) = self.incident(pending, id)?
                    {
                        self.apply(pending, current, note_stale_alert(&alert), now);
                    }
                    continue;
                }
                AlertRoute::RecordOnly(reason) => {
                    report.recorded += 1;
                    debug!(alert = %identity, ?reason, "Alert recorded without an incident.");
                    // Below the threshold but firing: people still see it in the alerts room.
                    if reason == RecordReason::BelowThreshold {
                        pending
                            .batch
                            .effects
                            .push(crate::domain::effect::Effect::PostAlert {
                                alert: identity.clone(),
                            });
                    }
                    previous.as_ref().and_then(|p| p.incident)
                }
                AlertRoute::Existing(id) | AlertRoute::Join(id) => {
                    match self.incident(pending, id)? {
                        Some(mut incident) => {
                            let applied = apply_alert_to_incident(
                                &self.policy,
                                &mut incident,
                                previous.as_ref(),
                                &alert,
                                now,
                            );
                            self.apply(pending, incident, applied, now);
                            if matches!(route, AlertRoute::Join(_)) {
                                report.joined += 1;
                            } else {
                                report.updated += 1;
                            }
                            Some(id)
                        }
                        None => {
                            warn!(alert = %identity, incident = %id, "Alert points at a missing incident; recording it alone.");
                            report.recorded += 1;
                            None
                        }
                    }
                }
                AlertRoute::Open { group_key } => {
                    let id = self.next_incident_id(pending, now)?;
                    let (incident, applied) =
                        open_incident_from_alert(&self.policy, id, &alert, group_key.clone(), now);
                    info!(incident = %id, group = %group_key, severity = %incident.severity, "Incident opened from an alert.");
                    metrics::counter!("warroom_incidents_opened_total", "how" => "alert")
                        .increment(1);
                    self.by_group.insert(group_key, id);
                    self.apply(pending, incident, applied, now);
                    report.opened += 1;
                    Some(id)
                }
            };
            if let Some(id) = incident_id
                && !report.incidents.contains(&id)
            {
                report.incidents.push(id);
            }
            let first_seen = previous.as_ref().map(|p| p.first_seen).unwrap_or(now);
            pending.alerts.insert(
                identity,
                StoredAlert {
                    alert,
                    severity,
                    incident: incident_id,
                    first_seen,
                    last_changed: now,
                },
            );
        }
        if truncated > 0 {
            for id in report.incidents.clone() {
                if let Some(incident) = self.incident(pending, id)? {
                    let mut applied = Applied::default();
                    applied.entries.push((
                        Actor::warroom(),
                        EntryKind::AlertsTruncated { count: truncated },
                    ));
                    self.apply(pending, incident, applied, now);
                }
            }
        }
        Ok(report)
    }

    fn command(
        &mut self,
        user: &UserId,
        incident_id: Option<IncidentId>,
        command: &Command,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let Some(person) = self.people.get(user).cloned() else {
            return Ok(CommandReply::refused(
                Msg::new("reply-unknown-person").user("user", user),
            ));
        };
        match command {
            Command::Help => {
                return Ok(CommandReply {
                    ok: true,
                    lines: replies::help_lines(),
                    incident: None,
                });
            }
            Command::List => {
                // The pending copy of an incident is newer than the cached one.
                let mut current: HashMap<IncidentId, &Incident> =
                    self.open.iter().map(|(id, i)| (*id, i)).collect();
                current.extend(pending.incidents.iter().map(|(id, i)| (*id, i)));
                return Ok(CommandReply {
                    ok: true,
                    lines: replies::list_lines(current.into_values()),
                    incident: None,
                });
            }
            Command::Declare { title, severity } => {
                let id = self.next_incident_id(pending, now)?;
                return Ok(
                    match declare_incident(&self.policy, id, title, *severity, &person, now) {
                        Ok((incident, applied)) => {
                            info!(incident = %id, user = %user, "Incident declared by hand.");
                            metrics::counter!("warroom_incidents_opened_total", "how" => "declared").increment(1);
                            self.apply(pending, incident, applied, now);
                            CommandReply {
                                ok: true,
                                lines: vec![Msg::new("reply-declared").word("incident", id)],
                                incident: Some(id),
                            }
                        }
                        Err(msg) => {
                            // The id was not used; give it back so the day's sequence has no gap.
                            self.sequences.insert(id.date(), id.sequence() - 1);
                            pending
                                .batch
                                .sequences
                                .retain(|(d, s)| !(*d == id.date() && *s == id.sequence()));
                            CommandReply::refused(msg)
                        }
                    },
                );
            }
            _ => {}
        }
        // `/incident status id:…` names its incident; everything else acts on the room's.
        let incident_id = match command {
            Command::Status {
                incident: Some(named),
            } => Some(*named),
            _ => incident_id,
        };
        let Some(incident_id) = incident_id else {
            return Ok(CommandReply::refused(Msg::new("reply-no-incident-here")));
        };
        let Some(mut incident) = self.incident(pending, incident_id)? else {
            return Ok(CommandReply::refused(
                Msg::new("reply-incident-not-found").word("incident", incident_id),
            ));
        };
        match command {
            Command::Status { .. } => {
                // Anyone configured may read; Permission::Read never refuses.
                return Ok(CommandReply {
                    ok: true,
                    lines: status_lines(&incident)
                        .into_iter()
                        .map(|line| self.named(line))
                        .collect(),
                    incident: Some(incident_id),
                });
            }
            Command::Timeline { limit } => {
                let total = incident.timeline_len;
                let after = total.saturating_sub(*limit as u64);
                let entries = self.pending_aware_timeline(pending, &incident, after, *limit)?;
                let mut lines = vec![
                    Msg::new("reply-timeline-header")
                        .word("incident", incident_id)
                        .number("shown", entries.len() as u64)
                        .number("total", total),
                ];
                let zone = self.policy.time_zone;
                lines.push(Msg::new("reply-timeline-zone").word("zone", zone.name()));
                lines.extend(entries.iter().map(|entry| timeline_line(entry, zone)));
                return Ok(CommandReply {
                    ok: true,
                    lines,
                    incident: Some(incident_id),
                });
            }
            _ => {}
        }
        let people = &self.people;
        let is_known = |user: &UserId| people.contains_key(user);
        match apply_command(&mut incident, &person, command, &is_known, now) {
            Ok(outcome) => {
                info!(incident = %incident_id, user = %user, command = ?command, "Command applied.");
                self.apply(pending, incident, outcome.applied, now);
                Ok(CommandReply {
                    ok: true,
                    lines: vec![self.named(outcome.reply)],
                    incident: Some(incident_id),
                })
            }
            Err(msg) => Ok(CommandReply {
                ok: false,
                lines: vec![msg],
                incident: Some(incident_id),
            }),
        }
    }

    fn pending_aware_timeline(
        &self,
        pending: &Pending,
        incident: &Incident,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut entries = self.store.timeline(incident.id, after, limit)?;
        entries.extend(
            pending
                .batch
                .timeline
                .iter()
                .filter(|e| e.incident == incident.id && e.seq > after)
                .cloned(),
        );
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by_key(|e| e.seq);
        let skip = entries.len().saturating_sub(limit);
        Ok(entries.into_iter().skip(skip).collect())
    }

    fn chat_record(
        &mut self,
        record: ChatRecord,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Records are idempotent: the outbox repeats them after a crash between delivering
        // and recording, and a repeat must neither be lost nor doubled on the timeline.
        let (id, actor, kind) = match record {
            ChatRecord::RoomCreated { incident, room } => {
                let Some(mut current) = self.incident(pending, incident)? else {
                    warn!(incident = %incident, "Room record for a missing incident ignored.");
                    return Ok(());
                };
                if current.room.as_ref() == Some(&room) {
                    return Ok(());
                }
                current.room = Some(room.clone());
                pending.incidents.insert(incident, current);
                (incident, Actor::warroom(), EntryKind::RoomCreated { room })
            }
            ChatRecord::CardPosted {
                incident,
                room,
                message,
            } => {
                let Some(mut current) = self.incident(pending, incident)? else {
                    warn!(incident = %incident, "Card record for a missing incident ignored.");
                    return Ok(());
                };
                if current.card.as_ref() == Some(&message) {
                    return Ok(());
                }
                current.card = Some(message.clone());
                pending.incidents.insert(incident, current);
                (
                    incident,
                    Actor::warroom(),
                    EntryKind::CardPosted { room, message },
                )
            }
            ChatRecord::Reaction {
                incident,
                person,
                message,
                emoji,
            } => {
                // Only people warroom knows (configured or role-mapped) leave a mark.
                if person.roles.is_empty() {
                    return Ok(());
                }
                let Some(mut current) = self.incident(pending, incident)? else {
                    warn!(incident = %incident, "Reaction for a missing incident ignored.");
                    return Ok(());
                };
                let recorded = record_reaction(&mut current, &person, &message, &emoji);
                self.people.insert(person.id.clone(), person);
                match recorded {
                    Ok(applied) => self.apply(pending, current, applied, now),
                    Err(reason) => {
                        debug!(incident = %incident, message = %message.0, ?reason, "Reaction not recorded.");
                    }
                }
                return Ok(());
            }
        };
        let Some(incident) = self.incident(pending, id)? else {
            warn!(incident = %id, "Chat record for a missing incident ignored.");
            return Ok(());
        };
        let mut applied = Applied::default();
        applied.entries.push((actor, kind));
        self.apply(pending, incident, applied, now);
        Ok(())
    }
}

fn status_lines(incident: &Incident) -> Vec<Msg> {
    let holder = |msg: Msg, name: &str, user: Option<&UserId>| match user {
        Some(user) => msg.user(name, user),
        None => msg.word(name, "-"),
    };
    let msg = Msg::new("reply-status")
        .word("incident", incident.id)
        .outside("title", &incident.title)
        .word("state", incident.state)
        .word("severity", incident.severity)
        .number("firing", incident.alerts.firing)
        .number("resolved", incident.alerts.resolved);
    let msg = holder(msg, "commander", incident.roles.commander.as_ref());
    let msg = holder(
        msg,
        "communications",
        incident.roles.communications.as_ref(),
    );
    vec![holder(
        msg,
        "operations",
        incident.roles.operations.as_ref(),
    )]
}

/// A moment as chat lines show it: date, time and zone abbreviation in `zone`, so a reader
/// never has to guess the day or the zone (`2026-11-21 18:00:00 CST`).
fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// One timeline entry as a chat line, its time with the date in `zone`.
pub fn timeline_line(entry: &TimelineEntry, zone: chrono_tz::Tz) -> Msg {
    let base = |id: &str| {
        let msg = Msg::new(id)
            .number("seq", entry.seq)
            .word("at", local_time(entry.at, zone));
        // People by name (or, for entries older than names, by id); sources by their tag.
        match (entry.actor.0.strip_prefix("user:"), &entry.actor_name) {
            (Some(id), name) => msg.with_person("actor", UserId(id.to_owned()), name.clone()),
            (None, _) => msg.word("actor", &entry.actor.0),
        }
    };
    match &entry.kind {
        EntryKind::IncidentOpened {
            title, severity, ..
        } => base("tl-incident-opened")
            .outside("title", title)
            .word("severity", severity),
        EntryKind::AlertReceived { name, status, .. } => base("tl-alert-received")
            .outside("alert", name)
            .word("status", format!("{status:?}").to_lowercase()),
        EntryKind::AlertUpdated { name, .. } => base("tl-alert-updated").outside("alert", name),
        EntryKind::AlertResolved { name, .. } => base("tl-alert-resolved").outside("alert", name),
        EntryKind::AllAlertsResolved => base("tl-all-alerts-resolved"),
        EntryKind::StateChanged { from, to } => base("tl-state-changed")
            .word("from", from)
            .word("state", to),
        EntryKind::SeverityChanged { from, to, .. } => base("tl-severity-changed")
            .word("from", from)
            .word("severity", to),
        EntryKind::RoleAssigned {
            role,
            user,
            user_name,
            ..
        } => base("tl-role-assigned")
            .word("role", role.as_str())
            .with_person("user", user.clone(), user_name.clone()),
        EntryKind::RoomCreated { room } => base("tl-room-created").word("room", room),
        EntryKind::CardPosted { .. } => base("tl-card-posted"),
        EntryKind::NoteAdded { text } => base("tl-note-added").outside("text", text),
        EntryKind::ReactionAdded { emoji, .. } => base("tl-reaction-added").outside("emoji", emoji),
        EntryKind::StaleAlertIgnored {
            name, starts_at, ..
        } => base("tl-stale-alert-ignored")
            .outside("alert", name)
            .word("started", local_time(*starts_at, zone)),
        EntryKind::AlertStartCorrected { name, original, .. } => base("tl-alert-start-corrected")
            .outside("alert", name)
            .word("original", original.to_rfc3339()),
        EntryKind::AlertsTruncated { count } => base("tl-alerts-truncated").number("count", *count),
    }
}
