//! Alerts in: the four formats, idempotency, resolves, grouping, thresholds and bad input.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestBot, am_alert, fixture};

#[tokio::test]
async fn alertmanager_firing_opens_an_incident_with_room_card_and_mentions() {
    let bot = TestBot::spawn().await;
    let report = bot
        .alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    assert_eq!(report["opened"], 1);
    assert_eq!(report["incidents"], json!(["INC-20261121-001"]));

    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["title"], "Checkout API p99 latency > 2s");
    assert_eq!(incident["severity"], "sev1");
    assert_eq!(incident["state"], "triggered");
    assert_eq!(incident["service"], "checkout-api");
    assert_eq!(incident["alerts"], json!({"firing": 1, "resolved": 0}));
    assert_eq!(
        incident["roles"],
        json!({"commander": "alice", "communications": "carol", "operations": "bob"})
    );
    // The fixture's alert starts at 21:47, after the test clock's 10:00: a start in the
    // future (clock skew at the sender) is clamped to the moment warroom detected it.
    assert_eq!(incident["milestones"]["occurred"], "2026-11-21T10:00:00Z");
    assert_eq!(incident["milestones"]["detected"], "2026-11-21T10:00:00Z");

    let room = bot.room_of("INC-20261121-001").await;
    let messages = bot
        .wait_for_messages(&room, "card and mentions", |m| m.len() >= 2)
        .await;
    let card = &messages[0];
    assert_eq!(card["pinned"], true);
    let text = card.to_string();
    for needle in [
        "INC-20261121-001",
        "Checkout API p99 latency > 2s",
        "SEV1",
        "checkout-api",
        "1 firing",
        "p99 latency above SLO for 5m",
        "http://127.0.0.1:19090/graph",
        "http://127.0.0.1:18080/runbook/latency",
    ] {
        assert!(text.contains(needle), "card lacks {needle:?}: {text}");
    }
    let labels: Vec<&str> = card["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Acknowledge", "Mitigated", "Resolve"]);
    let mentions = messages[1]["text"].as_str().unwrap();
    for needle in [
        "@alice",
        "@carol",
        "@bob",
        "Incident Commander",
        "Communications Lead",
        "Operations Lead",
    ] {
        assert!(
            mentions.contains(needle),
            "mentions lack {needle:?}: {mentions}"
        );
    }
    let rooms = bot.rooms().await;
    assert!(rooms.iter().any(
        |r| r["name"] == "inc-20261121-001-checkout-api-p99-latency-2s"
            && r["incident"] == "INC-20261121-001"
    ));

    // The room and card are on the timeline too, once delivered.
    let kinds = bot.timeline_kinds("INC-20261121-001").await;
    assert_eq!(
        &kinds[..5],
        [
            "incident_opened",
            "role_assigned",
            "role_assigned",
            "role_assigned",
            "alert_received"
        ]
    );
    assert!(kinds.contains(&"room_created".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"card_posted".to_owned()), "{kinds:?}");
    let (status, incident) = bot.get("/v1/incidents/INC-20261121-001").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(incident["room"], room);
}

#[tokio::test]
async fn the_same_alert_twice_changes_nothing() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let before = bot.timeline("INC-20261121-001").await.len();
    for _ in 0..3 {
        let report = bot
            .alert_fixture("alertmanager/payload-am-direct-firing.json")
            .await;
        assert_eq!(report["duplicates"], 1, "{report}");
        assert_eq!(report["opened"], 0);
    }
    // A late delivery of the same state must not add timeline entries, even after other
    // entries arrived (room, card).
    let entries = bot.timeline("INC-20261121-001").await;
    let alert_entries = entries
        .iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("alert"))
        // The fixture starts after the test clock's now; that correction is noted once.
        .filter(|e| e["kind"] != "alert_start_corrected")
        .count();
    assert_eq!(alert_entries, 1);
    assert!(entries.len() >= before);
    assert_eq!(bot.incidents().await.len(), 1);
}

