//! Amazon Nova Sonic's bidirectional stream (InvokeModelWithBidirectionalStream) as plain
//! logic: the model table of the route, the input-event state machine the service enforces,
//! turn detection on the caller's audio and the scripted reply, scheduled on a clock the
//! transport passes in (`now_ms`, milliseconds since the stream started).
//!
//! Event shapes: "Handling input/output events with the bidirectional API"
//! (https://docs.aws.amazon.com/nova/latest/nova2-userguide/sonic-input-events.html,
//! https://docs.aws.amazon.com/nova/latest/nova2-userguide/sonic-output-events.html). The error
//! texts below are the emulator's own wording (the service's are not documented).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, OnceLock};

use base64::Engine;
use serde_json::{json, Value};

use crate::config::spec::{stream_exception_message, stream_exception_type};
use crate::config::{script_for, Faults, Pacing, Rule, SonicSettings};
use crate::error::AwsError;
use crate::state::{lock, State};

use super::prepare::Rejection;

/// A Nova Sonic model the route knows.
#[derive(Debug)]
pub struct SonicModel {
    pub id: String,
    /// Past its end of life: 404 ResourceNotFoundException.
    pub eol: bool,
    /// Regions it runs in; in-Region only (no geographic or global profile).
    pub regions: Vec<String>,
    /// Takes text input from the user (`textInput` in an interactive USER content).
    pub text_input: bool,
    /// Takes `turnDetectionConfiguration.endpointingSensitivity`.
    pub endpointing: bool,
}

/// The speech-to-speech models of the emulator's table (`data/models.json`, rows with
/// `speech`, each with its sources; `catalog_agreement` checks them against the library's
/// catalog).
pub fn models() -> &'static [SonicModel] {
    static MODELS: OnceLock<Vec<SonicModel>> = OnceLock::new();
    MODELS.get_or_init(|| {
        crate::catalog::table()
            .iter()
            .filter_map(|m| {
                let sp = m.speech.as_ref()?;
                Some(SonicModel {
                    id: m.id.clone(),
                    eol: m.lifecycle == crate::catalog::Lifecycle::Eol,
                    regions: sp.regions.clone(),
                    text_input: sp.text_input,
                    endpointing: sp.endpointing,
                })
            })
            .collect()
    })
}

/// Used for ids given in `extra_models`: no region or lifecycle rules.
pub fn extra_model() -> &'static SonicModel {
    static EXTRA: OnceLock<SonicModel> = OnceLock::new();
    EXTRA.get_or_init(|| SonicModel {
        id: "extra".to_string(),
        eol: false,
        regions: Vec::new(),
        text_input: true,
        endpointing: true,
    })
}

/// Resolves the path's model id for this route. `region` is the SigV4 scope's region (None when
/// signatures are not checked).
pub fn check_model(
    model_id: &str,
    region: Option<&str>,
    extra: &[String],
) -> Result<&'static SonicModel, AwsError> {
    if extra.iter().any(|e| e == model_id) {
        return Ok(extra_model());
    }
    let base = match model_id.strip_prefix("arn:") {
        Some(rest) => {
            // arn:aws:bedrock:REGION::foundation-model/ID
            let mut parts = rest.splitn(5, ':');
            let (_partition, service, arn_region, _account, resource) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            );
            match (
                service,
                resource.and_then(|r| r.strip_prefix("foundation-model/")),
            ) {
                (Some("bedrock"), Some(id)) => {
                    if let (Some(a), Some(r)) = (arn_region, region) {
                        if a != r {
                            return Err(AwsError::invalid_model());
                        }
                    }
                    id
                }
                _ => return Err(AwsError::invalid_model()),
            }
        }
        None => model_id,
    };
    let Some(model) = models().iter().find(|m| m.id == base) else {
        if crate::catalog::target(model_id, extra).is_some() {
            return Err(AwsError::validation(
                "This action doesn't support the model that you provided. Try again with a supported model.",
            ));
        }
        return Err(AwsError::invalid_model());
    };
    if model.eol {
        return Err(AwsError::end_of_life());
    }
    if let Some(r) = region {
        if !model.regions.iter().any(|x| x == r) {
            return Err(AwsError::invalid_model());
        }
    }
    Ok(model)
}

/// Faults and pacing for one bidirectional stream (instance, then rules matching the model,
/// then the request's `x-emulator-fault` / `x-emulator-pacing` headers), or the error that
/// answers it before the stream starts (injected error, throttle share).
pub fn stream_settings(
    state: &State,
    model_id: &str,
    headers: &http::HeaderMap,
) -> Result<(Faults, Pacing), Rejection> {
    let headers = super::prepare::RequestHeaders(headers);
    let rules = lock(&state.rules).clone();
    let script = script_for(&rules, model_id, "");
    let (faults, pacing) = super::prepare::request_settings(state, &script, &headers)?;
    // A session counts as one request; its tokens are not known before it starts.
    super::prepare::throttle_above(state, &faults, model_id, &headers, 0, 0)?;
    Ok((faults, pacing))
}

/// One output of the session, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// An output event (`{"event": {...}}`).
    Event(Value),
    /// A rule's fault for this turn: an exception frame of this type ends the stream.
    Exception { kind: &'static str, message: String },
}

/// A protocol violation: answered with a `validationException` frame that ends the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

fn violation<T>(msg: impl Into<String>) -> Result<T, Violation> {
    Err(Violation(msg.into()))
}

/// Most text one content may carry (system prompt, history message, text input, tool result).
const MAX_TEXT: usize = 1 << 20;
/// Most input contents open at once (each holds its text until contentEnd).
const MAX_OPEN_CONTENTS: usize = 64;
/// Longest piece of the caller's text the default reply repeats.
const MAX_ECHO_CHARS: usize = 200;
const OUTPUT_RATES: &[u64] = &[8000, 16000, 24000];
const INPUT_RATES: &[u64] = &[8000, 16000, 24000];
const ROLES: &[&str] = &["SYSTEM", "USER", "ASSISTANT", "TOOL", "SYSTEM_SPEECH"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Audio,
    Text,
    Tool,
}

