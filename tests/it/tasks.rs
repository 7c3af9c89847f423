//! `/task` through the console with a hand-turned clock: adding, assigning, snoozing and
//! finishing tasks, the overdue ladder (the assignee, then the commander, then the duty
//! manager) with reminders grouped per person, follow-ups after resolve, and a restart with
//! an overdue task. A reminder that must *not* fire is checked against a witness whose
//! reminder is due later: deadlines fire in due order, so once the witness's is on its
//! timeline an earlier one still in force would be too.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestBot, am_alert, start_time};

/// alice commands, bob runs operations, carol communicates (demo users; alice and bob are
/// also duty managers). Overdue tasks are reminded twice, ten minutes apart, then escalated.
const CONFIG: &str = "[chat]\ncard_edit_interval = \"0s\"\n\
     [oncall]\ncommander = \"alice\"\noperations = \"bob\"\ncommunications = \"carol\"\n\
     [tasks]\nreminder_interval = \"10m\"\nmax_reminders = 2\nfollowup = \"48h\"\n";

const FIRST: &str = "INC-20261121-001";
const SECOND: &str = "INC-20261121-002";

fn minutes(count: i64) -> chrono::Duration {
    chrono::Duration::minutes(count)
}

/// Opens an incident for `service` from a critical alert and returns its room.
async fn open(bot: &TestBot, fingerprint: &str, service: &str, incident: &str) -> String {
    bot.alert(
        "alertmanager",
        &am_alert(fingerprint, service, "critical", "firing"),
    )
    .await;
    bot.room_of(incident).await
}

/// The timeline entries of `kind`.
async fn entries(bot: &TestBot, incident: &str, kind: &str) -> Vec<Value> {
    bot.timeline(incident)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!(kind))
        .collect()
}

