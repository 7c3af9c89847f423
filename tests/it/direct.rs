//! Direct messages and announcements: the console's `dm-<user>` rooms, readable only by
//! their person; Discord DM channels through the fake (opened once, no pings, a closed DM
//! logged and dropped, not retried); the announcement channel. The duty manager's
//! status-update message is the direct message that drives them.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::discord::{ALICE, BOB, WANG, guild_config, incident_channel, wait_until};
use crate::status_updates::{wait_for_direct, wait_for_reminders};
use crate::support::fake_discord::{CHANNEL_TEXT, FakeDiscord};
use crate::support::{READER_TOKEN, TestBot, am_alert, user_token};

fn token(user: &str) -> String {
    user_token(user).expect("a harness user")
}

fn room_ids(rooms: &Value) -> Vec<String> {
    rooms
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|room| room["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_console_direct_room_is_listed_read_and_used_by_its_person_alone() {
    // A reminder every minute: the second tells the duty managers (alice, bob) directly.
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[status_updates]\nsev1 = \"1m\"\n\
         [oncall]\ncommander = \"alice\"\n",
    )
    .await;
    let incident = "INC-20261121-001";
    bot.alert(
        "alertmanager",
        &am_alert("fp-1", "checkout", "critical", "firing"),
    )
    .await;
    bot.room_of(incident).await;
    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, incident, 1).await;
    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, incident, 2).await;
    let alice_messages = wait_for_direct(&bot, "alice", "alice's direct message", |messages| {
        !messages.is_empty()
    })
    .await;
    wait_for_direct(&bot, "bob", "bob's direct message", |messages| {
        !messages.is_empty()
    })
    .await;
    let message = alice_messages[0]["id"].as_str().unwrap().to_owned();
    assert!(
        alice_messages[0]["text"]
            .as_str()
            .unwrap()
            .contains(incident),
        "{alice_messages:#?}"
    );

    // Listing: each person sees their own direct room and nobody else's; the integration's
    // read token sees none.
    let (status, listed) = bot
        .get_with("/console/api/rooms?limit=500", Some(&token("alice")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed = room_ids(&listed);
    assert!(listed.contains(&"dm-alice".to_owned()), "{listed:?}");
    assert!(!listed.contains(&"dm-bob".to_owned()), "{listed:?}");
    let everyone = room_ids(&bot.get("/console/api/rooms?limit=500").await.1);
    assert!(
        everyone.iter().all(|room| !room.starts_with("dm-")),
        "{everyone:?}"
    );
    assert!(everyone.contains(&"general".to_owned()), "{everyone:?}");
    // Paging one at a time as bob walks past alice's room.
    let mut after = String::new();
    let mut walked = Vec::new();
    loop {
        let response = bot
            .get_response(
                &format!("/console/api/rooms?limit=1&after={after}"),
                Some(&token("bob")),
            )
            .await;
        let next = response
            .headers()
            .get("x-next-after")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        walked.extend(room_ids(&response.json().await.unwrap()));
        match next {
            Some(next) => after = next,
            None => break,
        }
    }
    assert!(walked.contains(&"dm-bob".to_owned()), "{walked:?}");
    assert!(!walked.contains(&"dm-alice".to_owned()), "{walked:?}");

    // Reading: only alice's token reads dm-alice; anyone else gets the answer a missing room
    // gets.
    let path = "/console/api/rooms/dm-alice/messages";
    assert_eq!(
        bot.get_with(path, Some(&token("alice"))).await.0,
        StatusCode::OK
    );
    for other in [
        Some(token("bob")),
        Some(READER_TOKEN.to_owned()),
        Some(token("vic")),
    ] {
        let (status, body) = bot.get_with(path, other.as_deref()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other:?}: {body}");
        assert_eq!(body["error"], json!("no room \"dm-alice\""));
    }
    assert_eq!(bot.get_with(path, None).await.0, StatusCode::UNAUTHORIZED);

    // Acting: alice may type in her room; bob may neither type there nor react to her
    // messages.
    let help = bot.slash("alice", "dm-alice", "/help").await;
    assert!(help.ok, "{}", help.text);
    let typed = bot.slash("bob", "dm-alice", "/help").await;
    assert_eq!(typed.status, StatusCode::NOT_FOUND, "{}", typed.text);
    let reacted = bot.react("bob", &message, "👍").await;
    assert_eq!(reacted.status, StatusCode::NOT_FOUND, "{}", reacted.text);
    let own = bot.react("alice", &message, "👍").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
}

#[tokio::test]
async fn discord_direct_messages_ping_nobody_speak_the_readers_language_and_a_closed_dm_is_dropped()
{
    let fake = FakeDiscord::start().await;
    let (config, _) = guild_config(&fake, |fake, _| {
        let announce = fake.add_channel("announcements", CHANNEL_TEXT, None);
        format!("announce_channel_id = \"{announce}\"")
    });
    // Three duty managers, by Discord id: the direct lane sends in id order (alice, bob,
    // wang), so wang's message arriving means bob's was settled, not left to retry.
    let config = format!(
        "{config}\n[status_updates]\nsev1 = \"1m\"\n\
         [[users]]\nname = \"alice\"\nroles = [\"duty_manager\"]\ndiscord_id = \"{ALICE}\"\n\
         [[users]]\nname = \"bob\"\nroles = [\"duty_manager\"]\ndiscord_id = \"{BOB}\"\n\
         [[users]]\nname = \"wang\"\nroles = [\"duty_manager\"]\ndiscord_id = \"{WANG}\"\nlocale = \"zh-CN\"\n"
    );
    fake.close_dms(BOB);
    let bot = TestBot::spawn_discord(&config).await;
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

    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, incident, 1).await;
    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, incident, 2).await;
    wait_until("wang's direct message", || async {
        !fake.dm_messages(WANG).is_empty()
    })
    .await;

    let to_alice = fake.dm_messages(ALICE);
    assert_eq!(to_alice.len(), 1, "{to_alice:#?}");
    assert!(
        to_alice[0].content.contains(incident) && to_alice[0].content.contains("duty manager"),
        "{}",
        to_alice[0].content
    );
    assert!(to_alice[0].pings.is_empty(), "{:?}", to_alice[0].pings);
    assert_eq!(
        to_alice[0].allowed_mentions.as_ref().map(|m| &m["parse"]),
        Some(&json!([])),
        "a direct message allows no mentions: {:?}",
        to_alice[0].allowed_mentions
    );
    let to_wang = fake.dm_messages(WANG);
    assert!(
        to_wang[0].content.contains("值班经理"),
        "{}",
        to_wang[0].content
    );

    // bob closed his DMs: one attempt per message, answered 50007, and dropped.
    let bob_channel = fake.dm_channel(BOB).expect("bob's DM channel was opened");
    let attempts = |fake: &FakeDiscord| {
        fake.calls()
            .iter()
            .filter(|call| {
                call.route == "POST /channels/{id}/messages"
                    && call.path.contains(&bob_channel.to_string())
            })
            .map(|call| call.status)
            .collect::<Vec<_>>()
    };
    assert_eq!(attempts(&fake), [403]);
    assert!(fake.dm_messages(BOB).is_empty());

    // The third reminder: a second message each, and still one attempt each for bob. The DM
    // channels were opened once.
    bot.advance(chrono::Duration::minutes(1));
    wait_for_reminders(&bot, incident, 3).await;
    wait_until("wang's second direct message", || async {
        fake.dm_messages(WANG).len() == 2
    })
    .await;
    assert_eq!(fake.dm_messages(ALICE).len(), 2);
    assert_eq!(attempts(&fake), [403, 403]);
    assert_eq!(fake.count("POST /users/@me/channels"), 3);

    // A status update typed in Discord is announced in the announcement channel, calling
    // nobody there.
    let announce = fake.channel_by_name("announcements").unwrap().id;
    fake.slash(
        ALICE,
        channel.id,
        &["incident", "update"],
        &[("text", json!("failover done"))],
        None,
    );
    wait_until("the announcement", || async {
        fake.messages(announce)
            .iter()
            .any(|message| message.content.contains("failover done"))
    })
    .await;
    let announced = fake.messages(announce);
    assert!(announced[0].content.contains(incident), "{announced:#?}");
    assert!(announced[0].pings.is_empty());
    fake.assert_no_violations();
}
