//! The event streams (Server-Sent Events): `/incidents/events` for the list and
//! `/incidents/{id}/events` for a war room. Each event has an `id:`; a reconnect with
//! `Last-Event-ID` gets exactly what it missed, a first connection only new events.
//!
//! A stream reads the [`LiveFeed`](crate::live::LiveFeed) from its own place, so a slow
//! browser holds nothing back for the others and costs one small task; fragments are
//! rendered for the stream's viewer (their language) with the templates the pages use. A
//! stream holds one of `web.streams`' slots while it is open and ends when the feed closes
//! (shutdown) or the viewer's session has ended.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tracing::{debug, warn};

use crate::chat::console::room_visible_to;
use crate::domain::ids::IncidentId;
use crate::http::AppState;
use crate::live::{LiveChange, LiveEvent, Resume};
use crate::web::{Viewer, Web, WebError, WebRoutes, pages, timeline, web_of};

/// How often an idle stream sends a comment, so proxies and browsers keep it open and a
/// dead connection is noticed (its write fails) and its slot freed. The server learns of a
/// closed tab only by writing to it, and the first write after the close still succeeds,
/// so a left page holds its slot for up to two intervals: short, so someone clicking
/// between the list and war rooms does not run out of places.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);
/// How long a browser waits before reconnecting a dropped stream (the `retry:` field).
pub const RECONNECT_DELAY: Duration = Duration::from_secs(2);
/// How many events a stream takes from the feed at once: a reconnect that missed many
/// renders them in steps instead of holding them all.
const EVENTS_PER_READ: usize = 64;
/// How many incidents a stream remembers the last sent fragment of; past it the oldest is
/// forgotten, and its next change is sent whatever it looks like.
pub const SENT_FRAGMENTS_REMEMBERED: usize = 1024;

/// The comment a keep-alive sends (no Fluent message: browsers never show comments).
const KEEP_ALIVE_COMMENT: &str = "keep-alive";

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.streams = routes
        .streams
        .route("/incidents/events", get(list_events))
        .route("/incidents/{id}/events", get(room_events));
    routes
}

/// `?after=<event id>`: the page's `data-after`, where a first connection resumes.
#[derive(Debug, Deserialize)]
struct ResumeQuery {
    after: Option<String>,
}

async fn list_events(
    viewer: Viewer,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ResumeQuery>,
) -> Result<Response, WebError> {
    open_stream(state, viewer, &headers, query.after, Scope::List)
}

async fn room_events(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<ResumeQuery>,
) -> Result<Response, WebError> {
    let incident = IncidentId::parse(&id).map_err(|_| {
        WebError::not_found(format!(
            "no incident {id}: incident ids look like INC-20261121-001"
        ))
    })?;
    open_stream(state, viewer, &headers, query.after, Scope::Room(incident))
}

/// What a stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Every incident's new state (`event: incident`), for the list page.
    List,
    /// One incident's card (`event: card`) and the messages of its room (`event: message`).
    Room(IncidentId),
}

impl Scope {
    fn wants(&self, event: &LiveEvent) -> bool {
        match (self, &event.change) {
            (Scope::List, LiveChange::Incident { .. }) => true,
            (Scope::List, LiveChange::Message { .. }) => false,
            (Scope::Room(id), change) => {
                event.incident.as_ref() == Some(id)
                    && match change {
                        LiveChange::Incident { .. } => true,
                        // A direct room belongs to no incident; refused here all the same,
                        // as a stream is shared by no one but it is not its owner's either.
                        LiveChange::Message { room, .. } => room_visible_to(room, None),
                    }
            }
        }
    }
}

