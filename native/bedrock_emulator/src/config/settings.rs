//! Pacing and fault settings: plain data, layered request header > rule > instance.

use serde::{Deserialize, Serialize};

/// Stream pacing. Unset fields fall back to the next layer (request header > rule > instance).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pacing {
    /// Delay before the first event of a stream (and before a non-stream reply), in ms.
    #[serde(alias = "firstTokenMs", alias = "first_token_delay_ms")]
    pub first_token_ms: Option<u64>,
    /// Output speed; deltas are spaced by `tokens(delta) / tps`. 0 or unset = no delay.
    #[serde(alias = "tokensPerSecond", alias = "tokens_per_second")]
    pub tps: Option<f64>,
    /// Approximate characters per text delta (cut at word boundaries). Default 16.
    #[serde(alias = "deltaChars")]
    pub delta_chars: Option<usize>,
    /// Put the send time in front of each text delta (`T<µs since the epoch>Z `), for
    /// delivery-latency benchmarks (bin/bench). See `stamp.rs`.
    pub stamp: Option<bool>,
}

impl Pacing {
    /// Layers `over` on top of `self`: fields set in `over` win.
    pub fn merged(&self, over: &Pacing) -> Pacing {
        Pacing {
            first_token_ms: over.first_token_ms.or(self.first_token_ms),
            tps: over.tps.or(self.tps),
            delta_chars: over.delta_chars.or(self.delta_chars),
            stamp: over.stamp.or(self.stamp),
        }
    }
}

/// Fault injection. Unset fields fall back to the next layer (request header > rule > instance).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share of requests (0..=1) answered with ThrottlingException 429 before the stream,
    /// chosen deterministically by a per-instance counter (0.2 = every 5th request).
    #[serde(alias = "throttleShare")]
    pub throttle_share: Option<f64>,
    /// Before-stream error for every request: an AWS error name such as
    /// `ThrottlingException` / `ServiceUnavailableException`, or an HTTP status like `503`.
    pub error: Option<String>,
    /// Message of the injected error (default: Bedrock's usual text for that error).
    #[serde(alias = "errorMessage")]
    pub error_message: Option<String>,
    /// Mid-stream exception type (`throttlingException`, `modelStreamErrorException`,
    /// `internalServerException`, `serviceUnavailableException`, `validationException`,
    /// `modelTimeoutException`), sent after `exception_after` events (default 1).
    pub exception: Option<String>,
    #[serde(alias = "exceptionAfter")]
    pub exception_after: Option<usize>,
    /// Abort the connection (TCP reset) after K events.
    #[serde(alias = "resetAfter")]
    pub reset_after: Option<usize>,
    /// Stop sending (connection stays open) after K events.
    #[serde(alias = "stallAfter")]
    pub stall_after: Option<usize>,
    /// Send a frame with a bad message CRC (event stream) or a data line that is not JSON
    /// (SSE) after K events, then end the stream.
    #[serde(alias = "corruptAfter", alias = "malformed_after")]
    pub corrupt_after: Option<usize>,
    /// End the response cleanly after K events, before the stream's last event
    /// (a truncated stream: no `messageStop`/`metadata`, no `message_stop`).
    #[serde(alias = "truncateAfter")]
    pub truncate_after: Option<usize>,
    /// Bedrock's quota throttling: requests over this rate are answered with
    /// ThrottlingException 429 before the stream (see [`RateLimit`]).
    #[serde(alias = "throttleAbove", alias = "rate_limit", alias = "rateLimit")]
    pub throttle_above: Option<RateLimit>,
}

/// What a rate is counted over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateScope {
    /// One window per (model id as requested, signing Region), as Bedrock's quotas are
    /// per model and Region (a cross-Region profile id counts apart from its base id).
    #[default]
    Model,
    /// One window for every request the instance answers.
    Instance,
}

/// A rate above which requests are throttled: a token bucket per [`RateScope`] key that
/// refills at the per-minute rate and holds `burst_ms` worth of it (default 60 000 ms: a
/// full minute's quota may be spent at once, as with a per-minute quota). A request is
/// admitted when the bucket holds one request and its token reservation (input tokens +
/// `max_tokens`, the reservation Bedrock checks at the start of a call; at most the bucket's
/// capacity); it then takes one request and the tokens it really uses (input + output:
/// the emulator knows the reply's length up front, so the reservation is settled at once).
/// Throttled requests take nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    #[serde(alias = "requestsPerMinute", alias = "rpm")]
    pub requests_per_minute: Option<u64>,
    /// Input + output tokens per minute.
    #[serde(alias = "tokensPerMinute", alias = "tpm")]
    pub tokens_per_minute: Option<u64>,
    /// How much of the per-minute rate may be spent at once, in ms of it (default 60 000).
    #[serde(alias = "burstMs")]
    pub burst_ms: Option<u64>,
    /// `model` (default) or `instance`.
    pub per: Option<RateScope>,
}

/// Default burst of a [`RateLimit`]: one minute's worth.
pub const DEFAULT_RATE_BURST_MS: u64 = 60_000;

impl RateLimit {
    /// Checks that at least one rate is set and every value is positive.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |v: Option<u64>| v.is_none_or(|n| n > 0);
        if self.requests_per_minute.is_none() && self.tokens_per_minute.is_none() {
            return Err("throttle_above needs requests_per_minute or tokens_per_minute".into());
        }
        if !positive(self.requests_per_minute)
            || !positive(self.tokens_per_minute)
            || !positive(self.burst_ms)
        {
            return Err("throttle_above values must be positive integers".into());
        }
        Ok(())
    }

    pub fn burst_ms(&self) -> u64 {
        self.burst_ms.unwrap_or(DEFAULT_RATE_BURST_MS)
    }

    pub fn scope(&self) -> RateScope {
        self.per.unwrap_or_default()
    }
}

impl Faults {
    /// Layers `over` on top of `self`: fields set in `over` win.
    pub fn merged(&self, over: &Faults) -> Faults {
        Faults {
            throttle_share: over.throttle_share.or(self.throttle_share),
            error: over.error.clone().or_else(|| self.error.clone()),
            error_message: over
                .error_message
                .clone()
                .or_else(|| self.error_message.clone()),
            exception: over.exception.clone().or_else(|| self.exception.clone()),
            exception_after: over.exception_after.or(self.exception_after),
            reset_after: over.reset_after.or(self.reset_after),
            stall_after: over.stall_after.or(self.stall_after),
            corrupt_after: over.corrupt_after.or(self.corrupt_after),
            truncate_after: over.truncate_after.or(self.truncate_after),
            throttle_above: over
                .throttle_above
                .clone()
                .or_else(|| self.throttle_above.clone()),
        }
    }

    /// Checks values serde cannot (a rate limit with no rate, zero rates).
    pub fn validate(&self) -> Result<(), String> {
        match &self.throttle_above {
            Some(limit) => limit.validate(),
            None => Ok(()),
        }
    }
}

/// Removes null members so `nil` from Elixir means "default".
pub fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(strip_nulls).collect())
        }
        other => other,
    }
}
