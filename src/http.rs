//! The HTTP surface: alert webhooks, the read API, the console API, health and metrics.
//! The app is a function: [`router`] builds it from [`AppState`]; [`serve`] serves it.
//!
//! Access: alert intake takes the ingest token; the read API and the console API take a
//! person's token (`Authorization: Bearer`, see [`auth`]), reads also the integration's read
//! token; `/healthz`, `/readyz` and `/metrics` are open.

pub mod auth;
mod serve;

pub use serve::serve;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::limit::GlobalConcurrencyLimitLayer;
use tracing::{error, warn};

use crate::chat::console::ConsoleChat;
use crate::chat::parse_button;
use crate::config::{HttpLimits, Secret};
use crate::domain::access::Person;
use crate::domain::alert::AlertSource;
use crate::domain::command::{Command, parse_typed};
use crate::domain::ids::{IncidentId, MessageId, UserId};
use crate::domain::incident::{Incident, IncidentState};
use crate::engine::{ChatRecord, CommandReply, EngineError, EngineHandle};
use crate::http::auth::{Credentials, require_reader};
use crate::i18n::I18n;
use crate::intake;
use crate::store::Store;

pub const DEFAULT_TIMELINE_PAGE: usize = 1000;
pub const MAX_TIMELINE_PAGE: usize = 10_000;
pub const DEFAULT_INCIDENT_PAGE: usize = 50;
pub const MAX_INCIDENT_PAGE: usize = 500;
pub const DEFAULT_ROOM_PAGE: usize = 100;
pub const MAX_ROOM_PAGE: usize = 500;
pub const DEFAULT_MESSAGE_PAGE: usize = 100;
pub const MAX_MESSAGE_PAGE: usize = 500;

#[derive(Clone)]
pub struct AppState {
    pub engine: EngineHandle,
    pub store: Arc<dyn Store>,
    pub console: Option<Arc<ConsoleChat>>,
    /// The chat adapter is connected (Discord: commands registered; console: always).
    pub chat_ready: Arc<std::sync::atomic::AtomicBool>,
    /// Why chat delivery is paused, if it is (the outbox reports it).
    pub health: Arc<crate::health::Health>,
    pub i18n: Arc<I18n>,
    pub people: Arc<HashMap<UserId, Person>>,
    pub ingest_token: Option<Secret>,
    pub body_limit: usize,
    pub metrics: PrometheusHandle,
    pub credentials: Arc<Credentials>,
    pub http_limits: HttpLimits,
}

/// The process-wide metrics recorder (the `metrics` facade has one global recorder).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("warroom_http_request_duration_seconds".to_owned()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .and_then(|builder| {
                    builder.set_buckets_for_metric(
                        Matcher::Full("warroom_store_flush_seconds".to_owned()),
                        &[
                            0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25,
                        ],
                    )
                })
                .and_then(|builder| {
                    builder.set_buckets_for_metric(
                        Matcher::Full("warroom_group_commit_requests".to_owned()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 512.0],
                    )
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only when another recorder is already installed (a host process that
            // embeds warroom); our handle then renders an empty page rather than crashing.
            if metrics::set_global_recorder(recorder).is_err() {
                warn!("A metrics recorder was already installed; /metrics will be empty.");
            }
            handle
        })
        .clone()
}

