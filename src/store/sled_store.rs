//! The sled backend.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::domain::alert::AlertIdentity;
use crate::domain::deadline::Deadline;
use crate::domain::decide::StoredAlert;
use crate::domain::effect::Effect;
use crate::domain::ids::{IncidentId, MessageId};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::job::{Job, JobId};
use crate::domain::timeline::TimelineEntry;
use crate::store::codec::{
    decode, encode, incident_from_key, incident_key, sequence_key, timeline_key, u64_from,
};
use crate::store::jobs::{
    DirtyTracked, MessageOwner, TrackedMessage, body_key, dirty_key, prepare_jobs,
};
use crate::store::recovery::Shared;
use crate::store::{
    DeliveryStore, DirtyCard, OutboxItem, Store, StoreError, StoreRead, WriteBatch,
};

/// The sled store. Clones share one database, which is re-opened from disk after a failure
/// (see [`super::recovery`]).
#[derive(Clone)]
pub struct SledStore {
    pub(super) shared: Arc<Shared>,
    /// How many posted messages the `messages` tree remembers (see `store::jobs`).
    pub(super) message_count: Arc<std::sync::Mutex<crate::store::jobs::MessageCount>>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

/// An adapter's own tree (the console keeps its rooms there). It names the tree instead of
/// holding it, so it follows the store across re-opens and never keeps a failed database
/// (and its file lock) alive.
#[derive(Clone)]
pub struct AdapterTree {
    store: SledStore,
    name: String,
}

impl std::fmt::Debug for AdapterTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterTree")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A key and its value in an adapter's tree.
pub type AdapterEntry = (Vec<u8>, Vec<u8>);

impl AdapterTree {
    /// Every key and value, in key order.
    pub fn entries(&self) -> Result<Vec<AdapterEntry>, StoreError> {
        self.store.shared.with(|open| {
            let tree = open.db.open_tree(&self.name)?;
            let mut out = Vec::new();
            for item in tree.iter() {
                let (key, value) = item?;
                out.push((key.to_vec(), value.to_vec()));
            }
            Ok(out)
        })
    }

    /// Goes up each time the store re-opens from disk: what was read before may be gone.
    pub fn generation(&self) -> u64 {
        self.store.shared.generation()
    }

    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.shared.with(|open| {
            Ok(open
                .db
                .open_tree(&self.name)?
                .get(key)?
                .map(|value| value.to_vec()))
        })
    }

    pub fn insert(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.store.shared.with(|open| {
            open.db.open_tree(&self.name)?.insert(key, value)?;
            Ok(())
        })
    }
}

impl SledStore {
    /// Opens (or creates) the store in `dir`. `cache_capacity` bounds sled's page cache.
    pub fn open(dir: &Path, cache_capacity: u64) -> Result<SledStore, StoreError> {
        Ok(SledStore {
            shared: Shared::open(dir, cache_capacity)?,
            message_count: Arc::default(),
        })
    }

    /// A tree for an adapter's own bookkeeping, in the same database so it shares flushes and
    /// crash recovery with the rest.
    pub fn adapter_tree(&self, name: &str) -> Result<AdapterTree, StoreError> {
        let name = format!("adapter:{name}");
        self.shared
            .with(|open| Ok(open.db.open_tree(&name).map(|_| ())?))?;
        Ok(AdapterTree {
            store: self.clone(),
            name,
        })
    }

    fn alert_key(identity: &AlertIdentity) -> Vec<u8> {
        identity.to_string().into_bytes()
    }

    fn add_depth(&self, by: i64) {
        self.shared.depth.fetch_add(by, Ordering::AcqRel);
    }
}

/// One encoded write, prepared outside the transaction because its closure may run again.
/// The `meta` keys that index pending pages: this prefix, then the outbox key (8 bytes,
/// big-endian), so they come in outbox order.
const PAGE_INDEX_PREFIX: &[u8] = b"outbox-page\0";

