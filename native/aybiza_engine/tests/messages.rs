//! The Messages-API transport against a scripted HTTP/1.1 server on 127.0.0.1 that answers
//! with exact bytes (SSE split anywhere, errors mid-stream, cut-off connections), and records
//! what the engine sent (path, headers, body).

mod common;

use aybiza_core::error::{ErrorKind, Phase};
use aybiza_engine::{Event, Operation};
use common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OPUS: &str = "us.anthropic.claude-opus-4-7";

/// What the server answers: a status line's code, headers, then body pieces written one by
/// one (chunked), with a pause before each; `cut` drops the connection instead of ending.
#[derive(Clone)]
struct Script {
    status: u16,
    headers: Vec<(&'static str, String)>,
    pieces: Vec<Vec<u8>>,
    pause: Duration,
    cut: bool,
}

impl Script {
    fn sse(body: &str, piece_len: usize) -> Script {
        Script {
            status: 200,
            headers: vec![
                ("content-type", "text/event-stream; charset=utf-8".into()),
                ("x-amzn-requestid", "req-123".into()),
            ],
            pieces: body
                .as_bytes()
                .chunks(piece_len)
                .map(<[u8]>::to_vec)
                .collect(),
            pause: Duration::ZERO,
            cut: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn serve(script: Script) -> Server {
    serve_with(move |_| script.clone())
}

/// A server whose answer depends on the request (e.g. its path).
fn serve_with(answer: impl Fn(&Seen) -> Script + Send + Sync + 'static) -> Server {
    let answer = Arc::new(answer);
    let rt = aybiza_engine::runtime::runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    rt.spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let answer = answer.clone();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let Some(req) = read_request(&mut sock).await else {
                    return;
                };
                let script = answer(&req);
                seen.lock().unwrap().push(req);
                let mut head = format!("HTTP/1.1 {} X\r\n", script.status);
                for (k, v) in &script.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("transfer-encoding: chunked\r\n\r\n");
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for p in &script.pieces {
                    tokio::time::sleep(script.pause).await;
                    let chunk = [format!("{:x}\r\n", p.len()).as_bytes(), p, b"\r\n"].concat();
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                if !script.cut {
                    let _ = sock.write_all(b"0\r\n\r\n").await;
                }
                let _ = sock.flush().await;
            });
        }
    });
    Server { url, seen }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or(Value::Null);
    Some(Seen {
        path,
        headers,
        body,
    })
}

fn sse_event(name: &str, data: Value) -> String {
    format!("event: {name}\r\ndata: {data}\r\n\r\n")
}