pub fn router(state: AppState) -> Router {
    // Every request but health and metrics holds a slot of the global limit while it runs;
    // reads first take one of their own, fewer, slots, so a crowd of readers waits among
    // itself and alert intake always finds a free global slot.
    let all = Arc::new(tokio::sync::Semaphore::new(
        state.http_limits.max_concurrent_requests,
    ));
    let reads = Arc::new(tokio::sync::Semaphore::new(
        state.http_limits.max_concurrent_reads(),
    ));
    let global_limit = GlobalConcurrencyLimitLayer::with_semaphore(all);
    let read_limit = GlobalConcurrencyLimitLayer::with_semaphore(reads);
    // Health and metrics stay outside the limits: a busy server is still alive.
    let open = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics));
    let mut writes =
        Router::new().route("/v1/alerts/{source}", post(ingest).fallback(intake_method));
    let mut reads = Router::new()
        .route("/v1/incidents", get(list_incidents))
        .route("/v1/incidents/{id}", get(get_incident))
        .route("/v1/incidents/{id}/timeline", get(get_timeline));
    if state.console.is_some() {
        reads = reads
            .route("/console/api/rooms", get(console_rooms))
            .route("/console/api/rooms/{room}/messages", get(console_messages));
        writes = writes
            .route("/console/api/command", post(console_command))
            .route("/console/api/click", post(console_click))
            .route("/console/api/react", post(console_react));
    }
    let reads = reads
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_reader,
        ))
        .route_layer(global_limit.clone())
        .route_layer(read_limit);
    let writes = writes.route_layer(global_limit);
    open.merge(writes)
        .merge(reads)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(middleware::from_fn(track_latency))
        .with_state(state)
}

/// A wrong method on an intake URL: say which method it takes, in the API's error shape.
async fn intake_method() -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "alert intake takes POST with a JSON body",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
    response
}

/// Runs a store read on the blocking pool, off the async workers the engine's callers use.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(read).await {
        Ok(result) => Ok(result?),
        Err(error) => {
            error!(%error, "A store read task failed.");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the read failed; try again",
            ))
        }
    }
}

/// An error as every endpoint returns it: `{"error": "..."}` with a fitting status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, axum::Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // Every credential this API takes is a bearer token (RFC 6750).
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        error!(%error, "Request failed in the engine.");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not stored, try again: {error}"),
        )
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        error!(%error, "Store read failed.");
        // A store that is recovering (disk full, re-opening) heals by itself: say "try again".
        let status = match error {
            crate::store::StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

async fn track_latency(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::histogram!(
        "warroom_http_request_duration_seconds",
        "route" => route,
        "status" => response.status().as_u16().to_string()
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// Reads a JSON body: content type, size limit and parse errors become clear 415/413/400s.
async fn read_json_bytes(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<axum::body::Bytes, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type must be application/json, got \"{content_type}\""),
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is larger than the limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await;
    let Ok(read) = read else {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {}",
                humantime::format_duration(timeout)
            ),
        ));
    };
    read.map_err(|error| {
        // to_bytes fails on the limit or on a broken connection; tell them apart for the
        // caller's sake.
        let limit_hit = std::error::Error::source(&error)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if limit_hit {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("could not read the body: {error}"),
            )
        }
    })
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = if path == "." || path.is_empty() {
            format!("invalid JSON: {inner}")
        } else {
            format!("{path}: {inner}")
        };
        ApiError::new(StatusCode::BAD_REQUEST, message)
    })
}

fn check_token(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.ingest_token else {
        return Ok(());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (send Authorization: Bearer <ingest token>)",
        ))
    }
}

/// Compares without an early exit, so response timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for (index, byte) in b.iter().enumerate() {
        difference |= usize::from(a.get(index).copied().unwrap_or(0) ^ byte);
    }
    difference == 0
}

