//! Signing in and out, and the language switch.
//!
//! `GET /` shows the sign-in form (or goes to the incidents when signed in); `POST /login`
//! takes a user token and starts a session; `POST /login/demo` signs a demo user in with one
//! click (demo mode only); `POST /logout` ends the session; `POST /locale` sets the session's
//! language. Every one of these POSTs is refused from a foreign origin, and the two a
//! signed-in page makes (sign out, language) need the session's CSRF token too.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::config::{DEMO_TOKENS, WebSettings};
use crate::domain::access::Person;
use crate::domain::ids::UserId;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::i18n::I18n;
use crate::web::session::{SESSION_COOKIE, Session, Viewer, check_csrf, cookie};
use crate::web::{Web, WebError, WebRoutes, web_of};

/// Where a signed-in person lands.
pub const HOME: &str = "/incidents";

/// The language of a signed-in person's pages: the session's choice (the page's switch),
/// else the locale they chose in their `[[users]]` entry, else the browser's
/// `Accept-Language`, else the room locale.
pub(super) fn viewer_locale(
    state: &AppState,
    web: &Web,
    session: &Session,
    person: &Person,
    headers: &HeaderMap,
) -> String {
    if let Some(chosen) = &session.locale {
        return state.i18n.resolve_locale(chosen).to_owned();
    }
    if web.settings.locale_chosen_by.contains(&person.id) {
        return state.i18n.resolve_locale(&person.locale).to_owned();
    }
    browser_locale(&state.i18n, headers)
        .unwrap_or_else(|| state.i18n.resolve_locale(&web.room_locale))
        .to_owned()
}

/// The supported locale the browser prefers most, by `Accept-Language` and its q-values;
/// `None` when it names none we have (or sends no header).
pub fn browser_locale<'a>(i18n: &'a I18n, headers: &HeaderMap) -> Option<&'a str> {
    let header = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())?;
    let supported = i18n.locales();
    preferred_languages(header)
        .into_iter()
        .find_map(|tag| best_match(&supported, tag))
}

/// The language tags of an `Accept-Language` value, most preferred first: by q-value, ties
/// in the order given; `q=0` (refused) and `*` are left out. At most 32 are read.
pub fn preferred_languages(header: &str) -> Vec<&str> {
    let mut tags: Vec<(u16, usize, &str)> = header
        .split(',')
        .take(32)
        .enumerate()
        .filter_map(|(index, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .next()
                .map_or(Some(1000), parse_quality)?;
            (quality > 0 && !tag.is_empty() && tag != "*").then_some((quality, index, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter().map(|(_, _, tag)| tag).collect()
}

/// A q-value as thousandths (`0.85` → 850); `None` when it is not one (then the item is
/// ignored, as a browser never sends that).
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        // In 0..=1000 by the check above, so the cast keeps the value.
        .then(|| (value * 1000.0).round() as u16)
}

/// The supported locale for one language tag: the same tag, else the same language
/// (`zh-TW` → `zh-CN`, `en` → `en-US`).
fn best_match<'a>(supported: &[&'a str], tag: &str) -> Option<&'a str> {
    let language = tag.split(['-', '_']).next().unwrap_or_default();
    supported
        .iter()
        .find(|locale| locale.eq_ignore_ascii_case(tag))
        .or_else(|| {
            supported.iter().find(|locale| {
                locale
                    .split('-')
                    .next()
                    .is_some_and(|own| own.eq_ignore_ascii_case(language))
            })
        })
        .copied()
}

/// Where the language switch returns to: the page it was on, when that is a path of this
/// site (never `//elsewhere` or a full URL, so the switch cannot send anyone away).
pub fn safe_back(back: Option<&str>) -> &str {
    match back {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 2048
                && path.bytes().all(|byte| byte.is_ascii_graphic()) =>
        {
            path
        }
        _ => HOME,
    }
}

