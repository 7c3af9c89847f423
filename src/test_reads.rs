//! A read port over fixed incidents and action requests, for tests of what reads them (the
//! `/actions` reply, the HTTP actions API) before any writer fills a real store.

use std::sync::Mutex;

use chrono::NaiveDate;

use crate::domain::action::{ActionRequest, RequestId};
use crate::domain::alert::AlertIdentity;
use crate::domain::decide::StoredAlert;
use crate::domain::ids::{IncidentId, MessageId};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::job::{Job, JobId};
use crate::domain::timeline::TimelineEntry;
use crate::store::{DirtyTracked, MessageOwner, StoreError, StoreRead, TrackedMessage};

#[derive(Debug, Default)]
pub(crate) struct FakeStore {
    pub incidents: Vec<Incident>,
    pub requests: Vec<ActionRequest>,
    /// Every `action_requests` call's `(after, limit)`, to see that readers page.
    pub pages: Mutex<Vec<(Option<RequestId>, usize)>>,
    /// Timeline entries, in `seq` order, of whichever incident is asked for.
    pub timeline: Vec<TimelineEntry>,
}

impl StoreRead for FakeStore {
    fn failure(&self) -> Option<String> {
        None
    }
    fn generation(&self) -> u64 {
        0
    }
    fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        Ok(self.incidents.iter().find(|i| i.id == id).cloned())
    }
    fn incidents(&self, _: Option<IncidentState>) -> Result<Vec<Incident>, StoreError> {
        Ok(self.incidents.clone())
    }
    fn incidents_page(
        &self,
        _: Option<IncidentState>,
        _: Option<IncidentId>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        Ok(self.incidents.iter().take(limit).cloned().collect())
    }
    fn alert(&self, _: &AlertIdentity) -> Result<Option<StoredAlert>, StoreError> {
        Ok(None)
    }
    fn timeline(
        &self,
        _: IncidentId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        Ok(self
            .timeline
            .iter()
            .filter(|entry| entry.seq > after)
            .take(limit)
            .cloned()
            .collect())
    }
    fn last_sequence(&self, _: NaiveDate) -> Result<u32, StoreError> {
        Ok(0)
    }
    fn outbox_depth(&self) -> usize {
        0
    }
    fn chat_ref(&self, _: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    fn jobs(&self, _: usize) -> Result<Vec<Job>, StoreError> {
        Ok(Vec::new())
    }
    fn job(&self, _: JobId) -> Result<Option<Job>, StoreError> {
        Ok(None)
    }
    fn tracked(&self, _: &str) -> Result<Option<TrackedMessage>, StoreError> {
        Ok(None)
    }
    fn dirty_tracked(&self) -> Result<Vec<DirtyTracked>, StoreError> {
        Ok(Vec::new())
    }
    fn message_owner(&self, _: &MessageId) -> Result<Option<MessageOwner>, StoreError> {
        Ok(None)
    }
    fn action_requests(
        &self,
        incident: IncidentId,
        after: Option<RequestId>,
        limit: usize,
    ) -> Result<Vec<ActionRequest>, StoreError> {
        if let Ok(mut pages) = self.pages.lock() {
            pages.push((after, limit));
        }
        let mut found: Vec<ActionRequest> = self
            .requests
            .iter()
            .filter(|r| r.incident == incident && after.is_none_or(|after| r.id > after))
            .cloned()
            .collect();
        found.sort_by_key(|r| r.id);
        found.truncate(limit);
        Ok(found)
    }
    fn action_request(
        &self,
        incident: IncidentId,
        request: RequestId,
    ) -> Result<Option<ActionRequest>, StoreError> {
        Ok(self
            .requests
            .iter()
            .find(|r| r.incident == incident && r.id == request)
            .cloned())
    }
    fn last_request_id(&self, incident: IncidentId) -> Result<u32, StoreError> {
        Ok(self
            .requests
            .iter()
            .filter(|r| r.incident == incident)
            .map(|r| r.id.0)
            .max()
            .unwrap_or(0))
    }

    fn tasks(&self, _incident: IncidentId) -> Result<Vec<crate::domain::task::Task>, StoreError> {
        Ok(Vec::new())
    }

    fn overrides(&self) -> Result<Vec<crate::domain::rotation::Override>, StoreError> {
        Ok(Vec::new())
    }
}

/// Request `A<number>` in `incident`: `scale` of checkout-api, asked by carol, one of two
/// approvals in.
pub(crate) fn request(incident: IncidentId, number: u32) -> ActionRequest {
    use crate::domain::access::PersonRole;
    use crate::domain::action::{RequestState, Risk, Vote, VoteVia};
    use crate::domain::ids::UserId;

    let at: chrono::DateTime<chrono::Utc> = "2026-11-21T10:00:00Z".parse().unwrap_or_default();
    ActionRequest {
        incident,
        id: RequestId(number),
        command: "scale".into(),
        params: [("service", "checkout-api"), ("replicas", "3")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        digest: "d1g357".into(),
        requester: UserId("carol".into()),
        requester_name: Some("Carol".into()),
        approvals_required: 2,
        approver_role: PersonRole::DutyManager,
        risk: Risk::High,
        created_at: at,
        expires_at: Some(at + chrono::Duration::minutes(15)),
        votes: vec![Vote {
            user: UserId("alice".into()),
            name: Some("Alice".into()),
            approve: true,
            at,
            via: VoteVia::Button,
        }],
        state: RequestState::AwaitingApproval,
        job: None,
        started_at: None,
        finished_at: None,
        outcome: None,
    }
}
