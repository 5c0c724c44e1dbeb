//! The Bedrock request model, decoded from loosely-typed JSON values (what an Elixir map
//! becomes) with the path of any offending field in the error.
//!
//! Keys may be snake_case or camelCase (`max_tokens` / `maxTokens`). Unknown keys are
//! rejected so a typo never silently drops a setting. JSON owned by the caller (tool input
//! schemas, tool input, additional model request fields) passes through unchanged.

use crate::catalog::estimate_tokens;
use crate::error::Error;
use crate::limits::{check_value, exceeded, Limits};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A decoding result.
pub type Result<T> = std::result::Result<T, Error>;

/// Marker object for binaries that are not UTF-8 (set by the NIF layer): `{"$binary": b64}`.
pub const BINARY_MARKER: &str = "$binary";

#[derive(Debug, Clone, PartialEq)]
pub struct ConverseRequest {
    pub model_id: String,
    pub messages: Vec<Message>,
    pub system: Vec<SystemBlock>,
    pub inference_config: Option<InferenceConfig>,
    pub tool_config: Option<ToolConfig>,
    pub additional_model_request_fields: Option<Value>,
    pub additional_model_response_field_paths: Vec<String>,
    pub performance_latency: Option<Latency>,
    pub guardrail_config: Option<GuardrailConfig>,
    pub request_metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentBlock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Csv,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Html,
    Txt,
    Md,
}

/// Image bytes and their format (a message block or a tool result block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
}

/// A named document (a message block or a tool result block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub format: DocumentFormat,
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    Text(String),
    Image(Image),
    Document(Document),
    ToolUse {
        tool_use_id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: Vec<ToolResultContent>,
        status: Option<ToolResultStatus>,
    },
    Reasoning {
        text: String,
        signature: Option<String>,
    },
    RedactedReasoning(Vec<u8>),
    CachePoint(CachePoint),
    /// Text a guardrail evaluates (Converse `guardContent`); with guard content in a
    /// request, the guardrail evaluates only those blocks.
    GuardContent(GuardContent),
}

/// Converse `guardContent: {text: {text, qualifiers}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardContent {
    pub text: String,
    /// `grounding_source`, `query`, `guard_content` (contextual grounding checks).
    pub qualifiers: Vec<String>,
}

/// The qualifiers Bedrock takes (GuardrailConverseContentQualifier).
pub const GUARD_QUALIFIERS: &[&str] = &["grounding_source", "query", "guard_content"];

#[derive(Debug, Clone, PartialEq)]
pub enum ToolResultContent {
    Text(String),
    Json(Value),
    Image(Image),
    Document(Document),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolResultStatus {
    Success,
    Error,
}

/// A cache checkpoint; `ttl` is `None` (5 minutes) or `Some("1h")`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CachePoint {
    pub ttl: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SystemBlock {
    Text(String),
    CachePoint(CachePoint),
    GuardContent(GuardContent),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct InferenceConfig {
    pub max_tokens: Option<i32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub stop_sequences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tool {
    Spec {
        name: String,
        description: Option<String>,
        input_schema: Value,
    },
    CachePoint(CachePoint),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    Any,
    Tool(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolConfig {
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    Standard,
    Optimized,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailConfig {
    pub identifier: String,
    pub version: String,
    pub trace: Option<String>,
    pub stream_processing_mode: Option<String>,
}

/// An InvokeModel request: a model id and the model's own JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeRequest {
    pub model_id: String,
    pub body: Value,
}

/// Model families whose InvokeModel bodies the engine understands.
pub fn is_anthropic_model(model_id: &str) -> bool {
    model_id.contains("anthropic.")
}

// ---------------------------------------------------------------------------------------
// Decoding

/// A JSON object being decoded: tracks its path and which keys were consumed.
struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
    used: Vec<&'a str>,
}

/// Whether `key` is `camel_to_snake(camel)`, without building it.
fn is_snake_of(key: &str, camel: &str) -> bool {
    let mut k = key.bytes();
    for c in camel.bytes() {
        if c.is_ascii_uppercase() {
            if k.next() != Some(b'_') || k.next() != Some(c.to_ascii_lowercase()) {
                return false;
            }
        } else if k.next() != Some(c) {
            return false;
        }
    }
    k.next().is_none()
}

fn camel_to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: &str) -> Result<Obj<'a>> {
        match value {
            Value::Object(map) => Ok(Obj {
                path: path.to_string(),
                map,
                used: Vec::new(),
            }),
            other => Err(Error::invalid_request(
                path,
                format!("expected a map, got {}", kind(other)),
            )),
        }
    }

    /// The path of a field, always in snake_case (the Elixir spelling).
    fn child(&self, key: &str) -> String {
        let key = camel_to_snake(key);
        if self.path.is_empty() {
            key
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    /// Looks up `camel` (the canonical Bedrock name) or its snake_case form.
    fn get(&mut self, camel: &str) -> Option<&'a Value> {
        for (k, v) in self.map.iter() {
            if k == camel || is_snake_of(k, camel) {
                self.used.push(k.as_str());
                return if v.is_null() { None } else { Some(v) };
            }
        }
        None
    }

    // The field paths below are built only for an error: every call's request goes through
    // these on its way to the first sentence.
    fn require(&mut self, camel: &str) -> Result<&'a Value> {
        self.get(camel)
            .ok_or_else(|| Error::invalid_request(&self.child(camel), "is required"))
    }

    fn string(&mut self, camel: &str) -> Result<Option<String>> {
        match self.get(camel) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => as_string(v, &self.child(camel)).map(Some),
        }
    }

    fn require_string(&mut self, camel: &str) -> Result<String> {
        match self.require(camel)? {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::String(_) => Err(Error::invalid_request(
                &self.child(camel),
                "must not be empty",
            )),
            v => as_string(v, &self.child(camel)),
        }
    }

