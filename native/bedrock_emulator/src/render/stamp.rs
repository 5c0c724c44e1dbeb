//! Send-time stamps on text deltas, for delivery-latency benchmarks (`bin/bench`).
//!
//! With pacing `stamp` on (`"stamp": true`, spec `stamp=1`), every ConverseStream text delta
//! is sent with `T<wall-clock µs since the Unix epoch, 16 digits>Z ` in front of its text.
//! The stamp is taken right before the frame is handed to the connection, so a receiver that
//! subtracts it from its own clock (Elixir: `System.os_time(:microsecond)`) measures the
//! delivery latency: HTTP, SDK decoding, our engine and the message to the BEAM process.
//! The stamp starts with a capital letter, so a sentence end before it is still seen.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_eventstream::frame::{read_message_from, write_message_to};
use aws_smithy_types::event_stream::Message;
use bytes::Bytes;
use serde_json::Value;

/// `frame` with the current time stamped into its text delta; `None` for any other frame.
pub fn stamp_frame(frame: &Bytes) -> Option<Bytes> {
    let message = read_message_from(frame.clone()).ok()?;
    let mut payload: Value = serde_json::from_slice(message.payload()).ok()?;
    let text = payload.pointer_mut("/delta/text")?;
    let delta = text.as_str()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_micros();
    *text = Value::String(format!("T{now:016}Z {delta}"));
    let stamped =
        Message::new_from_parts(message.headers().to_vec(), payload.to_string().into_bytes());
    let mut buf = Vec::new();
    write_message_to(&stamped, &mut buf).ok()?;
    Some(Bytes::from(buf))
}

/// An SSE `text_delta` event with the current time stamped into its text; `None` for any
/// other event.
pub fn stamp_sse(frame: &Bytes) -> Option<Bytes> {
    let text = std::str::from_utf8(frame).ok()?;
    let (head, data) = text.split_once("data: ")?;
    let mut payload: Value = serde_json::from_str(data.trim_end()).ok()?;
    if payload.pointer("/delta/type")?.as_str()? != "text_delta" {
        return None;
    }
    let slot = payload.pointer_mut("/delta/text")?;
    let delta = slot.as_str()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_micros();
    *slot = Value::String(format!("T{now:016}Z {delta}"));
    Some(Bytes::from(format!("{head}data: {payload}\n\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::eventstream;
    use serde_json::json;

    #[test]
    fn stamps_text_deltas_only() {
        let delta = eventstream::event(
            "contentBlockDelta",
            &json!({"contentBlockIndex": 0, "delta": {"text": "Hello. "}, "p": "ab"}),
        );
        let stamped = stamp_frame(&delta).expect("a text delta is stamped");
        let msg = read_message_from(stamped).unwrap();
        let v: Value = serde_json::from_slice(msg.payload()).unwrap();
        let text = v["delta"]["text"].as_str().unwrap();
        assert!(
            text.starts_with('T') && text.ends_with("Z Hello. "),
            "{text}"
        );
        let micros: u128 = text[1..17].parse().unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros();
        assert!(micros <= now && now - micros < 60_000_000);
        assert_eq!(msg.headers().len(), 3);

        let start = eventstream::event("messageStart", &json!({"role": "assistant"}));
        assert!(stamp_frame(&start).is_none());
    }

    #[test]
    fn stamp_is_a_pacing_field() {
        let spec = crate::parse_pacing("tps=30,stamp=1").unwrap();
        assert_eq!(spec.stamp, Some(true));
        let json = crate::pacing_from_json(json!({"stamp": true})).unwrap();
        assert_eq!(json.stamp, Some(true));
        // Later layers win field by field; unset keeps the earlier layer's value.
        assert_eq!(json.merged(&crate::Pacing::default()).stamp, Some(true));
        let off = crate::parse_pacing("stamp=0").unwrap();
        assert_eq!(json.merged(&off).stamp, Some(false));
    }
}
