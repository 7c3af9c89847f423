//! Status updates through the console: `/incident update` is recorded, posted and announced,
//! and `[status_updates]` reminds the commander and communications lead, then tells the duty
//! managers by direct message. The clock is turned by hand; a reminder that must not fire is
//! checked against a witness incident due just after it (deadlines fire in due order).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::support::{TestBot, am_alert, start_time, user_token};

/// sev1 incidents need an update every 30 minutes; alice commands, carol communicates, bob
/// runs operations. alice and bob are the harness's duty managers.
const CONFIG: &str = "[chat]\ncard_edit_interval = \"0s\"\n\
     [status_updates]\nsev1 = \"30m\"\n\
     [oncall]\ncommander = \"alice\"\noperations = \"bob\"\ncommunications = \"carol\"\n";

fn minutes(count: i64) -> chrono::Duration {
    chrono::Duration::minutes(count)
}

fn at(entry: &Value) -> DateTime<Utc> {
    entry["at"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("an entry with a time: {entry}"))
}

async fn fire(bot: &TestBot, fingerprint: &str, service: &str) {
    bot.alert(
        "alertmanager",
        &am_alert(fingerprint, service, "critical", "firing"),
    )
    .await;
}

async fn reminders(bot: &TestBot, incident: &str) -> Vec<Value> {
    bot.timeline(incident)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!("status_update_reminded"))
        .collect()
}

