//! Durability across a crash, with the real binary: a 2xx on an alert endpoint promises the
//! alert is flushed, so `kill -9` right after the answer must lose nothing, and the outbox
//! must pick up chat work that was decided but not yet delivered.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::e2e::{Proc, reports, start_with_retry};
use crate::support::{am_alert, fixture, warroom_serve};

/// The real `warroom serve` on a loopback port and a data directory that outlives it.
struct Server {
    proc: Proc,
    base: String,
}

/// Starts `warroom serve` on `data` (no config file, so the demo users) and waits for
/// `/readyz`. `name` tells the runs apart in the captured logs.
async fn serve(client: &reqwest::Client, data: &Path, logs: &Path, name: &str) -> Server {
    let (proc, port) = start_with_retry(client, "/readyz", |port| {
        Proc::spawn(name, &mut warroom_serve(None, data, logs, port), logs)
    })
    .await;
    Server {
        proc,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn get(client: &reqwest::Client, server: &Server, path: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("{}{path}", server.base))
        .bearer_auth("demo-alice-token")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}{}", server.proc.report()));
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post_alertmanager(
    client: &reqwest::Client,
    base: &str,
    body: String,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let response = client
        .post(format!("{base}/v1/alerts/alertmanager"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

async fn timeline_kinds(client: &reqwest::Client, server: &Server, id: &str) -> Vec<String> {
    // Pages of 500, each starting after the last entry's sequence number.
    let mut kinds = Vec::new();
    let mut after = 0;
    loop {
        let (status, body) = get(
            client,
            server,
            &format!("/v1/incidents/{id}/timeline?limit=500&after={after}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}{}", server.proc.report());
        let page = body.as_array().cloned().unwrap_or_default();
        kinds.extend(
            page.iter()
                .map(|entry| entry["kind"].as_str().unwrap_or_default().to_owned()),
        );
        match page.last().and_then(|entry| entry["seq"].as_u64()) {
            Some(last) if page.len() == 500 => after = last,
            _ => return kinds,
        }
    }
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

fn today() -> String {
    chrono::Utc::now().format("%Y%m%d").to_string()
}

fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

#[tokio::test]
async fn a_kill_9_right_after_the_answer_loses_nothing_and_the_outbox_resumes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let client = reqwest::Client::new();

    let mut first = serve(&client, &data, dir.path(), "warroom-before-kill").await;
    let day_before = today();
    let body = fixture("alertmanager/payload-am-direct-firing.json");
    let (status, report) = post_alertmanager(&client, &first.base, body.clone())
        .await
        .expect("the first post is answered");
    // No graceful shutdown: SIGKILL the moment the answer is in.
    first.proc.kill();
    let day_after = today();
    assert_eq!(status, StatusCode::OK, "{report}{}", first.proc.report());
    assert_eq!(report["opened"], 1, "{report}");

    // The id is INC-<today UTC>-001; the day is read on both sides of the post so a test run
    // that straddles midnight UTC still passes.
    let id = report["incidents"][0].as_str().expect("an incident id");
    assert!(
        [day_before, day_after]
            .iter()
            .any(|day| id == format!("INC-{day}-001")),
        "unexpected incident id {id}"
    );

    let second = serve(&client, &data, dir.path(), "warroom-after-kill").await;
    let procs = [&first.proc, &second.proc];
    let (status, incidents) = get(&client, &second, "/v1/incidents").await;
    assert_eq!(status, StatusCode::OK, "{incidents}");
    let incidents = incidents.as_array().cloned().unwrap_or_default();
    assert_eq!(incidents.len(), 1, "{incidents:#?}{}", reports(&procs));
    let incident = &incidents[0];
    assert_eq!(incident["id"], json!(id), "{incident:#}");
    assert_eq!(incident["state"], "triggered", "{incident:#}");
    assert_eq!(incident["alerts"]["firing"], 1, "{incident:#}");
    let kinds = timeline_kinds(&client, &second, id).await;
    for kind in ["incident_opened", "alert_received"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }

    // The room and its pinned card come from the outbox, which may not have run before the
    // kill: after the restart it must finish the job. The card_posted entry follows the card,
    // so waiting for both leaves the timeline quiet before the duplicate check below.
    let room = id.to_ascii_lowercase();
    let deadline = Instant::now() + Duration::from_secs(20);
    let kinds = loop {
        let (status, messages) = get(
            &client,
            &second,
            &format!("/console/api/rooms/{room}/messages"),
        )
        .await;
        let pinned = status == StatusCode::OK
            && messages
                .as_array()
                .is_some_and(|all| all.iter().any(|m| m["pinned"] == json!(true)));
        let kinds = timeline_kinds(&client, &second, id).await;
        if pinned && kinds.iter().any(|k| k == "card_posted") {
            break kinds;
        }
        assert!(
            Instant::now() < deadline,
            "no pinned card in {room} after the restart: {status} {messages:#}\ntimeline {kinds:?}{}",
            reports(&procs)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        count(&kinds, "card_posted"),
        1,
        "one card, however often the outbox was interrupted: {kinds:?}"
    );

    // Alertmanager retries and HA pairs deliver the same notification again: nothing changes.
    let (status, report) = post_alertmanager(&client, &second.base, body)
        .await
        .expect("the repeat is answered");
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    let after = timeline_kinds(&client, &second, id).await;
    assert_eq!(after, kinds, "a duplicate must not touch the timeline");
}

#[tokio::test]
async fn two_hundred_concurrent_alerts_all_survive_a_kill_9() {
    const ALERTS: usize = 200;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let client = reqwest::Client::new();

    let mut first = serve(&client, &data, dir.path(), "warroom-before-kill").await;
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..ALERTS {
        let client = client.clone();
        let base = first.base.clone();
        posts.spawn(async move {
            let body = am_alert(
                &format!("restart-{n:04}"),
                "storm-api",
                "critical",
                "firing",
            );
            (n, post_alertmanager(&client, &base, body).await)
        });
    }
    let mut answers = Vec::with_capacity(ALERTS);
    while let Some(joined) = posts.join_next().await {
        answers.push(joined.expect("the post task ran"));
    }
    // Every answer is in: crash now, before anything else can be flushed by chance.
    first.proc.kill();
    let mut stored = 0;
    for (n, answer) in &answers {
        match answer {
            Ok((status, report)) if *status == StatusCode::OK => {
                stored +=
                    report["opened"].as_u64().unwrap_or(0) + report["joined"].as_u64().unwrap_or(0);
            }
            Ok((status, report)) => panic!("alert {n}: {status} {report}{}", first.proc.report()),
            Err(error) => panic!("alert {n}: {error}{}", first.proc.report()),
        }
    }
    assert_eq!(stored, ALERTS as u64, "every alert opened or joined");

    let second = serve(&client, &data, dir.path(), "warroom-after-kill").await;
    let procs = [&first.proc, &second.proc];
    let (status, incidents) = get(&client, &second, "/v1/incidents").await;
    assert_eq!(status, StatusCode::OK, "{incidents}");
    let incidents = incidents.as_array().cloned().unwrap_or_default();
    assert_eq!(
        incidents.len(),
        1,
        "one service, one incident: {incidents:#?}{}",
        reports(&procs)
    );
    let incident = &incidents[0];
    assert_eq!(incident["alerts"]["firing"], ALERTS, "{incident:#}");
    let id = incident["id"].as_str().expect("an incident id");
    let kinds = timeline_kinds(&client, &second, id).await;
    assert_eq!(count(&kinds, "alert_received"), ALERTS, "{kinds:?}");
    assert_eq!(count(&kinds, "incident_opened"), 1, "{kinds:?}");
}

/// One request with an alert for each of `services` services: that many incidents, each
/// with a room, a card and a mention for the outbox to deliver.
fn storm_of_services(services: usize) -> String {
    let alerts: Vec<Value> = (0..services)
        .map(|n| {
            json!({
                "status": "firing",
                "labels": {"alertname": "Down", "service": format!("svc-{n:03}"), "severity": "critical"},
                "annotations": {"summary": format!("svc-{n:03} is down")},
                "startsAt": "2026-11-21T09:58:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("storm-{n:03}")
            })
        })
        .collect();
    json!({"version": "4", "status": "firing", "receiver": "warroom", "alerts": alerts}).to_string()
}

/// The single-incident test above usually loses the race: the outbox delivers a lone card
/// within the flush that precedes the answer. A hundred incidents at once leave the outbox
/// mid-queue at the kill, so this is the test that makes the restart finish real work, and
/// it checks that finishing it neither skips nor repeats anything.
///
/// This once failed about one run in three: the outbox stored the chat reference before the
/// engine recorded RoomCreated/CardPosted, and a restart that found the reference skipped the
/// record. Records are now idempotent and always repeated, so a kill between the two heals.
#[tokio::test]
async fn the_outbox_finishes_every_room_after_a_kill_9_mid_delivery() {
    const SERVICES: usize = 100;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let client = reqwest::Client::new();

    let mut first = serve(&client, &data, dir.path(), "warroom-before-kill").await;
    let (status, report) = post_alertmanager(&client, &first.base, storm_of_services(SERVICES))
        .await
        .expect("the storm is answered");
    first.proc.kill();
    assert_eq!(status, StatusCode::OK, "{report}{}", first.proc.report());
    assert_eq!(report["opened"], SERVICES, "{report}");
    let opened_before_kill = first.proc.output().matches("Incident room opened.").count();

    let second = serve(&client, &data, dir.path(), "warroom-after-kill").await;
    let procs = [&first.proc, &second.proc];
    let (_, incidents) = get(&client, &second, "/v1/incidents?limit=500").await;
    let ids: Vec<String> = incidents
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|incident| incident["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), SERVICES, "{}", reports(&procs));

    let deadline = Instant::now() + Duration::from_secs(60);
    for id in &ids {
        let room = id.to_ascii_lowercase();
        loop {
            let kinds = timeline_kinds(&client, &second, id).await;
            let (status, messages) = get(
                &client,
                &second,
                &format!("/console/api/rooms/{room}/messages"),
            )
            .await;
            let messages = messages.as_array().cloned().unwrap_or_default();
            let pinned = messages
                .iter()
                .filter(|m| m["pinned"] == json!(true))
                .count();
            if status == StatusCode::OK && pinned >= 1 && kinds.iter().any(|k| k == "card_posted") {
                assert_eq!(pinned, 1, "{room}: {messages:#?}");
                let (_, incident) = get(&client, &second, &format!("/v1/incidents/{id}")).await;
                assert_eq!(incident["room"], json!(room), "{incident:#}");
                assert_eq!(count(&kinds, "room_created"), 1, "{id}: {kinds:?}");
                assert_eq!(count(&kinds, "card_posted"), 1, "{id}: {kinds:?}");
                let mut texts: Vec<&str> = messages
                    .iter()
                    .map(|m| m["text"].as_str().unwrap_or_default())
                    .collect();
                texts.sort_unstable();
                let total = texts.len();
                texts.dedup();
                assert_eq!(
                    texts.len(),
                    total,
                    "a message posted twice in {room}: {messages:#?}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{room} incomplete after the restart (rooms opened before the kill: \
                 {opened_before_kill}): {status} {messages:#?}\ntimeline {kinds:?}{}",
                reports(&procs)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Not asserted (it depends on timing), but shown with --nocapture: how much work the
    // restart had to pick up.
    eprintln!("rooms opened before the kill: {opened_before_kill} of {SERVICES}");
}
