//! Durable jobs across a crash, with the real binary: a probe running when warroom is killed
//! with `kill -9` is reported `job_interrupted` after the restart and, being idempotent, runs
//! again.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::e2e::{Server, serve};
use crate::probe::{HealthServer, alert_with_health_url};

const TOKEN: &str = "jobs-test-alice-token";

async fn timeline(client: &reqwest::Client, server: &Server, id: &str) -> Vec<Value> {
    let response = client
        .get(format!(
            "{}/v1/incidents/{id}/timeline?limit=500",
            server.base
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("timeline: {e}{}", server.proc.report()));
    assert!(response.status().is_success(), "{}", server.proc.report());
    response.json().await.unwrap_or_default()
}

#[tokio::test]
async fn a_probe_running_at_kill_9_is_reported_interrupted_and_runs_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("warroom.toml");
    let hash = warroom::credentials::TokenHash::of(TOKEN).to_hex();
    let health = HealthServer::start().await;
    std::fs::write(
        &config,
        format!(
            "[probes]\nallow_hosts = [{}]\n\
             [[users]]\nname = \"alice\"\nroles = [\"commander\"]\ntoken_sha256 = \"{hash}\"\n",
            health.allow_hosts()
        ),
    )
    .expect("write config");
    let client = reqwest::Client::new();

    let mut first = serve(&client, &config, &data, dir.path(), "warroom-before-kill").await;
    let response = client
        .post(format!("{}/v1/alerts/alertmanager", first.base))
        .header("content-type", "application/json")
        .body(alert_with_health_url(
            "fp1",
            "checkout",
            Some(&health.url("/hang")),
        ))
        .send()
        .await
        .expect("the alert is answered");
    assert!(response.status().is_success(), "{}", first.proc.report());
    let report: Value = response.json().await.expect("a report");
    let id = report["incidents"][0]
        .as_str()
        .expect("an incident id")
        .to_owned();
    // The probe is running once its request reached the server (marked started before it).
    let deadline = Instant::now() + Duration::from_secs(30);
    while health.hits("/hang") == 0 {
        assert!(
            Instant::now() < deadline,
            "the probe never ran{}",
            first.proc.report()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.proc.kill();
    health.hang.store(false, Ordering::SeqCst);

    let second = serve(&client, &config, &data, dir.path(), "warroom-after-kill").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let entries = loop {
        let entries = timeline(&client, &second, &id).await;
        if entries.iter().any(|e| e["kind"] == "probe_result") {
            break entries;
        }
        assert!(
            Instant::now() < deadline,
            "no probe result after the restart: {entries:#?}{}",
            second.proc.report()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let interrupted: Vec<_> = entries
        .iter()
        .filter(|e| e["kind"] == "job_interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "{entries:#?}");
    assert_eq!(interrupted[0]["job_kind"], "probe");
    assert_eq!(interrupted[0]["rerun"], true);
    let results: Vec<_> = entries
        .iter()
        .filter(|e| e["kind"] == "probe_result")
        .collect();
    assert_eq!(results.len(), 1, "{entries:#?}");
    assert_eq!(results[0]["status"], 200);
    assert_eq!(health.hits("/hang"), 2, "the idempotent probe ran again");
}
