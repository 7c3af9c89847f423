//! Outbox lanes: which stored chat effects go when.
//!
//! Every room is a lane: an incident's items (its room, its card, its mentions and notices)
//! travel in one lane, in the order they were stored, and alerts that opened no incident
//! travel in the alerts room's lane. Lanes deliver independently and concurrently, at most
//! [`MAX_ITEM_LANES_IN_FLIGHT`] at once, inside the chat's global pacing: a lane that is
//! rate-limited or failing waits alone, on its own backoff, while the others go on. Card
//! edits run beside them (at most [`MAX_CARD_EDITS_IN_FLIGHT`]), each in its incident's lane,
//! so cards keep refreshing while other rooms are still being created. A chat that refuses
//! warroom itself (401, 403) pauses every lane; one lane at a time then probes it on a slow
//! schedule. A room that alone refuses warroom (its channel's permissions) is a lane failure.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use super::outbox::{DeliveryError, OutboxWorker, drop_undeliverable};
use crate::chat::ChatError;
use crate::domain::effect::Effect;
use crate::domain::ids::IncidentId;
use crate::health::ChatBlocked;
use crate::store::{DirtyCard, OutboxItem, StoreError};

/// Lanes delivering stored items at once. Room creation is serialised by the chat anyway;
/// this bounds the tasks and requests waiting on pacing.
pub const MAX_ITEM_LANES_IN_FLIGHT: usize = 8;
/// Card edits at once, beside the item lanes, so a burst of new rooms never starves the
/// cards of open incidents.
pub const MAX_CARD_EDITS_IN_FLIGHT: usize = 4;
/// A blocked chat is logged as an error at most this often, not on every probe.
pub const BLOCKED_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// How often the scheduler looks for due card edits when nothing wakes it.
const TICK: Duration = Duration::from_millis(250);
/// While the chat refuses warroom, pending pages are looked for this often: the pager is not
/// the chat, and a revoked bot token is exactly when pages must still go out.
const PAGES_WHILE_BLOCKED: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// While the chat refuses warroom (401, 403) one lane is retried as a probe, first after
/// this, then twice as long each time up to [`MAX_BACKOFF`]: slow enough that Discord does
/// not count warroom as a client hammering it with invalid requests.
const FIRST_BLOCKED_PROBE: Duration = Duration::from_secs(1);
/// How many pending items one pass reads. Lanes whose first item lies further back start
/// once earlier ones finish; a lane's items are never reordered by this.
const SCAN_LIMIT: usize = 1024;
/// Lanes remembered as failing (with their backoff) at most; expired ones go first.
const MAX_WAITING_LANES: usize = 4096;

/// Where an outbox item goes: an incident's room, the alerts room, people's direct
/// messages, the announcement room, or the pager. Each is its own lane, so a pager that is
/// down never holds back a room, nor a slow room a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    Alerts,
    Incident(IncidentId),
    Direct,
    Announce,
    Paging,
}

impl Lane {
    pub fn of(effect: &Effect) -> Lane {
        match effect {
            Effect::Direct { .. } => Lane::Direct,
            Effect::Announce { .. } => Lane::Announce,
            Effect::Page { .. } => Lane::Paging,
            other => other.incident().map_or(Lane::Alerts, Lane::Incident),
        }
    }
}

impl std::fmt::Display for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lane::Alerts => f.write_str("alerts"),
            Lane::Incident(id) => write!(f, "{id}"),
            Lane::Direct => f.write_str("direct"),
            Lane::Announce => f.write_str("announce"),
            Lane::Paging => f.write_str("paging"),
        }
    }
}

/// The lanes to start now, each with its items in stored order: lanes in the order of their
/// oldest item, skipping lanes that are `busy` (in flight or waiting out a failure), at most
/// `slots` of them. Pure, so the ordering rules are tested without a chat.
pub fn plan(
    items: Vec<OutboxItem>,
    busy: impl Fn(Lane) -> bool,
    slots: usize,
) -> Vec<(Lane, Vec<OutboxItem>)> {
    let mut planned: Vec<(Lane, Vec<OutboxItem>)> = Vec::new();
    let mut index: HashMap<Lane, usize> = HashMap::new();
    for item in items {
        let lane = Lane::of(&item.effect);
        if let Some(at) = index.get(&lane) {
            planned[*at].1.push(item);
        } else if planned.len() < slots && !busy(lane) {
            index.insert(lane, planned.len());
            planned.push((lane, vec![item]));
        }
    }
    planned
}

