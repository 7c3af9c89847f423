//! The web console: the war room in a browser, served by warroom itself at `/`.
//!
//! Server-rendered pages (minijinja templates embedded in the binary, see [`templates`]),
//! a little plain JavaScript (`web/static/app.js`) for the live streams and the command box,
//! and Server-Sent Events fed by the [`LiveFeed`]. The console chat is its backend: the
//! console rooms are what a war room page shows. People sign in with their user token; the
//! page then holds a session cookie (never the token) and a per-session CSRF token.
//!
//! Code map: `session` (sessions, the signed-in [`Viewer`], CSRF and origin checks),
//! `login` (sign in and out, the language switch), `security` (headers every page gets),
//! `assets` (embedded static files), `pages` (the incident list, a war room, its
//! fragments), `writes` (commands, buttons and reactions from the page), `events` (the
//! event streams), `timeline` (the timeline view and the durations), `chart` (the
//! server-rendered alerts chart).

mod assets;
mod chart;
mod events;
mod login;
mod pages;
pub(crate) mod security;
pub mod session;
pub mod templates;
mod timeline;
mod writes;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::chat::console::ConsoleChat;
use crate::config::WebSettings;
use crate::http::AppState;
use crate::i18n::I18n;
use crate::live::LiveFeed;

pub use session::{Sessions, Viewer};
pub use templates::Templates;

/// Everything the web console needs beside the app's state.
pub struct Web {
    pub settings: WebSettings,
    pub sessions: Sessions,
    pub templates: Templates,
    pub live: Arc<LiveFeed>,
    /// The console chat whose rooms the pages show; `None` with Discord (then a war room
    /// shows the card and the timeline, and the chat's messages stay in Discord).
    pub console: Option<Arc<ConsoleChat>>,
    /// No config file: the demo users may sign in with one click (loopback only).
    pub demo: bool,
    /// `[chat] time_zone`: times are shown in it when the browser has not said its own.
    pub time_zone: chrono_tz::Tz,
    /// The room locale: the language of the card and the bot's messages.
    pub room_locale: String,
    /// Open event streams at once (`HttpLimits::max_event_streams`); one more is answered
    /// 503 and the browser retries.
    pub streams: Arc<tokio::sync::Semaphore>,
    /// Open event streams per session id (at most `events::MAX_STREAMS_PER_SESSION` each);
    /// an entry lives while its session has a stream open, so it holds no more entries
    /// than `streams` has slots.
    pub session_streams: std::sync::Mutex<std::collections::HashMap<String, usize>>,
    /// The app's clock: sessions start and expire by it (tests move it).
    pub clock: Arc<dyn crate::engine::clock::Clock>,
    /// `http.addr`: without `public_url`, a `Host` naming it (or loopback) is warroom's.
    pub http_addr: Option<std::net::SocketAddr>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("mode", &self.settings.mode)
            .finish_non_exhaustive()
    }
}

impl Web {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: WebSettings,
        i18n: Arc<I18n>,
        live: Arc<LiveFeed>,
        console: Option<Arc<ConsoleChat>>,
        demo: bool,
        time_zone: chrono_tz::Tz,
        room_locale: String,
        clock: Arc<dyn crate::engine::clock::Clock>,
        max_event_streams: usize,
    ) -> Result<Web, templates::TemplateError> {
        let session_ttl = settings.session_ttl;
        Ok(Web {
            settings,
            sessions: Sessions::new(session_ttl),
            templates: Templates::new(i18n)?,
            live,
            console,
            demo,
            time_zone,
            room_locale,
            streams: Arc::new(tokio::sync::Semaphore::new(max_event_streams)),
            session_streams: Default::default(),
            clock,
            http_addr: None,
        })
    }

    /// The console served at `addr` (`http.addr`): a request whose `Host` names it is
    /// warroom's even without `public_url`.
    pub fn listening_on(mut self, addr: std::net::SocketAddr) -> Web {
        self.http_addr = Some(addr);
        self
    }
}

/// The web console's routes, by the limits they run under: pages read, writes act, and
/// streams stay open for as long as the page does (so they hold no request slot).
#[derive(Default)]
pub struct WebRoutes {
    pub pages: Router<AppState>,
    pub writes: Router<AppState>,
    pub streams: Router<AppState>,
    /// Sign-in, assets: no session needed.
    pub open: Router<AppState>,
}

/// Every route of the web console.
pub fn routes() -> WebRoutes {
    let routes = WebRoutes::default();
    let routes = login::routes(routes);
    let routes = assets::routes(routes);
    let routes = pages::routes(routes);
    let routes = writes::routes(routes);
    let routes = timeline::routes(routes);
    let routes = events::routes(routes);
    security::layer(routes)
}

/// What a web handler answers when it cannot: a plain page for people, with the status
/// scripts branch on.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> WebError {
        WebError::new(StatusCode::NOT_FOUND, what)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            self.message,
        )
            .into_response()
    }
}

impl From<crate::http::ApiError> for WebError {
    fn from(error: crate::http::ApiError) -> WebError {
        WebError::new(error.status(), error.message().to_owned())
    }
}

impl From<templates::TemplateError> for WebError {
    fn from(error: templates::TemplateError) -> WebError {
        tracing::error!(%error, "A web page could not be rendered.");
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page could not be rendered; the log says why",
        )
    }
}

/// The web console of `state`, or 404 when it is off.
pub fn web_of(state: &AppState) -> Result<&Arc<Web>, WebError> {
    state
        .web
        .as_ref()
        .ok_or_else(|| WebError::not_found("the web console is off"))
}