#[tokio::test]
async fn a_resolve_updates_the_alert_and_the_card_but_closing_stays_human() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of("INC-20261121-001").await;
    let report = bot
        .alert_fixture("alertmanager/payload-am-direct-resolved.json")
        .await;
    assert_eq!(report["updated"], 1, "{report}");
    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["alerts"], json!({"firing": 0, "resolved": 1}));
    assert_eq!(
        incident["state"], "triggered",
        "closing is a human decision"
    );
    let kinds = bot.timeline_kinds("INC-20261121-001").await;
    assert!(kinds.contains(&"alert_resolved".to_owned()));
    assert!(kinds.contains(&"all_alerts_resolved".to_owned()));
    bot.wait_for_messages(&room, "the card saying all resolved", |messages| {
        messages[0].to_string().contains("all 1 alert resolved")
    })
    .await;
    bot.wait_for_messages(&room, "the all-resolved notice", |messages| {
        messages.iter().any(|m| {
            m["text"]
                .as_str()
                .unwrap_or_default()
                .contains("Every alert of this incident has resolved")
        })
    })
    .await;
    // The resolve delivered again is a duplicate.
    let again = bot
        .alert_fixture("alertmanager/payload-am-direct-resolved.json")
        .await;
    assert_eq!(again["duplicates"], 1);
}

#[tokio::test]
async fn auto_resolve_resolves_when_configured() {
    let bot = TestBot::spawn_with(
        "[incidents]\nauto_resolve = true\n[chat]\ncard_edit_interval = \"0s\"\n",
    )
    .await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    bot.alert_fixture("alertmanager/payload-am-direct-resolved.json")
        .await;
    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["state"], "resolved");
    let timeline = bot.timeline("INC-20261121-001").await;
    let change = timeline
        .iter()
        .find(|e| e["kind"] == "state_changed")
        .expect("a state change");
    assert_eq!(change["actor"], "warroom");
    assert_eq!(change["to"], "resolved");
}

#[tokio::test]
async fn a_firing_group_with_a_resolved_alert_inside_is_read_alert_by_alert() {
    let bot = TestBot::spawn().await;
    let report = bot
        .alert_fixture("alertmanager/payload-am-mixed-group.json")
        .await;
    // db-1 resolved before warroom saw it fire: recorded only. db-2 fires: opens an incident.
    assert_eq!(report["received"], 2);
    assert_eq!(report["opened"], 1);
    assert_eq!(report["recorded"], 1);
    let incident = bot.incident("INC-20261121-001").await;
    assert_eq!(incident["service"], "storage");
    assert_eq!(incident["severity"], "sev3");
    assert_eq!(incident["alerts"], json!({"firing": 1, "resolved": 0}));
}

#[tokio::test]
async fn prometheus_fixtures_and_every_other_format_are_accepted() {
    let bot = TestBot::spawn().await;
    let report = bot
        .alert_fixture("alertmanager/payload-prometheus-firing.json")
        .await;
    assert_eq!(report["opened"], 1);
    // A resolve for an alert never seen firing is recorded, opens nothing.
    let report = bot
        .alert_fixture("alertmanager/payload-prometheus-resolved.json")
        .await;
    assert_eq!(report["recorded"], 1);
    assert_eq!(report["opened"], 0);

    for (name, expected_service) in [
        ("grafana/firing.json", None),
        ("zabbix/problem.json", None),
        ("generic/one.json", None),
    ] {
        let report = bot.alert_fixture(name).await;
        assert!(
            report["opened"].as_u64().unwrap()
                + report["joined"].as_u64().unwrap()
                + report["recorded"].as_u64().unwrap()
                >= 1,
            "{name}: {report}"
        );
        let _: Option<&str> = expected_service;
    }
    let many = bot.alert_fixture("generic/many.json").await;
    assert!(many["received"].as_u64().unwrap() >= 2, "{many}");
    // Resolves in the other formats find their firing alert.
    let grafana = bot.alert_fixture("grafana/resolved.json").await;
    assert_eq!(grafana["updated"], 1, "{grafana}");
    let zabbix = bot.alert_fixture("zabbix/resolved.json").await;
    assert_eq!(zabbix["updated"], 1, "{zabbix}");
}