#[derive(Debug)]
struct InputContent {
    kind: Kind,
    role: String,
    interactive: bool,
    text: String,
    tool_use_id: Option<String>,
    sample_rate: u64,
}

#[derive(Debug)]
struct Prompt {
    name: String,
    out_rate: u64,
    tools: Vec<String>,
}

#[derive(Debug)]
struct Scheduled {
    at_ms: u64,
    completion: u64,
    event: Value,
    /// Set on a turn's injected exception (then `event` is null).
    exception: Option<(&'static str, String)>,
    /// An `audioOutput` whose PCM (this many samples at this rate) is synthesized when it
    /// goes out, so a long reply never sits in memory and a barge-in drops it unmade.
    audio: Option<(usize, u64)>,
}

/// A reply waiting for tool results.
#[derive(Debug)]
struct ToolWait {
    completion: u64,
    ids: HashSet<String>,
    results: Vec<String>,
    reply_after_tool: Option<String>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tokens {
    speech_in: u64,
    text_in: u64,
    speech_out: u64,
    text_out: u64,
}

/// The emulated model's side of one bidirectional stream.
pub struct Session {
    model: &'static SonicModel,
    model_id: String,
    settings: SonicSettings,
    rules: Vec<Rule>,
    first_token_ms: u64,
    session_id: String,
    started: bool,
    ended: bool,
    prompt: Option<Prompt>,
    prompt_ended: bool,
    contents: HashMap<String, InputContent>,
    interactive_seen: bool,
    silence_factor: f64,
    // Turn detection on the caller's audio.
    voiced_ms: f64,
    silent_ms: f64,
    last_voiced_at: Option<u64>,
    turn_audio_ms: f64,
    turns: u64,
    // Output.
    queue: VecDeque<Scheduled>,
    completions: u64,
    audio_open: Option<(u64, String)>,
    tool_wait: Option<ToolWait>,
    total: Tokens,
    /// Totals at the last usageEvent (its `delta` is the difference).
    reported: Tokens,
    /// Samples of the tone played so far (its position in [`tone_second`]).
    tone_pos: usize,
}

/// One second of the 440 Hz reply tone at `rate` (440 whole periods, so it loops without a
/// click), computed once per rate: synthesis is then a table lookup per sample, not a `sin`,
/// so 100 sessions speaking at once leave the shared cores to the client being measured.
fn tone_second(rate: u64) -> &'static [u8] {
    static TABLES: Mutex<Vec<(u64, &'static [u8])>> = Mutex::new(Vec::new());
    let mut tables = TABLES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, t)) = tables.iter().find(|(r, _)| *r == rate) {
        return t;
    }
    let n = rate.clamp(1, 192_000) as usize;
    let table: Vec<u8> = (0..n)
        .map(|i| ((440.0 * i as f64 / n as f64).fract() * std::f64::consts::TAU).sin() * 3000.0)
        .flat_map(|v| (v as i16).to_le_bytes())
        .collect();
    let table: &'static [u8] = Box::leak(table.into_boxed_slice());
    // Rates are the few the protocol allows; the list stays tiny.
    tables.push((rate, table));
    table
}

fn uuid_like(seed: &str, n: u64) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("{seed}:{n}").as_bytes());
    let h = hex::encode(&d[..16]);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn str_field<'a>(v: &'a Value, event: &str, key: &str) -> Result<&'a str, Violation> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => violation(format!("{event}.{key} must not be empty")),
        Some(_) => violation(format!("{event}.{key} must be a string")),
        None => violation(format!("{event}.{key} is required")),
    }
}

fn check_lpcm(v: &Value, what: &str, rates: &[u64], voice: bool) -> Result<u64, Violation> {
    let Some(cfg) = v.get(what) else {
        return violation(format!("{what} is required"));
    };
    let media = cfg.get("mediaType").and_then(Value::as_str);
    if media != Some("audio/lpcm") {
        return violation(format!("{what}.mediaType must be audio/lpcm"));
    }
    let rate = cfg.get("sampleRateHertz").and_then(Value::as_u64);
    let Some(rate) = rate.filter(|r| rates.contains(r)) else {
        return violation(format!(
            "{what}.sampleRateHertz must be one of {rates:?}, got {}",
            cfg.get("sampleRateHertz").unwrap_or(&Value::Null)
        ));
    };
    if cfg.get("sampleSizeBits").and_then(Value::as_u64) != Some(16) {
        return violation(format!("{what}.sampleSizeBits must be 16"));
    }
    if cfg.get("channelCount").and_then(Value::as_u64) != Some(1) {
        return violation(format!("{what}.channelCount must be 1"));
    }
    if let Some(enc) = cfg.get("encoding") {
        if enc.as_str() != Some("base64") {
            return violation(format!("{what}.encoding must be base64"));
        }
    }
    if voice {
        match cfg.get("voiceId") {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => return violation(format!("{what}.voiceId is required")),
        }
    }
    Ok(rate)
}

fn check_unit(v: &Value, key: &str, max: f64) -> Result<(), Violation> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(x) => match x.as_f64() {
            Some(f) if (0.0..=max).contains(&f) => Ok(()),
            _ => violation(format!(
                "inferenceConfiguration.{key} must be a number in [0, {max}]"
            )),
        },
    }
}

impl Session {
    pub fn new(
        model: &'static SonicModel,
        model_id: &str,
        settings: SonicSettings,
        rules: Vec<Rule>,
        first_token_ms: u64,
        seed: &str,
    ) -> Session {
        Session {
            model,
            model_id: model_id.to_string(),
            settings,
            rules,
            first_token_ms,
            session_id: uuid_like(seed, 0),
            started: false,
            ended: false,
            prompt: None,
            prompt_ended: false,
            contents: HashMap::new(),
            interactive_seen: false,
            silence_factor: 1.0,
            voiced_ms: 0.0,
            silent_ms: 0.0,
            last_voiced_at: None,
            turn_audio_ms: 0.0,
            turns: 0,
            queue: VecDeque::new(),
            completions: 0,
            audio_open: None,
            tool_wait: None,
            total: Tokens::default(),
            reported: Tokens::default(),
            tone_pos: 0,
        }
    }

