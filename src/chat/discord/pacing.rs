//! Pacing for Discord routes, so 429s stay rare: a sliding window per bucket (one per channel
//! and route for messages) and one global window, corrected by what Discord answers. An
//! answer that says a bucket is spent (`X-RateLimit-Remaining: 0`) holds that bucket until
//! its reset; a 429 holds the bucket (or, when global, everything) for the time it names, and
//! the refused attempt is taken back out of the windows: it used none of Discord's budget,
//! so it uses none of warroom's. Outbox lanes call this concurrently; each lane is one
//! channel, so waiting here keeps the order inside a channel.

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
/// Channel creation has its own, undocumented bucket on Discord (5 per second per guild in
/// practice, less on a busy guild). This window is only a first guess: what the guild really
/// allows is learned from its answers (`X-RateLimit-Remaining: 0` holds the bucket until its
/// reset), so a stricter guild costs at most one 429, and a window stricter than the guild
/// would only make the last of a burst of rooms wait for nothing.
pub const CHANNEL_CREATES: Window = Window {
    requests: 5,
    per: Duration::from_secs(1),
};
pub const GLOBAL: Window = Window {
    requests: 40,
    per: Duration::from_secs(1),
};

/// The bucket every request also counts against.
const GLOBAL_BUCKET: &str = "global";

/// What Discord answered to one paced request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    /// Accepted; the bucket's `remaining` requests and when it resets, when Discord said.
    Accepted {
        remaining: Option<u64>,
        reset_after: Option<Duration>,
    },
    /// Refused with 429: wait `retry_after`; `global` holds every bucket.
    RateLimited { retry_after: Duration, global: bool },
    /// Anything else (an error, no answer): the attempt stays counted, as Discord may have.
    Other,
}

/// One request let through by [`Pacer::wait`], to report its answer with.
#[derive(Debug)]
pub struct Ticket {
    bucket: String,
    at: Instant,
}

#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<Buckets>,
}

