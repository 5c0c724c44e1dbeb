//! Rate windows for the `throttle_above` fault: one token bucket per scope key (model and
//! Region, or the whole instance) holding requests and tokens. Plain data with time passed
//! in, so tests drive the clock.

use std::collections::HashMap;
use std::time::Instant;

use crate::config::{RateLimit, RateScope};

/// Which rate a throttled request went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Requests,
    Tokens,
}

/// Hard cap on the number of windows kept (one per model and Region in use): past it, the
/// windows idle longest are dropped (a full bucket is what a fresh one would be anyway).
const MAX_WINDOWS: usize = 4096;

#[derive(Debug, Clone)]
struct Window {
    limit: RateLimit,
    requests: f64,
    tokens: f64,
    at: Instant,
}

impl Window {
    fn full(limit: &RateLimit, now: Instant) -> Window {
        Window {
            limit: limit.clone(),
            requests: capacity(limit.requests_per_minute, limit),
            tokens: capacity(limit.tokens_per_minute, limit),
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let ms = now.saturating_duration_since(self.at).as_secs_f64() * 1000.0;
        let refill = |level: f64, per_minute: Option<u64>| {
            let cap = capacity(per_minute, &self.limit);
            let rate = per_minute.unwrap_or(0) as f64 / 60_000.0;
            (level + ms * rate).min(cap)
        };
        self.requests = refill(self.requests, self.limit.requests_per_minute);
        self.tokens = refill(self.tokens, self.limit.tokens_per_minute);
        self.at = self.at.max(now);
    }
}

fn capacity(per_minute: Option<u64>, limit: &RateLimit) -> f64 {
    per_minute.map_or(0.0, |n| n as f64 * limit.burst_ms() as f64 / 60_000.0)
}

/// The windows of one instance.
#[derive(Debug, Default)]
pub struct RateWindows {
    windows: HashMap<String, Window>,
}

impl RateWindows {
    /// Admits or throttles one request of `model_id` signed for `region` under `limit`.
    /// `reserve` is the token count checked (input + max_tokens), `charge` the tokens taken
    /// when admitted (input + output). A changed limit starts its window afresh.
    pub fn admit(
        &mut self,
        limit: &RateLimit,
        model_id: &str,
        region: &str,
        reserve: u64,
        charge: u64,
        now: Instant,
    ) -> Result<(), Exceeded> {
        let key = match limit.scope() {
            RateScope::Model => format!("{model_id}\n{region}"),
            RateScope::Instance => String::new(),
        };
        if !self.windows.contains_key(&key) && self.windows.len() >= MAX_WINDOWS {
            self.evict_oldest();
        }
        let window = self
            .windows
            .entry(key)
            .and_modify(|w| {
                if w.limit != *limit {
                    *w = Window::full(limit, now);
                }
            })
            .or_insert_with(|| Window::full(limit, now));
        window.refill(now);
        if limit.requests_per_minute.is_some() && window.requests < 1.0 {
            return Err(Exceeded::Requests);
        }
        if limit.tokens_per_minute.is_some() {
            // A reservation larger than the bucket passes once the bucket is full, then
            // leaves it in debt: a big request is slow, not impossible.
            let cap = capacity(limit.tokens_per_minute, limit);
            let needed = (reserve as f64).min(cap).max(f64::MIN_POSITIVE);
            if window.tokens < needed {
                return Err(Exceeded::Tokens);
            }
        }
        if limit.requests_per_minute.is_some() {
            window.requests -= 1.0;
        }
        if limit.tokens_per_minute.is_some() {
            window.tokens -= charge as f64;
        }
        Ok(())
    }

    /// Forgets every window (all buckets start full again).
    pub fn clear(&mut self) {
        self.windows.clear();
    }