fn open_stream(
    state: AppState,
    viewer: Viewer,
    headers: &HeaderMap,
    after: Option<String>,
    scope: Scope,
) -> Result<Response, WebError> {
    let web = web_of(&state)?.clone();
    let session_slot = SessionSlot::take(&web, &viewer.session_id).ok_or_else(|| {
        WebError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "this session has {MAX_STREAMS_PER_SESSION} live pages open already; close one \
                 and the others stay live"
            ),
        )
    })?;
    let permit = web.streams.clone().try_acquire_owned().map_err(|_| {
        WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many open event streams; the page retries shortly",
        )
    })?;
    // Subscribed before the starting point is read: nothing published after it is missed.
    let ticks = web.live.subscribe();
    let resume_from = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .or_else(|| after.filter(|id| !id.trim().is_empty()));
    let mut pending = VecDeque::new();
    pending.push_back(Event::default().comment("connected").retry(RECONNECT_DELAY));
    let cursor = match resume_from.as_deref().map(|id| web.live.resume(id)) {
        None => web.live.last_seq(),
        Some(Resume::After(seq)) => seq,
        Some(Resume::Gap) => {
            let last = web.live.last_seq();
            pending.push_back(reset_event(&web, last));
            last
        }
    };
    debug!(
        user = %viewer.person.id.0,
        stream = ?scope,
        resumed = resume_from.is_some(),
        "An event stream opened."
    );
    let stream = LiveStream {
        state,
        web,
        viewer,
        scope,
        cursor,
        ticks,
        pending,
        sent: SentFragments::new(SENT_FRAGMENTS_REMEMBERED),
        _slot: permit,
        _session_slot: session_slot,
    };
    let events = futures_util::stream::unfold(stream, |mut stream| async move {
        let event = stream.next_event().await?;
        Some((Ok::<Event, Infallible>(event), stream))
    });
    let mut response = Sse::new(events)
        .keep_alive(
            KeepAlive::new()
                .interval(KEEP_ALIVE_INTERVAL)
                .text(KEEP_ALIVE_COMMENT),
        )
        .into_response();
    // Proxies such as nginx buffer responses unless told not to; a buffered stream is not live.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// `event: reset`: the stream cannot give what was missed (too old, or from before a
/// restart), so the page reloads. Its id is the feed's newest, where the stream goes on.
fn reset_event(web: &Web, last: u64) -> Event {
    Event::default()
        .id(web.live.event_id(last))
        .event("reset")
        .data("{}")
}

/// One open stream: where it has read the feed up to and the events ready to send.
struct LiveStream {
    state: AppState,
    web: Arc<Web>,
    viewer: Viewer,
    scope: Scope,
    /// The feed's sequence number this stream has read up to.
    cursor: u64,
    ticks: watch::Receiver<u64>,
    pending: VecDeque<Event>,
    /// What the page already shows of each incident (its row or its card), from this stream:
    /// a change it would show the same is not sent. Seeded with nothing, so the first
    /// change of each incident is always sent (the page may be older than the stream).
    sent: SentFragments,
    /// Freed when the stream is dropped: the browser went away or the stream ended.
    _slot: OwnedSemaphorePermit,
    _session_slot: SessionSlot,
}

/// At most this many event streams per session: a person's tabs (the list and a few war
/// rooms, and the pages just left, whose streams linger up to two keep-alives) fit, and one
/// session (one token) cannot take every slot from everyone else.
pub const MAX_STREAMS_PER_SESSION: usize = 16;

/// One of a session's stream places, given back when the stream ends.
struct SessionSlot {
    web: Arc<Web>,
    session: String,
}

impl SessionSlot {
    fn take(web: &Arc<Web>, session: &str) -> Option<SessionSlot> {
        let mut open = lock_session_streams(web);
        let count = open.entry(session.to_owned()).or_insert(0);
        if *count >= MAX_STREAMS_PER_SESSION {
            return None;
        }
        *count += 1;
        Some(SessionSlot {
            web: web.clone(),
            session: session.to_owned(),
        })
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut open = lock_session_streams(&self.web);
        if let Some(count) = open.get_mut(&self.session) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.session);
            }
        }
    }
}

