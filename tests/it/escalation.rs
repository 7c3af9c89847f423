//! Escalation through the console with the clock turned by hand: a sev1 escalates at 5 and
//! 15 minutes, an acknowledgement stops it for good, a reopen starts it again, and quiet
//! hours hold a sev3's direct messages and page (the room post still goes out). A step that
//! must *not* fire is checked against a witness incident whose step is due later: deadlines
//! fire in due order.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use warroom::engine::clock::Clock;

use crate::paging::PageReceiver;
use crate::support::{TestBot, am_alert, start_time};

fn minutes(count: i64) -> chrono::Duration {
    chrono::Duration::minutes(count)
}

/// The example policy for sev1; sev3 calls its commander directly and pages, with
/// quiet hours from 09:00 to 12:00 UTC for sev3 (the tests start at 10:00 UTC).
fn config(pager: &str) -> String {
    format!(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [oncall]\ncommander = \"alice\"\noperations = \"bob\"\ncommunications = \"carol\"\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"commander\", \"operations\", \"duty_manager\"]\ndirect = true\n\
         [[escalation.steps]]\nafter = \"15m\"\nnotify = [\"duty_manager\"]\nhere = true\npage = true\nrepeat = 2\n\
         [[escalation]]\nseverity = [\"sev3\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"commander\"]\ndirect = true\npage = true\n\
         [quiet_hours]\ntime_zone = \"UTC\"\nfrom = \"09:00\"\nto = \"12:00\"\nseverities = [\"sev3\"]\n\
         [paging]\nwebhook_url = \"{pager}\"\n"
    )
}

async fn steps(bot: &TestBot, incident: &str) -> Vec<Value> {
    bot.timeline(incident)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!("escalation_step"))
        .collect()
}

