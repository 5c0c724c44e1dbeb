//! Nova Sonic's bidirectional-stream protocol as JSON: the input events the session sends
//! (built here, so the caller never writes them) and the output events it decodes.
//!
//! Shapes follow AWS's pages "Handling input events with the bidirectional API" and
//! "Handling output events with the bidirectional API"
//! (<https://docs.aws.amazon.com/nova/latest/nova2-userguide/sonic-input-events.html>,
//! <https://docs.aws.amazon.com/nova/latest/nova2-userguide/sonic-output-events.html>):
//! `sessionStart`, `promptStart` (output configuration, tools, `promptName`),
//! `contentStart` / `textInput` | `audioInput` | `toolResult` / `contentEnd`, `promptEnd`,
//! `sessionEnd`; every event after `sessionStart` names its prompt, every content event its
//! content. Pure functions: no I/O, no rustler types.

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::borrow::Cow;

/// A message role of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_wire(self) -> &'static str {
        match self {
            Role::System => "SYSTEM",
            Role::User => "USER",
            Role::Assistant => "ASSISTANT",
            Role::Tool => "TOOL",
        }
    }

    pub fn from_wire(s: &str) -> Option<Role> {
        Some(match s {
            "SYSTEM" | "SYSTEM_SPEECH" => Role::System,
            "USER" => Role::User,
            "ASSISTANT" => Role::Assistant,
            "TOOL" => Role::Tool,
            _ => return None,
        })
    }
}

/// A tool offered to the model (`toolSpec`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the input; sent as a JSON string, as the protocol wants.
    pub input_schema: Value,
}

/// `inferenceConfiguration` of `sessionStart`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inference {
    pub max_tokens: u32,
    pub top_p: f64,
    pub temperature: f64,
}

impl Default for Inference {
    fn default() -> Self {
        Inference {
            max_tokens: 1024,
            top_p: 0.9,
            temperature: 0.7,
        }
    }
}

/// What `promptStart` and `sessionStart` carry.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptSetup {
    pub inference: Inference,
    /// `HIGH` / `MEDIUM` / `LOW` (Nova 2 Sonic only).
    pub endpointing_sensitivity: Option<String>,
    pub voice_id: String,
    pub output_rate: u32,
    pub tools: Vec<ToolSpec>,
}

fn ev(name: &str, body: Value) -> Value {
    json!({ "event": { name: body } })
}

pub fn session_start(setup: &PromptSetup) -> Value {
    let mut body = json!({
        "inferenceConfiguration": {
            "maxTokens": setup.inference.max_tokens,
            "topP": setup.inference.top_p,
            "temperature": setup.inference.temperature,
        }
    });
    if let Some(s) = &setup.endpointing_sensitivity {
        body["turnDetectionConfiguration"] = json!({ "endpointingSensitivity": s });
    }
    ev("sessionStart", body)
}

pub fn prompt_start(prompt: &str, setup: &PromptSetup) -> Value {
    let mut body = json!({
        "promptName": prompt,
        "textOutputConfiguration": { "mediaType": "text/plain" },
        "audioOutputConfiguration": {
            "mediaType": "audio/lpcm",
            "sampleRateHertz": setup.output_rate,
            "sampleSizeBits": 16,
            "channelCount": 1,
            "voiceId": setup.voice_id,
            "encoding": "base64",
            "audioType": "SPEECH",
        },
    });
    if !setup.tools.is_empty() {
        let tools: Vec<Value> = setup
            .tools
            .iter()
            .map(|t| {
                json!({ "toolSpec": {
                    "name": t.name,
                    "description": t.description,
                    "inputSchema": { "json": t.input_schema.to_string() },
                }})
            })
            .collect();
        body["toolUseOutputConfiguration"] = json!({ "mediaType": "application/json" });
        body["toolConfiguration"] = json!({ "tools": tools });
    }
    ev("promptStart", body)
}

/// `contentStart` of a text block (system prompt, history, typed user input).
pub fn text_content_start(prompt: &str, content: &str, role: Role, interactive: bool) -> Value {
    ev(
        "contentStart",
        json!({
            "promptName": prompt,
            "contentName": content,
            "type": "TEXT",
            "interactive": interactive,
            "role": role.as_wire(),
            "textInputConfiguration": { "mediaType": "text/plain" },
        }),
    )
}

