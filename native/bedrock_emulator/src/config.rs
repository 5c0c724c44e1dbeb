//! Configuration: instance settings, pacing, faults and scripted-reply rules.
//!
//! Every struct deserializes from JSON (snake_case keys, camelCase accepted as aliases) so the
//! same shapes travel from Elixir (via the NIF), from the binary's flags and from the admin
//! endpoints.

use serde::{Deserialize, Serialize};

/// Default test credentials (the AWS documentation example keys).
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Settings of one emulator instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EmulatorConfig {
    /// Interface to bind; 127.0.0.1 by default.
    pub host: String,
    /// Port to bind; 0 picks a free port.
    pub port: u16,
    #[serde(alias = "accessKeyId")]
    pub access_key_id: String,
    #[serde(alias = "secretAccessKey")]
    pub secret_access_key: String,
    /// When set, `Authorization: Bearer <api_key>` is accepted too (Bedrock API keys).
    #[serde(alias = "apiKey")]
    pub api_key: Option<String>,
    /// When false, SigV4 is not checked (any Authorization is accepted). True by default.
    #[serde(alias = "verifySignatures")]
    pub verify_signatures: bool,
    #[serde(deserialize_with = "pacing_or_spec")]
    pub pacing: Pacing,
    #[serde(deserialize_with = "faults_or_spec")]
    pub faults: Faults,
    pub rules: Vec<Rule>,
    /// Extra model ids accepted besides the built-in list.
    #[serde(alias = "extraModels")]
    pub extra_models: Vec<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: "127.0.0.1".to_string(),
            port: 0,
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_string(),
            secret_access_key: DEFAULT_SECRET_ACCESS_KEY.to_string(),
            api_key: None,
            verify_signatures: true,
            pacing: Pacing::default(),
            faults: Faults::default(),
            rules: Vec::new(),
            extra_models: Vec::new(),
        }
    }
}

impl EmulatorConfig {
    /// Parses a JSON value (e.g. converted from an Elixir term). Null fields keep defaults.
    pub fn from_json(value: serde_json::Value) -> Result<Self, String> {
        serde_json::from_value(strip_nulls(value))
            .map_err(|e| format!("invalid emulator config: {e}"))
    }
}

/// Removes null members so `nil` from Elixir means "default".
pub(crate) fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(strip_nulls).collect())
        }
        other => other,
    }
}

/// Stream pacing. Unset fields fall back to the next layer (request header > rule > instance).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pacing {
    /// Delay before the first event of a stream (and before a non-stream reply), in ms.
    #[serde(alias = "firstTokenMs", alias = "first_token_delay_ms")]
    pub first_token_ms: Option<u64>,
    /// Output speed; deltas are spaced by `tokens(delta) / tps`. 0 or unset = no delay.
    #[serde(alias = "tokensPerSecond", alias = "tokens_per_second")]
    pub tps: Option<f64>,
    /// Approximate characters per text delta (cut at word boundaries). Default 16.
    #[serde(alias = "deltaChars")]
    pub delta_chars: Option<usize>,
    /// Put the send time in front of each text delta (`T<µs since the epoch>Z `), for
    /// delivery-latency benchmarks (bin/bench). See `stamp.rs`.
    pub stamp: Option<bool>,
}

impl Pacing {
    /// Layers `over` on top of `self`: fields set in `over` win.
    pub fn merged(&self, over: &Pacing) -> Pacing {
        Pacing {
            first_token_ms: over.first_token_ms.or(self.first_token_ms),
            tps: over.tps.or(self.tps),
            delta_chars: over.delta_chars.or(self.delta_chars),
            stamp: over.stamp.or(self.stamp),
        }
    }
}

/// Fault injection. Unset fields fall back to the next layer (request header > rule > instance).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share of requests (0..=1) answered with ThrottlingException 429 before the stream,
    /// chosen deterministically by a per-instance counter (0.2 = every 5th request).
    #[serde(alias = "throttleShare")]
    pub throttle_share: Option<f64>,
    /// Before-stream error for every request: an AWS error name such as
    /// `ThrottlingException` / `ServiceUnavailableException`, or an HTTP status like `503`.
    pub error: Option<String>,
    /// Message of the injected error (default: Bedrock's usual text for that error).
    #[serde(alias = "errorMessage")]
    pub error_message: Option<String>,
    /// Mid-stream exception type (`throttlingException`, `modelStreamErrorException`,
    /// `internalServerException`, `serviceUnavailableException`, `validationException`,
    /// `modelTimeoutException`), sent after `exception_after` events (default 1).
    pub exception: Option<String>,
    #[serde(alias = "exceptionAfter")]
    pub exception_after: Option<usize>,
    /// Abort the connection (TCP reset) after K events.
    #[serde(alias = "resetAfter")]
    pub reset_after: Option<usize>,
    /// Stop sending (connection stays open) after K events.
    #[serde(alias = "stallAfter")]
    pub stall_after: Option<usize>,
    /// Send a frame with a bad message CRC (event stream) or a data line that is not JSON
    /// (SSE) after K events, then end the stream.
    #[serde(alias = "corruptAfter", alias = "malformed_after")]
    pub corrupt_after: Option<usize>,
    /// End the response cleanly after K events, before the stream's last event
    /// (a truncated stream: no `messageStop`/`metadata`, no `message_stop`).
    #[serde(alias = "truncateAfter")]
    pub truncate_after: Option<usize>,
}