/// The `Set-Cookie` value that starts session `id`: never readable by script, never sent
/// from another site, `Secure` when people reach warroom over https, gone after the
/// session's lifetime.
pub fn session_cookie(settings: &WebSettings, id: &str) -> String {
    let max_age = settings.session_ttl.as_secs();
    let secure = if settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that makes the browser forget its session cookie.
pub fn cleared_session_cookie(settings: &WebSettings) -> String {
    let secure = if settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.open = routes
        .open
        .route("/", get(sign_in_page))
        .route("/login", post(sign_in))
        .route("/login/demo", post(demo_sign_in))
        .route("/logout", post(sign_out))
        .route("/locale", post(switch_locale));
    routes
}

async fn sign_in_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    let signed_in = cookie(&headers, SESSION_COOKIE)
        .and_then(|id| web.sessions.get(id, web.clock.now()))
        .is_some();
    if signed_in {
        return Redirect::to(HOME).into_response();
    }
    render_sign_in(&state, web, &headers, None, StatusCode::OK)
}

/// The sign-in page, in the browser's language (nobody is known yet), else the room's.
fn render_sign_in(
    state: &AppState,
    web: &Web,
    headers: &HeaderMap,
    error_id: Option<&str>,
    status: StatusCode,
) -> Response {
    let locale = browser_locale(&state.i18n, headers)
        .unwrap_or_else(|| state.i18n.resolve_locale(&web.room_locale))
        .to_owned();
    let error = error_id.map(|id| state.i18n.text(&locale, id, &[]));
    let demo_users: Vec<&str> = if web.demo {
        DEMO_TOKENS
            .iter()
            .map(|(user, _)| *user)
            .filter(|user| state.people.contains_key(&UserId((*user).to_owned())))
            .collect()
    } else {
        Vec::new()
    };
    let context = minijinja::context! {
        locale => locale,
        error => error,
        demo_users => demo_users,
    };
    match web.templates.render("login.html", context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => WebError::from(error).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    token: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    // A page of another site must not sign a browser in as someone else (login CSRF).
    if let Err(error) = super::security::check_origin(web, &headers) {
        return error.into_response();
    }
    let person = form.ok().and_then(|Form(form)| {
        match state.credentials.caller_of_token(form.token.trim()) {
            Some(Caller::Person(id)) => state.people.get(&id).cloned(),
            _ => None,
        }
    });
    let Some(person) = person else {
        // Nothing is set: no cookie, no session; the form again, with why.
        return render_sign_in(
            &state,
            web,
            &headers,
            Some("web-login-wrong-token"),
            StatusCode::UNAUTHORIZED,
        );
    };
    start_session(web, &headers, person.id)
}

#[derive(Debug, Deserialize)]
struct DemoSignInForm {
    #[serde(default)]
    user: String,
}

/// One click signs a demo user in: only in demo mode (no config file, loopback only), where
/// their tokens are public anyway.
async fn demo_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<DemoSignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    if !web.demo {
        return WebError::not_found(
            "one-click sign-in exists only in demo mode; sign in with your token",
        )
        .into_response();
    }
    if let Err(error) = super::security::check_origin(web, &headers) {
        return error.into_response();
    }
    let user = form.map(|Form(form)| form.user).unwrap_or_default();
    let known = DEMO_TOKENS.iter().any(|(demo, _)| *demo == user)
        && state.people.contains_key(&UserId(user.clone()));
    if !known {
        return render_sign_in(
            &state,
            web,
            &headers,
            Some("web-login-unknown-demo-user"),
            StatusCode::UNAUTHORIZED,
        );
    }
    start_session(web, &headers, UserId(user))
}

