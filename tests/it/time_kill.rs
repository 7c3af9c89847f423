//! kill -9 with every kind of time pending: the real binary opens two sev1 incidents on the
//! real clock — one left alone with a task, one acknowledged with its task done — under a
//! commander rotation whose next hand-off is twenty minutes away, and is killed. The same
//! data directory then opens in the harness with its clock 45 minutes past the kill: the
//! escalation step, the task reminder, the status-update reminder and the hand-off all came
//! due meanwhile, and each fires exactly once at the restart; the later ones (step two and
//! its page, the next reminders, the next hand-off) follow at their own times; the
//! acknowledged incident and the done task get nothing, then or later.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::e2e::{Server, serve};
use crate::paging::PageReceiver;
use crate::status_updates::wait_for_direct;
use crate::support::{READER_TOKEN, TestBot, am_alert, demo_users, user_token};
use crate::time_e2e::{at, entries, minutes, texts_with, wait_for_texts};

/// The whole config file, the same for the binary and the harness (it has `[[users]]` and
/// `[api]`, so the harness adds nothing). Commanders bob and alice hand off every hour at
/// `handoff`'s minute.
fn config(pager: &str, handoff: DateTime<Utc>) -> String {
    let minute = handoff.format("%M");
    let start = (handoff - chrono::Duration::hours(2)).to_rfc3339();
    format!(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [[rotations]]\nrole = \"commander\"\nparticipants = [\"bob\", \"alice\"]\n\
         handoff = \"0 {minute} * * * *\"\ntime_zone = \"UTC\"\nstart = \"{start}\"\n\
         [oncall]\noperations = \"bob\"\ncommunications = \"carol\"\nduty_manager = \"bob\"\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"commander\", \"operations\"]\ndirect = true\n\
         [[escalation.steps]]\nafter = \"60m\"\nnotify = [\"duty_manager\"]\nhere = true\npage = true\n\
         [paging]\nwebhook_url = \"{pager}\"\ntimeout = \"2s\"\n\
         [tasks]\nreminder_interval = \"20m\"\nmax_reminders = 3\nfollowup = \"48h\"\n\
         [status_updates]\nsev1 = \"30m\"\n\
         {users}\n[api]\nread_token_sha256 = \"{reader}\"\n",
        users = demo_users(),
        reader = warroom::credentials::TokenHash::of(READER_TOKEN).to_hex(),
    )
}