pub fn text_input(prompt: &str, content: &str, text: &str) -> Value {
    ev(
        "textInput",
        json!({ "promptName": prompt, "contentName": content, "content": text }),
    )
}

pub fn audio_content_start(prompt: &str, content: &str, input_rate: u32) -> Value {
    ev(
        "contentStart",
        json!({
            "promptName": prompt,
            "contentName": content,
            "type": "AUDIO",
            "interactive": true,
            "role": "USER",
            "audioInputConfiguration": {
                "mediaType": "audio/lpcm",
                "sampleRateHertz": input_rate,
                "sampleSizeBits": 16,
                "channelCount": 1,
                "audioType": "SPEECH",
                "encoding": "base64",
            },
        }),
    )
}

pub fn audio_input(prompt: &str, content: &str, pcm: &[u8]) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD.encode(pcm);
    ev(
        "audioInput",
        json!({ "promptName": prompt, "contentName": content, "content": b64 }),
    )
}

pub fn tool_content_start(prompt: &str, content: &str, tool_use_id: &str) -> Value {
    ev(
        "contentStart",
        json!({
            "promptName": prompt,
            "contentName": content,
            "interactive": false,
            "type": "TOOL",
            "role": "TOOL",
            "toolResultInputConfiguration": {
                "toolUseId": tool_use_id,
                "type": "TEXT",
                "textInputConfiguration": { "mediaType": "text/plain" },
            },
        }),
    )
}

pub fn tool_result(prompt: &str, content: &str, result: &str) -> Value {
    ev(
        "toolResult",
        json!({ "promptName": prompt, "contentName": content, "content": result }),
    )
}

pub fn content_end(prompt: &str, content: &str) -> Value {
    ev(
        "contentEnd",
        json!({ "promptName": prompt, "contentName": content }),
    )
}

pub fn prompt_end(prompt: &str) -> Value {
    ev("promptEnd", json!({ "promptName": prompt }))
}

pub fn session_end() -> Value {
    ev("sessionEnd", json!({}))
}

/// A text block's generation stage (`additionalModelFields.generationStage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Speculative,
    Final,
}

/// One decoded output event of the model. Unknown events decode to `Other`.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    CompletionStart,
    ContentStart {
        content_id: String,
        kind: String,
        role: Option<Role>,
        stage: Option<Stage>,
    },
    Text {
        content_id: String,
        role: Option<Role>,
        text: String,
    },
    /// The model noticed the caller speaking over it (v1 sends it as a text output).
    InterruptedText,
    Audio {
        content_id: String,
        pcm: Vec<u8>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ContentEnd {
        content_id: String,
        kind: String,
        stop_reason: Option<String>,
    },
    Usage(SonicUsage),
    CompletionEnd {
        stop_reason: Option<String>,
    },
    Other(String),
}

/// Cumulative token counts of one connection (`usageEvent`; the `details.total` numbers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SonicUsage {
    pub input_speech_tokens: u64,
    pub input_text_tokens: u64,
    pub output_speech_tokens: u64,
    pub output_text_tokens: u64,
    pub total_input_tokens: u64,
    pub total_output_tokens: u64,
    pub total_tokens: u64,
}

impl SonicUsage {
    pub fn add(&mut self, other: &SonicUsage) {
        self.input_speech_tokens += other.input_speech_tokens;
        self.input_text_tokens += other.input_text_tokens;
        self.output_speech_tokens += other.output_speech_tokens;
        self.output_text_tokens += other.output_text_tokens;
        self.total_input_tokens += other.total_input_tokens;
        self.total_output_tokens += other.total_output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// Why an output event could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, path: &str) -> u64 {
    v.pointer(path).and_then(Value::as_u64).unwrap_or(0)
}

/// Largest output event accepted (an audio chunk is a few tens of KB of base64).
pub const MAX_OUTPUT_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// Decodes one output payload (`{"event": {NAME: {...}}}`).
pub fn decode_output(bytes: &[u8]) -> Result<Output, DecodeError> {
    if bytes.len() > MAX_OUTPUT_EVENT_BYTES {
        return Err(DecodeError(format!(
            "an output event of {} bytes is larger than {MAX_OUTPUT_EVENT_BYTES}",
            bytes.len()
        )));
    }
    if let Some(audio) = decode_audio(bytes) {
        return Ok(audio);
    }
    decode_tree(bytes)
}

/// `{"event": {"audioOutput": {...}}}` read into borrowed fields.
#[derive(Deserialize)]
struct AudioEnvelope<'a> {
    #[serde(borrow)]
    event: AudioEvent<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AudioEvent<'a> {
    #[serde(rename = "audioOutput", borrow)]
    audio_output: AudioBody<'a>,
}

