//! The timeline view (`/incidents/{id}/timeline`, filtered by kind, times in the viewer's
//! zone and language), the incident's durations and its alerts chart.

use crate::domain::incident::Incident;
use crate::http::AppState;
use crate::web::{Viewer, WebError, WebRoutes};

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
}

/// The durations block of a war room: detect, acknowledge, mitigate, resolve, with units.
#[allow(dead_code)] // Skeleton: the pages and streams being built call it.
pub(super) fn durations_html(
    _state: &AppState,
    _viewer: &Viewer,
    _incident: &Incident,
) -> Result<String, WebError> {
    Ok(String::new())
}