/// Waits (bounded) until the incident has `count` entries of `kind`; returns them.
async fn wait_for_entries(bot: &TestBot, incident: &str, kind: &str, count: usize) -> Vec<Value> {
    for _ in 0..1200 {
        let found = entries(bot, incident, kind).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {count} {kind} of {incident}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

/// Waits (bounded) until the incident has an entry of `kind` naming `task`; returns it.
async fn wait_for_entry_about(bot: &TestBot, incident: &str, kind: &str, task: &str) -> Value {
    for _ in 0..1200 {
        if let Some(found) = entries(bot, incident, kind)
            .await
            .into_iter()
            .find(|entry| {
                entry["tasks"]
                    .as_array()
                    .is_some_and(|tasks| tasks.contains(&json!(task)))
            })
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {kind} about {task} of {incident}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

fn at(entry: &Value) -> chrono::DateTime<chrono::Utc> {
    entry["at"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("an entry with a time: {entry}"))
}

/// The room's message texts that contain `needle`.
fn texts_with(messages: &[Value], needle: &str) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| message["text"].as_str())
        .filter(|text| text.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn tasks_are_added_assigned_snoozed_done_and_listed_and_bad_input_is_named() {
    let bot = TestBot::spawn_with(CONFIG).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;

    let added = bot
        .slash(
            "alice",
            &room,
            "/task add \"roll back the config\" @carol 30m",
        )
        .await;
    assert!(added.ok, "{added:?}");
    assert!(
        added.text.contains("T1") && added.text.contains("due 2026-11-21 10:30"),
        "{}",
        added.text
    );
    let second = bot
        .slash("bob", &room, "/task add check the dashboards")
        .await;
    assert!(second.ok && second.text.contains("T2"), "{second:?}");
    bot.wait_for_messages(&room, "the assignee called", |messages| {
        !texts_with(messages, "@carol, this is yours").is_empty()
    })
    .await;

    // Each bad input is refused with a reply naming it, and nothing is recorded.
    let refusals = [
        (
            "/task add \"x\" @mallory 30m",
            "mallory is not a warroom user",
        ),
        (
            "/task add \"x\" @carol soonish",
            "\"soonish\" is not a due time",
        ),
        ("/task done T9", "no task T9"),
        ("/task done nine", "\"nine\" is not a task id"),
        ("/task snooze T1 later", "\"later\" is not a duration"),
        ("/task assign T1 @mallory", "mallory is not a warroom user"),
        (
            "/task add \"x\" @carol 2026-11-21 09:00",
            "\"2026-11-21 09:00\" is not ahead of now",
        ),
    ];
    for (command, named) in refusals {
        let reply = bot.slash("alice", &room, command).await;
        assert!(!reply.ok, "{command}: {reply:?}");
        assert!(reply.text.contains(named), "{command}: {}", reply.text);
    }

    let assigned = bot.slash("alice", &room, "/task assign T2 @bob").await;
    assert!(assigned.ok, "{assigned:?}");
    let snoozed = bot.slash("carol", &room, "/task snooze T1 1h").await;
    assert!(snoozed.ok, "{snoozed:?}");
    assert!(
        snoozed.text.contains("2026-11-21 11:30"),
        "{}",
        snoozed.text
    );
    let done = bot.slash("bob", &room, "/task done t2").await;
    assert!(done.ok, "{done:?}");
    let again = bot.slash("bob", &room, "/task done T2").await;
    assert!(
        !again.ok && again.text.contains("already done"),
        "{again:?}"
    );

    let list = bot.slash("carol", &room, "/task list").await;
    assert!(list.ok, "{list:?}");
    let lines: Vec<&str> = list.text.lines().collect();
    assert!(lines[0].contains("1 open, 1 done"), "{}", list.text);
    assert!(
        lines[1].contains("T1") && lines[1].contains("roll back the config"),
        "open tasks first: {}",
        list.text
    );
    assert!(
        lines[1].contains("carol") && lines[1].contains("11:30"),
        "{}",
        list.text
    );
    assert!(
        lines[2].contains("T2") && lines[2].contains("done"),
        "{}",
        list.text
    );

    let kinds: Vec<String> = bot
        .timeline_kinds(FIRST)
        .await
        .into_iter()
        .filter(|kind| kind.starts_with("task_"))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "task_added",
            "task_added",
            "task_assigned",
            "task_snoozed",
            "task_done"
        ]
    );
    let added = entries(&bot, FIRST, "task_added").await;
    assert_eq!(added[0]["task"], json!("T1"));
    assert_eq!(added[0]["assignee"], json!("carol"));
    assert_eq!(added[0]["due"], json!("2026-11-21T10:30:00Z"));

    // Tasks belong to an incident: outside a room there is none to add to.
    let outside = bot.slash("alice", "alerts", "/task list").await;
    assert!(!outside.ok, "{outside:?}");
}

#[tokio::test]
async fn overdue_tasks_remind_the_assignee_in_one_message_then_escalate_up_the_ladder() {
    let bot = TestBot::spawn_with(CONFIG).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;
    for command in [
        "/task add \"roll back\" @carol 30m",
        "/task add \"purge the cache\" @carol 30m",
        "/task add \"tell support\" @carol 30m",
        "/task add \"scale up\" @bob 30m",
    ] {
        let reply = bot.slash("alice", &room, command).await;
        assert!(reply.ok, "{command}: {reply:?}");
    }

    bot.advance(minutes(30));
    let reminded = wait_for_entries(&bot, FIRST, "task_reminded", 2).await;
    let mut groups: Vec<(Value, Value)> = reminded
        .iter()
        .map(|entry| (entry["to"].clone(), entry["tasks"].clone()))
        .collect();
    groups.sort_by_key(|(to, _)| to.to_string());
    assert_eq!(
        groups,
        vec![
            (json!("bob"), json!(["T4"])),
            (json!("carol"), json!(["T1", "T2", "T3"])),
        ]
    );
    let messages = bot
        .wait_for_messages(&room, "the grouped reminders", |messages| {
            texts_with(messages, "overdue").len() >= 2
        })
        .await;
    let carol = texts_with(&messages, "@carol: 3 tasks");
    assert_eq!(carol.len(), 1, "one message for carol: {messages:#?}");
    assert!(carol[0].contains("T1 T2 T3"), "{}", carol[0]);

    // The second reminder, then the commander, then the duty managers (alice and bob are
    // both duty managers and nobody is on call as one, so each is called).
    bot.advance(minutes(10));
    wait_for_entries(&bot, FIRST, "task_reminded", 4).await;
    bot.slash("bob", &room, "/task done T4").await;
    bot.advance(minutes(10));
    let escalated = wait_for_entries(&bot, FIRST, "task_escalated", 1).await;
    assert_eq!(escalated[0]["role"], json!("commander"));
    assert_eq!(escalated[0]["to"], json!("alice"));
    assert_eq!(escalated[0]["tasks"], json!(["T1", "T2", "T3"]));
    let messages = bot
        .wait_for_messages(&room, "the commander asked", |messages| {
            !texts_with(messages, "please follow up").is_empty()
        })
        .await;
    let follow_up = texts_with(&messages, "please follow up");
    assert!(
        follow_up[0].contains("carol has 3 overdue tasks (T1 T2 T3)")
            && follow_up[0].contains("Incident Commander @alice"),
        "{}",
        follow_up[0]
    );

    bot.advance(minutes(10));
    let escalated = wait_for_entries(&bot, FIRST, "task_escalated", 2).await;
    assert_eq!(escalated[1]["role"], json!("duty_manager"));
    let messages = bot
        .wait_for_messages(&room, "the duty managers asked", |messages| {
            texts_with(messages, "please follow up").len() >= 3
        })
        .await;
    let duty = texts_with(&messages, "duty manager @");
    assert!(
        duty.iter().any(|text| text.contains("@alice"))
            && duty.iter().any(|text| text.contains("@bob")),
        "{duty:#?}"
    );

    // The top of the ladder: nothing more, however long it stays overdue. A witness task
    // in a second incident, due later, shows the scheduler has looked past that moment.
    let witness = open(&bot, "fp-w", "search", SECOND).await;
    bot.slash("alice", &witness, "/task add \"witness\" @carol 2h")
        .await;
    bot.advance(minutes(120));
    wait_for_entries(&bot, SECOND, "task_reminded", 1).await;
    assert_eq!(entries(&bot, FIRST, "task_reminded").await.len(), 4);
    assert_eq!(entries(&bot, FIRST, "task_escalated").await.len(), 2);
    // T4 was done before its third rung: it never reached the commander.
    assert!(
        texts_with(&bot.messages(&room).await, "bob has").is_empty(),
        "a done task was escalated"
    );
}

#[tokio::test]
async fn nothing_fires_for_a_done_task_and_a_snooze_moves_the_reminder() {
    let bot = TestBot::spawn_with(CONFIG).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;
    bot.slash("alice", &room, "/task add \"finished early\" @carol 30m")
        .await;
    bot.slash("alice", &room, "/task add \"needs longer\" @bob 30m")
        .await;
    bot.advance(minutes(10));
    let done = bot.slash("carol", &room, "/task done T1").await;
    assert!(done.ok, "{done:?}");
    let snoozed = bot.slash("bob", &room, "/task snooze T2 1h").await;
    assert!(snoozed.ok, "{snoozed:?}");

    // A witness due at 45 minutes: once it is reminded, anything due at 30 would have been.
    let witness = open(&bot, "fp-w", "search", SECOND).await;
    bot.slash("alice", &witness, "/task add \"witness\" @carol 35m")
        .await;
    bot.advance(minutes(35));
    wait_for_entry_about(&bot, SECOND, "task_reminded", "T1").await;
    assert!(entries(&bot, FIRST, "task_reminded").await.is_empty());

    // The snoozed task falls due an hour after its old due time, at 90 minutes; a second
    // witness falls due a minute before.
    bot.slash("alice", &witness, "/task add \"witness two\" @carol 44m")
        .await;
    bot.advance(minutes(44));
    wait_for_entry_about(&bot, SECOND, "task_reminded", "T2").await;
    assert!(
        entries(&bot, FIRST, "task_reminded").await.is_empty(),
        "fired early"
    );
    bot.advance(minutes(1));
    let reminded = wait_for_entries(&bot, FIRST, "task_reminded", 1).await;
    assert_eq!(reminded[0]["tasks"], json!(["T2"]));
    assert_eq!(reminded[0]["to"], json!("bob"));
    assert_eq!(at(&reminded[0]), start_time() + minutes(90));
}

#[tokio::test]
async fn a_task_added_after_resolve_is_a_follow_up_due_two_days_later() {
    let bot = TestBot::spawn_with(CONFIG).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;
    for command in ["/incident ack", "/incident resolve"] {
        let reply = bot.slash("alice", &room, command).await;
        assert!(reply.ok, "{command}: {reply:?}");
    }
    let added = bot
        .slash("alice", &room, "/task add \"write the postmortem\" @carol")
        .await;
    assert!(added.ok, "{added:?}");
    assert!(
        added.text.contains("follow-up") && added.text.contains("2026-11-23 10:00"),
        "{}",
        added.text
    );
    bot.advance(chrono::Duration::hours(48) - chrono::Duration::seconds(2));
    // Two days on, incident numbers start again from 001.
    let second = "INC-20261123-001";
    let witness = open(&bot, "fp-w", "search", second).await;
    bot.slash("alice", &witness, "/task add \"witness\" @bob 1s")
        .await;
    bot.advance(chrono::Duration::seconds(1));
    wait_for_entries(&bot, second, "task_reminded", 1).await;
    assert!(
        entries(&bot, FIRST, "task_reminded").await.is_empty(),
        "fired early"
    );
    bot.advance(chrono::Duration::seconds(1));
    let reminded = wait_for_entries(&bot, FIRST, "task_reminded", 1).await;
    assert_eq!(reminded[0]["to"], json!("carol"));
}

#[tokio::test]
async fn an_overdue_task_fires_once_after_a_crash_and_the_next_rung_counts_from_then() {
    let mut bot = TestBot::spawn_with(CONFIG).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;
    bot.slash("alice", &room, "/task add \"roll back\" @carol 30m")
        .await;
    bot.slash("alice", &room, "/task add \"later\" @bob 5h")
        .await;

    // A crash loses none of what was answered.
    bot.crash_and_start().await;
    let list = bot.slash("carol", &room, "/task list").await;
    assert!(list.text.contains("2 open"), "{list:?}");

    // Down for two hours: the first reminder, the second and both escalations were due.
    bot.stop().await;
    bot.advance(minutes(120));
    bot.start().await;
    let reminded = wait_for_entries(&bot, FIRST, "task_reminded", 1).await;
    assert_eq!(reminded[0]["to"], json!("carol"));
    assert_eq!(at(&reminded[0]), start_time() + minutes(120));

    // Each rung fires once, the next counted from the late one: in 9 minutes nothing more
    // (a witness shows the scheduler looked), in 10 the second reminder.
    let witness = open(&bot, "fp-w", "search", SECOND).await;
    bot.slash("alice", &witness, "/task add \"witness\" @bob 9m")
        .await;
    bot.advance(minutes(9));
    wait_for_entries(&bot, SECOND, "task_reminded", 1).await;
    assert_eq!(
        entries(&bot, FIRST, "task_reminded").await.len(),
        1,
        "a burst"
    );
    assert!(
        entries(&bot, FIRST, "task_escalated").await.is_empty(),
        "a burst"
    );
    bot.advance(minutes(1));
    let reminded = wait_for_entries(&bot, FIRST, "task_reminded", 2).await;
    assert_eq!(reminded[1]["tasks"], json!(["T1"]));
    assert_eq!(at(&reminded[1]), start_time() + minutes(130));
}

#[tokio::test]
async fn the_task_list_is_paged_open_tasks_first() {
    let bot = TestBot::spawn_with(CONFIG).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;
    for number in 1..=17 {
        let reply = bot
            .slash("alice", &room, &format!("/task add \"step {number}\""))
            .await;
        assert!(reply.ok, "{reply:?}");
    }
    bot.slash("alice", &room, "/task done T1").await;

    let first = bot.slash("carol", &room, "/task list").await;
    let lines: Vec<&str> = first.text.lines().collect();
    assert!(
        lines[0].contains("16 open, 1 done (page 1 of 2)"),
        "{}",
        first.text
    );
    // T1 is done, so the open T2 … T16 fill the first page.
    assert!(
        lines[1].contains("T2 step 2") && lines[15].contains("T16 step 16"),
        "{}",
        first.text
    );
    assert!(
        lines[16].contains("2 more: /task list page:2"),
        "{}",
        first.text
    );
    assert_eq!(lines.len(), 17, "{}", first.text);

    let second = bot.slash("carol", &room, "/task list page:2").await;
    let lines: Vec<&str> = second.text.lines().collect();
    assert!(lines[0].contains("(page 2 of 2)"), "{}", second.text);
    assert!(
        lines[1].contains("T17") && lines[2].contains("T1 step 1"),
        "{}",
        second.text
    );
    assert_eq!(lines.len(), 3, "{}", second.text);
    // Past the last page is the last page.
    let past = bot.slash("carol", &room, "/task list 9").await;
    assert_eq!(past.text, second.text);
}

#[tokio::test]
async fn replies_and_reminders_speak_the_rooms_language() {
    let config = CONFIG.replace("[chat]\n", "[chat]\nlocale = \"zh-CN\"\n");
    let bot = TestBot::spawn_with(&config).await;
    let room = open(&bot, "fp-a", "checkout", FIRST).await;
    let refused = bot
        .slash("alice", &room, "/task add \"回滚配置\" @carol 稍后")
        .await;
    assert!(
        !refused.ok && refused.text.contains("\"稍后\" 不是截止时间"),
        "{refused:?}"
    );
    let added = bot
        .slash("alice", &room, "/task add \"回滚配置\" @carol 30m")
        .await;
    assert!(added.ok && added.text.contains("添加任务 T1"), "{added:?}");
    bot.advance(minutes(30));
    let messages = bot
        .wait_for_messages(&room, "the reminder in Chinese", |messages| {
            !texts_with(messages, "已逾期").is_empty()
        })
        .await;
    let reminder = &texts_with(&messages, "已逾期")[0];
    assert!(
        reminder.contains("@carol") && reminder.contains("T1"),
        "{reminder}"
    );
}
