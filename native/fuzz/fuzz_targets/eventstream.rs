//! Fuzz target for the engine's own event-stream reader (`aybiza_engine`'s eventstream
//! module): the in-place frame parser must accept exactly the frames the SDK's decoder
//! (`aws_smithy_eventstream::frame::read_message_from`) accepts, with the same payload and
//! headers, and report the SDK's error text for the rest; the way the body is cut into HTTP
//! chunks never changes the frames or the error; a prelude that announces more than the
//! protocol's 16 MiB (or a header block over 128 KiB) is refused before anything is buffered
//! for it; and the plain text delta fast path reads what serde reads.
//!
//! Input layout: byte 0 picks how the rest becomes a body (0: raw bytes; 1: one frame built
//! around them with right checksums, byte 2 splitting headers from payload; 2: the rest is a
//! `contentBlockDelta` payload in a real frame; 3: like 1 but the lengths in the prelude are
//! taken from bytes 2..10, checksums still right), byte 1 seeds the chunk sizes.
#![no_main]

use aws_smithy_eventstream::frame::{read_message_from, write_message_to};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use aybiza_engine::eventstream_fuzz as es;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const MAX_FRAME_BYTES: usize = 16 << 20;
const MAX_HEADERS_BYTES: usize = 128 << 10;

fn be32(b: &[u8]) -> usize {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
}

/// A frame around `headers` and `payload` with both checksums right and the given lengths.
fn framed(total: u32, headers_len: u32, headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + headers.len() + payload.len());
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&headers_len.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

fn delta_frame(payload: &[u8]) -> Vec<u8> {
    let message = Message::new(Bytes::copy_from_slice(payload))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String("contentBlockDelta".into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).expect("a small frame");
    out
}

/// The first header `name` as `Frame::header` reads it off the SDK's decoding.
fn sdk_header<'a>(m: &'a Message, name: &str) -> Option<Option<&'a str>> {
    let h = m.headers().iter().find(|h| h.name().as_str() == name)?;
    Some(match h.value() {
        HeaderValue::String(s) => Some(s.as_str()),
        _ => None,
    })
}

fn sdk_event_type(m: &Message) -> Option<String> {
    match sdk_header(m, ":message-type") {
        Some(Some("event")) => sdk_header(m, ":event-type").flatten().map(str::to_string),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut seed = u64::from(data[1]) | 1;
    let rest = &data[2..];
    let body = match data[0] % 4 {
        0 => rest.to_vec(),
        2 => {
            // The fast path against serde on the payload itself, then the payload in a frame.
            let (fast, serde) = es::deltas(rest);
            assert_eq!(fast, serde, "{}", String::from_utf8_lossy(rest));
            if let Some((i, t)) = es::plain_text_delta(rest) {
                assert_eq!(fast, Some(format!("({i}, Text({t:?}))")));
            }
            delta_frame(rest)
        }
        mode => {
            let (lengths, rest) = if mode == 3 && rest.len() >= 8 {
                (Some((be32(rest), be32(&rest[4..]))), &rest[8..])
            } else {
                (None, rest)
            };
            let Some((&split, rest)) = rest.split_first() else {
                return;
            };
            let (headers, payload) = rest.split_at(usize::from(split).min(rest.len()));
            let (total, headers_len) =
                lengths.unwrap_or((16 + headers.len() + payload.len(), headers.len()));
            framed(total as u32, headers_len as u32, headers, payload)
        }
    };

    let (whole, whole_partial, _) = es::cut([&body[..]]);
    let mut pieces = Vec::new();
    let mut left = &body[..];
    while !left.is_empty() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = ((seed % 23) as usize).clamp(1, left.len());
        pieces.push(&left[..n]);
        left = &left[n..];
    }
    let (chunked, chunked_partial, high) = es::cut(pieces.iter().copied());
    assert_eq!(whole, chunked);
    // After an error the call ends: what else was buffered then depends on the chunks.
    if !matches!(whole.last(), Some(Err(_))) {
        assert_eq!(whole_partial, chunked_partial);
    }
    assert!(high <= body.len());

    // Walk the body frame by frame as the SDK's decoder would see it.
    let mut at = 0;
    for cut in &whole {
        let announced = be32(&body[at..]);
        match cut {
            Ok((raw, payload, event_type)) => {
                assert_eq!(raw.as_slice(), &body[at..at + announced]);
                let m = read_message_from(&raw[..])
                    .unwrap_or_else(|e| panic!("the SDK refused a frame taken: {e}"));
                assert_eq!(payload.as_slice(), m.payload().as_ref());
                assert_eq!(*event_type, sdk_event_type(&m));
                if let Some(view) = es::parse_frame(raw) {
                    assert_eq!(view.0, m.payload().as_ref());
                    assert_eq!(view.1, sdk_header(&m, ":message-type"));
                    assert_eq!(view.2, sdk_header(&m, ":event-type"));
                }
                if event_type.as_deref() == Some("contentBlockDelta") {
                    let (fast, serde) = es::deltas(payload);
                    assert_eq!(fast, serde);
                }
                at += announced;
            }
            Err(message) => {
                // Refused at the prelude (the protocol's caps), or the SDK's own error.
                let headers_len = body.get(at + 4..at + 8).map(be32);
                if !(16..=MAX_FRAME_BYTES).contains(&announced) {
                    assert!(message.contains(&format!("a frame of {announced} bytes")));
                } else if headers_len.is_some_and(|h| h > MAX_HEADERS_BYTES) {
                    assert!(message.contains("bytes of headers"), "{message}");
                } else {
                    let raw = &body[at..at + announced];
                    assert!(es::parse_frame(raw).is_none());
                    let e = read_message_from(raw).expect_err("the SDK took a refused frame");
                    assert_eq!(
                        *message,
                        format!("unreadable event stream from Bedrock: {e}")
                    );
                }
                return;
            }
        }
    }
    // No error: whatever is left is a frame not yet whole (or fewer than 4 bytes).
    let left = &body[at..];
    assert_eq!(whole_partial, !left.is_empty());
    if left.len() >= 4 {
        let announced = be32(left);
        assert!((16..=MAX_FRAME_BYTES).contains(&announced) && left.len() < announced);
    }
});
