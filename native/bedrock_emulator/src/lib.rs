//! Local Bedrock Runtime emulator.
//!
//! Speaks Bedrock Runtime's wire protocols (restJson1 bodies, `vnd.amazon.eventstream`
//! frames, SigV4, and the Anthropic Messages API with Server-Sent Events on both the
//! bedrock-runtime and bedrock-mantle styles) so real clients work against it with test
//! credentials and an endpoint override. Replies are deterministic per request body; rules
//! script exact replies; pacing and faults are settable per instance, rule and request.
//! See docs/EMULATOR.md.
//!
//! Layers, in the order data flows (each imports only from the ones above it):
//! `error`, `counters` (shared) → [`config`] (settings as plain data) → [`catalog`] (the
//! model table) → `request` (bodies into one conversation model) → `reply` (what the model
//! says, prompt cache) → `rate` (throttling windows), `state`, `ticker` (the paced streams' shared clock) → `handlers` (per-request logic) → `render` (wire
//! formats) → `http` (auth, routes, control API, stream delivery, server).

pub mod counters;
pub mod error;

pub mod config;

pub mod catalog;

mod request;

mod reply;

mod rate;

mod state;

mod ticker;

mod handlers;

mod render;

mod http;

#[doc(hidden)]
pub mod fuzzing;

/// The model table and identifier resolution (older name of [`catalog`]).
pub use catalog as models;
/// Fault and pacing specs (older name of [`config::spec`]).
pub use config::spec as faults;
pub use config::{
    ApplicationProfileSpec, EmulatorConfig, Faults, GuardrailRule, GuardrailSource, GuardrailSpec,
    Pacing, PrefillMode, RateLimit, RateScope, Rule, ScriptedToolUse, TemporaryCredentials,
    DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
pub use counters::Counters;
pub use faults::{parse_faults, parse_pacing};
pub use handlers::control_plane::validate_application_profiles;
pub use handlers::{FAULT_HEADER, PACING_HEADER};
pub use http::server::{BlockingEmulator, Emulator, EmulatorHandle, TestCredentials};
pub use http::sigv4;
pub use request::tokens as approx_tokens;

/// Parses faults from JSON: an object (`{"reset_after": 3}`) or a spec string
/// (`"reset@3"`).
pub fn faults_from_json(value: serde_json::Value) -> Result<Faults, String> {
    config::faults_from_value(value)
}

/// Parses pacing from JSON: an object or a spec string (`"tps=50,delta_chars=8"`).
pub fn pacing_from_json(value: serde_json::Value) -> Result<Pacing, String> {
    config::pacing_from_value(value)
}

/// Parses rules from a JSON array.
pub fn rules_from_json(value: serde_json::Value) -> Result<Vec<Rule>, String> {
    serde_json::from_value(config::strip_nulls(value)).map_err(|e| format!("invalid rules: {e}"))
}