impl OutboxWorker {
    /// Delivers until `shutdown`. Delivery may wait on pacing or a slow chat for long; a
    /// stop must not: in-flight lanes are abandoned, and since every item is idempotent the
    /// next start repairs whatever was half done.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let worker = Arc::new(self);
        let mut scheduler = Scheduler::default();
        loop {
            let now = Instant::now();
            if scheduler.paused_until.is_none_or(|until| until <= now) {
                scheduler.paused_until = None;
                if let Err(error) = scheduler.start(&worker, now) {
                    let wait = next_backoff(&mut scheduler.store_backoff);
                    warn!(%error, retry_in_ms = wait.as_millis() as u64, pending = worker.store.outbox_depth(), "The outbox cannot read the store; will retry.");
                    scheduler.paused_until = Some(now + wait);
                }
            }
            // Pages go their own way: found through their own index (never behind a chat
            // backlog), and not waiting for a chat that refuses warroom: their lane runs beside
            // the probe, and its outcome says nothing about the chat (see `finished`).
            if (scheduler.blocked || scheduler.paused_until.is_none())
                && let Err(error) = scheduler.start_pages(&worker, now)
            {
                warn!(%error, "The outbox cannot read the store for pending pages; will retry.");
            }
            metrics::gauge!("warroom_outbox_depth").set(worker.store.outbox_depth() as f64);
            metrics::gauge!("warroom_outbox_lanes_in_flight").set(scheduler.in_flight.len() as f64);
            let sleep = scheduler.next_wake(now);
            // A blocked chat is probed on its own slow schedule: new work does not wake it,
            // or every alert would send Discord one more request it refuses.
            let blocked = scheduler.blocked;
            tokio::select! {
                _ = shutdown.changed() => {
                    info!(pending = worker.store.outbox_depth(), "Outbox stopping; pending items resume on next start.");
                    return;
                }
                Some(joined) = scheduler.tasks.join_next_with_id(), if !scheduler.tasks.is_empty() => {
                    scheduler.finished(&worker, joined);
                }
                _ = worker.wake.notified(), if !blocked => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Delivers one lane's items in order, completing each; stops at the first failure that
    /// a retry could cure, leaving it and the rest of the lane pending.
    async fn deliver_lane(&self, items: Vec<OutboxItem>) -> LaneOutcome {
        let mut progressed = false;
        for item in items {
            // A request the chat calls invalid would fail the same way forever and block its
            // lane: dropped loudly. A chat that refuses warroom itself (Blocked) returns below
            // and loses nothing.
            let delivered = drop_undeliverable(
                self.deliver(item.key, &item.effect).await,
                &format_args!("outbox item {} {:?}", item.key, item.effect),
            );
            match delivered {
                // A page got through to the pager, which says nothing about the chat.
                Ok(()) if Lane::of(&item.effect) == Lane::Paging => {}
                Ok(()) => self.unblocked(),
                Err(error) => {
                    return LaneOutcome {
                        progressed,
                        result: Err(error),
                    };
                }
            }
            if let Err(error) = self.store.outbox_complete(item.key) {
                return LaneOutcome {
                    progressed,
                    result: Err(error.into()),
                };
            }
            progressed = true;
        }
        LaneOutcome {
            progressed,
            result: Ok(()),
        }
    }
}

/// How a lane task ended: whether it got anything through before `result` (which then says
/// why it stopped), so a lane that made progress starts its backoff afresh.
#[derive(Debug)]
struct LaneOutcome {
    progressed: bool,
    result: Result<(), DeliveryError>,
}

impl From<Result<(), DeliveryError>> for LaneOutcome {
    fn from(result: Result<(), DeliveryError>) -> Self {
        LaneOutcome {
            progressed: result.is_ok(),
            result,
        }
    }
}

/// What a lane task was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Items,
    Card(IncidentId),
    /// A tracked message's edit (see `engine::tracked`).
    Tracked,
}

/// A lane waiting out a failure, and the wait its next failure gets.
#[derive(Debug, Clone, Copy)]
struct LaneWait {
    until: Instant,
    backoff: Duration,
    /// When the room's refusal (403 in this room) was last logged as an error: at most once
    /// per [`BLOCKED_LOG_INTERVAL`], like the chat-wide block.
    forbidden_logged: Option<Instant>,
}

/// The scheduler's state; every map is bounded by the lanes in flight, the lanes failing
/// recently, or the cards edited within one interval.
#[derive(Debug)]
struct Scheduler {
    tasks: JoinSet<LaneOutcome>,
    in_flight: HashMap<Id, (Lane, Work)>,
    waits: HashMap<Lane, LaneWait>,
    last_edit: HashMap<IncidentId, Instant>,
    /// Nothing starts before this (a blocked chat's next probe, an unreadable store).
    paused_until: Option<Instant>,
    blocked: bool,
    blocked_probe: Duration,
    blocked_logged: Option<Instant>,
    store_backoff: Duration,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            tasks: JoinSet::new(),
            in_flight: HashMap::new(),
            waits: HashMap::new(),
            last_edit: HashMap::new(),
            paused_until: None,
            blocked: false,
            blocked_probe: FIRST_BLOCKED_PROBE,
            blocked_logged: None,
            store_backoff: FIRST_BACKOFF,
        }
    }
}

