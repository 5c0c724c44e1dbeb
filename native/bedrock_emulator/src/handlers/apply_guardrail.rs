//! ApplyGuardrail (`POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply`,
//! docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html): checks
//! text against a guardrail without invoking a model.
//!
//! The guardrail must be one of the configured guardrails (`--guardrails`), as for Converse.
//! It intervenes when a rule with a `guardrail` field matches: `prompt_contains` is looked for
//! in the request's text blocks, `guardrail.on` must be the request's `source` (`input` for
//! INPUT, `output` for OUTPUT) and `guardrail.id`, when set, the guardrail's id. Rules that name
//! a `model` never match (no model is involved). Faults (`error=`, `throttle=`) apply as on the
//! model routes.
//!
//! The answer has ApplyGuardrailResponse's shape: `action` NONE or GUARDRAIL_INTERVENED; on an
//! intervention, `outputs` holds the guardrail's blocked message for that source and
//! `assessments` a denied-topic assessment (as in the Converse trace, reply/guardrail.rs).
//! `usage` counts text units of the denied-topic policy, the only policy the emulator applies:
//! a text unit is up to 1,000 characters (aws.amazon.com/bedrock/pricing, "Guardrails").

use serde_json::{json, Value};

use super::prepare::{request_settings, Rejection, RequestHeaders};
use crate::config::{script_for, GuardrailSource};
use crate::counters::outcome;
use crate::error::AwsError;
use crate::request::shape::{check_operation, HttpParts};
use crate::state::{lock, State};

/// Characters per guardrail text unit (see the module doc).
const TEXT_UNIT_CHARS: usize = 1000;

fn invalid(e: AwsError) -> Rejection {
    (e, outcome::VALIDATION_ERROR)
}

/// The response body of an ApplyGuardrail request.
pub fn apply(
    state: &State,
    identifier: &str,
    version: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Value, Rejection> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // Malformed JSON first, in the words of Converse's body parser.
    let root = Value::Object(crate::request::parse_body(body, false).map_err(invalid)?);
    let http = HttpParts {
        labels: &[
            ("guardrailIdentifier", identifier),
            ("guardrailVersion", version),
        ],
        header: &header,
    };
    check_operation("ApplyGuardrail", &http, Some(&root)).map_err(invalid)?;
    // An ARN names the guardrail by its last segment.
    let id = identifier
        .rsplit_once("guardrail/")
        .map_or(identifier, |(_, id)| id);
    let spec = state
        .guardrails
        .iter()
        .find(|g| g.id == id && g.has_version(version))
        .ok_or_else(|| {
            invalid(AwsError::validation(
                "The guardrail identifier or version provided in the request does not exist.",
            ))
        })?;
    let source = match root["source"].as_str() {
        Some("OUTPUT") => GuardrailSource::Output,
        _ => GuardrailSource::Input,
    };
    let texts: Vec<&str> = root["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b["text"]["text"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let joined = texts.join("\n");
    let rules = lock(&state.rules).clone();
    let script = script_for(&rules, "", &joined);
    request_settings(state, &script, &RequestHeaders(headers))?;

    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let units: usize = texts
        .iter()
        .map(|t| t.chars().count().div_ceil(TEXT_UNIT_CHARS))
        .sum();
    let usage = json!({
        "topicPolicyUnits": units, "contentPolicyUnits": 0, "wordPolicyUnits": 0,
        "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
        "contextualGroundingPolicyUnits": 0
    });
    let coverage = json!({"textCharacters": {"guarded": chars, "total": chars}});
    let rule = script
        .guardrail
        .filter(|r| r.on == source && r.id.as_deref().is_none_or(|rule_id| rule_id == spec.id));
    let Some(rule) = rule else {
        return Ok(json!({
            "usage": usage, "action": "NONE", "outputs": [], "assessments": [],
            "guardrailCoverage": coverage
        }));
    };
    let topic = rule.topic.as_deref().unwrap_or("Blocked topic");
    let message = match source {
        GuardrailSource::Input => &spec.blocked_input_messaging,
        GuardrailSource::Output => &spec.blocked_outputs_messaging,
    };
    Ok(json!({
        "usage": usage,
        "action": "GUARDRAIL_INTERVENED",
        "actionReason": "Guardrail blocked.",
        "outputs": [{"text": message}],
        "assessments": [{
            "topicPolicy": {"topics": [
                {"name": topic, "type": "DENY", "action": "BLOCKED", "detected": true}
            ]},
            "invocationMetrics": {
                "guardrailProcessingLatency": 120,
                "usage": usage,
                "guardrailCoverage": coverage
            }
        }],
        "guardrailCoverage": coverage
    }))
}