    /// sessionEnd was received and every scheduled output went out.
    pub fn finished(&self) -> bool {
        self.ended && self.queue.is_empty()
    }

    /// The model is "speaking": its audio content has started and not ended.
    pub fn speaking(&self) -> bool {
        self.audio_open.is_some()
    }

    /// When [`Session::due`] has something to do next.
    pub fn next_wakeup(&self) -> Option<u64> {
        let out = self.queue.front().map(|s| s.at_ms);
        let silence = self.silence_deadline();
        match (out, silence) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn turn_silence_ms(&self) -> f64 {
        self.settings.turn_silence_ms as f64 * self.silence_factor
    }

    fn silence_deadline(&self) -> Option<u64> {
        if self.voiced_ms < self.settings.min_speech_ms as f64 {
            return None;
        }
        self.last_voiced_at
            .map(|t| t + self.turn_silence_ms().ceil() as u64)
    }

    /// Outputs due at `now_ms`, in order (also ends a turn on wall-clock silence).
    pub fn due(&mut self, now_ms: u64) -> Vec<Out> {
        if self.silence_deadline().is_some_and(|d| d <= now_ms) {
            self.end_audio_turn(now_ms);
        }
        let mut out = Vec::new();
        while self.queue.front().is_some_and(|s| s.at_ms <= now_ms) {
            let Some(mut s) = self.queue.pop_front() else {
                break;
            };
            if let Some((samples, rate)) = s.audio {
                let pcm = self.synth(samples, rate);
                let b64 = base64::engine::general_purpose::STANDARD.encode(pcm);
                if let Some(chunk) = s.event.get_mut("audioOutput") {
                    chunk["content"] = json!(b64);
                }
            }
            if let Some((kind, message)) = s.exception {
                self.queue.clear();
                out.push(Out::Exception { kind, message });
                break;
            }
            if let Some(start) = s.event.get("contentStart") {
                if start.get("type").and_then(Value::as_str) == Some("AUDIO") {
                    let id = start["contentId"].as_str().unwrap_or("").to_string();
                    self.audio_open = Some((s.completion, id));
                }
            }
            if let Some(end) = s.event.get("contentEnd") {
                if end.get("type").and_then(Value::as_str) == Some("AUDIO") {
                    self.audio_open = None;
                }
            }
            out.push(Out::Event(json!({ "event": s.event })));
        }
        out
    }

    /// Handles one input event (the JSON inside a `chunk`).
    pub fn on_event(&mut self, now_ms: u64, bytes: &[u8]) -> Result<(), Violation> {
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return violation("Invalid input event: the chunk is not valid JSON.");
        };
        let Some(Value::Object(event)) = v.get("event") else {
            return violation("Invalid input event: expected an object with an \"event\" member.");
        };
        if event.len() != 1 {
            return violation("Invalid input event: \"event\" must have exactly one member.");
        }
        let Some((name, body)) = event.iter().next() else {
            return violation("Invalid input event: empty event.");
        };
        if self.ended {
            return violation(format!("Received {name} after sessionEnd."));
        }
        if !self.started && name != "sessionStart" {
            return violation(format!(
                "sessionStart must be the first event of the stream; received {name}."
            ));
        }
        match name.as_str() {
            "sessionStart" => self.session_start(body),
            "promptStart" => self.prompt_start(body),
            "contentStart" => self.content_start(body),
            "audioInput" => self.audio_input(now_ms, body),
            "textInput" => self.text_input(body),
            "toolResult" => self.tool_result(body),
            "contentEnd" => self.content_end(now_ms, body),
            "promptEnd" => self.prompt_end(body),
            "sessionEnd" => {
                self.ended = true;
                Ok(())
            }
            other => violation(format!("Unknown input event {other}.")),
        }
    }

    fn session_start(&mut self, body: &Value) -> Result<(), Violation> {
        if self.started {
            return violation("sessionStart was already received.");
        }
        if let Some(cfg) = body.get("inferenceConfiguration") {
            if let Some(m) = cfg.get("maxTokens") {
                if m.as_u64().is_none_or(|m| m == 0) {
                    return violation(
                        "inferenceConfiguration.maxTokens must be a positive integer",
                    );
                }
            }
            check_unit(cfg, "topP", 1.0)?;
            check_unit(cfg, "temperature", 1.0)?;
        }
        if let Some(td) = body.get("turnDetectionConfiguration") {
            if !self.model.endpointing {
                return violation("turnDetectionConfiguration is not supported by this model.");
            }
            self.silence_factor = match td.get("endpointingSensitivity").and_then(Value::as_str) {
                Some("HIGH") => 0.5,
                Some("MEDIUM") => 1.0,
                Some("LOW") => 1.5,
                _ => return violation(
                    "turnDetectionConfiguration.endpointingSensitivity must be HIGH, MEDIUM or LOW",
                ),
            };
        }
        self.started = true;
        Ok(())
    }

    fn prompt_start(&mut self, body: &Value) -> Result<(), Violation> {
        if self.prompt.is_some() && !self.prompt_ended {
            return violation("promptStart received while a prompt is active.");
        }
        let name = str_field(body, "promptStart", "promptName")?.to_string();
        let out_rate = check_lpcm(body, "audioOutputConfiguration", OUTPUT_RATES, true)?;
        let mut tools = Vec::new();
        if let Some(cfg) = body.get("toolConfiguration") {
            let Some(list) = cfg.get("tools").and_then(Value::as_array) else {
                return violation("toolConfiguration.tools must be a list");
            };
            for t in list {
                let spec = t.get("toolSpec").unwrap_or(&Value::Null);
                let name = str_field(spec, "toolSpec", "name")?;
                let schema = spec.get("inputSchema").and_then(|s| s.get("json"));
                match schema.and_then(Value::as_str) {
                    Some(s) if serde_json::from_str::<Value>(s).is_ok_and(|v| v.is_object()) => {}
                    _ => {
                        return violation(format!(
                            "toolSpec {name}: inputSchema.json must be a JSON object encoded as a string"
                        ))
                    }
                }
                tools.push(name.to_string());
            }
        }
        self.prompt = Some(Prompt {
            name,
            out_rate,
            tools,
        });
        self.prompt_ended = false;
        Ok(())
    }