    /// Rejects keys that were not consumed, so typos are reported instead of ignored.
    fn finish(self) -> Result<()> {
        for key in self.map.keys() {
            if !self.used.contains(&key.as_str()) {
                return Err(Error::invalid_request(
                    &self.child(key),
                    "unknown field".to_string(),
                ));
            }
        }
        Ok(())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        // The NIF's marker for a binary that is not UTF-8.
        Value::Object(m) if m.len() == 1 && m.contains_key(BINARY_MARKER) => {
            "a binary that is not valid UTF-8"
        }
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

// Bedrock's RequestMetadata shape (bedrock-runtime 2023-09-30 service model, as shipped in
// botocore 1.44.8 `data/bedrock-runtime/2023-09-30/service-2.json`): a map of 1 to 16 entries,
// keys of 1-256 and values of 0-256 characters from `[a-zA-Z0-9\s:_@$#=/+,-.]`. The map is
// `sensitive` there, so messages name the key at most, never a value.
const REQUEST_METADATA_MAX_ENTRIES: usize = 16;
const REQUEST_METADATA_MAX_CHARS: usize = 256;

fn request_metadata_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        // Java's `\s`: ASCII whitespace only (space, \t, \n, \x0B, \f, \r).
        || matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
        || matches!(
            c,
            ':' | '_' | '@' | '$' | '#' | '=' | '/' | '+' | ',' | '-' | '.'
        )
}

fn check_request_metadata_shape(entries: usize) -> Result<()> {
    if entries > REQUEST_METADATA_MAX_ENTRIES {
        return Err(Error::invalid_request(
            "request_metadata",
            format!("Bedrock takes at most {REQUEST_METADATA_MAX_ENTRIES} entries, got {entries}"),
        ));
    }
    Ok(())
}

fn check_request_metadata_key(key: &str) -> Result<()> {
    let chars = key.chars().count();
    if chars == 0 || chars > REQUEST_METADATA_MAX_CHARS {
        return Err(Error::invalid_request(
            "request_metadata",
            format!("a key must have 1 to {REQUEST_METADATA_MAX_CHARS} characters, got {chars}"),
        ));
    }
    if !key.chars().all(request_metadata_char) {
        return Err(Error::invalid_request(
            "request_metadata",
            "a key has a character Bedrock does not accept (letters, digits, whitespace and \
             : _ @ $ # = / + , - . only)",
        ));
    }
    Ok(())
}

fn check_request_metadata_value(value: &str, path: &str) -> Result<()> {
    let chars = value.chars().count();
    if chars > REQUEST_METADATA_MAX_CHARS {
        return Err(Error::invalid_request(
            path,
            format!(
                "a value must have at most {REQUEST_METADATA_MAX_CHARS} characters, got {chars}"
            ),
        ));
    }
    if !value.chars().all(request_metadata_char) {
        return Err(Error::invalid_request(
            path,
            "the value has a character Bedrock does not accept (letters, digits, whitespace and \
             : _ @ $ # = / + , - . only)",
        ));
    }
    Ok(())
}

fn as_string(v: &Value, path: &str) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(Error::invalid_request(
            path,
            format!("expected a string, got {}", kind(other)),
        )),
    }
}

fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items),
        other => Err(Error::invalid_request(
            path,
            format!("expected a list, got {}", kind(other)),
        )),
    }
}

/// Raw bytes: a UTF-8 binary arrives as a string (its bytes are exact), anything else as the
/// `{"$binary": base64}` marker.
fn as_bytes(v: &Value, path: &str) -> Result<Vec<u8>> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Object(map) if map.len() == 1 && map.contains_key(BINARY_MARKER) => {
            let b64 = map[BINARY_MARKER].as_str().unwrap_or_default();
            decode_base64(b64).ok_or_else(|| Error::invalid_request(path, "invalid binary"))
        }
        other => Err(Error::invalid_request(
            path,
            format!("expected a binary, got {}", kind(other)),
        )),
    }
}

/// Decodes the standard base64 of the `$binary` marker (written by the NIF with padding).
pub fn decode_base64(input: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(input).ok()
}

fn as_f32(v: &Value, path: &str) -> Result<f32> {
    v.as_f64()
        .map(|f| f as f32)
        .ok_or_else(|| Error::invalid_request(path, format!("expected a number, got {}", kind(v))))
}

fn as_i32(v: &Value, path: &str) -> Result<i32> {
    v.as_i64()
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| {
            Error::invalid_request(path, format!("expected an integer, got {}", kind(v)))
        })
}

/// Decodes a ConverseStream / Converse request under the default [`Limits`].
pub fn decode_converse(value: &Value) -> Result<ConverseRequest> {
    decode_converse_with(value, &Limits::default())
}

/// Decodes a ConverseStream / Converse request and enforces `limits` (depth, size and item
/// count of the whole value first, then per-message and per-block limits), so an oversized
/// request fails with the field path before anything is signed or sent.
pub fn decode_converse_with(value: &Value, limits: &Limits) -> Result<ConverseRequest> {
    check_value(value, limits, "")?;
    precheck_model_id(value, limits)?;
    let req = decode_converse_unchecked(value)?;
    check_converse_limits(&req, limits)?;
    Ok(req)
}

/// The model id's length, checked before its grammar (which would call a long id malformed).
fn precheck_model_id(value: &Value, limits: &Limits) -> Result<()> {
    match value.get("modelId").or_else(|| value.get("model_id")) {
        Some(Value::String(id)) => check_model_id_len(id, limits),
        _ => Ok(()),
    }
}

fn check_model_id_len(model_id: &str, limits: &Limits) -> Result<()> {
    if model_id.len() > limits.max_model_id_bytes {
        return Err(exceeded(
            "model_id",
            &format!("its length ({} bytes)", model_id.len()),
            limits.max_model_id_bytes,
            "max_model_id_bytes",
        ));
    }
    Ok(())
}

fn check_text(text: &str, path: impl FnOnce() -> String, limits: &Limits) -> Result<()> {
    if text.len() > limits.max_text_bytes {
        return Err(exceeded(
            &path(),
            &format!("the text ({} bytes)", text.len()),
            limits.max_text_bytes,
            "max_text_bytes",
        ));
    }
    Ok(())
}

fn check_image(image: &Image, path: impl FnOnce() -> String, limits: &Limits) -> Result<()> {
    if image.bytes.len() > limits.max_image_bytes {
        return Err(exceeded(
            &path(),
            &format!("the image ({} bytes)", image.bytes.len()),
            limits.max_image_bytes,
            "max_image_bytes",
        ));
    }
    Ok(())
}

fn check_document(doc: &Document, path: impl FnOnce() -> String, limits: &Limits) -> Result<()> {
    if doc.bytes.len() > limits.max_document_bytes {
        return Err(exceeded(
            &path(),
            &format!("the document ({} bytes)", doc.bytes.len()),
            limits.max_document_bytes,
            "max_document_bytes",
        ));
    }
    Ok(())
}

