//! Durable deadlines through their first user, the acknowledgement reminder: the clock is
//! turned by hand (`bot.advance`), the scheduler wakes on it, and nothing here sleeps to
//! test time. A reminder that must *not* fire is checked against a witness incident whose
//! reminder is due later: deadlines fire in due order, so once the witness's reminder is on
//! its timeline, an earlier one that was still in force would be too.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::discord::{ALICE, BOB, guild_config, wait_until};
use crate::e2e::{Proc, start_with_retry};
use crate::support::fake_discord::FakeDiscord;
use crate::support::{
    DISCORD_TEST_TOKEN, TestBot, am_alert, demo_users, start_time, warroom_serve,
};

/// Reminders after 10 minutes, three in all; alice is on call as commander, bob for
/// operations, carol for communications (who is never called by the reminder).
fn config(max: u32) -> String {
    format!(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [incidents]\nack_reminder = \"10m\"\nack_reminder_max = {max}\n\
         [oncall]\ncommander = \"alice\"\noperations = \"bob\"\ncommunications = \"carol\"\n"
    )
}

fn minutes(count: i64) -> chrono::Duration {
    chrono::Duration::minutes(count)
}

fn at(entry: &Value) -> DateTime<Utc> {
    entry["at"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("an entry with a time: {entry}"))
}

async fn reminders(bot: &TestBot, incident: &str) -> Vec<Value> {
    bot.timeline(incident)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!("ack_reminder"))
        .collect()
}

/// Waits (bounded) until the incident has `count` reminders on its timeline; returns them.
async fn wait_for_reminders(bot: &TestBot, incident: &str, count: usize) -> Vec<Value> {
    for _ in 0..1200 {
        let found = reminders(bot, incident).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {count} reminders of {incident}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

fn reminder_texts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| message["text"].as_str())
        .filter(|text| text.contains("still not acknowledged"))
        .map(str::to_owned)
        .collect()
}

/// Posts one critical firing alert of `service`.
async fn fire(bot: &TestBot, fingerprint: &str, service: &str) {
    bot.alert(
        "alertmanager",
        &am_alert(fingerprint, service, "critical", "firing"),
    )
    .await;
}

#[tokio::test]
async fn an_unacknowledged_incident_is_reminded_every_interval_up_to_the_maximum() {
    let bot = TestBot::spawn_with(&config(3)).await;
    // The witness opens one second before the incident under test: its first reminder is
    // due exactly when the other's is one second away.
    let (witness, incident) = ("INC-20261121-001", "INC-20261121-002");
    fire(&bot, "fp-w", "search").await;
    bot.advance(chrono::Duration::seconds(1));
    fire(&bot, "fp-a", "checkout").await;
    let opened = start_time() + chrono::Duration::seconds(1);
    let room = bot.room_of(incident).await;

    bot.advance(minutes(10) - chrono::Duration::seconds(1));
    // Deadlines fire in due order: once the witness's is on its timeline, the scheduler has
    // looked at this moment, and a reminder due by now would be there too.
    wait_for_reminders(&bot, witness, 1).await;
    assert!(reminders(&bot, incident).await.is_empty(), "fired early");
    bot.advance(chrono::Duration::seconds(1));
    let first = wait_for_reminders(&bot, incident, 1).await;
    assert_eq!(first[0]["number"], json!(1));
    assert_eq!(first[0]["max"], json!(3));
    assert_eq!(first[0]["actor"], json!("warroom"));
    assert_eq!(at(&first[0]), opened + minutes(10), "not before it is due");

    let messages = bot
        .wait_for_messages(&room, "the first reminder", |messages| {
            !reminder_texts(messages).is_empty()
        })
        .await;
    let text = &reminder_texts(&messages)[0];
    assert!(text.contains("@alice") && text.contains("@bob"), "{text}");
    assert!(!text.contains("carol"), "{text}");
    assert!(
        text.contains("10 minutes") && text.contains("reminder 1 of 3"),
        "{text}"
    );

    bot.advance(minutes(10));
    wait_for_reminders(&bot, incident, 2).await;
    bot.advance(minutes(10));
    let all = wait_for_reminders(&bot, incident, 3).await;
    let times: Vec<DateTime<Utc>> = all.iter().map(at).collect();
    assert_eq!(
        times,
        vec![
            opened + minutes(10),
            opened + minutes(20),
            opened + minutes(30)
        ]
    );

    // A witness opened now is reminded in ten minutes; by then the incident has had its
    // three and gets no fourth.
    let late_witness = "INC-20261121-003";
    fire(&bot, "fp-b", "payments").await;
    bot.advance(minutes(10));
    wait_for_reminders(&bot, late_witness, 1).await;
    bot.advance(minutes(60));
    wait_for_reminders(&bot, late_witness, 2).await;
    assert_eq!(reminders(&bot, incident).await.len(), 3);
    let messages = bot
        .wait_for_messages(&room, "the third reminder", |messages| {
            reminder_texts(messages).len() >= 3
        })
        .await;
    assert_eq!(reminder_texts(&messages).len(), 3, "{messages:#?}");
}

