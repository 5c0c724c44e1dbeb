//! The Anthropic Messages API routes (`POST /anthropic/v1/messages`, `.../count_tokens`)
//! in both endpoint styles, over raw HTTP: JSON and SSE replies, auth per style, faults
//! mid-stream, and the model rules.

use std::time::{SystemTime, UNIX_EPOCH};

mod raw_http;

use bedrock_emulator::{sigv4, BlockingEmulator, EmulatorConfig, Rule};
use raw_http::{request, Resp};
use serde_json::{json, Value};

const PATH: &str = "/anthropic/v1/messages";
const KEY: &str = "bedrock-api-key-123";

/// POST with a JSON content type.
fn post(url: &str, path: &str, headers: &[(String, String)], body: &str) -> Resp {
    let mut with_type = vec![("content-type".to_string(), "application/json".to_string())];
    with_type.extend_from_slice(headers);
    request(url, "POST", path, &with_type, body)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn emulator() -> BlockingEmulator {
    BlockingEmulator::start(EmulatorConfig {
        api_key: Some(KEY.into()),
        rules: vec![Rule {
            prompt_contains: Some("hours".into()),
            reply: Some("We open at 9 a.m. We close at 5 p.m.".into()),
            ..Rule::default()
        }],
        ..EmulatorConfig::default()
    })
    .unwrap()
}

fn mantle_headers() -> Vec<(String, String)> {
    vec![
        ("x-api-key".into(), KEY.into()),
        ("anthropic-version".into(), "2023-06-01".into()),
    ]
}

fn sigv4_headers(emu: &BlockingEmulator, service: &str, body: &str) -> Vec<(String, String)> {
    let creds = emu.credentials();
    let host = emu.url().trim_start_matches("http://").to_string();
    sigv4::sign_for_service(
        service,
        "POST",
        &host,
        PATH,
        body.as_bytes(),
        &creds.access_key_id,
        &creds.secret_access_key,
        "us-east-1",
        now(),
        &[("content-type", "application/json")],
    )
}

fn runtime_body(model: &str, stream: bool, prompt: &str) -> String {
    json!({"anthropic_version": "bedrock-2023-05-31", "model": model, "max_tokens": 300,
           "stream": stream, "messages": [{"role": "user", "content": prompt}]})
    .to_string()
}

fn mantle_body(model: &str, stream: bool, prompt: &str) -> String {
    json!({"model": model, "max_tokens": 300, "stream": stream,
           "messages": [{"role": "user", "content": prompt}]})
    .to_string()
}

fn sse_text(r: &Resp) -> String {
    r.events()
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .filter_map(|(_, d)| {
            let v: Value = serde_json::from_str(d).ok()?;
            v["delta"]["text"].as_str().map(str::to_string)
        })
        .collect()
}

#[test]
fn runtime_style_json_and_sse() {
    let emu = emulator();
    let url = emu.url().to_string();
    let model = "global.anthropic.claude-opus-4-7";

    let body = runtime_body(model, false, "What are your hours?");
    let r = post(&url, PATH, &sigv4_headers(&emu, "bedrock", &body), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["model"], "claude-opus-4-7");
    assert_eq!(
        v["content"][0]["text"],
        "We open at 9 a.m. We close at 5 p.m."
    );
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);

    let body = runtime_body(model, true, "What are your hours?");
    let r = post(&url, PATH, &sigv4_headers(&emu, "bedrock", &body), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let names: Vec<String> = r.events().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "message_start");
    assert_eq!(names[1], "ping");
    assert_eq!(names.last().unwrap(), "message_stop");
    assert!(names.contains(&"message_delta".to_string()));
    for (name, data) in r.events() {
        let v: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["type"], name.as_str(), "data.type names the event");
    }
    assert_eq!(sse_text(&r), "We open at 9 a.m. We close at 5 p.m.");
    let c = emu.counters();
    assert_eq!(c.get("messages", "ok"), 1);
    assert_eq!(c.get("messages-stream", "ok"), 1);

    // A bearer API key with the body version is bedrock-runtime style as well.
    let bearer = vec![("authorization".to_string(), format!("Bearer {KEY}"))];
    let r = post(&url, PATH, &bearer, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(emu.counters().get("messages-stream", "ok"), 2);

    // bedrock-runtime rejects the mantle form of the body: no anthropic_version.
    let body = mantle_body(model, false, "hi");
    let r = post(&url, PATH, &sigv4_headers(&emu, "bedrock", &body), &body);
    assert_eq!(r.status, 400);
    assert_eq!(r.header("x-amzn-errortype"), Some("ValidationException"));
    assert_eq!(r.json()["message"], "anthropic_version: Field required");
}

