//! The pages: the incident list (`/incidents`) and a war room (`/incidents/{id}`), and the
//! fragments the event streams send (a list row, the card, a message), rendered by the same
//! templates so a live update looks exactly like a reload.

mod list;
mod views;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use minijinja::Value;
use serde::Deserialize;

use crate::chat::console::ConsoleMessage;
use crate::domain::ids::IncidentId;
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::severity::Severity;
use crate::http::AppState;
use crate::web::{Viewer, WebError, WebRoutes, web_of};

pub(crate) use list::{Cursor, ListFilter};

/// Incidents per list page when the link does not say.
pub const DEFAULT_LIST_PAGE: usize = 50;
/// The most incidents one list page shows.
pub const MAX_LIST_PAGE: usize = 200;
/// The states the list's filter offers, in the order an incident goes through them.
const LIST_STATES: [IncidentState; 5] = [
    IncidentState::Triggered,
    IncidentState::Acknowledged,
    IncidentState::Mitigated,
    IncidentState::Resolved,
    IncidentState::Closed,
];

/// The most messages a war room shows at once: its newest, with older ones a link away.
pub const ROOM_MESSAGE_PAGE: usize = 200;

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.pages = routes
        .pages
        .route("/incidents", get(incident_list))
        .route("/incidents/{id}", get(war_room));
    routes
}

/// One row of the incident list, as the list page shows it.
pub(super) fn incident_row_html(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    let row = views::incident_row(state, viewer, incident, web.clock.now());
    Ok(web.templates.render(
        "incident_row.html",
        viewer.context(minijinja::context! { row }),
    )?)
}

/// The incident's card: the same facts and buttons as in chat, in the viewer's language.
pub(super) fn card_html(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    let card = views::card(state, viewer, incident);
    Ok(web
        .templates
        .render("card.html", viewer.context(minijinja::context! { card }))?)
}

/// One message of a room: its text, fields, reactions and, on approvals, its buttons.
pub(super) fn message_html(
    state: &AppState,
    viewer: &Viewer,
    message: &ConsoleMessage,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    let message = views::message(state, viewer, message);
    Ok(web.templates.render(
        "message.html",
        viewer.context(minijinja::context! { message }),
    )?)
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    state: Option<String>,
    severity: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

fn bad_request(message: impl Into<String>) -> WebError {
    WebError::new(StatusCode::BAD_REQUEST, message)
}

fn list_filter(query: &ListQuery) -> Result<ListFilter, WebError> {
    let state = match query.state.as_deref() {
        None | Some("") => None,
        Some(text) => Some(IncidentState::parse(text).ok_or_else(|| {
            bad_request(format!(
                "state: \"{text}\" is not one of triggered, acknowledged, mitigated, resolved, closed"
            ))
        })?),
    };
    let severity = match query.severity.as_deref() {
        None | Some("") => None,
        Some(text) => Some(Severity::parse(text).map_err(|error| bad_request(error.to_string()))?),
    };
    let limit =
        crate::http::parse_page_limit(query.limit.as_deref(), DEFAULT_LIST_PAGE, MAX_LIST_PAGE)?;
    let cursor = Cursor::parse(query.after.as_deref().unwrap_or("")).map_err(bad_request)?;
    Ok(ListFilter {
        state,
        severity,
        cursor,
        limit,
    })
}

/// Runs a store read on the blocking pool: sled reads may touch the disk.
async fn read_store<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::engine::port::StoreError> + Send + 'static,
) -> Result<T, WebError> {
    read_blocking(
        read,
        "the store cannot be read right now; try again shortly",
    )
    .await
}

/// Runs `read` on the blocking pool: its failure is a 503 saying `unavailable` (stores heal
/// by themselves), a read that panicked a 500; both are logged.
async fn read_blocking<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    read: impl FnOnce() -> Result<T, E> + Send + 'static,
    unavailable: &'static str,
) -> Result<T, WebError> {
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => {
            tracing::warn!(%error, "A web page could not read what it shows.");
            Err(WebError::new(StatusCode::SERVICE_UNAVAILABLE, unavailable))
        }
        Err(error) => {
            tracing::error!(%error, "A web page's read failed.");
            Err(WebError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be read; the log says why",
            ))
        }
    }
}

