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
/// At most this many sessions live at once, a last resort: a new one past it replaces the
/// oldest session of the person who holds the most, so one token cannot sign out others.
pub const MAX_SESSIONS: usize = 10_000;
/// At most this many live sessions per person (browsers, devices); a new sign-in past it
/// ends that person's oldest session and nobody else's.
pub const MAX_SESSIONS_PER_PERSON: usize = 20;

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
        let user = session.user.clone();
        let mut own = sessions
            .values()
            .filter(|existing| existing.user == user)
            .count();
        if own >= MAX_SESSIONS_PER_PERSON {
            sessions.retain(|_, existing| existing.user != user || existing.expires > now);
            own = sessions
                .values()
                .filter(|existing| existing.user == user)
                .count();
        }
        while own >= MAX_SESSIONS_PER_PERSON {
            if !remove_oldest_of(&mut sessions, &user) {
                break;
            }
            own -= 1;
        }
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, existing| existing.expires > now);
        }
        if sessions.len() >= MAX_SESSIONS
            && let Some(busiest) = busiest_person(&sessions)
        {
            remove_oldest_of(&mut sessions, &busiest);
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

/// Removes `user`'s oldest session; `false` when they have none.
fn remove_oldest_of(sessions: &mut HashMap<String, Session>, user: &UserId) -> bool {
    let oldest = sessions
        .iter()
        .filter(|(_, session)| &session.user == user)
        .min_by(|(a_id, a), (b_id, b)| a.created.cmp(&b.created).then_with(|| a_id.cmp(b_id)))
        .map(|(id, _)| id.clone());
    match oldest {
        Some(id) => sessions.remove(&id).is_some(),
        None => false,
    }
}

/// The person holding the most sessions (the lowest id among equals, so the choice is
/// stable).
fn busiest_person(sessions: &HashMap<String, Session>) -> Option<UserId> {
    let mut counts: HashMap<&UserId, usize> = HashMap::new();
    for session in sessions.values() {
        *counts.entry(&session.user).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|(a_user, a), (b_user, b)| a.cmp(b).then_with(|| b_user.0.cmp(&a_user.0)))
        .map(|(user, _)| user.clone())
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
    /// The page's own path and query (`/incidents?state=open`): where the language switch
    /// comes back to.
    pub path: String,
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
            back => self.path,
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
        self.check_same_site(web, headers, form_token)
    }

    /// The CSRF and origin half of [`Viewer::check_write`], for the writes read mode allows
    /// too (signing out, the language switch): they change only the viewer's own session.
    pub fn check_same_site(
        &self,
        web: &Web,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), WebError> {
        check_csrf(web, headers, form_token, &self.csrf)
    }
}

/// Refuses a request from a foreign origin or without the session's CSRF token `expected`
/// (header `x-csrf-token`, else form field `csrf`): 403 either way.
pub fn check_csrf(
    web: &Web,
    headers: &HeaderMap,
    form_token: Option<&str>,
    expected: &str,
) -> Result<(), WebError> {
    super::security::check_origin(web, headers)?;
    let presented = headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .or(form_token)
        .unwrap_or("");
    if expected.is_empty() || !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "missing or wrong CSRF token; reload the page and try again",
        ));
    }
    Ok(())
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

