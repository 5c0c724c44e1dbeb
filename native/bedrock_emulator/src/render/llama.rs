//! Meta Llama's native InvokeModel output (docs.aws.amazon.com/bedrock/latest/userguide/
//! model-parameters-meta.html): `{"generation", "prompt_token_count",
//! "generation_token_count", "stop_reason"}`, `stop_reason` `stop` or `length` (the values
//! Bedrock clients map, e.g. langchain4j's BedrockLlamaChatModelResponse). A stream sends
//! the same fields per `chunk`: the text piece, the prompt count on the first chunk only,
//! the generated count so far, `stop_reason` on the last chunk, which also carries
//! `amazon-bedrock-invocationMetrics` (what langchain-aws reads the usage from).

use base64::Engine;
use serde_json::{json, Value};

use crate::render::anthropic::invocation_metrics;
use crate::render::eventstream;
use crate::reply::plan::{padding, split_deltas, StopReason};
use crate::reply::{Event, Reply};
use crate::request::tokens;

fn stop_reason(reply: &Reply) -> &'static str {
    match reply.plan.stop_reason {
        StopReason::MaxTokens => "length",
        _ => "stop",
    }
}

/// The InvokeModel body.
pub fn response(reply: &Reply) -> Value {
    json!({
        "generation": reply.plan.text,
        "prompt_token_count": reply.input_tokens,
        "generation_token_count": reply.output_tokens,
        "stop_reason": stop_reason(reply),
    })
}

/// The InvokeModelWithResponseStream `chunk` events.
pub fn stream_events(reply: &mut Reply) -> Vec<Event> {
    let pieces = split_deltas(&reply.plan.text, reply.delta_chars);
    let mut chunks = Vec::with_capacity(pieces.len() + 1);
    let mut generated = 0u64;
    for (i, piece) in pieces.into_iter().enumerate() {
        let t = tokens(&piece);
        generated = (generated + t).min(reply.output_tokens);
        let prompt = if i == 0 {
            json!(reply.input_tokens)
        } else {
            Value::Null
        };
        chunks.push((
            json!({"generation": piece, "prompt_token_count": prompt,
                   "generation_token_count": generated, "stop_reason": null}),
            t,
        ));
    }
    let last = json!({
        "generation": "",
        "prompt_token_count": if chunks.is_empty() { json!(reply.input_tokens) } else { Value::Null },
        "generation_token_count": reply.output_tokens,
        "stop_reason": stop_reason(reply),
        "amazon-bedrock-invocationMetrics": invocation_metrics(reply),
    });
    chunks.push((last, 0));
    chunks
        .into_iter()
        .map(|(inner, tokens)| {
            let bytes = base64::engine::general_purpose::STANDARD.encode(inner.to_string());
            let payload = json!({"bytes": bytes, "p": padding(&mut reply.rng)});
            Event {
                frame: eventstream::event("chunk", &payload),
                tokens,
            }
        })
        .collect()
}
