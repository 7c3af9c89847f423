//! Web sessions: a random id in an `HttpOnly` cookie names the signed-in person; the token
//! they signed in with is never kept. Each session has its own CSRF token, which every write
//! from the page must carry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use minijinja::Value;

use crate::domain::access::Person;
use crate::domain::ids::UserId;
use crate::http::AppState;
use crate::web::{Web, WebError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "warroom_session";
/// The cookie the page's script sets to the browser's time zone (`Europe/Berlin`).
pub const ZONE_COOKIE: &str = "warroom_tz";
/// At most this many sessions live at once; a new one past it replaces the oldest.
pub const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    /// The language chosen with the page's switch; overrides the person's and the browser's.
    pub locale: Option<String>,
}

/// Every live session, by id.
#[derive(Debug)]
pub struct Sessions {
    ttl: Duration,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions {
            ttl,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for `user`; returns its id (the cookie's value).
    pub fn create(&self, user: UserId, now: DateTime<Utc>) -> Result<String, WebError> {
        let random = |bytes| {
            crate::credentials::random_hex(bytes).map_err(|error| {
                tracing::error!(%error, "Cannot start a web session.");
                WebError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "cannot start a session now; try again",
                )
            })
        };
        let id = random(32)?;
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(12));
        let session = Session {
            user,
            csrf: random(32)?,
            created: now,
            expires: now + ttl,
            locale: None,
        };
        let mut sessions = self.lock();
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, session| session.expires > now);
        }
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, session)| session.created)
                .map(|(id, _)| id.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(id.clone(), session);
        Ok(id)
    }

    /// The live session `id`; an expired one is removed and not returned.
    pub fn get(&self, id: &str, now: DateTime<Utc>) -> Option<Session> {
        let mut sessions = self.lock();
        match sessions.get(id) {
            Some(session) if session.expires > now => Some(session.clone()),
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends session `id` (sign out).
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Sets the session's language; `false` when there is no such session.
    pub fn set_locale(&self, id: &str, locale: Option<String>) -> bool {
        match self.lock().get_mut(id) {
            Some(session) => {
                session.locale = locale;
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // Each statement leaves the map whole: a panic elsewhere cannot half-write it.
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The signed-in person looking at a page, in their language and time zone.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub session_id: String,
    pub person: Person,
    pub csrf: String,
    pub locale: String,
    pub time_zone: chrono_tz::Tz,
    /// Whether the page offers the command box, buttons and reactions (`[console] web`).
    pub can_act: bool,
}

impl Viewer {
    /// The context every page gets, merged with the page's own.
    pub fn context(&self, page: Value) -> Value {
        minijinja::context! {
            locale => self.locale,
            csrf => self.csrf,
            can_act => self.can_act,
            user => self.person.display_name,
            user_id => self.person.id.0,
            time_zone => self.time_zone.name(),
            ..page
        }
    }

    /// Refuses a write the page may not make: 403 in read mode, without this session's
    /// CSRF token (header `x-csrf-token` or form field `csrf`), or from a foreign origin.
    pub fn check_write(
        &self,
        web: &Web,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), WebError> {
        if !self.can_act {
            return Err(WebError::new(
                StatusCode::FORBIDDEN,
                "this web console is read-only ([console] web = \"read\")",
            ));
        }
        super::security::check_origin(web, headers)?;
        let presented = headers
            .get("x-csrf-token")
            .and_then(|value| value.to_str().ok())
            .or(form_token)
            .unwrap_or("");
        if !constant_time_eq(presented.as_bytes(), self.csrf.as_bytes()) {
            return Err(WebError::new(
                StatusCode::FORBIDDEN,
                "missing or wrong CSRF token; reload the page and try again",
            ));
        }
        Ok(())
    }
}

/// Compares without an early exit, so timing says nothing about how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// Why no viewer: pages send people to sign in; scripts get a plain 401.
#[derive(Debug)]
pub struct NotSignedIn {
    page: bool,
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        if self.page {
            Redirect::to("/").into_response()
        } else {
            WebError::new(StatusCode::UNAUTHORIZED, "sign in first").into_response()
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        let web = super::web_of(state).map_err(IntoResponse::into_response)?;
        let page = parts.method == Method::GET
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"));
        let rejection = || NotSignedIn { page }.into_response();
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(rejection)?;
        let session = web.sessions.get(id, Utc::now()).ok_or_else(rejection)?;
        let person = state.people.get(&session.user).ok_or_else(rejection)?;
        let locale = super::login::viewer_locale(state, &session, person, &parts.headers);
        let time_zone = cookie(&parts.headers, ZONE_COOKIE)
            .and_then(|zone| zone.replace("%2F", "/").parse::<chrono_tz::Tz>().ok())
            .unwrap_or(web.time_zone);
        Ok(Viewer {
            session_id: id.to_owned(),
            person: person.clone(),
            csrf: session.csrf,
            locale,
            time_zone,
            can_act: web.settings.mode.allows_writes(),
        })
    }
}
