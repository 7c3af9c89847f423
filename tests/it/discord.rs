//! The war room in Discord: the real serenity client against the fake Discord.

use std::time::Duration;

use serde_json::json;

use crate::support::TestBot;
use crate::support::fake_discord::{
    CHANNEL_CATEGORY, CHANNEL_TEXT, FakeChannel, FakeConfig, FakeDiscord, RouteLimit,
};

pub(crate) const DUTY_ROLE: u64 = 920_000_000_000_000_001;
pub(crate) const RESPONDER_ROLE: u64 = 920_000_000_000_000_002;
pub(crate) const ALICE: u64 = 930_000_000_000_000_001; // duty manager, on call as commander
pub(crate) const BOB: u64 = 930_000_000_000_000_002; // responder, on call for operations
pub(crate) const WANG: u64 = 930_000_000_000_000_003; // responder who reads Chinese
pub(crate) const MALLORY: u64 = 930_000_000_000_000_009; // in the guild, no mapped role

/// A fake guild with the roles, people and incidents category, and warroom connected to it.
pub(crate) async fn war_room() -> (FakeDiscord, TestBot, u64) {
    war_room_with(|_fake, _category| String::new()).await
}

/// Like [`war_room`], with `more` adding guild setup and config lines (given the fake and the
/// incidents category) before warroom starts.
pub(crate) async fn war_room_with(
    more: impl Fn(&FakeDiscord, u64) -> String,
) -> (FakeDiscord, TestBot, u64) {
    war_room_on(FakeDiscord::start().await, more).await
}

/// Like [`war_room_with`], on a fake started with its own configuration.
pub(crate) async fn war_room_on(
    fake: FakeDiscord,
    more: impl Fn(&FakeDiscord, u64) -> String,
) -> (FakeDiscord, TestBot, u64) {
    let (config, category) = guild_config(&fake, more);
    let bot = TestBot::spawn_discord(&config).await;
    assert!(
        fake.wait_ready(Duration::from_secs(20)).await,
        "warroom never identified"
    );
    wait_until("warroom ready", || async {
        bot.get("/readyz").await.1["chat"] == json!(true)
    })
    .await;
    (fake, bot, category)
}

/// Sets up the fake guild (roles, people, the incidents category) and returns the
/// `[discord]` config lines for it, without the token, and the category id.
pub(crate) fn guild_config(
    fake: &FakeDiscord,
    more: impl Fn(&FakeDiscord, u64) -> String,
) -> (String, u64) {
    fake.add_role(DUTY_ROLE, "duty-manager");
    fake.add_role(RESPONDER_ROLE, "responder");
    fake.add_member(ALICE, "alice", &[DUTY_ROLE], "en-US");
    fake.add_member(BOB, "bob", &[RESPONDER_ROLE], "en-US");
    fake.add_member(WANG, "wang", &[RESPONDER_ROLE], "zh-CN");
    fake.add_member(MALLORY, "mallory", &[], "en-US");
    let category = fake.add_channel("Incidents", CHANNEL_CATEGORY, None);
    let extra = more(fake, category);
    let config = format!(
        "{extra}\nguild_id = \"{guild}\"\nincidents_category_id = \"{category}\"\napi_base = \"{url}\"\n\
         [discord.roles]\n\"{DUTY_ROLE}\" = [\"duty_manager\"]\n\"{RESPONDER_ROLE}\" = [\"responder\"]\n\
         [oncall]\ncommander = \"{ALICE}\"\noperations = \"{BOB}\"\n",
        guild = fake.guild_id(),
        url = fake.url(),
    );
    (config, category)
}

/// Posts the Alertmanager firing fixture and returns the incident channel once it exists.
pub(crate) async fn incident_channel(fake: &FakeDiscord, bot: &TestBot) -> FakeChannel {
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    wait_until("the incident channel", || async {
        fake.channel_by_name("inc-20261121-001").is_some()
    })
    .await;
    fake.channel_by_name("inc-20261121-001").unwrap()
}

