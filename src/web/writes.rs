//! What the page writes: a command typed in the command box, a button pressed, a reaction.
//! Each acts as the signed-in person, with the same rights and replies as in chat (the
//! console API's own code does the work), and only with the session's CSRF token from
//! warroom's own origin. Every refusal reaches the person in their language: the page's
//! writes answer `{"ok": false, "reply": "<translated>"}` with the status scripts branch on.

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
use crate::domain::message::Msg;
use crate::http::console::{button_command, react, typed_command};
use crate::http::{ApiError, AppState};
use crate::web::pages::{incident_or_404, parse_incident_path, read_console};
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

/// Why a page write was refused: a Fluent message, answered in the viewer's language.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: Msg,
}

impl Refusal {
    fn new(status: StatusCode, message: Msg) -> Refusal {
        Refusal { status, message }
    }

    /// A refusal known only by its status (a store or engine failure, a plain web error).
    fn of_status(status: StatusCode) -> Refusal {
        let message = match status {
            StatusCode::BAD_REQUEST => Msg::new("web-write-bad-form"),
            StatusCode::UNAUTHORIZED => Msg::new("web-write-sign-in"),
            StatusCode::SERVICE_UNAVAILABLE => Msg::new("web-write-unavailable"),
            other => Msg::new("web-write-failed").number("status", u64::from(other.as_u16())),
        };
        Refusal::new(status, message)
    }

    fn answer(self, state: &AppState, locale: &str) -> Response {
        let reply = state.i18n.render(locale, &self.message);
        (
            self.status,
            axum::Json(json!({ "ok": false, "reply": reply })),
        )
            .into_response()
    }
}

impl From<WebError> for Refusal {
    fn from(error: WebError) -> Refusal {
        tracing::debug!(status = %error.status, error = %error.message, "A page write was refused.");
        Refusal::of_status(error.status)
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Refusal {
        tracing::debug!(status = %error.status(), error = %error.message(), "A page write was refused.");
        Refusal::of_status(error.status())
    }
}

/// The answer to a write whose viewer could not be found (`rejection`): without a session,
/// 401 in the browser's language (no session says whose language it would be).
fn not_signed_in(state: &AppState, headers: &HeaderMap, rejection: Response) -> Response {
    let Ok(web) = web_of(state) else {
        return rejection;
    };
    if rejection.status() != StatusCode::UNAUTHORIZED {
        return rejection;
    }
    let locale = super::login::browser_locale(&state.i18n, headers)
        .unwrap_or_else(|| state.i18n.resolve_locale(&web.room_locale))
        .to_owned();
    Refusal::new(StatusCode::UNAUTHORIZED, Msg::new("web-write-sign-in")).answer(state, &locale)
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
) -> Result<(&'a Web, T, Incident), Refusal> {
    let web = web_of(state)?;
    let form = form.map(|Form(form)| form);
    let presented = form.as_ref().ok().and_then(CsrfField::csrf);
    if let Err(error) = viewer.check_write(web, headers, presented) {
        tracing::debug!(status = %error.status, error = %error.message, "A page write was refused.");
        // `check_write` decides; the reason is named for the person by the check that fails.
        let message = if !viewer.can_act {
            Msg::new("web-write-read-only")
        } else if super::security::check_origin(web, headers).is_err() {
            Msg::new("web-write-foreign-origin")
        } else {
            Msg::new("web-write-csrf")
        };
        return Err(Refusal::new(error.status, message));
    }
    let form = form.map_err(|error| {
        tracing::debug!(%error, "A page write sent a form that could not be read.");
        Refusal::new(StatusCode::BAD_REQUEST, Msg::new("web-write-bad-form"))
    })?;
    let no_incident = || {
        Refusal::new(
            StatusCode::NOT_FOUND,
            Msg::new("web-write-no-incident").word("incident", id),
        )
    };
    let id = parse_incident_path(id).map_err(|_| no_incident())?;
    let incident = incident_or_404(state, id)
        .await
        .map_err(|error| match error.status {
            StatusCode::NOT_FOUND => no_incident(),
            _ => Refusal::from(error),
        })?;
    Ok((web, form, incident))
}

fn answer(status: StatusCode, view: crate::http::console::ReplyView) -> Response {
    (status, axum::Json(view)).into_response()
}

/// Answers a write: its own answer, or its refusal in the viewer's language.
fn respond(state: &AppState, viewer: &Viewer, result: Result<Response, Refusal>) -> Response {
    result.unwrap_or_else(|refusal| refusal.answer(state, &viewer.locale))
}

async fn command(
    viewer: Result<Viewer, Response>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CommandForm>, FormRejection>,
) -> Response {
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(rejection) => return not_signed_in(&state, &headers, rejection),
    };
    let result = run_typed(&state, &viewer, &headers, &id, form).await;
    respond(&state, &viewer, result)
}

