//! Local Bedrock Runtime emulator.
//!
//! Speaks Bedrock Runtime's wire protocol (restJson1 bodies, `vnd.amazon.eventstream`
//! frames, SigV4) so the real `aws-sdk-bedrockruntime` client works against it with static
//! test credentials and `endpoint_url`. Replies are deterministic per request body; rules
//! script exact replies; pacing and faults are settable per instance, rule and request.
//! See docs/EMULATOR.md.

mod admin;
mod anthropic;
mod cache;
pub mod config;
mod converse;
mod count_tokens;
pub mod counters;
pub mod error;
mod eventstream;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
pub mod models;
mod replies;
mod reply;
mod request;
mod routes;
mod server;
pub mod sigv4;
mod sse;
mod stamp;
mod state;
mod stream;
mod validation;

pub use config::{
    EmulatorConfig, Faults, Pacing, Rule, ScriptedToolUse, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_SECRET_ACCESS_KEY,
};
pub use counters::Counters;
pub use faults::{parse_faults, parse_pacing};
pub use handlers::{FAULT_HEADER, PACING_HEADER};
pub use request::tokens as approx_tokens;
pub use server::{BlockingEmulator, Emulator, EmulatorHandle, TestCredentials};
pub use sigv4::TemporaryCredentials;

/// Parses faults from JSON: an object (`{"reset_after": 3}`) or a spec string
/// (`"reset@3"`).
pub fn faults_from_json(value: serde_json::Value) -> Result<Faults, String> {
    admin::faults_from_value(value)
}

/// Parses pacing from JSON: an object or a spec string (`"tps=50,delta_chars=8"`).
pub fn pacing_from_json(value: serde_json::Value) -> Result<Pacing, String> {
    admin::pacing_from_value(value)
}

/// Parses rules from a JSON array.
pub fn rules_from_json(value: serde_json::Value) -> Result<Vec<Rule>, String> {
    serde_json::from_value(config::strip_nulls(value)).map_err(|e| format!("invalid rules: {e}"))
}
