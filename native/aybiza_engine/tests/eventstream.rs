//! The engine's event-stream decoder (the default) against the SDK's receiver
//! (`CallOptions::sdk_event_receiver`): the same emulator replies through both must give the
//! same events, the same summary and the same errors. Then what only the engine's decoder
//! does: a frame cut by the end of the body, a prelude announcing a huge frame.

mod common;

use aybiza_core::error::{ErrorKind, Phase};
use aybiza_engine::{Event, Operation};
use common::hostile::*;
use common::*;
use serde_json::{json, Value};
use std::io::Write;

const REPLY: &str = "Thanks for calling. Dr. Smith is in at 10:30 a.m. tomorrow, and the \
                     clinic opens at eight. Is there anything else I can help you with today?";

/// Tool-use ids and thinking signatures are new on every call (as Bedrock's): the two runs
/// are two calls, so they are compared as placeholders (depth of the test's own replies).
fn scrub_ids(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if matches!(k.as_str(), "id" | "tool_use_id" | "toolUseId" | "signature") {
                    *x = Value::String("(per call)".into());
                } else {
                    scrub_ids(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_ids),
        _ => {}
    }
}

/// What must not differ between the two decoders: consecutive texts joined (how many
/// deltas one read joins depends on timing), timings, request ids, the model's reported
/// latency, tool-use ids and signatures dropped.
fn normal(events: &[Event]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    let clean = |s: &aybiza_engine::Summary| {
        let mut s = s.clone();
        s.timings = Default::default();
        s.request_id = None;
        s.latency_ms = None;
        s.content.iter_mut().for_each(scrub_ids);
        Box::new(s)
    };
    for e in events {
        match (out.last_mut(), e) {
            (Some(Event::Text(held)), Event::Text(t)) => held.push_str(t),
            (_, Event::FirstToken(_)) => out.push(Event::FirstToken(0)),
            (_, Event::ToolUse { name, input, .. }) => out.push(Event::ToolUse {
                id: "(per call)".into(),
                name: name.clone(),
                input: input.clone(),
            }),
            (_, Event::Done(s)) => out.push(Event::Done(clean(s))),
            (_, Event::Error(err, s)) => {
                let mut err = err.clone();
                err.request_id = None;
                out.push(Event::Error(err, s.as_deref().map(clean)));
            }
            _ => out.push(e.clone()),
        }
    }
    out
}

fn same_both_ways(op: Operation, request: &Value, cfg: &Value, what: &str) -> Vec<Event> {
    let ours = run_events(op, request, cfg, false);
    let sdk = run_events(op, request, cfg, true);
    assert_eq!(normal(&ours), normal(&sdk), "{what}");
    ours
}

fn guarded(prompt: &str) -> Value {
    let mut req = request(prompt);
    req["guardrail_config"] =
        json!({"guardrail_identifier": "gr7abc", "guardrail_version": "1", "trace": "enabled"});
    req
}

