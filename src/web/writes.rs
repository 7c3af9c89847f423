//! What the page writes: a command typed in the command box, a button pressed, a reaction.
//! Each acts as the signed-in person, with the same rights and replies as in chat (the
//! console API's own code does the work), and only with the session's CSRF token from
//! warroom's own origin.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use crate::chat::console::{ConsoleChat, ConsoleMessage};
use crate::domain::incident::Incident;
use crate::http::AppState;
use crate::http::console::{button_command, react, typed_command};
use crate::web::pages::{incident_or_404, parse_incident_path};
use crate::web::{Viewer, Web, WebError, WebRoutes, web_of};

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.writes = routes
        .writes
        .route("/incidents/{id}/command", post(command))
        .route("/incidents/{id}/click", post(click))
        .route("/incidents/{id}/react", post(reaction));
    routes
}

#[derive(Debug, Deserialize)]
struct CommandForm {
    text: String,
    csrf: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ClickForm {
    button: String,
    message: Option<String>,
    csrf: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReactForm {
    message: String,
    emoji: String,
    csrf: Option<String>,
}

/// A form's CSRF field, for the write check (a script sends the header instead).
trait CsrfField {
    fn csrf(&self) -> Option<&str>;
}

impl CsrfField for CommandForm {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

impl CsrfField for ClickForm {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

impl CsrfField for ReactForm {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

/// What every write does first: refuse a write this page may not make (read mode, no or
/// a wrong CSRF token, a foreign origin) before anything else, then the form, then the
/// incident.
async fn checked_write<'a, T: CsrfField>(
    state: &'a AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    id: &str,
    form: Result<Form<T>, FormRejection>,
) -> Result<(&'a Web, T, Incident), WebError> {
    let web = web_of(state)?;
    let form = form.map(|Form(form)| form);
    let presented = form.as_ref().ok().and_then(CsrfField::csrf);
    viewer.check_write(web, headers, presented)?;
    let form =
        form.map_err(|error| WebError::new(StatusCode::BAD_REQUEST, format!("bad form: {error}")))?;
    let incident = incident_or_404(state, parse_incident_path(id)?).await?;
    Ok((web, form, incident))
}

fn answer(status: StatusCode, view: crate::http::console::ReplyView) -> Response {
    (status, axum::Json(view)).into_response()
}

async fn command(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CommandForm>, FormRejection>,
) -> Result<Response, WebError> {
    let (web, form, incident) = checked_write(&state, &viewer, &headers, &id, form).await?;
    // What was typed goes into the room first, so it reads before what it caused.
    if let (Some(console), Some(room)) = (&web.console, &incident.room)
        && !form.text.trim().is_empty()
        && let Err(error) = console.record_typed(&room.0, &viewer.person.id.0, form.text.trim())
    {
        tracing::warn!(incident = %incident.id, %error, "A typed command was not recorded in its room.");
    }
    let (status, view) = typed_command(
        &state,
        &viewer.person,
        &viewer.locale,
        Some(incident.id),
        &form.text,
    )
    .await?;
    Ok(answer(status, view))
}

async fn click(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ClickForm>, FormRejection>,
) -> Result<Response, WebError> {
    let (web, form, incident) = checked_write(&state, &viewer, &headers, &id, form).await?;
    let on_it = match form
        .message
        .as_deref()
        .filter(|message| !message.is_empty())
    {
        Some(message) => {
            let message = room_message(web, &incident, message)?;
            message
                .buttons
                .iter()
                .any(|button| button.id == form.button)
        }
        None => {
            let diagnose = state
                .port
                .actions()
                .diagnosis_for(incident.service.as_deref())
                .is_some();
            crate::chat::render::card(&state.i18n, &viewer.locale, &incident, diagnose)
                .buttons
                .iter()
                .any(|button| button.id == form.button)
        }
    };
    if !on_it {
        // The card or message changed since the page showed it: reloading shows what is
        // there now.
        return Err(WebError::new(
            StatusCode::CONFLICT,
            format!(
                "button \"{}\" is not on that message of {} (any more); reload the page",
                form.button, incident.id
            ),
        ));
    }
    let (status, view) =
        button_command(&state, &viewer.person, &viewer.locale, &form.button).await?;
    Ok(answer(status, view))
}

async fn reaction(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ReactForm>, FormRejection>,
) -> Result<Response, WebError> {
    let (web, form, incident) = checked_write(&state, &viewer, &headers, &id, form).await?;
    let message = room_message(web, &incident, &form.message)?;
    let console = console_of(web)?;
    let (message, incident) =
        react(&state, console, &viewer.person, &message.id, &form.emoji).await?;
    Ok(axum::Json(json!({
        "ok": true,
        "reply": "",
        "incident": incident,
        "message": message.id,
    }))
    .into_response())
}

fn console_of(web: &Web) -> Result<&ConsoleChat, WebError> {
    web.console.as_deref().ok_or_else(|| {
        WebError::not_found("this warroom chats on Discord: messages are answered there")
    })
}

/// Message `id` of the incident's room; any other (another room's, a direct message) is
/// answered as one that does not exist.
fn room_message(web: &Web, incident: &Incident, id: &str) -> Result<ConsoleMessage, WebError> {
    let console = console_of(web)?;
    console
        .message(id)
        .filter(|message| {
            incident
                .room
                .as_ref()
                .is_some_and(|room| room.0 == message.room)
        })
        .ok_or_else(|| WebError::not_found(format!("no message \"{id}\" in {}", incident.id)))
}
