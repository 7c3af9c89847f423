//! Proactive pacing for Discord routes, so 429s stay rare: a sliding window per bucket (one
//! per channel for messages) and one global window. The outbox is the only caller and is
//! serial, so waiting here delays later items, which is what keeps per-channel order.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub requests: usize,
    pub per: Duration,
}

/// Discord allows about 5 messages per 5 s per channel and 50 requests per second in all.
pub const PER_CHANNEL: Window = Window {
    requests: 5,
    per: Duration::from_secs(5),
};
/// Channel creation has its own, undocumented, stricter bucket on Discord; stay well inside.
pub const CHANNEL_CREATES: Window = Window {
    requests: 10,
    per: Duration::from_secs(10),
};
pub const GLOBAL: Window = Window {
    requests: 40,
    per: Duration::from_secs(1),
};

#[derive(Debug, Default)]
pub struct Pacer {
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Past this many buckets, idle ones are dropped before the next request is counted.
const MAX_IDLE_BUCKETS: usize = 256;
/// Longer than any window above, so a dropped bucket could not have delayed anything.
const LONGEST_WINDOW: Duration = Duration::from_secs(60);

impl Pacer {
    /// Waits until one more request fits `bucket`'s window and the global window, then
    /// counts it.
    pub async fn wait(&self, bucket: &str, window: Window) {
        loop {
            let delay = {
                let mut sent = self.sent.lock().await;
                let now = Instant::now();
                let local = delay_for(sent.entry(bucket.to_owned()).or_default(), window, now);
                let global = delay_for(sent.entry("global".to_owned()).or_default(), GLOBAL, now);
                let delay = local.max(global);
                // A bucket whose last request is older than every window constrains nothing:
                // drop it, so one bucket per channel ever written to does not pile up.
                if sent.len() > MAX_IDLE_BUCKETS {
                    sent.retain(|_, times| {
                        times
                            .back()
                            .is_some_and(|last| now.duration_since(*last) < LONGEST_WINDOW)
                    });
                }
                if delay.is_zero() {
                    for key in [bucket, "global"] {
                        sent.entry(key.to_owned()).or_default().push_back(now);
                    }
                    return;
                }
                delay
            };
            tokio::time::sleep(delay).await;
        }
    }
}

/// How long until `window` has room, forgetting requests older than it.
fn delay_for(sent: &mut VecDeque<Instant>, window: Window, now: Instant) -> Duration {
    while sent
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window.per)
    {
        sent.pop_front();
    }
    if sent.len() < window.requests {
        return Duration::ZERO;
    }
    sent.front()
        .map(|oldest| window.per.saturating_sub(now.duration_since(*oldest)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_admits_its_count_then_says_how_long_to_wait() {
        let start = Instant::now();
        let window = Window {
            requests: 2,
            per: Duration::from_secs(5),
        };
        let mut sent = VecDeque::new();
        assert_eq!(delay_for(&mut sent, window, start), Duration::ZERO);
        sent.push_back(start);
        sent.push_back(start + Duration::from_secs(1));
        assert_eq!(
            delay_for(&mut sent, window, start + Duration::from_secs(2)),
            Duration::from_secs(3)
        );
        // The oldest left the window: room again.
        assert_eq!(
            delay_for(&mut sent, window, start + Duration::from_secs(5)),
            Duration::ZERO
        );
        assert_eq!(sent.len(), 1);
    }
}
