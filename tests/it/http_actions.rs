//! The actions read API over HTTP: routes, access and errors (the listing's contents are
//! covered beside the views in `src/http/actions.rs`; requests made through chat show up
//! here in `tests/it/actions.rs`).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestBot, am_alert, user_token};

const INCIDENT: &str = "INC-20261121-001";

async fn bot_with_incident() -> TestBot {
    let bot = TestBot::spawn().await;
    bot.alert(
        "alertmanager",
        &am_alert("fp-1", "checkout", "critical", "firing"),
    )
    .await;
    bot.incident(INCIDENT).await;
    bot
}

#[tokio::test]
async fn an_incident_without_requests_lists_none_and_unknown_ones_are_404() {
    let bot = bot_with_incident().await;
    let response = bot
        .get_response(
            &format!("/v1/incidents/{INCIDENT}/actions"),
            Some(crate::support::READER_TOKEN),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("x-next-after").is_none());
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!([])
    );

    let (status, body) = bot
        .get(&format!("/v1/incidents/{INCIDENT}/actions/A1"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"], format!("no request A1 in {INCIDENT}"));

    for path in [
        "/v1/incidents/INC-20261121-099/actions",
        "/v1/incidents/INC-20261121-099/actions/A1",
    ] {
        let (status, body) = bot.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"], "no incident INC-20261121-099");
    }
}

#[tokio::test]
async fn bad_ids_and_page_sizes_are_refused_with_what_to_send() {
    let bot = bot_with_incident().await;
    for (path, wanted) in [
        ("/v1/incidents/nope/actions", "INC-"),
        (
            "/v1/incidents/INC-20261121-001/actions?after=7",
            "is not a request id like A1",
        ),
        (
            "/v1/incidents/INC-20261121-001/actions?limit=0",
            "from 1 to 100",
        ),
        (
            "/v1/incidents/INC-20261121-001/actions?limit=101",
            "from 1 to 100",
        ),
        (
            "/v1/incidents/INC-20261121-001/actions/B2",
            "\"B2\" is not a request id like A1",
        ),
    ] {
        let (status, body) = bot.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(wanted), "{path}: {error}");
    }
}

#[tokio::test]
async fn the_actions_api_takes_the_same_tokens_as_the_other_reads() {
    let bot = bot_with_incident().await;
    let path = format!("/v1/incidents/{INCIDENT}/actions");
    let (status, _) = bot.get_with(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = bot.get_with(&path, Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for user in ["alice", "vic"] {
        let token = user_token(user).unwrap();
        let (status, body) = bot.get_with(&path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{user}: {body}");
    }
}

#[tokio::test]
async fn console_actions_lists_the_catalog_and_the_rooms_requests() {
    let bot = bot_with_incident().await;
    let room = bot.room_of(INCIDENT).await;
    let reply = bot.slash("carol", &room, "/actions").await;
    assert!(reply.ok, "{reply:?}");
    assert!(
        reply.text.contains("No command is catalogued"),
        "{}",
        reply.text
    );
    assert!(
        reply.text.contains("No request in INC-20261121-001 yet."),
        "{}",
        reply.text
    );
    // The general room has no incident: the catalog alone.
    let reply = bot.slash("carol", "general", "/actions").await;
    assert!(reply.ok, "{reply:?}");
    assert!(!reply.text.contains("No request"), "{}", reply.text);
}