pub(crate) async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    // Generous: a bound for a busy CI machine, not a speed requirement.
    for _ in 0..1200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn registers_localized_commands_and_opens_a_channel_with_a_pinned_card() {
    let (fake, bot, category) = war_room().await;
    let incident = fake.command("incident").expect("/incident registered");
    assert_eq!(
        incident["name_localizations"]["zh-CN"], "事件",
        "{incident:#}"
    );
    let subcommands: Vec<&str> = incident["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        subcommands.contains(&"ack")
            && subcommands.contains(&"declare")
            && subcommands.contains(&"list"),
        "{subcommands:?}"
    );
    // Options carry their own kinds and bounds from the command tree.
    let status = incident["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "status")
        .unwrap();
    assert_eq!(status["options"][0]["name"], "id", "{status:#}");
    assert_eq!(status["options"][0]["required"], false, "{status:#}");
    let timeline = fake.command("timeline").expect("/timeline registered");
    let limit = &timeline["options"][0];
    assert_eq!(limit["type"], 4, "{timeline:#}");
    assert_eq!(limit["min_value"], 1, "{timeline:#}");
    assert_eq!(limit["max_value"], 50, "{timeline:#}");

    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    wait_until("the incident channel", || async {
        fake.channel_by_name("inc-20261121-001").is_some()
    })
    .await;
    let channel = fake.channel_by_name("inc-20261121-001").unwrap();
    assert_eq!(channel.name, "inc-20261121-001-checkout-api-p99-latency-2s");
    assert_eq!(channel.parent_id, Some(category));
    assert!(
        channel
            .topic
            .as_deref()
            .unwrap_or_default()
            .contains("SEV1")
    );
    wait_until("card and mentions", || async {
        fake.messages(channel.id).len() >= 2
    })
    .await;
    let messages = fake.messages(channel.id);
    let card = messages.iter().find(|m| m.pinned).expect("a pinned card");
    assert!(
        card.text().contains("Checkout API p99 latency > 2s"),
        "{}",
        card.text()
    );
    assert_eq!(
        card.custom_ids(),
        [
            "inc:acknowledge:INC-20261121-001",
            "inc:mitigate:INC-20261121-001",
            "inc:resolve:INC-20261121-001"
        ]
    );
    let mentions = messages.iter().find(|m| !m.pinned).unwrap();
    assert!(
        mentions.content.contains(&format!("<@{ALICE}>")),
        "{}",
        mentions.content
    );
    assert!(
        mentions.content.contains(&format!("<@{BOB}>")),
        "{}",
        mentions.content
    );
    // The incident knows its channel.
    let stored = bot.incident("INC-20261121-001").await;
    assert_eq!(stored["room"], channel.id.to_string());
    fake.assert_no_violations();
}

#[tokio::test]
async fn slash_commands_and_buttons_change_state_and_edit_the_card() {
    let (fake, bot, _) = war_room().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    wait_until("the card", || async {
        fake.channel_by_name("inc-20261121-001")
            .is_some_and(|c| fake.messages(c.id).iter().any(|m| m.pinned))
    })
    .await;
    let channel = fake.channel_by_name("inc-20261121-001").unwrap();

    let ack = fake.slash(BOB, channel.id, &["incident", "ack"], &[], Some("en-US"));
    let answer = ack.wait_followups(1, Duration::from_secs(10)).await;
    assert!(answer.ack_latency().unwrap() < Duration::from_secs(3));
    assert!(answer.ephemeral());
    assert_eq!(answer.text(), "INC-20261121-001 is now acknowledged.");
    assert_eq!(
        bot.incident("INC-20261121-001").await["state"],
        "acknowledged"
    );

    let card_id = fake
        .messages(channel.id)
        .iter()
        .find(|m| m.pinned)
        .unwrap()
        .id;
    wait_until("the card edited to acknowledged", || async {
        fake.message(channel.id, card_id).is_some_and(|m| {
            m.edits >= 1
                && !m
                    .custom_ids()
                    .iter()
                    .any(|id| id.starts_with("inc:acknowledge"))
        })
    })
    .await;

    let click = fake.click(
        ALICE,
        channel.id,
        card_id,
        "inc:resolve:INC-20261121-001",
        Some("en-US"),
    );
    let answer = click.wait_followups(1, Duration::from_secs(10)).await;
    // Its alert still fires, and the reply says so.
    assert_eq!(
        answer.text(),
        "INC-20261121-001 is now resolved. ⚠️ Alerts still firing: 1. Check them, or reopen if the problem is back."
    );
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "resolved");

    // Reactions reach the timeline with the reacting user; only emoji do.
    fake.react(BOB, channel.id, card_id, "hello");
    fake.react(BOB, channel.id, card_id, "✅");
    wait_until("the reaction on the timeline", || async {
        bot.timeline("INC-20261121-001")
            .await
            .iter()
            .any(|e| e["kind"] == "reaction_added" && e["actor"] == format!("user:{BOB}"))
    })
    .await;
    let emoji: Vec<String> = bot
        .timeline("INC-20261121-001")
        .await
        .iter()
        .filter(|e| e["kind"] == "reaction_added")
        .map(|e| e["emoji"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emoji, ["✅"]);
    fake.assert_no_violations();
}

#[tokio::test]
async fn unmapped_users_are_refused_and_chinese_speakers_answered_in_chinese() {
    let (fake, bot, _) = war_room().await;
    let channel = incident_channel(&fake, &bot).await;

    let refused = fake.slash(
        MALLORY,
        channel.id,
        &["incident", "resolve"],
        &[],
        Some("en-US"),
    );
    let answer = refused.wait_followups(1, Duration::from_secs(10)).await;
    assert!(answer.ephemeral());
    assert!(
        answer.text().contains("no warroom role"),
        "{}",
        answer.text()
    );
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "triggered");

    let zh = fake.slash(WANG, channel.id, &["incident", "ack"], &[], Some("zh-CN"));
    let answer = zh.wait_followups(1, Duration::from_secs(10)).await;
    assert_eq!(answer.text(), "INC-20261121-001 现为已确认。");

    // A responder may not resolve; the refusal is localized too.
    let steer = fake.slash(
        WANG,
        channel.id,
        &["incident", "resolve"],
        &[],
        Some("zh-CN"),
    );
    let answer = steer.wait_followups(1, Duration::from_secs(10)).await;
    assert!(answer.text().starts_with("你无权"), "{}", answer.text());
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_full_category_overflows_and_quiet_alerts_go_to_the_alerts_channel() {
    let (fake, bot, category) = war_room_with(|fake, category| {
        // 49 channels already: the first incident takes the last place, the second overflows.
        for n in 0..49 {
            fake.add_channel(&format!("old-{n}"), CHANNEL_TEXT, Some(category));
        }
        let alerts = fake.add_channel("alerts", CHANNEL_TEXT, None);
        format!("alerts_channel_id = \"{alerts}\"")
    })
    .await;
    bot.alert(
        "alertmanager",
        &crate::support::am_alert("a1", "checkout", "critical", "firing"),
    )
    .await;
    bot.alert(
        "alertmanager",
        &crate::support::am_alert("b1", "search", "critical", "firing"),
    )
    .await;
    bot.alert(
        "alertmanager",
        &crate::support::am_alert("c1", "cache", "info", "firing"),
    )
    .await;
    wait_until("two incident channels", || async {
        fake.channel_by_name("inc-20261121-002").is_some()
    })
    .await;
    let first = fake.channel_by_name("inc-20261121-001").unwrap();
    let second = fake.channel_by_name("inc-20261121-002").unwrap();
    assert_eq!(first.parent_id, Some(category));
    let overflow = fake.channel(second.parent_id.unwrap()).unwrap();
    assert_eq!(overflow.name, "Incidents 2");
    assert_eq!(overflow.kind, CHANNEL_CATEGORY);
    let alerts = fake.channel_by_name("alerts").unwrap();
    wait_until("the quiet alert", || async {
        !fake.messages(alerts.id).is_empty()
    })
    .await;
    assert!(
        fake.messages(alerts.id)[0]
            .content
            .contains("SEV4 HighErrorRate on cache")
    );
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_full_guild_is_retried_loudly_and_the_room_follows_once_there_is_space() {
    let (fake, bot, _) = war_room_with(|fake, _category| {
        // Discord's 500 channels per guild, counting the category and what war_room adds.
        let existing = fake.channels().len();
        for n in existing..500 {
            fake.add_channel(&format!("filler-{n}"), CHANNEL_TEXT, None);
        }
        String::new()
    })
    .await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    // The room cannot be opened yet: warroom does not even try to create it, and keeps the
    // item (and the card and mentions behind it in the room's lane) to retry, since an admin
    // can make space.
    wait_until("a retried room creation", || async {
        fake.count("GET /guilds/{guild}/channels") >= 2
    })
    .await;
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "triggered");
    assert!(fake.channel_by_name("inc-").is_none());
    assert_eq!(
        fake.count("POST /guilds/{guild}/channels"),
        0,
        "warroom must not even try"
    );
    // An admin archives a channel: the room follows, and the card behind it in its lane
    // (neither was dropped meanwhile).
    let filler = fake
        .channels()
        .into_iter()
        .find(|channel| channel.name.starts_with("filler-"))
        .unwrap();
    fake.remove_channel(filler.id);
    wait_until("the incident channel", || async {
        fake.channel_by_name("inc-20261121-001").is_some()
    })
    .await;
    let room = fake.channel_by_name("inc-20261121-001").unwrap();
    wait_until("the card in the new room", || async {
        !fake.messages(room.id).is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_private_category_gives_the_on_call_people_access() {
    let (fake, bot, _) =
        war_room_with(|_fake, _category| "private_category = true".to_owned()).await;
    let channel = incident_channel(&fake, &bot).await;
    let overwrites = channel.permission_overwrites.to_string();
    for person in [ALICE, BOB] {
        assert!(
            overwrites.contains(&person.to_string()),
            "{person} lacks access: {overwrites}"
        );
    }
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_stricter_discord_answers_429_and_the_outbox_backs_off_and_delivers() {
    // Discord tightens a route below warroom's own pacing: 1 message per 2 s per channel.
    let mut config = FakeConfig::default();
    for limit in &mut config.route_limits {
        if limit.route == "POST /channels/{id}/messages" {
            *limit = RouteLimit {
                route: limit.route.clone(),
                limit: 1,
                window: Duration::from_secs(2),
            };
        }
    }
    let (fake, bot, _) =
        war_room_on(FakeDiscord::start_with(config).await, |_, _| String::new()).await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    wait_until("card and mentions despite the 429s", || async {
        fake.channel_by_name("inc-20261121-001")
            .is_some_and(|c| fake.messages(c.id).len() == 2)
    })
    .await;
    // warroom learns the tighter bucket from Discord's answers (what remains, when it
    // resets), so it is refused at most once.
    assert!(
        fake.rate_limited_count() <= 1,
        "refused {} times",
        fake.rate_limited_count()
    );
    let channel = fake.channel_by_name("inc-20261121-001").unwrap();
    let messages = fake.messages(channel.id);
    assert!(messages[0].pinned && messages[1].content.contains("needs you"));
    fake.assert_no_violations();
}