async fn run_typed(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    id: &str,
    form: Result<Form<CommandForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let (web, form, incident) = checked_write(state, viewer, headers, id, form).await?;
    // What was typed goes into the room first, so it reads before what it caused. Stored
    // on the blocking pool: the record is a disk write.
    // Over-long text is refused (by `typed_command`, with its reply) and never recorded.
    let too_long = form.text.trim().chars().count() > crate::chat::console::MAX_TYPED_CHARS;
    if let (Some(console), Some(room)) = (&web.console, &incident.room)
        && !form.text.trim().is_empty()
        && !too_long
    {
        let console = console.clone();
        let room = room.0.clone();
        let author = viewer.person.id.0.clone();
        let text = form.text.trim().to_owned();
        let recorded =
            tokio::task::spawn_blocking(move || console.record_typed(&room, &author, &text))
                .await
                .map_err(|error| error.to_string())
                .and_then(|stored| stored.map_err(|error| error.to_string()));
        // The command still runs: its effect and reply matter more than the echo of it.
        if let Err(error) = recorded {
            tracing::warn!(incident = %incident.id, %error, "A typed command was not recorded in its room.");
        }
    }
    let (status, view) = typed_command(
        state,
        &viewer.person,
        &viewer.locale,
        Some(incident.id),
        &form.text,
    )
    .await?;
    Ok(answer(status, view))
}

async fn click(
    viewer: Result<Viewer, Response>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ClickForm>, FormRejection>,
) -> Response {
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(rejection) => return not_signed_in(&state, &headers, rejection),
    };
    let result = press(&state, &viewer, &headers, &id, form).await;
    respond(&state, &viewer, result)
}

async fn press(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    id: &str,
    form: Result<Form<ClickForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let (web, form, incident) = checked_write(state, viewer, headers, id, form).await?;
    let on_it = match form
        .message
        .as_deref()
        .filter(|message| !message.is_empty())
    {
        Some(message) => {
            let message = room_message(web, &incident, message).await?;
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
        tracing::debug!(incident = %incident.id, button = %form.button, "A pressed button is not on its message any more.");
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            Msg::new("web-write-button-gone"),
        ));
    }
    let (status, view) =
        button_command(state, &viewer.person, &viewer.locale, &form.button).await?;
    Ok(answer(status, view))
}

async fn reaction(
    viewer: Result<Viewer, Response>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ReactForm>, FormRejection>,
) -> Response {
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(rejection) => return not_signed_in(&state, &headers, rejection),
    };
    let result = add_reaction(&state, &viewer, &headers, &id, form).await;
    respond(&state, &viewer, result)
}

async fn add_reaction(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    id: &str,
    form: Result<Form<ReactForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let (web, form, incident) = checked_write(state, viewer, headers, id, form).await?;
    let message = room_message(web, &incident, &form.message).await?;
    let console = console_of(web)?;
    let (message, incident) = react(state, console, &viewer.person, &message.id, &form.emoji)
        .await
        .map_err(|error| match error.status() {
            StatusCode::BAD_REQUEST => {
                Refusal::new(StatusCode::BAD_REQUEST, Msg::new("web-write-bad-emoji"))
            }
            StatusCode::CONFLICT => Refusal::new(
                StatusCode::CONFLICT,
                Msg::new("web-write-too-many-reactions"),
            ),
            StatusCode::NOT_FOUND => {
                Refusal::new(StatusCode::NOT_FOUND, Msg::new("web-write-no-message"))
            }
            _ => Refusal::from(error),
        })?;
    Ok(axum::Json(json!({
        "ok": true,
        "reply": "",
        "incident": incident,
        "message": message.id,
    }))
    .into_response())
}

fn console_of(web: &Web) -> Result<&ConsoleChat, Refusal> {
    web.console
        .as_deref()
        .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, Msg::new("web-write-no-console")))
}

/// Message `id` of the incident's room, read on the blocking pool (an older message is read
/// from disk); any other (another room's, a direct message) is answered as one that does
/// not exist.
async fn room_message(web: &Web, incident: &Incident, id: &str) -> Result<ConsoleMessage, Refusal> {
    let Some(console) = web.console.clone() else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            Msg::new("web-write-no-console"),
        ));
    };
    let wanted = id.to_owned();
    let found = read_console(move || console.find_message(&wanted)).await?;
    found
        .filter(|message| {
            incident
                .room
                .as_ref()
                .is_some_and(|room| room.0 == message.room)
        })
        .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, Msg::new("web-write-no-message")))
}