#[derive(Deserialize)]
struct AudioBody<'a> {
    #[serde(borrow)]
    content: Cow<'a, str>,
    #[serde(rename = "contentId", borrow, default)]
    content_id: Cow<'a, str>,
}

/// Nearly every output event of a reply is a chunk of audio: it is read into borrowed
/// fields (no JSON tree, no copy of its base64) and its base64 decoded once into the PCM.
/// `None` for any other event, or audio in a shape this reader does not take (an extra
/// member, content that is not a string or not base64), which [`decode_tree`] then
/// decodes (or refuses) as before.
fn decode_audio(bytes: &[u8]) -> Option<Output> {
    const NAME: &[u8] = b"\"audioOutput\"";
    // The event's name comes first; anything else skips the typed read at once.
    let head = &bytes[..bytes.len().min(64)];
    if !head.windows(NAME.len()).any(|w| w == NAME) {
        return None;
    }
    let audio = serde_json::from_slice::<AudioEnvelope>(bytes)
        .ok()?
        .event
        .audio_output;
    // Vectorised (AVX2 / SSE4.1 / scalar, chosen at run time); anything it refuses goes to
    // the tree decoder, whose `base64` crate error stays the one the caller sees.
    let pcm = base64_simd::STANDARD
        .decode_to_vec(audio.content.as_bytes())
        .ok()?;
    Some(Output::Audio {
        content_id: audio.content_id.into_owned(),
        pcm,
    })
}

