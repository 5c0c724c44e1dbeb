//! The real aws-sdk-bedrockruntime client against the emulator.

mod common;

use common::{sdk_builder as builder, sdk_client as client, sdk_client_with as client_with, user};

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents, Token};
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse::ConverseError;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::error::{ConverseStreamOutputError, ResponseStreamError};
use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, CachePointBlock, CachePointType, ContentBlock, ContentBlockDelta,
    ContentBlockStart, ConversationRole, ConverseStreamOutput, InferenceConfiguration, Message,
    ResponseStream, StopReason, SystemContentBlock, Tool, ToolChoice, ToolConfiguration,
    ToolInputSchema, ToolResultBlock, ToolResultContentBlock, ToolSpecification, ToolUseBlock,
};
use aws_sdk_bedrockruntime::Client;
use aws_smithy_types::Document;
use base64::Engine;
use bedrock_emulator::{Emulator, EmulatorConfig, Faults, Rule, ScriptedToolUse};

type IsStreamError = fn(&ConverseStreamError) -> bool;
type IsEventError = fn(&ConverseStreamOutputError) -> bool;

// Claude Haiku 4.5 is served through inference profiles only (its AWS model card); Claude 3
// Haiku, the earlier test model, reached end of life on 2026-09-10.
const BASE: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const MODEL: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

fn doc(v: serde_json::Value) -> Document {
    match v {
        serde_json::Value::Null => Document::Null,
        serde_json::Value::Bool(b) => Document::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Document::Number(aws_smithy_types::Number::PosInt(u))
            } else if let Some(i) = n.as_i64() {
                Document::Number(aws_smithy_types::Number::NegInt(i))
            } else {
                Document::Number(aws_smithy_types::Number::Float(n.as_f64().unwrap()))
            }
        }
        serde_json::Value::String(s) => Document::String(s),
        serde_json::Value::Array(a) => Document::Array(a.into_iter().map(doc).collect()),
        serde_json::Value::Object(o) => {
            Document::Object(o.into_iter().map(|(k, v)| (k, doc(v))).collect())
        }
    }
}

fn weather_tools(choice: Option<ToolChoice>) -> ToolConfiguration {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "metric": {"type": "boolean"}},
        "required": ["city", "days", "metric"]
    });
    let spec = ToolSpecification::builder()
        .name("get_weather")
        .description("Look up the weather forecast for a city")
        .input_schema(ToolInputSchema::Json(doc(schema)))
        .build()
        .unwrap();
    let mut b = ToolConfiguration::builder().tools(Tool::ToolSpec(spec));
    if let Some(c) = choice {
        b = b.tool_choice(c);
    }
    b.build().unwrap()
}

/// All events of a ConverseStream, or the first error.
async fn collect_stream(
    mut out: aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamOutput,
) -> Result<
    Vec<ConverseStreamOutput>,
    SdkError<ConverseStreamOutputError, aws_smithy_types::event_stream::RawMessage>,
> {
    let mut events = Vec::new();
    loop {
        match out.stream.recv().await {
            Ok(Some(e)) => events.push(e),
            Ok(None) => return Ok(events),
            Err(e) => return Err(e),
        }
    }
}

fn stream_text(events: &[ConverseStreamOutput]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta() {
                Some(ContentBlockDelta::Text(t)) => Some(t.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn converse_returns_deterministic_text_and_usage() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let call = || {
        c.converse()
            .model_id(MODEL)
            .messages(user("What are your opening hours?"))
    };
    let a = call().send().await.unwrap();
    let b = call().send().await.unwrap();
    let text = |o: &aws_sdk_bedrockruntime::operation::converse::ConverseOutput| {
        o.output().unwrap().as_message().unwrap().content()[0]
            .as_text()
            .unwrap()
            .clone()
    };
    assert_eq!(text(&a), text(&b), "same request, same reply");
    assert!(text(&a).len() > 20);
    assert_eq!(a.stop_reason(), &StopReason::EndTurn);
    let u = a.usage().unwrap();
    assert!(u.input_tokens() > 0 && u.output_tokens() > 0);
    assert_eq!(u.total_tokens(), u.input_tokens() + u.output_tokens());
    assert!(a.metrics().is_some());
    let other = c
        .converse()
        .model_id(MODEL)
        .messages(user("Something else entirely"))
        .send()
        .await
        .unwrap();
    assert_ne!(text(&other), text(&a));
    // The inference-profile form and the ARN form are accepted.
    c.converse()
        .model_id(format!("global.{BASE}"))
        .messages(user("hi"))
        .send()
        .await
        .unwrap();
    c.converse()
        .model_id(format!(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/{MODEL}"
        ))
        .messages(user("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(emu.counters().get("converse", "ok"), 5);
}

#[tokio::test]
async fn converse_stream_text_matches_converse() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let msg = user("Can I book an appointment with a doctor?");
    let full = c
        .converse()
        .model_id(MODEL)
        .messages(msg.clone())
        .send()
        .await
        .unwrap();
    let full_text = full.output().unwrap().as_message().unwrap().content()[0]
        .as_text()
        .unwrap()
        .clone();
    let out = c
        .converse_stream()
        .model_id(MODEL)
        .messages(msg)
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    assert!(matches!(events[0], ConverseStreamOutput::MessageStart(_)));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ConverseStreamOutput::ContentBlockStart(_))),
        "text blocks have no start event"
    );
    let deltas = events
        .iter()
        .filter(|e| matches!(e, ConverseStreamOutput::ContentBlockDelta(_)))
        .count();
    assert!(deltas > 2);
    assert_eq!(stream_text(&events), full_text);
    match &events[events.len() - 2] {
        ConverseStreamOutput::MessageStop(s) => assert_eq!(s.stop_reason(), &StopReason::EndTurn),
        other => panic!("expected messageStop, got {other:?}"),
    }
    match events.last().unwrap() {
        ConverseStreamOutput::Metadata(m) => {
            let u = m.usage().unwrap();
            assert_eq!(u.total_tokens(), u.input_tokens() + u.output_tokens());
            assert_eq!(
                u.output_tokens() as u64,
                bedrock_emulator::approx_tokens(&full_text)
            );
            assert!(m.metrics().is_some());
        }
        other => panic!("expected metadata, got {other:?}"),
    }
    let counters = emu.counters();
    assert_eq!(counters.get("converse-stream", "ok"), 1);
    assert_eq!(counters.open_streams, 0);
}

