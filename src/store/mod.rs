//! Durable state: the store ports (read for everyone, write for the engine) and their sled
//! implementation.
//!
//! Values are versioned records (`{"v":1,"data":…}`), so a later schema can read older
//! values; keys are big-endian so range scans come out in order.

mod actions;
mod codec;
mod deadlines;
pub(crate) mod jobs;
mod recovery;
mod sled_store;
mod time;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

pub use actions::LastScale;
pub use jobs::{DirtyTracked, JobWrite, MAX_MESSAGES, MessageOwner, TrackedMessage};
pub use sled_store::{AdapterTree, SledStore};
pub use time::{MAX_OVERRIDES, OverrideWrite};

use crate::domain::alert::AlertIdentity;
use crate::domain::deadline::{Deadline, DeadlineChange};
use crate::domain::decide::StoredAlert;
use crate::domain::effect::Effect;
use crate::domain::ids::{IncidentId, MessageId};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::job::{Job, JobId};
use crate::domain::timeline::TimelineEntry;

/// The schema version written to `meta`; a store with a newer one is refused at start.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage failed: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record {key} could not be read: {reason}")]
    Corrupt { key: String, reason: String },
    #[error(
        "the data directory was written by a newer warroom (schema {found}, this build reads up to {supported})"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("could not sync the store to disk: {0}")]
    Sync(String),
    #[error("could not encode a record: {0}")]
    Encode(String),
    /// The store failed and is re-opening from disk; nothing is read or written meanwhile.
    #[error("the store is unavailable until it re-opens: {0}")]
    Unavailable(String),
}

/// Everything one engine step writes, applied atomically.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub incidents: Vec<Incident>,
    pub alerts: Vec<StoredAlert>,
    pub timeline: Vec<TimelineEntry>,
    /// Chat effects for the outbox, in order. `RefreshCard` marks the card dirty instead, so a
    /// storm of updates collapses into one pending edit per incident.
    pub effects: Vec<Effect>,
    pub sequences: Vec<(NaiveDate, u32)>,
    /// Deadlines set or cancelled, in order, by logical key.
    pub deadlines: Vec<DeadlineChange>,
    /// Jobs created, finished or queued again, in the same transaction as their cause.
    pub jobs: Vec<JobWrite>,
    /// Action requests created or changed (the whole request each time).
    pub actions: Vec<crate::domain::action::ActionRequest>,
    /// Services' last successful scales, for `scale-rollback`.
    pub last_scales: Vec<LastScale>,
    /// The jobs requests awaiting approval will run, by incident (and the job's request).
    pub planned_jobs: Vec<(IncidentId, crate::domain::action::ActionJob)>,
    /// Tasks created or changed (the whole task each time).
    pub tasks: Vec<crate::domain::task::Task>,
    /// `/oncall override`s recorded or removed.
    pub overrides: Vec<OverrideWrite>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
            && self.alerts.is_empty()
            && self.timeline.is_empty()
            && self.effects.is_empty()
            && self.sequences.is_empty()
            && self.deadlines.is_empty()
            && self.jobs.is_empty()
            && self.actions.is_empty()
            && self.last_scales.is_empty()
            && self.tasks.is_empty()
            && self.overrides.is_empty()
            && self.planned_jobs.is_empty()
    }
}

/// An outbox item and the key to complete it with.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub key: u64,
    pub effect: Effect,
}

/// A card that needs re-rendering; `token` guards against clearing a newer mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirtyCard {
    pub incident: IncidentId,
    pub token: u64,
}

/// The read port: what adapters, the HTTP read API and the engine's queries may ask. It
/// cannot change anything, so holding one grants no way to bypass the engine.
pub trait StoreRead: Send + Sync {
    /// Why the store refuses reads and writes, while it re-opens after a storage failure.
    fn failure(&self) -> Option<String>;
    /// Changes at every re-open: a write committed under an earlier generation may be lost
    /// unless its flush succeeded under that same generation.
    fn generation(&self) -> u64;

    fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError>;
    /// Newest first; `state` filters.
    fn incidents(&self, state: Option<IncidentState>) -> Result<Vec<Incident>, StoreError>;
    /// One page of incidents, newest first: at most `limit` of those older than `before`
    /// (all when `None`) whose state is `state` (any when `None`). Scans from the cursor
    /// instead of loading every incident.
    fn incidents_page(
        &self,
        state: Option<IncidentState>,
        before: Option<IncidentId>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError>;
    fn alert(&self, identity: &AlertIdentity) -> Result<Option<StoredAlert>, StoreError>;
    /// Entries with `seq > after`, at most `limit`.
    fn timeline(
        &self,
        id: IncidentId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError>;
    /// The last incident sequence number used on `date` (0 when none).
    fn last_sequence(&self, date: NaiveDate) -> Result<u32, StoreError>;

    /// Pending outbox items plus dirty cards; kept as a count, never a scan.
    fn outbox_depth(&self) -> usize;
    /// Chat bookkeeping kept by the outbox: which room and card belong to which incident.
    fn chat_ref(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Queued and running jobs, oldest first, at most `limit`.
    fn jobs(&self, limit: usize) -> Result<Vec<Job>, StoreError>;
    fn job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// What the tracked message `key` shows now.
    fn tracked(&self, key: &str) -> Result<Option<TrackedMessage>, StoreError>;
    fn dirty_tracked(&self) -> Result<Vec<DirtyTracked>, StoreError>;
    /// What a posted chat message belongs to, if warroom posted it.
    fn message_owner(&self, message: &MessageId) -> Result<Option<MessageOwner>, StoreError>;

    /// One incident's action requests numbered after `after` (all when `None`), in order,
    /// at most `limit`.
    fn action_requests(
        &self,
        incident: IncidentId,
        after: Option<crate::domain::action::RequestId>,
        limit: usize,
    ) -> Result<Vec<crate::domain::action::ActionRequest>, StoreError>;
    fn action_request(
        &self,
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    ) -> Result<Option<crate::domain::action::ActionRequest>, StoreError>;
    /// The highest request number used in `incident` (0 when none): a read of one key.
    /// Requests are numbered densely from 1 and never removed, so it is also their count.
    fn last_request_id(&self, incident: IncidentId) -> Result<u32, StoreError>;

    /// One incident's tasks in id order (bounded by `domain::task::MAX_TASKS_PER_INCIDENT`).
    fn tasks(&self, incident: IncidentId) -> Result<Vec<crate::domain::task::Task>, StoreError>;
    /// The stored `/oncall override`s, ended ones included until the engine removes them
    /// (bounded by [`MAX_OVERRIDES`]).
    fn overrides(&self) -> Result<Vec<crate::domain::rotation::Override>, StoreError>;
}

/// The delivery port, held by the outbox and the job pool: their bookkeeping beside the
/// engine's commits (an item delivered, a card edited, a job started), never a decision.
#[async_trait]
pub trait DeliveryStore: StoreRead {
    /// Makes everything committed so far durable (the job pool flushes a job's start mark
    /// before running it).
    async fn flush(&self) -> Result<(), StoreError>;

    /// Flushed outbox items, oldest first, at most `limit`.
    fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;
    /// Flushed pending pages (`Effect::Page`), oldest first, at most `limit`: found through an
    /// index of their own, however many chat items wait ahead of them.
    fn outbox_pending_pages(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;
    fn outbox_complete(&self, key: u64) -> Result<(), StoreError>;
    fn dirty_cards(&self) -> Result<Vec<DirtyCard>, StoreError>;
    /// Clears the mark unless a newer one replaced it.
    fn clear_dirty_card(&self, card: DirtyCard) -> Result<(), StoreError>;

    fn set_chat_ref(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Marks a queued job started (not yet durable: flush before running it); false when it
    /// is gone or was already started.
    fn mark_job_started(
        &self,
        id: JobId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
    /// Clears the mark unless a newer one replaced it.
    fn clear_dirty_tracked(&self, mark: &DirtyTracked) -> Result<(), StoreError>;
    /// Remembers what a posted chat message belongs to (the newest [`MAX_MESSAGES`]).
    fn record_message(&self, message: &MessageId, owner: &MessageOwner) -> Result<(), StoreError>;
}

/// The write port, held only by the engine: commits (incidents, alerts, the timeline, the
/// outbox, deadlines, jobs — every decision) and the group-commit flush. Writes go through
/// [`Store::commit`]; they are durable once a flush returns. The outbox and the job pool get
/// a [`DeliveryStore`], adapters a [`StoreRead`], so neither can commit (the compiler says
/// so).
pub trait Store: DeliveryStore {
    fn commit(&self, batch: WriteBatch) -> Result<(), StoreError>;
    /// Flushes, blocking the calling thread: for the engine's own thread, which avoids a hop
    /// through a thread pool on every group commit.
    fn flush_blocking(&self) -> Result<(), StoreError>;

    /// Deadlines due at `now`, earliest first, at most `limit`.
    fn deadlines_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Deadline>, StoreError>;
    /// When the earliest deadline is due (a read of the tree's first key, not a scan).
    fn earliest_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The deadline set under the logical `key` (a cooldown in force), if any.
    fn deadline(&self, key: &str) -> Result<Option<Deadline>, StoreError>;
    /// A new job id, unique and increasing across restarts, for a job the engine is about to
    /// create (so its request and timeline can name it in the same commit).
    fn reserve_job_id(&self) -> Result<JobId, StoreError>;
    /// The last successful scale of `service`.
    fn last_scale(&self, service: &str) -> Result<Option<LastScale>, StoreError>;
    /// The job planned for request `request` of `incident` when it was made.
    fn planned_job(
        &self,
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    ) -> Result<Option<crate::domain::action::ActionJob>, StoreError>;
}