#[tokio::test]
async fn a_storm_for_one_service_is_one_incident_with_a_coalesced_card() {
    let bot = TestBot::spawn_with("[chat]\ncard_edit_interval = \"1s\"\n").await;
    let mut tasks = Vec::new();
    for n in 0..300 {
        let body = am_alert(&format!("storm-{n:04}"), "payments", "critical", "firing");
        let client = bot.client.clone();
        let url = format!("{}/v1/alerts/alertmanager", bot.base);
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    let incidents = bot.incidents().await;
    assert_eq!(incidents.len(), 1, "one incident for the storm");
    assert_eq!(incidents[0]["alerts"]["firing"], 300);
    let room = bot.room_of("INC-20261121-001").await;
    let messages = bot
        .wait_for_messages(&room, "the card showing 300 firing", |messages| {
            messages[0].to_string().contains("300 firing")
        })
        .await;
    // One card, edited in place; no message per alert.
    assert!(messages.len() <= 3, "posted {} messages", messages.len());
    assert!(messages[0]["edited_at"].is_string());
    let alert_entries = bot
        .timeline("INC-20261121-001")
        .await
        .iter()
        .filter(|e| e["kind"] == "alert_received")
        .count();
    assert_eq!(alert_entries, 300, "every alert is on the timeline");
}

#[tokio::test]
async fn grouping_follows_service_then_window() {
    let bot = TestBot::spawn().await;
    bot.alert(
        "alertmanager",
        &am_alert("a1", "checkout", "critical", "firing"),
    )
    .await;
    bot.alert(
        "alertmanager",
        &am_alert("a2", "checkout", "warning", "firing"),
    )
    .await;
    bot.alert(
        "alertmanager",
        &am_alert("b1", "search", "critical", "firing"),
    )
    .await;
    let ids: Vec<String> = bot
        .incidents()
        .await
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["INC-20261121-002", "INC-20261121-001"],
        "newest first"
    );
    assert_eq!(
        bot.incident("INC-20261121-001").await["alerts"]["firing"],
        2
    );
    // Past the grouping window (default 4 h) a new alert opens a new incident.
    bot.advance(chrono::Duration::hours(5));
    let report = bot
        .alert(
            "alertmanager",
            &am_alert("a3", "checkout", "critical", "firing"),
        )
        .await;
    assert_eq!(report["incidents"], json!(["INC-20261121-003"]));
}

#[tokio::test]
async fn alerts_below_the_threshold_are_recorded_without_an_incident() {
    let bot = TestBot::spawn_with("[severity]\nmin_incident = \"sev2\"\n").await;
    let report = bot
        .alert(
            "alertmanager",
            &am_alert("w1", "cache", "warning", "firing"),
        )
        .await;
    assert_eq!(report["recorded"], 1);
    assert!(bot.incidents().await.is_empty());
    // Delivered again: a duplicate, not a second record.
    let again = bot
        .alert(
            "alertmanager",
            &am_alert("w1", "cache", "warning", "firing"),
        )
        .await;
    assert_eq!(again["duplicates"], 1);
    let metrics = bot.get_text("/metrics").await.1;
    assert!(metrics.contains("outcome=\"below_threshold\""), "{metrics}");
    // People still see it, once, in the alerts room.
    let messages = bot
        .wait_for_messages("alerts", "the alert in the alerts room", |m| !m.is_empty())
        .await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let text = messages[0]["text"].as_str().unwrap();
    assert!(text.contains("SEV3 HighErrorRate on cache"), "{text}");
}

