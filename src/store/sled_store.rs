//! The sled backend.

use std::path::Path;

use async_trait::async_trait;
use chrono::NaiveDate;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::domain::alert::AlertIdentity;
use crate::domain::decide::StoredAlert;
use crate::domain::effect::Effect;
use crate::domain::ids::IncidentId;
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::timeline::TimelineEntry;
use crate::store::codec::{
    decode, encode, incident_from_key, incident_key, sequence_key, timeline_key, u64_from,
};
use crate::store::{DirtyCard, OutboxItem, SCHEMA_VERSION, Store, StoreError, WriteBatch};

#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    incidents: sled::Tree,
    alerts: sled::Tree,
    timeline: sled::Tree,
    outbox: sled::Tree,
    dirty_cards: sled::Tree,
    meta: sled::Tree,
    chat: sled::Tree,
    /// sled's log file. sled 0.34 ends a flush with `sync_file_range`, which survives a
    /// process crash but neither flushes the disk's write cache nor the file's size; an
    /// `fdatasync` on it after each flush makes a flush survive a power cut too.
    log_file: std::sync::Arc<std::fs::File>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (or creates) the store in `dir`. `cache_capacity` bounds sled's page cache.
    pub fn open(dir: &Path, cache_capacity: u64) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity)
            // Durability comes from explicit group-commit flushes, not a timer.
            .flush_every_ms(None)
            // Alert storms are write-heavy; trade some disk space for fewer rewrites.
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let log_file =
            std::sync::Arc::new(std::fs::File::open(dir.join("db")).map_err(|error| {
                StoreError::Corrupt {
                    key: format!("{}/db", dir.display()),
                    reason: format!("cannot open sled's log file to sync it: {error}"),
                }
            })?);
        let store = SledStore {
            log_file,
            incidents: db.open_tree("incidents")?,
            alerts: db.open_tree("alerts")?,
            timeline: db.open_tree("timeline")?,
            outbox: db.open_tree("outbox")?,
            dirty_cards: db.open_tree("dirty_cards")?,
            meta: db.open_tree("meta")?,
            chat: db.open_tree("chat")?,
            db,
        };
        store.check_schema()?;
        Ok(store)
    }

    /// A tree for an adapter's own bookkeeping (the console keeps its rooms here), in the
    /// same database so it shares flushes and crash recovery with the rest.
    pub fn adapter_tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(format!("adapter:{name}"))?)
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        match self.meta.get("schema_version")? {
            None => {
                self.meta
                    .insert("schema_version", SCHEMA_VERSION.to_string().as_bytes())?;
                Ok(())
            }
            Some(bytes) => {
                let found: u32 = std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .ok_or_else(|| StoreError::Corrupt {
                        key: "meta/schema_version".to_owned(),
                        reason: "not a number".to_owned(),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                Ok(())
            }
        }
    }

    fn alert_key(identity: &AlertIdentity) -> Vec<u8> {
        identity.to_string().into_bytes()
    }
}

/// One encoded write, prepared outside the transaction because its closure may run again.
struct Prepared {
    incidents: Vec<([u8; 8], Vec<u8>)>,
    alerts: Vec<(Vec<u8>, Vec<u8>)>,
    timeline: Vec<([u8; 16], Vec<u8>)>,
    outbox: Vec<Vec<u8>>,
    dirty: Vec<[u8; 8]>,
    sequences: Vec<(Vec<u8>, Vec<u8>)>,
}

