//! Anthropic Messages output: the message body (InvokeModel, Messages API), the stream
//! events as `chunk` frames whose `bytes` carry base64 JSON (InvokeModelWithResponseStream),
//! or as Server-Sent Events (Messages API, both endpoint styles).

use serde_json::{json, Value};

use crate::render::{invoke_chunk, sse};
use crate::reply::plan::{split_chunks, split_deltas, StopReason};
use crate::reply::{Event, Reply};
use crate::request::tokens;

fn stop_fields(reply: &Reply) -> (&'static str, Value) {
    match &reply.plan.stop_reason {
        StopReason::StopSequence(s) => ("stop_sequence", json!(s)),
        other => (other.converse(), Value::Null),
    }
}

fn message_id(reply: &mut Reply) -> String {
    format!("msg_bdrk_01{}", reply.rng.alnum(22))
}

fn tool_id(id: &str) -> String {
    // Bedrock's Converse ids look like `tooluse_...`; Anthropic's like `toolu_bdrk_01...`.
    match id.strip_prefix("tooluse_") {
        Some(rest) => format!("toolu_bdrk_01{rest}"),
        None => id.to_string(),
    }
}

fn usage(reply: &Reply) -> Value {
    json!({
        "input_tokens": reply.input_tokens,
        "output_tokens": reply.output_tokens,
        "cache_creation_input_tokens": reply.cache.write,
        "cache_read_input_tokens": reply.cache.read,
    })
}

/// The InvokeModel response body.
pub fn response(reply: &mut Reply) -> Value {
    let plan = reply.plan.clone();
    let mut content = Vec::new();
    if let Some((text, signature)) = &plan.reasoning {
        content.push(json!({"type": "thinking", "thinking": text, "signature": signature}));
    }
    if !plan.text.is_empty() {
        content.push(json!({"type": "text", "text": plan.text}));
    }
    for t in &plan.tool_uses {
        content.push(
            json!({"type": "tool_use", "id": tool_id(&t.id), "name": t.name, "input": t.input}),
        );
    }
    let (stop_reason, stop_sequence) = stop_fields(reply);
    json!({
        "id": message_id(reply),
        "type": "message",
        "role": "assistant",
        "model": reply.model_name,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage(reply),
    })
}

/// One Messages stream event: its JSON and the output tokens it carries (for pacing). A
/// text delta, nearly every event of a paced stream, keeps only its index and text (`json`
/// is null) and is written straight to its frame ([`sse_text_delta`]); [`Self::into_json`]
/// builds its JSON where one is needed.
pub struct MessageEvent {
    pub json: Value,
    pub tokens: u64,
    pub text_delta: Option<(u64, String)>,
}

impl MessageEvent {
    pub fn into_json(self) -> Value {
        match self.text_delta {
            Some((index, text)) => json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "text_delta", "text": text}}),
            None => self.json,
        }
    }
}

/// The SSE event of a text delta, written directly: the bytes of `sse::event(
/// "content_block_delta", {"type", "index", "delta": {"type": "text_delta", "text"}})`
/// (serde_json writes keys sorted; tested) without a `Value` per delta.
fn sse_text_delta(index: u64, text: &str) -> bytes::Bytes {
    use std::io::Write;
    let mut out = Vec::with_capacity(text.len() + 128);
    out.extend_from_slice(b"event: content_block_delta\ndata: {\"delta\":{\"text\":");
    crate::render::converse::json_string(&mut out, text);
    out.extend_from_slice(b",\"type\":\"text_delta\"},\"index\":");
    let _ = write!(out, "{index}");
    out.extend_from_slice(b",\"type\":\"content_block_delta\"}\n\n");
    bytes::Bytes::from(out)
}