#[tokio::test]
async fn tool_use_then_tool_result() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let first = user("What's the weather like in Seattle?");
    let out = c
        .converse_stream()
        .model_id(MODEL)
        .messages(first.clone())
        .tool_config(weather_tools(None))
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    let (id, name) = events
        .iter()
        .find_map(|e| match e {
            ConverseStreamOutput::ContentBlockStart(s) => match s.start() {
                Some(ContentBlockStart::ToolUse(t)) => {
                    Some((t.tool_use_id().to_string(), t.name().to_string()))
                }
                _ => None,
            },
            _ => None,
        })
        .expect("a toolUse block start");
    assert_eq!(name, "get_weather");
    assert!(id.starts_with("tooluse_"));
    let pieces: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta() {
                Some(ContentBlockDelta::ToolUse(t)) => Some(t.input().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(pieces.len() > 1, "input is streamed in several pieces");
    let input: serde_json::Value = serde_json::from_str(&pieces.concat()).unwrap();
    assert!(input["city"].is_string() && input["days"].is_i64() && input["metric"].is_boolean());
    assert!(events.iter().any(|e| matches!(e, ConverseStreamOutput::MessageStop(s) if s.stop_reason() == &StopReason::ToolUse)));

    // Non-stream: the same decision, then a text answer after the tool result.
    let resp = c
        .converse()
        .model_id(MODEL)
        .messages(first.clone())
        .tool_config(weather_tools(None))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.stop_reason(), &StopReason::ToolUse);
    let assistant = resp.output().unwrap().as_message().unwrap().clone();
    let tu = assistant
        .content()
        .iter()
        .find_map(|b| b.as_tool_use().ok())
        .unwrap()
        .clone();
    let result = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(tu.tool_use_id())
                .content(ToolResultContentBlock::Text("Sunny, 21 degrees".into()))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let answer = c
        .converse()
        .model_id(MODEL)
        .messages(first)
        .messages(assistant)
        .messages(result)
        .tool_config(weather_tools(None))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.stop_reason(), &StopReason::EndTurn);
    let text = answer.output().unwrap().as_message().unwrap().content()[0]
        .as_text()
        .unwrap()
        .clone();
    assert!(text.contains("Sunny, 21 degrees"), "{text}");

    // toolChoice any forces a call even without a mention; no mention + auto -> text.
    let forced = c
        .converse()
        .model_id(MODEL)
        .messages(user("Hello there"))
        .tool_config(weather_tools(Some(ToolChoice::Any(
            AnyToolChoice::builder().build(),
        ))))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.stop_reason(), &StopReason::ToolUse);
    let plain = c
        .converse()
        .model_id(MODEL)
        .messages(user("Hello there"))
        .tool_config(weather_tools(None))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.stop_reason(), &StopReason::EndTurn);
}

#[tokio::test]
async fn reasoning_when_thinking_enabled() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let thinking = doc(serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}));
    let out = c
        .converse_stream()
        .model_id("us.anthropic.claude-haiku-4-5-20251001-v1:0")
        .messages(user("Explain my bill"))
        .inference_config(InferenceConfiguration::builder().max_tokens(2048).build())
        .additional_model_request_fields(thinking.clone())
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    let mut reasoning = String::new();
    let mut signature = None;
    for e in &events {
        if let ConverseStreamOutput::ContentBlockDelta(d) = e {
            if let Some(ContentBlockDelta::ReasoningContent(r)) = d.delta() {
                match r {
                    aws_sdk_bedrockruntime::types::ReasoningContentBlockDelta::Text(t) => {
                        assert!(signature.is_none(), "text comes before the signature");
                        reasoning.push_str(t)
                    }
                    aws_sdk_bedrockruntime::types::ReasoningContentBlockDelta::Signature(s) => {
                        signature = Some(s.clone())
                    }
                    _ => {}
                }
                assert_eq!(d.content_block_index(), 0);
            }
        }
    }
    assert!(!reasoning.is_empty());
    assert!(signature.is_some());
    assert!(!stream_text(&events).is_empty());
    // Budget below 1024 is rejected like Bedrock does.
    let bad = doc(serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": 100}}));
    let err = c
        .converse()
        .model_id(MODEL)
        .messages(user("x"))
        .additional_model_request_fields(bad)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
}

