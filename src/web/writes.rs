//! What the page writes: a command typed in the command box, a button pressed, a reaction.
//! Each acts as the signed-in person, with the same rights and replies as in chat, and only
//! with the session's CSRF token from warroom's own origin.

use crate::web::WebRoutes;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
}