/// The Messages stream events, in order (`message_start` ... `message_stop`), without
/// Bedrock's invocation metrics.
pub fn message_events(reply: &mut Reply) -> Vec<MessageEvent> {
    let plan = reply.plan.clone();
    let size = reply.delta_chars;
    let mut events = Vec::new();
    fn push(events: &mut Vec<MessageEvent>, json: Value, tokens: u64) {
        events.push(MessageEvent {
            json,
            tokens,
            text_delta: None,
        });
    }
    let id = message_id(reply);
    let mut start_usage = usage(reply);
    start_usage["output_tokens"] = json!(1);
    push(
        &mut events,
        json!({"type": "message_start", "message": {
        "id": id, "type": "message", "role": "assistant", "model": reply.model_name, "content": [],
        "stop_reason": null, "stop_sequence": null, "usage": start_usage}}),
        0,
    );
    let mut index: u64 = 0;
    if let Some((text, signature)) = &plan.reasoning {
        push(
            &mut events,
            json!({"type": "content_block_start", "index": index, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
            0,
        );
        for piece in split_deltas(text, size) {
            let t = tokens(&piece);
            push(
                &mut events,
                json!({"type": "content_block_delta", "index": index, "delta": {"type": "thinking_delta", "thinking": piece}}),
                t,
            );
        }
        push(
            &mut events,
            json!({"type": "content_block_delta", "index": index, "delta": {"type": "signature_delta", "signature": signature}}),
            0,
        );
        push(
            &mut events,
            json!({"type": "content_block_stop", "index": index}),
            0,
        );
        index += 1;
    }
    if !plan.text.is_empty() {
        push(
            &mut events,
            json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
            0,
        );
        for piece in split_deltas(&plan.text, size) {
            let t = tokens(&piece);
            events.push(MessageEvent {
                json: Value::Null,
                tokens: t,
                text_delta: Some((index, piece)),
            });
        }
        push(
            &mut events,
            json!({"type": "content_block_stop", "index": index}),
            0,
        );
        index += 1;
    }
    for tu in &plan.tool_uses {
        push(
            &mut events,
            json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": tool_id(&tu.id), "name": tu.name, "input": {}}}),
            0,
        );
        for piece in split_chunks(&tu.input.to_string(), size.clamp(4, 24)) {
            let t = tokens(&piece);
            push(
                &mut events,
                json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": piece}}),
                t,
            );
        }
        push(
            &mut events,
            json!({"type": "content_block_stop", "index": index}),
            0,
        );
        index += 1;
    }
    let (stop_reason, stop_sequence) = stop_fields(reply);
    push(
        &mut events,
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence}, "usage": {"output_tokens": reply.output_tokens}}),
        0,
    );
    push(&mut events, json!({"type": "message_stop"}), 0);
    events
}

pub(crate) fn invocation_metrics(reply: &Reply) -> Value {
    json!({
        "inputTokenCount": reply.input_tokens,
        "outputTokenCount": reply.output_tokens,
        "invocationLatency": reply.latency_ms,
        "firstByteLatency": reply.first_token_ms.max(1),
        "cacheReadInputTokenCount": reply.cache.read,
        "cacheWriteInputTokenCount": reply.cache.write,
    })
}

/// The InvokeModelWithResponseStream `chunk` events, in order. `message_stop` carries
/// `amazon-bedrock-invocationMetrics`, as on Bedrock.
pub fn stream_events(reply: &mut Reply) -> Vec<Event> {
    let mut inner = message_events(reply);
    if let Some(last) = inner.last_mut() {
        last.json["amazon-bedrock-invocationMetrics"] = invocation_metrics(reply);
    }
    inner
        .into_iter()
        .map(|e| {
            let tokens = e.tokens;
            invoke_chunk(&e.into_json(), tokens, &mut reply.rng)
        })
        .collect()
}

/// The Messages API's Server-Sent Events, in order, with a `ping` after `message_start`
/// as Anthropic sends it. `runtime` adds Bedrock's invocation metrics to `message_stop`.
pub fn sse_events(reply: &mut Reply, runtime: bool) -> Vec<Event> {
    let mut inner = message_events(reply);
    if runtime {
        if let Some(last) = inner.last_mut() {
            last.json["amazon-bedrock-invocationMetrics"] = invocation_metrics(reply);
        }
    }
    let mut out = Vec::with_capacity(inner.len() + 1);
    for (i, e) in inner.into_iter().enumerate() {
        let frame = match &e.text_delta {
            Some((index, text)) => sse_text_delta(*index, text),
            None => sse::event(e.json["type"].as_str().unwrap_or("message"), &e.json),
        };
        out.push(Event {
            frame,
            tokens: e.tokens,
        });
        if i == 0 {
            out.push(Event {
                frame: sse::event("ping", &json!({"type": "ping"})),
                tokens: 0,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_text_deltas_are_the_bytes_of_the_value_path() {
        for index in [0u64, 1, 987654] {
            for text in [
                "Hello ",
                "",
                "quote \" back \\ slash",
                "tab\tnew\nline \u{1} ctl",
                "éà 漢字 🙂 ",
                "del \u{7f} and / slash",
            ] {
                let event = MessageEvent {
                    json: Value::Null,
                    tokens: 1,
                    text_delta: Some((index, text.to_string())),
                };
                let value = event.into_json();
                assert_eq!(
                    sse_text_delta(index, text),
                    sse::event("content_block_delta", &value),
                    "{index} {text:?}"
                );
            }
        }
    }
}
