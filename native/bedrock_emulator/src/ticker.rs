//! One clock for every paced stream (`pacing_tick_ms`, `--pacing-tick-ms`): instead of a
//! tokio timer per stream, re-armed per event, a stream waiting for its next event files its
//! task's waker under the tick its pause ends in, and one ticker task wakes every waker
//! that came due in one pass per tick. Each woken stream then writes its own frame (one
//! stream, one connection, one `writev`), stamped at that moment, so the measured latency
//! still starts when the bytes are handed to the kernel.
//!
//! What it changes: a pause ends on the first tick boundary at or after its exact end
//! (tokio's own timers round up to the next millisecond in the same way, so a 1 ms tick
//! paces like the per-stream timers), and the streams due in one tick are written as one
//! burst, as a server's batching and the NIC's interrupt coalescing deliver them too.
//! The ticker runs only while some stream waits.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

pub struct Ticker {
    tick: Duration,
    origin: Instant,
    wheel: Mutex<Wheel>,
}

#[derive(Default)]
struct Wheel {
    /// The last tick fired: a deadline at or before it is due.
    fired: u64,
    /// Wakers by the tick they wait for (a few dozen keys: the longest pause over the tick).
    due: BTreeMap<u64, Vec<Waker>>,
    /// Emptied lists, reused so filing a waker does not allocate.
    spare: Vec<Vec<Waker>>,
    running: bool,
}

fn lock(m: &Mutex<Wheel>) -> std::sync::MutexGuard<'_, Wheel> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ticker {
    /// A ticker of `tick` (at least 1 ms, tokio's timer resolution).
    pub fn new(tick: Duration) -> Arc<Ticker> {
        Arc::new(Ticker {
            tick: tick.max(Duration::from_millis(1)),
            origin: Instant::now(),
            wheel: Mutex::new(Wheel::default()),
        })
    }

    /// The tick in which `at` falls due: the first boundary at or after it.
    pub fn tick_at(&self, at: Instant) -> u64 {
        let nanos = at.saturating_duration_since(self.origin).as_nanos();
        let tick = self.tick.as_nanos();
        nanos.div_ceil(tick) as u64
    }

    /// Ready once tick `due` has fired; otherwise files `cx`'s waker under it (`filed`: it is
    /// filed already, by an earlier poll of the same task, and is not filed twice).
    pub fn poll_due(
        self: &Arc<Self>,
        due: u64,
        filed: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let mut w = lock(&self.wheel);
        if due <= w.fired {
            *filed = false;
            return Poll::Ready(());
        }
        if !*filed {
            let spare = w.spare.pop().unwrap_or_default();
            w.due.entry(due).or_insert(spare).push(cx.waker().clone());
            *filed = true;
        }
        if !w.running {
            w.running = true;
            tokio::spawn(Arc::clone(self).run());
        }
        Poll::Pending
    }

    async fn run(self: Arc<Self>) {
        let next = self.tick_at(Instant::now());
        let first =
            self.origin + Duration::from_nanos((self.tick.as_nanos() as u64).saturating_mul(next));
        let mut interval = tokio::time::interval_at(first, self.tick);
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut firing: Vec<Vec<Waker>> = Vec::new();
        loop {
            interval.tick().await;
            // The tick that has passed now (the interval may fire late on a loaded machine).
            let now = self
                .tick_at(Instant::now() + Duration::from_nanos(1))
                .saturating_sub(1);
            let idle = {
                let mut w = lock(&self.wheel);
                w.fired = w.fired.max(now);
                while let Some(entry) = w.due.first_entry() {
                    if *entry.key() > now {
                        break;
                    }
                    firing.push(entry.remove());
                }
                if w.due.is_empty() {
                    // Checked under the lock: a stream filing after this starts a new ticker.
                    w.running = false;
                }
                !w.running
            };
            for list in firing.iter_mut() {
                for waker in list.drain(..) {
                    waker.wake();
                }
            }
            if !firing.is_empty() {
                let mut w = lock(&self.wheel);
                w.spare.append(&mut firing);
            }
            if idle {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    #[test]
    fn deadlines_round_up_to_the_tick() {
        let t = Ticker::new(Duration::from_millis(4));
        assert_eq!(t.tick_at(t.origin), 0);
        assert_eq!(t.tick_at(t.origin + Duration::from_nanos(1)), 1);
        assert_eq!(t.tick_at(t.origin + Duration::from_millis(4)), 1);
        assert_eq!(t.tick_at(t.origin + Duration::from_micros(4001)), 2);
        // Below tokio's resolution the tick is 1 ms.
        assert_eq!(
            Ticker::new(Duration::from_micros(10)).tick,
            Duration::from_millis(1)
        );
    }

    #[tokio::test]
    async fn wakes_each_waiter_once_its_tick_passed_and_stops_when_idle() {
        let t = Ticker::new(Duration::from_millis(2));
        let start = Instant::now();
        let mut waits = Vec::new();
        for ms in [1u64, 5, 5, 12] {
            let t = Arc::clone(&t);
            waits.push(tokio::spawn(async move {
                let due = t.tick_at(start + Duration::from_millis(ms));
                let mut filed = false;
                poll_fn(|cx| t.poll_due(due, &mut filed, cx)).await;
                start.elapsed()
            }));
        }
        for (w, ms) in waits.into_iter().zip([1u64, 5, 5, 12]) {
            let waited = w.await.unwrap();
            // Never early; late by at most a tick plus scheduling.
            assert!(waited >= Duration::from_millis(ms), "{waited:?} < {ms} ms");
            assert!(waited < Duration::from_millis(ms + 200), "{waited:?}");
        }
        // Nothing waits any more: the ticker task ends.
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!lock(&t.wheel).running);
        assert!(lock(&t.wheel).due.is_empty());
    }
}