fn lock_session_streams(
    web: &Web,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
    // A count map, whole after every statement: a panic elsewhere cannot half-write it.
    web.session_streams
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LiveStream {
    /// The next event to send; `None` ends the stream.
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            // Marked seen before reading the feed: a publish after this wakes `changed`.
            if *self.ticks.borrow_and_update() == u64::MAX {
                debug!(stream = ?self.scope, "The live feed closed; ending an event stream.");
                return None;
            }
            if self
                .web
                .sessions
                .get(&self.viewer.session_id, self.web.clock.now())
                .is_none()
            {
                debug!(stream = ?self.scope, "The session ended; ending its event stream.");
                return None;
            }
            let scope = &self.scope;
            match self
                .web
                .live
                .after(self.cursor, EVENTS_PER_READ, |event| scope.wants(event))
            {
                Ok(batch) => {
                    self.cursor = batch.through;
                    for event in &batch.events {
                        if let Some(rendered) = self.render(event) {
                            self.pending.push_back(rendered);
                        }
                    }
                    if !self.pending.is_empty() {
                        continue;
                    }
                }
                Err(_) => {
                    // Fell behind the ring while waiting: the page reloads instead.
                    let last = self.web.live.last_seq();
                    self.cursor = last;
                    self.pending.push_back(reset_event(&self.web, last));
                    continue;
                }
            }
            if self.ticks.changed().await.is_err() {
                return None;
            }
        }
    }

    /// The event as this stream's viewer sees it; `None` when it would show nothing new
    /// (an incident's row or card as last sent), or (logged) when a fragment cannot be
    /// rendered, so one broken template does not end everyone's stream.
    fn render(&mut self, event: &LiveEvent) -> Option<Event> {
        let rendered = match (&self.scope, &event.change) {
            (Scope::List, LiveChange::Incident { incident }) => {
                pages::incident_row_html(&self.state, &self.viewer, incident).map(|html| {
                    let shown = fragment_digest(&[&html]);
                    (
                        "incident",
                        serde_json::json!({
                            "id": incident.id.to_string(),
                            "state": incident.state.as_str(),
                            "severity": incident.severity.as_str(),
                            "html": html,
                        }),
                        Some((incident.id, shown)),
                    )
                })
            }
            (Scope::Room(_), LiveChange::Incident { incident }) => {
                pages::card_html(&self.state, &self.viewer, incident).and_then(|html| {
                    // The durations change with the milestones; sent with the card, which
                    // changes with them, so the page's durations are never older than its card.
                    let durations = timeline::durations_html(&self.state, &self.viewer, incident)?;
                    let shown = fragment_digest(&[&html, &durations]);
                    Ok((
                        "card",
                        serde_json::json!({
                            "id": incident.id.to_string(),
                            "state": incident.state.as_str(),
                            "severity": incident.severity.as_str(),
                            "html": html,
                            "durations": durations,
                        }),
                        Some((incident.id, shown)),
                    ))
                })
            }
            (
                Scope::Room(_),
                LiveChange::Message {
                    room,
                    message,
                    edited,
                },
            ) => pages::message_html(&self.state, &self.viewer, message).map(|html| {
                (
                    "message",
                    serde_json::json!({
                        "id": message.id,
                        "room": room,
                        "author": message.author,
                        "text": message.text,
                        "edited": edited,
                        "html": html,
                    }),
                    None,
                )
            }),
            (Scope::List, LiveChange::Message { .. }) => return None,
        };
        match rendered {
            Ok((_, _, Some((incident, shown)))) if !self.sent.record(incident, shown) => {
                debug!(seq = event.seq, %incident, "A live change shows nothing new; not sent.");
                None
            }
            Ok((name, data, _)) => Some(
                Event::default()
                    .id(self.web.live.event_id(event.seq))
                    .event(name)
                    .data(data.to_string()),
            ),
            Err(error) => {
                warn!(
                    seq = event.seq,
                    status = %error.status,
                    error = %error.message,
                    "A live event could not be rendered; the stream skips it."
                );
                None
            }
        }
    }
}

