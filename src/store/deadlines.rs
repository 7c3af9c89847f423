//! The `deadlines` tree: the deadlines by due time, and an index by logical key.
//!
//! Two key spaces in one tree (so the commit transaction spans one more tree, not two):
//! `d` + (due time, unique sequence), both big-endian, holds the deadlines, so the earliest
//! is the first `d` key and a scan up to `now` yields the due ones in due order; `k` + the
//! logical key (`ack_reminder:INC-…`) holds the `d` key of that deadline, so it can be
//! replaced or cancelled by name. Both change only inside the engine's commit transaction,
//! together with whatever caused the change, so a cancelled deadline never fires. The one
//! exception is a `d` record that cannot be decoded: the engine's scan of due deadlines
//! removes it (see [`due`]), since it can never fire and would otherwise be read forever.

use chrono::{DateTime, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::domain::deadline::{Deadline, DeadlineChange};
use crate::store::StoreError;
use crate::store::codec::{decode, encode};

/// The prefix of a deadline, keyed by due time.
const DUE: u8 = b'd';
/// The prefix of the index from logical key to due key.
const BY_KEY: u8 = b'k';

/// A deadline change encoded outside the transaction, whose closure may run again.
pub(crate) enum PreparedChange {
    Set {
        logical: Vec<u8>,
        key: [u8; 17],
        value: Vec<u8>,
    },
    Cancel {
        logical: Vec<u8>,
    },
}

/// Encodes `changes`; `next_id` hands out the unique sequence that orders equal due times.
pub(crate) fn prepare(
    changes: &[DeadlineChange],
    mut next_id: impl FnMut() -> Result<u64, StoreError>,
) -> Result<Vec<PreparedChange>, StoreError> {
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        out.push(match change {
            DeadlineChange::Set(deadline) => PreparedChange::Set {
                logical: index_key(&deadline.key),
                key: deadline_key(deadline.due, next_id()?),
                value: encode(deadline)?,
            },
            DeadlineChange::Cancel { key } => PreparedChange::Cancel {
                logical: index_key(key),
            },
        });
    }
    Ok(out)
}

/// Applies the changes inside the commit transaction, in order: a later change to the same
/// logical key sees the earlier one (the transaction reads its own writes).
pub(crate) fn apply(
    changes: &[PreparedChange],
    deadlines: &TransactionalTree,
) -> Result<(), ConflictableTransactionError<()>> {
    for change in changes {
        match change {
            PreparedChange::Set {
                logical,
                key,
                value,
            } => {
                if let Some(previous) = deadlines.insert(logical.as_slice(), &key[..])? {
                    deadlines.remove(previous)?;
                }
                deadlines.insert(&key[..], value.as_slice())?;
            }
            PreparedChange::Cancel { logical } => {
                if let Some(previous) = deadlines.remove(logical.as_slice())? {
                    deadlines.remove(previous)?;
                }
            }
        }
    }
    Ok(())
}

/// Deadlines due at `now`, earliest first, at most `limit`. A record that cannot be decoded
/// (torn or hand-edited) would otherwise stop every deadline behind it for good: it is logged,
/// removed, and the scan goes on. (It never fires; what set it re-arms it on its next change.)
pub(crate) fn due(
    deadlines: &sled::Tree,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Deadline>, StoreError> {
    let start = [DUE];
    let end = deadline_key(now, u64::MAX);
    let mut out = Vec::new();
    for item in deadlines.range(&start[..]..=&end[..]) {
        if out.len() >= limit {
            break;
        }
        let (key, value) = item?;
        match decode(&key, &value) {
            Ok(deadline) => out.push(deadline),
            Err(error) => {
                tracing::error!(%error, due = ?due_of_key(&key), "A deadline record cannot be read; it is removed and never fires.");
                deadlines.remove(&key)?;
            }
        }
    }
    Ok(out)
}

/// The deadline set under the logical `key`, if there is one.
pub(crate) fn by_key(deadlines: &sled::Tree, key: &str) -> Result<Option<Deadline>, StoreError> {
    let Some(due_key) = deadlines.get(index_key(key))? else {
        return Ok(None);
    };
    deadlines
        .get(&due_key)?
        .map(|bytes| decode(&due_key, &bytes))
        .transpose()
}

/// When the earliest deadline is due; `None` when there is none. Read from the first key
/// alone, never its value, so a record that cannot be decoded does not hide the due time.
pub(crate) fn earliest(deadlines: &sled::Tree) -> Result<Option<DateTime<Utc>>, StoreError> {
    match deadlines.scan_prefix([DUE]).next().transpose()? {
        None => Ok(None),
        Some((key, _)) => due_of_key(&key)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt {
                key: format!("deadlines/{key:?}"),
                reason: "not a deadline key".to_owned(),
            }),
    }
}

/// The due time a deadline key holds (the inverse of [`deadline_key`]).
fn due_of_key(key: &[u8]) -> Option<DateTime<Utc>> {
    let bytes: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    let millis = (u64::from_be_bytes(bytes) ^ (1 << 63)) as i64;
    DateTime::from_timestamp_millis(millis)
}

/// `d`, then the due time in milliseconds with the sign bit flipped (so times before 1970
/// still sort first), then the sequence, both big-endian.
fn deadline_key(due: DateTime<Utc>, sequence: u64) -> [u8; 17] {
    let millis = due.timestamp_millis() as u64 ^ (1 << 63);
    let mut key = [0u8; 17];
    key[0] = DUE;
    key[1..9].copy_from_slice(&millis.to_be_bytes());
    key[9..].copy_from_slice(&sequence.to_be_bytes());
    key
}

