//! The pager: `[paging] webhook_url`, called with POST JSON {incident, title, severity, step,
//! notify}, an idempotency key per incident and step, and `paging.token` (or
//! `WARROOM_PAGING_TOKEN`) as a bearer token that never reaches a log or an error.

use std::time::Duration;

use serde::Serialize;

use crate::config::Secret;

/// `[paging]` as validated.
#[derive(Debug, Clone)]
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

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("url", &self.url.as_str())
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

    /// The address pages go to (without any secret).
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// Sends one page. 2xx is delivered (a pager that already has the idempotency key
    /// answers 2xx too); 401/403 and other 4xx (but 408 and 429) are final; everything else
    /// is worth retrying.
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
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(PageError::Unauthorized(status.as_u16())),
            408 | 429 => Err(PageError::Retry(format!("HTTP {}", status.as_u16()))),
            code @ 400..=499 => Err(PageError::Refused(code)),
            code => Err(PageError::Retry(format!("HTTP {code}"))),
        }
    }
}

/// A reqwest error without its URL, so an address with a secret in its query never reaches a
/// log; the token is a header and never part of an error.
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_request() {
        "request failed"
    } else {
        "transport error"
    };
    format!("{kind}: {}", error.without_url_ref())
}

trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        use std::error::Error as _;
        let mut text = String::new();
        let mut source = self.source();
        while let Some(cause) = source {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        if text.is_empty() {
            "no detail".to_owned()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let settings = PagingSettings {
            webhook_url: reqwest::Url::parse("https://pager.example/page").unwrap(),
            token: Some(Secret::new("s3cret-token-value".to_owned())),
            timeout: Duration::from_secs(5),
        };
        let pager = Pager::new(&settings).unwrap();
        let shown = format!("{pager:?} {settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("pager.example"), "{shown}");
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
