//! The open sled database and what happens when it fails.
//!
//! sled 0.34 applies a transaction in memory before it is flushed, and after one IO error
//! (`No space left on device`, a failed `fdatasync`) it stays in an error state for good. So a
//! failure marks the store failed at once — every read and write is refused, nothing applied
//! only in memory is served as committed — and a recovery thread drops the database and opens
//! it again from disk, which brings back exactly what was durably flushed. The engine notices
//! the new [`Shared::generation`] and reloads its caches.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::store::{SCHEMA_VERSION, StoreError};

/// The first wait before re-opening, doubled after every failed attempt up to the maximum.
const FIRST_REOPEN_WAIT: Duration = Duration::from_millis(100);
const MAX_REOPEN_WAIT: Duration = Duration::from_secs(5);

/// One opened sled database and its trees.
pub(crate) struct Open {
    pub db: sled::Db,
    pub incidents: sled::Tree,
    pub alerts: sled::Tree,
    pub timeline: sled::Tree,
    pub outbox: sled::Tree,
    pub dirty_cards: sled::Tree,
    pub meta: sled::Tree,
    pub chat: sled::Tree,
    /// Deadlines by due time, and their logical keys (see `store/deadlines.rs`).
    pub deadlines: sled::Tree,
    /// Queued and running jobs (see `store::jobs`).
    pub jobs: sled::Tree,
    /// Tracked messages' bodies and dirty marks (see `store::jobs`).
    pub tracked: sled::Tree,
    /// Which posted chat message belongs to what (see `store::jobs`).
    pub messages: sled::Tree,
    /// Action requests and services' last scales (see `store::actions`).
    pub actions: sled::Tree,
    /// Incidents' tasks (see `store::time`).
    pub tasks: sled::Tree,
    /// `/oncall override`s (see `store::time`).
    pub overrides: sled::Tree,
    /// sled's log file. sled 0.34 ends a flush with `sync_file_range`, which survives a
    /// process crash but neither flushes the disk's write cache nor the file's size; an
    /// `fdatasync` on it after each flush makes a flush survive a power cut too.
    pub log_file: std::fs::File,
    /// One past the highest outbox key committed, and one past the highest known flushed:
    /// the outbox delivers only keys below `outbox_flushed_below`, so nothing reaches the
    /// chat that a failed flush could still take back. Everything on disk at open is durable.
    pub outbox_committed_below: AtomicU64,
    pub outbox_flushed_below: AtomicU64,
}

impl Open {
    fn from_disk(dir: &Path, cache_capacity: u64) -> Result<Open, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity)
            // Durability comes from explicit group-commit flushes, not a timer.
            .flush_every_ms(None)
            // Alert storms are write-heavy; trade some disk space for fewer rewrites.
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let log_file =
            std::fs::File::open(dir.join("db")).map_err(|error| StoreError::Corrupt {
                key: format!("{}/db", dir.display()),
                reason: format!("cannot open sled's log file to sync it: {error}"),
            })?;
        let outbox_below = match db.open_tree("outbox")?.last()? {
            Some((key, _)) => key
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .map_or(u64::MAX, |last| last.saturating_add(1)),
            None => 0,
        };
        let open = Open {
            log_file,
            outbox_committed_below: AtomicU64::new(outbox_below),
            outbox_flushed_below: AtomicU64::new(outbox_below),
            incidents: db.open_tree("incidents")?,
            alerts: db.open_tree("alerts")?,
            timeline: db.open_tree("timeline")?,
            outbox: db.open_tree("outbox")?,
            dirty_cards: db.open_tree("dirty_cards")?,
            meta: db.open_tree("meta")?,
            chat: db.open_tree("chat")?,
            deadlines: db.open_tree("deadlines")?,
            jobs: db.open_tree("jobs")?,
            tracked: db.open_tree("tracked")?,
            messages: db.open_tree("messages")?,
            actions: db.open_tree("actions")?,
            tasks: db.open_tree("tasks")?,
            overrides: db.open_tree("overrides")?,
            db,
        };
        open.check_schema()?;
        Ok(open)
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

    /// Pending outbox items plus dirty cards, counted once: afterwards the count is kept up
    /// to date on every change, because sled's `len()` walks the whole tree.
    fn scan_depth(&self) -> i64 {
        (self.outbox.len()
            + self.dirty_cards.len()
            + self
                .tracked
                .scan_prefix(crate::store::jobs::DIRTY_PREFIX)
                .count()) as i64
    }
}

