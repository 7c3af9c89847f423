//! Pages: `Effect::Page` through the `[paging]` webhook, idempotent per incident, step and
//! repeat. A pager that is down or slow is retried on the paging lane's own backoff (so it
//! never holds up a room); one that refuses warroom's token, or the page, is final: the
//! page is dropped with an error log and a metric, never silently. A page still waiting when
//! its incident leaves `triggered` is dropped with an info log.

use tracing::{error, info, warn};

use super::{DeliveryError, OutboxWorker};
use crate::domain::effect::Effect;
use crate::domain::incident::IncidentState;
use crate::paging::{Page, PageError};

/// The idempotency key a pager sees for one firing of one step in one triggered cycle
/// (`reopened`: when the incident was last reopened, `None` in its first cycle).
pub fn page_idempotency_key(
    incident: crate::domain::ids::IncidentId,
    step: u32,
    repeat_index: u32,
    reopened: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    format!(
        "page:{incident}:{step}:{repeat_index}{}",
        crate::domain::escalation::cycle_tag(reopened)
    )
}

impl OutboxWorker {
    pub(super) async fn deliver_page(
        &self,
        _key: u64,
        effect: &Effect,
    ) -> Result<(), DeliveryError> {
        let Effect::Page {
            incident,
            step,
            repeat_index,
            notify,
            reopened,
        } = effect
        else {
            return Ok(());
        };
        let Some(pager) = &self.pager else {
            warn!(incident = %incident, step, "A page was due but no [paging] webhook_url is set; dropping it.");
            metrics::counter!("warroom_pages_dropped_total", "reason" => "no_pager").increment(1);
            return Ok(());
        };
        let Some(found) = self.store.incident(*incident)? else {
            warn!(incident = %incident, "Page for a missing incident dropped.");
            return Ok(());
        };
        // A page that waited for a pager that was down must not call people about an
        // incident someone has acknowledged (or resolved) since.
        if found.state != IncidentState::Triggered {
            info!(incident = %incident, step, state = %found.state, "The incident is no longer triggered; its waiting page is dropped.");
            metrics::counter!("warroom_pages_dropped_total", "reason" => "not_triggered")
                .increment(1);
            return Ok(());
        }
        let page = Page {
            incident: incident.to_string(),
            title: found.title.clone(),
            severity: found.severity.to_string(),
            step: *step,
            notify: notify.iter().map(|user| user.0.clone()).collect(),
            idempotency_key: page_idempotency_key(*incident, *step, *repeat_index, *reopened),
        };
        match pager.send(&page).await {
            Ok(()) => {
                metrics::counter!("warroom_pages_sent_total").increment(1);
                Ok(())
            }
            Err(PageError::Unauthorized(status)) => {
                error!(incident = %incident, step, status, "The pager refused warroom's token; the page is dropped. Check paging.token or WARROOM_PAGING_TOKEN.");
                metrics::counter!("warroom_pages_dropped_total", "reason" => "unauthorized")
                    .increment(1);
                Ok(())
            }
            Err(PageError::Refused(status)) => {
                error!(incident = %incident, step, status, "The pager refused the page; it is dropped.");
                metrics::counter!("warroom_pages_dropped_total", "reason" => "refused")
                    .increment(1);
                Ok(())
            }
            Err(PageError::Redirected(status)) => {
                error!(incident = %incident, step, status, "The pager answered with a redirect, which warroom does not follow (its token must not go elsewhere); the page is dropped. Set paging.webhook_url to the final address.");
                metrics::counter!("warroom_pages_dropped_total", "reason" => "redirected")
                    .increment(1);
                Ok(())
            }
            Err(retry @ PageError::Retry(_)) => {
                warn!(incident = %incident, step, error = %retry, "The page did not get through; it is retried.");
                metrics::counter!("warroom_page_failures_total").increment(1);
                Err(DeliveryError::Page(retry))
            }
        }
    }
}
