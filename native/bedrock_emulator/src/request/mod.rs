//! Request bodies parsed into the shared [`Conversation`]: Converse (restJson1) and the
//! Anthropic Messages body in its three dialects (InvokeModel, bedrock-runtime Messages API,
//! bedrock-mantle). Parsers validate with [`validation`]; both sit on `conversation.rs`.

pub mod conversation;
pub mod prompt_body;
pub mod shape;
pub mod validation;

use serde_json::Value;

pub use conversation::*;

use crate::error::AwsError;

fn ttl_secs(ttl: Option<&Value>) -> u64 {
    match ttl.and_then(Value::as_str) {
        Some("1h") => 3600,
        _ => 300,
    }
}

fn validation_constraint(value: impl std::fmt::Display, at: &str, constraint: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: Member must {constraint}"
    ))
}

/// A document member that Bedrock requires to be a JSON object (tool input schemas, JSON
/// tool results), with Bedrock's text as SDK users quote it (github.com/aws/aws-sdk-net/
/// issues/3377, github.com/aws/aws-sdk-js-v3/issues/7330): 0-based indices.
fn not_a_json_object(at: &str) -> AwsError {
    AwsError::validation(format!(
        "The format of the value at {at} is invalid. Provide a json object for the field and try again."
    ))
}

pub(crate) fn parse_body(
    body: &[u8],
    anthropic: bool,
) -> Result<serde_json::Map<String, Value>, AwsError> {
    let malformed = |detail: String| {
        AwsError::validation(if anthropic {
            format!("Malformed input request: {detail}, please reformat your input and try again.")
        } else {
            format!("Malformed request body: {detail}")
        })
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed("#: expected type: JSONObject".to_string())),
        Err(e) => Err(malformed(format!("invalid JSON ({e})"))),
    }
}

