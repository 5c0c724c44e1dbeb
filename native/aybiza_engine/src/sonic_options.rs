//! Nova Sonic session options: the speech-to-speech models, their regions and audio formats,
//! and the caller's options decoded and validated before any network.
//!
//! Model facts (ids, regions, lifecycle, text input, turn detection, sample rates, prices)
//! come from the catalog (`native/aybiza_core/data/models.json`, entries served on the
//! `bidirectional` api, each with its sources): one source of truth for the library, and the
//! emulator's table is checked against it (`catalog_agreement`).

use crate::sonic_protocol::{Inference, PromptSetup, Role, ToolSpec};
use aybiza_core::catalog::{self, spec::today_utc, LifecycleState, ModelSpec};
use aybiza_core::error::{Error, ErrorKind};
use serde_json::Value;
use std::time::Duration;

/// One speech-to-speech model, as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SonicModel {
    pub id: String,
    pub regions: Vec<String>,
    /// `textInput` from the user (typed text mixed into the conversation).
    pub text_input: bool,
    /// `turnDetectionConfiguration.endpointingSensitivity`.
    pub endpointing: bool,
    pub input_rates: Vec<u32>,
    pub output_rates: Vec<u32>,
}

/// The default model of a session.
pub const NOVA_2_SONIC: &str = "amazon.nova-2-sonic-v1:0";

/// Every speech-to-speech model of the (global) catalog.
pub fn models() -> Vec<ModelSpec> {
    catalog::catalog()
        .models
        .iter()
        .filter(|m| m.is_speech())
        .cloned()
        .collect()
}

/// The model of `id` (any id form the catalog resolves: versioned, unversioned, alias), or a
/// clear error: unknown, a text model, end of life.
pub fn model(id: &str, today: &str) -> Result<SonicModel, Error> {
    let cat = catalog::catalog();
    let known = || {
        let ids: Vec<String> = cat
            .models
            .iter()
            .filter(|m| m.is_speech())
            .map(|m| m.id.clone())
            .collect();
        ids.join(", ")
    };
    let Some(spec) = cat.model(id) else {
        return Err(Error::new(
            ErrorKind::UnknownModel,
            format!(
                "{:?} is not a Nova Sonic speech-to-speech model (known: {}); sessions take \
                 an in-Region base id, not an inference profile or ARN",
                truncate(id, 80),
                known()
            ),
        ));
    };
    let Some(speech) = &spec.speech else {
        return Err(Error::new(
            ErrorKind::InvalidRequest,
            format!(
                "{} is a text model (served on {}): a Sonic session needs a speech-to-speech \
                 model ({})",
                spec.id,
                spec.apis
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                known()
            ),
        ));
    };
    if spec.lifecycle_state(today) == LifecycleState::Eol {
        return Err(Error::new(
            ErrorKind::ModelEndOfLife,
            format!(
                "{} reached end of life on Bedrock{}; use {}",
                spec.id,
                spec.lifecycle
                    .eol_date
                    .as_deref()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default(),
                spec.lifecycle
                    .replacement
                    .as_deref()
                    .unwrap_or("a newer model")
            ),
        ));
    }
    Ok(SonicModel {
        id: spec.id.clone(),
        regions: spec.regions.clone(),
        text_input: speech.text_input,
        endpointing: speech.endpointing,
        input_rates: speech.input_rates.clone(),
        output_rates: speech.output_rates.clone(),
    })
}

/// The limits a session's inputs are held to (before the network).
pub const MAX_SYSTEM_PROMPT_BYTES: usize = 100_000;
pub const MAX_HISTORY_MESSAGES: usize = 200;
pub const MAX_HISTORY_BYTES: usize = 200_000;
pub const MAX_TOOLS: usize = 64;
pub const MAX_TEXT_INPUT_BYTES: usize = 16_000;
pub const MAX_TOOL_RESULT_BYTES: usize = 256_000;
/// The largest `send_audio` frame: one second at the input rate (frames are ~32 ms).
pub fn max_frame_bytes(input_rate: u32) -> usize {
    input_rate as usize * 2
}

