//! The war room in the console: slash commands, buttons, reactions, permissions, languages.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestBot;

/// A bot with one alert-opened incident whose card is posted; returns its room.
async fn bot_with_incident() -> (TestBot, String) {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of("INC-20261121-001").await;
    (bot, room)
}

#[tokio::test]
async fn the_incident_lifecycle_by_slash_commands() {
    let (bot, room) = bot_with_incident().await;
    let reply = bot.slash("carol", &room, "/incident ack").await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.text, "INC-20261121-001 is now acknowledged.");

    let again = bot.slash("carol", &room, "/incident ack").await;
    assert!(!again.ok);
    assert_eq!(
        again.text,
        "Cannot acknowledge: the incident is acknowledged. From here: /incident mitigate, /incident resolve."
    );

    bot.advance(chrono::Duration::minutes(10));
    assert!(bot.slash("bob", &room, "/incident mitigate").await.ok);
    bot.advance(chrono::Duration::minutes(20));
    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["state"], "resolved");
    assert_eq!(
        incident["milestones"]["acknowledged"],
        "2026-11-21T10:00:00Z"
    );
    assert_eq!(incident["milestones"]["mitigated"], "2026-11-21T10:10:00Z");
    assert_eq!(incident["milestones"]["resolved"], "2026-11-21T10:30:00Z");
    assert_eq!(incident["durations"]["time_to_acknowledge_seconds"], 0);

    assert!(bot.slash("alice", &room, "/incident reopen").await.ok);
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "triggered");

    let states: Vec<(String, String, String)> = bot
        .timeline("INC-20261121-001")
        .await
        .iter()
        .filter(|e| e["kind"] == "state_changed")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["from"].as_str().unwrap().to_owned(),
                e["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("user:carol", "triggered", "acknowledged"),
        ("user:bob", "acknowledged", "mitigated"),
        ("user:alice", "mitigated", "resolved"),
        ("user:alice", "resolved", "triggered"),
    ];
    assert_eq!(
        states,
        expected
            .iter()
            .map(|(a, f, t)| (a.to_string(), f.to_string(), t.to_string()))
            .collect::<Vec<_>>()
    );
    // The card follows the state and the room hears about each change.
    bot.wait_for_messages(
        &room,
        "notices and a card showing triggered again",
        |messages| {
            let notices = messages
                .iter()
                .filter(|m| {
                    m["text"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("set the incident to")
                })
                .count();
            notices == 4 && messages[0].to_string().contains("\"Acknowledge\"")
        },
    )
    .await;
}

#[tokio::test]
async fn buttons_act_like_commands() {
    let (bot, room) = bot_with_incident().await;
    let card = bot.card(&room).await;
    let message = card["id"].as_str().unwrap().to_owned();
    let reply = bot
        .click("bob", &message, "inc:acknowledge:INC-20261121-001")
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(
        bot.incident("INC-20261121-001").await["state"],
        "acknowledged"
    );
    let card = bot
        .wait_for_messages(&room, "the card without Acknowledge", |messages| {
            !messages[0].to_string().contains("\"Acknowledge\"")
        })
        .await
        .remove(0);
    assert!(card["edited_at"].is_string());
    assert!(card.to_string().contains("acknowledged"));

    // A button the message does not carry, an unknown message, an unknown person.
    let reply = bot
        .click("bob", &message, "inc:acknowledge:INC-20261121-001")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    let reply = bot
        .click("bob", "m999", "inc:resolve:INC-20261121-001")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = bot
        .click("mallory", &message, "inc:resolve:INC-20261121-001")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.text.contains("missing or unknown token"), "{reply:?}");

    // Resolving needs the commander or a duty manager: carol is neither.
    let reply = bot
        .click("carol", &message, "inc:resolve:INC-20261121-001")
        .await;
    assert!(!reply.ok);
    // A right the person lacks: 403, with the reply that says why.
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    assert!(
        reply
            .text
            .contains("only the incident commander or a duty manager"),
        "{reply:?}"
    );
    let reply = bot
        .click("alice", &message, "inc:resolve:INC-20261121-001")
        .await;
    assert!(reply.ok, "{reply:?}");
}