/// Parses and validates a Converse / ConverseStream request body.
pub fn parse_converse(body: &[u8]) -> Result<Conversation, AwsError> {
    let root = parse_body(body, false)?;
    let mut items = Vec::new();
    let cfg = root.get("inferenceConfig").cloned().unwrap_or(Value::Null);
    let max_tokens = match cfg.get("maxTokens") {
        Some(v) => {
            let n = v.as_i64().unwrap_or(0);
            if n < 1 {
                return Err(validation_constraint(
                    v,
                    "inferenceConfig.maxTokens",
                    "have value greater than or equal to 1",
                ));
            }
            n as u64
        }
        None => DEFAULT_MAX_TOKENS,
    };
    let temperature = range_check(&cfg, "temperature", "inferenceConfig.temperature")?;
    let top_p = range_check(&cfg, "topP", "inferenceConfig.topP")?;
    let stop_sequences = string_list(cfg.get("stopSequences"));
    check_request_metadata(root.get("requestMetadata"))?;

    // Tools first: they precede the system prompt in the cache prefix.
    let mut tools = Vec::new();
    let mut tool_choice = ToolChoice::Auto;
    let tool_config = root.get("toolConfig");
    if let Some(tc) = tool_config {
        for (i, t) in tc
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(spec) = t.get("toolSpec") {
                let name = spec
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if name.is_empty() {
                    return Err(validation_constraint(
                        "",
                        &format!("toolConfig.tools.{i}.member.toolSpec.name"),
                        "have length greater than or equal to 1",
                    ));
                }
                let schema = spec
                    .get("inputSchema")
                    .and_then(|s| s.get("json"))
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"type": "object"}));
                if !schema.is_object() {
                    return Err(not_a_json_object(&format!(
                        "toolConfig.tools.{i}.toolSpec.inputSchema.json"
                    )));
                }
                items.push(CacheItem::Part {
                    tokens: tokens(&spec.to_string()),
                    repr: spec.to_string(),
                });
                tools.push(Tool {
                    name,
                    description: spec
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    schema,
                });
            } else if let Some(cp) = t.get("cachePoint") {
                items.push(CacheItem::Point {
                    ttl_secs: ttl_secs(cp.get("ttl")),
                });
            }
        }
        if let Some(choice) = tc.get("toolChoice") {
            tool_choice = if choice.get("any").is_some() {
                ToolChoice::Any
            } else if let Some(t) = choice.get("tool") {
                let name = t
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if !tools.iter().any(|x| x.name == name) {
                    return Err(AwsError::validation(format!(
                        "The model returned the following errors: tool_choice.name: Tool '{name}' not found in provided tools"
                    )));
                }
                ToolChoice::Tool(name)
            } else {
                ToolChoice::Auto
            };
        }
    }

    let mut system = Vec::new();
    for s in root
        .get("system")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let guarded = s
            .get("guardContent")
            .and_then(|g| g.get("text"))
            .and_then(|t| t.get("text"))
            .and_then(Value::as_str);
        if let Some(t) = s.get("text").and_then(Value::as_str).or(guarded) {
            items.push(CacheItem::Part {
                tokens: tokens(t),
                repr: format!("system:{t}"),
            });
            system.push(t.to_string());
        } else if let Some(cp) = s.get("cachePoint") {
            items.push(CacheItem::Point {
                ttl_secs: ttl_secs(cp.get("ttl")),
            });
        }
    }

    let mut messages = Vec::new();
    let raw_messages = root
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, m) in raw_messages.iter().enumerate() {
        let role = match message_role(i, m)? {
            Ok(role) => role,
            Err(other) => {
                return Err(validation_constraint(
                    other.unwrap_or("null"),
                    &format!("messages.{}.member.role", i + 1),
                    "satisfy enum value set: [user, assistant, system]",
                ))
            }
        };
        let content = m
            .get("content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if content.is_empty() {
            return Err(AwsError::validation(format!(
                "The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again."
            )));
        }
        let mut blocks = Vec::new();
        items.push(CacheItem::Part {
            tokens: MESSAGE_OVERHEAD,
            repr: format!("message:{}", role.as_str()),
        });
        for (j, c) in content.iter().enumerate() {
            let block = if let Some(t) = c.get("text").and_then(Value::as_str) {
                if t.trim().is_empty() {
                    return Err(AwsError::validation(format!(
                        "The text field in the ContentBlock object at messages.{i}.content.{j} is blank. Add text to the text field, and try again."
                    )));
                }
                Block::Text(t.to_string())
            } else if let Some(tu) = c.get("toolUse") {
                Block::ToolUse {
                    id: tu
                        .get("toolUseId")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    name: tu
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    input: tu.get("input").cloned().unwrap_or(Value::Null),
                }
            } else if let Some(tr) = c.get("toolResult") {
                let parts = tr.get("content").and_then(Value::as_array);
                for (k, part) in parts.into_iter().flatten().enumerate() {
                    if part.get("json").is_some_and(|j| !j.is_object()) {
                        return Err(not_a_json_object(&format!(
                            "messages.{i}.content.{j}.toolResult.content.{k}.json"
                        )));
                    }
                }
                Block::ToolResult {
                    id: tr
                        .get("toolUseId")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    text: tool_result_text(tr.get("content")),
                    is_error: tr.get("status").and_then(Value::as_str) == Some("error"),
                }
            } else if let Some(r) = c.get("reasoningContent") {
                let text = r
                    .get("reasoningText")
                    .and_then(|t| t.get("text"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Block::Reasoning(text.to_string())
            } else if let Some(cp) = c.get("cachePoint") {
                items.push(CacheItem::Point {
                    ttl_secs: ttl_secs(cp.get("ttl")),
                });
                continue;
            } else if let Some(g) = c.get("guardContent") {
                let t = g
                    .get("text")
                    .and_then(|t| t.get("text"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Block::Text(t.to_string())
            } else if ["image", "document", "video", "audio"]
                .iter()
                .any(|k| c.get(*k).is_some())
            {
                Block::Media
            } else {
                continue;
            };
            items.push(CacheItem::Part {
                tokens: block.tokens(),
                repr: c.to_string(),
            });
            blocks.push(block);
        }
        messages.push(Message { role, blocks });
    }
    if (messages.iter().any(|m| {
        m.blocks
            .iter()
            .any(|b| matches!(b, Block::ToolUse { .. } | Block::ToolResult { .. }))
    })) && tool_config.is_none()
    {
        return Err(AwsError::validation(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        ));
    }
    // Claude 3.7 docs also used `reasoning_config` for the same switch.
    let additional = root.get("additionalModelRequestFields");
    let (thinking, adaptive_thinking) = thinking_mode(
        additional.and_then(|a| a.get("thinking").or_else(|| a.get("reasoning_config"))),
    )?;
    let top_k = additional
        .and_then(|a| a.get("top_k").or_else(|| a.get("topK")))
        .and_then(Value::as_u64);
    let conv = Conversation {
        system,
        messages,
        tools,
        tool_choice,
        max_tokens,
        temperature,
        top_p,
        top_k,
        stop_sequences,
        thinking,
        adaptive_thinking,
        cache_items: items,
        guardrail: root
            .get("guardrailConfig")
            .map(guardrail_request)
            .transpose()?,
        output_schema: converse_output_schema(root.get("outputConfig"))?,
        effort: effort_of(root.get("outputConfig"))
            .or_else(|| effort_of(additional.and_then(|a| a.get("output_config")))),
        response_field_paths: response_field_paths(root.get("additionalModelResponseFieldPaths"))?,
        service_tier: root
            .get("serviceTier")
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string),
        latency: root
            .get("performanceConfig")
            .and_then(|p| p.get("latency"))
            .and_then(Value::as_str)
            .map(str::to_string),
        project: root
            .get("projectIdentifier")
            .and_then(Value::as_str)
            .map(str::to_string),
        citable: citable_document(root.get("messages")),
    };
    validation::validate(&conv)?;
    Ok(conv)
}

/// The first document of the last user message with `citations: {enabled: true}` whose
/// text the emulator can read: a `source.text`, or `bytes` of a `txt`, `md` or `csv`
/// document in UTF-8. PDFs and office formats are not read, so they are not cited (their
/// answer has no citations). `index` counts every document block of the messages, as
/// Bedrock's `documentIndex` does (0 for the only one, in the req_llm fixture below).
fn citable_document(messages: Option<&Value>) -> Option<CitableDocument> {
    use base64::Engine;
    let messages = messages?.as_array()?;
    let last_user = messages
        .iter()
        .rposition(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
    let mut index = 0;
    let mut found = None;
    for (i, message) in messages.iter().enumerate() {
        let blocks = message.get("content").and_then(Value::as_array);
        for doc in blocks
            .into_iter()
            .flatten()
            .filter_map(|b| b.get("document"))
        {
            let enabled = doc.pointer("/citations/enabled") == Some(&Value::Bool(true));
            if i == last_user && enabled && found.is_none() {
                let source = doc.get("source");
                let text = match source.and_then(|s| s.get("text")).and_then(Value::as_str) {
                    Some(t) => Some(t.to_string()),
                    None if matches!(
                        doc.get("format").and_then(Value::as_str),
                        Some("txt" | "md" | "csv")
                    ) =>
                    {
                        source
                            .and_then(|s| s.get("bytes"))
                            .and_then(Value::as_str)
                            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                            .and_then(|b| String::from_utf8(b).ok())
                    }
                    None => None,
                };
                found = text.map(|text| CitableDocument {
                    index,
                    title: doc
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    text,
                });
            }
            index += 1;
        }
    }
    found
}

/// Bedrock's text for a Converse document whose `name` has a character it refuses (users
/// quote it: simonw/llm-bedrock#8, vercel/ai#20365, aws-samples/generative-ai-use-cases#1671;
/// the DocumentBlock API reference lists the characters).
pub const DOCUMENT_NAME: &str = "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. Check that the file name conforms to these restrictions and retry your request.";

/// A Converse document name as Bedrock checks it: ASCII letters and digits, single ASCII
/// spaces, `-`, `(`, `)`, `[`, `]`, and `_` (not in the message, but accepted: measured in
/// vercel/ai#20365 and aws-samples/generative-ai-use-cases#1671, which also found tabs,
/// U+3000, non-ASCII letters, dots and two spaces in a row refused). The length (1 to 200)
/// is the service model's, checked by `shape`.
fn document_name_ok(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || " -()[]_".contains(c))
        && !name.contains("  ")
}

/// Claude's image size limit: 5 MB (5,242,880 bytes) of base64 per image. Bedrock passes
/// Claude's refusal through Converse behind its prefix, the size counted on the base64 text
/// (measured: "The model returned the following errors: messages.0.content.2.image.source.bytes:
/// image exceeds 5 MB maximum: 7167852 bytes > 5242880 bytes", Sonnet 4.6 in 2026-09,
/// aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws#778; an
/// earlier report, aws/aws-sdk-js-v3#6785, quoted the path without `.bytes`. That is AWS's
/// "3.75 MB" per image of the Message API reference, before base64). An Anthropic
/// body gets Anthropic's own text, whose path ends in `.base64` (as Claude Code quotes it,
/// anthropics/claude-code#14048). Content indices are the model's: Converse `cachePoint`
/// blocks become `cache_control` on the block before them, so they are not counted. Images
/// inside tool results are not checked.
pub const IMAGE_MAX_BASE64_BYTES: usize = 5_242_880;

/// Claude's image checks of a request body, parsed once: every image's size
/// ([`check_image_sizes`]), then every image's declared type ([`check_image_types`]). A body
/// that is not JSON is left to the shape checks.
pub fn check_images(body: &[u8], converse: bool) -> Result<(), AwsError> {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    check_image_sizes(&root, converse)?;
    check_image_types(&root, converse)?;
    check_image_count(&root, converse)?;
    check_image_dimensions(&root, converse)
}

/// Each message's content blocks with their message and block indexes, as Claude's error
/// paths count them (a Converse `cachePoint` block becomes `cache_control` on the block
/// before it, so it is not counted).
fn content_blocks(root: &Value, converse: bool) -> impl Iterator<Item = (usize, usize, &Value)> {
    let messages = root.get("messages").and_then(Value::as_array);
    messages
        .into_iter()
        .flatten()
        .enumerate()
        .flat_map(move |(i, message)| {
            let content = message.get("content").and_then(Value::as_array);
            content
                .into_iter()
                .flatten()
                .filter(move |b| !(converse && b.get("cachePoint").is_some()))
                .enumerate()
                .map(move |(j, block)| (i, j, block))
        })
}

/// The first image of a Claude request larger than [`IMAGE_MAX_BASE64_BYTES`] (see there);
/// `converse` picks the body's form (`image.source.bytes` there, `image.source.data` in an
/// Anthropic body).
fn check_image_sizes(root: &Value, converse: bool) -> Result<(), AwsError> {
    for (i, j, block) in content_blocks(root, converse) {
        let data = if converse {
            block.pointer("/image/source/bytes")
        } else if block.get("type").and_then(Value::as_str) == Some("image") {
            block.pointer("/source/data")
        } else {
            None
        };
        let Some(len) = data.and_then(Value::as_str).map(str::len) else {
            continue;
        };
        if len > IMAGE_MAX_BASE64_BYTES {
            let limit = IMAGE_MAX_BASE64_BYTES;
            return Err(AwsError::validation(if converse {
                format!("The model returned the following errors: messages.{i}.content.{j}.image.source.bytes: image exceeds 5 MB maximum: {len} bytes > {limit} bytes")
            } else {
                format!("messages.{i}.content.{j}.image.source.base64: image exceeds 5 MB maximum: {len} bytes > {limit} bytes")
            }));
        }
    }
    Ok(())
}

/// The image types Claude takes, as Anthropic's Messages API lists them.
const IMAGE_MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The image type the bytes show (their signature), when it is one Claude takes.
fn sniff_image(b64: &str) -> Option<&'static str> {
    use base64::Engine;
    // 16 base64 characters are 12 bytes: enough for the four signatures.
    let head = b64.get(..16)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(head)
        .ok()?;
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// Claude's checks of an image's declared type. A declared type whose bytes are another
/// of the four image types is refused; Bedrock passes the text through Converse behind its
/// prefix, on `image.source.bytes` (measured: "The model returned the following errors:
/// messages.0.content.0.image.source.bytes: The image was specified using the image/jpeg
/// media type, but the image appears to be a image/png image",
/// aws-samples/amazon-bedrock-client-for-mac#130, 2026-04). An Anthropic body (InvokeModel,
/// Messages, mantle) gets Anthropic's texts: the same sentence on `image.source.base64`
/// (Anthropic's API, 2026: LaoshuBaby/liulianmao#11; inside a tool result the path names
/// it, `messages.83.content.0.tool_result.content.1.image.source.base64`,
/// vybestack/llxprt-code#2130), and a `media_type` outside the four: "...image.source.
/// base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or
/// 'image/webp'" (anthropics/claude-code#2438). On Bedrock's InvokeModel these are
/// Anthropic's texts by analogy (not measured there), without Converse's prefix, as for
/// [`check_image_sizes`]. Bytes that are none of the four types are not judged (Claude's
/// text for them is not found), nor are Converse images inside tool results (their path on
/// Converse is not known). Converse `format` values outside the four are the service
/// model's enum check (`shape`).
fn check_image_types(root: &Value, converse: bool) -> Result<(), AwsError> {
    for (i, j, block) in content_blocks(root, converse) {
        if converse {
            let declared = block.pointer("/image/format").and_then(Value::as_str);
            let bytes = block.pointer("/image/source/bytes").and_then(Value::as_str);
            if let (Some(declared), Some(bytes)) = (declared, bytes) {
                let declared = format!("image/{declared}");
                if let Some(actual) = sniff_image(bytes).filter(|a| *a != declared) {
                    return Err(AwsError::validation(format!(
                            "The model returned the following errors: messages.{i}.content.{j}.image.source.bytes: {}",
                            type_mismatch(&declared, actual)
                        )));
                }
            }
            continue;
        }
        let path = format!("messages.{i}.content.{j}");
        check_anthropic_image(block, &path)?;
        if block.get("type").and_then(Value::as_str) == Some("tool_result") {
            let nested = block.get("content").and_then(Value::as_array);
            for (k, inner) in nested.into_iter().flatten().enumerate() {
                check_anthropic_image(inner, &format!("{path}.tool_result.content.{k}"))?;
            }
        }
    }
    Ok(())
}

fn type_mismatch(declared: &str, actual: &str) -> String {
    format!("The image was specified using the {declared} media type, but the image appears to be a {actual} image")
}

/// One Anthropic content block, if it is a base64 image (see [`check_image_types`]).
fn check_anthropic_image(block: &Value, path: &str) -> Result<(), AwsError> {
    if block.get("type").and_then(Value::as_str) != Some("image")
        || block.pointer("/source/type").and_then(Value::as_str) != Some("base64")
    {
        return Ok(());
    }
    let declared = block.pointer("/source/media_type").and_then(Value::as_str);
    let Some(declared) = declared else {
        return Ok(());
    };
    if !IMAGE_MEDIA_TYPES.contains(&declared) {
        return Err(AwsError::validation(format!(
            "{path}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
        )));
    }
    let data = block.pointer("/source/data").and_then(Value::as_str);
    if let Some(actual) = data.and_then(sniff_image).filter(|a| *a != declared) {
        return Err(AwsError::validation(format!(
            "{path}.image.source.base64: {}",
            type_mismatch(declared, actual)
        )));
    }
    Ok(())
}

/// Claude's cap on images per request: "the API supports 100 images per request"
/// (Anthropic's vision page). Claude's text counts images and documents: "too many images and
/// documents: 126 + 0 > 100" (Anthropic's API, openclaw/openclaw#13202, 2026-02; through Bedrock
/// in Kiro, kirodotdev/Kiro#9629, 2026-06: "...: 101 + 0 > 100"; Bedrock's older 20 cap in the
/// same words, cline/cline#1844, 2025-03).
pub const MAX_IMAGES: usize = 100;

/// Images of a Claude request, content blocks and tool results' content alike, and its
/// documents (message content only).
fn media_count(root: &Value, converse: bool) -> (usize, usize) {
    let is_image = |b: &Value| {
        if converse {
            b.get("image").is_some()
        } else {
            b.get("type").and_then(Value::as_str) == Some("image")
        }
    };
    let (mut images, mut documents) = (0, 0);
    for (_, _, block) in content_blocks(root, converse) {
        images += usize::from(is_image(block));
        documents += usize::from(if converse {
            block.get("document").is_some()
        } else {
            block.get("type").and_then(Value::as_str) == Some("document")
        });
        let nested = if converse {
            block.pointer("/toolResult/content")
        } else if block.get("type").and_then(Value::as_str) == Some("tool_result") {
            block.get("content")
        } else {
            None
        };
        let nested = nested.and_then(Value::as_array).into_iter().flatten();
        images += nested.filter(|b| is_image(b)).count();
    }
    (images, documents)
}

/// More than [`MAX_IMAGES`] images in a Claude request. Only a request without documents is
/// judged: what the second number counts (documents or their pages) is not known, and every
/// quoted refusal had 0 there. Converse puts Bedrock's prefix before Claude's text (by
/// analogy with Claude's other texts there, unconfirmed); an Anthropic body gets the text
/// alone (the Kiro quote above shows no prefix).
fn check_image_count(root: &Value, converse: bool) -> Result<(), AwsError> {
    let (images, documents) = media_count(root, converse);
    if images <= MAX_IMAGES || documents > 0 {
        return Ok(());
    }
    let text = format!("too many images and documents: {images} + 0 > {MAX_IMAGES}");
    Err(AwsError::validation(if converse {
        format!("The model returned the following errors: {text}")
    } else {
        text
    }))
}

/// Claude's image dimension limits, as Anthropic's vision page states them: "If you submit an
/// image larger than 8000x8000 px, it will be rejected. If you submit more than 20 images in
/// one API request, this limit is 2000x2000 px" (platform.claude.com/docs/en/build-with-claude/vision).
/// Bedrock applies both on Converse (measured in 2026-09 on Sonnet through Converse: 29 images
/// at 2,001 px refused, at 2,000 px and 20 images at 3,301 px accepted, with "...exceed max
/// allowed size for many-image requests: 2000 pixels",
/// aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws#994, #998).
pub const IMAGE_MAX_SIDE: u32 = 8000;
pub const MANY_IMAGES_MAX_SIDE: u32 = 2000;
/// More images than this in one request make it a many-image request.
pub const MANY_IMAGES: usize = 20;

/// The first image of a Claude request with a side over the limit ([`IMAGE_MAX_SIDE`], or
/// [`MANY_IMAGES_MAX_SIDE`] when the request has more than [`MANY_IMAGES`] images). Anthropic's
/// texts (its API: "messages.7.content.2.image.source.base64.data: At least one of the image
/// dimensions exceed max allowed size: 8000 pixels", anthropics/claude-code#4778, #11576;
/// "...exceed max allowed size for many-image requests: 2000 pixels", #49537, #52220, 2026-04).
/// Bedrock's Converse text is quoted only from "exceed max allowed size..." on (#994 above);
/// its prefix and `image.source.bytes` path are taken from the 5 MB text
/// ([`IMAGE_MAX_BASE64_BYTES`]), unconfirmed. An Anthropic body (InvokeModel, Messages, mantle)
/// gets Anthropic's text, without a prefix, as for the size check (unconfirmed on Bedrock).
/// All images count towards the many-image threshold ([`media_count`]), but only those
/// [`content_blocks`] yields are judged (not those inside tool results, as for the size
/// check); an image whose dimensions cannot be read from
/// its header (not PNG, JPEG, GIF or WebP, or cut short) is not judged. Runs after the size and
/// type checks (Claude's order between them is not known).
fn check_image_dimensions<'a>(root: &'a Value, converse: bool) -> Result<(), AwsError> {
    let source = |block: &'a Value| -> Option<&'a str> {
        let data = if converse {
            block.pointer("/image/source/bytes")
        } else if block.get("type").and_then(Value::as_str) == Some("image")
            && block.pointer("/source/type").and_then(Value::as_str) == Some("base64")
        {
            block.pointer("/source/data")
        } else {
            None
        };
        data.and_then(Value::as_str)
    };
    let images: Vec<(usize, usize, &str)> = content_blocks(root, converse)
        .filter_map(|(i, j, block)| source(block).map(|data| (i, j, data)))
        .collect();
    // The request's images, tool results' included, make it a many-image request.
    let many = media_count(root, converse).0 > MANY_IMAGES;
    let (limit, what) = if many {
        (
            MANY_IMAGES_MAX_SIDE,
            "max allowed size for many-image requests",
        )
    } else {
        (IMAGE_MAX_SIDE, "max allowed size")
    };
    for &(i, j, data) in &images {
        let Some((width, height)) = image_dimensions(data) else {
            continue;
        };
        if width > limit || height > limit {
            let text =
                format!("At least one of the image dimensions exceed {what}: {limit} pixels");
            return Err(AwsError::validation(if converse {
                format!("The model returned the following errors: messages.{i}.content.{j}.image.source.bytes: {text}")
            } else {
                format!("messages.{i}.content.{j}.image.source.base64.data: {text}")
            }));
        }
    }
    Ok(())
}

/// The first `n` bytes of base64 text (fewer when the text is shorter), or `None` when the
/// text is not base64.
fn decode_head(b64: &str, n: usize) -> Option<Vec<u8>> {
    use base64::Engine;
    let chars = n.div_ceil(3) * 4;
    let engine = base64::engine::general_purpose::STANDARD;
    if chars >= b64.len() {
        engine.decode(b64).ok()
    } else {
        // Bytes, not `&str`: a cut inside a character (the text is the caller's) is no panic;
        // its bytes are not base64 either.
        engine.decode(&b64.as_bytes()[..chars]).ok()
    }
}

/// An image's width and height from its header: PNG's IHDR, GIF's logical screen, WebP's
/// VP8 / VP8L / VP8X chunk, JPEG's first start-of-frame segment. Bounded: the fixed headers
/// need 30 bytes; a JPEG's segments are walked in its first 64 KiB, then (when the frame
/// header lies further, behind large metadata) in the whole image, already capped at 5 MB
/// of base64 by the size check.
fn image_dimensions(b64: &str) -> Option<(u32, u32)> {
    let head = decode_head(b64, 30)?;
    let le16 =
        |b: &[u8], at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u32);
    let le24 = |b: &[u8], at: usize| {
        let s = b.get(at..at + 3)?;
        Some(s[0] as u32 | (s[1] as u32) << 8 | (s[2] as u32) << 16)
    };
    if head.starts_with(b"\x89PNG\r\n\x1a\n") && head.get(12..16) == Some(b"IHDR") {
        let w = u32::from_be_bytes(head.get(16..20)?.try_into().ok()?);
        let h = u32::from_be_bytes(head.get(20..24)?.try_into().ok()?);
        return Some((w, h));
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some((le16(&head, 6)?, le16(&head, 8)?));
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        return match head.get(12..16)? {
            // Lossy: a key frame's start code, then 14-bit width and height.
            b"VP8 " if head.get(23..26) == Some(&[0x9d, 0x01, 0x2a]) => {
                Some((le16(&head, 26)? & 0x3fff, le16(&head, 28)? & 0x3fff))
            }
            // Lossless: a signature byte, then 14 bits each of width - 1 and height - 1.
            b"VP8L" if head.get(20) == Some(&0x2f) => {
                let bits = u32::from_le_bytes(head.get(21..25)?.try_into().ok()?);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            // Extended: 24 bits each of canvas width - 1 and height - 1.
            b"VP8X" => Some((le24(&head, 24)? + 1, le24(&head, 27)? + 1)),
            _ => None,
        };
    }
    if head.starts_with(b"\xff\xd8") {
        const WINDOW: usize = 64 * 1024;
        let first = decode_head(b64, WINDOW)?;
        return match jpeg_frame_size(&first) {
            // Cut short by the window, not by the image's end: read it all.
            Err(true) if WINDOW.div_ceil(3) * 4 < b64.len() => {
                jpeg_frame_size(&decode_head(b64, b64.len())?).ok()
            }
            found => found.ok(),
        };
    }
    None
}

/// A JPEG's width and height from its first start-of-frame segment; `Err(true)` when the
/// bytes end before one, `Err(false)` when the segments do not parse.
fn jpeg_frame_size(b: &[u8]) -> Result<(u32, u32), bool> {
    let be16 = |at: usize| {
        b.get(at..at + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]) as u32)
            .ok_or(true)
    };
    let mut at = 2;
    loop {
        // A marker: 0xFF (fill bytes allowed), then its code.
        if *b.get(at).ok_or(true)? != 0xff {
            return Err(false);
        }
        while b.get(at + 1) == Some(&0xff) {
            at += 1;
        }
        let code = *b.get(at + 1).ok_or(true)?;
        match code {
            // Standalone markers carry no length.
            0x01 | 0xd0..=0xd7 => at += 2,
            // Start of scan or end of image before any frame header.
            0xda | 0xd9 => return Err(false),
            // Start of frame (all but DHT, JPG and DAC, which share the range).
            0xc0..=0xcf if !matches!(code, 0xc4 | 0xc8 | 0xcc) => {
                return Ok((be16(at + 7)?, be16(at + 5)?));
            }
            _ => at += 2 + be16(at + 2)? as usize,
        }
    }
}

