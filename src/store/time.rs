//! The `tasks` and `overrides` trees.
//!
//! - `tasks`: incident key (8 bytes, big-endian) + task number (4 bytes, big-endian) → the
//!   task, so one incident's tasks are one ordered range and the next number is the last
//!   key's plus one. At most `domain::task::MAX_TASKS_PER_INCIDENT` per incident.
//! - `overrides`: role word + `\0` + start (ms since the epoch, 8 bytes, big-endian) → the
//!   `/oncall override`. The engine removes an override once it has ended.
//!
//! Written only in the engine's commit transaction, with the timeline entries that name them.

use serde::{Deserialize, Serialize};

use crate::domain::ids::IncidentId;
use crate::domain::rotation::Override;
use crate::domain::task::{MAX_TASKS_PER_INCIDENT, Task};
use crate::store::StoreError;
use crate::store::codec::{decode, encode, incident_key};
use crate::store::recovery::Open;

/// The most overrides kept: far more than any team sets, so a bug or a flood cannot grow
/// the tree without bound (the engine refuses new ones beyond it).
pub const MAX_OVERRIDES: usize = 1_000;

/// A change to the `overrides` tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverrideWrite {
    /// Records the override, replacing one of the same role and start.
    Set(Override),
    /// Removes the override of this role and start (it ended).
    Remove(Override),
}

pub(crate) fn task_key(incident: IncidentId, task: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&incident_key(incident));
    key[8..].copy_from_slice(&task.to_be_bytes());
    key
}

pub(crate) fn override_key(entry: &Override) -> Vec<u8> {
    let mut key = entry.role.as_str().as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&entry.from.timestamp_millis().to_be_bytes());
    key
}

/// A key and its value to put (`Some`) or remove (`None`).
pub(crate) type PreparedWrite = (Vec<u8>, Option<Vec<u8>>);

/// Task writes encoded for the transaction (whose closure may run again).
pub(crate) fn prepare_tasks(tasks: &[Task]) -> Result<Vec<PreparedWrite>, StoreError> {
    tasks
        .iter()
        .map(|task| {
            Ok((
                task_key(task.incident, task.id.0).to_vec(),
                Some(encode(task)?),
            ))
        })
        .collect()
}

/// Override writes encoded for the transaction.
pub(crate) fn prepare_overrides(
    writes: &[OverrideWrite],
) -> Result<Vec<PreparedWrite>, StoreError> {
    writes
        .iter()
        .map(|write| {
            Ok(match write {
                OverrideWrite::Set(entry) => (override_key(entry), Some(encode(entry)?)),
                OverrideWrite::Remove(entry) => (override_key(entry), None),
            })
        })
        .collect()
}

/// One incident's tasks in id order (at most [`MAX_TASKS_PER_INCIDENT`]).
pub(crate) fn read_tasks(open: &Open, incident: IncidentId) -> Result<Vec<Task>, StoreError> {
    let start = task_key(incident, 0);
    let end = task_key(incident, u32::MAX);
    let mut out = Vec::new();
    for item in open.tasks.range(start..=end).take(MAX_TASKS_PER_INCIDENT) {
        let (key, value) = item?;
        out.push(decode(&key, &value)?);
    }
    Ok(out)
}

/// Every stored override (at most [`MAX_OVERRIDES`]), by role and start.
pub(crate) fn read_overrides(open: &Open) -> Result<Vec<Override>, StoreError> {
    let mut out = Vec::new();
    for item in open.overrides.iter().take(MAX_OVERRIDES) {
        let (key, value) = item?;
        out.push(decode(&key, &value)?);
    }
    Ok(out)
}
