//! Who is on call: one source, asked by the engine (to fill a new incident's roles) and by the
//! Discord adapter (to know the on-call role a member holds). Today the source is the static
//! `[oncall]` config; rotations plug in as another [`OnCall`].

use chrono::{DateTime, Utc};

use crate::domain::incident::Roles;

/// Who holds each on-call role at a moment.
pub trait OnCall: Send + Sync + std::fmt::Debug {
    fn on_call(&self, now: DateTime<Utc>) -> Roles;
}

/// The same people at every moment: `[oncall]` from the config.
#[derive(Debug, Clone, Default)]
pub struct StaticOnCall {
    roles: Roles,
}

impl StaticOnCall {
    pub fn new(roles: Roles) -> StaticOnCall {
        StaticOnCall { roles }
    }
}

impl OnCall for StaticOnCall {
    fn on_call(&self, _now: DateTime<Utc>) -> Roles {
        self.roles.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    #[test]
    fn the_static_source_answers_the_config_at_any_moment() {
        let roles = Roles {
            commander: Some(UserId("alice".to_owned())),
            ..Roles::default()
        };
        let source = StaticOnCall::new(roles.clone());
        for at in ["2026-01-01T00:00:00Z", "2030-06-30T23:59:59Z"] {
            assert_eq!(source.on_call(at.parse().unwrap()), roles);
        }
    }
}
