//! CountTokens (`POST /model/{modelId}/count-tokens`, body `{"input": {"converse": {...}}}`
//! or `{"input": {"invokeModel": {"body": "<base64>"}}}`, answer `{"inputTokens": N}`) and
//! the Messages API's `count_tokens`. The count is the same number a call with that input
//! reports as input tokens.

use base64::Engine;
use serde_json::Value;

use super::prepare::{self as handlers, Api, Rejection, RequestHeaders};
use crate::catalog::Target;
use crate::counters::outcome;
use crate::error::AwsError;
use crate::request::{self, Dialect};
use crate::state::State;

fn invalid(e: AwsError) -> Rejection {
    (e, outcome::VALIDATION_ERROR)
}

fn unsupported() -> Rejection {
    invalid(AwsError::validation(
        "The provided model doesn't support counting tokens",
    ))
}

/// Input tokens of a CountTokens request (`path_model` set) or a Messages API
/// `count_tokens` request.
pub fn count(
    state: &State,
    api: Api,
    path_model: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<u64, Rejection> {
    match path_model {
        Some(model_id) => count_runtime(state, model_id, headers, body),
        None => count_messages(state, api, headers, body),
    }
}

fn count_runtime(
    state: &State,
    model_id: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<u64, Rejection> {
    handlers::check_shape("CountTokens", model_id, &RequestHeaders(headers), body)?;
    // A configured application inference profile is a profile: refused as profile ids are.
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let region = crate::rate::credential_region(authorization);
    handlers::check_application_arn(model_id, region)?;
    if super::control_plane::application_source(&state.application_profiles, model_id, region)
        .is_some()
    {
        return Err(unsupported());
    }
    let target = models_target(state, model_id)?;
    match &target {
        Target::Catalog { info, via_profile } => {
            if *via_profile || !info.count_tokens {
                return Err(unsupported());
            }
            if info.lifecycle == crate::catalog::Lifecycle::Eol {
                return Err((AwsError::end_of_life(), outcome::NOT_FOUND));
            }
        }
        Target::Other(_) => {}
    }
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(AwsError::validation(format!("Malformed request body: {e}"))))?;
    let input = root.get("input").ok_or_else(|| {
        invalid(AwsError::validation(
            "1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null",
        ))
    })?;
    let conv = if let Some(c) = input.get("converse") {
        // ConverseTokensRequest has only these members; Bedrock ignores the others
        // (`inferenceConfig`, `guardrailConfig`...), so they are not parsed (nor checked).
        let mut c = c.clone();
        if let Some(o) = c.as_object_mut() {
            o.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "messages" | "system" | "toolConfig" | "additionalModelRequestFields"
                )
            });
        }
        let bytes = serde_json::to_vec(&c).unwrap_or_default();
        request::parse_converse(&bytes).map_err(invalid)?
    } else if let Some(i) = input.get("invokeModel") {
        let b64 = i.get("body").and_then(Value::as_str).unwrap_or("");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| {
                invalid(AwsError::validation(
                    "Malformed input request: body is not valid base64",
                ))
            })?;
        if !target.is_anthropic() {
            return Err(unsupported());
        }
        request::parse_anthropic_as(&raw, Dialect::Invoke)
            .map_err(invalid)?
            .conv
    } else {
        return Err(invalid(AwsError::validation(
            "Malformed request body: input must set exactly one of converse, invokeModel",
        )));
    };
    Ok(conv.input_tokens())
}

fn models_target(state: &State, model_id: &str) -> Result<Target, Rejection> {
    crate::catalog::target(model_id, &state.extra_models)
        .ok_or_else(|| invalid(AwsError::invalid_model()))
}

fn count_messages(
    state: &State,
    api: Api,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<u64, Rejection> {
    // count_tokens takes the Messages body without max_tokens.
    let mut root: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(AwsError::validation(format!("Malformed request body: {e}"))))?;
    if let Some(o) = root.as_object_mut() {
        o.entry("max_tokens").or_insert(Value::from(1));
    }
    let bytes = serde_json::to_vec(&root).unwrap_or_default();
    let (_, _, conv, _) = handlers::parse(state, api, None, &RequestHeaders(headers), &bytes)?;
    Ok(conv.input_tokens())
}
