//! The `jobs`, `tracked` and `messages` trees.
//!
//! - `jobs`: one record per queued or running job, keyed by its id (big-endian, so in creation
//!   order). Created and removed only in the engine's commit transaction; the worker pool only
//!   marks a job started. Finished jobs are removed, so the tree holds in-flight work only.
//! - `tracked`: `body:<key>` is what a tracked message shows now; `dirty:<key>` (a token)
//!   marks it for a coalesced re-render, cleared by compare-and-swap like dirty cards.
//! - `messages`: `m:<chat message id>` says what a posted message belongs to (its incident and
//!   key), so a reaction or button on it maps back; `o:<order>` remembers posting order so the
//!   oldest are pruned beyond [`MAX_MESSAGES`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::effect::TrackedBody;
use crate::domain::ids::{IncidentId, MessageId};
use crate::domain::job::{Job, JobId, NewJob};
use crate::store::codec::{decode, encode, u64_from};
use crate::store::recovery::Open;
use crate::store::{SledStore, StoreError};

pub(crate) const DIRTY_PREFIX: &[u8] = b"dirty:";
const BODY_PREFIX: &str = "body:";
const MESSAGE_PREFIX: &str = "m:";
const ORDER_PREFIX: &[u8] = b"o:";
/// How many posted messages are remembered; older ones no longer map back (a reaction on one
/// is still recorded, without saying what the message was).
pub const MAX_MESSAGES: usize = 100_000;
/// How many messages the `messages` tree remembers, as far as this process knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum MessageCount {
    /// Not counted yet in this process.
    #[default]
    Unknown,
    /// Counted in the database opened as store `generation`; stale after a re-open.
    Counted { generation: u64, count: usize },
}

/// A change to the jobs tree, applied in the engine's commit transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum JobWrite {
    /// A new job; the store gives it its id.
    Create { job: NewJob, at: DateTime<Utc> },
    /// A new job under an id reserved before the commit (`Store::reserve_job_id`), so what
    /// caused it can name it.
    CreateWithId {
        id: JobId,
        job: NewJob,
        at: DateTime<Utc>,
    },
    /// The job finished (or must not run again): remove it.
    Done(JobId),
    /// Queue the job again (an interrupted idempotent one).
    Requeue(JobId),
}

/// A tracked message's current body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedMessage {
    pub incident: IncidentId,
    pub key: String,
    pub body: TrackedBody,
}

/// A tracked message that needs re-rendering; `token` guards against clearing a newer mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyTracked {
    pub key: String,
    pub token: u64,
}

/// What a posted chat message belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageOwner {
    /// `None` for alerts-room posts that belong to no incident.
    pub incident: Option<IncidentId>,
    /// The delivery key: `card:<incident>`, `probe:<incident>`, `outbox:<n>`.
    pub key: String,
}

pub(crate) fn job_key(id: JobId) -> [u8; 8] {
    id.to_be_bytes()
}

pub(crate) fn body_key(key: &str) -> Vec<u8> {
    format!("{BODY_PREFIX}{key}").into_bytes()
}

pub(crate) fn dirty_key(key: &str) -> Vec<u8> {
    let mut out = DIRTY_PREFIX.to_vec();
    out.extend_from_slice(key.as_bytes());
    out
}

/// A job's key and its encoded value to put, or `None` to remove it.
pub(crate) type PreparedJob = ([u8; 8], Option<Vec<u8>>);

/// Job writes encoded for the transaction. New jobs get their ids here, outside the
/// transaction (whose closure may run again).
pub(crate) fn prepare_jobs(
    open: &Open,
    writes: &[JobWrite],
) -> Result<Vec<PreparedJob>, StoreError> {
    let mut out = Vec::with_capacity(writes.len());
    for write in writes {
        match write {
            JobWrite::Create { job, at } => {
                let id = open.db.generate_id()?;
                let job = Job {
                    id,
                    incident: job.incident,
                    kind: job.kind.clone(),
                    created_at: *at,
                    started_at: None,
                };
                out.push((job_key(id), Some(encode(&job)?)));
            }
            JobWrite::CreateWithId { id, job, at } => {
                let job = Job {
                    id: *id,
                    incident: job.incident,
                    kind: job.kind.clone(),
                    created_at: *at,
                    started_at: None,
                };
                out.push((job_key(*id), Some(encode(&job)?)));
            }
            JobWrite::Done(id) => out.push((job_key(*id), None)),
            JobWrite::Requeue(id) => {
                let Some(bytes) = open.jobs.get(job_key(*id))? else {
                    continue;
                };
                let mut job: Job = decode(&job_key(*id), &bytes)?;
                job.started_at = None;
                out.push((job_key(*id), Some(encode(&job)?)));
            }
        }
    }
    Ok(out)
}

