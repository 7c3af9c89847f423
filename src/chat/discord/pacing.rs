//! Pacing for Discord routes, so 429s stay rare: a sliding window per bucket (one per channel
//! and route for messages) and one global window, corrected by what Discord answers. An
//! answer that says a bucket is spent (`X-RateLimit-Remaining: 0`) holds that bucket until
//! its reset; a 429 holds the bucket (or, when global, everything) for the time it names, and
//! the refused attempt is taken back out of the windows: it used none of Discord's budget,
//! so it uses none of warroom's. Outbox lanes call this concurrently; each lane is one
//! channel, so waiting here keeps the order inside a channel.
//!
//! A bucket starts as warroom's guess (its name for the route and the route's major
//! parameter, the channel or guild id). Discord names the bucket each route really uses in
//! `X-RateLimit-Bucket` (a hash that routes sharing a limit have in common); once a route's
//! hash is known its requests are counted and held per (hash, major parameter), so two routes
//! Discord says share a bucket share its holds.

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
    /// warroom's name for the route and its major parameter (channel or guild id).
    route: String,
    major: u64,
    /// The bucket the request was counted in.
    bucket: String,
    at: Instant,
}

#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<Buckets>,
}

impl Pacer {
    /// Waits until one more request on `route` (warroom's name for it) with major parameter
    /// `major` fits its bucket's window and the global window and neither is held by
    /// Discord's answers, then counts it.
    pub async fn wait(&self, route: &str, major: u64, window: Window) -> Ticket {
        loop {
            let delay = {
                let mut state = self.state.lock().await;
                match state.take(route, major, window, Instant::now()) {
                    Ok(ticket) => return ticket,
                    Err(delay) => delay,
                }
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Learns from Discord's answer to the request `ticket` let through, and from the
    /// bucket hash it named (`X-RateLimit-Bucket`), if any.
    pub async fn answered(&self, ticket: Ticket, answer: Answer, bucket_hash: Option<&str>) {
        self.state
            .lock()
            .await
            .answered(&ticket, answer, bucket_hash, Instant::now());
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

/// Routes whose bucket hash is remembered at most; warroom sends a handful of routes, so
/// this only bounds what a misbehaving proxy could make it learn.
const MAX_LEARNED_ROUTES: usize = 1024;

#[derive(Debug, Default)]
struct Buckets {
    buckets: HashMap<String, Bucket>,
    /// Discord's bucket hash for each of warroom's route names, as its answers said.
    hashes: HashMap<String, String>,
}

/// The bucket warroom guesses for a route before Discord names it.
fn guessed_key(route: &str, major: u64) -> String {
    format!("{route}:{major}")
}

/// The bucket Discord named (`#` keeps it apart from any route name and from `global`).
fn shared_key(hash: &str, major: u64) -> String {
    format!("#{hash}:{major}")
}

impl Buckets {
    /// The bucket a request on `route` with `major` counts in now: Discord's, once a route's
    /// hash is known, else warroom's guess. What the guess counted moves into Discord's
    /// bucket the first time, so learning the hash never lets a burst through.
    fn resolve(&mut self, route: &str, major: u64) -> String {
        let guessed = guessed_key(route, major);
        let Some(hash) = self.hashes.get(route) else {
            return guessed;
        };
        let shared = shared_key(hash, major);
        if let Some(old) = self.buckets.remove(&guessed) {
            self.buckets.entry(shared.clone()).or_default().absorb(old);
        }
        shared
    }

    /// Remembers that Discord buckets `route` under `hash` (bounded: past the bound a new
    /// route keeps its guessed bucket).
    fn learn(&mut self, route: &str, hash: &str) {
        if self.hashes.get(route).is_some_and(|known| known == hash) {
            return;
        }
        if self.hashes.len() >= MAX_LEARNED_ROUTES && !self.hashes.contains_key(route) {
            return;
        }
        self.hashes.insert(route.to_owned(), hash.to_owned());
    }

    /// Counts one request on `route` with `major` now, or says how long until it may go.
    fn take(
        &mut self,
        route: &str,
        major: u64,
        window: Window,
        now: Instant,
    ) -> Result<Ticket, Duration> {
        let bucket = self.resolve(route, major);
        self.take_in(&bucket, window, now)?;
        Ok(Ticket {
            route: route.to_owned(),
            major,
            bucket,
            at: now,
        })
    }

    /// Counts one request in `bucket` now, or says how long until it may go.
    fn take_in(&mut self, bucket: &str, window: Window, now: Instant) -> Result<(), Duration> {
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

    fn answered(
        &mut self,
        ticket: &Ticket,
        answer: Answer,
        bucket_hash: Option<&str>,
        now: Instant,
    ) {
        if let Some(hash) = bucket_hash {
            self.learn(&ticket.route, hash);
        }
        // Where the route's requests count from now on: the bucket Discord just named, even
        // when the request itself was counted in warroom's guess.
        let own = self.resolve(&ticket.route, ticket.major);
        match answer {
            Answer::Accepted {
                remaining: Some(0),
                reset_after: Some(reset_after),
            } => self.hold(&own, now + reset_after.min(LONGEST_HOLD)),
            Answer::Accepted { .. } | Answer::Other => {}
            Answer::RateLimited {
                retry_after,
                global,
            } => {
                // Refused: Discord counted nothing, so neither window keeps the attempt (it
                // may have moved from the guessed bucket into Discord's meanwhile).
                let forget = |bucket: Option<&mut Bucket>| {
                    bucket.is_some_and(|bucket| {
                        match bucket.sent.iter().rposition(|at| *at == ticket.at) {
                            Some(index) => bucket.sent.remove(index).is_some(),
                            None => false,
                        }
                    })
                };
                if !forget(self.buckets.get_mut(&ticket.bucket)) && own != ticket.bucket {
                    forget(self.buckets.get_mut(&own));
                }
                forget(self.buckets.get_mut(GLOBAL_BUCKET));
                let held = if global { GLOBAL_BUCKET } else { own.as_str() };
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
    /// Takes over what `other` counted and holds (a guessed bucket Discord named).
    fn absorb(&mut self, other: Bucket) {
        let mut sent: Vec<Instant> = self.sent.drain(..).chain(other.sent).collect();
        sent.sort();
        self.sent = sent.into();
        self.held_until = match (self.held_until, other.held_until) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

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

    /// The major parameter (a channel) of the routes the tests use.
    const MAJOR: u64 = 7;

    impl Buckets {
        /// Counts a request on `route` in channel [`MAJOR`], as the pacer does.
        fn try_take(&mut self, route: &str, window: Window, now: Instant) -> Result<(), Duration> {
            self.take(route, MAJOR, window, now).map(drop)
        }
    }

    /// The ticket of the request taken on `route` at `at`, before any hash was learned.
    fn ticket(route: &str, at: Instant) -> Ticket {
        Ticket {
            route: route.to_owned(),
            major: MAJOR,
            bucket: guessed_key(route, MAJOR),
            at,
        }
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
        assert_eq!(buckets.try_take("b", TWO_PER_5S, start), Ok(()));
        let ticket = ticket("b", start);
        buckets.answered(
            &ticket,
            Answer::RateLimited {
                retry_after: Duration::from_millis(1500),
                global: false,
            },
            None,
            start,
        );
        // Held for exactly what the answer said, not warroom's own window...
        assert_eq!(
            buckets.try_take("b", TWO_PER_5S, start + secs(1)),
            Err(Duration::from_millis(500))
        );
        // ...and the refused attempt is not counted: both of the window's requests are free.
        let later = start + Duration::from_millis(1500);
        assert_eq!(buckets.try_take("b", TWO_PER_5S, later), Ok(()));
        assert_eq!(buckets.try_take("b", TWO_PER_5S, later), Ok(()));
        assert!(buckets.try_take("b", TWO_PER_5S, later).is_err());
        // Another bucket was never held.
        assert_eq!(
            buckets.try_take("other", TWO_PER_5S, start + secs(1)),
            Ok(())
        );
    }

    #[test]
    fn a_global_429_holds_every_bucket() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        assert_eq!(buckets.try_take("a", TWO_PER_5S, start), Ok(()));
        buckets.answered(
            &ticket("a", start),
            Answer::RateLimited {
                retry_after: secs(2),
                global: true,
            },
            None,
            start,
        );
        assert_eq!(
            buckets.try_take("b", TWO_PER_5S, start + secs(1)),
            Err(secs(1))
        );
        assert_eq!(buckets.try_take("b", TWO_PER_5S, start + secs(2)), Ok(()));
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
            assert_eq!(buckets.try_take(&bucket, TWO_PER_5S, start), Ok(()));
            buckets.answered(
                &ticket(&bucket, start),
                Answer::Accepted {
                    remaining,
                    reset_after,
                },
                None,
                start,
            );
            assert_eq!(
                buckets.try_take(&bucket, TWO_PER_5S, start),
                expected,
                "{remaining:?} {reset_after:?}"
            );
        }
        // The hold ends at the reset; the bucket then only has its own window.
        assert_eq!(buckets.try_take("b3", TWO_PER_5S, start + secs(4)), Ok(()));
    }

    #[test]
    fn an_absurd_retry_after_is_capped() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        assert_eq!(buckets.try_take("b", TWO_PER_5S, start), Ok(()));
        buckets.answered(
            &ticket("b", start),
            Answer::RateLimited {
                retry_after: secs(86_400),
                global: false,
            },
            None,
            start,
        );
        assert_eq!(buckets.try_take("b", TWO_PER_5S, start), Err(LONGEST_HOLD));
    }

    /// Takes a request on `route` in `major` and reports `answer`, naming `hash`.
    fn answer(
        buckets: &mut Buckets,
        (route, major): (&str, u64),
        answer: Answer,
        hash: &str,
        now: Instant,
    ) {
        let ticket = buckets.take(route, major, ROOMY, now).unwrap();
        buckets.answered(&ticket, answer, Some(hash), now);
    }

    /// A window these tests never fill, so only Discord's holds delay.
    const ROOMY: Window = Window {
        requests: 100,
        per: Duration::from_secs(5),
    };

    const BUDGET_LEFT: Answer = Answer::Accepted {
        remaining: Some(3),
        reset_after: Some(Duration::from_secs(4)),
    };

    #[test]
    fn a_hold_learned_on_one_route_covers_another_once_both_named_the_same_bucket() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        // Before Discord names their buckets, a hold on "messages" is not one on "pins".
        answer(&mut buckets, ("messages", MAJOR), BUDGET_LEFT, "h1", start);
        let spent = Answer::Accepted {
            remaining: Some(0),
            reset_after: Some(secs(4)),
        };
        answer(&mut buckets, ("messages", MAJOR), spent, "h1", start);
        assert_eq!(buckets.try_take("pins", ROOMY, start), Ok(()));
        // "pins" answers with the same hash: from now on it shares the hold.
        let ticket = ticket("pins", start);
        buckets.answered(&ticket, BUDGET_LEFT, Some("h1"), start);
        assert_eq!(
            buckets.try_take("pins", ROOMY, start + secs(1)),
            Err(secs(3))
        );
        // Per major parameter: the same routes in another channel are not held...
        assert_eq!(buckets.take("pins", 8, ROOMY, start).map(drop), Ok(()));
        // ...nor is a route Discord buckets apart.
        answer(&mut buckets, ("edits", MAJOR), BUDGET_LEFT, "h2", start);
        assert_eq!(buckets.try_take("edits", ROOMY, start), Ok(()));
        // The hold ends at the reset Discord gave.
        assert_eq!(buckets.try_take("pins", ROOMY, start + secs(4)), Ok(()));
    }

    #[test]
    fn a_429_holds_every_route_of_the_bucket_and_uses_none_of_its_window() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        answer(&mut buckets, ("messages", MAJOR), BUDGET_LEFT, "h1", start);
        answer(&mut buckets, ("pins", MAJOR), BUDGET_LEFT, "h1", start);
        // Both routes now count in one window: two requests fill it.
        let refused = buckets
            .take("pins", MAJOR, TWO_PER_5S, start + secs(5))
            .unwrap();
        buckets.answered(
            &refused,
            Answer::RateLimited {
                retry_after: secs(2),
                global: false,
            },
            Some("h1"),
            start + secs(5),
        );
        assert_eq!(
            buckets.try_take("messages", TWO_PER_5S, start + secs(6)),
            Err(secs(1))
        );
        let later = start + secs(7);
        assert_eq!(buckets.try_take("messages", TWO_PER_5S, later), Ok(()));
        assert_eq!(buckets.try_take("pins", TWO_PER_5S, later), Ok(()));
        assert!(buckets.try_take("messages", TWO_PER_5S, later).is_err());
    }

    #[test]
    fn what_a_guessed_bucket_counted_moves_into_the_bucket_discord_names() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        // Two requests counted under the guess fill the window...
        let first = buckets.take("messages", MAJOR, TWO_PER_5S, start).unwrap();
        assert_eq!(buckets.try_take("messages", TWO_PER_5S, start), Ok(()));
        // ...and learning the hash does not open a fresh one.
        buckets.answered(&first, BUDGET_LEFT, Some("h1"), start);
        assert_eq!(
            buckets.try_take("messages", TWO_PER_5S, start + secs(1)),
            Err(secs(4))
        );
        assert!(
            !buckets
                .buckets
                .contains_key(&guessed_key("messages", MAJOR))
        );
    }

    #[test]
    fn the_learned_routes_are_bounded() {
        let start = Instant::now();
        let mut buckets = Buckets::default();
        for n in 0..MAX_LEARNED_ROUTES + 10 {
            buckets.learn(&format!("route-{n}"), "h");
        }
        assert_eq!(buckets.hashes.len(), MAX_LEARNED_ROUTES);
        // A route past the bound keeps its guessed bucket, and known routes still learn.
        let ticket = buckets.take("late", MAJOR, TWO_PER_5S, start).unwrap();
        buckets.answered(&ticket, BUDGET_LEFT, Some("h"), start);
        assert_eq!(buckets.resolve("late", MAJOR), guessed_key("late", MAJOR));
        buckets.learn("route-0", "h9");
        assert_eq!(buckets.resolve("route-0", MAJOR), shared_key("h9", MAJOR));
    }
}
