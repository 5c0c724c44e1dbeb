//! A scripted guardrail intervention: the answer becomes the guardrail's blocked message,
//! `stopReason: guardrail_intervened`, and the trace Bedrock returns when the request asks
//! for one (`trace: enabled | enabled_full`), in the shape of GuardrailTraceAssessment
//! (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailTraceAssessment.html):
//! `inputAssessment` (guardrail id -> assessment) for a blocked prompt, `modelOutput` and
//! `outputAssessments` (guardrail id -> assessments) for a blocked answer.

use serde_json::{json, Value};

use super::plan::{Plan, StopReason};
use crate::config::{GuardrailRule, GuardrailSource, GuardrailSpec};
use crate::request::GuardrailRequest;

/// What an intervention changes besides the plan.
pub struct Intervention {
    /// The trace to return (None when the request did not ask for one).
    pub trace: Option<Value>,
    /// A blocked prompt never reaches the model: no model tokens are billed.
    pub model_invoked: bool,
}

/// Applies `rule` to `plan` when the request's guardrail is the one it names.
pub fn intervene(
    plan: &mut Plan,
    request: &GuardrailRequest,
    spec: &GuardrailSpec,
    rule: &GuardrailRule,
    region: &str,
) -> Option<Intervention> {
    if rule.id.as_deref().is_some_and(|id| id != request.id()) {
        return None;
    }
    let topic = rule.topic.as_deref().unwrap_or("Blocked topic");
    let assessment = json!({
        "appliedGuardrailDetails": applied_details(request, region),
        "topicPolicy": {"topics": [
            {"name": topic, "type": "DENY", "action": "BLOCKED", "detected": true}
        ]},
        "invocationMetrics": {
            "guardrailProcessingLatency": 120,
            "usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 0, "wordPolicyUnits": 0,
                      "sensitiveInformationPolicyUnits": 0,
                      "sensitiveInformationPolicyFreeUnits": 0,
                      "contextualGroundingPolicyUnits": 0},
            "guardrailCoverage": {"textCharacters": {"guarded": 1, "total": 1}}
        }
    });
    let id = request.id().to_string();
    let (text, mut trace) = match rule.on {
        GuardrailSource::Input => (
            spec.blocked_input_messaging.clone(),
            json!({"inputAssessment": {id: assessment}}),
        ),
        GuardrailSource::Output => (
            spec.blocked_outputs_messaging.clone(),
            json!({"modelOutput": [plan.text.clone()], "outputAssessments": {id: [assessment]}}),
        ),
    };
    trace["actionReason"] = json!("Guardrail blocked.");
    plan.text = text;
    plan.reasoning = None;
    plan.citation = None;
    plan.tool_uses.clear();
    plan.stop_reason = StopReason::GuardrailIntervened;
    Some(Intervention {
        trace: request.trace_on().then(|| json!({ "guardrail": trace })),
        model_invoked: rule.on == GuardrailSource::Output,
    })
}

/// The trace of a guardrail that let the exchange through, when the request asked for one:
/// Bedrock still assesses the input and the answer and says so (a Converse answer recorded
/// for Claude Haiku 4.5 with `trace: enabled`, agentjido/req_llm test/support/fixtures/
/// amazon_bedrock/anthropic_claude_haiku_4_5_20251001_v1_0/guardrail_converse_allowed.json,
/// 2026-09-07): `actionReason` "No action.", an `inputAssessment` and one
/// `outputAssessments` entry per guardrail with `appliedGuardrailDetails` and
/// `invocationMetrics` (characters guarded, policy units per started 1,000 characters),
/// `modelOutput` empty. The emulator's guardrails carry only denied topics, so the units
/// are the topic policy's.
pub fn pass_trace(
    request: &GuardrailRequest,
    region: &str,
    input_chars: u64,
    output_chars: u64,
) -> Value {
    let id = request.id().to_string();
    let details = applied_details(request, region);
    let assessment = |chars: u64| {
        json!({
            "appliedGuardrailDetails": details,
            "invocationMetrics": {
                "guardrailProcessingLatency": 120,
                "usage": {"topicPolicyUnits": chars.div_ceil(1000), "contentPolicyUnits": 0,
                          "wordPolicyUnits": 0, "sensitiveInformationPolicyUnits": 0,
                          "sensitiveInformationPolicyFreeUnits": 0,
                          "contextualGroundingPolicyUnits": 0, "contentPolicyImageUnits": 0},
                "guardrailCoverage": {"textCharacters": {"guarded": chars, "total": chars}}
            }
        })
    };
    json!({"guardrail": {
        "actionReason": "No action.",
        "inputAssessment": {id.clone(): assessment(input_chars)},
        "modelOutput": [],
        "outputAssessments": {id: [assessment(output_chars)]},
    }})
}

/// An assessment's `appliedGuardrailDetails` (AppliedGuardrailDetails), with the values of
/// the recorded answer cited at [`pass_trace`]: a guardrail named in the request, owned by
/// the caller (the emulator's account is AWS's documentation example account).
fn applied_details(request: &GuardrailRequest, region: &str) -> Value {
    let id = request.id();
    json!({
        "guardrailId": id,
        "guardrailVersion": request.version,
        "guardrailArn": format!("arn:aws:bedrock:{region}:123456789012:guardrail/{id}"),
        "guardrailOrigin": ["REQUEST"],
        "guardrailOwnership": "SELF",
    })
}