#[test]
fn converse_streams_decode_the_same_as_the_sdk_receiver() {
    let mut rules = vec![
        rule(json!({"prompt_contains": "hours", "reply": REPLY})),
        rule(
            json!({"prompt_contains": "order", "reply": "Let me check that order.",
                    "tool_uses": [{"name": "lookup_order",
                                   "input": {"order_id": "A-17", "note": "caf\u{e9} \"x\""}}]}),
        ),
        rule(
            json!({"prompt_contains": "plan", "reply": "Here is the plan. First we call.",
                    "thinking": "The caller wants a plan. I should be brief."}),
        ),
        rule(json!({"prompt_contains": "invest", "reply": REPLY,
                    "guardrail": {"on": "input", "topic": "Investment advice"}})),
        rule(json!({"prompt_contains": "account", "reply": "It is 4411.",
                    "guardrail": {"on": "output"}})),
        rule(json!({"prompt_contains": "truncate", "reply": REPLY,
                    "faults": {"truncate_after": 5}})),
        rule(json!({"prompt_contains": "reset", "reply": REPLY, "faults": {"reset_after": 5}})),
    ];
    let exceptions = [
        "throttlingException",
        "modelStreamErrorException",
        "internalServerException",
        "serviceUnavailableException",
        "validationException",
    ];
    for kind in exceptions {
        rules.push(rule(json!({"prompt_contains": kind, "reply": REPLY,
                               "faults": {"exception": kind, "exception_after": 5}})));
    }
    let emu = bedrock_emulator::EmulatorConfig {
        rules,
        guardrails: vec![serde_json::from_value(json!({"id": "gr7abc"})).unwrap()],
        ..Default::default()
    };
    let emu = aybiza_engine::runtime::runtime()
        .block_on(bedrock_emulator::Emulator::start(emu))
        .unwrap();
    let cfg = config(&emu, json!({}));
    let op = Operation::ConverseStream;

    let events = same_both_ways(op, &request("What are your hours?"), &cfg, "text");
    assert!(matches!(events.last(), Some(Event::Done(s)) if s.usage.is_some()));
    assert!(sentences(&events).len() >= 3);

    let mut req = request("Where is my order?");
    req["tool_config"] = json!({"tools": [{"tool_spec": {"name": "lookup_order",
        "input_schema": {"json": {"type": "object"}}}}]});
    let events = same_both_ways(op, &req, &cfg, "tool use");
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ToolUse { input, .. }
        if input == &json!({"order_id": "A-17", "note": "caf\u{e9} \"x\""}))));

    let mut req = request("Make a plan");
    req["inference_config"] = json!({"max_tokens": 4000});
    req["additional_model_request_fields"] =
        json!({"thinking": {"type": "enabled", "budget_tokens": 1024}});
    let events = same_both_ways(op, &req, &cfg, "reasoning");
    assert!(events.iter().any(|e| matches!(e, Event::Thinking(_))));
    match events.last() {
        Some(Event::Done(s)) => assert!(s
            .content
            .iter()
            .any(|b| b["reasoning_content"]["signature"].is_string())),
        other => panic!("{other:?}"),
    }

    for prompt in ["Should I invest?", "What is my account number?"] {
        let events = same_both_ways(op, &guarded(prompt), &cfg, prompt);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::GuardrailTrace(t) if t.is_object())),
            "{prompt}: a guardrail trace"
        );
    }

    for kind in exceptions {
        let events = same_both_ways(op, &request(kind), &cfg, kind);
        let e = terminal_error(&events);
        assert_eq!(e.phase, Phase::MidStream, "{kind}");
        assert!(e.code.is_some(), "{kind}");
    }

    let events = same_both_ways(op, &request("truncate"), &cfg, "truncated");
    assert_eq!(terminal_error(&events).kind, ErrorKind::ModelStreamError);
    let events = same_both_ways(op, &request("reset"), &cfg, "reset");
    assert_eq!(terminal_error(&events).phase, Phase::MidStream);
}

#[test]
fn invoke_model_streams_decode_the_same_as_the_sdk_receiver() {
    let emu = emulator(vec![
        rule(json!({"prompt_contains": "hours", "reply": REPLY})),
        rule(json!({"prompt_contains": "order", "reply": "Let me check.",
                    "tool_uses": [{"name": "track", "input": {"order": "A-1"}}]})),
        rule(json!({"prompt_contains": "overload", "reply": REPLY,
                    "faults": {"exception": "serviceUnavailableException",
                               "exception_after": 5}})),
        rule(json!({"prompt_contains": "truncate", "reply": REPLY,
                    "faults": {"truncate_after": 5}})),
    ]);
    let cfg = config(&emu, json!({}));
    let invoke = |prompt: &str| {
        json!({"model_id": MODEL, "body": {"max_tokens": 300,
            "messages": [{"role": "user", "content": prompt}]}})
    };
    let op = Operation::InvokeModelWithResponseStream;
    let events = same_both_ways(op, &invoke("What are your hours?"), &cfg, "text");
    assert!(matches!(events.last(), Some(Event::Done(s)) if s.stop_reason.is_some()));
    let mut req = invoke("Where is my order?");
    req["body"]["tools"] = json!([{"name": "track", "input_schema": {"type": "object"}}]);
    let events = same_both_ways(op, &req, &cfg, "tool use");
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ToolUse { input, .. } if input["order"] == "A-1")));
    let events = same_both_ways(op, &invoke("overload"), &cfg, "exception");
    assert_eq!(terminal_error(&events).kind, ErrorKind::ServiceUnavailable);
    let events = same_both_ways(op, &invoke("truncate"), &cfg, "truncated");
    assert_eq!(terminal_error(&events).kind, ErrorKind::ModelStreamError);
}

