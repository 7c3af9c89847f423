//! The web console's event streams (Server-Sent Events) as a browser's EventSource reads
//! them: signed in, every event with an id, a reconnect with `Last-Event-ID` (or the page's
//! `?after=`) getting exactly what it missed, a first connection only new events, `reset`
//! when the missed events are gone, a war room hearing only its own incident, slots, and an
//! end at shutdown and sign-out.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE};
use serde_json::Value;

use crate::status_updates::{wait_for_direct, wait_for_reminders};
use crate::support::web::WebSession;
use crate::support::{TestBot, am_alert};

const FIRST: &str = "INC-20261121-001";
const SECOND: &str = "INC-20261121-002";

/// How long one event may take to arrive: a bound for a busy machine, not a speed claim.
const EVENT_WAIT: Duration = Duration::from_secs(20);

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SseEvent {
    id: Option<String>,
    event: String,
    data: String,
}

impl SseEvent {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|error| panic!("{self:?}: {error}"))
    }
}

/// An open stream, parsed as EventSource does: `field: value` lines, a blank line ends an
/// event, `:` lines are comments, an event without data is not dispatched.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    async fn open(session: &WebSession, path: &str, last_event_id: Option<&str>) -> EventStream {
        let response = request(session, path, last_event_id).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event; `None` when the server ended the stream cleanly.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    event: "message".to_owned(),
                    data: String::new(),
                };
                let mut has_data = false;
                for line in block.lines().filter(|line| !line.starts_with(':')) {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => event.id = Some(value.to_owned()),
                        "event" => event.event = value.to_owned(),
                        "data" => {
                            if has_data {
                                event.data.push('\n');
                            }
                            event.data.push_str(value);
                            has_data = true;
                        }
                        _ => {}
                    }
                }
                if has_data {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(EVENT_WAIT, self.response.chunk())
                .await
                .expect("an event within the bound")
                .expect("the stream ends cleanly, not with an error");
            match chunk {
                Some(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }

    /// Events up to and including the first that `last` accepts.
    async fn until(&mut self, last: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
        let mut events = Vec::new();
        loop {
            let event = self.next().await.expect("the stream stays open");
            let done = last(&event);
            events.push(event);
            if done {
                return events;
            }
        }
    }
}

async fn request(
    session: &WebSession,
    path: &str,
    last_event_id: Option<&str>,
) -> reqwest::Response {
    let mut request = session
        .client
        .get(format!("{}{path}", session.base))
        .header(COOKIE, &session.cookie)
        .header(ACCEPT, "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    request.send().await.expect("request sent")
}

fn room_events(incident: &str) -> String {
    format!("/incidents/{incident}/events")
}

fn is_card(event: &SseEvent, state: &str) -> bool {
    event.event == "card" && event.json()["state"] == state
}

fn is_message_containing(event: &SseEvent, text: &str) -> bool {
    event.event == "message" && event.json()["text"].as_str().unwrap_or("").contains(text)
}

/// Opens `incident` with an alert of its own service (alerts of one service group into one).
async fn open_incident(bot: &TestBot, fingerprint: &str, incident: &str) -> String {
    let service = format!("service-{fingerprint}");
    bot.alert(
        "alertmanager",
        &am_alert(fingerprint, &service, "critical", "firing"),
    )
    .await;
    bot.room_of(incident).await
}

/// Waits until `incident`'s opening has reached the live feed. The chat shows the room and
/// the card before the outbox records them with the engine, and each record republishes the
/// incident: a stream opened before that hears the incident again. Once the store holds
/// both records, a request through the engine (a query) is answered only after the engine
/// published them, as it answers nothing before publishing every earlier change.
async fn settle(bot: &TestBot, incident: &str) {
    let mut recorded = false;
    for _ in 0..800 {
        let kinds = bot.timeline_kinds(incident).await;
        if kinds.iter().any(|kind| kind == "room_created")
            && kinds.iter().any(|kind| kind == "card_posted")
        {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(recorded, "{incident}: room and card never recorded");
    assert!(bot.slash("carol", "general", "/incident list").await.ok);
}

/// The card and durations a card event shows.
fn card_shown(event: &SseEvent) -> (Value, Value) {
    let data = event.json();
    (data["html"].clone(), data["durations"].clone())
}

/// `events` as they change a page that shows `shown_card`: a card event showing the card
/// the page has changes nothing (a resumed stream remembers no card it sent before, so it
/// sends the current one again).
fn changes(events: &[SseEvent], shown_card: &SseEvent) -> Vec<SseEvent> {
    let mut shown = card_shown(shown_card);
    events
        .iter()
        .filter(|event| {
            if event.event != "card" {
                return true;
            }
            let card = card_shown(event);
            let changed = card != shown;
            shown = card;
            changed
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn event_streams_need_a_signed_in_session() {
    let bot = TestBot::spawn().await;
    for path in ["/incidents/events".to_owned(), room_events(FIRST)] {
        let response = bot
            .client
            .get(format!("{}{path}", bot.base))
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let response = bot
            .client
            .get(format!("{}{path}", bot.base))
            .header(ACCEPT, "text/event-stream")
            .header(COOKIE, "warroom_session=not-a-session")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let session = bot.web_sign_in("alice").await;
    let response = request(&session, "/incidents/not-an-id/events", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_stream_sends_only_new_incidents_each_with_an_id_and_its_row() {
    let bot = TestBot::spawn().await;
    open_incident(&bot, "fp-1", FIRST).await;
    settle(&bot, FIRST).await;
    let session = bot.web_sign_in("bob").await;
    let mut stream = EventStream::open(&session, "/incidents/events", None).await;
    open_incident(&bot, "fp-2", SECOND).await;
    let first = stream.next().await.expect("an event");
    assert_eq!(first.event, "incident", "{first:?}");
    let data = first.json();
    // The first incident happened before the stream opened: a first connection skips it.
    assert_eq!(data["id"], SECOND, "{first:?}");
    assert_eq!(data["state"], "triggered");
    assert_eq!(data["severity"], "sev1");
    assert!(data["html"].as_str().unwrap().contains(SECOND), "{first:?}");
    assert!(first.id.as_deref().is_some_and(|id| !id.is_empty()));
    // An acknowledgement changes the row: the list hears it, with a later id.
    assert!(
        bot.slash("carol", &SECOND.to_ascii_lowercase(), "/incident ack")
            .await
            .ok
    );
    let acknowledged = stream
        .until(|event| event.json()["state"] == "acknowledged")
        .await;
    let ids: Vec<_> = std::iter::once(&first)
        .chain(&acknowledged)
        .map(|event| event.id.clone().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique, ids, "every event has its own id");
    assert!(
        acknowledged.iter().all(|event| event.event == "incident"),
        "the list hears no messages: {acknowledged:#?}"
    );
}

#[tokio::test]
async fn a_war_room_stream_carries_its_card_and_messages_and_no_other_room() {
    // A reminder every minute: the second goes to the duty managers (alice, bob) directly.
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[status_updates]\nsev1 = \"1m\"\n\
         [oncall]\ncommander = \"alice\"\n",
    )
    .await;
    let first_room = open_incident(&bot, "fp-1", FIRST).await;
    let second_room = open_incident(&bot, "fp-2", SECOND).await;
    let session = bot.web_sign_in("alice").await;
    let mut stream = EventStream::open(&session, &room_events(FIRST), None).await;

    // Elsewhere: the other incident's room, the general room and direct messages.
    assert!(bot.slash("carol", &second_room, "/incident ack").await.ok);
    bot.slash("carol", "general", "/incident list").await;
    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, FIRST, 1).await;
    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, FIRST, 2).await;
    wait_for_direct(&bot, "alice", "alice's direct message", |messages| {
        !messages.is_empty()
    })
    .await;
    // Here: an acknowledgement and a note.
    assert!(bot.slash("carol", &first_room, "/incident ack").await.ok);
    assert!(
        bot.slash("carol", &first_room, "/incident note checking the database")
            .await
            .ok
    );

    let events = stream
        .until(|event| is_message_containing(event, "checking the database"))
        .await;
    assert!(
        events.iter().any(|event| is_card(event, "acknowledged")),
        "{events:#?}"
    );
    for event in &events {
        let data = event.json();
        assert!(event.id.is_some(), "{event:?}");
        match event.event.as_str() {
            "card" => {
                assert_eq!(data["id"], FIRST, "{event:?}");
                assert!(data["html"].as_str().unwrap().contains(FIRST), "{event:?}");
            }
            "message" => {
                assert_eq!(data["room"], first_room.as_str(), "{event:?}");
                assert!(data["id"].as_str().unwrap().starts_with('m'), "{event:?}");
                assert!(data["author"].is_string() && data["edited"].is_boolean());
                assert!(data["html"].is_string(), "{event:?}");
            }
            other => panic!("unexpected event {other}: {event:?}"),
        }
    }
}

#[tokio::test]
async fn a_reconnect_gets_exactly_the_events_it_missed_by_last_event_id_or_after() {
    let bot = TestBot::spawn().await;
    let room = open_incident(&bot, "fp-1", FIRST).await;
    let session = bot.web_sign_in("alice").await;
    // The watcher stays connected throughout: what it hears is what the others missed.
    let mut watcher = EventStream::open(&session, &room_events(FIRST), None).await;
    let mut reader = EventStream::open(&session, &room_events(FIRST), None).await;

    assert!(bot.slash("carol", &room, "/incident ack").await.ok);
    let heard = reader.until(|event| is_card(event, "acknowledged")).await;
    let last_heard = heard.last().unwrap().id.clone().unwrap();
    drop(reader);

    // Missed while away: the ack's reply and card edit still to come, a note, a mitigation.
    assert!(
        bot.slash("carol", &room, "/incident note rolled back the deploy")
            .await
            .ok
    );
    assert!(bot.slash("bob", &room, "/incident mitigate").await.ok);
    assert!(
        bot.slash("carol", &room, "/incident note watching the error rate")
            .await
            .ok
    );
    let everything = watcher
        .until(|event| is_message_containing(event, "watching the error rate"))
        .await;
    let position = everything
        .iter()
        .position(|event| event.id.as_deref() == Some(last_heard.as_str()))
        .expect("the watcher heard the reader's last event");
    let missed = everything[position + 1..].to_vec();
    assert!(
        missed
            .iter()
            .any(|event| is_message_containing(event, "rolled back the deploy")),
        "{missed:#?}"
    );
    assert!(missed.iter().any(|event| is_card(event, "mitigated")));

    // The watcher sends no card twice in a row; a resumed stream may send the page's card
    // once more first. Beyond that, exactly what was missed, with the same ids.
    let shown_card = heard.last().unwrap();
    assert_eq!(changes(&missed, shown_card), missed);
    let marker = |event: &SseEvent| is_message_containing(event, "watching the error rate");
    let mut by_header = EventStream::open(&session, &room_events(FIRST), Some(&last_heard)).await;
    assert_eq!(changes(&by_header.until(marker).await, shown_card), missed);
    let after = format!("{}?after={last_heard}", room_events(FIRST));
    let mut by_query = EventStream::open(&session, &after, None).await;
    assert_eq!(changes(&by_query.until(marker).await, shown_card), missed);
}

#[tokio::test]
async fn the_list_stream_sends_a_row_only_when_it_differs_from_the_last_it_sent() {
    let bot = TestBot::spawn().await;
    let room = open_incident(&bot, "fp-1", FIRST).await;
    settle(&bot, FIRST).await;
    let session = bot.web_sign_in("bob").await;
    let mut stream = EventStream::open(&session, "/incidents/events", None).await;
    // The first change the stream hears of an incident is sent: the page may be older.
    assert!(bot.slash("carol", &room, "/incident ack").await.ok);
    // Notes change the incident (its timeline), not its row.
    for note in ["/incident note one", "/incident note two"] {
        assert!(bot.slash("carol", &room, note).await.ok);
    }
    assert!(bot.slash("bob", &room, "/incident mitigate").await.ok);
    let events = stream
        .until(|event| event.json()["state"] == "mitigated")
        .await;
    let rows: Vec<_> = events
        .iter()
        .map(|event| {
            let data = event.json();
            (
                event.event.clone(),
                data["id"].clone(),
                data["state"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "incident".to_owned(),
                Value::from(FIRST),
                Value::from("acknowledged")
            ),
            (
                "incident".to_owned(),
                Value::from(FIRST),
                Value::from("mitigated")
            ),
        ],
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_war_room_stream_sends_a_card_only_when_it_changed_and_with_its_durations() {
    let bot = TestBot::spawn().await;
    let room = open_incident(&bot, "fp-1", FIRST).await;
    settle(&bot, FIRST).await;
    let session = bot.web_sign_in("alice").await;
    let mut stream = EventStream::open(&session, &room_events(FIRST), None).await;
    bot.advance(chrono::Duration::seconds(4 * 60 + 12));
    assert!(bot.slash("carol", &room, "/incident ack").await.ok);
    for note in ["/incident note one", "/incident note two"] {
        assert!(bot.slash("carol", &room, note).await.ok);
    }
    assert!(bot.slash("bob", &room, "/incident mitigate").await.ok);
    assert!(bot.slash("carol", &room, "/incident note the end").await.ok);
    let events = stream
        .until(|event| is_message_containing(event, "the end"))
        .await;
    let cards: Vec<&SseEvent> = events
        .iter()
        .filter(|event| event.event == "card")
        .collect();
    let states: Vec<Value> = cards
        .iter()
        .map(|card| card.json()["state"].clone())
        .collect();
    assert_eq!(states, ["acknowledged", "mitigated"], "{events:#?}");
    // The durations come with the card: the page shows the time to acknowledge at once.
    let durations = cards[0].json()["durations"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(durations.contains("id=\"durations\""), "{durations}");
    assert!(
        durations.contains("data-duration=\"acknowledge\" data-seconds=\"252\""),
        "{durations}"
    );
    assert!(durations.contains("4 min 12 s"), "{durations}");
}

#[tokio::test]
async fn a_resume_the_feed_cannot_serve_is_told_to_reset_and_then_hears_new_events() {
    let mut bot = TestBot::spawn().await;
    open_incident(&bot, "fp-1", FIRST).await;
    let session = bot.web_sign_in("bob").await;
    let mut stream = EventStream::open(&session, "/incidents/events", None).await;
    assert!(
        bot.slash("carol", &FIRST.to_ascii_lowercase(), "/incident ack")
            .await
            .ok
    );
    let before_restart = stream.next().await.unwrap().id.unwrap();
    drop(stream);

    for stale in ["1-2", "garbage", "0x0-999999"] {
        let mut stream = EventStream::open(&session, "/incidents/events", Some(stale)).await;
        let reset = stream.next().await.unwrap();
        assert_eq!(reset.event, "reset", "{stale}: {reset:?}");
        assert!(reset.id.is_some());
    }

    // Sessions live in memory: after a restart the person signs in again, and the ids the
    // last process gave out mean nothing to the new one.
    bot.restart().await;
    let session = bot.web_sign_in("bob").await;
    let mut stream = EventStream::open(&session, "/incidents/events", Some(&before_restart)).await;
    let reset = stream.next().await.unwrap();
    assert_eq!(reset.event, "reset", "{reset:?}");
    // The stream goes on from the reset: the next incident arrives.
    open_incident(&bot, "fp-2", SECOND).await;
    let next = stream.next().await.unwrap();
    assert_eq!(next.event, "incident");
    assert_eq!(next.json()["id"], SECOND);
}

#[tokio::test]
async fn a_read_only_web_console_streams_too() {
    let bot =
        TestBot::spawn_with("[chat]\ncard_edit_interval = \"0s\"\n[console]\nweb = \"read\"\n")
            .await;
    let session = bot.web_sign_in("vic").await;
    let mut list = EventStream::open(&session, "/incidents/events", None).await;
    let mut room = EventStream::open(&session, &room_events(FIRST), None).await;
    open_incident(&bot, "fp-1", FIRST).await;
    assert_eq!(list.next().await.unwrap().json()["id"], FIRST);
    let events = room.until(|event| event.event == "message").await;
    assert!(!events.is_empty());
}

#[tokio::test]
async fn streams_past_their_slots_are_refused_until_one_closes() {
    // Four request slots make sixteen stream slots.
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[http]\nmax_concurrent_requests = 4\n",
    )
    .await;
    // Two people with eight streams each take all sixteen.
    let alice = bot.web_sign_in("alice").await;
    let bob = bot.web_sign_in("bob").await;
    let carol = bot.web_sign_in("carol").await;
    let mut open = Vec::new();
    for session in [&alice, &bob] {
        for _ in 0..8 {
            open.push(EventStream::open(session, "/incidents/events", None).await);
        }
    }
    let refused = request(&carol, "/incidents/events", None).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    // Pages still load: streams hold no request slot.
    assert_eq!(carol.page("/incidents").await.0, StatusCode::OK);

    // A closed stream's slot is freed once the server notices (at the latest at its next
    // keep-alive write): bounded polling.
    drop(open.pop());
    let mut reopened = None;
    for _ in 0..400 {
        let response = request(&carol, "/incidents/events", None).await;
        if response.status() == StatusCode::OK {
            reopened = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reopened.is_some(),
        "the closed stream's slot was never freed"
    );
}

#[tokio::test]
async fn one_session_holds_at_most_sixteen_streams_and_leaves_the_rest_to_others() {
    let bot = TestBot::spawn().await;
    let alice = bot.web_sign_in("alice").await;
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(EventStream::open(&alice, "/incidents/events", None).await);
    }
    let refused = request(&alice, "/incidents/events", None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.text().await.unwrap().contains("close one"),
        "the refusal says what to do"
    );
    // Another session of the same person is another browser: it has its own sixteen.
    let other_tab_elsewhere = bot.web_sign_in("alice").await;
    EventStream::open(&other_tab_elsewhere, "/incidents/events", None).await;
    let bob = bot.web_sign_in("bob").await;
    EventStream::open(&bob, &room_events(FIRST), None).await;
}

#[tokio::test]
async fn streams_end_cleanly_at_shutdown_and_at_sign_out() {
    let mut bot = TestBot::spawn().await;
    let alice = bot.web_sign_in("alice").await;
    let bob = bot.web_sign_in("bob").await;
    let mut alice_stream = EventStream::open(&alice, "/incidents/events", None).await;
    let mut bob_stream = EventStream::open(&bob, &room_events(FIRST), None).await;

    // Signed out, bob's stream ends at the next change instead of streaming on.
    let csrf = bob.csrf().await;
    let signed_out = bob.post_form("/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    open_incident(&bot, "fp-1", FIRST).await;
    assert_eq!(alice_stream.next().await.unwrap().json()["id"], FIRST);
    assert_eq!(bob_stream.next().await, None);

    // Stopping ends the open stream (after what was already sent): the server does not
    // wait for it, and it ends cleanly (`next` fails the test on an error or a hang).
    bot.stop().await;
    while let Some(event) = alice_stream.next().await {
        assert_eq!(event.event, "incident", "{event:?}");
    }
}