/// Starts a session for `user` (ending the one the browser held, if any) and sends them to
/// the incidents with its cookie.
fn start_session(web: &Web, headers: &HeaderMap, user: UserId) -> Response {
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        web.sessions.remove(old);
    }
    let id = match web.sessions.create(user, web.clock.now()) {
        Ok(id) => id,
        Err(error) => return error.into_response(),
    };
    (
        [(header::SET_COOKIE, session_cookie(&web.settings, &id))],
        Redirect::to(HOME),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct SignOutForm {
    csrf: Option<String>,
}

/// Ends the browser's session. With a live session it needs that session's CSRF token (so
/// no other site can sign people out); without one there is nothing to end and the cookie
/// is cleared anyway.
async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    let form = form.map(|Form(form)| form).unwrap_or_default();
    let id = cookie(&headers, SESSION_COOKIE);
    match id.and_then(|id| web.sessions.get(id, web.clock.now())) {
        Some(session) => {
            if let Err(error) = check_csrf(web, &headers, form.csrf.as_deref(), &session.csrf) {
                return error.into_response();
            }
            if let Some(id) = id {
                web.sessions.remove(id);
            }
        }
        None => {
            if let Err(error) = super::security::check_origin(web, &headers) {
                return error.into_response();
            }
        }
    }
    (
        [(header::SET_COOKIE, cleared_session_cookie(&web.settings))],
        Redirect::to("/"),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct LocaleForm {
    #[serde(default)]
    locale: String,
    csrf: Option<String>,
    back: Option<String>,
}

/// The page's language switch: sets the session's language, which beats the person's and
/// the browser's, and goes back to the page it was on.
async fn switch_locale(
    viewer: Viewer,
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LocaleForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let web = match web_of(&state) {
        Ok(web) => web,
        Err(error) => return error.into_response(),
    };
    let form = form.map(|Form(form)| form).unwrap_or_default();
    if let Err(error) = viewer.check_same_site(web, &headers, form.csrf.as_deref()) {
        return error.into_response();
    }
    if !state.i18n.is_supported(&form.locale) {
        return WebError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown language; choose one of {}",
                state.i18n.locales().join(", ")
            ),
        )
        .into_response();
    }
    web.sessions
        .set_locale(&viewer.session_id, Some(form.locale));
    Redirect::to(safe_back(form.back.as_deref())).into_response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn accept_language_is_read_by_q_value_then_order() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("zh-CN", &["zh-CN"]),
            ("en-US,en;q=0.9,zh-CN;q=0.8", &["en-US", "en", "zh-CN"]),
            ("en;q=0.5, zh-CN", &["zh-CN", "en"]),
            ("fr;q=0.9, de;q=0.9, zh;q=0.95", &["zh", "fr", "de"]),
            ("zh-CN;q=0, en", &["en"]),
            ("*, zh-TW;q=0.1", &["zh-TW"]),
            ("en;q=2, zh;q=abc, de;q=0.3", &["de"]),
            (" en-GB ; q=0.7 ,,fr", &["fr", "en-GB"]),
        ];
        for (header, expected) in cases {
            assert_eq!(preferred_languages(header), *expected, "{header:?}");
        }
    }

    #[test]
    fn the_browser_locale_is_the_first_supported_language_it_prefers() {
        let i18n = I18n::builtin().unwrap();
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some("fr, de"), None),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Some("zh-CN")),
            (Some("fr, zh-TW;q=0.8, en;q=0.5"), Some("zh-CN")),
            (Some("en-GB, zh-CN;q=0.9"), Some("en-US")),
            (Some("zh-CN;q=0.2, en;q=0.9"), Some("en-US")),
            (Some("zh-CN;q=0, en;q=0.1"), Some("en-US")),
        ];
        for (header, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = header {
                headers.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
            }
            assert_eq!(browser_locale(&i18n, &headers), *expected, "{header:?}");
        }
    }

    #[test]
    fn the_switch_goes_back_only_to_a_path_of_this_site() {
        let cases: &[(Option<&str>, &str)] = &[
            (None, HOME),
            (Some("/incidents/INC-1?x=1"), "/incidents/INC-1?x=1"),
            (Some("/"), "/"),
            (Some("//evil.example/"), HOME),
            (Some("/\\evil.example"), HOME),
            (Some("https://evil.example/"), HOME),
            (Some("incidents"), HOME),
            (Some("/a\r\nSet-Cookie: x=1"), HOME),
            (Some("/ünïcode"), HOME),
            (Some(""), HOME),
        ];
        for (back, expected) in cases {
            assert_eq!(safe_back(*back), *expected, "{back:?}");
        }
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_behind_https() {
        let mut settings = WebSettings {
            mode: crate::config::WebMode::Act,
            public_url: None,
            session_ttl: Duration::from_secs(3600),
            locale_chosen_by: Default::default(),
        };
        let cookie = session_cookie(&settings, "abc");
        assert_eq!(
            cookie,
            "warroom_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600"
        );
        assert!(!cleared_session_cookie(&settings).contains("Secure"));
        settings.public_url = Some("http://warroom.example".parse().unwrap());
        assert!(!session_cookie(&settings, "abc").contains("Secure"));
        settings.public_url = Some("https://warroom.example".parse().unwrap());
        assert!(session_cookie(&settings, "abc").ends_with("; Max-Age=3600; Secure"));
        assert!(cleared_session_cookie(&settings).ends_with("Max-Age=0; Secure"));
    }
}
