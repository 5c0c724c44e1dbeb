//! What a call delivers, and the sink it delivers to. The NIF implements [`EventSink`] by
//! sending BEAM messages; tests implement it with a channel.

use aybiza_core::error::Error;
use serde_json::Value;

/// Token counts as Bedrock reports them (or as estimated for an interrupted call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    /// Bedrock's split of the written tokens by TTL (ConverseStream metadata
    /// `usage.cacheDetails`), empty when Bedrock sent none (Nova, InvokeModel, nothing
    /// written), one entry per TTL (repeated entries summed). Entries with a TTL this build
    /// does not know are left out.
    pub cache_details: Vec<aybiza_core::catalog::CacheDetail>,
}

impl Usage {
    /// The `cache_details` when present and consistent with `cache_write_input_tokens`
    /// (their sum equals it), with the tokens written at the 1 hour TTL; `None` otherwise,
    /// and the whole write is then priced at the 5 minute rate.
    pub fn consistent_cache_details(&self) -> Option<(&[aybiza_core::catalog::CacheDetail], u64)> {
        if self.cache_details.is_empty() {
            return None;
        }
        let split = aybiza_core::catalog::cache_write_split(
            &self.cache_details,
            Some(self.cache_write_input_tokens),
        );
        split
            .ok()
            .map(|(_, one_hour)| (self.cache_details.as_slice(), one_hour))
    }
}

/// Timings in microseconds from the start of the call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timings {
    pub first_byte_us: Option<u64>,
    pub first_token_us: Option<u64>,
    pub first_sentence_us: Option<u64>,
    pub total_us: u64,
    /// The traced points of the path to the first sentence (`CallOptions::trace`), by
    /// name, on the caller's clock in ns; empty when the call was not traced.
    pub trace: Vec<(&'static str, i64)>,
}

/// The summary of a finished call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub model_id: String,
    pub region: String,
    pub request_id: Option<String>,
    pub stop_reason: Option<String>,
    pub usage: Option<Usage>,
    /// Set when `usage` was estimated from text because Bedrock sent none.
    pub usage_estimated: bool,
    pub text: String,
    /// The assistant message's content blocks in request shape (text, tool_use,
    /// reasoning_content with signature), ready to be sent back on the next turn.
    pub content: Vec<Value>,
    pub sentences: u64,
    pub timings: Timings,
    pub latency_ms: Option<u64>,
    /// The raw body of a non-streaming InvokeModel call.
    pub body: Option<Value>,
    /// Estimated input tokens of the request, for pricing a call whose usage never came.
    pub request_input_tokens: u64,
    /// `request_input_tokens` was counted by Bedrock's CountTokens, not estimated.
    pub input_tokens_exact: bool,
    /// The guardrail trace (see `convert::guardrail_trace_to_json`), when the request had a
    /// guardrail with `trace` enabled.
    pub guardrail_trace: Option<Value>,
}

/// One event of the message protocol (see `Aybiza.Bedrock.stream/2`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    MessageStart,
    FirstToken(u64),
    Text(String),
    Sentence(u64, String),
    ThinkingStarted,
    Thinking(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    StopReason(String),
    Usage(Usage),
    /// The guardrail's trace (ConverseStream: with the stream's metadata).
    GuardrailTrace(Value),
    Done(Box<Summary>),
    Error(Box<Error>, Option<Box<Summary>>),
}

impl Event {
    pub fn is_terminal(&self) -> bool {
        matches!(self, Event::Done(_) | Event::Error(..))
    }
}

/// The receiver is gone: stop the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverGone;

/// Where a call's events go. `send` is called from tokio worker threads.
pub trait EventSink: Send + 'static {
    fn send(&mut self, event: Event) -> Result<(), ReceiverGone>;
}

/// Splits streamed text into sentences. The core segmenter is one, with the options its
/// caller built it with (the engine does not fix them); callers that count or log wrap it.
pub trait SentenceSplitter: Send + 'static {
    fn push(&mut self, delta: &str) -> Vec<String>;
    fn finish(&mut self) -> Vec<String>;
}

impl SentenceSplitter for aybiza_core::text::Segmenter {
    fn push(&mut self, delta: &str) -> Vec<String> {
        aybiza_core::text::Segmenter::push(self, delta)
    }
    fn finish(&mut self) -> Vec<String> {
        aybiza_core::text::Segmenter::finish(self)
    }
}