async fn ingest(
    State(state): State<AppState>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let source = match source.as_str() {
        "alertmanager" => AlertSource::Alertmanager,
        "grafana" => AlertSource::Grafana,
        "zabbix" => AlertSource::Zabbix,
        "generic" => AlertSource::Generic,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "unknown alert source \"{other}\"; use alertmanager, grafana, zabbix or generic"
                ),
            ));
        }
    };
    check_token(&state, &headers)?;
    let bytes = read_json_bytes(
        &headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await;
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(error) => {
            metrics::counter!("warroom_alerts_rejected_total", "source" => source.as_str(), "status" => error.status.as_u16().to_string()).increment(1);
            return Err(error);
        }
    };
    let batch = intake::parse_batch(source, &bytes).map_err(|error| {
        metrics::counter!("warroom_alerts_rejected_total", "source" => source.as_str(), "status" => "400").increment(1);
        ApiError::new(StatusCode::BAD_REQUEST, error.to_string())
    })?;
    let report = state.engine.ingest_batch(batch).await?;
    Ok((StatusCode::OK, axum::Json(report)).into_response())
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// The incident as the API shows it: the stored record plus computed durations.
fn incident_view(incident: &Incident) -> Value {
    let mut value = serde_json::to_value(incident).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert(
            "durations".to_owned(),
            serde_json::to_value(incident.milestones.durations()).unwrap_or(Value::Null),
        );
    }
    value
}

async fn list_incidents(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let filter = match query.state.as_deref() {
        None | Some("") => None,
        Some(text) => Some(IncidentState::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("state: \"{text}\" is not one of triggered, acknowledged, mitigated, resolved, closed"),
            )
        })?),
    };
    let limit = parse_page_limit(
        query.limit.as_deref(),
        DEFAULT_INCIDENT_PAGE,
        MAX_INCIDENT_PAGE,
    )?;
    let after = match query.after.as_deref() {
        None | Some("") => None,
        Some(text) => Some(IncidentId::parse(text).map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("after: \"{text}\" is not an incident id ({error}); pass the x-next-after header of the previous page"),
            )
        })?),
    };
    // One more than asked tells whether another page follows.
    let store = state.store.clone();
    let mut incidents =
        blocking(move || store.incidents_page(filter, after, limit.saturating_add(1))).await?;
    let more = incidents.len() > limit;
    incidents.truncate(limit);
    let views: Vec<Value> = incidents.iter().map(incident_view).collect();
    let mut response = axum::Json(views).into_response();
    if more
        && let Some(last) = incidents.last()
        && let Ok(value) = last.id.to_string().parse()
    {
        response.headers_mut().insert("x-next-after", value);
    }
    Ok(response)
}

fn parse_incident_id(text: &str) -> Result<IncidentId, ApiError> {
    IncidentId::parse(text)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))
}

async fn get_incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_incident_id(&id)?;
    let store = state.store.clone();
    match blocking(move || store.incident(id)).await? {
        Some(incident) => Ok(axum::Json(incident_view(&incident)).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no incident {id}"),
        )),
    }
}

#[derive(Debug, Deserialize)]
struct TimelineQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

async fn get_timeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<TimelineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("after and limit must be whole numbers: {error}"),
        )
    })?;
    let id = parse_incident_id(&id)?;
    let store = state.store.clone();
    if blocking(move || store.incident(id)).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no incident {id}"),
        ));
    }
    let limit = query.limit.unwrap_or(DEFAULT_TIMELINE_PAGE);
    if limit == 0 || limit > MAX_TIMELINE_PAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit must be from 1 to {MAX_TIMELINE_PAGE}"),
        ));
    }
    let store = state.store.clone();
    let after = query.after.unwrap_or(0);
    let entries = blocking(move || store.timeline(id, after, limit)).await?;
    let mut response = axum::Json(&entries).into_response();
    if entries.len() == limit
        && let Some(last) = entries.last()
        && let Ok(value) = last.seq.to_string().parse()
    {
        // More may follow: tell the caller where to continue.
        response.headers_mut().insert("x-next-after", value);
    }
    Ok(response)
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // The store says why it refuses work while it re-opens after a storage failure.
    let store_error = match state.store.failure() {
        Some(reason) => Some(reason),
        None => state
            .store
            .last_sequence(chrono::Utc::now().date_naive())
            .err()
            .map(|error| error.to_string()),
    };
    let engine_ok = state.engine.is_running();
    let chat_blocked = state.health.chat_blocked();
    let chat_ok =
        state.chat_ready.load(std::sync::atomic::Ordering::Relaxed) && chat_blocked.is_none();
    let status = if store_error.is_none() && engine_ok && chat_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = json!({
        "status": if status == StatusCode::OK { "ready" } else { "not ready" },
        "store": store_error.is_none(),
        "engine": engine_ok,
        "chat": chat_ok,
    });
    if let Some(reason) = store_error {
        body["store_error"] = json!(reason);
    }
    if let Some(blocked) = chat_blocked {
        body["chat_blocked"] = json!(blocked.reason.as_str());
        body["chat_error"] = json!(blocked.detail);
    }
    (status, axum::Json(body))
}