    fn active_prompt(&self, body: &Value, event: &str) -> Result<(), Violation> {
        let name = str_field(body, event, "promptName")?;
        match &self.prompt {
            None => violation(format!("{event} received before promptStart.")),
            Some(_) if self.prompt_ended => violation(format!("{event} received after promptEnd.")),
            Some(p) if p.name != name => violation(format!("{event}: unknown promptName {name}.")),
            Some(_) => Ok(()),
        }
    }

    fn content_start(&mut self, body: &Value) -> Result<(), Violation> {
        self.active_prompt(body, "contentStart")?;
        let name = str_field(body, "contentStart", "contentName")?.to_string();
        if self.contents.contains_key(&name) {
            return violation(format!("contentStart: content {name} is already open."));
        }
        if self.contents.len() >= MAX_OPEN_CONTENTS {
            return violation(format!(
                "contentStart: more than {MAX_OPEN_CONTENTS} contents are open."
            ));
        }
        let role = str_field(body, "contentStart", "role")?.to_string();
        if !ROLES.contains(&role.as_str()) {
            return violation(format!("contentStart: unknown role {role}."));
        }
        let interactive = body
            .get("interactive")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let kind = match str_field(body, "contentStart", "type")? {
            "AUDIO" => Kind::Audio,
            "TEXT" => Kind::Text,
            "TOOL" => Kind::Tool,
            other => return violation(format!("contentStart: unknown type {other}.")),
        };
        let mut sample_rate = 0;
        let mut tool_use_id = None;
        match kind {
            Kind::Audio => {
                if role != "USER" {
                    return violation("contentStart: AUDIO content must have role USER.");
                }
                sample_rate = check_lpcm(body, "audioInputConfiguration", INPUT_RATES, false)?;
                if self.contents.values().any(|c| c.kind == Kind::Audio) {
                    return violation("contentStart: an audio content is already open.");
                }
                self.interactive_seen = true;
            }
            Kind::Text => {
                if let Some(cfg) = body.get("textInputConfiguration") {
                    if cfg.get("mediaType").and_then(Value::as_str) != Some("text/plain") {
                        return violation("textInputConfiguration.mediaType must be text/plain");
                    }
                }
                match role.as_str() {
                    "SYSTEM" if self.interactive_seen => {
                        return violation(
                            "The system prompt must come before any interactive content.",
                        )
                    }
                    "USER" if interactive => {
                        if !self.model.text_input {
                            return violation("This model does not support text input.");
                        }
                        self.interactive_seen = true;
                    }
                    "USER" | "ASSISTANT" if self.interactive_seen => {
                        return violation(
                            "Conversation history must come before any interactive content.",
                        )
                    }
                    "TOOL" => {
                        return violation("contentStart: TEXT content cannot have role TOOL.")
                    }
                    _ => {}
                }
            }
            Kind::Tool => {
                if role != "TOOL" {
                    return violation("contentStart: TOOL content must have role TOOL.");
                }
                let cfg = body
                    .get("toolResultInputConfiguration")
                    .unwrap_or(&Value::Null);
                let id = str_field(cfg, "toolResultInputConfiguration", "toolUseId")?;
                let known = self.tool_wait.as_ref().is_some_and(|w| w.ids.contains(id));
                if !known {
                    return violation(format!(
                        "toolResultInputConfiguration: unknown toolUseId {id}."
                    ));
                }
                tool_use_id = Some(id.to_string());
            }
        }
        self.contents.insert(
            name,
            InputContent {
                kind,
                role,
                interactive,
                text: String::new(),
                tool_use_id,
                sample_rate,
            },
        );
        Ok(())
    }

    fn open_content(
        &mut self,
        body: &Value,
        event: &str,
        kind: Kind,
    ) -> Result<&mut InputContent, Violation> {
        self.active_prompt(body, event)?;
        let name = str_field(body, event, "contentName")?;
        match self.contents.get_mut(name) {
            None => violation(format!("{event}: unknown contentName {name}.")),
            Some(c) if c.kind != kind => violation(format!(
                "{event} does not match the type of content {name}."
            )),
            Some(c) => Ok(c),
        }
    }