#[test]
fn a_corrupt_frame_is_a_protocol_error_on_both_paths() {
    let emu = emulator(vec![rule(
        json!({"prompt_contains": "corrupt", "reply": REPLY, "faults": {"corrupt_after": 5}}),
    )]);
    let cfg = config(&emu, json!({}));
    let req = request("corrupt");
    let ours = run_events(Operation::ConverseStream, &req, &cfg, false);
    let sdk = run_events(Operation::ConverseStream, &req, &cfg, true);
    let (e, old) = (terminal_error(&ours), terminal_error(&sdk));
    assert_eq!(
        (e.kind, old.kind),
        (ErrorKind::Protocol, ErrorKind::Protocol)
    );
    assert_eq!(e.phase, Phase::MidStream);
    assert_eq!(e.delivered, old.delivered);
    // Ours says what was wrong with the frame; the SDK's said "unreadable response".
    assert!(
        e.message
            .starts_with("unreadable event stream from Bedrock: "),
        "{}",
        e.message
    );
}

// --- a hand-made server: bodies the emulator does not produce ---------------------------

fn frame(event_type: &str, payload: &str) -> Vec<u8> {
    event_frame(event_type, payload.as_bytes())
}

/// Answers every request on 127.0.0.1 with `body` as one HTTP chunk (200, event stream),
/// then ends the body (`end`) or leaves the connection open.
fn canned_server(body: Vec<u8>, end: bool) -> String {
    serve_each(move |mut conn| {
        if !read_request(&mut conn) {
            return;
        }
        let mut out = [eventstream_head("canned-1"), http_chunk(&body)].concat();
        if end {
            out.extend_from_slice(BODY_END);
        }
        let _ = conn.write_all(&out);
        hold(&mut conn);
    })
}

fn canned_config(url: &str, idle_ms: u64) -> Value {
    static_config(url, json!({ "idle": idle_ms }))
}

#[test]
fn a_body_that_ends_inside_a_frame_is_a_cut_stream() {
    let start = frame("messageStart", r#"{"role":"assistant"}"#);
    let delta = frame(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"Hello there. "}}"#,
    );
    let next = frame(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"More"}}"#,
    );
    let mut body = [start, delta].concat();
    body.extend_from_slice(&next[..next.len() / 2]);
    let url = canned_server(body, true);
    let events = run_events(
        Operation::ConverseStream,
        &request("hi"),
        &canned_config(&url, 10_000),
        false,
    );
    let e = terminal_error(&events);
    assert_eq!(e.kind, ErrorKind::ModelStreamError);
    assert_eq!(
        e.message,
        "the stream ended inside an event, before messageStop"
    );
    assert_eq!(e.phase, Phase::MidStream);
    assert_eq!(e.delivered.unwrap().text, "Hello there. ");
    assert_eq!(e.request_id.as_deref(), Some("canned-1"));
}

#[test]
fn a_prelude_announcing_a_huge_frame_fails_at_once() {
    // 1 GiB announced, 6 bytes sent, the connection left open: the SDK's receiver would
    // buffer toward it until the idle timeout (30 s here, beyond `collect`'s 20 s).
    let url = canned_server(vec![0x40, 0, 0, 0, 0, 0], false);
    let events = run_events(
        Operation::ConverseStream,
        &request("hi"),
        &canned_config(&url, 30_000),
        false,
    );
    let e = terminal_error(&events);
    assert_eq!(e.kind, ErrorKind::Protocol);
    assert!(e.message.contains("1073741824 bytes"), "{}", e.message);
    assert_eq!(e.phase, Phase::BeforeStream);
}