#[tokio::test]
async fn severity_roles_notes_status_and_timeline() {
    let (bot, room) = bot_with_incident().await;
    let reply = bot.slash("alice", &room, "/incident severity sev2").await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(bot.incident("INC-20261121-001").await["severity"], "sev2");

    let reply = bot
        .slash("alice", &room, "/incident role commander bob")
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.text, "bob is now Incident Commander.");
    // alice is still a duty manager, so she may still steer; carol may not.
    let reply = bot
        .slash("carol", &room, "/incident severity level:sev1")
        .await;
    assert!(!reply.ok);
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    // Refusals that are not about rights stay 200 with ok: false.
    let reply = bot
        .slash("bob", &room, "/incident role role:operations user:<@ghost>")
        .await;
    assert!(!reply.ok);
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.text, "ghost is not a warroom user.");

    let reply = bot
        .slash("carol", &room, "/incident note \"db failover done\"")
        .await;
    assert!(reply.ok, "{reply:?}");
    let reply = bot
        .slash("carol", &room, "/incident note rolled back the deploy")
        .await;
    assert!(reply.ok, "{reply:?}");

    let status = bot.slash("vic", &room, "/incident status").await;
    assert!(status.ok, "{status:?}");
    for needle in [
        "INC-20261121-001",
        "triggered",
        "sev2",
        "Commander: bob",
        "1 firing",
    ] {
        assert!(
            status.text.contains(needle),
            "status lacks {needle}: {}",
            status.text
        );
    }

    let timeline = bot.slash("carol", &room, "/timeline limit:3").await;
    assert!(timeline.ok);
    let lines: Vec<&str> = timeline.text.lines().collect();
    assert_eq!(lines.len(), 5, "{}", timeline.text);
    assert_eq!(lines[1], "Times in UTC.");
    assert!(
        lines[4].contains("note: rolled back the deploy"),
        "{}",
        timeline.text
    );

    let timeline = bot.timeline("INC-20261121-001").await;
    let notes: Vec<&str> = timeline
        .iter()
        .filter(|e| e["kind"] == "note_added")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["db failover done", "rolled back the deploy"]);
    let role = timeline
        .iter()
        .rev()
        .find(|e| e["kind"] == "role_assigned")
        .unwrap();
    assert_eq!(role["user"], "bob");
    assert_eq!(role["previous"], "alice");
    assert_eq!(role["actor"], "user:alice");
    bot.wait_for_messages(&room, "the note in the room", |messages| {
        messages
            .iter()
            .any(|m| m["text"] == "📝 carol: db failover done")
    })
    .await;
}

#[tokio::test]
async fn a_viewer_may_read_but_not_act() {
    let (bot, room) = bot_with_incident().await;
    let reply = bot.slash("vic", &room, "/incident ack").await;
    assert!(!reply.ok);
    assert!(
        reply.text.starts_with("You may not acknowledge"),
        "{reply:?}"
    );
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "triggered");
    assert!(bot.slash("vic", &room, "/timeline").await.ok);
}

#[tokio::test]
async fn declare_opens_an_incident_by_hand_from_general() {
    let bot = TestBot::spawn().await;
    let reply = bot
        .slash(
            "carol",
            "general",
            "/incident declare \"Payments are failing in eu-1\" sev1",
        )
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.body["incident"], "INC-20261121-001");
    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["title"], "Payments are failing in eu-1");
    assert_eq!(incident["severity"], "sev1");
    assert_eq!(incident["opened_by"], "user:carol");
    let room = bot.room_of("INC-20261121-001").await;
    let rooms = bot.rooms().await;
    assert!(
        rooms.iter().any(
            |r| r["id"] == room && r["name"] == "inc-20261121-001-payments-are-failing-in-eu-1"
        )
    );
    // Incident commands in a room without an incident explain themselves.
    let reply = bot.slash("carol", "general", "/incident ack").await;
    assert!(!reply.ok);
    assert!(reply.text.contains("belongs to no incident"), "{reply:?}");
    // A refused declaration leaves no gap in the day's numbering.
    let refused = bot
        .slash("vic", "general", "/incident declare \"nope\"")
        .await;
    assert!(!refused.ok);
    let reply = bot
        .slash("carol", "general", "/incident declare \"Second\"")
        .await;
    assert_eq!(reply.body["incident"], "INC-20261121-002");
}

