//! Red-team probe: ConverseStream / InvokeModelWithResponseStream bodies from a hostile
//! server on 127.0.0.1 (frames the engine's own event-stream decoder must survive). Every
//! call must end with exactly one terminal event (`collect` asserts it), never a panic, a
//! stack overflow (the whole VM) or a shard held for a long time.

mod common;

use aybiza_core::error::ErrorKind;
use aybiza_engine::{start, Event, Operation};
use common::hostile::*;
use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn frame(event_type: &str, payload: &str) -> Vec<u8> {
    event_frame(event_type, payload.as_bytes())
}

/// A frame with hand-written header bytes (the writer refuses some of what a server may
/// send), with correct prelude and message CRCs.
fn raw_frame(headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = 12 + headers.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// CRC-32 (IEEE), as the event-stream prelude and message checksums use.
fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    let mut crc = !0u32;
    for &b in bytes {
        crc = table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

fn string_header(name: &str, value: &str) -> Vec<u8> {
    let mut h = vec![name.len() as u8];
    h.extend_from_slice(name.as_bytes());
    h.push(7);
    h.extend_from_slice(&(value.len() as u16).to_be_bytes());
    h.extend_from_slice(value.as_bytes());
    h
}

/// How the server sends the body.
#[derive(Clone, Copy)]
enum Send {
    /// One HTTP chunk, then the body's end.
    Whole,
    /// One HTTP chunk per byte (flushed each), then the end.
    ByteByByte,
    /// The bytes, then a TCP reset (SO_LINGER 0) without ending the body.
    Reset,
}

fn serve(body: Vec<u8>, how: Send) -> String {
    serve_each(move |mut conn| answer(&mut conn, &body, how))
}

fn answer(conn: &mut TcpStream, body: &[u8], how: Send) {
    if !read_request(conn) {
        return;
    }
    let _ = conn.write_all(&eventstream_head("hostile-1"));
    conn.set_nodelay(true).ok();
    match how {
        Send::Whole | Send::Reset => {
            let mut out = http_chunk(body);
            if matches!(how, Send::Whole) {
                out.extend_from_slice(BODY_END);
            }
            let _ = conn.write_all(&out);
            if matches!(how, Send::Reset) {
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(50));
                reset(conn);
                return;
            }
        }
        Send::ByteByByte => {
            for b in body {
                let _ = conn.write_all(&http_chunk(&[*b]));
                let _ = conn.flush();
            }
            let _ = conn.write_all(BODY_END);
        }
    }
    let _ = conn.flush();
    hold(conn);
}

fn cfg(url: &str) -> Value {
    static_config(url, json!({"idle": 10_000}))
}

fn start_frames() -> Vec<u8> {
    [
        frame("messageStart", r#"{"role":"assistant"}"#),
        frame(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Hello there. "}}"#,
        ),
    ]
    .concat()
}

fn end_frames() -> Vec<u8> {
    [
        frame("contentBlockStop", r#"{"contentBlockIndex":0}"#),
        frame("messageStop", r#"{"stopReason":"end_turn"}"#),
        frame(
            "metadata",
            r#"{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":5}}"#,
        ),
    ]
    .concat()
}

/// A Converse body: the start, `middle`, the end.
fn converse_body(middle: &[u8]) -> Vec<u8> {
    [start_frames(), middle.to_vec(), end_frames()].concat()
}

fn converse(body: Vec<u8>, how: Send, sdk: bool) -> Vec<Event> {
    let url = serve(body, how);
    run_events(Operation::ConverseStream, &request("hi"), &cfg(&url), sdk)
}

fn texts(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn is_done(events: &[Event]) -> bool {
    matches!(events.last(), Some(Event::Done(_)))
}

#[test]
fn a_frame_split_at_every_byte_decodes_as_one_chunk_does() {
    let body = converse_body(&frame(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"Caf\u00e9 \u2603 ok. "}}"#,
    ));
    let whole = converse(body.clone(), Send::Whole, false);
    let split = converse(body, Send::ByteByByte, false);
    assert!(is_done(&whole), "{whole:?}");
    assert!(is_done(&split), "{split:?}");
    assert_eq!(texts(&whole), "Hello there. Café ☃ ok. ");
    assert_eq!(texts(&split), texts(&whole));
}

#[test]
fn a_reset_mid_frame_is_one_error_terminal() {
    let next = frame(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"More text"}}"#,
    );
    let mut body = start_frames();
    body.extend_from_slice(&next[..next.len() / 2]);
    for sdk in [false, true] {
        let events = converse(body.clone(), Send::Reset, sdk);
        let e = terminal_error(&events);
        assert!(
            matches!(
                e.kind,
                ErrorKind::Connect | ErrorKind::Protocol | ErrorKind::ModelStreamError
            ),
            "sdk {sdk}: {e:?}"
        );
        assert_eq!(texts(&events), "Hello there. ");
    }
}

#[test]
fn a_frame_with_thousands_of_headers_is_refused_at_its_prelude() {
    // 16 MiB of one-letter boolean headers (3 bytes each, ~5.6 M of them): decoded, each
    // is a header struct and a name allocation, some 400 MB and a second of a shard's
    // thread, twice (the SDK's receiver decodes the frame again). The protocol's header
    // block is at most 128 KiB (AWS_EVENT_STREAM_MAX_HEADERS_SIZE, awslabs/aws-c-event-stream
    // include/aws/event-stream/event_stream.h).
    let mut headers = Vec::with_capacity(16 << 20);
    while headers.len() + 3 < (16 << 20) - 64 {
        headers.extend_from_slice(&[1, b'x', 0]);
    }
    let body = converse_body(&raw_frame(&headers, b"{}"));
    let started = Instant::now();
    let events = converse(body, Send::Whole, false);
    let e = terminal_error(&events);
    assert_eq!(e.kind, ErrorKind::Protocol, "{e:?}");
    assert!(e.message.contains("headers"), "{}", e.message);
    assert_eq!(texts(&events), "Hello there. ");
    // Generous: the refusal reads 12 bytes; decoding took seconds in a debug build.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn header_value_types_the_sdk_never_sends_are_not_events() {
    // :message-type and :event-type as every other header type (bool, byte, int16, int32,
    // int64, bytes, timestamp, uuid): no event type the fast path knows; the SDK decides.
    let typed: Vec<Vec<u8>> = vec![
        vec![0],
        vec![1],
        vec![2, 0x7f],
        vec![3, 0, 1],
        vec![4, 0, 0, 0, 1],
        vec![5, 0, 0, 0, 0, 0, 0, 0, 1],
        [vec![6, 0, 5], b"event".to_vec()].concat(),
        vec![8, 0, 0, 0, 0, 0, 0, 0, 1],
        [vec![9], vec![7; 16]].concat(),
    ];
    for value in &typed {
        for name in [":message-type", ":event-type"] {
            let mut headers = Vec::new();
            let mut h = vec![name.len() as u8];
            h.extend_from_slice(name.as_bytes());
            h.extend_from_slice(value);
            headers.extend_from_slice(&h);
            if name == ":event-type" {
                headers.extend_from_slice(&string_header(":message-type", "event"));
            } else {
                headers.extend_from_slice(&string_header(":event-type", "contentBlockDelta"));
            }
            let payload = br#"{"contentBlockIndex":0,"delta":{"text":"X"}}"#;
            eprintln!("case {name} {value:?}");
            let events = converse(
                converse_body(&raw_frame(&headers, payload)),
                Send::Whole,
                false,
            );
            // The odd frame never reaches the text; the call ends once, either way.
            assert_eq!(texts(&events), "Hello there. ", "{name} {value:?}");
            assert!(events.last().unwrap().is_terminal());
        }
    }
    // An unknown header type byte is a protocol error.
    let mut headers = string_header(":message-type", "event");
    headers.extend_from_slice(&[1, b'x', 42]);
    let events = converse(
        converse_body(&raw_frame(&headers, b"{}")),
        Send::Whole,
        false,
    );
    assert_eq!(terminal_error(&events).kind, ErrorKind::Protocol);
}

/// Deltas of the wrong shape, out-of-range numbers, invalid UTF-8: each call ends with one
/// terminal (done or an error), both decoders give the same text.
#[test]
fn payloads_of_the_wrong_shape_end_the_call_once_on_both_paths() {
    let odd: Vec<(&str, Vec<u8>)> = vec![
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":"0","delta":{"text":"a"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":-1,"delta":{"text":"a"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":-2147483648,"delta":{"text":"a"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":2147483647,"delta":{"text":"a"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":2147483648,"delta":{"text":"a"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":1e400,"delta":{"text":"a"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":7}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":null}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":[1,2]}"#.to_vec(),
        ),
        ("contentBlockDelta", br#"[]"#.to_vec()),
        ("contentBlockDelta", br#"null"#.to_vec()),
        ("contentBlockDelta", b"".to_vec()),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":"\ud800"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":"\udc00\ud800x"}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"\xff\xfe\xc3\"}}".to_vec(),
        ),
        (
            "contentBlockDelta",
            b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"\xed\xa0\x80\"}}".to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"toolUse":{"input":5}}}"#.to_vec(),
        ),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"a","signature":"b"}}}"#
                .to_vec(),
        ),
        (
            "contentBlockStart",
            br#"{"contentBlockIndex":-7,"start":{"toolUse":{"toolUseId":"t","name":"n"}}}"#
                .to_vec(),
        ),
        (
            "contentBlockStart",
            br#"{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"","name":""}}}"#.to_vec(),
        ),
        ("contentBlockStop", br#"{"contentBlockIndex":-1}"#.to_vec()),
        (
            "metadata",
            br#"{"usage":{"inputTokens":-5,"outputTokens":-2147483648,"totalTokens":2147483647}}"#
                .to_vec(),
        ),
        (
            "metadata",
            br#"{"usage":{"inputTokens":1e30,"outputTokens":99999999999,"totalTokens":0.5}}"#
                .to_vec(),
        ),
        (
            "metadata",
            br#"{"usage":{"inputTokens":"x"},"metrics":{"latencyMs":-9223372036854775808}}"#
                .to_vec(),
        ),
        (
            "metadata",
            br#"{"metrics":{"latencyMs":18446744073709551615}}"#.to_vec(),
        ),
        ("messageStop", br#"{"stopReason":7}"#.to_vec()),
        ("messageStop", br#"{"stopReason":"\u0000"}"#.to_vec()),
        ("unknownEvent", br#"{"a":1}"#.to_vec()),
        ("initial-response", br#"{}"#.to_vec()),
        ("initial-response", br#"{"a":1}"#.to_vec()),
    ];
    for (event, payload) in &odd {
        let body = converse_body(&event_frame(event, payload));
        let ours = converse(body.clone(), Send::Whole, false);
        let sdk = converse(body, Send::Whole, true);
        let what = format!("{event} {}", String::from_utf8_lossy(payload));
        assert!(ours.last().unwrap().is_terminal(), "{what}");
        assert_eq!(texts(&ours), texts(&sdk), "{what}");
        assert_eq!(
            std::mem::discriminant(ours.last().unwrap()),
            std::mem::discriminant(sdk.last().unwrap()),
            "{what}: {:?} / {:?}",
            ours.last(),
            sdk.last()
        );
    }
}

fn nested(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

#[test]
fn exceptions_and_errors_of_any_shape_end_the_call_once_on_both_paths() {
    let exception = |kind: &str, payload: &[u8]| {
        let mut h = string_header(":message-type", "exception");
        h.extend_from_slice(&string_header(":exception-type", kind));
        h.extend_from_slice(&string_header(":content-type", "application/json"));
        raw_frame(&h, payload)
    };
    let error = |code: &str, message: &str| {
        let mut h = string_header(":message-type", "error");
        h.extend_from_slice(&string_header(":error-code", code));
        h.extend_from_slice(&string_header(":error-message", message));
        raw_frame(&h, b"")
    };
    let odd = vec![
        exception("throttlingException", br#"{"message":"slow down"}"#),
        exception("madeUpException", br#"{"message":"x"}"#),
        exception("validationException", br#"[[[[["#),
        exception(
            "modelStreamErrorException",
            br#"{"message":7,"originalStatusCode":1e99}"#,
        ),
        exception("", b""),
        error("InternalFailure", "boom"),
        error("", ""),
        {
            let h = string_header(":message-type", "exception");
            raw_frame(&h, b"{}")
        },
    ];
    for middle in odd {
        let body = converse_body(&middle);
        let ours = converse(body.clone(), Send::Whole, false);
        let sdk = converse(body, Send::Whole, true);
        let (a, b) = (terminal_error(&ours), terminal_error(&sdk));
        assert_eq!(a.kind, b.kind, "{a:?} / {b:?}");
        assert_eq!(texts(&ours), texts(&sdk));
    }
}

#[test]
fn deeply_nested_json_in_every_event_is_no_stack_overflow() {
    // A stack overflow aborts the process (the whole VM in production). 3,000,000 levels in
    // every place a JSON value can be: the fast path's ignored members, the SDK's unknown
    // members and unions, usage, the guardrail trace.
    let deep = nested(3_000_000);
    let payloads: Vec<(&str, String)> = vec![
        (
            "contentBlockDelta",
            format!(r#"{{"contentBlockIndex":0,"x":{deep},"delta":{{"text":"a"}}}}"#),
        ),
        (
            "contentBlockDelta",
            format!(r#"{{"contentBlockIndex":0,"delta":{{"__type":{deep},"text":"a"}}}}"#),
        ),
        (
            "contentBlockDelta",
            format!(r#"{{"contentBlockIndex":0,"delta":{{"citation":{deep}}}}}"#),
        ),
        (
            "contentBlockDelta",
            format!(
                r#"{{"contentBlockIndex":0,"delta":{{"reasoningContent":{{"__type":{deep},"text":"a"}}}}}}"#
            ),
        ),
        (
            "messageStart",
            format!(r#"{{"role":"assistant","x":{deep}}}"#),
        ),
        (
            "contentBlockStart",
            format!(
                r#"{{"contentBlockIndex":1,"start":{{"toolUse":{{"toolUseId":"t","name":"n","x":{deep}}}}}}}"#
            ),
        ),
        (
            "metadata",
            format!(r#"{{"usage":{{"inputTokens":1,"x":{deep}}}}}"#),
        ),
        (
            "metadata",
            format!(r#"{{"trace":{{"guardrail":{{"modelOutput":{deep}}}}}}}"#),
        ),
        (
            "metadata",
            format!(
                r#"{{"trace":{{"guardrail":{{"inputAssessment":{{"g":{{"topicPolicy":{{"topics":{deep}}}}}}}}}}}}}"#
            ),
        ),
        (
            "metadata",
            format!(r#"{{"trace":{{"promptRouter":{{"invokedModelId":{deep}}}}}}}"#),
        ),
        (
            "messageStop",
            format!(r#"{{"stopReason":"end_turn","additionalModelResponseFields":{deep}}}"#),
        ),
    ];
    for (event, payload) in &payloads {
        let events = converse(converse_body(&frame(event, payload)), Send::Whole, false);
        assert!(events.last().unwrap().is_terminal(), "{event}");
    }
}

#[test]
fn invoke_model_chunks_of_the_wrong_shape_end_the_call_once() {
    use aws_smithy_types::base64::encode as b64;
    let chunk = |json: &[u8]| frame("chunk", &format!(r#"{{"bytes":"{}"}}"#, b64(json)));
    let deep = nested(100_000);
    let odd: Vec<Vec<u8>> = vec![
        chunk(br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi. "}}"#),
        chunk(deep.as_bytes()),
        chunk(format!(r#"{{"type":"message_start","message":{deep}}}"#).as_bytes()),
        chunk(format!(r#"{{"type":"content_block_delta","index":0,"delta":{deep}}}"#).as_bytes()),
        chunk(format!(r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn"}},"usage":{deep}}}"#).as_bytes()),
        chunk(br#"{"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"x"}}"#),
        chunk(br#"{"type":"content_block_delta","index":18446744073709551615,"delta":{"type":"text_delta","text":"x"}}"#),
        chunk(br#"{"type":"message_delta","usage":{"output_tokens":-1,"input_tokens":1e99}}"#),
        chunk(b"\xff\xfe"),
        chunk(b"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xff\"}}"),
        frame("chunk", r#"{"bytes":7}"#),
        frame("chunk", &format!(r#"{{"bytes":"AA==","x":{deep}}}"#)),
    ];
    let req = json!({"model_id": MODEL, "body": {"anthropic_version": "bedrock-2023-05-31",
                     "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}});
    for body in odd {
        for sdk in [false, true] {
            let url = serve(body.clone(), Send::Whole);
            let (sink, rx) = channel_sink();
            let options = aybiza_engine::CallOptions {
                sdk_event_receiver: sdk,
                ..options()
            };
            match start(
                Operation::InvokeModelWithResponseStream,
                &req,
                &cfg(&url),
                options,
                sink,
            ) {
                Ok(_) => {
                    let events = collect(&rx);
                    assert!(events.last().unwrap().is_terminal());
                }
                Err(e) => panic!("start: {e:?}"),
            }
        }
    }
}

#[test]
fn a_new_content_block_per_delta_is_refused_past_4096_open_blocks() {
    // One byte of text at a new index per delta, no block ever stopped: a block and its
    // bookkeeping per byte (300,000 deltas: ~150 MB more at peak than at one index), up to
    // 16 M of them under the 16 MiB answer cap.
    let delta = |index: usize| {
        frame(
            "contentBlockDelta",
            &format!(r#"{{"contentBlockIndex":{index},"delta":{{"text":"x"}}}}"#),
        )
    };
    let open: Vec<u8> = (1..=5_000).flat_map(delta).collect();
    let events = converse(converse_body(&open), Send::Whole, false);
    let e = terminal_error(&events);
    assert_eq!(e.kind, ErrorKind::Protocol);
    assert!(e.message.contains("4096 content blocks"), "{}", e.message);
    // 10,000 blocks opened and stopped one after the other are a normal answer.
    let closed: Vec<u8> = (1..=10_000)
        .flat_map(|i| {
            let mut f = delta(i);
            f.extend(frame(
                "contentBlockStop",
                &format!(r#"{{"contentBlockIndex":{i}}}"#),
            ));
            f
        })
        .collect();
    let events = converse(converse_body(&closed), Send::Whole, false);
    assert!(is_done(&events), "{:?}", events.last());
    assert_eq!(texts(&events).len(), "Hello there. ".len() + 10_000);
}

#[test]
fn bytes_after_the_last_frame_are_an_error_on_both_paths() {
    // After messageStop and metadata: :protocol on both paths, and the engine's message
    // does not claim that messageStop is missing (it arrived).
    for tail in [&b"xy"[..], &[0, 0, 0, 40, 0, 0][..], &[0u8; 20][..]] {
        let mut body = converse_body(b"");
        body.extend_from_slice(tail);
        let ours = converse(body.clone(), Send::Whole, false);
        let sdk = converse(body, Send::Whole, true);
        let e = terminal_error(&ours);
        assert_eq!(e.kind, ErrorKind::Protocol, "{tail:?}: {e:?}");
        assert!(!e.message.contains("before messageStop"), "{tail:?}: {e:?}");
        terminal_error(&sdk);
        assert_eq!(texts(&ours), texts(&sdk));
    }
}

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore]
fn measure_blocks_amplification() {
    let n = 300_000;
    for distinct in [false, true] {
        let mut middle = Vec::new();
        for i in 0..n {
            let index = if distinct { i + 1 } else { 0 };
            middle.extend_from_slice(&frame(
                "contentBlockDelta",
                &format!(r#"{{"contentBlockIndex":{index},"delta":{{"text":"x"}}}}"#),
            ));
        }
        let before = rss_kb();
        let body_len = middle.len();
        let events = converse(converse_body(&middle), Send::Whole, false);
        let after = rss_kb();
        eprintln!(
            "distinct {distinct}: body {} KB, {} events, peak RSS +{} KB",
            body_len / 1024,
            events.len(),
            after - before
        );
    }
}

/// The pages of this shard thread's stack that were ever touched (its high-water mark):
/// the resident size of the `/proc/self/smaps` mapping that holds a local of the caller,
/// with the mapping's size. Stack pages, once touched, stay resident (no swap here; THP is
/// not used for a `MAP_STACK` mapping under `madvise`), so the Rss is the deepest the
/// thread's stack ever went, plus the thread's TLS at the top of the mapping.
fn stack_high_water() -> (usize, usize) {
    let here = 0u8;
    let at = std::ptr::addr_of!(here) as usize;
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
    let mut lines = smaps.lines();
    while let Some(line) = lines.next() {
        let Some((range, _)) = line.split_once(' ') else {
            continue;
        };
        let Some((lo, hi)) = range.split_once('-') else {
            continue;
        };
        let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
        else {
            continue;
        };
        if !(lo..hi).contains(&at) {
            continue;
        }
        for line in lines.by_ref() {
            if let Some(kb) = line.strip_prefix("Rss:") {
                let kb: usize = kb.trim().trim_end_matches("kB").trim().parse().unwrap();
                return (hi - lo, kb * 1024);
            }
        }
    }
    panic!("no mapping holds the stack address {at:#x}");
}

#[test]
fn the_deepest_hostile_json_stays_far_from_the_shard_stack() {
    // Every JSON place of deeply_nested_json_in_every_event_is_no_stack_overflow, on both
    // paths (the engine's decoder and the SDK's receiver, whose deserializers recurse up to
    // their own nesting limits), plus the deepest tool input the engine parses: afterwards no
    // shard thread's stack ever went past a third of its 8 MiB (runtime.rs
    // SHARD_STACK_BYTES). A debug build's frames are the largest; run in release too
    // (`cargo test --release -p aybiza_engine --test probe_hostile_stream the_deepest`).
    let deep = nested(200_000);
    let payloads: Vec<(&str, String)> = vec![
        (
            "contentBlockDelta",
            format!(r#"{{"contentBlockIndex":0,"x":{deep},"delta":{{"text":"a"}}}}"#),
        ),
        (
            "contentBlockDelta",
            format!(r#"{{"contentBlockIndex":0,"delta":{{"__type":{deep},"text":"a"}}}}"#),
        ),
        (
            "contentBlockDelta",
            format!(r#"{{"contentBlockIndex":0,"delta":{{"citation":{deep}}}}}"#),
        ),
        (
            "contentBlockDelta",
            format!(
                r#"{{"contentBlockIndex":0,"delta":{{"reasoningContent":{{"__type":{deep},"text":"a"}}}}}}"#
            ),
        ),
        (
            "messageStart",
            format!(r#"{{"role":"assistant","x":{deep}}}"#),
        ),
        (
            "contentBlockStart",
            format!(
                r#"{{"contentBlockIndex":1,"start":{{"toolUse":{{"toolUseId":"t","name":"n","x":{deep}}}}}}}"#
            ),
        ),
        (
            "metadata",
            format!(r#"{{"usage":{{"inputTokens":1,"x":{deep}}}}}"#),
        ),
        (
            "metadata",
            format!(r#"{{"trace":{{"guardrail":{{"modelOutput":{deep}}}}}}}"#),
        ),
        (
            "messageStop",
            format!(r#"{{"stopReason":"end_turn","additionalModelResponseFields":{deep}}}"#),
        ),
    ];
    // A tool's input as JSON text in deltas, nested just under and far over serde_json's 128.
    let tool = |input: &str| {
        let start = frame(
            "contentBlockStart",
            r#"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"n"}}}"#,
        );
        let delta = frame(
            "contentBlockDelta",
            &json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": input}}}).to_string(),
        );
        let stop = frame("contentBlockStop", r#"{"contentBlockIndex":1}"#);
        [start, delta, stop].concat()
    };
    let mut bodies: Vec<(String, Vec<u8>)> = payloads
        .iter()
        .map(|(event, payload)| (event.to_string(), converse_body(&frame(event, payload))))
        .collect();
    for depth in [127, 10_000] {
        bodies.push((
            format!("tool input {depth}"),
            converse_body(&tool(&nested(depth))),
        ));
    }
    bodies.insert(0, ("plain".to_string(), converse_body(&[])));
    let mut worst = 0;
    for (what, body) in &bodies {
        for sdk in [false, true] {
            let events = converse(body.clone(), Send::Whole, sdk);
            assert!(events.last().unwrap().is_terminal(), "{what} sdk={sdk}");
            let seen = aybiza_engine::runtime::runtime().block_on(
                aybiza_engine::runtime::on_every_shard(|| async { stack_high_water() }),
            );
            let limit = 8 * 1024 * 1024;
            for (shard, r) in seen.into_iter().enumerate() {
                let (size, used) = r.unwrap();
                eprintln!(
                    "{what} sdk={sdk}: shard {shard}: stack high-water {} KiB",
                    used / 1024
                );
                // The mapping is the thread's own (its size, a guard page aside, the stack's).
                assert!(size >= limit && size <= limit + 1024 * 1024, "{size}");
                worst = worst.max(used);
            }
        }
    }
    // Measured (2 shards): debug ~1.8 MiB for a plain call (the SDK send future's
    // unoptimized frames), 2.2 MiB at the deepest (messageStop's additionalModelResponseFields:
    // serde_json's 128 levels of a `Value`); release 340 KiB and 396 KiB. Everything else
    // deep (the SDK's unknown members, tool input past 128 levels) adds nothing.
    assert!(
        worst < 8 * 1024 * 1024 / 3,
        "a shard touched {worst} bytes of its stack"
    );
}

#[test]
fn a_start_at_the_deepest_request_fits_a_dirty_scheduler_stack() {
    // `start_call` runs `aybiza_engine::start` (decode, checks, conversion to SDK types) on a
    // BEAM dirty CPU scheduler, whose stack is much smaller than a shard's: 328 KiB mappings
    // on OTP 25 here (40 kilowords + guard). The request's nesting is capped by
    // `Limits.max_depth` (at most 100); a tool schema, a tool input, a tool result's JSON and
    // additional fields at that depth must start on a thread of that stack, in a debug build
    // too (an overflow aborts the whole test process, as it would the VM). Measured on a
    // plain thread: debug needs 192-256 KiB (a depth-1 request fits 128), release 96-128 KiB:
    // the margin is thin (under 1.7x in debug); see notes/probe5.md.
    let obj = |depth: usize| {
        let mut v = json!("leaf");
        for _ in 0..depth {
            v = json!({ "a": v });
        }
        v
    };
    let deep = obj(92);
    let request = json!({
        "model_id": MODEL,
        "messages": [
            {"role": "user", "content": [{"text": "hi"}]},
            {"role": "assistant", "content": [{"tool_use": {"tool_use_id": "t1", "name": "n", "input": deep}}]},
            {"role": "user", "content": [{"tool_result": {"tool_use_id": "t1", "content": [{"json": deep}]}}]},
        ],
        "inference_config": {"max_tokens": 10},
        "additional_model_request_fields": {"x": deep},
        "tool_config": {"tools": [{"tool_spec": {"name": "n", "description": "d",
                                                 "input_schema": {"json": {"type": "object", "properties": deep}}}}]},
    });
    let url = serve(converse_body(&[]), Send::Whole);
    let config = cfg(&url);
    let started = std::thread::Builder::new()
        .stack_size(320 * 1024)
        .spawn(move || {
            let (sink, rx) = channel_sink();
            let mut options = options();
            options.limits = aybiza_core::limits::Limits::from_value(&json!({"max_depth": 100}))
                .expect("limits");
            let started = start(Operation::ConverseStream, &request, &config, options, sink);
            (started.map(|_| ()), rx)
        })
        .unwrap()
        .join()
        .unwrap();
    let (started, rx) = started;
    started.expect("the deepest accepted request starts");
    assert!(collect(&rx).last().unwrap().is_terminal());
}

/// The events of a call without what depends on timing: the text, sentences, tool uses,
/// stop reason, usage and the terminal (an error's kind and text).
fn outcome(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::FirstToken(_) => None,
            Event::Done(_) => Some("done".to_string()),
            Event::Error(e, _) => Some(format!("error {:?}: {}", e.kind, e.message)),
            other => Some(format!("{other:?}")),
        })
        .collect()
}

/// Payloads next to the plain text delta's byte-matched shape (`plain_text_delta`): each
/// one is either taken by it or goes to serde and then the SDK's unmarshaller, and the call
/// must give exactly the events and the error (kind and text) of the SDK's receiver, sent
/// whole and byte by byte.
#[test]
fn near_misses_of_the_plain_text_delta_end_the_call_as_the_sdk_path_does() {
    let payloads: Vec<&[u8]> = vec![
        br#"{"contentBlockIndex":0,"delta":{"text":"plain"},"p":"abcdefghijklm"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"a\"b"},"p":"x"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"a\u0000b"}}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"\ud83d\ude00 ok"}}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":"a\"b"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":5}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":{"q":[1,{"r":null}]}}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":"a","p":"b"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"contentBlockIndex":0}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"delta":{"text":"y"}}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x","text":"y"}}"#,
        br#"{"contentBlockIndex":00,"delta":{"text":"x"}}"#,
        br#"{"contentBlockIndex":0.0,"delta":{"text":"x"}}"#,
        br#"{"contentBlockIndex":0e0,"delta":{"text":"x"}}"#,
        br#"{"contentBlockIndex":4294967296,"delta":{"text":"x"}}"#,
        br#"{"contentBlockIndex":99999999999,"delta":{"text":"x"}}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"}}}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"#,
        br#"{"contentBlockIndex":"#,
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"tab\there\"}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"del\x7f\"}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\"},\"p\":\"\xff\"}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\"},\"p\":\"\x01\"}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\",\"__type\":\"\xff\"}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\",\"__type\":{\"a\":[\"\xc3\"]}}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"{}\",\"z\":\"\xff\"}}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":\"r\",\"__type\":\"\xfe\"}}}",
        b"{\"\xff\":1,\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\"}}",
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":"\ud800"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":"\x"}"#,
        br#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"\xc3\"}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\"}}\x00",
        b"\xef\xbb\xbf{\"contentBlockIndex\":0,\"delta\":{\"text\":\"bom\"}}",
        b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\"}}\n",
    ];
    let mut differ = Vec::new();
    for payload in payloads {
        let what = String::from_utf8_lossy(payload).into_owned();
        let body = converse_body(&event_frame("contentBlockDelta", payload));
        let sdk = outcome(&converse(body.clone(), Send::Whole, true));
        let ours = outcome(&converse(body.clone(), Send::Whole, false));
        if ours != sdk {
            differ.push(format!("{what}\n  ours {ours:?}\n  sdk  {sdk:?}"));
            continue;
        }
        let split = outcome(&converse(body, Send::ByteByByte, false));
        assert_eq!(split, sdk, "{what} (byte by byte)");
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Frames the engine's slice parser walks (header of every length and type, prelude lengths
/// at and past their limits) end the call with the SDK path's error text.
#[test]
fn frames_the_slice_parser_refuses_get_the_sdk_decoders_error() {
    let mut event = string_header(":message-type", "event");
    event.extend_from_slice(&string_header(":event-type", "contentBlockDelta"));
    let text = br#"{"contentBlockIndex":0,"delta":{"text":"x"}}"#;
    let fix_crcs = |mut f: Vec<u8>| {
        let crc = crc32(&f[..8]);
        f[8..12].copy_from_slice(&crc.to_be_bytes());
        let n = f.len();
        let crc = crc32(&f[..n - 4]);
        f[n - 4..].copy_from_slice(&crc.to_be_bytes());
        f
    };
    let mut odd = Vec::new();
    // Header lengths that end inside a header, inside the payload, at the CRC, past it;
    // 1 (no header fits) and 0 (the headers become payload).
    let good = raw_frame(&event, text);
    for headers_len in [
        0u32,
        1,
        2,
        5,
        event.len() as u32 - 1,
        event.len() as u32 + 1,
    ] {
        let mut f = good.clone();
        f[4..8].copy_from_slice(&headers_len.to_be_bytes());
        odd.push(fix_crcs(f));
    }
    let total = good.len() as u32;
    for h in [total - 16, total - 15, total - 12, total] {
        let mut f = good.clone();
        f[4..8].copy_from_slice(&h.to_be_bytes());
        odd.push(fix_crcs(f));
    }
    // A string header whose length runs past the header block; a name longer than the block;
    // an unknown type; a string value that is not UTF-8.
    let mut long_value = event.clone();
    long_value.extend_from_slice(&[1, b'x', 7, 0x7f, 0xff]);
    odd.push(raw_frame(&long_value, text));
    odd.push(raw_frame(&[200, b'a', b'b'], text));
    let mut unknown = event.clone();
    unknown.extend_from_slice(&[1, b'x', 10]);
    odd.push(raw_frame(&unknown, text));
    let mut bad_utf8 = event.clone();
    bad_utf8.extend_from_slice(&[1, b'x', 7, 0, 2, 0xc3, 0x28]);
    odd.push(raw_frame(&bad_utf8, text));
    let mut bad_name = vec![2, 0xff, 0xfe, 0];
    bad_name.extend_from_slice(&event);
    odd.push(raw_frame(&bad_name, text));
    for middle in odd {
        let body = converse_body(&middle);
        let sdk = converse(body.clone(), Send::Whole, true);
        let ours = converse(body, Send::Whole, false);
        assert_eq!(texts(&ours), texts(&sdk), "{middle:?}");
        // The SDK's receiver says "an event could not be decoded"; the engine gives the
        // SDK decoder's own error (as it did before the slice parser).
        let (a, b) = (terminal_error(&ours), terminal_error(&sdk));
        assert_eq!(a.kind, b.kind, "{middle:?}");
        assert!(
            a.message
                .starts_with("unreadable event stream from Bedrock: "),
            "{}",
            a.message
        );
    }
}

/// An InvokeModel `chunk` whose JSON carries bytes that are not UTF-8 outside `bytes` (an
/// unknown member): the SDK's unmarshaller refuses it, so the engine must too (serde's
/// `from_slice` skips such strings without checking them).
#[test]
fn invoke_chunks_with_invalid_utf8_outside_bytes_end_as_on_the_sdk_path() {
    use aws_smithy_types::base64::encode as b64;
    let text = b64(
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi. "}}"#,
    );
    let odd: Vec<Vec<u8>> = vec![
        format!(r#"{{"bytes":"{text}"}}"#).into_bytes(),
        [
            format!(r#"{{"bytes":"{text}","x":""#).as_bytes(),
            b"\xff\"}",
        ]
        .concat(),
        [
            b"{\"x\":[\"\xc3\"],".as_slice(),
            format!(r#""bytes":"{text}"}}"#).as_bytes(),
        ]
        .concat(),
    ];
    let req = json!({"model_id": MODEL, "body": {"anthropic_version": "bedrock-2023-05-31",
                     "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}});
    for payload in odd {
        let what = String::from_utf8_lossy(&payload).into_owned();
        let body = event_frame("chunk", &payload);
        let run = |sdk: bool| {
            let url = serve(body.clone(), Send::Whole);
            outcome(&run_events(
                Operation::InvokeModelWithResponseStream,
                &req,
                &cfg(&url),
                sdk,
            ))
        };
        assert_eq!(run(false), run(true), "{what}");
    }
}

/// Random mutations of Bedrock's padded text, tool input and reasoning deltas (bytes changed, removed, inserted: quotes,
/// escapes, digits, braces, invalid UTF-8), each sent to a call on the engine's decoder and
/// to one on the SDK's receiver: the same events and error, whichever of the byte-matched
/// path, serde or the SDK's unmarshaller reads it.
#[test]
fn mutated_text_deltas_end_the_call_as_the_sdk_path_does() {
    let seeds: [&[u8]; 3] = [
        br#"{"contentBlockIndex":0,"delta":{"text":"Hi there. "},"p":"abcdefgh"}"#,
        br#"{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"a\": 1}"}},"p":"abcd"}"#,
        br#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Hm. "}},"p":"ab"}"#,
    ];
    let mut next = xorshift(0x5DEE_CE66_D1CE_4E5B);
    let alphabet = b"\"\\{}[]:,01 9\x00\x1f\x7f\xc3\xa9\xff\xed";
    let mut differ = Vec::new();
    for i in 0..450 {
        let mut p = seeds[i % 3].to_vec();
        for _ in 0..(1 + next() % 3) {
            let at = (next() as usize) % p.len();
            let b = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 => p[at] = b,
                1 => {
                    p.remove(at);
                }
                _ => p.insert(at, b),
            }
        }
        let body = converse_body(&event_frame("contentBlockDelta", &p));
        let sdk = outcome(&converse(body.clone(), Send::Whole, true));
        let ours = outcome(&converse(body, Send::Whole, false));
        if ours != sdk {
            differ.push(format!(
                "{}\n  ours {ours:?}\n  sdk  {sdk:?}",
                String::from_utf8_lossy(&p)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Random mutations of an InvokeModel `chunk` (its JSON and base64), on both decoders: the
/// same events and error.
#[test]
fn mutated_invoke_chunks_end_the_call_as_the_sdk_path_does() {
    use aws_smithy_types::base64::encode as b64;
    let inner = b64(
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi. "}}"#,
    );
    let seed = format!(r#"{{"bytes":"{inner}","p":"abcd"}}"#).into_bytes();
    let req = json!({"model_id": MODEL, "body": {"anthropic_version": "bedrock-2023-05-31",
                     "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}});
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let alphabet = b"\"\\{}:,=A/+ \x00\xc3\xff";
    let mut differ = Vec::new();
    for _ in 0..150 {
        let mut p = seed.clone();
        for _ in 0..(1 + next() % 2) {
            let at = (next() as usize) % p.len();
            let b = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 => p[at] = b,
                1 => {
                    p.remove(at);
                }
                _ => p.insert(at, b),
            }
        }
        let body = event_frame("chunk", &p);
        let run = |sdk: bool| {
            let url = serve(body.clone(), Send::Whole);
            outcome(&run_events(
                Operation::InvokeModelWithResponseStream,
                &req,
                &cfg(&url),
                sdk,
            ))
        };
        let (ours, sdk) = (run(false), run(true));
        if ours != sdk {
            differ.push(format!(
                "{}\n  ours {ours:?}\n  sdk  {sdk:?}",
                String::from_utf8_lossy(&p)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