fn page_index_key(id: u64) -> Vec<u8> {
    let mut key = PAGE_INDEX_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

struct Prepared {
    incidents: Vec<([u8; 8], Vec<u8>)>,
    alerts: Vec<(Vec<u8>, Vec<u8>)>,
    timeline: Vec<([u8; 16], Vec<u8>)>,
    outbox: Vec<Vec<u8>>,
    /// Which of `outbox` are pages: indexed apart (see [`page_index_key`]) so the pager's lane
    /// finds them however long the chat's backlog ahead of them.
    outbox_pages: Vec<usize>,
    dirty: Vec<[u8; 8]>,
    sequences: Vec<(Vec<u8>, Vec<u8>)>,
    deadlines: Vec<super::deadlines::PreparedChange>,
    /// Tracked messages' new bodies, and which of them to mark dirty.
    tracked: Vec<(Vec<u8>, Vec<u8>)>,
    dirty_tracked: Vec<Vec<u8>>,
}

impl Store for SledStore {
    fn commit(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut prepared = Prepared {
            incidents: Vec::with_capacity(batch.incidents.len()),
            alerts: Vec::with_capacity(batch.alerts.len()),
            timeline: Vec::with_capacity(batch.timeline.len()),
            outbox: Vec::new(),
            outbox_pages: Vec::new(),
            dirty: Vec::new(),
            sequences: Vec::new(),
            deadlines: Vec::new(),
            tracked: Vec::new(),
            dirty_tracked: Vec::new(),
        };
        for incident in &batch.incidents {
            prepared
                .incidents
                .push((incident_key(incident.id), encode(incident)?));
        }
        for alert in &batch.alerts {
            prepared
                .alerts
                .push((Self::alert_key(&alert.alert.identity()), encode(alert)?));
        }
        for entry in &batch.timeline {
            prepared
                .timeline
                .push((timeline_key(entry.incident, entry.seq), encode(entry)?));
        }
        for effect in &batch.effects {
            match effect {
                Effect::RefreshCard { incident } => prepared.dirty.push(incident_key(*incident)),
                // A tracked message's body is stored by key; posting it is an outbox item,
                // changing it a dirty mark the outbox coalesces like the card's.
                Effect::PostTracked {
                    incident,
                    key,
                    body,
                }
                | Effect::UpdateTracked {
                    incident,
                    key,
                    body,
                } => {
                    let record = TrackedMessage {
                        incident: *incident,
                        key: key.clone(),
                        body: body.clone(),
                    };
                    prepared.tracked.push((body_key(key), encode(&record)?));
                    if matches!(effect, Effect::PostTracked { .. }) {
                        prepared.outbox.push(encode(effect)?);
                    } else {
                        prepared.dirty_tracked.push(dirty_key(key));
                    }
                }
                other => {
                    if matches!(other, Effect::Page { .. }) {
                        prepared.outbox_pages.push(prepared.outbox.len());
                    }
                    prepared.outbox.push(encode(other)?);
                }
            }
        }
        for (date, sequence) in &batch.sequences {
            prepared
                .sequences
                .push((sequence_key(*date), sequence.to_be_bytes().to_vec()));
        }
        let added = self.shared.with(|open| {
            prepared.deadlines =
                super::deadlines::prepare(&batch.deadlines, || Ok(open.db.generate_id()?))?;
            // Ids come from outside the transaction: sled's generator is monotonic across
            // restarts, which is all the outbox order needs.
            let mut outbox_ids = Vec::with_capacity(prepared.outbox.len());
            for _ in &prepared.outbox {
                outbox_ids.push(open.db.generate_id()?);
            }
            let jobs = prepare_jobs(open, &batch.jobs)?;
            let actions =
                super::actions::prepare(&batch.actions, &batch.last_scales, &batch.planned_jobs)?;
            let tasks = super::time::prepare_tasks(&batch.tasks)?;
            let overrides = super::time::prepare_overrides(&batch.overrides)?;
            let dirty_token = if prepared.dirty.is_empty() && prepared.dirty_tracked.is_empty() {
                0
            } else {
                open.db.generate_id()?
            };
            // Cards newly marked dirty, for the depth count; the closure may run again, so it
            // starts from zero each time.
            let newly_dirty = std::cell::Cell::new(0_i64);
            // sled's tuple form stops at nine trees; the slice form takes any number.
            let trees: [&sled::Tree; 12] = [
                &open.incidents,
                &open.alerts,
                &open.timeline,
                &open.outbox,
                &open.dirty_cards,
                &open.meta,
                &open.deadlines,
                &open.jobs,
                &open.tracked,
                &open.actions,
                &open.tasks,
                &open.overrides,
            ];
            let result: Result<(), TransactionError<()>> =
                Transactional::<()>::transaction(&trees[..], |trees| {
                    let [
                        incidents,
                        alerts,
                        timeline,
                        outbox,
                        dirty,
                        meta,
                        deadlines,
                        jobs_tree,
                        tracked,
                        actions_tree,
                        tasks_tree,
                        overrides_tree,
                    ] = trees.as_slice()
                    else {
                        // Twelve trees in, twelve views out: sled makes one view per tree.
                        return Err(ConflictableTransactionError::Abort(()));
                    };
                    newly_dirty.set(0);
                    for (key, value) in &prepared.incidents {
                        incidents.insert(&key[..], value.as_slice())?;
                    }
                    for (key, value) in &prepared.alerts {
                        alerts.insert(key.as_slice(), value.as_slice())?;
                    }
                    for (key, value) in &prepared.timeline {
                        timeline.insert(&key[..], value.as_slice())?;
                    }
                    for (id, value) in outbox_ids.iter().zip(&prepared.outbox) {
                        outbox.insert(&id.to_be_bytes()[..], value.as_slice())?;
                    }
                    for index in &prepared.outbox_pages {
                        if let Some(id) = outbox_ids.get(*index) {
                            meta.insert(&page_index_key(*id)[..], &[][..])?;
                        }
                    }
                    for key in &prepared.dirty {
                        if dirty
                            .insert(&key[..], &dirty_token.to_be_bytes()[..])?
                            .is_none()
                        {
                            newly_dirty.set(newly_dirty.get() + 1);
                        }
                    }
                    for (key, value) in &prepared.sequences {
                        meta.insert(key.as_slice(), value.as_slice())?;
                    }
                    super::deadlines::apply(&prepared.deadlines, deadlines)?;
                    for (key, value) in &jobs {
                        match value {
                            Some(value) => jobs_tree.insert(&key[..], value.as_slice())?,
                            None => jobs_tree.remove(&key[..])?,
                        };
                    }
                    for (key, value) in &prepared.tracked {
                        tracked.insert(key.as_slice(), value.as_slice())?;
                    }
                    for key in &prepared.dirty_tracked {
                        if tracked
                            .insert(key.as_slice(), &dirty_token.to_be_bytes()[..])?
                            .is_none()
                        {
                            newly_dirty.set(newly_dirty.get() + 1);
                        }
                    }
                    for (key, value) in &actions {
                        actions_tree.insert(key.as_slice(), value.as_slice())?;
                    }
                    for (tree, writes) in [(tasks_tree, &tasks), (overrides_tree, &overrides)] {
                        for (key, value) in writes {
                            match value {
                                Some(value) => tree.insert(key.as_slice(), value.as_slice())?,
                                None => tree.remove(key.as_slice())?,
                            };
                        }
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                });
            match result {
                Ok(()) => {
                    if let Some(last) = outbox_ids.iter().max() {
                        open.outbox_committed_below
                            .fetch_max(last.saturating_add(1), Ordering::AcqRel);
                    }
                    Ok(prepared.outbox.len() as i64 + newly_dirty.get())
                }
                Err(TransactionError::Storage(error)) => Err(StoreError::Sled(error)),
                Err(TransactionError::Abort(())) => Err(StoreError::Encode(
                    "transaction aborted without a reason".to_owned(),
                )),
            }
        })?;
        self.add_depth(added);
        Ok(())
    }

    fn flush_blocking(&self) -> Result<(), StoreError> {
        self.shared.with(|open| {
            // Read before flushing: what was committed by now is in this flush.
            let committed = open.outbox_committed_below.load(Ordering::Acquire);
            open.db.flush()?;
            open.log_file
                .sync_data()
                .map_err(|error| StoreError::Sync(error.to_string()))?;
            open.outbox_flushed_below
                .fetch_max(committed, Ordering::AcqRel);
            Ok(())
        })
    }

    fn deadlines_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Deadline>, StoreError> {
        self.shared
            .with(|open| super::deadlines::due(&open.deadlines, now, limit))
    }

    fn earliest_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.shared
            .with(|open| super::deadlines::earliest(&open.deadlines))
    }

    fn deadline(&self, key: &str) -> Result<Option<Deadline>, StoreError> {
        self.shared
            .with(|open| super::deadlines::by_key(&open.deadlines, key))
    }

    fn reserve_job_id(&self) -> Result<JobId, StoreError> {
        self.shared.with(|open| Ok(open.db.generate_id()?))
    }

    fn last_scale(&self, service: &str) -> Result<Option<crate::store::LastScale>, StoreError> {
        self.read_last_scale(service)
    }

    fn planned_job(
        &self,
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    ) -> Result<Option<crate::domain::action::ActionJob>, StoreError> {
        self.read_planned_job(incident, request)
    }
}

#[async_trait]
impl DeliveryStore for SledStore {
    async fn flush(&self) -> Result<(), StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.flush_blocking())
            .await
            .map_err(|error| StoreError::Sync(error.to_string()))?
    }

    fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.shared.with(|open| {
            let mut out = Vec::new();
            // Only flushed items: one committed but not yet on disk could still be taken back
            // by a failed flush, and must not reach the chat before that is known.
            let below = open.outbox_flushed_below.load(Ordering::Acquire);
            for item in open.outbox.range(..below.to_be_bytes()).take(limit) {
                let (key, value) = item?;
                let Some(id) = u64_from(&key) else {
                    continue;
                };
                out.push(OutboxItem {
                    key: id,
                    effect: decode(&key, &value)?,
                });
            }
            Ok(out)
        })
    }

    fn outbox_pending_pages(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.shared.with(|open| {
            let mut out = Vec::new();
            let below = open.outbox_flushed_below.load(Ordering::Acquire);
            for entry in open.meta.scan_prefix(PAGE_INDEX_PREFIX) {
                let (index_key, _) = entry?;
                let Some(id) = index_key.get(PAGE_INDEX_PREFIX.len()..).and_then(u64_from) else {
                    continue;
                };
                // Not flushed yet: like every outbox item, it waits for its flush.
                if id >= below {
                    continue;
                }
                match open.outbox.get(id.to_be_bytes())? {
                    Some(value) => out.push(OutboxItem {
                        key: id,
                        effect: decode(&id.to_be_bytes(), &value)?,
                    }),
                    // Delivered, and the index entry outlived it (a crash between the two
                    // removals): tidied here, on the outbox's own path.
                    None => {
                        open.meta.remove(&index_key)?;
                    }
                }
                if out.len() >= limit {
                    break;
                }
            }
            Ok(out)
        })
    }

    fn outbox_complete(&self, key: u64) -> Result<(), StoreError> {
        let removed = self.shared.with(|open| {
            let removed = open.outbox.remove(key.to_be_bytes())?.is_some();
            open.meta.remove(page_index_key(key))?;
            Ok(removed)
        })?;
        if removed {
            self.add_depth(-1);
        }
        Ok(())
    }

    fn dirty_cards(&self) -> Result<Vec<DirtyCard>, StoreError> {
        self.shared.with(|open| {
            let mut out = Vec::new();
            for item in open.dirty_cards.iter() {
                let (key, value) = item?;
                if let (Some(incident), Some(token)) = (incident_from_key(&key), u64_from(&value)) {
                    out.push(DirtyCard { incident, token });
                }
            }
            Ok(out)
        })
    }

    fn clear_dirty_card(&self, card: DirtyCard) -> Result<(), StoreError> {
        let key = incident_key(card.incident);
        // A failed swap means a newer change marked the card again: leave that mark.
        let cleared = self.shared.with(|open| {
            Ok(open
                .dirty_cards
                .compare_and_swap(
                    key,
                    Some(&card.token.to_be_bytes()[..]),
                    None as Option<&[u8]>,
                )?
                .is_ok())
        })?;
        if cleared {
            self.add_depth(-1);
        }
        Ok(())
    }

    fn set_chat_ref(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.shared.with(|open| {
            open.chat.insert(key, value.as_bytes())?;
            Ok(())
        })
    }

    fn mark_job_started(
        &self,
        id: JobId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.write_job_started(id, at)
    }

    fn clear_dirty_tracked(&self, mark: &DirtyTracked) -> Result<(), StoreError> {
        if self.remove_dirty_tracked(mark)? {
            self.add_depth(-1);
        }
        Ok(())
    }

    fn record_message(&self, message: &MessageId, owner: &MessageOwner) -> Result<(), StoreError> {
        self.write_message_owner(message, owner)
    }
}