#[tokio::test]
async fn acknowledging_cancels_the_reminder_even_when_the_clock_jumps() {
    let bot = TestBot::spawn_with(&config(3)).await;
    fire(&bot, "fp-a", "checkout").await;
    let room = bot.room_of("INC-20261121-001").await;
    bot.advance(minutes(5));
    // The witness: its reminder is due five minutes after the acknowledged one's would be.
    fire(&bot, "fp-b", "payments").await;
    let ack = bot.slash("bob", &room, "/incident ack").await;
    assert!(ack.ok, "{ack:?}");

    bot.advance(minutes(60));
    let witness = wait_for_reminders(&bot, "INC-20261121-002", 1).await;
    assert!(reminders(&bot, "INC-20261121-001").await.is_empty());
    assert!(reminder_texts(&bot.messages(&room).await).is_empty());
    // An hour late, the witness got one reminder, not one per missed interval.
    assert_eq!(witness.len(), 1);
    assert_eq!(at(&witness[0]), start_time() + minutes(65));
}

#[tokio::test]
async fn resolving_cancels_the_reminder_too() {
    let bot = TestBot::spawn_with(&config(3)).await;
    fire(&bot, "fp-a", "checkout").await;
    let room = bot.room_of("INC-20261121-001").await;
    fire(&bot, "fp-b", "payments").await;
    let resolve = bot.slash("alice", &room, "/incident resolve").await;
    assert!(resolve.ok, "{resolve:?}");
    bot.advance(minutes(10));
    wait_for_reminders(&bot, "INC-20261121-002", 1).await;
    assert!(reminders(&bot, "INC-20261121-001").await.is_empty());
}

#[tokio::test]
async fn after_a_restart_far_past_several_due_times_one_reminder_fires_and_re_arms_from_now() {
    let mut bot = TestBot::spawn_with(&config(3)).await;
    fire(&bot, "fp-a", "checkout").await;
    let room = bot.room_of("INC-20261121-001").await;
    bot.stop().await;
    // Down while the reminders of 10:10, 10:20 and 10:30 and 10:40 came due.
    bot.advance(minutes(45));
    bot.start().await;

    let first = wait_for_reminders(&bot, "INC-20261121-001", 1).await;
    assert_eq!(at(&first[0]), start_time() + minutes(45));
    assert_eq!(first[0]["number"], json!(1));
    let messages = bot
        .wait_for_messages(&room, "the reminder after the restart", |messages| {
            !reminder_texts(messages).is_empty()
        })
        .await;
    assert!(
        reminder_texts(&messages)[0].contains("45 minutes"),
        "{messages:#?}"
    );

    // Re-armed from the restart, not from the missed due times.
    bot.advance(minutes(10));
    let both = wait_for_reminders(&bot, "INC-20261121-001", 2).await;
    let times: Vec<DateTime<Utc>> = both.iter().map(at).collect();
    assert_eq!(
        times,
        vec![start_time() + minutes(45), start_time() + minutes(55)]
    );
    assert_eq!(both[1]["number"], json!(2));
}

