//! The native InvokeModel output of prompt-completion models (request/prompt_body.rs):
//!
//! - Meta Llama (AWS's model-parameters-meta page): `{"generation", "prompt_token_count",
//!   "generation_token_count", "stop_reason"}`; a stream sends the same fields per `chunk`:
//!   the text piece, the prompt count on the first chunk only, the generated count so far.
//! - Mistral AI text completion: `{"outputs": [{"text", "stop_reason"}]}`, per chunk too.
//! - Amazon Titan Text (AWS's model-parameters-titan-text page): `{"inputTextTokenCount",
//!   "results": [{"tokenCount", "outputText", "completionReason"}]}`; a chunk is
//!   `{"outputText", "index", "totalOutputTextTokenCount", "completionReason",
//!   "inputTextTokenCount"}` (the prompt count on the first chunk only).
//!
//! The stop reason is `stop` / `length` (Llama, Mistral: the values Bedrock clients map, e.g.
//! langchain4j's BedrockLlamaChatModelResponse and BedrockMistralAiChatModelResponse) or
//! `FINISH` / `LENGTH` (Titan, as clients' fixtures of real replies show it; a stop sequence
//! is reported as FINISH too), null until the last chunk, which also carries
//! `amazon-bedrock-invocationMetrics` (what langchain-aws reads the usage from).

use base64::Engine;
use serde_json::{json, Value};

use crate::catalog::PromptBody;
use crate::render::anthropic::invocation_metrics;
use crate::render::eventstream;
use crate::reply::plan::{padding, split_deltas, StopReason};
use crate::reply::{Event, Reply};
use crate::request::tokens;

fn stop_reason(reply: &Reply, kind: PromptBody) -> &'static str {
    match (kind, reply.plan.stop_reason == StopReason::MaxTokens) {
        (PromptBody::TitanText, true) => "LENGTH",
        (PromptBody::TitanText, false) => "FINISH",
        (_, true) => "length",
        (_, false) => "stop",
    }
}

/// One body: `text`, the prompt count (`None`: null), the generated count, the stop reason.
fn body(kind: PromptBody, text: &str, prompt: Option<u64>, generated: u64, stop: Value) -> Value {
    match kind {
        PromptBody::Llama => json!({
            "generation": text, "prompt_token_count": prompt,
            "generation_token_count": generated, "stop_reason": stop,
        }),
        PromptBody::MistralText { .. } => json!({"outputs": [{"text": text, "stop_reason": stop}]}),
        PromptBody::TitanText => json!({
            "outputText": text, "index": 0, "totalOutputTextTokenCount": generated,
            "completionReason": stop, "inputTextTokenCount": prompt,
        }),
    }
}

/// The InvokeModel body.
pub fn response(reply: &Reply, kind: PromptBody) -> Value {
    if kind == PromptBody::TitanText {
        return json!({
            "inputTextTokenCount": reply.input_tokens,
            "results": [{"tokenCount": reply.output_tokens, "outputText": reply.plan.text,
                         "completionReason": stop_reason(reply, kind)}],
        });
    }
    body(
        kind,
        &reply.plan.text,
        Some(reply.input_tokens),
        reply.output_tokens,
        json!(stop_reason(reply, kind)),
    )
}

/// The InvokeModelWithResponseStream `chunk` events.
pub fn stream_events(reply: &mut Reply, kind: PromptBody) -> Vec<Event> {
    let pieces = split_deltas(&reply.plan.text, reply.delta_chars);
    let mut chunks = Vec::with_capacity(pieces.len() + 1);
    let mut generated = 0u64;
    for (i, piece) in pieces.into_iter().enumerate() {
        let t = tokens(&piece);
        generated = (generated + t).min(reply.output_tokens);
        let prompt = (i == 0).then_some(reply.input_tokens);
        chunks.push((body(kind, &piece, prompt, generated, Value::Null), t));
    }
    let prompt = chunks.is_empty().then_some(reply.input_tokens);
    let mut last = body(
        kind,
        "",
        prompt,
        reply.output_tokens,
        json!(stop_reason(reply, kind)),
    );
    last["amazon-bedrock-invocationMetrics"] = invocation_metrics(reply);
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