/// A full Anthropic stream: thinking, two sentences of text, a tool call, usage.
fn full_stream() -> String {
    let mut s = String::new();
    s += &sse_event(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
            "role": "assistant", "model": "claude-opus-4-7", "content": [],
            "usage": {"input_tokens": 25, "cache_read_input_tokens": 3,
                      "cache_creation_input_tokens": 0, "output_tokens": 1}}}),
    );
    s += &sse_event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0,
                            "content_block": {"type": "thinking", "thinking": ""}}),
    );
    s += &sse_event(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Check the order."}}),
    );
    s += &sse_event(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "signature_delta", "signature": "sig=="}}),
    );
    s += &sse_event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    );
    s += ": keep-alive comment\r\n\r\n";
    s += &sse_event("ping", json!({"type": "ping"}));
    s += &sse_event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 1,
                            "content_block": {"type": "text", "text": ""}}),
    );
    for t in [
        "Your order ",
        "shipped today. ",
        "It arrives ",
        "on Friday.",
    ] {
        s += &sse_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "text_delta", "text": t}}),
        );
    }
    s += &sse_event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 1}),
    );
    s += &sse_event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "track", "input": {}}}),
    );
    for p in ["{\"order\":", " \"A-1\"}"] {
        s += &sse_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": p}}),
        );
    }
    s += &sse_event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 2}),
    );
    s += &sse_event(
        "message_delta",
        json!({"type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"output_tokens": 40}}),
    );
    s += &sse_event("message_stop", json!({"type": "message_stop"}));
    s
}

fn msg_request() -> Value {
    json!({"model_id": OPUS, "system": "Be brief.",
           "messages": [{"role": "user", "content": [{"text": "Where is my order?"}]}],
           "inference_config": {"max_tokens": 300},
           "tool_config": {"tools": [{"tool_spec": {"name": "track",
               "input_schema": {"json": {"type": "object"}}}}]}})
}

fn start(op: &str, server: &Server, creds: Value, timeouts: Value) -> Vec<Event> {
    let cfg = json!({"region": "us-west-2", "endpoint": server.url, "credentials": creds,
                     "timeouts": timeouts});
    let (sink, rx) = channel_sink();
    aybiza_engine::start(
        Operation::from_name(op).unwrap(),
        &msg_request(),
        &cfg,
        options(),
        sink,
    )
    .unwrap();
    collect(&rx)
}

fn static_creds() -> Value {
    json!({"type": "static", "access_key_id": "AKIDEXAMPLE", "secret_access_key": "s3cr3t"})
}

#[test]
fn runtime_stream_with_sigv4_sentences_thinking_tool_and_usage() {
    // 7-byte pieces: every line end, event boundary and multi-byte split is exercised.
    let server = serve(Script::sse(&full_stream(), 7));
    let events = start("messages", &server, static_creds(), json!({}));

    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, "/anthropic/v1/messages");
    let auth = seen.header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && auth.contains("/us-west-2/bedrock/aws4_request"),
        "{auth}"
    );
    assert!(!auth.contains("s3cr3t"));
    assert!(seen.header("x-amz-date").is_some());
    assert_eq!(seen.body["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(seen.body["model"], OPUS);
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["max_tokens"], 300);
    assert_eq!(seen.body["tools"][0]["name"], "track");

    assert_eq!(events[0], Event::MessageStart);
    assert!(events.contains(&Event::ThinkingStarted));
    assert!(events.contains(&Event::Thinking("Check the order.".into())));
    assert_eq!(
        sentences(&events),
        vec![
            (0, "Your order shipped today.".to_string()),
            (1, "It arrives on Friday.".to_string())
        ]
    );
    assert!(events.contains(&Event::ToolUse {
        id: "toolu_1".into(),
        name: "track".into(),
        input: json!({"order": "A-1"})
    }));
    assert!(events.contains(&Event::StopReason("tool_use".into())));
    let Some(Event::Done(summary)) = events.last() else {
        panic!("expected done, got {:?}", events.last())
    };
    let usage = summary.usage.clone().unwrap();
    assert_eq!(
        (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_input_tokens
        ),
        (25, 40, 3)
    );
    assert_eq!(usage.total_tokens, 25 + 40 + 3);
    assert!(!summary.usage_estimated);
    assert_eq!(summary.request_id.as_deref(), Some("req-123"));
    assert_eq!(summary.model_id, OPUS);
    assert_eq!(
        summary.text,
        "Your order shipped today. It arrives on Friday."
    );
    assert_eq!(
        summary.content,
        vec![
            json!({"reasoning_content": {"text": "Check the order.", "signature": "sig=="}}),
            json!({"text": "Your order shipped today. It arrives on Friday."}),
            json!({"tool_use": {"tool_use_id": "toolu_1", "name": "track",
                                "input": {"order": "A-1"}}}),
        ]
    );
    assert!(summary.timings.first_sentence_us.is_some());
}

#[test]
fn mantle_with_api_key_and_with_sigv4() {
    let server = serve(Script::sse(&full_stream(), 4096));
    let events = start(
        "messages_mantle",
        &server,
        json!({"type": "api_key", "api_key": "bedrock-api-key-XYZ"}),
        json!({}),
    );
    assert!(matches!(events.last(), Some(Event::Done(_))));
    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.header("x-api-key"), Some("bedrock-api-key-XYZ"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.body["model"], "anthropic.claude-opus-4-7");
    assert!(seen.body.get("anthropic_version").is_none());

    let events = start("messages_mantle", &server, static_creds(), json!({}));
    assert!(matches!(events.last(), Some(Event::Done(_))));
    let seen = server.seen.lock().unwrap()[1].clone();
    let auth = seen.header("authorization").unwrap();
    assert!(
        auth.contains("/us-west-2/bedrock-mantle/aws4_request"),
        "{auth}"
    );

    // bedrock-runtime takes an API key as a bearer token.
    start(
        "messages",
        &server,
        json!({"type": "api_key", "api_key": "k1"}),
        json!({}),
    );
    let seen = server.seen.lock().unwrap()[2].clone();
    assert_eq!(seen.header("authorization"), Some("Bearer k1"));
}

fn first_half() -> String {
    let full = full_stream();
    let cut = full
        .find("event: content_block_stop\r\ndata: {\"index\":1")
        .unwrap();
    full[..cut].to_string()
}

