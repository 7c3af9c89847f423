//! The actions read API: an incident's action requests, paged (`GET
//! /v1/incidents/{id}/actions?after=A3&limit=50`, `x-next-after` naming the next page's
//! `after`), and one request whole (`GET /v1/incidents/{id}/actions/{request}`: votes, state,
//! outcome with its full output). Same access as the other reads.
//!
//! Views, not stored records: every field is named here, summaries and details are rendered
//! in English (the API is for integrators), and a list item leaves the output out (up to
//! 64 KiB each) — the single request has it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::*;
use crate::domain::access::PersonRole;
use crate::domain::action::{
    ActionOutcome, ActionRequest, ActionStatus, RequestId, RequestState, Risk, ScaleChange, Vote,
};
use crate::i18n::DEFAULT_LOCALE;

pub const DEFAULT_ACTION_PAGE: usize = 50;
pub const MAX_ACTION_PAGE: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub(super) struct ActionsQuery {
    after: Option<String>,
    limit: Option<String>,
}

pub(super) async fn list_actions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ActionsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    actions_page(state.store.clone(), &state.i18n, &id, &query).await
}

pub(super) async fn get_action(
    State(state): State<AppState>,
    Path((id, request)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    one_action(state.store.clone(), &state.i18n, &id, &request).await
}

/// One page of `id`'s requests from `store`.
async fn actions_page(
    store: Arc<dyn StoreRead>,
    i18n: &I18n,
    id: &str,
    query: &ActionsQuery,
) -> Result<Response, ApiError> {
    let id = read::parse_incident_id(id)?;
    let limit = parse_page_limit(query.limit.as_deref(), DEFAULT_ACTION_PAGE, MAX_ACTION_PAGE)?;
    let after = parse_after(query.after.as_deref())?;
    let (found, mut requests) = blocking(move || {
        let found = store.incident(id)?.is_some();
        // One more than asked tells whether another page follows.
        let requests = if found {
            store.action_requests(id, after, limit.saturating_add(1))?
        } else {
            Vec::new()
        };
        Ok((found, requests))
    })
    .await?;
    if !found {
        return Err(no_incident(id));
    }
    let more = requests.len() > limit;
    requests.truncate(limit);
    let views: Vec<Value> = requests
        .iter()
        .map(|request| request_view(i18n, request, false))
        .collect();
    Ok(paged(&views, more, |last| {
        last["id"].as_str().unwrap_or_default().to_owned()
    }))
}

/// Request `request` of incident `id` from `store`, whole.
async fn one_action(
    store: Arc<dyn StoreRead>,
    i18n: &I18n,
    id: &str,
    request: &str,
) -> Result<Response, ApiError> {
    let id = read::parse_incident_id(id)?;
    let request_id = RequestId::parse(request).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("\"{request}\" is not a request id like A1"),
        )
    })?;
    let (found, request) = blocking(move || {
        let found = store.incident(id)?.is_some();
        let request = if found {
            store.action_request(id, request_id)?
        } else {
            None
        };
        Ok((found, request))
    })
    .await?;
    match (found, request) {
        (false, _) => Err(no_incident(id)),
        (true, None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no request {request_id} in {id}"),
        )),
        (true, Some(request)) => Ok(axum::Json(request_view(i18n, &request, true)).into_response()),
    }
}

fn no_incident(id: IncidentId) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no incident {id}"))
}

/// `after` from the query: a request id, or nothing for the first page.
fn parse_after(text: Option<&str>) -> Result<Option<RequestId>, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => RequestId::parse(text).map(Some).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "after: \"{text}\" is not a request id like A1; pass the x-next-after header of the previous page"
                ),
            )
        }),
    }
}

/// A request as the API shows it; `whole` adds the digest and the outcome's full output.
#[derive(Debug, Serialize)]
struct RequestView<'a> {
    id: RequestId,
    incident: IncidentId,
    command: &'a str,
    params: &'a BTreeMap<String, String>,
    state: RequestState,
    requester: &'a UserId,
    requester_name: Option<&'a str>,
    risk: Risk,
    approvals: u32,
    approvals_required: u32,
    approver_role: PersonRole,
    votes: &'a [Vote],
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    job: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    outcome: Option<OutcomeView<'a>>,
}

#[derive(Debug, Serialize)]
struct OutcomeView<'a> {
    status: ActionStatus,
    summary: String,
    details: Vec<String>,
    duration_ms: u64,
    scale: Option<ScaleChange>,
    output_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a str>,
}

