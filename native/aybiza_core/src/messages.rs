//! The Anthropic Messages API on Bedrock: the Converse-shaped request the library takes,
//! translated into a Messages request body, and Messages-API errors mapped onto [`Error`].
//!
//! Sources (AWS "Inference using Anthropic Messages API",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/inference-messages-api.html, and
//! Anthropic "Claude in Amazon Bedrock",
//! https://platform.claude.com/docs/en/build-with-claude/claude-in-amazon-bedrock):
//! - bedrock-runtime: `POST https://bedrock-runtime.{region}.amazonaws.com/anthropic/v1/messages`,
//!   SigV4 (signing name `bedrock`) or a Bedrock API key, `"anthropic_version":
//!   "bedrock-2023-05-31"` in the body;
//! - bedrock-mantle: `POST https://bedrock-mantle.{region}.api.aws/anthropic/v1/messages`,
//!   a Bedrock API key (`x-api-key`) or SigV4 (signing name `bedrock-mantle`), header
//!   `anthropic-version: 2023-06-01`; model ids are `anthropic.{name}` without a geographic
//!   prefix.
//!
//! The body is Anthropic's own: `model`, `max_tokens`, `messages`, `system`, `tools`,
//! `tool_choice`, `temperature`, `top_p`, `stop_sequences`, `thinking`, `stream`, with
//! `cache_control` on the block a Converse cache point follows.

use crate::error::{Error, ErrorKind};
use crate::request::{
    CachePoint, ContentBlock, ConverseRequest, Document, DocumentFormat, Image, ImageFormat,
    SystemBlock, Tool, ToolChoice, ToolResultContent, ToolResultStatus,
};
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// Path of the Messages API on both endpoints.
pub const MESSAGES_PATH: &str = "/anthropic/v1/messages";
/// Path of the Messages API's token counting (Anthropic "Token counting"; AWS's count-tokens
/// page points CRIS-only Claude models to it).
pub const COUNT_TOKENS_PATH: &str = "/anthropic/v1/messages/count_tokens";
/// Body field `anthropic_version` on bedrock-runtime.
pub const RUNTIME_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";
/// Header `anthropic-version` on bedrock-mantle.
pub const MANTLE_ANTHROPIC_VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the Messages API and optional in Converse; when the caller
/// sets none, this is sent (enough for any spoken turn; callers who want more set it).
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// Which Bedrock endpoint serves the Messages API for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessagesEndpoint {
    /// `bedrock-runtime.{region}.amazonaws.com`, signing name `bedrock`.
    Runtime,
    /// `bedrock-mantle.{region}.api.aws`, signing name `bedrock-mantle`.
    Mantle,
}

impl MessagesEndpoint {
    /// The SigV4 signing name.
    pub fn signing_name(self) -> &'static str {
        match self {
            MessagesEndpoint::Runtime => "bedrock",
            MessagesEndpoint::Mantle => "bedrock-mantle",
        }
    }

    /// The AWS endpoint for `region` (scheme and host, no path).
    pub fn default_url(self, region: &str) -> String {
        match self {
            MessagesEndpoint::Runtime => format!("https://bedrock-runtime.{region}.amazonaws.com"),
            MessagesEndpoint::Mantle => format!("https://bedrock-mantle.{region}.api.aws"),
        }
    }

    /// The model id as this endpoint names it: mantle serves `anthropic.{name}` in-region
    /// and takes no geographic or global profile prefix; where the catalog knows the
    /// model's mantle id (e.g. `anthropic.claude-haiku-4-5` for the dated runtime id) that
    /// is sent.
    pub fn model_id(self, model_id: &str) -> String {
        match self {
            MessagesEndpoint::Runtime => model_id.to_string(),
            MessagesEndpoint::Mantle => match crate::catalog::catalog().resolve(model_id) {
                Ok(resolved) => resolved
                    .spec
                    .mantle_id
                    .clone()
                    .unwrap_or(resolved.base_model_id),
                Err(_) => strip_profile(model_id),
            },
        }
    }
}

