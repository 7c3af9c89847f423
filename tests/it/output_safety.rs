//! Output safety: text from outside (alert names, annotations, notes) can neither ping nor
//! format nor spoof a link in Discord, every Discord message lists exactly whom it calls in
//! `allowed_mentions`, notices name people by display name, and the console keeps text as
//! typed. Discord tests run the real serenity client against the fake Discord, which honours
//! `allowed_mentions` the way Discord does and records who each message would have pinged.

use std::time::Duration;

use serde_json::json;

use crate::discord::{ALICE, BOB, DUTY_ROLE, wait_until, war_room};
use crate::support::TestBot;
use crate::support::fake_discord::FakeDiscord;

const ZWSP: char = '\u{200B}';

/// An Alertmanager firing whose name and annotations try to ping and spoof.
fn hostile_alert() -> String {
    json!({
        "receiver": "warroom",
        "status": "firing",
        "alerts": [{
            "status": "firing",
            "labels": {
                "alertname": format!("@here <@&{DUTY_ROLE}>"),
                "service": "checkout-api",
                "severity": "critical"
            },
            "annotations": {
                "summary": format!("@here <@&{DUTY_ROLE}> [link](https://evil.example)"),
                "description": "[link](https://evil.example) **urgent** @everyone"
            },
            "startsAt": "2026-11-21T09:58:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.local/graph",
            "fingerprint": "0badc0de0badc0de"
        }],
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": "{}:{alertname=\"hostile\"}",
        "truncatedAlerts": 0
    })
    .to_string()
}

/// The incident channel once the card and the mention message are in it.
async fn channel_with_card(fake: &FakeDiscord) -> u64 {
    wait_until("the card and the mentions", || async {
        fake.channel_by_name("inc-20261121-001")
            .is_some_and(|c| fake.messages(c.id).len() >= 2)
    })
    .await;
    fake.channel_by_name("inc-20261121-001").unwrap().id
}

async fn wait_for_message(fake: &FakeDiscord, channel: u64, needle: &str) -> String {
    wait_until(needle, || async {
        fake.messages(channel)
            .iter()
            .any(|m| m.content.contains(needle))
    })
    .await;
    fake.messages(channel)
        .into_iter()
        .find(|m| m.content.contains(needle))
        .unwrap()
        .content
}

#[tokio::test]
async fn hostile_alert_text_and_notes_ping_nobody_but_the_called_role_holders() {
    let (fake, bot, _) = war_room().await;
    bot.alert("alertmanager", &hostile_alert()).await;
    let channel = channel_with_card(&fake).await;

    let note = fake.slash(
        BOB,
        channel,
        &["incident", "note"],
        &[(
            "text",
            json!("@everyone wake up <@&920000000000000001> [x](https://evil.example)"),
        )],
        Some("en-US"),
    );
    let answer = note.wait_followups(1, Duration::from_secs(10)).await;
    assert!(answer.text().contains("Note added"), "{}", answer.text());
    let notice = wait_for_message(&fake, channel, "wake up").await;

    // The note is shown as typed, with nothing Discord would parse.
    assert_eq!(
        notice,
        format!(
            "📝 bob: @{ZWSP}everyone wake up \\<@{ZWSP}&920000000000000001> \\[x\\]\\(https://evil.example\\)"
        )
    );

    // The card shows the hostile name and annotations escaped, and calls nobody.
    let messages = fake.messages(channel);
    let card = messages.iter().find(|m| m.pinned).expect("a pinned card");
    let card_text = card.text();
    assert!(
        card_text.contains(&format!("@{ZWSP}here \\<@{ZWSP}&{DUTY_ROLE}>")),
        "{card_text}"
    );
    assert!(
        card_text.contains("\\[link\\]\\(https://evil.example\\) \\*\\*urgent\\*\\*"),
        "{card_text}"
    );
    assert!(!card_text.contains("[link](https://"), "{card_text}");

    // Only the message calling people into their roles pings, and only them.
    let mentions = messages
        .iter()
        .find(|m| m.content.contains("needs you"))
        .expect("the mention message");
    assert_eq!(mentions.pings.users, [ALICE, BOB], "{}", mentions.content);
    for message in &messages {
        assert!(
            !message.pings.everyone && message.pings.roles.is_empty(),
            "{message:#?}"
        );
        if message.id != mentions.id {
            assert!(message.pings.is_empty(), "{message:#?}");
        }
    }

    // Every post, edit, reply and follow-up said whom it may ping.
    let log = fake.mention_log();
    assert!(log.len() >= 4, "{log:#?}");
    for record in &log {
        let allowed = record
            .allowed_mentions
            .as_ref()
            .unwrap_or_else(|| panic!("no allowed_mentions on {record:#?}"));
        assert_eq!(allowed["parse"], json!([]), "{record:#?}");
        assert_eq!(allowed["roles"], json!([]), "{record:#?}");
        assert!(
            !record.pings.everyone && record.pings.roles.is_empty(),
            "{record:#?}"
        );
    }
    fake.assert_no_violations();
}

#[tokio::test]
async fn the_fake_pings_everything_in_content_when_allowed_mentions_is_absent() {
    // The probe the test above relies on: without allowed_mentions, Discord pings all.
    let fake = FakeDiscord::start().await;
    let channel = fake.add_channel("general", crate::support::fake_discord::CHANNEL_TEXT, None);
    let http = fake.http();
    let sent = serenity::model::id::ChannelId::new(channel)
        .say(
            &http,
            format!("@everyone <@{ALICE}> <@&{DUTY_ROLE}> \\<@{BOB}>"),
        )
        .await
        .unwrap();
    let stored = fake.message(channel, sent.id.get()).unwrap();
    assert!(stored.allowed_mentions.is_none());
    assert!(stored.pings.everyone);
    assert_eq!(stored.pings.users, [ALICE]);
    assert_eq!(stored.pings.roles, [DUTY_ROLE]);
}

#[tokio::test]
async fn notices_name_people_by_display_name_and_the_timeline_keeps_id_and_name() {
    let (fake, bot, _) = war_room().await;
    fake.set_nick(BOB, "Bob *the* Builder");
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let channel = channel_with_card(&fake).await;

    let ack = fake.slash(BOB, channel, &["incident", "ack"], &[], Some("en-US"));
    ack.wait_followups(1, Duration::from_secs(10)).await;
    let notice = wait_for_message(&fake, channel, "set the incident to").await;
    assert_eq!(
        notice,
        "Bob \\*the\\* Builder set the incident to acknowledged."
    );
    assert!(!notice.contains(&BOB.to_string()), "{notice}");

    let timeline = bot.timeline("INC-20261121-001").await;
    let changed = timeline
        .iter()
        .find(|e| e["kind"] == "state_changed")
        .expect("a state change");
    assert_eq!(changed["actor"], format!("user:{BOB}"));
    assert_eq!(changed["actor_name"], "Bob *the* Builder");

    // A role handed to someone the command names keeps their name too, and the notice uses
    // it; the one who assigned is named as well.
    let role = fake.slash(
        ALICE,
        channel,
        &["incident", "role"],
        &[
            ("role", json!("communications")),
            ("user", json!(BOB.to_string())),
        ],
        Some("en-US"),
    );
    role.wait_followups(1, Duration::from_secs(10)).await;
    let notice = wait_for_message(&fake, channel, "(assigned by").await;
    assert_eq!(
        notice,
        "Bob \\*the\\* Builder is now Communications Lead (assigned by alice)."
    );
    let timeline = bot.timeline("INC-20261121-001").await;
    let assigned = timeline
        .iter()
        .rfind(|e| e["kind"] == "role_assigned")
        .expect("the role assignment");
    assert_eq!(assigned["user"], BOB.to_string());
    assert_eq!(assigned["user_name"], "Bob *the* Builder");
    assert_eq!(assigned["actor_name"], "alice");
}

#[tokio::test]
async fn the_console_keeps_text_as_typed_and_counts_use_plurals() {
    let bot = TestBot::spawn().await;
    let firing = hostile_alert();
    bot.alert("alertmanager", &firing).await;
    let room = bot.room_of("INC-20261121-001").await;
    let card = bot.card(&room).await;
    let summary = format!("@here <@&{DUTY_ROLE}> [link](https://evil.example)");
    assert!(
        card["text"].as_str().unwrap().contains(&summary),
        "{card:#}"
    );

    let reply = bot
        .slash("alice", &room, "/incident note \"@everyone wake up *now*\"")
        .await;
    assert!(reply.ok, "{reply:?}");
    bot.wait_for_messages(&room, "the note as typed", |messages| {
        messages
            .iter()
            .any(|m| m["text"] == "📝 alice: @everyone wake up *now*")
    })
    .await;

    let resolved = firing
        .replace("\"status\": \"firing\"", "\"status\": \"resolved\"")
        .replace("\"status\":\"firing\"", "\"status\":\"resolved\"")
        .replace("0001-01-01T00:00:00Z", "2026-11-21T10:30:00Z");
    bot.alert("alertmanager", &resolved).await;
    bot.wait_for_messages(
        &room,
        "the card saying the one alert resolved",
        |messages| {
            messages.iter().any(|m| {
                m["pinned"] == json!(true)
                    && m["fields"].as_array().into_iter().flatten().any(|f| {
                        f["value"]
                            .as_str()
                            .unwrap_or_default()
                            .contains("all 1 alert resolved")
                    })
            })
        },
    )
    .await;
}

#[tokio::test]
async fn a_card_of_markdown_is_escaped_then_cut_within_discords_limits() {
    let (fake, bot, _) = war_room().await;
    let body = hostile_alert()
        .replace(
            &format!("@here <@&{DUTY_ROLE}> [link](https://evil.example)\""),
            &format!("{}\"", "_".repeat(300)),
        )
        .replace(
            "[link](https://evil.example) **urgent** @everyone",
            &"*|".repeat(2000),
        );
    bot.alert("alertmanager", &body).await;
    let channel = channel_with_card(&fake).await;
    let messages = fake.messages(channel);
    let card = messages.iter().find(|m| m.pinned).expect("a pinned card");
    let embed = &card.embeds[0];
    let title = embed["title"].as_str().unwrap();
    assert!(
        title.chars().count() <= 256 && title.ends_with("\\_…"),
        "{title}"
    );
    let description = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Description")
        .expect("the description field");
    let value = description["value"].as_str().unwrap();
    assert!(value.chars().count() <= 1024, "{}", value.chars().count());
    // Cut between whole escapes: `\*\|` pairs, then the ellipsis.
    let kept = value.trim_end_matches('…');
    assert!(
        kept.starts_with("\\*\\|") && kept.chars().count() % 2 == 0,
        "{value}"
    );
    fake.assert_no_violations();
}
