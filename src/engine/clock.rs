//! Time, passed into the core. Production reads the system clock; tests turn a hand.
//!
//! A clock also knows how to wait for a moment, because only it knows how its time moves:
//! the system clock sleeps on tokio's timer, the manual clock wakes its sleepers when a test
//! advances or sets it, so tests of time never sleep for real.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

/// A future a clock resolves; boxed so `Clock` stays usable as `dyn Clock`.
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once `now()` may have reached `at`. It may resolve early (the system clock
    /// wakes at least once a minute so a wall-clock jump is noticed), so callers check
    /// `now()` again and wait once more if needed.
    fn sleep_until(&self, at: DateTime<Utc>) -> Wait<'_>;
}

/// The longest the system clock sleeps in one go: a wall clock set forward (NTP, a
/// suspended VM) is noticed within this, not after the whole monotonic wait.
const LONGEST_SYSTEM_SLEEP: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Wait<'_> {
        let wait = (at - Utc::now())
            .to_std()
            .unwrap_or(std::time::Duration::ZERO)
            .min(LONGEST_SYSTEM_SLEEP);
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to; moving it wakes whoever waits on it.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: watch::Sender::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now += by);
    }

    pub fn set(&self, to: DateTime<Utc>) {
        self.now.send_modify(|now| *now = to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Wait<'_> {
        let mut moves = self.now.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock, which outlives this borrow: the wait
            // only ends by reaching `at`.
            let _ = moves.wait_for(|now| *now >= at).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_its_sleepers_when_it_reaches_their_moment() {
        let start: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        let clock = std::sync::Arc::new(ManualClock::new(start));
        let sleep = |minutes: i64| {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(start + Duration::minutes(minutes)).await })
        };
        let sleeper = sleep(10);
        let witness = sleep(9);
        clock.advance(Duration::minutes(9));
        // The advance woke both onto this single-threaded runtime's queue before the witness
        // finished and queued this test behind them: once the witness is done, the sleeper has
        // been polled after the advance too, and would have finished had it woken early.
        tokio::time::timeout(std::time::Duration::from_secs(10), witness)
            .await
            .expect("the witness is woken by the advance")
            .unwrap();
        assert!(!sleeper.is_finished(), "woke before its moment");
        clock.advance(Duration::minutes(1));
        tokio::time::timeout(std::time::Duration::from_secs(10), sleeper)
            .await
            .expect("woken by the advance")
            .unwrap();
        // A moment already past resolves at once.
        clock.sleep_until(start).await;
    }
}
