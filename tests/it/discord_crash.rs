//! A real crash under Discord: `kill -9` of the real binary while the outbox is opening
//! rooms, then a restart that must finish the work without a second channel or message.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::discord::guild_config;
use crate::discord_storm::assert_each_room_once;
use crate::e2e::{Proc, start_with_retry};
use crate::support::fake_discord::FakeDiscord;
use crate::support::{DISCORD_TEST_TOKEN, warroom_serve};

const SERVICES: usize = 20;

fn spawn(config: &Path, data: &Path, logs: &Path, name: &str, port: u16) -> Proc {
    Proc::spawn(
        name,
        &mut warroom_serve(Some(config), data, logs, port),
        logs,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_while_opening_rooms_in_discord_leaves_no_duplicates() {
    let fake = FakeDiscord::start().await;
    let (discord, _category) = guild_config(&fake, |_, _| String::new());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!("[discord]\ntoken = \"{DISCORD_TEST_TOKEN}\"\n{discord}"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let client = reqwest::Client::new();

    // /readyz answers 200 only once Discord is connected and the commands are registered.
    let (mut first, port) = start_with_retry(&client, "/readyz", |port| {
        spawn(&config, &data, dir.path(), "warroom-before-kill", port)
    })
    .await;
    let alerts: Vec<_> = (0..SERVICES)
        .map(|n| {
            json!({
                "status": "firing",
                "labels": {"alertname": "Down", "service": format!("svc-{n:02}"), "severity": "critical"},
                "annotations": {"summary": format!("svc-{n:02} is down")},
                "startsAt": "2026-11-21T09:58:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("crash-{n:02}")
            })
        })
        .collect();
    let body = json!({"version": "4", "status": "firing", "receiver": "warroom", "alerts": alerts});
    let response = client
        .post(format!("http://127.0.0.1:{port}/v1/alerts/alertmanager"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", first.report());
    // Kill while the outbox is part-way: some rooms exist, most do not.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake
        .channels()
        .iter()
        .filter(|c| c.name.starts_with("inc-"))
        .count()
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "no rooms before the kill{}",
            first.report()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    let before = fake
        .channels()
        .iter()
        .filter(|c| c.name.starts_with("inc-"))
        .count();

    let (second, _) = start_with_retry(&client, "/readyz", |port| {
        spawn(&config, &data, dir.path(), "warroom-after-kill", port)
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = fake
            .channels()
            .iter()
            .filter(|c| c.name.starts_with("inc-"))
            .filter(|c| fake.messages(c.id).len() >= 2)
            .count();
        if done == SERVICES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {SERVICES} rooms finished after the restart{}{}",
            first.report(),
            second.report()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "DISCORD CRASH: {before} of {SERVICES} rooms existed at the kill; all {SERVICES} finished after the restart"
    );
    assert!(before < SERVICES, "the kill came too late to test anything");
    assert_each_room_once(&fake);
    fake.assert_no_violations();
}