#[tokio::test]
async fn prompt_cache_write_then_read() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    // Sonnet 4.6 caches prefixes of 1,024 tokens and more.
    let system = "You are a helpful phone agent for Acme Bank. ".repeat(100);
    let call = |q: &str| {
        c.converse_stream()
            .model_id("global.anthropic.claude-sonnet-4-6")
            .system(SystemContentBlock::Text(system.clone()))
            .system(SystemContentBlock::CachePoint(
                CachePointBlock::builder()
                    .r#type(CachePointType::Default)
                    .build()
                    .unwrap(),
            ))
            .messages(user(q))
            .send()
    };
    let usage = |events: Vec<ConverseStreamOutput>| match events.last().unwrap() {
        ConverseStreamOutput::Metadata(m) => m.usage().unwrap().clone(),
        other => panic!("{other:?}"),
    };
    // Nothing cached: the stream's metadata usage has no cache key (req_llm fixture
    // converse_reasoning_streaming.json); once cached, all four (prompt_cache_streaming.json).
    let plain = c
        .converse_stream()
        .model_id("global.anthropic.claude-sonnet-4-6")
        .messages(user("Hello"))
        .send();
    let plain = usage(collect_stream(plain.await.unwrap()).await.unwrap());
    assert_eq!(
        (
            plain.cache_read_input_tokens(),
            plain.cache_write_input_tokens()
        ),
        (None, None),
        "{plain:?}"
    );
    let first = usage(
        collect_stream(call("What is my balance?").await.unwrap())
            .await
            .unwrap(),
    );
    let cached = bedrock_emulator::approx_tokens(&system) as i32;
    assert_eq!(first.cache_write_input_tokens(), Some(cached));
    assert_eq!(first.cache_read_input_tokens(), Some(0));
    let second = usage(
        collect_stream(call("And my last payment?").await.unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(second.cache_read_input_tokens(), Some(cached));
    assert_eq!(second.cache_write_input_tokens(), Some(0));
    assert!(second.input_tokens() < cached);
    assert_eq!(
        second.total_tokens(),
        second.input_tokens() + second.output_tokens() + cached
    );
}

#[tokio::test]
async fn invoke_model_anthropic() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let body = serde_json::json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "When does the store open?"}]
    });
    let out = c
        .invoke_model()
        .model_id(format!("global.{BASE}"))
        .content_type("application/json")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(out.body().as_ref()).unwrap();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "claude-haiku-4-5-20251001");
    assert_eq!(v["stop_reason"], "end_turn");
    assert!(v["content"][0]["text"].as_str().unwrap().len() > 10);
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(out.content_type(), "application/json");

    let missing =
        serde_json::json!({"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let err = c
        .invoke_model()
        .model_id(MODEL)
        .body(Blob::new(missing.to_string()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(
        err.to_string().contains("anthropic_version")
            || format!("{err:?}").contains("anthropic_version")
    );
}

#[tokio::test]
async fn invoke_stream_chunks_decode_to_anthropic_events() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let body = serde_json::json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 3000,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [{"name": "lookup_order", "description": "Find an order by number",
                   "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Where is my order?"}]}]
    });
    let mut out = c
        .invoke_model_with_response_stream()
        .model_id("us.anthropic.claude-haiku-4-5-20251001-v1:0")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let mut types = Vec::new();
    let mut deltas = Vec::new();
    let mut json = String::new();
    let mut last = serde_json::Value::Null;
    while let Some(event) = out.body.recv().await.unwrap() {
        let ResponseStream::Chunk(chunk) = event else {
            panic!("chunk expected")
        };
        let bytes = chunk.bytes().unwrap().as_ref().to_vec();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        types.push(v["type"].as_str().unwrap().to_string());
        if v["type"] == "content_block_delta" {
            deltas.push(v["delta"]["type"].as_str().unwrap().to_string());
            if let Some(p) = v["delta"]["partial_json"].as_str() {
                json.push_str(p);
            }
        }
        last = v;
    }
    assert_eq!(types.first().unwrap(), "message_start");
    assert_eq!(types.last().unwrap(), "message_stop");
    assert!(types.contains(&"message_delta".to_string()));
    for d in [
        "thinking_delta",
        "signature_delta",
        "text_delta",
        "input_json_delta",
    ] {
        assert!(deltas.contains(&d.to_string()), "{d} missing in {deltas:?}");
    }
    let input: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(input["order_id"].is_string());
    let m = &last["amazon-bedrock-invocationMetrics"];
    for k in [
        "inputTokenCount",
        "outputTokenCount",
        "invocationLatency",
        "firstByteLatency",
    ] {
        assert!(m[k].is_u64(), "{k}");
    }
    assert_eq!(emu.counters().get("invoke-with-response-stream", "ok"), 1);
}