async fn render_metrics(State(state): State<AppState>) -> impl IntoResponse {
    metrics::gauge!("warroom_outbox_depth").set(state.store.outbox_depth() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

// ---- console API -------------------------------------------------------------------------

fn console(state: &AppState) -> Result<&Arc<ConsoleChat>, ApiError> {
    state
        .console
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "the console chat is not enabled"))
}

#[derive(Debug, Serialize)]
struct RoomView {
    id: String,
    name: String,
    topic: String,
    incident: Option<IncidentId>,
}

#[derive(Debug, Deserialize)]
struct RoomsQuery {
    limit: Option<String>,
    after: Option<String>,
}

/// Rooms by id, `limit` (default 100, at most 500) after the room id `after`; header
/// `x-next-after` when more follow.
async fn console_rooms(
    State(state): State<AppState>,
    query: Result<Query<RoomsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let limit = parse_page_limit(query.limit.as_deref(), DEFAULT_ROOM_PAGE, MAX_ROOM_PAGE)?;
    let mut rooms = console(&state)?.rooms();
    rooms.sort_by(|a, b| a.id.cmp(&b.id));
    let after = query.after.unwrap_or_default();
    let mut page: Vec<RoomView> = rooms
        .into_iter()
        .filter(|room| room.id > after)
        .take(limit.saturating_add(1))
        .map(|room| RoomView {
            id: room.id,
            name: room.name,
            topic: room.topic,
            incident: room.incident,
        })
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let mut response = axum::Json(&page).into_response();
    if more
        && let Some(last) = page.last()
        && let Ok(value) = last.id.parse()
    {
        response.headers_mut().insert("x-next-after", value);
    }
    Ok(response)
}

/// A page size from the query: `default` when absent, else a whole number from 1 to `most`.
fn parse_page_limit(text: Option<&str>, default: usize, most: usize) -> Result<usize, ApiError> {
    match text {
        None | Some("") => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=most).contains(limit))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("limit: \"{text}\" must be a whole number from 1 to {most}"),
                )
            }),
    }
}