/// The per-part limits of a decoded request (paths as the decoder names them).
fn check_converse_limits(req: &ConverseRequest, limits: &Limits) -> Result<()> {
    check_model_id_len(&req.model_id, limits)?;
    if req.messages.len() > limits.max_messages {
        return Err(exceeded(
            "messages",
            &format!("the number of messages ({})", req.messages.len()),
            limits.max_messages,
            "max_messages",
        ));
    }
    for (i, block) in req.system.iter().enumerate() {
        if let SystemBlock::Text(t) = block {
            check_text(t, || format!("system[{i}].text"), limits)?;
        }
    }
    for (m, message) in req.messages.iter().enumerate() {
        let (mut images, mut documents) = (0usize, 0usize);
        for (b, block) in message.content.iter().enumerate() {
            // Paths are rendered only for an error (this runs once per block of every call).
            let path = || format!("messages[{m}].content[{b}]");
            match block {
                ContentBlock::Text(t) => check_text(t, || format!("{}.text", path()), limits)?,
                ContentBlock::Reasoning { text, .. } => {
                    check_text(text, || format!("{}.reasoning_content", path()), limits)?
                }
                ContentBlock::Image(image) => {
                    images += 1;
                    check_image(image, || format!("{}.image", path()), limits)?;
                }
                ContentBlock::Document(doc) => {
                    documents += 1;
                    check_document(doc, || format!("{}.document", path()), limits)?;
                }
                ContentBlock::ToolResult { content, .. } => {
                    for (c, item) in content.iter().enumerate() {
                        let path = || format!("{}.tool_result.content[{c}]", path());
                        match item {
                            ToolResultContent::Text(t) => {
                                check_text(t, || format!("{}.text", path()), limits)?
                            }
                            ToolResultContent::Image(image) => {
                                check_image(image, || format!("{}.image", path()), limits)?
                            }
                            ToolResultContent::Document(doc) => {
                                check_document(doc, || format!("{}.document", path()), limits)?
                            }
                            ToolResultContent::Json(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let content = || format!("messages[{m}].content");
        if images > limits.max_images_per_message {
            return Err(exceeded(
                &content(),
                &format!("the number of images ({images})"),
                limits.max_images_per_message,
                "max_images_per_message",
            ));
        }
        if documents > limits.max_documents_per_message {
            return Err(exceeded(
                &content(),
                &format!("the number of documents ({documents})"),
                limits.max_documents_per_message,
                "max_documents_per_message",
            ));
        }
    }
    if let Some(tc) = &req.tool_config {
        let schema_limits = Limits {
            max_request_bytes: limits.max_tool_schema_bytes,
            ..*limits
        };
        for (i, tool) in tc.tools.iter().enumerate() {
            if let Tool::Spec { input_schema, .. } = tool {
                let path = format!("tool_config.tools[{i}].tool_spec.input_schema");
                check_value(input_schema, &schema_limits, &path).map_err(|e| {
                    if e.message.contains("max_request_bytes") {
                        exceeded(
                            &path,
                            "the schema's size as JSON",
                            limits.max_tool_schema_bytes,
                            "max_tool_schema_bytes",
                        )
                    } else {
                        e
                    }
                })?;
            }
        }
    }
    Ok(())
}

fn decode_converse_unchecked(value: &Value) -> Result<ConverseRequest> {
    let mut obj = Obj::new(value, "")?;
    let model_id = obj.require_string("modelId")?;
    validate_model_id(&model_id)?;

    let messages_v = obj.require("messages")?;
    let messages = as_array(messages_v, "messages")?
        .iter()
        .enumerate()
        .map(|(i, m)| decode_message(m, &format!("messages[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    if messages.is_empty() {
        return Err(Error::invalid_request("messages", "must not be empty"));
    }

    let system = match obj.get("system") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![SystemBlock::Text(s.clone())],
        Some(v) => as_array(v, "system")?
            .iter()
            .enumerate()
            .map(|(i, b)| decode_system_block(b, i))
            .collect::<Result<Vec<_>>>()?,
    };

    let inference_config = obj
        .get("inferenceConfig")
        .map(|v| decode_inference_config(v, "inference_config"))
        .transpose()?;
    let tool_config = obj
        .get("toolConfig")
        .map(|v| decode_tool_config(v, "tool_config"))
        .transpose()?;
    let additional_model_request_fields = match obj.get("additionalModelRequestFields") {
        None => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(other) => {
            return Err(Error::invalid_request(
                "additional_model_request_fields",
                format!("expected a map, got {}", kind(other)),
            ))
        }
    };
    let additional_model_response_field_paths = match obj.get("additionalModelResponseFieldPaths") {
        None => Vec::new(),
        Some(v) => string_list(v, "additional_model_response_field_paths")?,
    };
    let performance_latency = obj
        .get("performanceConfig")
        .map(|v| decode_performance(v, "performance_config"))
        .transpose()?
        .flatten();
    let guardrail_config = obj
        .get("guardrailConfig")
        .map(|v| decode_guardrail(v, "guardrail_config"))
        .transpose()?;
    let request_metadata = match obj.get("requestMetadata") {
        None => BTreeMap::new(),
        Some(v) => {
            let map = v.as_object().ok_or_else(|| {
                Error::invalid_request("request_metadata", "expected a map of strings")
            })?;
            check_request_metadata_shape(map.len())?;
            map.iter()
                .map(|(k, v)| {
                    check_request_metadata_key(k)?;
                    let path = format!("request_metadata.{k}");
                    let value = as_string(v, &path)?;
                    check_request_metadata_value(&value, &path)?;
                    Ok((k.clone(), value))
                })
                .collect::<Result<BTreeMap<_, _>>>()?
        }
    };
    obj.finish()?;

    Ok(ConverseRequest {
        model_id,
        messages,
        system,
        inference_config,
        tool_config,
        additional_model_request_fields,
        additional_model_response_field_paths,
        performance_latency,
        guardrail_config,
        request_metadata,
    })
}

/// Decodes an InvokeModel request `{modelId, body}` under the default [`Limits`].
pub fn decode_invoke(value: &Value) -> Result<InvokeRequest> {
    decode_invoke_with(value, &Limits::default())
}

/// Decodes an InvokeModel request `{modelId, body}`; the body is the model's own JSON (a map,
/// or a JSON string parsed here and held to the same depth and size limits). For Anthropic
/// models the Bedrock `anthropic_version` is added when missing.
pub fn decode_invoke_with(value: &Value, limits: &Limits) -> Result<InvokeRequest> {
    check_value(value, limits, "")?;
    precheck_model_id(value, limits)?;
    let req = decode_invoke_unchecked(value)?;
    // A body given as a JSON string was one level in the request map: count it as level 2.
    let body_limits = Limits {
        max_depth: limits.max_depth.saturating_sub(1).max(1),
        ..*limits
    };
    check_value(&req.body, &body_limits, "body")?;
    Ok(req)
}

fn decode_invoke_unchecked(value: &Value) -> Result<InvokeRequest> {
    let mut obj = Obj::new(value, "")?;
    let model_id = obj.require_string("modelId")?;
    validate_model_id(&model_id)?;
    let mut body = match obj.require("body")? {
        Value::String(s) => serde_json::from_str::<Value>(s)
            .map_err(|e| Error::invalid_request("body", format!("invalid JSON: {e}")))?,
        v @ Value::Object(_) => v.clone(),
        other => {
            return Err(Error::invalid_request(
                "body",
                format!("expected a map or a JSON string, got {}", kind(other)),
            ))
        }
    };
    obj.finish()?;
    if is_anthropic_model(&model_id) {
        if let Value::Object(map) = &mut body {
            map.entry("anthropic_version")
                .or_insert_with(|| Value::String("bedrock-2023-05-31".into()));
        }
    }
    Ok(InvokeRequest { model_id, body })
}

fn validate_model_id(model_id: &str) -> Result<()> {
    // Model ids go into the URL path: Bedrock's id / profile / ARN grammar, no `..`, no path
    // segments (catalog::ids::check_model_id).
    crate::catalog::check_model_id(model_id).map_err(|e| Error::invalid_request("modelId", e))
}

fn string_list(v: &Value, path: &str) -> Result<Vec<String>> {
    as_array(v, path)?
        .iter()
        .enumerate()
        .map(|(i, s)| as_string(s, &format!("{path}[{i}]")))
        .collect()
}

fn decode_role(v: &Value, path: &str) -> Result<Role> {
    match v.as_str() {
        Some("user") => Ok(Role::User),
        Some("assistant") => Ok(Role::Assistant),
        _ => Err(Error::invalid_request(
            path,
            format!("must be :user or :assistant, got {v}"),
        )),
    }
}

fn decode_message(v: &Value, path: &str) -> Result<Message> {
    let mut obj = Obj::new(v, path)?;
    let role = decode_role(obj.require("role")?, &obj.child("role"))?;
    let content_path = obj.child("content");
    let content = match obj.require("content")? {
        Value::String(s) => vec![ContentBlock::Text(s.clone())],
        other => as_array(other, &content_path)?
            .iter()
            .enumerate()
            .map(|(i, b)| decode_content_block(b, &content_path, i))
            .collect::<Result<Vec<_>>>()?,
    };
    if content.is_empty() {
        return Err(Error::invalid_request(&content_path, "must not be empty"));
    }
    obj.finish()?;
    Ok(Message { role, content })
}

/// A content block is a map with exactly one key naming its kind.
/// `path` is rendered only for an error.
fn single_key(v: &Value, path: impl FnOnce() -> String) -> Result<(String, &Value)> {
    let Some(map) = v.as_object() else {
        return Err(Error::invalid_request(
            &path(),
            format!("expected a content block map, got {}", kind(v)),
        ));
    };
    if map.len() != 1 {
        return Err(Error::invalid_request(
            &path(),
            "a content block must have exactly one key (text, image, document, tool_use, tool_result, reasoning_content, cache_point)",
        ));
    }
    let (k, v) = map.iter().next().expect("one entry");
    Ok((snake_to_camel(k), v))
}

fn snake_to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The block at `{list}[{i}]`; its path is rendered only where a nested decoder keeps one
/// or for an error (a text block, the common case, renders none).
fn decode_content_block(v: &Value, list: &str, i: usize) -> Result<ContentBlock> {
    let at = || format!("{list}[{i}]");
    let (key, inner) = single_key(v, at)?;
    if let ("text", Value::String(text)) = (key.as_str(), inner) {
        return Ok(ContentBlock::Text(text.clone()));
    }
    let path = format!("{}.{}", at(), camel_to_snake(&key));
    match key.as_str() {
        "text" => Ok(ContentBlock::Text(as_string(inner, &path)?)),
        "image" => Ok(ContentBlock::Image(decode_image(inner, &path)?)),
        "document" => Ok(ContentBlock::Document(decode_document(inner, &path)?)),
        "toolUse" => {
            let mut obj = Obj::new(inner, &path)?;
            let tool_use_id = obj.require_string("toolUseId")?;
            let name = obj.require_string("name")?;
            let input = obj
                .get("input")
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            obj.finish()?;
            Ok(ContentBlock::ToolUse {
                tool_use_id,
                name,
                input,
            })
        }
        "toolResult" => {
            let mut obj = Obj::new(inner, &path)?;
            let tool_use_id = obj.require_string("toolUseId")?;
            let content_path = obj.child("content");
            let content = match obj.require("content")? {
                Value::String(s) => vec![ToolResultContent::Text(s.clone())],
                other => as_array(other, &content_path)?
                    .iter()
                    .enumerate()
                    .map(|(i, b)| decode_tool_result_content(b, &content_path, i))
                    .collect::<Result<Vec<_>>>()?,
            };
            let status_path = obj.child("status");
            let status = match obj.get("status").and_then(|s| s.as_str()) {
                None => None,
                Some("success") => Some(ToolResultStatus::Success),
                Some("error") => Some(ToolResultStatus::Error),
                Some(other) => {
                    return Err(Error::invalid_request(
                        &status_path,
                        format!("must be :success or :error, got {other:?}"),
                    ))
                }
            };
            obj.finish()?;
            Ok(ContentBlock::ToolResult {
                tool_use_id,
                content,
                status,
            })
        }
        "reasoningContent" => {
            let mut obj = Obj::new(inner, &path)?;
            // Accept both the flat form and Converse's {reasoningText: {text, signature}}.
            if let Some(rt) = obj.get("reasoningText") {
                let mut rt_obj = Obj::new(rt, &format!("{path}.reasoning_text"))?;
                let text = rt_obj.require_string("text")?;
                let signature = rt_obj.string("signature")?;
                rt_obj.finish()?;
                obj.finish()?;
                return Ok(ContentBlock::Reasoning { text, signature });
            }
            if let Some(rc) = obj.get("redactedContent") {
                let bytes = as_bytes(rc, &format!("{path}.redacted_content"))?;
                obj.finish()?;
                return Ok(ContentBlock::RedactedReasoning(bytes));
            }
            let text = obj.require_string("text")?;
            let signature = obj.string("signature")?;
            obj.finish()?;
            Ok(ContentBlock::Reasoning { text, signature })
        }
        "cachePoint" => Ok(ContentBlock::CachePoint(decode_cache_point(inner, &path)?)),
        "guardContent" => Ok(ContentBlock::GuardContent(decode_guard_content(
            inner, &path,
        )?)),
        other => Err(Error::invalid_request(
            &path,
            format!("unknown content block type {other:?}"),
        )),
    }
}

/// The item at `{list}[{i}]` (paths as in [`decode_content_block`]).
fn decode_tool_result_content(v: &Value, list: &str, i: usize) -> Result<ToolResultContent> {
    let at = || format!("{list}[{i}]");
    let (key, inner) = single_key(v, at)?;
    if let ("text", Value::String(text)) = (key.as_str(), inner) {
        return Ok(ToolResultContent::Text(text.clone()));
    }
    let path = format!("{}.{}", at(), camel_to_snake(&key));
    match key.as_str() {
        "text" => Ok(ToolResultContent::Text(as_string(inner, &path)?)),
        "json" => Ok(ToolResultContent::Json(inner.clone())),
        "image" => Ok(ToolResultContent::Image(decode_image(inner, &path)?)),
        "document" => Ok(ToolResultContent::Document(decode_document(inner, &path)?)),
        other => Err(Error::invalid_request(
            &path,
            format!("unknown tool result content {other:?} (text, json, image, document)"),
        )),
    }
}

fn source_bytes(obj: &mut Obj, path: &str) -> Result<Vec<u8>> {
    // Converse nests bytes under `source: {bytes: ...}`; `bytes:` directly is accepted too.
    if let Some(source) = obj.get("source") {
        let mut s = Obj::new(source, &format!("{path}.source"))?;
        let b = s.require("bytes")?;
        let bytes = as_bytes(b, &format!("{path}.source.bytes"))?;
        s.finish()?;
        return Ok(bytes);
    }
    let b = obj.require("bytes")?;
    as_bytes(b, &format!("{path}.bytes"))
}

fn decode_image(v: &Value, path: &str) -> Result<Image> {
    let mut obj = Obj::new(v, path)?;
    let format_path = obj.child("format");
    let format = match obj.require("format")?.as_str() {
        Some("png") => ImageFormat::Png,
        Some("jpeg") | Some("jpg") => ImageFormat::Jpeg,
        Some("gif") => ImageFormat::Gif,
        Some("webp") => ImageFormat::Webp,
        _ => {
            return Err(Error::invalid_request(
                &format_path,
                "must be one of png, jpeg, gif, webp",
            ))
        }
    };
    let bytes = source_bytes(&mut obj, path)?;
    if bytes.is_empty() {
        return Err(Error::invalid_request(&format!("{path}.bytes"), "is empty"));
    }
    obj.finish()?;
    Ok(Image { format, bytes })
}

fn decode_document(v: &Value, path: &str) -> Result<Document> {
    let mut obj = Obj::new(v, path)?;
    let format_path = obj.child("format");
    let format = match obj.require("format")?.as_str() {
        Some("pdf") => DocumentFormat::Pdf,
        Some("csv") => DocumentFormat::Csv,
        Some("doc") => DocumentFormat::Doc,
        Some("docx") => DocumentFormat::Docx,
        Some("xls") => DocumentFormat::Xls,
        Some("xlsx") => DocumentFormat::Xlsx,
        Some("html") => DocumentFormat::Html,
        Some("txt") => DocumentFormat::Txt,
        Some("md") => DocumentFormat::Md,
        _ => {
            return Err(Error::invalid_request(
                &format_path,
                "must be one of pdf, csv, doc, docx, xls, xlsx, html, txt, md",
            ))
        }
    };
    let name = obj.require_string("name")?;
    let bytes = source_bytes(&mut obj, path)?;
    obj.finish()?;
    Ok(Document {
        format,
        name,
        bytes,
    })
}

fn decode_cache_point(v: &Value, path: &str) -> Result<CachePoint> {
    let mut obj = Obj::new(v, path)?;
    let type_path = obj.child("type");
    match obj.get("type").and_then(|t| t.as_str()) {
        None | Some("default") => {}
        Some(other) => {
            return Err(Error::invalid_request(
                &type_path,
                format!("must be \"default\", got {other:?}"),
            ))
        }
    }
    let ttl_path = obj.child("ttl");
    let ttl = obj.string("ttl")?;
    if let Some(ttl) = &ttl {
        if ttl != "5m" && ttl != "1h" {
            return Err(Error::invalid_request(
                &ttl_path,
                "must be \"5m\" or \"1h\"",
            ));
        }
    }
    obj.finish()?;
    Ok(CachePoint { ttl })
}

/// The block at `system[{i}]` (paths as in [`decode_content_block`]).
fn decode_system_block(v: &Value, i: usize) -> Result<SystemBlock> {
    let at = || format!("system[{i}]");
    let (key, inner) = single_key(v, at)?;
    if let ("text", Value::String(text)) = (key.as_str(), inner) {
        return Ok(SystemBlock::Text(text.clone()));
    }
    let path = format!("{}.{}", at(), camel_to_snake(&key));
    match key.as_str() {
        "text" => Ok(SystemBlock::Text(as_string(inner, &path)?)),
        "cachePoint" => Ok(SystemBlock::CachePoint(decode_cache_point(inner, &path)?)),
        "guardContent" => Ok(SystemBlock::GuardContent(decode_guard_content(
            inner, &path,
        )?)),
        other => Err(Error::invalid_request(
            &path,
            format!("unknown system block {other:?} (text, cache_point, guard_content)"),
        )),
    }
}

/// `guard_content: %{text: %{text: "...", qualifiers: ["query"]}}` (Converse's shape).
fn decode_guard_content(v: &Value, path: &str) -> Result<GuardContent> {
    let mut obj = Obj::new(v, path)?;
    let text_path = obj.child("text");
    let Some(inner) = obj.get("text") else {
        return Err(Error::invalid_request(
            path,
            "expected %{text: %{text: ..., qualifiers: [...]}} (only text guard content is supported)",
        ));
    };
    let mut t = Obj::new(inner, &text_path)?;
    let text = t.require_string("text")?;
    let q_path = t.child("qualifiers");
    let qualifiers = match t.get("qualifiers") {
        None | Some(Value::Null) => Vec::new(),
        Some(q) => as_array(q, &q_path)?
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let p = format!("{q_path}[{i}]");
                let s = as_string(q, &p)?;
                if GUARD_QUALIFIERS.contains(&s.as_str()) {
                    Ok(s)
                } else {
                    Err(Error::invalid_request(
                        &p,
                        format!("must be one of {GUARD_QUALIFIERS:?}, got {s:?}"),
                    ))
                }
            })
            .collect::<Result<Vec<_>>>()?,
    };
    t.finish()?;
    obj.finish()?;
    Ok(GuardContent { text, qualifiers })
}

fn decode_inference_config(v: &Value, path: &str) -> Result<InferenceConfig> {
    let mut obj = Obj::new(v, path)?;
    let mut cfg = InferenceConfig::default();
    if let Some(m) = obj.get("maxTokens") {
        let p = obj.child("max_tokens");
        let n = as_i32(m, &p)?;
        if n < 1 {
            return Err(Error::invalid_request(&p, "must be at least 1"));
        }
        cfg.max_tokens = Some(n);
    }
    for (name, slot) in [
        ("temperature", &mut cfg.temperature),
        ("topP", &mut cfg.top_p),
    ] {
        if let Some(t) = obj.get(name) {
            let p = obj.child(&camel_to_snake(name));
            let f = as_f32(t, &p)?;
            if !(0.0..=1.0).contains(&f) {
                return Err(Error::invalid_request(&p, "must be between 0 and 1"));
            }
            *slot = Some(f);
        }
    }
    if let Some(s) = obj.get("stopSequences") {
        cfg.stop_sequences = string_list(s, &obj.child("stop_sequences"))?;
    }
    obj.finish()?;
    Ok(cfg)
}

fn decode_tool_config(v: &Value, path: &str) -> Result<ToolConfig> {
    let mut obj = Obj::new(v, path)?;
    let tools_path = obj.child("tools");
    let tools = as_array(obj.require("tools")?, &tools_path)?
        .iter()
        .enumerate()
        .map(|(i, t)| decode_tool(t, &format!("{tools_path}[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    let choice_path = obj.child("tool_choice");
    let tool_choice = obj
        .get("toolChoice")
        .map(|c| decode_tool_choice(c, &choice_path))
        .transpose()?;
    obj.finish()?;
    Ok(ToolConfig { tools, tool_choice })
}

fn decode_tool(v: &Value, path: &str) -> Result<Tool> {
    let (key, inner) = single_key(v, || path.to_string())?;
    let path = format!("{path}.{}", camel_to_snake(&key));
    match key.as_str() {
        "toolSpec" => {
            let mut obj = Obj::new(inner, &path)?;
            let name = obj.require_string("name")?;
            if name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(Error::invalid_request(
                    &obj.child("name"),
                    "must match [a-zA-Z0-9_-]{1,64}",
                ));
            }
            let description = obj.string("description")?;
            let schema_path = obj.child("input_schema");
            let schema = obj.require("inputSchema")?;
            // Converse wraps the schema as {json: schema}; a bare schema is accepted too.
            let input_schema = match schema.as_object() {
                Some(m) if m.len() == 1 && m.contains_key("json") => m["json"].clone(),
                Some(_) => schema.clone(),
                None => {
                    return Err(Error::invalid_request(
                        &schema_path,
                        "expected a JSON schema map",
                    ))
                }
            };
            obj.finish()?;
            Ok(Tool::Spec {
                name,
                description,
                input_schema,
            })
        }
        "cachePoint" => Ok(Tool::CachePoint(decode_cache_point(inner, &path)?)),
        other => Err(Error::invalid_request(
            &path,
            format!("unknown tool entry {other:?} (tool_spec, cache_point)"),
        )),
    }
}

fn decode_tool_choice(v: &Value, path: &str) -> Result<ToolChoice> {
    match v {
        Value::String(s) if s == "auto" => Ok(ToolChoice::Auto),
        Value::String(s) if s == "any" => Ok(ToolChoice::Any),
        Value::Object(map) if map.len() == 1 => {
            let (k, inner) = map.iter().next().expect("one entry");
            match k.as_str() {
                "auto" => Ok(ToolChoice::Auto),
                "any" => Ok(ToolChoice::Any),
                "tool" => {
                    let mut obj = Obj::new(inner, &format!("{path}.tool"))?;
                    let name = obj.require_string("name")?;
                    obj.finish()?;
                    Ok(ToolChoice::Tool(name))
                }
                other => Err(Error::invalid_request(
                    path,
                    format!("unknown tool choice {other:?} (auto, any, tool)"),
                )),
            }
        }
        _ => Err(Error::invalid_request(
            path,
            "must be :auto, :any, %{auto: %{}}, %{any: %{}} or %{tool: %{name: name}}",
        )),
    }
}

fn decode_performance(v: &Value, path: &str) -> Result<Option<Latency>> {
    let mut obj = Obj::new(v, path)?;
    let latency_path = obj.child("latency");
    let latency = match obj.get("latency").and_then(|l| l.as_str()) {
        None => None,
        Some("standard") => Some(Latency::Standard),
        Some("optimized") => Some(Latency::Optimized),
        Some(other) => {
            return Err(Error::invalid_request(
                &latency_path,
                format!("must be :standard or :optimized, got {other:?}"),
            ))
        }
    };
    obj.finish()?;
    Ok(latency)
}

fn decode_guardrail(v: &Value, path: &str) -> Result<GuardrailConfig> {
    let mut obj = Obj::new(v, path)?;
    let identifier = obj.require_string("guardrailIdentifier")?;
    let version = obj.require_string("guardrailVersion")?;
    let trace = obj.string("trace")?;
    let stream_processing_mode = obj.string("streamProcessingMode")?;
    // Bedrock's patterns (API_runtime_GuardrailStreamConfiguration), checked before any
    // network.
    if !guardrail_identifier_ok(&identifier) {
        return Err(Error::invalid_request(
            &format!("{path}.guardrail_identifier"),
            "must be a guardrail id (lowercase letters and digits) or a guardrail ARN",
        ));
    }
    if !(version == "DRAFT"
        || (matches!(version.len(), 1..=8)
            && !version.starts_with('0')
            && version.bytes().all(|b| b.is_ascii_digit())))
    {
        return Err(Error::invalid_request(
            &format!("{path}.guardrail_version"),
            format!("must be \"DRAFT\" or a version number 1..99999999, got {version:?}"),
        ));
    }
    for (field, value, allowed) in [
        (
            "trace",
            &trace,
            &["enabled", "disabled", "enabled_full"][..],
        ),
        (
            "stream_processing_mode",
            &stream_processing_mode,
            &["sync", "async"][..],
        ),
    ] {
        if let Some(v) = value {
            if !allowed.contains(&v.as_str()) {
                return Err(Error::invalid_request(
                    &format!("{path}.{field}"),
                    format!("must be one of {allowed:?}, got {v:?}"),
                ));
            }
        }
    }
    obj.finish()?;
    Ok(GuardrailConfig {
        identifier,
        version,
        trace,
        stream_processing_mode,
    })
}

/// `[a-z0-9]+` or `arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+`.
fn guardrail_identifier_ok(id: &str) -> bool {
    let id_part = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if id_part(id) {
        return true;
    }
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    arn == "arn"
        && (partition == "aws"
            || partition
                .strip_prefix("aws-")
                .is_some_and(|p| !p.is_empty()))
        && service == "bedrock"
        && matches!(region.len(), 1..=20)
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("guardrail/").is_some_and(id_part)
}

/// Estimated input tokens of the request's text (system, messages, tool JSON), with the
/// catalog's approximation ([`estimate_tokens`]); used to price interrupted streams, for
/// which Bedrock reports no usage.
pub fn estimate_input_tokens(req: &ConverseRequest) -> u64 {
    let mut n = 0;
    for b in &req.system {
        match b {
            SystemBlock::Text(t) | SystemBlock::GuardContent(GuardContent { text: t, .. }) => {
                n += estimate_tokens(t)
            }
            SystemBlock::CachePoint(_) => {}
        }
    }
    for m in &req.messages {
        for b in &m.content {
            match b {
                ContentBlock::Text(t) => n += estimate_tokens(t),
                ContentBlock::ToolUse { input, .. } => n += estimate_tokens(&input.to_string()),
                ContentBlock::ToolResult { content, .. } => {
                    for c in content {
                        match c {
                            ToolResultContent::Text(t) => n += estimate_tokens(t),
                            ToolResultContent::Json(v) => n += estimate_tokens(&v.to_string()),
                            _ => {}
                        }
                    }
                }
                ContentBlock::Reasoning { text, .. } => n += estimate_tokens(text),
                ContentBlock::GuardContent(g) => n += estimate_tokens(&g.text),
                _ => {}
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_snake_of_matches_camel_to_snake() {
        for camel in [
            "modelId",
            "inferenceConfig",
            "maxTokens",
            "system",
            "toolUseId",
            "x",
        ] {
            let snake = camel_to_snake(camel);
            assert!(is_snake_of(&snake, camel), "{camel}");
            assert_eq!(is_snake_of(camel, camel), snake == camel, "{camel}");
            for near in [
                format!("{snake}_"),
                snake[..snake.len() - 1].to_string(),
                snake.to_uppercase(),
            ] {
                assert_eq!(is_snake_of(&near, camel), near == snake, "{camel} {near}");
            }
        }
        assert!(!is_snake_of("model__id", "modelId"));
        assert!(!is_snake_of("", "modelId"));
        assert!(is_snake_of("", ""));
    }

    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"model_id": "anthropic.claude-3-5-haiku-20241022-v1:0",
               "messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
    }

    #[test]
    fn decodes_snake_and_camel_case() {
        let mut v = base();
        v["inferenceConfig"] = json!({"max_tokens": 100, "temperature": 0.3, "topP": 0.9});
        let r = decode_converse(&v).unwrap();
        let cfg = r.inference_config.unwrap();
        assert_eq!(cfg.max_tokens, Some(100));
        assert_eq!(cfg.top_p, Some(0.9));
    }

    #[test]
    fn request_metadata_follows_bedrocks_shape() {
        let decode = |meta: Value| {
            let mut v = base();
            v["request_metadata"] = meta;
            decode_converse(&v)
        };
        let ok = decode(json!({"call_id": "c-42", "tenant": "acme corp/eu-west-1", "note": ""}))
            .unwrap();
        assert_eq!(ok.request_metadata["tenant"], "acme corp/eu-west-1");
        let all_symbols = ": _ @ $ # = / + , - .";
        assert!(decode(json!({"k": all_symbols})).is_ok());
        assert!(decode(json!({"multi\nline": "tab\there"})).is_ok());

        let seventeen: serde_json::Map<String, Value> =
            (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
        let cases = [
            (Value::Object(seventeen), "at most 16 entries"),
            (json!({"": "v"}), "1 to 256 characters"),
            (json!({"k".repeat(257): "v"}), "1 to 256 characters"),
            (json!({"k": "v".repeat(257)}), "at most 256 characters"),
            (json!({"call\u{2003}id": "v"}), "a key has a character"),
            (json!({"k;": "v"}), "a key has a character"),
            (
                json!({"call_id": "secret\u{0}value"}),
                "the value has a character",
            ),
            (json!({"call_id": "caf\u{e9}"}), "the value has a character"),
            (json!({"call_id": "a\"b"}), "the value has a character"),
        ];
        for (meta, expect) in cases {
            let err = decode(meta.clone()).unwrap_err().to_string();
            assert!(err.contains(expect), "{meta}: {err}");
            // Request metadata is `sensitive` in Bedrock's model: no value in the message.
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn guardrail_config_and_guard_content() {
        let mut v = base();
        v["guardrail_config"] = json!({"guardrail_identifier": "gr1abc", "guardrail_version": "DRAFT",
                                       "trace": "enabled_full", "stream_processing_mode": "async"});
        v["system"] = json!([{"guard_content": {"text": {"text": "Be kind."}}}]);
        v["messages"][0]["content"] = json!([
            {"text": "Context"},
            {"guard_content": {"text": {"text": "Is it safe?", "qualifiers": ["query"]}}}]);
        let r = decode_converse(&v).unwrap();
        let g = r.guardrail_config.unwrap();
        assert_eq!(
            (g.identifier.as_str(), g.version.as_str()),
            ("gr1abc", "DRAFT")
        );
        assert_eq!(g.stream_processing_mode.as_deref(), Some("async"));
        assert_eq!(
            r.messages[0].content[1],
            ContentBlock::GuardContent(GuardContent {
                text: "Is it safe?".into(),
                qualifiers: vec!["query".into()]
            })
        );
        assert!(matches!(r.system[0], SystemBlock::GuardContent(_)));
        // Guard content is input the model reads: counted like text.
        let mut plain = v.clone();
        plain["system"] = json!([{"text": "Be kind."}]);
        plain["messages"][0]["content"] = json!([{"text": "Context"}, {"text": "Is it safe?"}]);
        let tokens = |v: &Value| estimate_input_tokens(&decode_converse(v).unwrap());
        assert_eq!(tokens(&v), tokens(&plain));
        assert!(tokens(&v) > tokens(&base()));

        let arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123";
        for (field, value, ok) in [
            ("guardrail_identifier", json!(arn), true),
            (
                "guardrail_identifier",
                json!("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:guardrail/x1"),
                true,
            ),
            ("guardrail_identifier", json!("Bad_Id"), false),
            (
                "guardrail_identifier",
                json!("arn:aws:bedrock:us-east-1:1234:guardrail/abc"),
                false,
            ),
            ("guardrail_version", json!("12"), true),
            ("guardrail_version", json!("0"), false),
            ("guardrail_version", json!("draft"), false),
            ("trace", json!("verbose"), false),
            ("stream_processing_mode", json!("later"), false),
        ] {
            let mut v = base();
            v["guardrail_config"] = json!({"guardrail_identifier": "g1", "guardrail_version": "1"});
            v["guardrail_config"][field] = value;
            let r = decode_converse(&v);
            assert_eq!(r.is_ok(), ok, "{field}: {r:?}");
            if let Err(e) = r {
                assert!(
                    e.message.starts_with(&format!("guardrail_config.{field}")),
                    "{}",
                    e.message
                );
            }
        }
        let mut v = base();
        v["messages"][0]["content"] =
            json!([{"guard_content": {"text": {"text": "x", "qualifiers": ["other"]}}}]);
        let e = decode_converse(&v).unwrap_err();
        assert!(
            e.message
                .starts_with("messages[0].content[0].guard_content.text.qualifiers[0]"),
            "{}",
            e.message
        );
        v["messages"][0]["content"] = json!([{"guard_content": {"image": {}}}]);
        assert!(decode_converse(&v).is_err());
    }

    #[test]
    fn content_shorthand_string() {
        let v = json!({"modelId": "m", "messages": [{"role": "user", "content": "Hello"}]});
        let r = decode_converse(&v).unwrap();
        assert_eq!(
            r.messages[0].content,
            vec![ContentBlock::Text("Hello".into())]
        );
    }

    #[test]
    fn error_names_the_path() {
        let v = json!({"modelId": "m", "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": [{"image": {"format": "bmp", "bytes": "xx"}}]}]});
        let e = decode_converse(&v).unwrap_err();
        assert!(
            e.message.starts_with("messages[2].content[0].image.format"),
            "{}",
            e.message
        );
    }

    /// Block paths are rendered only for an error; each kind still names the exact block.
    #[test]
    fn lazily_rendered_paths_name_the_exact_block() {
        let with = |content: Value| {
            json!({"modelId": "m", "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [{"text": "b"}, content]}]})
        };
        let cases = [
            (
                with(json!(7)),
                "messages[1].content[1]: expected a content block map",
            ),
            (
                with(json!({"text": 7})),
                "messages[1].content[1].text: expected a string",
            ),
            (
                with(json!({"text": "x", "image": {}})),
                "messages[1].content[1]: a content block",
            ),
            (
                with(
                    json!({"tool_result": {"tool_use_id": "t", "content": [{"text": "ok"}, {"text": 1}]}}),
                ),
                "messages[1].content[1].tool_result.content[1].text: expected a string",
            ),
            (
                with(json!({"tool_result": {"tool_use_id": "t", "content": [7]}})),
                "messages[1].content[1].tool_result.content[0]: expected a content block map",
            ),
            (
                json!({"modelId": "m", "system": [{"text": "s"}, {"text": []}],
                       "messages": [{"role": "user", "content": "a"}]}),
                "system[1].text: expected a string",
            ),
        ];
        for (v, want) in cases {
            let e = decode_converse(&v).unwrap_err();
            assert!(e.message.starts_with(want), "{} (want {want})", e.message);
        }
        let l = Limits {
            max_text_bytes: 3,
            ..Limits::default()
        };
        let v = with(json!({"tool_result": {"tool_use_id": "t", "content": [{"text": "long"}]}}));
        let e = limited(&l, &v);
        assert!(
            e.message
                .starts_with("messages[1].content[1].tool_result.content[0].text:"),
            "{}",
            e.message
        );
        let v = json!({"modelId": "m", "system": [{"text": "ok"}, {"text": "long"}],
                       "messages": [{"role": "user", "content": "a"}]});
        let e = limited(&l, &v);
        assert!(e.message.starts_with("system[1].text:"), "{}", e.message);
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        let mut v = base();
        v["inference_config"] = json!({"max_token": 5});
        let e = decode_converse(&v).unwrap_err();
        assert!(
            e.message
                .contains("inference_config.max_token: unknown field"),
            "{}",
            e.message
        );

        let mut v = base();
        v["inference_config"] = json!({"temperature": 1.5});
        assert!(decode_converse(&v)
            .unwrap_err()
            .message
            .contains("temperature"));

        let mut v = base();
        v["messages"] = json!([]);
        assert!(decode_converse(&v)
            .unwrap_err()
            .message
            .contains("messages"));

        let mut v = base();
        v["model_id"] = json!("evil/../../x?y");
        assert!(decode_converse(&v).is_err());
    }

    #[test]
    fn decodes_tools_choice_and_cache_points() {
        let mut v = base();
        v["system"] = json!([{"text": "sys"}, {"cache_point": {"type": "default"}}]);
        v["tool_config"] = json!({
            "tools": [{"tool_spec": {"name": "lookup", "description": "d",
                        "input_schema": {"json": {"type": "object"}}}},
                      {"cache_point": {}}],
            "tool_choice": {"tool": {"name": "lookup"}}});
        let r = decode_converse(&v).unwrap();
        assert_eq!(r.system.len(), 2);
        let tc = r.tool_config.unwrap();
        assert_eq!(tc.tool_choice, Some(ToolChoice::Tool("lookup".into())));
        match &tc.tools[0] {
            Tool::Spec { input_schema, .. } => assert_eq!(input_schema, &json!({"type": "object"})),
            _ => panic!("expected a spec"),
        }
    }

    #[test]
    fn binary_marker_round_trip() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("AAEC/w==").unwrap(), vec![0, 1, 2, 255]);
        let mut v = base();
        v["messages"][0]["content"] =
            json!([{"image": {"format": "png", "bytes": {"$binary": "AAEC/w=="}}}]);
        let r = decode_converse(&v).unwrap();
        assert_eq!(
            r.messages[0].content[0],
            ContentBlock::Image(Image {
                format: ImageFormat::Png,
                bytes: vec![0, 1, 2, 255]
            })
        );
    }

    #[test]
    fn input_token_estimate_uses_the_catalog_rule_per_text_piece() {
        let mut v = base();
        v["system"] = json!("You are a friendly phone agent.");
        v["messages"][0]["content"] = json!([{"text": "When do you open tomorrow?"}]);
        let r = decode_converse(&v).unwrap();
        assert_eq!(
            estimate_input_tokens(&r),
            estimate_tokens("You are a friendly phone agent.")
                + estimate_tokens("When do you open tomorrow?")
        );
    }

    #[test]
    fn invoke_adds_anthropic_version() {
        let v = json!({"modelId": "anthropic.claude-3-haiku-20240307-v1:0",
                       "body": {"max_tokens": 10, "messages": []}});
        let r = decode_invoke(&v).unwrap();
        assert_eq!(r.body["anthropic_version"], "bedrock-2023-05-31");
        let v = json!({"modelId": "meta.llama3-8b-instruct-v1:0", "body": {"prompt": "x"}});
        assert!(decode_invoke(&v)
            .unwrap()
            .body
            .get("anthropic_version")
            .is_none());
    }

    fn limited(limits: &Limits, v: &Value) -> Error {
        decode_converse_with(v, limits).unwrap_err()
    }

    #[test]
    fn limits_name_the_path_and_the_limit() {
        let l = Limits {
            max_text_bytes: 10,
            max_messages: 2,
            max_image_bytes: 4,
            max_images_per_message: 1,
            max_model_id_bytes: 5,
            max_tool_schema_bytes: 40,
            ..Limits::default()
        };
        let e = limited(
            &l,
            &json!({"modelId": "m", "messages": [
            {"role": "user", "content": [{"text": "short"}, {"text": "this text is too long"}]}]}),
        );
        assert!(
            e.message.starts_with("messages[0].content[1].text:"),
            "{}",
            e.message
        );
        assert!(e.message.contains("max_text_bytes"), "{}", e.message);

        let three: Vec<Value> = ["a", "b", "c"]
            .iter()
            .map(|t| json!({"role": "user", "content": t}))
            .collect();
        let e = limited(&l, &json!({"modelId": "m", "messages": three}));
        assert!(e.message.contains("max_messages"), "{}", e.message);

        let e = limited(
            &l,
            &json!({"modelId": "m", "messages": [{"role": "user", "content": [
            {"image": {"format": "png", "bytes": "123456"}}]}]}),
        );
        assert!(
            e.message.starts_with("messages[0].content[0].image"),
            "{}",
            e.message
        );
        assert!(e.message.contains("max_image_bytes"), "{}", e.message);

        let e = limited(
            &l,
            &json!({"modelId": "m", "messages": [{"role": "user", "content": [
            {"image": {"format": "png", "bytes": "12"}}, {"image": {"format": "png", "bytes": "12"}}]}]}),
        );
        assert!(
            e.message.contains("max_images_per_message"),
            "{}",
            e.message
        );

        let e = limited(
            &l,
            &json!({"modelId": "model-too-long", "messages": [{"role": "user", "content": "x"}]}),
        );
        assert!(e.message.starts_with("model_id:"), "{}", e.message);

        let e = limited(
            &l,
            &json!({"modelId": "m", "messages": [{"role": "user", "content": "x"}],
            "tool_config": {"tools": [{"tool_spec": {"name": "t", "input_schema": {"json":
                {"type": "object", "description": "a rather long description here"}}}}]}}),
        );
        assert!(
            e.message
                .starts_with("tool_config.tools[0].tool_spec.input_schema"),
            "{}",
            e.message
        );
        assert!(e.message.contains("max_tool_schema_bytes"), "{}", e.message);
    }

    #[test]
    fn deep_values_fail_with_a_path_not_a_crash() {
        let mut deep = json!("x");
        for _ in 0..100 {
            deep = json!({"a": deep});
        }
        let mut v = base();
        v["additional_model_request_fields"] = json!({"nested": deep});
        let e = decode_converse(&v).unwrap_err();
        assert!(
            e.message
                .starts_with("additional_model_request_fields.nested.a.a"),
            "{}",
            e.message
        );
        assert!(e.message.contains("max_depth"), "{}", e.message);

        // A JSON-string body is parsed and held to the same depth.
        let body = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let e = decode_invoke(&json!({"model_id": "m", "body": body})).unwrap_err();
        assert!(e.message.contains("max_depth"), "{}", e.message);
        assert!(e.message.starts_with("body"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_text_is_named_as_such() {
        let v = json!({"modelId": "m", "messages": [{"role": "user", "content": [
            {"text": {"$binary": "//4="}}]}]});
        let e = decode_converse(&v).unwrap_err();
        assert_eq!(
            e.message,
            "messages[0].content[0].text: expected a string, got a binary that is not valid UTF-8"
        );
    }
}