fn fault(
    header: &'static str,
) -> impl Fn(&mut aws_sdk_bedrockruntime::config::http::HttpRequest) + Send + Sync + 'static {
    move |req| {
        req.headers_mut().insert("x-emulator-fault", header);
    }
}

#[tokio::test]
async fn errors_before_the_stream_are_typed() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let cases: &[(&'static str, u16, IsStreamError)] = &[
        ("error=ValidationException", 400, |e| {
            e.is_validation_exception()
        }),
        ("error=AccessDeniedException", 403, |e| {
            e.is_access_denied_exception()
        }),
        ("error=ResourceNotFoundException", 404, |e| {
            e.is_resource_not_found_exception()
        }),
        ("error=ModelTimeoutException", 408, |e| {
            e.is_model_timeout_exception()
        }),
        ("throttle", 429, |e| e.is_throttling_exception()),
        ("error=ModelNotReadyException", 429, |e| {
            e.is_model_not_ready_exception()
        }),
        ("error=ModelErrorException", 424, |e| {
            e.is_model_error_exception()
        }),
        ("error=InternalServerException", 500, |e| {
            e.is_internal_server_exception()
        }),
        ("error=503", 503, |e| e.is_service_unavailable_exception()),
    ];
    for (spec, status, check) in cases {
        let err = c
            .converse_stream()
            .model_id(MODEL)
            .messages(user("hi"))
            .customize()
            .mutate_request(fault(spec))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.raw_response().unwrap().status().as_u16(),
            *status,
            "{spec}"
        );
        let e = err.into_service_error();
        assert!(check(&e), "{spec}: {e:?}");
        assert!(e.meta().message().is_some());
    }
    // Non-stream Converse uses the same shapes.
    let err = c
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .customize()
        .mutate_request(fault("error=ServiceUnavailableException,message=try later"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(&err, ConverseError::ServiceUnavailableException(x) if x.message() == Some("try later")),
        "{err:?}"
    );
    let counters = emu.counters();
    assert_eq!(counters.get("converse-stream", "throttled"), 1);
    assert_eq!(counters.get("converse-stream", "error"), 8);
}

#[tokio::test]
async fn exceptions_during_the_stream_are_typed() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let cases: &[(&'static str, IsEventError)] = &[
        ("exception=throttlingException@3", |e| {
            e.is_throttling_exception()
        }),
        ("exception=modelStreamErrorException@3", |e| {
            e.is_model_stream_error_exception()
        }),
        ("exception=internalServerException@3", |e| {
            e.is_internal_server_exception()
        }),
        ("exception=serviceUnavailableException@3", |e| {
            e.is_service_unavailable_exception()
        }),
        ("exception=validationException@3", |e| {
            e.is_validation_exception()
        }),
    ];
    for (spec, check) in cases {
        let mut out = c
            .converse_stream()
            .model_id(MODEL)
            .messages(user("Tell me about my account"))
            .customize()
            .mutate_request(fault(spec))
            .send()
            .await
            .unwrap();
        let mut seen = 0;
        let err = loop {
            match out.stream.recv().await {
                Ok(Some(_)) => seen += 1,
                Ok(None) => panic!("{spec}: stream ended without the exception"),
                Err(e) => break e,
            }
        };
        assert_eq!(seen, 3, "{spec}: exception after 3 events");
        let e = err.into_service_error();
        assert!(check(&e), "{spec}: {e:?}");
    }
    // The invoke stream has modelTimeoutException too.
    let body = serde_json::json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}]});
    let mut out = c
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .body(Blob::new(body.to_string()))
        .customize()
        .mutate_request(fault("exception=modelTimeoutException@1"))
        .send()
        .await
        .unwrap();
    assert!(out.body.recv().await.unwrap().is_some());
    let e = out.body.recv().await.unwrap_err().into_service_error();
    assert!(
        matches!(e, ResponseStreamError::ModelTimeoutException(_)),
        "{e:?}"
    );
    assert_eq!(emu.counters().get("converse-stream", "exception"), 5);
}

