//! The same failure gives the same error on every transport: ConverseStream (the engine's
//! frame decoder and the SDK's receiver), InvokeModelWithResponseStream (Anthropic chunks)
//! and the Messages API's SSE, against a scripted server on 127.0.0.1.
//!
//! For each failure the test asserts one reason, phase, retryability and message (up to the
//! transport's name of its last event) on every transport, and whether the text heard before
//! it is in `delivered`. `cargo test -p aybiza_engine --test error_table -- --nocapture`
//! prints the whole table.
//!
//! Bedrock's error texts are the emulator's (`bedrock_emulator::error`, which cites them).

mod common;

use aybiza_core::error::{Error, ErrorKind, Phase};
use aybiza_engine::{Event, Operation};
use bedrock_emulator::error::AwsError;
use common::hostile::*;
use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    Converse,
    ConverseSdk,
    Invoke,
    Messages,
}

const ALL: [Transport; 4] = [
    Transport::Converse,
    Transport::ConverseSdk,
    Transport::Invoke,
    Transport::Messages,
];

const CLAUDE: &str = "us.anthropic.claude-opus-4-7";

/// What the server does after reading the request.
#[derive(Clone)]
enum Act {
    /// Answers the TLS client hello with bytes that are no TLS record, then closes.
    NotTls,
    /// RST before any response byte.
    ResetBeforeHeaders,
    /// Reads the request and never answers.
    Silent,
    /// A response: status, headers, body (one chunk), then what follows it.
    Answer(u16, Vec<(String, String)>, Vec<u8>, Then),
}

#[derive(Clone, Copy)]
enum Then {
    /// The chunked body's end.
    End,
    /// A TCP reset without ending the body.
    Reset,
    /// Nothing more, connection kept open.
    Stall,
}

fn serve(act: Act) -> String {
    serve_each(move |mut conn| answer(&mut conn, act.clone()))
}

fn answer(conn: &mut TcpStream, act: Act) {
    if let Act::NotTls = act {
        let mut hello = [0u8; 512];
        let _ = conn.read(&mut hello);
        let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    if !read_request(conn) {
        return;
    }
    match act {
        Act::NotTls => {}
        Act::ResetBeforeHeaders => reset(conn),
        Act::Silent => hold(conn),
        Act::Answer(status, headers, body, then) => {
            let mut head = format!("HTTP/1.1 {status} X\r\ntransfer-encoding: chunked\r\n");
            for (k, v) in headers {
                head += &format!("{k}: {v}\r\n");
            }
            head += "\r\n";
            let mut out = head.into_bytes();
            if !body.is_empty() {
                out.extend_from_slice(&http_chunk(&body));
            }
            if matches!(then, Then::End) {
                out.extend_from_slice(BODY_END);
            }
            conn.set_nodelay(true).ok();
            let _ = conn.write_all(&out);
            let _ = conn.flush();
            if matches!(then, Then::Reset) {
                std::thread::sleep(Duration::from_millis(50));
                reset(conn);
                return;
            }
            hold(conn);
        }
    }
}

fn exception_frame(exception: &str, message: &str) -> Vec<u8> {
    frame_of(
        &[
            (":message-type", "exception"),
            (":exception-type", exception),
            (":content-type", "application/json"),
        ],
        json!({ "message": message }).to_string().as_bytes(),
    )
}

/// An InvokeModelWithResponseStream `chunk` frame carrying `bytes`.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let payload = json!({ "bytes": aws_smithy_types::base64::encode(bytes) }).to_string();
    event_frame("chunk", payload.as_bytes())
}

fn sse(event: &str, data: &[u8]) -> Vec<u8> {
    [
        format!("event: {event}\ndata: ").as_bytes(),
        data,
        b"\n\n".as_slice(),
    ]
    .concat()
}

/// The Anthropic events before the text and after it (InvokeModel chunks and SSE data).
fn anthropic_start() -> Vec<Value> {
    vec![
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
               "role": "assistant", "content": [], "usage": {"input_tokens": 3, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "Hello there. "}}),
    ]
}

fn anthropic_end() -> Vec<Value> {
    vec![
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
               "usage": {"output_tokens": 4}}),
        json!({"type": "message_stop"}),
    ]
}

fn anthropic_bytes(t: Transport, events: &[Value]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|e| {
            let data = e.to_string();
            match t {
                Transport::Invoke => chunk(data.as_bytes()),
                _ => sse(e["type"].as_str().unwrap(), data.as_bytes()),
            }
        })
        .collect()
}