/// `us.anthropic.x` -> `anthropic.x` for ids the catalog does not know.
fn strip_profile(model_id: &str) -> String {
    match model_id.split_once('.') {
        Some((prefix, rest))
            if rest.starts_with("anthropic.")
                && matches!(
                    prefix,
                    "global" | "us" | "eu" | "apac" | "jp" | "au" | "us-gov" | "ca"
                ) =>
        {
            rest.to_string()
        }
        _ => model_id.to_string(),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn cache_control(cp: &CachePoint) -> Value {
    match cp.ttl.as_deref() {
        Some("1h") => json!({"type": "ephemeral", "ttl": "1h"}),
        _ => json!({"type": "ephemeral"}),
    }
}

/// Puts `cache_control` on the last block of `blocks` (Converse's cache point marks the end
/// of the prefix before it; Anthropic marks the block that ends the prefix).
fn mark_last(blocks: &mut [Value], cp: &CachePoint, path: &str) -> Result<(), Error> {
    match blocks.last_mut().and_then(Value::as_object_mut) {
        Some(block) => {
            block.insert("cache_control".into(), cache_control(cp));
            Ok(())
        }
        None => Err(Error::invalid_request(
            path,
            "a cache point must follow a block it can mark",
        )),
    }
}

fn image(img: &Image) -> Value {
    let media_type = match img.format {
        ImageFormat::Png => "image/png",
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Gif => "image/gif",
        ImageFormat::Webp => "image/webp",
    };
    json!({"type": "image",
           "source": {"type": "base64", "media_type": media_type, "data": b64(&img.bytes)}})
}

/// Anthropic takes PDF and plain-text documents; text-like formats go as plain text, the
/// office formats Converse converts server-side have no Messages-API equivalent.
fn document(doc: &Document, path: &str) -> Result<Value, Error> {
    let source = match doc.format {
        DocumentFormat::Pdf => {
            json!({"type": "base64", "media_type": "application/pdf", "data": b64(&doc.bytes)})
        }
        DocumentFormat::Txt | DocumentFormat::Md | DocumentFormat::Csv | DocumentFormat::Html => {
            let text = std::str::from_utf8(&doc.bytes).map_err(|_| {
                Error::invalid_request(path, "a text document must be UTF-8 on the Messages API")
            })?;
            json!({"type": "text", "media_type": "text/plain", "data": text})
        }
        DocumentFormat::Doc | DocumentFormat::Docx | DocumentFormat::Xls | DocumentFormat::Xlsx => {
            return Err(Error::invalid_request(
                path,
                "the Messages API takes only pdf and text documents (txt, md, csv, html); \
                 convert this one or use api: :converse",
            ))
        }
    };
    Ok(json!({"type": "document", "title": doc.name, "source": source}))
}

fn tool_result_content(c: &ToolResultContent, path: &str) -> Result<Value, Error> {
    Ok(match c {
        ToolResultContent::Text(t) => json!({"type": "text", "text": t}),
        ToolResultContent::Json(v) => json!({"type": "text", "text": v.to_string()}),
        ToolResultContent::Image(i) => image(i),
        ToolResultContent::Document(d) => document(d, path)?,
    })
}

fn content_blocks(blocks: &[ContentBlock], path: &str) -> Result<Vec<Value>, Error> {
    let mut out: Vec<Value> = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let path = format!("{path}[{i}]");
        let value = match block {
            ContentBlock::Text(t) => json!({"type": "text", "text": t}),
            ContentBlock::Image(img) => image(img),
            ContentBlock::Document(d) => document(d, &format!("{path}.document"))?,
            ContentBlock::ToolUse {
                tool_use_id,
                name,
                input,
            } => json!({"type": "tool_use", "id": tool_use_id, "name": name, "input": input}),
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                status,
            } => {
                let inner = content
                    .iter()
                    .enumerate()
                    .map(|(j, c)| {
                        tool_result_content(c, &format!("{path}.tool_result.content[{j}]"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let mut v = json!({"type": "tool_result", "tool_use_id": tool_use_id,
                                   "content": inner});
                if *status == Some(ToolResultStatus::Error) {
                    v["is_error"] = Value::Bool(true);
                }
                v
            }
            ContentBlock::Reasoning { text, signature } => {
                let mut v = json!({"type": "thinking", "thinking": text});
                if let Some(sig) = signature {
                    v["signature"] = Value::String(sig.clone());
                }
                v
            }
            // Converse carries Anthropic's opaque `data` string as bytes.
            ContentBlock::RedactedReasoning(bytes) => {
                json!({"type": "redacted_thinking", "data": String::from_utf8_lossy(bytes)})
            }
            ContentBlock::CachePoint(cp) => {
                mark_last(&mut out, cp, &path)?;
                continue;
            }
            // Guardrails are Converse's: refused like `guardrail_config`, never dropped.
            ContentBlock::GuardContent(_) => {
                return Err(Error::invalid_request(
                    &format!("{path}.guard_content"),
                    "guard content has no equivalent on the Anthropic Messages API (use api: :converse)",
                ))
            }
        };
        out.push(value);
    }
    Ok(out)
}

/// Keys the translation owns; `additional_model_request_fields` may not override them.
const RESERVED: [&str; 10] = [
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "max_tokens",
    "temperature",
    "top_p",
    "stop_sequences",
    "stream",
];

/// Translates a Converse-shaped request into the Messages-API body for `endpoint`
/// (streaming). Options with no Messages-API equivalent are rejected, never dropped.
pub fn to_messages_body(req: &ConverseRequest, endpoint: MessagesEndpoint) -> Result<Value, Error> {
    let unsupported = |path: &str, what: &str| {
        Err(Error::invalid_request(
            path,
            format!("{what} has no equivalent on the Anthropic Messages API (use api: :converse)"),
        ))
    };
    if req.guardrail_config.is_some() {
        return unsupported("guardrail_config", "a guardrail");
    }
    if req.performance_latency.is_some() {
        return unsupported("performance_config", "latency-optimized inference");
    }
    if !req.additional_model_response_field_paths.is_empty() {
        return unsupported(
            "additional_model_response_field_paths",
            "additional response field paths",
        );
    }
    if !req.request_metadata.is_empty() {
        return unsupported("request_metadata", "request metadata");
    }

    let mut body = Map::new();
    body.insert("model".into(), json!(endpoint.model_id(&req.model_id)));
    if endpoint == MessagesEndpoint::Runtime {
        body.insert("anthropic_version".into(), json!(RUNTIME_ANTHROPIC_VERSION));
    }

    let mut system: Vec<Value> = Vec::new();
    for (i, b) in req.system.iter().enumerate() {
        match b {
            SystemBlock::Text(t) => system.push(json!({"type": "text", "text": t})),
            SystemBlock::CachePoint(cp) => mark_last(&mut system, cp, &format!("system[{i}]"))?,
            SystemBlock::GuardContent(_) => {
                return Err(Error::invalid_request(
                    &format!("system[{i}].guard_content"),
                    "guard content has no equivalent on the Anthropic Messages API (use api: :converse)",
                ))
            }
        }
    }
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }

    let messages = req
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let content = content_blocks(&m.content, &format!("messages[{i}].content"))?;
            Ok(json!({"role": m.role.as_str(), "content": content}))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    body.insert("messages".into(), Value::Array(messages));

    let cfg = req.inference_config.clone().unwrap_or_default();
    if let Some(t) = cfg.temperature {
        body.insert("temperature".into(), json!(round_f32(t)));
    }
    if let Some(p) = cfg.top_p {
        body.insert("top_p".into(), json!(round_f32(p)));
    }
    if !cfg.stop_sequences.is_empty() {
        body.insert("stop_sequences".into(), json!(cfg.stop_sequences));
    }

    if let Some(tc) = &req.tool_config {
        let mut tools: Vec<Value> = Vec::new();
        for (i, t) in tc.tools.iter().enumerate() {
            match t {
                Tool::Spec {
                    name,
                    description,
                    input_schema,
                } => {
                    let mut v = json!({"name": name, "input_schema": input_schema});
                    if let Some(d) = description {
                        v["description"] = json!(d);
                    }
                    tools.push(v);
                }
                Tool::CachePoint(cp) => {
                    mark_last(&mut tools, cp, &format!("tool_config.tools[{i}]"))?
                }
            }
        }
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tools));
        }
        if let Some(choice) = &tc.tool_choice {
            let v = match choice {
                ToolChoice::Auto => json!({"type": "auto"}),
                ToolChoice::Any => json!({"type": "any"}),
                ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
            };
            body.insert("tool_choice".into(), v);
        }
    }

    // Converse passes model-specific fields (thinking, top_k, output_config, anthropic_beta)
    // in additionalModelRequestFields; on the Messages API they are body fields.
    if let Some(Value::Object(extra)) = &req.additional_model_request_fields {
        for (k, v) in extra {
            if RESERVED.contains(&k.as_str()) || k == "anthropic_version" {
                return Err(Error::invalid_request(
                    &format!("additional_model_request_fields.{k}"),
                    "is set from the request itself; set it there",
                ));
            }
            body.insert(k.clone(), v.clone());
        }
    }

    let budget = body
        .get("thinking")
        .and_then(|t| t.get("budget_tokens"))
        .and_then(Value::as_u64);
    let max_tokens = match cfg.max_tokens {
        Some(n) if n > 0 => n as u64,
        Some(n) => {
            return Err(Error::invalid_request(
                "inference_config.max_tokens",
                format!("must be positive, got {n}"),
            ))
        }
        // With a thinking budget, max_tokens must exceed it.
        None => budget.map_or(DEFAULT_MAX_TOKENS, |b| b + DEFAULT_MAX_TOKENS),
    };
    body.insert("max_tokens".into(), json!(max_tokens));
    body.insert("stream".into(), Value::Bool(true));
    Ok(Value::Object(body))
}

