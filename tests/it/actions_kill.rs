//! kill -9 between approval and the end of execution, with the real binary, its catalog
//! loaded from `commands/` and the shell executor: an approved command running when warroom
//! is killed is noted `action_interrupted` after the restart; a non-idempotent one never runs
//! again, an idempotent one runs once more.
//!
//! The command is `/usr/bin/flock <marker> /bin/sleep 20`: flock creates the marker file (the
//! witness that the program started) and holds it while sleep runs, so warroom is killed in
//! the middle of the execution.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::e2e::{Server, serve};
use crate::support::am_alert;

const USERS: [(&str, &str); 3] = [
    ("wang", "responder"),
    ("alice", "duty_manager"),
    ("bob", "duty_manager"),
];

fn token(user: &str) -> String {
    format!("actions-kill-token-{user}")
}

/// A config with the three people, and a catalog of one shell command in `dir/commands`.
fn write_config(dir: &Path, marker: &Path, idempotent: bool) -> PathBuf {
    let commands = dir.join("commands");
    std::fs::create_dir_all(&commands).expect("commands dir");
    std::fs::write(
        commands.join("hold.toml"),
        format!(
            "name = \"hold\"\n\
             description = \"catalog-scale-description\"\n\
             executor = \"shell\"\n\
             action = \"run\"\n\
             approvals = 2\n\
             approver_role = \"duty_manager\"\n\
             timeout = \"5s\"\n\
             idempotent = {idempotent}\n\
             argv = [\"/usr/bin/flock\", \"{}\", \"/bin/sleep\", \"20\"]\n",
            marker.display()
        ),
    )
    .expect("write the catalog file");
    let mut config = format!(
        "[actions]\ncommands_dir = \"{}\"\n[[services]]\nname = \"checkout-api\"\n",
        commands.display()
    );
    for (user, role) in USERS {
        config.push_str(&format!(
            "[[users]]\nname = \"{user}\"\nroles = [\"{role}\"]\ntoken_sha256 = \"{}\"\n",
            warroom::credentials::TokenHash::of(&token(user)).to_hex()
        ));
    }
    let path = dir.join("warroom.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

async fn post(
    client: &reqwest::Client,
    server: &Server,
    user: &str,
    path: &str,
    body: Value,
) -> Value {
    let response = client
        .post(format!("{}{path}", server.base))
        .bearer_auth(token(user))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}{}", server.proc.report()));
    response.json().await.unwrap_or(Value::Null)
}

async fn get(client: &reqwest::Client, server: &Server, path: &str) -> Value {
    let response = client
        .get(format!("{}{path}", server.base))
        .bearer_auth(token("alice"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}{}", server.proc.report()));
    response.json().await.unwrap_or(Value::Null)
}

/// Polls (bounded) until `check` finds something.
async fn wait_for<T>(what: &str, server: &Server, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {what}{}",
            server.proc.report()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn action_kinds(client: &reqwest::Client, server: &Server, incident: &str) -> Vec<Value> {
    get(
        client,
        server,
        &format!("/v1/incidents/{incident}/timeline?limit=500"),
    )
    .await
    .as_array()
    .cloned()
    .unwrap_or_default()
    .into_iter()
    .filter(|entry| {
        entry["kind"]
            .as_str()
            .unwrap_or_default()
            .starts_with("action_")
    })
    .collect()
}

/// Starts warroom, opens an incident, asks for `hold`, approves it twice and kills warroom
/// -9 while the program runs; returns the data for the restart.
async fn approve_and_kill(
    client: &reqwest::Client,
    dir: &Path,
    config: &Path,
    marker: &Path,
) -> String {
    let data = dir.join("data");
    let mut first = serve(client, config, &data, dir, "warroom-before-kill").await;
    let report: Value = client
        .post(format!("{}/v1/alerts/alertmanager", first.base))
        .header("content-type", "application/json")
        .body(am_alert("fp1", "checkout-api", "critical", "firing"))
        .send()
        .await
        .expect("the alert is answered")
        .json()
        .await
        .expect("a report");
    let incident = report["incidents"][0]
        .as_str()
        .expect("an incident")
        .to_owned();
    let room = incident.to_ascii_lowercase();
    let asked = wait_for("room to ask in", &first, async || {
        let reply = post(
            client,
            &first,
            "wang",
            "/console/api/command",
            json!({"user": "wang", "room": room, "text": "/run hold"}),
        )
        .await;
        (reply["ok"] == json!(true)).then_some(reply)
    })
    .await;
    assert_eq!(asked["ok"], true, "{asked}");
    let (message, approve) = wait_for("the approval message", &first, async || {
        let messages = get(
            client,
            &first,
            &format!("/console/api/rooms/{room}/messages?limit=500"),
        )
        .await;
        messages.as_array()?.iter().find_map(|m| {
            let button = m["buttons"].as_array()?.iter().find_map(|b| {
                b["id"]
                    .as_str()
                    .filter(|id| id.starts_with("apr:approve:"))
                    .map(str::to_owned)
            })?;
            Some((m["id"].as_str()?.to_owned(), button))
        })
    })
    .await;
    for user in ["alice", "bob"] {
        let reply = post(
            client,
            &first,
            user,
            "/console/api/click",
            json!({"user": user, "message": message, "button": approve}),
        )
        .await;
        assert_eq!(reply["ok"], true, "{user}: {reply}");
    }
    wait_for("the program running (its marker)", &first, async || {
        marker.exists().then_some(())
    })
    .await;
    first.proc.kill();
    std::fs::remove_file(marker).expect("remove the marker");
    incident
}

#[tokio::test]
async fn a_non_idempotent_action_running_at_kill_9_is_noted_and_never_run_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("marker");
    let config = write_config(dir.path(), &marker, false);
    let client = reqwest::Client::new();
    let incident = approve_and_kill(&client, dir.path(), &config, &marker).await;

    let second = serve(
        &client,
        &config,
        &dir.path().join("data"),
        dir.path(),
        "warroom-after-kill",
    )
    .await;
    let entries = wait_for(
        "action_interrupted after the restart",
        &second,
        async || {
            let entries = action_kinds(&client, &second, &incident).await;
            entries
                .iter()
                .any(|e| e["kind"] == "action_interrupted")
                .then_some(entries)
        },
    )
    .await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "action_requested",
            "action_vote",
            "action_vote",
            "action_started",
            "action_interrupted"
        ],
        "{entries:#?}"
    );
    assert_eq!(entries[4]["rerun"], false);
    // Its job is gone with that entry (one transaction): the program never starts again.
    assert!(!marker.exists(), "the non-idempotent command ran again");
}

#[tokio::test]
async fn an_idempotent_action_running_at_kill_9_runs_once_more_after_the_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("marker");
    let config = write_config(dir.path(), &marker, true);
    let client = reqwest::Client::new();
    let incident = approve_and_kill(&client, dir.path(), &config, &marker).await;

    let second = serve(
        &client,
        &config,
        &dir.path().join("data"),
        dir.path(),
        "warroom-after-kill",
    )
    .await;
    let entries = wait_for("action_finished after the restart", &second, async || {
        let entries = action_kinds(&client, &second, &incident).await;
        entries
            .iter()
            .any(|e| e["kind"] == "action_finished")
            .then_some(entries)
    })
    .await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "action_requested",
            "action_vote",
            "action_vote",
            "action_started",
            "action_interrupted",
            "action_finished"
        ],
        "{entries:#?}"
    );
    assert_eq!(entries[4]["rerun"], true);
    assert!(marker.exists(), "the idempotent command ran again");
    // It held the marker past its 5 s timeout: cut off, reported as such.
    assert_eq!(entries[5]["status"], "timed_out");
}
