//! Configuration: instance settings, pacing, faults and scripted-reply rules.
//!
//! Every struct deserializes from JSON (snake_case keys, camelCase accepted as aliases) so the
//! same shapes travel from Elixir (via the NIF), from the binary's flags and from the admin
//! endpoints.

use serde::{Deserialize, Serialize};

pub mod settings;
pub mod sonic_settings;
pub mod spec;

pub use settings::{strip_nulls, Faults, Pacing, RateLimit, RateScope};
pub use sonic_settings::SonicSettings;
pub use spec::{faults_from_value, pacing_from_value};

/// Default test credentials (the AWS documentation example keys).
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Credentials an instance accepts (long-term key, optional API key, and the temporary
/// credentials it issued).
#[derive(Debug, Clone)]
pub struct Auth {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub api_key: Option<String>,
    /// Temporary credentials issued by this instance: their key id is accepted only with
    /// their session token, and any `x-amz-security-token` other than this one is rejected.
    pub temporary: Option<TemporaryCredentials>,
}

/// Temporary credentials (as STS issues them): key id, secret and session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

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
    /// Extra model ids accepted besides the built-in list (no catalog rules apply).
    #[serde(alias = "extraModels")]
    pub extra_models: Vec<String>,
    /// The Nova Sonic bidirectional route: connection limit, turn detection, reply audio.
    pub sonic: SonicSettings,
    /// Also serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN) on a second port, with a CA and
    /// certificate generated at start (see `EmulatorHandle::ca_pem`).
    pub tls: bool,
    /// Port of the TLS listener; 0 picks a free port.
    #[serde(alias = "tlsPort")]
    pub tls_port: u16,
    /// Extra DNS names / IPs in the TLS certificate (besides localhost, 127.0.0.1, ::1).
    #[serde(alias = "tlsNames")]
    pub tls_names: Vec<String>,
    /// Guardrails that exist in this "account": a Converse request naming any other
    /// guardrail (or version) is rejected as Bedrock does.
    pub guardrails: Vec<GuardrailSpec>,
    /// Application inference profiles that exist in this "account" (what
    /// CreateInferenceProfile would have made): served by GetInferenceProfile /
    /// ListInferenceProfiles and invocable by their ARN with their source model's rules.
    /// Checked against the catalog when the server starts.
    #[serde(alias = "applicationProfiles")]
    pub application_profiles: Vec<ApplicationProfileSpec>,
    /// Paced streams without faults wait for one shared clock of this period (ms) instead of
    /// a timer each: every stream due in a tick is woken in one pass (cheaper per event; a
    /// pause ends on the first tick boundary at or after its exact end). 0 (the default): a
    /// tokio timer per stream (tokio's timers themselves round up to 1 ms). At most
    /// [`MAX_PACING_TICK_MS`] (checked when the server starts).
    #[serde(alias = "pacingTickMs")]
    pub pacing_tick_ms: u64,
}

/// An application inference profile: CreateInferenceProfile's `inferenceProfileName` and
/// `modelSource.copyFrom`, and the id Bedrock gave it (the last part of its ARN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationProfileSpec {
    pub id: String,
    pub name: String,
    /// A foundation model id or ARN, or a system-defined inference profile id or ARN, of the
    /// emulator's catalog.
    #[serde(alias = "copyFrom", alias = "copy_from", alias = "modelSource")]
    pub model_source: String,
}

/// A guardrail (CreateGuardrail's id, versions and blocked messages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardrailSpec {
    pub id: String,
    /// Published versions; `DRAFT` always exists. Default `["1"]`.
    pub versions: Vec<String>,
    /// The answer when the guardrail blocks the prompt.
    #[serde(alias = "blockedInputMessaging")]
    pub blocked_input_messaging: String,
    /// The answer when the guardrail blocks the model's output.
    #[serde(alias = "blockedOutputsMessaging")]
    pub blocked_outputs_messaging: String,
}

/// Bedrock's default blocked message (the console's default for a new guardrail).
pub const DEFAULT_BLOCKED_MESSAGING: &str = "Sorry, the model cannot answer this question.";

impl Default for GuardrailSpec {
    fn default() -> Self {
        GuardrailSpec {
            id: String::new(),
            versions: vec!["1".to_string()],
            blocked_input_messaging: DEFAULT_BLOCKED_MESSAGING.to_string(),
            blocked_outputs_messaging: DEFAULT_BLOCKED_MESSAGING.to_string(),
        }
    }
}

impl GuardrailSpec {
    /// Whether `version` of this guardrail exists.
    pub fn has_version(&self, version: &str) -> bool {
        version == "DRAFT" || self.versions.iter().any(|v| v == version)
    }
}

/// Where a scripted guardrail intervenes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardrailSource {
    /// The prompt is blocked: the model is not invoked.
    #[default]
    Input,
    /// The model's answer is blocked.
    Output,
}

/// A rule's guardrail intervention: applies when the request carries a guardrail (this
/// one, when `id` is set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardrailRule {
    pub on: GuardrailSource,
    /// Only for requests with this guardrail id (any guardrail when unset).
    pub id: Option<String>,
    /// Name of the denied topic reported in the trace. Default "Blocked topic".
    pub topic: Option<String>,
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
            sonic: SonicSettings::default(),
            tls: false,
            tls_port: 0,
            tls_names: Vec::new(),
            guardrails: Vec::new(),
            application_profiles: Vec::new(),
            pacing_tick_ms: 0,
        }
    }
}

/// The largest `pacing_tick_ms` (the CLI's bound): every paced event may wait up to one tick.
pub const MAX_PACING_TICK_MS: u64 = 1000;

impl EmulatorConfig {
    /// Parses a JSON value (e.g. converted from an Elixir term). Null fields keep defaults.
    pub fn from_json(value: serde_json::Value) -> Result<Self, String> {
        let config: EmulatorConfig = serde_json::from_value(strip_nulls(value))
            .map_err(|e| format!("invalid emulator config: {e}"))?;
        config.sonic.validate()?;
        Ok(config)
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
    /// Nova Sonic: what the caller "said" in an audio turn (the USER transcript). Matched by
    /// `model` only, since the audio has no text to match `prompt_contains` against; the
    /// turn's other fields are then chosen with this transcript as the prompt.
    pub transcript: Option<String>,

    /// Exact reasoning text (only emitted when thinking is enabled in the request).
    pub thinking: Option<String>,
    /// What the model does with an assistant prefill (a final assistant turn): `continue`
    /// (the default) writes only what follows it; `restart` answers from the beginning
    /// as if there were no prefill (a model that repeats itself).
    pub prefill: Option<PrefillMode>,
    /// The request's guardrail intervenes (see [`GuardrailRule`]).
    pub guardrail: Option<GuardrailRule>,
    #[serde(deserialize_with = "opt_pacing_or_spec")]
    pub pacing: Option<Pacing>,
    #[serde(deserialize_with = "opt_faults_or_spec")]
    pub faults: Option<Faults>,
}

/// See [`Rule::prefill`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrefillMode {
    #[default]
    Continue,
    Restart,
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
    pub prefill: PrefillMode,
    pub guardrail: Option<GuardrailRule>,
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
        if let Some(mode) = rule.prefill {
            s.prefill = mode;
        }
        if rule.guardrail.is_some() {
            s.guardrail = rule.guardrail.clone();
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
    faults_from_value(v).map_err(serde::de::Error::custom)
}

fn pacing_or_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Pacing, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    pacing_from_value(v).map_err(serde::de::Error::custom)
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