/// A validated session configuration.
#[derive(Debug, Clone)]
pub struct SonicOptions {
    pub model: SonicModel,
    pub setup: PromptSetup,
    pub input_rate: u32,
    pub system_prompt: Option<String>,
    pub history: Vec<(Role, String)>,
    /// Open a new connection (carrying the conversation) this long after the last one opened.
    pub reconnect_after: Duration,
    /// After the caller ends a turn (or sends text or a tool result), the model must start
    /// speaking within this time.
    pub response_timeout: Duration,
    /// Commands (`send_audio` frames and others) queued before `send_audio` says `overloaded`.
    pub input_queue: usize,
    /// How long `close/1` waits for the model to finish the stream after `sessionEnd`.
    pub close_timeout: Duration,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidRequest, message)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn get_u64(v: &Value, key: &str, default: u64, min: u64, max: u64) -> Result<u64, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => match x.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(format!("{key} must be an integer from {min} to {max}"))),
        },
    }
}

fn get_f64(v: &Value, key: &str, default: f64, min: f64, max: f64) -> Result<f64, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => match x.as_f64() {
            Some(n) if n >= min && n <= max => Ok(n),
            _ => Err(bad(format!("{key} must be a number from {min} to {max}"))),
        },
    }
}

fn get_str<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("{key} must be a string"))),
    }
}

/// A voice id: lowercase ASCII letters, digits, `_` or `-`, at most 32 (e.g. `matthew`,
/// `tiffany`, `amy`). Nova 2 Sonic's full voice list is not confirmed, so the service has
/// the last word on which ids exist.
fn valid_voice(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Decodes the session options (a JSON object from the caller) for a client in `region`.
pub fn decode_options(v: &Value, region: &str) -> Result<SonicOptions, Error> {
    decode_options_on(v, region, &today_utc())
}

pub fn decode_options_on(v: &Value, region: &str, today: &str) -> Result<SonicOptions, Error> {
    if !v.is_object() {
        return Err(bad("session options must be a map"));
    }
    let model_id = get_str(v, "model")?.unwrap_or(NOVA_2_SONIC);
    let model = model(model_id, today)?;
    if !model.regions.iter().any(|r| r == region) {
        return Err(Error::new(
            ErrorKind::InvalidRegion,
            format!(
                "{} is not served in {region} (in-Region only: {})",
                model.id,
                model.regions.join(", ")
            ),
        ));
    }
    let voice = get_str(v, "voice")?.unwrap_or("matthew");
    if !valid_voice(voice) {
        return Err(bad(
            "voice must be a voice id such as \"matthew\" (lowercase letters, digits, _ or -)",
        ));
    }
    let input_rate = get_u64(v, "input_sample_rate", 16_000, 0, u64::from(u32::MAX))? as u32;
    if !model.input_rates.contains(&input_rate) {
        return Err(bad(format!(
            "input_sample_rate must be one of {:?} for {} (16-bit mono PCM)",
            model.input_rates, model.id
        )));
    }
    let output_rate = get_u64(v, "output_sample_rate", 24_000, 0, u64::from(u32::MAX))? as u32;
    if !model.output_rates.contains(&output_rate) {
        return Err(bad(format!(
            "output_sample_rate must be one of {:?} for {}",
            model.output_rates, model.id
        )));
    }
    let system_prompt = get_str(v, "system_prompt")?.map(str::to_string);
    if let Some(p) = &system_prompt {
        if p.len() > MAX_SYSTEM_PROMPT_BYTES {
            return Err(bad(format!(
                "system_prompt is longer than {MAX_SYSTEM_PROMPT_BYTES} bytes"
            )));
        }
    }
    let history = decode_history(v.get("history"))?;
    let tools = decode_tools(v.get("tools"))?;
    let inference = match v.get("inference") {
        None | Some(Value::Null) => Inference::default(),
        Some(i @ Value::Object(_)) => Inference {
            max_tokens: get_u64(i, "max_tokens", 1024, 1, 64_000)? as u32,
            top_p: get_f64(i, "top_p", 0.9, 0.0, 1.0)?,
            temperature: get_f64(i, "temperature", 0.7, 0.0, 1.0)?,
        },
        Some(_) => return Err(bad("inference must be a map")),
    };
    let endpointing = match get_str(v, "endpointing_sensitivity")? {
        None => None,
        Some(s) => {
            let up = s.to_ascii_uppercase();
            if !["HIGH", "MEDIUM", "LOW"].contains(&up.as_str()) {
                return Err(bad(
                    "endpointing_sensitivity must be :high, :medium or :low",
                ));
            }
            if !model.endpointing {
                return Err(bad(format!(
                    "{} has no turn-detection setting (endpointing_sensitivity is Nova 2 Sonic's)",
                    model.id
                )));
            }
            Some(up)
        }
    };
    let ms = |key: &str, default: u64, min: u64, max: u64| -> Result<Duration, Error> {
        Ok(Duration::from_millis(get_u64(v, key, default, min, max)?))
    };
    Ok(SonicOptions {
        model,
        setup: PromptSetup {
            inference,
            endpointing_sensitivity: endpointing,
            voice_id: voice.to_string(),
            output_rate,
            tools,
        },
        input_rate,
        system_prompt,
        history,
        // The service closes a connection after about 8 minutes: renew at 7.
        reconnect_after: ms("reconnect_after_ms", 420_000, 50, 470_000)?,
        response_timeout: ms("response_timeout_ms", 15_000, 10, 600_000)?,
        input_queue: get_u64(v, "input_queue", 128, 4, 10_000)? as usize,
        close_timeout: ms("close_timeout_ms", 2_000, 0, 60_000)?,
    })
}

fn decode_history(v: Option<&Value>) -> Result<Vec<(Role, String)>, Error> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(bad(
                "history must be a list of %{role: :user | :assistant, text: text}",
            ))
        }
    };
    if list.len() > MAX_HISTORY_MESSAGES {
        return Err(bad(format!(
            "history has more than {MAX_HISTORY_MESSAGES} messages"
        )));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut bytes = 0;
    for (i, m) in list.iter().enumerate() {
        let role = match m.get("role").and_then(Value::as_str) {
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            _ => {
                return Err(bad(format!(
                    "history[{i}].role must be :user or :assistant"
                )))
            }
        };
        let Some(text) = m.get("text").and_then(Value::as_str) else {
            return Err(bad(format!("history[{i}].text must be a string")));
        };
        bytes += text.len();
        if bytes > MAX_HISTORY_BYTES {
            return Err(bad(format!(
                "history is longer than {MAX_HISTORY_BYTES} bytes"
            )));
        }
        if !text.trim().is_empty() {
            out.push((role, text.to_string()));
        }
    }
    Ok(out)
}

