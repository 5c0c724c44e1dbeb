//! `text/event-stream` framing for the Anthropic Messages API: `event: NAME` and one
//! `data: JSON` line per event, a blank line after each.

use bytes::Bytes;
use serde_json::{json, Value};

pub const CONTENT_TYPE: &str = "text/event-stream";

/// One SSE event.
pub fn event(name: &str, data: &Value) -> Bytes {
    // Written through io::Write into one buffer (a stream's every event is built at its
    // start; `format!` with the value's Display is several times slower).
    let mut out = Vec::with_capacity(name.len() + 128);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    if serde_json::to_writer(&mut out, data).is_err() {
        return Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
    }
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// An Anthropic `error` event (`{"type": "error", "error": {"type", "message"}}`).
pub fn error(error_type: &str, message: &str) -> Bytes {
    event(
        "error",
        &json!({"type": "error", "error": {"type": error_type, "message": message}}),
    )
}

/// A malformed copy of an event: its data line cut in the middle of the JSON, so a decoder
/// sees an event whose data does not parse.
pub fn malformed(frame: &Bytes) -> Bytes {
    let text = String::from_utf8_lossy(frame);
    let data_start = text.find("data: ").map_or(0, |i| i + 6);
    let body = text[data_start..].trim_end();
    let cut = data_start + body.len() / 2;
    let mut out = text[..cut.max(data_start + 1).min(text.len())].to_string();
    out.push_str("\n\n");
    Bytes::from(out)
}

/// Anthropic's error type for an AWS status (the `error.type` of error bodies and events).
pub fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    }
}

/// Anthropic's error type for a Bedrock mid-stream exception type.
pub fn stream_error_type(exception: &str) -> &'static str {
    match exception {
        "throttlingException" => "rate_limit_error",
        "serviceUnavailableException" => "overloaded_error",
        "validationException" => "invalid_request_error",
        "modelTimeoutException" => "timeout_error",
        _ => "api_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_malformed_copies() {
        let e = event("ping", &json!({"type": "ping"}));
        assert_eq!(&e[..], b"event: ping\ndata: {\"type\":\"ping\"}\n\n");
        let data = json!({"type": "content_block_delta", "delta": {"text": "caf\u{e9} \"q\"\n"}});
        let e = event("content_block_delta", &data);
        assert_eq!(
            e,
            format!("event: content_block_delta\ndata: {data}\n\n").into_bytes()
        );
        let bad = malformed(&event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "delta": {"text": "Hello there"}}),
        ));
        let text = String::from_utf8(bad.to_vec()).unwrap();
        let data = text.split("data: ").nth(1).unwrap().trim();
        assert!(serde_json::from_str::<Value>(data).is_err(), "{text}");
        assert!(text.ends_with("\n\n"));
        assert_eq!(anthropic_error_type(429), "rate_limit_error");
    }
}