async fn incident_list(
    viewer: Viewer,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Html<String>, WebError> {
    let web = web_of(&state)?;
    let Query(query) = query.map_err(|error| bad_request(format!("bad query: {error}")))?;
    let filter = list_filter(&query)?;
    // Taken before the read: whatever changes after it reaches the page by its stream.
    let after_event = web.live.event_id(web.live.last_seq());
    let store = state.store.clone();
    // The open incidents from the engine's memory, so they always lead page 1.
    let open = state.port.open_incidents();
    let page = read_store(move || list::read_page(store.as_ref(), open, &filter)).await?;
    let now = web.clock.now();
    let rows: Vec<Value> = page
        .incidents
        .iter()
        .map(|incident| views::incident_row(&state, &viewer, incident, now))
        .collect();
    let state_filter = filter.state.map(IncidentState::as_str).unwrap_or("");
    let severity_filter = filter.severity.map(Severity::as_str).unwrap_or("");
    // The template writes the link around these values, so only they are escaped.
    let next = page.next.map(|cursor| cursor.to_string());
    let states: Vec<Value> = LIST_STATES
        .iter()
        .map(|state_option| {
            minijinja::context! {
                value => state_option.as_str(),
                label => state.i18n.text(&viewer.locale, &format!("state-{}", state_option.as_str()), &[]),
            }
        })
        .collect();
    let severities: Vec<&str> = Severity::ALL
        .iter()
        .map(|severity| severity.as_str())
        .collect();
    let html = web.templates.render(
        "incidents.html",
        viewer.context(minijinja::context! {
            rows,
            next,
            limit => filter.limit,
            states,
            severities,
            state_filter,
            severity_filter,
            first_page => filter.cursor == Cursor::START,
            after_event,
        }),
    )?;
    Ok(Html(html))
}

#[derive(Debug, Deserialize)]
struct RoomQuery {
    /// `m12`: the page of messages before m12 (older ones); none: the newest page.
    before: Option<String>,
}

/// Runs a console read on the blocking pool (older messages are read from disk): a failed
/// read is a 503, never an empty room.
pub(super) async fn read_console<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::chat::console::ConsoleError> + Send + 'static,
) -> Result<T, WebError> {
    read_blocking(
        read,
        "the room's messages cannot be read right now; try again shortly",
    )
    .await
}

pub(super) fn parse_incident_path(text: &str) -> Result<IncidentId, WebError> {
    IncidentId::parse(text).map_err(|error| WebError::not_found(error.to_string()))
}

/// The incident `id`, or 404.
pub(super) async fn incident_or_404(
    state: &AppState,
    id: IncidentId,
) -> Result<Incident, WebError> {
    let store = state.store.clone();
    read_store(move || store.incident(id))
        .await?
        .ok_or_else(|| WebError::not_found(format!("no incident {id}")))
}

async fn war_room(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<RoomQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Html<String>, WebError> {
    let web = web_of(&state)?;
    let Query(query) = query.map_err(|error| bad_request(format!("bad query: {error}")))?;
    let id = parse_incident_path(&id)?;
    let before_message = match query.before.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.strip_prefix('m')
                .and_then(|number| number.parse::<u64>().ok())
                .ok_or_else(|| {
                    bad_request(format!("before: \"{text}\" is not a message id like m12"))
                })?,
        ),
    };
    // Taken before the reads: whatever changes after it reaches the page by its stream.
    let after_event = web.live.event_id(web.live.last_seq());
    let incident = incident_or_404(&state, id).await?;
    let card = views::card(&state, &viewer, &incident);
    let (messages, older_messages) = match (&web.console, &incident.room) {
        (Some(console), Some(room)) => {
            let console = console.clone();
            let room_id = room.0.clone();
            let (page, older) = read_console(move || {
                console.messages_before(&room_id, before_message, ROOM_MESSAGE_PAGE)
            })
            .await?
            .ok_or_else(|| {
                WebError::not_found(format!(
                    "the room \"{}\" of {id} is not in the console chat",
                    room.0
                ))
            })?;
            let older = if older {
                page.first().map(|first| first.id.clone())
            } else {
                None
            };
            let page: Vec<Value> = page
                .iter()
                .map(|message| views::message(&state, &viewer, message))
                .collect();
            (page, older)
        }
        _ => (Vec::new(), None),
    };
    let durations = super::timeline::durations_html(&state, &viewer, &incident)?;
    let html = web.templates.render(
        "room.html",
        viewer.context(minijinja::context! {
            incident_id => id.to_string(),
            title => incident.title,
            card,
            messages,
            older_messages,
            // An older page: live messages belong below the newest, not here.
            history => before_message.is_some(),
            has_console => web.console.is_some(),
            durations => Value::from_safe_string(durations),
            after_event,
        }),
    )?;
    Ok(Html(html))
}