impl StoreRead for SledStore {
    fn failure(&self) -> Option<String> {
        self.shared.failure()
    }

    fn generation(&self) -> u64 {
        self.shared.generation()
    }

    fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        let key = incident_key(id);
        self.shared.with(|open| {
            open.incidents
                .get(key)?
                .map(|bytes| decode(&key, &bytes))
                .transpose()
        })
    }

    fn incidents(&self, state: Option<IncidentState>) -> Result<Vec<Incident>, StoreError> {
        self.shared.with(|open| {
            let mut out = Vec::new();
            for item in open.incidents.iter().rev() {
                let (key, value) = item?;
                let incident: Incident = decode(&key, &value)?;
                if state.is_none_or(|state| incident.state == state) {
                    out.push(incident);
                }
            }
            Ok(out)
        })
    }

    fn incidents_page(
        &self,
        state: Option<IncidentState>,
        before: Option<IncidentId>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        self.shared.with(|open| {
            let scan = match before {
                Some(before) => open.incidents.range(..incident_key(before)),
                None => open.incidents.range::<&[u8], _>(..),
            };
            let mut out = Vec::new();
            for item in scan.rev() {
                if out.len() >= limit {
                    break;
                }
                let (key, value) = item?;
                let incident: Incident = decode(&key, &value)?;
                if state.is_none_or(|state| incident.state == state) {
                    out.push(incident);
                }
            }
            Ok(out)
        })
    }

    fn alert(&self, identity: &AlertIdentity) -> Result<Option<StoredAlert>, StoreError> {
        let key = Self::alert_key(identity);
        self.shared.with(|open| {
            open.alerts
                .get(&key)?
                .map(|bytes| decode(&key, &bytes))
                .transpose()
        })
    }

    fn timeline(
        &self,
        id: IncidentId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let start = timeline_key(id, after.saturating_add(1));
        let end = timeline_key(id, u64::MAX);
        self.shared.with(|open| {
            let mut out = Vec::new();
            for item in open.timeline.range(start..=end).take(limit) {
                let (key, value) = item?;
                out.push(decode(&key, &value)?);
            }
            Ok(out)
        })
    }

    fn last_sequence(&self, date: NaiveDate) -> Result<u32, StoreError> {
        let key = sequence_key(date);
        self.shared.with(|open| {
            Ok(open
                .meta
                .get(&key)?
                .and_then(|bytes| Some(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)))
                .unwrap_or(0))
        })
    }

    fn outbox_depth(&self) -> usize {
        usize::try_from(self.shared.depth.load(Ordering::Acquire)).unwrap_or(0)
    }

    fn chat_ref(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.shared.with(|open| {
            Ok(open
                .chat
                .get(key)?
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        })
    }

    fn jobs(&self, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.read_jobs(limit)
    }

    fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.read_job(id)
    }

    fn tracked(&self, key: &str) -> Result<Option<TrackedMessage>, StoreError> {
        self.read_tracked(key)
    }

    fn dirty_tracked(&self) -> Result<Vec<DirtyTracked>, StoreError> {
        self.read_dirty_tracked()
    }

    fn message_owner(&self, message: &MessageId) -> Result<Option<MessageOwner>, StoreError> {
        self.read_message_owner(message)
    }

    fn action_requests(
        &self,
        incident: IncidentId,
        after: Option<crate::domain::action::RequestId>,
        limit: usize,
    ) -> Result<Vec<crate::domain::action::ActionRequest>, StoreError> {
        self.read_action_requests(incident, after, limit)
    }

    fn action_request(
        &self,
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    ) -> Result<Option<crate::domain::action::ActionRequest>, StoreError> {
        self.read_action_request(incident, request)
    }

    fn last_request_id(&self, incident: IncidentId) -> Result<u32, StoreError> {
        self.read_last_request_id(incident)
    }

    fn tasks(&self, incident: IncidentId) -> Result<Vec<crate::domain::task::Task>, StoreError> {
        self.shared
            .with(|open| super::time::read_tasks(open, incident))
    }

    fn overrides(&self) -> Result<Vec<crate::domain::rotation::Override>, StoreError> {
        self.shared.with(super::time::read_overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(effects: Vec<Effect>) -> WriteBatch {
        WriteBatch {
            effects,
            ..WriteBatch::default()
        }
    }

    #[test]
    fn pages_are_indexed_apart_once_flushed_and_leave_the_index_when_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let one = IncidentId::parse("INC-20261121-001").unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let page = |step| Effect::Page {
            incident: one,
            step,
            repeat_index: 0,
            notify: Vec::new(),
            reopened: None,
        };
        let mut effects: Vec<Effect> = (0..50)
            .map(|_| Effect::Notify {
                incident: one,
                message: crate::domain::message::Msg::new("notice-all-alerts-resolved"),
            })
            .collect();
        effects.push(page(1));
        effects.push(page(2));
        store.commit(batch(effects)).unwrap();
        assert!(
            store.outbox_pending_pages(10).unwrap().is_empty(),
            "pages too wait for their flush"
        );
        store.flush_blocking().unwrap();
        // Behind 50 chat items, the pages are the first two the index gives.
        let pages = store.outbox_pending_pages(10).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].effect, page(1));
        assert_eq!(store.outbox_pending_pages(1).unwrap().len(), 1, "bounded");
        store.outbox_complete(pages[0].key).unwrap();
        let left = store.outbox_pending_pages(10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].effect, page(2));
    }

    #[test]
    fn the_outbox_depth_is_counted_on_every_change_and_rescanned_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let one = IncidentId::parse("INC-20261121-001").unwrap();
        let two = IncidentId::parse("INC-20261121-002").unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(store.outbox_depth(), 0);
        store
            .commit(batch(vec![
                Effect::OpenRoom { incident: one },
                Effect::PostCard { incident: one },
                Effect::RefreshCard { incident: one },
            ]))
            .unwrap();
        assert_eq!(store.outbox_depth(), 3);
        // A card already marked dirty is one pending edit, however often it is marked.
        store
            .commit(batch(vec![
                Effect::RefreshCard { incident: one },
                Effect::RefreshCard { incident: two },
            ]))
            .unwrap();
        assert_eq!(store.outbox_depth(), 4);
        assert!(
            store.outbox_pending(10).unwrap().is_empty(),
            "items are delivered only once flushed"
        );
        store.flush_blocking().unwrap();
        let items = store.outbox_pending(10).unwrap();
        store.outbox_complete(items[0].key).unwrap();
        // Completing twice (a redelivery after a crash) counts once.
        store.outbox_complete(items[0].key).unwrap();
        assert_eq!(store.outbox_depth(), 3);
        let cards = store.dirty_cards().unwrap();
        let stale = DirtyCard {
            incident: cards[0].incident,
            token: cards[0].token.wrapping_add(1),
        };
        store.clear_dirty_card(stale).unwrap();
        assert_eq!(store.outbox_depth(), 3, "a newer mark stays and is counted");
        store.clear_dirty_card(cards[0]).unwrap();
        assert_eq!(store.outbox_depth(), 2);
        store.flush_blocking().unwrap();
        drop(store);
        // sled's IO threads may hold the file lock a moment after the drop.
        let mut attempts = 0;
        let reopened = loop {
            match SledStore::open(dir.path(), 1 << 20) {
                Ok(store) => break store,
                Err(error) if attempts < 100 => {
                    attempts += 1;
                    eprintln!("re-open attempt {attempts}: {error}");
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(error) => panic!("cannot re-open the store: {error}"),
            }
        };
        assert_eq!(reopened.outbox_depth(), 2);
        assert_eq!(reopened.failure(), None);
    }
}
