//! The live feed: every change the web console shows, in order, for its event streams.
//!
//! The engine publishes each incident's new state once its commit is durable; the console
//! chat publishes each message it stores (posted, edited or reacted to). Events carry a
//! sequence number; a bounded ring keeps the newest so a reconnecting page gets exactly what
//! it missed, and a page that missed more than the ring holds is told to reload.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::watch;

use crate::chat::console::ConsoleMessage;
use crate::domain::ids::IncidentId;
use crate::domain::incident::Incident;

/// How many events the ring keeps: at a busy hundred changes a second, forty seconds of
/// them, longer than a browser's reconnect takes.
pub const LIVE_FEED_CAPACITY: usize = 4096;

/// What changed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveChange {
    /// An incident's new state: opened, acknowledged, its severity or roles changed, …
    Incident { incident: Box<Incident> },
    /// A console message was stored: posted, or edited or reacted to (same id, new content).
    Message {
        room: String,
        message: Box<ConsoleMessage>,
        edited: bool,
    },
}

/// One change with its place in the feed.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub seq: u64,
    /// The incident the change belongs to (`None`: a room of no incident).
    pub incident: Option<IncidentId>,
    pub change: LiveChange,
}

/// Where a stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// After this sequence number (a `Last-Event-ID` this feed gave out, still in the ring).
    After(u64),
    /// Missed more than the ring holds, or the id is from before a restart: reload.
    Gap,
}

pub struct LiveFeed {
    /// Tells this process's ids from an earlier one's: sequence numbers restart with it.
    boot: String,
    capacity: usize,
    state: Mutex<FeedState>,
    /// The newest sequence number; streams wait on it. Sending `u64::MAX` closes them.
    tick: watch::Sender<u64>,
}

#[derive(Default)]
struct FeedState {
    events: VecDeque<LiveEvent>,
    last: u64,
}

impl std::fmt::Debug for LiveFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeed")
            .field("boot", &self.boot)
            .finish_non_exhaustive()
    }
}

impl Default for LiveFeed {
    fn default() -> LiveFeed {
        LiveFeed::new(LIVE_FEED_CAPACITY)
    }
}

impl LiveFeed {
    pub fn new(capacity: usize) -> LiveFeed {
        let boot = chrono::Utc::now().timestamp_millis().to_string();
        let (tick, _) = watch::channel(0);
        LiveFeed {
            boot,
            capacity: capacity.max(1),
            state: Mutex::new(FeedState::default()),
            tick,
        }
    }

    /// Adds a change; returns its sequence number.
    pub fn publish(&self, incident: Option<IncidentId>, change: LiveChange) -> u64 {
        let seq = {
            let mut state = self.lock();
            state.last += 1;
            let seq = state.last;
            if state.events.len() >= self.capacity {
                state.events.pop_front();
            }
            state.events.push_back(LiveEvent {
                seq,
                incident,
                change,
            });
            seq
        };
        self.tick.send_if_modified(|last| {
            if *last == u64::MAX {
                return false;
            }
            *last = seq;
            true
        });
        seq
    }

    /// The `id:` of the event numbered `seq`.
    pub fn event_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.boot)
    }

    /// The newest sequence number: a stream that starts now starts after it.
    pub fn last_seq(&self) -> u64 {
        self.lock().last
    }

    /// Where a stream resumes from the `Last-Event-ID` (or `?after=`) it was given.
    pub fn resume(&self, last_event_id: &str) -> Resume {
        let Some((boot, seq)) = last_event_id.trim().rsplit_once('-') else {
            return Resume::Gap;
        };
        let Ok(seq) = seq.parse::<u64>() else {
            return Resume::Gap;
        };
        if boot != self.boot {
            return Resume::Gap;
        }
        let state = self.lock();
        let oldest = state
            .events
            .front()
            .map_or(state.last + 1, |event| event.seq);
        // Everything after `seq` must still be in the ring (or not yet happened).
        if seq > state.last || seq + 1 < oldest {
            Resume::Gap
        } else {
            Resume::After(seq)
        }
    }

    /// Up to `limit` events after `seq` that `wanted` keeps, oldest first; `Err(Gap)` when
    /// some of them have left the ring.
    pub fn after(
        &self,
        seq: u64,
        limit: usize,
        wanted: impl Fn(&LiveEvent) -> bool,
    ) -> Result<Vec<LiveEvent>, Resume> {
        let state = self.lock();
        let oldest = state
            .events
            .front()
            .map_or(state.last + 1, |event| event.seq);
        if seq + 1 < oldest {
            return Err(Resume::Gap);
        }
        let start = state.events.partition_point(|event| event.seq <= seq);
        Ok(state
            .events
            .range(start..)
            .filter(|event| wanted(event))
            .take(limit)
            .cloned()
            .collect())
    }

    /// Wakes when something is published; reads `u64::MAX` once the feed is closed.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tick.subscribe()
    }

    /// Ends every stream (shutdown): they must not hold the server open.
    pub fn close(&self) {
        self.tick.send_replace(u64::MAX);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
        // The state is a ring and a counter, consistent after every statement: a panic
        // elsewhere while holding the lock cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