/// The time zone the page's script reported (cookie `warroom_tz`, an IANA name, maybe
/// percent-encoded: `Europe%2FBerlin`); `None` when absent or not a zone.
pub fn browser_time_zone(headers: &HeaderMap) -> Option<chrono_tz::Tz> {
    let zone = cookie(headers, ZONE_COOKIE)?;
    if zone.len() > 64 {
        return None;
    }
    zone.replace("%2F", "/")
        .replace("%2f", "/")
        .parse::<chrono_tz::Tz>()
        .ok()
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
        let session = web
            .sessions
            .get(id, web.clock.now())
            .ok_or_else(rejection)?;
        let person = state.people.get(&session.user).ok_or_else(rejection)?;
        let locale = super::login::viewer_locale(state, web, &session, person, &parts.headers);
        let time_zone = browser_time_zone(&parts.headers).unwrap_or(web.time_zone);
        Ok(Viewer {
            session_id: id.to_owned(),
            person: person.clone(),
            csrf: session.csrf,
            locale,
            time_zone,
            can_act: web.settings.mode.allows_writes(),
            path: parts.uri.path_and_query().map_or_else(
                || parts.uri.path().to_owned(),
                |path| path.as_str().to_owned(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    fn alice() -> UserId {
        UserId("alice".into())
    }

    #[test]
    fn a_session_lives_for_its_ttl_and_not_a_moment_longer() {
        // (minutes after creation, still signed in)
        for (minutes, alive) in [(0, true), (30, true), (59, true), (60, false), (61, false)] {
            let sessions = Sessions::new(Duration::from_secs(60 * 60));
            let id = sessions.create(alice(), at(0)).unwrap();
            assert_eq!(
                sessions.get(&id, at(minutes)).is_some(),
                alive,
                "{minutes} min"
            );
        }
        let sessions = Sessions::new(Duration::from_secs(60 * 60));
        let id = sessions.create(alice(), at(0)).unwrap();
        let session = sessions.get(&id, at(1)).unwrap();
        assert_eq!(session.user, alice());
        assert_eq!(session.expires, at(60));
        assert_eq!(session.locale, None);
        // Once seen expired it is gone, even for a clock that goes back.
        assert!(sessions.get(&id, at(60)).is_none());
        assert!(sessions.get(&id, at(1)).is_none());
        assert!(sessions.is_empty());
    }

    #[test]
    fn ids_and_csrf_tokens_are_random_and_distinct() {
        let sessions = Sessions::new(Duration::from_secs(3600));
        let one = sessions.create(alice(), at(0)).unwrap();
        let two = sessions.create(alice(), at(0)).unwrap();
        assert_ne!(one, two);
        assert_eq!(one.len(), 64);
        let (first, second) = (
            sessions.get(&one, at(0)).unwrap(),
            sessions.get(&two, at(0)).unwrap(),
        );
        assert_ne!(first.csrf, second.csrf);
        assert_ne!(first.csrf, one);
        assert_eq!(first.csrf.len(), 64);
        assert!(sessions.get("", at(0)).is_none());
        assert!(sessions.get("not-a-session", at(0)).is_none());
    }

    #[test]
    fn signing_out_and_the_language_choice_touch_only_their_session() {
        let sessions = Sessions::new(Duration::from_secs(3600));
        let one = sessions.create(alice(), at(0)).unwrap();
        let two = sessions.create(UserId("bob".into()), at(0)).unwrap();
        assert!(sessions.set_locale(&one, Some("zh-CN".into())));
        assert!(!sessions.set_locale("gone", Some("zh-CN".into())));
        assert_eq!(
            sessions.get(&one, at(1)).unwrap().locale.as_deref(),
            Some("zh-CN")
        );
        assert_eq!(sessions.get(&two, at(1)).unwrap().locale, None);
        sessions.remove(&one);
        assert!(sessions.get(&one, at(1)).is_none());
        assert!(sessions.get(&two, at(1)).is_some());
    }

    fn person(n: usize) -> UserId {
        UserId(format!("user-{n:05}"))
    }

    #[test]
    fn a_new_sign_in_past_the_person_s_cap_ends_only_their_oldest_session() {
        let sessions = Sessions::new(Duration::from_secs(12 * 3600));
        let bob = sessions.create(UserId("bob".into()), at(0)).unwrap();
        let alice_first = sessions.create(alice(), at(1)).unwrap();
        let alice_second = sessions.create(alice(), at(2)).unwrap();
        for minute in 3..=MAX_SESSIONS_PER_PERSON as i64 {
            sessions.create(alice(), at(minute)).unwrap();
        }
        assert_eq!(sessions.len(), MAX_SESSIONS_PER_PERSON + 1);
        // A hundred more sign-ins with alice's token: each ends alice's oldest, never bob's.
        let mut newest = String::new();
        for minute in 0..100 {
            newest = sessions.create(alice(), at(30 + minute)).unwrap();
            assert_eq!(sessions.len(), MAX_SESSIONS_PER_PERSON + 1);
        }
        assert!(sessions.get(&bob, at(130)).is_some());
        assert!(sessions.get(&alice_first, at(130)).is_none());
        assert!(sessions.get(&alice_second, at(130)).is_none());
        assert!(sessions.get(&newest, at(130)).is_some());
    }

    #[test]
    fn an_expired_session_makes_room_before_a_live_one_is_ended() {
        let sessions = Sessions::new(Duration::from_secs(3600));
        let expired = sessions.create(alice(), at(0)).unwrap();
        let oldest_live = sessions.create(alice(), at(30)).unwrap();
        for _ in 2..MAX_SESSIONS_PER_PERSON {
            sessions.create(alice(), at(50)).unwrap();
        }
        // At 70 min the first has expired: it makes room, nobody live is dropped.
        let newest = sessions.create(alice(), at(70)).unwrap();
        assert_eq!(sessions.len(), MAX_SESSIONS_PER_PERSON);
        assert!(sessions.get(&oldest_live, at(70)).is_some());
        assert!(sessions.get(&expired, at(0)).is_none());
        // Full of live sessions: alice's oldest makes room.
        sessions.create(alice(), at(71)).unwrap();
        assert!(sessions.get(&oldest_live, at(71)).is_none());
        assert!(sessions.get(&newest, at(71)).is_some());
    }

    #[test]
    fn past_the_global_bound_the_busiest_person_s_oldest_session_goes() {
        let sessions = Sessions::new(Duration::from_secs(3600));
        // Many people with one session each, and one with several.
        let busy = person(0);
        let busy_oldest = sessions.create(busy.clone(), at(5)).unwrap();
        for _ in 1..5 {
            sessions.create(busy.clone(), at(6)).unwrap();
        }
        let quiet_oldest = sessions.create(person(1), at(0)).unwrap();
        for n in 2..=(MAX_SESSIONS - 5) {
            sessions.create(person(n), at(10)).unwrap();
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
        let newcomer = sessions.create(person(MAX_SESSIONS), at(20)).unwrap();
        assert_eq!(sessions.len(), MAX_SESSIONS);
        assert!(sessions.get(&newcomer, at(20)).is_some());
        // The oldest session overall (person 1's) stays: the busiest person gives way.
        assert!(sessions.get(&quiet_oldest, at(20)).is_some());
        assert!(sessions.get(&busy_oldest, at(20)).is_none());
    }

    #[test]
    fn tokens_compare_only_when_equal() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"", b"", true),
            (b"abc", b"abc", true),
            (b"abc", b"abd", false),
            (b"abc", b"ab", false),
            (b"", b"a", false),
        ];
        for (a, b, equal) in cases {
            assert_eq!(constant_time_eq(a, b), *equal, "{a:?} {b:?}");
        }
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; warroom_session=abc".parse().unwrap());
        headers.append(
            header::COOKIE,
            "warroom_tz=Europe%2FBerlin".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, ZONE_COOKIE), Some("Europe%2FBerlin"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn the_browser_s_time_zone_is_read_from_its_cookie() {
        let cases: &[(Option<&str>, Option<chrono_tz::Tz>)] = &[
            (None, None),
            (Some("Europe%2FBerlin"), Some(chrono_tz::Tz::Europe__Berlin)),
            (Some("Asia%2fShanghai"), Some(chrono_tz::Tz::Asia__Shanghai)),
            (
                Some("America/New_York"),
                Some(chrono_tz::Tz::America__New_York),
            ),
            (Some("UTC"), Some(chrono_tz::Tz::UTC)),
            (Some("Mars%2FOlympus"), None),
            (Some(""), None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(
                    header::COOKIE,
                    format!("{ZONE_COOKIE}={value}").parse().unwrap(),
                );
            }
            assert_eq!(browser_time_zone(&headers), *expected, "{value:?}");
        }
    }
}