#[async_trait]
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
            dirty: Vec::new(),
            sequences: Vec::new(),
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
                other => prepared.outbox.push(encode(other)?),
            }
        }
        for (date, sequence) in &batch.sequences {
            prepared
                .sequences
                .push((sequence_key(*date), sequence.to_be_bytes().to_vec()));
        }
        // Ids come from outside the transaction: sled's generator is monotonic across
        // restarts, which is all the outbox order needs.
        let mut outbox_ids = Vec::with_capacity(prepared.outbox.len());
        for _ in &prepared.outbox {
            outbox_ids.push(self.db.generate_id()?);
        }
        let dirty_token = if prepared.dirty.is_empty() {
            0
        } else {
            self.db.generate_id()?
        };
        let result: Result<(), TransactionError<()>> = (
            &self.incidents,
            &self.alerts,
            &self.timeline,
            &self.outbox,
            &self.dirty_cards,
            &self.meta,
        )
            .transaction(|(incidents, alerts, timeline, outbox, dirty, meta)| {
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
                for key in &prepared.dirty {
                    dirty.insert(&key[..], &dirty_token.to_be_bytes()[..])?;
                }
                for (key, value) in &prepared.sequences {
                    meta.insert(key.as_slice(), value.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Storage(error)) => Err(StoreError::Sled(error)),
            Err(TransactionError::Abort(())) => Err(StoreError::Encode(
                "transaction aborted without a reason".to_owned(),
            )),
        }
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        let file = self.log_file.clone();
        tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(|error| StoreError::Sync(error.to_string()))?
            .map_err(|error| StoreError::Sync(error.to_string()))
    }

    fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.log_file
            .sync_data()
            .map_err(|error| StoreError::Sync(error.to_string()))
    }

    fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        let key = incident_key(id);
        self.incidents
            .get(key)?
            .map(|bytes| decode(&key, &bytes))
            .transpose()
    }

    fn incidents(&self, state: Option<IncidentState>) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::new();
        for item in self.incidents.iter().rev() {
            let (key, value) = item?;
            let incident: Incident = decode(&key, &value)?;
            if state.is_none_or(|state| incident.state == state) {
                out.push(incident);
            }
        }
        Ok(out)
    }

    fn alert(&self, identity: &AlertIdentity) -> Result<Option<StoredAlert>, StoreError> {
        let key = Self::alert_key(identity);
        self.alerts
            .get(&key)?
            .map(|bytes| decode(&key, &bytes))
            .transpose()
    }

    fn timeline(
        &self,
        id: IncidentId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let start = timeline_key(id, after.saturating_add(1));
        let end = timeline_key(id, u64::MAX);
        let mut out = Vec::new();
        for item in self.timeline.range(start..=end).take(limit) {
            let (key, value) = item?;
            out.push(decode(&key, &value)?);
        }
        Ok(out)
    }

    fn last_sequence(&self, date: NaiveDate) -> Result<u32, StoreError> {
        let key = sequence_key(date);
        Ok(self
            .meta
            .get(&key)?
            .and_then(|bytes| Some(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)))
            .unwrap_or(0))
    }

    fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let mut out = Vec::new();
        for item in self.outbox.iter().take(limit) {
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
    }

    fn outbox_complete(&self, key: u64) -> Result<(), StoreError> {
        self.outbox.remove(key.to_be_bytes())?;
        Ok(())
    }

    fn outbox_depth(&self) -> usize {
        self.outbox.len() + self.dirty_cards.len()
    }

    fn dirty_cards(&self) -> Result<Vec<DirtyCard>, StoreError> {
        let mut out = Vec::new();
        for item in self.dirty_cards.iter() {
            let (key, value) = item?;
            if let (Some(incident), Some(token)) = (incident_from_key(&key), u64_from(&value)) {
                out.push(DirtyCard { incident, token });
            }
        }
        Ok(out)
    }

    fn clear_dirty_card(&self, card: DirtyCard) -> Result<(), StoreError> {
        let key = incident_key(card.incident);
        // A failed swap means a newer change marked the card again: leave that mark.
        let _ = self.dirty_cards.compare_and_swap(
            key,
            Some(&card.token.to_be_bytes()[..]),
            None as Option<&[u8]>,
        )?;
        Ok(())
    }

    fn chat_ref(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .chat
            .get(key)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    fn set_chat_ref(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.chat.insert(key, value.as_bytes())?;
        Ok(())
    }

    fn incidents_page(
        &self,
        state: Option<IncidentState>,
        before: Option<IncidentId>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        let scan = match before {
            Some(before) => self.incidents.range(..incident_key(before)),
            None => self.incidents.range::<&[u8], _>(..),
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
    }
}
