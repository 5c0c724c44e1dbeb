//! The native InvokeModel output of the models whose body is not Converse's or Anthropic's
//! (request/prompt_body.rs):
//!
//! - Meta Llama (AWS's model-parameters-meta page): `{"generation", "prompt_token_count",
//!   "generation_token_count", "stop_reason"}`; a stream sends the same fields per `chunk`:
//!   the text piece, the prompt count on the first chunk only, the generated count so far.
//! - Mistral AI text completion: `{"outputs": [{"text", "stop_reason"}]}`, per chunk too.
//! - Amazon Titan Text (AWS's model-parameters-titan-text page): `{"inputTextTokenCount",
//!   "results": [{"tokenCount", "outputText", "completionReason"}]}`; a chunk is
//!   `{"outputText", "index", "totalOutputTextTokenCount", "completionReason",
//!   "inputTextTokenCount"}` (the prompt count on the first chunk only).
//! - OpenAI gpt-oss (AWS's model-parameters-openai page: the response body follows OpenAI's
//!   chat completion object; with InvokeModel the model's reasoning comes first, in
//!   `<reasoning>` tags): `{"id", "object": "chat.completion", "created", "model", "choices":
//!   [{"index", "message": {"role", "content"}, "finish_reason"}], "usage"}`; a stream sends
//!   `chat.completion.chunk` objects, `choices[0].delta.content` (what langchain-aws reads).
//! - DeepSeek-R1 (AWS's model-parameters-deepseek page): `{"choices": [{"text",
//!   "stop_reason"}]}`, `stop_reason` `stop` or `length` (the page's values); a stream sends the
//!   same object per chunk (what langchain-aws reads: `choices[0].text`, and the end at a
//!   `stop_reason` of `stop` / `length`).
//!
//! The stop reason is `stop` / `length` (Llama, Mistral, OpenAI, DeepSeek: the values Bedrock clients
//! map, e.g. langchain4j's BedrockLlamaChatModelResponse and BedrockMistralAiChatModelResponse)
//! or `FINISH` / `LENGTH` (Titan, as clients' fixtures of real replies show it; a stop
//! sequence is reported as FINISH too), null until the last chunk, which also carries
//! `amazon-bedrock-invocationMetrics` (what langchain-aws reads the usage from).

use serde_json::{json, Value};

use crate::catalog::PromptBody;
use crate::render::anthropic::invocation_metrics;
use crate::render::invoke_chunk;
use crate::reply::plan::{split_deltas, StopReason};
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

/// One body or chunk: `text`, the prompt count (`None`: null), the generated count, the stop
/// reason (Llama, Mistral, Titan chunks).
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
        PromptBody::OpenAiChat => json!({
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": stop}],
        }),
        PromptBody::DeepSeek => json!({"choices": [{"text": text, "stop_reason": stop}]}),
    }
}

fn openai_id(reply: &mut Reply) -> String {
    format!("chatcmpl-{}", reply.rng.alnum(24))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The InvokeModel body.
pub fn response(reply: &mut Reply, kind: PromptBody) -> Value {
    match kind {
        PromptBody::TitanText => json!({
            "inputTextTokenCount": reply.input_tokens,
            "results": [{"tokenCount": reply.output_tokens, "outputText": reply.plan.text,
                         "completionReason": stop_reason(reply, kind)}],
        }),
        PromptBody::OpenAiChat => {
            let reasoning = reply
                .plan
                .reasoning
                .as_ref()
                .map(|(text, _)| format!("<reasoning>{text}</reasoning>"))
                .unwrap_or_default();
            json!({
                "id": openai_id(reply),
                "object": "chat.completion",
                "created": unix_now(),
                "model": reply.model_name,
                "choices": [{"index": 0,
                             "message": {"role": "assistant",
                                         "content": format!("{reasoning}{}", reply.plan.text)},
                             "finish_reason": stop_reason(reply, kind)}],
                "usage": {"prompt_tokens": reply.input_tokens,
                          "completion_tokens": reply.output_tokens,
                          "total_tokens": reply.input_tokens + reply.output_tokens},
            })
        }
        _ => body(
            kind,
            &reply.plan.text,
            Some(reply.input_tokens),
            reply.output_tokens,
            json!(stop_reason(reply, kind)),
        ),
    }
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
    let stop = json!(stop_reason(reply, kind));
    let mut last = body(kind, "", prompt, reply.output_tokens, stop);
    if kind == PromptBody::OpenAiChat {
        // A chat.completion.chunk: the id, time and model on every chunk, an empty delta last.
        last["choices"][0]["delta"] = json!({});
        let (id, created) = (openai_id(reply), unix_now());
        let stamp = |v: &mut Value| {
            v["id"] = json!(id);
            v["object"] = json!("chat.completion.chunk");
            v["created"] = json!(created);
            v["model"] = json!(reply.model_name);
        };
        for (chunk, _) in chunks.iter_mut() {
            stamp(chunk);
        }
        stamp(&mut last);
    }
    last["amazon-bedrock-invocationMetrics"] = invocation_metrics(reply);
    chunks.push((last, 0));
    chunks
        .into_iter()
        .map(|(inner, tokens)| invoke_chunk(&inner, tokens, &mut reply.rng))
        .collect()
}
