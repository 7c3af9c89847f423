//! Readiness facts that outlive one request: why chat delivery is paused. Shared by the
//! outbox, which learns them, and `/readyz`, which reports them. (The store reports its own
//! failure through [`crate::store::Store::failure`]: one source per fact.)

use std::sync::Mutex;

use crate::chat::BlockReason;

/// Why delivery to the chat is paused, if it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatBlocked {
    pub reason: BlockReason,
    /// What the chat said, for operators (never a secret: the chat's own error text).
    pub detail: String,
}

#[derive(Debug, Default)]
pub struct Health {
    chat_blocked: Mutex<Option<ChatBlocked>>,
}

impl Health {
    pub fn new() -> Health {
        Health::default()
    }

    /// Records that the chat refuses warroom; returns true when this starts a new block (or
    /// changes its reason).
    pub fn set_chat_blocked(&self, blocked: ChatBlocked) -> bool {
        let mut current = self.lock();
        let previous = current.as_ref().map(|c| c.reason);
        let changed = previous != Some(blocked.reason);
        if changed {
            if let Some(previous) = previous {
                metrics::gauge!("warroom_chat_blocked", "reason" => previous.as_str()).set(0.0);
            }
            metrics::gauge!("warroom_chat_blocked", "reason" => blocked.reason.as_str()).set(1.0);
        }
        *current = Some(blocked);
        changed
    }

    /// Delivery works again; returns what was blocking it, if anything.
    pub fn clear_chat_blocked(&self) -> Option<ChatBlocked> {
        let previous = self.lock().take();
        if let Some(previous) = &previous {
            metrics::gauge!("warroom_chat_blocked", "reason" => previous.reason.as_str()).set(0.0);
        }
        previous
    }

    pub fn chat_blocked(&self) -> Option<ChatBlocked> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ChatBlocked>> {
        self.chat_blocked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_new_once_per_reason_and_clears() {
        let health = Health::new();
        let blocked = |reason| ChatBlocked {
            reason,
            detail: "401: Unauthorized".to_owned(),
        };
        assert!(health.set_chat_blocked(blocked(BlockReason::Unauthorized)));
        assert!(!health.set_chat_blocked(blocked(BlockReason::Unauthorized)));
        assert!(health.set_chat_blocked(blocked(BlockReason::Forbidden)));
        assert_eq!(
            health.chat_blocked().map(|b| b.reason),
            Some(BlockReason::Forbidden)
        );
        assert!(health.clear_chat_blocked().is_some());
        assert!(health.chat_blocked().is_none());
        assert!(health.clear_chat_blocked().is_none());
    }
}