fn next_backoff(backoff: &mut Duration) -> Duration {
    let wait = *backoff;
    *backoff = (wait * 2).min(MAX_BACKOFF);
    wait
}

impl Scheduler {
    fn lanes_in_flight(&self) -> HashSet<Lane> {
        self.in_flight.values().map(|(lane, _)| *lane).collect()
    }

    fn count(&self, work: fn(&Work) -> bool) -> usize {
        self.in_flight.values().filter(|(_, w)| work(w)).count()
    }

    /// Starts the lanes that may go now: items first, then due card edits. While the chat
    /// is blocked only one lane runs, as the probe.
    fn start(&mut self, worker: &Arc<OutboxWorker>, now: Instant) -> Result<(), StoreError> {
        let in_flight = self.lanes_in_flight();
        let waits = &self.waits;
        // Pages go their own way (`start_pages`); so, while the chat is blocked, the probe is
        // always a chat delivery.
        let busy = |lane: Lane| {
            lane == Lane::Paging
                || in_flight.contains(&lane)
                || waits.get(&lane).is_some_and(|wait| wait.until > now)
        };
        let item_slots = if self.blocked {
            1usize.saturating_sub(self.in_flight.len())
        } else {
            MAX_ITEM_LANES_IN_FLIGHT.saturating_sub(self.count(|w| *w == Work::Items))
        };
        let mut started: HashSet<Lane> = HashSet::new();
        if item_slots > 0 {
            let items = worker.store.outbox_pending(SCAN_LIMIT)?;
            for (lane, items) in plan(items, busy, item_slots) {
                let task_worker = worker.clone();
                let handle = self
                    .tasks
                    .spawn(async move { task_worker.deliver_lane(items).await });
                self.in_flight.insert(handle.id(), (lane, Work::Items));
                started.insert(lane);
            }
        }
        let card_slots = if self.blocked {
            1usize.saturating_sub(self.in_flight.len())
        } else {
            MAX_CARD_EDITS_IN_FLIGHT
                .saturating_sub(self.count(|w| matches!(w, Work::Card(_) | Work::Tracked)))
        };
        if card_slots == 0 {
            return Ok(());
        }
        // Only edits within the interval still hold a card back: forget older ones, so the
        // map stays as small as the cards edited in the last interval.
        let interval = worker.card_edit_interval;
        self.last_edit
            .retain(|_, at| now.duration_since(*at) < interval);
        let mut slots = card_slots;
        for card in worker.store.dirty_cards()? {
            if slots == 0 {
                break;
            }
            let lane = Lane::Incident(card.incident);
            if busy(lane) || started.contains(&lane) || self.last_edit.contains_key(&card.incident)
            {
                continue;
            }
            let Some(reference) = worker.card_reference(card)? else {
                continue;
            };
            let task_worker = worker.clone();
            let handle = self
                .tasks
                .spawn(async move { task_worker.edit_card(card, &reference).await.into() });
            self.in_flight
                .insert(handle.id(), (lane, Work::Card(card.incident)));
            started.insert(lane);
            slots -= 1;
        }
        // Tracked messages (probe results, later approvals) share the edit slots, each in
        // its incident's lane, so one rate-limited room never holds up another's edits.
        for mark in worker.store.dirty_tracked()? {
            if slots == 0 {
                break;
            }
            // A mark without a body belongs to a message that can never exist: cleared.
            let Some(tracked) = worker.store.tracked(&mark.key)? else {
                worker.store.clear_dirty_tracked(&mark)?;
                continue;
            };
            let lane = Lane::Incident(tracked.incident);
            if busy(lane) || started.contains(&lane) {
                continue;
            }
            let task_worker = worker.clone();
            let handle = self
                .tasks
                .spawn(async move { task_worker.refresh_one_tracked(mark, tracked).await.into() });
            self.in_flight.insert(handle.id(), (lane, Work::Tracked));
            started.insert(lane);
            slots -= 1;
        }
        Ok(())
    }

