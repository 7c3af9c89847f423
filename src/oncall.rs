//! Who is on call: one source, asked by the engine (to fill a new incident's roles, and to
//! know whom escalation and reminders call) and by the Discord adapter (to know the on-call
//! role a member holds). The source holds the rotations and `[oncall]` from the config and
//! the overrides the engine keeps in the `overrides` tree.

use std::sync::{PoisonError, RwLock};

use crate::domain::rotation::{OnCallBook, Override};

/// Who holds each on-call role, as a book the caller asks at its own `now`.
pub trait OnCall: Send + Sync + std::fmt::Debug {
    /// The rotations, fixed holders and overrides as of the last change.
    fn book(&self) -> OnCallBook;
    /// The overrides in force changed (the engine committed `/oncall override`, or loaded
    /// them at start).
    fn set_overrides(&self, overrides: Vec<Override>);
}

/// The on-call source built from the config, with the engine's overrides.
#[derive(Debug, Default)]
pub struct SharedOnCall {
    book: RwLock<OnCallBook>,
}

impl SharedOnCall {
    pub fn new(book: OnCallBook) -> SharedOnCall {
        SharedOnCall {
            book: RwLock::new(book),
        }
    }
}

impl OnCall for SharedOnCall {
    fn book(&self) -> OnCallBook {
        // Writers replace the whole book in one assignment: a poisoned lock still holds a
        // whole book.
        self.book
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_overrides(&self, overrides: Vec<Override>) {
        let mut book = self.book.write().unwrap_or_else(PoisonError::into_inner);
        book.overrides = std::sync::Arc::new(overrides);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::rotation::{FixedOnCall, OnCallRole};

    #[test]
    fn the_shared_source_answers_the_config_and_then_the_overrides() {
        let alice = UserId("alice".to_owned());
        let bob = UserId("bob".to_owned());
        let fixed = FixedOnCall(
            [(OnCallRole::Commander, alice.clone())]
                .into_iter()
                .collect(),
        );
        let source = SharedOnCall::new(OnCallBook::fixed(fixed));
        let at = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(source.book().roles(None, at).commander, Some(alice));
        source.set_overrides(vec![Override {
            role: OnCallRole::Commander,
            user: bob.clone(),
            from: "2025-12-31T00:00:00Z".parse().unwrap(),
            until: "2026-01-02T00:00:00Z".parse().unwrap(),
        }]);
        assert_eq!(source.book().roles(None, at).commander, Some(bob));
    }
}
