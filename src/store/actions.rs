//! The `actions` tree: action requests and the last scale of each service.
//!
//! - `r` + incident key (8 bytes, big-endian) + request number (4 bytes, big-endian) → the
//!   request, so one incident's requests are one ordered range and the next number is the last
//!   key's plus one (derived, never stored twice).
//! - `s` + service name → the last successful scale of that service ([`LastScale`]), which
//!   `scale-rollback` goes back from.
//! - `j` + incident key + request number → the job a request awaiting approval will run,
//!   built when it was requested.
//!
//! Written only in the engine's commit transaction, with the timeline entries that name them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::action::{ActionJob, ActionRequest, RequestId, ScaleChange};
use crate::domain::ids::IncidentId;
use crate::store::codec::{decode, encode, incident_key};
use crate::store::recovery::Open;
use crate::store::{SledStore, StoreError};

const REQUEST: u8 = b'r';
const SCALE: u8 = b's';
const PLANNED: u8 = b'j';

/// The last successful scale of a service, and which request made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastScale {
    pub service: String,
    pub change: ScaleChange,
    pub incident: IncidentId,
    pub request: RequestId,
    pub at: DateTime<Utc>,
}

pub(crate) fn request_key(incident: IncidentId, request: RequestId) -> [u8; 13] {
    keyed(REQUEST, incident, request)
}

fn planned_key(incident: IncidentId, request: RequestId) -> [u8; 13] {
    keyed(PLANNED, incident, request)
}

fn keyed(prefix: u8, incident: IncidentId, request: RequestId) -> [u8; 13] {
    let mut key = [0u8; 13];
    key[0] = prefix;
    key[1..9].copy_from_slice(&incident_key(incident));
    key[9..].copy_from_slice(&request.0.to_be_bytes());
    key
}

fn incident_prefix(incident: IncidentId) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = REQUEST;
    key[1..].copy_from_slice(&incident_key(incident));
    key
}

fn scale_key(service: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + service.len());
    key.push(SCALE);
    key.extend_from_slice(service.as_bytes());
    key
}

/// A key and its encoded value to put in the `actions` tree.
pub(crate) type PreparedAction = (Vec<u8>, Vec<u8>);

/// Action writes encoded for the transaction (whose closure may run again).
pub(crate) fn prepare(
    requests: &[ActionRequest],
    scales: &[LastScale],
    planned: &[(IncidentId, ActionJob)],
) -> Result<Vec<PreparedAction>, StoreError> {
    let mut out = Vec::with_capacity(requests.len() + scales.len() + planned.len());
    for (incident, job) in planned {
        out.push((planned_key(*incident, job.request).to_vec(), encode(job)?));
    }
    for request in requests {
        out.push((
            request_key(request.incident, request.id).to_vec(),
            encode(request)?,
        ));
    }
    for scale in scales {
        out.push((scale_key(&scale.service), encode(scale)?));
    }
    Ok(out)
}

fn read_requests(
    open: &Open,
    incident: IncidentId,
    after: Option<RequestId>,
    limit: usize,
) -> Result<Vec<ActionRequest>, StoreError> {
    let start = request_key(
        incident,
        RequestId(after.map_or(0, |after| after.0.saturating_add(1))),
    );
    let end = request_key(incident, RequestId(u32::MAX));
    let mut out = Vec::new();
    for item in open.actions.range(start..=end).take(limit) {
        let (key, value) = item?;
        out.push(decode(&key, &value)?);
    }
    Ok(out)
}

impl SledStore {
    pub(super) fn read_action_requests(
        &self,
        incident: IncidentId,
        after: Option<RequestId>,
        limit: usize,
    ) -> Result<Vec<ActionRequest>, StoreError> {
        self.shared
            .with(|open| read_requests(open, incident, after, limit))
    }

    pub(super) fn read_action_request(
        &self,
        incident: IncidentId,
        request: RequestId,
    ) -> Result<Option<ActionRequest>, StoreError> {
        let key = request_key(incident, request);
        self.shared.with(|open| {
            open.actions
                .get(key)?
                .map(|bytes| decode(&key, &bytes))
                .transpose()
        })
    }