impl Pacer {
    /// Waits until one more request fits `bucket`'s window and the global window and
    /// neither is held by Discord's answers, then counts it.
    pub async fn wait(&self, bucket: &str, window: Window) -> Ticket {
        loop {
            let delay = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                match state.take(bucket, window, now) {
                    Ok(()) => {
                        return Ticket {
                            bucket: bucket.to_owned(),
                            at: now,
                        };
                    }
                    Err(delay) => delay,
                }
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Learns from Discord's answer to the request `ticket` let through.
    pub async fn answered(&self, ticket: Ticket, answer: Answer) {
        self.state
            .lock()
            .await
            .answered(&ticket, answer, Instant::now());
    }
}

/// Past this many buckets, idle ones are dropped before the next request is counted.
const MAX_IDLE_BUCKETS: usize = 256;
/// Longer than any window above, so a dropped bucket could not have delayed anything.
const LONGEST_WINDOW: Duration = Duration::from_secs(60);
/// A 429 or a reset further out than this is capped: a wrong header must not stall a
/// bucket for hours (the outbox retries, and Discord answers again).
const LONGEST_HOLD: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Bucket {
    sent: VecDeque<Instant>,
    /// Discord said this bucket has nothing left until then.
    held_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Buckets {
    buckets: HashMap<String, Bucket>,
}

impl Buckets {
    /// Counts one request now, or says how long until it may go.
    fn take(&mut self, bucket: &str, window: Window, now: Instant) -> Result<(), Duration> {
        // A bucket whose last request is older than every window and that Discord does not
        // hold constrains nothing: drop it, so one bucket per channel ever written to does
        // not pile up.
        if self.buckets.len() > MAX_IDLE_BUCKETS {
            self.buckets.retain(|_, b| {
                b.held_until.is_some_and(|until| until > now)
                    || b.sent
                        .back()
                        .is_some_and(|last| now.duration_since(*last) < LONGEST_WINDOW)
            });
        }
        let local = self.buckets.entry(bucket.to_owned()).or_default();
        let local_delay = local.delay(window, now);
        let global = self.buckets.entry(GLOBAL_BUCKET.to_owned()).or_default();
        let delay = local_delay.max(global.delay(GLOBAL, now));
        if !delay.is_zero() {
            return Err(delay);
        }
        for key in [bucket, GLOBAL_BUCKET] {
            self.buckets
                .entry(key.to_owned())
                .or_default()
                .sent
                .push_back(now);
        }
        Ok(())
    }

    fn answered(&mut self, ticket: &Ticket, answer: Answer, now: Instant) {
        match answer {
            Answer::Accepted {
                remaining: Some(0),
                reset_after: Some(reset_after),
            } => self.hold(&ticket.bucket, now + reset_after.min(LONGEST_HOLD)),
            Answer::Accepted { .. } | Answer::Other => {}
            Answer::RateLimited {
                retry_after,
                global,
            } => {
                // Refused: Discord counted nothing, so neither window keeps the attempt.
                for key in [ticket.bucket.as_str(), GLOBAL_BUCKET] {
                    if let Some(bucket) = self.buckets.get_mut(key)
                        && let Some(index) = bucket.sent.iter().rposition(|at| *at == ticket.at)
                    {
                        bucket.sent.remove(index);
                    }
                }
                let held = if global {
                    GLOBAL_BUCKET
                } else {
                    ticket.bucket.as_str()
                };
                self.hold(held, now + retry_after.min(LONGEST_HOLD));
            }
        }
    }

    fn hold(&mut self, bucket: &str, until: Instant) {
        let bucket = self.buckets.entry(bucket.to_owned()).or_default();
        bucket.held_until = Some(bucket.held_until.map_or(until, |held| held.max(until)));
    }
}

impl Bucket {
    /// How long until `window` has room and Discord's hold is over, forgetting requests
    /// older than the window and holds that have passed.
    fn delay(&mut self, window: Window, now: Instant) -> Duration {
        if self.held_until.is_some_and(|until| until <= now) {
            self.held_until = None;
        }
        let held = self
            .held_until
            .map(|until| until.duration_since(now))
            .unwrap_or_default();
        held.max(delay_for(&mut self.sent, window, now))
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

    const TWO_PER_5S: Window = Window {
        requests: 2,
        per: Duration::from_secs(5),
    };

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_window_admits_its_count_then_says_how_long_to_wait() {
        let start = Instant::now();
        let window = TWO_PER_5S;
        let mut sent = VecDeque::new();
        assert_eq!(delay_for(&mut sent, window, start), Duration::ZERO);
        sent.push_back(start);
        sent.push_back(start + secs(1));
        assert_eq!(delay_for(&mut sent, window, start + secs(2)), secs(3));
        // The oldest left the window: room again.
        assert_eq!(
            delay_for(&mut sent, window, start + secs(5)),
            Duration::ZERO
        );
        assert_eq!(sent.len(), 1);
    }

    #[test]
    fn a_refused_attempt_uses_no_budget_and_holds_the_bucket_for_what_discord_said() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        assert_eq!(buckets.take("b", TWO_PER_5S, start), Ok(()));
        let ticket = Ticket {
            bucket: "b".into(),
            at: start,
        };
        buckets.answered(
            &ticket,
            Answer::RateLimited {
                retry_after: Duration::from_millis(1500),
                global: false,
            },
            start,
        );
        // Held for exactly what the answer said, not warroom's own window...
        assert_eq!(
            buckets.take("b", TWO_PER_5S, start + secs(1)),
            Err(Duration::from_millis(500))
        );
        // ...and the refused attempt is not counted: both of the window's requests are free.
        let later = start + Duration::from_millis(1500);
        assert_eq!(buckets.take("b", TWO_PER_5S, later), Ok(()));
        assert_eq!(buckets.take("b", TWO_PER_5S, later), Ok(()));
        assert!(buckets.take("b", TWO_PER_5S, later).is_err());
        // Another bucket was never held.
        assert_eq!(buckets.take("other", TWO_PER_5S, start + secs(1)), Ok(()));
    }

    #[test]
    fn a_global_429_holds_every_bucket() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        assert_eq!(buckets.take("a", TWO_PER_5S, start), Ok(()));
        buckets.answered(
            &Ticket {
                bucket: "a".into(),
                at: start,
            },
            Answer::RateLimited {
                retry_after: secs(2),
                global: true,
            },
            start,
        );
        assert_eq!(buckets.take("b", TWO_PER_5S, start + secs(1)), Err(secs(1)));
        assert_eq!(buckets.take("b", TWO_PER_5S, start + secs(2)), Ok(()));
    }

    #[test]
    fn a_spent_bucket_waits_for_its_reset_and_an_answer_with_budget_left_does_not() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        let table = [
            (Some(3), Some(secs(4)), Ok(())),
            (None, None, Ok(())),
            (Some(0), None, Ok(())),
            (Some(0), Some(secs(4)), Err(secs(4))),
        ];
        for (n, (remaining, reset_after, expected)) in table.into_iter().enumerate() {
            let bucket = format!("b{n}");
            assert_eq!(buckets.take(&bucket, TWO_PER_5S, start), Ok(()));
            buckets.answered(
                &Ticket {
                    bucket: bucket.clone(),
                    at: start,
                },
                Answer::Accepted {
                    remaining,
                    reset_after,
                },
                start,
            );
            assert_eq!(
                buckets.take(&bucket, TWO_PER_5S, start),
                expected,
                "{remaining:?} {reset_after:?}"
            );
        }
        // The hold ends at the reset; the bucket then only has its own window.
        assert_eq!(buckets.take("b3", TWO_PER_5S, start + secs(4)), Ok(()));
    }

    #[test]
    fn an_absurd_retry_after_is_capped() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        assert_eq!(buckets.take("b", TWO_PER_5S, start), Ok(()));
        buckets.answered(
            &Ticket {
                bucket: "b".into(),
                at: start,
            },
            Answer::RateLimited {
                retry_after: secs(86_400),
                global: false,
            },
            start,
        );
        assert_eq!(buckets.take("b", TWO_PER_5S, start), Err(LONGEST_HOLD));
    }
}