#[test]
fn mantle_style_api_key_sigv4_and_errors() {
    let emu = emulator();
    let url = emu.url().to_string();
    let model = "anthropic.claude-opus-4-7";

    let body = mantle_body(model, true, "What are your hours?");
    let r = post(&url, PATH, &mantle_headers(), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sse_text(&r), "We open at 9 a.m. We close at 5 p.m.");
    // No Bedrock metrics in the first-party form.
    let stop = r.events().last().unwrap().1.clone();
    assert_eq!(stop, r#"{"type":"message_stop"}"#);

    let mut headers = sigv4_headers(&emu, "bedrock-mantle", &body);
    headers.push(("anthropic-version".into(), "2023-06-01".into()));
    let r = post(&url, PATH, &headers, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let mut bearer = vec![("authorization".to_string(), format!("Bearer {KEY}"))];
    bearer.push(("anthropic-version".into(), "2023-06-01".into()));
    assert_eq!(post(&url, PATH, &bearer, &body).status, 200);
    assert_eq!(emu.counters().get("mantle-messages-stream", "ok"), 3);

    // Errors in Anthropic's shape.
    let r = post(
        &url,
        PATH,
        &[
            ("x-api-key".into(), "wrong".into()),
            ("anthropic-version".into(), "2023-06-01".into()),
        ],
        &body,
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["type"], "error");
    assert_eq!(r.json()["error"]["type"], "permission_error");
    let r = post(&url, PATH, &[("x-api-key".into(), KEY.into())], &body);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["message"],
        "anthropic-version: header is required"
    );
    // Profile ids and ARN-versioned ids are not mantle model ids.
    for bad in [
        "global.anthropic.claude-opus-4-7",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
    ] {
        let r = post(
            &url,
            PATH,
            &mantle_headers(),
            &mantle_body(bad, false, "hi"),
        );
        assert_eq!(r.status, 404, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"]["type"], "not_found_error");
    }
    // The Bedrock body version is an extra input on mantle.
    let r = post(
        &url,
        PATH,
        &mantle_headers(),
        &runtime_body(model, false, "hi"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["message"],
        "anthropic_version: Extra inputs are not permitted"
    );
    // Adaptive-only model: budget thinking rejected; adaptive thinking streams thinking.
    let thinking = |t: Value| {
        json!({"model": model, "max_tokens": 3000, "stream": true, "thinking": t,
               "messages": [{"role": "user", "content": "Explain my bill"}]})
        .to_string()
    };
    let r = post(
        &url,
        PATH,
        &mantle_headers(),
        &thinking(json!({"type": "enabled", "budget_tokens": 1024})),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = post(
        &url,
        PATH,
        &mantle_headers(),
        &thinking(json!({"type": "adaptive"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let kinds: Vec<String> = r
        .events()
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| {
            serde_json::from_str::<Value>(d).unwrap()["delta"]["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(kinds.contains(&"thinking_delta".to_string()));
    assert!(kinds.contains(&"signature_delta".to_string()));
    assert!(kinds.contains(&"text_delta".to_string()));
}

#[test]
fn sse_faults_and_tool_use() {
    let emu = emulator();
    let url = emu.url().to_string();
    let body = mantle_body("anthropic.claude-opus-4-7", true, "What are your hours?");
    let with_fault = |spec: &str| {
        let mut h = mantle_headers();
        h.push(("x-emulator-fault".into(), spec.into()));
        post(&url, PATH, &h, &body)
    };
    // Mid-stream error event after 3 events.
    let r = with_fault("exception=throttlingException@3");
    let events = r.events();
    assert_eq!(events.len(), 4, "{}", r.body);
    assert_eq!(events[3].0, "error");
    let v: Value = serde_json::from_str(&events[3].1).unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    // Truncated: the response ends cleanly without message_stop.
    let r = with_fault("truncate@4");
    let events = r.events();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|(n, _)| n != "message_stop"));
    // Malformed: an event whose data is not JSON, then the end.
    let r = with_fault("malformed@2");
    let events = r.events();
    assert_eq!(events.len(), 3);
    assert!(serde_json::from_str::<Value>(&events[2].1).is_err());
    let c = emu.counters();
    assert_eq!(c.get("mantle-messages-stream", "exception"), 1);
    assert_eq!(c.get("mantle-messages-stream", "truncated"), 1);
    assert_eq!(c.get("mantle-messages-stream", "corrupt"), 1);

    // Tool use under a forced tool choice: no text block, input_json_delta pieces.
    let body = json!({"model": "anthropic.claude-opus-4-7", "max_tokens": 500, "stream": true,
        "tool_choice": {"type": "any"},
        "tools": [{"name": "lookup_order", "description": "Find an order",
                   "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}],
        "messages": [{"role": "user", "content": "Where is order 42?"}]})
    .to_string();
    let r = post(&url, PATH, &mantle_headers(), &body);
    let mut json_in = String::new();
    for (name, data) in r.events() {
        let v: Value = serde_json::from_str(&data).unwrap();
        if name == "content_block_start" {
            assert_eq!(v["content_block"]["type"], "tool_use", "no text preface");
        }
        if v["delta"]["type"] == "input_json_delta" {
            json_in.push_str(v["delta"]["partial_json"].as_str().unwrap());
        }
        if name == "message_delta" {
            assert_eq!(v["delta"]["stop_reason"], "tool_use");
        }
    }
    let input: Value = serde_json::from_str(&json_in).unwrap();
    assert!(input["order_id"].is_string());
}

#[test]
fn count_tokens_on_messages_api() {
    let emu = emulator();
    let url = emu.url().to_string();
    let body = json!({"model": "anthropic.claude-opus-4-7",
        "messages": [{"role": "user", "content": "What are your hours?"}]})
    .to_string();
    let r = post(
        &url,
        "/anthropic/v1/messages/count_tokens",
        &mantle_headers(),
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let counted = r.json()["input_tokens"].as_u64().unwrap();
    // The same count a call reports.
    let call = post(
        &url,
        PATH,
        &mantle_headers(),
        &mantle_body("anthropic.claude-opus-4-7", false, "What are your hours?"),
    );
    assert_eq!(
        call.json()["usage"]["input_tokens"].as_u64().unwrap(),
        counted
    );
}
