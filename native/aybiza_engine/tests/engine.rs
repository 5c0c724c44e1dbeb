//! The engine against the local emulator, through the real AWS SDK wire path.

mod common;

use aybiza_core::error::{ErrorKind, Phase};
use aybiza_engine::{start, Event, Operation};
use common::*;
use serde_json::json;

const REPLY: &str = "Thanks for calling. Dr. Smith is in at 10:30 a.m. tomorrow. The fee is $3.50, plus tax. Anything else?";

#[test]
fn streams_text_sentences_usage_and_one_done() {
    let emu = emulator(vec![rule(
        json!({"prompt_contains": "hours", "reply": REPLY}),
    )]);
    let (sink, rx) = channel_sink();
    converse_stream(
        &request("What are your hours?"),
        &config(&emu, json!({})),
        sink,
    )
    .expect("starts");
    let events = collect(&rx);
    assert_eq!(events[0], Event::MessageStart);
    assert!(events.iter().any(|e| matches!(e, Event::FirstToken(_))));
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, REPLY);
    assert_eq!(
        sentences(&events),
        vec![
            (0, "Thanks for calling.".to_string()),
            (1, "Dr. Smith is in at 10:30 a.m. tomorrow.".to_string()),
            (2, "The fee is $3.50, plus tax.".to_string()),
            (3, "Anything else?".to_string()),
        ]
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::StopReason(r) if r == "end_turn")));
    match events.last().unwrap() {
        Event::Done(s) => {
            assert_eq!(s.text, REPLY);
            assert_eq!(s.sentences, 4);
            assert_eq!(s.model_id, MODEL);
            assert_eq!(s.region, "us-east-1");
            assert!(s.request_id.is_some());
            let u = s.usage.as_ref().expect("usage");
            assert!(u.input_tokens > 0 && u.output_tokens > 0);
            // Nothing cached: the stream metadata has no cache key (as Bedrock sends it,
            // docs/EMULATOR.md "Usage keys"); the missing keys count as 0.
            assert_eq!(
                (u.cache_read_input_tokens, u.cache_write_input_tokens),
                (0, 0)
            );
            assert_eq!(u.total_tokens, u.input_tokens + u.output_tokens);
            assert_eq!(s.stop_reason.as_deref(), Some("end_turn"));
            assert!(s.timings.first_token_us.unwrap() <= s.timings.total_us);
            assert!(s.timings.first_sentence_us.is_some());
            assert_eq!(s.content, vec![json!({"text": REPLY})]);
        }
        other => panic!("expected done, got {other:?}"),
    }
}

/// A ConverseStream turn that writes a 1 hour cache point: the metadata's `cacheDetails`
/// (per TTL, as Bedrock sends it for Claude; docs/EMULATOR.md "Usage keys") reach the
/// summary's usage, so the turn is priced at the 1 hour write rate.
#[test]
fn stream_usage_carries_the_cache_details_of_a_one_hour_write() {
    let emu = emulator(vec![rule(
        json!({"prompt_contains": "hours", "reply": REPLY}),
    )]);
    let mut req = request("What are your hours?");
    // Long enough for the model's minimum cacheable prefix.
    req["system"] = json!([{"text": "You answer a clinic's phone. ".repeat(2000)},
                          {"cache_point": {"type": "default", "ttl": "1h"}}]);
    let (sink, rx) = channel_sink();
    converse_stream(&req, &config(&emu, json!({})), sink).expect("starts");
    let events = collect(&rx);
    let Some(Event::Done(s)) = events.last() else {
        panic!("expected done, got {:?}", events.last());
    };
    let u = s.usage.as_ref().expect("usage");
    assert!(u.cache_write_input_tokens > 0, "{u:?}");
    assert_eq!(
        u.cache_details,
        vec![aybiza_core::catalog::CacheDetail {
            input_tokens: u.cache_write_input_tokens,
            ttl: aybiza_core::catalog::CacheTtl::OneHour,
        }]
    );
}

