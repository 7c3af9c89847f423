//! The one harness: spawn warroom on port 0 with a temp store and a hand-turned clock, then
//! speak to it the way its users do — post alerts, type commands, press buttons, read rooms
//! and timelines.

#![allow(dead_code)]

pub mod browser;
// Written before rust-version said 1.88: its nested `if let`s predate let-chains, which
// clippy now suggests; left as they are so parallel edits to the fake merge cleanly.
#[allow(clippy::collapsible_if)]
pub mod fake_discord;
pub mod fake_kube;
pub mod fake_logs;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;

use warroom::app::{Running, start_on};
use warroom::config::{Overrides, Settings};
use warroom::credentials::TokenHash;
use warroom::engine::clock::ManualClock;

/// The moment every test starts at, so incident ids are predictable.
pub const START: &str = "2026-11-21T10:00:00Z";

pub fn start_time() -> DateTime<Utc> {
    START.parse().expect("START is a valid timestamp")
}

/// A fixture from tests/fixtures/.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

pub struct TestBot {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    running: Option<Running>,
    dir: TempDir,
    config: Option<String>,
    /// Actions set in code instead of from config (catalog, services), and the executors
    /// that run them instead of those the settings build.
    actions: Option<warroom::domain::action::ActionPolicy>,
    executors: Option<warroom::exec::Executors>,
}

/// A console reply to a command or click.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub ok: bool,
    pub text: String,
    pub body: Value,
}

impl TestBot {
    /// warroom with built-in defaults (demo users alice, bob, carol) and a 0 s card interval.
    pub async fn spawn() -> TestBot {
        TestBot::spawn_with("[chat]\ncard_edit_interval = \"0s\"\n").await
    }

    /// warroom with Discord as its chat, pointed at `fake` (its REST and gateway), with the
    /// fake's incidents category and role ids already in `discord_config`.
    pub async fn spawn_discord(discord_config: &str) -> TestBot {
        let config = format!(
            "[chat]\ncard_edit_interval = \"0s\"\n[discord]\ntoken = \"{DISCORD_TEST_TOKEN}\"\n{discord_config}"
        );
        TestBot::spawn_with(&config).await
    }

    /// warroom with this config file text; the demo users are added unless it has [[users]].
    pub async fn spawn_with(config: &str) -> TestBot {
        let mut bot = TestBot::unstarted(config);
        bot.start().await;
        bot
    }

    /// warroom with this config, the actions policy `actions` (catalog and services built in
    /// code) and `executors` running its jobs.
    pub async fn spawn_with_actions(
        config: &str,
        actions: warroom::domain::action::ActionPolicy,
        executors: warroom::exec::Executors,
    ) -> TestBot {
        let mut bot = TestBot::unstarted(config);
        bot.actions = Some(actions);
        bot.executors = Some(executors);
        bot.start().await;
        bot
    }

    /// warroom (default test config) on a copy of the data directory packed in
    /// `tests/fixtures/<archive>` (a `.tar.gz` holding `data/`), its clock at `now`.
    pub async fn spawn_on(archive: &str, now: DateTime<Utc>) -> TestBot {
        let mut bot = TestBot::unstarted("[chat]\ncard_edit_interval = \"0s\"\n");
        let path = format!("{}/tests/fixtures/{archive}", env!("CARGO_MANIFEST_DIR"));
        let status = std::process::Command::new("tar")
            .arg("-xzf")
            .arg(&path)
            .arg("-C")
            .arg(bot.dir.path())
            .status()
            .expect("tar runs");
        assert!(status.success(), "cannot unpack {path}");
        bot.clock.set(now);
        bot.start().await;
        bot
    }

