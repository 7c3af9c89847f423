//! Late and replayed firings, truncated notifications and implausible start times.

use serde_json::{Value, json};

use crate::support::{TestBot, am_alert, fixture};

const FIRST: &str = "INC-20261121-001";

async fn metric(bot: &TestBot, prefix: &str) -> f64 {
    let (_, text) = bot.get_text("/metrics").await;
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn kinds(timeline: &[Value]) -> Vec<String> {
    timeline
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_firing_delivered_after_its_resolve_opens_nothing() {
    let bot = TestBot::spawn().await;
    let firing = am_alert("f1", "checkout-api", "critical", "firing");
    let resolved = am_alert("f1", "checkout-api", "critical", "resolved");
    assert_eq!(bot.alert("alertmanager", &firing).await["opened"], 1);
    assert_eq!(bot.alert("alertmanager", &resolved).await["updated"], 1);
    // The same occurrence's firing, late (a retry that lost the race with the resolve).
    let report = bot.alert("alertmanager", &firing).await;
    assert_eq!(report["stale"], 1, "{report}");
    assert_eq!(report["opened"], 0, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    assert_eq!(bot.incidents().await.len(), 1);
    let incident = bot.incident(FIRST).await;
    assert_eq!(incident["alerts"]["firing"], 0, "{incident}");
    assert_eq!(incident["alerts"]["resolved"], 1, "{incident}");
    let timeline = bot.timeline(FIRST).await;
    let stale = timeline
        .iter()
        .find(|e| e["kind"] == "stale_alert_ignored")
        .unwrap_or_else(|| panic!("no stale_alert_ignored in {:?}", kinds(&timeline)));
    assert_eq!(stale["fingerprint"], "f1");
    assert_eq!(stale["starts_at"], "2026-11-21T09:58:00Z");
    // Replayed again and again, the same stale firing is noted once: a sender stuck in a
    // retry loop cannot grow the timeline.
    for _ in 0..3 {
        let report = bot.alert("alertmanager", &firing).await;
        assert_eq!(report["stale"], 1, "{report}");
    }
    let noted = kinds(&bot.timeline(FIRST).await)
        .iter()
        .filter(|kind| *kind == "stale_alert_ignored")
        .count();
    assert_eq!(noted, 1);
    let stale_count = metric(&bot, "warroom_alerts_received_total{").await;
    assert!(stale_count >= 3.0);
    let (_, metrics) = bot.get_text("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("warroom_alerts_received_total{")
                && l.contains("outcome=\"stale\"")),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_readme_fixture_posted_again_after_its_incident_closed_opens_nothing() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    bot.alert_fixture("alertmanager/payload-am-direct-resolved.json")
        .await;
    let room = bot.room_of(FIRST).await;
    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    assert!(bot.slash("alice", &room, "/incident close").await.ok);
    let report = bot
        .alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    assert_eq!(report["stale"], 1, "{report}");
    assert_eq!(bot.incidents().await.len(), 1, "no second incident");
    assert!(
        kinds(&bot.timeline(FIRST).await).contains(&"stale_alert_ignored".to_owned()),
        "the closed incident's timeline records the replay"
    );
    // A real new occurrence starts later and opens a new incident.
    let mut again: Value =
        serde_json::from_str(&fixture("alertmanager/payload-am-direct-firing.json")).unwrap();
    let later = "2026-11-21T23:00:00Z";
    for alert in again["alerts"].as_array_mut().unwrap() {
        alert["startsAt"] = json!(later);
    }
    let report = bot.alert("alertmanager", &again.to_string()).await;
    assert_eq!(report["opened"], 1, "{report}");
    assert_eq!(bot.incidents().await.len(), 2);
}

#[tokio::test]
async fn truncated_notifications_are_logged_counted_and_noted_on_the_incident() {
    let bot = TestBot::spawn().await;
    let mut body: Value =
        serde_json::from_str(&am_alert("t1", "checkout-api", "critical", "firing")).unwrap();
    body["truncatedAlerts"] = json!(42);
    let report = bot.alert("alertmanager", &body.to_string()).await;
    assert_eq!(report["opened"], 1, "{report}");
    let timeline = bot.timeline(FIRST).await;
    let note = timeline
        .iter()
        .find(|e| e["kind"] == "alerts_truncated")
        .unwrap_or_else(|| panic!("no alerts_truncated in {:?}", kinds(&timeline)));
    assert_eq!(note["count"], 42);
    assert_eq!(metric(&bot, "warroom_alerts_truncated_total").await, 42.0);
    // An untruncated notification notes nothing more.
    bot.alert(
        "alertmanager",
        &am_alert("t2", "checkout-api", "critical", "firing"),
    )
    .await;
    let notes = kinds(&bot.timeline(FIRST).await)
        .into_iter()
        .filter(|k| k == "alerts_truncated")
        .count();
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn an_implausible_start_time_uses_the_receipt_time_and_says_so() {
    for start in ["1970-01-01T00:00:00Z", "2031-01-01T00:00:00Z"] {
        let bot = TestBot::spawn().await;
        let mut body: Value =
            serde_json::from_str(&am_alert("s1", "checkout-api", "critical", "firing")).unwrap();
        body["alerts"][0]["startsAt"] = json!(start);
        assert_eq!(
            bot.alert("alertmanager", &body.to_string()).await["opened"],
            1
        );
        let incident = bot.incident(FIRST).await;
        assert_eq!(
            incident["milestones"]["occurred"], "2026-11-21T10:00:00Z",
            "{start}"
        );
        assert_eq!(
            incident["durations"]["time_to_detect_seconds"], 0,
            "{start}"
        );
        let timeline = bot.timeline(FIRST).await;
        let corrected = timeline
            .iter()
            .find(|e| e["kind"] == "alert_start_corrected")
            .unwrap_or_else(|| panic!("no alert_start_corrected in {:?}", kinds(&timeline)));
        assert_eq!(corrected["original"], start);
        assert_eq!(corrected["used"], "2026-11-21T10:00:00Z");
        // The same delivery again is still a duplicate (the stored start is as sent).
        assert_eq!(
            bot.alert("alertmanager", &body.to_string()).await["duplicates"],
            1
        );
    }
}