#[tokio::test]
async fn unknown_and_malformed_commands_get_clear_replies() {
    let (bot, room) = bot_with_incident().await;
    let cases = [
        ("/deploy prod", "There is no command /deploy. Try /help."),
        (
            "/incident",
            "/incident needs one of: ack, mitigate, resolve, close, reopen, status, list, severity, role, note, declare, update.",
        ),
        (
            "/incident severity sev9",
            "level: \"sev9\" is not one of sev1, sev2, sev3, sev4.",
        ),
        (
            "/incident status id:checkout",
            "id: \"checkout\" is not an incident id; they look like INC-20261121-001 (see /incident list).",
        ),
        ("/incident role commander", "Missing user."),
        (
            "incident ack",
            "Commands start with /, for example /incident status.",
        ),
    ];
    for (text, expected) in cases {
        let reply = bot.slash("alice", &room, text).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(!reply.ok, "{text}");
        assert_eq!(reply.text, expected, "{text}");
    }
    let help = bot.slash("alice", &room, "/help").await;
    assert!(help.ok);
    assert!(
        help.text
            .contains("/incident declare title:<text> [severity:<sev1|sev2|sev3|sev4>] — Open an incident by hand"),
        "{}",
        help.text
    );
    // Unknown room and unknown user are HTTP errors, not chat replies.
    assert_eq!(
        bot.slash("alice", "nowhere", "/help").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bot.slash("mallory", &room, "/help").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Malformed API bodies.
    let (status, body) = bot
        .post_raw(
            "/console/api/command",
            Some("application/json"),
            crate::support::user_token("alice").as_deref(),
            json!({"user": "alice"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("room"), "{body}");
}

#[tokio::test]
async fn a_chinese_speaking_user_gets_chinese_replies() {
    let (bot, room) = bot_with_incident().await;
    let reply = bot.slash("wang", &room, "/incident ack").await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.text, "INC-20261121-001 现为已确认。");
    let refused = bot.slash("wang", &room, "/incident resolve").await;
    assert!(
        refused.text.starts_with("你无权标记为已恢复"),
        "{refused:?}"
    );
    let error = bot.slash("wang", &room, "/deploy").await;
    assert_eq!(error.text, "没有 /deploy 这个命令。试试 /help。");
}

#[tokio::test]
async fn rooms_speak_the_configured_language() {
    let bot =
        TestBot::spawn_with("[chat]\nlocale = \"zh-CN\"\ncard_edit_interval = \"0s\"\n").await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of("INC-20261121-001").await;
    let card = bot.card(&room).await.to_string();
    for needle in ["级别", "状态", "已触发", "事件指挥官", "确认"] {
        assert!(card.contains(needle), "card lacks {needle}: {card}");
    }
}

#[tokio::test]
async fn reactions_are_recorded_once_per_person() {
    let (bot, room) = bot_with_incident().await;
    let card = bot.card(&room).await;
    let message = card["id"].as_str().unwrap();
    for _ in 0..2 {
        let reply = bot.react("bob", message, "✅").await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
    let reactions: Vec<_> = bot
        .timeline("INC-20261121-001")
        .await
        .into_iter()
        .filter(|e| e["kind"] == "reaction_added")
        .collect();
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0]["emoji"], "✅");
    assert_eq!(reactions[0]["actor"], "user:bob");
    assert_eq!(bot.card(&room).await["reactions"]["✅"], json!(["bob"]));
    assert_eq!(
        bot.react("bob", "m404", "✅").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bot.react("bob", message, "").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn incidents_and_rooms_survive_a_clean_restart() {
    let (mut bot, room) = bot_with_incident().await;
    assert!(bot.slash("carol", &room, "/incident ack").await.ok);
    bot.restart().await;
    assert_eq!(
        bot.incident("INC-20261121-001").await["state"],
        "acknowledged"
    );
    assert!(
        bot.messages(&room).await.len() >= 2,
        "console history survives"
    );
    // The engine reloaded its open incidents: a new alert of the group joins.
    let report = bot
        .alert(
            "alertmanager",
            &crate::support::am_alert("z9", "checkout-api", "critical", "firing"),
        )
        .await;
    assert_eq!(report["joined"], 1, "{report}");
    // The day's numbering continues after a restart.
    let reply = bot
        .slash("carol", "general", "/incident declare \"other\"")
        .await;
    assert_eq!(reply.body["incident"], "INC-20261121-002");
}