    fn audio_input(&mut self, now_ms: u64, body: &Value) -> Result<(), Violation> {
        let content = self.open_content(body, "audioInput", Kind::Audio)?;
        let rate = content.sample_rate;
        let Some(b64) = body.get("content").and_then(Value::as_str) else {
            return violation("audioInput.content must be a base64 string");
        };
        let Ok(pcm) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return violation("audioInput.content is not valid base64");
        };
        if pcm.len() % 2 != 0 {
            return violation("audioInput.content must hold whole 16-bit samples");
        }
        let samples = pcm.len() / 2;
        if samples == 0 {
            return Ok(());
        }
        let sum: f64 = pcm
            .chunks_exact(2)
            .map(|c| {
                let s = i16::from_le_bytes([c[0], c[1]]) as f64;
                s * s
            })
            .sum();
        let rms = (sum / samples as f64).sqrt();
        let ms = samples as f64 * 1000.0 / rate as f64;
        self.turn_audio_ms += ms;
        self.total.speech_in += (ms / 40.0).ceil() as u64;
        if rms >= self.settings.speech_threshold as f64 {
            self.voiced_ms += ms;
            self.silent_ms = 0.0;
            self.last_voiced_at = Some(now_ms);
            if self.speaking() && self.voiced_ms >= self.settings.min_speech_ms as f64 {
                self.barge_in(now_ms);
            }
        } else if self.voiced_ms > 0.0 {
            self.silent_ms += ms;
            if self.voiced_ms >= self.settings.min_speech_ms as f64
                && self.silent_ms >= self.turn_silence_ms()
            {
                self.end_audio_turn(now_ms);
            }
        }
        Ok(())
    }

    fn text_input(&mut self, body: &Value) -> Result<(), Violation> {
        let content = self.open_content(body, "textInput", Kind::Text)?;
        let Some(text) = body.get("content").and_then(Value::as_str) else {
            return violation("textInput.content must be a string");
        };
        if content.text.len() + text.len() > MAX_TEXT {
            return violation("textInput content is too long.");
        }
        content.text.push_str(text);
        Ok(())
    }

    fn tool_result(&mut self, body: &Value) -> Result<(), Violation> {
        let content = self.open_content(body, "toolResult", Kind::Tool)?;
        let Some(text) = body.get("content").and_then(Value::as_str) else {
            return violation("toolResult.content must be a string");
        };
        if content.text.len() + text.len() > MAX_TEXT {
            return violation("toolResult content is too long.");
        }
        content.text.push_str(text);
        Ok(())
    }

    fn content_end(&mut self, now_ms: u64, body: &Value) -> Result<(), Violation> {
        self.active_prompt(body, "contentEnd")?;
        let name = str_field(body, "contentEnd", "contentName")?;
        let Some(content) = self.contents.remove(name) else {
            return violation(format!("contentEnd: unknown contentName {name}."));
        };
        match content.kind {
            Kind::Audio => {
                if self.voiced_ms >= self.settings.min_speech_ms as f64 {
                    self.end_audio_turn(now_ms);
                } else {
                    self.reset_listening();
                }
            }
            Kind::Text => {
                self.total.text_in += crate::request::tokens(&content.text);
                if content.role == "USER" && content.interactive {
                    self.start_reply(now_ms, &content.text, None);
                }
            }
            Kind::Tool => {
                let id = content.tool_use_id.unwrap_or_default();
                self.total.text_in += crate::request::tokens(&content.text);
                let done = match self.tool_wait.as_mut() {
                    Some(w) => {
                        w.ids.remove(&id);
                        w.results.push(content.text);
                        w.ids.is_empty()
                    }
                    None => false,
                };
                if done {
                    if let Some(w) = self.tool_wait.take() {
                        let text = w.reply_after_tool.unwrap_or_else(|| {
                            let joined = w.results.join(" ");
                            let short: String = joined.chars().take(120).collect();
                            format!("The tool returned {short}.")
                        });
                        let at = now_ms + self.first_token_ms;
                        self.speak(at, w.completion, &text);
                    }
                }
            }
        }
        Ok(())
    }

    fn prompt_end(&mut self, body: &Value) -> Result<(), Violation> {
        self.active_prompt(body, "promptEnd")?;
        self.prompt_ended = true;
        self.contents.clear();
        Ok(())
    }

    fn reset_listening(&mut self) {
        self.voiced_ms = 0.0;
        self.silent_ms = 0.0;
        self.last_voiced_at = None;
        self.turn_audio_ms = 0.0;
    }

    /// The caller finished speaking: transcribe (scripted) and answer.
    fn end_audio_turn(&mut self, now_ms: u64) {
        if self.ended {
            // No new turn after sessionEnd.
            self.reset_listening();
            return;
        }
        let heard_ms = self.voiced_ms;
        self.reset_listening();
        self.turns += 1;
        let transcript = self
            .rules
            .iter()
            .find(|r| {
                r.transcript.is_some()
                    && r.model.as_deref().is_none_or(|m| self.model_id.contains(m))
            })
            .and_then(|r| r.transcript.clone())
            .unwrap_or_else(|| format!("(caller speech {:.0} ms)", heard_ms));
        self.start_reply(now_ms, &transcript.clone(), Some(transcript));
    }

    fn ids(&self, completion: u64) -> (String, String, String) {
        let prompt = self.prompt.as_ref().map_or("", |p| p.name.as_str());
        (
            self.session_id.clone(),
            prompt.to_string(),
            uuid_like(&self.session_id, completion * 1000),
        )
    }

    fn push(&mut self, at_ms: u64, completion: u64, name: &str, mut body: Value) {
        let (session, prompt, completion_id) = self.ids(completion);
        if let Value::Object(m) = &mut body {
            m.insert("sessionId".into(), json!(session));
            m.insert("promptName".into(), json!(prompt));
            m.insert("completionId".into(), json!(completion_id));
        }
        self.queue.push_back(Scheduled {
            at_ms,
            completion,
            event: json!({ name: body }),
            exception: None,
            audio: None,
        });
    }

    fn content_id(&mut self, completion: u64, n: &mut u64) -> String {
        *n += 1;
        uuid_like(&self.session_id, completion * 1000 + *n)
    }

    fn text_content(
        &mut self,
        at: u64,
        completion: u64,
        (role, stage): (&str, &str),
        text: &str,
        stop: &str,
        n: &mut u64,
    ) {
        let id = self.content_id(completion, n);
        let fields = json!({ "generationStage": stage }).to_string();
        self.push(
            at,
            completion,
            "contentStart",
            json!({"contentId": id, "type": "TEXT", "role": role,
                   "additionalModelFields": fields,
                   "textOutputConfiguration": {"mediaType": "text/plain"}}),
        );
        self.push(
            at,
            completion,
            "textOutput",
            json!({"contentId": id, "content": text, "role": role}),
        );
        self.push(
            at,
            completion,
            "contentEnd",
            json!({"contentId": id, "type": "TEXT", "stopReason": stop}),
        );
    }

    /// Schedules a completion answering `user_text`; `transcript` is reported as the
    /// caller's ASR transcript (audio turns).
    fn start_reply(&mut self, now_ms: u64, user_text: &str, transcript: Option<String>) {
        if self.tool_wait.is_some() {
            // The model is waiting for a tool result; the caller's words join the next reply.
            return;
        }
        self.completions += 1;
        let completion = self.completions;
        let script = script_for(&self.rules, &self.model_id, user_text);
        // Rules that match this turn's words (model-only rules already applied to the whole
        // stream): their pacing delays this reply (`first_token_ms`, over the stream's), and
        // their faults end the stream with an exception right after completionStart.
        let turn_rules: Vec<Rule> = self
            .rules
            .iter()
            .filter(|r| r.prompt_contains.is_some())
            .cloned()
            .collect();
        let turn = script_for(&turn_rules, &self.model_id, user_text);
        let delay = turn.pacing.first_token_ms.unwrap_or(self.first_token_ms);
        let at = now_ms + delay;
        self.push(at, completion, "completionStart", json!({}));
        let mut n = 0;
        if let Some(t) = &transcript {
            self.text_content(at, completion, ("USER", "FINAL"), t, "END_TURN", &mut n);
        }
        let turn_faults = turn.faults;
        let injected = turn_faults
            .exception
            .as_deref()
            .or(turn_faults.error.as_deref())
            .and_then(stream_exception_type);
        if let Some(kind) = injected {
            let message = turn_faults
                .error_message
                .clone()
                .unwrap_or_else(|| stream_exception_message(kind).to_string());
            self.queue.push_back(Scheduled {
                at_ms: at,
                completion,
                event: Value::Null,
                exception: Some((kind, message)),
                audio: None,
            });
            return;
        }
        let offered: Vec<String> = self
            .prompt
            .as_ref()
            .map(|p| p.tools.clone())
            .unwrap_or_default();
        let calls: Vec<_> = script
            .tool_uses
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| offered.contains(&t.name))
            .collect();
        if !calls.is_empty() {
            let mut ids = HashSet::new();
            for (i, call) in calls.iter().enumerate() {
                let id = self.content_id(completion, &mut n);
                let tool_use_id = call.id.clone().unwrap_or_else(|| {
                    uuid_like(&self.session_id, completion * 1000 + 500 + i as u64)
                });
                self.push(
                    at,
                    completion,
                    "contentStart",
                    json!({"contentId": id, "type": "TOOL", "role": "TOOL",
                           "toolUseOutputConfiguration": {"mediaType": "application/json"}}),
                );
                self.push(
                    at,
                    completion,
                    "toolUse",
                    json!({"contentId": id, "content": call.input.to_string(),
                           "toolName": call.name, "toolUseId": tool_use_id}),
                );
                self.push(
                    at,
                    completion,
                    "contentEnd",
                    json!({"contentId": id, "type": "TOOL", "stopReason": "TOOL_USE"}),
                );
                self.total.text_out += crate::request::tokens(&call.input.to_string());
                ids.insert(tool_use_id);
            }
            self.tool_wait = Some(ToolWait {
                completion,
                ids,
                results: Vec::new(),
                reply_after_tool: script.reply_after_tool.clone(),
            });
            return;
        }
        let reply = script.reply.clone().unwrap_or_else(|| {
            // Bounded: the reply's audio length follows its text.
            let heard: String = user_text.chars().take(MAX_ECHO_CHARS).collect();
            format!("You said: {heard}")
        });
        self.speak(at, completion, &reply);
    }

    /// Speculative text, the audio, the final text, usage and completionEnd.
    fn speak(&mut self, at: u64, completion: u64, text: &str) {
        let mut n = 100;
        self.text_content(
            at,
            completion,
            ("ASSISTANT", "SPECULATIVE"),
            text,
            "PARTIAL_TURN",
            &mut n,
        );
        let audio_id = self.content_id(completion, &mut n);
        let rate = self.prompt.as_ref().map_or(24_000, |p| p.out_rate);
        self.push(
            at,
            completion,
            "contentStart",
            json!({"contentId": audio_id, "type": "AUDIO", "role": "ASSISTANT",
                   "audioOutputConfiguration": {"mediaType": "audio/lpcm",
                     "sampleRateHertz": rate, "sampleSizeBits": 16, "channelCount": 1,
                     "encoding": "base64", "audioType": "SPEECH"}}),
        );
        let total_ms = text.chars().count() as u64 * self.settings.ms_per_char;
        let total_samples = (rate * total_ms / 1000) as usize;
        let chunk_samples = ((rate * self.settings.audio_chunk_ms / 1000) as usize).max(1);
        let step = self.settings.audio_chunk_ms as f64 / self.settings.speed;
        let mut sent = 0usize;
        let mut t = at as f64;
        while sent < total_samples {
            let n_samples = chunk_samples.min(total_samples - sent);
            self.push(
                t as u64,
                completion,
                "audioOutput",
                json!({"contentId": audio_id, "content": "", "role": "ASSISTANT"}),
            );
            if let Some(last) = self.queue.back_mut() {
                last.audio = Some((n_samples, rate));
            }
            sent += n_samples;
            t += step * n_samples as f64 / chunk_samples as f64;
        }
        let end = t as u64;
        self.push(
            end,
            completion,
            "contentEnd",
            json!({"contentId": audio_id, "type": "AUDIO", "stopReason": "END_TURN"}),
        );
        self.text_content(
            end,
            completion,
            ("ASSISTANT", "FINAL"),
            text,
            "END_TURN",
            &mut n,
        );
        self.total.speech_out += total_ms / 40;
        self.total.text_out += crate::request::tokens(text);
        self.finish_completion(end, completion, "END_TURN");
    }

    fn finish_completion(&mut self, at: u64, completion: u64, stop: &str) {
        let (t, r) = (self.total, self.reported);
        self.reported = t;
        let usage = json!({
            "details": {
                "delta": {
                    "input": {"speechTokens": t.speech_in - r.speech_in,
                              "textTokens": t.text_in - r.text_in},
                    "output": {"speechTokens": t.speech_out - r.speech_out,
                               "textTokens": t.text_out - r.text_out}
                },
                "total": {
                    "input": {"speechTokens": t.speech_in, "textTokens": t.text_in},
                    "output": {"speechTokens": t.speech_out, "textTokens": t.text_out}
                }
            },
            "totalInputTokens": t.speech_in + t.text_in,
            "totalOutputTokens": t.speech_out + t.text_out,
            "totalTokens": t.speech_in + t.text_in + t.speech_out + t.text_out,
        });
        self.push(at, completion, "usageEvent", usage);
        self.push(
            at,
            completion,
            "completionEnd",
            json!({ "stopReason": stop }),
        );
    }

    /// 16-bit little-endian mono PCM: a 440 Hz tone (phase kept across chunks) or silence.
    fn synth(&mut self, samples: usize, rate: u64) -> Vec<u8> {
        if !self.settings.tone {
            return vec![0; samples * 2];
        }
        let table = tone_second(rate);
        let mut out = Vec::with_capacity(samples * 2);
        let mut left = samples * 2;
        while left > 0 {
            let at = (self.tone_pos * 2) % table.len();
            let take = left.min(table.len() - at);
            out.extend_from_slice(&table[at..at + take]);
            left -= take;
            self.tone_pos = (at + take) % table.len() / 2;
        }
        out
    }

    /// The caller spoke over the model: its audio content ends INTERRUPTED and the rest of
    /// the completion is dropped.
    fn barge_in(&mut self, now_ms: u64) {
        let Some((completion, audio_id)) = self.audio_open.take() else {
            return;
        };
        self.queue.retain(|s| s.completion != completion);
        // The interruption goes out before any completion queued behind this one.
        let queued = self.queue.len();
        self.push(
            now_ms,
            completion,
            "contentEnd",
            json!({"contentId": audio_id, "type": "AUDIO", "stopReason": "INTERRUPTED"}),
        );
        let mut n = 900;
        self.text_content(
            now_ms,
            completion,
            ("ASSISTANT", "FINAL"),
            "{ \"interrupted\" : true }",
            "INTERRUPTED",
            &mut n,
        );
        self.finish_completion(now_ms, completion, "INTERRUPTED");
        let added = self.queue.len() - queued;
        self.queue.rotate_right(added);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(v: Value) -> Vec<u8> {
        json!({ "event": v }).to_string().into_bytes()
    }

    fn session() -> Session {
        let settings = SonicSettings {
            speed: 10.0,
            ..SonicSettings::default()
        };
        let nova2 = models()
            .iter()
            .find(|m| m.id == "amazon.nova-2-sonic-v1:0")
            .unwrap();
        Session::new(nova2, &nova2.id, settings, Vec::new(), 0, "t")
    }

    fn start(s: &mut Session) {
        s.on_event(0, &ev(json!({"sessionStart": {}}))).unwrap();
        s.on_event(
            0,
            &ev(json!({"promptStart": {"promptName": "p",
                "audioOutputConfiguration": {"mediaType": "audio/lpcm", "sampleRateHertz": 24000,
                  "sampleSizeBits": 16, "channelCount": 1, "voiceId": "matthew", "encoding": "base64"}}})),
        )
        .unwrap();
    }

    #[test]
    fn model_rules() {
        assert!(check_model("amazon.nova-2-sonic-v1:0", Some("us-east-1"), &[]).is_ok());
        let e = check_model("amazon.nova-2-sonic-v1:0", Some("eu-west-1"), &[]).unwrap_err();
        assert_eq!(e.status, 400);
        let e = check_model("us.amazon.nova-2-sonic-v1:0", None, &[]).unwrap_err();
        assert_eq!(e.message, AwsError::invalid_model().message);
        let e = check_model("amazon.nova-sonic-v1:0", Some("us-east-1"), &[]).unwrap_err();
        assert_eq!(e.status, 404);
        let e = check_model("anthropic.claude-3-haiku-20240307-v1:0", None, &[]).unwrap_err();
        assert!(
            e.message.contains("doesn't support the model"),
            "{}",
            e.message
        );
    }

    #[test]
    fn order_is_enforced() {
        let mut s = session();
        let e = s.on_event(0, &ev(json!({"promptStart": {"promptName": "p"}})));
        assert!(e.unwrap_err().0.contains("sessionStart must be the first"));
        let mut s = session();
        s.on_event(0, &ev(json!({"sessionStart": {}}))).unwrap();
        let e = s
            .on_event(
                0,
                &ev(json!({"audioInput": {"promptName": "p", "contentName": "a", "content": ""}})),
            )
            .unwrap_err();
        assert!(e.0.contains("before promptStart"), "{e:?}");
        let mut s = session();
        start(&mut s);
        let e = s
            .on_event(
                0,
                &ev(json!({"textInput": {"promptName": "x", "contentName": "a", "content": "hi"}})),
            )
            .unwrap_err();
        assert!(e.0.contains("unknown promptName"), "{e:?}");
        let e = s.on_event(0, b"{not json").unwrap_err();
        assert!(e.0.contains("not valid JSON"));
    }

    #[test]
    fn text_turn_is_answered_in_order() {
        let mut s = session();
        start(&mut s);
        for e in [
            json!({"contentStart": {"promptName": "p", "contentName": "t", "type": "TEXT",
                    "role": "USER", "interactive": true,
                    "textInputConfiguration": {"mediaType": "text/plain"}}}),
            json!({"textInput": {"promptName": "p", "contentName": "t", "content": "hello"}}),
            json!({"contentEnd": {"promptName": "p", "contentName": "t"}}),
        ] {
            s.on_event(0, &ev(e)).unwrap();
        }
        let mut names = Vec::new();
        let mut now = 0;
        while let Some(t) = s.next_wakeup() {
            now = now.max(t);
            for e in s.due(now) {
                let Out::Event(e) = e else { panic!("{e:?}") };
                let obj = e["event"].as_object().unwrap();
                names.push(obj.keys().next().unwrap().clone());
            }
        }
        assert_eq!(names.first().unwrap(), "completionStart");
        assert_eq!(names.last().unwrap(), "completionEnd");
        assert!(names.iter().any(|n| n == "audioOutput"));
        assert!(names.iter().any(|n| n == "usageEvent"));
        // "You said: hello" = 15 chars * 60 ms = 900 ms of audio in 40 ms chunks.
        assert_eq!(names.iter().filter(|n| *n == "audioOutput").count(), 23);
    }

    /// Times (ms) at which a text turn's completionStart goes out.
    fn completion_start_at(s: &mut Session, now: u64, text: &str, name: &str) -> u64 {
        for e in [
            json!({"contentStart": {"promptName": "p", "contentName": name, "type": "TEXT",
                    "role": "USER", "interactive": true,
                    "textInputConfiguration": {"mediaType": "text/plain"}}}),
            json!({"textInput": {"promptName": "p", "contentName": name, "content": text}}),
            json!({"contentEnd": {"promptName": "p", "contentName": name}}),
        ] {
            s.on_event(now, &ev(e)).unwrap();
        }
        let mut t = now;
        loop {
            let next = s.next_wakeup().expect("a reply is scheduled");
            t = t.max(next);
            let out = s.due(t);
            if out
                .iter()
                .any(|o| matches!(o, Out::Event(e) if e["event"].get("completionStart").is_some()))
            {
                let start = t;
                // Let the rest of the reply go out.
                while let Some(next) = s.next_wakeup() {
                    t = t.max(next);
                    s.due(t);
                }
                return start;
            }
        }
    }

    /// A rule's pacing with `prompt_contains` applies to the turn whose words match: its
    /// `first_token_ms` delays that reply only (the stream's pacing is chosen before any
    /// words are heard).
    #[test]
    fn a_rule_paces_the_turn_it_matches() {
        let rules = vec![Rule {
            prompt_contains: Some("slowly".into()),
            pacing: Some(Pacing {
                first_token_ms: Some(700),
                ..Pacing::default()
            }),
            ..Rule::default()
        }];
        let nova2 = models()
            .iter()
            .find(|m| m.id == "amazon.nova-2-sonic-v1:0")
            .unwrap();
        let settings = SonicSettings {
            speed: 10.0,
            ..SonicSettings::default()
        };
        let mut s = Session::new(nova2, &nova2.id, settings, rules, 20, "t");
        start(&mut s);
        assert_eq!(completion_start_at(&mut s, 0, "hello", "t1"), 20);
        let t = 10_000;
        assert_eq!(
            completion_start_at(&mut s, t, "answer slowly", "t2"),
            t + 700
        );
        let t = 20_000;
        assert_eq!(completion_start_at(&mut s, t, "and now fast", "t3"), t + 20);
    }

    fn audio(voiced: bool, ms: usize) -> Vec<u8> {
        let pcm: Vec<u8> = (0..ms * 16)
            .flat_map(|i| {
                let v = if voiced {
                    ((i as f64 * 0.3).sin() * 6000.0) as i16
                } else {
                    0
                };
                v.to_le_bytes()
            })
            .collect();
        ev(json!({"audioInput": {"promptName": "p", "contentName": "a",
            "content": base64::engine::general_purpose::STANDARD.encode(pcm)}}))
    }

    fn open_audio(s: &mut Session) {
        s.on_event(
            0,
            &ev(
                json!({"contentStart": {"promptName": "p", "contentName": "a", "type": "AUDIO",
                "interactive": true, "role": "USER", "audioInputConfiguration": {
                "mediaType": "audio/lpcm", "sampleRateHertz": 16000, "sampleSizeBits": 16,
                "channelCount": 1, "encoding": "base64"}}}),
            ),
        )
        .unwrap();
    }

    #[test]
    fn wall_clock_silence_ends_the_turn_scaled_by_sensitivity() {
        for (sensitivity, silence) in [("HIGH", 300), ("MEDIUM", 600), ("LOW", 900)] {
            let mut s = session();
            s.on_event(
                0,
                &ev(json!({"sessionStart": {"turnDetectionConfiguration":
                    {"endpointingSensitivity": sensitivity}}})),
            )
            .unwrap();
            s.on_event(
                0,
                &ev(json!({"promptStart": {"promptName": "p",
                    "audioOutputConfiguration": {"mediaType": "audio/lpcm", "sampleRateHertz": 24000,
                      "sampleSizeBits": 16, "channelCount": 1, "voiceId": "matthew"}}})),
            )
            .unwrap();
            open_audio(&mut s);
            // 200 ms of speech at t = 1000 ms, then the caller sends nothing.
            s.on_event(1000, &audio(true, 200)).unwrap();
            assert_eq!(s.next_wakeup(), Some(1000 + silence));
            assert!(s.due(1000 + silence - 1).is_empty(), "{sensitivity}");
            let out = s.due(1000 + silence);
            assert!(
                matches!(&out[0], Out::Event(e) if e["event"].get("completionStart").is_some()),
                "{sensitivity}: {out:?}"
            );
        }
    }

    #[test]
    fn short_noise_is_not_a_turn_and_silence_alone_is_not_speech() {
        let mut s = session();
        start(&mut s);
        open_audio(&mut s);
        s.on_event(0, &audio(false, 2000)).unwrap();
        s.on_event(0, &audio(true, 40)).unwrap(); // under min_speech_ms (100)
        s.on_event(0, &audio(false, 2000)).unwrap();
        assert_eq!(s.next_wakeup(), None);
        assert!(s.due(10_000).is_empty());
        let e = s.on_event(0, &ev(json!({"sessionStart": {}}))).unwrap_err();
        assert!(e.0.contains("already"), "{e:?}");
    }

    #[test]
    fn barge_in_goes_out_before_a_queued_completion() {
        let mut s = session();
        start(&mut s);
        let text_turn = |s: &mut Session, name: &str, now: u64| {
            for e in [
                json!({"contentStart": {"promptName": "p", "contentName": name, "type": "TEXT",
                        "role": "USER", "interactive": true}}),
                json!({"textInput": {"promptName": "p", "contentName": name, "content": "hello"}}),
                json!({"contentEnd": {"promptName": "p", "contentName": name}}),
            ] {
                s.on_event(now, &ev(e)).unwrap();
            }
        };
        text_turn(&mut s, "t1", 0);
        let first = s.due(0);
        assert!(s.speaking(), "{first:?}");
        text_turn(&mut s, "t2", 1); // queued behind the first completion
        open_audio(&mut s);
        s.on_event(2, &audio(true, 200)).unwrap();
        let names: Vec<String> = s
            .due(2)
            .into_iter()
            .map(|o| match o {
                Out::Event(e) => e["event"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .next()
                    .unwrap()
                    .clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names[..7],
            [
                "contentEnd",
                "contentStart",
                "textOutput",
                "contentEnd",
                "usageEvent",
                "completionEnd",
                "completionStart"
            ]
        );
    }
}
