//! The native InvokeModel bodies that are neither Converse's nor Anthropic's. The
//! prompt-completion ones carry one prompt string (the caller's chat template text), read
//! whole as one user turn (rules' `prompt_contains` match in it), plus sampling keys; gpt-oss's
//! carries OpenAI chat messages.
//!
//! - Meta Llama (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html):
//!   `{"prompt", "temperature", "top_p", "max_gen_len", "images"}`; `temperature` 0..1 (the
//!   page's range); `max_gen_len` defaults to 512 (the value of the AWS console's example
//!   body), its other bounds are not checked.
//! - Mistral AI text completion (.../model-parameters-mistral-text-completion.html; Mistral
//!   7B Instruct, Mixtral 8x7B Instruct, Mistral Large (24.02), Mistral Small (24.02)):
//!   `{"prompt", "max_tokens", "stop", "temperature", "top_p", "top_k"}`; `max_tokens`
//!   defaults to 512 (7B, Mixtral) or 8,192 (Large, Small), the page's table; `stop` are stop
//!   sequences.
//! - Amazon Titan Text (.../model-parameters-titan-text.html): `{"inputText",
//!   "textGenerationConfig": {"temperature", "topP", "maxTokenCount", "stopSequences"}}`;
//!   `maxTokenCount` defaults to 512 (the page's table; its per-model maxima are not checked).
//! - OpenAI gpt-oss (.../model-parameters-openai.html): an OpenAI chat completion body;
//!   `messages` (roles `developer` / `system` as the system prompt, `user`, `assistant`;
//!   `tool` read as a user turn), `max_completion_tokens` or `max_tokens`, `stop`,
//!   `temperature`, `top_p`; other OpenAI fields are accepted and ignored. Only `messages`
//!   (required, an array) is checked, in the same words (Bedrock's texts for this body are not
//!   documented).
//! - DeepSeek-R1 (.../model-parameters-deepseek.html, "DeepSeek Request and Response"):
//!   `{"prompt", "temperature", "top_p", "max_tokens", "stop"}`; the page's bounds: `temperature`
//!   and `top_p` at most 1, `max_tokens` 1 to 32,768, `stop` at most 10 items. It gives no
//!   default `max_tokens`: the emulator takes the page's maximum. The words of Bedrock's
//!   answers to a value out of those bounds are not documented: the emulator uses the same
//!   JSON-schema form as for Llama's `temperature`.
//!
//! Checks, in the JSON-schema words Bedrock uses for native bodies ("Malformed input request:
//! #: extraneous key [max_tokens] is not permitted, ..." is what Llama callers sending an
//! Anthropic key report): unknown keys, a missing `prompt`, wrong types.

use serde_json::{json, Map, Value};

use super::conversation::Conversation;
use super::{json_type_name, parse_body, parse_converse};
use crate::catalog::PromptBody;
use crate::error::AwsError;

fn malformed(detail: String) -> AwsError {
    AwsError::validation(format!(
        "Malformed input request: {detail}, please reformat your input and try again."
    ))
}

/// (key, JSON-schema type) of each key the body may have.
fn keys(kind: PromptBody) -> &'static [(&'static str, &'static str)] {
    match kind {
        PromptBody::Llama => &[
            ("prompt", "String"),
            ("temperature", "Number"),
            ("top_p", "Number"),
            ("max_gen_len", "Integer"),
            ("images", "JSONArray"),
        ],
        PromptBody::MistralText { .. } => &[
            ("prompt", "String"),
            ("max_tokens", "Integer"),
            ("stop", "JSONArray"),
            ("temperature", "Number"),
            ("top_p", "Number"),
            ("top_k", "Integer"),
        ],
        PromptBody::TitanText => &[
            ("inputText", "String"),
            ("textGenerationConfig", "JSONObject"),
        ],
        PromptBody::OpenAiChat => &[("messages", "JSONArray")],
        PromptBody::DeepSeek => &[
            ("prompt", "String"),
            ("temperature", "Number"),
            ("top_p", "Number"),
            ("max_tokens", "Integer"),
            ("stop", "JSONArray"),
        ],
    }
}

