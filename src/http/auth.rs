//! Who is calling: the person (or the read-only integration) behind `Authorization: Bearer`.
//!
//! Only hashes are kept; a presented token is hashed and compared with every known hash in
//! constant time. Errors never say which part was wrong, and tokens are never logged.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Settings;
use crate::credentials::TokenHash;
use crate::domain::access::Person;
use crate::domain::ids::UserId;
use crate::http::{ApiError, AppState};

/// Every credential the API accepts.
#[derive(Debug, Default)]
pub struct Credentials {
    users: Vec<(UserId, TokenHash)>,
    read_token: Option<TokenHash>,
}

/// The holder of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Person(UserId),
    /// The integration token: reads everything, acts on nothing.
    Reader,
}

impl Credentials {
    pub fn from_settings(settings: &Settings) -> Credentials {
        Credentials {
            users: settings.user_tokens.clone(),
            read_token: settings.read_token,
        }
    }

    /// The caller named by the request's bearer token: `Ok(None)` when there is no
    /// Authorization header, 401 when it is malformed or the token is unknown.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or_else(unauthorized)?;
        self.caller_of_token(token)
            .map(Some)
            .ok_or_else(unauthorized)
    }

    /// The holder of `token`, if it is a known one (the web console's sign-in form).
    pub fn caller_of_token(&self, token: &str) -> Option<Caller> {
        let presented = TokenHash::of(token.trim());
        // Compare with every hash, without stopping at the first match, so the time taken
        // says nothing about which (or whether a) token matched.
        let mut found = None;
        for (id, hash) in &self.users {
            if hash.matches(&presented) {
                found = Some(Caller::Person(id.clone()));
            }
        }
        if let Some(read_token) = &self.read_token
            && read_token.matches(&presented)
        {
            found = Some(Caller::Reader);
        }
        found
    }

    /// Refuses, before the body is read, a request that cannot be allowed whatever its body
    /// says: a missing or unknown token.
    pub fn precheck(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        self.identify(headers)?.map(|_| ()).ok_or_else(unauthorized)
    }

    /// Anyone with a valid token may read.
    pub fn reader(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        self.identify(headers)?.ok_or_else(unauthorized)
    }

    /// The person who acts: the token's holder, nobody else. A body `user` naming someone
    /// else is refused.
    pub fn actor<'a>(
        &self,
        people: &'a HashMap<UserId, Person>,
        headers: &HeaderMap,
        claimed: Option<&str>,
    ) -> Result<&'a Person, ApiError> {
        match self.identify(headers)? {
            Some(Caller::Person(id)) => {
                let person = people.get(&id).ok_or_else(unauthorized)?;
                // A user linked to Discord has their Discord id as id and still their
                // console name: the body may name them by either.
                if claimed.is_some_and(|claimed| claimed != id.0 && claimed != person.display_name)
                {
                    return Err(forbidden());
                }
                Ok(person)
            }
            Some(Caller::Reader) => Err(forbidden()),
            // The acting person comes from a credential, never from the body: a person
            // without a token cannot use the console API at all.
            None => Err(unauthorized()),
        }
    }
}

/// Middleware for read-only routes: any valid token, else 401.
pub async fn require_reader(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    state.credentials.reader(request.headers())?;
    Ok(next.run(request).await)
}

/// The token of `Bearer <token>`, the scheme in any case.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "missing or unknown token; send Authorization: Bearer <your token>",
    )
}

pub fn forbidden() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "this token may not do that")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    fn person(name: &str) -> (UserId, Person) {
        let id = UserId(name.to_owned());
        let person = Person {
            id: id.clone(),
            roles: Default::default(),
            locale: "en-US".to_owned(),
            display_name: name.to_owned(),
        };
        (id, person)
    }

    fn credentials() -> (Credentials, HashMap<UserId, Person>) {
        let credentials = Credentials {
            users: vec![
                (UserId("alice".into()), TokenHash::of("alice-token")),
                (UserId("bob".into()), TokenHash::of("bob-token")),
            ],
            read_token: Some(TokenHash::of("reader-token")),
        };
        let people = ["alice", "bob", "local"].into_iter().map(person).collect();
        (credentials, people)
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_exact() {
        let (credentials, _) = credentials();
        for value in [
            "Bearer alice-token",
            "bearer alice-token",
            "BEARER  alice-token ",
        ] {
            assert_eq!(
                credentials.identify(&headers(value)).unwrap(),
                Some(Caller::Person(UserId("alice".into()))),
                "{value}"
            );
        }
        for value in [
            "Bearer alice-tokem",
            "Basic alice-token",
            "Bearer",
            "alice-token",
        ] {
            let error = credentials.identify(&headers(value)).unwrap_err();
            assert_eq!(error.status, StatusCode::UNAUTHORIZED, "{value}");
            assert!(!error.message.contains("alice"), "{}", error.message);
        }
        assert_eq!(credentials.identify(&HeaderMap::new()).unwrap(), None);
        // Without a token nobody may act, whatever the body says.
        let error = credentials.precheck(&HeaderMap::new()).unwrap_err();
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        assert!(credentials.precheck(&headers("Bearer bob-token")).is_ok());
        assert_eq!(
            credentials.reader(&headers("Bearer reader-token")).unwrap(),
            Caller::Reader
        );
    }

    #[test]
    fn the_actor_is_the_token_holder_and_a_disagreeing_body_is_refused() {
        let (credentials, people) = credentials();
        let alice = headers("Bearer alice-token");
        let bob = headers("Bearer bob-token");
        let none = HeaderMap::new();
        let cases: [(&HeaderMap, Option<&str>, Result<&str, StatusCode>); 8] = [
            (&alice, None, Ok("alice")),
            (&alice, Some("alice"), Ok("alice")),
            (&bob, Some("alice"), Err(StatusCode::FORBIDDEN)),
            (&none, Some("alice"), Err(StatusCode::UNAUTHORIZED)),
            (&none, None, Err(StatusCode::UNAUTHORIZED)),
            // A configured person without a token is no exception: the body is no credential.
            (&none, Some("local"), Err(StatusCode::UNAUTHORIZED)),
            (&none, Some("ghost"), Err(StatusCode::UNAUTHORIZED)),
            (
                &headers("Bearer reader-token"),
                None,
                Err(StatusCode::FORBIDDEN),
            ),
        ];
        for (headers, claimed, expected) in cases {
            let got = credentials
                .actor(&people, headers, claimed)
                .map(|person| person.id.0.as_str())
                .map_err(|error| error.status);
            assert_eq!(got, expected, "{claimed:?}");
        }
    }

    #[test]
    fn a_user_linked_to_discord_logs_in_as_the_discord_id_and_may_be_named_by_name() {
        let id = UserId("123456789012345678".into());
        let credentials = Credentials {
            users: vec![(id.clone(), TokenHash::of("alice-token"))],
            read_token: None,
        };
        let alice = Person {
            id: id.clone(),
            roles: Default::default(),
            locale: "en-US".to_owned(),
            display_name: "alice".to_owned(),
        };
        let people = HashMap::from([(id.clone(), alice)]);
        let token = headers("Bearer alice-token");
        for claimed in [None, Some("alice"), Some("123456789012345678")] {
            let person = credentials.actor(&people, &token, claimed).unwrap();
            assert_eq!(person.id, id, "{claimed:?}");
            assert_eq!(person.display_name, "alice");
        }
        let error = credentials.actor(&people, &token, Some("bob")).unwrap_err();
        assert_eq!(error.status, StatusCode::FORBIDDEN);
    }
}
