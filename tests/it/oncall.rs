//! Who is on call, through the console with a hand-turned clock: `/oncall` from any room,
//! overrides by duty managers (refusals named, kept across a crash), incidents taking their
//! commander from the rotation at open, and `check` naming a role configured twice.

use reqwest::StatusCode;

use crate::support::{TestBot, am_alert};

/// Commanders alice then bob, handing off Mondays 09:00 in Shanghai. The harness starts on
/// Saturday 2026-11-21 10:00 UTC: alice holds (hand-offs on 11-09 and 11-16), bob takes
/// over on Monday 11-23 09:00 +08:00.
const ROTATION: &str = r#"
[chat]
card_edit_interval = "0s"
time_zone = "Asia/Shanghai"

[[rotations]]
role = "commander"
participants = ["alice", "bob"]
handoff = "0 0 9 * * Mon"
time_zone = "Asia/Shanghai"
start = "2026-11-02T09:00:00+08:00"
"#;

#[tokio::test]
async fn oncall_shows_each_holder_and_the_next_hand_off_from_any_room() {
    let bot = TestBot::spawn_with(ROTATION).await;
    let reply = bot.slash("carol", "general", "/oncall").await;
    assert!(reply.ok, "{reply:?}");
    for expected in [
        "times in Asia/Shanghai",
        "Incident Commander: alice (rotation), then bob from 2026-11-23 09:00:00 +08:00",
        // No rotation and no [oncall] entry: the first person holding the role.
        "Operations Lead: bob (fixed)",
        "Communications Lead: carol (fixed)",
        "every duty manager is called",
    ] {
        assert!(
            reply.text.contains(expected),
            "{expected:?} in {}",
            reply.text
        );
    }
    // The same in Chinese for a zh-CN user, and `/oncall show` is the same command.
    let reply = bot.slash("wang", "alerts", "/oncall show").await;
    assert!(reply.ok, "{reply:?}");
    assert!(
        reply
            .text
            .contains("事件指挥官：alice（轮值），2026-11-23 09:00:00 +08:00 起由 bob 接班"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn an_override_by_a_duty_manager_holds_survives_a_crash_and_ends_on_time() {
    let mut bot = TestBot::spawn_with(ROTATION).await;
    let refusals = [
        (
            "carol",
            "/oncall override commander carol 4h",
            StatusCode::FORBIDDEN,
            "duty managers",
        ),
        (
            "alice",
            "/oncall override commander zed 4h",
            StatusCode::OK,
            "\"zed\"",
        ),
        (
            "alice",
            "/oncall override commander carol soon",
            StatusCode::OK,
            "\"soon\"",
        ),
        (
            "alice",
            "/oncall override commander carol 60d",
            StatusCode::OK,
            "30 days",
        ),
        (
            "alice",
            "/oncall override chef carol 4h",
            StatusCode::OK,
            "role",
        ),
    ];
    for (user, typed, status, named) in refusals {
        let reply = bot.slash(user, "general", typed).await;
        assert!(!reply.ok, "{typed}: {reply:?}");
        assert_eq!(reply.status, status, "{typed}: {reply:?}");
        assert!(reply.text.contains(named), "{typed}: {}", reply.text);
    }

    let reply = bot
        .slash("alice", "general", "/oncall override commander carol 4h")
        .await;
    assert!(reply.ok, "{reply:?}");
    assert!(
        reply
            .text
            .contains("carol is on call as Incident Commander until 2026-11-21 22:00:00 +08:00"),
        "{}",
        reply.text
    );
    bot.crash_and_start().await;
    let shown = bot.slash("vic", "general", "/oncall").await;
    assert!(
        shown.text.contains(
            "Incident Commander: carol (override), then alice from 2026-11-21 22:00:00 +08:00"
        ),
        "{}",
        shown.text
    );
    // An incident opened meanwhile takes the override's commander.
    bot.alert(
        "alertmanager",
        &am_alert("a1", "checkout-api", "critical", "firing"),
    )
    .await;
    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["roles"]["commander"], "carol", "{incident}");

    bot.advance(chrono::Duration::hours(4));
    let shown = bot.slash("vic", "general", "/oncall").await;
    assert!(
        shown
            .text
            .contains("Incident Commander: alice (rotation), then bob from"),
        "{}",
        shown.text
    );
}

#[tokio::test]
async fn an_incident_opened_after_a_hand_off_gets_the_new_commander() {
    let bot = TestBot::spawn_with(ROTATION).await;
    bot.alert(
        "alertmanager",
        &am_alert("a1", "checkout-api", "critical", "firing"),
    )
    .await;
    let first = bot.incident("INC-20261121-001").await;
    assert_eq!(first["roles"]["commander"], "alice", "{first}");

    // Monday 2026-11-23 09:00 in Shanghai.
    bot.clock.set("2026-11-23T01:00:00Z".parse().unwrap());
    bot.alert(
        "alertmanager",
        &am_alert("b1", "billing", "critical", "firing"),
    )
    .await;
    let second = bot.incident("INC-20261123-001").await;
    assert_eq!(second["roles"]["commander"], "bob", "{second}");
    // The incident opened before keeps its commander: roles are taken at open.
    let first = bot.incident("INC-20261121-001").await;
    assert_eq!(first["roles"]["commander"], "alice", "{first}");
}

#[test]
fn check_names_a_role_with_both_a_rotation_and_an_oncall_entry_and_bad_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warroom.toml");
    std::fs::write(
        &path,
        format!(
            "{ROTATION}
[oncall]
commander = \"alice\"
duty_manager = \"nobody\"

[[rotations]]
role = \"operations\"
participants = []
handoff = \"0 9 * * Mon\"
time_zone = \"Mars/Olympus\"
start = \"2026-11-02T09:00:00+08:00\"
{}",
            crate::support::demo_users()
        ),
    )
    .unwrap();
    let report = warroom::check::render(&warroom::check::run(Some(&path), dir.path()));
    for expected in [
        "rotations[0].role: role commander has both rotations[0] and oncall.commander; keep one",
        "oncall.duty_manager: \"nobody\" is not one of the configured users",
        "rotations[1].participants: a rotation needs at least one participant",
        "rotations[1].handoff: \"0 9 * * Mon\" has 5 fields",
        "rotations[1].time_zone: \"Mars/Olympus\" is not an IANA time zone",
    ] {
        assert!(report.contains(expected), "{expected:?} in\n{report}");
    }
}

#[test]
fn check_says_who_is_on_call_by_role() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warroom.toml");
    std::fs::write(&path, format!("{ROTATION}{}", crate::support::demo_users())).unwrap();
    let report = warroom::check::render(&warroom::check::run(Some(&path), dir.path()));
    assert!(
        report.contains(
            "ok   on call: commander rotation of alice, bob in Asia/Shanghai; communications carol; \
             operations bob; duty_manager nobody named, every duty manager is called"
        ),
        "{report}"
    );
}
