//! `application/vnd.amazon.eventstream` frames, written with aws-smithy-eventstream's frame
//! writer so the framing (prelude, CRCs, header encoding) is the SDK's own.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

fn encode(message: &Message) -> Bytes {
    let mut buf: Vec<u8> = Vec::new();
    // Only fails for headers/payloads over the format's size limits, which we never build.
    match write_message_to(message, &mut buf) {
        Ok(()) => Bytes::from(buf),
        Err(_) => Bytes::new(),
    }
}

fn header(name: &'static str, value: &str) -> Header {
    Header::new(name, HeaderValue::String(value.to_string().into()))
}

/// An event frame (`:message-type` event).
pub fn event(event_type: &str, payload: &serde_json::Value) -> Bytes {
    let message = Message::new_from_parts(
        vec![
            header(":event-type", event_type),
            header(":content-type", "application/json"),
            header(":message-type", "event"),
        ],
        payload.to_string().into_bytes(),
    );
    encode(&message)
}

/// A bidirectional-stream output frame: event `chunk` whose payload is
/// `{"bytes": "<base64 of the event JSON>"}` (BidirectionalOutputPayloadPart).
pub fn chunk(event_json: &[u8]) -> Bytes {
    use base64::Engine;
    // Written directly: base64 needs no JSON escaping (an audio chunk is a few KB).
    let mut payload = String::with_capacity(event_json.len().div_ceil(3) * 4 + 12);
    payload.push_str("{\"bytes\":\"");
    base64::engine::general_purpose::STANDARD.encode_string(event_json, &mut payload);
    payload.push_str("\"}");
    let message = Message::new_from_parts(
        vec![
            header(":event-type", "chunk"),
            header(":content-type", "application/json"),
            header(":message-type", "event"),
        ],
        payload.into_bytes(),
    );
    encode(&message)
}

/// An exception frame (`:message-type` exception) with a `{"message": ...}` payload.
pub fn exception(exception_type: &str, message: &str) -> Bytes {
    let payload = serde_json::json!({ "message": message }).to_string();
    let message = Message::new_from_parts(
        vec![
            header(":exception-type", exception_type),
            header(":content-type", "application/json"),
            header(":message-type", "exception"),
        ],
        payload.into_bytes(),
    );
    encode(&message)
}

/// Flips bits of the trailing message CRC so the decoder rejects the frame.
pub fn corrupt(frame: &Bytes) -> Bytes {
    let mut bytes = frame.to_vec();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0xFF;
    }
    Bytes::from(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    #[test]
    fn frames_round_trip() {
        let frame = event(
            "messageStart",
            &serde_json::json!({"role": "assistant", "p": "abc"}),
        );
        let msg = read_message_from(frame.clone()).unwrap();
        assert_eq!(msg.headers().len(), 3);
        assert!(read_message_from(corrupt(&frame)).is_err());
    }
}
