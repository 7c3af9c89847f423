//! Identity: the console and read APIs take the person from the bearer token, never from the
//! body; demo mode and token-less users stay on loopback; `warroom token new` round-trips.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::discord::guild_config;
use crate::support::fake_discord::FakeDiscord;
use crate::support::{READER_TOKEN, TestBot, user_token};

fn token(user: &str) -> String {
    user_token(user).unwrap()
}

const UNAUTHORIZED_TEXT: &str = "missing or unknown token; send Authorization: Bearer <your token>";

#[tokio::test]
async fn the_impersonation_of_the_issue_is_refused() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of("INC-20261121-001").await;
    let resolve = json!({"user": "alice", "room": room, "text": "/incident resolve"});

    // Exactly the request of the issue: a body naming alice, no token.
    let reply = bot
        .console_post_with("/console/api/command", resolve.clone(), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert_eq!(reply.text, UNAUTHORIZED_TEXT);
    // bob's token with alice in the body: the body disagrees with the token.
    let reply = bot
        .console_post_with("/console/api/command", resolve.clone(), Some(&token("bob")))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let declare = json!({"user": "alice", "room": "general", "text": "/incident declare \"Fake\""});
    let reply = bot
        .console_post_with("/console/api/command", declare, None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert_eq!(
        bot.incidents().await.len(),
        1,
        "the refused declare opened an incident"
    );
    assert_eq!(
        bot.incident("INC-20261121-001").await["state"],
        "triggered",
        "a refused request changed the incident"
    );

    // alice's own token works, with or without the body's user.
    let reply = bot
        .console_post_with("/console/api/command", resolve, Some(&token("alice")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.ok, "{reply:?}");
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "resolved");
    let reply = bot
        .console_post_with(
            "/console/api/command",
            json!({"room": room, "text": "/incident close"}),
            Some(&token("alice")),
        )
        .await;
    assert!(reply.ok, "{reply:?}");
    let entry = bot
        .timeline("INC-20261121-001")
        .await
        .into_iter()
        .rev()
        .find(|entry| entry.to_string().contains("closed"))
        .expect("a closed entry");
    assert!(entry.to_string().contains("alice"), "{entry}");
}

#[tokio::test]
async fn reads_need_a_token_and_health_stays_open() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of("INC-20261121-001").await;
    let reads = [
        "/v1/incidents".to_owned(),
        "/v1/incidents/INC-20261121-001".to_owned(),
        "/v1/incidents/INC-20261121-001/timeline".to_owned(),
        "/console/api/rooms".to_owned(),
        format!("/console/api/rooms/{room}/messages"),
    ];
    for path in &reads {
        for bad in [None, Some("not-a-token"), Some("Bearer")] {
            let (status, body) = bot.get_with(path, bad).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {bad:?}: {body}");
            // The same words whatever was wrong.
            assert_eq!(body["error"], UNAUTHORIZED_TEXT, "{path}");
        }
        for good in [READER_TOKEN.to_owned(), token("vic"), token("alice")] {
            let (status, body) = bot.get_with(path, Some(&good)).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
    }
    let response = bot.get_response("/v1/incidents", None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    // The scheme is case-insensitive.
    let response = bot
        .client
        .get(format!("{}/v1/incidents", bot.base))
        .header("authorization", format!("bEaReR {READER_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for open in ["/healthz", "/readyz", "/metrics"] {
        let response = bot.get_response(open, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{open}");
    }
}

#[tokio::test]
async fn the_read_token_reads_but_never_acts() {
    let bot = TestBot::spawn().await;
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let room = bot.room_of("INC-20261121-001").await;
    let card = bot.card(&room).await;
    let message = card["id"].as_str().unwrap().to_owned();
    let attempts = [
        (
            "/console/api/command",
            json!({"room": room, "text": "/incident ack"}),
        ),
        (
            "/console/api/click",
            json!({"message": message, "button": "inc:acknowledge:INC-20261121-001"}),
        ),
        (
            "/console/api/react",
            json!({"message": message, "emoji": "👀"}),
        ),
    ];
    for (path, body) in attempts {
        let reply = bot
            .console_post_with(path, body.clone(), Some(READER_TOKEN))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {reply:?}");
        assert_eq!(reply.text, "this token may not do that");
        let reply = bot.console_post_with(path, body, Some("guess")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}: {reply:?}");
    }
    assert_eq!(bot.incident("INC-20261121-001").await["state"], "triggered");
    // A viewer's token is a person's: the engine refuses the right the viewer lacks (403,
    // with the reply that says why).
    let reply = bot.slash("vic", &room, "/incident ack").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(!reply.ok, "{reply:?}");
}

#[tokio::test]
async fn a_user_without_a_token_cannot_act_by_naming_themselves() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[[users]]\nname = \"ann\"\nroles = [\"duty_manager\"]\n",
    )
    .await;
    // ann has no token_sha256: the body naming her is no credential, even on loopback.
    let reply = bot
        .slash("ann", "general", "/incident declare \"By hand\"")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert!(bot.incidents().await.is_empty());
    // Reads still need a token, and nobody else is accepted by name.
    let (status, _) = bot.get_with("/console/api/rooms", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let reply = bot.slash("alice", "general", "/help").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// `warroom serve` as a process that is expected to refuse to start.
fn serve_refuses(args: &[&str], dir: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("serve")
        .args(args)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .current_dir(dir)
        .env_remove("WARROOM_CONFIG")
        .env_remove("DISCORD_TOKEN")
        // An ingest token, so the only reason left to refuse is the one under test.
        .env("WARROOM_INGEST_TOKEN", "an-ingest-token-long-enough")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "started anyway: {stderr}");
    stderr
}

#[test]
fn demo_mode_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = serve_refuses(&["--http-addr", "0.0.0.0:0"], dir.path());
    assert!(stderr.contains("loopback only"), "{stderr}");
    assert!(stderr.contains("--config"), "{stderr}");
    assert!(!dir.path().join("data").exists(), "it opened the store");
}

#[test]
fn a_console_user_without_a_token_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        "[[users]]\nname = \"ann\"\nroles = [\"responder\"]\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let stderr = serve_refuses(
        &["--config", &config, "--http-addr", "0.0.0.0:0"],
        dir.path(),
    );
    assert!(stderr.contains("missing for ann"), "{stderr}");
    assert!(stderr.contains("warroom token new"), "{stderr}");
}