/// Waits (bounded) until the incident has `count` escalation entries; returns them.
async fn wait_for_steps(bot: &TestBot, incident: &str, count: usize) -> Vec<Value> {
    for _ in 0..1200 {
        let found = steps(bot, incident).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {count} escalation steps of {incident}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

fn at(entry: &Value) -> DateTime<Utc> {
    entry["at"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("an entry with a time: {entry}"))
}

fn sorted(value: &Value) -> Vec<String> {
    let mut people: Vec<String> = serde_json::from_value(value.clone()).unwrap();
    people.sort();
    people
}

async fn fire(bot: &TestBot, fingerprint: &str, service: &str, severity: &str) {
    bot.alert(
        "alertmanager",
        &am_alert(fingerprint, service, severity, "firing"),
    )
    .await;
}

#[tokio::test]
async fn a_sev1_escalates_at_5_and_15_minutes_stops_on_ack_and_starts_again_on_reopen() {
    let pager = PageReceiver::start(&[]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "critical").await;
    let room = bot.room_of(incident).await;
    let opened = start_time();

    bot.advance(minutes(5));
    let first = wait_for_steps(&bot, incident, 1).await;
    assert_eq!(first[0]["step"], json!(1));
    assert_eq!(first[0]["how"], json!(["room", "direct"]));
    // alice commands, bob operates; both are also the demo's duty managers.
    assert_eq!(sorted(&first[0]["notified"]), vec!["alice", "bob"]);
    assert_eq!(at(&first[0]), opened + minutes(5));
    let messages = bot
        .wait_for_messages(&room, "the step one post", |messages| {
            messages.iter().any(|message| {
                message["text"]
                    .as_str()
                    .is_some_and(|text| text.contains("escalation step 1"))
            })
        })
        .await;
    let post = messages
        .iter()
        .filter_map(|message| message["text"].as_str())
        .find(|text| text.contains("escalation step 1"))
        .unwrap();
    assert!(post.contains("@alice") && post.contains("@bob"), "{post}");

    bot.advance(minutes(10));
    let second = wait_for_steps(&bot, incident, 2).await;
    assert_eq!(second[1]["step"], json!(2));
    assert_eq!(second[1]["how"], json!(["room", "here", "page"]));
    assert_eq!(at(&second[1]), opened + minutes(15));
    let pages = pager.wait_for(1).await;
    assert_eq!(
        pages[0].idempotency_key.as_deref(),
        Some("page:INC-20261121-001:2:0")
    );

    let ack = bot.slash("alice", &room, "/incident ack").await;
    assert!(ack.ok, "{}", ack.text);
    // Long after every repeat would have been due, a witness's first step fires; the
    // acknowledged incident got nothing more.
    bot.advance(minutes(120));
    let witness = "INC-20261121-002";
    fire(&bot, "fp-w", "search", "critical").await;
    bot.advance(minutes(5));
    wait_for_steps(&bot, witness, 1).await;
    assert_eq!(
        steps(&bot, incident).await.len(),
        2,
        "nothing after the ack"
    );
    assert_eq!(pager.received().len(), 1, "no page after the ack");

    // Resolved and reopened: someone must acknowledge again, so escalation starts over.
    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    let reopen = bot.slash("alice", &room, "/incident reopen").await;
    assert!(reopen.ok, "{}", reopen.text);
    let reopened = bot.clock.now();
    bot.advance(minutes(5));
    let again = wait_for_steps(&bot, incident, 3).await;
    assert_eq!(again[2]["step"], json!(1));
    assert_eq!(at(&again[2]), reopened + minutes(5));
}

#[tokio::test]
async fn quiet_hours_hold_a_sev3_direct_message_and_page_until_they_end() {
    let pager = PageReceiver::start(&[]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "warning").await;
    let room = bot.room_of(incident).await;

    bot.advance(minutes(5));
    let held = wait_for_steps(&bot, incident, 1).await;
    let morning: DateTime<Utc> = "2026-11-21T12:00:00Z".parse().unwrap();
    assert_eq!(held[0]["held_until"], json!(morning));
    assert_eq!(held[0]["how"], json!(["room", "direct", "page"]));
    // The room still hears at once.
    bot.wait_for_messages(&room, "the step post", |messages| {
        messages.iter().any(|message| {
            message["text"]
                .as_str()
                .is_some_and(|text| text.contains("escalation step 1"))
        })
    })
    .await;
    // A sev1 witness opened now pages at once at its second step; the held sev3 page has
    // not gone by then.
    fire(&bot, "fp-w", "search", "critical").await;
    bot.advance(minutes(15));
    wait_for_steps(&bot, "INC-20261121-002", 2).await;
    let pages = pager.wait_for(1).await;
    assert!(
        pages
            .iter()
            .all(|page| page.body["incident"] == json!("INC-20261121-002")),
        "{pages:#?}"
    );

    let now = bot.clock.now();
    bot.advance(morning - now);
    let released = wait_for_steps(&bot, incident, 2).await;
    assert_eq!(released[1]["how"], json!(["direct", "page"]));
    assert_eq!(at(&released[1]), morning);
    let page = pager.wait_for_key("page:INC-20261121-001:1:0").await;
    assert_eq!(page.body["severity"], json!("sev3"));
}

/// Down from 10:00 to 10:40 (a crash, nothing flushed by a clean stop): step one (due
/// 10:05) and step two (due 10:15, its repeat due 10:30) each fire once, in due order, and
/// step two's next repeat is due 15 minutes after the restart, not at once.
#[tokio::test]
async fn after_a_crash_each_missed_step_fires_once_in_due_order_and_repeats_re_arm_from_now() {
    let pager = PageReceiver::start(&[]).await;
    let mut bot = TestBot::spawn_with(&config(&pager.url)).await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "critical").await;
    bot.room_of(incident).await;
    let resumed = start_time() + minutes(40);
    bot.clock.set(resumed);
    bot.crash_and_start().await;

    let fired = wait_for_steps(&bot, incident, 2).await;
    let got: Vec<(Value, Value, DateTime<Utc>)> = fired
        .iter()
        .map(|entry| (entry["step"].clone(), entry["repeat"].clone(), at(entry)))
        .collect();
    assert_eq!(
        got,
        vec![(json!(1), json!(0), resumed), (json!(2), json!(0), resumed)]
    );
    bot.advance(minutes(15));
    let all = wait_for_steps(&bot, incident, 3).await;
    assert_eq!(all.len(), 3, "{all:#?}");
    assert_eq!(all[2]["repeat"], json!(1));
    assert_eq!(at(&all[2]), resumed + minutes(15));
    pager.wait_for_key("page:INC-20261121-001:2:1").await;
    let keys: Vec<Option<String>> = pager
        .received()
        .into_iter()
        .map(|page| page.idempotency_key)
        .collect();
    assert_eq!(
        keys,
        vec![
            Some("page:INC-20261121-001:2:0".to_owned()),
            Some("page:INC-20261121-001:2:1".to_owned())
        ]
    );
}

/// On Discord a step with `here` says `@here` and lets exactly that and its callees ping; a
/// step without it pings only its callees.
#[tokio::test]
async fn on_discord_a_here_step_pings_here_and_its_callees() {
    use crate::discord::{ALICE, BOB, guild_config, wait_until};
    use crate::support::DISCORD_TEST_TOKEN;
    use crate::support::fake_discord::FakeDiscord;

    let fake = FakeDiscord::start().await;
    let (discord, _category) = guild_config(&fake, |_, _| String::new());
    let bot = TestBot::spawn_with(&format!(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [discord]\ntoken = \"{DISCORD_TEST_TOKEN}\"\n{discord}\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"operations\"]\n\
         [[escalation.steps]]\nafter = \"10m\"\nnotify = [\"commander\"]\nhere = true\n"
    ))
    .await;
    assert!(
        fake.wait_ready(Duration::from_secs(20)).await,
        "warroom never identified"
    );
    fire(&bot, "fp-a", "checkout", "critical").await;
    wait_until("the incident channel", || async {
        fake.channel_by_name("inc-20261121-001").is_some()
    })
    .await;
    let channel = fake.channel_by_name("inc-20261121-001").unwrap();
    let step = |number: u32| {
        let needle = format!("escalation step {number}");
        fake.messages(channel.id)
            .into_iter()
            .find(|message| message.content.contains(&needle))
    };
    bot.advance(minutes(5));
    wait_until("step one", || async { step(1).is_some() }).await;
    let first = step(1).unwrap();
    assert_eq!(first.pings.users, vec![BOB], "{}", first.content);
    assert!(!first.pings.everyone, "{}", first.content);
    bot.advance(minutes(5));
    wait_until("step two", || async { step(2).is_some() }).await;
    let second = step(2).unwrap();
    assert!(second.content.contains("@here"), "{}", second.content);
    assert!(second.pings.everyone, "{}", second.content);
    assert_eq!(second.pings.users, vec![ALICE], "{}", second.content);
    fake.assert_no_violations();
}

/// A reminder stored by a version before escalation (`ack_reminder:<incident>`, one sent)
/// still works: it fires once as step one's second call, goes away, and the third call
/// follows under the step's own key; nothing after that.
#[tokio::test]
async fn a_stored_legacy_ack_reminder_fires_once_as_step_one_and_hands_over() {
    use warroom::domain::deadline::{Deadline, DeadlineChange, DeadlineKind, ack_reminder_key};
    use warroom::domain::ids::IncidentId;
    use warroom::store::{SledStore, WriteBatch};

    let mut bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [incidents]\nack_reminder = \"10m\"\nack_reminder_max = 3\n\
         [oncall]\ncommander = \"alice\"\noperations = \"bob\"\n",
    )
    .await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "critical").await;
    bot.room_of(incident).await;
    bot.stop().await;
    let id = IncidentId::parse(incident).unwrap();
    {
        let store = bot
            .open_data_dir(|dir| SledStore::open(dir, 8 * 1024 * 1024))
            .await;
        let due = start_time() + minutes(20);
        warroom::store::Store::commit(
            &store,
            WriteBatch {
                deadlines: vec![
                    // As an earlier version would have it: no escalation key, the reminder's.
                    DeadlineChange::Cancel {
                        key: "escalation:INC-20261121-001:1".to_owned(),
                    },
                    DeadlineChange::Set(Deadline {
                        key: ack_reminder_key(id),
                        due,
                        kind: DeadlineKind::AckReminder {
                            incident: id,
                            sent: 1,
                        },
                    }),
                ],
                ..WriteBatch::default()
            },
        )
        .unwrap();
    }
    bot.start().await;
    let reminders = || async {
        bot.timeline(incident)
            .await
            .into_iter()
            .filter(|entry| entry["kind"] == json!("ack_reminder"))
            .collect::<Vec<Value>>()
    };
    bot.advance(minutes(20));
    let mut got = Vec::new();
    for _ in 0..1200 {
        got = reminders().await;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["number"], json!(2));
    bot.advance(minutes(10));
    for _ in 0..1200 {
        got = reminders().await;
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[1]["number"], json!(3));
    assert_eq!(at(&got[1]), start_time() + minutes(30));
    // The last call was the third: a witness fired later finds nothing more on it.
    fire(&bot, "fp-w", "search", "critical").await;
    bot.advance(minutes(60));
    bot.advance(minutes(10));
    for _ in 0..1200 {
        let witness: Vec<Value> = bot
            .timeline("INC-20261121-002")
            .await
            .into_iter()
            .filter(|entry| entry["kind"] == json!("ack_reminder"))
            .collect();
        if !witness.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(reminders().await.len(), 2);
}