/// The `count_tokens` body for a translated Messages body: count_tokens takes the prompt
/// (`model`, `messages`, `system`, `tools`, `tool_choice`, `thinking`), not sampling or
/// streaming settings.
pub fn count_tokens_body(body: Value) -> Value {
    let Value::Object(map) = body else {
        return body;
    };
    let keep = [
        "model",
        "anthropic_version",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
    ];
    Value::Object(
        map.into_iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .collect(),
    )
}

/// f32 settings as the caller wrote them (0.7, not 0.699999988079071).
fn round_f32(x: f32) -> f64 {
    format!("{x}").parse().unwrap_or(f64::from(x))
}

/// The `anthropic_beta` list of a body, for mantle, where betas travel in the
/// `anthropic-beta` header instead of the body (the body field is removed).
pub fn take_betas_for_header(body: &mut Value) -> Result<Option<String>, Error> {
    let Some(v) = body
        .as_object_mut()
        .and_then(|m| m.remove("anthropic_beta"))
    else {
        return Ok(None);
    };
    let list = v
        .as_array()
        .map(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .unwrap_or(None)
        .filter(|l| {
            l.iter()
                .all(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        })
        .ok_or_else(|| {
            Error::invalid_request(
                "additional_model_request_fields.anthropic_beta",
                "must be a list of beta names (letters, digits, dashes)",
            )
        })?;
    Ok((!list.is_empty()).then(|| list.join(",")))
}

/// Maps an Anthropic error `type` (the `error` SSE event or an error body) to a kind.
/// Types: https://platform.claude.com/docs/en/api/errors
pub fn anthropic_error_kind(error_type: &str) -> ErrorKind {
    match error_type {
        "invalid_request_error" | "request_too_large" => ErrorKind::Validation,
        "authentication_error" => ErrorKind::InvalidCredentials,
        "permission_error" | "billing_error" => ErrorKind::AccessDenied,
        "not_found_error" => ErrorKind::ModelNotFound,
        "rate_limit_error" => ErrorKind::Throttled,
        "overloaded_error" => ErrorKind::ServiceUnavailable,
        "timeout_error" => ErrorKind::ModelTimeout,
        "api_error" => ErrorKind::InternalServer,
        _ => ErrorKind::ModelStreamError,
    }
}

/// The error of an `error` SSE event's data (`{"type":"error","error":{"type","message"}}`).
pub fn stream_error(data: &str) -> Error {
    let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    let ty = v
        .pointer("/error/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("the model stream reported an error");
    let mut e = Error::new(
        anthropic_error_kind(ty),
        crate::error::service_message(message, 500),
    );
    if !ty.is_empty() {
        e = e.with_code(bounded(ty));
    }
    e
}

/// The error of a non-2xx response: Bedrock's `x-amzn-ErrorType` header and `{"message"}`
/// body, or Anthropic's `{"type":"error","error":{...}}` body, or the status alone.
pub fn http_error(status: u16, aws_error_type: Option<&str>, body: &[u8]) -> Error {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = v
        .get("message")
        .or_else(|| v.get("Message"))
        .or_else(|| v.pointer("/error/message"))
        .and_then(Value::as_str)
        .map(|m| crate::error::service_message(m, 500))
        .unwrap_or_else(|| format!("HTTP {status} from the Messages API"));
    let (kind, code) = if let Some(code) = aws_error_type.filter(|c| !c.is_empty()) {
        let code = code.split(':').next().unwrap_or(code);
        (ErrorKind::from_aws_code(code), Some(code.to_string()))
    } else if let Some(ty) = v.pointer("/error/type").and_then(Value::as_str) {
        (anthropic_error_kind(ty), Some(ty.to_string()))
    } else {
        (status_kind(status), None)
    };
    let kind = if kind == ErrorKind::Internal {
        status_kind(status)
    } else {
        kind
    };
    let mut e = Error::new(kind, message).with_status(status);
    if let Some(c) = code {
        e = e.with_code(bounded(&c));
    }
    e
}

fn status_kind(status: u16) -> ErrorKind {
    match status {
        400 | 413 | 422 => ErrorKind::Validation,
        401 => ErrorKind::InvalidCredentials,
        403 => ErrorKind::AccessDenied,
        404 => ErrorKind::ModelNotFound,
        408 => ErrorKind::ModelTimeout,
        429 => ErrorKind::Throttled,
        503 | 529 => ErrorKind::ServiceUnavailable,
        500..=599 => ErrorKind::InternalServer,
        _ => ErrorKind::Protocol,
    }
}

/// Service text is untrusted: keep messages one bounded line.
fn bounded(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(500)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 500 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::decode_converse;

    fn req(v: Value) -> ConverseRequest {
        decode_converse(&v).unwrap()
    }

    #[test]
    fn basic_runtime_body() {
        let r = req(json!({"modelId": "us.anthropic.claude-opus-4-7",
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}],
            "inferenceConfig": {"maxTokens": 200, "temperature": 0.7, "stopSequences": ["END"]}}));
        let b = to_messages_body(&r, MessagesEndpoint::Runtime).unwrap();
        assert_eq!(
            b,
            json!({"model": "us.anthropic.claude-opus-4-7",
                   "anthropic_version": "bedrock-2023-05-31",
                   "system": [{"type": "text", "text": "Be brief."}],
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
                   "temperature": 0.7, "stop_sequences": ["END"],
                   "max_tokens": 200, "stream": true})
        );
    }

    #[test]
    fn mantle_drops_profile_prefix_and_body_version() {
        let r = req(json!({"modelId": "global.anthropic.claude-opus-4-7",
            "messages": [{"role": "user", "content": "Hi"}]}));
        let b = to_messages_body(&r, MessagesEndpoint::Mantle).unwrap();
        assert_eq!(b["model"], "anthropic.claude-opus-4-7");
        assert!(b.get("anthropic_version").is_none());
        assert_eq!(b["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(
            MessagesEndpoint::Mantle.model_id("anthropic.claude-haiku-4-5"),
            "anthropic.claude-haiku-4-5"
        );
        assert_eq!(
            MessagesEndpoint::Mantle.model_id("us-gov.anthropic.claude-x"),
            "anthropic.claude-x"
        );
        // The catalog's mantle id wins over the dated runtime id.
        assert_eq!(
            MessagesEndpoint::Mantle.model_id("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
            "anthropic.claude-haiku-4-5"
        );
    }

    #[test]
    fn tools_results_images_documents_thinking_and_cache_points() {
        let r = req(json!({"modelId": "anthropic.claude-opus-4-7",
            "system": [{"text": "sys"}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
            "messages": [
              {"role": "user", "content": [
                  {"text": "look"},
                  {"image": {"format": "png", "source": {"bytes": {"$binary": "iVBO"}}}},
                  {"document": {"format": "txt", "name": "notes", "source": {"bytes": "note"}}},
                  {"cachePoint": {}}]},
              {"role": "assistant", "content": [
                  {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
                  {"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"q": 1}}}]},
              {"role": "user", "content": [
                  {"toolResult": {"toolUseId": "t1", "status": "error",
                                  "content": [{"json": {"ok": false}}, {"text": "boom"}]}}]}],
            "toolConfig": {"tools": [
                {"toolSpec": {"name": "lookup", "description": "Find",
                              "inputSchema": {"json": {"type": "object"}}}},
                {"cachePoint": {}}],
              "toolChoice": {"tool": {"name": "lookup"}}},
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2000}}}));
        let b = to_messages_body(&r, MessagesEndpoint::Runtime).unwrap();
        assert_eq!(
            b["system"],
            json!([{"type": "text", "text": "sys",
                                      "cache_control": {"type": "ephemeral", "ttl": "1h"}}])
        );
        let user = &b["messages"][0]["content"];
        assert_eq!(user[1]["source"]["media_type"], "image/png");
        assert_eq!(user[1]["source"]["data"], "iVBO");
        assert_eq!(
            user[2],
            json!({"type": "document", "title": "notes",
                   "source": {"type": "text", "media_type": "text/plain", "data": "note"},
                   "cache_control": {"type": "ephemeral"}})
        );
        assert_eq!(user.as_array().unwrap().len(), 3);
        let asst = &b["messages"][1]["content"];
        assert_eq!(
            asst[0],
            json!({"type": "thinking", "thinking": "hmm", "signature": "sig"})
        );
        assert_eq!(
            asst[1],
            json!({"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": 1}})
        );
        assert_eq!(
            b["messages"][2]["content"][0],
            json!({"type": "tool_result", "tool_use_id": "t1", "is_error": true,
                   "content": [{"type": "text", "text": "{\"ok\":false}"},
                               {"type": "text", "text": "boom"}]})
        );
        assert_eq!(b["tools"][0]["name"], "lookup");
        assert_eq!(b["tools"][0]["input_schema"], json!({"type": "object"}));
        assert_eq!(b["tools"][0]["cache_control"], json!({"type": "ephemeral"}));
        assert_eq!(b["tool_choice"], json!({"type": "tool", "name": "lookup"}));
        assert_eq!(b["thinking"]["budget_tokens"], 2000);
        assert_eq!(b["max_tokens"], 2000 + DEFAULT_MAX_TOKENS);
    }

    #[test]
    fn rejects_what_the_messages_api_cannot_carry() {
        let base = json!({"modelId": "anthropic.claude-opus-4-7",
                          "messages": [{"role": "user", "content": "Hi"}]});
        let cases = [
            (
                "guardrailConfig",
                json!({"guardrailIdentifier": "g", "guardrailVersion": "1"}),
                "guardrail_config",
            ),
            (
                "performanceConfig",
                json!({"latency": "optimized"}),
                "performance_config",
            ),
            ("requestMetadata", json!({"a": "b"}), "request_metadata"),
            (
                "additionalModelRequestFields",
                json!({"model": "x"}),
                "additional_model_request_fields.model",
            ),
        ];
        for (key, value, path) in cases {
            let mut v = base.clone();
            v[key] = value;
            let e = to_messages_body(&req(v), MessagesEndpoint::Runtime).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidRequest);
            assert!(e.message.starts_with(path), "{}", e.message);
        }
        let v = json!({"modelId": "anthropic.claude-opus-4-7", "messages": [{"role": "user",
            "content": [{"document": {"format": "docx", "name": "d", "bytes": "aGk="}}]}]});
        let e = to_messages_body(&req(v), MessagesEndpoint::Runtime).unwrap_err();
        assert!(e.message.starts_with("messages[0].content[0].document"));
        let v = json!({"modelId": "anthropic.claude-opus-4-7", "messages": [{"role": "user",
            "content": [{"cachePoint": {}}, {"text": "x"}]}]});
        let e = to_messages_body(&req(v), MessagesEndpoint::Runtime).unwrap_err();
        assert!(e.message.contains("cache point"), "{}", e.message);
        let v = json!({"modelId": "anthropic.claude-opus-4-7", "messages": [{"role": "user",
            "content": [{"text": "x"}, {"guardContent": {"text": {"text": "y"}}}]}]});
        let e = to_messages_body(&req(v), MessagesEndpoint::Runtime).unwrap_err();
        assert!(e
            .message
            .starts_with("messages[0].content[1].guard_content"));
        let v = json!({"modelId": "anthropic.claude-opus-4-7", "system": [{"guardContent":
            {"text": {"text": "y"}}}], "messages": [{"role": "user", "content": "x"}]});
        let e = to_messages_body(&req(v), MessagesEndpoint::Runtime).unwrap_err();
        assert!(
            e.message.starts_with("system[0].guard_content"),
            "{}",
            e.message
        );
    }

    #[test]
    fn count_tokens_body_keeps_the_prompt_only() {
        let r = req(
            json!({"modelId": "anthropic.claude-opus-4-7", "system": "s",
            "messages": [{"role": "user", "content": "Hi"}],
            "inferenceConfig": {"maxTokens": 5, "temperature": 0.5}}),
        );
        let b = count_tokens_body(to_messages_body(&r, MessagesEndpoint::Runtime).unwrap());
        let mut keys: Vec<_> = b.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["anthropic_version", "messages", "model", "system"]);
    }

    #[test]
    fn betas_move_to_a_header() {
        let mut b = json!({"anthropic_beta": ["context-1m-2025-08-07", "x"]});
        assert_eq!(
            take_betas_for_header(&mut b).unwrap().as_deref(),
            Some("context-1m-2025-08-07,x")
        );
        assert!(b.get("anthropic_beta").is_none());
        let mut bad = json!({"anthropic_beta": ["a\r\nX-Evil: 1"]});
        assert!(take_betas_for_header(&mut bad).is_err());
    }

    #[test]
    fn errors_map_to_kinds() {
        let e = stream_error(
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::ServiceUnavailable);
        assert_eq!(e.code.as_deref(), Some("overloaded_error"));
        assert_eq!(e.message, "Overloaded");
        assert_eq!(stream_error("not json").kind, ErrorKind::ModelStreamError);

        let e = http_error(
            400,
            Some("ValidationException:http://internal.amazon.com/coral/"),
            br#"{"message":"bad"}"#,
        );
        assert_eq!(
            (e.kind, e.status, e.code.as_deref(), e.message.as_str()),
            (
                ErrorKind::Validation,
                Some(400),
                Some("ValidationException"),
                "bad"
            )
        );
        let e = http_error(
            429,
            None,
            br#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert_eq!(
            http_error(503, None, b"<html>").kind,
            ErrorKind::ServiceUnavailable
        );
        assert_eq!(
            http_error(403, Some("Weird"), b"").kind,
            ErrorKind::AccessDenied
        );
        let long = format!("{{\"message\":\"{}\"}}", "x".repeat(10_000));
        assert!(http_error(400, None, long.as_bytes()).message.len() < 600);
    }

    #[test]
    fn http_errors_withhold_a_signature_mismatch_s_canonical_request() {
        let body = r#"{"message":"The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'POST\nx-amz-security-token:TOKENMARKER\n'"}"#;
        let e = http_error(403, Some("InvalidSignatureException"), body.as_bytes());
        assert!(!e.message.contains("TOKENMARKER"), "{}", e.message);
        assert!(e.message.starts_with("The request signature we calculated"));
        let sse =
            stream_error(r#"{"error":{"type":"x","message":"x-amz-security-token: TOKENMARKER"}}"#);
        assert!(!sse.message.contains("TOKENMARKER"), "{}", sse.message);
    }
}