/// Waits (bounded) until the incident has `count` status-update reminders; returns them.
pub(crate) async fn wait_for_reminders(bot: &TestBot, incident: &str, count: usize) -> Vec<Value> {
    for _ in 0..1200 {
        let found = reminders(bot, incident).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {count} status reminders of {incident}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

/// A direct-message room's messages, read with its person's own token (the only one that
/// may), waiting (bounded) until `check` holds.
pub(crate) async fn wait_for_direct(
    bot: &TestBot,
    user: &str,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let token = user_token(user).expect("a harness user");
    let path = format!("/console/api/rooms/dm-{user}/messages?limit=500");
    for _ in 0..1200 {
        let (status, body) = bot.get_with(&path, Some(&token)).await;
        let messages = body.as_array().cloned().unwrap_or_default();
        if status == reqwest::StatusCode::OK && check(&messages) {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what} in dm-{user}");
}

fn texts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| message["text"].as_str())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_update_is_posted_and_announced_and_the_reminder_ladder_restarts_from_it() {
    let bot = TestBot::spawn_with(CONFIG).await;
    let (incident, witness) = ("INC-20261121-001", "INC-20261121-002");
    fire(&bot, "fp-a", "checkout").await;
    let room = bot.room_of(incident).await;
    bot.advance(minutes(1));
    // The witness's first reminder is due at 10:31, when the incident's would have been due
    // had the update not restarted it.
    fire(&bot, "fp-w", "search").await;

    // A viewer may not post updates; a responder may.
    let refused = bot.slash("vic", &room, "/incident update all good").await;
    assert!(!refused.ok, "{}", refused.text);
    bot.advance(minutes(9));
    let reply = bot
        .slash("wang", &room, "/incident update failover done, watching")
        .await;
    assert!(reply.ok, "{}", reply.text);
    let updates: Vec<Value> = bot
        .timeline(incident)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!("status_update"))
        .collect();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert_eq!(updates[0]["text"], json!("failover done, watching"));
    assert_eq!(updates[0]["actor"], json!("user:wang"));
    bot.wait_for_messages(&room, "the update in the room", |messages| {
        texts(messages)
            .iter()
            .any(|text| text.contains("Status update from wang: failover done, watching"))
    })
    .await;
    let announced = bot
        .wait_for_messages("general", "the announcement", |messages| {
            texts(messages)
                .iter()
                .any(|text| text.contains(incident) && text.contains("failover done"))
        })
        .await;
    assert!(
        texts(&announced)
            .iter()
            .any(|text| text.contains("(sev1)") && text.contains("wang")),
        "{announced:#?}"
    );

    // 10:31: the witness is reminded; the incident, updated at 10:10, is not.
    bot.advance(minutes(21));
    wait_for_reminders(&bot, witness, 1).await;
    assert!(
        reminders(&bot, incident).await.is_empty(),
        "the update restarted the interval"
    );

    // 10:40: the first reminder calls the commander and the communications lead.
    bot.advance(minutes(9));
    let first = wait_for_reminders(&bot, incident, 1).await;
    assert_eq!(at(&first[0]), start_time() + minutes(40));
    assert_eq!(first[0]["number"], json!(1));
    assert_eq!(first[0]["to"], json!(["alice", "carol"]));
    assert_eq!(first[0]["duty_manager"], json!(false));
    let messages = bot
        .wait_for_messages(&room, "the first reminder", |messages| {
            texts(messages)
                .iter()
                .any(|text| text.contains("no status update"))
        })
        .await;
    let reminder = texts(&messages)
        .into_iter()
        .find(|text| text.contains("no status update"))
        .unwrap();
    assert!(
        reminder.contains("@alice") && reminder.contains("@carol") && !reminder.contains("@bob"),
        "{reminder}"
    );
    assert!(reminder.contains("reminder 1 of 3"), "{reminder}");

    // 11:10: the second also tells the duty managers, each by direct message.
    bot.advance(minutes(30));
    let second = wait_for_reminders(&bot, incident, 2).await;
    assert_eq!(second[1]["duty_manager"], json!(true));
    assert_eq!(second[1]["to"], json!(["alice", "carol", "bob"]));
    for duty_manager in ["alice", "bob"] {
        wait_for_direct(
            &bot,
            duty_manager,
            "the duty manager's message",
            |messages| {
                texts(messages).iter().any(|text| {
                    text.contains(incident)
                        && text.contains("after 2 reminders")
                        && text.contains("duty manager")
                })
            },
        )
        .await;
    }

    // Resolved at 11:10: no reminder after, though one was due at 11:40. The witness opened
    // at 11:11 is reminded at 11:41.
    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    bot.advance(minutes(1));
    fire(&bot, "fp-w2", "payments").await;
    bot.advance(minutes(30));
    wait_for_reminders(&bot, "INC-20261121-003", 1).await;
    assert_eq!(
        reminders(&bot, incident).await.len(),
        2,
        "nothing after resolve"
    );
}

#[tokio::test]
async fn after_a_crash_an_overdue_reminder_fires_once_and_re_arms_from_then() {
    // sev2 reminds every minute: its incident is the witness that the scheduler has looked
    // past the moment a burst would have fired.
    let config = CONFIG.replace("sev1 = \"30m\"\n", "sev1 = \"30m\"\nsev2 = \"1m\"\n");
    assert_ne!(config, CONFIG);
    let mut bot = TestBot::spawn_with(&config).await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout").await;
    bot.room_of(incident).await;

    // Down from 10:00 to 12:00 (a kill, not a stop): four intervals missed.
    bot.advance(minutes(120));
    bot.crash_and_start().await;
    let first = wait_for_reminders(&bot, incident, 1).await;
    assert_eq!(first[0]["number"], json!(1));
    assert_eq!(
        at(&first[0]),
        start_time() + minutes(120),
        "fired at restart"
    );

    // A sev2 witness opened now is reminded at 12:01; by then a burst of the missed
    // reminders would be on the timeline too.
    bot.alert(
        "alertmanager",
        &am_alert("fp-w", "search", "error", "firing"),
    )
    .await;
    bot.advance(minutes(1));
    wait_for_reminders(&bot, "INC-20261121-002", 1).await;
    assert_eq!(reminders(&bot, incident).await.len(), 1, "no burst");
    // The next is due 30 minutes after the one that fired, not after the missed due time.
    bot.advance(minutes(29));
    let second = wait_for_reminders(&bot, incident, 2).await;
    assert_eq!(at(&second[1]), start_time() + minutes(150));
}