/// Decodes any output event through a JSON tree (what [`decode_output`] did for audio too
/// before the typed reader; kept public so `examples/sonic_decode_cost.rs` compares both).
pub fn decode_tree(bytes: &[u8]) -> Result<Output, DecodeError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| DecodeError(format!("an output event is not JSON: {e}")))?;
    let Some(obj) = v.get("event").and_then(Value::as_object) else {
        return Err(DecodeError(
            "an output event has no \"event\" object".into(),
        ));
    };
    let Some((name, body)) = obj.iter().next() else {
        return Err(DecodeError("an output event is empty".into()));
    };
    let role = || Role::from_wire(s(body, "role"));
    Ok(match name.as_str() {
        "completionStart" => Output::CompletionStart,
        "contentStart" => {
            let stage = body
                .get("additionalModelFields")
                .and_then(Value::as_str)
                .and_then(|f| serde_json::from_str::<Value>(f).ok())
                .and_then(|f| {
                    f.get("generationStage")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .and_then(|st| match st.as_str() {
                    "SPECULATIVE" => Some(Stage::Speculative),
                    "FINAL" => Some(Stage::Final),
                    _ => None,
                });
            Output::ContentStart {
                content_id: s(body, "contentId").to_string(),
                kind: s(body, "type").to_string(),
                role: role(),
                stage,
            }
        }
        "textOutput" => {
            let text = s(body, "content");
            if is_interruption_text(text) {
                Output::InterruptedText
            } else {
                Output::Text {
                    content_id: s(body, "contentId").to_string(),
                    role: role(),
                    text: text.to_string(),
                }
            }
        }
        "audioOutput" => {
            let pcm = base64::engine::general_purpose::STANDARD
                .decode(s(body, "content"))
                .map_err(|_| DecodeError("an audioOutput content is not base64".into()))?;
            Output::Audio {
                content_id: s(body, "contentId").to_string(),
                pcm,
            }
        }
        "toolUse" => {
            let raw = s(body, "content");
            let input = if raw.trim().is_empty() {
                json!({})
            } else {
                serde_json::from_str(raw).unwrap_or_else(|_| json!({ "_raw": raw }))
            };
            Output::ToolUse {
                id: s(body, "toolUseId").to_string(),
                name: s(body, "toolName").to_string(),
                input,
            }
        }
        "contentEnd" => Output::ContentEnd {
            content_id: s(body, "contentId").to_string(),
            kind: s(body, "type").to_string(),
            stop_reason: body
                .get("stopReason")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        "usageEvent" => Output::Usage(SonicUsage {
            input_speech_tokens: n(body, "/details/total/input/speechTokens"),
            input_text_tokens: n(body, "/details/total/input/textTokens"),
            output_speech_tokens: n(body, "/details/total/output/speechTokens"),
            output_text_tokens: n(body, "/details/total/output/textTokens"),
            total_input_tokens: n(body, "/totalInputTokens"),
            total_output_tokens: n(body, "/totalOutputTokens"),
            total_tokens: n(body, "/totalTokens"),
        }),
        "completionEnd" => Output::CompletionEnd {
            stop_reason: body
                .get("stopReason")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        other => Output::Other(other.chars().take(64).collect()),
    })
}

/// `{ "interrupted" : true }` as a text output is Nova Sonic's barge-in notice.
fn is_interruption_text(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{')
        && t.len() < 64
        && serde_json::from_str::<Value>(t)
            .ok()
            .and_then(|v| v.get("interrupted").and_then(Value::as_bool))
            == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> PromptSetup {
        PromptSetup {
            inference: Inference::default(),
            endpointing_sensitivity: Some("MEDIUM".into()),
            voice_id: "matthew".into(),
            output_rate: 24_000,
            tools: vec![ToolSpec {
                name: "get_weather".into(),
                description: "Weather".into(),
                input_schema: json!({"type": "object"}),
            }],
        }
    }

    #[test]
    fn input_events_have_the_protocol_shape() {
        let st = session_start(&setup());
        assert_eq!(
            st.pointer("/event/sessionStart/inferenceConfiguration/maxTokens"),
            Some(&json!(1024))
        );
        assert_eq!(
            st.pointer("/event/sessionStart/turnDetectionConfiguration/endpointingSensitivity"),
            Some(&json!("MEDIUM"))
        );
        let ps = prompt_start("p1", &setup());
        let aoc = ps
            .pointer("/event/promptStart/audioOutputConfiguration")
            .unwrap();
        assert_eq!(aoc["sampleRateHertz"], 24_000);
        assert_eq!(aoc["voiceId"], "matthew");
        let schema = ps
            .pointer("/event/promptStart/toolConfiguration/tools/0/toolSpec/inputSchema/json")
            .and_then(Value::as_str)
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(schema).unwrap()["type"],
            "object"
        );
        let mut no_tools = setup();
        no_tools.tools.clear();
        no_tools.endpointing_sensitivity = None;
        assert!(prompt_start("p", &no_tools)
            .pointer("/event/promptStart/toolConfiguration")
            .is_none());
        assert!(session_start(&no_tools)
            .pointer("/event/sessionStart/turnDetectionConfiguration")
            .is_none());
        let a = audio_input("p", "c", &[1, 0, 2, 0]);
        assert_eq!(
            a.pointer("/event/audioInput/content"),
            Some(&json!("AQACAA=="))
        );
        let t = tool_content_start("p", "c", "tu-1");
        assert_eq!(
            t.pointer("/event/contentStart/toolResultInputConfiguration/toolUseId"),
            Some(&json!("tu-1"))
        );
        assert_eq!(t.pointer("/event/contentStart/role"), Some(&json!("TOOL")));
        let sys = text_content_start("p", "c", Role::System, false);
        assert_eq!(
            sys.pointer("/event/contentStart/role"),
            Some(&json!("SYSTEM"))
        );
        assert_eq!(session_end(), json!({"event": {"sessionEnd": {}}}));
    }

    #[test]
    fn output_events_decode() {
        let cs = br#"{"event":{"contentStart":{"contentId":"c1","type":"TEXT","role":"ASSISTANT","additionalModelFields":"{\"generationStage\":\"SPECULATIVE\"}"}}}"#;
        assert_eq!(
            decode_output(cs).unwrap(),
            Output::ContentStart {
                content_id: "c1".into(),
                kind: "TEXT".into(),
                role: Some(Role::Assistant),
                stage: Some(Stage::Speculative)
            }
        );
        let audio = br#"{"event":{"audioOutput":{"contentId":"c2","content":"AQACAA=="}}}"#;
        assert_eq!(
            decode_output(audio).unwrap(),
            Output::Audio {
                content_id: "c2".into(),
                pcm: vec![1, 0, 2, 0]
            }
        );
        let bad = br#"{"event":{"audioOutput":{"content":"***"}}}"#;
        assert!(decode_output(bad).is_err());
        let tool = br#"{"event":{"toolUse":{"toolUseId":"t1","toolName":"w","content":"{\"city\":\"Oslo\"}"}}}"#;
        assert_eq!(
            decode_output(tool).unwrap(),
            Output::ToolUse {
                id: "t1".into(),
                name: "w".into(),
                input: json!({"city": "Oslo"})
            }
        );
        let end = br#"{"event":{"contentEnd":{"contentId":"c2","type":"AUDIO","stopReason":"INTERRUPTED"}}}"#;
        assert!(matches!(
            decode_output(end).unwrap(),
            Output::ContentEnd { stop_reason: Some(r), .. } if r == "INTERRUPTED"
        ));
        let intr = br#"{"event":{"textOutput":{"role":"ASSISTANT","content":"{ \"interrupted\" : true }"}}}"#;
        assert_eq!(decode_output(intr).unwrap(), Output::InterruptedText);
        let usage = br#"{"event":{"usageEvent":{"totalInputTokens":30,"totalOutputTokens":12,"totalTokens":42,
            "details":{"total":{"input":{"speechTokens":25,"textTokens":5},"output":{"speechTokens":10,"textTokens":2}}}}}}"#;
        let Output::Usage(u) = decode_output(usage).unwrap() else {
            panic!()
        };
        assert_eq!(
            (u.input_speech_tokens, u.output_text_tokens, u.total_tokens),
            (25, 2, 42)
        );
        assert!(matches!(
            decode_output(br#"{"event":{"somethingNew":{}}}"#).unwrap(),
            Output::Other(_)
        ));
        for bad in [&b"nope"[..], b"{}", br#"{"event":{}}"#] {
            assert!(decode_output(bad).is_err());
        }
    }

    #[test]
    fn audio_takes_the_typed_reader_and_odd_shapes_the_tree() {
        // The typed reader and the tree agree on every audio shape; the odd ones (escapes,
        // whitespace, extra members, no content id, another event alongside, wrong types)
        // reach the tree and come out as they always did.
        let cases: [&[u8]; 8] = [
            br#"{"event":{"audioOutput":{"content":"AQACAA==","contentId":"c2","role":"ASSISTANT"}}}"#,
            br#"{ "event" : { "audioOutput" : { "contentId" : "c\u0032", "content" : "AQAC\/w==" } } }"#,
            br#"{"event":{"audioOutput":{"content":"AQACAA=="}}}"#,
            br#"{"event":{"audioOutput":{"content":"AQACAA==","contentId":"c2","extra":{"a":[1]}}}}"#,
            br#"{"event":{"audioOutput":{"content":"AQACAA=="},"contentEnd":{"contentId":"c2"}}}"#,
            br#"{"event":{"audioOutput":{"content":5}}}"#,
            br#"{"event":{"audioOutput":{"content":"***"}}}"#,
            br#"{"event":{"audioOutput":{"content":""}}}"#,
        ];
        // Base64 edge cases: both decoders agree (or the tree's error stands).
        for content in [
            "AQACAB==",
            "AQACAA",
            "AQACAA=",
            "AQ\nAC",
            "AQAC AA==",
            "////",
            "AQACAA===",
        ] {
            let case = format!(r#"{{"event":{{"audioOutput":{{"content":"{content}"}}}}}}"#);
            assert_eq!(
                decode_output(case.as_bytes()),
                decode_tree(case.as_bytes()),
                "{content}"
            );
        }
        for case in cases {
            assert_eq!(
                decode_output(case),
                decode_tree(case),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
        let escaped = decode_output(cases[1]).unwrap();
        assert_eq!(
            escaped,
            Output::Audio {
                content_id: "c2".into(),
                pcm: vec![1, 0, 2, 255]
            }
        );
        assert!(decode_output(cases[6]).is_err());
        // The typed reader alone: audio only.
        assert!(decode_audio(cases[0]).is_some());
        assert!(decode_audio(cases[3]).is_some());
        assert!(decode_audio(cases[4]).is_none());
        assert!(decode_audio(br#"{"event":{"textOutput":{"content":"audioOutput"}}}"#).is_none());
    }
}
