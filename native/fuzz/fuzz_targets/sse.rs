//! Fuzz target for the SSE parser (`aybiza_core::sse`): never panics, respects its memory
//! caps, and the way the body is cut into chunks never changes the events; plus the
//! Messages-API error mapping on whatever an `error` event carries.
//!
//! Input layout: byte 0 seeds the chunk sizes, byte 1 picks small limits (so the cap paths
//! run), the rest is the raw body (invalid UTF-8, lone CRs and BOMs included).
#![no_main]

use aybiza_core::messages::stream_error;
use aybiza_core::sse::{SseEvent, SseLimits, SseParser};
use libfuzzer_sys::fuzz_target;

fn parse(body: &[u8], limits: SseLimits, mut cut: impl FnMut() -> usize) -> (Vec<SseEvent>, bool) {
    let mut parser = SseParser::new(limits);
    let mut out = Vec::new();
    let mut rest = body;
    let mut failed = false;
    while !rest.is_empty() {
        let n = cut().clamp(1, rest.len());
        if parser.push(&rest[..n], &mut out).is_err() {
            failed = true;
            break;
        }
        rest = &rest[n..];
    }
    (out, failed)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut seed = u64::from(data[0]) | 1;
    let limits = if data[1] & 1 == 0 {
        SseLimits::default()
    } else {
        SseLimits {
            max_line_bytes: 1 + usize::from(data[1] >> 1),
            max_event_bytes: 1 + usize::from(data[1] >> 2),
        }
    };
    let body = &data[2..];

    let (whole, whole_failed) = parse(body, limits, || usize::MAX);
    let (chunked, chunked_failed) = parse(body, limits, || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 9) as usize
    });
    // A limit error may come at a different event boundary only if the events before it
    // agree; without an error the events are identical.
    assert_eq!(whole_failed, chunked_failed);
    if !whole_failed {
        assert_eq!(whole, chunked);
    }
    for event in &whole {
        assert!(event.data.len() <= limits.max_event_bytes);
        if event.event == "error" {
            let e = stream_error(&event.data);
            assert!(e.message.chars().count() <= 501);
        }
    }
});