    /// Starts the pager's lane with the pending pages, unless it is running or waiting out a
    /// failure of its own.
    fn start_pages(&mut self, worker: &Arc<OutboxWorker>, now: Instant) -> Result<(), StoreError> {
        let busy = self
            .in_flight
            .values()
            .any(|(lane, _)| *lane == Lane::Paging)
            || self
                .waits
                .get(&Lane::Paging)
                .is_some_and(|wait| wait.until > now);
        if busy {
            return Ok(());
        }
        let pages = worker.store.outbox_pending_pages(SCAN_LIMIT)?;
        if pages.is_empty() {
            return Ok(());
        }
        let task_worker = worker.clone();
        let handle = self
            .tasks
            .spawn(async move { task_worker.deliver_lane(pages).await });
        self.in_flight
            .insert(handle.id(), (Lane::Paging, Work::Items));
        Ok(())
    }

    /// When the loop must look again even if nothing wakes it.
    fn next_wake(&self, now: Instant) -> Duration {
        let mut wake = TICK;
        if let Some(until) = self.paused_until {
            wake = wake.max(until.saturating_duration_since(now));
            if self.blocked {
                wake = wake.min(PAGES_WHILE_BLOCKED);
            }
            return wake;
        }
        for wait in self.waits.values() {
            let left = wait.until.saturating_duration_since(now);
            if !left.is_zero() {
                wake = wake.min(left);
            }
        }
        wake
    }

    fn finished(&mut self, worker: &OutboxWorker, joined: Result<(Id, LaneOutcome), JoinError>) {
        let (id, outcome) = match joined {
            Ok((id, outcome)) => (id, outcome),
            // A lane task never panics by design; if one does, its items stay pending and its
            // lane waits its backoff, so a panic is not retried on every tick.
            Err(error) => {
                error!(%error, "An outbox lane stopped unexpectedly; its items stay pending.");
                if let Some((lane, _)) = self.in_flight.remove(&error.id()) {
                    self.lane_failed(lane, Instant::now(), None);
                }
                return;
            }
        };
        let Some((lane, work)) = self.in_flight.remove(&id) else {
            return;
        };
        let now = Instant::now();
        if outcome.progressed {
            // Something got through: the lane's next failure starts from the first backoff.
            self.waits.remove(&lane);
        }
        let result = outcome.result;
        // The pager is not the chat: its outcome neither ends nor starts a chat pause.
        if lane == Lane::Paging {
            match result {
                Ok(()) => {
                    self.waits.remove(&lane);
                }
                Err(error) => {
                    let wait = self.lane_failed(lane, now, None);
                    warn!(%error, retry_in_ms = wait.as_millis() as u64, "A page could not be delivered; the pager's lane will retry.");
                }
            }
            return;
        }
        // Only a delivery ends a pause for a chat that refuses warroom: a 5xx or a timeout
        // says nothing about the token or its permissions.
        if result.is_ok() {
            self.blocked = false;
            self.blocked_probe = FIRST_BLOCKED_PROBE;
            self.blocked_logged = None;
        } else if self.blocked
            && !matches!(result, Err(DeliveryError::Chat(ChatError::Blocked { .. })))
        {
            // An inconclusive probe: the next one follows the slow schedule.
            self.paused_until = Some(now + next_backoff(&mut self.blocked_probe));
        }
        match result {
            Ok(()) => {
                worker.unblocked();
                self.waits.remove(&lane);
                self.store_backoff = FIRST_BACKOFF;
                if let Work::Card(incident) = work {
                    self.last_edit.insert(incident, now);
                }
            }
            Err(DeliveryError::Chat(ChatError::Blocked { reason, detail })) => {
                let new = worker.health.set_chat_blocked(ChatBlocked {
                    reason,
                    detail: detail.clone(),
                });
                // Lanes that were in flight when the chat began refusing report it too; one
                // refusal sets the next probe, the others must not push it further out.
                let pending_probe = self
                    .paused_until
                    .filter(|until| self.blocked && *until > now);
                let retry_in = match pending_probe {
                    Some(until) => until.duration_since(now),
                    None => next_backoff(&mut self.blocked_probe),
                };
                if new
                    || self
                        .blocked_logged
                        .is_none_or(|at| at.elapsed() >= BLOCKED_LOG_INTERVAL)
                {
                    error!(
                        reason = reason.as_str(),
                        %detail,
                        pending = worker.store.outbox_depth(),
                        retry_in_ms = retry_in.as_millis() as u64,
                        "The chat refuses warroom; delivery is paused and nothing is dropped. Check the bot token and its permissions."
                    );
                    metrics::counter!("warroom_chat_blocked_errors_logged_total", "reason" => reason.as_str()).increment(1);
                    self.blocked_logged = Some(now);
                }
                self.blocked = true;
                self.paused_until = Some(now + retry_in);
            }
            Err(DeliveryError::Store(error)) => {
                let wait = next_backoff(&mut self.store_backoff);
                warn!(%error, %lane, retry_in_ms = wait.as_millis() as u64, "The outbox cannot read the store; will retry.");
                self.paused_until = Some(now + wait);
            }
            // One room refuses warroom (its channel's permissions changed): a failure of
            // that lane alone, on its own backoff; readiness and the other rooms are unmoved.
            Err(DeliveryError::Chat(ChatError::RoomForbidden { room, detail })) => {
                let wait = self.lane_failed(lane, now, None);
                metrics::counter!("warroom_chat_room_forbidden_total").increment(1);
                if self.forbidden_log_due(lane, now) {
                    error!(
                        %lane,
                        %room,
                        %detail,
                        retry_in_ms = wait.as_millis() as u64,
                        "The chat refuses warroom in this room; its items wait and nothing is dropped, the other rooms go on. Give the bot View Channel, Send Messages, Embed Links and Read Message History in that channel (check its permission overwrites)."
                    );
                } else {
                    debug!(%lane, %room, retry_in_ms = wait.as_millis() as u64, "The room still refuses warroom.");
                }
            }
            Err(DeliveryError::Chat(ChatError::RateLimited { retry_after })) => {
                let wait = self.lane_failed(lane, now, retry_after);
                warn!(%lane, retry_in_ms = wait.as_millis() as u64, "Chat rate limit hit; this room waits, the others go on.");
            }
            Err(error) => {
                let wait = self.lane_failed(lane, now, None);
                warn!(%error, %lane, retry_in_ms = wait.as_millis() as u64, "Chat delivery failed; this room will retry.");
            }
        }
    }