#[test]
fn tool_use_input_is_decoded_when_its_block_stops() {
    let emu = emulator(vec![rule(json!({
        "prompt_contains": "order",
        "reply": "Let me check that order.",
        "tool_uses": [{"name": "lookup_order", "input": {"order_id": "A-17", "verbose": true}}]
    }))]);
    let mut req = request("Where is my order?");
    req["tool_config"] = json!({"tools": [{"tool_spec": {"name": "lookup_order",
        "description": "Looks up an order", "input_schema": {"json": {"type": "object",
        "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}}]});
    let (sink, rx) = channel_sink();
    converse_stream(&req, &config(&emu, json!({})), sink).unwrap();
    let events = collect(&rx);
    let tool = events
        .iter()
        .find_map(|e| match e {
            Event::ToolUse { id, name, input } => Some((id.clone(), name.clone(), input.clone())),
            _ => None,
        })
        .expect("a tool use");
    assert_eq!(tool.1, "lookup_order");
    assert_eq!(tool.2, json!({"order_id": "A-17", "verbose": true}));
    assert!(!tool.0.is_empty());
    // The text before the tool call is spoken; the tool JSON never becomes a sentence.
    assert_eq!(
        sentences(&events),
        vec![(0, "Let me check that order.".to_string())]
    );
    match events.last().unwrap() {
        Event::Done(s) => {
            assert_eq!(s.stop_reason.as_deref(), Some("tool_use"));
            assert!(s
                .content
                .iter()
                .any(|b| b["tool_use"]["name"] == "lookup_order"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn thinking_is_delivered_but_never_spoken() {
    let emu = emulator(vec![rule(json!({
        "prompt_contains": "plan",
        "reply": "Here is the plan. First we call.",
        "thinking": "The caller wants a plan. I should be brief."
    }))]);
    let mut req = request("Make a plan");
    req["inference_config"] = json!({"max_tokens": 4000});
    req["additional_model_request_fields"] =
        json!({"thinking": {"type": "enabled", "budget_tokens": 1024}});
    let (sink, rx) = channel_sink();
    converse_stream(&req, &config(&emu, json!({})), sink).unwrap();
    let events = collect(&rx);
    let started = events.iter().position(|e| *e == Event::ThinkingStarted);
    let first_thinking = events.iter().position(|e| matches!(e, Event::Thinking(_)));
    assert!(started.is_some() && started < first_thinking);
    let thinking: String = events
        .iter()
        .filter_map(|e| match e {
            Event::Thinking(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(thinking, "The caller wants a plan. I should be brief.");
    assert_eq!(
        sentences(&events)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        vec!["Here is the plan.", "First we call."]
    );
    match events.last().unwrap() {
        Event::Done(s) => {
            let reasoning = s
                .content
                .iter()
                .find(|b| b.get("reasoning_content").is_some())
                .expect("reasoning block kept");
            assert!(reasoning["reasoning_content"]["signature"].is_string());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_before_the_stream_keep_code_status_and_kind() {
    let cases = [
        ("ThrottlingException", ErrorKind::Throttled, 429),
        ("ModelNotReadyException", ErrorKind::ModelNotReady, 429),
        (
            "ServiceUnavailableException",
            ErrorKind::ServiceUnavailable,
            503,
        ),
        ("InternalServerException", ErrorKind::InternalServer, 500),
        ("ValidationException", ErrorKind::Validation, 400),
        ("AccessDeniedException", ErrorKind::AccessDenied, 403),
        ("ResourceNotFoundException", ErrorKind::ModelNotFound, 404),
        ("ModelTimeoutException", ErrorKind::ModelTimeout, 408),
        ("ModelErrorException", ErrorKind::ModelError, 424),
    ];
    let emu = emulator(
        cases
            .iter()
            .map(|(code, _, _)| rule(json!({"prompt_contains": code, "faults": {"error": code}})))
            .collect(),
    );
    for (code, kind, status) in cases {
        for op in [Operation::ConverseStream, Operation::Converse] {
            let (sink, rx) = channel_sink();
            start(
                op,
                &request(code),
                &config(&emu, json!({})),
                options(),
                sink,
            )
            .unwrap();
            let events = collect(&rx);
            assert_eq!(events.len(), 1, "{code}: only the terminal error");
            let e = terminal_error(&events);
            assert_eq!(e.kind, kind, "{code}");
            assert_eq!(e.code.as_deref(), Some(code));
            assert_eq!(e.status, Some(status), "{code}");
            assert_eq!(e.phase, Phase::BeforeStream);
            assert!(e.request_id.is_some(), "{code} keeps the request id");
        }
    }
}

#[test]
fn mid_stream_faults_report_what_was_delivered() {
    let emu = emulator(vec![
        rule(json!({"prompt_contains": "exception", "reply": REPLY,
                    "faults": {"exception": "modelStreamErrorException", "exception_after": 6}})),
        rule(json!({"prompt_contains": "throttle", "reply": REPLY,
                    "faults": {"exception": "throttlingException", "exception_after": 6}})),
        rule(json!({"prompt_contains": "reset", "reply": REPLY, "faults": {"reset_after": 6}})),
        rule(json!({"prompt_contains": "corrupt", "reply": REPLY, "faults": {"corrupt_after": 6}})),
        rule(json!({"prompt_contains": "stall", "reply": REPLY, "faults": {"stall_after": 6}})),
    ]);
    let cases = [
        ("exception", vec![ErrorKind::ModelStreamError]),
        ("throttle", vec![ErrorKind::Throttled]),
        ("reset", vec![ErrorKind::Connect, ErrorKind::Protocol]),
        ("corrupt", vec![ErrorKind::Protocol]),
        ("stall", vec![ErrorKind::IdleTimeout]),
    ];
    for (prompt, kinds) in cases {
        let (sink, rx) = channel_sink();
        let cfg = config(&emu, json!({"idle": 300}));
        converse_stream(&request(prompt), &cfg, sink).unwrap();
        let events = collect(&rx);
        let e = terminal_error(&events);
        assert!(kinds.contains(&e.kind), "{prompt}: got {:?}", e.kind);
        assert_eq!(e.phase, Phase::MidStream, "{prompt}");
        assert!(e.retryable(), "{prompt}");
        let delivered = e.delivered.expect("delivered");
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(delivered.text, text, "{prompt}");
        assert_eq!(delivered.sentences as usize, sentences(&events).len());
        assert!(delivered.chars > 0, "{prompt}");
    }
}

#[test]
fn invalid_input_fails_before_any_network() {
    let emu = emulator(vec![]);
    let (sink, _rx) = channel_sink();
    let mut req = request("hi");
    req["messages"][0]["content"] = json!([{"image": {"format": "bmp", "bytes": "x"}}]);
    let e = converse_stream(&req, &config(&emu, json!({})), sink)
        .err()
        .expect("rejected");
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.starts_with("messages[0].content[0].image.format"));

    let mut cfg = config(&emu, json!({}));
    cfg["region"] = json!("us-east-1.evil.example");
    let (sink, _rx) = channel_sink();
    let e = converse_stream(&request("hi"), &cfg, sink)
        .err()
        .expect("rejected");
    assert_eq!(e.kind, ErrorKind::InvalidRegion);

    let mut cfg = config(&emu, json!({}));
    cfg["endpoint"] = json!("http://user@127.0.0.1:1/x");
    let (sink, _rx) = channel_sink();
    let e = converse_stream(&request("hi"), &cfg, sink)
        .err()
        .expect("rejected");
    assert_eq!(e.kind, ErrorKind::InvalidEndpoint);
    assert_eq!(emu.counters().total_requests, 0);
}

#[test]
fn wrong_secret_and_api_keys() {
    let emu = emulator(vec![]);
    let mut cfg = config(&emu, json!({}));
    cfg["credentials"]["secret_access_key"] = json!("not-the-secret");
    let (sink, rx) = channel_sink();
    converse_stream(&request("hi"), &cfg, sink).unwrap();
    let e = terminal_error(&collect(&rx));
    assert_eq!(e.kind, ErrorKind::InvalidCredentials);
    assert_eq!(e.status, Some(403));
    assert!(!e.message.contains("not-the-secret"));
}

#[test]
fn converse_and_invoke_model_non_streaming() {
    let emu = emulator(vec![rule(
        json!({"prompt_contains": "hello", "reply": "Hello there. How can I help?"}),
    )]);
    let (sink, rx) = channel_sink();
    start(
        Operation::Converse,
        &request("hello"),
        &config(&emu, json!({})),
        options(),
        sink,
    )
    .unwrap();
    match collect(&rx).last().unwrap() {
        Event::Done(s) => {
            assert_eq!(s.text, "Hello there. How can I help?");
            assert_eq!(
                s.content,
                vec![json!({"text": "Hello there. How can I help?"})]
            );
            assert!(s.usage.is_some());
        }
        other => panic!("{other:?}"),
    }

    let invoke = json!({"model_id": MODEL, "body": {"max_tokens": 100,
        "messages": [{"role": "user", "content": "hello"}]}});
    let (sink, rx) = channel_sink();
    start(
        Operation::InvokeModel,
        &invoke,
        &config(&emu, json!({})),
        options(),
        sink,
    )
    .unwrap();
    match collect(&rx).last().unwrap() {
        Event::Done(s) => {
            assert_eq!(s.text, "Hello there. How can I help?");
            assert!(s.body.as_ref().unwrap()["content"].is_array());
        }
        other => panic!("{other:?}"),
    }

    let (sink, rx) = channel_sink();
    start(
        Operation::InvokeModelWithResponseStream,
        &invoke,
        &config(&emu, json!({})),
        options(),
        sink,
    )
    .unwrap();
    let events = collect(&rx);
    assert_eq!(
        sentences(&events)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        vec!["Hello there.", "How can I help?"]
    );
    match events.last().unwrap() {
        Event::Done(s) => {
            assert_eq!(s.stop_reason.as_deref(), Some("end_turn"));
            assert!(s.usage.as_ref().unwrap().output_tokens > 0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn concurrent_streams_each_get_their_own_ordered_sentences() {
    let emu = emulator(vec![]);
    let cfg = config(&emu, json!({}));
    let mut receivers = Vec::new();
    for i in 0..200 {
        // Deterministic replies: the same prompt gives the same text; different prompts differ.
        let prompt = format!("Question number {i} about my account balance");
        let (sink, rx) = channel_sink();
        converse_stream(&request(&prompt), &cfg, sink).unwrap();
        receivers.push((prompt, rx));
    }
    for (prompt, rx) in receivers {
        let events = collect(&rx);
        let s = sentences(&events);
        assert!(!s.is_empty(), "{prompt}");
        for (i, (seq, _)) in s.iter().enumerate() {
            assert_eq!(*seq, i as u64);
        }
        let Event::Done(summary) = events.last().unwrap() else {
            panic!("{prompt}: {:?}", events.last())
        };
        let joined = s
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let normalize = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(normalize(&joined), normalize(&summary.text), "{prompt}");
    }
}

struct PanickingSplitter;

impl aybiza_engine::SentenceSplitter for PanickingSplitter {
    fn push(&mut self, _delta: &str) -> Vec<String> {
        panic!("splitter bug");
    }
    fn finish(&mut self) -> Vec<String> {
        Vec::new()
    }
}

#[test]
fn a_panic_in_the_task_becomes_one_terminal_error() {
    let emu = emulator(vec![]);
    let (sink, rx) = channel_sink();
    let options = aybiza_engine::CallOptions {
        splitter: Some(Box::new(PanickingSplitter)),
        ..Default::default()
    };
    start(
        Operation::ConverseStream,
        &request("hi there"),
        &config(&emu, json!({})),
        options,
        sink,
    )
    .unwrap();
    let e = terminal_error(&collect(&rx));
    assert_eq!(e.kind, ErrorKind::Internal);
    assert!(e.message.contains("splitter bug"), "{}", e.message);
}

#[test]
fn streams_make_one_attempt_and_non_streaming_calls_retry() {
    // A 500 is retryable for the SDK's standard strategy. Streams use the configuration's
    // single-attempt client (a retried stream could repeat what the caller heard), the
    // non-streaming Converse the standard one (3 attempts).
    let emu = emulator(vec![rule(json!({"prompt_contains": "fails",
        "faults": {"error": "InternalServerException"}}))]);
    let invoke = json!({"model_id": MODEL, "body": {"max_tokens": 100,
        "messages": [{"role": "user", "content": "fails"}]}});
    let cases = [
        (Operation::ConverseStream, request("fails"), 1),
        (Operation::InvokeModelWithResponseStream, invoke, 1),
        (Operation::Converse, request("fails"), 3),
    ];
    for (op, req, attempts) in cases {
        let before = emu.counters().total_requests;
        let (sink, rx) = channel_sink();
        start(op, &req, &config(&emu, json!({})), options(), sink).unwrap();
        let e = terminal_error(&collect(&rx));
        assert_eq!(e.kind, ErrorKind::InternalServer, "{op:?}");
        assert_eq!(
            emu.counters().total_requests - before,
            attempts,
            "{op:?}: requests sent"
        );
    }
}

#[test]
fn sdk_calls_are_signed_with_the_cached_key_and_checked_by_the_emulator() {
    // The engine's SDK clients sign with sdk_sign.rs (the same signatures as the SDK's
    // signer, unit-tested there); the emulator checks every signature, with long-term and
    // temporary credentials, on the stream and non-stream operations, twice each (the second
    // call signs with the kept key). A wrong secret is still refused.
    let emu = emulator(vec![rule(
        json!({"prompt_contains": "hours", "reply": "We open at 9."}),
    )]);
    let t = emu.temporary_credentials();
    let temporary = json!({"region": "us-east-1", "endpoint": emu.url(),
                           "credentials": {"type": "static", "access_key_id": t.access_key_id,
                                           "secret_access_key": t.secret_access_key,
                                           "session_token": t.session_token}});
    let invoke = json!({"model_id": MODEL, "body": {"max_tokens": 100,
        "messages": [{"role": "user", "content": "hours?"}]}});
    let before = aybiza_engine::sdk_sign::signed_here();
    let mut calls = 0;
    for cfg in [config(&emu, json!({})), temporary] {
        for (op, req) in [
            (Operation::ConverseStream, request("hours?")),
            (Operation::Converse, request("hours?")),
            (Operation::InvokeModelWithResponseStream, invoke.clone()),
        ] {
            for _ in 0..2 {
                let (sink, rx) = channel_sink();
                start(op, &req, &cfg, options(), sink).unwrap();
                let events = collect(&rx);
                assert!(
                    matches!(events.last(), Some(Event::Done(_))),
                    "{op:?}: {:?}",
                    events.last()
                );
                calls += 1;
            }
        }
    }
    // Other tests of this binary sign at the same time: at least these calls were signed here.
    assert!(aybiza_engine::sdk_sign::signed_here() - before >= calls);
    let c = emu.credentials();
    let wrong = json!({"region": "us-east-1", "endpoint": emu.url(),
                       "credentials": {"type": "static", "access_key_id": c.access_key_id,
                                       "secret_access_key": "not-the-secret"}});
    let (sink, rx) = channel_sink();
    start(
        Operation::ConverseStream,
        &request("hours?"),
        &wrong,
        options(),
        sink,
    )
    .unwrap();
    let e = terminal_error(&collect(&rx));
    assert!(e.message.to_lowercase().contains("signature"), "{e:?}");
}