#[test]
fn error_event_mid_stream_is_one_terminal_with_what_was_delivered() {
    let body = first_half()
        + &sse_event(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        );
    let server = serve(Script::sse(&body, 64));
    let events = start("messages", &server, static_creds(), json!({}));
    let e = terminal_error(&events);
    assert_eq!(e.kind, ErrorKind::ServiceUnavailable);
    assert_eq!(e.code.as_deref(), Some("overloaded_error"));
    assert_eq!(e.phase, Phase::MidStream);
    let delivered = e.delivered.unwrap();
    assert_eq!(
        delivered.text,
        "Your order shipped today. It arrives on Friday."
    );
    assert_eq!(e.request_id.as_deref(), Some("req-123"));
    let Some(Event::Error(_, Some(summary))) = events.last() else {
        panic!()
    };
    assert!(summary.usage_estimated);
}

#[test]
fn truncated_and_malformed_streams() {
    // The connection drops in the middle of the body.
    let mut script = Script::sse(&first_half(), 50);
    script.cut = true;
    let server = serve(script);
    // `:connect` as on ConverseStream (tests/error_table.rs); before: `:model_stream_error`.
    let e = terminal_error(&start("messages", &server, static_creds(), json!({})));
    assert_eq!(e.kind, ErrorKind::Connect);
    assert!(
        e.message.starts_with("the connection to Bedrock broke off"),
        "{e:?}"
    );
    assert_eq!(e.phase, Phase::MidStream);
    assert!(!e.delivered.unwrap().text.is_empty());

    // The body ends cleanly but message_stop never came.
    let server = serve(Script::sse(&first_half(), 50));
    let e = terminal_error(&start("messages", &server, static_creds(), json!({})));
    assert_eq!(e.kind, ErrorKind::ModelStreamError);
    assert!(e.message.contains("message_stop"), "{}", e.message);

    // Data that is not JSON.
    let body = sse_event("message_start", json!({"type": "message_start"}))
        + "event: content_block_delta\ndata: {not json\n\n";
    let server = serve(Script::sse(&body, 9));
    let e = terminal_error(&start("messages", &server, static_creds(), json!({})));
    assert_eq!(e.kind, ErrorKind::Protocol);
    assert_eq!(e.phase, Phase::MidStream);

    // A line without end, longer than the parser's cap.
    let body = "data: ".to_string() + &"x".repeat(1 << 21);
    let server = serve(Script::sse(&body, 1 << 16));
    let e = terminal_error(&start("messages", &server, static_creds(), json!({})));
    assert_eq!(e.kind, ErrorKind::Protocol);
    assert!(e.message.contains("longer than"), "{}", e.message);

    // Not an event stream at all.
    let mut script = Script::sse("{\"type\":\"message\"}", 100);
    script.headers[0].1 = "application/json".into();
    let server = serve(script);
    let e = terminal_error(&start("messages", &server, static_creds(), json!({})));
    assert_eq!(e.kind, ErrorKind::Protocol);
    assert_eq!(e.phase, Phase::BeforeStream);
}

#[test]
fn http_errors_map_to_reasons() {
    let mut script = Script::sse(
        "{\"message\":\"Invocation of model ID anthropic.claude-opus-4-7 with on-demand throughput isn't supported.\"}",
        1000,
    );
    script.status = 400;
    script.headers = vec![
        (
            "x-amzn-errortype",
            "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/".into(),
        ),
        ("x-amzn-requestid", "req-400".into()),
        ("content-type", "application/json".into()),
    ];
    let server = serve(script);
    let e = terminal_error(&start("messages", &server, static_creds(), json!({})));
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
    assert!(e.message.contains("on-demand throughput"));
    assert_eq!(e.request_id.as_deref(), Some("req-400"));
    assert_eq!(e.phase, Phase::BeforeStream);

    let mut script = Script::sse(
        "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Too many tokens\"}}",
        1000,
    );
    script.status = 429;
    script.headers = vec![("content-type", "application/json".into())];
    let server = serve(script);
    let e = terminal_error(&start(
        "messages_mantle",
        &server,
        static_creds(),
        json!({}),
    ));
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert!(e.retryable());
}

