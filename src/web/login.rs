//! Signing in and out, and the language switch.
//!
//! `GET /` shows the sign-in form (or goes to the incidents when signed in); `POST /login`
//! takes a user token and starts a session; `POST /logout` ends it; `POST /locale` sets the
//! session's language.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use crate::domain::access::Person;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::web::session::{SESSION_COOKIE, Session, cookie};
use crate::web::{WebError, WebRoutes, web_of};

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.open = routes
        .open
        .route("/", get(sign_in_page))
        .route("/login", post(sign_in))
        .route("/logout", post(sign_out));
    routes
}

/// The language of a signed-in person's pages: the session's choice, else theirs.
pub(super) fn viewer_locale(
    state: &AppState,
    session: &Session,
    person: &Person,
    _headers: &HeaderMap,
) -> String {
    let chosen = session.locale.as_deref().unwrap_or(&person.locale);
    state.i18n.resolve_locale(chosen).to_owned()
}

async fn sign_in_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    let signed_in = cookie(&headers, SESSION_COOKIE)
        .and_then(|id| web.sessions.get(id, Utc::now()))
        .is_some();
    if signed_in {
        return Redirect::to("/incidents").into_response();
    }
    render_sign_in(&state, None, StatusCode::OK)
}

fn render_sign_in(state: &AppState, error: Option<&str>, status: StatusCode) -> Response {
    let Ok(web) = web_of(state) else {
        return WebError::not_found("the web console is off").into_response();
    };
    let locale = state.i18n.resolve_locale(&web.room_locale).to_owned();
    let context = minijinja::context! {
        locale => locale,
        error => error,
        demo_users => if web.demo { vec!["alice", "bob", "carol"] } else { Vec::new() },
    };
    match web.templates.render("login.html", context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => WebError::from(error).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    token: String,
}

async fn sign_in(
    State(state): State<AppState>,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    let person =
        form.ok().and_then(
            |Form(form)| match state.credentials.caller_of_token(&form.token) {
                Some(Caller::Person(id)) => state.people.get(&id).cloned(),
                _ => None,
            },
        );
    let Some(person) = person else {
        let message = state
            .i18n
            .text(&web.room_locale, "web-login-wrong-token", &[]);
        return render_sign_in(&state, Some(&message), StatusCode::UNAUTHORIZED);
    };
    let id = match web.sessions.create(person.id.clone(), Utc::now()) {
        Ok(id) => id,
        Err(error) => return error.into_response(),
    };
    let max_age = web.settings.session_ttl.as_secs();
    let secure = if web.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/incidents")).into_response()
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let (Ok(web), Some(id)) = (web_of(&state), cookie(&headers, SESSION_COOKIE)) {
        web.sessions.remove(id);
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}
