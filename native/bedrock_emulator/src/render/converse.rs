//! Converse / ConverseStream output (restJson1 body and event-stream events).

use std::io::Write;

use serde_json::{json, Value};

use crate::render::anthropic::invocation_metrics;
use crate::render::{eventstream, invoke_chunk};
use crate::reply::plan::{padding, split_chunks, split_deltas, PlannedCitation, StopReason};
use crate::reply::{Event, Reply};
use crate::request::tokens;

/// Converse `usage` with the keys Bedrock sends, recorded in agentjido/req_llm
/// test/support/fixtures/amazon_bedrock/ at commit 19748e930d0c6049d1b42196f8cb1a4915638967
/// (captured 2026-09-07..09, Claude Haiku 4.5 and Nova Pro):
/// - Converse, nothing cached (guardrail_converse_allowed.json): inputTokens, outputTokens,
///   totalTokens, cacheReadInputTokens: 0, cacheReadInputTokenCount: 0, serverToolUsage: {};
///   no cacheWrite* key.
/// - Converse, something written (prompt_cache_explicit.json, prompt_cache_1h.json,
///   sequential_tool_cache_1..4.json, a read beside a write in 2..4): also
///   cacheWriteInputTokens / cacheWriteInputTokenCount = N, and for Claude `cacheDetails`
///   [{inputTokens: N, ttl}] (Nova's write in us_amazon_nova_pro_v1_0/prompt_cache_tools.json
///   has no cacheDetails).
/// - ConverseStream metadata, nothing cached (converse_reasoning_streaming.json):
///   inputTokens, outputTokens, serverToolUsage: {}, totalTokens; no cache key at all.
/// - ConverseStream metadata, a cache read (prompt_cache_streaming.json): all four cache keys,
///   cacheWrite* = 0 included.
///
/// Not recorded: a Converse answer with a read and no write (rendered like the nothing-cached
/// one plus the read counts) and a stream that writes (rendered like the stream read: all
/// four keys, cacheDetails for Claude).
///
/// Nova's InvokeModel body (`Keys::Invoke`) keeps the earlier shape (both cache keys, no
/// recorded answer to follow).
fn usage(reply: &Reply, keys: Keys) -> Value {
    let (read, write) = (reply.cache.read, reply.cache.write);
    if keys == Keys::Invoke {
        let mut u = json!({
            "inputTokens": reply.input_tokens,
            "outputTokens": reply.output_tokens,
            "totalTokens": reply.total_tokens(),
            "cacheReadInputTokens": read,
            "cacheWriteInputTokens": write,
        });
        if write > 0 {
            u["cacheDetails"] = cache_details(reply);
        }
        return u;
    }
    let stream = keys == Keys::ConverseStream;
    let mut u = json!({
        "inputTokens": reply.input_tokens,
        "outputTokens": reply.output_tokens,
        "totalTokens": reply.total_tokens(),
        "serverToolUsage": {},
    });
    let cached = read > 0 || write > 0;
    if !stream || cached {
        u["cacheReadInputTokens"] = json!(read);
        u["cacheReadInputTokenCount"] = json!(read);
    }
    if write > 0 || (stream && cached) {
        u["cacheWriteInputTokens"] = json!(write);
        u["cacheWriteInputTokenCount"] = json!(write);
    }
    if write > 0 && reply.anthropic {
        u["cacheDetails"] = cache_details(reply);
    }
    u
}

/// Which operation's `usage` keys to render (see `usage`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Converse,
    ConverseStream,
    Invoke,
}

fn cache_details(reply: &Reply) -> Value {
    let ttl = if reply.cache.write_ttl_secs >= 3600 {
        "1h"
    } else {
        "5m"
    };
    json!([{ "ttl": ttl, "inputTokens": reply.cache.write }])
}

