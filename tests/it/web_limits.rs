//! The web console's limits: bodies within `[http] body_limit_bytes` and `body_timeout`,
//! its own slice of request slots (slow browsers never starve alert intake), typed text no
//! longer than a chat message, and a `Host` that names warroom (DNS rebinding).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestBot, am_alert, user_token};

/// A bound for a busy machine, not a speed requirement: far above the 1 s timeouts the
/// tests configure, and what a request stuck behind stalled clients would never meet.
const BOUND: Duration = Duration::from_secs(20);

const FIRST: &str = "INC-20261121-001";

/// The longest text a person may type: a Discord message's limit.
const MAX_TYPED: usize = 2000;

fn host_of(bot: &TestBot) -> String {
    bot.base.trim_start_matches("http://").to_owned()
}

/// Writes `request` raw, then reads until the server closes; returns what it answered.
async fn send_raw(bot: &TestBot, request: &str) -> String {
    let mut stream = TcpStream::connect(host_of(bot)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
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
async fn stalled_sign_in_bodies_never_hold_the_slots_alert_intake_needs() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[http]\nmax_concurrent_requests = 4\n",
    )
    .await;
    // Twice as many sign-ins as there are request slots, each promising a body it never
    // sends (the default body timeout, 30 s, outlasts the bound).
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(host_of(&bot)).await.unwrap();
        stream
            .write_all(
                format!(
                    "POST /login HTTP/1.1\r\nHost: {}\r\n\
                     Content-Type: application/x-www-form-urlencoded\r\n\
                     Content-Length: 100000\r\n\r\ntoken=",
                    host_of(&bot)
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        stalled.push(stream);
    }
    // Let them reach the server before the alert (health is outside every limit).
    for _ in 0..8 {
        assert_eq!(bot.get("/healthz").await.0, StatusCode::OK);
    }
    let alert = am_alert("web-limits-1", "checkout", "critical", "firing");
    let answered = tokio::time::timeout(BOUND, bot.post_alerts("alertmanager", &alert)).await;
    let (status, body) = answered.expect("the alert waited behind stalled sign-ins");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(bot.incidents().await.len(), 1);
    // The stalled clients go away; the web console answers again.
    drop(stalled);
    let page = tokio::time::timeout(BOUND, bot.get_text("/")).await;
    assert_eq!(page.expect("the sign-in page answers").0, StatusCode::OK);
}

#[tokio::test]
async fn a_web_body_that_stalls_is_answered_408_and_one_too_large_413() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[http]\nbody_timeout = \"1s\"\nbody_limit_bytes = 2048\n",
    )
    .await;
    let host = host_of(&bot);
    let answer = send_raw(
        &bot,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 100\r\n\r\ntoken="
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1s"), "{answer}");

    // Declared too large: refused before it is read.
    let answer = send_raw(
        &bot,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 5000\r\nConnection: close\r\n\r\ntoken="
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("limit of 2048 bytes"), "{answer}");

    // A write from the page, sent whole: the same limit, not axum's 2 MB.
    let alice = bot.web_sign_in("alice").await;
    bot.alert(
        "alertmanager",
        &am_alert("web-limits-2", "checkout", "critical", "firing"),
    )
    .await;
    let room = bot.room_of(FIRST).await;
    let big = format!("/incident note {}", "x".repeat(3000));
    let response = alice
        .post_form(&format!("/incidents/{FIRST}/command"), &[("text", &big)])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("limit of 2048 bytes")
    );
    let messages = bot.messages(&room).await;
    assert!(
        messages.iter().all(|m| m["author"] != "alice"),
        "{messages:#?}"
    );
    // Within the limit, the same write works.
    let response = alice
        .post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", "/incident ack")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

fn typed_by_alice(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["author"] == "alice")
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn typed_text_longer_than_a_chat_message_is_refused_and_never_recorded() {
    let bot = TestBot::spawn().await;
    bot.alert(
        "alertmanager",
        &am_alert("web-limits-3", "checkout", "critical", "firing"),
    )
    .await;
    let room = bot.room_of(FIRST).await;
    let alice = bot.web_sign_in("alice").await;
    let prefix = "/incident note ";
    let too_long = format!("{prefix}{}", "y".repeat(MAX_TYPED + 1 - prefix.len()));
    let longest = format!("{prefix}{}", "z".repeat(MAX_TYPED - prefix.len()));

    // From the web console's command box.
    let response = alice
        .post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", &too_long)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ok"], false, "{body}");
    let reply = body["reply"].as_str().unwrap();
    assert!(
        reply.contains("at most") && reply.contains("not run or recorded"),
        "{reply}"
    );

    // From the JSON console API.
    let refused = bot.slash("alice", &room, &too_long).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(!refused.ok);
    assert!(
        refused.text.contains("not run or recorded"),
        "{}",
        refused.text
    );
    let zh = bot.slash("wang", &room, &too_long).await;
    assert_eq!(zh.status, StatusCode::BAD_REQUEST);
    assert!(zh.text.contains("未执行也未记录"), "{}", zh.text);

    // Exactly the limit is recorded (the note itself is then refused by the note's own
    // limit, as in chat).
    let taken = bot.slash("alice", &room, &longest).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    let messages = bot.messages(&room).await;
    assert_eq!(typed_by_alice(&messages), vec![longest.clone()]);
    assert!(
        messages.iter().all(|m| m["author"] != "wang"),
        "{messages:#?}"
    );
    assert!(user_token("alice").is_some());
}

#[tokio::test]
async fn a_forged_host_is_refused_without_public_url() {
    let bot = TestBot::spawn().await;
    let host = host_of(&bot);
    let port = host.rsplit(':').next().unwrap().to_owned();
    // A rebinding page: its name resolves to warroom's address; its origin is its own.
    let forged = format!("evil.example:{port}");
    let answer = send_raw(
        &bot,
        &format!("GET / HTTP/1.1\r\nHost: {forged}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    assert!(answer.contains("public_url"), "{answer}");
    let token = user_token("alice").unwrap();
    let form = format!("token={token}");
    let answer = send_raw(
        &bot,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {forged}\r\nOrigin: http://{forged}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("set-cookie"),
        "{answer}"
    );
    // Loopback names stay warroom's.
    for name in [host.clone(), format!("localhost:{port}")] {
        let answer = send_raw(
            &bot,
            &format!("GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{name}: {answer}");
    }
    // The API takes bearer tokens, which a rebinding page does not have: it is not refused.
    let answer = send_raw(
        &bot,
        &format!("GET /healthz HTTP/1.1\r\nHost: {forged}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn demo_mode_signs_in_only_at_a_loopback_host() {
    let bot = TestBot::spawn_demo().await;
    let port = host_of(&bot).rsplit(':').next().unwrap().to_owned();
    let demo_sign_in = |host: String| {
        format!(
            "POST /login/demo HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\
             Connection: close\r\n\r\nuser=alice"
        )
    };
    for forged in [format!("evil.example:{port}"), format!("10.1.2.3:{port}")] {
        let answer = send_raw(&bot, &demo_sign_in(forged.clone())).await;
        assert!(answer.starts_with("HTTP/1.1 421"), "{forged}: {answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("set-cookie"),
            "{answer}"
        );
    }
    let answer = send_raw(&bot, &demo_sign_in(format!("127.0.0.1:{port}"))).await;
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("set-cookie: warroom_session="),
        "{answer}"
    );
}