/// A sev3 (no escalation of its own) raised to sev1 while nobody acknowledged it escalates
/// by sev1's steps, counted from when it opened.
#[tokio::test]
async fn raising_the_severity_of_a_triggered_incident_starts_its_escalation() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [oncall]\ncommander = \"alice\"\noperations = \"bob\"\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"10m\"\nnotify = [\"commander\"]\n",
    )
    .await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "warning").await;
    let room = bot.room_of(incident).await;
    bot.advance(minutes(4));
    let raised = bot.slash("alice", &room, "/incident severity sev1").await;
    assert!(raised.ok, "{}", raised.text);
    bot.advance(minutes(6));
    let fired = wait_for_steps(&bot, incident, 1).await;
    assert_eq!(at(&fired[0]), start_time() + minutes(10));
    assert_eq!(fired[0]["notified"], json!(["alice"]));
}

/// The direct messages `user` has in their console room `dm-<user>`, read with their token.
async fn direct_messages(bot: &TestBot, user: &str) -> Vec<Value> {
    let token = crate::support::user_token(user);
    let path = format!("/console/api/rooms/dm-{user}/messages");
    match bot.get_with(&path, token.as_deref()).await {
        (reqwest::StatusCode::OK, Value::Array(messages)) => messages,
        _ => Vec::new(),
    }
}

