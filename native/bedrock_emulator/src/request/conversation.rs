//! The request model shared by every route, whatever the wire format it came in, plus the
//! token approximation.
//!
//! Tokens: `ceil(chars / 4)` per text (chars = Unicode scalar values), +3 per message,
//! each tool counts the tokens of its JSON spec, images/documents/audio/video count 1000.

use serde_json::Value;

/// Approximate token count of a text.
pub fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

pub const MESSAGE_OVERHEAD: u64 = 3;
pub const MEDIA_TOKENS: u64 = 1000;
/// Default max tokens when a Converse request sets none.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

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

#[derive(Debug, Clone)]
pub enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        id: String,
        text: String,
        is_error: bool,
    },
    Reasoning(String),
    Media,
}

impl Block {
    pub(crate) fn tokens(&self) -> u64 {
        match self {
            Block::Text(t) | Block::Reasoning(t) => tokens(t),
            Block::ToolUse { name, input, .. } => tokens(name) + tokens(&input.to_string()),
            Block::ToolResult { text, .. } => tokens(text),
            Block::Media => MEDIA_TOKENS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Message {
    pub role: Role,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub schema: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    Any,
    Tool(String),
    None,
}

/// One piece of the prompt, in cache order (tools, system, messages).
#[derive(Debug, Clone)]
pub enum CacheItem {
    Part { tokens: u64, repr: String },
    Point { ttl_secs: u64 },
}

#[derive(Debug, Clone)]
#[allow(dead_code)] // system / top_p are parsed for completeness and debugging.
pub struct Conversation {
    pub system: Vec<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub tool_choice: ToolChoice,
    pub max_tokens: u64,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u64>,
    pub stop_sequences: Vec<String>,
    /// Thinking budget when extended thinking is enabled (`type: enabled`).
    pub thinking: Option<u64>,
    /// `thinking: {type: "adaptive"}`.
    pub adaptive_thinking: bool,
    pub cache_items: Vec<CacheItem>,
    /// Converse `guardrailConfig` (the Anthropic bodies carry none).
    pub guardrail: Option<GuardrailRequest>,
    /// Structured output: the JSON schema the answer must follow (Converse
    /// `outputConfig.textFormat`, Anthropic `output_config.format`, type `json_schema`).
    pub output_schema: Option<serde_json::Value>,
    /// `output_config.effort` (Anthropic bodies; Converse `outputConfig.effort`, or
    /// `additionalModelRequestFields.output_config.effort` as older clients send it). A value
    /// that is not a string is kept as its JSON text, so the effort check refuses it.
    pub effort: Option<String>,
    /// Converse `additionalModelResponseFieldPaths`: JSON Pointers, checked.
    pub response_field_paths: Vec<String>,
    /// The service tier asked for (Converse `serviceTier.type`, InvokeModel
    /// `X-Amzn-Bedrock-Service-Tier`), echoed in the response when served.
    pub service_tier: Option<String>,
    /// The latency setting asked for (Converse `performanceConfig.latency`, InvokeModel
    /// `X-Amzn-Bedrock-PerformanceConfig-Latency`), echoed likewise.
    pub latency: Option<String>,
    /// Converse `projectIdentifier` (InvokeModel: `X-Amzn-Bedrock-ProjectIdentifier`).
    pub project: Option<String>,
    /// The document the answer cites (Converse, Claude models): the first document of the
    /// last user message with `citations.enabled` whose text the emulator can read.
    pub citable: Option<CitableDocument>,
}

/// A document the model may cite (see [`Conversation::citable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitableDocument {
    /// Its position among the request's document blocks, 0-based (`documentIndex`).
    pub index: u64,
    /// Its `name` (a citation's `title`).
    pub title: String,
    pub text: String,
}

/// A request's `guardrailConfig`, its values checked against Bedrock's constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailRequest {
    pub identifier: String,
    pub version: String,
    /// `enabled`, `enabled_full` (a trace in the response) or `disabled` (default).
    pub trace: String,
    /// `sync` (default) or `async` (ConverseStream).
    pub stream_processing_mode: String,
}

impl GuardrailRequest {
    /// The guardrail id (the last part of an ARN).
    pub fn id(&self) -> &str {
        self.identifier
            .rsplit_once("guardrail/")
            .map_or(self.identifier.as_str(), |(_, id)| id)
    }

    pub fn trace_on(&self) -> bool {
        self.trace != "disabled"
    }
}

impl Conversation {
    pub fn input_tokens(&self) -> u64 {
        self.cache_items
            .iter()
            .map(|i| match i {
                CacheItem::Part { tokens, .. } => *tokens,
                CacheItem::Point { .. } => 0,
            })
            .sum()
    }

    pub fn has_cache_points(&self) -> bool {
        self.cache_items
            .iter()
            .any(|i| matches!(i, CacheItem::Point { .. }))
    }

    /// Characters of every text a guardrail reads on input: the system prompt and the
    /// messages' text blocks.
    pub fn text_chars(&self) -> u64 {
        let system: usize = self.system.iter().map(|t| t.chars().count()).sum();
        let messages: usize = self
            .messages
            .iter()
            .flat_map(|m| &m.blocks)
            .map(|b| match b {
                Block::Text(t) => t.chars().count(),
                _ => 0,
            })
            .sum();
        (system + messages) as u64
    }

    /// Text of the last user message (joined text blocks).
    pub fn last_user_text(&self) -> String {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| {
                m.blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::Text(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    /// The assistant prefill: the text of the last message when it is an assistant turn
    /// (the model continues from it), None when the conversation ends with a user turn or
    /// the final assistant turn has no text.
    pub fn prefill(&self) -> Option<String> {
        let last = self.messages.last().filter(|m| m.role == Role::Assistant)?;
        let text: Vec<&str> = last
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        (!text.is_empty()).then(|| text.concat())
    }

    /// Tool results carried by the last message when it is a user message.
    pub fn last_tool_results(&self) -> Vec<(String, String, bool)> {
        match self.messages.last() {
            Some(m) if m.role == Role::User => m
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::ToolResult { id, text, is_error } => {
                        Some((id.clone(), text.clone(), *is_error))
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Name of the tool that produced a tool use id in the conversation.
    pub fn tool_name_for(&self, id: &str) -> Option<String> {
        self.messages
            .iter()
            .flat_map(|m| &m.blocks)
            .find_map(|b| match b {
                Block::ToolUse { id: i, name, .. } if i == id => Some(name.clone()),
                _ => None,
            })
    }
}