#[tokio::test]
async fn throttle_share_is_deterministic() {
    let emu = start(EmulatorConfig {
        faults: Faults {
            throttle_share: Some(0.2),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let c = client(&emu);
    let mut throttled = Vec::new();
    for i in 1..=10 {
        let r = c
            .converse()
            .model_id(MODEL)
            .messages(user("hi"))
            .send()
            .await;
        if let Err(e) = r {
            assert!(e.into_service_error().is_throttling_exception());
            throttled.push(i);
        }
    }
    assert_eq!(throttled, vec![5, 10]);
    let counters = emu.counters();
    assert_eq!(counters.get("converse", "throttled"), 2);
    assert_eq!(counters.get("converse", "ok"), 8);
    assert_eq!(counters.total_requests, 10);
}

#[tokio::test]
async fn reset_stall_and_corrupt_faults() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let send = |spec: &'static str| {
        c.converse_stream()
            .model_id(MODEL)
            .messages(user("Tell me everything about my plan"))
            .customize()
            .mutate_request(fault(spec))
            .send()
    };
    // Reset after 2 events: the client sees 2 events, then a transport error.
    let mut out = send("reset@2").await.unwrap();
    let mut seen = 0;
    let err = loop {
        match out.stream.recv().await {
            Ok(Some(_)) => seen += 1,
            Ok(None) => panic!("reset stream ended cleanly"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, 2);
    assert!(!matches!(err, SdkError::ServiceError(_)), "{err:?}");

    // Stall after 2 events: nothing more arrives, the connection stays open.
    let mut out = send("stall@2").await.unwrap();
    assert!(out.stream.recv().await.unwrap().is_some());
    assert!(out.stream.recv().await.unwrap().is_some());
    let waited = tokio::time::timeout(Duration::from_millis(400), out.stream.recv()).await;
    assert!(waited.is_err(), "stalled stream must not produce events");
    assert_eq!(emu.counters().open_streams, 1);
    assert_eq!(emu.counters().get("converse-stream", "stall"), 1);
    drop(out);
    for _ in 0..50 {
        if emu.counters().open_streams == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emu.counters().open_streams, 0);

    // Corrupt frame after 1 event: the SDK reports a checksum / framing error.
    let mut out = send("corrupt@1").await.unwrap();
    assert!(out.stream.recv().await.unwrap().is_some());
    let err = out.stream.recv().await.unwrap_err();
    let text = format!("{err:?}").to_lowercase();
    assert!(text.contains("crc") || text.contains("checksum"), "{text}");
    let counters = emu.counters();
    assert_eq!(counters.get("converse-stream", "reset"), 1);
    assert_eq!(counters.get("converse-stream", "corrupt"), 1);
}

#[tokio::test]
async fn rules_script_replies_tools_and_faults() {
    let emu = start(EmulatorConfig {
        rules: vec![
            Rule {
                prompt_contains: Some("opening hours".into()),
                reply: Some("We open at 9:00 a.m. sharp.".into()),
                ..Rule::default()
            },
            Rule {
                prompt_contains: Some("book".into()),
                reply: Some("Booking that now.".into()),
                tool_uses: Some(vec![ScriptedToolUse {
                    name: "book_slot".into(),
                    input: serde_json::json!({"slot": "10:30"}),
                    id: Some("tooluse_fixed".into()),
                }]),
                ..Rule::default()
            },
            Rule {
                model: Some("claude-sonnet-4-5".into()),
                faults: Some(Faults {
                    error: Some("ThrottlingException".into()),
                    ..Faults::default()
                }),
                ..Rule::default()
            },
        ],
        ..EmulatorConfig::default()
    })
    .await;
    let c = client(&emu);
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(user("What are your opening hours?"))
        .send()
        .await
        .unwrap();
    let content = out
        .output()
        .unwrap()
        .as_message()
        .unwrap()
        .content()
        .to_vec();
    assert_eq!(content[0].as_text().unwrap(), "We open at 9:00 a.m. sharp.");
    let out = c
        .converse_stream()
        .model_id(MODEL)
        .messages(user("Please book me in"))
        .tool_config(weather_tools(None))
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    assert_eq!(stream_text(&events), "Booking that now.");
    let start = events.iter().find_map(|e| match e {
        ConverseStreamOutput::ContentBlockStart(s) => Some(s.clone()),
        _ => None,
    });
    let start = start.unwrap();
    assert_eq!(start.content_block_index(), 1);
    let Some(ContentBlockStart::ToolUse(t)) = start.start() else {
        panic!()
    };
    assert_eq!((t.tool_use_id(), t.name()), ("tooluse_fixed", "book_slot"));
    let err = c
        .converse()
        .model_id("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        .messages(user("hi"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_throttling_exception());
    // Rules can be replaced at runtime.
    emu.set_rules(vec![Rule {
        reply: Some("Replaced.".into()),
        ..Rule::default()
    }]);
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(user("What are your opening hours?"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.output().unwrap().as_message().unwrap().content()[0]
            .as_text()
            .unwrap(),
        "Replaced."
    );
}

#[tokio::test]
async fn validation_errors_like_bedrock() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let assistant = |t: &str| {
        Message::builder()
            .role(ConversationRole::Assistant)
            .content(ContentBlock::Text(t.into()))
            .build()
            .unwrap()
    };
    let check = |r: Result<_, SdkError<ConverseError, _>>, needle: &str| {
        let e = r.unwrap_err().into_service_error();
        assert!(e.is_validation_exception(), "{e:?}");
        let msg = e.meta().message().unwrap_or_default().to_string();
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    };
    check(
        c.converse().model_id(MODEL).send().await,
        "must start with a user message",
    );
    check(
        c.converse()
            .model_id(MODEL)
            .messages(assistant("hi"))
            .send()
            .await,
        "must start with a user message",
    );
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .messages(user("b"))
            .send()
            .await,
        "alternate",
    );
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .inference_config(InferenceConfiguration::builder().max_tokens(0).build())
            .send()
            .await,
        "inferenceConfig.maxTokens",
    );
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .inference_config(InferenceConfiguration::builder().temperature(1.5).build())
            .send()
            .await,
        "inferenceConfig.temperature",
    );
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .inference_config(InferenceConfiguration::builder().top_p(-0.1).build())
            .send()
            .await,
        "inferenceConfig.topP",
    );
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .inference_config(InferenceConfiguration::builder().max_tokens(1500).build())
            .additional_model_request_fields(doc(
                serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": 2000}}),
            ))
            .send()
            .await,
        "max_tokens",
    );
    let orphan = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id("tooluse_nope")
                .content(ToolResultContentBlock::Text("x".into()))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .messages(assistant("b"))
            .messages(orphan)
            .tool_config(weather_tools(None))
            .send()
            .await,
        "toolResult",
    );
    let with_use = Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::ToolUse(
            ToolUseBlock::builder()
                .tool_use_id("tooluse_a")
                .name("get_weather")
                .input(doc(serde_json::json!({})))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let wrong = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id("tooluse_b")
                .content(ToolResultContentBlock::Text("x".into()))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    check(
        c.converse()
            .model_id(MODEL)
            .messages(user("a"))
            .messages(with_use)
            .messages(wrong)
            .tool_config(weather_tools(None))
            .send()
            .await,
        "tooluse_b",
    );
    check(
        c.converse()
            .model_id("anthropic.claude-9000")
            .messages(user("a"))
            .send()
            .await,
        "The provided model identifier is invalid.",
    );
    check(
        c.converse()
            .model_id(format!("xx.{BASE}"))
            .messages(user("a"))
            .send()
            .await,
        "The provided model identifier is invalid.",
    );
    assert_eq!(emu.counters().get("converse", "validation_error"), 11);
}

