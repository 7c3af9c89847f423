//! A data directory written by the previous release still opens: its incidents, timelines and
//! console rooms read back, commands work on its incidents and new incidents continue its
//! day's sequence. The fixture is described in tests/fixtures/datadir-v1/README.md.

use chrono::{DateTime, Utc};

use crate::support::{TestBot, am_alert};

const ARCHIVE: &str = "datadir-v1/data.tar.gz";

/// Later on the day the fixture was written.
fn fixture_day() -> DateTime<Utc> {
    "2026-12-01T18:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn a_previous_release_data_dir_opens_with_its_incidents_and_timelines() {
    let bot = TestBot::spawn_on(ARCHIVE, fixture_day()).await;

    let incidents = bot.incidents().await;
    let ids: Vec<&str> = incidents.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["INC-20261201-002", "INC-20261201-001"],
        "{incidents:?}"
    );

    let first = bot.incident("INC-20261201-001").await;
    assert_eq!(first["state"], "acknowledged", "{first}");
    assert_eq!(first["severity"], "sev1", "{first}");
    assert_eq!(first["alerts"]["firing"], 2, "{first}");
    assert_eq!(first["roles"]["commander"], "alice", "{first}");
    let declared = bot.incident("INC-20261201-002").await;
    assert_eq!(declared["title"], "Manual outage", "{declared}");
    assert_eq!(declared["severity"], "sev2", "{declared}");

    let kinds = bot.timeline_kinds("INC-20261201-001").await;
    for kind in [
        "incident_opened",
        "alert_received",
        "state_changed",
        "note_added",
        "reaction_added",
        "room_created",
        "card_posted",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }
    let timeline = bot.timeline("INC-20261201-001").await;
    assert!(
        timeline
            .iter()
            .any(|e| e["text"] == "don't restart the db yet"),
        "{timeline:?}"
    );

    let messages = bot.messages("inc-20261201-001").await;
    assert!(messages.iter().any(|m| m["pinned"] == true), "{messages:?}");
}

#[tokio::test]
async fn commands_act_on_a_previous_release_incident_and_ids_continue() {
    let bot = TestBot::spawn_on(ARCHIVE, fixture_day()).await;
    let before = bot.timeline("INC-20261201-001").await.len();

    let reply = bot
        .slash("bob", "inc-20261201-001", "/incident mitigate")
        .await;
    assert!(reply.ok, "{reply:?}");
    let reply = bot
        .slash("bob", "inc-20261201-001", "/incident status")
        .await;
    assert!(
        reply.ok && reply.text.contains("INC-20261201-001"),
        "{reply:?}"
    );
    assert_eq!(bot.incident("INC-20261201-001").await["state"], "mitigated");
    assert_eq!(bot.timeline("INC-20261201-001").await.len(), before + 1);
    bot.wait_for_messages("inc-20261201-001", "the mitigation notice", |messages| {
        messages
            .iter()
            .any(|m| m["text"].as_str().is_some_and(|t| t.contains("mitigated")))
    })
    .await;

    // The day's sequence was stored by the old build: the next incident is the third.
    let report = bot
        .alert(
            "alertmanager",
            &am_alert("compat-1", "billing", "critical", "firing"),
        )
        .await;
    assert_eq!(report["incidents"][0], "INC-20261201-003", "{report}");
}
