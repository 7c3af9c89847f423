//! Typed commands as newcomers type them: free text, help, listing, status from anywhere,
//! timelines with a date and zone; and the state rules of closed and resolved incidents.

use reqwest::StatusCode;
use serde_json::Value;

use warroom::domain::command::COMMAND_TREE;

use crate::support::{TestBot, am_alert};

const FIRST: &str = "INC-20261121-001";

async fn bot_with_incident() -> (TestBot, String) {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of(FIRST).await;
    (bot, room)
}

fn button_labels(card: &Value) -> Vec<String> {
    card["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn notes_keep_quotes_apostrophes_and_newlines_as_typed() {
    let (bot, room) = bot_with_incident().await;
    let cases = [
        (
            "/incident note don't restart the db yet",
            "don't restart the db yet",
        ),
        ("/incident note it's 5\" of rain", "it's 5\" of rain"),
        ("/incident note “checkout is down", "“checkout is down"),
        (
            "/incident note he said \"wait\" twice",
            "he said \"wait\" twice",
        ),
        (
            "/incident note step 1: failover\nstep 2: verify",
            "step 1: failover\nstep 2: verify",
        ),
        ("/incident note text: hello", "hello"),
        ("/incident note \"db failover done\"", "db failover done"),
    ];
    for (typed, _) in cases {
        let reply = bot.slash("carol", &room, typed).await;
        assert!(reply.ok, "{typed:?}: {reply:?}");
    }
    let notes: Vec<String> = bot
        .timeline(FIRST)
        .await
        .iter()
        .filter(|e| e["kind"] == "note_added")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<&str> = cases.iter().map(|(_, note)| *note).collect();
    assert_eq!(notes, expected);
}

#[tokio::test]
async fn help_shows_every_commands_syntax_and_a_refusal_shows_its_example() {
    let (bot, room) = bot_with_incident().await;
    let help = bot.slash("alice", &room, "/help").await;
    assert!(help.ok, "{help:?}");
    for leaf in COMMAND_TREE {
        assert!(
            help.text.contains(&leaf.syntax()),
            "help lacks {}: {}",
            leaf.syntax(),
            help.text
        );
    }
    assert!(
        help.text
            .contains("/incident role role:<commander|communications|operations> user:<user>")
    );
    assert!(help.text.contains("[limit:<1-50>]"));
    // One line per command: with examples, help no longer fits one Discord message; each
    // command's example comes with a refusal of that command instead.
    assert_eq!(help.text.matches("↳ e.g. ").count(), 0, "{}", help.text);
    let refused = bot.slash("alice", &room, "/incident role commander").await;
    assert!(!refused.ok);
    assert!(
        refused
            .text
            .contains("↳ e.g. /incident role commander alice"),
        "{}",
        refused.text
    );
    // In Chinese too.
    let refused = bot.slash("wang", &room, "/incident role commander").await;
    assert!(refused.text.contains("↳ 例："), "{}", refused.text);
}

#[tokio::test]
async fn list_works_in_any_room_newest_first_and_bounded() {
    let bot = TestBot::spawn().await;
    let empty = bot.slash("vic", "general", "/incident list").await;
    assert!(empty.ok, "{empty:?}");
    assert_eq!(empty.text, "No incident is open.");
    // One more than the list shows, plus one that is resolved and so not listed.
    let max = warroom::engine::MAX_LISTED_INCIDENTS;
    let total = max + 2;
    for n in 1..=total {
        let reply = bot
            .slash("carol", "general", &format!("/incident declare Outage {n}"))
            .await;
        assert!(reply.ok, "{reply:?}");
    }
    let last = format!("INC-20261121-{total:03}");
    let room = bot.room_of(&last).await;
    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    let list = bot.slash("vic", "general", "/incident list").await;
    assert!(list.ok, "{list:?}");
    let lines: Vec<&str> = list.text.lines().collect();
    assert_eq!(lines[0], format!("Open incidents: {}", max + 1));
    assert_eq!(lines.len(), 1 + max + 1, "{}", list.text);
    let newest = format!(
        "• INC-20261121-{:03} · sev3 · triggered · Outage {}",
        max + 1,
        max + 1
    );
    assert!(lines[1].starts_with(&newest), "{}", lines[1]);
    assert!(lines[max].contains("INC-20261121-002"), "{}", lines[max]);
    assert_eq!(
        lines[max + 1],
        "… and 1 older ones (see GET /v1/incidents)."
    );
    assert!(!list.text.contains(&last));
    assert!(list.text.chars().count() < 2000, "fits one Discord message");
    // From inside an incident room it lists the same.
    let from_room = bot.slash("vic", &room, "/incident list").await;
    assert_eq!(from_room.text, list.text);
}

#[tokio::test]
async fn status_names_its_incident_from_any_room() {
    let (bot, room) = bot_with_incident().await;
    let status = bot
        .slash("vic", "general", &format!("/incident status id:{FIRST}"))
        .await;
    assert!(status.ok, "{status:?}");
    assert!(status.text.starts_with(FIRST), "{}", status.text);
    let positional = bot
        .slash("vic", "general", &format!("/incident status {FIRST}"))
        .await;
    assert_eq!(positional.text, status.text);
    assert_eq!(
        bot.slash("vic", &room, "/incident status").await.text,
        status.text
    );
    let missing = bot
        .slash("vic", "general", "/incident status id:INC-20261121-009")
        .await;
    assert!(!missing.ok);
    assert_eq!(missing.text, "Incident INC-20261121-009 does not exist.");
    // Commands that need the room's incident still say so outside one.
    for typed in ["/incident status", "/incident ack", "/timeline"] {
        let reply = bot.slash("alice", "general", typed).await;
        assert!(!reply.ok, "{typed}");
        assert!(
            reply.text.contains("belongs to no incident"),
            "{typed}: {reply:?}"
        );
        assert!(reply.text.contains("/incident list"), "{typed}: {reply:?}");
    }
}

#[tokio::test]
async fn the_timeline_shows_date_and_the_configured_zone() {
    let bot =
        TestBot::spawn_with("[chat]\ncard_edit_interval = \"0s\"\ntime_zone = \"Asia/Shanghai\"\n")
            .await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of(FIRST).await;
    let timeline = bot.slash("carol", &room, "/timeline").await;
    assert!(timeline.ok, "{timeline:?}");
    let lines: Vec<&str> = timeline.text.lines().collect();
    assert_eq!(lines[1], "Times in Asia/Shanghai.");
    // 10:00 UTC is 18:00 in Shanghai, the same day.
    assert!(
        lines[2].starts_with("#1 2026-11-21 18:00:00 +08:00 "),
        "{}",
        timeline.text
    );
    let zh = bot.slash("wang", &room, "/timeline").await;
    assert!(
        zh.text.contains("时间为 Asia/Shanghai 时区。"),
        "{}",
        zh.text
    );
    // The API keeps UTC.
    assert_eq!(bot.timeline(FIRST).await[0]["at"], "2026-11-21T10:00:00Z");
}

#[tokio::test]
async fn closed_incidents_refuse_changes_and_cards_offer_exactly_the_allowed_transitions() {
    let (bot, room) = bot_with_incident().await;
    let card = bot.card(&room).await;
    assert_eq!(
        button_labels(&card),
        ["Acknowledge", "Mitigated", "Resolve"]
    );
    // The alert resolves: the card suggests resolving, not closing.
    bot.alert_fixture("alertmanager/payload-am-direct-resolved.json")
        .await;
    let card = bot
        .wait_for_messages(&room, "the card with every alert resolved", |messages| {
            messages[0].to_string().contains("all 1 alert resolved")
        })
        .await
        .remove(0);
    let text = card.to_string();
    assert!(text.contains("resolve when you are satisfied"), "{text}");

    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    let card = bot
        .wait_for_messages(&room, "a resolved card with Close", |messages| {
            messages[0].to_string().contains("\"Close\"")
        })
        .await
        .remove(0);
    assert_eq!(button_labels(&card), ["Close", "Reopen"]);
    assert!(card.to_string().contains("close when you are satisfied"));
    // The Close button works.
    let message = card["id"].as_str().unwrap().to_owned();
    let reply = bot
        .click("alice", &message, &format!("inc:close:{FIRST}"))
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(bot.incident(FIRST).await["state"], "closed");
    let card = bot
        .wait_for_messages(&room, "a closed card", |messages| {
            !messages[0].to_string().contains("\"Close\"")
        })
        .await
        .remove(0);
    assert_eq!(button_labels(&card), ["Reopen"]);
    assert!(
        !card.to_string().contains("when you are satisfied"),
        "{card}"
    );

    let before = bot.incident(FIRST).await;
    let severity = bot.slash("alice", &room, "/incident severity sev4").await;
    assert!(!severity.ok);
    assert_eq!(
        severity.text,
        "INC-20261121-001 is closed, so you cannot change the severity. Reopen it first with /incident reopen."
    );
    let role = bot
        .slash("alice", &room, "/incident role operations carol")
        .await;
    assert!(!role.ok);
    assert!(role.text.contains("cannot assign roles"), "{role:?}");
    let after = bot.incident(FIRST).await;
    assert_eq!(after["severity"], before["severity"]);
    assert_eq!(after["roles"], before["roles"]);
    let close = bot.slash("alice", &room, "/incident close").await;
    assert_eq!(
        close.text,
        "Cannot close: the incident is closed. From here: /incident reopen."
    );
    // Reopened, it may change again.
    assert!(bot.slash("alice", &room, "/incident reopen").await.ok);
    assert!(
        bot.slash("alice", &room, "/incident severity sev4")
            .await
            .ok
    );
}

#[tokio::test]
async fn resolving_while_alerts_fire_warns_the_person_and_the_room() {
    let (bot, room) = bot_with_incident().await;
    for fingerprint in ["w1", "w2"] {
        bot.alert(
            "alertmanager",
            &am_alert(fingerprint, "checkout-api", "critical", "firing"),
        )
        .await;
    }
    let firing = bot.incident(FIRST).await["alerts"]["firing"]
        .as_u64()
        .unwrap();
    assert_eq!(firing, 3);
    let reply = bot.slash("alice", &room, "/incident resolve").await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(
        reply.text,
        "INC-20261121-001 is now resolved. ⚠️ Alerts still firing: 3. Check them, or reopen if the problem is back."
    );
    bot.wait_for_messages(&room, "the warning in the room", |messages| {
        messages.iter().any(|m| {
            m["text"] == "⚠️ The incident was resolved while alerts still fire (still firing: 3)."
        })
    })
    .await;
}

#[tokio::test]
async fn only_emoji_are_recorded_and_at_most_twenty_per_message_across_restarts() {
    let (mut bot, room) = bot_with_incident().await;
    let card = bot.card(&room).await;
    let message = card["id"].as_str().unwrap().to_owned();
    for (emoji, status) in [
        ("ok", StatusCode::BAD_REQUEST),
        ("@everyone", StatusCode::BAD_REQUEST),
        ("👍 nice", StatusCode::BAD_REQUEST),
        ("", StatusCode::BAD_REQUEST),
        ("👍🏽", StatusCode::OK),
        ("party:123456789012345678", StatusCode::OK),
    ] {
        let reply = bot.react("bob", &message, emoji).await;
        assert_eq!(reply.status, status, "{emoji:?}: {reply:?}");
    }
    let refused = bot.react("bob", &message, "ok").await;
    assert!(refused.text.starts_with("emoji: "), "{refused:?}");
    let recorded = |timeline: Vec<Value>| {
        timeline
            .into_iter()
            .filter(|e| e["kind"] == "reaction_added")
            .count()
    };
    assert_eq!(recorded(bot.timeline(FIRST).await), 2);
    // Five people with three more emoji each: 2 + 15 = 17, then 3 more fill it to 20.
    let people = ["alice", "bob", "carol", "wang", "vic"];
    for emoji in ["✅", "👀", "🔥"] {
        for person in people {
            assert_eq!(
                bot.react(person, &message, emoji).await.status,
                StatusCode::OK
            );
        }
    }
    assert_eq!(recorded(bot.timeline(FIRST).await), 17);
    for person in ["alice", "carol", "wang", "vic"] {
        assert_eq!(
            bot.react(person, &message, "🙏").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(recorded(bot.timeline(FIRST).await), 20);
    // The count is stored with the incident: a restart does not reset it.
    bot.restart().await;
    assert_eq!(
        bot.react("bob", &message, "🚀").await.status,
        StatusCode::OK
    );
    assert_eq!(recorded(bot.timeline(FIRST).await), 20);
}

#[tokio::test]
async fn a_console_message_holds_at_most_twenty_different_reactions_like_discord() {
    let (bot, room) = bot_with_incident().await;
    let card = bot.card(&room).await["id"].as_str().unwrap().to_owned();
    let emoji: Vec<char> = "😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩"
        .chars()
        .collect();
    assert_eq!(emoji.len(), 21);
    for one in &emoji[..20] {
        let reply = bot.react("alice", &card, &one.to_string()).await;
        assert!(reply.status.is_success(), "{one}: {reply:?}");
    }
    let reply = bot.react("alice", &card, &emoji[20].to_string()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{reply:?}");
    assert!(reply.text.contains("at most 20"), "{reply:?}");
    // Another person on an emoji already there still counts.
    let reply = bot.react("bob", &card, &emoji[0].to_string()).await;
    assert!(reply.status.is_success(), "{reply:?}");
    let shown = bot.card(&room).await;
    assert_eq!(shown["reactions"].as_object().unwrap().len(), 20, "{shown}");
}