/// The real binary is killed with the reminder pending; the same data directory then opens
/// in the harness with its clock an hour on, and the reminder fires once.
#[tokio::test]
async fn a_reminder_pending_at_a_kill_9_fires_once_after_the_restart() {
    let client = reqwest::Client::new();
    let mut bot = TestBot::unstarted(&config(3));
    let data = bot.data_dir();
    let logs = tempfile::tempdir().unwrap();
    let config_path = logs.path().join("warroom.toml");
    std::fs::write(&config_path, format!("{}{}", config(3), demo_users())).unwrap();
    let (mut proc, port) = start_with_retry(&client, "/readyz", |port| {
        serve(port, &config_path, &data, logs.path())
    })
    .await;
    let response = client
        .post(format!("http://127.0.0.1:{port}/v1/alerts/alertmanager"))
        .header("content-type", "application/json")
        .body(am_alert("fp-a", "checkout", "critical", "firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", proc.report());
    let body: Value = response.json().await.unwrap();
    let incident = body["incidents"][0]
        .as_str()
        .unwrap_or_else(|| panic!("an incident: {body}"))
        .to_owned();
    proc.kill();

    // The binary ran on the real clock; the harness resumes an hour later.
    let resumed = Utc::now() + minutes(60);
    bot.clock.set(resumed);
    bot.start().await;
    let first = wait_for_reminders(&bot, &incident, 1).await;
    assert_eq!(at(&first[0]), resumed);
    bot.advance(minutes(10));
    let both = wait_for_reminders(&bot, &incident, 2).await;
    let times: Vec<DateTime<Utc>> = both.iter().map(at).collect();
    assert_eq!(
        times,
        vec![resumed, resumed + minutes(10)],
        "fired once, then re-armed"
    );
}

fn serve(port: u16, config: &Path, data: &Path, logs: &Path) -> Proc {
    Proc::spawn(
        "warroom-with-a-pending-reminder",
        &mut warroom_serve(Some(config), data, logs, port),
        logs,
    )
}

#[tokio::test]
async fn on_discord_the_reminder_pings_exactly_the_commander_and_the_operations_lead() {
    let fake = FakeDiscord::start().await;
    let (discord, _category) = guild_config(&fake, |_, _| String::new());
    let bot = TestBot::spawn_with(&format!(
        "[incidents]\nack_reminder = \"10m\"\n[chat]\ncard_edit_interval = \"0s\"\n\
         [discord]\ntoken = \"{DISCORD_TEST_TOKEN}\"\n{discord}"
    ))
    .await;
    assert!(
        fake.wait_ready(Duration::from_secs(20)).await,
        "warroom never identified"
    );
    fire(&bot, "fp-a", "checkout").await;
    wait_until("the card and the mentions", || async {
        fake.channel_by_name("inc-20261121-001")
            .is_some_and(|channel| fake.messages(channel.id).len() >= 2)
    })
    .await;
    let channel = fake.channel_by_name("inc-20261121-001").unwrap();

    bot.advance(minutes(10));
    let reminder = || {
        fake.messages(channel.id)
            .into_iter()
            .find(|message| message.content.contains("still not acknowledged"))
    };
    wait_until("the reminder", || async { reminder().is_some() }).await;
    let reminder = reminder().unwrap();
    let mut pinged = reminder.pings.users.clone();
    pinged.sort_unstable();
    assert_eq!(pinged, vec![ALICE, BOB], "{}", reminder.content);
    assert!(reminder.pings.roles.is_empty() && !reminder.pings.everyone);
    fake.assert_no_violations();
}

#[tokio::test]
async fn an_undecodable_deadline_is_dropped_and_later_ones_still_fire() {
    let mut bot = TestBot::spawn_with(&config(3)).await;
    fire(&bot, "fp-a", "checkout").await;
    bot.advance(minutes(1));
    fire(&bot, "fp-b", "payments").await;
    // The earliest record (INC-001's reminder) is garbled while warroom is stopped.
    bot.stop().await;
    {
        let db = bot.open_data_dir(|dir| sled::open(dir)).await;
        let tree = db.open_tree("deadlines").unwrap();
        let (key, _) = tree.scan_prefix(b"d").next().unwrap().unwrap();
        tree.insert(key, &br#"{"v":1,"data":{"garbled":true}}"#[..])
            .unwrap();
        db.flush().unwrap();
    }
    bot.start().await;
    bot.advance(minutes(15));
    wait_for_reminders(&bot, "INC-20261121-002", 1).await;
    // The garbled one never fires, and the next reminder of INC-002 still does.
    bot.advance(minutes(10));
    wait_for_reminders(&bot, "INC-20261121-002", 2).await;
    assert!(reminders(&bot, "INC-20261121-001").await.is_empty());
}
