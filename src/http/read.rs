//! The read API: incidents (paged, newest first), one incident with its durations, and its
//! timeline.

use super::*;
use crate::domain::timeline::TimelineEntry;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    state: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// The incident as the API shows it: its fields named one by one, plus computed durations.
/// Explicit rather than the stored record serialised, so bookkeeping the store keeps for the
/// engine (how many reactions each message has recorded) never reaches the API, and a stored
/// field can change shape without changing the API.
#[derive(Debug, Serialize)]
struct IncidentView<'a> {
    id: IncidentId,
    title: &'a str,
    severity: crate::domain::severity::Severity,
    state: IncidentState,
    service: Option<&'a str>,
    group_key: Option<&'a str>,
    room: Option<&'a crate::domain::ids::RoomId>,
    card: Option<&'a MessageId>,
    roles: &'a crate::domain::incident::Roles,
    alerts: &'a crate::domain::incident::AlertCounts,
    opened_at: chrono::DateTime<chrono::Utc>,
    opened_by: &'a str,
    summary: Option<&'a str>,
    description: Option<&'a str>,
    generator_url: Option<&'a str>,
    runbook_url: Option<&'a str>,
    last_alert_at: Option<chrono::DateTime<chrono::Utc>>,
    milestones: &'a crate::domain::incident::Milestones,
    timeline_len: u64,
    durations: crate::domain::incident::Durations,
}

fn incident_view(incident: &Incident) -> Value {
    let view = IncidentView {
        id: incident.id,
        title: &incident.title,
        severity: incident.severity,
        state: incident.state,
        service: incident.service.as_deref(),
        group_key: incident.group_key.as_deref(),
        room: incident.room.as_ref(),
        card: incident.card.as_ref(),
        roles: &incident.roles,
        alerts: &incident.alerts,
        opened_at: incident.opened_at,
        opened_by: &incident.opened_by,
        summary: incident.summary.as_deref(),
        description: incident.description.as_deref(),
        generator_url: incident.generator_url.as_deref(),
        runbook_url: incident.runbook_url.as_deref(),
        last_alert_at: incident.last_alert_at,
        milestones: &incident.milestones,
        timeline_len: incident.timeline_len,
        durations: incident.milestones.durations(),
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

pub(super) async fn list_incidents(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let filter = match query.state.as_deref() {
        None | Some("") => None,
        Some(text) => Some(IncidentState::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("state: \"{text}\" is not one of triggered, acknowledged, mitigated, resolved, closed"),
            )
        })?),
    };
    let limit = parse_page_limit(
        query.limit.as_deref(),
        DEFAULT_INCIDENT_PAGE,
        MAX_INCIDENT_PAGE,
    )?;
    let after = match query.after.as_deref() {
        None | Some("") => None,
        Some(text) => Some(IncidentId::parse(text).map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("after: \"{text}\" is not an incident id ({error}); pass the x-next-after header of the previous page"),
            )
        })?),
    };
    // One more than asked tells whether another page follows.
    let store = state.store.clone();
    let mut incidents =
        blocking(move || store.incidents_page(filter, after, limit.saturating_add(1))).await?;
    let more = incidents.len() > limit;
    incidents.truncate(limit);
    let views: Vec<Value> = incidents.iter().map(incident_view).collect();
    Ok(paged(&views, more, |last| {
        last["id"].as_str().unwrap_or_default().to_owned()
    }))
}

pub(super) fn parse_incident_id(text: &str) -> Result<IncidentId, ApiError> {
    IncidentId::parse(text)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))
}

pub(super) async fn get_incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_incident_id(&id)?;
    let store = state.store.clone();
    match blocking(move || store.incident(id)).await? {
        Some(incident) => Ok(axum::Json(incident_view(&incident)).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no incident {id}"),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct TimelineQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

pub(super) async fn get_timeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<TimelineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("after and limit must be whole numbers: {error}"),
        )
    })?;
    let id = parse_incident_id(&id)?;
    read_incident(&state, id).await?;
    let limit = query.limit.unwrap_or(DEFAULT_TIMELINE_PAGE);
    if limit == 0 || limit > MAX_TIMELINE_PAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit must be from 1 to {MAX_TIMELINE_PAGE}"),
        ));
    }
    let after = query.after.unwrap_or(0);
    let page = read_timeline_page(&state, id, after, limit, usize::MAX, |_| true).await?;
    Ok(paged(&page.entries, page.next_after.is_some(), |last| {
        last.seq.to_string()
    }))
}

