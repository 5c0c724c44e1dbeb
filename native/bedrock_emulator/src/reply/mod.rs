//! What the model "says" for one request: the plan ([`plan`]), prompt-cache accounting
//! ([`cache`]) and the planned [`Reply`] with its token accounting and timing.

pub mod cache;
pub mod guardrail;
pub mod plan;

use bytes::Bytes;

use cache::CacheUsage;
use plan::{Plan, Rng};

#[derive(Debug, Clone)]
pub struct Reply {
    pub plan: Plan,
    /// Input tokens not served from or written to the cache.
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache: CacheUsage,
    /// Model name for Anthropic bodies.
    pub model_name: String,
    pub first_token_ms: u64,
    pub latency_ms: u64,
    /// Approximate characters per text delta.
    pub delta_chars: usize,
    pub rng: Rng,
    /// The `trace` of the response (a guardrail that was asked for a trace intervened).
    pub trace: Option<serde_json::Value>,
    /// Converse `additionalModelResponseFieldPaths` (JSON Pointers into the model's native
    /// response) and whether that native response is Anthropic's Messages body.
    pub response_field_paths: Vec<String>,
    pub anthropic: bool,
    /// The service tier and latency setting the request asked for, echoed back (Converse
    /// `serviceTier` / `performanceConfig`, InvokeModel response headers): AWS's
    /// service-tiers page, "The service tier configuration for a served request is visible
    /// in API response".
    pub service_tier: Option<String>,
    pub latency: Option<String>,
    /// InvokeModel on a Llama, Mistral text-completion, Titan Text or gpt-oss model: its body.
    pub prompt_body: Option<crate::catalog::PromptBody>,
}

impl Reply {
    /// Bedrock's total: input + output + cache read + cache write.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens + self.cache.read + self.cache.write
    }
}

/// One event-stream frame; `tokens > 0` marks a content delta paced by tokens per second.
#[derive(Debug, Clone)]
pub struct Event {
    pub frame: Bytes,
    pub tokens: u64,
}