    fn evict_oldest(&mut self) {
        let mut by_age: Vec<(Instant, String)> = self
            .windows
            .iter()
            .map(|(k, w)| (w.at, k.clone()))
            .collect();
        by_age.sort();
        for (_, key) in by_age.into_iter().take(MAX_WINDOWS / 4) {
            self.windows.remove(&key);
        }
    }
}

/// The Region of a SigV4 `Authorization` header's credential scope
/// (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`); `None` for API-key requests.
pub fn credential_region(authorization: Option<&str>) -> Option<&str> {
    let scope = authorization?.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(2).filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rpm(n: u64, burst_ms: u64) -> RateLimit {
        RateLimit {
            requests_per_minute: Some(n),
            burst_ms: Some(burst_ms),
            ..RateLimit::default()
        }
    }

    #[test]
    fn requests_over_the_rate_are_throttled_and_refill_at_the_rate() {
        let t0 = Instant::now();
        let mut w = RateWindows::default();
        // 600/min with a 1 s burst: 10 at once, then one every 100 ms.
        let limit = rpm(600, 1000);
        let admitted = (0..25)
            .filter(|_| w.admit(&limit, "m", "us-east-1", 0, 0, t0).is_ok())
            .count();
        assert_eq!(admitted, 10);
        assert_eq!(
            w.admit(
                &limit,
                "m",
                "us-east-1",
                0,
                0,
                t0 + Duration::from_millis(95)
            ),
            Err(Exceeded::Requests)
        );
        assert!(w
            .admit(
                &limit,
                "m",
                "us-east-1",
                0,
                0,
                t0 + Duration::from_millis(105)
            )
            .is_ok());
        // Over 10 s at 600/min: the burst + 100, whatever the request pattern.
        let mut w = RateWindows::default();
        let mut ok = 0;
        for ms in (0..10_000).step_by(7) {
            let at = t0 + Duration::from_millis(ms);
            ok += w.admit(&limit, "m", "us-east-1", 0, 0, at).is_ok() as u32;
        }
        assert!((109..=111).contains(&ok), "{ok}");
    }

    #[test]
    fn windows_are_per_model_and_region_unless_per_instance() {
        let t0 = Instant::now();
        let mut w = RateWindows::default();
        let limit = rpm(60, 1000); // one request at once
        assert!(w.admit(&limit, "a", "us-east-1", 0, 0, t0).is_ok());
        assert!(w.admit(&limit, "a", "us-east-1", 0, 0, t0).is_err());
        assert!(w.admit(&limit, "a", "us-west-2", 0, 0, t0).is_ok());
        assert!(w.admit(&limit, "us.a", "us-east-1", 0, 0, t0).is_ok());
        let instance = RateLimit {
            per: Some(RateScope::Instance),
            ..limit.clone()
        };
        assert!(w.admit(&instance, "a", "r", 0, 0, t0).is_ok());
        assert!(w.admit(&instance, "b", "s", 0, 0, t0).is_err());
        // A changed limit starts afresh.
        assert!(w.admit(&rpm(120, 1000), "a", "us-east-1", 0, 0, t0).is_ok());
        w.clear();
        assert!(w.admit(&instance, "b", "s", 0, 0, t0).is_ok());
    }

    #[test]
    fn tokens_check_the_reservation_and_take_the_usage() {
        let t0 = Instant::now();
        let mut w = RateWindows::default();
        // 60 000 tokens/min, 1 s burst: 1000 tokens in the bucket.
        let limit = RateLimit {
            tokens_per_minute: Some(60_000),
            burst_ms: Some(1000),
            ..RateLimit::default()
        };
        // Reserves 900 (fits), uses 300: 700 left.
        assert!(w.admit(&limit, "m", "r", 900, 300, t0).is_ok());
        assert_eq!(
            w.admit(&limit, "m", "r", 800, 100, t0),
            Err(Exceeded::Tokens)
        );
        assert!(w.admit(&limit, "m", "r", 700, 700, t0).is_ok());
        assert_eq!(w.admit(&limit, "m", "r", 1, 1, t0), Err(Exceeded::Tokens));
        // 1 token per ms.
        assert!(w
            .admit(&limit, "m", "r", 50, 50, t0 + Duration::from_millis(55))
            .is_ok());
        // Larger than the bucket: passes when full, leaves a debt.
        let later = t0 + Duration::from_secs(5);
        assert!(w.admit(&limit, "m", "r", 5_000, 3_000, later).is_ok());
        assert_eq!(
            w.admit(&limit, "m", "r", 1, 1, later + Duration::from_millis(1_500)),
            Err(Exceeded::Tokens)
        );
        assert!(w
            .admit(&limit, "m", "r", 1, 1, later + Duration::from_millis(2_010))
            .is_ok());
    }

    #[test]
    fn region_from_the_credential_scope() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20261204/eu-west-1/bedrock/aws4_request, SignedHeaders=host, Signature=ab";
        assert_eq!(credential_region(Some(h)), Some("eu-west-1"));
        assert_eq!(credential_region(Some("Bearer k")), None);
        assert_eq!(credential_region(None), None);
    }
}
