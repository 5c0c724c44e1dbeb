//! The idle timeout of a stream (no event for `limit`), armed once per call instead of once
//! per event.
//!
//! `tokio::time::timeout(limit, next)` for every event creates a timer, inserts it into the
//! runtime's timer wheel when the next read is not ready (a lock on the driver) and removes
//! it when the event arrives: about a hundred instructions and a lock per delta, on the hot
//! path of every text delta. Here one `Sleep` lives for the whole call; an event only
//! records the time it arrived, and the sleep is re-armed (at the last event plus `limit`)
//! only when it fires early. The deadline is the same: an error once `limit` passed
//! without an event, measured from the last one.

use std::future::Future;
use std::pin::Pin;
use tokio::time::{Duration, Instant, Sleep};

pub(crate) struct IdleTimer {
    limit: Duration,
    /// When the current wait began (the previous event was handled).
    last: Instant,
    sleep: Pin<Box<Sleep>>,
}

/// The stream was idle for the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Idle;

impl IdleTimer {
    /// Starts counting now.
    pub(crate) fn new(limit: Duration) -> Self {
        let last = Instant::now();
        IdleTimer {
            limit,
            last,
            sleep: Box::pin(tokio::time::sleep_until(last + limit)),
        }
    }

    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// Awaits `next`, or [`Idle`] once `limit` passed without it completing (counted from
    /// this call, like a `timeout(limit, next)`).
    pub(crate) async fn run<F: Future>(&mut self, next: F) -> Result<F::Output, Idle> {
        self.last = Instant::now();
        let mut next = std::pin::pin!(next);
        loop {
            tokio::select! {
                biased;
                out = next.as_mut() => return Ok(out),
                _ = self.sleep.as_mut() => {
                    let deadline = self.last + self.limit;
                    if Instant::now() >= deadline {
                        return Err(Idle);
                    }
                    // Events came since it was armed: wait for the rest of the limit.
                    self.sleep.as_mut().reset(deadline);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fires_after_the_limit_without_events() {
        let mut idle = IdleTimer::new(Duration::from_millis(100));
        let started = Instant::now();
        let r = idle.run(std::future::pending::<()>()).await;
        assert_eq!(r, Err(Idle));
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn counts_from_the_last_event() {
        let mut idle = IdleTimer::new(Duration::from_millis(100));
        let started = Instant::now();
        // Events at 60 and 120 ms: the armed deadline (100 ms) passes with events in between.
        for at in [60, 120] {
            let r = idle
                .run(tokio::time::sleep_until(
                    started + Duration::from_millis(at),
                ))
                .await;
            assert_eq!(r, Ok(()));
        }
        let r = idle.run(std::future::pending::<()>()).await;
        assert_eq!(r, Err(Idle));
        // 100 ms after the last event, not after the start or the first deadline.
        assert_eq!(started.elapsed(), Duration::from_millis(220));
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_just_before_the_limit_passes() {
        let mut idle = IdleTimer::new(Duration::from_millis(100));
        let started = Instant::now();
        let r = idle
            .run(tokio::time::sleep_until(
                started + Duration::from_millis(99),
            ))
            .await;
        assert_eq!(r, Ok(()));
    }
}
