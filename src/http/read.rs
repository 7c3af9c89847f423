//! The read API: incidents (paged, newest first), one incident with its durations, and its
//! timeline.

use super::*;

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
    let store = state.store.clone();
    if blocking(move || store.incident(id)).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no incident {id}"),
        ));
    }
    let limit = query.limit.unwrap_or(DEFAULT_TIMELINE_PAGE);
    if limit == 0 || limit > MAX_TIMELINE_PAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit must be from 1 to {MAX_TIMELINE_PAGE}"),
        ));
    }
    let store = state.store.clone();
    let after = query.after.unwrap_or(0);
    // One more than asked tells whether another page follows.
    let mut entries = blocking(move || store.timeline(id, after, limit.saturating_add(1))).await?;
    let more = entries.len() > limit;
    entries.truncate(limit);
    Ok(paged(&entries, more, |last| last.seq.to_string()))
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
}