    /// The highest request number used in `incident` (0 when none).
    pub(super) fn read_last_request_id(&self, incident: IncidentId) -> Result<u32, StoreError> {
        self.shared.with(|open| {
            match open
                .actions
                .scan_prefix(incident_prefix(incident))
                .next_back()
            {
                None => Ok(0),
                Some(item) => {
                    let (key, _) = item?;
                    key.get(9..13)
                        .and_then(|bytes| bytes.try_into().ok())
                        .map(u32::from_be_bytes)
                        .ok_or_else(|| StoreError::Corrupt {
                            key: format!("actions/{key:?}"),
                            reason: "not an action request key".to_owned(),
                        })
                }
            }
        })
    }

    pub(super) fn read_planned_job(
        &self,
        incident: IncidentId,
        request: RequestId,
    ) -> Result<Option<ActionJob>, StoreError> {
        let key = planned_key(incident, request);
        self.shared.with(|open| {
            open.actions
                .get(key)?
                .map(|bytes| decode(&key, &bytes))
                .transpose()
        })
    }

    pub(super) fn read_last_scale(&self, service: &str) -> Result<Option<LastScale>, StoreError> {
        let key = scale_key(service);
        self.shared.with(|open| {
            open.actions
                .get(&key)?
                .map(|bytes| decode(&key, &bytes))
                .transpose()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::access::PersonRole;
    use crate::domain::action::{RequestState, Risk};
    use crate::domain::ids::UserId;
    use crate::store::{Store, StoreRead, WriteBatch};

    fn request(incident: &str, id: u32) -> ActionRequest {
        ActionRequest {
            incident: IncidentId::parse(incident).unwrap(),
            id: RequestId(id),
            command: "scale".into(),
            params: BTreeMap::from([("service".into(), "checkout-api".into())]),
            digest: "d".into(),
            requester: UserId("alice".into()),
            requester_name: None,
            approvals_required: 2,
            approver_role: PersonRole::DutyManager,
            risk: Risk::High,
            created_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            expires_at: None,
            votes: Vec::new(),
            state: RequestState::AwaitingApproval,
            job: None,
            started_at: None,
            finished_at: None,
            outcome: None,
        }
    }

    #[test]
    fn requests_are_kept_per_incident_in_number_order_and_paged() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        let one = "INC-20261121-001";
        let two = "INC-20261121-002";
        // Numbers past 255 and 65,535 still sort as numbers (big-endian keys).
        let requests = vec![
            request(one, 2),
            request(one, 1),
            request(one, 300),
            request(two, 1),
            request(one, 70_000),
        ];
        store
            .commit(WriteBatch {
                actions: requests,
                last_scales: vec![LastScale {
                    service: "checkout-api".into(),
                    change: ScaleChange { from: 2, to: 5 },
                    incident: IncidentId::parse(one).unwrap(),
                    request: RequestId(1),
                    at: "2026-11-21T10:00:00Z".parse().unwrap(),
                }],
                ..WriteBatch::default()
            })
            .unwrap();
        let inc = IncidentId::parse(one).unwrap();
        let ids = |after, limit| -> Vec<u32> {
            store
                .action_requests(inc, after, limit)
                .unwrap()
                .iter()
                .map(|request| request.id.0)
                .collect()
        };
        assert_eq!(ids(None, 10), vec![1, 2, 300, 70_000]);
        assert_eq!(ids(None, 2), vec![1, 2]);
        assert_eq!(ids(Some(RequestId(2)), 10), vec![300, 70_000]);
        assert_eq!(store.read_last_request_id(inc).unwrap(), 70_000);
        assert_eq!(
            store
                .read_last_request_id(IncidentId::parse("INC-20261121-003").unwrap())
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .action_request(IncidentId::parse(two).unwrap(), RequestId(1))
                .unwrap()
                .map(|request| request.incident.to_string()),
            Some(two.to_owned())
        );
        assert_eq!(store.action_request(inc, RequestId(3)).unwrap(), None);
        assert_eq!(
            store
                .last_scale("checkout-api")
                .unwrap()
                .map(|scale| scale.change),
            Some(ScaleChange { from: 2, to: 5 })
        );
        assert_eq!(store.last_scale("payments-api").unwrap(), None);
    }
}