/// A digest of what a fragment shows: streams remember eight bytes per incident, not the
/// html. Two different fragments with one digest (one chance in 2^64) would skip one update,
/// which the next change or a reload repairs.
fn fragment_digest(parts: &[&str]) -> u64 {
    // SipHash with fixed keys: the same html gives the same digest for the stream's life.
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// The digest of the fragment last sent per incident, for at most `capacity` incidents: the
/// first remembered is the first forgotten.
#[derive(Debug)]
struct SentFragments {
    capacity: usize,
    last: HashMap<IncidentId, u64>,
    /// The remembered incidents, first remembered first.
    order: VecDeque<IncidentId>,
}

impl SentFragments {
    fn new(capacity: usize) -> SentFragments {
        SentFragments {
            capacity: capacity.max(1),
            last: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Remembers `shown` as what `incident` last looked like; whether it differs from what
    /// was remembered (true for an incident not remembered), that is whether to send it.
    fn record(&mut self, incident: IncidentId, shown: u64) -> bool {
        match self.last.insert(incident, shown) {
            Some(previous) => previous != shown,
            None => {
                if self.order.len() >= self.capacity
                    && let Some(oldest) = self.order.pop_front()
                {
                    self.last.remove(&oldest);
                }
                self.order.push_back(incident);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::{NaiveDate, TimeZone, Utc};

    use crate::chat::console::ConsoleMessage;

    fn incident(sequence: u32) -> IncidentId {
        IncidentId::new(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), sequence)
    }

    fn message_in(room: &str, incident: Option<IncidentId>) -> LiveEvent {
        LiveEvent {
            seq: 1,
            incident,
            change: LiveChange::Message {
                room: room.to_owned(),
                message: Box::new(ConsoleMessage {
                    id: "m1".to_owned(),
                    room: room.to_owned(),
                    author: "warroom".to_owned(),
                    text: "hello".to_owned(),
                    fields: Vec::new(),
                    buttons: Vec::new(),
                    pinned: false,
                    created_at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap(),
                    edited_at: None,
                    reactions: Default::default(),
                }),
                edited: false,
            },
        }
    }

    #[test]
    fn a_room_stream_wants_its_incidents_messages_only_and_the_list_no_messages() {
        let first = Scope::Room(incident(1));
        let table = [
            (
                message_in("inc-20261121-001", Some(incident(1))),
                true,
                false,
            ),
            (
                message_in("inc-20261121-002", Some(incident(2))),
                false,
                false,
            ),
            (message_in("general", None), false, false),
            (message_in("dm-alice", None), false, false),
            // A direct room never reaches a room stream, even if tied to the incident.
            (message_in("dm-alice", Some(incident(1))), false, false),
        ];
        for (event, room_wants, list_wants) in table {
            assert_eq!(first.wants(&event), room_wants, "{event:?}");
            assert_eq!(Scope::List.wants(&event), list_wants, "{event:?}");
        }
    }

    #[test]
    fn sent_fragments_send_a_change_only_when_it_differs_and_forget_the_oldest_past_capacity() {
        let mut sent = SentFragments::new(2);
        // (incident, digest, sent?)
        let table = [
            (1, 10, true),  // Never sent: sent.
            (1, 10, false), // As last sent.
            (1, 11, true),  // Changed.
            (1, 10, true),  // Changed back: the page shows 11.
            (2, 10, true),  // Another incident's first.
            (2, 10, false),
            (3, 30, true), // A third: incident 1, the first remembered, is forgotten.
            (2, 10, false),
            (1, 10, true), // Forgotten: sent again; now 2 is the oldest and goes.
            (3, 30, false),
            (2, 10, true),
        ];
        for (step, (number, shown, expected)) in table.into_iter().enumerate() {
            assert_eq!(
                sent.record(incident(number), shown),
                expected,
                "step {step}: incident {number} digest {shown}"
            );
            assert!(sent.last.len() <= 2 && sent.order.len() <= 2, "step {step}");
        }
    }

    #[test]
    fn fragment_digests_tell_fragments_and_their_parts_apart() {
        assert_eq!(
            fragment_digest(&["<tr>a</tr>"]),
            fragment_digest(&["<tr>a</tr>"])
        );
        assert_ne!(
            fragment_digest(&["<tr>a</tr>"]),
            fragment_digest(&["<tr>b</tr>"])
        );
        assert_ne!(fragment_digest(&["ab", "c"]), fragment_digest(&["a", "bc"]));
    }
}