/// Bedrock's texts for more than 5 documents in a Converse request and for two documents of
/// one name, from production logs (aws-samples/generative-ai-use-cases#1685).
pub const TOO_MANY_DOCUMENTS: &str = "You can't include more than 5 documents in a request.";
pub const DUPLICATE_DOCUMENT_NAMES: &str = "Messages can't contain duplicate document names.";

/// Every `document` block of a Converse body (message content and tool results) must have a
/// name Bedrock takes; the documents of the messages' content (tool results' are not counted,
/// not being reported either way) may be at most 5 and must have distinct names, across the
/// whole conversation. The service checks these for every model (the reports above saw them
/// on Claude and Nova alike); called for Converse and ConverseStream (whether CountTokens
/// checks them too is not reported).
pub fn check_document_names(body: &[u8]) -> Result<(), AwsError> {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let mut names = std::collections::HashSet::new();
    let top_level = root
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flatten()
        .filter_map(|b| b.get("document"));
    for doc in top_level {
        let name = doc.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        if !document_name_ok(name) {
            return Err(AwsError::validation(DOCUMENT_NAME));
        }
        if !names.insert(name) {
            return Err(AwsError::validation(DUPLICATE_DOCUMENT_NAMES));
        }
        if names.len() > 5 {
            return Err(AwsError::validation(TOO_MANY_DOCUMENTS));
        }
    }
    let blocks = root
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flatten();
    for block in blocks {
        let nested = block
            .get("toolResult")
            .and_then(|r| r.get("content"))
            .and_then(Value::as_array);
        for b in std::iter::once(block).chain(nested.into_iter().flatten()) {
            let name = b
                .get("document")
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str);
            if name.is_some_and(|n| !document_name_ok(n)) {
                return Err(AwsError::validation(DOCUMENT_NAME));
            }
        }
    }
    Ok(())
}

/// Bedrock's answer to a Converse `cachePoint` right after a `reasoningContent` block
/// (anomalyco/opencode#36517, Claude with extended thinking on Converse).
pub const CACHE_POINT_AFTER_REASONING: &str = "Cache point cannot be inserted after reasoning block. Please remove the invalid cache point and try again.";

/// Where the cache breakpoints of a request sit, in the order Claude reads them (tools,
/// system, messages), as Anthropic names the block that carries each one (`tools.1`,
/// `system.0`, `messages.3.content.0`), with its TTL: a Converse `cachePoint` marks the block
/// before it, an Anthropic body's `cache_control` its own block. A Converse cache point right
/// after a reasoning block is Bedrock's own error.
fn cache_breakpoints(root: &Value, converse: bool) -> Result<Vec<(String, bool)>, AwsError> {
    let mut points = Vec::new();
    let one_hour = |v: &Value| v.get("ttl").and_then(Value::as_str) == Some("1h");
    let mut scan = |blocks: &[Value], at: &dyn Fn(usize) -> String| -> Result<(), AwsError> {
        let mut seen = 0usize;
        let mut last: Option<&Value> = None;
        for b in blocks {
            if converse {
                if let Some(cp) = b.get("cachePoint") {
                    if last.is_some_and(|l| l.get("reasoningContent").is_some()) {
                        return Err(AwsError::validation(CACHE_POINT_AFTER_REASONING));
                    }
                    if seen > 0 {
                        points.push((at(seen - 1), one_hour(cp)));
                    }
                    continue;
                }
            } else if let Some(cc) = b.get("cache_control") {
                points.push((at(seen), one_hour(cc)));
            }
            seen += 1;
            last = Some(b);
        }
        Ok(())
    };
    let tools = if converse {
        root.pointer("/toolConfig/tools")
    } else {
        root.get("tools")
    };
    if let Some(tools) = tools.and_then(Value::as_array) {
        scan(tools, &|i| format!("tools.{i}"))?;
    }
    if let Some(system) = root.get("system").and_then(Value::as_array) {
        scan(system, &|i| format!("system.{i}"))?;
    }
    for (m, message) in root
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(content) = message.get("content").and_then(Value::as_array) {
            scan(content, &|i| format!("messages.{m}.content.{i}"))?;
        }
    }
    Ok(points)
}