fn index_key(logical: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + logical.len());
    key.push(BY_KEY);
    key.extend_from_slice(logical.as_bytes());
    key
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::deadline::{DeadlineKind, ack_reminder_key};
    use crate::domain::ids::IncidentId;
    use crate::store::{SledStore, Store, WriteBatch};

    fn reminder(incident: &str, due: DateTime<Utc>, sent: u32) -> DeadlineChange {
        let incident = IncidentId::parse(incident).unwrap();
        DeadlineChange::Set(Deadline {
            key: ack_reminder_key(incident),
            due,
            kind: DeadlineKind::AckReminder { incident, sent },
        })
    }

    fn changes(deadlines: Vec<DeadlineChange>) -> WriteBatch {
        WriteBatch {
            deadlines,
            ..WriteBatch::default()
        }
    }

    #[test]
    fn an_undecodable_deadline_is_skipped_and_removed_and_hides_neither_its_due_time_nor_later_ones()
     {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let at: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        store
            .commit(changes(vec![
                reminder("INC-20261121-001", at, 0),
                reminder("INC-20261121-002", at + Duration::minutes(1), 0),
            ]))
            .unwrap();
        // The first record is garbled (a torn write, a hand edit).
        let tree = store
            .shared
            .with(|open| Ok(open.deadlines.clone()))
            .unwrap();
        let (first, _) = tree.scan_prefix([DUE]).next().unwrap().unwrap();
        tree.insert(&first, &br#"{"v":1,"data":{"garbled":true}}"#[..])
            .unwrap();
        assert_eq!(
            store.earliest_deadline().unwrap(),
            Some(at),
            "the due time comes from the key"
        );
        let due = store.deadlines_due(at + Duration::hours(1), 10).unwrap();
        let keys: Vec<&str> = due.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, vec!["ack_reminder:INC-20261121-002"]);
        assert_eq!(
            store.earliest_deadline().unwrap(),
            Some(at + Duration::minutes(1)),
            "the garbled record is gone"
        );
    }

    #[test]
    fn a_key_gives_back_its_due_time() {
        for at in ["2026-11-21T10:00:00.123Z", "1969-12-31T23:59:59Z"] {
            let at: DateTime<Utc> = at.parse().unwrap();
            assert_eq!(due_of_key(&deadline_key(at, 7)), Some(at));
        }
        assert_eq!(due_of_key(b"d"), None);
    }

    #[test]
    fn keys_sort_by_due_time_then_sequence() {
        let at: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        let before_1970: DateTime<Utc> = "1969-12-31T23:59:59Z".parse().unwrap();
        assert!(deadline_key(before_1970, 9) < deadline_key(at, 0));
        assert!(deadline_key(at, 1) < deadline_key(at, 2));
        assert!(deadline_key(at, u64::MAX) < deadline_key(at + Duration::milliseconds(1), 0));
    }

    #[test]
    fn deadlines_are_set_replaced_and_cancelled_by_key_and_come_due_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let at: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        assert_eq!(store.earliest_deadline().unwrap(), None);
        store
            .commit(changes(vec![
                reminder("INC-20261121-002", at + Duration::minutes(20), 0),
                reminder("INC-20261121-001", at + Duration::minutes(10), 0),
                reminder("INC-20261121-003", at + Duration::minutes(30), 0),
            ]))
            .unwrap();
        assert_eq!(
            store.earliest_deadline().unwrap(),
            Some(at + Duration::minutes(10))
        );
        // Replacing by key moves the deadline; cancelling removes it and its index entry.
        store
            .commit(changes(vec![
                reminder("INC-20261121-001", at + Duration::minutes(40), 1),
                DeadlineChange::Cancel {
                    key: ack_reminder_key(IncidentId::parse("INC-20261121-003").unwrap()),
                },
                // Cancelling what does not exist is a no-op.
                DeadlineChange::Cancel {
                    key: "ack_reminder:INC-20261121-009".to_owned(),
                },
            ]))
            .unwrap();
        let due = store.deadlines_due(at + Duration::hours(1), 10).unwrap();
        let keys: Vec<&str> = due.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "ack_reminder:INC-20261121-002",
                "ack_reminder:INC-20261121-001"
            ]
        );
        assert_eq!(
            due[1].kind,
            DeadlineKind::AckReminder {
                incident: IncidentId::parse("INC-20261121-001").unwrap(),
                sent: 1
            }
        );
        assert!(
            store
                .deadlines_due(at + Duration::minutes(19), 10)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .deadlines_due(at + Duration::hours(1), 1)
                .unwrap()
                .len(),
            1
        );
        // Set then cancelled in one batch: nothing is left, not even in the index.
        store
            .commit(changes(vec![
                reminder("INC-20261121-004", at, 0),
                DeadlineChange::Cancel {
                    key: "ack_reminder:INC-20261121-004".to_owned(),
                },
                DeadlineChange::Cancel {
                    key: "ack_reminder:INC-20261121-001".to_owned(),
                },
                DeadlineChange::Cancel {
                    key: "ack_reminder:INC-20261121-002".to_owned(),
                },
            ]))
            .unwrap();
        assert_eq!(store.earliest_deadline().unwrap(), None);
        // The index kept no stale entry: the key is set afresh and found again by it.
        store
            .commit(changes(vec![reminder("INC-20261121-001", at, 0)]))
            .unwrap();
        store
            .commit(changes(vec![reminder(
                "INC-20261121-001",
                at + Duration::minutes(5),
                1,
            )]))
            .unwrap();
        let due = store.deadlines_due(at + Duration::hours(1), 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].due, at + Duration::minutes(5));
    }
}
