//! The emulator rules of `bin/bench`, written as a JSON file for `bedrock-emulator --rules`.
//! Each benchmark sends its own prompt keyword, so one emulator serves every section.

use crate::corpus;
use serde_json::json;

/// The first `chars` characters of the corpus, cut after a sentence end.
fn reply(chars: usize) -> String {
    let text = corpus::build(chars + 200);
    let cut = text[..chars.min(text.len())]
        .rfind(". ")
        .map_or(text.len().min(chars), |i| i + 1);
    text[..cut].to_string()
}

pub const TTFS_REPLY: &str = "Thanks for calling Acme Internet. I can book a repair visit for \
    your router on Monday at 10:30 a.m. or on Tuesday afternoon. The visit costs $49.99. Which \
    one works better for you?";

/// `fast_chars`: reply of the per-event benchmark (as fast as the emulator can send, 4-char
/// deltas); `paced_secs`: length of the 30 tokens/s reply used for latency and concurrency;
/// `first_token_ms`: the emulator's first-token delay in the time-to-first-sentence runs.
pub fn write(
    path: &str,
    fast_chars: usize,
    paced_secs: usize,
    first_token_ms: u64,
) -> Result<(), String> {
    // tokens = chars / 4, so 30 tokens/s is 120 characters per second.
    let paced = reply(paced_secs * 120);
    let rules = json!([
        {"prompt_contains": "bench-fast", "reply": reply(fast_chars),
         "pacing": {"first_token_ms": 0, "tps": 0, "delta_chars": 4}},
        {"prompt_contains": "bench-paced", "reply": paced,
         "pacing": {"first_token_ms": 0, "tps": 30, "delta_chars": 8, "stamp": true}},
        {"prompt_contains": "bench-ttfs", "reply": TTFS_REPLY,
         "pacing": {"first_token_ms": first_token_ms, "tps": 0, "delta_chars": 8}},
        {"prompt_contains": "bench-cancel", "reply": reply(20_000),
         "pacing": {"first_token_ms": 0, "tps": 30, "delta_chars": 8}}
    ]);
    std::fs::write(
        path,
        serde_json::to_string_pretty(&rules).unwrap_or_default(),
    )
    .map_err(|e| format!("{path}: {e}"))
}
