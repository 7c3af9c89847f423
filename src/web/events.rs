//! The event streams (Server-Sent Events): `/incidents/events` for the list and
//! `/incidents/{id}/events` for a war room. Each event has an `id:`; a reconnect with
//! `Last-Event-ID` gets exactly what it missed, a first connection only new events.

use crate::web::WebRoutes;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
}