impl SledStore {
    pub(super) fn read_jobs(&self, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.shared.with(|open| {
            let mut out = Vec::new();
            for item in open.jobs.iter().take(limit) {
                let (key, value) = item?;
                out.push(decode(&key, &value)?);
            }
            Ok(out)
        })
    }

    pub(super) fn read_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.shared.with(|open| {
            open.jobs
                .get(job_key(id))?
                .map(|bytes| decode(&job_key(id), &bytes))
                .transpose()
        })
    }

    /// Marks a queued job started; false when it is gone or already started (by another
    /// worker or before a restart), so nobody runs it twice unknowingly.
    pub(super) fn write_job_started(
        &self,
        id: JobId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.shared.with(|open| {
            let key = job_key(id);
            let Some(current) = open.jobs.get(key)? else {
                return Ok(false);
            };
            let mut job: Job = decode(&key, &current)?;
            if job.started_at.is_some() {
                return Ok(false);
            }
            job.started_at = Some(at);
            let swapped = open
                .jobs
                .compare_and_swap(key, Some(current), Some(encode(&job)?))?;
            Ok(swapped.is_ok())
        })
    }

    pub(super) fn read_tracked(&self, key: &str) -> Result<Option<TrackedMessage>, StoreError> {
        let key = body_key(key);
        self.shared.with(|open| {
            open.tracked
                .get(&key)?
                .map(|bytes| decode(&key, &bytes))
                .transpose()
        })
    }

    pub(super) fn read_dirty_tracked(&self) -> Result<Vec<DirtyTracked>, StoreError> {
        self.shared.with(|open| {
            let mut out = Vec::new();
            for item in open.tracked.scan_prefix(DIRTY_PREFIX) {
                let (key, value) = item?;
                let (Some(name), Some(token)) = (key.get(DIRTY_PREFIX.len()..), u64_from(&value))
                else {
                    continue;
                };
                out.push(DirtyTracked {
                    key: String::from_utf8_lossy(name).into_owned(),
                    token,
                });
            }
            Ok(out)
        })
    }

    /// Clears the mark unless a newer one replaced it; true when it was cleared.
    pub(super) fn remove_dirty_tracked(&self, mark: &DirtyTracked) -> Result<bool, StoreError> {
        self.shared.with(|open| {
            Ok(open
                .tracked
                .compare_and_swap(
                    dirty_key(&mark.key),
                    Some(&mark.token.to_be_bytes()[..]),
                    None as Option<&[u8]>,
                )?
                .is_ok())
        })
    }

    pub(super) fn write_message_owner(
        &self,
        message: &MessageId,
        owner: &MessageOwner,
    ) -> Result<(), StoreError> {
        self.write_message_owner_capped(message, owner, MAX_MESSAGES)
    }

    /// Records the owner and forgets the oldest message once more than `cap` are kept. The
    /// count is kept in memory, counted once per opened database (a re-open brings back only
    /// what was flushed, so an older count would be wrong), so a post costs no scan. The lock
    /// makes concurrent records of the same message count once.
    pub(super) fn write_message_owner_capped(
        &self,
        message: &MessageId,
        owner: &MessageOwner,
        cap: usize,
    ) -> Result<(), StoreError> {
        let value = encode(owner)?;
        let mut count = self
            .message_count
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let generation = self.shared.generation();
        self.shared.with(|open| {
            let known = match *count {
                MessageCount::Counted {
                    generation: counted_in,
                    count,
                } if counted_in == generation => count,
                _ => open.messages.scan_prefix(ORDER_PREFIX).count(),
            };
            *count = MessageCount::Counted {
                generation,
                count: known,
            };
            let key = format!("{MESSAGE_PREFIX}{}", message.0);
            if open.messages.contains_key(key.as_bytes())? {
                return Ok(());
            }
            let mut order = ORDER_PREFIX.to_vec();
            order.extend_from_slice(&open.db.generate_id()?.to_be_bytes());
            // Both keys or neither: an `m:` without its `o:` would never be pruned.
            let mut batch = sled::Batch::default();
            batch.insert(key.as_bytes(), value.as_slice());
            batch.insert(order, key.as_bytes());
            open.messages.apply_batch(batch)?;
            let mut kept = known + 1;
            if kept > cap && forget_oldest_message(open)? {
                kept -= 1;
            }
            *count = MessageCount::Counted {
                generation,
                count: kept,
            };
            Ok(())
        })
    }

    pub(super) fn read_message_owner(
        &self,
        message: &MessageId,
    ) -> Result<Option<MessageOwner>, StoreError> {
        let key = format!("{MESSAGE_PREFIX}{}", message.0);
        self.shared.with(|open| {
            open.messages
                .get(key.as_bytes())?
                .map(|bytes| decode(key.as_bytes(), &bytes))
                .transpose()
        })
    }
}