impl Faults {
    /// Layers `over` on top of `self`: fields set in `over` win.
    pub fn merged(&self, over: &Faults) -> Faults {
        Faults {
            throttle_share: over.throttle_share.or(self.throttle_share),
            error: over.error.clone().or_else(|| self.error.clone()),
            error_message: over
                .error_message
                .clone()
                .or_else(|| self.error_message.clone()),
            exception: over.exception.clone().or_else(|| self.exception.clone()),
            exception_after: over.exception_after.or(self.exception_after),
            reset_after: over.reset_after.or(self.reset_after),
            stall_after: over.stall_after.or(self.stall_after),
            corrupt_after: over.corrupt_after.or(self.corrupt_after),
            truncate_after: over.truncate_after.or(self.truncate_after),
        }
    }
}

/// A scripted tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptedToolUse {
    pub name: String,
    #[serde(default)]
    pub input: serde_json::Value,
    /// Fixed tool use id; generated deterministically when absent.
    #[serde(default, alias = "toolUseId", alias = "tool_use_id")]
    pub id: Option<String>,
}

/// A rule matched against each request. Every field set on a matching rule applies; for
/// each field, the first matching rule (in list order) that sets it wins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rule {
    /// Matches when the request's model id contains this string (an exact id matches too).
    #[serde(alias = "modelId", alias = "model_id")]
    pub model: Option<String>,
    /// Matches when the text of the last user message contains this string.
    #[serde(alias = "promptContains", alias = "prompt")]
    pub prompt_contains: Option<String>,
    /// Exact reply text.
    pub reply: Option<String>,
    /// Exact reply text used when the last user turn carries tool results.
    #[serde(alias = "replyAfterTool")]
    pub reply_after_tool: Option<String>,
    /// Tool calls to make (after the reply text, if any) when the last user turn has no
    /// tool results.
    #[serde(alias = "toolUses")]
    pub tool_uses: Option<Vec<ScriptedToolUse>>,
    /// Exact reasoning text (only emitted when thinking is enabled in the request).
    pub thinking: Option<String>,
    #[serde(deserialize_with = "opt_pacing_or_spec")]
    pub pacing: Option<Pacing>,
    #[serde(deserialize_with = "opt_faults_or_spec")]
    pub faults: Option<Faults>,
}

impl Rule {
    pub(crate) fn matches(&self, model_id: &str, last_user_text: &str) -> bool {
        let model_ok = self.model.as_deref().is_none_or(|m| model_id.contains(m));
        let prompt_ok = self
            .prompt_contains
            .as_deref()
            .is_none_or(|p| last_user_text.contains(p));
        model_ok && prompt_ok
    }
}

/// The rule fields that apply to one request, after merging all matching rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    pub reply: Option<String>,
    pub reply_after_tool: Option<String>,
    pub tool_uses: Option<Vec<ScriptedToolUse>>,
    pub thinking: Option<String>,
    pub pacing: Pacing,
    pub faults: Faults,
}

pub(crate) fn script_for(rules: &[Rule], model_id: &str, last_user_text: &str) -> Script {
    let mut s = Script::default();
    // Walk in reverse so earlier rules override later ones.
    for rule in rules
        .iter()
        .rev()
        .filter(|r| r.matches(model_id, last_user_text))
    {
        if rule.reply.is_some() {
            s.reply = rule.reply.clone();
        }
        if rule.reply_after_tool.is_some() {
            s.reply_after_tool = rule.reply_after_tool.clone();
        }
        if rule.tool_uses.is_some() {
            s.tool_uses = rule.tool_uses.clone();
        }
        if rule.thinking.is_some() {
            s.thinking = rule.thinking.clone();
        }
        if let Some(p) = &rule.pacing {
            s.pacing = s.pacing.merged(p);
        }
        if let Some(f) = &rule.faults {
            s.faults = s.faults.merged(f);
        }
    }
    s
}

// Pacing and faults may be given as objects or as spec strings (`"reset@3"`).
fn faults_or_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Faults, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    crate::admin::faults_from_value(v).map_err(serde::de::Error::custom)
}

fn pacing_or_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Pacing, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    crate::admin::pacing_from_value(v).map_err(serde::de::Error::custom)
}

fn opt_faults_or_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Faults>, D::Error> {
    faults_or_spec(d).map(Some)
}

fn opt_pacing_or_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Pacing>, D::Error> {
    pacing_or_spec(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_json_accepts_spec_strings() {
        let c = EmulatorConfig::from_json(serde_json::json!({
            "port": 0,
            "api_key": null,
            "faults": "reset@3",
            "pacing": {"tps": 40},
            "rules": [{"prompt_contains": "hi", "reply": "Hello.", "faults": "throttle"}]
        }))
        .unwrap();
        assert_eq!(c.faults.reset_after, Some(3));
        assert_eq!(c.pacing.tps, Some(40.0));
        assert_eq!(c.access_key_id, DEFAULT_ACCESS_KEY_ID);
        let s = script_for(&c.rules, "m", "oh hi there");
        assert_eq!(s.reply.as_deref(), Some("Hello."));
        assert_eq!(s.faults.error.as_deref(), Some("ThrottlingException"));
        assert!(script_for(&c.rules, "m", "bye").reply.is_none());
        assert!(EmulatorConfig::from_json(serde_json::json!({"faults": "explode"})).is_err());
    }
}
