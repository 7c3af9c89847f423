//! The pages: the incident list (`/incidents`) and a war room (`/incidents/{id}`), and the
//! fragments the event streams send (a list row, the card, a message), rendered by the same
//! templates so a live update looks exactly like a reload.

use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;

use crate::chat::console::ConsoleMessage;
use crate::domain::incident::Incident;
use crate::http::AppState;
use crate::web::{Viewer, WebError, WebRoutes, web_of};

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.pages = routes
        .pages
        .route("/incidents", get(incident_list))
        .route("/incidents/{id}", get(war_room));
    routes
}

async fn incident_list(
    viewer: Viewer,
    State(state): State<AppState>,
) -> Result<Html<String>, WebError> {
    let web = web_of(&state)?;
    let html = web
        .templates
        .render("incidents.html", viewer.context(minijinja::context! {}))?;
    Ok(Html(html))
}

async fn war_room(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let web = web_of(&state)?;
    let html = web.templates.render(
        "room.html",
        viewer.context(minijinja::context! { incident_id => id }),
    )?;
    Ok(Html(html))
}

/// One row of the incident list, as the list page shows it.
pub(super) fn incident_row_html(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    Ok(web.templates.render(
        "incident_row.html",
        viewer.context(minijinja::context! { id => incident.id.to_string() }),
    )?)
}

/// The incident's card: the same facts and buttons as in chat.
pub(super) fn card_html(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    Ok(web.templates.render(
        "card.html",
        viewer.context(minijinja::context! { id => incident.id.to_string() }),
    )?)
}

/// One message of a room.
pub(super) fn message_html(
    state: &AppState,
    viewer: &Viewer,
    message: &ConsoleMessage,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    Ok(web.templates.render(
        "message.html",
        viewer.context(minijinja::context! { text => message.text }),
    )?)
}