#[test]
fn idle_timeout_and_cancel() {
    let mut script = Script::sse(&full_stream(), 200);
    script.pause = Duration::from_millis(400);
    let server = serve(script.clone());
    let e = terminal_error(&start(
        "messages",
        &server,
        static_creds(),
        json!({"idle": 150}),
    ));
    assert_eq!(e.kind, ErrorKind::IdleTimeout);

    script.pause = Duration::from_millis(50);
    let server = serve(script);
    let cfg = json!({"region": "us-west-2", "endpoint": server.url, "credentials": static_creds()});
    let (sink, rx) = channel_sink();
    let handle = aybiza_engine::start(
        Operation::from_name("messages").unwrap(),
        &msg_request(),
        &cfg,
        options(),
        sink,
    )
    .unwrap();
    loop {
        if let Ok(Event::MessageStart) = rx.recv_timeout(Duration::from_secs(5)) {
            break;
        }
    }
    handle.cancel();
    let e = terminal_error(&collect(&rx));
    assert_eq!(e.kind, ErrorKind::Cancelled);
}

#[test]
fn bad_requests_fail_before_any_network() {
    let cfg = json!({"region": "us-west-2", "endpoint": "http://127.0.0.1:9"});
    let mut req = msg_request();
    req["messages"][0]["content"] =
        json!([{"document": {"format": "docx", "name": "d", "bytes": "x"}}]);
    let (sink, _rx) = channel_sink();
    let e = aybiza_engine::start(
        Operation::from_name("messages").unwrap(),
        &req,
        &cfg,
        options(),
        sink,
    )
    .err()
    .unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    let mut req = msg_request();
    req["guardrail_config"] = json!({"guardrail_identifier": "g", "guardrail_version": "1"});
    let (sink, _rx) = channel_sink();
    let e = aybiza_engine::start(
        Operation::from_name("messages_mantle").unwrap(),
        &req,
        &cfg,
        options(),
        sink,
    )
    .err()
    .unwrap();
    assert!(e.message.starts_with("guardrail_config"), "{}", e.message);
}

#[test]
fn messages_count_tokens() {
    let mut script = Script::sse("{\"input_tokens\": 42}", 1000);
    script.headers = vec![("content-type", "application/json".into())];
    let server = serve(script);
    let events = start("messages_count_tokens", &server, static_creds(), json!({}));
    let Some(Event::Done(summary)) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(summary.body, Some(json!({"input_tokens": 42})));
    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, "/anthropic/v1/messages/count_tokens");
    assert!(seen.body.get("max_tokens").is_none());
    assert!(seen.body.get("stream").is_none());
    assert_eq!(seen.body["system"][0]["text"], "Be brief.");
}

#[test]
fn exact_token_counts_for_an_interrupted_stream() {
    let server = serve_with(|req| {
        if req.path.ends_with("/count_tokens") {
            let mut s = Script::sse("{\"input_tokens\": 77}", 100);
            s.headers = vec![("content-type", "application/json".into())];
            s
        } else {
            let mut s = Script::sse(&first_half(), 40);
            s.cut = true;
            s
        }
    });
    let cfg = json!({"region": "us-west-2", "endpoint": server.url, "credentials": static_creds()});
    for exact in [false, true] {
        let (sink, rx) = channel_sink();
        let opts = aybiza_engine::CallOptions {
            exact_token_counts: exact,
            ..options()
        };
        aybiza_engine::start(
            Operation::from_name("messages").unwrap(),
            &msg_request(),
            &cfg,
            opts,
            sink,
        )
        .unwrap();
        let events = collect(&rx);
        let Some(Event::Error(e, Some(summary))) = events.last() else {
            panic!("{events:?}")
        };
        // A cut connection: `:connect` (as on ConverseStream).
        assert_eq!(e.kind, ErrorKind::Connect);
        assert!(summary.usage_estimated);
        assert_eq!(summary.input_tokens_exact, exact);
        if exact {
            assert_eq!(summary.request_input_tokens, 77);
        } else {
            assert_ne!(summary.request_input_tokens, 77);
            assert!(summary.request_input_tokens > 0);
        }
    }
    let paths: Vec<String> = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "/anthropic/v1/messages",
            "/anthropic/v1/messages",
            "/anthropic/v1/messages/count_tokens"
        ]
    );
}

// --- against the emulator's Messages-API routes ----------------------------------------

const REPLY: &str = "Thanks for calling. Dr. Smith is in at 10:30 a.m. tomorrow. Anything else?";