/// Titan's `textGenerationConfig` keys.
const TITAN_CONFIG: &[(&str, &str)] = &[
    ("temperature", "Number"),
    ("topP", "Number"),
    ("maxTokenCount", "Integer"),
    ("stopSequences", "JSONArray"),
];

/// Unknown keys and wrong types of `root` (at JSON pointer `at`: "" or "/key").
fn check_keys(
    root: &Map<String, Value>,
    allowed: &[(&str, &str)],
    at: &str,
) -> Result<(), AwsError> {
    if let Some(key) = root.keys().find(|k| !allowed.iter().any(|(a, _)| a == k)) {
        return Err(malformed(format!(
            "#{at}: extraneous key [{key}] is not permitted"
        )));
    }
    for (key, expected) in allowed {
        let Some(v) = root.get(*key) else { continue };
        let ok = match *expected {
            "Number" => v.is_number(),
            other => json_type_name(v) == other,
        };
        if !ok {
            return Err(malformed(format!(
                "#{at}/{key}: expected type: {expected}, found: {}",
                json_type_name(v)
            )));
        }
    }
    Ok(())
}

/// Parses and checks a prompt body into the conversation the reply is planned from.
pub fn parse(body: &[u8], kind: PromptBody) -> Result<Conversation, AwsError> {
    let root: Map<String, Value> = parse_body(body, true)?;
    if kind == PromptBody::OpenAiChat {
        return parse_openai(&root);
    }
    let allowed = keys(kind);
    if let Some(key) = root.keys().find(|k| !allowed.iter().any(|(a, _)| a == k)) {
        return Err(malformed(format!(
            "#: extraneous key [{key}] is not permitted"
        )));
    }
    let prompt_key = allowed[0].0;
    if !root.contains_key(prompt_key) {
        return Err(malformed(format!(
            "#: required key [{prompt_key}] not found"
        )));
    }
    check_keys(&root, allowed, "")?;
    let (max_key, default_max) = match kind {
        PromptBody::Llama => ("max_gen_len", 512),
        PromptBody::MistralText { default_max_tokens } => ("max_tokens", default_max_tokens),
        PromptBody::DeepSeek => {
            check_deepseek_bounds(&root)?;
            ("max_tokens", DEEPSEEK_MAX_TOKENS)
        }
        PromptBody::TitanText => return parse_titan(&root),
        PromptBody::OpenAiChat => unreachable!("parsed above"),
    };
    if kind == PromptBody::Llama {
        if let Some(t) = root.get("temperature").and_then(Value::as_f64) {
            if !(0.0..=1.0).contains(&t) {
                let bound = if t < 0.0 {
                    "greater or equal to 0"
                } else {
                    "less or equal to 1"
                };
                return Err(malformed(format!("#/temperature: {t} is not {bound}")));
            }
        }
    }
    let max = root
        .get(max_key)
        .and_then(Value::as_i64)
        .unwrap_or(default_max);
    let mut config = json!({ "maxTokens": max.max(1) });
    for (from, to) in [
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("stop", "stopSequences"),
    ] {
        if let Some(v) = root.get(from) {
            config[to] = v.clone();
        }
    }
    let converse = json!({
        "messages": [{"role": "user", "content": [{"text": root["prompt"]}]}],
        "inferenceConfig": config,
    });
    parse_converse(converse.to_string().as_bytes())
}

/// DeepSeek-R1's `max_tokens` maximum (AWS's model-parameters-deepseek page).
const DEEPSEEK_MAX_TOKENS: i64 = 32_768;

/// The bounds AWS's model-parameters-deepseek page gives R1's request fields.
fn check_deepseek_bounds(root: &Map<String, Value>) -> Result<(), AwsError> {
    for key in ["temperature", "top_p"] {
        if let Some(v) = root.get(key).and_then(Value::as_f64) {
            if v > 1.0 {
                return Err(malformed(format!("#/{key}: {v} is not less or equal to 1")));
            }
        }
    }
    if let Some(m) = root.get("max_tokens").and_then(Value::as_i64) {
        if m < 1 {
            return Err(malformed(format!(
                "#/max_tokens: {m} is not greater or equal to 1"
            )));
        }
        if m > DEEPSEEK_MAX_TOKENS {
            return Err(malformed(format!(
                "#/max_tokens: {m} is not less or equal to {DEEPSEEK_MAX_TOKENS}"
            )));
        }
    }
    if let Some(n) = root.get("stop").and_then(Value::as_array).map(Vec::len) {
        if n > 10 {
            return Err(malformed(format!(
                "#/stop: expected maximum item count: 10, found: {n}"
            )));
        }
    }
    Ok(())
}

