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
) -> Option<Intervention> {
    if rule.id.as_deref().is_some_and(|id| id != request.id()) {
        return None;
    }
    let topic = rule.topic.as_deref().unwrap_or("Blocked topic");
    let assessment = json!({
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