#[tokio::test]
async fn stop_reasons_max_tokens_and_stop_sequence() {
    let emu = start(EmulatorConfig {
        rules: vec![Rule {
            reply: Some("Your total is $3.50. Thank you for calling.".into()),
            ..Rule::default()
        }],
        ..EmulatorConfig::default()
    })
    .await;
    let c = client(&emu);
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(user("total?"))
        .inference_config(InferenceConfiguration::builder().max_tokens(3).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::MaxTokens);
    assert_eq!(out.usage().unwrap().output_tokens(), 3);
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(user("total?"))
        .inference_config(
            InferenceConfiguration::builder()
                .stop_sequences("Thank")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::StopSequence);
    assert_eq!(
        out.output().unwrap().as_message().unwrap().content()[0]
            .as_text()
            .unwrap(),
        "Your total is $3.50. "
    );
}

#[tokio::test]
async fn signature_checks() {
    let emu = start(EmulatorConfig::default()).await;
    let code = |e: &ConverseError| e.meta().code().map(str::to_string);
    // Unknown access key.
    let err = client_with(&emu, "AKIDUNKNOWN", "x")
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);
    assert_eq!(
        code(&err.into_service_error()).as_deref(),
        Some("UnrecognizedClientException")
    );
    // Wrong secret.
    let err = client_with(&emu, "AKIAIOSFODNN7EXAMPLE", "wrong")
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);
    let e = err.into_service_error();
    assert_eq!(code(&e).as_deref(), Some("InvalidSignatureException"));
    assert!(e
        .meta()
        .message()
        .unwrap()
        .starts_with("The request signature we calculated does not match"));
    // Stale date: the client's clock is an hour behind.
    let creds = emu.credentials();
    let conf = builder(&emu)
        .credentials_provider(Credentials::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            None,
            None,
            "t",
        ))
        .time_source(aws_smithy_async::time::StaticTimeSource::new(
            SystemTime::now() - Duration::from_secs(3600),
        ))
        .build();
    let err = Client::from_conf(conf)
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err).as_deref(), Some("InvalidSignatureException"));
    assert!(
        err.meta()
            .message()
            .unwrap()
            .starts_with("Signature expired"),
        "{err:?}"
    );
    // The temporary credentials the instance issued work with their session token...
    let temp = emu.temporary_credentials();
    assert!(temp.access_key_id.starts_with("ASIA"));
    let with_token = |key: &str, secret: &str, token: &str| {
        Client::from_conf(
            builder(&emu)
                .credentials_provider(Credentials::new(
                    key,
                    secret,
                    Some(token.to_string()),
                    None,
                    "t",
                ))
                .build(),
        )
    };
    with_token(
        &temp.access_key_id,
        &temp.secret_access_key,
        &temp.session_token,
    )
    .converse()
    .model_id(MODEL)
    .messages(user("hi"))
    .send()
    .await
    .unwrap();
    // ...and any other token is rejected as Bedrock does: on the temporary key, and on the
    // long-term key (which takes none).
    for (key, secret) in [
        (&temp.access_key_id, &temp.secret_access_key),
        (&creds.access_key_id, &creds.secret_access_key),
    ] {
        let err = with_token(key, secret, "FwoGZXIvYXdzEBogus")
            .converse()
            .model_id(MODEL)
            .messages(user("hi"))
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&err).as_deref(), Some("UnrecognizedClientException"));
        assert_eq!(
            err.meta().message(),
            Some("The security token included in the request is invalid.")
        );
    }
    // Body altered after signing.
    let err = client(&emu)
        .converse()
        .model_id(MODEL)
        .messages(user("Hello"))
        .customize()
        .interceptor(Tamper)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err).as_deref(), Some("InvalidSignatureException"));
    assert_eq!(emu.counters().get("converse", "auth_error"), 6);
}