    /// Whether a room's refusal is due to be logged as an error again (and notes it is).
    fn forbidden_log_due(&mut self, lane: Lane, now: Instant) -> bool {
        let Some(state) = self.waits.get_mut(&lane) else {
            return true;
        };
        let due = state
            .forbidden_logged
            .is_none_or(|at| now.duration_since(at) >= BLOCKED_LOG_INTERVAL);
        if due {
            state.forbidden_logged = Some(now);
        }
        due
    }

    /// Holds `lane` for `told` (what the chat said) or its own doubling backoff.
    fn lane_failed(&mut self, lane: Lane, now: Instant, told: Option<Duration>) -> Duration {
        if self.waits.len() >= MAX_WAITING_LANES {
            self.waits.retain(|_, wait| wait.until > now);
        }
        let mut state = self.waits.get(&lane).copied().unwrap_or(LaneWait {
            until: now,
            backoff: FIRST_BACKOFF,
            forbidden_logged: None,
        });
        // A wait the chat named is not a failure of the lane's own guessing: its backoff
        // moves on only when it had to guess.
        let wait = match told {
            Some(told) => told,
            None => next_backoff(&mut state.backoff),
        }
        .min(MAX_BACKOFF);
        state.until = now + wait;
        self.waits.insert(lane, state);
        wait
    }
}

impl OutboxWorker {
    /// The posted card's reference for a dirty mark, or `None` when there is nothing to edit
    /// yet: the mark waits for the card, unless there will never be one.
    fn card_reference(&self, card: DirtyCard) -> Result<Option<String>, StoreError> {
        let reference = self
            .store
            .chat_ref(&super::outbox::card_key(card.incident))?;
        if reference.is_none() && self.store.incident(card.incident)?.is_none() {
            self.store.clear_dirty_card(card)?;
        }
        Ok(reference)
    }
}

#[cfg(test)]
mod tests;