/// What every clone of the store shares.
pub(crate) struct Shared {
    dir: PathBuf,
    cache_capacity: u64,
    open: RwLock<Option<Open>>,
    /// Set at the first failure; cleared only by a successful re-open.
    failed: AtomicBool,
    /// Why the store failed. A leaf lock: nothing else is taken while it is held.
    failure: Mutex<Option<(String, Instant)>>,
    /// Bumped by every re-open, so callers can tell their earlier writes are gone.
    generation: AtomicU64,
    recovering: AtomicBool,
    /// Outbox items plus dirty cards.
    pub depth: AtomicI64,
}

impl Shared {
    pub fn open(dir: &Path, cache_capacity: u64) -> Result<Arc<Shared>, StoreError> {
        let open = Open::from_disk(dir, cache_capacity)?;
        Ok(Arc::new(Shared {
            dir: dir.to_owned(),
            cache_capacity,
            depth: AtomicI64::new(open.scan_depth()),
            open: RwLock::new(Some(open)),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            generation: AtomicU64::new(0),
            recovering: AtomicBool::new(false),
        }))
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn failure(&self) -> Option<String> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        self.failure_reason()
    }

    fn failure_reason(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .map(|(reason, _)| reason.clone())
    }

    fn read(&self) -> RwLockReadGuard<'_, Option<Open>> {
        self.open
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the open database, unless the store has failed; a storage error from `f`
    /// fails the store.
    pub fn with<T>(
        self: &Arc<Self>,
        f: impl FnOnce(&Open) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let generation = self.generation();
        let result = {
            let guard = self.read();
            match guard.as_ref() {
                Some(open) if !self.failed.load(Ordering::Acquire) => f(open),
                _ => Err(self.unavailable()),
            }
        };
        if let Err(error) = &result
            && fails_the_store(error)
        {
            self.mark_failed(generation, error.to_string());
        }
        result
    }

    fn unavailable(&self) -> StoreError {
        StoreError::Unavailable(
            self.failure_reason()
                .unwrap_or_else(|| "the store is re-opening".to_owned()),
        )
    }

    /// Fails the store (once per generation: an error from before a re-open says nothing
    /// about the new database) and starts the recovery thread.
    pub fn mark_failed(self: &Arc<Self>, generation: u64, reason: String) {
        let mut failure = self
            .failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if generation != self.generation() {
            return;
        }
        if failure.is_none() {
            error!(%reason, "The store failed; reads and writes are refused until it re-opens.");
            metrics::gauge!("warroom_store_failed").set(1.0);
            *failure = Some((reason, Instant::now()));
        }
        self.failed.store(true, Ordering::Release);
        if !self.recovering.swap(true, Ordering::AcqRel) {
            let shared = self.clone();
            let spawned = std::thread::Builder::new()
                .name("warroom-store-recovery".to_owned())
                .spawn(move || shared.recover());
            if let Err(error) = spawned {
                error!(%error, "Cannot start the store recovery thread; restart warroom.");
                self.recovering.store(false, Ordering::Release);
            }
        }
    }

    /// Drops the failed database and opens it again from disk, with backoff, until it opens.
    fn recover(self: Arc<Self>) {
        // sled does no more IO once it has seen an error, so dropping it writes nothing that
        // was only in memory; the write lock waits for reads under way to finish.
        let failed = self
            .open
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        drop(failed);
        let mut wait = FIRST_REOPEN_WAIT;
        let mut attempts: u64 = 0;
        loop {
            std::thread::sleep(wait);
            attempts += 1;
            match Open::from_disk(&self.dir, self.cache_capacity) {
                Ok(open) => {
                    self.depth.store(open.scan_depth(), Ordering::Release);
                    let mut guard = self
                        .open
                        .write()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    *guard = Some(open);
                    let mut failure = self
                        .failure
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    self.generation.fetch_add(1, Ordering::AcqRel);
                    let down = failure.take().map(|(_, since)| since.elapsed());
                    self.failed.store(false, Ordering::Release);
                    self.recovering.store(false, Ordering::Release);
                    drop(failure);
                    drop(guard);
                    metrics::gauge!("warroom_store_failed").set(0.0);
                    metrics::counter!("warroom_store_reopened_total").increment(1);
                    info!(
                        attempts,
                        down_ms = down.map(|d| d.as_millis() as u64),
                        "The store re-opened from disk; reads and writes resume."
                    );
                    return;
                }
                Err(error) => {
                    warn!(attempts, %error, retry_in_ms = wait.as_millis() as u64, "The store cannot re-open yet.");
                    wait = (wait * 2).min(MAX_REOPEN_WAIT);
                }
            }
        }
    }
}

/// Storage and sync errors leave sled unusable; a bad record or an encoding problem does not.
fn fails_the_store(error: &StoreError) -> bool {
    matches!(error, StoreError::Sled(_) | StoreError::Sync(_))
}
