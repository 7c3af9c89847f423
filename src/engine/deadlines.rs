//! Durable deadlines in motion: the scheduler task that waits for the earliest one on the
//! [`Clock`] and sends the engine a `Due` request, and the engine's handling of it.
//!
//! The scheduler never reads the store: the engine tells it the earliest due time after
//! every commit that changed deadlines (and after each `Due` and each reload), through a
//! `watch` channel. The engine, not the scheduler, decides what is due: it reads the due
//! deadlines at its own `now`, skips any this group already changed (the stored copy is
//! outdated), asks the pure core what each means, and commits the result — reminder,
//! timeline entry, re-arm or removal — in the same transaction as everything else.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

use super::{Deferred, Engine, Event, Pending};
use crate::domain::deadline::DeadlineKind;
use crate::engine::clock::Clock;
use crate::store::StoreError;

/// How many due deadlines one `Due` request handles; the rest follow at once in the next.
const MAX_DUE_PER_STEP: usize = 64;

/// If the engine does not answer a `Due` with a new earliest time (its commit failed and
/// the store is re-opening), the scheduler asks again after this long.
const DUE_RETRY: Duration = Duration::from_secs(5);

/// The earliest due time, as the engine last published it.
pub(super) type Earliest = watch::Sender<Option<DateTime<Utc>>>;

/// Starts the scheduler. It holds the engine's queue weakly, so it never keeps the engine
/// running, and ends when the engine (the sender of `earliest`) is gone.
pub(super) fn spawn_scheduler(
    clock: Arc<dyn Clock>,
    earliest: watch::Receiver<Option<DateTime<Utc>>>,
    engine: mpsc::WeakSender<Event>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run_scheduler(clock, earliest, engine))
}

async fn run_scheduler(
    clock: Arc<dyn Clock>,
    mut earliest: watch::Receiver<Option<DateTime<Utc>>>,
    engine: mpsc::WeakSender<Event>,
) {
    loop {
        let next = *earliest.borrow_and_update();
        let Some(due) = next else {
            if earliest.changed().await.is_err() {
                break;
            }
            continue;
        };
        if clock.now() < due {
            tokio::select! {
                () = clock.sleep_until(due) => {}
                changed = earliest.changed() => if changed.is_err() { break; },
            }
            // Either way, look again: the earliest may have moved, and a clock may wake early.
            continue;
        }
        let Some(sender) = engine.upgrade() else {
            break;
        };
        if sender.send(Event::Due).await.is_err() {
            break;
        }
        drop(sender);
        debug!(%due, "Deadline due; the engine was told.");
        // The engine answers every `Due` by publishing the earliest time again after its
        // commit; until then the same deadline is not asked for twice.
        tokio::select! {
            changed = earliest.changed() => if changed.is_err() { break; },
            () = tokio::time::sleep(DUE_RETRY) => {}
        }
    }
    debug!("Deadline scheduler stopped.");
}

impl Engine {
    /// Handles a `Due` request: fires every deadline due at `now` that is still in force.
    pub(super) fn handle_due(&mut self, pending: &mut Pending, now: DateTime<Utc>) -> Deferred {
        // Whatever happens, the scheduler hears the earliest due time after this group.
        pending.deadlines_touched = true;
        if let Err(error) = self.fire_due(pending, now) {
            warn!(%error, "Due deadlines could not be read; they fire on the next try.");
        }
        if let Err(error) = self.keep_handoff_in_step(pending, now) {
            warn!(%error, "The on-call hand-off deadline could not be read; it is looked at on the next try.");
        }
        Box::new(|_| {})
    }

    fn fire_due(&mut self, pending: &mut Pending, now: DateTime<Utc>) -> Result<(), StoreError> {
        for deadline in self.store.deadlines_due(now, MAX_DUE_PER_STEP)? {
            // Set or cancelled earlier in this group: the stored copy is outdated, and the
            // new one (if any) is looked at after the commit.
            if pending
                .batch
                .deadlines
                .iter()
                .any(|change| change.key() == deadline.key)
            {
                continue;
            }
            match deadline.kind {
                // Stored by an earlier version: step one of the incident's escalation.
                DeadlineKind::AckReminder { .. } => {
                    self.legacy_ack_reminder_due(pending, &deadline, now)?;
                }
                DeadlineKind::ActionExpiry { incident, request } => {
                    self.action_expired(pending, &deadline.key, incident, request, now)?;
                }
                DeadlineKind::Escalation { .. } => self.escalation_due(pending, &deadline, now)?,
                DeadlineKind::TaskReminder { .. } => self.tasks_due(pending, &deadline, now)?,
                DeadlineKind::StatusUpdate { .. } => self.status_due(pending, &deadline, now)?,
                DeadlineKind::Handoff => self.handoff_due(pending, &deadline, now)?,
                // A cooldown only ends: while it existed, the command was refused.
                DeadlineKind::ActionCooldown { .. } => {
                    pending
                        .batch
                        .deadlines
                        .push(crate::domain::deadline::DeadlineChange::Cancel {
                            key: deadline.key.clone(),
                        });
                }
            }
        }
        Ok(())
    }

    /// Tells the scheduler when the earliest deadline is due. A read of the tree's first key,
    /// after a commit that changed deadlines. When the read fails (the store re-opening), the
    /// scheduler is told to come back after [`DUE_RETRY`]: its `Due` makes the engine read
    /// again, so a failed read never leaves the scheduler waiting for good.
    pub(super) fn publish_earliest(&self) {
        match self.store.earliest_deadline() {
            Ok(earliest) => {
                self.earliest.send_replace(earliest);
            }
            Err(error) => {
                let retry = self.clock.now()
                    + chrono::Duration::from_std(DUE_RETRY).unwrap_or(chrono::Duration::seconds(5));
                warn!(%error, %retry, "The earliest deadline cannot be read; deadlines are looked at again shortly.");
                self.earliest.send_replace(Some(retry));
            }
        }
    }
}