fn decode_tools(v: Option<&Value>) -> Result<Vec<ToolSpec>, Error> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad("tools must be a list")),
    };
    if list.len() > MAX_TOOLS {
        return Err(bad(format!("more than {MAX_TOOLS} tools")));
    }
    let mut names = std::collections::HashSet::new();
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let name = t.get("name").and_then(Value::as_str).unwrap_or("");
            let ok_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok_name {
                return Err(bad(format!(
                    "tools[{i}].name must be 1 to 64 letters, digits, _ or -"
                )));
            }
            if !names.insert(name.to_string()) {
                return Err(bad(format!("tools[{i}].name {name:?} is given twice")));
            }
            let description = t.get("description").and_then(Value::as_str).unwrap_or("");
            if description.is_empty() || description.len() > 4096 {
                return Err(bad(format!(
                    "tools[{i}].description must be 1 to 4096 bytes"
                )));
            }
            let schema = t.get("input_schema").cloned().unwrap_or(Value::Null);
            if !schema.is_object() {
                return Err(bad(format!("tools[{i}].input_schema must be a map")));
            }
            Ok(ToolSpec {
                name: name.to_string(),
                description: description.to_string(),
                input_schema: schema,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TODAY: &str = "2026-12-04";

    #[test]
    fn defaults_are_nova_2_sonic_16k_in_24k_out() {
        let o = decode_options_on(&json!({}), "us-east-1", TODAY).unwrap();
        assert_eq!(o.model.id, NOVA_2_SONIC);
        assert_eq!((o.input_rate, o.setup.output_rate), (16_000, 24_000));
        assert_eq!(o.setup.voice_id, "matthew");
        assert_eq!(o.reconnect_after, Duration::from_secs(420));
    }

    #[test]
    fn sonic_v1_is_end_of_life_and_regions_are_checked() {
        let e = decode_options_on(
            &json!({"model": "amazon.nova-sonic-v1:0"}),
            "us-east-1",
            TODAY,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ModelEndOfLife);
        assert!(e.message.contains(NOVA_2_SONIC), "{}", e.message);
        assert!(e.message.contains("2026-09-14"), "{}", e.message);
        let e = decode_options_on(&json!({}), "eu-west-1", TODAY).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRegion);
        // A text model is refused with what it is; an unknown id or a profile id is unknown.
        let e = decode_options_on(
            &json!({"model": "amazon.nova-pro-v1:0"}),
            "us-east-1",
            TODAY,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(e.message.contains("text model"), "{}", e.message);
        for id in ["amazon.nova-9-sonic", "us.amazon.nova-2-sonic-v1:0"] {
            let e = decode_options_on(&json!({ "model": id }), "us-east-1", TODAY).unwrap_err();
            assert_eq!(e.kind, ErrorKind::UnknownModel, "{id}");
        }
    }

    /// Every speech model of the catalog is accepted where the catalog says it runs, with
    /// the catalog's capabilities: the session reads its facts from there.
    #[test]
    fn model_facts_come_from_the_catalog() {
        let speech = models();
        assert!(speech.len() >= 2, "{speech:?}");
        for spec in &speech {
            let sp = spec.speech.as_ref().unwrap();
            let eol = spec.lifecycle_state(TODAY) == aybiza_core::catalog::LifecycleState::Eol;
            for region in &spec.regions {
                let r = decode_options_on(&json!({ "model": spec.id }), region, TODAY);
                if eol {
                    assert_eq!(
                        r.unwrap_err().kind,
                        ErrorKind::ModelEndOfLife,
                        "{}",
                        spec.id
                    );
                    continue;
                }
                let o = r.unwrap();
                assert_eq!(o.model.text_input, sp.text_input);
                assert_eq!(o.model.endpointing, sp.endpointing);
                assert_eq!(o.model.input_rates, sp.input_rates);
            }
        }
        // Aliases resolve through the catalog too.
        let o = decode_options_on(&json!({"model": "nova-2-sonic"}), "us-west-2", TODAY).unwrap();
        assert_eq!(o.model.id, NOVA_2_SONIC);
        let o = decode_options_on(
            &json!({"model": "amazon.nova-2-5-sonic"}),
            "eu-north-1",
            TODAY,
        )
        .unwrap();
        assert!(o.model.text_input);
    }

    #[test]
    fn bad_options_are_refused() {
        for (opts, needle) in [
            (json!({"input_sample_rate": 44_100}), "input_sample_rate"),
            (json!({"output_sample_rate": 48_000}), "output_sample_rate"),
            (json!({"voice": "Matthew!"}), "voice"),
            (
                json!({"history": [{"role": "system", "text": "x"}]}),
                "history[0].role",
            ),
            (json!({"history": "x"}), "history"),
            (
                json!({"tools": [{"name": "a b", "description": "d", "input_schema": {}}]}),
                "tools[0].name",
            ),
            (
                json!({"tools": [{"name": "a", "description": "d", "input_schema": 1}]}),
                "input_schema",
            ),
            (json!({"inference": {"temperature": 2}}), "temperature"),
            (json!({"endpointing_sensitivity": "extreme"}), "endpointing"),
            (json!({"reconnect_after_ms": 900_000}), "reconnect_after_ms"),
            (json!({"system_prompt": 5}), "system_prompt"),
        ] {
            let e = decode_options_on(&opts, "us-east-1", TODAY).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{opts}");
            assert!(e.message.contains(needle), "{opts}: {}", e.message);
        }
        let o = decode_options_on(
            &json!({"endpointing_sensitivity": "high", "history": [{"role": "user", "text": "hi"}],
                    "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}]}),
            "us-west-2",
            TODAY,
        )
        .unwrap();
        assert_eq!(o.setup.endpointing_sensitivity.as_deref(), Some("HIGH"));
        assert_eq!(o.history, vec![(Role::User, "hi".to_string())]);
        assert_eq!(o.setup.tools.len(), 1);
    }
}
