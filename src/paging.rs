//! The pager: `[paging] webhook_url`, called with POST JSON {incident, title, severity, step,
//! notify}, an idempotency key per incident and step, and `paging.token` (or
//! `WARROOM_PAGING_TOKEN`) as a bearer token that never reaches a log or an error.

use std::time::Duration;

use serde::Serialize;

use crate::config::Secret;

/// `[paging]` as validated. Its Debug shows the address without its query (see
/// [`shown_url`]) and no token.
#[derive(Clone)]
pub struct PagingSettings {
    pub webhook_url: reqwest::Url,
    /// Sent as `Authorization: Bearer …`; its Debug shows no value.
    pub token: Option<Secret>,
    /// How long one page may take before it counts as failed (and is retried).
    pub timeout: Duration,
}

/// Why a page did not get through. `Retry` failures are returned to the outbox, which
/// backs off and tries again; the others are final and the page is dropped, loudly.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The pager could not be reached, timed out or answered 5xx or 429: try again later.
    #[error("the pager is unavailable ({0}); the page is retried")]
    Retry(String),
    /// The pager refused warroom's token (401 or 403): no retry can cure it.
    #[error(
        "the pager refused warroom's token (HTTP {0}); check paging.token or WARROOM_PAGING_TOKEN"
    )]
    Unauthorized(u16),
    /// The pager refused the page itself (another 4xx).
    #[error("the pager refused the page (HTTP {0})")]
    Refused(u16),
    /// The pager answered with a redirect (3xx). Redirects are not followed (the token must
    /// not go to another address), so no retry can cure it: the address is out of date.
    #[error(
        "the pager answered with a redirect (HTTP {0}); set paging.webhook_url to the final address"
    )]
    Redirected(u16),
}

/// One page as the pager receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    pub incident: String,
    pub title: String,
    pub severity: String,
    /// The escalation step, counted from 1.
    pub step: u32,
    /// The people the step calls (chat user ids).
    pub notify: Vec<String>,
    /// Not sent in the body: the idempotency key `page:<incident>:<step>:<repeat>`.
    #[serde(skip)]
    pub idempotency_key: String,
}

/// The pager client. Its Debug shows the address, never the token.
pub struct Pager {
    client: reqwest::Client,
    url: reqwest::Url,
    token: Option<Secret>,
}

/// How warroom shows a pager address in logs, errors and Debug: scheme, host, port and
/// path only, since a query (`?key=…`) may hold a secret.
pub fn shown_url(url: &reqwest::Url) -> String {
    let port = url
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

impl std::fmt::Debug for PagingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagingSettings")
            .field("webhook_url", &shown_url(&self.webhook_url))
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("url", &shown_url(&self.url))
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Pager {
    /// Builds the client with the configured timeout; redirects are not followed, so the
    /// token never goes to another host.
    pub fn new(settings: &PagingSettings) -> Result<Pager, PageError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| PageError::Retry(without_url(&error)))?;
        Ok(Pager {
            client,
            url: settings.webhook_url.clone(),
            token: settings.token.clone(),
        })
    }

    /// Sends one page; see [`classify`] for what each answer means.
    pub async fn send(&self, page: &Page) -> Result<(), PageError> {
        let mut request = self
            .client
            .request(reqwest::Method::POST, self.url.clone())
            .header("Idempotency-Key", &page.idempotency_key)
            .json(page);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|error| PageError::Retry(without_url(&error)))?;
        classify(response.status().as_u16())
    }
}

/// What a pager's answer means: 2xx delivered (a pager that already has the idempotency key
/// answers 2xx too); 3xx a redirect, 401/403 a refused token and other 4xx a refused page,
/// all final; 408, 429 and everything else worth retrying.
fn classify(status: u16) -> Result<(), PageError> {
    match status {
        200..=299 => Ok(()),
        300..=399 => Err(PageError::Redirected(status)),
        401 | 403 => Err(PageError::Unauthorized(status)),
        408 | 429 => Err(PageError::Retry(format!("HTTP {status}"))),
        400..=499 => Err(PageError::Refused(status)),
        _ => Err(PageError::Retry(format!("HTTP {status}"))),
    }
}

/// What went wrong in transport, from the error's causes only: reqwest's own message names
/// the URL, whose query may hold a secret; the token is a header and never in an error.
fn without_url(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_delivered_final_or_retried() {
        // (status, outcome: "ok", "unauthorized", "refused" or "retry")
        let cases = [
            (200, "ok"),
            (202, "ok"),
            (401, "unauthorized"),
            (403, "unauthorized"),
            (400, "refused"),
            (404, "refused"),
            (422, "refused"),
            (408, "retry"),
            (429, "retry"),
            (500, "retry"),
            (503, "retry"),
            (301, "redirected"),
            (302, "redirected"),
            (307, "redirected"),
            (308, "redirected"),
        ];
        for (status, expected) in cases {
            let got = match classify(status) {
                Ok(()) => "ok",
                Err(PageError::Unauthorized(_)) => "unauthorized",
                Err(PageError::Refused(_)) => "refused",
                Err(PageError::Redirected(_)) => "redirected",
                Err(PageError::Retry(_)) => "retry",
            };
            assert_eq!(got, expected, "HTTP {status}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_pager_is_retried_and_its_error_names_no_secret() {
        // A closed port on loopback: the connection is refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let settings = PagingSettings {
            webhook_url: reqwest::Url::parse(&format!(
                "http://127.0.0.1:{port}/page?key=query-secret"
            ))
            .unwrap(),
            token: Some(Secret::new("token-secret".to_owned())),
            timeout: Duration::from_secs(2),
        };
        let page = Page {
            incident: "INC-20261201-001".to_owned(),
            title: "t".to_owned(),
            severity: "sev1".to_owned(),
            step: 1,
            notify: Vec::new(),
            idempotency_key: "page:INC-20261201-001:1:0".to_owned(),
        };
        let error = Pager::new(&settings)
            .unwrap()
            .send(&page)
            .await
            .unwrap_err();
        assert!(matches!(error, PageError::Retry(_)), "{error:?}");
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn debug_never_shows_the_token_or_the_query() {
        let settings = PagingSettings {
            webhook_url: reqwest::Url::parse("https://pager.example:8443/page?key=query-s3cret")
                .unwrap(),
            token: Some(Secret::new("s3cret-token-value".to_owned())),
            timeout: Duration::from_secs(5),
        };
        let pager = Pager::new(&settings).unwrap();
        let shown = format!("{pager:?} {settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("https://pager.example:8443/page"), "{shown}");
    }

    #[test]
    fn the_body_has_exactly_the_documented_fields() {
        let page = Page {
            incident: "INC-20261201-001".to_owned(),
            title: "checkout down".to_owned(),
            severity: "sev1".to_owned(),
            step: 2,
            notify: vec!["dora".to_owned()],
            idempotency_key: "page:INC-20261201-001:2:0".to_owned(),
        };
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            serde_json::json!({
                "incident": "INC-20261201-001",
                "title": "checkout down",
                "severity": "sev1",
                "step": 2,
                "notify": ["dora"],
            })
        );
    }
}
