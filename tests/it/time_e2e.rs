//! One incident end to end through the console with the clock turned by hand, in the bot's
//! own words: a commander hand-off is announced, the alert opens a sev1 the new commander
//! holds, escalation calls people in the room, by direct message and by page, the ack stops
//! it for good, an overdue task reminds its assignee then asks the commander, a done task
//! goes quiet, a status update is posted and announced and the next reminder counts from it,
//! and a follow-up added after resolve fires two days later. Absence is checked after a
//! later deadline fired: deadlines fire in due order, so an earlier one still in force would
//! be on the timeline too. On Discord, a direct step reaches each callee's DM channel in
//! their language, pinging nobody, and its room post pings exactly the callees.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::paging::PageReceiver;
use crate::status_updates::wait_for_direct;
use crate::support::{TestBot, am_alert, start_time};

pub(crate) fn minutes(count: i64) -> chrono::Duration {
    chrono::Duration::minutes(count)
}

pub(crate) fn at(entry: &Value) -> DateTime<Utc> {
    entry["at"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("an entry with a time: {entry}"))
}

/// The incident's timeline entries of `kind`.
pub(crate) async fn entries(bot: &TestBot, incident: &str, kind: &str) -> Vec<Value> {
    bot.timeline(incident)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!(kind))
        .collect()
}

