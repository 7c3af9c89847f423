//! The pager: `[paging] webhook_url`, called with POST JSON {incident, title, severity, step,
//! notify}, an idempotency key per incident and step, and `paging.token` (or
//! `WARROOM_PAGING_TOKEN`) as a bearer token that never reaches a log or an error.

/// SKELETON: the escalation helper builds the client and the request.
#[derive(Debug)]
pub struct Pager {
    pub url: reqwest::Url,
}
