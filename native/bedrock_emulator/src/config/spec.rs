//! Fault and pacing specs in their compact string form (request headers, binary flags) and
//! the deterministic throttle-share decision.
//!
//! Fault spec: comma-separated items
//!   `throttle`                 ThrottlingException 429 before the stream
//!   `throttle=0.2`             throttle this share of requests (every 5th)
//!   `error=NAME`               before-stream error: exception name, short alias or status
//!   `message=TEXT`             message of that error
//!   `exception=TYPE[@K]`       mid-stream exception frame after K events (default 1)
//!   `reset@K`, `stall@K`       connection reset / stall after K events
//!   `corrupt@K` (`malformed@K`) bad-CRC frame (event stream) or non-JSON data line (SSE)
//!   `truncate@K`               end the response cleanly after K events (no final events)
//!   `rpm=N`, `tpm=N`           throttle above N requests / N tokens per minute (`throttle_above`)
//!   `rate_burst_ms=N`          of that rate, how much may be spent at once (default 60000)
//!   `rate_per=model|instance`  one window per (model, Region) (default) or one for all
//!
//! Pacing spec: comma-separated `first_token_ms=N`, `tps=N`, `delta_chars=N`.

use super::settings::{strip_nulls, Faults, Pacing, RateScope};
use serde_json::Value;

use crate::error::AwsError;

/// Mid-stream exception types Bedrock sends (camelCase, as the SDK's unmarshaller expects).
pub const STREAM_EXCEPTIONS: &[&str] = &[
    "throttlingException",
    "modelStreamErrorException",
    "internalServerException",
    "serviceUnavailableException",
    "validationException",
    "modelTimeoutException",
];

/// Normalizes a mid-stream exception name (`ThrottlingException`, `throttling`, ...).
pub fn stream_exception_type(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    let n = n
        .strip_suffix("exception")
        .unwrap_or(&n)
        .replace(['_', '-'], "");
    let n = match n.as_str() {
        "throttle" | "throttled" => "throttling",
        "modelstream" | "modelstreamerror" | "stream" | "streamerror" => "modelstreamerror",
        "internal" => "internalserver",
        "unavailable" => "serviceunavailable",
        "timeout" => "modeltimeout",
        other => other,
    }
    .to_string();
    STREAM_EXCEPTIONS
        .iter()
        .find(|t| t.to_ascii_lowercase() == format!("{n}exception"))
        .copied()
}

/// Default message of a mid-stream exception.
pub fn stream_exception_message(kind: &str) -> &'static str {
    match kind {
        "throttlingException" => "Too many tokens, please wait before trying again.",
        "modelStreamErrorException" => {
            "The model encountered an error while streaming the response."
        }
        "internalServerException" => {
            "The server encountered an internal error while processing the request."
        }
        "serviceUnavailableException" => "Bedrock is unable to process your request.",
        "validationException" => "The model returned a validation error while streaming.",
        _ => "Model has timed out in processing the request. Try your request again.",
    }
}

fn parse_after(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .map_err(|_| format!("expected an event count, got {s:?}"))
}