/// Forgets the oldest remembered message (both its keys at once); false when there was none.
fn forget_oldest_message(open: &Open) -> Result<bool, StoreError> {
    let Some(oldest) = open.messages.scan_prefix(ORDER_PREFIX).next() else {
        return Ok(false);
    };
    let (order, message_key) = oldest?;
    let mut batch = sled::Batch::default();
    batch.remove(message_key);
    batch.remove(order);
    open.messages.apply_batch(batch)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::effect::Effect;
    use crate::domain::job::JobKind;
    use crate::domain::probe::{ProbeState, ProbeView};
    use crate::store::{DeliveryStore, Store, StoreRead, WriteBatch};

    fn incident() -> IncidentId {
        IncidentId::parse("INC-20261121-001").unwrap()
    }

    fn at() -> DateTime<Utc> {
        "2026-11-21T10:00:00Z".parse().unwrap()
    }

    fn body(state: ProbeState) -> TrackedBody {
        TrackedBody::Probe(ProbeView {
            url: "https://ok.example.com/".into(),
            state,
        })
    }

    #[test]
    fn jobs_are_created_in_the_commit_started_once_requeued_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let new = |n: u64| JobWrite::Create {
            job: NewJob {
                incident: incident(),
                kind: JobKind::Probe {
                    url: format!("https://ok.example.com/{n}"),
                    timeout_ms: 5_000,
                },
            },
            at: at(),
        };
        store
            .commit(WriteBatch {
                jobs: vec![new(1), new(2)],
                ..WriteBatch::default()
            })
            .unwrap();
        let jobs = store.jobs(10).unwrap();
        assert_eq!(jobs.len(), 2);
        assert!(jobs[0].id < jobs[1].id, "in creation order");
        assert!(jobs.iter().all(|job| job.started_at.is_none()));
        let first = jobs[0].id;
        assert!(store.mark_job_started(first, at()).unwrap());
        assert!(
            !store.mark_job_started(first, at()).unwrap(),
            "a started job is not started twice"
        );
        assert!(store.job(first).unwrap().unwrap().started_at.is_some());
        store
            .commit(WriteBatch {
                jobs: vec![JobWrite::Requeue(first), JobWrite::Done(jobs[1].id)],
                ..WriteBatch::default()
            })
            .unwrap();
        let left = store.jobs(10).unwrap();
        assert_eq!(left.len(), 1, "a finished job is removed");
        assert_eq!(left[0].id, first);
        assert_eq!(left[0].started_at, None, "queued again");
        assert!(!store.mark_job_started(jobs[1].id, at()).unwrap());
    }

    #[test]
    fn tracked_bodies_are_kept_and_changes_coalesce_into_one_dirty_mark() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let key = "probe:INC-20261121-001".to_owned();
        store
            .commit(WriteBatch {
                effects: vec![Effect::PostTracked {
                    incident: incident(),
                    key: key.clone(),
                    body: body(ProbeState::Running),
                }],
                ..WriteBatch::default()
            })
            .unwrap();
        assert_eq!(store.outbox_depth(), 1, "the post is an outbox item");
        assert_eq!(store.dirty_tracked().unwrap(), vec![]);
        let done = ProbeState::Refused {
            refusal: crate::domain::probe::ProbeRefusal::NotAUrl,
        };
        for state in [ProbeState::Running, done.clone()] {
            store
                .commit(WriteBatch {
                    effects: vec![Effect::UpdateTracked {
                        incident: incident(),
                        key: key.clone(),
                        body: body(state),
                    }],
                    ..WriteBatch::default()
                })
                .unwrap();
        }
        assert_eq!(store.tracked(&key).unwrap().unwrap().body, body(done));
        let marks = store.dirty_tracked().unwrap();
        assert_eq!(marks.len(), 1, "two changes, one pending edit");
        assert_eq!(store.outbox_depth(), 2);
        let stale = DirtyTracked {
            key: key.clone(),
            token: marks[0].token.wrapping_add(1),
        };
        store.clear_dirty_tracked(&stale).unwrap();
        assert_eq!(
            store.dirty_tracked().unwrap().len(),
            1,
            "a newer mark stays"
        );
        store.clear_dirty_tracked(&marks[0]).unwrap();
        assert_eq!(store.dirty_tracked().unwrap(), vec![]);
        assert_eq!(store.outbox_depth(), 1);
    }

    #[test]
    fn posted_messages_map_back_and_only_the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let owner = |n: u32| MessageOwner {
            incident: Some(incident()),
            key: format!("outbox:{n}"),
        };
        for n in 1..=3 {
            store
                .record_message(&MessageId(format!("m{n}")), &owner(n))
                .unwrap();
        }
        // Recording the same message again (a redelivery) does not count twice.
        store
            .record_message(&MessageId("m3".into()), &owner(3))
            .unwrap();
        assert_eq!(
            store.message_owner(&MessageId("m2".into())).unwrap(),
            Some(owner(2))
        );
        for n in 4..=5 {
            store
                .write_message_owner_capped(&MessageId(format!("m{n}")), &owner(n), 3)
                .unwrap();
        }
        for (n, kept) in [(1, false), (2, false), (3, true), (4, true), (5, true)] {
            assert_eq!(
                store
                    .message_owner(&MessageId(format!("m{n}")))
                    .unwrap()
                    .is_some(),
                kept,
                "m{n}"
            );
        }
    }

    #[test]
    fn the_message_count_is_taken_again_after_the_store_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let owner = MessageOwner {
            incident: Some(incident()),
            key: "outbox:1".into(),
        };
        let record = |n: u32| {
            store
                .write_message_owner_capped(&MessageId(format!("m{n}")), &owner, 3)
                .unwrap()
        };
        record(1);
        record(2);
        // m2 is gone behind the count's back: what a re-open does to writes never flushed.
        store
            .shared
            .with(|open| {
                for item in open.messages.scan_prefix(ORDER_PREFIX) {
                    let (order, message) = item?;
                    if message.as_ref() == b"m:m2" {
                        open.messages.remove(order)?;
                        open.messages.remove(message)?;
                    }
                }
                Ok(())
            })
            .unwrap();
        store.flush_blocking().unwrap();
        let before = store.generation();
        store.shared.mark_failed(before, "test: re-open".into());
        for _ in 0..400 {
            if store.generation() != before && store.failure().is_none() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        assert_ne!(store.generation(), before, "the store re-opened");
        // Two kept (m1, m3, m4 would be three, within the cap): a count carried over from
        // before the re-open (two) would think m4 the fourth and forget m1.
        record(3);
        record(4);
        assert!(
            store
                .message_owner(&MessageId("m1".into()))
                .unwrap()
                .is_some(),
            "m1 was forgotten: the count was not taken again after the re-open"
        );
    }
}