#[derive(Debug)]
struct Tamper;

impl Intercept for Tamper {
    fn name(&self) -> &'static str {
        "tamper"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_bedrockruntime::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let req = context.request_mut();
        let body = req.body().bytes().unwrap_or_default().to_vec();
        let altered = String::from_utf8(body).unwrap().replace("Hello", "Jello");
        *req.body_mut() = aws_smithy_types::body::SdkBody::from(altered);
        Ok(())
    }
}

#[tokio::test]
async fn bearer_api_key() {
    let emu = start(EmulatorConfig {
        api_key: Some("bedrock-api-key-test".into()),
        ..EmulatorConfig::default()
    })
    .await;
    let with_token =
        |t: &str| Client::from_conf(builder(&emu).bearer_token(Token::new(t, None)).build());
    with_token("bedrock-api-key-test")
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .send()
        .await
        .unwrap();
    let err = with_token("wrong-key")
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);
    // SigV4 still works alongside.
    client(&emu)
        .converse()
        .model_id(MODEL)
        .messages(user("hi"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn pacing_delays_first_token() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let started = std::time::Instant::now();
    let out = c
        .converse_stream()
        .model_id(MODEL)
        .messages(user("hi"))
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert(
                "x-emulator-pacing",
                "first_token_ms=150,tps=2000,delta_chars=4",
            );
        })
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    let deltas: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            ConverseStreamOutput::ContentBlockDelta(d) => {
                d.delta().and_then(|x| x.as_text().ok()).cloned()
            }
            _ => None,
        })
        .collect();
    assert!(deltas.iter().all(|d| d.chars().count() <= 8), "{deltas:?}");
    let _ = base64::engine::general_purpose::STANDARD.encode("x");
}

/// A paced stream without faults is paced by its response body (no producer task): the
/// SDK reads stamped deltas with valid CRCs at the paced rate, the stream counts as open
/// while it runs and `ok` at its end; a client that leaves early counts as
/// `client_closed` and the stream closes.
#[tokio::test]
async fn paced_streams_stamp_and_count() {
    paced_streams_stamp_and_count_with(EmulatorConfig::default()).await;
}

/// The same on the shared ticker (`pacing_tick_ms`): pauses end on a tick boundary, never
/// before their exact end.
#[tokio::test]
async fn paced_streams_on_the_ticker_stamp_and_count() {
    paced_streams_stamp_and_count_with(EmulatorConfig {
        pacing_tick_ms: 5,
        ..EmulatorConfig::default()
    })
    .await;
}

async fn paced_streams_stamp_and_count_with(config: EmulatorConfig) {
    let emu = start(config).await;
    let c = client(&emu);
    let send = |pacing: &'static str| {
        c.converse_stream()
            .model_id(MODEL)
            .messages(user("Tell me everything about my plan"))
            .customize()
            .mutate_request(move |r| {
                r.headers_mut().insert("x-emulator-pacing", pacing);
            })
            .send()
    };
    let started = std::time::Instant::now();
    let out = send("first_token_ms=50,tps=400,delta_chars=8,stamp=1")
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    let elapsed = started.elapsed();
    let texts: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            ConverseStreamOutput::ContentBlockDelta(d) => {
                d.delta().and_then(|x| x.as_text().ok()).cloned()
            }
            _ => None,
        })
        .collect();
    assert!(texts.len() >= 3, "{texts:?}");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_micros();
    let mut last = 0u128;
    for t in &texts {
        assert!(t.starts_with('T') && t.as_bytes()[17] == b'Z', "{t}");
        let at: u128 = t[1..17].parse().unwrap();
        assert!(at >= last && at <= now, "stamps are send times, in order");
        last = at;
    }
    // The first-token delay plus at least one token's pause per delta after the first.
    assert!(
        elapsed
            >= Duration::from_millis(50) + Duration::from_micros(2_500 * (texts.len() as u64 - 1)),
        "{elapsed:?} for {} deltas",
        texts.len()
    );
    assert_eq!(emu.counters().get("converse-stream", "ok"), 1);
    assert_eq!(emu.counters().open_streams, 0);

    // A client that leaves after two events.
    let mut out = send("first_token_ms=0,tps=20,stamp=1").await.unwrap();
    assert!(out.stream.recv().await.unwrap().is_some());
    assert!(out.stream.recv().await.unwrap().is_some());
    assert_eq!(emu.counters().open_streams, 1);
    drop(out);
    for _ in 0..100 {
        if emu.counters().open_streams == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let counters = emu.counters();
    assert_eq!(counters.open_streams, 0);
    assert_eq!(counters.get("converse-stream", "client_closed"), 1);
    assert_eq!(counters.get("converse-stream", "ok"), 1);
}