#[tokio::test]
async fn token_new_round_trips_into_a_config_that_accepts_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["token", "new", "ann"])
        .env_remove("WARROOM_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout
        .lines()
        .find(|line| !line.starts_with('#') && !line.starts_with("token_sha256"))
        .unwrap()
        .to_owned();
    let hash_line = stdout
        .lines()
        .find(|line| line.starts_with("token_sha256 = "))
        .unwrap();
    assert!(token.len() >= 43, "short token {token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "not URL-safe: {token}"
    );
    let bot = TestBot::spawn_with(&format!(
        "[chat]\ncard_edit_interval = \"0s\"\n[[users]]\nname = \"ann\"\nroles = [\"responder\"]\n{hash_line}\n"
    ))
    .await;
    let reply = bot
        .console_post_with(
            "/console/api/command",
            json!({"room": "general", "text": "/help"}),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.ok, "{reply:?}");
    let (status, _) = bot.get_with("/console/api/rooms", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    // Two runs never print the same token.
    let again = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["token", "new", "ann"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_discord_the_console_api_is_off_unless_enabled() {
    let fake = FakeDiscord::start().await;
    let (config, _) = guild_config(&fake, |_, _| String::new());
    let bot = TestBot::spawn_discord(&config).await;
    for path in ["/console/api/rooms", "/console/api/rooms/general/messages"] {
        let (status, _) = bot.get_with(path, Some(&token("alice"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let reply = bot
        .console_post_with(
            "/console/api/command",
            json!({"room": "general", "text": "/help"}),
            Some(&token("alice")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    drop(bot);

    let fake = FakeDiscord::start().await;
    let (config, _) = guild_config(&fake, |_, _| String::new());
    // Beside Discord, a console user who may approve must be linked to their Discord account.
    let alice = format!(
        "[[users]]\nname = \"alice\"\nroles = [\"duty_manager\"]\ndiscord_id = \"900000000000000001\"\n\
         token_sha256 = \"{}\"\n",
        warroom::credentials::TokenHash::of(&token("alice")).to_hex()
    );
    let bot = TestBot::spawn_discord(&format!("{config}[console]\nenabled = true\n{alice}")).await;
    let (status, _) = bot.get_with("/console/api/rooms", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = bot
        .get_with("/console/api/rooms", Some(&token("alice")))
        .await;
    assert_eq!(status, StatusCode::OK);
}