/// Posts an Alertmanager alert to the binary and returns the incident it opened.
async fn open(
    client: &reqwest::Client,
    server: &Server,
    fingerprint: &str,
    service: &str,
) -> String {
    let response = client
        .post(format!("{}/v1/alerts/alertmanager", server.base))
        .header("content-type", "application/json")
        .body(am_alert(fingerprint, service, "critical", "firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        server.proc.report()
    );
    let body: Value = response.json().await.unwrap();
    body["incidents"][0]
        .as_str()
        .unwrap_or_else(|| panic!("an incident: {body}"))
        .to_owned()
}

/// Waits (bounded) until the binary's console has the incident's room with its card.
async fn wait_for_room(client: &reqwest::Client, server: &Server, room: &str) {
    let url = format!("{}/console/api/rooms/{room}/messages?limit=5", server.base);
    for _ in 0..400 {
        let response = client
            .get(&url)
            .bearer_auth(READER_TOKEN)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            let messages: Value = response.json().await.unwrap_or(Value::Null);
            if messages.as_array().is_some_and(|list| !list.is_empty()) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no room {room}{}", server.proc.report());
}

/// Types a command in the binary's console as `user`; insists it was accepted.
async fn slash(client: &reqwest::Client, server: &Server, user: &str, room: &str, text: &str) {
    let response = client
        .post(format!("{}/console/api/command", server.base))
        .bearer_auth(user_token(user).expect("a harness user"))
        .json(&json!({ "user": user, "room": room, "text": text }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(
        status == StatusCode::OK && body["ok"] == json!(true),
        "{text}: {status} {body}{}",
        server.proc.report()
    );
}

/// The due times an item was expected at, up to `now`.
fn due_by(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    times.iter().copied().filter(|time| *time <= now).collect()
}

/// The times of the incident's entries of `kind`.
async fn times_of(bot: &TestBot, incident: &str, kind: &str) -> Vec<DateTime<Utc>> {
    entries(bot, incident, kind).await.iter().map(at).collect()
}

/// Waits (bounded) until the incident has at least `count` entries of `kind`.
async fn wait_for_count(bot: &TestBot, incident: &str, kind: &str, count: usize) {
    for _ in 0..1200 {
        if entries(bot, incident, kind).await.len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {count} {kind} of {incident}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

fn handoffs(messages: &[Value]) -> usize {
    texts_with(messages, "On-call hand-off").len()
}

#[tokio::test]
async fn after_a_kill_9_each_pending_time_fires_once_and_the_later_ones_follow_on_time() {
    let pager = PageReceiver::start(&[]).await;
    let client = reqwest::Client::new();
    let begun = Utc::now();
    let seconds = (begun + minutes(20)).timestamp();
    let handoff = DateTime::<Utc>::from_timestamp(seconds - seconds % 60, 0).unwrap();
    let text = config(&pager.url, handoff);
    let mut bot = TestBot::unstarted(&text);
    let data = bot.data_dir();
    let logs = tempfile::tempdir().unwrap();
    let config_path = logs.path().join("warroom.toml");
    std::fs::write(&config_path, &text).unwrap();

    // The real binary, on the real clock: two incidents, their tasks, the ack and the done.
    let mut server = serve(
        &client,
        &config_path,
        &data,
        logs.path(),
        "warroom-time-kill",
    )
    .await;
    let left = open(&client, &server, "fp-left", "checkout").await;
    let acked = open(&client, &server, "fp-acked", "search").await;
    let (left_room, acked_room) = (left.to_ascii_lowercase(), acked.to_ascii_lowercase());
    wait_for_room(&client, &server, &left_room).await;
    wait_for_room(&client, &server, &acked_room).await;
    slash(
        &client,
        &server,
        "alice",
        &left_room,
        "/task add \"roll back\" @carol 10m",
    )
    .await;
    slash(&client, &server, "alice", &acked_room, "/incident ack").await;
    slash(
        &client,
        &server,
        "alice",
        &acked_room,
        "/task add \"purge the cache\" @carol 10m",
    )
    .await;
    slash(&client, &server, "carol", &acked_room, "/task done T1").await;
    server.proc.kill();
    let killed = Utc::now();

    // Down for 45 minutes: step one (5m), the task (10m), the hand-off (20m) and the status
    // reminder (30m) all came due meanwhile; step two (60m) is still ahead.
    let resumed = killed + minutes(45);
    bot.clock.set(resumed);
    bot.start().await;
    let opened = at(&bot.timeline(&left).await[0]);
    assert!(opened >= begun && opened <= killed, "{opened}");

    let steps = [resumed, opened + minutes(60)];
    let task_reminders = [resumed, resumed + minutes(20), resumed + minutes(40)];
    let status_reminders = [resumed, resumed + minutes(30), resumed + minutes(60)];
    let announcements = [resumed, handoff + minutes(60)];
    let pages = [opened + minutes(60)];

    // At the restart each fires once; then the clock is turned to each later due time.
    let mut targets = vec![
        resumed,
        opened + minutes(60),
        resumed + minutes(20),
        resumed + minutes(30),
        handoff + minutes(60),
    ];
    targets.sort();
    for target in targets {
        bot.clock.set(target);
        let expected_steps = due_by(&steps, target);
        let expected_tasks = due_by(&task_reminders, target);
        let expected_status = due_by(&status_reminders, target);
        let expected_handoffs = due_by(&announcements, target).len();
        let expected_pages = due_by(&pages, target).len();
        wait_for_count(&bot, &left, "escalation_step", expected_steps.len()).await;
        wait_for_count(&bot, &left, "task_reminded", expected_tasks.len()).await;
        wait_for_count(&bot, &left, "status_update_reminded", expected_status.len()).await;
        let general = bot
            .wait_for_messages("general", "the hand-off announcements", |messages| {
                handoffs(messages) >= expected_handoffs
            })
            .await;
        let received = pager.wait_for(expected_pages).await;

        let at_target = format!("at {target} (killed {killed}, resumed {resumed})");
        assert_eq!(
            times_of(&bot, &left, "escalation_step").await,
            expected_steps,
            "{at_target}"
        );
        assert_eq!(
            times_of(&bot, &left, "task_reminded").await,
            expected_tasks,
            "{at_target}"
        );
        assert_eq!(
            times_of(&bot, &left, "status_update_reminded").await,
            expected_status,
            "{at_target}"
        );
        assert_eq!(handoffs(&general), expected_handoffs, "{at_target}");
        assert_eq!(received.len(), expected_pages, "{at_target}");
        // The acknowledged incident is never escalated, its done task never reminded.
        assert!(
            entries(&bot, &acked, "escalation_step").await.is_empty(),
            "{at_target}"
        );
        assert!(
            entries(&bot, &acked, "task_reminded").await.is_empty(),
            "{at_target}"
        );
    }

    // Step one's messages went out once: in the room and to each callee.
    let posted = wait_for_texts(&bot, &left_room, "escalation step 1", 1).await;
    assert_eq!(posted.len(), 1, "{posted:#?}");
    for user in ["alice", "bob"] {
        let direct = wait_for_direct(&bot, user, "the step one direct message", |messages| {
            !texts_with(messages, "escalation step 1 calls you").is_empty()
        })
        .await;
        assert_eq!(
            texts_with(&direct, "escalation step 1 calls you").len(),
            1,
            "{user}: {direct:#?}"
        );
    }
    let keys: Vec<Option<String>> = pager
        .received()
        .into_iter()
        .map(|page| page.idempotency_key)
        .collect();
    assert_eq!(keys, [Some(format!("page:{left}:2:0"))]);
}
