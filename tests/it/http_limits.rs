//! Slow and greedy clients: header and body timeouts, paging of the incident list, a clear
//! answer for a wrong method on intake, and a second server on a held data directory.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{READER_TOKEN, TestBot};

/// Far above the 1 s the tests configure and far below hyper's own defaults (none, or 30 s):
/// a bound for a busy machine, not a speed requirement.
const BOUND: Duration = Duration::from_secs(20);

const SHORT_TIMEOUTS: &str =
    "[chat]\ncard_edit_interval = \"0s\"\n[http]\nheader_timeout = \"1s\"\nbody_timeout = \"1s\"\n";

/// Writes `request` raw, then reads until the server closes; returns what it answered.
async fn send_raw(bot: &TestBot, request: &[u8]) -> String {
    let host = bot.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(BOUND, stream.read_to_end(&mut response)).await;
    assert!(
        read.is_ok(),
        "the server held the connection open; it answered {:?}",
        String::from_utf8_lossy(&response)
    );
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_after_the_header_timeout() {
    let bot = TestBot::spawn_with(SHORT_TIMEOUTS).await;
    let answer = send_raw(&bot, b"GET /healthz HTTP/1.1\r\nHost: warroom\r\nX-Slow: ").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // Everyone else is still served.
    let (status, _) = bot.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_stalls_is_answered_408() {
    let bot = TestBot::spawn_with(SHORT_TIMEOUTS).await;
    let answer = send_raw(
        &bot,
        b"POST /v1/alerts/generic HTTP/1.1\r\nHost: warroom\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"alert_id\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1s"), "{answer}");
    assert!(bot.incidents().await.is_empty());
}

#[tokio::test]
async fn shutdown_does_not_wait_out_a_client_that_stalls_its_body() {
    // The default body timeout (30 s) is longer than the bound; the drain (5 s) is not.
    let mut bot = TestBot::spawn().await;
    let host = bot.base.trim_start_matches("http://").to_owned();
    let mut stalled = TcpStream::connect(&host).await.unwrap();
    stalled
        .write_all(
            b"POST /v1/alerts/generic HTTP/1.1\r\nHost: warroom\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    // Let the request reach its handler before the stop.
    let (status, _) = bot.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let restarted = tokio::time::timeout(BOUND, bot.restart()).await;
    assert!(restarted.is_ok(), "the stop waited for the stalled client");
    let (status, _) = bot.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    drop(stalled);
}

/// One Alertmanager post with `count` alerts of distinct services: `count` incidents.
fn many_services(count: usize) -> String {
    let alerts: Vec<Value> = (0..count)
        .map(|n| {
            json!({
                "status": "firing",
                "labels": {"alertname": "Down", "service": format!("svc-{n:03}"), "severity": "critical"},
                "annotations": {"summary": "down"},
                "startsAt": "2026-11-21T09:58:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("page-{n:03}")
            })
        })
        .collect();
    json!({"version": "4", "status": "firing", "receiver": "warroom", "alerts": alerts}).to_string()
}

/// Follows `x-next-after` from `first` to the end; returns the ids and the page sizes.
async fn walk(bot: &TestBot, first: &str) -> (Vec<String>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut path = first.to_owned();
    loop {
        let response = bot.get_response(&path, Some(READER_TOKEN)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let next = response
            .headers()
            .get("x-next-after")
            .map(|value| value.to_str().unwrap().to_owned());
        let page: Vec<Value> = response.json().await.unwrap();
        sizes.push(page.len());
        ids.extend(page.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match next {
            Some(after) => {
                let separator = if first.contains('?') { '&' } else { '?' };
                path = format!("{first}{separator}after={after}");
            }
            None => return (ids, sizes),
        }
        assert!(sizes.len() < 100, "paging never ends");
    }
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_wait_and_health_stays_open() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[http]\nmax_concurrent_requests = 4\n",
    )
    .await;
    let host = bot.base.trim_start_matches("http://").to_owned();
    // Four requests whose bodies never finish hold all four slots.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(&host).await.unwrap();
        stream
            .write_all(
                b"POST /v1/alerts/generic HTTP/1.1\r\nHost: warroom\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            )
            .await
            .unwrap();
        stalled.push(stream);
    }
    let alert = crate::support::am_alert("limit-1", "checkout", "critical", "firing");
    let waiting = tokio::time::timeout(
        Duration::from_secs(2),
        bot.post_alerts("alertmanager", &alert),
    )
    .await;
    assert!(waiting.is_err(), "a fifth request got a slot: {waiting:?}");
    let (status, _) = bot.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    // The stalled clients go away; their slots free up.
    drop(stalled);
    let answered = tokio::time::timeout(BOUND, bot.post_alerts("alertmanager", &alert)).await;
    assert_eq!(answered.unwrap().0, StatusCode::OK);
}

#[tokio::test]
async fn paging_walks_every_incident_exactly_once() {
    let bot = TestBot::spawn().await;
    bot.alert("alertmanager", &many_services(57)).await;
    let expected: Vec<String> = (1..=57)
        .rev()
        .map(|n| format!("INC-20261121-{n:03}"))
        .collect();

    // The default page is 50, newest first.
    let (ids, sizes) = walk(&bot, "/v1/incidents").await;
    assert_eq!(sizes, [50, 7]);
    assert_eq!(ids, expected);
    let (ids, sizes) = walk(&bot, "/v1/incidents?limit=20").await;
    assert_eq!(sizes, [20, 20, 17]);
    assert_eq!(ids, expected);
    // An exact multiple ends without an empty page.
    let (_, sizes) = walk(&bot, "/v1/incidents?limit=19").await;
    assert_eq!(sizes, [19, 19, 19]);
    let (ids, _) = walk(&bot, "/v1/incidents?limit=500").await;
    assert_eq!(ids.len(), 57);

    // Console rooms page too, by room id: 57 incident rooms, general and alerts.
    let mut rooms = Vec::new();
    for _ in 0..1200 {
        rooms = bot.rooms().await;
        if rooms.len() == 59 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(rooms.len(), 59);
    let (room_ids, sizes) = walk(&bot, "/console/api/rooms?limit=20").await;
    assert_eq!(sizes, [20, 20, 19]);
    let sorted: Vec<String> = room_ids
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(room_ids, sorted, "rooms come by id, each once");
    let (status, body) = bot.get("/console/api/rooms?limit=501").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A room's messages page by message id, oldest first.
    let room = bot.room_of("INC-20261121-003").await;
    let all: Vec<String> = bot
        .wait_for_messages(&room, "the card and a notice", |messages| {
            messages.len() >= 2
        })
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let (ids, sizes) = walk(&bot, &format!("/console/api/rooms/{room}/messages?limit=1")).await;
    assert_eq!(ids, all);
    assert!(sizes.iter().all(|size| *size == 1), "{sizes:?}");
    let (status, body) = bot
        .get(&format!("/console/api/rooms/{room}/messages?after=x"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // The state filter pages too.
    for n in [3, 10, 40] {
        let room = bot.room_of(&format!("INC-20261121-{n:03}")).await;
        let reply = bot.slash("alice", &room, "/incident ack").await;
        assert!(reply.ok, "{reply:?}");
    }
    let (ids, sizes) = walk(&bot, "/v1/incidents?state=acknowledged&limit=2").await;
    assert_eq!(
        ids,
        ["INC-20261121-040", "INC-20261121-010", "INC-20261121-003"]
    );
    assert_eq!(sizes, [2, 1]);
    let (ids, _) = walk(&bot, "/v1/incidents?state=triggered&limit=7").await;
    assert_eq!(ids.len(), 54);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 54);
}

#[tokio::test]
async fn bad_limits_and_cursors_get_a_clear_400() {
    let bot = TestBot::spawn().await;
    for (query, needle) in [
        (
            "limit=0",
            "limit: \"0\" must be a whole number from 1 to 500",
        ),
        ("limit=501", "from 1 to 500"),
        ("limit=abc", "limit: \"abc\""),
        ("limit=-1", "limit: \"-1\""),
        ("after=nope", "after: \"nope\" is not an incident id"),
        ("after=INC-2026", "after: \"INC-2026\""),
        ("state=sleeping", "state: \"sleeping\""),
    ] {
        let (status, body) = bot.get(&format!("/v1/incidents?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "{query}: {error}");
    }
}

#[tokio::test]
async fn a_wrong_method_on_intake_says_which_one_to_use() {
    let bot = TestBot::spawn().await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = bot
            .client
            .request(
                method.clone(),
                format!("{}/v1/alerts/alertmanager", bot.base),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(response.headers()["allow"], "POST");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("POST"),
            "{method}: {body}"
        );
    }
}

#[tokio::test]
async fn a_second_server_on_a_held_data_dir_says_who_holds_it() {
    let bot = TestBot::spawn().await;
    let output = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("serve")
        .arg("--http-addr")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(bot.data_dir())
        .current_dir(bot.data_dir())
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_INGEST_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "another warroom holds {}",
            bot.data_dir().display()
        )),
        "{stderr}"
    );
    // The first one is unharmed.
    let (status, _) = bot.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
}