    /// A bot not started yet, so a test can prepare its data directory (e.g. mount a small
    /// filesystem on it) before [`TestBot::start`].
    pub fn unstarted(config: &str) -> TestBot {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(start_time()));
        TestBot {
            base: String::new(),
            clock,
            client: reqwest::Client::new(),
            running: None,
            dir,
            config: Some(config.to_owned()),
            actions: None,
            executors: None,
        }
    }

    fn settings(&self) -> Settings {
        let mut text = self.config.clone().unwrap_or_default();
        if !text.contains("[[users]]") {
            text.push_str(&demo_users());
        }
        if !text.contains("[api]") {
            text.push_str(&format!(
                "\n[api]\nread_token_sha256 = \"{}\"\n",
                TokenHash::of(READER_TOKEN).to_hex()
            ));
        }
        let path = self.dir.path().join("warroom.toml");
        std::fs::write(&path, text).expect("write config");
        let mut settings = Settings::load(
            Some(&path),
            &Overrides {
                http_addr: Some("127.0.0.1:0".to_owned()),
                data_dir: Some(self.dir.path().join("data")),
                ingest_token: None,
            },
        )
        .expect("test config is valid");
        if let Some(actions) = &self.actions {
            settings.policy.actions = actions.clone();
        }
        settings
    }

    pub async fn start(&mut self) {
        self.try_start().await.expect("warroom starts");
    }

    async fn try_start(&mut self) -> anyhow::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = match &self.executors {
            Some(executors) => {
                warroom::app::start_with_executors(
                    self.settings(),
                    listener,
                    self.clock.clone(),
                    executors.clone(),
                )
                .await?
            }
            None => start_on(self.settings(), listener, self.clock.clone()).await?,
        };
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
        Ok(())
    }

    /// Abandons the running warroom without a stop, as a crash would (running jobs stay
    /// marked started), and starts a new one on the same data directory once the old one
    /// has let go of it (bounded).
    pub async fn crash_and_start(&mut self) {
        drop(self.running.take());
        let mut last = None;
        for _ in 0..400 {
            match self.try_start().await {
                Ok(()) => return,
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("warroom did not start again after the crash: {last:?}");
    }

    /// Stops cleanly; [`TestBot::start`] starts again on the same data directory (a test
    /// may turn the clock meanwhile, as time passes while warroom is down).
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
    }

    /// Stops cleanly and starts again on the same data directory.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
        self.start().await;
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Opens the stopped bot's data dir with `open`, retrying while sled's IO threads still
    /// hold its file lock a moment after the stop (bounded: a bound for a busy machine).
    pub async fn open_data_dir<T, E: std::fmt::Debug>(
        &self,
        open: impl Fn(&std::path::Path) -> Result<T, E>,
    ) -> T {
        let dir = self.data_dir();
        let mut last = None;
        for _ in 0..200 {
            match open(&dir) {
                Ok(opened) => return opened,
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the data dir stayed locked: {last:?}");
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    // ---- intake ---------------------------------------------------------------------------

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Posts with `Transfer-Encoding: chunked` (no Content-Length), so limits must hold while
    /// reading. Returns the status code.
    pub async fn post_chunked(&self, path: &str, body: &[u8]) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.expect("write head");
        for chunk in body.chunks(64 * 1024) {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
            // The server may answer 413 and close before the whole body is sent.
            if stream.write_all(&framed).await.is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        let text = String::from_utf8_lossy(&response);
        text.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:.200}"))
    }

    pub async fn post_alerts(&self, source: &str, body: &str) -> (StatusCode, Value) {
        self.post_raw(
            &format!("/v1/alerts/{source}"),
            Some("application/json"),
            None,
            body.to_owned(),
        )
        .await
    }

    /// Posts and insists on 200.
    pub async fn alert(&self, source: &str, body: &str) -> Value {
        let (status, body) = self.post_alerts(source, body).await;
        assert_eq!(status, StatusCode::OK, "ingest failed: {body}");
        body
    }

    pub async fn alert_fixture(&self, name: &str) -> Value {
        let source = name.split('/').next().unwrap_or_default().to_owned();
        self.alert(&source, &fixture(name)).await
    }

    // ---- read API -------------------------------------------------------------------------

    /// GET with the integration's read token.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_with(path, Some(READER_TOKEN)).await
    }

    /// GET with this bearer token, or none.
    pub async fn get_with(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let response = self.get_response(path, token).await;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// GET with this bearer token (or none), the whole response for its headers.
    pub async fn get_response(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self.get_response(path, Some(READER_TOKEN)).await;
        (response.status(), response.text().await.unwrap_or_default())
    }

    /// Every incident, newest first, following the pages.
    pub async fn incidents(&self) -> Vec<Value> {
        self.all_pages("/v1/incidents").await
    }

    pub async fn incident(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/v1/incidents/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The whole timeline, following its pages.
    pub async fn timeline(&self, id: &str) -> Vec<Value> {
        self.all_pages(&format!("/v1/incidents/{id}/timeline"))
            .await
    }

    pub async fn timeline_kinds(&self, id: &str) -> Vec<String> {
        self.timeline(id)
            .await
            .iter()
            .map(|entry| entry["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    // ---- console --------------------------------------------------------------------------

    /// Every console room, by id, following the pages.
    pub async fn rooms(&self) -> Vec<Value> {
        self.all_pages("/console/api/rooms").await
    }

    /// Every item of a paged list, following `x-next-after` with pages of 500.
    pub async fn all_pages(&self, path: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page_path = match &after {
                Some(after) => format!("{path}?limit=500&after={after}"),
                None => format!("{path}?limit=500"),
            };
            let response = self.get_response(&page_path, Some(READER_TOKEN)).await;
            assert_eq!(response.status(), StatusCode::OK, "{page_path}");
            after = response
                .headers()
                .get("x-next-after")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let page: Value = response.json().await.unwrap_or(Value::Null);
            all.extend(page.as_array().cloned().unwrap_or_default());
            if after.is_none() {
                return all;
            }
        }
    }

    /// Every message of a room, oldest first, following the pages; none for no such room.
    pub async fn messages(&self, room: &str) -> Vec<Value> {
        let path = format!("/console/api/rooms/{room}/messages");
        let (status, body) = self.get(&format!("{path}?limit=1")).await;
        if status == StatusCode::NOT_FOUND {
            return Vec::new();
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        self.all_pages(&path).await
    }

    /// Waits (bounded) until `check` holds for the room's messages; the outbox delivers
    /// asynchronously. Returns the messages.
    pub async fn wait_for_messages(
        &self,
        room: &str,
        what: &str,
        check: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        // Generous: a bound for a busy CI machine, not a speed requirement.
        for _ in 0..1200 {
            let messages = self.messages(room).await;
            if check(&messages) {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let messages = self.messages(room).await;
        panic!("timed out waiting for {what} in {room}; messages: {messages:#?}");
    }

    /// The room of an incident once the outbox opened it, with its card posted.
    pub async fn room_of(&self, incident: &str) -> String {
        let room = incident.to_ascii_lowercase();
        self.wait_for_messages(&room, "the incident card", |messages| {
            messages.iter().any(|m| m["pinned"] == json!(true))
        })
        .await;
        room
    }

    pub async fn card(&self, room: &str) -> Value {
        self.messages(room)
            .await
            .into_iter()
            .find(|m| m["pinned"] == json!(true))
            .expect("a pinned card")
    }

    pub async fn slash(&self, user: &str, room: &str, text: &str) -> Reply {
        self.console_post(
            "/console/api/command",
            json!({ "user": user, "room": room, "text": text }),
        )
        .await
    }

    pub async fn click(&self, user: &str, message: &str, button: &str) -> Reply {
        self.console_post(
            "/console/api/click",
            json!({ "user": user, "message": message, "button": button }),
        )
        .await
    }

    pub async fn react(&self, user: &str, message: &str, emoji: &str) -> Reply {
        self.console_post(
            "/console/api/react",
            json!({ "user": user, "message": message, "emoji": emoji }),
        )
        .await
    }

    /// Posts as the body's `user`, with that user's token when the harness gave them one.
    async fn console_post(&self, path: &str, body: Value) -> Reply {
        let token = body["user"].as_str().and_then(user_token);
        self.console_post_with(path, body, token.as_deref()).await
    }

    /// Posts to the console API with this bearer token, or none.
    pub async fn console_post_with(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            ok: body["ok"] == json!(true),
            text: body["reply"]
                .as_str()
                .or(body["error"].as_str())
                .unwrap_or_default()
                .to_owned(),
            body,
        }
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        // Dropping without stop() is what a crash looks like; tests that care call stop().
        if let Some(running) = self.running.take() {
            drop(running);
        }
    }
}

/// Shaped like a bot token (three dot-separated base64 parts); the fake accepts any.
pub const DISCORD_TEST_TOKEN: &str =
    "OTAwMDAwMDAwMDAwMDAwMDAx.GtEsTt.t0k3n-f0r-th3-f4k3-d1sc0rd-0nly-n0t-r34l-xx";

/// The integration token `get()` reads with (`[api] read_token_sha256`).
pub const READER_TOKEN: &str = "test-reader-token";

/// The harness's people and their roles; each has the token [`user_token`] gives.
const DEMO_USERS: [(&str, &str); 5] = [
    ("alice", r#"roles = ["commander", "duty_manager"]"#),
    ("bob", r#"roles = ["operations", "duty_manager"]"#),
    ("carol", r#"roles = ["communications"]"#),
    ("wang", "roles = [\"responder\"]\nlocale = \"zh-CN\""),
    ("vic", r#"roles = ["viewer"]"#),
];

/// The fixed test token of a harness user; `None` for anyone else (they send no token).
pub fn user_token(user: &str) -> Option<String> {
    DEMO_USERS
        .iter()
        .any(|(name, _)| *name == user)
        .then(|| format!("test-token-{user}"))
}

/// The harness's people as `[[users]]` config entries, for a config the harness does not
/// write itself (the real binary's).
pub fn demo_users() -> String {
    DEMO_USERS
        .iter()
        .map(|(name, rest)| {
            let token = format!("test-token-{name}");
            format!(
                "\n[[users]]\nname = \"{name}\"\n{rest}\ntoken_sha256 = \"{}\"\n",
                TokenHash::of(&token).to_hex()
            )
        })
        .collect()
}

/// A minimal Alertmanager v4 body with one alert.
pub fn am_alert(fingerprint: &str, service: &str, severity: &str, status: &str) -> String {
    let ends_at = if status == "resolved" {
        "2026-11-21T10:30:00Z"
    } else {
        "0001-01-01T00:00:00Z"
    };
    json!({
        "receiver": "warroom",
        "status": status,
        "alerts": [{
            "status": status,
            "labels": {"alertname": "HighErrorRate", "service": service, "severity": severity},
            "annotations": {"summary": format!("{service} error rate high")},
            "startsAt": "2026-11-21T09:58:00Z",
            "endsAt": ends_at,
            "generatorURL": "http://prometheus.local/graph",
            "fingerprint": fingerprint
        }],
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": "{}:{alertname=\"HighErrorRate\"}",
        "truncatedAlerts": 0
    })
    .to_string()
}

/// The command that starts the real `warroom serve` binary on loopback `port` with its store in
/// `data`, run from `logs` so nothing lands in ./data. `config` is the config file, or `None`
/// for the built-in defaults (the demo users). The developer's shell may hold a config path or
/// tokens; they are removed so only what the test wrote applies.
pub fn warroom_serve(
    config: Option<&std::path::Path>,
    data: &std::path::Path,
    logs: &std::path::Path,
    port: u16,
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
    command.arg("serve");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command
        .arg("--http-addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data)
        .current_dir(logs)
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_INGEST_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .env("WARROOM_LOG", "info");
    command
}