/// Incident `id` as stored, or 404: what every reader of one incident starts with.
pub(crate) async fn read_incident(state: &AppState, id: IncidentId) -> Result<Incident, ApiError> {
    let store = state.store.clone();
    blocking(move || store.incident(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no incident {id}")))
}

/// One page of an incident's timeline, as the read API and the web console's timeline page
/// read it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimelinePage {
    /// The entries `keep` accepted, in order.
    pub entries: Vec<TimelineEntry>,
    /// Where the next page starts (`after=`), or `None` when the timeline ends here.
    pub next_after: Option<u64>,
}

/// Timeline entries are read from the store this many at a time while a page fills.
const TIMELINE_READ_CHUNK: usize = 256;

/// The entries of incident `id` after `after` that `keep` accepts, at most `limit`, reading
/// at most `scan` entries (a filter that matches little still answers promptly; the page
/// then ends early and `next_after` continues from the last entry read). On the blocking
/// pool: a long timeline is many sled reads.
pub(crate) async fn read_timeline_page(
    state: &AppState,
    id: IncidentId,
    after: u64,
    limit: usize,
    scan: usize,
    keep: impl Fn(&TimelineEntry) -> bool + Send + 'static,
) -> Result<TimelinePage, ApiError> {
    let store = state.store.clone();
    blocking(move || timeline_page(store.as_ref(), id, after, limit, scan, keep)).await
}

fn timeline_page(
    store: &dyn StoreRead,
    id: IncidentId,
    after: u64,
    limit: usize,
    scan: usize,
    keep: impl Fn(&TimelineEntry) -> bool,
) -> Result<TimelinePage, StoreError> {
    let mut entries = Vec::new();
    let mut cursor = after;
    let mut scanned = 0usize;
    loop {
        // One more than a page's room tells whether another page follows.
        let room = limit.saturating_sub(entries.len()).saturating_add(1);
        let chunk_size = room
            .min(TIMELINE_READ_CHUNK)
            .min(scan.saturating_sub(scanned));
        if chunk_size == 0 {
            return Ok(TimelinePage {
                entries,
                next_after: Some(cursor),
            });
        }
        let chunk = store.timeline(id, cursor, chunk_size)?;
        let ended = chunk.len() < chunk_size;
        for entry in chunk {
            let seq = entry.seq;
            if keep(&entry) {
                if entries.len() == limit {
                    return Ok(TimelinePage {
                        entries,
                        next_after: Some(cursor),
                    });
                }
                entries.push(entry);
            }
            cursor = seq;
            scanned = scanned.saturating_add(1);
        }
        if ended {
            return Ok(TimelinePage {
                entries,
                next_after: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::AlertStatus;
    use crate::domain::decide::tests::{alert, at, id};
    use crate::domain::decide::{Policy, open_incident_from_alert};

    #[test]
    fn the_incident_view_names_its_fields_and_leaves_the_stores_bookkeeping_out() {
        let (mut incident, _) = open_incident_from_alert(
            &Policy::standard(),
            id(1),
            &alert("fp", "checkout", "critical", AlertStatus::Firing),
            "service=checkout".to_owned(),
            at("2026-11-21T10:00:00Z"),
        );
        incident
            .reactions_recorded
            .insert(MessageId("m1".to_owned()), 3);
        let view = incident_view(&incident);
        let stored = serde_json::to_value(&incident).unwrap();
        assert!(stored.get("reactions_recorded").is_some(), "the witness");
        assert!(view.get("reactions_recorded").is_none(), "{view}");
        assert_eq!(view["id"], stored["id"]);
        assert_eq!(view["alerts"], stored["alerts"]);
        assert!(view["durations"].is_object(), "{view}");
        // Every other stored field is shown under the same name.
        for (name, value) in stored.as_object().unwrap() {
            if name != "reactions_recorded" {
                assert_eq!(&view[name.as_str()], value, "{name}");
            }
        }
    }

    fn store_with_notes(count: u64) -> crate::test_reads::FakeStore {
        let entries = (1..=count)
            .map(|seq| TimelineEntry {
                incident: id(1),
                seq,
                at: at("2026-11-21T10:00:00Z"),
                actor: crate::domain::ids::Actor::warroom(),
                actor_name: None,
                kind: if seq % 10 == 0 {
                    crate::domain::timeline::EntryKind::NoteAdded {
                        text: format!("note {seq}"),
                    }
                } else {
                    crate::domain::timeline::EntryKind::AllAlertsResolved
                },
            })
            .collect();
        crate::test_reads::FakeStore {
            timeline: entries,
            ..Default::default()
        }
    }

    fn seqs(page: &TimelinePage) -> Vec<u64> {
        page.entries.iter().map(|entry| entry.seq).collect()
    }

    fn is_note(entry: &TimelineEntry) -> bool {
        matches!(
            entry.kind,
            crate::domain::timeline::EntryKind::NoteAdded { .. }
        )
    }

    #[test]
    fn timeline_pages_end_where_the_next_one_starts_and_say_when_none_follows() {
        let store = store_with_notes(7);
        let first = timeline_page(&store, id(1), 0, 3, usize::MAX, |_| true).unwrap();
        assert_eq!((seqs(&first), first.next_after), (vec![1, 2, 3], Some(3)));
        let last = timeline_page(&store, id(1), 6, 3, usize::MAX, |_| true).unwrap();
        assert_eq!((seqs(&last), last.next_after), (vec![7], None));
        // A page exactly as long as what is left says nothing follows.
        let exact = timeline_page(&store, id(1), 4, 3, usize::MAX, |_| true).unwrap();
        assert_eq!((seqs(&exact), exact.next_after), (vec![5, 6, 7], None));
    }

    #[test]
    fn a_filtered_page_reads_past_other_entries_across_chunks_and_resumes_after_its_last() {
        // Notes are every tenth entry: 60 notes among 600 entries, more than two chunks.
        let store = store_with_notes(600);
        let first = timeline_page(&store, id(1), 0, 25, usize::MAX, is_note).unwrap();
        assert_eq!(first.entries.len(), 25);
        assert_eq!(first.entries.last().map(|entry| entry.seq), Some(250));
        let next_after = first.next_after.unwrap();
        assert!((250..260).contains(&next_after), "{next_after}");
        let rest = timeline_page(&store, id(1), next_after, 100, usize::MAX, is_note).unwrap();
        assert_eq!(rest.entries.len(), 35);
        assert_eq!(rest.entries.first().map(|entry| entry.seq), Some(260));
        assert_eq!(rest.next_after, None);
    }

    #[test]
    fn a_filter_that_matches_little_stops_after_the_scan_bound_and_continues_from_there() {
        let store = store_with_notes(600);
        let page = timeline_page(&store, id(1), 0, 100, 95, is_note).unwrap();
        assert_eq!(seqs(&page), (1..=9).map(|n| n * 10).collect::<Vec<_>>());
        assert_eq!(page.next_after, Some(95));
    }
}
