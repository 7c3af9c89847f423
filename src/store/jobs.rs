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
/// The message map is checked against its cap once per this many posts, not on every one.
const PRUNE_EVERY: u64 = 1_000;

/// A change to the jobs tree, applied in the engine's commit transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum JobWrite {
    /// A new job; the store gives it its id.
    Create { job: NewJob, at: DateTime<Utc> },
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
        let value = encode(owner)?;
        let posts = self
            .message_posts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.shared.with(|open| {
            let key = format!("{MESSAGE_PREFIX}{}", message.0);
            if open
                .messages
                .insert(key.as_bytes(), value.as_slice())?
                .is_none()
            {
                let mut order = ORDER_PREFIX.to_vec();
                order.extend_from_slice(&open.db.generate_id()?.to_be_bytes());
                open.messages.insert(order, key.as_bytes())?;
            }
            if posts % PRUNE_EVERY == 0 {
                prune_messages(open)?;
            }
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

/// Forgets the oldest messages beyond [`MAX_MESSAGES`].
fn prune_messages(open: &Open) -> Result<(), StoreError> {
    let count = open.messages.scan_prefix(ORDER_PREFIX).count();
    let excess = count.saturating_sub(MAX_MESSAGES);
    if excess == 0 {
        return Ok(());
    }
    let oldest: Vec<_> = open
        .messages
        .scan_prefix(ORDER_PREFIX)
        .take(excess)
        .collect::<Result<_, _>>()?;
    for (order, message_key) in oldest {
        open.messages.remove(message_key)?;
        open.messages.remove(order)?;
    }
    Ok(())
}
