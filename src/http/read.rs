//! The read API: incidents (paged, newest first), one incident with its durations, and its
//! timeline.

use super::*;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    state: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// The incident as the API shows it: the stored record plus computed durations.
fn incident_view(incident: &Incident) -> Value {
    let mut value = serde_json::to_value(incident).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert(
            "durations".to_owned(),
            serde_json::to_value(incident.milestones.durations()).unwrap_or(Value::Null),
        );
    }
    value
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

fn parse_incident_id(text: &str) -> Result<IncidentId, ApiError> {
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