fn request_view(i18n: &I18n, request: &ActionRequest, whole: bool) -> Value {
    let outcome = request
        .outcome
        .as_ref()
        .map(|outcome| outcome_view(i18n, outcome, whole));
    let view = RequestView {
        id: request.id,
        incident: request.incident,
        command: &request.command,
        params: &request.params,
        state: request.state,
        requester: &request.requester,
        requester_name: request.requester_name.as_deref(),
        risk: request.risk,
        approvals: request.approvals(),
        approvals_required: request.approvals_required,
        approver_role: request.approver_role,
        votes: &request.votes,
        created_at: request.created_at,
        expires_at: request.expires_at,
        started_at: request.started_at,
        finished_at: request.finished_at,
        job: request.job,
        digest: whole.then_some(request.digest.as_str()),
        outcome,
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

fn outcome_view<'a>(i18n: &I18n, outcome: &'a ActionOutcome, whole: bool) -> OutcomeView<'a> {
    OutcomeView {
        status: outcome.status,
        summary: i18n.render(DEFAULT_LOCALE, &outcome.summary),
        details: outcome
            .details
            .iter()
            .map(|detail| i18n.render(DEFAULT_LOCALE, detail))
            .collect(),
        duration_ms: outcome.duration_ms,
        scale: outcome.scale,
        output_bytes: outcome.output.len(),
        output: whole.then_some(outcome.output.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Msg;

    /// `A3`: a `scale` carol asked for, approved by alice (one of two), that succeeded.
    fn finished() -> ActionRequest {
        let at: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        ActionRequest {
            state: RequestState::Succeeded,
            job: Some(12),
            started_at: Some(at),
            finished_at: Some(at),
            outcome: Some(ActionOutcome {
                status: ActionStatus::Succeeded,
                summary: Msg::new("act-state-succeeded"),
                details: vec![Msg::new("act-risk-high")],
                output: "x".repeat(70_000),
                scale: Some(ScaleChange { from: 2, to: 3 }),
                duration_ms: 41,
            }),
            ..crate::test_reads::request(IncidentId::parse("INC-20261121-001").unwrap(), 3)
        }
    }

    #[test]
    fn a_listed_request_has_votes_and_state_but_not_its_output() {
        let i18n = I18n::builtin().unwrap();
        let view = request_view(&i18n, &finished(), false);
        assert_eq!(view["id"], "A3");
        assert_eq!(view["incident"], "INC-20261121-001");
        assert_eq!(view["state"], "succeeded");
        assert_eq!(view["approvals"], 1);
        assert_eq!(view["approvals_required"], 2);
        assert_eq!(view["approver_role"], "duty_manager");
        assert_eq!(view["votes"][0]["user"], "alice");
        assert_eq!(view["votes"][0]["via"], "button");
        assert_eq!(view["params"]["replicas"], "3");
        assert_eq!(view["outcome"]["summary"], "succeeded", "English text");
        assert_eq!(view["outcome"]["details"][0], "high");
        assert_eq!(view["outcome"]["scale"]["from"], 2);
        assert_eq!(view["outcome"]["output_bytes"], 70_000);
        assert!(view["outcome"].get("output").is_none(), "{view}");
        assert!(view.get("digest").is_none());
    }

    #[test]
    fn one_request_has_its_digest_and_full_output() {
        let i18n = I18n::builtin().unwrap();
        let view = request_view(&i18n, &finished(), true);
        assert_eq!(view["digest"], "d1g357");
        assert_eq!(
            view["outcome"]["output"].as_str().map(str::len),
            Some(70_000)
        );
    }

    async fn body(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn store_with_requests(count: u32) -> Arc<dyn StoreRead> {
        use crate::domain::alert::AlertStatus;
        use crate::domain::decide::tests::{alert, at, id};
        use crate::domain::decide::{Policy, open_incident_from_alert};
        use crate::test_reads::{FakeStore, request};

        let (incident, _) = open_incident_from_alert(
            &Policy::standard(),
            id(1),
            &alert("fp", "checkout", "critical", AlertStatus::Firing),
            "service=checkout".to_owned(),
            at("2026-11-21T10:00:00Z"),
        );
        let mut requests: Vec<ActionRequest> = (1..=count).map(|n| request(id(1), n)).collect();
        // Another incident's requests never show.
        requests.push(request(id(2), 1));
        Arc::new(FakeStore {
            incidents: vec![incident],
            requests,
            ..FakeStore::default()
        })
    }

    #[tokio::test]
    async fn pages_follow_x_next_after_to_the_last_request() {
        let i18n = I18n::builtin().unwrap();
        let store = store_with_requests(5);
        let mut seen = Vec::new();
        let mut query = ActionsQuery {
            after: None,
            limit: Some("2".into()),
        };
        loop {
            let response = actions_page(store.clone(), &i18n, "INC-20261121-001", &query)
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let next = response
                .headers()
                .get("x-next-after")
                .map(|value| value.to_str().unwrap().to_owned());
            let page = body(response).await;
            let ids: Vec<String> = page
                .as_array()
                .unwrap()
                .iter()
                .map(|item| {
                    assert_eq!(item["incident"], "INC-20261121-001");
                    item["id"].as_str().unwrap().to_owned()
                })
                .collect();
            assert!(ids.len() <= 2);
            seen.extend(ids);
            match next {
                Some(after) => query.after = Some(after),
                None => break,
            }
        }
        assert_eq!(seen, ["A1", "A2", "A3", "A4", "A5"]);
    }

    #[tokio::test]
    async fn one_request_is_found_by_incident_and_id() {
        let i18n = I18n::builtin().unwrap();
        let store = store_with_requests(3);
        let response = one_action(store.clone(), &i18n, "INC-20261121-001", "a2")
            .await
            .unwrap();
        let view = body(response).await;
        assert_eq!(view["id"], "A2");
        assert_eq!(view["digest"], "d1g357");
        for (incident, request, status) in [
            ("INC-20261121-001", "A4", StatusCode::NOT_FOUND),
            ("INC-20261121-002", "A1", StatusCode::NOT_FOUND),
            ("INC-20261121-001", "x", StatusCode::BAD_REQUEST),
        ] {
            let error = one_action(store.clone(), &i18n, incident, request)
                .await
                .unwrap_err();
            assert_eq!(
                error.status, status,
                "{incident} {request}: {}",
                error.message
            );
        }
    }

    #[test]
    fn after_takes_a_request_id_or_nothing() {
        assert_eq!(parse_after(None).unwrap(), None);
        assert_eq!(parse_after(Some("")).unwrap(), None);
        assert_eq!(parse_after(Some("A7")).unwrap(), Some(RequestId(7)));
        for bad in ["7", "A0", "B1", "A-1", "INC-20261121-001"] {
            let error = parse_after(Some(bad)).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(error.message.contains("x-next-after"), "{}", error.message);
        }
    }
}