/// The SDK reads the service tier and latency setting back (Converse body, ConverseStream
/// `metadata`, InvokeModel headers): AWS's service-tiers page says the served tier "is
/// visible in API response".
#[tokio::test]
async fn service_tier_and_latency_round_trip() {
    use aws_sdk_bedrockruntime::types::{
        PerformanceConfigLatency, PerformanceConfiguration, ServiceTier, ServiceTierType,
    };
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let tier = ServiceTier::builder()
        .r#type(ServiceTierType::Priority)
        .build()
        .unwrap();
    let latency = PerformanceConfiguration::builder()
        .latency(PerformanceConfigLatency::Optimized)
        .build();
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(user("Hello"))
        .service_tier(tier.clone())
        .performance_config(latency.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.service_tier(), Some(&tier));
    assert_eq!(out.performance_config(), Some(&latency));
    let out = c
        .converse_stream()
        .model_id(MODEL)
        .messages(user("Hello"))
        .service_tier(tier.clone())
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    match events.last().unwrap() {
        ConverseStreamOutput::Metadata(m) => {
            assert_eq!(m.service_tier(), Some(&tier));
            assert_eq!(m.performance_config(), None);
        }
        other => panic!("expected metadata, got {other:?}"),
    }
    let body = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}"#;
    let out = c
        .invoke_model()
        .model_id(MODEL)
        .body(Blob::new(body))
        .service_tier(ServiceTierType::Flex)
        .performance_config_latency(PerformanceConfigLatency::Standard)
        .send()
        .await
        .unwrap();
    assert_eq!(out.service_tier(), Some(&ServiceTierType::Flex));
    assert_eq!(
        out.performance_config_latency(),
        Some(&PerformanceConfigLatency::Standard)
    );
    let err = c
        .converse()
        .model_id(MODEL)
        .messages(user("Hello"))
        .service_tier(
            ServiceTier::builder()
                .r#type(ServiceTierType::Reserved)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_eq!(err.meta().message(), Some("Reservation not found."));
}

/// A text document with citations enabled: the answer opens with a `citationsContent` block
/// citing its first sentence by character offsets, then the text; streamed, a `citation`
/// delta comes first in that block (the order of Bedrock's recorded stream, agentjido/req_llm
/// converse_citations_streaming.json).
#[tokio::test]
async fn document_citations_converse_and_stream() {
    use aws_sdk_bedrockruntime::types::{
        CitationLocation, CitationsConfig, DocumentBlock, DocumentFormat, DocumentSource,
    };
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu);
    let text = "The clinic opens at 9:00 on weekdays. Parking is free.";
    let doc = |cite: bool| {
        ContentBlock::Document(
            DocumentBlock::builder()
                .name("hours")
                .format(DocumentFormat::Txt)
                .source(DocumentSource::Text(text.into()))
                .citations(CitationsConfig::builder().enabled(cite).build().unwrap())
                .build()
                .unwrap(),
        )
    };
    let msg = |cite: bool| {
        Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text("When do you open?".into()))
            .content(doc(cite))
            .build()
            .unwrap()
    };
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(msg(true))
        .send()
        .await
        .unwrap();
    let content = out.output().unwrap().as_message().unwrap().content();
    let cited = content[0]
        .as_citations_content()
        .expect("a citationsContent block");
    assert_eq!(
        cited.content()[0].as_text().unwrap(),
        "The clinic opens at 9:00 on weekdays."
    );
    let citation = &cited.citations()[0];
    assert_eq!(citation.title(), Some("hours"));
    assert_eq!(
        citation.source_content()[0].as_text().unwrap(),
        "The clinic opens at 9:00 on weekdays."
    );
    match citation.location().unwrap() {
        CitationLocation::DocumentChar(l) => {
            assert_eq!(
                (l.document_index(), l.start(), l.end()),
                (Some(0), Some(0), Some(37))
            )
        }
        other => panic!("expected documentChar, got {other:?}"),
    }
    let rest = content[1].as_text().unwrap().clone();
    assert!(rest.starts_with(' ') && rest.len() > 10, "{rest:?}");

    let out = c
        .converse_stream()
        .model_id(MODEL)
        .messages(msg(true))
        .send()
        .await
        .unwrap();
    let events = collect_stream(out).await.unwrap();
    let deltas: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ConverseStreamOutput::ContentBlockDelta(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(deltas[0].content_block_index(), 0);
    match deltas[0].delta().unwrap() {
        ContentBlockDelta::Citation(d) => assert_eq!(d.title(), Some("hours")),
        other => panic!("expected a citation delta first, got {other:?}"),
    }
    let block = |i: i32| {
        deltas
            .iter()
            .filter(|d| d.content_block_index() == i)
            .filter_map(|d| d.delta().and_then(|x| x.as_text().ok()).cloned())
            .collect::<String>()
    };
    assert_eq!(block(0), "The clinic opens at 9:00 on weekdays.");
    assert_eq!(block(1), rest);

    // Citations off: a plain answer.
    let out = c
        .converse()
        .model_id(MODEL)
        .messages(msg(false))
        .send()
        .await
        .unwrap();
    let content = out.output().unwrap().as_message().unwrap().content();
    assert!(content.iter().all(|b| b.as_citations_content().is_err()));
}