/// Parses a fault spec string (see module docs).
pub fn parse_faults(spec: &str) -> Result<Faults, String> {
    let mut f = Faults::default();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = match item.split_once(['=', ':']) {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (item, None),
        };
        let (key, at) = match key.split_once('@') {
            Some((k, a)) => (k, Some(parse_after(a)?)),
            None => (key, None),
        };
        match (key.to_ascii_lowercase().as_str(), value) {
            ("throttle", None) => f.error = Some("ThrottlingException".into()),
            ("throttle" | "throttle_share", Some(v)) => {
                let share: f64 = v.parse().map_err(|_| format!("bad throttle share {v:?}"))?;
                if !(0.0..=1.0).contains(&share) {
                    return Err(format!("throttle share must be in [0, 1], got {share}"));
                }
                f.throttle_share = Some(share);
            }
            ("error" | "status", Some(v)) => {
                AwsError::named(v, None).ok_or_else(|| format!("unknown error {v:?}"))?;
                f.error = Some(v.to_string());
            }
            ("message", Some(v)) => f.error_message = Some(v.to_string()),
            ("exception", Some(v)) => {
                let (kind, after) = match v.split_once('@') {
                    Some((k, a)) => (k, Some(parse_after(a)?)),
                    None => (v, at),
                };
                let kind = stream_exception_type(kind)
                    .ok_or_else(|| format!("unknown stream exception {kind:?}"))?;
                f.exception = Some(kind.to_string());
                f.exception_after = Some(after.unwrap_or(1));
            }
            ("reset", v) => {
                f.reset_after = Some(at.map_or_else(|| v.map_or(Ok(1), parse_after), Ok)?)
            }
            ("stall", v) => {
                f.stall_after = Some(at.map_or_else(|| v.map_or(Ok(1), parse_after), Ok)?)
            }
            ("corrupt" | "malformed", v) => {
                f.corrupt_after = Some(at.map_or_else(|| v.map_or(Ok(1), parse_after), Ok)?)
            }
            ("truncate", v) => {
                f.truncate_after = Some(at.map_or_else(|| v.map_or(Ok(1), parse_after), Ok)?)
            }
            ("rpm" | "requests_per_minute", Some(v)) => {
                f.throttle_above
                    .get_or_insert_with(Default::default)
                    .requests_per_minute = Some(parse_rate(v)?)
            }
            ("tpm" | "tokens_per_minute", Some(v)) => {
                f.throttle_above
                    .get_or_insert_with(Default::default)
                    .tokens_per_minute = Some(parse_rate(v)?)
            }
            ("rate_burst_ms" | "burst_ms", Some(v)) => {
                f.throttle_above
                    .get_or_insert_with(Default::default)
                    .burst_ms = Some(parse_rate(v)?)
            }
            ("rate_per" | "per", Some(v)) => {
                let scope = match v.to_ascii_lowercase().as_str() {
                    "model" => RateScope::Model,
                    "instance" => RateScope::Instance,
                    _ => return Err(format!("rate_per must be model or instance, got {v:?}")),
                };
                f.throttle_above.get_or_insert_with(Default::default).per = Some(scope);
            }
            ("none" | "off", None) => {}
            (other, None) if AwsError::named(other, None).is_some() => f.error = Some(item.into()),
            _ => return Err(format!("unknown fault item {item:?}")),
        }
    }
    f.validate()?;
    Ok(f)
}

fn parse_rate(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a positive integer, got {s:?}")),
    }
}

/// Parses a pacing spec string (see module docs).
pub fn parse_pacing(spec: &str) -> Result<Pacing, String> {
    let mut p = Pacing::default();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item
            .split_once(['=', ':'])
            .ok_or_else(|| format!("expected key=value, got {item:?}"))?;
        let value = value.trim();
        let int = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("bad number in {item:?}"))
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "first_token_ms" | "first_token" | "ttft" | "first_token_delay_ms" => {
                p.first_token_ms = Some(int()?)
            }
            "tps" | "tokens_per_second" => {
                p.tps = Some(
                    value
                        .parse()
                        .map_err(|_| format!("bad number in {item:?}"))?,
                )
            }
            "delta_chars" | "delta" => p.delta_chars = Some(int()?.max(1) as usize),
            "stamp" => p.stamp = Some(int()? != 0),
            _ => return Err(format!("unknown pacing item {item:?}")),
        }
    }
    Ok(p)
}

/// True when request number `n` (1-based, counted per instance among requests with a
/// throttle share) is throttled: exactly floor(n * share) of the first n requests are.
pub fn throttle_hit(n: u64, share: f64) -> bool {
    if share <= 0.0 {
        return false;
    }
    let k = |i: u64| ((i as f64) * share + 1e-9).floor() as u64;
    k(n) > k(n.saturating_sub(1))
}