/// `additionalModelResponseFields`: the requested JSON Pointers looked up in the model's
/// native response (Anthropic's Messages body for Claude; other models' native fields are
/// not modelled), nested as the pointer reads. Pointers to absent fields are ignored, as
/// the service model documents; `None` when nothing was asked or found.
fn additional_fields(reply: &Reply) -> Option<Value> {
    if reply.response_field_paths.is_empty() || !reply.anthropic {
        return None;
    }
    let plan = &reply.plan;
    let (stop_reason, stop_sequence) = match &plan.stop_reason {
        StopReason::StopSequence(s) => ("stop_sequence", json!(s)),
        other => (other.converse(), Value::Null),
    };
    let native = json!({
        "type": "message",
        "role": "assistant",
        "model": reply.model_name,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens,
                  "cache_read_input_tokens": reply.cache.read,
                  "cache_creation_input_tokens": reply.cache.write},
    });
    let mut out = serde_json::Map::new();
    for path in &reply.response_field_paths {
        let Some(found) = native.pointer(path) else {
            continue;
        };
        let mut segments: Vec<String> = path[1..]
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let Some(last) = segments.pop() else { continue };
        let mut at = &mut out;
        for seg in segments {
            let next = at.entry(seg).or_insert_with(|| json!({}));
            if !next.is_object() {
                *next = json!({});
            }
            at = next.as_object_mut()?;
        }
        at.insert(last, found.clone());
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// A Citation (Converse body) or CitationsDelta (ConverseStream): the keys Bedrock sends for
/// Claude Haiku 4.5 (agentjido/req_llm test/support/fixtures/amazon_bedrock/
/// anthropic_claude_haiku_4_5_20251001_v1_0/converse_citations*.json, recorded 2026-09-12:
/// `title`, `sourceContent`, `location`; a PDF there, so `documentPage`; text documents get
/// `documentChar`, the character form of botocore's CitationLocation).
fn citation(c: &PlannedCitation) -> Value {
    json!({
        "title": c.title,
        "sourceContent": [{"text": c.cited}],
        "location": {"documentChar": {"documentIndex": c.document_index, "start": c.start, "end": c.end}},
    })
}

/// The Converse response body.
pub fn response(reply: &Reply) -> Value {
    response_with(reply, Keys::Converse)
}

fn response_with(reply: &Reply, keys: Keys) -> Value {
    let plan = &reply.plan;
    let mut content = Vec::new();
    if let Some((text, signature)) = &plan.reasoning {
        content.push(
            json!({"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}),
        );
    }
    if let Some(c) = &plan.citation {
        content.push(json!({"citationsContent": {
            "content": [{"text": c.text}],
            "citations": [citation(c)],
        }}));
    }
    if !plan.text.is_empty() {
        content.push(json!({ "text": plan.text }));
    }
    for t in &plan.tool_uses {
        let mut tool_use = json!({"toolUseId": t.id, "name": t.name, "input": t.input});
        // Bedrock's Converse answer for Claude names the block's type (recorded: agentjido/
        // req_llm test/support/fixtures/amazon_bedrock/anthropic_claude_haiku_4_5_20251001_v1_0/
        // sequential_tool_cache_1.json, 2026-09-08), a value outside botocore's ToolUseType enum.
        if reply.anthropic && matches!(keys, Keys::Converse) {
            tool_use["type"] = json!("tool_use");
        }
        content.push(json!({ "toolUse": tool_use }));
    }
    let mut body = json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": plan.stop_reason.converse(),
        "usage": usage(reply, keys),
        "metrics": {"latencyMs": reply.latency_ms},
    });
    if let Some(trace) = &reply.trace {
        body["trace"] = trace.clone();
    }
    if let Some(fields) = additional_fields(reply) {
        body["additionalModelResponseFields"] = fields;
    }
    echo_tier(reply, &mut body);
    body
}

/// The `serviceTier` and `performanceConfig` a request asked for, in the Converse body or
/// the ConverseStream `metadata` event (botocore's ConverseResponse and
/// ConverseStreamMetadataEvent carry both; Bedrock echoes them, hermes-agent#34476).
fn echo_tier(reply: &Reply, out: &mut Value) {
    if let Some(tier) = &reply.service_tier {
        out["serviceTier"] = json!({ "type": tier });
    }
    if let Some(latency) = &reply.latency {
        out["performanceConfig"] = json!({ "latency": latency });
    }
}

/// The ConverseStream events, in order.
pub fn stream_events(reply: &mut Reply) -> Vec<Event> {
    event_payloads(reply, Keys::ConverseStream)
        .into_iter()
        .map(|(kind, payload, tokens)| {
            let p = padding(&mut reply.rng);
            let frame = match payload {
                Payload::Text { index, piece } => text_delta_frame(index, &piece, &p),
                Payload::Json(mut payload) => {
                    payload["p"] = json!(p);
                    eventstream::event(kind, &payload)
                }
            };
            Event { frame, tokens }
        })
        .collect()
}

/// A stream event's payload before the padding `p`. Text deltas, nearly every event of a
/// paced stream, stay unbuilt: their frame is written directly ([`text_delta_frame`]).
enum Payload {
    Json(Value),
    Text { index: u64, piece: String },
}

impl From<Value> for Payload {
    fn from(v: Value) -> Payload {
        Payload::Json(v)
    }
}

type Payloads = Vec<(&'static str, Payload, u64)>;

/// A text block's deltas of at most `size` characters, then its `contentBlockStop`.
fn push_text_block(events: &mut Payloads, index: u64, text: &str, size: usize) {
    for piece in split_deltas(text, size) {
        let t = tokens(&piece);
        push(
            events,
            "contentBlockDelta",
            Payload::Text { index, piece },
            t,
        );
    }
    push(
        events,
        "contentBlockStop",
        json!({"contentBlockIndex": index}),
        0,
    );
}

fn push(events: &mut Payloads, kind: &'static str, payload: impl Into<Payload>, tokens: u64) {
    events.push((kind, payload.into(), tokens));
}

impl Payload {
    fn into_value(self) -> Value {
        match self {
            Payload::Json(v) => v,
            Payload::Text { index, piece } => {
                json!({"contentBlockIndex": index, "delta": {"text": piece}})
            }
        }
    }
}

/// `text` as a JSON string, escaped as serde_json escapes it: only `"`, `\\` and control
/// characters are, so a text without them (nearly every delta) is copied as it is.
pub(crate) fn json_string(out: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // A &str always serializes.
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

/// The `contentBlockDelta` frame of a text delta, its JSON written directly: the bytes of
/// `eventstream::event("contentBlockDelta", {"contentBlockIndex", "delta": {"text"}, "p"})`
/// (serde_json writes keys sorted; tested) without building and dropping a `Value` per
/// delta, which was most of the planning of a paced stream.
fn text_delta_frame(index: u64, piece: &str, padding: &str) -> bytes::Bytes {
    // 49 bytes of keys and punctuation, up to 20 digits of index.
    let mut json = Vec::with_capacity(piece.len() + padding.len() + 72);
    json.extend_from_slice(b"{\"contentBlockIndex\":");
    let _ = write!(json, "{index}");
    json.extend_from_slice(b",\"delta\":{\"text\":");
    json_string(&mut json, piece);
    json.extend_from_slice(b"},\"p\":");
    json_string(&mut json, padding);
    json.push(b'}');
    eventstream::frame(
        &[
            (":event-type", "contentBlockDelta"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        &json,
    )
}

/// Amazon Nova's InvokeModel response body: the Converse body (Nova's native schema is
/// Converse's; docs.aws.amazon.com/nova/latest/nova2-userguide/request-response-schema.html).
pub fn nova_invoke_response(reply: &Reply) -> Value {
    let mut body = response_with(reply, Keys::Invoke);
    // InvokeModel answers the tier and latency in headers, not in the model's body.
    if let Some(obj) = body.as_object_mut() {
        obj.remove("serviceTier");
        obj.remove("performanceConfig");
    }
    body
}

/// Amazon Nova's InvokeModelWithResponseStream `chunk` events: each carries one Converse
/// stream event as `{"<eventName>": {...}}` (the form Nova's Invoke API examples read:
/// `chunk["contentBlockDelta"]["delta"]["text"]`); the last, `metadata`, also
/// `amazon-bedrock-invocationMetrics`.
pub fn nova_invoke_stream_events(reply: &mut Reply) -> Vec<Event> {
    let payloads = event_payloads(reply, Keys::Invoke);
    let last = payloads.len().saturating_sub(1);
    payloads
        .into_iter()
        .enumerate()
        .map(|(i, (kind, payload, tokens))| {
            let mut inner = json!({ kind: payload.into_value() });
            if i == last {
                inner["amazon-bedrock-invocationMetrics"] = invocation_metrics(reply);
            }
            invoke_chunk(&inner, tokens, &mut reply.rng)
        })
        .collect()
}

/// The ConverseStream events as (event name, payload, output tokens it carries).
fn event_payloads(reply: &Reply, keys: Keys) -> Payloads {
    let plan = reply.plan.clone();
    let size = reply.delta_chars;
    let mut events = Vec::new();
    push(&mut events, "messageStart", json!({"role": "assistant"}), 0);
    let mut index: u64 = 0;
    if let Some((text, signature)) = &plan.reasoning {
        for piece in split_deltas(text, size) {
            let t = tokens(&piece);
            push(
                &mut events,
                "contentBlockDelta",
                json!({"contentBlockIndex": index, "delta": {"reasoningContent": {"text": piece}}}),
                t,
            );
        }
        push(
            &mut events,
            "contentBlockDelta",
            json!({"contentBlockIndex": index, "delta": {"reasoningContent": {"signature": signature}}}),
            0,
        );
        push(
            &mut events,
            "contentBlockStop",
            json!({"contentBlockIndex": index}),
            0,
        );
        index += 1;
    }
    if let Some(c) = &plan.citation {
        // The citation first, then the text it supports (the order Bedrock streams them).
        push(
            &mut events,
            "contentBlockDelta",
            json!({"contentBlockIndex": index, "delta": {"citation": citation(c)}}),
            0,
        );
        push_text_block(&mut events, index, &c.text, size);
        index += 1;
    }
    if !plan.text.is_empty() {
        // Text blocks have no start event, as in Bedrock.
        push_text_block(&mut events, index, &plan.text, size);
        index += 1;
    }
    for tu in &plan.tool_uses {
        push(
            &mut events,
            "contentBlockStart",
            json!({"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": tu.id, "name": tu.name}}}),
            0,
        );
        let input = tu.input.to_string();
        for piece in split_chunks(&input, size.clamp(4, 24)) {
            let t = tokens(&piece);
            push(
                &mut events,
                "contentBlockDelta",
                json!({"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}),
                t,
            );
        }
        push(
            &mut events,
            "contentBlockStop",
            json!({"contentBlockIndex": index}),
            0,
        );
        index += 1;
    }
    let mut stop = json!({"stopReason": plan.stop_reason.converse()});
    if let Some(fields) = additional_fields(reply) {
        stop["additionalModelResponseFields"] = fields;
    }
    push(&mut events, "messageStop", stop, 0);
    let usage = usage(reply, keys);
    let latency = reply.latency_ms;
    let mut metadata = json!({"usage": usage, "metrics": {"latencyMs": latency}});
    if let Some(trace) = &reply.trace {
        metadata["trace"] = trace.clone();
    }
    echo_tier(reply, &mut metadata);
    push(&mut events, "metadata", metadata, 0);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_delta_frames_are_the_bytes_of_the_value_path() {
        let pieces = [
            "Hello ",
            "",
            "quote \" back \\ slash",
            "tab\tnew\nline \u{1} ctl",
            "éà 漢字 🙂 ",
            "</script> & <",
            "del \u{7f} and / slash",
        ];
        for index in [0u64, 3, 12345] {
            for piece in pieces {
                for p in ["a", "abcdefghij"] {
                    let value = json!({
                        "contentBlockIndex": index,
                        "delta": {"text": piece},
                        "p": p,
                    });
                    assert_eq!(
                        text_delta_frame(index, piece, p),
                        eventstream::event("contentBlockDelta", &value),
                        "{index} {piece:?} {p}"
                    );
                }
            }
        }
    }
}