fn emulator_with_key() -> bedrock_emulator::Emulator {
    let cfg = bedrock_emulator::EmulatorConfig {
        rules: vec![
            rule(json!({"prompt_contains": "hours", "reply": REPLY})),
            rule(json!({"prompt_contains": "think", "reply": "Done.",
                        "thinking": "Let me think."})),
            rule(json!({"prompt_contains": "order", "reply": "Let me check.",
                        "tool_uses": [{"name": "track", "input": {"order": "A-1"}}]})),
            rule(json!({"prompt_contains": "overload", "reply": REPLY,
                        "faults": {"exception": "serviceUnavailableException",
                                   "exception_after": 5}})),
            rule(json!({"prompt_contains": "truncate", "reply": REPLY,
                        "faults": {"truncate_after": 5}})),
            rule(json!({"prompt_contains": "malformed", "reply": REPLY,
                        "faults": {"corrupt_after": 4}})),
        ],
        api_key: Some("emulator-api-key".into()),
        ..bedrock_emulator::EmulatorConfig::default()
    };
    aybiza_engine::runtime::runtime()
        .block_on(bedrock_emulator::Emulator::start(cfg))
        .expect("emulator starts")
}

fn emu_request(model: &str, prompt: &str) -> Value {
    json!({"model_id": model,
           "messages": [{"role": "user", "content": [{"text": prompt}]}],
           "inference_config": {"max_tokens": 512},
           "tool_config": {"tools": [{"tool_spec": {"name": "track",
               "input_schema": {"json": {"type": "object"}}}}]}})
}

fn emu_call(op: &str, request: &Value, cfg: &Value) -> Vec<Event> {
    let (sink, rx) = channel_sink();
    aybiza_engine::start(
        Operation::from_name(op).unwrap(),
        request,
        cfg,
        options(),
        sink,
    )
    .unwrap();
    collect(&rx)
}

#[test]
fn emulator_runtime_and_mantle_streams() {
    let emu = emulator_with_key();
    let sigv4 = config(&emu, json!({}));
    let api_key = json!({"region": "us-east-1", "endpoint": emu.url(),
                         "credentials": {"type": "api_key", "api_key": "emulator-api-key"}});

    for (op, cfg, model) in [
        ("messages", &sigv4, "us.anthropic.claude-opus-4-7"),
        ("messages", &api_key, "global.anthropic.claude-opus-4-7"),
        ("messages_mantle", &sigv4, "us.anthropic.claude-opus-4-7"),
        (
            "messages_mantle",
            &api_key,
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
    ] {
        let events = emu_call(op, &emu_request(model, "What are your hours?"), cfg);
        let Some(Event::Done(summary)) = events.last() else {
            panic!("{op} {model}: {:?}", events.last())
        };
        assert_eq!(summary.text, REPLY, "{op} {model}");
        assert_eq!(
            sentences(&events).len(),
            3,
            "{op} {model}: {:?}",
            sentences(&events)
        );
        let usage = summary.usage.clone().unwrap();
        assert!(usage.input_tokens > 0 && usage.output_tokens > 0);
        assert_eq!(summary.stop_reason.as_deref(), Some("end_turn"));
    }

    // Thinking (adaptive on Opus 4.7) and a tool call.
    let mut req = emu_request("us.anthropic.claude-opus-4-7", "Please think.");
    req["additional_model_request_fields"] = json!({"thinking": {"type": "adaptive"}});
    let events = emu_call("messages", &req, &sigv4);
    assert!(events.contains(&Event::ThinkingStarted), "{events:?}");
    let events = emu_call(
        "messages",
        &emu_request("us.anthropic.claude-opus-4-7", "Where is my order?"),
        &sigv4,
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ToolUse { name, input, .. }
        if name == "track" && input == &json!({"order": "A-1"}))));

    // The catalog's pre-flight rules apply as on Converse: a base id Bedrock serves only
    // through a profile goes out as the region's profile (the emulator would refuse it).
    let events = emu_call(
        "messages",
        &emu_request("anthropic.claude-opus-4-7", "What are your hours?"),
        &sigv4,
    );
    match events.last() {
        Some(Event::Done(summary)) => {
            assert_eq!(summary.model_id, "us.anthropic.claude-opus-4-7")
        }
        other => panic!("expected done, got {other:?}"),
    }
}