/// Faults from JSON: an object, a spec string, or null (no faults).
pub fn faults_from_value(v: Value) -> Result<Faults, String> {
    match v {
        Value::String(s) => parse_faults(&s),
        Value::Null => Ok(Faults::default()),
        other => {
            let f: Faults = serde_json::from_value(strip_nulls(other))
                .map_err(|e| format!("invalid faults: {e}"))?;
            f.validate()?;
            Ok(f)
        }
    }
}

pub fn pacing_from_value(v: Value) -> Result<Pacing, String> {
    match v {
        Value::String(s) => parse_pacing(&s),
        Value::Null => Ok(Pacing::default()),
        other => {
            serde_json::from_value(strip_nulls(other)).map_err(|e| format!("invalid pacing: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs() {
        let f = parse_faults("exception=throttlingException@3, reset@5,throttle=0.2").unwrap();
        assert_eq!(f.exception.as_deref(), Some("throttlingException"));
        assert_eq!(f.exception_after, Some(3));
        assert_eq!(f.reset_after, Some(5));
        assert_eq!(f.throttle_share, Some(0.2));
        assert_eq!(
            parse_faults("throttle").unwrap().error.as_deref(),
            Some("ThrottlingException")
        );
        assert_eq!(parse_faults("stall@2").unwrap().stall_after, Some(2));
        assert_eq!(parse_faults("corrupt=4").unwrap().corrupt_after, Some(4));
        assert_eq!(
            parse_faults("error=503").unwrap().error.as_deref(),
            Some("503")
        );
        assert!(parse_faults("explode").is_err());
        assert_eq!(
            stream_exception_type("ModelStreamErrorException"),
            Some("modelStreamErrorException")
        );
    }

    #[test]
    fn rate_limit_specs() {
        let f = parse_faults("rpm=600, tpm=90000, rate_burst_ms=1000, rate_per=instance").unwrap();
        let r = f.throttle_above.unwrap();
        assert_eq!(r.requests_per_minute, Some(600));
        assert_eq!(r.tokens_per_minute, Some(90_000));
        assert_eq!(r.burst_ms(), 1000);
        assert_eq!(r.scope(), RateScope::Instance);
        let r = parse_faults("tpm=5000").unwrap().throttle_above.unwrap();
        assert_eq!(
            (r.requests_per_minute, r.burst_ms(), r.scope()),
            (None, 60_000, RateScope::Model)
        );
        for bad in [
            "rpm=0",
            "rpm=-3",
            "rpm=x",
            "rate_per=node",
            "rate_burst_ms=100",
        ] {
            assert!(parse_faults(bad).is_err(), "{bad}");
        }
        let f = faults_from_value(serde_json::json!({
            "throttle_above": {"requests_per_minute": 60, "per": "model"}
        }))
        .unwrap();
        assert_eq!(f.throttle_above.unwrap().requests_per_minute, Some(60));
        for bad in [
            serde_json::json!({"throttle_above": {}}),
            serde_json::json!({"throttle_above": {"rpm": 0}}),
            serde_json::json!({"throttle_above": {"rpm": 5, "per": "node"}}),
            serde_json::json!({"throttle_above": {"rpm": 5, "window": 3}}),
        ] {
            assert!(faults_from_value(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn pacing_specs() {
        let p = parse_pacing("first_token_ms=200,tps=50,delta_chars=8").unwrap();
        assert_eq!(p.first_token_ms, Some(200));
        assert_eq!(p.tps, Some(50.0));
        assert_eq!(p.delta_chars, Some(8));
    }

    #[test]
    fn throttle_share_is_every_fifth() {
        let hits: Vec<u64> = (1..=10).filter(|n| throttle_hit(*n, 0.2)).collect();
        assert_eq!(hits, vec![5, 10]);
    }
}