/// A Claude refusal as Bedrock passes it on: Converse puts "The model returned the following
/// errors: " before Claude's text; InvokeModel and the Messages API give the text alone.
fn claude_refusal(converse: bool, text: String) -> AwsError {
    AwsError::validation(if converse {
        format!("The model returned the following errors: {text}")
    } else {
        text
    })
}

/// Claude's limits on prompt-cache breakpoints, passed on by Bedrock: at most 4 in a request
/// ("A maximum of 4 blocks with cache_control may be provided. Found 5.", as Bedrock
/// callers quote it: Bike4Mind/bike4mind#2208; AWS's prompt caching page gives the same
/// limit), and no 1-hour breakpoint after a 5-minute one (Portkey-AI/gateway#1762 quotes the
/// Converse text). On Converse the texts carry "The model returned the following errors: ".
/// `converse`: the body is a Converse body (`cachePoint` blocks), else an Anthropic body.
pub fn check_cache_breakpoints(body: &[u8], converse: bool) -> Result<(), AwsError> {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let points = cache_breakpoints(&root, converse)?;
    let fail = |text: String| Err(claude_refusal(converse, text));
    if points.len() > 4 {
        return fail(format!(
            "A maximum of 4 blocks with cache_control may be provided. Found {}.",
            points.len()
        ));
    }
    let mut short_seen = false;
    for (at, one_hour) in &points {
        if *one_hour && short_seen {
            return fail(format!(
                "{at}.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`."
            ));
        }
        short_seen |= !*one_hour;
    }
    Ok(())
}

/// The emulator's thinking signatures: a 32-byte nonce, a MAC of the thinking text under the
/// nonce, and 32 filler bytes (96 bytes, base64), so a request can be checked for a thinking
/// block sent back modified. The key is fixed (signatures stay valid across instances); it
/// protects nothing, it only lets the emulator tell its own blocks from edited ones.
pub fn thinking_signature(nonce: [u8; 32], text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mac = signature_mac(&nonce, text);
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&mac);
    bytes.extend_from_slice(&sha2::Sha256::digest(mac));
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn signature_mac(nonce: &[u8], text: &str) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"bedrock-emulator thinking signature v1\0");
    h.update(nonce);
    h.update(text.as_bytes());
    h.finalize().into()
}

/// The role of message `i`: `user` or `assistant`, else `Ok(Err(role))` for each API to word
/// its own schema error. The service model's enum has `system` too (for other providers); a
/// Claude model's Messages API takes only the two (Anthropic's validation text; Bedrock's
/// answer to it is unconfirmed).
fn message_role(i: usize, message: &Value) -> Result<Result<Role, Option<&str>>, AwsError> {
    match message.get("role").and_then(Value::as_str) {
        Some("user") => Ok(Ok(Role::User)),
        Some("assistant") => Ok(Ok(Role::Assistant)),
        Some("system") => Err(AwsError::validation(format!(
            "The model returned the following errors: messages.{i}.role: Input should be 'user' or 'assistant'"
        ))),
        other => Ok(Err(other)),
    }
}

/// Whether `signature` is one the emulator issued for a different text. Signatures of any other
/// form (Bedrock's own, from a recording) are not the emulator's to judge and pass.
fn signature_contradicts(signature: &str, text: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    if bytes.len() != 96 || bytes[64..] != sha2::Sha256::digest(&bytes[32..64])[..] {
        return false;
    }
    bytes[32..64] != signature_mac(&bytes[..32], text)
}

/// The thinking blocks of one message, numbered as Claude numbers its content (a Converse
/// cache point is not a block of the model's message): (index, thinking text, signature).
/// `converse`: a Converse message (`reasoningContent`), else an Anthropic one.
fn thinking_blocks(
    message: &Value,
    converse: bool,
) -> impl Iterator<Item = (usize, Option<&str>, Option<&str>)> {
    message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |b| !(converse && b.get("cachePoint").is_some()))
        .enumerate()
        .filter_map(move |(j, b)| {
            let (block, text_key) = if converse {
                (b.pointer("/reasoningContent/reasoningText")?, "text")
            } else if b.get("type").and_then(Value::as_str) == Some("thinking") {
                (b, "thinking")
            } else {
                return None;
            };
            let field = |k: &str| block.get(k).and_then(Value::as_str);
            Some((j, field(text_key), field("signature")))
        })
}

fn is_assistant(message: &Value) -> bool {
    message.get("role").and_then(Value::as_str) == Some("assistant")
}

/// A thinking block sent back without its signature (absent or empty: a stream cut before the
/// signature arrived), in any assistant message: Claude's schema requires it ("The model
/// returned the following errors: messages.369.content.0.thinking.signature: Field required"
/// on Bedrock: can1357/oh-my-pi#10486, earendil-works/pi#2063). `converse` as below.
pub fn check_thinking_signature_present(body: &[u8], converse: bool) -> Result<(), AwsError> {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let messages = root.get("messages").and_then(Value::as_array);
    for (i, message) in messages.into_iter().flatten().enumerate() {
        if !is_assistant(message) {
            continue;
        }
        for (j, _, signature) in thinking_blocks(message, converse) {
            if signature.is_none_or(str::is_empty) {
                let text = format!("messages.{i}.content.{j}.thinking.signature: Field required");
                return Err(claude_refusal(converse, text));
            }
        }
    }
    Ok(())
}

/// Claude refuses a request whose latest assistant message carries a thinking block that is
/// not as the model sent it ("messages.N.content.M: `thinking` or `redacted_thinking` blocks in
/// the latest assistant message cannot be modified. These blocks must remain as they were in
/// the original response.", anthropics/claude-code#63404 and others; Bedrock passes it on:
/// BerriAI/litellm#25375). The emulator can tell only its own signatures: a thinking text
/// edited under one of them is refused. `converse`: a Converse body (`reasoningContent`), with
/// Converse's prefix on the text; else an Anthropic body.
pub fn check_thinking_signatures(body: &[u8], converse: bool) -> Result<(), AwsError> {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let messages = root.get("messages").and_then(Value::as_array);
    let Some((i, message)) = messages
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .rfind(|(_, m)| is_assistant(m))
    else {
        return Ok(());
    };
    for (j, text, signature) in thinking_blocks(message, converse) {
        if let (Some(text), Some(signature)) = (text, signature) {
            if signature_contradicts(signature, text) {
                let message = format!("messages.{i}.content.{j}: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.");
                return Err(claude_refusal(converse, message));
            }
        }
    }
    Ok(())
}

/// Converse structured output: `outputConfig.textFormat` `{type: "json_schema", structure:
/// {jsonSchema: {schema: "<JSON text>"}}}` (bedrock-runtime's OutputConfig shape; the type
/// and the required members are checked by `shape`). The schema text must be a JSON object.
fn converse_output_schema(config: Option<&Value>) -> Result<Option<Value>, AwsError> {
    let Some(text) = config
        .and_then(|c| c.get("textFormat"))
        .and_then(|f| f.get("structure"))
        .and_then(|s| s.get("jsonSchema"))
        .and_then(|j| j.get("schema"))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(text) {
        Ok(schema @ Value::Object(_)) => Ok(Some(schema)),
        _ => Err(not_a_json_object(
            "outputConfig.textFormat.structure.jsonSchema.schema",
        )),
    }
}

/// `additionalModelResponseFieldPaths`: the service model documents that Converse "reject[s]
/// an empty JSON Pointer or incorrectly structured JSON Pointer with a 400 error code" (RFC
/// 6901: `/`-prefixed segments, `~` only as `~0` / `~1`); the message is the emulator's.
fn response_field_paths(paths: Option<&Value>) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    for (i, p) in paths
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = p.as_str().unwrap_or_default();
        let escapes_ok = p
            .match_indices('~')
            .all(|(at, _)| matches!(p.as_bytes().get(at + 1), Some(b'0' | b'1')));
        if !p.starts_with('/') || !escapes_ok {
            return Err(AwsError::validation(format!(
                "The JSON Pointer '{p}' at additionalModelResponseFieldPaths.{i} is not valid. Use a JSON Pointer (RFC 6901) such as /stop_sequence and try again."
            )));
        }
        out.push(p.to_string());
    }
    Ok(out)
}