#[test]
fn emulator_faults_mid_stream() {
    let emu = emulator_with_key();
    let cfg = config(&emu, json!({}));
    let model = "us.anthropic.claude-opus-4-7";
    for (op, prompt, kind) in [
        ("messages", "overload", ErrorKind::ServiceUnavailable),
        ("messages_mantle", "overload", ErrorKind::ServiceUnavailable),
        ("messages", "truncate", ErrorKind::ModelStreamError),
        ("messages", "malformed", ErrorKind::Protocol),
    ] {
        let events = emu_call(op, &emu_request(model, prompt), &cfg);
        let e = terminal_error(&events);
        assert_eq!(e.kind, kind, "{op} {prompt}: {e:?}");
        assert_eq!(e.phase, Phase::MidStream, "{op} {prompt}");
    }
}

#[test]
fn emulator_count_tokens_both_ways() {
    let emu = emulator_with_key();
    let cfg = config(&emu, json!({}));
    let counted = |op: &str, model: &str| -> Result<u64, aybiza_core::error::Error> {
        let events = emu_call(op, &emu_request(model, "What are your hours?"), &cfg);
        match events.last() {
            Some(Event::Done(s)) => Ok(s.body.as_ref().unwrap()["input_tokens"].as_u64().unwrap()),
            _ => Err(terminal_error(&events)),
        }
    };
    // Runtime CountTokens (SDK): Claude Sonnet 4, the last model of AWS's supported table
    // (count-tokens.html), reached end of life on 2026-10-14: refused before the network.
    let (sink, _rx) = channel_sink();
    let e = aybiza_engine::start(
        Operation::from_name("count_tokens").unwrap(),
        &emu_request(
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "What are your hours?",
        ),
        &cfg,
        options(),
        sink,
    )
    .err()
    .expect("refused before the network");
    assert_eq!(e.kind, ErrorKind::ModelEndOfLife);
    assert!(e.message.contains("anthropic.claude-sonnet-4-6"), "{e:?}");
    assert_eq!(emu.counters().route_total("count-tokens"), 0);
    // A 4.5 model's bare id counts on the runtime (the emulator's data: public measurements,
    // marked unconfirmed in bedrock_emulator/data/models.json; AWS's page names no model).
    assert!(counted("count_tokens", "anthropic.claude-haiku-4-5-20251001-v1:0").unwrap() > 0);
    assert_eq!(emu.counters().route_total("count-tokens"), 1);
    // Claude models launched with cross-Region inference only: Bedrock counts them on the
    // Messages API (bedrock-mantle), not with runtime CountTokens (count-tokens page).
    let e = counted("count_tokens", "anthropic.claude-opus-4-7").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(emu.counters().route_total("count-tokens"), 2);
    // Profile-only Claude models: the Messages API's count_tokens.
    assert!(counted("messages_count_tokens", "us.anthropic.claude-opus-4-7").unwrap() > 0);
    assert!(
        counted(
            "messages_count_tokens_mantle",
            "us.anthropic.claude-opus-4-7"
        )
        .unwrap()
            > 0
    );
    // Bedrock cannot count Nova.
    let e = counted("count_tokens", "amazon.nova-pro-v1:0").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
}

/// The emulator checks every SigV4 signature: the cached-key signer's with temporary
/// credentials (the emulator accepts only its own session token with them; that the token is
/// signed as `aws-sigv4` signs it is sigv4.rs's unit tests), on both endpoints and twice in a
/// row (the second call signs with the kept key), and a wrong secret is refused.
#[test]
fn emulator_checks_the_signatures_with_session_tokens() {
    let emu = emulator_with_key();
    let t = emu.temporary_credentials();
    let temporary = json!({"region": "us-east-1", "endpoint": emu.url(),
                           "credentials": {"type": "static", "access_key_id": t.access_key_id,
                                           "secret_access_key": t.secret_access_key,
                                           "session_token": t.session_token}});
    let model = "us.anthropic.claude-opus-4-7";
    for op in ["messages", "messages_mantle", "messages", "messages_mantle"] {
        let events = emu_call(op, &emu_request(model, "What are your hours?"), &temporary);
        let Some(Event::Done(summary)) = events.last() else {
            panic!("{op}: {:?}", events.last())
        };
        assert_eq!(summary.text, REPLY, "{op}");
    }
    let c = emu.credentials();
    let wrong = json!({"region": "us-east-1", "endpoint": emu.url(),
                       "credentials": {"type": "static", "access_key_id": c.access_key_id,
                                       "secret_access_key": "not-the-secret"}});
    let events = emu_call(
        "messages",
        &emu_request(model, "What are your hours?"),
        &wrong,
    );
    let e = terminal_error(&events);
    assert!(e.message.contains("signature"), "{e:?}");
}