/// A room's messages, oldest first, `limit` (default 100, at most 500) after the message id
/// `after`; header `x-next-after` when more follow.
async fn console_messages(
    State(state): State<AppState>,
    Path(room): Path<String>,
    query: Result<Query<RoomsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let limit = parse_page_limit(
        query.limit.as_deref(),
        DEFAULT_MESSAGE_PAGE,
        MAX_MESSAGE_PAGE,
    )?;
    // Console message ids are `m` and a number that grows with every message.
    let number = |id: &str| id.strip_prefix('m').and_then(|n| n.parse::<u64>().ok());
    let after = match query.after.as_deref() {
        None | Some("") => 0,
        Some(text) => number(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("after: \"{text}\" is not a message id like m12"),
            )
        })?,
    };
    let Some(messages) = console(&state)?.messages(&room) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no room \"{room}\""),
        ));
    };
    let mut page: Vec<_> = messages
        .into_iter()
        .filter(|message| number(&message.id).is_some_and(|n| n > after))
        .take(limit.saturating_add(1))
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let mut response = axum::Json(&page).into_response();
    if more
        && let Some(last) = page.last()
        && let Ok(value) = last.id.parse()
    {
        response.headers_mut().insert("x-next-after", value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandBody {
    user: Option<String>,
    room: String,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClickBody {
    user: Option<String>,
    message: String,
    button: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactBody {
    user: Option<String>,
    message: String,
    emoji: String,
}

#[derive(Debug, Serialize)]
struct ReplyView {
    ok: bool,
    reply: String,
    incident: Option<IncidentId>,
}

fn reply_view(state: &AppState, person: &Person, reply: CommandReply) -> ReplyView {
    let lines: Vec<String> = reply
        .lines
        .iter()
        .map(|line| state.i18n.render(&person.locale, line))
        .collect();
    ReplyView {
        ok: reply.ok,
        reply: lines.join("\n"),
        incident: reply.incident,
    }
}

async fn console_command(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    state.credentials.precheck(&headers)?;
    let bytes = read_json_bytes(
        &headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await?;
    let body: CommandBody = parse_json(&bytes)?;
    let console = console(&state)?;
    let person = state
        .credentials
        .actor(&state.people, &headers, body.user.as_deref())?;
    let room = console.room(&body.room).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, format!("no room \"{}\"", body.room))
    })?;
    let command = match parse_typed(&body.text) {
        Ok(command) => command,
        Err(error) => {
            let reply = CommandReply {
                ok: false,
                lines: vec![error.to_msg()],
                incident: room.incident,
            };
            return Ok(axum::Json(reply_view(&state, person, reply)).into_response());
        }
    };
    run_command(&state, person, room.incident, command).await
}

async fn run_command(
    state: &AppState,
    person: &Person,
    incident: Option<IncidentId>,
    command: Command,
) -> Result<Response, ApiError> {
    // Console users are the configured people; a role assignee must be one of them too.
    let introduced = match &command {
        Command::AssignRole { user, .. } => state.people.get(user).cloned().into_iter().collect(),
        _ => Vec::new(),
    };
    let reply = state
        .engine
        .command(person.clone(), introduced, incident, command)
        .await?;
    Ok(axum::Json(reply_view(state, person, reply)).into_response())
}

async fn console_click(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    state.credentials.precheck(&headers)?;
    let bytes = read_json_bytes(
        &headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await?;
    let body: ClickBody = parse_json(&bytes)?;
    let console = console(&state)?;
    let person = state
        .credentials
        .actor(&state.people, &headers, body.user.as_deref())?;
    let message = console.message(&body.message).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no message \"{}\"", body.message),
        )
    })?;
    if !message
        .buttons
        .iter()
        .any(|button| button.id == body.button)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("message {} has no button \"{}\"", body.message, body.button),
        ));
    }
    let (command, incident) = parse_button(&body.button).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("unknown button \"{}\"", body.button),
        )
    })?;
    run_command(&state, person, Some(incident), command).await
}

async fn console_react(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    state.credentials.precheck(&headers)?;
    let bytes = read_json_bytes(
        &headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await?;
    let body: ReactBody = parse_json(&bytes)?;
    let console = console(&state)?;
    let person = state
        .credentials
        .actor(&state.people, &headers, body.user.as_deref())?;
    let emoji = crate::domain::emoji::normalize_reaction(&body.emoji)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    let emoji = emoji.as_str();
    let (message, new) = console
        .react(&body.message, &person.id, emoji)
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, error.to_string()))?;
    let incident = console.room(&message.room).and_then(|room| room.incident);
    if let (true, Some(incident)) = (new, incident) {
        state
            .engine
            .record(ChatRecord::Reaction {
                incident,
                person: person.clone(),
                message: MessageId(message.id.clone()),
                emoji: emoji.to_owned(),
            })
            .await?;
    }
    Ok(
        axum::Json(json!({ "ok": true, "message": message.id, "incident": incident }))
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_matches_only_equal_inputs() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-tokem", b"secret-token"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token-and-more", b"secret-token"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