/// The text of an OpenAI message's `content`: a string or text parts.
fn openai_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn parse_openai(root: &Map<String, Value>) -> Result<Conversation, AwsError> {
    if !root.contains_key("messages") {
        return Err(malformed(
            "#: required key [messages] not found".to_string(),
        ));
    }
    if let Some(v) = root.get("messages").filter(|v| !v.is_array()) {
        return Err(malformed(format!(
            "#/messages: expected type: JSONArray, found: {}",
            json_type_name(v)
        )));
    }
    let mut system = Vec::new();
    let mut turns: Vec<(String, String)> = Vec::new();
    for m in root["messages"].as_array().into_iter().flatten() {
        let text = openai_text(&m["content"]);
        let role = match m["role"].as_str().unwrap_or("user") {
            "developer" | "system" => {
                system.push(json!({ "text": text }));
                continue;
            }
            "assistant" => "assistant",
            _ => "user",
        };
        // Consecutive turns of one role (a tool result after a user turn) become one.
        match turns.last_mut() {
            Some((r, t)) if r == role => {
                t.push('\n');
                t.push_str(&text);
            }
            _ => turns.push((role.to_string(), text)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, text)| json!({"role": role, "content": [{"text": text}]}))
        .collect();
    let mut config = json!({});
    if let Some(m) = root
        .get("max_completion_tokens")
        .or_else(|| root.get("max_tokens"))
    {
        config["maxTokens"] = m.clone();
    }
    for (from, to) in [("temperature", "temperature"), ("top_p", "topP")] {
        if let Some(v) = root.get(from) {
            config[to] = v.clone();
        }
    }
    match root.get("stop") {
        Some(Value::String(s)) => config["stopSequences"] = json!([s]),
        Some(v @ Value::Array(_)) => config["stopSequences"] = v.clone(),
        _ => {}
    }
    let mut converse = json!({"messages": messages, "inferenceConfig": config});
    if !system.is_empty() {
        converse["system"] = Value::Array(system);
    }
    parse_converse(converse.to_string().as_bytes())
}

fn parse_titan(root: &Map<String, Value>) -> Result<Conversation, AwsError> {
    let empty = Map::new();
    let cfg = root
        .get("textGenerationConfig")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    check_keys(cfg, TITAN_CONFIG, "/textGenerationConfig")?;
    let max = cfg
        .get("maxTokenCount")
        .and_then(Value::as_i64)
        .unwrap_or(512);
    let mut config = json!({ "maxTokens": max.max(1) });
    for key in ["temperature", "topP", "stopSequences"] {
        if let Some(v) = cfg.get(key) {
            config[key] = v.clone();
        }
    }
    let converse = json!({
        "messages": [{"role": "user", "content": [{"text": root["inputText"]}]}],
        "inferenceConfig": config,
    });
    parse_converse(converse.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISTRAL: PromptBody = PromptBody::MistralText {
        default_max_tokens: 512,
    };

    #[test]
    fn a_prompt_body_is_one_user_turn_with_its_limits() {
        let conv = parse(
            br#"{"prompt": "Hi there", "max_gen_len": 64, "temperature": 0.2}"#,
            PromptBody::Llama,
        )
        .unwrap();
        assert_eq!(conv.last_user_text(), "Hi there");
        assert_eq!((conv.max_tokens, conv.temperature), (64, Some(0.2)));
        assert_eq!(
            parse(br#"{"prompt": "Hi"}"#, PromptBody::Llama)
                .unwrap()
                .max_tokens,
            512
        );
        let conv = parse(
            br#"{"prompt": "[INST] Hi [/INST]", "stop": ["</s>"]}"#,
            MISTRAL,
        )
        .unwrap();
        assert_eq!(
            (conv.max_tokens, conv.stop_sequences.clone()),
            (512, vec!["</s>".to_string()])
        );
        let conv = parse(
            br#"{"inputText": "User: Hi\nBot:", "textGenerationConfig": {"maxTokenCount": 9, "stopSequences": ["User:"]}}"#,
            PromptBody::TitanText,
        )
        .unwrap();
        assert_eq!((conv.max_tokens, conv.stop_sequences.len()), (9, 1));
        let conv = parse(
            br#"{"messages": [{"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
                "max_completion_tokens": 33, "stop": "User:", "reasoning_effort": "low"}"#,
            PromptBody::OpenAiChat,
        )
        .unwrap();
        assert_eq!(conv.system, vec!["Be brief.".to_string()]);
        assert_eq!(conv.last_user_text(), "Hi");
        assert_eq!((conv.max_tokens, conv.stop_sequences.len()), (33, 1));
    }

    #[test]
    fn bad_prompt_bodies_get_the_json_schema_messages() {
        let msg = |body: &str, kind| parse(body.as_bytes(), kind).unwrap_err().message;
        assert_eq!(
            msg(r#"{"prompt": "Hi", "max_tokens": 5}"#, PromptBody::Llama),
            "Malformed input request: #: extraneous key [max_tokens] is not permitted, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"prompt": "Hi", "max_gen_len": 5}"#, MISTRAL),
            "Malformed input request: #: extraneous key [max_gen_len] is not permitted, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"max_gen_len": 5}"#, PromptBody::Llama),
            "Malformed input request: #: required key [prompt] not found, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"prompt": "Hi", "max_gen_len": "5"}"#, PromptBody::Llama),
            "Malformed input request: #/max_gen_len: expected type: Integer, found: String, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"inputText": "Hi", "textGenerationConfig": {"maxTokens": 5}}"#, PromptBody::TitanText),
            "Malformed input request: #/textGenerationConfig: extraneous key [maxTokens] is not permitted, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"prompt": "Hi"}"#, PromptBody::TitanText),
            "Malformed input request: #: extraneous key [prompt] is not permitted, please reformat your input and try again."
        );
        assert!(
            msg(r#"{"prompt": "Hi", "temperature": 1.5}"#, PromptBody::Llama)
                .contains("#/temperature: 1.5 is not less or equal to 1")
        );
        let deepseek = PromptBody::DeepSeek;
        assert!(msg(r#"{"prompt": "Hi", "top_p": 1.5}"#, deepseek)
            .contains("#/top_p: 1.5 is not less or equal to 1"));
        assert!(msg(r#"{"prompt": "Hi", "max_tokens": 0}"#, deepseek)
            .contains("#/max_tokens: 0 is not greater or equal to 1"));
        assert!(msg(r#"{"prompt": "Hi", "max_tokens": 32769}"#, deepseek)
            .contains("#/max_tokens: 32769 is not less or equal to 32768"));
        let stops = format!(r#"{{"prompt": "Hi", "stop": {:?}}}"#, vec!["x"; 11]);
        assert!(
            msg(&stops, deepseek).contains("#/stop: expected maximum item count: 10, found: 11")
        );
        assert!(msg(r#"{"prompt": "Hi", "top_k": 5}"#, deepseek)
            .contains("#: extraneous key [top_k] is not permitted"));
        assert!(
            msg(r#"{"max_tokens": 5}"#, deepseek).contains("#: required key [prompt] not found")
        );
    }

    #[test]
    fn a_deepseek_body_is_one_user_turn() {
        let conv = parse(
            br#"{"prompt": "<|begin_of_sentence|><|User|>Hi<|Assistant|><think>\n", "max_tokens": 40, "stop": ["<|User|>"], "temperature": 0.6}"#,
            PromptBody::DeepSeek,
        )
        .unwrap();
        assert!(conv.last_user_text().contains("Hi"));
        assert_eq!(
            (conv.max_tokens, conv.stop_sequences.len(), conv.temperature),
            (40, 1, Some(0.6))
        );
        let conv = parse(br#"{"prompt": "Hi"}"#, PromptBody::DeepSeek).unwrap();
        assert_eq!(conv.max_tokens, 32_768);
    }
}
