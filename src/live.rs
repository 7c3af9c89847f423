//! The live feed: every change the web console shows, in order, for its event streams.
//!
//! The engine publishes each incident's new state once its commit is durable; the console
//! chat publishes each message it stores (posted, edited or reacted to). Events carry a
//! sequence number; a bounded ring keeps the newest so a reconnecting page gets exactly what
//! it missed, and a page that missed more than the ring holds is told to reload.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Events after a point that a stream wants, and how far the feed was read for them.
#[derive(Debug, Clone)]
pub struct LiveBatch {
    pub events: Vec<LiveEvent>,
    /// The sequence number read up to: the next batch starts after it. Past the last event
    /// returned when the events in between were not wanted, so they are not read again.
    pub through: u64,
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
        // The start time tells a restarted process from the last one; the count tells apart
        // two feeds of one process started in the same millisecond (tests start many).
        static FEEDS_STARTED: AtomicU64 = AtomicU64::new(0);
        let boot = format!(
            "{}x{}",
            chrono::Utc::now().timestamp_millis(),
            FEEDS_STARTED.fetch_add(1, Ordering::Relaxed)
        );
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

    /// Up to `limit` events after `seq` that `wanted` keeps, oldest first, and how far the
    /// feed was read for them; `Err(Gap)` when some events after `seq` have left the ring.
    /// `wanted` runs under the feed's lock: it must only look at the event.
    pub fn after(
        &self,
        seq: u64,
        limit: usize,
        wanted: impl Fn(&LiveEvent) -> bool,
    ) -> Result<LiveBatch, Resume> {
        let limit = limit.max(1);
        let state = self.lock();
        let oldest = state
            .events
            .front()
            .map_or(state.last + 1, |event| event.seq);
        if seq + 1 < oldest {
            return Err(Resume::Gap);
        }
        let start = state.events.partition_point(|event| event.seq <= seq);
        let mut events = Vec::new();
        let mut through = seq.max(state.last);
        for event in state.events.range(start..) {
            if events.len() >= limit {
                // Full: the next batch starts at this event.
                through = event.seq - 1;
                break;
            }
            if wanted(event) {
                events.push(event.clone());
            }
        }
        Ok(LiveBatch { events, through })
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

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::{NaiveDate, TimeZone, Utc};

    fn message(room: &str, id: &str) -> LiveChange {
        LiveChange::Message {
            room: room.to_owned(),
            message: Box::new(ConsoleMessage {
                id: id.to_owned(),
                room: room.to_owned(),
                author: "warroom".to_owned(),
                text: format!("text of {id}"),
                fields: Vec::new(),
                buttons: Vec::new(),
                pinned: false,
                created_at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap(),
                edited_at: None,
                reactions: Default::default(),
            }),
            edited: false,
        }
    }

    fn incident(sequence: u32) -> IncidentId {
        IncidentId::new(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), sequence)
    }

    /// A feed holding `capacity` events with `published` published, messages m1, m2, ….
    fn feed(capacity: usize, published: u64) -> LiveFeed {
        let feed = LiveFeed::new(capacity);
        for number in 1..=published {
            let incident = incident(if number % 2 == 0 { 2 } else { 1 });
            feed.publish(Some(incident), message("room", &format!("m{number}")));
        }
        feed
    }

    fn seqs(batch: &LiveBatch) -> Vec<u64> {
        batch.events.iter().map(|event| event.seq).collect()
    }

    #[test]
    fn resume_accepts_only_this_feeds_ids_whose_followers_are_all_still_held() {
        let feed = feed(4, 6); // Holds 3..=6.
        let other = LiveFeed::new(4);
        let table = [
            (feed.event_id(6), Resume::After(6)),
            (feed.event_id(2), Resume::After(2)),
            (feed.event_id(1), Resume::Gap),
            (feed.event_id(0), Resume::Gap),
            (feed.event_id(7), Resume::Gap),
            (format!(" {} ", feed.event_id(5)), Resume::After(5)),
            (other.event_id(5), Resume::Gap),
            ("".to_owned(), Resume::Gap),
            ("garbage".to_owned(), Resume::Gap),
            (format!("{}-x", feed.event_id(5)), Resume::Gap),
            ("-5".to_owned(), Resume::Gap),
        ];
        for (id, expected) in table {
            assert_eq!(feed.resume(&id), expected, "{id:?}");
        }
        assert_ne!(feed.event_id(1), other.event_id(1));
    }

    #[test]
    fn an_empty_feed_resumes_only_from_its_start() {
        let feed = LiveFeed::new(4);
        assert_eq!(feed.resume(&feed.event_id(0)), Resume::After(0));
        assert_eq!(feed.resume(&feed.event_id(1)), Resume::Gap);
        assert_eq!(feed.last_seq(), 0);
    }

    #[test]
    fn after_returns_the_wanted_events_in_order_and_reads_past_the_unwanted() {
        let feed = feed(16, 7);
        let only_first = |event: &LiveEvent| event.incident == Some(incident(1));
        let table: [(u64, usize, Vec<u64>, u64); 6] = [
            (0, 10, vec![1, 3, 5, 7], 7),
            (3, 10, vec![5, 7], 7),
            (7, 10, vec![], 7),
            (0, 2, vec![1, 3], 3),
            (3, 1, vec![5], 5),
            // The last event, after an unwanted one.
            (6, 1, vec![7], 7),
        ];
        for (after, limit, expected, through) in table {
            let batch = feed.after(after, limit, only_first).unwrap();
            assert_eq!(seqs(&batch), expected, "after {after} limit {limit}");
            assert_eq!(batch.through, through, "after {after} limit {limit}");
        }
        let none_wanted = feed.after(2, 1, |_| false).unwrap();
        assert!(none_wanted.events.is_empty());
        assert_eq!(none_wanted.through, 7);
    }

    #[test]
    fn after_reports_a_gap_once_the_ring_dropped_what_follows() {
        let feed = feed(3, 5); // Holds 3..=5.
        assert!(matches!(feed.after(1, 10, |_| true), Err(Resume::Gap)));
        assert_eq!(seqs(&feed.after(2, 10, |_| true).unwrap()), vec![3, 4, 5]);
    }

    #[test]
    fn close_wakes_subscribers_for_good_and_later_publishing_keeps_it_closed() {
        let feed = feed(4, 1);
        let mut subscriber = feed.subscribe();
        assert_eq!(*subscriber.borrow_and_update(), 1);
        feed.publish(None, message("general", "m2"));
        assert!(subscriber.has_changed().unwrap());
        assert_eq!(*subscriber.borrow_and_update(), 2);
        feed.close();
        assert_eq!(*subscriber.borrow_and_update(), u64::MAX);
        assert_eq!(feed.publish(None, message("general", "m3")), 3);
        assert!(!subscriber.has_changed().unwrap());
        assert_eq!(*feed.subscribe().borrow(), u64::MAX);
    }
}
