//! Meta Llama's native InvokeModel body (docs.aws.amazon.com/bedrock/latest/userguide/
//! model-parameters-meta.html): `{"prompt": string, "temperature": float, "top_p": float,
//! "max_gen_len": int}` (Llama 3.2 vision adds `images`), `prompt` required. The prompt is
//! the caller's chat template text; the emulator reads it whole as one user turn (rules'
//! `prompt_contains` match in it).
//!
//! Checks, in the JSON-schema words Bedrock uses for native bodies ("Malformed input request:
//! #: extraneous key [max_tokens] is not permitted, ..." is what Llama callers sending an
//! Anthropic key report): unknown keys, a missing `prompt`, wrong types, `temperature` outside
//! 0..1 (the page's range). `max_gen_len` defaults to 512 (the value of the AWS console's
//! example body); its other bounds are not checked.

use serde_json::{json, Map, Value};

use super::conversation::Conversation;
use super::{json_type_name, parse_body, parse_converse};
use crate::error::AwsError;

const KEYS: &[&str] = &["prompt", "temperature", "top_p", "max_gen_len", "images"];
const DEFAULT_MAX_GEN_LEN: i64 = 512;

fn malformed(detail: String) -> AwsError {
    AwsError::validation(format!(
        "Malformed input request: {detail}, please reformat your input and try again."
    ))
}

fn expect(root: &Map<String, Value>, key: &str, expected: &str) -> Result<(), AwsError> {
    let Some(v) = root.get(key) else {
        return Ok(());
    };
    let ok = match expected {
        "Number" => v.is_number(),
        other => json_type_name(v) == other,
    };
    if ok {
        Ok(())
    } else {
        Err(malformed(format!(
            "#/{key}: expected type: {expected}, found: {}",
            json_type_name(v)
        )))
    }
}

/// Parses and checks a Llama body into the conversation the reply is planned from.
pub fn parse_llama(body: &[u8]) -> Result<Conversation, AwsError> {
    let root = parse_body(body, true)?;
    if let Some(key) = root.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(malformed(format!(
            "#: extraneous key [{key}] is not permitted"
        )));
    }
    if !root.contains_key("prompt") {
        return Err(malformed("#: required key [prompt] not found".to_string()));
    }
    expect(&root, "prompt", "String")?;
    expect(&root, "temperature", "Number")?;
    expect(&root, "top_p", "Number")?;
    expect(&root, "max_gen_len", "Integer")?;
    expect(&root, "images", "JSONArray")?;
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
    let mut config = json!({
        "maxTokens": root.get("max_gen_len").and_then(Value::as_i64).unwrap_or(DEFAULT_MAX_GEN_LEN).max(1)
    });
    if let Some(t) = root.get("temperature") {
        config["temperature"] = t.clone();
    }
    if let Some(p) = root.get("top_p") {
        config["topP"] = p.clone();
    }
    let converse = json!({
        "messages": [{"role": "user", "content": [{"text": root["prompt"]}]}],
        "inferenceConfig": config,
    });
    parse_converse(converse.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_llama_body_is_one_user_turn_with_its_limits() {
        let conv = parse_llama(br#"{"prompt": "Hi there", "max_gen_len": 64, "temperature": 0.2}"#)
            .unwrap();
        assert_eq!(conv.last_user_text(), "Hi there");
        assert_eq!((conv.max_tokens, conv.temperature), (64, Some(0.2)));
        assert_eq!(parse_llama(br#"{"prompt": "Hi"}"#).unwrap().max_tokens, 512);
    }

    #[test]
    fn bad_llama_bodies_get_the_json_schema_messages() {
        let msg = |body: &str| parse_llama(body.as_bytes()).unwrap_err().message;
        assert_eq!(
            msg(r#"{"prompt": "Hi", "max_tokens": 5}"#),
            "Malformed input request: #: extraneous key [max_tokens] is not permitted, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"max_gen_len": 5}"#),
            "Malformed input request: #: required key [prompt] not found, please reformat your input and try again."
        );
        assert_eq!(
            msg(r#"{"prompt": "Hi", "max_gen_len": "5"}"#),
            "Malformed input request: #/max_gen_len: expected type: Integer, found: String, please reformat your input and try again."
        );
        assert!(msg(r#"{"prompt": "Hi", "temperature": 1.5}"#)
            .contains("#/temperature: 1.5 is not less or equal to 1"));
    }
}
