//! The HTTP surface: alert webhooks, the read API, the console API, health and metrics.
//! The app is a function: [`router`] builds it from [`AppState`]; [`serve`] serves it.
//!
//! Access: alert intake takes the ingest token; the read API and the console API take a
//! person's token (`Authorization: Bearer`, see [`auth`]), reads also the integration's read
//! token; `/healthz`, `/readyz` and `/metrics` are open.

mod actions;
pub mod auth;
pub(crate) mod console;
pub(crate) mod read;
mod serve;
mod webhooks;

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
use crate::engine::port::{CommandReply, EngineError, InboundPort, StoreError, StoreRead};
use crate::http::auth::{Credentials, require_reader};
use crate::i18n::I18n;
use crate::intake;

pub const DEFAULT_TIMELINE_PAGE: usize = 100;
pub const MAX_TIMELINE_PAGE: usize = 500;
pub const DEFAULT_INCIDENT_PAGE: usize = 50;
pub const MAX_INCIDENT_PAGE: usize = 500;
pub const DEFAULT_ROOM_PAGE: usize = 100;
pub const MAX_ROOM_PAGE: usize = 500;
pub const DEFAULT_MESSAGE_PAGE: usize = 100;
pub const MAX_MESSAGE_PAGE: usize = 500;

#[derive(Clone)]
pub struct AppState {
    /// The way into the core: events and views.
    pub port: InboundPort,
    /// The store's read port (the read API pages it); writing is the engine's alone.
    pub store: Arc<dyn StoreRead>,
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
    /// The web console at `/`; `None` when `[console] web = "off"`.
    pub web: Option<Arc<crate::web::Web>>,
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
    // The web console has its own slice, as large as the reads' and apart from it: people's browsers (and anyone who
    // can reach `/login`) wait among themselves and never take the slots intake needs.
    let web_slots = Arc::new(tokio::sync::Semaphore::new(
        state.http_limits.max_concurrent_reads(),
    ));
    let global_limit = GlobalConcurrencyLimitLayer::with_semaphore(all);
    let read_limit = GlobalConcurrencyLimitLayer::with_semaphore(reads);
    // Health and metrics stay outside the limits: a busy server is still alive.
    let open = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics));
    let mut writes = Router::new().route(
        "/v1/alerts/{source}",
        post(webhooks::ingest).fallback(webhooks::intake_method),
    );
    let mut reads = Router::new()
        .route("/v1/incidents", get(read::list_incidents))
        .route("/v1/incidents/{id}", get(read::get_incident))
        .route("/v1/incidents/{id}/timeline", get(read::get_timeline))
        .route("/v1/incidents/{id}/actions", get(actions::list_actions))
        .route(
            "/v1/incidents/{id}/actions/{request}",
            get(actions::get_action),
        );
    if state.console.is_some() {
        reads = reads
            .route("/console/api/rooms", get(console::console_rooms))
            .route(
                "/console/api/rooms/{room}/messages",
                get(console::console_messages),
            );
        writes = writes
            .route("/console/api/command", post(console::console_command))
            .route("/console/api/click", post(console::console_click))
            .route("/console/api/react", post(console::console_react));
    }
    let reads = reads
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_reader,
        ))
        .route_layer(global_limit.clone())
        .route_layer(read_limit);
    let writes = writes.route_layer(global_limit.clone());
    let mut app = open.merge(writes).merge(reads);
    if state.web.is_some() {
        let web = crate::web::routes();
        // Outermost first: a foreign `Host` is refused before anything; then a web slot;
        // then the whole body, within `[http] body_limit_bytes` and `body_timeout`, while
        // holding only that web slot; only then a global slot, for the handler's work.
        // `layer`, not `route_layer`: a part may have no routes (the latter panics then).
        let limited = |router: Router<AppState>| {
            router
                .layer(global_limit.clone())
                .layer(middleware::from_fn_with_state(state.clone(), read_web_body))
                .layer(GlobalConcurrencyLimitLayer::with_semaphore(
                    web_slots.clone(),
                ))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::web::security::refuse_foreign_host,
                ))
        };
        app = app
            .merge(limited(web.open))
            .merge(limited(web.pages))
            .merge(limited(web.writes))
            // A stream holds its connection for as long as the page is open: it takes one of
            // the web console's stream slots instead of a request slot.
            .merge(web.streams.layer(middleware::from_fn_with_state(
                state.clone(),
                crate::web::security::refuse_foreign_host,
            )));
    }
    app.fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(middleware::from_fn(track_latency))
        .with_state(state)
}

/// Runs a store read on the blocking pool, off the async workers the engine's callers use.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
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

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
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

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        error!(%error, "Store read failed.");
        // A store that is recovering (disk full, re-opening) heals by itself: say "try again".
        let status = match error {
            StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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

/// Reads a web console request's whole body before its handler runs, within
/// `[http] body_limit_bytes` (413) and `body_timeout` (408), so a slow or huge body never
/// holds more than a web slot; the handler then reads it from memory.
async fn read_web_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match read_body_bytes(
        &parts.headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await
    {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(error) => crate::web::WebError::from(error).into_response(),
    }
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
    read_body_bytes(headers, body, limit, timeout).await
}

/// Reads a body of at most `limit` bytes within `timeout`: a clear 413, 408 or 400 when not.
async fn read_body_bytes(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<axum::body::Bytes, ApiError> {
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
    let engine_ok = state.port.is_running();
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

/// A page size from the query: `default` when absent, else a whole number from 1 to `most`.
pub(crate) fn parse_page_limit(
    text: Option<&str>,
    default: usize,
    most: usize,
) -> Result<usize, ApiError> {
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

/// A page of a list and whether more follow: the JSON array, with header `x-next-after`
/// carrying `cursor(last)` when more follow, as every paged list of this API answers.
pub(crate) fn paged<T: Serialize>(
    page: &[T],
    more: bool,
    cursor: impl Fn(&T) -> String,
) -> Response {
    let mut response = axum::Json(page).into_response();
    if more
        && let Some(last) = page.last()
        && let Ok(value) = cursor(last).parse()
    {
        response.headers_mut().insert("x-next-after", value);
    }
    response
}