/// `effort` of an output config (Converse `outputConfig`, Anthropic `output_config`): a
/// string as it is, `null` as absent, anything else as its JSON text (checked by
/// `check_model_rules`).
fn effort_of(config: Option<&Value>) -> Option<String> {
    match config?.get("effort")? {
        // JSON null is an absent member (as the shape check treats it).
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Anthropic structured output: `output_config.format` `{type: "json_schema", schema: {...}}`.
fn anthropic_output_schema(config: Option<&Value>) -> Option<Value> {
    let format = config?.get("format")?;
    if format.get("type").and_then(Value::as_str) != Some("json_schema") {
        return None;
    }
    format.get("schema").filter(|s| s.is_object()).cloned()
}

/// `guardrailConfig` with the enum constraints of GuardrailConfiguration /
/// GuardrailStreamConfiguration (docs.aws.amazon.com/bedrock/latest/APIReference/
/// API_runtime_GuardrailStreamConfiguration.html).
fn guardrail_request(v: &Value) -> Result<GuardrailRequest, AwsError> {
    let field = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let identifier = field("guardrailIdentifier").unwrap_or_default();
    let version = field("guardrailVersion").unwrap_or_default();
    // Identifier and version patterns are the service model's (`request::shape`, checked
    // before this); both allow an empty string, which then names no guardrail.
    let trace = field("trace").unwrap_or_else(|| "disabled".into());
    if !["enabled", "disabled", "enabled_full"].contains(&trace.as_str()) {
        return Err(validation_constraint(
            &trace,
            "guardrailConfig.trace",
            "satisfy enum value set: [enabled, disabled, enabled_full]",
        ));
    }
    // Its enum is checked by `shape` on ConverseStream; Converse has no such member.
    let stream_processing_mode = field("streamProcessingMode").unwrap_or_else(|| "sync".into());
    Ok(GuardrailRequest {
        identifier,
        version,
        trace,
        stream_processing_mode,
    })
}

/// `requestMetadata` as Bedrock's service model defines it (bedrock-runtime 2023-09-30, as in
/// botocore 1.44.8): 1-16 entries, keys `[a-zA-Z0-9\s:_@$#=/+,-.]{1,256}`, values
/// `[a-zA-Z0-9\s:_@$#=/+,-.]{0,256}`. The member is `sensitive`, so the message shows no
/// value (the wording of Bedrock's message for it is unconfirmed).
fn check_request_metadata(meta: Option<&Value>) -> Result<(), AwsError> {
    let Some(meta) = meta else { return Ok(()) };
    let fail = |constraint: &str| {
        Err(AwsError::validation(format!(
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: {constraint}"
        )))
    };
    let Some(map) = meta.as_object() else {
        return fail("Member must be a map of strings");
    };
    if map.is_empty() || map.len() > 16 {
        return fail(
            "Member must have length less than or equal to 16 and greater than or equal to 1",
        );
    }
    // Java's `\s` is ASCII whitespace only.
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
            || ":_@$#=/+,-.".contains(c)
    };
    for (key, value) in map {
        let key_len = key.chars().count();
        if key_len == 0 || key_len > 256 || !key.chars().all(allowed) {
            return fail(
                "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}]",
            );
        }
        let ok = value
            .as_str()
            .is_some_and(|v| v.chars().count() <= 256 && v.chars().all(allowed));
        if !ok {
            return fail(
                "Map value must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}]",
            );
        }
    }
    Ok(())
}

fn range_check(cfg: &Value, key: &str, at: &str) -> Result<Option<f64>, AwsError> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let x = v.as_f64().unwrap_or(f64::NAN);
            if x.is_nan() || x < 0.0 {
                Err(validation_constraint(
                    v,
                    at,
                    "have value greater than or equal to 0",
                ))
            } else if x > 1.0 {
                Err(validation_constraint(
                    v,
                    at,
                    "have value less than or equal to 1",
                ))
            } else {
                Ok(Some(x))
            }
        }
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn tool_result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| {
                if let Some(t) = p.get("text").and_then(Value::as_str) {
                    Some(t.to_string())
                } else if let Some(j) = p.get("json") {
                    Some(j.to_string())
                } else if p.get("type").and_then(Value::as_str) == Some("text") {
                    p.get("text").and_then(Value::as_str).map(str::to_string)
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Reads `thinking: {type: "enabled", budget_tokens}` (budget checked in validation) or
/// `{type: "adaptive"}`: (budget, adaptive).
fn thinking_mode(thinking: Option<&Value>) -> Result<(Option<u64>, bool), AwsError> {
    let Some(t) = thinking else {
        return Ok((None, false));
    };
    match t.get("type").and_then(Value::as_str) {
        Some("enabled") => {
            let budget = t.get("budget_tokens").and_then(Value::as_i64).unwrap_or(0);
            Ok((Some(budget.max(0) as u64), false))
        }
        Some("adaptive") => Ok((None, true)),
        Some("disabled") | None => Ok((None, false)),
        Some(other) => Err(AwsError::validation(format!(
            "The model returned the following errors: thinking.type: Input tag '{other}' found using 'type' does not match any of the expected tags: 'adaptive', 'disabled', 'enabled'"
        ))),
    }
}

/// The Anthropic Messages version Bedrock requires in InvokeModel and bedrock-runtime
/// Messages-API bodies.
pub const ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

/// Which wire form an Anthropic Messages body arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// InvokeModel / InvokeModelWithResponseStream: model in the path, `anthropic_version`
    /// in the body, Bedrock's JSON-schema validation messages.
    Invoke,
    /// bedrock-runtime `POST /anthropic/v1/messages`: model and `stream` in the body,
    /// `anthropic_version` in the body, Anthropic's validation messages.
    Messages,
    /// bedrock-mantle `POST /anthropic/v1/messages`: the first-party body (model, stream;
    /// version in the `anthropic-version` header), Anthropic's validation messages.
    Mantle,
}

/// Top-level keys of an Anthropic Messages request body that Bedrock passes to the model.
/// Anything else is rejected (`extraneous key` / `Extra inputs are not permitted`).
const MESSAGES_KEYS: &[&str] = &[
    "anthropic_version",
    "anthropic_beta",
    "max_tokens",
    "messages",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
    "output_config",
    "context_management",
    "service_tier",
];

/// `anthropic_beta` values Bedrock accepts for Claude models. AWS's "Anthropic Claude Messages
/// API: Request and Response" page (docs.aws.amazon.com/bedrock/latest/userguide/
/// model-parameters-anthropic-claude-messages-request-response.html) lists the beta headers
/// Bedrock takes; this is that list as litellm's Bedrock whitelist transcribes it
/// (BerriAI/litellm `litellm/llms/bedrock/beta_headers_config.py`, PR 19877), plus
/// `claude-code-20250219`, which Bedrock accepts on Opus 4.6 (anthropics/claude-code#49648).
/// It is the union over models: a flag a model does not take (Opus 4.7 reportedly takes only
/// interleaved thinking, same issue) is accepted here too, so the emulator never refuses
/// a flag Bedrock serves for some model.
pub const BEDROCK_BETAS: &[&str] = &[
    "computer-use-2024-10-22",
    "computer-use-2025-01-24",
    "computer-use-2025-11-24",
    "token-efficient-tools-2025-02-19",
    "interleaved-thinking-2025-05-14",
    "output-128k-2025-02-19",
    "dev-full-thinking-2025-05-14",
    "context-1m-2025-08-07",
    "context-management-2025-06-27",
    "effort-2025-11-24",
    "tool-search-tool-2025-10-19",
    "tool-examples-2025-10-29",
    "claude-code-20250219",
];

/// Bedrock's answer to any other `anthropic_beta` value (Anthropic's own `mcp-servers-...`,
/// `extended-cache-ttl-2025-04-11`, `structured-outputs-...`): 400 ValidationException
/// "invalid beta flag" on InvokeModel (as Go SDK users quote it: farion1231/cc-switch#707,
/// yiliqi78/TOKENICODE#59; anthropics/claude-code#56595), with the model-error prefix on
/// Converse (BerriAI/litellm#19875). `None`: every value is accepted (or there is none).
pub fn invalid_beta(betas: Option<&Value>) -> Option<AwsError> {
    let list = betas?.as_array()?;
    list.iter()
        .any(|b| !b.as_str().is_some_and(|b| BEDROCK_BETAS.contains(&b)))
        .then(|| AwsError::validation("invalid beta flag"))
}

/// A parsed Anthropic Messages body.
#[derive(Debug, Clone)]
pub struct AnthropicRequest {
    pub conv: Conversation,
    /// `model` (Messages API dialects only).
    pub model: Option<String>,
    /// `stream: true` (Messages API dialects only).
    pub stream: bool,
    /// `anthropic_version` from the body, when present.
    pub anthropic_version: Option<String>,
}

/// JSON types of the Messages body's top-level keys: (key, JSON-schema type as Bedrock's
/// validator names it, Anthropic's (pydantic) message). `system` (string or list) and the
/// nested members are left to the parser.
const ANTHROPIC_TYPES: &[(&str, &str, &str)] = &[
    (
        "anthropic_version",
        "String",
        "Input should be a valid string",
    ),
    ("max_tokens", "Integer", "Input should be a valid integer"),
    ("messages", "JSONArray", "Input should be a valid list"),
    ("temperature", "Number", "Input should be a valid number"),
    ("top_p", "Number", "Input should be a valid number"),
    ("top_k", "Integer", "Input should be a valid integer"),
    (
        "stop_sequences",
        "JSONArray",
        "Input should be a valid list",
    ),
    ("tools", "JSONArray", "Input should be a valid list"),
    (
        "tool_choice",
        "JSONObject",
        "Input should be a valid dictionary or object to extract fields from",
    ),
    (
        "thinking",
        "JSONObject",
        "Input should be a valid dictionary or object to extract fields from",
    ),
    (
        "metadata",
        "JSONObject",
        "Input should be a valid dictionary or object to extract fields from",
    ),
    (
        "output_config",
        "JSONObject",
        "Input should be a valid dictionary or object to extract fields from",
    ),
    (
        "anthropic_beta",
        "JSONArray",
        "Input should be a valid list",
    ),
    ("stream", "Boolean", "Input should be a valid boolean"),
];

/// The JSON-schema name of a value's type, as in "expected type: Integer, found: String".
pub(crate) fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "BigDecimal",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// Top-level values of the wrong JSON type: Bedrock's JSON-schema text on InvokeModel
/// ("#/max_tokens: expected type: Integer, found: String"), Anthropic's elsewhere.
fn check_anthropic_types(
    root: &serde_json::Map<String, Value>,
    dialect: Dialect,
) -> Result<(), AwsError> {
    for (key, expected, pydantic) in ANTHROPIC_TYPES {
        let Some(v) = root.get(*key) else { continue };
        let found = json_type_name(v);
        // Anthropic's validation is lax for scalars (pydantic coerces "10" to 10 and "true"
        // to true); only Bedrock's JSON schema (InvokeModel) is strict there.
        let lax_scalar =
            dialect != Dialect::Invoke && matches!(*expected, "Integer" | "Number" | "Boolean");
        let ok = lax_scalar
            || match *expected {
                "Number" => v.is_number(),
                other => found == other,
            };
        if !ok {
            return Err(anthropic_error(
                dialect,
                format!("Malformed input request: #/{key}: expected type: {expected}, found: {found}, please reformat your input and try again."),
                format!("{key}: {pydantic}"),
            ));
        }
    }
    Ok(())
}

fn anthropic_error(dialect: Dialect, invoke: String, messages: String) -> AwsError {
    AwsError::validation(if dialect == Dialect::Invoke {
        invoke
    } else {
        messages
    })
}

fn required(
    root: &serde_json::Map<String, Value>,
    key: &str,
    dialect: Dialect,
) -> Result<(), AwsError> {
    if root.contains_key(key) {
        Ok(())
    } else {
        Err(anthropic_error(
            dialect,
            format!("Malformed input request: #: required key [{key}] not found, please reformat your input and try again."),
            format!("{key}: Field required"),
        ))
    }
}

/// Keys Bedrock does not accept in this dialect's body.
fn extraneous_key(root: &serde_json::Map<String, Value>, dialect: Dialect) -> Option<&str> {
    root.keys().map(String::as_str).find(|k| {
        let allowed = match dialect {
            Dialect::Invoke => MESSAGES_KEYS.contains(k),
            Dialect::Messages => MESSAGES_KEYS.contains(k) || matches!(*k, "model" | "stream"),
            Dialect::Mantle => {
                (MESSAGES_KEYS.contains(k) && !matches!(*k, "anthropic_version" | "anthropic_beta"))
                    || matches!(*k, "model" | "stream")
            }
        };
        !allowed
    })
}

/// Parses and validates an Anthropic Messages body sent to InvokeModel.
pub fn parse_anthropic(body: &[u8]) -> Result<Conversation, AwsError> {
    parse_anthropic_as(body, Dialect::Invoke).map(|r| r.conv)
}

/// Parses and validates an Anthropic Messages body in the given dialect. The
/// `anthropic_version` value is checked by the caller (it depends on the model).
pub fn parse_anthropic_as(body: &[u8], dialect: Dialect) -> Result<AnthropicRequest, AwsError> {
    let root = parse_body(body, dialect == Dialect::Invoke)?;
    if dialect != Dialect::Mantle {
        required(&root, "anthropic_version", dialect)?;
    }
    if let Some(key) = extraneous_key(&root, dialect) {
        return Err(anthropic_error(
            dialect,
            format!("Malformed input request: #: extraneous key [{key}] is not permitted, please reformat your input and try again."),
            format!("{key}: Extra inputs are not permitted"),
        ));
    }
    check_anthropic_types(&root, dialect)?;
    if let Some(e) = invalid_beta(root.get("anthropic_beta")) {
        return Err(e);
    }
    if dialect != Dialect::Invoke {
        required(&root, "model", dialect)?;
    }
    required(&root, "max_tokens", dialect)?;
    required(&root, "messages", dialect)?;
    let max_tokens = root.get("max_tokens").and_then(Value::as_i64).unwrap_or(0);
    if max_tokens < 1 {
        return Err(anthropic_error(
            dialect,
            format!("Malformed input request: #/max_tokens: {} is not greater or equal to 1, please reformat your input and try again.", root["max_tokens"]),
            "max_tokens: Input should be greater than or equal to 1".to_string(),
        ));
    }
    let model = match root.get("model") {
        None => None,
        Some(Value::String(m)) if !m.is_empty() => Some(m.clone()),
        Some(_) => {
            return Err(AwsError::validation(
                "model: Input should be a valid string",
            ));
        }
    };
    let stream = root.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let anthropic_version = root
        .get("anthropic_version")
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let range = |key: &str| -> Result<Option<f64>, AwsError> {
        match root.get(key).and_then(Value::as_f64) {
            None => Ok(None),
            Some(x) if (0.0..=1.0).contains(&x) => Ok(Some(x)),
            Some(x) => Err(AwsError::validation(format!(
                "Malformed input request: #/{key}: {x} is not {} 1, please reformat your input and try again.",
                if x < 0.0 { "greater or equal to 0 /" } else { "less or equal to" }
            ))),
        }
    };
    let temperature = range("temperature")?;
    let top_p = range("top_p")?;
    let mut items = Vec::new();
    let mut tools = Vec::new();
    for t in root
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = t
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut spec = t.clone();
        if let Some(o) = spec.as_object_mut() {
            o.remove("cache_control");
        }
        items.push(CacheItem::Part {
            tokens: tokens(&spec.to_string()),
            repr: spec.to_string(),
        });
        push_cache_control(&mut items, t);
        tools.push(Tool {
            name,
            description: t
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            schema: t
                .get("input_schema")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({"type": "object"})),
        });
    }
    let tool_choice = match root.get("tool_choice") {
        Some(tc) => match tc.get("type").and_then(Value::as_str) {
            Some("any") => ToolChoice::Any,
            Some("none") => ToolChoice::None,
            Some("tool") => {
                let name = tc
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if !tools.iter().any(|t| t.name == name) {
                    return Err(AwsError::validation(format!(
                        "tool_choice.name: Tool '{name}' not found in provided tools"
                    )));
                }
                ToolChoice::Tool(name)
            }
            _ => ToolChoice::Auto,
        },
        None => ToolChoice::Auto,
    };
    let mut system = Vec::new();
    match root.get("system") {
        Some(Value::String(s)) => {
            items.push(CacheItem::Part {
                tokens: tokens(s),
                repr: format!("system:{s}"),
            });
            system.push(s.clone());
        }
        Some(Value::Array(blocks)) => {
            for b in blocks {
                if let Some(t) = b.get("text").and_then(Value::as_str) {
                    items.push(CacheItem::Part {
                        tokens: tokens(t),
                        repr: format!("system:{t}"),
                    });
                    push_cache_control(&mut items, b);
                    system.push(t.to_string());
                }
            }
        }
        _ => {}
    }
    let mut messages = Vec::new();
    let raw = root
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, m) in raw.iter().enumerate() {
        let role = match message_role(i, m)? {
            Ok(role) => role,
            Err(other) => {
                return Err(AwsError::validation(format!(
                    "Malformed input request: #/messages/{i}/role: {} is not a valid enum value, please reformat your input and try again.",
                    other.unwrap_or("null")
                )))
            }
        };
        items.push(CacheItem::Part {
            tokens: MESSAGE_OVERHEAD,
            repr: format!("message:{}", role.as_str()),
        });
        let mut blocks = Vec::new();
        let content: Vec<Value> = match m.get("content") {
            // An empty string is no content, as an empty list is.
            Some(Value::String(s)) if s.is_empty() => Vec::new(),
            Some(Value::String(s)) => vec![serde_json::json!({"type": "text", "text": s})],
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        if content.is_empty() {
            return Err(AwsError::validation(format!(
                "messages.{i}: all messages must have non-empty content except for the optional final assistant message"
            )));
        }
        for c in &content {
            let block = match c.get("type").and_then(Value::as_str) {
                Some("text") => Block::Text(
                    c.get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
                Some("tool_use") => Block::ToolUse {
                    id: c
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    name: c
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    input: c.get("input").cloned().unwrap_or(Value::Null),
                },
                Some("tool_result") => Block::ToolResult {
                    id: c
                        .get("tool_use_id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    text: tool_result_text(c.get("content")),
                    is_error: c.get("is_error").and_then(Value::as_bool).unwrap_or(false),
                },
                Some("thinking") => Block::Reasoning(
                    c.get("thinking")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
                // Encrypted reasoning: a thinking block with no readable text.
                Some("redacted_thinking") => Block::Reasoning(String::new()),
                Some("image" | "document") => Block::Media,
                _ => continue,
            };
            let mut repr = c.clone();
            if let Some(o) = repr.as_object_mut() {
                o.remove("cache_control");
            }
            items.push(CacheItem::Part {
                tokens: block.tokens(),
                repr: repr.to_string(),
            });
            push_cache_control(&mut items, c);
            blocks.push(block);
        }
        messages.push(Message { role, blocks });
    }
    let (thinking, adaptive_thinking) = thinking_mode(root.get("thinking"))?;
    let conv = Conversation {
        system,
        messages,
        tools,
        tool_choice,
        max_tokens: max_tokens as u64,
        temperature,
        top_p,
        top_k: root.get("top_k").and_then(Value::as_u64),
        stop_sequences: string_list(root.get("stop_sequences")),
        thinking,
        adaptive_thinking,
        cache_items: items,
        guardrail: None,
        output_schema: anthropic_output_schema(root.get("output_config")),
        effort: effort_of(root.get("output_config")),
        response_field_paths: Vec::new(),
        service_tier: None,
        latency: None,
        project: None,
        citable: None,
    };
    if dialect == Dialect::Invoke {
        validation::check_invoke_roles(&conv)?;
    }
    validation::validate(&conv)?;
    Ok(AnthropicRequest {
        conv,
        model,
        stream,
        anthropic_version,
    })
}

/// A `cache_control` marker ends a cache prefix right after its block.
fn push_cache_control(items: &mut Vec<CacheItem>, block: &Value) {
    if let Some(cc) = block.get("cache_control") {
        items.push(CacheItem::Point {
            ttl_secs: ttl_secs(cc.get("ttl")),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converse(meta: &str) -> Result<Conversation, AwsError> {
        let body = format!(
            r#"{{"messages":[{{"role":"user","content":[{{"text":"Hi"}}]}}],"requestMetadata":{meta}}}"#
        );
        parse_converse(body.as_bytes())
    }

    #[test]
    fn request_metadata_is_checked_like_bedrock() {
        assert!(converse(r#"{"call_id":"c-42","tenant":"acme corp/eu-west-1:+#@$=,."}"#).is_ok());
        assert!(converse(r#"{"k":""}"#).is_ok());
        let seventeen: Vec<String> = (0..17).map(|i| format!(r#""k{i}":"v""#)).collect();
        let long = "v".repeat(257);
        for bad in [
            "{}".to_string(),
            format!("{{{}}}", seventeen.join(",")),
            r#"{"":"v"}"#.to_string(),
            r#"{"k;":"v"}"#.to_string(),
            r#"{"k":"secret|value"}"#.to_string(),
            format!(r#"{{"k":"{long}"}}"#),
            r#"{"k":1}"#.to_string(),
            r#"["k"]"#.to_string(),
        ] {
            let err = converse(&bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {bad}"));
            let text = format!("{err:?}");
            assert!(text.contains("requestMetadata"), "{bad}: {text}");
            assert!(!text.contains("secret"), "sensitive value echoed: {text}");
        }
    }

    /// Both parsers take `user` and `assistant`, give Claude's text for `system` and their own
    /// schema error for anything else.
    /// InvokeModel answers an Anthropic body's role order in Anthropic's words (no prefix);
    /// Converse and the Messages dialects keep Bedrock's own.
    #[test]
    fn invoke_role_order_in_anthropics_words() {
        let body = |roles: &[&str]| {
            let messages: Vec<Value> = roles
                .iter()
                .map(|r| serde_json::json!({"role": r, "content": "Hi"}))
                .collect();
            serde_json::json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                "messages": messages})
            .to_string()
        };
        let invoke = |roles: &[&str]| parse_anthropic_as(body(roles).as_bytes(), Dialect::Invoke);
        assert_eq!(
            invoke(&["user", "user"]).unwrap_err().message,
            r#"messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row"#
        );
        assert_eq!(
            invoke(&["user", "assistant", "assistant"])
                .unwrap_err()
                .message,
            r#"messages: roles must alternate between "user" and "assistant", but found multiple "assistant" roles in a row"#
        );
        assert_eq!(
            invoke(&["assistant", "user"]).unwrap_err().message,
            r#"messages: first message must use the "user" role"#
        );
        assert!(invoke(&["user", "assistant", "user"]).is_ok());
        let with_model = body(&["user", "user"]).replacen('{', r#"{"model":"m","#, 1);
        let messages = parse_anthropic_as(with_model.as_bytes(), Dialect::Messages);
        assert!(messages
            .unwrap_err()
            .message
            .starts_with("A conversation must alternate"));
    }

    #[test]
    fn message_roles_on_both_apis() {
        let body = |role: &str| {
            serde_json::json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                             {"role": role, "content": [{"type": "text", "text": "Yes"}]}]})
            .to_string()
        };
        let converse_body = |role: &str| {
            serde_json::json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]},
                                            {"role": role, "content": [{"text": "Yes"}]}]})
            .to_string()
        };
        assert!(parse_anthropic(body("assistant").as_bytes()).is_ok());
        assert!(parse_converse(converse_body("assistant").as_bytes()).is_ok());
        let system = "The model returned the following errors: messages.1.role: Input should be 'user' or 'assistant'";
        let err = parse_anthropic(body("system").as_bytes()).unwrap_err();
        assert_eq!(err.message, system);
        let err = parse_converse(converse_body("system").as_bytes()).unwrap_err();
        assert_eq!(err.message, system);
        let err = parse_anthropic(body("bot").as_bytes()).unwrap_err();
        assert_eq!(err.message, "Malformed input request: #/messages/1/role: bot is not a valid enum value, please reformat your input and try again.");
        let err = parse_converse(converse_body("bot").as_bytes()).unwrap_err();
        assert!(
            err.message.contains("'bot' at 'messages.2.member.role'")
                && err
                    .message
                    .contains("satisfy enum value set: [user, assistant, system]"),
            "{}",
            err.message
        );
    }

    #[test]
    fn tool_schemas_and_json_tool_results_must_be_objects() {
        let err = parse_converse(
            br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
                "toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":"{}"}}}]}}"#,
        )
        .unwrap_err();
        assert_eq!(err.message, "The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid. Provide a json object for the field and try again.");
        let err = parse_converse(
            br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]},
                {"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"t","input":{}}}]},
                {"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"x"},{"json":[1]}]}}]}],
                "toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":{}}}}]}}"#,
        )
        .unwrap_err();
        assert_eq!(err.message, "The format of the value at messages.2.content.0.toolResult.content.1.json is invalid. Provide a json object for the field and try again.");
    }

    #[test]
    fn cache_breakpoints_as_claude_checks_them() {
        let converse = |content: Value| {
            serde_json::json!({
                "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
                "messages": [{"role": "user", "content": content}]})
            .to_string()
        };
        let cp = |ttl: &str| serde_json::json!({"cachePoint": {"type": "default", "ttl": ttl}});
        let text = |t: &str| serde_json::json!({"text": t});
        // system.0 (5m), then messages.0.content.1 (1h): refused, with the block's path.
        let body = converse(serde_json::json!([text("a"), text("b"), cp("1h")]));
        let err = check_cache_breakpoints(body.as_bytes(), true).unwrap_err();
        assert_eq!(err.message, "The model returned the following errors: messages.0.content.1.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.");
        let body = converse(serde_json::json!([
            text("a"),
            cp("5m"),
            text("b"),
            cp("5m"),
            text("c"),
            cp("5m")
        ]));
        assert!(check_cache_breakpoints(body.as_bytes(), true).is_ok());
        let body = converse(serde_json::json!([
            text("a"),
            cp("5m"),
            text("b"),
            cp("5m"),
            text("c"),
            cp("5m"),
            text("d"),
            cp("5m")
        ]));
        let err = check_cache_breakpoints(body.as_bytes(), true).unwrap_err();
        assert_eq!(err.message, "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5.");
        let after_reasoning = serde_json::json!({"messages": [
            {"role": "user", "content": [text("q")]},
            {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {"text": "t", "signature": "s"}}}, cp("5m")]}]});
        let err =
            check_cache_breakpoints(after_reasoning.to_string().as_bytes(), true).unwrap_err();
        assert_eq!(err.message, CACHE_POINT_AFTER_REASONING);
        // An Anthropic body: cache_control on the block itself; 1h before 5m is fine.
        let anthropic = serde_json::json!({"system": [
            {"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "c", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]});
        let err = check_cache_breakpoints(anthropic.to_string().as_bytes(), false).unwrap_err();
        assert!(
            err.message
                .starts_with("messages.0.content.1.cache_control.ttl: a ttl='1h'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn thinking_blocks_sent_back_edited_are_refused() {
        let sig = thinking_signature([7; 32], "Check the calendar.");
        let body = |text: &str, sig: &str| {
            serde_json::json!({"messages": [
                {"role": "user", "content": [{"text": "Book me in"}]},
                {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": text, "signature": sig}}},
                    {"text": "Let me look."}]},
                {"role": "user", "content": [{"text": "Thanks"}]}]})
            .to_string()
        };
        assert!(
            check_thinking_signatures(body("Check the calendar.", &sig).as_bytes(), true).is_ok()
        );
        let err = check_thinking_signatures(body("Check the calendar", &sig).as_bytes(), true)
            .unwrap_err();
        assert_eq!(err.message, "The model returned the following errors: messages.1.content.0: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.");
        let err =
            check_thinking_signature_present(body("Check the calendar.", "").as_bytes(), true)
                .unwrap_err();
        assert_eq!(
            err.message,
            "The model returned the following errors: messages.1.content.0.thinking.signature: Field required"
        );
        assert!(check_thinking_signature_present(body("x", &sig).as_bytes(), true).is_ok());
        // A signature the emulator did not issue is not judged.
        assert!(check_thinking_signatures(body("Anything", "c2ln").as_bytes(), true).is_ok());
        let anthropic = serde_json::json!({"messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "edited", "signature": sig}]}]});
        let err = check_thinking_signatures(anthropic.to_string().as_bytes(), false).unwrap_err();
        assert!(
            err.message.starts_with("messages.1.content.0: `thinking`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn document_names_as_bedrock_checks_them() {
        let body = |name: &str| {
            serde_json::json!({"messages": [{"role": "user", "content": [
                {"text": "Summarise"},
                {"document": {"name": name, "format": "txt", "source": {"text": "x"}}}]}]})
            .to_string()
        };
        for good in [
            "report",
            "Q3 report (final) [v2]",
            "mem_1_tooluse_abc_0",
            " lead",
            "a-b",
        ] {
            assert!(
                check_document_names(body(good).as_bytes()).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "attachment.pdf",
            "a  b",
            "a\tb",
            "résumé",
            "John's report",
            "a/b",
            "a\u{3000}b",
        ] {
            let err = check_document_names(body(bad).as_bytes()).unwrap_err();
            assert_eq!(err.message, DOCUMENT_NAME, "{bad}");
        }
        let docs = |names: &[&str]| {
            let blocks: Vec<Value> = names
                .iter()
                .map(|n| serde_json::json!({"document": {"name": n, "format": "txt", "source": {"text": "x"}}}))
                .collect();
            serde_json::json!({"messages": [{"role": "user", "content": blocks}]}).to_string()
        };
        assert!(check_document_names(docs(&["a", "b", "c", "d", "e"]).as_bytes()).is_ok());
        let err =
            check_document_names(docs(&["a", "b", "c", "d", "e", "f"]).as_bytes()).unwrap_err();
        assert_eq!(err.message, TOO_MANY_DOCUMENTS);
        let err =
            check_document_names(docs(&["report", "notes", "report"]).as_bytes()).unwrap_err();
        assert_eq!(err.message, DUPLICATE_DOCUMENT_NAMES);
        let in_result = serde_json::json!({"messages": [{"role": "user", "content": [{"toolResult": {
            "toolUseId": "t", "content": [{"document": {"name": "out.csv", "format": "csv",
            "source": {"text": "a,b"}}}]}}]}]});
        assert!(check_document_names(in_result.to_string().as_bytes()).is_err());
    }

    #[test]
    fn anthropic_bodies_of_the_wrong_type() {
        let body = |patch: &str| {
            format!(
                r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{{"role":"user","content":"hi"}}],{patch}}}"#
            )
        };
        for (patch, invoke, messages) in [
            (
                r#""max_tokens":"10""#,
                "#/max_tokens: expected type: Integer, found: String",
                "max_tokens: Input should be a valid integer",
            ),
            (
                r#""max_tokens":1.5"#,
                "#/max_tokens: expected type: Integer, found: BigDecimal",
                "max_tokens: Input should be a valid integer",
            ),
            (
                r#""messages":{}"#,
                "#/messages: expected type: JSONArray, found: JSONObject",
                "messages: Input should be a valid list",
            ),
            (
                r#""stop_sequences":"x""#,
                "#/stop_sequences: expected type: JSONArray, found: String",
                "stop_sequences: Input should be a valid list",
            ),
            (
                r#""temperature":"hot""#,
                "#/temperature: expected type: Number, found: String",
                "temperature: Input should be a valid number",
            ),
        ] {
            let b = body(patch);
            let err = parse_anthropic_as(b.as_bytes(), Dialect::Invoke).unwrap_err();
            assert_eq!(
                err.message,
                format!(
                    "Malformed input request: {invoke}, please reformat your input and try again."
                )
            );
            // Anthropic's lax scalars: only container types are checked there.
            if messages.contains("valid list") {
                let b = format!(r#"{{"model":"m",{}"#, &body(patch)[1..]);
                let err = parse_anthropic_as(b.as_bytes(), Dialect::Messages).unwrap_err();
                assert_eq!(err.message, messages, "{b}");
            }
        }
        let b = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":""}]}"#;
        let err = parse_anthropic_as(b.as_bytes(), Dialect::Invoke).unwrap_err();
        assert!(err
            .message
            .contains("all messages must have non-empty content"));
    }

    fn json(body: String) -> Value {
        serde_json::from_str(&body).unwrap()
    }

    /// `check_images` parses once and reports sizes before types, whichever image comes
    /// first; a body that is not JSON is left to the shape checks.
    #[test]
    fn image_checks_run_sizes_then_types() {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let big = "A".repeat(IMAGE_MAX_BASE64_BYTES + 4);
        let body = format!(
            r#"{{"messages":[{{"role":"user","content":[{{"image":{{"format":"jpeg","source":{{"bytes":"{png}"}}}}}}]}},{{"role":"user","content":[{{"image":{{"format":"png","source":{{"bytes":"{big}"}}}}}}]}}]}}"#
        );
        let err = check_images(body.as_bytes(), true).unwrap_err();
        assert!(
            err.message
                .contains("messages.1.content.0.image.source.bytes: image exceeds 5 MB"),
            "{}",
            err.message
        );
        let small = body.replace(&big, png);
        let err = check_images(small.as_bytes(), true).unwrap_err();
        assert!(err.message.contains("messages.0.content.0.image.source.bytes: The image was specified using the image/jpeg"), "{}", err.message);
        assert!(check_images(b"not json", true).is_ok());
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn png_of(w: u32, h: u32) -> String {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b64(&b)
    }

    /// A JPEG head: APP0, `pad` APP1 segments of 65,535 bytes (metadata), then SOF0.
    fn jpeg_of(w: u16, h: u16, pad: usize) -> String {
        let mut b = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
        b.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        for _ in 0..pad {
            b.extend([0xff, 0xe1, 0xff, 0xff]);
            b.extend(std::iter::repeat_n(0u8, 65_533));
        }
        b.extend([0xff, 0xff, 0xc0, 0, 17, 8]);
        b.extend(h.to_be_bytes());
        b.extend(w.to_be_bytes());
        b.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
        b64(&b)
    }

    #[test]
    fn image_dimensions_read_from_headers() {
        assert_eq!(image_dimensions(&png_of(8001, 20)), Some((8001, 20)));
        assert_eq!(image_dimensions(&jpeg_of(640, 480, 0)), Some((640, 480)));
        // The frame header behind 128 KiB of metadata: past the first window.
        assert_eq!(
            image_dimensions(&jpeg_of(3000, 2001, 2)),
            Some((3000, 2001))
        );
        assert_eq!(
            image_dimensions(&b64(b"GIF89a\x40\x1f\x01\0\0\0\0")),
            Some((8000, 1))
        );
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend([0x40, 0x1f, 0, 0x63, 0, 0]); // 8001 x 100
        assert_eq!(image_dimensions(&b64(&vp8x)), Some((8001, 100)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        vp8l.extend(((1999u32) | (2999 << 14)).to_le_bytes()); // 2000 x 3000
        assert_eq!(image_dimensions(&b64(&vp8l)), Some((2000, 3000)));
        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend([0xd0, 0x07, 0x01, 0x00]); // 2000 x 1
        assert_eq!(image_dimensions(&b64(&vp8)), Some((2000, 1)));
        // Cut short, not base64, or no image type: not judged.
        assert_eq!(image_dimensions(&png_of(1, 1)[..20]), None);
        assert_eq!(image_dimensions(&jpeg_of(1, 1, 0)[..12]), None);
        assert_eq!(image_dimensions("not base64!"), None);
        assert_eq!(image_dimensions(""), None);
        assert_eq!(image_dimensions(&b64(&[0u8; 40])), None);
    }

    #[test]
    fn image_headers_of_hostile_text_and_bytes_never_panic() {
        // Text that is not ASCII where the head is cut (40 characters for the fixed headers,
        // 87,384 for a JPEG's first 64 KiB): no panic on a cut inside a character, not judged.
        let png = png_of(9000, 9000);
        for at in 38..=41 {
            let text = format!("{}é{}", &png[..at], "A".repeat(60));
            // From 40 on, the head is whole before the character.
            let want = (at >= 40).then_some((9000, 9000));
            assert_eq!(image_dimensions(&text), want, "{at}");
        }
        let jpeg = jpeg_of(9000, 9000, 0);
        for at in [87_382, 87_383, 87_384] {
            let mut text = jpeg[..40].to_string();
            text.push_str(&"A".repeat(at - 40));
            text.push_str("日本");
            text.push_str(&"A".repeat(100));
            let want = (at >= 87_384).then_some((9000, 9000));
            assert_eq!(image_dimensions(&text), want, "{at}");
        }
        // Through the request check: a Converse image whose bytes are not ASCII base64.
        let text = format!("{}é{}", &png[..39], "A".repeat(60));
        let body = serde_json::json!({"messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": text}}}]}]});
        let _ = check_images(body.to_string().as_bytes(), true);
        // JPEG segments that loop on fill bytes, zero lengths and lengths past the end: a
        // linear walk that ends.
        let mut fills = vec![0xff, 0xd8];
        fills.extend(std::iter::repeat_n(0xff, 200_000));
        assert_eq!(jpeg_frame_size(&fills), Err(true));
        assert_eq!(
            jpeg_frame_size(&[0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xe0]),
            Err(false)
        );
        assert_eq!(
            jpeg_frame_size(&[0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff]),
            Err(true)
        );
        assert_eq!(
            jpeg_frame_size(&[0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff]),
            Ok((65_535, 65_535))
        );
    }

    #[test]
    fn image_dimensions_are_capped_lower_in_many_image_requests() {
        let converse = |images: &[String]| {
            let blocks: Vec<String> = images
                .iter()
                .map(|d| format!(r#"{{"image":{{"format":"png","source":{{"bytes":"{d}"}}}}}}"#))
                .collect();
            json(format!(
                r#"{{"messages":[{{"role":"user","content":[{{"text":"a"}},{}]}}]}}"#,
                blocks.join(",")
            ))
        };
        let big = png_of(2001, 10);
        let ok = png_of(2000, 2000);
        let mut twenty = vec![ok.clone(); 19];
        twenty.push(big.clone());
        assert!(check_image_dimensions(&converse(&twenty), true).is_ok());
        twenty.push(ok.clone());
        let err = check_image_dimensions(&converse(&twenty), true).unwrap_err();
        assert_eq!(err.message, "The model returned the following errors: messages.0.content.20.image.source.bytes: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels");
        assert_eq!(err.status, 400);
        assert!(check_image_dimensions(&converse(&vec![ok.clone(); 30]), true).is_ok());
        let err = check_image_dimensions(&converse(&[png_of(10, 8001)]), true).unwrap_err();
        assert!(err.message.ends_with("messages.0.content.1.image.source.bytes: At least one of the image dimensions exceed max allowed size: 8000 pixels"), "{}", err.message);
        assert!(check_image_dimensions(&converse(&[png_of(8000, 8000)]), true).is_ok());
        let anthropic = json(format!(
            r#"{{"messages":[{{"role":"user","content":[{{"type":"text","text":"a"}},{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{}"}}}}]}}]}}"#,
            png_of(8001, 1)
        ));
        let err = check_image_dimensions(&anthropic, false).unwrap_err();
        assert_eq!(err.message, "messages.0.content.1.image.source.base64.data: At least one of the image dimensions exceed max allowed size: 8000 pixels");
    }

    #[test]
    fn more_than_a_hundred_images_are_refused_with_claudes_text() {
        let png = png_of(10, 10);
        let converse = |n: usize, extra: &str| {
            let image = format!(r#"{{"image":{{"format":"png","source":{{"bytes":"{png}"}}}}}}"#);
            json(format!(
                r#"{{"messages":[{{"role":"user","content":[{{"text":"a"}}{extra},{}]}}]}}"#,
                vec![image; n].join(",")
            ))
        };
        assert!(check_images(converse(100, "").to_string().as_bytes(), true).is_ok());
        let err = check_image_count(&converse(101, ""), true).unwrap_err();
        assert_eq!(
            err.message,
            "The model returned the following errors: too many images and documents: 101 + 0 > 100"
        );
        // With a document the second number is not known: not judged.
        let doc = r#",{"document":{"format":"txt","name":"notes","source":{"bytes":"aGk="}}}"#;
        assert!(check_image_count(&converse(101, doc), true).is_ok());
        // A tool result's images count (Anthropic body), for both caps.
        let block = |w: u32| {
            format!(
                r#"{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{}"}}}}"#,
                png_of(w, 1)
            )
        };
        let anthropic = |top: usize, nested: usize, w: u32| {
            json(format!(
                r#"{{"messages":[{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{}]}},{}]}}]}}"#,
                vec![block(10); nested].join(","),
                vec![block(w); top].join(",")
            ))
        };
        let err = check_image_count(&anthropic(60, 41, 10), false).unwrap_err();
        assert_eq!(err.message, "too many images and documents: 101 + 0 > 100");
        assert!(check_image_dimensions(&anthropic(20, 0, 2001), false).is_ok());
        let err = check_image_dimensions(&anthropic(20, 1, 2001), false).unwrap_err();
        assert_eq!(err.message, "messages.0.content.1.image.source.base64.data: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels");
    }

    #[test]
    fn images_over_five_mb_of_base64_are_refused_with_claudes_text() {
        let big = "A".repeat(IMAGE_MAX_BASE64_BYTES + 4);
        let fits = "A".repeat(IMAGE_MAX_BASE64_BYTES);
        let converse = |data: &str| {
            format!(
                r#"{{"messages":[{{"role":"user","content":[{{"text":"a"}},{{"cachePoint":{{"type":"default"}}}},{{"text":"b"}},{{"image":{{"format":"png","source":{{"bytes":"{data}"}}}}}}]}}]}}"#
            )
        };
        assert!(check_image_sizes(&json(converse(&fits)), true).is_ok());
        let err = check_image_sizes(&json(converse(&big)), true).unwrap_err();
        assert_eq!(
            err.message,
            format!("The model returned the following errors: messages.0.content.2.image.source.bytes: image exceeds 5 MB maximum: {} bytes > 5242880 bytes", big.len())
        );
        let anthropic = |data: &str| {
            format!(
                r#"{{"messages":[{{"role":"user","content":"hi"}},{{"role":"assistant","content":"ok"}},{{"role":"user","content":[{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{data}"}}}}]}}]}}"#
            )
        };
        assert!(check_image_sizes(&json(anthropic(&fits)), false).is_ok());
        let err = check_image_sizes(&json(anthropic(&big)), false).unwrap_err();
        assert_eq!(
            err.message,
            format!("messages.2.content.0.image.source.base64: image exceeds 5 MB maximum: {} bytes > 5242880 bytes", big.len())
        );
    }

    #[test]
    fn image_types_are_checked_against_their_bytes_with_claudes_texts() {
        // A 1x1 PNG and a JPEG head (base64), and bytes of no image type.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let jpeg = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA==";
        let other = "AAAAAAAAAAAAAAAAAAAAAAAA";
        let converse = |format: &str, data: &str| {
            format!(
                r#"{{"messages":[{{"role":"user","content":[{{"text":"a"}},{{"cachePoint":{{"type":"default"}}}},{{"image":{{"format":"{format}","source":{{"bytes":"{data}"}}}}}}]}}]}}"#
            )
        };
        for (format, data) in [
            ("png", png),
            ("jpeg", jpeg),
            ("png", other),
            ("gif", "R0lGODlh"),
        ] {
            assert!(
                check_image_types(&json(converse(format, data)), true).is_ok(),
                "{format}"
            );
        }
        let err = check_image_types(&json(converse("jpeg", png)), true).unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (400, "The model returned the following errors: messages.0.content.1.image.source.bytes: The image was specified using the image/jpeg media type, but the image appears to be a image/png image")
        );
        let anthropic = |media: &str, data: &str| {
            format!(
                r#"{{"messages":[{{"role":"user","content":[{{"type":"text","text":"a"}},{{"type":"image","source":{{"type":"base64","media_type":"{media}","data":"{data}"}}}}]}}]}}"#
            )
        };
        assert!(check_image_types(&json(anthropic("image/png", png)), false).is_ok());
        let err = check_image_types(&json(anthropic("image/jpeg", png)), false).unwrap_err();
        assert_eq!(err.message, "messages.0.content.1.image.source.base64: The image was specified using the image/jpeg media type, but the image appears to be a image/png image");
        let err = check_image_types(&json(anthropic("image/bmp", png)), false).unwrap_err();
        assert_eq!(err.message, "messages.0.content.1.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
        // Inside a tool result the path names it.
        let nested = format!(
            r#"{{"messages":[{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{{"type":"text","text":"r"}},{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{jpeg}"}}}}]}}]}}]}}"#
        );
        let err = check_image_types(&json(nested), false).unwrap_err();
        assert_eq!(err.message, "messages.0.content.0.tool_result.content.1.image.source.base64: The image was specified using the image/png media type, but the image appears to be a image/jpeg image");
    }
}
