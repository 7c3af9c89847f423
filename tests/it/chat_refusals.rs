//! Discord refusing warroom: a revoked token (401) or a lost permission (403) pauses delivery
//! and loses nothing; a body Discord calls invalid (400, 50035) is dropped and counted. The
//! real serenity client against the fake Discord.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::discord::{wait_until, war_room};
use crate::support::TestBot;
use crate::support::fake_discord::{FailMode, FakeDiscord};

/// The value of one metric line (`name{labels} value`), 0 when absent.
async fn metric(bot: &TestBot, series: &str) -> f64 {
    let (_, text) = bot.get_text("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

fn refused(fake: &FakeDiscord, status: u16) -> usize {
    fake.calls().iter().filter(|c| c.status == status).count()
}

/// A blocked window: the alert's room waits, readiness says why, the error is logged once
/// however often the head item is probed, and everything arrives once Discord lets warroom in.
async fn blocked_then_healed(mode: FailMode, status: u16, reason: &str) {
    let (fake, bot, _) = war_room().await;
    let logged = format!("warroom_chat_blocked_errors_logged_total{{reason=\"{reason}\"}}");
    let logged_before = metric(&bot, &logged).await;
    fake.fail_rest(mode, Duration::from_secs(300));
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;

    wait_until("readiness to report the blocked chat", || async {
        let (code, ready) = bot.get("/readyz").await;
        code == StatusCode::SERVICE_UNAVAILABLE
            && ready["chat"] == json!(false)
            && ready["chat_blocked"] == json!(reason)
            && ready["chat_error"]
                .as_str()
                .is_some_and(|e| e.starts_with(&status.to_string()))
    })
    .await;
    assert_eq!(
        metric(
            &bot,
            &format!("warroom_chat_blocked{{reason=\"{reason}\"}}")
        )
        .await,
        1.0
    );
    // The head item is probed again and again on a slow backoff…
    wait_until("three refused probes", || async {
        refused(&fake, status) >= 3
    })
    .await;
    // …but the error is logged once, not per probe, and nothing was dropped.
    assert_eq!(metric(&bot, &logged).await - logged_before, 1.0);
    assert!(fake.channel_by_name("inc-20261121-001").is_none());

    fake.heal_rest();
    wait_until("the room, card and mentions after the block", || async {
        fake.channel_by_name("inc-20261121-001")
            .is_some_and(|channel| fake.messages(channel.id).len() >= 2)
    })
    .await;
    wait_until("readiness back", || async {
        bot.get("/readyz").await.0 == StatusCode::OK
    })
    .await;
    assert_eq!(
        metric(
            &bot,
            &format!("warroom_chat_blocked{{reason=\"{reason}\"}}")
        )
        .await,
        0.0
    );
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_revoked_token_pauses_delivery_loses_nothing_and_resumes() {
    blocked_then_healed(FailMode::Status401, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_missing_permission_pauses_delivery_loses_nothing_and_resumes() {
    blocked_then_healed(FailMode::Status403, 403, "forbidden").await;
}

#[tokio::test]
async fn a_body_discord_calls_invalid_is_dropped_and_counted_not_retried() {
    let (fake, bot, _) = war_room().await;
    let dropped = "warroom_outbox_dropped_total{reason=\"rejected\"}";
    let dropped_before = metric(&bot, dropped).await;
    fake.fail_rest(FailMode::Status400Invalid, Duration::from_secs(300));
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    wait_until("the invalid item to be dropped", || async {
        metric(&bot, dropped).await > dropped_before
    })
    .await;
    // Invalid is not blocked: readiness stays.
    let (code, ready) = bot.get("/readyz").await;
    assert_eq!(code, StatusCode::OK, "{ready}");

    // The outbox moved on: a later incident's room opens, the dropped one is never retried
    // (the outbox is ordered, so a retried item would have come first).
    fake.heal_rest();
    bot.alert(
        "alertmanager",
        &crate::support::am_alert("refusal-2", "refusal-svc", "critical", "firing"),
    )
    .await;
    wait_until("the second incident's room", || async {
        fake.channel_by_name("inc-20261121-002").is_some()
    })
    .await;
    assert!(
        fake.channel_by_name("inc-20261121-001").is_none(),
        "the dropped room was retried"
    );
}