/// Waits (bounded) until the incident has `count` entries of `kind`; returns them.
pub(crate) async fn wait_for_entries(
    bot: &TestBot,
    incident: &str,
    kind: &str,
    count: usize,
) -> Vec<Value> {
    // Generous: a bound for a busy machine, not a speed requirement.
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

/// Waits (bounded) until the incident has an entry of `kind` later than `after`; returns
/// the first such.
pub(crate) async fn wait_for_entry_after(
    bot: &TestBot,
    incident: &str,
    kind: &str,
    after: DateTime<Utc>,
) -> Value {
    for _ in 0..1200 {
        if let Some(found) = entries(bot, incident, kind)
            .await
            .into_iter()
            .find(|entry| at(entry) > after)
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "timed out waiting for {kind} of {incident} after {after}; timeline {:#?}",
        bot.timeline(incident).await
    );
}

/// The texts of `messages` that contain `needle`.
pub(crate) fn texts_with(messages: &[Value], needle: &str) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| message["text"].as_str())
        .filter(|text| text.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// Waits (bounded) until `room` holds at least `count` messages containing `needle`;
/// returns those texts.
pub(crate) async fn wait_for_texts(
    bot: &TestBot,
    room: &str,
    needle: &str,
    count: usize,
) -> Vec<String> {
    let messages = bot
        .wait_for_messages(room, needle, |messages| {
            texts_with(messages, needle).len() >= count
        })
        .await;
    texts_with(&messages, needle)
}

/// Commanders bob then alice, handing off Saturdays 10:30 UTC: the harness starts on
/// Saturday 2026-11-21 10:00, so alice takes over half an hour in (the next hand-off is a
/// week later, after everything here). bob runs operations and is the duty manager on call.
fn config(pager: &str) -> String {
    format!(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [[rotations]]\nrole = \"commander\"\nparticipants = [\"bob\", \"alice\"]\n\
         handoff = \"0 30 10 * * Sat\"\ntime_zone = \"UTC\"\nstart = \"2026-11-14T10:30:00Z\"\n\
         [oncall]\noperations = \"bob\"\ncommunications = \"carol\"\nduty_manager = \"bob\"\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"commander\", \"operations\", \"duty_manager\"]\ndirect = true\n\
         [[escalation.steps]]\nafter = \"15m\"\nnotify = [\"duty_manager\"]\nhere = true\npage = true\nrepeat = 1\n\
         [paging]\nwebhook_url = \"{pager}\"\ntoken = \"e2e-pager-token\"\ntimeout = \"2s\"\n\
         [tasks]\nreminder_interval = \"10m\"\nmax_reminders = 1\nfollowup = \"48h\"\n\
         [status_updates]\nsev1 = \"30m\"\n"
    )
}

/// The kinds this issue added, and the transitions (ack, resolve) that stop or end them.
const TIME_KINDS: [&str; 10] = [
    "state_changed",
    "escalation_step",
    "status_update_reminded",
    "task_added",
    "task_reminded",
    "task_escalated",
    "task_done",
    "status_update",
    "task_assigned",
    "task_snoozed",
];

#[tokio::test]
async fn one_incident_from_hand_off_to_follow_up_in_the_bots_own_words() {
    let pager = PageReceiver::start(&[]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    let incident = "INC-20261121-001";

    // 10:30 — the hand-off is announced in general; nothing else has happened yet. The
    // engine sets the hand-off deadline on its first `Due` after start, which may come after
    // a first turn of the clock: the deadline it sets from 10:29 is the same one.
    bot.advance(minutes(29));
    let shown = bot.slash("vic", "general", "/oncall").await;
    assert!(
        shown
            .text
            .contains("Incident Commander: bob (rotation), then alice from 2026-11-21 10:30"),
        "{}",
        shown.text
    );
    bot.advance(minutes(1));
    let handoff = wait_for_texts(&bot, "general", "On-call hand-off", 1).await;
    assert_eq!(handoff.len(), 1, "{handoff:#?}");
    assert!(
        handoff[0].contains("alice is now on call as Incident Commander"),
        "{}",
        handoff[0]
    );

    // The alert opens a sev1 whose commander is the new holder.
    bot.alert(
        "alertmanager",
        &am_alert("fp-e2e", "checkout", "critical", "firing"),
    )
    .await;
    let room = bot.room_of(incident).await;
    let opened = start_time() + minutes(30);
    let record = bot.incident(incident).await;
    assert_eq!(record["roles"]["commander"], json!("alice"), "{record}");
    assert_eq!(record["severity"], json!("sev1"), "{record}");

    // 10:35 — step one calls commander, operations and the duty manager in the room and
    // by direct message.
    bot.advance(minutes(5));
    let steps = wait_for_entries(&bot, incident, "escalation_step", 1).await;
    assert_eq!(steps[0]["step"], json!(1));
    assert_eq!(steps[0]["how"], json!(["room", "direct"]));
    assert_eq!(at(&steps[0]), opened + minutes(5));
    let posted = wait_for_texts(&bot, &room, "escalation step 1", 1).await;
    assert!(
        posted[0].contains("@alice") && posted[0].contains("@bob"),
        "{}",
        posted[0]
    );
    for user in ["alice", "bob"] {
        let direct = wait_for_direct(&bot, user, "the step one direct message", |messages| {
            !texts_with(messages, "escalation step 1 calls you").is_empty()
        })
        .await;
        let text = texts_with(&direct, "escalation step 1 calls you");
        assert_eq!(text.len(), 1, "{user}: {direct:#?}");
        assert!(text[0].contains(incident), "{}", text[0]);
    }

    // 10:45 — step two calls @here and pages, once, with its key and the bearer token.
    bot.advance(minutes(10));
    let steps = wait_for_entries(&bot, incident, "escalation_step", 2).await;
    assert_eq!(steps[1]["step"], json!(2));
    assert_eq!(steps[1]["how"], json!(["room", "here", "page"]));
    let here = wait_for_texts(&bot, &room, "escalation step 2", 1).await;
    assert!(here[0].contains("@here"), "{}", here[0]);
    let pages = pager.wait_for(1).await;
    assert_eq!(
        pages[0].idempotency_key.as_deref(),
        Some("page:INC-20261121-001:2:0")
    );
    assert_eq!(
        pages[0].authorization.as_deref(),
        Some("Bearer e2e-pager-token")
    );
    assert_eq!(pages[0].body["incident"], json!(incident));
    assert_eq!(pages[0].body["step"], json!(2));

    // The ack stops escalation: an hour on (the step-two repeat was due at 11:00), the
    // status reminders of 11:00 and 11:30 fire, and no step and no page follow. The clock
    // turns in steps: one jump over both would be downtime, firing one reminder.
    let ack = bot.slash("alice", &room, "/incident ack").await;
    assert!(ack.ok, "{}", ack.text);
    bot.advance(minutes(15));
    wait_for_entries(&bot, incident, "status_update_reminded", 1).await;
    bot.advance(minutes(30));
    let reminded = wait_for_entries(&bot, incident, "status_update_reminded", 2).await;
    assert_eq!(at(&reminded[0]), opened + minutes(30));
    assert_eq!(at(&reminded[1]), opened + minutes(60));
    let nudges = wait_for_texts(&bot, &room, "has had no status update", 2).await;
    assert!(
        nudges[0].contains("@alice") && nudges[0].contains("@carol"),
        "{}",
        nudges[0]
    );
    assert_eq!(entries(&bot, incident, "escalation_step").await.len(), 2);
    assert_eq!(pager.received().len(), 1, "no page after the ack");
    bot.advance(minutes(15));
    let now = opened + minutes(75);

    // 11:45 — an overdue task reminds carol at 11:55, then asks the commander at 12:05.
    let added = bot
        .slash(
            "alice",
            &room,
            "/task add \"roll back the config\" @carol 10m",
        )
        .await;
    assert!(added.ok && added.text.contains("T1"), "{added:?}");
    bot.advance(minutes(10));
    let task_reminded = wait_for_entries(&bot, incident, "task_reminded", 1).await;
    assert_eq!(task_reminded[0]["to"], json!("carol"));
    assert_eq!(task_reminded[0]["tasks"], json!(["T1"]));
    assert_eq!(at(&task_reminded[0]), now + minutes(10));
    let reminder = wait_for_texts(&bot, &room, "is overdue", 1).await;
    assert!(
        reminder[0].contains("@carol") && reminder[0].contains("task T1"),
        "{}",
        reminder[0]
    );
    bot.advance(minutes(5));
    wait_for_entries(&bot, incident, "status_update_reminded", 3).await;
    bot.advance(minutes(5));
    let escalated = wait_for_entries(&bot, incident, "task_escalated", 1).await;
    assert_eq!(escalated[0]["role"], json!("commander"));
    assert_eq!(escalated[0]["to"], json!("alice"));
    let follow = wait_for_texts(&bot, &room, "please follow up", 1).await;
    assert!(
        follow[0].contains("carol has 1 overdue task (T1)")
            && follow[0].contains("Incident Commander @alice"),
        "{}",
        follow[0]
    );

    // 12:05 — done; and a status update, posted in the room and announced in general.
    let done = bot.slash("carol", &room, "/task done T1").await;
    assert!(done.ok, "{}", done.text);
    let update = bot
        .slash(
            "carol",
            &room,
            "/incident update rolled back, error rate falling",
        )
        .await;
    assert!(update.ok, "{}", update.text);
    let updated_at = now + minutes(20);
    let in_room = wait_for_texts(&bot, &room, "Status update from carol", 1).await;
    assert!(
        in_room[0].contains("rolled back, error rate falling"),
        "{}",
        in_room[0]
    );
    let announced = wait_for_texts(&bot, "general", "rolled back, error rate falling", 1).await;
    assert!(
        announced[0].contains(incident) && announced[0].contains("sev1"),
        "{}",
        announced[0]
    );

    // 12:35 — no update for 30 minutes: reminded, counted from the update. The duty
    // manager's rung of the done task (due 12:15) never came.
    bot.advance(minutes(30));
    let reminded_after =
        wait_for_entry_after(&bot, incident, "status_update_reminded", updated_at).await;
    assert_eq!(at(&reminded_after), updated_at + minutes(30));
    assert_eq!(entries(&bot, incident, "task_reminded").await.len(), 1);
    assert_eq!(entries(&bot, incident, "task_escalated").await.len(), 1);

    // Resolved; a task added now is a follow-up due two days on, and fires then.
    let resolved = bot.slash("alice", &room, "/incident resolve").await;
    assert!(resolved.ok, "{}", resolved.text);
    let resolved_at = updated_at + minutes(30);
    let followup = bot
        .slash("alice", &room, "/task add \"write the postmortem\" @carol")
        .await;
    assert!(
        followup.ok && followup.text.contains("follow-up") && followup.text.contains("T2"),
        "{followup:?}"
    );
    bot.advance(chrono::Duration::hours(48));
    let task_reminded = wait_for_entries(&bot, incident, "task_reminded", 2).await;
    assert_eq!(task_reminded[1]["tasks"], json!(["T2"]));
    assert_eq!(
        at(&task_reminded[1]),
        resolved_at + chrono::Duration::hours(48)
    );

    // The whole story, in order, as the timeline tells it.
    let kinds: Vec<String> = bot
        .timeline_kinds(incident)
        .await
        .into_iter()
        .filter(|kind| TIME_KINDS.contains(&kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            "escalation_step",
            "escalation_step",
            "state_changed",
            "status_update_reminded",
            "status_update_reminded",
            "task_added",
            "task_reminded",
            "status_update_reminded",
            "task_escalated",
            "task_done",
            "status_update",
            "status_update_reminded",
            "state_changed",
            "task_added",
            "task_reminded",
        ]
    );
    // Nothing after the ack or the done: still two steps, one page, one escalation of T1.
    assert_eq!(entries(&bot, incident, "escalation_step").await.len(), 2);
    assert_eq!(pager.received().len(), 1);
    assert_eq!(entries(&bot, incident, "task_escalated").await.len(), 1);
    // One hand-off announcement: the next is a week away.
    assert_eq!(
        texts_with(&bot.messages("general").await, "On-call hand-off").len(),
        1
    );
}

/// On Discord a step with `direct = true` sends each callee a direct message in their own
/// language that pings nobody, and its room post pings exactly the callees.
#[tokio::test]
async fn on_discord_a_direct_step_messages_each_callee_in_their_language_and_pings_only_them() {
    use crate::discord::{ALICE, BOB, WANG, guild_config, incident_channel, wait_until};
    use crate::support::fake_discord::FakeDiscord;

    let fake = FakeDiscord::start().await;
    let (discord, _category) = guild_config(&fake, |_, _| String::new());
    // alice commands (by [oncall]), bob runs operations, and the duty managers known by
    // [[users]] are alice and wang, who reads Chinese.
    let bot = TestBot::spawn_discord(&format!(
        "{discord}\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"commander\", \"operations\", \"duty_manager\"]\ndirect = true\n\
         [[users]]\nname = \"alice\"\nroles = [\"commander\", \"duty_manager\"]\ndiscord_id = \"{ALICE}\"\n\
         [[users]]\nname = \"bob\"\nroles = [\"operations\"]\ndiscord_id = \"{BOB}\"\n\
         [[users]]\nname = \"wang\"\nroles = [\"duty_manager\"]\ndiscord_id = \"{WANG}\"\nlocale = \"zh-CN\"\n"
    ))
    .await;
    assert!(
        fake.wait_ready(Duration::from_secs(20)).await,
        "warroom never identified"
    );
    wait_until("warroom ready", || async {
        bot.get("/readyz").await.1["chat"] == json!(true)
    })
    .await;
    let channel = incident_channel(&fake, &bot).await;
    let incident = "INC-20261121-001";

    bot.advance(minutes(5));
    wait_until("three direct messages", || async {
        [ALICE, BOB, WANG]
            .iter()
            .all(|user| !fake.dm_messages(*user).is_empty())
    })
    .await;
    for (user, words) in [
        (ALICE, "escalation step 1 calls you"),
        (BOB, "escalation step 1 calls you"),
        (WANG, "升级第 1 步通知你"),
    ] {
        let direct = fake.dm_messages(user);
        assert_eq!(direct.len(), 1, "{user}: {direct:#?}");
        assert!(
            direct[0].content.contains(words) && direct[0].content.contains(incident),
            "{user}: {}",
            direct[0].content
        );
        assert!(direct[0].pings.is_empty(), "{user}: {:?}", direct[0].pings);
        assert_eq!(
            direct[0].allowed_mentions.as_ref().map(|m| &m["parse"]),
            Some(&json!([])),
            "{user}: {:?}",
            direct[0].allowed_mentions
        );
    }

    // The room post goes through its own lane: it may land after the direct messages.
    let step_posts = || {
        fake.messages(channel.id)
            .into_iter()
            .filter(|message| message.content.contains("escalation step 1"))
            .collect::<Vec<_>>()
    };
    wait_until("the step one room post", || async {
        !step_posts().is_empty()
    })
    .await;
    let posts = step_posts();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    let mut pinged = posts[0].pings.users.clone();
    pinged.sort_unstable();
    let mut callees = vec![ALICE, BOB, WANG];
    callees.sort_unstable();
    assert_eq!(pinged, callees, "{}", posts[0].content);
    assert!(posts[0].pings.roles.is_empty(), "{:?}", posts[0].pings);
    assert!(!posts[0].pings.everyone, "{:?}", posts[0].pings);
    fake.assert_no_violations();
}