/// Waits (bounded) until `user` has `count` direct messages; returns them.
async fn wait_for_directs(bot: &TestBot, user: &str, count: usize) -> Vec<Value> {
    for _ in 0..1200 {
        let found = direct_messages(bot, user).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {count} direct messages to {user}; got {:#?}",
        direct_messages(bot, user).await
    );
}

/// A reopened incident is a new cycle: its direct messages and page carry keys of their own,
/// so a chat or pager that drops keys it has seen still calls people the second time.
#[tokio::test]
async fn after_a_reopen_the_direct_messages_and_the_page_go_out_again_under_new_keys() {
    let pager = PageReceiver::start(&[]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "critical").await;
    let room = bot.room_of(incident).await;

    bot.advance(minutes(5));
    wait_for_steps(&bot, incident, 1).await;
    wait_for_directs(&bot, "alice", 1).await;
    bot.advance(minutes(10));
    pager.wait_for_key("page:INC-20261121-001:2:0").await;

    for command in ["/incident ack", "/incident resolve", "/incident reopen"] {
        let reply = bot.slash("alice", &room, command).await;
        assert!(reply.ok, "{command}: {}", reply.text);
    }
    let reopened = bot.clock.now();
    bot.advance(minutes(5));
    wait_for_steps(&bot, incident, 3).await;
    let directs = wait_for_directs(&bot, "alice", 2).await;
    assert_eq!(directs.len(), 2, "{directs:#?}");
    bot.advance(minutes(10));
    let key = format!("page:INC-20261121-001:2:0:r{}", reopened.timestamp_millis());
    pager.wait_for_key(&key).await;
    let keys: Vec<Option<String>> = pager
        .received()
        .into_iter()
        .map(|page| page.idempotency_key)
        .collect();
    assert_eq!(
        keys,
        vec![Some("page:INC-20261121-001:2:0".to_owned()), Some(key)]
    );
}

/// The status-update reminder's number starts over after each update, so its direct
/// messages to the duty managers carry the firing's instant: the second series' "reminder 2"
/// reaches the duty manager again instead of being dropped as already sent.
#[tokio::test]
async fn the_duty_manager_hears_of_an_overdue_status_update_again_after_an_update() {
    use crate::status_updates::{wait_for_direct, wait_for_reminders};

    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [status_updates]\nsev1 = \"30m\"\n\
         [oncall]\ncommander = \"alice\"\noperations = \"bob\"\ncommunications = \"carol\"\n",
    )
    .await;
    let incident = "INC-20261121-001";
    fire(&bot, "fp-a", "checkout", "critical").await;
    let room = bot.room_of(incident).await;
    bot.advance(minutes(30));
    wait_for_reminders(&bot, incident, 1).await;
    bot.advance(minutes(30));
    wait_for_reminders(&bot, incident, 2).await;
    wait_for_direct(&bot, "bob", "the first overdue notice", |messages| {
        messages.len() == 1
    })
    .await;

    let update = bot
        .slash("carol", &room, "/incident update failover in progress")
        .await;
    assert!(update.ok, "{}", update.text);
    bot.advance(minutes(30));
    wait_for_reminders(&bot, incident, 3).await;
    bot.advance(minutes(30));
    wait_for_reminders(&bot, incident, 4).await;
    wait_for_direct(
        &bot,
        "bob",
        "the second series' overdue notice",
        |messages| messages.len() == 2,
    )
    .await;
}