#[tokio::test]
async fn a_more_severe_alert_raises_the_incident() {
    let bot = TestBot::spawn().await;
    bot.alert("alertmanager", &am_alert("x1", "api", "warning", "firing"))
        .await;
    assert_eq!(bot.incident("INC-20261121-001").await["severity"], "sev3");
    bot.alert("alertmanager", &am_alert("x2", "api", "critical", "firing"))
        .await;
    assert_eq!(bot.incident("INC-20261121-001").await["severity"], "sev1");
    let kinds = bot.timeline_kinds("INC-20261121-001").await;
    assert!(kinds.contains(&"severity_changed".to_owned()));
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let bot = TestBot::spawn().await;
    let good = fixture("alertmanager/payload-am-direct-firing.json");
    let cases: Vec<(&str, Option<&str>, String, StatusCode, &str)> = vec![
        (
            "/v1/alerts/alertmanager",
            Some("application/json"),
            "{".to_owned(),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            "/v1/alerts/alertmanager",
            Some("application/json"),
            good.replace("\"2026-11-21T21:47:21.246Z\"", "\"yesterday\""),
            StatusCode::BAD_REQUEST,
            "alerts[0].startsAt",
        ),
        (
            "/v1/alerts/alertmanager",
            Some("application/json"),
            good.replace("\"version\": \"4\"", "\"version\": \"3\""),
            StatusCode::BAD_REQUEST,
            "version",
        ),
        (
            "/v1/alerts/alertmanager",
            Some("application/json"),
            good.replace(
                "\"status\": \"firing\",\n      \"labels\"",
                "\"status\": \"burning\",\n      \"labels\"",
            ),
            StatusCode::BAD_REQUEST,
            "alerts[0].status",
        ),
        (
            "/v1/alerts/alertmanager",
            Some("text/plain"),
            good.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            "/v1/alerts/alertmanager",
            None,
            good.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            "/v1/alerts/generic",
            Some("application/json"),
            json!({"alert_id": "g1", "alert_nam": "x"}).to_string(),
            StatusCode::BAD_REQUEST,
            "alert_nam",
        ),
        (
            "/v1/alerts/nagios",
            Some("application/json"),
            good.clone(),
            StatusCode::NOT_FOUND,
            "unknown alert source",
        ),
        (
            "/v1/alerts/alertmanager",
            Some("application/json"),
            "[]".to_owned(),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            "/v1/alerts/alertmanager",
            Some("application/json"),
            "\u{0}\u{1}garbage".to_owned(),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
    ];
    for (path, content_type, body, expected, needle) in cases {
        let (status, reply) = bot.post_raw(path, content_type, None, body.clone()).await;
        assert_eq!(
            status, expected,
            "{path} {content_type:?} {body:.60}: {reply}"
        );
        let error = reply["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(needle),
            "error {error:?} should mention {needle:?}"
        );
    }
    // Over the body limit (default 1 MiB): 413, with or without a declared length.
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let (status, reply) = bot
        .post_raw(
            "/v1/alerts/alertmanager",
            Some("application/json"),
            None,
            huge.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{reply}");
    let status = bot
        .post_chunked("/v1/alerts/alertmanager", huge.as_bytes())
        .await;
    assert_eq!(status, 413);
    assert!(bot.incidents().await.is_empty(), "nothing was stored");
    // The server is still fine.
    assert_eq!(bot.get("/healthz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_ingest_token_is_required_when_configured() {
    let bot = TestBot::spawn_with("[ingest]\ntoken = \"s3cret-token-0123456789\"\n").await;
    let body = fixture("alertmanager/payload-am-direct-firing.json");
    for token in [None, Some("wrong-token-0123456789"), Some("")] {
        let (status, reply) = bot
            .post_raw(
                "/v1/alerts/alertmanager",
                Some("application/json"),
                token,
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        let error = reply["error"].as_str().unwrap();
        assert!(error.contains("bearer token"), "{error}");
        assert!(!error.contains("s3cret"), "the error leaks the token");
    }
    let (status, _) = bot
        .post_raw(
            "/v1/alerts/alertmanager",
            Some("application/json"),
            Some("s3cret-token-0123456789"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The scheme is case-insensitive (RFC 7235), as on every other endpoint.
    let response = bot
        .client
        .post(format!("{}/v1/alerts/alertmanager", bot.base))
        .header("content-type", "application/json")
        .header("authorization", "bearer s3cret-token-0123456789")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn read_api_filters_and_validates() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let (status, body) = bot.get("/v1/incidents?state=triggered").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 1);
    let (_, body) = bot.get("/v1/incidents?state=resolved").await;
    assert_eq!(body, json!([]));
    let cases = [
        ("/v1/incidents?state=sleeping", StatusCode::BAD_REQUEST),
        ("/v1/incidents/INC-2026", StatusCode::BAD_REQUEST),
        ("/v1/incidents/INC-20261121-009", StatusCode::NOT_FOUND),
        (
            "/v1/incidents/INC-20261121-009/timeline",
            StatusCode::NOT_FOUND,
        ),
        (
            "/v1/incidents/INC-20261121-001/timeline?limit=0",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/v1/incidents/INC-20261121-001/timeline?limit=abc",
            StatusCode::BAD_REQUEST,
        ),
        ("/v2/nothing", StatusCode::NOT_FOUND),
    ];
    for (path, expected) in cases {
        let (status, body) = bot.get(path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // Paging: two at a time, with a pointer to the next page.
    let response = bot
        .client
        .get(format!(
            "{}/v1/incidents/INC-20261121-001/timeline?limit=2",
            bot.base
        ))
        .bearer_auth(crate::support::READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-next-after"], "2");
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(
        page.iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let (_, next) = bot
        .get("/v1/incidents/INC-20261121-001/timeline?after=2&limit=2")
        .await;
    assert_eq!(next[0]["seq"], 3);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let bot = TestBot::spawn().await;
    assert_eq!(bot.get("/healthz").await.0, StatusCode::OK);
    let (status, ready) = bot.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ready,
        json!({"status": "ready", "store": true, "engine": true, "chat": true})
    );
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let (status, metrics) = bot.get_text("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "warroom_alerts_received_total{source=\"alertmanager\",outcome=\"opened\"}",
        "warroom_incidents_opened_total",
        "warroom_outbox_depth",
        "warroom_http_request_duration_seconds_bucket",
    ] {
        assert!(
            metrics.contains(needle),
            "metrics lack {needle}:\n{metrics}"
        );
    }
}

/// Nothing panics on input: every prefix of every fixture, and every fixture with each byte
/// flipped, parses to alerts or to an error.
#[test]
fn truncated_and_corrupted_bodies_never_panic() {
    use warroom::domain::alert::AlertSource;
    let cases = [
        (
            AlertSource::Alertmanager,
            "alertmanager/payload-am-mixed-group.json",
        ),
        (
            AlertSource::Alertmanager,
            "alertmanager/payload-prometheus-firing.json",
        ),
        (AlertSource::Grafana, "grafana/firing.json"),
        (AlertSource::Zabbix, "zabbix/problem.json"),
        (AlertSource::Generic, "generic/many.json"),
    ];
    let mut parsed = 0;
    for (source, name) in cases {
        let body = fixture(name).into_bytes();
        assert!(
            warroom::intake::parse(source, &body).is_ok(),
            "{name} must parse"
        );
        for end in 0..body.len() {
            let _ = warroom::intake::parse(source, &body[..end]);
            parsed += 1;
        }
        for index in 0..body.len() {
            let mut corrupted = body.clone();
            corrupted[index] ^= 0x5a;
            let _ = warroom::intake::parse(source, &corrupted);
            parsed += 1;
        }
    }
    assert!(parsed > 5000);
}
