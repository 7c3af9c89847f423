//! The commit path: a decided group is written in one store transaction, then flushed, and
//! its callers answered only once the flush held; after a failure the engine's caches are
//! reloaded from the store before anything else is decided.

use tracing::{debug, error, info, warn};

use crate::domain::incident::Incident;
use crate::engine::{Engine, EngineError, Pending};
use crate::store::{Store, StoreError};

/// A reply waiting for the flush that makes its change durable.
pub(super) type Deferred = Box<dyn FnOnce(Result<(), EngineError>) + Send>;

/// One committed group waiting for its flush.
pub(super) struct FlushGroup {
    replies: Vec<Deferred>,
    /// The store generation the group was committed under: if the store re-opened since,
    /// the commit was in the old database and is gone, however the flush goes.
    generation: u64,
    /// What the rest of warroom hears once the flush held, and not before: a failed flush
    /// takes the change back, so nobody may have acted on it or shown it.
    after: AfterFlush,
}

/// The group's news for the views, the outbox, the job pool and the deadline scheduler.
pub(super) struct AfterFlush {
    /// The callers, answered once the views and the live feed hold their change: a person
    /// told "acknowledged" who then types a note sees the note after the new card, and a
    /// read right after a reply sees the change.
    replies: Vec<Deferred>,
    touched: Vec<Incident>,
    has_effects: bool,
    deadlines_changed: bool,
    queues_jobs: bool,
    /// `/oncall override`s were recorded or removed: the on-call source hears of them.
    overrides_changed: bool,
}

/// Flushes a committed group and answers its callers; what to publish when the flush held.
pub(super) fn flush_group(store: &dyn Store, group: FlushGroup) -> Option<AfterFlush> {
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
    match result {
        Ok(()) => Some(AfterFlush {
            replies: group.replies,
            ..group.after
        }),
        Err(error) => {
            error!(%error, waiting = group.replies.len(), "Flush failed; callers are told their change is not durable.");
            for deferred in group.replies {
                deferred(Err(EngineError::NotDurable(error.to_string())));
            }
            None
        }
    }
}

impl Engine {
    /// Loads the caches from the store. Built aside and swapped in only when the whole read
    /// worked, so a store that does not answer yet leaves the last published view in place.
    pub(super) fn reload(&mut self) -> Result<(), StoreError> {
        self.stale = true;
        let generation = self.store.generation();
        let mut open = std::collections::HashMap::new();
        let mut by_group = std::collections::HashMap::new();
        for incident in self.store.incidents(None)? {
            if !incident.state.is_open() {
                continue;
            }
            if let Some(key) = &incident.group_key {
                // Newest first from the store: keep the newest open incident per group.
                by_group.entry(key.clone()).or_insert(incident.id);
            }
            open.insert(incident.id, incident);
        }
        *self.open.write() = open;
        self.by_group = by_group;
        self.sequences.clear();
        self.loaded_generation = generation;
        self.publish_earliest();
        self.load_overrides()?;
        self.stale = false;
        Ok(())
    }

    /// Before deciding new requests: reloads the caches if they may hold lost changes and
    /// nothing decided from them is still waiting (the waiting group will be refused anyway).
    /// Returns whether the caches can be trusted.
    pub(super) fn refresh_caches(&mut self, nothing_waiting: bool) -> bool {
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

    /// Commits one group; its replies to flush, or `None` when they were already answered.
    pub(super) fn commit(&mut self, pending: Pending, group: Vec<Deferred>) -> Option<FlushGroup> {
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
        batch.actions = pending.requests.into_values().collect();
        batch.last_scales = pending.last_scales.into_values().collect();
        batch.planned_jobs = pending
            .planned
            .into_iter()
            .map(|((incident, _), job)| (incident, job))
            .collect();
        // Card refreshes wait for the outbox's own tick (they are coalesced anyway); only
        // effects that post something wake it at once.
        let has_effects = batch
            .effects
            .iter()
            .any(|effect| !matches!(effect, crate::domain::effect::Effect::RefreshCard { .. }));
        let overrides_changed = !batch.overrides.is_empty();
        let queues_jobs = batch
            .jobs
            .iter()
            .any(|write| !matches!(write, crate::store::JobWrite::Done(_)));
        metrics::histogram!("warroom_group_commit_requests").record(group.len() as f64);
        match self.store.commit(batch) {
            Ok(()) => Some(FlushGroup {
                replies: group,
                generation,
                after: AfterFlush {
                    replies: Vec::new(),
                    touched,
                    has_effects,
                    deadlines_changed,
                    queues_jobs,
                    overrides_changed,
                },
            }),
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

    /// Publishes a flushed group: the open incidents (the engine's cache and the queries'
    /// view) and the live feed, then answers its callers, and wakes whoever has new work.
    /// Runs before anything else is decided, on the engine's thread, so the next group
    /// decides from these.
    pub(super) fn published(&mut self, after: AfterFlush) {
        for incident in after.touched {
            self.live.publish(
                Some(incident.id),
                crate::live::LiveChange::Incident {
                    incident: Box::new(incident.clone()),
                },
            );
            self.remember(incident);
        }
        for deferred in after.replies {
            deferred(Ok(()));
        }
        if after.has_effects {
            self.outbox_wake.notify_one();
        }
        if after.deadlines_changed {
            self.publish_earliest();
        }
        if after.queues_jobs {
            self.jobs_wake.notify_one();
        }
        if after.overrides_changed {
            self.publish_overrides();
        }
    }

    /// After a failed flush the store takes the group back: the caches are reloaded from it
    /// at once (if it answers already), so queries stop showing what is gone.
    pub(super) fn flush_failed(&mut self) {
        self.stale = true;
        if let Err(error) = self.reload() {
            debug!(%error, "Reload after a failed flush failed; retried before the next request.");
        }
    }

    pub(super) fn remember(&mut self, incident: Incident) {
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
}