/// The body's first part: a start and "Hello there. ".
fn start_part(t: Transport) -> Vec<u8> {
    match t {
        Transport::Converse | Transport::ConverseSdk => [
            event_frame("messageStart", br#"{"role":"assistant"}"#),
            event_frame(
                "contentBlockDelta",
                br#"{"contentBlockIndex":0,"delta":{"text":"Hello there. "}}"#,
            ),
        ]
        .concat(),
        _ => anthropic_bytes(t, &anthropic_start()),
    }
}

/// The body's last part: the stop and usage.
fn end_part(t: Transport) -> Vec<u8> {
    match t {
        Transport::Converse | Transport::ConverseSdk => [
            event_frame("contentBlockStop", br#"{"contentBlockIndex":0}"#),
            event_frame("messageStop", br#"{"stopReason":"end_turn"}"#),
            event_frame(
                "metadata",
                br#"{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":5}}"#,
            ),
        ]
        .concat(),
        _ => anthropic_bytes(t, &anthropic_end()),
    }
}

/// A text delta whose payload is `bad` (not JSON, or not UTF-8).
fn bad_event(t: Transport, bad: &[u8]) -> Vec<u8> {
    match t {
        Transport::Converse | Transport::ConverseSdk => event_frame("contentBlockDelta", bad),
        Transport::Invoke => chunk(bad),
        Transport::Messages => sse("content_block_delta", bad),
    }
}

/// A throttling exception mid-stream, as each transport carries it.
fn throttled_event(t: Transport) -> Vec<u8> {
    let message = AwsError::named("ThrottlingException", None)
        .unwrap()
        .message;
    match t {
        Transport::Messages => sse(
            "error",
            json!({"type": "error", "error": {"type": "rate_limit_error", "message": message}})
                .to_string()
                .as_bytes(),
        ),
        _ => exception_frame("throttlingException", &message),
    }
}

fn ok_headers(t: Transport) -> Vec<(String, String)> {
    let ct = match t {
        Transport::Messages => "text/event-stream; charset=utf-8",
        _ => "application/vnd.amazon.eventstream",
    };
    vec![
        ("content-type".into(), ct.into()),
        ("x-amzn-requestid".into(), "table-1".into()),
    ]
}

/// An HTTP error response as Bedrock sends it (`x-amzn-ErrorType` and `{"message"}`).
fn http_error(name: &str) -> Act {
    let e = AwsError::named(name, None).unwrap();
    Act::Answer(
        e.status,
        vec![
            ("content-type".into(), "application/json".into()),
            (
                "x-amzn-errortype".into(),
                format!(
                    "{}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                    e.error_type
                ),
            ),
            ("x-amzn-requestid".into(), "table-err".into()),
        ],
        e.body().into_bytes(),
        Then::End,
    )
}

fn run(t: Transport, url: &str) -> Vec<Event> {
    let cfg = static_config(
        url,
        json!({"idle": 300, "first_byte": 300, "connect": 2000, "total": 20_000}),
    );
    let (op, request) = match t {
        Transport::Converse | Transport::ConverseSdk => (Operation::ConverseStream, request("hi")),
        Transport::Invoke => (
            Operation::InvokeModelWithResponseStream,
            json!({"model_id": CLAUDE, "body": {"anthropic_version": "bedrock-2023-05-31",
                   "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}}),
        ),
        Transport::Messages => (
            Operation::from_name("messages").unwrap(),
            json!({"model_id": CLAUDE,
                   "messages": [{"role": "user", "content": [{"text": "hi"}]}],
                   "inference_config": {"max_tokens": 100}}),
        ),
    };
    run_events(op, &request, &cfg, t == Transport::ConverseSdk)
}

/// A port nothing listens on.
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// The failures, each a server act per transport.
/// A failure's server act per transport (`None`: nothing listens).
type Failure = (&'static str, Box<dyn Fn(Transport) -> Option<Act>>);

fn failures() -> Vec<Failure> {
    let body = |t: Transport, parts: Vec<Vec<u8>>, then: Then| {
        Some(Act::Answer(200, ok_headers(t), parts.concat(), then))
    };
    vec![
        ("connection refused", Box::new(|_| None)),
        ("TLS handshake failure", Box::new(|_| Some(Act::NotTls))),
        (
            "reset before headers",
            Box::new(|_| Some(Act::ResetBeforeHeaders)),
        ),
        ("no first byte", Box::new(|_| Some(Act::Silent))),
        (
            "reset mid-body",
            Box::new(move |t| body(t, vec![start_part(t)], Then::Reset)),
        ),
        (
            "stall mid-body",
            Box::new(move |t| body(t, vec![start_part(t)], Then::Stall)),
        ),
        (
            "ends between events",
            Box::new(move |t| body(t, vec![start_part(t)], Then::End)),
        ),
        (
            "ends inside an event",
            Box::new(move |t| {
                let end = end_part(t);
                body(t, vec![start_part(t), end[..7].to_vec()], Then::End)
            }),
        ),
        (
            "bytes after the last event",
            Box::new(move |t| {
                let tail = match t {
                    Transport::Messages => b"event: ping\ndata: {\"ty".to_vec(),
                    _ => vec![0, 0, 0, 40, 0, 0],
                };
                body(t, vec![start_part(t), end_part(t), tail], Then::End)
            }),
        ),
        (
            "throttling exception mid-stream",
            Box::new(move |t| body(t, vec![start_part(t), throttled_event(t)], Then::End)),
        ),
        (
            "an event that is not JSON",
            Box::new(move |t| {
                body(
                    t,
                    vec![start_part(t), bad_event(t, b"{not json"), end_part(t)],
                    Then::End,
                )
            }),
        ),
        (
            "an event that is not UTF-8",
            Box::new(move |t| {
                body(
                    t,
                    vec![
                        start_part(t),
                        bad_event(t, b"{\"a\":\"\xff\xfe\"}"),
                        end_part(t),
                    ],
                    Then::End,
                )
            }),
        ),
        (
            "HTTP 429 ThrottlingException",
            Box::new(|_| Some(http_error("ThrottlingException"))),
        ),
        (
            "HTTP 429 ModelNotReadyException",
            Box::new(|_| Some(http_error("ModelNotReadyException"))),
        ),
        (
            "HTTP 400 ValidationException",
            Box::new(|_| Some(http_error("ValidationException"))),
        ),
        (
            "HTTP 503 ServiceUnavailableException",
            Box::new(|_| Some(http_error("ServiceUnavailableException"))),
        ),
        (
            "HTTP 500 InternalServerException",
            Box::new(|_| Some(http_error("InternalServerException"))),
        ),
    ]
}

#[derive(Debug)]
struct Row {
    /// `None`: the call ended `Done`.
    kind: Option<ErrorKind>,
    phase: Phase,
    retryable: bool,
    message: String,
    status: Option<u16>,
    delivered: String,
}

fn row(events: &[Event]) -> Row {
    if let Some(Event::Done(summary)) = events.last() {
        return Row {
            kind: None,
            phase: Phase::MidStream,
            retryable: false,
            message: "done".into(),
            status: None,
            delivered: summary.text.clone(),
        };
    }
    let e: Error = terminal_error(events);
    Row {
        kind: Some(e.kind),
        phase: e.phase,
        retryable: e.kind.retryable(),
        // The transports name their last event differently; the rest must agree.
        // A transport may add a detail in parentheses; the message before it must agree.
        message: shape(&e.message),
        status: e.status,
        delivered: e.delivered.map(|d| d.text).unwrap_or_default(),
    }
}

/// The message without the transport's name of its last event and without a trailing
/// `(detail)`.
fn shape(message: &str) -> String {
    let message = match message.find(" (") {
        Some(i) if message.ends_with(')') => &message[..i],
        _ => message,
    };
    message
        .replace("message_stop", "<last event>")
        .replace("messageStop", "<last event>")
}

/// The expected reason and phase of each failure (every transport; mid-stream ones carry
/// "Hello there. " in `delivered`).
fn expected(name: &str) -> (ErrorKind, Phase) {
    use ErrorKind::*;
    use Phase::*;
    match name {
        "connection refused" | "reset before headers" | "TLS handshake failure" => {
            (Connect, BeforeStream)
        }
        "no first byte" => (FirstByteTimeout, BeforeStream),
        "reset mid-body" => (Connect, MidStream),
        "stall mid-body" => (IdleTimeout, MidStream),
        "ends between events" | "ends inside an event" => (ModelStreamError, MidStream),
        "bytes after the last event"
        | "an event that is not JSON"
        | "an event that is not UTF-8" => (Protocol, MidStream),
        "throttling exception mid-stream" => (Throttled, MidStream),
        "HTTP 429 ThrottlingException" => (Throttled, BeforeStream),
        "HTTP 429 ModelNotReadyException" => (ModelNotReady, BeforeStream),
        "HTTP 400 ValidationException" => (Validation, BeforeStream),
        "HTTP 503 ServiceUnavailableException" => (ServiceUnavailable, BeforeStream),
        "HTTP 500 InternalServerException" => (InternalServer, BeforeStream),
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn the_same_failure_gives_the_same_error_on_every_transport() {
    let mut mismatches = Vec::new();
    for (name, act) in failures() {
        let rows: Vec<(Transport, Row)> = ALL
            .iter()
            .map(|&t| {
                let url = match act(t) {
                    None => refused_url(),
                    Some(Act::NotTls) => serve(Act::NotTls).replace("http://", "https://"),
                    Some(a) => serve(a),
                };
                (t, row(&run(t, &url)))
            })
            .collect();
        for (t, r) in &rows {
            println!("{name:36} {t:12?} {r:?}");
        }
        let (kind, phase) = expected(name);
        let (_, first) = &rows[0];
        assert_eq!(first.kind, Some(kind), "{name}: {first:?}");
        assert_eq!(first.phase, phase, "{name}: {first:?}");
        let heard = if phase == Phase::MidStream {
            "Hello there. "
        } else {
            ""
        };
        assert_eq!(first.delivered, heard, "{name}: {first:?}");
        for (t, r) in &rows[1..] {
            let same = r.kind == first.kind
                && r.phase == first.phase
                && r.retryable == first.retryable
                && r.message == first.message
                && r.status == first.status
                && r.delivered == first.delivered;
            if !same {
                mismatches.push(format!("{name}: {t:?} {r:?} vs Converse {first:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
