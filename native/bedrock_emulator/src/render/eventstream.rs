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

/// Limits well inside the format's (header name 255 bytes, header block 128 KiB, payload
/// 16 MiB): frames within them are written directly, others go through the SDK's writer.
const DIRECT_HEADERS_MAX: usize = 64 * 1024;
const DIRECT_PAYLOAD_MAX: usize = 8 * 1024 * 1024;

/// A message with string headers, written in one pass into a buffer of its exact size: the
/// bytes aws-smithy-eventstream's `write_message_to` writes (tested), without building a
/// `Message` (a `String` per header) or growing the buffer. Every stream frame is built
/// here, each stream's whole plan at its start, so on a paced benchmark with thousands of
/// streams this is most of the emulator's CPU per event.
pub(crate) fn frame(headers: &[(&'static str, &str)], payload: &[u8]) -> Bytes {
    let headers_len: usize = headers.iter().map(|(n, v)| 4 + n.len() + v.len()).sum();
    let direct = headers_len <= DIRECT_HEADERS_MAX
        && payload.len() <= DIRECT_PAYLOAD_MAX
        && headers
            .iter()
            .all(|(n, v)| n.len() <= 255 && v.len() <= u16::MAX as usize);
    if !direct {
        let headers = headers.iter().map(|(n, v)| header(n, v)).collect();
        return encode(&Message::new_from_parts(headers, payload.to_vec()));
    }
    let total = 12 + headers_len + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(headers_len as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    for (name, value) in headers {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        // Header value type 7: string, u16 length.
        out.push(7);
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    Bytes::from(out)
}

/// JSON bytes of a value (serde_json's `to_vec`: the bytes of `to_string`, written
/// through `io::Write` rather than `fmt`).
fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| value.to_string().into_bytes())
}

/// An event frame (`:message-type` event).
pub fn event(event_type: &str, payload: &serde_json::Value) -> Bytes {
    frame(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        &json_bytes(payload),
    )
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
    frame(
        &[
            (":event-type", "chunk"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.as_bytes(),
    )
}

/// An exception frame (`:message-type` exception) with a `{"message": ...}` payload.
pub fn exception(exception_type: &str, message: &str) -> Bytes {
    frame(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        &json_bytes(&serde_json::json!({ "message": message })),
    )
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

    /// The direct writer gives the SDK writer's bytes, at the edges of its limits too.
    #[test]
    fn direct_frames_are_the_sdk_writers_bytes() {
        let sdk = |headers: &[(&'static str, &str)], payload: &[u8]| {
            let headers = headers.iter().map(|(n, v)| header(n, v)).collect();
            encode(&Message::new_from_parts(headers, payload.to_vec()))
        };
        let long = "v".repeat(u16::MAX as usize);
        let big = vec![b'x'; DIRECT_PAYLOAD_MAX + 1];
        type Case<'a> = (Vec<(&'static str, &'a str)>, &'a [u8]);
        let cases: Vec<Case> = vec![
            (vec![], b""),
            (
                vec![(":event-type", "messageStart")],
                br#"{"role":"assistant"}"#,
            ),
            (
                vec![
                    (":event-type", "contentBlockDelta"),
                    (":content-type", "application/json"),
                    (":message-type", "event"),
                ],
                "{\"delta\":{\"text\":\"caf\u{e9}\"}}".as_bytes(),
            ),
            (vec![(":event-type", long.as_str())], b"{}"),
            (vec![(":event-type", "chunk")], &big),
        ];
        for (headers, payload) in cases {
            let direct = frame(&headers, payload);
            assert_eq!(
                direct,
                sdk(&headers, payload),
                "{:?}",
                &headers.first().map(|h| h.0)
            );
            // (The reader has its own, smaller limits; the long cases are only compared.)
            if payload.len() < 1024 && headers.iter().all(|(_, v)| v.len() < 256) {
                assert!(read_message_from(direct).is_ok());
            }
        }
        // Over the format's header limit: the SDK's writer decides (it refuses).
        let too_long = "v".repeat(DIRECT_HEADERS_MAX);
        let headers = [(":a", too_long.as_str()), (":b", too_long.as_str())];
        assert_eq!(frame(&headers, b"{}"), sdk(&headers, b"{}"));
        let payload =
            serde_json::json!({"contentBlockIndex": 0, "delta": {"text": "a\"b"}, "p": "xy"});
        assert_eq!(json_bytes(&payload), payload.to_string().into_bytes());
    }

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
