//! The war room in Discord: the real serenity client against the fake Discord.

use std::time::Duration;

use serde_json::json;

use crate::support::TestBot;
use crate::support::fake_discord::{CHANNEL_CATEGORY, FakeDiscord};

pub(crate) const DUTY_ROLE: u64 = 920_000_000_000_000_001;
pub(crate) const RESPONDER_ROLE: u64 = 920_000_000_000_000_002;
pub(crate) const ALICE: u64 = 930_000_000_000_000_001; // duty manager, on call as commander
pub(crate) const BOB: u64 = 930_000_000_000_000_002; // responder, on call for operations
pub(crate) const WANG: u64 = 930_000_000_000_000_003; // responder who reads Chinese
pub(crate) const MALLORY: u64 = 930_000_000_000_000_009; // in the guild, no mapped role

/// A fake guild with the roles, people and incidents category, and warroom connected to it.
pub(crate) async fn war_room() -> (FakeDiscord, TestBot, u64) {
    let fake = FakeDiscord::start().await;
    fake.add_role(DUTY_ROLE, "duty-manager");
    fake.add_role(RESPONDER_ROLE, "responder");
    fake.add_member(ALICE, "alice", &[DUTY_ROLE], "en-US");
    fake.add_member(BOB, "bob", &[RESPONDER_ROLE], "en-US");
    fake.add_member(WANG, "wang", &[RESPONDER_ROLE], "zh-CN");
    fake.add_member(MALLORY, "mallory", &[], "en-US");
    let category = fake.add_channel("Incidents", CHANNEL_CATEGORY, None);
    let config = format!(
        "guild_id = \"{guild}\"\nincidents_category_id = \"{category}\"\napi_base = \"{url}\"\n\
         [discord.roles]\n\"{DUTY_ROLE}\" = [\"duty_manager\"]\n\"{RESPONDER_ROLE}\" = [\"responder\"]\n\
         [oncall]\ncommander = \"{ALICE}\"\noperations = \"{BOB}\"\n",
        guild = fake.guild_id(),
        url = fake.url(),
    );
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

pub(crate) async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
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
        subcommands.contains(&"ack") && subcommands.contains(&"declare"),
        "{subcommands:?}"
    );

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
    assert_eq!(answer.text(), "INC-20261121-001 is now resolved.");
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "resolved");

    // Reactions reach the timeline with the reacting user.
    fake.react(BOB, channel.id, card_id, "✅");
    wait_until("the reaction on the timeline", || async {
        bot.timeline("INC-20261121-001")
            .await
            .iter()
            .any(|e| e["kind"] == "reaction_added" && e["actor"] == format!("user:{BOB}"))
    })
    .await;
    fake.assert_no_violations();
}

#[tokio::test]
async fn unmapped_users_are_refused_and_chinese_speakers_answered_in_chinese() {
    let (fake, bot, _) = war_room().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    wait_until("the channel", || async {
        fake.channel_by_name("inc-20261121-001").is_some()
    })
    .await;
    let channel = fake.channel_by_name("inc-20261121-001").unwrap();

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
